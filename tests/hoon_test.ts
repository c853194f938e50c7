/**
 * Urbit's Hoon compiler on Cellar: the ivory pill boots once for this file, and a table of
 * Hoon expressions is compiled and run through its wish gate, with jets and in jet-check
 * mode. Needs ../shared/corpus (skipped without it).
 */

import assert from "node:assert/strict";
import {
  ArgumentError,
  CueError,
  drainSlogs,
  formatNoun,
  handleCount,
  Hoon,
  jetReport,
  jetStats,
  NockError,
  Noun,
  NounShapeError,
  setJetCheck,
  setJetLimits,
} from "../mod.ts";
import {
  assertEquals,
  assertThrows,
  corpusUrl,
  hasCorpus,
  readCorpus,
  runCli,
} from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

/** An expression and its product as `formatNoun` prints it, or the message of its crash. */
interface Case {
  expr: string;
  product?: string;
  crash?: string;
}

/** A digest as Hoon's hashes give it: an atom whose little-endian bytes are the digest. */
async function digestAtom(algorithm: string, text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest(algorithm, new TextEncoder().encode(text)),
  );
  let value = 0n;
  for (let i = digest.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(digest[i]);
  return value.toString();
}

const table: Case[] = [
  // arithmetic
  { expr: "(add 2 2)", product: "4" },
  { expr: "(mul 12.345 67.890)", product: "838102050" },
  { expr: "(sub 10 3)", product: "7" },
  { expr: "(div 17 5)", product: "3" },
  { expr: "(mod 17 5)", product: "2" },
  { expr: "(dvr 17 5)", product: "[3 2]" },
  { expr: "(pow 2 10)", product: "1024" },
  { expr: "(max 3 9)", product: "9" },
  { expr: "(gth 3 2)", product: "0" },
  { expr: "(lth 2 2)", product: "1" },
  { expr: "(bex 70)", product: "1180591620717411303424" },
  { expr: "(dec 0)", crash: "decrement-underflow" },
  // bits
  { expr: "(met 3 'abc')", product: "3" },
  { expr: "(cat 3 'a' 'b')", product: "25185" },
  { expr: "(cut 3 [1 1] 'abc')", product: "98" },
  { expr: "(rip 3 'abc')", product: "[97 98 99 0]" },
  { expr: "(mix 5 3)", product: "6" },
  { expr: "(swp 3 0x1234)", product: "13330" },
  // lists
  { expr: "(lent (gulf 1 100))", product: "100" },
  { expr: "(roll (gulf 1 100) add)", product: "5050" },
  { expr: "(turn ~[1 2 3] |=(a=@ (mul a a)))", product: "[1 4 9 0]" },
  { expr: "(flop ~[1 2 3])", product: "[3 2 1 0]" },
  { expr: "(weld ~[1 2] ~[3])", product: "[1 2 3 0]" },
  { expr: "(snag 1 `(list @)`~[5 6 7])", product: "6" },
  { expr: "(scag 2 `(list @)`~[5 6 7])", product: "[5 6 0]" },
  { expr: "(sort ~[3 1 2] lth)", product: "[1 2 3 0]" },
  { expr: "(reap 3 7)", product: "[7 7 7 0]" },
  { expr: "(zing ~[~[1] ~[2 3]])", product: "[1 2 3 0]" },
  { expr: "(find ~[3] ~[1 2 3])", product: "[0 2]" },
  { expr: "(levy `(list @)`~[2 4] |=(a=@ =(0 (mod a 2))))", product: "0" },
  // maps and sets
  { expr: "(~(get by (malt ~[[1 2] [3 4]])) 3)", product: "[0 4]" },
  { expr: "~(wyt by (malt ~[[1 2] [3 4]]))", product: "2" },
  { expr: "(~(put by *(map @ @)) 1 2)", product: "[[1 2] 0 0]" },
  { expr: "(~(gas by *(map @t @)) ~[['a' 1] ['b' 2]])", product: "[[98 2] 0 [97 1] 0 0]" },
  { expr: "(~(has in (silt ~[1 2 3])) 2)", product: "0" },
  { expr: "~(tap in (silt ~[1 1 1]))", product: "[1 0]" },
  // text
  { expr: "(trip 'abc')", product: "[97 98 99 0]" },
  { expr: '(crip "abc")', product: "6513249" },
  { expr: "(scow %ud 1.000)", product: "[49 46 48 48 48 0]" },
  { expr: '(cass "HeLLo")', product: "[104 101 108 108 111 0]" },
  { expr: "(scot %ud 42)", product: "12852" },
  { expr: "(slaw %ud '12')", product: "[0 12]" },
  // parsing
  { expr: "(rash '123' dem)", product: "123" },
  {
    expr: "(ream '(add 1 2)')",
    product: "[1818455651 [1735289207 6579297 0] [1684955507 25717 1] [1684955507 25717 2] 0]",
  },
  { expr: "(add 2", crash: "syntax error" },
  // jam, cue and mug
  { expr: "(jam [1 2])", product: "4657" },
  { expr: "(cue 4.657)", product: "[1 2]" },
  { expr: "(cue (jam [1 2 3]))", product: "[1 2 3]" },
  { expr: "(mug [1 2])", product: "1781973465" },
  // hashes
  { expr: "(shax 'abc')", product: await digestAtom("SHA-256", "abc") },
  { expr: "(shal 3 'abc')", product: await digestAtom("SHA-512", "abc") },
  // cores and gates
  { expr: "=/  f  |=(a=@ (add a 1))  (f 41)", product: "42" },
  { expr: "=<  (foo 5)  |%  ++  foo  |=(a=@ (mul a 2))  --", product: "10" },
  { expr: "=/  fac  |=(n=@ ?:(=(n 0) 1 (mul n $(n (dec n)))))  (fac 10)", product: "3628800" },
  { expr: "=/  d  |_  b=@  ++  times  |=(a=@ (mul a b))  --  (~(times d 3) 4)", product: "12" },
  // virtualization
  { expr: "(mule |.(42))", product: "[0 42]" },
  { expr: "(mole |.((div 1 0)))", product: "0" },
  { expr: "(mink [[1 2] [0 3]] ,~)", product: "[0 2]" },
  { expr: "(mink [[1 2] [0 7]] ,~)", product: "[2 0]" },
  // crashes
  { expr: "(snag 5 `(list @)`~[1 2])", crash: "snag-fail" },
  { expr: "!!", crash: "" },
];

