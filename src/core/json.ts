/**
 * The JSON form of nouns: one codec for the HTTP server, the command line and the library.
 * `docs/JSON.md` has the tables; in short:
 *
 * - Input: a non-negative safe integer is an atom, a string a cord, `null` is `~`, an array a
 *   tuple (or, with `lists: "array"`, a null-terminated list), and the objects `{"list": […]}`,
 *   `{"tuple": […]}`, `{"hex": "0x…"}`, `{"atom": "<decimal>"}` and `{"jam": "<base64>"}` are
 *   explicit forms that mean the same in every mode.
 * - Output (`as`): `auto` writes an atom whose bytes are text as a string (whatever its
 *   length), other atoms as numbers or `{"hex"}`; `numbers` writes every atom as a number,
 *   `{"atom"}` or `{"hex"}`; `jam` writes `{"jam"}`. `lists` says how null-terminated lists look.
 * - Noun → JSON → noun is exact for every noun and every option; JSON → noun → JSON gives back
 *   any JSON in canonical form (what the output side writes).
 *
 * Both directions walk without recursion. Reading enforces a depth limit (in brackets, as the
 * text nests); writing has a budget of nodes visited (shared subtrees count each time they are
 * reached), output bytes and depth, and stops with a {@linkcode RenderBudgetError}. Atoms are
 * written from their bytes in linear time (decimal only for atoms up to 1 KiB).
 *
 * @module
 */

import { ArgumentError, RenderBudgetError } from "./errors.ts";
import type { RenderLimit } from "./errors.ts";

export { RenderBudgetError } from "./errors.ts";
export type { RenderLimit } from "./errors.ts";
import { checked, lastError, symbols } from "./ffi.ts";
import { bytesToBigint, handleOf, Noun } from "./noun.ts";
import type { NounLike } from "./noun.ts";

/** A JSON value (what `JSON.parse` produces). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Default deepest nesting, in brackets (`[` and `{`), of JSON read or written. */
export const maxJsonDepth = 10_000;
/** Default most nodes (cells and atoms) a rendering visits. */
export const defaultMaxNodes = 1_000_000;
/** Default longest rendering, in bytes of its UTF-8 JSON text. */
export const defaultMaxBytes = 16 * 1024 * 1024;
/** Most digits of an `{"atom": "<decimal>"}` input (use `{"hex"}` for longer). */
export const maxDecimalDigits = 10_000;
/** Largest atom, in bytes, that `as: "numbers"` writes in decimal (larger ones are hex). */
export const decimalBytesMax = 1024;

/** How atoms are written: see {@linkcode WriteOptions}. */
export const jsonModes = ["auto", "numbers", "jam"] as const;
/** How atoms are written: see {@linkcode WriteOptions}. */
export type JsonMode = typeof jsonModes[number];
/** How null-terminated lists are written and plain arrays read: see {@linkcode ReadOptions}. */
export const listForms = ["tuple", "object", "array"] as const;
/** How null-terminated lists are written and plain arrays read: see {@linkcode ReadOptions}. */
export type ListForm = typeof listForms[number];

/** Options for reading JSON as a noun. */
export interface ReadOptions {
  /**
   * What a plain JSON array is. `"tuple"` and `"object"` (the default is `"tuple"`): a tuple
   * of two or more items. `"array"`: a null-terminated list of any length (`[]` is `~`). The
   * object forms mean the same in every mode.
   */
  lists?: ListForm;
  /** Deepest nesting in brackets (default {@linkcode maxJsonDepth}); deeper is an error. */
  maxDepth?: number;
}

/** Options for writing a noun as JSON. */
export interface WriteOptions extends ReadOptions {
  /**
   * How atoms are written (default `"auto"`): `"auto"` writes text atoms as strings, others as
   * numbers when safe, else `{"hex"}`; `"numbers"` never writes strings (`{"atom"}` up to
   * {@linkcode decimalBytesMax} bytes, then `{"hex"}`); `"jam"` writes the whole noun as
   * `{"jam": "<base64>"}`. `lists` says how a cell whose right spine ends in `~` is written:
   * `"tuple"` as its tuple (`[1, 2, 0]`), `"object"` as `{"list": [1, 2]}`, `"array"` as
   * `[1, 2]` (then other cells are `{"tuple": […]}`).
   */
  as?: JsonMode;
  /** Most nodes visited (default {@linkcode defaultMaxNodes}). */
  maxNodes?: number;
  /** Most bytes of the UTF-8 JSON text (default {@linkcode defaultMaxBytes}). */
  maxBytes?: number;
}

