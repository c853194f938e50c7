/**
 * Benchmark cases for jetted arms on the ivory pill, shared by the crypto families: each arm
 * is called through a gate made by `wish`, once with its jet (`PREFIX/<arm>`, the median of
 * several calls) and once in jet-check mode with no step budget (`PREFIX/<arm>-nock`, one
 * call), where the dashboard runs the jet and then the arm's own Nock: that figure is what the
 * Nock took (the jet's share of it is the first figure). Skipped, saying so, without
 * ../shared/corpus.
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, jetStats, lastSteps, nock, Noun, setJetCheck, setJetLimits } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

/** One arm to time. */
export interface Arm {
  name: string;
  /** A gate of one atom that calls the arm. */
  gate: string;
  /** The sample to slam it with. */
  sample: number;
  /** Jetted calls per sample. */
  calls: number;
}

/** Slam `gate` with `sample` `calls` times; milliseconds per call. */
function slamMs(gate: Noun, sample: number, calls: number): number {
  using call = Noun.from([gate, sample]);
  using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
  const ms = timeMs(() => {
    for (let i = 0; i < calls; i++) nock(call, slam).dispose();
  });
  return ms / calls;
}

/** One checked call with no step budget: the jet, then the arm's Nock. */
function nockSample(gate: Noun, sample: number) {
  const before = jetStats();
  setJetLimits({ checkSteps: 0 });
  setJetCheck(true);
  let ms: number;
  try {
    ms = slamMs(gate, sample, 1);
  } finally {
    setJetCheck(false);
    setJetLimits({ checkSteps: 1_000_000 });
  }
  const after = jetStats();
  const extra = {
    steps: lastSteps(),
    checks: after.checks - before.checks,
    mismatches: after.mismatches - before.mismatches,
  };
  return { value: ms, extra };
}

/** The two cases of every arm in `arms`, named `prefix/<arm>` and `prefix/<arm>-nock`. */
export function jetArmCases(prefix: string, arms: Arm[]): BenchCase[] {
  let hoon: Hoon | null = null;
  const armCases = (arm: Arm): BenchCase[] => {
    let gate: Noun | null = null;
    const setup = () => {
      hoon ??= Hoon.boot(Deno.readFileSync(pillPath!));
      gate ??= hoon.wish(arm.gate);
    };
    const common = { unit: "ms", better: "lower", skip, setup } as const;
    return [{
      ...common,
      name: `${prefix}/${arm.name}`,
      samples: 5,
      sample: () => ({ value: slamMs(gate!, arm.sample, arm.calls) }),
    }, {
      ...common,
      name: `${prefix}/${arm.name}-nock`,
      samples: 1,
      sample: () => nockSample(gate!, arm.sample),
      teardown: () => {
        gate?.dispose();
        gate = null;
      },
    }];
  };
  const all = arms.flatMap(armCases);
  const last = all[all.length - 1];
  const teardown = last.teardown;
  last.teardown = () => {
    teardown?.();
    hoon?.dispose();
    hoon = null;
  };
  return all;
}
