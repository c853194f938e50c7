/**
 * Drivers and HTTP kernels in cluster mode, with real processes: three nats-server nodes and
 * `cellar serve --cluster` members. The leader runs the drivers (its wake-ups and ticks are
 * pokes published like any other), followers keep the timer table from the events they
 * apply, a promoted follower fires what the dead leader would have, and a fenced leader's
 * drivers poke nothing. Kernel routes are pokes: followers send them to the leader. Every
 * loop is bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun } from "../mod.ts";
import { toDa } from "../src/runtime/kernel.ts";
import { EventStream } from "../src/cluster/event_stream.ts";
import { TimerStore } from "../src/drivers/timer_store.ts";
import { AttachedDrivers } from "../src/drivers/attached.ts";
import { daToUnixMs, timerDriver } from "../src/drivers/timer.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";
import { clusterTest } from "./_nats.ts";
import { clusterOf, Members, until } from "./_cluster_members.ts";
import { checkGuestbookPages, guestbookPath } from "./_guestbook.ts";
import { effectsKernelPath, text } from "./_nockapp_helpers.ts";
import { stateOf } from "./_runtime_helpers.ts";
import { auth, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";
import { scratchDir } from "./_helpers.ts";

const lease = ["--lease-ms", "1000"];
const failover = [...lease, "--auto-failover"];
const effects = ["--kernel", effectsKernelPath];
const dirOf = (path: string) => path.replace(/\/[^/]*$/, "");
const wakeWire = text(["timer", 1, "wake", 0]);

/** One event of the stream: its number, wire and cause as text, and the driver that poked. */
interface Streamed {
  event: bigint;
  wire: string;
  cause: string;
  /** Unix ms of the event's time (its `now`, set by the member that computed it). */
  at: number;
  driver?: string;
}

/** Every event of `app`'s stream, in order. */
async function streamed(nc: NatsConnection, app: string): Promise<Streamed[]> {
  const stream = await EventStream.open(nc, app);
  const tip = await stream.tip();
  const events: Streamed[] = [];
  if (tip.event === 0n) return events;
  const reader = await stream.read(1n, { until: tip.event });
  for await (const record of reader) {
    using body = Noun.cue(record.body);
    using wire = body.head;
    using cause = body.at(31);
    using now = body.at(30);
    events.push({
      event: record.event,
      wire: wire.toString(),
      cause: cause.toString(),
      at: daToUnixMs(now.toBigInt()),
      driver: record.driver,
    });
  }
  await reader.close();
  return events;
}

/** The wakes of time `at` in `events`. */
function wakesOf(events: Streamed[], at: bigint): Streamed[] {
  const cause = text(["timer", "wake", at]);
  return events.filter((e) => e.wire === wakeWire && e.cause === cause);
}

/** POST `[%emit effects…]` to the member's `/poke` (bigints as hex); the status. */
async function emit(m: ServerProcess, ...effects: unknown[]): Promise<number> {
  const body = JSON.stringify(
    ["emit", ...effects, 0],
    (_key, v) => typeof v === "bigint" ? { hex: `0x${v.toString(16)}` } : v,
  );
  const r = await fetch(`${m.url}poke`, {
    method: "POST",
    headers: { ...auth(m.token), "content-type": "application/json" },
    body,
    redirect: "manual",
  });
  await r.body?.cancel();
  return r.status;
}

/** The `@da` of `ms` from now. */
const daIn = (ms: number) => toDa(Date.now() + ms);

