/**
 * What the server knows about itself: its phase, the writer's last status, a history of the
 * slab's size, and the request counters. From these it answers `/status` (JSON), `/metrics`
 * (one table of metric families) and the 503 a request gets while the runtime cannot serve.
 * It holds no Worker: tests drive it by hand.
 *
 * @module
 */

import { type OperationProgress, withNativeLatest } from "../runtime/progress.ts";
import type { BootReport, ReplayProgress } from "../runtime/runtime.ts";
import { HttpError } from "./http_util.ts";
import { hostTarget } from "../core/library.ts";
import { manifest } from "../core/_libs.ts";
import { labelKey, latencyBuckets, MetricSet, quantile } from "./metrics.ts";
import type { Family, Histogram, LabelledCounter, LabelledHistogram } from "./metrics.ts";
import { sampleProcess } from "./process_metrics.ts";
import type { ProcessSample } from "./process_metrics.ts";
import type { Limits } from "./options.ts";
import type { WriterStatus } from "./protocol.ts";
import type { ClusterStatus } from "./cluster_member.ts";

/** Where the server is in its life. */
export type Phase = "recovering" | "ready" | "failed" | "stopping";

/** Health of the server (see `docs/HTTP.md`). */
export type Health = "healthy" | "nearly-full" | "growing" | "stale" | "recovering" | "failed";

/** Outcomes of a poke, as counted. */
export const pokeOutcomes: readonly string[] = [
  "ok",
  "bad_request",
  "crash",
  "timeout",
  "unavailable",
  "error",
];

/** Outcomes of a peek, as counted. */
export const peekOutcomes: readonly string[] = [
  "value",
  "empty",
  "unknown",
  "bad_request",
  "crash",
  "timeout",
  "unavailable",
  "error",
];

const historyLength = 720;
/** The window of `/status`'s event rate. */
const rateWindowMs = 60 * 1000;
const growingWindowMs = 5 * 60 * 1000;
const progressLineEveryMs = 2000;

/** The Zig the package's libraries are built with (the pin in `./cellar`). */
export const zigVersion = "0.15.1";

/** `cellar_build_info` and the `process_*` families every Prometheus client exports. */
const processFamilies: readonly Family<Observability>[] = [
  {
    name: "cellar_build_info",
    help: "Always 1: the package version, Zig of its libraries, Deno running it, host target.",
    type: "gauge",
    value: () => 1,
    labels: () => ({
      version: manifest.version,
      zig: zigVersion,
      deno: Deno.version.deno,
      target: hostTarget(),
    }),
  },
  {
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds.",
    type: "counter",
    value: (o) => o.process.cpuSeconds,
  },
  {
    name: "process_resident_memory_bytes",
    help: "Resident memory size.",
    type: "gauge",
    value: (o) => o.process.residentBytes,
  },
  {
    name: "process_virtual_memory_bytes",
    help: "Virtual memory size (Linux with /proc readable only).",
    type: "gauge",
    value: (o) => o.process.virtualBytes,
  },
  {
    name: "process_open_fds",
    help: "Open file descriptors (Linux with /proc readable only).",
    type: "gauge",
    value: (o) => o.process.openFds,
  },
  {
    name: "process_max_fds",
    help: "Limit of open file descriptors (Linux with /proc readable only).",
    type: "gauge",
    value: (o) => o.process.maxFds,
  },
  {
    name: "process_start_time_seconds",
    help: "When the process started, in seconds since the Unix epoch.",
    type: "gauge",
    value: (o) => o.process.startTimeSeconds,
  },
];

/** The cluster families of `/metrics` (cluster mode only; `cluster_member.ts`). */
const clusterFamilies: readonly Family<Observability>[] = [
  {
    name: "cellar_cluster_leader",
    help: "1 while this member leads its cluster, else 0.",
    type: "gauge",
    value: (o) => (o.cluster?.().role === "leader" ? 1 : 0),
  },
  {
    name: "cellar_cluster_lag_events",
    help: "Events in the stream this member has not applied yet.",
    type: "gauge",
    value: (o) => o.cluster?.().lagEvents ?? 0,
  },
  {
    name: "cellar_cluster_lag_ms",
    help: "Milliseconds since the oldest event not yet applied arrived (0 when caught up).",
    type: "gauge",
    value: (o) => o.cluster?.().lagMs ?? 0,
  },
];

