/**
 * Finds libcellar for this OS and architecture, from wherever the package was imported.
 *
 * Looked for in this order, each step only when the one before found nothing:
 *
 * 1. `CELLAR_LIB`, the path of a library (read only with `--allow-env=CELLAR_LIB`);
 * 2. a local build beside a package imported from a file URL (`zig-out/lib/libcellar.so`,
 *    `.dylib` on macOS, `zig-out/bin/cellar.dll` on Windows; `deno task build` makes it);
 * 3. the per-user cache: `$DENO_DIR/cellar/`, else the OS cache directory
 *    (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%`
 *    on Windows) + `cellar/`, then `<version>/libcellar-<os>-<arch>-<sha256 prefix>.<ext>`;
 * 4. the package's own prebuilt copy, fetched relative to the module
 *    (`lib/<os>-<arch>/libcellar.<ext>`), written atomically into the cache.
 *
 * A cached or fetched library must have the sha256 and size of the package's manifest
 * (`_libs.ts`): a cached copy that does not is replaced, a fetched one that does not is
 * refused. Permissions are only queried, never prompted for: a step whose permission is
 * missing is skipped, and the error, if nothing is found, names every step in order with the
 * flag each one lacked.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { LibraryError } from "./errors.ts";

/** One packaged library: its path in the package, sha256 (hex) and size in bytes. */
export interface LibraryFile {
  path: string;
  sha256: string;
  size: number;
}

/** The packaged libraries (`_libs.ts`, written by `tools/build_libs.ts`). */
export interface LibraryManifest {
  /** The package version the libraries were built for. */
  version: string;
  /** The Zig optimize mode they were built with. */
  optimize: string;
  /** By target, `<os>-<arch>` (`linux-x86_64`, `macos-aarch64`, ...). */
  libraries: Record<string, LibraryFile>;
}

/** Where and how to look. */
export interface LibrarySearch {
  /** The package root (the directory of `mod.ts`). */
  packageUrl: URL;
  manifest: LibraryManifest;
  /** `<os>-<arch>` (default: this host's). */
  target?: string;
}

/** A library found and opened by {@linkcode locateLibrary}. */
export interface LocatedLibrary<L> {
  library: L;
  /** The file opened. */
  path: string;
  /** Which step found it. */
  source: "CELLAR_LIB" | "local build" | "cache" | "fetched";
}

/**
 * This host's target, `<os>-<arch>`, as the package names them.
 *
 * @example
 * ```ts
 * import { hostTarget } from "./library.ts";
 * console.log(hostTarget()); // e.g. linux-x86_64
 * ```
 */
export function hostTarget(): string {
  const os = Deno.build.os === "darwin" ? "macos" : Deno.build.os;
  return `${os}-${Deno.build.arch}`;
}

/** What the search tried, line by line, for the error if it finds nothing. */
class Trace {
  readonly lines: string[] = [];
  constructor(readonly target: string) {}

  add(line: string): void {
    this.lines.push(line);
  }

  error(last?: string, cause?: unknown): LibraryError {
    const lines = last === undefined ? this.lines : [...this.lines, last];
    const list = lines.map((line, i) => `  ${i + 1}. ${line}`).join("\n");
    return new LibraryError(
      `Cannot load the Cellar library for ${this.target}: tried, in order:\n${list}`,
      { cause },
    );
  }
}