clusterTest(
  "cluster drivers: a wake-up fires once, also when the leader dies before it is due",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "timers", { reads: [dirOf(effectsKernelPath)] });
    const nc = await c.connect();
    try {
      const a = await members.start([...effects, ...failover]);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const b = await members.start(["--follow", ...effects, ...failover]);
      const cc = await members.start(["--follow", ...effects, ...failover]);
      const soon = daIn(1500);
      assert.equal(await emit(a, ["timer", "wait", soon]), 200);
      await until("a fires the first wake", 10_000, async () => {
        return wakesOf(await streamed(nc, "timers"), soon).length === 1;
      });
      const laterAt = Date.now() + 6000;
      const later = toDa(laterAt);
      assert.equal(await emit(a, ["timer", "wait", later]), 200);
      const asked = (await streamed(nc, "timers")).length;
      for (const m of [b, cc]) {
        await until("the followers apply the wait", 10_000, async () => {
          return Number((await clusterOf(m)).eventNumber) >= asked;
        });
      }
      const killedAt = Date.now();
      a.child.kill("SIGKILL");
      await a.exited;
      const next = async () => (await members.leader([b, cc])) !== null;
      await until("a follower takes over", 20_000, next);
      const ledAfterMs = Date.now() - killedAt;
      await until("the new leader fires the later wake", 20_000, async () => {
        return wakesOf(await streamed(nc, "timers"), later).length === 1;
      });
      const firedAt = wakesOf(await streamed(nc, "timers"), later)[0].at;
      console.log(
        `failover: a follower led ${ledAfterMs} ms after the kill; the wake due ` +
          `${laterAt - killedAt} ms after the kill fired ${firedAt - laterAt} ms late`,
      );
      // Time for a second firing of either, by anyone.
      await new Promise((r) => setTimeout(r, 2000));
      const events = await streamed(nc, "timers");
      for (const at of [soon, later]) {
        const wakes = wakesOf(events, at);
        assert.equal(wakes.length, 1, `one wake of ${at}`);
        assert.equal(wakes[0].driver, "timer");
      }
      assert.equal(events.filter((e) => e.wire === wakeWire).length, 2);
      // The killed member rejoins and keeps the same table: nothing more fires.
      const back = await members.start(["--follow", ...effects, ...failover], a.dataDir, a.port);
      await until("the killed member catches up", 20_000, async () => {
        return Number((await clusterOf(back)).eventNumber) >= events.length;
      });
      const live = [back, b, cc];
      for (const m of live) await stopServer(m);
      const states = live.map((m) => stateOf(m.dataDir));
      for (const s of states) assert.deepEqual(s, states[0]);
      assert.equal(states[0].event, BigInt(events.length));
    } finally {
      await members.killAll();
    }
  },
);

clusterTest(
  "cluster drivers: a fenced leader's drivers poke nothing after fencing",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "fenced", { reads: [dirOf(effectsKernelPath)] });
    const nc = await c.connect();
    // Each member ticks its own cause: the stream shows whose driver poked.
    const ticking = (name: string) => ["--timer", "0.2", "--timer-poke", `["tick-${name}", 0]`];
    try {
      const a = await members.start([...effects, ...failover, ...ticking("a")]);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const b = await members.start(["--follow", ...effects, ...failover, ...ticking("b")]);
      const cc = await members.start(["--follow", ...effects, ...failover, ...ticking("c")]);
      const tick = (name: string) => (e: Streamed) => e.cause === text([`tick-${name}`, 0]);
      await until("a ticks", 10_000, async () => {
        return (await streamed(nc, "fenced")).filter(tick("a")).length >= 3;
      });
      // Due while a is paused: the next leader fires it, and a must not when it resumes.
      const due = daIn(1500);
      assert.equal(await emit(a, ["timer", "wait", due]), 200);
      a.child.kill("SIGSTOP");
      try {
        await until("a follower takes over", 20_000, async () => {
          return (await members.leader([b, cc])) !== null;
        });
        await until("the new leader ticks and fires the wake", 20_000, async () => {
          const events = await streamed(nc, "fenced");
          return events.some((e) => tick("b")(e) || tick("c")(e)) &&
            wakesOf(events, due).length === 1;
        });
      } finally {
        a.child.kill("SIGCONT");
      }
      await until("a rejoins as a follower", 20_000, async () => {
        return (await clusterOf(a)).role === "follower";
      });
      // Time for a's interval and wake-up to try, were they still armed.
      await new Promise((r) => setTimeout(r, 2000));
      const events = await streamed(nc, "fenced");
      const takeover = events.findIndex((e) => tick("b")(e) || tick("c")(e));
      const late = events.slice(takeover).filter(tick("a"));
      assert.deepEqual(late.map((e) => e.event), [], "no tick of a after the takeover");
      assert.equal(wakesOf(events, due).length, 1);
      assert.equal((await clusterOf(a)).role, "follower");
      // a follows the new leader's ticks, its own stopped.
      const at = events.length;
      await until("a applies the new leader's ticks", 20_000, async () => {
        return Number((await clusterOf(a)).eventNumber) > at;
      });
      assert.equal(
        (await streamed(nc, "fenced")).filter(tick("a")).length,
        events.filter(tick("a")).length,
      );
    } finally {
      await members.killAll();
    }
  },
);

