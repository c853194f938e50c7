/**
 * The NockApp runtime: a kernel's state kept in a data directory that never loses an
 * accepted event.
 *
 * A data directory holds:
 * - `log.sqlite` — the event log ({@linkcode EventLog}), the authority on accepted events
 *   and on the kernels that ran them;
 * - `pma/` — the PMA slab with the state after the newest event;
 * - `snapshots/` — verified copies of older slabs ({@linkcode SnapshotStore});
 * - `quarantine/` — PMA folders that recovery set aside (kept for inspection);
 * - `cellar.lock` — held by the one process that writes.
 *
 * Pokes are committed in groups with one flush per group (docs/DESIGN.md, "The commit
 * protocol"; `group_commit.ts`): each is computed on its predecessor's product (a crash
 * changes nothing and logs nothing), the group's rows are staged in the log, one PMA commit
 * (one fdatasync) makes the state and the rows durable, the log transaction commits, and
 * only then are the effects returned. At open, the log first takes back from the PMA's tail
 * any event a power loss took from it (`log_tail.ts`).
 *
 * Boot climbs the recovery ladder of `recovery.ts` (PMA, snapshots, full replay, refusal):
 * the first level that works wins, and the boot report says why each earlier one was skipped.
 *
 * @module
 */

import { PmaError } from "../core/errors.ts";
import { addJets } from "../core/jets.ts";
import { Noun } from "../core/noun.ts";
import { commitBootState, discardPrepared, prepareNewDirectory } from "./boot_state.ts";
import type { PreparedState } from "./boot_state.ts";
import { EventLog } from "./event_log.ts";
import { defaultKernel } from "./default_kernel.ts";
import { FileLock, prepareDataDir } from "./files.ts";
import { pathNoun, peekKernel } from "./kernel.ts";
import type { PeekResult } from "./kernel.ts";
import { Faults, GroupCommitter } from "./group_commit.ts";
import { KernelTable } from "./kernel_table.ts";
import { repairLog } from "./log_tail.ts";
import type { PmaGcResult, PmaScrubProgress } from "./pma.ts";
import { recover } from "./recovery.ts";
import { applyLoggedEvents } from "./replicated.ts";
import type { LoggedInput } from "./replicated.ts";
import type { BootReport } from "./recovery.ts";
import type { ReplayOptions } from "./replay.ts";
import { RuntimeError } from "./runtime_error.ts";
import { SnapshotStore } from "./snapshots.ts";
import type { SnapshotKind } from "./snapshots.ts";
import { KernelState } from "./state.ts";
import type { WireLike } from "./wire.ts";
import type {
  CommitStatus,
  CommitStep,
  ComputedEvent,
  GroupRange,
  PokeOutcome,
  PokeRequest,
  PokeResult,
  RuntimeOptions,
  RuntimeStatus,
  SnapshotInfo,
  SnapshotStatus,
} from "./types.ts";

export { RuntimeError } from "./runtime_error.ts";
export type { BootReport, SkippedLevel } from "./recovery.ts";
export type { ReplayProgress } from "./replay.ts";
export {
  replicateBeforeCommit,
  replicateGroupBeforeCommit,
  StateMismatchError,
} from "./replicated.ts";
export type { LoggedInput, ReplicatedEvent } from "./replicated.ts";
export type { StateOption, StateSource } from "./boot_state.ts";
export type { WireLike } from "./wire.ts";
export type {
  CommitStall,
  CommitStatus,
  CommitStep,
  ComputedEvent,
  GroupLimits,
  GroupRange,
  PokeOutcome,
  PokeRequest,
  PokeResult,
  RuntimeOptions,
  RuntimeStatus,
  SnapshotInfo,
  SnapshotStatus,
} from "./types.ts";

export { defaultKernel } from "./default_kernel.ts";

/**
 * A kernel running in a data directory. One per thread (it holds the thread's PMA).
 *
 * @example
 * ```ts
 * import { Noun, Runtime } from "@cellar/cellar";
 * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
 * using cause = Noun.from(["put", "greeting", "hello"]);
 * const { eventNumber, effects } = runtime.poke(cause);
 * effects.dispose();
 * const r = runtime.peek("/get/greeting");
 * console.log(eventNumber, r.kind === "value" && r.value.toCord()); // 1n hello
 * ```
 */
