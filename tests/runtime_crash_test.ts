/**
 * Crash tests of the commit protocol (docs/DESIGN.md, "The commit protocol"): a real child
 * process is killed with SIGKILL at each named commit step, of single pokes and of groups,
 * inside the PMA commit (native tripwires, SIGABRT), and at random times during a stream of
 * 1000 pokes (one at a time, and from concurrent `pokeAsync` loops). After each crash the data
 * directory is reopened: every poke that was answered must be there, none the kernel crashed
 * on, and the state must equal a fresh replay of the log. A power loss is played by deleting
 * the rows the log had not synced: the open must put them back from the PMA's tail.
 */

import assert from "node:assert/strict";
import { assertEquals, kernelTest, scratchDir } from "./_helpers.ts";
import { Pma } from "../mod.ts";
import { EventLog } from "../mod.ts";
import { rootRecords } from "../src/runtime/log_tail.ts";
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
  return scratchDir("cellar-crash-");
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
    for (const key of run.crashed) {
      assertEquals(getNumber(r, key), null, `${label}: ${key} crashed yet left a trace`);
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
    const killAfterAnswers = 20 + Math.floor(Math.random() * 250);
    const run = await runChild(dir, from, 1000 - from, { killAfterAnswers, snapshotEvery: 97 });
    if (run.code !== 0) {
      kills++;
      checkAfterCrash(dir, run, `random kill ${round} after ${killAfterAnswers} answers`);
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

// Groups of 8 (events 25..32 form the fourth); SIGKILL at each step of the group that holds
// the event named, through CELLAR_CRASH_AT. `kept` is the event the directory then stands at.
const groupSteps = [
  { step: "computed", event: 25, answered: 24, kept: 24n }, // the group's first event computed
  { step: "logged", event: 28, answered: 24, kept: 24n }, // some of its rows staged
  { step: "group-logged", event: 30, answered: 24, kept: 24n },
  { step: "committed", event: 30, answered: 24, kept: 32n }, // durable, not yet answered
  { step: "log-committed", event: 30, answered: 24, kept: 32n },
] as const;

for (const { step, event, answered, kept } of groupSteps) {
  kernelTest(
    `crash: SIGKILL at group step '${step}' (event ${event} of a group of 8)`,
    async () => {
      const dir = tempDir();
      const run = await runChild(dir, 0, 60, {
        args: ["--group", "8"],
        env: { CELLAR_CRASH_AT: `${step}@${event}` },
      });
      assertEquals(run.signal, "SIGKILL", run.stderr);
      assertEquals(run.answered.length, answered);
      checkAfterCrash(dir, run, step);
      assertEquals(stateOf(dir).event, kept, `${step}: the directory keeps what was durable`);
      const more = await runChild(dir, 100, 5, { args: ["--group", "3"] });
      assertEquals(more.code, 0, more.stderr);
      assertEquals(more.answered.length, 5);
    },
  );
}

kernelTest("crash: SIGKILL once a group's answers are out (group of 8)", async () => {
  const dir = tempDir();
  const run = await runChild(dir, 0, 60, {
    crashStep: "answered",
    crashEvent: 30,
    args: ["--group", "8"],
  });
  assertEquals(run.signal, "SIGKILL", run.stderr);
  assertEquals(run.answered.length, 32);
  checkAfterCrash(dir, run, "answered");
});

kernelTest("crash: a poke the kernel crashes on inside a group leaves no trace", async () => {
  const dir = tempDir();
  const run = await runChild(dir, 0, 40, {
    args: ["--group", "8", "--bad-every", "5"],
    env: { CELLAR_CRASH_AT: "committed@30" },
  });
  assertEquals(run.signal, "SIGKILL", run.stderr);
  assert(run.crashed.length >= 4, `crashed: ${run.crashed}`);
  checkAfterCrash(dir, run, "bad pokes in groups");
});

/** The rows the log had not synced, as the PMA's tail holds them: first and last number. */
function tailRange(dir: string): { from: bigint; to: bigint } | null {
  using pma = Pma.open(`${dir}/pma`, { readOnly: true });
  using root = pma.root;
  const rows = rootRecords(root);
  return rows.length === 0 ? null : { from: rows[0].num, to: rows[rows.length - 1].num };
}

for (const step of ["committed", "log-committed"] as const) {
  kernelTest(
    `crash: power loss after '${step}': the open repairs the log from the PMA`,
    async () => {
      const dir = tempDir();
      const run = await runChild(dir, 0, 60, {
        args: ["--group", "8"],
        env: { CELLAR_CRASH_AT: `${step}@30` },
      });
      assertEquals(run.signal, "SIGKILL", run.stderr);
      // A power loss keeps the synced log and may drop every row after it: drop them all.
      const tail = tailRange(dir);
      assert(tail !== null && tail.to === 32n, `tail ${JSON.stringify(tail, bigints)}`);
      const log = EventLog.open(`${dir}/log.sqlite`);
      log.exec(`DELETE FROM events WHERE num >= ${tail.from}`);
      log.close();
      withRuntime({ dataDir: dir }, (r) => {
        assertEquals(r.bootReport.level, 1, r.bootReport.detail);
        assert(r.bootReport.warnings.some((w) => w.startsWith("Repaired the log")));
        assertEquals(r.status().commit.repaired, { from: tail.from, to: 32n });
      });
      checkAfterCrash(dir, run, `power loss after ${step}`);
    },
  );
}

kernelTest("crash: SIGKILL at random times during pokes from 16 pokeAsync loops", async () => {
  const dir = tempDir();
  let from = 0;
  let kills = 0;
  for (let round = 0; round < 3 && from < 1000; round++) {
    const killAfterAnswers = 20 + Math.floor(Math.random() * 250);
    const run = await runChild(dir, from, 1000 - from, {
      killAfterAnswers,
      snapshotEvery: 97,
      args: ["--async", "16", "--bad-every", "11"],
    });
    if (run.code !== 0) {
      kills++;
      checkAfterCrash(dir, run, `random kill ${round} after ${killAfterAnswers} answers`);
    }
    const answered = run.answered.map((a) => Number(a.key.slice(1)));
    from = answered.length === 0 ? from : Math.max(from, ...answered) + 1;
  }
  assert(kills > 0, "at least one run was killed mid-stream");
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}
