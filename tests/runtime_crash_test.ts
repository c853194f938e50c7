/**
 * Crash tests of the commit protocol (ARCHITECTURE.md 5): a real child process is killed
 * with SIGKILL at each named commit step, inside the PMA commit (native tripwires, SIGABRT),
 * and at random times during a stream of 1000 pokes. After each crash the data directory is
 * reopened: every poke that was answered must be there, and the state must equal a fresh
 * replay of the log.
 */

import assert from "node:assert/strict";
import { assertEquals, kernelTest } from "./_helpers.ts";
import {
  getNumber,
  replayOf,
  runChild,
  stateOf,
  tripwireLibrary,
  withRuntime,
} from "./_runtime_helpers.ts";
import type { ChildRun } from "./_runtime_helpers.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "cellar-crash-" });
}

/** Reopen `dir` and check that nothing answered was lost and the state equals a replay. */
function checkAfterCrash(dir: string, run: ChildRun, label: string): void {
  assert(run.code !== 0 || run.signal !== null, `${label}: the child was meant to crash`);
  const last = run.answered.at(-1)?.event ?? 0n;
  withRuntime({ dataDir: dir }, (r) => {
    assert(r.eventNumber >= last, `${label}: event ${r.eventNumber} < answered ${last}`);
    for (const { key } of run.answered) {
      assertEquals(getNumber(r, key), Number(key.slice(1)), `${label}: ${key} lost`);
    }
    assertEquals(r.log.extent().last, r.eventNumber, `${label}: state and log disagree`);
  });
  const now = stateOf(dir);
  const replay = replayOf(dir);
  assertEquals(now.event, replay.event, `${label}: event`);
  assertEquals(now.mug, replay.mug, `${label}: the state differs from a replay of the log`);
}

const steps = ["computed", "logged", "committed", "answered"] as const;

for (const step of steps) {
  kernelTest(`crash: SIGKILL at commit step '${step}' of event 30`, async () => {
    const dir = tempDir();
    const run = await runChild(dir, 0, 60, { crashStep: step, crashEvent: 30 });
    assertEquals(run.signal, "SIGKILL", run.stderr);
    assertEquals(run.answered.length, step === "answered" ? 30 : 29);
    checkAfterCrash(dir, run, step);
    // The data directory keeps working after recovery.
    const more = await runChild(dir, 100, 5);
    assertEquals(more.code, 0, more.stderr);
    assertEquals(more.answered.length, 5);
  });
}

kernelTest("crash: SIGKILL while a snapshot is being written", async () => {
  const dir = tempDir();
  const run = await runChild(dir, 0, 60, {
    crashStep: "snapshot-written",
    crashEvent: 20,
    snapshotEvery: 10,
  });
  assertEquals(run.signal, "SIGKILL", run.stderr);
  checkAfterCrash(dir, run, "snapshot-written");
});

// Native crash points inside the PMA commit of event 25 (the boot commit of event 0 is the
// first hit, so event N is hit N+1).
for (const point of ["pma.commit.after_copy", "pma.commit.after_slot", "pma.commit.after_sync"]) {
  kernelTest(`crash: abort inside the PMA commit (${point}) of event 25`, async () => {
    const dir = tempDir();
    const env = { CELLAR_TRIPWIRE: `${point}@26`, CELLAR_LIB: tripwireLibrary };
    const run = await runChild(dir, 0, 50, { env });
    assertEquals(run.signal, "SIGABRT", run.stderr);
    assert(run.stderr.includes(`tripwire ${point}`), run.stderr);
    assertEquals(run.answered.length, 24);
    checkAfterCrash(dir, run, point);
  });
}

kernelTest("crash: the release library ignores CELLAR_TRIPWIRE", async () => {
  const dir = tempDir();
  const run = await runChild(dir, 0, 5, { env: { CELLAR_TRIPWIRE: "pma.commit.after_copy" } });
  assertEquals(run.code, 0, run.stderr);
  assertEquals(run.answered.length, 5);
});

kernelTest("crash: SIGKILL at random times during a stream of 1000 pokes", async () => {
  const dir = tempDir();
  let from = 0;
  // Kill up to three times at random moments, then let a last run finish the stream.
  let kills = 0;
  for (let round = 0; round < 3 && from < 1000; round++) {
    const killAfterMs = 250 + Math.floor(Math.random() * 600);
    const run = await runChild(dir, from, 1000 - from, { killAfterMs, snapshotEvery: 97 });
    if (run.code !== 0) {
      kills++;
      checkAfterCrash(dir, run, `random kill ${round} after ${killAfterMs} ms`);
    }
    from = Number(stateOf(dir).event);
  }
  assert(kills > 0, "at least one run was killed mid-stream");
  if (from < 1000) {
    const rest = await runChild(dir, from, 1000 - from);
    assertEquals(rest.code, 0, rest.stderr);
  }
  withRuntime({ dataDir: dir }, (r) => {
    assertEquals(r.eventNumber, 1000n);
    for (const i of [0, 1, 499, 998, 999]) assertEquals(getNumber(r, `k${i}`), i);
  });
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});
