/**
 * HTTP server benchmarks (issues 6 and 15), with a Deno client on the same machine (wrk is
 * not installed here; the client shares the two cores with the server, so these are lower
 * bounds):
 * - peek requests per second and p99 latency with 64 concurrent connections while pokes run
 *   at 100 per second;
 * - durable pokes per second over HTTP with 1, 8 and 64 concurrent clients, with p50/p99 and
 *   the flushes per poke from the server's own counters (`/status` `commit`) and from
 *   /proc/diskstats.
 *
 * Each case has its own server: a real `src/server/server.ts` process under the least
 * permissions, on a fresh data directory with the default kernel and 10^4 entries.
 *
 * @module
 */

import type { BenchCase } from "./harness.ts";
import { diskCounters, diskDelta } from "./_diskstats.ts";
import {
  auth,
  pokeJson,
  type ServerProcess,
  startServerProcess,
  stopServer,
} from "../tests/_server_helpers.ts";

let server: ServerProcess | null = null;
let dir = "";

async function ensureServer(): Promise<ServerProcess> {
  if (server) return server;
  dir = Deno.makeTempDirSync({ prefix: "cellar-http-bench-" });
  server = await startServerProcess(dir);
  const r = await pokeJson(server, ["fill", "k", 10_000]);
  if (!r.ok) throw new Error(`fill failed: ${r.status} ${await r.text()}`);
  await r.body?.cancel();
  return server;
}

async function closeServer(): Promise<void> {
  if (server) await stopServer(server);
  server = null;
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function peekLoad(seconds: number): Promise<Record<string, number>> {
  const s = await ensureServer();
  const headers = auth(s.token);
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let pokes = 0;
  let pokeErrors = 0;
  // The poker: a poke launched every 10 ms (100/s) on its own schedule, without waiting for
  // the previous answer (the server queues them in order).
  const inflight: Promise<void>[] = [];
  const poker = (async () => {
    let next = performance.now();
    let i = 0;
    while (performance.now() < deadline) {
      const n = i++;
      inflight.push((async () => {
        const r = await pokeJson(s, ["put", `p${n}`, n]);
        await r.body?.cancel();
        if (r.ok) pokes++;
        else pokeErrors++;
      })());
      next += 10;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();
  const worker = async (w: number) => {
    let i = w;
    while (performance.now() < deadline) {
      const key = `k${(i = (i * 7919 + 13) % 10_000)}`;
      const t = performance.now();
      const r = await fetch(`${s.url}peek/get/${key}`, { headers });
      await r.arrayBuffer();
      if (r.ok) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w + 1)));
  const elapsed = (performance.now() - start) / 1000;
  await poker;
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  return {
    peeksPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    pokesPerSecond: pokes / elapsed,
    pokeErrors,
  };
}

/** The server's commit counters (`/status` `commit`). */
async function commitCounters(s: ServerProcess): Promise<{ syncs: number; groups: number }> {
  const r = await fetch(`${s.url}status`, { headers: auth(s.token) });
  const c = (await r.json()).commit;
  return { syncs: c.pmaSyncs + c.logSyncs, groups: c.groups };
}

async function pokeLoad(seconds: number, clients: number): Promise<Record<string, number>> {
  const s = await ensureServer();
  const before = await commitCounters(s);
  const disk0 = diskCounters(dir);
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (performance.now() < deadline) {
      const t = performance.now();
      const r = await pokeJson(s, ["put", `c${c}-${n++}`, n]);
      await r.body?.cancel();
      if (r.ok) latencies.push(performance.now() - t);
      else errors++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  const disk = diskDelta(disk0, diskCounters(dir));
  const after = await commitCounters(s);
  const pokes = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    pokesPerSecond: pokes / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    meanGroup: pokes / Math.max(after.groups - before.groups, 1),
    flushesPerPoke: (after.syncs - before.syncs) / pokes,
    diskFlushesPerPoke: disk.flushes / pokes,
  };
}

function pokeCase(clients: number, target?: number): BenchCase {
  return {
    name: `http/durable-pokes-${clients}-client${clients === 1 ? "" : "s"}`,
    unit: "pokes/s",
    better: "higher",
    samples: 3,
    target: target === undefined ? undefined : { op: ">=", value: target },
    async sample() {
      const r = await pokeLoad(4, clients);
      const { pokesPerSecond, ...extra } = r;
      return { value: pokesPerSecond, extra };
    },
    teardown: closeServer,
  };
}

/** The HTTP cases. */
export function cases(): BenchCase[] {
  return [
    {
      name: "http/peek-64conn-with-100-pokes-per-s",
      unit: "req/s",
      better: "higher",
      samples: 3,
      async sample() {
        const r = await peekLoad(8);
        return {
          value: r.peeksPerSecond,
          extra: {
            p50Ms: r.p50Ms,
            p99Ms: r.p99Ms,
            errors: r.errors,
            pokesPerSecond: r.pokesPerSecond,
          },
        };
      },
      teardown: closeServer,
    },
    pokeCase(1),
    pokeCase(8),
    // Issue 15: with 64 clients, >= 20x the 8-client figure before group commit (154/s).
    pokeCase(64, 20 * 154),
  ];
}
