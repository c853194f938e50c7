/**
 * Benchmarks of the parser jets (zig/jets/parse.zig) on the ivory pill: `ream` of an 8 KB
 * kernel (kernels/examples/kv-stdlib.hoon, in the repository) and `(star prn)` over a
 * 4,000-character tape, each with its step count. The full-size parse (`ream` of
 * hoon-138.hoon) is `jets/ream-hoon-138` in jets_bench.ts.
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, lastSteps, nock, Noun } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

/** A case that slams the gate `source` (compiled once) with `sample` and times it. */
function gateCase(name: string, source: string, sample: () => Noun): BenchCase {
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

/** Every parser benchmark case. */
export function cases(): BenchCase[] {
  const kernel = Deno.readTextFileSync(
    new URL("../kernels/examples/kv-stdlib.hoon", import.meta.url),
  );
  const line = "the quick brown fox jumps over the lazy dog; ".repeat(89).slice(0, 4_000);
  return [
    gateCase("parse/ream-kv-stdlib", "ream", () => Noun.cord(kernel)),
    gateCase("parse/star-prn-4k", "|=(t=@t (scan (trip t) (star prn)))", () => Noun.cord(line)),
  ];
}
