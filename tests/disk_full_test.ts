/**
 * A real full disk: the data directory on a small tmpfs, filled until writes fail with
 * ENOSPC, at each kind of write (the log's append, the slab's growth, a snapshot, a GC).
 * Each must fail with a clear error and change nothing; no poke may be answered that was not
 * made durable; the server keeps running and says why it cannot commit; and once space
 * returns, commits resume by themselves and the state equals a replay of the log.
 *
 * Mounting a tmpfs needs root (`mount -t tmpfs`); where it is not allowed these tests are
 * skipped with a message saying so. (tests/group_commit_test.ts has a file-size-limit
 * variant that runs anywhere `prlimit` does.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { Noun, Runtime } from "../mod.ts";
import { assertEquals, kernelTest } from "./_helpers.ts";
import { replayOf, stateOf, withRuntime } from "./_runtime_helpers.ts";
import { auth, pokeJson, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

/** Why a tmpfs cannot be mounted here, or null when it can. */
function mountRefusal(): string | null {
  if (Deno.build.os !== "linux") return "not Linux";
  const probe = Deno.makeTempDirSync({ prefix: "cellar-tmpfs-probe-" });
  try {
    const out = run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]);
    if (out !== null) return out;
    run("umount", [probe]);
    return null;
  } finally {
    Deno.removeSync(probe);
  }
}

/** Run a command; null on success, else its error output. */
function run(command: string, args: string[]): string | null {
  try {
    const out = new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).outputSync();
    return out.success ? null : new TextDecoder().decode(out.stderr).trim() || `${command} failed`;
  } catch (error) {
    return `${command}: ${error instanceof Error ? error.message : error}`;
  }
}

const refusal = mountRefusal();
if (refusal !== null) {
  console.error(`disk_full_test: skipped, a tmpfs cannot be mounted here (${refusal})`);
}

/** Mount a tmpfs of `mib` MiB, run `fn` in it, unmount. */
async function onTmpfs(mib: number, fn: (mount: string) => Promise<void> | void): Promise<void> {
  const mount = Deno.makeTempDirSync({ prefix: "cellar-disk-full-" });
  const failed = run("mount", ["-t", "tmpfs", "-o", `size=${mib}m,mode=0700`, "tmpfs", mount]);
  if (failed !== null) throw new Error(`Cannot mount a tmpfs: ${failed}`);
  try {
    await fn(mount);
  } finally {
    run("umount", ["-l", mount]);
    Deno.removeSync(mount, { recursive: true });
  }
}

/** Fill the file system of `path` with a ballast file until ENOSPC; returns its size. */
function fill(path: string): number {
  using file = Deno.openSync(path, { write: true, create: true });
  let size = 0;
  for (const chunk of [1 << 20, 1 << 14, 1 << 12]) {
    const zeros = new Uint8Array(chunk).fill(1);
    for (;;) {
      try {
        const n = file.writeSync(zeros);
        size += n;
        if (n < chunk) break;
      } catch {
        break;
      }
    }
  }
  return size;
}

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(b.subarray(at, at + 65536));
  b[0] |= 1; // No leading zero byte: the atom has all `bytes` bytes.
  return "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether `/get/<key>` has a value. */
function has(runtime: Runtime, key: string): boolean {
  const r = runtime.peek(["get", key]);
  if (r.kind === "value") r.value.dispose();
  return r.kind === "value";
}

// deno-lint-ignore no-explicit-any
async function status(server: ServerProcess): Promise<any> {
  const r = await fetch(`${server.url}status`, { headers: auth(server.token) });
  assertEquals(r.status, 200);
  return await r.json();
}

/** Poke 128 KiB values until the server refuses three in a row with 507; the keys. */
async function pokeUntilFull(server: ServerProcess) {
  const answered: string[] = [];
  const refused: string[] = [];
  let inARow = 0;
  for (let i = 0; i < 600 && inARow < 3; i++) {
    const key = `k${i}`;
    const r = await pokeJson(server, ["put", key, { hex: randomHex(128 << 10) }]);
    const body = await r.json();
    if (r.status === 200) {
      assertEquals(body.eventNumber, answered.length + 1);
      answered.push(key);
      inARow = 0;
      continue;
    }
    assertEquals(r.status, 507, JSON.stringify(body));
    assertEquals(body.error.code, "CommitStalled");
    assert(r.headers.get("retry-after") !== null);
    refused.push(key);
    inARow++;
  }
  return { answered, refused };
}

