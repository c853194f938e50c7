/**
 * `--jets FILE` of the commands that run a kernel: a JSON jet table (mappings from
 * registration paths to native entries, and known cores; the form `cellar jets list --json`
 * prints) added to the process-wide jet table before the kernel runs.
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { addJets, parseJetTable } from "../core/jets.ts";
import type { JetTable } from "../core/jets.ts";
import { Failure, readInput } from "./_common.ts";

/** The `--jets` option's parseArgs definition. */
export const jetsOption = { jets: { type: "string" } } as const;

/** The help line of `--jets`. */
export const jetsHelp =
  `  --jets FILE        Add the jet mappings and known cores of FILE (JSON, the form of
                     'cellar jets list --json') to the jet table first`;

/**
 * Read and check the jet table in `path` (none: `undefined`); a bad file is a `Failure`
 * naming the file and the field, before anything else is done.
 */
export async function readJets(path: string | undefined): Promise<JetTable | undefined> {
  if (path === undefined) return undefined;
  const text = new TextDecoder().decode(await readInput(path));
  try {
    return parseJetTable(text, path);
  } catch (error) {
    if (error instanceof ArgumentError) throw new Failure(error.message);
    throw error;
  }
}

/** Read, check and add the jet table in `path` (nothing when `path` is undefined). */
export async function applyJets(path: string | undefined): Promise<void> {
  const table = await readJets(path);
  if (table === undefined) return;
  try {
    addJets(table);
  } catch (error) {
    if (error instanceof ArgumentError) throw new Failure(`${path}: ${error.message}`);
    throw error;
  }
}
