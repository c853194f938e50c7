/**
 * Read-only replicas (src/runtime/replica.ts): a replica reads the writer's committed state,
 * moves only when refreshed, follows commits and a PMA GC, and never sees the state of an
 * event whose PMA commit did not finish.
 */

import assert from "node:assert/strict";
import { CellarError, EventLog, Noun, PmaError, Replica, Runtime } from "../mod.ts";
import { assertEquals, assertThrows, kernelTest, scratchDir } from "./_helpers.ts";
import type { ReplicaRequest } from "./_replica_worker.ts";
import { getNumber, putMany, runChild, tripwireLibrary, withRuntime } from "./_runtime_helpers.ts";

function tempDir(): string {
  return scratchDir("cellar-replica-");
}

/** A replica in a Worker; `ask` sends one request and waits for its reply. */
function replicaWorker(): { ask: (r: ReplicaRequest) => Promise<Record<string, unknown>> } & {
  [Symbol.dispose](): void;
} {
  const worker = new Worker(new URL("./_replica_worker.ts", import.meta.url), {
    type: "module",
  });
  const ask = (request: ReplicaRequest) => {
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, unknown>>();
    worker.onmessage = (event) => {
      const reply = event.data as Record<string, unknown>;
      if (reply.error) reject(new Error(JSON.stringify(reply.error)));
      else resolve(reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`Worker failed: ${event.message}`));
    };
    worker.postMessage(request);
    return promise;
  };
  return { ask, [Symbol.dispose]: () => worker.terminate() };
}

kernelTest("replica: reads committed state, moves only on refresh, follows a GC", async () => {
  const dir = tempDir();
  const writer = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
  using replica = replicaWorker();
  try {
    putMany(writer, 0, 5);
    const opened = await replica.ask({ task: "open", dir });
    assertEquals(opened, { event: 5n, kernelHash: writer.kernelHash });
    assertEquals((await replica.ask({ task: "hold", key: "k4" })).value, 4);
    assertEquals((await replica.ask({ task: "get", key: "k5" })).value, null);

    putMany(writer, 5, 5);
    // Until it refreshes, the replica keeps reading the state it has.
    assertEquals(await replica.ask({ task: "get", key: "k7" }), { value: null, event: 5n });
    assertEquals(await replica.ask({ task: "refresh" }), { kind: "advanced", event: 10n });
    assertEquals(await replica.ask({ task: "get", key: "k7" }), { value: 7, event: 10n });
    assertEquals(await replica.ask({ task: "refresh" }), { kind: "unchanged", event: 10n });

    // A poke that crashes commits nothing, so there is nothing new to see.
    using bad = Noun.from(["del", "absent"]);
    assert.throws(() => writer.poke(bad));
    assertEquals(await replica.ask({ task: "refresh" }), { kind: "unchanged", event: 10n });

    // A GC moves the state to the other slab file; the replica switches with it, and a
    // value it peeked before stays valid.
    const before = (await replica.ask({ task: "held" })) as { value: number; mug: number };
    writer.gc();
    assertEquals(await replica.ask({ task: "refresh" }), { kind: "switched", event: 10n });
    assertEquals(await replica.ask({ task: "held" }), before);
    assertEquals((await replica.ask({ task: "get", key: "k9" })).value, 9);
    putMany(writer, 10, 1);
    assertEquals(await replica.ask({ task: "refresh" }), { kind: "advanced", event: 11n });
    assertEquals((await replica.ask({ task: "get", key: "k10" })).value, 10);
  } finally {
    await replica.ask({ task: "close" }).catch(() => {});
    writer.close();
  }
});

/**
 * The writer died while committing event `crashEvent`: after staging its log row, or inside
 * its PMA commit. The log transaction of a group commits only after the PMA's flush
 * (docs/DESIGN.md, "The commit protocol"), so the event is in neither.
 */
const unfinishedCommits = [
  { label: "killed after the log append", crashStep: "logged" },
  { label: "aborted after copying into the slab", env: "pma.commit.after_copy" },
] as const;

for (const c of unfinishedCommits) {
  kernelTest(`replica: never sees an unfinished commit (${c.label})`, async () => {
    const dir = tempDir();
    const crashEvent = 20;
    // Tripwire hits count the boot commit of event 0, so event N is hit N + 1.
    const run = "env" in c
      ? await runChild(dir, 0, 40, {
        env: { CELLAR_TRIPWIRE: `${c.env}@${crashEvent + 1}`, CELLAR_LIB: tripwireLibrary },
      })
      : await runChild(dir, 0, 40, { crashStep: c.crashStep, crashEvent });
    assert(run.code !== 0, run.stderr);
    assertEquals(run.answered.length, crashEvent - 1, run.stderr);
    const log = EventLog.open(`${dir}/log.sqlite`);
    assertEquals(log.extent().last, BigInt(crashEvent - 1), "the staged row was not committed");
    log.close();
    {
      using replica = Replica.open(dir);
      assertEquals(replica.eventNumber, BigInt(crashEvent - 1));
      const seen = replica.peek("/get/k18");
      assert(seen.kind === "value");
      assertEquals(seen.value.toNumber(), 18);
      seen.value.dispose();
      assertEquals(replica.peek("/get/k19").kind, "empty");
    }
    // The writer reopens at the last durable event; the poke made again is event 20, and
    // then the replica sees it.
    withRuntime({ dataDir: dir }, (r) => {
      assertEquals(r.eventNumber, BigInt(crashEvent - 1));
      assertEquals(getNumber(r, "k19"), null);
      putMany(r, 19, 1);
    });
    using replica = Replica.open(dir);
    assertEquals(replica.eventNumber, BigInt(crashEvent));
    const after = replica.peek(["get", "k19"]);
    assert(after.kind === "value");
    assertEquals(after.value.toNumber(), 19);
    after.value.dispose();
  });
}

kernelTest(
  "replica: sees a group once its PMA commit is durable, before the log commits",
  async () => {
    const dir = tempDir();
    const run = await runChild(dir, 0, 40, {
      args: ["--group", "4"],
      env: { CELLAR_CRASH_AT: "committed@20" },
    });
    assertEquals(run.signal, "SIGKILL", run.stderr);
    assertEquals(run.answered.length, 16);
    const log = EventLog.open(`${dir}/log.sqlite`);
    assertEquals(log.extent().last, 16n, "the group's log transaction never committed");
    log.close();
    {
      using replica = Replica.open(dir);
      assertEquals(replica.eventNumber, 20n, "the group is durable in the PMA");
    }
    // The writer's open puts the group's rows back into the log from the PMA's tail.
    withRuntime({ dataDir: dir }, (r) => {
      assertEquals(r.eventNumber, 20n);
      assertEquals(r.log.extent().last, 20n);
      assertEquals(getNumber(r, "k19"), 19);
    });
  },
);

kernelTest("replica: a closed replica refuses to peek", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir }, (r) => putMany(r, 0, 1));
  const replica = Replica.open(dir);
  assertEquals(replica.eventNumber, 1n);
  replica.close();
  assertThrows(() => replica.peek("/get/k0"), CellarError, "The replica is closed");
  assertThrows(() => replica.refresh(), CellarError, "The replica is closed");
  replica.close();
});

Deno.test("replica: a directory with no state yet has nothing to open", () => {
  const error = assertThrows(() => Replica.open(tempDir()), PmaError);
  assertEquals(error.code, "NoSlab");
});