/**
 * A JSON value is not the JSON form of a noun (or is nested too deep). `where` names the
 * place: a path like `$[2].list[0]`, or `character N` of a text.
 *
 * @example
 * ```ts
 * import { nounFromJson, NounJsonError } from "./json.ts";
 * try {
 *   nounFromJson(["put", true]);
 * } catch (error) {
 *   if (error instanceof NounJsonError) console.error(error.where); // $[1]
 * }
 * ```
 */
export class NounJsonError extends ArgumentError {
  /** Where the problem is: `$`, `$[2].list[0]`, or `character 120` of a text. */
  readonly where: string;

  /**
   * @param where The place, as a path or a character offset
   * @param problem What is wrong there
   */
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "NounJsonError";
    this.where = where;
  }
}

/** The message of a JSON rendering past its `limit` of `max`. */
function budgetMessage(limit: RenderLimit, max: number): string {
  const what = limit === "nodes"
    ? `it has more than ${max} nodes (shared subtrees count each time)`
    : limit === "bytes"
    ? `its JSON would be longer than ${max} bytes`
    : `its JSON would nest deeper than ${max} levels`;
  return `Cannot write the noun as JSON: ${what}; ask for the jam form instead`;
}

// ---------------------------------------------------------------------- options

interface Settings {
  as: JsonMode;
  lists: ListForm;
  maxDepth: number;
  maxNodes: number;
  maxBytes: number;
}

function settings(options: WriteOptions): Settings {
  return {
    as: choice("JSON mode", options.as, jsonModes),
    lists: choice("list form", options.lists, listForms),
    maxDepth: limit("maxDepth", options.maxDepth, maxJsonDepth),
    maxNodes: limit("maxNodes", options.maxNodes, defaultMaxNodes),
    maxBytes: limit("maxBytes", options.maxBytes, defaultMaxBytes),
  };
}

function choice<T extends string>(name: string, value: T | undefined, choices: readonly T[]): T {
  if (value === undefined) return choices[0];
  if (choices.includes(value)) return value;
  throw new ArgumentError(
    `Bad ${name}: ${JSON.stringify(value)} (expected ${choices.join(", ")})`,
  );
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new ArgumentError(`Bad ${name}: ${value} is not a positive integer`);
}

// ---------------------------------------------------------------------- places

/** A place in a JSON value: a key below a parent (the root has none). */
interface Place {
  up: Place | undefined;
  key: string | number;
}

const rootPlace: Place = { up: undefined, key: "$" };

/** A place as a path: `$`, then `[2]` for an item and `.list` (or `["a b"]`) for a key. */
function describePlace(place: Place): string {
  const parts: string[] = [];
  for (let p: Place | undefined = place; p !== undefined; p = p.up) {
    const { key } = p;
    if (p.up === undefined) parts.push("$");
    else if (typeof key === "number") parts.push(`[${key}]`);
    else parts.push(/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
  }
  return parts.reverse().join("");
}

function fail(place: Place, problem: string): NounJsonError {
  return new NounJsonError(describePlace(place), problem);
}

// ---------------------------------------------------------------------- parsing text

/**
 * `JSON.parse` with the limits of the noun form: nesting deeper than `maxDepth` brackets is
 * refused before parsing, and strings (keys too) with lone surrogates are refused after. A
 * text that is not JSON throws `JSON.parse`'s own `SyntaxError`; a refused one throws
 * {@linkcode NounJsonError}.
 *
 * @example
 * ```ts
 * import { nounFromJson, parseNounJson } from "./json.ts";
 * using noun = nounFromJson(parseNounJson('["put", "k", {"list": [1, 2]}]'));
 * console.log(noun.toString()); // [7632240 107 1 2 0]
 * ```
 */
export function parseNounJson(text: string, options: Pick<ReadOptions, "maxDepth"> = {}): Json {
  const maxDepth = limit("maxDepth", options.maxDepth, maxJsonDepth);
  checkTextDepth(text, maxDepth);
  const value = JSON.parse(text) as Json;
  checkStrings(value);
  return value;
}

/** Refuse a text whose brackets nest deeper than `maxDepth`, in one pass over it. */
function checkTextDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        throw new NounJsonError(`character ${i}`, `nested deeper than ${maxDepth} levels`);
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** Refuse strings (values and keys) that are not well-formed UTF-16, without recursion. */
function checkStrings(root: Json): void {
  const stack: { value: Json; place: Place }[] = [{ value: root, place: rootPlace }];
  while (stack.length > 0) {
    const { value, place } = stack.pop()!;
    if (typeof value === "string") {
      checkWellFormed(value, place);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], place: { up: place, key: i } });
      }
    } else if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        checkWellFormed(key, place, "key");
        stack.push({ value: value[key], place: { up: place, key } });
      }
    }
  }
}

