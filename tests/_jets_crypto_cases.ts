/**
 * Conformance cases of the crypto jets (zig/jets/crypto*.zig): zuse's arms on the ivory pill,
 * with public test vectors where there are some (RFC 8032 section 7.1 test 2 for ed25519,
 * FIPS-197 and SP 800-38A for AES, RFC 7914 for PBKDF2 and scrypt, RFC 7693 and Python's
 * hashlib for BLAKE2b, the RIPEMD-160 paper's vectors). Hoon reads byts inputs most
 * significant byte first and prints digests as big-endian numbers; ed25519 keys and
 * signatures are the little-endian atoms of their RFC bytes, PBKDF2 and scrypt keys too.
 *
 * The Nock of the ed25519 arms that multiply a point by a full-size scalar (`puck`, `sign`,
 * a `veri` that gets past its length checks, `shar`) passes the default check budget of
 * 1,000,000 steps: each is checked on an input whose Nock stops early (a seed over 32 bytes
 * crashes at once), and RFC 8032's test 2 checks `sign`'s product against the vector. Every
 * ed25519 case also builds zuse's `ed` core (field constants by `exp.fq`), whose thousands
 * of jetted `mul`/`mod` calls jet-check mode checks too: the cases are few. The RFC vectors
 * for puck, sign and veri are the Zig unit tests' (zig/jets/crypto_ed.zig).
 *
 * @module
 */

import { c, type Case, crash } from "./_jet_cases.ts";

// RFC 8032, 7.1, test 2: seed, public key and signature as Hoon atoms.
const seed2 = "0xfba6.b84f.edf6.8cda.24a6.ab35.9f31.8a5b.0f4e.11ec.46c3.b69d.da96.ff28.9b08.cd4c";
const public2Hex =
  "0xc66.f42a.f155.cdc0.8c96.c42e.cf2c.989c.bc7e.1b4d.a70a.b792.5a89.43e8.c317.403d";
const signature2Hex = "0xc.bb12.1629.0db0.ee2a.30b4.ae2e.7b38.8c1d.f1d0.1336.8f45.6e99.153e." +
  "e4c1.5a08.da69.dbeb.2322.76b3.8f3f.5016.547b.b2a2.4025.645f.0b82.0e72.b8ca.d4f0.a909.a092";
const signature2 = "26045437642275510403949788562543761546699931897924856577932582171555103" +
  "33824551654376330196037411784801398605398066077933707964022684342094385847574674";
/** The base point's encoding, and (0, -1), a point of order 2, encoded. */
const base = "0x6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6666.6658";
const order2Decimal =
  "57896044618658097711785492504343953926634992332820282019728792003956564819948";
const order2 = "0x7fff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffec";
const tooLong = "(bex 256)";
const blakeEmpty =
  "63065985501499440154216241897855509279812737470996247766115197704582342773403001" +
  "35634939346361634048100149086642887696994709965243464894797259554879693518";

const ed: Record<string, Case[]> = {
  "ed-puck": [crash(`(puck:ed:crypto ${tooLong})`)],
  "ed-sign": [
    c(`(sign:ed:crypto 0x72 ${seed2})`, signature2),
    crash(`(sign:ed:crypto 1 ${tooLong})`),
  ],
  // Test 2's valid signature ends in a zero byte: `(met 3 s)` is 63, and Hoon says no
  // before any curve arithmetic.
  "ed-veri": [c(`(veri:ed:crypto ${signature2Hex} 0x72 ${public2Hex})`, "1")],
  "ed-shar": [crash(`(shar:ed:crypto 1 ${tooLong})`)],
  "ed-point-add": [crash("(point-add:ed:crypto 2 1)")],
  "ed-scalarmult": [c(`(scalarmult:ed:crypto 3 ${order2})`, order2Decimal)],
  "ed-scalarmult-base": [c("(scalarmult-base:ed:crypto 0)", "1")],
  "ed-add-scalarmult-scalarmult-base": [
    c(`(add-scalarmult-scalarmult-base:ed:crypto 1 ${order2} 1)`),
  ],
  "ed-add-double-scalarmult": [c(`(add-double-scalarmult:ed:crypto 2 ${base} 3 ${order2})`)],
};

// FIPS-197 appendix C.1 and C.3; SP 800-38A F.2.1 (CBC) and F.5.1 (CTR), two blocks each.
const plain = "0x11.2233.4455.6677.8899.aabb.ccdd.eeff";
const key128 = "0x1.0203.0405.0607.0809.0a0b.0c0d.0e0f";
const cipher128 = "140591190147677442632770771134392354138";
const key256 = "0x1.0203.0405.0607.0809.0a0b.0c0d.0e0f.1011.1213.1415.1617.1819.1a1b.1c1d.1e1f";
const cipher256 = "189595255202780126703743502246845440137";
const spKey = "0x2b7e.1516.28ae.d2a6.abf7.1588.09cf.4f3c";
const spText = "0x6bc1.bee2.2e40.9f96.e93d.7e11.7393.172a.ae2d.8a57.1e03.ac9c.9eb7.6fac.45af.8e51";
const spCounter = "0xf0f1.f2f3.f4f5.f6f7.f8f9.fafb.fcfd.feff";