/** The member's `/_cellar/status` body (the kernel owns the other paths). */
async function apiStatus(m: ServerProcess): Promise<Record<string, unknown>> {
  const r = await fetch(`${m.url}_cellar/status`, { headers: auth(m.token) });
  return await r.json();
}

/** The role of a member serving an HTTP kernel. */
async function kernelRole(m: ServerProcess): Promise<string> {
  return ((await apiStatus(m)).cluster as Record<string, unknown>).role as string;
}

clusterTest(
  "cluster drivers: an HTTP kernel is answered by the leader, followers redirect",
  async (_t, c) => {
    const options = { reads: [dirOf(guestbookPath)], waitReady: false };
    const members = new Members(c.cluster.urls, "guestbook", options);
    const kernel = ["--kernel", guestbookPath, "--http-kernel"];
    try {
      const a = await members.start([...kernel, ...failover]);
      await until("a leads", 20_000, async () => (await kernelRole(a)) === "leader");
      const b = await members.start(["--follow", ...kernel, ...failover]);
      const cc = await members.start(["--follow", ...kernel, ...failover]);
      for (const m of [b, cc]) {
        await until("a follower is ready", 20_000, async () => {
          const s = await apiStatus(m);
          return s.phase === "ready" && (s.cluster as { leader: unknown }).leader !== null;
        });
      }
      await checkGuestbookPages(a.url);
      const leader = a.url.replace(/\/$/, "");
      for (const m of [b, cc]) {
        // A kernel route, read or write, is a poke: sent to the leader, path and query kept.
        let r = await fetch(`${m.url}api/messages?x=1`, { redirect: "manual" });
        assert.equal(r.status, 307);
        assert.equal(r.headers.get("location"), `${leader}/api/messages?x=1`);
        await r.body?.cancel();
        r = await fetch(`${m.url}sign`, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "msg=via a follower\r\n",
          redirect: "manual",
        });
        assert.equal(r.status, 307);
        const location = r.headers.get("location")!;
        assert.equal(location, `${leader}/sign`);
        await r.body?.cancel();
        r = await fetch(location, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: `msg=via ${m.port}\r\n`,
          redirect: "manual",
        });
        assert.equal(r.status, 303);
        await r.body?.cancel();
        // Cellar's API: a poke goes to the leader too, a peek is served here.
        r = await fetch(`${m.url}_cellar/poke`, {
          method: "POST",
          headers: { ...auth(m.token), "content-type": "application/json" },
          body: "0",
          redirect: "manual",
        });
        assert.equal(r.status, 307);
        assert.equal(r.headers.get("location"), `${leader}/_cellar/poke`);
        await r.body?.cancel();
        assert.equal(await kernelRole(m), "follower");
      }
      const r = await fetch(`${a.url}api/messages`);
      const messages = (await r.json()).messages;
      assert.deepEqual(messages, [
        "from fetch <script>",
        `via ${b.port}`,
        `via ${cc.port}`,
      ]);
      const eventOf = async (m: ServerProcess) =>
        Number(((await apiStatus(m)).cluster as { eventNumber: number }).eventNumber);
      const event = await eventOf(a);
      for (const m of [b, cc]) {
        await until("the followers converge", 20_000, async () => (await eventOf(m)) >= event);
      }
      for (const m of [b, cc, a]) await stopServer(m);
      const states = [a, b, cc].map((m) => stateOf(m.dataDir));
      for (const s of states) assert.deepEqual(s, states[0]);
      assert.equal(states[0].event, BigInt(event));
    } finally {
      await members.killAll();
    }
  },
);

