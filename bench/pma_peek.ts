/**
 * Helpers of bench/pma_bench.ts: the Nock formulas that build big states inside the core,
 * and the subprocess side of the open and peak-RSS cases (a fresh process each run).
 *
 *   deno run --allow-all bench/pma_peek.ts open DIR AXIS     time open + root + one peek
 *   deno run --allow-all bench/pma_peek.ts build DIR DEPTH COPIES
 *       commit COPIES fresh copies of a depth-DEPTH tree (each 2^DEPTH * 64 bytes)
 *   deno run --allow-all bench/pma_peek.ts peek DIR DEPTH    read a few paths; report VmHWM
 *
 * Each prints one line of JSON. (Reading /proc/self/status needs --allow-all in Deno.)
 *
 * @module
 */
import { nock, Noun, Pma } from "../mod.ts";
import type { NounLike } from "../mod.ts";

/**
 * On subject `depth`: a balanced tree with 2^depth leaves, built by Nock recursion. Each
 * leaf is a fresh cell `[depth 2^63+1]` whose atom is computed (an increment), so every
 * object is distinct: 2^depth - 1 inner cells + 2^depth * (cell + 2-word atom) = 2^depth *
 * 64 bytes. The core is `[battery k depth]`; the battery recurses with k + 1 until k = depth.
 */
export const treeFormula: NounLike = (() => {
  const leaf = [[0, 7], 4, 1, 2n ** 63n];
  const recurse = [9, 2, 10, [6, 4, 0, 6], 0, 1];
  const battery = [6, [5, [0, 6], 0, 7], leaf, [recurse, recurse]];
  return [7, [[1, battery], [1, 0], 0, 1], 9, 2, 0, 1];
})();

/**
 * On subject x: a copy of x rebuilt cell by cell by Nock recursion (`?(x) [f(-.x) f(+.x)]
 * x`). It reads every cell of x once, so it measures reading a big noun through Nock.
 */
export const copyFormula: NounLike = (() => {
  const battery = [6, [3, 0, 3], [[9, 2, 10, [3, 0, 6], 0, 1], [9, 2, 10, [3, 0, 7], 0, 1]], 0, 3];
  return [7, [[1, battery], 0, 1], 9, 2, 0, 1];
})();

/** Bytes of the tree `treeFormula` builds for `depth`. */
export function treeBytes(depth: number): number {
  return 2 ** depth * 64 - 24;
}

/** The tree of `depth`, built in this thread's workspace. */
export function buildTree(depth: number): Noun {
  using formula = Noun.from(treeFormula);
  using subject = Noun.atom(depth);
  return nock(subject, formula);
}

/** Axis of leaf `index` of a depth-`depth` tree, then into its atom (the leaf's tail). */
export function leafAtomAxis(depth: number, index: number): number {
  return (2 ** depth + index) * 2 + 1;
}

function hwmMib(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

function rssFileMib(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

function open(dir: string, axis: number): Record<string, number> {
  Noun.atom(1).dispose(); // Load the library before the clock starts.
  const t0 = performance.now();
  using pma = Pma.open(dir, { readOnly: true });
  using root = pma.root;
  using leaf = root.at(axis);
  const value = leaf.toBigInt();
  const ms = performance.now() - t0;
  if (value !== 2n ** 63n + 1n) throw new Error(`Open: wrong leaf ${value}`);
  return { ms, usedBytes: pma.stats().usedBytes };
}

/** Commit `copies` fresh copies of one tree, each on top of the last: [t [t [t 0]]]. */
function build(dir: string, depth: number, copies: number): Record<string, number> {
  const t0 = performance.now();
  using pma = Pma.open(dir, { sidecar: "off" });
  using tree = buildTree(depth);
  let previous = pma.root;
  for (let i = 1; i <= copies; i++) {
    // The workspace tree is copied again each time: a commit shares only what is already
    // in the PMA, and the tree in the workspace is not.
    using state = Noun.cell(tree, previous);
    const next = pma.commit(state, i, new Uint8Array(32));
    previous.dispose();
    previous = next;
  }
  previous.dispose();
  return { usedBytes: pma.stats().usedBytes, seconds: (performance.now() - t0) / 1000 };
}

/** Open read-only, read 16 leaves of the newest copy, report the peak RSS. */
function peek(dir: string, depth: number): Record<string, number> {
  Noun.atom(1).dispose(); // The library and machine count in the baseline.
  const before = hwmMib();
  using pma = Pma.open(dir, { readOnly: true });
  using root = pma.root;
  using tree = root.head;
  let sum = 0n;
  for (let i = 0; i < 16; i++) {
    using leaf = tree.at(leafAtomAxis(depth, (i * 2654435761) % 2 ** depth));
    sum += leaf.toBigInt();
  }
  if (sum !== 16n * (2n ** 63n + 1n)) throw new Error("Peek: wrong leaves");
  return {
    hwmBeforeOpenMib: before,
    hwmMib: hwmMib(),
    rssFileMib: rssFileMib(),
    slabBytes: Deno.statSync(`${dir}/${pma.stats().fileId}.pma`).size,
    usedBytes: pma.stats().usedBytes,
  };
}

if (import.meta.main) {
  const [command, dir, a, b] = Deno.args;
  let out: Record<string, number>;
  if (command === "open") out = open(dir, Number(a));
  else if (command === "build") out = build(dir, Number(a), Number(b));
  else if (command === "peek") out = peek(dir, Number(a));
  else throw new Error(`Unknown command: ${command}`);
  console.log(JSON.stringify(out));
}
