/**
 * Urbit's Hoon compiler on Cellar: boot the ivory pill and evaluate Hoon expressions through
 * its `wish` gate. Also the controls of the jet dashboard that runs the standard library
 * natively: jet-check mode, counters and a profile.
 *
 * Booting (the "lite" boot of Vere): the pill cues to `[%ivory eve]`; the standard library
 * core is the axis 7 of `nock(eve, [2 [0 3] [0 2]])`; the wish gate is the product of the
 * core's arm at axis 10 (`nock(core, [9 10 0 1])`). Slamming the gate with a cord of Hoon
 * source compiles the expression against the standard library and evaluates it.
 *
 * @module
 */

import { checked, lastError, symbols } from "./ffi.ts";
import { ArgumentError, NounShapeError } from "./errors.ts";
import { nock } from "./machine.ts";
import type { NockOptions } from "./machine.ts";
import { adoptHandle, handleOf, Noun } from "./noun.ts";

/** Options of {@linkcode Hoon.boot}. */
export interface HoonBootOptions extends NockOptions {
  /** Run every jet beside its Nock from now on (see {@linkcode setJetCheck}). */
  jetCheck?: boolean;
}

const ivoryTag = BigInt(0x79726f7669); // %ivory

/**
 * A booted Hoon standard library with its `wish` gate: Hoon source in, product out.
 * Dispose it (or use `using`) to release the gate.
 *
 * @example
 * ```ts
 * import { Hoon } from "@cellar/cellar";
 * using hoon = Hoon.boot(Deno.readFileSync("ivory.pill"));
 * using product = hoon.wish("(add 2 2)");
 * console.log(product.toString()); // 4
 * ```
 */
export class Hoon {
  #gate: Noun | null;
  #bootMs: number;

  private constructor(gate: Noun, bootMs: number) {
    this.#gate = gate;
    this.#bootMs = bootMs;
  }

  /**
   * Boot an ivory pill (its jammed bytes). Throws a `CueError` for bytes that are not a
   * jam, a {@linkcode NounShapeError} for a noun that is not `[%ivory eve]`, and a
   * `NockError` if the boot computation fails (`stepLimit` / `timeoutMs` bound it).
   *
   * @example
   * ```ts
   * import { Hoon } from "@cellar/cellar";
   * const hoon = Hoon.boot(Deno.readFileSync("ivory.pill"), { timeoutMs: 60_000 });
   * console.log(`booted in ${hoon.bootMs.toFixed(0)} ms`);
   * hoon.dispose();
   * ```
   */
  static boot(pill: Uint8Array, options: HoonBootOptions = {}): Hoon {
    if (options.jetCheck !== undefined) setJetCheck(options.jetCheck);
    const start = performance.now();
    using noun = Noun.cue(pill);
    if (!noun.isCell) {
      throw new NounShapeError("Cannot boot: the pill is an atom, not [%ivory eve]");
    }
    using tag = noun.head;
    if (!tag.isAtom || tag.toBigInt() !== ivoryTag) {
      throw new NounShapeError(
        "Cannot boot: the pill is not an ivory pill (its tag is not %ivory)",
      );
    }
    using eve = noun.tail;
    using lifecycle = Noun.from([2, [0, 3], [0, 2]]);
    using booted = nock(eve, lifecycle, options);
    using core = booted.at(7);
    using wishArm = Noun.from([9, 10, 0, 1]);
    const gate = nock(core, wishArm, options);
    return new Hoon(gate, performance.now() - start);
  }

  /** Wall-clock milliseconds the boot took (cue included). */
  get bootMs(): number {
    return this.#bootMs;
  }

  /**
   * Compile and evaluate a Hoon expression; its product. A compile error or a crash throws
   * a `NockError` (kind `exit`) whose trace holds Hoon's messages.
   *
   * @example
   * ```ts
   * import { Hoon } from "@cellar/cellar";
   * using hoon = Hoon.boot(Deno.readFileSync("ivory.pill"));
   * using list = hoon.wish("(turn ~[1 2 3] |=(a=@ (mul a a)))");
   * console.log(list.toString()); // [1 4 9 0]
   * ```
   */
  wish(expression: string, options: NockOptions = {}): Noun {
    const gate = this.#gate;
    if (gate === null) throw new ArgumentError("Cannot wish: this Hoon was disposed");
    using source = Noun.cord(expression);
    using subject = Noun.cell(gate, source);
    using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
    return nock(subject, slam, options);
  }

  /** Release the wish gate. Idempotent. */
  dispose(): void {
    this.#gate?.dispose();
    this.#gate = null;
  }

  /** Same as {@linkcode Hoon.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

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
 * Profiling of registered arms for {@linkcode jetReport}: calls and Nock steps per arm. While
 * it is on, arms without a jet run nested (no tail calls through them), so keep it for
 * diagnosis. Turning it off clears the profile.
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
  const buffer = new Uint8Array(88);
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
  };
}

/**
 * The dashboard as text: every registered core's path, one a line; a core with a jet reads
 * `k140/one/add * checks=N mismatches=M` (the star marking the jet; N of its calls checked
 * against the arm's Nock in jet-check mode, M of them mismatched). Then, when profiling, one
 * line per arm, most own steps first: `self-steps steps calls path +axis jet|nock`. Arms
 * marked `nock` with many steps are candidates for new jets.
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