/** The metric families of `/metrics`, in the order they are written. */
const families: readonly Family<Observability>[] = [
  {
    name: "cellar_up",
    help: "1 when the runtime is open and serving, 0 while recovering or after a failure.",
    type: "gauge",
    value: (o) => (o.phase === "ready" ? 1 : 0),
  },
  {
    name: "cellar_events_total",
    help: "Events accepted by the data directory (the current event number).",
    type: "counter",
    value: (o) => o.latest?.status.eventNumber ?? 0n,
  },
  {
    name: "cellar_pokes_total",
    help: "Pokes by outcome.",
    type: "counter",
    label: "outcome",
    known: pokeOutcomes,
  },
  {
    name: "cellar_peeks_total",
    help: "Peeks by outcome.",
    type: "counter",
    label: "outcome",
    known: peekOutcomes,
  },
  {
    name: "cellar_http_requests_total",
    help: "HTTP responses by status code.",
    type: "counter",
    label: "code",
  },
  {
    name: "cellar_http_requests_in_flight",
    help: "Requests in progress (a body being read, a poke or peek waiting).",
    type: "gauge",
    value: (o) => o.inFlight,
  },
  {
    name: "cellar_http_route_requests_total",
    help: "HTTP responses by route (the route table's path) and status class (2xx, 4xx, 5xx).",
    type: "counter",
    label: ["route", "status_class"],
  },
  {
    name: "cellar_http_request_duration_seconds",
    help: "HTTP response latency by route (to the response's head; a stream's body is not timed).",
    type: "histogram",
    buckets: latencyBuckets,
    label: "route",
  },
  {
    name: "cellar_peek_worker_restarts_total",
    help: "Peek Workers replaced: stopped by the watchdog past their time limit, or crashed.",
    type: "counter",
    label: "reason",
    known: ["timeout", "crash"],
  },
  {
    name: "cellar_poke_duration_seconds",
    help: "Poke latency as served (queue, compute, commit).",
    type: "histogram",
    buckets: latencyBuckets,
  },
  {
    name: "cellar_peek_duration_seconds",
    help: "Peek latency as served.",
    type: "histogram",
    buckets: latencyBuckets,
  },
  {
    name: "cellar_slab_capacity_bytes",
    help: "Size of the PMA slab file.",
    type: "gauge",
    value: (o) => o.latest?.status.pma.capacityBytes ?? 0,
  },
  {
    name: "cellar_slab_used_bytes",
    help: "Bytes in use in the PMA slab.",
    type: "gauge",
    value: (o) => o.latest?.status.pma.usedBytes ?? 0,
  },
  {
    name: "cellar_slab_live_bytes",
    help: "Live bytes of the PMA slab after its last GC (0 before the first).",
    type: "gauge",
    value: (o) => o.latest?.status.pma.liveBytesAfterGc ?? 0,
  },
  {
    name: "cellar_slab_reserve_bytes",
    help: "Address space reserved for the PMA slab.",
    type: "gauge",
    value: (o) => o.latest?.status.pma.reserveBytes ?? 0,
  },
  {
    name: "cellar_slab_growths_total",
    help: "Times the PMA slab file grew in place.",
    type: "counter",
    value: (o) => o.latest?.status.pma.growthCount ?? 0,
  },
  {
    name: "cellar_log_size_bytes",
    help: "Size of the event log (SQLite database and its write-ahead log).",
    type: "gauge",
    value: (o) => o.latest?.status.logBytes ?? null,
  },
  {
    name: "cellar_snapshot_age_seconds",
    help: "Age of the newest snapshot (absent before the first).",
    type: "gauge",
    value: (o) => o.snapshotAgeSeconds(),
  },
  {
    name: "cellar_last_gc_timestamp_seconds",
    help:
      "When the last PMA GC finished, in seconds since the Unix epoch (absent before the first).",
    type: "gauge",
    value: (o) => (o.latest?.status.lastGc ? o.latest.status.lastGc.at / 1000 : null),
  },
  {
    name: "cellar_last_gc_duration_seconds",
    help: "Duration of the last PMA GC, scan and copy (absent before the first).",
    type: "gauge",
    value: (o) => {
      const gc = o.latest?.status.lastGc;
      return gc ? (gc.scanMs + gc.gcMs) / 1000 : null;
    },
  },
  {
    name: "cellar_group_size",
    help: "Pokes committed together with one flush (group commit), per group.",
    type: "histogram",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  },
  {
    name: "cellar_gc_duration_seconds",
    help: "PMA GC durations (scan + copy).",
    type: "histogram",
    buckets: latencyBuckets,
  },
  {
    name: "cellar_snapshot_duration_seconds",
    help: "Snapshot write durations.",
    type: "histogram",
    buckets: latencyBuckets,
  },
  {
    name: "cellar_scrub_bytes_total",
    help: "Bytes of slab data the background scrub checked against their checksums.",
    type: "counter",
    value: (o) => o.latest?.scrub?.scrubbedBytes ?? 0,
  },
  {
    name: "cellar_scrub_passes_total",
    help: "Whole passes of the background scrub over the slab's data.",
    type: "counter",
    value: (o) => o.latest?.scrub?.passes ?? 0,
  },
  {
    name: "cellar_scrub_faults_total",
    help: "Data faults the background scrub found (one stops it and the state is not served).",
    type: "counter",
    value: (o) => o.latest?.scrub?.faults ?? 0,
  },
  {
    name: "cellar_boot_level",
    help:
      "Recovery level of the last boot (0 new, 1 PMA, 2 snapshot, 3 older snapshot, 4 full replay; -1 while booting).",
    type: "gauge",
    value: (o) => o.boot?.level ?? -1,
  },
  {
    name: "cellar_boot_duration_seconds",
    help: "Duration of the last boot.",
    type: "gauge",
    value: (o) => (o.boot ? o.boot.bootMs / 1000 : 0),
  },
  {
    name: "cellar_uptime_seconds",
    help: "Seconds since the server started.",
    type: "gauge",
    value: (o) => o.uptimeSeconds(),
  },
  ...processFamilies,
];

