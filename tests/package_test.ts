/**
 * The package as a user gets it: the files `deno publish` uploads (deno.json's
 * publish.include/exclude, the host's prebuilt library and its manifest), served from a local
 * HTTP server and imported from `http://127.0.0.1:PORT/mod.ts` by a subprocess with the
 * narrowest permissions; the library search's cache, refusals and error messages; and the
 * cross-compilation of every packaged target.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildLibraries, manifestSource, packageVersion, targets } from "../tools/build_libs.ts";
import { hostTarget } from "../src/core/library.ts";
import { manifest } from "../src/core/_libs.ts";
import { embeddedSource } from "../tools/embed_kernel.ts";

const root = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);
const zig = toolPath("py/ziglang/zig") ?? "zig";
const host = hostTarget();
const packaged = targets.find((t) => t.key === host);

function toolPath(rel: string): string | undefined {
  const path = `${rootPath}.tools/${rel}`;
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A glob of deno.json (`*`, `**`) as a regular expression over relative paths. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/\/$/, "/**").split(/(\*\*\/?|\*)/).map((part) => {
    if (part === "**/" || part === "**") return ".*";
    if (part === "*") return "[^/]*";
    return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }).join("");
  return new RegExp(`^${body}$`);
}

/** The files under `rel` (a file or a directory of the checkout), relative to the root. */
function filesUnder(rel: string): string[] {
  const path = `${rootPath}${rel.replace(/\/$/, "")}`;
  if (Deno.statSync(path).isFile) return [rel];
  const out: string[] = [];
  for (const entry of Deno.readDirSync(path)) {
    const child = `${rel.replace(/\/$/, "")}/${entry.name}`;
    out.push(...(entry.isDirectory ? filesUnder(`${child}/`) : [child]));
  }
  return out;
}

/**
 * Copy what `deno publish` uploads into `dir`: deno.json's publish.include minus its
 * excludes, except lib/, which the test builds for this host.
 */
function assemble(dir: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  const include: string[] = config.publish.include;
  const exclude = (config.publish.exclude as string[]).map(globRegExp);
  const files = include.filter((rel) => rel !== "lib/").flatMap(filesUnder)
    .filter((rel) => !exclude.some((pattern) => pattern.test(rel)));
  for (const rel of files) {
    const target = `${dir}/${rel}`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    Deno.copyFileSync(`${rootPath}${rel}`, target);
  }
  return files;
}

/** The package layout with the host's library (ReleaseFast, as published) and its manifest. */
async function buildPackage(dir: string): Promise<string[]> {
  const files = assemble(dir);
  const built = await buildLibraries({ only: [host], outDir: `${dir}/lib`, zig });
  const source = manifestSource(built, packageVersion(), "ReleaseFast");
  Deno.writeTextFileSync(`${dir}/src/core/_libs.ts`, source);
  return [...files, `lib/${host}/${packaged!.file}`].sort();
}

/** A static file server for the package, counting requests and corrupting chosen files. */
interface PackageServer {
  origin: string;
  port: number;
  requests: Map<string, number>;
  corrupt: Set<string>;
  close(): Promise<void>;
}

function contentType(path: string): string {
  if (path.endsWith(".ts")) return "application/typescript; charset=utf-8";
  return path.endsWith(".json") ? "application/json" : "application/octet-stream";
}

function servePackage(dir: string): PackageServer {
  const requests = new Map<string, number>();
  const corrupt = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${dir}${path}`);
    } catch {
      return new Response("not found", { status: 404 });
    }
    if (corrupt.has(path)) bytes[bytes.length >> 1] ^= 0xff;
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": contentType(path) },
    });
  });
  const port = server.addr.port;
  const origin = `http://127.0.0.1:${port}`;
  return { origin, port, requests, corrupt, close: () => server.shutdown() };
}

/** A free port on 127.0.0.1 (for the `serve()` of the client, which needs it in a flag). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The subprocess: imports the package from its URL, runs nock and reports where the library
 * came from; `full` also opens a Runtime, pokes and peeks, and runs `serve()`.
 */
