/**
 * The SQLite event log (src/runtime/event_log.ts) on real files: appends read back with
 * their hashes, damaged rows and kernels detected, the schema version and the integrity
 * check enforced at open, gaps found, and everything still there after a reopen.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { EventLog, EventLogError, logSchemaVersion } from "../mod.ts";
import { blake3, hex } from "../src/runtime/files.ts";
import { assertEquals, assertThrows, scratchDir } from "./_helpers.ts";

function logPath(): string {
  return `${scratchDir("cellar-log-")}/log.sqlite`;
}

/** The jam stored for event `n` in these tests: `n + 1` bytes, each `n`. */
function jamOf(n: number): Uint8Array {
  return new Uint8Array(n + 1).fill(n & 0xff);
}

/** A log at `path` with events 1..count (state mug of event n: 1000 + n). */
function fill(path: string, count: number): EventLog {
  const log = EventLog.open(path);
  for (let n = 1; n <= count; n++) log.append(BigInt(n), jamOf(n), `/poke/e${n}`, n / 2, 1000 + n);
  return log;
}

function withLog<T>(path: string, fn: (log: EventLog) => T): T {
  const log = EventLog.open(path);
  try {
    return fn(log);
  } finally {
    log.close();
  }
}

Deno.test("event log: a new log is empty, in WAL mode, at the current schema version", () => {
  const path = logPath();
  withLog(path, (log) => {
    assertEquals(log.extent(), { last: 0n, first: 0n, count: 0n });
    assertEquals(log.kernels(), []);
    assertEquals(log.get(1n), null);
    assertEquals([...log.range(1n, 10n)], []);
    assertEquals(log.firstGap(1n, 0n), null);
  });
  const db = new DatabaseSync(path);
  try {
    const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    assertEquals(mode.journal_mode, "wal");
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as {
      value: string;
    };
    assertEquals(version.value, String(logSchemaVersion));
  } finally {
    db.close();
  }
});

Deno.test("event log: appended events read back with their blake3, in order and by number", () => {
  const path = logPath();
  const log = fill(path, 7);
  try {
    assertEquals(log.extent(), { last: 7n, first: 1n, count: 7n });
    const three = log.get(3n)!;
    assertEquals(three.num, 3n);
    assertEquals(three.jam, jamOf(3));
    assertEquals(hex(three.hash), hex(blake3(jamOf(3))));
    assertEquals(three.wire, "/poke/e3");
    assertEquals(three.computeMs, 1.5);
    assertEquals(three.stateMug, 1003);
    assert(Math.abs(three.createdAt - Date.now()) < 60_000, `createdAt ${three.createdAt}`);
    // Batches of 2 cross their boundaries without losing or repeating a row.
    const nums = [...log.range(2n, 6n, 2)].map((e) => e.num);
    assertEquals(nums, [2n, 3n, 4n, 5n, 6n]);
    assertEquals([...log.range(6n, 100n)].map((e) => e.num), [6n, 7n]);
    assertEquals(log.get(8n), null);
  } finally {
    log.close();
  }
});

Deno.test("event log: a number is accepted once", () => {
  const log = fill(logPath(), 2);
  try {
    assertThrows(() => log.append(2n, jamOf(9), "/poke/x", 0, 0), Error, "UNIQUE");
    assertEquals(log.extent().count, 2n);
    assertEquals(log.get(2n)!.jam, jamOf(2));
  } finally {
    log.close();
  }
});

Deno.test("event log: a row whose bytes do not match its hash is reported as damaged", () => {
  const log = fill(logPath(), 5);
  try {
    log.exec("UPDATE events SET jam = x'0102' WHERE num = 4");
    assertEquals(log.get(3n)!.num, 3n);
    assertThrows(() => log.get(4n), EventLogError, "Event 4 in the log is damaged");
    const seen: bigint[] = [];
    assertThrows(() => {
      for (const e of log.range(1n, 5n)) seen.push(e.num);
    }, EventLogError);
    assertEquals(seen, [1n, 2n, 3n]);
  } finally {
    log.close();
  }
});

