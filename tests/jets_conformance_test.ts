/**
 * The jet conformance harness: one suite that every native jet runs. Each jet has a table of
 * cases (Hoon expressions on the ivory pill's standard library, plus seeded random inputs for
 * the arithmetic and bit jets); every case runs in jet-check mode, where the dashboard runs
 * the jet and the arm's own Nock side by side and counts a mismatch per registration. A case
 * passes when it gives its expected product (where the table states one) and no jet
 * mismatched; the suite fails if any jetted arm that ivory registers was never checked.
 *
 * The jets run Urbit's standard library, foreign material: the suite needs
 * ../shared/corpus/pills/ivory.pill and is skipped, visibly, without it.
 */

import assert from "node:assert/strict";
import {
  drainSlogs,
  formatNoun,
  handleCount,
  Hoon,
  jetReport,
  NockError,
  setJetCheck,
  setJetLimits,
} from "../mod.ts";
import { assertEquals, hasCorpus, readCorpus } from "./_helpers.ts";
import { c, type Case, crash, flag, randomPairs } from "./_jet_cases.ts";
import { cryptoCases } from "./_jets_crypto_cases.ts";
import { encodingsCases } from "./_jets_encodings_cases.ts";
import { cryptoEcCases } from "./_jets_crypto_ec_cases.ts";
import { cryptoHashCases } from "./_jets_crypto_hash_cases.ts";
import { cryptoSymCases } from "./_jets_crypto_sym_cases.ts";
import { floatsCases } from "./_jets_floats_cases.ts";
import { mapsCases } from "./_jets_maps_cases.ts";
import { nockchainCases } from "./_jets_nockchain_cases.ts";
import { parseCases } from "./_jets_parse_cases.ts";
import { smallCases } from "./_jets_small_cases.ts";
import { stdlibCases } from "./_jets_stdlib_cases.ts";
import { textCases } from "./_jets_text_cases.ts";
import { typesCases } from "./_jets_types_cases.ts";

handleCount();

