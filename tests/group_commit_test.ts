/**
 * Group commit (docs/DESIGN.md, "The commit protocol"), in-process: pokes of a group see
 * their predecessors, a crashing poke leaves no trace, groups are bounded, each costs one
 * PMA sync, the log's tail is carried and dropped as documented, and injected commit
 * failures stall the runtime until a retry resumes it with nothing lost or applied twice.
 * The same with a real "disk full" (a file size limit) in a child process.
 */

import assert from "node:assert/strict";
import { NockError, Noun, Pma, Runtime, RuntimeError } from "../mod.ts";
import type { PokeOutcome, PokeResult } from "../mod.ts";
import { decodeRecord, encodeRecord, rootRecords } from "../src/runtime/log_tail.ts";
import { EventLog } from "../src/runtime/event_log.ts";
import { assertEquals, kernelTest, scratchDir } from "./_helpers.ts";
import { getNumber, replayOf, stateOf, withRuntime } from "./_runtime_helpers.ts";

function tempDir(): string {
  return scratchDir("cellar-group-");
}

/** Poke each cause (`[%put k i]` style arrays) as one pokeMany call; dispose the effects. */
function pokeAll(runtime: Runtime, causes: unknown[][]): PokeOutcome[] {
  const nouns = causes.map((c) => Noun.from(c as never));
  try {
    const outcomes = runtime.pokeMany(nouns.map((cause) => ({ cause })));
    for (const o of outcomes) if (o.ok) o.result.effects.dispose();
    return outcomes;
  } finally {
    nouns.forEach((n) => n.dispose());
  }
}

function put(runtime: Runtime, key: string, value: number): PokeResult {
  using cause = Noun.from(["put", key, value]);
  const result = runtime.poke(cause);
  result.effects.dispose();
  return result;
}

function codeOf(outcome: PokeOutcome): string {
  if (outcome.ok) return "ok";
  const e = outcome.error;
  return e instanceof RuntimeError ? e.code : e instanceof NockError ? "nock" : String(e);
}

kernelTest("group: pokes see their predecessors; a crash in the middle leaves no trace", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir }, (r) => {
    const before = r.status().commit;
    const outcomes = pokeAll(r, [
      ["incr", "hits", 1],
      ["incr", "hits", 2],
      ["no-such-cause", 0],
      ["incr", "hits", 4],
      ["put", "last", 9],
    ]);
    assertEquals(outcomes.map(codeOf), ["ok", "ok", "nock", "ok", "ok"]);
    const events = outcomes.flatMap((o) => (o.ok ? [o.result.eventNumber] : []));
    assertEquals(events, [1n, 2n, 3n, 4n]);
    assertEquals(getNumber(r, "hits"), 7);
    assertEquals(getNumber(r, "last"), 9);
    const after = r.status().commit;
    assertEquals(after.groups - before.groups, 1);
    assertEquals(after.lastGroupSize, 4);
    assertEquals(after.pmaSyncs - before.pmaSyncs, 1, "one PMA sync for the whole group");
    assertEquals(r.log.extent().last, 4n);
  });
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("group: a group ends at its event bound; each group is one PMA sync", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, groupLimits: { events: 4 } }, (r) => {
    const before = r.status().commit.pmaSyncs;
    pokeAll(r, Array.from({ length: 10 }, (_, i) => ["put", `k${i}`, i]));
    assertEquals(r.status().commit.groups, 3);
    assertEquals(r.status().commit.lastGroupSize, 2);
    assertEquals(r.status().commit.pmaSyncs - before, 3);
    assertEquals(r.eventNumber, 10n);
  });
});

kernelTest("group: onGroup reports each group's size", () => {
  const sizes: number[] = [];
  withRuntime(
    { dataDir: tempDir(), groupLimits: { events: 3 }, onGroup: (n) => sizes.push(n) },
    (r) => {
      pokeAll(r, Array.from({ length: 7 }, (_, i) => ["put", `k${i}`, i]));
      put(r, "one", 1);
    },
  );
  assertEquals(sizes, [3, 3, 1, 1]);
});

kernelTest("group: pokeAsync gathers the pokes of one turn into one group", async () => {
  const dir = tempDir();
  const runtime = Runtime.open({ dataDir: dir });
  try {
    const causes = Array.from({ length: 8 }, (_, i) => Noun.from(["incr", "n", i + 1]));
    const results = await Promise.all(causes.map((c) => runtime.pokeAsync(c)));
    causes.forEach((c) => c.dispose());
    results.forEach((r) => r.effects.dispose());
    assertEquals(results.map((r) => r.eventNumber), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    assertEquals(runtime.status().commit.groups, 1);
    assertEquals(runtime.status().commit.lastGroupSize, 8);
    assertEquals(getNumber(runtime, "n"), 36);
    using bad = Noun.from(["no-such-cause", 1]);
    await assert.rejects(runtime.pokeAsync(bad), NockError);
  } finally {
    runtime.close();
  }
});

kernelTest("group: the tail is carried until the log syncs, and dropped at close", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, logSyncEveryEvents: 10 }, (r) => {
    const syncs = r.status().commit.logSyncs;
    for (let i = 0; i < 25; i++) put(r, `k${i}`, i);
    const c = r.status().commit;
    assertEquals(c.logSyncs - syncs, 2, "the WAL synced at events 10 and 20");
    assertEquals(c.tailEvents, 5);
    assertEquals(c.pmaSyncs, 25);
  });
  using pma = Pma.open(`${dir}/pma`, { readOnly: true });
  using root = pma.root;
  assertEquals(rootRecords(root), [], "a clean close leaves a plain [core cold] root");
});

