/**
 * NockApp runtime benchmarks (issue 5), each job in a fresh process (bench/_runtime_work.ts):
 * - durable poke latency and throughput with the default kernel holding 10^6 entries (the
 *   10^6-entry data directory is built once and kept in bench/results/fixtures/);
 * - boot time: the fast path (PMA matches the log) vs a full replay of 10^5 events;
 * - snapshot creation and verification of a 1 GiB state.
 *
 * @module
 */

import { type BenchCase, runWork, tempFreeBytes } from "./harness.ts";

const work = new URL("./_runtime_work.ts", import.meta.url).pathname;
const fixtures = new URL("./results/fixtures/", import.meta.url).pathname;

function job(args: string[]): Promise<Record<string, number>> {
  return runWork(work, args);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A fixture directory, built by `build` once (marked complete by a `.done` file). */
async function fixture(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = `${fixtures}${name}`;
  if (exists(`${dir}/.done`)) return dir;
  removeQuietly(dir);
  Deno.mkdirSync(dir, { recursive: true });
  await build(dir);
  Deno.writeTextFileSync(`${dir}/.done`, new Date().toISOString());
  return dir;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch { /* absent */ }
}

function pokeCase(): BenchCase {
  let dir = "";
  return {
    name: "runtime/durable-poke-kv-1e6",
    unit: "ms",
    better: "lower",
    samples: 3,
    async setup() {
      Deno.mkdirSync(fixtures, { recursive: true });
      dir = await fixture("kv-1e6", async (d) => {
        const r = await job(["fill", d, "1000000"]);
        console.error(`  built the 10^6-entry fixture in ${r.fillSeconds.toFixed(0)} s`);
      });
    },
    async sample() {
      const r = await job(["pokes", dir, "1000"]);
      return {
        value: r.medianMs,
        extra: {
          p99Ms: r.p99Ms,
          pokesPerSecond: r.pokesPerSecond,
          computeMedianMs: r.computeMedianMs,
          entries: r.entries,
        },
      };
    },
  };
}

function bootCases(): BenchCase[] {
  let log = "";
  let dir = "";
  const prepare = async () => {
    Deno.mkdirSync(fixtures, { recursive: true });
    log = await fixture("log-1e5", async (d) => {
      await job(["mklog", d, "100000"]);
    });
  };
  const fresh = () => {
    removeQuietly(dir);
    dir = Deno.makeTempDirSync({ prefix: "cellar-boot-" });
    Deno.copyFileSync(`${log}/log.sqlite`, `${dir}/log.sqlite`);
  };
  return [
    {
      name: "runtime/boot-full-replay-1e5",
      unit: "ms",
      better: "lower",
      samples: 3,
      setup: prepare,
      async sample() {
        fresh();
        const r = await job(["open", dir]);
        if (r.level !== 4 || r.replayed !== 100_000) throw new Error(`level ${r.level}`);
        return { value: r.bootMs, extra: { eventsPerSecond: r.replayed / (r.bootMs / 1000) } };
      },
      teardown() {},
    },
    {
      name: "runtime/boot-fast-path-1e5",
      unit: "ms",
      better: "lower",
      samples: 5,
      async setup() {
        await prepare();
        if (!exists(`${dir}/pma`)) {
          fresh();
          await job(["open", dir]);
        }
      },
      async sample() {
        const r = await job(["open", dir]);
        if (r.level !== 1 || r.replayed !== 0) throw new Error(`level ${r.level}`);
        return { value: r.bootMs, extra: { openMs: r.openMs } };
      },
      teardown() {
        removeQuietly(dir);
      },
    },
  ];
}

function snapshotCase(): BenchCase {
  const enough = tempFreeBytes() > 5 * 2 ** 30;
  return {
    name: "runtime/snapshot-create-1GiB",
    unit: "ms",
    better: "lower",
    samples: 1,
    skip: enough ? undefined : "needs 5 GiB free on the temp file system",
    async sample() {
      const dir = Deno.makeTempDirSync({ prefix: "cellar-snap-" });
      try {
        const r = await job(["snapshot", dir, "24"]);
        return {
          value: r.createMs,
          extra: {
            verifyMs: r.verifyMs,
            usedGiB: r.usedBytes / 2 ** 30,
            // Per GiB, and against writing as many bytes and fdatasyncing them (same run).
            createMsPerGiB: r.createMs / (r.usedBytes / 2 ** 30),
            verifyMsPerGiB: r.verifyMs / (r.usedBytes / 2 ** 30),
            diskWriteSyncMs: r.diskWriteSyncMs,
            createOverDisk: r.createMs / r.diskWriteSyncMs,
          },
        };
      } finally {
        removeQuietly(dir);
      }
    },
  };
}

/** The runtime cases. */
export function cases(): BenchCase[] {
  return [pokeCase(), ...bootCases(), snapshotCase()];
}
