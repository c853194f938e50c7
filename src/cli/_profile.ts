/**
 * `--profile OUT` of the commands that run Nock (`hoon`, `nock`, `poke`, `run`): profile the
 * command's Nock by registered arm, print the busiest arms to stderr, and write the table
 * (`OUT.txt`), the folded stacks (`OUT.folded`) and a flame graph (`OUT.svg`).
 *
 * @module
 */

import { checkProfileOut, formatProfileTable, ProfileSession } from "../runtime/profile.ts";
import { UsageError } from "./_common.ts";

/** The `--profile` option's parseArgs definition. */
export const profileOption = { profile: { type: "string" } } as const;

/** The help lines of `--profile`; `what` is what gets profiled. */
export function profileHelp(what: string): string {
  return `  --profile OUT      Profile ${what} by registered arm (%fast path): calls, own
                     and inclusive steps and time, jet punts, %memo hits and misses.
                     Print the 20 busiest arms to stderr; write the whole table to
                     OUT.txt, folded stacks (microseconds) to OUT.folded and a flame
                     graph to OUT.svg (OUT's folder must exist; no symlinks)`;
}

/** The checked `--profile` value (a usage error, exit 2, for a path it cannot write). */
export function profileArgument(value: string | undefined): string | null {
  if (value === undefined) return null;
  const problem = checkProfileOut(value);
  if (problem !== null) throw new UsageError(`Bad --profile '${value}': ${problem}`);
  return value;
}

/** Start a session when `out` is set. */
export function startProfile(out: string | null): ProfileSession | null {
  return out === null ? null : ProfileSession.start();
}

/**
 * Finish a session: print its 20 busiest arms and totals to stderr, write its files, then
 * stop it. Nothing without a session.
 */
export function finishProfile(
  session: ProfileSession | null,
  out: string | null,
  title: string,
): void {
  if (session === null || out === null) return;
  try {
    console.error(formatProfileTable(session.table(20)).trimEnd());
    const files = session.write(out, title);
    console.error(`profile: ${files.folded}, ${files.svg}, ${files.table}`);
  } finally {
    session.stop();
  }
}
