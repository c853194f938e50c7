/**
 * Map and set benchmarks (issue 13, item 5) on the ivory pill: the union and the
 * intersection of two 10,000-key sets that share half their keys, and a sort of 10,000
 * atoms in mug order. Each gate is compiled once; a sample slams it on nouns built in
 * setup, so only the arm's work is timed. (The 10,000-entry map build and lookups are
 * `jets/map-10k` in jets_bench.ts.)
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, lastSteps, nock, Noun } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

/** `(gate sample)`: the gate at axis 2 of `[gate sample]` with its sample replaced. */
const slamFormula = [9, 2, 10, [6, 0, 3], 0, 2];

/** A case that slams the gate `gateSource` on the noun `sampleSource` (both compiled once). */
function slamCase(
  name: string,
  gateSource: string,
  sampleSource: string,
  samples: number,
): BenchCase {
  let hoon: Hoon | null = null;
  let call: Noun | null = null;
  return {
    name,
    unit: "ms",
    better: "lower",
    samples,
    skip,
    setup: () => {
      hoon = Hoon.boot(Deno.readFileSync(pillPath!));
      using gate = hoon.wish(gateSource);
      using sample = hoon.wish(sampleSource);
      call = Noun.from([gate, sample]);
    },
    sample: () => {
      using formula = Noun.from(slamFormula);
      const ms = timeMs(() => nock(call!, formula).dispose());
      return { value: ms, extra: { steps: lastSteps() } };
    },
    teardown: () => {
      call?.dispose();
      hoon?.dispose();
      call = hoon = null;
    },
  };
}

const twoSets = "[(silt (gulf 1 10.000)) (silt (gulf 5.001 15.000))]";

/** Every map and set benchmark case. */
export function cases(): BenchCase[] {
  return [
    slamCase("maps/set-union-10k", "|=([a=(set @) b=(set @)] (~(uni in a) b))", twoSets, 5),
    slamCase("maps/set-intersection-10k", "|=([a=(set @) b=(set @)] (~(int in a) b))", twoSets, 5),
    slamCase("maps/sort-10k", "|=(a=(list @) (sort a lth))", "(turn (gulf 1 10.000) mug)", 3),
  ];
}
