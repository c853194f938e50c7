/**
 * Benchmarks of the parser jets (zig/jets/parse.zig) on the ivory pill: `ream` of an 8 KB
 * kernel (kernels/examples/kv-stdlib.hoon, in the repository) and `(star prn)` over a
 * 4,000-character tape, each with its step count. The full-size parse (`ream` of
 * hoon-138.hoon) is `jets/ream-hoon-138` in jets_bench.ts.
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { pillGateCase as gateCase } from "./_pill_gate.ts";
import { Noun } from "../mod.ts";

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
