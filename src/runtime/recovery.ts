/**
 * The recovery ladder (ARCHITECTURE.md 5): how a data directory's state is found at boot.
 * The levels are tried in order and the first that boots wins; the boot report says why
 * each earlier level was passed over:
 *
 * 0. a new data directory (the log names no kernel): boot the kernel;
 * 1. the PMA, if its event equals the log's last event and its kernel is the log's;
 * 2. the newest verified snapshot, then a replay of the log after it;
 * 3. an older snapshot (latest−1, then the epoch), then a replay;
 * 4. the kernel booted fresh and the whole log replayed, if the log is continuous;
 * 5. otherwise refuse, naming the gap in the log or each level's reason.
 *
 * Levels 0 to 4 are the entries of {@linkcode recoveryLevels}: adding a level is one entry
 * (and its number in {@linkcode BootReport}). A PMA that is not trusted is moved aside
 * into `quarantine/` before a snapshot or the kernel replaces it.
 *
 * Before the ladder, the entries of {@linkcode recoveryRefusals} are checked: states of a
 * data directory from which any level would boot the wrong history. The log commits before
 * the PMA, so a PMA (or a verified snapshot) ahead of the log proves that the log lost
 * events that were answered: booting from the log would drop them silently, and booting
 * from the PMA would run on without them in the log. The boot is refused, naming both event
 * numbers and files; `recoverTrustPma` (`rebase.ts`) is the documented way out.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import type { EventLog } from "./event_log.ts";
import {
  checkDataDir,
  dataDirWarnings,
  hex,
  makeNewDataDirPrivate,
  makePrivate,
  syncDir,
} from "./files.ts";
import { bootKernelChecked } from "./kernel_table.ts";
import type { KernelFit } from "./kernel_table.ts";
import { Pma } from "./pma.ts";
import { rebaseWire } from "./rebase.ts";
import { replayLog } from "./replay.ts";
import type { ReplayOptions, ReplayResult } from "./replay.ts";
import { errorText, isInterrupted, RuntimeError } from "./runtime_error.ts";
import type { SnapshotEntry, SnapshotManifest, SnapshotStore } from "./snapshots.ts";
import type { KernelState } from "./state.ts";

/** One level of the recovery hierarchy, and why it was not used. */
export interface SkippedLevel {
  level: number;
  name: string;
  reason: string;
}

/** How a data directory was booted. */
export interface BootReport {
  /** 0 new directory, 1 PMA, 2 newest snapshot, 3 older snapshot, 4 full replay. */
  level: 0 | 1 | 2 | 3 | 4;
  /** `new`, `pma`, `snapshot`, `older-snapshot`, `full-replay`. */
  name: string;
  /** What happened, in a sentence. */
  detail: string;
  /** Earlier levels and why each was skipped. */
  skipped: SkippedLevel[];
  /** The event number the runtime stands at. */
  eventNumber: bigint;
  /** Events replayed. */
  replayed: number;
  replayMs: number;
  /** Whole boot, including the kernel boot for its jets. */
  bootMs: number;
  /** Snapshot used (levels 2 and 3). */
  snapshot?: string;
  /** Folder where a distrusted PMA was moved. */
  quarantined?: string;
  /** Kernel upgrade done at this boot. */
  upgradedKernel?: { from: string; to: string };
  /** Problems that did not stop the boot (e.g. a gap in the log before a snapshot). */
  warnings: string[];
}

/** The boot report as recovery makes it; the runtime adds the rest once it has finished. */
export type RecoveryReport = Omit<BootReport, "eventNumber" | "bootMs" | "upgradedKernel">;

/** What recovery works with: the runtime's parts, before the runtime is usable. */
export interface RecoveryContext {
  dataDir: string;
  log: EventLog;
  snapshots: SnapshotStore;
  /** The state to fill (no PMA open yet). */
  state: KernelState;
  /** The kernel jam a new data directory boots. */
  newKernel: () => Uint8Array;
  /** How replays report, stop and keep their progress. */
  replay: ReplayOptions;
}

