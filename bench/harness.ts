/**
 * A small benchmark harness that reports medians.
 *
 * Each case measures one figure (a duration, a rate, a size) several times; the run reports
 * the median with min and max. `bench/run.ts` runs every case in every `*_bench.ts` file and
 * writes machine-readable results; `bench/compare.ts` prints ratios to a saved baseline.
 *
 * @module
 */

/** What a case reports for one sample: the figure, plus named side figures. */
export interface Sample {
  value: number;
  extra?: Record<string, number>;
}

/** One benchmark figure. */
export interface BenchCase {
  /** Stable name, used to match a baseline: `group/what`. */
  name: string;
  /** Unit of `value`, e.g. `ms`, `ns/call`, `Mop/s`, `MiB`. */
  unit: string;
  /** Whether larger is better (rates) or smaller is better (times, sizes). */
  better: "lower" | "higher";
  /** Number of samples; the median is reported. */
  samples: number;
  /** Why the case cannot run here (e.g. corpus absent); it is reported as skipped. */
  skip?: string;
  /** A target from the issue, if any, for the report. */
  target?: { op: "<=" | ">="; value: number };
  setup?: () => void | Promise<void>;
  sample: () => Sample | Promise<Sample>;
  teardown?: () => void | Promise<void>;
}

/** The result of a case, as written to the results file. */
export interface BenchResult {
  name: string;
  unit: string;
  better: "lower" | "higher";
  median: number;
  min: number;
  max: number;
  samples: number;
  extra: Record<string, number>;
  target?: { op: "<=" | ">="; value: number; met: boolean };
  skipped?: string;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("Cannot take a median: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Run one case and summarise it. */
export async function runCase(c: BenchCase): Promise<BenchResult> {
  if (c.skip) {
    return {
      name: c.name,
      unit: c.unit,
      better: c.better,
      median: NaN,
      min: NaN,
      max: NaN,
      samples: 0,
      extra: {},
      skipped: c.skip,
    };
  }
  await c.setup?.();
  const values: number[] = [];
  const extras: Record<string, number[]> = {};
  try {
    for (let i = 0; i < c.samples; i++) {
      const s = await c.sample();
      values.push(s.value);
      for (const [k, v] of Object.entries(s.extra ?? {})) (extras[k] ??= []).push(v);
    }
  } finally {
    await c.teardown?.();
  }
  const m = median(values);
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(extras)) extra[k] = median(v);
  const result: BenchResult = {
    name: c.name,
    unit: c.unit,
    better: c.better,
    median: m,
    min: Math.min(...values),
    max: Math.max(...values),
    samples: values.length,
    extra,
  };
  if (c.target) {
    const met = c.target.op === "<=" ? m <= c.target.value : m >= c.target.value;
    result.target = { ...c.target, met };
  }
  return result;
}

/** Time `fn` in milliseconds with the high-resolution clock. */
export function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Format a number for the report: 3 significant digits, thousands kept whole. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return v.toPrecision(3);
}

/** Path of the shared corpus beside the checkout, or null when it is absent. */
export function corpusPath(rel: string): string | null {
  const url = new URL(`../../shared/corpus/${rel}`, import.meta.url);
  try {
    Deno.statSync(url);
    return url.pathname;
  } catch {
    return null;
  }
}

/** Free bytes of the temp directory's file system (df), or 0 when unknown. */
export function tempFreeBytes(): number {
  try {
    const out = new Deno.Command("df", {
      args: ["--output=avail", "-B1", Deno.env.get("TMPDIR") ?? "/tmp"],
    }).outputSync();
    return Number(new TextDecoder().decode(out.stdout).trim().split("\n").pop());
  } catch {
    return 0;
  }
}

/**
 * Run a bench worker script (`deno run --allow-all SCRIPT ARGS`) in its own process, so each
 * figure gets a fresh process, and return the JSON object on the last line of its stdout.
 */
export async function runWork(script: string, args: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const name = script.split("/").pop();
  if (!out.success) throw new Error(`${name} ${args.join(" ")} failed`);
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  return JSON.parse(text);
}
