/**
 * A child process for the runtime crash tests: opens a data directory and pokes
 * `[%put k<i> i]` for i in [from, from + count), printing `ok <event> k<i>` after each poke
 * returns (the poke was answered). With `--crash-step STEP --crash-event N` it kills itself
 * with SIGKILL at that commit step of event N (a real crash, no cleanup).
 *
 * Usage: deno run ... tests/_runtime_child.ts DIR FROM COUNT [--crash-step S --crash-event N]
 *        [--snapshot-every N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Noun, Runtime } from "../mod.ts";
import type { CommitStep } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    "crash-step": { type: "string" },
    "crash-event": { type: "string" },
    "snapshot-every": { type: "string", default: "0" },
  },
});
const [dir, fromText, countText] = positionals;
const crashStep = values["crash-step"] as CommitStep | undefined;
const crashEvent = values["crash-event"] ? BigInt(values["crash-event"]) : -1n;

const runtime = Runtime.open({
  dataDir: dir,
  snapshotEveryEvents: Number(values["snapshot-every"]),
  onStep: (step, event) => {
    if (step === crashStep && event === crashEvent) Deno.kill(Deno.pid, "SIGKILL");
  },
});
console.log(`booted ${runtime.bootReport.name} ${runtime.eventNumber}`);
const from = Number(fromText);
const encoder = new TextEncoder();
for (let i = from; i < from + Number(countText); i++) {
  using cause = Noun.from(["put", `k${i}`, i]);
  const result = runtime.poke(cause);
  result.effects.dispose();
  Deno.stdout.writeSync(encoder.encode(`ok ${result.eventNumber} k${i}\n`));
  if (crashStep === "answered" && result.eventNumber === crashEvent) {
    Deno.kill(Deno.pid, "SIGKILL");
  }
}
runtime.close();
console.log("done");
