import assert from "node:assert/strict";
import { handleCount, nock, NockError, Noun } from "../mod.ts";
import { assertEquals, assertThrows, hasCorpus, readCorpus } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

/** Mugs of the cued corpus files, from corpus/README.md. */
const mugs: [string, number][] = [
  ["nock/hurray.jam", 0x2acca14b],
  ["nock/decrement.jam", 0x5910f4ae],
  ["nock/decrement2.jam", 0x2419dc],
  ["nock/decfast.jam", 0x2c1a7cd4],
  ["nock/decslow.jam", 0x678fb757],
  ["nock/decflow.jam", 0x755f113d],
  ["nock/repeat5_1000.jam", 0x13904865],
  ["nock/repeat5_1000_tc.jam", 0x513c7761],
  ["nock/shax.jam", 0x53f159cc],
  ["pills/ivory.pill", 0x2a2274c9],
  ["kernels/test-ker.jam", 0x1174df08],
];

for (const [path, mug] of mugs) {
  Deno.test({
    name: `corpus mug: ${path}`,
    ignore: !hasCorpus,
    fn() {
      using noun = Noun.cue(readCorpus(path));
      assertEquals(`0x${noun.mug.toString(16)}`, `0x${mug.toString(16)}`);
    },
  });
}

/** Runs a corpus [subject formula] program. */
function run(path: string, stepLimit = 0): Noun {
  using program = Noun.cue(readCorpus(path));
  using subject = program.head;
  using formula = program.tail;
  return nock(subject, formula, { stepLimit });
}

/** Products from corpus/README.md (decfast/decslow/decflow need jets: issue 3). */
const products: [string, bigint][] = [
  ["nock/hurray.jam", 133459438892392n],
  ["nock/decrement.jam", 9999n],
  ["nock/decrement2.jam", 99n],
];

for (const [path, product] of products) {
  Deno.test({
    name: `corpus nock: ${path}`,
    ignore: !hasCorpus,
    fn() {
      using result = run(path);
      assertEquals(result.toBigInt(), product);
    },
  });
}

Deno.test({
  name: "corpus nock: repeat5_1000 and its tail-call form give the same list of 1000 fives",
  ignore: !hasCorpus,
  fn() {
    using plain = run("nock/repeat5_1000.jam");
    using tailCall = run("nock/repeat5_1000_tc.jam");
    assert(plain.isCell);
    assert(plain.equals(tailCall));
    const items = plain.toArray();
    assertEquals(items.length, 1000);
    assert(items.every((item) => item.toNumber() === 5));
    for (const item of items) item.dispose();
  },
});

Deno.test({
  // Jetless, shax runs for many minutes; its jets are matched (tests/jets_test.ts), so a
  // step limit below its jetted run (tens of steps) still stops it cleanly.
  name: "corpus nock: shax stops cleanly with %intr at a step limit",
  ignore: !hasCorpus,
  fn() {
    const error = assertThrows(() => run("nock/shax.jam", 10), NockError);
    assertEquals(error.kind, "intr");
    error.traceNoun?.dispose();
  },
});
