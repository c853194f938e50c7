/**
 * Conformance cases of the elliptic-curve, MAC and stream-cipher jets (zig/jets/crypto_ec.zig):
 * zuse's arms on the ivory pill, with public test vectors: the widely published RFC 6979
 * secp256k1 vectors (private keys 1 and n-1, message "Satoshi Nakamoto") and BIP-340's
 * test vectors 0 and 1. Hoon takes hashes, keys and signatures as big-endian numbers.
 *
 * The Nock of an arm that multiplies a secp256k1 point (`sign`, `reco`, `sosi`, and a `sove`
 * whose key lifts to a point) passes the default check budget of 1,000,000 steps, so the
 * check of those cases is skipped; each arm is checked on an input its Nock finishes within
 * the budget (a key or version out of range crashes at once, an x with no point fails
 * early, a key at or above p is refused), and `make` on any input. The products of the
 * skipped cases are the vectors' or, where marked, what the arm's Nock gave with no jet.
 *
 * @module
 */

import { c, type Case, crash } from "./_jet_cases.ts";

/** A hexadecimal number in Hoon's `@ux` syntax. */
function ux(hex: string): string {
  const digits = hex.toLowerCase().replace(/^0+(?=.)/, "");
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 4) {
    groups.unshift(digits.slice(Math.max(0, end - 4), end));
  }
  return `0x${groups.join(".")}`;
}

/** A hexadecimal number as `formatNoun` prints it. */
const dec = (hex: string) => BigInt(`0x${hex}`).toString();

const secp = "secp256k1:secp:crypto";
const schnorr = `schnorr:${secp}`;
const order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
const prime = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
const satoshi = "(rev 3 32 (shax 'Satoshi Nakamoto'))";
const keyLast = ux("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");

// BIP-340 test vector 0: secret key 3, aux and message 0.
const bipPublic = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
const bipSignature = "e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca8215" +
  "25f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0";
// BIP-340 test vector 1.
const bip1Secret = "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef";
const bip1Public = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659";
const bip1Message = "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89";
const bip1Signature = "6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de3341" +
  "8906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a";

const secpCases: Record<string, Case[]> = {
  "secp-make": [
    c(
      `(make-k:${secp} ${satoshi} 1)`,
      dec("8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15"),
    ),
    c(
      `(make-k:${secp} ${satoshi} ${keyLast})`,
      dec("33a19b60e25fb6f4435af53a3d42d493644827367e6453928554f43e49aa6f90"),
    ),
    c(`(make-k:${secp} 1 1)`),
    crash(`(make-k:${secp} 1 0)`),
    crash(`(make-k:${secp} 1 ${ux(order)})`),
    crash(`(make-k:${secp} (bex 256) 1)`),
  ],
  "secp-sign": [
    crash(`(ecdsa-raw-sign:${secp} 1 0)`),
    c(
      `(ecdsa-raw-sign:${secp} ${satoshi} 1)`,
      `[1 ${dec("934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8")} ` +
        `${dec("2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5")}]`,
    ),
    c(
      `(ecdsa-raw-sign:${secp} ${satoshi} ${keyLast})`,
      `[0 ${dec("fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0")} ` +
        `${dec("6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5")}]`,
    ),
    // The arm's Nock, with no jet.
    c(
      `(ecdsa-raw-sign:${secp} 1 1)`,
      "[1 46340862580836590753275244201733144181782255593078084106116359912084275628184 " +
        "34422757281557710791394485763817680720278903982732084711801436767577854872713]",
    ),
  ],
  "secp-reco": [
    crash(`(ecdsa-raw-recover:${secp} 1 [4 1 1])`),
    // 5^3 + 7 is no square mod p: no point has x = 5.
    crash(`(ecdsa-raw-recover:${secp} 1 [0 5 1])`),
    crash(`(ecdsa-raw-recover:${secp} 1 [0 0 1])`),
    // Key 1's signature recovers key 1's public key, the base point.
    c(
      `(ecdsa-raw-recover:${secp} ${satoshi} (ecdsa-raw-sign:${secp} ${satoshi} 1))`,
      `[${dec("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")} ` +
        `${dec("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")}]`,
    ),
    // The arm's Nock, with no jet.
    c(
      `(ecdsa-raw-recover:${secp} 1 [0 1 1])`,
      "[61115326335059482823570308753405168080278883795011793572653667586598180748818 " +
        "76688688905220918619619611808078725072215306593800823503030536987037096156478]",
    ),
  ],
  "secp-sosi": [
    crash(`(sign:${schnorr} 0 1 1)`),
    crash(`(sign:${schnorr} 1 (bex 256) 1)`),
    c(`(sign:${schnorr} 3 0 0)`, dec(bipSignature)),
    c(`(sign:${schnorr} ${ux(bip1Secret)} ${ux(bip1Message)} 1)`, dec(bip1Signature)),
  ],
  "secp-sove": [
    // A key at or above p is no x coordinate: no.
    c(`(verify:${schnorr} ${ux(prime)} 1 1)`, "1"),
    crash(`(verify:${schnorr} 1 1 (bex 512))`),
    c(`(verify:${schnorr} ${ux(bipPublic)} 0 ${ux(bipSignature)})`, "0"),
    c(`(verify:${schnorr} ${ux(bip1Public)} ${ux(bip1Message)} ${ux(bip1Signature)})`, "0"),
    c(`(verify:${schnorr} ${ux(bip1Public)} 0 ${ux(bip1Signature)})`, "1"),
  ],
};

// RFC 4231 (HMAC-SHA-256, -512) and RFC 2202 (HMAC-SHA-1) test cases 2 and 6; byts are
// big-endian, so the text is `swp`ped.
const jefe = "[4 (swp 3 'Jefe')] [28 (swp 3 'what do ya want for nothing?')]";
const longKey = "[131 (fil 3 131 0xaa)] " +
  "[54 (swp 3 'Test Using Larger Than Block-Size Key - Hash Key First')]";
const hmacCases: Record<string, Case[]> = {
  hmac: [
    c(
      `(hmac-sha256l:hmac:crypto ${jefe})`,
      dec("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ),
    c(
      `(hmac-sha512l:hmac:crypto ${jefe})`,
      dec(
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" +
          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
      ),
    ),
    c(`(hmac-sha1l:hmac:crypto ${jefe})`, dec("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")),
    c(
      `(hmac-sha256l:hmac:crypto ${longKey})`,
      dec("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ),
    // The atom form, and a key and message longer than their widths (cut to them).
    c("(hmac-sha256:hmac:crypto 'Jefe' 'what do ya want for nothing?')"),
    c("(hmac-sha256l:hmac:crypto [2 0x1.2345] [1 0x6789])"),
    // Any hash gate: a key over the block size is hashed by it, a short output padded.
    c("(hmac:hmac:crypto [|=([a=@u b=@] (mix a b)) 4 2] [7 0x1234.5678] [2 0xab.cdef])"),
  ],
};

export const cryptoEcCases: Record<string, Case[]> = {
  ...secpCases,
  ...hmacCases,
};
