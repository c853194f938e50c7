/**
 * Benchmarks of the compiler's type engine (zig/jets/types.zig and the %memo cache) on the
 * ivory pill: compiling prefixes of hoon-138.hoon with `(~(mint ut %noun) %noun gen)`, each
 * in a fresh process (so a fresh cache); the value is its CPU time (the machine may be shared),
 * with wall time, steps, the memo counters, the product's mug and the peak RSS beside it. Layer 3
 * is lines 5 to 3995 (up to the end of `%tri`), layer 4 lines 5 to 6652 (up to the end of
 * `%qua`). The whole file is `jets/compile-hoon-138` in jets_bench.ts.
 *
 * @module
 */
import { type BenchCase, corpusPath, runWork } from "./harness.ts";

const workScript = new URL("./_types_work.ts", import.meta.url).pathname;
const skip = corpusPath("pills/ivory.pill") === null || corpusPath("hoon/hoon-138.hoon") === null
  ? "../shared/corpus is absent"
  : undefined;

/** A compile of lines 5 to `last` of hoon-138.hoon. */
function sliceCase(name: string, last: number): BenchCase {
  return {
    name,
    unit: "ms",
    better: "lower",
    samples: 1,
    skip,
    sample: async () => {
      const r = await runWork(workScript, [String(last)]);
      const { mintCpuMs, ...extra } = r;
      return { value: mintCpuMs, extra };
    },
  };
}

/** Every type-engine benchmark case. */
export function cases(): BenchCase[] {
  return [
    sliceCase("types/compile-hoon-138-layer-3", 3995),
    sliceCase("types/compile-hoon-138-layer-4", 6652),
  ];
}
