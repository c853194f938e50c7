/**
 * The JSON codec of nouns (src/core/json.ts): every form both ways, the errors and where they
 * point, the limits (depth, nodes, bytes) at and past their values, and seeded property tests
 * of the round trips against a model of the canonical form written from docs/JSON.md.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { ArgumentError, CueError, handleCount, Noun } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import {
  checkNounJson,
  decimalBytesMax,
  defaultMaxNodes,
  type Json,
  type JsonMode,
  type ListForm,
  maxJsonDepth,
  nounFromJson,
  NounJsonError,
  nounToJson,
  parseNounJson,
  RenderBudgetError,
  type WriteOptions,
} from "../src/core/json.ts";
import { assertEquals, assertThrows } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

/** Run `body`, then check that it left no handle behind. */
function noLeaks(body: () => void): () => void {
  return () => {
    const before = handleCount();
    body();
    assertEquals(handleCount(), before, "handles leaked");
  };
}

/**
 * What `fn` returns and the CPU time it took in milliseconds (user and system, all threads):
 * a bound on it holds on a machine busy with other work, where wall time would not.
 */
function cpuMs<T>(fn: () => T): [T, number] {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return [result, (used.user + used.system) / 1000];
}

const encoder = new TextEncoder();
const allModes: JsonMode[] = ["auto", "numbers", "jam"];
const allLists: ListForm[] = ["tuple", "object", "array"];

/** Bytes of the UTF-8 text of a JSON value. */
function jsonBytes(json: Json): number {
  return encoder.encode(JSON.stringify(json)).length;
}

function sameNoun(json: Json, expected: NounLike, options: WriteOptions = {}): void {
  using actual = nounFromJson(json, options);
  using want = Noun.from(expected);
  if (!actual.equals(want)) {
    assert.fail(`${JSON.stringify(json)} read as ${actual}, expected ${want}`);
  }
}

// ---------------------------------------------------------------------- forms

/** Input → noun → output, for the default options unless `options` says otherwise. */
const forms: { json: Json; noun: NounLike; out?: Json; options?: WriteOptions }[] = [
  { json: 1000, noun: 1000 },
  { json: 42, noun: 42, out: "*" },
  { json: 0, noun: 0 },
  { json: null, noun: 0, out: 0 },
  { json: "put", noun: "put" },
  { json: "n", noun: 110 },
  { json: ["incr", "n", 5], noun: [0x72636e69, 110, 5] },
  { json: "", noun: 0, out: 0 },
  { json: "hello\tworld\r\n", noun: "hello\tworld\r\n" },
  { json: 'quote " and \\', noun: 'quote " and \\' },
  { json: "é€😀", noun: "é€😀" },
  { json: "\ufeffbom", noun: "\ufeffbom" },
  { json: "x".repeat(5000), noun: "x".repeat(5000) },
  { json: "a\u0000b", noun: 0x620061, out: 0x620061 },
  { json: "\u0085", noun: 0x85c2, out: 0x85c2 },
  { json: 5, noun: 5 },
  { json: 127, noun: 127 },
  { json: 97, noun: 97, out: "a" },
  { json: Number.MAX_SAFE_INTEGER, noun: Number.MAX_SAFE_INTEGER },
  { json: { hex: "0x20000000000000" }, noun: 2n ** 53n },
  { json: { hex: "0x00FF" }, noun: 255, out: 255 },
  { json: { hex: "0x10000000000000000" }, noun: 2n ** 64n },
  { json: { atom: "18446744073709551616" }, noun: 2n ** 64n, out: { hex: "0x10000000000000000" } },
  { json: { atom: "0018" }, noun: 18, out: 18 },
  { json: [1, [2, 3]], noun: [1, 2, 3], out: [1, 2, 3] },
  { json: [[1, 2], 3], noun: [[1, 2], 3] },
  { json: { tuple: [1, 2, 3] }, noun: [1, 2, 3], out: [1, 2, 3] },
  { json: { list: [1, 2] }, noun: [1, 2, 0], out: [1, 2, 0] },
  { json: { list: [] }, noun: 0, out: 0 },
  { json: { jam: "MRI=" }, noun: [1, 2], out: [1, 2] },
  // Lists as objects.
  { json: { list: [1, "a"] }, noun: [1, 97, 0], options: { lists: "object" } },
  {
    json: [1, { list: [2] }],
    noun: [1, 2, 0],
    out: { list: [1, 2] },
    options: { lists: "object" },
  },
  { json: [{ list: [1] }, 2], noun: [[1, 0], 2], options: { lists: "object" } },
  { json: [1, 2], noun: [1, 2], options: { lists: "object" } },
  // Lists as plain arrays; other cells as {"tuple"}.
  { json: [1, 2], noun: [1, 2, 0], options: { lists: "array" } },
  { json: [0], noun: [0, 0], options: { lists: "array" } },
  { json: [], noun: 0, out: 0, options: { lists: "array" } },
  { json: [[1, 2], "a"], noun: [[1, 2, 0], 97, 0], options: { lists: "array" } },
  { json: { tuple: [1, 2] }, noun: [1, 2], options: { lists: "array" } },
  { json: { list: [1] }, noun: [1, 0], out: [1], options: { lists: "array" } },
  // Numbers: no strings.
  { json: "n", noun: 110, out: 110, options: { as: "numbers" } },
  { json: ["put", 1], noun: [0x747570, 1], out: [0x747570, 1], options: { as: "numbers" } },
  {
    json: { hex: "0x20000000000000" },
    noun: 2n ** 53n,
    out: { atom: "9007199254740992" },
    options: { as: "numbers" },
  },
  // Jam: the whole noun.
  { json: [1, 2], noun: [1, 2], out: { jam: "MRI=" }, options: { as: "jam" } },
];

