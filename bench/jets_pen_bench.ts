/**
 * Benchmarks of the type and formula constructors of the compiler's `%pen` layer
 * (zig/jets/types_pen.zig) on the ivory pill: a fork of 200 constant atom types (one `put`
 * into the fork's set per type) and the compile of a one-line gate, which calls `cell`,
 * `face`, `fork`, `comb` and `cons` throughout. Each with its step count.
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { pillGateCase as gateCase } from "./_pill_gate.ts";
import { Noun } from "../mod.ts";

/** Every `%pen` constructor benchmark case. */
export function cases(): BenchCase[] {
  const forkOf = "|=(n=@ (fork:..ap (turn (gulf 1 n) |=(a=@ `type`[%atom %ud `a]))))";
  const mint = "|=(t=@t (~(mint ut %noun) %noun (ream t)))";
  return [
    gateCase("pen/fork-200", forkOf, () => Noun.from(200)),
    gateCase("pen/mint-gate", mint, () => Noun.cord("|=(a=@ (add a 1))")),
  ];
}
