/**
 * The default kernel's jam, `kernels/kv.jam` (the committed standalone build of
 * `kernels/kv.hoon`; see docs/KERNELS.md), read from wherever the package was imported:
 * from the file beside a package imported from a file URL, else fetched beside the module
 * (never through a file path derived from a remote URL).
 *
 * A package imported over http(s) fetches the jam (4.5 KB) when this module is first
 * imported, so that {@linkcode defaultKernel} can answer synchronously; a failure then is
 * kept and thrown by `defaultKernel`, with the permission flag it lacked.
 *
 * @module
 */

import { RuntimeError } from "./runtime_error.ts";

const kernelUrl = new URL("../../kernels/kv.jam", import.meta.url);

/** The fetch in flight or done (reset after a failure, so a later call tries again). */
let loading: Promise<Uint8Array> | undefined;

function kernelError(why: string, cause?: unknown): RuntimeError {
  return new RuntimeError("BadKernel", `Cannot read the default kernel ${kernelUrl.href}: ${why}`, {
    cause,
  });
}

/** The permission a read of `url` needs, as a descriptor and as its flag. */
function permissionFor(url: URL): [Deno.PermissionDescriptor, string] | undefined {
  if (url.protocol === "file:") {
    const path = decodeURIComponent(url.pathname);
    return [{ name: "read", path }, `--allow-read=${path}`];
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    return [{ name: "net", host: url.host }, `--allow-net=${url.host}`];
  }
  return undefined;
}

async function fetchKernel(): Promise<Uint8Array> {
  const permission = permissionFor(kernelUrl);
  if (permission === undefined) throw kernelError(`cannot fetch from a ${kernelUrl.protocol} URL`);
  const [descriptor, flag] = permission;
  if (Deno.permissions.querySync(descriptor).state !== "granted") {
    throw kernelError(`that needs ${flag}`);
  }
  let response: Response;
  try {
    response = await fetch(kernelUrl);
  } catch (cause) {
    throw kernelError(cause instanceof Error ? cause.message : String(cause), cause);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw kernelError(`HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The default kernel's jam, from any URL the package was imported from: `file:` (with
 * `--allow-read` for it) or `http(s):` (with `--allow-net` for the host). Each call gives
 * a fresh copy (a caller may transfer its buffer to a Worker).
 *
 * @example
 * ```ts
 * import { loadDefaultKernel } from "@cellar/cellar";
 * const jam = await loadDefaultKernel();
 * console.log(jam.length > 0); // true
 * ```
 */
export function loadDefaultKernel(): Promise<Uint8Array> {
  loading ??= fetchKernel();
  const current = loading;
  current.catch(() => {
    if (loading === current) loading = undefined;
  });
  return current.then((jam) => jam.slice());
}

/** Fetched at import for a package imported over the network; else undefined. */
const preloaded: Uint8Array | Error | undefined = kernelUrl.protocol === "file:"
  ? undefined
  : await loadDefaultKernel().catch((error: unknown) =>
    error instanceof Error ? error : kernelError(String(error))
  );

function readLocal(): Uint8Array {
  try {
    return Deno.readFileSync(kernelUrl);
  } catch (cause) {
    const path = decodeURIComponent(kernelUrl.pathname);
    const why = cause instanceof Deno.errors.NotFound
      ? "it is missing from this checkout (it is committed: git checkout kernels/kv.jam " +
        "restores it), or pass a kernel jam of your own"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    throw new RuntimeError("BadKernel", `Cannot read the default kernel ${path}: ${why}`, {
      cause,
    });
  }
}

/**
 * The default kernel's jam, synchronously: read from the file beside a package imported
 * from a file URL, else the copy fetched when the package was imported (a fresh copy each
 * call). Throws {@linkcode RuntimeError} (`BadKernel`) when it could not be read.
 *
 * @example
 * ```ts
 * import { defaultKernel } from "@cellar/cellar";
 * console.log(defaultKernel().length > 0); // true
 * ```
 */
export function defaultKernel(): Uint8Array {
  if (preloaded === undefined) return readLocal();
  if (preloaded instanceof Error) throw preloaded;
  return preloaded.slice();
}
