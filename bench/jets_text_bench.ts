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
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, lastSteps, nock, Noun } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

/** A case that slams the gate made by `source` with `[10.000 k]`, a new `k` each sample. */
function gateCase(name: string, source: string): BenchCase {
  let hoon: Hoon | null = null;
  let gate: Noun | null = null;
  let k = 0;
  return {
    name,
    unit: "ms",
    better: "lower",
    samples: 3,
    skip,
    setup: () => {
      hoon = Hoon.boot(Deno.readFileSync(pillPath!));
      gate = hoon.wish(source);
    },
    sample: () => {
      k += 10_000;
      using call = Noun.from([gate!, 10_000, k]);
      using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
      const ms = timeMs(() => nock(call, slam).dispose());
      return { value: ms, extra: { steps: lastSteps() } };
    },
    teardown: () => {
      gate?.dispose();
      hoon?.dispose();
      gate = hoon = null;
    },
  };
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
