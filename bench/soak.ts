/**
 * A soak of the server (not CI): cycles of concurrent pokes and hostile requests against a
 * real server, a SIGKILL at a random moment, now and then a corruption of the data
 * directory (a byte flipped in old slab data, which the background scrub must find; or the
 * slab truncated, which the recovery must pass over), and a restart that must bring back
 * every answered poke. It runs for a bounded time and prints what it counted.
 *
 * Usage: deno run -A bench/soak.ts [--seconds=60] [--clients=4] [--seed=1]
 *
 * @module
 */

import { auth, pokeJson, startServerProcess, stopServer } from "../tests/_server_helpers.ts";
import type { ServerProcess } from "../tests/_server_helpers.ts";

interface Counts {
  cycles: number;
  kills: number;
  answered: number;
  unanswered: number;
  lost: number;
  hostile: number;
  hostileWrong: number;
  flips: number;
  flipsDetected: number;
  truncations: number;
  truncationsDetected: number;
  bootLevels: Record<string, number>;
}

/** A small deterministic generator (mulberry32), so a run can be repeated with its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

// deno-lint-ignore no-explicit-any
async function status(server: ServerProcess): Promise<any> {
  const r = await fetch(`${server.url}status`, { headers: auth(server.token) });
  return await r.json();
}

/** One client: poke new keys until `stop`; each answered key goes on `answered`. */
async function client(
  server: ServerProcess,
  tag: string,
  answered: string[],
  counts: Counts,
  stop: { now: boolean },
) {
  for (let i = 0; !stop.now; i++) {
    const key = `${tag}-${i}`;
    try {
      const r = await pokeJson(server, ["put", key, i]);
      await r.body?.cancel();
      if (r.status === 200) {
        answered.push(key);
        counts.answered++;
      } else counts.unanswered++;
    } catch {
      counts.unanswered++; // The kill cut it off: it may or may not be in the log.
      return;
    }
  }
}

/** Requests the server must refuse with a 4xx, and change nothing. */
function hostileRequests(server: ServerProcess): (() => Promise<Response>)[] {
  const url = `${server.url}poke`;
  const headers = { ...auth(server.token), "content-type": "application/json" };
  const post = (body: BodyInit, h: Record<string, string> = headers) => () =>
    fetch(url, { method: "POST", headers: h, body });
  return [
    post("{not json"),
    post("[".repeat(3000) + "1" + "]".repeat(3000)),
    post('["put", "\\ud800x", 1]'),
    post(JSON.stringify(["put", "k", 1]), { ...headers, "content-type": "text/plain" }),
    post(JSON.stringify(["put", "k", 1]), { ...headers, authorization: "Bearer nope" }),
    post(new Uint8Array(2 << 20)),
    () => fetch(`${server.url}nowhere`, { headers: auth(server.token) }),
  ];
}

async function hostile(
  server: ServerProcess,
  random: () => number,
  counts: Counts,
  stop: { now: boolean },
) {
  const requests = hostileRequests(server);
  while (!stop.now) {
    try {
      const r = await requests[Math.floor(random() * requests.length)]();
      await r.body?.cancel();
      counts.hostile++;
      if (r.status < 400 || r.status >= 500) counts.hostileWrong++;
    } catch {
      return;
    }
    await sleep(20);
  }
}

/** Check that every answered key reads back (all of them when `all`, else a sample). */
async function checkAnswered(
  server: ServerProcess,
  answered: string[],
  all: boolean,
  random: () => number,
) {
  const keys = all ? answered : [
    ...answered.slice(-20),
    ...Array.from(
      { length: Math.min(30, answered.length) },
      () => answered[Math.floor(random() * answered.length)],
    ),
  ];
  let lost = 0;
  for (const key of new Set(keys)) {
    const r = await fetch(`${server.url}peek/get/${key}`, { headers: auth(server.token) });
    await r.body?.cancel();
    if (r.status !== 200) lost++;
  }
  return lost;
}

/** The slab file the writer uses now: the newer of `0.pma` and `1.pma`. */
function currentSlab(dir: string): string | null {
  const found = ["0.pma", "1.pma"].flatMap((name) => {
    try {
      return [{
        path: `${dir}/pma/${name}`,
        at: Deno.statSync(`${dir}/pma/${name}`).mtime!.getTime(),
      }];
    } catch {
      return [];
    }
  });
  found.sort((a, b) => b.at - a.at);
  return found[0]?.path ?? null;
}

/** Damage the stopped data directory (a third of the time); returns what was done. */
function corrupt(dir: string, usedBytes: number, random: () => number): "flip" | "truncate" | null {
  const slab = currentSlab(dir);
  const roll = random();
  if (slab === null || roll > 1 / 3 || usedBytes < 256 << 10) return null;
  using file = Deno.openSync(slab, { read: true, write: true });
  if (roll < 1 / 6) {
    file.truncateSync(Math.floor(usedBytes / 2));
    return "truncate";
  }
  // Old data: past the meta pages, in the first half of what is used.
  const at = (64 << 10) + Math.floor(random() * (usedBytes / 2 - (64 << 10)));
  const b = new Uint8Array(1);
  file.seekSync(at, Deno.SeekMode.Start);
  file.readSync(b);
  b[0] ^= 1 << Math.floor(random() * 8);
  file.seekSync(at, Deno.SeekMode.Start);
  file.writeSync(b);
  return "flip";
}

