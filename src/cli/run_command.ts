/**
 * `cellar run KERNEL.jam`: a NockApp-style host. It boots a data directory (a temporary one
 * unless `--data`), from `--state` if given, starts the drivers (file, exit, markdown,
 * timer), sends the `--poke` causes in order, and runs until the kernel's `[%exit code]`,
 * a signal, or until nothing is left to do (no poke queued, no wake-up or interval pending).
 *
 * @module
 */

import { checkNounJson, nounFromJson, parseNounJson } from "../core/json.ts";
import type { Json } from "../core/json.ts";
import { NockError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import { DriverHost } from "../drivers/host.ts";
import type { Driver } from "../drivers/driver.ts";
import { exitDriver } from "../drivers/exit.ts";
import { fileDriver } from "../drivers/file.ts";
import { httpDriver } from "../drivers/http.ts";
import { markdownDriver } from "../drivers/markdown.ts";
import { timerDriver } from "../drivers/timer.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { wireNoun } from "../runtime/wire.ts";
import { Failure, readInput, UsageError } from "./_common.ts";
import { defineCommand, oneArgument } from "./_command.ts";
import type { Command, Input } from "./_command.ts";
import { openRuntime } from "./_data.ts";
import { jetsHelp, jetsOption, readJets } from "./_jets.ts";
import {
  finishProfile,
  profileArgument,
  profileHelp,
  profileOption,
  startProfile,
} from "./_profile.ts";
import { wireArgument, wireOption } from "./runtime_commands.ts";

const runOptions = {
  data: { type: "string" },
  state: { type: "string" },
  force: { type: "boolean" },
  poke: { type: "string", multiple: true },
  "poke-file": { type: "string", multiple: true },
  wire: { type: "string", multiple: true },
  files: { type: "string" },
  timer: { type: "string" },
  "timer-poke": { type: "string" },
  "http-kernel": { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  mount: { type: "string" },
  "http-timeout-ms": { type: "string" },
  "http-cache-mib": { type: "string" },
  ...profileOption,
  ...jetsOption,
} as const;

/** The checked arguments of `cellar run`. */
interface RunArgs {
  kernelPath: string;
  dataDir: string | null;
  state: string | null;
  force: boolean;
  /** `--jets FILE`. */
  jets: string | undefined;
  /** `--profile OUT`: profile every event of the run; null: no profile. */
  profile: string | null;
  /** The --poke causes (JSON), then the --poke-file paths, in order. */
  pokes: ({ json: Json } | { file: string })[];
  /** No wire, one for every poke, or one per poke. */
  wires: (string | { json: Json })[];
  files: string | null;
  timer: { seconds: number; cause: Json } | null;
  /** Serve HTTP through the kernel (`--http-kernel`). */
  http: {
    hostname: string;
    port: number;
    mount: string;
    timeoutMs: number;
    cacheBytes: number | undefined;
  } | null;
}

function jsonNoun(text: string, what: string): Json {
  try {
    const json = parseNounJson(text);
    checkNounJson(json);
    return json;
  } catch (error) {
    throw new UsageError(`Bad ${what}: ${error instanceof Error ? error.message : error}`);
  }
}

function checkRun({ values, positionals }: Input<typeof runOptions>): RunArgs {
  const pokes = [
    ...(values.poke ?? []).map((p) => ({ json: jsonNoun(p, "--poke noun") })),
    ...(values["poke-file"] ?? []).map((file) => ({ file })),
  ];
  const wires = (values.wire ?? []).map(wireOption);
  if (wires.length > 1 && wires.length !== pokes.length) {
    throw new UsageError(
      `Give one --wire for all the pokes or one per poke: ${wires.length} wires, ${pokes.length} pokes`,
    );
  }
  if (values.force && values.state === undefined) {
    throw new UsageError("--force applies to --state FILE only");
  }
  let timer: RunArgs["timer"] = null;
  if (values.timer !== undefined) {
    const seconds = Number(values.timer);
    if (!(seconds > 0 && seconds <= 86_400)) {
      throw new UsageError(
        `Bad --timer '${values.timer}': expected seconds, above 0 and at most 86400`,
      );
    }
    const cause = values["timer-poke"] === undefined
      ? ["timer", 0]
      : jsonNoun(values["timer-poke"], "--timer-poke noun");
    timer = { seconds, cause };
  } else if (values["timer-poke"] !== undefined) {
    throw new UsageError("--timer-poke applies to --timer SECONDS only");
  }
  return {
    http: httpArgs(values),
    kernelPath: positionals[0],
    dataDir: values.data ?? null,
    state: values.state ?? null,
    force: values.force ?? false,
    jets: values.jets,
    profile: profileArgument(values.profile),
    pokes,
    wires,
    files: values.files ?? null,
    timer,
  };
}

function httpArgs(values: Input<typeof runOptions>["values"]): RunArgs["http"] {
  if (!values["http-kernel"]) {
    for (const flag of ["host", "port", "mount", "http-timeout-ms", "http-cache-mib"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} applies to --http-kernel only`);
      }
    }
    return null;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "8080") || port > 65535) {
    throw new UsageError(`Bad --port '${values.port}': expected a port number from 0 to 65535`);
  }
  const mount = values.mount ?? "";
  if (mount !== "" && !/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(mount)) {
    throw new UsageError(`Bad --mount '${mount}': expected a path such as /app`);
  }
  const timeoutMs = Number(values["http-timeout-ms"] ?? "30000");
  if (!/^\d+$/.test(values["http-timeout-ms"] ?? "30000") || timeoutMs < 1) {
    throw new UsageError(
      `Bad --http-timeout-ms '${values["http-timeout-ms"]}': expected ms above 0`,
    );
  }
  return {
    hostname: values.host ?? "127.0.0.1",
    port,
    mount: mount.replace(/\/$/, ""),
    timeoutMs,
    cacheBytes: cacheMib(values["http-cache-mib"]),
  };
}

/** `--http-cache-mib N` in bytes; undefined (the default) when not given. */
function cacheMib(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mib = Number(value);
  if (!/^\d+$/.test(value) || mib > 1 << 20) {
    throw new UsageError(`Bad --http-cache-mib '${value}': expected MiB from 0 to 1048576`);
  }
  return mib * 1024 * 1024;
}

/** The cause of a poke: a JSON noun, or a file (JSON when it reads as one, else a jam). */
async function causeOf(poke: RunArgs["pokes"][number]): Promise<Noun> {
  if ("json" in poke) return nounFromJson(poke.json);
  const bytes = await readInput(poke.file);
  try {
    const json = parseNounJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    checkNounJson(json);
    return nounFromJson(json);
  } catch {
    // Not a JSON noun: a jam.
  }
  try {
    return Noun.cue(bytes);
  } catch (error) {
    throw new Failure(
      `${poke.file} is neither a JSON noun nor a jam: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

function drivers(args: RunArgs, dataDir: string): Driver[] {
  const list: Driver[] = [exitDriver(), markdownDriver()];
  if (args.files !== null) list.push(fileDriver({ root: args.files }));
  if (args.http !== null) {
    list.push(httpDriver({
      ...args.http,
      onListen: (url) => console.error(`cellar run: serving the kernel at ${url}`),
    }));
  }
  list.push(timerDriver({
    storePath: `${dataDir}/timers.sqlite`,
    interval: args.timer === null
      ? undefined
      : { seconds: args.timer.seconds, cause: nounFromJson(args.timer.cause) },
  }));
  return list;
}

/** Send the pokes in order; the exit code of a rejected one (1), else null. */
async function sendPokes(host: DriverHost, args: RunArgs): Promise<number | null> {
  for (let i = 0; i < args.pokes.length && host.exitCode === null; i++) {
    using cause = await causeOf(args.pokes[i]);
    const given = args.wires.length === 0
      ? undefined
      : args.wires[Math.min(i, args.wires.length - 1)];
    const wire = given === undefined ? undefined : wireArgument(given);
    try {
      const r = await host.poke(cause, typeof wire === "string" ? wireNoun(wire) : wire);
      console.error(`cellar run: poke ${i + 1}: event ${r.eventNumber}`);
    } catch (error) {
      if (host.exitCode !== null) break;
      reportRejected(i + 1, error);
      return 1;
    } finally {
      if (wire instanceof Noun) wire.dispose();
    }
  }
  return null;
}

function reportRejected(n: number, error: unknown): void {
  if (!(error instanceof NockError)) throw error;
  console.error(`cellar run: the kernel rejected poke ${n}: ${error.message}`);
  for (const line of error.trace) console.error(`  ${line}`);
}

/** Wait for an exit, a signal, or for nothing left to do; the exit code. */
async function runUntilDone(host: DriverHost): Promise<number> {
  const signalled = Promise.withResolvers<number>();
  const onInt = () => signalled.resolve(130);
  const onTerm = () => signalled.resolve(143);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 100)));
      const code = await Promise.race([host.exited, signalled.promise, tick]);
      clearTimeout(timer);
      if (code !== null) return code;
      await host.idle();
      if (host.exitCode !== null) return host.exitCode;
      if (!host.pending) return 0;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

async function run(args: RunArgs): Promise<number> {
  const jets = await readJets(args.jets);
  const kernel = await readInput(args.kernelPath);
  const state = args.state === null
    ? undefined
    : { state: await readInput(args.state), source: args.state, force: args.force };
  const temporary = args.dataDir === null;
  const dataDir = args.dataDir ?? Deno.makeTempDirSync({ prefix: "cellar-run-" });
  try {
    const host = new DriverHost(drivers(args, dataDir));
    let runtime: Runtime;
    try {
      runtime = await openRuntime(dataDir, {
        kernel,
        jets,
        state,
        create: true,
        label: "run replay",
        onComputed: host.onComputed,
      });
    } catch (error) {
      await host.stop();
      throw error;
    }
    using profile = startProfile(args.profile);
    try {
      await host.start(runtime);
      console.error(
        `cellar run: ${temporary ? "temporary data directory" : "data directory"} ${dataDir}, ` +
          `event ${runtime.eventNumber} (${runtime.bootReport.detail})`,
      );
      const rejected = await sendPokes(host, args);
      return rejected ?? await runUntilDone(host);
    } finally {
      await host.stop();
      try {
        finishProfile(profile, args.profile, `cellar run ${args.kernelPath}`);
      } finally {
        runtime.close();
      }
    }
  } finally {
    if (temporary) Deno.removeSync(dataDir, { recursive: true });
  }
}

/** `cellar run KERNEL.jam`. */
export const runCommand: Command = defineCommand({
  name: "run",
  summary: "Run a NockApp kernel with its drivers: pokes in, effects carried out",
  usage:
    "cellar run KERNEL.jam [--data DIR] [--state FILE [--force]] [--poke NOUN]... [--poke-file FILE]... [--wire WIRE]... [--files DIR] [--timer SECONDS [--timer-poke NOUN]] [--http-kernel [--host H] [--port P] [--mount PREFIX] [--http-timeout-ms N] [--http-cache-mib N]] [--profile OUT]",
  about: `Run a NockApp kernel the way NockApp does: boot it into --data DIR (default: a temporary
directory, removed at exit), from the state in --state FILE if given (as 'cellar boot
--state'), start the drivers, send each --poke cause in order (JSON nouns, then each
--poke-file: a JSON noun, or else a jam), and carry out the effects of every event in order,
after it is committed: files under --files DIR (parent folders are created; paths outside it
or through a symlink are refused), [%markdown text] printed to stdout, [%timer %wait @da]
wake-ups, and [%exit code], which ends the run with that code once the effects before it are
done. With --http-kernel, HTTP requests are poked as [%req id uri method headers body] and
answered by the kernel's [%res id status headers body] (see docs/KERNELS.md). Without an exit,
the run ends when nothing is left to do: no poke queued, no wake-up pending, no --timer, no
--http-kernel. SIGINT and SIGTERM stop it cleanly (exit 130, 143); a poke the kernel
rejects ends it with 1. Progress goes to stderr; stdout is the kernel's.`,
  options: runOptions,
  optionHelp: `  --data DIR         The data directory (default: a temporary one, removed at exit)
  --state FILE       Boot a new data directory from this state (a jam or an EXPJAM)
  --force            Boot an EXPJAM state that another kernel exported
  --poke NOUN        A cause, as a JSON noun (repeatable; sent in order)
  --poke-file FILE   A cause in a file: a JSON noun or a jam (repeatable; after the --poke ones)
  --wire WIRE        The wire: once for every poke, or once per poke (a path or a JSON noun)
  --files DIR        Grant the file driver this directory (created when absent)
  --timer SECONDS    NockApp's interval timer: poke [%timer ~] every SECONDS
  --timer-poke NOUN  The interval's cause instead of [%timer ~]
  --http-kernel      Serve HTTP through the kernel (NockApp's [%req …] / [%res …])
  --host HOST        With --http-kernel: the address (default 127.0.0.1)
  --port P           With --http-kernel: the port (default 8080)
  --mount PREFIX     With --http-kernel: serve under PREFIX (stripped from the uri)
  --http-timeout-ms N  With --http-kernel: answer 504 after N ms without the kernel's answer
                     (default 30000)
  --http-cache-mib N With --http-kernel: the kernel's cached (%cache) responses hold at most
                     N MiB, least recently used dropped first (default 64; 0: none)
${profileHelp("every event of the run")}
${jetsHelp}`,
  positionals: oneArgument("KERNEL.jam"),
  check: checkRun,
  run,
});
