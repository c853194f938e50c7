/**
 * The CLI's `export` and `import`: a data directory's whole event log as one jammed noun,
 * replayed into a new data directory; and the state alone as a jam.
 *
 * @module
 */

import { CueError, NounShapeError } from "../core/errors.ts";
import { EventLog } from "../runtime/event_log.ts";
import { blake3, FileLock, hex, writeFileAtomic } from "../runtime/files.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";
import { Pma } from "../runtime/pma.ts";
import { RuntimeError } from "../runtime/runtime.ts";
import { Failure, onePositional, parse, readInput, UsageError } from "./_common.ts";
import type { Command } from "./_common.ts";
import {
  dataDirOf,
  dataHelp,
  dataOption,
  LockedFailure,
  openRuntime,
  requireDataDir,
  rethrowLocked,
  size,
} from "./_data.ts";
import { printBootReport } from "./runtime_commands.ts";

const helpOption = { help: { type: "boolean", short: "h" } } as const;

/** The tag at the head of a log export. */
const exportTag = "cellar-log";
/** Version of the log export format. */
const exportVersion = 1;

const formatHelp = `The log export is the jam of the noun
  [%cellar-log 1 kernels events]
where kernels is a list (in installation order) of
  [installed-after=@ud hash=@ jam=[p=@ud q=@]]
and events is a list (event 1 first, no gaps) of
  [num=@ud wire=@t hash=@ jam=[p=@ud q=@] compute-us=@ud state-mug=@ud]
Jams are octs: p is the length in bytes, q the bytes as an atom (first byte least
significant). hash is the blake3 of the jam's bytes (32 bytes as an atom). An event's jam is
its poke sample without the number: [wire eny our now cause]. state-mug is the mug of the
kernel core after the event; compute-us is the compute time in microseconds.`;

// ----------------------------------------------------------------------------- export

const exportHelp = `Usage: cellar export [--data DIR] [--state] [--force] --out FILE.jam

Write the data directory's whole event log (every kernel it has run and every accepted
event) to FILE.jam, for 'cellar import'. With --state, write instead the jam of the
committed kernel core (the whole state, as of the PMA's event), which import does not read.
Read-only: it works while the server runs.

${formatHelp}

Options:
${dataHelp}
  --out FILE.jam     Where to write (required; refused if it exists, unless --force)
  --state            Export the state (the kernel core) instead of the log
  --force            Replace FILE.jam if it exists
  -h, --help         Show this help`;

function octs(bytes: Uint8Array): NounLike {
  return [bytes.length, bytes];
}

