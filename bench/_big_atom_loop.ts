/**
 * Runs in its own process for `core/big-atom-loop-1e7-peak-rss`: a Nock loop that allocates a
 * fresh indirect atom on each of 10^7 iterations (counting up from 2^64), in a 64 MiB
 * workspace. Prints JSON with the process's peak RSS, which must not grow with the iteration
 * count because the workspace is collected.
 *
 * @module
 */
import { configure, lastSteps, nock, Noun, workspaceStats } from "../mod.ts";

configure({ workspaceLimitMib: 64 });
const start = 1n << 64n;
const iterations = 10_000_000n;
// Core [LOOP [c t]]: LOOP = if c == t then c else LOOP with c+1.
const loop = [6, [5, [0, 6], [0, 7]], [0, 6], 9, 2, 10, [6, 4, 0, 6], 0, 1];
using subject = Noun.from([start, start + iterations]);
using formula = Noun.from([8, [1, loop], 9, 2, 0, 1]);
const t0 = performance.now();
using product = nock(subject, formula);
const seconds = (performance.now() - t0) / 1000;
if (product.toBigInt() !== start + iterations) throw new Error("Big-atom loop: wrong product");
const status = Deno.readTextFileSync("/proc/self/status");
const hwmKib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
console.log(JSON.stringify({
  peakRssMib: hwmKib / 1024,
  seconds,
  steps: lastSteps(),
  collections: workspaceStats().collections,
}));
