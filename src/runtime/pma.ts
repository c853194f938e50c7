/**
 * The Persistent Memory Arena: long-lived nouns in a memory-mapped slab file.
 *
 * A {@linkcode Pma} is a data directory holding a slab (`0.pma` / `1.pma`). `commit` copies
 * the part of a state that is not yet in the slab into it (sharing kept) and makes it
 * durable with one `fdatasync`; opening maps the slab and reads the committed root in
 * place, without copying or replaying anything. Nouns read from a PMA are ordinary
 * {@linkcode Noun}s: `nock`, `jam`, `mug`, `equals` and the rest work on them directly.
 *
 * One PMA per thread: the main thread and each Worker have their own machine, and each
 * machine may have one PMA open, a writer or a read-only replica. One writer per directory
 * (any number of replicas, in other Workers or processes).
 *
 * Every commit also writes checksums of the data it appends (4 KiB pages, XXH3), so that
 * rot in old data is found: {@linkcode Pma.check} (and `verify`) check them all,
 * {@linkcode Pma.scrubStep} a bounded amount at a time, and open the newest commit's. A
 * fault is a {@linkcode PmaError} with code `"DataChecksum"` naming the file, byte offset
 * and page; a writer that finds one refuses further commits and records it in
 * `pma.fault`, so that every later open of the directory fails with `"DataChecksum"` too
 * until the directory is quarantined (recover the state from a snapshot and the log).
 *
 * Nouns held across a {@linkcode Pma.gc} stay valid (they are moved along with the
 * slab); nouns held across a replica's {@linkcode Pma.refresh} or {@linkcode Pma.close}
 * stay valid too (when their mapping goes away they are copied into the workspace first).
 *
 * The native library opens the files itself, so `Pma.open` checks that Deno's read (and,
 * for a writer, write) permission covers the directory before it does.
 *
 * @example Commit a state, reopen it, compute on it
 * ```ts
 * import { nock, Noun, Pma } from "@cellar/cellar";
 * const dir = Deno.makeTempDirSync();
 * {
 *   using pma = Pma.open(dir);
 *   using state = Noun.from([1, 2, 3]);
 *   pma.commit(state, 1n, new Uint8Array(32)).dispose();
 * }
 * using pma = Pma.open(dir, { readOnly: true });
 * using root = pma.root; // read in place from the mapping
 * using formula = Noun.from([0, 6]);
 * console.log(nock(root, formula).toNumber(), pma.eventNumber); // 2 1n
 * ```
 *
 * @module
 */

import { runNative } from "./progress.ts";
import { checked, lastError, symbols } from "../core/ffi.ts";
import { ArgumentError, CellarError } from "../core/errors.ts";
import { adoptHandle, handleOf } from "../core/noun.ts";
import type { Noun } from "../core/noun.ts";

/** Options of {@linkcode Pma.open}. */
export interface PmaOpenOptions {
  /** Open a read-only replica of the newest durable commit (default false: the writer). */
  readOnly?: boolean;
  /** Create the directory and an empty slab when there is none (writers; default true). */
  create?: boolean;
  /** Refuse to open when any meta slot or the sidecar fails its checks, instead of falling
   * back to the newest valid commit (default false). */
  strict?: boolean;
  /** Address space reserved for the mapping; the slab can grow up to this (default 1 TiB). */
  reserveBytes?: number;
  /** Size of a newly created slab file (default 1 MiB; a multiple of 64 KiB). */
  initialBytes?: number;
  /** When to write the `pma.meta` sidecar for operators: never, at GC / close /
   * `writeSidecar` (default), or after every commit as well (three more syncs each). */
  sidecar?: "off" | "checkpoint" | "everyCommit";
  /** Keep the pre-GC slab file until the next GC replaces it (default true). */
  keepPreviousSlab?: boolean;
  /** Write data checksums with each commit (writers; default true). Off, new data is left
   * unverified, and so is older data until the next GC. */
  dataChecksums?: boolean;
}

