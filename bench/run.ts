/**
 * Runs every benchmark case in `bench/*_bench.ts`, prints medians, and writes the results to
 * `bench/results/latest.json` (and a timestamped copy). With `--save`, the run also becomes
 * the baseline (`bench/results/baseline.json`) that `bench/compare.ts` compares against.
 *
 *   deno task bench:harness [--save] [--filter TEXT]   (./cellar bench runs it)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BenchCase, type BenchResult, fmt, runCase } from "./harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    save: { type: "boolean", default: false },
    filter: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "Usage: deno task bench:harness [--save] [--filter TEXT]\n\n" +
      "Runs every case in bench/*_bench.ts, prints medians and writes bench/results/latest.json.\n" +
      "--save also stores the run as bench/results/baseline.json; compare with\n" +
      "  deno run --allow-read bench/compare.ts [BASELINE] [CURRENT]",
  );
  Deno.exit(0);
}

const dir = new URL("./", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
  .map((e) => e.name)
  .sort();

const results: BenchResult[] = [];
for (const file of files) {
  const mod = await import(new URL(file, dir).href) as { cases?: () => BenchCase[] };
  if (!mod.cases) continue;
  for (const c of mod.cases()) {
    if (values.filter && !c.name.includes(values.filter)) continue;
    const t0 = performance.now();
    const r = await runCase(c);
    results.push(r);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (r.skipped) {
      console.log(`${r.name.padEnd(44)} skipped: ${r.skipped}`);
      continue;
    }
    const extra = Object.entries(r.extra).map(([k, v]) => `${k}=${fmt(v)}`).join(" ");
    const target = r.target
      ? ` [target ${r.target.op} ${fmt(r.target.value)}: ${r.target.met ? "met" : "MISSED"}]`
      : "";
    console.log(
      `${r.name.padEnd(44)} ${fmt(r.median).padStart(12)} ${r.unit.padEnd(9)} ` +
        `(median of ${r.samples}, ${fmt(r.min)}..${fmt(r.max)}; ${secs}s)${target} ${extra}`,
    );
  }
}

const out = new URL("./results/", import.meta.url);
Deno.mkdirSync(out, { recursive: true });
const doc = {
  when: new Date().toISOString(),
  deno: Deno.version.deno,
  host: Deno.hostname(),
  results,
};
const text = JSON.stringify(doc, null, 2) + "\n";
Deno.writeTextFileSync(new URL("latest.json", out), text);
Deno.writeTextFileSync(new URL(`run-${doc.when.replaceAll(":", "-")}.json`, out), text);
if (values.save) Deno.writeTextFileSync(new URL("baseline.json", out), text);
console.log(`results: bench/results/latest.json${values.save ? " (saved as baseline)" : ""}`);
