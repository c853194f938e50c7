/**
 * A kernel written in Nock by hand for the tests that need a computation that never ends:
 * its poke loops forever on a cause tagged `%loop` (and otherwise keeps its core, with no
 * effects), and its peek loops forever on a path starting `/loop` (and otherwise answers
 * `[~ ~ 42]`). Its state is `~`.
 *
 * The kernel core is `[[load [wish [peek poke]]] [state ~]]` (arms at axes 4, 10, 22, 23;
 * docs/KERNELS.md); the jam is of the trap `[[1 core] ~]`, whose arm 2 makes the core.
 *
 * @module
 */

import { Noun } from "../mod.ts";

/** `[2 [0 1] [0 1]]` on itself: Nock 2 forever (a tail call, so no stack grows). */
const spin = [2, [0, 1], [0, 1]];
/** Evaluate `spin` with `spin` as its subject. */
const loopForever = [2, [1, spin], [1, spin]];

/** The gate the peek arm makes: the path is at axis 6 of its subject, its head at 12. */
const peekGate = [[6, [5, [0, 12], [1, "loop"]], loopForever, [1, [0, [0, 42]]]], [0, 0]];

/**
 * The poke gate's battery: its subject is `[battery [sample core]]`, the sample is
 * `[num wire eny our now cause]`, so the cause is at axis 223 and its head at 446.
 */
const pokeBattery = [6, [5, [0, 446], [1, "loop"]], loopForever, [[1, 0], [0, 7]]];

/** The jam of the loop kernel, for `--kernel` or `Runtime.open({ kernel })`. */
export function loopKernelJam(): Uint8Array {
  const load = [0, 1];
  const wish = [0, 1];
  const peek = [1, peekGate];
  // Build the gate around the kernel core (axis 1 of the arm's subject): [battery [~ core]].
  const poke = [[1, pokeBattery], [[1, 0], [0, 1]]];
  const core = [[load, [wish, [peek, poke]]], [0, 0]];
  using trap = Noun.from([[1, core], 0]);
  return trap.jam();
}

/** Write the loop kernel to a temporary file; returns its path. */
export function loopKernelFile(): string {
  const path = Deno.makeTempFileSync({ prefix: "cellar-loop-kernel-", suffix: ".jam" });
  Deno.writeFileSync(path, loopKernelJam());
  return path;
}
