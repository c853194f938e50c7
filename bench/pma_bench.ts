/**
 * PMA benchmarks (issue 4): commit latency of a one-leaf change on a 1 GiB state next to
 * the raw fdatasync latency of the same directory, open of a 1 GiB slab to first peek, GC
 * throughput on 1 GiB live, the cost of the location bit (the same computation on nouns in
 * the PMA and in the workspace), and peak RSS while peeking a 4 GiB slab. Data checksums
 * (issue 12): commit latency with them on over off (same run), and the scrub's throughput
 * over the 1 GiB slab, warm and cold.
 *
 *   deno task bench:harness --filter pma
 *   deno task bench:harness --filter 1GiB        the 1 GiB cases only (one build of the state)
 *   deno task bench:harness --filter checksums   data checksums on vs off
 *
 * Big states are built inside the core by Nock (bench/pma_peek.ts), committed once, and
 * live in one temporary directory that is deleted at the end (or at exit).
 *
 * @module
 */
import { type BenchCase, median, tempFreeBytes, timeMs } from "./harness.ts";
import { collect, lastSteps, nock, Noun, Pma } from "../mod.ts";
import { buildTree, copyFormula, leafAtomAxis, treeBytes } from "./pma_peek.ts";
import { decrementFormula } from "./core_bench.ts";
import process from "node:process";

/** 2^24 leaves: a 1 GiB state. */
const bigDepth = 24;
/** The 4 GiB slab: four fresh copies of the 1 GiB tree. */
const rssCopies = 4;
const mib = 2 ** 20;
const gib = 2 ** 30;
const peekScript = new URL("./pma_peek.ts", import.meta.url).pathname;

// ------------------------------------------------------------------ fixtures

let tempRoot: string | null = null;
/** The PMA open on this thread (one per thread), by fixture name. */
let fixture: { name: string; pma: Pma } | null = null;
let bigBuild: { buildSeconds: number; commitSeconds: number } | null = null;

function temp(name: string): string {
  if (tempRoot === null) {
    tempRoot = Deno.makeTempDirSync({ prefix: "cellar-pma-bench-" });
    globalThis.addEventListener("unload", cleanup);
  }
  return `${tempRoot}/${name}`;
}

function closeFixture(): void {
  fixture?.pma.close();
  fixture = null;
}

function cleanup(): void {
  closeFixture();
  if (tempRoot !== null) Deno.removeSync(tempRoot, { recursive: true });
  tempRoot = null;
  bigBuild = null;
}

function usePma(name: string): Pma {
  if (fixture?.name === name) return fixture.pma;
  closeFixture();
  fixture = { name, pma: Pma.open(temp(name), { sidecar: "off" }) };
  return fixture.pma;
}

/** The 1 GiB state, built by Nock in the workspace and committed once. */
function bigPma(): Pma {
  const pma = usePma("big");
  if (bigBuild !== null) return pma;
  let tree: Noun | null = null;
  const buildMs = timeMs(() => tree = buildTree(bigDepth));
  collect();
  const commitMs = timeMs(() => pma.commit(tree!, 1, new Uint8Array(32)).dispose());
  tree!.dispose();
  collect();
  bigBuild = { buildSeconds: buildMs / 1000, commitSeconds: commitMs / 1000 };
  return pma;
}

