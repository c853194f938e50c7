/**
 * The CLI's data-directory commands: `boot`, `poke`, `peek`, `status`, `snapshot`, `gc`,
 * `verify`, and the `serve` entry of the help.
 *
 * `peek` and `status` only read (a read-only PMA mapping and the log), so they work while
 * the server runs. `boot`, `poke`, `snapshot`, `gc` and `verify` take the data directory's
 * writer lock and fail with a clear message while the server holds it.
 *
 * @module
 */

import { CellarError, NockError, PmaError } from "../core/errors.ts";
import { EventLog } from "../runtime/event_log.ts";
import { FileLock, hex } from "../runtime/files.ts";
import type { Noun } from "../core/noun.ts";
import { Pma } from "../runtime/pma.ts";
import { Replica } from "../runtime/replica.ts";
import type { BootReport } from "../runtime/runtime.ts";
import { SnapshotStore } from "../runtime/snapshots.ts";
import { Failure, onePositional, parse, readInput, UsageError } from "./_common.ts";
import type { Command } from "./_common.ts";
import {
  age,
  dataDirOf,
  dataHelp,
  dataOption,
  openRuntime,
  requireDataDir,
  rethrowLocked,
  size,
} from "./_data.ts";
import {
  causeFromWords,
  causeTextHelp,
  nounFromJson,
  nounJsonHelp,
  nounText,
} from "./noun_text.ts";
import { Noun as NounClass } from "../core/noun.ts";

const helpOption = { help: { type: "boolean", short: "h" } } as const;

function mugHex(mug: number): string {
  return "0x" + mug.toString(16).padStart(8, "0");
}

// ----------------------------------------------------------------------------- serve

const serveHelp = `Usage: ./cellar serve [options]

Run the HTTP server on a data directory. The server is started by the ./cellar script,
which runs it directly under its own permission set (the data directory, the library and
the listen address only); see './cellar serve --help' for its options.`;

/** `serve`: listed in the help; the ./cellar script starts the server itself. */
export const serveCommand: Command = {
  summary: "Run the HTTP server (started with ./cellar serve)",
  help: serveHelp,
  run(args: string[]): Promise<number> {
    if (args.includes("--help") || args.includes("-h")) {
      console.log(serveHelp);
      return Promise.resolve(0);
    }
    throw new Failure("The server is started with './cellar serve', not through this entry point");
  },
};

// ----------------------------------------------------------------------------- boot

const bootHelp = `Usage: cellar boot KERNEL.jam [--data DIR]

Create a data directory booted with the kernel KERNEL.jam, or upgrade an existing one to it
(the new kernel's load arm runs on the old state; if it crashes, the directory keeps its
kernel and state). Opening an existing directory runs the recovery hierarchy; the boot
report says which level was used, why each earlier level was skipped, and how many events
were replayed. A replay shows its progress; Ctrl-C stops it safely (the progress is kept as
a snapshot and the next start continues from there).

Options:
${dataHelp}
  -h, --help         Show this help`;

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
export const bootCommand: Command = {
  summary: "Create a data directory with a kernel, or upgrade one to a new kernel",
  help: bootHelp,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, { ...dataOption, ...helpOption });
    if (values.help) {
      console.log(bootHelp);
      return 0;
    }
    const kernelPath = onePositional(positionals, "KERNEL.jam");
    const dir = dataDirOf(values);
    const kernel = await readInput(kernelPath);
    using runtime = await openRuntime(dir, { kernel, create: true, label: "boot replay" });
    printBootReport(dir, runtime.bootReport, runtime.kernelHash);
    return 0;
  },
};

// ----------------------------------------------------------------------------- poke

const pokeHelp = `Usage: cellar poke [--data DIR] [--wire /a/b] (--jam FILE | --json NOUN | WORD...)

Apply one event durably: when this prints, the event is in the log and its state is
committed. Prints the event number and the kernel's effects. A crash of the kernel changes
nothing; it prints the crash's kind and trace and exits with status 1.

${causeTextHelp}

${nounJsonHelp}

Options:
${dataHelp}
  --wire PATH        The wire (default /poke/api; 'poke' is prepended when missing)
  --jam FILE         The cause is the noun jammed in FILE
  --json NOUN        The cause written as JSON
  --text             Print atoms that are printable text as 'cords' (a guess)
  -h, --help         Show this help`;