/** A recovery in progress: the context, what the log holds, and what earlier levels did. */
export interface RecoveryRun extends RecoveryContext {
  pmaDir: string;
  /** The log's last event and its row count. */
  last: bigint;
  count: bigint;
  /** The first event missing from the log, when one is (a full replay is impossible). */
  logGap: bigint | null;
  /** Snapshot folders, newest first, with null for an unreadable manifest. */
  folders: { name: string; path: string; manifest: SnapshotManifest | null }[];
  /** The folders whose manifest could be read. */
  usable: SnapshotEntry[];
  /** Where the PMA was moved, once it was. */
  quarantined?: string;
  warnings: string[];
}

/** A level that booted: what it did. */
export interface Booted {
  detail: string;
  replayed: number;
  replayMs: number;
  /** The snapshot it started from. */
  snapshot?: string;
}

/** Why something a level tried was passed over; `name` defaults to the level's label. */
export interface SkipNote {
  name?: string;
  reason: string;
}

/**
 * What a level did: `booted` when it booted, and in any case the notes of what it passed
 * over. A level that does not apply (level 0 on an existing directory, level 4 with a gap
 * in the log) passes with no notes, and so is not in the report.
 */
export interface LevelOutcome {
  booted?: Booted;
  skipped: SkipNote[];
}

/** One level of the ladder. */
export interface RecoveryLevel {
  level: BootReport["level"];
  /** Its name in the boot report when it boots. */
  name: string;
  /** Its name in the report's skipped list. */
  label: string;
  /** What it tries, in a sentence. */
  tries: string;
  /** Try it; throwing ends the boot (a refusal, an interrupted replay). */
  attempt: (run: RecoveryRun) => LevelOutcome;
}

/**
 * The recovery ladder, tried in order.
 *
 * @example
 * ```ts
 * import { recoveryLevels } from "./recovery.ts";
 * console.log(recoveryLevels.map((l) => l.name).join(" ")); // new pma snapshot older-snapshot full-replay
 * ```
 */
export const recoveryLevels: readonly RecoveryLevel[] = [
  {
    level: 0,
    name: "new",
    label: "new",
    tries: "A new data directory (the log names no kernel): boot the kernel",
    attempt: bootNew,
  },
  {
    level: 1,
    name: "pma",
    label: "pma",
    tries: "The PMA, if its event is the log's last and its kernel the log's",
    attempt: bootFromPma,
  },
  {
    level: 2,
    name: "snapshot",
    label: "snapshots",
    tries: "The newest verified snapshot, then a replay of the log after it",
    attempt: bootFromNewestSnapshot,
  },
  {
    level: 3,
    name: "older-snapshot",
    label: "older snapshots",
    tries: "An older snapshot (latest−1, then the epoch), then a replay",
    attempt: bootFromOlderSnapshots,
  },
  {
    level: 4,
    name: "full-replay",
    label: "full replay",
    tries: "The kernel booted fresh and the whole log replayed, if the log is continuous",
    attempt: bootByFullReplay,
  },
];

/** A state of the data directory in which no level may boot. */
export interface RecoveryRefusal {
  /** A short name, for the docs and the tests. */
  name: string;
  /** What it detects, in a sentence. */
  detects: string;
  /** The refusal's message when the state is detected, else null. Changes nothing. */
  check: (run: RecoveryRun) => string | null;
}

/**
 * The refusals, checked in order before the ladder.
 *
 * @example
 * ```ts
 * import { recoveryRefusals } from "./recovery.ts";
 * console.log(recoveryRefusals.map((r) => r.name).join(" ")); // log-lost-tail
 * ```
 */
export const recoveryRefusals: readonly RecoveryRefusal[] = [
  {
    name: "log-lost-tail",
    detects: "A PMA or a verified snapshot ahead of the log: the log lost answered events",
    check: lostLogTail,
  },
];

