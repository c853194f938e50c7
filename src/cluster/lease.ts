/**
 * The leadership lease: one key (`leader`) in the app's KV bucket `cellar_<app>_lease`
 * (history 1, file storage, reads from the bucket's leader). Every change is a
 * compare-and-set on the key's revision, so of two contenders at most one wins, and a
 * holder whose revision is stale learns it on its next renewal ({@linkcode LeaseLostError}).
 *
 * Value (JSON): `{ holder, url, expiresAt, event, ttlMs }`: who holds it, the URL clients are
 * sent to, the holder's wall-clock expiry (for people and status pages), its event number
 * at the last renewal, and its TTL.
 *
 * Expiry is judged without comparing clocks across hosts. NATS KV's own per-key TTL was not
 * used: it is set only when a key is created (a renewal cannot extend it) and it would make
 * the server's clock the judge of a deadline the holder must keep by its own. Instead:
 *
 * - the holder counts its lease valid until `ttlMs` after it *sent* its last successful
 *   write, on its monotonic clock (`performance.now()`), and must stop leading then;
 * - a contender takes over only after it has seen the same revision, unchanged, for `ttlMs`
 *   on its own monotonic clock. It first saw that revision after the holder sent it, so its
 *   deadline falls after the holder's. A renewal changes the revision and restarts the wait.
 *
 * Only clock *rates* matter, not offsets. Even so the lease is not what keeps the log
 * safe: two processes that both believe they lead are still fenced by the event stream's
 * expected-last-sequence condition. The lease decides who should lead; fencing decides who can
 * append.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { KV, KvEntry } from "@nats-io/kv";
import { ArgumentError } from "../core/errors.ts";
import { clusterNames } from "./connection.ts";
import type { ClusterNames } from "./connection.ts";
import { FencedError, LeaseHeldError, LeaseLostError, toClusterError } from "./errors.ts";

/** The key of the lease in its bucket. */
export const leaseKey = "leader";

/** What a contender claims the lease with. */
export interface LeaseClaim {
  /** The contender's identity: unique per member (e.g. host and data directory). */
  holder: string;
  /** The URL other members and clients are sent to (`--advertise`). */
  url: string;
  /** The contender's event number. */
  event: bigint;
}

/** The lease as stored. */
export interface LeaseValue extends LeaseClaim {
  /** Unix milliseconds of the holder's expiry by its own clock (informative). */
  expiresAt: number;
  /** The holder's TTL in milliseconds. */
  ttlMs: number;
}

/** The lease's current value and revision. */
export interface LeaseState {
  value: LeaseValue;
  /** KV revision of the value; every write changes it. */
  revision: number;
}

/** Options of {@linkcode LeaseBucket.open}. */
export interface LeaseOptions {
  /** Lease TTL in milliseconds (default 5000, the `--lease-ms` default). */
  ttlMs?: number;
  /** Replicas of a bucket this call creates (default 3). */
  replicas?: number;
  /** Milliseconds to wait for each KV answer (default: a third of the TTL, at most 2000). */
  timeoutMs?: number;
}

const encoder = new TextEncoder();

/**
 * An app's lease bucket, with the contender's view of who holds the lease.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { LeaseBucket } from "./lease.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const bucket = await LeaseBucket.open(nc, "kv", { ttlMs: 5000 });
 * const lease = await bucket.acquire({ holder: "a", url: "http://127.0.0.1:8080", event: 0n });
 * await lease.renew(1n);
 * await lease.release();
 * await nc.close();
 * ```
 */
export class LeaseBucket {
  /** The app's JetStream names. */
  readonly names: ClusterNames;
  /** This contender's TTL in milliseconds. */
  readonly ttlMs: number;
  readonly #kv: KV;
  readonly #timeoutMs: number;
  /** The revision last seen held by another, and when (monotonic ms) it was first seen. */
  #seen: { revision: number; since: number } | undefined;

