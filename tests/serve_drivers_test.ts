/**
 * Drivers in `cellar serve`: the effects of events the server commits (its pokes, and the
 * drivers' own) are carried out by the file, markdown and timer drivers in the writer, as in
 * `cellar run`: files under `--files DIR` answered by a poke, `%markdown` on stdout, kernel
 * wake-ups (surviving a restart, fired once) and the `--timer` interval. Real server
 * processes with the test kernel `tests/fixtures/effects.jam`, which records every poke.
 *
 * @module
 */

import assert from "node:assert/strict";
import { handleCount, Noun, Runtime } from "../mod.ts";
import { toDa } from "../src/runtime/kernel.ts";
import { assertEquals } from "./_helpers.ts";
import { effectsKernelPath, recordsOf, tempDir, text } from "./_nockapp_helpers.ts";
import { auth, freePort, serverFlags, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

handleCount();

const root = tempDir("cellar_serve_drivers_test_");
const fixtures = effectsKernelPath.replace(/\/[^/]*$/, "");

/** A server of the effects kernel over `dir`, with `args`; `files` is read and written. */
async function serve(dir: string, args: string[], files?: string): Promise<ServerProcess> {
  const port = freePort();
  const flags = serverFlags(dir, port, [fixtures, ...(files ? [files] : [])]);
  if (files !== undefined) {
    const at = flags.findIndex((f) => f.startsWith("--allow-write="));
    flags[at] += `,${files}`;
  }
  return await startServerProcess(dir, {
    args: ["--kernel", effectsKernelPath, ...(files ? ["--files", files] : []), ...args],
    flags,
    port,
  });
}

/** `[%emit effects…]` as a JSON noun (bigints as hex). */
function emit(...effects: unknown[]): string {
  return JSON.stringify(
    ["emit", ...effects, 0],
    (_key, v) => typeof v === "bigint" ? { hex: `0x${v.toString(16)}` } : v,
  );
}

async function poke(s: ServerProcess, body: string): Promise<void> {
  const r = await fetch(`${s.url}poke`, {
    method: "POST",
    headers: { ...auth(s.token), "content-type": "application/json" },
    body,
  });
  assertEquals(r.status, 200, await r.text());
}

/** The kernel's records, oldest first: [num, wire, cause] as text. */
async function records(s: ServerProcess): Promise<[number, string, string][]> {
  const r = await fetch(`${s.url}peek/log?format=jam`, { headers: auth(s.token) });
  assertEquals(r.status, 200);
  using log = Noun.cue(new Uint8Array(await r.arrayBuffer()));
  return recordsOf(log);
}

/** Poll until `check` passes (it throws until then), at most `ms`. */
async function eventually<T>(ms: number, check: () => Promise<T>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const wakeWire = text(["timer", 1, "wake", 0]);

Deno.test({
  name: "serve drivers: files written and answered, markdown printed, a wake-up fired",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = `${root}/one`;
    const files = `${root}/one-files`;
    const s = await serve(dir, [], files);
    try {
      const at = toDa(Date.now() + 700);
      await poke(
        s,
        emit(
          ["file", "write", "sub/a.txt", "hello"],
          ["markdown", "**served**"],
          ["timer", "wait", at],
          ["file", "write", "../escape.txt", "no"],
        ),
      );
      const got = await eventually(5000, async () => {
        const rs = await records(s);
        assert(rs.some((r) => r[1] === wakeWire), "no wake yet");
        return rs;
      });
      assertEquals(Deno.readTextFileSync(`${files}/sub/a.txt`), "hello");
      assert.throws(() => Deno.statSync(`${root}/escape.txt`));
      const written = got.filter((r) => r[1] === text(["file", 1, "write", 0]));
      assertEquals(written.map((r) => r[2]), [
        text(["file", "write", "sub/a.txt", "hello", 0]),
        text(["file", "write", "../escape.txt", "no", 1]),
      ]);
      assertEquals(got.filter((r) => r[1] === wakeWire).map((r) => r[2]), [
        text(["timer", "wake", at]),
      ]);
      assert(s.lines.includes("**served**"), s.lines.join("\n"));
    } finally {
      assertEquals((await stopServer(s)).code, 0);
    }
  },
});

Deno.test({
  name: "serve drivers: a wake-up pending at a stop fires once after the restart",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = `${root}/two`;
    let s = await serve(dir, []);
    const due = Date.now() + 2500;
    const at = toDa(due);
    try {
      await poke(s, emit(["timer", "wait", at]));
    } finally {
      await stopServer(s);
    }
    assert(Date.now() < due, "the server took too long to stop: the test proves nothing");
    {
      using r = Runtime.open({ dataDir: dir });
      assertEquals(r.eventNumber, 1n, "no wake before the stop");
    }
    s = await serve(dir, []);
    try {
      await eventually(6000, async () => {
        const wakes = (await records(s)).filter((r) => r[1] === wakeWire);
        assertEquals(wakes.map((r) => r[2]), [text(["timer", "wake", at])]);
      });
    } finally {
      await stopServer(s);
    }
    // Fired once: a third start does not fire it again.
    s = await serve(dir, []);
    try {
      await new Promise((r) => setTimeout(r, 500));
      assertEquals((await records(s)).filter((r) => r[1] === wakeWire).length, 1);
    } finally {
      await stopServer(s);
    }
  },
});

Deno.test({
  name: "serve drivers: --timer pokes its cause every interval",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await serve(`${root}/three`, ["--timer", "0.2", "--timer-poke", '["tick", 0]']);
    try {
      const ticks = await eventually(5000, async () => {
        const rs = (await records(s)).filter((r) => r[1] === text(["timer", 1, 0]));
        assert(rs.length >= 3, `${rs.length} ticks`);
        return rs;
      });
      for (const t of ticks) assertEquals(t[2], text(["tick", 0]));
    } finally {
      await stopServer(s);
    }
  },
});

Deno.test("serve drivers: --files and --timer flags, and the grants of --files", async () => {
  const { parseServeArgs, UsageError } = await import("../src/server/main.ts");
  const { servePermissions } = await import("../tools/serve.ts");
  const parsed = parseServeArgs([
    "--data",
    "/d",
    "--files",
    "/f",
    "--timer",
    "0.5",
    "--timer-poke",
    '["tick", 0]',
  ]);
  assert(parsed.kind === "serve");
  assertEquals(parsed.options.files, "/f");
  assertEquals(parsed.options.timer, { seconds: 0.5, cause: ["tick", 0] });
  const flags = servePermissions(parsed.options);
  assert(flags.includes("--allow-write=/d,/f"), flags.join(" "));
  assert(flags.some((f) => f.startsWith("--allow-read=") && f.endsWith(",/f")), flags.join(" "));
  for (
    const [args, message] of [
      [["--timer", "0"], /Bad --timer/],
      [["--timer-poke", "[1, 2]"], /applies to --timer/],
      [["--timer", "1", "--timer-poke", "[-1, 2]"], /Bad --timer-poke/],
    ] as const
  ) {
    assert.throws(() => parseServeArgs([...args]), (e) => {
      assert(e instanceof UsageError);
      assert.match(e.message, message);
      return true;
    });
  }
});