/** Write `bytes` to `path` atomically (temp, fsync, rename, directory fsync). */
function writeAtomic(path: string, bytes: Uint8Array, force: boolean): void {
  let exists = false;
  try {
    Deno.statSync(path);
    exists = true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (exists && !force) {
    throw new Failure(`${path} exists: choose another --out, or add --force to replace it`);
  }
  try {
    writeFileAtomic(path, bytes);
  } catch (error) {
    throw new Failure(`Cannot write ${path}: ${error instanceof Error ? error.message : error}`);
  }
}

/** The jam of a data directory's log export. */
function exportLog(dir: string): { jam: Uint8Array; events: bigint; kernels: number } {
  const log = EventLog.open(`${dir}/log.sqlite`, { create: false });
  try {
    const kernels = log.kernels();
    if (kernels.length === 0) throw new Failure(`The log of ${dir} names no kernel`);
    const extent = log.extent();
    const gap = extent.count > 0n ? log.firstGap(1n, extent.last) : null;
    if (gap !== null) {
      throw new Failure(`Cannot export ${dir}: its log is missing event ${gap}`);
    }
    const kernelItems: NounLike[] = kernels.map((k) => [
      k.installedAfter,
      k.hash,
      octs(log.kernelJam(k.id)),
    ]);
    const eventItems: NounLike[] = [];
    for (const e of log.range(1n, extent.last)) {
      eventItems.push([
        e.num,
        e.wire,
        e.hash,
        octs(e.jam),
        Math.max(0, Math.round(e.computeMs * 1000)),
        e.stateMug,
      ]);
    }
    using kernelList = Noun.list(kernelItems);
    using eventList = Noun.list(eventItems);
    using whole = Noun.from([exportTag, exportVersion, kernelList, eventList]);
    return { jam: whole.jam(), events: extent.last, kernels: kernels.length };
  } finally {
    log.close();
  }
}

/** The jam of the committed kernel core, read through a read-only mapping. */
function exportState(dir: string): { jam: Uint8Array; event: bigint; mug: number } {
  using pma = Pma.open(`${dir}/pma`, { readOnly: true });
  using root = pma.root;
  if (!root.isCell) throw new Failure(`The PMA root of ${dir} is not [core registrations]`);
  using core = root.head;
  return { jam: core.jam(), event: pma.eventNumber, mug: core.mug };
}

/** `cellar export`. */
export const exportCommand: Command = {
  summary: "Write the whole event log (or --state: the state) to a jam file",
  help: exportHelp,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, {
      ...dataOption,
      ...helpOption,
      out: { type: "string" },
      state: { type: "boolean" },
      force: { type: "boolean" },
    });
    if (values.help) {
      console.log(exportHelp);
      return Promise.resolve(0);
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    if (values.out === undefined || values.out.length === 0) {
      throw new UsageError("Missing --out FILE.jam: where to write the export");
    }
    const dir = dataDirOf(values);
    requireDataDir(dir);
    if (values.state) {
      const { jam, event, mug } = exportState(dir);
      writeAtomic(values.out, jam, values.force ?? false);
      console.log(
        `exported the state at event ${event} (mug 0x${
          mug.toString(16).padStart(8, "0")
        }) to ${values.out}: ${size(jam.length)}`,
      );
    } else {
      const { jam, events, kernels } = exportLog(dir);
      writeAtomic(values.out, jam, values.force ?? false);
      console.log(
        `exported ${events} events and ${kernels} kernel(s) to ${values.out}: ${size(jam.length)}`,
      );
    }
    return Promise.resolve(0);
  },
};

// ----------------------------------------------------------------------------- import

const importHelp = `Usage: cellar import FILE.jam [--data NEWDIR]

Create the data directory NEWDIR (which must not exist, or be empty) from a log export
written by 'cellar export': check the export's shape, every kernel's and event's blake3
and that events are numbered 1, 2, ... without gaps; write them into a new event log; then
boot the first kernel and replay every event, checking each resulting state's mug against
the export (kernel upgrades are replayed where they happened). Any mismatch refuses the
import and removes NEWDIR. Event times are not kept: the new log records the import time.
The replay shows its progress; Ctrl-C stops it safely and keeps NEWDIR with its progress
(any later command that opens NEWDIR for writing, e.g. 'cellar snapshot', continues it).

${formatHelp}

Options:
${dataHelp}
  -h, --help         Show this help`;

interface ImportedKernel {
  after: bigint;
  jam: Uint8Array;
}

interface ImportedEvent {
  num: bigint;
  wire: string;
  jam: Uint8Array;
  computeMs: number;
  stateMug: number;
}

function bad(path: string, why: string): Failure {
  return new Failure(`${path} is not a Cellar log export: ${why}`);
}

function atomOf(noun: Noun, path: string, what: string): bigint {
  if (!noun.isAtom) throw bad(path, `${what} is a cell, expected an atom`);
  return noun.toBigInt();
}

