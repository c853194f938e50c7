/**
 * Cellar's HTTP server (`./cellar serve`; the API is documented in `docs/HTTP.md`).
 *
 * The main thread does HTTP only: routing, bearer-token auth with scopes, limits, metrics.
 * The data directory's {@linkcode Runtime} lives in a writer Worker (`writer_worker.ts`)
 * that handles pokes one at a time in arrival order and answers each once its event is
 * durable; peeks go to peek Workers (`peek_worker.ts`) holding read-only replicas of the
 * committed state. The server listens while the writer boots (a replay can be long):
 * meanwhile `/status` reports `recovering` and pokes and peeks get 503 with `Retry-After`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BootReport, ReplayProgress, RuntimeStatus } from "../runtime/runtime.ts";
import { ArgumentError, CellarError } from "../core/errors.ts";
import { Exposition, Histogram, LabelledCounter } from "./metrics.ts";
import {
  errorResponse,
  HttpError,
  jsonResponse,
  mediaType,
  readBody,
  wantsJam,
} from "./http_util.ts";
import { jsonToNounLike } from "./json_noun.ts";
import type { Json } from "./json_noun.ts";
import type {
  PeekReply,
  PeekRequest,
  WireError,
  WriterReply,
  WriterRequest,
  WriterStatus,
} from "./protocol.ts";
import { allows, TokenStore } from "./tokens.ts";
import type { Scope } from "./tokens.ts";
import { statusPageHtml } from "./status_page.ts";

/** Options of {@linkcode startServer}. */
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
  /** Peek Workers (default 2). */
  peekWorkers?: number;
  /** Snapshot every this many events (the runtime's default 10,000). */
  snapshotEveryEvents?: number;
  /** Where startup and runtime messages go (default `console.log`). */
  log?: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port/`. */
  url: string;
  /** The absolute data directory. */
  dataDir: string;
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

type Phase = "recovering" | "ready" | "failed" | "stopping";

/** Health of the server (see `docs/HTTP.md`). */
export type Health = "healthy" | "nearly-full" | "growing" | "stale" | "recovering" | "failed";

const historyEveryMs = 5000;
const historyLength = 720;
const growingWindowMs = 5 * 60 * 1000;
const wirePattern = /^(\/[A-Za-z0-9._~-]{1,64}){1,16}$/;
const pokeOutcomes = ["ok", "bad_request", "crash", "timeout", "unavailable", "error"];
const peekOutcomes = [
  "value",
  "empty",
  "unknown",
  "bad_request",
  "crash",
  "timeout",
  "unavailable",
  "error",
];

interface Pending<T> {
  resolve: (value: T) => void;
}

interface Peeker {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending<PeekReply>>;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ServerStartError(`Bad ${name}: ${value} is not a positive integer`);
  }
  return value;
}

function outcomeOf(error: WireError): string {
  if (error.status === 400 || error.status === 415) return "bad_request";
  if (error.code === "KernelCrash") return "crash";
  if (error.code === "PokeTimeout" || error.code === "PeekTimeout") return "timeout";
  if (error.status === 503) return "unavailable";
  return "error";
}

function errorFromWire(error: WireError): HttpError {
  const headers: Record<string, string> = {};
  if (error.code === "NotReady") headers["retry-after"] = "1";
  return new HttpError(error.status, error.code, error.message, {
    headers,
    extra: error.trace !== undefined ? { trace: error.trace } : {},
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Start the server: listen at once, boot the runtime in the writer Worker, then start the
 * peek Workers. Throws {@linkcode ServerStartError} when an option is bad or the kernel
 * cannot be read.
 */
export function startServer(options: ServerOptions): RunningServer {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ServerStartError(`Bad port: ${port}`);
  }
  const bodyLimit = positive("body limit", options.bodyLimit, 1024 * 1024);
  const pokeTimeoutMs = positive("poke timeout", options.pokeTimeoutMs, 10_000);
  const peekTimeoutMs = positive("peek timeout", options.peekTimeoutMs, 10_000);
  const bodyTimeoutMs = positive("body timeout", options.bodyTimeoutMs, 10_000);
  const peekWorkerCount = positive("peek worker count", options.peekWorkers, 2);
  const snapshotEvery = options.snapshotEveryEvents;
  if (snapshotEvery !== undefined && (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 0)) {
    throw new ServerStartError(`Bad snapshot interval: ${snapshotEvery}`);
  }
  if (typeof options.dataDir !== "string" || options.dataDir.length === 0) {
    throw new ServerStartError("The data directory must be a non-empty path");
  }

  // The kernel, read here so an unreadable one fails before listening.
  let kernel: Uint8Array | undefined;
  if (options.kernelPath !== undefined) {
    try {
      kernel = Deno.readFileSync(options.kernelPath);
    } catch (cause) {
      const hint = cause instanceof Deno.errors.NotCapable
        ? " (the server's permission set does not allow reading it: grant --allow-read for that file, or copy the kernel under the allowed paths)"
        : "";
      throw new ServerStartError(
        `Cannot read the kernel ${options.kernelPath}: ${describe(cause)}${hint}`,
        { cause },
      );
    }
  }

  let dataDir: string;
  try {
    Deno.mkdirSync(options.dataDir, { recursive: true });
    dataDir = Deno.realPathSync(options.dataDir);
  } catch (cause) {
    throw new ServerStartError(
      `Cannot use the data directory ${options.dataDir}: ${describe(cause)}`,
      { cause },
    );
  }

  // Tokens; a first run gets an admin token written to <dataDir>/admin.token.
  let tokens: TokenStore;
  let adminTokenPath: string | undefined;
  try {
    tokens = TokenStore.open(dataDir);
    if (tokens.list().length === 0) {
      const { token } = tokens.create(["admin"], "first-run admin (cellar serve)");
      adminTokenPath = `${dataDir}/admin.token`;
      Deno.writeTextFileSync(adminTokenPath, token + "\n", { mode: 0o600 });
      Deno.chmodSync(adminTokenPath, 0o600);
    }
  } catch (cause) {
    throw new ServerStartError(`Cannot set up the API tokens: ${describe(cause)}`, { cause });
  }
  let tokenFileProblem: string | null = null;

  // ---------------------------------------------------------------- state and metrics
  const startedAt = Date.now();
  let phase: Phase = "recovering";
  let failure: string | null = null;
  let progress: ReplayProgress | null = null;
  let lastProgressLine = 0;
  let boot: BootReport | null = null;
  let latest: WriterStatus | null = null;
  let lastGrowth: { count: number; at: number } | null = null;
  let grewAt: number | null = null;
  const history: { t: number; capacityBytes: number; usedBytes: number }[] = [];
  const pokeCounter = new LabelledCounter();
  const peekCounter = new LabelledCounter();
  const httpCounter = new LabelledCounter();
  const pokeLatency = new Histogram();
  const peekLatency = new Histogram();
  const gcDurations = new Histogram();
  const snapshotDurations = new Histogram();

  function takeStatus(s: WriterStatus): void {
    latest = s;
    const growth = s.status.pma.growthCount;
    if (lastGrowth !== null && growth > lastGrowth.count) grewAt = s.at;
    lastGrowth = { count: growth, at: s.at };
  }

  function sampleHistory(): void {
    if (latest === null) return;
    const pma = latest.status.pma;
    history.push({ t: Date.now(), capacityBytes: pma.capacityBytes, usedBytes: pma.usedBytes });
    if (history.length > historyLength) history.splice(0, history.length - historyLength);
  }

  // ---------------------------------------------------------------- the writer
  const abortFlag = new SharedArrayBuffer(4);
  const writer = new Worker(new URL("./writer_worker.ts", import.meta.url), { type: "module" });
  const pokes = new Map<number, Pending<WriterReply>>();
  let nextId = 1;
  let resolveReady!: (b: BootReport) => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<BootReport>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});
  let resolveWriterClosed!: () => void;
  const writerClosed = new Promise<void>((res) => (resolveWriterClosed = res));
  let stopSelf: (() => void) | null = null;

  function failWriter(message: string): void {
    if (phase !== "stopping") phase = "failed";
    failure = message;
    for (const [id, p] of pokes) {
      pokes.delete(id);
      p.resolve({
        type: "pokeFailed",
        id,
        error: { status: 500, code: "WriterFailed", message },
      });
    }
  }

  writer.onmessage = (event: MessageEvent<WriterReply>) => {
    const m = event.data;
    switch (m.type) {
      case "progress": {
        progress = m.progress;
        // The log is not a terminal bar (it may be a file): a line every 2 s and at the end.
        const now = performance.now();
        if (now - lastProgressLine >= 2000 || progress.done === progress.total) {
          lastProgressLine = now;
          const rate = progress.done / Math.max(progress.elapsedMs / 1000, 0.001);
          log(
            `cellar serve: replaying the log: ${progress.done} of ${progress.total} events ` +
              `(event ${progress.eventNumber}, ${rate.toFixed(0)} events/s)`,
          );
        }
        break;
      }
      case "ready":
        boot = m.boot;
        takeStatus(m.status);
        sampleHistory();
        // Ready once a peek Worker has opened its replica too.
        startPeekers();
        break;
      case "fatal": {
        const text = `${m.error.code}: ${m.error.message}`;
        failWriter(text);
        rejectReady(new ServerStartError(`The runtime could not start: ${text}`));
        resolveWriterClosed();
        stopSelf?.();
        break;
      }
      case "poked":
      case "pokeFailed": {
        const p = pokes.get(m.id);
        pokes.delete(m.id);
        p?.resolve(m);
        break;
      }
      case "status":
        takeStatus(m.status);
        if (m.gcMs !== undefined) gcDurations.observe(m.gcMs / 1000);
        if (m.snapshotMs !== undefined) snapshotDurations.observe(m.snapshotMs / 1000);
        break;
      case "closed":
        resolveWriterClosed();
        break;
    }
  };
  writer.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    // deno-lint-ignore no-control-regex
    const text = `the writer Worker failed: ${event.message.replace(/\x1b\[[0-9;]*m/g, "")}`;
    failWriter(text);
    rejectReady(new ServerStartError(text));
    resolveWriterClosed();
    stopSelf?.();
  };
  const openMessage: WriterRequest = {
    type: "open",
    dataDir,
    kernel: kernel?.buffer as ArrayBuffer | undefined,
    pokeTimeoutMs,
    snapshotEveryEvents: snapshotEvery,
    abort: abortFlag,
  };
  writer.postMessage(openMessage, kernel ? [kernel.buffer as ArrayBuffer] : []);

  function poke(
    message: Omit<Extract<WriterRequest, { type: "poke" }>, "id">,
  ): Promise<WriterReply> {
    const id = nextId++;
    return new Promise((resolve) => {
      pokes.set(id, { resolve });
      writer.postMessage(
        { ...message, id } satisfies WriterRequest,
        message.jam ? [message.jam] : [],
      );
    });
  }

  // ---------------------------------------------------------------- the peekers
  const peekers: Peeker[] = [];
  let peekerFailures = 0;

  function startPeekers(): void {
    for (let i = 0; i < peekWorkerCount; i++) {
      const worker = new Worker(new URL("./peek_worker.ts", import.meta.url), { type: "module" });
      const peeker: Peeker = { worker, ready: false, pending: new Map() };
      worker.onmessage = (event: MessageEvent<PeekReply>) => {
        const m = event.data;
        if (m.type === "ready") {
          peeker.ready = true;
          if (phase === "recovering" && boot !== null) {
            phase = "ready";
            resolveReady(boot);
          }
        } else if (m.type === "fatal") {
          log(`cellar serve: a peek Worker failed: ${m.error.message}`);
          peekerFailures++;
          if (peekerFailures === peekWorkerCount) {
            const text = `no peek Worker could open the state: ${m.error.message}`;
            failWriter(text);
            rejectReady(new ServerStartError(text));
            stopSelf?.();
          }
        } else if (m.type === "peeked" || m.type === "peekFailed") {
          const p = peeker.pending.get(m.id);
          peeker.pending.delete(m.id);
          p?.resolve(m);
        } else if (m.type === "closed") worker.terminate();
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        log(`cellar serve: a peek Worker failed: ${event.message}`);
        peeker.ready = false;
        for (const [id, p] of peeker.pending) {
          p.resolve({
            type: "peekFailed",
            id,
            error: { status: 500, code: "PeekerFailed", message: event.message },
          });
        }
        peeker.pending.clear();
      };
      worker.postMessage({ type: "open", dataDir, peekTimeoutMs } satisfies PeekRequest);
      peekers.push(peeker);
    }
  }

  function peek(path: string[], reply: "jam" | "json"): Promise<PeekReply> | null {
    const live = peekers.filter((p) => p.ready);
    if (live.length === 0) return null;
    const peeker = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = nextId++;
    return new Promise((resolve) => {
      peeker.pending.set(id, { resolve });
      peeker.worker.postMessage({ type: "peek", id, path, reply } satisfies PeekRequest);
    });
  }

  // ---------------------------------------------------------------- health and status
  function health(): Health {
    if (phase === "failed") return "failed";
    if (phase === "recovering" || latest === null) return "recovering";
    const pma = latest.status.pma;
    if (pma.usedBytes > 0.9 * pma.reserveBytes) return "nearly-full";
    const every = snapshotEvery ?? 10_000;
    if (every > 0) {
      const newest = latest.status.snapshots.reduce(
        (max, s) => (s.eventNumber > max ? s.eventNumber : max),
        0n,
      );
      if (latest.status.eventNumber - newest > BigInt(2 * every)) return "stale";
    }
    if (grewAt !== null && Date.now() - grewAt < growingWindowMs) return "growing";
    return "healthy";
  }

  function statusBody(): Record<string, unknown> {
    const now = Date.now();
    const s: RuntimeStatus | undefined = latest?.status;
    const elapsed = latest ? now - latest.at : 0;
    return {
      health: health(),
      phase,
      failure,
      eventNumber: s?.eventNumber ?? null,
      kernelHash: s?.kernelHash ?? null,
      dataDir,
      slab: s
        ? {
          capacityBytes: s.pma.capacityBytes,
          usedBytes: s.pma.usedBytes,
          liveBytes: s.pma.liveBytesAfterGc,
          growthCount: s.pma.growthCount,
          freeBytes: s.pma.freeBytes,
          reserveBytes: s.pma.reserveBytes,
        }
        : null,
      logBytes: s?.logBytes ?? null,
      snapshots: (s?.snapshots ?? []).map((snap) => ({
        name: snap.name,
        kind: snap.kind,
        eventNumber: snap.eventNumber,
        bytes: snap.bytes,
        ageSeconds: Math.round((snap.ageMs + elapsed) / 100) / 10,
      })),
      boot: boot
        ? {
          level: boot.level,
          name: boot.name,
          detail: boot.detail,
          skipped: boot.skipped,
          replayed: boot.replayed,
          bootMs: Math.round(boot.bootMs),
          eventNumber: boot.eventNumber,
          warnings: boot.warnings,
        }
        : null,
      recovery: phase === "recovering" && progress
        ? { done: progress.done, total: progress.total, eventNumber: progress.eventNumber }
        : null,
      uptimeSeconds: Math.round((now - startedAt) / 1000),
      pokes: pokeCounter.total(),
      peeks: peekCounter.total(),
      pokeOutcomes: Object.fromEntries(pokeOutcomes.map((o) => [o, pokeCounter.get(o)])),
      peekOutcomes: Object.fromEntries(peekOutcomes.map((o) => [o, peekCounter.get(o)])),
      limits: { bodyBytes: bodyLimit, pokeTimeoutMs, peekTimeoutMs, bodyTimeoutMs },
      history,
    };
  }

  function metricsText(): string {
    const s = latest?.status;
    const e = new Exposition();
    e.sample({
      name: "cellar_up",
      help: "1 when the runtime is open and serving, 0 while recovering or after a failure.",
      type: "gauge",
      value: phase === "ready" ? 1 : 0,
    });
    e.sample({
      name: "cellar_events_total",
      help: "Events accepted by the data directory (the current event number).",
      type: "counter",
      value: s?.eventNumber ?? 0n,
    });
    e.labelled("cellar_pokes_total", "Pokes by outcome.", "outcome", pokeCounter, pokeOutcomes);
    e.labelled("cellar_peeks_total", "Peeks by outcome.", "outcome", peekCounter, peekOutcomes);
    e.labelled("cellar_http_requests_total", "HTTP responses by status code.", "code", httpCounter);
    e.histogram(
      "cellar_poke_duration_seconds",
      "Poke latency as served (queue, compute, commit).",
      pokeLatency,
    );
    e.histogram("cellar_peek_duration_seconds", "Peek latency as served.", peekLatency);
    e.sample({
      name: "cellar_slab_capacity_bytes",
      help: "Size of the PMA slab file.",
      type: "gauge",
      value: s?.pma.capacityBytes ?? 0,
    });
    e.sample({
      name: "cellar_slab_used_bytes",
      help: "Bytes in use in the PMA slab.",
      type: "gauge",
      value: s?.pma.usedBytes ?? 0,
    });
    e.sample({
      name: "cellar_slab_live_bytes",
      help: "Live bytes of the PMA slab after its last GC (0 before the first).",
      type: "gauge",
      value: s?.pma.liveBytesAfterGc ?? 0,
    });
    e.sample({
      name: "cellar_slab_reserve_bytes",
      help: "Address space reserved for the PMA slab.",
      type: "gauge",
      value: s?.pma.reserveBytes ?? 0,
    });
    e.sample({
      name: "cellar_slab_growth_count",
      help: "Times the PMA slab file grew in place.",
      type: "counter",
      value: s?.pma.growthCount ?? 0,
    });
    e.histogram("cellar_gc_duration_seconds", "PMA GC durations (scan + copy).", gcDurations);
    e.histogram("cellar_snapshot_duration_seconds", "Snapshot write durations.", snapshotDurations);
    e.sample({
      name: "cellar_boot_level",
      help:
        "Recovery level of the last boot (0 new, 1 PMA, 2 snapshot, 3 older snapshot, 4 full replay; -1 while booting).",
      type: "gauge",
      value: boot?.level ?? -1,
    });
    e.sample({
      name: "cellar_boot_duration_seconds",
      help: "Duration of the last boot.",
      type: "gauge",
      value: boot ? boot.bootMs / 1000 : 0,
    });
    e.sample({
      name: "cellar_uptime_seconds",
      help: "Seconds since the server started.",
      type: "gauge",
      value: Math.round((Date.now() - startedAt) / 1000),
    });
    return e.text();
  }

  // ---------------------------------------------------------------- auth
  function authorize(request: Request, needed: Scope | "status"): void {
    try {
      tokens.reload();
      tokenFileProblem = null;
    } catch (error) {
      const text = describe(error);
      if (tokenFileProblem !== text) log(`cellar serve: keeping the previous tokens: ${text}`);
      tokenFileProblem = text;
    }
    const header = request.headers.get("authorization");
    const m = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (m === null) {
      throw new HttpError(
        401,
        "Unauthorized",
        header === null
          ? "This endpoint needs a token: send Authorization: Bearer <token>"
          : "The Authorization header is not of the form: Bearer <token>",
        { headers: { "www-authenticate": 'Bearer realm="cellar"' } },
      );
    }
    const who = tokens.verify(m[1]);
    if (who === null) {
      throw new HttpError(401, "Unauthorized", "The token is not valid (unknown or revoked)", {
        headers: { "www-authenticate": 'Bearer realm="cellar", error="invalid_token"' },
      });
    }
    const scope: Scope = needed === "status" ? "peek" : needed;
    if (!allows(who.scopes, scope)) {
      throw new HttpError(
        403,
        "Forbidden",
        `The token ${who.id} has scopes [${who.scopes.join(", ")}]; this needs ${scope} or admin`,
        {
          headers: {
            "www-authenticate":
              `Bearer realm="cellar", error="insufficient_scope", scope="${scope}"`,
          },
        },
      );
    }
  }

  function notReady(): HttpError {
    if (phase === "stopping") {
      return new HttpError(503, "ShuttingDown", "The server is shutting down", {
        headers: { "retry-after": "5", connection: "close" },
      });
    }
    if (phase === "failed") {
      return new HttpError(503, "Failed", `The runtime failed: ${failure}`, {
        headers: { "retry-after": "30" },
      });
    }
    const done = progress ? ` (replayed ${progress.done} of ${progress.total} events)` : "";
    return new HttpError(503, "Recovering", `The runtime is still booting${done}`, {
      headers: { "retry-after": "1" },
    });
  }

  // ---------------------------------------------------------------- handlers
  async function handlePoke(request: Request, url: URL): Promise<Response> {
    const started = performance.now();
    let outcome = "error";
    try {
      if (phase !== "ready") {
        outcome = "unavailable";
        throw notReady();
      }
      const type = mediaType(request.headers.get("content-type"));
      if (type !== "application/x-jam" && type !== "application/json") {
        outcome = "bad_request";
        throw new HttpError(
          415,
          "UnsupportedMediaType",
          `A poke body is application/x-jam (a jammed cause) or application/json (the JSON noun form); got ${
            type || "no Content-Type"
          }`,
        );
      }
      const wire = url.searchParams.get("wire") ?? request.headers.get("x-cellar-wire") ??
        undefined;
      if (wire !== undefined && !wirePattern.test(wire)) {
        outcome = "bad_request";
        throw new HttpError(
          400,
          "BadWire",
          "The wire must be a path like /poke/app: 1 to 16 segments of [A-Za-z0-9._~-], each 1 to 64 characters",
        );
      }
      let body: Uint8Array;
      try {
        body = await readBody(request, { maxBytes: bodyLimit, idleTimeoutMs: bodyTimeoutMs });
      } catch (error) {
        outcome = "bad_request";
        throw error;
      }
      if (body.length === 0) {
        outcome = "bad_request";
        throw new HttpError(400, "EmptyBody", "The poke body is empty: send a cause");
      }
      let json: Json | undefined;
      if (type === "application/json") {
        try {
          json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
        } catch (error) {
          outcome = "bad_request";
          throw new HttpError(400, "BadJson", `The body is not valid JSON: ${describe(error)}`);
        }
        try {
          jsonToNounLike(json!);
        } catch (error) {
          outcome = "bad_request";
          if (error instanceof ArgumentError) {
            throw new HttpError(400, "BadNoun", `The body is not a JSON noun: ${error.message}`);
          }
          throw error;
        }
      }
      if (phase !== "ready") {
        outcome = "unavailable";
        throw notReady();
      }
      const jam = wantsJam(request, url);
      const reply = await poke({
        type: "poke",
        jam: json === undefined ? body.buffer as ArrayBuffer : undefined,
        json,
        wire,
        reply: jam ? "jam" : "json",
      });
      if (reply.type === "pokeFailed") {
        outcome = outcomeOf(reply.error);
        throw errorFromWire(reply.error);
      }
      if (reply.type !== "poked") throw new Error(`unexpected writer reply ${reply.type}`);
      outcome = "ok";
      const headers = {
        "x-cellar-event": String(reply.eventNumber),
        "x-cellar-compute-ms": reply.computeMs.toFixed(3),
        "x-cellar-commit-ms": reply.commitMs.toFixed(3),
      };
      if (jam) {
        return new Response(new Uint8Array(reply.effectsJam!), {
          status: 200,
          headers: { "content-type": "application/x-jam", ...headers },
        });
      }
      return jsonResponse(
        {
          eventNumber: reply.eventNumber,
          effects: reply.effectsJson,
          computeMs: reply.computeMs,
          commitMs: reply.commitMs,
        },
        200,
        headers,
      );
    } finally {
      pokeCounter.inc(outcome);
      pokeLatency.observe((performance.now() - started) / 1000);
    }
  }

  async function handlePeek(request: Request, url: URL): Promise<Response> {
    const started = performance.now();
    let outcome = "error";
    try {
      const rest = url.pathname.slice("/peek".length);
      let path: string[];
      try {
        path = rest.split("/").filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
      } catch {
        outcome = "bad_request";
        throw new HttpError(400, "BadPath", "The peek path has a malformed %-escape");
      }
      if (path.length > 64) {
        outcome = "bad_request";
        throw new HttpError(400, "BadPath", "The peek path has more than 64 segments");
      }
      const jam = wantsJam(request, url);
      const pending = phase === "ready" ? peek(path, jam ? "jam" : "json") : null;
      if (pending === null) {
        outcome = "unavailable";
        throw phase === "ready"
          ? new HttpError(503, "Recovering", "The peek Workers are starting", {
            headers: { "retry-after": "1" },
          })
          : notReady();
      }
      const reply = await pending;
      if (reply.type === "peekFailed") {
        outcome = outcomeOf(reply.error);
        throw errorFromWire(reply.error);
      }
      if (reply.type !== "peeked") throw new Error(`unexpected peek reply ${reply.type}`);
      outcome = reply.kind;
      const headers = { "x-cellar-event": String(reply.eventNumber) };
      if (reply.kind === "unknown") {
        throw new HttpError(404, "NoSuchPath", `The kernel knows no path /${path.join("/")} (~)`, {
          headers,
          extra: { result: "unknown" },
        });
      }
      if (reply.kind === "empty") {
        throw new HttpError(
          404,
          "EmptyPath",
          `The path /${path.join("/")} exists but has no value ([~ ~])`,
          { headers, extra: { result: "empty" } },
        );
      }
      if (jam) {
        return new Response(new Uint8Array(reply.valueJam!), {
          status: 200,
          headers: { "content-type": "application/x-jam", ...headers },
        });
      }
      return jsonResponse({ eventNumber: reply.eventNumber, value: reply.valueJson }, 200, headers);
    } finally {
      peekCounter.inc(outcome);
      peekLatency.observe((performance.now() - started) / 1000);
    }
  }

  function methodCheck(request: Request, allowed: string): void {
    if (request.method !== allowed) {
      throw new HttpError(
        405,
        "MethodNotAllowed",
        `${request.method} is not allowed here; use ${allowed}`,
        { headers: { allow: allowed } },
      );
    }
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const p = url.pathname;
    if (p === "/") {
      methodCheck(request, "GET");
      return new Response(statusPageHtml(), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "content-security-policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        },
      });
    }
    if (p === "/status") {
      methodCheck(request, "GET");
      authorize(request, "status");
      return jsonResponse(statusBody(), 200, { "cache-control": "no-store" });
    }
    if (p === "/metrics") {
      methodCheck(request, "GET");
      authorize(request, "status");
      return new Response(metricsText(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (p === "/poke") {
      methodCheck(request, "POST");
      authorize(request, "poke");
      return await handlePoke(request, url);
    }
    if (p === "/peek" || p.startsWith("/peek/")) {
      methodCheck(request, "GET");
      authorize(request, "peek");
      return await handlePeek(request, url);
    }
    throw new HttpError(404, "NotFound", `No route ${p}: see docs/HTTP.md`);
  }

  async function handler(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = await route(request);
    } catch (error) {
      if (error instanceof HttpError) {
        response = errorResponse(error);
      } else {
        log(`cellar serve: internal error: ${error instanceof Error ? error.stack : error}`);
        response = errorResponse(new HttpError(500, "InternalError", describe(error)));
      }
    }
    httpCounter.inc(String(response.status));
    return response;
  }

  // ---------------------------------------------------------------- listen
  let listenUrl = "";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      onListen: (addr) => {
        const h = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        listenUrl = `http://${h}:${addr.port}/`;
      },
    }, handler);
  } catch (cause) {
    Atomics.store(new Int32Array(abortFlag), 0, 1);
    writer.terminate();
    const hint = cause instanceof Deno.errors.NotCapable
      ? ` (grant --allow-net=${host}:${port})`
      : "";
    throw new ServerStartError(`Cannot listen on ${host}:${port}: ${describe(cause)}${hint}`, {
      cause,
    });
  }
  if (listenUrl === "") {
    const a = server.addr;
    listenUrl = `http://${a.hostname}:${a.port}/`;
  }
  const historyTimer = setInterval(sampleHistory, historyEveryMs);

  let shutdownPromise: Promise<void> | null = null;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((res) => (resolveFinished = res));

  async function closeWorker(worker: Worker, closed: Promise<void>, ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([closed, new Promise((res) => (timer = setTimeout(res, ms)))]);
    clearTimeout(timer);
    worker.terminate();
  }

  function shutdown(): Promise<void> {
    if (shutdownPromise !== null) return shutdownPromise;
    shutdownPromise = (async () => {
      const wasRecovering = phase === "recovering";
      phase = "stopping";
      Atomics.store(new Int32Array(abortFlag), 0, 1);
      clearInterval(historyTimer);
      await server.shutdown();
      await Promise.all(peekers.map((p) => {
        const closed = new Promise<void>((res) => {
          const prev = p.worker.onmessage;
          p.worker.onmessage = (event) => {
            if ((event.data as PeekReply).type === "closed") res();
            else prev?.call(p.worker, event);
          };
        });
        p.worker.postMessage({ type: "close" } satisfies PeekRequest);
        return closeWorker(p.worker, closed, 5000);
      }));
      writer.postMessage({ type: "close" } satisfies WriterRequest);
      // A replay stops at the next event (the abort flag); a poke finishes first.
      await closeWorker(writer, writerClosed, wasRecovering ? 120_000 : 60_000);
      rejectReady(new ServerStartError("The server stopped before the runtime was ready"));
      resolveFinished();
    })();
    return shutdownPromise;
  }
  stopSelf = () => void shutdown();

  return {
    url: listenUrl,
    dataDir,
    ready,
    shutdown,
    finished,
    adminTokenPath,
    failure: () => failure,
  };
}

