/**
 * A cluster member on the server's main thread (`docs/CLUSTER.md`). Every member starts as
 * a follower: it reads the app's stream from its own next event and has the writer apply
 * each event with its state mug checked. A member that may lead (not `--follow`, or with
 * `--auto-failover`, or asked by `cellar cluster promote`) contends for the lease; once it
 * holds it, it catches up to the stream's end, stops reading and leads: the writer's
 * computed events are published with the expected-last-sequence condition and committed
 * only after the stream's acknowledgement (`sync`), or published after the commit (`async`).
 *
 * A leader whose publish is refused, whose lease renewal fails or whose lease runs out stops
 * accepting pokes at once and rejoins as a follower. If its log holds events the stream does
 * not (possible in `async` mode only, or for a data directory changed behind the cluster's
 * back), it raises an alarm, serves nothing and stops the server, which then moves the
 * local state aside into `quarantine/` (`cluster_server.ts`); the next start follows the
 * stream from the beginning.
 *
 * @module
 */

import { connectCluster } from "../cluster/connection.ts";
import type { NatsConnection } from "../cluster/connection.ts";
import { ClusterUnavailableError, FencedError } from "../cluster/errors.ts";
import { EventStream } from "../cluster/event_stream.ts";
import type { EventAppender } from "../cluster/event_stream.ts";
import { LeaseBucket } from "../cluster/lease.ts";
import { MemberBoard } from "../cluster/members.ts";
import type { Lease } from "../cluster/lease.ts";
import { memberFile, Verdict } from "./cluster_protocol.ts";
import type { ClusterWriterReply, WireEvent } from "./cluster_protocol.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import { Follower } from "./cluster_follow.ts";
import { ClusterLeading, sleep, text } from "./cluster_leading.ts";
import { SnapshotUploader } from "./cluster_snapshots.ts";
import type { WriterRequest } from "./protocol.ts";

/** Where a member is. */
export type Role = "starting" | "follower" | "candidate" | "leader" | "fenced" | "stopped";

/** A member's cluster state, for `/status`, `/metrics` and `cluster status`. */
export interface ClusterStatus {
  app: string;
  role: Role;
  holder: string;
  url: string;
  /** The leader's advertised URL, when known. */
  leader: string | null;
  /** This member's committed event. */
  eventNumber: bigint;
  /** The stream's last event, as last seen. */
  streamEvent: bigint;
  lagEvents: number;
  lagMs: number;
  replicate: string;
  /** Why this member stopped serving (a state mismatch, a divergent tail), or null. */
  alarm: string | null;
}

/** The writer as the member talks to it. */
export interface MemberWriter {
  post(message: WriterRequest): void;
}

/** A cluster member; see the module notes. */
export class ClusterMember {
  readonly settings: ClusterSettings;
  readonly log: (line: string) => void;
  role: Role = "starting";
  leader: string | null = null;
  url = "";
  alarm: string | null = null;
  /** This member's committed event (a leader's: the last event the stream acknowledged). */
  applied = 0n;
  streamEvent = 0n;
  nc: NatsConnection | null = null;
  stream: EventStream | null = null;
  leases: LeaseBucket | null = null;
  lease: Lease | null = null;
  appender: EventAppender | null = null;
  follower: Follower | null = null;
  board: MemberBoard | null = null;
  /** The member's committed event (set by the server: a leader's comes from its writer). */
  committed: () => bigint = () => this.applied;
  /** Whether the local log holds events the stream does not (to be quarantined). */
  diverged = false;
  /** Whether the stream dropped events this member still needs (its state is set aside). */
  behind = false;
  /** Called once the local log is found divergent (the server stops, then quarantines). */
  onDiverged: (alarm: string) => void = () => {};
  #reportedAt = 0;
  #writer: MemberWriter | null = null;
  #leading: ClusterLeading;
  #uploader: SnapshotUploader;
  #positions: ((p: Extract<ClusterWriterReply, { type: "position" }>) => void)[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #closed = false;

  constructor(settings: ClusterSettings, log: (line: string) => void) {
    this.settings = settings;
    this.log = (line) => log(`cellar serve: cluster: ${line}`);
    this.#leading = new ClusterLeading(this);
    this.#uploader = new SnapshotUploader(settings.dataDir, settings.keepSnapshots, this.log);
  }

  /** Attach the writer and the server's own URL (the default `--advertise`). */
  attach(writer: MemberWriter, serverUrl: string): void {
    this.#writer = writer;
    this.url = this.settings.advertise ?? serverUrl.replace(/\/$/, "");
  }

