/**
 * A benchmark case that slams a Hoon gate compiled once on the ivory pill, shared by the jet
 * family benchmarks (parsing, text, the map builds). Skipped, saying so, without ../shared/corpus.
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, lastSteps, nock, Noun } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

/** A case that slams the gate `source` (compiled once) with `sample()` and times it. */
export function pillGateCase(name: string, source: string, sample: () => Noun): BenchCase {
  let hoon: Hoon | null = null;
  let gate: Noun | null = null;
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
      using arg = sample();
      using call = Noun.cell(gate!, arg);
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