async function runPeek(args: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", peekScript, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`pma_peek ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Drop a file's clean pages from the page cache (a cold open), through python3. */
async function evict(paths: string[]): Promise<void> {
  const code = "import os, sys\n" +
    "for p in sys.argv[1:]:\n" +
    "    fd = os.open(p, os.O_RDONLY)\n" +
    "    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\n" +
    "    os.close(fd)\n";
  const out = await new Deno.Command("python3", { args: ["-c", code, ...paths] }).output();
  if (!out.success) throw new Error("Cannot evict the slab from the page cache");
}

/**
 * One location-bit comparison: `pma` time over `workspace` time, alternating which runs
 * first. Each run starts from a collected workspace, so neither inherits the other's
 * garbage or a half-full nursery.
 */
function ratioSample(
  index: { i: number },
  workspaceRun: () => number,
  pmaRun: () => number,
): { value: number; extra: Record<string, number> } {
  const first = index.i++ % 2 === 0;
  collect();
  const a = first ? workspaceRun() : pmaRun();
  collect();
  const b = first ? pmaRun() : workspaceRun();
  const [ws, pma] = first ? [a, b] : [b, a];
  return { value: pma / ws, extra: { workspaceMs: ws, pmaMs: pma } };
}

// ------------------------------------------------------------------ cases

function commitCase(): BenchCase {
  let pma: Pma | null = null;
  let root: Noun | null = null;
  let raw: Deno.FsFile | null = null;
  const block = new Uint8Array(4096).fill(0x5a);
  let n = 0;
  return {
    name: "pma/commit-1leaf-1GiB-vs-fdatasync",
    unit: "x",
    better: "lower",
    samples: 21,
    target: { op: "<=", value: 1.5 },
    setup: () => {
      pma = bigPma();
      root = pma.root;
      // A preallocated, synced file beside the slab: each sample rewrites one page of it.
      raw = Deno.openSync(`${temp("big")}/raw.dat`, { read: true, write: true, create: true });
      raw.writeSync(new Uint8Array(mib));
      raw.syncSync();
    },
    sample: () => {
      const i = n++;
      const index = (i * 2654435761) % 2 ** bigDepth;
      using edit = Noun.from([10, [2 ** bigDepth + index, 1, i + 1], 0, 1]);
      using changed = nock(root!, edit); // the new spine, in the workspace
      const syncRaw = () =>
        timeMs(() => {
          raw!.seekSync((i % 256) * 4096, Deno.SeekMode.Start);
          raw!.writeSync(block);
          raw!.syncDataSync();
        });
      let next: Noun | null = null;
      const commit = () => timeMs(() => next = pma!.commit(changed, i + 2, new Uint8Array(32)));
      const rawFirst = i % 2 === 0;
      const a = rawFirst ? syncRaw() : commit();
      const b = rawFirst ? commit() : syncRaw();
      const [rawMs, commitMs] = rawFirst ? [a, b] : [b, a];
      root!.dispose();
      root = next;
      return {
        value: commitMs / rawMs,
        extra: {
          commitMs,
          fdatasyncMs: rawMs,
          appendedBytes: pma!.stats().appendedBytesLastCommit,
          stateGiB: treeBytes(bigDepth) / gib,
          buildSeconds: bigBuild!.buildSeconds,
          initialCommitSeconds: bigBuild!.commitSeconds,
        },
      };
    },
    teardown: () => {
      root?.dispose();
      raw?.close();
      root = null;
    },
  };
}

/** CPU milliseconds this process has used (all threads, user and system). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The memory's limit for a copying collector: a `memcpy` of 1 GiB (ms), warm buffers. */
function memcpyGibMs(): number {
  const from = new Uint8Array(gib).fill(1);
  const to = new Uint8Array(gib);
  to.set(from); // Fault both in first.
  return timeMs(() => to.set(from));
}

/** The disk's limit for a durable collector: 1 GiB written and fdatasynced (ms). */
function diskGibMs(path: string): number {
  const chunk = new Uint8Array(8 * mib).fill(0x5a);
  const ms = timeMs(() => {
    using file = Deno.openSync(path, { write: true, create: true, truncate: true });
    for (let done = 0; done < gib; done += chunk.length) file.writeSync(chunk);
    file.syncDataSync();
  });
  Deno.removeSync(path);
  return ms;
}

function gcCase(): BenchCase {
  let pma: Pma | null = null;
  let limits = { memcpyMs: 0, diskMs: 0 };
  return {
    name: "pma/gc-1GiB-live",
    unit: "MiB/s",
    better: "higher",
    samples: 3,
    target: { op: ">=", value: 1024 },
    setup: () => {
      pma = bigPma(); // Creates the directory the disk's figure is measured in.
      collect();
      limits = { memcpyMs: memcpyGibMs(), diskMs: diskGibMs(`${temp("big")}/disk.dat`) };
    },
    sample: () => {
      let r: ReturnType<Pma["gc"]> | null = null;
      const cpu = cpuMs();
      const ms = timeMs(() => r = pma!.gc());
      const liveGib = r!.liveBytes / gib;
      const p = r!.phasesMs;
      return {
        value: liveGib * 1024 / (ms / 1000),
        extra: {
          liveMiB: liveGib * 1024,
          wallMs: ms,
          cpuMs: cpuMs() - cpu,
          checkMs: p.check,
          markMs: p.mark,
          copyMs: p.copy,
          syncMs: p.sync,
          // The same run's limits, per GiB of live data: GC over memcpy, GC over the disk.
          memcpyGibMs: limits.memcpyMs,
          diskWriteSyncGibMs: limits.diskMs,
          gcOverMemcpy: ms / liveGib / limits.memcpyMs,
          gcOverDisk: ms / liveGib / limits.diskMs,
        },
      };
    },
  };
}

/** Commit `count` one-leaf changes to the depth-`depth` tree in `dir`, opened with data
 * checksums on or off; the commit times (ms). `next` numbers the events. */
function commitBlock(
  dir: string,
  checksums: boolean,
  options: { count: number; depth: number; next: { event: number } },
): number[] {
  using pma = Pma.open(dir, { sidecar: "off", dataChecksums: checksums });
  let root = pma.root;
  const times: number[] = [];
  for (let k = 0; k < options.count; k++) {
    const event = ++options.next.event;
    const index = (event * 2654435761) % 2 ** options.depth;
    using edit = Noun.from([10, [2 ** options.depth + index, 1, event], 0, 1]);
    using changed = nock(root, edit);
    let next: Noun | null = null;
    times.push(timeMs(() => next = pma.commit(changed, event, new Uint8Array(32))));
    root.dispose();
    root = next!;
  }
  root.dispose();
  collect();
  return times;
}

function checksumCommitCase(): BenchCase {
  const depth = 20;
  // Blocks long enough that the open extent is closed by a record a few times in each.
  const block = { count: 64, depth, next: { event: 1 } };
  let dir = "";
  let i = 0;
  return {
    name: "pma/commit-1leaf-checksums-on-vs-off",
    unit: "x",
    better: "lower",
    samples: 11,
    target: { op: "<=", value: 1.1 },
    setup: () => {
      closeFixture();
      dir = temp("checksums");
      using pma = Pma.open(dir, { sidecar: "off" });
      using tree = buildTree(depth);
      pma.commit(tree, 1, new Uint8Array(32)).dispose();
    },
    sample: () => {
      const onFirst = i++ % 2 === 0;
      const a = commitBlock(dir, onFirst, block);
      const b = commitBlock(dir, !onFirst, block);
      const [on, off] = onFirst ? [a, b] : [b, a];
      const onMs = median(on);
      const offMs = median(off);
      return {
        value: onMs / offMs,
        extra: { onUs: onMs * 1000, offUs: offMs * 1000, extraUs: (onMs - offMs) * 1000 },
      };
    },
    teardown: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/** One whole scrub pass over `pma`, 64 MiB a step (the first step starts the pass). */
function scrubPass(pma: Pma): { ms: number; steps: number; totalBytes: number } {
  let steps = 0;
  let step: ReturnType<Pma["scrubStep"]> | null = null;
  const ms = timeMs(() => {
    do {
      step = pma.scrubStep(64 * mib);
      steps++;
    } while (!step.passDone);
  });
  if (step!.faults !== 0) throw new Error(`Scrub: ${step!.fault?.message}`);
  return { ms, steps, totalBytes: step!.totalBytes };
}

function scrubCase(): BenchCase {
  return {
    name: "pma/scrub-1GiB-warm",
    unit: "GiB/s",
    better: "higher",
    samples: 5,
    setup: () => {
      bigPma();
    },
    sample: () => {
      const pma = bigPma();
      const pass = scrubPass(pma);
      const ms = pass.ms;
      let check: ReturnType<Pma["check"]> | null = null;
      const checkMs = timeMs(() => check = pma.check());
      return {
        value: pass.totalBytes / gib / (ms / 1000),
        extra: {
          totalGiB: pass.totalBytes / gib,
          steps: pass.steps,
          stepMs: ms / pass.steps,
          checkMs,
          unverifiedBytes: check!.unverifiedBytes,
        },
      };
    },
  };
}

function scrubColdCase(): BenchCase {
  let dir = "";
  return {
    name: "pma/scrub-1GiB-cold",
    unit: "GiB/s",
    better: "higher",
    samples: 3,
    setup: () => {
      bigPma();
      dir = temp("big");
      closeFixture(); // Mapped pages cannot be evicted.
    },
    sample: async () => {
      await evict(["0.pma", "1.pma"].map((f) => `${dir}/${f}`).filter(isFile));
      using pma = Pma.open(dir, { readOnly: true });
      let check: ReturnType<Pma["check"]> | null = null;
      const ms = timeMs(() => check = pma.check());
      if (check!.faults !== 0) throw new Error(`Check: ${check!.fault?.message}`);
      return { value: check!.totalBytes / gib / (ms / 1000), extra: { checkMs: ms } };
    },
  };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function openCase(): BenchCase {
  let dir = "";
  const axis = leafAtomAxis(bigDepth, 123_456);
  return {
    name: "pma/open-1GiB-first-peek",
    unit: "ms",
    better: "lower",
    samples: 7,
    target: { op: "<=", value: 50 },
    setup: () => {
      bigPma();
      dir = temp("big");
      // Mapped pages cannot be evicted: the writer closes, each sample opens afresh.
      closeFixture();
    },
    sample: async () => {
      const warm = await runPeek(["open", dir, String(axis)]);
      const slabs = ["0.pma", "1.pma"].map((f) => `${dir}/${f}`).filter((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      });
      await evict(slabs);
      const cold = await runPeek(["open", dir, String(axis)]);
      return { value: warm.ms, extra: { coldMs: cold.ms, usedGiB: warm.usedBytes / gib } };
    },
  };
}

function rssCase(): BenchCase {
  const needed = rssCopies * treeBytes(bigDepth) * 1.5 + 4 * gib;
  const free = tempFreeBytes();
  let dir = "";
  let built: Record<string, number> = {};
  return {
    name: "pma/peek-4GiB-slab-peak-rss",
    unit: "MiB",
    better: "lower",
    samples: 3,
    skip: free < needed
      ? `needs ${(needed / gib).toFixed(0)} GiB free on the temp file system, has ${
        (free / gib).toFixed(1)
      }`
      : undefined,
    setup: async () => {
      closeFixture(); // Leave the memory to the builder process.
      collect();
      dir = temp("rss");
      built = await runPeek(["build", dir, String(bigDepth), String(rssCopies)]);
    },
    sample: async () => {
      await evict([`${dir}/0.pma`]);
      const r = await runPeek(["peek", dir, String(bigDepth)]);
      return {
        value: r.hwmMib,
        extra: {
          hwmBeforeOpenMiB: r.hwmBeforeOpenMib,
          deltaMiB: r.hwmMib - r.hwmBeforeOpenMib,
          rssFileMiB: r.rssFileMib,
          slabGiB: r.slabBytes / gib,
          usedGiB: r.usedBytes / gib,
          buildSeconds: built.seconds,
        },
      };
    },
    teardown: () => {
      if (dir) Deno.removeSync(dir, { recursive: true });
      // The big slab is not needed past this point either.
      closeFixture();
      try {
        Deno.removeSync(temp("big"), { recursive: true });
      } catch {
        // Not built in this run (filtered out).
      }
      bigBuild = null;
    },
  };
}

function decrementCase(): BenchCase {
  let subject: Noun | null = null;
  let inWorkspace: Noun | null = null;
  let inPma: Noun | null = null;
  const index = { i: 0 };
  const run = (formula: Noun) =>
    timeMs(() => {
      using product = nock(subject!, formula);
      if (product.toNumber() !== 9_999_999) throw new Error("Decrement: wrong product");
    });
  return {
    name: "pma/location-decrement-1e7",
    unit: "x",
    better: "lower",
    samples: 7,
    target: { op: "<=", value: 1.05 },
    setup: () => {
      const pma = usePma("location");
      subject = Noun.atom(10_000_000);
      inWorkspace = Noun.from(decrementFormula);
      using copy = Noun.from(decrementFormula);
      inPma = pma.commit(copy, 1, new Uint8Array(32));
    },
    sample: () => {
      const r = ratioSample(index, () => run(inWorkspace!), () => run(inPma!));
      const steps = lastSteps();
      return {
        value: r.value,
        extra: {
          ...r.extra,
          workspaceMops: steps / (r.extra.workspaceMs * 1000),
          pmaMops: steps / (r.extra.pmaMs * 1000),
        },
      };
    },
    teardown: () => {
      for (const n of [subject, inWorkspace, inPma]) n?.dispose();
    },
  };
}

/** A balanced tree of 2^18 distinct 16-byte atoms, built through the FFI. */
function distinctTree(): Noun {
  const leaves = 1 << 18;
  const bytes = new Uint8Array(16);
  let level: Noun[] = [];
  for (let i = 0; i < leaves; i++) {
    new DataView(bytes.buffer).setUint32(0, i * 2654435761 >>> 0, true);
    new DataView(bytes.buffer).setUint32(8, i, true);
    bytes[15] = 0x80;
    level.push(Noun.atom(bytes));
  }
  while (level.length > 1) {
    const next: Noun[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(Noun.cell(level[i], level[i + 1]));
      level[i].dispose();
      level[i + 1].dispose();
    }
    level = next;
  }
  return level[0];
}

function jamCase(): BenchCase {
  let inWorkspace: Noun | null = null;
  let inPma: Noun | null = null;
  let jamBytes = 0;
  const index = { i: 0 };
  const run = (n: Noun) => timeMs(() => jamBytes = n.jam().length);
  return {
    name: "pma/location-jam-2^18-leaves",
    unit: "x",
    better: "lower",
    samples: 11,
    target: { op: "<=", value: 1.05 },
    setup: () => {
      const pma = usePma("location");
      inWorkspace = distinctTree();
      inPma = pma.commit(inWorkspace, 2, new Uint8Array(32));
      collect(); // Lay the workspace copy out breadth-first, as the commit laid out the PMA's.
      run(inWorkspace); // The first jams compute and cache every mug.
      run(inPma);
    },
    sample: () => {
      const r = ratioSample(index, () => run(inWorkspace!), () => run(inPma!));
      return { value: r.value, extra: { ...r.extra, jamMB: jamBytes / 1e6 } };
    },
    teardown: () => {
      inWorkspace?.dispose();
      inPma?.dispose();
    },
  };
}

function walkCase(): BenchCase {
  const depth = 20;
  let inWorkspace: Noun | null = null;
  let inPma: Noun | null = null;
  let formula: Noun | null = null;
  const index = { i: 0 };
  const run = (n: Noun) =>
    timeMs(() => {
      nock(n, formula!).dispose();
    });
  return {
    name: "pma/location-nock-walk-64MiB",
    unit: "x",
    better: "lower",
    samples: 11,
    target: { op: "<=", value: 1.05 },
    setup: () => {
      const pma = usePma("location");
      formula = Noun.from(copyFormula);
      inWorkspace = buildTree(depth);
      inPma = pma.commit(inWorkspace, 3, new Uint8Array(32));
      collect(); // Breadth-first layout, as in the PMA.
    },
    sample: () => {
      const r = ratioSample(index, () => run(inWorkspace!), () => run(inPma!));
      return { value: r.value, extra: { ...r.extra, treeMiB: treeBytes(depth) / mib } };
    },
    teardown: () => {
      for (const n of [inWorkspace, inPma, formula]) n?.dispose();
      cleanup();
    },
  };
}

/** The benchmark cases of this file. */
export function cases(): BenchCase[] {
  return [
    commitCase(),
    gcCase(),
    scrubCase(),
    scrubColdCase(),
    openCase(),
    rssCase(),
    decrementCase(),
    jamCase(),
    walkCase(),
    checksumCommitCase(),
  ];
}
