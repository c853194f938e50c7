/**
 * The CLI's data-directory commands, each run in a subprocess with the permissions the
 * `cellar` script grants (see {@linkcode runCellar}). The tests share one data directory and
 * run in order.
 */

import assert from "node:assert/strict";
import { handleCount, Noun, Pma } from "../mod.ts";
import { FileLock } from "../src/runtime/files.ts";
import { libraryLocation } from "../src/core/ffi.ts";
import { TokenStore } from "../src/server/tokens.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

const root = Deno.makeTempDirSync({ prefix: "cellar_cli_runtime_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const data = `${root}/data`;
const kernel = decodeURIComponent(new URL("../kernels/kv.jam", import.meta.url).pathname);
const cliPath = decodeURIComponent(new URL("../src/cli/main.ts", import.meta.url).pathname);
const library = (() => {
  const location = libraryLocation();
  return location instanceof URL ? decodeURIComponent(location.pathname) : location;
})();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

/**
 * Run the CLI as the `cellar` script runs a data-directory command: FFI of the library only;
 * read access to the library, the files named on the command line and the data directory;
 * write access to the data directory (and, for `export`, the folder of --out); env
 * CELLAR_LIB and NO_COLOR.
 */
async function runCellar(
  args: string[],
  scope: { data?: string; read?: string[]; write?: string[] } = {},
): Promise<Result> {
  const dir = scope.data ?? data;
  const permissions = [
    "--no-prompt",
    `--allow-ffi=${library}`,
    `--allow-read=${[library, dir, ...(scope.read ?? [])].join(",")}`,
    `--allow-write=${[dir, ...(scope.write ?? [])].join(",")}`,
    "--allow-env=CELLAR_LIB,NO_COLOR",
  ];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, cliPath, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    bytes: output.stdout,
  };
}

function expect(result: Result, code: number, what: string): void {
  assertEquals(
    result.code,
    code,
    `${what}: exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  );
}

const commands = [
  "boot",
  "poke",
  "peek",
  "status",
  "snapshot",
  "gc",
  "verify",
  "export",
  "import",
  "token",
  "serve",
];

kernelTest("cli runtime: --help on every command, and the top help lists them", async () => {
  const top = await runCellar(["--help"]);
  expect(top, 0, "--help");
  for (const name of commands) assert(top.stdout.includes(`  ${name} `), name);
  assert(top.stdout.includes("--data DIR (default: 'data'"), top.stdout);
  for (const name of commands) {
    const result = await runCellar([name, "--help"]);
    expect(result, 0, `${name} --help`);
    assert(/^Usage: (\.\/)?cellar /.test(result.stdout), result.stdout);
    if (name !== "serve") assert(result.stdout.includes("--data"), name);
  }
});

kernelTest("cli runtime: bad usage exits 2 with a pointer to --help", async () => {
  for (
    const args of [
      ["boot"],
      ["boot", "a.jam", "b.jam"],
      ["poke"],
      ["poke", "--json", "[1]", "put", "x"],
      ["poke", "--json", "[1]"],
      ["poke", "--json", '{"a": 1}'],
      ["poke", "--json", "-1"],
      ["poke", "--wire", "//", "x"],
      ["peek"],
      ["peek", "/a", "/b"],
      ["status", "extra"],
      ["snapshot", "--bogus"],
      ["gc", "now"],
      ["verify", "x"],
      ["export"],
      ["import"],
      ["token"],
      ["token", "frob"],
      ["token", "create"],
      ["token", "create", "--scope", "root"],
      ["token", "list", "--scope", "peek"],
      ["token", "revoke"],
      ["token", "revoke", "a", "b"],
      ["token", "create", "--scope"],
      ["status", "--data"],
      ["peek", "--bogus", "/x"],
      ["poke", "--jam"],
      ["export", "--out"],
      ["import", "a.jam", "b.jam"],
      ["gc", "--epoch"],
    ]
  ) {
    const result = await runCellar(args);
    expect(result, 2, args.join(" "));
    assert(result.stderr.includes("--help"), result.stderr);
    // One line, no stack trace.
    assert(/^cellar [a-z]+: [^\n]+\n$/.test(result.stderr), `${args.join(" ")}: ${result.stderr}`);
  }
});

kernelTest("cli runtime: commands on a missing data directory fail clearly", async () => {
  for (
    const args of [
      ["poke", "x"],
      ["peek", "/count"],
      ["status"],
      ["snapshot"],
      ["gc"],
      ["verify"],
      ["export", "--out", `${root}/x.jam`],
      ["token", "list"],
    ]
  ) {
    const result = await runCellar([...args, "--data", data]);
    expect(result, 1, args.join(" "));
    assert(result.stderr.includes(`No data directory at ${data}`), result.stderr);
  }
  assertEquals([...Deno.readDirSync(root)].length, 0);
  // A --data that is a file is not a data directory either (one line, no stack trace).
  const file = `${root}/file`;
  Deno.writeTextFileSync(file, "not a directory");
  try {
    const result = await runCellar(["status", "--data", file], { data: file });
    expect(result, 1, "status --data FILE");
    assert(/^cellar status: No data directory at [^\n]+\n$/.test(result.stderr), result.stderr);
  } finally {
    Deno.removeSync(file);
  }
});

kernelTest("cli runtime: boot creates the directory, then reports level 1", async () => {
  const first = await runCellar(["boot", kernel, "--data", data], { read: [kernel] });
  expect(first, 0, "boot");
  assert(first.stdout.includes("boot: level 0 (new)"), first.stdout);
  assert(first.stdout.includes("event: 0"), first.stdout);
  const again = await runCellar(["boot", kernel, "--data", data], { read: [kernel] });
  expect(again, 0, "boot again");
  assert(again.stdout.includes("boot: level 1 (pma)"), again.stdout);
  const bad = await runCellar(["boot", `${root}/absent.jam`, "--data", data], { read: [root] });
  expect(bad, 1, "boot of a missing kernel");
  assertEquals(bad.stderr, `cellar boot: not found: ${root}/absent.jam\n`);
});

kernelTest(
  "cli runtime: poke with words and --json; a crash exits 1 and logs nothing",
  async () => {
    const put = await runCellar(["poke", "--data", data, "put", "greeting", "hello"]);
    expect(put, 0, "poke put");
    assert(put.stdout.startsWith("event: 1\n"), put.stdout);
    const json = await runCellar([
      "poke",
      "--data",
      data,
      "--text",
      "--wire",
      "/cli/test",
      "--json",
      '["incr", "hits", 5]',
    ]);
    expect(json, 0, "poke --json");
    assertEquals(json.stdout, "event: 2\neffects: [['incr' 'hits' 5] 0]\n");
    const crash = await runCellar(["poke", "--data", data, "del", "absent"]);
    expect(crash, 1, "poke del absent");
    assert(crash.stderr.includes("kv-del-absent"), crash.stderr);
    const after = await runCellar(["poke", "--data", data, "incr", "hits", "2"]);
    expect(after, 0, "poke incr");
    assert(after.stdout.startsWith("event: 3\n"), after.stdout);
    // A cause from a jam file.
    const cause = `${root}/cause.jam`;
    using noun = Noun.from(["put", "n", 42]);
    Deno.writeFileSync(cause, noun.jam());
    const fromJam = await runCellar(["poke", "--data", data, "--jam", cause], { read: [cause] });
    expect(fromJam, 0, "poke --jam");
    assert(fromJam.stdout.startsWith("event: 4\n"), fromJam.stdout);
  },
);

kernelTest("cli runtime: peek prints values, ~ and [~ ~], and jams", async () => {
  const text = await runCellar(["peek", "--data", data, "--text", "/get/greeting"]);
  expect(text, 0, "peek --text");
  assertEquals(text.stdout, "'hello'\n");
  const hits = await runCellar(["peek", "--data", data, "/get/hits"]);
  assertEquals(hits.stdout, "7\n");
  const number = await runCellar(["peek", "--data", data, "/get/n"]);
  assertEquals(number.stdout, "42\n");
  const unknown = await runCellar(["peek", "--data", data, "/nope"]);
  expect(unknown, 0, "peek unknown");
  assertEquals(unknown.stdout, "~\n");
  const empty = await runCellar(["peek", "--data", data, "/get/absent"]);
  assertEquals(empty.stdout, "[~ ~]\n");
  const jam = await runCellar(["peek", "--data", data, "--jam", "/get/greeting"]);
  expect(jam, 0, "peek --jam");
  using hello = Noun.cord("hello");
  assertEquals(jam.bytes, hello.jam());
  const noValue = await runCellar(["peek", "--data", data, "--jam", "/nope"]);
  expect(noValue, 1, "peek --jam of an unknown path");
});

kernelTest(
  "cli runtime: poke --json and peek --json use the HTTP API's JSON noun form",
  async () => {
    const dir = `${root}/json`;
    const run = (args: string[]) => runCellar(args, { data: dir, read: [kernel] });
    try {
      const boot = await run(["boot", "--data", dir, kernel]);
      expect(boot, 0, "boot");
      // The full form: an explicit list, and a one-byte cord that must come back as a string.
      const cause = '["put", "k", {"list": ["n", 7, {"hex": "0x1f"}]}]';
      expect(await run(["poke", "--data", dir, "--json", cause]), 0, "poke --json");
      const value = await run(["peek", "--data", dir, "--json", "/get/k"]);
      expect(value, 0, "peek --json");
      assertEquals(JSON.parse(value.stdout), ["n", 7, 31, 0]);
      // Input the codec refuses is a usage error (exit 2), and nothing is logged.
      const lone = await run(["poke", "--data", dir, "--json", '["put", "k", "\\ud800x"]']);
      expect(lone, 2, "poke with a lone surrogate");
      assert(lone.stderr.includes("Bad --json noun"), lone.stderr);
      const count = await run(["peek", "--data", dir, "/count"]);
      assertEquals(count.stdout, "1\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

kernelTest(
  "cli runtime: recover needs --trust-pma, and refuses when nothing is ahead",
  async () => {
    const bare = await runCellar(["recover", "--data", data]);
    expect(bare, 2, "recover without --trust-pma");
    assert(bare.stderr.includes("--trust-pma"), bare.stderr);
    // The PMA and the log agree here: there is nothing to trust over the log, and nothing moves.
    const before = await runCellar(["status", "--data", data]);
    const nothing = await runCellar(["recover", "--trust-pma", "--data", data]);
    expect(nothing, 1, "recover with nothing ahead of the log");
    assert(nothing.stderr.includes("no state is ahead of the log"), nothing.stderr);
    assertEquals((await runCellar(["status", "--data", data])).stdout, before.stdout);
  },
);

kernelTest("cli runtime: status, text and JSON", async () => {
  const text = await runCellar(["status", "--data", data]);
  expect(text, 0, "status");
  assert(text.stdout.includes("log: event 4 (4 events from 1)"), text.stdout);
  assert(/pma: event 4, state mug 0x[0-9a-f]{8}/.test(text.stdout), text.stdout);
  const json = await runCellar(["status", "--data", data, "--json"]);
  expect(json, 0, "status --json");
  const status = JSON.parse(json.stdout);
  assertEquals(status.log.lastEvent, "4");
  assertEquals(status.pma.eventNumber, "4");
  assertEquals(status.log.kernels.length, 1);
  assertEquals(status.pma.kernelHash, status.log.kernels[0].hash);
});

kernelTest("cli runtime: snapshot, gc and verify; a corrupted snapshot is named", async () => {
  const snap = await runCellar(["snapshot", "--data", data]);
  expect(snap, 0, "snapshot");
  const name = /^snapshot (\S+):/.exec(snap.stdout)?.[1];
  assert(name !== undefined && name.startsWith("000000000004-"), snap.stdout);
  const gc = await runCellar(["gc", "--data", data]);
  expect(gc, 0, "gc");
  assert(gc.stdout.startsWith("gc: "), gc.stdout);
  const status = JSON.parse((await runCellar(["status", "--data", data, "--json"])).stdout);
  assert(status.snapshots.some((s: { name: string }) => s.name === name), name);
  const verify = await runCellar(["verify", "--data", data]);
  expect(verify, 0, "verify");
  assert(verify.stdout.includes("has no problems"), verify.stdout);
  assert(!verify.stdout.includes("PROBLEM"), verify.stdout);

  const slab = `${data}/snapshots/${name}/slab`;
  const bytes = Deno.readFileSync(slab);
  const at = Math.floor(bytes.length / 2);
  bytes[at] ^= 0x40;
  Deno.writeFileSync(slab, bytes);
  try {
    const bad = await runCellar(["verify", "--data", data]);
    expect(bad, 1, "verify of a corrupted snapshot");
    assert(bad.stdout.includes(`PROBLEM: snapshot ${name}:`), bad.stdout);
    assert(bad.stdout.includes("blake3"), bad.stdout);
    assert(bad.stderr.includes("1 problem(s)"), bad.stderr);
  } finally {
    bytes[at] ^= 0x40;
    Deno.writeFileSync(slab, bytes);
  }
  expect(await runCellar(["verify", "--data", data]), 0, "verify after the repair");
});

kernelTest("cli runtime: a directory held by another process", async () => {
  const lock = FileLock.acquire(`${data}/cellar.lock`);
  try {
    for (
      const args of [["poke", "x"], ["snapshot"], ["gc"], ["verify"], ["boot", kernel]]
    ) {
      const result = await runCellar([...args, "--data", data], { read: [kernel] });
      expect(result, 1, args.join(" "));
      assert(result.stderr.includes("is in use by the server"), result.stderr);
      assert(result.stderr.includes("HTTP API"), result.stderr);
    }
    // Reading works beside the writer.
    expect(await runCellar(["peek", "--data", data, "/count"]), 0, "peek while locked");
    expect(await runCellar(["status", "--data", data]), 0, "status while locked");
  } finally {
    lock.release();
  }
  // Nothing was logged while it was held.
  const status = JSON.parse((await runCellar(["status", "--data", data, "--json"])).stdout);
  assertEquals(status.log.lastEvent, "4");
});

kernelTest("cli runtime: export and import round trip to the same state", async () => {
  const out = `${root}/exports`;
  Deno.mkdirSync(out);
  const scope = { read: [out], write: [out] };
  const exported = await runCellar(["export", "--data", data, "--out", `${out}/log.jam`], scope);
  expect(exported, 0, "export");
  assert(exported.stdout.includes("exported 4 events and 1 kernel(s)"), exported.stdout);
  const exists = await runCellar(["export", "--data", data, "--out", `${out}/log.jam`], scope);
  expect(exists, 1, "export over an existing file");
  assert(exists.stderr.includes("--force"), exists.stderr);
  expect(
    await runCellar(["export", "--data", data, "--force", "--out", `${out}/log.jam`], scope),
    0,
    "export --force",
  );

  const copy = `${root}/copy`;
  const imported = await runCellar(["import", `${out}/log.jam`, "--data", copy], {
    data: copy,
    read: [out],
  });
  expect(imported, 0, "import");
  assert(imported.stdout.includes("level 4 (full-replay)"), imported.stdout);
  assert(imported.stderr.includes("import replay: 4/4 events"), imported.stderr);
  const statusOf = async (dir: string) =>
    JSON.parse((await runCellar(["status", "--data", dir, "--json"], { data: dir })).stdout);
  const [a, b] = [await statusOf(data), await statusOf(copy)];
  assertEquals(b.pma.stateMug, a.pma.stateMug);
  assertEquals(b.log.lastEvent, "4");
  assertEquals(b.pma.kernelHash, a.pma.kernelHash);
  const peek = await runCellar(["peek", "--data", copy, "--text", "/get/greeting"], {
    data: copy,
  });
  assertEquals(peek.stdout, "'hello'\n");

  // The state alone.
  const state = await runCellar(
    ["export", "--data", data, "--state", "--out", `${out}/state.jam`],
    scope,
  );
  expect(state, 0, "export --state");
  // Exactly the state: axis 6 of the committed core (whose mug the status reports).
  using stateNoun = Noun.cue(Deno.readFileSync(`${out}/state.jam`));
  {
    using pma = Pma.open(`${data}/pma`, { readOnly: true });
    using root = pma.root;
    using core = root.head;
    assertEquals(`0x${core.mug.toString(16).padStart(8, "0")}`, a.pma.stateMug);
    using axis6 = core.at(6);
    assert(stateNoun.equals(axis6), "export --state writes axis 6 of the kernel core");
  }

  // Import refuses a non-empty directory and a damaged export, leaving nothing behind.
  const busy = await runCellar(["import", `${out}/log.jam`, "--data", copy], {
    data: copy,
    read: [out],
  });
  expect(busy, 1, "import into a non-empty directory");
  assert(busy.stderr.includes("not empty"), busy.stderr);
  const damaged = Deno.readFileSync(`${out}/log.jam`);
  damaged[Math.floor(damaged.length / 2)] ^= 0x01;
  Deno.writeFileSync(`${out}/damaged.jam`, damaged);
  const target = `${root}/never`;
  const bad = await runCellar(["import", `${out}/damaged.jam`, "--data", target], {
    data: target,
    read: [out],
  });
  expect(bad, 1, "import of a damaged export");
  assert(bad.stderr.includes("is not a Cellar log export"), bad.stderr);
  assert(!(await exists_(target)), "the target directory was left behind");
  const notExport = await runCellar(["import", kernel, "--data", target], {
    data: target,
    read: [kernel],
  });
  expect(notExport, 1, "import of a kernel jam");
  assert(!(await exists_(target)), "the target directory was left behind");
});

async function exists_(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

kernelTest("cli runtime: token create, list and revoke", async () => {
  const empty = await runCellar(["token", "list", "--data", data]);
  expect(empty, 0, "token list");
  assertEquals(empty.stdout, "no tokens\n");
  const created = await runCellar([
    "token",
    "create",
    "--scope",
    "poke,peek",
    "--label",
    "ci bot",
    "--data",
    data,
  ]);
  expect(created, 0, "token create");
  const token = created.stdout.trim();
  assert(/^cellar_[0-9a-f]{12}_[0-9a-f]{64}$/.test(token), created.stdout);
  assert(created.stderr.includes("not shown again"), created.stderr);
  const id = token.slice(7, 19);
  assert(!Deno.readTextFileSync(`${data}/tokens.json`).includes(token.slice(20)));
  assertEquals(TokenStore.open(data).verify(token), { id, scopes: ["peek", "poke"] });

  const list = await runCellar(["token", "list", "--data", data]);
  assert(list.stdout.includes(id) && list.stdout.includes("ci bot"), list.stdout);
  assert(!list.stdout.includes(token.slice(20)), list.stdout);
  const json = JSON.parse((await runCellar(["token", "list", "--json", "--data", data])).stdout);
  assertEquals(json.map((t: { id: string; scopes: string[] }) => [t.id, t.scopes]), [
    [id, ["peek", "poke"]],
  ]);

  expect(await runCellar(["token", "revoke", id, "--data", data]), 0, "token revoke");
  assertEquals(TokenStore.open(data).verify(token), null);
  const again = await runCellar(["token", "revoke", id, "--data", data]);
  expect(again, 1, "token revoke of a revoked token");
  assert(again.stderr.includes(`No token ${id}`), again.stderr);
  assertEquals((await runCellar(["token", "list", "--data", data])).stdout, "no tokens\n");
});

kernelTest("cli runtime: --help runs nothing, whatever else the command line says", async () => {
  const fresh = `${root}/fresh`;
  const out = `${root}/help.jam`;
  const before = JSON.parse((await runCellar(["status", "--data", data, "--json"])).stdout);
  const tokensBefore = (await runCellar(["token", "list", "--json", "--data", data])).stdout;
  for (
    const [args, dir] of [
      [["boot", kernel, "--data", fresh, "--help"], fresh],
      [["import", kernel, "--data", fresh, "-h"], fresh],
      [["poke", "--data", data, "put", "k", "v", "--help"], data],
      [["snapshot", "--data", data, "--epoch", "--help"], data],
      [["gc", "--data", data, "-h"], data],
      [["token", "create", "--scope", "admin", "--data", data, "--help"], data],
      [["export", "--data", data, "--out", out, "--help"], data],
    ] as const
  ) {
    const result = await runCellar([...args], { data: dir, read: [kernel, root], write: [root] });
    expect(result, 0, args.join(" "));
    assert(result.stdout.startsWith(`Usage: cellar ${args[0]} `), result.stdout);
    assertEquals(result.stderr, "");
  }
  assert(!(await exists_(fresh)), "boot --help or import --help created the data directory");
  assert(!(await exists_(out)), "export --help wrote the export");
  const after = JSON.parse((await runCellar(["status", "--data", data, "--json"])).stdout);
  assertEquals(after.log.lastEvent, before.log.lastEvent);
  const names = (status: { snapshots: { name: string }[] }) => status.snapshots.map((x) => x.name);
  assertEquals(names(after), names(before));
  assertEquals(after.pma.generation, before.pma.generation);
  assertEquals((await runCellar(["token", "list", "--json", "--data", data])).stdout, tokensBefore);
});
