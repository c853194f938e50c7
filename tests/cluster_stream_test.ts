/**
 * The event stream on a real three-node JetStream cluster (127.0.0.1): publish and read
 * back with headers, readers that follow, fencing of racing and stale publishers by the
 * expected-last-sequence condition, idempotent retry, and publishing through the loss of a
 * NATS node.
 */

import assert from "node:assert/strict";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { ArgumentError } from "../src/core/errors.ts";
import { clusterNames } from "../src/cluster/connection.ts";
import {
  ClusterError,
  ClusterUnavailableError,
  FencedError,
  StreamGapError,
} from "../src/cluster/errors.ts";
import { EventStream } from "../src/cluster/event_stream.ts";
import type { EventReader, StreamEvent, StreamRecord } from "../src/cluster/event_stream.ts";
import { clusterTest, retryFor } from "./_nats.ts";
import type { ClusterContext } from "./_nats.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";

const kernel = "ab".repeat(32);
const encoder = new TextEncoder();

function event(n: bigint, tag = ""): StreamEvent {
  return { event: n, body: encoder.encode(`event ${n}${tag}`), kernel, mug: Number(n) * 7919 };
}

async function collect(reader: EventReader, count: number): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  try {
    for await (const record of reader) {
      out.push(record);
      if (out.length === count) break;
    }
  } finally {
    await reader.close();
  }
  return out;
}

function assertSameEvent(record: StreamRecord, expected: StreamEvent): void {
  assert.deepEqual(record.event, expected.event);
  assert.deepEqual([...record.body], [...expected.body]);
  assert.deepEqual(record.kernel, expected.kernel);
  assert.deepEqual(record.mug, expected.mug);
}

/** What each step of the test gets. */
interface Setup {
  c: ClusterContext;
  nc: NatsConnection;
}

async function roundTrip({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "roundtrip");
  const info = await stream.info();
  assert.deepEqual(info.config.num_replicas, 3);
  assert.deepEqual(info.config.storage, StorageType.File);
  assert.deepEqual(info.config.subjects, ["cellar.roundtrip.events"]);
  const appender = await stream.appender();
  assert.deepEqual(appender.tip, { seq: 0, event: 0n });
  const sent = [1n, 2n, 3n, 4n, 5n].map((n) => event(n));
  for (const [i, e] of sent.entries()) assert.deepEqual((await appender.append(e)).seq, i + 1);
  assert.deepEqual(await stream.tip(), { seq: 5, event: 5n });

  const all = await collect(await stream.read(1n, { until: 5n }), 99);
  assert.deepEqual(all.map((r) => r.seq), [1, 2, 3, 4, 5]);
  all.forEach((r, i) => assertSameEvent(r, sent[i]));
  const tail = await collect(await stream.read(3n, { until: 5n }), 99);
  assert.deepEqual(tail.map((r) => r.event), [3n, 4n, 5n]);

  // The wire format: the headers as other tools see them.
  const raw = await (await jetstreamManager(nc)).streams.getMessage("CELLAR_ROUNDTRIP", {
    seq: 2,
  });
  assert.ok(raw !== null);
  assert.deepEqual(raw.header.get("Cellar-Event"), "2");
  assert.deepEqual(raw.header.get("Cellar-Kernel"), kernel);
  assert.deepEqual(raw.header.get("Cellar-Mug"), (2 * 7919).toString(16).padStart(8, "0"));
}

async function readerFollows({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "roundtrip");
  const reader = await stream.read(6n);
  const got = collect(reader, 3);
  const appender = await stream.appender();
  for (const n of [6n, 7n, 8n]) await appender.append(event(n));
  assert.deepEqual((await got).map((r) => r.event), [6n, 7n, 8n]);
  assert.deepEqual(reader.next, 9n);
}

async function laterStart({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "later");
  const appender = await stream.appender();
  await appender.append(event(101n));
  await appender.append(event(102n));
  const got = await collect(await stream.read(101n, { until: 102n }), 99);
  assert.deepEqual(got.map((r) => [r.event, r.seq]), [[101n, 1], [102n, 2]]);
  await assert.rejects(async () => {
    await collect(await stream.read(100n), 1);
  }, StreamGapError);
  await assert.rejects(() => appender.append(event(104n)), {
    name: "ArgumentError",
    message: "Cannot publish event 104: the stream's last event is 102",
  });
}