let booted: Hoon | undefined;

/** The ivory pill, booted once for the whole file. */
function hoon(): Hoon {
  booted ??= Hoon.boot(readCorpus("pills/ivory.pill"));
  return booted;
}

globalThis.addEventListener("unload", () => booted?.dispose());

/** Run one case; a failure message, or null when it gave what the table says. */
function check(c: Case): string | null {
  let product: Noun;
  try {
    product = hoon().wish(c.expr);
  } catch (error) {
    if (!(error instanceof NockError) || c.crash === undefined) throw error;
    error.traceNoun?.dispose();
    if (error.kind !== "exit") return `${c.expr}: crashed with %${error.kind}, expected %exit`;
    if (!error.trace.join("\n").includes(c.crash)) {
      return `${c.expr}: trace ${JSON.stringify(error.trace)} lacks ${JSON.stringify(c.crash)}`;
    }
    return null;
  }
  using result = product;
  if (c.crash !== undefined) return `${c.expr}: gave ${formatNoun(result)}, expected a crash`;
  const shown = formatNoun(result);
  return shown === c.product ? null : `${c.expr}: gave ${shown}, expected ${c.product}`;
}

Deno.test({
  name: "hoon: ivory boots and its wish gate evaluates a table of expressions",
  ignore: !hasCorpus,
  fn() {
    assert(table.length >= 40);
    const failures = table.map(check).filter((f) => f !== null);
    drainSlogs();
    assertEquals(failures, []);
    const stats = jetStats();
    assert(stats.registrations > 90, `only ${stats.registrations} cores registered`);
    assert(stats.jetCalls > 1000);
    assertEquals(stats.dropped, 0);
  },
});

Deno.test({
  name: "hoon: the table passes in jet-check mode, every jet agreeing with its Nock",
  ignore: !hasCorpus,
  fn() {
    const before = jetStats();
    setJetCheck(true);
    let failures: (string | null)[];
    try {
      failures = table.map(check).filter((f) => f !== null);
    } finally {
      setJetCheck(false);
    }
    const after = jetStats();
    const slogs = drainSlogs().filter((s) => s.text.startsWith("jet mismatch"));
    assertEquals(failures, []);
    assertEquals(slogs.map((s) => s.text), []);
    assertEquals(after.mismatches, before.mismatches);
    assert(after.checks - before.checks > 1000, `only ${after.checks - before.checks} checks`);
  },
});

