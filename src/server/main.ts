/**
 * The `cellar serve` command: parse the flags (a bad one is one line on stderr and exit 2),
 * print help or the sandbox probe, or start the server, report its permissions, and stop it
 * on SIGINT or SIGTERM (a second signal exits at once). The entry point is `server.ts`, which
 * passes its `startServer` in.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BootReport } from "../runtime/runtime.ts";
import { checkNounJson, parseNounJson } from "../core/json.ts";
import { describe } from "./options.ts";
import type { RunningServer, ServerOptions } from "./options.ts";
import { createLogger, logFormats } from "./logger.ts";
import type { LogFormat, Logger } from "./logger.ts";
import { permissionReport, probeSandbox } from "./permissions.ts";
import type { ClusterOptions } from "./cluster_options.ts";
import { profileDirectory } from "./writer_profile.ts";

const usage = `Usage: cellar serve [options]

Serve a data directory over HTTP (see docs/HTTP.md).

Options:
  --data DIR              data directory (default: data/ in the repository)
  --host HOST             address to listen on (default 127.0.0.1)
  --port N                port (default 8080)
  --kernel FILE           kernel jam to boot or upgrade to (default: the directory's own,
                          or kernels/kv.jam for a new directory)
  --body-limit BYTES      largest request body (default 1048576)
  --poke-timeout-ms N     compute limit of one poke (default 10000)
  --peek-timeout-ms N     compute limit of one peek (default 10000)
  --body-timeout-ms N     a request body that stalls this long gets 408 (default 10000)
  --body-deadline-ms N    a request body that takes longer in all gets 408 (default 60000)
  --max-connections N     requests in progress at once; more get 503 (default 256)
  --header-timeout-ms N   a request head not complete N ms after its first byte (or after
                          the connection fell idle) gets 408 and a close (default 10000;
                          0: none, for a server behind a proxy that times heads out)
  --snapshot-every N      snapshot every N events (default 10000)
  --effects-retention N   GET /effects keeps the effects of the last N events (default 10000)
  --http-kernel           the kernel serves HTTP (NockApp's [%req …] / [%res …]): it owns the
                          URL space, and Cellar's API moves under /_cellar/
  --mount PREFIX          with --http-kernel: serve the kernel under PREFIX (stripped from its uri)
  --kernel-routes MODE    with --http-kernel: public (default) or token (a poke-scope token)
  --http-timeout-ms N     with --http-kernel: answer 504 after N ms without the kernel's answer
                          (default 30000)
  --http-cache-mib N      with --http-kernel: the kernel's cached (%cache) responses hold at
                          most N MiB, least recently used dropped first (default 64; 0: none)
  --cluster URLS          cluster mode: NATS URLs, comma separated (docs/CLUSTER.md)
  --app NAME              the app's name in the cluster (with --cluster)
  --follow                follow the leader; never take the lease unless --auto-failover
  --advertise URL         the URL other members and clients are sent to
  --replicate MODE        sync (default: publish, then commit) or async
  --lease-ms N            leadership lease TTL (default 5000)
  --auto-failover         take the lease when it expires
  --keep-snapshots N      the leader keeps the N newest snapshots in the cluster and drops the
                          stream's events before the oldest of them (default 0: keep all)
  --log-format FORMAT     text (default) or json: one JSON object a line, with time, level,
                          msg and fields
  --files DIR             the file driver reads and writes the kernel's [%file …] under DIR
  --timer SECONDS         NockApp's interval timer: poke [%timer ~] every SECONDS
  --timer-poke NOUN       with --timer: poke this cause (a JSON noun) instead
  --jets FILE             add the jet mappings and known cores of FILE (JSON, the form of
                          'cellar jets list --json') to the jet table before booting
  --profile DIR           profile the writer's events by registered arm (%fast path): admin
                          routes GET /profile (the busiest arms, JSON), GET /profile.svg (a
                          flame graph), POST /profile/reset; at shutdown DIR/profile.txt,
                          DIR/profile.folded and DIR/profile.svg (DIR is created when absent;
                          not a symlink). Peek Workers are not profiled
  --probe-sandbox         print the permissions held and try what they must refuse, then exit
  -h, --help              this help

Tokens: the first start of a data directory creates an admin token in DIR/admin.token.
`;

/** The whole-number flags: flag, option, least value. */
const numberFlags = [
  ["body-limit", "bodyLimit", 1],
  ["poke-timeout-ms", "pokeTimeoutMs", 1],
  ["peek-timeout-ms", "peekTimeoutMs", 1],
  ["body-timeout-ms", "bodyTimeoutMs", 1],
  ["body-deadline-ms", "bodyDeadlineMs", 1],
  ["max-connections", "maxConnections", 1],
  ["header-timeout-ms", "headerTimeoutMs", 0],
  ["snapshot-every", "snapshotEveryEvents", 0],
  ["effects-retention", "effectsRetentionEvents", 1],
] as const;

