/**
 * `cellar run` as real processes, with the test kernel: one-shot runs that end on
 * `[%exit code]`, data directories kept or temporary, pokes from flags and files on their
 * wires, the file driver, and timers that outlive a stopped process.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount, Noun, Runtime } from "../mod.ts";
import { toDa } from "../src/runtime/kernel.ts";
import { assertEquals } from "./_helpers.ts";
import {
  effectsKernelPath,
  expectExit,
  recordsOf,
  runCellar,
  spawnCellar,
  tempDir,
  text,
} from "./_nockapp_helpers.ts";
import type { CellarScope } from "./_nockapp_helpers.ts";

handleCount();

const root = tempDir("cellar_run_test_");
const tmp = `${root}/tmp`;
Deno.mkdirSync(tmp);

/** `[%emit effects]` as a JSON noun. */
function emit(...effects: unknown[]): string {
  return JSON.stringify(
    ["emit", ...effects, 0],
    (_key, v) => typeof v === "bigint" ? { hex: `0x${v.toString(16)}` } : v,
  );
}

/** The kernel's records of a kept data directory, oldest first: [num, wire, cause] as text. */
function records(dir: string): [number, string, string][] {
  using r = Runtime.open({ dataDir: dir });
  const answer = r.peek("/log");
  assert(answer.kind === "value");
  using log = answer.value;
  return recordsOf(log);
}

function scope(...dirs: string[]): CellarScope {
  return { read: dirs, write: dirs, tmpdir: tmp };
}

/** Read a process's stderr until a line matches (or it ends); returns the text so far. */
async function stderrUntil(child: Deno.ChildProcess, pattern: RegExp): Promise<{
  seen: string;
  rest: Promise<string>;
}> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!pattern.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  const rest = (async () => {
    let more = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return more;
      more += value;
    }
  })();
  return { seen, rest };
}

Deno.test("run: a one-shot run writes its files in order and exits with the kernel's code", async () => {
  const files = `${root}/one-shot`;
  const r = await runCellar([
    "run",
    effectsKernelPath,
    "--files",
    files,
    "--poke",
    emit(
      ["file", "write", "a/b/first.txt", "first"],
      ["markdown", "# done"],
      ["exit", 3],
      ["file", "write", "never.txt", "x"],
    ),
  ], scope(files));
  expectExit(r, 3, "run");
  assertEquals(r.stdout, "# done\n");
  assertEquals(Deno.readTextFileSync(`${files}/a/b/first.txt`), "first");
  assertEquals([...Deno.readDirSync(files)].map((e) => e.name), ["a"]);
  // The temporary data directory is gone.
  const made = /temporary data directory (\S+),/.exec(r.stderr);
  assert(made !== null, r.stderr);
  assert(made[1].startsWith(tmp));
  assertEquals([...Deno.readDirSync(tmp)], []);
});

Deno.test("run: pokes from flags and files, on their wires, into a kept data directory", async () => {
  const data = `${root}/kept`;
  const jam = `${root}/cause.jam`;
  const json = `${root}/cause.json`;
  using jamCause = Noun.from(["from-jam", 0]);
  Deno.writeFileSync(jam, jamCause.jam());
  Deno.writeTextFileSync(json, '["from-json", 0]');
  const first = await runCellar([
    "run",
    effectsKernelPath,
    "--data",
    data,
    "--poke",
    '["one", 0]',
    "--poke",
    '["two", 0]',
    "--poke-file",
    json,
    "--poke-file",
    jam,
    "--wire",
    '["poke", "one-punch", 1, 0]',
    "--wire",
    "/cli/two",
    "--wire",
    '["file", 1, 0]',
    "--wire",
    '["jam", 0]',
  ], scope(data, root));
  expectExit(first, 0, "run with pokes");
  const second = await runCellar(
    ["run", effectsKernelPath, "--data", data, "--poke", '["three", 0]'],
    scope(data),
  );
  expectExit(second, 0, "a second run on the same directory");
  assertEquals(records(data), [
    [1, text(["poke", "one-punch", 1, 0]), text(["one", 0])],
    [2, text(["poke", "cli", "two", 0]), text(["two", 0])],
    [3, text(["file", 1, 0]), text(["from-json", 0])],
    [4, text(["jam", 0]), text(["from-jam", 0])],
    [5, text(["poke", "api", 0]), text(["three", 0])],
  ]);
  // Boot a new directory from the kept one's state, and go on from there.
  const state = `${root}/kept-state.jam`;
  {
    using r = Runtime.open({ dataDir: data });
    using core = r.state();
    using s = core.at(6);
    Deno.writeFileSync(state, s.jam());
  }
  const fromState = `${root}/from-state`;
  const booted = await runCellar(
    ["run", effectsKernelPath, "--data", fromState, "--state", state, "--poke", '["six", 0]'],
    scope(fromState, root),
  );
  expectExit(booted, 0, "run --state");
  assert.match(booted.stderr, /loaded .*kept-state\.jam \(a jammed state noun\) as event 0/);
  assertEquals(records(fromState).length, 6);
});