Deno.test({
  name: "hoon: jet-check gives up checks over the step budget, counted as skipped",
  ignore: !hasCorpus,
  fn() {
    hoon();
    const before = jetStats();
    // `mul`'s reference Nock counts in unary: 12,345 x 67,890 is far over 1,000 steps.
    setJetLimits({ checkSteps: 1_000 });
    setJetCheck(true);
    let shown: string;
    try {
      using product = hoon().wish("(mul 12.345 67.890)");
      shown = formatNoun(product);
    } finally {
      setJetCheck(false);
      setJetLimits({ checkSteps: 1_000_000 });
    }
    const after = jetStats();
    assertEquals(shown, "838102050");
    assert(after.skipped > before.skipped, "no check was skipped");
    assertEquals(after.mismatches, before.mismatches);
    assert(/ \* jet=\S+ checks=\d+ mismatches=0 skipped=[1-9]\d*\n/.test(jetReport()));
    assertThrows(() => setJetLimits({ checkSteps: -2 }), ArgumentError, "checkSteps");
  },
});

Deno.test({
  name: "hoon: the %memo cache reports hits, inserts and its measured size within budget",
  ignore: !hasCorpus,
  fn() {
    const source = Deno.readTextFileSync(new URL("../bench/jets_core.hoon", import.meta.url));
    const before = jetStats();
    hoon().wish(source).dispose();
    hoon().wish(source).dispose();
    const after = jetStats();
    assert(after.memoInserts > before.memoInserts, "nothing was memoized");
    assert(after.memoHits > before.memoHits, "no memo hit");
    assertEquals(after.memoBudgetBytes, 256 * 2 ** 20);
    // Measured at the last collection (compiles collect many times).
    assert(after.memoBytes > 0, "the memo's bytes were never measured");
    assert(after.memoBytes <= after.memoBudgetBytes, `memo holds ${after.memoBytes} bytes`);
  },
});

Deno.test({
  name: "hoon: a crash is a NockError carrying Hoon's trace, and the gate stays usable",
  ignore: !hasCorpus,
  fn() {
    const error = assertThrows(() => hoon().wish("(snag 5 `(list @)`~[1 2])"), NockError);
    error.traceNoun?.dispose();
    assertEquals(error.kind, "exit");
    assert(error.trace.includes("snag-fail"), JSON.stringify(error.trace));
    const limited = assertThrows(
      () => hoon().wish("(roll (gulf 1 100.000) add)", { stepLimit: 10_000 }),
      NockError,
    );
    limited.traceNoun?.dispose();
    assertEquals(limited.kind, "intr");
    using four = hoon().wish("(add 2 2)");
    assertEquals(four.toNumber(), 4);
  },
});

Deno.test({
  name: "hoon: boot refuses what is not an ivory pill",
  ignore: !hasCorpus,
  fn() {
    using atom = Noun.atom(5);
    assertThrows(() => Hoon.boot(atom.jam()), NounShapeError, "not [%ivory eve]");
    using other = Noun.from(["pill", 0]);
    assertThrows(() => Hoon.boot(other.jam()), NounShapeError, "not an ivory pill");
    assertThrows(() => Hoon.boot(new Uint8Array([0xff, 0xff])), CueError);
  },
});

const pillPath = decodeURIComponent(new URL("pills/ivory.pill", corpusUrl).pathname);

