/**
 * The server's route handlers (`src/server/routes.ts`) with a fake backend in place of the
 * writer and peek Workers: routing, auth, limits, malformed requests, poke and peek round
 * trips, errors from the runtime, the 503s of each phase, and the shape of /status and
 * /metrics. No Worker, no native library, no socket.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { BootReport, RuntimeStatus } from "../src/runtime/runtime.ts";
import { TokenAuthorizer } from "../src/server/auth.ts";
import { hostTarget } from "../src/core/library.ts";
import { manifest } from "../src/core/_libs.ts";
import {
  Observability,
  peekOutcomes,
  pokeOutcomes,
  zigVersion,
} from "../src/server/observability.ts";
import type {
  NounFormat,
  PeekAnswer,
  PokeAnswer,
  PokeCall,
  WriterStatus,
} from "../src/server/protocol.ts";
import { serveRequest } from "../src/server/routes.ts";
import type { Backend, RouteContext } from "../src/server/routes.ts";
import { TokenStore } from "../src/server/tokens.ts";
import { assertEquals } from "./_helpers.ts";

/** A backend that records each call and answers with what the test queued. */
class FakeBackend implements Backend {
  pokes: PokeCall[] = [];
  peeks: { path: string[]; reply: NounFormat }[] = [];
  pokeAnswer: (call: PokeCall, id: number) => PokeAnswer = (_call, id) => ({
    type: "poked",
    id,
    eventNumber: BigInt(id),
    effectsJson: [["put", "k"], 0],
    computeMs: 1.25,
    commitMs: 0.5,
  });
  peekAnswer: ((path: string[], id: number) => PeekAnswer) | null = (_path, id) => ({
    type: "peeked",
    id,
    eventNumber: 7n,
    kind: "value",
    valueJson: "hello",
  });

  poke(call: PokeCall): Promise<PokeAnswer> {
    this.pokes.push(call);
    return Promise.resolve(this.pokeAnswer(call, this.pokes.length));
  }

  peek(path: string[], reply: NounFormat): Promise<PeekAnswer> | null {
    this.peeks.push({ path, reply });
    return this.peekAnswer === null
      ? null
      : Promise.resolve(this.peekAnswer(path, this.peeks.length));
  }
}

const limits = {
  bodyBytes: 64,
  pokeTimeoutMs: 100,
  peekTimeoutMs: 100,
  bodyTimeoutMs: 200,
  bodyDeadlineMs: 1000,
  maxConnections: 8,
};

const boot: BootReport = {
  level: 1,
  name: "pma",
  detail: "Opened the PMA",
  skipped: [],
  eventNumber: 6n,
  replayed: 0,
  replayMs: 0,
  bootMs: 12.6,
  warnings: [],
};

function writerStatus(eventNumber: bigint): WriterStatus {
  const status = {
    eventNumber,
    kernelHash: "ab".repeat(32),
    pma: {
      capacityBytes: 4096,
      usedBytes: 1024,
      liveBytesAfterGc: 0,
      growthCount: 0,
      freeBytes: 3072,
      reserveBytes: 1 << 20,
    },
    logBytes: 99,
    snapshots: [{ name: "s1", kind: "rotating", eventNumber: 5n, bytes: 10, ageMs: 1500 }],
  } as unknown as RuntimeStatus;
  return { status, at: Date.now() };
}

interface Harness {
  context: RouteContext;
  backend: FakeBackend;
  observability: Observability;
  logs: string[];
  admin: string;
  peeker: string;
  poker: string;
  dataDir: string;
}

/** A route context over a fake backend, real token auth in a temporary directory. */
function harness(phase: "recovering" | "ready" = "ready"): Harness {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-routes-" });
  const tokens = TokenStore.open(dataDir);
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const backend = new FakeBackend();
  const observability = new Observability({ dataDir, limits });
  if (phase === "ready") {
    observability.booted(boot, writerStatus(6n));
    assertEquals(observability.markReady(), boot);
  }
  return {
    context: { backend, observability, auth: new TokenAuthorizer(tokens, log), log },
    backend,
    observability,
    logs,
    admin: tokens.create(["admin"], "admin").token,
    peeker: tokens.create(["peek"], "reader").token,
    poker: tokens.create(["poke"], "writer").token,
    dataDir,
  };
}