/** Operator statistics of a PMA ({@linkcode Pma.stats}). Sizes in bytes. */
export interface PmaStats {
  /** Size of the slab file. */
  capacityBytes: number;
  /** Address space reserved for the mapping. */
  reserveBytes: number;
  /** Bytes in use (meta pages included): the bump allocation offset. */
  usedBytes: number;
  /** Live bytes after the last GC (0 before the first). */
  liveBytesAfterGc: number;
  /** Times the file grew in place. */
  growthCount: number;
  /** Bytes the last commit appended. */
  appendedBytesLastCommit: number;
  /** Unused bytes of the file: `capacityBytes - usedBytes`. */
  freeBytes: number;
  /** GCs this slab descends from. */
  generation: number;
  /** Sequence number of the newest durable commit record. */
  commitSeq: number;
  /** Event number of the committed state. */
  eventNumber: bigint;
  /** Which slab file is in use: 0 (`0.pma`) or 1 (`1.pma`). */
  fileId: number;
  /** True for a read-only replica. */
  readOnly: boolean;
}

/** What {@linkcode Pma.gc} did. */
export interface PmaGcResult {
  /** Used bytes of the slab before and after. */
  usedBytesBefore: number;
  usedBytesAfter: number;
  /** Bytes of live nouns copied. */
  liveBytes: number;
  /** PMA references held by this thread (nouns, workspace cells) that were moved along. */
  references: number;
  /** Milliseconds spent finding those references (a workspace collection and scan). */
  scanMs: number;
  /** Milliseconds of the copy-compaction itself, the final sync included. */
  gcMs: number;
  /** Milliseconds of its phases: checking the old slab's data checksums, marking the live
   * graph, copying it into the new file (hashing included), making the new file durable. */
  phasesMs: { check: number; mark: number; copy: number; sync: number };
}

/** A meta slot passed over at open: which, and why. */
export interface PmaRejectedSlot {
  /** `0.pma` or `1.pma`. */
  file: string;
  /** Slot 0 or 1 of that file. */
  slot: number;
  /** Commit sequence the slot records (0 when unreadable). */
  commitSeq: number;
  /** The core's error name, e.g. `"MetaChecksum"` or `"AppendedChecksum"`. */
  reason: string;
}

/** Why commits were passed over when the PMA was opened or last refreshed. */
export interface PmaOpenReport {
  /** State of the `pma.meta` sidecar. */
  sidecar: "absent" | "valid" | "invalid";
  /** Meta slots that failed their checks (a torn commit, a flipped byte, ...). */
  rejected: PmaRejectedSlot[];
}

/** blake3 over the committed data, as bytes and as lowercase hex. */
export interface PmaDigest {
  bytes: Uint8Array;
  hex: string;
}

/** A data fault: committed bytes that no longer match the checksums written with them. */
export interface PmaFault {
  /** What failed: a page of an extent, an extent record, the parse of an extent, the data
   * since the last record (`"openExtent"`), or how the records cover the data. */
  kind: "page" | "record" | "tiling" | "openExtent" | "chain" | "mug";
  /** `0.pma` or `1.pma`. */
  file: string;
  /** Byte offset in the file where the damaged range starts, and its length. */
  offset: number;
  length: number;
  /** The 4 KiB page of the file `offset` lies in. */
  page: number;
  /** The whole description, as error messages give it. */
  message: string;
}

/** Where the scrub (or a full {@linkcode Pma.check}) stands. Sizes in bytes. */
export interface PmaScrubProgress {
  /** Passes completed (a full check is one pass of its own). */
  passes: number;
  /** Checked so far in the current pass (all of it when `passDone`). */
  checkedBytes: number;
  /** What the current pass checks: all data with checksums, up to the newest commit
   * when the pass began (later commits are checked by the next pass). */
  totalBytes: number;
  /** Data without checksums (written by format 1 or with checksums off; a GC covers it). */
  unverifiedBytes: number;
  /** Faults found, in all passes. */
  faults: number;
  /** This step completed a pass. */
  passDone: boolean;
  /** The first fault ever found, or null. */
  fault: PmaFault | null;
  /** The first fault found by this step, or null. */
  newFault: PmaFault | null;
}

