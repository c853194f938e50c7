/**
 * `GET /effects`: the effects hub alone (filters, resume, resync, retention, slow
 * subscribers), and the server streaming the test kernel's committed effects.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount } from "../mod.ts";
import type { Json } from "../src/core/json.ts";
import { EffectsHub } from "../src/server/effects_stream.ts";
import type { EffectsMessage } from "../src/server/effects_stream.ts";
import { TokenStore } from "../src/server/tokens.ts";
import { assertEquals } from "./_helpers.ts";
import { effectsKernelPath, tempDir } from "./_nockapp_helpers.ts";
import { auth, freePort, serverFlags, startServerProcess, stopServer } from "./_server_helpers.ts";

handleCount();

const root = tempDir("cellar_effects_test_");

function message(event: number, wire: Json, ...effects: Json[][]): EffectsMessage {
  return {
    type: "effects",
    eventNumber: BigInt(event),
    wire,
    effects,
    tags: effects.map((e) => (typeof e[0] === "string" ? e[0] : null)),
  };
}

/** One SSE message: its id, event name and data. */
interface Sse {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads SSE messages from a byte stream. */
class SseReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  /** The next message (comments skipped), or null at the end. */
  async next(): Promise<Sse | null> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const m: Sse = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const key = line.slice(0, colon);
          const value = line.slice(colon + 1).trimStart();
          if (key === "id" || key === "event" || key === "data") m[key] = value;
        }
        if (m.id !== undefined || m.event !== undefined || m.data !== undefined) return m;
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += value;
    }
  }
  /** The next `n` messages. */
  async take(n: number): Promise<Sse[]> {
    const out: Sse[] = [];
    while (out.length < n) {
      const m = await this.next();
      if (m === null) break;
      out.push(m);
    }
    return out;
  }
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

Deno.test("effects hub: live messages, filters, resume by Last-Event-ID, resync", async () => {
  const hub = new EffectsHub({ retentionEvents: 3 });
  hub.start(10n);
  const all = new SseReader(hub.subscribe({ tags: [], wire: null }, null));
  const files = new SseReader(hub.subscribe({ tags: ["file"], wire: ["poke", "app"] }, null));
  hub.publish(message(11, ["poke", "app", 0], ["file", "write", "a", "x"], ["exit", 0]));
  hub.publish(message(12, ["poke", "other", 0], ["file", "read", "b"]));
  hub.publish(message(13, ["poke", "app", "deep", 0], ["file", "read", "c"]));
  const got = await all.take(4);
  assertEquals(got.map((m) => m.id), ["11.0", "11.1", "12.0", "13.0"]);
  assertEquals(JSON.parse(got[0].data!), {
    event: 11,
    index: 0,
    wire: ["poke", "app", 0],
    effect: ["file", "write", "a", "x"],
  });
  assertEquals((await files.take(2)).map((m) => m.id), ["11.0", "13.0"]);
  // Resume after 11.0: the rest of event 11, then 12 and 13.
  const resumed = new SseReader(hub.subscribe({ tags: [], wire: null }, "11.0"));
  assertEquals((await resumed.take(3)).map((m) => m.id), ["11.1", "12.0", "13.0"]);
  // Past the retention (3 events): 11 is dropped once 14 arrives.
  hub.publish(message(14, ["poke", "app", 0], ["markdown", "m"]));
  const late = new SseReader(hub.subscribe({ tags: [], wire: null }, "10.5"));
  const first = await late.next();
  assertEquals(first?.event, "resync");
  assertEquals(JSON.parse(first!.data!).oldest, "12");
  // A resync is followed by the live stream.
  hub.publish(message(15, ["poke", "app", 0], ["exit", 1]));
  assertEquals((await late.next())?.id, "15.0");
  // An id from before the server started is a resync too; a malformed one as well.
  for (const id of ["3.0", "junk"]) {
    const r = new SseReader(hub.subscribe({ tags: [], wire: null }, id));
    assertEquals((await r.next())?.event, "resync", id);
    await r.cancel();
  }
  assertEquals((hub.status().subscribers as unknown[]).length, 4);
  for (const r of [all, files, resumed, late]) await r.cancel();
  assertEquals((hub.status().subscribers as unknown[]).length, 0);
  hub.close();
});

