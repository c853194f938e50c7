/**
 * The way out of the `log-lost-tail` refusal of `recovery.ts`: when the log lost events
 * that the PMA still holds (a deleted `log.sqlite-wal`, an older `log.sqlite` restored),
 * {@linkcode recoverTrustPma} trusts the PMA's state and starts a new log on it.
 *
 * It moves the old log (with its WAL) and the old snapshots aside into
 * `old-logs/<time>-log-to-event-<N>/`, which Cellar never deletes; writes a new log holding
 * the kernel the state runs and one base row at the PMA's event (wire `/cellar/rebase`,
 * the state's mug), so the log's last event is the PMA's again; and takes an epoch
 * snapshot of the state, so the new log can be recovered without this PMA. Events before
 * the base are no longer in the log: a full replay of it is impossible, and each boot says
 * so. The base row is a record, not an event: no replay ever runs it, since every state
 * the new log can start from is at or after it.
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import { EventLog } from "./event_log.ts";
import { blake3, FileLock, hex, syncDir } from "./files.ts";
import { toDa } from "./kernel.ts";
import { Pma } from "./pma.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";
import { SnapshotStore } from "./snapshots.ts";
import type { SnapshotEntry } from "./snapshots.ts";

/** The wire of a new log's base row. */
export const rebaseWire = "/cellar/rebase";

/** Options of {@linkcode recoverTrustPma}. */
export interface TrustPmaOptions {
  /** The kernel jam the state runs, needed when the old log does not hold it (its blake3
   * must be the PMA's kernel hash). */
  kernel?: Uint8Array;
}

/** What {@linkcode recoverTrustPma} did. */
export interface TrustPmaReport {
  /** The event the new log starts at: the trusted state's. */
  eventNumber: bigint;
  /** The old log's last event (0 when it was missing or unreadable). */
  oldLast: bigint;
  /** Where the old log, its WAL and the old snapshots were moved. */
  oldLogDir: string;
  /** Where the state came from: the PMA, or a snapshot restored in its place. */
  source: string;
  /** The epoch snapshot of the trusted state. */
  snapshot: string;
  kernelHash: string;
  stateMug: number;
}

/** The trusted state as read from the PMA. */
interface Base {
  event: bigint;
  kernelHash: string;
  stateMug: number;
}

/**
 * Re-base the log of `dataDir` on its PMA's state (or, when the PMA is not ahead of the log,
 * on the newest verified snapshot that is): see the module notes. The data directory must
 * not be in use. Throws a {@linkcode RuntimeError}: `Locked`, `NothingToTrust` (no state is
 * ahead of the log: start normally), `BadKernel` (the log lacks the state's kernel: pass
 * `options.kernel`).
 *
 * @example
 * ```ts ignore
 * import { recoverTrustPma } from "./rebase.ts";
 * const report = recoverTrustPma("data");
 * console.log(`the log now starts at event ${report.eventNumber}`);
 * ```
 */
export function recoverTrustPma(dataDir: string, options: TrustPmaOptions = {}): TrustPmaReport {
  const lock = takeLock(dataDir);
  try {
    const old = readOldLog(dataDir);
    const source = openTrusted(dataDir, old.last);
    const pma = source.pma;
    try {
      const base = baseOf(pma);
      const jam = kernelJam(old.kernels, base.kernelHash, options.kernel);
      const oldLogDir = moveOldLog(dataDir, old.last);
      writeNewLog(dataDir, base, jam, old.last);
      const snapshot = new SnapshotStore(`${dataDir}/snapshots`).create("epoch", base);
      return {
        eventNumber: base.event,
        oldLast: old.last,
        oldLogDir,
        source: source.what,
        snapshot: snapshot.name,
        kernelHash: base.kernelHash,
        stateMug: base.stateMug,
      };
    } finally {
      pma.close();
    }
  } finally {
    lock.release();
  }
}

function takeLock(dataDir: string): FileLock {
  try {
    return FileLock.acquire(`${dataDir}/cellar.lock`);
  } catch (cause) {
    throw new RuntimeError(
      "Locked",
      `Cannot re-base ${dataDir}: it is in use (its lock is held): stop the server first`,
      { cause },
    );
  }
}

