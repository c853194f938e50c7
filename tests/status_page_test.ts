/**
 * The status page in headless Chromium: against the real server (render, poke, see the new
 * event), and against a scripted /status for the page's own states (unauthorized, fetch
 * errors, missing fields). Skips when Chromium is absent (see tests/_chromium.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer } from "../src/server/server.ts";
import { statusPageHtml } from "../src/server/status_page.ts";
import { artifactsUrl, hasChromium, launchChromium } from "./_chromium.ts";
import type { Browser, Page } from "./_chromium.ts";
import { hasDefaultKernel } from "./_helpers.ts";

/** Bounded wait for a DOM condition (the page polls every 2 s). */
const waitMs = 20_000;

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector))?.trim() ?? "";
}

/** The part of the page's `document` the predicates use (tests are checked without the DOM). */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

/** Wait until the element's trimmed text equals `expected`; fail naming what it showed. */
async function waitForText(page: Page, selector: string, expected: string): Promise<void> {
  try {
    // The predicate runs in the page. A function, not a string: the server's CSP forbids eval.
    await page.waitForFunction(
      ([sel, want]) => {
        const doc = (globalThis as unknown as { document: PageDocument }).document;
        return doc.querySelector(sel)?.textContent?.trim() === want;
      },
      [selector, expected] as const,
      { timeout: waitMs, polling: 100 },
    );
  } catch (error) {
    const shown = await text(page, selector).catch(() => "?");
    throw new Error(`${selector} shows "${shown}", expected "${expected}"`, { cause: error });
  }
}

