/**
 * Work for the durability benchmarks (issue 15), one job per process. Prints one JSON object
 * on stdout; progress goes to stderr.
 *
 *   fsync DIR COUNT GAP_MS           append 4 KiB to a file and fdatasync it, COUNT times,
 *                                    GAP_MS apart (0: back to back, a disk under sustained
 *                                    flushing; 20: an idle disk)
 *   api DIR CLIENTS SECONDS GAP_MS   a fresh kv data directory (10^4 entries), then CLIENTS
 *                                    concurrent loops of durable pokes through the TS API
 *                                    (`pokeAsync`, which groups them) for SECONDS, each loop
 *                                    waiting GAP_MS between pokes; latency percentiles, rate,
 *                                    and flushes per poke from the runtime's counters and from
 *                                    /proc/diskstats
 *   replay DIR                       replay DIR's whole log in a copy (log only): events/s
 *
 * @module
 */

import { Noun, Runtime } from "../mod.ts";
import type { ReplayProgress } from "../mod.ts";
import { diskCounters, diskDelta } from "./_diskstats.ts";

const [job, dir, ...args] = Deno.args;
const out = (value: unknown) => console.log(JSON.stringify(value));
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function fsyncJob(count: number, gapMs: number): void {
  Deno.mkdirSync(dir, { recursive: true });
  const path = `${dir}/append.bin`;
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(4096).fill(7);
  const times: number[] = [];
  const before = diskCounters(dir);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    file.writeSync(block);
    file.syncDataSync();
    times.push(performance.now() - t);
    if (gapMs > 0) {
      const until = performance.now() + gapMs;
      while (performance.now() < until) { /* spin: a timer would add its own jitter */ }
    }
  }
  const disk = diskDelta(before, diskCounters(dir));
  file.close();
  Deno.removeSync(path);
  times.sort((a, b) => a - b);
  out({
    medianMs: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    count,
    diskFlushesPerSync: disk.flushes / count,
  });
}

async function apiJob(clients: number, seconds: number, gapMs: number): Promise<void> {
  const runtime = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
  {
    using fill = Noun.from(["fill", "k", 10_000]);
    runtime.poke(fill).effects.dispose();
  }
  const before = runtime.commitStatus();
  const pokesBefore = runtime.status().pokes;
  const disk0 = diskCounters(dir);
  const latencies: number[] = [];
  const compute: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (performance.now() < deadline) {
      const i = n++;
      using cause = Noun.from(["put", `c${c}-${i}`, i]);
      const t = performance.now();
      const r = await runtime.pokeAsync(cause);
      latencies.push(performance.now() - t);
      compute.push(r.computeMs);
      r.effects.dispose();
      if (gapMs > 0) await sleep(gapMs);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  const disk = diskDelta(disk0, diskCounters(dir));
  const after = runtime.commitStatus();
  const pokes = runtime.status().pokes - pokesBefore;
  runtime.close();
  latencies.sort((a, b) => a - b);
  compute.sort((a, b) => a - b);
  const pmaSyncs = after.pmaSyncs - before.pmaSyncs;
  const logSyncs = after.logSyncs - before.logSyncs;
  out({
    pokesPerSecond: pokes / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    computeMedianMs: percentile(compute, 0.5),
    pokes,
    meanGroup: pokes / (after.groups - before.groups),
    flushesPerPoke: (pmaSyncs + logSyncs) / pokes,
    diskWritesPerPoke: disk.writes / pokes,
    diskFlushesPerPoke: disk.flushes / pokes,
  });
}

function replayJob(): void {
  const copy = Deno.makeTempDirSync({ prefix: "cellar-replay-bench-" });
  try {
    const src = Runtime.open({ dataDir: dir });
    src.close(); // checkpoints the WAL into log.sqlite
    Deno.copyFileSync(`${dir}/log.sqlite`, `${copy}/log.sqlite`);
    // The rate after the first event (the %fill of 10^4 entries), over the pokes alone.
    const seen: ReplayProgress[] = [];
    const runtime = Runtime.open({
      dataDir: copy,
      snapshotEveryEvents: 0,
      onProgress: (p) => seen.push(p),
    });
    const report = runtime.bootReport;
    runtime.close();
    if (report.level !== 4) throw new Error(`expected a full replay, got level ${report.level}`);
    const first = seen[0];
    const last = seen[seen.length - 1];
    out({
      eventsPerSecond: (last.done - first.done) / ((last.elapsedMs - first.elapsedMs) / 1000),
      events: report.replayed,
      replayMs: report.replayMs,
    });
  } finally {
    Deno.removeSync(copy, { recursive: true });
  }
}

switch (job) {
  case "fsync":
    fsyncJob(Number(args[0]), Number(args[1]));
    break;
  case "api":
    await apiJob(Number(args[0]), Number(args[1]), Number(args[2]));
    break;
  case "replay":
    replayJob();
    break;
  default:
    throw new Error(`Unknown job ${job}`);
}
