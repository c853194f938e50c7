/**
 * docs/JETS.md's inventory is what tools/jet_inventory.ts makes of the ivory pill, Cellar's
 * jet table and tools/jet_peers.json (regenerate it after adding a family). Needs the pill;
 * skipped, and named so, without it.
 */

import assert from "node:assert/strict";
import { findPill } from "../src/cli/_pill.ts";
import {
  familyOf,
  inventoryMarkdown,
  inventoryRows,
  withInventory,
} from "../tools/jet_inventory.ts";
import { endMarker, startMarker } from "../tools/jet_inventory.ts";
import { assertEquals } from "./_helpers.ts";

const pill = findPill();

Deno.test({
  name: `jet inventory: docs/JETS.md is current${pill === null ? " (skipped: no ivory pill)" : ""}`,
  ignore: pill === null,
  async fn() {
    // A process of its own: this one's dashboard holds other tests' registrations.
    const tool = new URL("../tools/jet_inventory.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", tool, "--pill", pill!, "--check"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, text);
    assert(text.includes("docs/JETS.md is current"), text);
  },
});

Deno.test("jet inventory: rows, families and counts", () => {
  const rows = inventoryRows(new Set(["one/add", "one/two", "one/two/by/put"]), {
    urbit: ["one/add", "one/two/by/put"],
    nockvm: ["one/add"],
  });
  const add = rows.find((r) => r.path === "one/add")!;
  assertEquals([add.pill, add.cellar, add.urbit, add.nockvm], [true, "native", true, true]);
  const put = rows.find((r) => r.path === "one/two/by/put")!;
  assertEquals([put.family, put.urbit, put.nockvm], ["maps (by)", true, false]);
  // A layer core (`one/two`) is not an arm.
  assert(!rows.some((r) => r.path === "one/two"));
  assertEquals(familyOf("one/two/tri/qua/pen/ut/mint"), "type engine (ut)");
  assertEquals(familyOf("one/two/tri/rd/add"), "floats");
  const markdown = inventoryMarkdown(rows);
  assert(markdown.includes("| `one/add` | yes | native | yes | yes |"), markdown);
  const doc = withInventory(`a\n${startMarker}\nold\n${endMarker}\nb`, "new");
  assertEquals(doc, `a\n${startMarker}\nnew\n${endMarker}\nb`);
});
