/**
 * Hostile input, part 2: slow and many clients. Bodies that stall, drip or come in tiny
 * chunks; connections that never finish their headers; more requests at once than the
 * server takes; clients that vanish mid-request or never read their answer.
 *
 * Each case asserts its statuses, that the server still answers, that its memory stays
 * within `rssGrowthMaxMib` of its warmed-up baseline, and that the state is unchanged.
 *
 * Deno.serve runs no code before a request's headers are complete and keeps a socket open
 * while a read of its body waits (measured on Deno 2.9.8; see docs/RELIABILITY.md): the
 * cases below pin down what the server does about each.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun } from "../mod.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import {
  assertHealthy,
  get,
  headOf,
  hostileLimits,
  raw,
  rssMib,
  startHostile,
  stopHostile,
} from "./_hostile.ts";
import type { Hostile } from "./_hostile.ts";
import { auth } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

const encoder = new TextEncoder();

function pokeHead(s: ServerProcess, extra: string[]): string {
  return headOf(s, "POST /poke HTTP/1.1", ["Content-Type: application/json", ...extra]);
}

/** Open a connection and send `text`; the caller closes it. */
async function open(s: ServerProcess, text: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  await conn.write(encoder.encode(text));
  return conn;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

async function inFlight(h: Hostile): Promise<number> {
  const text = await (await get(h.server, "metrics")).text();
  return Number(/^cellar_http_requests_in_flight (\d+)$/m.exec(text)![1]) - 1;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until no request is in progress (pokes queued at the writer take their turn). */
async function drained(h: Hostile, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  while (await inFlight(h) > 0) {
    assert(performance.now() - started < timeoutMs, `${await inFlight(h)} still in progress`);
    await sleep(100);
  }
}

/** Write `count` one-byte chunks (`1\r\nx\r\n`) in batches, then the end. */
async function tinyChunks(conn: Deno.Conn, count: number): Promise<void> {
  const batch = encoder.encode("1\r\n1\r\n".repeat(500));
  for (let i = 0; i < count; i += 500) await conn.write(batch);
  await conn.write(encoder.encode("0\r\n\r\n"));
}

async function stalledBody(h: Hostile): Promise<void> {
  // Content-Length 100, 7 bytes sent: 408 after the idle limit.
  const a = await raw(h.server, pokeHead(h.server, ["Content-Length: 100"]) + '["put",', {
    waitMs: 3000,
  });
  assertEquals(a.status, 408, a.text);
  assert(a.text.includes('"RequestTimeout"') && a.text.includes("Content-Length says 100"));
  const idle = hostileLimits.bodyTimeoutMs;
  assert(a.ms >= idle - 50 && a.ms < idle + 1500, `408 after ${a.ms} ms`);
}

async function heldAfter408(h: Hostile): Promise<void> {
  // Deno.serve keeps the socket while the body's read waits: it counts until it is closed.
  const conn = await open(h.server, pokeHead(h.server, ["Content-Length: 100"]) + "[1,");
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  assert(new TextDecoder().decode(buf.subarray(0, n ?? 0)).startsWith("HTTP/1.1 408"));
  assertEquals(await inFlight(h), 1);
  conn.close();
  await sleep(100);
  assertEquals(await inFlight(h), 0);
}

async function slowDrip(h: Hostile): Promise<void> {
  // A byte every 150 ms is never idle for 400 ms, but passes the 2 s deadline.
  const a = await raw(h.server, pokeHead(h.server, ["Content-Length: 1000"]), {
    waitMs: 5000,
    body: async (conn) => {
      for (let i = 0; i < 30; i++) {
        await sleep(150);
        await conn.write(encoder.encode("1"));
      }
    },
  });
  assertEquals(a.status, 408, a.text);
  assert(a.text.includes("took longer than its deadline"), a.text);
  const deadline = hostileLimits.bodyDeadlineMs;
  assert(a.ms >= deadline - 50 && a.ms < deadline + 1500, `408 after ${a.ms} ms`);
}

async function fragmented(h: Hostile): Promise<void> {
  // 50,000 one-byte chunks: refused at read 1,025, memory flat.
  const a = await raw(h.server, pokeHead(h.server, ["Transfer-Encoding: chunked"]), {
    waitMs: 10_000,
    body: (conn) => tinyChunks(conn, 50_000),
  });
  assertEquals(a.status, 413, a.text);
  assert(a.text.includes('"BodyTooFragmented"'), a.text);
}

async function fragmentedTogether(h: Hostile): Promise<void> {
  const answers = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        raw(h.server, pokeHead(h.server, ["Transfer-Encoding: chunked"]), {
          waitMs: 15_000,
          body: (conn) => tinyChunks(conn, 20_000),
        }),
    ),
  );
  for (const a of answers) assertEquals(a.status, 413, a.text);
}

