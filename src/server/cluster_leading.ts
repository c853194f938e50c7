/**
 * The leading half of a cluster member (`cluster_member.ts`): contending for the lease,
 * taking over (catch up to the stream's end, stop following, publish after its tip),
 * publishing the writer's events with fencing, renewing and giving up the lease.
 *
 * @module
 */

import { ClusterUnavailableError, LeaseHeldError } from "../cluster/errors.ts";
import type { Lease, LeaseBucket } from "../cluster/lease.ts";
import type { EventAppender, EventStream } from "../cluster/event_stream.ts";
import { promoteFile } from "./cluster_protocol.ts";
import type { WireEvent } from "./cluster_protocol.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import type { Follower } from "./cluster_follow.ts";

/** The message of an error of unknown type. */
export function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The member as its leadership sees it (`cluster_member.ts`). */
export interface LeadingMember {
  readonly settings: ClusterSettings;
  role: string;
  url: string;
  leader: string | null;
  applied: bigint;
  streamEvent: bigint;
  stream: EventStream | null;
  leases: LeaseBucket | null;
  lease: Lease | null;
  appender: EventAppender | null;
  follower: Follower | null;
  log(line: string): void;
  stepDown(why: string): Promise<void>;
  checkTail(): Promise<boolean>;
  setLeading(on: boolean): void;
  position(): Promise<{ eventNumber: bigint }>;
  verdict(ticket: number, published: boolean): boolean;
}

/** Leadership of one member. */
export class ClusterLeading {
  readonly #m: LeadingMember;
  #chain: Promise<void> = Promise.resolve();
  #publishing: Promise<void> = Promise.resolve();

  constructor(member: LeadingMember) {
    this.#m = member;
  }

