/**
 * Prints each figure of a benchmark run next to a baseline run, with the ratio, so that
 * regressions are visible.
 *
 *   deno run --allow-read bench/compare.ts [BASELINE] [CURRENT]
 *
 * Defaults: bench/results/baseline.json and bench/results/latest.json. A ratio above 1 is
 * worse than the baseline whatever the unit's direction (it is flipped for rates).
 *
 * @module
 */
import type { BenchResult } from "./harness.ts";
import { fmt } from "./harness.ts";

const base = Deno.args[0] ?? new URL("./results/baseline.json", import.meta.url).pathname;
const cur = Deno.args[1] ?? new URL("./results/latest.json", import.meta.url).pathname;

function load(path: string): Map<string, BenchResult> {
  let doc: { results: BenchResult[] };
  try {
    doc = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    console.error(`Cannot read benchmark results: ${path}: ${(e as Error).message}`);
    Deno.exit(2);
  }
  return new Map(doc.results.map((r) => [r.name, r]));
}

const a = load(base);
const b = load(cur);
console.log(
  `${"figure".padEnd(44)} ${"baseline".padStart(12)} ${"current".padStart(12)}  slowdown`,
);
for (const [name, r] of b) {
  const old = a.get(name);
  if (r.skipped || !old || old.skipped) {
    console.log(
      `${name.padEnd(44)} ${"-".padStart(12)} ${fmt(r.median).padStart(12)}  (no baseline)`,
    );
    continue;
  }
  const ratio = r.better === "lower" ? r.median / old.median : old.median / r.median;
  const flag = ratio > 1.1 ? "  REGRESSION" : ratio < 0.9 ? "  improved" : "";
  console.log(
    `${name.padEnd(44)} ${fmt(old.median).padStart(12)} ${fmt(r.median).padStart(12)}  ` +
      `${ratio.toFixed(2)}x ${r.unit}${flag}`,
  );
}
