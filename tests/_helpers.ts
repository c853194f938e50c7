/**
 * Shared helpers of the deno tests: the default kernel, the optional shared corpus (foreign
 * material: `CELLAR_CORPUS` or `../shared/corpus`), jam vectors, hand-built jam
 * streams for deep nouns, and running the CLI in a subprocess with scoped permissions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Noun } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { libraryLocation } from "../src/core/ffi.ts";

/** Deep, strict equality (node:assert's deepStrictEqual). */
export const assertEquals: <T>(
  actual: unknown,
  expected: T,
  message?: string,
) => asserts actual is T = assert.deepStrictEqual;

/** Check that `fn` throws an instance of `ErrorClass` (whose message contains `includes`) and return it. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    assert(error instanceof ErrorClass, `Expected ${ErrorClass.name}, got ${error}`);
    if (includes !== undefined) {
      assert(error.message.includes(includes), `Unexpected message: ${error.message}`);
    }
    return error;
  }
  throw new assert.AssertionError({ message: `Expected ${ErrorClass.name} to be thrown` });
}

/**
 * The shared test corpus: the folder `$CELLAR_CORPUS` names, else `../shared/corpus` beside
 * the checkout. It is foreign material, absent on a fresh clone; `CELLAR_CORPUS=/nonexistent`
 * runs the suite as a fresh clone does.
 */
export const corpusUrl: URL = corpusLocation();

function corpusLocation(): URL {
  let named: string | undefined;
  try {
    named = Deno.env.get("CELLAR_CORPUS");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
  if (named === undefined || named === "") {
    return new URL("../../shared/corpus/", import.meta.url);
  }
  return pathToFileURL(resolve(named) + "/");
}

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * The default kernel, committed: kernels/kv.jam, built from kernels/kv.hoon (standalone, see
 * docs/KERNELS.md). `tests/kernel_build_test.ts` checks that it is exactly that build.
 */
export const defaultKernelUrl = new URL("../kernels/kv.jam", import.meta.url);

/** Whether kernels/kv.jam is present: always in a checkout, since it is committed. */
export const hasDefaultKernel: boolean = exists(defaultKernelUrl);

/**
 * `Deno.test` for a test that runs the default kernel. It never skips: the kernel is part of
 * the repository, so a checkout without it fails these tests, saying so.
 */
export function kernelTest(definition: Deno.TestDefinition): void;
export function kernelTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void;
export function kernelTest(
  a: string | Deno.TestDefinition,
  fn?: (t: Deno.TestContext) => void | Promise<void>,
): void {
  const definition = typeof a === "string" ? { name: a, fn: fn! } : a;
  const run = definition.fn;
  Deno.test({
    ...definition,
    fn(t) {
      if (!exists(defaultKernelUrl)) {
        throw new Error(
          `The default kernel is missing: ${defaultKernelUrl.pathname} is committed ` +
            "(git checkout kernels/kv.jam restores it)",
        );
      }
      return run(t);
    },
  });
}

/** Whether the corpus is present. Tests that need it use `ignore: !hasCorpus`. */
export const hasCorpus: boolean = exists(corpusUrl);

if (!hasCorpus) {
  console.warn(
    `Skipping corpus tests: ${corpusUrl.pathname} is absent (it is not part of the project; ` +
      "CELLAR_CORPUS names another folder)",
  );
}

/** Bytes of a corpus file, by path relative to the corpus folder. */
export function readCorpus(path: string): Uint8Array {
  return Deno.readFileSync(new URL(path, corpusUrl));
}

/** Entries of corpus/vectors.json, with nouns as NounLike (`[h, t]` pairs, bigint atoms). */
export interface Vectors {
  jam: { name: string; noun: NounLike; jam_hex: string }[];
  mug: { name: string; noun: NounLike; mug: number }[];
}

/** The parsed vectors file (call only when `hasCorpus`); decimal atoms become bigints. */
export function readVectors(): Vectors {
  const text = new TextDecoder().decode(readCorpus("vectors.json"));
  return JSON.parse(text, (key, value) => {
    const inNoun = key === "noun" || key === "0" || key === "1";
    return inNoun && typeof value === "string" ? BigInt(value) : value;
  });
}

/** Bytes of a hex string (two digits a byte, in order). */
export function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Writes a jam bit stream, least significant bit of each byte first. */
class Bits {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.ceil(capacity / 8));
  }
  /** Append the low `count` bits of `value` (count <= 32), least significant first. */
  put(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      if ((value >>> i) & 1) this.bytes[this.length >> 3] |= 1 << (this.length & 7);
      this.length++;
    }
  }
  /** An atom below 2^31: tag 0, then mat (c zeros, a 1, the low c-1 bits of b, then b bits). */
  atom(value: number): void {
    this.put(0, 1);
    if (value === 0) return this.put(1, 1);
    const b = 32 - Math.clz32(value);
    const c = 32 - Math.clz32(b);
    this.put(0, c);
    this.put(1, 1);
    this.put(b, c - 1);
    this.put(value, b);
  }
  /** The tag of a cell: 1 then 0. */
  cell(): void {
    this.put(1, 2);
  }
}

