/**
 * The server's options as given ({@linkcode ServerOptions}) and as checked
 * ({@linkcode Settings}): defaults filled in, limits validated, the kernel read and the data
 * directory made, so a bad option fails before anything listens or boots.
 *
 * @module
 */

import type { BootReport } from "../runtime/runtime.ts";
import { CellarError } from "../core/errors.ts";
import { addJets, checkJetTable, parseJetTable } from "../core/jets.ts";
import type { JetTable } from "../core/jets.ts";
import { prepareDataDir, UnsafeDataDirError } from "../runtime/files.ts";
import { clusterSettings } from "./cluster_options.ts";
import type { ClusterOptions, ClusterSettings } from "./cluster_options.ts";
import { createLogger } from "./logger.ts";
import type { LogFormat, LogLevel } from "./logger.ts";
import type { Json } from "../core/json.ts";
import type { DriverSettings } from "./writer_drivers.ts";
import { defaultCacheBytes } from "../drivers/http_kernel.ts";
import { profileDirectory } from "./writer_profile.ts";

/** Options of `startServer`. */
export interface ServerOptions {
  /** The data directory (created when absent). */
  dataDir: string;
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** A kernel jam to boot or upgrade to (default: the directory's own, or `kernels/kv.jam`). */
  kernelPath?: string;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Compute limit of a poke in ms (default 10,000). */
  pokeTimeoutMs?: number;
  /** Compute limit of a peek in ms (default 10,000). */
  peekTimeoutMs?: number;
  /** A request body that sends nothing for this long gets 408 (default 10,000). */
  bodyTimeoutMs?: number;
  /** A request body that takes longer than this in all gets 408 (default 60,000). */
  bodyDeadlineMs?: number;
  /** Requests in progress at once; more get 503 (default 256). */
  maxConnections?: number;
  /** A request head (request line and headers) must be complete this long after its first
   * byte, or after its connection fell idle; else 408 and the connection closes (default
   * 10,000; 0: no front, Deno.serve listens itself, for a server behind a proxy that times
   * heads out; see `http_front.ts`). */
  headerTimeoutMs?: number;
  /** Peek Workers (default 2). */
  peekWorkers?: number;
  /** Snapshot every this many events (the runtime's default 10,000). */
  snapshotEveryEvents?: number;
  /** `GET /effects` keeps the effects of this many last events for resuming (default 10,000). */
  effectsRetentionEvents?: number;
  /** Where startup and runtime messages go (default: the console, in `logFormat`). */
  log?: (line: string, level?: LogLevel) => void;
  /** The console log's format when `log` is not given: `text` (default) or `json` lines. */
  logFormat?: LogFormat;
  /**
   * The kernel serves HTTP (`--http-kernel`): it owns the URL space (under `mount`), and
   * Cellar's API moves under `/_cellar/`. See `docs/HTTP.md`.
   */
  httpKernel?: HttpKernelOptions;
  /** Cluster mode (`docs/CLUSTER.md`): the stream on NATS is the log of record. */
  cluster?: ClusterOptions;
  /** The file driver may read and write under this directory (`--files`; created when absent). */
  files?: string;
  /**
   * A JSON jet table (`--jets`; mappings and known cores, see `addJets`) added to the
   * process-wide jet table before the kernel boots; the writer and peek Workers share it.
   */
  jetsPath?: string;
  /** The same as an object (both may be given). */
  jets?: JetTable;
  /** NockApp's interval timer (`--timer`): poke `cause` (default `[%timer ~]`) every `seconds`. */
  timer?: { seconds: number; cause?: Json };
  /**
   * Profile the writer's events (`--profile DIR`): the admin routes `GET /profile`,
   * `GET /profile.svg` and `POST /profile/reset`, and at shutdown `DIR/profile.txt`,
   * `.folded` and `.svg` (DIR is created when absent; it must not be a symlink).
   */
  profile?: string;
}

/** Options of a kernel that serves HTTP ({@linkcode ServerOptions.httpKernel}). */
export interface HttpKernelOptions {
  /** Serve the kernel under this path prefix (`/app`; default `/`), stripped from its uri. */
  mount?: string;
  /** Answer 504 after this many ms without the kernel's answer (default 30,000). */
  timeoutMs?: number;
  /** Whether the kernel's routes need a token with the `poke` scope (default `public`). */
  routes?: "public" | "token";
  /** Largest response body the kernel may send (default 16 MiB; 502 past it). */
  responseLimit?: number;
  /** Bytes the kernel's cached (`%cache`) responses may hold (default 64 MiB; 0: none). */
  cacheBytes?: number;
}

/** The path prefix of Cellar's own API when the kernel serves HTTP. */
export const apiPrefix = "/_cellar";

/** A running server. */
export interface RunningServer {
  /** `http://host:port/`. */
  url: string;
  /** The absolute data directory. */
  dataDir: string;
  /** Resolves once `url` takes connections (its front's Worker listens), or could not. */
  listening: Promise<void>;
  /** Resolves with the boot report once the writer booted; rejects if it could not. */
  ready: Promise<BootReport>;
  /** Stop accepting, finish in-flight requests (the poke being computed included), close
   * the runtime (commit, sidecar) and the Workers. */
  shutdown(): Promise<void>;
  /** Resolves when the server stopped (after shutdown, or after the writer failed to boot). */
  finished: Promise<void>;
  /** Where a first-run admin token was written, if this start created one. */
  adminTokenPath?: string;
  /** Why the runtime failed (it could not boot, or its Worker died), or null. */
  failure(): string | null;
}

/** A server that cannot start (bad option, unreadable kernel, missing permission). */
export class ServerStartError extends CellarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServerStartError";
  }
}

