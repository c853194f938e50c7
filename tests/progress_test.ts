/**
 * Progress of long operations (src/runtime/progress.ts): listeners, nesting, the terminal
 * line and summary, and the native hook seen through a PMA GC and a snapshot.
 */
import assert from "node:assert/strict";
import { Noun, Pma } from "../mod.ts";
import {
  currentOperation,
  onProgress,
  Operation,
  type OperationProgress,
  progressLine,
  runCompute,
  showProgressOn,
  summaryLine,
  withNativeLatest,
} from "../src/runtime/progress.ts";
import { SnapshotStore } from "../src/runtime/snapshots.ts";
import { nock } from "../src/core/machine.ts";
import { runCli } from "./_helpers.ts";
import { loopKernelJam } from "./_loop_kernel.ts";

function record(): { seen: [OperationProgress, boolean][]; [Symbol.dispose](): void } {
  const seen: [OperationProgress, boolean][] = [];
  const stop = onProgress((p, ended) => seen.push([p, ended]));
  return { seen, [Symbol.dispose]: () => void stop() };
}

Deno.test("progress: an operation notifies its start, advances and end; nested ones are phases", () => {
  using r = record();
  const op = Operation.begin("replay", "events", 10);
  assert.equal(currentOperation()?.kind, "replay");
  op.advance(4);
  const inner = Operation.begin("snapshot", "bytes", 0);
  inner.advance(100, 200, "write");
  inner.end();
  assert.equal(currentOperation()?.phase, "snapshot write");
  op.advance(10);
  const last = op.end();
  assert.equal(currentOperation(), null);
  assert.deepEqual(r.seen.map(([p, ended]) => [p.kind, p.phase, p.done, ended]), [
    ["replay", "", 0, false],
    ["replay", "", 4, false],
    ["replay", "snapshot write", 4, false],
    ["replay", "snapshot write", 10, false],
    ["replay", "snapshot write", 10, true],
  ]);
  assert.equal(last.done, 10);
});

Deno.test("progress: lines for a terminal and the summary", () => {
  const p: OperationProgress = {
    kind: "gc",
    phase: "copy",
    done: 512 * 2 ** 20,
    total: 2 ** 30,
    unit: "bytes",
    startedAt: 0,
    elapsedMs: 2000,
  };
  assert.equal(progressLine(p), "gc copy: 512.0 MiB of 1.0 GiB (50%), 2.0 s");
  assert.equal(summaryLine(p), "gc: 512.0 MiB in 2.00 s (256.0 MiB/s)");
  const events = { ...p, kind: "replay" as const, phase: "", unit: "events" as const, done: 3000 };
  assert.equal(summaryLine(events), "replay: 3,000 events in 2.00 s (1,500 events/s)");
});

function fakeStream(
  tty: boolean,
): { text: string[]; writeSync(b: Uint8Array): number; isTerminal(): boolean } {
  const text: string[] = [];
  return {
    text,
    writeSync: (b) => (text.push(new TextDecoder().decode(b)), b.length),
    isTerminal: () => tty,
  };
}

Deno.test("progress: off a terminal only the summary is written; short operations draw no line", () => {
  const plain = fakeStream(false);
  const tty = fakeStream(true);
  {
    using _a = showProgressOn(plain);
    using _b = showProgressOn(tty);
    const op = Operation.begin("verify", "bytes", 100);
    op.advance(50);
    op.advance(100);
    op.end();
  }
  assert.equal(plain.text.length, 1);
  assert.match(plain.text[0], /^verify: 100 B in \d+\.\d\d s/);
  assert.deepEqual(tty.text, plain.text); // under a second: no progress line either
  const after = fakeStream(false);
  Operation.begin("gc", "bytes", 1).end(); // stopped: not shown
  assert.equal(after.text.length, 0);
});

