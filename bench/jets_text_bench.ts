/**
 * Text jet benchmarks (issue 13, item 5): `scot %p` of 10,000 ships, and the round trip
 * `slav %p` of `scot %p` of as many, on the ivory pill, each gate compiled once and called
 * on 10,000 through Nock 9. The ships are `(mul (add a k) 429.497)` for `a` from 1 to
 * 10,000: planets and stars across the 32-bit range (moons past it), so every one goes
 * through `+fein:ob`. `k` is 10,000 times the sample's number, so that no sample repeats
 * another's ships: `+rend:co` is `~+`, and the %memo cache would answer repeats.
 *
 *   deno task bench:harness --filter=jets-text/
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { pillGateCase } from "./_pill_gate.ts";
import { Noun } from "../mod.ts";

/** A case that slams the gate made by `source` with `[10.000 k]`, a new `k` each sample. */
function gateCase(name: string, source: string): BenchCase {
  let k = 0;
  return pillGateCase(name, source, () => {
    k += 10_000;
    return Noun.from([10_000, k]);
  });
}

/** Every text benchmark case. */
export function cases(): BenchCase[] {
  return [
    gateCase(
      "jets-text/scot-p-10k",
      "|=([n=@ k=@] (turn (gulf 1 n) |=(a=@ (scot %p (mul (add a k) 429.497)))))",
    ),
    gateCase(
      "jets-text/slav-scot-p-10k",
      "|=([n=@ k=@] (turn (gulf 1 n) |=(a=@ (slav %p (scot %p (mul (add a k) 429.497))))))",
    ),
  ];
}
