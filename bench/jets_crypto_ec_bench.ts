/**
 * Elliptic-curve and MAC jet benchmarks (issue 13): one arm of each family of
 * zig/jets/crypto_ec.zig on the ivory pill, called through a gate made by `wish`, once with
 * its jet (`crypto-ec/<arm>`, the median of several calls) and once in jet-check mode with no
 * step budget (`crypto-ec/<arm>-nock`, one call), where the dashboard runs the jet and then
 * the arm's own Nock: that figure is what the Nock took (the jet's share is the first
 * figure).
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { type Arm, jetArmCases } from "./_jet_arms.ts";

const secp = "secp256k1:secp:crypto";
/** BIP-340 test vector 0: the public key of secret key 3 and its signature of message 0. */
const bipPublic =
  "0xf930.8a01.9258.c310.4934.4f85.f89d.5229.b531.c845.836f.99b0.8601.f113.bce0.36f9";
const bipSignature = "0xe907.831f.8084.8d10.69a5.371b.4024.1036.4bdf.1c5f.8307.b008.4c55.f1ce." +
  "2dca.8215.25f6.6a4a.85ea.8b71.e482.a74f.382d.2ce5.ebee.e8fd.b217.2f47.7df4.900d.3105.36c0";

const arms: Arm[] = [
  { name: "secp-make", gate: `|=(h=@ (make-k:${secp} h 1))`, sample: 7, calls: 200 },
  { name: "secp-sign", gate: `|=(h=@ (ecdsa-raw-sign:${secp} h 1))`, sample: 7, calls: 50 },
  {
    name: "secp-reco",
    gate: `|=(h=@ (ecdsa-raw-recover:${secp} h [0 1 1]))`,
    sample: 7,
    calls: 50,
  },
  { name: "secp-sosi", gate: `|=(m=@ (sign:schnorr:${secp} 3 m 0))`, sample: 0, calls: 50 },
  {
    name: "secp-sove",
    gate: `|=(m=@ (verify:schnorr:${secp} ${bipPublic} m ${bipSignature}))`,
    sample: 0,
    calls: 50,
  },
  {
    name: "hmac",
    gate: "|=(m=@ (hmac-sha256l:hmac:crypto [32 m] [100 m]))",
    sample: 99,
    calls: 200,
  },
];

/** Every elliptic-curve and MAC jet benchmark case. */
export function cases(): BenchCase[] {
  return jetArmCases("crypto-ec", arms);
}
