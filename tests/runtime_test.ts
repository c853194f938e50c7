/**
 * The NockApp runtime seen from TypeScript: pokes, peeks, crashes that change nothing, the
 * event log, snapshots, the writer lock, kernel upgrades, and the recovery hierarchy with
 * each artifact of a data directory damaged in turn.
 */

import assert from "node:assert/strict";
import { bootKernel, EventLog, NockError, Noun, Runtime, RuntimeError } from "../mod.ts";
import {
  assertEquals,
  assertThrows,
  defaultKernelUrl,
  hasCorpus,
  hasDefaultKernel,
  kernelTest,
  readCorpus,
  scratchDir,
} from "./_helpers.ts";
import { getNumber, putMany, replayOf, stateOf, withRuntime } from "./_runtime_helpers.ts";

const kvJam = hasDefaultKernel ? Deno.readFileSync(defaultKernelUrl) : new Uint8Array();

function tempDir(): string {
  return scratchDir("cellar-rt-");
}

/** A data directory with `events` puts, snapshots every `snapshotEvery`. */
function dataDir(events: number, snapshotEvery = 0): string {
  const dir = tempDir();
  withRuntime({ dataDir: dir, snapshotEveryEvents: snapshotEvery }, (r) => putMany(r, 0, events));
  return dir;
}

kernelTest("runtime: a new data directory boots the default kernel; pokes and peeks work", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir }, (r) => {
    assertEquals(r.bootReport.level, 0);
    assertEquals(r.eventNumber, 0n);
    using put = Noun.from(["put", "greeting", "hello"]);
    const result = r.poke(put, { wire: "/http" });
    assertEquals(result.eventNumber, 1n);
    assertEquals(result.effects.toString(), Noun.from([["put", "greeting"], 0]).toString());
    result.effects.dispose();
    using incr = Noun.from(["incr", "hits", 5]);
    r.poke(incr).effects.dispose();
    const got = r.peek("/get/greeting");
    assert(got.kind === "value");
    assertEquals(got.value.toCord(), "hello");
    got.value.dispose();
    assertEquals(getNumber(r, "hits"), 5);
    assertEquals(r.peek("/get/nothing").kind, "empty");
    assertEquals(r.peek("/no/such/path").kind, "unknown");
    const row = r.log.get(1n)!;
    assertEquals(row.wire, "/poke/http");
    assertEquals(row.hash.length, 32);
    using state = r.state();
    assertEquals(r.log.get(2n)!.stateMug, state.mug);
  });
  // Reopen: the fast path, no replay, same state.
  withRuntime({ dataDir: dir }, (r) => {
    assertEquals(r.bootReport.level, 1);
    assertEquals(r.bootReport.replayed, 0);
    assertEquals(r.eventNumber, 2n);
    assertEquals(getNumber(r, "hits"), 5);
  });
});

kernelTest("runtime: a poke that crashes changes nothing and is not logged", () => {
  const dir = dataDir(3);
  withRuntime({ dataDir: dir, pokeLimits: { stepLimit: 2_000_000 } }, (r) => {
    using before = r.state();
    const mug = before.mug;
    using del = Noun.from(["del", "absent"]);
    const error = assertThrows(() => r.poke(del), NockError);
    assertEquals(error.kind, "exit");
    assert(error.trace.some((line) => line.includes("kv-del-absent")), error.trace.join("\n"));
    using bad = Noun.atom(5);
    assertThrows(() => r.poke(bad), NockError);
    // Past the per-poke compute limit: %intr, nothing changes.
    using big = Noun.from(["fill", "x", 1_000_000]);
    assertEquals(assertThrows(() => r.poke(big), NockError).kind, "intr");
    assertEquals(r.eventNumber, 3n);
    assertEquals(r.log.extent().last, 3n);
    using after = r.state();
    assertEquals(after.mug, mug);
    // The runtime keeps working.
    using put = Noun.from(["put", "after", 1]);
    r.poke(put).effects.dispose();
    assertEquals(r.eventNumber, 4n);
  });
});