function checkWellFormed(text: string, place: Place, what = "string"): void {
  if (text.isWellFormed()) return;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    throw fail(
      place,
      `the ${what} has a lone surrogate \\u${
        c.toString(16)
      } at index ${i}: only well-formed UTF-16 text can be stored`,
    );
  }
}

// ---------------------------------------------------------------------- reading

interface ReadTask {
  value: Json;
  /** Brackets enclosing the value. */
  depth: number;
  place: Place;
  into: NounLike[];
  index: number;
}

interface Reader {
  lists: ListForm;
  maxDepth: number;
  cue: ((bytes: Uint8Array) => Noun) | undefined;
  owned: Noun[];
  stack: ReadTask[];
}

/** The NounLike of a JSON form, built without recursion (jams cued by `cue`, if given). */
function read(
  json: Json,
  options: ReadOptions,
  cue: ((bytes: Uint8Array) => Noun) | undefined,
  owned: Noun[],
): NounLike {
  const reader: Reader = {
    lists: choice("list form", options.lists, listForms),
    maxDepth: limit("maxDepth", options.maxDepth, maxJsonDepth),
    cue,
    owned,
    stack: [],
  };
  const root: NounLike[] = [0];
  reader.stack.push({ value: json, depth: 0, place: rootPlace, into: root, index: 0 });
  while (reader.stack.length > 0) {
    const task = reader.stack.pop()!;
    task.into[task.index] = readValue(reader, task);
  }
  return root[0];
}

function readValue(reader: Reader, task: ReadTask): NounLike {
  const { value, place } = task;
  if (value === null) return 0;
  switch (typeof value) {
    case "number":
      if (!Number.isSafeInteger(value) || value < 0) {
        throw fail(
          place,
          `${value} is not an atom (a non-negative safe integer; use {"atom": "…"} or {"hex": "0x…"} for big ones)`,
        );
      }
      return value;
    case "string":
      return readString(value, place);
    case "boolean":
      throw fail(place, "booleans have no noun form (write 0 for %.y and 1 for %.n)");
    case "object":
      break;
    default:
      throw fail(place, `${typeof value} is not a JSON value`);
  }
  const depth = enter(reader, task.depth, place);
  if (!Array.isArray(value)) return readObject(reader, value, depth, place);
  if (reader.lists === "array") return readItems(reader, value, depth, place, true);
  if (value.length < 2) {
    throw fail(
      place,
      `an array is a tuple and needs at least two items (got ${value.length}; {"list": […]} is a list)`,
    );
  }
  return readItems(reader, value, depth, place, false);
}

function readString(value: string, place: Place): string {
  checkWellFormed(value, place);
  if (value.endsWith("\u0000")) {
    throw fail(
      place,
      "the string ends in U+0000, which a cord cannot keep (an atom has no high zero bytes)",
    );
  }
  return value;
}

/** One more bracket of nesting, if the limit allows it. */
function enter(reader: Reader, depth: number, place: Place): number {
  if (depth + 1 > reader.maxDepth) {
    throw fail(place, `nested deeper than ${reader.maxDepth} levels`);
  }
  return depth + 1;
}

