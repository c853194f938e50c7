/**
 * The `timer` driver: NockApp's interval timer, and wake-ups a kernel asks for.
 *
 * - Interval: every `interval.seconds`, poke `interval.cause` (default `[%timer ~]`) on
 *   `[%timer 1 ~]`, as NockApp's timer driver does.
 * - `[%timer %wait when=@da]` asks for a wake-up at `when`; `[%timer %rest when=@da]`
 *   cancels it. When it is due, the driver pokes `[%timer %wake when]` on
 *   `[%timer 1 %wake ~]`. One wake-up per time: a second wait for the same `when` is the
 *   same request.
 *
 * Pending wake-ups are a function of committed events, kept in {@linkcode TimerStore}: an
 * event's requests are written ahead (before the event is logged, with the event's hash)
 * and applied once it is committed; a wake's event is written ahead too. At start, records
 * whose event is in the log are applied, the others dropped, and a wake whose event is in
 * the log counts as delivered. So a restart loses no wake-up and fires none twice, and
 * wake-ups that fell due while the host was down fire at once. Requests made by events
 * poked without this driver (`cellar poke`, the server) are not seen.
 *
 * In cluster mode the driver fires and ticks on the leader only (`lead`). A follower keeps
 * the same store from the events it applies, with the same write-ahead: an event's requests
 * before it is logged, applied once it is (`replicated`), and a wake the leader's timer
 * driver poked (the stream's `Cellar-Driver: timer`) counts as delivered. So a follower
 * promoted after the leader died fires the pending wake-ups the old leader would have
 * fired, and none that the stream shows fired.
 *
 * @module
 */

import type { Noun, NounLike } from "../core/noun.ts";
import { blake3, hex } from "../runtime/files.ts";
import type { ComputedEvent } from "../runtime/types.ts";
import { driverWire, effectTag, listItems } from "./driver.ts";
import type { DeliveredEffect, Driver, DriverContext, PokeOrigin } from "./driver.ts";
import { TimerStore } from "./timer_store.ts";
import type { TimerOp } from "./timer_store.ts";

/** Urbit's `@da` of the Unix epoch. */
const daUnixEpoch = 0x8000000cce9e0d80n << 64n;
/** setTimeout's longest delay; later wake-ups are re-armed. */
const delayMaxMs = 2 ** 31 - 1;
/** The wire of wakes. */
const wakeWire = driverWire("timer", "wake");

/**
 * Unix milliseconds of an `@da`, rounded up (a wake-up is never early; before 1970 is
 * negative). The inverse of `toDa` on whole milliseconds.
 *
 * @example
 * ```ts
 * import { toDa } from "../runtime/kernel.ts";
 * import { daToUnixMs } from "./timer.ts";
 * console.log(daToUnixMs(toDa(1_700_000_000_000))); // 1700000000000
 * ```
 */
export function daToUnixMs(da: bigint): number {
  const scaled = (da - daUnixEpoch) * 1000n;
  const second = 1n << 64n;
  // bigint division truncates toward zero: that is the ceiling for a negative quotient.
  return Number(scaled > 0n ? (scaled + second - 1n) / second : scaled / second);
}

/** Options of {@linkcode timerDriver}. */
export interface TimerDriverOptions {
  /** The store's file (`timers.sqlite` in the data directory); absent: in memory. */
  storePath?: string;
  /** Poke `cause` every `seconds`. */
  interval?: { seconds: number; cause?: NounLike };
}

/** The timer driver, with its store; `pending()` says whether a wake-up or interval is set. */
export function timerDriver(options: TimerDriverOptions = {}): Driver {
  return new TimerDriver(options);
}

/** The timer driver. */
class TimerDriver implements Driver {
  readonly name = "timer";
  readonly tags = ["timer"];
  readonly #storePath: string;
  #opened: TimerStore | null = null;
  readonly #interval: TimerDriverOptions["interval"];
  #context: DriverContext | null = null;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  /** Wakes queued and not yet committed (so one is never queued twice). */
  #inFlight = new Set<bigint>();
  /** Wakes whose event was computed (written ahead), until their poke settles. */
  #sent = new Set<bigint>();
  #stopped = false;
  /** Whether it may fire and tick (false on a cluster follower). */
  #leading = true;

  constructor(options: TimerDriverOptions) {
    this.#storePath = options.storePath ?? ":memory:";
    this.#interval = options.interval;
  }

  /** The store, opened at start (the data directory may not exist before). */
  get #store(): TimerStore {
    if (this.#opened === null) throw new Error("The timer driver is not started");
    return this.#opened;
  }

  start(context: DriverContext): void {
    this.#opened = TimerStore.open(this.#storePath);
    this.#context = context;
    this.#recover(context);
    this.#tick();
    this.#schedule();
  }

  /** Start the interval, when there is one and it is not running. */
  #tick(): void {
    const context = this.#context;
    if (this.#interval === undefined || context === null || this.#ticker !== undefined) return;
    if (!this.#leading || this.#stopped) return;
    const cause = this.#interval.cause ?? ["timer", 0];
    this.#ticker = setInterval(() => {
      void context.poke(cause, driverWire("timer"));
    }, this.#interval.seconds * 1000);
  }

