/**
 * The CLI's noun subcommands: `nock FILE.jam` and `mug FILE.jam`.
 *
 * @module
 */

import { drainSlogs, nock } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { formatNoun } from "../core/print.ts";
import { jetStats, setJetCheck } from "../core/jets.ts";
import { CueError, NockError } from "../core/errors.ts";
import { Failure, integerOption, readInput } from "./_common.ts";
import { defineCommand, oneArgument } from "./_command.ts";
import { applyJets, jetsHelp, jetsOption } from "./_jets.ts";
import {
  finishProfile,
  profileArgument,
  profileHelp,
  profileOption,
  startProfile,
} from "./_profile.ts";
import type { Command } from "./_command.ts";
import { runCompute, showProgressOn } from "../runtime/progress.ts";

async function cueFile(path: string): Promise<Noun> {
  const bytes = await readInput(path);
  try {
    return Noun.cue(bytes);
  } catch (error) {
    if (error instanceof CueError) throw new Failure(`Cannot cue ${path}: ${error.message}`);
    throw error;
  }
}

function printSlogs(): void {
  for (const slog of drainSlogs()) console.error(slog.text);
}

interface NockArgs {
  path: string;
  stepLimit: number;
  timeoutMs: number;
  maxChars: number;
  jetCheck: boolean;
  jets: string | undefined;
  /** `--profile OUT`; null: no profile. */
  profile: string | null;
}

async function runNock(args: NockArgs): Promise<number> {
  const { path, stepLimit, timeoutMs, maxChars } = args;
  await applyJets(args.jets);
  using input = await cueFile(path);
  if (!input.isCell) {
    throw new Failure(`Cannot evaluate ${path}: expected a [subject formula] cell, got an atom`);
  }
  using subject = input.head;
  using formula = input.tail;
  if (args.jetCheck) setJetCheck(true);
  let product: Noun;
  using profile = startProfile(args.profile);
  try {
    using _progress = showProgressOn();
    product = runCompute(() => nock(subject, formula, { stepLimit, timeoutMs }));
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    finishProfile(profile, args.profile, `cellar nock ${path}`);
    printSlogs();
    error.traceNoun?.dispose();
    console.error(`cellar nock: ${error.message}`);
    for (const line of error.trace) console.error(`  ${line}`);
    return 1;
  }
  using result = product;
  finishProfile(profile, args.profile, `cellar nock ${path}`);
  printSlogs();
  console.log(formatNoun(result, { maxLength: maxChars === 0 ? Infinity : maxChars }));
  const mismatches = jetStats().mismatches;
  if (mismatches > 0) {
    console.error(`cellar nock: jet check: ${mismatches} jet calls disagreed with their Nock`);
    return 1;
  }
  return 0;
}

/** `cellar nock FILE.jam`. */
export const nockCommand: Command = defineCommand({
  name: "nock",
  summary: "Evaluate a jammed [subject formula] noun and print the product",
  usage: "cellar nock [options] FILE.jam",
  about: `Cue FILE.jam as a [subject formula] cell, evaluate nock(subject, formula) and print the
product: atoms in decimal, cells as [a b c] with right-nested tails flattened.
%slog messages go to stderr. A crash prints its kind (%exit, %meme or %intr) and its
trace to stderr and exits with status 1.`,
  options: {
    steps: { type: "string" },
    "timeout-ms": { type: "string" },
    "max-chars": { type: "string" },
    "jet-check": { type: "boolean" },
    ...profileOption,
    ...jetsOption,
  },
  optionHelp: `  --steps N          Stop with %intr after N Nock steps (default: no limit)
  --timeout-ms N     Stop with %intr after N milliseconds (default: no limit)
  --max-chars N      Print at most N characters of the product (default: 100000; 0: all)
  --jet-check        Run every jet beside its Nock and compare; mismatches are printed
                     and make the exit status 1 (the Nock's product is used)
${profileHelp("the evaluation")}
${jetsHelp}`,
  positionals: oneArgument("FILE.jam"),
  check: ({ values, positionals }): NockArgs => ({
    path: positionals[0],
    stepLimit: integerOption("--steps", values.steps, 0),
    timeoutMs: integerOption("--timeout-ms", values["timeout-ms"], 0),
    maxChars: integerOption("--max-chars", values["max-chars"], 100_000),
    jetCheck: values["jet-check"] ?? false,
    jets: values.jets,
    profile: profileArgument(values.profile),
  }),
  run: runNock,
});

/** `cellar mug FILE.jam`. */
export const mugCommand: Command = defineCommand({
  name: "mug",
  summary: "Print the mug of a jammed noun",
  usage: "cellar mug FILE.jam",
  about: "Cue FILE.jam and print the mug (Urbit's 31-bit noun hash) of the noun in hexadecimal.",
  options: {},
  positionals: oneArgument("FILE.jam"),
  async run({ positionals }): Promise<number> {
    using noun = await cueFile(positionals[0]);
    console.log(`0x${noun.mug.toString(16)}`);
    return 0;
  },
});