clusterTest("cluster drivers: a kernel route without a leader is refused 503", async (_t, c) => {
  const options = { reads: [dirOf(guestbookPath)], waitReady: false };
  const members = new Members(c.cluster.urls, "leaderless", options);
  try {
    const m = await members.start(["--follow", "--kernel", guestbookPath, "--http-kernel"]);
    await until("the member follows", 20_000, async () => (await kernelRole(m)) === "follower");
    const r = await fetch(`${m.url}api/messages`, { redirect: "manual" });
    assert.equal(r.status, 503);
    assert.equal((await r.json()).leader, null);
  } finally {
    await members.killAll();
  }
});

clusterTest(
  "cluster drivers: a member bootstrapped from a snapshot fires the wake-ups asked before it",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "seeded", { reads: [dirOf(effectsKernelPath)] });
    const nc = await c.connect();
    try {
      const a = await members.start([...effects, ...lease, "--snapshot-every", "5"]);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const dueAt = Date.now() + 20_000;
      const due = toDa(dueAt);
      assert.equal(await emit(a, ["timer", "wait", due]), 200);
      for (let i = 0; i < 5; i++) assert.equal(await emit(a), 200);
      await until("a uploads the snapshot of event 5", 20_000, () => {
        return a.lines.some((l) => l.includes("uploaded the snapshot of event 5"));
      });
      const fresh = await members.start(["--follow", ...effects, ...failover]);
      assert.ok(fresh.lines.some((l) => /bootstrapped at event 5 /.test(l)), "bootstrapped");
      await until("the new member catches up", 20_000, async () => {
        return Number((await clusterOf(fresh)).eventNumber) >= 6;
      });
      // Its table came with the snapshot: event 1, which asked for the wake-up, is not here.
      const store = TimerStore.open(`${fresh.dataDir}/timers.sqlite`);
      try {
        assert.deepEqual(store.pending().map((p) => p.at), [due]);
      } finally {
        store.close();
      }
      const killedAt = Date.now();
      assert.ok(killedAt < dueAt - 3000, "the machine is too slow for this test's timing");
      a.child.kill("SIGKILL");
      await a.exited;
      await until("the new member fires the wake", 40_000, async () => {
        return wakesOf(await streamed(nc, "seeded"), due).length === 1;
      });
      await new Promise((r) => setTimeout(r, 1000));
      const wakes = wakesOf(await streamed(nc, "seeded"), due);
      assert.equal(wakes.length, 1);
      assert.ok(wakes[0].at >= dueAt, "not early");
    } finally {
      await members.killAll();
    }
  },
);

clusterTest(
  "cluster drivers: effects are carried out by the leader only (async mode)",
  async (_t, c) => {
    const members = new Members(c.cluster.urls, "effects", { reads: [dirOf(effectsKernelPath)] });
    const nc = await c.connect();
    const async = [...effects, ...lease, "--replicate", "async"];
    const dirs = [0, 1].map(() => Deno.makeTempDirSync({ prefix: "cellar-member-" }));
    const files = (dir: string) => ["--files", `${dir}/files`];
    try {
      const a = await members.start([...async, ...files(dirs[0])], dirs[0]);
      await until("a leads", 15_000, async () => (await clusterOf(a)).role === "leader");
      const b = await members.start(["--follow", ...async, ...files(dirs[1])], dirs[1]);
      const soon = daIn(500);
      const status = await emit(
        a,
        ["file", "write", "note.txt", "hello"],
        ["markdown", "**from the leader**"],
        ["timer", "wait", soon],
      );
      assert.equal(status, 200);
      await until("the file's answer and the wake are in the stream", 10_000, async () => {
        const events = await streamed(nc, "effects");
        return events.length === 3;
      });
      const events = await streamed(nc, "effects");
      assert.deepEqual(events.map((e) => e.driver), [undefined, "file", "timer"]);
      assert.equal(wakesOf(events, soon).length, 1);
      await until("b applies them", 10_000, async () => {
        return Number((await clusterOf(b)).eventNumber) >= 3;
      });
      assert.equal(Deno.readTextFileSync(`${dirs[0]}/files/note.txt`), "hello");
      assert.throws(() => Deno.statSync(`${dirs[1]}/files/note.txt`), Deno.errors.NotFound);
      assert.ok(a.lines.includes("**from the leader**"), a.lines.join("\n"));
      assert.ok(!b.lines.includes("**from the leader**"));
    } finally {
      await members.killAll();
    }
  },
);

