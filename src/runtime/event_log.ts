/**
 * The event log: the authority on which events a data directory has accepted. One SQLite
 * database (`log.sqlite`, through `node:sqlite`) in WAL mode with `synchronous=FULL`, so a
 * committed append survives power loss. A group of pokes is written in a transaction whose
 * commit does not sync ({@linkcode EventLog.beginGroup}): the PMA commit that follows carries
 * the same rows and is the group's one flush, and {@linkcode EventLog.syncWal} makes the log
 * durable later (docs/DESIGN.md, "The commit protocol"). One row per accepted event: its number, the jam
 * of its poke sample (without the number), a blake3 of that jam, the wire as text,
 * timestamps, compute time and the mug of the state it produced. The kernels the data
 * directory has run are kept too (their jams), each with the event after which it took
 * over, so a full replay needs nothing but this file.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";
import { CellarError } from "../core/errors.ts";
import { blake3, hex } from "./files.ts";

/** Schema version of `log.sqlite`; a log with another version is refused. */
export const logSchemaVersion = 1;

/**
 * The log is unusable: a failed integrity check, an unknown schema version, a row whose
 * hash does not match its bytes, or a gap where an event should be.
 *
 * @example
 * ```ts
 * import { EventLogError } from "@cellar/cellar";
 * const error = new EventLogError("Event 7 is missing");
 * console.assert(error.name === "EventLogError");
 * ```
 */
