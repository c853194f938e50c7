/**
 * Work for the runtime benchmarks, one job per process (a fresh machine each time, as a user
 * would see it). Prints one JSON object on stdout; progress goes to stderr.
 *
 *   fill DIR ENTRIES          a kv data directory holding ENTRIES entries (%fill in chunks)
 *   pokes DIR COUNT           COUNT durable pokes, each timed
 *   mklog DIR EVENTS          a data directory whose log holds EVENTS puts (no PMA: the next
 *                             open replays them all)
 *   open DIR                  open the data directory, report the boot level and time
 *   snapshot DIR DEPTH        a PMA holding a 2^DEPTH-leaf tree (1 GiB at 24); time snapshot
 *                             creation and verification
 *
 * @module
 */

import { EventLog, Noun, Pma, Runtime } from "../mod.ts";
import { bootKernel, pokeKernel } from "../src/runtime/kernel.ts";
import { SnapshotStore } from "../src/runtime/snapshots.ts";
import { buildTree } from "./pma_peek.ts";
import { collect } from "../mod.ts";

const [job, dir, arg] = Deno.args;
const out = (value: unknown) => console.log(JSON.stringify(value));
const log = (text: string) => console.error(text);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

switch (job) {
  case "fill": {
    const entries = Number(arg);
    const chunk = 100_000;
    const runtime = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
    const t0 = performance.now();
    for (let done = 0, i = 0; done < entries; done += chunk, i++) {
      const n = Math.min(chunk, entries - done);
      using cause = Noun.from(["fill", `f${i}-`, n]);
      const r = runtime.poke(cause);
      r.effects.dispose();
      log(`fill: ${done + n} entries (${(r.computeMs / 1000).toFixed(1)} s for the last chunk)`);
    }
    const count = runtime.peek("/count");
    const total = count.kind === "value" ? count.value.toNumber() : -1;
    runtime.gc();
    const stats = runtime.status().pma;
    runtime.close();
    out({
      entries: total,
      fillSeconds: (performance.now() - t0) / 1000,
      usedBytes: stats.usedBytes,
    });
    break;
  }
  case "pokes": {
    const count = Number(arg);
    const t0 = performance.now();
    const runtime = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
    const openMs = performance.now() - t0;
    const latencies: number[] = [];
    const compute: number[] = [];
    const base = Number(runtime.eventNumber);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      using cause = Noun.from(["put", `bench-${base + i}`, i]);
      const t = performance.now();
      const r = runtime.poke(cause);
      latencies.push(performance.now() - t);
      compute.push(r.computeMs);
      r.effects.dispose();
    }
    const seconds = (performance.now() - start) / 1000;
    const c = runtime.peek("/count");
    const entries = c.kind === "value" ? c.value.toNumber() : -1;
    runtime.close();
    latencies.sort((a, b) => a - b);
    compute.sort((a, b) => a - b);
    out({
      medianMs: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      computeMedianMs: percentile(compute, 0.5),
      pokesPerSecond: count / seconds,
      entries,
      openMs,
    });
    break;
  }
  case "mklog": {
    const events = BigInt(arg);
    const jam = Deno.readFileSync(new URL("../kernels/kv.jam", import.meta.url));
    Deno.mkdirSync(dir, { recursive: true });
    const eventLog = EventLog.open(`${dir}/log.sqlite`);
    eventLog.addKernel(jam, 0n);
    let core = bootKernel(jam);
    eventLog.exec("BEGIN");
    for (let num = 1n; num <= events; num++) {
      using body = Noun.from([["poke", "bench", 0], 0, 0, 0, ["put", `k${num}`, num]]);
      using sample = Noun.cell(num, body);
      const p = pokeKernel(core, sample);
      p.effects.dispose();
      core.dispose();
      core = p.core;
      eventLog.append(num, body.jam(), "/poke/bench", 0, core.mug);
      if (num % 10_000n === 0n) {
        eventLog.exec("COMMIT");
        eventLog.exec("BEGIN");
        log(`mklog: ${num} events`);
      }
    }
    eventLog.exec("COMMIT");
    eventLog.close();
    core.dispose();
    out({ events: Number(events) });
    break;
  }
  case "open": {
    const t0 = performance.now();
    const runtime = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
    const openMs = performance.now() - t0;
    const report = runtime.bootReport;
    runtime.close();
    out({ level: report.level, bootMs: report.bootMs, openMs, replayed: report.replayed });
    break;
  }
  case "snapshot": {
    const depth = Number(arg);
    const pma = Pma.open(`${dir}/pma`, { sidecar: "off" });
    const tree = buildTree(depth);
    collect();
    pma.commit(tree, 1, new Uint8Array(32)).dispose();
    tree.dispose();
    const used = pma.stats().usedBytes;
    const store = new SnapshotStore(`${dir}/snapshots`);
    // The disk's limit in the same run: as many bytes written and fdatasynced.
    const diskMs = writeSyncMs(`${dir}/disk.dat`, used);
    const creates: number[] = [];
    const verifies: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      const entry = store.create("rotating", { kernelHash: "0".repeat(64), stateMug: 0 });
      creates.push(performance.now() - t);
      t = performance.now();
      const check = store.verify(entry);
      verifies.push(performance.now() - t);
      if (!check.ok) throw new Error(check.reason);
    }
    pma.close();
    creates.sort((a, b) => a - b);
    verifies.sort((a, b) => a - b);
    out({
      usedBytes: used,
      createMs: creates[1],
      verifyMs: verifies[1],
      diskWriteSyncMs: diskMs,
      creates,
      verifies,
    });
    break;
  }
  default:
    throw new Error(`Unknown job ${job}`);
}

/** Milliseconds to write `bytes` to a new file at `path` and fdatasync it (then delete it). */
function writeSyncMs(path: string, bytes: number): number {
  const chunk = new Uint8Array(8 * 2 ** 20).fill(0x5a);
  const t = performance.now();
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += chunk.length) file.writeSync(chunk);
  file.syncDataSync();
  const ms = performance.now() - t;
  Deno.removeSync(path);
  return ms;
}
