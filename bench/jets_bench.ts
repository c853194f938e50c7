/**
 * Jet benchmarks (issue 3): the ivory pill's lite boot, `(add 2 2)` through the wish gate
 * (first call and repeated), compiling a ~100-line Hoon core (bench/jets_core.hoon) through
 * the wish gate, a kernel compile (kernels/examples/kv-stdlib.hoon, with the %fast hint
 * rate and the %memo hit rate), a jetted `add` of two direct atoms called through Nock 9
 * in a loop, and the targets: `ream` of hoon-138.hoon (time and peak RSS, in its own
 * process), compiling it with the pill's compiler (stopped after CELLAR_BENCH_MINT_MS,
 * default 120 s), and a 10,000-entry map.
 *
 * Cold figures (boot, first wish, first compile) start from a fresh machine: no %fast
 * registrations and an empty %memo cache. The machine is rebuilt with `configure`, which
 * needs no live nouns on the thread; when some are live the figure is taken warm and its
 * `fresh` extra is 0.
 *
 * @module
 */
import { type BenchCase, corpusPath, runWork, timeMs } from "./harness.ts";
import { configure, handleCount, Hoon, jetStats, lastSteps, nock, Noun } from "../mod.ts";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import type { NounLike } from "../mod.ts";
import { pillGateCase } from "./_pill_gate.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;
const coreSource = Deno.readTextFileSync(new URL("./jets_core.hoon", import.meta.url));

/** Rebuild this thread's machine (empty dashboard and memo); false when nouns are live. */
function freshMachine(): boolean {
  if (handleCount() !== 0) return false;
  configure({ workspaceLimitMib: 8192 });
  return true;
}

function boot(): Hoon {
  return Hoon.boot(Deno.readFileSync(pillPath!));
}

/** `[9 2 10 [6 [0 14] 0 14] 0 6]`: call the gate at axis 6 with the sample `[i i]`. */
const addCall: NounLike[] = [9, 2, 10, [6, [0, 14], 0, 14], 0, 6];

/**
 * A counting loop on the core `[battery gate i n]`: while `i != n`, evaluate `body` (its
 * product dropped), then recurse with `i + 1` (a tail call through Nock 9).
 */
function loopBattery(body: NounLike[]): NounLike[] {
  return [6, [5, [0, 14], 0, 15], [0, 14], 8, body, 9, 2, 10, [14, 4, 0, 30], 0, 3];
}

/** Nanoseconds per iteration of the loop with `body`, over `n` iterations. */
function loopNs(gate: Noun, body: NounLike[], n: number): number {
  using core = Noun.from([loopBattery(body), gate, 0, n]);
  using formula = Noun.from([9, 2, 0, 1]);
  let product: Noun | null = null;
  const ms = timeMs(() => {
    product = nock(core, formula);
  });
  if (product!.toNumber() !== n) throw new Error("The add loop gave a wrong product");
  product!.dispose();
  return (ms * 1e6) / n;
}

function bootCases(): BenchCase[] {
  return [
    {
      name: "jets/ivory-boot",
      unit: "ms",
      better: "lower",
      samples: 5,
      skip,
      sample: () => {
        const fresh = freshMachine();
        const bytes = Deno.readFileSync(pillPath!);
        const cueMs = timeMs(() => Noun.cue(bytes).dispose());
        let hoon: Hoon | null = null;
        const ms = timeMs(() => {
          hoon = Hoon.boot(bytes);
        });
        hoon!.dispose();
        return { value: ms, extra: { fresh: fresh ? 1 : 0, cueMs } };
      },
    },
    {
      name: "jets/wish-add-first",
      unit: "ms",
      better: "lower",
      samples: 5,
      skip,
      sample: () => {
        const fresh = freshMachine();
        using hoon = boot();
        let product: Noun | null = null;
        const ms = timeMs(() => {
          product = hoon.wish("(add 2 2)");
        });
        if (product!.toNumber() !== 4) throw new Error("(add 2 2) is not 4");
        product!.dispose();
        return { value: ms, extra: { fresh: fresh ? 1 : 0, steps: lastSteps() } };
      },
    },
  ];
}

function warmCases(): BenchCase[] {
  let hoon: Hoon | null = null;
  const calls = 50;
  return [
    {
      name: "jets/wish-add-repeat",
      unit: "ms",
      better: "lower",
      samples: 7,
      skip,
      setup: () => {
        hoon = boot();
        for (let i = 0; i < 20; i++) hoon.wish("(add 2 2)").dispose();
      },
      sample: () => {
        const ms = timeMs(() => {
          for (let i = 0; i < calls; i++) hoon!.wish("(add 2 2)").dispose();
        });
        return { value: ms / calls, extra: { steps: lastSteps() } };
      },
      teardown: () => {
        hoon?.dispose();
        hoon = null;
      },
    },
  ];
}

function compileCases(): BenchCase[] {
  return [{
    name: "jets/wish-compile-core",
    unit: "ms",
    better: "lower",
    samples: 3,
    skip,
    sample: () => {
      const fresh = freshMachine();
      using hoon = boot();
      let product: Noun | null = null;
      const first = timeMs(() => {
        product = hoon.wish(coreSource);
      });
      const steps = lastSteps();
      product!.dispose();
      const again = timeMs(() => hoon.wish(coreSource).dispose());
      return { value: first, extra: { fresh: fresh ? 1 : 0, steps, repeatMs: again } };
    },
  }];
}

