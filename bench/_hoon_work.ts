/**
 * Runs in its own process for the hoon-138 cases of `jets_bench.ts`: boots the ivory pill,
 * parses `hoon/hoon-138.hoon` with `ream`, then (with `mint MS`) compiles the parsed source
 * with `(~(mint ut %noun) %noun gen)` for at most MS milliseconds. Prints JSON: the parse's
 * time, steps and the process's peak RSS so far, then the compile's time and whether it
 * finished, with the %memo counters over it.
 *
 * @module
 */
import { Hoon, jetStats, lastSteps, nock, Noun } from "../mod.ts";
import { corpusPath } from "./harness.ts";

const mintMs = Deno.args[0] === "mint" ? Number(Deno.args[1]) : 0;
const peakRssMib = () =>
  Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1] ?? NaN) / 1024;

using hoon = Hoon.boot(Deno.readFileSync(corpusPath("pills/ivory.pill")!));
const text = Deno.readTextFileSync(corpusPath("hoon/hoon-138.hoon")!);
using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
using ream = hoon.wish("ream");
using source = Noun.cord(text);
using reamCall = Noun.cell(ream, source);
let start = performance.now();
using gen = nock(reamCall, slam);
const result: Record<string, number> = {
  reamMs: performance.now() - start,
  reamSteps: lastSteps(),
  reamPeakRssMib: peakRssMib(),
};
if (mintMs > 0) {
  using mint = hoon.wish("|=(gen=hoon (~(mint ut %noun) %noun gen))");
  using mintCall = Noun.cell(mint, gen);
  const before = jetStats();
  start = performance.now();
  try {
    nock(mintCall, slam, { timeoutMs: mintMs }).dispose();
    result.mintFinished = 1;
  } catch {
    result.mintFinished = 0;
  }
  const after = jetStats();
  result.mintMs = performance.now() - start;
  result.memoHits = after.memoHits - before.memoHits;
  result.memoMisses = after.memoMisses - before.memoMisses;
  result.memoEvictions = after.memoEvictions - before.memoEvictions;
  result.memoMib = after.memoBytes / 2 ** 20;
  result.peakRssMib = peakRssMib();
}
console.log(JSON.stringify(result));