async function halfOpenHeaders(h: Hostile): Promise<void> {
  // 200 connections that never finish their headers, each dripping a header line: no code
  // of the server runs for them; other clients are served meanwhile.
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      conns.push(await open(h.server, "POST /poke HTTP/1.1\r\nHost: x\r\nX-Drip: "));
    }
    for (let round = 0; round < 3; round++) {
      for (const c of conns) await c.write(encoder.encode("a"));
      const r = await get(h.server, "peek/count");
      assertEquals(r.status, 200);
      await r.body?.cancel();
      await sleep(200);
    }
    await assertHealthy(h, "200 half-open header connections, still open");
  } finally {
    closeAll(conns);
  }
}

async function overTheCap(h: Hostile): Promise<void> {
  // As many stalled bodies as the cap: the next request gets 503 Busy; once they close,
  // requests are served again.
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < hostileLimits.maxConnections; i++) {
      conns.push(await open(h.server, pokeHead(h.server, ["Content-Length: 100"]) + "[1,"));
    }
    await sleep(hostileLimits.bodyTimeoutMs + 200);
    const busy = await get(h.server, "peek/count");
    assertEquals([busy.status, busy.headers.get("retry-after")], [503, "1"]);
    assertEquals((await busy.json()).error.code, "Busy");
  } finally {
    closeAll(conns);
  }
  await sleep(200);
  assertEquals(await inFlight(h), 0);
}

async function vanishing(h: Hostile): Promise<void> {
  // Clients that close mid-body, mid-headers, or right after sending a whole request (a
  // poke the kernel refuses, which still takes its turn at the writer).
  const texts: [string, number][] = [
    [pokeHead(h.server, ["Content-Length: 100"]) + '["put","gone"', 20],
    ["POST /poke HTTP/1.1\r\nHost: x\r\nContent-Le", 20],
    [pokeHead(h.server, ["Content-Length: 5"]) + "[1,2]", 5],
  ];
  for (const [text, times] of texts) {
    for (let i = 0; i < times; i++) (await open(h.server, text)).close();
  }
  await drained(h);
}

async function neverReads(h: Hostile): Promise<void> {
  // 20 clients ask for a 200 KB value and read none of it.
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      conns.push(await open(h.server, headOf(h.server, "GET /peek/get/big?format=jam HTTP/1.1")));
    }
    await sleep(300);
    const r = await get(h.server, "peek/get/big?format=jam");
    assertEquals(r.status, 200);
    assert((await r.arrayBuffer()).byteLength > 200_000);
  } finally {
    closeAll(conns);
  }
}

async function manyConnections(h: Hostile): Promise<void> {
  // 480 connections, each one request, 40 at a time (under the cap of 48).
  for (let i = 0; i < 12; i++) {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => raw(h.server, headOf(h.server, "GET /peek/count HTTP/1.1"))),
    );
    for (const a of answers) assertEquals(a.status, 200);
  }
}

/** The cases, in order: each is followed by the health, memory and state checks. */
const cases: [string, (h: Hostile) => Promise<void>][] = [
  ["a stalled body gets 408 at the idle limit", stalledBody],
  ["after the 408 the connection counts until the client closes it", heldAfter408],
  ["a slow drip gets 408 at the body's deadline", slowDrip],
  ["50,000 one-byte chunks get 413", fragmented],
  ["4 connections of 20,000 one-byte chunks each get 413", fragmentedTogether],
  ["200 connections that never finish their headers", halfOpenHeaders],
  ["past the cap of requests in progress, 503 Busy", overTheCap],
  ["clients that vanish mid-request", vanishing],
  ["clients that never read their answer", neverReads],
  ["480 connections, 40 at a time", manyConnections],
];

async function setup(server: ServerProcess): Promise<void> {
  using cause = Noun.from([
    "put",
    "big",
    Noun.atom(new Uint8Array(200_000).map((_, i) => (i * 7919) % 251 + 1)),
  ]);
  const r = await fetch(`${server.url}poke`, {
    method: "POST",
    headers: { ...auth(server.token), "content-type": "application/x-jam" },
    body: cause.jam() as Uint8Array<ArrayBuffer>,
  });
  assertEquals(r.status, 200, await r.text());
}

kernelTest("hostile slow: stalls, drips, tiny chunks, half-open and many connections", async () => {
  const h = await startHostile(setup);
  try {
    for (const [name, run] of cases) {
      await run(h);
      await assertHealthy(h, name);
    }
    const internal = h.server.lines.filter((l) => l.includes("internal error"));
    assertEquals(internal, []);
    console.log(
      `hostile slow: RSS baseline ${h.baselineMib.toFixed(0)} MiB, peak ${
        h.peakMib.toFixed(0)
      } MiB, now ${(await rssMib(h.server)).toFixed(0)} MiB`,
    );
  } finally {
    await stopHostile(h);
  }
});