function withHarness(
  name: string,
  fn: (h: Harness) => Promise<void>,
  phase: "recovering" | "ready" = "ready",
): void {
  Deno.test(`server routes: ${name}`, async () => {
    const h = harness(phase);
    try {
      await fn(h);
    } finally {
      Deno.removeSync(h.dataDir, { recursive: true });
    }
  });
}

function send(h: Harness, path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
  return serveRequest(h.context, new Request(`http://cellar.test${path}`, { ...init, headers }));
}

function pokeJson(h: Harness, body: BodyInit, path = "/poke", token = h.admin) {
  return send(h, path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body,
  });
}

async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  assert.match(r.headers.get("content-type") ?? "", /application\/json/);
  const body = await r.json();
  assertEquals(typeof body.error.code, "string");
  assertEquals(typeof body.error.message, "string");
  return body.error;
}

async function expectError(r: Response, status: number, code: string): Promise<void> {
  const error = await errorOf(r);
  assertEquals([r.status, error.code], [status, code], error.message);
}

withHarness("unknown paths get 404, known paths with another method 405", async (h) => {
  await expectError(await send(h, "/nope", { token: h.admin }), 404, "NotFound");
  await expectError(await send(h, "/peekaboo", { token: h.admin }), 404, "NotFound");
  const get = await send(h, "/poke", { token: h.admin });
  assertEquals(get.headers.get("allow"), "POST");
  await expectError(get, 405, "MethodNotAllowed");
  for (const path of ["/", "/status", "/metrics", "/peek/x"]) {
    const r = await send(h, path, { method: "POST", token: h.admin, body: "x" });
    assertEquals(r.headers.get("allow"), "GET, HEAD", path);
    await expectError(r, 405, "MethodNotAllowed");
  }
  // The method is checked before the token: no token still gets 405 here.
  await expectError(await send(h, "/poke"), 405, "MethodNotAllowed");
  assertEquals(h.backend.pokes.length + h.backend.peeks.length, 0);
});

withHarness("auth: 401 without a valid bearer token, 403 without the scope", async (h) => {
  const none = await send(h, "/status");
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm="cellar"$/);
  await expectError(none, 401, "Unauthorized");
  const basic = await send(h, "/peek/x", { headers: { authorization: "Basic abc" } });
  await expectError(basic, 401, "Unauthorized");
  const unknown = await send(h, "/peek/x", { token: "cellar_000000000000_" + "0".repeat(64) });
  assert.match(unknown.headers.get("www-authenticate") ?? "", /invalid_token/);
  await expectError(unknown, 401, "Unauthorized");

  const cases: [string, RequestInit, string, number][] = [
    ["/poke", { method: "POST", body: "[1,2]" }, h.peeker, 403],
    ["/peek/get/k", {}, h.poker, 403],
    ["/status", {}, h.poker, 403],
    ["/metrics", {}, h.poker, 403],
    ["/status", {}, h.peeker, 200],
    ["/metrics", {}, h.peeker, 200],
    ["/peek/get/k", {}, h.peeker, 200],
  ];
  for (const [path, init, token, status] of cases) {
    const r = await send(h, path, {
      ...init,
      token,
      headers: { "content-type": "application/json" },
    });
    assertEquals(r.status, status, `${path} ${status}`);
    if (status === 403) {
      assert.match(r.headers.get("www-authenticate") ?? "", /insufficient_scope/);
      await expectError(r, 403, "Forbidden");
    } else await r.body?.cancel();
  }
  assertEquals(h.backend.pokes.length, 0);
  // The page holds no data: it is public.
  const page = await send(h, "/");
  assertEquals(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert((await page.text()).toLowerCase().startsWith("<!doctype html>"));
});

