/**
 * The bounds of a batch of pokes the server's main thread sends its writer: JSON causes (a
 * kernel HTTP request's, a JSON `POST /poke`) count their size as jams do, so a flood of
 * large form posts goes in batches of at most 4 MiB, not in one unbounded batch.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Json } from "../mod.ts";
import { requestJson } from "../src/drivers/http_kernel.ts";
import type { PokeItem } from "../src/server/protocol.ts";
import { batchLength, jsonTextBytes } from "../src/server/writer_client.ts";
import { assertEquals } from "./_helpers.ts";

const limit = 4 * 2 ** 20;

function formPost(id: number, bodyBytes: number): PokeItem {
  const body = new Uint8Array(bodyBytes).fill(0x3d);
  const headers: [string, string][] = [["content-type", "application/x-www-form-urlencoded"]];
  const json = requestJson({ id: BigInt(id), uri: "/sign", method: "POST", headers, body });
  return { id, json, wireJson: ["http", 1, "req", 0], reply: "json" };
}

Deno.test("writer batch: a JSON cause's size is about its text's, never less", () => {
  const samples: Json[] = [
    0,
    "a",
    [1, "two", null, true],
    { hex: "0xff" },
    ["req", 1, "/", "GET", { list: [["a", "b"]] }, 0],
    requestJson({ id: 9n, uri: "/x?y", method: "POST", headers: [], body: new Uint8Array(99) }),
  ];
  for (const json of samples) {
    const text = JSON.stringify(json).length;
    const size = jsonTextBytes(json);
    assert(size >= text && size <= text + 16, `${JSON.stringify(json)}: ${size} for ${text}`);
  }
  // Deep nesting is walked without recursion.
  let deep: Json = 0;
  for (let i = 0; i < 100_000; i++) deep = [deep, 1];
  assertEquals(jsonTextBytes(deep), 100_000 * 5 + 1);
});

Deno.test("writer batch: a flood of large form posts goes in batches of at most 4 MiB", () => {
  // 256 KiB bodies: over 512 KiB of hex each, so 7 fit in 4 MiB; before JSON causes were
  // counted, all 100 went as one batch.
  const post = formPost(1, 256 * 1024);
  const flood = Array.from({ length: 100 }, (_, i) => ({ ...post, id: i + 1 }));
  const n = batchLength(flood);
  assertEquals(n, 7);
  const bytes = (items: PokeItem[]) => items.reduce((sum, p) => sum + jsonTextBytes(p.json!), 0);
  assert(bytes(flood.slice(0, n)) <= limit);
  assert(bytes(flood.slice(0, n + 1)) > limit);
  // A cause larger than the bound still goes, alone.
  assertEquals(batchLength([formPost(1, 3 * 2 ** 20), formPost(2, 10)]), 1);
  // Small pokes: the 256-poke bound.
  assertEquals(batchLength(Array.from({ length: 300 }, (_, i) => formPost(i + 1, 10))), 256);
  // Jams count their bytes as before.
  const jam = (id: number): PokeItem => ({ id, jam: new ArrayBuffer(2 ** 20), reply: "json" });
  assertEquals(batchLength([jam(1), jam(2), jam(3), jam(4), jam(5)]), 4);
});
