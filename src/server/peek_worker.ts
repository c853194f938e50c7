/**
 * A server peeker: a Worker holding a read-only {@linkcode Replica} of the data directory.
 * Before each peek it refreshes to the writer's newest durable commit, so a peek never sees
 * an event that is not durable, and sees every event whose poke was already answered.
 *
 * @module
 */

import { machineId } from "../core/machine.ts";
import { Replica } from "../runtime/replica.ts";
import { nounToJson } from "../core/json.ts";
import type { PeekReady } from "./peek_pool.ts";
import { jsonOptionsOf } from "./protocol.ts";
import type { PeekReply, PeekRequest } from "./protocol.ts";
import { ownBuffer, wireError } from "./worker_errors.ts";

const port = self as unknown as Worker;
let replica: Replica | null = null;
let peekTimeoutMs = 0;

function send(message: PeekReply, transfer: Transferable[] = []): void {
  port.postMessage(message, transfer);
}

function peek(request: Extract<PeekRequest, { type: "peek" }>): void {
  if (replica === null) {
    send({
      type: "peekFailed",
      id: request.id,
      error: { status: 503, code: "NotReady", message: "The replica is not open" },
    });
    return;
  }
  try {
    replica.refresh();
    const eventNumber = replica.eventNumber;
    const result = replica.peek(request.path, { timeoutMs: peekTimeoutMs });
    if (result.kind !== "value") {
      send({ type: "peeked", id: request.id, eventNumber, kind: result.kind });
      return;
    }
    try {
      if (request.reply === "jam") {
        const jam = ownBuffer(result.value.jam());
        send({ type: "peeked", id: request.id, eventNumber, kind: "value", valueJam: jam }, [jam]);
      } else {
        send({
          type: "peeked",
          id: request.id,
          eventNumber,
          kind: "value",
          valueJson: nounToJson(result.value, jsonOptionsOf(request.reply)),
        });
      }
    } finally {
      result.value.dispose();
    }
  } catch (error) {
    send({ type: "peekFailed", id: request.id, error: wireError(error, "peek") });
  }
}

port.onmessage = (event: MessageEvent<PeekRequest>) => {
  const request = event.data;
  switch (request.type) {
    case "open":
      try {
        peekTimeoutMs = request.peekTimeoutMs;
        replica = Replica.open(request.dataDir);
        // The machine id lets the pool interrupt this thread's Nock and see when it ended.
        const ready: PeekReady = {
          type: "ready",
          eventNumber: replica.eventNumber,
          machine: machineId(),
        };
        send(ready);
      } catch (error) {
        send({ type: "fatal", error: wireError(error, "peek") });
      }
      break;
    case "peek":
      peek(request);
      break;
    case "close":
      try {
        replica?.close();
      } finally {
        replica = null;
        send({ type: "closed" });
      }
      break;
  }
};
