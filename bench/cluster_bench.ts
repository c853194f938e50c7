/**
 * Cluster mode against one node, in the same run (`docs/CLUSTER.md`, "Figures"):
 *
 * 1. durable pokes/s and p50/p99 latency of a single-node server, then of a cluster leader
 *    in `sync` mode (three nats-server nodes on this host, two followers), with the same
 *    concurrent clients for the same time;
 * 2. the followers' lag at the end of that load;
 * 3. failover time: from a SIGKILL of the leader to the first poke another member accepts
 *    (`--auto-failover`, lease TTL `--lease-ms`).
 *
 * ```sh
 * deno run --allow-all bench/cluster_bench.ts [--seconds 5] [--clients 8] [--lease-ms 1000]
 * deno run --allow-all bench/cluster_bench.ts --sync-only --clients 1,8,64 [--seconds 5]
 * ```
 *
 * `--sync-only` measures only the leader's durable pokes/s in `sync` mode, for each client
 * count of `--clients` (comma separated), on one cluster.
 *
 * ```sh
 * deno run --allow-all bench/cluster_bench.ts --bootstrap-mib 100
 * CELLAR_BENCH_BOOTSTRAP_GIB=1 deno run --allow-all bench/cluster_bench.ts --bootstrap-mib 100
 * ```
 *
 * `--bootstrap-mib N` builds a state of about N MiB on a leader (puts of 512 KiB values),
 * waits until it has uploaded its snapshot, and times a new follower on an empty directory
 * from its start to caught up (it bootstraps from the snapshot). With
 * `CELLAR_BENCH_BOOTSTRAP_GIB=1` it then does the same for 1 GiB (minutes, and more than 15 GiB
 * of disk: three stream replicas, three bucket replicas, the leader's slab, log and snapshot).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Runtime } from "../mod.ts";
import { LocalCluster } from "../tools/nats.ts";
import { connectCluster } from "../src/cluster/connection.ts";
import { SnapshotBucket } from "../src/cluster/snapshots_bucket.ts";
import { clusterOf, memberFlags, Members, poke, until } from "../tests/_cluster_members.ts";
import { startServerProcess, stopServer } from "../tests/_server_helpers.ts";
import type { ServerProcess } from "../tests/_server_helpers.ts";

interface LoadResult {
  pokes: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** `clients` loops poking `target` for `seconds`; latency of every answered poke. */
