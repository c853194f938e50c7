/**
 * Printing nouns, tanks (Hoon's pretty-printer trees) and crash traces.
 *
 * Every walk here is iterative (explicit stacks), so arbitrarily deep nouns never exhaust
 * the JavaScript stack, and every output is capped so that huge nouns print quickly.
 *
 * @module
 */

import { checked, symbols } from "./ffi.ts";
import { handleOf, Noun } from "./noun.ts";
import { nockUntraced } from "./machine.ts";
import { NockError } from "./errors.ts";

/** Options for {@linkcode formatNoun}. */
export interface FormatOptions {
  /** Longest output in characters before it is cut with an ellipsis (default 100,000). */
  maxLength?: number;
  /** Print atoms whose bytes are printable UTF-8 as cords (`'hello'`) instead of in
   * decimal — a guess: a number whose bytes happen to be printable prints as text too. */
  cords?: boolean;
}

const defaultMaxLength = 100_000;
/** Atoms longer than this many bytes print as `<N-byte atom>` instead of in decimal. */
const decimalBytesMax = 4096;
const decoder = new TextDecoder();

/**
 * Print a noun: atoms in decimal, cells as `[a b c]` with right-nested tails flattened
 * (`[1 [2 3]]` prints as `[1 2 3]`). Output past `maxLength` characters ends in `…`.
 *
 * @example
 * ```ts
 * import { formatNoun, Noun } from "@cellar/cellar";
 * console.log(formatNoun(Noun.from([1, [2, 3], [[4, 5], 6]]))); // [1 [2 3] [4 5] 6]
 * ```
 */
export function formatNoun(noun: Noun, options: FormatOptions = {}): string {
  const maxLength = options.maxLength ?? defaultMaxLength;
  const S = symbols();
  // Items: a string to emit, or a handle (owned) to print as a noun (`full`) or as the
  // remainder of a flattened tuple (`rest`: " item item ... item]").
  const stack: (string | { handle: number; rest: boolean })[] = [
    { handle: checked(S.cellar_dup(handleOf(noun))), rest: false },
  ];
  let out = "";
  try {
    while (stack.length > 0) {
      if (out.length > maxLength) return out.slice(0, maxLength) + "…";
      const item = stack.pop()!;
      if (typeof item === "string") {
        out += item;
        continue;
      }
      const { handle, rest } = item;
      try {
        if (S.cellar_is_cell(handle) === 1) {
          stack.push({ handle: checked(S.cellar_tail(handle)), rest: true });
          stack.push({ handle: checked(S.cellar_head(handle)), rest: false });
          stack.push(rest ? " " : "[");
        } else {
          const atom = (options.cords ? atomCord(handle) : null) ?? atomDecimal(handle);
          out += rest ? ` ${atom}]` : atom;
        }
      } finally {
        S.cellar_release(handle);
      }
    }
    return out.length > maxLength ? out.slice(0, maxLength) + "…" : out;
  } finally {
    for (const item of stack) if (typeof item !== "string") S.cellar_release(item.handle);
  }
}

