/**
 * Shared plumbing of the CLI's subcommands: usage errors and failures, argument parsing,
 * and reading input files with clear failures.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";

/**
 * Bad command-line usage: printed with a pointer to `--help`, exit code 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./_common.ts";
 * const error = new UsageError("Expected one FILE.jam argument, got 0");
 * console.log(error.message);
 * ```
 */
export class UsageError extends Error {
  /** @param message What is wrong with the arguments */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A failure to report without a stack trace: exit code 1.
 *
 * @example
 * ```ts
 * import { Failure } from "./_common.ts";
 * const error = new Failure("not found: x.jam");
 * console.log(error.message);
 * ```
 */
export class Failure extends Error {
  /** @param message What failed */
  constructor(message: string) {
    super(message);
    this.name = "Failure";
  }
}

/** Options of {@linkcode parse}: node:util parseArgs option definitions. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parse arguments strictly; unknown options and malformed values become usage errors.
 *
 * @example
 * ```ts
 * import { parse } from "./_common.ts";
 * const { values, positionals } = parse(["--steps", "5", "x.jam"], { steps: { type: "string" } });
 * console.log(values.steps, positionals); // 5 [ "x.jam" ]
 * ```
 */
export function parse<T extends OptionSpec>(
  args: string[],
  options: T,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * A non-negative integer option (absent: `fallback`), or a usage error.
 *
 * @example
 * ```ts
 * import { integerOption } from "./_common.ts";
 * console.log(integerOption("--steps", "100", 0)); // 100
 * ```
 */
export function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`Bad value for ${name}: expected a non-negative integer, got '${value}'`);
  }
  return n;
}

/**
 * The one positional argument, or a usage error.
 *
 * @example
 * ```ts
 * import { onePositional } from "./_common.ts";
 * console.log(onePositional(["a.jam"], "FILE.jam")); // a.jam
 * ```
 */
export function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one ${what} argument, got ${positionals.length}`);
  }
  return positionals[0];
}

/**
 * The bytes of a file, or a {@linkcode Failure} naming the file and the reason: a missing
 * file is `not found: PATH`, told apart from one that may not be read (permission denied).
 *
 * @example
 * ```ts
 * import { readInput } from "./_common.ts";
 * const bytes = await readInput("deno.json");
 * ```
 */
export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Failure(`not found: ${path}`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new Failure(`Cannot read ${path}: it is a directory`);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new Failure(`Cannot read ${path}: permission denied (${(error as Error).message})`);
    }
    throw new Failure(
      `Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