// -------------------------------------------------------------------- the command

/** What the server needs to read, write, load and listen on. */
export interface PermissionContext {
  dataDir: string;
  host: string;
  port: number;
  /** The kernel file given with --kernel, if any. */
  kernelPath?: string;
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/**
 * The permissions the process holds, probed by `Deno.permissions.query`: one line of what the
 * server needs (each should be `granted`) and warnings for anything it holds beyond that.
 */
export function permissionReport(
  context: PermissionContext,
): { lines: string[]; warnings: string[] } {
  const here = (rel: string) => decodeURIComponent(new URL(rel, import.meta.url).pathname);
  const lib = here("../../zig-out/lib");
  const needed: [string, Deno.PermissionDescriptor][] = [
    [`read ${context.dataDir}`, { name: "read", path: context.dataDir }],
    [`write ${context.dataDir}`, { name: "write", path: context.dataDir }],
    [`read ${here("../")}`, { name: "read", path: here("../") }],
    [`ffi ${lib}`, { name: "ffi", path: lib }],
    [`net ${context.host}:${context.port}`, {
      name: "net",
      host: `${context.host}:${context.port}`,
    }],
    ["env CELLAR_LIB", { name: "env", variable: "CELLAR_LIB" }],
  ];
  if (context.kernelPath) {
    needed.push([`read ${context.kernelPath}`, { name: "read", path: context.kernelPath }]);
  }
  const lines = needed.map(([what, d]) => `${what}: ${granted(d) ? "granted" : "NOT granted"}`);
  const warnings: string[] = [];
  const beyond: [string, Deno.PermissionDescriptor][] = [
    ["read of everything", { name: "read" }],
    ["read of /", { name: "read", path: "/" }],
    ["read of /etc", { name: "read", path: "/etc" }],
    ["read of /home", { name: "read", path: "/home" }],
    ["write of everything", { name: "write" }],
    ["write of /", { name: "write", path: "/" }],
    ["write of /tmp", { name: "write", path: "/tmp" }],
    ["write of /home", { name: "write", path: "/home" }],
    ["net to any host", { name: "net" }],
    ["net to example.com:443", { name: "net", host: "example.com:443" }],
    ["net on 0.0.0.0", { name: "net", host: `0.0.0.0:${context.port}` }],
    ["ffi of any library", { name: "ffi" }],
    ["ffi of /usr/lib", { name: "ffi", path: "/usr/lib" }],
    ["env of every variable", { name: "env" }],
    ["env HOME", { name: "env", variable: "HOME" }],
    ["run of any program", { name: "run" }],
    ["run of sh", { name: "run", command: "sh" }],
    ["run of /bin/sh", { name: "run", command: "/bin/sh" }],
    ["sys of everything", { name: "sys" }],
    ["sys hostname", { name: "sys", kind: "hostname" }],
    ["sys osRelease", { name: "sys", kind: "osRelease" }],
    ["sys networkInterfaces", { name: "sys", kind: "networkInterfaces" }],
  ];
  for (const [what, d] of beyond) {
    if (context.host === "0.0.0.0" && what === "net on 0.0.0.0") continue;
    if (granted(d)) warnings.push(what);
  }
  return { lines, warnings };
}

/** Attempts that the permission set must refuse, for `--probe-sandbox`. */
export function probeSandbox(dataDir: string): string[] {
  const out: string[] = [];
  const attempt = (what: string, fn: () => unknown) => {
    try {
      fn();
      out.push(`probe ${what}: allowed`);
    } catch (error) {
      const kind = error instanceof Deno.errors.NotCapable
        ? "denied"
        : error instanceof Error
        ? `failed (${error.name})`
        : "failed";
      out.push(`probe ${what}: ${kind}`);
    }
  };
  attempt("read /etc/hostname", () => Deno.readTextFileSync("/etc/hostname"));
  attempt("read /etc/passwd", () => Deno.readTextFileSync("/etc/passwd"));
  const outside = `${dataDir}/../cellar-probe-${crypto.randomUUID()}`;
  attempt(`write ${outside}`, () => {
    Deno.writeTextFileSync(outside, "x");
    Deno.removeSync(outside);
  });
  const inside = `${dataDir}/.cellar-probe-${crypto.randomUUID()}`;
  attempt(`write ${inside}`, () => {
    Deno.writeTextFileSync(inside, "x");
    Deno.removeSync(inside);
  });
  attempt("run /bin/true", () => new Deno.Command("/bin/true").outputSync());
  attempt("env HOME", () => Deno.env.get("HOME"));
  return out;
}

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
  --snapshot-every N      snapshot every N events (default 10000)
  --probe-sandbox         print the permissions held and try what they must refuse, then exit
  -h, --help              this help

Tokens: the first start of a data directory creates an admin token in DIR/admin.token.
`;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) throw new ServerStartError(`Bad --${name}: ${value}`);
  return Number(value);
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        data: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        kernel: { type: "string" },
        "body-limit": { type: "string" },
        "poke-timeout-ms": { type: "string" },
        "peek-timeout-ms": { type: "string" },
        "body-timeout-ms": { type: "string" },
        "snapshot-every": { type: "string" },
        "probe-sandbox": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    });
  } catch (error) {
    console.error(`cellar serve: ${describe(error)}\n\n${usage}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    console.log(usage);
    return 0;
  }
  const defaultData = decodeURIComponent(new URL("../../data", import.meta.url).pathname);
  const dataDir = v.data ?? defaultData;
  const host = v.host ?? "127.0.0.1";
  let running: RunningServer;
  try {
    const port = intOption("port", v.port) ?? 8080;
    if (v["probe-sandbox"]) {
      const report = permissionReport({ dataDir, host, port, kernelPath: v.kernel });
      for (const line of report.lines) console.log(`needed ${line}`);
      for (const w of report.warnings) console.log(`WARNING: holds ${w}`);
      for (const line of probeSandbox(dataDir)) console.log(line);
      return 0;
    }
    running = startServer({
      dataDir,
      host,
      port,
      kernelPath: v.kernel,
      bodyLimit: intOption("body-limit", v["body-limit"]),
      pokeTimeoutMs: intOption("poke-timeout-ms", v["poke-timeout-ms"]),
      peekTimeoutMs: intOption("peek-timeout-ms", v["peek-timeout-ms"]),
      bodyTimeoutMs: intOption("body-timeout-ms", v["body-timeout-ms"]),
      snapshotEveryEvents: intOption("snapshot-every", v["snapshot-every"]),
    });
    const report = permissionReport({
      dataDir: running.dataDir,
      host,
      port,
      kernelPath: v.kernel,
    });
    console.log(`cellar serve: listening on ${running.url}`);
    console.log(`cellar serve: data dir ${running.dataDir}`);
    console.log(`cellar serve: permissions: ${report.lines.join("; ")}`);
    if (report.warnings.length === 0) {
      console.log("cellar serve: permissions: nothing beyond the above");
    }
    if (report.warnings.length > 0) {
      const bar = "!".repeat(78);
      console.log(bar);
      console.log("!! WARNING: this server holds more permissions than it needs:");
      for (const w of report.warnings) console.log(`!!   - ${w}`);
      console.log("!! Run it with `./cellar serve` (deno run -P=serve) to drop them.");
      console.log(bar);
    }
    if (running.adminTokenPath) {
      console.log(
        `cellar serve: first run: an admin token was written to ${running.adminTokenPath} (mode 0600)`,
      );
    }
  } catch (error) {
    console.error(`cellar serve: ${describe(error)}`);
    return 1;
  }
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      console.error("cellar serve: second signal, exiting now");
      Deno.exit(130);
    }
    console.log("cellar serve: shutting down (finishing the request in flight)");
    running.shutdown();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 0;
  running.ready.then((b) => {
    console.log(
      `cellar serve: booted at event ${b.eventNumber} (level ${b.level} ${b.name}, ${b.replayed} replayed, ${
        Math.round(b.bootMs)
      } ms): ${b.detail}`,
    );
    for (const w of b.warnings) console.log(`cellar serve: boot warning: ${w}`);
  }, (error) => {
    if (signals === 0) {
      console.error(`cellar serve: ${describe(error)}`);
      code = 1;
    }
  });
  await running.finished;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  const failed = running.failure();
  if (failed !== null && signals === 0) {
    if (code === 0) console.error(`cellar serve: ${failed}`);
    code = 1;
  }
  console.log(`cellar serve: stopped${code === 0 ? "" : " (failed)"}`);
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