/**
 * Recover the state of `context.dataDir` into `context.state`: the first level of
 * {@linkcode recoveryLevels} that boots wins. Throws a {@linkcode RuntimeError}:
 * `Refused` (naming the gap in the log, or each level's reason) when none does, when one of
 * {@linkcode recoveryRefusals} holds, or for a log that names no kernel beside existing
 * state; `Interrupted` when a replay is stopped.
 */
export function recover(context: RecoveryContext): RecoveryReport {
  const run = startRun(context);
  for (const refusal of recoveryRefusals) {
    const message = refusal.check(run);
    if (message !== null) throw new RuntimeError("Refused", message);
  }
  const skipped: SkippedLevel[] = [];
  for (const level of recoveryLevels) {
    const outcome = level.attempt(run);
    for (const note of outcome.skipped) {
      skipped.push({ level: level.level, name: note.name ?? level.label, reason: note.reason });
    }
    const booted = outcome.booted;
    if (booted === undefined) continue;
    const report: RecoveryReport = {
      level: level.level,
      name: level.name,
      detail: booted.detail,
      skipped,
      warnings: run.warnings,
      replayed: booted.replayed,
      replayMs: booted.replayMs,
    };
    if (booted.snapshot !== undefined) report.snapshot = booted.snapshot;
    if (run.quarantined !== undefined) report.quarantined = run.quarantined;
    makePrivate(run.pmaDir);
    return report;
  }
  throw refusal(run, skipped);
}

function startRun(context: RecoveryContext): RecoveryRun {
  // Before anything is opened natively (where Deno's permissions do not reach).
  checkDataDir(context.dataDir);
  context.snapshots.cleanTemp();
  context.state.kernels.reload();
  const extent = context.log.extent();
  const warnings: string[] = [];
  if (context.state.kernels.all.length > 0) warnings.push(...dataDirWarnings(context.dataDir));
  const known = context.state.kernels.all.length > 0;
  const logGap = known && extent.count > 0n ? context.log.firstGap(1n, extent.last) : null;
  if (logGap !== null) warnings.push(gapWarning(context.log, logGap, extent.last));
  const folders = context.snapshots.listAll();
  return {
    ...context,
    pmaDir: `${context.dataDir}/pma`,
    last: extent.last,
    count: extent.count,
    logGap,
    folders,
    usable: folders.filter((e): e is SnapshotEntry => e.manifest !== null),
    warnings,
  };
}

/**
 * The log's last event is behind the PMA's, or behind a verified snapshot's: the events in
 * between were logged (the log commits first), answered, and then lost from the log.
 */
function lostLogTail(run: RecoveryRun): string | null {
  const ahead = pmaAhead(run) ?? snapshotAhead(run);
  if (ahead === null) return null;
  const log = `${run.dataDir}/log.sqlite`;
  const lost = ahead.event === run.last + 1n
    ? `event ${ahead.event}`
    : `events ${run.last + 1n} to ${ahead.event}`;
  return `Refusing to start ${run.dataDir}: ${ahead.what} is at event ${ahead.event}, but the ` +
    `log ${log} ends at event ${run.last}. The log is written before the state, so it has ` +
    `lost ${lost}, which were accepted and answered (was ${log}-wal deleted, or an older ` +
    `log.sqlite restored?). Nothing was changed. Put the lost log back if you can; ` +
    `otherwise \`cellar recover --trust-pma\` makes that state the start of a new log and ` +
    `keeps the old log aside (see docs/RELIABILITY.md)`;
}

