/**
 * The writer Worker's part in cluster mode (see `cluster_protocol.ts`): the hooks its
 * runtime is opened with, and the messages only a cluster member sends it.
 *
 * - `sync`: each computed group is posted to the main thread, which publishes its events
 *   back to back; the Worker blocks (`Atomics.wait`) until the verdict on the whole group.
 *   Refused, none of its pokes leaves a trace.
 * - `async`: events are committed first; once a group is durable its events are posted for
 *   publishing.
 * - `apply`: a follower's events are applied with their state mugs checked; their effects
 *   go to the main thread as the leader's do (for `GET /effects`). The drivers keep their
 *   durable state from them (written ahead, then applied once committed) and act on
 *   nothing: the leader's drivers did.
 * - A driver's poke on the leader is published with the driver's name (`Cellar-Driver`), so
 *   that the followers' drivers know it as the leader's do.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import { effectsMessage } from "./effects_stream.ts";
import type { EffectsMessage } from "./effects_stream.ts";
import { replicateGroupBeforeCommit, StateMismatchError } from "../runtime/runtime.ts";
import type { ComputedEvent, PokeOutcome, Runtime } from "../runtime/runtime.ts";
import type { AttachedDrivers } from "../drivers/attached.ts";
import { Verdict } from "./cluster_protocol.ts";
import type {
  ClusterWriterConfig,
  ClusterWriterReply,
  ClusterWriterRequest,
  WireEvent,
} from "./cluster_protocol.ts";

/** A poke the cluster would not take: this member does not lead (or lost the stream). */
export class NotLeaderError extends CellarError {
  constructor(message: string) {
    super(message);
    this.name = "NotLeaderError";
  }
}

function notLeading(event: bigint): NotLeaderError {
  return new NotLeaderError(`This member does not lead now: event ${event} was not accepted`);
}

/** The runtime hooks of a cluster member's writer. */
export interface ClusterHooks {
  onComputed(event: ComputedEvent): void;
  beforeCommit?: (events: readonly ComputedEvent[]) => void;
  onGroup(size: number): void;
}

/**
 * The hooks for `config`; `kernel` gives the running kernel's hash, `send` posts to the main
 * thread, `driver` names the driver whose poke is being computed (null: a client's).
 */
export function clusterHooks(
  config: ClusterWriterConfig,
  kernel: () => string,
  send: (reply: ClusterWriterReply) => void,
  driver: () => string | null = () => null,
): ClusterHooks {
  const flags = new Int32Array(config.flags);
  const wireEvent = (e: { eventNumber: bigint; jam: Uint8Array; stateMug: number }) => {
    const poker = driver();
    return poker === null ? e : { ...e, driver: poker };
  };
  if (config.replicate === "async") {
    let computed: WireEvent[] = [];
    return {
      onComputed: (e) => {
        if (Atomics.load(flags, 2) !== 1) throw notLeading(e.eventNumber);
        computed.push(
          wireEvent({ eventNumber: e.eventNumber, jam: e.eventJam, stateMug: e.stateMug }),
        );
      },
      // A group that failed left its events before this group's: they were recomputed.
      onGroup: (size) => {
        const events = computed.slice(computed.length - size);
        computed = [];
        send({ type: "committed", events, kernel: kernel() });
      },
    };
  }
  let ticket = 0;
  const publish = replicateGroupBeforeCommit((events) => {
    const last = events[events.length - 1].eventNumber;
    if (Atomics.load(flags, 2) !== 1) return notLeading(last);
    ticket++;
    Atomics.store(flags, 0, Verdict.Waiting);
    Atomics.store(flags, 1, ticket);
    // A driver's poke is committed alone: the whole group is that driver's.
    send({ type: "publish", ticket, events: events.map(wireEvent), kernel: kernel() });
    const waited = Atomics.wait(flags, 0, Verdict.Waiting, config.verdictTimeoutMs);
    // Give up on the group, unless its verdict came just now.
    const verdict = Atomics.compareExchange(flags, 0, Verdict.Waiting, Verdict.Abandoned);
    if (verdict === Verdict.Published) return null;
    const range = `${events[0].eventNumber}..${last}`;
    return new NotLeaderError(
      waited === "timed-out"
        ? `Events ${range} were not confirmed by the stream in time; not accepted`
        : `This member no longer leads: events ${range} were not published`,
    );
  });
  return {
    onComputed: (e) => {
      if (Atomics.load(flags, 2) !== 1) throw notLeading(e.eventNumber);
    },
    beforeCommit: publish,
    onGroup: () => {},
  };
}

/**
 * Handle a cluster message (`apply` or `position`); returns the reply. The effects of applied
 * events go to `effects` (for `GET /effects`), then are disposed; `drivers` keep their
 * durable state from them.
 */
export function clusterMessage(
  runtime: Runtime | null,
  request: Exclude<ClusterWriterRequest, { type: "lead" }>,
  effects: (message: EffectsMessage) => void = () => {},
  drivers: AttachedDrivers | null = null,
): ClusterWriterReply {
  if (runtime === null) {
    return { type: "applied", eventNumber: 0n, error: "The runtime is not open" };
  }
  if (request.type === "position") {
    using state = runtime.state();
    return {
      type: "position",
      eventNumber: runtime.eventNumber,
      stateMug: state.mug,
      kernel: runtime.kernelHash,
    };
  }
  let outcomes: PokeOutcome[];
  const from = new Map(request.events.map((e) => [e.eventNumber, e.driver ?? null]));
  const onComputed = drivers === null
    ? undefined
    : (e: ComputedEvent) => drivers.replicatedComputed(e, from.get(e.eventNumber) ?? null);
  try {
    outcomes = runtime.applyLogged(request.events, { onComputed });
  } catch (error) {
    drivers?.settle(runtime.eventNumber);
    const text = error instanceof Error ? error.message : String(error);
    return error instanceof StateMismatchError
      ? { type: "applied", eventNumber: runtime.eventNumber, mismatch: text }
      : { type: "applied", eventNumber: runtime.eventNumber, error: text };
  }
  drivers?.settle(runtime.eventNumber);
  let error: string | undefined;
  for (const [i, o] of outcomes.entries()) {
    if (!o.ok) {
      error ??= o.error instanceof Error ? o.error.message : String(o.error);
      continue;
    }
    drivers?.replicated(o.result.eventNumber);
    const message = appliedEffects(o.result.eventNumber, request.events[i].jam, o.result.effects);
    o.result.effects.dispose();
    if (message !== null) effects(message);
  }
  return { type: "applied", eventNumber: runtime.eventNumber, error };
}

/** An applied event's effects message, with the wire of its logged jam (null when none). */
function appliedEffects(
  eventNumber: bigint,
  jam: Uint8Array,
  effects: Noun,
): EffectsMessage | null {
  try {
    using body = Noun.cue(jam);
    using wire = body.head;
    return effectsMessage(eventNumber, wire, effects);
  } catch {
    return null; // Not reached: an event whose jam does not decode is never applied.
  }
}