Deno.test("run: usage errors, a rejected poke, and a refused file path", async () => {
  for (
    const args of [
      ["--poke", "[1]"],
      ["--poke", '["a", 0]', "--poke", '["b", 0]', "--wire", "/x", "--wire", "/y", "--wire", "/z"],
      ["--timer", "0"],
      ["--timer-poke", '["t", 0]'],
      ["--force"],
      ["--wire", "[oops"],
      ["--http-cache-mib", "1"],
      ["--http-kernel", "--http-cache-mib", "1.5"],
    ]
  ) {
    const r = await runCellar(["run", effectsKernelPath, ...args], scope());
    expectExit(r, 2, args.join(" "));
  }
  const crash = await runCellar(
    ["run", effectsKernelPath, "--poke", '["crash", 0]', "--poke", emit(["exit", 0])],
    scope(),
  );
  expectExit(crash, 1, "a rejected poke");
  assert.match(crash.stderr, /rejected poke 1/);
  assert.match(crash.stderr, /effects-crash/);
  const files = `${root}/refusing`;
  Deno.mkdirSync(files);
  Deno.symlinkSync(root, `${files}/up`);
  const refused = await runCellar([
    "run",
    effectsKernelPath,
    "--files",
    files,
    "--poke",
    emit(["file", "write", "up/escaped.txt", "x"], ["file", "write", "../escaped.txt", "x"]),
  ], scope(files));
  expectExit(refused, 0, "refused writes");
  assert.match(
    refused.stderr,
    /cannot write "up\/escaped.txt": it goes through the symbolic link up/,
  );
  assert.match(refused.stderr, /cannot write "..\/escaped.txt": it leaves the files directory/);
  assert(![...Deno.readDirSync(root)].some((e) => e.name === "escaped.txt"));
});

Deno.test("run: waits for a wake-up, then ends when nothing is pending", async () => {
  const data = `${root}/waits`;
  const started = Date.now();
  const r = await runCellar(
    [
      "run",
      effectsKernelPath,
      "--data",
      data,
      "--poke",
      emit(["timer", "wait", toDa(Date.now() + 800)]),
    ],
    scope(data),
  );
  expectExit(r, 0, "run with a wait");
  assert(Date.now() - started >= 800, "it waited for the wake-up");
  const wakes = records(data).filter((x) => x[1] === text(["timer", 1, "wake", 0]));
  assertEquals(wakes.length, 1);
});

Deno.test("run: a wake-up pending when the process stops fires at the next run, once", async () => {
  const data = `${root}/stopped`;
  const at = toDa(Date.now() + 1500);
  const child = spawnCellar(
    ["run", effectsKernelPath, "--data", data, "--poke", emit(["timer", "wait", at])],
    scope(data),
  );
  const { rest } = await stderrUntil(child, /poke 1: event 1/);
  child.kill("SIGTERM");
  const status = await child.status;
  await rest;
  await child.stdout.cancel();
  assertEquals(status.code, 143);
  assertEquals(records(data).length, 1, "no wake before the stop");
  await new Promise((r) => setTimeout(r, 1700));
  const again = await runCellar(["run", effectsKernelPath, "--data", data], scope(data));
  expectExit(again, 0, "the next run");
  const third = await runCellar(["run", effectsKernelPath, "--data", data], scope(data));
  expectExit(third, 0, "a third run");
  const wakes = records(data).filter((x) => x[1] === text(["timer", 1, "wake", 0]));
  assertEquals(wakes.map((w) => w[2]), [text(["timer", "wake", at])]);
});

Deno.test("run: --timer pokes its cause every interval until a signal", async () => {
  const data = `${root}/interval`;
  const child = spawnCellar(
    ["run", effectsKernelPath, "--data", data, "--timer", "0.2", "--timer-poke", '["tick", 0]'],
    scope(data),
  );
  const { rest } = await stderrUntil(child, /event 0/);
  await new Promise((r) => setTimeout(r, 900));
  child.kill("SIGINT");
  const status = await child.status;
  await rest;
  await child.stdout.cancel();
  assertEquals(status.code, 130);
  const ticks = records(data);
  assert(ticks.length >= 2, `ticks: ${ticks.length}`);
  for (const t of ticks) assertEquals([t[1], t[2]], [text(["timer", 1, 0]), text(["tick", 0])]);
});
