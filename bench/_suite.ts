/**
 * One set of small operations measured two ways: as `Deno.bench` cases (`deno bench`, which
 * reports means and percentiles) and as harness cases (`deno task bench:harness`, which
 * reports the median time per call). The `*_bench.ts` files that use it register their
 * operations with {@linkcode registerDenoBench} and export {@linkcode harnessCases} as
 * `cases()`; neither does any work at import (under `deno run`, `Deno.bench` is a no-op).
 *
 * @module
 */

import type { BenchCase } from "./harness.ts";

/** One operation: a call of `fn` is what is measured. */
export interface SuiteOp {
  /** `group/what`, as in the harness. */
  name: string;
  fn: () => void;
}

/** Operations sharing a setup (made on first use) and a teardown (at unload). */
export interface Suite {
  /** The `Deno.bench` group. */
  group: string;
  ops: SuiteOp[];
  setup?: () => void;
  teardown?: () => void;
}

/** Calls `suite.setup` once, on first use, and `suite.teardown` at unload. */
function preparer(suite: Suite): () => void {
  let ready = false;
  return () => {
    if (ready) return;
    ready = true;
    suite.setup?.();
    if (suite.teardown) globalThis.addEventListener("unload", () => suite.teardown!());
  };
}

/** Register each operation as a `Deno.bench` case (the first is the group's baseline). */
export function registerDenoBench(suite: Suite): void {
  const prepare = preparer(suite);
  for (const [index, op] of suite.ops.entries()) {
    Deno.bench({ name: op.name, group: suite.group, baseline: index === 0 }, (b) => {
      prepare();
      b.start();
      op.fn();
      b.end();
    });
  }
}

/**
 * Calls per sample so that a sample lasts about `sampleMs`: after one warm-up call (first
 * calls pay for compilation and lazy setup), batches double until one lasts a quarter of it.
 */
function callsPerSample(fn: () => void, sampleMs: number): number {
  fn();
  for (let calls = 1;; calls *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= sampleMs / 4 || calls >= 1 << 20) {
      return Math.max(1, Math.min(1 << 20, Math.round(calls * sampleMs / Math.max(ms, 0.001))));
    }
  }
}

/**
 * The operations as harness cases: each sample times a batch of calls lasting about
 * `sampleMs`; the figure is the median time per call in microseconds.
 */
export function harnessCases(suite: Suite, samples = 11, sampleMs = 50): BenchCase[] {
  const prepare = preparer(suite);
  return suite.ops.map((op) => {
    let calls = 1;
    return {
      name: op.name,
      unit: "µs/call",
      better: "lower",
      samples,
      setup: () => {
        prepare();
        calls = callsPerSample(op.fn, sampleMs);
      },
      sample: () => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) op.fn();
        return { value: (performance.now() - t0) * 1000 / calls, extra: { calls } };
      },
    };
  });
}