/** The native jets of `zig/jets/jets.zig` itself, by entry name, with their cases. */
const baseCases: Record<string, Case[]> = {
  // %one: math
  add: [c("(add 2 2)", "4"), ...randomPairs("add", (a, b) => a + b, 1e6, 1)],
  dec: [c("(dec 1)", "0"), c("(dec 1.000)", "999"), crash("(dec 0)")],
  div: [
    c("(div 17 5)", "3"),
    crash("(div 1 0)"),
    ...randomPairs("div", (a, b) => b === 0n ? null : a / b, 1e5, 2),
  ],
  dvr: [c("(dvr 17 5)", "[3 2]"), crash("(dvr 1 0)")],
  gte: [c("(gte 3 3)", "0"), ...randomPairs("gte", (a, b) => flag(a >= b), 1e4, 3)],
  gth: [c("(gth 3 2)", "0"), ...randomPairs("gth", (a, b) => flag(a > b), 1e4, 4)],
  lte: [c("(lte 3 2)", "1"), ...randomPairs("lte", (a, b) => flag(a <= b), 1e4, 5)],
  lth: [c("(lth 2 2)", "1"), ...randomPairs("lth", (a, b) => flag(a < b), 1e4, 6)],
  max: [c("(max 3 9)", "9"), ...randomPairs("max", (a, b) => a > b ? a : b, 1e4, 7)],
  min: [c("(min 3 9)", "3"), ...randomPairs("min", (a, b) => a < b ? a : b, 1e4, 8)],
  mod: [
    c("(mod 17 5)", "2"),
    crash("(mod 1 0)"),
    ...randomPairs("mod", (a, b) => b === 0n ? null : a % b, 1e5, 9),
  ],
  mul: [c("(mul 12.345 678)", "8369910"), ...randomPairs("mul", (a, b) => a * b, 3e3, 10)],
  sub: [
    c("(sub 10 3)", "7"),
    crash("(sub 3 10)"),
    ...randomPairs("sub", (a, b) => a >= b ? a - b : null, 1e6, 11),
  ],
  // %one: tree addressing
  cap: [c("(cap 6)", "3"), c("(cap 5)", "2"), crash("(cap 1)")],
  mas: [c("(mas 6)", "2"), c("(mas 13)", "5"), crash("(mas 1)")],
  peg: [c("(peg 2 3)", "5"), c("(peg 6 2)", "12"), crash("(peg 0 1)")],
  // %two: bits
  bex: [c("(bex 0)", "1"), c("(bex 70)", "1180591620717411303424")],
  can: [c("(can 3 ~[[1 1] [1 2]])", "513"), c("(can 0 ~[[3 7] [2 0]])", "7")],
  cat: [c("(cat 3 'a' 'b')", "25185"), c("(cat 0 1 1)", "3")],
  cut: [c("(cut 3 [1 1] 'abc')", "98"), c("(cut 0 [2 3] 0b11.1100)", "7")],
  end: [c("(end 3 'abc')", "97"), c("(end [3 2] 'abc')", "25185")],
  lsh: [c("(lsh 3 1)", "256"), c("(lsh [3 2] 1)", "65536")],
  met: [c("(met 3 'abc')", "3"), c("(met 0 0)", "0"), c("(met 0 255)", "8")],
  rap: [c("(rap 3 ~['a' 'b'])", "25185"), c("(rap 3 ~)", "0")],
  rep: [c("(rep 3 ~[1 2])", "513"), c("(rep 0 ~[1 0 1])", "5")],
  rev: [c("(rev 3 2 0x1234)", "13330"), c("(rev 0 4 1)", "8")],
  rip: [c("(rip 3 'abc')", "[97 98 99 0]"), c("(rip 0 5)", "[1 0 1 0]")],
  rsh: [c("(rsh 3 'abc')", "25442"), c("(rsh [0 2] 12)", "3")],
  sew: [c("(sew 0 [0 2 3] 0)", "3"), c("(sew 3 [1 1 'z'] 'abc')", "6519393")],
  swp: [c("(swp 3 0x1234)", "13330"), c("(swp 3 'abc')", "6382179")],
  xeb: [c("(xeb 0)", "0"), c("(xeb 8)", "4")],
  con: [c("(con 5 3)", "7"), ...randomPairs("con", (a, b) => a | b, 2 ** 30, 12)],
  dis: [c("(dis 5 3)", "1"), ...randomPairs("dis", (a, b) => a & b, 2 ** 30, 13)],
  mix: [c("(mix 5 3)", "6"), ...randomPairs("mix", (a, b) => a ^ b, 2 ** 30, 14)],
  // %two: orderings
  aor: [c("(aor 'a' 'b')", "0"), c("(aor [1 2] 1)", "1"), c("(aor 1 [1 2])", "0")],
  dor: [c("(dor 1 2)", "0"), c("(dor [1 2] [1 3])", "0")],
  gor: [c("(gor 1 2)"), c("(gor [1 2] 3)"), c("(gor 'abc' 'abd')")],
  mor: [c("(mor 1 2)"), c("(mor [1 2] 3)"), c("(mor 'abc' 'abd')")],
  // %two: nouns
  mug: [c("(mug [1 2])", "1781973465"), c("(mug 0)"), c("(mug 'hello')")],
  jam: [c("(jam [1 2])", "4657"), c("(jam [[1 2] 1 2])")],
  cue: [c("(cue 4.657)", "[1 2]"), c("(cue (jam [1 2 3]))", "[1 2 3]")],
  // %two: lists
  find: [c("(find ~[3] ~[1 2 3])", "[0 2]"), c("(find ~[4] ~[1 2 3])", "0")],
  flop: [c("(flop ~[1 2 3])", "[3 2 1 0]"), c("(flop ~)", "0")],
  lent: [c("(lent (gulf 1 100))", "100"), c("(lent ~)", "0")],
  levy: [
    c("(levy `(list @)`~[2 4] |=(a=@ =(0 (mod a 2))))", "0"),
    c("(levy `(list @)`~[2 3] |=(a=@ =(0 (mod a 2))))", "1"),
  ],
  reap: [c("(reap 3 7)", "[7 7 7 0]"), c("(reap 0 7)", "0")],
  roll: [c("(roll (gulf 1 100) add)", "5050"), c("(roll `(list @)`~ add)", "0")],
  scag: [c("(scag 2 `(list @)`~[5 6 7])", "[5 6 0]"), c("(scag 9 `(list @)`~[5])", "[5 0]")],
  snag: [c("(snag 1 `(list @)`~[5 6 7])", "6"), crash("(snag 5 `(list @)`~[1 2])")],
  snip: [c("(snip `(list @)`~[1 2 3])", "[1 2 0]"), c("(snip `(list @)`~)", "0")],
  turn: [c("(turn ~[1 2 3] |=(a=@ (mul a a)))", "[1 4 9 0]"), c("(turn `(list @)`~ dec)", "0")],
  weld: [c("(weld ~[1 2] ~[3])", "[1 2 3 0]"), c("(weld ~ ~[3])", "[3 0]")],
  zing: [c("(zing ~[~[1] ~[2 3]])", "[1 2 3 0]"), c("(zing `(list (list @))`~)", "0")],
  // %tri: hashes
  shax: [c("(shax 'abc')"), c("(shax 0)")],
  shay: [c("(shay 3 'abc')"), c("(shay 0 0)")],
  shal: [c("(shal 3 'abc')"), c("(shal 0 0)")],
  shas: [c("(shas 1 'abc')"), c("(shas 'salt' 0)")],
  sha1: [c("(sha-1l:sha 3 'abc')"), c("(sha-1l:sha 0 0)")],
  // %qua: text and virtualization
  trip: [c("(trip 'abc')", "[97 98 99 0]"), c("(trip '')", "0")],
  mink: [c("(mink [[1 2] [0 3]] ,~)", "[0 2]"), c("(mink [[1 2] [0 7]] ,~)", "[2 0]")],
  mole: [c("(mole |.(42))", "[0 42]"), c("(mole |.((div 1 0)))", "0")],
  mule: [c("(mule |.(42))", "[0 42]"), c("(mule |.(!!))")],
};

