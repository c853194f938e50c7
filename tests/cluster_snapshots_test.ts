/**
 * The snapshot bucket on a real three-node JetStream cluster (127.0.0.1): upload and
 * download of blobs and files with their metadata, newest first, and corruption detected
 * both in the stored bytes and in the recorded blake3.
 */

import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { blake3, hex } from "../src/runtime/files.ts";
import { ClusterUnavailableError, SnapshotCorruptError } from "../src/cluster/errors.ts";
import { SnapshotBucket } from "../src/cluster/snapshots_bucket.ts";
import type { SnapshotInfo } from "../src/cluster/snapshots_bucket.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";
import { clusterTest, retryFor } from "./_nats.ts";

const kernel = "cd".repeat(32);

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  return bytes;
}

function info(event: bigint, kind: "jam" | "slab" = "jam"): SnapshotInfo {
  return { event, kernel, mug: Number(event) + 1, kind };
}

/** Replace the stored chunks of object `name` with `bytes` (a disk gone bad, say). */
async function corruptChunks(nc: NatsConnection, bucket: string, name: string, bytes: Uint8Array) {
  const os = await new Objm(nc).open(bucket);
  const object = await os.info(name);
  assert.ok(object !== null);
  const subject = `$O.${bucket}.C.${object.nuid}`;
  await (await jetstreamManager(nc)).streams.purge(`OBJ_${bucket}`, { filter: subject });
  await jetstream(nc).publish(subject, bytes);
}

/** What each step of the test gets. */
interface Setup {
  nc: NatsConnection;
  dir: string;
}

/**
 * Open `app`'s bucket, waiting while too few servers are online to place it: on a loaded
 * machine the meta leader can count a slow peer offline for a moment.
 */
function openBucket(nc: NatsConnection, app: string): Promise<SnapshotBucket> {
  return retryFor(30_000, () => SnapshotBucket.open(nc, app), {
    pauseMs: 500,
    retryIf: (error) => error instanceof ClusterUnavailableError,
  });
}

async function blobRoundTrip({ nc }: Setup): Promise<void> {
  const bucket = await openBucket(nc, "snap");
  const config = (await (await jetstreamManager(nc)).streams.info("OBJ_cellar_snap_snapshots"))
    .config;
  assert.equal(config.num_replicas, 3);
  const blobs = new Map([[10n, random(1000)], [30n, random(300_000)], [20n, random(0)]]);
  for (const [event, bytes] of blobs) await bucket.upload(bytes, info(event));
  const listed = await bucket.list();
  assert.deepEqual(listed.map((m) => m.event), [30n, 20n, 10n]);
  assert.equal((await bucket.newest())?.event, 30n);
  for (const meta of listed) {
    const { meta: got, bytes } = await bucket.download(meta.name);
    const sent = blobs.get(meta.event)!;
    assert.deepEqual(bytes, sent);
    assert.deepEqual(got, meta);
    assert.equal(got.blake3, hex(blake3(sent)));
    assert.equal(got.size, sent.length);
    assert.deepEqual([got.kernel, got.mug, got.kind], [kernel, Number(got.event) + 1, "jam"]);
  }
}

async function fileRoundTrip({ nc, dir }: Setup): Promise<void> {
  const bucket = await openBucket(nc, "snap");
  const bytes = random(1 << 20);
  const source = `${dir}/slab`;
  await Deno.writeFile(source, bytes);
  const uploaded = await bucket.uploadFile(source, info(40n, "slab"));
  assert.equal(uploaded.name, "event-00000000000000000040.slab");
  assert.equal(uploaded.blake3, hex(blake3(bytes)));
  const target = `${dir}/restored`;
  assert.deepEqual(await bucket.downloadFile(uploaded.name, target), uploaded);
  assert.deepEqual(await Deno.readFile(target), bytes);
  await assert.rejects(() => Deno.stat(`${target}.part`), Deno.errors.NotFound);
  assert.equal((await bucket.newest())?.event, 40n);
}

async function corruptBytes({ nc, dir }: Setup): Promise<void> {
  const bucket = await openBucket(nc, "bad");
  const bytes = random(5000);
  const meta = await bucket.upload(bytes, info(7n));
  const flipped = bytes.slice();
  flipped[1234] ^= 0x01;
  await corruptChunks(nc, "cellar_bad_snapshots", meta.name, flipped);
  // The object store's own digest check catches it before any byte is returned.
  await assert.rejects(() => bucket.download(meta.name), (error: Error) => {
    assert.ok(error instanceof SnapshotCorruptError);
    assert.match(error.message, /is corrupt: .*digests do not match/s);
    return true;
  });
  const target = `${dir}/bad`;
  await assert.rejects(() => bucket.downloadFile(meta.name, target), SnapshotCorruptError);
  await assert.rejects(() => Deno.stat(target), Deno.errors.NotFound);
  await assert.rejects(() => Deno.stat(`${target}.part`), Deno.errors.NotFound);
}

async function lyingBlake3({ nc }: Setup): Promise<void> {
  const bucket = await openBucket(nc, "lying");
  const honest = await bucket.upload(random(2000), info(3n));
  // Another writer stores other bytes under the same metadata (a bug, a mix-up).
  const os = await new Objm(nc).open("cellar_lying_snapshots");
  await os.putBlob(
    { name: honest.name, metadata: (await os.info(honest.name))!.metadata },
    random(2000),
  );
  await assert.rejects(() => bucket.download(honest.name), (error: Error) => {
    assert.ok(error instanceof SnapshotCorruptError);
    assert.match(
      error.message,
      /is corrupt: expected 2000 bytes with blake3 [0-9a-f]{64}, got/,
    );
    return true;
  });
  // An object that is not a snapshot at all is left out of the list.
  await os.putBlob({ name: "stray" }, random(10));
  assert.deepEqual((await bucket.list()).map((m) => m.name), [honest.name]);
}

async function tooFewServers({ nc }: Setup): Promise<void> {
  // Four replicas on three servers cannot be placed: the error that a server the meta
  // leader counts offline also gives. Members wait it out as NATS being unavailable.
  await assert.rejects(
    () => SnapshotBucket.open(nc, "wide", { replicas: 4 }),
    (error: Error) => {
      assert.ok(error instanceof ClusterUnavailableError, String(error));
      assert.match(
        error.message,
        /cellar_wide_snapshots: too few JetStream servers are online to place its replicas \(no suitable peers/,
      );
      return true;
    },
  );
  await openBucket(nc, "wide");
}

const steps: [string, (s: Setup) => Promise<void>][] = [
  ["blobs round-trip with their metadata, newest first", blobRoundTrip],
  ["files round-trip streamed, and land only when verified", fileRoundTrip],
  ["bytes changed in the store are detected", corruptBytes],
  ["a recorded blake3 that does not match the bytes is detected", lyingBlake3],
  ["a bucket that cannot be placed is NATS being unavailable", tooFewServers],
];

clusterTest("cluster snapshots: upload, list, download, verify", async (t, c) => {
  const nc = await c.connect();
  const dir = await Deno.makeTempDir({ prefix: "cellar-snapshots-" });
  try {
    for (const [name, step] of steps) await t.step(name, () => step({ nc, dir }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