/** The old log's last event and kernels; an absent or unreadable log has none. */
function readOldLog(dataDir: string): { last: bigint; kernels: Map<string, Uint8Array> } {
  const kernels = new Map<string, Uint8Array>();
  let log: EventLog;
  try {
    log = EventLog.open(`${dataDir}/log.sqlite`, { create: false });
  } catch {
    return { last: 0n, kernels };
  }
  try {
    for (const k of log.kernels()) {
      try {
        kernels.set(hex(k.hash), log.kernelJam(k.id));
      } catch { /* a damaged kernel row: the caller may pass the jam */ }
    }
    return { last: log.extent().last, kernels };
  } finally {
    log.close();
  }
}

/**
 * The writer PMA of the state to trust: the PMA when it is ahead of the log, else the
 * newest verified snapshot ahead of it, restored in place of the PMA (moved to quarantine/).
 */
function openTrusted(dataDir: string, last: bigint): { pma: Pma; what: string } {
  const pmaDir = `${dataDir}/pma`;
  let reason: string;
  try {
    const pma = Pma.open(pmaDir, { create: false, sidecar: "checkpoint" });
    if (pma.eventNumber > last) return { pma, what: `the PMA (event ${pma.eventNumber})` };
    reason = `the PMA is at event ${pma.eventNumber}`;
    pma.close();
  } catch (error) {
    reason = `the PMA cannot be opened: ${errorText(error)}`;
  }
  const store = new SnapshotStore(`${dataDir}/snapshots`);
  const entry = store.list().find((e) =>
    BigInt(e.manifest.eventNumber) > last && store.verify(e).ok
  );
  if (entry === undefined) {
    throw new RuntimeError(
      "NothingToTrust",
      `Cannot re-base ${dataDir}: no state is ahead of the log (event ${last}): ${reason}, ` +
        `and no verified snapshot is ahead either. Start it normally`,
    );
  }
  return { pma: restoreSnapshot(dataDir, store, entry), what: `the snapshot ${entry.name}` };
}

function restoreSnapshot(dataDir: string, store: SnapshotStore, entry: SnapshotEntry): Pma {
  const pmaDir = `${dataDir}/pma`;
  try {
    Deno.statSync(pmaDir);
    Deno.mkdirSync(`${dataDir}/quarantine`, { recursive: true, mode: 0o700 });
    Deno.renameSync(pmaDir, `${dataDir}/quarantine/${stamp()}-pma`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  store.restore(entry, pmaDir);
  syncDir(dataDir);
  return Pma.open(pmaDir, { create: false, sidecar: "checkpoint" });
}

function baseOf(pma: Pma): Base {
  using root = pma.root;
  using core = root.head;
  return { event: pma.eventNumber, kernelHash: hex(pma.kernelHash), stateMug: core.mug };
}

/** The jam of the state's kernel: from the old log, or `given` when its hash fits. */
function kernelJam(
  kernels: Map<string, Uint8Array>,
  hash: string,
  given: Uint8Array | undefined,
): Uint8Array {
  const logged = kernels.get(hash);
  if (logged !== undefined) return logged;
  if (given !== undefined && hex(blake3(given)) === hash) return given;
  const why = given === undefined
    ? "pass that kernel's jam"
    : `the kernel given has hash ${hex(blake3(given)).slice(0, 16)}`;
  throw new RuntimeError(
    "BadKernel",
    `Cannot re-base the log: the state runs kernel ${hash.slice(0, 16)}, which the old log ` +
      `does not hold: ${why}`,
  );
}

/** Move the log, its WAL and the snapshots into `old-logs/`; returns the folder. */
function moveOldLog(dataDir: string, last: bigint): string {
  const dest = `${dataDir}/old-logs/${stamp()}-log-to-event-${last}`;
  Deno.mkdirSync(dest, { recursive: true, mode: 0o700 });
  for (const name of ["log.sqlite", "log.sqlite-wal", "log.sqlite-shm", "snapshots"]) {
    try {
      Deno.renameSync(`${dataDir}/${name}`, `${dest}/${name}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  syncDir(dest);
  syncDir(dataDir);
  return dest;
}

/** A new log: the state's kernel, then the base row at the state's event. */
function writeNewLog(dataDir: string, base: Base, jam: Uint8Array, oldLast: bigint): void {
  const log = EventLog.open(`${dataDir}/log.sqlite`);
  try {
    log.addKernel(jam, base.event);
    using wire = Noun.list(rebaseWire.slice(1).split("/"));
    using record = Noun.from(["trust-pma", oldLast, base.event]);
    using body = Noun.from([wire, 0, 0, toDa(Date.now()), record]);
    log.append(base.event, body.jam(), rebaseWire, 0, base.stateMug);
    log.checkpoint();
  } finally {
    log.close();
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}