const hostPattern = /^[A-Za-z0-9._:-]+$/;

/** A flag `cellar serve` cannot use; the command exits 2 with its message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Server options as the command line gives them: host and port always set. */
export type ServeOptions = ServerOptions & { host: string; port: number };

/** What the command line asks for. */
export type ServeCommand =
  | { kind: "help" }
  | { kind: "probe" | "serve"; options: ServeOptions };

/** Parse `cellar serve`'s flags; throws {@linkcode UsageError} for a bad one. */
export function parseServeArgs(args: string[]): ServeCommand {
  const wantsHelp = args.includes("--help") || args.includes("-h");
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        data: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        kernel: { type: "string" },
        "log-format": { type: "string" },
        ...Object.fromEntries(numberFlags.map(([flag]) => [flag, { type: "string" as const }])),
        ...clusterFlags,
        "probe-sandbox": { type: "boolean" },
        "http-kernel": { type: "boolean" },
        mount: { type: "string" },
        "kernel-routes": { type: "string" },
        "http-timeout-ms": { type: "string" },
        "http-cache-mib": { type: "string" },
        files: { type: "string" },
        jets: { type: "string" },
        profile: { type: "string" },
        timer: { type: "string" },
        "timer-poke": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    if (wantsHelp) return { kind: "help" };
    // node:util's messages may go on with hints on more lines: the first says what is wrong.
    throw new UsageError(describe(error).split("\n")[0].replace(/\.$/, ""));
  }
  if (values.help) return { kind: "help" };
  const defaultData = decodeURIComponent(new URL("../../data", import.meta.url).pathname);
  const options: ServeOptions = {
    dataDir: values.data ?? defaultData,
    host: values.host ?? "127.0.0.1",
    port: wholeNumber("port", values.port, 0, 65535) ?? 8080,
    kernelPath: values.kernel,
  };
  if (options.dataDir.length === 0) throw new UsageError("Bad --data: the path is empty");
  const format = values["log-format"];
  if (format !== undefined) {
    if (!(logFormats as readonly string[]).includes(format)) {
      throw new UsageError(`Bad --log-format: '${format}' is not ${logFormats.join(" or ")}`);
    }
    options.logFormat = format as LogFormat;
  }
  if (!hostPattern.test(options.host)) {
    throw new UsageError(`Bad --host: '${options.host}' is not a host name or address`);
  }
  const given: Record<string, unknown> = values;
  for (const [flag, key, least] of numberFlags) {
    const value = given[flag] as string | undefined;
    options[key] = wholeNumber(flag, value, least);
  }
  const httpKernel = httpKernelArgs(values);
  if (httpKernel !== undefined) options.httpKernel = httpKernel;
  const cluster = clusterOptions(values);
  if (cluster !== undefined) options.cluster = cluster;
  if (values.files !== undefined) options.files = values.files;
  if (values.jets !== undefined) options.jetsPath = values.jets;
  if (values.profile !== undefined) options.profile = profileFlag(values.profile);
  const timer = timerArgs(values.timer, values["timer-poke"]);
  if (timer !== undefined) options.timer = timer;
  return { kind: values["probe-sandbox"] ? "probe" : "serve", options };
}

/** The --profile flag, checked before anything is made (a usage error, exit 2). */
function profileFlag(dir: string): string {
  const { problem } = profileDirectory(dir);
  if (problem !== undefined) throw new UsageError(`Bad --profile: ${problem}`);
  return dir;
}

