/**
 * Messages between the server's main thread and the writer Worker in cluster mode
 * (`docs/CLUSTER.md`): the leader's writer hands each computed event to the main thread to
 * publish, and (in `sync` mode) waits for the verdict on a shared flag; a follower's main
 * thread hands the writer the events it read from the stream, to apply and check.
 *
 * @module
 */

/** The file `cellar cluster promote` writes in a member's data directory. */
export const promoteFile = "cluster-promote";

/** The file in the data directory where a running member writes its state. */
export const memberFile = "cluster-member.json";

/** How the leader replicates: publish before committing (`sync`) or after (`async`). */
export type ReplicateMode = "sync" | "async";

/** What the writer needs to know in cluster mode (part of its `open` message). */
export interface ClusterWriterConfig {
  replicate: ReplicateMode;
  /**
   * Int32 flags shared with the main thread: `[verdict, ticket, leading]`. For each group
   * the writer sets the verdict to {@linkcode Verdict.Waiting}, posts `publish` with a new
   * ticket and waits; the main thread stores the verdict and notifies. `leading` is 1 while
   * the main thread leads: without it the writer refuses pokes at once (both modes).
   */
  flags: SharedArrayBuffer;
  /** How long the writer waits for a verdict before it refuses the poke. */
  verdictTimeoutMs: number;
}

/** Values of the verdict flag. */
export const Verdict = {
  Waiting: 0,
  /** The stream holds the group's events: commit them. */
  Published: 1,
  /** Not published, or not known to be: refuse the poke. */
  Refused: 2,
  /**
   * Set by the writer when it stopped waiting (a timeout) and refused the group: a verdict
   * that comes later finds it, and the main thread steps down if the stream holds the group.
   */
  Abandoned: 3,
} as const;

/** One event for the stream, or from it. */
export interface WireEvent {
  eventNumber: bigint;
  jam: Uint8Array;
  stateMug: number;
  /** The driver that poked it on the leader (the stream's `Cellar-Driver`); absent: a client. */
  driver?: string;
}

/** Main thread → writer, in cluster mode. */
export type ClusterWriterRequest =
  | {
    /** Apply events read from the stream (a follower), in order. */
    type: "apply";
    events: WireEvent[];
  }
  | {
    /** Report the committed event number and state mug. */
    type: "position";
  }
  | {
    /**
     * This member leads now (`on`), or no longer: its drivers act (arm timers, tick) only
     * while it leads; a follower's keep their durable state from the events it applies.
     */
    type: "lead";
    on: boolean;
  };

/** Writer → main thread, in cluster mode. */
export type ClusterWriterReply =
  | {
    /** A computed group to publish (`sync`); the writer waits for the verdict. */
    type: "publish";
    ticket: number;
    events: WireEvent[];
    /** blake3 of the running kernel. */
    kernel: string;
  }
  | {
    /** Events committed by the leader in `async` mode, to publish now. */
    type: "committed";
    events: WireEvent[];
    kernel: string;
  }
  | {
    /** The outcome of an `apply`: the event reached, or why it stopped. */
    type: "applied";
    eventNumber: bigint;
    mismatch?: string;
    error?: string;
  }
  | {
    type: "position";
    eventNumber: bigint;
    stateMug: number;
    kernel: string;
  };