withHarness("a JSON poke goes to the backend and its answer comes back", async (h) => {
  const r = await pokeJson(h, '["put","k",{"list":[1,2]}]', "/poke?wire=/poke/test", h.poker);
  assertEquals(r.status, 200);
  assertEquals(r.headers.get("x-cellar-event"), "1");
  assertEquals(r.headers.get("x-cellar-compute-ms"), "1.250");
  assertEquals(r.headers.get("x-cellar-commit-ms"), "0.500");
  assertEquals(await r.json(), {
    eventNumber: 1,
    effects: [["put", "k"], 0],
    computeMs: 1.25,
    commitMs: 0.5,
  });
  assertEquals(h.backend.pokes, [{
    json: ["put", "k", { list: [1, 2] }],
    wire: "/poke/test",
    reply: "json",
  }]);
  assertEquals(h.observability.pokes.get("ok"), 1);
  assertEquals(h.observability.pokeSeconds.count, 1);
  assertEquals(h.observability.responses.get("200"), 1);
});

withHarness("an answered poke's event shows in /status and /metrics at once", async (h) => {
  const status = async () => (await (await send(h, "/status", { token: h.admin })).json());
  assertEquals((await status()).eventNumber, 6);
  h.backend.pokeAnswer = (_call, id) => ({
    type: "poked",
    id,
    eventNumber: 9n,
    effectsJson: 0,
    computeMs: 0,
    commitMs: 0,
  });
  await (await pokeJson(h, "[1,2]")).body?.cancel();
  // Before the writer's status after event 9 arrives.
  assertEquals((await status()).eventNumber, 9);
  const metrics = await (await send(h, "/metrics", { token: h.admin })).text();
  assert(metrics.includes("\ncellar_events_total 9\n"), metrics);
  // An older event number does not move it back; the next status moves it on.
  h.observability.takeEvent(8n);
  assertEquals((await status()).eventNumber, 9);
  h.observability.takeStatus(writerStatus(10n));
  assertEquals((await status()).eventNumber, 10);
});

withHarness("a jam poke carries its bytes to the backend and the effects' jam back", async (h) => {
  const effects = new Uint8Array([1, 2, 3, 4]);
  h.backend.pokeAnswer = (_call, id) => ({
    type: "poked",
    id,
    eventNumber: 2n ** 60n,
    effectsJam: effects.slice().buffer,
    computeMs: 0,
    commitMs: 0,
  });
  const cause = new Uint8Array([0x81, 0x0c]);
  const r = await send(h, "/poke", {
    method: "POST",
    token: h.admin,
    headers: {
      "content-type": "application/x-jam",
      accept: "application/x-jam",
      "x-cellar-wire": "/w",
    },
    body: cause,
  });
  assertEquals(r.status, 200);
  assertEquals(r.headers.get("content-type"), "application/x-jam");
  assertEquals(r.headers.get("x-cellar-event"), String(2n ** 60n));
  assertEquals(new Uint8Array(await r.arrayBuffer()), effects);
  const [call] = h.backend.pokes;
  assertEquals([call.json, call.wire, call.reply], [undefined, "/w", "jam"]);
  assertEquals(new Uint8Array(call.jam!), cause);
});

withHarness("bodies over the limit get 413, declared or streamed", async (h) => {
  await expectError(await pokeJson(h, "[" + "1,".repeat(40) + "1]"), 413, "PayloadTooLarge");
  const chunks = [new Uint8Array(40), new Uint8Array(40)];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const streamed = await send(h, "/poke", {
    method: "POST",
    token: h.admin,
    headers: { "content-type": "application/x-jam" },
    body: stream,
  });
  assertEquals(streamed.headers.get("connection"), "close");
  await expectError(streamed, 413, "PayloadTooLarge");
  // Exactly the limit is accepted.
  const atLimit = await pokeJson(h, '["put","k","' + "x".repeat(limits.bodyBytes - 14) + '"]');
  assertEquals(atLimit.status, 200);
  await atLimit.body?.cancel();
  assertEquals(h.backend.pokes.length, 1);
  assertEquals(h.observability.pokes.get("bad_request"), 2);
});

