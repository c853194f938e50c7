/**
 * PMA snapshots (src/runtime/snapshots.ts) on real slabs: what a snapshot writes, its
 * verification, rotation (latest, latest−1, and one epoch), damaged manifests and slab
 * copies detected, leftovers of interrupted writes removed, and a restore that reads back.
 */

import assert from "node:assert/strict";
import { Noun, Pma } from "../mod.ts";
import { blake3File, hex } from "../src/runtime/files.ts";
import { SnapshotStore } from "../src/runtime/snapshots.ts";
import type { SnapshotEntry, SnapshotKind } from "../src/runtime/snapshots.ts";
import { assertEquals, scratchDir } from "./_helpers.ts";

const kernelHash = "ab".repeat(32);
const kernelHashBytes = new Uint8Array(32).fill(0xab);

function tempDir(): string {
  return scratchDir("cellar-snap-");
}

/** The state committed at event `e`: `[e [%state e]]`. */
function stateOf(e: number): Noun {
  return Noun.from([e, "state", e]);
}

/** A writer PMA in `dir/pma` and a store in `dir/snapshots`; `fn` gets a commit function. */
function withPma<T>(
  dir: string,
  fn: (store: SnapshotStore, commit: (e: number) => void, pma: Pma) => T,
): T {
  using pma = Pma.open(`${dir}/pma`, { sidecar: "off" });
  const store = new SnapshotStore(`${dir}/snapshots`);
  const commit = (e: number) => {
    using state = stateOf(e);
    pma.commit(state, e, kernelHashBytes).dispose();
  };
  return fn(store, commit, pma);
}

function create(store: SnapshotStore, kind: SnapshotKind, mug = 7): SnapshotEntry {
  return store.create(kind, { kernelHash, stateMug: mug });
}

Deno.test("snapshots: create writes the slab copy and a manifest that describes it", () => {
  const dir = tempDir();
  withPma(dir, (store, commit, pma) => {
    commit(1);
    commit(3);
    const entry = create(store, "rotating", 12345);
    assertEquals(entry.name, "000000000003-rotating");
    assertEquals(entry.path, `${dir}/snapshots/000000000003-rotating`);
    const m = JSON.parse(Deno.readTextFileSync(`${entry.path}/manifest.json`));
    assertEquals(m, entry.manifest);
    assertEquals(m.format, "cellar-snapshot-1");
    assertEquals(m.kind, "rotating");
    assertEquals(m.eventNumber, "3");
    assertEquals(m.kernelHash, kernelHash);
    assertEquals(m.stateMug, 12345);
    assert(m.slabFile === "0.pma" || m.slabFile === "1.pma", m.slabFile);
    assertEquals(m.usedBytes, pma.stats().usedBytes);
    const slab = blake3File(`${entry.path}/slab`);
    assertEquals(m.bytes, slab.size);
    assertEquals(m.blake3, hex(slab.digest));
    assert(m.writeMs >= 0);
    assertEquals(store.verify(entry).ok, true);
    assertEquals([...Deno.readDirSync(`${dir}/snapshots`)].map((e) => e.name), [entry.name]);
  });
});

Deno.test("snapshots: two rotating ones and the newest epoch are kept, newest first", () => {
  const dir = tempDir();
  withPma(dir, (store, commit) => {
    const made: string[] = [];
    for (let e = 1; e <= 6; e++) {
      commit(e);
      made.push(create(store, e === 2 || e === 5 ? "epoch" : "rotating").name);
    }
    const names = (entries: { name: string }[]) => entries.map((x) => x.name);
    assertEquals(names(store.list()), [
      "000000000006-rotating",
      "000000000005-epoch",
      "000000000004-rotating",
    ]);
    assertEquals(made.length, 6);
    // An epoch and a rotating snapshot of the same event: the epoch is listed first.
    create(store, "epoch");
    assertEquals(names(store.list()), [
      "000000000006-epoch",
      "000000000006-rotating",
      "000000000004-rotating",
    ]);
    assert(store.list().every((e) => store.verify(e).ok));
  });
  // A store that keeps more rotating snapshots prunes to its own count.
  const other = tempDir();
  withPma(other, (_store, commit) => {
    const store = new SnapshotStore(`${other}/snapshots`, 3);
    for (let e = 1; e <= 5; e++) {
      commit(e);
      create(store, "rotating");
    }
    assertEquals(store.list().map((e) => e.manifest.eventNumber), ["5", "4", "3"]);
  });
});

