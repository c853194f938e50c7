/**
 * Urbit's Hoon compiler on Cellar: boot the ivory pill and evaluate Hoon expressions through
 * its `wish` gate. (The jet dashboard's controls are in `core/jets.ts`.)
 *
 * Booting (the "lite" boot of Vere): the pill cues to `[%ivory eve]`; the standard library
 * core is the axis 7 of `nock(eve, [2 [0 3] [0 2]])`; the wish gate is the product of the
 * core's arm at axis 10 (`nock(core, [9 10 0 1])`). Slamming the gate with a cord of Hoon
 * source compiles the expression against the standard library and evaluates it.
 *
 * @module
 */

import { ArgumentError, NounShapeError } from "../core/errors.ts";
import { nock } from "../core/machine.ts";
import type { NockOptions } from "../core/machine.ts";
import { addJets, setJetCheck } from "../core/jets.ts";
import type { JetTable } from "../core/jets.ts";
import { Noun } from "../core/noun.ts";

/** Options of {@linkcode Hoon.boot}. */
export interface HoonBootOptions extends NockOptions {
  /** Run every jet beside its Nock from now on (see `setJetCheck`). */
  jetCheck?: boolean;
  /**
   * Mappings and known cores to add to the process-wide jet table before booting (see
   * `addJets`): for a pill registered under other paths, or jammed after its root's
   * `%fast` hint ran.
   */
  jets?: JetTable;
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
    if (options.jets !== undefined) addJets(options.jets);
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
