/**
 * Tests of the PMA from TypeScript (src/runtime/pma.ts over zig/pma.zig): real slab files in temp
 * directories, replicas in Workers, writers in subprocesses killed with SIGKILL.
 *
 * Covered in Zig and not repeated here: position independence (a slab reopened at another
 * base address, with the old address occupied: "pma: a slab reopened at another address
 * reads the same nouns" in zig/pma/arena_test.zig), growth to 1 GiB, GC compaction ratios, and the
 * exhaustive crash matrix over every tripwire (zig/pma_crash_driver.zig).
 *
 * @module
 */

import assert from "node:assert/strict";
import { CellarError, nock, Noun, Pma, PmaError } from "../mod.ts";
import { assertEquals, assertThrows } from "./_helpers.ts";
import { chainProblem, commitChain, hashOf, type Request } from "./_pma_child.ts";

const childUrl = new URL("./_pma_child.ts", import.meta.url);
const allPermissions = ["--allow-read", "--allow-write", "--allow-ffi", "--allow-env"];

/** The jetless decrement (the Core benchmark's formula) on subject n gives n - 1. */
const decrementFormula = [
  8,
  [1, 0],
  8,
  [
    1,
    6,
    [5, [0, 7], 4, 0, 6],
    [0, 6],
    9,
    2,
    [0, 2],
    [4, 0, 6],
    0,
    7,
  ],
  9,
  2,
  0,
  1,
];

/**
 * On subject `depth`: a balanced tree of `2^depth` leaves, each leaf the fresh cell
 * `[depth 0]`. Every cell is a distinct object (the two subtrees are computed separately).
 * The core is `[battery k depth]`; the battery recurses with k + 1 until k = depth.
 */
const treeFormula = (() => {
  const leaf = [[0, 7], 1, 0];
  const recurse = [9, 2, 10, [6, 4, 0, 6], 0, 1];
  const battery = [6, [5, [0, 6], 0, 7], leaf, [recurse, recurse]];
  return [7, [[1, battery], [1, 0], 0, 1], 9, 2, 0, 1];
})();

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellar-pma-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function child(args: string[], permissions = allPermissions): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, childUrl.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

