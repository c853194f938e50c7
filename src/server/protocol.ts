/**
 * Messages between the server's main thread and its Workers (the writer and the peekers).
 * Nouns travel as jam bytes (transferred `ArrayBuffer`s) or as their JSON form, never as
 * handles: each thread has its own native machine.
 *
 * @module
 */

import type { OperationProgress } from "../runtime/progress.ts";
import type { BootReport, ReplayProgress, RuntimeStatus } from "../runtime/runtime.ts";
import type { Json, JsonMode, ListForm } from "../core/json.ts";
import type { PmaFault } from "../runtime/pma.ts";
import type { EffectsMessage } from "./effects_stream.ts";
import type {
  ClusterWriterConfig,
  ClusterWriterReply,
  ClusterWriterRequest,
} from "./cluster_protocol.ts";
import type { DriverSettings } from "./writer_drivers.ts";
import type { LogFormat } from "./logger.ts";
import type { ProfileReply, ProfileRequest } from "./writer_profile.ts";

/** JSON written with the codec's options (docs/JSON.md); absent ones take their defaults. */
export interface JsonFormat {
  as?: JsonMode;
  lists?: ListForm;
}

/** How the reply should carry a noun: jam, JSON, or JSON with options. */
export type NounFormat = "jam" | "json" | JsonFormat;

/** The codec options of a reply format (`{}` for `"jam"` and `"json"`). */
export function jsonOptionsOf(format: NounFormat): JsonFormat {
  return typeof format === "object" ? format : {};
}

/** An error for the HTTP layer: status, code, message, and the kernel trace if any. */
export interface WireError {
  status: number;
  code: string;
  message: string;
  trace?: readonly string[];
  /** For a refusal that a later try may pass (507 `CommitStalled`): the `Retry-After`. */
  retryAfterSeconds?: number;
}

/** One poke of a batch the writer commits as a group. */
export interface PokeItem {
  id: number;
  jam?: ArrayBuffer;
  json?: Json;
  wire?: string;
  /** The wire as a JSON noun (used as it is), instead of the path `wire`. */
  wireJson?: Json;
  /** How plain arrays of the JSON cause read (`?lists=`): default `tuple`. */
  causeLists?: ListForm;
  reply: NounFormat;
}

/** Main thread → writer. */
export type WriterRequest =
  | {
    type: "open";
    dataDir: string;
    kernel?: ArrayBuffer;
    pokeTimeoutMs: number;
    snapshotEveryEvents?: number;
    /** A shared flag: non-zero stops a replay in progress (shutdown during recovery). */
    abort?: SharedArrayBuffer;
    /** The kernel serves HTTP: parse its response effects (bodies up to this many bytes). */
    httpResponseLimit?: number;
    /** Cluster mode (`cluster_protocol.ts`). */
    cluster?: ClusterWriterConfig;
    /** How the writer writes its own log lines (`--log-format`; default text). */
    logFormat?: LogFormat;
    /** The drivers' settings (`--files`, `--timer`). */
    drivers: DriverSettings;
    /** Profile the events into this directory (`--profile DIR`; `writer_profile.ts`). */
    profile?: string;
  }
  | {
    /** Pokes that arrived while the previous group was being committed, in arrival order:
     * the writer commits them as one group (or a few, at its bounds) and answers them all. */
    type: "pokes";
    pokes: PokeItem[];
  }
  | { type: "status" }
  | ProfileRequest
  | ClusterWriterRequest
  | { type: "close" };

/** What the writer reports of the runtime after groups (at most every 100 ms), on a timer,
 * and whenever its commits stall or resume. */
export interface WriterStatus {
  status: RuntimeStatus;
  /** `Date.now()` when taken. */
  at: number;
  /** The sizes of the groups committed since the last status. */
  groupSizes?: number[];
  /** The background scrub of the slab's data checksums (absent before the writer opened). */
  scrub?: ScrubStatus;
}

/** The writer's background scrub of the PMA's data checksums (`writer_worker.ts`). */
export interface ScrubStatus {
  /** Passes completed since the writer opened. */
  passes: number;
  /** Bytes checked since the writer opened, in all passes. */
  scrubbedBytes: number;
  /** The current pass: bytes checked, and bytes it checks. */
  passCheckedBytes: number;
  passTotalBytes: number;
  /** Data without checksums (written with checksums off or by format 1; a GC covers it). */
  unverifiedBytes: number;
  /** Faults found, and the first: the scrub stops there and the runtime is not served. */
  faults: number;
  fault: PmaFault | null;
  /** `Date.now()` when the last pass ended, or null before the first. */
  lastPassAt: number | null;
}

/** Writer → main thread. */
export type WriterReply =
  | { type: "progress"; progress: ReplayProgress }
  /** The writer's machine, so that a shutdown can interrupt a long poke or replayed event. */
  | { type: "machine"; machine: number }
  /** A long operation (GC, snapshot, replay) advanced; null when it ended. */
  | { type: "operation"; operation: OperationProgress | null }
  | { type: "ready"; boot: BootReport; status: WriterStatus }
  | { type: "fatal"; error: WireError }
  | { type: "answers"; answers: PokeAnswer[] }
  | { type: "status"; status: WriterStatus; gcMs?: number; snapshotMs?: number }
  | EffectsMessage
  | ProfileReply
  | ClusterWriterReply
  | { type: "closed" };

/** Main thread → peeker. */
export type PeekRequest =
  | { type: "open"; dataDir: string; peekTimeoutMs: number }
  | { type: "peek"; id: number; path: string[]; reply: NounFormat }
  | { type: "close" };

/** Peeker → main thread. */
export type PeekReply =
  | { type: "ready"; eventNumber: bigint }
  | { type: "fatal"; error: WireError }
  | {
    type: "peeked";
    id: number;
    eventNumber: bigint;
    kind: "unknown" | "empty" | "value";
    valueJam?: ArrayBuffer;
    valueJson?: Json;
  }
  | { type: "peekFailed"; id: number; error: WireError }
  | { type: "closed" };

/** A poke as the HTTP layer asks for it (the writer client adds the id). */
export type PokeCall = Omit<PokeItem, "id">;

/** The writer's answer to one poke, sent once its group is durable (or refused). */
export type PokeAnswer =
  | {
    type: "poked";
    id: number;
    eventNumber: bigint;
    effectsJam?: ArrayBuffer;
    effectsJson?: Json;
    computeMs: number;
    commitMs: number;
  }
  | { type: "pokeFailed"; id: number; error: WireError };

/** A peeker's answer to one peek. */
export type PeekAnswer = Extract<PeekReply, { type: "peeked" | "peekFailed" }>;

/**
 * Close a Worker the way both kinds close: ask with `{type: "close"}`, wait until `closed`
 * resolves (the Worker replied `{type: "closed"}`) or `timeoutMs` passed, then terminate it.
 */
export async function closeWorker(
  worker: Worker,
  closed: Promise<void>,
  timeoutMs: number,
): Promise<void> {
  worker.postMessage({ type: "close" } satisfies WriterRequest & PeekRequest);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([closed, new Promise((res) => (timer = setTimeout(res, timeoutMs)))]);
  clearTimeout(timer);
  worker.terminate();
}
