/**
 * Replay of the event log onto a committed state: each logged event is poked again, in
 * order, and must reproduce the state mug the log recorded for it. Kernel upgrades run at
 * the events they followed. The replayed state is committed every 1,000 events, before an
 * upgrade and at the end; snapshots are taken on the runtime's event schedule, so a long
 * replay that is stopped (an abort signal) or killed keeps its progress.
 *
 * A logged event was accepted once, so its replay runs with no compute limit (no wall-clock
 * timeout, no step limit): a limit that is lower now, or a machine that is busier, must not
 * make a data directory unbootable. The workspace's memory limit still applies. A replay is
 * stopped between events by the abort signal, and inside a long event by an interrupt of
 * this thread's machine from another thread (`interrupt(machineId)`); either way it stops
 * cleanly with `Interrupted`, keeping what was replayed before the event.
 *
 * @module
 */

import { CellarError, NockError } from "../core/errors.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import type { EventLog, LoggedEvent } from "./event_log.ts";
import { pokeKernel } from "./kernel.ts";
import type { KernelInfo } from "./kernel_table.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";
import type { KernelState } from "./state.ts";
import { Operation } from "./progress.ts";

/** Replay progress. */
export interface ReplayProgress {
  /** Events replayed so far. */
  done: number;
  /** Events to replay. */
  total: number;
  /** Event number just replayed. */
  eventNumber: bigint;
  elapsedMs: number;
}

/** How a replay reports, stops, and keeps its progress. */
export interface ReplayOptions {
  /** Called at most every 100 ms, after the first event and after the last. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Aborting stops the replay between events; its progress is kept as a snapshot. */
  signal?: AbortSignal;
  /** Take a snapshot once this many events are past the last one (0: never). */
  snapshotEveryEvents: number;
  /**
   * Count one replayed event (with its logged compute time) toward the snapshot schedule;
   * returns the events since the last snapshot.
   */
  countEvent(computeMs: number): number;
  /** Snapshot the committed state (which resets the count). */
  snapshot(): void;
}

/** What a replay did. */
export interface ReplayResult {
  /** Events replayed. */
  count: number;
  ms: number;
}

/** State commits of a replay are batched this many events at a time. */
const commitEvery = 1000;
/** At most one progress report per this many milliseconds (besides the first and last). */
const progressEveryMs = 100;
/** The limits of a replayed event: none (0 is no limit). */
const unlimited: NockOptions = { stepLimit: 0, timeoutMs: 0 };

/**
 * Replay the log from the state's PMA event up to `last` under `kernel`, after applying the
 * `pending` upgrades at the start. Throws a `CellarError` naming the event that crashed,
 * replayed to a different state, or is missing, and a {@linkcode RuntimeError}
 * (`Interrupted`) when `options.signal` aborts.
 */
export function replayLog(
  state: KernelState,
  log: EventLog,
  from: { kernel: KernelInfo; pending: readonly KernelInfo[]; last: bigint },
  options: ReplayOptions,
): ReplayResult {
  const started = performance.now();
  const { last } = from;
  state.kernel = from.kernel;
  const event = state.pma.eventNumber;
  state.event = event;
  for (const k of from.pending) state.applyUpgrade(k, event);
  const total = Number(last - event);
  const op = Operation.begin("replay", "events", total);
  try {
    const count = replayRows(state, log, { event, last }, options, op);
    if (state.event !== last) {
      throw new CellarError(`the log ended at event ${state.event}, expected ${last}`);
    }
    state.commitHeld();
    return { count, ms: performance.now() - started };
  } finally {
    op.end();
  }
}

/** The loop of {@linkcode replayLog}: the events after the state's, up to `last`. */
function replayRows(
  state: KernelState,
  log: EventLog,
  range: { event: bigint; last: bigint },
  options: ReplayOptions,
  op: Operation,
): number {
  const { last } = range;
  const started = performance.now();
  const total = op.progress().total;
  let count = 0;
  let lastReport = 0;
  for (const row of log.range(range.event + 1n, last)) {
    if (options.signal?.aborted) stop(state, count, last, options);
    if (!replayEvent(state, row)) stop(state, count, last, options);
    count++;
    const since = options.countEvent(row.computeMs);
    if (count % commitEvery === 0) state.commitHeld();
    if (options.snapshotEveryEvents > 0 && since >= options.snapshotEveryEvents) {
      state.commitHeld();
      options.snapshot();
    }
    for (const k of state.kernels.upgradesAfter(row.num)) {
      state.commitHeld();
      state.applyUpgrade(k, row.num);
    }
    const now = performance.now();
    if (now - lastReport >= progressEveryMs || count === total || count === 1) {
      lastReport = now;
      op.advance(count);
      options.onProgress?.({ done: count, total, eventNumber: row.num, elapsedMs: now - started });
    }
  }
  return count;
}

/**
 * Poke logged event `row` into the held state, with no compute limit; its product must have
 * the logged mug. Returns false when the event was interrupted (the state is unchanged).
 */
function replayEvent(state: KernelState, row: LoggedEvent): boolean {
  using body = Noun.cue(row.jam);
  using sample = Noun.cell(row.num, body);
  let product;
  try {
    product = pokeKernel(state.core, sample, unlimited);
  } catch (cause) {
    // With no limit, %intr comes only from an interrupt: a request to stop, not a crash.
    if (cause instanceof NockError && cause.kind === "intr") {
      cause.traceNoun?.dispose();
      return false;
    }
    throw new CellarError(`event ${row.num} crashed on replay: ${errorText(cause)}`, { cause });
  }
  product.effects.dispose();
  const mug = product.core.mug;
  if (mug !== row.stateMug) {
    product.core.dispose();
    throw new CellarError(
      `event ${row.num} replayed to a different state (mug ${hex32(mug)}, logged ${
        hex32(row.stateMug)
      })`,
    );
  }
  state.advance(product.core, row.num);
  return true;
}

/** Keep what was replayed (committed, and as a snapshot if anything was), then stop. */
function stop(state: KernelState, count: number, last: bigint, options: ReplayOptions): never {
  state.commitHeld();
  if (count > 0) options.snapshot();
  throw new RuntimeError(
    "Interrupted",
    `Replay interrupted at event ${state.event} of ${last}; the progress is kept as a ` +
      `snapshot, so the next start continues from there`,
  );
}

function hex32(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}
