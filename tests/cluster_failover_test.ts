/**
 * Cluster mode's faults with real processes: three nats-server nodes, a leader and two
 * followers (`cellar serve --cluster`), killed, paused and restarted under poking clients.
 * Every loop is bounded; each test takes well under a minute.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun, Runtime } from "../mod.ts";
import { EventStream } from "../src/cluster/event_stream.ts";
import { SnapshotBucket } from "../src/cluster/snapshots_bucket.ts";
import { EventLog } from "../src/runtime/event_log.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";
import { clusterTest } from "./_nats.ts";
import { clusterOf, memberFlags, Members, peek, poke, until } from "./_cluster_members.ts";
import type { ServerProcess } from "./_server_helpers.ts";
import { startServerProcess, stopServer } from "./_server_helpers.ts";
import { stateOf } from "./_runtime_helpers.ts";
import { effectsKernelPath } from "./_nockapp_helpers.ts";

const lease = ["--lease-ms", "1000"];
const failover = [...lease, "--auto-failover"];

/** The keys of the `put`s in the stream, in order (each event's cause is `[%put key value]`). */
async function streamKeys(nc: NatsConnection, app: string): Promise<string[]> {
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
}

/** Stop every member cleanly and return each one's state mug and event. */
async function finalStates(members: ServerProcess[]): Promise<{ mug: number; event: bigint }[]> {
  for (const m of members) await stopServer(m);
  return members.map((m) => stateOf(m.dataDir));
}

/** Wait until every member has applied `event`. */
async function converge(members: ServerProcess[], event: number): Promise<void> {
  for (const m of members) {
    await until(`${m.url} reaches event ${event}`, 30_000, async () => {
      return Number((await clusterOf(m)).eventNumber) >= event;
    });
  }
}

/**
 * Clients that poke `put c<client>-<n>` at whoever leads until stopped, recording each key
 * answered 200. A refused or failed poke is tried again under a new key.
 */
function pokers(members: Members, count: number) {
  const answered: string[] = [];
  let stop = false;
  const run = async (client: number) => {
    let n = 0;
    let target: ServerProcess | null = null;
    while (!stop) {
      target ??= await members.leader();
      if (target === null) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const key = `c${client}-${n++}`;
      try {
        const r = await poke(target, ["put", key, n], AbortSignal.timeout(5000));
        await r.body?.cancel();
        if (r.status === 200) answered.push(key);
        else target = null;
      } catch {
        target = null;
      }
    }
  };
  const done = Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  return { answered, stop: async () => (stop = true, await done) };
}

clusterTest(
  "cluster: SIGKILL of the leader under 8 clients loses no answered poke",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "failover");
    try {
      const a = await members.start(failover);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const b = await members.start(["--follow", ...failover]);
      const cc = await members.start(["--follow", ...failover]);
      const clients = pokers(members, 8);
      let live = [a, b, cc];
      for (let round = 0; round < 2; round++) {
        const before = clients.answered.length;
        await until(
          "pokes are answered",
          20_000,
          () => clients.answered.length >= before + 40,
        );
        const leader = (await members.leader(live))!;
        leader.child.kill("SIGKILL");
        await leader.exited;
        live = live.filter((m) => m !== leader);
        await until(
          "another member leads",
          20_000,
          async () => (await members.leader(live)) !== null,
        );
        const after = clients.answered.length;
        await until("pokes resume", 20_000, () => clients.answered.length >= after + 20);
        // The killed member comes back on its own data directory and catches up.
        live.push(await members.start(["--follow", ...failover], leader.dataDir, leader.port));
      }
      await clients.stop();
      const nc = await c.connect();
      const keys = await streamKeys(nc, "failover");
      const counts = new Map<string, number>();
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      for (const k of clients.answered) assert.equal(counts.get(k), 1, `answered poke ${k}`);
      assert.equal(new Set(keys).size, keys.length, "no event twice in the stream");
      await converge(live, keys.length);
      const states = await finalStates(live);
      for (const s of states) assert.deepEqual(s, states[0]);
      assert.equal(states[0].event, BigInt(keys.length));
    } finally {
      await members.killAll();
    }
  },
);

