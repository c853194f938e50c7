/**
 * The NockApp kernel interface (ARCHITECTURE.md 7.1), as plain functions on nouns.
 *
 * A kernel jam cues to a trap; `[9 2 0 1]` on it gives the kernel core. The core's arms,
 * by axis: load 4, peek 22, poke 23; its state is at axis 6. An arm is called as a gate:
 * the formula `[8 [9 AXIS 0 2] 9 2 10 [6 0 7] 0 2]` on the subject `[core sample]`.
 * - poke: sample `[event-number wire eny our now cause]`, product `[effects new-core]`.
 * - peek: sample a path, product `(unit (unit *))`.
 * - load: sample an old state, product the new core.
 *
 * @module
 */

import { CellarError, CueError, NounShapeError } from "../core/errors.ts";
import { importJetRegistrations } from "../core/jets.ts";
import { nock } from "../core/machine.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import type { NounLike } from "../core/noun.ts";

/** Axis of the load arm. */
export const loadAxis = 4;
/** Axis of the peek arm. */
export const peekAxis = 22;
/** Axis of the poke arm. */
export const pokeAxis = 23;
/** Axis of the kernel state in the core. */
export const stateAxis = 6;

function armFormula(axis: number): Noun {
  return Noun.from([8, [9, axis, 0, 2], 9, 2, 10, [6, 0, 7], 0, 2]);
}

/**
 * Boot a kernel jam: cue it (a `CueError` for bad bytes) and run `[9 2 0 1]` on the trap
 * (a `NockError` if that crashes). Returns the kernel core; a product that is not a cell
 * is a {@linkcode NounShapeError}.
 *
 * @example
 * ```ts
 * import { bootKernel } from "./kernel.ts";
 * using core = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * console.log(core.isCell); // true
 * ```
 */
export function bootKernel(jam: Uint8Array, options: NockOptions = {}): Noun {
  if (jam.length === 0) throw new CueError("Cannot boot a kernel: the jam is empty");
  using trap = Noun.cue(jam);
  if (!trap.isCell) throw new NounShapeError("Not a kernel: the jam is an atom, not a trap");
  using formula = Noun.from([9, 2, 0, 1]);
  const core = nock(trap, formula, options);
  try {
    checkCore(core);
  } catch (error) {
    core.dispose();
    throw error;
  }
  return core;
}

/** A kernel core: a cell whose battery has formulas (cells) at the arm axes. */
function checkCore(core: Noun): void {
  if (!core.isCell) {
    throw new NounShapeError("Not a kernel: its trap produced an atom, not a core");
  }
  for (const axis of [loadAxis, peekAxis, pokeAxis]) {
    let arm: Noun;
    try {
      arm = core.at(axis);
    } catch {
      throw new NounShapeError(`Not a kernel core: it has no axis ${axis}`);
    }
    using formula = arm;
    if (!formula.isCell) {
      throw new NounShapeError(`Not a kernel core: its axis ${axis} is an atom, not an arm`);
    }
  }
}

/**
 * Call the arm at `axis` of `core` as a gate on `sample`.
 *
 * @example
 * ```ts
 * import { bootKernel, callArm, peekAxis } from "./kernel.ts";
 * import { Noun } from "../core/noun.ts";
 * using core = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * using path = Noun.list(["count"]);
 * console.log(callArm(core, peekAxis, path).toString()); // [0 0 0]
 * ```
 */
export function callArm(
  core: Noun,
  axis: number,
  sample: NounLike,
  options: NockOptions = {},
): Noun {
  using subject = Noun.cell(core, sample);
  using formula = armFormula(axis);
  return nock(subject, formula, options);
}

/** The product of a poke: the effects list and the new core (both owned by the caller). */
export interface KernelPokeProduct {
  effects: Noun;
  core: Noun;
}

