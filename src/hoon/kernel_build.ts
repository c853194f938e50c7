/**
 * Building a NockApp kernel from Hoon source with Urbit's compiler running on Cellar, and
 * the few helpers that boot a kernel and call its arms.
 *
 * The kernel jam is a trap `T = [F eve]`: `eve` is the lifecycle formula of the ivory pill
 * (`[%ivory eve]`) and `F` is
 *
 * ```
 * [7 [7 [0 3] [2 [0 3] [0 2]]] [7 [0 31] K_f]]
 * ```
 *
 * so that `nock(T, [9 2 0 1])` runs the ivory lifecycle (which builds the standard library
 * and fires its `%fast` hints, registering the jets), takes the standard library core at
 * axis 31 of the lifecycle's product (axis 7 of the pill's outer core: the subject of
 * `wish`), and runs `K_f` on it: the kernel source compiled by `ride` against that
 * core's type. So booting a kernel needs nothing but its jam, and its standard library
 * runs jetted in a fresh process.
 *
 * @module
 */

import { ArgumentError, NockError } from "../core/errors.ts";
import { Hoon } from "./ivory.ts";
import { drainSlogs, nock } from "../core/machine.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { bootKernel, loadAxis, peekAxis, pokeAxis, stateAxis } from "../runtime/kernel.ts";
import type { NounLike } from "../core/noun.ts";

/**
 * Axes of the NockApp kernel interface in the kernel core: the arms `load`, `peek` and
 * `poke`, and the state.
 *
 * @example
 * ```ts
 * import { kernelAxes } from "./kernel_build.ts";
 * console.log(kernelAxes.poke); // 23
 * ```
 */
export const kernelAxes = {
  load: loadAxis,
  peek: peekAxis,
  poke: pokeAxis,
  state: stateAxis,
} as const;

/** Options of {@linkcode buildKernel}: limits of the compilation (and of the boot check). */
export interface BuildKernelOptions extends NockOptions {}

/**
 * The compiler, as a Hoon gate made by `wish`: Hoon source in, `[K_f arms]` out, where
 * `K_f` is the formula of the source against the standard library and `arms` the formulas
 * of the wings `load`, `peek` and `poke` against the product's type (`~` for a missing arm).
 */
const compilerSource = `=/  typ  -:!>(.)
|=  src=@t
=/  kernel  (ride typ src)
:-  q.kernel
%+  turn  \`(list term)\`~[%load %peek %poke]
|=  arm=term
(mole |.(q:(~(mint ut p.kernel) %noun [%wing ~[arm]])))`;

/** `[7 [0 3] [2 [0 3] [0 2]]]`: the ivory lifecycle, run on the `eve` at axis 3 of the trap. */
const lifecycleOfEve: NounLike = [7, [0, 3], [2, [0, 3], [0, 2]]];

/** Axis of the standard library core in the product of the ivory lifecycle. */
const stdlibAxis = 31;

/**
 * Compile a kernel written in Hoon (one expression producing the kernel core) into the
 * jammed trap that a NockApp runtime boots. `ivoryPill` is the jam of Urbit's ivory pill
 * (`[%ivory eve]`). The product is reproducible: the same pill and source give the same
 * bytes.
 *
 * The arms `load`, `peek` and `poke` must land at axes 4, 22 and 23 of the core
 * ({@linkcode kernelAxes}); Hoon orders arms by name, and a core whose arms are exactly
 * `load`, `peek`, `poke` and `wish` has that layout (see docs/KERNELS.md). A kernel with
 * its arms elsewhere, or without one of them, is an {@linkcode ArgumentError}; source that
 * does not compile is a {@linkcode NockError} whose trace holds the compiler's message
 * (`syntax error` with the line and column, `-find.foo`, `nest-fail`, ...). A pill that is
 * not an ivory pill is a `CueError` or `NounShapeError`.
 *
 * @example
 * ```ts
 * import { buildKernel } from "./kernel_build.ts";
 * const pill = Deno.readFileSync("../shared/corpus/pills/ivory.pill");
 * const source = Deno.readTextFileSync("kernels/kv.hoon");
 * Deno.writeFileSync("kernels/kv.jam", buildKernel(pill, source));
 * ```
 */
export function buildKernel(
  ivoryPill: Uint8Array,
  hoonSource: string,
  options: BuildKernelOptions = {},
): Uint8Array {
  using hoon = Hoon.boot(ivoryPill, options);
  using pill = Noun.cue(ivoryPill);
  using eve = pill.tail;
  using compiled = compile(hoon, hoonSource, options);
  using formula = compiled.head;
  using arms = compiled.tail;
  checkArmAxes(arms);
  using lifecycle = Noun.from(lifecycleOfEve);
  using stdlib = Noun.from([0, stdlibAxis]);
  using kernelFormula = Noun.tuple(7, lifecycle, [7, stdlib, formula]);
  using trap = Noun.cell(kernelFormula, eve);
  const jam = trap.jam();
  // Boot it once: the trap must give a core with formulas at the interface axes.
  bootKernel(jam, options).dispose();
  return jam;
}

/** Run the compiler gate on the source: `[K_f arms]`. */
function compile(hoon: Hoon, hoonSource: string, options: NockOptions): Noun {
  if (hoonSource.trim() === "") {
    throw new ArgumentError("Cannot build kernel: the Hoon source is empty");
  }
  using compiler = hoon.wish(compilerSource, options);
  using source = Noun.cord(hoonSource);
  using subject = Noun.cell(compiler, source);
  using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
  try {
    return nock(subject, slam, options);
  } catch (error) {
    if (!(error instanceof NockError)) throw error;
    throw new NockError(
      error.kind,
      `Cannot build kernel: the Hoon source does not compile (${error.message})`,
      error.trace,
      error.traceNoun,
    );
  } finally {
    drainSlogs(); // `ride` slogs its progress ("ride: parsing", ...)
  }
}

/** Check the formulas of the arms `load`, `peek`, `poke`: `[9 axis 0 1]` at the right axes. */
function checkArmAxes(arms: Noun): void {
  const names = ["load", "peek", "poke"] as const;
  const found = arms.toArray();
  try {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const unit = found[i];
      if (unit.isAtom) {
        throw new ArgumentError(`Cannot build kernel: the core has no arm ${name}`);
      }
      using arm = unit.tail;
      using expected = Noun.from([9, kernelAxes[name], 0, 1]);
      if (!arm.equals(expected)) {
        throw new ArgumentError(
          `Cannot build kernel: arm ${name} is not at axis ${kernelAxes[name]} of the core ` +
            `(its formula is not [9 ${kernelAxes[name]} 0 1]); a kernel core must have ` +
            `exactly the arms load, peek, poke and wish`,
        );
      }
    }
  } finally {
    for (const noun of found) noun.dispose();
  }
}