clusterTest("cluster: a leader paused past its lease is fenced after it resumes", async (_t, c) => {
  const members = new Members(c.cluster.urls, "paused");
  try {
    const a = await members.start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await members.start(["--follow", ...failover]);
    for (let i = 0; i < 5; i++) assert.equal((await poke(a, ["put", `a${i}`, i])).status, 200);
    a.child.kill("SIGSTOP");
    await until("b leads", 20_000, async () => (await clusterOf(b)).role === "leader");
    for (let i = 0; i < 5; i++) assert.equal((await poke(b, ["put", `b${i}`, i])).status, 200);
    a.child.kill("SIGCONT");
    // From its first answer on, the old leader accepts nothing.
    const deadline = Date.now() + 3000;
    let tries = 0;
    while (Date.now() < deadline) {
      const r = await poke(a, ["put", `late${tries++}`, 0]);
      await r.body?.cancel();
      assert.notEqual(r.status, 200, "a fenced leader answered a poke with success");
    }
    await until("a follows", 15_000, async () => (await clusterOf(a)).role === "follower");
    await converge([a, b], 10);
    const states = await finalStates([a, b]);
    assert.deepEqual(states[0], states[1]);
    assert.equal(states[0].event, 10n);
  } finally {
    await members.killAll();
  }
});

clusterTest("cluster: a killed follower catches up when it restarts", async (_t, c) => {
  const members = new Members(c.cluster.urls, "restart");
  try {
    const a = await members.start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await members.start(["--follow", ...lease]);
    for (let i = 0; i < 20; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    await converge([b], 20);
    b.child.kill("SIGKILL");
    await b.exited;
    for (let i = 20; i < 40; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    const again = await members.start(["--follow", ...lease], b.dataDir, b.port);
    const read = await peek(again, "get/k39", 40n);
    assert.equal(read.status, 200);
    // A follower sends pokes to the leader.
    const r = await poke(again, ["put", "x", 1]);
    assert.equal(r.status, 307);
    assert.equal(r.headers.get("location"), `${a.url}poke`);
    await r.body?.cancel();
    const states = await finalStates([a, again]);
    assert.deepEqual(states[0], states[1]);
  } finally {
    await members.killAll();
  }
});

clusterTest("cluster: a follower whose state differs stops with an alarm", async (_t, c) => {
  const members = new Members(c.cluster.urls, "mismatch");
  try {
    const a = await members.start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    for (let i = 0; i < 3; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    // Another kernel stands for a replica whose state or code went wrong.
    const kernel = new URL("./fixtures/effects.jam", import.meta.url).pathname;
    const dir = Deno.makeTempDirSync({ prefix: "cellar-member-" });
    Deno.copyFileSync(kernel, `${dir}/other.jam`);
    const b = await members.start(["--follow", ...lease, "--kernel", `${dir}/other.jam`], dir);
    await until("b raises its alarm", 15_000, async () => (await clusterOf(b)).alarm !== null);
    const status = await clusterOf(b);
    assert.equal(status.role, "stopped");
    assert.equal(status.eventNumber, 0);
    assert.match(String(status.alarm), /event 1/);
    assert.equal((await peek(b, "get/k0")).status, 503);
    assert.ok(b.lines.some((l) => l.includes("ALARM")));
  } finally {
    await members.killAll();
  }
});

/** Run `cellar cluster ...` through the CLI's entry point; its exit code and output. */
async function clusterCli(args: string[]): Promise<{ code: number; output: string }> {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main, "cluster", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, output: d.decode(out.stdout) + d.decode(out.stderr) };
}

clusterTest("cluster: status shows the members; promote makes a follower lead", async (_t, c) => {
  const members = new Members(c.cluster.urls, "promote");
  try {
    const a = await members.start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await members.start(["--follow", ...lease]);
    for (let i = 0; i < 3; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    await converge([b], 3);
    const status = ["status", "--cluster", c.cluster.urls.join(","), "--app", "promote"];
    await until("both members reported", 10_000, async () => {
      const { output } = await clusterCli(status);
      return output.includes(a.url.replace(/\/$/, "")) && output.includes(b.url.replace(/\/$/, ""));
    });
    const shown = await clusterCli(status);
    assert.equal(shown.code, 0, shown.output);
    assert.match(shown.output, /stream CELLAR_PROMOTE at event 3/);
    assert.match(shown.output, /lease: held by .* at http:\/\/127\.0\.0\.1/);
    a.child.kill("SIGKILL");
    await a.exited;
    // A --follow member without --auto-failover never leads by itself ...
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await clusterOf(b)).role, "follower");
    // ... until promoted.
    const promoted = await clusterCli(["promote", "--data", b.dataDir]);
    assert.equal(promoted.code, 0, promoted.output);
    assert.match(promoted.output, /leads app promote from event 3/);
    assert.equal((await poke(b, ["put", "after", 1])).status, 200);
  } finally {
    await members.killAll();
  }
});

clusterTest(
  "cluster: a local tail the stream lacks is quarantined, then the member catches up",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "tail");
    try {
      const a = await members.start(lease);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      for (let i = 0; i < 3; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
      await stopServer(a);
      const b = await members.start(lease);
      await until("b leads", 15_000, async () => (await clusterOf(b)).role === "leader");
      for (let i = 3; i < 5; i++) assert.equal((await poke(b, ["put", `k${i}`, i])).status, 200);
      // Behind the cluster's back, a's directory takes an event 4 of its own.
      const local = Runtime.open({ dataDir: a.dataDir });
      using cause = Noun.from(["put", "local", 1]);
      local.poke(cause).effects.dispose();
      local.close();
      const again = await startServerProcess(a.dataDir, {
        flags: memberFlags(a.dataDir),
        waitReady: false,
        args: ["--cluster", c.cluster.urls.join(","), "--app", "tail", "--follow", ...lease],
      });
      members.all.push(again);
      assert.equal((await again.exited).code, 1, again.lines.join("\n"));
      assert.ok(again.lines.some((l) => l.includes("ALARM") && l.includes("event 4")));
      const moved = [...Deno.readDirSync(`${a.dataDir}/quarantine`)].map((e) => e.name);
      assert.equal(moved.filter((n) => n.endsWith("-cluster-tail")).length, 1);
      // The next start follows the stream from the beginning and reaches b's state.
      const third = await members.start(["--follow", ...lease], a.dataDir);
      await converge([third], 5);
      const states = await finalStates([b, third]);
      assert.deepEqual(states[0], states[1]);
    } finally {
      await members.killAll();
    }
  },
);