Deno.test(
  "every form reads as its noun and writes back as documented",
  noLeaks(() => {
    for (const { json, noun, out, options } of forms) {
      sameNoun(json, noun, options);
      using n = Noun.from(noun);
      assertEquals(nounToJson(n, options), out ?? json, `writing ${n}`);
      checkNounJson(json, options);
    }
  }),
);

/** docs/JSON.md's examples of input that comes back in another (canonical) form. */
const respelled: { json: Json; out: Json; options?: WriteOptions }[] = [
  { json: 97, out: "a" },
  { json: 12345, out: "90" },
  { json: null, out: 0 },
  { json: "", out: 0 },
  { json: { list: [] }, out: 0 },
  { json: [1, [2, 3]], out: [1, 2, 3] },
  { json: { list: [1, 2] }, out: [1, 2, 0] },
  { json: { tuple: [1, 2] }, out: [1, 2] },
  { json: "a\u0001b", out: 6422881 },
  { json: { hex: "0x00FF" }, out: 255 },
  { json: { atom: "255" }, out: 255 },
  { json: { jam: "MRI=" }, out: [1, 2] },
  { json: [[1, 0], 2], out: { tuple: [[1], 2] }, options: { lists: "array" } },
  { json: [[1, 0], 2], out: [{ list: [1] }, 2], options: { lists: "object" } },
];

Deno.test(
  "input that is not canonical comes back as documented",
  noLeaks(() => {
    for (const { json, out, options } of respelled) {
      using noun = nounFromJson(json);
      assertEquals(nounToJson(noun, options), out, JSON.stringify(json));
    }
  }),
);

Deno.test(
  "big atoms: hex in auto, decimal up to the documented size in numbers, then hex",
  noLeaks(() => {
    const small = new Uint8Array(decimalBytesMax).fill(0xff);
    const large = new Uint8Array(decimalBytesMax + 1).fill(0xff);
    using a = Noun.atom(small);
    using b = Noun.atom(large);
    assertEquals(nounToJson(a, { as: "numbers" }), { atom: a.toBigInt().toString() });
    assertEquals(nounToJson(b, { as: "numbers" }), { hex: "0x" + "ff".repeat(large.length) });
    assertEquals(nounToJson(a), { hex: "0x" + "ff".repeat(small.length) });
    // Text atoms are strings whatever their size.
    using text = Noun.atom("ü".repeat(100_000));
    assertEquals(nounToJson(text), "ü".repeat(100_000));
    // Bytes that are not UTF-8 (an overlong encoding, a lone surrogate in UTF-8) are numbers.
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe]]) {
      using n = Noun.atom(new Uint8Array(bytes));
      assertEquals(typeof nounToJson(n), "number");
    }
  }),
);