/** The items of an array (already entered), as a tuple or as a null-terminated list. */
function readItems(
  reader: Reader,
  values: Json[],
  depth: number,
  place: Place,
  terminated: boolean,
): NounLike {
  if (terminated && values.length === 0) return 0;
  const out: NounLike[] = new Array(values.length + (terminated ? 1 : 0));
  if (terminated) out[values.length] = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    reader.stack.push({
      value: values[i],
      depth,
      place: { up: place, key: i },
      into: out,
      index: i,
    });
  }
  return out;
}

function readObject(
  reader: Reader,
  value: { [key: string]: Json },
  depth: number,
  place: Place,
): NounLike {
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw fail(
      place,
      `an object must have exactly one key of list, tuple, hex, atom, jam (got ${
        keys.length === 0 ? "none" : keys.map((k) => JSON.stringify(k)).join(", ")
      })`,
    );
  }
  const key = keys[0];
  const inner = value[key];
  const at: Place = { up: place, key };
  switch (key) {
    case "list":
    case "tuple": {
      if (!Array.isArray(inner)) throw fail(at, "not an array");
      if (key === "tuple" && inner.length < 2) {
        throw fail(at, `a tuple needs at least two items (got ${inner.length})`);
      }
      return readItems(reader, inner, enter(reader, depth, at), at, key === "list");
    }
    case "hex":
      if (typeof inner !== "string" || !/^0x[0-9a-fA-F]+$/.test(inner)) {
        throw fail(at, "not a string of the form 0x1f2e…");
      }
      return hexBytes(inner);
    case "atom":
      if (typeof inner !== "string" || !/^[0-9]+$/.test(inner)) {
        throw fail(at, "not a string of decimal digits");
      }
      if (inner.length > maxDecimalDigits) {
        throw fail(at, `more than ${maxDecimalDigits} digits (use {"hex": "0x…"})`);
      }
      return BigInt(inner);
    case "jam":
      return readJam(reader, inner, at);
    default:
      throw fail(
        place,
        `unknown object key ${JSON.stringify(key)} (expected list, tuple, hex, atom or jam)`,
      );
  }
}

function readJam(reader: Reader, inner: Json, at: Place): NounLike {
  if (typeof inner !== "string") throw fail(at, "not a string");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(inner) || inner.length % 4 !== 0) {
    throw fail(at, "not standard padded base64");
  }
  if (inner.length === 0) throw fail(at, "empty");
  if (reader.cue === undefined) return 0;
  const binary = atob(inner);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const noun = reader.cue(bytes);
  reader.owned.push(noun);
  return noun;
}

/** The little-endian bytes of `0x…` hex digits, in linear time. */
function hexBytes(text: string): Uint8Array {
  const digits = text.length - 2;
  const bytes = new Uint8Array((digits + 1) >> 1);
  for (let i = 0; i < digits; i++) {
    const c = text.charCodeAt(text.length - 1 - i);
    const nibble = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
    bytes[i >> 1] |= nibble << (4 * (i & 1));
  }
  return bytes;
}

/**
 * Check that a JSON value is the JSON form of a noun, without native calls (a `{"jam"}`
 * form is checked to be base64, not cued). Throws {@linkcode NounJsonError} naming the place.
 *
 * @example
 * ```ts
 * import { checkNounJson } from "./json.ts";
 * checkNounJson(["put", "k", { list: [1, 2] }]); // fine
 * try {
 *   checkNounJson(["put", -1]);
 * } catch (error) {
 *   console.error((error as Error).message); // $[1]: -1 is not an atom (…)
 * }
 * ```
 */
export function checkNounJson(json: Json, options: ReadOptions = {}): void {
  read(json, options, undefined, []);
}

/**
 * The noun of a JSON form. Throws {@linkcode NounJsonError} for a malformed form (naming the
 * place) and `CueError` for a bad `{"jam": …}`.
 *
 * @example
 * ```ts
 * import { nounFromJson } from "./json.ts";
 * using noun = nounFromJson(["incr", "n", 5]);
 * console.log(noun.toString()); // [1919118953 110 5]
 * using list = nounFromJson([1, 2], { lists: "array" });
 * console.log(list.toString()); // [1 2 0]
 * ```
 */
