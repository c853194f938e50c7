/**
 * The runtime's two hooks for replication (cluster mode, `docs/CLUSTER.md`).
 *
 * - **Compute, publish, then commit** (the leader). A group of pokes is computed on the
 *   committed state; `beforeCommit` (see `RuntimeOptions`) receives its events before the
 *   group is logged, each with its logged jam and the mug of the state it leads to.
 *   {@linkcode replicateGroupBeforeCommit} makes that hook hand the whole group to a
 *   publisher (which publishes its events back to back and waits for their acks together)
 *   and wait for its verdict: when the publisher refuses (the stream fenced this leader, or
 *   did not answer), the hook throws, and every poke of the group is refused without a trace
 *   in the log or the PMA. So a leader only ever commits, and answers, what the stream of
 *   record already holds. {@linkcode replicateBeforeCommit} does the same one event at a
 *   time, as `onComputed`.
 * - **Apply logged events** (a follower). {@linkcode applyLoggedEvents} runs events that
 *   another member computed, with their own entropy and time (so the result is
 *   deterministic), and checks after each that the state's mug is the one the leader
 *   recorded. A mismatch commits nothing of that event and throws
 *   {@linkcode StateMismatchError}: a follower must stop rather than serve a divergent state.
 *
 * @module
 */

import { ArgumentError, CellarError, NockError } from "../core/errors.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { EventLog } from "./event_log.ts";
import type { Computed, GroupCommitter } from "./group_commit.ts";
import { pokeKernel } from "./kernel.ts";
import { errorText } from "./runtime_error.ts";
import type { KernelState } from "./state.ts";
import type { ComputedEvent, PokeOutcome } from "./types.ts";
import { wireLabel } from "./wire.ts";

/** One event as another member logged it. */
export interface LoggedInput {
  /** Its number: the event after the runtime's last. */
  eventNumber: bigint;
  /** The logged jam, `[wire eny our now cause]`. */
  jam: Uint8Array;
  /** Mug of the state after it, as the member that computed it recorded. */
  stateMug: number;
}

/** An event computed by the leader, as handed to its publisher. */
export interface ReplicatedEvent {
  eventNumber: bigint;
  /** The logged jam. */
  jam: Uint8Array;
  /** Mug of the state after the event. */
  stateMug: number;
}

/**
 * A logged event led to another state than the one its author recorded: the kernel, a jet
 * or this copy of the state differs. Nothing of the event was committed.
 *
 * @example
 * ```ts
 * import { StateMismatchError } from "./replicated.ts";
 * const error = new StateMismatchError(5n, 0x1234, 0x5678);
 * console.log(error.message.includes("event 5")); // true
 * ```
 */
export class StateMismatchError extends CellarError {
  /** The event that diverged. */
  readonly eventNumber: bigint;
  /** The mug its author recorded. */
  readonly expected: number;
  /** The mug this runtime reached. */
  readonly actual: number;

