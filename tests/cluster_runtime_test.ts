/**
 * The runtime's replication hooks (no NATS): a leader that publishes before it commits, and a
 * follower that applies the leader's logged events and checks the state mug after each.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun, Runtime } from "../mod.ts";
import {
  replicateBeforeCommit,
  replicateGroupBeforeCommit,
  StateMismatchError,
} from "../src/runtime/runtime.ts";
import type { LoggedInput } from "../src/runtime/runtime.ts";
import { scratchDir } from "./_helpers.ts";

function tempDir(): string {
  return scratchDir("cellar-replicated-");
}

function put(runtime: Runtime, key: string, value: number): bigint {
  using cause = Noun.from(["put", key, value]);
  const result = runtime.poke(cause);
  result.effects.dispose();
  return result.eventNumber;
}

function mugOf(runtime: Runtime): number {
  using state = runtime.state();
  return state.mug;
}

Deno.test("a follower that applies the leader's published events reaches its state", () => {
  const published: LoggedInput[] = [];
  const onComputed = replicateBeforeCommit((e) => {
    published.push({ eventNumber: e.eventNumber, jam: e.jam, stateMug: e.stateMug });
    return null;
  });
  // One runtime per thread: the leader runs, then closes, then the follower opens.
  const leader = Runtime.open({ dataDir: tempDir(), onComputed });
  for (let i = 0; i < 5; i++) put(leader, `k${i}`, i);
  assert.equal(published.length, 5);
  const leaderMug = mugOf(leader);
  const leaderRows = [...leader.log.range(1n, 5n)].map((r) => [r.num, r.stateMug, r.wire]);
  leader.close();
  using follower = Runtime.open({ dataDir: tempDir() });
  const outcomes = follower.applyLogged(published.slice(0, 3));
  assert.equal(outcomes.length, 3);
  for (const o of outcomes) if (o.ok) o.result.effects.dispose();
  assert.equal(follower.eventNumber, 3n);
  for (const o of follower.applyLogged(published.slice(3))) if (o.ok) o.result.effects.dispose();
  assert.equal(follower.eventNumber, 5n);
  assert.equal(mugOf(follower), leaderMug);
  const followerRows = [...follower.log.range(1n, 5n)].map((r) => [r.num, r.stateMug, r.wire]);
  assert.deepEqual(followerRows, leaderRows);
  const r = follower.peek("/get/k4");
  assert.equal(r.kind, "value");
  if (r.kind === "value") r.value.dispose();
});

Deno.test("a poke whose publish is refused leaves no trace", () => {
  let refuse = false;
  const onComputed = replicateBeforeCommit(() =>
    refuse ? new Error("fenced: not the leader") : null
  );
  using leader = Runtime.open({ dataDir: tempDir(), onComputed });
  put(leader, "a", 1);
  const before = mugOf(leader);
  refuse = true;
  assert.throws(() => put(leader, "b", 2), /fenced: not the leader/);
  assert.equal(leader.eventNumber, 1n);
  assert.equal(mugOf(leader), before);
  assert.equal([...leader.log.range(1n, 10n)].length, 1);
  refuse = false;
  assert.equal(put(leader, "c", 3), 2n);
});

Deno.test("a follower stops at a state mug mismatch, keeping the events before it", () => {
  const published: LoggedInput[] = [];
  const onComputed = replicateBeforeCommit((e) => (published.push(e), null));
  const leader = Runtime.open({ dataDir: tempDir(), onComputed });
  for (let i = 0; i < 3; i++) put(leader, `k${i}`, i);
  leader.close();
  using follower = Runtime.open({ dataDir: tempDir() });
  const bad = published.map((e, i) => i === 1 ? { ...e, stateMug: e.stateMug ^ 1 } : e);
  assert.throws(
    () => follower.applyLogged(bad),
    (error) => error instanceof StateMismatchError && error.eventNumber === 2n,
  );
  assert.equal(follower.eventNumber, 1n);
  assert.throws(() => follower.applyLogged(published.slice(2)), /Cannot apply event 3/);
});

Deno.test("a group is published whole before its commit, and refused whole", () => {
  const groups: bigint[][] = [];
  let refuse = false;
  const beforeCommit = replicateGroupBeforeCommit((events) => {
    groups.push(events.map((e) => e.eventNumber));
    return refuse ? new Error("fenced: not the leader") : null;
  });
  using leader = Runtime.open({ dataDir: tempDir(), beforeCommit });
  const many = (from: number) =>
    Array.from({ length: 4 }, (_, i) => ({ cause: Noun.from(["put", `k${from + i}`, i]) }));
  const first = many(0);
  const outcomes = leader.pokeMany(first);
  for (const r of first) r.cause.dispose();
  assert.deepEqual(outcomes.map((o) => o.ok), [true, true, true, true]);
  for (const o of outcomes) if (o.ok) o.result.effects.dispose();
  assert.deepEqual(groups, [[1n, 2n, 3n, 4n]]);
  const before = mugOf(leader);
  refuse = true;
  const second = many(4);
  const refused = leader.pokeMany(second);
  for (const r of second) r.cause.dispose();
  assert.equal(refused.filter((o) => !o.ok).length, 4);
  assert.deepEqual(groups[1], [5n, 6n, 7n, 8n]);
  assert.equal(leader.eventNumber, 4n);
  assert.equal(mugOf(leader), before);
  assert.equal([...leader.log.range(1n, 10n)].length, 4);
  refuse = false;
  assert.equal(put(leader, "c", 3), 5n);
});