/** `cellar poke`. */
export const pokeCommand: Command = {
  summary: "Apply one event (durably) and print its effects",
  help: pokeHelp,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      ...helpOption,
      wire: { type: "string" },
      jam: { type: "string" },
      json: { type: "string" },
      text: { type: "boolean" },
    });
    if (values.help) {
      console.log(pokeHelp);
      return 0;
    }
    const forms = [values.jam !== undefined, values.json !== undefined, positionals.length > 0];
    if (forms.filter(Boolean).length !== 1) {
      throw new UsageError("Give the cause one way: --jam FILE, --json NOUN, or words");
    }
    if (values.wire !== undefined && !/^\/?[^/]+(\/[^/]+)*\/?$/.test(values.wire)) {
      throw new UsageError(`Bad --wire '${values.wire}': expected a path such as /cli/admin`);
    }
    const dir = dataDirOf(values);
    let cause: Noun;
    if (values.jam !== undefined) {
      const bytes = await readInput(values.jam);
      try {
        cause = NounClass.cue(bytes);
      } catch (error) {
        throw new Failure(
          `Cannot cue ${values.jam}: ${error instanceof Error ? error.message : error}`,
        );
      }
    } else if (values.json !== undefined) {
      cause = nounFromJson(values.json);
    } else {
      cause = causeFromWords(positionals);
    }
    using c = cause;
    requireDataDir(dir);
    using runtime = await openRuntime(dir);
    let result;
    try {
      result = runtime.poke(c, values.wire === undefined ? {} : { wire: values.wire });
    } catch (error) {
      if (!(error instanceof NockError)) throw error;
      error.traceNoun?.dispose();
      console.error(`cellar poke: the kernel rejected the event: ${error.message}`);
      for (const line of error.trace) console.error(`  ${line}`);
      return 1;
    }
    using effects = result.effects;
    console.log(`event: ${result.eventNumber}`);
    console.log(`effects: ${nounText(effects, { text: values.text })}`);
    return 0;
  },
};

// ----------------------------------------------------------------------------- peek

const peekHelp = `Usage: cellar peek [--data DIR] [--jam] [--text] PATH

Ask the kernel's peek arm about PATH (/a/b: a list of cords) and print the answer: the
value as a noun, '~' when the path is unknown, '[~ ~]' when it exists without a value.
Reads the committed state through a read-only mapping, so it works while the server runs.

Options:
${dataHelp}
  --jam              Write the jam of the value to stdout (binary) instead of printing it;
                     an unknown or empty path is then an error (exit status 1)
  --text             Print atoms that are printable text as 'cords' (a guess)
  -h, --help         Show this help`;

function openReplica(dir: string): Replica {
  requireDataDir(dir);
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

/** `cellar peek PATH`. */
export const peekCommand: Command = {
  summary: "Print the kernel's answer to a peek path (read-only)",
  help: peekHelp,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      ...helpOption,
      jam: { type: "boolean" },
      text: { type: "boolean" },
    });
    if (values.help) {
      console.log(peekHelp);
      return Promise.resolve(0);
    }
    const path = onePositional(positionals, "PATH");
    const dir = dataDirOf(values);
    using replica = openReplica(dir);
    let result;
    try {
      result = replica.peek(path);
    } catch (error) {
      if (!(error instanceof NockError)) throw error;
      error.traceNoun?.dispose();
      console.error(`cellar peek: the kernel's peek crashed: ${error.message}`);
      for (const line of error.trace) console.error(`  ${line}`);
      return Promise.resolve(1);
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
      return Promise.resolve(0);
    }
    using value = result.value;
    if (values.jam) {
      const bytes = value.jam();
      let done = 0;
      while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
    } else {
      console.log(nounText(value, { text: values.text }));
    }
    return Promise.resolve(0);
  },
};

// ----------------------------------------------------------------------------- status

const statusHelp = `Usage: cellar status [--data DIR] [--json]

Print the state of a data directory: the log's last event and size, the kernels it has
run, the PMA's event, kernel, state mug and slab statistics, and the snapshots with their
ages. Read-only (it never takes the writer lock), so it works while the server runs; the
boot report of the running server is shown by the server's own status.

Options:
${dataHelp}
  --json             Print JSON instead of text
  -h, --help         Show this help`;

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