Deno.test({
  name: "cli: hoon --pill FILE EXPR prints the product; errors are clear",
  ignore: !hasCorpus,
  async fn() {
    const ok = await runCli([
      "hoon",
      "--pill",
      pillPath,
      "--jet-check",
      "-v",
      "(turn ~[1 2 3] |=(a=@ (mul a a)))",
    ], [pillPath]);
    assertEquals([ok.code, ok.stdout], [0, "[1 4 9 0]\n"]);
    assert(/^boot: [\d.]+ ms$/m.test(ok.stderr), ok.stderr);
    assert(/^jet check: checks=[1-9]\d* mismatches=0 skipped=\d+$/m.test(ok.stderr), ok.stderr);
    assert(
      /^memo: \d+ hits, \d+ misses \([\d.]+% hit\), \d+ evictions/m.test(ok.stderr),
      ok.stderr,
    );
    const budget = await runCli([
      "hoon",
      "--pill",
      pillPath,
      "--jet-check",
      "--check-steps",
      "100",
      "(mul 12.345 67.890)",
    ], [pillPath]);
    assertEquals([budget.code, budget.stdout], [0, "838102050\n"]);
    assert(
      /^jet check: checks=\d+ mismatches=0 skipped=[1-9]\d*$/m.test(budget.stderr),
      budget.stderr,
    );
    const crash = await runCli(["hoon", "--pill", pillPath, "(snag 5 `(list @)`~[1 2])"], [
      pillPath,
    ]);
    assertEquals(crash.code, 1);
    assert(crash.stderr.includes("%exit") && crash.stderr.includes("snag-fail"), crash.stderr);
    const missing = await runCli(["hoon", "(add 2 2)"]);
    assertEquals(missing.code, 2);
    assert(missing.stderr.includes("Missing --pill FILE"), missing.stderr);
    const absent = await runCli(["hoon", "--pill", "/nonexistent.pill", "1"], [
      "/nonexistent.pill",
    ]);
    assertEquals(absent.code, 1);
    assert(absent.stderr.includes("not found: /nonexistent.pill"), absent.stderr);
  },
});

/** Run `./cellar ARGS` (the wrapper, as a user does) with the pill found through the env. */
async function cellar(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = decodeURIComponent(new URL("../cellar", import.meta.url).pathname);
  const output = await new Deno.Command(script, {
    args,
    env: { CELLAR_IVORY_PILL: pillPath },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test({
  name: "cli: hoon --profile OUT writes folded stacks and a flame graph of the arms",
  ignore: !hasCorpus,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cellar_profile_" });
    try {
      const out = await cellar(["hoon", "--profile", `${dir}/p`, "(lent (sort (gulf 1 300) gth))"]);
      assertEquals([out.code, out.stdout], [0, "300\n"], out.stderr);
      assert(out.stderr.includes(`profile: ${dir}/p.folded, ${dir}/p.svg`), out.stderr);
      const folded = Deno.readTextFileSync(`${dir}/p.folded`).trim().split("\n");
      assert(folded.length >= 1, "an empty profile");
      for (const line of folded) assert(/^k140[^ ]* [1-9]\d*$/.test(line), line);
      // The busiest arm of a sort is the sort or the comparisons it calls.
      assert(folded.some((line) => /(^|;|\/)(sort|gth)(\+\d+)?[; ]/.test(line)), folded.join("\n"));
      const svg = Deno.readTextFileSync(`${dir}/p.svg`);
      assert(svg.startsWith("<?xml") && svg.includes("<rect") && svg.includes("k140/"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cli: compile FILE.hoon -o FILE.jam rebuilds the default kernel byte for byte",
  ignore: !hasCorpus,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cellar_compile_" });
    try {
      const source = decodeURIComponent(new URL("../kernels/kv.hoon", import.meta.url).pathname);
      const committed = Deno.readFileSync(new URL("../kernels/kv.jam", import.meta.url));
      const built = await cellar(["compile", source, "-o", `${dir}/kv.jam`]);
      assertEquals(built.code, 0, built.stderr);
      assertEquals(Deno.readFileSync(`${dir}/kv.jam`), committed);
      // --check writes nothing and fails on a jam that is not the build.
      Deno.writeFileSync(`${dir}/other.jam`, committed.subarray(1));
      const check = await cellar(["compile", "--check", "-o", `${dir}/other.jam`, source]);
      assertEquals(check.code, 1);
      assert(check.stderr.includes("is not the build of"), check.stderr);
      // A source that does not compile: exit 1 with the compiler's message, no jam written.
      Deno.writeTextFileSync(`${dir}/bad.hoon`, "=>  ~\n|%  ++  load  (add 1\n");
      const bad = await cellar(["compile", `${dir}/bad.hoon`]);
      assertEquals(bad.code, 1);
      assert(bad.stderr.includes("syntax error"), bad.stderr);
      assertThrows(() => Deno.statSync(`${dir}/bad.jam`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
