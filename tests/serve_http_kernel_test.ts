/**
 * `cellar serve --http-kernel`: the server (writer and peek Workers) with the example guestbook
 * kernel (examples/guestbook.jam, committed) owning the URL space, as a real process: kernel
 * routes answered from committed `%res` effects with the host's own errors, Cellar's API under
 * `/_cellar/` with its auth, `--kernel-routes token` and `--mount`, state kept across a
 * restart, and a real browser signing the guestbook.
 *
 * @module
 */

import assert from "node:assert/strict";
import { TokenStore } from "../src/server/tokens.ts";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { assertEquals } from "./_helpers.ts";
import { tempDir } from "./_nockapp_helpers.ts";
import { auth, freePort, serverFlags, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";
import {
  checkGuestbookPages,
  checkHostAnswers,
  guestbookPath,
  signInBrowser,
} from "./_guestbook.ts";

const root = tempDir("cellar_serve_http_kernel_test_");
const kernelPath = guestbookPath;
let dirs = 0;

/** A server of the guestbook with `args`, ready (its API polled under /_cellar/). */
async function serveGuestbook(args: string[], dir?: string): Promise<ServerProcess> {
  dir ??= `${root}/data${++dirs}`;
  const port = freePort();
  const server = await startServerProcess(dir, {
    args: ["--kernel", kernelPath, "--http-kernel", ...args],
    flags: serverFlags(dir, port, [kernelPath]),
    port,
    waitReady: false,
  });
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${server.url}_cellar/status`, { headers: auth(server.token) });
    const body = await r.json();
    if (body.phase === "ready") return server;
    if (body.phase === "failed") throw new Error(`The server failed:\n${server.lines.join("\n")}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`The server did not become ready:\n${server.lines.join("\n")}`);
}

async function text(r: Response): Promise<string> {
  return await r.text();
}

/** The kernel's routes and the host's answers where the kernel cannot answer. */
async function checkKernelRoutes(s: ServerProcess): Promise<void> {
  await checkGuestbookPages(s.url);
  await checkHostAnswers(s.url, () => s.lines.join("\n"));
  // Cellar's paths without the prefix are the kernel's: its 404.
  let r = await fetch(`${s.url}status`);
  assertEquals([r.status, await text(r)], [404, "not found"]);
  r = await fetch(`${s.url}sign`, { method: "POST", body: new Uint8Array(4097) });
  assertEquals(r.status, 413);
  await r.body?.cancel();
}

/** Cellar's API under /_cellar/, with its auth. */
async function checkApi(s: ServerProcess): Promise<void> {
  const api = `${s.url}_cellar/`;
  let r = await fetch(`${api}status`);
  assertEquals(r.status, 401);
  await r.body?.cancel();
  r = await fetch(`${api}status`, { headers: auth(s.token) });
  assertEquals((await r.json()).phase, "ready");
  r = await fetch(`${s.url}_cellar`, { redirect: "manual" });
  assertEquals([r.status, r.headers.get("location")], [308, "/_cellar/"]);
  r = await fetch(api);
  assert.match(await text(r), /<title>[^<]*Cellar/i);
  // Every request the kernel answered or left unanswered is an event; the crash is not.
  r = await fetch(`${api}peek/requests`, { headers: auth(s.token) });
  assertEquals((await r.json()).value, 8);
  // A poke through the API reaches the same kernel (an answer nobody waits for is ignored).
  r = await fetch(`${api}poke`, {
    method: "POST",
    headers: { ...auth(s.token), "content-type": "application/json" },
    body: JSON.stringify(["req", 999, "/api/messages", "GET", 0, 0]),
  });
  assertEquals(r.status, 200);
  const poked = await r.json();
  assertEquals([poked.effects[0][0], poked.effects[0][1]], ["res", 999]);
  r = await fetch(`${s.url}api/messages`);
  assertEquals((await r.json()).requests, 10);
  r = await fetch(`${api}metrics`, { headers: auth(s.token) });
  assert.match(await text(r), /cellar_http_requests_total\{code="504"\} 1/);
}

Deno.test({
  name: "serve --http-kernel: kernel routes answered from %res, Cellar's API under /_cellar/",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = `${root}/restart`;
    let s = await serveGuestbook(["--http-timeout-ms", "3000", "--body-limit", "4096"], dir);
    try {
      await checkKernelRoutes(s);
      await checkApi(s);
    } finally {
      assertEquals((await stopServer(s)).code, 0, s.lines.join("\n"));
    }
    // The kernel's state is the log's: a restart keeps the messages.
    s = await serveGuestbook([], dir);
    try {
      const r = await fetch(`${s.url}api/messages`);
      assertEquals((await r.json()).messages, ["from fetch <script>"]);
    } finally {
      assertEquals((await stopServer(s)).code, 0, s.lines.join("\n"));
    }
  },
});

