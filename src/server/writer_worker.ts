/**
 * The server's writer: a Worker that owns the data directory's {@linkcode Runtime}. Its
 * messages are handled one at a time in arrival order. Pokes come in batches (the pokes that
 * arrived while the previous batch was being committed, see `writer_client.ts`): the batch
 * is committed as a group with `pokeMany` (one flush), every poke is answered once its group
 * is durable, then due maintenance (PMA GC, snapshot) runs before the next message.
 *
 * When commits stall (the disk is full, say), pokes are answered `507 CommitStalled` with a
 * `Retry-After`, the status says so at once, and a timer retries the commit (`retryCommit`)
 * until it works; then pokes are accepted again.
 *
 * Between messages a timer scrubs the slab: `scrubStepBytes` of its data checked against
 * their checksums and its cached mugs every `scrubEveryMs` (about 80 MiB/s; a 1 MiB step
 * takes 0.3 ms of sums, up to about 2.5 ms where every small cell has its mug cached, so a
 * poke waits at most that), and a rest of `scrubRestMs` before the first pass (the peek
 * Workers open first) and between passes. A fault stops the scrub and goes out in the
 * status at once: the server
 * then serves nothing from this state, and the PMA (which refuses commits from then on)
 * records the fault, so the next start recovers from a snapshot and the log.
 *
 * @module
 */

import { NockError } from "../core/errors.ts";
import { machineId } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { Runtime } from "../runtime/runtime.ts";
import type { PokeOutcome, PokeRequest, RuntimeStatus } from "../runtime/runtime.ts";
import { nounFromJson, nounToJson } from "../core/json.ts";
import { jsonOptionsOf } from "./protocol.ts";
import type { PmaFault, PmaScrubProgress } from "../runtime/pma.ts";
import type {
  PokeAnswer,
  PokeItem,
  ScrubStatus,
  WireError,
  WriterReply,
  WriterRequest,
  WriterStatus,
} from "./protocol.ts";
import { ownBuffer, wireError } from "./worker_errors.ts";
import { wireNoun } from "../runtime/wire.ts";
import type { WireLike } from "../runtime/wire.ts";
import { effectsMessage } from "./effects_stream.ts";
import { onProgress } from "../runtime/progress.ts";
import type { EffectsMessage } from "./effects_stream.ts";
import { answerTags, kernelAnswers } from "../drivers/http_kernel.ts";
import type { AttachedDrivers, CommitOutcome } from "../drivers/attached.ts";
import { writerDrivers } from "./writer_drivers.ts";
import { createLogger } from "./logger.ts";
import type { Logger } from "./logger.ts";
import { clusterHooks, clusterMessage, NotLeaderError } from "./cluster_writer.ts";
import { finishWriterProfile, profileReply, startWriterProfile } from "./writer_profile.ts";

/** Status after groups goes out at most this often (the timer covers the rest). */
const statusEveryMs = 100;
/** The background scrub: bytes per step, the time between steps, and between passes. */
const scrubStepBytes = 2 ** 20;
const scrubEveryMs = 12;
const scrubRestMs = 2000;

const port = self as unknown as Worker;
let runtime: Runtime | null = null;
/** Set by the main thread when the server stops (`WriterClient.abort`). */
let stopping: Int32Array | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** Group sizes not yet reported, and when the last status went out. */
let groupSizes: number[] = [];
let lastStatusAt = 0;
/** The kernel serves HTTP: its response effects are parsed, bodies up to this; else null. */
let httpResponseLimit: number | null = null;
let scrubTimer: ReturnType<typeof setTimeout> | undefined;
const scrub: ScrubStatus = {
  passes: 0,
  scrubbedBytes: 0,
  passCheckedBytes: 0,
  passTotalBytes: 0,
  unverifiedBytes: 0,
  faults: 0,
  fault: null,
  lastPassAt: null,
};
/** The drivers carrying out committed effects (see `writer_drivers.ts`). */
let drivers: AttachedDrivers | null = null;
/** The writer's log, in the server's `--log-format` (set by `open`). */
let log: Logger = createLogger("text");

/** Long operations reach `/status`: at their start and end, and at most 4 times a second. */
let operationSentAt = 0;
onProgress((operation, ended) => {
  const now = performance.now();
  if (!ended && operation.done > 0 && now - operationSentAt < 250) return;
  operationSentAt = now;
  send({ type: "operation", operation: ended ? null : operation });
});

function send(message: WriterReply, transfer: Transferable[] = []): void {
  port.postMessage(message, transfer);
}

