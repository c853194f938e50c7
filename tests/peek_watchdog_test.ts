/**
 * The peek Workers' watchdog (src/server/peek_pool.ts), end to end. Renders no longer reach it
 * (their budgets stop them first), and a peek that loops in Nock is stopped by its own compute
 * limit; what only the watchdog stops is a native jet call that runs past the limit, which
 * Nock cannot interrupt between steps. The loop kernel (tests/_loop_kernel.ts) has one: its
 * `/slow` peek divides a 512 KiB state's square by it (tens of seconds in one `dvr` call).
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertEquals } from "./_helpers.ts";
import { loopKernelFile } from "./_loop_kernel.ts";
import {
  auth,
  freePort,
  peekJson,
  pokeJson,
  serverFlags,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

const peekTimeoutMs = 300;

function bigHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(b.subarray(at, at + 65536));
  b[0] |= 1;
  return "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function metric(server: ServerProcess, line: string): Promise<number> {
  const r = await fetch(`${server.url}metrics`, { headers: auth(server.token) });
  const found = (await r.text()).split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

/** A peek's status, code (or value) and time in ms. */
async function timedPeek(server: ServerProcess, path: string) {
  const started = performance.now();
  const r = await peekJson(server, path);
  const body = await r.json();
  return { status: r.status, body, ms: performance.now() - started };
}

Deno.test("peek watchdog: a jet call past the limit is answered 503, its Worker replaced", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-watchdog-" });
  const kernel = loopKernelFile();
  const port = freePort();
  const server = await startServerProcess(dir, {
    port,
    flags: serverFlags(dir, port, [kernel]),
    args: [
      "--kernel",
      kernel,
      "--peek-timeout-ms",
      String(peekTimeoutMs),
      "--body-limit",
      "4194304",
    ],
  });
  try {
    const big = await pokeJson(server, ["big", { hex: bigHex(512 << 10) }]);
    assertEquals(big.status, 200, await big.text());
    // A loop in Nock: stopped by the compute limit itself, no Worker replaced.
    const loop = await timedPeek(server, "loop");
    assertEquals([loop.status, loop.body.error.code], [503, "PeekTimeout"]);
    assert(loop.body.error.message.includes("compute limit"), loop.body.error.message);
    assertEquals(await metric(server, 'cellar_peek_worker_restarts_total{reason="timeout"}'), 0);
    // One long jet call: only the watchdog (the limit plus 1 s) stops it.
    const slow = timedPeek(server, "slow");
    const other = await timedPeek(server, "x"); // The other Worker answers meanwhile.
    assertEquals([other.status, other.body.value], [200, "*"]);
    const stopped = await slow;
    assertEquals([stopped.status, stopped.body.error.code], [503, "PeekTimeout"]);
    assert(stopped.body.error.message.includes("was stopped"), stopped.body.error.message);
    assert(stopped.ms < peekTimeoutMs + 1000 + 3000, `answered after ${stopped.ms} ms`);
    assertEquals(await metric(server, 'cellar_peek_worker_restarts_total{reason="timeout"}'), 1);
    // The replacement serves (42 is `*` as text); the server is ready, its state unchanged.
    for (let i = 0; i < 4; i++) {
      const again = await timedPeek(server, "x");
      assertEquals([again.status, again.body.value], [200, "*"]);
    }
    const status = await (await fetch(`${server.url}status`, { headers: auth(server.token) }))
      .json();
    assertEquals([status.phase, status.eventNumber], ["ready", 1]);
  } finally {
    await stopServer(server);
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(kernel);
  }
});
