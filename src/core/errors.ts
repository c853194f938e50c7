/**
 * Error classes of Cellar. Every error thrown by the library is a {@linkcode CellarError};
 * the subclasses say what went wrong, and {@linkcode NockError} carries the kind and trace
 * of a failed computation.
 *
 * @module
 */

/**
 * The raw trace a {@linkcode NockError} holds: a `Noun` (see noun.ts), typed here by what an
 * error needs of it so that this module imports nothing (it is the bottom layer). Narrow it
 * with `instanceof Noun` to read it.
 */
export interface TraceNoun {
  /** Release the handle. */
  dispose(): void;
}

/**
 * Base class of every error Cellar throws.
 *
 * @example Catch any Cellar error
 * ```ts
 * import { CellarError, Noun } from "@cellar/cellar";
 * try {
 *   Noun.atom(5).head;
 * } catch (error) {
 *   if (error instanceof CellarError) console.error(error.message);
 * }
 * ```
 */
export class CellarError extends Error {
  /**
   * @param message What went wrong, in sentence case with details after a colon
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CellarError";
  }
}

/**
 * The native library could not be found, opened, or has the wrong ABI version.
 *
 * @example
 * ```ts
 * import { LibraryError } from "@cellar/cellar";
 * const error = new LibraryError("Cannot load the Cellar library: not found");
 * console.assert(error.name === "LibraryError");
 * ```
 */
export class LibraryError extends CellarError {
  /**
   * @param message What went wrong
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LibraryError";
  }
}

/**
 * How a Nock computation failed: `exit` is a deterministic crash, `meme` is out of memory,
 * `intr` is an interruption (step limit, time limit, or an interrupt from another thread).
 */
export type NockErrorKind = "exit" | "meme" | "intr";

/**
 * A Nock computation failed. `kind` says how; `trace` is the rendered trace (outermost
 * entry first), and `traceNoun` the raw trace list of `[tag clue]` (innermost first) when
 * there is one. Dispose `traceNoun` when done with it (the garbage collector will otherwise).
 *
 * @example
 * ```ts
 * import { nock, Noun, NockError } from "@cellar/cellar";
 * try {
 *   nock(Noun.atom(0), Noun.from([0, 0]));
 * } catch (error) {
 *   if (error instanceof NockError) console.error(error.kind, error.trace.join("\n"));
 * }
 * ```
 */
export class NockError extends CellarError {
  /** How the computation failed. */
  readonly kind: NockErrorKind;
  /** Rendered trace lines, outermost first. */
  readonly trace: readonly string[];
  /** The raw trace (a list of `[tag clue]`, innermost first), or `undefined` when empty. */
  readonly traceNoun: TraceNoun | undefined;

