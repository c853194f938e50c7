/**
 * The committed state of a data directory: the writer PMA, the kernel core it holds, the
 * event number that core stands at, and the kernel that runs it.
 *
 * The PMA root is `[core cold]`, `cold` being the jet registrations of the kernels that
 * made the state, so a restart matches jets without booting the kernel again. While the log
 * is not yet durable up to the state's event, the root is `[core %tail cold records]`: the
 * records are the log rows since the log's last sync (the _tail_, see `log_tail.ts`), and a
 * group commit pushes its rows onto them. Whatever the state is committed from stays the
 * caller's; the state itself is always the PMA copy.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { exportJetRegistrations, importJetRegistrations, jetStats } from "../core/jets.ts";
import { Noun } from "../core/noun.ts";
import type { NockOptions } from "../core/machine.ts";
import type { EventLog, LoggedEvent } from "./event_log.ts";
import { blake3, hex } from "./files.ts";
import { adoptStateRoot, loadKernel, stateAxis, stateRootTailTag } from "./kernel.ts";
import { bootKernelChecked } from "./kernel_table.ts";
import type { KernelInfo, KernelTable } from "./kernel_table.ts";
import { pushRecords } from "./log_tail.ts";
import type { Pma } from "./pma.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";

/**
 * The state a runtime works on. One per runtime; the PMA it attaches is this thread's.
 *
 * @example
 * ```ts
 * import { EventLog } from "./event_log.ts";
 * import { KernelTable } from "./kernel_table.ts";
 * import { KernelState } from "./state.ts";
 * const log = EventLog.open(`${Deno.makeTempDirSync()}/log.sqlite`);
 * const state = new KernelState(new KernelTable(log));
 * console.log(state.hasCore, state.event); // false 0n
 * state.drop();
 * log.close();
 * ```
 */
export class KernelState {
  /** The kernels of the log, and their booted cores. */
  readonly kernels: KernelTable;
  /** The event number the state stands at. */
  event = 0n;
  #pma: Pma | null = null;
  #core: Noun | null = null;
  #kernel: KernelInfo | null = null;
  /** The jet registrations kept beside the core in the PMA root `[core cold]`. */
  #cold: Noun | null = null;
  /** The dashboard's registration count when `#cold` was exported. */
  #coldRegistrations = -1;
  /** The tail's records list as committed (a PMA noun), or null when the tail is empty. */
  #tail: Noun | null = null;
  /** The tail's rows, oldest first, and their jam bytes. */
  #tailRows: LoggedEvent[] = [];
  #tailBytes = 0;

  /** A state with no PMA yet, whose kernels are `kernels`. */
  constructor(kernels: KernelTable) {
    this.kernels = kernels;
  }