export function nounFromJson(json: Json, options: ReadOptions = {}): Noun {
  const owned: Noun[] = [];
  try {
    return Noun.from(read(json, options, (bytes) => Noun.cue(bytes), owned));
  } finally {
    for (const noun of owned) noun.dispose();
  }
}

// ---------------------------------------------------------------------- writing

/** Counts what a rendering has spent and throws when a budget runs out. */
class Budget {
  #nodes = 0;
  #bytes = 0;
  readonly settings: Settings;

  constructor(settings: Settings) {
    this.settings = settings;
  }

  /** One more node visited. */
  node(): void {
    if (++this.#nodes > this.settings.maxNodes) {
      throw new RenderBudgetError(
        budgetMessage("nodes", this.settings.maxNodes),
        "nodes",
        this.settings.maxNodes,
      );
    }
  }

  /** Throw if `bytes` more would not fit (without spending them). */
  need(bytes: number): void {
    if (this.#bytes + bytes > this.settings.maxBytes) {
      throw new RenderBudgetError(
        budgetMessage("bytes", this.settings.maxBytes),
        "bytes",
        this.settings.maxBytes,
      );
    }
  }

  /** Spend `bytes` of output. */
  spend(bytes: number): void {
    this.need(bytes);
    this.#bytes += bytes;
  }

  /** The depth inside `levels` more brackets, if the limit allows it. */
  enter(depth: number, levels: number): number {
    if (depth + levels > this.settings.maxDepth) {
      throw new RenderBudgetError(
        budgetMessage("depth", this.settings.maxDepth),
        "depth",
        this.settings.maxDepth,
      );
    }
    return depth + levels;
  }
}

/**
 * The values still to write, as parallel arrays (no object per node: a rendering may visit
 * millions): an owned handle, the brackets enclosing the value, and where the value goes.
 */
interface WriteStack {
  handles: number[];
  depths: number[];
  intos: Json[][];
  indexes: number[];
}

function push(stack: WriteStack, handle: number, depth: number, into: Json[], index: number) {
  stack.handles.push(handle);
  stack.depths.push(depth);
  stack.intos.push(into);
  stack.indexes.push(index);
}

/**
 * The JSON form of a noun (see the module documentation and `docs/JSON.md`), written without
 * recursion within the budgets of `options`. Throws {@linkcode RenderBudgetError} when a
 * budget runs out; `JSON.stringify` of the result is then at most `maxBytes` bytes of UTF-8
 * and nests at most `maxDepth` brackets.
 *
 * @example
 * ```ts
 * import { nounToJson } from "./json.ts";
 * import { Noun } from "./noun.ts";
 * using n = Noun.from(["incr", "n", 5]);
 * console.log(JSON.stringify(nounToJson(n))); // ["incr","n",5]
 * using list = Noun.list([1, 2]);
 * console.log(JSON.stringify(nounToJson(list, { lists: "object" }))); // {"list":[1,2]}
 * ```
 */
export function nounToJson(noun: Noun, options: WriteOptions = {}): Json {
  const budget = new Budget(settings(options));
  if (budget.settings.as === "jam") return jamJson(noun, budget);
  const S = symbols();
  const root: Json[] = [null];
  const stack: WriteStack = { handles: [], depths: [], intos: [], indexes: [] };
  push(stack, checked(S.cellar_dup(handleOf(noun))), 0, root, 0);
  let current = 0;
  try {
    while (stack.handles.length > 0) {
      current = stack.handles.pop()!;
      const depth = stack.depths.pop()!;
      const into = stack.intos.pop()!;
      const index = stack.indexes.pop()!;
      budget.node();
      into[index] = S.cellar_is_cell(current) === 1
        ? writeCell(current, depth, stack, budget)
        : writeAtom(current, depth, budget);
      S.cellar_release(current);
      current = 0;
    }
    return root[0];
  } finally {
    if (current !== 0) S.cellar_release(current);
    for (const handle of stack.handles) S.cellar_release(handle);
  }
}

/** Where items go until the array that holds them exists (see `writeCell`). */
const pending: Json[] = [];