function octsOf(noun: Noun, path: string, what: string): Uint8Array {
  if (!noun.isCell) throw bad(path, `${what} is not [length bytes]`);
  using p = noun.head;
  using q = noun.tail;
  const length = atomOf(p, path, `${what}'s length`);
  const bytes = (() => {
    if (!q.isAtom) throw bad(path, `${what}'s bytes are a cell`);
    return q.toBytes();
  })();
  if (BigInt(bytes.length) > length || length > 0xffff_ffffn) {
    throw bad(path, `${what} has more bytes than its length says`);
  }
  const out = new Uint8Array(Number(length));
  out.set(bytes);
  return out;
}

function hashOf(noun: Noun, path: string, what: string): Uint8Array {
  if (!noun.isAtom) throw bad(path, `${what}'s hash is a cell`);
  const bytes = noun.toBytes();
  if (bytes.length > 32) throw bad(path, `${what}'s hash is longer than 32 bytes`);
  const out = new Uint8Array(32);
  out.set(bytes);
  return out;
}

/** Items of a null-terminated list noun (new nouns the caller disposes). */
function listItems(noun: Noun, path: string, what: string): Noun[] {
  try {
    return noun.toArray();
  } catch (error) {
    if (error instanceof NounShapeError) throw bad(path, `${what} is not a list`);
    throw error;
  }
}

/** Read and check a log export. */
function readExport(
  path: string,
  bytes: Uint8Array,
): { kernels: ImportedKernel[]; events: ImportedEvent[] } {
  let whole: Noun;
  try {
    whole = Noun.cue(bytes);
  } catch (error) {
    if (error instanceof CueError) throw bad(path, `it does not cue (${error.message})`);
    throw error;
  }
  using w = whole;
  const parts = (() => {
    try {
      return [w.at(2), w.at(6), w.at(14), w.at(15)];
    } catch {
      throw bad(path, "it is not [%cellar-log version kernels events]");
    }
  })();
  const [tag, version, kernelList, eventList] = parts;
  try {
    if (!tag.isAtom || tag.toCord() !== exportTag) {
      throw bad(path, `its head is not %${exportTag}`);
    }
    if (!version.isAtom || version.toBigInt() !== BigInt(exportVersion)) {
      throw bad(path, `its format version is not ${exportVersion}`);
    }
    const kernels: ImportedKernel[] = [];
    const kernelNouns = listItems(kernelList, path, "the kernel list");
    try {
      kernelNouns.forEach((k, i) => {
        const what = `kernel ${i + 1}`;
        let fields: Noun[];
        try {
          fields = [k.at(2), k.at(6), k.at(7)];
        } catch {
          throw bad(path, `${what} is not [installed-after hash jam]`);
        }
        try {
          const after = atomOf(fields[0], path, `${what}'s installed-after`);
          const hash = hashOf(fields[1], path, what);
          const jam = octsOf(fields[2], path, `${what}'s jam`);
          if (hex(blake3(jam)) !== hex(hash)) {
            throw bad(path, `${what}'s jam does not match its blake3`);
          }
          if (i === 0 && after !== 0n) throw bad(path, "the first kernel is not installed at 0");
          kernels.push({ after, jam });
        } finally {
          for (const f of fields) f.dispose();
        }
      });
    } finally {
      for (const k of kernelNouns) k.dispose();
    }
    if (kernels.length === 0) throw bad(path, "it has no kernel");
    const events: ImportedEvent[] = [];
    const eventNouns = listItems(eventList, path, "the event list");
    try {
      eventNouns.forEach((e, i) => {
        const what = `event ${i + 1}`;
        let fields: Noun[];
        try {
          fields = [e.at(2), e.at(6), e.at(14), e.at(30), e.at(62), e.at(63)];
        } catch {
          throw bad(path, `${what} is not [num wire hash jam compute-us state-mug]`);
        }
        try {
          const num = atomOf(fields[0], path, `${what}'s number`);
          if (num !== BigInt(i + 1)) {
            throw bad(path, `entry ${i + 1} of the event list is event ${num}: a gap or disorder`);
          }
          if (!fields[1].isAtom) throw bad(path, `${what}'s wire is a cell`);
          const wire = fields[1].toCord();
          const hash = hashOf(fields[2], path, what);
          const jam = octsOf(fields[3], path, `${what}'s jam`);
          if (hex(blake3(jam)) !== hex(hash)) {
            throw bad(path, `${what}'s jam does not match its blake3`);
          }
          const computeUs = atomOf(fields[4], path, `${what}'s compute time`);
          const mug = atomOf(fields[5], path, `${what}'s state mug`);
          if (mug > 0x7fff_ffffn) throw bad(path, `${what}'s state mug is not a mug`);
          events.push({
            num,
            wire,
            jam,
            computeMs: Number(computeUs) / 1000,
            stateMug: Number(mug),
          });
        } finally {
          for (const f of fields) f.dispose();
        }
      });
    } finally {
      for (const e of eventNouns) e.dispose();
    }
    const last = BigInt(events.length);
    for (const k of kernels.slice(1)) {
      if (k.after > last) throw bad(path, `a kernel is installed after event ${k.after}`);
    }
    return { kernels, events };
  } finally {
    for (const p of parts) p.dispose();
  }
}

