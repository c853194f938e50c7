/**
 * The jet table as data: the built-in table, runtime additions (`addJets`, `--jets FILE`,
 * `Runtime.open({ jets })`), strict checking, and known cores that register a kernel jammed
 * after its root's `%fast` hint ran.
 */

import assert from "node:assert/strict";
import {
  addedJetTable,
  addJets,
  ArgumentError,
  builtinJetTable,
  handleCount,
  jetEntries,
  jetReport,
  jetStats,
  nock,
  Noun,
  parseJetTable,
  Runtime,
} from "../mod.ts";
import { assertEquals, runCli } from "./_helpers.ts";
import { parseServeArgs } from "../src/server/main.ts";
import { findPill } from "../src/cli/_pill.ts";
import { resolveSettings, ServerStartError } from "../src/server/options.ts";

handleCount(); // Load the library outside any test (resource sanitizer).

const dir = Deno.makeTempDirSync({ prefix: "cellar_jet_table_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

Deno.test("jet table: the built-in table lists paths, entries and known cores", () => {
  const table = builtinJetTable();
  assert(table.jets!.some((m) => m.path === "k140/one/add" && m.jet === "add"));
  assert(table.jets!.some((m) => m.path === "cellar-kv/put" && m.jet === "put"));
  assert(table.cores!.some((c) => c.path === "k139" && c.payload === 139));
  const entries = new Set(jetEntries());
  for (const { jet } of table.jets!) assert(entries.has(jet), jet);
  // Its JSON form is what --jets reads.
  assertEquals(parseJetTable(JSON.stringify(table), "builtin").jets!.length, table.jets!.length);
});

Deno.test("jet table: a bad table names the field and adds nothing", () => {
  const before = JSON.stringify(addedJetTable());
  const bad: [unknown, string][] = [
    [{ jets: [{ path: "t1/a", jet: "add" }, { path: "t1/b", jet: "nosuch" }] }, "jets[1].jet"],
    [{ jets: [{ path: "t1//a", jet: "add" }] }, "jets[0].path"],
    [{ jets: [{ path: "t1/a", jet: "add", extra: 1 }] }, "jets[0].extra"],
    [
      { cores: [{ path: "t1", parentAxis: 0, batteryMug: "xyz", batterySha256: "" }] },
      "cores[0].batteryMug",
    ],
    [
      { cores: [{ path: "t1", parentAxis: 0, batteryMug: "0000abcd", batterySha256: "0a" }] },
      "cores[0].batterySha256",
    ],
    [{
      cores: [{ path: "t1", parentAxis: 1, batteryMug: "0000abcd", batterySha256: "0".repeat(64) }],
    }, "cores[0].parentAxis"],
    [{ jet: [] }, "the table.jet"],
  ];
  for (const [table, field] of bad) {
    assert.throws(
      () => addJets(table as never),
      (e: Error) => e instanceof ArgumentError && e.message.includes(`${field}:`),
      field,
    );
  }
  // A path already mapped to another entry is refused by the library, again all or none.
  assert.throws(
    () => addJets({ jets: [{ path: "t1/ok", jet: "add" }, { path: "k140/one/add", jet: "sub" }] }),
    /k140\/one\/add already runs add, not sub/,
  );
  assertEquals(JSON.stringify(addedJetTable()), before);
  assert.throws(() => parseJetTable('{"jets": [}', "x.json"), /Bad jet table x\.json: /);
});

Deno.test("jet table: additions are kept once and seen by Workers", async () => {
  const mapping = { path: "jtabletest/k1/add", jet: "add" };
  assertEquals(addJets({ jets: [mapping] }), 1);
  assertEquals(addJets({ jets: [mapping] }), 0);
  assert(addedJetTable().jets!.some((m) => m.path === mapping.path));
  const mod = new URL("../mod.ts", import.meta.url).href;
  const source = `import { addedJetTable } from "${mod}";
self.postMessage(addedJetTable().jets.map((m) => m.path));`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    const paths = await new Promise<string[]>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(event.message);
    });
    assert(paths.includes(mapping.path));
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("jet table: Runtime.open checks its jets before creating anything", () => {
  const dataDir = `${dir}/runtime`;
  assert.throws(
    () => Runtime.open({ dataDir, jets: { jets: [{ path: "rt/x", jet: "nosuch" }] } }),
    /jets\[0\]\.jet: unknown native entry/,
  );
  assert.throws(() => Deno.statSync(dataDir), Deno.errors.NotFound);
  using runtime = Runtime.open({ dataDir, jets: { jets: [{ path: "rt/k1/dec", jet: "dec" }] } });
  assert(addedJetTable().jets!.some((m) => m.path === "rt/k1/dec"));
  assertEquals(runtime.eventNumber, 0n);
});

/** Hoon's jetless decrement gate (as in the corpus's decfast.jam). */
const decArm = [
  6,
  [5, [1, 0], 0, 6],
  [0, 0],
  8,
  [1, 0],
  8,
  [1, 6, [5, [0, 30], 4, 0, 6], [0, 6], 9, 2, 10, [6, 4, 0, 6], 0, 1],
  9,
  2,
  0,
  1,
];

/**
 * A root core `[battery 7]` whose %fast hint ran elsewhere (it is a constant here), whose
 * arm registers a decrement gate under it as `%jtest` (parent at axis 7), which is then
 * called on `n`. Its battery, for the known core.
 */
function preRegistered(n: number): { formula: Noun; battery: Noun } {
  const battery = [7, [8, [1, 0], [1, decArm], 0, 1], 11, ["fast", 1, "jtest", [0, 7], 0], 0, 1];
  const formula = Noun.from([
    7,
    [1, 7],
    8,
    [1, battery],
    8,
    [9, 2, 0, 1],
    9,
    2,
    10,
    [6, 7, [0, 3], 1, n],
    0,
    2,
  ]);
  return { formula, battery: Noun.from(battery) };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("jet table: a known core from --jets makes a pre-registered kernel's hints match", async () => {
  const { formula, battery } = preRegistered(1_000_000);
  using _f = formula;
  using _b = battery;
  const mug = battery.mug.toString(16).padStart(8, "0");
  const sha = await sha256Hex(battery.jam());
  // In this process: the hint is dropped, counted and reported with the parent's battery.
  const before = jetStats();
  const small = preRegistered(10);
  small.battery.dispose();
  using _sf = small.formula;
  using zero = Noun.atom(0);
  using product = nock(zero, small.formula);
  assertEquals(product.toNumber(), 9);
  const after = jetStats();
  assertEquals(after.droppedUnknownParent - before.droppedUnknownParent, 1);
  assert(jetReport().includes(`unknown parent axis=7 mug=${mug} sha256=${sha}\n`), jetReport());
  // The CLI, without and with the table: 10^6 decrements do not fit in 10^4 steps unjetted.
  const jam = `${dir}/pre.jam`;
  using pair = Noun.cell(0, formula);
  Deno.writeFileSync(jam, pair.jam());
  const without = await runCli(["nock", "--steps", "10000", jam], [dir]);
  assertEquals(without.code, 1);
  assert(without.stderr.includes("%intr"), without.stderr);
  const jets = `${dir}/jets.json`;
  Deno.writeTextFileSync(
    jets,
    JSON.stringify({
      jets: [{ path: "jtest-root/jtest", jet: "dec" }],
      cores: [{
        path: "jtest-root",
        parentAxis: 0,
        payload: 7,
        batteryMug: mug,
        batterySha256: sha,
      }],
    }),
  );
  const withJets = await runCli(["nock", "--steps", "10000", "--jets", jets, jam], [dir]);
  assertEquals([withJets.code, withJets.stdout, withJets.stderr], [0, "999999\n", ""]);
});

Deno.test("jet table: a bad --jets file fails naming the field, before running", async () => {
  const jets = `${dir}/bad.json`;
  Deno.writeTextFileSync(
    jets,
    JSON.stringify({ jets: [{ path: "a/b", jet: "add" }, { path: "a/c" }] }),
  );
  const result = await runCli(["nock", "--jets", jets, `${dir}/missing.jam`], [dir]);
  assertEquals(result.code, 1);
  assert(
    result.stderr.includes(`Bad jet table ${jets}: jets[1].jet: unknown native entry`),
    result.stderr,
  );
  const check = await runCli(["jets", "check", jets], [dir]);
  assertEquals(check.code, 1);
  const list = await runCli(["jets", "list", "--json"]);
  assertEquals(list.code, 0);
  const table = parseJetTable(list.stdout, "list");
  assert(table.jets!.some((m) => m.path === "k138/one/two/turn" && m.jet === "turn"));
});

Deno.test("jet table: serve's --jets is checked before the data directory is made", () => {
  const parsed = parseServeArgs(["--jets", "j.json"]);
  assert(parsed.kind === "serve");
  assertEquals(parsed.options.jetsPath, "j.json");
  const jets = `${dir}/serve-bad.json`;
  Deno.writeTextFileSync(jets, JSON.stringify({ cores: [{ path: "x", parentAxis: 0 }] }));
  const dataDir = `${dir}/serve-data`;
  assert.throws(
    () => resolveSettings({ dataDir, jetsPath: jets }),
    (e: Error) => e instanceof ServerStartError && e.message.includes("cores[0].batteryMug"),
  );
  assert.throws(() => Deno.statSync(dataDir), Deno.errors.NotFound);
  const good = `${dir}/serve-good.json`;
  Deno.writeTextFileSync(good, JSON.stringify({ jets: [{ path: "srv/k1/mul", jet: "mul" }] }));
  resolveSettings({ dataDir, jetsPath: good });
  assert(addedJetTable().jets!.some((m) => m.path === "srv/k1/mul"));
});

Deno.test("jet table: boot --jets with a bad table creates nothing", async () => {
  const kernel = new URL("../kernels/kv.jam", import.meta.url).pathname;
  const jets = `${dir}/boot-bad.json`;
  Deno.writeTextFileSync(jets, JSON.stringify({ jets: [{ path: "a b", jet: "add" }] }));
  const data = `${dir}/boot-data`;
  const result = await runCli(["boot", kernel, "--data", data, "--jets", jets], [dir, kernel]);
  assertEquals(result.code, 1, result.stderr);
  assert(result.stderr.includes("jets[0].path: bad path"), result.stderr);
  assert.throws(() => Deno.statSync(data), Deno.errors.NotFound);
});

const pill = findPill();

Deno.test({
  name: `jet table: hoon -v counts registrations, unmatched and dropped hints${
    pill === null ? " (skipped: no ivory pill)" : ""
  }`,
  ignore: pill === null,
  async fn() {
    const result = await runCli(["hoon", "--pill", pill!, "-v", "(add 2 2)"], [pill!]);
    assertEquals([result.code, result.stdout], [0, "4\n"], result.stderr);
    assert(
      /\njets: \d+ registrations, \d+ unmatched, 0 dropped \(0 with an unknown parent\)\n/
        .test(result.stderr),
      result.stderr,
    );
  },
});
