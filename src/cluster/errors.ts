/**
 * Errors of cluster mode, and the one place where the NATS client's errors become Cellar's.
 * What a caller must do differs by class: {@linkcode FencedError} (and its
 * {@linkcode LeaseLostError}) means "stop writing now, you are not the leader";
 * {@linkcode ClusterUnavailableError} means "the outcome is unknown, retry or wait";
 * {@linkcode StreamGapError} and {@linkcode SnapshotCorruptError} mean "this copy cannot be
 * trusted, do not serve it".
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";

/**
 * Base class of the cluster layer's errors: a JetStream request that failed for a reason
 * no subclass names (the message carries JetStream's code and description).
 *
 * @example
 * ```ts
 * import { ClusterError } from "./errors.ts";
 * console.assert(new ClusterError("Cannot create stream").name === "ClusterError");
 * ```
 */
export class ClusterError extends CellarError {
  /**
   * @param message What failed
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterError";
  }
}

/**
 * NATS could not be reached or did not answer in time. For a publish the outcome is
 * unknown: the event may be stored. Retrying the same event is safe (the stream
 * deduplicates it), and so is reading the stream's tip.
 *
 * @example
 * ```ts
 * import { ClusterUnavailableError } from "./errors.ts";
 * const error = new ClusterUnavailableError("No answer from NATS");
 * console.assert(error.name === "ClusterUnavailableError");
 * ```
 */
export class ClusterUnavailableError extends ClusterError {
  /**
   * @param message What could not be done
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterUnavailableError";
  }
}

/**
 * A write was refused because another writer got there first: a publish whose expected
 * last sequence is no longer the stream's last, or a lease change whose revision is stale.
 * The writer is no longer the leader and must stop answering writes at once.
 *
 * @example
 * ```ts
 * import { FencedError } from "./errors.ts";
 * console.assert(new FencedError("Publish refused").name === "FencedError");
 * ```
 */
export class FencedError extends ClusterError {
  /**
   * @param message What was refused
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FencedError";
  }
}

/**
 * A lease renewal or release found another revision than the one held: the lease expired
 * and someone else took it. A {@linkcode FencedError}, so one `catch` handles both ways of
 * losing leadership.
 *
 * @example
 * ```ts
 * import { FencedError, LeaseLostError } from "./errors.ts";
 * console.assert(new LeaseLostError("Lease lost") instanceof FencedError);
 * ```
 */
export class LeaseLostError extends FencedError {
  /**
   * @param message Why the lease is lost
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LeaseLostError";
  }
}

/**
 * A lease could not be acquired: another holder has it and it has not expired (or another
 * contender took it at the same moment).
 *
 * @example
 * ```ts
 * import { LeaseHeldError } from "./errors.ts";
 * console.assert(new LeaseHeldError("Lease held by a").name === "LeaseHeldError");
 * ```
 */
export class LeaseHeldError extends ClusterError {
  /**
   * @param message Who holds the lease
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LeaseHeldError";
  }
}

/**
 * The stream cannot give the events asked for in order: an event is missing (retention
 * dropped it, so start from a snapshot), out of order, or a message lacks its headers.
 *
 * @example
 * ```ts
 * import { StreamGapError } from "./errors.ts";
 * console.assert(new StreamGapError("Event 5 is missing").name === "StreamGapError");
 * ```
 */
export class StreamGapError extends ClusterError {
  /**
   * @param message Which event and what came instead
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StreamGapError";
  }
}

/**
 * A snapshot downloaded from the object store does not match its recorded size or
 * blake3, or the store's own digest check failed. The snapshot must not be used.
 *
 * @example
 * ```ts
 * import { SnapshotCorruptError } from "./errors.ts";
 * const error = new SnapshotCorruptError("Snapshot 7 is corrupt: blake3 mismatch");
 * console.assert(error.name === "SnapshotCorruptError");
 * ```
 */
export class SnapshotCorruptError extends ClusterError {
  /**
   * @param message Which snapshot and what differs
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SnapshotCorruptError";
  }
}

/**
 * "No suitable peers for placement": a replicated stream or bucket cannot be created while
 * fewer of its servers are online than it has replicas (a node restarting, or one the meta
 * leader has not heard from lately). It passes, so it counts as NATS being unavailable.
 */
const noPlacementCode = 10005;

const fencedCodes: readonly number[] = [
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
];

/** True when `error` says NATS could not be reached or did not answer in time. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof natsErrors.TimeoutError ||
    error instanceof natsErrors.ConnectionError ||
    error instanceof natsErrors.ClosedConnectionError ||
    error instanceof natsErrors.NoRespondersError ||
    error instanceof natsErrors.RequestError ||
    // No responders to a JetStream request: not exported by the client, known by its name.
    (error instanceof Error && error.name === "JetStreamNotEnabled");
}

/**
 * The Cellar error for a failure of the NATS client while `doing` something (a phrase such
 * as "publish event 7"): {@linkcode FencedError} for a wrong last sequence,
 * {@linkcode ClusterUnavailableError} for no connection, a timeout, no responders or too few
 * servers online to place replicas,
 * else {@linkcode ClusterError}. A {@linkcode CellarError} is returned unchanged.
 *
 * @example
 * ```ts
 * import { ClusterUnavailableError, toClusterError } from "./errors.ts";
 * import { errors } from "@nats-io/transport-node";
 * const error = toClusterError(new errors.TimeoutError(), "publish event 7");
 * console.assert(error instanceof ClusterUnavailableError);
 * ```
 */
export function toClusterError(error: unknown, doing: string): CellarError {
  if (error instanceof CellarError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof JetStreamApiError) {
    if (fencedCodes.includes(error.code)) {
      return new FencedError(`Cannot ${doing}: another writer appended first (${detail})`, {
        cause: error,
      });
    }
    if (error.code === noPlacementCode) {
      return new ClusterUnavailableError(
        `Cannot ${doing}: too few JetStream servers are online to place its replicas (${detail})`,
        { cause: error },
      );
    }
    return new ClusterError(`Cannot ${doing}: JetStream error ${error.code}: ${detail}`, {
      cause: error,
    });
  }
  if (isUnavailable(error)) {
    // The client says "jetstream is not enabled" for a request nobody answered: while a
    // stream has no leader (an election after a node loss) that is the usual cause.
    const why = error instanceof Error && error.name === "JetStreamNotEnabled"
      ? "no JetStream server answered (the stream may have no leader yet)"
      : detail;
    return new ClusterUnavailableError(`Cannot ${doing}: NATS is unavailable: ${why}`, {
      cause: error,
    });
  }
  return new ClusterError(`Cannot ${doing}: ${detail}`, { cause: error });
}
