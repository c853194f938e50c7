/**
 * A profile session over this thread's jet dashboard: per registered arm (named by its
 * `%fast` path), calls, own and inclusive Nock steps and time, jetted or not; per jet, its
 * punts; per memoized arm, its %memo hits and misses; and the session's totals. It renders
 * the busiest arms as a table, the call tree as folded stacks (the format of
 * `flamegraph.pl`) and as an SVG flame graph. The CLI's `--profile OUT` and the server's
 * `--profile DIR` use it.
 *
 * While a session runs, arms without a jet run nested (no tail calls through them): profile
 * for diagnosis.
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { renderFlameGraph } from "../core/flamegraph.ts";
import { jetFoldedStacks, jetReport, jetStats, setJetProfile } from "../core/jets.ts";
import type { JetStats } from "../core/jets.ts";

/** One registered arm of a profile. */
export interface ProfileArm {
  /** The registration's `%fast` path, with `+axis` unless the arm is a gate's `+2`. */
  arm: string;
  /** Whether a jet ran it (else its Nock ran). */
  jet: boolean;
  calls: number;
  /** Nock steps in the arm itself, less the registered arms it called. */
  ownSteps: number;
  /** Nock steps in all (a recursive arm's from its outermost calls). */
  steps: number;
  /** Microseconds in the arm itself (its Nock or its jet), less the registered arms it called. */
  ownUs: number;
  /** Microseconds in all (a recursive arm's from its outermost calls). */
  us: number;
  /** Jet calls that fell back to the arm's Nock. */
  punts: number;
  /** A memoized arm's %memo cache hits and misses. */
  memoHits: number;
  memoMisses: number;
}

/** A profile's table: the busiest arms, and the session's totals. */
export interface ProfileTable {
  /** Milliseconds since the session started (or was reset). */
  elapsedMs: number;
  /** Registered arms profiled (the table may show fewer). */
  armCount: number;
  /** The busiest arms, most own steps first. */
  arms: ProfileArm[];
  /** Jet calls and punts, and %memo cache hits and misses (arms and hints), in the session. */
  jetCalls: number;
  jetPunts: number;
  memoHits: number;
  memoMisses: number;
}

/** The files a profile was written to. */
export interface ProfileFiles {
  table: string;
  folded: string;
  svg: string;
}

/** Parse the profile lines of `jetReport()`. */
function parseArms(report: string): ProfileArm[] {
  const lines = report.split("\n");
  const start = lines.findIndex((line) => line.startsWith("profile "));
  if (start < 0) return [];
  const arms: ProfileArm[] = [];
  for (const line of lines.slice(start + 1)) {
    const f = line.split(" ");
    if (f.length !== 11) continue;
    const n = (i: number) => Number(f[i]);
    const axis = f[4] === "+2" ? "" : f[4];
    arms.push({
      arm: f[3] + axis,
      jet: f[5] === "jet",
      ownSteps: n(0),
      steps: n(1),
      calls: n(2),
      ownUs: n(6),
      us: n(7),
      punts: n(8),
      memoHits: n(9),
      memoMisses: n(10),
    });
  }
  return arms;
}

/**
 * A profile session of this thread. Sessions do not nest: starting one while another runs
 * is an `ArgumentError`.
 *
 * @example
 * ```ts
 * import { ProfileSession } from "./profile.ts";
 * using session = ProfileSession.start();
 * // ... run Nock ...
 * console.log(session.table().arms.length >= 0); // true
 * ```
 */
export class ProfileSession implements Disposable {
  static #running = false;
  #since: JetStats;
  #started = performance.now();
  #stopped = false;

  private constructor() {
    setJetProfile(true);
    this.#since = jetStats();
  }

  /** Turn profiling on, from an empty profile. */
  static start(): ProfileSession {
    if (ProfileSession.#running) {
      throw new ArgumentError("Cannot start a profile: one is already running");
    }
    const session = new ProfileSession();
    ProfileSession.#running = true;
    return session;
  }

  /** Empty the profile and restart the session's clock and totals. */
  reset(): void {
    this.#check();
    setJetProfile(false);
    setJetProfile(true);
    this.#since = jetStats();
    this.#started = performance.now();
  }

  /** The busiest `limit` arms (default all) and the totals. */
  table(limit = Infinity): ProfileTable {
    this.#check();
    const arms = parseArms(jetReport());
    const now = jetStats();
    const since = this.#since;
    return {
      elapsedMs: performance.now() - this.#started,
      armCount: arms.length,
      arms: arms.slice(0, limit),
      jetCalls: now.jetCalls - since.jetCalls,
      jetPunts: now.jetPunts - since.jetPunts,
      memoHits: now.memoHits - since.memoHits,
      memoMisses: now.memoMisses - since.memoMisses,
    };
  }

  /** The call tree as folded stacks: `outer;...;inner microseconds` a line. */
  folded(): string {
    this.#check();
    return jetFoldedStacks();
  }

