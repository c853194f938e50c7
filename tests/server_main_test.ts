/**
 * The `cellar serve` command line (`src/server/main.ts`): flags parsed into server options,
 * a bad flag as one line and exit 2, `--help` that runs nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseServeArgs, UsageError } from "../src/server/main.ts";
import { libraryStatus } from "../src/core/ffi.ts";
import { permissionReport } from "../src/server/permissions.ts";
import { assertEquals, assertThrows } from "./_helpers.ts";
import { repoRoot, runServerCommand } from "./_server_helpers.ts";

Deno.test("serve flags: defaults, and every flag into its option", () => {
  const plain = parseServeArgs([]);
  assert(plain.kind === "serve");
  assertEquals(plain.options, {
    dataDir: `${repoRoot}/data`,
    host: "127.0.0.1",
    port: 8080,
    kernelPath: undefined,
    bodyLimit: undefined,
    pokeTimeoutMs: undefined,
    peekTimeoutMs: undefined,
    bodyTimeoutMs: undefined,
    bodyDeadlineMs: undefined,
    maxConnections: undefined,
    headerTimeoutMs: undefined,
    snapshotEveryEvents: undefined,
    effectsRetentionEvents: undefined,
  });
  const full = parseServeArgs([
    "--data=/d",
    "--host",
    "::1",
    "--port",
    "0",
    "--kernel",
    "k.jam",
    "--body-limit",
    "5",
    "--poke-timeout-ms=6",
    "--peek-timeout-ms",
    "7",
    "--body-timeout-ms",
    "8",
    "--body-deadline-ms",
    "9",
    "--max-connections",
    "10",
    "--header-timeout-ms",
    "11",
    "--snapshot-every",
    "0",
    "--effects-retention",
    "9",
    "--probe-sandbox",
  ]);
  assertEquals(full, {
    kind: "probe",
    options: {
      dataDir: "/d",
      host: "::1",
      port: 0,
      kernelPath: "k.jam",
      bodyLimit: 5,
      pokeTimeoutMs: 6,
      peekTimeoutMs: 7,
      bodyTimeoutMs: 8,
      bodyDeadlineMs: 9,
      maxConnections: 10,
      headerTimeoutMs: 11,
      snapshotEveryEvents: 0,
      effectsRetentionEvents: 9,
    },
  });
  for (const args of [["--help"], ["-h"], ["--port", "x", "--help"], ["--bogus", "-h"]]) {
    assertEquals(parseServeArgs(args), { kind: "help" }, args.join(" "));
  }
});

Deno.test("serve flags: a bad flag or value is a UsageError naming it", () => {
  const cases: [string[], string][] = [
    [["--port", "notaport"], "Bad --port: 'notaport'"],
    [["--port", "65536"], "Bad --port: '65536' is not a whole number from 0 to 65535"],
    [["--port", "-1"], "Option '--port' argument is ambiguous"],
    [["--port=-1"], "Bad --port: '-1'"],
    [["--port", "8080.5"], "Bad --port"],
    [["--port="], "Bad --port: ''"],
    [["--body-limit", "0"], "Bad --body-limit: '0' is not a whole number of at least 1"],
    [["--poke-timeout-ms", "1e3"], "Bad --poke-timeout-ms"],
    [["--snapshot-every", "99999999999999999999"], "Bad --snapshot-every"],
    [["--host", "a b"], "Bad --host: 'a b'"],
    [["--host="], "Bad --host: ''"],
    [["--data="], "Bad --data: the path is empty"],
    [["--bogus"], "'--bogus'"],
    [["--port"], "'--port"],
    [["stray"], "'stray'"],
  ];
  for (const [args, message] of cases) {
    assertThrows(() => parseServeArgs(args), UsageError, message);
  }
});

Deno.test("serve command: a bad flag is one line on stderr and exit 2; --help runs nothing", async () => {
  const flags = ["--no-prompt", `--allow-read=${repoRoot}/zig-out/lib`];
  const bad = [["--port", "notaport"], ["--bogus"], ["--body-limit", "0"], ["--port", "-1"]];
  for (const args of bad) {
    const r = await runServerCommand(flags, args);
    assertEquals(r.code, 2, r.output);
    assertEquals(r.output.split("\n").filter((l) => l.length > 0).length, 1, r.output);
    assert(r.output.startsWith("cellar serve: ") && r.output.includes("--help"), r.output);
  }
  const parent = Deno.makeTempDirSync({ prefix: "cellar-serve-help-" });
  const dataDir = `${parent}/data`;
  try {
    // Only read access to the library: were it to start the server, it would fail.
    const help = await runServerCommand(flags, ["--data", dataDir, "--port", "1", "--help"]);
    assertEquals(help.code, 0, help.output);
    assert(help.output.startsWith("Usage: cellar serve [options]"), help.output);
    assert(!help.output.includes("listening"), help.output);
    assertThrows(() => Deno.statSync(dataDir), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(parent, { recursive: true });
  }
});

Deno.test("serve permissions: an IPv6 host is queried in brackets", () => {
  const report = permissionReport({ dataDir: "/tmp", host: "::1", port: 8081 });
  const net = report.lines.find((line) => line.startsWith("net "));
  assert(net?.startsWith("net [::1]:8081: "), report.lines.join("\n"));
});

Deno.test("serve permissions: the ffi line names the library actually loaded", () => {
  const status = libraryStatus();
  assert(!(status instanceof Error), "the test process has a library");
  const report = permissionReport({ dataDir: "/tmp", host: "127.0.0.1", port: 8081 });
  const ffi = report.lines.filter((line) => line.startsWith("ffi "));
  assertEquals(ffi, [`ffi ${status.path} (${status.source}): granted`]);
});

Deno.test("serve permissions: a library from CELLAR_LIB is the one named", async () => {
  const status = libraryStatus();
  assert(!(status instanceof Error), "the test process has a library");
  const dir = Deno.makeTempDirSync({ prefix: "cellar-lib-copy-" });
  try {
    const copy = `${dir}/${status.path.split("/").pop()}`;
    Deno.copyFileSync(status.path, copy);
    const module = new URL("../src/server/permissions.ts", import.meta.url).href;
    const script = `import { permissionReport } from ${JSON.stringify(module)};
console.log(permissionReport({ dataDir: "/tmp", host: "127.0.0.1", port: 1 }).lines.join("\\n"));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--no-prompt",
        `--allow-read=${repoRoot}/src,${dir}`,
        `--allow-ffi=${dir}`,
        "--allow-env=CELLAR_LIB",
        script,
      ],
      env: { CELLAR_LIB: copy },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    assertEquals(out.code, 0, d.decode(out.stderr));
    const lines = d.decode(out.stdout).split("\n");
    assert(lines.includes(`ffi ${copy} (CELLAR_LIB): granted`), lines.join("\n"));
    assert(!lines.some((l) => l.includes("zig-out")), lines.join("\n"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
