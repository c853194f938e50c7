/**
 * The runtime's public types: its options, what a poke returns, snapshot and status
 * records. Re-exported by `runtime.ts` (and `mod.ts`).
 *
 * @module
 */

import type { JetTable } from "../core/jets.ts";
import type { NockOptions } from "../core/machine.ts";
import type { StateOption } from "./boot_state.ts";
import type { Noun } from "../core/noun.ts";
import type { PmaGcResult, PmaStats } from "./pma.ts";
import type { BootReport } from "./recovery.ts";
import type { ReplayProgress } from "./replay.ts";
import type { SnapshotKind } from "./snapshots.ts";
import type { WireLike } from "./wire.ts";

/**
 * Names of the commit steps, for tests that crash the process at each (docs/DESIGN.md, "The
 * commit protocol"): `computed` and `logged` come once per event, the others once per group;
 * `answered` is the caller's (the runtime returns then).
 */
export type CommitStep =
  | "computed"
  | "logged"
  | "group-logged"
  | "committed"
  | "log-committed"
  | "answered"
  | "snapshot-written";

/** The events of a group of pokes so far, first to last. */
export interface GroupRange {
  first: bigint;
  last: bigint;
}

/** One poke of {@linkcode Runtime.pokeMany}. */
export interface PokeRequest {
  /** The cause (the caller's; it must stay live until the poke returns). */
  cause: Noun;
  /** The wire: a noun as it is, or a path (default `/poke/api`; `poke` is prepended when
   * missing). */
  wire?: WireLike;
}

/** What became of one poke of a group: its result once durable, or its error. */
export type PokeOutcome =
  | { ok: true; result: PokeResult }
  | { ok: false; error: unknown };

/** Bounds of one group of pokes; a group ends at the first bound it reaches. */
export interface GroupLimits {
  /** Events (default 256). */
  events?: number;
  /** Bytes of the events' jams (default 4 MiB). */
  bytes?: number;
  /** Milliseconds of compute (default 50), so early pokes are not held too long. */
  computeMs?: number;
}

/** Options of {@linkcode Runtime.open}. */
export interface RuntimeOptions {
  /** The data directory (created when absent). */
  dataDir: string;
  /**
   * Mappings (registration path -> native entry) and known cores to add to the
   * process-wide jet table before the state is loaded (see `addJets`); checked first, so a
   * bad table opens nothing. The registrations kept beside the state record paths, not
   * jets: pass the same table at every open. A state opened without it still runs, its
   * registrations unjetted and counted as `unmatched` in `jetStats()` and `jetReport()`.
   */
  jets?: JetTable;
  /**
   * Kernel jam. A new data directory boots it; an existing one whose kernel differs is
   * upgraded to it (its load arm runs on the old state). Absent: the directory's own
   * kernel, or for a new directory the default kernel (`kernels/kv.jam`).
   */
  kernel?: Uint8Array;
  /**
   * Boot a new data directory from this state instead of the kernel's own: a state noun
   * (axis 6 of a kernel core), a state file's bytes (its jam, or NockApp's `EXPJAM`
   * container, whose kernel hash must be the kernel's unless `force`), or a
   * `StateSource`. The kernel's load arm takes it, as in an upgrade, and the
   * product is event 0. A directory that already has a log is refused.
   */
  state?: StateOption;
  /** Take a rotating snapshot every this many events (default 10,000; 0: never by count). */
  snapshotEveryEvents?: number;
  /** ... or once this many milliseconds of event compute time have accumulated (default
   * 900,000; 0: never by time). */
  snapshotEveryComputeMs?: number;
  /** Make a snapshot an epoch when the newest epoch is this many events older
   * (default 100,000). */
  epochEveryEvents?: number;
  /** Compute limits of each poke (a poke past one fails with `%intr` and changes nothing). */
  pokeLimits?: NockOptions;
  /** Compute limits of each peek. */
  peekLimits?: NockOptions;
  /** Run snapshots and PMA GC right after a poke when due (default true). A server sets
   * false and calls {@linkcode Runtime.maintain} after answering. */
  autoMaintain?: boolean;
  /** Collect the PMA when its used bytes exceed both this (default 256 MiB) ... */
  gcMinBytes?: number;
  /** ... and this many times the live bytes after the last GC (default 3). */
  gcFactor?: number;
  /** Called during a replay, at most every 100 ms and at the end. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Aborting stops a replay between events; its progress is kept as a snapshot. */
  signal?: AbortSignal;
  /**
   * Called at each commit step (crash tests kill the process here) with the event (the
   * group's last one for group steps) and the group's events so far. The environment variable
   * `CELLAR_CRASH_AT=STEP@EVENT`, when readable, kills the process (SIGKILL) at that step of
   * the group that holds that event.
   */
  onStep?: (step: CommitStep, eventNumber: bigint, group: GroupRange) => void;
  /** Bounds of a group of pokes. */
  groupLimits?: GroupLimits;
  /** Called after each group is durable, with its size and commit time (for metrics). */
  onGroup?: (size: number, commitMs: number) => void;
  /** Make the log durable (one `fdatasync` of its WAL) once the PMA's tail holds this many
   * events (default 1,000) ... */
  logSyncEveryEvents?: number;
  /** ... or this many bytes of jams (default 1 MiB). */
  logSyncEveryBytes?: number;
  /**
   * Injected commit failures, for tests: `pma-commit:K:N` or `log-commit:K:N` (comma
   * separated) fail the K-th to (K+N-1)-th PMA commits or log commits of groups and retries
   * after open. The environment variable `CELLAR_FAULTS`, when readable, adds to these.
   */
  faults?: string;
  /**
   * Called once a poke is computed, before its event is logged: drivers that must not lose
   * an effect write it ahead here (see `src/drivers/`). Throwing rejects the poke (nothing
   * is logged). The effects are the runtime's (valid during the call only).
   */
  onComputed?: (event: ComputedEvent) => void;
  /**
   * Called once a group's pokes are all computed (each one's `onComputed` passed), before
   * the group is logged. Throwing refuses every poke of the group with that error (nothing of
   * them is logged). Cluster mode publishes the group here, in one pipelined burst
   * (`replicated.ts`). The effects are the runtime's (valid during the call only).
   */
  beforeCommit?: (events: readonly ComputedEvent[]) => void;
}

