/**
 * The log's tail carried in the PMA (docs/DESIGN.md, "The commit protocol"): the rows of the
 * events the log has not yet made durable, kept in the PMA root `[core %tail cold records]`
 * so that the PMA commit, one `fdatasync`, makes a whole group durable. Each record is one
 * atom holding a log row; the list is newest first. At open, {@linkcode repairLog} appends to
 * the log whatever the tail has and the log lacks.
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import type { EventLog, LoggedEvent } from "./event_log.ts";
import { blake3, hex } from "./files.ts";
import { stateRootTailTag } from "./kernel.ts";
import { Pma } from "./pma.ts";
import { errorText } from "./runtime_error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Bytes before the wire: number, time, compute time, mug, wire length, hash. */
const headerBytes = 64;

/**
 * The bytes of a tail record: the row's fixed fields, its wire and its jam, and a final
 * 0x01 (an atom drops trailing zero bytes; the marker keeps the length exact).
 *
 * @example
 * ```ts
 * import { decodeRecord, encodeRecord } from "./log_tail.ts";
 * import { EventLog } from "./event_log.ts";
 * const row = EventLog.row(3n, new Uint8Array([9, 0]), "/poke/api", 0.5, 42);
 * console.log(decodeRecord(encodeRecord(row)).num); // 3n
 * ```
 */
export function encodeRecord(row: LoggedEvent): Uint8Array {
  const wire = encoder.encode(row.wire);
  const bytes = new Uint8Array(headerBytes + wire.length + row.jam.length + 1);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, row.num, true);
  view.setFloat64(8, row.createdAt, true);
  view.setFloat64(16, row.computeMs, true);
  view.setUint32(24, row.stateMug >>> 0, true);
  view.setUint32(28, wire.length, true);
  bytes.set(row.hash, 32);
  bytes.set(wire, headerBytes);
  bytes.set(row.jam, headerBytes + wire.length);
  bytes[bytes.length - 1] = 1;
  return bytes;
}

/** The row a tail record holds; throws a `RangeError` for bytes that are not a record. */
export function decodeRecord(bytes: Uint8Array): LoggedEvent {
  if (bytes.length < headerBytes + 1 || bytes[bytes.length - 1] !== 1) {
    throw new RangeError("a tail record is truncated or lacks its end marker");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wireBytes = view.getUint32(28, true);
  const jamStart = headerBytes + wireBytes;
  if (jamStart > bytes.length - 1) throw new RangeError("a tail record's wire overruns it");
  return {
    num: view.getBigUint64(0, true),
    createdAt: view.getFloat64(8, true),
    computeMs: view.getFloat64(16, true),
    stateMug: view.getUint32(24, true),
    hash: bytes.slice(32, 64),
    wire: decoder.decode(bytes.subarray(headerBytes, jamStart)),
    jam: bytes.slice(jamStart, bytes.length - 1),
  };
}

/**
 * The list `rows` (oldest first) pushed onto `older` (a records list, or null for none):
 * newest first, sharing `older`. A new noun the caller owns.
 */
export function pushRecords(rows: readonly LoggedEvent[], older: Noun | null): Noun {
  let list = older === null ? Noun.atom(0) : older.at(1);
  for (const row of rows) {
    using record = Noun.atom(encodeRecord(row));
    const next = Noun.cell(record, list);
    list.dispose();
    list = next;
  }
  return list;
}

/**
 * The records a PMA root carries, oldest first: none for `[core cold]`, the list of
 * `[core %tail cold records]` otherwise. Throws a `RangeError` for a malformed list.
 */
export function rootRecords(root: Noun): LoggedEvent[] {
  if (!root.isCell) return [];
  using rest = root.tail;
  if (!rest.isCell) return [];
  using tag = rest.head;
  if (!tag.isAtom || tag.toCord() !== stateRootTailTag) return [];
  using list = rest.at(7);
  const rows: LoggedEvent[] = [];
  let item = list.at(1);
  try {
    while (item.isCell) {
      using record = item.head;
      if (!record.isAtom) throw new RangeError("a tail record is a cell");
      rows.push(decodeRecord(record.toBytes()));
      const next = item.tail;
      item.dispose();
      item = next;
    }
  } finally {
    item.dispose();
  }
  return rows.reverse();
}

/** What {@linkcode repairLog} did: the events it appended, or why it appended nothing. */
export interface LogRepair {
  /** First and last event appended (absent when none was). */
  appended?: { from: bigint; to: bigint };
  /** Why the tail could not repair the log, when it could not. */
  problem?: string;
}

/**
 * Append to `log` the events the PMA in `pmaDir` holds in its tail and the log lacks (a power
 * loss took them from the log after the PMA made them durable). The records must connect to
 * the log's last event, be contiguous, match their hashes, and end at the PMA's event with
 * its state's mug; otherwise nothing is appended and the recovery ladder judges the PMA.
 * The PMA is opened and closed again (no sidecar is written).
 */
export function repairLog(pmaDir: string, log: EventLog): LogRepair {
  let pma: Pma;
  try {
    pma = Pma.open(pmaDir, { create: false, sidecar: "off" });
  } catch {
    return {}; // No PMA, or one the ladder will pass over and explain.
  }
  try {
    const last = log.extent().last;
    const event = pma.eventNumber;
    if (event <= last) return {};
    using root = pma.root;
    const missing = missingRows(root, last, event);
    if (typeof missing === "string") return { problem: missing };
    log.appendRows(missing);
    return { appended: { from: missing[0].num, to: event } };
  } catch (error) {
    return { problem: `the PMA's tail could not be read: ${errorText(error)}` };
  } finally {
    pma.close();
  }
}

/** The rows after `last` up to `event` from the root's tail, checked; or why not. */
function missingRows(root: Noun, last: bigint, event: bigint): LoggedEvent[] | string {
  const rows = rootRecords(root).filter((r) => r.num > last);
  if (rows.length === 0) {
    return `the PMA is at event ${event}, past the log (${last}), and carries no records after it`;
  }
  if (rows[0].num !== last + 1n) {
    return `the PMA's tail starts at event ${rows[0].num}, after the log's next (${last + 1n})`;
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.num !== last + 1n + BigInt(i)) {
      return `the PMA's tail skips event ${last + 1n + BigInt(i)}`;
    }
    if (hex(blake3(row.jam)) !== hex(row.hash)) {
      return `the PMA's tail record of event ${row.num} does not match its hash`;
    }
  }
  const end = rows[rows.length - 1];
  if (end.num !== event) {
    return `the PMA's tail ends at event ${end.num}, not at its event ${event}`;
  }
  using core = root.head;
  if ((core.mug >>> 0) !== (end.stateMug >>> 0)) {
    return `the PMA's state mug differs from its tail's record of event ${event}`;
  }
  return rows;
}
