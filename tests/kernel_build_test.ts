/**
 * The default kernel (kernels/kv.hoon, committed with its build kernels/kv.jam): the jam is
 * a standalone trap (no standard library) with the NockApp interface (arms at axes 4, 22,
 * 23, state at 6), its own arithmetic runs on Cellar's jets, each cause and peek of the
 * key-value store behaves as documented, crashes included, and it upgrades the state of the
 * previous (stdlib) kv kernel. Only the tests that build need ../shared/corpus (the ivory
 * pill); the rest run on the committed kernels/kv.jam alone.
 */

import assert from "node:assert/strict";
import {
  CueError,
  drainSlogs,
  formatNoun,
  handleCount,
  nock,
  NockError,
  Noun,
  NounShapeError,
} from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { ArgumentError } from "../src/core/errors.ts";
import { buildKernel, kernelAxes, kernelModeOf } from "../src/hoon/kernel_build.ts";
import { bootKernel, callArm, loadAxis, peekAxis, pokeAxis } from "../src/runtime/kernel.ts";
import {
  assertEquals,
  assertThrows,
  defaultKernelUrl,
  hasCorpus,
  kernelTest,
  readCorpus,
} from "./_helpers.ts";
import { replayOf, stateOf, withRuntime } from "./_runtime_helpers.ts";

const kernelPoke = (core: Noun, sample: NounLike) => callArm(core, pokeAxis, sample);
const kernelPeek = (core: Noun, path: NounLike) => callArm(core, peekAxis, path);
const kernelLoad = (core: Noun, state: NounLike) => callArm(core, loadAxis, state);

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

const kernelSourceUrl = new URL("../kernels/kv.hoon", import.meta.url);
const stdlibSourceUrl = new URL("../kernels/examples/kv-stdlib.hoon", import.meta.url);
const kernelJam = Deno.readFileSync(defaultKernelUrl);

let booted: Noun | undefined;

/** The kernel core of kernels/kv.jam with its fresh state, booted once for the file. */
function freshKernel(): Noun {
  booted ??= bootKernel(kernelJam);
  return booted;
}

globalThis.addEventListener("unload", () => booted?.dispose());

/** A path (list of cords) from its elements. */
function path(...elements: string[]): Noun {
  return Noun.list(elements.map((e) => Noun.cord(e)));
}

/** Assert that a noun is (structurally) the given NounLike; compare as text for a clear diff. */
function assertNoun(actual: Noun, expected: NounLike): void {
  using want = Noun.from(expected);
  assertEquals(formatNoun(actual), formatNoun(want));
  assert(actual.equals(want));
}

/** The cord of a string as a bigint (UTF-8 bytes, first byte lowest). */
function cordValue(text: string): bigint {
  using cord = Noun.cord(text);
  return cord.toBigInt();
}

/**
 * A kernel being poked: holds the current core, numbers events, and keeps the old core when
 * a poke crashes (as the runtime does).
 */
class Driver {
  core: Noun;
  event = 0;
  constructor(core: Noun) {
    this.core = core;
  }
  /** Poke a cause; the effects. */
  poke(cause: NounLike): Noun {
    this.event += 1;
    using result = kernelPoke(this.core, [this.event, ["poke", "test", 0], 7, 0, 1, cause]);
    this.core = result.tail;
    return result.head;
  }
  /** Poke a cause that must crash; the rendered trace. The core is unchanged. */
  reject(cause: NounLike): string {
    using before = this.core.at(kernelAxes.state);
    const error = assertThrows(() => this.poke(cause), NockError);
    error.traceNoun?.dispose();
    assertEquals(error.kind, "exit");
    using after = this.core.at(kernelAxes.state);
    assert(after.equals(before));
    return error.trace.join("\n");
  }
  peek(...elements: string[]): Noun {
    using p = path(...elements);
    return kernelPeek(this.core, p);
  }
  /** The kernel's debugging arm `wish` (axis 10). */
  wish(request: NounLike): Noun {
    using subject = Noun.cell(this.core, request);
    using formula = Noun.from([8, [9, 10, 0, 2], 9, 2, 10, [6, 0, 7], 0, 2]);
    return nock(subject, formula);
  }
  /** Whether the store is canonical and holds `count` keys (`wish %check`). */
  assertCanonical(): void {
    using ok = this.wish("check");
    assertNoun(ok, 0);
  }
  /** The store (the trie) itself. */
  store(): Noun {
    using state = this.core.at(kernelAxes.state);
    return state.at(6);
  }
}

