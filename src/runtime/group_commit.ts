/**
 * Group commit (docs/DESIGN.md, "The commit protocol"). Pokes are computed in order, each on
 * the product of the one before, and made durable together: their rows are staged in a log
 * transaction whose commit does not sync, one PMA commit (one `fdatasync`) carries the state
 * and the rows (the root's tail), then the log transaction commits. The WAL is synced only
 * when the tail is full, which lets the next tail start empty.
 *
 * A commit that fails stalls the committer: pokes are refused with `CommitStalled` until a
 * {@linkcode GroupCommitter.retry} succeeds. A PMA commit that failed after its slot write
 * leaves the slab uncertain; the committer then stops for good (`CommitFailed`).
 *
 * @module
 */

import type { NockOptions } from "../core/machine.ts";
import { PmaError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import { EventLog } from "./event_log.ts";
import type { LoggedEvent } from "./event_log.ts";
import { pokeKernel, toDa } from "./kernel.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";
import type { KernelState } from "./state.ts";
import { wireLabel, wireNoun } from "./wire.ts";
import type {
  CommitStall,
  CommitStatus,
  CommitStep,
  ComputedEvent,
  GroupLimits,
  GroupRange,
  PokeOutcome,
  PokeRequest,
} from "./types.ts";

const defaultLimits: Required<GroupLimits> = { events: 256, bytes: 4 * 2 ** 20, computeMs: 50 };
const retryFirstMs = 1000;
const retryMaxMs = 10_000;

/** Points where {@linkcode Faults} can fail a commit. */
export type FaultPoint = "pma-commit" | "log-commit";

/**
 * Injected commit failures, for tests: `pma-commit:K:N` / `log-commit:K:N` (comma separated)
 * fail the K-th to (K+N-1)-th attempts at that point.
 *
 * @example
 * ```ts
 * import { Faults } from "./group_commit.ts";
 * const faults = new Faults("pma-commit:2:1");
 * faults.check("pma-commit"); // attempt 1 passes
 * try {
 *   faults.check("pma-commit");
 * } catch (error) {
 *   console.log((error as Error).message.startsWith("Injected")); // true
 * }
 * ```
 */
export class Faults {
  #plans = new Map<FaultPoint, { first: number; count: number }>();
  #attempts = new Map<FaultPoint, number>();

  constructor(spec: string) {
    for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p.length > 0)) {
      const m = /^(pma-commit|log-commit):(\d+):(\d+)$/.exec(part);
      if (m === null) {
        throw new RuntimeError(
          "BadArgument",
          `Bad fault plan ${JSON.stringify(part)}: use pma-commit:K:N or log-commit:K:N`,
        );
      }
      this.#plans.set(m[1] as FaultPoint, { first: Number(m[2]), count: Number(m[3]) });
    }
  }

  /** Count an attempt at `point`; throws when the plan fails this one. */
  check(point: FaultPoint): void {
    const plan = this.#plans.get(point);
    if (plan === undefined) return;
    const n = (this.#attempts.get(point) ?? 0) + 1;
    this.#attempts.set(point, n);
    if (n >= plan.first && n < plan.first + plan.count) {
      throw new Error(`Injected fault: ${point} attempt ${n} fails (no space left on device)`);
    }
  }
}

/** What a {@linkcode GroupCommitter} needs besides the state and the log. */
export interface CommitterOptions {
  pokeLimits?: NockOptions;
  groupLimits?: GroupLimits;
  logSyncEveryEvents?: number;
  logSyncEveryBytes?: number;
  faults: Faults;
  step: (step: CommitStep, event: bigint, group: GroupRange) => void;
  onGroup?: (size: number, commitMs: number) => void;
  /** Called once a poke is computed, before it joins its group (see RuntimeOptions). */
  onComputed?: (event: ComputedEvent) => void;
  /** Called with a computed group before it is logged; throwing refuses it (RuntimeOptions). */
  beforeCommit?: (events: readonly ComputedEvent[]) => void;
}

/** A poke computed, waiting for its group's commit. */
export interface Computed {
  index: number;
  row: LoggedEvent;
  effects: Noun;
  computeMs: number;
}

/** The commit path of one runtime: groups of pokes, their durability, stalls and retries. */
export class GroupCommitter {
  readonly #state: KernelState;
  readonly #log: EventLog;
  readonly #options: CommitterOptions;
  readonly #limits: Required<GroupLimits>;
  #stall: CommitStall | null = null;
  #fatal: string | null = null;
  #groups = 0;
  #lastGroupSize = 0;
  #pmaSyncs = 0;
  #logSyncs = 0;
  /** Events the open appended to the log from the PMA's tail. */
  repaired: { from: bigint; to: bigint } | null = null;