/** The limits a request meets; `/status` reports them as they are. */
export interface Limits {
  bodyBytes: number;
  pokeTimeoutMs: number;
  /** The compute limit of a peek; past it plus {@linkcode peekGraceMs}, the peek Worker's
   * watchdog answers 503 and replaces the Worker. */
  peekTimeoutMs: number;
  bodyTimeoutMs: number;
  bodyDeadlineMs: number;
  /**
   * Requests in progress at once (a connection still sending its headers is not counted:
   * Deno.serve calls no code before the headers are complete).
   */
  maxConnections: number;
}

/** What a peek may take beyond its compute limit (its answer's rendering) before the
 * watchdog stops it. */
export const peekGraceMs = 1000;

/** {@linkcode ServerOptions} checked, with their defaults. */
export interface Settings {
  /** The absolute data directory (it exists). */
  dataDir: string;
  host: string;
  port: number;
  /** The bytes of `kernelPath`, when one was given. */
  kernel?: Uint8Array;
  limits: Limits;
  /** See {@linkcode ServerOptions.headerTimeoutMs}. */
  headerTimeoutMs: number;
  peekWorkers: number;
  snapshotEveryEvents?: number;
  log: (line: string, level?: LogLevel) => void;
  /** The format of the log lines the Workers write themselves. */
  logFormat: LogFormat;
  /** The kernel serves HTTP, or null (Cellar's API at `/`). */
  httpKernel: Required<HttpKernelOptions> | null;
  cluster?: ClusterSettings;
  /** What the writer's drivers are given. */
  drivers: DriverSettings;
  /** The absolute profile directory ({@linkcode ServerOptions.profile}). */
  profile?: string;
}

/** The message of an error of unknown type. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ServerStartError(`Bad ${name}: ${value} is not a positive integer`);
  }
  return value;
}

/**
 * Check `options` and fill in the defaults; read the kernel and make the data directory;
 * add the jet tables (`jetsPath`, `jets`) to the process-wide one.
 * Throws {@linkcode ServerStartError} naming the first bad option.
 */
export function resolveSettings(options: ServerOptions): Settings {
  const port = options.port ?? 8080;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ServerStartError(`Bad port: ${port}`);
  }
  const limits: Limits = {
    bodyBytes: positive("body limit", options.bodyLimit, 1024 * 1024),
    pokeTimeoutMs: positive("poke timeout", options.pokeTimeoutMs, 10_000),
    peekTimeoutMs: positive("peek timeout", options.peekTimeoutMs, 10_000),
    bodyTimeoutMs: positive("body timeout", options.bodyTimeoutMs, 10_000),
    bodyDeadlineMs: positive("body deadline", options.bodyDeadlineMs, 60_000),
    maxConnections: positive("connection limit", options.maxConnections, 256),
  };
  const peekWorkers = positive("peek worker count", options.peekWorkers, 2);
  const snapshotEvery = options.snapshotEveryEvents;
  if (snapshotEvery !== undefined && (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 0)) {
    throw new ServerStartError(`Bad snapshot interval: ${snapshotEvery}`);
  }
  if (typeof options.dataDir !== "string" || options.dataDir.length === 0) {
    throw new ServerStartError("The data directory must be a non-empty path");
  }
  // The kernel is read here so that an unreadable one fails before listening.
  const kernel = options.kernelPath === undefined ? undefined : readKernel(options.kernelPath);
  const jets = readJetTables(options);
  const profile = profileDirectory(options.profile);
  if (profile.problem) throw new ServerStartError(`Bad profile directory: ${profile.problem}`);
  const dataDir = makeDataDir(options.dataDir);
  // Process-wide: the writer and peek Workers match against the same table.
  for (const table of jets) addJets(table);
  return {
    dataDir,
    host: options.host ?? "127.0.0.1",
    port,
    kernel,
    limits,
    headerTimeoutMs: options.headerTimeoutMs === 0
      ? 0
      : positive("header timeout", options.headerTimeoutMs, 10_000),
    peekWorkers,
    snapshotEveryEvents: snapshotEvery,
    log: options.log ?? createLogger(options.logFormat ?? "text").line,
    logFormat: options.logFormat ?? "text",
    httpKernel: options.httpKernel === undefined ? null : httpKernelSettings(options.httpKernel),
    cluster: options.cluster && clusterSettings(
      options.cluster,
      options.host,
      port,
      dataDir,
      (message) => new ServerStartError(message),
    ),
    drivers: driverSettings(options),
    profile: profile.dir,
  };
}