/** The names of the metric families `/metrics` may write, in table order. */
export const metricFamilyNames: readonly string[] = families.map((f) => f.name);

/** Settings {@linkcode Observability} reports. */
export interface ObservabilityOptions {
  dataDir: string;
  limits: Limits;
  /** The snapshot interval (the runtime's default 10,000 when absent; 0: never). */
  snapshotEveryEvents?: number;
}

/** One sample of the slab's size, every few seconds. */
export interface HistoryPoint {
  t: number;
  capacityBytes: number;
  usedBytes: number;
}

/** The server's state and counters, and what `/status` and `/metrics` make of them. */
export class Observability {
  /** Where the server is in its life. */
  phase: Phase = "recovering";
  /** Why the runtime failed, or null. */
  failure: string | null = null;
  /** The last replay progress (while recovering). */
  progress: ReplayProgress | null = null;
  /** The long operation running in the writer (GC, snapshot, replay), if any. */
  operation: OperationProgress | null = null;
  /** How the runtime booted, once it has. */
  boot: BootReport | null = null;
  /** The writer's last status. */
  latest: WriterStatus | null = null;
  /** Samples of the slab's size, oldest first (the last hour). */
  readonly history: HistoryPoint[] = [];
  readonly options: ObservabilityOptions;
  readonly startedAt: number = Date.now();
  readonly pokes: LabelledCounter;
  readonly peeks: LabelledCounter;
  readonly responses: LabelledCounter;
  readonly peekerRestarts: LabelledCounter;
  /** Requests in progress (see {@linkcode Observability.admit}). */
  inFlight = 0;
  readonly pokeSeconds: Histogram;
  readonly peekSeconds: Histogram;
  readonly gcSeconds: Histogram;
  readonly snapshotSeconds: Histogram;
  readonly groupSizes: Histogram;
  readonly routeResponses: LabelledCounter;
  readonly routeSeconds: LabelledHistogram;
  /** The process's numbers, read at each `/metrics`. */
  process: ProcessSample = sampleProcess();
  /** Cluster mode: the member's state (`cluster_member.ts`), else null. */
  cluster: (() => ClusterStatus) | null = null;
  #metrics: MetricSet<Observability>;
  #lastGrowth: { count: number; at: number } | null = null;
  #grewAt: number | null = null;
  #lastProgressLine = 0;
  /** Event numbers of the last minute or so, for the event rate. */
  #eventSamples: { t: number; eventNumber: bigint }[] = [];

