/**
 * Any noun as a wire: from TypeScript (`Runtime.poke(cause, {wire})`), the CLI (`--wire` as
 * a path or a JSON noun) and HTTP (`{"wire", "cause"}` bodies, `?wire=` JSON nouns), checked
 * against the test kernel, which records the wire of every poke.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount, Noun, Runtime, wireLabel } from "../mod.ts";
import { assertEquals } from "./_helpers.ts";
import {
  effectsKernel,
  effectsKernelPath,
  expectExit,
  lastPoke,
  runCellar,
  tempDir,
  text,
} from "./_nockapp_helpers.ts";
import { replayOf, stateOf } from "./_runtime_helpers.ts";
import { auth, freePort, serverFlags, startServerProcess, stopServer } from "./_server_helpers.ts";

handleCount();

const root = tempDir("cellar_wire_test_");
const onePunch = ["poke", "one-punch", 1, 0] as const;

Deno.test("wire: a noun wire reaches the kernel as it is, is logged, and replays", () => {
  const dir = `${root}/ts`;
  {
    using r = Runtime.open({ dataDir: dir, kernel: effectsKernel() });
    using cause = Noun.from(["hello", 0]);
    using wire = Noun.from(onePunch);
    r.poke(cause, { wire }).effects.dispose();
    assertEquals(lastPoke(r), { wire: text(onePunch), cause: text(["hello", 0]) });
    const row = r.log.get(1n)!;
    assertEquals(row.wire, "/poke/one-punch/1");
    using body = Noun.cue(row.jam);
    using logged = body.head;
    assertEquals(logged.toString(), text(onePunch));
    // A path stays a shorthand: `poke` is prepended.
    r.poke(cause, { wire: "/http" }).effects.dispose();
    assertEquals(lastPoke(r).wire, text(["poke", "http", 0]));
    // Not a path: a cell that does not end in ~, and an atom.
    using odd = Noun.from([1, 2]);
    r.poke(cause, { wire: odd }).effects.dispose();
    assertEquals(lastPoke(r).wire, "[1 2]");
    assertEquals(r.log.get(3n)!.wire, '{"tuple":[1,2]}');
    using atom = Noun.from(7);
    r.poke(cause, { wire: atom }).effects.dispose();
    assertEquals(r.log.get(4n)!.wire, "7");
  }
  // A replay of the log alone pokes the same wires and reaches the same state.
  assertEquals(replayOf(dir).mug, stateOf(dir).mug);
});

Deno.test("wire: labels are paths for lists of path segments, JSON otherwise", () => {
  for (
    const [wire, label] of [
      [["file", 1, "read", 0], "/file/1/read"],
      [["poke", "a/b", 0], '["poke","a/b"]'],
      [[["a", 0], 0], '[["a"]]'],
      [0, "0"],
    ] as const
  ) {
    using noun = Noun.from(wire);
    assertEquals(wireLabel(noun), label, String(wire));
  }
  using long = Noun.list(Array.from({ length: 400 }, (_, i) => `segment${i}`));
  const cut = wireLabel(long);
  assertEquals(cut.length, 1024);
  assert(cut.endsWith("…"));
});

Deno.test("wire: cellar poke --wire takes a path or a JSON noun", async () => {
  const dir = `${root}/cli`;
  const scope = { read: [dir], write: [dir] };
  expectExit(await runCellar(["boot", effectsKernelPath, "--data", dir], scope), 0, "boot");
  const noun = await runCellar(
    ["poke", "--data", dir, "--wire", JSON.stringify(onePunch), "--json", '["hi", 0]'],
    scope,
  );
  expectExit(noun, 0, "poke --wire NOUN");
  const path = await runCellar(["poke", "--data", dir, "--wire", "/cli/x", "hi"], scope);
  expectExit(path, 0, "poke --wire PATH");
  for (const bad of ["[1]", '["a", -1]', "[oops"]) {
    const r = await runCellar(["poke", "--data", dir, "--wire", bad, "hi"], scope);
    expectExit(r, 2, `--wire ${bad}`);
    assert.match(r.stderr, /Bad --wire noun/);
  }
  using r = Runtime.open({ dataDir: dir });
  assertEquals(r.eventNumber, 2n);
  assertEquals(r.log.get(1n)!.wire, "/poke/one-punch/1");
  assertEquals(r.log.get(2n)!.wire, "/poke/cli/x");
  assertEquals(lastPoke(r).wire, text(["poke", "cli", "x", 0]));
});

Deno.test({
  name: "wire: POST /poke takes {wire, cause} bodies and JSON noun wires in the query",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = `${root}/http`;
    Deno.mkdirSync(dir);
    const fixtures = effectsKernelPath.replace(/\/[^/]*$/, "");
    const port = freePort();
    const server = await startServerProcess(dir, {
      args: ["--kernel", effectsKernelPath],
      flags: serverFlags(dir, port, [fixtures]),
      port,
    });
    try {
      const json = { ...auth(server.token), "content-type": "application/json" };
      const post = (body: string, query = "", headers: Record<string, string> = json) =>
        fetch(`${server.url}poke${query}`, { method: "POST", headers, body });
      let r = await post(JSON.stringify({ wire: onePunch, cause: ["a", 0] }));
      assertEquals(r.status, 200, await r.clone().text());
      assertEquals((await r.json()).eventNumber, 1);
      r = await post(JSON.stringify(["b", 0]));
      assertEquals(r.status, 200);
      await r.body?.cancel();
      r = await post(JSON.stringify({ cause: "c" }));
      assertEquals(r.status, 200);
      await r.body?.cancel();
      using jamCause = Noun.from(["d", 0]);
      const wire = encodeURIComponent(JSON.stringify(["timer", 1, 0]));
      r = await fetch(`${server.url}poke?wire=${wire}`, {
        method: "POST",
        headers: { ...auth(server.token), "content-type": "application/x-jam" },
        body: jamCause.jam() as Uint8Array<ArrayBuffer>,
      });
      assertEquals(r.status, 200, await r.clone().text());
      await r.body?.cancel();
      const bad: [string, string, string][] = [
        [JSON.stringify({ wire: ["a", 0], cause: 1 }), `?wire=/x`, "BadWire"],
        [JSON.stringify({ wire: ["a", 0] }), "", "BadNoun"],
        [JSON.stringify({ cause: 1, extra: 2 }), "", "BadNoun"],
        [JSON.stringify({ wire: [true], cause: 1 }), "", "BadNoun"],
        [JSON.stringify(["e", 0]), `?wire=${encodeURIComponent("[1]")}`, "BadWire"],
        [JSON.stringify(["e", 0]), `?wire=${encodeURIComponent("[oops")}`, "BadWire"],
      ];
      for (const [body, query, code] of bad) {
        r = await post(body, query);
        assertEquals(r.status, 400, `${body} ${query}`);
        assertEquals((await r.json()).error.code, code, `${body} ${query}`);
      }
      const peek = await fetch(`${server.url}peek/log`, { headers: auth(server.token) });
      const log = (await peek.json()).value;
      // Newest first: [num wire cause] records.
      assertEquals(log[0], [4, ["timer", 1, 0], "d", 0]);
      assertEquals(log[1], [3, ["poke", "api", 0], "c"]);
      assertEquals(log[2], [2, ["poke", "api", 0], "b", 0]);
      assertEquals(log[3], [1, ["poke", "one-punch", 1, 0], "a", 0]);
    } finally {
      await stopServer(server);
    }
  },
});
