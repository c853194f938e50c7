/**
 * Snapshots for bootstrap (`docs/CLUSTER.md`): the leader uploads each new local snapshot
 * (its PMA slab copy, with the local manifest kept as metadata) to the app's object store,
 * and a new member starts from the newest one instead of replaying the stream from event 1
 * ({@linkcode bootstrapFromSnapshot}, `cellar cluster bootstrap`): the slab is downloaded and
 * verified into `snapshots/`, and the directory's log is based on it (the re-base of
 * `rebase.ts`, as `cellar recover --trust-pma` does), so the member follows the stream from
 * the event after the snapshot.
 *
 * A snapshot also carries the timer table as of its event (`timers` in its metadata: the
 * pending wake-ups, `[at, requestedBy]` in decimal), which the new member's `timers.sqlite`
 * starts with: a member bootstrapped from a snapshot that later leads fires the wake-ups
 * requested before the snapshot too. A table too large for the metadata fails the upload
 * (logged): members then replay the stream instead, which rebuilds the table.
 *
 * @module
 */

import { connectCluster } from "../cluster/connection.ts";
import type { NatsConnection } from "../cluster/connection.ts";
import { ClusterUnavailableError } from "../cluster/errors.ts";
import { EventStream } from "../cluster/event_stream.ts";
import { SnapshotBucket } from "../cluster/snapshots_bucket.ts";
import { defaultKernel } from "../runtime/default_kernel.ts";
import { recoverTrustPma } from "../runtime/rebase.ts";
import { SnapshotStore } from "../runtime/snapshots.ts";
import type { SnapshotManifest } from "../runtime/snapshots.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import { TimerStore } from "../drivers/timer_store.ts";

/** The timer table of `dir` as of committed event `event`, as snapshot metadata. */
function timersAt(dir: string, event: bigint): string {
  const store = TimerStore.open(`${dir}/timers.sqlite`);
  try {
    const rows = store.pendingAt(event);
    return JSON.stringify(rows.map((r) => [String(r.at), String(r.requestedBy)]));
  } finally {
    store.close();
  }
}

/** Start the timer table of the new directory `dir` with a snapshot's `timers`. */
function seedTimers(dir: string, timers: string): number {
  const rows = (JSON.parse(timers) as [string, string][]).map(([at, by]) => ({
    at: BigInt(at),
    requestedBy: BigInt(by),
  }));
  const store = TimerStore.open(`${dir}/timers.sqlite`);
  try {
    store.seed(rows);
  } finally {
    store.close();
  }
  return rows.length;
}

/** How often the leader looks for a new local snapshot to upload. */
const checkEveryMs = 2000;

/**
 * Uploads the leader's new local snapshots, one at a time, in the background. With `keep`
 * above 0, after each upload it deletes all but the `keep` newest snapshots of the bucket and
 * drops the stream's events before the oldest one kept (a member that needs one of them
 * bootstraps from a snapshot).
 */
export class SnapshotUploader {
  readonly #dataDir: string;
  readonly #keep: number;
  readonly #log: (line: string) => void;
  #bucket: SnapshotBucket | null = null;
  #uploaded = -1n;
  #busy = false;
  #checkedAt = 0;

  constructor(dataDir: string, keep: number, log: (line: string) => void) {
    this.#dataDir = dataDir;
    this.#keep = keep;
    this.#log = log;
  }