function snapshotStatus(): WriterStatus {
  const status: RuntimeStatus = runtime!.status();
  const sizes = groupSizes;
  groupSizes = [];
  lastStatusAt = performance.now();
  return { status, at: Date.now(), groupSizes: sizes, scrub: { ...scrub } };
}

/** One step of the background scrub, then the next (none after a fault or a close). */
function scrubTick(): void {
  scrubTimer = undefined;
  if (runtime === null || scrub.fault !== null) return;
  let step: PmaScrubProgress;
  try {
    step = runtime.scrubStep(scrubStepBytes);
  } catch (error) {
    log.warn(`the scrub stopped: ${error instanceof Error ? error.message : error}`);
    return;
  }
  const fault = takeScrubStep(step);
  if (fault !== null) {
    log.warn(
      `the scrub found a data fault, the state is no longer served: ` +
        `${fault.message}; restart to recover from a snapshot and the log`,
    );
    send({ type: "status", status: snapshotStatus() });
    return;
  }
  scrubTimer = setTimeout(scrubTick, step.passDone ? scrubRestMs : scrubEveryMs);
}

/**
 * Count a step's bytes (a pass that started over, after a GC say, counts from 0); returns
 * the fault it found, or null.
 */
function takeScrubStep(step: PmaScrubProgress): PmaFault | null {
  const before = scrub.passCheckedBytes;
  scrub.scrubbedBytes += step.checkedBytes >= before
    ? step.checkedBytes - before
    : step.checkedBytes;
  scrub.passes = step.passes;
  scrub.passCheckedBytes = step.passDone ? 0 : step.checkedBytes;
  scrub.passTotalBytes = step.totalBytes;
  scrub.unverifiedBytes = step.unverifiedBytes;
  scrub.faults = step.faults;
  scrub.fault = step.fault;
  if (step.passDone) scrub.lastPassAt = Date.now();
  return step.newFault;
}

/** An AbortSignal-like view of a flag the main thread sets (Runtime only reads `aborted`). */
function sharedSignal(flag: Int32Array): AbortSignal {
  return {
    get aborted() {
      return Atomics.load(flag, 0) !== 0;
    },
  } as AbortSignal;
}

/**
 * The drivers that carry out committed effects (`--files`, `--timer`, wake-ups); a cluster
 * member's start not leading.
 */
function startDrivers(request: Extract<WriterRequest, { type: "open" }>): AttachedDrivers {
  return writerDrivers(request.dataDir, request.drivers, {
    leading: request.cluster === undefined,
    commit: commitLocal,
    event: (eventNumber) => runtime?.log.get(eventNumber) ?? null,
    log: (line) => log.warn(line),
    print: (text) => log.line(text),
    elsewhere: httpResponseLimit === null ? [] : answerTags,
    // Every effect is in its poke's answer and on GET /effects: only no driver acts on it.
    unclaimedFate: "they reach HTTP clients only (poke answers and GET /effects)",
  });
}

function open(request: Extract<WriterRequest, { type: "open" }>): void {
  log = createLogger(request.logFormat ?? "text");
  httpResponseLimit = request.httpResponseLimit ?? null;
  send({ type: "machine", machine: machineId() });
  stopping = request.abort ? new Int32Array(request.abort) : null;
  const cluster = request.cluster === undefined ? undefined : clusterHooks(
    request.cluster,
    () => runtime?.kernelHash ?? "",
    send,
    () => drivers?.poking ?? null,
  );
  try {
    // In cluster mode the drivers' pokes go through the stream as every poke does (the
    // hooks), and they act only while this member leads.
    drivers = startDrivers(request);
    runtime = Runtime.open({
      dataDir: request.dataDir,
      kernel: request.kernel ? new Uint8Array(request.kernel) : undefined,
      pokeLimits: { timeoutMs: request.pokeTimeoutMs },
      snapshotEveryEvents: request.snapshotEveryEvents,
      autoMaintain: false,
      onProgress: (progress) => send({ type: "progress", progress }),
      onGroup: (size) => (groupSizes.push(size), cluster?.onGroup(size)),
      onComputed: cluster === undefined ? drivers.computed : (event) => {
        cluster.onComputed(event);
        drivers?.computed(event);
      },
      beforeCommit: cluster?.beforeCommit,
      signal: stopping ? sharedSignal(stopping) : undefined,
    });
  } catch (error) {
    send({ type: "fatal", error: wireError(error, "poke") });
    return;
  }
  // The events from here on; not the boot's replay.
  startWriterProfile(request.profile);
  send({ type: "ready", boot: runtime.bootReport, status: snapshotStatus() });
  drivers?.start().catch((error) => log.warn(`the drivers failed: ${error}`));
  // The maintenance that a long replay may have made due.
  maintain();
  timer = setInterval(() => {
    if (runtime !== null) send({ type: "status", status: snapshotStatus() });
  }, 2000);
  // The first pass waits a rest, so that the peek Workers open their replicas first: a fault
  // recorded before they do makes them refuse the directory, and the server stop.
  scrubTimer = setTimeout(scrubTick, scrubRestMs);
}

