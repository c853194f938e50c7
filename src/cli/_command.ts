/**
 * The CLI's command table: every command is declared once, as a {@linkcode CommandSpec}
 * (name, summary, usage and help text, parseArgs options, positional arity, how it uses a
 * data directory, its argument checks and `run`), and one dispatcher does the rest for all
 * of them. It parses strictly, answers `--help` without running anything, checks the
 * positionals and the command's own argument rules, resolves `--data` (and requires an
 * existing data directory where the command needs one), runs the command, and turns errors
 * into one-line messages and exit codes: 0 success, 1 failure, 2 usage error.
 *
 * @module
 */

import type { parseArgs } from "node:util";
import { CellarError } from "../core/errors.ts";
import { Failure, parse, UsageError } from "./_common.ts";
import type { OptionSpec } from "./_common.ts";
import { dataDirOf, dataHelp, dataOption, requireDataDir } from "./_data.ts";

/** The `-h, --help` option every command has. */
const helpOption = { help: { type: "boolean", short: "h" } } as const;

/** The help line of `-h, --help`. */
const helpLine = "  -h, --help         Show this help";

type Parsed<O extends OptionSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** The parsed arguments of a command, as its `check` (or, without one, its `run`) gets them. */
export interface Input<O extends OptionSpec> {
  /** The values of the command's own options. */
  values: Parsed<O>["values"];
  /** The positional arguments, already checked against the command's arity. */
  positionals: string[];
}

/** How many positional arguments a command takes; `name` is used in the error messages. */
export interface Arity {
  /** What one argument is, e.g. `FILE.jam`. */
  name: string;
  /** The fewest arguments. */
  min: number;
  /** The most arguments (`Infinity`: no limit). */
  max: number;
}

/** No positional arguments. */
export const noArguments: Arity = { name: "", min: 0, max: 0 };

/** Exactly one positional argument, described as `name`. */
export function oneArgument(name: string): Arity {
  return { name, min: 1, max: 1 };
}

/**
 * How a command uses the data directory named by `--data` (default: `data/` in the checkout):
 * - `read`: an existing one, only read (through read-only mappings: it works while the
 *   server runs);
 * - `write`: an existing one, changed (it takes the writer lock, or writes its files);
 * - `create`: one that the command may create (it need not exist yet).
 *
 * A command with `data` gets the `--data` option and its help line; for `read` and `write`
 * the dispatcher checks that the directory exists after the arguments are checked.
 */
export type DataAccess = "read" | "write" | "create";

/** One command of the table. `A` is what `check` makes of the parsed arguments. */
export interface CommandSpec<O extends OptionSpec, A> {
  /** The command's name, as typed after `cellar`. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The usage line(s), without `Usage: `. */
  usage: string | readonly string[];
  /** The help's paragraphs between the usage and the options. */
  about: string;
  /** The command's options (parseArgs definitions); `--data` and `--help` are added. */
  options: O;
  /** The help lines of `options` (`--data` and `--help` are added around them). */
  optionHelp?: string;
  /** How many positional arguments it takes. */
  positionals: Arity;
  /** Whether it works on a data directory, and how. */
  data?: DataAccess;
  /**
   * Further argument rules (throw a {@linkcode UsageError}): runs before anything is read
   * or written, and turns the parsed arguments into what `run` takes.
   */
  check?(input: Input<O>): A;
  /**
   * Run with the checked arguments and the data directory (`""` for a command without
   * `data`); returns the exit code.
   */
  run(args: A, dataDir: string): number | Promise<number>;
}

/** A command of the table, ready to be dispatched. */
export interface Command {
  /** Its name. */
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The whole `--help` text. */
  readonly help: string;
  /** Whether only the `./cellar` script runs it (this entry point only shows its help). */
  readonly script: boolean;
  /** Parse, check and run the arguments after the command's name; resolves to the exit code. */
  invoke(args: string[]): Promise<number>;
}

function usageLines(usage: string | readonly string[]): string {
  return (typeof usage === "string" ? [usage] : usage).join("\n       ");
}

function renderHelp<O extends OptionSpec, A>(spec: CommandSpec<O, A>): string {
  const options = [
    ...(spec.data === undefined ? [] : [dataHelp]),
    ...(spec.optionHelp === undefined ? [] : [spec.optionHelp]),
    helpLine,
  ];
  return `Usage: ${usageLines(spec.usage)}\n\n${spec.about}\n\nOptions:\n${options.join("\n")}`;
}

function checkArity(arity: Arity, positionals: string[]): void {
  const n = positionals.length;
  if (n >= arity.min && n <= arity.max) return;
  if (arity.min === arity.max && arity.max > 0) {
    const count = arity.min === 1 ? "one" : String(arity.min);
    const plural = arity.min === 1 ? "" : "s";
    throw new UsageError(`Expected ${count} ${arity.name} argument${plural}, got ${n}`);
  }
  if (n > arity.max) throw new UsageError(`Unexpected argument: ${positionals[arity.max]}`);
  throw new UsageError(`Expected at least ${arity.min} ${arity.name} arguments, got ${n}`);
}

/**
 * A command of the table from its declaration.
 *
 * @example
 * ```ts
 * import { defineCommand, oneArgument } from "./_command.ts";
 * const echo = defineCommand({
 *   name: "echo",
 *   summary: "Print a word",
 *   usage: "cellar echo WORD",
 *   about: "Print WORD.",
 *   options: {},
 *   positionals: oneArgument("WORD"),
 *   run: ({ positionals }) => {
 *     console.log(positionals[0]);
 *     return 0;
 *   },
 * });
 * console.log(await echo.invoke(["hello"])); // prints hello, then 0
 * ```
 */
