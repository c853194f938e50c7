/**
 * Controls of the jet dashboard, the native code that runs registered Hoon arms: jet-check
 * mode, counters, a profile, and the registrations a kernel's state carries (`[core cold]`).
 *
 * @module
 */

import { ArgumentError } from "./errors.ts";
import { checked, lastError, symbols } from "./ffi.ts";
import { adoptHandle, handleOf } from "./noun.ts";
import type { Noun } from "./noun.ts";
export {
  addedJetTable,
  addJets,
  builtinJetTable,
  checkJetTable,
  jetEntries,
  parseJetTable,
} from "./jet_table.ts";
export type { JetMapping, JetTable, KnownCore } from "./jet_table.ts";
/**
 * Jet-check mode for later computations of this thread: every jet call also runs the arm's
 * Nock and compares; a mismatch is reported as a `%slog` (priority 3, read them with
 * `drainSlogs`) and counted ({@linkcode jetStats}), and the Nock's product is used.
 *
 * @example
 * ```ts
 * import { jetStats, setJetCheck } from "@cellar/cellar";
 * setJetCheck(true);
 * // ... run Nock ...
 * console.log(jetStats().mismatches); // 0
 * setJetCheck(false);
 * ```
 */
export function setJetCheck(on: boolean): void {
  if (symbols().cellar_jet_check(on ? 1 : 0) !== 0) throw lastError();
}

/**
 * Profiling of registered arms for {@linkcode jetReport}: calls, Nock steps and time per arm,
 * jet punts and %memo lookups. While it is on, arms without a jet (and jets that punt) run
 * nested (no tail calls through them), so keep it for diagnosis. Turning it off clears the
 * profile.
 *
 * @example
 * ```ts
 * import { jetReport, setJetProfile } from "@cellar/cellar";
 * setJetProfile(true);
 * // ... run Nock ...
 * console.log(jetReport());
 * setJetProfile(false);
 * ```
 */
export function setJetProfile(on: boolean): void {
  if (symbols().cellar_jet_profile(on ? 1 : 0) !== 0) throw lastError();
}

/** Counters of this thread's jet dashboard and %memo cache (since the machine was made). */
export interface JetStats {
  /** `%fast` hints seen. */
  fastHints: number;
  /** Cores registered by them. */
  registrations: number;
  /** Hints not registered (bad clue, or a parent that is not registered). */
  dropped: number;
  /**
   * Of them, hints whose parent core was neither registered nor a known core (a kernel
   * jammed after its root's hint ran): add the parent as a known core (`addJets`; the
   * report names its battery).
   */
  droppedUnknownParent: number;
  /** Registrations whose path has no entry in the jet table (they run their Nock). */
  unmatched: number;
  /** Jet calls. */
  jetCalls: number;
  /** Jet calls that fell back to the arm's Nock (a punt, a crash, or deep nesting). */
  jetPunts: number;
  /** Jet-check mode: calls checked against their Nock. */
  checks: number;
  /** Jet-check mode: calls whose jet disagreed with the Nock. */
  mismatches: number;
  /** %memo cache hits, misses, entries now, and evictions. */
  memoHits: number;
  memoMisses: number;
  memoEntries: number;
  memoEvictions: number;
  /** %memo cache: products stored. */
  memoInserts: number;
  /** %memo cache: workspace bytes reachable from its entries at the last collection. */
  memoBytes: number;
  /** %memo cache: its budget in bytes ({@linkcode setJetLimits}). */
  memoBudgetBytes: number;
  /** Jet-check mode: checks given up because the arm's Nock passed the step budget. */
  skipped: number;
}

/**
 * This thread's jet counters.
 *
 * @example
 * ```ts
 * import { jetStats } from "@cellar/cellar";
 * const { jetCalls, mismatches } = jetStats();
 * console.log(jetCalls >= 0, mismatches); // true 0
 * ```
 */
export function jetStats(): JetStats {
  const buffer = new Uint8Array(136);
  if (symbols().cellar_jet_stats(buffer, buffer.length) !== 0) throw lastError();
  const view = new DataView(buffer.buffer);
  const field = (i: number) => Number(view.getBigUint64(i * 8, true));
  return {
    fastHints: field(0),
    registrations: field(1),
    dropped: field(2),
    jetCalls: field(3),
    jetPunts: field(4),
    checks: field(5),
    mismatches: field(6),
    memoHits: field(7),
    memoMisses: field(8),
    memoEntries: field(9),
    memoEvictions: field(10),
    memoBytes: field(11),
    memoBudgetBytes: field(12),
    skipped: field(13),
    memoInserts: field(14),
    unmatched: field(15),
    droppedUnknownParent: field(16),
  };
}

/** Options of {@linkcode setJetLimits}; an option left out keeps its value. */
export interface JetLimits {
  /**
   * Budget of the %memo cache in bytes: when the workspace memory reachable from its entries
   * (measured at each collection) passes it, entries are evicted. Default 256 MiB.
   */
  memoBudgetBytes?: number;
  /**
   * Jet-check mode: the most Nock steps one check's reference run may take; past it the
   * check is skipped (counted in {@linkcode JetStats.skipped}) and the jet's product used.
   * 0: no limit. Default 1,000,000.
   */
  checkSteps?: number;
}

