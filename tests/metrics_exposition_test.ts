/**
 * `/metrics` of a real server passes the exposition rules `promtool check metrics` enforces
 * (tests/_exposition.ts), and promtool itself when it is on the PATH (the step is skipped,
 * visibly, otherwise). The checker is tested on bad expositions first, so a checker that
 * passes everything fails here.
 */

import assert from "node:assert/strict";
import { assertEquals, kernelTest } from "./_helpers.ts";
import { checkExposition } from "./_exposition.ts";
import { Observability, zigVersion } from "../src/server/observability.ts";
import {
  auth,
  peekJson,
  pokeJson,
  repoRoot,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";

function promtoolPath(): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/promtool`).isFile) return `${dir}/promtool`;
    } catch {
      // not here
    }
  }
  return null;
}

const promtool = promtoolPath();

/** `promtool check metrics` of `text`: its exit code and output. */
async function runPromtool(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(promtool!, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, output: (d.decode(out.stdout) + d.decode(out.stderr)).trim() };
}

const good = `# HELP a_requests_total Requests.
# TYPE a_requests_total counter
a_requests_total{code="200"} 3
# HELP a_latency_seconds Latency.
# TYPE a_latency_seconds histogram
a_latency_seconds_bucket{le="0.1"} 1
a_latency_seconds_bucket{le="+Inf"} 2
a_latency_seconds_sum 0.3
a_latency_seconds_count 2
`;

Deno.test("exposition checker: passes a good exposition, names each broken rule", () => {
  assertEquals(checkExposition(good), []);
  const bad: [string, string][] = [
    [good.replace(/a_requests_total/g, "a_growth_count"), "a counter not ending in _total"],
    [good.replace("# HELP a_requests_total Requests.\n", ""), "no HELP text"],
    [good.replace(/a_requests_total/g, "a_up_total").replace("counter", "gauge"), "_total on"],
    [good + "# HELP a_latency_seconds Again.\n", "a second HELP"],
    [good + "# TYPE a_requests_total counter\n", "a second TYPE"],
    [good + 'a_requests_total{code="500"} 1\n', "not together"],
    [good.replace('le="+Inf"} 2', 'le="1"} 2'), 'no le="+Inf"'],
    [good.replace('le="+Inf"} 2', 'le="+Inf"} 3'), "differs from _count"],
    [good.replace("a_latency_seconds_sum 0.3\n", ""), "no _sum"],
    [good.replace('le="0.1"} 1', 'le="0.1"} 5'), "not cumulative"],
    [good.replace(/a_latency_seconds/g, "a_latency_milliseconds"), "non-base unit"],
    [good.replace(/a_latency_seconds/g, "a_latency_ms"), "abbreviated unit"],
    [good.replace(/a_requests_total/g, "a_requests_counter_total"), "the type 'counter'"],
    [good.replace(/a_requests_total/g, "a:requests_total"), "colons"],
    [good + "# HELP b_gauge_sum B.\n# TYPE b_gauge_sum gauge\nb_gauge_sum 1\n", "reserved suffix"],
    [good.replace('{code="200"} 3', '{le="200"} 3'), "le on a counter"],
    [good.replace('{code="200"} 3', "{code=200} 3"), "not a sample line"],
    [good.slice(0, -1), "does not end with a newline"],
  ];
  for (const [text, expected] of bad) {
    const problems = checkExposition(text);
    assert(problems.some((p) => p.includes(expected)), `'${expected}' not in ${problems}`);
  }
});

Deno.test("exposition of a server that served nothing yet passes too", async (t) => {
  const limits = {
    bodyBytes: 1,
    pokeTimeoutMs: 1,
    peekTimeoutMs: 1,
    bodyTimeoutMs: 1,
    bodyDeadlineMs: 1,
    maxConnections: 1,
  };
  const text = new Observability({ dataDir: "/nowhere", limits }).metricsText();
  assertEquals(checkExposition(text), []);
  assert(text.includes("\n# TYPE cellar_http_request_duration_seconds histogram\n"));
  await t.step({
    name: promtool === null ? "promtool (SKIPPED: no promtool on PATH)" : "promtool",
    ignore: promtool === null,
    fn: async () => assertEquals(await runPromtool(text), { code: 0, output: "" }),
  });
});

kernelTest(
  "server: /metrics passes the exposition rules (and promtool when present)",
  async (t) => {
    const dataDir = Deno.makeTempDirSync({ prefix: "cellar-metrics-" });
    const server = await startServerProcess(dataDir);
    try {
      for (let i = 0; i < 3; i++) {
        await (await pokeJson(server, ["put", `k${i}`, i])).body
          ?.cancel();
      }
      await (await pokeJson(server, ["bogus"])).body?.cancel();
      await (await peekJson(server, "get/k1")).body?.cancel();
      await (await fetch(`${server.url}nowhere`)).body?.cancel();
      for (const probe of ["healthz", "readyz"]) {
        const answer = await fetch(`${server.url}${probe}`); // no token
        assertEquals([answer.status, await answer.text()], [200, "ok\n"]);
      }
      const r = await fetch(`${server.url}metrics`, { headers: auth(server.token) });
      assertEquals(r.status, 200);
      const text = await r.text();
      assertEquals(checkExposition(text), []);
      for (
        const family of ["cellar_build_info", "process_cpu_seconds_total", "cellar_log_size_bytes"]
      ) {
        assert(text.includes(`\n# TYPE ${family} `), `no ${family}`);
      }
      assert(text.includes('cellar_http_route_requests_total{route="/poke",status_class="2xx"} 3'));
      assert(
        text.includes('cellar_http_route_requests_total{route="unmatched",status_class="4xx"} 1'),
      );
      await t.step({
        name: promtool === null
          ? "promtool check metrics (SKIPPED: no promtool on PATH)"
          : `promtool check metrics (${promtool})`,
        ignore: promtool === null,
        fn: async () => {
          const { code, output } = await runPromtool(text);
          assertEquals({ code, output }, { code: 0, output: "" });
        },
      });
    } finally {
      await stopServer(server);
      Deno.removeSync(dataDir, { recursive: true });
    }
  },
);

Deno.test("process metrics: read from /proc with --allow-all on Linux", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const url = new URL("../src/server/process_metrics.ts", import.meta.url).href;
  const script = `import { sampleProcess } from ${JSON.stringify(url)};
console.log(JSON.stringify(sampleProcess()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const sample = JSON.parse(new TextDecoder().decode(out.stdout));
  assert(sample.residentBytes > 1024 * 1024, `resident ${sample.residentBytes}`);
  assert(sample.virtualBytes > sample.residentBytes, `virtual ${sample.virtualBytes}`);
  assert(sample.openFds >= 3 && sample.openFds < sample.maxFds, `fds ${sample.openFds}`);
  assert(sample.cpuSeconds > 0 && sample.cpuSeconds < 600, `cpu ${sample.cpuSeconds}`);
  const age = Date.now() / 1000 - sample.startTimeSeconds;
  assert(age >= 0 && age < 600, `started ${age} s ago`);
});

Deno.test("cellar_build_info names the Zig that ./cellar pins", () => {
  const script = Deno.readTextFileSync(`${repoRoot}/cellar`);
  assertEquals(/^ZIG_VERSION=(\S+)$/m.exec(script)?.[1], zigVersion);
});
