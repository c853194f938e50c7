/**
 * Durable file operations of the runtime, done natively: blake3 of bytes and files, durable
 * copies (temp file, fsync, rename, directory fsync), directory fsync, the writer lock and
 * PMA snapshots. Deno alone cannot fsync a directory or take a non-blocking lock.
 *
 * And the checks that keep a data directory's files inside it and private: every member
 * Cellar uses must be a real file or folder (a symbolic link could send the native writes,
 * which Deno's permissions do not see, anywhere), and the directory is made 0700 with its
 * files 0600 (it holds every cause ever poked).
 *
 * @module
 */

import { runNative } from "./progress.ts";
import { lastError, symbols } from "../core/ffi.ts";
import { CellarError } from "../core/errors.ts";

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
  const status = runNative(
    "snapshot",
    0,
    () => symbols().cellar_pma_snapshot(p, p.length, out, out.length),
  );
  if (status !== 0) throw lastError();
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

/**
 * A data directory holds a symbolic link or a special file where Cellar reads or writes.
 *
 * @example
 * ```ts
 * import { UnsafeDataDirError } from "./files.ts";
 * console.log(new UnsafeDataDirError("data/pma is a symbolic link").name); // UnsafeDataDirError
 * ```
 */
export class UnsafeDataDirError extends CellarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnsafeDataDirError";
  }
}

/** A member of a data directory: its name, whether it is a folder, and how deep to check. */
interface Member {
  name: string;
  folder: boolean;
  /** Levels of entries below a folder that must be real files or folders too. */
  depth: number;
}

/** The members of a data directory that Cellar reads or writes. */
const dataDirMembers: readonly Member[] = [
  { name: "log.sqlite", folder: false, depth: 0 },
  { name: "log.sqlite-wal", folder: false, depth: 0 },
  { name: "log.sqlite-shm", folder: false, depth: 0 },
  { name: "log.sqlite-journal", folder: false, depth: 0 },
  { name: "cellar.lock", folder: false, depth: 0 },
  { name: "tokens.json", folder: false, depth: 0 },
  { name: "admin.token", folder: false, depth: 0 },
  { name: "pma", folder: true, depth: 1 },
  { name: "snapshots", folder: true, depth: 2 },
  { name: "quarantine", folder: true, depth: 1 },
  { name: "old-logs", folder: true, depth: 1 },
];

/** Most entries of one folder that {@linkcode checkDataDir} looks at (a bound, not a limit
 * a data directory reaches: snapshots/ holds three folders). */
const membersMax = 10_000;

/**
 * Check that every member of the data directory `dir` that Cellar uses is a real file or
 * folder (not a symbolic link, FIFO, socket or device), looking inside `pma/`,
 * `snapshots/` and the rest as deep as Cellar writes. Throws an
 * {@linkcode UnsafeDataDirError} naming the first bad member. `dir` itself may be a link: the user
 * chose it. Absent members are fine.
 *
 * @example
 * ```ts
 * import { checkDataDir } from "./files.ts";
 * checkDataDir(Deno.makeTempDirSync());
 * ```
 */
export function checkDataDir(dir: string): void {
  const stack: { path: string; folder: boolean | null; depth: number }[] = dataDirMembers.map(
    (m) => ({ path: `${dir}/${m.name}`, folder: m.folder, depth: m.depth }),
  );
  while (stack.length > 0) {
    const { path, folder, depth } = stack.pop()!;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const problem = memberProblem(path, info, folder);
    if (problem !== null) {
      throw new UnsafeDataDirError(`Refusing to use the data directory ${dir}: ${problem}`);
    }
    if (!info.isDirectory || depth === 0) continue;
    let count = 0;
    for (const entry of Deno.readDirSync(path)) {
      if (++count > membersMax) break;
      stack.push({ path: `${path}/${entry.name}`, folder: null, depth: depth - 1 });
    }
  }
}