Deno.test("event log: firstGap finds the first missing event in a range", () => {
  const log = fill(logPath(), 10);
  try {
    assertEquals(log.firstGap(1n, 10n), null);
    assertEquals(log.firstGap(1n, 11n), 11n);
    log.exec("DELETE FROM events WHERE num IN (4, 5, 8)");
    assertEquals(log.firstGap(1n, 10n), 4n);
    assertEquals(log.firstGap(5n, 10n), 5n);
    assertEquals(log.firstGap(6n, 10n), 8n);
    assertEquals(log.firstGap(9n, 10n), null);
    assertEquals(log.firstGap(6n, 7n), null);
    assertEquals(log.extent(), { last: 10n, first: 1n, count: 7n });
    log.exec("DELETE FROM events WHERE num = 1");
    assertEquals(log.firstGap(1n, 3n), 1n);
  } finally {
    log.close();
  }
});

Deno.test("event log: kernels are kept in order with their jams, checked on read", () => {
  const log = EventLog.open(logPath());
  try {
    const boot = log.addKernel(new Uint8Array([1, 2, 3]), 0n);
    const upgrade = log.addKernel(new Uint8Array([4, 5]), 12n);
    assertEquals([boot.id, upgrade.id], [1, 2]);
    const kernels = log.kernels();
    assertEquals(kernels.map((k) => [k.id, k.installedAfter]), [[1, 0n], [2, 12n]]);
    assertEquals(hex(kernels[1].hash), hex(blake3(new Uint8Array([4, 5]))));
    assertEquals(log.kernelJam(1), new Uint8Array([1, 2, 3]));
    assertThrows(() => log.kernelJam(3), EventLogError, "Kernel 3 is missing");
    log.exec("UPDATE kernels SET jam = x'09' WHERE id = 2");
    assertThrows(() => log.kernelJam(2), EventLogError, "Kernel 2 in the log is damaged");
  } finally {
    log.close();
  }
});

Deno.test("event log: everything is there after a reopen; the WAL checkpoints", () => {
  const path = logPath();
  const log = fill(path, 20);
  log.addKernel(new Uint8Array([7]), 0n);
  assert(Deno.statSync(`${path}-wal`).size > 0, "appends go to the WAL first");
  assert(log.sizeBytes() >= Deno.statSync(path).size + Deno.statSync(`${path}-wal`).size);
  log.checkpoint();
  assertEquals(Deno.statSync(`${path}-wal`).size, 0);
  log.close();
  withLog(path, (again) => {
    assertEquals(again.extent(), { last: 20n, first: 1n, count: 20n });
    assertEquals(again.get(20n)!.jam, jamOf(20));
    assertEquals(again.get(20n)!.stateMug, 1020);
    assertEquals(again.kernels().length, 1);
    again.append(21n, jamOf(21), "/poke/more", 0, 7);
  });
  withLog(path, (again) => assertEquals(again.extent().last, 21n));
});

Deno.test("event log: open with create false needs an existing file", () => {
  const path = logPath();
  assertThrows(() => EventLog.open(path, { create: false }), EventLogError, "No event log at");
  assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
  EventLog.open(path).close();
  EventLog.open(path, { create: false }).close();
});

Deno.test("event log: another schema version is refused", () => {
  const path = logPath();
  withLog(path, (log) => log.exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"));
  const error = assertThrows(() => EventLog.open(path), EventLogError);
  assert(error.message.includes("has schema version 99"), error.message);
  assert(error.message.includes(`reads version ${logSchemaVersion}`), error.message);
});

Deno.test("event log: the integrity check at open finds a damaged page", () => {
  const path = logPath();
  const log = fill(path, 200);
  log.checkpoint();
  log.close();
  const bytes = Deno.readFileSync(path);
  const pageSize = new DataView(bytes.buffer).getUint16(16);
  // A table leaf page (type 13) past the schema page: point its first free block outside it.
  let page = 2;
  while (page * pageSize < bytes.length && bytes[page * pageSize] !== 13) page++;
  assert(page * pageSize < bytes.length, "no table leaf page found");
  bytes[page * pageSize + 1] = 0xff;
  Deno.writeFileSync(path, bytes);
  const error = assertThrows(() => EventLog.open(path), EventLogError);
  assert(error.message.includes("fails its integrity check"), error.message);
  assert(error.message.includes(path), error.message);
});

Deno.test("event log: a file that is not a database is refused with its path", () => {
  const path = logPath();
  Deno.writeTextFileSync(path, "not a database, just text that is long enough ".repeat(100));
  const error = assertThrows(() => EventLog.open(path), EventLogError);
  assert(error.message.includes(path), error.message);
});
