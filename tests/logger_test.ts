/**
 * The server's log (`src/server/logger.ts`): text lines as before, JSON lines with
 * `--log-format json` (time, level, msg, fields), the streams by level, and a real server
 * whose every output line is a JSON record.
 */

import assert from "node:assert/strict";
import { parseServeArgs, UsageError } from "../src/server/main.ts";
import { createLogger } from "../src/server/logger.ts";
import type { LogFormat } from "../src/server/logger.ts";
import { assertEquals, assertThrows, kernelTest } from "./_helpers.ts";
import { pokeJson, startServerProcess, stopServer } from "./_server_helpers.ts";

function capture(format: LogFormat) {
  const out: [string, string][] = [];
  const at = new Date("2026-01-02T03:04:05.678Z");
  return { out, log: createLogger(format, (s, l) => out.push([s, l]), () => at) };
}

Deno.test("logger: text is the message with its prefix; warnings and errors on stderr", () => {
  const { out, log } = capture("text");
  log.info("listening on http://x/", { url: "http://x/" });
  log.warn("boot warning: w");
  log.error("it broke", { code: 1 });
  log.line("cellar serve: a peek Worker failed: boom");
  log.line("cellar serve: internal error: E", "error");
  log.line("!! a bare line");
  assertEquals(out, [
    ["stdout", "cellar serve: listening on http://x/"],
    ["stderr", "cellar serve: boot warning: w"],
    ["stderr", "cellar serve: it broke"],
    ["stdout", "cellar serve: a peek Worker failed: boom"],
    ["stderr", "cellar serve: internal error: E"],
    ["stdout", "!! a bare line"],
  ]);
});

Deno.test("logger: json is one record a line: time, level, msg, fields", () => {
  const { out, log } = capture("json");
  log.info("booted at event 12", { eventNumber: 12n, level: 1 });
  log.line("cellar serve: internal error: E", "error");
  log.line("no prefix");
  assertEquals(out.map(([s]) => s), ["stdout", "stderr", "stdout"]);
  assertEquals(out.map(([, l]) => JSON.parse(l)), [
    {
      time: "2026-01-02T03:04:05.678Z",
      level: "info",
      msg: "booted at event 12",
      fields: { eventNumber: "12", level: 1 },
    },
    { time: "2026-01-02T03:04:05.678Z", level: "error", msg: "internal error: E", fields: {} },
    { time: "2026-01-02T03:04:05.678Z", level: "info", msg: "no prefix", fields: {} },
  ]);
  assert(out.every(([, l]) => !l.includes("\n")));
});

Deno.test("serve flags: --log-format takes text or json", () => {
  const json = parseServeArgs(["--log-format", "json"]);
  assert(json.kind === "serve" && json.options.logFormat === "json");
  const text = parseServeArgs(["--log-format=text"]);
  assert(text.kind === "serve" && text.options.logFormat === "text");
  assertThrows(
    () => parseServeArgs(["--log-format", "xml"]),
    UsageError,
    "Bad --log-format: 'xml' is not text or json",
  );
});

kernelTest("server: --log-format json writes only JSON records", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-jsonlog-" });
  const server = await startServerProcess(dataDir, {
    args: ["--log-format", "json"],
    waitReady: false,
  });
  const url = `http://127.0.0.1:${server.port}/`;
  try {
    for (let i = 0; i < 100 && !server.lines.some((l) => l.includes('"msg":"booted')); i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    const r = await pokeJson({ ...server, url }, ["put", "k", 1]);
    assertEquals(r.status, 200, await r.text());
  } finally {
    await stopServer(server);
    Deno.removeSync(dataDir, { recursive: true });
  }
  const records = server.lines.filter((l) => l.length > 0).map((l) => JSON.parse(l));
  for (const record of records) {
    assertEquals(Object.keys(record), ["time", "level", "msg", "fields"], JSON.stringify(record));
    assert(!Number.isNaN(Date.parse(record.time)), record.msg);
    assert(["info", "warn", "error"].includes(record.level), record.msg);
  }
  const find = (prefix: string) => records.find((r) => r.msg.startsWith(prefix));
  assertEquals(find("listening on ")?.fields.url, url);
  assertEquals(find("booted at event ")?.fields.eventNumber, "0");
  assertEquals(find("stopped")?.fields, { exitCode: 0 });
  // The writer Worker's own lines are records too (the default kernel's effects have no
  // driver: the writer warns once, in JSON).
  const unclaimed = find("No driver takes %put effects");
  assertEquals(unclaimed?.level, "warn");
  assert(unclaimed.msg.includes("reach HTTP clients only"), unclaimed.msg);
});