kernelTest(
  "kernel: the jam is a standalone trap whose core has load, peek, poke at 4, 22, 23",
  () => {
    const core = freshKernel();
    {
      // bootKernel is exactly cue and [9 2 0 1]; the trap is [[7 [0 3] K_f] 0].
      using trap = Noun.cue(kernelJam);
      using arm = Noun.from([9, 2, 0, 1]);
      using again = nock(trap, arm);
      assert(again.equals(core));
      using payload = trap.tail;
      assertNoun(payload, 0);
      using head = trap.at(4);
      using subject = trap.at(10);
      assertNoun(head, 7);
      assertNoun(subject, [0, 3]);
    }
    // Its own code only: a few KiB, where the stdlib kernel's jam is over a MiB.
    assert(kernelJam.length < 16 * 1024, `${kernelJam.length} bytes`);
    for (const axis of [4, 10, 22, 23]) {
      using formula = core.at(axis);
      assert(formula.isCell, `axis ${axis} is not an arm`);
    }
    // The state at axis 6: version 1, empty store, no writes.
    using state = core.at(6);
    assertNoun(state, [1, 0, 0, 0, 0]);
    // Call the arms by the raw NockApp convention, without the helpers.
    const call = (axis: number) => Noun.from([8, [9, axis, 0, 2], 9, 2, 10, [6, 0, 7], 0, 2]);
    using peekCall = call(22);
    using count = nock(Noun.cell(core, path("count")), peekCall);
    assertNoun(count, [0, 0, 0]);
    using pokeCall = call(23);
    using poked = nock(
      Noun.cell(core, [1, ["poke", "http", 0], 0, 0, 0, ["put", "a", 42]]),
      pokeCall,
    );
    assertNoun(poked.head, [["put", "a"], 0]);
    using newCore = poked.tail;
    using newState = newCore.at(6);
    using loadCall = call(4);
    using loaded = nock(Noun.cell(core, newState), loadCall);
    using got = nock(Noun.cell(loaded, path("get", "a")), peekCall);
    assertNoun(got, [0, 0, 42]);
    // The new core is the old one with only the state replaced.
    using oldBattery = core.head;
    using newBattery = newCore.head;
    using oldContext = core.at(7);
    using newContext = newCore.at(7);
    assert(newBattery.equals(oldBattery) && newContext.equals(oldContext));
  },
);

kernelTest("kernel: bootKernel refuses what is not a kernel", () => {
  using atom = Noun.atom(5);
  assertThrows(() => bootKernel(atom.jam()), NounShapeError, "an atom");
  assertThrows(() => bootKernel(new Uint8Array([])), CueError);
  // [[1 5] 0]: a trap whose product is the atom 5, not a core.
  using notCore = Noun.from([[1, [1, 5]], 0]);
  assertThrows(() => bootKernel(notCore.jam()), NounShapeError, "no axis 4");
});

kernelTest("kernel: %put stores, /get reads, /count and /stats count", () => {
  const k = new Driver(freshKernel());
  assertNoun(k.peek("get", "a"), [0, 0]);
  assertNoun(k.poke(["put", "a", 42]), [["put", "a"], 0]);
  assertNoun(k.poke(["put", "b", [1, 2, 3]]), [["put", "b"], 0]);
  assertNoun(k.peek("get", "a"), [0, 0, 42]);
  assertNoun(k.peek("get", "b"), [0, 0, [1, 2, 3]]);
  assertNoun(k.peek("count"), [0, 0, 2]);
  // Overwriting keeps the count and counts the write.
  assertNoun(k.poke(["put", "a", "new"]), [["put", "a"], 0]);
  assertNoun(k.peek("get", "a"), [0, 0, "new"]);
  assertNoun(k.peek("count"), [0, 0, 2]);
  assertNoun(k.peek("stats"), [0, 0, 2, 3, 0]);
  // The empty key (the atom 0, the root of the trie) and a long one.
  const long = "x".repeat(300);
  k.poke(["put", "", "empty"]);
  k.poke(["put", long, 7]);
  assertNoun(k.peek("get", ""), [0, 0, "empty"]);
  assertNoun(k.peek("get", long), [0, 0, 7]);
  assertNoun(k.peek("get", long.slice(1)), [0, 0]);
  // A key that is not in the store, and paths that are not served.
  assertNoun(k.peek("get", "zz"), [0, 0]);
  assertNoun(k.peek("nope"), 0);
  assertNoun(k.peek(), 0);
  assertNoun(k.peek("get"), 0);
  assertNoun(k.peek("get", "a", "extra"), 0);
  assertNoun(k.peek("count", "extra"), 0);
  assertNoun(k.peek("list", "extra"), 0);
  using atomPath = kernelPeek(k.core, 5);
  assertNoun(atomPath, 0);
  k.assertCanonical();
});

