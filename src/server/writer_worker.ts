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
 * @module
 */

import { Noun } from "../core/noun.ts";
import { Runtime } from "../runtime/runtime.ts";
import type { PokeOutcome, PokeRequest, RuntimeStatus } from "../runtime/runtime.ts";
import { nounFromJson, nounToJson } from "../core/json.ts";
import type { PokeAnswer, PokeItem, WriterReply, WriterRequest, WriterStatus } from "./protocol.ts";
import { ownBuffer, wireError } from "./worker_errors.ts";
import { wireNoun } from "../runtime/wire.ts";
import type { WireLike } from "../runtime/wire.ts";
import { effectsMessage } from "./effects_stream.ts";
import { onProgress } from "../runtime/progress.ts";
import type { EffectsMessage } from "./effects_stream.ts";

/** Status after groups goes out at most this often (the timer covers the rest). */
const statusEveryMs = 100;

const port = self as unknown as Worker;
let runtime: Runtime | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** Group sizes not yet reported, and when the last status went out. */
let groupSizes: number[] = [];
let lastStatusAt = 0;

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
  return { status, at: Date.now(), groupSizes: sizes };
}

/** An AbortSignal-like view of a flag the main thread sets (Runtime only reads `aborted`). */
function sharedSignal(flag: Int32Array): AbortSignal {
  return {
    get aborted() {
      return Atomics.load(flag, 0) !== 0;
    },
  } as AbortSignal;
}

function open(request: Extract<WriterRequest, { type: "open" }>): void {
  try {
    runtime = Runtime.open({
      dataDir: request.dataDir,
      kernel: request.kernel ? new Uint8Array(request.kernel) : undefined,
      pokeLimits: { timeoutMs: request.pokeTimeoutMs },
      snapshotEveryEvents: request.snapshotEveryEvents,
      autoMaintain: false,
      onProgress: (progress) => send({ type: "progress", progress }),
      onGroup: (size) => groupSizes.push(size),
      signal: request.abort ? sharedSignal(new Int32Array(request.abort)) : undefined,
    });
  } catch (error) {
    send({ type: "fatal", error: wireError(error, "poke") });
    return;
  }
  send({ type: "ready", boot: runtime.bootReport, status: snapshotStatus() });
  // The maintenance that a long replay may have made due.
  maintain();
  timer = setInterval(() => {
    if (runtime !== null) send({ type: "status", status: snapshotStatus() });
  }, 2000);
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
    console.error(
      `cellar serve: maintenance failed: ${error instanceof Error ? error.message : error}`,
    );
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
    return effectsMessage(eventNumber, wireUsed, effects);
  } catch (error) {
    console.error(`cellar serve: cannot publish the effects of event ${eventNumber}: ${error}`);
    return null;
  }
}

/** The cause and wire of a poke request (nouns the caller disposes). */
function pokeInput(request: PokeItem): { cause: Noun; wire: Noun | string | undefined } {
  const cause = request.jam !== undefined
    ? Noun.cue(new Uint8Array(request.jam))
    : nounFromJson(request.json ?? null);
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
  const published: EffectsMessage[] = [];
  decoded.forEach((d, i) => {
    answers.push(answer(d.item, outcomes[i], transfer, d.request.wire, published));
    if (d.request.wire instanceof Noun) d.request.wire.dispose();
  });
  const stall = runtime.commitStatus().stalled;
  if ((stall !== null) !== stalledBefore) {
    // Before the answers, so no client sees a 507 while /status still says healthy.
    if (stall !== null) {
      console.error(`cellar serve: commits stalled, pokes are refused (507): ${stall.reason}`);
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
  if (!outcome.ok) {
    return { type: "pokeFailed", id: item.id, error: wireError(outcome.error, "poke") };
  }
  const { eventNumber, effects, computeMs, commitMs } = outcome.result;
  try {
    const message = effectsOf(eventNumber, wire, effects);
    if (message !== null) published.push(message);
    const base = { type: "poked", id: item.id, eventNumber, computeMs, commitMs } as const;
    if (item.reply !== "jam") return { ...base, effectsJson: nounToJson(effects) };
    const jam = ownBuffer(effects.jam());
    transfer.push(jam);
    return { ...base, effectsJam: jam };
  } catch (error) {
    return { type: "pokeFailed", id: item.id, error: wireError(error, "poke") };
  } finally {
    effects.dispose();
  }
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
      console.error("cellar serve: commits work again; pokes are accepted");
    } else if (runtime.commitStatus().stalled !== null) {
      scheduleRetry();
    }
  }, Math.max(0, stall.retryAt - Date.now()));
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
    case "close":
      clearInterval(timer);
      clearTimeout(retryTimer);
      try {
        runtime?.close();
      } finally {
        runtime = null;
        send({ type: "closed" });
      }
      break;
  }
};
