/**
 * The `cellar` command line: the command table. Each command is declared once (see
 * `_command.ts`) in the module of its group; this file lists them in the order of the help,
 * and the dispatcher parses, answers `--help`, checks the arguments, runs the command and
 * turns errors into one-line messages and exit codes (0 success, 1 failure, 2 usage error).
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-ffi --allow-env=CELLAR_LIB src/cli/main.ts nock program.jam
 * ```
 *
 * @module
 */

import { dispatch } from "./_command.ts";
import type { Command } from "./_command.ts";
import { mugCommand, nockCommand } from "./noun_commands.ts";
import { hoonCommand } from "./hoon_command.ts";
import { jetsCommand } from "./jets_command.ts";
import { compileCommand } from "./compile_command.ts";
import {
  bootCommand,
  gcCommand,
  peekCommand,
  pokeCommand,
  snapshotCommand,
  statusCommand,
} from "./runtime_commands.ts";
import { runCommand } from "./run_command.ts";
import { verifyCommand } from "./verify_command.ts";
import { recoverCommand } from "./recover_command.ts";
import { exportCommand, importCommand } from "./log_commands.ts";
import { tokenCommand } from "./token_command.ts";
import { clusterCommand } from "./cluster_command.ts";
import {
  benchCommand,
  buildCommand,
  checkCommand,
  serveCommand,
  testCommand,
  toolsCommand,
} from "./script_commands.ts";

/** Every command, in the order the help lists them. */
export const commands: readonly Command[] = [
  testCommand,
  benchCommand,
  serveCommand,
  bootCommand,
  runCommand,
  pokeCommand,
  peekCommand,
  statusCommand,
  snapshotCommand,
  gcCommand,
  verifyCommand,
  recoverCommand,
  exportCommand,
  importCommand,
  tokenCommand,
  clusterCommand,
  nockCommand,
  mugCommand,
  hoonCommand,
  jetsCommand,
  compileCommand,
  buildCommand,
  checkCommand,
  toolsCommand,
];

/**
 * Run the CLI with these arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * const code = await main(["--help"]);
 * console.log(code); // 0
 * ```
 */
export function main(args: string[]): Promise<number> {
  return dispatch(commands, args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
