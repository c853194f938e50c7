/**
 * Loads the native library (libcellar) and exposes its C ABI.
 *
 * The library is located when this module is first imported (`library.ts`: `CELLAR_LIB`,
 * a local build, the per-user cache, then the package's prebuilt copy fetched beside the
 * module and checked against its sha256). Only that fetch is awaited (top-level await);
 * the other steps run synchronously. A failure is kept and thrown by the first call that
 * needs the library, so importing never fails and never prompts for a permission.
 * Only u32/i32/f64 values and buffers cross the boundary, so every call takes Deno's fast
 * path and no pointer views (which need unscoped `--allow-ffi`) are used.
 *
 * @module
 */

import { errorCode, errorFromCode, LibraryError } from "./errors.ts";
import type { CellarError } from "./errors.ts";
import { localBuildUrl, searchLibrary } from "./library.ts";
import type { LocatedLibrary } from "./library.ts";
import { manifest } from "./_libs.ts";

/** The ABI version this host speaks; the library must report the same. */
export const abiVersion = 6;

/** The C functions of libcellar and their Deno FFI types. */
export const symbolTypes = {
  cellar_abi_version: { parameters: [], result: "u32" },
  cellar_configure: { parameters: ["u32"], result: "i32" },
  cellar_machine_id: { parameters: [], result: "u32" },
  cellar_interrupt: { parameters: ["u32"], result: "i32" },
  cellar_error_kind: { parameters: [], result: "u32" },
  cellar_error_message: { parameters: ["buffer", "u32"], result: "u32" },
  cellar_error_trace: { parameters: [], result: "u32" },
  cellar_release: { parameters: ["u32"], result: "i32" },
  cellar_dup: { parameters: ["u32"], result: "u32" },
  cellar_handle_count: { parameters: [], result: "u32" },
  cellar_atom_from_f64: { parameters: ["f64"], result: "u32" },
  cellar_atom_from_bytes: { parameters: ["buffer", "f64"], result: "u32" },
  cellar_cell: { parameters: ["u32", "u32"], result: "u32" },
  cellar_tuple: { parameters: ["buffer", "u32"], result: "u32" },
  cellar_is_cell: { parameters: ["u32"], result: "i32" },
  cellar_head: { parameters: ["u32"], result: "u32" },
  cellar_tail: { parameters: ["u32"], result: "u32" },
  cellar_at: { parameters: ["u32", "buffer", "f64"], result: "u32" },
  cellar_atom_byte_length: { parameters: ["u32"], result: "f64" },
  cellar_atom_read: { parameters: ["u32", "buffer", "f64"], result: "f64" },
  cellar_atom_to_f64: { parameters: ["u32"], result: "f64" },
  cellar_mug: { parameters: ["u32"], result: "i32" },
  cellar_equals: { parameters: ["u32", "u32"], result: "i32" },
  cellar_jam: { parameters: ["u32"], result: "f64" },
  cellar_take_output: { parameters: ["buffer", "f64"], result: "f64" },
  cellar_cue: { parameters: ["buffer", "f64"], result: "u32" },
  cellar_nock: { parameters: ["u32", "u32", "f64", "f64"], result: "u32" },
  cellar_steps: { parameters: [], result: "f64" },
  cellar_slogs: { parameters: [], result: "u32" },
  cellar_collect: { parameters: [], result: "i32" },
  cellar_stats: { parameters: ["buffer", "f64"], result: "i32" },
  cellar_error_name: { parameters: ["buffer", "u32"], result: "u32" },
  cellar_pma_open: {
    parameters: ["buffer", "u32", "u32", "u32", "f64", "f64"],
    result: "i32",
  },
  cellar_pma_close: { parameters: [], result: "i32" },
  cellar_pma_commit: { parameters: ["u32", "buffer", "u32"], result: "u32" },
  cellar_pma_root: { parameters: [], result: "u32" },
  cellar_pma_info: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_pma_gc: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_pma_refresh: { parameters: [], result: "i32" },
  cellar_pma_verify: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_pma_write_sidecar: { parameters: [], result: "i32" },
  cellar_pma_report: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_pma_scrub: { parameters: ["f64", "buffer", "u32"], result: "i32" },
  cellar_pma_check: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_pma_recompute_mug: { parameters: ["u32", "buffer", "u32"], result: "i32" },
  cellar_pma_set_data_checksums: { parameters: ["u32"], result: "i32" },
  cellar_jets_export: { parameters: [], result: "u32" },
  cellar_jets_import: { parameters: ["u32"], result: "i32" },
  cellar_jets_add: { parameters: ["buffer", "f64"], result: "i32" },
  cellar_jets_table: { parameters: ["u32"], result: "f64" },
  cellar_pma_snapshot: { parameters: ["buffer", "u32", "buffer", "u32"], result: "i32" },
  cellar_blake3_file: { parameters: ["buffer", "u32", "buffer", "u32"], result: "f64" },
  cellar_blake3: { parameters: ["buffer", "u32", "buffer", "u32"], result: "i32" },
  cellar_progress_hook: { parameters: ["function"], result: "void" },
  cellar_progress_latest: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_install_copy: { parameters: ["buffer", "u32", "buffer", "u32"], result: "i32" },
  cellar_sync_dir: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_lock: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_unlock: { parameters: ["i32"], result: "void" },
  cellar_jet_check: { parameters: ["u32"], result: "i32" },
  cellar_jet_profile: { parameters: ["u32"], result: "i32" },
  cellar_jet_stats: { parameters: ["buffer", "u32"], result: "i32" },
  cellar_jet_limits: { parameters: ["f64", "f64"], result: "i32" },
  cellar_jet_report: { parameters: [], result: "f64" },
  cellar_jet_folded: { parameters: [], result: "f64" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound C functions. */
export type Symbols = Deno.DynamicLibrary<typeof symbolTypes>["symbols"];

type Library = Deno.DynamicLibrary<typeof symbolTypes>;

/** Open `path` and check its ABI version (a mismatch is a `LibraryError`: a refusal). */
function openLibrary(path: string): Library {
  const library = Deno.dlopen(path, symbolTypes);
  const version = library.symbols.cellar_abi_version();
  if (version !== abiVersion) {
    library.close();
    throw new LibraryError(
      `Cannot use the Cellar library at ${path}: its ABI version is ${version}, this host needs ` +
        `${abiVersion} (rebuild it with \`deno task build\`, or point CELLAR_LIB at a matching build)`,
    );
  }
  return library;
}

const packageUrl = new URL("../../", import.meta.url);

function asError(error: unknown): Error {
  return error instanceof Error ? error : new LibraryError(String(error));
}

/** The library, or why there is none. Only a fetch is awaited: without one, locating and
 * opening run synchronously, so a Worker importing this loses none of its early messages. */
function locate(): LocatedLibrary<Library> | Error | Promise<LocatedLibrary<Library> | Error> {
  try {
    const step = searchLibrary({ packageUrl, manifest }, openLibrary);
    return "found" in step ? step.found : step.fetch().catch(asError);
  } catch (error) {
    return asError(error);
  }
}

const pending = locate();
const located: LocatedLibrary<Library> | Error = pending instanceof Promise
  ? await pending
  : pending;

/**
 * The library's functions. The library was located and opened when this module was
 * imported; if that failed, this throws the `LibraryError` saying what was tried.
 *
 * @example
 * ```ts
 * import { symbols } from "./ffi.ts";
 * console.log(symbols().cellar_handle_count());
 * ```
 */
export function symbols(): Symbols {
  if (located instanceof Error) throw located;
  return located.library.symbols;
}

/**
 * The library in use (its path, and which step of the search found it), or the
 * `LibraryError` that says why none could be loaded.
 *
 * @example
 * ```ts
 * import { libraryStatus } from "./ffi.ts";
 * const status = libraryStatus();
 * console.log(status instanceof Error ? status.message : `${status.source}: ${status.path}`);
 * ```
 */
export function libraryStatus():
  | { path: string; source: LocatedLibrary<unknown>["source"] }
  | Error {
  return located instanceof Error ? located : { path: located.path, source: located.source };
}

/**
 * The path of the library in use; when none could be loaded, the local build's path
 * (`zig-out/lib/libcellar.so` beside this package).
 *
 * @example
 * ```ts
 * import { libraryLocation } from "./ffi.ts";
 * console.log(libraryLocation());
 * ```
 */
export function libraryLocation(): string | URL {
  if (!(located instanceof Error)) return located.path;
  return localBuildUrl(packageUrl);
}

const messageBuffer = new Uint8Array(1024);
const decoder = new TextDecoder();

/**
 * The message of the last native failure on this thread.
 *
 * @example
 * ```ts
 * import { lastErrorMessage } from "./ffi.ts";
 * console.log(lastErrorMessage());
 * ```
 */
export function lastErrorMessage(): string {
  const length = symbols().cellar_error_message(messageBuffer, messageBuffer.length);
  return decoder.decode(messageBuffer.subarray(0, Math.min(length, messageBuffer.length)));
}

/**
 * The name of the last native failure on this thread: the core's error name for a PMA
 * failure (`"MetaChecksum"`, `"Locked"`, ...), else the kind (`"bad_handle"`, ...).
 *
 * @example
 * ```ts
 * import { lastErrorName } from "./ffi.ts";
 * console.log(lastErrorName());
 * ```
 */
export function lastErrorName(): string {
  const length = symbols().cellar_error_name(messageBuffer, messageBuffer.length);
  return decoder.decode(messageBuffer.subarray(0, Math.min(length, messageBuffer.length)));
}

/**
 * The error describing the last native failure on this thread (kind and message).
 *
 * @example
 * ```ts
 * import { lastError, symbols } from "./ffi.ts";
 * if (symbols().cellar_head(0) === 0) console.log(lastError().message);
 * ```
 */
export function lastError(): CellarError {
  const kind = symbols().cellar_error_kind();
  return errorFromCode(kind, lastErrorMessage(), kind === errorCode.pma ? lastErrorName() : "");
}

/**
 * Check a handle result: returns it, or throws the last error when it is 0.
 *
 * @example
 * ```ts
 * import { checked, symbols } from "./ffi.ts";
 * const h = checked(symbols().cellar_atom_from_f64(1));
 * symbols().cellar_release(h);
 * ```
 */
export function checked(handle: number): number {
  if (handle === 0) throw lastError();
  return handle;
}
