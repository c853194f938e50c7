/**
 * The status page in cluster mode, in real Chromium: the cluster card shows the member's
 * role, the leader and the lag from `/status`'s `cluster` part, and stays hidden without it.
 * Skips when Chromium is absent (see tests/_chromium.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { statusPageHtml } from "../src/server/status_page.ts";
import { hasChromium, launchChromium } from "./_chromium.ts";
import type { Page } from "./_chromium.ts";

/** What the fake `/status` answers: a follower, a leader in alarm, or no cluster at all. */
type Mode = "follower" | "alarm" | "single";

function status(mode: Mode): Record<string, unknown> {
  if (mode === "single") return { eventNumber: "30" };
  const cluster = {
    app: "kv",
    role: mode === "alarm" ? "stopped" : "follower",
    holder: "127.0.0.1:8082/ab12cd34",
    url: "http://127.0.0.1:8082",
    leader: "http://127.0.0.1:8081",
    eventNumber: "17",
    streamEvent: "20",
    lagEvents: 3,
    lagMs: 1450,
    replicate: "sync",
    alarm: mode === "alarm" ? "State mismatch at event 18" : null,
  };
  return { eventNumber: "17", cluster };
}

/** Wait until `selector`'s trimmed text is `want` (the page polls every 2 s). */
async function shows(page: Page, selector: string, want: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (((await page.textContent(selector)) ?? "").trim() === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(((await page.textContent(selector)) ?? "").trim(), want, selector);
}

Deno.test({
  name: "cluster status page: role, leader and lag, hidden without cluster mode",
  ignore: !hasChromium,
  async fn() {
    let mode: Mode = "follower";
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/status") return Response.json(status(mode));
      if (path !== "/") return new Response("not found", { status: 404 });
      return new Response(statusPageHtml(), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${server.addr.port}/#token=t`);
      await shows(page, "#cluster-role", "follower");
      assert.equal(await page.isVisible("#cluster-card"), true);
      assert.equal(await page.textContent("#cluster-leader"), "leader http://127.0.0.1:8081");
      assert.equal(await page.textContent("#cluster-lag"), "lag 3 events \u00b7 1.45 s");
      mode = "alarm";
      await shows(page, "#cluster-role", "stopped (alarm)");
      mode = "single";
      await shows(page, "#event-number", "30");
      assert.equal(await page.isVisible("#cluster-card"), false);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
