/**
 * The CLI's `compile` subcommand: compile a kernel written in Hoon into the kernel jam a
 * runtime boots, with Urbit's Hoon compiler running on Cellar (the ivory pill).
 *
 * @module
 */

import { ArgumentError, CueError, NockError, NounShapeError } from "../core/errors.ts";
import { drainSlogs } from "../core/machine.ts";
import { buildKernel, kernelModeOf } from "../hoon/kernel_build.ts";
import type { KernelMode } from "../hoon/kernel_build.ts";
import { bootKernel } from "../runtime/kernel.ts";
import { runCompute, showProgressOn } from "../runtime/progress.ts";
import { Failure, readInput, UsageError } from "./_common.ts";
import { defineCommand, oneArgument } from "./_command.ts";
import { findPill } from "./_pill.ts";
import type { Command } from "./_command.ts";

interface CompileArgs {
  source: string;
  out: string;
  pill: string;
  mode: KernelMode | undefined;
  check: boolean;
}

function kib(bytes: number): string {
  return `${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`;
}

/** Build, turning the compiler's and the pill's errors into a one-line failure. */
function build(pill: Uint8Array, source: string, mode: KernelMode): Uint8Array {
  try {
    return buildKernel(pill, source, { mode });
  } catch (error) {
    if (error instanceof NockError) {
      error.traceNoun?.dispose();
      throw new Failure(`${error.message}\n  ${error.trace.join("\n  ")}`);
    }
    if (
      error instanceof ArgumentError || error instanceof CueError ||
      error instanceof NounShapeError
    ) {
      throw new Failure(error.message);
    }
    throw error;
  } finally {
    drainSlogs();
  }
}

/** Build, then boot the build once as a check: one computation, shown as such. */
function buildAndBoot(pill: Uint8Array, source: string, mode: KernelMode): Uint8Array {
  using _progress = showProgressOn();
  return runCompute(() => {
    const jam = build(pill, source, mode);
    bootKernel(jam).dispose();
    return jam;
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function runCompile(args: CompileArgs): Promise<number> {
  const pill = await readInput(args.pill);
  const source = new TextDecoder().decode(await readInput(args.source));
  const mode = args.mode ?? kernelModeOf(source);
  console.error(`compiling ${args.source} (${mode}) with ${args.pill}`);
  const start = performance.now();
  const jam = buildAndBoot(pill, source, mode);
  const ms = (performance.now() - start).toFixed(0);
  if (args.check) {
    const existing = await readInput(args.out);
    if (!sameBytes(existing, jam)) {
      throw new Failure(
        `${args.out} is not the build of ${args.source} (${kib(jam.length)} built)`,
      );
    }
    console.log(`${args.out}: the same ${kib(jam.length)} as the build (${ms} ms)`);
    return 0;
  }
  const temp = `${args.out}.tmp-${Deno.pid}`;
  Deno.writeFileSync(temp, jam);
  Deno.renameSync(temp, args.out);
  console.log(`wrote ${args.out}: ${kib(jam.length)} (${ms} ms)`);
  return 0;
}

/** `cellar compile FILE.hoon -o FILE.jam`. */
export const compileCommand: Command = defineCommand({
  name: "compile",
  summary: "Compile a kernel written in Hoon into a kernel jam (ivory pill)",
  usage: "cellar compile [--pill FILE] [-o FILE.jam] [--standalone | --stdlib] [--check] FILE.hoon",
  about: `Compile FILE.hoon (one Hoon expression producing the kernel core: arms load, peek and poke
at axes 4, 22 and 23; see docs/KERNELS.md) with Urbit's Hoon compiler running on Cellar,
boot the result once as a check, and write the kernel jam. A source that begins with
'=>  ~' is standalone: compiled against ~, its jam carries nothing but its own code (the
default kernel is built so); any other is compiled against the pill's standard library,
whose compiled form its jam then carries. A compile error prints the compiler's trace.`,
  options: {
    pill: { type: "string" },
    out: { type: "string", short: "o" },
    standalone: { type: "boolean" },
    stdlib: { type: "boolean" },
    check: { type: "boolean" },
  },
  optionHelp: `  --pill FILE        Urbit's ivory pill (default: $CELLAR_IVORY_PILL, else
                     ../shared/corpus/pills/ivory.pill beside the checkout, as for build)
  -o, --out FILE     Where to write the jam (default: FILE.hoon with the extension .jam)
  --standalone       Compile against ~ (the default when the source begins with '=>  ~')
  --stdlib           Compile against the pill's standard library
  --check            Write nothing: check that the jam at --out is exactly this build`,
  positionals: oneArgument("FILE.hoon"),
  check({ values, positionals }): CompileArgs {
    const tried: string[] = [];
    const pill = values.pill ?? findPill(tried);
    if (pill === null) {
      throw new UsageError(`Missing --pill FILE: no ivory pill at ${tried.join(" or ")}`);
    }
    if (values.standalone && values.stdlib) {
      throw new UsageError("Give --standalone or --stdlib, not both");
    }
    const source = positionals[0];
    return {
      source,
      out: values.out ?? source.replace(/\.hoon$/, "") + ".jam",
      pill,
      mode: values.standalone ? "standalone" : values.stdlib ? "stdlib" : undefined,
      check: values.check ?? false,
    };
  },
  run: runCompile,
});
