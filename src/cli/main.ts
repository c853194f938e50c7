/**
 * The `cellar` command line. Each subcommand group lives in its own module under `cli/`;
 * this file dispatches to them and turns errors into messages and exit codes
 * (0 success, 1 failure, 2 usage error).
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-ffi --allow-env=CELLAR_LIB src/cli/main.ts nock program.jam
 * ```
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { Failure, UsageError } from "./_common.ts";
import type { Command } from "./_common.ts";
import { mugCommand, nockCommand } from "./noun_commands.ts";
import { hoonCommand } from "./hoon_command.ts";
import {
  bootCommand,
  gcCommand,
  peekCommand,
  pokeCommand,
  serveCommand,
  snapshotCommand,
  statusCommand,
  verifyCommand,
} from "./runtime_commands.ts";
import { exportCommand, importCommand } from "./log_commands.ts";
import { tokenCommand } from "./token_command.ts";

/** Subcommands by name, in the order the help lists them. */
const commands: ReadonlyMap<string, Command> = new Map([
  ["serve", serveCommand],
  ["boot", bootCommand],
  ["poke", pokeCommand],
  ["peek", peekCommand],
  ["status", statusCommand],
  ["snapshot", snapshotCommand],
  ["gc", gcCommand],
  ["verify", verifyCommand],
  ["export", exportCommand],
  ["import", importCommand],
  ["token", tokenCommand],
  ["nock", nockCommand],
  ["mug", mugCommand],
  ["hoon", hoonCommand],
]);

function topHelp(): string {
  const width = Math.max(...[...commands.keys()].map((name) => name.length)) + 2;
  const lines = [...commands].map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return [
    "Usage: cellar <command> [options] [arguments]",
    "",
    "Commands:",
    ...lines,
    "",
    "Commands on a data directory take --data DIR (default: 'data' in the current directory).",
    "Run 'cellar <command> --help' for a command's options.",
  ].join("\n");
}

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
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "-h" || name === "--help") {
    console.log(topHelp());
    return 0;
  }
  if (name === "help") return main(rest.length > 0 ? [rest[0], "--help"] : []);
  const command = commands.get(name);
  if (command === undefined) {
    const what = name.startsWith("-") ? "option" : "command";
    console.error(`cellar: Unknown ${what}: ${name}\nRun 'cellar --help' for the commands.`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`cellar ${name}: ${error.message}\nRun 'cellar ${name} --help' for usage.`);
      return 2;
    }
    if (error instanceof Failure || error instanceof CellarError) {
      console.error(`cellar ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      console.error(`cellar ${name}: permission denied: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