/** Every native jet, by its entry name: the base table and each family's. */
const cases: Record<string, Case[]> = {
  ...baseCases,
  ...textCases,
  ...parseCases,
  ...mapsCases,
  ...typesCases,
  ...cryptoCases,
  ...encodingsCases,
  ...cryptoEcCases,
  ...cryptoHashCases,
  ...cryptoSymCases,
  ...floatsCases,
  ...stdlibCases,
  ...smallCases,
};

let booted: Hoon | undefined;
function hoon(): Hoon {
  booted ??= Hoon.boot(readCorpus("pills/ivory.pill"));
  return booted;
}
globalThis.addEventListener("unload", () => booted?.dispose());

/** The dashboard's default step budget of one check (`jet_check_steps_default`). */
const defaultCheckSteps = 1_000_000;

/** Run one case in jet-check mode, within its own step budget if it has one. */
function run(name: string, test: Case): string | null {
  if (test.steps === undefined) return runCase(name, test);
  setJetLimits({ checkSteps: test.steps });
  try {
    return runCase(name, test);
  } finally {
    setJetLimits({ checkSteps: defaultCheckSteps });
  }
}

/** Run one case in jet-check mode; a failure message, or null. */
function runCase(name: string, test: Case): string | null {
  let shown: string;
  try {
    using product = hoon().wish(test.expr);
    shown = formatNoun(product);
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

/** Per registration path of the jet report: whether it is jetted, and its checks. */
interface Line {
  path: string;
  jetted: boolean;
  /** The native entry's name (zig/jets), for a jetted path. */
  jet: string | null;
  checks: number;
  mismatches: number;
}

/** Parse the dashboard's report (see `Dashboard.report` in zig/dashboard.zig). */
function reportLines(): Line[] {
  const out: Line[] = [];
  for (const text of jetReport().split("\n")) {
    const match = /^(\S+)( \*)?(?: jet=(\S+))?.*?\bchecks=(\d+) mismatches=(\d+)/.exec(text);
    if (match === null) continue;
    out.push({
      path: match[1],
      jetted: match[2] !== undefined,
      jet: match[3] ?? null,
      checks: Number(match[4]),
      mismatches: Number(match[5]),
    });
  }
  return out;
}

/** The names of the native jets in zig/jets/*.zig (`plain`, `slams` and `nests` entries). */
function nativeJetNames(): string[] {
  const dir = new URL("../zig/jets/", import.meta.url);
  const names: string[] = [];
  for (const file of Deno.readDirSync(dir)) {
    if (!file.name.endsWith(".zig")) continue;
    const source = Deno.readTextFileSync(new URL(file.name, dir));
    const entry = /^\s*(?:E\.|entry\.)?(?:plain|slams|nests)\("([a-z0-9-]+)"/gm;
    names.push(...[...source.matchAll(entry)].map((m) => m[1]));
  }
  return names;
}

/**
 * Native jets of the default kernel's own arms (the trie walks of kernels/kv.hoon, under
 * `cellar-kv/`), which ivory's library does not have: tests/kernel_build_test.ts runs them
 * against their Hoon in jet-check mode, and zig/jets/kv_trie.zig has their unit tests.
 */
const kernelOnly = ["del", "got", "put"];

/**
 * Native jets of Nockchain's field library (zig/jets/nockchain.zig), which ivory's library
 * does not have either: tests/jets_nockchain_test.ts runs their cases on Cellar's reference
 * Hoon for them (tests/hoon/nockchain_field.hoon) in jet-check mode.
 */
const checkedElsewhere = [...kernelOnly, ...Object.keys(nockchainCases)];

Deno.test("jets: the conformance table has cases for every native jet and no others", () => {
  const names = nativeJetNames();
  assert(names.length >= 60, `found only ${names.length} jets in jets.zig`);
  assertEquals([...names].sort(), [...Object.keys(cases), ...checkedElsewhere].sort());
});

/**
 * `CELLAR_JET_CASES=RE` (a regular expression over entry names) runs only the matching entries'
 * cases and checks only their coverage: for working on one family. Unset, everything runs.
 */
const only = Deno.env.get("CELLAR_JET_CASES");
const selected = Object.entries(cases).filter(([name]) =>
  only === undefined || new RegExp(`^(?:${only})$`).test(name)
);

Deno.test({
  name: "jets: every native jet agrees with its arm's Nock on its cases (jet-check mode)",
  ignore: !hasCorpus,
  fn() {
    hoon();
    setJetCheck(true);
    const failures: string[] = [];
    try {
      assert(selected.length > 0, `CELLAR_JET_CASES=${only} selects no entry`);
      for (const [name, table] of selected) {
        assert(table.length > 0, `no cases for ${name}`);
        for (const test of table) {
          const failure = run(name, test);
          if (failure !== null) failures.push(failure);
        }
      }
    } finally {
      setJetCheck(false);
    }
    const slogs = drainSlogs().filter((s) => s.text.startsWith("jet mismatch"));
    assertEquals(failures, []);
    assertEquals(slogs.map((s) => s.text), []);
    const lines = reportLines();
    assert(lines.length > 0, "the jet report has no per-registration check counts");
    const mismatched = lines.filter((l) => l.mismatches > 0).map((l) => l.path);
    assertEquals(mismatched, []);
    // Every jetted arm ivory registered (a path with a native jet, not a %memo arm) ran at
    // least one check.
    // The type engine's arms under `pen/ut` are %memo entries (their Nock runs through the
    // memo cache, no native code to check): the report names their entry `memo`.
    const native = new Set(selected.map(([name]) => name));
    // Only ivory's registrations (its kelvin root `k…`): other test files in this process
    // register the default kernel's own `cellar-kv` jets, which kernel_build_test checks.
    const isNative = (l: Line) => l.path.startsWith("k") && l.jet !== null && native.has(l.jet);
    const unchecked = lines
      .filter((l) => l.jetted && isNative(l) && l.checks === 0)
      .map((l) => l.path);
    assertEquals(unchecked, []);
    const covered = new Set(lines.filter((l) => l.checks > 0).map((l) => l.jet));
    const missing = [...native].filter((name) => !covered.has(name));
    assertEquals(missing, [], "jets in the table that ivory never ran checked");
  },
});