  constructor(options: ObservabilityOptions, clustered = false) {
    this.options = options;
    this.#metrics = new MetricSet(clustered ? [...families, ...clusterFamilies] : families);
    this.pokes = this.#metrics.counter("cellar_pokes_total");
    this.peeks = this.#metrics.counter("cellar_peeks_total");
    this.responses = this.#metrics.counter("cellar_http_requests_total");
    this.peekerRestarts = this.#metrics.counter("cellar_peek_worker_restarts_total");
    this.pokeSeconds = this.#metrics.histogram("cellar_poke_duration_seconds");
    this.peekSeconds = this.#metrics.histogram("cellar_peek_duration_seconds");
    this.gcSeconds = this.#metrics.histogram("cellar_gc_duration_seconds");
    this.snapshotSeconds = this.#metrics.histogram("cellar_snapshot_duration_seconds");
    this.groupSizes = this.#metrics.histogram("cellar_group_size");
    this.routeResponses = this.#metrics.counter("cellar_http_route_requests_total");
    this.routeSeconds = this.#metrics.histograms("cellar_http_request_duration_seconds");
  }

  /** Count a response of `route` (its path in the route table) with `status`, which took
   * `seconds` to its head. */
  takeResponse(route: string, status: number, seconds: number): void {
    this.responses.inc(String(status));
    this.routeResponses.inc(labelKey([route, `${Math.floor(status / 100)}xx`]));
    this.routeSeconds.of(route).observe(seconds);
  }

  /** Seconds since the newest snapshot was written, or null when there is none. */
  snapshotAgeSeconds(): number | null {
    const latest = this.latest;
    if (latest === null || latest.status.snapshots.length === 0) return null;
    const youngest = Math.min(...latest.status.snapshots.map((s) => s.ageMs));
    return (youngest + Date.now() - latest.at) / 1000;
  }

  /** Take a replay's progress; returns a line for the log every 2 s and at the end. */
  takeProgress(progress: ReplayProgress): string | null {
    this.progress = progress;
    // The log is not a terminal bar (it may be a file): a line now and then is enough.
    const now = performance.now();
    if (now - this.#lastProgressLine < progressLineEveryMs && progress.done !== progress.total) {
      return null;
    }
    this.#lastProgressLine = now;
    const rate = progress.done / Math.max(progress.elapsedMs / 1000, 0.001);
    return `cellar serve: replaying the log: ${progress.done} of ${progress.total} events ` +
      `(event ${progress.eventNumber}, ${rate.toFixed(0)} events/s)`;
  }

  /** Take the writer's status, with the durations of a GC or snapshot it just ran. */
  takeStatus(status: WriterStatus, gcMs?: number, snapshotMs?: number): void {
    this.latest = status;
    this.#takeScrubFault();
    const growth = status.status.pma.growthCount;
    if (this.#lastGrowth !== null && growth > this.#lastGrowth.count) this.#grewAt = status.at;
    this.#lastGrowth = { count: growth, at: status.at };
    if (gcMs !== undefined) this.gcSeconds.observe(gcMs / 1000);
    if (snapshotMs !== undefined) this.snapshotSeconds.observe(snapshotMs / 1000);
    for (const size of status.groupSizes ?? []) this.groupSizes.observe(size);
  }

  /**
   * A poke's event was answered: `/status` and `/metrics` show it from now on, though the
   * writer's status after that event may arrive after the client's next request.
   */
  takeEvent(eventNumber: bigint): void {
    const latest = this.latest;
    if (latest === null || eventNumber <= latest.status.eventNumber) return;
    this.latest = { ...latest, status: { ...latest.status, eventNumber } };
  }

  /** The writer opened the runtime (the server is ready once a peek Worker is too). */
  booted(boot: BootReport, status: WriterStatus): void {
    this.boot = boot;
    this.takeStatus(status);
    this.sampleHistory();
  }

  /** A peek Worker is ready: the first time after boot, the server is; returns the boot
   * report then, else null. */
  markReady(): BootReport | null {
    if (this.phase !== "recovering" || this.boot === null) return null;
    this.phase = "ready";
    this.#takeScrubFault();
    return this.boot;
  }

  /** A fault the scrub found: nothing more is served from this state (a restart recovers,
   * since the PMA recorded the fault). */
  #takeScrubFault(): void {
    const fault = this.latest?.scrub?.fault;
    if (!fault || this.phase !== "ready") return;
    this.phase = "failed";
    this.failure = `the scrub found a data fault in the PMA: ${fault.message}; restart the ` +
      "server to recover the state from a snapshot and the log";
  }