  /** The call tree as an SVG flame graph. */
  svg(title: string): string {
    return renderFlameGraph(this.folded(), { title });
  }

  /**
   * Write `OUT.txt` (the table, every arm), `OUT.folded` and `OUT.svg`, where `out` is a
   * path prefix that {@linkcode checkProfileOut} accepted; returns their paths.
   */
  write(out: string, title: string): ProfileFiles {
    const files = profileFiles(out);
    const folded = this.folded();
    Deno.writeTextFileSync(files.table, formatProfileTable(this.table()));
    Deno.writeTextFileSync(files.folded, folded);
    Deno.writeTextFileSync(files.svg, renderFlameGraph(folded, { title }));
    return files;
  }

  /** Turn profiling off; the profile is gone. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    ProfileSession.#running = false;
    setJetProfile(false);
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  #check(): void {
    if (this.#stopped) throw new ArgumentError("Cannot read a profile: its session stopped");
  }
}

/** The files of the path prefix `out`. */
export function profileFiles(out: string): ProfileFiles {
  return { table: `${out}.txt`, folded: `${out}.folded`, svg: `${out}.svg` };
}

const columns = ["own steps", "steps", "calls", "own ms", "ms", "punts", "memo hit/miss"];

/**
 * The table as text: a header, one line per arm (own and inclusive steps, calls, own and
 * inclusive milliseconds, jet punts, %memo hits/misses, `jet`/`nock`, the arm), then the
 * totals.
 *
 * @example
 * ```ts
 * import { formatProfileTable } from "./profile.ts";
 * const text = formatProfileTable({
 *   elapsedMs: 1, armCount: 0, arms: [], jetCalls: 0, jetPunts: 0, memoHits: 0, memoMisses: 0,
 * });
 * console.log(text.split("\n")[0].endsWith("arm")); // true
 * ```
 */
export function formatProfileTable(table: ProfileTable): string {
  const ms = (us: number) => (us / 1000).toFixed(3);
  const rows = table.arms.map((a) => [
    String(a.ownSteps),
    String(a.steps),
    String(a.calls),
    ms(a.ownUs),
    ms(a.us),
    String(a.punts),
    a.memoHits + a.memoMisses === 0 ? "-" : `${a.memoHits}/${a.memoMisses}`,
    a.jet ? "jet " : "nock",
    a.arm,
  ]);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const pad = (cells: string[]) =>
    cells.map((cell, i) => i < widths.length ? cell.padStart(widths[i]) : cell).join("  ");
  const lookups = table.memoHits + table.memoMisses;
  const rate = lookups === 0 ? 0 : (100 * table.memoHits) / lookups;
  return [
    pad([...columns, "kind", "arm"]),
    ...rows.map(pad),
    `arms: ${table.arms.length} of ${table.armCount}; ${table.elapsedMs.toFixed(1)} ms profiled`,
    `jets: ${table.jetCalls} calls, ${table.jetPunts} punts`,
    `memo: ${table.memoHits} hits, ${table.memoMisses} misses (${rate.toFixed(1)}% hit)`,
    "",
  ].join("\n");
}

/**
 * Check that the profile's files can be written at the path prefix `out` before any work:
 * its folder is a directory, and none of `OUT.txt`, `OUT.folded`
 * and `OUT.svg` is a directory or a symlink. Returns the reason it cannot, or null.
 */
export function checkProfileOut(out: string): string | null {
  if (out === "" || out.endsWith("/")) return `expected a file name prefix, got '${out}'`;
  const slash = out.lastIndexOf("/");
  const folder = slash < 0 ? "." : slash === 0 ? "/" : out.slice(0, slash);
  const info = stat(folder);
  if (info === null) return `its folder ${folder} does not exist`;
  if (!info.isDirectory) return `its folder ${folder} is not a directory`;
  for (const file of Object.values(profileFiles(out))) {
    const existing = lstat(file);
    if (existing === null) continue;
    if (existing.isSymlink) return `${file} is a symlink`;
    if (!existing.isFile) return `${file} exists and is not a file`;
  }
  return null;
}

/**
 * Check that `dir` can hold a profile: a directory that is not a symlink, or (with
 * `mayCreate`) absent with a directory as its parent. Returns the reason it cannot, or null.
 */
export function checkDirectory(dir: string, mayCreate: boolean): string | null {
  // Without trailing slashes, so that lstat sees a symlink itself, not its target.
  const trimmed = dir.replace(/\/+$/, "") || "/";
  const info = lstat(trimmed);
  if (info === null) {
    if (!mayCreate) return `${dir} does not exist`;
    const slash = trimmed.lastIndexOf("/");
    const parent = slash < 0 ? "." : slash === 0 ? "/" : trimmed.slice(0, slash);
    const up = lstat(parent);
    return up !== null && up.isDirectory ? null : `${dir} does not exist, nor its parent`;
  }
  if (info.isSymlink) return `${dir} is a symlink`;
  if (!info.isDirectory) return `${dir} is not a directory`;
  return null;
}

function lstat(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function stat(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}
