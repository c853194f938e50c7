/**
 * A read-only view of a data directory's committed state, for serving peeks beside the
 * writer (in another Worker or process). It maps the PMA read-only, so it never sees a
 * state whose event is not durable in the log, and follows the writer with
 * {@linkcode Replica.refresh}. Its jets come from the registrations kept in the PMA root,
 * so no kernel boot is needed.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { hex } from "./files.ts";
import { adoptStateRoot, pathNoun, peekKernel } from "./kernel.ts";
import type { PeekResult } from "./kernel.ts";
import type { NockOptions } from "../core/machine.ts";
import { Noun } from "../core/noun.ts";
import { Pma } from "./pma.ts";
import type { PmaRefresh } from "./pma.ts";

/**
 * A read-only replica of a data directory's state. One per thread (it holds the thread's
 * PMA).
 *
 * @example
 * ```ts
 * import { Replica, Runtime } from "@cellar/cellar";
 * const dir = Deno.makeTempDirSync();
 * Runtime.open({ dataDir: dir }).close();
 * using replica = Replica.open(dir);
 * console.log(replica.peek("/count").kind); // value
 * ```
 */
export class Replica {
  readonly dataDir: string;
  #pma: Pma;
  #core: Noun | null = null;
  #coldKey = "";
  #commitSeq = -1;

  private constructor(dataDir: string, pma: Pma) {
    this.dataDir = dataDir;
    this.#pma = pma;
  }

  /**
   * Open the committed state of `dataDir` read-only. Fails with a `PmaError` (`NoSlab`)
   * when the directory has no state yet.
   */
  static open(dataDir: string): Replica {
    const pma = Pma.open(`${dataDir}/pma`, { readOnly: true });
    const replica = new Replica(dataDir, pma);
    try {
      replica.#adopt();
      return replica;
    } catch (error) {
      pma.close();
      throw error;
    }
  }

  #adopt(): void {
    using root = this.#pma.root;
    // A refresh per commit must not import the same registrations each time: they are
    // imported again only when the GC generation or the registrations' mug changes (a GC
    // moves the batteries, which the dashboard must adopt again).
    const generation = this.#pma.stats().generation;
    let key = "";
    const { core, cold } = adoptStateRoot(root, (c) => {
      key = `${generation}:${c.mug}`;
      return key === this.#coldKey;
    });
    this.#coldKey = key;
    cold.dispose();
    this.#core?.dispose();
    this.#core = core;
    this.#commitSeq = this.#pma.stats().commitSeq;
  }

  /** Move to the writer's newest durable commit. */
  refresh(): PmaRefresh {
    this.#live();
    const r = this.#pma.refresh();
    if (r !== "unchanged" || this.#pma.stats().commitSeq !== this.#commitSeq) this.#adopt();
    return r;
  }

  /** The event number of the state this replica reads. */
  get eventNumber(): bigint {
    return this.#pma.eventNumber;
  }

  /** blake3 (hex) of the kernel that committed the state. */
  get kernelHash(): string {
    return hex(this.#pma.kernelHash);
  }

  /** Peek at the state (`/a/b`, segments, or a path noun). */
  peek(path: string | readonly string[] | Noun, options: NockOptions = {}): PeekResult {
    const core = this.#live();
    if (path instanceof Noun) return peekKernel(core, path, options);
    using p = pathNoun(path);
    return peekKernel(core, p, options);
  }

  #live(): Noun {
    if (this.#core === null || !this.#pma.isOpen) {
      throw new CellarError("The replica is closed");
    }
    return this.#core;
  }

  /** Close the replica. */
  close(): void {
    this.#core?.dispose();
    this.#core = null;
    if (this.#pma.isOpen) this.#pma.close();
  }

  /** Same as {@linkcode Replica.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