export function defineCommand<O extends OptionSpec, A = Input<O>>(
  spec: CommandSpec<O, A>,
): Command {
  const help = renderHelp(spec);
  const options = {
    ...spec.options,
    ...(spec.data === undefined ? {} : dataOption),
    ...helpOption,
  };
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    script: false,
    async invoke(args: string[]): Promise<number> {
      const { values, positionals } = parse(args, options);
      const common = values as { help?: boolean; data?: string };
      if (common.help) {
        console.log(help);
        return 0;
      }
      checkArity(spec.positionals, positionals);
      const input = { values, positionals } as Input<O>;
      const checked = spec.check === undefined ? input as A : spec.check(input);
      const dir = spec.data === undefined ? "" : dataDirOf(common);
      if (spec.data === "read" || spec.data === "write") requireDataDir(dir);
      return await spec.run(checked, dir);
    },
  };
}

/** A command that only the `./cellar` script runs: here it has a help and a summary. */
export interface ScriptCommandSpec {
  /** The command's name. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The usage line, without `Usage: `. */
  usage: string;
  /** The help's paragraphs after the usage. */
  about: string;
}

/**
 * A command of the table that the `./cellar` script runs itself (it fetches toolchains,
 * builds, or runs the server under its own permissions): this entry point shows its help,
 * and otherwise fails with a pointer to the script.
 *
 * @example
 * ```ts
 * import { scriptCommand } from "./_command.ts";
 * const build = scriptCommand({
 *   name: "build",
 *   summary: "Rebuild the native library",
 *   usage: "./cellar build",
 *   about: "Rebuild zig-out/lib/libcellar.so.",
 * });
 * console.log(await build.invoke(["--help"])); // prints the help, then 0
 * ```
 */
export function scriptCommand(spec: ScriptCommandSpec): Command {
  const help = `Usage: ${spec.usage}\n\n${spec.about}`;
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    script: true,
    invoke(args: string[]): Promise<number> {
      const end = args.indexOf("--");
      const options = end < 0 ? args : args.slice(0, end);
      if (options.includes("--help") || options.includes("-h")) {
        console.log(help);
        return Promise.resolve(0);
      }
      throw new Failure(
        `'${spec.name}' is run by the ./cellar script, not through this entry point: ` +
          `use './cellar ${spec.name}'`,
      );
    },
  };
}

/**
 * The top-level help, generated from the table.
 *
 * @example
 * ```ts
 * import { topHelp } from "./_command.ts";
 * console.log(topHelp([]).split("\n")[0]); // Usage: cellar <command> [options] [arguments]
 * ```
 */
export function topHelp(table: readonly Command[]): string {
  const width = Math.max(0, ...table.map((command) => command.name.length)) + 2;
  const lines = table.map((command) => `  ${command.name.padEnd(width)}${command.summary}`);
  const scripted = table.filter((command) => command.script).map((command) => command.name);
  const notes = [
    "Commands on a data directory take --data DIR (default: 'data' in the Cellar checkout).",
    ...(scripted.length === 0 ? [] : [
      `Only the ./cellar script runs ${listing(scripted)}; it also fetches the pinned ` +
      "toolchains into .tools/ on first use, and builds the library and the default kernel.",
    ]),
    "Run 'cellar <command> --help' for a command's options.",
  ];
  return [
    "Usage: cellar <command> [options] [arguments]",
    "",
    "Commands:",
    ...lines,
    "",
    ...notes.flatMap((note) => wrap(note, 90)),
  ].join("\n");
}

/** `a, b and c`. */
function listing(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** Break a text into lines of at most `width` characters (at spaces). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length === 0 ? word : `${line} ${word}`;
    }
  }
  return line.length === 0 ? lines : [...lines, line];
}

/** A message on one line: line breaks and the indentation after them become one space. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ");
}

/** Report an error of command `name` on stderr; returns the exit code (rethrows a bug). */
function report(name: string, error: unknown): number {
  if (error instanceof UsageError) {
    console.error(
      `cellar ${name}: ${oneLine(error.message)} (run 'cellar ${name} --help' for usage)`,
    );
    return 2;
  }
  if (error instanceof Failure || error instanceof CellarError) {
    console.error(`cellar ${name}: ${error.message}`);
    return 1;
  }
  if (error instanceof Deno.errors.NotFound) {
    console.error(`cellar ${name}: not found: ${oneLine(error.message)}`);
    return 1;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    console.error(`cellar ${name}: permission denied: ${oneLine(error.message)}`);
    return 1;
  }
  throw error;
}

/**
 * Run the command that `args` names from the table; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { dispatch } from "./_command.ts";
 * console.log(await dispatch([], ["--help"])); // prints the top-level help, then 0
 * ```
 */
export async function dispatch(table: readonly Command[], args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "-h" || name === "--help") {
    console.log(topHelp(table));
    return 0;
  }
  if (name === "help") return dispatch(table, rest.length > 0 ? [rest[0], "--help"] : []);
  const command = table.find((c) => c.name === name);
  if (command === undefined) {
    const what = name.startsWith("-") ? "option" : "command";
    console.error(`cellar: Unknown ${what}: ${name} (run 'cellar --help' for the commands)`);
    return 2;
  }
  try {
    return await command.invoke(rest);
  } catch (error) {
    return report(name, error);
  }
}
