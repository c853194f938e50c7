/**
 * The peek Workers (`peek_worker.ts`), each holding a read-only replica of the committed
 * state. A peek goes to the ready Worker with the fewest peeks waiting.
 *
 * A watchdog guards each Worker: a Worker runs its peeks one at a time, so the oldest peek
 * it was sent is the one running, and it gets the peek time limit plus
 * {@linkcode peekGraceMs} (for rendering the answer). Past that, the peek is answered 503
 * (`PeekTimeout`), the Worker is terminated, and a new one takes its place; the peeks that
 * were waiting behind it go to the other Workers. A Worker that crashes is replaced the same
 * way. So no peek, however big its answer, holds a Worker for longer than its limit.
 *
 * Deno's `Worker.terminate()` does not stop JavaScript that is running (measured on Deno
 * 2.9.8: a busy loop keeps its thread after it): a terminated Worker runs on until its
 * current task ends, then exits. So the pool interrupts its machine (which stops any Nock
 * it runs) and counts it as a stray until its machine is gone (its thread ended); while
 * {@linkcode straysMax} strays run, no replacement is started and peeks get 503. The
 * renderers' own budgets are what end a stray's task early.
 *
 * @module
 */

import { interrupt } from "../core/machine.ts";
import { peekGraceMs } from "./options.ts";
import type { Settings } from "./options.ts";
import { closeWorker } from "./protocol.ts";
import type { NounFormat, PeekAnswer, PeekReply, PeekRequest, WireError } from "./protocol.ts";

/** What the pool reports. */
export interface PeekPoolEvents {
  /** A Worker opened its replica (once per Worker, replacements included). */
  ready(): void;
  /** Every Worker of the first start failed to open its replica; `message` says why the
   * last one did. */
  failed(message: string): void;
  /** A Worker was replaced: stopped by the watchdog (`timeout`) or crashed (`crash`). */
  restarted?(reason: "timeout" | "crash"): void;
  log(line: string): void;
}

/** A peek sent to a Worker and not yet answered. */
interface Pending {
  path: string[];
  reply: NounFormat;
  resolve: (answer: PeekAnswer) => void;
}

interface Peeker {
  worker: Worker;
  ready: boolean;
  /** Its thread's machine (see {@linkcode PeekReady}), once it is ready. */
  machine?: number;
  /** Peeks sent and not answered, oldest first: the first is running. */
  pending: Map<number, Pending>;
  closed: PromiseWithResolvers<void>;
  /** The watchdog of the running peek. */
  timer?: ReturnType<typeof setTimeout>;
  /** A replacement (its failure to open does not count toward the first start's). */
  replacement: boolean;
}

/** A peek Worker's `ready` reply, with the id of its thread's machine. */
export type PeekReady = Extract<PeekReply, { type: "ready" }> & { machine?: number };

/** Wait before replacing a Worker whose replacement could not open its replica. */
const retryMs = 1000;
/** Terminated Workers still running, per Worker of the pool, before replacements wait. */
const straysPerWorker = 2;
/** How often the strays are checked for having ended. */
const strayCheckMs = 250;

/** The peek Workers, started once the writer has opened the runtime. */
export class PeekPool {
  #settings: Settings;
  #events: PeekPoolEvents;
  #peekers: Peeker[] = [];
  #failures = 0;
  #nextId = 1;
  #closing = false;
  #retries = new Set<ReturnType<typeof setTimeout>>();
  /** Machines of terminated Workers whose threads have not ended yet. */
  #strays = new Set<number>();
  /** Replacements waiting for strays to end. */
  #owed = 0;
  #strayTimer?: ReturnType<typeof setInterval>;

  constructor(settings: Settings, events: PeekPoolEvents) {
    this.#settings = settings;
    this.#events = events;
  }