kernelTest("runtime: one writer per data directory", () => {
  const dir = dataDir(1);
  withRuntime({ dataDir: dir }, () => {
    const error = assertThrows(() => Runtime.open({ dataDir: dir }), RuntimeError);
    assertEquals(error.code, "Locked");
    assert(error.message.includes("in use by another Cellar process"));
  });
});

kernelTest("runtime: snapshots rotate (latest, latest-1) plus an epoch, each verified", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, snapshotEveryEvents: 4, epochEveryEvents: 1000 }, (r) => {
    putMany(r, 0, 14);
    const snaps = r.snapshots();
    assertEquals(snaps.map((s) => [s.kind, s.eventNumber]), [
      ["rotating", 12n],
      ["rotating", 8n],
      ["epoch", 4n],
    ]);
    assert(r.verifySnapshots().every((v) => v.ok));
    const manifest = JSON.parse(
      Deno.readTextFileSync(`${dir}/snapshots/${snaps[0].name}/manifest.json`),
    );
    assertEquals(manifest.eventNumber, "12");
    assertEquals(manifest.blake3.length, 64);
    assertEquals(manifest.kernelHash, r.kernelHash);
  });
});

/** Each damage case: a directory with 40 events, snapshots every 10. */
function damaged(damage: (dir: string) => void): {
  dir: string;
  error?: RuntimeError;
  level?: number;
  report?: string;
} {
  const dir = dataDir(40, 10);
  damage(dir);
  try {
    return withRuntime({ dataDir: dir }, (r) => ({
      dir,
      level: r.bootReport.level,
      report: JSON.stringify(r.bootReport, (_k, v) => typeof v === "bigint" ? String(v) : v),
    }));
  } catch (error) {
    if (error instanceof RuntimeError) return { dir, error };
    throw error;
  }
}

function slabFile(dir: string): string {
  const names = [...Deno.readDirSync(`${dir}/pma`)].map((e) => e.name);
  const slab = names.find((n) => n === "0.pma") ?? names.find((n) => n === "1.pma");
  assert(slab, `no slab in ${names}`);
  return `${dir}/pma/${slab}`;
}

function assertRecovered(result: ReturnType<typeof damaged>, level: number, events = 40n) {
  assert(result.error === undefined, result.error?.message);
  assertEquals(result.level, level, result.report);
  const now = stateOf(result.dir);
  assertEquals(now.event, events);
  assertEquals(now.level, 1, "the recovered state is committed: the next boot is the fast path");
  assertEquals(now.mug, replayOf(result.dir).mug, "the state equals a replay of the log");
}

kernelTest("recovery: the pma.meta sidecar deleted: the PMA still boots (level 1)", () => {
  const r = damaged((dir) => Deno.removeSync(`${dir}/pma/pma.meta`));
  assertRecovered(r, 1);
});