kernelTest(
  "kernel: %del removes a key and prunes its path, and crashes naming an absent key",
  () => {
    const k = new Driver(freshKernel());
    k.poke(["put", "a", 1]);
    using before = k.store();
    k.poke(["put", "b", 2]);
    assertNoun(k.poke(["del", "b"]), [["del", "b"], 0]);
    // The nodes made for b are gone: the very trie of a alone.
    using after = k.store();
    assert(after.equals(before));
    k.poke(["put", "b", 2]);
    assertNoun(k.poke(["del", "a"]), [["del", "a"], 0]);
    assertNoun(k.peek("get", "a"), [0, 0]);
    assertNoun(k.peek("get", "b"), [0, 0, 2]);
    assertNoun(k.peek("stats"), [0, 0, 1, 3, 2]);
    const trace = k.reject(["del", "a"]);
    assert(trace.includes("[%kv-del-absent 'a']"), trace);
    assert(k.reject(["del", "never"]).includes("[%kv-del-absent 'never']"));
    // The key is quoted as Hoon prints a cord: ' and \ escaped.
    assert(k.reject(["del", "it's\\"]).includes("[%kv-del-absent 'it\\'s\\\\']"));
    assertNoun(k.poke(["del", "b"]), [["del", "b"], 0]);
    // Empty again: the bare trie ~.
    using empty = k.store();
    assertNoun(empty, 0);
    assertNoun(k.peek("stats"), [0, 0, 0, 3, 3]);
  },
);

kernelTest("kernel: %incr counts from 0, and crashes on a cell value", () => {
  const k = new Driver(freshKernel());
  assertNoun(k.poke(["incr", "hits", 5]), [["incr", "hits", 5], 0]);
  assertNoun(k.poke(["incr", "hits", 2]), [["incr", "hits", 7], 0]);
  assertNoun(k.poke(["incr", "hits", 0]), [["incr", "hits", 7], 0]);
  assertNoun(k.peek("get", "hits"), [0, 0, 7]);
  k.poke(["put", "big", 2n ** 64n]);
  assertNoun(k.poke(["incr", "big", 1]), [["incr", "big", 2n ** 64n + 1n], 0]);
  k.poke(["put", "pair", [1, 2]]);
  const trace = k.reject(["incr", "pair", 1]);
  assert(trace.includes("[%kv-incr-not-atom 'pair']"), trace);
  assertNoun(k.peek("get", "pair"), [0, 0, [1, 2]]);
  assertNoun(k.peek("stats"), [0, 0, 3, 6, 0]);
});

kernelTest("kernel: %fill inserts prefix+index -> index, and counts only new keys", () => {
  const k = new Driver(freshKernel());
  assertNoun(k.poke(["fill", "k", 1000]), [["fill", 1000], 0]);
  assertNoun(k.peek("count"), [0, 0, 1000]);
  assertNoun(k.peek("get", "k0"), [0, 0, 0]);
  assertNoun(k.peek("get", "k7"), [0, 0, 7]);
  assertNoun(k.peek("get", "k999"), [0, 0, 999]);
  assertNoun(k.peek("get", "k1000"), [0, 0]);
  assertNoun(k.peek("get", "k0999"), [0, 0]);
  // Overlapping fills: k0..k1499 now, with 1500 more writes.
  k.poke(["fill", "k", 1500]);
  assertNoun(k.peek("stats"), [0, 0, 1500, 2500, 0]);
  assertNoun(k.poke(["fill", "k", 0]), [["fill", 0], 0]);
  assertNoun(k.poke(["fill", "", 3]), [["fill", 3], 0]);
  assertNoun(k.peek("get", "2"), [0, 0, 2]);
  assertNoun(k.peek("get", "12345678901234567890"), [0, 0]);
  assertNoun(k.peek("count"), [0, 0, 1503]);
  k.assertCanonical();
  // The shape is a function of the keys: the same entries put one by one, in reverse,
  // give the very same trie.
  const other = new Driver(freshKernel());
  for (let i = 1499; i >= 0; i--) other.poke(["put", `k${i}`, i]);
  for (const key of ["2", "1", "0"]) other.poke(["put", key, Number(key)]);
  using mine = k.store();
  using theirs = other.store();
  assert(mine.equals(theirs));
});

