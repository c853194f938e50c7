/**
 * The response cache of kernels that serve HTTP (`%cache` / `%h-cache`): bounded by a byte
 * budget, least recently used evicted first, a response past the budget not cached (said
 * once in the log), and a cached answer served without a poke. A stand-in for the kernel
 * answers each request with `[%cache …]` and `[%res …]`, as a NockApp kernel does.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KernelHttp, ResponseCache } from "../src/drivers/http_kernel.ts";
import type { KernelRequest } from "../src/drivers/http_kernel.ts";
import { assertEquals } from "./_helpers.ts";

/** A front whose "kernel" caches each GET's answer: the body is `uri` repeated `size` times. */
function cachingFront(cacheBytes: number, bodyBytes: (uri: string) => number) {
  const poked: string[] = [];
  const logged: string[] = [];
  const front: KernelHttp = new KernelHttp(
    { cacheBytes },
    (request: KernelRequest) => {
      poked.push(request.uri);
      const body = new Uint8Array(bodyBytes(request.uri)).fill(0x61);
      const answer = { ok: true as const, id: request.id, status: 200, headers: [], body };
      front.take({
        tag: request.headers.some(([k]) => k === "hx-request") ? "h-cache" : "cache",
        parsed: answer,
      });
      front.take({ tag: "res", parsed: answer });
      return Promise.resolve({ ok: true });
    },
    (line) => logged.push(line),
  );
  const get = async (path: string, htmx = false): Promise<number> => {
    const response = await front.serve(
      new Request(`http://x${path}`, { headers: htmx ? { "hx-request": "true" } : {} }),
    );
    return (await response.bytes()).length;
  };
  return { front, poked, logged, get };
}

Deno.test("http kernel cache: a cached answer is served again without a poke", async () => {
  const { poked, get } = cachingFront(10_000, () => 100);
  assertEquals(await get("/a"), 100);
  assertEquals(await get("/a"), 100);
  assertEquals(await get("/a?q=1"), 100);
  assertEquals(poked, ["/a", "/a?q=1"]);
  // The htmx cache is its own: the same uri with HX-Request is poked once, then cached.
  await get("/a", true);
  await get("/a", true);
  assertEquals(poked, ["/a", "/a?q=1", "/a"]);
});

Deno.test("http kernel cache: past the budget the least recently used answer goes", async () => {
  // Each entry: 3 bytes of key ("p" + "/a") and 400 of body; three fit in 1,300 bytes.
  const { poked, get } = cachingFront(1_300, () => 400);
  for (const path of ["/a", "/b", "/c"]) await get(path);
  await get("/a"); // a hit: /a is now the most recently used, /b the least
  assertEquals(poked, ["/a", "/b", "/c"]);
  await get("/d"); // evicts /b
  await get("/a");
  await get("/c");
  await get("/d");
  assertEquals(poked, ["/a", "/b", "/c", "/d"]);
  await get("/b");
  assertEquals(poked, ["/a", "/b", "/c", "/d", "/b"]);
});

Deno.test("http kernel cache: an answer larger than the budget is not cached, said once", async () => {
  const { poked, logged, get } = cachingFront(1_000, (uri) => uri.startsWith("/big") ? 2_000 : 10);
  await get("/small");
  assertEquals(await get("/big1"), 2_000);
  assertEquals(await get("/big1"), 2_000);
  await get("/big2");
  await get("/small");
  assertEquals(poked, ["/small", "/big1", "/big1", "/big2"]);
  const told = logged.filter((line) => line.includes("larger than the whole cache"));
  assertEquals(told.length, 1);
  assert(told[0].includes("/big1") && told[0].includes("1000 bytes"), told[0]);
});

Deno.test("http kernel cache: a budget of 0 caches nothing", async () => {
  const { poked, get } = cachingFront(0, () => 1);
  await get("/a");
  await get("/a");
  assertEquals(poked, ["/a", "/a"]);
});

Deno.test("http kernel cache: the bytes held follow replacements and evictions", () => {
  const cache = new ResponseCache(100);
  const entry = (n: number, headers: [string, string][] = []) => ({
    status: 200,
    headers,
    body: new Uint8Array(n),
  });
  assert(cache.set("k1", entry(10, [["ab", "cde"]])));
  assertEquals(cache.bytes, 2 + 10 + 5);
  assert(cache.set("k1", entry(20)));
  assertEquals(cache.bytes, 22);
  assert(cache.set("k2", entry(70)));
  assertEquals([cache.size, cache.bytes], [2, 94]);
  assert(cache.set("k3", entry(10))); // 106 > 100: k1 goes
  assertEquals([cache.size, cache.bytes], [2, 84]);
  assertEquals(cache.get("k1"), undefined);
  assert(!cache.set("k4", entry(99)));
  assertEquals([cache.size, cache.bytes], [2, 84]);
});