withHarness("malformed pokes get 400 or 415 and never reach the backend", async (h) => {
  const json = "application/json";
  const cases: [string, string | null, BodyInit, number, string][] = [
    ["/poke", null, "[1,2]", 415, "UnsupportedMediaType"],
    ["/poke", "text/plain", "[1,2]", 415, "UnsupportedMediaType"],
    ["/poke", json, "[1,", 400, "BadJson"],
    ["/poke", json, new Uint8Array([0x22, 0xff, 0x22]), 400, "BadJson"],
    ["/poke", json, "true", 400, "BadNoun"],
    ["/poke", json, "[1]", 400, "BadNoun"],
    ["/poke", json, '["k",-1]', 400, "BadNoun"],
    ["/poke", json, '{"foo":1}', 400, "BadNoun"],
    ["/poke", "application/x-jam", new Uint8Array(0), 400, "EmptyBody"],
    ["/poke?wire=no-slash", json, "[1,2]", 400, "BadWire"],
    ["/poke?wire=/a//b", json, "[1,2]", 400, "BadWire"],
  ];
  for (const [path, type, body, status, code] of cases) {
    const headers: Record<string, string> = type === null ? {} : { "content-type": type };
    const r = await send(h, path, { method: "POST", token: h.admin, headers, body });
    await expectError(r, status, code);
  }
  assertEquals(h.backend.pokes.length, 0);
  assertEquals(h.observability.pokes.get("bad_request"), cases.length);
  assertEquals(h.observability.pokes.total(), cases.length);
});

withHarness("a stalled commit is 507 with Retry-After, and the health says so", async (h) => {
  h.backend.pokeAnswer = (_call, id) => ({
    type: "pokeFailed",
    id,
    error: { status: 507, code: "CommitStalled", message: "disk full", retryAfterSeconds: 4 },
  });
  const r = await pokeJson(h, '["put","k",1]');
  const body = await r.json();
  assertEquals([r.status, r.headers.get("retry-after"), body.error.code], [
    507,
    "4",
    "CommitStalled",
  ]);
  assertEquals(h.observability.health(), "healthy");
  const stalled = writerStatus(6n);
  const stall = { reason: "disk full", since: 1, failures: 1, retryAt: 2, logBehind: false };
  (stalled.status as { commit?: unknown }).commit = { stalled: stall };
  h.observability.takeStatus(stalled);
  assertEquals(h.observability.health(), "failed");
  const s = await (await send(h, "/status", { token: h.admin })).json();
  assertEquals([s.health, s.commit.stalled.reason], ["failed", "disk full"]);
});

withHarness("runtime errors become their status, code and trace", async (h) => {
  const answers: [PokeAnswer["type"], number, string, string][] = [
    ["pokeFailed", 422, "KernelCrash", "crash"],
    ["pokeFailed", 503, "PokeTimeout", "timeout"],
    ["pokeFailed", 400, "BadJam", "bad_request"],
    ["pokeFailed", 500, "WriterFailed", "error"],
  ];
  for (const [, status, code, outcome] of answers) {
    h.backend.pokeAnswer = (_call, id) => ({
      type: "pokeFailed",
      id,
      error: { status, code, message: `${code} happened`, trace: ["kv-del-absent"] },
    });
    const r = await pokeJson(h, '["del","k"]');
    const body = await r.json();
    assertEquals([r.status, body.error.code, body.error.trace], [status, code, ["kv-del-absent"]]);
    assertEquals(h.observability.pokes.get(outcome), 1, outcome);
  }
  // A backend that throws is an internal error, logged with its stack.
  h.backend.pokeAnswer = () => {
    throw new Error("the fake broke");
  };
  await expectError(await pokeJson(h, "[1,2]"), 500, "InternalError");
  assert(h.logs.some((l) => l.includes("internal error") && l.includes("the fake broke")));
  assertEquals(h.observability.pokes.get("error"), 2);
});

withHarness("a peek decodes its path and answers value, empty or unknown", async (h) => {
  let r = await send(h, "/peek/get/a%2Fb%20c", { token: h.peeker });
  assertEquals(r.status, 200);
  assertEquals(r.headers.get("x-cellar-event"), "7");
  assertEquals(await r.json(), { eventNumber: 7, value: "hello" });
  assertEquals(h.backend.peeks[0], { path: ["get", "a/b c"], reply: "json" });

  h.backend.peekAnswer = (_path, id) => ({
    type: "peeked",
    id,
    eventNumber: 7n,
    kind: "value",
    valueJam: new Uint8Array([9, 9]).buffer,
  });
  r = await send(h, "/peek/x?format=jam", { token: h.peeker });
  assertEquals(r.headers.get("content-type"), "application/x-jam");
  assertEquals(new Uint8Array(await r.arrayBuffer()), new Uint8Array([9, 9]));
  assertEquals(h.backend.peeks[1], { path: ["x"], reply: "jam" });

  for (const [kind, code] of [["unknown", "NoSuchPath"], ["empty", "EmptyPath"]] as const) {
    h.backend.peekAnswer = (_path, id) => ({ type: "peeked", id, eventNumber: 7n, kind });
    r = await send(h, "/peek/get/k", { token: h.peeker });
    assertEquals(r.headers.get("x-cellar-event"), "7");
    const body = await r.json();
    assertEquals([r.status, body.error.code, body.error.result], [404, code, kind]);
    assertEquals(h.observability.peeks.get(kind), 1);
  }
  assertEquals(h.observability.peeks.get("value"), 2);
});

