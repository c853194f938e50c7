/**
 * Printing nouns by handle: atoms in decimal (or as cords), cells flattened, and a copy of a
 * small noun into JavaScript values. Imports only the FFI, so that `Noun` (noun.ts) can print
 * itself; `print.ts` builds tanks and traces on top.
 *
 * Every walk here is iterative (explicit stacks), so arbitrarily deep nouns never exhaust
 * the JavaScript stack, and every output is capped so that huge nouns print quickly.
 *
 * @module
 */

import { RenderBudgetError } from "./errors.ts";

export { RenderBudgetError } from "./errors.ts";
import { checked, symbols } from "./ffi.ts";

/** Options for {@linkcode formatHandle}. */
export interface FormatOptions {
  /** Longest output in characters before it is cut with an ellipsis (default 100,000). */
  maxLength?: number;
  /** Print atoms whose bytes are printable UTF-8 as cords (`'hello'`) instead of in
   * decimal — a guess: a number whose bytes happen to be printable prints as text too. */
  cords?: boolean;
  /**
   * Most nouns (cells and atoms) to visit, a subtree shared N times counting N times, as it
   * prints N times (default 10,000,000). Past it a {@linkcode RenderBudgetError}: a noun of
   * a few bytes can print as 2^64 leaves. It binds when `maxLength` does not cut first.
   */
  maxNodes?: number;
  /** Most bytes of UTF-8 output (default 64 MiB); past it a {@linkcode RenderBudgetError}.
   * It binds when `maxLength` does not cut first (`maxLength: Infinity`). */
  maxBytes?: number;
}

export const defaultMaxLength = 100_000;
/** Default {@linkcode FormatOptions.maxNodes}. */
export const defaultMaxNodes = 4_000_000;
/** Default {@linkcode FormatOptions.maxBytes}. */
export const defaultMaxBytes = 64 * 1024 * 1024;

/** Atoms longer than this many bytes print as `<N-byte atom>` instead of in decimal. */
const decimalBytesMax = 4096;

/**
 * Print the noun a handle holds (the handle stays owned by the caller): atoms in decimal,
 * cells as `[a b c]` with right-nested tails flattened (`[1 [2 3]]` prints as `[1 2 3]`).
 * Output past `maxLength` characters ends in `…`; a print past `maxNodes` nodes or
 * `maxBytes` bytes (which a length cut usually prevents) throws {@linkcode RenderBudgetError}.
 *
 * @example
 * ```ts
 * import { formatHandle } from "./format.ts";
 * import { handleOf, Noun } from "./noun.ts";
 * using noun = Noun.from([1, [2, 3]]);
 * console.log(formatHandle(handleOf(noun))); // [1 2 3]
 * ```
 */
export function formatHandle(noun: number, options: FormatOptions = {}): string {
  const maxLength = options.maxLength ?? defaultMaxLength;
  const budget = new Budget(options);
  const S = symbols();
  // Items: a string to emit, or a handle (owned) to print as a noun (`full`) or as the
  // remainder of a flattened tuple (`rest`: " item item ... item]").
  const stack: (string | { handle: number; rest: boolean })[] = [
    { handle: checked(S.cellar_dup(noun)), rest: false },
  ];
  let out = "";
  try {
    while (stack.length > 0) {
      if (out.length > maxLength) return out.slice(0, maxLength) + "…";
      const item = stack.pop()!;
      if (typeof item === "string") {
        out += item;
        budget.emit(item.length);
        continue;
      }
      const { handle, rest } = item;
      try {
        budget.visit();
        if (S.cellar_is_cell(handle) === 1) {
          stack.push({ handle: checked(S.cellar_tail(handle)), rest: true });
          stack.push({ handle: checked(S.cellar_head(handle)), rest: false });
          stack.push(rest ? " " : "[");
        } else {
          const atom = (options.cords ? atomCord(handle) : null) ?? atomDecimal(handle);
          const text = rest ? ` ${atom}]` : atom;
          budget.emit(utf8Length(text));
          out += text;
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

/** The nodes and bytes a print may still use. */
class Budget {
  #nodes = 0;
  #bytes = 0;
  readonly maxNodes: number;
  readonly maxBytes: number;

  constructor(options: FormatOptions) {
    this.maxNodes = options.maxNodes ?? defaultMaxNodes;
    this.maxBytes = options.maxBytes ?? defaultMaxBytes;
  }

  visit(): void {
    if (++this.#nodes <= this.maxNodes) return;
    throw new RenderBudgetError(
      `Cannot print the noun: it has more than ${this.maxNodes} nodes when shared subtrees ` +
        `count each time they print (a DAG can print as far more than its size): print its ` +
        `jam instead, or raise maxNodes`,
      "nodes",
      this.maxNodes,
    );
  }

  emit(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes <= this.maxBytes) return;
    throw new RenderBudgetError(
      `Cannot print the noun: its text passes ${this.maxBytes} bytes: print its jam ` +
        `instead, cut it with maxLength, or raise maxBytes`,
      "bytes",
      this.maxBytes,
    );
  }
}

const encoder = new TextEncoder();

/** UTF-8 length of `text` (ASCII, the common case, without encoding it). */
function utf8Length(text: string): number {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
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
export type Value = bigint | readonly [Value, Value];

/**
 * Copy a small noun into a JavaScript value, without recursion. Returns undefined when the
 * noun has more than `budget` nodes (shared subtrees count each time they are reached).
 */
export function handleValue(noun: number, budget: number): Value | undefined {
  const S = symbols();
  const work: (number | null)[] = [checked(S.cellar_dup(noun))];
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
