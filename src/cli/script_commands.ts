/**
 * The commands that only the `./cellar` script runs: it fetches the toolchains, builds the
 * library and the default kernel, and runs the tests, the benchmarks, the checks and the
 * server under the permissions each needs. They are in the command table for the help.
 *
 * @module
 */

import { scriptCommand } from "./_command.ts";
import type { Command } from "./_command.ts";

/** `./cellar test`. */
export const testCommand: Command = scriptCommand({
  name: "test",
  summary: "Run the whole test suite (Zig unit tests, then deno tests)",
  usage: "./cellar test [deno test arguments]",
  about: `Build the library and the default kernel when they are out of date, then run the Zig unit
tests (zig build test) and the deno suite (deno task test:deno, with the arguments given);
ends with one line 'tests: N passed, N failed, N skipped'. Tests that need the default
kernel are skipped when it cannot be built.`,
});

/** `./cellar bench`. */
export const benchCommand: Command = scriptCommand({
  name: "bench",
  summary: "Run every benchmark; results go to bench/results/",
  usage: "./cellar bench [--save] [--filter TEXT]",
  about: `Build the library and the default kernel when they are out of date, then run every case
in bench/*_bench.ts, print the medians and write bench/results/latest.json.
  --save             Also store the run as bench/results/baseline.json
  --filter TEXT      Run only the cases whose name contains TEXT
Compare two runs with 'deno run --allow-read bench/compare.ts [BASELINE] [CURRENT]'.`,
});

/** `./cellar serve`. */
export const serveCommand: Command = scriptCommand({
  name: "serve",
  summary: "Run the HTTP server (started with ./cellar serve)",
  usage: "./cellar serve [options]",
  about: `Run the HTTP server on a data directory. The server is started by the ./cellar script,
which runs it directly under its own permission set (the data directory, the library and
the listen address only); see './cellar serve --help' for its options.`,
});

/** `./cellar build`. */
export const buildCommand: Command = scriptCommand({
  name: "build",
  summary: "Rebuild the native library; check the default kernel against its source",
  usage: "./cellar build",
  about: `Rebuild the native library (zig build, ReleaseFast: zig-out/lib/libcellar.so, and the
tripwire library for the crash tests). The default kernel kernels/kv.jam is committed; when
Urbit's ivory pill is at hand ($CELLAR_IVORY_PILL, default ../shared/corpus/pills/ivory.pill),
build also checks that it is exactly the build of kernels/kv.hoon.
Other commands rebuild the library by themselves when its sources change.`,
});

/** `./cellar check`. */
export const checkCommand: Command = scriptCommand({
  name: "check",
  summary: "Formatting, lint and type checks (deno fmt/lint/check, zig fmt)",
  usage: "./cellar check",
  about: `Run deno task check: deno fmt --check, deno lint, deno check, the import layering of src/
(tools/check_imports.ts) and zig fmt --check. Changes nothing.`,
});

/** `./cellar tools`. */
export const toolsCommand: Command = scriptCommand({
  name: "tools",
  summary: "Fetch the pinned toolchains into .tools/ and print their versions",
  usage: "./cellar tools",
  about: `Fetch the pinned Zig and Deno into .tools/ when they are missing (with python3's pip), and
print their versions. Every other command of ./cellar does this first too.`,
});
