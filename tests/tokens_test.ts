import assert from "node:assert/strict";
import { ArgumentError, handleCount } from "../mod.ts";
import {
  allows,
  constantTimeEqual,
  parseScopes,
  TokenStore,
  TokenStoreError,
} from "../src/server/tokens.ts";
import { assertEquals, assertThrows } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

const root = Deno.makeTempDirSync({ prefix: "cellar_tokens_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
let dirs = 0;
function freshDir(): string {
  const dir = `${root}/d${dirs++}`;
  Deno.mkdirSync(dir);
  return dir;
}

Deno.test("tokens: create stores a hash, never the token or its secret", () => {
  const dir = freshDir();
  const store = TokenStore.open(dir);
  assertEquals(store.list(), []);
  const { id, token } = store.create(["poke", "peek"], "my app");
  assert(/^cellar_[0-9a-f]{12}_[0-9a-f]{64}$/.test(token), token);
  assertEquals(token.slice(7, 19), id);
  const secret = token.slice(20);
  const text = Deno.readTextFileSync(`${dir}/tokens.json`);
  assert(!text.includes(secret), "the secret is in the file");
  assert(!text.includes(token), "the token is in the file");
  const file = JSON.parse(text);
  assertEquals(file.format, "cellar-tokens-1");
  assertEquals(file.tokens.length, 1);
  assert(/^[0-9a-f]{64}$/.test(file.tokens[0].hash));
  assert(!secret.includes(file.tokens[0].hash) && file.tokens[0].hash !== secret);
  assertEquals((Deno.statSync(`${dir}/tokens.json`).mode ?? 0) & 0o777, 0o600);
  const [listed] = store.list();
  assertEquals([listed.id, listed.label, listed.scopes], [id, "my app", ["peek", "poke"]]);
  assert(!("hash" in listed));
  // No temp files are left beside it.
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["tokens.json"]);
});

Deno.test("tokens: verify accepts the token and rejects anything else", () => {
  const store = TokenStore.open(freshDir());
  const a = store.create(["peek"]);
  const b = store.create(["admin"], "ops");
  assertEquals(store.verify(a.token), { id: a.id, scopes: ["peek"] });
  assertEquals(store.verify(b.token), { id: b.id, scopes: ["admin"] });
  // One hex digit of the secret changed.
  const last = a.token.at(-1)!;
  const wrong = a.token.slice(0, -1) + (last === "0" ? "1" : "0");
  assertEquals(store.verify(wrong), null);
  // a's secret under b's id.
  assertEquals(store.verify(`cellar_${b.id}_${a.token.slice(20)}`), null);
  // An unknown id, malformed tokens.
  assertEquals(store.verify(`cellar_000000000000_${a.token.slice(20)}`), null);
  for (const bad of ["", "cellar_", a.token + "0", a.token.slice(0, -1), a.token.toUpperCase()]) {
    assertEquals(store.verify(bad), null, bad);
  }
  assertEquals(store.verify(42 as unknown as string), null);
  // Another store opened on the same directory reads the same tokens.
  assertEquals(TokenStore.open(store.dataDir).verify(b.token)?.id, b.id);
});

Deno.test("tokens: revoke removes a token; unknown ids are reported", () => {
  const store = TokenStore.open(freshDir());
  const a = store.create(["poke"]);
  const b = store.create(["peek"]);
  assertEquals(store.revoke(a.id), true);
  assertEquals(store.verify(a.token), null);
  assertEquals(store.verify(b.token)?.id, b.id);
  assertEquals(store.revoke(a.id), false);
  assertEquals(store.revoke("nope"), false);
  assertEquals(store.list().map((t) => t.id), [b.id]);
  assertEquals(TokenStore.open(store.dataDir).list().map((t) => t.id), [b.id]);
});

Deno.test("tokens: reload picks up another process's changes, and only then", () => {
  const dir = freshDir();
  const server = TokenStore.open(dir);
  const cli = TokenStore.open(dir);
  const a = cli.create(["peek", "poke"], "added later");
  assertEquals(server.verify(a.token), null);
  server.reload();
  assertEquals(server.verify(a.token), { id: a.id, scopes: ["peek", "poke"] });
  server.reload(); // unchanged: still there
  assertEquals(server.verify(a.token)?.id, a.id);
  TokenStore.open(dir).revoke(a.id);
  assertEquals(server.verify(a.token)?.id, a.id);
  server.reload();
  assertEquals(server.verify(a.token), null);
  // A deleted file revokes everything.
  const b = cli.create(["peek"]);
  server.reload();
  assertEquals(server.verify(b.token)?.id, b.id);
  Deno.removeSync(`${dir}/tokens.json`);
  server.reload();
  assertEquals(server.verify(b.token), null);
  assertEquals(server.list(), []);
});

Deno.test("tokens: create and revoke keep tokens other stores wrote meanwhile", () => {
  const dir = freshDir();
  const one = TokenStore.open(dir);
  const two = TokenStore.open(dir);
  const a = one.create(["peek"]);
  const b = two.create(["poke"]); // two has not reloaded, but create reloads first
  assertEquals(TokenStore.open(dir).list().map((t) => t.id).sort(), [a.id, b.id].sort());
  assertEquals(one.revoke(b.id), true);
  assertEquals(TokenStore.open(dir).list().map((t) => t.id), [a.id]);
});

Deno.test("tokens: bad scopes and labels are refused and change nothing", () => {
  const dir = freshDir();
  const store = TokenStore.open(dir);
  assertThrows(() => store.create([]), ArgumentError, "at least one scope");
  assertThrows(() => store.create(["root" as "admin"]), ArgumentError, "Unknown scope 'root'");
  assertThrows(() => store.create(["peek"], "a\nb"), ArgumentError, "label");
  assertThrows(() => store.create(["peek"], "x".repeat(201)), ArgumentError, "label");
  assertThrows(() => Deno.statSync(`${dir}/tokens.json`), Deno.errors.NotFound);
  assertEquals(parseScopes("poke, peek,poke"), ["peek", "poke"]);
  assertThrows(() => parseScopes(" , "), ArgumentError);
  assertThrows(() => TokenStore.open(""), ArgumentError);
});

Deno.test("tokens: allows — admin allows everything, otherwise the scope itself", () => {
  assertEquals(allows(["peek"], "peek"), true);
  assertEquals(allows(["peek"], "poke"), false);
  assertEquals(allows(["peek"], "admin"), false);
  assertEquals(allows(["poke"], "peek"), false);
  assertEquals(allows(["peek", "poke"], "admin"), false);
  for (const needed of ["peek", "poke", "admin"] as const) {
    assertEquals(allows(["admin"], needed), true);
  }
  assertEquals(allows([], "peek"), false);
});

Deno.test("tokens: constantTimeEqual compares whole byte strings", () => {
  const a = crypto.getRandomValues(new Uint8Array(32));
  assertEquals(constantTimeEqual(a, a.slice()), true);
  for (const i of [0, 1, 15, 31]) {
    const b = a.slice();
    b[i] ^= 0x80;
    assertEquals(constantTimeEqual(a, b), false, `differs at ${i}`);
  }
  assertEquals(constantTimeEqual(a, a.subarray(0, 31)), false);
  assertEquals(constantTimeEqual(a.subarray(0, 31), a), false);
  // A longer string whose extra bytes are zero is still different.
  const padded = new Uint8Array(33);
  padded.set(a);
  assertEquals(constantTimeEqual(a, padded), false);
  assertEquals(constantTimeEqual(new Uint8Array(), new Uint8Array()), true);
});

Deno.test("tokens: a malformed file is an error naming it, and reload keeps the old tokens", () => {
  const dir = freshDir();
  const path = `${dir}/tokens.json`;
  const store = TokenStore.open(dir);
  const a = store.create(["peek"]);
  const good = Deno.readTextFileSync(path);
  const cases: [string, string][] = [
    ["{ not json", "is not valid JSON"],
    ["[]", "is not a JSON object"],
    [JSON.stringify({ format: "other", tokens: [] }), "format"],
    [JSON.stringify({ format: "cellar-tokens-1" }), "no tokens array"],
    [JSON.stringify({ format: "cellar-tokens-1", tokens: [{ id: "x" }] }), "token 1"],
  ];
  const record = JSON.parse(good).tokens[0];
  cases.push([
    JSON.stringify({ format: "cellar-tokens-1", tokens: [record, record] }),
    "appears twice",
  ]);
  cases.push([
    JSON.stringify({ format: "cellar-tokens-1", tokens: [{ ...record, scopes: ["root"] }] }),
    "token 1",
  ]);
  for (const [text, includes] of cases) {
    Deno.writeTextFileSync(path, text);
    const error = assertThrows(() => TokenStore.open(dir), TokenStoreError, includes);
    assert(error.message.includes(path), error.message);
    assertThrows(() => store.reload(), TokenStoreError, includes);
    // The store keeps what it read before.
    assertEquals(store.verify(a.token)?.id, a.id);
    assertThrows(() => store.create(["poke"]), TokenStoreError);
  }
  Deno.writeTextFileSync(path, good);
  store.reload();
  assertEquals(store.verify(a.token)?.id, a.id);
});