kernelTest({
  name: "disk full: a server on a full tmpfs refuses pokes (507), keeps serving, resumes",
  ignore: refusal !== null,
  async fn() {
    await onTmpfs(48, async (mount) => {
      const dir = `${mount}/data`;
      const ballast = `${mount}/ballast`;
      Deno.writeFileSync(ballast, new Uint8Array(12 << 20).fill(1));
      const server = await startServerProcess(dir, { args: ["--snapshot-every", "20"] });
      try {
        const { answered, refused } = await pokeUntilFull(server);
        assert(answered.length > 10 && refused.length === 3, `${answered.length} answered`);
        const full = await status(server);
        assertEquals(full.health, "failed");
        assert(
          /NoSpaceLeft|disk is full|No space/i.test(full.commit.stalled.reason),
          full.commit.stalled.reason,
        );
        const health = await fetch(`${server.url}health`);
        assertEquals(health.status, 503);
        assertEquals((await health.json()).health, "failed");
        const ready = await fetch(`${server.url}readyz`);
        assertEquals([ready.status, await ready.text()], [503, "not ok\n"]);
        const peek = await fetch(`${server.url}peek/get/${answered[0]}`, {
          headers: auth(server.token),
        });
        assertEquals(peek.status, 200, "peeks go on while commits are stalled");
        await peek.body?.cancel();
        Deno.removeSync(ballast); // Space returns: the writer's retry resumes by itself.
        for (let t = 0; t < 150 && (await status(server)).commit.stalled !== null; t++) {
          await new Promise((res) => setTimeout(res, 200));
        }
        assertEquals((await status(server)).commit.stalled, null);
        const readyAgain = await fetch(`${server.url}readyz`);
        assertEquals([readyAgain.status, await readyAgain.text()], [200, "ok\n"]);
        for (const key of ["after1", "after2"]) {
          const r = await pokeJson(server, ["put", key, 1]);
          assertEquals(r.status, 200);
          await r.body?.cancel();
          answered.push(key);
        }
        assertEquals((await stopServer(server)).code, 0);
        withRuntime({ dataDir: dir }, (r) => {
          assertEquals(r.eventNumber, BigInt(answered.length), "every answered poke, no other");
          for (const key of answered) assert(has(r, key), `${key} was answered`);
          for (const key of refused) assert(!has(r, key), `${key} was refused`);
        });
        assertEquals(stateOf(dir).mug, replayOf(dir).mug);
      } finally {
        await stopServer(server);
      }
    });
  },
});

/** Put `count` values of `bytes` random bytes each, keys `v0`, `v1`, .... */
function putValues(r: Runtime, count: number, bytes: number): void {
  for (let i = 0; i < count; i++) {
    using cause = Noun.from(["put", `v${i}`, crypto.getRandomValues(new Uint8Array(bytes))]);
    r.poke(cause).effects.dispose();
  }
}

/** Poke with 64 KiB wires until a commit stalls; its reason. Answered pokes must read back. */
function logUntilFull(r: Runtime): string {
  const wire = ["w", "x".repeat(64 << 10)];
  for (let i = 0; i < 1000; i++) {
    using cause = Noun.from(["put", `w${i}`, i]);
    try {
      r.poke(cause, { wire }).effects.dispose();
      assert(has(r, `w${i}`));
    } catch (error) {
      assertEquals((error as { code?: string }).code, "CommitStalled", String(error));
      assert(!has(r, `w${i}`));
      return r.commitStatus().stalled!.reason;
    }
  }
  throw new Error("the log never filled the disk");
}

kernelTest({
  name:
    "disk full: a snapshot, a GC and the log's append on a full disk fail clearly, change nothing",
  ignore: refusal !== null,
  async fn() {
    await onTmpfs(24, (mount) => {
      const dir = `${mount}/data`;
      const ballast = `${mount}/ballast`;
      const r = Runtime.open({ dataDir: dir, snapshotEveryEvents: 0 });
      try {
        putValues(r, 40, 64 << 10);
        const snapshots = r.snapshots().length;
        using before = r.state();
        const mug = before.mug;
        assert(fill(ballast) > 0);
        assert.throws(() => r.snapshot(), /NoSpaceLeft|No space|disk is full/i);
        assertEquals(r.snapshots().length, snapshots, "no partial snapshot is listed");
        assert.throws(() => r.gc(), /NoSpaceLeft|No space|disk is full/i);
        using after = r.state();
        assertEquals(after.mug, mug);
        assert(has(r, "v0") && has(r, "v39"));
        // The log's append: events whose wire (logged, not kept in the state) is large.
        const reason = logUntilFull(r);
        assert(
          /the log could not (take|commit) events .*(disk is full|NoSpaceLeft)/i.test(reason),
          reason,
        );
        Deno.removeSync(ballast);
        assertEquals(r.retryCommit(), true);
        r.gc();
        r.snapshot();
        putValues(r, 2, 16);
      } finally {
        r.close();
      }
      const leftovers = [...Deno.readDirSync(`${dir}/pma`)].map((e) => e.name)
        .filter((n) => n.endsWith(".tmp"));
      assertEquals(leftovers, []);
      assertEquals(stateOf(dir).mug, replayOf(dir).mug);
    });
  },
});
