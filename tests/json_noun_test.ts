/**
 * The JSON form of nouns of the HTTP server (src/server/json_noun.ts), both ways: every input
 * form, the output rules (text, numbers, hex, flattened tuples), round trips, and the error
 * for each kind of malformed input, naming where it is.
 */

import assert from "node:assert/strict";
import { ArgumentError, CueError, handleCount, Noun } from "../mod.ts";
import {
  atomJson,
  jsonToNoun,
  jsonToNounLike,
  maxJsonDepth,
  nounToJson,
} from "../src/server/json_noun.ts";
import type { Json } from "../src/server/json_noun.ts";
import { assertEquals, assertThrows } from "./_helpers.ts";

/** A test that must release every noun handle it takes. */
function test(name: string, fn: () => void): void {
  Deno.test(name, () => {
    const before = handleCount();
    fn();
    assertEquals(handleCount(), before, "noun handles leaked");
  });
}

/** The noun of a JSON form, printed. */
function shown(value: Json): string {
  using noun = jsonToNoun(value);
  return noun.toString();
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

test("JSON to noun: numbers, strings, null, tuples, lists, hex, decimal", () => {
  assertEquals(shown(42), "42");
  assertEquals(shown(Number.MAX_SAFE_INTEGER), String(Number.MAX_SAFE_INTEGER));
  // A cord: UTF-8 bytes, the first least significant ('put' is 0x747570).
  assertEquals(shown("put"), String(0x747570));
  assertEquals(shown(""), "0");
  assertEquals(shown(null), "0");
  assertEquals(shown([1, 2, 3]), "[1 2 3]");
  assertEquals(shown([[1, 2], 3]), "[[1 2] 3]");
  assertEquals(shown({ list: [1, 2] }), "[1 2 0]");
  assertEquals(shown({ list: [] }), "0");
  assertEquals(shown({ hex: "0x1F" }), "31");
  assertEquals(shown({ hex: "0x" + "f".repeat(40) }), (2n ** 160n - 1n).toString());
  assertEquals(shown({ atom: "123456789012345678901234567890" }), "123456789012345678901234567890");
  assertEquals(shown([{ list: [null, 7] }, "k"]), "[[0 7 0] 107]");
  // A list in the last place of a tuple is its tail, and prints flattened.
  assertEquals(shown(["put", "k", { list: [null, 7] }]), `[${0x747570} 107 0 7 0]`);
});

test("JSON to noun: a jam form cues its bytes", () => {
  using original = Noun.from([1, [2, 3], "text"]);
  using back = jsonToNoun({ jam: base64(original.jam()) });
  assert(back.equals(original), back.toString());
  using inTuple = jsonToNoun(["put", { jam: base64(original.jam()) }]);
  using tail = inTuple.tail;
  assert(tail.equals(original));
  // Without a cue function (validation only) a jam form stands for 0, and nothing is owned.
  assertEquals(jsonToNounLike({ jam: base64(original.jam()) }), 0);
  using one = Noun.from(1);
  const owned: Noun[] = [];
  const like = jsonToNounLike(["a", { jam: base64(one.jam()) }], (b) => Noun.cue(b), owned);
  assertEquals(owned.length, 1);
  assertEquals(owned[0].toNumber(), 1);
  assertEquals((like as unknown[])[0], "a");
  for (const n of owned) n.dispose();
});

test("JSON to noun: each malformed form is an ArgumentError naming where it is", () => {
  const cases: [Json, string][] = [
    [-1, "$: -1 is not an atom"],
    [1.5, "$: 1.5 is not an atom"],
    [2 ** 53, `$: ${2 ** 53} is not an atom`],
    [true, "$: booleans have no noun form"],
    [[7], "$: an array is a tuple and needs at least two items (got 1)"],
    [[], "(got 0)"],
    [["put", ["k", -2]], "$[1][1]: -2 is not an atom"],
    [{}, "$: an object must have exactly one key of list, hex, atom, jam (got none)"],
    [{ list: [], hex: "0x1" }, "(got list, hex)"],
    [{ foo: 1 }, '$: unknown object key "foo"'],
    [{ list: 5 }, "$.list: not an array"],
    [{ list: [1, false] }, "$.list[1]: booleans"],
    [{ hex: "1f" }, "$.hex: not a string of the form 0x1f2e…"],
    [{ hex: "0xzz" }, "$.hex: not a string"],
    [{ atom: "12a" }, "$.atom: not a string of decimal digits"],
    [{ atom: 12 }, "$.atom: not a string"],
    [{ jam: 5 }, "$.jam: not a string"],
    [{ jam: "!!!!" }, "$.jam: not standard padded base64"],
    [{ jam: "AAA" }, "$.jam: not standard padded base64"],
    [{ jam: "" }, "$.jam: empty"],
  ];
  for (const [value, message] of cases) {
    assertThrows(() => jsonToNounLike(value), ArgumentError, message);
    assertThrows(() => jsonToNoun(value), ArgumentError, message);
  }
});

test("JSON to noun: nested forms keep their shape", () => {
  const depth = 1000;
  assert(depth < maxJsonDepth);
  let deep: Json = 0;
  for (let i = 1; i <= depth; i++) deep = [deep, i];
  using noun = jsonToNoun(deep);
  let cursor = noun.at(1);
  for (let i = depth; i >= 1; i--) {
    using tail = cursor.tail;
    assertEquals(tail.toNumber(), i);
    const head = cursor.head;
    cursor.dispose();
    cursor = head;
  }
  assertEquals(cursor.toNumber(), 0);
  cursor.dispose();
});

test("JSON to noun: a jam form that is not a jam is a CueError", () => {
  assertThrows(() => jsonToNoun({ jam: "AA==" }), CueError);
  assertThrows(() => jsonToNoun(["put", { jam: "AA==" }]), CueError);
});

test("noun to JSON: text, numbers, hex, flattened tuples", () => {
  const json = (like: Parameters<typeof Noun.from>[0]): Json => {
    using noun = Noun.from(like);
    return nounToJson(noun);
  };
  assertEquals(json(0), 0);
  assertEquals(json(7), 7);
  // One byte is a number even when printable; two or more printable bytes are text.
  assertEquals(json("a"), 97);
  assertEquals(json("hi"), "hi");
  assertEquals(json("ünï"), "ünï");
  assertEquals(json(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  assertEquals(json(2n ** 64n), { hex: "0x10000000000000000" });
  assertEquals(json(0x0a62), 0x0a62); // "b\n": a control character, so a number
  assertEquals(json([1, [2, 3]]), [1, 2, 3]);
  assertEquals(json([[1, 2], 3]), [[1, 2], 3]);
  assertEquals(json(["put", "key", [1, 0]]), ["put", "key", 1, 0]);
  assertEquals(json(["put", [1, 0], "key"]), ["put", [1, 0], "key"]);
  assertEquals(atomJson(new Uint8Array([0x68, 0x69, 0, 0])), "hi");
  assertEquals(atomJson(new Uint8Array([])), 0);
  assertEquals(atomJson(new Uint8Array([0xff, 0xfe])), 0xfeff);
});

test("noun to JSON and back gives the same noun", () => {
  const nouns = [
    Noun.from(0),
    Noun.from(["put", "greeting", "hello world"]),
    Noun.from([[1, 2], [3, [4, 5]], 2n ** 100n, "ünï"]),
    Noun.list([1, 2, 3]),
    Noun.from([0xff, 0x0a0a, [0, 0]]),
  ];
  for (const noun of nouns) {
    const json = nounToJson(noun);
    using back = jsonToNoun(JSON.parse(JSON.stringify(json)));
    assert(back.equals(noun), `${noun} became ${back} through ${JSON.stringify(json)}`);
    noun.dispose();
  }
});
