/**
 * The driver interface: how Cellar carries out a kernel's effects, following NockApp's
 * driver conventions so that kernels written for NockApp run unchanged.
 *
 * An effect is a cell whose head is a tag (`[%file %write path contents]`, `[%exit 0]`).
 * A driver claims tags; the {@linkcode DriverHost} gives it, in order, each effect with a
 * claimed tag of each committed event, only after the event is durable, and waits for it
 * to finish before giving the next one (so a file written before `[%exit 0]` is on disk when
 * the host exits). A driver may poke the kernel back, on a wire of its own, such as
 * `[%file 1 %read ~]` (`[source version tags… ~]`, NockApp's wire shape).
 *
 * A driver whose effects must survive a crash writes them ahead in `beforeCommit`, which
 * runs once the event is computed and before it is logged (the timer driver does).
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import type { LoggedEvent } from "../runtime/event_log.ts";
import type { ComputedEvent } from "../runtime/types.ts";

/** One effect of a committed event, as a driver gets it. */
export interface DeliveredEffect {
  /** The event that produced it. */
  eventNumber: bigint;
  /** Its position in the event's effects list (0 first). */
  index: number;
  /** The effect's tag (its head as text). */
  tag: string;
  /** The effect (valid during the call; `Noun.from` it to keep it). */
  effect: Noun;
}

/** Who asked for a poke being committed, and what it is (valid during the call). */
export interface PokeOrigin {
  /** The driver that poked, or null for the host's caller. */
  from: string | null;
  cause: Noun;
}

/** How a driver's poke ended. */
export type PokeOutcome =
  | { ok: true; eventNumber: bigint }
  | { ok: false; stopped: true }
  | { ok: false; stopped: false; error: unknown };

/** What a driver may do. */
export interface DriverContext {
  /**
   * Queue a poke of `cause` on `wire` (NounLike values are converted). It runs after the
   * current event's effects are delivered, so a driver must not wait for it while handling
   * an effect (that would never end). Resolves once the poke's effects were carried out,
   * or with why it was not committed (the kernel rejected it: reported through `log` too;
   * or the host stopped before sending it); it never rejects.
   */
  poke(cause: NounLike, wire: NounLike): Promise<PokeOutcome>;
  /** A committed event of the log, or null (to check records written ahead). */
  event(eventNumber: bigint): LoggedEvent | null;
  /** End the host with this exit code (after the effect being handled). */
  exit(code: number): void;
  /** Report a line (to stderr, or the host's log). */
  log(line: string): void;
  /** Print a line of the kernel's output (to stdout). */
  print(text: string): void;
}

/**
 * A driver. Every method may be asynchronous; the host awaits each call before the next
 * effect, so a driver sees its effects one at a time and in order.
 */
export interface Driver {
  /** Its name in messages. */
  readonly name: string;
  /** The effect tags it takes. */
  readonly tags: readonly string[];
  /** Called once when the host starts, before any effect; may poke (e.g. late timers). */
  start?(context: DriverContext): void | Promise<void>;
  /** Carry out one effect of a committed event. */
  handle(effect: DeliveredEffect, context: DriverContext): void | Promise<void>;
  /**
   * Called synchronously once an event is computed, before it is logged: write ahead what
   * must survive a crash. Throwing rejects the event.
   */
  beforeCommit?(event: ComputedEvent, origin: PokeOrigin): void;
  /** Called once the poke of `eventNumber` failed after `beforeCommit` (nothing was logged). */
  abandoned?(eventNumber: bigint): void;
  /** Whether it expects to poke later by itself (a pending timer, an interval). */
  pending?(): boolean;
  /**
   * Cluster mode: whether this member leads. A driver acts on its own (arms timers, ticks)
   * only while it leads; drivers of a cluster member start not leading.
   */
  lead?(on: boolean): void;
  /**
   * Cluster mode, a follower: event `eventNumber`, applied from the stream of record (its
   * `beforeCommit` ran), is committed. Update the durable state a successor leader needs
   * (the timer table); act on nothing outside (the leader did).
   */
  replicated?(eventNumber: bigint): void;
  /** Release what it holds (timers, files); called once. */
  stop?(): void | Promise<void>;
}

/**
 * The tag of an effect (its head, when that is an atom of text), or null.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { effectTag } from "./driver.ts";
 * using effect = Noun.from(["exit", 0]);
 * console.log(effectTag(effect)); // exit
 * ```
 */
export function effectTag(effect: Noun): string | null {
  if (!effect.isCell) return null;
  using head = effect.head;
  if (!head.isCell && head.toBigInt() !== 0n) {
    const bytes = head.toBytes();
    if (bytes.length <= 64) {
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * The items of a list noun, each a new noun the caller owns; an improper end is ignored.
 * Stops after `max` items.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { listItems } from "./driver.ts";
 * using list = Noun.list([1, 2]);
 * console.log(listItems(list).map((n) => n.toNumber())); // [ 1, 2 ]
 * ```
 */
export function listItems(list: Noun, max = Number.MAX_SAFE_INTEGER): Noun[] {
  const items: Noun[] = [];
  let rest = Noun.from(list);
  try {
    while (rest.isCell && items.length < max) {
      items.push(rest.head);
      const next = rest.tail;
      rest.dispose();
      rest = next;
    }
  } finally {
    rest.dispose();
  }
  return items;
}

/**
 * A NockApp driver wire: `[source version tag… ~]`, e.g. `[%file 1 %read ~]`.
 *
 * @example
 * ```ts
 * import { driverWire } from "./driver.ts";
 * console.log(driverWire("file", "read")); // [ "file", 1, "read", 0 ]
 * ```
 */
export function driverWire(source: string, ...tags: (string | number)[]): NounLike[] {
  return [source, 1, ...tags, 0];
}