  /** The runtime booted at `event`: connect, check the local tail, follow, contend. */
  async start(event: bigint): Promise<void> {
    this.applied = event;
    const s = this.settings;
    while (!this.#closed && this.stream === null) {
      try {
        this.nc ??= await connectCluster(s.urls, { name: `cellar ${s.holder}` });
        this.leases ??= await LeaseBucket.open(this.nc, s.app, { ttlMs: s.leaseMs });
        this.board ??= await MemberBoard.open(this.nc, s.app);
        this.stream = await EventStream.open(this.nc, s.app);
      } catch (error) {
        this.log(`cannot reach the cluster yet, retrying: ${text(error)}`);
        await sleep(1000);
      }
    }
    if (this.#closed) return;
    if (!(await this.checkTail()) || await this.#behindStream()) return;
    this.follow();
    this.#timer = setInterval(() => void this.#tick(), Math.max(50, s.leaseMs / 4));
    void this.#tick();
  }

  /** Start (or restart) reading the stream after the applied event. */
  follow(): void {
    this.role = "follower";
    void this.follower?.stop();
    this.follower = new Follower(this.stream!, this.applied + 1n, {
      apply: (events) => this.post({ type: "apply", events }),
      readFailed: (message) => this.log(`reading the stream failed, retrying: ${message}`),
      gap: () => void this.#behindStream().catch(() => {}),
    });
  }

  /** Send the writer a message. */
  post(message: WriterRequest): void {
    this.#writer?.post(message);
  }

  /** A cluster message from the writer. */
  handle(m: ClusterWriterReply): void {
    switch (m.type) {
      case "publish":
        void this.#leading.publish(m.ticket, m.events, m.kernel);
        break;
      case "committed":
        this.#leading.publishCommitted(m.events, m.kernel);
        break;
      case "applied":
        this.#applied(m);
        break;
      case "position":
        for (const resolve of this.#positions.splice(0)) resolve(m);
        break;
    }
  }

  #applied(m: Extract<ClusterWriterReply, { type: "applied" }>): void {
    this.applied = m.eventNumber;
    const problem = m.mismatch ?? m.error;
    if (problem !== undefined) {
      this.raise(`the follower stopped at event ${m.eventNumber + 1n}: ${problem}`);
      return;
    }
    this.follower?.applied();
  }

  /** Stop serving for good (until restarted): an alarm in the log and in `/status`. */
  raise(alarm: string): void {
    this.alarm = alarm;
    this.role = "stopped";
    this.setLeading(false);
    this.log(`ALARM: ${alarm}`);
    void this.follower?.stop();
    this.follower = null;
    this.#leading.drop();
  }

  /**
   * Store the verdict on a publish, if the writer still waits for that ticket; false when it
   * gave up on it (and refused the group).
   */
  verdict(ticket: number, published: boolean): boolean {
    const flags = new Int32Array(this.settings.writer.flags);
    if (Atomics.load(flags, 1) !== ticket) return false;
    const value = published ? Verdict.Published : Verdict.Refused;
    const before = Atomics.compareExchange(flags, 0, Verdict.Waiting, value);
    Atomics.notify(flags, 0);
    return before === Verdict.Waiting;
  }

  /**
   * Tell the writer whether it may take pokes (flag 2 of the shared flags, at once) and its
   * drivers whether to act (a message: after the events already sent it to apply).
   */
  setLeading(on: boolean): void {
    const flags = new Int32Array(this.settings.writer.flags);
    const was = Atomics.exchange(flags, 2, on ? 1 : 0) === 1;
    if (was !== on) this.post({ type: "lead", on });
  }

  /** The writer's committed event and state mug. */
  position(): Promise<Extract<ClusterWriterReply, { type: "position" }>> {
    return new Promise((resolve) => {
      this.#positions.push(resolve);
      this.post({ type: "position" });
    });
  }

  /**
   * Whether the local log is a prefix of the stream: its last event is in the stream with
   * the same state mug. If not, raise the alarm (the tail is quarantined at the next start).
   */
  async checkTail(): Promise<boolean> {
    if (this.diverged) return false;
    const p = await this.position();
    this.applied = p.eventNumber;
    if (p.eventNumber === 0n) return true;
    const { record, tip } = await this.#streamAt(p.eventNumber);
    this.streamEvent = tip.event;
    if (record === null && p.eventNumber <= tip.event) return true; // dropped by retention
    if (record !== null && record.mug === p.stateMug) return true;
    this.diverged = true;
    this.raise(
      record === null
        ? `the local log ends at event ${p.eventNumber}, the stream at ${tip.event}: the ` +
          `local tail is not in the stream of record; it is quarantined and the server stops`
        : `the local state after event ${p.eventNumber} differs from the stream's; the local ` +
          `state is quarantined and the server stops`,
    );
    this.onDiverged(this.alarm!);
    return false;
  }

  /**
   * Whether the stream no longer holds the event after this member's (dropped behind the
   * snapshots, `--keep-snapshots`): then raise the alarm and stop; the server sets the state
   * aside, and the next start bootstraps from the newest snapshot.
   */
  async #behindStream(): Promise<boolean> {
    const first = await this.stream!.first();
    if (first === 0n || first <= this.applied + 1n || this.behind) return this.behind;
    this.behind = true;
    this.diverged = true;
    this.raise(
      `this member is at event ${this.applied}, and the stream holds events from ${first} on ` +
        `only (older ones were dropped behind the snapshots): the local state is set aside ` +
        `and the server stops; the next start bootstraps from the newest snapshot`,
    );
    this.onDiverged(this.alarm!);
    return true;
  }

  /** Event `event` as the stream holds it, and the tip; retried while NATS is unavailable. */
  async #streamAt(event: bigint) {
    for (let attempt = 0;; attempt++) {
      try {
        const record = await this.stream!.record(event);
        return { record, tip: await this.stream!.tip() };
      } catch (error) {
        if (!(error instanceof ClusterUnavailableError) || this.#closed) throw error;
        if (attempt === 0) {
          this.log(`waiting for the stream to check the local log: ${text(error)}`);
        }
        await sleep(500);
      }
    }
  }

  /** A leader stops leading (fenced, lease lost or not renewed) and rejoins as a follower. */
  async stepDown(why: string): Promise<void> {
    if (this.role !== "leader" && this.role !== "candidate") return;
    this.role = "fenced";
    this.setLeading(false);
    this.log(`stopped leading: ${why}`);
    try {
      await this.#leading.resign();
      this.leader = null;
      if (this.#closed || !(await this.checkTail())) return;
      this.follow();
    } catch (error) {
      this.raise(`cannot rejoin as a follower: ${text(error)}`);
    }
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed || this.stream === null) return;
    this.#ticking = true;
    try {
      if (this.role === "leader") {
        await this.#leading.renew();
        this.#uploader.maybeUpload(this.nc!, this.stream);
      } else if (this.role === "follower") await this.#leading.contend();
      const tip = await this.stream.tip();
      if (tip.event > this.streamEvent) this.streamEvent = tip.event;
      this.follower?.nudge(tip.event);
      await this.#report();
    } catch (error) {
      if (error instanceof FencedError) await this.stepDown(text(error));
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * About once a second: this member's state on the member board (for `cellar cluster
   * status`) and in `cluster-member.json` in its data directory (for `cellar cluster promote`).
   */
  async #report(): Promise<void> {
    const now = Date.now();
    if (now - this.#reportedAt < 1000) return;
    this.#reportedAt = now;
    const s = this.status(this.committed());
    const report = {
      holder: s.holder,
      url: s.url,
      role: s.role,
      eventNumber: Number(s.eventNumber),
      lagEvents: s.lagEvents,
      lagMs: s.lagMs,
      alarm: s.alarm,
      at: now,
    };
    await Deno.writeTextFile(
      `${this.settings.dataDir}/${memberFile}`,
      JSON.stringify({ ...report, app: s.app, leader: s.leader }) + "\n",
    ).catch(() => {});
    await this.board?.put(report);
  }

  /** Wait until this member has committed `event`; false after `timeoutMs`. */
  async reached(event: bigint, committed: () => bigint, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (committed() < event) {
      if (performance.now() >= deadline || this.#closed) return false;
      await sleep(10);
    }
    return true;
  }

  /** The member's state. */
  status(committed: bigint): ClusterStatus {
    const seen = this.follower?.seen ?? 0n;
    const stream = this.streamEvent > seen ? this.streamEvent : seen;
    const lag = this.role === "leader" ? 0n : stream - committed;
    return {
      app: this.settings.app,
      role: this.role,
      holder: this.settings.holder,
      url: this.url,
      leader: this.role === "leader" ? this.url : this.leader,
      eventNumber: committed,
      streamEvent: stream,
      lagEvents: lag > 0n ? Number(lag) : 0,
      lagMs: this.role === "leader" ? 0 : this.follower?.lagMs() ?? 0,
      replicate: this.settings.replicate,
      alarm: this.alarm,
    };
  }

  /** Stop: leave the lease (a successor takes it at once), stop reading, disconnect. */
  async close(): Promise<void> {
    this.#closed = true;
    this.setLeading(false);
    clearInterval(this.#timer);
    await this.#leading.resign();
    await this.follower?.stop();
    await this.board?.remove(this.settings.holder).catch(() => {});
    await Deno.remove(`${this.settings.dataDir}/${memberFile}`).catch(() => {});
    await this.nc?.close().catch(() => {});
  }

  /** Whether the member is stopping. */
  get closed(): boolean {
    return this.#closed;
  }
}

export type { WireEvent };