export class Runtime {
  readonly dataDir: string;
  readonly #options: RuntimeOptions;
  #lock: FileLock | null;
  #log: EventLog;
  /** The committed state, its PMA and the log's kernels. */
  #state: KernelState;
  #snapshots: SnapshotStore;
  #boot!: BootReport;
  #committer: GroupCommitter;
  /** `CELLAR_CRASH_AT`: the step and event at which this process kills itself. */
  #crashAt: { step: string; event: bigint } | null;
  /** Pokes of {@linkcode Runtime.pokeAsync} waiting for the next group. */
  #queued: { request: PokeRequest; settle: (outcome: PokeOutcome) => void }[] = [];
  #flushScheduled = false;
  #sinceSnapshotEvents = 0;
  #sinceSnapshotMs = 0;
  #lastGc: (PmaGcResult & { at: number }) | null = null;
  #lastSnapshot: (SnapshotInfo & { at: number }) | null = null;
  #pokes = 0;
  #peeks = 0;

  private constructor(options: RuntimeOptions, lock: FileLock, log: EventLog) {
    this.dataDir = options.dataDir;
    this.#options = options;
    this.#lock = lock;
    this.#log = log;
    this.#state = new KernelState(new KernelTable(log));
    this.#snapshots = new SnapshotStore(`${options.dataDir}/snapshots`);
    this.#crashAt = parseCrashAt(readEnv("CELLAR_CRASH_AT"));
    this.#committer = new GroupCommitter(this.#state, log, {
      pokeLimits: options.pokeLimits,
      groupLimits: options.groupLimits,
      logSyncEveryEvents: options.logSyncEveryEvents,
      logSyncEveryBytes: options.logSyncEveryBytes,
      faults: new Faults([options.faults, readEnv("CELLAR_FAULTS")].filter(Boolean).join(",")),
      step: (step, event, group) => this.#step(step, event, group),
      onGroup: options.onGroup,
      onComputed: options.onComputed,
      beforeCommit: options.beforeCommit,
    });
  }

  /**
   * Open a data directory: take its lock, open the log, recover the state (see
   * `recovery.ts`) and upgrade the kernel when `options.kernel` differs from the
   * directory's. Throws {@linkcode RuntimeError} (`Locked`, `Refused`, `UpgradeFailed`,
   * `Interrupted`), {@linkcode EventLogError} for a damaged log.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * const runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.bootReport.name); // new
   * runtime.close();
   * ```
   */
  static open(options: RuntimeOptions): Runtime {
    const started = performance.now();
    const dir = options.dataDir;
    if (typeof dir !== "string" || dir.length === 0) {
      throw new RuntimeError("BadArgument", "The data directory must be a non-empty path");
    }
    // The app's jets first (all or none): a bad table opens nothing.
    if (options.jets !== undefined) addJets(options.jets);
    // A state is read, checked and loaded before anything is created.
    const prepared = options.state === undefined
      ? null
      : prepareNewDirectory(dir, options.kernel ?? defaultKernel(), options.state);
    let lock: FileLock;
    let log: EventLog;
    try {
      // Created 0700 with its log and lock 0600; symbolic links and special files among its
      // members are refused (UnsafeDataDirError) before anything is written through them.
      prepareDataDir(dir);
      lock = lockDataDir(dir);
    } catch (error) {
      discardPrepared(prepared);
      throw error;
    }
    try {
      log = EventLog.open(`${dir}/log.sqlite`);
    } catch (error) {
      discardPrepared(prepared);
      lock.release();
      throw error;
    }
    const runtime = new Runtime(options, lock, log);
    try {
      runtime.#recover(started, prepared);
      return runtime;
    } catch (error) {
      runtime.#release();
      throw error;
    }
  }

  /** How this runtime booted. */
  get bootReport(): BootReport {
    return this.#boot;
  }

  /** The number of the last accepted event. */
  get eventNumber(): bigint {
    return this.#state.event;
  }

  /** blake3 (hex) of the running kernel's jam. */
  get kernelHash(): string {
    return this.#state.kernel.hashHex;
  }

  /**
   * The kernel core (the whole state) as committed. A new noun the caller owns.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * using state = runtime.state();
   * console.log(state.isCell); // true
   * ```
   */
  state(): Noun {
    return this.#live().at(1);
  }

  /**
   * Poke the kernel with `cause` on `wire`: any noun, used as it is, or a path (`/a/b` or
   * segments: the list of its cords, with `poke` prepended when missing; default
   * `/poke/api`). A group of one: returns once the event is durable. A crash of the kernel
   * (a {@linkcode NockError}, with its trace) changes nothing and logs nothing; a commit that
   * cannot be made throws a {@linkcode RuntimeError} (`CommitStalled`: nothing was kept, the
   * runtime retries by itself; `CommitFailed`: the runtime stopped).
   *
   * @example
   * ```ts
   * import { Noun, Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * using cause = Noun.from(["incr", "hits", 1]);
   * using effects = runtime.poke(cause, { wire: "/poke/doc" }).effects;
   * console.log(effects.toString());
   * ```
   */
  poke(cause: Noun, options: { wire?: WireLike } = {}): PokeResult {
    const [outcome] = this.pokeMany([{ cause, wire: options.wire }]);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * Poke the kernel with each of `requests` in order, each computed on the state its
   * predecessors left, and make them durable in groups (one flush per group; a group ends at
   * `groupLimits`). Each outcome is the poke's result once durable, or its error: a kernel
   * crash (that poke leaves no trace; the others go on) or a refused commit. The caller owns
   * the effects of each result.
   *
   * @example
   * ```ts
   * import { Noun, Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * using a = Noun.from(["put", "a", 1]);
   * using b = Noun.from(["put", "b", 2]);
   * const outcomes = runtime.pokeMany([{ cause: a }, { cause: b }]);
   * for (const o of outcomes) if (o.ok) o.result.effects.dispose();
   * console.log(runtime.eventNumber, runtime.status().commit.groups); // 2n 1
   * ```
   */
  pokeMany(requests: readonly PokeRequest[]): PokeOutcome[] {
    this.#live();
    const outcomes = this.#committer.run(requests);
    for (const o of outcomes) {
      if (!o.ok) continue;
      this.#pokes++;
      this.#sinceSnapshotEvents++;
      this.#sinceSnapshotMs += o.result.computeMs;
    }
    if ((this.#options.autoMaintain ?? true) && this.#committer.fatal === null) this.maintain();
    return outcomes;
  }

  /**
   * Apply events another member computed (a follower in cluster mode, `replicated.ts`): run
   * each with its logged entropy and time, check its state mug, commit the matching ones as a
   * group. Throws `StateMismatchError` (after committing the events before it) on a mismatch.
   * `onComputed` sees each matching event before it is logged (drivers write ahead there);
   * throwing stops the batch there, as a mismatch does.
   */
  applyLogged(
    events: readonly LoggedInput[],
    hooks: { onComputed?: (event: ComputedEvent) => void } = {},
  ): PokeOutcome[] {
    this.#live();
    const outcomes = applyLoggedEvents(this.#state, this.#committer, events, hooks.onComputed);
    this.#sinceSnapshotEvents += outcomes.filter((o) => o.ok).length;
    if ((this.#options.autoMaintain ?? true) && this.#committer.fatal === null) this.maintain();
    return outcomes;
  }

  /**
   * Poke without waiting: the pokes made in one turn of the event loop are committed as one
   * group (in call order) once that turn ends. Resolves once durable, rejects like
   * {@linkcode Runtime.poke}. `cause` must stay live until the promise settles.
   *
   * @example
   * ```ts
   * import { Noun, Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * using a = Noun.from(["put", "a", 1]);
   * using b = Noun.from(["put", "b", 2]);
   * const results = await Promise.all([runtime.pokeAsync(a), runtime.pokeAsync(b)]);
   * for (const r of results) r.effects.dispose();
   * console.log(runtime.status().commit.lastGroupSize); // 2
   * ```
   */
  pokeAsync(cause: Noun, options: { wire?: string | readonly string[] } = {}): Promise<PokeResult> {
    this.#live();
    return new Promise((resolve, reject) => {
      this.#queued.push({
        request: { cause, wire: options.wire },
        settle: (o) => (o.ok ? resolve(o.result) : reject(o.error)),
      });
      this.#scheduleFlush();
    });
  }

  /** Commit the queued pokes after this turn of the event loop (a message, not a timer:
   * timers nested in timers are clamped to 4 ms). */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      this.#flushScheduled = false;
      this.#flushQueued();
    };
    channel.port2.postMessage(null);
  }

  #flushQueued(): void {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 0) return;
    let outcomes: PokeOutcome[];
    try {
      outcomes = this.pokeMany(queued.map((q) => q.request));
    } catch (error) {
      outcomes = queued.map(() => ({ ok: false, error }));
    }
    queued.forEach((q, i) => q.settle(outcomes[i]));
  }

  /**
   * Retry a stalled commit now (see `status().commit.stalled`): the log takes what the PMA's
   * tail has and it lacks, and the PMA commits again. Returns whether commits work again.
   * A server calls this on a timer; pokes are refused with `CommitStalled` meanwhile.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.retryCommit()); // true (nothing was stalled)
   * ```
   */
  retryCommit(): boolean {
    if (this.#lock === null) throw new RuntimeError("Closed", "The runtime is closed");
    return this.#committer.retry();
  }

  /**
   * One step of the PMA's background scrub: check about `maxBytes` more of the slab's data
   * against its checksums (`Pma.scrubStep`). A fault is reported, not thrown; the
   * PMA then refuses commits, and the next open recovers from a snapshot and the log.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.scrubStep(2 ** 20).faults); // 0
   * ```
   */
  scrubStep(maxBytes: number): PmaScrubProgress {
    if (this.#lock === null) throw new RuntimeError("Closed", "The runtime is closed");
    return this.#state.pma.scrubStep(maxBytes);
  }

  /**
   * Peek at the committed state with `path` (`/a/b` or segments, or a path noun).
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.peek("/count").kind); // value
   * ```
   */
  peek(path: string | readonly string[] | Noun): PeekResult {
    const core = this.#live();
    this.#peeks++;
    if (path instanceof Noun) return peekKernel(core, path, this.#options.peekLimits);
    using p = pathNoun(path);
    return peekKernel(core, p, this.#options.peekLimits);
  }

  /** Whether a snapshot or a PMA GC is due. */
  maintenanceDue(): { snapshot: boolean; gc: boolean } {
    const o = this.#options;
    const everyEvents = o.snapshotEveryEvents ?? 10_000;
    const everyMs = o.snapshotEveryComputeMs ?? 900_000;
    const snapshot = (everyEvents > 0 && this.#sinceSnapshotEvents >= everyEvents) ||
      (everyMs > 0 && this.#sinceSnapshotEvents > 0 && this.#sinceSnapshotMs >= everyMs);
    const stats = this.#state.pma.stats();
    const gc = stats.usedBytes > (o.gcMinBytes ?? 256 * 2 ** 20) &&
      stats.usedBytes > (o.gcFactor ?? 3) * Math.max(stats.liveBytesAfterGc, 1);
    return { snapshot, gc };
  }

  /** Run what is due: a PMA GC, then a snapshot. */
  maintain(): void {
    this.#live();
    const due = this.maintenanceDue();
    if (due.gc) this.gc();
    if (due.snapshot) this.snapshot();
  }

  /**
   * Write a snapshot of the committed state now (an epoch when the newest epoch is
   * `epochEveryEvents` old, else rotating), then prune old ones.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.snapshot().eventNumber); // 0n
   * ```
   */
  snapshot(kind?: SnapshotKind): SnapshotInfo {
    const core = this.#live();
    const chosen = kind ?? this.#snapshotKind();
    const entry = this.#snapshots.create(chosen, {
      kernelHash: this.#state.kernel.hashHex,
      stateMug: core.mug,
    });
    this.#step("snapshot-written", this.#state.event);
    this.#sinceSnapshotEvents = 0;
    this.#sinceSnapshotMs = 0;
    const info: SnapshotInfo = {
      name: entry.name,
      kind: chosen,
      eventNumber: BigInt(entry.manifest.eventNumber),
      bytes: entry.manifest.bytes,
      writeMs: entry.manifest.writeMs,
    };
    this.#lastSnapshot = { ...info, at: Date.now() };
    this.#log.checkpoint();
    return info;
  }

  #snapshotKind(): SnapshotKind {
    const epochs = this.#snapshots.list().filter((e) => e.manifest.kind === "epoch");
    const every = BigInt(this.#options.epochEveryEvents ?? 100_000);
    if (epochs.length === 0) return "epoch";
    const age = this.#state.event - BigInt(epochs[0].manifest.eventNumber);
    return age >= every ? "epoch" : "rotating";
  }

  /**
   * Copy-compact the PMA now (the state's nouns move with it).
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.gc().liveBytes > 0); // true
   * ```
   */
  gc(): PmaGcResult {
    this.#live();
    const result = this.#state.pma.gc();
    this.#lastGc = { ...result, at: Date.now() };
    return result;
  }

  /** Snapshots on disk, newest first. */
  snapshots(): SnapshotStatus[] {
    const now = Date.now();
    return this.#snapshots.list().map((e) => ({
      name: e.name,
      kind: e.manifest.kind,
      eventNumber: BigInt(e.manifest.eventNumber),
      bytes: e.manifest.bytes,
      ageMs: now - Date.parse(e.manifest.createdAt),
    }));
  }

  /** Verify every snapshot (blake3 of each slab copy against its manifest). */
  verifySnapshots(): { name: string; ok: boolean; reason?: string; ms?: number }[] {
    return this.#snapshots.list().map((e) => {
      const r = this.#snapshots.verify(e);
      return r.ok
        ? { name: e.name, ok: true, ms: r.ms }
        : { name: e.name, ok: false, reason: r.reason };
    });
  }

  /**
   * The runtime's state for status pages and metrics.
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.status().eventNumber); // 0n
   * ```
   */
  status(): RuntimeStatus {
    // Not #live(): a runtime whose commits failed still reports why.
    if (this.#lock === null) throw new RuntimeError("Closed", "The runtime is closed");
    return {
      dataDir: this.dataDir,
      eventNumber: this.#state.event,
      kernelHash: this.#state.kernel.hashHex,
      pma: this.#state.pma.stats(),
      logBytes: this.#log.sizeBytes(),
      snapshots: this.snapshots(),
      boot: this.#boot,
      sinceSnapshot: { events: this.#sinceSnapshotEvents, computeMs: this.#sinceSnapshotMs },
      lastGc: this.#lastGc,
      lastSnapshot: this.#lastSnapshot,
      pokes: this.#pokes,
      peeks: this.#peeks,
      commit: this.#committer.status(),
    };
  }

  /**
   * The commit path's counters and stall (the `commit` part of {@linkcode Runtime.status},
   * without the rest's file reads).
   *
   * @example
   * ```ts
   * import { Runtime } from "@cellar/cellar";
   * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync() });
   * console.log(runtime.commitStatus().stalled); // null
   * ```
   */
  commitStatus(): CommitStatus {
    return this.#committer.status();
  }

  /** The event log (read access for tools: export, verification). */
  get log(): EventLog {
    return this.#log;
  }

  /** Close: release the state, close the PMA (writes its sidecar) and the log, unlock.
   * Pokes still queued by {@linkcode Runtime.pokeAsync} are rejected (`Closed`). */
  close(): void {
    if (this.#lock === null) return;
    const queued = this.#queued;
    this.#queued = [];
    this.#release();
    const error = new RuntimeError("Closed", "The runtime was closed before the poke ran");
    for (const q of queued) q.settle({ ok: false, error });
  }

  /** Same as {@linkcode Runtime.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ------------------------------------------------------------------ internals

  #live(): Noun {
    if (this.#lock === null) throw new RuntimeError("Closed", "The runtime is closed");
    if (this.#committer.fatal !== null) throw this.#committer.refusal();
    return this.#state.core;
  }

  #step(step: CommitStep, event: bigint, group: GroupRange = { first: event, last: event }): void {
    this.#options.onStep?.(step, event, group);
    const at = this.#crashAt;
    if (at !== null && at.step === step && group.first <= at.event && at.event <= group.last) {
      Deno.kill(Deno.pid, "SIGKILL");
    }
  }

  #release(): void {
    this.#state.kernels.dispose();
    try {
      if (this.#state.hasCore) this.#committer.dropTail();
    } catch { /* the tail stays in the PMA root, and the next open repairs from it */ }
    try {
      this.#state.drop();
    } finally {
      try {
        this.#log.checkpoint();
      } catch { /* best effort */ }
      this.#log.close();
      this.#lock?.release();
      this.#lock = null;
    }
  }

  /**
   * Recover the state (the ladder of `recovery.ts`), keep the recovered point as a
   * snapshot when events were replayed, then upgrade the kernel if asked.
   */
  #recover(started: number, prepared: PreparedState | null): void {
    // The log takes back what a power loss took from it and the PMA's tail still has, then
    // is made durable as it is: the first group's tail starts after it.
    const repair = repairLog(`${this.dataDir}/pma`, this.#log);
    this.#committer.repaired = repair.appended ?? null;
    this.#committer.syncLog();
    const report = prepared !== null
      ? commitBootState({ dataDir: this.dataDir, log: this.#log, state: this.#state }, prepared)
      : recover({
        dataDir: this.dataDir,
        log: this.#log,
        snapshots: this.#snapshots,
        state: this.#state,
        newKernel: () => this.#options.kernel ?? defaultKernel(),
        replay: this.#replayOptions(),
      });
    this.#boot = { ...report, eventNumber: this.#state.event, bootMs: 0 };
    if (repair.appended !== undefined) {
      const { from, to } = repair.appended;
      this.#boot.warnings.push(
        `Repaired the log: appended events ${from}..${to} from the PMA's tail (the log had ` +
          `lost them, as a power loss does to writes that were not synced yet)`,
      );
    }
    if (repair.problem !== undefined) {
      this.#boot.warnings.push(`The log could not be repaired from the PMA: ${repair.problem}`);
    }
    if (report.level > 1 && report.replayed > 0) {
      // Keep the recovered point: the next boot will not need to replay it again.
      this.snapshot();
    }
    this.#upgradeIfAsked();
    this.#boot.bootMs = performance.now() - started;
  }

  #replayOptions(): ReplayOptions {
    const o = this.#options;
    return {
      onProgress: o.onProgress,
      signal: o.signal,
      snapshotEveryEvents: o.snapshotEveryEvents ?? 10_000,
      countEvent: (computeMs) => {
        this.#sinceSnapshotEvents++;
        this.#sinceSnapshotMs += computeMs;
        return this.#sinceSnapshotEvents;
      },
      snapshot: () => {
        this.snapshot();
      },
    };
  }

  /** The upgrade asked for by `options.kernel`, if it differs from the running kernel. */
  #upgradeIfAsked(): void {
    const jam = this.#options.kernel;
    if (jam === undefined) return;
    const upgraded = this.#state.upgrade(jam, this.#log, {
      dataDir: this.dataDir,
      limits: this.#options.pokeLimits,
    });
    if (upgraded !== null) this.#boot.upgradedKernel = upgraded;
  }
}

/** Take the data directory's writer lock: a `Locked` error when another process holds it. */
function lockDataDir(dir: string): FileLock {
  try {
    return FileLock.acquire(`${dir}/cellar.lock`);
  } catch (cause) {
    if (!(cause instanceof PmaError && cause.code === "Locked")) throw cause;
    throw new RuntimeError(
      "Locked",
      `The data directory ${dir} is in use by another Cellar process (its lock ${dir}/cellar.lock is held)`,
      { cause },
    );
  }
}

/** An environment variable, or undefined when it is unset or not readable here. */
function readEnv(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** `CELLAR_CRASH_AT=STEP@EVENT`, or null. */
function parseCrashAt(text: string | undefined): { step: string; event: bigint } | null {
  if (text === undefined || text === "") return null;
  const m = /^([a-z-]+)@(\d+)$/.exec(text);
  if (m === null) {
    throw new RuntimeError("BadArgument", `Bad CELLAR_CRASH_AT ${text}: use STEP@EVENT`);
  }
  return { step: m[1], event: BigInt(m[2]) };
}
