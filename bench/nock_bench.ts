/**
 * The core, in small operations: a one-step `nock` (an FFI round trip), the jetless
 * decrement of 10,000 (interpreter speed), jam and cue of a 10,000-pair list, and building
 * a 1,000-item list from JavaScript.
 *
 *   deno bench --allow-all bench/nock_bench.ts
 *   deno task bench:harness --filter core-ops/     (medians)
 *
 * @module
 */

import { nock, Noun } from "../mod.ts";
import { decrementFormula } from "./core_bench.ts";
import { harnessCases, registerDenoBench } from "./_suite.ts";
import type { Suite } from "./_suite.ts";
import type { BenchCase } from "./harness.ts";

let increment: [Noun, Noun] | undefined;
let decrement: [Noun, Noun] | undefined;
let pairs: Noun | undefined;
let pairsJam: Uint8Array = new Uint8Array();
const items = Array.from({ length: 1000 }, (_, i) => i);

function pairList(count: number): Noun {
  return Noun.list(Array.from({ length: count }, (_, i) => [i, `key-${i}`]));
}

const suite: Suite = {
  group: "core",
  setup: () => {
    increment = [Noun.atom(41), Noun.from([4, 0, 1])];
    decrement = [Noun.atom(10_000), Noun.from(decrementFormula)];
    pairs = pairList(10_000);
    pairsJam = pairs.jam();
  },
  teardown: () => {
    for (const noun of [...increment ?? [], ...decrement ?? [], pairs]) noun?.dispose();
  },
  ops: [
    { name: "core-ops/nock-increment", fn: () => nock(...increment!).dispose() },
    { name: "core-ops/nock-decrement-10k", fn: () => nock(...decrement!).dispose() },
    { name: "core-ops/jam-10k-pairs", fn: () => void pairs!.jam() },
    { name: "core-ops/cue-10k-pairs", fn: () => Noun.cue(pairsJam).dispose() },
    { name: "core-ops/noun-from-1k-list", fn: () => Noun.list(items).dispose() },
  ],
};

registerDenoBench(suite);

/** The same operations for `bench/run.ts`, as medians. */
export function cases(): BenchCase[] {
  return harnessCases(suite);
}
