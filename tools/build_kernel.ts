/**
 * Build a Cellar kernel: compile its Hoon source with Urbit's compiler running on Cellar
 * (the ivory pill) and write the kernel jam, or check that a jam is exactly that build.
 *
 * ```
 * deno run --allow-read --allow-write --allow-ffi --allow-env=CELLAR_LIB \
 *   tools/build_kernel.ts [--pill P] [--out kernels/kv.jam] [--standalone | --stdlib] \
 *   [--check] [kernels/kv.hoon]
 * ```
 *
 * Defaults (relative to the repository root): the pill `../shared/corpus/pills/ivory.pill`,
 * the source `kernels/kv.hoon`, the output beside the source with the extension `.jam`, the
 * mode from the source (`standalone` when it begins with `=>  ~`; see `kernelModeOf`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildKernel, kernelModeOf } from "../src/hoon/kernel_build.ts";
import type { KernelMode } from "../src/hoon/kernel_build.ts";
import { bootKernel } from "../src/runtime/kernel.ts";
import { CueError, NockError, NounShapeError } from "../src/core/errors.ts";
import { ArgumentError } from "../src/core/errors.ts";

const root = new URL("../", import.meta.url);
const defaultPill = new URL("../shared/corpus/pills/ivory.pill", root);
const defaultSource = new URL("kernels/kv.hoon", root);

const help = `Usage: tools/build_kernel.ts [options] [SOURCE.hoon]

Compile a kernel written in Hoon (default: kernels/kv.hoon) with Urbit's Hoon compiler
running on Cellar, and write the kernel jam (default: the source's path with .jam).

Options:
  --pill P        The ivory pill (default: ../shared/corpus/pills/ivory.pill beside the repo)
  --out FILE      Where to write the kernel jam
  --standalone    Compile against ~: nothing of the standard library in scope or in the jam
                  (the default when the source begins with =>  ~)
  --stdlib        Compile against the ivory pill's standard library, which the jam carries
  --check         Write nothing: check that FILE (--out) is exactly this build
  -h, --help      Show this help`;

function fail(message: string): never {
  console.error(`build_kernel: ${message}`);
  Deno.exit(1);
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) fail(`Cannot read the ${what}: ${path} is absent`);
    fail(`Cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

function kib(bytes: number): string {
  return `${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`;
}

/** What to do, from the command line. */
interface Plan {
  pillPath: string;
  sourcePath: string;
  outPath: string;
  mode: KernelMode | undefined;
  check: boolean;
}

function parse(args: string[]): Plan | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        pill: { type: "string" },
        out: { type: "string" },
        standalone: { type: "boolean" },
        stdlib: { type: "boolean" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\nRun with --help for usage`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length > 1) fail(`Expected at most one SOURCE.hoon, got ${positionals.length}`);
  if (values.standalone && values.stdlib) fail("Expected --standalone or --stdlib, not both");
  const sourcePath = positionals[0] ?? decodeURIComponent(defaultSource.pathname);
  return {
    pillPath: values.pill ?? decodeURIComponent(defaultPill.pathname),
    sourcePath,
    outPath: values.out ?? sourcePath.replace(/\.hoon$/, "") + ".jam",
    mode: values.standalone ? "standalone" : values.stdlib ? "stdlib" : undefined,
    check: values.check ?? false,
  };
}

/** Build, turning the build's own errors into a message and exit status 1. */
function build(pill: Uint8Array, source: string, mode: KernelMode): Uint8Array {
  try {
    return buildKernel(pill, source, { mode });
  } catch (error) {
    if (error instanceof NockError) {
      error.traceNoun?.dispose();
      fail(`${error.message}\n  ${error.trace.join("\n  ")}`);
    }
    if (
      error instanceof ArgumentError || error instanceof CueError ||
      error instanceof NounShapeError
    ) {
      fail(error.message);
    }
    throw error;
  }
}

/** Compare the build with the jam at `path`; exit status 1 when they differ. */
function check(jam: Uint8Array, path: string): void {
  const committed = readBytes(path, "kernel jam to check");
  const same = committed.length === jam.length && committed.every((b, i) => b === jam[i]);
  if (!same) {
    fail(`${path} is not this build: ${kib(committed.length)} there, ${kib(jam.length)} built`);
  }
  console.log(`checked ${path}: the same ${kib(jam.length)} as the build`);
}

function main(args: string[]): void {
  const plan = parse(args);
  if (plan === undefined) return console.log(help);
  const pill = readBytes(plan.pillPath, "ivory pill (pass --pill)");
  const source = new TextDecoder("utf-8", { fatal: false }).decode(
    readBytes(plan.sourcePath, "kernel source"),
  );
  const mode = plan.mode ?? kernelModeOf(source);
  console.log(`pill    ${plan.pillPath}: ${kib(pill.length)}`);
  console.log(`source  ${plan.sourcePath}: ${kib(source.length)}, ${mode}`);

  const start = performance.now();
  const jam = build(pill, source, mode);
  console.log(`built   in ${(performance.now() - start).toFixed(0)} ms`);

  const bootStart = performance.now();
  bootKernel(jam).dispose();
  console.log(`boot    ${(performance.now() - bootStart).toFixed(0)} ms (cue + [9 2 0 1])`);

  if (plan.check) return check(jam, plan.outPath);
  try {
    Deno.writeFileSync(plan.outPath, jam);
  } catch (error) {
    fail(`Cannot write ${plan.outPath}: ${(error as Error).message}`);
  }
  console.log(`wrote   ${plan.outPath}: ${kib(jam.length)}`);
}

if (import.meta.main) main(Deno.args);