// ---------------------------------------------------------------------- errors

const badForms: { json: Json; where: string; says: string; options?: WriteOptions }[] = [
  { json: ["put", true], where: "$[1]", says: "booleans" },
  { json: ["a", 1, { list: [false] }], where: "$[2].list[0]", says: "booleans" },
  { json: [1], where: "$", says: "at least two items (got 1" },
  { json: [], where: "$", says: "at least two items (got 0" },
  { json: -1, where: "$", says: "-1 is not an atom" },
  { json: 1.5, where: "$", says: "1.5 is not an atom" },
  { json: 2 ** 53, where: "$", says: "is not an atom" },
  { json: { list: 1 }, where: "$.list", says: "not an array" },
  { json: { list: [1, { foo: 1 }] }, where: "$.list[1]", says: 'unknown object key "foo"' },
  { json: {}, where: "$", says: "got none" },
  { json: { list: [1], hex: "0x1" }, where: "$", says: '"list", "hex"' },
  { json: { tuple: [1] }, where: "$.tuple", says: "at least two items (got 1)" },
  { json: { tuple: 1 }, where: "$.tuple", says: "not an array" },
  { json: { hex: "ff" }, where: "$.hex", says: "0x1f2e" },
  { json: { hex: "0x" }, where: "$.hex", says: "0x1f2e" },
  { json: { atom: "12a" }, where: "$.atom", says: "decimal digits" },
  { json: { atom: 12 }, where: "$.atom", says: "decimal digits" },
  { json: { atom: "1".repeat(10_001) }, where: "$.atom", says: "more than 10000 digits" },
  { json: { jam: "***" }, where: "$.jam", says: "base64" },
  { json: { jam: "" }, where: "$.jam", says: "empty" },
  { json: { jam: 1 }, where: "$.jam", says: "not a string" },
  { json: ["a", "\ud800x"], where: "$[1]", says: "lone surrogate \\ud800 at index 0" },
  { json: ["a", "x\udc00"], where: "$[1]", says: "lone surrogate \\udc00 at index 1" },
  { json: { list: ["😀\ud83d"] }, where: "$.list[0]", says: "lone surrogate \\ud83d at index 2" },
  { json: ["a", "b\u0000"], where: "$[1]", says: "ends in U+0000" },
  { json: [1], where: "$", says: "at least two", options: { lists: "object" } },
  { json: [[1, true]], where: "$[0][1]", says: "booleans", options: { lists: "array" } },
];

Deno.test(
  "malformed forms are errors that name the place",
  noLeaks(() => {
    for (const { json, where, says, options } of badForms) {
      for (const read of [() => nounFromJson(json, options), () => checkNounJson(json, options)]) {
        const error = assertThrows(read, NounJsonError, says);
        assertEquals(error.where, where, error.message);
        assert(error.message.startsWith(`${where}: `), error.message);
        assert(error instanceof ArgumentError);
      }
    }
  }),
);

Deno.test(
  "a bad jam is a cue error and leaks nothing",
  noLeaks(() => {
    assertThrows(() => nounFromJson([{ jam: "MRI=" }, { jam: "AA==" }]), CueError);
    checkNounJson({ jam: "AA==" }); // base64 is all a check without native calls can see
  }),
);

Deno.test("bad options are argument errors", () => {
  using n = Noun.atom(1);
  assertThrows(() => nounToJson(n, { as: "text" as JsonMode }), ArgumentError, "auto, numbers");
  assertThrows(() => nounToJson(n, { lists: "set" as ListForm }), ArgumentError, "tuple, obj");
  assertThrows(() => nounToJson(n, { maxNodes: 0 }), ArgumentError, "maxNodes");
  assertThrows(() => nounFromJson(1, { maxDepth: 1.5 }), ArgumentError, "maxDepth");
});

