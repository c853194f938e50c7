/**
 * A follower's intake: it reads the app's stream from the member's next event, queues what
 * arrives, and hands the writer one batch at a time to apply (with its state mugs checked,
 * `cluster_writer.ts`). A read that fails (a NATS node lost, a consumer gone) is started
 * again from the next event not yet queued.
 *
 * @module
 */

import { StreamGapError } from "../cluster/errors.ts";
import type { EventReader, EventStream, StreamRecord } from "../cluster/event_stream.ts";
import type { WireEvent } from "./cluster_protocol.ts";

/** At most this many events go to the writer in one `apply`. */
const batchMax = 256;
/** Pause before a failed read is started again. */
const rereadMs = 500;

/** What the follower asks of its member. */
export interface FollowSink {
  /** Send a batch to the writer; the member calls {@linkcode Follower.applied} with the reply. */
  apply(events: WireEvent[]): void;
  /** A read failed (logged once per distinct message). */
  readFailed(message: string): void;
  /** The stream lacks the next event (dropped behind the snapshots, or a hole). */
  gap?(): void;
}

/** Reads the stream after the applied event and feeds the writer. */
export class Follower {
  readonly #stream: EventStream;
  readonly #sink: FollowSink;
  #queue: { record: StreamRecord; at: number }[] = [];
  #inFlight: { last: bigint; at: number } | null = null;
  #next: bigint;
  #reader: EventReader | null = null;
  #stopped = false;
  #lastError = "";
  /** When the reader last yielded an event, or was started. */
  #heardAt = performance.now();
  /** The highest event number seen in the stream. */
  seen = 0n;

  constructor(stream: EventStream, from: bigint, sink: FollowSink) {
    this.#stream = stream;
    this.#next = from;
    this.#sink = sink;
    void this.#loop();
  }

  /** Whether nothing is queued or being applied. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#inFlight === null;
  }

  /** Milliseconds since the oldest event not yet applied arrived (0 when none waits). */
  lagMs(now = performance.now()): number {
    const oldest = this.#inFlight?.at ?? this.#queue[0]?.at;
    return oldest === undefined ? 0 : Math.round(now - oldest);
  }

  /** The writer applied the batch in flight; send the next one. */
  applied(): void {
    this.#inFlight = null;
    this.#pump();
  }

  /**
   * The stream holds `tip`: if this reader is idle, behind it, and has heard nothing for
   * `quietMs`, its consumer was lost without an error (a NATS node died): read again.
   */
  nudge(tip: bigint, quietMs = 2000): void {
    if (this.#stopped || tip < this.#next || !this.idle) return;
    if (performance.now() - this.#heardAt < quietMs) return;
    this.#sink.readFailed(`no event after ${this.#next - 1n} for ${quietMs} ms; reading again`);
    this.#heardAt = performance.now();
    void this.#reader?.close().catch(() => {});
  }

  /** Stop reading; the batch in flight still completes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue = [];
    await this.#reader?.close().catch(() => {});
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        this.#reader = await this.#stream.read(this.#next);
        this.#heardAt = performance.now();
        if (this.#stopped) break;
        for await (const record of this.#reader) {
          if (this.#stopped) break;
          this.#heardAt = performance.now();
          this.#queue.push({ record, at: this.#heardAt });
          this.#next = record.event + 1n;
          if (record.event > this.seen) this.seen = record.event;
          this.#pump();
        }
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        if (error instanceof StreamGapError) this.#sink.gap?.();
        if (text !== this.#lastError) this.#sink.readFailed(text);
        this.#lastError = text;
      } finally {
        await this.#reader?.close().catch(() => {});
        this.#reader = null;
      }
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, rereadMs));
    }
  }

  #pump(): void {
    if (this.#inFlight !== null || this.#queue.length === 0 || this.#stopped) return;
    const batch = this.#queue.splice(0, batchMax);
    this.#inFlight = { last: batch[batch.length - 1].record.event, at: batch[0].at };
    this.#sink.apply(
      batch.map(({ record }) => ({
        eventNumber: record.event,
        jam: record.body,
        stateMug: record.mug,
        driver: record.driver,
      })),
    );
  }
}
