/**
 * The header timeout (`src/server/http_front.ts`): a real server subprocess behind its front,
 * over real sockets. Heads that drip, on a first or a later request of a connection, get 408
 * within the deadline; idle connections close; heads too large get 431; and whatever framing
 * a client uses (keep-alive, pipelining, chunked and large bodies, HEAD, 100-continue,
 * h2c, event streams) still works through the front. 1,000 dripping connections at once
 * cost the server a bounded amount of memory and are all closed by the deadline, and the
 * state's mug is unchanged throughout.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ChunkedScanner, headEnd, requestFraming } from "../src/server/http_front.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import { assertHealthy, headOf, rssMib, stateMug } from "./_hostile.ts";
import type { Hostile } from "./_hostile.ts";
import {
  auth,
  freePort,
  runServerCommand,
  serverFlags,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

/** The header timeout the server runs with here. */
const headerTimeoutMs = 1000;
/** What a deadline may take beyond itself on a shared, loaded machine. */
const slackMs = 1500;
/** Memory 1,000 dripping connections may cost the server (each holds a 4 KiB buffer). */
const dripMemoryMib = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(s: ServerProcess): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port: s.port });
}

/** Read until `done(text)` holds, the server closes, or `waitMs` passes. */
async function readUntil(
  conn: Deno.Conn,
  done: (text: string) => boolean,
  waitMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  const deadline = performance.now() + waitMs;
  const buf = new Uint8Array(65536);
  let text = "";
  while (!done(text)) {
    const left = deadline - performance.now();
    if (left <= 0) return { text, closed: false };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left)));
    const n = await Promise.race([conn.read(buf).catch(() => null), timeout]);
    clearTimeout(timer);
    if (n === "timeout") return { text, closed: false };
    if (n === null) return { text, closed: true };
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  return { text, closed: false };
}

/** Answers (status lines) in `text`. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Drip `text` one byte every `everyMs` until the connection fails; the drip's stop. */
function drip(conn: Deno.Conn, text: string, everyMs: number): () => void {
  let stopped = false;
  (async () => {
    for (let i = 0; !stopped; i = (i + 1) % text.length) {
      await sleep(everyMs);
      if (stopped) break;
      try {
        await conn.write(encoder.encode(text[i]));
      } catch {
        break;
      }
    }
  })();
  return () => (stopped = true);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* closed */ }
}

async function drippingHead(h: Hostile): Promise<void> {
  const conn = await connect(h.server);
  const started = performance.now();
  await conn.write(encoder.encode("GET /peek/count HTTP/1.1\r\nHost: x\r\nX-Drip: "));
  const stop = drip(conn, "abcdef", 100);
  try {
    const { text, closed } = await readUntil(conn, () => false, headerTimeoutMs + slackMs + 2000);
    const ms = performance.now() - started;
    assertEquals(statuses(text), [408], text);
    assert(text.includes('"RequestTimeout"') && text.includes("connection: close"), text);
    assert(closed, "the connection stays open after the 408");
    assert(ms >= headerTimeoutMs - 50 && ms < headerTimeoutMs + slackMs, `closed after ${ms} ms`);
  } finally {
    stop();
    closeQuietly(conn);
  }
}

async function drippingSecondHead(h: Hostile): Promise<void> {
  const conn = await connect(h.server);
  try {
    await conn.write(encoder.encode(headOf(h.server, "GET /peek/count HTTP/1.1")));
    const first = await readUntil(conn, (t) => t.endsWith("}\n") || t.endsWith("}"));
    assertEquals(statuses(first.text), [200], first.text);
    const started = performance.now();
    await conn.write(encoder.encode("GET /peek/count HTTP/1.1\r\nHost: x\r\n"));
    const stop = drip(conn, "X-Slow: 1\r\n", 100);
    const second = await readUntil(conn, () => false, headerTimeoutMs + slackMs + 2000);
    stop();
    const ms = performance.now() - started;
    assertEquals(statuses(second.text), [408], second.text);
    assert(second.closed, "the keep-alive connection stays open after the 408");
    assert(ms < headerTimeoutMs + slackMs, `closed after ${ms} ms`);
  } finally {
    closeQuietly(conn);
  }
}

