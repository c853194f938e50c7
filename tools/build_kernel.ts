/**
 * Build a Cellar kernel: compile its Hoon source with Urbit's compiler running on Cellar
 * (the ivory pill) and write the kernel jam.
 *
 * ```
 * deno run --allow-read --allow-write --allow-ffi --allow-env=CELLAR_LIB \
 *   tools/build_kernel.ts [--pill P] [--out kernels/kv.jam] [kernels/kv.hoon]
 * ```
 *
 * Defaults (relative to the repository root): the pill `../shared/corpus/pills/ivory.pill`,
 * the source `kernels/kv.hoon`, the output beside the source with the extension `.jam`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import { bootKernel } from "../src/runtime/kernel.ts";
import { CueError, NockError, NounShapeError } from "../src/core/errors.ts";
import { ArgumentError } from "../src/core/errors.ts";

const root = new URL("../", import.meta.url);
const defaultPill = new URL("../shared/corpus/pills/ivory.pill", root);
const defaultSource = new URL("kernels/kv.hoon", root);

const help = `Usage: tools/build_kernel.ts [--pill P] [--out FILE.jam] [SOURCE.hoon]

Compile a kernel written in Hoon (default: kernels/kv.hoon) with Urbit's Hoon compiler
running on Cellar, and write the kernel jam (default: the source's path with .jam).

Options:
  --pill P      The ivory pill (default: ../shared/corpus/pills/ivory.pill beside the repo)
  --out FILE    Where to write the kernel jam
  -h, --help    Show this help`;

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

function main(args: string[]): void {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        pill: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\nRun with --help for usage`);
  }
  if (parsed.values.help) {
    console.log(help);
    return;
  }
  if (parsed.positionals.length > 1) {
    fail(`Expected at most one SOURCE.hoon, got ${parsed.positionals.length}`);
  }
  const pillPath = parsed.values.pill ?? decodeURIComponent(defaultPill.pathname);
  const sourcePath = parsed.positionals[0] ?? decodeURIComponent(defaultSource.pathname);
  const outPath = parsed.values.out ?? sourcePath.replace(/\.hoon$/, "") + ".jam";

  const pill = readBytes(pillPath, "ivory pill (pass --pill)");
  const source = new TextDecoder("utf-8", { fatal: false }).decode(
    readBytes(sourcePath, "kernel source"),
  );
  console.log(`pill    ${pillPath}: ${kib(pill.length)}`);
  console.log(`source  ${sourcePath}: ${kib(source.length)}`);

  let jam: Uint8Array;
  const start = performance.now();
  try {
    jam = buildKernel(pill, source);
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
  console.log(`built   in ${(performance.now() - start).toFixed(0)} ms`);

  const bootStart = performance.now();
  bootKernel(jam).dispose();
  console.log(`boot    ${(performance.now() - bootStart).toFixed(0)} ms (cue + [9 2 0 1])`);

  try {
    Deno.writeFileSync(outPath, jam);
  } catch (error) {
    fail(`Cannot write ${outPath}: ${(error as Error).message}`);
  }
  console.log(`wrote   ${outPath}: ${kib(jam.length)}`);
}

if (import.meta.main) main(Deno.args);
