/**
 * The Worker that draws a native operation's progress line on stderr while the main thread
 * is blocked in it and cannot take the library's callbacks (Deno's --allow-ffi granted for
 * the library's path only): five times a second it reads the library's latest report.
 * Started by `showProgressOn` (progress.ts).
 *
 * @module
 */

import { type OperationProgress, progressLine, withNativeLatest } from "./progress.ts";

interface Start {
  progress: OperationProgress;
  /** [0] non-zero: stop; [1] set here once a line is drawn. */
  flags: SharedArrayBuffer;
}

const encoder = new TextEncoder();
const port = self as unknown as Worker;

port.onmessage = (event: MessageEvent<Start>) => {
  const { progress, flags: buffer } = event.data;
  const flags = new Int32Array(buffer);
  const timer = setInterval(() => {
    if (Atomics.load(flags, 0) !== 0) return clearInterval(timer);
    const elapsedMs = Date.now() - progress.startedAt;
    if (elapsedMs < 1000) return;
    const line = progressLine(withNativeLatest({ ...progress, elapsedMs }));
    Atomics.store(flags, 1, 1);
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
  }, 200);
};