function maintain(): void {
  if (runtime === null) return;
  const due = runtime.maintenanceDue();
  if (!due.gc && !due.snapshot) return;
  const before = runtime.status();
  const gcBefore = before.lastGc?.at;
  const snapshotBefore = before.lastSnapshot?.at;
  try {
    runtime.maintain();
  } catch (error) {
    log.warn(`maintenance failed: ${error instanceof Error ? error.message : error}`);
  }
  const status = snapshotStatus();
  const gc = status.status.lastGc;
  const snap = status.status.lastSnapshot;
  send({
    type: "status",
    status,
    gcMs: gc && gc.at !== gcBefore ? gc.gcMs + gc.scanMs : undefined,
    snapshotMs: snap && snap.at !== snapshotBefore ? snap.writeMs : undefined,
  });
}

/** A committed event's effects as a message for the main thread (`GET /effects`), or null. */
function effectsOf(
  eventNumber: bigint,
  wire: WireLike | undefined,
  effects: Noun,
): EffectsMessage | null {
  try {
    using wireUsed = wireNoun(wire);
    const message = effectsMessage(eventNumber, wireUsed, effects);
    if (message !== null && httpResponseLimit !== null) {
      message.http = kernelAnswers(effects, httpResponseLimit);
    }
    return message;
  } catch (error) {
    log.warn(`cannot publish the effects of event ${eventNumber}: ${error}`);
    return null;
  }
}

/** The cause and wire of a poke request (nouns the caller disposes). */
function pokeInput(request: PokeItem): { cause: Noun; wire: Noun | string | undefined } {
  const cause = request.jam !== undefined
    ? Noun.cue(new Uint8Array(request.jam))
    : nounFromJson(request.json ?? null, { lists: request.causeLists });
  if (request.wireJson === undefined) return { cause, wire: request.wire };
  try {
    return { cause, wire: nounFromJson(request.wireJson) };
  } catch (error) {
    cause.dispose();
    throw error;
  }
}

/** Commit a batch of pokes as a group and answer each. */
function pokes(items: PokeItem[]): void {
  const answers: PokeAnswer[] = [];
  const transfer: Transferable[] = [];
  if (runtime === null) {
    const error = { status: 503, code: "NotReady", message: "The runtime is not open" };
    for (const item of items) answers.push({ type: "pokeFailed", id: item.id, error });
    send({ type: "answers", answers });
    return;
  }
  const decoded: { item: PokeItem; request: PokeRequest }[] = [];
  for (const item of items) {
    try {
      const { cause, wire } = pokeInput(item);
      decoded.push({ item, request: { cause, wire } });
    } catch (error) {
      answers.push({ type: "pokeFailed", id: item.id, error: wireError(error, "poke") });
    }
  }
  const stalledBefore = runtime.commitStatus().stalled !== null;
  let outcomes: PokeOutcome[];
  try {
    outcomes = runtime.pokeMany(decoded.map((d) => d.request));
  } catch (error) {
    outcomes = decoded.map(() => ({ ok: false, error }));
  } finally {
    for (const d of decoded) d.request.cause.dispose();
  }
  drivers?.settle(runtime.eventNumber);
  const published: EffectsMessage[] = [];
  decoded.forEach((d, i) => {
    answers.push(answer(d.item, outcomes[i], transfer, d.request.wire, published));
    if (d.request.wire instanceof Noun) d.request.wire.dispose();
  });
  const stall = runtime.commitStatus().stalled;
  if ((stall !== null) !== stalledBefore) {
    // Before the answers, so no client sees a 507 while /status still says healthy.
    if (stall !== null) {
      log.warn(`commits stalled, pokes are refused (507): ${stall.reason}`);
    }
    send({ type: "status", status: snapshotStatus() });
  }
  send({ type: "answers", answers }, transfer);
  for (const message of published) send(message);
  afterGroup();
}

/**
 * The answer to `item` from its outcome (its effects are disposed here); a committed event's
 * effects also go on `published`, for `GET /effects` subscribers once the answers are out.
 */