/** Gather a data directory's status without taking its lock. */
export function readStatus(dir: string): StatusJson {
  requireDataDir(dir);
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
export const statusCommand: Command = {
  summary: "Show a data directory's event, kernel, PMA and snapshots (read-only)",
  help: statusHelp,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      ...helpOption,
      json: { type: "boolean" },
    });
    if (values.help) {
      console.log(statusHelp);
      return Promise.resolve(0);
    }
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    }
    const status = readStatus(dataDirOf(values));
    if (values.json) console.log(JSON.stringify(status, null, 2));
    else printStatus(status);
    return Promise.resolve("error" in status.pma ? 1 : 0);
  },
};

// ----------------------------------------------------------------------------- snapshot, gc

const snapshotHelp = `Usage: cellar snapshot [--data DIR] [--epoch]

Write a snapshot of the committed state now (a verified copy of the PMA slab with a
manifest), then prune old ones (two rotating snapshots and one epoch are kept). Takes the
data directory's writer lock: it fails while the server runs (use the server's HTTP API).

Options:
${dataHelp}
  --epoch            Make it an epoch snapshot (default: the runtime's choice)
  -h, --help         Show this help`;

/** `cellar snapshot`. */
export const snapshotCommand: Command = {
  summary: "Write a snapshot now (takes the writer lock)",
  help: snapshotHelp,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      ...helpOption,
      epoch: { type: "boolean" },
    });
    if (values.help) {
      console.log(snapshotHelp);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    using runtime = await openRuntime(dataDirOf(values));
    const info = runtime.snapshot(values.epoch ? "epoch" : undefined);
    console.log(
      `snapshot ${info.name}: ${info.kind}, event ${info.eventNumber}, ${size(info.bytes)}, ` +
        `written in ${info.writeMs.toFixed(1)} ms`,
    );
    return 0;
  },
};

const gcHelp = `Usage: cellar gc [--data DIR]

Copy-compact the PMA slab now (the live state moves to the other slab file). Takes the data
directory's writer lock: it fails while the server runs (use the server's HTTP API).

Options:
${dataHelp}
  -h, --help         Show this help`;

/** `cellar gc`. */
export const gcCommand: Command = {
  summary: "Compact the PMA now (takes the writer lock)",
  help: gcHelp,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, { ...dataOption, ...helpOption });
    if (values.help) {
      console.log(gcHelp);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    using runtime = await openRuntime(dataDirOf(values));
    const r = runtime.gc();
    console.log(
      `gc: ${size(r.usedBytesBefore)} -> ${size(r.usedBytesAfter)} used, ` +
        `${size(r.liveBytes)} live, ${r.gcMs.toFixed(1)} ms`,
    );
    return 0;
  },
};

// ----------------------------------------------------------------------------- verify

const verifyHelp = `Usage: cellar verify [--data DIR]

Check a data directory without changing it, and report every problem found:
  - the event log: SQLite's integrity check, every kernel's and every event's bytes against
    their blake3, and no missing event numbers;
  - the PMA: its committed data parses as nouns (a blake3 walk of the slab), its event is
    not ahead of the log, its kernel is one of the log's and its state mug matches the log;
  - every snapshot: its manifest, and its slab copy's size and blake3 against the manifest
    (a snapshot named in a problem is not used by recovery).
Exits with status 1 when there is any problem. Takes the data directory's writer lock (so
nothing changes while it runs): it fails while the server runs.

Options:
${dataHelp}
  -h, --help         Show this help`;

