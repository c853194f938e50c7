/**
 * Runs in its own process for `jets_types_bench.ts` (a fresh %memo cache each run): boots the
 * ivory pill, parses lines 5 to LAST of `hoon/hoon-138.hoon` closed with `--  ~` (a prefix
 * of the standard library that compiles on its own), then compiles it with
 * `(~(mint ut %noun) %noun gen)`. Prints JSON: the compile's time, CPU time and steps, with
 * the %memo counters over it.
 *
 * @module
 */
import process from "node:process";
import { Hoon, jetStats, lastSteps, nock, Noun } from "../mod.ts";
import { corpusPath } from "./harness.ts";

const last = Number(Deno.args[0]);
const lines = Deno.readTextFileSync(corpusPath("hoon/hoon-138.hoon")!).split("\n");
const text = lines.slice(4, last).join("\n") + "\n--  ~\n";
using hoon = Hoon.boot(Deno.readFileSync(corpusPath("pills/ivory.pill")!));
using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
using ream = hoon.wish("ream");
using source = Noun.cord(text);
using reamCall = Noun.cell(ream, source);
using gen = nock(reamCall, slam);
using mint = hoon.wish("|=(gen=hoon (~(mint ut %noun) %noun gen))");
using mintCall = Noun.cell(mint, gen);
const before = jetStats();
const cpu = process.cpuUsage();
const start = performance.now();
nock(mintCall, slam).dispose();
const mintMs = performance.now() - start;
const used = process.cpuUsage(cpu);
const after = jetStats();
const hits = after.memoHits - before.memoHits;
const misses = after.memoMisses - before.memoMisses;
console.log(JSON.stringify({
  mintMs,
  mintCpuMs: (used.user + used.system) / 1000,
  steps: lastSteps(),
  memoHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
  memoEvictions: after.memoEvictions - before.memoEvictions,
  memoMib: after.memoBytes / 2 ** 20,
}));
