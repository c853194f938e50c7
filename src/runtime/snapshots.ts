/**
 * PMA snapshots of a data directory: copies of the slab's committed bytes, each in its own
 * folder under `snapshots/` with a manifest (event number, sizes, kernel, state mug and
 * the blake3 of the slab copy). Two rotating snapshots are kept (latest and latest−1) and
 * one epoch snapshot, which is replaced only once it is `epochEvents` old.
 *
 * Creation order: the slab copy is written and fsynced inside a `tmp-` folder, then the
 * manifest (fsynced), then the folder is renamed to its final name and `snapshots/` is
 * fsynced. A crash leaves a `tmp-` folder, which the next run deletes. A snapshot is
 * verified (manifest shape, file size, blake3) before it is used.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import {
  blake3File,
  checkDataDir,
  hex,
  installCopy,
  makePrivate,
  snapshotPma,
  syncDir,
  writeSynced,
} from "./files.ts";
import { runNative } from "./progress.ts";

/** Kind of a snapshot. */
export type SnapshotKind = "rotating" | "epoch";

/** A snapshot's manifest (`manifest.json`). */
export interface SnapshotManifest {
  format: "cellar-snapshot-1";
  kind: SnapshotKind;
  eventNumber: string;
  /** The slab file the copy came from; its name when restored. */
  slabFile: string;
  bytes: number;
  usedBytes: number;
  /** blake3 of the slab copy, hex. */
  blake3: string;
  /** blake3 of the kernel jam the state was committed under, hex. */
  kernelHash: string;
  /** Mug of the kernel core (the state). */
  stateMug: number;
  createdAt: string;
  /** Milliseconds spent writing (copy, hash, fsync). */
  writeMs: number;
}

/** A snapshot on disk. */
export interface SnapshotEntry {
  name: string;
  path: string;
  manifest: SnapshotManifest;
}

/** Result of verifying a snapshot. */
export type SnapshotCheck = { ok: true; ms: number } | { ok: false; reason: string };

const manifestName = "manifest.json";
const slabName = "slab";

/**
 * The `snapshots/` folder of a data directory.
 *
 * @example
 * ```ts
 * import { SnapshotStore } from "./snapshots.ts";
 * const store = new SnapshotStore(Deno.makeTempDirSync() + "/snapshots");
 * console.log(store.list().length); // 0
 * ```
 */
export class SnapshotStore {
  readonly dir: string;
  /** Rotating snapshots kept. */
  readonly keepRotating: number;

  constructor(dir: string, keepRotating = 2) {
    this.dir = dir;
    this.keepRotating = keepRotating;
  }

  /** Remove leftovers of interrupted snapshot writes. */
  cleanTemp(): void {
    for (const e of readDir(this.dir)) {
      if (e.isDirectory && e.name.startsWith("tmp-")) {
        Deno.removeSync(`${this.dir}/${e.name}`, { recursive: true });
      }
    }
  }

  /**
   * Snapshots, newest event first (an epoch before a rotating one of the same event).
   * Folders whose manifest is missing or unreadable are listed with a null manifest by
   * {@linkcode SnapshotStore.listAll}, and skipped here.
   */
  list(): SnapshotEntry[] {
    return this.listAll().filter((e): e is SnapshotEntry => e.manifest !== null);
  }

  /** Every snapshot folder, with its manifest or null when it cannot be read. */
  listAll(): { name: string; path: string; manifest: SnapshotManifest | null }[] {
    const out: { name: string; path: string; manifest: SnapshotManifest | null }[] = [];
    for (const e of readDir(this.dir)) {
      if (!e.isDirectory || e.name.startsWith("tmp-")) continue;
      const path = `${this.dir}/${e.name}`;
      let manifest: SnapshotManifest | null = null;
      try {
        manifest = parseManifest(Deno.readTextFileSync(`${path}/${manifestName}`));
      } catch { /* unreadable: null */ }
      out.push({ name: e.name, path, manifest });
    }
    out.sort((a, b) => {
      const ea = a.manifest ? BigInt(a.manifest.eventNumber) : -1n;
      const eb = b.manifest ? BigInt(b.manifest.eventNumber) : -1n;
      if (ea !== eb) return ea > eb ? -1 : 1;
      return a.name < b.name ? -1 : 1;
    });
    return out;
  }

