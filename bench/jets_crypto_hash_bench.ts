/**
 * Argon2 jet benchmark (issue 13): zuse's `++argon2:argon2:crypto` on the ivory pill with
 * small parameters (Argon2id, version 0x13, one lane, 16 KiB, one pass, a 32-byte tag),
 * called through a gate made by `wish`: once with its jet (`crypto-hash/argon2`, the median
 * of several calls) and once in jet-check mode with no step budget
 * (`crypto-hash/argon2-nock`, one call), which is what the arm's Nock took.
 *
 * The ivory pill has no BLAKE3 (zuse's `blake3` arms are newer than it): there is no BLAKE3
 * case.
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { type Arm, jetArmCases } from "./_jet_arms.ts";

const arms: Arm[] = [
  {
    name: "argon2",
    gate:
      "|=(p=@ ((argon2:argon2:crypto 32 %id 0x13 1 16 1 0^0 0^0) [4 p] [8 0x1122.3344.5566.7788]))",
    sample: 0x7061_7373,
    calls: 50,
  },
];

/** Every Argon2 jet benchmark case. */
export function cases(): BenchCase[] {
  return jetArmCases("crypto-hash", arms);
}