withHarness("bad peek paths get 400; no ready peeker 503", async (h) => {
  await expectError(await send(h, "/peek/get/%ZZ", { token: h.peeker }), 400, "BadPath");
  const deep = "/peek" + "/s".repeat(65);
  await expectError(await send(h, deep, { token: h.peeker }), 400, "BadPath");
  assertEquals(h.backend.peeks.length, 0);
  h.backend.peekAnswer = null;
  const r = await send(h, "/peek/x", { token: h.peeker });
  assertEquals(r.headers.get("retry-after"), "1");
  await expectError(r, 503, "Recovering");
  assertEquals(h.observability.peeks.get("bad_request"), 2);
  assertEquals(h.observability.peeks.get("unavailable"), 1);
});

withHarness("each phase but ready answers pokes and peeks with its 503", async (h) => {
  h.observability.progress = { done: 3, total: 10, eventNumber: 3n, elapsedMs: 5 };
  let r = await pokeJson(h, "[1,2]");
  assertEquals(r.headers.get("retry-after"), "1");
  const recovering = await errorOf(r);
  assertEquals([r.status, recovering.code], [503, "Recovering"]);
  assert(recovering.message.includes("replayed 3 of 10 events"), recovering.message);
  await expectError(await send(h, "/peek/x", { token: h.admin }), 503, "Recovering");
  // /status answers in every phase.
  const status = await (await send(h, "/status", { token: h.admin })).json();
  assertEquals([status.phase, status.health, status.recovery], ["recovering", "recovering", {
    done: 3,
    total: 10,
    eventNumber: 3,
  }]);

  h.observability.fail("the writer Worker failed: boom");
  r = await pokeJson(h, "[1,2]");
  assertEquals(r.headers.get("retry-after"), "30");
  await expectError(r, 503, "Failed");
  assertEquals(h.observability.markStopping(), false);
  r = await send(h, "/peek/x", { token: h.admin });
  assertEquals(r.headers.get("connection"), "close");
  await expectError(r, 503, "ShuttingDown");
  assertEquals(h.backend.pokes.length + h.backend.peeks.length, 0);
  assertEquals(h.observability.pokes.get("unavailable"), 2);
  assertEquals(h.observability.peeks.get("unavailable"), 2);
}, "recovering");

