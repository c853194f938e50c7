/**
 * The routes an orchestrator and a monitoring system use without a token: `/healthz`
 * (liveness), `/readyz` (ready to serve) and `/grafana-dashboard.json` (a dashboard of
 * `/metrics` to import into Grafana). The probes answer `ok` or `not ok` and nothing more:
 * the reasons are in `/status`, behind a token.
 *
 * @module
 */

import dashboard from "./grafana_dashboard.json" with { type: "json" };
import type { Observability } from "./observability.ts";

const dashboardText = JSON.stringify(dashboard, null, 2) + "\n";

function verdict(ok: boolean): Response {
  return new Response(ok ? "ok\n" : "not ok\n", {
    status: ok ? 200 : 503,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** `/healthz`: `ok` while the process may go on (see {@linkcode Observability.live}). */
export function healthz(observability: Observability): Response {
  return verdict(observability.live());
}

/** `/readyz`: `ok` while the server can serve (see {@linkcode Observability.ready}). */
export function readyz(observability: Observability): Response {
  return verdict(observability.ready());
}

/** `/grafana-dashboard.json`: the dashboard as shipped. */
export function grafanaDashboard(): Response {
  return new Response(dashboardText, {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache" },
  });
}