/** A mug recomputed without caches ({@linkcode Pma.recomputeMug}). */
export interface PmaMugCheck {
  /** The mug, from the data alone. */
  mug: number;
  /** Distinct objects (indirect atoms and cells) hashed. */
  objects: number;
  /** Cached mugs met on the way, and how many differ from the recomputed ones. */
  cachedMugs: number;
  wrongCachedMugs: number;
  /** Byte offset of the first object whose cached mug is wrong, or null. */
  firstWrongOffset: number | null;
}

/**
 * What {@linkcode Pma.refresh} found: no newer commit, a newer commit in the same file, or
 * a newer commit in another file (the writer collected garbage).
 */
export type PmaRefresh = "unchanged" | "advanced" | "switched";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const refreshKinds: readonly PmaRefresh[] = ["unchanged", "advanced", "switched"];
const sidecarModes = { off: 0, checkpoint: 1, everyCommit: 2 } as const;
const flag = { readOnly: 1, noCreate: 2, strict: 4, dropPreviousSlab: 8 } as const;
const infoBytes = 11 * 8 + 32;
const maxU64 = (1n << 64n) - 1n;

/** The PMA open on this thread, if any (the native side allows one per machine). */
let current: Pma | null = null;

/**
 * A Persistent Memory Arena opened on this thread: a writer, or a read-only replica.
 *
 * @example A writer commits, a replica follows
 * ```ts
 * import { Noun, Pma } from "@cellar/cellar";
 * const dir = Deno.makeTempDirSync();
 * using writer = Pma.open(dir);
 * using state = Noun.from([7, 8]);
 * using root = writer.commit(state, 1, new Uint8Array(32));
 * console.log(root.equals(state), writer.stats().appendedBytesLastCommit); // true 24
 * // In a Worker (each thread has its own PMA):
 * //   using replica = Pma.open(dir, { readOnly: true });
 * //   replica.refresh(); // "advanced" once the writer has committed again
 * ```
 */
export class Pma {
  #open = true;
  readonly #dir: string;
  readonly #readOnly: boolean;
  readonly #info = new Uint8Array(infoBytes);

  private constructor(dir: string, readOnly: boolean) {
    this.#dir = dir;
    this.#readOnly = readOnly;
  }

  /**
   * Open (a writer creates when needed) the slab in `dir` and attach it to this thread.
   * Fails with a {@linkcode PmaError} (`"Locked"` when another writer holds the directory,
   * `"NoSlab"`, `"MetaChecksum"`, `"SlabTruncated"`, ...) and with `Deno.errors.NotCapable`
   * when Deno's permissions do not cover the directory.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync(), { sidecar: "off" });
   * console.log(pma.eventNumber); // 0n
   * ```
   */
  static open(dir: string, options: PmaOpenOptions = {}): Pma {
    if (typeof dir !== "string" || dir.length === 0) {
      throw new ArgumentError("Cannot open a PMA: the directory must be a non-empty path");
    }
    const readOnly = options.readOnly ?? false;
    checkPermission("read", dir);
    if (!readOnly) checkPermission("write", dir);
    const sidecar = sidecarModes[options.sidecar ?? "checkpoint"];
    if (sidecar === undefined) {
      throw new ArgumentError(`Bad sidecar mode: ${options.sidecar}`);
    }
    const flags = (readOnly ? flag.readOnly : 0) |
      (options.create === false ? flag.noCreate : 0) |
      (options.strict ? flag.strict : 0) |
      (options.keepPreviousSlab === false ? flag.dropPreviousSlab : 0);
    const reserve = byteCount("reserveBytes", options.reserveBytes);
    const initial = byteCount("initialBytes", options.initialBytes);
    const path = encoder.encode(dir);
    if (symbols().cellar_pma_open(path, path.length, flags, sidecar, reserve, initial) !== 0) {
      throw lastError();
    }
    current = new Pma(dir, readOnly);
    if (options.dataChecksums === false && !readOnly) current.#setDataChecksums(false);
    return current;
  }