function answer(
  item: PokeItem,
  outcome: PokeOutcome,
  transfer: Transferable[],
  wire: WireLike | undefined,
  published: EffectsMessage[],
): PokeAnswer {
  if (!outcome.ok) return { type: "pokeFailed", id: item.id, error: pokeError(outcome.error) };
  const { eventNumber, effects, computeMs, commitMs } = outcome.result;
  try {
    const message = effectsOf(eventNumber, wire, effects);
    if (message !== null) published.push(message);
    drivers?.committed(eventNumber, effects);
    const base = { type: "poked", id: item.id, eventNumber, computeMs, commitMs } as const;
    if (item.reply !== "jam") {
      return { ...base, effectsJson: nounToJson(effects, jsonOptionsOf(item.reply)) };
    }
    const jam = ownBuffer(effects.jam());
    transfer.push(jam);
    return { ...base, effectsJam: jam };
  } catch (error) {
    return { type: "pokeFailed", id: item.id, error: wireError(error, "poke") };
  } finally {
    effects.dispose();
  }
}

/** The wire form of a poke's failure; a poke the shutdown interrupted says so. */
function pokeError(error: unknown): WireError {
  const interrupted = error instanceof NockError && error.kind === "intr";
  if (!interrupted || stopping === null || Atomics.load(stopping, 0) === 0) {
    return wireError(error, "poke");
  }
  return {
    status: 503,
    code: "ShuttingDown",
    message: "The server is shutting down: the poke was stopped and nothing of it was kept",
    retryAfterSeconds: 5,
  };
}

/**
 * Commit a driver's poke alone (the drivers wait for its effects): publish its effects as a
 * group's are, then the status and maintenance.
 */
function commitLocal(cause: Noun, wire: Noun): CommitOutcome {
  if (runtime === null) return { ok: false, error: new Error("The runtime is closed") };
  const [outcome] = runtime.pokeMany([{ cause, wire }]);
  drivers?.settle(runtime.eventNumber);
  if (!outcome.ok) return { ...outcome, refused: outcome.error instanceof NotLeaderError };
  const { eventNumber, effects } = outcome.result;
  const message = effectsOf(eventNumber, wire, effects);
  if (message !== null) send(message);
  afterGroup();
  return { ok: true, eventNumber, effects };
}

/** After a group: the status (at most every 100 ms), a retry when stalled, maintenance. */
function afterGroup(): void {
  if (runtime === null) return;
  if (performance.now() - lastStatusAt >= statusEveryMs) {
    send({ type: "status", status: snapshotStatus() });
  }
  if (runtime.commitStatus().stalled !== null) scheduleRetry();
  else maintain();
}

/** Retry a stalled commit when the runtime says it is due, until it works. */
function scheduleRetry(): void {
  const stall = runtime?.commitStatus().stalled;
  if (!stall || retryTimer !== undefined) return;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    if (runtime === null) return;
    const resumed = runtime.retryCommit();
    send({ type: "status", status: snapshotStatus() });
    if (resumed) {
      log.warn("commits work again; pokes are accepted");
    } else if (runtime.commitStatus().stalled !== null) {
      scheduleRetry();
    }
  }, Math.max(0, stall.retryAt - Date.now()));
}

/** Stop the drivers (their queued effects are carried out first), then close the runtime. */
async function close(): Promise<void> {
  try {
    await drivers?.stop();
  } catch (error) {
    log.warn(`stopping the drivers failed: ${error}`);
  }
  try {
    const files = finishWriterProfile();
    if (files !== null) log.info(`profile: ${files.folded}, ${files.svg}, ${files.table}`);
  } catch (error) {
    log.warn(`writing the profile failed: ${error instanceof Error ? error.message : error}`);
  }
  try {
    runtime?.close();
  } finally {
    runtime = null;
    send({ type: "closed" });
  }
}

port.onmessage = (event: MessageEvent<WriterRequest>) => {
  const request = event.data;
  switch (request.type) {
    case "open":
      open(request);
      break;
    case "pokes":
      pokes(request.pokes);
      break;
    case "status":
      if (runtime !== null) send({ type: "status", status: snapshotStatus() });
      break;
    case "profile":
      send(profileReply(request));
      break;
    case "apply":
    case "position":
      send(clusterMessage(runtime, request, send, drivers));
      if (request.type === "apply") afterGroup();
      break;
    case "lead":
      drivers?.lead(request.on);
      break;
    case "close":
      clearInterval(timer);
      clearTimeout(retryTimer);
      clearTimeout(scrubTimer);
      void close();
      break;
  }
};
