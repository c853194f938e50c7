/**
 * The kernels a data directory has run, as its event log records them: the boot kernel,
 * then one per upgrade, each taking over after a given event. The table answers which
 * kernel a state at some event runs, which upgrades follow an event, and boots each kernel
 * at most once per runtime (for its core and its jets' registrations).
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import type { EventLog, LoggedKernel } from "./event_log.ts";
import { hex } from "./files.ts";
import { bootKernel, loadKernel } from "./kernel.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";

/** One kernel of the log. */
export interface KernelInfo {
  entry: LoggedKernel;
  /** blake3 of its jam, hex. */
  hashHex: string;
  /** Position in the log's kernels: 0 for the boot kernel. */
  index: number;
}

/** Which kernel a state runs, and the upgrades still to apply to it. */
export interface KernelFit {
  kernel: KernelInfo;
  pending: KernelInfo[];
}

/**
 * The kernels of one event log, with the cores booted from them.
 *
 * @example
 * ```ts
 * import { EventLog } from "./event_log.ts";
 * import { KernelTable } from "./kernel_table.ts";
 * const log = EventLog.open(`${Deno.makeTempDirSync()}/log.sqlite`);
 * const kernels = new KernelTable(log);
 * kernels.reload();
 * console.log(kernels.all.length); // 0
 * kernels.dispose();
 * log.close();
 * ```
 */
export class KernelTable {
  readonly #log: EventLog;
  #kernels: KernelInfo[] = [];
  readonly #booted = new Map<string, Noun>();
  #bootCore: Noun | null = null;

  /** A table of the kernels in `log`, empty until {@linkcode KernelTable.reload} reads them. */
  constructor(log: EventLog) {
    this.#log = log;
  }

  /** Read the kernels from the log again (after one was added). */
  reload(): void {
    this.#kernels = this.#log.kernels().map((entry, index) => ({
      entry,
      hashHex: hex(entry.hash),
      index,
    }));
  }

  /** Every kernel, in the order installed. */
  get all(): readonly KernelInfo[] {
    return this.#kernels;
  }

  /** The boot kernel. */
  get first(): KernelInfo {
    if (this.#kernels.length === 0) throw new RuntimeError("BadKernel", "The log has no kernel");
    return this.#kernels[0];
  }

  /** The newest kernel: the one that runs after every upgrade. */
  get current(): KernelInfo {
    if (this.#kernels.length === 0) throw new RuntimeError("BadKernel", "The log has no kernel");
    return this.#kernels[this.#kernels.length - 1];
  }

  /** The kernel with log id `id`. */
  byId(id: number): KernelInfo {
    const found = this.#kernels.find((k) => k.entry.id === id);
    if (found === undefined) throw new RuntimeError("BadKernel", `The log has no kernel ${id}`);
    return found;
  }

  /** The kernels installed after event `e` (upgrades that follow it), in order. */
  upgradesAfter(e: bigint): KernelInfo[] {
    return this.#kernels.filter((k) => k.index > 0 && k.entry.installedAfter === e);
  }

  /**
   * Which kernel a state at event `e` with kernel hash `h` runs, and the upgrades still to
   * apply at `e`; null when the hash fits no kernel of the log at that point.
   */
  forState(e: bigint, h: string): KernelFit | null {
    const active = this.#kernels.filter((k) => k.entry.installedAfter <= e || k.index === 0);
    // `active` ends with the kernel that runs after every upgrade at or before `e`.
    for (let i = active.length - 1; i >= 0; i--) {
      const k = active[i];
      const later = active.slice(i + 1);
      if (k.hashHex === h && later.every((l) => l.entry.installedAfter === e)) {
        return { kernel: k, pending: later };
      }
      if (k.entry.installedAfter < e) break;
    }
    return null;
  }

  /** The core of kernel `k`, booted from its jam in the log at the first call. */
  booted(k: KernelInfo): Noun {
    let core = this.#booted.get(k.hashHex);
    if (core === undefined) {
      try {
        core = bootKernel(this.#log.kernelJam(k.entry.id));
      } catch (cause) {
        throw new RuntimeError(
          "BadKernel",
          `Cannot boot kernel ${k.entry.id} (${k.hashHex.slice(0, 16)}): ${
            cause instanceof Error ? cause.message : cause
          }`,
          { cause },
        );
      }
      this.#booted.set(k.hashHex, core);
    }
    return core;
  }

  /**
   * The core at event 0: the boot kernel's, or, for a data directory booted from a state
   * (see `EventLog.addBootKernel`), the boot kernel's load arm run on that state. Computed at
   * the first call; the table owns it.
   */
  bootCore(): Noun {
    if (this.#bootCore !== null) return this.#bootCore;
    const core = this.booted(this.first);
    const state = this.#log.bootState();
    if (state === null) return core;
    try {
      using noun = Noun.cue(state.jam);
      this.#bootCore = loadKernel(core, noun);
    } catch (cause) {
      throw new RuntimeError(
        "BadKernel",
        `The boot kernel's load arm cannot take the state this directory was booted from ` +
          `(${state.source}): ${errorText(cause)}`,
        { cause },
      );
    }
    return this.#bootCore;
  }

  /** Keep `core`, booted by the caller from kernel `k`'s jam (the table owns it now). */
  adoptBooted(k: KernelInfo, core: Noun): void {
    this.#booted.get(k.hashHex)?.dispose();
    this.#booted.set(k.hashHex, core);
  }

  /** Release the booted cores. */
  dispose(): void {
    for (const core of this.#booted.values()) core.dispose();
    this.#booted.clear();
    this.#bootCore?.dispose();
    this.#bootCore = null;
  }
}

/**
 * Boot a kernel jam given by the user: a {@linkcode RuntimeError} (`BadKernel`) when it is
 * not a kernel.
 *
 * @example
 * ```ts
 * import { bootKernelChecked } from "./kernel_table.ts";
 * try {
 *   bootKernelChecked(new Uint8Array([1]));
 * } catch (error) {
 *   console.log((error as Error).message.startsWith("Cannot boot the kernel")); // true
 * }
 * ```
 */
export function bootKernelChecked(jam: Uint8Array): Noun {
  try {
    return bootKernel(jam);
  } catch (cause) {
    throw new RuntimeError("BadKernel", `Cannot boot the kernel: ${errorText(cause)}`, { cause });
  }
}