  /** The runtime failed (a failure while stopping keeps the phase `stopping`). */
  fail(message: string): void {
    if (this.phase !== "stopping") this.phase = "failed";
    this.failure = message;
  }

  /** The server is stopping; returns whether it was still recovering. */
  markStopping(): boolean {
    const wasRecovering = this.phase === "recovering";
    this.phase = "stopping";
    return wasRecovering;
  }

  /** Add the slab's current size to the history. */
  sampleHistory(): void {
    if (this.latest === null) return;
    const { capacityBytes, usedBytes } = this.latest.status.pma;
    const now = Date.now();
    this.history.push({ t: now, capacityBytes, usedBytes });
    this.#eventSamples.push({ t: now, eventNumber: this.latest.status.eventNumber });
    while (this.#eventSamples.length > 2 && now - this.#eventSamples[1].t >= rateWindowMs) {
      this.#eventSamples.shift();
    }
    if (this.history.length > historyLength) {
      this.history.splice(0, this.history.length - historyLength);
    }
  }

  /** Events per second over about the last minute; null until a second has passed. */
  eventRate(): number | null {
    const first = this.#eventSamples[0];
    const latest = this.latest;
    if (first === undefined || latest === null) return null;
    const seconds = (Date.now() - first.t) / 1000;
    if (seconds < 1) return null;
    return Number(latest.status.eventNumber - first.eventNumber) / seconds;
  }

  /** What `/status` shows of latency (p50, p99 in ms) and errors. */
  requestSummary(): Record<string, unknown> {
    const ms = (h: Histogram, q: number) => {
      const seconds = quantile(h, q);
      return seconds === null ? null : Math.round(seconds * 1e6) / 1e3;
    };
    const failed = (c: LabelledCounter, fine: string[]) =>
      [...c.values].reduce((sum, [k, v]) => (fine.includes(k) ? sum : sum + v), 0);
    const http = (digit: string) =>
      [...this.responses.values].reduce((sum, [k, v]) => (k[0] === digit ? sum + v : sum), 0);
    return {
      latencyMs: {
        poke: { p50: ms(this.pokeSeconds, 0.5), p99: ms(this.pokeSeconds, 0.99) },
        peek: { p50: ms(this.peekSeconds, 0.5), p99: ms(this.peekSeconds, 0.99) },
      },
      errors: {
        pokes: failed(this.pokes, ["ok"]),
        peeks: failed(this.peeks, ["value", "empty", "unknown"]),
        http4xx: http("4"),
        http5xx: http("5"),
      },
      eventRate: this.eventRate(),
    };
  }

  /** Seconds since the server started. */
  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  /**
   * Count a request in; a 503 (`Busy`, closing the connection) when `maxConnections` are
   * already in progress. Each request admitted must be {@linkcode Observability.release}d.
   */
  admit(): void {
    if (this.inFlight >= this.options.limits.maxConnections) {
      throw new HttpError(
        503,
        "Busy",
        `The server has ${this.inFlight} requests in progress, its limit: try again shortly`,
        { headers: { "retry-after": "1", connection: "close" } },
      );
    }
    this.inFlight++;
  }

  /** A request admitted by {@linkcode Observability.admit} is done. */
  release(): void {
    this.inFlight--;
  }

  /** The 503 for a request the runtime cannot serve in this phase. */
  unavailable(): HttpError {
    if (this.phase === "stopping") {
      return new HttpError(503, "ShuttingDown", "The server is shutting down", {
        headers: { "retry-after": "5", connection: "close" },
      });
    }
    if (this.phase === "failed") {
      return new HttpError(503, "Failed", `The runtime failed: ${this.failure}`, {
        headers: { "retry-after": "30" },
      });
    }
    const p = this.progress;
    const done = p ? ` (replayed ${p.done} of ${p.total} events)` : "";
    return new HttpError(503, "Recovering", `The runtime is still booting${done}`, {
      headers: { "retry-after": "1" },
    });
  }