export class EventLogError extends CellarError {
  /**
   * @param message What is wrong with the log
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventLogError";
  }
}

/** One accepted event as stored. */
export interface LoggedEvent {
  /** The event number (1, 2, ...). */
  num: bigint;
  /** jam of `[wire eny our now cause]`. */
  jam: Uint8Array;
  /** blake3 of `jam`. */
  hash: Uint8Array;
  /** The wire as a path, e.g. `/poke/http`. */
  wire: string;
  /** Unix milliseconds when the event was accepted. */
  createdAt: number;
  /** Milliseconds the kernel spent computing it. */
  computeMs: number;
  /** Mug of the kernel core after the event. */
  stateMug: number;
}

/** A kernel the data directory has run. */
export interface LoggedKernel {
  /** 1 for the kernel the directory was booted with, then one more per upgrade. */
  id: number;
  /** blake3 of the kernel jam. */
  hash: Uint8Array;
  /** The kernel took over after this event (0 for the boot kernel). */
  installedAfter: bigint;
  installedAt: number;
}

/** The state a data directory was booted from (see {@linkcode EventLog.addBootKernel}). */
export interface LoggedBootState {
  /** The jam of the state noun (axis 6 of a kernel core) given to the boot kernel's load. */
  jam: Uint8Array;
  /** blake3 of `jam`. */
  hash: Uint8Array;
  /** Where it came from, in words (for boot reports and status). */
  source: string;
  createdAt: number;
}

/** The extent of the log. */
export interface LogExtent {
  /** Highest event number (0 when there is none). */
  last: bigint;
  /** Lowest event number (0 when there is none). */
  first: bigint;
  /** Number of rows. */
  count: bigint;
}

/**
 * The SQLite event log of a data directory.
 *
 * @example
 * ```ts
 * import { EventLog } from "@cellar/cellar";
 * const dir = Deno.makeTempDirSync();
 * const log = EventLog.open(`${dir}/log.sqlite`);
 * console.log(log.extent().last); // 0n
 * log.close();
 * ```
 */
export class EventLog {
  readonly #db: DatabaseSync;
  readonly path: string;
  readonly #insert: StatementSync;
  readonly #extent: StatementSync;
  readonly #select: StatementSync;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.path = path;
    this.#insert = db.prepare(
      "INSERT INTO events (num, jam, hash, wire, created_at, compute_ms, state_mug) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.#extent = db.prepare(
      "SELECT COALESCE(MAX(num), 0) AS last, COALESCE(MIN(num), 0) AS first, " +
        "COUNT(*) AS count FROM events",
    );
    this.#select = db.prepare(
      "SELECT num, jam, hash, wire, created_at, compute_ms, state_mug FROM events " +
        "WHERE num >= ? AND num <= ? ORDER BY num",
    );
  }

  /**
   * Open (creating when absent) the log at `path`: WAL, `synchronous=FULL`, a schema
   * version check and `PRAGMA quick_check`. Throws {@linkcode EventLogError} for a
   * damaged database or another schema version.
   *
   * @example
   * ```ts
   * import { EventLog } from "@cellar/cellar";
   * const log = EventLog.open(`${Deno.makeTempDirSync()}/log.sqlite`);
   * log.close();
   * ```
   */
  static open(path: string, options: { create?: boolean } = {}): EventLog {
    if (options.create === false) {
      try {
        Deno.statSync(path);
      } catch {
        throw new EventLogError(`No event log at ${path}`);
      }
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    } catch (cause) {
      throw new EventLogError(`Cannot open the event log ${path}: ${message(cause)}`, { cause });
    }
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      const check = db.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
      const verdict = check.map((r) => r.quick_check).join("; ");
      if (verdict !== "ok") {
        throw new EventLogError(`The event log ${path} fails its integrity check: ${verdict}`);
      }
      db.exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
      );
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      if (row === undefined) {
        createSchema(db);
      } else if (row.value !== String(logSchemaVersion)) {
        throw new EventLogError(
          `The event log ${path} has schema version ${row.value}; this Cellar reads version ` +
            `${logSchemaVersion}`,
        );
      }
      return new EventLog(db, path);
    } catch (error) {
      db.close();
      if (error instanceof EventLogError) throw error;
      throw new EventLogError(`Cannot use the event log ${path}: ${message(error)}`, {
        cause: error,
      });
    }
  }

  /** Highest and lowest event numbers and the row count. */
  extent(): LogExtent {
    const r = this.#extent.get() as { last: number; first: number; count: number };
    return { last: BigInt(r.last), first: BigInt(r.first), count: BigInt(r.count) };
  }

  /**
   * The first missing event number in `from..to` (inclusive), or null when none is
   * missing. Uses the primary key, so it costs a range count, not a scan of the jams.
   */
  firstGap(from: bigint, to: bigint): bigint | null {
    if (to < from) return null;
    const count = this.#db.prepare("SELECT COUNT(*) AS n FROM events WHERE num >= ? AND num <= ?")
      .get(from, to) as { n: number };
    if (BigInt(count.n) === to - from + 1n) return null;
    // Find the first hole: the lowest num in range whose successor is absent, or `from`.
    const first = this.#db.prepare("SELECT MIN(num) AS m FROM events WHERE num >= ?").get(
      from,
    ) as { m: number | null };
    if (first.m === null || BigInt(first.m) !== from) return from;
    const hole = this.#db.prepare(
      "SELECT MIN(e.num) + 1 AS h FROM events e WHERE e.num >= ? AND e.num < ? AND " +
        "NOT EXISTS (SELECT 1 FROM events f WHERE f.num = e.num + 1)",
    ).get(from, to) as { h: number | null };
    return hole.h === null ? null : BigInt(hole.h);
  }

  /**
   * The row of event `num` as it will be stored: the blake3 of `jam`, stamped now. Nothing is
   * written.
   *
   * @example
   * ```ts
   * import { EventLog } from "@cellar/cellar";
   * const row = EventLog.row(1n, new Uint8Array([1]), "/poke/api", 0.1, 7);
   * console.log(row.hash.length); // 32
   * ```
   */
  static row(
    num: bigint,
    jam: Uint8Array,
    wire: string,
    computeMs: number,
    stateMug: number,
  ): LoggedEvent {
    return { num, jam, hash: blake3(jam), wire, createdAt: Date.now(), computeMs, stateMug };
  }

  /**
   * Start the transaction of a group of events. Its commit ({@linkcode EventLog.commitGroup})
   * does not sync (`synchronous=NORMAL` for it): the caller makes the rows durable another way
   * (the PMA commit carries them) before it commits. Until then a crash forgets them.
   */
  beginGroup(): void {
    this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      this.#db.exec("PRAGMA synchronous = FULL");
      throw error;
    }
  }

  /** Insert `row` into the open group transaction. */
  insert(row: LoggedEvent): void {
    this.#insert.run(
      row.num,
      row.jam,
      row.hash,
      row.wire,
      row.createdAt,
      row.computeMs,
      row.stateMug,
    );
  }

  /** Commit the group transaction without a sync (the rows reach the OS, not the disk). */
  commitGroup(): void {
    try {
      this.#db.exec("COMMIT");
    } finally {
      this.#endGroup();
    }
  }

  /** Forget the group transaction (nothing of it was written that counts). */
  rollbackGroup(): void {
    this.#endGroup();
  }

  #endGroup(): void {
    try {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } finally {
      this.#db.exec("PRAGMA synchronous = FULL");
    }
  }

  /** Append `rows` (consecutive, after the last event) in one durable transaction. */
  appendRows(rows: readonly LoggedEvent[]): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      for (const row of rows) this.insert(row);
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Make every committed transaction durable: `fdatasync` of the WAL file (SQLite's
   * checkpoints sync the main file themselves). Returns whether there was a WAL to sync.
   */
  syncWal(): boolean {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(`${this.path}-wal`, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
    try {
      file.syncDataSync();
    } finally {
      file.close();
    }
    return true;
  }

  /**
   * Append event `num` (which must be the next number) and commit it durably. Returns when
   * SQLite's commit (with its fsync) has finished.
   */
  append(
    num: bigint,
    jam: Uint8Array,
    wire: string,
    computeMs: number,
    stateMug: number,
  ): LoggedEvent {
    const hash = blake3(jam);
    const createdAt = Date.now();
    this.#insert.run(num, jam, hash, wire, createdAt, computeMs, stateMug);
    return { num, jam, hash, wire, createdAt, computeMs, stateMug };
  }

  /** The event `num`, or null. */
  get(num: bigint): LoggedEvent | null {
    for (const e of this.range(num, num)) return e;
    return null;
  }

  /**
   * Events `from..to` in order, each checked against its hash (a mismatch throws
   * {@linkcode EventLogError}). Read in batches, so a long log is not loaded at once.
   */
  *range(from: bigint, to: bigint, batch = 1000): Generator<LoggedEvent> {
    let next = from;
    while (next <= to) {
      const end = next + BigInt(batch) - 1n < to ? next + BigInt(batch) - 1n : to;
      const rows = this.#select.all(next, end) as {
        num: number;
        jam: Uint8Array;
        hash: Uint8Array;
        wire: string;
        created_at: number;
        compute_ms: number;
        state_mug: number;
      }[];
      for (const r of rows) {
        const num = BigInt(r.num);
        const jam = new Uint8Array(r.jam);
        const hash = new Uint8Array(r.hash);
        if (hex(blake3(jam)) !== hex(hash)) {
          throw new EventLogError(
            `Event ${num} in the log is damaged: its bytes do not match its hash`,
          );
        }
        yield {
          num,
          jam,
          hash,
          wire: r.wire,
          createdAt: r.created_at,
          computeMs: r.compute_ms,
          stateMug: r.state_mug,
        };
      }
      next = end + 1n;
    }
  }

  /** The kernels in the order they were installed. */
  kernels(): LoggedKernel[] {
    const rows = this.#db.prepare(
      "SELECT id, hash, installed_after, installed_at FROM kernels ORDER BY id",
    ).all() as { id: number; hash: Uint8Array; installed_after: number; installed_at: number }[];
    return rows.map((r) => ({
      id: r.id,
      hash: new Uint8Array(r.hash),
      installedAfter: BigInt(r.installed_after),
      installedAt: r.installed_at,
    }));
  }

  /** The jam of kernel `id`, checked against its hash. */
  kernelJam(id: number): Uint8Array {
    const r = this.#db.prepare("SELECT hash, jam FROM kernels WHERE id = ?").get(id) as
      | { hash: Uint8Array; jam: Uint8Array }
      | undefined;
    if (r === undefined) throw new EventLogError(`Kernel ${id} is missing from the log`);
    const jam = new Uint8Array(r.jam);
    if (hex(blake3(jam)) !== hex(new Uint8Array(r.hash))) {
      throw new EventLogError(
        `Kernel ${id} in the log is damaged: its jam does not match its hash`,
      );
    }
    return jam;
  }

  /** Record (durably) that the kernel with this jam takes over after event `after`. */
  addKernel(jam: Uint8Array, after: bigint): LoggedKernel {
    const hash = blake3(jam);
    const installedAt = Date.now();
    const r = this.#db.prepare(
      "INSERT INTO kernels (hash, jam, installed_after, installed_at) VALUES (?, ?, ?, ?)",
    ).run(hash, jam, after, installedAt);
    return { id: Number(r.lastInsertRowid), hash, installedAfter: after, installedAt };
  }

  /**
   * Record (durably, in one transaction) the boot kernel of a new data directory together
   * with the state its load arm was given: a full replay then starts from that state, not
   * from the kernel's own. Kept in the table `boot_state`, made on first use.
   */
  addBootKernel(jam: Uint8Array, stateJam: Uint8Array, source: string): LoggedKernel {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#db.exec(
        "CREATE TABLE IF NOT EXISTS boot_state (id INTEGER PRIMARY KEY CHECK (id = 1), " +
          "jam BLOB NOT NULL, hash BLOB NOT NULL, source TEXT NOT NULL, " +
          "created_at INTEGER NOT NULL) STRICT",
      );
      const kernel = this.addKernel(jam, 0n);
      this.#db.prepare(
        "INSERT INTO boot_state (id, jam, hash, source, created_at) VALUES (1, ?, ?, ?, ?)",
      ).run(stateJam, blake3(stateJam), source, kernel.installedAt);
      this.#db.exec("COMMIT");
      return kernel;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The state the data directory was booted from (checked against its hash), or null. */
  bootState(): LoggedBootState | null {
    const table = this.#db.prepare(
      "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'boot_state'",
    ).get();
    if (table === undefined) return null;
    const r = this.#db.prepare("SELECT jam, hash, source, created_at FROM boot_state").get() as
      | { jam: Uint8Array; hash: Uint8Array; source: string; created_at: number }
      | undefined;
    if (r === undefined) return null;
    const jam = new Uint8Array(r.jam);
    const hash = new Uint8Array(r.hash);
    if (hex(blake3(jam)) !== hex(hash)) {
      throw new EventLogError(
        "The boot state in the log is damaged: its jam does not match its hash",
      );
    }
    return { jam, hash, source: r.source, createdAt: r.created_at };
  }

  /** Total bytes of the database files (main, WAL). */
  sizeBytes(): number {
    let total = 0;
    for (const suffix of ["", "-wal"]) {
      try {
        total += Deno.statSync(this.path + suffix).size;
      } catch { /* absent */ }
    }
    return total;
  }

  /** Checkpoint the WAL into the main file (done at close and after snapshots). */
  checkpoint(): void {
    this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  /** Run a raw statement (tests and maintenance tools). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Close the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Create the tables of a new log and record its schema version, in one transaction. */
function createSchema(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  db.exec(`
    CREATE TABLE events (
      num INTEGER PRIMARY KEY,
      jam BLOB NOT NULL,
      hash BLOB NOT NULL,
      wire TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      compute_ms REAL NOT NULL,
      state_mug INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE kernels (
      id INTEGER PRIMARY KEY,
      hash BLOB NOT NULL,
      jam BLOB NOT NULL,
      installed_after INTEGER NOT NULL,
      installed_at INTEGER NOT NULL
    ) STRICT;
  `);
  db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(logSchemaVersion),
  );
  db.prepare("INSERT INTO meta (key, value) VALUES ('created_at', ?)").run(
    new Date().toISOString(),
  );
  db.exec("COMMIT");
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
