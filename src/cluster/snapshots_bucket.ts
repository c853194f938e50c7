/**
 * Snapshots for bootstrap: the app's object store `cellar_<app>_snapshots` holds state
 * snapshots (a state jam or a PMA slab) that a new follower starts from before reading the
 * stream after them. Each object is named `event-<20-digit event>.<kind>` and carries, as
 * metadata, the event number, the kernel hash, the state mug and the blake3 of its bytes.
 *
 * A download is verified twice: the object store checks its own SHA-256 digest of the
 * chunks, and this module checks the size and blake3 recorded by the uploader. Either
 * failing throws {@linkcode SnapshotCorruptError}; a snapshot that fails is never returned.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { Objm, setSha256Backend, StorageType } from "@nats-io/obj";
import type { ObjectInfo, ObjectResult, ObjectStore, ObjectStoreMeta } from "@nats-io/obj";
import { ArgumentError } from "../core/errors.ts";
import { blake3, blake3File, hex } from "../runtime/files.ts";
import { clusterNames } from "./connection.ts";
import type { ClusterNames } from "./connection.ts";
import { ClusterError, isUnavailable, SnapshotCorruptError, toClusterError } from "./errors.ts";

// The object store checks each object's SHA-256; the client's default is a pure-JS digest,
// several times slower than the runtime's own (`node:crypto`) on a large snapshot.
setSha256Backend("native");

/** Chunks of 512 KiB (the client's default is 128 KiB): fewer messages per snapshot. */
const chunkBytes = 512 * 1024;

/** What a snapshot holds: a jam of the kernel core, or a copy of the PMA slab. */
export type SnapshotBlobKind = "jam" | "slab";

/** What the uploader says about a snapshot. */
export interface SnapshotInfo {
  /** The event the state is at. */
  event: bigint;
  /** blake3 (64 hex digits) of the kernel jam the state runs under. */
  kernel: string;
  /** Mug of the state. */
  mug: number;
  /** What the bytes are. */
  kind: SnapshotBlobKind;
  /** More text the uploader keeps with it (e.g. the local snapshot's manifest). */
  extra?: Record<string, string>;
}

/** A snapshot in the bucket. */
export interface SnapshotMeta extends SnapshotInfo {
  /** Object name, `event-<20-digit event>.<kind>`. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** blake3 (64 hex digits) of the bytes. */
  blake3: string;
  /** When it was stored (ISO time, from the object store). */
  mtime: string;
}

/** Options of {@linkcode SnapshotBucket.open}. */
export interface SnapshotBucketOptions {
  /** Replicas of a bucket this call creates (default 3). */
  replicas?: number;
}

const hexPattern = /^[0-9a-f]{64}$/;
const extraPrefix = "cellar-x-";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const metaKeys = {
  event: "cellar-event",
  kernel: "cellar-kernel",
  mug: "cellar-mug",
  kind: "cellar-kind",
  blake3: "cellar-blake3",
  size: "cellar-size",
} as const;

/**
 * An app's snapshot object store.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { SnapshotBucket } from "./snapshots_bucket.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const bucket = await SnapshotBucket.open(nc, "kv");
 * const info = { event: 9n, kernel: "00".repeat(32), mug: 5, kind: "jam" as const };
 * const meta = await bucket.upload(new Uint8Array([1, 2, 3]), info);
 * const { bytes } = await bucket.download(meta.name);
 * console.log(bytes.length); // 3
 * await nc.close();
 * ```
 */
export class SnapshotBucket {
  /** The app's JetStream names. */
  readonly names: ClusterNames;
  readonly #os: ObjectStore;

  private constructor(names: ClusterNames, os: ObjectStore) {
    this.names = names;
    this.#os = os;
  }

  /** Open `app`'s snapshot bucket, creating it when absent. */
  static async open(
    nc: NatsConnection,
    app: string,
    options: SnapshotBucketOptions = {},
  ): Promise<SnapshotBucket> {
    const names = clusterNames(app);
    try {
      const os = await new Objm(nc).create(names.snapshotBucket, {
        replicas: options.replicas ?? 3,
        storage: StorageType.File,
        description: `Cellar snapshots of app ${app}`,
      });
      return new SnapshotBucket(names, os);
    } catch (error) {
      throw toClusterError(error, `open the snapshot bucket ${names.snapshotBucket}`);
    }
  }