/** A computed event about to be logged (see {@linkcode RuntimeOptions.onComputed}). */
export interface ComputedEvent {
  eventNumber: bigint;
  /** The jam the log will keep: `[wire eny our now cause]` (its blake3 is the log's hash). */
  eventJam: Uint8Array;
  /** The kernel's effects list. */
  effects: Noun;
  /** Mug of the state after the event (what a follower must reach, see `replicated.ts`). */
  stateMug: number;
}

/** What a poke returns once its event is durable. */
export interface PokeResult {
  /** The event's number. */
  eventNumber: bigint;
  /** The kernel's effects list (the caller owns and disposes it). */
  effects: Noun;
  /** Kernel compute time. */
  computeMs: number;
  /** Log append + PMA commit time. */
  commitMs: number;
}

/** A snapshot that was written. */
export interface SnapshotInfo {
  name: string;
  kind: SnapshotKind;
  eventNumber: bigint;
  bytes: number;
  writeMs: number;
}

/** Ages of the snapshots, for status. */
export interface SnapshotStatus {
  name: string;
  kind: SnapshotKind;
  eventNumber: bigint;
  bytes: number;
  ageMs: number;
}

/** The runtime's state, for status pages. */
export interface RuntimeStatus {
  dataDir: string;
  eventNumber: bigint;
  kernelHash: string;
  pma: PmaStats;
  logBytes: number;
  snapshots: SnapshotStatus[];
  boot: BootReport;
  /** Events since the last snapshot, and their compute time. */
  sinceSnapshot: { events: number; computeMs: number };
  lastGc: (PmaGcResult & { at: number }) | null;
  lastSnapshot: (SnapshotInfo & { at: number }) | null;
  pokes: number;
  peeks: number;
  /** The commit path: groups, flushes, the tail, and whether commits are stalled. */
  commit: CommitStatus;
}

/** Why the runtime cannot commit now, and when it retries (see {@linkcode Runtime.retryCommit}). */
export interface CommitStall {
  /** What failed. */
  reason: string;
  /** `Date.now()` of the first failure. */
  since: number;
  /** Failed attempts so far (the first commit and the retries). */
  failures: number;
  /** `Date.now()` after which the next retry is due. */
  retryAt: number;
  /** The log lacks events that are durable in the PMA's tail (a retry appends them). */
  logBehind: boolean;
}

/** The commit path's counters (since open) and state. */
export interface CommitStatus {
  /** Groups made durable. */
  groups: number;
  /** Events in the last group. */
  lastGroupSize: number;
  /** PMA commits of groups and retries (one `fdatasync` each). */
  pmaSyncs: number;
  /** `fdatasync`s of the log's WAL (at open and when the tail was full). */
  logSyncs: number;
  /** Events the PMA's tail carries (durable there, not yet synced in the log). */
  tailEvents: number;
  /** Events the open appended to the log from the PMA's tail. */
  repaired: { from: bigint; to: bigint } | null;
  /** Null while commits work. */
  stalled: CommitStall | null;
}
