/**
 * The recovery ladder as data (src/runtime/recovery.ts): the table of levels, boot reports
 * built from its entries, notes of a level that booted, replay progress, and what happens
 * after the ladder (a kernel upgrade that fails after a replay). The damage cases of each
 * level are in runtime_test.ts.
 */

import assert from "node:assert/strict";
import { bootKernel, EventLog, interrupt, NockError, Noun, Runtime, RuntimeError } from "../mod.ts";
import type { BootReport, ReplayProgress } from "../mod.ts";
import { recoveryLevels, recoveryRefusals } from "../src/runtime/recovery.ts";
import {
  assertEquals,
  assertThrows,
  defaultKernelUrl,
  kernelTest,
  scratchDir,
} from "./_helpers.ts";
import { putMany, replayOf, stateOf, withRuntime } from "./_runtime_helpers.ts";

function tempDir(): string {
  return scratchDir("cellar-recovery-");
}

function bootOf(dir: string, options: { onProgress?: (p: ReplayProgress) => void } = {}) {
  return withRuntime({ dataDir: dir, snapshotEveryEvents: 0, ...options }, (r) => r.bootReport);
}

/** The report's level and name are its table entry's. */
function assertFromTable(report: BootReport, level: number): void {
  assertEquals(report.level, level, JSON.stringify(report, (_k, v) => String(v)));
  const entry = recoveryLevels.find((l) => l.level === level)!;
  assertEquals(report.name, entry.name);
}

Deno.test("recovery: the ladder is levels 0 to 4 in order, each saying what it tries", () => {
  assertEquals(recoveryLevels.map((l) => [l.level, l.name, l.label]), [
    [0, "new", "new"],
    [1, "pma", "pma"],
    [2, "snapshot", "snapshots"],
    [3, "older-snapshot", "older snapshots"],
    [4, "full-replay", "full replay"],
  ]);
  for (const level of recoveryLevels) {
    assert(level.tries.length > 20 && !level.tries.endsWith("."), level.tries);
    assertEquals(typeof level.attempt, "function");
  }
});