withHarness("/status has the documented shape", async (h) => {
  const ok = await pokeJson(h, "[1,2]");
  await ok.body?.cancel();
  const r = await send(h, "/status", { token: h.admin });
  assertEquals(r.headers.get("cache-control"), "no-store");
  const s = await r.json();
  assertEquals(Object.keys(s), [
    "health",
    "phase",
    "operation",
    "failure",
    "eventNumber",
    "kernelHash",
    "dataDir",
    "slab",
    "logBytes",
    "commit",
    "scrub",
    "snapshots",
    "boot",
    "recovery",
    "uptimeSeconds",
    "pokes",
    "peeks",
    "pokeOutcomes",
    "peekOutcomes",
    "latencyMs",
    "errors",
    "eventRate",
    "limits",
    "history",
  ]);
  assertEquals([s.health, s.phase, s.failure, s.eventNumber], ["healthy", "ready", null, 6]);
  assertEquals(s.operation, null);
  assertEquals(s.dataDir, h.dataDir);
  assertEquals(s.slab, {
    capacityBytes: 4096,
    usedBytes: 1024,
    liveBytes: 0,
    growthCount: 0,
    freeBytes: 3072,
    reserveBytes: 1 << 20,
  });
  assertEquals(s.snapshots.length, 1);
  assertEquals(Object.keys(s.snapshots[0]), ["name", "kind", "eventNumber", "bytes", "ageSeconds"]);
  assert(s.snapshots[0].ageSeconds >= 1.5);
  assertEquals(s.boot.level, 1);
  assertEquals(s.boot.bootMs, 13);
  assertEquals(s.recovery, null);
  assertEquals([s.pokes, s.peeks], [1, 0]);
  assertEquals(Object.keys(s.pokeOutcomes), pokeOutcomes);
  assertEquals(Object.keys(s.peekOutcomes), peekOutcomes);
  assertEquals(s.pokeOutcomes.ok, 1);
  assert(s.latencyMs.poke.p50 > 0 && s.latencyMs.poke.p50 <= s.latencyMs.poke.p99);
  assertEquals(s.latencyMs.peek, { p50: null, p99: null });
  assertEquals(s.errors, { pokes: 0, peeks: 0, http4xx: 0, http5xx: 0 });
  assertEquals(s.eventRate, null); // one sample, just taken
  assertEquals(s.limits, limits);
  assertEquals(s.history.length, 1);
  assertEquals(Object.keys(s.history[0]), ["t", "capacityBytes", "usedBytes"]);
});

/** The `process_*` families read from /proc (absent without the permission to read it). */
const procFamilies = ["process_virtual_memory_bytes", "process_open_fds", "process_max_fds"];