kernelTest("recovery: a sidecar from an older event does not fool the boot", () => {
  const dir = dataDir(5);
  const old = Deno.readFileSync(`${dir}/pma/pma.meta`);
  withRuntime({ dataDir: dir }, (r) => putMany(r, 5, 35));
  Deno.writeFileSync(`${dir}/pma/pma.meta`, old);
  const level = withRuntime({ dataDir: dir }, (r) => r.bootReport.level);
  assertEquals(level, 1);
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("recovery: a slab from an older event (PMA behind the log) → newest snapshot", () => {
  const r = damaged((dir) => {
    // Put back the slab as it was at event 40 - 7 = 33: take it from a copy made then.
    const copy = tempDir();
    withRuntime({ dataDir: copy, snapshotEveryEvents: 10 }, (rt) => putMany(rt, 0, 33));
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    Deno.renameSync(`${copy}/pma`, `${dir}/pma`);
  });
  assertRecovered(r, 2);
  assert(r.report!.includes("behind the log"), r.report);
});

kernelTest("recovery: a truncated slab → newest snapshot and replay", () => {
  const r = damaged((dir) => Deno.truncateSync(slabFile(dir), 20_000));
  assertRecovered(r, 2);
  assert(r.report!.includes("cannot be opened"), r.report);
});

kernelTest("recovery: flipped bytes in the slab's last commit → newest snapshot", () => {
  const r = damaged((dir) => {
    const path = slabFile(dir);
    const bytes = Deno.readFileSync(path);
    // Flip bytes in both meta slots: neither commit record checks out.
    bytes[100] ^= 0xff;
    bytes[4096 + 100] ^= 0xff;
    Deno.writeFileSync(path, bytes);
  });
  assertRecovered(r, 2);
});

kernelTest("recovery: the latest snapshot corrupted → the older one (level 3)", () => {
  const r = damaged((dir) => {
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    const names = [...Deno.readDirSync(`${dir}/snapshots`)].map((e) => e.name).sort();
    const latest = names[names.length - 1];
    const path = `${dir}/snapshots/${latest}/slab`;
    const bytes = Deno.readFileSync(path);
    bytes[bytes.length - 1] ^= 1;
    Deno.writeFileSync(path, bytes);
  });
  assertRecovered(r, 3);
  assert(r.report!.includes("blake3"), r.report);
});

kernelTest("recovery: every snapshot gone and no PMA → full replay (level 4)", () => {
  const r = damaged((dir) => {
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    Deno.removeSync(`${dir}/snapshots`, { recursive: true });
  });
  assertRecovered(r, 4);
});

kernelTest("recovery: a gap in the log that no state covers → refusal naming the event", () => {
  const r = damaged((dir) => {
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    Deno.removeSync(`${dir}/snapshots`, { recursive: true });
    const log = EventLog.open(`${dir}/log.sqlite`);
    log.exec("DELETE FROM events WHERE num = 17");
    log.close();
  });
  assert(r.error !== undefined);
  assertEquals(r.error.code, "Refused");
  assert(r.error.message.includes("missing event 17"), r.error.message);
  // Nothing was changed: the log still has its 39 rows.
  const log = EventLog.open(`${r.dir}/log.sqlite`);
  assertEquals(log.extent().count, 39n);
  log.close();
});

kernelTest("recovery: a gap before a snapshot is covered by it (with a warning)", () => {
  const r = damaged((dir) => {
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    const log = EventLog.open(`${dir}/log.sqlite`);
    log.exec("DELETE FROM events WHERE num = 3");
    log.close();
  });
  assert(r.error === undefined, r.error?.message);
  assertEquals(r.level, 2);
  assert(r.report!.includes("missing event 3"), r.report);
});

kernelTest("recovery: a PMA ahead of the log → refusal naming both events and files", () => {
  const r = damaged((dir) => {
    const log = EventLog.open(`${dir}/log.sqlite`);
    log.exec("DELETE FROM events WHERE num = 40");
    log.close();
  });
  // The log lost answered event 40 (the PMA and the newest snapshot hold it): booting from
  // the log would drop it silently, so the boot is refused and nothing is moved.
  assert(r.error !== undefined, r.report);
  assertEquals(r.error.code, "Refused");
  const m = r.error.message;
  assert(m.includes(`the PMA ${r.dir}/pma/`) && m.includes("is at event 40"), m);
  assert(m.includes(`log ${r.dir}/log.sqlite ends at event 39`), m);
  assert(m.includes("cellar recover --trust-pma"), m);
  assertEquals([...Deno.readDirSync(r.dir)].some((e) => e.name === "quarantine"), false);
});

kernelTest("recovery: the log replaced by an empty one → refusal", () => {
  const r = damaged((dir) => {
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        Deno.removeSync(`${dir}/log.sqlite${suffix}`);
      } catch { /* absent */ }
    }
  });
  assert(r.error !== undefined);
  assertEquals(r.error.code, "Refused");
});