clusterTest("cluster: service goes on after one NATS node dies", async (_t, c) => {
  const members = new Members(c.cluster.urls, "nodeloss");
  try {
    const a = await members.start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await members.start(["--follow", ...lease]);
    for (let i = 0; i < 10; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    await converge([b], 10);
    await c.cluster.kill(0);
    let accepted = 0;
    await until("pokes are accepted again", 40_000, async () => {
      const r = await poke(a, ["put", `n${accepted}`, accepted]);
      await r.body?.cancel();
      if (r.status === 200) accepted++;
      return accepted >= 10;
    });
    await converge([b], 20);
    const states = await finalStates([a, b]);
    assert.deepEqual(states[0], states[1]);
  } catch (error) {
    for (const m of members.all) {
      console.log(m.lines.filter((l) => l.includes("cluster")).join("\n"));
    }
    for (const m of members.all) console.log(await clusterOf(m).catch(() => null));
    throw error;
  } finally {
    await members.killAll();
  }
});

clusterTest("cluster: an async leader's events reach its followers", async (_t, c) => {
  const members = new Members(c.cluster.urls, "async");
  try {
    const a = await members.start([...lease, "--replicate", "async"]);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await members.start(["--follow", ...lease]);
    for (let i = 0; i < 20; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    await converge([b], 20);
    assert.equal((await peek(b, "get/k19", 20n)).status, 200);
    const states = await finalStates([a, b]);
    assert.deepEqual(states[0], states[1]);
  } finally {
    await members.killAll();
  }
});

clusterTest("cluster: a new member bootstraps from the leader's snapshot", async (_t, c) => {
  const members = new Members(c.cluster.urls, "boot");
  try {
    const a = await members.start([...lease, "--snapshot-every", "10"]);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    for (let i = 0; i < 25; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
    const nc = await c.connect();
    const bucket = await SnapshotBucket.open(nc, "boot");
    await until("the snapshot of event 20 is uploaded", 20_000, async () => {
      return ((await bucket.newest())?.event ?? 0n) >= 20n;
    });
    const dir = Deno.makeTempDirSync({ prefix: "cellar-member-" });
    const args = ["bootstrap", "--cluster", c.cluster.urls.join(","), "--app", "boot"];
    const boot = await clusterCli([...args, "--data", dir]);
    assert.equal(boot.code, 0, boot.output);
    assert.match(boot.output, /bootstrapped .* at event 20 from event-0*20\.slab/);
    const b = await members.start(["--follow", ...lease], dir);
    await converge([b], 25);
    assert.equal((await peek(b, "get/k3")).status, 200);
    const states = await finalStates([a, b]);
    assert.deepEqual(states[0], states[1]);
    // Its log starts at the snapshot: events 1 to 19 were never replayed there.
    const log = EventLog.open(`${dir}/log.sqlite`);
    try {
      assert.equal([...log.range(1n, 19n)].length, 0);
      assert.equal([...log.range(20n, 25n)].length, 6);
    } finally {
      log.close();
    }
  } finally {
    await members.killAll();
  }
});

clusterTest(
  "cluster: serve bootstraps a new member; the stream keeps only what snapshots need",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "trim");
    const urls = c.cluster.urls.join(",");
    try {
      const a = await members.start([...lease, "--snapshot-every", "10", "--keep-snapshots", "1"]);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const old = await members.start(["--follow", ...lease]);
      for (let i = 0; i < 3; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
      await converge([old], 3);
      await stopServer(old);
      for (let i = 3; i < 25; i++) assert.equal((await poke(a, ["put", `k${i}`, i])).status, 200);
      const nc = await c.connect();
      const stream = await EventStream.open(nc, "trim");
      await until("the stream drops the events before the snapshot of 20", 20_000, async () => {
        return await stream.first() === 20n;
      });
      // A new directory: serve itself starts it from the snapshot, not from event 1.
      const fresh = await members.start(["--follow", ...lease]);
      await converge([fresh], 25);
      assert.ok(fresh.lines.some((l) => /bootstrapped at event 20 from event-0*20\.slab/.test(l)));
      // A member left behind the stream's first event sets its state aside and stops ...
      const behind = await startServerProcess(old.dataDir, {
        flags: memberFlags(old.dataDir),
        waitReady: false,
        args: ["--cluster", urls, "--app", "trim", "--follow", ...lease],
      });
      members.all.push(behind);
      assert.equal((await behind.exited).code, 1, behind.lines.join("\n"));
      assert.ok(behind.lines.some((l) => l.includes("ALARM") && l.includes("from 20 on only")));
      const moved = [...Deno.readDirSync(`${old.dataDir}/quarantine`)].map((e) => e.name);
      assert.equal(moved.filter((n) => n.endsWith("-behind-stream")).length, 1);
      // ... and its next start bootstraps from the snapshot.
      const again = await members.start(["--follow", ...lease], old.dataDir);
      await converge([again], 25);
      assert.equal((await peek(again, "get/k24")).status, 200);
      const states = await finalStates([a, fresh, again]);
      assert.deepEqual(states[1], states[0]);
      assert.deepEqual(states[2], states[0]);
      const log = EventLog.open(`${fresh.dataDir}/log.sqlite`);
      try {
        assert.equal([...log.range(1n, 19n)].length, 0);
      } finally {
        log.close();
      }
    } finally {
      await members.killAll();
    }
  },
);

/** The first `count` SSE frames (`id` and `data`) of `url`'s `/effects`, within 20 s. */
async function effectFrames(m: ServerProcess, count: number): Promise<string[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  const r = await fetch(`${m.url}effects`, {
    headers: { authorization: `Bearer ${m.token}` },
    signal: abort.signal,
  });
  assert.equal(r.status, 200);
  const frames: string[] = [];
  let text = "";
  try {
    for await (const chunk of r.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const blocks = text.split("\n\n");
      text = blocks.pop()!;
      frames.push(...blocks.filter((b) => b.startsWith("id: ")));
      if (frames.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return frames.slice(0, count);
}

clusterTest("cluster: a follower streams the effects of the events it applies", async (_t, c) => {
  const members = new Members(c.cluster.urls, "fx");
  const fixtures = effectsKernelPath.replace(/\/[^/]*$/, "");
  const start = async (args: string[]) => {
    const dir = Deno.makeTempDirSync({ prefix: "cellar-member-" });
    const flags = memberFlags(dir).map((f) =>
      f.startsWith("--allow-read=") ? `${f},${fixtures}` : f
    );
    const m = await startServerProcess(dir, {
      flags,
      args: [
        "--cluster",
        c.cluster.urls.join(","),
        "--app",
        "fx",
        "--kernel",
        effectsKernelPath,
        ...args,
      ],
    });
    members.all.push(m);
    return m;
  };
  try {
    const a = await start(lease);
    await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
    const b = await start(["--follow", ...lease]);
    const onB = effectFrames(b, 3);
    const onA = effectFrames(a, 3);
    await new Promise((r) => setTimeout(r, 300)); // both subscribed
    const cause = ["emit", ["markdown", "hi"], ["file", "write", "a.txt", "x"], 0];
    assert.equal((await poke(a, { wire: ["poke", "app", 0], cause })).status, 200);
    assert.equal((await poke(a, ["emit", ["exit", 0], 0])).status, 200);
    const [fromA, fromB] = [await onA, await onB];
    assert.deepEqual(fromB.map((f) => f.split("\n")[0]), ["id: 1.0", "id: 1.1", "id: 2.0"]);
    assert.deepEqual(fromB, fromA);
    assert.match(fromB[1], /"wire":\["poke","app",0\],"effect":\["file","write","a.txt","x"\]/);
  } finally {
    await members.killAll();
  }
});
