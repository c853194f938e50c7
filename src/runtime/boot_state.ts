/**
 * Booting a new data directory from an existing state instead of the kernel's own: NockApp
 * ships kernels with a prepared state (an `EXPJAM` container, or the jam of the state noun),
 * so the first poke need not redo the work that made it.
 *
 * Everything that can fail is done before the data directory is created
 * ({@linkcode prepareBootState}): the file is read, its kernel hash checked, its jam cued,
 * the kernel booted and its load arm run on the state, as for an upgrade. Only then does
 * {@linkcode commitBootState} write: the log records the kernel and the state in one
 * transaction (so a full replay starts from that state), and the loaded core is committed
 * to the PMA as event 0.
 *
 * @module
 */

import { Noun } from "../core/noun.ts";
import type { EventLog } from "./event_log.ts";
import { blake3, hex } from "./files.ts";
import { loadKernel } from "./kernel.ts";
import { bootKernelChecked } from "./kernel_table.ts";
import { Pma } from "./pma.ts";
import type { RecoveryReport } from "./recovery.ts";
import { errorText, RuntimeError } from "./runtime_error.ts";
import { cueState, readStateFile, StateFileError } from "./state_file.ts";
import type { KernelState } from "./state.ts";

/** A state to boot from, with where it came from and whether a kernel mismatch is allowed. */
export interface StateSource {
  /** The state noun (axis 6 of a kernel core), or a state file's bytes (jam or `EXPJAM`). */
  state: Noun | Uint8Array;
  /** Where it came from, for messages and the boot report (e.g. its file name). */
  source?: string;
  /** Boot even when an `EXPJAM` container names another kernel than the one given. */
  force?: boolean;
}

/** What `RuntimeOptions.state` takes: a noun, a file's bytes, or a {@linkcode StateSource}. */
export type StateOption = Noun | Uint8Array | StateSource;

/** A state ready to be committed: the nouns are owned until {@linkcode commitBootState}. */
export interface PreparedState {
  kernelJam: Uint8Array;
  /** The kernel core as booted (its jets registered). */
  fresh: Noun;
  /** The product of the load arm on the state: the core at event 0. */
  core: Noun;
  /** The jam of the state noun, as kept in the log. */
  stateJam: Uint8Array;
  /** Where the state came from, in words. */
  description: string;
}

/** The state and its description from a {@linkcode StateOption}, checked against `kernelHash`. */
function readOption(
  option: StateOption,
  kernelHash: string,
): { noun: Noun; jam: Uint8Array; description: string } {
  const given = option instanceof Noun || option instanceof Uint8Array ? { state: option } : option;
  const name = given.source ?? (given.state instanceof Noun ? "a state noun" : "the state bytes");
  if (given.state instanceof Noun) {
    return { noun: Noun.from(given.state), jam: given.state.jam(), description: name };
  }
  const file = readStateFile(given.state);
  if (file.format === "expjam" && file.kernelHash !== kernelHash && !given.force) {
    throw new RuntimeError(
      "KernelMismatch",
      `The state ${name} was exported by kernel ${file.kernelHash}, not by the kernel given ` +
        `(${kernelHash}): boot it with its own kernel, or force it (--force) if the given ` +
        `kernel's load arm takes that kernel's state`,
    );
  }
  const noun = cueState(file.jam);
  const description = file.format === "jam"
    ? `${name} (a jammed state noun)`
    : `${name} (EXPJAM version ${file.version}, event ${file.eventNumber} of kernel ` +
      `${file.kernelHash.slice(0, 16)})`;
  return { noun, jam: file.jam, description };
}

/**
 * Read, check and load a state for a new data directory, writing nothing. Throws a
 * {@linkcode RuntimeError}: `BadState` (a bad container, a jam that does not cue, a load
 * arm that rejects the state), `KernelMismatch` (an `EXPJAM` of another kernel, without
 * `force`), `BadKernel`.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { prepareBootState } from "./boot_state.ts";
 * using state = Noun.from([0, 0, 0, 0, 0]);
 * const prepared = prepareBootState(Deno.readFileSync("kernels/kv.jam"), state);
 * prepared.core.dispose();
 * prepared.fresh.dispose();
 * ```
 */
export function prepareBootState(kernelJam: Uint8Array, option: StateOption): PreparedState {
  let read;
  try {
    read = readOption(option, hex(blake3(kernelJam)));
  } catch (cause) {
    if (!(cause instanceof StateFileError)) throw cause;
    const name = option instanceof Noun || option instanceof Uint8Array
      ? "the state bytes"
      : option.source ?? "the state bytes";
    throw new RuntimeError("BadState", `Cannot boot from ${name}: ${cause.message}`, { cause });
  }
  using state = read.noun;
  const fresh = bootKernelChecked(kernelJam);
  try {
    const core = loadKernel(fresh, state);
    return { kernelJam, fresh, core, stateJam: read.jam, description: read.description };
  } catch (cause) {
    fresh.dispose();
    throw new RuntimeError(
      "BadState",
      `The kernel's load arm rejected ${read.description}: ${errorText(cause)}`,
      { cause },
    );
  }
}

/**
 * Commit a prepared state as event 0 of a new data directory: the log records the kernel
 * and the state (one transaction), then the PMA holds the loaded core. Takes ownership of
 * the prepared nouns.
 */
export function commitBootState(
  context: { dataDir: string; log: EventLog; state: KernelState },
  prepared: PreparedState,
): RecoveryReport {
  const { log, state } = context;
  try {
    log.addBootKernel(prepared.kernelJam, prepared.stateJam, prepared.description);
    state.kernels.reload();
    state.kernel = state.kernels.first;
  } catch (error) {
    prepared.fresh.dispose();
    prepared.core.dispose();
    throw error;
  }
  state.kernels.adoptBooted(state.kernel, prepared.fresh);
  try {
    state.attach(Pma.open(`${context.dataDir}/pma`, { sidecar: "checkpoint" }));
    state.event = 0n;
    state.commit(prepared.core, 0n);
  } finally {
    prepared.core.dispose();
  }
  return {
    level: 0,
    name: "new",
    detail: `New data directory: kernel ${state.kernel.hashHex.slice(0, 16)} loaded ` +
      `${prepared.description} as event 0`,
    skipped: [],
    warnings: [],
    replayed: 0,
    replayMs: 0,
  };
}

/**
 * {@linkcode prepareBootState} for the data directory `dataDir`, which must be new: a
 * directory that already has an event log is refused (`BadState`) before anything is read.
 */
export function prepareNewDirectory(
  dataDir: string,
  kernelJam: Uint8Array,
  option: StateOption,
): PreparedState {
  let exists = true;
  try {
    Deno.statSync(`${dataDir}/log.sqlite`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    exists = false;
  }
  if (exists) {
    throw new RuntimeError(
      "BadState",
      `Cannot boot ${dataDir} from a state: it already has an event log. A state boots a new ` +
        `data directory; choose another --data`,
    );
  }
  return prepareBootState(kernelJam, option);
}

/** Release a prepared state that will not be committed. */
export function discardPrepared(prepared: PreparedState | null): void {
  prepared?.core.dispose();
  prepared?.fresh.dispose();
}