Deno.test({
  name: "serve --http-kernel: --kernel-routes token needs a poke token; --mount a prefix; no cache",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serveGuestbook([
      "--kernel-routes",
      "token",
      "--mount",
      "/gb",
      "--http-cache-mib",
      "0",
    ]);
    try {
      const tokens = TokenStore.open(s.dataDir);
      const poker = tokens.create(["poke"]).token;
      const peeker = tokens.create(["peek"]).token;
      let r = await fetch(`${s.url}gb/api/messages`);
      assertEquals(r.status, 401);
      await r.body?.cancel();
      r = await fetch(`${s.url}gb/api/messages`, { headers: auth(peeker) });
      assertEquals(r.status, 403);
      await r.body?.cancel();
      r = await fetch(`${s.url}gb/api/messages`, { headers: auth(poker) });
      assertEquals((await r.json()).requests, 1);
      r = await fetch(`${s.url}gb`, { headers: auth(poker) });
      assert.match(await text(r), /<h1>Guestbook/);
      // Outside the mount: neither the kernel's nor the API's.
      r = await fetch(`${s.url}api/messages`, { headers: auth(poker) });
      assertEquals(r.status, 404);
      assert.match(await text(r), /mounted at \/gb/);
      // The API's scopes are its own: a poke token does not read the status.
      r = await fetch(`${s.url}_cellar/peek/requests`, { headers: auth(peeker) });
      assertEquals((await r.json()).value, 2);
      r = await fetch(`${s.url}_cellar/status`, { headers: auth(poker) });
      assertEquals(r.status, 403);
      await r.body?.cancel();
      // --http-cache-mib 0: the %cache of /about keeps nothing, so each GET is a poke.
      for (let i = 0; i < 2; i++) {
        r = await fetch(`${s.url}gb/about`, { headers: auth(poker) });
        assert.match(await text(r), /A Cellar guestbook/);
      }
      r = await fetch(`${s.url}_cellar/peek/requests`, { headers: auth(peeker) });
      assertEquals((await r.json()).value, 4);
    } finally {
      await stopServer(s);
    }
  },
});

Deno.test({
  name: "serve --http-kernel: flags that need --http-kernel, and bad mounts, are refused",
  async fn() {
    const { parseServeArgs, UsageError } = await import("../src/server/main.ts");
    const plain = parseServeArgs(["--http-kernel"]);
    assert(plain.kind === "serve");
    assertEquals(plain.options.httpKernel, {
      mount: "",
      routes: "public",
      timeoutMs: undefined,
      cacheBytes: undefined,
    });
    const cached = parseServeArgs(["--http-kernel", "--http-cache-mib", "3"]);
    assert(cached.kind === "serve");
    assertEquals(cached.options.httpKernel?.cacheBytes, 3 * 1024 * 1024);
    for (
      const [args, message] of [
        [["--mount", "/a"], /--mount applies to --http-kernel only/],
        [["--http-kernel", "--mount", "/_cellar"], /Cellar's API/],
        [["--http-kernel", "--mount", "a b"], /not a path/],
        [["--http-kernel", "--kernel-routes", "open"], /neither public nor token/],
        [["--http-cache-mib", "1"], /--http-cache-mib applies to --http-kernel only/],
        [["--http-kernel", "--http-cache-mib", "1.5"], /Bad --http-cache-mib/],
      ] as const
    ) {
      assert.throws(() => parseServeArgs([...args]), (e) => {
        assert(e instanceof UsageError);
        assert.match(e.message, message);
        return true;
      });
    }
  },
});

Deno.test({
  name: "serve --http-kernel: a browser loads the page and signs the guestbook",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serveGuestbook([]);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signInBrowser(page, s.url, ["Served by cellar serve & <friends>"]);
      // The status page works under /_cellar/: it polls /_cellar/status with the token.
      await page.goto(`${s.url}_cellar/#token=${encodeURIComponent(s.token)}`);
      assertEquals(await page.title(), "Cellar status");
      const status = await fetch(`${s.url}_cellar/status`, { headers: auth(s.token) });
      const event = String((await status.json()).eventNumber);
      await page.locator("#event-number", { hasText: new RegExp(`^${event}$`) }).waitFor();
      assert.match((await page.textContent("#health")) ?? "", /^(healthy|nearly-full|growing)$/);
    } finally {
      await browser.close();
      await stopServer(s);
    }
  },
});
