/**
 * A Worker that boots a data directory (whose replay has a long event) on its own machine,
 * so that the test's thread can stop that event with `interrupt(machineId)`.
 *
 * @module
 */

import { machineId, Runtime, RuntimeError } from "../mod.ts";

/** What the test sends: the directory, and a shared flag that stops the replay. */
export interface ReplayTask {
  dataDir: string;
  abort: SharedArrayBuffer;
}

const worker = self as unknown as Worker;

worker.onmessage = (event: MessageEvent<ReplayTask>) => {
  const { dataDir, abort } = event.data;
  const flag = new Int32Array(abort);
  const signal = {
    get aborted() {
      return Atomics.load(flag, 0) !== 0;
    },
  } as AbortSignal;
  let done = 0;
  worker.postMessage({ id: machineId() });
  try {
    const runtime = Runtime.open({
      dataDir,
      signal,
      snapshotEveryEvents: 0,
      onProgress: (p) => {
        done = p.done;
        worker.postMessage({ done });
      },
    });
    const event = runtime.eventNumber;
    runtime.close();
    worker.postMessage({ code: "ok", event: String(event), done });
  } catch (error) {
    const code = error instanceof RuntimeError ? error.code : String(error);
    const message = error instanceof Error ? error.message : String(error);
    worker.postMessage({ code, message, done });
  }
};
