/**
 * The event stream: in cluster mode, the app's log of record is a JetStream stream
 * (`CELLAR_<APP>`, one subject `cellar.<app>.events`, file storage, 3 replicas by default).
 * Each message is one event: its body is the event's logged jam (`[wire eny our now cause]`,
 * so replay is deterministic), and its headers carry
 *
 *   Cellar-Event   the event number, decimal
 *   Cellar-Kernel  blake3 of the kernel jam the event ran under, 64 hex digits
 *   Cellar-Mug     the mug of the state after the event, 8 hex digits
 *   Cellar-Driver  (only on a driver's poke) the driver that poked, such as `timer`: the
 *                  followers keep that driver's durable state as the leader does
 *
 * Events are contiguous: the message after event N holds event N+1, so the stream sequence
 * and the event number differ by a constant. Two rules make that hold with several writers:
 *
 * - Fencing. An {@linkcode EventAppender} publishes with JetStream's expected-last-sequence
 *   condition set to the sequence of the last event it knows. A writer that is behind (a
 *   stale leader) is refused with {@linkcode FencedError} and refuses everything after.
 * - Idempotent retry. Each publish carries a message id made of the event number and the
 *   blake3 of its body, so re-sending an event whose acknowledgement was lost (a
 *   {@linkcode ClusterUnavailableError}) returns the original sequence instead of storing
 *   it twice (within the stream's two-minute duplicate window).
 *
 * @module
 */