/**
 * A whole kernel compile (kernels/examples/kv-stdlib.hoon against the pill's standard
 * library), with the dashboard's %fast hint rate and the %memo hit rate over it.
 */
function kernelCompileCases(): BenchCase[] {
  const source = Deno.readTextFileSync(
    new URL("../kernels/examples/kv-stdlib.hoon", import.meta.url),
  );
  return [{
    name: "jets/compile-kv-stdlib",
    unit: "ms",
    better: "lower",
    samples: 3,
    skip,
    sample: () => {
      const fresh = freshMachine();
      const pill = Deno.readFileSync(pillPath!);
      const before = jetStats();
      const ms = timeMs(() => buildKernel(pill, source, { mode: "stdlib" }));
      const after = jetStats();
      const hints = after.fastHints - before.fastHints;
      const hits = after.memoHits - before.memoHits;
      const lookups = hits + after.memoMisses - before.memoMisses;
      return {
        value: ms,
        extra: {
          fresh: fresh ? 1 : 0,
          fastHintsPerS: Math.round(hints / (ms / 1000)),
          memoHitRate: lookups === 0 ? 0 : hits / lookups,
        },
      };
    },
  }];
}

function addLoopCases(): BenchCase[] {
  let hoon: Hoon | null = null;
  let gate: Noun | null = null;
  const n = 1_000_000;
  return [{
    name: "jets/add-jet-nock9",
    unit: "ns/call",
    better: "lower",
    samples: 5,
    skip,
    setup: () => {
      hoon = boot();
      gate = hoon.wish("add");
      loopNs(gate, addCall, 10_000); // warm up (and check the product)
    },
    sample: () => {
      const withAdd = loopNs(gate!, addCall, n);
      const bare = loopNs(gate!, [1, 0], n);
      return { value: withAdd, extra: { loopNs: bare, addNs: withAdd - bare } };
    },
    teardown: () => {
      gate?.dispose();
      hoon?.dispose();
      gate = hoon = null;
    },
  }];
}

const workScript = new URL("./_hoon_work.ts", import.meta.url).pathname;
const hoonSkip = skip ??
  (corpusPath("hoon/hoon-138.hoon") === null ? "hoon-138.hoon is absent" : undefined);

/** `ream` of hoon-138.hoon: its time and the process's peak RSS (one worker run for both). */
function reamCases(): BenchCase[] {
  let run: Promise<Record<string, number>> | null = null;
  const work = () => run ??= runWork(workScript, []);
  return [
    {
      name: "jets/ream-hoon-138",
      unit: "ms",
      better: "lower",
      samples: 1,
      skip: hoonSkip,
      target: { op: "<=", value: 5_000 },
      sample: async () => {
        const r = await work();
        return { value: r.reamMs, extra: { steps: r.reamSteps } };
      },
    },
    {
      name: "jets/ream-hoon-138-peak-rss",
      unit: "MiB",
      better: "lower",
      samples: 1,
      skip: hoonSkip,
      target: { op: "<=", value: 700 },
      sample: async () => ({ value: (await work()).reamPeakRssMib }),
    },
  ];
}

/**
 * Compiling hoon-138.hoon with the pill's `mint`, stopped after CELLAR_BENCH_MINT_MS of wall
 * time (default 10 minutes; an unfinished compile fails the case). Its value is the compile's
 * CPU time (the machine may be shared), with wall time, steps, the %memo counters, the product's
 * mug and the peak RSS beside it.
 */
function mintCases(): BenchCase[] {
  const limitMs = Number(Deno.env.get("CELLAR_BENCH_MINT_MS") ?? 600_000);
  const typesWork = new URL("./_types_work.ts", import.meta.url).pathname;
  return [{
    name: "jets/compile-hoon-138",
    unit: "ms",
    better: "lower",
    samples: 1,
    skip: hoonSkip,
    target: { op: "<=", value: 80_000 },
    sample: async () => {
      const { mintCpuMs, ...extra } = await runWork(typesWork, ["0", String(limitMs)]);
      if (extra.finished !== 1) {
        // Its CPU time so far would read as a target met.
        throw new Error(`Compile of hoon-138.hoon unfinished: stopped after ${limitMs} ms`);
      }
      return { value: mintCpuMs, extra };
    },
  }];
}

/** The map gates of `mapCases`: a build, and a build followed by a `get` of every key. */
const mapGates = {
  "jets/map-10k": "|=(n=@ (~(gas by *(map @ @)) (turn (gulf 1 n) |=(a=@ [a a]))))",
  "jets/map-10k-lookups": "|=(n=@ =/(m (~(gas by *(map @ @)) (turn (gulf 1 n) |=(a=@ [a a]))) " +
    "(turn (gulf 1 n) ~(get by m))))",
};

/** `(~(gas by *(map @ @)) ...)` of 10,000 pairs (and 10,000 lookups), the gate compiled once. */
function mapCases(): BenchCase[] {
  return Object.entries(mapGates).map(([name, source]) => mapCase(name, source));
}

function mapCase(name: string, source: string): BenchCase {
  const slam = pillGateCase(name, source, () => Noun.atom(10_000));
  return { ...slam, target: { op: "<=", value: 20 } };
}

/** Every jets benchmark case. */
export function cases(): BenchCase[] {
  return [
    ...bootCases(),
    ...warmCases(),
    ...compileCases(),
    ...kernelCompileCases(),
    ...addLoopCases(),
    ...mapCases(),
    ...reamCases(),
    ...mintCases(),
  ];
}
