/**
 * Typed handles to nouns that live in the native workspace.
 *
 * A {@linkcode Noun} owns one handle in the calling thread's native handle table, which the
 * collector treats as a root. Release it with `dispose()` or a `using` declaration; a
 * FinalizationRegistry releases handles that are garbage collected without that, as a
 * backstop. Nouns (and handles) belong to the thread (Worker) that made them.
 *
 * @module
 */

import { checked, lastError, symbols } from "./ffi.ts";
import { ArgumentError, HandleError, NounShapeError } from "./errors.ts";
import { formatHandle } from "./format.ts";

/**
 * Values that convert to nouns: nouns themselves, non-negative integers (`number` or
 * `bigint`), strings (as cords: UTF-8 bytes, least significant first), `Uint8Array`s
 * (little-endian bytes), and arrays (tuples: `[a, b, c]` is `[a [b c]]`).
 */
export type NounLike = Noun | number | bigint | string | Uint8Array | readonly NounLike[];

const internal = Symbol("Noun.internal");
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const axisBuffer = new Uint8Array(8);
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** Reads a noun's private handle; set by the class's static block. */
let handleOfNoun: (noun: Noun) => number;

/** Releases handles of nouns that were garbage collected without `dispose()`. */
const registry = new FinalizationRegistry<number>((handle) => {
  symbols().cellar_release(handle);
});

/**
 * A noun: an atom (a natural number of any size) or a cell (an ordered pair of nouns).
 *
 * @example Build, read and dispose nouns
 * ```ts
 * import { Noun } from "@cellar/cellar";
 * using n = Noun.from([1, 2n, "abc"]);
 * console.log(n.toString()); // [1 2 6513249]
 * using t = n.at(7);
 * console.log(t.toCord()); // abc
 * ```
 */
export class Noun {
  #handle: number;

  /**
   * Internal: use the static constructors ({@linkcode Noun.atom}, {@linkcode Noun.from}, ...).
   *
   * @param token Module-private token
   * @param handle A handle this noun takes ownership of
   */
  constructor(token: symbol, handle: number) {
    if (token !== internal) {
      throw new ArgumentError(
        "Cannot construct a Noun directly: use Noun.atom, Noun.cell, Noun.from or Noun.cue",
      );
    }
    this.#handle = handle;
    registry.register(this, handle, this);
  }

  static {
    handleOfNoun = (noun) => noun.#live();
  }

