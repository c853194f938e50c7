/**
 * Cross-compile libcellar for every packaged target into `lib/<os>-<arch>/`, and write the
 * manifest `src/core/_libs.ts` (each file's sha256 and size) that `src/core/library.ts`
 * checks a fetched or cached library against.
 *
 * ```
 * deno run --allow-read --allow-write --allow-run --allow-env tools/build_libs.ts \
 *   [--optimize ReleaseFast] [--jobs 2] [--target linux-x86_64 ...] [--out lib] \
 *   [--manifest src/core/_libs.ts | --no-manifest]
 * ```
 *
 * Each target is `zig build lib -Dtarget=... -Dstrip=true` into a temporary prefix (zig
 * caches per target, so a rebuild without changes is quick). `deno task build:libs` runs
 * this before `deno publish`, which uploads `lib/` (git-ignored) with the package.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import type { LibraryManifest } from "../src/core/library.ts";

/** A packaged target: its key (`<os>-<arch>`), Zig triple and library file names. */
export interface Target {
  key: string;
  zig: string;
  /** Where `zig build lib` puts the library, under the prefix. */
  built: string;
  /** Its name in `lib/<key>/`. */
  file: string;
}

/** glibc 2.27 is the oldest the packaged Linux libraries need (as old as Deno's own). */
export const targets: readonly Target[] = [
  {
    key: "linux-x86_64",
    zig: "x86_64-linux-gnu.2.27",
    built: "lib/libcellar.so",
    file: "libcellar.so",
  },
  {
    key: "linux-aarch64",
    zig: "aarch64-linux-gnu.2.27",
    built: "lib/libcellar.so",
    file: "libcellar.so",
  },
  {
    key: "macos-x86_64",
    zig: "x86_64-macos",
    built: "lib/libcellar.dylib",
    file: "libcellar.dylib",
  },
  {
    key: "macos-aarch64",
    zig: "aarch64-macos",
    built: "lib/libcellar.dylib",
    file: "libcellar.dylib",
  },
  {
    key: "windows-x86_64",
    zig: "x86_64-windows-gnu",
    built: "bin/cellar.dll",
    file: "libcellar.dll",
  },
];

const root = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);

/** One target's build. */
export interface Built {
  target: Target;
  path: string;
  sha256: string;
  size: number;
  seconds: number;
}

/** Options of {@linkcode buildLibraries}. */
export interface BuildOptions {
  optimize?: string;
  jobs?: number;
  /** Keys of the targets to build (default: all). */
  only?: string[];
  /** Directory the `<key>/` folders go into (default `lib/` of the repository). */
  outDir?: string;
  /** The zig executable (default `zig` on the PATH). */
  zig?: string;
  /** Called with a line per finished target. */
  log?: (line: string) => void;
}

/** sha256 of `bytes`, in hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function buildOne(
  target: Target,
  optimize: string,
  outDir: string,
  zig: string,
): Promise<Built> {
  const started = performance.now();
  const prefix = await Deno.makeTempDir({ prefix: `cellar_lib_${target.key}_` });
  try {
    const output = await new Deno.Command(zig, {
      args: ["build", "lib", `-Dtarget=${target.zig}`, `-Doptimize=${optimize}`, "-Dstrip=true"]
        .concat(["--prefix", prefix]),
      cwd: rootPath,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      const text = new TextDecoder().decode(output.stderr).trim();
      throw new Error(`Cannot build ${target.key} (${target.zig}): zig build failed:\n${text}`);
    }
    const bytes = await Deno.readFile(`${prefix}/${target.built}`);
    const dir = `${outDir}/${target.key}`;
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/${target.file}`;
    await Deno.writeFile(`${path}.tmp`, bytes);
    await Deno.rename(`${path}.tmp`, path);
    const seconds = (performance.now() - started) / 1000;
    return { target, path, sha256: sha256Hex(bytes), size: bytes.length, seconds };
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
}

/** Build the targets, `jobs` at a time; resolves with them in target order. */
export async function buildLibraries(options: BuildOptions = {}): Promise<Built[]> {
  const optimize = options.optimize ?? "ReleaseFast";
  const outDir = options.outDir ?? `${rootPath}lib`;
  const chosen = targets.filter((t) => !options.only || options.only.includes(t.key));
  const unknown = (options.only ?? []).filter((key) => !targets.some((t) => t.key === key));
  if (unknown.length > 0) {
    throw new Error(`Unknown target: ${unknown.join(", ")} (known: ${targetKeys()})`);
  }
  const results: Built[] = new Array(chosen.length);
  let next = 0;
  const worker = async () => {
    while (next < chosen.length) {
      const index = next++;
      const built = await buildOne(chosen[index], optimize, outDir, options.zig ?? "zig");
      options.log?.(`${built.target.key}: ${built.size} bytes in ${built.seconds.toFixed(1)} s`);
      results[index] = built;
    }
  };
  const jobs = Math.max(1, Math.min(options.jobs ?? 2, chosen.length));
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}