function driverSettings(options: ServerOptions): DriverSettings {
  const timer = options.timer;
  if (timer !== undefined && !(timer.seconds > 0 && timer.seconds <= 86_400)) {
    throw new ServerStartError(
      `Bad timer interval: ${timer.seconds} seconds (above 0, at most 86400)`,
    );
  }
  let files: string | null = null;
  if (options.files !== undefined) {
    try {
      Deno.mkdirSync(options.files, { recursive: true });
      files = Deno.realPathSync(options.files);
    } catch (cause) {
      throw new ServerStartError(
        `Cannot use the files directory ${options.files}: ${describe(cause)}`,
        {
          cause,
        },
      );
    }
  }
  return {
    files,
    timer: timer === undefined ? null : { seconds: timer.seconds, cause: timer.cause ?? null },
  };
}

function httpKernelSettings(options: HttpKernelOptions): Required<HttpKernelOptions> {
  const mount = (options.mount ?? "").replace(/\/+$/, "");
  if (mount !== "" && !/^(\/[A-Za-z0-9._~-]+)+$/.test(mount)) {
    throw new ServerStartError(`Bad mount prefix '${options.mount}': expected a path such as /app`);
  }
  if (mount === apiPrefix || mount.startsWith(`${apiPrefix}/`)) {
    throw new ServerStartError(`Bad mount prefix '${mount}': ${apiPrefix}/ is Cellar's API`);
  }
  const routes = options.routes ?? "public";
  if (routes !== "public" && routes !== "token") {
    throw new ServerStartError(`Bad kernel routes '${routes}': expected public or token`);
  }
  return {
    mount,
    routes,
    timeoutMs: positive("kernel HTTP timeout", options.timeoutMs, 30_000),
    responseLimit: positive("kernel response limit", options.responseLimit, 16 * 1024 * 1024),
    cacheBytes: options.cacheBytes === 0
      ? 0
      : positive("kernel response cache size", options.cacheBytes, defaultCacheBytes),
  };
}

/** The jet tables of `--jets FILE` and `options.jets`, checked (before anything starts). */
function readJetTables(options: ServerOptions): JetTable[] {
  const tables: JetTable[] = [];
  try {
    if (options.jetsPath !== undefined) {
      const text = new TextDecoder().decode(Deno.readFileSync(options.jetsPath));
      tables.push(parseJetTable(text, options.jetsPath));
    }
    if (options.jets !== undefined) {
      checkJetTable(options.jets);
      tables.push(options.jets);
    }
  } catch (cause) {
    throw new ServerStartError(`Cannot use the jet table: ${describe(cause)}`, { cause });
  }
  return tables;
}

function readKernel(path: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (cause) {
    const hint = cause instanceof Deno.errors.NotCapable
      ? " (the server's permission set does not allow reading it: grant --allow-read for that file, or copy the kernel under the allowed paths)"
      : "";
    throw new ServerStartError(`Cannot read the kernel ${path}: ${describe(cause)}${hint}`, {
      cause,
    });
  }
}

/** Make (mode 0700) or check the data directory; its absolute path. */
function makeDataDir(path: string): string {
  try {
    Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
    const dir = Deno.realPathSync(path);
    // Links and special files are refused before any Worker opens a file natively; the
    // directory's mode is reported with the boot's warnings.
    prepareDataDir(dir);
    return dir;
  } catch (cause) {
    if (cause instanceof UnsafeDataDirError) throw new ServerStartError(cause.message, { cause });
    throw new ServerStartError(`Cannot use the data directory ${path}: ${describe(cause)}`, {
      cause,
    });
  }
}
