/**
 * The runtime, as an embedder sees it: a durable poke (kernel compute, event log append and
 * PMA commit, both synced) and a peek, on the default kernel holding 10,000 entries in a
 * temporary data directory.
 *
 *   deno bench --allow-all bench/poke_bench.ts
 *   deno task bench:harness --filter runtime-ops/     (medians)
 *
 * @module
 */

import { defaultKernel, Noun, Runtime } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { harnessCases, registerDenoBench } from "./_suite.ts";
import type { Suite } from "./_suite.ts";
import type { BenchCase } from "./harness.ts";

const entries = 10_000;
let dataDir = "";
let runtime: Runtime | undefined;
let counter = 0;

function poke(cause: NounLike): void {
  using noun = Noun.from(cause);
  runtime!.poke(noun).effects.dispose();
}

const suite: Suite = {
  group: "runtime",
  setup: () => {
    dataDir = Deno.makeTempDirSync({ prefix: "cellar_poke_bench_" });
    runtime = Runtime.open({ dataDir, kernel: defaultKernel() });
    poke(["fill", "k", entries]);
  },
  teardown: () => {
    runtime?.close();
    Deno.removeSync(dataDir, { recursive: true });
  },
  ops: [
    { name: "runtime-ops/poke-put-new-key", fn: () => poke(["put", `new${counter++}`, 42]) },
    { name: "runtime-ops/poke-incr", fn: () => poke(["incr", `k${counter++ % entries}`, 1]) },
    {
      name: "runtime-ops/peek-get",
      fn: () => {
        const result = runtime!.peek(["get", `k${counter++ % entries}`]);
        if (result.kind !== "value") throw new Error(`The peek found no value: ${result.kind}`);
        result.value.dispose();
      },
    },
  ],
};

registerDenoBench(suite);

/** The same operations for `bench/run.ts`, as medians. */
export function cases(): BenchCase[] {
  return harnessCases(suite);
}