kernelTest("kernel: %reset empties the store, keeps puts and dels", () => {
  const k = new Driver(freshKernel());
  k.poke(["fill", "r", 50]);
  k.poke(["del", "r7"]);
  assertNoun(k.poke(["reset", 0]), [["reset", 49], 0]);
  assertNoun(k.peek("count"), [0, 0, 0]);
  assertNoun(k.peek("get", "r1"), [0, 0]);
  assertNoun(k.peek("list"), [0, 0, 0]);
  assertNoun(k.peek("stats"), [0, 0, 0, 50, 1]);
  using store = k.store();
  assertNoun(store, 0);
  assertNoun(k.poke(["reset", 0]), [["reset", 0], 0]);
  k.poke(["put", "r1", 1]);
  assertNoun(k.peek("count"), [0, 0, 1]);
});

/** Trie order: compare keys by their bits from the least significant up, a prefix first. */
function trieOrder(a: bigint, b: bigint): number {
  for (let x = a, y = b;; x >>= 1n, y >>= 1n) {
    if (x === 0n || y === 0n) return x === y ? 0 : x === 0n ? -1 : 1;
    const bitX = x & 1n;
    const bitY = y & 1n;
    if (bitX !== bitY) return bitX < bitY ? -1 : 1;
  }
}

kernelTest("kernel: /list answers every [key value] in trie order", () => {
  const k = new Driver(freshKernel());
  const keys = ["", "a", "b", "c", "ab", "ba", "abc", "k1", "k10", "k2", "zz", "\u00e9t\u00e9"];
  for (const [i, key] of keys.entries()) k.poke(["put", key, i]);
  k.poke(["put", "pair", [1, 2]]);
  const expected = [...keys.map((key, i) => [cordValue(key), BigInt(i)]), [
    cordValue("pair"),
    [1, 2],
  ]] as [bigint, NounLike][];
  expected.sort((x, y) => trieOrder(x[0], y[0]));
  using list = k.peek("list");
  assertNoun(list, [0, 0, ...expected.map(([key, value]) => [key, value]), 0]);
  // Not alphabetical: a (0x61) ends in bit 1, b (0x62) in bit 0, so b comes first.
  assert(expected.findIndex((e) => e[0] === 98n) < expected.findIndex((e) => e[0] === 97n));
});

kernelTest("kernel: a cause it does not know crashes with %kv-bad-cause", () => {
  const k = new Driver(freshKernel());
  k.poke(["put", "a", 1]);
  const bad: NounLike[] = [
    0,
    "put",
    ["bogus", 1],
    ["put", "a"], // [%put 97]: no [key value] after the tag
    ["put", [1, 2], 3],
    ["del", [1, 2]],
    ["del", "a", "b"],
    ["incr", "a", [1, 2]],
    ["incr", "a"],
    ["fill", "k"],
    ["fill", "k", [1, 2]],
    "reset",
    ["reset", 1],
    ["reset", [0, 0]],
  ];
  for (const cause of bad) {
    const trace = k.reject(cause);
    using shown = Noun.from(cause);
    assert(trace.includes("%kv-bad-cause"), `${formatNoun(shown)}: ${trace}`);
  }
  assertNoun(k.peek("stats"), [0, 0, 1, 1, 0]);
});