async function idleConnections(h: Hostile): Promise<void> {
  // A connection that sends nothing, and one idle after its answer: closed without a word.
  const silent = await connect(h.server);
  const kept = await connect(h.server);
  try {
    await kept.write(encoder.encode(headOf(h.server, "GET /peek/count HTTP/1.1")));
    const started = performance.now();
    const [a, b] = await Promise.all([
      readUntil(silent, () => false, headerTimeoutMs + slackMs + 2000),
      readUntil(kept, () => false, headerTimeoutMs + slackMs + 2000),
    ]);
    const ms = performance.now() - started;
    assertEquals([a.text, a.closed], ["", true]);
    assertEquals([statuses(b.text), b.closed], [[200], true], b.text);
    assert(ms < headerTimeoutMs + slackMs, `closed after ${ms} ms`);
  } finally {
    closeQuietly(silent);
    closeQuietly(kept);
  }
}

async function headTooLarge(h: Hostile): Promise<void> {
  const conn = await connect(h.server);
  try {
    const big = `GET /peek/count HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}`;
    conn.write(encoder.encode(big)).catch(() => {});
    const { text, closed } = await readUntil(conn, () => false, 5000);
    assertEquals(statuses(text), [431], text);
    assert(text.includes('"HeadersTooLarge"') && closed, text);
  } finally {
    closeQuietly(conn);
  }
}

function poke(s: ServerProcess, json: string, extra: string[] = []): string {
  return headOf(s, "POST /poke HTTP/1.1", [
    "Content-Type: application/json",
    `Content-Length: ${encoder.encode(json).length}`,
    ...extra,
  ]) + json;
}

async function pipelined(h: Hostile): Promise<void> {
  // Five requests in one write, a refused poke (a bad cause) among them; then HEAD, whose
  // answer has a Content-Length and no body, and a request after it on the same connection.
  const s = h.server;
  const conn = await connect(s);
  try {
    const text = headOf(s, "GET /peek/count HTTP/1.1") + poke(s, '["nope"]') +
      headOf(s, "HEAD /status HTTP/1.1") + headOf(s, "GET /peek/count HTTP/1.1") +
      headOf(s, "GET /health HTTP/1.1");
    await conn.write(encoder.encode(text));
    const answer = await readUntil(conn, (t) => statuses(t).length === 5 && t.endsWith("\n"));
    const got = statuses(answer.text);
    assertEquals([got[0], got[2], got[3], got[4]], [200, 200, 200, 200], answer.text);
    assert(got[1] >= 400 && got[1] < 500, answer.text);
  } finally {
    closeQuietly(conn);
  }
}

async function chunkedAndLarge(h: Hostile): Promise<void> {
  // A chunked body in pieces (with an extension and a trailer), then a body near the limit,
  // then one over it, on one connection; 100-continue on another. The kernel refuses each
  // cause (the state must not change), after reading all of it.
  const s = h.server;
  const conn = await connect(s);
  try {
    const head = headOf(s, "POST /poke HTTP/1.1", [
      "Content-Type: application/json",
      "Transfer-Encoding: chunked",
    ]);
    await conn.write(encoder.encode(head + '3;x=1\r\n["n'));
    await sleep(50);
    await conn.write(encoder.encode('\r\n5\r\nope"]\r\n0\r\nX-Trailer: 1\r\n\r\n'));
    const near = `["nope","${"a".repeat(200_000)}"]`;
    await conn.write(encoder.encode(poke(s, near)));
    const over = `["nope","${"a".repeat(300_000)}"]`;
    await conn.write(encoder.encode(poke(s, over))).catch(() => {});
    const answer = await readUntil(conn, (t) => statuses(t).length === 3, 10_000);
    const got = statuses(answer.text);
    assert(got[0] >= 400 && got[0] < 500 && got[0] !== 408, answer.text);
    assert(got[1] >= 400 && got[1] < 500 && got[1] !== 413, answer.text);
    assertEquals(got[2], 413, answer.text);
  } finally {
    closeQuietly(conn);
  }
  const expecting = await connect(s);
  try {
    const head = headOf(s, "POST /poke HTTP/1.1", [
      "Content-Type: application/json",
      "Content-Length: 8",
      "Expect: 100-continue",
    ]);
    await expecting.write(encoder.encode(head));
    const cont = await readUntil(expecting, (t) => t.includes("\r\n\r\n"));
    assertEquals(statuses(cont.text), [100], cont.text);
    await expecting.write(encoder.encode('["nope"]'));
    const answer = await readUntil(expecting, (t) => statuses(t).length === 1);
    assertEquals(statuses(answer.text), [400], answer.text);
  } finally {
    closeQuietly(expecting);
  }
}