  lead(on: boolean): void {
    this.#leading = on;
    if (on) {
      this.#tick();
      this.#schedule();
      return;
    }
    clearTimeout(this.#timeout);
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  replicated(eventNumber: bigint): void {
    this.#store.apply(eventNumber);
    this.#store.deliveredBy(eventNumber);
  }

  /** Settle what a crash or stop left: apply committed records, drop the others. */
  #recover(context: DriverContext): void {
    for (const p of this.#store.pending()) {
      if (p.firing === null) continue;
      const row = context.event(p.firing);
      if (row !== null && hex(row.hash) === hex(p.firingHash!)) {
        this.#store.delivered(p.at, p.firing);
      } else this.#store.unfire(p.at);
    }
    for (const intent of this.#store.intents()) {
      const row = context.event(intent.num);
      if (row !== null && hex(row.hash) === hex(intent.hash)) this.#store.apply(intent.num);
      else this.#store.drop(intent.num);
    }
  }

  beforeCommit(event: ComputedEvent, origin: PokeOrigin): void {
    const ops = timerOps(event.effects);
    const firing = origin.from === this.name ? wakeTime(origin.cause) : null;
    // Its own wake in flight (a follower's applied wakes are the leader's).
    if (firing !== null && this.#inFlight.has(firing)) this.#sent.add(firing);
    if (ops.length === 0 && firing === null) return;
    this.#store.writeAhead(event.eventNumber, blake3(event.eventJam), ops, firing);
  }

  abandoned(eventNumber: bigint): void {
    this.#store.abandon(eventNumber);
  }

  handle(effect: DeliveredEffect): void {
    // The event's records were written ahead as a whole: apply them at its first timer effect.
    if (this.#store.apply(effect.eventNumber)) this.#schedule();
  }

  pending(): boolean {
    return !this.#stopped && this.#opened !== null &&
      (this.#interval !== undefined || this.#inFlight.size > 0 || this.#store.pending().length > 0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timeout);
    clearInterval(this.#ticker);
    this.#opened?.close();
  }

  /** Arm the next wake-up (or fire the due ones now). */
  #schedule(): void {
    if (this.#stopped || !this.#leading || this.#context === null) return;
    clearTimeout(this.#timeout);
    const waiting = this.#store.pending().filter((p) => !this.#inFlight.has(p.at));
    if (waiting.length === 0) return;
    const delay = daToUnixMs(waiting[0].at) - Date.now();
    this.#timeout = setTimeout(() => this.#fireDue(), Math.min(Math.max(delay, 0), delayMaxMs));
  }

  /** Poke the wake of every due time, earliest first. */
  #fireDue(): void {
    if (this.#stopped || !this.#leading || this.#context === null) return;
    const now = Date.now();
    for (const p of this.#store.pending()) {
      if (daToUnixMs(p.at) > now || this.#inFlight.has(p.at)) continue;
      this.#inFlight.add(p.at);
      void this.#wake(this.#context, p.at);
    }
    this.#schedule();
  }

  async #wake(context: DriverContext, at: bigint): Promise<void> {
    const outcome = await context.poke(["timer", "wake", at], wakeWire);
    const done = outcome.ok;
    // Not sent, or refused by a cluster member that no longer leads: still pending.
    const sent = this.#sent.delete(at) && (outcome.ok || !outcome.stopped);
    this.#inFlight.delete(at);
    if (this.#stopped) return;
    const firing = this.#store.pending().find((p) => p.at === at)?.firing ?? null;
    // Committed: delivered (unless its own event asked for the same time again). Computed
    // but rejected by the kernel: dropped rather than retried for ever. Never sent (the
    // host stopped first): still pending.
    if (done && firing !== null) this.#store.delivered(at, firing);
    else if (!done && sent) this.#store.remove(at);
    this.#schedule();
  }
}

/** The `[%timer %wait|%rest @da]` requests among an effects list, in order. */
function timerOps(effects: Noun): TimerOp[] {
  const ops: TimerOp[] = [];
  const items = listItems(effects);
  try {
    for (const effect of items) {
      if (effectTag(effect) !== "timer") continue;
      using body = effect.tail;
      if (!body.isCell) continue;
      using op = body.head;
      using at = body.tail;
      const name = op.isCell ? null : op.toCord();
      if ((name === "wait" || name === "rest") && !at.isCell) {
        ops.push({ op: name, at: at.toBigInt() });
      }
    }
  } finally {
    for (const item of items) item.dispose();
  }
  return ops;
}

/** The time of a `[%timer %wake at]` cause, or null. */
function wakeTime(cause: Noun): bigint | null {
  if (effectTag(cause) !== "timer") return null;
  using body = cause.tail;
  if (!body.isCell) return null;
  using op = body.head;
  using at = body.tail;
  if (op.isCell || at.isCell || op.toCord() !== "wake") return null;
  return at.toBigInt();
}
