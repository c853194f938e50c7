/**
 * State files: a kernel state (the noun at axis 6 of a kernel core) as a plain jam, or in
 * NockApp's exported-state container. The container is bincode with variable-length
 * integers, in this order:
 *
 * ```
 * magic     u64 varint   the cord 'EXPJAM' (0x4d414a505845): the byte 253, then 8 bytes LE
 * version   u32 varint   0
 * kernel    32 bytes     blake3 of the jam of the kernel that made the state
 * event     u64 varint   the event number the state stands at
 * state     u64 varint length, then that many bytes: the jam of the state
 * ```
 *
 * A varint is one byte below 251, else a marker (251, 252, 253 for 2, 4, 8 bytes) and the
 * value little-endian. Nothing may follow the state. NockApp's checkpoint files start with
 * the magic 'CHKJAM' instead and are not states.
 *
 * @module
 */

import { CellarError } from "../core/errors.ts";
import { Noun } from "../core/noun.ts";
import { hex } from "./files.ts";

/** The cord `EXPJAM` as an atom. */
const expjamMagic = 0x4d414a505845n;
/** The cord `CHKJAM` (NockApp's checkpoints). */
const chkjamMagic = 0x4d414a4b4843n;
/** The exported-state versions this code reads and writes. */
const expjamVersion = 0;

/**
 * A state file that cannot be used: a bad container or a jam that does not cue.
 *
 * @example
 * ```ts
 * import { StateFileError } from "./state_file.ts";
 * console.log(new StateFileError("truncated").name); // StateFileError
 * ```
 */
export class StateFileError extends CellarError {
  /** @param message What is wrong with the file */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StateFileError";
  }
}

/** A state file, read. */
export type StateFile =
  | { format: "jam"; jam: Uint8Array }
  | {
    format: "expjam";
    version: number;
    /** blake3 of the kernel jam that made the state, hex. */
    kernelHash: string;
    /** The event the state stands at (in the log it came from). */
    eventNumber: bigint;
    jam: Uint8Array;
  };

/** Reads the container's fields in order, naming the field a problem is in. */
class Reader {
  #offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  take(field: string, length: number): Uint8Array {
    const left = this.bytes.length - this.#offset;
    if (length > left) {
      throw new StateFileError(
        `the container is truncated: its ${field} needs ${length} bytes, ${left} remain`,
      );
    }
    const out = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  varint(field: string): bigint {
    const marker = this.take(field, 1)[0];
    if (marker < 251) return BigInt(marker);
    if (marker > 253) {
      throw new StateFileError(`its ${field} has a varint marker ${marker} (not a u64)`);
    }
    const bytes = this.take(field, marker === 251 ? 2 : marker === 252 ? 4 : 8);
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }

  finish(): void {
    const left = this.bytes.length - this.#offset;
    if (left > 0) throw new StateFileError(`the container has ${left} bytes after the state`);
  }
}

/** The magic at the start of `bytes` (a u64 varint), or null when it is not one. */
function magicOf(bytes: Uint8Array): bigint | null {
  if (bytes.length < 9 || bytes[0] !== 253) return null;
  let value = 0n;
  for (let i = 8; i >= 1; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/**
 * Read a state file: an `EXPJAM` container when it starts with that magic, else a plain
 * jam. The jam is not cued here (see {@linkcode cueState}). Throws
 * {@linkcode StateFileError} for a container that is truncated, of another version or
 * followed by bytes, and for a NockApp checkpoint.
 *
 * @example
 * ```ts
 * import { encodeExportedState, readStateFile } from "./state_file.ts";
 * const bytes = encodeExportedState({ kernelHash: "00".repeat(32), eventNumber: 7n, jam: new Uint8Array([0x31, 0x12]) });
 * console.log(readStateFile(bytes).format); // expjam
 * ```
 */
export function readStateFile(bytes: Uint8Array): StateFile {
  const magic = magicOf(bytes);
  if (magic === chkjamMagic) {
    throw new StateFileError(
      "it is a NockApp checkpoint (magic CHKJAM), not an exported state (EXPJAM) or a jam",
    );
  }
  if (magic !== expjamMagic) return { format: "jam", jam: bytes };
  const reader = new Reader(bytes);
  reader.varint("magic");
  const version = reader.varint("version");
  if (version !== BigInt(expjamVersion)) {
    throw new StateFileError(
      `it is an EXPJAM container of version ${version}; this Cellar reads version ${expjamVersion}`,
    );
  }
  const kernelHash = hex(reader.take("kernel hash", 32));
  const eventNumber = reader.varint("event number");
  const length = reader.varint("state length");
  if (length > BigInt(bytes.length)) {
    throw new StateFileError(
      `the container is truncated: its state declares ${length} bytes, the file has ${bytes.length}`,
    );
  }
  const jam = reader.take("state", Number(length)).slice();
  reader.finish();
  return { format: "expjam", version: expjamVersion, kernelHash, eventNumber, jam };
}

/**
 * The `EXPJAM` container of a state jam (the inverse of {@linkcode readStateFile}).
 *
 * @example
 * ```ts
 * import { encodeExportedState } from "./state_file.ts";
 * const bytes = encodeExportedState({ kernelHash: "ab".repeat(32), eventNumber: 300n, jam: new Uint8Array([1]) });
 * console.log(bytes[0], bytes.length); // 253 47
 * ```
 */
export function encodeExportedState(
  state: { kernelHash: string; eventNumber: bigint; jam: Uint8Array },
): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(state.kernelHash)) {
    throw new StateFileError("The kernel hash must be 64 hex digits");
  }
  const parts: number[] = [];
  const varint = (value: bigint) => {
    if (value < 251n) return parts.push(Number(value));
    const size = value < 1n << 16n ? 2 : value < 1n << 32n ? 4 : 8;
    parts.push(size === 2 ? 251 : size === 4 ? 252 : 253);
    for (let i = 0; i < size; i++) parts.push(Number((value >> BigInt(8 * i)) & 0xffn));
  };
  varint(expjamMagic);
  varint(BigInt(expjamVersion));
  for (let i = 0; i < 64; i += 2) parts.push(parseInt(state.kernelHash.slice(i, i + 2), 16));
  varint(state.eventNumber);
  varint(BigInt(state.jam.length));
  const out = new Uint8Array(parts.length + state.jam.length);
  out.set(parts);
  out.set(state.jam, parts.length);
  return out;
}

/**
 * The state noun of a state file's jam; a {@linkcode StateFileError} when it does not cue.
 *
 * @example
 * ```ts
 * import { cueState } from "./state_file.ts";
 * using state = cueState(new Uint8Array([0x31, 0x12]));
 * console.log(state.toString()); // [1 2]
 * ```
 */
export function cueState(jam: Uint8Array): Noun {
  if (jam.length === 0) throw new StateFileError("the state jam is empty");
  try {
    return Noun.cue(jam);
  } catch (cause) {
    throw new StateFileError(
      `the state jam does not cue: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
  }
}