/** The PMA's slab and event when it opens and is ahead of the log, else null. */
function pmaAhead(run: RecoveryRun): { what: string; event: bigint } | null {
  if (!nonEmpty(run.pmaDir)) return null;
  let pma: Pma;
  try {
    pma = Pma.open(run.pmaDir, { readOnly: true });
  } catch {
    return null; // Level 1 reports why it cannot be opened.
  }
  try {
    const event = pma.eventNumber;
    if (event <= run.last) return null;
    return { what: `the PMA ${run.pmaDir}/${pma.stats().fileId}.pma`, event };
  } finally {
    pma.close();
  }
}

/** The newest verified snapshot ahead of the log, else null. */
function snapshotAhead(run: RecoveryRun): { what: string; event: bigint } | null {
  for (const entry of run.usable) {
    const event = BigInt(entry.manifest.eventNumber);
    if (event <= run.last) return null; // Newest first: the rest are not ahead either.
    if (run.snapshots.verify(entry).ok) return { what: `the snapshot ${entry.path}`, event };
  }
  return null;
}

/** The boot warning for a log missing event `gap`: a re-based log says where it starts. */
function gapWarning(log: EventLog, gap: bigint, last: bigint): string {
  const first = log.extent().first;
  const base = gap < first ? log.get(first) : null;
  if (base !== null && base.wire === rebaseWire && log.firstGap(first, last) === null) {
    return `The log starts at event ${first}, where \`cellar recover --trust-pma\` re-based ` +
      `it on the PMA (the older log is in old-logs/): a full replay is impossible`;
  }
  return `The log is missing event ${gap} (of 1..${last}): a full replay is impossible`;
}

/** Level 5: no level booted. The log and the state folders are left as they are. */
function refusal(run: RecoveryRun, skipped: SkippedLevel[]): RuntimeError {
  const why = run.logGap !== null
    ? `the log is missing event ${run.logGap}, and no PMA or snapshot covers the events after it`
    : "no recovery level worked";
  const lines = skipped.map((s) => `  level ${s.level} (${s.name}): ${s.reason}`).join("\n");
  return new RuntimeError(
    "Refused",
    `Refusing to start ${run.dataDir}: ${why}. No accepted event is dropped silently; ` +
      `repair or restore the data directory.\n${lines}`,
  );
}

function booted(detail: string, replay: ReplayResult, snapshot?: string): LevelOutcome {
  const done: Booted = { detail, replayed: replay.count, replayMs: replay.ms };
  if (snapshot !== undefined) done.snapshot = snapshot;
  return { booted: done, skipped: [] };
}

function skip(reason: string, name?: string): LevelOutcome {
  return { skipped: [name === undefined ? { reason } : { name, reason }] };
}

/** Level 0: a log that names no kernel is a new directory, if nothing else is there. */
function bootNew(run: RecoveryRun): LevelOutcome {
  const { state, dataDir } = run;
  if (state.kernels.all.length > 0) return { skipped: [] };
  const leftovers = ["pma", "snapshots"].filter((d) => nonEmpty(`${dataDir}/${d}`));
  if (run.count > 0n || leftovers.length > 0) {
    throw new RuntimeError(
      "Refused",
      `Refusing to start: the log in ${dataDir} names no kernel but the directory ` +
        `holds ${run.count} logged events and ${leftovers.join(", ") || "no"} state ` +
        `folders. The log may have been replaced or damaged; restore log.sqlite.`,
    );
  }
  // A new data directory is private to its user (an existing one is only warned about).
  run.warnings.push(...makeNewDataDirPrivate(dataDir));
  const jam = run.newKernel();
  const core = bootKernelChecked(jam);
  try {
    run.log.addKernel(jam, 0n);
    state.kernels.reload();
  } catch (error) {
    core.dispose();
    throw error;
  }
  state.kernel = state.kernels.first;
  state.kernels.adoptBooted(state.kernel, core);
  state.attach(Pma.open(run.pmaDir, { sidecar: "checkpoint" }));
  state.event = 0n;
  state.commit(core, 0n);
  const detail = `New data directory: booted kernel ${state.kernel.hashHex.slice(0, 16)}`;
  return booted(detail, { count: 0, ms: 0 });
}