/** A computed event of `cause` on `wire` with `effects`, as a follower's writer sees it. */
function computedEvent(eventNumber: bigint, wire: unknown, cause: unknown, effects: Noun) {
  using body = Noun.from([wire as never, 0, 0, 0, cause as never]);
  return { eventNumber, eventJam: body.jam(), effects, stateMug: 0 };
}

Deno.test("cluster drivers: a follower's timer table follows the applied events", async () => {
  const dir = scratchDir("cellar-follower-timers-");
  const storePath = `${dir}/timers.sqlite`;
  const committed: string[] = [];
  const drivers = new AttachedDrivers([timerDriver({ storePath })], {
    commit: (cause) => {
      committed.push(cause.toString());
      return { ok: false, error: new Error("not leading"), refused: true };
    },
    event: () => null,
    log: () => {},
    print: () => {},
    leading: false,
  });
  await drivers.start();
  const [past, later] = [daIn(-1000), daIn(-500)];
  const apply = (
    n: bigint,
    wire: unknown,
    cause: unknown,
    effects: unknown,
    from: string | null,
  ) => {
    using list = Noun.from(effects as never);
    drivers.replicatedComputed(computedEvent(n, wire, cause, list), from);
    drivers.replicated(n);
  };
  try {
    apply(1n, 0, ["emit", 0], [["timer", "wait", past], ["timer", "wait", later], 0], null);
    // The leader's timer fired `past`; a client's poke of the same shape is no delivery.
    apply(2n, ["timer", 1, "wake", 0], ["timer", "wake", past], 0, "timer");
    apply(3n, ["timer", 1, "wake", 0], ["timer", "wake", later], 0, null);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(committed, [], "a follower fires nothing, even what is due");
    const store = TimerStore.open(storePath);
    assert.deepEqual(store.pending().map((p) => p.at), [later]);
    assert.deepEqual(store.intents(), []);
    store.close();
    // Leading, it fires the due wake-up; refused (no longer leading), the wake-up stays.
    drivers.lead(true);
    await until("the wake is tried", 3000, () => committed.length >= 1);
    drivers.lead(false);
    await drivers.idle();
    assert.equal(committed[0], text(["timer", "wake", later]));
    const after = TimerStore.open(storePath);
    assert.deepEqual(after.pending().map((p) => p.at), [later]);
    after.close();
  } finally {
    await drivers.stop();
  }
});

Deno.test("cluster drivers: a snapshot's timer table is the table as of its event", () => {
  const store = TimerStore.open(":memory:");
  const hash = new Uint8Array(32);
  const [t1, t2, t3] = [100n, 200n, 300n];
  store.writeAhead(1n, hash, [{ op: "wait", at: t1 }, { op: "wait", at: t2 }], null);
  store.apply(1n);
  // Event 3 fires t1 (delivered as of 3), event 4 asks for t3, not applied yet; event 6,
  // after the snapshot's event 5, removes t2: the table may be past the snapshot's event,
  // since each later event, applied again, sets or removes what it names.
  store.writeAhead(3n, hash, [], t1);
  store.writeAhead(4n, hash, [{ op: "wait", at: t3 }], null);
  store.writeAhead(6n, hash, [{ op: "rest", at: t2 }], null);
  store.apply(6n);
  const rows = store.pendingAt(5n);
  assert.deepEqual(rows, [{ at: t3, requestedBy: 4n }]);
  assert.deepEqual(store.pendingAt(2n).map((r) => r.at), [t1]);
  store.close();
  const seeded = TimerStore.open(":memory:");
  seeded.seed(rows);
  // The member applies event 6 after the snapshot: the same table.
  seeded.writeAhead(6n, hash, [{ op: "rest", at: t2 }], null);
  seeded.apply(6n);
  assert.deepEqual(seeded.pending().map((p) => [p.at, p.firing]), [[t3, null]]);
  seeded.close();
});
