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
 * A poke (ARCHITECTURE.md 5): (1) compute in the workspace; a crash changes nothing and
 * logs nothing; (2) append the event to SQLite and commit; (3) commit the new state into the
 * PMA (one fdatasync); (4) only then return the effects.
 *
 * Boot (the recovery hierarchy; the first level that works wins, and the boot report says
 * why each earlier level was skipped):
 * 1. the PMA, if its event equals the log's last event and its kernel is the log's;
 * 2. the newest verified snapshot, then a replay of the log after it;
 * 3. an older snapshot (latest−1, then the epoch), then a replay;
 * 4. the kernel booted fresh and the whole log replayed, if the log is continuous;
 * 5. otherwise refuse, naming the problem.
 *
 * @module
 */

import { CellarError, NockError, PmaError } from "../core/errors.ts";
import { EventLog, EventLogError } from "./event_log.ts";
import type { LoggedKernel } from "./event_log.ts";
import { blake3, FileLock, hex, syncDir } from "./files.ts";
import {
  adoptStateRoot,
  bootKernel,
  loadKernel,
  pathNoun,
  pathSegments,
  peekKernel,
  pokeKernel,
  stateAxis,
  toDa,
} from "./kernel.ts";
import type { PeekResult } from "./kernel.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { Pma } from "./pma.ts";
import { exportJetRegistrations, importJetRegistrations, jetStats } from "../core/jets.ts";
import type { PmaGcResult, PmaStats } from "./pma.ts";
import { SnapshotStore } from "./snapshots.ts";
import type { SnapshotEntry, SnapshotKind } from "./snapshots.ts";

/**
 * A runtime-level failure. `code` says which: `"Locked"` (another process has the data
 * directory), `"Refused"` (no recovery level works; the message names the problem),
 * `"UpgradeFailed"` (the new kernel's load arm crashed; the old kernel and state are
 * kept), `"CommitFailed"` (an event is logged but its state could not be committed; the
 * runtime stops and the next boot replays it), `"Interrupted"` (a replay was stopped),
 * `"Closed"`, `"BadKernel"`.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "@cellar/cellar";
 * const error = new RuntimeError("Locked", "busy");
 * console.assert(error.code === "Locked");
 * ```
 */
export class RuntimeError extends CellarError {
  /** Which failure. */
  readonly code: string;
  /**
   * @param code Which failure
   * @param message What went wrong
   * @param options Standard error options (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
    this.code = code;
  }
}

/** Names of the commit steps, for tests that crash the process at each. */
export type CommitStep = "computed" | "logged" | "committed" | "answered" | "snapshot-written";

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

/** Options of {@linkcode Runtime.open}. */
export interface RuntimeOptions {
  /** The data directory (created when absent). */
  dataDir: string;
  /**
   * Kernel jam. A new data directory boots it; an existing one whose kernel differs is
   * upgraded to it (its load arm runs on the old state). Absent: the directory's own
   * kernel, or for a new directory the default kernel (`kernels/kv.jam`).
   */
  kernel?: Uint8Array;
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
  /** Called at each commit step (crash tests kill the process here). */
  onStep?: (step: CommitStep, eventNumber: bigint) => void;
}

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
}

const defaultKernelUrl = new URL("../../kernels/kv.jam", import.meta.url);

/**
 * The default kernel's jam: `kernels/kv.jam`, the committed standalone build of
 * `kernels/kv.hoon` (see docs/KERNELS.md).
 *
 * @example
 * ```ts
 * import { defaultKernel } from "@cellar/cellar";
 * console.log(defaultKernel().length > 0); // true
 * ```
 */
export function defaultKernel(): Uint8Array {
  try {
    return Deno.readFileSync(defaultKernelUrl);
  } catch (cause) {
    const path = decodeURIComponent(defaultKernelUrl.pathname);
    const why = cause instanceof Deno.errors.NotFound
      ? "it is missing from this checkout (it is committed: git checkout kernels/kv.jam " +
        "restores it), or pass a kernel jam of your own"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    throw new RuntimeError("BadKernel", `Cannot read the default kernel ${path}: ${why}`, {
      cause,
    });
  }
}

