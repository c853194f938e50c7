/**
 * Core benchmarks (issue 2): the jetless decrement loop, jam/cue of the ivory pill and of a
 * generated 64 MiB noun, FFI call costs, the big-atom loop's peak RSS, and a long cue fuzz.
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { lastSteps, nock, Noun } from "../mod.ts";
import { symbols } from "../src/core/ffi.ts";
import { handleOf } from "../src/core/noun.ts";

/** The jetless decrement of decrement2.jam: `[8 [1 0] 8 [1 6 [5 [0 7] 4 0 6] [0 6] 9 2 ...]`. */
export const decrementFormula = [
  8,
  [1, 0],
  8,
  [
    1,
    6,
    [5, [0, 7], 4, 0, 6],
    [0, 6],
    9,
    2,
    [0, 2],
    [4, 0, 6],
    0,
    7,
  ],
  9,
  2,
  0,
  1,
];

/** Deterministic pseudo-random bytes (xorshift), so the generated noun is the same each run. */
function fill(bytes: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}

/**
 * A noun whose jam is about 64 MiB: a balanced tree of 2^21 distinct 24-byte atoms (so no
 * backreferences shrink it). Built through the FFI, one handle at a time.
 */
function bigNoun(): Noun {
  const leaves = 1 << 21;
  const bytes = new Uint8Array(24 * leaves);
  fill(bytes, 7);
  let level: Noun[] = [];
  for (let i = 0; i < leaves; i++) level.push(Noun.atom(bytes.subarray(24 * i, 24 * i + 24)));
  while (level.length > 1) {
    const next: Noun[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(Noun.cell(level[i], level[i + 1]));
      level[i].dispose();
      level[i + 1].dispose();
    }
    level = next;
  }
  return level[0];
}

function jamCueCases(
  label: string,
  load: () => Uint8Array | null,
  skip?: string,
): BenchCase[] {
  let bytes: Uint8Array | null = null;
  let noun: Noun | null = null;
  const mb = () => bytes!.length / 1e6;
  return [
    {
      name: `core/cue-${label}`,
      unit: "ms",
      better: "lower",
      samples: 9,
      skip,
      target: label === "ivory" ? { op: "<=", value: 30 } : undefined,
      setup: () => {
        bytes = load();
      },
      sample: () => {
        let n: Noun | null = null;
        const ms = timeMs(() => {
          n = Noun.cue(bytes!);
        });
        n!.dispose();
        return { value: ms, extra: { "MB/s": mb() / (ms / 1000) } };
      },
    },
    {
      name: `core/jam-${label}`,
      unit: "ms",
      better: "lower",
      samples: 9,
      skip,
      setup: () => {
        bytes ??= load();
        noun = Noun.cue(bytes!);
        noun.jam(); // the first jam also computes and caches every mug
      },
      sample: () => {
        const ms = timeMs(() => noun!.jam());
        return { value: ms, extra: { "MB/s": mb() / (ms / 1000) } };
      },
      teardown: () => {
        noun?.dispose();
        bytes = null;
      },
    },
  ];
}

function ffiCase(name: string, calls: number, body: (n: number) => void): BenchCase {
  return {
    name,
    unit: "ns/call",
    better: "lower",
    samples: 15,
    target: name.includes("head") || name.includes("tail") ? { op: "<=", value: 50 } : undefined,
    sample: () => ({ value: (timeMs(() => body(calls)) * 1e6) / calls }),
  };
}

/** Runs `bench/_big_atom_loop.ts` in a fresh process and reads its peak RSS. */
async function bigAtomLoop(): Promise<{ value: number; extra: Record<string, number> }> {
  const script = new URL("./_big_atom_loop.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    // Reading /proc/self/status needs --allow-all in Deno.
    args: ["run", "--allow-all", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("Big-atom loop subprocess failed");
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  return { value: r.peakRssMib, extra: { seconds: r.seconds, collections: r.collections } };
}

/** A long cue fuzz run: the same Zig fuzzer the tests run, with 20x the iterations. */
async function longFuzz(): Promise<{ value: number; extra: Record<string, number> }> {
  const iterations = 2_000_000;
  const t0 = performance.now();
  const out = await new Deno.Command("zig", {
    args: ["build", "test", "-Dtest-filter=fuzz", "-Dtest-optimize=ReleaseSafe"],
    cwd: new URL("..", import.meta.url).pathname,
    env: { CELLAR_FUZZ_ITERATIONS: String(iterations) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (!out.success) {
    throw new Error(`Cue fuzz failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return { value: iterations / seconds, extra: { seconds, iterations } };
}

/** The benchmark cases of this file. */
export function cases(): BenchCase[] {
  const S = symbols();
  const ivory = corpusPath("pills/ivory.pill");
  let big: Noun | null = null;
  let bigJam: Uint8Array | null = null;
  let fixtures: { pair: Noun; zero: Noun; quote: Noun } | null = null;
  const fx = () =>
    fixtures ??= {
      pair: Noun.from([1, 2]),
      zero: Noun.atom(0),
      quote: Noun.from([1, 7]),
    };
  let subject: Noun | null = null;
  let formula: Noun | null = null;
  return [
    {
      name: "core/decrement-1e7",
      unit: "Mop/s",
      better: "higher",
      samples: 5,
      target: { op: ">=", value: 100 },
      setup: () => {
        subject = Noun.atom(10_000_000);
        formula = Noun.from(decrementFormula);
      },
      sample: () => {
        let product: Noun | null = null;
        const ms = timeMs(() => {
          product = nock(subject!, formula!);
        });
        if (product!.toNumber() !== 9_999_999) throw new Error("Decrement gave a wrong product");
        product!.dispose();
        const steps = lastSteps();
        return { value: steps / (ms * 1000), extra: { seconds: ms / 1000, steps } };
      },
      teardown: () => {
        subject?.dispose();
        formula?.dispose();
      },
    },
    ...jamCueCases(
      "ivory",
      () => Deno.readFileSync(ivory!),
      ivory ? undefined : "../shared/corpus is absent",
    ),
    ...jamCueCases("64MiB", () => {
      if (!bigJam) {
        big = bigNoun();
        bigJam = big.jam();
        big.dispose();
      }
      return bigJam;
    }),
    ffiCase("ffi/head-raw", 1_000_000, (n) => {
      const h = handleOf(fx().pair);
      for (let i = 0; i < n; i++) S.cellar_release(S.cellar_head(h));
    }),
    ffiCase("ffi/tail-raw", 1_000_000, (n) => {
      const h = handleOf(fx().pair);
      for (let i = 0; i < n; i++) S.cellar_release(S.cellar_tail(h));
    }),
    ffiCase("ffi/Noun.head+dispose", 200_000, (n) => {
      const pair = fx().pair;
      for (let i = 0; i < n; i++) pair.head.dispose();
    }),
    ffiCase("ffi/nock-trivial-raw", 1_000_000, (n) => {
      const z = handleOf(fx().zero);
      const q = handleOf(fx().quote);
      for (let i = 0; i < n; i++) S.cellar_release(S.cellar_nock(z, q, 0, 0));
    }),
    ffiCase("ffi/nock()+dispose", 200_000, (n) => {
      const { zero, quote } = fx();
      for (let i = 0; i < n; i++) nock(zero, quote).dispose();
    }),
    {
      name: "core/big-atom-loop-1e7-peak-rss",
      unit: "MiB",
      better: "lower",
      samples: 1,
      sample: bigAtomLoop,
    },
    {
      name: "core/cue-fuzz-long",
      unit: "inputs/s",
      better: "higher",
      samples: 1,
      sample: longFuzz,
    },
  ];
}
