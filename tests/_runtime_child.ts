/**
 * A child process for the runtime crash tests: opens a data directory and pokes
 * `[%put k<i> i]` for i in [from, from + count), printing `ok <event> k<i>` after each poke
 * returns (the poke was answered). With `--crash-step STEP --crash-event N` it kills itself
 * with SIGKILL at that commit step of event N (a real crash, no cleanup).
 *
 * With `--group N` the pokes go through `pokeMany` in groups of N (each group is answered
 * once `pokeMany` returns); with `--async N`, N concurrent loops use `pokeAsync`, so the
 * runtime gathers them into groups itself. `--bad-every M` makes every M-th cause one the
 * kernel crashes on (printed as `crashed k<i>`). The environment may carry CELLAR_CRASH_AT
 * and CELLAR_FAULTS for the runtime.
 *
 * Usage: deno run ... tests/_runtime_child.ts DIR FROM COUNT [--crash-step S --crash-event N]
 *        [--snapshot-every N] [--group N | --async N] [--bad-every M]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Noun, Runtime } from "../mod.ts";
import type { CommitStep, PokeOutcome } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    "crash-step": { type: "string" },
    "crash-event": { type: "string" },
    "snapshot-every": { type: "string", default: "0" },
    group: { type: "string", default: "0" },
    async: { type: "string", default: "0" },
    "bad-every": { type: "string", default: "0" },
  },
});
const [dir, fromText, countText] = positionals;
const crashStep = values["crash-step"] as CommitStep | undefined;
const crashEvent = values["crash-event"] ? BigInt(values["crash-event"]) : -1n;
const badEvery = Number(values["bad-every"]);

const runtime = Runtime.open({
  dataDir: dir,
  snapshotEveryEvents: Number(values["snapshot-every"]),
  onStep: (step, event) => {
    if (step === crashStep && event === crashEvent) Deno.kill(Deno.pid, "SIGKILL");
  },
});
console.log(`booted ${runtime.bootReport.name} ${runtime.eventNumber}`);
const from = Number(fromText);
const end = from + Number(countText);
const encoder = new TextEncoder();

/** `[%put k<i> i]`, or every `--bad-every`-th, a cause the kv kernel crashes on. */
function causeOf(i: number): Noun {
  return badEvery > 0 && i % badEvery === badEvery - 1
    ? Noun.from(["no-such-cause", i])
    : Noun.from(["put", `k${i}`, i]);
}

/** Print what became of poke i, and die there for `--crash-step answered`. */
function report(i: number, outcome: PokeOutcome): void {
  if (!outcome.ok) {
    Deno.stdout.writeSync(encoder.encode(`crashed k${i}\n`));
    return;
  }
  const { eventNumber, effects } = outcome.result;
  effects.dispose();
  Deno.stdout.writeSync(encoder.encode(`ok ${eventNumber} k${i}\n`));
}

function answeredStep(events: bigint[]): void {
  if (crashStep === "answered" && events.includes(crashEvent)) Deno.kill(Deno.pid, "SIGKILL");
}

async function runAsync(loops: number): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: loops }, async () => {
    while (next < end) {
      const i = next++;
      using cause = causeOf(i);
      let outcome: PokeOutcome;
      try {
        outcome = { ok: true, result: await runtime.pokeAsync(cause) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      report(i, outcome);
      if (outcome.ok) answeredStep([outcome.result.eventNumber]);
    }
  }));
}

const group = Number(values.group);
if (Number(values.async) > 0) {
  await runAsync(Number(values.async));
} else {
  for (let i = from; i < end; i += Math.max(group, 1)) {
    const n = Math.min(Math.max(group, 1), end - i);
    const causes = Array.from({ length: n }, (_, k) => causeOf(i + k));
    const outcomes = runtime.pokeMany(causes.map((cause) => ({ cause })));
    causes.forEach((c) => c.dispose());
    outcomes.forEach((o, k) => report(i + k, o));
    answeredStep(outcomes.flatMap((o) => (o.ok ? [o.result.eventNumber] : [])));
  }
}
runtime.close();
console.log("done");