const clientSource = `
const [moduleUrl, mode, dataDir, serveDir, kernelPath, servePort] = Deno.args;
const cellar = await import(moduleUrl);
const out = {};
{
  using subject = cellar.Noun.from([41, 0]);
  using formula = cellar.Noun.from([4, 0, 2]);
  using product = cellar.nock(subject, formula);
  out.nock = product.toNumber();
}
const status = cellar.libraryStatus();
out.library = status instanceof Error ? status.message : status;
if (mode === "full") {
  const kernel = await cellar.loadDefaultKernel();
  const hex = async (bytes) =>
    Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) =>
      b.toString(16).padStart(2, "0")).join("");
  out.kernel = [await hex(kernel), await hex(cellar.defaultKernel())];
  const runtime = cellar.Runtime.open({ dataDir, kernel });
  {
    using cause = cellar.Noun.from(["put", "greeting", "hello"]);
    runtime.poke(cause).effects.dispose();
  }
  const peek = runtime.peek("/get/greeting");
  out.peek = peek.kind === "value" ? peek.value.toCord() : peek.kind;
  if (peek.kind === "value") peek.value.dispose();
  out.event = Number(runtime.eventNumber);
  runtime.close();
  const server = cellar.serve({ dataDir: serveDir, port: Number(servePort), kernelPath, log() {} });
  await server.ready;
  const token = (await Deno.readTextFile(serveDir + "/admin.token")).trim();
  const headers = { authorization: "Bearer " + token, "content-type": "application/json" };
  const body = JSON.stringify(["put", "greeting", "served"]);
  const poke = await fetch(new URL("poke", server.url), { method: "POST", headers, body });
  const peeked = await fetch(new URL("peek/get/greeting", server.url), { headers });
  out.served = [(await poke.json()).eventNumber, (await peeked.json()).value];
  await server.shutdown();
}
console.log(JSON.stringify(out));
`;

interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON the client printed (when it succeeded). */
  report: Record<string, unknown>;
}

interface ClientOptions {
  pkg: PackageServer;
  /** DENO_DIR of the subprocess: its module cache, and the library cache under `cellar/`. */
  denoDir: string;
  mode: "nock" | "full";
  scratch: string;
  /** Leave out these grants, to see the error name them. */
  omit?: ("net" | "write")[];
}

/** Run the client with the narrowest permissions its mode needs. */
async function runClient(options: ClientOptions): Promise<ClientRun> {
  const { pkg, denoDir, mode, scratch } = options;
  const cache = `${denoDir}/cellar`;
  const dataDir = `${scratch}/data`;
  const serveDir = `${scratch}/served`;
  const kernelPath = `${scratch}/kv.jam`;
  const servePort = freePort();
  const full = mode === "full";
  const net = [`127.0.0.1:${pkg.port}`, ...(full ? [`127.0.0.1:${servePort}`] : [])];
  const readable = [cache, ...(full ? [dataDir, serveDir, kernelPath] : [])];
  const writable = [cache, ...(full ? [dataDir, serveDir] : [])];
  const omit = options.omit ?? [];
  const args = ["run", "--no-prompt", "--no-lock", `--allow-import=127.0.0.1:${pkg.port}`];
  if (!omit.includes("net")) args.push(`--allow-net=${net.join(",")}`);
  if (!omit.includes("write")) args.push(`--allow-write=${writable.join(",")}`);
  args.push(`--allow-read=${readable.join(",")}`, `--allow-ffi=${cache}`, "--allow-env=DENO_DIR");
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args, `${scratch}/client.ts`, `${pkg.origin}/mod.ts`, mode, dataDir, serveDir]
      .concat([kernelPath, String(servePort)]),
    cwd: scratch,
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    signal: AbortSignal.timeout(180_000),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const last = stdout.trim().split("\n").pop() ?? "";
  const report = output.success && last.startsWith("{") ? JSON.parse(last) : {};
  return { code: output.code, stdout, stderr, report };
}

/** The files a `deno publish --dry-run` in `dir` would upload, relative to `dir`. */
async function dryRunFiles(dir: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `deno publish --dry-run failed:\n${text}`);
  const prefix = `file://${dir}/`;
  return [...text.matchAll(/(file:\/\/\S+) \(/g)].map((m) => m[1].replace(prefix, "")).sort();
}