async function childOutput(args: string[], permissions = allPermissions): Promise<string> {
  const out = await child(args, permissions).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `child ${args[0]} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** A Worker running tests/_pma_child.ts, with a request/reply helper. */
class ChildWorker {
  #worker = new Worker(childUrl, { type: "module" });
  #queue: unknown[] = [];
  #waiting: ((m: unknown) => void)[] = [];

  constructor() {
    this.#worker.onmessage = (event) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(event.data);
      else this.#queue.push(event.data);
    };
  }

  /** The next message from the Worker. */
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      if (this.#queue.length > 0) resolve(this.#queue.shift() as Record<string, unknown>);
      else this.#waiting.push((m) => resolve(m as Record<string, unknown>));
    });
  }

  send(request: Request): void {
    this.#worker.postMessage(request);
  }

  async ask(request: Request): Promise<Record<string, unknown>> {
    this.send(request);
    const reply = await this.next();
    assert(!("error" in reply), `Worker failed: ${JSON.stringify(reply.error)}`);
    return reply;
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

function newestSlot(dir: string, file = "0.pma"): { newest: number; older: number } {
  const bytes = Deno.readFileSync(`${dir}/${file}`).subarray(0, 8192);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  // Slot layout: magic u64, version u32, file u32, slot u32, reserved u32, commit_seq u64.
  const seq = [0, 1].map((i) => view.getBigUint64(i * 4096 + 24, true));
  return seq[0] > seq[1] ? { newest: 0, older: 1 } : { newest: 1, older: 0 };
}

function flipByte(path: string, offset: number): void {
  using file = Deno.openSync(path, { read: true, write: true });
  const b = new Uint8Array(1);
  file.seekSync(offset, Deno.SeekMode.Start);
  file.readSync(b);
  b[0] ^= 0x40;
  file.seekSync(offset, Deno.SeekMode.Start);
  file.writeSync(b);
}

function assertPmaError(fn: () => unknown, code: string): PmaError {
  const error = assertThrows(fn, PmaError);
  assertEquals(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}

// ---------------------------------------------------------------------------- tests

Deno.test("Pma: commit, close and reopen; the root is read in place and computes", async () => {
  await withDir((dir) => {
    const hash = new Uint8Array(32).fill(0xab);
    let digest = "";
    {
      using pma = Pma.open(dir);
      assertEquals(pma.eventNumber, 0n);
      using state = Noun.from([[1, 2n ** 70n], [3, "abc"], decrementFormula]);
      using root = pma.commit(state, 5n, hash);
      assert(root.equals(state));
      assertEquals(pma.eventNumber, 5n);
      assertEquals(pma.kernelHash, hash);
      const stats = pma.stats();
      assert(stats.appendedBytesLastCommit > 0 && stats.usedBytes > 16384);
      assertEquals(stats.readOnly, false);
      // Committing a root that is already in the PMA appends nothing.
      pma.commit(root, 6, hash).dispose();
      assertEquals(pma.stats().appendedBytesLastCommit, 0);
      digest = pma.verify().hex;
    }
    using pma = Pma.open(dir, { readOnly: true });
    assertEquals(pma.eventNumber, 6n);
    assertEquals(pma.kernelHash, hash);
    assertEquals(pma.verify().hex, digest);
    assertEquals(pma.stats().readOnly, true);
    using root = pma.root;
    using expected = Noun.from([[1, 2n ** 70n], [3, "abc"], decrementFormula]);
    assert(root.equals(expected));
    assertEquals(root.at(13).toCord(), "abc");
    // The interpreter runs a formula that lives in the PMA, on PMA and workspace subjects.
    using formula = root.at(7);
    using subject = Noun.atom(1000);
    assertEquals(nock(subject, formula).toNumber(), 999);
    using pick = Noun.from([0, 5]);
    assertEquals(nock(root, pick).toBigInt(), 2n ** 70n);
    assertPmaError(() => pma.commit(root, 7, hash), "ReadOnly");
  });
});

Deno.test("Pma: a fresh process reopening the slab reads the same mug", async () => {
  await withDir(async (dir) => {
    let mug = 0;
    {
      using pma = Pma.open(dir);
      commitChain(pma, 1, 5);
      using root = pma.root;
      mug = root.mug;
    }
    const reply = JSON.parse(await childOutput(["mug", dir]));
    assertEquals(reply, { mug, event: 5 });
  });
});

Deno.test("Pma: a one-leaf change on a 2^16-leaf tree appends only its spine", async () => {
  await withDir((dir) => {
    const depth = 16;
    using pma = Pma.open(dir, { sidecar: "off" });
    using builder = Noun.from(treeFormula);
    using size = Noun.atom(depth);
    using tree = nock(size, builder);
    using committed = pma.commit(tree, 1, hashOf(1));
    const treeBytes = pma.stats().appendedBytesLastCommit;
    assertEquals(treeBytes, (2 ** (depth + 1) - 1) * 24);
    // Replace leaf 12345 with a new atom: a new spine of `depth` cells, the rest shared.
    const axis = 2 ** depth + 12345;
    using edit = Noun.from([10, [axis, 1, 999], 0, 1]);
    using changed = nock(committed, edit);
    using root = pma.commit(changed, 2, hashOf(2));
    const spineBytes = depth * 24;
    const appended = pma.stats().appendedBytesLastCommit;
    assert(appended <= 2 * spineBytes, `appended ${appended} bytes`);
    assertEquals(appended, spineBytes);
    using expected = nock(tree, edit);
    assert(root.equals(expected));
    assertEquals(root.at(axis).toNumber(), 999);
  });
});

Deno.test("Pma: corrupt meta and truncated slabs give named PmaErrors; the process lives on", async () => {
  await withDir((dir) => {
    let used = 0;
    {
      using pma = Pma.open(dir, { sidecar: "off" });
      commitChain(pma, 1, 3);
      used = pma.stats().usedBytes;
    }
    const slab = `${dir}/0.pma`;
    const { newest, older } = newestSlot(dir);
    // A flipped byte in the newest meta slot: that commit is refused, the previous one wins.
    flipByte(slab, newest * 4096 + 40);
    {
      using pma = Pma.open(dir, { readOnly: true });
      assertEquals(pma.eventNumber, 2n);
      using root = pma.root;
      assertEquals(chainProblem(root, 2), null);
      const report = pma.openReport();
      assertEquals(report.rejected.length, 1);
      assertEquals(report.rejected[0].reason, "MetaChecksum");
    }
    const strict = assertPmaError(
      () => Pma.open(dir, { readOnly: true, strict: true }),
      "MetaChecksum",
    );
    assert(strict.message.includes("MetaChecksum"), strict.message);
    // Both slots flipped: nothing to fall back to.
    flipByte(slab, older * 4096 + 100);
    assertPmaError(() => Pma.open(dir, { readOnly: true }), "MetaChecksum");
    assertPmaError(() => Pma.open(dir), "MetaChecksum");
    flipByte(slab, newest * 4096 + 40);
    flipByte(slab, older * 4096 + 100);
    {
      using pma = Pma.open(dir, { readOnly: true, strict: true });
      assertEquals(pma.eventNumber, 3n);
    }
    // Truncated below the newest commit: it is lost, the previous commit wins (strict: no).
    Deno.truncateSync(slab, used - 100);
    {
      using pma = Pma.open(dir, { readOnly: true });
      assertEquals(pma.eventNumber, 2n);
      assertEquals(pma.openReport().rejected[0].reason, "SlabTruncated");
    }
    assertPmaError(() => Pma.open(dir, { readOnly: true, strict: true }), "SlabTruncated");
    // Truncated below every commit.
    Deno.truncateSync(slab, 16384 + 8);
    const error = assertPmaError(() => Pma.open(dir, { readOnly: true }), "SlabTruncated");
    assert(error.message.startsWith("Cannot open slab"), error.message);
    // The process (and this thread's machine) carry on.
    using n = Noun.from([1, 2]);
    assertEquals(n.toString(), "[1 2]");
    assertPmaError(() => Pma.open(`${dir}/absent`, { readOnly: true }), "NoSlab");
  });
});

Deno.test("Pma: a replica in a Worker sees only committed roots and follows refreshes and a GC", async () => {
  await withDir(async (dir) => {
    const replica = new ChildWorker();
    try {
      using writer = Pma.open(dir, { sidecar: "off" });
      commitChain(writer, 1, 3);
      assertEquals(await replica.ask({ task: "open", dir }), {
        event: 3,
        mug: (() => {
          using root = writer.root;
          return root.mug;
        })(),
      });
      // The replica refreshes in a loop on its thread while this thread commits.
      const target = 120;
      replica.send({ task: "follow", target, timeoutMs: 60_000 });
      assertEquals(await replica.next(), { ready: true });
      commitChain(writer, 4, target);
      const followed = await replica.next();
      assertEquals(followed.problem, null);
      assertEquals(followed.last, target);
      const kinds = followed.kinds as Record<string, number>;
      assert((kinds.advanced ?? 0) >= 1, JSON.stringify(kinds));
      assertEquals(kinds.switched ?? 0, 0);
      assert((followed.seen as number[]).length >= 1);
      // A GC replaces the writer's file: the replica switches, and what it held stays valid.
      const gc = writer.gc();
      assert(gc.liveBytes > 0 && gc.usedBytesAfter <= gc.usedBytesBefore);
      const refreshed = await replica.ask({ task: "refresh" });
      assertEquals(refreshed.kind, "switched");
      assertEquals(refreshed.event, target);
      assertEquals(refreshed.heldMugAfter, refreshed.heldMugBefore);
      assertEquals(refreshed.heldProblem, null);
      assertEquals((await replica.ask({ task: "refresh" })).kind, "unchanged");
      await replica.ask({ task: "close" });
    } finally {
      replica.terminate();
    }
  });
});

Deno.test("Pma: a second writer on the directory gets Locked, in a Worker and in a process", async () => {
  await withDir(async (dir) => {
    const other = new ChildWorker();
    try {
      {
        using _writer = Pma.open(dir);
        const reply = await other.ask({ task: "lock", dir });
        assertEquals(reply.code, "Locked");
        assert((reply.message as string).includes("another writer"), String(reply.message));
        assertEquals(await childOutput(["open-writer", dir]), "Locked");
      }
      assertEquals((await other.ask({ task: "lock", dir })).code, "none");
    } finally {
      other.terminate();
    }
  });
});

Deno.test("Pma: GC keeps held PMA nouns valid and equal, and close keeps them too", async () => {
  await withDir((dir) => {
    using pma = Pma.open(dir, { sidecar: "off" });
    commitChain(pma, 1, 10);
    using held = pma.root;
    using entry = held.at(2); // a handle to a PMA subnoun
    using outer = Noun.cell(held, 7); // a workspace cell that points into the PMA
    const mug = held.mug;
    const jam = outer.jam();
    // Replace the state by one that shares nothing: the held chain is garbage but for us.
    for (let e = 11; e <= 20; e++) {
      using fresh = Noun.from([e, 0]);
      pma.commit(fresh, e, hashOf(e)).dispose();
    }
    const before = pma.stats().usedBytes;
    const result = pma.gc();
    assertEquals(result.usedBytesBefore, before);
    assert(result.references >= 3, `references ${result.references}`);
    assert(result.usedBytesAfter < before);
    assertEquals(chainProblem(held, 10), null);
    assertEquals(held.mug, mug);
    assertEquals(outer.jam(), jam);
    using entryHead = entry.head;
    assertEquals(entryHead.toNumber(), 10);
    using root = pma.root;
    assertEquals(root.toString(), "[20 0]");
    // Collect again: the files alternate, the nouns follow.
    pma.gc();
    assertEquals(pma.stats().fileId, 0);
    assertEquals(chainProblem(held, 10), null);
    // Closing copies what is still held out of the mapping.
    pma.close();
    assertEquals(chainProblem(held, 10), null);
    assertEquals(outer.jam(), jam);
    assertThrows(() => pma.root, CellarError, "closed");
  });
});

/** Start a committing writer process, SIGKILL it once it has printed `events` commits. */
async function killWriterAfter(dir: string, events: number, gcEvery: number): Promise<number> {
  const process = child(["writer", dir, String(gcEvery)]).spawn();
  const stderr = new Response(process.stderr).text();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let last = 0;
  let killed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) last = Math.max(last, Number(line));
    if (!killed && last >= events) {
      process.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await process.status;
  assertEquals(status.signal, "SIGKILL", `writer ended otherwise: ${await stderr}`);
  await stderr;
  return last;
}

Deno.test("Pma: a writer killed with SIGKILL mid-stream reopens to a committed state", async () => {
  for (const { events, gcEvery } of [{ events: 5, gcEvery: 0 }, { events: 30, gcEvery: 7 }]) {
    await withDir(async (dir) => {
      const printed = await killWriterAfter(dir, events, gcEvery);
      assert(printed >= events);
      using pma = Pma.open(dir, { sidecar: "off" });
      const e = Number(pma.eventNumber);
      // Every commit it reported is durable; at most the one in flight may be there too.
      assert(e === printed || e === printed + 1, `reopened at ${e}, printed ${printed}`);
      using root = pma.root;
      assertEquals(chainProblem(root, e), null);
      assertEquals(pma.kernelHash, hashOf(e));
      pma.verify();
      // And it takes new commits.
      commitChain(pma, e + 1, e + 2);
      assertEquals(pma.eventNumber, BigInt(e + 2));
    });
  }
});

Deno.test("Pma.open needs Deno's permissions for the directory", async () => {
  await withDir(async (dir) => {
    const readOnly = ["--allow-read", "--allow-ffi", "--allow-env"];
    assertEquals(await childOutput(["open-writer", dir], readOnly), "NotCapable");
  });
});

Deno.test("Pma: misuse gives clean errors", async () => {
  await withDir((dir) => {
    using pma = Pma.open(dir);
    assertThrows(() => Pma.open(dir), CellarError, "already has");
    using state = Noun.atom(1);
    assertThrows(() => pma.commit(state, 1, new Uint8Array(31)), CellarError, "kernel hash");
    assertThrows(() => pma.commit(state, -1, new Uint8Array(32)), CellarError, "event number");
    pma.commit(state, 5, new Uint8Array(32)).dispose();
    assertPmaError(() => pma.commit(state, 4, new Uint8Array(32)), "EventOrder");
    assertEquals(pma.refresh(), "unchanged");
    assertThrows(() => Pma.open(dir, { reserveBytes: 1.5 }), CellarError, "reserveBytes");
  });
});
