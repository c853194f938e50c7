/**
 * Shutting down a server whose writer is computing a poke that never ends (a kernel that
 * loops, tests/_loop_kernel.ts, under a 10-minute poke limit): SIGTERM interrupts the
 * writer's machine, the poke is answered `503 ShuttingDown` with nothing of it kept, and the
 * server exits at once with 0 instead of waiting for the limit.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertEquals } from "./_helpers.ts";
import { loopKernelFile } from "./_loop_kernel.ts";
import {
  auth,
  freePort,
  pokeJson,
  serverFlags,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";

async function start(dir: string, kernel: string) {
  const port = freePort();
  return await startServerProcess(dir, {
    port,
    flags: serverFlags(dir, port, [kernel]),
    args: ["--kernel", kernel, "--poke-timeout-ms", "600000"],
  });
}

Deno.test("server: SIGTERM interrupts a poke that loops; it is refused and nothing is kept", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-interrupt-" });
  const kernel = loopKernelFile();
  let server = await start(dir, kernel);
  try {
    const first = await pokeJson(server, ["put", 1]);
    assertEquals(first.status, 200);
    assertEquals((await first.json()).eventNumber, 1);
    const looping = pokeJson(server, ["loop", 0]);
    await new Promise((res) => setTimeout(res, 1000)); // The writer is in it now.
    const stopped = performance.now();
    server.child.kill("SIGTERM");
    const answer = await looping;
    assertEquals(answer.status, 503);
    assertEquals((await answer.json()).error.code, "ShuttingDown");
    assertEquals((await server.exited).code, 0);
    const ms = performance.now() - stopped;
    assert(ms < 15_000, `the shutdown took ${ms} ms`);
    server = await start(dir, kernel);
    const status = await fetch(`${server.url}status`, { headers: auth(server.token) });
    const body = await status.json();
    assertEquals(body.eventNumber, 1);
    assertEquals(body.boot.level, 1);
  } finally {
    await stopServer(server);
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(kernel);
  }
});
