/**
 * Data checksums of the PMA from TypeScript (src/runtime/pma.ts over zig/pma/integrity.zig,
 * scrub.zig and mug_check.zig): rot in old data, which open does not read, is found by
 * `check`, `verify` and the scrub, with its page; a writer that finds it stops and records
 * it, so the directory is refused from then on and the runtime recovers from its log.
 *
 * The same in Zig, with more cases (GC, torn commits, format 1 slabs, the crash at the
 * fault record): zig/pma/integrity_test.zig and zig/pma_crash_driver.zig.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun, Pma, PmaError } from "../mod.ts";
import type { Runtime } from "../mod.ts";
import { assertEquals, assertThrows, kernelTest } from "./_helpers.ts";
import { putMany, withRuntime } from "./_runtime_helpers.ts";

/** The word of the cord `hello` as it lies in a cell: its bytes, zero padded to 8. */
const helloWord = new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0, 0]);
/** `h` ^ 0x22 = `J`. */
const hToJ = 0x22;
const page = 4096;

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cellar-integrity-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Word-aligned offsets of `word` in the file at `path` (empty when there is no file). */
function findWord(path: string, word: Uint8Array): number[] {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const found: number[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    if (word.every((b, i) => bytes[at + i] === b)) found.push(at);
  }
  return found;
}

function xorByte(path: string, offset: number, mask: number): void {
  using file = Deno.openSync(path, { read: true, write: true });
  const b = new Uint8Array(1);
  file.seekSync(offset, Deno.SeekMode.Start);
  file.readSync(b);
  b[0] ^= mask;
  file.seekSync(offset, Deno.SeekMode.Start);
  file.writeSync(b);
}

