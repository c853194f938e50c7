/**
 * Conformance cases of the crypto jets (zig/jets/crypto*.zig): zuse's arms on the ivory pill,
 * with public test vectors where there are some (RFC 8032 section 7.1 test 2 for ed25519,
 * FIPS-197 and SP 800-38A for AES, RFC 7914 for PBKDF2 and scrypt, RFC 7693 and Python's
 * hashlib for BLAKE2b, the RIPEMD-160 paper's vectors, RFC 5297 for AES-SIV). Hoon reads byts inputs most
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
 * In jet-check mode the AES cores an arm's Nock calls run as jets (each is checked on its
 * own cases), so CBC and SIV fit the default budget; the Nock of `ecbc-de` (Hoon's AES-256
 * key expansion and its inverse) does not, and runs with a budget of its own.
 *
 * @module
 */

import { budget, c, type Case, crash, dot } from "./_jet_cases.ts";

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

// FIPS-197 appendix C; SP 800-38A F.2 (CBC) and F.5 (CTR), two blocks each; RFC 5297 A.1
// (AES-SIV). The AES-192 and AES-256 SIV products are from Python's `cryptography` package.
/** A big-endian hex string as a Hoon @ud. */
const ux = (hex: string) => dot(BigInt(`0x${hex}`));
/** A decimal string as a Hoon @ud (dots every three digits). */
const ud = (decimal: string) => dot(BigInt(decimal));
const plain = "0x11.2233.4455.6677.8899.aabb.ccdd.eeff";
const key128 = "0x1.0203.0405.0607.0809.0a0b.0c0d.0e0f";
const cipher128 = "140591190147677442632770771134392354138";
const key192 = ux("000102030405060708090a0b0c0d0e0f1011121314151617");
const cipher192 = "294639413291332225833569969771736035729";
const key256 = "0x1.0203.0405.0607.0809.0a0b.0c0d.0e0f.1011.1213.1415.1617.1819.1a1b.1c1d.1e1f";
const cipher256 = "189595255202780126703743502246845440137";
const spKey = "0x2b7e.1516.28ae.d2a6.abf7.1588.09cf.4f3c";
const spKey192 = ux("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b");
const spKey256 = ux("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const spText = "0x6bc1.bee2.2e40.9f96.e93d.7e11.7393.172a.ae2d.8a57.1e03.ac9c.9eb7.6fac.45af.8e51";
const spTextDecimal =
  "48739793711536518654823568311887024699841666090097511376551786823204872359505";
const spCounter = "0xf0f1.f2f3.f4f5.f6f7.f8f9.fafb.fcfd.feff";
const cbc128 = "53503080817886240328599137469263017333720409582607587308327816540620091455666";
const cbc192 = "35736453688855586857854764719628041602251925133269360228518113406961454748762";
const cbc256 = "111064531155162805704577020564012717762810424710571800258908080339723800816765";
/** A key wider than AES-128's: Hoon keeps its low 16 bytes. */
const wideKey = `(con (bex 300) ${key128})`;

const ecb: Record<string, Case[]> = {
  "ecba-en": [
    c(`(~(en ecba:aes:crypto ${key128}) ${plain})`, cipher128),
    c(`(~(en ecba:aes:crypto ${wideKey}) (con (bex 130) ${plain}))`, cipher128),
  ],
  "ecba-de": [
    c(`(~(de ecba:aes:crypto ${key128}) ${ud(cipher128)})`, "88962710306127702866241727433142015"),
    c("(~(de ecba:aes:crypto 0) 0)"),
  ],
  "ecbb-en": [c(`(~(en ecbb:aes:crypto ${key192}) ${plain})`, cipher192)],
  "ecbb-de": [
    c(`(~(de ecbb:aes:crypto ${key192}) ${ud(cipher192)})`, "88962710306127702866241727433142015"),
    // Bytes 24..31 of an AES-192 key are dropped (`(rsh 6 (~(net fe 8) key))`).
    c(`(~(de ecbb:aes:crypto (con (bex 250) ${key192})) ${ud(cipher192)})`),
  ],
  "ecbc-en": [c(`(~(en ecbc:aes:crypto ${key256}) ${plain})`, cipher256)],
  "ecbc-de": [
    budget(
      20_000_000,
      c(
        `(~(de ecbc:aes:crypto ${key256}) ${ud(cipher256)})`,
        "88962710306127702866241727433142015",
      ),
    ),
  ],
};

const cbc: Record<string, Case[]> = {
  "cbca-en": [
    c(`(~(en cbca:aes:crypto ${key128} 0) ${plain})`, cipher128),
    c(`(~(en cbca:aes:crypto ${spKey} ${key128}) ${spText})`, cbc128),
    c("(~(en cbca:aes:crypto 1 2) 3)", "214663170018486458306419858086990642543"),
    c("(~(en cbca:aes:crypto 1 2) 0)"),
  ],
  "cbca-de": [
    c(`(~(de cbca:aes:crypto ${spKey} ${key128}) ${ud(cbc128)})`, spTextDecimal),
    // The IV is not truncated before the mix, but `rep 7` truncates the block.
    c(`(~(de cbca:aes:crypto ${spKey} (bex 200)) 0)`),
  ],
  "cbcb-en": [c(`(~(en cbcb:aes:crypto ${spKey192} ${key128}) ${spText})`, cbc192)],
  "cbcb-de": [c(`(~(de cbcb:aes:crypto ${spKey192} ${key128}) ${ud(cbc192)})`, spTextDecimal)],
  "cbcc-en": [
    c(`(~(en cbcc:aes:crypto ${key256} 0) ${plain})`, cipher256),
    c(`(~(en cbcc:aes:crypto ${key256} 5) 0x1.0000.0000.0000.0000.0000.0000.0000.0003)`),
  ],
  "cbcc-de": [c(`(~(de cbcc:aes:crypto ${spKey256} ${key128}) ${ud(cbc256)})`, spTextDecimal)],
};

const ctr: Record<string, Case[]> = {
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
  "ctrb-en": [
    c(
      `(~(en ctrb:aes:crypto ${spKey192} 7 32 ${spCounter}) ${spText})`,
      "12093316841070282146866688588019908677432377186788720392479871746043542408852",
    ),
    c("(~(en ctrb:aes:crypto 1 4 20 0xffff) 0)"),
  ],
  "ctrc-en": [
    c(
      `(~(en ctrc:aes:crypto ${spKey256} 7 32 ${spCounter}) ${spText})`,
      "43476385241281709272944449486450703728106911084310011587089730315810675291589",
    ),
    crash("(~(en ctrc:aes:crypto 1 7 0 2) 1)"),
  ],
};

const sivKey = ux("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const sivAd = ux("101112131415161718191a1b1c1d1e1f2021222324252627");
const sivTextHex = "112233445566778899aabbccddee";
const sivText = ux(sivTextHex);
const sivIv = "177302274152977713579758673072153873555";
const sivCipher = "1313299511714393109391902295916124";
const sivbIv = "296657294633435895654332234773162393720";
const sivbCipher = "4263779285442758791463741753300984";
const sivcIv = "170279535508560088517209318421996867134";
const sivcCipher = "1617999649825065398711689386071308";
/** The bytes 0, 1, ..., n-1 as one big-endian number (a 48- or 64-byte key). */
const counting = (n: number) =>
  ux([...Array(n).keys()].map((i) => i.toString(16).padStart(2, "0")).join(""));
/** 40 bytes of 'A': an S2V string over 16 bytes (xorend) and a CTR text over two blocks. */
const longText = ux("41".repeat(40));

const siv: Record<string, Case[]> = {
  "siva-en": [
    c(`(~(en siva:aes:crypto ${sivKey} ~[${sivAd}]) ${sivText})`, `[${sivIv} 14 ${sivCipher}]`),
    c("(~(en siva:aes:crypto 1 ~) 0)"),
  ],
  "siva-de": [
    c(
      `(~(de siva:aes:crypto ${sivKey} ~[${sivAd}]) ${ud(sivIv)} 14 ${ud(sivCipher)})`,
      `[0 ${BigInt(`0x${sivTextHex}`)}]`,
    ),
    c(`(~(de siva:aes:crypto ${sivKey} ~[${sivAd}]) 1 14 ${ud(sivCipher)})`, "0"),
    crash(`(~(de siva:aes:crypto ${sivKey} ~[${sivAd}]) ${ud(sivIv)} 2 ${ud(sivCipher)})`),
  ],
  "sivb-en": [
    c(
      `(~(en sivb:aes:crypto ${counting(48)} ~[${sivAd}]) ${sivText})`,
      `[${sivbIv} 14 ${sivbCipher}]`,
    ),
    c(
      `(~(en sivb:aes:crypto ${counting(48)} ~[${sivAd} 0x102]) ${longText})`,
      "[150991577811426566496138543334297578562 40 79529025993341937695760674480760684755523" +
        "7079201710769070705136635363862084513935018766720459969]",
    ),
  ],
  "sivb-de": [
    c(
      `(~(de sivb:aes:crypto ${counting(48)} ~[${sivAd}]) ${ud(sivbIv)} 14 ${ud(sivbCipher)})`,
      `[0 ${BigInt(`0x${sivTextHex}`)}]`,
    ),
  ],
  "sivc-en": [
    c(
      `(~(en sivc:aes:crypto ${counting(64)} ~[${sivAd}]) ${sivText})`,
      `[${sivcIv} 14 ${sivcCipher}]`,
    ),
    c(
      `(~(en sivc:aes:crypto ${counting(64)} ~[${sivAd} 0x102]) ${longText})`,
      "[40784011798708965834947455454728473156 40 132748585346848491629791713067267141638361" +
        "2226205059184303092687835306849262774440610015336850492]",
    ),
  ],
  "sivc-de": [
    c(
      `(~(de sivc:aes:crypto ${counting(64)} ~[${sivAd}]) ${ud(sivcIv)} 14 ${ud(sivcCipher)})`,
      `[0 ${BigInt(`0x${sivTextHex}`)}]`,
    ),
    c(`(~(de sivc:aes:crypto ${counting(64)} ~) 0 0 0)`),
  ],
};

const aes: Record<string, Case[]> = { ...ecb, ...cbc, ...ctr, ...siv };

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
