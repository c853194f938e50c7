/**
 * Cluster soak: three nats-server nodes and three Cellar members (`sync` mode, lease 1 s,
 * `--auto-failover`) under 8 poking clients for `--minutes`, while a chaos loop SIGKILLs a
 * random member (restarted on its directory 1-3 s later) or a random NATS node (restarted
 * 3-6 s later; at most one down at a time) every 4-10 s. At the end everything is restarted,
 * the members converge, and the script prints
 *
 * - `answered`: pokes answered 200;
 * - `lost`: answered pokes not in the stream (must be 0);
 * - `duplicated`: keys stored twice in the stream (must be 0);
 * - `diverged`: members whose final state (event, state mug) differs from the stream's end
 *   or from the others (must be 0), and `alarms`: members that raised an alarm.
 *
 * ```sh
 * deno run --allow-all bench/cluster_soak.ts [--minutes 2] [--seed N]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Noun } from "../mod.ts";
import { LocalCluster } from "../tools/nats.ts";
import { connectCluster } from "../src/cluster/connection.ts";
import { EventStream } from "../src/cluster/event_stream.ts";
import { clusterOf, Members, poke, until } from "../tests/_cluster_members.ts";
import { stopServer } from "../tests/_server_helpers.ts";
import type { ServerProcess } from "../tests/_server_helpers.ts";
import { stateOf } from "../tests/_runtime_helpers.ts";

const flags = ["--lease-ms", "1000", "--auto-failover"];

/** A small seeded generator (mulberry32), so that a run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Members killed (each is restarted as a new process on its directory). */
const dead = new Set<ServerProcess>();

/** Clients poking `put c<client>-<n>` at whoever leads; the keys answered 200. */
function pokers(members: Members, count: number) {
  const answered: string[] = [];
  let failed = 0;
  let stop = false;
  const run = async (client: number) => {
    let target: ServerProcess | null = null;
    for (let n = 0; !stop; n++) {
      target ??= await members.leader();
      if (target === null) {
        await sleep(50);
        continue;
      }
      const key = `c${client}-${n}`;
      try {
        const r = await poke(target, ["put", key, n], AbortSignal.timeout(5000));
        await r.body?.cancel();
        if (r.status === 200) answered.push(key);
        else (failed++, target = null);
      } catch {
        failed++;
        target = null;
      }
    }
  };
  const done = Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  return { answered, failed: () => failed, stop: async () => (stop = true, await done) };
}

/** One chaos step: kill a member or a NATS node, and bring it back after a while. */
async function chaosStep(nats: LocalCluster, members: Members, rand: () => number, log: string[]) {
  if (rand() < 0.6) {
    const live = members.all.filter((m) => !dead.has(m));
    const victim = live[Math.floor(rand() * live.length)];
    if (victim === undefined) return;
    const role = String((await clusterOf(victim).catch(() => ({ role: "?" }))).role);
    victim.child.kill("SIGKILL");
    await victim.exited;
    dead.add(victim);
    log.push(`killed member ${victim.port} (${role})`);
    await sleep(1000 + rand() * 2000);
    await members.start(flags.concat(["--follow"]), victim.dataDir, victim.port);
  } else {
    const node = Math.floor(rand() * nats.nodes.length);
    await nats.kill(node);
    log.push(`killed NATS node ${nats.nodes[node].name}`);
    await sleep(3000 + rand() * 3000);
    await nats.restart(node);
  }
}

/** The keys of the `put`s in the stream, in order. */
async function streamKeys(urls: string[], app: string): Promise<string[]> {
  const nc = await connectCluster(urls);
  try {
    const stream = await EventStream.open(nc, app);
    const tip = await stream.tip();
    const keys: string[] = [];
    if (tip.event === 0n) return keys;
    const reader = await stream.read(1n, { until: tip.event });
    for await (const record of reader) {
      using body = Noun.cue(record.body);
      using key = body.at(126);
      keys.push(key.toCord());
    }
    await reader.close();
    return keys;
  } finally {
    await nc.close();
  }
}

async function soak(minutes: number, seed: number): Promise<void> {
  const rand = random(seed);
  const nats = await LocalCluster.start();
  const members = new Members(nats.urls, "soak");
  const log: string[] = [];
  try {
    const first = await members.start(flags);
    await until("a member leads", 20_000, async () => (await clusterOf(first)).role === "leader");
    await members.start([...flags, "--follow"]);
    await members.start([...flags, "--follow"]);
    const clients = pokers(members, 8);
    const end = performance.now() + minutes * 60_000;
    while (performance.now() < end) {
      await sleep(4000 + rand() * 6000);
      await chaosStep(nats, members, rand, log);
    }
    await sleep(3000);
    await clients.stop();
    const live = members.all.filter((m) => !dead.has(m));
    const keys = await streamKeys(nats.urls, "soak");
    for (const m of live) {
      await until(`${m.port} converges`, 60_000, async () => {
        const c = await clusterOf(m);
        return c.alarm !== null || Number(c.eventNumber) >= keys.length;
      }).catch(() => {});
    }
    const kills = log.length;
    const ends = await Promise.all(live.map((m) => clusterOf(m).catch(() => null)));
    const alarms = ends.filter((c) => c === null || c.alarm !== null).length;
    for (const m of live) await stopServer(m);
    const states = live.map((m) => stateOf(m.dataDir));
    live.forEach((m, i) => {
      const c = ends[i];
      log.push(
        `member ${m.port}: ${c?.role} at event ${states[i].event}, state mug ` +
          `${states[i].mug.toString(16)}${c?.alarm ? `, ALARM ${c.alarm}` : ""}`,
      );
    });
    const stored = new Map<string, number>();
    for (const k of keys) stored.set(k, (stored.get(k) ?? 0) + 1);
    const report = {
      minutes,
      seed,
      kills,
      answered: clients.answered.length,
      failedOrRefused: clients.failed(),
      events: keys.length,
      lost: clients.answered.filter((k) => !stored.has(k)).length,
      duplicated: [...stored.values()].filter((n) => n > 1).length,
      diverged: states.filter((s) =>
        s.event !== BigInt(keys.length) || s.mug !== states[0].mug
      ).length,
      alarms,
    };
    console.log(log.join("\n"));
    console.log("soak:", JSON.stringify(report));
  } finally {
    await members.killAll();
    await nats.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string", default: "2" },
      seed: { type: "string", default: String(Date.now() % 100_000) },
    },
  });
  await soak(Number(values.minutes), Number(values.seed));
}