kernelTest("recovery: each boot is reported by the level that booted, from the table", () => {
  const dir = tempDir();
  const first = withRuntime({ dataDir: dir, snapshotEveryEvents: 5 }, (r) => {
    putMany(r, 0, 12);
    return r.bootReport;
  });
  assertFromTable(first, 0);
  assertEquals(first.skipped, []);
  assertFromTable(bootOf(dir), 1);

  Deno.removeSync(`${dir}/pma`, { recursive: true });
  const fromSnapshot = bootOf(dir);
  assertFromTable(fromSnapshot, 2);
  assertEquals(fromSnapshot.skipped, [{ level: 1, name: "pma", reason: "there is no PMA" }]);
  assertEquals(fromSnapshot.snapshot, "000000000010-rotating");
  assertEquals(fromSnapshot.replayed, 2);

  Deno.removeSync(`${dir}/pma`, { recursive: true });
  Deno.removeSync(`${dir}/snapshots`, { recursive: true });
  const full = bootOf(dir);
  assertFromTable(full, 4);
  assertEquals(full.skipped, [
    { level: 1, name: "pma", reason: "there is no PMA" },
    { level: 2, name: "snapshots", reason: "there are none" },
  ]);
  assertEquals(full.replayed, 12);
  assertEquals(full.eventNumber, 12n);
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("recovery: an unreadable manifest is noted at level 2, which still boots", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, snapshotEveryEvents: 5 }, (r) => putMany(r, 0, 12));
  Deno.removeSync(`${dir}/pma`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/snapshots/000000000010-rotating/manifest.json`, "{");
  const report = bootOf(dir);
  assertFromTable(report, 2);
  assertEquals(report.snapshot, "000000000005-epoch");
  assertEquals(report.replayed, 7);
  assertEquals(report.skipped, [
    { level: 1, name: "pma", reason: "there is no PMA" },
    {
      level: 2,
      name: "snapshot 000000000010-rotating",
      reason: "its manifest is missing or unreadable",
    },
  ]);
});

kernelTest("recovery: a replay reports its progress, first and last event included", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, snapshotEveryEvents: 0 }, (r) => putMany(r, 0, 30));
  Deno.removeSync(`${dir}/pma`, { recursive: true });
  const seen: ReplayProgress[] = [];
  const report = bootOf(dir, { onProgress: (p) => seen.push(p) });
  assertFromTable(report, 4);
  assertEquals(report.replayed, 30);
  assert(seen.length >= 2, `${seen.length} progress reports`);
  assertEquals([seen[0].done, seen[0].total, seen[0].eventNumber], [1, 30, 1n]);
  const last = seen[seen.length - 1];
  assertEquals([last.done, last.total, last.eventNumber], [30, 30, 30n]);
  for (let i = 1; i < seen.length; i++) {
    assert(seen[i].done > seen[i - 1].done && seen[i].elapsedMs >= seen[i - 1].elapsedMs);
  }
  // The replayed state was kept as a snapshot: the next boot needs no replay.
  assertFromTable(bootOf(dir), 1);
  assertEquals(withRuntime({ dataDir: dir }, (r) => r.snapshots().length), 1);
});

/** A kernel whose load arm crashes: the default kernel's core with `[0 0]` at axis 4. */
function crashingLoadKernel(): Uint8Array {
  using real = bootKernel(Deno.readFileSync(defaultKernelUrl));
  using battery = real.head;
  using rest = battery.tail;
  using payload = real.tail;
  using crashing = Noun.from([[[0, 0], rest], payload]);
  using trap = Noun.from([[1, crashing], 0]);
  return trap.jam();
}

kernelTest(
  "recovery: an upgrade that fails after a replay is UpgradeFailed; the state is kept",
  () => {
    const dir = tempDir();
    withRuntime({ dataDir: dir, snapshotEveryEvents: 0 }, (r) => putMany(r, 0, 8));
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    const error = assertThrows(
      () => Runtime.open({ dataDir: dir, kernel: crashingLoadKernel() }),
      RuntimeError,
    );
    assertEquals(error.code, "UpgradeFailed");
    assert(error.message.includes("keeps kernel"), error.message);
    // The replay before it was committed: the next boot is the fast path, old kernel.
    const after = stateOf(dir);
    assertEquals(after, { ...replayOf(dir), level: 1 });
    assertEquals(after.event, 8n);
    const log = EventLog.open(`${dir}/log.sqlite`);
    assertEquals(log.kernels().length, 1);
    log.close();
  },
);

kernelTest(
  "recovery: a replay runs logged events with no compute limit (a lower one now boots)",
  () => {
    const dir = tempDir();
    withRuntime({ dataDir: dir, snapshotEveryEvents: 0 }, (r) => {
      putMany(r, 0, 2);
      using slow = Noun.from(["fill", "f", 1000]);
      r.poke(slow).effects.dispose();
      putMany(r, 2, 2);
    });
    const expected = replayOf(dir);
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    // Far below what event 3 needs, in steps and in time: the live limits are not applied.
    const limits = { stepLimit: 1000, timeoutMs: 1 };
    const report = withRuntime(
      { dataDir: dir, snapshotEveryEvents: 0, pokeLimits: limits },
      (r) => r.bootReport,
    );
    assertFromTable(report, 4);
    assertEquals(report.replayed, 5);
    assertEquals(stateOf(dir), { ...expected, level: 1 });
    // The live limit still holds for new pokes.
    withRuntime({ dataDir: dir, pokeLimits: limits }, (r) => {
      using slow = Noun.from(["fill", "g", 1000]);
      assertThrows(() => r.poke(slow), NockError);
      assertEquals(r.eventNumber, 5n);
    });
  },
);

kernelTest(
  "recovery: an interrupt stops a replay inside a long event; the next boot goes on",
  async () => {
    const dir = tempDir();
    withRuntime({ dataDir: dir, snapshotEveryEvents: 0 }, (r) => {
      putMany(r, 0, 3);
      // About 1.3 s on a quiet machine since the map jets (12,000 entries took 0.2 s, so
      // short that a busy machine's test thread could miss it).
      using slow = Noun.from(["fill", "f", 100_000]);
      r.poke(slow).effects.dispose();
      putMany(r, 3, 1);
    });
    const expected = replayOf(dir);
    Deno.removeSync(`${dir}/pma`, { recursive: true });
    const worker = new Worker(new URL("./_replay_worker.ts", import.meta.url), {
      type: "module",
    });
    const abort = new SharedArrayBuffer(4);
    const replies: Record<string, unknown>[] = [];
    const finished = new Promise<Record<string, unknown>>((resolve) => {
      worker.onmessage = (e) => {
        replies.push(e.data);
        if ("code" in e.data) resolve(e.data);
      };
    });
    try {
      worker.postMessage({ dataDir: dir, abort });
      // Once event 1 is replayed, events 2 and 3 take milliseconds; event 4 (the fill) more
      // than a second.
      while (!replies.some((m) => "done" in m)) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 300));
      Atomics.store(new Int32Array(abort), 0, 1);
      assert(interrupt(replies[0].id as number), "the Worker's machine is known");
      const result = await finished;
      assertEquals(result.code, "Interrupted", String(result.message));
      const message = String(result.message);
      assert(message.includes("Replay interrupted at event 3 of 5"), message);
    } finally {
      worker.terminate();
    }
    // The three events replayed before the interrupt were kept as a snapshot.
    const report = bootOf(dir);
    assertFromTable(report, 2);
    assertEquals(report.replayed, 2);
    assertEquals(stateOf(dir), { ...expected, level: 1 });
  },
);

Deno.test("recovery: the refusals are a table, each saying what it detects", () => {
  assertEquals(recoveryRefusals.map((r) => r.name), ["log-lost-tail"]);
  for (const refusal of recoveryRefusals) {
    assert(refusal.detects.length > 20 && !refusal.detects.endsWith("."), refusal.detects);
    assertEquals(typeof refusal.check, "function");
  }
});
