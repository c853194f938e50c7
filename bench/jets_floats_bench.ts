/**
 * Float jet benchmarks (issue 13, item 5): float loops on the ivory pill, each gate compiled
 * once and called through Nock 9 with `[10.000 k]`:
 *   - `rd-loop-10k`: 10,000 rounds of `x = ((x * 1.0001) + k) / 1.5` in doubles, so one
 *     `mul:rd`, `add:rd` and `div:rd` each round;
 *   - `rs-sqt-10k`: 10,000 rounds of `x = sqrt(x + 2)` in singles;
 *   - `scow-rd-1k`: `scow %rd` of 1,000 doubles `x = x * 1.37 + k` from 0.1 (shortest
 *     decimals by `drg` of `fl`'s `cofl` core, 1 to 17 digits, exponents -1 to 137).
 * `k` is the sample's number, so that no sample repeats another's operands.
 *
 *   deno task bench:harness --filter=jets-floats/
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { pillGateCase } from "./_pill_gate.ts";
import { Noun } from "../mod.ts";

/** A case that slams the gate made by `source` with `[10.000 k]`, a new `k` each sample. */
function gateCase(name: string, source: string, n = 10_000): BenchCase {
  let k = 0;
  return pillGateCase(name, source, () => {
    k += 1;
    return Noun.from([n, k]);
  });
}

/** Every float benchmark case. */
export function cases(): BenchCase[] {
  return [
    gateCase(
      "jets-floats/rd-loop-10k",
      "|=([n=@ k=@] =/(c (sun:rd k) =/(x .~1 |-(?:(=(n 0) x $(n (dec n), x (div:rd (add:rd (mul:rd x .~1.0001) c) .~1.5)))))))",
    ),
    gateCase(
      "jets-floats/rs-sqt-10k",
      "|=([n=@ k=@] =/(x (sun:rs k) |-(?:(=(n 0) x $(n (dec n), x (sqt:rs (add:rs x .2)))))))",
    ),
    gateCase(
      "jets-floats/scow-rd-1k",
      "|=([n=@ k=@] =/(c (sun:rd k) =/(x .~0.1 |-(?:(=(n 0) ~ [(scow %rd x) $(n (dec n), x (add:rd (mul:rd x .~1.37) c))])))))",
      1_000,
    ),
  ];
}