/**
 * Poke `core` with the full sample `[event-number wire eny our now cause]`. A product that
 * is not `[effects core]` with a cell core is a {@linkcode NounShapeError}.
 *
 * @example
 * ```ts
 * import { bootKernel, pokeKernel } from "./kernel.ts";
 * import { Noun } from "../core/noun.ts";
 * using core = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * using sample = Noun.from([1, ["poke", "doc", 0], 0, 0, 0, "put", "k", 5]);
 * const { effects, core: next } = pokeKernel(core, sample);
 * console.log(effects.toString());
 * effects.dispose();
 * next.dispose();
 * ```
 */
export function pokeKernel(core: Noun, sample: Noun, options: NockOptions = {}): KernelPokeProduct {
  using product = callArm(core, pokeAxis, sample, options);
  if (!product.isCell) throw new NounShapeError("The kernel's poke produced an atom");
  const next = product.tail;
  if (!next.isCell) {
    next.dispose();
    throw new NounShapeError("The kernel's poke produced an atom as its new core");
  }
  return { effects: product.head, core: next };
}

/**
 * The result of a peek: `unknown` for `~` (no such path), `empty` for `[~ ~]` (the path
 * exists and has no value), `value` for `[~ ~ value]`.
 */
export type PeekResult =
  | { kind: "unknown" }
  | { kind: "empty" }
  | { kind: "value"; value: Noun };

/**
 * Interpret a `(unit (unit *))` product of a peek arm; a malformed one is a
 * {@linkcode NounShapeError}. The value, if any, is a new noun the caller owns.
 *
 * @example
 * ```ts
 * import { peekResult } from "./kernel.ts";
 * import { Noun } from "../core/noun.ts";
 * using raw = Noun.from([0, 0, 42]);
 * const r = peekResult(raw);
 * console.log(r.kind); // value
 * ```
 */
export function peekResult(raw: Noun): PeekResult {
  if (raw.isAtom) {
    if (raw.toBigInt() === 0n) return { kind: "unknown" };
    throw new NounShapeError("The kernel's peek produced an atom other than ~");
  }
  using h = raw.head;
  using inner = raw.tail;
  if (!h.isAtom || h.toBigInt() !== 0n) {
    throw new NounShapeError("The kernel's peek produced a cell that is not a unit");
  }
  if (inner.isAtom) {
    if (inner.toBigInt() === 0n) return { kind: "empty" };
    throw new NounShapeError("The kernel's peek produced a unit of an atom other than ~");
  }
  using h2 = inner.head;
  if (!h2.isAtom || h2.toBigInt() !== 0n) {
    throw new NounShapeError("The kernel's peek produced a unit of a cell that is not a unit");
  }
  return { kind: "value", value: inner.tail };
}

/**
 * Peek at `core` with `path` (a list of cords).
 *
 * @example
 * ```ts
 * import { bootKernel, peekKernel } from "./kernel.ts";
 * import { Noun } from "../core/noun.ts";
 * using core = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * using path = Noun.list(["count"]);
 * console.log(peekKernel(core, path).kind); // value
 * ```
 */
export function peekKernel(core: Noun, path: Noun, options: NockOptions = {}): PeekResult {
  using raw = callArm(core, peekAxis, path, options);
  return peekResult(raw);
}

/**
 * Install `newCore`'s kernel over an old state: call its load arm with `oldState` (the
 * axis 6 of the old core). Returns the new core.
 *
 * @example
 * ```ts
 * import { bootKernel, loadKernel, stateAxis } from "./kernel.ts";
 * using core = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * using state = core.at(stateAxis);
 * using again = loadKernel(core, state);
 * console.log(again.equals(core)); // true
 * ```
 */
export function loadKernel(newCore: Noun, oldState: Noun, options: NockOptions = {}): Noun {
  const core = callArm(newCore, loadAxis, oldState, options);
  if (!core.isCell) {
    core.dispose();
    throw new NounShapeError("The kernel's load produced an atom, not a core");
  }
  return core;
}

/** Urbit's `@da` of the Unix epoch. */
const daUnixEpoch = 0x8000000cce9e0d80n << 64n;

