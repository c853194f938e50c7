/**
 * The other thread of tests/replica_test.ts: a Worker holding a read-only {@linkcode Replica}
 * of a data directory whose writer runs on the test's thread (each thread has its own PMA).
 * One request, one reply; a failure replies `{ error: { name, message } }`.
 *
 * @module
 */

import { Replica } from "../mod.ts";
import type { Noun } from "../mod.ts";

/** A request from the test. */
export type ReplicaRequest =
  | { task: "open"; dir: string }
  | { task: "refresh" }
  | { task: "get"; key: string }
  | { task: "hold"; key: string }
  | { task: "held" }
  | { task: "close" };

let replica: Replica | null = null;
/** A value peeked earlier and kept across refreshes (it must stay valid). */
let held: Noun | null = null;

function get(key: string, keep: boolean): number | null {
  const r = replica!.peek(["get", key]);
  if (r.kind !== "value") return null;
  const value = r.value.toNumber();
  if (keep) {
    held?.dispose();
    held = r.value;
  } else {
    r.value.dispose();
  }
  return value;
}

function serve(request: ReplicaRequest): unknown {
  switch (request.task) {
    case "open":
      replica = Replica.open(request.dir);
      return { event: replica.eventNumber, kernelHash: replica.kernelHash };
    case "refresh": {
      const kind = replica!.refresh();
      return { kind, event: replica!.eventNumber };
    }
    case "get":
      return { value: get(request.key, false), event: replica!.eventNumber };
    case "hold":
      return { value: get(request.key, true) };
    case "held":
      return { value: held!.toNumber(), mug: held!.mug };
    case "close":
      held?.dispose();
      held = null;
      replica?.close();
      return { closed: true };
  }
}

const worker = self as unknown as Worker;
worker.onmessage = (event: MessageEvent<ReplicaRequest>) => {
  try {
    worker.postMessage(serve(event.data));
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    worker.postMessage({ error: { name: e.name, message: e.message } });
  }
};
