/**
 * The leadership lease on a real three-node JetStream cluster (127.0.0.1): acquire, renew,
 * a contender kept out while the holder renews, expiry and takeover, loss reported at once
 * when the revision changed under the holder, races between contenders, and release.
 */

import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { LeaseHeldError, LeaseLostError } from "../src/cluster/errors.ts";
import { LeaseBucket, leaseKey } from "../src/cluster/lease.ts";
import type { Lease, LeaseClaim } from "../src/cluster/lease.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";
import { clusterTest, retryFor } from "./_nats.ts";

const ttlMs = 600;

function claim(holder: string, event = 0n): LeaseClaim {
  return { holder, url: `http://127.0.0.1:80${holder.charCodeAt(0) % 100}`, event };
}

function open(nc: NatsConnection, app: string): Promise<LeaseBucket> {
  // A generous answer timeout: the TTL is short to keep the test fast, the machine is shared.
  return LeaseBucket.open(nc, app, { ttlMs, timeoutMs: 2000 });
}

/** Acquire for `who`, retrying while held, for at most `ms`. */
function acquireWithin(bucket: LeaseBucket, who: LeaseClaim, ms: number): Promise<Lease> {
  return retryFor(ms, () => bucket.acquire(who), {
    pauseMs: 50,
    retryIf: (error) => error instanceof LeaseHeldError,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What each step of the test gets. */
interface Setup {
  nc: NatsConnection;
  other: NatsConnection;
}

async function acquireAndRenew({ nc }: Setup): Promise<void> {
  const bucket = await open(nc, "basic");
  assert.equal(await bucket.read(), null);
  const lease = await bucket.acquire(claim("a"));
  assert.ok(lease.isValid());
  assert.ok(lease.remainingMs() > ttlMs - 200 && lease.remainingMs() <= ttlMs);
  const first = lease.revision;
  await lease.renew(5n);
  assert.ok(lease.revision > first);
  const stored = await bucket.read();
  assert.ok(stored !== null);
  assert.equal(stored.revision, lease.revision);
  assert.deepEqual({ ...stored.value, expiresAt: 0 }, { ...claim("a", 5n), expiresAt: 0, ttlMs });
  assert.ok(Math.abs(stored.value.expiresAt - (Date.now() + ttlMs)) < 1000);
  const config = (await (await jetstreamManager(nc)).streams.info("KV_cellar_basic_lease"))
    .config;
  assert.equal(config.max_msgs_per_subject, 1);
  assert.equal(config.num_replicas, 3);
}

async function takeover({ nc, other }: Setup): Promise<void> {
  const a = await open(nc, "takeover");
  const b = await open(other, "takeover");
  const lease = await a.acquire(claim("a"));
  // For twice the TTL the holder renews every TTL / 4 and the contender keeps trying.
  let renewedAt = performance.now();
  for (let i = 0; i < 8; i++) {
    await sleep(ttlMs / 4);
    await lease.renew();
    renewedAt = performance.now();
    await assert.rejects(() => b.acquire(claim("b")), LeaseHeldError);
  }
  // The holder stops renewing (a crash, a pause): the contender gets the lease, but only
  // once a full TTL has passed since the holder's last renewal.
  const taken = await acquireWithin(b, claim("b", 9n), 5 * ttlMs);
  assert.ok(performance.now() - renewedAt >= ttlMs, "no takeover before the TTL");
  assert.ok(taken.isValid());
  assert.equal((await a.read())?.value.holder, "b");
  // The old holder knows it is out without asking anyone, and a renewal says so.
  assert.ok(!lease.isValid());
  await assert.rejects(() => lease.renew(), LeaseLostError);
}

async function changedRevision({ nc, other }: Setup): Promise<void> {
  const bucket = await open(nc, "forced");
  const lease = await bucket.acquire(claim("a"));
  // Someone writes the key behind the holder's back (a forced promotion, an operator).
  const kv = await new Kvm(other).open("cellar_forced_lease");
  await kv.put(leaseKey, "not a lease value");
  assert.ok(lease.isValid(), "still within its deadline");
  await assert.rejects(() => lease.renew(), (error: Error) => {
    assert.ok(error instanceof LeaseLostError);
    assert.match(error.message, /is lost: another holder changed it/);
    return true;
  });
  assert.ok(!lease.isValid());
  await assert.rejects(() => lease.release(), LeaseLostError);
  // An unreadable value counts as held, for one TTL, like any other.
  const contender = await open(other, "forced");
  await assert.rejects(() => contender.acquire(claim("b")), /held by \(unreadable\)/);
  await acquireWithin(contender, claim("b"), 5 * ttlMs);
}

async function racingContenders({ nc, other }: Setup): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const a = await open(nc, `race${round}`);
    const b = await open(other, `race${round}`);
    const results = await Promise.allSettled([a.acquire(claim("a")), b.acquire(claim("b"))]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.deepEqual([won.length, lost.length], [1, 1], `round ${round}`);
    assert.ok(lost[0].status === "rejected" && lost[0].reason instanceof LeaseHeldError);
  }
}

async function release({ nc, other }: Setup): Promise<void> {
  const a = await open(nc, "release");
  const b = await open(other, "release");
  const lease = await a.acquire(claim("a"));
  await assert.rejects(() => b.acquire(claim("b")), LeaseHeldError);
  await lease.release();
  assert.equal(await b.read(), null);
  const started = performance.now();
  const next = await b.acquire(claim("b"));
  assert.ok(performance.now() - started < ttlMs);
  assert.ok(next.isValid());
  await assert.rejects(() => lease.renew(), LeaseLostError);
}

const steps: [string, (s: Setup) => Promise<void>][] = [
  ["a free lease is acquired and renewed, in an R3 bucket of history 1", acquireAndRenew],
  ["a contender is kept out while the holder renews; takes over after", takeover],
  ["a holder whose revision changed learns it at its next renewal", changedRevision],
  ["of two contenders for a free lease, one wins", racingContenders],
  ["a released lease is taken at once", release],
];

clusterTest("cluster lease: acquire, renew, expiry, takeover, fencing", async (t, c) => {
  const nc = await c.connect();
  const other = await c.connect();
  for (const [name, step] of steps) await t.step(name, () => step({ nc, other }));
});