/** Check everything; returns the problems found (also printed as they are found). */
function verifyDataDir(dir: string): string[] {
  const problems: string[] = [];
  const ok = (line: string) => console.log(`ok: ${line}`);
  const problem = (line: string) => {
    problems.push(line);
    console.log(`PROBLEM: ${line}`);
  };
  const note = (line: string) => console.log(`note: ${line}`);
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

  // The log.
  let log: EventLog | null = null;
  let last = 0n;
  const mugs = new Map<bigint, number>();
  const kernelHashes = new Set<string>();
  try {
    log = EventLog.open(`${dir}/log.sqlite`, { create: false });
    ok("the event log passes SQLite's integrity check");
  } catch (error) {
    problem(`log: ${message(error)}`);
  }
  if (log !== null) {
    try {
      const kernels = log.kernels();
      for (const k of kernels) {
        try {
          log.kernelJam(k.id);
          kernelHashes.add(hex(k.hash));
        } catch (error) {
          problem(`log: ${message(error)}`);
        }
      }
      if (kernels.length === 0) problem("log: it names no kernel");
      else ok(`log: ${kernels.length} kernel(s) match their hashes`);
      const extent = log.extent();
      last = extent.last;
      const gap = extent.count > 0n ? log.firstGap(1n, last) : null;
      if (gap !== null) problem(`log: event ${gap} is missing (of 1..${last})`);
      let checked = 0;
      let damaged = 0;
      let next = 1n;
      while (next <= last) {
        try {
          for (const e of log.range(next, last)) {
            checked++;
            mugs.set(e.num, e.stateMug);
            next = e.num + 1n;
          }
          break;
        } catch {
          // Find the damaged event one by one, report it, and go on after it.
          for (; next <= last; next++) {
            try {
              const e = log.get(next);
              if (e !== null) {
                checked++;
                mugs.set(e.num, e.stateMug);
              }
            } catch (error) {
              damaged++;
              problem(`log: ${message(error)}`);
              next++;
              break;
            }
          }
        }
      }
      if (damaged === 0) ok(`log: ${checked} events match their hashes`);
    } catch (error) {
      problem(`log: ${message(error)}`);
    } finally {
      log.close();
    }
  }

  // The PMA.
  try {
    using pma = Pma.open(`${dir}/pma`, { readOnly: true });
    for (const r of pma.openReport().rejected) {
      note(
        `pma: meta slot ${r.slot} of ${r.file} (commit ${r.commitSeq}) was passed over: ` +
          `${r.reason} (the other slot's commit is used)`,
      );
    }
    const digest = pma.verify();
    ok(`pma: the committed data parses (blake3 ${digest.hex.slice(0, 16)})`);
    const event = pma.eventNumber;
    const kernel = hex(pma.kernelHash);
    if (event > last) {
      problem(`pma: it is at event ${event}, ahead of the log (${last})`);
    } else if (event < last) {
      note(`pma: it is at event ${event}, behind the log (${last}); the next start replays`);
    }
    if (log !== null && !kernelHashes.has(kernel)) {
      problem(`pma: its kernel ${kernel.slice(0, 16)} is not one of the log's kernels`);
    }
    using root = pma.root;
    if (!root.isCell) {
      problem("pma: its root is an atom, not [core registrations]");
    } else if (event > 0n && mugs.has(event)) {
      using core = root.head;
      if (core.mug !== mugs.get(event)) {
        problem(
          `pma: its state mug ${mugHex(core.mug)} differs from the log's ${
            mugHex(mugs.get(event)!)
          } for event ${event}`,
        );
      } else {
        ok(`pma: event ${event}, its state mug matches the log`);
      }
    } else {
      ok(`pma: event ${event}`);
    }
  } catch (error) {
    if (!(error instanceof CellarError)) throw error;
    problem(`pma: ${message(error)}`);
  }

  // Snapshots.
  const store = new SnapshotStore(`${dir}/snapshots`);
  const all = store.listAll();
  if (all.length === 0) note("snapshots: none");
  for (const e of all) {
    if (e.manifest === null) {
      problem(`snapshot ${e.name}: its manifest is missing or unreadable`);
      continue;
    }
    const check = store.verify({ name: e.name, path: e.path, manifest: e.manifest });
    if (!check.ok) {
      problem(`snapshot ${e.name}: ${check.reason}`);
      continue;
    }
    const event = BigInt(e.manifest.eventNumber);
    const logged = mugs.get(event);
    if (event > 0n && logged !== undefined && logged !== e.manifest.stateMug) {
      problem(`snapshot ${e.name}: its state mug differs from the log's for event ${event}`);
      continue;
    }
    ok(`snapshot ${e.name}: matches its manifest (blake3)`);
  }
  return problems;
}

/** `cellar verify`. */
export const verifyCommand: Command = {
  summary: "Check the log, the PMA and every snapshot (takes the writer lock)",
  help: verifyHelp,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, { ...dataOption, ...helpOption });
    if (values.help) {
      console.log(verifyHelp);
      return Promise.resolve(0);
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    const dir = dataDirOf(values);
    requireDataDir(dir);
    let lock: FileLock;
    try {
      lock = FileLock.acquire(`${dir}/cellar.lock`);
    } catch (error) {
      rethrowLocked(dir, error);
    }
    try {
      const problems = verifyDataDir(dir);
      if (problems.length > 0) {
        console.error(`cellar verify: ${problems.length} problem(s) in ${dir}`);
        return Promise.resolve(1);
      }
      console.log(`verify: ${dir} has no problems`);
      return Promise.resolve(0);
    } finally {
      lock.release();
    }
  },
};
