/**
 * How the Workers turn runtime, kernel and noun errors into {@linkcode WireError}s for the
 * HTTP layer.
 *
 * @module
 */

import { ArgumentError, CueError, MemoryError, NockError, NounShapeError } from "../core/errors.ts";
import { RenderBudgetError } from "../core/json.ts";
import { RuntimeError } from "../runtime/runtime.ts";
import type { WireError } from "./protocol.ts";

/** The HTTP status, code and message of an error thrown by a poke or peek. */
export function wireError(error: unknown, what: "poke" | "peek"): WireError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CueError) {
    return { status: 400, code: "BadJam", message: `The body is not a valid jam: ${message}` };
  }
  if (error instanceof ArgumentError) return { status: 400, code: "BadNoun", message };
  if (error instanceof RenderBudgetError) {
    // The noun is fine; its JSON form is too big (or a DAG bomb): the jam form is linear.
    return {
      status: 413,
      code: "ResponseTooLarge",
      message: `${message}; ask for the jam form (?format=jam or Accept: application/x-jam)`,
    };
  }
  if (error instanceof NockError) {
    const trace = [...error.trace];
    if (error.kind === "intr") {
      return {
        status: 503,
        code: what === "poke" ? "PokeTimeout" : "PeekTimeout",
        message:
          `The ${what} passed its compute limit and was stopped; nothing changed (${message})`,
        trace,
      };
    }
    if (error.kind === "meme") {
      return {
        status: 500,
        code: "KernelOutOfMemory",
        message: `The kernel ran out of memory during the ${what}; nothing changed (${message})`,
        trace,
      };
    }
    return {
      status: 422,
      code: "KernelCrash",
      message: `The kernel crashed on the ${what}; nothing changed (${message})`,
      trace,
    };
  }
  if (error instanceof NounShapeError) {
    return { status: 500, code: "KernelBadProduct", message };
  }
  if (error instanceof MemoryError) return { status: 500, code: "OutOfMemory", message };
  // Cluster mode (cluster_writer.ts): this member does not lead, or the stream did not confirm.
  if (error instanceof Error && error.name === "NotLeaderError") {
    return { status: 503, code: "NotLeader", message };
  }
  if (error instanceof RuntimeError) {
    if (error.code === "CommitStalled") {
      // 507 Insufficient Storage: not kept; the writer retries and a later poke may pass.
      const retryAfterSeconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
      return { status: 507, code: error.code, message, retryAfterSeconds };
    }
    return { status: error.code === "Closed" ? 503 : 500, code: error.code, message };
  }
  return { status: 500, code: "InternalError", message };
}

/** An ArrayBuffer holding exactly `bytes` (for transfer). */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}
