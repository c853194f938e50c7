/**
 * `cellar hoon` and `cellar compile` without `--pill` find the ivory pill the way
 * `./cellar build` does: `$CELLAR_IVORY_PILL`, else `../shared/corpus/pills/ivory.pill`
 * beside the checkout; and say where they looked when there is none.
 */

import assert from "node:assert/strict";
import { libraryLocation } from "../src/core/ffi.ts";
import { defaultPillPath } from "../src/cli/_pill.ts";
import { assertEquals, corpusUrl, hasCorpus } from "./_helpers.ts";

const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
const library = libraryLocation();
const libraryPath = library instanceof URL ? decodeURIComponent(library.pathname) : library;
const pill = decodeURIComponent(new URL("pills/ivory.pill", corpusUrl).pathname);

async function hoon(
  args: string[],
  permissions: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--allow-ffi=${libraryPath}`,
      ...permissions,
      cli,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("cellar hoon: $CELLAR_IVORY_PILL is the pill when --pill is not given", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cellar-pill-" });
  try {
    const absent = `${dir}/absent.pill`;
    const r = await hoon(["hoon", "1"], [
      "--allow-env=CELLAR_LIB,CELLAR_IVORY_PILL",
      `--allow-read=${dir}`,
    ], { CELLAR_IVORY_PILL: absent });
    assertEquals([r.code, r.stderr], [1, `cellar hoon: not found: ${absent}\n`]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cellar hoon: no pill anywhere is one usage line naming the places tried", async () => {
  const r = await hoon(["hoon", "1"], ["--allow-env=CELLAR_LIB"]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stdout, "");
  assert(
    r.stderr.includes("no ivory pill at $CELLAR_IVORY_PILL (no --allow-env for it)"),
    r.stderr,
  );
  assert(r.stderr.includes(`${defaultPillPath()} (not there, or not readable)`), r.stderr);
  assert(/^cellar hoon: [^\n]*--help[^\n]*\n$/.test(r.stderr), r.stderr);
});

Deno.test({
  name: "cellar hoon: the pill beside the checkout, or from the variable, evaluates",
  ignore: !hasCorpus,
  async fn() {
    const fromEnv = await hoon(["hoon", "(add 2 3)"], [
      "--allow-env=CELLAR_LIB,CELLAR_IVORY_PILL",
      `--allow-read=${pill}`,
    ], { CELLAR_IVORY_PILL: pill });
    assertEquals([fromEnv.code, fromEnv.stdout], [0, "5\n"], fromEnv.stderr);
    const beside = defaultPillPath()!;
    let exists = false;
    try {
      exists = Deno.statSync(beside).isFile;
    } catch {
      // not beside this checkout (a worktree elsewhere)
    }
    if (!exists) return;
    const found = await hoon(["hoon", "(add 2 3)"], [
      "--allow-env=CELLAR_LIB",
      `--allow-read=${beside}`,
    ]);
    assertEquals([found.code, found.stdout], [0, "5\n"], found.stderr);
  },
});

Deno.test("cellar compile: no pill anywhere is one usage line naming the places tried", async () => {
  const r = await hoon(["compile", "kernel.hoon"], ["--allow-env=CELLAR_LIB"]);
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stdout, "");
  assert(
    r.stderr.includes("no ivory pill at $CELLAR_IVORY_PILL (no --allow-env for it)"),
    r.stderr,
  );
  assert(r.stderr.includes(`${defaultPillPath()} (not there, or not readable)`), r.stderr);
  assert(/^cellar compile: [^\n]*--help[^\n]*\n$/.test(r.stderr), r.stderr);
  const dir = Deno.makeTempDirSync({ prefix: "cellar-pill-" });
  try {
    const absent = `${dir}/absent.pill`;
    const named = await hoon(["compile", `${dir}/kernel.hoon`], [
      "--allow-env=CELLAR_LIB,CELLAR_IVORY_PILL",
      `--allow-read=${dir}`,
    ], { CELLAR_IVORY_PILL: absent });
    assertEquals([named.code, named.stderr], [1, `cellar compile: not found: ${absent}\n`]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "cellar compile: the pill from the variable compiles a kernel without --pill",
  ignore: !hasCorpus,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "cellar-pill-" });
    try {
      Deno.writeTextFileSync(
        `${dir}/k.hoon`,
        "=>  ~\n|_  s=@\n++  load  |=(a=@ ..load(s a))\n++  peek  |=(a=* ~)\n" +
          "++  poke  |=(a=* [~ ..poke])\n++  wish  |=(a=* a)\n--\n",
      );
      const r = await hoon(["compile", `${dir}/k.hoon`], [
        "--allow-env=CELLAR_LIB,CELLAR_IVORY_PILL",
        `--allow-read=${pill},${dir}`,
        `--allow-write=${dir}`,
      ], { CELLAR_IVORY_PILL: pill });
      assertEquals(r.code, 0, r.stderr);
      assert(r.stderr.includes(`with ${pill}`), r.stderr);
      assert(Deno.statSync(`${dir}/k.jam`).size > 0);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
