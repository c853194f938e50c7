/**
 * The CLI's `hoon` subcommand: boot Urbit's ivory pill and print the product of a Hoon
 * expression, compiled and evaluated by the pill's `wish` gate.
 *
 * @module
 */

import { drainSlogs } from "../core/machine.ts";
import { Hoon } from "../hoon/ivory.ts";
import { runCompute, showProgressOn } from "../runtime/progress.ts";
import { jetStats, setJetCheck, setJetLimits } from "../core/jets.ts";
import type { JetStats } from "../core/jets.ts";
import { formatNoun } from "../core/print.ts";
import { CueError, NockError, NounShapeError } from "../core/errors.ts";
import { Failure, integerOption, readInput, UsageError } from "./_common.ts";
import { defineCommand, oneArgument } from "./_command.ts";
import { findPill } from "./_pill.ts";
import { applyJets, jetsHelp, jetsOption } from "./_jets.ts";
import {
  finishProfile,
  profileArgument,
  profileHelp,
  profileOption,
  startProfile,
} from "./_profile.ts";
import type { Command } from "./_command.ts";
import type { Noun } from "../core/noun.ts";

function printSlogs(): void {
  for (const slog of drainSlogs()) console.error(slog.text);
}

function bootHoon(path: string, bytes: Uint8Array): Hoon {
  try {
    return Hoon.boot(bytes);
  } catch (error) {
    if (error instanceof CueError || error instanceof NounShapeError) {
      throw new Failure(`Cannot boot ${path}: ${error.message}`);
    }
    if (error instanceof NockError) {
      error.traceNoun?.dispose();
      throw new Failure(`Cannot boot ${path}: ${error.message}`);
    }
    throw error;
  }
}

/** Evaluate and print; returns the exit code. */
function evaluate(hoon: Hoon, expression: string, options: {
  stepLimit: number;
  timeoutMs: number;
  maxChars: number;
}): { code: number; ms: number } {
  const start = performance.now();
  let product: Noun;
  try {
    using _progress = showProgressOn();
    product = runCompute(() => hoon.wish(expression, options));
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    printSlogs();
    error.traceNoun?.dispose();
    console.error(`cellar hoon: ${error.message}`);
    for (const line of error.trace) console.error(`  ${line}`);
    return { code: 1, ms: performance.now() - start };
  }
  const ms = performance.now() - start;
  using result = product;
  printSlogs();
  const maxLength = options.maxChars === 0 ? Infinity : options.maxChars;
  console.log(formatNoun(result, { maxLength }));
  return { code: 0, ms };
}

interface HoonArgs {
  expression: string;
  pill: string;
  stepLimit: number;
  timeoutMs: number;
  maxChars: number;
  jetCheck: boolean;
  checkSteps: number;
  memoMib: number;
  /** Where the profile goes: OUT.txt, OUT.folded and OUT.svg; null: no profile. */
  profile: string | null;
  verbose: boolean;
  /** `--jets FILE`, added to the jet table before the boot. */
  jets: string | undefined;
}

async function runHoon(args: HoonArgs): Promise<number> {
  await applyJets(args.jets);
  const bytes = await readInput(args.pill);
  using hoon = bootHoon(args.pill, bytes);
  using profile = startProfile(args.profile);
  if (args.verbose) console.error(`boot: ${hoon.bootMs.toFixed(1)} ms`);
  if (args.jetCheck) setJetCheck(true);
  setJetLimits({ checkSteps: args.checkSteps, memoBudgetBytes: args.memoMib * 2 ** 20 });
  const before = jetStats();
  const { stepLimit, timeoutMs, maxChars } = args;
  const { code, ms } = evaluate(hoon, args.expression, { stepLimit, timeoutMs, maxChars });
  const after = jetStats();
  if (args.verbose) {
    console.error(
      `eval: ${ms.toFixed(1)} ms, ${after.jetCalls - before.jetCalls} jet calls` +
        (args.jetCheck ? `, ${after.checks - before.checks} checked` : ""),
    );
    console.error(memoLine(before, after));
    console.error(jetsLine(after));
  }
  if (args.jetCheck) {
    const count = (key: "checks" | "mismatches" | "skipped") => after[key] - before[key];
    console.error(
      `jet check: checks=${count("checks")} mismatches=${count("mismatches")} ` +
        `skipped=${count("skipped")}`,
    );
  }
  finishProfile(profile, args.profile, `cellar hoon ${shorten(args.expression)}`);
  const mismatches = after.mismatches - before.mismatches;
  if (mismatches > 0) {
    console.error(`cellar hoon: jet check: ${mismatches} jet calls disagreed with their Nock`);
    return 1;
  }
  return code;
}