  /** Start `settings.peekWorkers` Workers on the data directory. */
  start(): void {
    for (let i = 0; i < this.#settings.peekWorkers; i++) this.#spawn(false);
  }

  /** Send a peek to the least busy ready Worker; null when none is ready. */
  peek(path: string[], reply: NounFormat): Promise<PeekAnswer> | null {
    if (!this.#peekers.some((p) => p.ready)) return null;
    return new Promise((resolve) => this.#send({ path, reply, resolve }));
  }

  /** Terminated Workers still running (see the module notes). */
  get strays(): number {
    return this.#strays.size;
  }

  /** The most strays before replacements wait: {@linkcode straysPerWorker} per Worker. */
  get straysMax(): number {
    return straysPerWorker * this.#settings.peekWorkers;
  }

  /** Close every Worker's replica; terminate each after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    clearInterval(this.#strayTimer);
    for (const t of this.#retries) clearTimeout(t);
    for (const p of this.#peekers) clearTimeout(p.timer);
    await Promise.all(
      this.#peekers.map((p) => closeWorker(p.worker, p.closed.promise, timeoutMs)),
    );
  }

  #spawn(replacement: boolean): void {
    const { dataDir, limits } = this.#settings;
    const worker = new Worker(new URL("./peek_worker.ts", import.meta.url), { type: "module" });
    const peeker: Peeker = {
      worker,
      ready: false,
      pending: new Map(),
      closed: Promise.withResolvers(),
      replacement,
    };
    worker.onmessage = (event: MessageEvent<PeekReply>) => this.#receive(peeker, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#events.log(`cellar serve: a peek Worker failed: ${event.message}`);
      const error = { status: 500, code: "PeekerFailed", message: event.message };
      this.#replace(peeker, "crash", error);
    };
    const open: PeekRequest = { type: "open", dataDir, peekTimeoutMs: limits.peekTimeoutMs };
    worker.postMessage(open);
    this.#peekers.push(peeker);
  }

  /** Send `peek` to the least busy ready Worker, or answer 503 when none is ready. */
  #send(peek: Pending): void {
    const live = this.#peekers.filter((p) => p.ready);
    if (live.length === 0) {
      const message = "The peek Workers are being replaced: try again in a moment";
      peek.resolve({
        type: "peekFailed",
        id: 0,
        error: { status: 503, code: "NotReady", message },
      });
      return;
    }
    const peeker = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    peeker.pending.set(id, peek);
    const request: PeekRequest = { type: "peek", id, path: peek.path, reply: peek.reply };
    peeker.worker.postMessage(request);
    if (peeker.pending.size === 1) this.#arm(peeker);
  }

  /** Start the watchdog of the Worker's running peek, if it has one. */
  #arm(peeker: Peeker): void {
    clearTimeout(peeker.timer);
    peeker.timer = undefined;
    if (peeker.pending.size === 0 || this.#closing) return;
    const limitMs = this.#settings.limits.peekTimeoutMs;
    peeker.timer = setTimeout(() => {
      const message = `The peek took longer than its limit of ${limitMs} ms (computing and ` +
        `rendering its answer) and was stopped; nothing changed. A large value is cheaper ` +
        `as ?format=jam`;
      this.#events.log(`cellar serve: a peek passed ${limitMs} ms: replacing its Worker`);
      this.#replace(peeker, "timeout", { status: 503, code: "PeekTimeout", message });
    }, limitMs + peekGraceMs);
  }

  /**
   * Terminate `peeker` and start another in its place: its running peek is answered with
   * `error`, the peeks waiting behind it go to the other Workers.
   */
  #replace(peeker: Peeker, reason: "timeout" | "crash", error: WireError): void {
    const index = this.#peekers.indexOf(peeker);
    if (index < 0) return; // Replaced already.
    this.#peekers.splice(index, 1);
    clearTimeout(peeker.timer);
    peeker.ready = false;
    peeker.worker.terminate();
    peeker.closed.resolve();
    const waiting = [...peeker.pending.entries()];
    peeker.pending.clear();
    if (waiting.length > 0) {
      const [id, running] = waiting[0];
      running.resolve({ type: "peekFailed", id, error });
    }
    if (this.#closing) return;
    this.#events.restarted?.(reason);
    this.#stray(peeker);
    if (this.#strays.size < this.straysMax) this.#spawn(true);
    else this.#owed++;
    for (const [, peek] of waiting.slice(1)) this.#send(peek);
  }

  /** Track a terminated Worker until its thread ends (its machine leaves the registry). */
  #stray(peeker: Peeker): void {
    if (peeker.machine === undefined || !interrupt(peeker.machine)) return;
    this.#strays.add(peeker.machine);
    this.#events.log(`cellar serve: ${this.#strays.size} stopped peek Worker(s) still running`);
    this.#strayTimer ??= setInterval(() => this.#checkStrays(), strayCheckMs);
  }

  #checkStrays(): void {
    // interrupt() is false once the machine is gone; while it runs, it stops its Nock.
    for (const id of this.#strays) if (!interrupt(id)) this.#strays.delete(id);
    while (this.#owed > 0 && this.#strays.size < this.straysMax && !this.#closing) {
      this.#owed--;
      this.#spawn(true);
    }
    if (this.#strays.size === 0) {
      clearInterval(this.#strayTimer);
      this.#strayTimer = undefined;
    }
  }

  #receive(peeker: Peeker, m: PeekReply): void {
    switch (m.type) {
      case "ready":
        peeker.ready = true;
        peeker.machine = (m as PeekReady).machine;
        this.#events.ready();
        break;
      case "fatal":
        this.#opening(peeker, m.error.message);
        break;
      case "peeked":
      case "peekFailed": {
        const pending = peeker.pending.get(m.id);
        peeker.pending.delete(m.id);
        pending?.resolve(m);
        this.#arm(peeker);
        break;
      }
      case "closed":
        peeker.closed.resolve();
        peeker.worker.terminate();
        break;
    }
  }

  /** A Worker could not open its replica: the first start counts it, a replacement retries. */
  #opening(peeker: Peeker, message: string): void {
    this.#events.log(`cellar serve: a peek Worker failed: ${message}`);
    if (!peeker.replacement) {
      this.#failures++;
      if (this.#failures === this.#settings.peekWorkers) {
        this.#events.failed(`no peek Worker could open the state: ${message}`);
      }
      return;
    }
    const index = this.#peekers.indexOf(peeker);
    if (index >= 0) this.#peekers.splice(index, 1);
    peeker.worker.terminate();
    if (this.#closing) return;
    const retry = setTimeout(() => {
      this.#retries.delete(retry);
      if (!this.#closing) this.#spawn(true);
    }, retryMs);
    this.#retries.add(retry);
  }
}
