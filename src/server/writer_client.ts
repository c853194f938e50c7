/**
 * The main thread's side of the writer Worker (`writer_worker.ts`): it opens the runtime
 * there, numbers each poke and resolves it with the Worker's answer, and turns the Worker's
 * other messages (replay progress, boot, status, failure) into {@linkcode WriterEvents}.
 *
 * Group commit: one batch of pokes is with the writer at a time. Pokes that arrive meanwhile
 * wait here in arrival order and go together as the next batch (at most 256 pokes or 4 MiB of
 * jams and JSON causes, {@linkcode batchLength}) once the writer has answered the previous one, so the writer commits each batch as a
 * group with one flush. A lone poke goes at once: nothing waits for a group to fill.
 *
 * @module
 */

import { interrupt } from "../core/machine.ts";
import type { OperationProgress } from "../runtime/progress.ts";
import type { Json } from "../core/json.ts";
import type { BootReport, ReplayProgress } from "../runtime/runtime.ts";
import { ServerStartError } from "./options.ts";
import type { Settings } from "./options.ts";
import type { EffectsMessage } from "./effects_stream.ts";
import { closeWorker } from "./protocol.ts";
import type { ClusterWriterReply } from "./cluster_protocol.ts";
import type { ProfileReply, ProfileRequest } from "./writer_profile.ts";
import type {
  PokeAnswer,
  PokeCall,
  PokeItem,
  WriterReply,
  WriterRequest,
  WriterStatus,
} from "./protocol.ts";

/** Bounds of a batch of pokes sent to the writer. */
const batchPokesMax = 256;
const batchBytesMax = 4 * 2 ** 20;

/**
 * How many of `waiting` (at least one) go in the next batch: at most 256 pokes, and no more
 * than 4 MiB of causes past the first, a jam counted by its bytes and a JSON cause (a kernel
 * HTTP request's, a JSON `POST /poke`) by the length of its text ({@linkcode jsonTextBytes}).
 */
export function batchLength(waiting: readonly PokeItem[]): number {
  let bytes = 0;
  let n = 0;
  while (n < waiting.length && n < batchPokesMax) {
    const poke = waiting[n];
    bytes += poke.jam?.byteLength ?? (poke.json === undefined ? 0 : jsonTextBytes(poke.json));
    if (n > 0 && bytes > batchBytesMax) break;
    n++;
  }
  return n;
}

/**
 * About the length of `json`'s text, in UTF-16 units (a proxy for its size): strings and
 * numbers, brackets, commas, quotes and keys. Walked with an explicit stack, never recursion.
 */
export function jsonTextBytes(json: Json): number {
  let total = 0;
  const stack: Json[] = [json];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === "string") {
      total += item.length + 2;
    } else if (Array.isArray(item)) {
      total += 2 + item.length;
      for (const child of item) stack.push(child);
    } else if (item !== null && typeof item === "object") {
      for (const [key, child] of Object.entries(item)) {
        total += key.length + 4;
        stack.push(child);
      }
      total += 2;
    } else {
      total += String(item).length;
    }
  }
  return total;
}

/** What the writer reports besides poke answers. */
export interface WriterEvents {
  /** A replay advanced. */
  progress(progress: ReplayProgress): void;
  /** The runtime is open. */
  ready(boot: BootReport, status: WriterStatus): void;
  /** The runtime's status after an event or a maintenance (with its durations, if any ran). */
  status(status: WriterStatus, gcMs?: number, snapshotMs?: number): void;
  /** The runtime could not open or the Worker died (pending pokes were already failed);
   * `error` is what `ready` should reject with. */
  failed(message: string, error: ServerStartError): void;
  /** A committed event's effects (for `GET /effects`). */
  effects?(message: EffectsMessage): void;
  /** A cluster mode message (`cluster_protocol.ts`). */
  cluster?(message: ClusterWriterReply): void;
  /** A long operation advanced (null: it ended). */
  operation?(operation: OperationProgress | null): void;
  /** Open the runtime only once this settles (cluster mode's bootstrap of a new directory). */
  openAfter?: Promise<void>;
}

/** The writer Worker, as the main thread talks to it. */
export class WriterClient {
  #worker: Worker;
  #events: WriterEvents;
  #pending = new Map<number, (answer: PokeAnswer) => void>();
  /** Profile requests waiting for the writer's answer. */
  #profiles = new Map<number, (reply: ProfileReply) => void>();
  /** Pokes not yet sent: they go as the next batch. */
  #waiting: PokeItem[] = [];
  /** Whether a batch is with the writer. */
  #inFlight = false;
  #nextId = 1;
  #abort = new SharedArrayBuffer(4);
  /** The writer thread's machine, once it said. */
  #machine: number | undefined;
  #closed = Promise.withResolvers<void>();

