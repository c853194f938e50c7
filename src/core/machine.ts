/**
 * Running Nock, and the per-thread machine that runs it: limits, interrupts, slogs,
 * memory configuration and statistics.
 *
 * Each thread (the main thread, each Worker) has its own native machine: its own workspace,
 * handle table and interpreter. Nouns made on one thread cannot be used on another.
 *
 * @module
 */

import { lastErrorMessage, symbols } from "./ffi.ts";
import { ArgumentError, errorCode, errorFromCode, NockError } from "./errors.ts";
import type { CellarError, NockErrorKind } from "./errors.ts";
import { adoptHandle, handleOf } from "./noun.ts";
import type { Noun } from "./noun.ts";
import { renderTank, renderTrace } from "./print.ts";

/** Limits of one {@linkcode nock} computation; a computation past a limit fails with `%intr`. */
export interface NockOptions {
  /** Most Nock steps (opcodes) to evaluate; 0 or absent for no limit. */
  stepLimit?: number;
  /** Most wall-clock milliseconds; 0 or absent for no limit. */
  timeoutMs?: number;
}

const kinds: Record<number, NockErrorKind> = {
  [errorCode.exit]: "exit",
  [errorCode.meme]: "meme",
  [errorCode.intr]: "intr",
};

/**
 * Evaluate `formula` against `subject` (Nock 4K). A crash throws a {@linkcode NockError}
 * whose `kind` is `exit` (deterministic crash), `meme` (out of memory) or `intr` (a limit
 * or an interrupt), with the rendered trace.
 *
 * @example
 * ```ts
 * import { nock, Noun } from "@cellar/cellar";
 * using subject = Noun.from([41, 0]);
 * using formula = Noun.from([4, 0, 2]); // increment the head
 * console.log(nock(subject, formula).toNumber()); // 42
 * ```
 */
export function nock(subject: Noun, formula: Noun, options: NockOptions = {}): Noun {
  return run(subject, formula, options, true);
}

/**
 * As {@linkcode nock}, but a failure's trace is kept raw and not rendered (rendering may run
 * Nock itself, for `%mean` traps). Used by the trace renderer.
 *
 * @example
 * ```ts
 * import { nockUntraced } from "./machine.ts";
 * import { Noun } from "@cellar/cellar";
 * console.log(nockUntraced(Noun.atom(0), Noun.from([1, 5])).toNumber()); // 5
 * ```
 */
export function nockUntraced(subject: Noun, formula: Noun, options: NockOptions = {}): Noun {
  return run(subject, formula, options, false);
}

function run(subject: Noun, formula: Noun, options: NockOptions, render: boolean): Noun {
  const S = symbols();
  const steps = options.stepLimit ?? 0;
  const timeoutMs = options.timeoutMs ?? 0;
  if (!Number.isSafeInteger(steps) || steps < 0) {
    throw new ArgumentError(`Bad step limit: ${steps} is not a non-negative integer`);
  }
  if (!(timeoutMs >= 0 && timeoutMs <= 1e12)) {
    throw new ArgumentError(`Bad timeout: ${timeoutMs} ms`);
  }
  // The limits go with the call: the native machine belongs to the OS thread and outlives
  // this module instance (deno test runs each test file in its own isolate on one thread).
  const product = S.cellar_nock(handleOf(subject), handleOf(formula), steps, timeoutMs);
  if (product !== 0) return adoptHandle(product);
  throw nockFailure(render);
}

function nockFailure(render: boolean): CellarError {
  const S = symbols();
  const code = S.cellar_error_kind();
  const message = lastErrorMessage();
  const kind = kinds[code];
  if (kind === undefined) return errorFromCode(code, message);
  const traceHandle = S.cellar_error_trace();
  const traceNoun = traceHandle === 0 ? undefined : adoptHandle(traceHandle);
  const lines = render && traceNoun !== undefined
    ? renderTrace(traceNoun, { evaluate: nockUntraced })
    : [];
  return new NockError(kind, message, lines, traceNoun);
}

/**
 * Nock steps (opcodes) taken by the last computation on this thread.
 *
 * @example
 * ```ts
 * import { lastSteps, nock, Noun } from "@cellar/cellar";
 * nock(Noun.atom(0), Noun.from([1, 5]));
 * console.log(lastSteps()); // 1
 * ```
 */
export function lastSteps(): number {
  return symbols().cellar_steps();
}

/** One `%slog` message: its priority and its tank rendered on one line. */
export interface Slog {
  /** Priority (0 is the default; higher is more urgent). */
  priority: number;
  /** The rendered tank. */
  text: string;
}

