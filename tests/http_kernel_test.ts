/**
 * Kernels that serve HTTP: `cellar run --http-kernel` with the example guestbook kernel
 * (examples/guestbook.hoon, built here with the ivory pill: skipped without it), as a real
 * process answered over HTTP and driven by a real browser.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount } from "../mod.ts";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { corpusUrl, hasCorpus } from "./_helpers.ts";
import { assertEquals } from "./_helpers.ts";
import { spawnCellar, tempDir } from "./_nockapp_helpers.ts";
import { freePort } from "./_server_helpers.ts";

handleCount();

const root = tempDir("cellar_http_kernel_test_");
const kernelPath = `${root}/guestbook.jam`;
const source = new URL("../examples/guestbook.hoon", import.meta.url);

if (!hasCorpus) {
  console.warn("Skipping the HTTP kernel tests: building the example kernel needs the ivory pill");
}

/** The example kernel's jam, built once. */
function guestbook(): string {
  try {
    Deno.statSync(kernelPath);
  } catch {
    const pill = Deno.readFileSync(new URL("pills/ivory.pill", corpusUrl));
    Deno.writeFileSync(kernelPath, buildKernel(pill, Deno.readTextFileSync(source)));
  }
  return kernelPath;
}

/** A `cellar run --http-kernel` process, its base URL and its stderr so far. */
interface Serving {
  url: string;
  stderr: () => string;
  stop(): Promise<number>;
}

async function serve(extra: string[] = []): Promise<Serving> {
  const port = freePort();
  const child = spawnCellar(
    ["run", guestbook(), "--http-kernel", "--port", String(port), ...extra],
    { read: [root], write: [root], net: `127.0.0.1:${port}`, tmpdir: root },
  );
  let text = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const end = Date.now() + 60_000;
  while (!/serving the kernel at (\S+)/.test(text)) {
    if (Date.now() > end) throw new Error(`The run did not start serving:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /serving the kernel at (\S+)/.exec(text)![1];
  // Wait for the boot line too: requests are answered once the drivers started.
  while (!/event 0/.test(text)) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    stderr: () => text,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      await child.stdout.cancel();
      return status.code;
    },
  };
}

Deno.test({
  name: "http kernel: requests poked as %req and answered by %res, with the host's errors",
  ignore: !hasCorpus,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serve(["--http-timeout-ms", "1500"]);
    try {
      let r = await fetch(s.url);
      assertEquals(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await r.text(), /<h1>Guestbook<\/h1>/);
      r = await fetch(`${s.url}sign`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "msg=from fetch <script>\r\n",
        redirect: "manual",
      });
      assertEquals(r.status, 303);
      assertEquals(r.headers.get("location"), "/");
      await r.body?.cancel();
      r = await fetch(`${s.url}api/messages`);
      assertEquals(await r.json(), { requests: 3, messages: ["from fetch <script>"] });
      // %cache: the second GET of /about is answered without a poke.
      for (let i = 0; i < 2; i++) {
        r = await fetch(`${s.url}about`);
        assertEquals(r.status, 200);
        assert.match(await r.text(), /A Cellar guestbook/);
      }
      r = await fetch(`${s.url}api/messages`);
      assertEquals((await r.json()).requests, 5);
      // The host's answers: a crash (500, trace id in the log), a bad shape (502), no
      // answer (504), an unknown route (the kernel's 404), a body past the limit (413).
      r = await fetch(`${s.url}crash`);
      assertEquals(r.status, 500);
      const traceId = /trace id (\w+)/.exec(await r.text())![1];
      assert.match(
        s.stderr(),
        new RegExp(`request ${traceId} \\(GET /crash\\) crashed the kernel`),
      );
      assert.match(s.stderr(), /%guestbook-crash/);
      r = await fetch(`${s.url}bad`);
      assertEquals(r.status, 502);
      assert.match(await r.text(), /status is not a number/);
      r = await fetch(`${s.url}silent`);
      assertEquals(r.status, 504);
      await r.body?.cancel();
      r = await fetch(`${s.url}nothing/here?x=1`);
      assertEquals(r.status, 404);
      await r.body?.cancel();
      r = await fetch(`${s.url}sign`, { method: "POST", body: new Uint8Array(1024 * 1024 + 1) });
      assertEquals(r.status, 413);
      await r.body?.cancel();
    } finally {
      assertEquals(await s.stop(), 143);
    }
  },
});

Deno.test({
  name: "http kernel: --mount serves the kernel under a prefix, stripped from its uri",
  ignore: !hasCorpus,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serve(["--mount", "/guests"]);
    try {
      assert(s.url.endsWith("/guests/"), s.url);
      let r = await fetch(`${s.url}api/messages`);
      assertEquals((await r.json()).requests, 1);
      r = await fetch(new URL("/api/messages", s.url));
      assertEquals(r.status, 404);
      assert.match(await r.text(), /mounted at \/guests/);
    } finally {
      await s.stop();
    }
  },
});

Deno.test({
  name: "http kernel: a browser loads the page, signs the guestbook, and sees the message",
  ignore: !hasCorpus || !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serve();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(s.url);
      assertEquals(await page.title(), "Guestbook");
      assertEquals(await page.locator("#messages li").count(), 0);
      await page.fill("#msg", "Hello from Chromium & <friends>");
      await Promise.all([page.waitForURL(s.url), page.click("#sign")]);
      await page.waitForSelector("#messages li");
      assertEquals(await page.textContent("#messages li"), "Hello from Chromium & <friends>");
      await page.fill("#msg", "second");
      await Promise.all([page.waitForURL(s.url), page.click("#sign")]);
      await page.locator("#messages li:nth-child(2)").waitFor();
      const api = await (await fetch(`${s.url}api/messages`)).json();
      assertEquals(api.messages, ["Hello from Chromium & <friends>", "second"]);
    } finally {
      await browser.close();
      await s.stop();
    }
  },
});
