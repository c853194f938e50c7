/**
 * The default kernel's jam, `kernels/kv.jam` (the committed standalone build of
 * `kernels/kv.hoon`; see docs/KERNELS.md), wherever the package was imported from: read
 * from the file beside a package imported from a file URL, else taken from the copy embedded
 * in `_default_kernel.ts` (4.5 KB), so that a package imported over the network needs no
 * fetch and no permission for it, and never reads a file path derived from a remote URL.
 *
 * @module
 */

import { RuntimeError } from "./runtime_error.ts";
import { defaultKernelBase64 } from "./_default_kernel.ts";

const kernelUrl = new URL("../../kernels/kv.jam", import.meta.url);

/**
 * `bytes` in base64, cut into lines of `width` characters.
 *
 * @example
 * ```ts
 * import { encodeBase64Lines } from "./default_kernel.ts";
 * console.log(encodeBase64Lines(new Uint8Array([1, 2, 3, 4]), 4)); // [ "AQID", "BA==" ]
 * ```
 */
export function encodeBase64Lines(bytes: Uint8Array, width: number): string[] {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const text = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}

function decodeBase64Lines(lines: readonly string[]): Uint8Array {
  const binary = atob(lines.join(""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

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
 * The default kernel's jam (a fresh copy each call): `kernels/kv.jam` beside a package
 * imported from a file URL (which needs `--allow-read` for it), else the embedded copy.
 * Throws {@linkcode RuntimeError} (`BadKernel`) when the file cannot be read.
 *
 * @example
 * ```ts
 * import { defaultKernel } from "@cellar/cellar";
 * console.log(defaultKernel().length > 0); // true
 * ```
 */
export function defaultKernel(): Uint8Array {
  if (kernelUrl.protocol === "file:") return readLocal();
  return decodeBase64Lines(defaultKernelBase64);
}

/**
 * {@linkcode defaultKernel}, as a promise (for code that does not know where the package
 * comes from and would rather not block).
 *
 * @example
 * ```ts
 * import { loadDefaultKernel } from "@cellar/cellar";
 * const jam = await loadDefaultKernel();
 * console.log(jam.length > 0); // true
 * ```
 */
export function loadDefaultKernel(): Promise<Uint8Array> {
  try {
    return Promise.resolve(defaultKernel());
  } catch (error) {
    return Promise.reject(error);
  }
}