function atomDecimal(handle: number): string {
  const S = symbols();
  const value = S.cellar_atom_to_f64(handle);
  if (value >= 0) return String(value);
  const length = S.cellar_atom_byte_length(handle);
  if (length > decimalBytesMax) return `<${length}-byte atom>`;
  return bytesToBigint(atomBytes(handle)).toString();
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The atom as `'text'` when its bytes are printable UTF-8 (up to 4 KiB), else null. */
function atomCord(handle: number): string | null {
  const length = symbols().cellar_atom_byte_length(handle);
  if (length <= 0 || length > decimalBytesMax) return null;
  let text: string;
  try {
    text = strictUtf8.decode(atomBytes(handle));
  } catch {
    return null;
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return null;
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function atomBytes(handle: number): Uint8Array {
  const S = symbols();
  const length = S.cellar_atom_byte_length(handle);
  const bytes = new Uint8Array(Math.max(length, 0));
  if (length > 0) S.cellar_atom_read(handle, bytes, length);
  return bytes;
}

function bytesToBigint(bytes: Uint8Array): bigint {
  let hex = "";
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, "0");
  return hex === "" ? 0n : BigInt("0x" + hex);
}

// ---------------------------------------------------------------------- values

/** A noun copied into JavaScript: a bigint atom or a [head, tail] pair. */
type Value = bigint | readonly [Value, Value];

/**
 * Copy a small noun into a JavaScript value, without recursion. Returns undefined when the
 * noun has more than `budget` nodes (shared subtrees count each time they are reached).
 */
function toValue(noun: Noun, budget: number): Value | undefined {
  const S = symbols();
  const work: (number | null)[] = [checked(S.cellar_dup(handleOf(noun)))];
  const results: Value[] = [];
  let nodes = 0;
  try {
    while (work.length > 0) {
      const handle = work.pop()!;
      if (handle === null) {
        const tail = results.pop()!;
        const head = results.pop()!;
        results.push([head, tail]);
        continue;
      }
      try {
        if (++nodes > budget) return undefined;
        if (S.cellar_is_cell(handle) === 1) {
          work.push(null, checked(S.cellar_tail(handle)), checked(S.cellar_head(handle)));
        } else {
          const value = S.cellar_atom_to_f64(handle);
          results.push(value >= 0 ? BigInt(value) : bytesToBigint(atomBytes(handle)));
        }
      } finally {
        S.cellar_release(handle);
      }
    }
    return results[0];
  } finally {
    for (const handle of work) if (handle !== null) S.cellar_release(handle);
  }
}

function cordValue(text: string): bigint {
  let value = 0n;
  const bytes = new TextEncoder().encode(text);
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

const tags = {
  leaf: cordValue("leaf"),
  palm: cordValue("palm"),
  rose: cordValue("rose"),
  spot: cordValue("spot"),
  mean: cordValue("mean"),
  hunk: cordValue("hunk"),
  lose: cordValue("lose"),
};

function cordText(atom: bigint): string {
  const bytes: number[] = [];
  for (let v = atom; v > 0n; v >>= 8n) bytes.push(Number(v & 0xffn));
  return decoder.decode(new Uint8Array(bytes));
}

/** The items of a null-terminated list, or undefined when it is not one. */
function listItems(value: Value): Value[] | undefined {
  const items: Value[] = [];
  let v = value;
  while (typeof v !== "bigint") {
    items.push(v[0]);
    v = v[1];
  }
  return v === 0n ? items : undefined;
}

/** The text of a tape (a list of bytes, or of code points), or undefined. */
function tapeText(value: Value): string | undefined {
  const items = listItems(value);
  if (items === undefined) return undefined;
  const codes: number[] = [];
  for (const item of items) {
    if (typeof item !== "bigint" || item > 0x10ffffn) return undefined;
    codes.push(Number(item));
  }
  if (codes.every((c) => c < 256)) return decoder.decode(new Uint8Array(codes));
  return String.fromCodePoint(...codes);
}

/** Tapes of a `p` of a rose (3 tapes) or a palm (4 tapes), or undefined. */
function tapes(value: Value, count: number): string[] | undefined {
  const out: string[] = [];
  let v = value;
  for (let i = 0; i < count; i++) {
    const item = i < count - 1 ? (typeof v === "bigint" ? undefined : v[0]) : v;
    if (item === undefined) return undefined;
    const text = tapeText(item);
    if (text === undefined) return undefined;
    out.push(text);
    if (i < count - 1) v = (v as readonly [Value, Value])[1];
  }
  return out;
}

/**
 * Render a tank value on one line, or undefined when it is not a tank. Iterative; output
 * past `maxLength` is cut with an ellipsis.
 */
function renderTankValue(tank: Value, maxLength: number): string | undefined {
  const stack: (Value | { text: string })[] = [tank];
  let out = "";
  while (stack.length > 0) {
    if (out.length > maxLength) return out.slice(0, maxLength) + "…";
    const item = stack.pop()!;
    if (typeof item === "object" && "text" in item) {
      out += item.text;
      continue;
    }
    if (typeof item === "bigint") return undefined;
    const [tag, body] = item;
    if (tag === tags.leaf) {
      const text = tapeText(body);
      if (text === undefined) return undefined;
      out += text;
      continue;
    }
    if ((tag !== tags.rose && tag !== tags.palm) || typeof body === "bigint") return undefined;
    // rose [p q r]: separator p, opening q, closing r. palm [p q r s] prints flat as a rose
    // with opening q followed by r, and closing s.
    const parts = tapes(body[0], tag === tags.rose ? 3 : 4);
    const items = listItems(body[1]);
    if (parts === undefined || items === undefined) return undefined;
    const [separator, open, close] = tag === tags.rose
      ? parts
      : [parts[0], parts[1] + parts[2], parts[3]];
    stack.push({ text: close });
    for (let i = items.length - 1; i >= 0; i--) {
      stack.push(items[i]);
      if (i > 0) stack.push({ text: separator });
    }
    out += open;
  }
  return out;
}

/**
 * Render a tank (`[%leaf tape]`, `[%palm [p q r s] tanks]` or `[%rose [p q r] tanks]`) on
 * one line. Nouns that are not tanks print as raw nouns.
 *
 * @example
 * ```ts
 * import { Noun, renderTank } from "@cellar/cellar";
 * const leaf = (text: string) => Noun.cell("leaf", Noun.list([...text].map((c) => c.charCodeAt(0))));
 * const tank = Noun.tuple("rose", [Noun.list([32]), Noun.list([91]), Noun.list([93])], Noun.list([leaf("a"), leaf("b")]));
 * console.log(renderTank(tank)); // [a b]
 * ```
 */
export function renderTank(tank: Noun, options: FormatOptions = {}): string {
  const maxLength = options.maxLength ?? defaultMaxLength;
  const value = toValue(tank, 1_000_000);
  const text = value === undefined ? undefined : renderTankValue(value, maxLength);
  return text ?? formatNoun(tank, { maxLength });
}

// ---------------------------------------------------------------------- traces

/** Steps a `%mean` trap may take to produce its tank. */
const trapStepLimit = 10_000_000;
const entryMaxLength = 10_000;

/**
 * Render a crash trace (a list of `[tag clue]`, innermost first) as lines, outermost first:
 * `%spot` as `/path/to/file::[line col].[line col]`, `%mean` / `%hunk` / `%lose` as their
 * message (a cord, a tank, or a trap producing a tank, run with a step limit), anything
 * else as `%tag clue`. Nothing here throws on a malformed trace: unknown shapes print raw.
 *
 * @example
 * ```ts
 * import { Noun, renderTrace } from "@cellar/cellar";
 * const spot = Noun.from(["spot", [Noun.list(["sys", "hoon"]), [1, 2], [3, 4]]]);
 * console.log(renderTrace(Noun.list([spot]))); // [ "/sys/hoon::[1 2].[3 4]" ]
 * ```
 */
export function renderTrace(trace: Noun): string[] {
  const lines: string[] = [];
  let entries: Noun[];
  try {
    entries = trace.toArray();
  } catch {
    return [formatNoun(trace, { maxLength: entryMaxLength })];
  }
  for (let i = entries.length - 1; i >= 0; i--) {
    using entry = entries[i];
    try {
      lines.push(renderEntry(entry));
    } catch {
      lines.push(formatNoun(entry, { maxLength: entryMaxLength }));
    }
  }
  return lines;
}

function renderEntry(entry: Noun): string {
  if (!entry.isCell) return formatNoun(entry, { maxLength: entryMaxLength });
  using tag = entry.head;
  using clue = entry.tail;
  const tagValue = tag.isAtom ? tag.toBigInt() : undefined;
  let text: string | undefined;
  if (tagValue === tags.spot) text = renderSpot(clue);
  else if (tagValue === tags.mean) text = renderMessage(clue, true);
  else if (tagValue === tags.hunk || tagValue === tags.lose) text = renderMessage(clue, false);
  if (text !== undefined) return text;
  const shownTag = tagValue === undefined
    ? formatNoun(tag, { maxLength: 100 })
    : `%${cordText(tagValue)}`;
  return `${shownTag} ${formatNoun(clue, { maxLength: entryMaxLength })}`;
}

/** `[path [[line col] [line col]]]` as `/a/b::[line col].[line col]`. */
function renderSpot(clue: Noun): string | undefined {
  const value = toValue(clue, 10_000);
  if (value === undefined || typeof value === "bigint") return undefined;
  const [path, pint] = value;
  const segments = listItems(path);
  if (segments === undefined || segments.some((s) => typeof s !== "bigint")) return undefined;
  if (typeof pint === "bigint" || typeof pint[0] === "bigint" || typeof pint[1] === "bigint") {
    return undefined;
  }
  const [[startLine, startColumn], [endLine, endColumn]] = pint;
  const numbers = [startLine, startColumn, endLine, endColumn];
  if (numbers.some((n) => typeof n !== "bigint")) return undefined;
  const shownPath = "/" + segments.map((s) => cordText(s as bigint)).join("/");
  return `${shownPath}::[${startLine} ${startColumn}].[${endLine} ${endColumn}]`;
}

/** A cord, a tank, a path, or (for `%mean`) a trap that produces a tank. */
function renderMessage(clue: Noun, trapAllowed: boolean): string | undefined {
  if (clue.isAtom) return cordText(clue.toBigInt());
  using head = clue.head;
  // A tank's head is an atom tag; a trap's head is its battery, a formula (a cell).
  if (head.isCell) return trapAllowed ? renderTrap(clue) : undefined;
  const value = toValue(clue, 100_000);
  if (value === undefined) return undefined;
  const tank = renderTankValue(value, entryMaxLength);
  if (tank !== undefined) return tank;
  const path = listItems(value);
  if (path !== undefined && path.every((s) => typeof s === "bigint")) {
    return "/" + path.map((s) => cordText(s as bigint)).join("/");
  }
  return undefined;
}

/** Run a trap (`[9 2 0 1]` on it) for its tank, tolerating failure. */
function renderTrap(trap: Noun): string {
  using formula = Noun.from([9, 2, 0, 1]);
  let product: Noun;
  try {
    product = nockUntraced(trap, formula, { stepLimit: trapStepLimit });
  } catch (error) {
    if (!(error instanceof NockError)) return "<trap in trace failed>";
    error.traceNoun?.dispose();
    return `<trap in trace failed with %${error.kind}>`;
  }
  using tank = product;
  return renderTank(tank, { maxLength: entryMaxLength });
}