/** Thrown by an `open` callback to refuse a library that did open (a wrong ABI version). */
function isRefusal(error: unknown): boolean {
  return error instanceof LibraryError;
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The variable's value, or undefined when it is unset or not readable (noted in `missing`). */
function readEnv(name: string, missing: string[]): string | undefined {
  if (!granted({ name: "env", variable: name })) {
    missing.push(name);
    return undefined;
  }
  const value = Deno.env.get(name);
  return value === undefined || value.length === 0 ? undefined : value;
}

/** Deno's dlopen messages repeat their prefix; keep one. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(Could not open library: )+/, "");
}

function filePath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.replace(/^\/([A-Za-z]:)/, "$1") : path;
}

function extension(target: string): string {
  if (target.startsWith("macos-")) return "dylib";
  return target.startsWith("windows-") ? "dll" : "so";
}

type Open<L> = (path: string) => L;

/** Open `path` or throw the trace's error: a refusal (`LibraryError`) passes through. */
function openOrThrow<L>(open: Open<L>, path: string, what: string, trace: Trace): L {
  if (!granted({ name: "ffi", path })) {
    throw trace.error(`${what}: not opened (that needs --allow-ffi=${path})`);
  }
  try {
    return open(path);
  } catch (error) {
    if (isRefusal(error)) throw error;
    // No `cause`: Deno's message says the same, with its prefix twice.
    throw trace.error(`${what}: ${reasonOf(error)}`);
  }
}

function fromEnvironment<L>(open: Open<L>, trace: Trace): LocatedLibrary<L> | undefined {
  if (!granted({ name: "env", variable: "CELLAR_LIB" })) {
    trace.add("CELLAR_LIB: not read (that needs --allow-env=CELLAR_LIB)");
    return undefined;
  }
  const path = Deno.env.get("CELLAR_LIB");
  if (path === undefined || path.length === 0) {
    trace.add("CELLAR_LIB: not set");
    return undefined;
  }
  const library = openOrThrow(open, path, `CELLAR_LIB=${path}`, trace);
  return { library, path, source: "CELLAR_LIB" };
}

/** The build output beside a package imported from a file URL. */
export function localBuildUrl(packageUrl: URL, target: string = hostTarget()): URL {
  const relative = target.startsWith("windows-")
    ? "zig-out/bin/cellar.dll"
    : `zig-out/lib/libcellar.${extension(target)}`;
  return new URL(relative, packageUrl);
}

function fromLocalBuild<L>(
  packageUrl: URL,
  open: Open<L>,
  trace: Trace,
): LocatedLibrary<L> | undefined {
  if (packageUrl.protocol !== "file:") {
    trace.add(`local build: none (the package was imported from ${packageUrl.origin})`);
    return undefined;
  }
  const path = filePath(localBuildUrl(packageUrl));
  const absent = `local build ${path}: absent (\`deno task build\` makes it)`;
  if (granted({ name: "read", path })) {
    try {
      Deno.statSync(path);
    } catch {
      trace.add(absent);
      return undefined;
    }
  }
  if (!granted({ name: "ffi", path })) {
    trace.add(`local build ${path}: not opened (that needs --allow-ffi=${path})`);
    return undefined;
  }
  try {
    return { library: open(path), path, source: "local build" };
  } catch (error) {
    if (isRefusal(error)) throw error;
    const reason = reasonOf(error);
    trace.add(
      /no such file|not found|cannot find/i.test(reason)
        ? absent
        : `local build ${path}: ${reason}`,
    );
    return undefined;
  }
}

/** The per-user cache directory for Cellar, or undefined (names not readable go in `missing`). */
export function cacheDirectory(missing: string[] = []): string | undefined {
  const denoDir = readEnv("DENO_DIR", missing);
  if (denoDir !== undefined) return `${denoDir}/cellar`;
  if (Deno.build.os === "windows") {
    const local = readEnv("LOCALAPPDATA", missing);
    return local === undefined ? undefined : `${local}/cellar`;
  }
  const home = readEnv("HOME", missing);
  if (Deno.build.os === "darwin") {
    return home === undefined ? undefined : `${home}/Library/Caches/cellar`;
  }
  const xdg = readEnv("XDG_CACHE_HOME", missing);
  if (xdg !== undefined) return `${xdg}/cellar`;
  return home === undefined ? undefined : `${home}/.cache/cellar`;
}

/** Why `bytes` is not the manifest's `entry`, or undefined when it is. */
function mismatch(bytes: Uint8Array, entry: LibraryFile): string | undefined {
  if (bytes.length !== entry.size) {
    return `its size is ${bytes.length} bytes where the package's manifest says ${entry.size}`;
  }
  const hex = createHash("sha256").update(bytes).digest("hex");
  if (hex !== entry.sha256) {
    return `its sha256 is ${hex} where the package's manifest says ${entry.sha256}`;
  }
  return undefined;
}

/** Where a search keeps the library in the cache. */
interface CacheSlot {
  root: string;
  dir: string;
  file: string;
  entry: LibraryFile;
}

function fromCache<L>(
  slot: CacheSlot,
  open: Open<L>,
  trace: Trace,
): LocatedLibrary<L> | undefined {
  const what = `cache ${slot.file}`;
  if (!granted({ name: "read", path: slot.file })) {
    trace.add(`${what}: not read (that needs --allow-read=${slot.root})`);
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(slot.file);
  } catch (error) {
    trace.add(
      error instanceof Deno.errors.NotFound ? `${what}: absent` : `${what}: ${reasonOf(error)}`,
    );
    return undefined;
  }
  const problem = mismatch(bytes, slot.entry);
  if (problem !== undefined) {
    trace.add(`${what}: refused, ${problem} (fetching it again)`);
    return undefined;
  }
  return { library: openOrThrow(open, slot.file, what, trace), path: slot.file, source: "cache" };
}

/** The flags a fetch into `slot` needs that are not granted (empty when it may go ahead). */
function fetchFlagsMissing(url: URL, slot: CacheSlot): string[] {
  const missing: string[] = [];
  if (url.protocol === "file:") {
    const path = filePath(url);
    if (!granted({ name: "read", path })) missing.push(`--allow-read=${path}`);
  } else if (!granted({ name: "net", host: url.host })) {
    missing.push(`--allow-net=${url.host}`);
  }
  const root = slot.root;
  if (!granted({ name: "read", path: slot.dir })) missing.push(`--allow-read=${root}`);
  if (!granted({ name: "write", path: slot.dir })) missing.push(`--allow-write=${root}`);
  if (!granted({ name: "ffi", path: slot.file })) missing.push(`--allow-ffi=${root}`);
  return missing;
}

async function download(url: URL, trace: Trace, what: string): Promise<Uint8Array> {
  try {
    const response = await fetch(url);
    if (!response.ok) {
      await response.body?.cancel();
      throw trace.error(`${what}: HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof LibraryError) throw error;
    throw trace.error(`${what}: ${reasonOf(error)}`, error);
  }
}

/** Write `bytes` to `file` through a temporary file and a rename. */
async function writeAtomically(file: string, bytes: Uint8Array, trace: Trace, what: string) {
  const dir = file.slice(0, file.lastIndexOf("/"));
  const temporary = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(temporary, bytes, { mode: 0o755 });
    await Deno.rename(temporary, file);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw trace.error(`${what}: cannot write it into the cache: ${reasonOf(error)}`, error);
  }
}

async function fetchIntoCache<L>(
  url: URL,
  slot: CacheSlot,
  open: Open<L>,
  trace: Trace,
): Promise<LocatedLibrary<L>> {
  const what = `fetch ${url.href}`;
  if (!["file:", "http:", "https:"].includes(url.protocol)) {
    throw trace.error(`${what}: cannot fetch from a ${url.protocol} URL`);
  }
  const missing = fetchFlagsMissing(url, slot);
  if (missing.length > 0) {
    throw trace.error(`${what}: not tried (that needs ${missing.join(" ")})`);
  }
  const bytes = await download(url, trace, what);
  const problem = mismatch(bytes, slot.entry);
  if (problem !== undefined) {
    throw trace.error(
      `${what}: refused, ${problem} (a damaged download, or a package whose libraries ` +
        "do not match its manifest)",
    );
  }
  await writeAtomically(slot.file, bytes, trace, what);
  const library = openOrThrow(open, slot.file, `${what} into ${slot.file}`, trace);
  return { library, path: slot.file, source: "fetched" };
}

/** What the synchronous part of a search ends with: a library, or the fetch still to do. */
export type SearchStep<L> =
  | { found: LocatedLibrary<L> }
  | { fetch: () => Promise<LocatedLibrary<L>> };

/**
 * The steps of the search that need no network, done synchronously (no await, so a Worker
 * importing the package gets no chance to miss a message meanwhile): a library found by
 * `CELLAR_LIB`, a local build or the cache, or else the fetch that remains. `open` may
 * refuse an opened library by throwing a `LibraryError` (a wrong ABI version): that error is
 * passed on as it is. Throws a `LibraryError` naming every step tried.
 *
 * @example
 * ```ts ignore
 * import { searchLibrary } from "./library.ts";
 * import { manifest } from "./_libs.ts";
 * const step = searchLibrary(
 *   { packageUrl: new URL("../../", import.meta.url), manifest },
 *   (path) => Deno.dlopen(path, {}),
 * );
 * const found = "found" in step ? step.found : await step.fetch();
 * console.log(found.source, found.path);
 * ```
 */
export function searchLibrary<L>(search: LibrarySearch, open: Open<L>): SearchStep<L> {
  const target = search.target ?? hostTarget();
  const trace = new Trace(target);
  const fromEnv = fromEnvironment(open, trace);
  if (fromEnv !== undefined) return { found: fromEnv };
  const local = fromLocalBuild(search.packageUrl, open, trace);
  if (local !== undefined) return { found: local };
  const entry = search.manifest.libraries[target];
  if (entry === undefined) {
    const known = Object.keys(search.manifest.libraries).join(", ") || "none";
    throw trace.error(`packaged library: none for ${target} (the package has: ${known})`);
  }
  const missing: string[] = [];
  const root = cacheDirectory(missing);
  if (root === undefined) {
    const flags = missing.map((name) => `--allow-env=${name}`).join(", ");
    throw trace.error(`cache: no cache directory (finding it needs one of ${flags})`);
  }
  const dir = `${root}/${search.manifest.version}`;
  const name = `libcellar-${target}-${entry.sha256.slice(0, 16)}.${extension(target)}`;
  const slot: CacheSlot = { root, dir, file: `${dir}/${name}`, entry };
  const cached = fromCache(slot, open, trace);
  if (cached !== undefined) return { found: cached };
  const url = new URL(entry.path, search.packageUrl);
  return { fetch: () => fetchIntoCache(url, slot, open, trace) };
}

/**
 * The whole search ({@linkcode searchLibrary}, then the fetch if it comes to that).
 *
 * @example
 * ```ts ignore
 * import { locateLibrary } from "./library.ts";
 * import { manifest } from "./_libs.ts";
 * const found = await locateLibrary(
 *   { packageUrl: new URL("../../", import.meta.url), manifest },
 *   (path) => Deno.dlopen(path, {}),
 * );
 * console.log(found.source, found.path);
 * ```
 */
export async function locateLibrary<L>(
  search: LibrarySearch,
  open: Open<L>,
): Promise<LocatedLibrary<L>> {
  const step = searchLibrary(search, open);
  return "found" in step ? step.found : await step.fetch();
}