async function racingPublishers({ c, nc }: Setup): Promise<void> {
  const other = await c.connect();
  const a = await EventStream.open(nc, "race");
  const b = await EventStream.open(other, "race");
  const winners: string[] = [];
  for (let n = 1n; n <= 5n; n++) {
    const [pa, pb] = [await a.appender(), await b.appender()];
    const results = await Promise.allSettled([
      pa.append(event(n, " from a")),
      pb.append(event(n, " from b")),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.deepEqual([won.length, lost.length], [1, 1], `round ${n}`);
    assert.ok(lost[0].status === "rejected" && lost[0].reason instanceof FencedError);
    const loser = results[0].status === "rejected" ? pa : pb;
    winners.push(results[0].status === "fulfilled" ? " from a" : " from b");
    // Fenced for good: no later append is even tried.
    assert.ok(loser.fenced instanceof FencedError);
    await assert.rejects(() => loser.append(event(n + 1n)), FencedError);
  }
  const stored = await collect(await a.read(1n, { until: 5n }), 99);
  stored.forEach((r, i) => assertSameEvent(r, event(BigInt(i + 1), winners[i])));
}

async function stalePublisher({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "stale");
  const stale = await stream.appender();
  const leader = await stream.appender();
  await leader.append(event(1n));
  await leader.append(event(2n));
  await assert.rejects(() => stale.append(event(1n, " stale")), (error: Error) => {
    assert.ok(error instanceof FencedError);
    assert.match(error.message, /Cannot publish event 1: another writer appended first/);
    return true;
  });
  assert.deepEqual(await stream.tip(), { seq: 2, event: 2n });
}

async function idempotentRetry({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "retry");
  const first = await stream.appender();
  await first.append(event(1n));
  const before = first.tip;
  await first.append(event(2n));
  // A writer that never saw the ack of event 2 sends it again from the same tip.
  const again = await stream.appender(before);
  assert.deepEqual((await again.append(event(2n))).seq, 2);
  assert.deepEqual(again.tip, { seq: 2, event: 2n });
  // The same number with other bytes is another event: fenced.
  const other = await stream.appender(before);
  await assert.rejects(() => other.append(event(2n, " changed")), FencedError);
  assert.deepEqual((await stream.info()).state.messages, 2);
}

async function pipelined({ nc }: Setup): Promise<void> {
  const stream = await EventStream.open(nc, "pipelined");
  const leader = await stream.appender();
  const stale = await stream.appender();
  const group = Array.from({ length: 50 }, (_, i) => event(BigInt(i + 1)));
  const stored = await leader.appendAll(group);
  assert.deepEqual(stored.map((r) => r.seq), group.map((_, i) => i + 1));
  assert.deepEqual(leader.tip, { seq: 50, event: 50n });
  // A stale writer's group is fenced at its first event, and nothing of it is stored.
  const late = [1n, 2n, 3n].map((n) => event(n, " stale"));
  await assert.rejects(() => stale.appendAll(late), FencedError);
  assert.ok(stale.fenced instanceof FencedError);
  // A writer that never saw the ack of the group 51..52 settles it one event at a time:
  // deduplicated, then stored.
  const before = leader.tip;
  await leader.appendAll([event(51n), event(52n)]);
  const again = await stream.appender(before);
  for (const n of [51n, 52n, 53n, 54n, 55n]) {
    assert.deepEqual((await again.append(event(n))).seq, Number(n));
  }
  await assert.rejects(() => again.appendAll([event(57n)]), ArgumentError);
  const all = await collect(await stream.read(1n, { until: 55n }), 99);
  assert.deepEqual(all.length, 55);
  all.forEach((r, i) => assertSameEvent(r, event(BigInt(i + 1))));
}

async function racingGroups({ c, nc }: Setup): Promise<void> {
  const other = await c.connect();
  const a = await EventStream.open(nc, "racegroups");
  const b = await EventStream.open(other, "racegroups");
  // A stale writer's group after another writer's event: its first event is refused by
  // sequence, and its second, whose sequence would fit, by the message id of its predecessor.
  const stale = await b.appender();
  await (await a.appender()).append(event(1n, " a"));
  await assert.rejects(() => stale.appendAll([event(1n, " b"), event(2n, " b")]), FencedError);
  assert.deepEqual(await a.tip(), { seq: 1, event: 1n });
  // Groups racing from the same tip: the stream keeps one of them whole, never a mix.
  let tip = 1n;
  for (let round = 0; round < 8; round++) {
    const [pa, pb] = [await a.appender(), await b.appender()];
    const group = (tag: string) =>
      Array.from({ length: 6 }, (_, i) => event(tip + 1n + BigInt(i), ` ${tag}${round}`));
    await Promise.allSettled([pa.appendAll(group("a")), pb.appendAll(group("b"))]);
    const now = await a.tip();
    assert.ok(now.event > tip, `round ${round}: someone stored something`);
    const stored = await collect(await a.read(tip + 1n, { until: now.event }), 99);
    const tags = new Set(stored.map((r) => new TextDecoder().decode(r.body).split(" ")[2]));
    assert.deepEqual(tags.size, 1, `round ${round}: events of one writer only, got ${[...tags]}`);
    assert.deepEqual(stored.length, 6, `round ${round}: the whole group`);
    tip = now.event;
  }
}

async function badInput({ nc }: Setup): Promise<void> {
  assert.throws(() => clusterNames("Bad.Name"), ArgumentError);
  const stream = await EventStream.open(nc, "input");
  const appender = await stream.appender();
  await assert.rejects(() => appender.append({ ...event(1n), kernel: "xyz" }), ArgumentError);
  await assert.rejects(() => appender.append({ ...event(1n), mug: -1 }), ArgumentError);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "CELLAR_FOREIGN", subjects: ["foreign.>"], num_replicas: 1 });
  await assert.rejects(() => EventStream.open(nc, "foreign"), (error: Error) => {
    assert.ok(error instanceof ClusterError);
    assert.match(error.message, /Stream CELLAR_FOREIGN exists with another configuration/);
    return true;
  });
}