  private constructor(names: ClusterNames, kv: KV, ttlMs: number, timeoutMs: number) {
    this.names = names;
    this.#kv = kv;
    this.ttlMs = ttlMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Open `app`'s lease bucket, creating it when absent. */
  static async open(
    nc: NatsConnection,
    app: string,
    options: LeaseOptions = {},
  ): Promise<LeaseBucket> {
    const names = clusterNames(app);
    const ttlMs = options.ttlMs ?? 5000;
    if (!Number.isInteger(ttlMs) || ttlMs < 100) {
      throw new ArgumentError(`Invalid lease TTL: ${ttlMs} ms (at least 100)`);
    }
    const timeoutMs = options.timeoutMs ?? Math.min(2000, Math.ceil(ttlMs / 3));
    try {
      const kv = await new Kvm(nc).create(names.leaseBucket, {
        history: 1,
        replicas: options.replicas ?? 3,
        storage: StorageType.File,
        allow_direct: false,
        timeout: timeoutMs,
        description: `Cellar leadership lease of app ${app}`,
      });
      return new LeaseBucket(names, kv, ttlMs, timeoutMs);
    } catch (error) {
      throw toClusterError(error, `open the lease bucket ${names.leaseBucket}`);
    }
  }

  /** The lease as stored now, or null when nobody holds it (never taken, or released). */
  async read(): Promise<LeaseState | null> {
    const entry = await this.#entry();
    if (entry === null || entry.operation !== "PUT") return null;
    return { value: parseValue(entry, this.ttlMs), revision: entry.revision };
  }

  /**
   * Take the lease for `claim`: at once when nobody holds it, else once this contender has
   * seen the holder's revision unchanged for the TTL (call again, e.g. every TTL / 4, until
   * it succeeds). Throws {@linkcode LeaseHeldError} while it is held or when another
   * contender won the race.
   */
  async acquire(claim: LeaseClaim): Promise<Lease> {
    const now = performance.now();
    const entry = await this.#entry();
    if (entry !== null && entry.operation === "PUT") {
      const held = parseValue(entry, this.ttlMs);
      if (this.#seen?.revision !== entry.revision) {
        this.#seen = { revision: entry.revision, since: now };
      }
      const ttl = Math.max(this.ttlMs, held.ttlMs);
      const waited = now - this.#seen.since;
      if (waited < ttl) {
        throw new LeaseHeldError(
          `Lease of app ${this.names.app} is held by ${held.holder} (${held.url}, event ` +
            `${held.event}): it expires in ${Math.ceil(ttl - waited)} ms unless renewed`,
        );
      }
    }
    const revision = entry?.revision ?? 0;
    const lease = new Lease(this.#kv, claim, this.ttlMs, this.#timeoutMs, revision);
    try {
      await lease.renew(claim.event);
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      throw new LeaseHeldError(
        `Lease of app ${this.names.app} was taken by another contender at revision ${revision}`,
        { cause: error },
      );
    }
    this.#seen = undefined;
    return lease;
  }

  async #entry(): Promise<KvEntry | null> {
    try {
      return await this.#kv.get(leaseKey);
    } catch (error) {
      throw toClusterError(error, `read the lease of app ${this.names.app}`);
    }
  }
}

/**
 * A lease this process holds. Valid until `ttlMs` after its last successful write was sent;
 * renew well before that (every TTL / 3 is usual). Losing it is final: every later call
 * throws {@linkcode LeaseLostError}.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { LeaseBucket } from "./lease.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const bucket = await LeaseBucket.open(nc, "kv");
 * const lease = await bucket.acquire({ holder: "a", url: "http://127.0.0.1:8080", event: 0n });
 * if (lease.isValid()) console.log("leading until", lease.value.expiresAt);
 * await nc.close();
 * ```
 */
export class Lease {
  readonly #kv: KV;
  readonly #claim: LeaseClaim;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  #revision: number;
  #value: LeaseValue;
  #deadline = 0;
  #lost: LeaseLostError | undefined;

  /** Use {@linkcode LeaseBucket.acquire}. */
  constructor(kv: KV, claim: LeaseClaim, ttlMs: number, timeoutMs: number, revision: number) {
    this.#kv = kv;
    this.#claim = { ...claim };
    this.#ttlMs = ttlMs;
    this.#timeoutMs = timeoutMs;
    this.#revision = revision;
    this.#value = { ...claim, expiresAt: 0, ttlMs };
  }

