/**
 * Booting a data directory from an existing state: the `EXPJAM` container, the runtime
 * (`Runtime.open({state})`: load arm, event 0, full replay from the state, refusals that
 * create nothing), and the CLI (`cellar boot --state`, `cellar export --state [--expjam]`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { EventLog, handleCount, Noun, Runtime, RuntimeError } from "../mod.ts";
import { blake3, hex } from "../src/runtime/files.ts";
import {
  cueState,
  encodeExportedState,
  readStateFile,
  StateFileError,
} from "../src/runtime/state_file.ts";
import { assertEquals, assertThrows, hasCorpus, readCorpus } from "./_helpers.ts";
import {
  assertPeek,
  effectsKernel,
  effectsKernelPath,
  expectExit,
  runCellar,
  tempDir,
} from "./_nockapp_helpers.ts";
import { replayOf, stateOf } from "./_runtime_helpers.ts";

handleCount();

const root = tempDir("cellar_boot_state_test_");
const kernelHash = hex(blake3(effectsKernel()));

/** A data directory of the test kernel after `n` pokes; returns its state noun's jam. */
function stateAfter(dir: string, n: number): Uint8Array {
  using r = Runtime.open({ dataDir: dir, kernel: effectsKernel() });
  for (let i = 0; i < n; i++) {
    using cause = Noun.from(["n", i]);
    r.poke(cause).effects.dispose();
  }
  using core = r.state();
  using state = core.at(6);
  return state.jam();
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("state file: the EXPJAM layout, both ways", () => {
  const jam = new Uint8Array([0x31, 0x12]);
  const bytes = encodeExportedState({ kernelHash: "ab".repeat(32), eventNumber: 300n, jam });
  // magic 'EXPJAM' as a u64 varint, version 0, the hash, event 300 (a u16 varint), length 2.
  assertEquals([...bytes.subarray(0, 10)], [253, 0x45, 0x58, 0x50, 0x4a, 0x41, 0x4d, 0, 0, 0]);
  assertEquals([...bytes.subarray(10, 42)], new Array(32).fill(0xab));
  assertEquals([...bytes.subarray(42)], [251, 0x2c, 0x01, 2, 0x31, 0x12]);
  const file = readStateFile(bytes);
  assert(file.format === "expjam");
  assertEquals(file.kernelHash, "ab".repeat(32));
  assertEquals(file.eventNumber, 300n);
  assertEquals([...file.jam], [0x31, 0x12]);
  for (const event of [0n, 250n, 251n, 65_536n, 2n ** 40n]) {
    const again = readStateFile(encodeExportedState({ kernelHash, eventNumber: event, jam }));
    assert(again.format === "expjam" && again.eventNumber === event, String(event));
  }
  // Anything without the magic is a plain jam.
  assertEquals(readStateFile(jam), { format: "jam", jam });
});

Deno.test("state file: bad containers are refused with the reason", () => {
  const jam = new Uint8Array([0x31, 0x12]);
  const good = encodeExportedState({ kernelHash, eventNumber: 5n, jam });
  const cases: [string, Uint8Array, string][] = [
    [
      "unknown version",
      Uint8Array.of(...good.subarray(0, 9), 1, ...good.subarray(10)),
      "version 1",
    ],
    ["truncated hash", good.subarray(0, 30), "kernel hash needs 32 bytes"],
    ["truncated state", good.subarray(0, good.length - 1), "truncated"],
    ["no event", good.subarray(0, 42), "event number needs 1 bytes"],
    ["trailing bytes", Uint8Array.of(...good, 0), "1 bytes after the state"],
    [
      "a checkpoint",
      Uint8Array.of(253, 0x43, 0x48, 0x4b, 0x4a, 0x41, 0x4d, 0, 0, 2),
      "NockApp checkpoint",
    ],
  ];
  for (const [, bytes, message] of cases) {
    assertThrows(() => readStateFile(bytes), StateFileError, message);
  }
  // A jam that does not cue (the container is fine, its state is not).
  const bad = encodeExportedState({ kernelHash, eventNumber: 5n, jam: new Uint8Array([0, 0]) });
  const file = readStateFile(bad);
  assertThrows(() => cueState(file.jam), StateFileError, "does not cue");
});

Deno.test("boot state: a state noun becomes event 0 through the load arm, and replays", () => {
  const state = stateAfter(`${root}/source`, 3);
  const dir = `${root}/from-noun`;
  {
    using noun = Noun.cue(state);
    using r = Runtime.open({
      dataDir: dir,
      kernel: effectsKernel(),
      state: { state: noun, source: "the test's state" },
    });
    assertEquals(r.eventNumber, 0n);
    assertEquals(r.bootReport.level, 0);
    assert.match(r.bootReport.detail, /loaded the test's state as event 0/);
    assertPeek(r, "/count", 3);
    using cause = Noun.from(["after", 0]);
    assertEquals(r.poke(cause).eventNumber, 1n);
    r.poke(cause).effects.dispose();
    assertPeek(r, "/count", 5);
    const boot = r.log.bootState();
    assert(boot !== null);
    assertEquals(hex(boot.jam), hex(state));
  }
  // Reopen by the fast path; a replay of the log alone starts from the state too.
  assertEquals(stateOf(dir).level, 1);
  assertEquals(replayOf(dir).mug, stateOf(dir).mug);
});

Deno.test("boot state: EXPJAM bytes of the same kernel, and of another kernel", () => {
  const jam = stateAfter(`${root}/source-expjam`, 2);
  const same = encodeExportedState({ kernelHash, eventNumber: 2n, jam });
  {
    using r = Runtime.open({ dataDir: `${root}/expjam`, kernel: effectsKernel(), state: same });
    assertPeek(r, "/count", 2);
    assert.match(r.bootReport.detail, /EXPJAM version 0, event 2 of kernel/);
  }
  const otherHash = "cd".repeat(32);
  const other = encodeExportedState({ kernelHash: otherHash, eventNumber: 2n, jam });
  const dir = `${root}/expjam-other`;
  const error = assertThrows(
    () => Runtime.open({ dataDir: dir, kernel: effectsKernel(), state: other }),
    RuntimeError,
    otherHash,
  );
  assertEquals(error.code, "KernelMismatch");
  assert(error.message.includes(kernelHash), error.message);
  assert(!exists(dir), "a refused state creates nothing");
  using r = Runtime.open({
    dataDir: dir,
    kernel: effectsKernel(),
    state: { state: other, force: true },
  });
  assertPeek(r, "/count", 2);
});

Deno.test("boot state: bad files, a state the load arm rejects and an existing directory create nothing", () => {
  const good = encodeExportedState({
    kernelHash,
    eventNumber: 1n,
    jam: stateAfter(`${root}/s3`, 1),
  });
  const cases: [string, Uint8Array, string][] = [
    [
      "unknown version",
      Uint8Array.of(...good.subarray(0, 9), 7, ...good.subarray(10)),
      "version 7",
    ],
    ["truncated", good.subarray(0, 20), "truncated"],
    ["not a jam", new Uint8Array([0, 0, 0]), "does not cue"],
    ["empty", new Uint8Array(0), "empty"],
    ["rejected by load", new Uint8Array([80, 21]), "load arm rejected"], // the jam of 42
  ];
  for (const [what, bytes, message] of cases) {
    const dir = `${root}/bad-${what.replaceAll(" ", "-")}`;
    const error = assertThrows(
      () => Runtime.open({ dataDir: dir, kernel: effectsKernel(), state: bytes }),
      RuntimeError,
      message,
    );
    assertEquals(error.code, "BadState", what);
    assert(!exists(dir), `${what}: nothing is created`);
  }
  const dir = `${root}/existing`;
  Runtime.open({ dataDir: dir, kernel: effectsKernel() }).close();
  const error = assertThrows(
    () => Runtime.open({ dataDir: dir, kernel: effectsKernel(), state: good }),
    RuntimeError,
    "already has an event log",
  );
  assertEquals(error.code, "BadState");
  const log = EventLog.open(`${dir}/log.sqlite`);
  assertEquals(log.bootState(), null);
  log.close();
});

Deno.test("boot state: cellar export --state [--expjam] and cellar boot --state [--force]", async () => {
  const src = `${root}/cli-src`;
  const out = `${root}/cli-out`;
  Deno.mkdirSync(out);
  stateAfter(src, 4);
  const scope = (dir: string) => ({ read: [dir, out], write: [dir, out] });
  const plain = await runCellar(
    ["export", "--data", src, "--state", "--out", `${out}/state.jam`],
    scope(src),
  );
  expectExit(plain, 0, "export --state");
  const expjam = await runCellar(
    ["export", "--data", src, "--state", "--expjam", "--out", `${out}/state.expjam`],
    scope(src),
  );
  expectExit(expjam, 0, "export --state --expjam");
  const file = readStateFile(Deno.readFileSync(`${out}/state.expjam`));
  assert(file.format === "expjam");
  assertEquals(file.kernelHash, kernelHash);
  assertEquals(file.eventNumber, 4n);
  assertEquals(hex(file.jam), hex(Deno.readFileSync(`${out}/state.jam`)));
  for (const name of ["state.jam", "state.expjam"]) {
    const dir = `${root}/cli-${name}`;
    const boot = await runCellar(
      ["boot", effectsKernelPath, "--data", dir, "--state", `${out}/${name}`],
      scope(dir),
    );
    expectExit(boot, 0, `boot --state ${name}`);
    assert.match(boot.stdout, new RegExp(`loaded ${out}/${name}`));
    const peek = await runCellar(["peek", "--data", dir, "/count"], scope(dir));
    assertEquals(peek.stdout, "4\n");
  }
});

Deno.test("boot state: cellar boot --state refuses another kernel's EXPJAM and bad files", async () => {
  const out = `${root}/cli-out`;
  const scope = (dir: string) => ({ read: [dir, out], write: [dir, out] });
  const file = readStateFile(Deno.readFileSync(`${out}/state.expjam`));
  // Another kernel's EXPJAM: refused with both hashes, unless --force.
  const foreign = encodeExportedState({
    kernelHash: "ef".repeat(32),
    eventNumber: 4n,
    jam: file.jam,
  });
  Deno.writeFileSync(`${out}/foreign.expjam`, foreign);
  const dir = `${root}/cli-foreign`;
  const refused = await runCellar(
    ["boot", effectsKernelPath, "--data", dir, "--state", `${out}/foreign.expjam`],
    scope(dir),
  );
  expectExit(refused, 1, "boot --state of another kernel");
  assert(
    refused.stderr.includes("ef".repeat(32)) && refused.stderr.includes(kernelHash),
    refused.stderr,
  );
  assert(!exists(dir), "a refused boot creates nothing");
  const forced = await runCellar(
    ["boot", effectsKernelPath, "--data", dir, "--state", `${out}/foreign.expjam`, "--force"],
    scope(dir),
  );
  expectExit(forced, 0, "boot --state --force");
  // A bad container: a clear error, nothing created.
  Deno.writeFileSync(`${out}/cut.expjam`, foreign.subarray(0, 40));
  const cut = await runCellar(
    ["boot", effectsKernelPath, "--data", `${root}/cli-cut`, "--state", `${out}/cut.expjam`],
    scope(`${root}/cli-cut`),
  );
  expectExit(cut, 1, "boot --state of a truncated container");
  assert.match(cut.stderr, /Cannot boot from .*cut\.expjam: the container is truncated/);
  assert(!exists(`${root}/cli-cut`));
  const usage = await runCellar(["boot", effectsKernelPath, "--data", dir, "--force"], scope(dir));
  expectExit(usage, 2, "--force without --state");
  // The log export refuses a directory booted from a state.
  const log = await runCellar(
    ["export", "--data", `${root}/cli-state.jam`, "--out", `${out}/log.jam`],
    scope(`${root}/cli-state.jam`),
  );
  expectExit(log, 1, "export of a log booted from a state");
  assert.match(log.stderr, /booted from a state/);
});

Deno.test({
  name: "boot state: Nockchain's test-ker.jam boots from its own exported state",
  ignore: !hasCorpus,
  fn() {
    const kernel = readCorpus("kernels/test-ker.jam");
    const src = `${root}/test-ker`;
    let jam: Uint8Array;
    {
      using r = Runtime.open({ dataDir: src, kernel });
      using inc = Noun.from("inc");
      for (let i = 0; i < 7; i++) r.poke(inc).effects.dispose();
      using core = r.state();
      using state = core.at(6);
      jam = encodeExportedState({ kernelHash: r.kernelHash, eventNumber: 7n, jam: state.jam() });
    }
    const dir = `${root}/test-ker-from-state`;
    using r = Runtime.open({ dataDir: dir, kernel, state: jam });
    assertEquals(r.eventNumber, 0n);
    assertPeek(r, "/state", [0, 7]);
    using inc = Noun.from("inc");
    r.poke(inc).effects.dispose();
    assertPeek(r, "/state", [0, 8]);
  },
});