kernelTest("group: a tail record keeps its row exactly", () => {
  const jam = new Uint8Array([5, 0, 0]); // trailing zeros survive
  const row = EventLog.row(12n, jam, "/poke/api/x", 1.25, 0x7fff_ffff);
  const back = decodeRecord(encodeRecord(row));
  assertEquals(back, row);
  assert.throws(() => decodeRecord(new Uint8Array(10)), RangeError);
});

kernelTest("faults: a failed PMA commit stalls; a retry resumes; nothing lost or doubled", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, faults: "pma-commit:3:2" }, (r) => {
    put(r, "a", 1);
    put(r, "b", 2);
    let stalled = pokeAll(r, [["put", "c", 3], ["put", "d", 4]]);
    assertEquals(stalled.map(codeOf), ["CommitStalled", "CommitStalled"]);
    const error = (stalled[0] as { error: RuntimeError }).error;
    assert(error.retryAfterMs !== undefined && error.retryAfterMs > 0, error.message);
    assert(r.status().commit.stalled !== null);
    stalled = pokeAll(r, [["put", "e", 5]]); // refused at once, no attempt
    assertEquals(stalled.map(codeOf), ["CommitStalled"]);
    assertEquals(r.retryCommit(), false); // attempt 4 fails too
    assertEquals(r.status().commit.stalled!.failures, 2);
    assertEquals(r.retryCommit(), true);
    assertEquals(r.status().commit.stalled, null);
    assertEquals(put(r, "f", 6).eventNumber, 3n);
    for (const k of ["c", "d", "e"]) assertEquals(getNumber(r, k), null, k);
    assertEquals(getNumber(r, "f"), 6);
    assertEquals(r.log.extent().last, 3n);
  });
  assertEquals(stateOf(dir).event, 3n);
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("faults: a failed log commit keeps the durable group; a retry fills the log", () => {
  const dir = tempDir();
  withRuntime({ dataDir: dir, faults: "log-commit:2:1" }, (r) => {
    put(r, "a", 1);
    const outcomes = pokeAll(r, [["put", "b", 2], ["put", "c", 3]]);
    assertEquals(outcomes.map(codeOf), ["ok", "ok"], "the group is durable in the PMA");
    assertEquals(r.log.extent().last, 1n, "its log commit failed");
    assert(r.status().commit.stalled?.logBehind);
    assertEquals(pokeAll(r, [["put", "x", 0]]).map(codeOf), ["CommitStalled"]);
    assertEquals(r.retryCommit(), true);
    assertEquals(r.log.extent().last, 3n);
    assertEquals(put(r, "d", 4).eventNumber, 4n);
    assertEquals(getNumber(r, "x"), null);
  });
  assertEquals(stateOf(dir).mug, replayOf(dir).mug);
});

kernelTest("faults: a bad fault plan is refused with the form it expects", () => {
  assert.throws(
    () => Runtime.open({ dataDir: tempDir(), faults: "pma:1" }),
    /Bad fault plan "pma:1": use pma-commit:K:N or log-commit:K:N/,
  );
});

const diskFullChild = new URL("./_disk_full_child.ts", import.meta.url).pathname;

kernelTest({
  name: "faults: a real full disk (file size limit) stalls the writer; raised, it resumes",
  ignore: !hasPrlimit(),
  async fn() {
    const dir = tempDir();
    const limit = 24 * 2 ** 20;
    const child = new Deno.Command("prlimit", {
      args: [`--fsize=${limit}:unlimited`, Deno.execPath(), "run", "-A", diskFullChild, dir],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = readLines(child.stdout);
    const stalled = await lines.until((l) => l.startsWith("stalled "));
    assert(stalled !== null, "the child never stalled");
    const raised = await new Deno.Command("prlimit", {
      args: ["--pid", String(child.pid), "--fsize=unlimited"],
    }).output();
    assert(raised.success, new TextDecoder().decode(raised.stderr));
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
    const done = await lines.until((l) => l === "done");
    const status = await child.status;
    const stderr = await new Response(child.stderr).text();
    assert(done !== null && status.success, `${lines.all.join("\n")}\n${stderr}`);
    assert(lines.all.includes("resumed"), lines.all.join("\n"));
    const answered = lines.all.filter((l) => l.startsWith("ok ")).map((l) => l.split(" "));
    const refused = lines.all.filter((l) => l.startsWith("refused ")).map((l) => l.split(" ")[1]);
    assert(refused.length > 0);
    assertEquals(answered.map(([, event]) => event), answered.map((_, i) => String(i + 1)));
    withRuntime({ dataDir: dir }, (r) => {
      assertEquals(r.eventNumber, BigInt(answered.length), "every answered poke, no other");
      for (const [, , key] of answered) assert(has(r, key), `${key} was answered`);
      for (const key of refused) assert(!has(r, key), `${key} was refused`);
    });
    assertEquals(stateOf(dir).mug, replayOf(dir).mug);
  },
});

/** Whether `/get/<key>` has a value. */
function has(runtime: Runtime, key: string): boolean {
  const r = runtime.peek(["get", key]);
  if (r.kind === "value") r.value.dispose();
  return r.kind === "value";
}

function hasPrlimit(): boolean {
  try {
    return new Deno.Command("prlimit", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
}

/** Lines of a stream as they come, with a wait for the first that passes a test. */
function readLines(stream: ReadableStream<Uint8Array>) {
  const all: string[] = [];
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ended = false;
  return {
    all,
    async until(test: (line: string) => boolean): Promise<string | null> {
      let seen = 0;
      for (;;) {
        for (; seen < all.length; seen++) if (test(all[seen])) return all[seen];
        if (ended) return null;
        const { value, done } = await reader.read();
        if (done) ended = true;
        buffer += value ?? "";
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        all.push(...parts);
      }
    },
  };
}