interface KernelInfo {
  entry: LoggedKernel;
  hashHex: string;
  index: number;
}

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
  #pma: Pma | null = null;
  #core: Noun | null = null;
  /** The jet registrations kept beside the core in the PMA root `[core cold]`. */
  #cold: Noun | null = null;
  /** The dashboard's registration count when `#cold` was exported. */
  #coldRegistrations = -1;
  #event = 0n;
  #kernels: KernelInfo[] = [];
  #kernel!: KernelInfo;
  #snapshots: SnapshotStore;
  #boot!: BootReport;
  #poisoned: string | null = null;
  #sinceSnapshotEvents = 0;
  #sinceSnapshotMs = 0;
  #lastGc: (PmaGcResult & { at: number }) | null = null;
  #lastSnapshot: (SnapshotInfo & { at: number }) | null = null;
  #pokes = 0;
  #peeks = 0;
  #bootedCores = new Map<string, Noun>();

  private constructor(options: RuntimeOptions, lock: FileLock, log: EventLog) {
    this.dataDir = options.dataDir;
    this.#options = options;
    this.#lock = lock;
    this.#log = log;
    this.#snapshots = new SnapshotStore(`${options.dataDir}/snapshots`);
  }

  /**
   * Open a data directory: take its lock, open the log, recover the state (see the module
   * documentation) and upgrade the kernel when `options.kernel` differs from the
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
    Deno.mkdirSync(dir, { recursive: true });
    let lock: FileLock;
    try {
      lock = FileLock.acquire(`${dir}/cellar.lock`);
    } catch (cause) {
      if (!(cause instanceof PmaError && cause.code === "Locked")) throw cause;
      throw new RuntimeError(
        "Locked",
        `The data directory ${dir} is in use by another Cellar process (its lock ${dir}/cellar.lock is held)`,
        { cause },
      );
    }
    let log: EventLog;
    try {
      log = EventLog.open(`${dir}/log.sqlite`);
    } catch (error) {
      lock.release();
      throw error;
    }
    const runtime = new Runtime(options, lock, log);
    try {
      runtime.#recover(started);
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
    return this.#event;
  }

  /** blake3 (hex) of the running kernel's jam. */
  get kernelHash(): string {
    return this.#kernel.hashHex;
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
   * Poke the kernel with `cause` on `wire` (default `/poke/api`; `poke` is prepended when
   * missing). Returns once the event is durable: logged in SQLite and its state committed
   * to the PMA. A crash of the kernel (a {@linkcode NockError}, with its trace) changes
   * nothing and logs nothing.
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
  poke(cause: Noun, options: { wire?: string | readonly string[] } = {}): PokeResult {
    const core = this.#live();
    const num = this.#event + 1n;
    const wireSegments = wirePath(options.wire);
    const started = performance.now();
    using wire = Noun.list(wireSegments);
    using body = Noun.from([
      wire,
      crypto.getRandomValues(new Uint8Array(32)),
      0,
      toDa(Date.now()),
      cause,
    ]);
    using sample = Noun.cell(num, body);
    const product = pokeKernel(core, sample, this.#options.pokeLimits);
    const computeMs = performance.now() - started;
    try {
      this.#step("computed", num);
      const mug = product.core.mug;
      this.#log.append(num, body.jam(), "/" + wireSegments.join("/"), computeMs, mug);
      this.#step("logged", num);
      try {
        this.#commitState(product.core, num);
      } catch (cause) {
        this.#poisoned = `event ${num} is logged but its state could not be committed to the PMA`;
        throw new RuntimeError(
          "CommitFailed",
          `Event ${num} is in the log but committing its state failed: ${
            cause instanceof Error ? cause.message : cause
          }. This runtime stops; reopening the data directory replays the event.`,
          { cause },
        );
      }
      this.#step("committed", num);
    } catch (error) {
      product.effects.dispose();
      throw error;
    } finally {
      product.core.dispose();
    }
    this.#event = num;
    this.#pokes++;
    this.#sinceSnapshotEvents++;
    this.#sinceSnapshotMs += computeMs;
    const result = {
      eventNumber: num,
      effects: product.effects,
      computeMs,
      commitMs: performance.now() - started - computeMs,
    };
    if (this.#options.autoMaintain ?? true) this.maintain();
    return result;
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
    const stats = this.#pma!.stats();
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
      kernelHash: this.#kernel.hashHex,
      stateMug: core.mug,
    });
    this.#step("snapshot-written", this.#event);
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
    return this.#event - BigInt(epochs[0].manifest.eventNumber) >= every ? "epoch" : "rotating";
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
    const result = this.#pma!.gc();
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
    this.#live();
    return {
      dataDir: this.dataDir,
      eventNumber: this.#event,
      kernelHash: this.#kernel.hashHex,
      pma: this.#pma!.stats(),
      logBytes: this.#log.sizeBytes(),
      snapshots: this.snapshots(),
      boot: this.#boot,
      sinceSnapshot: { events: this.#sinceSnapshotEvents, computeMs: this.#sinceSnapshotMs },
      lastGc: this.#lastGc,
      lastSnapshot: this.#lastSnapshot,
      pokes: this.#pokes,
      peeks: this.#peeks,
    };
  }

  /** The event log (read access for tools: export, verification). */
  get log(): EventLog {
    return this.#log;
  }

  /** Close: release the state, close the PMA (writes its sidecar) and the log, unlock. */
  close(): void {
    if (this.#lock === null) return;
    this.#release();
  }

  /** Same as {@linkcode Runtime.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ------------------------------------------------------------------ internals

  #live(): Noun {
    if (this.#lock === null) throw new RuntimeError("Closed", "The runtime is closed");
    if (this.#poisoned !== null) {
      throw new RuntimeError(
        "CommitFailed",
        `The runtime stopped: ${this.#poisoned}. Reopen the data directory to recover.`,
      );
    }
    return this.#core!;
  }

  #step(step: CommitStep, event: bigint): void {
    this.#options.onStep?.(step, event);
  }

  #release(): void {
    this.#core?.dispose();
    this.#core = null;
    this.#cold?.dispose();
    this.#cold = null;
    for (const core of this.#bootedCores.values()) core.dispose();
    this.#bootedCores.clear();
    try {
      if (this.#pma?.isOpen) this.#pma.close();
    } finally {
      this.#pma = null;
      try {
        this.#log.checkpoint();
      } catch { /* best effort */ }
      this.#log.close();
      this.#lock?.release();
      this.#lock = null;
    }
  }

  /** Boot (once per runtime) the kernel `k`, for its core and its jets' registrations. */
  #bootedCore(k: KernelInfo): Noun {
    let core = this.#bootedCores.get(k.hashHex);
    if (core === undefined) {
      try {
        core = bootKernel(this.#log.kernelJam(k.entry.id));
      } catch (cause) {
        throw new RuntimeError(
          "BadKernel",
          `Cannot boot kernel ${k.entry.id} (${k.hashHex.slice(0, 16)}): ${
            cause instanceof Error ? cause.message : cause
          }`,
          { cause },
        );
      }
      this.#bootedCores.set(k.hashHex, core);
    }
    return core;
  }

  #loadKernels(): void {
    this.#kernels = this.#log.kernels().map((entry, index) => ({
      entry,
      hashHex: hex(entry.hash),
      index,
    }));
  }

  /** The kernels installed after event `e` (upgrades that follow it), in order. */
  #upgradesAfter(e: bigint): KernelInfo[] {
    return this.#kernels.filter((k) => k.index > 0 && k.entry.installedAfter === e);
  }

  /**
   * Which kernel a state at event `e` with kernel hash `h` runs, and the upgrades still to
   * apply at `e`; null when the hash fits no kernel of the log at that point.
   */
  #kernelForState(e: bigint, h: string): { kernel: KernelInfo; pending: KernelInfo[] } | null {
    const active = this.#kernels.filter((k) => k.entry.installedAfter <= e || k.index === 0);
    // `active` ends with the kernel that runs after every upgrade at or before `e`.
    for (let i = active.length - 1; i >= 0; i--) {
      const k = active[i];
      const later = active.slice(i + 1);
      if (k.hashHex === h && later.every((l) => l.entry.installedAfter === e)) {
        return { kernel: k, pending: later };
      }
      if (k.entry.installedAfter < e) break;
    }
    return null;
  }

  #recover(started: number): void {
    const skipped: SkippedLevel[] = [];
    const warnings: string[] = [];
    const pmaDir = `${this.dataDir}/pma`;
    this.#snapshots.cleanTemp();
    this.#loadKernels();
    const extent = this.#log.extent();
    const last = extent.last;

    // A new data directory: no kernel in the log yet.
    if (this.#kernels.length === 0) {
      const leftovers = ["pma", "snapshots"].filter((d) => nonEmpty(`${this.dataDir}/${d}`));
      if (extent.count > 0n || leftovers.length > 0) {
        throw new RuntimeError(
          "Refused",
          `Refusing to start: the log in ${this.dataDir} names no kernel but the directory ` +
            `holds ${extent.count} logged events and ${leftovers.join(", ") || "no"} state ` +
            `folders. The log may have been replaced or damaged; restore log.sqlite.`,
        );
      }
      const jam = this.#options.kernel ?? defaultKernel();
      const booted = bootKernelChecked(jam);
      this.#log.addKernel(jam, 0n);
      this.#loadKernels();
      this.#kernel = this.#kernels[0];
      this.#bootedCores.set(this.#kernel.hashHex, booted);
      this.#pma = Pma.open(pmaDir, { sidecar: "checkpoint" });
      this.#event = 0n;
      this.#commitState(booted, 0n);
      this.#boot = {
        level: 0,
        name: "new",
        detail: `New data directory: booted kernel ${this.#kernel.hashHex.slice(0, 16)}`,
        skipped,
        eventNumber: 0n,
        replayed: 0,
        replayMs: 0,
        bootMs: performance.now() - started,
        warnings,
      };
      return;
    }

    const current = this.#kernels[this.#kernels.length - 1];
    this.#kernel = current;
    const logGap = extent.count > 0n ? this.#log.firstGap(1n, last) : null;
    if (logGap !== null) {
      warnings.push(
        `The log is missing event ${logGap} (of 1..${last}): a full replay is impossible`,
      );
    }

    // Level 1: the PMA.
    const pmaReason = this.#tryPma(pmaDir, last);
    if (pmaReason === null) {
      this.#finishBoot({
        level: 1,
        name: "pma",
        detail: `PMA at event ${last} matches the log`,
        skipped,
        warnings,
        replayed: 0,
        replayMs: 0,
      }, started);
      return;
    }
    skipped.push({ level: 1, name: "pma", reason: pmaReason });

    // Levels 2 and 3: snapshots, newest first.
    let quarantined: string | undefined;
    const entries = this.#snapshots.list();
    const all = this.#snapshots.listAll();
    for (const bad of all.filter((e) => e.manifest === null)) {
      skipped.push({
        level: 2,
        name: `snapshot ${bad.name}`,
        reason: "its manifest is missing or unreadable",
      });
    }
    let level: 2 | 3 = 2;
    for (const entry of entries) {
      const reason = this.#checkSnapshot(entry, last);
      if (reason !== null) {
        skipped.push({ level, name: `snapshot ${entry.name}`, reason });
        level = 3;
        continue;
      }
      quarantined ??= this.#quarantine(pmaDir);
      try {
        this.#snapshots.restore(entry, pmaDir);
        this.#pma = Pma.open(pmaDir, { create: false, sidecar: "checkpoint" });
        const from = this.#pma.eventNumber;
        const fit = this.#kernelForState(from, hex(this.#pma.kernelHash));
        if (from !== BigInt(entry.manifest.eventNumber) || fit === null) {
          throw new CellarError("the restored slab does not match its manifest");
        }
        this.#adoptRoot();
        const replay = this.#replay(fit.kernel, fit.pending, last);
        const detail =
          `Snapshot ${entry.name} (event ${from}), then replayed ${replay.count} events`;
        this.#finishBoot({
          level,
          name: level === 2 ? "snapshot" : "older-snapshot",
          detail,
          skipped,
          warnings,
          replayed: replay.count,
          replayMs: replay.ms,
          snapshot: entry.name,
          quarantined,
        }, started);
        return;
      } catch (error) {
        if (error instanceof RuntimeError && error.code === "Interrupted") throw error;
        this.#dropState();
        quarantined = this.#quarantine(pmaDir) ?? quarantined;
        skipped.push({
          level,
          name: `snapshot ${entry.name}`,
          reason: `using it failed: ${errorText(error)}`,
        });
        level = 3;
      }
    }
    if (entries.length === 0 && all.length === 0) {
      skipped.push({ level: 2, name: "snapshots", reason: "there are none" });
    }

    // Level 4: the whole log.
    if (logGap !== null) {
      throw this.#refuse(
        `the log is missing event ${logGap}, and no PMA or snapshot covers the events after it`,
        skipped,
      );
    }
    quarantined ??= this.#quarantine(pmaDir);
    try {
      const first = this.#kernels[0];
      this.#pma = Pma.open(pmaDir, { sidecar: "checkpoint" });
      this.#kernel = first;
      this.#event = 0n;
      this.#commitState(this.#bootedCore(first), 0n);
      const replay = this.#replay(first, this.#upgradesAfter(0n), last);
      const detail = `Booted the kernel fresh and replayed the whole log (${replay.count} events)`;
      this.#finishBoot({
        level: 4,
        name: "full-replay",
        detail,
        skipped,
        warnings,
        replayed: replay.count,
        replayMs: replay.ms,
        quarantined,
      }, started);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "Interrupted") throw error;
      skipped.push({ level: 4, name: "full replay", reason: errorText(error) });
      this.#dropState();
      throw this.#refuse("no recovery level worked", skipped);
    }
  }

  #refuse(why: string, skipped: SkippedLevel[]): RuntimeError {
    const lines = skipped.map((s) => `  level ${s.level} (${s.name}): ${s.reason}`).join("\n");
    return new RuntimeError(
      "Refused",
      `Refusing to start ${this.dataDir}: ${why}. No accepted event is dropped silently; ` +
        `repair or restore the data directory.\n${lines}`,
    );
  }

  #finishBoot(report: Omit<BootReport, "eventNumber" | "bootMs">, started: number): void {
    this.#boot = { ...report, eventNumber: this.#event, bootMs: 0 };
    if (report.level > 1 && report.replayed > 0) {
      // Keep the recovered point: the next boot will not need to replay it again.
      this.snapshot();
    }
    this.#upgradeIfAsked();
    this.#boot.bootMs = performance.now() - started;
  }

  /** Level 1: open the PMA and check it against the log; null when it is good. */
  #tryPma(pmaDir: string, last: bigint): string | null {
    if (!nonEmpty(pmaDir)) return "there is no PMA";
    let pma: Pma;
    try {
      pma = Pma.open(pmaDir, { create: false, sidecar: "checkpoint" });
    } catch (error) {
      return `it cannot be opened: ${errorText(error)}`;
    }
    const event = pma.eventNumber;
    const hash = hex(pma.kernelHash);
    const rejected = pma.openReport().rejected;
    const fit = this.#kernelForState(event, hash);
    let reason: string | null = null;
    if (event > last) {
      reason =
        `it is at event ${event}, ahead of the log (${last}): it holds state the log never accepted`;
    } else if (event < last) {
      reason = `it is at event ${event}, behind the log (${last})`;
    } else if (fit === null) {
      reason = `its kernel ${hash.slice(0, 16)} is not the log's kernel at event ${event}`;
    }
    if (reason !== null) {
      if (rejected.length > 0) {
        reason += ` (and ${rejected.length} meta slot(s) failed their checks)`;
      }
      pma.close();
      return reason;
    }
    this.#pma = pma;
    try {
      this.#adoptRoot();
    } catch (error) {
      this.#dropState();
      return errorText(error);
    }
    if (event > 0n) {
      const row = this.#log.get(event);
      if (row !== null && row.stateMug !== this.#core!.mug) {
        this.#dropState();
        return `its state's mug differs from the log's record for event ${event}`;
      }
    }
    this.#event = event;
    for (const k of fit!.pending) this.#applyUpgrade(k, event);
    return null;
  }

  /** Why the snapshot cannot serve as a starting point, or null. */
  #checkSnapshot(entry: SnapshotEntry, last: bigint): string | null {
    const m = entry.manifest;
    const event = BigInt(m.eventNumber);
    if (event > last) {
      return `it is at event ${event}, ahead of the log (${last})`;
    }
    if (this.#kernelForState(event, m.kernelHash) === null) {
      return `its kernel ${m.kernelHash.slice(0, 16)} is not the log's kernel at event ${event}`;
    }
    if (event > 0n) {
      const row = this.#log.get(event);
      if (row !== null && row.stateMug !== m.stateMug) {
        return `its state's mug differs from the log's record for event ${event}`;
      }
    }
    const gap = this.#log.firstGap(event + 1n, last);
    if (gap !== null) return `the log is missing event ${gap}, after the snapshot`;
    const check = this.#snapshots.verify(entry);
    if (!check.ok) return `it fails verification: ${check.reason}`;
    return null;
  }

  /** Move the PMA folder aside (into `quarantine/`), keeping the two newest there. */
  #quarantine(pmaDir: string): string | undefined {
    this.#dropState();
    if (!nonEmpty(pmaDir)) {
      try {
        Deno.removeSync(pmaDir, { recursive: true });
      } catch { /* absent */ }
      return undefined;
    }
    const qdir = `${this.dataDir}/quarantine`;
    Deno.mkdirSync(qdir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const dest = `${qdir}/${stamp}-pma`;
    Deno.renameSync(pmaDir, dest);
    syncDir(this.dataDir);
    const old = [...Deno.readDirSync(qdir)].map((e) => e.name).sort();
    for (const name of old.slice(0, Math.max(0, old.length - 2))) {
      Deno.removeSync(`${qdir}/${name}`, { recursive: true });
    }
    return dest;
  }

  #dropState(): void {
    this.#core?.dispose();
    this.#core = null;
    this.#cold?.dispose();
    this.#cold = null;
    if (this.#pma?.isOpen) this.#pma.close();
    this.#pma = null;
  }

  /** Install kernel `k` over the current state (during replay or a resumed upgrade). */
  #applyUpgrade(k: KernelInfo, event: bigint): void {
    using oldState = this.#core!.at(stateAxis);
    let next: Noun;
    try {
      next = loadKernel(this.#bootedCore(k), oldState);
    } catch (cause) {
      throw new CellarError(
        `kernel ${k.entry.id}'s load arm crashed replaying its upgrade after event ${event}: ${
          errorText(cause)
        }`,
        { cause },
      );
    }
    this.#kernel = k;
    try {
      this.#commitState(next, event);
    } finally {
      next.dispose();
    }
  }

  /** Replay the log from the current state (event = PMA's) up to `last`. */
  #replay(kernel: KernelInfo, pending: KernelInfo[], last: bigint): { count: number; ms: number } {
    const started = performance.now();
    this.#kernel = kernel;
    const event = this.#pma!.eventNumber;
    this.#event = event;
    for (const k of pending) this.#applyUpgrade(k, event);
    const total = Number(last - event);
    let count = 0;
    let lastReport = 0;
    const progress = this.#options.onProgress;
    const commitEvery = 1000;
    const snapshotEvery = this.#options.snapshotEveryEvents ?? 10_000;
    for (const row of this.#log.range(event + 1n, last)) {
      if (this.#options.signal?.aborted) {
        this.#commitReplayed();
        if (count > 0) this.snapshot();
        throw new RuntimeError(
          "Interrupted",
          `Replay interrupted at event ${this.#event} of ${last}; the progress is kept as a ` +
            `snapshot, so the next start continues from there`,
        );
      }
      const core = this.#core!;
      using body = Noun.cue(row.jam);
      using sample = Noun.cell(row.num, body);
      let product;
      try {
        product = pokeKernel(core, sample, this.#options.pokeLimits);
      } catch (cause) {
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
      core.dispose();
      this.#core = product.core;
      this.#event = row.num;
      count++;
      this.#sinceSnapshotEvents++;
      this.#sinceSnapshotMs += row.computeMs;
      if (count % commitEvery === 0) this.#commitReplayed();
      if (snapshotEvery > 0 && this.#sinceSnapshotEvents >= snapshotEvery) {
        this.#commitReplayed();
        this.snapshot();
      }
      for (const k of this.#upgradesAfter(row.num)) {
        this.#commitReplayed();
        this.#applyUpgrade(k, row.num);
      }
      const now = performance.now();
      if (progress && (now - lastReport >= 100 || count === total || count === 1)) {
        lastReport = now;
        progress({ done: count, total, eventNumber: row.num, elapsedMs: now - started });
      }
    }
    if (this.#event !== last) {
      throw new CellarError(`the log ended at event ${this.#event}, expected ${last}`);
    }
    this.#commitReplayed();
    return { count, ms: performance.now() - started };
  }

  #commitReplayed(): void {
    this.#commitState(this.#core!, this.#event);
  }

  /**
   * Commit `core` as the state of `event` under the current kernel: the PMA root is
   * `[core cold]`, `cold` being the jet registrations (re-exported when the dashboard has
   * new ones), so a restart matches jets without booting the kernel again. `core` stays
   * owned by the caller; the runtime's state becomes the PMA copy.
   */
  #commitState(core: Noun, event: bigint): void {
    const registrations = jetStats().registrations;
    const fresh = registrations !== this.#coldRegistrations || this.#cold === null;
    using cold = fresh ? exportJetRegistrations() : this.#cold!.at(1);
    using root = Noun.cell(core, cold);
    using committed = this.#pma!.commit(root, event, this.#kernel.entry.hash);
    this.#core?.dispose();
    this.#cold?.dispose();
    this.#core = committed.head;
    this.#cold = committed.tail;
    if (fresh) {
      // Adopt the PMA copies of the batteries, so jets match the state by identity.
      importJetRegistrations(this.#cold);
      this.#coldRegistrations = jetStats().registrations;
    }
  }

  /** Take the PMA root `[core cold]` as the state and import its jet registrations. */
  #adoptRoot(): void {
    using root = this.#pma!.root;
    const { core, cold } = adoptStateRoot(root);
    this.#core?.dispose();
    this.#cold?.dispose();
    this.#core = core;
    this.#cold = cold;
    this.#coldRegistrations = jetStats().registrations;
  }

  /** The upgrade asked for by `options.kernel`, if it differs from the running kernel. */
  #upgradeIfAsked(): void {
    const jam = this.#options.kernel;
    if (jam === undefined) return;
    const hash = hex(blake3(jam));
    if (hash === this.#kernel.hashHex) return;
    const from = this.#kernel.hashHex;
    let next: Noun;
    try {
      using fresh = bootKernelChecked(jam);
      using oldState = this.#core!.at(stateAxis);
      next = loadKernel(fresh, oldState, this.#options.pokeLimits);
    } catch (cause) {
      throw new RuntimeError(
        "UpgradeFailed",
        `Cannot upgrade ${this.dataDir} to kernel ${hash.slice(0, 16)}: ${
          errorText(cause)
        }. The data directory keeps kernel ${from.slice(0, 16)} and its state (event ` +
          `${this.#event}); start without the new kernel to keep running it.`,
        { cause },
      );
    }
    try {
      const entry = this.#log.addKernel(jam, this.#event);
      this.#loadKernels();
      this.#kernel = this.#kernels.find((k) => k.entry.id === entry.id)!;
      // The new kernel's %fast hints registered when it was booted above.
      this.#commitState(next, this.#event);
    } finally {
      next.dispose();
    }
    this.#boot.upgradedKernel = { from, to: hash };
  }
}

function bootKernelChecked(jam: Uint8Array): Noun {
  try {
    return bootKernel(jam);
  } catch (cause) {
    throw new RuntimeError("BadKernel", `Cannot boot the kernel: ${errorText(cause)}`, { cause });
  }
}

function nonEmpty(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return true;
    return false;
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  if (error instanceof NockError) {
    return `${error.message}${error.trace.length ? ` (${error.trace.slice(-3).join(" / ")})` : ""}`;
  }
  if (error instanceof EventLogError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function hex32(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

function wirePath(wire: string | readonly string[] | undefined): string[] {
  const segments = wire === undefined ? ["poke", "api"] : pathSegments(wire);
  return segments[0] === "poke" ? segments : ["poke", ...segments];
}
