/**
 * Benchmarks of the small standard-library jets (issue 13) on the ivory pill: `sqt` of a
 * 4096-bit atom, and `by/bif` of a 10,000-entry map (built once, when the gate is compiled)
 * at a key in the middle. Each sample slams the gate once; `steps` shows whether the jet ran
 * (a jetted arm takes a few Nock steps, its Nock thousands).
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { Noun } from "../mod.ts";
import { pillGateCase } from "./_pill_gate.ts";

/** A 4096-bit atom with its top bit set (deterministic: the pattern of a fixed seed). */
function atom4096(): bigint {
  let a = 1n;
  let x = 0x2545f491;
  for (let i = 0; i < 4095; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a = (a << 1n) | BigInt(x & 1);
  }
  return a;
}

const big = atom4096();

const squares = "(malt (turn (gulf 1 10.000) |=(a=@ [a (mul a a)])))";

/** Every case of the small jets. */
export function cases(): BenchCase[] {
  return [
    pillGateCase("small/sqt-4096", "|=(a=@ (sqt a))", () => Noun.from(big)),
    pillGateCase(
      "small/bif-10k",
      `=/  m  ${squares}  |=(k=@ (~(bif by m) k 0))`,
      () => Noun.from(5_000),
    ),
  ];
}