Deno.test("parseNounJson refuses lone surrogates, keys too, and keeps JSON syntax errors", () => {
  let error = assertThrows(() => parseNounJson('["a", "\\ud800x"]'), NounJsonError);
  assertEquals(error.where, "$[1]");
  error = assertThrows(() => parseNounJson('{"list": [{"\\udfff": 1}]}'), NounJsonError, "key");
  assertEquals(error.where, "$.list[0]");
  error = assertThrows(() => parseNounJson('{"a b": ["\\udfff"]}'), NounJsonError);
  assertEquals(error.where, '$["a b"][0]');
  assertEquals(parseNounJson('["\\ud83d\\ude00", "\\"[{"]'), ["😀", '"[{']);
  assertThrows(() => parseNounJson("[1,"), SyntaxError);
});

// ---------------------------------------------------------------------- depth

/** JSON text of arrays nested `depth` brackets deep: `[[…[1,1]…,1],1]`. */
function nestedText(depth: number): string {
  return "[".repeat(depth) + "1" + ",1]".repeat(depth);
}

Deno.test(
  "reading: the depth limit holds exactly at the limit and refuses one past",
  noLeaks(() => {
    for (const limit of [3, maxJsonDepth]) {
      const options = limit === maxJsonDepth ? {} : { maxDepth: limit };
      const json = parseNounJson(nestedText(limit), options);
      using n = nounFromJson(json, options);
      assert(n.isCell);
      let error = assertThrows(
        () => parseNounJson(nestedText(limit + 1), options),
        NounJsonError,
        `nested deeper than ${limit} levels`,
      );
      assertEquals(error.where, `character ${limit}`);
      // The same value built in JavaScript (not parsed) is refused by the reader itself.
      const deeper = JSON.parse(nestedText(limit + 1));
      error = assertThrows(() => nounFromJson(deeper, options), NounJsonError, "nested deeper");
      assertEquals(error.where, "$" + "[0]".repeat(limit));
    }
    // An object form counts its brackets: {"list": [1]} is two levels.
    sameNoun({ list: [1] }, [1, 0], { maxDepth: 2 });
    assertThrows(() => nounFromJson({ list: [1] }, { maxDepth: 1 }), NounJsonError, "$.list: ");
    sameNoun({ hex: "0x1" }, 1, { maxDepth: 1 });
    assertThrows(() => nounFromJson([1, { hex: "0x1" }], { maxDepth: 1 }), NounJsonError, "$[1]: ");
  }),
);

/** A noun nested `depth` cells deep through heads: `[[[1 1] 1] 1]`. */
function headDeep(depth: number): Noun {
  let noun = Noun.atom(1);
  for (let i = 0; i < depth; i++) {
    const next = Noun.cell(noun, 1);
    noun.dispose();
    noun = next;
  }
  return noun;
}

Deno.test(
  "writing: the depth limit holds exactly at the limit and refuses one past",
  noLeaks(() => {
    using atLimit = headDeep(maxJsonDepth);
    const text = JSON.stringify(nounToJson(atLimit));
    assertEquals(text, nestedText(maxJsonDepth));
    using back = nounFromJson(parseNounJson(text));
    assert(back.equals(atLimit));
    using past = headDeep(maxJsonDepth + 1);
    const error = assertThrows(() => nounToJson(past), RenderBudgetError, "deeper than 10000");
    assertEquals([error.limit, error.max], ["depth", maxJsonDepth]);
    // Object forms count two levels, a {"hex"} leaf one.
    using list = Noun.list([1]);
    assertEquals(nounToJson(list, { lists: "object", maxDepth: 2 }), { list: [1] });
    assertThrows(() => nounToJson(list, { lists: "object", maxDepth: 1 }), RenderBudgetError);
    using big = Noun.atom(2n ** 64n);
    assertEquals(nounToJson(big, { maxDepth: 1 }), { hex: "0x10000000000000000" });
    using pair = Noun.from([big, 1]);
    assertThrows(() => nounToJson(pair, { maxDepth: 1 }), RenderBudgetError, "deeper than 1 ");
  }),
);

Deno.test(
  "a noun nested 200,000 deep: a depth error through heads, a flat array through tails",
  noLeaks(() => {
    using deep = headDeep(200_000);
    const [error, ms] = cpuMs(() => assertThrows(() => nounToJson(deep), RenderBudgetError));
    assertEquals(error.limit, "depth");
    assert(ms < 1000, `took ${ms} ms`);
    let tail = Noun.atom(0);
    for (let i = 200_000; i > 0; i--) {
      const next = Noun.cell(i, tail);
      tail.dispose();
      tail = next;
    }
    using list = tail;
    const json = nounToJson(list) as number[];
    assertEquals(json.length, 200_001);
    assertEquals([json[0], json[199_999], json[200_000]], [1, 200_000, 0]);
    assertEquals((nounToJson(list, { lists: "array" }) as number[]).length, 200_000);
    using back = nounFromJson(parseNounJson(JSON.stringify(json)));
    assert(back.equals(list));
  }),
);

