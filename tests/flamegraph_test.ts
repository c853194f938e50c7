/**
 * The flame-graph renderer: frames as wide as their share, bottom-up, escaped, and within
 * the frame budget.
 */

import assert from "node:assert/strict";
import { renderFlameGraph } from "../mod.ts";
import { assertEquals } from "./_helpers.ts";

/** `[name, x, width]` of every frame drawn. */
function frames(svg: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (
    const m of svg.matchAll(
      /<title>([^<]*) \(\d+ us[^<]*<\/title><rect x="([\d.]+)" y="\d+" width="([\d.]+)"/g,
    )
  ) {
    out.push([m[1], Number(m[2]), Number(m[3])]);
  }
  return out;
}

Deno.test("flamegraph: frames are as wide as their share of the total", () => {
  const svg = renderFlameGraph("main;parse 30\nmain;eval 60\nmain;eval;add 10\nidle 0\n", {
    width: 1020,
  });
  assert(svg.startsWith("<?xml"));
  const drawn = new Map(frames(svg).map(([name, x, w]) => [name, [x, w]]));
  assertEquals(drawn.get("all"), [10, 1000]);
  assertEquals(drawn.get("main"), [10, 1000]);
  assertEquals(drawn.get("eval"), [10, 700]);
  assertEquals(drawn.get("parse"), [710, 300]);
  assertEquals(drawn.get("add"), [10, 100]);
  assert(!drawn.has("idle"));
});

Deno.test("flamegraph: names are escaped and the frame budget holds", () => {
  const svg = renderFlameGraph('a<b>&"c" 5\n');
  assert(svg.includes("a&lt;b&gt;&amp;&quot;c&quot;"));
  assert(!svg.includes("a<b>"));
  const lines = Array.from({ length: 2000 }, (_, i) => `root;f${i} ${i + 1}`).join("\n");
  const budgeted = renderFlameGraph(lines, { maxFrames: 100 });
  assertEquals(frames(budgeted).length, 100);
  // Frames narrower than the minimum width are dropped.
  const narrow = renderFlameGraph("big 1000000\ntiny 1\n", { minWidth: 1 });
  assertEquals(frames(narrow).map(([name]) => name).sort(), ["all", "big"]);
  assertEquals(frames(renderFlameGraph("")).length, 1);
});
