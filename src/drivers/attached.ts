/**
 * Drivers beside a runtime that something else pokes: the server's writer Worker commits pokes
 * in groups (`pokeMany`), so it cannot go through a {@linkcode DriverHost}. It tells these
 * drivers about each computed event ({@linkcode AttachedDrivers.computed}, their write-ahead,
 * as `RuntimeOptions.onComputed`) and each committed event's effects
 * ({@linkcode AttachedDrivers.committed}); the drivers' own pokes come back through the
 * `commit` option, each alone, once the effects delivered before them are done.
 *
 * The guarantees are the host's: a driver gets the effects with its tags of every committed
 * event, in order, only after the event is durable, one at a time; a poke of a driver runs
 * after the effects queued before it.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import type { LoggedEvent } from "../runtime/event_log.ts";
import type { ComputedEvent } from "../runtime/types.ts";
import { deliverEffects, describeError } from "./host.ts";
import type { Driver, DriverContext, PokeOrigin, PokeOutcome } from "./driver.ts";

/**
 * How the runtime's owner commits a driver's poke (alone, at once). `refused`: the owner did
 * not take it (a cluster member that does not lead): nothing of it counts, and the driver
 * is told it was not sent (it keeps what it wanted to poke for a later leader).
 */
export type CommitOutcome =
  | { ok: true; eventNumber: bigint; effects: Noun }
  | { ok: false; error: unknown; refused?: boolean };

/** Options of {@linkcode AttachedDrivers}. */
export interface AttachedOptions {
  /** Commit a driver's poke; the effects are the caller's (they are disposed here). */
  commit(cause: Noun, wire: Noun): CommitOutcome;
  /** A committed event of the log, or null. */
  event(eventNumber: bigint): LoggedEvent | null;
  /** Reports. */
  log(line: string): void;
  /** The kernel's output (`%markdown`). */
  print(text: string): void;
  /** Tags the owner carries out itself (not reported as unclaimed). */
  elsewhere?: readonly string[];
  /** What becomes of the effects no driver takes, for the one-time report. */
  unclaimedFate?: string;
  /**
   * Whether the drivers may act on their own from the start (default true). A cluster
   * member's start not leading, until {@linkcode AttachedDrivers.lead}.
   */
  leading?: boolean;
}

/**
 * Drivers beside a runtime that its owner pokes itself, in groups (`Runtime.pokeMany`),
 * rather than through a {@linkcode DriverHost}: the owner passes
 * {@linkcode AttachedDrivers.computed} as the runtime's `onComputed`, calls
 * {@linkcode AttachedDrivers.settle} after each group and
 * {@linkcode AttachedDrivers.committed} with each committed event's effects, and commits the
 * drivers' own pokes in `commit`. The drivers' guarantees are the host's.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { Runtime } from "../runtime/runtime.ts";
 * import { AttachedDrivers } from "./attached.ts";
 * import { markdownDriver } from "./markdown.ts";
 *
 * let runtime: Runtime | null = null;
 * const drivers = new AttachedDrivers([markdownDriver()], {
 *   commit(cause, wire) {
 *     const [outcome] = runtime!.pokeMany([{ cause, wire }]);
 *     drivers.settle(runtime!.eventNumber);
 *     return outcome.ok ? { ok: true, ...outcome.result } : outcome;
 *   },
 *   event: (n) => runtime!.log.get(n),
 *   log: (line) => console.error(line),
 *   print: (text) => console.log(text),
 * });
 * runtime = Runtime.open({
 *   dataDir: Deno.makeTempDirSync(),
 *   kernel: Deno.readFileSync("kernel.jam"),
 *   onComputed: drivers.computed,
 * });
 * await drivers.start();
 * using cause = Noun.from(["greet", 0]);
 * for (const outcome of runtime.pokeMany([{ cause }])) {
 *   if (!outcome.ok) continue;
 *   drivers.committed(outcome.result.eventNumber, outcome.result.effects);
 *   outcome.result.effects.dispose();
 * }
 * drivers.settle(runtime.eventNumber);
 * await drivers.idle();
 * await drivers.stop();
 * runtime.close();
 * ```
 */
export class AttachedDrivers {
  readonly #drivers: readonly Driver[];
  readonly #options: AttachedOptions;
  /** Deliveries and driver pokes, one after the other. */
  #chain: Promise<void> = Promise.resolve();
  /** The driver poke being computed, or null (a poke of the runtime's owner). */
  #origin: PokeOrigin | null = null;
  /** Events computed and not yet known to be committed. */
  #computed: bigint[] = [];
  #unclaimed = new Set<string>();
  #stopped = false;
  #leading: boolean;

  /** Drivers (not started), each claiming its own tags. */
  constructor(drivers: readonly Driver[], options: AttachedOptions) {
    const seen = new Set<string>();
    for (const tag of drivers.flatMap((d) => d.tags)) {
      if (seen.has(tag)) throw new CellarError(`Two drivers claim the tag %${tag}`);
      seen.add(tag);
    }
    this.#drivers = drivers;
    this.#options = options;
    this.#leading = options.leading ?? true;
  }