  /** Store `bytes` as the snapshot described by `info` (replacing one of the same name). */
  async upload(bytes: Uint8Array, info: SnapshotInfo): Promise<SnapshotMeta> {
    const meta = objectMeta(info, bytes.length, hex(blake3(bytes)));
    try {
      return parseMeta(await this.#os.putBlob(meta, bytes));
    } catch (error) {
      throw toClusterError(error, `upload snapshot ${meta.name}`);
    }
  }

  /** Store the file at `path` (read as a stream, never whole in memory) as a snapshot. */
  async uploadFile(path: string, info: SnapshotInfo): Promise<SnapshotMeta> {
    const { digest, size } = blake3File(path);
    const meta = objectMeta(info, size, hex(digest));
    const file = await Deno.open(path, { read: true });
    try {
      return parseMeta(await this.#os.put(meta, file.readable));
    } catch (error) {
      throw toClusterError(error, `upload snapshot ${meta.name} from ${path}`);
    } finally {
      try {
        file.close(); // already closed when the stream was read to its end
      } catch {
        // Nothing to close.
      }
    }
  }

  /**
   * Every snapshot in the bucket, newest (highest event) first. Objects whose metadata is
   * not a snapshot's are left out (one stray object must not stop every bootstrap).
   */
  async list(): Promise<SnapshotMeta[]> {
    let infos: ObjectInfo[];
    try {
      infos = await this.#os.list();
    } catch (error) {
      throw toClusterError(error, `list the snapshots in ${this.names.snapshotBucket}`);
    }
    const metas: SnapshotMeta[] = [];
    for (const i of infos) {
      if (i.deleted) continue;
      try {
        metas.push(parseMeta(i));
      } catch (error) {
        if (!(error instanceof SnapshotCorruptError)) throw error;
      }
    }
    return metas.sort((a, b) => a.event > b.event ? -1 : a.event < b.event ? 1 : 0);
  }

  /** Delete snapshot `name` (a no-op when it is not there). */
  async remove(name: string): Promise<void> {
    try {
      await this.#os.delete(name);
    } catch (error) {
      throw toClusterError(error, `delete snapshot ${name}`);
    }
  }

  /** The newest snapshot, or null when there is none. */
  async newest(): Promise<SnapshotMeta | null> {
    return (await this.list())[0] ?? null;
  }

  /** The bytes of snapshot `name`, verified (else {@linkcode SnapshotCorruptError}). */
  async download(name: string): Promise<{ meta: SnapshotMeta; bytes: Uint8Array }> {
    const result = await this.#get(name);
    const meta = parseMeta(result.info);
    const bytes = await readAll(result, meta);
    if (bytes.length !== meta.size || hex(blake3(bytes)) !== meta.blake3) {
      throw corrupt(meta, `${bytes.length} bytes with blake3 ${hex(blake3(bytes))}`);
    }
    return { meta, bytes };
  }

  /**
   * Download snapshot `name` to the file `path`, streamed: written to `path.part`, verified,
   * then renamed to `path` (so `path` only ever holds a verified snapshot).
   */
  async downloadFile(name: string, path: string): Promise<SnapshotMeta> {
    const result = await this.#get(name);
    const meta = parseMeta(result.info);
    const part = `${path}.part`;
    const file = await Deno.open(part, { write: true, create: true, truncate: true });
    try {
      await result.data.pipeTo(file.writable);
      await settle(result, meta);
      const { digest, size } = blake3File(part);
      if (size !== meta.size || hex(digest) !== meta.blake3) {
        throw corrupt(meta, `${size} bytes with blake3 ${hex(digest)}`);
      }
    } catch (error) {
      await Deno.remove(part).catch(() => {});
      throw readFailure(meta, error);
    }
    await Deno.rename(part, path);
    return meta;
  }

  async #get(name: string): Promise<ObjectResult> {
    let result: ObjectResult | null;
    try {
      result = await this.#os.get(name);
    } catch (error) {
      throw toClusterError(error, `download snapshot ${name}`);
    }
    if (result === null) {
      throw new ClusterError(`No snapshot ${name} in ${this.names.snapshotBucket}`);
    }
    return result;
  }
}

function objectMeta(info: SnapshotInfo, size: number, digest: string): ObjectStoreMeta {
  if (info.event < 0n) throw new ArgumentError(`Invalid snapshot event: ${info.event}`);
  if (!hexPattern.test(info.kernel)) {
    throw new ArgumentError(`Invalid kernel hash: ${info.kernel} (want 64 lowercase hex digits)`);
  }
  if (!Number.isInteger(info.mug) || info.mug < 0 || info.mug > 0x7fff_ffff) {
    throw new ArgumentError(`Invalid mug: ${info.mug}`);
  }
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(info.extra ?? {})) {
    if (!/^[a-z0-9-]{1,40}$/.test(key)) throw new ArgumentError(`Invalid extra key: ${key}`);
    extra[`${extraPrefix}${key}`] = btoa(String.fromCharCode(...encoder.encode(value)));
  }
  return {
    name: `event-${info.event.toString().padStart(20, "0")}.${info.kind}`,
    options: { max_chunk_size: chunkBytes },
    metadata: {
      ...extra,
      [metaKeys.event]: info.event.toString(),
      [metaKeys.kernel]: info.kernel,
      [metaKeys.mug]: info.mug.toString(),
      [metaKeys.kind]: info.kind,
      [metaKeys.blake3]: digest,
      [metaKeys.size]: size.toString(),
    },
  };
}