/** Collect the page's uncaught errors and console errors (a test expects none). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** A scripted /status server that serves the page; `answer` decides each /status reply. */
function scriptedServer(answer: (request: Request) => Response) {
  /** The Authorization header of each /status request ("" when absent). */
  const authorizations: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response(statusPageHtml(), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    if (url.pathname === "/status") {
      authorizations.push(request.headers.get("authorization") ?? "");
      return answer(request);
    }
    return new Response("not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, authorizations, server };
}

Deno.test({
  name: "status page: served by the real server, follows a poke to its new event",
  ignore: !hasChromium || !hasDefaultKernel,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "cellar-status-page-" });
    const logs: string[] = [];
    const server = await startServer({
      dataDir,
      host: "127.0.0.1",
      port: 0,
      log: (line) => logs.push(line),
    });
    let browser: Browser | undefined;
    try {
      await server.ready;
      assert(server.adminTokenPath !== undefined, "a new data directory gets an admin token");
      const token = (await Deno.readTextFile(server.adminTokenPath)).trim();
      const auth = { authorization: `Bearer ${token}` };
      const status = await (await fetch(new URL("status", server.url), { headers: auth })).json();
      const before = BigInt(status.eventNumber);

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(`${server.url}#token=${encodeURIComponent(token)}`);
      assert.equal(await page.title(), "Cellar status");
      await waitForText(page, "#event-number", String(before));
      assert.match(
        await text(page, "#health"),
        /^(healthy|nearly-full|growing|stale|recovering)$/,
      );
      assert.equal(await text(page, "#kernel-hash") === "—", false);
      assert.match(await text(page, "#slab-capacity"), /^\d+(\.\d+)? (B|KiB|MiB|GiB|TiB)$/);

      // A poke through the HTTP API; the page's next poll shows its event.
      const poked = await fetch(new URL("poke", server.url), {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(["put", "status-page", "works"]),
      });
      assert.equal(poked.status, 200, await poked.clone().text());
      const after = BigInt((await poked.json()).eventNumber);
      assert.equal(after, before + 1n);
      await waitForText(page, "#event-number", String(after));
      await waitForText(page, "#pokes", "1");
      assert.match(await text(page, "#poke-p50"), /^\d+(\.\d+)? (ms|s)$/);
      assert.equal(await text(page, "#poke-errors"), "0");
      assert.deepEqual(errors, []);

      await Deno.mkdir(artifactsUrl, { recursive: true });
      await page.screenshot({
        path: new URL("status_page.png", artifactsUrl).pathname,
        fullPage: true,
      });
    } finally {
      await browser?.close();
      await server.shutdown();
      await server.finished;
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

function sampleStatus(eventNumber: bigint) {
  const now = Date.now();
  const mib = 1024 * 1024;
  const history = [];
  for (let i = 0; i < 60; i++) {
    const capacity = i < 25 ? 64 * mib : i < 48 ? 128 * mib : 256 * mib;
    const used = Math.min(capacity * 0.92, (20 + i * 3.1 + 6 * Math.sin(i / 3)) * mib);
    history.push({
      t: now - (59 - i) * 2000,
      capacityBytes: capacity,
      usedBytes: Math.round(used),
    });
  }
  return {
    eventNumber: String(eventNumber),
    kernelHash: "9f2c4e6a1b3d5f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8",
    health: "healthy",
    slab: {
      capacityBytes: 256 * mib,
      usedBytes: 203 * mib,
      liveBytes: 141 * mib,
      growthCount: 2,
      freeBytes: 53 * mib,
      reserveBytes: 16 * mib,
    },
    snapshots: [
      { name: "latest", kind: "rotating", eventNumber: "1200", bytes: 141 * mib, ageSeconds: 95 },
      {
        name: "latest-1",
        kind: "rotating",
        eventNumber: "1100",
        bytes: 138 * mib,
        ageSeconds: 1900,
      },
      { name: "epoch-0", kind: "epoch", eventNumber: "0", bytes: 2 * mib, ageSeconds: 90061 },
    ],
    boot: {
      level: 2,
      name: "snapshot",
      detail: "snapshot latest (event 1200), then a replay",
      skipped: [{ level: 1, name: "pma", reason: "the PMA is at event 1180, the log at 1234" }],
      replayed: 34,
      bootMs: 412.5,
    },
    uptimeSeconds: 3725,
    pokes: 1234,
    peeks: 56789,
    latencyMs: { poke: { p50: 1.25, p99: 48.4 }, peek: { p50: 0.31, p99: 2.5 } },
    errors: { pokes: 3, peeks: 1, http4xx: 7, http5xx: 2 },
    eventRate: 12.5,
    history,
  };
}

Deno.test({
  name: "status page: renders a full /status, draws the chart, follows new events",
  ignore: !hasChromium,
  async fn() {
    let event = 1234n;
    const fake = scriptedServer(() => Response.json(sampleStatus(event)));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(`${fake.url}/#token=secret-1`);
      assert.equal(await page.title(), "Cellar status");
      await waitForText(page, "#event-number", "1234");
      assert.equal(await text(page, "#health"), "healthy");
      assert.match((await page.getAttribute("#health", "class")) ?? "", /health-healthy/);
      assert.equal(await text(page, "#slab-capacity"), "256 MiB");
      assert.equal(await text(page, "#slab-growth"), "2");
      assert.equal(await text(page, "#uptime"), "1 h 2 min");
      assert.equal(await text(page, "#event-rate"), "13");
      assert.deepEqual(
        [await text(page, "#poke-p50"), await text(page, "#poke-p99")],
        ["1.25 ms", "48 ms"],
      );
      assert.equal(await text(page, "#peek-latency"), "peek p50 0.31 ms \u00b7 p99 2.50 ms");
      assert.deepEqual([await text(page, "#poke-errors"), await text(page, "#peek-errors")], [
        "3",
        "1",
      ]);
      assert.equal(await text(page, "#http-errors"), "HTTP 2 \u00d7 5xx \u00b7 7 \u00d7 4xx");
      assert.equal(await page.locator("#snapshots tr").count(), 3);
      assert.match(await text(page, "#boot-skipped"), /the PMA is at event 1180/);
      // The chart has its two series.
      assert.equal(await page.locator("#slab-chart path.capacity").count(), 1);
      assert.equal(await page.locator("#slab-chart path.used").count(), 1);
      // The token came from the fragment, went into the header, and left the address bar.
      assert.equal(fake.authorizations[0], "Bearer secret-1");
      assert.equal(new URL(page.url()).hash, "");
      await Deno.mkdir(artifactsUrl, { recursive: true });
      await page.screenshot({
        path: new URL("status_page_sample.png", artifactsUrl).pathname,
        fullPage: true,
      });
      // The next poll picks up a new event.
      event = 1235n;
      await waitForText(page, "#event-number", "1235");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await fake.server.shutdown();
    }
  },
});

Deno.test({
  name: "status page: unauthorized state, token box, error banner, missing and odd fields",
  ignore: !hasChromium,
  async fn() {
    let mode: "ok" | "fail" | "sparse" | "odd" = "ok";
    const fake = scriptedServer((request) => {
      if (request.headers.get("authorization") !== "Bearer good") {
        return Response.json({ error: "unauthorized" }, { status: 401 });
      }
      if (mode === "fail") return new Response("the writer is gone", { status: 503 });
      if (mode === "sparse") return Response.json({ eventNumber: "7" });
      if (mode === "odd") {
        return Response.json({
          eventNumber: 8,
          health: 5,
          slab: "x",
          snapshots: {},
          history: "no",
        });
      }
      return Response.json(sampleStatus(42n));
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      const errors = watchErrors(page);
      // No token: the server answers 401 and the page says so instead of showing data.
      await page.goto(`${fake.url}/`);
      await page.waitForSelector("#unauthorized.shown", { timeout: waitMs });
      assert.match(await text(page, "#unauthorized"), /Unauthorized/);
      assert.match(await text(page, "#unauthorized"), /HTTP 401/);
      assert.equal(await page.isVisible("#dashboard"), false);
      assert.equal(fake.authorizations[0], "");

      // A token typed into the box is used at once and kept for the tab.
      await page.fill("#token-input", "good");
      await page.click("#token-form button[type=submit]");
      await waitForText(page, "#event-number", "42");
      assert.equal(await page.isVisible("#unauthorized"), false);
      assert.equal(await page.evaluate("sessionStorage.getItem('cellar.token')"), "good");
      assert.equal(fake.authorizations.at(-1), "Bearer good");

      // A failing /status: the banner names the problem and the last values stay.
      mode = "fail";
      await page.waitForSelector("#error-banner.shown", { timeout: waitMs });
      assert.match(await text(page, "#error-banner"), /HTTP 503: the writer is gone/);
      assert.equal(await text(page, "#event-number"), "42");
      assert.match(await text(page, "#updated"), /stale/);

      // Recovery hides the banner; missing fields show as —.
      mode = "sparse";
      await waitForText(page, "#event-number", "7");
      assert.equal(await page.isVisible("#error-banner"), false);
      for (
        const id of [
          "#health",
          "#kernel-hash",
          "#uptime",
          "#pokes",
          "#slab-capacity",
          "#event-rate",
          "#poke-p50",
          "#poke-errors",
        ]
      ) {
        assert.equal(await text(page, id), "—", id);
      }
      assert.equal(await text(page, "#snapshots"), "No snapshots yet");
      assert.equal(await text(page, "#slab-chart"), "No history yet");

      // Fields of the wrong type are shown as — too, without a script error.
      mode = "odd";
      await waitForText(page, "#event-number", "8");
      assert.equal(await text(page, "#health"), "—");
      assert.equal(await text(page, "#slab-used"), "—");

      // The server going away is a fetch error, not a crash.
      mode = "ok";
      await waitForText(page, "#event-number", "42");
      await fake.server.shutdown();
      await page.waitForSelector("#error-banner.shown", { timeout: waitMs });
      assert.match(await text(page, "#error-banner"), /Cannot fetch \/status/);
      // Chromium logs the refused connection itself; the page's own code raised nothing.
      assert.deepEqual(
        errors.filter((error) => !error.startsWith("console: Failed to load resource")),
        [],
      );
    } finally {
      await browser.close();
      await fake.server.shutdown().catch(() => {});
    }
  },
});