/** Wait up to `ms` for the scrub of a running server to report a fault. */
async function scrubFinds(server: ServerProcess, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    if ((await status(server)).scrub?.faults > 0) return true;
  }
  return false;
}

/** Start a server on `dir` and wait until it serves; a server that stops first throws with
 * its output (a boot that was refused is a finding, not noise). */
async function start(dir: string): Promise<ServerProcess> {
  const server = await startServerProcess(dir, {
    args: ["--snapshot-every", "500"],
    waitReady: false,
  });
  let ended = false;
  server.exited.then(() => ended = true);
  for (let i = 0; i < 600 && !ended; i++) {
    try {
      if ((await status(server)).phase === "ready") return server;
    } catch { /* not answering yet, or gone */ }
    await sleep(100);
  }
  await stopServer(server);
  throw new Error(`The server did not become ready:\n${server.lines.join("\n")}`);
}

/** Start the server, after a corruption see that it is found, and check the answered keys. */
async function restart(
  dir: string,
  done: ReturnType<typeof corrupt>,
  answered: string[],
  counts: Counts,
  random: () => number,
) {
  let server: ServerProcess;
  try {
    server = await start(dir);
  } catch (error) {
    // The scrub may find the flip before the peek Workers open: they refuse, the server stops.
    if (done !== "flip" || !String(error).includes("data fault")) throw error;
    counts.flipsDetected++;
    return await restart(dir, null, answered, counts, random);
  }
  let booted = await status(server);
  if (done === "flip" && await scrubFinds(server, 8000)) {
    counts.flipsDetected++;
    await stopServer(server);
    server = await start(dir);
    booted = await status(server);
  }
  if (done === "truncate" && booted.boot.level >= 2) counts.truncationsDetected++;
  const level = String(booted.boot.level);
  counts.bootLevels[level] = (counts.bootLevels[level] ?? 0) + 1;
  counts.lost += await checkAnswered(server, answered, false, random);
  return server;
}

/** One cycle: load for a random 0.5 to 3 s, SIGKILL, maybe damage, restart and check. */
async function cycle(
  server: ServerProcess,
  clients: number,
  answered: string[],
  counts: Counts,
  random: () => number,
) {
  const stop = { now: false };
  const tag = `c${counts.cycles}`;
  const running = [
    ...Array.from(
      { length: clients },
      (_, c) => client(server, `${tag}-${c}`, answered, counts, stop),
    ),
    hostile(server, random, counts, stop),
  ];
  await sleep(500 + random() * 2500);
  const used = (await status(server)).slab?.usedBytes ?? 0;
  server.child.kill("SIGKILL");
  await server.exited;
  stop.now = true;
  await Promise.all(running);
  counts.kills++;
  const done = corrupt(server.dataDir, used, random);
  if (done === "flip") counts.flips++;
  if (done === "truncate") counts.truncations++;
  counts.cycles++;
  return await restart(server.dataDir, done, answered, counts, random);
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const given = Deno.args.find((a) => a.startsWith(`--${name}=`));
    const value = given === undefined ? fallback : Number(given.slice(name.length + 3));
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`Bad --${name}: ${given}`);
    return value;
  };
  const seconds = arg("seconds", 60);
  const clients = arg("clients", 4);
  const seed = arg("seed", 1);
  const random = generator(seed);
  const dir = Deno.makeTempDirSync({ prefix: "cellar-soak-" });
  const counts: Counts = {
    cycles: 0,
    kills: 0,
    answered: 0,
    unanswered: 0,
    lost: 0,
    hostile: 0,
    hostileWrong: 0,
    flips: 0,
    flipsDetected: 0,
    truncations: 0,
    truncationsDetected: 0,
    bootLevels: {},
  };
  const answered: string[] = [];
  const started = Date.now();
  let server = await start(dir);
  let failure: unknown = null;
  try {
    while (Date.now() - started < seconds * 1000) {
      server = await cycle(server, clients, answered, counts, random);
    }
    counts.lost += await checkAnswered(server, answered, true, random);
  } catch (error) {
    failure = error;
  } finally {
    await stopServer(server);
  }
  if (failure !== null) {
    console.log(`soak: stopped at cycle ${counts.cycles}; the data directory is kept: ${dir}`);
    console.log(failure instanceof Error ? failure.message : failure);
  } else Deno.removeSync(dir, { recursive: true });
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`soak: ${elapsed} s, ${clients} clients, seed ${seed}`);
  for (const [name, value] of Object.entries(counts)) {
    console.log(`  ${name}: ${JSON.stringify(value)}`);
  }
  if (failure !== null || counts.lost > 0 || counts.hostileWrong > 0) Deno.exit(1);
}

if (import.meta.main) await main();