/** The --timer and --timer-poke flags, checked. */
function timerArgs(seconds: string | undefined, poke: string | undefined): ServerOptions["timer"] {
  if (seconds === undefined) {
    if (poke !== undefined) throw new UsageError("--timer-poke applies to --timer SECONDS only");
    return undefined;
  }
  const n = Number(seconds);
  if (!(n > 0 && n <= 86_400)) {
    throw new UsageError(`Bad --timer: '${seconds}' is not seconds above 0 and at most 86400`);
  }
  if (poke === undefined) return { seconds: n };
  try {
    const cause = parseNounJson(poke);
    checkNounJson(cause);
    return { seconds: n, cause };
  } catch (error) {
    throw new UsageError(`Bad --timer-poke: ${describe(error)}`);
  }
}

/** The --http-kernel flags, checked; undefined without --http-kernel. */
function httpKernelArgs(values: {
  "http-kernel"?: boolean;
  mount?: string;
  "kernel-routes"?: string;
  "http-timeout-ms"?: string;
  "http-cache-mib"?: string;
}): ServerOptions["httpKernel"] {
  if (!values["http-kernel"]) {
    for (const flag of ["mount", "kernel-routes", "http-timeout-ms", "http-cache-mib"] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} applies to --http-kernel only`);
      }
    }
    return undefined;
  }
  const mount = values.mount ?? "";
  if (mount !== "" && !/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(mount)) {
    throw new UsageError(`Bad --mount: '${mount}' is not a path such as /app`);
  }
  if (/^\/_cellar(\/|$)/.test(mount)) {
    throw new UsageError("Bad --mount: /_cellar/ is Cellar's API");
  }
  const routes = values["kernel-routes"] ?? "public";
  if (routes !== "public" && routes !== "token") {
    throw new UsageError(`Bad --kernel-routes: '${routes}' is neither public nor token`);
  }
  return {
    mount,
    routes,
    timeoutMs: wholeNumber("http-timeout-ms", values["http-timeout-ms"], 1),
    cacheBytes: mebibytes(wholeNumber("http-cache-mib", values["http-cache-mib"], 0, 1 << 20)),
  };
}

function mebibytes(n: number | undefined): number | undefined {
  return n === undefined ? undefined : n * 1024 * 1024;
}

const clusterFlags = {
  cluster: { type: "string" },
  app: { type: "string" },
  follow: { type: "boolean" },
  advertise: { type: "string" },
  replicate: { type: "string" },
  "lease-ms": { type: "string" },
  "auto-failover": { type: "boolean" },
  "keep-snapshots": { type: "string" },
} as const;

/** The cluster flags, or undefined without `--cluster` (the others then are refused). */
function clusterOptions(values: Record<string, unknown>): ClusterOptions | undefined {
  const urls = values.cluster as string | undefined;
  if (urls === undefined) {
    const stray = Object.keys(clusterFlags).find((f) => values[f] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --cluster`);
    return undefined;
  }
  const app = values.app as string | undefined;
  if (app === undefined) throw new UsageError("--cluster needs --app NAME");
  const replicate = values.replicate as string | undefined;
  if (replicate !== undefined && replicate !== "sync" && replicate !== "async") {
    throw new UsageError(`Bad --replicate: '${replicate}' (sync or async)`);
  }
  return {
    urls: urls.split(",").map((u) => u.trim()).filter((u) => u.length > 0),
    app,
    follow: values.follow === true,
    advertise: values.advertise as string | undefined,
    replicate,
    leaseMs: wholeNumber("lease-ms", values["lease-ms"] as string | undefined, 200),
    autoFailover: values["auto-failover"] === true,
    keepSnapshots: wholeNumber("keep-snapshots", values["keep-snapshots"] as string | undefined, 0),
  };
}

function wholeNumber(
  flag: string,
  value: string | undefined,
  least: number,
  most = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (/^[0-9]+$/.test(value) && n >= least && n <= most) return n;
  const range = most === Number.MAX_SAFE_INTEGER
    ? `of at least ${least}`
    : `from ${least} to ${most}`;
  throw new UsageError(`Bad --${flag}: '${value}' is not a whole number ${range}`);
}

