/**
 * Hostile input, part 3: values whose rendering explodes. DAG bombs (a noun of a few bytes
 * whose tree has 2^64 leaves) and very deep nouns stored in the state, then read back as
 * jam, as JSON through the peek Workers and their watchdog, and printed as text.
 *
 * Each server case asserts its status, that the server still answers, that its memory stays
 * within `rssGrowthMaxMib` of its warmed-up baseline, and that the state is unchanged.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatNoun, Noun, renderTank } from "../mod.ts";
import { RenderBudgetError } from "../src/core/print.ts";
import { assertEquals, assertThrows, jamZeroChain, kernelTest } from "./_helpers.ts";
import {
  assertHealthy,
  get,
  hostileLimits,
  settle,
  startHostile,
  stopHostile,
} from "./_hostile.ts";
import type { Hostile } from "./_hostile.ts";
import { auth } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

/** A DAG of `depth` levels, `[x x]` over `[x x]` ...: 2^depth leaves in depth cells. */
function bomb(depth: number): Noun {
  let n = Noun.atom(0);
  for (let i = 0; i < depth; i++) {
    const next = Noun.cell(n, n);
    n.dispose();
    n = next;
  }
  return n;
}

async function put(server: ServerProcess, key: string, value: Noun): Promise<void> {
  using cause = Noun.from(["put", key, value]);
  const r = await fetch(`${server.url}poke`, {
    method: "POST",
    headers: { ...auth(server.token), "content-type": "application/x-jam" },
    body: cause.jam() as Uint8Array<ArrayBuffer>,
  });
  assertEquals(r.status, 200, await r.text());
}

async function setup(server: ServerProcess): Promise<void> {
  using b64 = bomb(64);
  using b20 = bomb(20);
  using b18 = bomb(18);
  using deep = Noun.cue(jamZeroChain(200_000, "left"));
  using deepRight = Noun.cue(jamZeroChain(200_000, "right"));
  await put(server, "bomb64", b64);
  await put(server, "bomb20", b20);
  await put(server, "bomb18", b18);
  await put(server, "deep", deep);
  await put(server, "deepright", deepRight);
}

async function errorCode(r: Response): Promise<string> {
  const body = await r.json();
  return body.error?.code;
}

/** The restarts the server counted, by reason. */
async function restarts(h: Hostile): Promise<Record<string, number>> {
  const text = await (await get(h.server, "metrics")).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/cellar_peek_worker_restarts_total\{reason="(\w+)"\} (\d+)/g)) {
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Time until the watchdog answers: the peek limit plus the grace, plus slack. */
const watchdogMs = hostileLimits.peekTimeoutMs + 1000;

kernelTest("hostile render: bombs and deep values through jam, JSON and the watchdog", async () => {
  const h = await startHostile(setup);
  try {
    // 1. A 2^64-leaf bomb as jam: its 127 bytes, at once.
    let started = performance.now();
    let r = await get(h.server, "peek/get/bomb64?format=jam");
    assertEquals(r.status, 200);
    assertEquals((await r.arrayBuffer()).byteLength, 127);
    assert(performance.now() - started < 1000);
    await assertHealthy(h, "bomb as jam");

    // 2. A 2^20-leaf value as JSON passes the codec's node budget: 413 at once, pointing to
    // the jam form, long before the watchdog (which no render within the budgets reaches).
    const before = await restarts(h);
    started = performance.now();
    r = await get(h.server, "peek/get/bomb20");
    const ms = performance.now() - started;
    assertEquals([r.status, await errorCode(r)], [413, "ResponseTooLarge"]);
    assert(ms < watchdogMs, `answered after ${ms} ms`);
    assertEquals(await restarts(h), before, "no peek Worker was stopped");
    await assertHealthy(h, "JSON render past the budget");

    // 3. Eight at once (2^18 leaves each): each answered within a bounded time, rendered
    // (200) or stopped (503); peeks work again once the stopped Workers end.
    started = performance.now();
    const many = await Promise.all(
      Array.from({ length: 8 }, () => get(h.server, "peek/get/bomb18")),
    );
    for (const m of many) {
      const code = m.status === 200 ? "value" : await errorCode(m);
      if (m.status === 200) await m.body?.cancel();
      assert(["value", "PeekTimeout", "NotReady", "Recovering"].includes(code), code);
    }
    // Each waits at most for the peeks queued before it, each stopped by the watchdog.
    const ms8 = performance.now() - started;
    assert(ms8 < 8 * watchdogMs + 10_000, `eight slow peeks took ${ms8} ms`);
    await settle(h);
    await assertHealthy(h, "eight slow JSON renders");

    // 4. The jam of a value nested 200,000 deep (left and right) is served as it is.
    for (const key of ["deep", "deepright"]) {
      r = await get(h.server, `peek/get/${key}?format=jam`);
      assertEquals(r.status, 200, key);
      assert((await r.arrayBuffer()).byteLength > 20_000);
      await assertHealthy(h, `${key} as jam`);
    }
  } finally {
    await stopHostile(h);
  }
});

Deno.test("hostile render: text printing of a DAG bomb is bounded in nodes and bytes", () => {
  using b = bomb(64);
  // Cut by length: quick.
  let started = performance.now();
  assertEquals(formatNoun(b).length, 100_001);
  assert(performance.now() - started < 2000);
  // No length cut: the node budget stops it with a clear error.
  started = performance.now();
  const nodes = assertThrows(
    () => formatNoun(b, { maxLength: Infinity, maxNodes: 200_000 }),
    RenderBudgetError,
    "more than 200000 nodes",
  );
  assert(nodes.message.includes("jam"), nodes.message);
  assert(performance.now() - started < 2000);
  // Or the byte budget, whichever comes first.
  assertThrows(
    () => formatNoun(b, { maxLength: Infinity, maxBytes: 10_000 }),
    RenderBudgetError,
    "passes 10000 bytes",
  );
  // A tank renderer given a bomb prints it cut, as a raw noun.
  assertEquals(renderTank(b, { maxLength: 50 }).length, 51);
  // Deep nouns print without recursion, cut by length.
  using deep = Noun.cue(jamZeroChain(200_000, "left"));
  assertEquals(formatNoun(deep, { maxLength: 20 }), "[".repeat(20) + "…");
  assertThrows(() => formatNoun(deep, { maxLength: Infinity, maxNodes: 1000 }), RenderBudgetError);
});

/**
 * Rendering budgets of the JSON codec (src/core/json.ts, other work of issue 12): these
 * cases run once the peek Worker renders with it.
 */
kernelTest({
  name: "hostile render: a bomb or a 200,000-deep value as JSON: a clear 4xx or the value, fast",
  fn: async () => {
    const h = await startHostile(setup);
    try {
      for (const key of ["bomb64", "deep", "deepright"]) {
        const started = performance.now();
        const r = await get(h.server, `peek/get/${key}`);
        const body = await r.json();
        if (key === "deepright" && r.status === 200) {
          // Nested through tails, it is a flat list: the codec writes it whole, no recursion.
          assertEquals(body.value.length, 200_001);
        } else {
          const shown = JSON.stringify(body).slice(0, 300);
          assert(r.status >= 400 && r.status < 500, `${key}: ${r.status} ${shown}`);
        }
        assert(!String(body.error?.message).includes("suppressed"), body.error?.message);
        if (key === "bomb64") assert(String(body.error?.message).includes("format=jam"));
        assert(performance.now() - started < watchdogMs, `${key}: not the watchdog`);
        await settle(h);
        await assertHealthy(h, `${key} as JSON`);
      }
    } finally {
      await stopHostile(h);
    }
  },
});