Deno.test("snapshots: a damaged slab copy fails verification, saying how", () => {
  const dir = tempDir();
  withPma(dir, (store, commit) => {
    commit(1);
    const entry = create(store, "rotating");
    const slab = `${entry.path}/slab`;
    const good = Deno.readFileSync(slab);
    const flipped = good.slice();
    flipped[flipped.length - 1] ^= 1;
    Deno.writeFileSync(slab, flipped);
    assertEquals(store.verify(entry), {
      ok: false,
      reason: "its slab file does not match the manifest's blake3",
    });
    Deno.writeFileSync(slab, good.subarray(0, good.length - 8));
    assertEquals(store.verify(entry), {
      ok: false,
      reason: `its slab file has ${good.length - 8} bytes, the manifest says ${good.length}`,
    });
    Deno.removeSync(slab);
    assertEquals(store.verify(entry), { ok: false, reason: "its slab file is missing" });
    Deno.writeFileSync(slab, good);
    assertEquals(store.verify(entry).ok, true);
  });
});

Deno.test("snapshots: a missing or malformed manifest is listed as unreadable, never used", () => {
  const dir = tempDir();
  withPma(dir, (store, commit) => {
    for (let e = 1; e <= 3; e++) {
      commit(e);
      create(store, e === 1 ? "epoch" : "rotating");
    }
    const [newest, older] = store.list();
    Deno.writeTextFileSync(`${newest.path}/manifest.json`, "{ not json");
    const m = { ...older.manifest, blake3: "not hex" };
    Deno.writeTextFileSync(`${older.path}/manifest.json`, JSON.stringify(m));
    const all = store.listAll();
    assertEquals(all.map((e) => [e.name, e.manifest === null]), [
      ["000000000001-epoch", false],
      ["000000000002-rotating", true],
      ["000000000003-rotating", true],
    ]);
    assertEquals(store.list().map((e) => e.name), ["000000000001-epoch"]);
    Deno.removeSync(`${all[0].path}/manifest.json`);
    assertEquals(store.list(), []);
    assertEquals(store.listAll().length, 3);
  });
});

Deno.test("snapshots: leftovers of an interrupted write are ignored, then removed", () => {
  const dir = tempDir();
  withPma(dir, (store, commit) => {
    commit(1);
    create(store, "rotating");
    Deno.mkdirSync(`${dir}/snapshots/tmp-interrupted`);
    Deno.writeTextFileSync(`${dir}/snapshots/tmp-interrupted/slab`, "partial");
    assertEquals(store.listAll().map((e) => e.name), ["000000000001-rotating"]);
    store.cleanTemp();
    const left = [...Deno.readDirSync(`${dir}/snapshots`)].map((e) => e.name);
    assertEquals(left, ["000000000001-rotating"]);
  });
  // An absent folder is an empty store.
  const empty = new SnapshotStore(`${tempDir()}/snapshots`);
  empty.cleanTemp();
  assertEquals(empty.listAll(), []);
});

Deno.test("snapshots: a restored slab opens at the snapshot's event with its state", () => {
  const dir = tempDir();
  const entry = withPma(dir, (store, commit) => {
    commit(1);
    commit(2);
    const e = create(store, "epoch");
    commit(3);
    return e;
  });
  const store = new SnapshotStore(`${dir}/snapshots`);
  const target = `${dir}/restored`;
  store.restore(entry, target);
  assertEquals([...Deno.readDirSync(target)].map((e) => e.name), [entry.manifest.slabFile]);
  using pma = Pma.open(target, { readOnly: true });
  assertEquals(pma.eventNumber, 2n);
  assertEquals(hex(pma.kernelHash), kernelHash);
  using root = pma.root;
  using want = stateOf(2);
  assert(root.equals(want), root.toString());
});