/**
 * Unix milliseconds as an Urbit `@da` (the `now` of a poke).
 *
 * @example
 * ```ts
 * import { toDa } from "./kernel.ts";
 * console.log(toDa(0) === 0x8000000cce9e0d80n << 64n); // true
 * ```
 */
export function toDa(unixMs: number): bigint {
  const ms = BigInt(Math.floor(unixMs));
  return daUnixEpoch + (ms << 64n) / 1000n;
}

/**
 * A path given as text (`/a/b`) or segments, as a list-of-cords noun.
 *
 * @example
 * ```ts
 * import { pathNoun } from "./kernel.ts";
 * using p = pathNoun("/get/k");
 * console.log(p.toString());
 * ```
 */
export function pathNoun(path: string | readonly string[]): Noun {
  return Noun.list(pathSegments(path));
}

/**
 * The segments of a path given as text (`/a/b`, empty segments dropped) or already split.
 *
 * @example
 * ```ts
 * import { pathSegments } from "./kernel.ts";
 * console.log(pathSegments("/get//k")); // [ "get", "k" ]
 * ```
 */
export function pathSegments(path: string | readonly string[]): string[] {
  return typeof path === "string" ? path.split("/").filter((s) => s.length > 0) : [...path];
}

/** A data directory's state as kept in its PMA root `[core cold]`. */
export interface StateRoot {
  /** The kernel core. */
  core: Noun;
  /** The jet registrations committed beside it (see `exportJetRegistrations`). */
  cold: Noun;
}

/**
 * The tag of a PMA root that carries log records: `[core %tail cold records]` (see
 * `log_tail.ts`). A plain root's tail is a list of registrations, whose head is a cell.
 */
export const stateRootTailTag = "tail";

/**
 * Split a PMA root (`[core cold]`, or `[core %tail cold records]`) and import its jet
 * registrations into this thread's dashboard, so the state's jets match by identity without
 * booting the kernel. Throws a `CellarError` naming what is malformed; the nouns returned are
 * the caller's. When `imported(cold)` says these registrations were imported already (a
 * replica refreshing to the next commit), the import is skipped.
 *
 * @example
 * ```ts
 * import { adoptStateRoot, bootKernel } from "./kernel.ts";
 * import { exportJetRegistrations } from "../core/jets.ts";
 * import { Noun } from "../core/noun.ts";
 * using kernel = bootKernel(Deno.readFileSync("kernels/kv.jam"));
 * using cold = exportJetRegistrations();
 * using root = Noun.cell(kernel, cold);
 * const { core, cold: registrations } = adoptStateRoot(root);
 * console.log(core.equals(kernel)); // true
 * core.dispose();
 * registrations.dispose();
 * ```
 */
export function adoptStateRoot(root: Noun, imported?: (cold: Noun) => boolean): StateRoot {
  if (!root.isCell) throw new CellarError("the PMA root is an atom, not [core registrations]");
  const core = root.head;
  let cold: Noun | null = null;
  try {
    cold = rootRegistrations(root);
    if (!core.isCell) throw new CellarError("the PMA root's kernel core is an atom");
    try {
      if (imported === undefined || !imported(cold)) importJetRegistrations(cold);
    } catch (error) {
      throw new CellarError(
        `the PMA root's jet registrations are malformed: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    return { core, cold };
  } catch (error) {
    core.dispose();
    cold?.dispose();
    throw error;
  }
}

/** The registrations of a root `[core cold]` or `[core %tail cold records]`. */
function rootRegistrations(root: Noun): Noun {
  const rest = root.tail;
  if (!rest.isCell) return rest;
  using tag = rest.head;
  if (!tag.isAtom) return rest;
  rest.dispose();
  if (tag.toCord() !== stateRootTailTag) {
    throw new CellarError("the PMA root's tail is neither registrations nor [%tail cold records]");
  }
  return root.at(14);
}