/**
 * Set this thread's %memo budget and jet-check step budget.
 *
 * @example
 * ```ts
 * import { jetStats, setJetLimits } from "@cellar/cellar";
 * setJetLimits({ memoBudgetBytes: 64 << 20, checkSteps: 100_000 });
 * console.log(jetStats().memoBudgetBytes); // 67108864
 * ```
 */
export function setJetLimits(limits: JetLimits): void {
  const budget = limits.memoBudgetBytes ?? -1;
  const steps = limits.checkSteps ?? -1;
  for (const [name, value] of [["memoBudgetBytes", budget], ["checkSteps", steps]] as const) {
    if (value !== -1 && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new ArgumentError(
        `Bad jet limit: ${name} must be a non-negative integer, got ${value}`,
      );
    }
  }
  if (symbols().cellar_jet_limits(budget, steps) !== 0) throw lastError();
}

/**
 * The dashboard as text: `registrations N`, `unmatched U` (registrations whose path has no
 * entry in the jet table), and when hints were dropped `dropped D (P with an unknown
 * parent), the first with clue C`, then for an unknown parent the line `unknown parent
 * axis=A mug=M sha256=S`: its battery, to add as a known core ({@linkcode addJets}). Then
 * every registered core's path, one a line; a core with a jet reads
 * `k140/one/add * jet=add checks=N mismatches=M` (the star marking the jet, then the name of
 * its native entry; N of its calls checked
 * against the arm's Nock in jet-check mode, M of them mismatched). Then, when profiling, one
 * line per arm, most own steps first: `self-steps steps calls path +axis jet|nock self-us us
 * punts memo-hits memo-misses` (own and inclusive Nock steps and microseconds, a recursive
 * arm's inclusive counts from its outermost call; jet calls that punted to the Nock; a
 * memoized arm's %memo lookups). Arms marked `nock` with many steps are candidates for new
 * jets; `ProfileSession` (`src/runtime/profile.ts`) reads them as a table.
 *
 * @example
 * ```ts
 * import { jetReport } from "@cellar/cellar";
 * console.log(jetReport().split("\n")[0]); // registrations N
 * ```
 */
export function jetReport(): string {
  const S = symbols();
  const length = S.cellar_jet_report();
  if (length < 0) throw lastError();
  const bytes = new Uint8Array(length);
  S.cellar_take_output(bytes, length);
  return new TextDecoder().decode(bytes);
}

/**
 * The profile ({@linkcode setJetProfile}) as folded stacks, the format flame-graph tools
 * read: one line per call path of registered arms, `outer;...;inner microseconds`, the time
 * spent in the innermost arm itself (less the registered arms it called). Arms are named by
 * their `%fast` path, with `+axis` when the arm is not a gate's `+2`; jetted arms count
 * their native time. Render it with `renderFlameGraph` or `flamegraph.pl`.
 *
 * @example
 * ```ts
 * import { jetFoldedStacks, setJetProfile } from "@cellar/cellar";
 * setJetProfile(true);
 * // ... run Nock ...
 * console.log(jetFoldedStacks().split("\n").length);
 * setJetProfile(false);
 * ```
 */
export function jetFoldedStacks(): string {
  const S = symbols();
  const length = S.cellar_jet_folded();
  if (length < 0) throw lastError();
  const bytes = new Uint8Array(length);
  S.cellar_take_output(bytes, length);
  return new TextDecoder().decode(bytes);
}

/**
 * The jet registrations of this thread's dashboard (its cold state) as a noun, so they can
 * be kept beside a state in the PMA: a list of `[battery name hooks payload parent axis
 * path]`. Its batteries are the registered nouns, shared with the code that registered
 * them.
 *
 * @example
 * ```ts
 * import { exportJetRegistrations } from "@cellar/cellar";
 * using cold = exportJetRegistrations();
 * console.log(cold.isCell || cold.toNumber() === 0); // true
 * ```
 */
export function exportJetRegistrations(): Noun {
  return adoptHandle(checked(symbols().cellar_jets_export()));
}

/**
 * Add registrations exported by {@linkcode exportJetRegistrations} (in this or another
 * process). Equal registrations are not added twice; the dashboard adopts the imported
 * batteries, so a state sharing them (e.g. read from the same PMA) matches its jets by
 * identity. Returns how many registrations were new. A malformed noun is a
 * `NounShapeError`.
 *
 * @example
 * ```ts
 * import { exportJetRegistrations, importJetRegistrations } from "@cellar/cellar";
 * using cold = exportJetRegistrations();
 * console.log(importJetRegistrations(cold)); // 0
 * ```
 */
export function importJetRegistrations(cold: Noun): number {
  const n = symbols().cellar_jets_import(handleOf(cold));
  if (n < 0) throw lastError();
  return n;
}
