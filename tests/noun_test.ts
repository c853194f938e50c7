import assert from "node:assert/strict";
import {
  ArgumentError,
  CueError,
  drainSlogs,
  formatNoun,
  handleCount,
  HandleError,
  interrupt,
  lastSteps,
  nock,
  NockError,
  Noun,
  NounShapeError,
  renderTank,
  renderTrace,
  workspaceStats,
} from "../mod.ts";
import {
  assertEquals,
  assertThrows,
  hasCorpus,
  hexBytes,
  jamChain,
  jamZeroChain,
  leaf,
  readVectors,
  tape,
} from "./_helpers.ts";
import type { Task } from "./_worker.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
const baseline = handleCount();

/** Run `body`, then check that it left no handle behind. */
function noLeaks(body: () => void): () => void {
  return () => {
    const before = handleCount();
    body();
    assertEquals(handleCount(), before, "handles leaked");
  };
}

Deno.test(
  "atoms round trip through number, bigint, string and bytes",
  noLeaks(() => {
    for (const value of [0, 1, 42, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      using n = Noun.atom(value);
      assertEquals(n.toNumber(), value);
      assertEquals(n.toBigInt(), BigInt(value));
      assert(n.isAtom && !n.isCell);
    }
    for (
      const value of [
        2n ** 53n,
        2n ** 63n - 1n,
        2n ** 63n,
        2n ** 64n - 1n,
        2n ** 64n,
        2n ** 64n + 1n,
        3n ** 200n,
      ]
    ) {
      using n = Noun.atom(value);
      assertEquals(n.toBigInt(), value);
      assertThrows(() => n.toNumber(), NounShapeError);
    }
    using hurray = Noun.cord("hurray");
    assertEquals(hurray.toNumber(), 133459438892392);
    assertEquals(hurray.toCord(), "hurray");
    using unicode = Noun.atom("héllo ✓");
    assertEquals(unicode.toCord(), "héllo ✓");
    using empty = Noun.cord("");
    assertEquals(empty.toNumber(), 0);
    // Little-endian bytes; high zero bytes are not part of the value.
    using bytes = Noun.atom(new Uint8Array([1, 2, 3, 0, 0]));
    assertEquals(bytes.toNumber(), 0x030201);
    assertEquals(bytes.toBytes(), new Uint8Array([1, 2, 3]));
    using long = Noun.atom(new Uint8Array(100).fill(0xff));
    assertEquals(long.toBigInt(), 2n ** 800n - 1n);
    assertEquals(long.toBytes().length, 100);
    using zero = Noun.atom(0);
    assertEquals(zero.toBytes().length, 0);
  }),
);

Deno.test("bad atoms are argument errors", () => {
  assertThrows(() => Noun.atom(-1), ArgumentError);
  assertThrows(() => Noun.atom(1.5), ArgumentError);
  assertThrows(() => Noun.atom(2 ** 60), ArgumentError);
  assertThrows(() => Noun.atom(-5n), ArgumentError);
  assertThrows(() => Noun.from([] as never), ArgumentError);
  assertThrows(() => Noun.tuple(), ArgumentError);
  assertThrows(() => Noun.from({} as never), ArgumentError);
  const cyclic: unknown[] = [1];
  cyclic.push(cyclic);
  assertThrows(() => Noun.from(cyclic as never), ArgumentError);
  assertEquals(handleCount(), baseline);
});

Deno.test(
  "cells, tuples and lists",
  noLeaks(() => {
    using pair = Noun.cell(1, 2);
    assert(pair.isCell);
    using h = pair.head;
    using t = pair.tail;
    assertEquals([h.toNumber(), t.toNumber()], [1, 2]);
    using tuple = Noun.tuple(1, [2, 3], "a");
    assertEquals(tuple.toString(), "[1 [2 3] 97]");
    using nested = Noun.from([[1, 2], 3, [[4, 5], 6]]);
    assertEquals(nested.toString(), "[[1 2] 3 [4 5] 6]");
    using same = Noun.cell([1, 2], [3, [[4, 5], 6]]);
    assert(same.equals(nested));
    using one = Noun.from([7]);
    assertEquals(one.toNumber(), 7);
    using list = Noun.list([1, 2n, "c"]);
    assertEquals(list.toString(), "[1 2 99 0]");
    const items = list.toArray();
    assertEquals(items.map((n) => n.toBigInt()), [1n, 2n, 99n]);
    for (const item of items) item.dispose();
    using nil = Noun.list([]);
    assertEquals(nil.toNumber(), 0);
    assertEquals(nil.toArray(), []);
    assertThrows(() => pair.toArray(), NounShapeError);
    using copy = Noun.from(pair);
    assert(copy.equals(pair));
  }),
);

Deno.test(
  "at(axis) walks the tree; bad axes and heads of atoms are shape errors",
  noLeaks(() => {
    using n = Noun.from([[1, 2], 3, 4]);
    const at = (axis: number | bigint) => {
      using x = n.at(axis);
      return x.toString();
    };
    assertEquals(at(1), "[[1 2] 3 4]");
    assertEquals(at(2), "[1 2]");
    assertEquals(at(4), "1");
    assertEquals(at(5), "2");
    assertEquals(at(6), "3");
    assertEquals(at(7), "4");
    assertEquals(at(7n), "4");
    assertThrows(() => n.at(0), NounShapeError);
    assertThrows(() => n.at(8), NounShapeError);
    assertThrows(() => n.at(2n ** 70n), NounShapeError);
    assertThrows(() => n.at(2 ** 40 + 1), NounShapeError);
    assertThrows(() => n.at(-1), ArgumentError);
    assertThrows(() => n.at(1.5), ArgumentError);
    using atom = Noun.atom(5);
    assertThrows(() => atom.head, NounShapeError);
    assertThrows(() => atom.tail, NounShapeError);
    assertThrows(() => atom.at(2), NounShapeError);
    assertThrows(() => n.toBigInt(), NounShapeError);
    assertThrows(() => n.toNumber(), NounShapeError);
    assertThrows(() => n.toCord(), NounShapeError);
  }),
);

Deno.test(
  "equals, mug, jam and cue",
  noLeaks(() => {
    using a = Noun.from([1, [2, 3]]);
    using b = Noun.from([1, 2, 3]);
    using c = Noun.from([[1, 2], 3]);
    assert(a.equals(b));
    assert(!a.equals(c));
    assertEquals(a.mug, b.mug);
    assertEquals(a.jam(), new Uint8Array([0x71, 0x48, 0x34]));
    using back = Noun.cue(a.jam());
    assert(back.equals(a));
    using big = Noun.atom(2n ** 300n + 7n);
    using bigBack = Noun.cue(big.jam());
    assertEquals(bigBack.toBigInt(), 2n ** 300n + 7n);
    assertThrows(() => Noun.cue(new Uint8Array([0])), CueError);
    assertThrows(() => Noun.cue(new Uint8Array(0)), CueError);
    assertThrows(() => Noun.cue(new Uint8Array([0xff, 0xff, 0xff, 0xff])), CueError);
  }),
);

Deno.test({
  name: "jam bytes and mugs match vectors.json",
  ignore: !hasCorpus,
  fn: noLeaks(() => {
    const vectors = readVectors();
    for (const vector of vectors.jam) {
      using n = Noun.from(vector.noun);
      assertEquals(n.jam(), hexBytes(vector.jam_hex), `jam of ${vector.name}`);
      using back = Noun.cue(hexBytes(vector.jam_hex));
      assert(back.equals(n), `cue of ${vector.name}`);
    }
    for (const vector of vectors.mug) {
      using n = Noun.from(vector.noun);
      assertEquals(n.mug, vector.mug, `mug of ${vector.name}`);
    }
  }),
});

Deno.test(
  "dispose and using release handles; use after dispose is a handle error",
  () => {
    const before = handleCount();
    const n = Noun.atom(5);
    assertEquals(handleCount(), before + 1);
    assert(!n.disposed);
    n.dispose();
    n.dispose();
    assert(n.disposed);
    assertEquals(handleCount(), before);
    assertThrows(() => n.toNumber(), HandleError);
    assertThrows(() => n.head, HandleError);
    using other = Noun.atom(1);
    assertThrows(() => other.equals(n), HandleError);
    assertThrows(() => nock(n, other), HandleError);
    assertEquals(n.toString(), "<disposed noun>");
    {
      using a = Noun.from([1, 2]);
      using h = a.head;
      assertEquals(handleCount(), before + 3);
      assertEquals(h.toNumber(), 1);
    }
    assertEquals(handleCount(), before + 1);
    assertThrows(() => new Noun(Symbol("fake"), 1), ArgumentError);
  },
);

function deepRoundTrip(jam: Uint8Array, jamToo: boolean): void {
  using a = Noun.cue(jam);
  using b = Noun.cue(jam);
  assert(a.equals(b));
  assertEquals(a.mug, b.mug);
  if (jamToo) assertEquals(a.jam(), jam);
  const text = formatNoun(a, { maxLength: 1000 });
  assert(text.endsWith("…") && text.length === 1001);
}

for (const nesting of ["right", "left"] as const) {
  Deno.test(`a 10^6-deep ${nesting}-nested noun goes through cue, jam, mug, equals and printing`, () => {
    deepRoundTrip(jamChain(1_000_000, nesting), true);
    assertEquals(handleCount(), baseline);
  });
}

Deno.test("at(axis) reaches the end of a 10^6-long list", () => {
  const depth = 1_000_000;
  using list = Noun.cue(jamChain(depth, "right"));
  using last = list.at(2n ** BigInt(depth + 1) - 1n);
  assertEquals(last.toNumber(), 0);
  using lastItem = list.at(2n ** BigInt(depth) * 2n - 2n);
  assertEquals(lastItem.toNumber(), depth);
  assertThrows(() => list.at(2n ** BigInt(depth + 2) - 1n), NounShapeError);
});

Deno.test("10^6-deep chains of zeros go through cue, mug, equals and printing", () => {
  for (const nesting of ["right", "left"] as const) {
    deepRoundTrip(jamZeroChain(1_000_000, nesting), false);
  }
});

// Mugs of zero chains cycle (period about 20,000 for left nesting): a jam that deduplicated by
// mug and confirmed by comparison would compare whole chains at every repeat (quadratic).
// zig/jam.zig deduplicates by canonical ids instead; this guards against a regression.
Deno.test("jam of 10^6-deep chains of zeros (mug cycles) is exact", () => {
  for (const nesting of ["right", "left"] as const) {
    deepRoundTrip(jamZeroChain(1_000_000, nesting), true);
  }
});

Deno.test(
  "printing: decimal atoms, flattened tails, ellipsis, tanks",
  noLeaks(() => {
    using n = Noun.from([1, [2, 3], [[4, 5], 6], 2n ** 64n]);
    assertEquals(n.toString(), "[1 [2 3] [[4 5] 6] 18446744073709551616]");
    using wide = Noun.list(Array.from({ length: 1000 }, (_, i) => i));
    assertEquals(formatNoun(wide, { maxLength: 10 }), "[0 1 2 3 4…");
    using huge = Noun.atom(new Uint8Array(5000).fill(1));
    assertEquals(huge.toString(), "<5000-byte atom>");
    using sep = tape(" ");
    using open = tape("[");
    using close = tape("]");
    using a = leaf("a");
    using b = leaf("b");
    using roseItems = Noun.list([a, b]);
    using rose = Noun.tuple("rose", [sep, open, close], roseItems);
    assertEquals(renderTank(rose), "[a b]");
    using dash = tape("-");
    using pre = tape("<");
    using mid = tape("|");
    using end = tape(">");
    using palmItems = Noun.list([a, rose]);
    using palm = Noun.tuple("palm", [dash, pre, mid, end], palmItems);
    assertEquals(renderTank(palm), "<|a-[a b]>");
    using notTank = Noun.from([1, 2]);
    assertEquals(renderTank(notTank), "[1 2]");
  }),
);

Deno.test(
  "nock: products, crashes with rendered traces, slogs",
  noLeaks(() => {
    using subject = Noun.from([41, 0]);
    using increment = Noun.from([4, 0, 2]);
    using product = nock(subject, increment);
    assertEquals(product.toNumber(), 42);
    assertEquals(lastSteps(), 2);
    using boom = leaf("boom");
    using path = Noun.list(["sys", "hoon", "hoon"]);
    // [11 [%spot [1 spot]] [11 [%mean [1 tank]] [0 0]]]: crash inside two hints.
    using crash = Noun.from([
      11,
      ["spot", 1, path, [10, 2], 10, 30],
      11,
      ["mean", 1, boom],
      0,
      0,
    ]);
    const error = assertThrows(() => nock(subject, crash), NockError);
    assertEquals(error.kind, "exit");
    assertEquals(error.trace, ["/sys/hoon/hoon::[10 2].[10 30]", "boom"]);
    error.traceNoun?.dispose();
    // A %mean trap: [[1 tank] 0] run with [9 2 0 1] gives the tank.
    using trap = Noun.from([[1, boom], 0]);
    using trapCrash = Noun.from([11, ["mean", 1, trap], 0, 0]);
    const trapError = assertThrows(() => nock(subject, trapCrash), NockError);
    assertEquals(trapError.trace, ["boom"]);
    trapError.traceNoun?.dispose();
    // A malformed clue prints raw; a trap that crashes is tolerated.
    using odd = Noun.from([11, ["hunk", 1, [1, 2], 3], 11, ["mean", 1, [0, 0], 0], 0, 0]);
    const oddError = assertThrows(() => nock(subject, odd), NockError);
    assertEquals(oddError.trace, ["%hunk [[1 2] 3]", "<trap in trace failed with %exit>"]);
    oddError.traceNoun?.dispose();
    // %slog: [11 [%slog [1 [0 tank]]] [1 7]]
    drainSlogs();
    using slog = Noun.from([11, ["slog", 1, 0, boom], 1, 7]);
    using seven = nock(subject, slog);
    assertEquals(seven.toNumber(), 7);
    assertEquals(drainSlogs(), [{ priority: 0, text: "boom" }]);
    assertEquals(drainSlogs(), []);
    using lose = Noun.from(["lose", "oops"]);
    using entries = Noun.list([lose]);
    assertEquals(renderTrace(entries), ["oops"]);
  }),
);

Deno.test(
  "nock: step and time limits give %intr",
  noLeaks(() => {
    using formula = Noun.from([2, [0, 1], [0, 2]]);
    using subject = Noun.cell(formula, 0);
    const steps = assertThrows(() => nock(subject, formula, { stepLimit: 100_000 }), NockError);
    assertEquals(steps.kind, "intr");
    steps.traceNoun?.dispose();
    const started = performance.now();
    const time = assertThrows(() => nock(subject, formula, { timeoutMs: 50 }), NockError);
    assertEquals(time.kind, "intr");
    assert(performance.now() - started < 5_000);
    time.traceNoun?.dispose();
    assertThrows(() => nock(subject, formula, { stepLimit: -1 }), ArgumentError);
    assertThrows(() => nock(subject, formula, { timeoutMs: NaN }), ArgumentError);
    assertEquals(interrupt(0), false);
  }),
);

function runWorker(
  task: Task,
  onMessage: (data: Record<string, unknown>, worker: Worker) => boolean,
) {
  const worker = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  worker.onmessage = (event) => {
    try {
      if (onMessage(event.data, worker)) resolve();
    } catch (error) {
      reject(error);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    reject(new Error(`Worker failed: ${event.message}`));
  };
  worker.postMessage(task);
  return promise.finally(() => worker.terminate());
}

Deno.test("memory limit gives %meme and the machine stays usable (in a Worker)", async () => {
  await runWorker({ task: "meme", limitMib: 16 }, (data) => {
    assertEquals(data.kind, "meme");
    assertEquals(data.after, 5);
    assertEquals(data.limitBytes, 16 * 2 ** 20);
    return true;
  });
  // The main thread's machine is untouched.
  assertEquals(workspaceStats().limitBytes, 8 * 2 ** 30);
});

Deno.test("interrupt stops another thread's computation with %intr", async () => {
  await runWorker({ task: "loop" }, (data) => {
    if (typeof data.id === "number") {
      setTimeout(() => assert(interrupt(data.id as number)), 50);
      return false;
    }
    assertEquals(data.kind, "intr");
    assert((data.ms as number) < 10_000);
    return true;
  });
});