function assertPmaError(fn: () => unknown, code: string): PmaError {
  const error = assertThrows(fn, PmaError);
  assertEquals(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}

/** Event 1 holds `[%greeting 'hello']`; events 2..count cons a 64-entry list each. */
function commitHistory(pma: Pma, count: number): void {
  using first = Noun.from(["greeting", "hello"]);
  pma.commit(first, 1, new Uint8Array(32)).dispose();
  for (let e = 2; e <= count; e++) {
    using root = pma.root;
    using entry = Noun.from(Array.from({ length: 64 }, (_, i) => e * 100 + i));
    using state = Noun.cell(entry, root);
    pma.commit(state, e, new Uint8Array(32)).dispose();
  }
}

/** The greeting of a history's root: the tail of its innermost entry, as a cord. */
function greeting(pma: Pma): string {
  let n = pma.root;
  while (true) {
    using head = n.head;
    if (!head.isCell) break;
    const tail = n.tail;
    n.dispose();
    n = tail;
  }
  using value = n.tail;
  n.dispose();
  return value.toCord();
}

/** Scrub in steps of `stepBytes` until a pass is done; the step that found a fault. */
function scrubPass(pma: Pma, stepBytes: number) {
  let found = null;
  let step = pma.scrubStep(stepBytes);
  let steps = 1;
  for (; !step.passDone; steps++) {
    found ??= step.newFault;
    step = pma.scrubStep(stepBytes);
  }
  found ??= step.newFault;
  return { last: step, found, steps };
}

Deno.test("Pma integrity: `hello` flipped to `Jello` in old data is found, with its page", async () => {
  await withDir((dir) => {
    {
      using pma = Pma.open(dir, { sidecar: "off" });
      commitHistory(pma, 400);
      assertEquals(pma.check().faults, 0);
    }
    const slab = `${dir}/0.pma`;
    const [offset] = findWord(slab, helloWord);
    assert(offset !== undefined, "the word of 'hello' is in the slab");
    xorByte(slab, offset, hToJ);
    const pageOf = Math.floor(offset / page);
    {
      // Open reads only the newest commit's data: it opens, and the old value reads wrong.
      using pma = Pma.open(dir, { readOnly: true });
      assertEquals(pma.eventNumber, 400n);
      assertEquals(greeting(pma), "Jello");
      const check = pma.check();
      assertEquals(check.faults, 1);
      assertEquals(check.unverifiedBytes, 0);
      assertEquals(check.fault?.kind, "page");
      assertEquals(check.fault?.file, "0.pma");
      assertEquals(check.fault?.page, pageOf);
      assert(check.fault!.offset <= offset && offset < check.fault!.offset + check.fault!.length);
      const error = assertPmaError(() => pma.verify(), "DataChecksum");
      assert(error.message.includes(`(page ${pageOf},`), error.message);
      // The scrub, 8 KiB a step, finds it too.
      const pass = scrubPass(pma, 8192);
      assertEquals(pass.found?.page, pageOf);
      assertEquals(pass.last.faults, 1);
      assertEquals(pass.last.checkedBytes, pass.last.totalBytes);
      assert(pass.steps >= pass.last.totalBytes / (2 * 8192), `${pass.steps} steps`);
    }
    {
      // A writer's scrub finds it, stops committing, and records it.
      using pma = Pma.open(dir, { sidecar: "off" });
      assertEquals(scrubPass(pma, 1 << 20).found?.page, pageOf);
      using state = Noun.from([1, 2]);
      assertPmaError(() => pma.commit(state, 401, new Uint8Array(32)), "DataChecksum");
      assertPmaError(() => pma.gc(), "DataChecksum");
    }
    assert(Deno.statSync(`${dir}/pma.fault`).isFile);
    const refused = assertPmaError(() => Pma.open(dir), "DataChecksum");
    assert(refused.message.includes("pma.fault"), refused.message);
    assertPmaError(() => Pma.open(dir, { readOnly: true }), "DataChecksum");
  });
});

Deno.test("Pma integrity: 64 random bit flips in old slab data are found on flipped pages", async () => {
  await withDir((dir) => {
    let used = 0;
    {
      using pma = Pma.open(dir, { sidecar: "off" });
      commitHistory(pma, 400);
      used = pma.stats().usedBytes;
    }
    // Below the newest 128 KiB (the open extent and the newest record), so open succeeds.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const flipped = new Set<number>();
    const slab = `${dir}/0.pma`;
    for (let i = 0; i < 64; i++) {
      const offset = 16384 + Math.floor(random() * (used - 16384 - 131072));
      xorByte(slab, offset, 1 << Math.floor(random() * 8));
      flipped.add(Math.floor(offset / page));
    }
    using pma = Pma.open(dir, { readOnly: true });
    const check = pma.check();
    assert(check.faults >= 1, JSON.stringify(check));
    assert(flipped.has(check.fault!.page), `fault on page ${check.fault!.page}`);
    assertPmaError(() => pma.verify(), "DataChecksum");
  });
});

Deno.test("Pma integrity: each of 300 single bit flips in old data, mug bits included, is found", async () => {
  await withDir((dir) => {
    let used = 0;
    {
      using pma = Pma.open(dir, { sidecar: "off" });
      commitHistory(pma, 400);
      using root = pma.root;
      assert(root.mug > 0); // Caches every object's mug in its header, after the commits.
      used = pma.stats().usedBytes;
    }
    let seed = 4242;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const slab = `${dir}/0.pma`;
    const kinds = new Map<string, number>();
    const missed: number[] = [];
    for (let i = 0; i < 300; i++) {
      const offset = 16384 + Math.floor(random() * (used - 16384 - 131072));
      const mask = 1 << Math.floor(random() * 8);
      xorByte(slab, offset, mask);
      {
        using pma = Pma.open(dir, { readOnly: true });
        const kind = pma.check().fault?.kind;
        if (kind === undefined) missed.push(offset);
        else kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      xorByte(slab, offset, mask);
    }
    assertEquals(missed, [], `found: ${JSON.stringify([...kinds])}`);
    // About one flip in eight lands in the mug bits of a header, which the sums leave out:
    // the scrub's mug check finds those (kind "mug"); the rest fail a sum.
    assert((kinds.get("mug") ?? 0) >= 30, JSON.stringify([...kinds]));
    using pma = Pma.open(dir, { readOnly: true });
    assertEquals(pma.check().faults, 0);
  });
});

Deno.test("Pma integrity: unverified data, a GC that covers it, and mugs without caches", async () => {
  await withDir((dir) => {
    {
      using pma = Pma.open(dir, { sidecar: "off", dataChecksums: false });
      commitHistory(pma, 50);
      const before = pma.check();
      assertEquals(before.faults, 0);
      assertEquals(before.totalBytes, 0);
      assertEquals(before.unverifiedBytes, pma.stats().usedBytes - 16384);
    }
    using pma = Pma.open(dir, { sidecar: "off" });
    assertEquals(pma.check().totalBytes, 0);
    pma.gc();
    const after = pma.check();
    assertEquals(after.unverifiedBytes, 0);
    assertEquals(after.checkedBytes, pma.stats().usedBytes - 16384);
    using root = pma.root;
    const fresh = pma.recomputeMug(root);
    assertEquals(fresh.cachedMugs, 0);
    assertEquals(fresh.mug, root.mug); // Computing `mug` caches mugs in the headers.
    const again = pma.recomputeMug(root);
    assertEquals(again.cachedMugs, again.objects);
    assertEquals(again.wrongCachedMugs, 0);
    assertEquals(again.firstWrongOffset, null);
    using atom = Noun.atom(7);
    assertEquals(pma.recomputeMug(atom).mug, atom.mug);
    using outside = Noun.from([1, 2]);
    assertPmaError(() => pma.recomputeMug(outside), "ForeignNoun");
    assertThrows(() => pma.scrubStep(0), Error);
  });
});

/** `cellar verify --data dir`, in a subprocess. */
function cellarVerify(dir: string): { code: number; stdout: string } {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const out = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", main, "verify", "--data", dir],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/** A runtime data directory whose `greeting` is `hello`, then 300 more events. */
function runtimeHistory(): string {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-integrity-rt-" });
  withRuntime({ dataDir: dir }, (r) => {
    using put = Noun.from(["put", "greeting", "hello"]);
    r.poke(put).effects.dispose();
    putMany(r, 0, 300);
  });
  return dir;
}

function peekGreeting(r: Runtime): string {
  const got = r.peek("/get/greeting");
  assert(got.kind === "value");
  using value = got.value;
  return value.toCord();
}

kernelTest(
  "runtime: rot in an old value is served until verify finds it; the log restores it",
  () => {
    const dir = runtimeHistory();
    try {
      let flips = 0;
      for (const file of ["0.pma", "1.pma"]) {
        for (const offset of findWord(`${dir}/pma/${file}`, helloWord)) {
          xorByte(`${dir}/pma/${file}`, offset, hToJ);
          flips++;
        }
      }
      assert(flips >= 1, "the word of 'hello' is in the slab");
      // The reproduction: the PMA still opens (level 1) and serves `Jello`.
      withRuntime({ dataDir: dir }, (r) => {
        assertEquals(r.bootReport.level, 1);
        assertEquals(peekGreeting(r), "Jello");
      });
      // `cellar verify` finds it (it used to say "no problems") and records it.
      const verify = cellarVerify(dir);
      assertEquals(verify.code, 1, verify.stdout);
      assert(/PROBLEM: pma: \d+ data fault\(s\), the first: .*\(page \d+,/.test(verify.stdout));
      assert(verify.stdout.includes("recorded in pma/pma.fault"), verify.stdout);
      withRuntime({ dataDir: dir }, (r) => {
        assert(r.bootReport.level >= 2, `level ${r.bootReport.level}: ${r.bootReport.detail}`);
        const pmaLevel = r.bootReport.skipped.find((s) => s.level === 1);
        assert(pmaLevel?.reason.includes("data fault") ?? false, JSON.stringify(pmaLevel));
        assert(r.bootReport.quarantined !== undefined);
        assertEquals(peekGreeting(r), "hello");
      });
      assertEquals(cellarVerify(dir).code, 0);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

Deno.test("Pma: a slab or lock that is a symbolic link is refused natively, and left alone", async () => {
  await withDir((elsewhere) => {
    {
      using pma = Pma.open(elsewhere, { sidecar: "off" });
      commitHistory(pma, 3);
    }
    const before = Deno.readFileSync(`${elsewhere}/0.pma`);
    const dir = Deno.makeTempDirSync({ prefix: "cellar-integrity-link-" });
    try {
      // The runtime's lstat check (checkDataDir) is not on this path: only O_NOFOLLOW is.
      Deno.symlinkSync(`${elsewhere}/0.pma`, `${dir}/0.pma`);
      const error = assertPmaError(() => Pma.open(dir, { create: false }), "Io");
      assert(error.message.includes("0.pma: it is a symbolic link"), error.message);
      assertPmaError(() => Pma.open(dir, { readOnly: true }), "Io");
      Deno.removeSync(`${dir}/0.pma`);
      Deno.removeSync(`${dir}/lock`);
      Deno.symlinkSync(`${elsewhere}/stolen`, `${dir}/lock`);
      const locked = assertPmaError(() => Pma.open(dir), "Io");
      assert(locked.message.includes("lock file: it is a symbolic link"), locked.message);
      assertThrows(() => Deno.statSync(`${elsewhere}/stolen`), Deno.errors.NotFound);
      assertEquals(Deno.readFileSync(`${elsewhere}/0.pma`), before);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
});