import { headers } from "@nats-io/transport-node";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import {
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type {
  ApiError,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  StreamConfig,
  StreamInfo,
} from "@nats-io/jetstream";
import { ArgumentError } from "../core/errors.ts";
import { blake3, hex } from "../runtime/files.ts";
import { clusterNames } from "./connection.ts";
import type { ClusterNames } from "./connection.ts";
import {
  ClusterError,
  ClusterUnavailableError,
  FencedError,
  StreamGapError,
  toClusterError,
} from "./errors.ts";

/** Header names of an event message. */
export const eventHeaders = {
  event: "Cellar-Event",
  kernel: "Cellar-Kernel",
  mug: "Cellar-Mug",
  driver: "Cellar-Driver",
} as const;

/** One event to publish. */
export interface StreamEvent {
  /** The event number (1, 2, ...). */
  event: bigint;
  /** The logged body: the jam of `[wire eny our now cause]`. */
  body: Uint8Array;
  /** blake3 (64 hex digits) of the kernel jam the event ran under. */
  kernel: string;
  /** Mug of the state after the event. */
  mug: number;
  /** The driver that poked it (absent: a client's poke). */
  driver?: string;
}

/** One event as stored in the stream. */
export interface StreamRecord extends StreamEvent {
  /** Its stream sequence. */
  seq: number;
}

/** The stream's last event (`{ seq: 0, event: 0n }` when it holds none). */
export interface StreamTip {
  /** Stream sequence of the last event. */
  seq: number;
  /** Its event number. */
  event: bigint;
}

/** Options of {@linkcode EventStream.open}. */
export interface EventStreamOptions {
  /** Replicas of a stream this call creates (default 3); an existing one must have as many. */
  replicas?: number;
  /** Milliseconds to wait for each JetStream answer, publishes included (default 5000). */
  timeoutMs?: number;
}

/** Options of {@linkcode EventStream.read}. */
export interface ReadOptions {
  /** Stop after this event (inclusive); without it the reader follows the stream. */
  until?: bigint;
}

const kernelPattern = /^[0-9a-f]{64}$/;
const mugPattern = /^[0-9a-f]{8}$/;
const eventPattern = /^[1-9][0-9]*$/;
const driverPattern = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * An app's event stream on a NATS connection.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { EventStream } from "./event_stream.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const stream = await EventStream.open(nc, "kv");
 * const appender = await stream.appender();
 * await appender.append({ event: 1n, body: new Uint8Array([1]), kernel: "00".repeat(32), mug: 7 });
 * await nc.close();
 * ```
 */
export class EventStream {
  /** The app's JetStream names. */
  readonly names: ClusterNames;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #timeoutMs: number;

  private constructor(
    names: ClusterNames,
    nc: NatsConnection,
    jsm: JetStreamManager,
    ms: number,
  ) {
    this.names = names;
    this.#nc = nc;
    this.#js = jetstream(nc, { timeout: ms });
    this.#jsm = jsm;
    this.#timeoutMs = ms;
  }

  /**
   * Open `app`'s stream, creating it when absent; an existing stream must have the same
   * subject, file storage and at least `replicas` replicas, else {@linkcode ClusterError}.
   */
  static async open(
    nc: NatsConnection,
    app: string,
    options: EventStreamOptions = {},
  ): Promise<EventStream> {
    const names = clusterNames(app);
    const replicas = options.replicas ?? 3;
    const timeoutMs = options.timeoutMs ?? 5000;
    try {
      const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      await ensureStream(jsm, names, replicas);
      return new EventStream(names, nc, jsm, timeoutMs);
    } catch (error) {
      throw toClusterError(error, `open the event stream ${names.stream}`);
    }
  }

  /** The stream's last event, read from the stream's leader. */
  async tip(): Promise<StreamTip> {
    let last;
    try {
      last = await this.#jsm.streams.getMessage(this.names.stream, {
        last_by_subj: this.names.subject,
      });
    } catch (error) {
      throw toClusterError(error, `read the last event of ${this.names.stream}`);
    }
    if (last === null) return { seq: 0, event: 0n };
    return { seq: last.seq, event: decodeRecord(last.seq, last.header, last.data).event };
  }

  /**
   * The first event the stream still holds (`0n` when it holds none): events before it were
   * dropped by {@linkcode EventStream.dropBefore}.
   */
  async first(): Promise<bigint> {
    const tip = await this.tip();
    if (tip.seq === 0) return 0n;
    const first = (await this.info()).state.first_seq;
    return tip.event - BigInt(tip.seq - first);
  }

  /**
   * Drop the events before `event` (a JetStream purge up to its sequence): a member that
   * needs one of them must start from a snapshot. Returns how many messages were dropped.
   * A no-op when the stream does not hold `event`.
   */
  async dropBefore(event: bigint): Promise<number> {
    const tip = await this.tip();
    if (event < 1n || event > tip.event) return 0;
    const seq = BigInt(tip.seq) - (tip.event - event);
    if (seq <= 1n) return 0;
    try {
      const r = await this.#jsm.streams.purge(this.names.stream, { seq: Number(seq) });
      return r.purged;
    } catch (error) {
      throw toClusterError(error, `drop the events of ${this.names.stream} before ${event}`);
    }
  }

  /**
   * Event `event` as the stream holds it, or null when the stream does not hold it (beyond
   * its tip, or dropped by retention). Read from the stream's leader.
   */
  async record(event: bigint): Promise<StreamRecord | null> {
    const tip = await this.tip();
    if (event < 1n || event > tip.event) return null;
    const seq = BigInt(tip.seq) - (tip.event - event);
    if (seq < 1n) return null;
    let message;
    try {
      message = await this.#jsm.streams.getMessage(this.names.stream, { seq: Number(seq) });
    } catch (error) {
      throw toClusterError(error, `read event ${event} of ${this.names.stream}`);
    }
    if (message === null) return null;
    const record = decodeRecord(message.seq, message.header, message.data);
    return record.event === event ? record : null;
  }

  /**
   * An appender that publishes after `tip` (default: the stream's tip, read now). Give the
   * tip of the events you have applied, so that a stream that moved on fences you.
   */
  async appender(tip?: StreamTip): Promise<EventAppender> {
    const at = tip ?? await this.tip();
    return new EventAppender(this.names, this.#nc, this.#js, at, this.#timeoutMs);
  }

  /**
   * A reader of the events from `from` on, in order (an ordered consumer, no state kept on
   * the servers). Throws, while iterating, {@linkcode StreamGapError} when the stream no
   * longer holds `from` or an event is missing. Close it when done.
   */
  async read(from: bigint, options: ReadOptions = {}): Promise<EventReader> {
    if (from < 1n) throw new ArgumentError(`Cannot read from event ${from}: events start at 1`);
    const tip = await this.tip();
    // Contiguity: event e is at sequence tip.seq - (tip.event - e), when the stream has any.
    const guess = tip.seq === 0 ? 1n : BigInt(tip.seq) - (tip.event - from);
    const start = guess < 1n ? 1 : Number(guess);
    try {
      const consumer = await this.#js.consumers.get(this.names.stream, {
        filter_subjects: [this.names.subject],
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: start,
      });
      // Short pulls, so that a consumer lost with a NATS node is noticed (and recreated by
      // the client) within seconds.
      const messages = await consumer.consume({ max_messages: 256, expires: 2000 });
      return new EventReader(this.names, messages, from, options.until);
    } catch (error) {
      throw toClusterError(error, `read ${this.names.stream} from event ${from}`);
    }
  }

  /** The stream's configuration and state, as JetStream reports them. */
  async info(): Promise<StreamInfo> {
    try {
      return await this.#jsm.streams.info(this.names.stream);
    } catch (error) {
      throw toClusterError(error, `read the state of ${this.names.stream}`);
    }
  }
}

async function ensureStream(jsm: JetStreamManager, names: ClusterNames, replicas: number) {
  const config: Partial<StreamConfig> & { name: string } = {
    name: names.stream,
    description: `Cellar event log of app ${names.app}`,
    subjects: [names.subject],
    storage: StorageType.File,
    num_replicas: replicas,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    deny_delete: true,
    // Atomic batches: a leader's group of events is stored whole or not at all.
    allow_atomic: true,
  };
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(names.stream);
  } catch (error) {
    const missing = error instanceof JetStreamApiError &&
      error.code === JetStreamApiCodes.StreamNotFound;
    if (!missing) throw error;
    info = await jsm.streams.add(config);
  }
  if (info.config.allow_atomic !== true) {
    info = await jsm.streams.update(names.stream, { ...info.config, allow_atomic: true });
  }
  const c = info.config;
  if (
    c.subjects.length !== 1 || c.subjects[0] !== names.subject ||
    c.storage !== StorageType.File || c.num_replicas < replicas
  ) {
    throw new ClusterError(
      `Stream ${names.stream} exists with another configuration: subjects ${
        c.subjects.join(",")
      }, storage ${c.storage}, replicas ${c.num_replicas} (want ${names.subject}, file, ${replicas})`,
    );
  }
}

/**
 * Publishes events after a known tip, each with the expected-last-sequence condition. Once
 * fenced it stays fenced: every later append throws {@linkcode FencedError} without asking
 * the stream.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { EventStream } from "./event_stream.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const appender = await (await EventStream.open(nc, "kv")).appender();
 * console.log(appender.tip.event);
 * await nc.close();
 * ```
 */
export class EventAppender {
  readonly #names: ClusterNames;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #timeoutMs: number;
  #tip: StreamTip;
  #fenced: FencedError | undefined;

  /** Use {@linkcode EventStream.appender}. */
  constructor(
    names: ClusterNames,
    nc: NatsConnection,
    js: JetStreamClient,
    tip: StreamTip,
    timeoutMs: number,
  ) {
    this.#names = names;
    this.#nc = nc;
    this.#js = js;
    this.#tip = { ...tip };
    this.#timeoutMs = timeoutMs;
  }

  /** The last event this appender knows the stream holds. */
  get tip(): StreamTip {
    return { ...this.#tip };
  }

  /** The error that fenced this appender, if one did. */
  get fenced(): FencedError | undefined {
    return this.#fenced;
  }

  /**
   * Publish `e`, which must be the event after the tip (any number when the stream is
   * empty), and wait for JetStream's acknowledgement (a quorum of replicas has it).
   * Returns the stored record. Throws {@linkcode FencedError} when the stream's last
   * sequence is not the tip's, {@linkcode ClusterUnavailableError} when the outcome is
   * unknown (append the same event again to settle it).
   */
  async append(e: StreamEvent): Promise<StreamRecord> {
    return (await this.appendAll([e]))[0];
  }

  /**
   * Publish `events` (contiguous, the first after the tip) in one round trip, and wait for
   * the stream's acknowledgement. Two or more go as one JetStream **atomic batch**: the
   * stream stores all of them, the first one after the tip (expected last sequence), or none.
   * (Pipelined single publishes would not do: each can only expect a sequence, so event
   * `i` of one writer could land on event `i - 1` of another that raced it.) Returns the
   * stored records. Throws {@linkcode FencedError} when the stream's last sequence is not
   * the tip's (nothing was stored), {@linkcode ClusterUnavailableError} when the outcome is
   * unknown or the batch was refused otherwise (append the events again one by one: re-sends
   * are deduplicated, and each single one builds on an event known to be stored).
   */
  async appendAll(events: readonly StreamEvent[]): Promise<StreamRecord[]> {
    if (this.#fenced) throw this.#fenced;
    events.forEach((e, i) => {
      checkEvent(e);
      const after = i === 0 ? (this.#tip.seq > 0 ? this.#tip.event : e.event - 1n) : null;
      const expected = after === null ? events[i - 1].event + 1n : after + 1n;
      if (e.event !== expected) {
        throw new ArgumentError(
          `Cannot publish event ${e.event}: the stream's last event is ${expected - 1n}`,
        );
      }
    });
    if (events.length === 0) return [];
    const range = events.length === 1
      ? `event ${events[0].event}`
      : `events ${events[0].event}..${events[events.length - 1].event}`;
    let seq: number;
    try {
      seq = events.length === 1 ? await this.#publish(events[0]) : await this.#batch(events);
    } catch (error) {
      const failure = toClusterError(error, `publish ${range}`);
      if (failure instanceof FencedError) this.#fenced = failure;
      // A batch refused for another reason (incomplete, a duplicate) stored nothing.
      if (events.length > 1 && !(failure instanceof FencedError)) {
        throw new ClusterUnavailableError(failure.message, { cause: failure });
      }
      throw failure;
    }
    const first = seq - events.length + 1;
    const stored = events.map((e, i) => this.#stored(e, first + i));
    return stored;
  }

  /** Publish `e` after the tip (expected last sequence); its sequence. */
  async #publish(e: StreamEvent): Promise<number> {
    const ack = await this.#js.publish(this.#names.subject, e.body, {
      headers: eventHeadersOf(e),
      msgID: messageId(e),
      expect: { lastSequence: this.#tip.seq },
      timeout: this.#timeoutMs,
    });
    return ack.seq;
  }

  /**
   * Publish `events` as one atomic batch after the tip: all but the last without waiting,
   * the last with the commit flag, whose answer is the batch's; the last one's sequence.
   */
  async #batch(events: readonly StreamEvent[]): Promise<number> {
    const id = crypto.randomUUID();
    const batchHeaders = (i: number) => {
      const h = eventHeadersOf(events[i]);
      h.set("Nats-Msg-Id", messageId(events[i]));
      h.set("Nats-Batch-Id", id);
      h.set("Nats-Batch-Sequence", String(i + 1));
      if (i === 0) h.set("Nats-Expected-Last-Sequence", String(this.#tip.seq));
      return h;
    };
    const last = events.length - 1;
    for (let i = 0; i < last; i++) {
      this.#nc.publish(this.#names.subject, events[i].body, { headers: batchHeaders(i) });
    }
    const h = batchHeaders(last);
    h.set("Nats-Batch-Commit", "1");
    const reply = await this.#nc.request(this.#names.subject, events[last].body, {
      headers: h,
      timeout: this.#timeoutMs,
    });
    const ack = reply.json<{ seq?: number; count?: number; error?: ApiError }>();
    if (ack.error !== undefined) throw new JetStreamApiError(ack.error);
    if (ack.count !== events.length || typeof ack.seq !== "number") {
      throw new ClusterError(
        `The stream acknowledged a batch of ${ack.count}, not ${events.length}`,
      );
    }
    return ack.seq;
  }

  /** Move the tip to `e`, stored at `seq`; fenced when that is not the next sequence. */
  #stored(e: StreamEvent, seq: number): StreamRecord {
    if (seq !== this.#tip.seq + 1) {
      // A duplicate of an event stored elsewhere in the stream: not ours to build on.
      this.#fenced = new FencedError(
        `Cannot publish event ${e.event}: the stream holds it at sequence ${seq}, ` +
          `not ${this.#tip.seq + 1}`,
      );
      throw this.#fenced;
    }
    this.#tip = { seq, event: e.event };
    return { ...e, seq };
  }
}