  #live(): void {
    if (!this.#open || current !== this) {
      throw new CellarError(`Cannot use the PMA of ${this.#dir}: it is closed`);
    }
  }

  /** The data directory. */
  get dir(): string {
    return this.#dir;
  }

  /** True for a read-only replica. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** False once closed. */
  get isOpen(): boolean {
    return this.#open && current === this;
  }

  /**
   * Make `root` the durable state of event `eventNumber` (not below the committed one),
   * with the 32-byte `kernelHash`: copy what is not yet in the slab (sharing kept), write
   * the meta slot, one `fdatasync`. Returns the root as it now lives in the PMA (a new noun
   * the caller owns; equal to `root`).
   *
   * @example
   * ```ts
   * import { Noun, Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * using state = Noun.from([1, 2]);
   * using root = pma.commit(state, 1n, new Uint8Array(32));
   * console.log(pma.eventNumber); // 1n
   * ```
   */
  commit(root: Noun, eventNumber: bigint | number, kernelHash: Uint8Array): Noun {
    this.#live();
    const event = typeof eventNumber === "number" ? toBigInt(eventNumber) : eventNumber;
    if (typeof event !== "bigint" || event < 0n || event > maxU64) {
      throw new ArgumentError(`Bad event number: ${eventNumber}`);
    }
    if (!(kernelHash instanceof Uint8Array) || kernelHash.length !== 32) {
      throw new ArgumentError("Bad kernel hash: it must be a Uint8Array of 32 bytes");
    }
    const record = new Uint8Array(40);
    new DataView(record.buffer).setBigUint64(0, event, true);
    record.set(kernelHash, 8);
    return adoptHandle(
      checked(symbols().cellar_pma_commit(handleOf(root), record, record.length)),
    );
  }

  /**
   * The committed root, read in place from the mapping (no copy). A new noun the caller
   * owns; a replica's root stays the one it opened or last refreshed to.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * using root = pma.root;
   * console.log(root.toNumber()); // 0 (an empty slab's root)
   * ```
   */
  get root(): Noun {
    this.#live();
    return adoptHandle(checked(symbols().cellar_pma_root()));
  }

  /**
   * Event number of the committed state.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * console.log(pma.eventNumber); // 0n
   * ```
   */
  get eventNumber(): bigint {
    return this.#readInfo().getBigUint64(64, true);
  }

  /**
   * Kernel hash of the committed state (32 bytes; zeros for an empty slab).
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * console.log(pma.kernelHash.length); // 32
   * ```
   */
  get kernelHash(): Uint8Array {
    this.#readInfo();
    return this.#info.slice(88, 120);
  }

  /**
   * Operator statistics: capacity, used, live after the last GC, growth count, bytes
   * appended by the last commit, and more.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * const s = pma.stats();
   * console.log(s.capacityBytes >= s.usedBytes); // true
   * ```
   */
  stats(): PmaStats {
    const view = this.#readInfo();
    const field = (i: number) => Number(view.getBigUint64(i * 8, true));
    return {
      capacityBytes: field(0),
      reserveBytes: field(1),
      usedBytes: field(2),
      liveBytesAfterGc: field(3),
      growthCount: field(4),
      appendedBytesLastCommit: field(5),
      freeBytes: field(0) - field(2),
      generation: field(6),
      commitSeq: field(7),
      eventNumber: view.getBigUint64(64, true),
      fileId: field(9),
      readOnly: field(10) === 1,
    };
  }

  #readInfo(): DataView {
    this.#live();
    if (symbols().cellar_pma_info(this.#info, this.#info.length) !== 0) throw lastError();
    return new DataView(this.#info.buffer);
  }

  /**
   * Copy-compact the slab into its other file (writers). The old file stays valid until the
   * new one is durable. Every noun this thread holds that lives in the PMA (directly or
   * inside workspace nouns) is moved along, so it stays valid and equal.
   *
   * @example
   * ```ts
   * import { Noun, Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * using a = Noun.from([1, 2]);
   * pma.commit(a, 1, new Uint8Array(32)).dispose();
   * using b = Noun.from([3, 4]);
   * using root = pma.commit(b, 2, new Uint8Array(32));
   * const result = pma.gc(); // [1 2] is garbage now
   * console.log(result.liveBytes, root.toString()); // 24 [3 4]
   * ```
   */
  gc(): PmaGcResult {
    this.#live();
    const buffer = new Uint8Array(80);
    const status = runNative("gc", 0, () => symbols().cellar_pma_gc(buffer, buffer.length));
    if (status !== 0) throw lastError();
    const view = new DataView(buffer.buffer);
    const field = (i: number) => Number(view.getBigUint64(i * 8, true));
    return {
      usedBytesBefore: field(0),
      usedBytesAfter: field(1),
      liveBytes: field(2),
      references: field(3),
      scanMs: field(4) / 1e6,
      gcMs: field(5) / 1e6,
      phasesMs: {
        check: field(6) / 1e6,
        mark: field(7) / 1e6,
        copy: field(8) / 1e6,
        sync: field(9) / 1e6,
      },
    };
  }

  /**
   * Replicas: move to the writer's newest durable commit. Nouns read before stay valid
   * (after `"switched"` they have been copied into the workspace). A writer is always
   * current (`"unchanged"`).
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * const dir = Deno.makeTempDirSync();
   * Pma.open(dir).close(); // creates an empty slab
   * using replica = Pma.open(dir, { readOnly: true });
   * console.log(replica.refresh()); // unchanged
   * ```
   */
  refresh(): PmaRefresh {
    this.#live();
    const r = symbols().cellar_pma_refresh();
    if (r < 0) throw lastError();
    return refreshKinds[r];
  }

  /**
   * Check every data checksum (throwing a {@linkcode PmaError} `"DataChecksum"` that names
   * the first fault), then blake3 over the committed data bytes (object headers with their
   * cached mugs masked), checking on the way that they parse as nouns. Equal slabs give
   * equal digests.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * console.log(pma.verify().hex.length); // 64
   * ```
   */
  verify(): PmaDigest {
    this.#live();
    const bytes = new Uint8Array(32);
    if (symbols().cellar_pma_verify(bytes, bytes.length) !== 0) throw lastError();
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return { bytes, hex };
  }

  /**
   * One step of the background scrub: check about `maxBytes` more of the data against its
   * checksums (recomputed from the data; a step may go over by one extent record), and say
   * where the pass stands. A pass starts by itself when none runs, and starts over after a
   * GC. Faults are reported, not thrown: `newFault` is set on the step that found one. A
   * writer that finds one refuses commits and GCs from then on, and later opens of the
   * directory fail with `"DataChecksum"`.
   *
   * @example Scrub 64 MiB at a time until a pass is done
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * let step = pma.scrubStep(64 * 2 ** 20);
   * while (!step.passDone) step = pma.scrubStep(64 * 2 ** 20);
   * console.log(step.faults, step.checkedBytes === step.totalBytes); // 0 true
   * ```
   */
  scrubStep(maxBytes: number): PmaScrubProgress {
    this.#live();
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new ArgumentError(`Bad scrub size: ${maxBytes} is not a positive integer`);
    }
    return this.#json((buffer) => symbols().cellar_pma_scrub(maxBytes, buffer, buffer.length));
  }

  /**
   * Check every data checksum now (one whole pass, apart from the background scrub's),
   * reporting faults rather than throwing them ({@linkcode Pma.verify} throws).
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * const check = pma.check();
   * console.log(check.faults, check.unverifiedBytes); // 0 0
   * ```
   */
  check(): PmaScrubProgress {
    this.#live();
    return this.#json((buffer) => symbols().cellar_pma_check(buffer, buffer.length));
  }

  /**
   * The mug of `noun` (a noun read from this PMA, or a direct atom) recomputed from the
   * data alone: no cached mug is read or written. Cached mugs met on the way that differ
   * are counted (data checksums do not cover mug bits, which mug caching writes later).
   *
   * @example
   * ```ts
   * import { Noun, Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * using state = Noun.from([1, 2, 3]);
   * using root = pma.commit(state, 1, new Uint8Array(32));
   * const check = pma.recomputeMug(root);
   * console.log(check.mug === state.mug, check.wrongCachedMugs); // true 0
   * ```
   */
  recomputeMug(noun: Noun): PmaMugCheck {
    this.#live();
    const handle = handleOf(noun);
    return this.#json((buffer) =>
      symbols().cellar_pma_recompute_mug(handle, buffer, buffer.length)
    );
  }

  #setDataChecksums(on: boolean): void {
    if (symbols().cellar_pma_set_data_checksums(on ? 1 : 0) !== 0) throw lastError();
  }

  #json<T>(call: (buffer: Uint8Array) => number): T {
    const buffer = new Uint8Array(1024);
    const n = call(buffer);
    if (n < 0) throw lastError();
    return JSON.parse(decoder.decode(buffer.subarray(0, n))) as T;
  }

  /**
   * Write the `pma.meta` sidecar now (writers): a copy of the newest commit record for
   * operators, written atomically. Recovery never depends on it.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * const dir = Deno.makeTempDirSync();
   * using pma = Pma.open(dir, { sidecar: "off" });
   * pma.writeSidecar();
   * console.log(Deno.statSync(`${dir}/pma.meta`).size); // 232
   * ```
   */
  writeSidecar(): void {
    this.#live();
    if (symbols().cellar_pma_write_sidecar() !== 0) throw lastError();
  }

  /**
   * Why meta slots were passed over when the PMA was opened (or last refreshed): a torn
   * last commit, a flipped byte, a truncated file. Empty when every slot was good.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * using pma = Pma.open(Deno.makeTempDirSync());
   * console.log(pma.openReport().rejected); // []
   * ```
   */
  openReport(): PmaOpenReport {
    this.#live();
    const buffer = new Uint8Array(1024);
    const n = symbols().cellar_pma_report(buffer, buffer.length);
    if (n < 0) throw lastError();
    return JSON.parse(decoder.decode(buffer.subarray(0, n))) as PmaOpenReport;
  }

  /**
   * Close the PMA (a writer first writes the sidecar, unless it is off). Nouns from it that
   * are still held are copied into the workspace, so they stay valid; dispose them first
   * to skip the copy. Idempotent.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * const pma = Pma.open(Deno.makeTempDirSync());
   * pma.close();
   * console.log(pma.isOpen); // false
   * ```
   */
  close(): void {
    if (!this.#open || current !== this) return;
    if (symbols().cellar_pma_close() !== 0) throw lastError();
    this.#open = false;
    current = null;
  }

  /**
   * Same as {@linkcode Pma.close}, for `using` declarations.
   *
   * @example
   * ```ts
   * import { Pma } from "@cellar/cellar";
   * {
   *   using pma = Pma.open(Deno.makeTempDirSync());
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

function checkPermission(name: "read" | "write", path: string): void {
  const status = Deno.permissions.querySync({ name, path });
  if (status.state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot open a PMA in ${path}: ${name} access to it is not granted (--allow-${name})`,
    );
  }
}

function byteCount(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ArgumentError(`Bad ${name}: ${value} is not a positive integer`);
  }
  return value;
}

function toBigInt(value: number): bigint | undefined {
  return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
}
