/**
 * Runs in its own process for `jets_types_bench.ts` and `jets/compile-hoon-138` (a fresh
 * %memo cache each run): boots the ivory pill, parses lines 5 to LAST of
 * `hoon/hoon-138.hoon` closed with `--  ~` (a prefix of the standard library that compiles
 * on its own), or the whole file when LAST is 0, then compiles it with
 * `(~(mint ut %noun) %noun gen)`, stopped after TIMEOUT_MS when that second argument is
 * given. Prints JSON: the compile's time, CPU time (the process's, over the compile) and
 * steps, whether it finished, the %memo counters over it, the product's mug (the same
 * product whatever the cache does) and the process's peak RSS.
 *
 * Environment: CELLAR_MEMO_MIB sets the %memo budget (MiB); CELLAR_PROFILE=FILE profiles
 * the compile by arm and writes the dashboard report, whose last lines are the profile.
 *
 * @module
 */
import process from "node:process";
import {
  Hoon,
  jetReport,
  jetStats,
  lastSteps,
  nock,
  Noun,
  setJetLimits,
  setJetProfile,
} from "../mod.ts";
import { corpusPath } from "./harness.ts";

const last = Number(Deno.args[0]);
const timeoutMs = Deno.args[1] === undefined ? undefined : Number(Deno.args[1]);
const peakRssMib = () =>
  Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1] ?? NaN) / 1024;

const lines = Deno.readTextFileSync(corpusPath("hoon/hoon-138.hoon")!).split("\n");
const text = last === 0 ? lines.join("\n") : lines.slice(4, last).join("\n") + "\n--  ~\n";
using hoon = Hoon.boot(Deno.readFileSync(corpusPath("pills/ivory.pill")!));
using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
using ream = hoon.wish("ream");
using source = Noun.cord(text);
using reamCall = Noun.cell(ream, source);
using gen = nock(reamCall, slam);
using mint = hoon.wish("|=(gen=hoon (~(mint ut %noun) %noun gen))");
using mintCall = Noun.cell(mint, gen);
const budgetMib = Deno.env.get("CELLAR_MEMO_MIB");
if (budgetMib !== undefined) setJetLimits({ memoBudgetBytes: Number(budgetMib) * 2 ** 20 });
const profile = Deno.env.get("CELLAR_PROFILE");
if (profile !== undefined) setJetProfile(true);
const before = jetStats();
const cpu = process.cpuUsage();
const start = performance.now();
let mug = 0;
try {
  using product = nock(mintCall, slam, { timeoutMs });
  mug = product.mug;
} catch (error) {
  if (timeoutMs === undefined) throw error;
}
const mintMs = performance.now() - start;
const used = process.cpuUsage(cpu);
const after = jetStats();
const hits = after.memoHits - before.memoHits;
const misses = after.memoMisses - before.memoMisses;
console.log(JSON.stringify({
  mintMs,
  mintCpuMs: (used.user + used.system) / 1000,
  steps: lastSteps(),
  finished: mug === 0 ? 0 : 1,
  memoHits: hits,
  memoMisses: misses,
  memoHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
  memoInserts: after.memoInserts - before.memoInserts,
  memoEvictions: after.memoEvictions - before.memoEvictions,
  memoEntries: after.memoEntries,
  memoMib: after.memoBytes / 2 ** 20,
  mug,
  peakRssMib: peakRssMib(),
}));
if (profile !== undefined) Deno.writeTextFileSync(profile, jetReport());