async function fetchesAndStreams(h: Hostile): Promise<void> {
  // Many fetches over pooled keep-alive connections, a 200 KB answer, an event stream that
  // carries a poke's effects, and h2c with prior knowledge (curl, when installed).
  const s = h.server;
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${s.url}peek/count`, { headers: auth(s.token) })),
    );
    for (const r of answers) assertEquals((await r.json()).value, 2);
  }
  const big = await fetch(`${s.url}peek/get/big?format=jam`, { headers: auth(s.token) });
  assertEquals(big.status, 200);
  assert((await big.arrayBuffer()).byteLength > 200_000);
  const events = await fetch(`${s.url}effects`, { headers: auth(s.token) });
  assertEquals(events.status, 200);
  const reader = events.body!.getReader();
  const refused = await fetch(`${s.url}poke`, {
    method: "POST",
    headers: { ...auth(s.token), "content-type": "application/json" },
    body: '["nope"]',
  });
  await refused.body?.cancel();
  const first = await reader.read(); // the stream opens with a comment or an event
  assert(!first.done && first.value.length > 0);
  await reader.cancel();
  const curl = await new Deno.Command("curl", {
    args: [
      "-s",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${s.token}`,
      `${s.url}peek/count`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (curl === null) console.warn("curl is not installed: the h2c check is skipped");
  else assertEquals(JSON.parse(decoder.decode(curl.stdout)).value, 2);
}

async function thousandDrips(h: Hostile): Promise<void> {
  // 1,000 connections drip their heads at once: the server still answers meanwhile, its
  // memory grows by less than the bound, and the deadline closes every one of them.
  const before = await rssMib(h.server);
  const conns: Deno.TcpConn[] = [];
  const stops: (() => void)[] = [];
  try {
    for (let i = 0; i < 1000; i++) {
      const conn = await connect(h.server);
      await conn.write(encoder.encode("POST /poke HTTP/1.1\r\nHost: x\r\nX-Drip: "));
      conns.push(conn);
    }
    for (const conn of conns) stops.push(drip(conn, "ab", 200));
    const r = await fetch(`${h.server.url}peek/count`, { headers: auth(h.server.token) });
    assertEquals(r.status, 200);
    await r.body?.cancel();
    const during = await rssMib(h.server);
    assert(during - before < dripMemoryMib, `1,000 drips took RSS from ${before} to ${during} MiB`);
    const ends = await Promise.all(
      conns.map((c) => readUntil(c, () => false, headerTimeoutMs + slackMs + 5000)),
    );
    const closed = ends.filter((e) => e.closed && statuses(e.text)[0] === 408).length;
    assertEquals(closed, 1000);
    console.log(
      `1,000 drips: RSS ${before.toFixed(0)} MiB before, ${during.toFixed(0)} MiB during`,
    );
  } finally {
    for (const stop of stops) stop();
    for (const conn of conns) closeQuietly(conn);
  }
}

/** A second server on the same data directory fails and leaves the first one's socket be. */
async function secondServer(first: ServerProcess): Promise<void> {
  const port = freePort();
  const second = await runServerCommand(serverFlags(first.dataDir, port), [
    "--data",
    first.dataDir,
    "--port",
    String(port),
  ]);
  assertEquals(second.code, 1, second.output);
  assert(second.output.includes("another server answers on"), second.output);
  const r = await fetch(`${first.url}peek/count`, { headers: auth(first.token) });
  assertEquals(r.status, 200);
  await r.body?.cancel();
}

const cases: [string, (h: Hostile) => Promise<void>][] = [
  ["a dripping head gets 408 at the deadline", drippingHead],
  ["a dripping second head on a keep-alive connection gets 408", drippingSecondHead],
  ["idle connections are closed at the deadline", idleConnections],
  ["a head over 64 KiB gets 431", headTooLarge],
  ["pipelined requests, HEAD among them", pipelined],
  ["chunked, large and 100-continue bodies", chunkedAndLarge],
  ["fetches, a large answer, an event stream, h2c", fetchesAndStreams],
  ["1,000 dripping connections at once", thousandDrips],
];