function emptyOrAbsent(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    if (error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}

/** `cellar import FILE.jam --data NEWDIR`. */
export const importCommand: Command = {
  summary: "Create a data directory by replaying a log export",
  help: importHelp,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parse(args, { ...dataOption, ...helpOption });
    if (values.help) {
      console.log(importHelp);
      return 0;
    }
    const path = onePositional(positionals, "FILE.jam");
    const dir = dataDirOf(values);
    if (!emptyOrAbsent(dir)) {
      throw new Failure(
        `${dir} exists and is not empty: import creates a new data directory (choose another --data)`,
      );
    }
    const { kernels, events } = readExport(path, await readInput(path));
    const created = (() => {
      try {
        Deno.statSync(dir);
        return false;
      } catch {
        return true;
      }
    })();
    Deno.mkdirSync(dir, { recursive: true });
    const removeDir = () => {
      try {
        if (created) Deno.removeSync(dir, { recursive: true });
        else {for (const e of Deno.readDirSync(dir)) {
            Deno.removeSync(`${dir}/${e.name}`, { recursive: true });
          }}
      } catch { /* best effort */ }
    };
    try {
      let lock: FileLock;
      try {
        lock = FileLock.acquire(`${dir}/cellar.lock`);
      } catch (error) {
        rethrowLocked(dir, error);
      }
      try {
        const log = EventLog.open(`${dir}/log.sqlite`);
        try {
          // Kernels in installation order; each upgrade is recorded before the events after it.
          for (const k of kernels) log.addKernel(k.jam, k.after);
          const batch = 10_000;
          for (let i = 0; i < events.length; i += batch) {
            log.exec("BEGIN IMMEDIATE");
            try {
              for (const e of events.slice(i, i + batch)) {
                log.append(e.num, e.jam, e.wire, e.computeMs, e.stateMug);
              }
              log.exec("COMMIT");
            } catch (error) {
              log.exec("ROLLBACK");
              throw error;
            }
          }
        } finally {
          log.close();
        }
      } finally {
        lock.release();
      }
      console.error(
        `import: wrote ${events.length} events and ${kernels.length} kernel(s); replaying`,
      );
    } catch (error) {
      removeDir();
      throw error;
    }
    try {
      using runtime = await openRuntime(dir, { label: "import replay" });
      printBootReport(dir, runtime.bootReport, runtime.kernelHash);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "Interrupted") {
        throw new Failure(
          `${error.message}. ${dir} keeps the imported log and the progress; any command that ` +
            `opens it for writing (e.g. 'cellar snapshot --data ${dir}') continues the replay`,
        );
      }
      if (error instanceof LockedFailure) throw error;
      removeDir();
      throw new Failure(
        `The import failed its replay, so ${dir} was removed: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    return 0;
  },
};