/**
 * A cell (borrowed): its right spine flattened into one array, or an object form around it.
 * The items go on the stack; the array they go into is returned empty.
 */
function writeCell(cell: number, depth: number, stack: WriteStack, budget: Budget): Json {
  const S = symbols();
  const { lists } = budget.settings;
  const base = stack.handles.length;
  pushSpine(cell, stack, budget);
  let count = stack.handles.length - base;
  const listed = lists !== "tuple" &&
    S.cellar_atom_byte_length(stack.handles[stack.handles.length - 1]) === 0;
  if (listed) {
    budget.node(); // the ~ that ends the list, not written
    S.cellar_release(stack.handles.pop()!);
    stack.depths.pop();
    stack.intos.pop();
    stack.indexes.pop();
    count--;
  }
  const wrapped = (lists === "object" && listed) || (lists === "array" && !listed);
  const inner = budget.enter(depth, wrapped ? 2 : 1);
  // `[a,b,c]` is two brackets and a comma between items; `{"list":` or `{"tuple":` and `}`.
  budget.spend(2 + count - 1 + (wrapped ? (listed ? 9 : 10) : 0));
  const out: Json[] = new Array(count);
  for (let i = 0; i < count; i++) {
    stack.depths[base + i] = inner;
    stack.intos[base + i] = out;
    stack.indexes[base + i] = i;
  }
  if (!wrapped) return out;
  return listed ? { list: out } : { tuple: out };
}

/**
 * Push owned handles to the heads along the right spine of `cell` (borrowed), then to the
 * atom that ends it, each to be placed by the caller.
 */
function pushSpine(cell: number, stack: WriteStack, budget: Budget): void {
  const S = symbols();
  let cursor = cell;
  try {
    for (;;) {
      push(stack, checked(S.cellar_head(cursor)), 0, pending, 0);
      const next = checked(S.cellar_tail(cursor));
      if (cursor !== cell) S.cellar_release(cursor);
      cursor = next;
      if (S.cellar_is_cell(cursor) !== 1) break;
      budget.node(); // the next cell of the spine (the atom that ends it counts when written)
    }
    push(stack, cursor, 0, pending, 0);
    cursor = cell;
  } finally {
    if (cursor !== cell) S.cellar_release(cursor);
  }
}

function writeAtom(handle: number, depth: number, budget: Budget): Json {
  const S = symbols();
  const value = S.cellar_atom_to_f64(handle);
  if (value >= 0) return smallAtom(value, budget); // below 2^53
  const length = S.cellar_atom_byte_length(handle);
  if (length < 0) throw lastError();
  // Every form of an atom of 7 bytes or more is longer than its bytes: refuse before reading.
  budget.need(length);
  const bytes = new Uint8Array(length);
  S.cellar_atom_read(handle, bytes, length);
  return bigAtom(bytes, depth, budget);
}

const scratch = new Uint8Array(8);

/** A safe integer: a string if its bytes are text (and `as` is `"auto"`), else a number. */
function smallAtom(value: number, budget: Budget): Json {
  if (budget.settings.as === "auto" && value > 0) {
    let length = 0;
    for (let v = value; v > 0; length++) {
      scratch[length] = v % 256;
      v = Math.floor(v / 256);
    }
    const size = textSize(scratch, length);
    if (size >= 0) {
      budget.spend(size);
      return decodeText(scratch, length);
    }
  }
  let digits = 1;
  for (let v = value; v >= 10; digits++) v = Math.floor(v / 10);
  budget.spend(digits);
  return value;
}

/** An atom of 2^53 or more, from its bytes (least significant first, no high zero byte). */
function bigAtom(bytes: Uint8Array, depth: number, budget: Budget): Json {
  const { as } = budget.settings;
  if (as === "auto") {
    const size = textSize(bytes, bytes.length);
    if (size >= 0) {
      budget.spend(size);
      return decodeText(bytes, bytes.length);
    }
  }
  budget.enter(depth, 1);
  if (as === "numbers" && bytes.length <= decimalBytesMax) {
    const digits = bytesToBigint(bytes).toString();
    budget.spend(11 + digits.length); // {"atom":"…"}
    return { atom: digits };
  }
  budget.spend(10 + 2 + 2 * bytes.length - (bytes[bytes.length - 1] < 16 ? 1 : 0)); // {"hex":"0x…"}
  return { hex: hexOf(bytes) };
}

