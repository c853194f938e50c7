/**
 * Durability benchmarks (issue 15), each sample a fresh process (bench/_durable_work.ts):
 * - the limit: one `fdatasync` of a 4 KiB append, on an idle disk (appends 20 ms apart) and
 *   under sustained flushing (back to back);
 * - durable poke latency with 1 client through the TS API, idle and sustained, as a multiple
 *   of one flush;
 * - durable pokes/s with 1, 8 and 64 concurrent clients through the TS API (`pokeAsync`
 *   groups them), with p50/p99, the compute limit (1 / compute time per poke), and the
 *   flushes per poke from the runtime's counters and from /proc/diskstats;
 * - the replay rate of the log the 64-client run wrote, next to its live rate.
 *
 * The HTTP figures are in http_bench.ts.
 *
 * @module
 */

import { type BenchCase, median, runWork } from "./harness.ts";

const work = new URL("./_durable_work.ts", import.meta.url).pathname;

function job(args: string[]): Promise<Record<string, number>> {
  return runWork(work, args);
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch { /* absent */ }
}

/** Medians of earlier cases, for the ratios of later ones. */
const seen = {
  flushIdle: [] as number[],
  flushSustained: [] as number[],
  live64: [] as number[],
};
let replayDir = "";

function fsyncCase(name: string, count: number, gapMs: number, into: number[]): BenchCase {
  return {
    name,
    unit: "ms",
    better: "lower",
    samples: 3,
    async sample() {
      const dir = Deno.makeTempDirSync({ prefix: "cellar-fsync-" });
      try {
        const r = await job(["fsync", dir, String(count), String(gapMs)]);
        into.push(r.medianMs);
        return { value: r.medianMs, extra: { p99Ms: r.p99Ms, diskFlushes: r.diskFlushesPerSync } };
      } finally {
        removeQuietly(dir);
      }
    },
  };
}

/** A run of the TS API; `keep` keeps the data directory of the last sample (for replay). */
async function apiRun(clients: number, seconds: number, gapMs: number, keep = false) {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-api-bench-" });
  try {
    return await job(["api", dir, String(clients), String(seconds), String(gapMs)]);
  } finally {
    if (keep) {
      if (replayDir !== "") removeQuietly(replayDir);
      replayDir = dir;
    } else {
      removeQuietly(dir);
    }
  }
}

function extras(r: Record<string, number>): Record<string, number> {
  return {
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    meanGroup: r.meanGroup,
    computeLimitPerS: 1000 / r.computeMedianMs,
    flushesPerPoke: r.flushesPerPoke,
    diskFlushesPerPoke: r.diskFlushesPerPoke,
  };
}

function latencyCase(name: string, gapMs: number, flushes: number[]): BenchCase {
  return {
    name,
    unit: "ms",
    better: "lower",
    samples: 3,
    // Issue 15: at most 1.5 flushes; known once the fsync cases have run.
    get target() {
      return flushes.length === 0 ? undefined : { op: "<=" as const, value: 1.5 * median(flushes) };
    },
    async sample() {
      const r = await apiRun(1, 3, gapMs);
      const flush = median(flushes);
      return { value: r.p50Ms, extra: { ...extras(r), xOneFlush: r.p50Ms / flush } };
    },
  };
}

function rateCase(clients: number, target?: number): BenchCase {
  return {
    name: `durable/api-pokes-${clients}-client${clients === 1 ? "" : "s"}`,
    unit: "pokes/s",
    better: "higher",
    samples: 3,
    target: target === undefined ? undefined : { op: ">=", value: target },
    async sample() {
      const r = await apiRun(clients, 3, 0, clients === 64);
      if (clients === 64) seen.live64.push(r.pokesPerSecond);
      return { value: r.pokesPerSecond, extra: extras(r) };
    },
  };
}

/** The durability cases. */
export function cases(): BenchCase[] {
  return [
    fsyncCase("durable/fdatasync-4KiB-idle", 100, 20, seen.flushIdle),
    fsyncCase("durable/fdatasync-4KiB-sustained", 200, 0, seen.flushSustained),
    latencyCase("durable/api-poke-latency-1-client-idle", 20, seen.flushIdle),
    latencyCase("durable/api-poke-latency-1-client", 0, seen.flushSustained),
    rateCase(1),
    rateCase(8),
    // Issue 15: with 64 clients, >= 20x the 8-client HTTP figure before group commit (154/s).
    rateCase(64, 20 * 154),
    {
      name: "durable/replay-rate",
      unit: "events/s",
      better: "higher",
      samples: 3,
      async sample() {
        if (replayDir === "") throw new Error("the 64-client case left no log to replay");
        const r = await job(["replay", replayDir]);
        const live = median(seen.live64);
        return {
          value: r.eventsPerSecond,
          extra: { events: r.events, live64PerS: live, xLive: r.eventsPerSecond / live },
        };
      },
      teardown() {
        removeQuietly(replayDir);
        replayDir = "";
      },
    },
  ];
}
