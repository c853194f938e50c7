/**
 * The profiler as users run it: `--profile OUT` on `nock`, `poke` and `run` (through the
 * `cellar` script, with its permissions), `cellar serve --profile DIR` and its admin routes,
 * and bad `--profile` paths refused before anything is done. Needs only the repository
 * (kernels/kv.jam registers `cellar-kv/*`); `hoon --profile` is tested in hoon_test.ts.
 */

import assert from "node:assert/strict";
import { Noun } from "../mod.ts";
import { formatProfileTable } from "../src/runtime/profile.ts";
import { TokenStore } from "../src/server/tokens.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import {
  auth,
  freePort,
  pokeJson,
  runServerCommand,
  serverFlags,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";

const script = decodeURIComponent(new URL("../cellar", import.meta.url).pathname);
const kernel = decodeURIComponent(new URL("../kernels/kv.jam", import.meta.url).pathname);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `./cellar ARGS` as a user does. */
async function cellar(args: string[]): Promise<Result> {
  const output = await new Deno.Command(script, {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * `[0 formula]`: a root core registered as `a50` and a jetless decrement gate under it as
 * `a50/NAME`, called on `sample` (the program of the dashboard's Zig tests).
 */
function decProgram(name: string, sample: number): Uint8Array {
  const gate = [
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
  const child = [8, [1, 0], [1, gate], 0, 1];
  const root = [
    8,
    [1, [7, child, 11, ["fast", 1, name, [0, 7], 0], 0, 1]],
    11,
    ["fast", 1, ["a", 50], [1, 0], [["get", 0, 3], 0]],
    0,
    1,
  ];
  const call = [8, [9, 2, 0, 1], 9, 2, 10, [6, 7, [0, 3], 1, sample], 0, 2];
  using program = Noun.from([0, [7, [1, 3159393], 7, root, call]]);
  return program.jam();
}

/** The three files of OUT exist; the table (file and stderr) and the folded stacks name `arm`. */
function checkOutputs(out: string, result: Result, arm: RegExp): void {
  assert(
    result.stderr.includes(`profile: ${out}.folded, ${out}.svg, ${out}.txt`),
    result.stderr,
  );
  const table = Deno.readTextFileSync(`${out}.txt`);
  assert(table.startsWith("own steps"), table);
  const row = table.split("\n").find((line) => arm.test(line));
  assert(row !== undefined, `no row for ${arm} in\n${table}`);
  // Own steps, steps and calls (at least one); the stderr table shows the same row.
  assert(/^\s*\d+\s+\d+\s+[1-9]\d*\s/.test(row), row);
  assert(result.stderr.includes(row.trim()), result.stderr);
  const folded = Deno.readTextFileSync(`${out}.folded`).trim().split("\n");
  for (const line of folded) assert(/^\S+ [1-9]\d*$/.test(line), line);
  const svg = Deno.readTextFileSync(`${out}.svg`);
  assert(svg.startsWith("<?xml") && svg.includes("</svg>"), svg.slice(0, 200));
}

Deno.test("profile: nock --profile OUT writes the table, folded stacks and a flame graph", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar_profile_nock_" });
  try {
    Deno.writeFileSync(`${dir}/dec.jam`, decProgram("decslow", 30_000));
    const out = `${dir}/p`;
    const result = await cellar(["nock", "--profile", out, `${dir}/dec.jam`]);
    assertEquals([result.code, result.stdout], [0, "29999\n"], result.stderr);
    checkOutputs(out, result, / nock +a50\/decslow$/);
    const folded = Deno.readTextFileSync(`${out}.folded`);
    assert(/^a50\/decslow [1-9]\d*$/m.test(folded), folded);
    // One call, no profiled arm below it: its own steps are all its steps.
    const row = Deno.readTextFileSync(`${out}.txt`).split("\n").find((l) => l.endsWith("decslow"))!;
    const [own, steps, calls] = row.trim().split(/\s+/);
    assertEquals([own === steps, calls], [true, "1"], row);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

kernelTest("profile: poke and run --profile OUT name the default kernel's arms", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar_profile_kernel_" });
  try {
    const data = `${dir}/data`;
    const boot = await cellar(["boot", kernel, "--data", data]);
    assertEquals(boot.code, 0, boot.stderr);
    const poke = await cellar([
      "poke",
      "--data",
      data,
      "--profile",
      `${dir}/poke`,
      "put",
      "x",
      "1",
    ]);
    assertEquals(poke.code, 0, poke.stderr);
    assert(poke.stdout.includes("event: 1"), poke.stdout);
    checkOutputs(`${dir}/poke`, poke, / cellar-kv\/\S+$/);
    const run = await cellar([
      "run",
      kernel,
      "--profile",
      `${dir}/run`,
      "--poke",
      '["put", "a", 1]',
      "--poke",
      '["put", "b", 2]',
    ]);
    assertEquals(run.code, 0, run.stderr);
    checkOutputs(`${dir}/run`, run, / cellar-kv\/\S+$/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

kernelTest("profile: a bad --profile path is a usage error, before anything is done", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar_profile_bad_" });
  try {
    const data = `${dir}/data`;
    assertEquals((await cellar(["boot", kernel, "--data", data])).code, 0);
    Deno.writeTextFileSync(`${dir}/file`, "not a folder");
    Deno.writeTextFileSync(`${dir}/target`, "kept");
    Deno.symlinkSync(`${dir}/target`, `${dir}/link.svg`);
    Deno.writeFileSync(`${dir}/dec.jam`, decProgram("decslow", 10));
    const cases: [string[], string][] = [
      [["nock", "--profile", `${dir}/file/p`, `${dir}/dec.jam`], "is not a directory"],
      [["nock", "--profile", `${dir}/link`, `${dir}/dec.jam`], `${dir}/link.svg is a symlink`],
      [["poke", "--data", data, "--profile", `${dir}/link`, "put", "x", "1"], "is a symlink"],
      [["run", kernel, "--profile", `${dir}/file/p`, "--poke", '["put", "a", 1]'], "not a dir"],
    ];
    for (const [args, message] of cases) {
      const result = await cellar(args);
      assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert(
        result.stderr.includes("Bad --profile") && result.stderr.includes(message),
        result.stderr,
      );
      assertEquals(result.stdout, "");
    }
    // Nothing was written: the symlink's target, and the data directory (no event 1).
    assertEquals(Deno.readTextFileSync(`${dir}/target`), "kept");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "data",
      "dec.jam",
      "file",
      "link.svg",
      "target",
    ]);
    const status = await cellar(["status", "--data", data]);
    assert(status.stdout.includes("log: event 0 "), status.stdout);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

kernelTest("profile: serve --profile DIR serves the table and flame graph to admins", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cellar_profile_serve_" });
  const data = `${root}/data`;
  const profile = `${root}/profile`;
  const port = freePort();
  const flags = serverFlags(data, port, [root]);
  flags[flags.findIndex((f) => f.startsWith("--allow-write="))] += `,${profile}`;
  const server = await startServerProcess(data, { args: ["--profile", profile], flags, port });
  try {
    for (const cause of [["put", "x", 1], ["put", "y", 2]]) {
      const r = await pokeJson(server, cause);
      assertEquals(r.status, 200, await r.text());
    }
    const none = await fetch(`${server.url}profile`);
    assertEquals(none.status, 401);
    await none.body?.cancel();
    // (The server reloads the token file when another process changed it.)
    const pokeToken = TokenStore.open(data).create(["poke", "peek"], "not an admin").token;
    const weak = await fetch(`${server.url}profile.svg`, { headers: auth(pokeToken) });
    assertEquals(weak.status, 403);
    await weak.body?.cancel();
    const table = await (await fetch(`${server.url}profile`, { headers: auth(server.token) }))
      .json();
    assert(table.arms.some((a: { arm: string }) => a.arm.startsWith("cellar-kv/")), table);
    assert(formatProfileTable(table).includes("cellar-kv/"));
    const svg = await fetch(`${server.url}profile.svg`, { headers: auth(server.token) });
    assertEquals(svg.headers.get("content-type"), "image/svg+xml");
    assert((await svg.text()).includes("cellar-kv/"));
    const reset = await fetch(`${server.url}profile/reset`, {
      method: "POST",
      headers: auth(server.token),
    });
    assertEquals([reset.status, (await reset.json()).arms], [200, []]);
  } finally {
    const status = await stopServer(server);
    assertEquals(status.code, 0, server.lines.join("\n"));
  }
  try {
    for (const ext of ["txt", "folded", "svg"]) {
      assert(Deno.statSync(`${profile}/profile.${ext}`).isFile, ext);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

kernelTest("profile: serve --profile refuses a file or a symlink as DIR", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cellar_profile_serve_bad_" });
  try {
    Deno.writeTextFileSync(`${root}/file`, "");
    Deno.mkdirSync(`${root}/real`);
    Deno.symlinkSync(`${root}/real`, `${root}/link`);
    const flags = serverFlags(`${root}/data`, freePort(), [root]);
    for (const [dir, message] of [["file", "is not a directory"], ["link", "is a symlink"]]) {
      const r = await runServerCommand(flags, [
        "--data",
        `${root}/data`,
        "--profile",
        `${root}/${dir}`,
      ]);
      assertEquals(r.code, 2, r.output);
      assert(r.output.includes(`Bad --profile: ${root}/${dir} ${message}`), r.output);
    }
    // Nothing was made: no data directory.
    assertEquals([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["file", "link", "real"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
