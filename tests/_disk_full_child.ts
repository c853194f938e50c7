/**
 * A child process for the disk-full test, run under a file size limit (`prlimit --fsize`):
 * it pokes 512 KiB values until the runtime stalls (the PMA or the log cannot grow), checks
 * that a poke is then refused at once, waits for a line on stdin (the test raises the limit
 * meanwhile), retries the commit until it works, and pokes a few more. It prints
 * `ok <event> <key>`, `refused <key>`, `stalled <reason>`, `resumed` and `done`.
 *
 * Usage: prlimit --fsize=N:unlimited deno run -A tests/_disk_full_child.ts DIR
 *
 * @module
 */

import { Noun, Runtime, RuntimeError } from "../mod.ts";

// Past the limit a write fails with EFBIG instead of killing the process.
const ignore = () => {};
Deno.addSignalListener("SIGXFSZ", ignore);
const dir = Deno.args[0];
const runtime = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
const value = new Uint8Array(512 * 1024).fill(0xab);

/** Poke `[%put key value]`: true when answered, false when refused for a stalled commit. */
function put(key: string): boolean {
  using cause = Noun.from(["put", key, value]);
  try {
    const r = runtime.poke(cause);
    r.effects.dispose();
    console.log(`ok ${r.eventNumber} ${key}`);
    return true;
  } catch (error) {
    if (!(error instanceof RuntimeError && error.code === "CommitStalled")) throw error;
    console.log(`refused ${key}`);
    return false;
  }
}

let i = 0;
for (; i < 400; i++) {
  put(`k${i}`);
  const stall = runtime.status().commit.stalled;
  if (stall !== null) {
    console.log(`stalled ${stall.reason}`);
    break;
  }
}
if (i === 400) throw new Error("the runtime never stalled");
if (put(`k${++i}`)) throw new Error("a poke was accepted while commits were stalled");
for await (const _ of Deno.stdin.readable) break; // the limit is raised now
let resumed = false;
for (let t = 0; t < 100 && !resumed; t++) {
  resumed = runtime.retryCommit();
  if (!resumed) await new Promise((res) => setTimeout(res, 100));
}
if (!resumed) throw new Error(`no retry worked: ${runtime.status().commit.stalled?.reason}`);
console.log("resumed");
for (let k = 0; k < 3; k++) if (!put(`k${++i}`)) throw new Error("refused after the retry");
runtime.close();
Deno.removeSignalListener("SIGXFSZ", ignore);
console.log("done");