/** Why a member is unsafe, or null. `folder` null: either kind is fine. */
function memberProblem(path: string, info: Deno.FileInfo, folder: boolean | null): string | null {
  if (info.isSymlink) {
    let target = "";
    try {
      target = ` to ${Deno.readLinkSync(path)}`;
    } catch { /* unreadable link */ }
    return `${path} is a symbolic link${target}. Every file Cellar writes must be inside the ` +
      `data directory: replace the link with a real file or folder (or point --data at the ` +
      `real directory)`;
  }
  if (!info.isFile && !info.isDirectory) {
    return `${path} is not a regular file or folder (a FIFO, socket or device): move it away`;
  }
  if (folder === true && !info.isDirectory) return `${path} should be a folder but is a file`;
  if (folder === false && !info.isFile) return `${path} should be a file but is a folder`;
  return null;
}

/**
 * Make the data directory `dir` ready to open: create it (mode 0700) when absent, check its
 * members ({@linkcode checkDataDir}), create an absent `log.sqlite` and `cellar.lock` empty
 * with mode 0600 (SQLite gives its `-wal` and `-shm` files the database's mode), and give
 * the files Cellar made (the log, the slab, snapshots, tokens) mode 0600. The directory's
 * own mode is the user's: returns a warning when others may read it.
 *
 * @example
 * ```ts
 * import { prepareDataDir } from "./files.ts";
 * console.log(prepareDataDir(Deno.makeTempDirSync() + "/data")); // []
 * ```
 */
export function prepareDataDir(dir: string): string[] {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkDataDir(dir);
  // The lock file is created natively, with the process's default mode, when absent.
  for (const name of ["log.sqlite", "cellar.lock"]) {
    try {
      Deno.writeFileSync(`${dir}/${name}`, new Uint8Array(), { createNew: true, mode: 0o600 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  makeMembersPrivate(dir);
  return dataDirWarnings(dir);
}

/** Mode 0600 for Cellar's files in `dir`, `pma/` and each snapshot folder. */
function makeMembersPrivate(dir: string): void {
  makePrivate(dir, new Set(dataDirMembers.filter((m) => !m.folder).map((m) => m.name)));
  makePrivate(`${dir}/pma`);
  let snapshots: Deno.DirEntry[] = [];
  try {
    snapshots = [...Deno.readDirSync(`${dir}/snapshots`)];
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const e of snapshots) if (e.isDirectory) makePrivate(`${dir}/snapshots/${e.name}`);
}

/**
 * Warnings about the data directory's permissions: one when others may read or enter it.
 *
 * @example
 * ```ts
 * import { dataDirWarnings } from "./files.ts";
 * console.log(dataDirWarnings(Deno.makeTempDirSync())); // []
 * ```
 */
export function dataDirWarnings(dir: string): string[] {
  const mode = Deno.statSync(dir).mode;
  if (mode === null || (mode & 0o077) === 0) return [];
  const shown = (mode & 0o777).toString(8).padStart(4, "0");
  return [
    `The data directory ${dir} has mode ${shown}: other users may read it (every cause ever ` +
    `poked is in its log). Run chmod 700 ${dir}`,
  ];
}

/**
 * Make a new data directory private (mode 0700, and 0600 for the files Cellar made in it)
 * when it holds nothing but Cellar's members; a directory that holds other files too keeps
 * its mode, and gets the warnings of {@linkcode dataDirWarnings} instead.
 *
 * @example
 * ```ts
 * import { dataDirWarnings, makeNewDataDirPrivate } from "./files.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.chmodSync(dir, 0o755);
 * console.log(makeNewDataDirPrivate(dir), dataDirWarnings(dir)); // [] []
 * ```
 */
export function makeNewDataDirPrivate(dir: string): string[] {
  const ours = new Set(dataDirMembers.map((m) => m.name));
  const entries = [...Deno.readDirSync(dir)];
  if (entries.some((e) => !ours.has(e.name))) return dataDirWarnings(dir);
  Deno.chmodSync(dir, 0o700);
  makePrivate(dir);
  return [];
}

/**
 * Give the regular files directly in `folder` (those named in `only`, when given) mode 0600:
 * files the native library creates get the process's default mode. Absent folders are fine.
 *
 * @example
 * ```ts
 * import { makePrivate } from "./files.ts";
 * makePrivate(Deno.makeTempDirSync());
 * ```
 */
export function makePrivate(folder: string, only?: ReadonlySet<string>): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(folder)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile || (only !== undefined && !only.has(entry.name))) continue;
    Deno.chmodSync(`${folder}/${entry.name}`, 0o600);
  }
}
