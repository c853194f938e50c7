/**
 * Benchmarks of the type and formula constructors of the compiler's `%pen` layer
 * (zig/jets/types_pen.zig) on the ivory pill: a fork of 200 constant atom types (one `put`
 * into the fork's set per type) and the compile of a one-line gate against `%noun`, which
 * calls `cell`, `face`, `fork`, `comb` and `cons` throughout. The gate's constant changes
 * with every sample, so that the %memo cache does not answer the whole compile. Each with
 * its step count.
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
  let constant = 0;
  const gate = () => Noun.cord(`|=(a=@ ?:(=(a ${constant++}) [a a] +(a)))`);
  return [
    gateCase("pen/fork-200", forkOf, () => Noun.from(200)),
    gateCase("pen/mint-gate", mint, gate),
  ];
}