kernelTest("kernel: load adopts its own state and refuses a foreign one", () => {
  const k = new Driver(freshKernel());
  k.poke(["fill", "x", 50]);
  k.poke(["put", "a", [1, 2]]);
  using state = k.core.at(kernelAxes.state);
  // Into a fresh core: the same state, the same answers.
  using loaded = kernelLoad(freshKernel(), state);
  using loadedState = loaded.at(kernelAxes.state);
  assert(loadedState.equals(state));
  using fresh = freshKernel().at(kernelAxes.state);
  using back = kernelLoad(loaded, fresh);
  using backState = back.at(kernelAxes.state);
  assert(backState.equals(fresh));
  const foreign: NounLike[] = [
    0,
    5,
    "kv",
    [2, 0, 0, 0, 0], // a version this kernel does not know
    [1, 0, 0, 0], // too short
    [1, 0, 0, 0, [1, 2]], // a cell where a counter goes
    [1, 7, 0, 0, 0], // a store that is not a trie
    [1, [5, 0, 0], 0, 0, 0], // a trie node whose value is not a unit
    [0, 7, 0, 0, 0], // a version-0 store that is not a map
    [0, [1, 2], 0, 0, 0], // a map node whose entry is not [key value]
  ];
  for (const old of foreign) {
    using shown = Noun.from(old);
    const error = assertThrows(() => kernelLoad(freshKernel(), old), NockError);
    error.traceNoun?.dispose();
    assert(error.trace.join("\n").includes("%kv-bad-state"), `${formatNoun(shown)}`);
  }
});

kernelTest(
  "kernel: load converts a version-0 state (the stdlib kernel's map) into the trie",
  () => {
    // A map of the stdlib kv kernel is a tree of [[key value] left right] nodes; load walks
    // it whatever its order, and recounts the keys (count 99 here is wrong on purpose).
    const node = (key: string, value: NounLike, l: NounLike = 0, r: NounLike = 0): NounLike => [
      [key, value],
      l,
      r,
    ];
    const map = node("m", 1, node("c", [2, 3], node("a", 4), 0), node("x", 5, 0, node("zz", 6)));
    using upgraded = kernelLoad(freshKernel(), [0, map, 99, 40, 2]);
    const k = new Driver(upgraded);
    assertNoun(k.peek("stats"), [0, 0, 5, 40, 2]);
    assertNoun(k.peek("get", "m"), [0, 0, 1]);
    assertNoun(k.peek("get", "c"), [0, 0, [2, 3]]);
    assertNoun(k.peek("get", "zz"), [0, 0, 6]);
    assertNoun(k.peek("get", "q"), [0, 0]);
    k.assertCanonical();
    // The same trie as the one the entries make when put.
    const other = new Driver(freshKernel());
    for (const [key, value] of [["zz", 6], ["a", 4], ["m", 1], ["x", 5], ["c", [2, 3]]]) {
      other.poke(["put", key as string, value as NounLike]);
    }
    using mine = k.store();
    using theirs = other.store();
    assert(mine.equals(theirs));
    // An empty version-0 state.
    using empty = kernelLoad(freshKernel(), [0, 0, 0, 0, 0]);
    using emptyState = empty.at(kernelAxes.state);
    assertNoun(emptyState, [1, 0, 0, 0, 0]);
  },
);

/**
 * The version-1 store (`[val zer one]` nodes on the key's bits, least significant first) of
 * `entries`, built here from the format's definition rather than by a kernel: what any
 * earlier build of this kernel holds for those entries.
 */
function versionOneTrie(entries: [string, NounLike][]): NounLike {
  type Node = { val: NounLike | undefined; kids: [Node | undefined, Node | undefined] };
  const root: Node = { val: undefined, kids: [undefined, undefined] };
  for (const [key, value] of entries) {
    let node = root;
    for (let k = cordValue(key); k !== 0n; k >>= 1n) {
      const bit = Number(k & 1n);
      node = node.kids[bit] ??= { val: undefined, kids: [undefined, undefined] };
    }
    node.val = value;
  }
  // Post-order with an explicit stack: each node's noun once both children's are made.
  const made = new Map<Node, NounLike>();
  const todo: [Node, boolean][] = [[root, false]];
  while (todo.length > 0) {
    const [node, ready] = todo.pop()!;
    const [zer, one] = node.kids;
    if (!ready) {
      todo.push([node, true]);
      for (const kid of [zer, one]) if (kid !== undefined) todo.push([kid, false]);
      continue;
    }
    const kid = (n: Node | undefined) => n === undefined ? 0 : made.get(n)!;
    made.set(node, [node.val === undefined ? 0 : [0, node.val], kid(zer), kid(one)]);
  }
  return made.get(root)!;
}

