/**
 * Printing nouns, tanks (Hoon's pretty-printer trees) and crash traces.
 *
 * Every walk here is iterative (explicit stacks), so arbitrarily deep nouns never exhaust
 * the JavaScript stack, and every output is capped so that huge nouns print quickly.
 *
 * @module
 */

import { NockError } from "./errors.ts";
import { defaultMaxLength, formatHandle, handleValue } from "./format.ts";
import type { FormatOptions, Value } from "./format.ts";
import { handleOf, Noun } from "./noun.ts";

export type { FormatOptions } from "./format.ts";
export { RenderBudgetError } from "./format.ts";

const decoder = new TextDecoder();

/**
 * Print a noun: atoms in decimal, cells as `[a b c]` with right-nested tails flattened
 * (`[1 [2 3]]` prints as `[1 2 3]`). Output past `maxLength` characters ends in `…`. A print
 * past its budget of nodes or bytes (`maxNodes`, `maxBytes`: a DAG bomb printed with no
 * length cut) throws a {@linkcode RenderBudgetError} instead of exhausting memory.
 *
 * @example
 * ```ts
 * import { formatNoun, Noun } from "@cellar/cellar";
 * console.log(formatNoun(Noun.from([1, [2, 3], [[4, 5], 6]]))); // [1 [2 3] [4 5] 6]
 * ```
 */
export function formatNoun(noun: Noun, options: FormatOptions = {}): string {
  return formatHandle(handleOf(noun), options);
}

function toValue(noun: Noun, budget: number): Value | undefined {
  return handleValue(handleOf(noun), budget);
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

/** Options of {@linkcode renderTrace}. */
export interface TraceOptions {
  /**
   * Evaluates Nock for `%mean` traps (`nock(subject, formula, { stepLimit })`, untraced);
   * without it a trap prints as a raw noun.
   */
  evaluate?: (subject: Noun, formula: Noun, options: { stepLimit: number }) => Noun;
}

/** Steps a `%mean` trap may take to produce its tank. */
const trapStepLimit = 10_000_000;
const entryMaxLength = 10_000;

/**
 * Render a crash trace (a list of `[tag clue]`, innermost first) as lines, outermost first:
 * `%spot` as `/path/to/file::[line col].[line col]`, `%mean` / `%hunk` / `%lose` as their
 * message (a cord, a tank, or a trap producing a tank, run with a step limit), anything
 * else as `%tag clue`. Nothing here throws on a malformed trace: unknown shapes print raw.
 * A `%mean` trap is run only when `options.evaluate` is given (`nock` passes its own
 * evaluator; this module does not import the machine).
 *
 * @example
 * ```ts
 * import { Noun, renderTrace } from "@cellar/cellar";
 * const spot = Noun.from(["spot", [Noun.list(["sys", "hoon"]), [1, 2], [3, 4]]]);
 * console.log(renderTrace(Noun.list([spot]))); // [ "/sys/hoon::[1 2].[3 4]" ]
 * ```
 */
export function renderTrace(trace: Noun, options: TraceOptions = {}): string[] {
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
      lines.push(renderEntry(entry, options));
    } catch {
      lines.push(formatNoun(entry, { maxLength: entryMaxLength }));
    }
  }
  return lines;
}

function renderEntry(entry: Noun, options: TraceOptions): string {
  if (!entry.isCell) return formatNoun(entry, { maxLength: entryMaxLength });
  using tag = entry.head;
  using clue = entry.tail;
  const tagValue = tag.isAtom ? tag.toBigInt() : undefined;
  let text: string | undefined;
  if (tagValue === tags.spot) text = renderSpot(clue);
  else if (tagValue === tags.mean) text = renderMessage(clue, options.evaluate);
  else if (tagValue === tags.hunk || tagValue === tags.lose) text = renderMessage(clue);
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

/** A cord, a tank, a path, or (for `%mean`, given an evaluator) a trap that produces a tank. */
function renderMessage(clue: Noun, evaluate?: TraceOptions["evaluate"]): string | undefined {
  if (clue.isAtom) return cordText(clue.toBigInt());
  using head = clue.head;
  // A tank's head is an atom tag; a trap's head is its battery, a formula (a cell).
  if (head.isCell) return evaluate === undefined ? undefined : renderTrap(clue, evaluate);
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
function renderTrap(trap: Noun, evaluate: NonNullable<TraceOptions["evaluate"]>): string {
  using formula = Noun.from([9, 2, 0, 1]);
  let product: Noun;
  try {
    product = evaluate(trap, formula, { stepLimit: trapStepLimit });
  } catch (error) {
    if (!(error instanceof NockError)) return "<trap in trace failed>";
    error.traceNoun?.dispose();
    return `<trap in trace failed with %${error.kind}>`;
  }
  using tank = product;
  return renderTank(tank, { maxLength: entryMaxLength });
}
