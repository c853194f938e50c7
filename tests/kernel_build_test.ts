/**
 * The default kernel (kernels/kv.hoon, built into kernels/kv.jam by tools/build_kernel.ts):
 * the build is reproducible, the jam has the NockApp interface (arms at axes 4, 22, 23,
 * state at 6), and each cause and peek of the key-value store behaves as documented,
 * crashes included. Only the rebuild tests need ../shared/corpus (the ivory pill); the rest
 * run on the built kernels/kv.jam alone (skipped when it is not built).
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
import { buildKernel, kernelAxes } from "../src/hoon/kernel_build.ts";
import { bootKernel, callArm, loadAxis, peekAxis, pokeAxis } from "../src/runtime/kernel.ts";

const kernelPoke = (core: Noun, sample: NounLike) => callArm(core, pokeAxis, sample);
const kernelPeek = (core: Noun, path: NounLike) => callArm(core, peekAxis, path);
const kernelLoad = (core: Noun, state: NounLike) => callArm(core, loadAxis, state);
import {
  assertEquals,
  assertThrows,
  hasCorpus,
  hasDefaultKernel,
  kernelTest,
  readCorpus,
} from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

const kernelJamUrl = new URL("../kernels/kv.jam", import.meta.url);
const kernelSourceUrl = new URL("../kernels/kv.hoon", import.meta.url);
const kernelJam = hasDefaultKernel ? Deno.readFileSync(kernelJamUrl) : new Uint8Array();

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
  /** The kernel's debugging arm `wish` (axis 10): a Hoon expression against the core. */
  wish(expression: string): Noun {
    using subject = Noun.cell(this.core, Noun.cord(expression));
    using formula = Noun.from([8, [9, 10, 0, 2], 9, 2, 10, [6, 0, 7], 0, 2]);
    return nock(subject, formula);
  }
}

kernelTest("kernel: the jam is a trap whose core has load, peek, poke at 4, 22, 23", () => {
  const core = freshKernel();
  {
    // bootKernel is exactly cue and [9 2 0 1].
    using trap = Noun.cue(kernelJam);
    using arm = Noun.from([9, 2, 0, 1]);
    using again = nock(trap, arm);
    assert(again.equals(core));
  }
  for (const axis of [4, 10, 22, 23]) {
    using formula = core.at(axis);
    assert(formula.isCell, `axis ${axis} is not an arm`);
  }
  using battery = core.head;
  using batteryTail = battery.tail;
  assert(batteryTail.isCell && batteryTail.tail.isCell, "the battery is not [4 [10 [22 23]]]");
  // The state at axis 6: version 0, empty store, no writes.
  using state = core.at(6);
  assertNoun(state, [0, 0, 0, 0, 0]);
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
});

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
  // A key that is not in the store, and paths that are not served.
  assertNoun(k.peek("get", "zz"), [0, 0]);
  assertNoun(k.peek("nope"), 0);
  assertNoun(k.peek(), 0);
  assertNoun(k.peek("get"), 0);
  assertNoun(k.peek("get", "a", "extra"), 0);
  assertNoun(k.peek("count", "extra"), 0);
  using atomPath = kernelPeek(k.core, 5);
  assertNoun(atomPath, 0);
});

kernelTest("kernel: %del removes a key, and crashes naming an absent key", () => {
  const k = new Driver(freshKernel());
  k.poke(["put", "a", 1]);
  k.poke(["put", "b", 2]);
  assertNoun(k.poke(["del", "a"]), [["del", "a"], 0]);
  assertNoun(k.peek("get", "a"), [0, 0]);
  assertNoun(k.peek("get", "b"), [0, 0, 2]);
  assertNoun(k.peek("stats"), [0, 0, 1, 2, 1]);
  const trace = k.reject(["del", "a"]);
  assert(trace.includes("%kv-del-absent") && trace.includes("'a'"), trace);
  assert(k.reject(["del", "never"]).includes("'never'"));
  assertNoun(k.peek("stats"), [0, 0, 1, 2, 1]);
});

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
  assert(trace.includes("%kv-incr-not-atom") && trace.includes("'pair'"), trace);
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
  assertNoun(k.peek("count"), [0, 0, 1503]);
  // The store is the very map that put:by builds (same treap), checked inside the kernel.
  using same = k.wish("=(store.state (~(gas by *(map @t *)) ~(tap by store.state)))");
  assertNoun(same, 0);
  using valid = k.wish("~(apt by store.state)");
  assertNoun(valid, 0);
  using counted = k.wish("=(count.state ~(wyt by store.state))");
  assertNoun(counted, 0);
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
    [1, 0, 0, 0, 0], // a version this kernel does not know
    [0, 0, 0, 0], // too short
    [0, 0, 0, 0, [1, 2]], // a cell where a counter goes
    [0, 7, 0, 0, 0], // a store that is not a map
    [0, [1, 2], 0, 0, 0], // a map node whose entry is not [key value]
  ];
  for (const old of foreign) {
    using shown = Noun.from(old);
    const error = assertThrows(() => kernelLoad(freshKernel(), old), NockError);
    error.traceNoun?.dispose();
    assert(error.trace.join("\n").includes("%kv-bad-state"), `${formatNoun(shown)}`);
  }
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