Deno.test("progress: a PMA GC and a snapshot report their native phases", () => {
  const dir = Deno.makeTempDirSync();
  try {
    using pma = Pma.open(`${dir}/pma`, { sidecar: "off" });
    for (let e = 1; e <= 5; e++) {
      using n = Noun.from([e, [e, e + 1], 0]);
      pma.commit(n, e, new Uint8Array(32)).dispose();
    }
    using r = record();
    pma.gc();
    const phases = r.seen.filter(([p]) => p.kind === "gc").map(([p]) => p.phase);
    for (const phase of ["check", "mark", "copy", "sync"]) assert(phases.includes(phase), phase);
    const [last, ended] = r.seen.at(-1)!;
    assert(ended && last.phase === "sync" && last.done === last.total && last.total > 0);
    r.seen.length = 0;
    const store = new SnapshotStore(`${dir}/snapshots`);
    const entry = store.create("rotating", { kernelHash: "0".repeat(64), stateMug: 0 });
    const write = r.seen.filter(([p]) => p.kind === "snapshot" && p.phase === "write");
    assert.equal(write.at(-1)?.[0].done, entry.manifest.bytes);
    r.seen.length = 0;
    assert(store.verify(entry).ok);
    const hashed = r.seen.filter(([p]) => p.kind === "verify");
    assert.equal(hashed.at(-1)?.[0].done, entry.manifest.bytes);
    assert.equal(currentOperation(), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("progress: on a terminal an operation past a second draws a line, then the summary", () => {
  const tty = fakeStream(true);
  {
    using _shown = showProgressOn(tty);
    const op = Operation.begin("snapshot", "bytes", 2048);
    op.advance(1024, 2048, "write");
    assert.equal(tty.text.length, 0); // Not yet a second.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
    op.advance(1536, 2048, "write");
    op.end();
  }
  assert.equal(tty.text.length, 2);
  const clear = "\r\x1b[2K"; // Back to the line's start, and erase it.
  assert(tty.text.every((t) => t.startsWith(clear)));
  assert.match(
    tty.text[0].slice(clear.length),
    /^snapshot write: 1.5 KiB of 2.0 KiB \(75%\), 1\.\d s$/,
  );
  assert.match(tty.text[1].slice(clear.length), /^snapshot: 1.5 KiB in 1\.\d\d s \(.*\/s\)\n$/);
});

Deno.test("progress: another thread reads the library's latest report for the running operation", () => {
  const dir = Deno.makeTempDirSync();
  try {
    using pma = Pma.open(dir, { sidecar: "off" });
    using n = Noun.from([1, [2, 3], 0]);
    pma.commit(n, 1, new Uint8Array(32)).dispose();
    const before = Date.now();
    pma.gc();
    const op: OperationProgress = {
      kind: "gc",
      phase: "",
      done: 0,
      total: 0,
      unit: "bytes",
      startedAt: before,
      elapsedMs: 0,
    };
    const merged = withNativeLatest(op);
    assert.equal(merged.phase, "sync"); // The GC's last report.
    assert(merged.total > 0);
    // A report made before the operation started, or of another kind, is not its own.
    const later = { ...op, startedAt: Date.now() + 60_000 };
    assert.deepEqual(withNativeLatest(later), later);
    assert.equal(withNativeLatest({ ...op, kind: "verify" }).phase, "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("progress: a computation's lines count Nock steps", () => {
  const p: OperationProgress = {
    kind: "compute",
    phase: "",
    done: 1.234e9,
    total: 0,
    unit: "steps",
    startedAt: 0,
    elapsedMs: 14_000,
  };
  assert.equal(progressLine(p), "compute: 1.2 G steps, 14.0 s");
  assert.equal(summaryLine(p), "compute: 1.2 G steps in 14.00 s (88.1 M steps/s)");
  assert.equal(progressLine({ ...p, done: 512, elapsedMs: 1500 }), "compute: 512 steps, 1.5 s");
  assert.equal(progressLine({ ...p, done: 20_480 }), "compute: 20.5 k steps, 14.0 s");
});

/** Nock: decrement `n` by counting up from 0 (12 steps a count, no jets). */
const decrement = [
  8,
  [1, 0],
  8,
  [1, 6, [5, [0, 7], 4, 0, 6], [0, 6], 9, 2, [0, 2], [4, 0, 6], 0, 7],
  9,
  2,
  0,
  1,
];

Deno.test("progress: a computation counts its steps; a short one shows nothing", () => {
  using r = record();
  const plain = fakeStream(false);
  {
    using _shown = showProgressOn(plain);
    using subject = Noun.atom(100_000);
    using formula = Noun.from(decrement);
    using product = runCompute(() => nock(subject, formula));
    assert.equal(product.toBigInt(), 99_999n);
  }
  const [last, ended] = r.seen.at(-1)!;
  assert(ended && last.kind === "compute" && last.unit === "steps");
  // Counted at the interpreter's polls (every 16,384 steps): all but the last few.
  assert(last.done > 1_200_000 - 16_384 && last.done <= 1_200_000, `${last.done}`);
  if (last.elapsedMs < 1000) assert.deepEqual(plain.text, []);
});

Deno.test("progress: cellar boot sums up a kernel's first Nock past a second", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    // The loop kernel's trap, made to count down from 60,000,000 (720 M steps, well past a
    // second at this interpreter's few hundred M steps/s) before it makes the core.
    {
      using trap = Noun.cue(loopKernelJam());
      using core = trap.head.tail;
      using slow = Noun.from([[7, [2, [1, 60_000_000], [1, decrement]], [1, core]], 0]);
      Deno.writeFileSync(`${dir}/slow.jam`, slow.jam());
    }
    const script = decodeURIComponent(new URL("../cellar", import.meta.url).pathname);
    const output = await new Deno.Command(script, {
      args: ["boot", `${dir}/slow.jam`, "--data", `${dir}/data`],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.match(new TextDecoder().decode(output.stdout), /^boot: level 0 \(new\)/m);
    assert.match(stderr, /^compute: \d+\.\d [MG] steps in \d+\.\d\d s \(.* steps\/s\)$/m);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("progress: the CLI sums up a computation past a second, on stderr only", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/long.jam`;
    {
      using noun = Noun.from([20_000_000, decrement]);
      Deno.writeFileSync(path, noun.jam());
    }
    const result = await runCli(["nock", path], [dir]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, "19999999\n");
    assert.match(result.stderr, /^compute: \d+\.\d [kMG] steps in \d+\.\d\d s \(.* steps\/s\)\n$/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
