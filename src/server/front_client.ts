/**
 * The main thread's side of the front's Worker (`front_worker.ts`): the server's
 * {@linkcode HttpFront} runs there, so its byte pumping runs beside the main thread's
 * Deno.serve instead of taking turns with it (one connection's round trip cost ~105 µs
 * without a front, ~250 µs with one on the main thread).
 *
 * @module
 */

import { ServerStartError } from "./options.ts";

/** Where the front's Worker reaches the real Deno.serve. */
export type InnerAddress = { transport: "unix"; path: string } | { transport: "tcp"; port: number };

/** A message to the front's Worker. */
export type FrontRequest =
  | { type: "start"; hostname: string; port: number; headerTimeoutMs: number }
  /** The inner server listens (`to`), or could not (`to` null: connections get 503). */
  | { type: "inner"; to: InnerAddress | null }
  | { type: "stopAccepting" }
  | { type: "close"; graceMs: number };

/** A message from the front's Worker. */
export type FrontReply =
  | { type: "listening" }
  | { type: "failed"; message: string }
  | { type: "stopped" }
  | { type: "closed" };

/** Runs an {@linkcode HttpFront} in its own Worker. */
export class FrontClient {
  #worker: Worker;
  #failed: (error: ServerStartError) => void;
  #listening = Promise.withResolvers<void>();
  #stopped = Promise.withResolvers<void>();
  #closed = Promise.withResolvers<void>();
  #terminated = false;

  /** Start the Worker; it listens on `hostname:port` (`failed` is called if it cannot). */
  constructor(
    options: { hostname: string; port: number; headerTimeoutMs: number },
    failed: (error: ServerStartError) => void,
  ) {
    this.#failed = failed;
    this.#worker = new Worker(new URL("./front_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<FrontReply>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // deno-lint-ignore no-control-regex
      this.#fail(`The HTTP front's Worker failed: ${event.message.replace(/\x1b\[[0-9;]*m/g, "")}`);
    };
    this.#post({ type: "start", ...options });
  }

  /** Resolves once the Worker listens, or failed to. */
  get listening(): Promise<void> {
    return this.#listening.promise;
  }

  /** Tell the Worker where the inner server listens, or that it could not (null). */
  inner(to: InnerAddress | null): void {
    this.#post({ type: "inner", to });
  }

  /** Stop accepting, and close the connections that owe no answer. */
  stopAccepting(): Promise<void> {
    this.#post({ type: "stopAccepting" });
    return this.#stopped.promise;
  }

  /** {@linkcode HttpFront.close} in the Worker, then end the Worker. */
  async close(graceMs: number): Promise<void> {
    this.#post({ type: "close", graceMs });
    await this.#closed.promise;
    this.#terminate();
  }

  #post(message: FrontRequest): void {
    if (!this.#terminated) this.#worker.postMessage(message);
  }

  #receive(reply: FrontReply): void {
    if (reply.type === "listening") this.#listening.resolve();
    else if (reply.type === "failed") this.#fail(reply.message);
    else if (reply.type === "stopped") this.#stopped.resolve();
    else this.#closed.resolve();
  }

  /** The front cannot serve: report it, and let every wait end. */
  #fail(message: string): void {
    this.#terminate();
    this.#listening.resolve();
    this.#stopped.resolve();
    this.#closed.resolve();
    this.#failed(new ServerStartError(message));
  }

  #terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#worker.terminate();
  }
}