  #live(): number {
    const handle = this.#handle;
    if (handle === 0) throw new HandleError("Cannot use a disposed noun");
    return handle;
  }

  // ------------------------------------------------------------------ construction

  /**
   * An atom from a non-negative integer, a string (a cord: its UTF-8 bytes, first byte
   * least significant) or little-endian bytes.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(42).toNumber()); // 42
   * console.log(Noun.atom(2n ** 70n).toBigInt()); // 1180591620717411303424n
   * console.log(Noun.atom("hi").toNumber()); // 26984
   * console.log(Noun.atom(new Uint8Array([1, 1])).toNumber()); // 257
   * ```
   */
  static atom(value: number | bigint | string | Uint8Array): Noun {
    return new Noun(internal, atomHandle(value));
  }

  /**
   * The cell `[head tail]`.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.cell(1, Noun.cell(2, 3)).toString()); // [1 2 3]
   * ```
   */
  static cell(head: NounLike, tail: NounLike): Noun {
    const [h, hOwned] = borrowHandle(head);
    try {
      const [t, tOwned] = borrowHandle(tail);
      try {
        return new Noun(internal, checked(symbols().cellar_cell(h, t)));
      } finally {
        if (tOwned) symbols().cellar_release(t);
      }
    } finally {
      if (hOwned) symbols().cellar_release(h);
    }
  }

  /**
   * The right-nested tuple of one or more items: `tuple(a, b, c)` is `[a [b c]]`.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.tuple(1, 2, 3).toString()); // [1 2 3]
   * ```
   */
  static tuple(...items: NounLike[]): Noun {
    if (items.length === 0) throw new ArgumentError("Cannot build a tuple of no items");
    return new Noun(internal, handleFromArray(items));
  }

  /**
   * The null-terminated list of the items: `list([a, b])` is `[a b 0]` (`~` for none).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.list([1, 2]).toString()); // [1 2 0]
   * ```
   */
  static list(items: Iterable<NounLike>): Noun {
    return new Noun(internal, handleFromArray([...items, 0]));
  }

  /**
   * A cord: the atom whose bytes are the UTF-8 text, first byte least significant.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.cord("hurray").toNumber()); // 133459438892392
   * ```
   */
  static cord(text: string): Noun {
    return new Noun(internal, atomHandle(text));
  }

  /**
   * A noun from any {@linkcode NounLike}: arrays become tuples (deep arrays are converted
   * without recursion). Always returns a new noun that the caller owns, even for a noun.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([[1, 2], 3, [4, 5, 6]]).toString()); // [[1 2] 3 4 5 6]
   * ```
   */
  static from(value: NounLike): Noun {
    if (value instanceof Noun) {
      return new Noun(internal, checked(symbols().cellar_dup(value.#live())));
    }
    if (Array.isArray(value)) return new Noun(internal, handleFromArray(value));
    return new Noun(internal, atomHandle(value as number | bigint | string | Uint8Array));
  }

  /**
   * The noun whose jam is `bytes`.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.cue(new Uint8Array([0x31, 0x12])).toString()); // [1 2]
   * ```
   */
  static cue(bytes: Uint8Array): Noun {
    return new Noun(internal, checked(symbols().cellar_cue(bytes, bytes.length)));
  }

  // ------------------------------------------------------------------ structure

  /**
   * True for a cell.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2]).isCell); // true
   * ```
   */
  get isCell(): boolean {
    const r = symbols().cellar_is_cell(this.#live());
    if (r < 0) throw lastError();
    return r === 1;
  }

  /**
   * True for an atom.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(1).isAtom); // true
   * ```
   */
  get isAtom(): boolean {
    return !this.isCell;
  }

  /**
   * The head of a cell (a new noun); a {@linkcode NounShapeError} for an atom.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2]).head.toNumber()); // 1
   * ```
   */
  get head(): Noun {
    const h = symbols().cellar_head(this.#live());
    if (h === 0) throw lastError();
    return new Noun(internal, h);
  }

  /**
   * The tail of a cell (a new noun); a {@linkcode NounShapeError} for an atom.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2]).tail.toNumber()); // 2
   * ```
   */
  get tail(): Noun {
    const h = symbols().cellar_tail(this.#live());
    if (h === 0) throw lastError();
    return new Noun(internal, h);
  }

  /**
   * The noun at a tree address (axis): 1 is the whole, 2 the head, 3 the tail, 2n and
   * 2n + 1 the head and tail of n. Axis 0 and axes through atoms are a
   * {@linkcode NounShapeError}.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2, 3]).at(6).toNumber()); // 2
   * ```
   */
  at(axis: number | bigint): Noun {
    const handle = this.#live();
    let bytes: Uint8Array;
    if (typeof axis === "number") {
      if (!Number.isSafeInteger(axis) || axis < 0) {
        throw new ArgumentError(`Bad axis: ${axis} is not a non-negative integer`);
      }
      const low = axis % 0x1_0000_0000;
      const high = (axis - low) / 0x1_0000_0000;
      for (let i = 0; i < 4; i++) {
        axisBuffer[i] = (low >>> (8 * i)) & 0xff;
        axisBuffer[i + 4] = (high >>> (8 * i)) & 0xff;
      }
      bytes = axisBuffer;
    } else {
      if (axis < 0n) throw new ArgumentError(`Bad axis: ${axis} is negative`);
      bytes = bigintToBytes(axis);
    }
    return new Noun(internal, checked(symbols().cellar_at(handle, bytes, bytes.length)));
  }

  /**
   * The mug: Urbit's 31-bit hash of the noun (cached in the noun).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(0).mug.toString(16)); // 79ff04e8
   * ```
   */
  get mug(): number {
    const mug = symbols().cellar_mug(this.#live());
    if (mug < 0) throw lastError();
    return mug;
  }

  /**
   * Structural equality.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2]).equals(Noun.cell(1, 2))); // true
   * ```
   */
  equals(other: Noun): boolean {
    const r = symbols().cellar_equals(this.#live(), other.#live());
    if (r < 0) throw lastError();
    return r === 1;
  }

  /**
   * The jam of the noun: its serialization as bytes.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.from([1, 2]).jam()); // Uint8Array(2) [ 49, 18 ]
   * ```
   */
  jam(): Uint8Array {
    const S = symbols();
    const length = S.cellar_jam(this.#live());
    if (length < 0) throw lastError();
    const bytes = new Uint8Array(length);
    S.cellar_take_output(bytes, length);
    return bytes;
  }

  // ------------------------------------------------------------------ conversion

  /**
   * The little-endian bytes of an atom, without high zero bytes (empty for 0).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(258).toBytes()); // Uint8Array(2) [ 2, 1 ]
   * ```
   */
  toBytes(): Uint8Array {
    const S = symbols();
    const handle = this.#live();
    const length = S.cellar_atom_byte_length(handle);
    if (length < 0) throw lastError();
    const bytes = new Uint8Array(length);
    if (length > 0) S.cellar_atom_read(handle, bytes, length);
    return bytes;
  }

  /**
   * The value of an atom as a bigint.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(2n ** 64n).toBigInt()); // 18446744073709551616n
   * ```
   */
  toBigInt(): bigint {
    const value = symbols().cellar_atom_to_f64(this.#live());
    if (value >= 0) return BigInt(value);
    if (value === -1) return bytesToBigint(this.toBytes());
    throw lastError();
  }

  /**
   * The value of an atom as a number; a {@linkcode NounShapeError} when it is 2^53 or more
   * (use {@linkcode Noun.toBigInt}).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(7).toNumber()); // 7
   * ```
   */
  toNumber(): number {
    const value = symbols().cellar_atom_to_f64(this.#live());
    if (value >= 0) return value;
    if (value === -1) {
      throw new NounShapeError(
        "Cannot convert the atom to a number: it is 2^53 or more (use toBigInt)",
      );
    }
    throw lastError();
  }

  /**
   * The text of a cord (its bytes decoded as UTF-8; invalid sequences become U+FFFD).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.atom(133459438892392).toCord()); // hurray
   * ```
   */
  toCord(): string {
    return decoder.decode(this.toBytes());
  }

  /**
   * The items of a null-terminated list (new nouns); a {@linkcode NounShapeError} when the
   * noun does not end in `~` (0).
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(Noun.list([1, 2, 3]).toArray().map((n) => n.toNumber())); // [ 1, 2, 3 ]
   * ```
   */
  toArray(): Noun[] {
    const S = symbols();
    const items: Noun[] = [];
    let current = checked(S.cellar_dup(this.#live()));
    try {
      while (S.cellar_is_cell(current) === 1) {
        items.push(new Noun(internal, checked(S.cellar_head(current))));
        const next = checked(S.cellar_tail(current));
        S.cellar_release(current);
        current = next;
      }
      if (S.cellar_atom_to_f64(current) !== 0) {
        throw new NounShapeError(
          `Not a list: item ${items.length} is followed by a nonzero atom instead of ~`,
        );
      }
      return items;
    } catch (error) {
      for (const item of items) item.dispose();
      throw error;
    } finally {
      S.cellar_release(current);
    }
  }

  /**
   * The noun printed: atoms in decimal, cells as `[a b c]` with right-nested tails
   * flattened; very large nouns are cut short with an ellipsis.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * console.log(`${Noun.from([[1, 2], 3])}`); // [[1 2] 3]
   * ```
   */
  toString(): string {
    if (this.#handle === 0) return "<disposed noun>";
    return formatHandle(handleOf(this));
  }

  /** How `console.log` and `Deno.inspect` show a noun. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Noun(${this.toString()})`;
  }

  // ------------------------------------------------------------------ lifetime

  /**
   * True once the noun is disposed.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * const n = Noun.atom(1);
   * n.dispose();
   * console.log(n.disposed); // true
   * ```
   */
  get disposed(): boolean {
    return this.#handle === 0;
  }

  /**
   * Release the native handle now. Idempotent; any later use throws a
   * {@linkcode HandleError}.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * const n = Noun.atom(1);
   * n.dispose();
   * ```
   */
  dispose(): void {
    const handle = this.#handle;
    if (handle === 0) return;
    this.#handle = 0;
    registry.unregister(this);
    symbols().cellar_release(handle);
  }

  /**
   * Same as {@linkcode Noun.dispose}, for `using` declarations.
   *
   * @example
   * ```ts
   * import { Noun } from "@cellar/cellar";
   * {
   *   using n = Noun.atom(1);
   * } // released here
   * ```
   */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Internal: the live handle of a noun (throws for a disposed one). Not part of the public
 * module; the noun keeps ownership.
 *
 * @example
 * ```ts
 * import { handleOf, Noun } from "./noun.ts";
 * console.log(handleOf(Noun.atom(1)) > 0); // true
 * ```
 */
export function handleOf(noun: Noun): number {
  return handleOfNoun(noun);
}

/**
 * Internal: wrap a handle the caller owns (non-zero) in a noun that takes ownership.
 *
 * @example
 * ```ts
 * import { adoptHandle } from "./noun.ts";
 * import { symbols } from "./ffi.ts";
 * const n = adoptHandle(symbols().cellar_atom_from_f64(3));
 * console.log(n.toNumber()); // 3
 * ```
 */
export function adoptHandle(handle: number): Noun {
  return new Noun(internal, checked(handle));
}

// ---------------------------------------------------------------------- helpers

function atomHandle(value: number | bigint | string | Uint8Array): number {
  const S = symbols();
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ArgumentError(
        `Bad atom: ${value} is not a non-negative safe integer (use a bigint for large values)`,
      );
    }
    return checked(S.cellar_atom_from_f64(value));
  }
  if (typeof value === "bigint") {
    if (value < 0n) throw new ArgumentError(`Bad atom: ${value} is negative`);
    if (value <= maxSafe) return checked(S.cellar_atom_from_f64(Number(value)));
    const bytes = bigintToBytes(value);
    return checked(S.cellar_atom_from_bytes(bytes, bytes.length));
  }
  if (typeof value === "string") {
    const bytes = encoder.encode(value);
    return checked(S.cellar_atom_from_bytes(bytes, bytes.length));
  }
  if (value instanceof Uint8Array) return checked(S.cellar_atom_from_bytes(value, value.length));
  throw new ArgumentError(`Bad atom: cannot make an atom from ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "an object";
  return typeof value;
}

/** A handle for a NounLike, and whether the caller must release it. */
function borrowHandle(value: NounLike): [number, boolean] {
  if (value instanceof Noun) return [handleOfNoun(value), false];
  if (Array.isArray(value)) return [handleFromArray(value), true];
  return [atomHandle(value as number | bigint | string | Uint8Array), true];
}

interface Frame {
  items: readonly NounLike[];
  next: number;
  handles: number[];
  owned: boolean[];
}

/** A new handle to the tuple of a (possibly deeply nested) array, built without recursion. */
function handleFromArray(root: readonly NounLike[]): number {
  const S = symbols();
  if (root.length === 0) throw new ArgumentError("Cannot make a noun from an empty array");
  const stack: Frame[] = [{ items: root, next: 0, handles: [], owned: [] }];
  const open = new Set<readonly NounLike[]>([root]);
  try {
    for (;;) {
      const top = stack[stack.length - 1];
      if (top.next < top.items.length) {
        const item = top.items[top.next++];
        if (Array.isArray(item)) {
          if (item.length === 0) throw new ArgumentError("Cannot make a noun from an empty array");
          if (open.has(item)) throw new ArgumentError("Cannot make a noun from a cyclic array");
          open.add(item);
          stack.push({ items: item, next: 0, handles: [], owned: [] });
          continue;
        }
        const [handle, owned] = borrowHandle(item);
        top.handles.push(handle);
        top.owned.push(owned);
        continue;
      }
      const handle = checked(S.cellar_tuple(new Uint32Array(top.handles), top.handles.length));
      releaseOwned(top);
      stack.pop();
      open.delete(top.items);
      if (stack.length === 0) return handle;
      stack[stack.length - 1].handles.push(handle);
      stack[stack.length - 1].owned.push(true);
    }
  } catch (error) {
    for (const frame of stack) releaseOwned(frame);
    throw error;
  }
}

function releaseOwned(frame: Frame): void {
  const S = symbols();
  for (let i = 0; i < frame.handles.length; i++) {
    if (frame.owned[i]) S.cellar_release(frame.handles[i]);
  }
  frame.handles.length = 0;
  frame.owned.length = 0;
}

/**
 * Little-endian bytes of a non-negative bigint (empty for 0).
 *
 * @example
 * ```ts
 * import { bigintToBytes } from "./noun.ts";
 * console.log(bigintToBytes(258n)); // Uint8Array(2) [ 2, 1 ]
 * ```
 */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  const length = hex.length / 2;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    bytes[i] = parseInt(hex.slice(hex.length - 2 * (i + 1), hex.length - 2 * i), 16);
  }
  return bytes;
}

/**
 * The bigint of little-endian bytes.
 *
 * @example
 * ```ts
 * import { bytesToBigint } from "./noun.ts";
 * console.log(bytesToBigint(new Uint8Array([2, 1]))); // 258n
 * ```
 */
export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const digits = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    digits[bytes.length - 1 - i] = bytes[i].toString(16).padStart(2, "0");
  }
  return BigInt("0x" + digits.join(""));
}