// ---------------------------------------------------------------------- budgets

/** The DAG whose tree has 2^65 - 1 nodes: `x = [x x]` 64 times over the atom 1. */
function dagBomb(): Noun {
  let noun = Noun.atom(1);
  for (let i = 0; i < 64; i++) {
    const next = Noun.cell(noun, noun);
    noun.dispose();
    noun = next;
  }
  return noun;
}

Deno.test(
  "a DAG bomb stops at the node budget quickly, and its jam form is small",
  noLeaks(() => {
    using bomb = dagBomb();
    const [error, ms] = cpuMs(() => assertThrows(() => nounToJson(bomb), RenderBudgetError));
    assertEquals([error.limit, error.max], ["nodes", defaultMaxNodes]);
    assert(error.message.includes("ask for the jam form"), error.message);
    assert(ms < 1000, `took ${ms} ms of CPU`);
    const jam = nounToJson(bomb, { as: "jam" });
    assert(jsonBytes(jam) < 1000);
    using back = nounFromJson(jam);
    assertEquals(back.jam(), bomb.jam()); // (equality would walk all 2^65 - 1 nodes)
  }),
);

Deno.test(
  "the node budget counts every cell and atom: exactly at the count passes, one less fails",
  noLeaks(() => {
    using n = Noun.from([[1, 2], [3, [4, 5]], 6]); // 5 cells, 6 atoms
    assertEquals(nounToJson(n, { maxNodes: 11 }), [[1, 2], [3, 4, 5], 6]);
    const error = assertThrows(() => nounToJson(n, { maxNodes: 10 }), RenderBudgetError);
    assertEquals([error.limit, error.max], ["nodes", 10]);
  }),
);

Deno.test(
  "a big atom is refused by the byte budget before it is read",
  noLeaks(() => {
    using n = Noun.atom(new Uint8Array(1 << 20).fill(7));
    const max = (1 << 20) - 1;
    const error = assertThrows(() => nounToJson(n, { maxBytes: max }), RenderBudgetError);
    assertEquals([error.limit, error.max], ["bytes", max]);
    assertThrows(() => nounToJson(n, { as: "jam", maxBytes: 1 << 20 }), RenderBudgetError);
  }),
);

Deno.test(
  "a 1 MiB atom renders in linear time, as hex and as text",
  noLeaks(() => {
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    bytes[bytes.length - 1] = 0x0a; // a leading zero digit, dropped in hex
    const expected = "0xa" +
      Array.from(bytes.subarray(0, -1)).reverse().map((b) => b.toString(16).padStart(2, "0"))
        .join("");
    using binary = Noun.atom(bytes);
    const [json, hexMs] = cpuMs(() => nounToJson(binary));
    assertEquals(json, { hex: expected });
    assert(hexMs < 200, `hex took ${hexMs} ms of CPU`);
    const text = "Ünïcode text, one MiB. ".repeat(50_000).slice(0, 1 << 20);
    using cord = Noun.atom(text);
    const [string, textMs] = cpuMs(() => nounToJson(cord));
    assertEquals(string, text);
    assert(textMs < 200, `text took ${textMs} ms of CPU`);
    using back = nounFromJson(json);
    assert(back.equals(binary));
  }),
);

// ---------------------------------------------------------------------- properties

/** A seeded PRNG (mulberry32): the same sequence every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

/** Characters that text may hold: no control characters but tab, newline and return. */
const textChars = [
  "a",
  "Z",
  "0",
  " ",
  "\t",
  "\n",
  "\r",
  '"',
  "\\",
  "/",
  "é",
  "ß",
  "€",
  "中",
  "\u2028",
  "\ufeff",
  "\ufffd",
  "😀",
  "𝄞",
  "\u00a0",
  "~",
];

