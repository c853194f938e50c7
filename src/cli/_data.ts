/**
 * Shared plumbing of the CLI's data-directory commands: the `--data` option, opening a
 * Runtime with replay progress and Ctrl-C, and the message for a directory that the server
 * holds.
 *
 * @module
 */

import { PmaError } from "../core/errors.ts";
import { Runtime, RuntimeError } from "../runtime/runtime.ts";
import type { ReplayProgress, RuntimeOptions } from "../runtime/runtime.ts";
import { runCompute, showProgressOn } from "../runtime/progress.ts";
import { Failure } from "./_common.ts";

/** The `--data` option's help line. */
export const dataHelp =
  `  --data DIR         The data directory (default: data/ in the Cellar checkout, as for serve)`;

/** The default data directory: `data/` beside `src/` (the server's default too). */
export const defaultDataDir: string = decodeURIComponent(
  new URL("../../data", import.meta.url).pathname,
);

/** The `--data` option for {@linkcode parse}. */
export const dataOption = { data: { type: "string" } } as const;

/** The data directory of the parsed options (default {@linkcode defaultDataDir}). */
export function dataDirOf(values: { data?: string | boolean | (string | boolean)[] }): string {
  const v = values.data;
  return typeof v === "string" && v.length > 0 ? v : defaultDataDir;
}

/** Whether `path` exists; a path through a file (not a directory) does not. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/**
 * Fail unless `dir` is a Cellar data directory (it has an event log).
 *
 * @example
 * ```ts
 * import { requireDataDir } from "./_data.ts";
 * try {
 *   requireDataDir("/no/such/dir");
 * } catch (error) {
 *   console.log((error as Error).message.startsWith("No data directory")); // true
 * }
 * ```
 */
export function requireDataDir(dir: string): void {
  if (!exists(`${dir}/log.sqlite`)) {
    const what = exists(dir)
      ? "is not a Cellar data directory (it has no log.sqlite)"
      : "does not exist";
    throw new Failure(
      `No data directory at ${dir}: it ${what}. Create one with 'cellar boot KERNEL.jam --data ${dir}' ` +
        `or 'cellar import FILE --data ${dir}'`,
    );
  }
}

/** The message for a data directory whose writer lock another process holds. */
export function lockedMessage(dir: string): string {
  return `The data directory ${dir} is in use by the server (another process holds ` +
    `${dir}/cellar.lock). Use the running server's HTTP API instead, or stop the server ` +
    `and run this command again`;
}

/** The data directory is held by another process (exit status 1). */
export class LockedFailure extends Failure {
  /** @param dir The data directory */
  constructor(dir: string) {
    super(lockedMessage(dir));
    this.name = "LockedFailure";
  }
}

/** Rethrow a lock failure (of a Runtime or a FileLock) as the locked-directory message. */
export function rethrowLocked(dir: string, error: unknown): never {
  if (
    (error instanceof RuntimeError && error.code === "Locked") ||
    (error instanceof PmaError && error.code === "Locked")
  ) {
    throw new LockedFailure(dir);
  }
  throw error;
}

const encoder = new TextEncoder();

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Replay progress on stderr: a bar redrawn in place on a terminal, otherwise a line every
 * few seconds and one at the end.
 */
export class ProgressReporter {
  readonly #label: string;
  readonly #tty: boolean;
  #lastLine = -Infinity;
  #drawn = false;

  constructor(label: string, tty = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#tty = tty;
  }

  /** Report one progress call of the Runtime. */
  update(p: ReplayProgress): void {
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    const counts = `${p.done}/${p.total} events (event ${p.eventNumber}), ${seconds(p.elapsedMs)}`;
    if (this.#tty) {
      const width = 30;
      const filled = Math.round((width * pct) / 100);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      Deno.stderr.writeSync(
        encoder.encode(`\r\x1b[2K${this.#label} [${bar}] ${pct}% ${counts}`),
      );
      this.#drawn = true;
      return;
    }
    const final = p.done === p.total;
    if (final || p.elapsedMs - this.#lastLine >= 2000) {
      this.#lastLine = p.elapsedMs;
      console.error(`${this.#label}: ${counts}${final ? "" : ` (${pct}%)`}`);
    }
  }

  /** End the bar's line (on a terminal). */
  finish(): void {
    if (this.#tty && this.#drawn) Deno.stderr.writeSync(encoder.encode("\n"));
    this.#drawn = false;
  }
}

/**
 * A Ctrl-C watcher for synchronous work. The Runtime's replay runs synchronously, so the
 * main thread's event loop cannot see a signal until it ends; a small Worker listens for
 * SIGINT instead and sets a shared flag, which the progress callback checks to abort the
 * replay between events. Closing it removes the listener, so Ctrl-C kills the process
 * again as usual.
 */
export class Interrupts {
  readonly controller = new AbortController();
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  #worker: Worker | null = null;

  /** Start listening (resolves once the Worker's listener is in place). */
  static async listen(): Promise<Interrupts> {
    const it = new Interrupts();
    const code = `self.onmessage = (e) => {
      const flag = new Int32Array(e.data);
      const onSignal = () => {
        Atomics.store(flag, 0, 1);
        Deno.removeSignalListener("SIGINT", onSignal);
      };
      Deno.addSignalListener("SIGINT", onSignal);
      self.postMessage("ready");
    };`;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    it.#worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Failure(`Cannot watch for Ctrl-C: ${event.message}`));
      };
      worker.postMessage(it.#flag.buffer);
    });
    URL.revokeObjectURL(url);
    return it;
  }

  /** Abort the controller if Ctrl-C was pressed; true when aborted. */
  check(): boolean {
    if (!this.controller.signal.aborted && Atomics.load(this.#flag, 0) === 1) {
      this.controller.abort();
    }
    return this.controller.signal.aborted;
  }

  /** Stop listening. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}

/**
 * Open a Runtime on an existing (or, with `create`, a new) data directory: replay progress
 * on stderr, Ctrl-C stops a replay safely (its progress is kept as a snapshot), and a
 * directory held by the server gives the locked-directory message. A new directory's boot
 * (the kernel's first Nock) runs as a `compute` operation, so that a progress display
 * on stderr draws its step count, as for `cellar nock`.
 */
export async function openRuntime(
  dir: string,
  options: Partial<RuntimeOptions> & { create?: boolean; label?: string } = {},
): Promise<Runtime> {
  const { create, label, ...rest } = options;
  if (!create) requireDataDir(dir);
  const fresh = create === true && !exists(`${dir}/log.sqlite`);
  using _shown = fresh ? showProgressOn() : null;
  const interrupts = await Interrupts.listen();
  const progress = new ProgressReporter(label ?? "replay");
  try {
    const open = () =>
      Runtime.open({
        ...rest,
        dataDir: dir,
        signal: interrupts.controller.signal,
        onProgress: (p) => {
          progress.update(p);
          interrupts.check();
        },
      });
    return fresh ? runCompute(open) : open();
  } catch (error) {
    rethrowLocked(dir, error);
  } finally {
    progress.finish();
    interrupts.close();
  }
}

/** Milliseconds as a short age: `42 s`, `5 min`, `3 h`, `2 d`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Bytes in a human unit. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
