import assert from "node:assert/strict";
import { handleCount, Noun } from "../mod.ts";
import { assertEquals, leaf, runCli } from "./_helpers.ts";
import type { CliResult } from "./_helpers.ts";

// Load the library outside any test, so that the resource sanitizer does not see it opening.
handleCount();

const dir = Deno.makeTempDirSync({ prefix: "cellar_cli_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** Write the jam of a noun to a file in the temp folder; returns its path. */
function jamFile(name: string, noun: Noun): string {
  const path = `${dir}/${name}`;
  Deno.writeFileSync(path, noun.jam());
  noun.dispose();
  return path;
}

const increment = jamFile("increment.jam", Noun.from([[41, 0], [4, 0, 2]]));
const tuple = jamFile("tuple.jam", Noun.from([0, [1, [1, [2, 3]], [[4, 5], 6]]]));
const boom = leaf("boom");
const crash = jamFile("crash.jam", Noun.from([0, [11, ["mean", 1, boom], 0, 0]]));
boom.dispose();
const loop = jamFile("loop.jam", Noun.from([[[2, [0, 1], [0, 2]], 0], [2, [0, 1], [0, 2]]]));
const atom = jamFile("atom.jam", Noun.atom(5));
const malformed = `${dir}/malformed.jam`;
Deno.writeFileSync(malformed, new Uint8Array([0xff, 0xff, 0xff]));

Deno.test("cli: nock prints the product", async () => {
  const result = await runCli(["nock", increment], [dir]);
  assertEquals([result.code, result.stdout, result.stderr], [0, "42\n", ""]);
  const flat = await runCli(["nock", tuple], [dir]);
  assertEquals(flat.stdout, "[[1 2 3] [4 5] 6]\n");
});

Deno.test("cli: mug prints the mug in hex", async () => {
  using noun = Noun.from([[41, 0], [4, 0, 2]]);
  const result = await runCli(["mug", increment], [dir]);
  assertEquals([result.code, result.stdout], [0, `0x${noun.mug.toString(16)}\n`]);
});

Deno.test("cli: --help on the top level and on every subcommand", async () => {
  for (
    const args of [["--help"], ["-h"], [], ["nock", "--help"], ["mug", "-h"], ["help", "nock"]]
  ) {
    const result = await runCli(args);
    assertEquals(result.code, 0, args.join(" "));
    assert(result.stdout.startsWith("Usage: cellar"), result.stdout);
  }
  const top = await runCli(["--help"]);
  assert(top.stdout.includes("nock") && top.stdout.includes("mug"));
});

Deno.test("cli: a crash exits 1 with the kind and the trace", async () => {
  const result = await runCli(["nock", crash], [dir]);
  assertEquals(result.code, 1);
  assertEquals(result.stdout, "");
  assert(result.stderr.includes("%exit"), result.stderr);
  assert(result.stderr.includes("  boom\n"), result.stderr);
  const limited = await runCli(["nock", "--steps", "1000", loop], [dir]);
  assertEquals(limited.code, 1);
  assert(limited.stderr.includes("%intr"), limited.stderr);
  const timed = await runCli(["nock", "--timeout-ms", "50", loop], [dir]);
  assertEquals(timed.code, 1);
  assert(timed.stderr.includes("%intr"), timed.stderr);
});

Deno.test("cli: missing, unreadable and malformed inputs fail with clear messages", async () => {
  // A missing file is "not found: PATH" (one line), not a permission error.
  for (const name of ["nock", "mug"]) {
    const missing = await runCli([name, `${dir}/absent.jam`], [dir]);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr, `cellar ${name}: not found: ${dir}/absent.jam\n`);
  }
  const noPill = await runCli(["hoon", "--pill", `${dir}/absent.pill`, "1"], [dir]);
  assertEquals([noPill.code, noPill.stderr], [1, `cellar hoon: not found: ${dir}/absent.pill\n`]);
  // A file that exists but may not be read is a permission error, not "not found".
  const denied = await runCli(["mug", increment]);
  assertEquals(denied.code, 1);
  assert(denied.stderr.includes("permission denied"), denied.stderr);
  assert(!denied.stderr.includes("not found"), denied.stderr);
  const bad = await runCli(["mug", malformed], [dir]);
  assertEquals(bad.code, 1);
  assert(bad.stderr.includes("Cannot cue"), bad.stderr);
  const notCell = await runCli(["nock", atom], [dir]);
  assertEquals(notCell.code, 1);
  assert(notCell.stderr.includes("expected a [subject formula] cell"), notCell.stderr);
});

Deno.test("cli: usage errors exit 2", async () => {
  for (
    const args of [
      ["nock"],
      ["nock", "a.jam", "b.jam"],
      ["nock", "--bogus", "a.jam"],
      ["nock", "--steps", "-3", "a.jam"],
      ["nock", "--steps", "x", "a.jam"],
      ["frobnicate"],
      ["--bogus"],
    ]
  ) {
    const result = await runCli(args, [dir]);
    assertEquals(result.code, 2, args.join(" "));
    assert(result.stderr.includes("--help"), result.stderr);
  }
});

Deno.test("cli: a bad argument is one line on stderr, exit 2, nothing on stdout", async () => {
  for (
    const args of [
      ["nock"],
      ["nock", "a.jam", "b.jam"],
      ["nock", "--bogus", "a.jam"],
      ["nock", "--steps", "x", "a.jam"],
      ["nock", "--steps=1.5", "a.jam"],
      ["nock", "--timeout-ms", "soon", "a.jam"],
      ["nock", "a.jam", "--max-chars"],
      ["nock", "--jet-check=yes", "a.jam"],
      ["mug", "a.jam", "b.jam"],
      ["hoon", "1"],
      ["hoon", "--pill", "p", "--steps", "many", "1"],
      ["hoon", "--pill", "p"],
      ["help", "frobnicate"],
      ["frobnicate"],
      ["--bogus"],
    ]
  ) {
    const result = await runCli(args, [dir]);
    const what = `${args.join(" ")}: ${result.stderr}`;
    assertEquals(result.code, 2, what);
    assertEquals(result.stdout, "", what);
    assert(/^cellar[ :][^\n]*--help[^\n]*\n$/.test(result.stderr), what);
  }
});

Deno.test("cli: --help of every command prints its usage and runs nothing", async () => {
  const top = await runCli(["--help"]);
  const names = [...top.stdout.matchAll(/^ {2}([a-z]+) +\S/gm)].map((m) => m[1]);
  for (const name of ["test", "bench", "serve", "build", "check", "tools", "nock", "hoon"]) {
    assert(names.includes(name), `${name} is not in the top help:\n${top.stdout}`);
  }
  for (const name of names) {
    for (const flag of ["--help", "-h"]) {
      // No read permission at all: a command that ran would fail.
      const result = await runCli([name, flag]);
      assertEquals([result.code, result.stderr], [0, ""], `${name} ${flag}`);
      assert(/^Usage: (\.\/)?cellar /.test(result.stdout), `${name}: ${result.stdout}`);
    }
    // Help wins over arguments that would run the command.
    const withArgs = await runCli([name, `${dir}/absent.jam`, "--help"]);
    assertEquals(withArgs.code, 0, `${name} ... --help: ${withArgs.stderr}`);
  }
});

Deno.test("cli: the commands of ./cellar only point to it", async () => {
  for (const name of ["test", "bench", "serve", "build", "check", "tools"]) {
    const result = await runCli([name]);
    assertEquals(result.code, 1, name);
    assertEquals(result.stdout, "");
    assert(result.stderr.includes(`use './cellar ${name}'`), result.stderr);
  }
});

// ----------------------------------------------------------------------------- ./cellar

const checkout = new URL("../", import.meta.url);
const pathOf = (url: URL) => decodeURIComponent(url.pathname);

/** The wrapper runs only with the pinned toolchains in .tools/ (it would fetch them otherwise). */
const hasTools = ["py/bin/deno", "py/ziglang/zig"].every((tool) => {
  try {
    return Deno.statSync(new URL(`.tools/${tool}`, checkout)).isFile;
  } catch {
    return false;
  }
});

/** Run the `cellar` script of the checkout at `root` (default: this one). */
async function runWrapper(args: string[], root = pathOf(checkout)): Promise<CliResult> {
  const env = { ...Deno.env.toObject() };
  delete env.CELLAR_LIB;
  const output = await new Deno.Command(`${root}/cellar`, {
    args,
    cwd: root,
    env,
    clearEnv: true,
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

/** Modification times of the build products (those that exist). */
function buildTimes(): Record<string, number | null> {
  const times: Record<string, number | null> = {};
  for (
    const path of [
      "zig-out/lib/libcellar.so",
      "zig-out/.source-hash",
      "kernels/kv.jam",
      "kernels/.kv.source-hash",
    ]
  ) {
    try {
      times[path] = Deno.statSync(new URL(path, checkout)).mtime?.getTime() ?? null;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return times;
}

Deno.test({
  name: "./cellar: --help of every command builds, checks and tests nothing",
  ignore: !hasTools,
  async fn() {
    const before = buildTimes();
    assert("zig-out/lib/libcellar.so" in before, "the library is not built");
    const top = await runWrapper(["--help"]);
    assertEquals([top.code, top.stderr], [0, ""]);
    const names = [...top.stdout.matchAll(/^ {2}([a-z]+) +\S/gm)].map((m) => m[1]);
    for (const name of ["build", "check", "test", "bench", "serve", "tools", "boot", "nock"]) {
      assert(names.includes(name), `${name} is not in ./cellar --help:\n${top.stdout}`);
    }
    for (const args of [[], ["help"], ["help", "build"], ["help", "serve"]]) {
      const result = await runWrapper(args);
      assertEquals([result.code, result.stderr], [0, ""], args.join(" "));
      assert(result.stdout.startsWith("Usage: "), `${args.join(" ")}: ${result.stdout}`);
    }
    for (const name of names) {
      for (const args of [[name, "--help"], [name, "-h"]]) {
        const result = await runWrapper(args);
        assertEquals([result.code, result.stderr], [0, ""], args.join(" "));
        assert(/^Usage: (\.\/)?cellar /.test(result.stdout), `${args.join(" ")}: ${result.stdout}`);
      }
    }
    assertEquals(buildTimes(), before);
  },
});

Deno.test({
  name: "./cellar: help works in a checkout where nothing is built, and builds nothing",
  ignore: !hasTools,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "cellar_wrapper_test_" });
    try {
      Deno.copyFileSync(new URL("cellar", checkout), `${root}/cellar`);
      Deno.chmodSync(`${root}/cellar`, 0o755);
      Deno.symlinkSync(pathOf(new URL(".tools", checkout)), `${root}/.tools`);
      Deno.symlinkSync(pathOf(new URL("src", checkout)), `${root}/src`);
      for (
        const args of [["build", "--help"], ["serve", "--help"], ["test", "-h"], ["boot", "-h"]]
      ) {
        const result = await runWrapper(args, root);
        assertEquals([result.code, result.stderr], [0, ""], args.join(" "));
        assert(result.stdout.startsWith("Usage: "), result.stdout);
      }
      assertEquals([...Deno.readDirSync(root)].map((e) => e.name).sort(), [
        ".tools",
        "cellar",
        "src",
      ]);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "./cellar: a missing file is 'not found', bad arguments are one line with exit 2",
  ignore: !hasTools,
  async fn() {
    for (const args of [["nock", `${dir}/absent.jam`], ["mug", `${dir}/no/such/dir/x.jam`]]) {
      const result = await runWrapper(args);
      assertEquals(
        [result.code, result.stdout, result.stderr],
        [1, "", `cellar ${args[0]}: not found: ${args[1]}\n`],
      );
    }
    for (
      const args of [
        ["frobnicate"],
        ["nock", "--steps", "x", increment],
        ["status", "--data"],
        ["serve", "--port", "http"],
        ["serve", "--port=70000"],
        ["serve", "--host", "a,b"],
      ]
    ) {
      const result = await runWrapper(args);
      const what = `${args.join(" ")}: ${result.stderr}`;
      assertEquals([result.code, result.stdout], [2, ""], what);
      assert(/^cellar[ :][^\n]*--help[^\n]*\n$/.test(result.stderr), what);
    }
  },
});