function randomText(random: Random, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    text += random() < 0.3
      ? String.fromCodePoint(0x20 + int(random, 0x5f))
      : textChars[int(random, textChars.length)];
  }
  return text;
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

/** Bytes at the edges of UTF-8: lead bytes and continuations in and out of their ranges. */
const utf8Edges = [
  0x41,
  0x7f,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xa0,
  0xbf,
  0xc0,
  0xc1,
  0xc2,
  0xdf,
  0xe0,
  0xed,
  0xee,
  0xef,
  0xf0,
  0xf4,
  0xf5,
  0xff,
];

function edgyUtf8(random: Random): Uint8Array {
  const bytes = new Uint8Array(1 + int(random, 7));
  for (let i = 0; i < bytes.length; i++) bytes[i] = utf8Edges[int(random, utf8Edges.length)];
  if (bytes[bytes.length - 1] === 0) bytes[bytes.length - 1] = 0x41;
  return bytes;
}

/** A random atom, weighted toward the boundaries of the forms. */
function randomAtom(random: Random): NounLike {
  switch (int(random, 13)) {
    case 0:
      return 0;
    case 1:
      return int(random, 300);
    case 2:
      return int(random, Number.MAX_SAFE_INTEGER) + 1;
    case 3:
      return [2n ** 48n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 56n, 2n ** 64n][int(random, 5)];
    case 4:
    case 5:
      return randomText(random, 1 + int(random, 12));
    case 6:
      return randomText(random, 100 + int(random, 2000));
    case 7:
      return randomBytes(random, 1 + int(random, 24));
    case 8:
      return randomBytes(random, decimalBytesMax - 8 + int(random, 16));
    case 9:
      return "ab\u0001c\u0085d\u007f".slice(int(random, 3), 4 + int(random, 4));
    case 10:
      return new Uint8Array([0xc2, 0x80 + int(random, 64), 0x41]);
    case 11:
      return edgyUtf8(random);
    default:
      return randomBytes(random, 1100 + int(random, 1000));
  }
}

/**
 * A random noun, built bottom up (no recursion): a pool of atoms joined at random into cells,
 * lists and tuples, sometimes a long chain through heads or tails.
 */
function randomNoun(random: Random): Noun {
  const pool: Noun[] = [];
  const leaves = 1 + int(random, 12);
  for (let i = 0; i < leaves; i++) pool.push(Noun.from(randomAtom(random)));
  try {
    while (pool.length > 1) {
      const take = () => pool.splice(int(random, pool.length), 1)[0];
      const a = take();
      const b = random() < 0.3 ? Noun.atom(0) : take();
      using _a = a;
      using _b = b;
      const shape = int(random, 4);
      pool.push(
        shape === 0 ? Noun.list([a, b]) : shape === 1 ? Noun.tuple(a, b, 0, 7) : Noun.cell(a, b),
      );
    }
    if (random() < 0.05) {
      const through = random() < 0.5;
      const length = 100 + int(random, 1500);
      for (let i = 0; i < length; i++) {
        const old = pool[0];
        pool[0] = through ? Noun.cell(old, i) : Noun.cell(i, old);
        old.dispose();
      }
    }
    return pool.pop()!;
  } finally {
    for (const noun of pool) noun.dispose();
  }
}

Deno.test(
  "property: noun → JSON → noun is exact in every mode, also through JSON text",
  noLeaks(() => {
    const random = prng(0x5eed);
    for (let i = 0; i < 1000; i++) {
      using noun = randomNoun(random);
      for (const as of allModes) {
        for (const lists of allLists) {
          if (as === "jam" && lists !== "tuple") continue;
          const options = { as, lists };
          const json = nounToJson(noun, options);
          using back = nounFromJson(json, options);
          if (!back.equals(noun)) {
            assert.fail(`${as}/${lists}: ${noun} wrote ${JSON.stringify(json)}`);
          }
          const text = JSON.stringify(json);
          using again = nounFromJson(parseNounJson(text), options);
          assert(again.equals(noun));
          // The byte budget is the exact UTF-8 length of the text.
          const size = encoder.encode(text).length;
          nounToJson(noun, { ...options, maxBytes: size });
          if (size === 1) continue;
          const error = assertThrows(
            () => nounToJson(noun, { ...options, maxBytes: size - 1 }),
            RenderBudgetError,
          );
          assertEquals(error.limit, "bytes");
        }
      }
    }
  }),
);