  constructor(state: KernelState, log: EventLog, options: CommitterOptions) {
    this.#state = state;
    this.#log = log;
    this.#options = options;
    this.#limits = { ...defaultLimits, ...options.groupLimits };
  }

  /** Why the runtime stopped for good, or null. */
  get fatal(): string | null {
    return this.#fatal;
  }

  /** The counters and the stall, for status. */
  status(): CommitStatus {
    return {
      groups: this.#groups,
      lastGroupSize: this.#lastGroupSize,
      pmaSyncs: this.#pmaSyncs,
      logSyncs: this.#logSyncs,
      tailEvents: this.#state.tailRows.length,
      repaired: this.repaired,
      stalled: this.#stall === null ? null : { ...this.#stall },
    };
  }

  /** Make the log durable as it is (at open, before the first group). */
  syncLog(): void {
    if (this.#log.syncWal()) this.#logSyncs++;
  }

  /**
   * Compute and commit `requests` in arrival order, as bounded groups; each outcome is final
   * (durable, or refused and without trace). A stalled committer refuses them all at once.
   */
  run(requests: readonly PokeRequest[]): PokeOutcome[] {
    const out: PokeOutcome[] = new Array(requests.length);
    let i = 0;
    while (i < requests.length) {
      if (this.#fatal !== null || this.#stall !== null) {
        const error = this.refusal();
        for (; i < requests.length; i++) out[i] = { ok: false, error };
        break;
      }
      i = this.#group(requests, i, out);
    }
    return out;
  }

  /** The error a poke gets while the committer cannot commit. */
  refusal(): RuntimeError {
    if (this.#fatal !== null) {
      return new RuntimeError(
        "CommitFailed",
        `The runtime stopped: ${this.#fatal}. Reopen the data directory to recover.`,
      );
    }
    const stall = this.#stall!;
    const retryAfterMs = Math.max(0, stall.retryAt - Date.now());
    return new RuntimeError(
      "CommitStalled",
      `The runtime cannot commit now: ${stall.reason}. Nothing of this poke was kept; the ` +
        `runtime retries by itself, try again in ${Math.ceil(retryAfterMs / 1000)} s`,
      { retryAfterMs },
    );
  }

  /**
   * Commit events computed elsewhere (`replicated.ts`), with `core` the state after the last
   * of `done` (the caller keeps owning it); `done[i].index` must be `i`.
   */
  commitComputed(core: Noun, done: Computed[]): PokeOutcome[] {
    if (this.#fatal !== null || this.#stall !== null) {
      const error = this.refusal();
      for (const c of done) c.effects.dispose();
      return done.map(() => ({ ok: false, error }));
    }
    const out: PokeOutcome[] = new Array(done.length);
    this.#commit(core, done, out);
    return out;
  }

  /** Compute one group from `requests[from]` on, commit it; returns the next index. */
  #group(requests: readonly PokeRequest[], from: number, out: PokeOutcome[]): number {
    const base = this.#state.core;
    let core = base;
    let num = this.#state.event;
    const done: Computed[] = [];
    let bytes = 0;
    let computeMs = 0;
    let i = from;
    try {
      while (i < requests.length) {
        const index = i++;
        let next: Computed & { core: Noun };
        try {
          next = computeOne(core, num + 1n, requests[index], index, this.#options.pokeLimits);
        } catch (error) {
          out[index] = { ok: false, error };
          continue;
        }
        const refused = this.#announce(next);
        if (refused !== null) {
          out[index] = { ok: false, error: refused };
          continue;
        }
        if (core !== base) core.dispose();
        core = next.core;
        num++;
        done.push(next);
        this.#options.step("computed", num, { first: done[0].row.num, last: num });
        bytes += next.row.jam.length;
        computeMs += next.computeMs;
        const l = this.#limits;
        if (done.length >= l.events || bytes >= l.bytes || computeMs >= l.computeMs) break;
      }
      if (done.length > 0 && !this.#vetoed(done, out)) this.#commit(core, done, out);
    } finally {
      if (core !== base) core.dispose();
    }
    return i;
  }

  /**
   * Tell `onComputed` about a computed poke before it joins the group; when it throws, the
   * poke is refused with that error and its product dropped (nothing of it is logged).
   */
  #announce(next: Computed & { core: Noun }): unknown {
    try {
      const { row, effects } = next;
      this.#options.onComputed?.({
        eventNumber: row.num,
        eventJam: row.jam,
        effects,
        stateMug: row.stateMug,
      });
      return null;
    } catch (error) {
      next.effects.dispose();
      next.core.dispose();
      return error;
    }
  }

  /**
   * Ask `beforeCommit` about a computed group; when it throws, every poke of the group is
   * refused with that error and its effects dropped. Returns whether it was refused.
   */
  #vetoed(done: Computed[], out: PokeOutcome[]): boolean {
    const hook = this.#options.beforeCommit;
    if (hook === undefined) return false;
    try {
      hook(done.map((c) => ({
        eventNumber: c.row.num,
        eventJam: c.row.jam,
        effects: c.effects,
        stateMug: c.row.stateMug,
      })));
      return false;
    } catch (error) {
      for (const c of done) {
        c.effects.dispose();
        out[c.index] = { ok: false, error };
      }
      return true;
    }
  }

  /** Make `done` durable with `core` as the state; fill in their outcomes. */
  #commit(core: Noun, done: Computed[], out: PokeOutcome[]): void {
    const rows = done.map((c) => c.row);
    const group = { first: rows[0].num, last: rows[rows.length - 1].num };
    const started = performance.now();
    const refused = this.#stage(rows, group) ?? this.#commitPma(core, rows, group);
    if (refused !== null) {
      for (const c of done) {
        c.effects.dispose();
        out[c.index] = { ok: false, error: refused };
      }
      return;
    }
    this.#commitLog(group);
    const commitMs = performance.now() - started;
    for (const c of done) {
      const result = {
        eventNumber: c.row.num,
        effects: c.effects,
        computeMs: c.computeMs,
        commitMs,
      };
      out[c.index] = { ok: true, result };
    }
    this.#groups++;
    this.#lastGroupSize = done.length;
    this.#options.onGroup?.(done.length, commitMs);
  }

  /** Stage the rows in a log transaction; an error when that failed. */
  #stage(rows: LoggedEvent[], group: GroupRange): RuntimeError | null {
    try {
      this.#log.beginGroup();
      for (const row of rows) {
        this.#log.insert(row);
        this.#options.step("logged", row.num, { first: group.first, last: row.num });
      }
      this.#options.step("group-logged", group.last, group);
      return null;
    } catch (error) {
      this.#rollbackLog();
      return this.#stallOn(
        `the log could not take events ${group.first}..${group.last}: ${errorText(error)}`,
        false,
      );
    }
  }

  /** The PMA commit of the group: the one flush. An error when it failed. */
  #commitPma(core: Noun, rows: LoggedEvent[], group: GroupRange): RuntimeError | null {
    try {
      this.#options.faults.check("pma-commit");
      this.#state.commitGroup(core, group.last, rows);
      this.#pmaSyncs++;
    } catch (error) {
      this.#rollbackLog();
      return this.#pmaFailed(error, group);
    }
    this.#state.event = group.last;
    this.#options.step("committed", group.last, group);
    return null;
  }

  /** Commit the log transaction of a durable group; sync the WAL when the tail is full. */
  #commitLog(group: GroupRange): void {
    try {
      this.#options.faults.check("log-commit");
      this.#log.commitGroup();
    } catch (error) {
      this.#rollbackLog();
      this.#stallOn(
        `the log could not commit events ${group.first}..${group.last} (they are durable in ` +
          `the PMA and were accepted): ${errorText(error)}`,
        true,
      );
      return;
    }
    this.#options.step("log-committed", group.last, group);
    const o = this.#options;
    const full = this.#state.tailRows.length >= (o.logSyncEveryEvents ?? 1000) ||
      this.#state.tailBytes >= (o.logSyncEveryBytes ?? 2 ** 20);
    if (!full) return;
    try {
      this.syncLog();
      this.#state.logSynced();
    } catch (error) {
      this.#stallOn(`the log's WAL could not be synced: ${errorText(error)}`, true);
    }
  }

  #rollbackLog(): void {
    try {
      this.#log.rollbackGroup();
    } catch { /* the next group's BEGIN reports a log that is still stuck */ }
  }

  /**
   * A failed PMA commit: a stall when the slab is as it was (the failure came before its
   * slot write), else the end of this runtime (the group may or may not be durable).
   */
  #pmaFailed(error: unknown, group: GroupRange): RuntimeError {
    const text = errorText(error);
    if (!this.#pmaUncertain()) {
      return this.#stallOn(
        `the PMA could not commit events ${group.first}..${group.last}: ${text}`,
        false,
      );
    }
    this.#fatal = `the PMA commit of events ${group.first}..${group.last} failed after its ` +
      `slot write, so they may or may not be durable (${text})`;
    return new RuntimeError(
      "CommitFailed",
      `${this.#fatal}. This runtime stops; reopening the data directory keeps them if they ` +
        `reached the disk.`,
      { cause: error },
    );
  }

  /**
   * Whether a failed commit left the PMA uncertain: it moved to a new event after all, or it
   * is poisoned (a slot write or sync failed). Asked with a commit of an older event, which
   * a healthy writer refuses for its order before it writes anything (at event 0, where
   * there is no older event, with a real commit of the held state).
   */
  #pmaUncertain(): boolean {
    const pma = this.#state.pma;
    const event = pma.eventNumber;
    if (event !== this.#state.event) return true;
    try {
      if (event === 0n) {
        this.#state.recommit();
        this.#pmaSyncs++;
        return false;
      }
      using root = pma.root;
      pma.commit(root, event - 1n, new Uint8Array(32)).dispose();
      return false;
    } catch (error) {
      return error instanceof PmaError && error.code === "Poisoned";
    }
  }

  /** Enter (or stay in) the stalled state; returns the refusal for the pokes at hand. */
  #stallOn(reason: string, logBehind: boolean): RuntimeError {
    const now = Date.now();
    const s = this.#stall;
    if (s === null) {
      this.#stall = { reason, since: now, failures: 1, retryAt: now + retryFirstMs, logBehind };
    } else {
      s.reason = reason;
      s.failures++;
      s.logBehind ||= logBehind;
      s.retryAt = now + Math.min(retryMaxMs, retryFirstMs * 2 ** (s.failures - 1));
    }
    return this.refusal();
  }

  /**
   * Retry a stalled commit: append to the log what the tail has and the log lacks, sync the
   * WAL, and commit the PMA again. Returns whether commits work again.
   */
  retry(): boolean {
    if (this.#fatal !== null) return false;
    const stall = this.#stall;
    if (stall === null) return true;
    try {
      if (stall.logBehind) {
        this.#catchUpLog();
        stall.logBehind = false;
      }
      this.#options.faults.check("pma-commit");
      this.#state.recommit();
      this.#pmaSyncs++;
    } catch (error) {
      if (error instanceof PmaError && error.code === "Poisoned") {
        this.#fatal = `the PMA refuses to commit after an earlier failure (${errorText(error)})`;
        return false;
      }
      this.#stallOn(`a retry failed: ${errorText(error)}`, false);
      return false;
    }
    this.#stall = null;
    return true;
  }

  /**
   * At close: make the log durable and commit the state without its tail, so a directory
   * closed cleanly holds a plain `[core cold]` root. Skipped when commits fail (the next open
   * repairs from the tail instead).
   */
  dropTail(): void {
    if (this.#fatal !== null || this.#stall !== null || this.#state.tailRows.length === 0) return;
    this.#catchUpLog();
    this.#state.recommit();
    this.#pmaSyncs++;
  }

  /** Put the tail's rows that the log lacks into the log, durably; the tail is then empty. */
  #catchUpLog(): void {
    this.#options.faults.check("log-commit");
    const last = this.#log.extent().last;
    const missing = this.#state.tailRows.filter((row) => row.num > last);
    if (missing.length > 0) this.#log.appendRows(missing);
    this.syncLog();
    this.#state.logSynced();
  }
}

/** Compute poke `request` as event `num` on `core`; its row is made ready for the log. */
function computeOne(
  core: Noun,
  num: bigint,
  request: PokeRequest,
  index: number,
  limits?: NockOptions,
): Computed & { core: Noun } {
  const started = performance.now();
  using wire = wireNoun(request.wire);
  using body = Noun.from([
    wire,
    crypto.getRandomValues(new Uint8Array(32)),
    0,
    toDa(Date.now()),
    request.cause,
  ]);
  using sample = Noun.cell(num, body);
  const product = pokeKernel(core, sample, limits);
  const computeMs = performance.now() - started;
  try {
    const row = EventLog.row(
      num,
      body.jam(),
      wireLabel(wire),
      computeMs,
      product.core.mug,
    );
    return { index, row, effects: product.effects, core: product.core, computeMs };
  } catch (error) {
    product.effects.dispose();
    product.core.dispose();
    throw error;
  }
}