/** The snapshot described by an object's info; {@linkcode SnapshotCorruptError} if malformed. */
function parseMeta(info: ObjectInfo): SnapshotMeta {
  const m = info.metadata ?? {};
  const event = m[metaKeys.event] ?? "";
  const kind = m[metaKeys.kind];
  const size = Number(m[metaKeys.size]);
  const mug = Number(m[metaKeys.mug]);
  if (
    !/^[0-9]+$/.test(event) || (kind !== "jam" && kind !== "slab") ||
    !hexPattern.test(m[metaKeys.kernel] ?? "") || !hexPattern.test(m[metaKeys.blake3] ?? "") ||
    !Number.isSafeInteger(size) || size !== info.size || !Number.isInteger(mug)
  ) {
    throw new SnapshotCorruptError(
      `Snapshot ${info.name} has malformed metadata: ${JSON.stringify(m)} (size ${info.size})`,
    );
  }
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(m)) {
    if (!key.startsWith(extraPrefix)) continue;
    try {
      extra[key.slice(extraPrefix.length)] = decoder.decode(
        Uint8Array.from(atob(value), (c) => c.charCodeAt(0)),
      );
    } catch {
      throw new SnapshotCorruptError(`Snapshot ${info.name} has a malformed ${key}`);
    }
  }
  return {
    extra,
    name: info.name,
    event: BigInt(event),
    kernel: m[metaKeys.kernel],
    mug,
    kind,
    size,
    blake3: m[metaKeys.blake3],
    mtime: info.mtime,
  };
}

async function readAll(result: ObjectResult, meta: SnapshotMeta): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of result.data) {
      chunks.push(chunk);
      length += chunk.length;
    }
  } catch (error) {
    throw readFailure(meta, error);
  }
  await settle(result, meta);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, at), at += chunk.length;
  return bytes;
}

/** Wait for the object store's own verdict on the stream just read. */
async function settle(result: ObjectResult, meta: SnapshotMeta): Promise<void> {
  let failure: Error | null;
  try {
    failure = await result.error;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }
  if (failure) throw readFailure(meta, failure);
}

/** Unavailability stays what it is; any other failure of a read means bad bytes. */
function readFailure(meta: SnapshotMeta, error: unknown): Error {
  if (error instanceof SnapshotCorruptError) return error;
  if (isUnavailable(error)) return toClusterError(error, `download snapshot ${meta.name}`);
  return corrupt(meta, error instanceof Error ? error.message : String(error), error);
}

function corrupt(meta: SnapshotMeta, got: string, cause?: unknown): SnapshotCorruptError {
  return new SnapshotCorruptError(
    `Snapshot ${meta.name} is corrupt: expected ${meta.size} bytes with blake3 ` +
      `${meta.blake3}, got ${got}`,
    { cause },
  );
}