/**
 * The length of the JSON string of the first `length` bytes if they are text: well-formed
 * UTF-8 with no control character but tab, newline and return (C0, DEL and C1 are refused);
 * -1 otherwise. One pass, no exceptions.
 */
function textSize(bytes: Uint8Array, length: number): number {
  let escapes = 0;
  for (let i = 0; i < length;) {
    const b = bytes[i];
    if (b >= 0x80) {
      const n = sequenceLength(bytes, i, length);
      if (n === 0) return -1;
      if (b === 0xc2 && bytes[i + 1] < 0xa0) return -1; // U+0080..U+009F
      i += n;
      continue;
    }
    if (b < 0x20) {
      if (b !== 0x09 && b !== 0x0a && b !== 0x0d) return -1;
      escapes++;
    } else if (b === 0x22 || b === 0x5c) {
      escapes++;
    } else if (b === 0x7f) {
      return -1;
    }
    i++;
  }
  return length + 2 + escapes;
}

/**
 * The length (2 to 4) of the well-formed UTF-8 sequence at `i`, or 0: no overlong form, no
 * surrogate, nothing above U+10FFFF (the Unicode standard's table 3-7).
 */
function sequenceLength(bytes: Uint8Array, i: number, length: number): number {
  const b = bytes[i];
  let n = 0;
  let low = 0x80;
  let high = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) low = 0xa0;
    if (b === 0xed) high = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) low = 0x90;
    if (b === 0xf4) high = 0x8f;
  }
  if (n === 0 || i + n > length || bytes[i + 1] < low || bytes[i + 1] > high) return 0;
  for (let k = 2; k < n; k++) {
    if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  }
  return n;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The text of the first `length` bytes, which {@linkcode textSize} accepted. */
function decodeText(bytes: Uint8Array, length: number): string {
  if (length > 16) return utf8.decode(bytes.subarray(0, length));
  const codes: number[] = [];
  for (let i = 0; i < length; i++) {
    const b = bytes[i];
    if (b < 0x80) {
      codes.push(b);
    } else if (b < 0xe0) {
      codes.push(((b & 0x1f) << 6) | (bytes[++i] & 0x3f));
    } else if (b < 0xf0) {
      codes.push(((b & 0x0f) << 12) | ((bytes[++i] & 0x3f) << 6) | (bytes[++i] & 0x3f));
    } else {
      const c = ((b & 0x07) << 18) | ((bytes[++i] & 0x3f) << 12) | ((bytes[++i] & 0x3f) << 6);
      codes.push(c | (bytes[++i] & 0x3f));
    }
  }
  return String.fromCodePoint(...codes);
}

const hexDigits = new TextEncoder().encode("0123456789abcdef");

/** `0x` and the lowercase hex of little-endian bytes, without a leading zero, in linear time. */
function hexOf(bytes: Uint8Array): string {
  const n = bytes.length;
  const top = bytes[n - 1];
  const out = new Uint8Array(2 + 2 * n - (top < 16 ? 1 : 0));
  out[0] = 0x30;
  out[1] = 0x78;
  let j = 2;
  if (top >= 16) out[j++] = hexDigits[top >> 4];
  out[j++] = hexDigits[top & 15];
  for (let i = n - 2; i >= 0; i--) {
    out[j++] = hexDigits[bytes[i] >> 4];
    out[j++] = hexDigits[bytes[i] & 15];
  }
  return utf8.decode(out);
}

function jamJson(noun: Noun, budget: Budget): Json {
  budget.enter(0, 1);
  const bytes = noun.jam();
  budget.spend(10 + 4 * Math.ceil(bytes.length / 3)); // {"jam":"…"}
  const parts: string[] = [];
  const chunk = 3 * 8192;
  for (let i = 0; i < bytes.length; i += chunk) {
    parts.push(btoa(String.fromCharCode(...bytes.subarray(i, i + chunk))));
  }
  return { jam: parts.join("") };
}
