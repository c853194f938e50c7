/**
 * Progress of the long operations: GC, snapshot writing, snapshot verification, replay and
 * long Nock computations. Each runs as an {@linkcode Operation}; listeners (a terminal line,
 * the server's `/status`) see it start, advance and end. Native work reports through a hook
 * the library calls every 64 MiB or so ({@linkcode withNativeProgress}); Nock only notes its
 * step count in the library's latest report ({@linkcode runCompute}).
 *
 * @module
 */

import { symbols } from "../core/ffi.ts";

/** What is running. */
export type OperationKind = "gc" | "snapshot" | "verify" | "replay" | "compute";

/** What an operation counts. */
export type ProgressUnit = "bytes" | "events" | "steps";

/** A snapshot of one operation's progress. */
export interface OperationProgress {
  kind: OperationKind;
  /** The current step, when the operation has several (e.g. GC: check, mark, copy, sync). */
  phase: string;
  /** Work done and total, in `unit`s (total 0 when unknown). */
  done: number;
  total: number;
  unit: ProgressUnit;
  /** The library's Nock step count when it started (`compute`; 0 for the others). */
  base?: number;
  /** When it started (ms since the epoch) and how long it has run. */
  startedAt: number;
  elapsedMs: number;
}

/** Called on every start, advance and end of an operation (`ended` on the last call). */
export type ProgressListener = (progress: OperationProgress, ended: boolean) => void;

const listeners = new Set<ProgressListener>();
let running: Operation | null = null;