  /** Start the Worker and ask it to open the runtime of `settings.dataDir`. */
  constructor(settings: Settings, events: WriterEvents) {
    this.#events = events;
    this.#worker = new Worker(new URL("./writer_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<WriterReply>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // deno-lint-ignore no-control-regex
      const text = `the writer Worker failed: ${event.message.replace(/\x1b\[[0-9;]*m/g, "")}`;
      this.failPending(text);
      this.#closed.resolve();
      events.failed(text, new ServerStartError(text));
    };
    const kernel = settings.kernel?.buffer as ArrayBuffer | undefined;
    const open: WriterRequest = {
      type: "open",
      dataDir: settings.dataDir,
      kernel,
      pokeTimeoutMs: settings.limits.pokeTimeoutMs,
      snapshotEveryEvents: settings.snapshotEveryEvents,
      abort: this.#abort,
      httpResponseLimit: settings.httpKernel?.responseLimit,
      cluster: settings.cluster?.writer,
      drivers: settings.drivers,
      logFormat: settings.logFormat,
      profile: settings.profile,
    };
    const send = () => {
      // A server stopped while it prepared the directory opens nothing.
      if (Atomics.load(new Int32Array(this.#abort), 0) === 1) return;
      this.#worker.postMessage(open, kernel ? [kernel] : []);
    };
    if (events.openAfter === undefined) send();
    else void events.openAfter.finally(send);
  }

  /** Queue a poke; resolves with the writer's answer once the event is durable (or failed). */
  poke(call: PokeCall): Promise<PokeAnswer> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#waiting.push({ ...call, id });
      this.#sendBatch();
    });
  }

  /** Ask the writer for its profile's table or flame graph, or to reset it. */
  profile(action: ProfileRequest["action"]): Promise<ProfileReply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#profiles.set(id, resolve);
      this.#worker.postMessage({ type: "profile", id, action } satisfies WriterRequest);
    });
  }

  /** Send the writer a message other than a poke (cluster mode's `apply`, `position`). */
  post(message: WriterRequest): void {
    this.#worker.postMessage(message);
  }

  /** Send the waiting pokes (up to the bounds) unless a batch is with the writer. */
  #sendBatch(): void {
    if (this.#inFlight || this.#waiting.length === 0) return;
    const pokes = this.#waiting.splice(0, batchLength(this.#waiting));
    const transfer = pokes.flatMap((p) => (p.jam ? [p.jam] : []));
    this.#inFlight = true;
    this.#worker.postMessage({ type: "pokes", pokes } satisfies WriterRequest, transfer);
  }

  /** Answer every poke still waiting with a `WriterFailed` error of `message`. */
  failPending(message: string): void {
    this.#waiting = [];
    for (const [id, resolve] of this.#profiles) {
      this.#profiles.delete(id);
      resolve({ type: "profile", id, error: message });
    }
    for (const [id, resolve] of this.#pending) {
      this.#pending.delete(id);
      resolve({ type: "pokeFailed", id, error: { status: 500, code: "WriterFailed", message } });
    }
  }

  /**
   * Stop a replay in progress at its next event (the runtime reads the shared flag), and
   * interrupt the Nock the writer runs now (a poke, answered `ShuttingDown` with nothing
   * kept, or a replayed event, kept for the next start), so no computation holds a shutdown.
   */
  abort(): void {
    Atomics.store(new Int32Array(this.#abort), 0, 1);
    if (this.#machine !== undefined) interrupt(this.#machine);
  }

  /** Terminate the Worker at once (nothing was served yet). */
  terminate(): void {
    this.#worker.terminate();
  }

  /** Close the runtime (a poke in flight finishes first); terminate after `timeoutMs`. */
  close(timeoutMs: number): Promise<void> {
    return closeWorker(this.#worker, this.#closed.promise, timeoutMs).finally(() =>
      this.failPending("The writer closed before the poke was committed")
    );
  }

  #receive(m: WriterReply): void {
    switch (m.type) {
      case "progress":
        this.#events.progress(m.progress);
        break;
      case "machine":
        this.#machine = m.machine;
        break;
      case "operation":
        this.#events.operation?.(m.operation);
        break;
      case "ready":
        this.#events.ready(m.boot, m.status);
        break;
      case "fatal": {
        const text = `${m.error.code}: ${m.error.message}`;
        this.failPending(text);
        this.#closed.resolve();
        this.#events.failed(text, new ServerStartError(`The runtime could not start: ${text}`));
        break;
      }
      case "answers": {
        for (const answer of m.answers) {
          const resolve = this.#pending.get(answer.id);
          this.#pending.delete(answer.id);
          resolve?.(answer);
        }
        this.#inFlight = false;
        this.#sendBatch();
        break;
      }
      case "status":
        this.#events.status(m.status, m.gcMs, m.snapshotMs);
        break;
      case "effects":
        this.#events.effects?.(m);
        break;
      case "profile":
        this.#profiles.get(m.id)?.(m);
        this.#profiles.delete(m.id);
        break;
      case "closed":
        this.#closed.resolve();
        break;
      default:
        this.#events.cluster?.(m);
    }
  }
}
