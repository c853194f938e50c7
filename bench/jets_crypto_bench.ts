/**
 * Crypto jet benchmarks (issue 13): a few of zuse's crypto arms on the ivory pill, each
 * called through a gate made by `wish`, once with its jet (`crypto/<arm>`, the median of
 * several calls) and once in jet-check mode with no step budget (`crypto/<arm>-nock`, one
 * call), where the dashboard runs the jet and then the arm's own Nock: that figure is what
 * the Nock took (the jet's share of it is the first figure).
 *
 * The Nock of `ed-sign` and `ed-puck` multiplies curve points with Hoon's bignum field
 * arithmetic and takes seconds: each runs once.
 *
 * In jet-check mode the jets the arm's Nock reaches run natively: `ecbc-de-nock` is the
 * whole Nock of an AES-256 decryption (what every CBC decryption ran per block before the
 * AES jets), while `cbca-de-nock` and `siva-*-nock` are their Nock over jetted AES cores
 * (for SIV, as before: its MAC and CTR ran on the existing `cbca`/`ctra` encryption jets).
 *
 * `k256-1k` is Keccak-256 of 1 KiB (eight permutations).
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { type Arm, jetArmCases } from "./_jet_arms.ts";

/** RFC 8032 test 1's seed, as a Hoon atom. */
const seed = "0x607f.ae1c.03ac.3b70.1969.327b.69c5.4944.c42c.ec92.f44a.84ba.605a.fdef.9db1.619d";

const arms: Arm[] = [
  { name: "ed-sign", gate: `|=(m=@ (sign:ed:crypto m ${seed}))`, sample: 0x72, calls: 20 },
  { name: "ed-puck", gate: "|=(s=@ (puck:ed:crypto s))", sample: 12345, calls: 20 },
  { name: "cbca-en", gate: "|=(m=@ (~(en cbca:aes:crypto 0x1234 5) m))", sample: 9, calls: 200 },
  { name: "cbca-de", gate: "|=(m=@ (~(de cbca:aes:crypto 0x1234 5) m))", sample: 9, calls: 20 },
  { name: "ecbc-de", gate: "|=(m=@ (~(de ecbc:aes:crypto 0x1234) m))", sample: 9, calls: 20 },
  { name: "siva-en", gate: "|=(m=@ (~(en siva:aes:crypto 0x1234 ~[7]) m))", sample: 9, calls: 20 },
  {
    name: "siva-de",
    gate: "|=(m=@ (~(de siva:aes:crypto 0x1234 ~[7]) (~(en siva:aes:crypto 0x1234 ~[7]) m)))",
    sample: 9,
    calls: 20,
  },
  { name: "scr-hsh", gate: "|=(p=@ (hsh:scr:crypto p 'salt' 16 1 1 32))", sample: 7, calls: 50 },
  {
    name: "ripemd160",
    gate: "|=(m=@ (ripemd-160:ripemd:crypto 100 m))",
    sample: 99,
    calls: 200,
  },
  { name: "k256-1k", gate: "|=(m=@ (keccak-256:keccak:crypto 1.024 m))", sample: 99, calls: 50 },
];

/** Every crypto jet benchmark case. */
export function cases(): BenchCase[] {
  return jetArmCases("crypto", arms);
}
