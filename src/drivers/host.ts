/**
 * The driver host: runs a {@linkcode Runtime} with drivers. Pokes (the caller's and the
 * drivers') go through one queue and run one at a time; once a poke's event is durable,
 * each of its effects goes, in order, to the drivers that claim its tag, and the next
 * effect waits until they are done. An `[%exit code]` (through the exit driver) ends the
 * host: the effects after it are not carried out and queued pokes are refused.
 *
 * ```ts
 * const host = new DriverHost([fileDriver({ root: "out" }), exitDriver()]);
 * const runtime = Runtime.open({ dataDir, kernel, onComputed: host.onComputed });
 * await host.start(runtime);
 * await host.poke(cause);
 * await host.stop();
 * ```
 *
 * @module
 */

import { CellarError, NockError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { ComputedEvent } from "../runtime/types.ts";
import { effectTag, listItems } from "./driver.ts";
import type { Driver, DriverContext, PokeOutcome } from "./driver.ts";

/** What a poke through the host gives back, once its effects were carried out. */
export interface HostPokeResult {
  eventNumber: bigint;
  /** The tags of its effects, in order. */
  tags: (string | null)[];
}

/** Options of a {@linkcode DriverHost}. */
export interface DriverHostOptions {
  /** Reports (default: stderr). */
  log?: (line: string) => void;
  /** The kernel's output (default: stdout). */
  print?: (text: string) => void;
  /** Sees every committed event's effects before the drivers do (valid during the call). */
  observe?: (eventNumber: bigint, wire: Noun, effects: Noun) => void;
}

interface QueuedPoke {
  cause: Noun;
  wire: Noun | undefined;
  /** Who asked: a driver's name, or null for the host's caller. */
  from: string | null;
  resolve: (result: HostPokeResult) => void;
  reject: (error: unknown) => void;
}

/** The host has stopped or exited: a poke is refused. */
export class HostStoppedError extends CellarError {
  /** @param message Why */
  constructor(message: string) {
    super(message);
    this.name = "HostStoppedError";
  }
}

/** A runtime with drivers: one queue of pokes, effects delivered in order after commit. */
export class DriverHost {
  readonly #drivers: readonly Driver[];
  readonly #log: (line: string) => void;
  readonly #print: (text: string) => void;
  readonly #observe: DriverHostOptions["observe"];
  #runtime: Runtime | null = null;
  #queue: QueuedPoke[] = [];
  #running = false;
  #stopped = false;
  #computed: bigint | null = null;
  #current: QueuedPoke | null = null;
  #exitCode: number | null = null;
  #exited = Promise.withResolvers<number>();
  #unclaimed = new Set<string>();
  #idle: (() => void)[] = [];

  /** A host of `drivers` (not started). */
  constructor(drivers: readonly Driver[], options: DriverHostOptions = {}) {
    const seen = new Map<string, string>();
    for (const d of drivers) {
      for (const tag of d.tags) {
        const other = seen.get(tag);
        if (other !== undefined) {
          throw new CellarError(`Drivers ${other} and ${d.name} both claim the tag %${tag}`);
        }
        seen.set(tag, d.name);
      }
    }
    this.#drivers = drivers;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#print = options.print ?? ((text) => console.log(text));
    this.#observe = options.observe;
  }

  /** The `onComputed` option for `Runtime.open`: the drivers' write-ahead. */
  readonly onComputed = (event: ComputedEvent): void => {
    const q = this.#current;
    if (q === null) {
      throw new CellarError("A poke outside the driver host: poke through DriverHost.poke");
    }
    this.#computed = event.eventNumber;
    const origin = { from: q.from, cause: q.cause };
    for (const d of this.#drivers) d.beforeCommit?.(event, origin);
  };

  /** Resolves with the exit code once a driver ended the host. */
  get exited(): Promise<number> {
    return this.#exited.promise;
  }

  /** The exit code a driver asked for, or null. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Start the drivers on `runtime` (opened with {@linkcode DriverHost.onComputed}). */
  async start(runtime: Runtime): Promise<void> {
    if (this.#runtime !== null) throw new CellarError("The driver host is already started");
    this.#runtime = runtime;
    for (const d of this.#drivers) await d.start?.(this.#context(d.name));
    void this.#drain();
  }

  /**
   * Poke `cause` on `wire` (default `/poke/api`); resolves once the event is durable and its
   * effects were carried out, rejects when the kernel rejects it or the host has stopped.
   */
  poke(cause: NounLike, wire?: NounLike): Promise<HostPokeResult> {
    return this.#enqueue(cause, wire, null);
  }

  /** Resolves when the queue is empty and no poke is running. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Whether a driver expects to poke later (a pending timer, an interval). */
  get pending(): boolean {
    return this.#drivers.some((d) => d.pending?.() ?? false);
  }

  /** Stop: refuse new pokes, finish the running one, stop the drivers (last first). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const q of this.#queue.splice(0)) this.#refuse(q);
    await this.idle();
    for (const d of [...this.#drivers].reverse()) {
      try {
        await d.stop?.();
      } catch (error) {
        this.#log(`driver ${d.name}: stopping failed: ${describeError(error)}`);
      }
    }
  }

  #context(name: string): DriverContext {
    return {
      poke: (cause, wire) =>
        this.#enqueue(cause, wire, name).then(
          (r): PokeOutcome => ({ ok: true, eventNumber: r.eventNumber }),
          (error): PokeOutcome => {
            if (error instanceof HostStoppedError) return { ok: false, stopped: true };
            this.#log(`driver ${name}: the kernel rejected its poke: ${describeError(error)}`);
            return { ok: false, stopped: false, error };
          },
        ),
      event: (eventNumber) => this.#runtime!.log.get(eventNumber),
      exit: (code) => this.#exit(code),
      log: (line) => this.#log(`${name}: ${line}`),
      print: (text) => this.#print(text),
    };
  }

  #exit(code: number): void {
    if (this.#exitCode !== null) return;
    this.#exitCode = code;
    this.#stopped = true;
    for (const q of this.#queue.splice(0)) this.#refuse(q);
    this.#exited.resolve(code);
  }

  #refuse(q: QueuedPoke): void {
    q.cause.dispose();
    q.wire?.dispose();
    q.reject(new HostStoppedError("The driver host has stopped: the poke was not sent"));
  }

  #enqueue(cause: NounLike, wire: NounLike | undefined, from: string | null) {
    return new Promise<HostPokeResult>((resolve, reject) => {
      if (this.#stopped) {
        reject(new HostStoppedError("The driver host has stopped: the poke was not sent"));
        return;
      }
      const q = {
        cause: Noun.from(cause),
        wire: wire === undefined ? undefined : Noun.from(wire),
        from,
        resolve,
        reject,
      };
      this.#queue.push(q);
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running || this.#runtime === null) return;
    this.#running = true;
    try {
      for (let q = this.#queue.shift(); q !== undefined; q = this.#queue.shift()) {
        await this.#run(q);
      }
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** One poke: commit it, then deliver its effects in order. */
  async #run(q: QueuedPoke): Promise<void> {
    const runtime = this.#runtime!;
    let result;
    this.#computed = null;
    this.#current = q;
    try {
      result = runtime.poke(q.cause, q.wire === undefined ? {} : { wire: q.wire });
    } catch (error) {
      if (this.#computed !== null) {
        for (const d of this.#drivers) d.abandoned?.(this.#computed);
      }
      if (error instanceof NockError) error.traceNoun?.dispose();
      q.wire?.dispose();
      q.reject(error);
      return;
    } finally {
      this.#current = null;
      q.cause.dispose();
    }
    using effects = result.effects;
    using wire = q.wire ?? Noun.list(["poke", "api"]);
    try {
      this.#observe?.(result.eventNumber, wire, effects);
      const tags = await this.#deliver(result.eventNumber, effects);
      q.resolve({ eventNumber: result.eventNumber, tags });
    } catch (error) {
      q.reject(error);
    }
  }

  /** Give each effect to the driver of its tag, in order; stop after an exit. */
  #deliver(eventNumber: bigint, effects: Noun): Promise<(string | null)[]> {
    return deliverEffects(this.#drivers, eventNumber, effects, {
      context: (name) => this.#context(name),
      log: this.#log,
      unclaimed: this.#unclaimed,
      skip: () => this.#exitCode !== null,
    });
  }
}

/** How {@linkcode deliverEffects} reaches the drivers. */
export interface DeliverOptions {
  /** The context of a driver's calls. */
  context(name: string): DriverContext;
  log(line: string): void;
  /** The tags already reported as claimed by no driver (each is reported once). */
  unclaimed: Set<string>;
  /** Whether to carry out no more effects (after an exit). */
  skip?: () => boolean;
  /** Tags carried out elsewhere, not reported as unclaimed. */
  elsewhere?: readonly string[];
  /** What becomes of an unclaimed tag's effects (default: "they are ignored"). */
  unclaimedFate?: string;
}

/**
 * Give each effect of a committed event to the driver of its tag, in order, one at a time;
 * a driver's failure is logged and the next effect goes on. The tags of the effects.
 */
export async function deliverEffects(
  drivers: readonly Driver[],
  eventNumber: bigint,
  effects: Noun,
  options: DeliverOptions,
): Promise<(string | null)[]> {
  const items = listItems(effects);
  const tags: (string | null)[] = [];
  try {
    for (let index = 0; index < items.length; index++) {
      const effect = items[index];
      const tag = effectTag(effect);
      tags.push(tag);
      if (options.skip?.()) continue;
      const driver = tag === null ? undefined : drivers.find((d) => d.tags.includes(tag));
      if (driver === undefined) {
        if (tag === null || !options.elsewhere?.includes(tag)) unhandled(tag, options);
        continue;
      }
      try {
        await driver.handle(
          { eventNumber, index, tag: tag!, effect },
          options.context(driver.name),
        );
      } catch (error) {
        options.log(
          `driver ${driver.name}: effect ${index} of event ${eventNumber} failed: ${
            describeError(error)
          }`,
        );
      }
    }
  } finally {
    for (const item of items) item.dispose();
  }
  return tags;
}

function unhandled(tag: string | null, options: DeliverOptions): void {
  const key = tag ?? "(no tag)";
  if (options.unclaimed.has(key)) return;
  options.unclaimed.add(key);
  options.log(
    tag === null
      ? "An effect without a tag was ignored (effects are [%tag …] cells)"
      : `No driver takes %${tag} effects: ${
        options.unclaimedFate ?? "they are ignored"
      } (reported once)`,
  );
}

/** An error as one line, with the end of a kernel trace. */
export function describeError(error: unknown): string {
  if (error instanceof NockError) {
    return `${error.message}${error.trace.length ? ` (${error.trace.slice(-3).join(" / ")})` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}