/** Listen to every operation of this thread; returns the function that stops listening. */
export function onProgress(listener: ProgressListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The operation running on this thread, if any. */
export function currentOperation(): OperationProgress | null {
  return running?.progress() ?? null;
}

/**
 * One long operation. Operations do not nest: one begun while another runs is reported
 * as a phase of the outer one.
 *
 * @example
 * ```ts
 * import { Operation } from "./progress.ts";
 * const op = Operation.begin("replay", "events", 100);
 * op.advance(50);
 * op.end();
 * ```
 */
export class Operation {
  readonly kind: OperationKind;
  readonly unit: ProgressUnit;
  readonly startedAt = Date.now();
  readonly #start = performance.now();
  #phase = "";
  #done = 0;
  #total: number;
  readonly #nested: boolean;
  readonly #base: number;

  private constructor(
    kind: OperationKind,
    unit: ProgressUnit,
    total: number,
    nested: boolean,
    base: number,
  ) {
    this.kind = kind;
    this.unit = unit;
    this.#total = total;
    this.#nested = nested;
    this.#base = base;
  }

  /**
   * Start an operation of `total` units (0 when unknown); `base`: the library's count the
   * work is measured from (Nock steps).
   */
  static begin(kind: OperationKind, unit: ProgressUnit, total: number, base = 0): Operation {
    const nested = running !== null;
    const op = new Operation(kind, unit, total, nested, base);
    if (!nested) {
      running = op;
      notify(op, false);
    }
    return op;
  }

  /** Record progress: `done` units of `total` (by default the total given so far). */
  advance(done: number, total = this.#total, phase = this.#phase): void {
    this.#done = done;
    this.#total = total;
    this.#phase = phase;
    if (this.#nested) running?.advance(running.#done, running.#total, `${this.kind} ${phase}`);
    else notify(this, false);
  }

  /** End the operation (call it once, also on failure). */
  end(): OperationProgress {
    const last = this.progress();
    if (!this.#nested && running === this) {
      running = null;
      notify(this, true);
    }
    return last;
  }

  progress(): OperationProgress {
    return {
      kind: this.kind,
      phase: this.#phase,
      done: this.#done,
      total: this.#total,
      unit: this.unit,
      base: this.#base,
      startedAt: this.startedAt,
      elapsedMs: performance.now() - this.#start,
    };
  }
}

function notify(op: Operation, ended: boolean): void {
  const p = op.progress();
  for (const l of listeners) {
    try {
      l(p, ended);
    } catch { /* A listener's failure must not fail the operation. */ }
  }
}

/** Native progress kinds (zig/progress.zig) as phase names. */
const nativePhases: Record<number, string> = {
  1: "check",
  2: "mark",
  3: "copy",
  4: "sync",
  5: "write",
  6: "sync",
  7: "hash",
};

let hook: Deno.UnsafeCallback<{ parameters: ["u32", "f64", "f64"]; result: "void" }> | null = null;
let hooked: Operation | null = null;

/**
 * Run `fn` (a native call) with this thread's native progress hook pointing at `op`, when
 * Deno's permissions allow a callback.
 */
export function withNativeProgress<T>(op: Operation, fn: () => T): T {
  // A callback needs Deno's unscoped --allow-ffi; with the library's path alone (the CLI's and
  // the server's permissions) other threads read the reports ({@linkcode withNativeLatest}).
  if (hook === null && !callbacksAllowed()) return fn();
  hook ??= new Deno.UnsafeCallback(
    { parameters: ["u32", "f64", "f64"], result: "void" } as const,
    (kind, done, total) => hooked?.advance(done, total, nativePhases[kind] ?? ""),
  );
  const outer = hooked;
  hooked = op;
  symbols().cellar_progress_hook(hook.pointer);
  try {
    return fn();
  } finally {
    hooked = outer;
    if (outer === null) symbols().cellar_progress_hook(null);
  }
}

/** Whether this process may take callbacks from the library (unscoped --allow-ffi). */
export function callbacksAllowed(): boolean {
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

/** Native kinds by the operation that makes them (a replay may take a snapshot). */
const nativeKinds: Record<OperationKind, number[]> = {
  gc: [1, 2, 3, 4],
  snapshot: [5, 6],
  verify: [7],
  replay: [5, 6],
  compute: [8],
};

/**
 * `p` with the library's latest native report merged in, when that report belongs to it (a
 * kind it makes, made since it started): how another thread sees the progress of a native
 * operation when the running thread cannot take callbacks.
 */
export function withNativeLatest(p: OperationProgress): OperationProgress {
  const field = latestFields();
  if (field === null) return p;
  // Nock steps are counted apart from the other reports: the count since it started.
  if (p.unit === "steps") return { ...p, done: Math.max(field(4) - (p.base ?? 0), 0), total: 0 };
  const kind = field(0);
  if (!nativeKinds[p.kind].includes(kind) || field(3) < p.startedAt) return p;
  if (p.unit === "events") return { ...p, phase: `snapshot ${nativePhases[kind]}` };
  return { ...p, phase: nativePhases[kind], done: field(1), total: field(2) };
}

/**
 * Run `fn` (native Nock work, in one call or several) as a `compute` operation counting Nock
 * steps, which only the library's count has (the interpreter adds to it every 16,384 steps
 * and calls no hook). Inside another operation it just runs `fn`.
 */
export function runCompute<T>(fn: () => T): T {
  if (running !== null) return fn();
  const op = Operation.begin("compute", "steps", 0, latestFields()?.(4) ?? 0);
  try {
    return fn();
  } finally {
    const last = withNativeLatest(op.progress());
    if (last.done > 0) op.advance(last.done, 0);
    op.end();
  }
}

/** The library's latest report: kind, done, total, ms since the epoch, Nock steps. */
function latestFields(): ((i: number) => number) | null {
  const buffer = new Uint8Array(40);
  if (symbols().cellar_progress_latest(buffer, buffer.length) !== 0) return null;
  const view = new DataView(buffer.buffer);
  return (i: number) => Number(view.getBigUint64(i * 8, true));
}

/** Run `fn` as an operation that reports native progress; ends it either way. */
export function runNative<T>(
  kind: OperationKind,
  total: number,
  fn: () => T,
): T {
  const op = Operation.begin(kind, "bytes", total);
  try {
    const result = withNativeProgress(op, fn);
    // The last phase (a sync) reports no bytes of its own: count it done for the summary
    // (without callbacks, the library's latest report has the total).
    const last = withNativeLatest(op.progress());
    if (last.done < last.total) op.advance(last.total, last.total, last.phase);
    return result;
  } finally {
    op.end();
  }
}

// ------------------------------------------------------------------ terminal

/** A short figure: bytes as KiB/MiB/GiB, events as a count, steps as k/M/G steps. */
export function formatAmount(n: number, unit: ProgressUnit): string {
  if (unit === "events") return `${Math.round(n).toLocaleString("en-US")} events`;
  if (unit === "steps") return formatSteps(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function formatSteps(n: number): string {
  const prefixes = ["", "k", "M", "G", "T", "P"];
  let i = 0;
  while (n >= 1000 && i < prefixes.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(n)} steps` : `${n.toFixed(1)} ${prefixes[i]} steps`;
}

/** One line describing `p`: `gc copy 312.0 MiB of 1.0 GiB (31%), 1.2 s`. */
export function progressLine(p: OperationProgress): string {
  const what = p.phase === "" ? p.kind : `${p.kind} ${p.phase}`;
  const amount = p.total > 0
    ? `${formatAmount(p.done, p.unit)} of ${formatAmount(p.total, p.unit)} (${
      Math.floor(p.done / p.total * 100)
    }%)`
    : formatAmount(p.done, p.unit);
  return `${what}: ${amount}, ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

/** The closing line of an operation: `gc: 1.0 GiB in 3.21 s (319.0 MiB/s)`. */
export function summaryLine(p: OperationProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 && p.done > 0 ? ` (${formatAmount(p.done / seconds, p.unit)}/s)` : "";
  return `${p.kind}: ${formatAmount(p.done, p.unit)} in ${seconds.toFixed(2)} s${rate}`;
}

/**
 * Show operations on a terminal: a progress line (rewritten in place, at most 5 times a
 * second) once one has run for more than a second, only when `stream` is a terminal; the
 * summary line when it ends (of a computation, only one that ran more than a second).
 * Disposing of the result stops it.
 *
 * @example
 * ```ts
 * import { showProgressOn } from "./progress.ts";
 * using _shown = showProgressOn();
 * ```
 */
export function showProgressOn(
  stream: { writeSync(p: Uint8Array): number; isTerminal(): boolean } = Deno.stderr,
): Disposable {
  const encoder = new TextEncoder();
  const tty = stream.isTerminal();
  let shown = false;
  let last = 0;
  let poller: Poller | null = null;
  const write = (text: string) => stream.writeSync(encoder.encode(text));
  const stop = onProgress((p, ended) => {
    if (ended) {
      shown = (poller?.stop() ?? false) || shown;
      poller = null;
      if (p.kind !== "compute" || p.elapsedMs >= 1000 || shown) {
        write(`${shown ? "\r\x1b[2K" : ""}${summaryLine(p)}\n`);
      }
      shown = false;
      return;
    }
    // Blocked in a native call without callbacks (Nock never calls back): a Worker draws the
    // line meanwhile.
    if (
      tty && p.done === 0 && poller === null && stream === Deno.stderr &&
      (p.kind === "compute" || !callbacksAllowed())
    ) {
      poller = Poller.start(p);
    }
    const now = performance.now();
    if (!tty || p.elapsedMs < 1000 || now - last < 200) return;
    last = now;
    shown = true;
    write(`\r\x1b[2K${progressLine(p)}`);
  });
  return { [Symbol.dispose]: () => void stop() };
}

/** The Worker of `progress_worker.ts`, drawing a native operation's line on stderr. */
class Poller {
  readonly #worker: Worker;
  /** [0] non-zero: stop drawing; [1] non-zero: a line was drawn. */
  readonly #flags = new Int32Array(new SharedArrayBuffer(8));

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(progress: OperationProgress): Poller | null {
    try {
      const url = new URL("./progress_worker.ts", import.meta.url);
      const poller = new Poller(new Worker(url, { type: "module" }));
      poller.#worker.postMessage({ progress, flags: poller.#flags.buffer });
      return poller;
    } catch {
      return null; // No Workers here: no line, the summary still comes.
    }
  }

  /** Stop it; whether it drew a line. */
  stop(): boolean {
    Atomics.store(this.#flags, 0, 1);
    this.#worker.terminate();
    return Atomics.load(this.#flags, 1) !== 0;
  }
}
