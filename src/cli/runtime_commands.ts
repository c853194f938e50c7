/**
 * The CLI's data-directory commands: `boot`, `poke`, `peek`, `status`, `snapshot` and `gc`
 * (`verify` is in `verify_command.ts`).
 *
 * `peek` and `status` only read (a read-only PMA mapping and the log), so they work while
 * the server runs. `boot`, `poke`, `snapshot` and `gc` take the data directory's writer
 * lock and fail with a clear message while the server holds it.
 *
 * @module
 */

import { CellarError, NockError, PmaError } from "../core/errors.ts";
import { EventLog } from "../runtime/event_log.ts";
import { hex } from "../runtime/files.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import { Pma } from "../runtime/pma.ts";
import { Replica } from "../runtime/replica.ts";
import type { BootReport } from "../runtime/runtime.ts";
import { SnapshotStore } from "../runtime/snapshots.ts";
import { runCompute, showProgressOn } from "../runtime/progress.ts";
import { Failure, readInput, UsageError } from "./_common.ts";
import { defineCommand, noArguments, oneArgument } from "./_command.ts";
import type { Command, Input } from "./_command.ts";
import { age, openRuntime, size } from "./_data.ts";
import { applyJets, jetsHelp, jetsOption, readJets } from "./_jets.ts";
import {
  finishProfile,
  profileArgument,
  profileHelp,
  profileOption,
  startProfile,
} from "./_profile.ts";
import { causeFromWords, causeTextHelp, nounJsonHelp, nounText } from "./noun_text.ts";
import { checkNounJson, nounFromJson, nounToJson, parseNounJson } from "../core/json.ts";
import type { Json } from "../core/json.ts";

/** A mug as 8 hex digits with 0x. */
export function mugHex(mug: number): string {
  return "0x" + mug.toString(16).padStart(8, "0");
}

// ----------------------------------------------------------------------------- boot

/** Print a boot report. */
export function printBootReport(dir: string, report: BootReport, kernelHash: string): void {
  console.log(`data directory: ${dir}`);
  console.log(`boot: level ${report.level} (${report.name}): ${report.detail}`);
  for (const s of report.skipped) {
    console.log(`  skipped level ${s.level} (${s.name}): ${s.reason}`);
  }
  if (report.snapshot) console.log(`snapshot: ${report.snapshot}`);
  if (report.quarantined) console.log(`quarantined PMA: ${report.quarantined}`);
  console.log(`replayed: ${report.replayed} events in ${report.replayMs.toFixed(1)} ms`);
  if (report.upgradedKernel) {
    console.log(
      `kernel upgraded: ${report.upgradedKernel.from.slice(0, 16)} -> ${report.upgradedKernel.to}`,
    );
  }
  console.log(`kernel: ${kernelHash}`);
  console.log(`event: ${report.eventNumber}`);
  for (const w of report.warnings) console.log(`warning: ${w}`);
  console.log(`boot time: ${report.bootMs.toFixed(1)} ms`);
}

/** `cellar boot KERNEL.jam`. */
export const bootCommand: Command = defineCommand({
  name: "boot",
  summary: "Create a data directory with a kernel, or upgrade one to a new kernel",
  usage: "cellar boot KERNEL.jam [--data DIR] [--state FILE [--force]]",
  about:
    `Create a data directory booted with the kernel KERNEL.jam, or upgrade an existing one to it
(the new kernel's load arm runs on the old state; if it crashes, the directory keeps its
kernel and state). Opening an existing directory runs the recovery hierarchy; the boot
report says which level was used, why each earlier level was skipped, and how many events
were replayed. A replay shows its progress; Ctrl-C stops it safely (the progress is kept as
a snapshot and the next start continues from there).

With --state, create a new data directory whose event 0 is the kernel's load arm run on the
state in FILE, instead of the kernel's own state: the jam of a state noun (what 'cellar
export --state' writes), or NockApp's exported-state container (EXPJAM), whose kernel hash
must be KERNEL.jam's unless --force. A bad file creates nothing.`,
  options: { state: { type: "string" }, force: { type: "boolean" }, ...jetsOption },
  optionHelp:
    `  --state FILE       Boot a new data directory from the state in FILE (a jam or an EXPJAM)
  --force            Boot an EXPJAM state that another kernel exported
${jetsHelp}`,
  positionals: oneArgument("KERNEL.jam"),
  data: "create",
  check({ values, positionals }) {
    if (values.force && values.state === undefined) {
      throw new UsageError("--force applies to --state FILE only");
    }
    const { state, jets } = values;
    return { kernelPath: positionals[0], state, force: values.force ?? false, jets };
  },
  async run({ kernelPath, state, force, jets }, dir): Promise<number> {
    const jetTable = await readJets(jets);
    const kernel = await readInput(kernelPath);
    const stateOption = state === undefined
      ? undefined
      : { state: await readInput(state), source: state, force };
    using runtime = await openRuntime(dir, {
      kernel,
      jets: jetTable,
      state: stateOption,
      create: true,
      label: "boot replay",
    });
    printBootReport(dir, runtime.bootReport, runtime.kernelHash);
    return 0;
  },
});

