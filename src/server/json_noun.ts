/**
 * The JSON form of nouns used by Cellar's HTTP server (documented in `docs/HTTP.md`).
 *
 * Input (a request body, `application/json`):
 * - a non-negative safe integer is an atom: `42`;
 * - a string is a cord (its UTF-8 bytes, first byte least significant): `"put"`;
 * - `null` is `~` (the atom 0);
 * - an array of two or more items is a right-nested tuple: `[1, 2, 3]` is `[1 [2 3]]`;
 * - `{"list": [a, b]}` is the null-terminated list `[a b ~]`;
 * - `{"hex": "0x1f"}` is an atom of any size, in hexadecimal;
 * - `{"atom": "123456789012345678901234567890"}` is an atom of any size, in decimal;
 * - `{"jam": "<base64>"}` is the noun whose jam those bytes are.
 *
 * Output (effects and peek values): an atom of two or more bytes that is printable UTF-8 text
 * is a string; otherwise an atom that fits a safe integer is a number, and a bigger one is
 * `{"hex": "0x…"}`; a cell is an array, its right-nested tail flattened (`[1 [2 3]]` is
 * `[1, 2, 3]`). Every output reads back as the same noun.
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";

/** A JSON value (what `JSON.parse` produces). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Deepest JSON nesting accepted for a noun. */
export const maxJsonDepth = 10_000;

/**
 * Convert the JSON form of a noun into a {@linkcode NounLike}. `cue` turns the bytes of a
 * `{"jam": …}` form into a noun; without it (validation only, no native calls) such a form
 * becomes `0`. Nouns made by `cue` are pushed on `owned` for the caller to dispose. A
 * malformed form is an {@linkcode ArgumentError} naming where it is (`$[2].list[0]`).
 *
 * @example
 * ```ts
 * import { jsonToNounLike } from "./json_noun.ts";
 * console.log(jsonToNounLike(["put", "k", { list: [1, 2] }])); // ["put", "k", [1, 2, 0]]
 * ```
 */
export function jsonToNounLike(
  value: Json,
  cue?: (bytes: Uint8Array) => Noun,
  owned: Noun[] = [],
): NounLike {
  return convert(value, "$", 0, cue, owned);
}

function convert(
  value: Json,
  where: string,
  depth: number,
  cue: ((bytes: Uint8Array) => Noun) | undefined,
  owned: Noun[],
): NounLike {
  if (depth > maxJsonDepth) {
    throw new ArgumentError(`${where}: nested deeper than ${maxJsonDepth} levels`);
  }
  if (value === null) return 0;
  switch (typeof value) {
    case "number":
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new ArgumentError(
          `${where}: ${value} is not an atom (a non-negative safe integer; use {"atom": "…"} or {"hex": "0x…"} for big ones)`,
        );
      }
      return value;
    case "string":
      return value;
    case "boolean":
      throw new ArgumentError(
        `${where}: booleans have no noun form (write 0 for %.y and 1 for %.n)`,
      );
  }
  if (Array.isArray(value)) {
    if (value.length < 2) {
      throw new ArgumentError(
        `${where}: an array is a tuple and needs at least two items (got ${value.length})`,
      );
    }
    return value.map((item, i) => convert(item, `${where}[${i}]`, depth + 1, cue, owned));
  }
  return convertObject(value, where, depth, cue, owned);
}

/** The object forms: `{list}`, `{hex}`, `{atom}`, `{jam}`. */
function convertObject(
  value: { [key: string]: Json },
  where: string,
  depth: number,
  cue: ((bytes: Uint8Array) => Noun) | undefined,
  owned: Noun[],
): NounLike {
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw new ArgumentError(
      `${where}: an object must have exactly one key of list, hex, atom, jam (got ${
        keys.length === 0 ? "none" : keys.join(", ")
      })`,
    );
  }
  const key = keys[0];
  const inner = value[key];
  switch (key) {
    case "list": {
      if (!Array.isArray(inner)) throw new ArgumentError(`${where}.list: not an array`);
      const items = inner.map((item, i) =>
        convert(item, `${where}.list[${i}]`, depth + 1, cue, owned)
      );
      return items.length === 0 ? 0 : [...items, 0];
    }
    case "hex": {
      if (typeof inner !== "string" || !/^0x[0-9a-fA-F]+$/.test(inner)) {
        throw new ArgumentError(`${where}.hex: not a string of the form 0x1f2e…`);
      }
      return BigInt(inner);
    }
    case "atom": {
      if (typeof inner !== "string" || !/^[0-9]+$/.test(inner)) {
        throw new ArgumentError(`${where}.atom: not a string of decimal digits`);
      }
      return BigInt(inner);
    }
    case "jam": {
      if (typeof inner !== "string") throw new ArgumentError(`${where}.jam: not a string`);
      const bytes = base64Bytes(inner, `${where}.jam`);
      if (bytes.length === 0) throw new ArgumentError(`${where}.jam: empty`);
      if (cue === undefined) return 0;
      const noun = cue(bytes);
      owned.push(noun);
      return noun;
    }
    default:
      throw new ArgumentError(
        `${where}: unknown object key ${JSON.stringify(key)} (expected list, hex, atom or jam)`,
      );
  }
}

function base64Bytes(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new ArgumentError(`${where}: not standard padded base64`);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The noun of a JSON form (see the module documentation). Throws {@linkcode ArgumentError}
 * for a malformed form and `CueError` for a bad `{"jam": …}`.
 *
 * @example
 * ```ts
 * import { jsonToNoun } from "./json_noun.ts";
 * using n = jsonToNoun(["incr", "hits", 1]);
 * console.log(n.toString());
 * ```
 */
export function jsonToNoun(value: Json): Noun {
  const owned: Noun[] = [];
  try {
    return Noun.from(jsonToNounLike(value, (bytes) => Noun.cue(bytes), owned));
  } finally {
    for (const n of owned) n.dispose();
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The JSON form of an atom's bytes (least significant first). */
export function atomJson(bytes: Uint8Array): Json {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const b = bytes.subarray(0, end);
  if (b.length >= 2) {
    let text: string | null = null;
    try {
      text = utf8.decode(b);
    } catch {
      text = null;
    }
    // deno-lint-ignore no-control-regex
    if (text !== null && !/[\u0000-\u001f\u007f-\u009f]/.test(text)) return text;
  }
  let value = 0n;
  for (let i = b.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i]);
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return { hex: "0x" + value.toString(16) };
}

/**
 * The JSON form of a noun (see the module documentation).
 *
 * @example
 * ```ts
 * import { nounToJson } from "./json_noun.ts";
 * import { Noun } from "../core/noun.ts";
 * using n = Noun.from(["put", "key", 1]);
 * console.log(JSON.stringify(nounToJson(n))); // ["put","key",1]
 * ```
 */
export function nounToJson(noun: Noun): Json {
  if (noun.isAtom) return atomJson(noun.toBytes());
  const items: Json[] = [];
  let cursor: Noun = noun;
  let owned = false;
  try {
    while (cursor.isCell) {
      using head = cursor.head;
      items.push(nounToJson(head));
      const tail = cursor.tail;
      if (owned) cursor.dispose();
      cursor = tail;
      owned = true;
    }
    items.push(atomJson(cursor.toBytes()));
  } finally {
    if (owned) cursor.dispose();
  }
  return items;
}
