/**
 * The Nockchain field, extension field and Tip5 jets (zig/jets/nockchain.zig,
 * nockchain_ext.zig, tip5.zig) against their Hoon, in jet-check mode. Ivory's standard
 * library does not have these arms: each case compiles Cellar's reference library,
 * tests/hoon/nockchain_field.hoon, with the ivory pill's compiler (`=>  lib  |.  expr`),
 * whose `~%  %zeke  ..ut  ~` registers the core under the compiler layer as Nockchain's zeke
 * does, so the jets match at the paths they have in Nockchain's kernels; the extension field
 * and Tip5 cases put tests/hoon/nockchain_ext.hoon (the cores `ext-field`, `misc-lib` and
 * `tip5-lib` nested below zeke) on top of it. The cases are in tests/_jets_nockchain_cases.ts;
 * jets_conformance_test.ts leaves these entries to this file.
 *
 * Needs ../shared/corpus/pills/ivory.pill; skipped, visibly, without it.
 */

import {
  drainSlogs,
  formatNoun,
  Hoon,
  jetReport,
  nock,
  NockError,
  Noun,
  setJetCheck,
} from "../mod.ts";
import { assertEquals, hasCorpus, readCorpus } from "./_helpers.ts";
import type { Case } from "./_jet_cases.ts";
import { extPaths, nockchainCases } from "./_jets_nockchain_cases.ts";

const library = Deno.readTextFileSync(new URL("./hoon/nockchain_field.hoon", import.meta.url));
const extension = Deno.readTextFileSync(new URL("./hoon/nockchain_ext.hoon", import.meta.url));

/**
 * Run one case against the library; a failure message, or null. The case is compiled (with
 * the library, as a trap) outside jet-check mode, so that only its evaluation is checked and
 * not the compiler's own jets.
 */
function run(hoon: Hoon, name: string, test: Case): string | null {
  let shown: string;
  try {
    const lib = name in extPaths ? `${library}\n=>  ${extension}` : library;
    using trap = hoon.wish(`=>  ${lib}\n|.  ${test.expr}`);
    using kick = Noun.from([9, 2, 0, 1]);
    setJetCheck(true);
    try {
      using product = nock(trap, kick);
      shown = formatNoun(product);
    } finally {
      setJetCheck(false);
    }
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    error.traceNoun?.dispose();
    if (test.crash && error.kind === "exit") return null;
    return `${name}: ${test.expr} crashed with %${error.kind}`;
  }
  if (test.crash) return `${name}: ${test.expr} gave ${shown}, expected a crash`;
  if (test.product !== undefined && shown !== test.product) {
    return `${name}: ${test.expr} gave ${shown}, expected ${test.product}`;
  }
  return null;
}

/** The report's lines under the zeke core: path, entry, checks, mismatches. */
function zekeLines(): { path: string; jet: string; checks: number; mismatches: number }[] {
  const out = [];
  for (const text of jetReport().split("\n")) {
    const match = /^(k\S*\/pen\/zeke\/\S+) \* jet=(\S+).*?\bchecks=(\d+) mismatches=(\d+)/
      .exec(text);
    if (match === null) continue;
    out.push({
      path: match[1],
      jet: match[2],
      checks: Number(match[3]),
      mismatches: Number(match[4]),
    });
  }
  return out;
}

Deno.test({
  name:
    "jets: the Nockchain field, extension field and Tip5 jets agree with their Hoon (jet-check mode)",
  ignore: !hasCorpus,
  fn() {
    using hoon = Hoon.boot(readCorpus("pills/ivory.pill"));
    const failures: string[] = [];
    for (const [name, table] of Object.entries(nockchainCases)) {
      for (const test of table) {
        const failure = run(hoon, name, test);
        if (failure !== null) failures.push(failure);
      }
    }
    const slogs = drainSlogs().filter((s) => s.text.startsWith("jet mismatch"));
    assertEquals(failures, []);
    assertEquals(slogs.map((s) => s.text), []);
    const lines = zekeLines();
    // Every entry is registered at its Nockchain path (below the kelvin root) and checked.
    const names = Object.keys(nockchainCases).sort();
    assertEquals(
      lines.map((l) => l.path.replace(/^k\d+\//, "")).sort(),
      [
        ...names.map((n) => `one/two/tri/qua/pen/zeke/${extPaths[n] ?? n}`),
      ].sort(),
    );
    assertEquals(lines.map((l) => l.jet).sort(), names);
    assertEquals(lines.filter((l) => l.mismatches > 0).map((l) => l.path), []);
    assertEquals(lines.filter((l) => l.checks === 0).map((l) => l.path), []);
  },
});
