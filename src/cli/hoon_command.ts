/**
 * The CLI's `hoon` subcommand: boot Urbit's ivory pill and print the product of a Hoon
 * expression, compiled and evaluated by the pill's `wish` gate.
 *
 * @module
 */

import { drainSlogs } from "../core/machine.ts";
import { Hoon } from "../hoon/ivory.ts";
import { jetReport, jetStats, setJetCheck, setJetProfile } from "../core/jets.ts";
import { formatNoun } from "../core/print.ts";
import { CueError, NockError, NounShapeError } from "../core/errors.ts";
import { Failure, integerOption, readInput, UsageError } from "./_common.ts";
import { defineCommand, oneArgument } from "./_command.ts";
import { findPill } from "./_pill.ts";
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
    product = hoon.wish(expression, options);
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
  profile: boolean;
  verbose: boolean;
}

async function runHoon(args: HoonArgs): Promise<number> {
  const bytes = await readInput(args.pill);
  if (args.profile) setJetProfile(true);
  using hoon = bootHoon(args.pill, bytes);
  if (args.verbose) console.error(`boot: ${hoon.bootMs.toFixed(1)} ms`);
  if (args.jetCheck) setJetCheck(true);
  const before = jetStats();
  const { stepLimit, timeoutMs, maxChars } = args;
  const { code, ms } = evaluate(hoon, args.expression, { stepLimit, timeoutMs, maxChars });
  const after = jetStats();
  if (args.verbose) {
    console.error(
      `eval: ${ms.toFixed(1)} ms, ${after.jetCalls - before.jetCalls} jet calls` +
        (args.jetCheck ? `, ${after.checks - before.checks} checked` : ""),
    );
  }
  if (args.profile) console.error(jetReport());
  const mismatches = after.mismatches - before.mismatches;
  if (mismatches > 0) {
    console.error(`cellar hoon: jet check: ${mismatches} jet calls disagreed with their Nock`);
    return 1;
  }
  return code;
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
    steps: { type: "string" },
    "timeout-ms": { type: "string" },
    "max-chars": { type: "string" },
    profile: { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
  },
  optionHelp: `  --pill FILE        The ivory pill (default: $CELLAR_IVORY_PILL, else
                     ../shared/corpus/pills/ivory.pill beside the checkout, as for build)
  --jet-check        Run every jet beside its Nock and compare; mismatches are printed
                     and make the exit status 1 (the Nock's product is used)
  --steps N          Stop the evaluation with %intr after N Nock steps (default: no limit)
  --timeout-ms N     Stop the evaluation with %intr after N milliseconds (default: no limit)
  --max-chars N      Print at most N characters of the product (default: 100000; 0: all)
  --profile          Print the jet dashboard and the busiest arms to stderr
  -v, --verbose      Print the boot time, the evaluation time and jet counters to stderr`,
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
      profile: values.profile ?? false,
      verbose: values.verbose ?? false,
    };
  },
  run: runHoon,
});