  /** The writer PMA. */
  get pma(): Pma {
    if (this.#pma === null) throw new CellarError("The runtime has no PMA open");
    return this.#pma;
  }

  /** Make `pma` (just opened, as a writer) the state's PMA. */
  attach(pma: Pma): void {
    if (this.#pma !== null && this.#pma !== pma) {
      throw new CellarError("The runtime already has a PMA open");
    }
    this.#pma = pma;
  }

  /** Whether a core is held. */
  get hasCore(): boolean {
    return this.#core !== null;
  }

  /** The kernel core (the PMA copy; the state keeps it). */
  get core(): Noun {
    if (this.#core === null) throw new CellarError("The runtime holds no state");
    return this.#core;
  }

  /** The kernel that runs the state. */
  get kernel(): KernelInfo {
    if (this.#kernel === null) throw new CellarError("The runtime runs no kernel yet");
    return this.#kernel;
  }

  set kernel(k: KernelInfo) {
    this.#kernel = k;
  }

  /** The log rows the committed root carries (events the log has not made durable). */
  get tailRows(): readonly LoggedEvent[] {
    return this.#tailRows;
  }

  /** The jam bytes of {@linkcode KernelState.tailRows}. */
  get tailBytes(): number {
    return this.#tailBytes;
  }

  /**
   * Commit `core` as the state of `event` under the current kernel, with no tail: the log must
   * already hold every event durably (replays, boots, upgrades). The jet registrations are
   * exported again when the dashboard has new ones. `core` stays the caller's.
   */
  commit(core: Noun, event: bigint): void {
    if (this.#tailRows.length > 0) {
      throw new CellarError(
        `Cannot commit event ${event} without the log tail: the log has not made events ` +
          `${this.#tailRows[0].num}..${this.#tailRows.at(-1)!.num} durable yet`,
      );
    }
    this.#commitRoot(core, event, null);
  }

  /**
   * Commit `core` as the state of `event`, the last of `rows` (the group's log rows, oldest
   * first), which join the tail in the root: one PMA commit makes the group durable.
   */
  commitGroup(core: Noun, event: bigint, rows: readonly LoggedEvent[]): void {
    using list = pushRecords(rows, this.#tail);
    this.#commitRoot(core, event, list);
    for (const row of rows) {
      this.#tailRows.push(row);
      this.#tailBytes += row.jam.length;
    }
  }

  /** The log is durable up to the committed event: the next commit starts a new tail. */
  logSynced(): void {
    this.#tail?.dispose();
    this.#tail = null;
    this.#tailRows = [];
    this.#tailBytes = 0;
  }

  /**
   * Commit the held state again, at its event and with its tail: a probe that the PMA can
   * write and sync (a few bytes are appended).
   */
  recommit(): void {
    if (this.#tail === null) return this.#commitRoot(this.core, this.event, null);
    using list = this.#tail.at(1);
    this.#commitRoot(this.core, this.event, list);
  }

  /** Commit `[core cold]`, or `[core %tail cold list]` when `list` is given. */
  #commitRoot(core: Noun, event: bigint, list: Noun | null): void {
    const registrations = jetStats().registrations;
    const fresh = registrations !== this.#coldRegistrations || this.#cold === null;
    using cold = fresh ? exportJetRegistrations() : this.#cold!.at(1);
    using root = list === null
      ? Noun.cell(core, cold)
      : Noun.from([core, stateRootTailTag, cold, list]);
    using committed = this.pma.commit(root, event, this.kernel.entry.hash);
    this.#core?.dispose();
    this.#cold?.dispose();
    this.#tail?.dispose();
    this.#core = committed.head;
    this.#cold = committed.at(list === null ? 3 : 14);
    this.#tail = list === null ? null : committed.at(15);
    if (fresh) {
      // Adopt the PMA copies of the batteries, so jets match the state by identity.
      importJetRegistrations(this.#cold);
      this.#coldRegistrations = jetStats().registrations;
    }
  }

  /** Commit the held core as the state of {@linkcode KernelState.event} (after a replay). */
  commitHeld(): void {
    this.commit(this.core, this.event);
  }

  /**
   * Hold `core`, a product computed from the held one, as the state of `event` without
   * committing it yet (a replay commits in batches). Takes ownership of `core`.
   */
  advance(core: Noun, event: bigint): void {
    this.#core?.dispose();
    this.#core = core;
    this.event = event;
  }

  /** Take the PMA root `[core cold]` as the state and import its jet registrations. */
  adoptRoot(): void {
    using root = this.pma.root;
    const { core, cold } = adoptStateRoot(root);
    this.#core?.dispose();
    this.#cold?.dispose();
    this.#core = core;
    this.#cold = cold;
    this.#coldRegistrations = jetStats().registrations;
    // A root's tail was made durable in the log at open (see `log_tail.ts`).
    this.logSynced();
  }

  /** Install kernel `k` over the state at `event` (during a replay or a resumed upgrade). */
  applyUpgrade(k: KernelInfo, event: bigint): void {
    using oldState = this.core.at(stateAxis);
    let next: Noun;
    try {
      next = loadKernel(this.kernels.booted(k), oldState);
    } catch (cause) {
      throw new CellarError(
        `kernel ${k.entry.id}'s load arm crashed replaying its upgrade after event ${event}: ${
          errorText(cause)
        }`,
        { cause },
      );
    }
    this.#kernel = k;
    try {
      this.commit(next, event);
    } finally {
      next.dispose();
    }
  }

  /**
   * Upgrade to the kernel `jam` when it is not the running one: its load arm runs on the
   * state, the log records the kernel (taking over after the current event), and the new
   * core is committed. Returns the kernel hashes, or null when `jam` is already running.
   * A crash of the load arm is a `RuntimeError` (`UpgradeFailed`) that changes nothing.
   */
  upgrade(
    jam: Uint8Array,
    log: EventLog,
    options: { dataDir: string; limits?: NockOptions },
  ): { from: string; to: string } | null {
    const to = hex(blake3(jam));
    const from = this.kernel.hashHex;
    if (to === from) return null;
    let next: Noun;
    try {
      using fresh = bootKernelChecked(jam);
      using oldState = this.core.at(stateAxis);
      next = loadKernel(fresh, oldState, options.limits);
    } catch (cause) {
      throw new RuntimeError(
        "UpgradeFailed",
        `Cannot upgrade ${options.dataDir} to kernel ${to.slice(0, 16)}: ${
          errorText(cause)
        }. The data directory keeps kernel ${from.slice(0, 16)} and its state (event ` +
          `${this.event}); start without the new kernel to keep running it.`,
        { cause },
      );
    }
    try {
      const entry = log.addKernel(jam, this.event);
      this.kernels.reload();
      this.#kernel = this.kernels.byId(entry.id);
      // The new kernel's %fast hints registered when it was booted above.
      this.commit(next, this.event);
    } finally {
      next.dispose();
    }
    return { from, to };
  }

  /** Release the core and close the PMA (the files stay as they are). */
  drop(): void {
    this.logSynced();
    this.#core?.dispose();
    this.#core = null;
    this.#cold?.dispose();
    this.#cold = null;
    const pma = this.#pma;
    this.#pma = null;
    if (pma?.isOpen) pma.close();
  }
}
