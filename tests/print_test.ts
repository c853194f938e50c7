/**
 * Printing (src/core/print.ts, src/core/format.ts): nouns with flattened tails, the length
 * cap, cords, tanks (leaf, rose, palm) and crash traces with and without an evaluator for
 * `%mean` traps.
 */

import { formatNoun, handleCount, nock, NockError, Noun, renderTank, renderTrace } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { assertEquals, leaf, tape } from "./_helpers.ts";

function format(like: NounLike, options?: Parameters<typeof formatNoun>[1]): string {
  using noun = Noun.from(like);
  return formatNoun(noun, options);
}

/** `[%rose [sep open close] tanks]`. */
function rose(sep: string, open: string, close: string, tanks: Noun[]): Noun {
  using s = tape(sep);
  using o = tape(open);
  using c = tape(close);
  using items = Noun.list(tanks);
  return Noun.tuple("rose", [s, o, c], items);
}

/** `[%palm [sep open mid close] tanks]`. */
function palm(parts: [string, string, string, string], tanks: Noun[]): Noun {
  using s = tape(parts[0]);
  using o = tape(parts[1]);
  using m = tape(parts[2]);
  using c = tape(parts[3]);
  using items = Noun.list(tanks);
  return Noun.tuple("palm", [s, o, m, c], items);
}

/** A test that must release every noun handle it takes. */
function test(name: string, fn: () => void): void {
  Deno.test(name, () => {
    const before = handleCount();
    fn();
    assertEquals(handleCount(), before, "noun handles leaked");
  });
}

function trace(entries: NounLike[]): string[] {
  const nouns = entries.map((e) => Noun.from(e));
  try {
    using list = Noun.list(nouns);
    return renderTrace(list);
  } finally {
    for (const n of nouns) n.dispose();
  }
}

test("formatNoun: atoms in decimal, right-nested tails flattened, heads kept", () => {
  assertEquals(format(0), "0");
  assertEquals(format(2n ** 64n), "18446744073709551616");
  assertEquals(format([1, 2]), "[1 2]");
  assertEquals(format([1, [2, [3, 4]]]), "[1 2 3 4]");
  assertEquals(format([[1, 2], 3]), "[[1 2] 3]");
  assertEquals(format([[1, [2, 3]], [[4, 5], 6]]), "[[1 2 3] [4 5] 6]");
  using big = Noun.atom(new Uint8Array(4097).fill(9));
  assertEquals(formatNoun(big), "<4097-byte atom>");
  using limit = Noun.atom(new Uint8Array(4096).fill(1));
  assertEquals(formatNoun(limit), BigInt("0x" + "01".repeat(4096)).toString());
});

test("formatNoun: output past maxLength is cut with an ellipsis", () => {
  using list = Noun.list([10, 20, 30, 40]);
  assertEquals(formatNoun(list), "[10 20 30 40 0]");
  assertEquals(formatNoun(list, { maxLength: 15 }), "[10 20 30 40 0]");
  assertEquals(formatNoun(list, { maxLength: 14 }), "[10 20 30 40 0…");
  assertEquals(formatNoun(list, { maxLength: 6 }), "[10 20…");
  assertEquals(format(123456789, { maxLength: 4 }), "1234…");
  // A long list is cut early, not printed whole first.
  using long = Noun.list(Array.from({ length: 200_000 }, (_, i) => i));
  const text = formatNoun(long, { maxLength: 50 });
  assertEquals(text.length, 51);
  assertEquals(text.slice(0, 12), "[0 1 2 3 4 5");
});

test("formatNoun: the cords option prints printable atoms as quoted text", () => {
  assertEquals(format(["put", "hello", 42], { cords: true }), "['put' 'hello' '*']");
  assertEquals(format(["put", "hello", 7], { cords: true }), "['put' 'hello' 7]");
  assertEquals(format(["put", "hello", 7]), "[7632240 478560413032 7]");
  assertEquals(format(0, { cords: true }), "0");
  assertEquals(format("it's a\\b", { cords: true }), "'it\\'s a\\\\b'");
  assertEquals(format("ünï", { cords: true }), "'ünï'");
  // Invalid UTF-8 and control characters stay numbers.
  using invalid = Noun.atom(new Uint8Array([0xff, 0x41]));
  assertEquals(formatNoun(invalid, { cords: true }), String(0x41ff));
  assertEquals(format("a\nb", { cords: true }), String(0x620a61));
});