  /** The KV revision this lease holds. */
  get revision(): number {
    return this.#revision;
  }

  /** The value last written. */
  get value(): LeaseValue {
    return { ...this.#value };
  }

  /** Milliseconds left before the holder must stop leading (0 once expired or lost). */
  remainingMs(): number {
    if (this.#lost) return 0;
    return Math.max(0, this.#deadline - performance.now());
  }

  /** True while the holder may lead: not lost, and its deadline not passed. */
  isValid(): boolean {
    return this.remainingMs() > 0;
  }

  /**
   * Write the lease again (compare-and-set on the revision held), with `event` as the
   * holder's event number, and move the deadline to TTL after now. Throws
   * {@linkcode LeaseLostError} when the revision changed (someone took it) or the deadline
   * has already passed, `ClusterUnavailableError` when NATS did not answer (the lease stays
   * valid until its old deadline; try again).
   */
  async renew(event: bigint = this.#claim.event): Promise<void> {
    if (this.#lost) throw this.#lost;
    // Written before and expired since: someone may lead now, so this holder must not.
    if (this.#deadline > 0 && !this.isValid()) {
      throw this.#lose(`it expired ${Math.round(performance.now() - this.#deadline)} ms ago`);
    }
    const sent = performance.now();
    const expiresAt = Date.now() + this.#ttlMs;
    const value: LeaseValue = { ...this.#claim, event, expiresAt, ttlMs: this.#ttlMs };
    try {
      this.#revision = await this.#kv.put(leaseKey, encodeValue(value), {
        previousSeq: this.#revision,
        timeout: this.#timeoutMs,
      });
    } catch (error) {
      const failure = toClusterError(error, `renew the lease of ${this.#claim.holder}`);
      throw failure instanceof FencedError
        ? this.#lose("another holder changed it", failure)
        : failure;
    }
    this.#value = value;
    this.#deadline = sent + this.#ttlMs;
  }

  /**
   * Give the lease up (delete it, compare-and-set on the revision held), so a contender
   * can take it at once. Throws {@linkcode LeaseLostError} when it was no longer held.
   */
  async release(): Promise<void> {
    if (this.#lost) throw this.#lost;
    try {
      await this.#kv.delete(leaseKey, { previousSeq: this.#revision });
    } catch (error) {
      const failure = toClusterError(error, `release the lease of ${this.#claim.holder}`);
      throw failure instanceof FencedError
        ? this.#lose("another holder changed it", failure)
        : failure;
    }
    this.#lose("it was released");
  }

  /** Mark the lease lost for good; returns the error every later call throws. */
  #lose(why: string, cause?: Error): LeaseLostError {
    this.#lost = new LeaseLostError(
      `Lease of ${this.#claim.holder} at revision ${this.#revision} is lost: ${why}`,
      { cause },
    );
    this.#deadline = 0;
    return this.#lost;
  }
}

function encodeValue(value: LeaseValue): Uint8Array {
  if (value.event > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ArgumentError(`Event number ${value.event} is too large for the lease`);
  }
  return encoder.encode(JSON.stringify({ ...value, event: Number(value.event) }));
}

/** The value of `entry`; an unreadable one counts as held by "(unreadable)" with our TTL. */
function parseValue(entry: KvEntry, ttlMs: number): LeaseValue {
  try {
    const v = entry.json<Record<string, unknown>>();
    if (
      typeof v.holder === "string" && typeof v.url === "string" &&
      Number.isSafeInteger(v.event) && typeof v.expiresAt === "number"
    ) {
      const held = typeof v.ttlMs === "number" && v.ttlMs > 0 ? v.ttlMs : ttlMs;
      return {
        holder: v.holder,
        url: v.url,
        event: BigInt(v.event as number),
        expiresAt: v.expiresAt,
        ttlMs: held,
      };
    }
  } catch {
    // Not JSON: fall through.
  }
  return { holder: "(unreadable)", url: "", event: 0n, expiresAt: 0, ttlMs };
}
