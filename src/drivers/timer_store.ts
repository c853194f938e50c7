/**
 * The timer driver's durable store (`timers.sqlite` in the data directory): the pending
 * wake-ups, and the write-ahead records that make them a function of committed events.
 *
 * - `intents(num, hash, ops)`: the timer requests (`wait`/`rest` at a time) of event `num`,
 *   written before the event is logged; `hash` is the blake3 of the event's jam, so a record
 *   whose event never made it into the log (or was replaced) is recognised and dropped.
 *   Applying it to `pending` and deleting it happen in one transaction.
 * - `pending(at, requested_by, firing, firing_hash)`: a wake-up per time (an `@da` in
 *   decimal). `firing` is the event that carries its `[%timer %wake at]`, recorded before
 *   that event is logged: once the log has that event, the wake-up was delivered.
 *
 * WAL with `synchronous=FULL`, like the event log: a record written ahead is on disk before
 * the event it belongs to is logged.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { CellarError } from "../core/errors.ts";

/** One timer request of an event. */
export type TimerOp = { op: "wait" | "rest"; at: bigint };

/** A pending wake-up. */
export interface PendingTimer {
  at: bigint;
  requestedBy: bigint;
  /** The event that carries its wake (written ahead), or null. */
  firing: bigint | null;
  firingHash: Uint8Array | null;
}

/** A write-ahead record of an event's timer requests. */
export interface TimerIntent {
  num: bigint;
  hash: Uint8Array;
  ops: TimerOp[];
}

/** The timer store of one data directory (or in memory). */
export class TimerStore {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Open (creating) the store at `path` (`:memory:` for one that does not last). */
  static open(path: string): TimerStore {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (cause) {
      throw new CellarError(`Cannot open the timer store ${path}: ${message(cause)}`, { cause });
    }
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(`
      CREATE TABLE IF NOT EXISTS intents (
        num INTEGER PRIMARY KEY, hash BLOB NOT NULL, ops TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS pending (
        at TEXT PRIMARY KEY, requested_by INTEGER NOT NULL,
        firing INTEGER, firing_hash BLOB) STRICT;
    `);
    return new TimerStore(db);
  }

