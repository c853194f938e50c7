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
import {
  checkGuestbookPages,
  checkHostAnswers,
  guestbookPath,
  signInBrowser,
} from "./_guestbook.ts";

handleCount();

const root = tempDir("cellar_http_kernel_test_");
const source = new URL("../examples/guestbook.hoon", import.meta.url);
const kernelPath = guestbookPath;

Deno.test({
  name: "http kernel: rebuilding examples/guestbook.hoon gives exactly examples/guestbook.jam",
  ignore: !hasCorpus,
  fn() {
    const committed = Deno.readFileSync(kernelPath);
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
      await checkGuestbookPages(s.url);
      await checkHostAnswers(s.url, s.stderr);
      // An unknown route (the kernel's 404), a body past the limit (413).
      let r = await fetch(`${s.url}nothing/here?x=1`);
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
      await signInBrowser(page, s.url, ["Hello from Chromium & <friends>", "second"]);
    } finally {
      await browser.close();
      await s.stop();
    }
  },
});
