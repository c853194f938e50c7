/**
 * Durable file operations of the runtime, done natively: blake3 of bytes and files, durable
 * copies (temp file, fsync, rename, directory fsync), directory fsync, the writer lock and
 * PMA snapshots. Deno alone cannot fsync a directory or take a non-blocking lock.
 *
 * @module
 */

import { lastError, symbols } from "../core/ffi.ts";

const encoder = new TextEncoder();

/**
 * blake3 of `bytes` (32 bytes).
 *
 * @example
 * ```ts
 * import { blake3, hex } from "./files.ts";
 * console.log(hex(blake3(new Uint8Array())).slice(0, 8)); // af1349b9
 * ```
 */
export function blake3(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  if (bytes.length > 0xffff_ffff) throw new RangeError("blake3: input above 4 GiB");
  symbols().cellar_blake3(bytes, bytes.length, out, out.length);
  return out;
}

/**
 * blake3 and size of the file at `path`, read natively in chunks.
 *
 * @example
 * ```ts
 * import { blake3File } from "./files.ts";
 * const path = Deno.makeTempFileSync();
 * console.log(blake3File(path).size); // 0
 * ```
 */
export function blake3File(path: string): { digest: Uint8Array; size: number } {
  const digest = new Uint8Array(32);
  const p = encoder.encode(path);
  const size = symbols().cellar_blake3_file(p, p.length, digest, digest.length);
  if (size < 0) throw lastError();
  return { digest, size };
}

/**
 * Copy `src` to `dest` durably: `dest.tmp`, fsync, rename, fsync of the directory.
 *
 * @example
 * ```ts
 * import { installCopy } from "./files.ts";
 * const src = Deno.makeTempFileSync();
 * installCopy(src, src + ".copy");
 * ```
 */
export function installCopy(src: string, dest: string): void {
  const s = encoder.encode(src);
  const d = encoder.encode(dest);
  if (symbols().cellar_install_copy(s, s.length, d, d.length) !== 0) throw lastError();
}

/**
 * fsync the directory `path`, making renames and creations in it durable.
 *
 * @example
 * ```ts
 * import { syncDir } from "./files.ts";
 * syncDir(Deno.makeTempDirSync());
 * ```
 */
export function syncDir(path: string): void {
  const p = encoder.encode(path);
  if (symbols().cellar_sync_dir(p, p.length) !== 0) throw lastError();
}

/**
 * Write `bytes` to a new file at `path` (it must not exist) and fsync it; `mode` sets its
 * permission bits (default 0o644 before the umask).
 *
 * @example
 * ```ts
 * import { writeSynced } from "./files.ts";
 * writeSynced(Deno.makeTempDirSync() + "/a.txt", new TextEncoder().encode("hello\n"));
 * ```
 */
export function writeSynced(path: string, bytes: Uint8Array, mode?: number): void {
  using file = Deno.openSync(path, { write: true, createNew: true, mode });
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  file.syncSync();
  if (mode !== undefined) Deno.chmodSync(path, mode); // not narrowed by the umask
}

/**
 * Replace (or create) the file at `path` atomically and durably: a temporary file beside it,
 * fsync, rename over `path`, fsync of the directory. A crash leaves the old file or the new
 * one, never a mix. The temporary file is removed on failure, and the error rethrown.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./files.ts";
 * const path = Deno.makeTempDirSync() + "/state.json";
 * writeFileAtomic(path, new TextEncoder().encode("{}\n"), 0o600);
 * ```
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode?: number): void {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    writeSynced(tmp, bytes, mode);
    Deno.renameSync(tmp, path);
  } catch (error) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
    throw error;
  }
  const slash = path.lastIndexOf("/");
  syncDir(slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash));
}

/**
 * An exclusive lock on a file, held until {@linkcode FileLock.release} or the process ends.
 *
 * @example
 * ```ts
 * import { FileLock } from "./files.ts";
 * const lock = FileLock.acquire(Deno.makeTempDirSync() + "/lock");
 * lock.release();
 * ```
 */
export class FileLock {
  #fd: number;
  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Take the lock without waiting; a `PmaError` named `"Locked"` if another process has it. */
  static acquire(path: string): FileLock {
    const p = encoder.encode(path);
    const fd = symbols().cellar_lock(p, p.length);
    if (fd < 0) throw lastError();
    return new FileLock(fd);
  }

  /** Release the lock (idempotent). */
  release(): void {
    if (this.#fd >= 0) symbols().cellar_unlock(this.#fd);
    this.#fd = -1;
  }
}

/** What {@linkcode snapshotPma} wrote. */
export interface PmaSnapshotFile {
  /** Bytes in the snapshot file. */
  bytes: number;
  /** Used bytes of the slab at the snapshot. */
  usedBytes: number;
  eventNumber: bigint;
  /** The slab file the snapshot was taken from (`0.pma` or `1.pma`): its name on restore. */
  slabFile: string;
  commitSeq: bigint;
  /** blake3 of the snapshot file, hex. */
  blake3: string;
}

/**
 * Write the committed bytes of this thread's writer PMA to the new file `path` (fsynced).
 *
 * @example
 * ```ts
 * import { Pma } from "./pma.ts";
 * import { snapshotPma } from "./files.ts";
 * const dir = Deno.makeTempDirSync();
 * using _pma = Pma.open(dir);
 * console.log(snapshotPma(`${dir}/snap`).eventNumber); // 0n
 * ```
 */
export function snapshotPma(path: string): PmaSnapshotFile {
  const p = encoder.encode(path);
  const out = new Uint8Array(72);
  if (symbols().cellar_pma_snapshot(p, p.length, out, out.length) !== 0) throw lastError();
  const view = new DataView(out.buffer);
  const u = (i: number) => view.getBigUint64(i * 8, true);
  return {
    bytes: Number(u(0)),
    usedBytes: Number(u(1)),
    eventNumber: u(2),
    slabFile: `${u(3)}.pma`,
    commitSeq: u(4),
    blake3: hex(out.subarray(40, 72)),
  };
}

/**
 * Lower-case hex of bytes.
 *
 * @example
 * ```ts
 * import { hex } from "./files.ts";
 * console.log(hex(new Uint8Array([1, 255]))); // 01ff
 * ```
 */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