/**
 * The canonical JSON of an atom, written from docs/JSON.md (independently of the codec):
 * text is valid UTF-8 without control characters but tab, newline and return.
 */
function modelAtom(bytes: Uint8Array, as: JsonMode): Json {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const b = bytes.subarray(0, end);
  const value = b.reduceRight((v, byte) => (v << 8n) | BigInt(byte), 0n);
  if (as === "auto" && b.length > 0) {
    try {
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b);
      // deno-lint-ignore no-control-regex
      if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text)) return text;
    } catch {
      // not UTF-8: a number
    }
  }
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (as === "numbers" && b.length <= decimalBytesMax) return { atom: value.toString() };
  return { hex: "0x" + value.toString(16) };
}

function atomBytes(atom: NounLike): Uint8Array {
  if (atom instanceof Uint8Array) return atom;
  if (typeof atom === "string") return encoder.encode(atom);
  let value = BigInt(atom as number | bigint);
  const bytes: number[] = [];
  for (; value > 0n; value >>= 8n) bytes.push(Number(value & 0xffn));
  return new Uint8Array(bytes);
}

/**
 * A random JSON value in canonical form for the options, built bottom up: canonical atoms,
 * joined into arrays and object forms whose last item ends the spine as the rules require.
 */
function randomCanonical(random: Random, as: JsonMode, lists: ListForm): Json {
  const atom = () => modelAtom(atomBytes(randomAtom(random)), as);
  const nonzero = () => {
    for (;;) {
      const a = atom();
      if (a !== 0) return a;
    }
  };
  const pool: Json[] = [];
  const leaves = 1 + int(random, 8);
  for (let i = 0; i < leaves; i++) pool.push(atom());
  while (pool.length > 1 || random() < 0.2) {
    const items = pool.splice(0, 1 + int(random, Math.min(pool.length, 4)));
    const listed = lists !== "tuple" && random() < 0.5;
    if (listed) {
      pool.push(lists === "object" ? { list: items } : items);
    } else {
      items.push(lists === "tuple" ? atom() : nonzero());
      pool.push(lists === "array" ? { tuple: items } : items);
    }
  }
  return pool[0];
}

/** Second bytes at the edges of the ranges that UTF-8 allows after some lead byte. */
const secondBytes = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];

Deno.test(
  "text detection agrees with a strict UTF-8 decoder for every lead byte",
  noLeaks(() => {
    const wrong: string[] = [];
    for (let lead = 0x80; lead <= 0xff; lead++) {
      for (const second of secondBytes) {
        // Complete two-, three- and four-byte sequences when the second byte is allowed.
        for (const rest of [[0x41], [0x80, 0x41], [0xbf, 0x80, 0x41]]) {
          const bytes = new Uint8Array([0x41, lead, second, ...rest]);
          using noun = Noun.atom(bytes);
          const actual = JSON.stringify(nounToJson(noun));
          const expected = JSON.stringify(modelAtom(bytes, "auto"));
          if (actual !== expected) wrong.push(`${bytes}: ${actual}, expected ${expected}`);
        }
      }
    }
    assertEquals(wrong, []);
  }),
);

Deno.test(
  "property: canonical JSON → noun → JSON gives back the same JSON",
  noLeaks(() => {
    const random = prng(0xc0dec);
    let count = 0;
    for (const as of ["auto", "numbers"] as const) {
      for (const lists of allLists) {
        for (let i = 0; i < 200; i++, count++) {
          const json = randomCanonical(random, as, lists);
          using noun = nounFromJson(json, { lists });
          assertEquals(nounToJson(noun, { as, lists }), json);
        }
      }
    }
    assert(count >= 1000);
  }),
);

Deno.test(
  "property: every string that is text comes back the same string",
  noLeaks(() => {
    const random = prng(7);
    for (let i = 0; i < 1000; i++) {
      const text = randomText(random, 1 + int(random, i < 500 ? 3 : 300));
      using noun = nounFromJson(["put", text]);
      assertEquals(nounToJson(noun), ["put", text]);
    }
  }),
);