/**
 * Take the `%slog` messages of past computations on this thread, oldest first.
 *
 * @example
 * ```ts
 * import { drainSlogs } from "@cellar/cellar";
 * for (const slog of drainSlogs()) console.error(slog.text);
 * ```
 */
export function drainSlogs(): Slog[] {
  using list = adoptHandle(symbols().cellar_slogs());
  const slogs: Slog[] = [];
  for (const entry of list.toArray()) {
    using item = entry;
    if (!item.isCell) {
      slogs.push({ priority: 0, text: item.toString() });
      continue;
    }
    using priority = item.head;
    using tank = item.tail;
    slogs.push({
      priority: priority.isAtom ? Number(priority.toBigInt()) : 0,
      text: renderTank(tank, { maxLength: 10_000 }),
    });
  }
  return slogs;
}

/** Options of {@linkcode configure}. */
export interface MachineOptions {
  /** Cap on live workspace data in MiB (1 to 65,536; default 8,192). */
  workspaceLimitMib: number;
}

/**
 * Configure this thread's machine. Allowed before the first noun is made, or when no
 * nouns are live (the machine is then rebuilt, with a new id).
 *
 * @example
 * ```ts
 * import { configure, handleCount } from "@cellar/cellar";
 * // At the start of a Worker, before any noun is made:
 * if (handleCount() === 0) configure({ workspaceLimitMib: 64 });
 * ```
 */
export function configure(options: MachineOptions): void {
  const mib = options.workspaceLimitMib;
  if (!Number.isInteger(mib) || mib < 1 || mib > 0xffff_ffff) {
    throw new ArgumentError(`Bad workspace limit: ${mib} MiB`);
  }
  const S = symbols();
  if (S.cellar_configure(mib) !== 0) throw errorFromCode(S.cellar_error_kind(), lastErrorMessage());
}

/**
 * The id of this thread's machine, for {@linkcode interrupt} from another thread.
 *
 * @example
 * ```ts
 * import { machineId } from "@cellar/cellar";
 * const id = machineId(); // in a Worker, post this to the thread that may interrupt it
 * console.log(id > 0); // true
 * ```
 */
export function machineId(): number {
  return symbols().cellar_machine_id();
}

/**
 * Interrupt the running (or next) computation of the machine with this id, typically a
 * Worker's, from another thread: it fails with `%intr`. Returns false for an unknown id.
 *
 * @example
 * ```ts
 * import { interrupt } from "@cellar/cellar";
 * console.log(interrupt(123456)); // false: no such machine
 * ```
 */
export function interrupt(machine: number): boolean {
  return symbols().cellar_interrupt(machine) === 0;
}

/**
 * Live handles on this thread (each undisposed noun holds one).
 *
 * @example
 * ```ts
 * import { handleCount, Noun } from "@cellar/cellar";
 * const before = handleCount();
 * Noun.atom(1).dispose();
 * console.log(handleCount() === before); // true
 * ```
 */
export function handleCount(): number {
  return symbols().cellar_handle_count();
}

/**
 * Collect this thread's workspace now (it also collects by itself as it fills).
 *
 * @example
 * ```ts
 * import { collect } from "@cellar/cellar";
 * collect();
 * ```
 */
export function collect(): void {
  symbols().cellar_collect();
}

/** Workspace statistics of this thread, in bytes (and a count of collections). */
export interface WorkspaceStats {
  /** Cap on live data. */
  limitBytes: number;
  /** Bytes in use now (live data and garbage not yet collected). */
  usedBytes: number;
  /** Live bytes after the last collection. */
  liveBytesAfterGc: number;
  /** Collections so far. */
  collections: number;
  /** Most bytes ever in use. */
  peakUsedBytes: number;
}

/**
 * This thread's workspace statistics.
 *
 * @example
 * ```ts
 * import { workspaceStats } from "@cellar/cellar";
 * console.log(workspaceStats().limitBytes);
 * ```
 */
export function workspaceStats(): WorkspaceStats {
  const buffer = new Uint8Array(40);
  const S = symbols();
  if (S.cellar_stats(buffer, buffer.length) !== 0) {
    throw errorFromCode(S.cellar_error_kind(), lastErrorMessage());
  }
  const view = new DataView(buffer.buffer);
  const field = (i: number) => Number(view.getBigUint64(i * 8, true));
  return {
    limitBytes: field(0),
    usedBytes: field(1),
    liveBytesAfterGc: field(2),
    collections: field(3),
    peakUsedBytes: field(4),
  };
}
