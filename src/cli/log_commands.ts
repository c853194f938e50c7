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
import { stateAxis } from "../runtime/kernel.ts";
import { Pma } from "../runtime/pma.ts";
import { encodeExportedState } from "../runtime/state_file.ts";
import { RuntimeError } from "../runtime/runtime.ts";
import { Failure, readInput, UsageError } from "./_common.ts";
import { defineCommand, noArguments, oneArgument } from "./_command.ts";
import type { Command } from "./_command.ts";
import { LockedFailure, openRuntime, rethrowLocked, size } from "./_data.ts";
import { mugHex, printBootReport } from "./runtime_commands.ts";

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
    const boot = log.bootState();
    if (boot !== null) {
      throw new Failure(
        `Cannot export the log of ${dir}: it was booted from a state (${boot.source}), which ` +
          `the log export does not carry, so its events would not replay elsewhere. Export ` +
          `the state instead (--state), or copy the data directory`,
      );
    }
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

/**
 * The jam of the committed kernel state (axis 6 of the core), read through a read-only
 * mapping; with `expjam`, wrapped in NockApp's exported-state container.
 */
function exportState(
  dir: string,
  expjam: boolean,
): { jam: Uint8Array; event: bigint; mug: number } {
  using pma = Pma.open(`${dir}/pma`, { readOnly: true });
  using root = pma.root;
  if (!root.isCell) throw new Failure(`The PMA root of ${dir} is not [core registrations]`);
  using core = root.head;
  using state = core.at(stateAxis);
  const jam = state.jam();
  const event = pma.eventNumber;
  if (!expjam) return { jam, event, mug: state.mug };
  const kernelHash = hex(pma.kernelHash);
  return {
    jam: encodeExportedState({ kernelHash, eventNumber: event, jam }),
    event,
    mug: state.mug,
  };
}

const exportOptions = {
  out: { type: "string" },
  state: { type: "boolean" },
  expjam: { type: "boolean" },
  force: { type: "boolean" },
} as const;

/** `cellar export`. */
export const exportCommand: Command = defineCommand({
  name: "export",
  summary: "Write the whole event log (or --state: the state) to a jam file",
  usage: "cellar export [--data DIR] [--state [--expjam]] [--force] --out FILE.jam",
  about: `Write the data directory's whole event log (every kernel it has run and every accepted
event) to FILE.jam, for 'cellar import'. With --state, write instead the jam of the
committed kernel state (the noun at axis 6 of the kernel core, as of the PMA's event): what
'cellar boot KERNEL.jam --state FILE' boots from. With --expjam too, write it in NockApp's
exported-state container (EXPJAM: the kernel's hash, the event, the jam).
Read-only: it works while the server runs.

${formatHelp}`,
  options: exportOptions,
  optionHelp: `  --out FILE.jam     Where to write (required; refused if it exists, unless --force)
  --state            Export the state (axis 6 of the kernel core) instead of the log
  --expjam           With --state: write NockApp's EXPJAM container
  --force            Replace FILE.jam if it exists`,
  positionals: noArguments,
  data: "read",
  check({ values }): { out: string; state: boolean; expjam: boolean; force: boolean } {
    if (values.out === undefined || values.out.length === 0) {
      throw new UsageError("Missing --out FILE.jam: where to write the export");
    }
    if (values.expjam && !values.state) throw new UsageError("--expjam applies to --state only");
    return {
      out: values.out,
      state: values.state ?? false,
      expjam: values.expjam ?? false,
      force: values.force ?? false,
    };
  },
  run({ out, state, expjam, force }, dir): number {
    if (state) {
      const { jam, event, mug } = exportState(dir, expjam);
      writeAtomic(out, jam, force);
      console.log(
        `exported the state at event ${event} (mug ${mugHex(mug)}) to ${out}: ${size(jam.length)}`,
      );
    } else {
      const { jam, events, kernels } = exportLog(dir);
      writeAtomic(out, jam, force);
      console.log(
        `exported ${events} events and ${kernels} kernel(s) to ${out}: ${size(jam.length)}`,
      );
    }
    return 0;
  },
});

// ----------------------------------------------------------------------------- import

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

function readKernel(k: Noun, i: number, path: string): ImportedKernel {
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
    return { after, jam };
  } finally {
    for (const f of fields) f.dispose();
  }
}

function readEvent(e: Noun, i: number, path: string): ImportedEvent {
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
    return { num, wire, jam, computeMs: Number(computeUs) / 1000, stateMug: Number(mug) };
  } finally {
    for (const f of fields) f.dispose();
  }
}

/** Read every item of a list noun with `read` (the item nouns are disposed). */
function readList<T>(
  list: Noun,
  path: string,
  what: string,
  read: (item: Noun, i: number, path: string) => T,
): T[] {
  const items = listItems(list, path, what);
  try {
    return items.map((item, i) => read(item, i, path));
  } finally {
    for (const item of items) item.dispose();
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
    const kernels = readList(kernelList, path, "the kernel list", readKernel);
    if (kernels.length === 0) throw bad(path, "it has no kernel");
    const events = readList(eventList, path, "the event list", readEvent);
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

function absent(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/** Remove what an import wrote: the directory if it made it, else its contents. */
function removeImport(dir: string, created: boolean): void {
  try {
    if (created) {
      Deno.removeSync(dir, { recursive: true });
    } else {
      for (const e of Deno.readDirSync(dir)) {
        Deno.removeSync(`${dir}/${e.name}`, { recursive: true });
      }
    }
  } catch { /* best effort */ }
}

/** Write the export's kernels and events into a new event log in `dir`, under its lock. */
function writeImportedLog(dir: string, kernels: ImportedKernel[], events: ImportedEvent[]): void {
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
}

/** Replay the imported log (booting the directory); a failure removes what was imported. */
async function replayImport(dir: string, created: boolean): Promise<void> {
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
    removeImport(dir, created);
    throw new Failure(
      `The import failed its replay, so ${dir} was removed: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

async function runImport(path: string, dir: string): Promise<number> {
  if (!emptyOrAbsent(dir)) {
    throw new Failure(
      `${dir} exists and is not empty: import creates a new data directory (choose another --data)`,
    );
  }
  const { kernels, events } = readExport(path, await readInput(path));
  const created = absent(dir);
  Deno.mkdirSync(dir, { recursive: true });
  try {
    writeImportedLog(dir, kernels, events);
    console.error(
      `import: wrote ${events.length} events and ${kernels.length} kernel(s); replaying`,
    );
  } catch (error) {
    removeImport(dir, created);
    throw error;
  }
  await replayImport(dir, created);
  return 0;
}

/** `cellar import FILE.jam --data NEWDIR`. */
export const importCommand: Command = defineCommand({
  name: "import",
  summary: "Create a data directory by replaying a log export",
  usage: "cellar import FILE.jam [--data NEWDIR]",
  about: `Create the data directory NEWDIR (which must not exist, or be empty) from a log export
written by 'cellar export': check the export's shape, every kernel's and event's blake3
and that events are numbered 1, 2, ... without gaps; write them into a new event log; then
boot the first kernel and replay every event, checking each resulting state's mug against
the export (kernel upgrades are replayed where they happened). Any mismatch refuses the
import and removes NEWDIR. Event times are not kept: the new log records the import time.
The replay shows its progress; Ctrl-C stops it safely and keeps NEWDIR with its progress
(any later command that opens NEWDIR for writing, e.g. 'cellar snapshot', continues it).

${formatHelp}`,
  options: {},
  positionals: oneArgument("FILE.jam"),
  data: "create",
  run: ({ positionals }, dir) => runImport(positionals[0], dir),
});