/**
 * The events of a stream from one event on, in order, as an async iterable. Iteration ends
 * after `until` when given, or when the reader is closed.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { EventStream } from "./event_stream.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const reader = await (await EventStream.open(nc, "kv")).read(1n, { until: 1n });
 * for await (const record of reader) console.log(record.event, record.mug);
 * await reader.close();
 * await nc.close();
 * ```
 */
export class EventReader implements AsyncIterable<StreamRecord> {
  readonly #names: ClusterNames;
  readonly #messages: ConsumerMessages;
  readonly #until: bigint | undefined;
  #next: bigint;
  #started = false;

  /** Use {@linkcode EventStream.read}. */
  constructor(names: ClusterNames, messages: ConsumerMessages, from: bigint, until?: bigint) {
    this.#names = names;
    this.#messages = messages;
    this.#next = from;
    this.#until = until;
  }

  /** The number of the next event this reader will yield. */
  get next(): bigint {
    return this.#next;
  }

  /** Stop reading: a pending iteration ends. */
  async close(): Promise<void> {
    await this.#messages.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamRecord> {
    if (this.#until !== undefined && this.#next > this.#until) return;
    try {
      for await (const m of this.#messages) {
        const record = decodeRecord(m.seq, m.headers, m.data);
        // The start sequence is computed from the tip; before the first event yielded, skip
        // events older than asked (the stream was empty when the reader started).
        if (!this.#started && record.event < this.#next) continue;
        if (record.event !== this.#next) {
          throw new StreamGapError(
            `Stream ${this.#names.stream} lacks event ${this.#next}: ` +
              `sequence ${record.seq} holds event ${record.event}`,
          );
        }
        this.#started = true;
        this.#next++;
        yield record;
        if (this.#until !== undefined && record.event >= this.#until) return;
      }
    } catch (error) {
      throw toClusterError(error, `read ${this.#names.stream} at event ${this.#next}`);
    } finally {
      this.#messages.stop();
    }
  }
}

function checkEvent(e: StreamEvent): void {
  if (e.event < 1n) throw new ArgumentError(`Invalid event number: ${e.event}`);
  if (!kernelPattern.test(e.kernel)) {
    throw new ArgumentError(`Invalid kernel hash: ${e.kernel} (want 64 lowercase hex digits)`);
  }
  if (!Number.isInteger(e.mug) || e.mug < 0 || e.mug > 0x7fff_ffff) {
    throw new ArgumentError(`Invalid mug: ${e.mug}`);
  }
}

/** The message id of an event: its number and the blake3 of its body (for deduplication). */
function messageId(e: StreamEvent): string {
  return `${e.event}.${hex(blake3(e.body))}`;
}

/** The headers of event `e`'s message. */
function eventHeadersOf(e: StreamEvent): MsgHdrs {
  const h = headers();
  h.set(eventHeaders.event, e.event.toString());
  h.set(eventHeaders.kernel, e.kernel);
  h.set(eventHeaders.mug, mugHex(e.mug));
  if (e.driver !== undefined) h.set(eventHeaders.driver, e.driver);
  return h;
}

function mugHex(mug: number): string {
  return mug.toString(16).padStart(8, "0");
}

/** The record in message `seq`; {@linkcode StreamGapError} when its headers are not an event's. */
export function decodeRecord(
  seq: number,
  h: MsgHdrs | undefined,
  body: Uint8Array,
): StreamRecord {
  const event = h?.get(eventHeaders.event) ?? "";
  const kernel = h?.get(eventHeaders.kernel) ?? "";
  const mug = h?.get(eventHeaders.mug) ?? "";
  if (!eventPattern.test(event) || !kernelPattern.test(kernel) || !mugPattern.test(mug)) {
    throw new StreamGapError(
      `Stream message ${seq} is not an event: headers ${eventHeaders.event}=${event || "?"} ` +
        `${eventHeaders.kernel}=${kernel || "?"} ${eventHeaders.mug}=${mug || "?"}`,
    );
  }
  const record: StreamRecord = { event: BigInt(event), body, kernel, mug: parseInt(mug, 16), seq };
  const driver = h?.get(eventHeaders.driver) ?? "";
  if (driverPattern.test(driver)) record.driver = driver;
  return record;
}
