/**
 * The codec's options over real HTTP (docs/HTTP.md, docs/JSON.md): `?as=` and `?lists=` (or
 * the parameters of `Accept: application/json; …`) reach the writer and the peek Workers, so
 * poke and peek answers honour them, `?lists=` also says how a JSON cause reads, and an
 * unknown value is `400 BadOption`.
 *
 * @module
 */

import { Noun } from "../mod.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import { auth, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

async function poke(server: ServerProcess, cause: unknown, query = ""): Promise<unknown> {
  const r = await fetch(`${server.url}poke${query}`, {
    method: "POST",
    headers: { ...auth(server.token), "content-type": "application/json" },
    body: JSON.stringify(cause),
  });
  const body = await r.json();
  assertEquals(r.status, 200, JSON.stringify(body));
  return body.effects;
}

async function peek(
  server: ServerProcess,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${server.url}peek/${path}`, {
    headers: { ...auth(server.token), ...headers },
  });
  return { status: r.status, body: await r.json() };
}

kernelTest({
  name: "http: ?as= and ?lists= shape poke and peek answers, and lists= how a cause reads",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "cellar_json_options_" });
    const server = await startServerProcess(dataDir);
    try {
      // auto: every text atom a string, one-byte cords too (42 is the byte "*"); numbers:
      // none.
      assertEquals(await poke(server, ["put", "n", 42]), [["put", "n"], 0]);
      assertEquals((await peek(server, "get/n")).body.value, "*");
      assertEquals((await peek(server, "get/n?as=numbers")).body.value, 42);
      assertEquals(await poke(server, ["incr", "n", 1]), [["incr", "n", "+"], 0]);
      assertEquals(await poke(server, ["put", "k1", "hi"], "?as=numbers"), [[7632240, 12651], 0]);
      assertEquals((await peek(server, "get/n")).body.value, "+");
      assertEquals((await peek(server, "get/k1?as=numbers")).body.value, 26984);
      assertEquals((await peek(server, "get/k1")).body.value, "hi");
      // lists: the effects list and a stored list, three ways.
      assertEquals(await poke(server, ["del", "k1"], "?lists=object"), { list: [["del", "k1"]] });
      const del = await poke(server, { tuple: ["del", "n"] }, "?lists=array");
      assertEquals(del, [{ tuple: ["del", "n"] }]);
      assertEquals(await poke(server, ["put", "xs", { list: [7, 8] }]), [["put", "xs"], 0]);
      assertEquals((await peek(server, "get/xs")).body.value, [7, 8, 0]);
      assertEquals((await peek(server, "get/xs?lists=array")).body.value, [7, 8]);
      assertEquals((await peek(server, "get/xs?lists=object")).body.value, { list: [7, 8] });
      // ?lists=array reads the cause's plain arrays as lists: [9] is [9 ~], and a plain
      // ["del", "n"] would be [%del 'n' ~], which the kernel refuses.
      const read = await poke(server, { tuple: ["put", "ys", [9]] }, "?lists=array");
      assertEquals(read, [{ tuple: ["put", "ys"] }]);
      assertEquals((await peek(server, "get/ys?as=numbers")).body.value, [9, 0]);
      const listed = await fetch(`${server.url}poke?lists=array`, {
        method: "POST",
        headers: { ...auth(server.token), "content-type": "application/json" },
        body: JSON.stringify(["del", "ys"]),
      });
      assertEquals([listed.status, (await listed.json()).error.code], [422, "KernelCrash"]);
      // The Accept header's parameters, and the query over them; jam as a JSON form.
      const accept = { accept: "application/json; as=auto; lists=array" };
      assertEquals((await peek(server, "get/xs", accept)).body.value, [7, 8]);
      assertEquals((await peek(server, "get/xs?lists=tuple", accept)).body.value, [7, 8, 0]);
      using xs = Noun.from([7, 8, 0]);
      const jam = btoa(String.fromCharCode(...xs.jam()));
      assertEquals((await peek(server, "get/xs?as=jam")).body.value, { jam });
      // An unknown value is refused before anything runs.
      for (const query of ["get/xs?as=cord", "get/xs?lists=set"]) {
        const { status, body } = await peek(server, query);
        assertEquals([status, (body.error as { code: string }).code], [400, "BadOption"]);
      }
      const refused = await fetch(`${server.url}poke?as=nope`, {
        method: "POST",
        headers: { ...auth(server.token), "content-type": "application/json" },
        body: JSON.stringify(["put", "zz", 1]),
      });
      assertEquals([refused.status, (await refused.json()).error.code], [400, "BadOption"]);
      assertEquals((await peek(server, "get/zz")).status, 404);
    } finally {
      await stopServer(server);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