kernelTest("kernel: load adopts a version-1 state made by an earlier build", () => {
  const entries: [string, NounLike][] = [["a", 1], ["k1", [1, 2]], ["zz", 3], ["abc", 0]];
  using loaded = kernelLoad(freshKernel(), [1, versionOneTrie(entries), 4, 9, 5]);
  const k = new Driver(loaded);
  k.assertCanonical();
  assertNoun(k.peek("stats"), [0, 0, 4, 9, 5]);
  for (const [key, value] of entries) assertNoun(k.peek("get", key), [0, 0, value]);
  // The same store as the pokes make, and pokes carry on from it.
  const other = new Driver(freshKernel());
  for (const [key, value] of entries) other.poke(["put", key, value]);
  using mine = k.store();
  using theirs = other.store();
  assert(mine.equals(theirs));
  assertNoun(k.poke(["incr", "zz", 2]), [["incr", "zz", 5], 0]);
  assertNoun(k.poke(["del", "a"]), [["del", "a"], 0]);
  assertNoun(k.peek("stats"), [0, 0, 3, 10, 6]);
  k.assertCanonical();
});

kernelTest("kernel: poke sample fields other than the cause do not matter", () => {
  const a = new Driver(freshKernel());
  a.poke(["put", "k", 1]);
  using other = kernelPoke(freshKernel(), [
    99,
    ["poke", "http", 0],
    2n ** 256n - 1n,
    "~zod",
    0x8000000dn << 64n,
    ["put", "k", 1],
  ]);
  using otherCore = other.tail;
  assert(otherCore.equals(a.core));
});

kernelTest("kernel: wish answers %check and refuses anything else", () => {
  const k = new Driver(freshKernel());
  k.assertCanonical();
  for (const request of ["nope", 0, [1, 2]]) {
    const error = assertThrows(() => k.wish(request as NounLike), NockError);
    error.traceNoun?.dispose();
    assert(error.trace.join("\n").includes("%kv-bad-wish"));
  }
});

/** Run `source` (a module body with `kernelJam` and `run` in scope) in a fresh machine. */
async function inWorker<T>(body: string, data: Record<string, unknown>): Promise<T> {
  const kernel = JSON.stringify(new URL("../src/runtime/kernel.ts", import.meta.url).href);
  const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
  const source = `
import { bootKernel, callArm } from ${kernel};
import { jetReport, jetStats, Noun, setJetCheck } from ${mod};
const kernelJam = Deno.readFileSync(new URL(${JSON.stringify(defaultKernelUrl.href)}));
const poke = (core, cause, options) =>
  callArm(core, 23, [1, ["poke", "test", 0], 0, 0, 0, cause], options).tail;
const peek = (core, ...path) => callArm(core, 22, Noun.list(path.map((e) => Noun.cord(e))));
self.onmessage = (event) => {
  const data = event.data;
  ${body}
};`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    const reply = new Promise<T>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
    });
    worker.postMessage(data);
    return await reply;
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

/** The registered paths of a jet report, and whether each has a jet (`*`). */
function reportedPaths(report: string): Map<string, boolean> {
  const paths = new Map<string, boolean>();
  for (const line of report.split("\n").slice(1)) {
    const m = /^(\S+)( \*)?(?: jet=\S+ checks=\d+ mismatches=\d+)?$/.exec(line.trim());
    if (m && m[1] !== "profile") paths.set(m[1], m[2] !== undefined);
  }
  return paths;
}

kernelTest(
  "kernel: in a fresh machine the jam alone registers its own jets, and uses them",
  async () => {
    const result = await inWorker<Record<string, number | string>>(
      `
  const before = jetStats();
  let core = bootKernel(kernelJam);
  const booted = jetStats();
  // A sum of two 10^12 atoms: 10^12 decrements without the add jet.
  core = poke(core, ["put", "big", 10n ** 12n], { stepLimit: 20_000 });
  core = poke(core, ["incr", "big", 10n ** 12n], { stepLimit: 20_000 });
  const big = peek(core, "get", "big").at(7).toBigInt().toString();
  const filling = jetStats();
  core = poke(core, ["fill", "k", data.count]);
  const after = jetStats();
  self.postMessage({
    registrationsBefore: before.registrations,
    registrationsAtBoot: booted.registrations,
    registrations: after.registrations,
    dropped: after.dropped,
    big,
    jetCalls: after.jetCalls - filling.jetCalls,
    punts: after.jetPunts - before.jetPunts,
    answer: peek(core, "count").at(7).toNumber(),
    report: jetReport(),
  });`,
      { count: 20_000 },
    );
    assertEquals(result.registrationsBefore, 0);
    // Booting registers the root %cellar-kv; its gates register when first called.
    assertEquals(result.registrationsAtBoot, 1);
    assertEquals(result.dropped, 0);
    assertEquals(result.big, String(2n * 10n ** 12n));
    // Each insertion is a put jet call, and its key's digits are made with dvr, add and mul.
    assert((result.jetCalls as number) > 20_000 * 10, `only ${result.jetCalls} jet calls`);
    assertEquals(result.punts, 0);
    assertEquals(result.answer, 20_000 + 1); // and "big"
    const paths = reportedPaths(result.report as string);
    assertEquals(paths.size, result.registrations, result.report as string);
    assertEquals(paths.get("cellar-kv"), false);
    for (const gate of ["add", "dec", "dvr", "mul", "put", "got"]) {
      assertEquals(paths.get(`cellar-kv/${gate}`), true, result.report as string);
    }
    for (const p of paths.keys()) assert(p.startsWith("cellar-kv"), p);
  },
);

