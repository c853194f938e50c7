/**
 * Jets on the corpus programs: the `[%a 50]` decrement jet (decfast, decflow), and the
 * SHA-256 of shax.jam, whose already-built kelvin-139 library is recognized by its
 * batteries. Needs ../shared/corpus (skipped without it).
 */

import assert from "node:assert/strict";
import {
  drainSlogs,
  handleCount,
  jetReport,
  jetStats,
  lastSteps,
  nock,
  NockError,
  Noun,
  setJetCheck,
} from "../mod.ts";
import { assertEquals, assertThrows, hasCorpus, readCorpus } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

/** Runs a corpus `[subject formula]` program. */
function run(path: string, stepLimit = 0): Noun {
  using program = Noun.cue(readCorpus(path));
  using subject = program.head;
  using formula = program.tail;
  return nock(subject, formula, { stepLimit });
}

/** Jetless, the decrement loops take about 10^10 steps; with the jet, a few dozen. */
const stepLimit = 1_000_000;

Deno.test({
  name: "jets: decfast returns 1999999999 within a step limit (the dec jet matched)",
  ignore: !hasCorpus,
  fn() {
    const calls = jetStats().jetCalls;
    const start = performance.now();
    using product = run("nock/decfast.jam", stepLimit);
    const ms = performance.now() - start;
    assertEquals(product.toNumber(), 1_999_999_999);
    assert(jetStats().jetCalls > calls);
    assert(ms < 1000, `decfast took ${ms} ms`);
    assert(/\na50\/dec \* jet=dec checks=\d+ mismatches=0\n/.test(jetReport()));
  },
});

Deno.test({
  name: "jets: decslow (no jet by that name) stops at the same step limit",
  ignore: !hasCorpus,
  fn() {
    const error = assertThrows(() => run("nock/decslow.jam", stepLimit), NockError);
    error.traceNoun?.dispose();
    assertEquals(error.kind, "intr");
  },
});

Deno.test({
  // One battery registered twice under one parent, as `dec` and `decslow`: a core with
  // that battery and parent is an instance of both, and the `dec` jet runs for both calls.
  name: "jets: decflow returns its product, 1999999999",
  ignore: !hasCorpus,
  fn() {
    using product = run("nock/decflow.jam", stepLimit);
    assertEquals(product.toNumber(), 1_999_999_999);
  },
});

/** SHA-256 of the bytes of an atom below 256 as Hoon's `shax` gives it (little-endian). */
async function shaxOfByte(byte: number): Promise<bigint> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array([byte])));
  let value = 0n;
  for (let i = digest.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(digest[i]);
  return value;
}

Deno.test({
  name: "jets: shax.jam gives the same product with jets and in jet-check mode",
  ignore: !hasCorpus,
  async fn() {
    using jetted = run("nock/shax.jam");
    assert(lastSteps() < 10_000, `shax took ${lastSteps()} steps: its jets did not match`);
    assert(jetReport().includes("\nk139/one/two/tri\n"));
    const before = jetStats();
    setJetCheck(true);
    let checked: Noun;
    try {
      checked = run("nock/shax.jam");
    } finally {
      setJetCheck(false);
    }
    using checkedProduct = checked;
    const after = jetStats();
    assert(jetted.equals(checkedProduct));
    assert(after.checks > before.checks);
    assertEquals(after.mismatches, before.mismatches);
    assertEquals(drainSlogs().filter((s) => s.text.startsWith("jet mismatch")), []);
    // The report counts checks per jetted registration; they add up to the totals.
    const counts = [
      ...jetReport().matchAll(/ \* jet=\S+ checks=(\d+) mismatches=(\d+)(?: skipped=\d+)?\n/g),
    ];
    const sum = (i: number) => counts.reduce((total, match) => total + Number(match[i]), 0);
    assertEquals(sum(1), after.checks);
    assertEquals(sum(2), after.mismatches);
    assert(counts.some((match) => Number(match[1]) > 0));
    // The program hashes the atom 1 (one byte).
    assertEquals(jetted.toBigInt(), await shaxOfByte(1));
  },
});
