/**
 * The driver pieces a library user needs, as `mod.ts` exports them: every built-in driver's
 * factory, the {@linkcode DriverHost} and {@linkcode AttachedDrivers} that feed them, and the
 * HTTP driver, checked for the tags it claims without starting it.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as mod from "../mod.ts";
import type { AttachedOptions, HttpDriverOptions, KernelHttpOptions } from "../mod.ts";
import { assertEquals } from "./_helpers.ts";

Deno.test("mod.ts: exports the drivers and what runs them", () => {
  for (
    const name of [
      "httpDriver",
      "fileDriver",
      "exitDriver",
      "markdownDriver",
      "timerDriver",
      "DriverHost",
      "AttachedDrivers",
    ] as const
  ) {
    assertEquals(typeof mod[name], "function", name);
  }
  const options: HttpDriverOptions = { port: 0, mount: "/app/", cacheBytes: 1024 };
  const kernelOptions: KernelHttpOptions = options;
  const http = mod.httpDriver(options);
  assertEquals(http.name, "http");
  assertEquals([...http.tags], ["res", "cache", "htmx", "h-cache"]);
  assertEquals(kernelOptions.mount, "/app/");
  assert.throws(() => mod.httpDriver({ port: 0, mount: "not a path" }), /Bad mount prefix/);
  const attachedOptions: AttachedOptions = {
    commit: () => ({ ok: false, error: new Error("unused") }),
    event: () => null,
    log: () => {},
    print: () => {},
  };
  const markdown = mod.markdownDriver();
  assert.throws(
    () => new mod.AttachedDrivers([markdown, markdown], attachedOptions),
    /Two drivers claim the tag %markdown/,
  );
});