kernelTest("kernel: the Hoon bodies of the jetted gates agree with the jets", async () => {
  // Jet-check mode runs each jet and the gate's own Hoon (unary arithmetic, the trie's
  // walks), and compares: small numbers only. dvr's Hoon calls lth and sub (the digits of
  // 10 and 11 in %fill), so they are checked too.
  const result = await inWorker<Record<string, number | string>>(
    `
  setJetCheck(true);
  let core = bootKernel(kernelJam);
  core = poke(core, ["put", "a", 1]);
  core = poke(core, ["incr", "a", 2]);
  core = poke(core, ["fill", "", 12]);
  core = poke(core, ["del", "1"]);
  // The trie's walks: new keys, overwrites, absent and present deletes, misses.
  for (const key of ["ab", "ba", "abc", "", "b", "zz"]) core = poke(core, ["put", key, [1, 2]]);
  core = poke(core, ["put", "ab", 7]);
  for (const key of ["ba", "zz", "b"]) core = poke(core, ["del", key]);
  for (let i = 0; i < 12; i++) core = poke(core, ["put", "k" + i, i]);
  for (let i = 0; i < 6; i++) core = poke(core, ["del", "k" + i]);
  const missing = peek(core, "get", "ba").toString();
  const value = peek(core, "get", "a").at(7).toNumber();
  const count = peek(core, "count").at(7).toNumber();
  const stats = jetStats();
  self.postMessage({
    checks: stats.checks,
    mismatches: stats.mismatches,
    missing,
    value,
    count,
    report: jetReport(),
  });`,
    {},
  );
  assert((result.checks as number) > 50, `only ${result.checks} checks`);
  assertEquals(result.mismatches, 0);
  assertEquals([result.value, result.count, result.missing], [3, 21, "[0 0]"]);
  const paths = reportedPaths(result.report as string);
  for (const gate of ["add", "dec", "dvr", "lth", "mul", "sub", "got", "put", "del"]) {
    assertEquals(paths.get(`cellar-kv/${gate}`), true, result.report as string);
  }
});

kernelTest("kernel: the build mode follows the source's first expression", () => {
  assertEquals(kernelModeOf(Deno.readTextFileSync(kernelSourceUrl)), "standalone");
  assertEquals(kernelModeOf(Deno.readTextFileSync(stdlibSourceUrl)), "stdlib");
  assertEquals(kernelModeOf("=>(~ |%  --)"), "standalone");
  assertEquals(kernelModeOf("\n  ::  comment\n\n=>\n~\n1"), "standalone");
  assertEquals(kernelModeOf("=>  ~zod  1"), "stdlib");
  assertEquals(kernelModeOf("|%  --\n=>  ~"), "stdlib");
  // Many blank lines before a stdlib source: no backtracking blow-up.
  assertEquals(kernelModeOf("\n".repeat(100_000) + "|%"), "stdlib");
});

// The tests that build run last: they boot the pill in this machine, which registers the
// standard library's cores (many more cores for the dashboard to match). The rebuild of
// kernels/kv.hoon comes last of all: that compile fills the %memo cache of the compiler's
// type engine (2^14 entries), and compiles after it run several times slower.