/** The library's path in the package and in the cache of `denoDir`, for this host. */
function libraryPaths(pkgDir: string, denoDir: string): { served: string; cached: string } {
  const served = `/lib/${host}/${packaged!.file}`;
  const digest = sha256(Deno.readFileSync(`${pkgDir}${served}`));
  const extension = packaged!.file.slice(packaged!.file.lastIndexOf(".") + 1);
  const version = packageVersion();
  return {
    served,
    cached: `${denoDir}/cellar/${version}/libcellar-${host}-${digest.slice(0, 16)}.${extension}`,
  };
}

Deno.test({
  name:
    "package: imported over HTTP with the narrowest permissions, it runs nock, a runtime and serve()",
  ignore: packaged === undefined,
  async fn(t) {
    const scratch = Deno.makeTempDirSync({ prefix: "cellar_package_test_" });
    const pkgDir = `${scratch}/package`;
    Deno.writeTextFileSync(`${scratch}/client.ts`, clientSource);
    Deno.copyFileSync(new URL("kernels/kv.jam", root), `${scratch}/kv.jam`);
    const files = await buildPackage(pkgDir);
    const pkg = servePackage(pkgDir);
    try {
      await t.step(
        "deno publish --dry-run uploads exactly this layout, the library included",
        async () => {
          assert.deepEqual(await dryRunFiles(pkgDir), files);
          assert(files.includes(`lib/${host}/${packaged!.file}`));
        },
      );
      await fromHttp(t, pkg, pkgDir, scratch);
      await refusals(t, pkg, pkgDir, scratch);
    } finally {
      await pkg.close();
      Deno.removeSync(scratch, { recursive: true });
    }
  },
});

async function fromHttp(t: Deno.TestContext, pkg: PackageServer, pkgDir: string, scratch: string) {
  const denoDir = `${scratch}/deno_dir`;
  const { served, cached } = libraryPaths(pkgDir, denoDir);
  await t.step("the first import fetches the library, checks it and caches it", async () => {
    const run = await runClient({ pkg, denoDir, mode: "full", scratch });
    assert.equal(run.code, 0, run.stderr);
    const kernel = sha256(Deno.readFileSync(new URL("kernels/kv.jam", root)));
    assert.deepEqual(run.report, {
      nock: 42,
      library: { path: cached, source: "fetched" },
      kernel: [kernel, kernel],
      peek: "hello",
      event: 1,
      served: [1, "served"],
    });
    assert.equal(pkg.requests.get(served), 1);
    assert.equal(sha256(Deno.readFileSync(cached)), manifestOf(pkgDir).sha256);
  });
  await t.step("a second process loads it from the cache without fetching", async () => {
    const run = await runClient({ pkg, denoDir, mode: "nock", scratch });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.report, { nock: 42, library: { path: cached, source: "cache" } });
    assert.equal(pkg.requests.get(served), 1);
  });
  await t.step("a corrupted cached library is refused and fetched again", async () => {
    const bytes = Deno.readFileSync(cached);
    bytes[bytes.length >> 1] ^= 0xff;
    Deno.writeFileSync(cached, bytes);
    const run = await runClient({ pkg, denoDir, mode: "nock", scratch });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.report, { nock: 42, library: { path: cached, source: "fetched" } });
    assert.equal(pkg.requests.get(served), 2);
    assert.equal(sha256(Deno.readFileSync(cached)), manifestOf(pkgDir).sha256);
  });
}

/** The manifest entry of this host in the package at `pkgDir` (from its generated _libs.ts). */
function manifestOf(pkgDir: string): { sha256: string; size: number } {
  const source = Deno.readTextFileSync(`${pkgDir}/src/core/_libs.ts`);
  const entry = source.slice(source.indexOf(`"${host}"`));
  const sha = /sha256: "([0-9a-f]{64})"/.exec(entry)![1];
  const size = Number(/size: (\d+)/.exec(entry)![1]);
  return { sha256: sha, size };
}

