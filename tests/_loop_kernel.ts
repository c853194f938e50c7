/**
 * A kernel written in Nock by hand for the tests that need a computation that never ends,
 * or one the compute limit cannot stop: its poke loops forever on a cause tagged `%loop`,
 * makes `x` the state on `[%big x]`, and otherwise keeps its core (no effects); its peek
 * loops forever on a path starting `/loop`, runs one long native jet call on `/slow`
 * (`dvr(X*X, X)` of the state X), and otherwise answers `[~ ~ 42]`. Its state starts `~`.
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

/**
 * A gate registered as `cellar-kv/<name>` (a native jet) under the root core its subject is:
 * `[battery [~ root]]`, `%fast` hint with the parent at axis 7. Its battery (return the
 * sample) runs only if the jet declines.
 */
function jettedGate(name: string) {
  return [7, [8, [1, 0], [[1, [0, 6]], [0, 1]]], [11, ["fast", [1, [name, [0, 7], 0]]], [0, 1]]];
}

/** The root core `cellar-kv` (battery `[0 1]`, payload `~`), registered by its `%fast` hint. */
const root = [11, ["fast", [1, ["cellar-kv", [1, 0], 0]]], [1, [[0, 1], 0]]];

/**
 * On the peek gate's subject `[battery [path core]]` (the state X at axis 30): `dvr(X*X, X)`
 * with the native `mul` and `dvr` jets. The division is one jet call, quadratic in X's size
 * and never stopped by the compute limit (Nock checks it between steps): about 2 s for a
 * 128 KiB state on the development machine, 30 s for 512 KiB.
 */
const slowPeek = [
  8,
  [8, root, [
    8,
    // Subject [gate [root G]]: X at axis 126.
    [8, [7, [0, 2], jettedGate("mul")], [9, 2, [10, [6, [[0, 126], [0, 126]]], [0, 2]]]],
    // Subject [gate [X*X [root G]]]: X*X at 6, X at axis 254.
    [8, [7, [0, 6], jettedGate("dvr")], [9, 2, [10, [6, [[0, 6], [0, 254]]], [0, 2]]]],
  ]],
  [[1, 0], [[1, 0], [0, 2]]],
];

/** The peek gate's battery: the path is at axis 6 of its subject, its head at 12. */
const peekBattery = [
  6,
  [5, [0, 12], [1, "loop"]],
  loopForever,
  [6, [5, [0, 12], [1, "slow"]], slowPeek, [1, [0, [0, 42]]]],
];

/**
 * The poke gate's battery: its subject is `[battery [sample core]]`, the sample is
 * `[num wire eny our now cause]`, so the cause is at axis 223, its head at 446 and its tail
 * at 447. `%loop` spins; `[%big x]` makes x the state; anything else keeps the core.
 */
const pokeBattery = [
  6,
  [5, [0, 446], [1, "loop"]],
  loopForever,
  [6, [5, [0, 446], [1, "big"]], [[1, 0], [10, [6, [0, 447]], [0, 7]]], [[1, 0], [0, 7]]],
];

/** The jam of the loop kernel, for `--kernel` or `Runtime.open({ kernel })`. */
export function loopKernelJam(): Uint8Array {
  const load = [0, 1];
  const wish = [0, 1];
  // Each arm builds its gate around the kernel core (axis 1 of the arm's subject).
  const peek = [[1, peekBattery], [[1, 0], [0, 1]]];
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