  /**
   * @param kind How the computation failed
   * @param message What went wrong
   * @param trace Rendered trace lines, outermost first
   * @param traceNoun The raw trace list
   */
  constructor(
    kind: NockErrorKind,
    message: string,
    trace: readonly string[] = [],
    traceNoun?: TraceNoun,
  ) {
    super(message);
    this.name = "NockError";
    this.kind = kind;
    this.trace = trace;
    this.traceNoun = traceNoun;
  }
}

/**
 * An operation outside Nock ran out of memory: the workspace limit or the handle table.
 *
 * @example
 * ```ts
 * import { MemoryError } from "@cellar/cellar";
 * console.assert(new MemoryError("Out of memory: a cell").name === "MemoryError");
 * ```
 */
export class MemoryError extends CellarError {
  /**
   * @param message What did not fit
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MemoryError";
  }
}

/**
 * A noun was used after it was disposed, or a handle is not valid on this thread.
 *
 * @example
 * ```ts
 * import { HandleError, Noun } from "@cellar/cellar";
 * const n = Noun.atom(1);
 * n.dispose();
 * try {
 *   n.toBigInt();
 * } catch (error) {
 *   console.assert(error instanceof HandleError);
 * }
 * ```
 */
export class HandleError extends CellarError {
  /**
   * @param message Which handle and why
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandleError";
  }
}

/**
 * A noun does not have the shape an operation needs: the head of an atom, a bad axis, a
 * cell where an atom was expected, a list that does not end in `~`.
 *
 * @example
 * ```ts
 * import { Noun, NounShapeError } from "@cellar/cellar";
 * try {
 *   Noun.atom(7).at(2);
 * } catch (error) {
 *   console.assert(error instanceof NounShapeError);
 * }
 * ```
 */
export class NounShapeError extends CellarError {
  /**
   * @param message What shape was expected
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NounShapeError";
  }
}

/**
 * Bytes given to `cue` are not a valid jam.
 *
 * @example
 * ```ts
 * import { CueError, Noun } from "@cellar/cellar";
 * try {
 *   Noun.cue(new Uint8Array([0]));
 * } catch (error) {
 *   console.assert(error instanceof CueError);
 * }
 * ```
 */
export class CueError extends CellarError {
  /**
   * @param message Why the bytes were refused
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CueError";
  }
}

/**
 * An argument is out of range or of the wrong form (a negative atom, a fractional number).
 *
 * @example
 * ```ts
 * import { ArgumentError, Noun } from "@cellar/cellar";
 * try {
 *   Noun.atom(-1);
 * } catch (error) {
 *   console.assert(error instanceof ArgumentError);
 * }
 * ```
 */
export class ArgumentError extends CellarError {
  /**
   * @param message Which argument and why
   * @param options Standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ArgumentError";
  }
}

/**
 * A Persistent Memory Arena operation failed. `code` names the failure as the core does
 * (`"MetaChecksum"`, `"AppendedChecksum"`, `"SlabTruncated"`, `"OffsetOutOfRange"`,
 * `"Locked"`, `"NoSlab"`, `"ReadOnly"`, `"EventOrder"`, `"Poisoned"`, `"Io"`, ...); the
 * message says what and where.
 *
 * @example
 * ```ts
 * import { Pma, PmaError } from "@cellar/cellar";
 * try {
 *   Pma.open("/no/such/dir", { readOnly: true });
 * } catch (error) {
 *   if (error instanceof PmaError && error.code === "NoSlab") console.error(error.message);
 * }
 * ```
 */
export class PmaError extends CellarError {
  /** The core's name for the failure, e.g. `"MetaChecksum"` or `"Locked"`. */
  readonly code: string;

  /**
   * @param code The core's error name
   * @param message What went wrong
   * @param options Standard error options (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PmaError";
    this.code = code;
  }
}

/** Error kind codes of the C ABI (`cellar_error_kind`). */
export const errorCode = {
  none: 0,
  exit: 1,
  meme: 2,
  intr: 3,
  badHandle: 4,
  badShape: 5,
  badJam: 6,
  badArgument: 7,
  pma: 8,
} as const;

/**
 * The error to throw for a native failure with this kind code and message (not for
 * failures of `nock`, which carry traces: see `nock` in noun.ts). `name` is the core's
 * error name (`cellar_error_name`), used by PMA failures.
 *
 * @example
 * ```ts
 * import { errorFromCode, NounShapeError } from "./errors.ts";
 * console.assert(errorFromCode(5, "Cannot take the head of an atom") instanceof NounShapeError);
 * ```
 */
export function errorFromCode(code: number, message: string, name = ""): CellarError {
  switch (code) {
    case errorCode.pma:
      return new PmaError(name, message);
    case errorCode.exit:
      return new NockError("exit", message);
    case errorCode.intr:
      return new NockError("intr", message);
    case errorCode.meme:
      return new MemoryError(message);
    case errorCode.badHandle:
      return new HandleError(message);
    case errorCode.badShape:
      return new NounShapeError(message);
    case errorCode.badJam:
      return new CueError(message);
    case errorCode.badArgument:
      return new ArgumentError(message);
    default:
      return new CellarError(`Unexpected native failure (code ${code}): ${message}`);
  }
}

/** Which budget of a rendering ran out. */
export type RenderLimit = "nodes" | "bytes" | "depth";

/**
 * Printing a noun (as text or as JSON) would pass a budget: more nodes visited than allowed
 * (shared subtrees count each time, so a DAG bomb of a few bytes stops here), more bytes of
 * output, or deeper nesting. The jam form carries any noun.
 *
 * @example
 * ```ts
 * import { RenderBudgetError } from "@cellar/cellar";
 * const error = new RenderBudgetError("Cannot print the noun: too many nodes", "nodes", 10);
 * console.log(error.limit, error.max); // nodes 10
 * ```
 */
export class RenderBudgetError extends CellarError {
  /** The budget that ran out. */
  readonly limit: RenderLimit;
  /** Its value. */
  readonly max: number;

  /**
   * @param message What could not be printed, and what to do instead
   * @param limit The budget that ran out
   * @param max Its value
   */
  constructor(message: string, limit: RenderLimit, max: number) {
    super(message);
    this.name = "RenderBudgetError";
    this.limit = limit;
    this.max = max;
  }
}
