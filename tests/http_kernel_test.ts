/**
 * Kernels that serve HTTP: `cellar run --http-kernel` with the example guestbook kernel
 * (examples/guestbook.hoon, standalone, committed with its build examples/guestbook.jam),
 * as a real process answered over HTTP and driven by a real browser; the request's cause in
 * its two forms (a noun for the driver, a JSON noun for the server's writer). Only the
 * rebuild of the jam needs ../shared/corpus (the ivory pill).
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount, Noun, nounFromJson } from "../mod.ts";
import { requestJson, requestNoun } from "../src/drivers/http_kernel.ts";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { hasCorpus, readCorpus } from "./_helpers.ts";
import { assertEquals } from "./_helpers.ts";
import { spawnCellar, tempDir } from "./_nockapp_helpers.ts";
import { freePort } from "./_server_helpers.ts";

handleCount();

const root = tempDir("cellar_http_kernel_test_");
const source = new URL("../examples/guestbook.hoon", import.meta.url);
const kernelUrl = new URL("../examples/guestbook.jam", import.meta.url);
const kernelPath = decodeURIComponent(kernelUrl.pathname);

Deno.test({
  name: "http kernel: rebuilding examples/guestbook.hoon gives exactly examples/guestbook.jam",
  ignore: !hasCorpus,
  fn() {
    const committed = Deno.readFileSync(kernelUrl);
    const rebuilt = buildKernel(readCorpus("pills/ivory.pill"), Deno.readTextFileSync(source));
    assertEquals(rebuilt.length, committed.length);
    assert(rebuilt.every((byte, i) => byte === committed[i]), "the bytes differ");
  },
});

Deno.test("http kernel: a request's cause is the same noun from its noun and JSON forms", () => {
  const body = new Uint8Array([0, 0xff, 0x10, 0x80, 0, 0]); // leading and trailing zeros
  for (const b of [body, new Uint8Array([0]), null]) {
    const request = {
      id: 7n,
      uri: "/a?b=c",
      method: "POST",
      headers: [["content-type", "text/plain"], ["x-é", "ü"]] as [string, string][],
      body: b,
    };
    using direct = Noun.from(requestNoun(request));
    using viaJson = nounFromJson(requestJson(request));
    assert(direct.equals(viaJson), `body ${b}`);
  }
  using none = nounFromJson(
    requestJson({ id: 1n, uri: "/", method: "GET", headers: [], body: null }),
  );
  using expected = Noun.from(["req", 1, "/", "GET", 0, 0]);
  assert(none.equals(expected));
});

/** A `cellar run --http-kernel` process, its base URL and its stderr so far. */
interface Serving {
  url: string;
  stderr: () => string;
  stop(): Promise<number>;
}

async function serve(extra: string[] = []): Promise<Serving> {
  const port = freePort();
  const child = spawnCellar(
    ["run", kernelPath, "--http-kernel", "--port", String(port), ...extra],
    { read: [root, kernelPath], write: [root], net: `127.0.0.1:${port}`, tmpdir: root },
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
  ignore: !hasChromium,
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
