/**
 * The CLI's `verify` command: check a data directory's event log, PMA and snapshots
 * without changing them, and report every problem found.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { EventLog } from "../runtime/event_log.ts";
import { FileLock, hex } from "../runtime/files.ts";
import { Pma } from "../runtime/pma.ts";
import { SnapshotStore } from "../runtime/snapshots.ts";
import { showProgressOn } from "../runtime/progress.ts";
import { defineCommand, noArguments } from "./_command.ts";
import type { Command } from "./_command.ts";
import { rethrowLocked } from "./_data.ts";
import { mugHex } from "./runtime_commands.ts";

/** Prints what is found as it is found (ok, PROBLEM, note) and keeps the problems. */
class Findings {
  readonly problems: string[] = [];

  ok(line: string): void {
    console.log(`ok: ${line}`);
  }

  problem(line: string): void {
    this.problems.push(line);
    console.log(`PROBLEM: ${line}`);
  }

  note(line: string): void {
    console.log(`note: ${line}`);
  }
}

/** What the log says, to check the PMA and the snapshots against. */
interface LogFacts {
  /** Whether the log could be opened. */
  opened: boolean;
  /** Its last event number. */
  last: bigint;
  /** The state mug after each event read. */
  mugs: Map<bigint, number>;
  /** The hashes (hex) of its kernels. */
  kernelHashes: Set<string>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkKernels(log: EventLog, facts: LogFacts, findings: Findings): void {
  const kernels = log.kernels();
  for (const k of kernels) {
    try {
      log.kernelJam(k.id);
      facts.kernelHashes.add(hex(k.hash));
    } catch (error) {
      findings.problem(`log: ${message(error)}`);
    }
  }
  if (kernels.length === 0) findings.problem("log: it names no kernel");
  else findings.ok(`log: ${kernels.length} kernel(s) match their hashes`);
}

/** Read every event (checking its hash); a damaged one is reported, and the walk goes on. */
function checkEvents(log: EventLog, facts: LogFacts, findings: Findings): void {
  let checked = 0;
  let damaged = 0;
  let next = 1n;
  while (next <= facts.last) {
    try {
      for (const e of log.range(next, facts.last)) {
        checked++;
        facts.mugs.set(e.num, e.stateMug);
        next = e.num + 1n;
      }
      break;
    } catch {
      // Find the damaged event one by one, report it, and go on after it.
      for (; next <= facts.last; next++) {
        try {
          const e = log.get(next);
          if (e !== null) {
            checked++;
            facts.mugs.set(e.num, e.stateMug);
          }
        } catch (error) {
          damaged++;
          findings.problem(`log: ${message(error)}`);
          next++;
          break;
        }
      }
    }
  }
  if (damaged === 0) findings.ok(`log: ${checked} events match their hashes`);
}

function checkLog(dir: string, findings: Findings): LogFacts {
  const facts: LogFacts = { opened: false, last: 0n, mugs: new Map(), kernelHashes: new Set() };
  let log: EventLog;
  try {
    log = EventLog.open(`${dir}/log.sqlite`, { create: false });
    findings.ok("the event log passes SQLite's integrity check");
  } catch (error) {
    findings.problem(`log: ${message(error)}`);
    return facts;
  }
  facts.opened = true;
  try {
    checkKernels(log, facts, findings);
    const extent = log.extent();
    facts.last = extent.last;
    const gap = extent.count > 0n ? log.firstGap(1n, facts.last) : null;
    if (gap !== null) findings.problem(`log: event ${gap} is missing (of 1..${facts.last})`);
    checkEvents(log, facts, findings);
  } catch (error) {
    findings.problem(`log: ${message(error)}`);
  } finally {
    log.close();
  }
  return facts;
}

function checkPma(dir: string, facts: LogFacts, findings: Findings): void {
  let faulty = false;
  try {
    using pma = Pma.open(`${dir}/pma`, { readOnly: true });
    for (const r of pma.openReport().rejected) {
      findings.note(
        `pma: meta slot ${r.slot} of ${r.file} (commit ${r.commitSeq}) was passed over: ` +
          `${r.reason} (the other slot's commit is used)`,
      );
    }
    faulty = !checkPmaData(pma, findings);
    checkPmaState(pma, facts, findings);
  } catch (error) {
    if (!(error instanceof CellarError)) throw error;
    findings.problem(`pma: ${message(error)}`);
  }
  if (faulty) recordPmaFault(dir, findings);
}

/** Every data checksum, recomputed (then the blake3 walk); false when a fault is found. */
function checkPmaData(pma: Pma, findings: Findings): boolean {
  const check = pma.check();
  if (check.faults > 0) {
    findings.problem(`pma: ${check.faults} data fault(s), the first: ${check.fault?.message}`);
    return false;
  }
  const digest = pma.verify();
  findings.ok(
    `pma: its data matches its checksums (${check.checkedBytes} bytes; blake3 ${
      digest.hex.slice(0, 16)
    })`,
  );
  if (check.unverifiedBytes > 0) {
    findings.note(
      `pma: ${check.unverifiedBytes} bytes were written without data checksums ` +
        "(an older format, or checksums off) and are unverified until the next GC",
    );
  }
  return true;
}

/** The PMA's event, kernel and state mug (recomputed without caches) against the log. */
function checkPmaState(pma: Pma, facts: LogFacts, findings: Findings): void {
  const event = pma.eventNumber;
  const kernel = hex(pma.kernelHash);
  if (event > facts.last) {
    findings.problem(`pma: it is at event ${event}, ahead of the log (${facts.last})`);
  } else if (event < facts.last) {
    findings.note(
      `pma: it is at event ${event}, behind the log (${facts.last}); the next start replays`,
    );
  }
  if (facts.opened && !facts.kernelHashes.has(kernel)) {
    findings.problem(`pma: its kernel ${kernel.slice(0, 16)} is not one of the log's kernels`);
  }
  using root = pma.root;
  const logged = facts.mugs.get(event);
  if (!root.isCell) {
    findings.problem("pma: its root is an atom, not [core registrations]");
    return;
  }
  if (event === 0n || logged === undefined) {
    findings.ok(`pma: event ${event}`);
    return;
  }
  using core = root.head;
  const mug = pma.recomputeMug(core);
  if (mug.wrongCachedMugs > 0) {
    findings.problem(
      `pma: ${mug.wrongCachedMugs} cached mug(s) differ from the data's, the first at byte ` +
        `${mug.firstWrongOffset}`,
    );
  }
  if (mug.mug !== logged) {
    findings.problem(
      `pma: its state mug ${mugHex(mug.mug)} (recomputed) differs from the log's ${
        mugHex(logged)
      } for event ${event}`,
    );
  } else {
    findings.ok(`pma: event ${event}, its state mug (recomputed) matches the log`);
  }
}

/**
 * Record a data fault found read-only: a writer's check writes `pma/pma.fault`, so that the
 * next start does not use this PMA (it recovers from a snapshot and the log instead).
 */
function recordPmaFault(dir: string, findings: Findings): void {
  try {
    using pma = Pma.open(`${dir}/pma`, { create: false, sidecar: "off" });
    pma.check();
    findings.note(
      "pma: the fault is recorded in pma/pma.fault: the next start will not use this PMA " +
        "and recovers the state from a snapshot and the log",
    );
  } catch (error) {
    if (!(error instanceof CellarError)) throw error;
    findings.note(`pma: the fault could not be recorded: ${message(error)}`);
  }
}

function checkSnapshots(dir: string, facts: LogFacts, findings: Findings): void {
  const store = new SnapshotStore(`${dir}/snapshots`);
  const all = store.listAll();
  if (all.length === 0) findings.note("snapshots: none");
  for (const e of all) {
    if (e.manifest === null) {
      findings.problem(`snapshot ${e.name}: its manifest is missing or unreadable`);
      continue;
    }
    const check = store.verify({ name: e.name, path: e.path, manifest: e.manifest });
    if (!check.ok) {
      findings.problem(`snapshot ${e.name}: ${check.reason}`);
      continue;
    }
    const event = BigInt(e.manifest.eventNumber);
    const logged = facts.mugs.get(event);
    if (event > 0n && logged !== undefined && logged !== e.manifest.stateMug) {
      findings.problem(
        `snapshot ${e.name}: its state mug differs from the log's for event ${event}`,
      );
      continue;
    }
    findings.ok(`snapshot ${e.name}: matches its manifest (blake3)`);
  }
}

/** Check everything; returns the problems found (also printed as they are found). */
function verifyDataDir(dir: string): string[] {
  const findings = new Findings();
  const facts = checkLog(dir, findings);
  checkPma(dir, facts, findings);
  checkSnapshots(dir, facts, findings);
  return findings.problems;
}

/** `cellar verify`. */
export const verifyCommand: Command = defineCommand({
  name: "verify",
  summary: "Check the log, the PMA and every snapshot (takes the writer lock)",
  usage: "cellar verify [--data DIR]",
  about: `Check a data directory without changing it, and report every problem found:
  - the event log: SQLite's integrity check, every kernel's and every event's bytes against
    their blake3, and no missing event numbers;
  - the PMA: every page of its data against the checksum written with it (a data fault is
    recorded in pma/pma.fault, the one change verify makes: the next start then recovers
    the state from a snapshot and the log), its data parses as nouns, its event is not
    ahead of the log, its kernel is one of the log's, and its state mug, recomputed from
    the data without cached mugs, matches the log;
  - every snapshot: its manifest, and its slab copy's size and blake3 against the manifest
    (a snapshot named in a problem is not used by recovery).
Exits with status 1 when there is any problem. Takes the data directory's writer lock (so
nothing changes while it runs): it fails while the server runs.`,
  options: {},
  positionals: noArguments,
  data: "write",
  run(_args, dir): number {
    let lock: FileLock;
    try {
      lock = FileLock.acquire(`${dir}/cellar.lock`);
    } catch (error) {
      rethrowLocked(dir, error);
    }
    try {
      using _progress = showProgressOn();
      const problems = verifyDataDir(dir);
      if (problems.length > 0) {
        console.error(`cellar verify: ${problems.length} problem(s) in ${dir}`);
        return 1;
      }
      console.log(`verify: ${dir} has no problems`);
      return 0;
    } finally {
      lock.release();
    }
  },
});