// ----------------------------------------------------------------------------- poke

const pokeOptions = {
  wire: { type: "string" },
  jam: { type: "string" },
  json: { type: "string" },
  text: { type: "boolean" },
  ...profileOption,
  ...jetsOption,
} as const;

interface PokeArgs {
  /** The cause: the path of a jam file, or the noun itself. */
  cause: { jam: string } | { noun: NounLike } | { json: Json };
  wire: string | { json: Json } | undefined;
  text: boolean;
  jets: string | undefined;
  /** `--profile OUT`; null: no profile. */
  profile: string | null;
}

function checkPoke({ values, positionals }: Input<typeof pokeOptions>): PokeArgs {
  const forms = [values.jam !== undefined, values.json !== undefined, positionals.length > 0];
  if (forms.filter(Boolean).length !== 1) {
    throw new UsageError("Give the cause one way: --jam FILE, --json NOUN, or words");
  }
  const wire = values.wire === undefined ? undefined : wireOption(values.wire);
  const cause = values.jam !== undefined
    ? { jam: values.jam }
    : values.json !== undefined
    ? { json: causeJson(values.json) }
    : { noun: causeFromWords(positionals) };
  const profile = profileArgument(values.profile);
  return { cause, wire, text: values.text ?? false, jets: values.jets, profile };
}

/**
 * A `--wire` value: a path (`/cli/admin`), or a JSON noun (it starts with `[` or `{`; the
 * wire noun itself, e.g. `["poke", "one-punch", 1, 0]`). A usage error otherwise.
 */
