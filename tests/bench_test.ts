/**
 * `deno bench` finds the benchmarks (every bench file with `Deno.bench` cases is in
 * deno.json's bench.include) and runs them, and the same operations give medians through the
 * harness (`deno task bench:harness`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCase } from "../bench/harness.ts";
import { cases as codecCases } from "../bench/codec_bench.ts";

const root = new URL("../", import.meta.url);

Deno.test("bench: deno.json's bench.include names every file with Deno.bench cases", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  const included: string[] = config.bench.include;
  const withBenches = [...Deno.readDirSync(new URL("bench/", root))]
    .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
    .map((e) => `bench/${e.name}`)
    .filter((path) =>
      /Deno\.bench\(|registerDenoBench\(/.test(Deno.readTextFileSync(new URL(path, root)))
    )
    .sort();
  assert.deepEqual([...included].sort(), withBenches);
});

interface BenchReport {
  benches: { name: string; group: string | null; results: { ok?: { n: number; avg: number } }[] }[];
}

Deno.test("bench: deno bench runs the core, runtime and codec suites", async () => {
  const names = ["core-ops/nock-increment", "runtime-ops/peek-get", "json-ops/read-cause"];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--allow-all", "--json", "--filter", `/^(${names.join("|")})$/`],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const report: BenchReport = JSON.parse(new TextDecoder().decode(output.stdout));
  const ran = report.benches.map((b) => b.name).sort();
  assert.deepEqual(ran, [...names].sort());
  for (const bench of report.benches) {
    const ok = bench.results[0].ok;
    assert(ok !== undefined && ok.n > 0 && ok.avg > 0, `${bench.name}: ${JSON.stringify(bench)}`);
  }
});

Deno.test("bench: the harness gives the same operations' medians", async () => {
  const [readCause] = codecCases();
  const result = await runCase({ ...readCause, samples: 3 });
  assert.equal(result.name, "json-ops/read-cause");
  assert.equal(result.unit, "µs/call");
  assert(result.median > 0 && result.median < 10_000, `median ${result.median}`);
});