/**
 * Run `cellar serve` with `args`, starting the server with `start`; resolves with the exit
 * code (0, 1 when the server could not start or failed, 2 for a bad flag).
 */
export async function main(
  args: string[],
  start: (options: ServerOptions) => RunningServer,
): Promise<number> {
  let command: ServeCommand;
  try {
    command = parseServeArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`cellar serve: ${error.message} (see cellar serve --help)`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(usage);
    return 0;
  }
  const { options } = command;
  if (command.kind === "probe") {
    const report = permissionReport(options);
    for (const line of report.lines) console.log(`needed ${line}`);
    for (const w of report.warnings) console.log(`WARNING: holds ${w}`);
    for (const line of probeSandbox(options.dataDir)) console.log(line);
    return 0;
  }
  const logger = createLogger(options.logFormat ?? "text");
  let running: RunningServer;
  try {
    running = start({ ...options, log: logger.line });
    await running.listening;
    announce(running, options, logger);
  } catch (error) {
    logger.error(describe(error));
    return 1;
  }
  return await serveUntilStopped(running, logger);
}

/** The start lines: where it listens, the permissions it holds, a first-run token. */
function announce(running: RunningServer, options: ServeOptions, logger: Logger): void {
  const report = permissionReport({
    dataDir: running.dataDir,
    host: options.host,
    port: options.port,
    kernelPath: options.kernelPath,
  });
  logger.info(`listening on ${running.url}`, { url: running.url });
  const kernel = options.httpKernel;
  if (kernel !== undefined) {
    const mount = (kernel.mount ?? "").replace(/\/$/, "");
    const at = `${running.url.replace(/\/$/, "")}${mount}/`;
    const access = kernel.routes === "token" ? "a poke token needed" : "public";
    logger.info(
      `the kernel serves HTTP at ${at} (${access}); Cellar's API is under ${running.url}_cellar/`,
      {
        kernelUrl: at,
        apiUrl: `${running.url}_cellar/`,
      },
    );
  }
  logger.info(`data dir ${running.dataDir}`, { dataDir: running.dataDir });
  logger.info(`permissions: ${report.lines.join("; ")}`, { permissions: report.lines });
  if (report.warnings.length === 0) {
    logger.info("permissions: nothing beyond the above");
  } else if (logger.format === "json") {
    logger.warn("this server holds more permissions than it needs", { beyond: report.warnings });
  } else {
    const bar = "!".repeat(78);
    console.log(bar);
    console.log("!! WARNING: this server holds more permissions than it needs:");
    for (const w of report.warnings) console.log(`!!   - ${w}`);
    console.log("!! Run it with `./cellar serve` (deno run -P=serve) to drop them.");
    console.log(bar);
  }
  if (running.adminTokenPath) {
    logger.info(
      `first run: an admin token was written to ${running.adminTokenPath} (mode 0600)`,
      { adminTokenPath: running.adminTokenPath },
    );
  }
}

function bootLine(b: BootReport): string {
  return `booted at event ${b.eventNumber} (level ${b.level} ${b.name}, ${b.replayed} replayed, ${
    Math.round(b.bootMs)
  } ms): ${b.detail}`;
}

/** Log the boot, stop on the first SIGINT or SIGTERM, exit on the second; the exit code. */
async function serveUntilStopped(running: RunningServer, logger: Logger): Promise<number> {
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      logger.warn("second signal, exiting now");
      Deno.exit(130);
    }
    logger.info("shutting down (finishing the request in flight)");
    running.shutdown();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 0;
  running.ready.then((b) => {
    logger.info(bootLine(b), {
      eventNumber: b.eventNumber,
      level: b.level,
      name: b.name,
      replayed: b.replayed,
      bootMs: Math.round(b.bootMs),
    });
    for (const w of b.warnings) logger.warn(`boot warning: ${w}`);
  }, (error) => {
    if (signals === 0) {
      logger.error(describe(error));
      code = 1;
    }
  });
  await running.finished;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  const failed = running.failure();
  if (failed !== null && signals === 0) {
    if (code === 0) logger.error(failed);
    code = 1;
  }
  logger.info(`stopped${code === 0 ? "" : " (failed)"}`, { exitCode: code });
  return code;
}