/** At most 60 characters of `text`. */
function shorten(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/**
 * `jets: R registrations, U unmatched, D dropped (P with an unknown parent)`: hints whose
 * parent is unknown need a known core (`--jets`; the jet report names the battery).
 */
function jetsLine(stats: JetStats): string {
  return `jets: ${stats.registrations} registrations, ${stats.unmatched} unmatched, ` +
    `${stats.dropped} dropped (${stats.droppedUnknownParent} with an unknown parent)`;
}

/** `memo: H hits, M misses (R% hit), E evictions, N entries, B MiB of B MiB`. */
function memoLine(before: JetStats, after: JetStats): string {
  const hits = after.memoHits - before.memoHits;
  const misses = after.memoMisses - before.memoMisses;
  const rate = hits + misses === 0 ? 0 : (100 * hits) / (hits + misses);
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return `memo: ${hits} hits, ${misses} misses (${rate.toFixed(1)}% hit), ` +
    `${after.memoEvictions - before.memoEvictions} evictions, ${after.memoEntries} entries, ` +
    `${mib(after.memoBytes)} MiB of ${mib(after.memoBudgetBytes)} MiB`;
}

/** `cellar hoon --pill FILE EXPR`. */
export const hoonCommand: Command = defineCommand({
  name: "hoon",
  summary: "Evaluate a Hoon expression with Urbit's compiler (ivory pill)",
  usage: "cellar hoon [--pill FILE] [options] EXPR",
  about:
    `Boot Urbit's ivory pill (FILE), compile the Hoon expression EXPR with the pill's wish gate,
evaluate it and print the product: atoms in decimal, cells as [a b c] with right-nested
tails flattened. A compile error or a crash prints its kind and Hoon's trace to stderr
and exits with status 1. %slog messages go to stderr.`,
  options: {
    pill: { type: "string" },
    "jet-check": { type: "boolean" },
    "check-steps": { type: "string" },
    "memo-mib": { type: "string" },
    steps: { type: "string" },
    "timeout-ms": { type: "string" },
    "max-chars": { type: "string" },
    ...profileOption,
    verbose: { type: "boolean", short: "v" },
    ...jetsOption,
  },
  optionHelp: `  --pill FILE        The ivory pill (default: $CELLAR_IVORY_PILL, else
                     ../shared/corpus/pills/ivory.pill beside the checkout, as for build)
  --jet-check        Run every jet beside its Nock and compare; mismatches are printed
                     and make the exit status 1 (the Nock's product is used). Prints
                     "jet check: checks=N mismatches=M skipped=K" to stderr
  --check-steps N    Give up a check whose Nock passes N steps, counting it as skipped
                     (default: 1000000; 0: no limit)
  --memo-mib N       Budget of the %memo cache in MiB (default: 256)
  --steps N          Stop the evaluation with %intr after N Nock steps (default: no limit)
  --timeout-ms N     Stop the evaluation with %intr after N milliseconds (default: no limit)
  --max-chars N      Print at most N characters of the product (default: 100000; 0: all)
${profileHelp("the evaluation")}
  -v, --verbose      Print the boot time, the evaluation time, jet counters and the
                     %memo cache's hits, misses, evictions and size to stderr, and the
                     %fast registrations: how many, how many without a jet-table entry
                     (unmatched), how many hints were dropped (and why)
${jetsHelp}`,
  positionals: oneArgument("EXPR"),
  check({ values, positionals }): HoonArgs {
    const tried: string[] = [];
    const pill = values.pill ?? findPill(tried);
    if (pill === null) {
      throw new UsageError(`Missing --pill FILE: no ivory pill at ${tried.join(" or ")}`);
    }
    return {
      expression: positionals[0],
      pill,
      stepLimit: integerOption("--steps", values.steps, 0),
      timeoutMs: integerOption("--timeout-ms", values["timeout-ms"], 0),
      maxChars: integerOption("--max-chars", values["max-chars"], 100_000),
      jetCheck: values["jet-check"] ?? false,
      checkSteps: integerOption("--check-steps", values["check-steps"], 1_000_000),
      memoMib: integerOption("--memo-mib", values["memo-mib"], 256),
      profile: profileArgument(values.profile),
      verbose: values.verbose ?? false,
      jets: values.jets,
    };
  },
  run: runHoon,
});