/** Level 1: the PMA as it is, when it matches the log. */
function bootFromPma(run: RecoveryRun): LevelOutcome {
  run.state.kernel = run.state.kernels.current;
  const reason = openPma(run);
  if (reason !== null) return skip(reason);
  return booted(`PMA at event ${run.last} matches the log`, { count: 0, ms: 0 });
}

/** Open the PMA and check it against the log: null when it is now the state. */
function openPma(run: RecoveryRun): string | null {
  const { state, pmaDir } = run;
  if (!nonEmpty(pmaDir)) return "there is no PMA";
  let pma: Pma;
  try {
    pma = Pma.open(pmaDir, { create: false, sidecar: "checkpoint" });
  } catch (error) {
    return `it cannot be opened: ${errorText(error)}`;
  }
  const event = pma.eventNumber;
  const fit = state.kernels.forState(event, hex(pma.kernelHash));
  const mismatch = pmaMismatch(pma, run.last, fit);
  if (mismatch !== null || fit === null) {
    pma.close();
    return mismatch;
  }
  state.attach(pma);
  try {
    state.adoptRoot();
  } catch (error) {
    state.drop();
    return errorText(error);
  }
  if (event > 0n) {
    const row = run.log.get(event);
    if (row !== null && row.stateMug !== state.core.mug) {
      state.drop();
      return `its state's mug differs from the log's record for event ${event}`;
    }
  }
  state.event = event;
  for (const k of fit.pending) state.applyUpgrade(k, event);
  return null;
}

/** Why an opened PMA cannot be the state at the log's `last` event, or null. */
function pmaMismatch(pma: Pma, last: bigint, fit: KernelFit | null): string | null {
  const event = pma.eventNumber;
  let reason: string;
  if (event > last) {
    reason =
      `it is at event ${event}, ahead of the log (${last}): it holds state the log never accepted`;
  } else if (event < last) {
    reason = `it is at event ${event}, behind the log (${last})`;
  } else if (fit === null) {
    const hash = hex(pma.kernelHash);
    reason = `its kernel ${hash.slice(0, 16)} is not the log's kernel at event ${event}`;
  } else {
    return null;
  }
  const rejected = pma.openReport().rejected;
  if (rejected.length > 0) {
    reason += ` (and ${rejected.length} meta slot(s) failed their checks)`;
  }
  return reason;
}

/** Level 2: the newest snapshot whose manifest reads, then a replay. */
function bootFromNewestSnapshot(run: RecoveryRun): LevelOutcome {
  const skipped: SkipNote[] = run.folders.filter((f) => f.manifest === null).map((f) => ({
    name: `snapshot ${f.name}`,
    reason: "its manifest is missing or unreadable",
  }));
  if (run.folders.length === 0) skipped.push({ name: "snapshots", reason: "there are none" });
  if (run.usable.length === 0) return { skipped };
  const outcome = bootFromSnapshot(run, run.usable[0]);
  return { booted: outcome.booted, skipped: [...skipped, ...outcome.skipped] };
}

/** Level 3: each older snapshot in turn (latest−1, then the epoch), then a replay. */
function bootFromOlderSnapshots(run: RecoveryRun): LevelOutcome {
  const skipped: SkipNote[] = [];
  for (const entry of run.usable.slice(1)) {
    const outcome = bootFromSnapshot(run, entry);
    skipped.push(...outcome.skipped);
    if (outcome.booted !== undefined) return { booted: outcome.booted, skipped };
  }
  return { skipped };
}