  /**
   * Write a snapshot of the writer PMA open on this thread (its committed state), then
   * prune: keep `keepRotating` rotating ones and the newest epoch.
   */
  create(
    kind: SnapshotKind,
    info: { kernelHash: string; stateMug: number },
  ): SnapshotEntry {
    // The slab is written natively, where Deno's permissions do not reach: no links.
    checkDataDir(this.dir.slice(0, Math.max(this.dir.lastIndexOf("/"), 0)) || ".");
    Deno.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const started = performance.now();
    const tmp = `${this.dir}/tmp-${crypto.randomUUID()}`;
    Deno.mkdirSync(tmp, { mode: 0o700 });
    try {
      const file = snapshotPma(`${tmp}/${slabName}`);
      const manifest: SnapshotManifest = {
        format: "cellar-snapshot-1",
        kind,
        eventNumber: String(file.eventNumber),
        slabFile: file.slabFile,
        bytes: file.bytes,
        usedBytes: file.usedBytes,
        blake3: file.blake3,
        kernelHash: info.kernelHash,
        stateMug: info.stateMug,
        createdAt: new Date().toISOString(),
        writeMs: 0,
      };
      manifest.writeMs = Math.round((performance.now() - started) * 1000) / 1000;
      writeSynced(
        `${tmp}/${manifestName}`,
        new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
        0o600,
      );
      makePrivate(tmp);
      const name = `${String(file.eventNumber).padStart(12, "0")}-${kind}`;
      const path = `${this.dir}/${name}`;
      try {
        Deno.removeSync(path, { recursive: true });
      } catch { /* none */ }
      Deno.renameSync(tmp, path);
      syncDir(this.dir);
      this.prune();
      return { name, path, manifest };
    } catch (error) {
      try {
        Deno.removeSync(tmp, { recursive: true });
      } catch { /* already gone */ }
      throw error;
    }
  }

  /** Delete rotating snapshots beyond the newest `keepRotating`, and all but the newest epoch. */
  prune(): void {
    let rotating = 0;
    let epochs = 0;
    for (const e of this.list()) {
      const keep = e.manifest.kind === "epoch" ? epochs++ < 1 : rotating++ < this.keepRotating;
      if (!keep) Deno.removeSync(e.path, { recursive: true });
    }
  }

  /** Check a snapshot: its file exists, has the manifest's size and blake3. */
  verify(entry: SnapshotEntry): SnapshotCheck {
    const started = performance.now();
    const file = `${entry.path}/${slabName}`;
    let size: number;
    try {
      size = Deno.statSync(file).size;
    } catch {
      return { ok: false, reason: "its slab file is missing" };
    }
    if (size !== entry.manifest.bytes) {
      return {
        ok: false,
        reason: `its slab file has ${size} bytes, the manifest says ${entry.manifest.bytes}`,
      };
    }
    const { digest } = runNative("verify", size, () => blake3File(file));
    if (hex(digest) !== entry.manifest.blake3) {
      return { ok: false, reason: "its slab file does not match the manifest's blake3" };
    }
    return { ok: true, ms: performance.now() - started };
  }

  /** Install the snapshot's slab as the slab of the (empty) PMA folder `pmaDir`. */
  restore(entry: SnapshotEntry, pmaDir: string): void {
    Deno.mkdirSync(pmaDir, { recursive: true });
    installCopy(`${entry.path}/${slabName}`, `${pmaDir}/${entry.manifest.slabFile}`);
  }
}

function readDir(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function parseManifest(text: string): SnapshotManifest {
  const m = JSON.parse(text) as SnapshotManifest;
  const ok = m.format === "cellar-snapshot-1" && (m.kind === "rotating" || m.kind === "epoch") &&
    typeof m.eventNumber === "string" && /^\d+$/.test(m.eventNumber) &&
    (m.slabFile === "0.pma" || m.slabFile === "1.pma") && Number.isSafeInteger(m.bytes) &&
    typeof m.blake3 === "string" && /^[0-9a-f]{64}$/.test(m.blake3) &&
    typeof m.kernelHash === "string" && /^[0-9a-f]{64}$/.test(m.kernelHash) &&
    Number.isSafeInteger(m.stateMug);
  if (!ok) throw new CellarError("Bad snapshot manifest");
  return m;
}