async function refusals(t: Deno.TestContext, pkg: PackageServer, pkgDir: string, scratch: string) {
  await t.step("a corrupted download is refused with a clear error and not cached", async () => {
    const denoDir = `${scratch}/deno_dir_corrupt`;
    const { served, cached } = libraryPaths(pkgDir, denoDir);
    pkg.corrupt.add(served);
    const run = await runClient({ pkg, denoDir, mode: "nock", scratch });
    pkg.corrupt.delete(served);
    assert.notEqual(run.code, 0);
    const expected =
      `LibraryError: Cannot load the Cellar library for ${host}: tried, in order:\n` +
      "  1. CELLAR_LIB: not read (that needs --allow-env=CELLAR_LIB)\n" +
      `  2. local build: none (the package was imported from ${pkg.origin})\n` +
      `  3. cache ${cached}: absent\n` +
      `  4. fetch ${pkg.origin}${served}: refused, its sha256 is `;
    assert(run.stderr.includes(expected), run.stderr);
    assert(run.stderr.includes(`where the package's manifest says ${manifestOf(pkgDir).sha256}`));
    assert.throws(() => Deno.statSync(cached), Deno.errors.NotFound);
  });
  await t.step("missing permissions are named, each with its flag", async () => {
    const denoDir = `${scratch}/deno_dir_denied`;
    const { served, cached } = libraryPaths(pkgDir, denoDir);
    const run = await runClient({ pkg, denoDir, mode: "nock", scratch, omit: ["net", "write"] });
    assert.notEqual(run.code, 0);
    const cache = `${denoDir}/cellar`;
    assert(run.stderr.includes(`  3. cache ${cached}: absent\n`), run.stderr);
    const fetchLine = `  4. fetch ${pkg.origin}${served}: not tried (that needs ` +
      `--allow-net=127.0.0.1:${pkg.port} --allow-write=${cache})`;
    assert(run.stderr.includes(fetchLine), run.stderr);
  });
}

Deno.test("package: the committed manifest names every packaged target at its version", () => {
  assert.equal(manifest.version, packageVersion());
  assert.deepEqual(Object.keys(manifest.libraries), targets.map((t) => t.key));
  for (const target of targets) {
    const entry = manifest.libraries[target.key];
    assert.equal(entry.path, `lib/${target.key}/${target.file}`);
    assert.match(entry.sha256, /^[0-9a-f]{64}$/);
    assert(entry.size > 100_000, `${target.key}: ${entry.size} bytes`);
  }
});

/** The OS and architecture a library file is for, read from its header. */
function binaryKind(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) === 0x7f454c46) {
    const machine = view.getUint16(18, true);
    return `linux-${machine === 0x3e ? "x86_64" : machine === 0xb7 ? "aarch64" : machine}`;
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    return `macos-${cpu === 0x01000007 ? "x86_64" : cpu === 0x0100000c ? "aarch64" : cpu}`;
  }
  if (view.getUint16(0, true) === 0x5a4d) {
    const pe = view.getUint32(0x3c, true);
    const machine = view.getUint16(pe + 4, true);
    return `windows-${machine === 0x8664 ? "x86_64" : machine}`;
  }
  return "unknown";
}

Deno.test("package: every packaged target cross-compiles (Debug, to check it builds)", async () => {
  const out = Deno.makeTempDirSync({ prefix: "cellar_cross_test_" });
  try {
    const built = await buildLibraries({ optimize: "Debug", outDir: out, zig, jobs: 2 });
    assert.deepEqual(built.map((b) => b.target.key), targets.map((t) => t.key));
    for (const b of built) {
      const bytes = Deno.readFileSync(b.path);
      assert.equal(binaryKind(bytes), b.target.key);
      if (b.target.key.startsWith("linux-")) {
        // glibc, as Deno itself: a musl libc inside the library would not load beside it.
        assert(new TextDecoder().decode(bytes).includes("libc.so.6"), `${b.target.key}: not glibc`);
      }
    }
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("package: the embedded default kernel is kernels/kv.jam", () => {
  const jam = Deno.readFileSync(new URL("kernels/kv.jam", root));
  const embedded = Deno.readTextFileSync(new URL("src/runtime/_default_kernel.ts", root));
  assert.equal(embedded, embeddedSource(jam), "deno task embed:kernel rewrites it");
});
