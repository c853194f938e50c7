/**
 * Helpers of the NockApp hosting tests (wires, states, drivers, `cellar run`): the committed
 * test kernel `tests/fixtures/effects.jam`, peeks of its records, and the CLI in a
 * subprocess with the permissions the `cellar` script grants.
 *
 * @module
 */

import { Noun } from "../mod.ts";
import type { NounLike, Runtime } from "../mod.ts";
import { libraryLocation } from "../src/core/ffi.ts";
import { assertEquals } from "./_helpers.ts";

/** The test kernel's path (see `tests/fixtures/effects.hoon`). */
export const effectsKernelPath: string = decodeURIComponent(
  new URL("./fixtures/effects.jam", import.meta.url).pathname,
);

/** The test kernel's jam. */
export function effectsKernel(): Uint8Array {
  return Deno.readFileSync(effectsKernelPath);
}

/** The library's path. */
export const libraryPath: string = (() => {
  const location = libraryLocation();
  return location instanceof URL ? decodeURIComponent(location.pathname) : location;
})();

const cliPath = decodeURIComponent(new URL("../src/cli/main.ts", import.meta.url).pathname);

/** The value a peek answers (as text), or `~` / `[~ ~]`. */
export function peekText(runtime: Runtime, path: string): string {
  const r = runtime.peek(path);
  if (r.kind !== "value") return r.kind === "unknown" ? "~" : "[~ ~]";
  using value = r.value;
  return value.toString();
}

/** Whether the noun the peek of `path` answers equals `expected`. */
export function assertPeek(runtime: Runtime, path: string, expected: NounLike): void {
  using want = Noun.from(expected);
  assertEquals(peekText(runtime, path), want.toString(), `peek ${path}`);
}

/** The `[wire cause]` of the newest poke the test kernel recorded, as text. */
export function lastPoke(runtime: Runtime): { wire: string; cause: string } {
  const r = runtime.peek("/last");
  if (r.kind !== "value") throw new Error(`The kernel recorded no poke (${r.kind})`);
  using record = r.value;
  using wire = record.at(6);
  using cause = record.at(7);
  return { wire: wire.toString(), cause: cause.toString() };
}

/**
 * The test kernel's records (its `/log` peek, newest first), oldest first: [num, wire, cause]
 * as text.
 */
export function recordsOf(log: Noun): [number, string, string][] {
  return log.toArray().map((item) => {
    using record = item;
    using num = record.head;
    using wire = record.at(6);
    using cause = record.at(7);
    return [num.toNumber(), wire.toString(), cause.toString()] as [number, string, string];
  }).reverse();
}

/** The text of a noun. */
export function text(noun: NounLike): string {
  using n = Noun.from(noun);
  return n.toString();
}

/** Output of one CLI run. */
export interface CellarResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI as the `cellar` script runs a data-directory command: FFI of the library;
 * read the library, the kernel fixtures and `read`; write `write`; env CELLAR_LIB, NO_COLOR
 * and TMPDIR; `net` adds `--allow-net`.
 */
export async function runCellar(args: string[], scope: CellarScope = {}): Promise<CellarResult> {
  const output = await spawnCellar(args, scope).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** What a CLI subprocess may touch (see {@linkcode runCellar}). */
export interface CellarScope {
  read?: string[];
  write?: string[];
  net?: string;
  /** TMPDIR for the process (read and written). */
  tmpdir?: string;
}

/** Start the CLI as {@linkcode runCellar} does; the caller reads its output. */
export function spawnCellar(args: string[], scope: CellarScope = {}): Deno.ChildProcess {
  const fixtures = decodeURIComponent(new URL("./fixtures", import.meta.url).pathname);
  const tmp = scope.tmpdir === undefined ? [] : [scope.tmpdir];
  const write = [...(scope.write ?? []), ...tmp];
  const permissions = [
    "--no-prompt",
    `--allow-ffi=${libraryPath}`,
    `--allow-read=${[libraryPath, fixtures, ...(scope.read ?? []), ...tmp].join(",")}`,
    "--allow-env=CELLAR_LIB,NO_COLOR,TMPDIR",
  ];
  if (write.length > 0) permissions.push(`--allow-write=${write.join(",")}`);
  if (scope.net !== undefined) permissions.push(`--allow-net=${scope.net}`);
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, cliPath, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...(scope.tmpdir === undefined ? {} : { TMPDIR: scope.tmpdir }) },
  }).spawn();
}

/** Fail with the whole output unless the run exited with `code`. */
export function expectExit(result: CellarResult, code: number, what: string): void {
  assertEquals(
    result.code,
    code,
    `${what}: exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  );
}

/** A temporary directory removed when the process ends. */
export function tempDir(prefix: string): string {
  const dir = Deno.makeTempDirSync({ prefix });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
  });
  return dir;
}
