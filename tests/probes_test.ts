/**
 * The public routes for operators: `/healthz` and `/readyz` (ok or not ok, nothing more, no
 * token, outside the request limit) through the server's phases, and the Grafana dashboard
 * (it parses, is served as shipped, and every query names a metric family the server has).
 * No Worker, no native library, no socket.
 */

import assert from "node:assert/strict";
import type { BootReport, RuntimeStatus } from "../src/runtime/runtime.ts";
import { HttpError } from "../src/server/http_util.ts";
import { metricFamilyNames, Observability } from "../src/server/observability.ts";
import type { Limits } from "../src/server/options.ts";
import type { WriterStatus } from "../src/server/protocol.ts";
import { routes, serveRequest } from "../src/server/routes.ts";
import type { RouteContext } from "../src/server/routes.ts";
import { assertEquals } from "./_helpers.ts";

const limits: Limits = {
  bodyBytes: 1024,
  pokeTimeoutMs: 1000,
  peekTimeoutMs: 1000,
  bodyTimeoutMs: 1000,
  bodyDeadlineMs: 5000,
  maxConnections: 4,
};

const boot = { level: 1, name: "pma", bootMs: 5, eventNumber: 3n } as unknown as BootReport;

function writerStatus(stalled = false): WriterStatus {
  const status = {
    eventNumber: 3n,
    pma: { capacityBytes: 4096, usedBytes: 1024, reserveBytes: 1 << 20, growthCount: 0 },
    snapshots: [],
    commit: { stalled },
  } as unknown as RuntimeStatus;
  return { status, at: Date.now() };
}

function context(): RouteContext {
  const refuse = () => {
    throw new HttpError(401, "Unauthorized", "No token in this test");
  };
  return {
    backend: { poke: refuse, peek: refuse },
    observability: new Observability({ dataDir: "/nowhere", limits }),
    auth: { authorize: refuse },
    log: () => {},
  };
}

async function probe(c: RouteContext, path: string): Promise<[number, string, string | null]> {
  const r = await serveRequest(c, new Request(`http://127.0.0.1${path}`));
  return [r.status, await r.text(), r.headers.get("content-type")];
}

const ok = [200, "ok\n", "text/plain; charset=utf-8"];
const notOk = [503, "not ok\n", "text/plain; charset=utf-8"];

Deno.test("probes: /healthz and /readyz follow the phases, with no token", async () => {
  const c = context();
  const o = c.observability;
  assertEquals(await probe(c, "/healthz"), ok);
  assertEquals(await probe(c, "/readyz"), notOk); // booting
  o.booted(boot, writerStatus());
  assertEquals(await probe(c, "/readyz"), notOk); // no peek Worker yet
  o.markReady();
  assertEquals(await probe(c, "/readyz"), ok);
  o.takeStatus(writerStatus(true));
  assertEquals(await probe(c, "/readyz"), notOk); // commits stalled
  assertEquals(await probe(c, "/healthz"), ok);
  o.takeStatus(writerStatus(false));
  assertEquals(await probe(c, "/readyz"), ok);
  o.markStopping();
  assertEquals([await probe(c, "/healthz"), await probe(c, "/readyz")], [ok, notOk]);
  o.fail("the writer died");
  assertEquals(await probe(c, "/healthz"), notOk);
  // The token-guarded routes still ask for one.
  assertEquals((await probe(c, "/status"))[0], 401);
});

Deno.test("probes: answered past the request limit, counted by route", async () => {
  const c = context();
  c.observability.inFlight = limits.maxConnections;
  assertEquals(await probe(c, "/healthz"), ok);
  assertEquals((await probe(c, "/status"))[0], 503);
  c.observability.inFlight = 0;
  const text = c.observability.metricsText();
  assert(text.includes('cellar_http_route_requests_total{route="/healthz",status_class="2xx"} 1'));
  assert(text.includes('cellar_http_route_requests_total{route="/status",status_class="5xx"} 1'));
  assert(text.includes('cellar_http_request_duration_seconds_count{route="/healthz"} 1'));
});

const dashboardUrl = new URL("../src/server/grafana_dashboard.json", import.meta.url);

/** The metric names a PromQL expression uses (identifiers followed by a selector). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\{/g)].map((m) => m[1]);
}

Deno.test("grafana dashboard: served as shipped; every query names a family of /metrics", async () => {
  const shipped = Deno.readTextFileSync(dashboardUrl);
  const dashboard = JSON.parse(shipped);
  const r = await serveRequest(context(), new Request("http://127.0.0.1/grafana-dashboard.json"));
  assertEquals(r.status, 200);
  assertEquals(await r.json(), dashboard);
  const titles = dashboard.panels.map((p: { title: string }) => p.title.toLowerCase()).join("|");
  for (const topic of ["poke rate", "latency", "errors", "group size", "log", "pma", "gc"]) {
    assert(titles.includes(topic), `no panel about ${topic}: ${titles}`);
  }
  let queries = 0;
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const names = metricsOf(target.expr);
      assert(names.length > 0, `${panel.title}: no metric in ${target.expr}`);
      for (const name of names) {
        const family = metricFamilyNames.includes(name)
          ? name
          : name.replace(/_(bucket|sum|count)$/, "");
        assert(metricFamilyNames.includes(family), `${panel.title}: ${name} is not exported`);
      }
      queries++;
    }
  }
  assert(queries >= 10, `${queries} queries`);
  assert(metricsOf('rate(nope_total{job="x"}[5m])').includes("nope_total"));
  assert(routes.some((route) => route.path === "/grafana-dashboard.json" && route.scope === null));
});