export function wireOption(text: string): string | { json: Json } {
  if (text.startsWith("[") || text.startsWith("{")) {
    try {
      const json = parseNounJson(text);
      checkNounJson(json);
      return { json };
    } catch (error) {
      throw new UsageError(
        `Bad --wire noun: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  if (!/^\/?[^/]+(\/[^/]+)*\/?$/.test(text)) {
    throw new UsageError(
      `Bad --wire '${text}': expected a path such as /cli/admin or a JSON noun such as ` +
        `'["poke", "one-punch", 1, 0]'`,
    );
  }
  return text;
}

/** The wire of a checked `--wire` value, for `Runtime.poke` (a noun the caller disposes). */
export function wireArgument(wire: string | { json: Json }): string | Noun {
  return typeof wire === "string" ? wire : nounFromJson(wire.json);
}

/** The `--json` cause in the codec's JSON noun form (docs/JSON.md), checked before any I/O. */
function causeJson(text: string): Json {
  try {
    const json = parseNounJson(text);
    checkNounJson(json);
    return json;
  } catch (error) {
    throw new UsageError(`Bad --json noun: ${error instanceof Error ? error.message : error}`);
  }
}

async function causeNoun(cause: PokeArgs["cause"]): Promise<Noun> {
  if ("noun" in cause) return Noun.from(cause.noun);
  if ("json" in cause) return nounFromJson(cause.json);
  const bytes = await readInput(cause.jam);
  try {
    return Noun.cue(bytes);
  } catch (error) {
    throw new Failure(`Cannot cue ${cause.jam}: ${error instanceof Error ? error.message : error}`);
  }
}

async function runPoke(args: PokeArgs, dir: string): Promise<number> {
  const jets = await readJets(args.jets);
  using cause = await causeNoun(args.cause);
  const wire = args.wire === undefined ? undefined : wireArgument(args.wire);
  using _wire = wire instanceof Noun ? wire : null;
  using runtime = await openRuntime(dir, { jets });
  let result;
  using profile = startProfile(args.profile);
  try {
    using _progress = showProgressOn();
    result = runCompute(() => runtime.poke(cause, wire === undefined ? {} : { wire }));
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    finishProfile(profile, args.profile, "cellar poke");
    error.traceNoun?.dispose();
    console.error(`cellar poke: the kernel rejected the event: ${error.message}`);
    for (const line of error.trace) console.error(`  ${line}`);
    return 1;
  }
  using effects = result.effects;
  finishProfile(profile, args.profile, `cellar poke: event ${result.eventNumber}`);
  console.log(`event: ${result.eventNumber}`);
  console.log(`effects: ${nounText(effects, { text: args.text })}`);
  return 0;
}

/** `cellar poke`. */
export const pokeCommand: Command = defineCommand({
  name: "poke",
  summary: "Apply one event (durably) and print its effects",
  usage: "cellar poke [--data DIR] [--wire WIRE] (--jam FILE | --json NOUN | WORD...)",
  about: `Apply one event durably: when this prints, the event is in the log and its state is
committed. Prints the event number and the kernel's effects. A crash of the kernel changes
nothing; it prints the crash's kind and trace and exits with status 1.

${causeTextHelp}

${nounJsonHelp}`,
  options: pokeOptions,
  optionHelp: `  --wire WIRE        The wire: a path (default /poke/api; 'poke' is prepended when
                     missing), or a JSON noun used as it is, e.g. '["poke", "one-punch", 1, 0]'
  --jam FILE         The cause is the noun jammed in FILE
  --json NOUN        The cause written as JSON
  --text             Print atoms that are printable text as 'cords' (a guess)
${profileHelp("the event")}
${jetsHelp}`,
  positionals: { name: "WORD", min: 0, max: Infinity },
  data: "write",
  check: checkPoke,
  run: runPoke,
});

// ----------------------------------------------------------------------------- peek

function openReplica(dir: string): Replica {
  try {
    return Replica.open(dir);
  } catch (error) {
    if (error instanceof PmaError) {
      throw new Failure(
        `Cannot read the state of ${dir}: ${error.message}. Run 'cellar verify --data ${dir}'`,
      );
    }
    throw error;
  }
}

const peekOptions = {
  jam: { type: "boolean" },
  text: { type: "boolean" },
  json: { type: "boolean" },
  ...jetsOption,
} as const;

async function runPeek(
  { values, positionals }: Input<typeof peekOptions>,
  dir: string,
): Promise<number> {
  const path = positionals[0];
  await applyJets(values.jets);
  using replica = openReplica(dir);
  let result;
  try {
    result = replica.peek(path);
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    error.traceNoun?.dispose();
    console.error(`cellar peek: the kernel's peek crashed: ${error.message}`);
    for (const line of error.trace) console.error(`  ${line}`);
    return 1;
  }
  if (result.kind !== "value") {
    if (values.jam) {
      throw new Failure(
        `No value at ${path}: the kernel answered ${
          result.kind === "unknown" ? "~ (unknown path)" : "[~ ~] (no value)"
        }`,
      );
    }
    console.log(result.kind === "unknown" ? "~" : "[~ ~]");
    return 0;
  }
  using value = result.value;
  if (values.jam) {
    const bytes = value.jam();
    let done = 0;
    while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
  } else if (values.json) {
    console.log(JSON.stringify(nounToJson(value)));
  } else {
    console.log(nounText(value, { text: values.text }));
  }
  return 0;
}

/** `cellar peek PATH`. */
export const peekCommand: Command = defineCommand({
  name: "peek",
  summary: "Print the kernel's answer to a peek path (read-only)",
  usage: "cellar peek [--data DIR] [--jam | --json | --text] PATH",
  about: `Ask the kernel's peek arm about PATH (/a/b: a list of cords) and print the answer: the
value as a noun, '~' when the path is unknown, '[~ ~]' when it exists without a value.
Reads the committed state through a read-only mapping, so it works while the server runs.`,
  options: peekOptions,
  optionHelp:
    `  --jam              Write the jam of the value to stdout (binary) instead of printing it;
                     an unknown or empty path is then an error (exit status 1)
  --text             Print atoms that are printable text as 'cords' (a guess)
  --json             Print the value in the JSON noun form of docs/JSON.md (as the HTTP API)
${jetsHelp}`,
  positionals: oneArgument("PATH"),
  data: "read",
  run: runPeek,
});

// ----------------------------------------------------------------------------- status

interface StatusJson {
  dataDir: string;
  log: {
    lastEvent: string;
    firstEvent: string;
    events: string;
    bytes: number;
    kernels: { id: number; hash: string; installedAfter: string; installedAt: string }[];
  };
  pma:
    | {
      eventNumber: string;
      kernelHash: string;
      stateMug: string;
      capacityBytes: number;
      usedBytes: number;
      liveBytesAfterGc: number;
      freeBytes: number;
      generation: number;
      growthCount: number;
      commitSeq: number;
      slabFile: string;
    }
    | { error: string };
  snapshots: {
    name: string;
    kind: string;
    eventNumber: string;
    bytes: number;
    createdAt: string;
    ageMs: number;
  }[];
  unreadableSnapshots: string[];
  tokens: boolean;
}

/** Gather the status of a data directory (it has a log) without taking its lock. */
export function readStatus(dir: string): StatusJson {
  const log = EventLog.open(`${dir}/log.sqlite`, { create: false });
  let logPart: StatusJson["log"];
  try {
    const extent = log.extent();
    logPart = {
      lastEvent: String(extent.last),
      firstEvent: String(extent.first),
      events: String(extent.count),
      bytes: log.sizeBytes(),
      kernels: log.kernels().map((k) => ({
        id: k.id,
        hash: hex(k.hash),
        installedAfter: String(k.installedAfter),
        installedAt: new Date(k.installedAt).toISOString(),
      })),
    };
  } finally {
    log.close();
  }
  let pmaPart: StatusJson["pma"];
  try {
    using pma = Pma.open(`${dir}/pma`, { readOnly: true });
    const stats = pma.stats();
    using root = pma.root;
    using core = root.isCell ? root.head : null;
    pmaPart = {
      eventNumber: String(pma.eventNumber),
      kernelHash: hex(pma.kernelHash),
      stateMug: core ? mugHex(core.mug) : "(the PMA root is not [core registrations])",
      capacityBytes: stats.capacityBytes,
      usedBytes: stats.usedBytes,
      liveBytesAfterGc: stats.liveBytesAfterGc,
      freeBytes: stats.freeBytes,
      generation: stats.generation,
      growthCount: stats.growthCount,
      commitSeq: stats.commitSeq,
      slabFile: `${stats.fileId}.pma`,
    };
  } catch (error) {
    if (!(error instanceof CellarError)) throw error;
    pmaPart = { error: error.message };
  }
  const store = new SnapshotStore(`${dir}/snapshots`);
  const now = Date.now();
  const all = store.listAll();
  let tokens = false;
  try {
    Deno.statSync(`${dir}/tokens.json`);
    tokens = true;
  } catch { /* none */ }
  return {
    dataDir: dir,
    log: logPart,
    pma: pmaPart,
    snapshots: all.flatMap((e) =>
      e.manifest === null ? [] : [{
        name: e.name,
        kind: e.manifest.kind,
        eventNumber: e.manifest.eventNumber,
        bytes: e.manifest.bytes,
        createdAt: e.manifest.createdAt,
        ageMs: now - Date.parse(e.manifest.createdAt),
      }]
    ),
    unreadableSnapshots: all.filter((e) => e.manifest === null).map((e) => e.name),
    tokens,
  };
}

function printStatus(s: StatusJson): void {
  console.log(`data directory: ${s.dataDir}`);
  console.log(
    `log: event ${s.log.lastEvent} (${s.log.events} events from ${s.log.firstEvent}), ${
      size(s.log.bytes)
    }`,
  );
  for (const k of s.log.kernels) {
    console.log(`  kernel ${k.id}: ${k.hash} (after event ${k.installedAfter}, ${k.installedAt})`);
  }
  if ("error" in s.pma) {
    console.log(`pma: cannot be read: ${s.pma.error}`);
  } else {
    const p = s.pma;
    const lag = p.eventNumber === s.log.lastEvent
      ? ""
      : ` (the log is at ${s.log.lastEvent}: the next start recovers)`;
    console.log(`pma: event ${p.eventNumber}${lag}, state mug ${p.stateMug}`);
    console.log(`  kernel: ${p.kernelHash}`);
    console.log(
      `  slab ${p.slabFile}: ${size(p.usedBytes)} used of ${size(p.capacityBytes)}, ` +
        `${size(p.liveBytesAfterGc)} live after the last GC, generation ${p.generation}, ` +
        `${p.growthCount} growths, commit ${p.commitSeq}`,
    );
  }
  if (s.snapshots.length === 0) console.log("snapshots: none");
  else console.log("snapshots:");
  for (const snap of s.snapshots) {
    console.log(
      `  ${snap.name}: ${snap.kind}, event ${snap.eventNumber}, ${size(snap.bytes)}, ${
        age(snap.ageMs)
      } old`,
    );
  }
  for (const name of s.unreadableSnapshots) {
    console.log(`  ${name}: its manifest is missing or unreadable`);
  }
  console.log(`tokens: ${s.tokens ? "tokens.json present" : "none"}`);
}

/** `cellar status`. */
export const statusCommand: Command = defineCommand({
  name: "status",
  summary: "Show a data directory's event, kernel, PMA and snapshots (read-only)",
  usage: "cellar status [--data DIR] [--json]",
  about: `Print the state of a data directory: the log's last event and size, the kernels it has
run, the PMA's event, kernel, state mug and slab statistics, and the snapshots with their
ages. Read-only (it never takes the writer lock), so it works while the server runs; the
boot report of the running server is shown by the server's own status.`,
  options: { json: { type: "boolean" } },
  optionHelp: "  --json             Print JSON instead of text",
  positionals: noArguments,
  data: "read",
  run({ values }, dir): number {
    const status = readStatus(dir);
    if (values.json) console.log(JSON.stringify(status, null, 2));
    else printStatus(status);
    return "error" in status.pma ? 1 : 0;
  },
});

// ----------------------------------------------------------------------------- snapshot, gc

/** `cellar snapshot`. */
export const snapshotCommand: Command = defineCommand({
  name: "snapshot",
  summary: "Write a snapshot now (takes the writer lock)",
  usage: "cellar snapshot [--data DIR] [--epoch]",
  about: `Write a snapshot of the committed state now (a verified copy of the PMA slab with a
manifest), then prune old ones (two rotating snapshots and one epoch are kept). Takes the
data directory's writer lock: it fails while the server runs (use the server's HTTP API).`,
  options: { epoch: { type: "boolean" } },
  optionHelp: "  --epoch            Make it an epoch snapshot (default: the runtime's choice)",
  positionals: noArguments,
  data: "write",
  async run({ values }, dir): Promise<number> {
    using runtime = await openRuntime(dir);
    using _progress = showProgressOn();
    const info = runtime.snapshot(values.epoch ? "epoch" : undefined);
    console.log(
      `snapshot ${info.name}: ${info.kind}, event ${info.eventNumber}, ${size(info.bytes)}, ` +
        `written in ${info.writeMs.toFixed(1)} ms`,
    );
    return 0;
  },
});

/** `cellar gc`. */
export const gcCommand: Command = defineCommand({
  name: "gc",
  summary: "Compact the PMA now (takes the writer lock)",
  usage: "cellar gc [--data DIR]",
  about:
    `Copy-compact the PMA slab now (the live state moves to the other slab file). Takes the data
directory's writer lock: it fails while the server runs (use the server's HTTP API).`,
  options: {},
  positionals: noArguments,
  data: "write",
  async run(_args, dir): Promise<number> {
    using runtime = await openRuntime(dir);
    using _progress = showProgressOn();
    const r = runtime.gc();
    console.log(
      `gc: ${size(r.usedBytesBefore)} -> ${size(r.usedBytesAfter)} used, ` +
        `${size(r.liveBytes)} live, ${r.gcMs.toFixed(1)} ms`,
    );
    return 0;
  },
});