  /** Start the drivers (once the runtime is open: they may read the log). */
  async start(): Promise<void> {
    for (const d of this.#drivers) {
      if (!this.#leading) d.lead?.(false);
      await d.start?.(this.#context(d.name));
    }
  }

  /**
   * Cluster mode: this member leads now (`on`), or no longer. Not leading, the drivers arm
   * nothing and their pokes are refused as not sent.
   */
  lead(on: boolean): void {
    if (this.#stopped || on === this.#leading) return;
    this.#leading = on;
    for (const d of this.#drivers) d.lead?.(on);
  }

  /** The driver whose poke is being computed, or null (a poke of the runtime's owner). */
  get poking(): string | null {
    return this.#origin?.from ?? null;
  }

  /** The runtime's `onComputed`: each driver's write-ahead; throwing rejects the event. */
  readonly computed = (event: ComputedEvent): void => this.#announce(event, this.#origin);

  /**
   * Cluster mode, a follower: the write-ahead of an event applied from the stream, which
   * the driver `from` poked on the leader (null: a client); then
   * {@linkcode AttachedDrivers.replicated} once it is committed.
   */
  replicatedComputed(event: ComputedEvent, from: string | null): void {
    this.#announce(event, from === null ? null : { from, cause: null });
  }

  /** Cluster mode, a follower: applied event `eventNumber` is committed. */
  replicated(eventNumber: bigint): void {
    for (const d of this.#drivers) d.replicated?.(eventNumber);
  }

  /** Each driver's write-ahead of `event`, poked by `given.from` (its cause read when null). */
  #announce(event: ComputedEvent, given: { from: string | null; cause: Noun | null } | null) {
    this.#computed.push(event.eventNumber);
    const held: { cause: Noun | null } = { cause: null };
    const known = given?.cause ?? null;
    const origin: PokeOrigin = known !== null ? { from: given!.from, cause: known } : {
      from: given?.from ?? null,
      get cause(): Noun {
        if (held.cause === null) {
          // `[wire eny our now cause]`: the cause is at axis 31.
          using whole = Noun.cue(event.eventJam);
          held.cause = whole.at(31);
        }
        return held.cause;
      },
    };
    try {
      for (const d of this.#drivers) d.beforeCommit?.(event, origin);
    } finally {
      held.cause?.dispose();
    }
  }

  /** After a group: events computed past `eventNumber` were not committed. */
  settle(eventNumber: bigint): void {
    for (const n of this.#computed.splice(0)) {
      if (n <= eventNumber) continue;
      for (const d of this.#drivers) d.abandoned?.(n);
    }
  }

  /** Queue the delivery of a committed event's effects (kept here until delivered). */
  committed(eventNumber: bigint, effects: Noun): void {
    if (this.#stopped) return;
    const kept = Noun.from(effects);
    this.#then(() => this.#deliver(eventNumber, kept).finally(() => kept.dispose()));
  }

  /** Whether a driver expects to poke later by itself. */
  get pending(): boolean {
    return this.#drivers.some((d) => d.pending?.() ?? false);
  }

  /** Resolves once no delivery or driver poke is queued or running. */
  async idle(): Promise<void> {
    for (let chain = this.#chain;; chain = this.#chain) {
      await chain;
      if (chain === this.#chain) return;
    }
  }

  /**
   * Refuse new driver pokes, finish the queued deliveries and pokes, then stop the drivers
   * (last first).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#chain;
    for (const d of [...this.#drivers].reverse()) {
      try {
        await d.stop?.();
      } catch (error) {
        this.#options.log(`driver ${d.name}: stopping failed: ${describeError(error)}`);
      }
    }
  }

  #then(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error) =>
      this.#options.log(`drivers: ${describeError(error)}`)
    );
  }

  #context(name: string): DriverContext {
    return {
      poke: (cause, wire) => this.#poke(name, cause, wire),
      event: (eventNumber) => this.#options.event(eventNumber),
      exit: () => this.#options.log(`driver ${name}: an exit is ignored here`),
      log: (line) => this.#options.log(`${name}: ${line}`),
      print: (text) => this.#options.print(text),
    };
  }

  #poke(name: string, cause: NounLike, wire: NounLike): Promise<PokeOutcome> {
    const stopped: PokeOutcome = { ok: false, stopped: true };
    if (this.#stopped || !this.#leading) return Promise.resolve(stopped);
    const { promise, resolve } = Promise.withResolvers<PokeOutcome>();
    const causeNoun = Noun.from(cause);
    const wireNoun = Noun.from(wire);
    this.#then(async () => {
      try {
        if (this.#stopped || !this.#leading) return resolve(stopped);
        this.#origin = { from: name, cause: causeNoun };
        let outcome: CommitOutcome;
        try {
          outcome = this.#options.commit(causeNoun, wireNoun);
        } finally {
          this.#origin = null;
        }
        if (!outcome.ok && outcome.refused) return resolve(stopped);
        if (!outcome.ok) {
          this.#options.log(
            `driver ${name}: the kernel rejected its poke: ${describeError(outcome.error)}`,
          );
          return resolve({ ok: false, stopped: false, error: outcome.error });
        }
        try {
          await this.#deliver(outcome.eventNumber, outcome.effects);
        } finally {
          outcome.effects.dispose();
        }
        resolve({ ok: true, eventNumber: outcome.eventNumber });
      } finally {
        causeNoun.dispose();
        wireNoun.dispose();
      }
    });
    return promise;
  }

  /** Give each effect to the driver of its tag, in order. */
  async #deliver(eventNumber: bigint, effects: Noun): Promise<void> {
    await deliverEffects(this.#drivers, eventNumber, effects, {
      context: (name) => this.#context(name),
      log: this.#options.log,
      unclaimed: this.#unclaimed,
      elsewhere: this.#options.elsewhere,
      unclaimedFate: this.#options.unclaimedFate,
    });
  }
}
