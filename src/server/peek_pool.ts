/**
 * The peek Workers (`peek_worker.ts`), each holding a read-only replica of the committed
 * state. A peek goes to the ready Worker with the fewest peeks waiting; a Worker that dies
 * fails its waiting peeks and takes no more.
 *
 * @module
 */

import type { Settings } from "./options.ts";
import { closeWorker } from "./protocol.ts";
import type { NounFormat, PeekAnswer, PeekReply, PeekRequest } from "./protocol.ts";

/** What the pool reports. */
export interface PeekPoolEvents {
  /** A Worker opened its replica (once per Worker). */
  ready(): void;
  /** Every Worker failed to open its replica; `message` says why the last one did. */
  failed(message: string): void;
  log(line: string): void;
}

interface Peeker {
  worker: Worker;
  ready: boolean;
  pending: Map<number, (answer: PeekAnswer) => void>;
  closed: PromiseWithResolvers<void>;
}

/** The peek Workers, started once the writer has opened the runtime. */
export class PeekPool {
  #settings: Settings;
  #events: PeekPoolEvents;
  #peekers: Peeker[] = [];
  #failures = 0;
  #nextId = 1;

  constructor(settings: Settings, events: PeekPoolEvents) {
    this.#settings = settings;
    this.#events = events;
  }

  /** Start `settings.peekWorkers` Workers on the data directory. */
  start(): void {
    const { dataDir, peekWorkers, limits } = this.#settings;
    for (let i = 0; i < peekWorkers; i++) {
      const worker = new Worker(new URL("./peek_worker.ts", import.meta.url), { type: "module" });
      const peeker: Peeker = {
        worker,
        ready: false,
        pending: new Map(),
        closed: Promise.withResolvers(),
      };
      worker.onmessage = (event: MessageEvent<PeekReply>) => this.#receive(peeker, event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#events.log(`cellar serve: a peek Worker failed: ${event.message}`);
        peeker.ready = false;
        const error = { status: 500, code: "PeekerFailed", message: event.message };
        for (const [id, resolve] of peeker.pending) resolve({ type: "peekFailed", id, error });
        peeker.pending.clear();
      };
      const open: PeekRequest = { type: "open", dataDir, peekTimeoutMs: limits.peekTimeoutMs };
      worker.postMessage(open);
      this.#peekers.push(peeker);
    }
  }

  /** Send a peek to the least busy ready Worker; null when none is ready. */
  peek(path: string[], reply: NounFormat): Promise<PeekAnswer> | null {
    const live = this.#peekers.filter((p) => p.ready);
    if (live.length === 0) return null;
    const peeker = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      peeker.pending.set(id, resolve);
      peeker.worker.postMessage({ type: "peek", id, path, reply } satisfies PeekRequest);
    });
  }

  /** Close every Worker's replica; terminate each after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(
      this.#peekers.map((p) => closeWorker(p.worker, p.closed.promise, timeoutMs)),
    );
  }

  #receive(peeker: Peeker, m: PeekReply): void {
    switch (m.type) {
      case "ready":
        peeker.ready = true;
        this.#events.ready();
        break;
      case "fatal":
        this.#events.log(`cellar serve: a peek Worker failed: ${m.error.message}`);
        this.#failures++;
        if (this.#failures === this.#settings.peekWorkers) {
          this.#events.failed(`no peek Worker could open the state: ${m.error.message}`);
        }
        break;
      case "peeked":
      case "peekFailed": {
        const resolve = peeker.pending.get(m.id);
        peeker.pending.delete(m.id);
        resolve?.(m);
        break;
      }
      case "closed":
        peeker.closed.resolve();
        peeker.worker.terminate();
        break;
    }
  }
}