kernelTest("recovery: an interrupted replay keeps its progress", () => {
  const dir = dataDir(300);
  Deno.removeSync(`${dir}/pma`, { recursive: true });
  const controller = new AbortController();
  const error = assertThrows(
    () =>
      Runtime.open({
        dataDir: dir,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 1) controller.abort();
        },
      }),
    RuntimeError,
  );
  assertEquals(error.code, "Interrupted");
  const report = withRuntime({ dataDir: dir }, (r) => r.bootReport);
  assertEquals(report.level, 2);
  assert(report.replayed < 300, `replayed ${report.replayed}`);
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

/** kv.jam's trap with a no-op wrapper: another kernel hash, the same behaviour. */
function relabelledKernel(): Uint8Array {
  using trap = Noun.cue(kvJam);
  using formula = trap.head;
  using eve = trap.tail;
  using wrapped = Noun.from([[7, [0, 1], formula], eve]);
  return wrapped.jam();
}

/** A kernel whose load arm crashes: kv's core with `[0 0]` as its arm at axis 4. */
function crashingLoadKernel(): Uint8Array {
  using real = bootKernel(kvJam);
  using battery = real.head;
  using rest = battery.tail;
  using payload = real.tail;
  using crashing = Noun.from([[[0, 0], rest], payload]);
  using trap = Noun.from([[1, crashing], 0]);
  return trap.jam();
}

kernelTest("runtime: a kernel upgrade runs the new load arm; replay applies it in order", () => {
  const dir = dataDir(10);
  const other = relabelledKernel();
  const first = withRuntime({ dataDir: dir, kernel: other }, (r) => {
    assert(r.bootReport.upgradedKernel, "upgraded");
    putMany(r, 10, 5);
    return r.kernelHash;
  });
  withRuntime({ dataDir: dir }, (r) => {
    assertEquals(r.bootReport.level, 1);
    assertEquals(r.kernelHash, first);
    assertEquals(r.log.kernels().map((k) => k.installedAfter), [0n, 10n]);
    assertEquals(getNumber(r, "k12"), 12);
  });
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("runtime: an upgrade whose load crashes keeps the old kernel and state", () => {
  const dir = dataDir(5);
  const before = stateOf(dir);
  const error = assertThrows(
    () => Runtime.open({ dataDir: dir, kernel: crashingLoadKernel() }),
    RuntimeError,
  );
  assertEquals(error.code, "UpgradeFailed");
  const after = stateOf(dir);
  assertEquals(after, { ...before, level: 1 });
  const log = EventLog.open(`${dir}/log.sqlite`);
  assertEquals(log.kernels().length, 1);
  log.close();
});

kernelTest({
  name: "runtime: test-ker.jam: boot, %inc N times, peek, restart by the fast path",
  ignore: !hasCorpus,
  fn() {
    const kernel = readCorpus("kernels/test-ker.jam");
    const dir = tempDir();
    const n = 25;
    withRuntime({ dataDir: dir, kernel }, (r) => {
      using inc = Noun.from("inc");
      for (let i = 0; i < n; i++) r.poke(inc).effects.dispose();
      const s = r.peek("/state");
      assert(s.kind === "value");
      assertEquals(s.value.toString(), `[0 ${n}]`);
      s.value.dispose();
    });
    withRuntime({ dataDir: dir }, (r) => {
      assertEquals(r.bootReport.level, 1);
      assertEquals(r.bootReport.replayed, 0);
      assertEquals(r.eventNumber, BigInt(n));
      const s = r.peek("/state");
      assert(s.kind === "value");
      assertEquals(s.value.toString(), `[0 ${n}]`);
      s.value.dispose();
    });
    assertEquals(stateOf(dir).mug, replayOf(dir).mug);
  },
});
