/**
 * Building a NockApp kernel from Hoon source with Urbit's compiler running on Cellar, and
 * the few helpers that boot a kernel and call its arms.
 *
 * A kernel is built in one of two modes ({@linkcode KernelMode}):
 *
 * - **standalone**: the source is compiled against `~` (the type of the atom 0), so nothing
 *   of the standard library is in scope, and the kernel jam is the trap
 *   `T = [[7 [0 3] K_f] 0]`: `nock(T, [9 2 0 1])` runs `K_f`, the compiled source, on `~`,
 *   the subject it was compiled against. The jam holds the kernel's own code and nothing
 *   else; the compiler is needed to build it, never to boot it. `kernels/kv.hoon` is built
 *   this way (its source begins with `=>  ~`).
 *
 * - **stdlib**: the source is compiled against the standard library of the ivory pill, and
 *   the trap is `T = [F eve]`: `eve` is the lifecycle formula of the ivory pill
 *   (`[%ivory eve]`) and `F` is
 *
 *   ```
 *   [7 [7 [0 3] [2 [0 3] [0 2]]] [7 [0 31] K_f]]
 *   ```
 *
 *   so that `nock(T, [9 2 0 1])` runs the ivory lifecycle (which builds the standard library
 *   and fires its `%fast` hints, registering the jets), takes the standard library core at
 *   axis 31 of the lifecycle's product (axis 7 of the pill's outer core: the subject of
 *   `wish`), and runs `K_f` on it: the kernel source compiled by `ride` against that
 *   core's type. Booting needs nothing but the jam, and the standard library runs jetted in
 *   a fresh process; but the jam carries Urbit's compiled standard library.
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

/**
 * How a kernel is compiled: against `~` (`standalone`: nothing but the kernel's own code in
 * the jam) or against the ivory pill's standard library (`stdlib`).
 */
export type KernelMode = "standalone" | "stdlib";

/** Options of {@linkcode buildKernel}: the mode, and limits of the compilation and boot. */
export interface BuildKernelOptions extends NockOptions {
  /** The mode; by default {@linkcode kernelModeOf} the source. */
  mode?: KernelMode;
}

/** `=>  ~` (tall) or `=>(~ ` (wide) at the start of a source, after comments and blanks. */
const standaloneStart = /^(?:[ \t]*(?:::[^\n]*)?\r?\n)*[ \t]*=>(?:\s+~\s|\(~\s)/;

/**
 * The mode a source asks for: `standalone` when its first expression is `=>  ~` (so that
 * nothing of the subject, the standard library included, is in scope), else `stdlib`.
 * Compiling a `=>  ~` source against `~` or against the standard library gives a kernel
 * that computes the same; the standalone one carries no standard library.
 *
 * @example
 * ```ts
 * import { kernelModeOf } from "./kernel_build.ts";
 * console.log(kernelModeOf("::  a kernel\n=>  ~\n|%\n--")); // "standalone"
 * console.log(kernelModeOf("|%\n--")); // "stdlib"
 * ```
 */
export function kernelModeOf(hoonSource: string): KernelMode {
  return standaloneStart.test(hoonSource) ? "standalone" : "stdlib";
}

/**
 * The compiler, as a Hoon gate made by `wish`: Hoon source in, `[K_f arms]` out, where
 * `K_f` is the formula of the source against the subject's type (`.`, the standard library,
 * or `~`) and `arms` the formulas of the wings `load`, `peek` and `poke` against the
 * product's type (`~` for a missing arm).
 */
const compilerSource = (subject: "." | "~") =>
  `=/  typ  -:!>(${subject})
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

/** `[0 3]`: the payload of a standalone trap, `~`, as the subject of `K_f`. */
const standalonePayload: NounLike = [0, 3];

/**
 * Compile a kernel written in Hoon (one expression producing the kernel core) into the
 * jammed trap that a NockApp runtime boots. `ivoryPill` is the jam of Urbit's ivory pill
 * (`[%ivory eve]`), whose compiler builds the kernel in either mode ({@linkcode KernelMode};
 * `options.mode`, by default {@linkcode kernelModeOf} the source). The product is
 * reproducible: the same pill, source and mode give the same bytes.
 *
 * The arms `load`, `peek` and `poke` must land at axes 4, 22 and 23 of the core
 * ({@linkcode kernelAxes}); Hoon orders arms by name, and a core whose arms are exactly
 * `load`, `peek`, `poke` and `wish` has that layout (see docs/KERNELS.md). A kernel with
 * its arms elsewhere, or without one of them, is an {@linkcode ArgumentError}; source that
 * does not compile is a {@linkcode NockError} whose trace holds the compiler's message
 * (`syntax error` with the line and column, `-find.foo` for a name not in scope, such as a
 * standard library gate in a standalone kernel, `nest-fail`, ...). A pill that is not an
 * ivory pill is a `CueError` or `NounShapeError`.
 *
 * @example
 * ```ts
 * import { buildKernel } from "./kernel_build.ts";
 * const pill = Deno.readFileSync("../shared/corpus/pills/ivory.pill");
 * const source = Deno.readTextFileSync("kernels/kv.hoon");
 * Deno.writeFileSync("kernels/kv.jam", buildKernel(pill, source)); // standalone
 * ```
 */
export function buildKernel(
  ivoryPill: Uint8Array,
  hoonSource: string,
  options: BuildKernelOptions = {},
): Uint8Array {
  const mode = options.mode ?? kernelModeOf(hoonSource);
  using hoon = Hoon.boot(ivoryPill, options);
  using compiled = compile(hoon, hoonSource, mode, options);
  using formula = compiled.head;
  using arms = compiled.tail;
  checkArmAxes(arms);
  using trap = mode === "standalone" ? standaloneTrap(formula) : stdlibTrap(formula, ivoryPill);
  const jam = trap.jam();
  // Boot it once: the trap must give a core with formulas at the interface axes.
  bootKernel(jam, options).dispose();
  return jam;
}

/** `[[7 [0 3] K_f] 0]`: `K_f` run on `~`. */
function standaloneTrap(formula: Noun): Noun {
  using kernelFormula = Noun.tuple(7, standalonePayload, formula);
  return Noun.cell(kernelFormula, 0);
}

/** `[[7 lifecycle [7 [0 31] K_f]] eve]`: `K_f` run on the standard library the pill builds. */
function stdlibTrap(formula: Noun, ivoryPill: Uint8Array): Noun {
  using pill = Noun.cue(ivoryPill);
  using eve = pill.tail;
  using lifecycle = Noun.from(lifecycleOfEve);
  using stdlib = Noun.from([0, stdlibAxis]);
  using kernelFormula = Noun.tuple(7, lifecycle, [7, stdlib, formula]);
  return Noun.cell(kernelFormula, eve);
}

/** Run the compiler gate on the source: `[K_f arms]`. */
function compile(
  hoon: Hoon,
  hoonSource: string,
  mode: KernelMode,
  options: NockOptions,
): Noun {
  if (hoonSource.trim() === "") {
    throw new ArgumentError("Cannot build kernel: the Hoon source is empty");
  }
  using compiler = hoon.wish(compilerSource(mode === "standalone" ? "~" : "."), options);
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