Deno.test("effects hub: a subscriber that does not read is disconnected, others go on", async () => {
  const hub = new EffectsHub({ queueMax: 5 });
  hub.start(0n);
  const slow = hub.subscribe({ tags: [], wire: null }, null);
  const fast = new SseReader(hub.subscribe({ tags: [], wire: null }, null));
  for (let i = 1; i <= 20; i++) {
    hub.publish(message(i, ["poke", "api", 0], ["n", i]));
    assertEquals((await fast.next())?.id, `${i}.0`);
  }
  assertEquals(hub.status().disconnectedSlow, 1);
  assertEquals((hub.status().subscribers as unknown[]).length, 1);
  const reader = slow.getReader();
  await assert.rejects(async () => {
    for (;;) if ((await reader.read()).done) break;
  }, /fell too far behind/);
  await fast.cancel();
  hub.close();
});

Deno.test({
  name: "effects: GET /effects streams committed effects, with scopes, filters and resume",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = `${root}/server`;
    Deno.mkdirSync(dir);
    const port = freePort();
    const fixtures = effectsKernelPath.replace(/\/[^/]*$/, "");
    const server = await startServerProcess(dir, {
      args: ["--kernel", effectsKernelPath, "--effects-retention", "100"],
      flags: serverFlags(dir, port, [fixtures]),
      port,
    });
    const tokens = TokenStore.open(dir);
    const subscriber = tokens.create(["subscribe"]).token;
    const peeker = tokens.create(["peek"]).token;
    const readers: SseReader[] = [];
    try {
      const open = (query = "", token = subscriber, headers: Record<string, string> = {}) =>
        fetch(`${server.url}effects${query}`, { headers: { ...auth(token), ...headers } });
      const denied = await open("", peeker);
      assertEquals(denied.status, 403);
      await denied.body?.cancel();
      const r = await open();
      assertEquals(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /text\/event-stream/);
      const all = new SseReader(r.body!);
      readers.push(all);
      const fileOnly = new SseReader((await open("?tag=file")).body!);
      readers.push(fileOnly);
      const poke = (body: unknown) =>
        fetch(`${server.url}poke`, {
          method: "POST",
          headers: { ...auth(server.token), "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((x) => x.body?.cancel());
      await poke({
        wire: ["poke", "app", 0],
        cause: ["emit", ["markdown", "hi"], ["file", "write", "a.txt", "x"], 0],
      });
      await poke(["emit", ["exit", 0], 0]);
      const got = await all.take(3);
      assertEquals(got.map((m) => m.id), ["1.0", "1.1", "2.0"]);
      assertEquals(JSON.parse(got[1].data!), {
        event: 1,
        index: 1,
        wire: ["poke", "app", 0],
        effect: ["file", "write", "a.txt", "x"],
      });
      assertEquals((await fileOnly.next())?.id, "1.1");
      // Resume from 1.0 with Last-Event-ID.
      const resumed = new SseReader((await open("", subscriber, { "last-event-id": "1.0" })).body!);
      readers.push(resumed);
      assertEquals((await resumed.take(2)).map((m) => m.id), ["1.1", "2.0"]);
      // The status shows the subscribers.
      const status = await (await fetch(`${server.url}status`, { headers: auth(server.token) }))
        .json();
      assertEquals(status.effects.subscribers.length, 3);
      assertEquals(status.effects.subscribers[1].tags, ["file"]);
      // A shutdown ends the open streams rather than waiting for them.
      assertEquals((await stopServer(server)).code, 0);
      assertEquals(await all.next(), null);
    } finally {
      for (const reader of readers) await reader.cancel().catch(() => {});
      await stopServer(server);
    }
  },
});