  /** Whether this member may take the lease now. */
  #mayLead(): boolean {
    const s = this.#m.settings;
    return !s.follow || s.autoFailover || this.#promoteAsked();
  }

  #promoteAsked(): boolean {
    try {
      return Deno.statSync(`${this.#m.settings.dataDir}/${promoteFile}`).isFile;
    } catch {
      return false;
    }
  }

  /** A follower's tick: learn who leads; take the lease when it may and it is free. */
  async contend(): Promise<void> {
    const m = this.#m;
    if (this.#mayLead()) {
      try {
        const lease = await m.leases!.acquire({
          holder: m.settings.holder,
          url: m.url,
          event: m.applied,
        });
        await this.#takeOver(lease);
        return;
      } catch (error) {
        if (!(error instanceof LeaseHeldError)) throw error;
      }
    }
    const held = await m.leases!.read();
    m.leader = held?.value.url ?? null;
  }

  /** Holding the lease: catch up to the stream's end, stop following, lead. */
  async #takeOver(lease: Lease): Promise<void> {
    const m = this.#m;
    m.role = "candidate";
    m.lease = lease;
    m.log(`took the lease at event ${m.applied}; catching up to the stream's end`);
    let tip = await m.stream!.tip();
    while (m.applied < tip.event || !(m.follower?.idle ?? true)) {
      if (!lease.isValid() || m.role !== "candidate") {
        return await m.stepDown("the lease ran out while catching up");
      }
      if (lease.remainingMs() < m.settings.leaseMs / 2) await lease.renew(m.applied);
      await sleep(20);
      tip = await m.stream!.tip();
    }
    await m.follower?.stop();
    while (!(m.follower?.idle ?? true)) await sleep(5);
    m.follower = null;
    // The writer's own event: an async leader's last commits may not have been published.
    if (!(await m.checkTail())) return;
    m.applied = (await m.position()).eventNumber;
    tip = await m.stream!.tip();
    if (tip.event !== m.applied || m.role !== "candidate") {
      return await m.stepDown(`the stream moved on to event ${tip.event} during the takeover`);
    }
    m.appender = await m.stream!.appender(tip);
    await lease.renew(m.applied);
    m.role = "leader";
    m.setLeading(true);
    m.leader = m.url;
    m.streamEvent = tip.event;
    m.log(`leading at event ${m.applied} (replicate ${m.settings.replicate})`);
    await Deno.remove(`${m.settings.dataDir}/${promoteFile}`).catch(() => {});
  }

  /**
   * Publish a computed group (`sync`) as one atomic batch: the verdict tells the writer to
   * commit or refuse the whole group. Any refusal fences this member. Groups are published
   * one after the other (a late one waits for the one before to be settled).
   */
  publish(ticket: number, events: WireEvent[], kernel: string): Promise<void> {
    const next = this.#publishing.then(() => this.#publishGroup(ticket, events, kernel));
    this.#publishing = next.catch(() => {});
    return next;
  }

  /**
   * One group's publish and verdict. Stepping down is not awaited: it asks the writer for its
   * position, which the writer answers only once the next group's verdict (refused, behind
   * this one) has released it.
   */
  async #publishGroup(ticket: number, events: WireEvent[], kernel: string): Promise<void> {
    const m = this.#m;
    if (m.role !== "leader" || m.appender === null || !m.lease?.isValid()) {
      m.verdict(ticket, false);
      return;
    }
    const range = `${events[0].eventNumber}..${events[events.length - 1].eventNumber}`;
    try {
      await this.#appendAll(events, kernel);
    } catch (error) {
      m.verdict(ticket, false);
      void m.stepDown(`events ${range} were not published: ${text(error)}`);
      return;
    }
    if (!m.lease?.isValid()) {
      m.verdict(ticket, false);
      void m.stepDown(`the lease ran out while events ${range} were published`);
      return;
    }
    const last = events[events.length - 1].eventNumber;
    m.applied = last;
    m.streamEvent = last;
    if (!m.verdict(ticket, true)) {
      // The writer gave up waiting and refused them: its state is behind the stream's.
      void m.stepDown(`the writer stopped waiting for events ${range}, which the stream holds`);
    }
  }

  /**
   * Append `events` pipelined; when an outcome is unknown, settle the events from the first
   * unknown one on one at a time (re-sends are deduplicated).
   */
  async #appendAll(events: WireEvent[], kernel: string): Promise<void> {
    const m = this.#m;
    try {
      await m.appender!.appendAll(events.map((e) => ({
        event: e.eventNumber,
        body: e.jam,
        kernel,
        mug: e.stateMug,
        driver: e.driver,
      })));
      return;
    } catch (error) {
      if (!(error instanceof ClusterUnavailableError) || !m.lease?.isValid()) throw error;
    }
    for (const event of events) {
      if (event.eventNumber > m.appender!.tip.event) await this.#append(event, kernel);
    }
  }

  /** Publish events the writer committed already (`async`), in order. */
  publishCommitted(events: WireEvent[], kernel: string): void {
    this.#chain = this.#chain.then(async () => {
      const m = this.#m;
      for (const event of events) {
        if (m.role !== "leader") {
          // Committed while this member no longer led: a tail the stream lacks.
          if (m.role === "follower") await m.checkTail();
          return;
        }
        try {
          await this.#append(event, kernel);
          m.applied = event.eventNumber;
          m.streamEvent = event.eventNumber;
        } catch (error) {
          // Not awaited: stepping down waits for this chain to end.
          void m.stepDown(`event ${event.eventNumber} was not published: ${text(error)}`);
          return;
        }
      }
    });
  }

  /** Append, retrying an unknown outcome (deduplicated) while the lease is valid. */
  async #append(event: WireEvent, kernel: string): Promise<void> {
    const m = this.#m;
    while (true) {
      try {
        await m.appender!.append({
          event: event.eventNumber,
          body: event.jam,
          kernel,
          mug: event.stateMug,
          driver: event.driver,
        });
        return;
      } catch (error) {
        if (!(error instanceof ClusterUnavailableError) || !m.lease?.isValid()) throw error;
        await sleep(100);
      }
    }
  }

  /** A leader's tick: renew the lease (a lost lease throws `LeaseLostError`). */
  async renew(): Promise<void> {
    const m = this.#m;
    try {
      await m.lease!.renew(m.applied);
    } catch (error) {
      if (!(error instanceof ClusterUnavailableError)) throw error;
      if (!m.lease?.isValid()) await m.stepDown(`the lease could not be renewed: ${text(error)}`);
    }
  }

  /** Give the lease up (after the `async` publishes in progress) so a successor may lead. */
  async resign(): Promise<void> {
    const m = this.#m;
    await this.#chain;
    const lease = m.lease;
    this.drop();
    if (lease?.isValid()) await lease.release().catch(() => {});
  }

  /** Forget the lease and the appender without asking NATS. */
  drop(): void {
    this.#m.lease = null;
    this.#m.appender = null;
  }
}