/**
 * The jam of a chain of `depth` cells holding the atoms 1..depth, outermost first:
 * right-nested `[1 [2 ... [depth 0]]]` or left-nested `[[[0 1] 2] ... depth]`. All subnouns
 * are distinct, so this is exactly the jam that Vere produces.
 */
export function jamChain(depth: number, nesting: "left" | "right"): Uint8Array {
  const bits = new Bits(depth * 48 + 8);
  if (nesting === "right") {
    for (let i = 1; i <= depth; i++) {
      bits.cell();
      bits.atom(i);
    }
    bits.atom(0);
  } else {
    for (let i = 0; i < depth; i++) bits.cell();
    bits.atom(0);
    for (let i = 1; i <= depth; i++) bits.atom(i);
  }
  return bits.bytes.slice(0, Math.ceil(bits.length / 8));
}

/**
 * The jam of a chain of `depth` cells of zeros: `[0 [0 ... [0 0]]]` or `[[[0 0] 0] ... 0]`.
 * Mugs of such chains cycle (mug of `[x 0]` is a function of mug of x), so equal mugs
 * among distinct cells are common: the worst case for jam's deduplication.
 */
export function jamZeroChain(depth: number, nesting: "left" | "right"): Uint8Array {
  const bits = new Bits(4 * depth + 8);
  if (nesting === "right") {
    for (let i = 0; i < depth; i++) {
      bits.cell();
      bits.atom(0);
    }
    bits.atom(0);
  } else {
    for (let i = 0; i < depth; i++) bits.cell();
    for (let i = 0; i <= depth; i++) bits.atom(0);
  }
  return bits.bytes.slice(0, Math.ceil(bits.length / 8));
}

/** A tape (list of bytes) of UTF-8 text. */
export function tape(text: string): Noun {
  return Noun.list(new TextEncoder().encode(text));
}

/** The tank `[%leaf tape]`. */
export function leaf(text: string): Noun {
  using t = tape(text);
  return Noun.cell("leaf", t);
}

/** Output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const cliUrl = new URL("../src/cli/main.ts", import.meta.url);

/**
 * Run `src/cli/main.ts` in a subprocess with scoped permissions: read only `readable`, FFI only
 * the library, env only `CELLAR_LIB`.
 */
export async function runCli(args: string[], readable: string[] = []): Promise<CliResult> {
  const library = libraryLocation();
  const libraryPath = library instanceof URL ? decodeURIComponent(library.pathname) : library;
  const permissions = ["--no-prompt", `--allow-ffi=${libraryPath}`, "--allow-env=CELLAR_LIB"];
  if (readable.length > 0) permissions.push(`--allow-read=${readable.join(",")}`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, cliUrl.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

const scratchDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of scratchDirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone, or removed by its test.
    }
  }
});

/**
 * A new temporary directory named `PREFIX…`, removed when the test module ends (crash tests
 * leave slabs of tens of MiB in theirs, which must not pile up in the temp dir run after run).
 */
export function scratchDir(prefix: string): string {
  const dir = Deno.makeTempDirSync({ prefix });
  scratchDirs.push(dir);
  return dir;
}