  /** Start uploading the newest local snapshot if it is newer than the last uploaded. */
  maybeUpload(nc: NatsConnection, stream: EventStream): void {
    const app = stream.names.app;
    const now = performance.now();
    if (this.#busy || now - this.#checkedAt < checkEveryMs) return;
    this.#checkedAt = now;
    const newest = new SnapshotStore(`${this.#dataDir}/snapshots`).list()[0];
    if (newest === undefined) return;
    const m = newest.manifest;
    const event = BigInt(m.eventNumber);
    if (event <= this.#uploaded || event === 0n) return;
    this.#busy = true;
    void this.#upload(nc, app, `${newest.path}/slab`, m).then(
      () => (this.#uploaded = event, this.#log(`uploaded the snapshot of event ${event}`)),
    ).then(() => this.#trim(stream)).catch(
      (error) => this.#log(`cannot upload the snapshot of event ${event}: ${error}`),
    ).finally(() => (this.#busy = false));
  }

  /** Keep the `keep` newest snapshots; drop the stream's events before the oldest of them. */
  async #trim(stream: EventStream): Promise<void> {
    if (this.#keep === 0 || this.#bucket === null) return;
    const all = await this.#bucket.list();
    const kept = all.slice(0, this.#keep);
    for (const old of all.slice(this.#keep)) await this.#bucket.remove(old.name);
    const oldest = kept[kept.length - 1];
    if (oldest === undefined) return;
    const dropped = await stream.dropBefore(oldest.event);
    if (dropped > 0) {
      this.#log(`dropped ${dropped} events of the stream before event ${oldest.event}`);
    }
  }

  async #upload(nc: NatsConnection, app: string, slab: string, m: SnapshotManifest) {
    this.#bucket ??= await SnapshotBucket.open(nc, app);
    await this.#bucket.uploadFile(slab, {
      event: BigInt(m.eventNumber),
      kernel: m.kernelHash,
      mug: m.stateMug,
      kind: "slab",
      extra: {
        manifest: JSON.stringify(m),
        timers: timersAt(this.#dataDir, BigInt(m.eventNumber)),
      },
    });
  }
}

/** What a bootstrap did. */
export interface BootstrapReport {
  /** The snapshot used, or null when the bucket has none (the member replays from event 1). */
  snapshot: string | null;
  eventNumber: bigint;
  bytes: number;
  ms: number;
}

/**
 * Prepare the new data directory `dir` (it must have no log) from the newest snapshot in
 * `app`'s bucket: download and verify it, then base the log on it. `kernel` is the jam of
 * the snapshot's kernel (the directory's log, being new, does not hold it).
 */
export async function bootstrapFromSnapshot(
  nc: NatsConnection,
  stream: EventStream,
  dir: string,
  kernel: Uint8Array,
): Promise<BootstrapReport> {
  const started = performance.now();
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (hasLog(dir)) {
    throw new Error(`Cannot bootstrap ${dir}: it already has a log (use a new directory)`);
  }
  const bucket = await SnapshotBucket.open(nc, stream.names.app);
  const newest = await bucket.newest();
  if (newest === null) return { snapshot: null, eventNumber: 0n, bytes: 0, ms: 0 };
  const manifest = JSON.parse(newest.extra?.manifest ?? "null") as SnapshotManifest | null;
  if (manifest === null || manifest.eventNumber !== newest.event.toString()) {
    throw new Error(`Snapshot ${newest.name} carries no manifest of its event`);
  }
  const folder = `${dir}/snapshots/${manifest.eventNumber.padStart(12, "0")}-${manifest.kind}`;
  Deno.mkdirSync(folder, { recursive: true, mode: 0o700 });
  await bucket.downloadFile(newest.name, `${folder}/slab`);
  Deno.writeTextFileSync(`${folder}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  const report = recoverTrustPma(dir, { kernel });
  if (newest.extra?.timers !== undefined) seedTimers(dir, newest.extra.timers);
  return {
    snapshot: newest.name,
    eventNumber: report.eventNumber,
    bytes: newest.size,
    ms: performance.now() - started,
  };
}

/**
 * Whether the data directory `dir` has a log (it is not new): `cellar serve` leaves an empty
 * `log.sqlite` in a new directory before the runtime opens it.
 */
export function hasLog(dir: string): boolean {
  try {
    return Deno.statSync(`${dir}/log.sqlite`).size > 0;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * `cellar serve --cluster` on a new data directory (no log): start it from the newest
 * verified snapshot in the bucket, if there is one, before the runtime opens it. Retried
 * while NATS cannot be reached, until `stopped()`; any other failure is logged and the
 * member replays the stream from event 1 instead.
 */
export async function bootstrapNewMember(
  settings: ClusterSettings,
  kernel: Uint8Array | undefined,
  log: (line: string) => void,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    let nc: NatsConnection | null = null;
    try {
      nc = await connectCluster(settings.urls, { name: `cellar ${settings.holder} bootstrap` });
      const stream = await EventStream.open(nc, settings.app);
      const dir = settings.dataDir;
      const r = await bootstrapFromSnapshot(nc, stream, dir, kernel ?? defaultKernel());
      log(
        r.snapshot === null
          ? "a new directory, and no snapshot yet: the member replays the stream from event 1"
          : `a new directory: bootstrapped at event ${r.eventNumber} from ${r.snapshot} ` +
            `(${r.bytes} bytes, ${Math.round(r.ms)} ms)`,
      );
      return;
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (!(error instanceof ClusterUnavailableError)) {
        log(`cannot bootstrap from a snapshot (${text}): the member replays the stream`);
        return;
      }
      log(`cannot reach the cluster to bootstrap yet, retrying: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await nc?.close().catch(() => {});
    }
  }
}
