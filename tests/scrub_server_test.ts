/**
 * The server's background scrub (src/server/writer_worker.ts), in a real server process:
 * it checks the slab's data against its checksums at a bounded rate, reports its progress in
 * `/status` and `/metrics`, and when a byte of old data rots under it (flipped in
 * `pma/0.pma` while the server runs) it stops serving that state with the fault's place, and
 * the next start quarantines the slab and recovers the value from the log.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun } from "../mod.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import { putMany, withRuntime } from "./_runtime_helpers.ts";
import { auth, peekJson, pokeJson, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

/** The word of the cord `hello` as it lies in a cell: its bytes, zero padded to 8. */
const helloWord = new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0, 0]);

/** A data directory whose `greeting` is `hello`, then 300 more events (old data). */
function history(): string {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-scrub-server-" });
  withRuntime({ dataDir: dir }, (r) => {
    using put = Noun.from(["put", "greeting", "hello"]);
    r.poke(put).effects.dispose();
    putMany(r, 0, 300);
  });
  return dir;
}

/** Flip `h` to `J` in every word-aligned `hello` of the slab files; how many. */
function rotHello(dir: string): number {
  let flips = 0;
  for (const name of ["0.pma", "1.pma"]) {
    const path = `${dir}/pma/${name}`;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch {
      continue;
    }
    using file = Deno.openSync(path, { read: true, write: true });
    for (let at = 0; at + 8 <= bytes.length; at += 8) {
      if (!helloWord.every((b, i) => bytes[at + i] === b)) continue;
      file.seekSync(at, Deno.SeekMode.Start);
      file.writeSync(new Uint8Array([0x68 ^ 0x22]));
      flips++;
    }
  }
  return flips;
}

// deno-lint-ignore no-explicit-any
async function status(server: ServerProcess): Promise<any> {
  const r = await fetch(`${server.url}status`, { headers: auth(server.token) });
  assertEquals(r.status, 200);
  return await r.json();
}

/** Poll `/status` until `done` holds (at most 30 s). */
async function statusWhen(
  server: ServerProcess,
  // deno-lint-ignore no-explicit-any
  done: (body: any) => boolean,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const body = await status(server);
    if (done(body)) return body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`/status never got there: ${JSON.stringify(await status(server))}`);
}

async function metric(server: ServerProcess, name: string): Promise<number> {
  const r = await fetch(`${server.url}metrics`, { headers: auth(server.token) });
  const line = (await r.text()).split("\n").find((l) => l.startsWith(`${name} `));
  assert(line !== undefined, `no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function greeting(server: ServerProcess): Promise<Response> {
  return await peekJson(server, "get/greeting");
}

kernelTest(
  "scrub: a healthy server scrubs its slab and says so in /status and /metrics",
  async () => {
    const dir = history();
    const server = await startServerProcess(dir);
    try {
      const body = await statusWhen(server, (b) => b.scrub?.passes >= 1);
      assertEquals(body.health, "healthy");
      assertEquals(body.scrub.faults, 0);
      assertEquals(body.scrub.fault, null);
      assert(body.scrub.scrubbedBytes > 0, JSON.stringify(body.scrub));
      assert(body.scrub.lastPassAt !== null);
      assert(await metric(server, "cellar_scrub_passes_total") >= 1);
      assert(await metric(server, "cellar_scrub_bytes_total") > 0);
      assertEquals(await metric(server, "cellar_scrub_faults_total"), 0);
      const health = await fetch(`${server.url}health`); // No token: it is public.
      assertEquals(health.status, 200);
      assertEquals(await health.json(), { health: "healthy", phase: "ready" });
      const ready = await fetch(`${server.url}readyz`);
      assertEquals([ready.status, await ready.text()], [200, "ok\n"]);
      // Pokes go on while it scrubs, and the next pass covers them.
      const poke = await pokeJson(server, ["put", "more", 1]);
      assertEquals(poke.status, 200);
      await poke.body?.cancel();
      const passes = body.scrub.passes;
      await statusWhen(server, (b) => b.scrub.passes > passes + 1);
    } finally {
      await stopServer(server);
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

kernelTest(
  "scrub: rot in old data of a running server stops serving it; a restart recovers",
  async () => {
    const dir = history();
    let server = await startServerProcess(dir);
    try {
      const before = await greeting(server);
      assertEquals((await before.json()).value, "hello");
      assert(rotHello(dir) >= 1, "the word of 'hello' is in the slab");
      const body = await statusWhen(server, (b) => b.scrub?.faults > 0);
      assertEquals(body.health, "failed");
      assertEquals(body.phase, "failed");
      assertEquals(body.scrub.fault.kind, "page");
      assert(/data fault in the PMA: .*\(page \d+,/.test(body.failure), body.failure);
      // Nothing is served from the rotten state: not `Jello`, and no poke built on it.
      const peek = await greeting(server);
      assertEquals(peek.status, 503);
      assertEquals((await peek.json()).error.code, "Failed");
      const poke = await pokeJson(server, ["put", "after", 1]);
      assertEquals(poke.status, 503);
      await poke.body?.cancel();
      assertEquals(await metric(server, "cellar_scrub_faults_total"), 1);
      const health = await fetch(`${server.url}health`);
      assertEquals(health.status, 503);
      assertEquals(await health.json(), { health: "failed", phase: "failed" });
      const ready = await fetch(`${server.url}readyz`);
      assertEquals([ready.status, await ready.text()], [503, "not ok\n"]);
      const live = await fetch(`${server.url}healthz`); // The runtime failed: restart it.
      assertEquals([live.status, await live.text()], [503, "not ok\n"]);
      assert(
        server.lines.some((l) => l.includes("the scrub found a data fault")),
        server.lines.join("\n"),
      );
      assert(Deno.statSync(`${dir}/pma/pma.fault`).isFile);
      await stopServer(server);
      server = await startServerProcess(dir);
      const booted = await status(server);
      assert(booted.boot.level >= 2, JSON.stringify(booted.boot));
      const pmaLevel = booted.boot.skipped.find((s: { level: number }) => s.level === 1);
      assert(pmaLevel?.reason.includes("data fault"), JSON.stringify(booted.boot));
      assert([...Deno.readDirSync(`${dir}/quarantine`)].length >= 1);
      assertEquals(booted.eventNumber, 301);
      assertEquals((await (await greeting(server)).json()).value, "hello");
    } finally {
      await stopServer(server);
      Deno.removeSync(dir, { recursive: true });
    }
  },
);
