/**
 * The runtime's error, shared by the runtime, its recovery ladder and its replay, and the
 * one way they describe a caught error inside a message of their own.
 *
 * @module
 */

import { CellarError, NockError } from "../core/errors.ts";
import { EventLogError } from "./event_log.ts";

/**
 * A runtime-level failure. `code` says which: `"Locked"` (another process has the data
 * directory), `"Refused"` (no recovery level works; the message names the problem),
 * `"UpgradeFailed"` (the new kernel's load arm crashed; the old kernel and state are
 * kept), `"CommitStalled"` (the runtime cannot commit now, e.g. the disk is full: the poke
 * was not kept, and `retryAfterMs` says when the runtime retries), `"CommitFailed"` (a
 * commit failed in a way that leaves its events uncertain; the runtime stops and the next
 * open decides), `"Interrupted"` (a replay was stopped), `"Closed"`, `"BadKernel"`.
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
  /** For `CommitStalled`: milliseconds until the runtime retries the commit. */
  readonly retryAfterMs?: number;
  /**
   * @param code Which failure
   * @param message What went wrong
   * @param options Standard error options (`cause`), and `retryAfterMs`
   */
  constructor(
    code: string,
    message: string,
    options?: ErrorOptions & { retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = "RuntimeError";
    this.code = code;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The text of a caught error for a message of our own: a Nock crash with the last three
 * lines of its trace, anything else by its message.
 *
 * @example
 * ```ts
 * import { errorText } from "./runtime_error.ts";
 * console.log(errorText(new Error("disk full"))); // disk full
 * ```
 */
export function errorText(error: unknown): string {
  if (error instanceof NockError) {
    return `${error.message}${error.trace.length ? ` (${error.trace.slice(-3).join(" / ")})` : ""}`;
  }
  if (error instanceof EventLogError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether `error` is a stopped replay, which ends a boot at once instead of counting as
 * one recovery level's failure.
 */
export function isInterrupted(error: unknown): boolean {
  return error instanceof RuntimeError && error.code === "Interrupted";
}