function targetKeys(): string {
  return targets.map((t) => t.key).join(", ");
}

/** The package version in deno.json. */
export function packageVersion(): string {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  if (typeof config.version !== "string") throw new Error("deno.json has no version");
  return config.version;
}

/** The text of `src/core/_libs.ts` for `built` (paths relative to the package root). */
export function manifestSource(built: Built[], version: string, optimize: string): string {
  const manifest: LibraryManifest = { version, optimize, libraries: {} };
  for (const b of built) {
    manifest.libraries[b.target.key] = {
      path: `lib/${b.target.key}/${b.target.file}`,
      sha256: b.sha256,
      size: b.size,
    };
  }
  // deno fmt's form: bare keys where they can be, and a comma after every member.
  const formatted = JSON.stringify(manifest, null, 2)
    .replace(/"([a-z][a-z0-9]*)":/g, "$1:")
    .replace(/([^{,\n])(?=\n\s*})/g, "$1,");
  return `// Generated by tools/build_libs.ts (deno task build:libs): do not edit.
// The prebuilt libraries \`deno publish\` uploads under lib/, with the sha256 and size that
// src/core/library.ts checks a fetched or cached copy against.

import type { LibraryManifest } from "./library.ts";

/** The packaged libraries. */
export const manifest: LibraryManifest = ${formatted};
`;
}

const help = `Usage: tools/build_libs.ts [options]

Cross-compile libcellar for the packaged targets (${targetKeys()})
into lib/<target>/ and write src/core/_libs.ts with their sha256 and size.

Options:
  --optimize MODE   Zig optimize mode (default ReleaseFast)
  --jobs N          Builds at once (default 2)
  --target KEY      Build only this target (repeatable); the manifest then lists only these
  --out DIR         Put the libraries in DIR/<target>/ (default lib/)
  --manifest FILE   Write the manifest there (default src/core/_libs.ts)
  --no-manifest     Write no manifest
  -h, --help        Show this help`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      optimize: { type: "string", default: "ReleaseFast" },
      jobs: { type: "string", default: "2" },
      target: { type: "string", multiple: true },
      out: { type: "string" },
      manifest: { type: "string" },
      "no-manifest": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return (console.log(help), 0);
  const jobs = Number(values.jobs);
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error(`Bad --jobs: '${values.jobs}'`);
  const started = performance.now();
  const built = await buildLibraries({
    optimize: values.optimize,
    jobs,
    only: values.target,
    outDir: values.out,
    log: (line) => console.log(line),
  });
  console.log(
    `built ${built.length} libraries in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (!values["no-manifest"]) {
    const path = values.manifest ?? `${rootPath}src/core/_libs.ts`;
    Deno.writeTextFileSync(path, manifestSource(built, packageVersion(), values.optimize));
    console.log(`wrote ${path}`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`build_libs: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