  /**
   * Write ahead event `num`'s timer requests, and the wake it carries (`firing`), in one
   * durable transaction. A record of a `num` already there is replaced.
   */
  writeAhead(num: bigint, hash: Uint8Array, ops: TimerOp[], firing: bigint | null): void {
    this.#transaction(() => {
      if (ops.length > 0) {
        this.#db.prepare("INSERT OR REPLACE INTO intents (num, hash, ops) VALUES (?, ?, ?)")
          .run(num, hash, JSON.stringify(ops.map((o) => [o.op, String(o.at)])));
      }
      if (firing !== null) {
        this.#db.prepare("UPDATE pending SET firing = ?, firing_hash = ? WHERE at = ?")
          .run(num, hash, String(firing));
      }
    });
  }

  /** Forget what was written ahead for `num` (its poke failed), clearing its firing marks. */
  abandon(num: bigint): void {
    this.#transaction(() => {
      this.#db.prepare("DELETE FROM intents WHERE num = ?").run(num);
      this.#db.prepare("UPDATE pending SET firing = NULL, firing_hash = NULL WHERE firing = ?")
        .run(num);
    });
  }

  /**
   * Apply event `num`'s requests to the pending wake-ups and delete its record, in one
   * transaction: a wait (re)sets its time, a rest removes it. False when there is none.
   */
  apply(num: bigint): boolean {
    return this.#transaction(() => {
      const row = this.#db.prepare("SELECT ops FROM intents WHERE num = ?").get(num) as
        | { ops: string }
        | undefined;
      if (row === undefined) return false;
      for (const [op, at] of JSON.parse(row.ops) as [string, string][]) {
        if (op === "wait") {
          this.#db.prepare(
            "INSERT OR REPLACE INTO pending (at, requested_by, firing, firing_hash) " +
              "VALUES (?, ?, NULL, NULL)",
          ).run(at, num);
        } else {
          this.#db.prepare("DELETE FROM pending WHERE at = ?").run(at);
        }
      }
      this.#db.prepare("DELETE FROM intents WHERE num = ?").run(num);
      return true;
    });
  }

  /** The wake at `at` was delivered by event `num`: remove it, unless re-armed since. */
  delivered(at: bigint, num: bigint): void {
    this.#db.prepare("DELETE FROM pending WHERE at = ? AND firing = ?").run(String(at), num);
  }

  /** Event `num` carried wakes (a follower's applied event): remove those not re-armed. */
  deliveredBy(num: bigint): void {
    this.#db.prepare("DELETE FROM pending WHERE firing = ?").run(num);
  }

  /** Remove the wake-up at `at` whatever its state (its wake was rejected). */
  remove(at: bigint): void {
    this.#db.prepare("DELETE FROM pending WHERE at = ?").run(String(at));
  }

  /** Clear the firing mark of `at` (its wake event is not in the log). */
  unfire(at: bigint): void {
    this.#db.prepare("UPDATE pending SET firing = NULL, firing_hash = NULL WHERE at = ?")
      .run(String(at));
  }

  /** The pending wake-ups, earliest first. */
  pending(): PendingTimer[] {
    const rows = this.#db.prepare(
      "SELECT at, requested_by, firing, firing_hash FROM pending",
    ).all() as {
      at: string;
      requested_by: number;
      firing: number | null;
      firing_hash: Uint8Array | null;
    }[];
    return rows.map((r) => ({
      at: BigInt(r.at),
      requestedBy: BigInt(r.requested_by),
      firing: r.firing === null ? null : BigInt(r.firing),
      firingHash: r.firing_hash === null ? null : new Uint8Array(r.firing_hash),
    })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /**
   * The pending wake-ups as of committed event `event` and later (for a snapshot of that
   * event, `cluster_snapshots.ts`): those a wake at or before `event` delivered are left out,
   * and the records of events up to `event` not applied yet are applied. A member that starts
   * from the snapshot and applies the events after it reaches this store's table: each event
   * sets or removes the wake-ups it names, whatever was there.
   */
  pendingAt(event: bigint): { at: bigint; requestedBy: bigint }[] {
    const table = new Map<bigint, bigint>();
    for (const p of this.pending()) {
      if (p.firing === null || p.firing > event) table.set(p.at, p.requestedBy);
    }
    for (const intent of this.intents()) {
      if (intent.num > event) continue;
      for (const o of intent.ops) {
        if (o.op === "wait") table.set(o.at, intent.num);
        else table.delete(o.at);
      }
    }
    return [...table].map(([at, requestedBy]) => ({ at, requestedBy }))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** Add pending wake-ups (a new member's table, from a snapshot), in one transaction. */
  seed(rows: readonly { at: bigint; requestedBy: bigint }[]): void {
    this.#transaction(() => {
      const insert = this.#db.prepare(
        "INSERT OR REPLACE INTO pending (at, requested_by, firing, firing_hash) " +
          "VALUES (?, ?, NULL, NULL)",
      );
      for (const r of rows) insert.run(String(r.at), r.requestedBy);
    });
  }

  /** The records written ahead, in event order. */
  intents(): TimerIntent[] {
    const rows = this.#db.prepare("SELECT num, hash, ops FROM intents ORDER BY num").all() as {
      num: number;
      hash: Uint8Array;
      ops: string;
    }[];
    return rows.map((r) => ({
      num: BigInt(r.num),
      hash: new Uint8Array(r.hash),
      ops: (JSON.parse(r.ops) as [string, string][]).map(([op, at]) => ({
        op: op === "wait" ? "wait" : "rest",
        at: BigInt(at),
      })),
    }));
  }

  /** Drop event `num`'s record unapplied (its event is not in the log). */
  drop(num: bigint): void {
    this.#db.prepare("DELETE FROM intents WHERE num = ?").run(num);
  }

  /** Close the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