  /** Liveness (`/healthz`): false only once the runtime failed (a restart may help). */
  live(): boolean {
    return this.phase !== "failed" && this.failure === null;
  }

  /** Readiness (`/readyz`): booted, a peek Worker up, the writer reporting and able to
   * commit, not stopping. */
  ready(): boolean {
    if (this.phase !== "ready") return false;
    const health = this.health();
    return health !== "failed" && health !== "recovering";
  }

  /** The health of the server (see `docs/HTTP.md`). */
  health(): Health {
    if (this.phase === "failed") return "failed";
    if (this.phase === "recovering" || this.latest === null) return "recovering";
    const { pma, snapshots, eventNumber, commit } = this.latest.status;
    // The writer cannot commit (a full disk): pokes get 507 until a retry works.
    if (commit?.stalled) return "failed";
    if (pma.usedBytes > 0.9 * pma.reserveBytes) return "nearly-full";
    const every = this.options.snapshotEveryEvents ?? 10_000;
    if (every > 0) {
      const newest = snapshots.reduce((max, s) => (s.eventNumber > max ? s.eventNumber : max), 0n);
      if (eventNumber - newest > BigInt(2 * every)) return "stale";
    }
    if (this.#grewAt !== null && Date.now() - this.#grewAt < growingWindowMs) return "growing";
    return "healthy";
  }

  /**
   * The body of `/status`. The data directory's path is shown only to `admin` tokens
   * (`showDataDir`); others see null.
   */
  statusBody(showDataDir = true): Record<string, unknown> {
    const s = this.latest?.status;
    const elapsed = this.latest ? Date.now() - this.latest.at : 0;
    const p = this.progress;
    return {
      health: this.health(),
      phase: this.phase,
      operation: operationBody(this.operation && withNativeLatest(this.operation)),
      failure: this.failure,
      eventNumber: s?.eventNumber ?? null,
      kernelHash: s?.kernelHash ?? null,
      dataDir: showDataDir ? this.options.dataDir : null,
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
      commit: s?.commit ?? null,
      scrub: this.latest?.scrub ?? null,
      snapshots: (s?.snapshots ?? []).map((snap) => ({
        name: snap.name,
        kind: snap.kind,
        eventNumber: snap.eventNumber,
        bytes: snap.bytes,
        ageSeconds: Math.round((snap.ageMs + elapsed) / 100) / 10,
      })),
      boot: this.boot ? bootBody(this.boot) : null,
      recovery: this.phase === "recovering" && p
        ? { done: p.done, total: p.total, eventNumber: p.eventNumber }
        : null,
      uptimeSeconds: this.uptimeSeconds(),
      pokes: this.pokes.total(),
      peeks: this.peeks.total(),
      pokeOutcomes: Object.fromEntries(pokeOutcomes.map((o) => [o, this.pokes.get(o)])),
      peekOutcomes: Object.fromEntries(peekOutcomes.map((o) => [o, this.peeks.get(o)])),
      ...this.requestSummary(),
      limits: this.options.limits,
      history: this.history,
      ...(this.cluster ? { cluster: this.cluster() } : {}),
    };
  }

  /** The body of `/metrics`: the Prometheus text exposition (0.0.4). */
  metricsText(): string {
    this.process = sampleProcess();
    return this.#metrics.render(this);
  }
}

function bootBody(boot: BootReport): Record<string, unknown> {
  return {
    level: boot.level,
    name: boot.name,
    detail: boot.detail,
    skipped: boot.skipped,
    replayed: boot.replayed,
    bootMs: Math.round(boot.bootMs),
    eventNumber: boot.eventNumber,
    warnings: boot.warnings,
  };
}

/** `/status`'s `operation`: what runs, how far (bytes or events), since when. */
function operationBody(op: OperationProgress | null): Record<string, unknown> | null {
  if (op === null) return null;
  return {
    kind: op.kind,
    phase: op.phase,
    [op.unit === "bytes" ? "doneBytes" : "doneEvents"]: op.done,
    total: op.total,
    startedAt: new Date(op.startedAt).toISOString(),
    elapsedMs: Math.round(op.elapsedMs),
  };
}