kernelTest({
  name: "kernel: the build refuses bad source, misplaced arms, the stdlib in a standalone kernel",
  ignore: !hasCorpus,
  fn() {
    const pill = readCorpus("pills/ivory.pill");
    const syntax = assertThrows(
      () => buildKernel(pill, "|_  s=@\n++  load  |=(a=@ a\n--"),
      NockError,
      "does not compile",
    );
    syntax.traceNoun?.dispose();
    assert(syntax.trace.join("\n").includes("syntax error"), JSON.stringify(syntax.trace));
    // Three arms: Hoon puts peek at 10 and poke at 11.
    const threeArms = "|_  s=@\n++  load  |=(a=@ a)\n++  peek  |=(a=@ a)\n++  poke  |=(a=@ a)\n--";
    assertThrows(() => buildKernel(pill, threeArms), ArgumentError, "arm peek is not at axis 22");
    assertThrows(
      () => buildKernel(pill, "=>  ~\n" + threeArms, { mode: "standalone" }),
      ArgumentError,
      "arm peek is not at axis 22",
    );
    assertThrows(
      () => buildKernel(pill, "|_  s=@\n++  foo  |=(a=@ a)\n--"),
      ArgumentError,
      "no arm load",
    );
    // A standalone kernel sees nothing of the standard library: add is not in scope.
    const kernel = (body: string) =>
      `|_  s=@\n++  load  |=(a=@ ${body})\n++  peek  |=(a=* ~)\n` +
      `++  poke  |=(a=* [~ ..poke])\n++  wish  |=(a=* a)\n--`;
    assert(buildKernel(pill, kernel("..load(s (add a 1))")).length > 100_000); // stdlib
    const find = assertThrows(
      () => buildKernel(pill, kernel("..load(s (add a 1))"), { mode: "standalone" }),
      NockError,
    );
    find.traceNoun?.dispose();
    assert(find.trace.join("\n").includes("-find.add"), JSON.stringify(find.trace));
    assert(buildKernel(pill, "=>  ~\n" + kernel("..load(s a)")).length < 1000);
    assertThrows(() => buildKernel(pill, "  \n"), ArgumentError, "empty");
    assertThrows(() => buildKernel(kernelJam, "~"), NounShapeError, "not an ivory pill");
    assertThrows(() => buildKernel(new Uint8Array([0]), "~"), CueError);
    drainSlogs();
  },
});

kernelTest({
  name: "kernel: a data directory of the stdlib kv kernel upgrades to kernels/kv.jam",
  ignore: !hasCorpus,
  fn() {
    const old = buildKernel(
      readCorpus("pills/ivory.pill"),
      Deno.readTextFileSync(stdlibSourceUrl),
    );
    assert(old.length > 1_000_000, "the stdlib kernel carries the standard library");
    const dir = Deno.makeTempDirSync({ prefix: "cellar-kernel-" });
    try {
      withRuntime({ dataDir: dir, kernel: old }, (r) => {
        for (const cause of [["fill", "k", 200], ["put", "a", [1, 2]], ["del", "k5"]]) {
          using noun = Noun.from(cause as NounLike);
          r.poke(noun).effects.dispose();
        }
        using incr = Noun.from(["incr", "hits", 5]);
        r.poke(incr).effects.dispose();
      });
      withRuntime({ dataDir: dir, kernel: kernelJam }, (r) => {
        assert(r.bootReport.upgradedKernel, "upgraded");
        const peek = (p: string, expected: NounLike) => {
          const result = r.peek(p);
          assert(result.kind === "value", p);
          using value = result.value;
          assertNoun(value, expected);
        };
        peek("/stats", [201, 202, 1]);
        peek("/get/k199", 199);
        peek("/get/a", [1, 2]);
        peek("/get/hits", 5);
        assertEquals(r.peek("/get/k5").kind, "empty");
        using incr = Noun.from(["incr", "hits", 2]);
        using effects = r.poke(incr).effects;
        assertNoun(effects, [["incr", "hits", 7], 0]);
        using state = r.state();
        using version = state.at(kernelAxes.state * 2);
        assertNoun(version, 1);
      });
      // A replay of the log (both kernels, the upgrade between) gives the same state.
      assertEquals(stateOf(dir).mug, replayOf(dir).mug);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

kernelTest({
  name: "kernel: rebuilding kernels/kv.hoon gives exactly the committed kernels/kv.jam",
  ignore: !hasCorpus,
  fn() {
    const source = Deno.readTextFileSync(kernelSourceUrl);
    const rebuilt = buildKernel(readCorpus("pills/ivory.pill"), source);
    assertEquals(rebuilt.length, kernelJam.length);
    assert(rebuilt.every((byte, i) => byte === kernelJam[i]), "the bytes differ");
  },
});
