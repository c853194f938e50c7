/**
 * Group commit through the HTTP server (a real `src/server/server.ts` process): concurrent
 * pokes are committed in groups and each is answered once durable; a writer that cannot
 * commit answers 507 with Retry-After, says so in `/status`, and resumes by itself; a SIGKILL
 * at a group step loses no answered poke.
 */

import assert from "node:assert/strict";
import { assertEquals, kernelTest } from "./_helpers.ts";
import {
  auth,
  freePort,
  peekJson,
  pokeJson,
  serverFlags,
  type ServerProcess,
  startServerProcess,
  stopServer,
} from "./_server_helpers.ts";

const env = "--allow-env=CELLAR_LIB";

/** A server that may read the fault and crash variables given in `vars`. */
function startWith(dataDir: string, vars: Record<string, string>): Promise<ServerProcess> {
  const port = freePort();
  const names = ["CELLAR_LIB", ...Object.keys(vars)].join(",");
  const flags = serverFlags(dataDir, port).map((f) => (f === env ? `--allow-env=${names}` : f));
  assert(flags.includes(`--allow-env=${names}`), "the server flags changed their env grant");
  return startServerProcess(dataDir, { port, flags, env: vars });
}

// deno-lint-ignore no-explicit-any
async function status(server: ServerProcess): Promise<Record<string, any>> {
  const r = await fetch(`${server.url}status`, { headers: auth(server.token) });
  assertEquals(r.status, 200);
  return await r.json();
}

async function metric(server: ServerProcess, name: string): Promise<number> {
  const r = await fetch(`${server.url}metrics`, { headers: auth(server.token) });
  const line = (await r.text()).split("\n").find((l) => l.startsWith(`${name} `));
  assert(line !== undefined, `no ${name}`);
  return Number(line.split(" ")[1]);
}

async function put(server: ServerProcess, key: string, value: number): Promise<Response> {
  return await pokeJson(server, ["put", key, value]);
}

/** Whether `/get/<key>` has a value (200), or not (404). */
async function has(server: ServerProcess, key: string): Promise<boolean> {
  const r = await peekJson(server, `get/${key}`);
  await r.body?.cancel();
  assert(r.status === 200 || r.status === 404, `peek ${key}: ${r.status}`);
  return r.status === 200;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

kernelTest("server: concurrent pokes are committed in groups, each answered durable", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-server-group-" });
  const server = await startServerProcess(dataDir);
  try {
    const rs = await Promise.all(Array.from({ length: 48 }, (_, i) => put(server, `k${i}`, i)));
    const events = await Promise.all(rs.map(async (r) => {
      assertEquals(r.status, 200);
      return Number((await r.json()).eventNumber);
    }));
    assertEquals(events.toSorted((a, b) => a - b), events.map((_, i) => i + 1));
    await sleep(2200); // the periodic status carries the last group sizes
    assertEquals(await metric(server, "cellar_group_size_sum"), 48);
    const groups = await metric(server, "cellar_group_size_count");
    assert(groups < 48, `48 concurrent pokes took ${groups} groups`);
    const s = await status(server);
    assertEquals(s.commit.groups, groups);
    assert(s.commit.pmaSyncs <= groups + 1, `PMA syncs ${s.commit.pmaSyncs}`);
    for (const i of [0, 23, 47]) assert(await has(server, `k${i}`));
  } finally {
    await stopServer(server);
    Deno.removeSync(dataDir, { recursive: true });
  }
});

kernelTest("server: a writer that cannot commit answers 507 and resumes by itself", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-server-full-" });
  // Group commits 4 and 5 (the first failure and the first retry) fail as on a full disk.
  const server = await startWith(dataDir, { CELLAR_FAULTS: "pma-commit:4:2" });
  try {
    for (let i = 0; i < 3; i++) assertEquals((await put(server, `a${i}`, i)).status, 200);
    const refused = await put(server, "x0", 0);
    assertEquals(refused.status, 507);
    assert(Number(refused.headers.get("retry-after")) >= 1);
    assertEquals((await refused.json()).error.code, "CommitStalled");
    const s = await status(server);
    assertEquals(s.health, "failed");
    assert(s.commit.stalled.reason.includes("Injected fault"), s.commit.stalled.reason);
    assertEquals((await put(server, "x1", 1)).status, 507, "refused at once while stalled");
    // Retries at +1 s (fails) and +3 s (works).
    let resumed = false;
    for (let t = 0; t < 100 && !resumed; t++) {
      await sleep(100);
      resumed = (await status(server)).commit.stalled === null;
    }
    assert(resumed, server.lines.join("\n"));
    assertEquals((await status(server)).health, "healthy");
    const after = await put(server, "b", 7);
    assertEquals(after.status, 200);
    assertEquals((await after.json()).eventNumber, 4, "no event was lost or added");
    for (const key of ["x0", "x1"]) assert(!(await has(server, key)), `${key} was refused`);
    for (const key of ["a0", "a2", "b"]) assert(await has(server, key), key);
    assert(server.lines.some((l) => l.includes("commits stalled")));
    assert(server.lines.some((l) => l.includes("commits work again")));
  } finally {
    await stopServer(server);
    Deno.removeSync(dataDir, { recursive: true });
  }
});

kernelTest("server: SIGKILL at a group's PMA commit loses no answered poke", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-server-kill-" });
  const server = await startWith(dataDir, { CELLAR_CRASH_AT: "committed@40" });
  const answered: string[] = [];
  const client = async (c: number) => {
    for (let i = 0; i < 40; i++) {
      const key = `c${c}-${i}`;
      try {
        const r = await put(server, key, i);
        if (r.status === 200) answered.push(key);
        await r.body?.cancel();
      } catch {
        return; // the server died
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
  const exit = await server.exited;
  assertEquals(exit.signal, "SIGKILL");
  assert(answered.length < 40, `${answered.length} answered before event 40's group`);
  const again = await startServerProcess(dataDir);
  try {
    const s = await status(again);
    assert(s.eventNumber >= 40, `the durable group of event 40 is kept (${s.eventNumber})`);
    for (const key of answered) assert(await has(again, key), `${key} was answered, then lost`);
  } finally {
    await stopServer(again);
    Deno.removeSync(dataDir, { recursive: true });
  }
});