const aes: Record<string, Case[]> = {
  "cbca-en": [
    c(`(~(en cbca:aes:crypto ${key128} 0) ${plain})`, cipher128),
    c(
      `(~(en cbca:aes:crypto ${spKey} ${key128}) ${spText})`,
      "53503080817886240328599137469263017333720409582607587308327816540620091455666",
    ),
    c("(~(en cbca:aes:crypto 1 2) 3)", "214663170018486458306419858086990642543"),
    c("(~(en cbca:aes:crypto 1 2) 0)"),
  ],
  "cbcc-en": [
    c(`(~(en cbcc:aes:crypto ${key256} 0) ${plain})`, cipher256),
    c(`(~(en cbcc:aes:crypto ${key256} 5) 0x1.0000.0000.0000.0000.0000.0000.0000.0003)`),
  ],
  "ctra-en": [
    c(
      `(~(en ctra:aes:crypto ${spKey} 7 32 ${spCounter}) ${spText})`,
      "61198955180497169579593686077952320620117366301153324801814408520179042483711",
    ),
    c("(~(en ctra:aes:crypto 1 7 1 2) 3)", "150"),
    // The low byte of the counter wraps (mod 3), over three blocks and a partial one.
    c("(~(en ctra:aes:crypto 1 3 40 0x1ff) 5)"),
    crash("(~(en ctra:aes:crypto 1 7 1 2) 0x100)"),
  ],
};

// RFC 7914 sections 11 and 12 (PBKDF2-HMAC-SHA256, scrypt), keys as little-endian atoms.
const kdf: Record<string, Case[]> = {
  "scr-pbk": [
    c(
      "(pbk:scr:crypto 'passwd' 'salt' 1 64)",
      "68920486634836860685426294580688086039303348455977640201761999370688170173585071" +
        "77009664400329657824828945783850481665518635173969905013084576354146757717",
    ),
    c(
      "(pbk:scr:crypto 1 2 1 32)",
      "65561713391469855468498892185494231287074644550135456085842246599764558677869",
    ),
    c("(pbk:scr:crypto 1 2 3 0)", "0"),
    crash("(pbk:scr:crypto 1 2 0 32)"),
  ],
  "scr-pbl": [
    c("(pbl:scr:crypto 1 2 2 1 1 32)"),
    c("(pbl:scr:crypto 'passwd' 6 'salt' 4 2 40)"),
    crash("(pbl:scr:crypto 1 1 2 1 (bex 29) 32)"),
  ],
  "scr-hsh": [
    c(
      "(hsh:scr:crypto 1 2 2 1 1 32)",
      "90432662089256845653931736244964275787673441978738797707925516297916085194917",
    ),
    c(
      "(hsh:scr:crypto 0 0 16 1 1 64)",
      "34244110644760254163643301018630738409478573994175282417878281463781549843715296" +
        "9532847850254266037963008313442338706535360446980405004620016977953937015",
    ),
    crash("(hsh:scr:crypto 1 2 3 1 1 32)"),
  ],
  "scr-hsl": [
    c(
      "(hsl:scr:crypto 1 1 2 1 2 1 1 32)",
      "90432662089256845653931736244964275787673441978738797707925516297916085194917",
    ),
    c("(hsl:scr:crypto 1 2 2 3 4 1 2 16)"),
    crash("(hsl:scr:crypto 1 1 2 1 2 0 1 32)"),
  ],
};

const hashes: Record<string, Case[]> = {
  blake2b: [
    c(
      "(blake2b:blake:crypto [3 0x61.6263] [0 0] 64)",
      "97679296351458976513578673107024890942301378278295565854751467906467047610940653" +
        "29856848997729822767409914274787220536127246564102126572212307670039828771",
    ),
    c(
      "(blake2b:blake:crypto [3 0x61.6263] [2 1] 32)",
      "37548607700209218084255589454562786883312698191391666277280570039978883181250",
    ),
    // out is clamped to 1..64.
    c("(blake2b:blake:crypto [3 0x61.6263] [0 0] 0)", "107"),
    c("(blake2b:blake:crypto [0 0] [0 0] 100)", blakeEmpty),
  ],
  ripemd160: [
    c("(ripemd-160:ripemd:crypto 3 0x61.6263)", "814647003348588794217809277549781461204094028796"),
    c("(ripemd-160:ripemd:crypto 0 0)", "890993315260586290631548281360202943075753233713"),
    c(
      "(ripemd-160:ripemd:crypto 56 (rev 3 56 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))",
      "106337202581312019044397866363674401554858961707",
    ),
  ],
};

/** The crypto family's cases, by native entry name. */
export const cryptoCases: Record<string, Case[]> = { ...ed, ...aes, ...kdf, ...hashes };