/** The code of a Worker (a fresh machine): boot kernels/kv.jam alone and fill. */
const workerSource = `
import { bootKernel, callArm } from ${
  JSON.stringify(new URL("../src/runtime/kernel.ts", import.meta.url).href)
};
const kernelPoke = (core, sample) => callArm(core, 23, sample);
const kernelPeek = (core, path) => callArm(core, 22, path);
import { jetStats, Noun } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
self.onmessage = (event) => {
  const { count } = event.data;
  const before = jetStats();
  const core = bootKernel(Deno.readFileSync(new URL(${JSON.stringify(kernelJamUrl.href)})));
  const booted = jetStats();
  const result = kernelPoke(core, [1, ["poke", "test", 0], 0, 0, 0, ["fill", "k", count]]);
  const after = jetStats();
  const countPath = Noun.list([Noun.cord("count")]);
  const answer = kernelPeek(result.tail, countPath).at(7).toNumber();
  self.postMessage({
    registrationsBefore: before.registrations,
    registrations: booted.registrations,
    dropped: booted.dropped,
    jetCalls: after.jetCalls - booted.jetCalls,
    punts: after.jetPunts - booted.jetPunts,
    answer,
  });
};
`;

kernelTest(
  "kernel: in a fresh machine the jam alone registers the jets, and %fill uses them",
  async () => {
    const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    try {
      const count = 20_000;
      const reply = new Promise<Record<string, number>>((resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(event.message));
        };
      });
      worker.postMessage({ count });
      const result = await reply;
      assertEquals(result.registrationsBefore, 0);
      assert(result.registrations > 90, `only ${result.registrations} cores registered`);
      assertEquals(result.dropped, 0);
      // Each insertion compares keys with the jetted gor and mor at every level of the treap.
      assert(result.jetCalls > count * 20, `only ${result.jetCalls} jet calls`);
      assertEquals(result.punts, 0);
      assertEquals(result.answer, count);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
  },
);

// The tests that build run last: they boot the pill again in this machine, making copies of
// the standard library, and the dashboard matches a core whose battery is a copy of the
// registered one by structural comparison, again after every collection: that made the %fill
// test above ~70 times slower when it ran after them.

kernelTest({
  name: "kernel: rebuilding kernels/kv.hoon gives exactly the bytes of kernels/kv.jam",
  ignore: !hasCorpus,
  fn() {
    const source = Deno.readTextFileSync(kernelSourceUrl);
    const rebuilt = buildKernel(readCorpus("pills/ivory.pill"), source);
    assertEquals(rebuilt.length, kernelJam.length);
    assert(rebuilt.every((byte, i) => byte === kernelJam[i]), "the bytes differ");
  },
});

kernelTest({
  name: "kernel: the build refuses bad source, misplaced arms and a bad pill",
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
      () => buildKernel(pill, "|_  s=@\n++  foo  |=(a=@ a)\n--"),
      ArgumentError,
      "no arm load",
    );
    assertThrows(() => buildKernel(pill, "  \n"), ArgumentError, "empty");
    assertThrows(() => buildKernel(kernelJam, "~"), NounShapeError, "not an ivory pill");
    assertThrows(() => buildKernel(new Uint8Array([0]), "~"), CueError);
    drainSlogs();
  },
});