kernelTest("http front: header timeout, and every framing still works through it", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-front-" });
  const server = await startServerProcess(dataDir, {
    args: [`--header-timeout-ms=${headerTimeoutMs}`, "--body-limit=262144"],
  });
  try {
    for (const cause of [["put", "big", "x".repeat(200_000)], ["put", "a", 1]]) {
      const r = await fetch(`${server.url}poke`, {
        method: "POST",
        headers: { ...auth(server.token), "content-type": "application/json" },
        body: JSON.stringify(cause),
      });
      assertEquals(r.status, 200, await r.text());
    }
    const h: Hostile = {
      server,
      baselineMib: await rssMib(server),
      mug: stateMug(dataDir),
      peakMib: 0,
    };
    for (const [name, run] of cases) {
      await run(h);
      await assertHealthy(h, name);
    }
    const internal = server.lines.filter((l) => l.includes("internal error"));
    assertEquals(internal, []);
    await secondServer(server);
  } finally {
    const status = await stopServer(server);
    Deno.removeSync(dataDir, { recursive: true });
    assertEquals(status.code, 0, server.lines.join("\n"));
  }
});

kernelTest("http front: --header-timeout-ms 0 serves without a front, as before", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-front-off-" });
  const server = await startServerProcess(dataDir, { args: ["--header-timeout-ms=0"] });
  try {
    const r = await fetch(`${server.url}peek/count`, { headers: auth(server.token) });
    assertEquals(r.status, 200);
    await r.body?.cancel();
    assert.throws(() => Deno.lstatSync(`${dataDir}/run/http.sock`), Deno.errors.NotFound);
    // A head that drips is not timed out (Deno.serve's own behaviour).
    const conn = await connect(server);
    await conn.write(encoder.encode("GET /peek/count HTTP/1.1\r\nHost: x\r\nX-Drip: "));
    const stop = drip(conn, "ab", 100);
    const { text, closed } = await readUntil(conn, () => false, 1500);
    stop();
    closeQuietly(conn);
    assertEquals([text, closed], ["", false]);
  } finally {
    const status = await stopServer(server);
    Deno.removeSync(dataDir, { recursive: true });
    assertEquals(status.code, 0, server.lines.join("\n"));
  }
});

Deno.test("http front: heads, request framing and chunked bodies are found as Deno.serve does", () => {
  const bytes = (text: string) => encoder.encode(text);
  const h = bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\nrest");
  assertEquals(headEnd(h, 0, h.length), h.length - 4);
  assertEquals(headEnd(h, 0, h.length - 5), -1);
  const lfOnly = bytes("GET / HTTP/1.1\nHost: x\n\nrest");
  assertEquals(headEnd(lfOnly, 0, lfOnly.length), lfOnly.length - 4);
  const framings: [string, unknown][] = [
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", { isHead: false, body: 0 }],
    ["HEAD / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", { isHead: true, body: 5 }],
    ["POST / HTTP/1.1\r\ncontent-LENGTH:  12 \r\n\r\n", { isHead: false, body: 12 }],
    ["POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", {
      isHead: false,
      body: "raw",
    }],
    ["POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", { isHead: false, body: "raw" }],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", {
      isHead: false,
      body: "chunked",
    }],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", { isHead: false, body: "raw" }],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", {
      isHead: false,
      body: "raw",
    }],
    ["PRI * HTTP/2.0\r\n\r\n", { isHead: false, body: "raw" }],
    ["POST / HTTP/1.1\r\nX-Content-Length: 9\r\n\r\n", { isHead: false, body: 0 }],
  ];
  for (const [head, want] of framings) assertEquals(requestFraming(bytes(head)), want, head);
  // A chunked body with an extension and a trailer, fed whole and then one byte at a time.
  const body = bytes("3;x=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\nNEXT");
  const end = body.length - 4;
  assertEquals(new ChunkedScanner().scan(body, 0, body.length), end);
  const scanner = new ChunkedScanner();
  let found = -1;
  for (let i = 0; i < body.length && found === -1; i++) found = scanner.scan(body, i, i + 1);
  assertEquals(found, end);
  for (const bad of ["3\nabc\n0\n\n", "x\r\n", "3\r\nabcd\r\n", "ffffffffffffff\r\n"]) {
    assertEquals(new ChunkedScanner().scan(bytes(bad), 0, bad.length), -2, bad);
  }
});