/** Restore `entry` in place of the PMA (moved aside) and replay the log after it. */
function bootFromSnapshot(run: RecoveryRun, entry: SnapshotEntry): LevelOutcome {
  const name = `snapshot ${entry.name}`;
  const unfit = snapshotUnfit(run, entry);
  if (unfit !== null) return skip(unfit, name);
  const { state } = run;
  run.quarantined ??= quarantine(run);
  try {
    run.snapshots.restore(entry, run.pmaDir);
    state.attach(Pma.open(run.pmaDir, { create: false, sidecar: "checkpoint" }));
    const from = state.pma.eventNumber;
    const fit = state.kernels.forState(from, hex(state.pma.kernelHash));
    if (from !== BigInt(entry.manifest.eventNumber) || fit === null) {
      throw new CellarError("the restored slab does not match its manifest");
    }
    state.adoptRoot();
    const replay = replayLog(state, run.log, { ...fit, last: run.last }, run.replay);
    const detail = `Snapshot ${entry.name} (event ${from}), then replayed ${replay.count} events`;
    return booted(detail, replay, entry.name);
  } catch (error) {
    if (isInterrupted(error)) throw error;
    state.drop();
    run.quarantined = quarantine(run) ?? run.quarantined;
    return skip(`using it failed: ${errorText(error)}`, name);
  }
}

/** Why the snapshot cannot serve as a starting point, or null. */
function snapshotUnfit(run: RecoveryRun, entry: SnapshotEntry): string | null {
  const m = entry.manifest;
  const event = BigInt(m.eventNumber);
  if (event > run.last) {
    return `it is at event ${event}, ahead of the log (${run.last})`;
  }
  if (run.state.kernels.forState(event, m.kernelHash) === null) {
    return `its kernel ${m.kernelHash.slice(0, 16)} is not the log's kernel at event ${event}`;
  }
  if (event > 0n) {
    const row = run.log.get(event);
    if (row !== null && row.stateMug !== m.stateMug) {
      return `its state's mug differs from the log's record for event ${event}`;
    }
  }
  const gap = run.log.firstGap(event + 1n, run.last);
  if (gap !== null) return `the log is missing event ${gap}, after the snapshot`;
  const check = run.snapshots.verify(entry);
  if (!check.ok) return `it fails verification: ${check.reason}`;
  return null;
}

/** Level 4: the boot kernel, then every event of a continuous log. */
function bootByFullReplay(run: RecoveryRun): LevelOutcome {
  // A gap makes this level impossible; the refusal names it.
  if (run.logGap !== null) return { skipped: [] };
  run.quarantined ??= quarantine(run);
  const { state } = run;
  try {
    const first = state.kernels.first;
    state.attach(Pma.open(run.pmaDir, { sidecar: "checkpoint" }));
    state.kernel = first;
    state.event = 0n;
    state.commit(state.kernels.bootCore(), 0n);
    const pending = state.kernels.upgradesAfter(0n);
    const replay = replayLog(
      state,
      run.log,
      { kernel: first, pending, last: run.last },
      run.replay,
    );
    const detail = `Booted the kernel fresh and replayed the whole log (${replay.count} events)`;
    return booted(detail, replay);
  } catch (error) {
    if (isInterrupted(error)) throw error;
    state.drop();
    return skip(errorText(error));
  }
}

/** Move the PMA folder aside (into `quarantine/`), keeping the two newest there. */
function quarantine(run: RecoveryRun): string | undefined {
  run.state.drop();
  if (!nonEmpty(run.pmaDir)) {
    try {
      Deno.removeSync(run.pmaDir, { recursive: true });
    } catch { /* absent */ }
    return undefined;
  }
  const qdir = `${run.dataDir}/quarantine`;
  Deno.mkdirSync(qdir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dest = `${qdir}/${stamp}-pma`;
  Deno.renameSync(run.pmaDir, dest);
  syncDir(run.dataDir);
  const old = [...Deno.readDirSync(qdir)].map((e) => e.name).sort();
  for (const name of old.slice(0, Math.max(0, old.length - 2))) {
    Deno.removeSync(`${qdir}/${name}`, { recursive: true });
  }
  return dest;
}

function nonEmpty(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return true;
    return false;
  } catch {
    return false;
  }
}