async function nodeLoss({ c, nc }: Setup): Promise<void> {
  // A short ack timeout, so that attempts sent to the dead leader give up soon.
  const stream = await EventStream.open(nc, "survive", { timeoutMs: 1000 });
  const appender = await stream.appender();
  for (const n of [1n, 2n, 3n]) await appender.append(event(n));
  const leaderName = (await stream.info()).cluster?.leader;
  const victim = c.cluster.nodes.findIndex((n) => n.name === leaderName);
  assert.ok(victim >= 0, `stream leader ${leaderName} is one of the nodes`);
  await c.cluster.kill(victim);
  const started = Date.now();
  // Until a new stream leader is elected, publishes time out or find no responder: the
  // same event is sent again (idempotent). Only unavailability is retried.
  await retryFor(20_000, () => appender.append(event(4n)), {
    pauseMs: 200,
    retryIf: (error) => error instanceof ClusterUnavailableError,
  });
  await appender.append(event(5n));
  console.log(`  publish acked ${Date.now() - started} ms after killing ${leaderName}`);
  assert.deepEqual((await stream.info()).cluster?.replicas?.length, 2);
  await c.cluster.restart(victim);
  const all = await collect(await stream.read(1n, { until: 5n }), 99);
  assert.deepEqual(all.map((r) => r.event), [1n, 2n, 3n, 4n, 5n]);
}

const steps: [string, (s: Setup) => Promise<void>][] = [
  ["a new stream is R3 on file storage and round-trips events", roundTrip],
  ["a reader follows events published after it started", readerFollows],
  ["a stream that starts later has no earlier events", laterStart],
  ["of two publishers racing for the same sequence, one wins", racingPublishers],
  ["a stale publisher is fenced", stalePublisher],
  ["re-sending an event whose ack was lost is idempotent", idempotentRetry],
  ["a group published as one atomic batch is stored in order, or fenced", pipelined],
  ["of two groups racing for the same sequences, one is stored whole", racingGroups],
  ["bad input and a foreign stream are refused", badInput],
  ["publishing goes on after the stream's leader node is killed", nodeLoss],
];

clusterTest("cluster stream: publish and read back, fencing, node loss", async (t, c) => {
  const nc = await c.connect();
  for (const [name, step] of steps) await t.step(name, () => step({ c, nc }));
});
