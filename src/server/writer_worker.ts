/**
 * The server's writer: a Worker that owns the data directory's {@linkcode Runtime}. Its
 * messages are handled one at a time in arrival order, so pokes are serialised. A poke is
 * answered as soon as `poke()` returns (the event is durable), then due maintenance (PMA GC,
 * snapshot) runs before the next message.
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import { Runtime } from "../runtime/runtime.ts";
import type { RuntimeStatus } from "../runtime/runtime.ts";
import { nounFromJson, nounToJson } from "../core/json.ts";
import type { WriterReply, WriterRequest, WriterStatus } from "./protocol.ts";
import { ownBuffer, wireError } from "./worker_errors.ts";
import { wireNoun } from "../runtime/wire.ts";
import { effectsMessage } from "./effects_stream.ts";

const port = self as unknown as Worker;
let runtime: Runtime | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function send(message: WriterReply, transfer: Transferable[] = []): void {
  port.postMessage(message, transfer);
}

function snapshotStatus(): WriterStatus {
  const status: RuntimeStatus = runtime!.status();
  return { status, at: Date.now() };
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

/** Send a committed event's effects to the main thread (for `GET /effects`). */
function publishEffects(eventNumber: bigint, wire: Noun | string | undefined, effects: Noun) {
  try {
    using wireUsed = wireNoun(wire);
    const message = effectsMessage(eventNumber, wireUsed, effects);
    if (message !== null) send(message);
  } catch (error) {
    console.error(`cellar serve: cannot publish the effects of event ${eventNumber}: ${error}`);
  }
}

/** The cause and wire of a poke request (nouns the caller disposes). */
function pokeInput(
  request: Extract<WriterRequest, { type: "poke" }>,
): { cause: Noun; wire: Noun | string | undefined } {
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

function poke(request: Extract<WriterRequest, { type: "poke" }>): void {
  if (runtime === null) {
    send({
      type: "pokeFailed",
      id: request.id,
      error: { status: 503, code: "NotReady", message: "The runtime is not open" },
    });
    return;
  }
  let cause: Noun;
  let wire: Noun | string | undefined;
  try {
    ({ cause, wire } = pokeInput(request));
  } catch (error) {
    send({ type: "pokeFailed", id: request.id, error: wireError(error, "poke") });
    return;
  }
  try {
    const result = runtime.poke(cause, wire ? { wire } : {});
    try {
      if (request.reply === "jam") {
        const jam = ownBuffer(result.effects.jam());
        send({
          type: "poked",
          id: request.id,
          eventNumber: result.eventNumber,
          effectsJam: jam,
          computeMs: result.computeMs,
          commitMs: result.commitMs,
        }, [jam]);
      } else {
        send({
          type: "poked",
          id: request.id,
          eventNumber: result.eventNumber,
          effectsJson: nounToJson(result.effects),
          computeMs: result.computeMs,
          commitMs: result.commitMs,
        });
      }
      publishEffects(result.eventNumber, wire, result.effects);
    } finally {
      result.effects.dispose();
    }
  } catch (error) {
    send({ type: "pokeFailed", id: request.id, error: wireError(error, "poke") });
    return;
  } finally {
    cause.dispose();
    if (wire instanceof Noun) wire.dispose();
  }
  send({ type: "status", status: snapshotStatus() });
  maintain();
}

port.onmessage = (event: MessageEvent<WriterRequest>) => {
  const request = event.data;
  switch (request.type) {
    case "open":
      open(request);
      break;
    case "poke":
      poke(request);
      break;
    case "status":
      if (runtime !== null) send({ type: "status", status: snapshotStatus() });
      break;
    case "close":
      clearInterval(timer);
      try {
        runtime?.close();
      } finally {
        runtime = null;
        send({ type: "closed" });
      }
      break;
  }
};