  constructor(eventNumber: bigint, expected: number, actual: number) {
    super(
      `State mismatch at event ${eventNumber}: the leader's state mug is ${hex32(expected)}, ` +
        `this member reached ${hex32(actual)}; it stops instead of serving a divergent state`,
    );
    this.name = "StateMismatchError";
    this.eventNumber = eventNumber;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * An `onComputed` hook that hands each computed event to `publish` and lets it join its
 * group only when `publish` returns null; otherwise it throws what `publish` returned, and
 * the poke is refused with that error, leaving no trace.
 *
 * @example
 * ```ts
 * import { Runtime } from "./runtime.ts";
 * import { replicateBeforeCommit } from "./replicated.ts";
 * const published: bigint[] = [];
 * const onComputed = replicateBeforeCommit((e) => (published.push(e.eventNumber), null));
 * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync(), onComputed });
 * ```
 */
export function replicateBeforeCommit(
  publish: (event: ReplicatedEvent) => Error | null,
): (event: ComputedEvent) => void {
  return (e) => {
    const refused = publish({ eventNumber: e.eventNumber, jam: e.eventJam, stateMug: e.stateMug });
    if (refused !== null) throw refused;
  };
}

/**
 * A `beforeCommit` hook that hands each computed group to `publish` and lets it be committed
 * only when `publish` returns null; otherwise it throws what `publish` returned, and every
 * poke of the group is refused with that error, leaving no trace.
 *
 * @example
 * ```ts
 * import { Runtime } from "./runtime.ts";
 * import { replicateGroupBeforeCommit } from "./replicated.ts";
 * const groups: number[] = [];
 * const beforeCommit = replicateGroupBeforeCommit((events) => (groups.push(events.length), null));
 * using runtime = Runtime.open({ dataDir: Deno.makeTempDirSync(), beforeCommit });
 * ```
 */
export function replicateGroupBeforeCommit(
  publish: (events: ReplicatedEvent[]) => Error | null,
): (events: readonly ComputedEvent[]) => void {
  return (events) => {
    const refused = publish(
      events.map((e) => ({ eventNumber: e.eventNumber, jam: e.eventJam, stateMug: e.stateMug })),
    );
    if (refused !== null) throw refused;
  };
}

/** A logged event ran once already: no compute limit on it (as in a replay). */
const unlimited: NockOptions = { stepLimit: 0, timeoutMs: 0 };

/**
 * Run `events` (which must follow the state's event, in order) on the committed state, check
 * each one's state mug, and commit the ones that matched as one group. Returns their
 * outcomes (the caller owns each result's effects). Throws {@linkcode StateMismatchError}
 * after committing the events before a mismatch, a `CellarError` for an event that crashed.
 * `onComputed` sees each matching event before it is logged; what it throws is thrown after
 * committing the events before that one, as a mismatch is.
 */
export function applyLoggedEvents(
  state: KernelState,
  committer: GroupCommitter,
  events: readonly LoggedInput[],
  onComputed?: (event: ComputedEvent) => void,
): PokeOutcome[] {
  const base = state.core;
  let core = base;
  let num = state.event;
  const done: Computed[] = [];
  let failure: Error | null = null;
  try {
    for (const e of events) {
      if (e.eventNumber !== num + 1n) {
        throw new ArgumentError(`Cannot apply event ${e.eventNumber}: the state is at ${num}`);
      }
      const next = computeLogged(core, e);
      if (next.core.mug !== e.stateMug) {
        failure = new StateMismatchError(e.eventNumber, e.stateMug, next.core.mug);
        next.core.dispose();
        next.effects.dispose();
        break;
      }
      failure = announce(onComputed, e, next);
      if (failure !== null) break;
      if (core !== base) core.dispose();
      core = next.core;
      num = e.eventNumber;
      done.push({ ...next, index: done.length });
    }
    const outcomes = done.length > 0 ? committer.commitComputed(core, done) : [];
    if (failure !== null) {
      for (const o of outcomes) if (o.ok) o.result.effects.dispose();
      throw failure;
    }
    return outcomes;
  } finally {
    if (core !== base) core.dispose();
  }
}

/** Tell `onComputed` about `next`; what it threw (with `next` disposed), or null. */
function announce(
  onComputed: ((event: ComputedEvent) => void) | undefined,
  e: LoggedInput,
  next: { core: Noun; effects: Noun },
): Error | null {
  try {
    onComputed?.({
      eventNumber: e.eventNumber,
      eventJam: e.jam,
      effects: next.effects,
      stateMug: e.stateMug,
    });
    return null;
  } catch (error) {
    next.core.dispose();
    next.effects.dispose();
    return error instanceof Error ? error : new CellarError(String(error));
  }
}

/** Poke logged event `e` into `core`; its row, effects and product state. */
function computeLogged(core: Noun, e: LoggedInput): Omit<Computed, "index"> & { core: Noun } {
  const started = performance.now();
  using body = Noun.cue(e.jam);
  using wire = body.head;
  using sample = Noun.cell(e.eventNumber, body);
  let product;
  try {
    product = pokeKernel(core, sample, unlimited);
  } catch (cause) {
    if (cause instanceof NockError) cause.traceNoun?.dispose();
    throw new CellarError(
      `Event ${e.eventNumber} from the leader crashed here: ${errorText(cause)}`,
      { cause },
    );
  }
  const computeMs = performance.now() - started;
  const row = EventLog.row(e.eventNumber, e.jam, wireLabel(wire), computeMs, product.core.mug);
  return { row, effects: product.effects, core: product.core, computeMs };
}

function hex32(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}