async function load(target: ServerProcess, clients: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  const end = performance.now() + seconds * 1000;
  const run = async (client: number) => {
    for (let n = 0; performance.now() < end; n++) {
      const started = performance.now();
      const r = await poke(target, ["put", `c${client}-${n}`, n]);
      await r.body?.cancel();
      if (r.status === 200) latencies.push(performance.now() - started);
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, i) => run(i)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    pokes: latencies.length,
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    failed,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Poke `target` at `rate` pokes/s for `seconds` (one client per poke in flight) while
 * sampling the followers' `lagMs` every 50 ms; the lag's p50 and p99 over the samples.
 */
async function lagAtRate(
  target: ServerProcess,
  followers: ServerProcess[],
  rate: number,
  seconds: number,
) {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  let ok = 0;
  const inFlight: Promise<void>[] = [];
  const sampler = (async () => {
    while (performance.now() < end) {
      for (const f of followers) samples.push(Number((await clusterOf(f)).lagMs));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const start = performance.now();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      inFlight.push(
        poke(target, ["put", `r${rate}-${sent}`, sent]).then((r) => {
          if (r.status === 200) ok++;
          return r.body?.cancel();
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const answered = performance.now();
  await Promise.all([sampler, ...inFlight]);
  const drainMs = Math.round(performance.now() - answered);
  samples.sort((a, b) => a - b);
  return {
    rate,
    sent,
    answered200: ok,
    drainMs,
    lagP50Ms: percentile(samples, 0.5),
    lagP99Ms: percentile(samples, 0.99),
  };
}

/** Kill the leader; milliseconds until another member answers a poke with 200. */
async function failoverMs(members: Members, leader: ServerProcess): Promise<number> {
  const others = members.all.filter((m) => m !== leader);
  const killed = performance.now();
  leader.child.kill("SIGKILL");
  await leader.exited;
  for (let n = 0; performance.now() - killed < 60_000; n++) {
    const next = await members.leader(others);
    if (next !== null) {
      const r = await poke(next, ["put", `after-${n}`, n]).catch(() => null);
      await r?.body?.cancel();
      if (r?.status === 200) return Math.round(performance.now() - killed);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("No member accepted a poke within 60 s of the leader's death");
}

async function single(clients: number, seconds: number): Promise<LoadResult> {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-bench-single-" });
  const server = await startServerProcess(dir, { flags: memberFlags(dir) });
  try {
    return await load(server, clients, seconds);
  } finally {
    await stopServer(server);
    Deno.removeSync(dir, { recursive: true });
  }
}

async function clustered(clients: number, seconds: number, leaseMs: number) {
  const nats = await LocalCluster.start();
  const members = new Members(nats.urls, "bench");
  try {
    const flags = ["--lease-ms", String(leaseMs), "--auto-failover"];
    const leader = await members.start(flags);
    await until(
      "the leader leads",
      20_000,
      async () => (await clusterOf(leader)).role === "leader",
    );
    await members.start(["--follow", ...flags]);
    await members.start(["--follow", ...flags]);
    const result = await load(leader, clients, seconds);
    const lag = await Promise.all(
      members.all.slice(1).map(async (m) => {
        const c = await clusterOf(m);
        return { lagEvents: c.lagEvents, lagMs: c.lagMs };
      }),
    );
    const followers = members.all.slice(1);
    const rates = [];
    for (const rate of [100, 1000]) rates.push(await lagAtRate(leader, followers, rate, seconds));
    const failover = await failoverMs(members, leader);
    return { result, lagAtEnd: lag, rates, failoverMs: failover };
  } finally {
    await members.killAll();
    await nats.stop();
  }
}

/** Put `count` distinct values of `bytes` bytes at `leader`, from four clients. */
async function fill(leader: ServerProcess, count: number, bytes: number): Promise<void> {
  const body = "v".repeat(bytes - 32);
  let next = 0;
  const client = async () => {
    while (next < count) {
      const i = next++;
      const r = await poke(leader, ["put", `big${i}`, `${i}:${crypto.randomUUID()}:${body}`]);
      await r.body?.cancel();
      if (r.status !== 200) throw new Error(`Put ${i} was refused: ${r.status}`);
    }
  };
  await Promise.all([client(), client(), client(), client()]);
}

/**
 * A state of about `mib` MiB on a leader, its snapshot uploaded; the time a new follower
 * takes from its start (an empty directory) to caught up.
 */
async function bootstrapTime(mib: number) {
  const valueBytes = 512 * 1024;
  const events = Math.ceil((mib * 2 ** 20) / valueBytes);
  const nats = await LocalCluster.start();
  const members = new Members(nats.urls, "boot");
  const nc = await connectCluster(nats.urls);
  try {
    const leader = await members.start(["--snapshot-every", String(events)]);
    await until(
      "the leader leads",
      20_000,
      async () => (await clusterOf(leader)).role === "leader",
    );
    let started = performance.now();
    await fill(leader, events, valueBytes);
    const fillMs = Math.round(performance.now() - started);
    const bucket = await SnapshotBucket.open(nc, "boot");
    started = performance.now();
    await until("the snapshot is uploaded", 1_800_000, async () => {
      return ((await bucket.newest())?.event ?? 0n) >= BigInt(events);
    });
    const uploadMs = Math.round(performance.now() - started);
    const snapshot = (await bucket.newest())!;
    started = performance.now();
    const follower = await members.start(["--follow"]);
    await until("the follower catches up", 1_800_000, async () => {
      return Number((await clusterOf(follower)).eventNumber) >= events;
    });
    const bootstrapMs = Math.round(performance.now() - started);
    const line = follower.lines.find((l) => l.includes("bootstrapped at event")) ?? "(no line)";
    // For comparison: a member whose directory has a log at event 0 replays the stream.
    const dir = Deno.makeTempDirSync({ prefix: "cellar-member-" });
    Runtime.open({ dataDir: dir }).close();
    started = performance.now();
    const replayer = await members.start(["--follow"], dir);
    await until("the replaying member catches up", 1_800_000, async () => {
      return Number((await clusterOf(replayer)).eventNumber) >= events;
    });
    const replayMs = Math.round(performance.now() - started);
    const snapshotBytes = snapshot.size;
    return { mib, events, fillMs, uploadMs, snapshotBytes, bootstrapMs, replayMs, line };
  } finally {
    await nc.close();
    await members.killAll();
    await nats.stop();
  }
}

/** The leader's `sync` pokes/s for each client count, on one cluster. */
async function syncOnly(clientCounts: number[], seconds: number): Promise<void> {
  const nats = await LocalCluster.start();
  const members = new Members(nats.urls, "bench");
  try {
    const leader = await members.start(["--lease-ms", "5000"]);
    await until(
      "the leader leads",
      20_000,
      async () => (await clusterOf(leader)).role === "leader",
    );
    await members.start(["--follow"]);
    await members.start(["--follow"]);
    for (const clients of clientCounts) {
      const r = await load(leader, clients, seconds);
      console.log(`cluster, sync, ${clients} clients:`, JSON.stringify(r));
    }
  } finally {
    await members.killAll();
    await nats.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "5" },
      clients: { type: "string", default: "8" },
      "lease-ms": { type: "string", default: "1000" },
      "sync-only": { type: "boolean", default: false },
      "bootstrap-mib": { type: "string" },
    },
  });
  if (values["bootstrap-mib"] !== undefined) {
    const sizes = [Number(values["bootstrap-mib"])];
    if (Deno.env.get("CELLAR_BENCH_BOOTSTRAP_GIB") === "1") sizes.push(1024);
    for (const mib of sizes) console.log("bootstrap:", JSON.stringify(await bootstrapTime(mib)));
    Deno.exit(0);
  }
  const seconds = Number(values.seconds);
  const clientCounts = values.clients.split(",").map(Number);
  if (values["sync-only"]) {
    await syncOnly(clientCounts, seconds);
    Deno.exit(0);
  }
  const clients = clientCounts[0];
  const leaseMs = Number(values["lease-ms"]);
  const one = await single(clients, seconds);
  console.log("single node:", JSON.stringify(one));
  const c = await clustered(clients, seconds, leaseMs);
  console.log("cluster, sync, 3 NATS nodes:", JSON.stringify(c.result));
  console.log("ratio of pokes/s:", round(c.result.perSecond / one.perSecond));
  console.log("followers' lag at the end:", JSON.stringify(c.lagAtEnd));
  for (const r of c.rates) console.log("follower lag at a fixed rate:", JSON.stringify(r));
  console.log(`failover (lease ${leaseMs} ms): ${c.failoverMs} ms from SIGKILL to a poke`);
}