withHarness("/metrics is one HELP, TYPE and samples per family", async (h) => {
  for (const body of ["[1,2]", "[1,"]) await (await pokeJson(h, body)).body?.cancel();
  await (await send(h, "/peek/x", { token: h.admin })).body?.cancel();
  const withGc = writerStatus(8n);
  const lastGc = { scanMs: 10, gcMs: 30, at: 1_700_000_000_000 };
  withGc.status = { ...withGc.status, lastGc } as unknown as RuntimeStatus;
  h.observability.takeStatus({ ...withGc, groupSizes: [1, 8, 64] }, 40, 250);
  const r = await send(h, "/metrics", { token: h.peeker });
  assertEquals(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await r.text();
  assert(text.endsWith("\n") && !text.endsWith("\n\n"));
  const lines = text.slice(0, -1).split("\n");
  const families: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const help = /^# HELP ((cellar|process)_[a-z_]+) \S.*$/.exec(line);
    if (help !== null) {
      const name = help[1];
      families.push(name);
      assert.match(lines[++i], new RegExp(`^# TYPE ${name} (gauge|counter|histogram)$`));
      continue;
    }
    const family = families[families.length - 1];
    assert.match(
      line,
      /^((cellar|process)_[a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$/,
      line,
    );
    assert(line.startsWith(family), `${line} is not of ${family}`);
  }
  assertEquals(families, [
    "cellar_up",
    "cellar_events_total",
    "cellar_pokes_total",
    "cellar_peeks_total",
    "cellar_http_requests_total",
    "cellar_http_requests_in_flight",
    "cellar_http_route_requests_total",
    "cellar_http_request_duration_seconds",
    "cellar_peek_worker_restarts_total",
    "cellar_poke_duration_seconds",
    "cellar_peek_duration_seconds",
    "cellar_slab_capacity_bytes",
    "cellar_slab_used_bytes",
    "cellar_slab_live_bytes",
    "cellar_slab_reserve_bytes",
    "cellar_slab_growths_total",
    "cellar_log_size_bytes",
    "cellar_snapshot_age_seconds",
    "cellar_last_gc_timestamp_seconds",
    "cellar_last_gc_duration_seconds",
    "cellar_group_size",
    "cellar_gc_duration_seconds",
    "cellar_snapshot_duration_seconds",
    "cellar_scrub_bytes_total",
    "cellar_scrub_passes_total",
    "cellar_scrub_faults_total",
    "cellar_boot_level",
    "cellar_boot_duration_seconds",
    "cellar_uptime_seconds",
    "cellar_build_info",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    ...(lines.some((l) => l.startsWith("process_virtual_memory_bytes ")) ? procFamilies : []),
    "process_start_time_seconds",
  ]);
  for (
    const line of [
      "cellar_up 1",
      "cellar_events_total 8",
      'cellar_pokes_total{outcome="ok"} 1',
      'cellar_pokes_total{outcome="bad_request"} 1',
      'cellar_pokes_total{outcome="timeout"} 0',
      'cellar_peeks_total{outcome="value"} 1',
      'cellar_http_requests_total{code="200"} 2',
      'cellar_http_requests_total{code="400"} 1',
      'cellar_http_route_requests_total{route="/poke",status_class="2xx"} 1',
      'cellar_http_route_requests_total{route="/poke",status_class="4xx"} 1',
      'cellar_http_route_requests_total{route="/peek/*",status_class="2xx"} 1',
      'cellar_http_request_duration_seconds_count{route="/poke"} 2',
      `cellar_build_info{version="${manifest.version}",zig="${zigVersion}",deno="${Deno.version.deno}",target="${hostTarget()}"} 1`,
      'cellar_poke_duration_seconds_bucket{le="+Inf"} 2',
      "cellar_poke_duration_seconds_count 2",
      'cellar_gc_duration_seconds_bucket{le="0.025"} 0',
      'cellar_gc_duration_seconds_bucket{le="0.05"} 1',
      "cellar_gc_duration_seconds_sum 0.04",
      'cellar_snapshot_duration_seconds_bucket{le="0.25"} 1',
      "cellar_slab_used_bytes 1024",
      "cellar_log_size_bytes 99",
      "cellar_last_gc_timestamp_seconds 1700000000",
      "cellar_last_gc_duration_seconds 0.04",
      "cellar_boot_level 1",
      "cellar_boot_duration_seconds 0.0126",
      'cellar_group_size_bucket{le="1"} 1',
      'cellar_group_size_bucket{le="8"} 2',
      'cellar_group_size_bucket{le="64"} 3',
      "cellar_group_size_count 3",
      "cellar_group_size_sum 73",
    ]
  ) assert(lines.includes(line), `metrics lack ${line}`);
  const age = Number(
    lines.find((l) => l.startsWith("cellar_snapshot_age_seconds "))!.split(" ")[1],
  );
  assert(age >= 1.5 && age < 60, `snapshot age ${age}`);
  // Labelled values are sorted; the known outcomes are there even at 0.
  const pokeLines = lines.filter((l) => l.startsWith("cellar_pokes_total{"));
  assertEquals(pokeLines.length, pokeOutcomes.length);
  assertEquals(pokeLines, [...pokeLines].sort());
});

withHarness("/status: errors by kind, and the event rate over the last minute", async (h) => {
  await (await pokeJson(h, "[1,")).body?.cancel();
  await (await send(h, "/nowhere", { token: h.admin })).body?.cancel();
  const o = h.observability;
  o.peeks.inc("crash");
  o.peeks.inc("empty");
  assertEquals(o.statusBody().errors, { pokes: 1, peeks: 1, http4xx: 2, http5xx: 0 });
  // Samples every 5 s: the rate is over the oldest one of the last minute, to now.
  const fresh = new Observability({ dataDir: h.dataDir, limits });
  const realNow = Date.now;
  try {
    const start = realNow();
    const at = (seconds: number, eventNumber: bigint) => {
      Date.now = () => start + seconds * 1000;
      fresh.takeStatus(writerStatus(eventNumber));
      fresh.sampleHistory();
    };
    at(0, 100n);
    assertEquals(fresh.statusBody().eventRate, null);
    at(10, 150n);
    assertEquals(fresh.statusBody().eventRate, 5);
    for (let t = 15; t <= 120; t += 5) at(t, 150n + BigInt(t - 10) * 2n);
    assertEquals(fresh.statusBody().eventRate, 2); // the burst left the window
  } finally {
    Date.now = realNow;
  }
});

/** A body stream of `pieces` chunks of `size` bytes, one every `everyMs` (0: at once). */
function trickle(pieces: number, size: number, everyMs = 0): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === pieces) return controller.close();
      if (everyMs > 0) await new Promise((r) => setTimeout(r, everyMs));
      sent++;
      controller.enqueue(new Uint8Array(size).fill(0x31));
    },
  });
}