test("renderTank: leaf, rose and palm print on one line, nested", () => {
  using a = leaf("a");
  using b = leaf("bee");
  assertEquals(renderTank(a), "a");
  using inner = rose(" ", "[", "]", [a, b]);
  assertEquals(renderTank(inner), "[a bee]");
  using outer = rose(", ", "{", "}", [inner, a]);
  assertEquals(renderTank(outer), "{[a bee], a}");
  using empty = rose(" ", "(", ")", []);
  assertEquals(renderTank(empty), "()");
  using p = palm(["-", "<", "|", ">"], [a, inner]);
  assertEquals(renderTank(p), "<|a-[a bee]>");
  using wide = leaf("λ→x");
  assertEquals(renderTank(wide), "λ→x");
});

test("renderTank: a long tank is cut at maxLength; a non-tank prints as a noun", () => {
  const tanks = Array.from({ length: 50 }, (_, i) => leaf(`item${i}`));
  using many = rose(" ", "[", "]", tanks);
  for (const t of tanks) t.dispose();
  assertEquals(renderTank(many, { maxLength: 20 }), "[item0 item1 item2 i…");
  using notTank = Noun.from([1, 2, 3]);
  assertEquals(renderTank(notTank), "[1 2 3]");
  // %leaf is 0x6661656c, %rose 0x65736f72.
  using badLeaf = Noun.from(["leaf", 5]);
  assertEquals(renderTank(badLeaf), "[1717658988 5]");
  using badRose = Noun.from(["rose", [1, 2, 3], 0]);
  assertEquals(renderTank(badRose, { maxLength: 8 }), "[1702063…");
});

test("renderTrace: spots and messages, outermost first", () => {
  using boom = leaf("boom");
  using path = Noun.list(["sys", "hoon"]);
  const spot: NounLike = ["spot", [path, [1, 2], [3, 40]]];
  assertEquals(trace([spot]), ["/sys/hoon::[1 2].[3 40]"]);
  // The list is innermost first; the lines are outermost first.
  assertEquals(trace([["mean", "inner"], spot, ["lose", "outer"]]), [
    "outer",
    "/sys/hoon::[1 2].[3 40]",
    "inner",
  ]);
  assertEquals(trace([["mean", boom]]), ["boom"]);
  using ab = Noun.list(["a", "b"]);
  assertEquals(trace([["hunk", ab]]), ["/a/b"]);
  assertEquals(trace([["hunk", "plain"]]), ["plain"]);
});

test("renderTrace: odd entries print raw instead of failing", () => {
  assertEquals(trace([["slog", 5]]), ["%slog 5"]);
  assertEquals(trace([["spot", 7]]), ["%spot 7"]);
  using x = Noun.list(["x"]);
  assertEquals(trace([["spot", [x, [1, 2], 3]]]), ["%spot [[120 0] [1 2] 3]"]);
  assertEquals(trace([42]), ["42"]);
  assertEquals(trace([[[1, 2], 3]]), ["[1 2] 3"]);
  using notList = Noun.from([1, 2]);
  assertEquals(renderTrace(notList), ["[1 2]"]);
});

test("renderTrace: a %mean trap runs only with an evaluator, and may fail", () => {
  using boom = leaf("boom");
  using trap = Noun.from([[1, boom], 0]);
  using entry = Noun.cell("mean", trap);
  using list = Noun.list([entry]);
  const calls: number[] = [];
  const evaluate = (subject: Noun, formula: Noun, options: { stepLimit: number }) => {
    calls.push(options.stepLimit);
    return nock(subject, formula, options);
  };
  assertEquals(renderTrace(list, { evaluate }), ["boom"]);
  assertEquals(calls, [10_000_000]);
  assertEquals(renderTrace(list), [`%mean ${formatNoun(trap)}`]);
  using crashing = Noun.from([[0, 0], 0]);
  using crashEntry = Noun.cell("mean", crashing);
  using crashList = Noun.list([crashEntry]);
  assertEquals(renderTrace(crashList, { evaluate }), ["<trap in trace failed with %exit>"]);
  const throwing = () => {
    throw new Error("not nock");
  };
  assertEquals(renderTrace(list, { evaluate: throwing }), ["<trap in trace failed>"]);
  // A real crash carries the same rendering.
  using subject = Noun.from([0, 0]);
  using formula = Noun.from([11, ["mean", 1, trap], 0, 0]);
  try {
    nock(subject, formula);
    throw new Error("expected a crash");
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    assertEquals(error.trace, ["boom"]);
    error.traceNoun?.dispose();
  }
});