withHarness("a body of many tiny chunks, or one past its deadline, is refused", async (h) => {
  const post = (body: ReadableStream<Uint8Array>) =>
    send(h, "/poke", {
      method: "POST",
      token: h.admin,
      headers: { "content-type": "application/json" },
      body,
    });
  // A 64-byte limit allows 1,024 reads: 2,000 empty chunks are refused at the 1,025th.
  const h2 = await post(trickle(2000, 0));
  await expectError(h2, 413, "BodyTooFragmented");
  // Every 150 ms a byte: never idle for the 200 ms idle limit, but past the 1 s deadline.
  const started = performance.now();
  const slow = await post(trickle(30, 1, 150));
  assertEquals(slow.status, 408);
  assertEquals(slow.headers.get("connection"), "close");
  const ms = performance.now() - started;
  assert(ms >= 950 && ms < 1600, `answered after ${ms} ms`);
  assert.match((await errorOf(slow)).message, /took longer than its deadline/);
  // The stalled read still holds the connection: it counts until the next chunk ends it.
  assertEquals(h.observability.inFlight, 1);
  await new Promise((r) => setTimeout(r, 250));
  assertEquals(h.observability.inFlight, 0);
  assertEquals(h.backend.pokes.length, 0);
});

withHarness("HEAD is GET without the body; /status hides dataDir from non-admins", async (h) => {
  for (const path of ["/", "/status", "/metrics", "/peek/x"]) {
    const get = await send(h, path, { token: h.admin });
    const head = await send(h, path, { method: "HEAD", token: h.admin });
    assertEquals([head.status, head.body], [get.status, null], path);
    assertEquals(head.headers.get("content-type"), get.headers.get("content-type"), path);
    await get.body?.cancel();
  }
  const denied = await send(h, "/status", { method: "HEAD" });
  assertEquals([denied.status, denied.body], [401, null]);
  assert.match(denied.headers.get("www-authenticate") ?? "", /^Bearer/);
  const peeker = await (await send(h, "/status", { token: h.peeker })).json();
  assertEquals(peeker.dataDir, null);
  const admin = await (await send(h, "/status", { token: h.admin })).json();
  assertEquals(admin.dataDir, h.dataDir);
});

withHarness("past maxConnections requests in progress, 503 Busy; then served again", async (h) => {
  const gate = Promise.withResolvers<void>();
  h.backend.peekAnswer = null;
  const held: Promise<Response>[] = [];
  // Eight peeks held by a backend that answers only when the gate opens.
  h.backend.peek = (_path, _reply) =>
    gate.promise.then(() => ({
      type: "peeked",
      id: 1,
      eventNumber: 7n,
      kind: "value",
      valueJson: 1,
    }));
  for (let i = 0; i < limits.maxConnections; i++) {
    held.push(send(h, "/peek/x", { token: h.admin }));
  }
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(h.observability.inFlight, limits.maxConnections);
  const busy = await send(h, "/status", { token: h.admin });
  assertEquals(busy.headers.get("retry-after"), "1");
  await expectError(busy, 503, "Busy");
  gate.resolve();
  for (const r of await Promise.all(held)) assertEquals((await r.json()).value, 1);
  assertEquals(h.observability.inFlight, 0);
  assertEquals((await send(h, "/status", { token: h.admin })).status, 200);
});

withHarness("/status shows the long operation the writer runs", async (h) => {
  // Later than any native report this process made (those would be merged in).
  const startedAt = Date.now() + 3_600_000;
  h.observability.operation = {
    kind: "gc",
    phase: "copy",
    done: 2 ** 20,
    total: 2 ** 30,
    unit: "bytes",
    startedAt,
    elapsedMs: 1234.5,
  };
  const s = await (await send(h, "/status", { token: h.admin })).json();
  assertEquals(s.operation, {
    kind: "gc",
    phase: "copy",
    doneBytes: 2 ** 20,
    total: 2 ** 30,
    startedAt: new Date(startedAt).toISOString(),
    elapsedMs: 1235,
  });
  h.observability.operation = { ...h.observability.operation, kind: "replay", unit: "events" };
  const r = await (await send(h, "/status", { token: h.admin })).json();
  assertEquals([r.operation.kind, r.operation.doneEvents], ["replay", 2 ** 20]);
});
