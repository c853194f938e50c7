/**
 * `deno task serve [flags]`: runs the HTTP server (src/server/server.ts) under the least
 * permissions its flags need, so that `--port`, `--host`, `--data` and `--kernel` work
 * (deno.json's fixed `serve` permission set, which `./cellar serve` uses for the defaults,
 * names one address and one data directory).
 *
 * The flags are checked with the server's own parser first (a bad one is one line and exit
 * status 2, as from the server); then the server runs in a child process with read of the
 * data directory, `src/`, `kernels/`, the library and the `--kernel` and `--jets` files, write
 * of the data directory, ffi of the library, env `CELLAR_LIB` and net of the listen address
 * (and, in cluster mode, of the `--cluster` NATS servers) only.
 * SIGTERM is passed on to it (SIGINT from a terminal reaches it directly); its exit status
 * is this one's.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseServeArgs, UsageError } from "../src/server/main.ts";
import type { ServeOptions } from "../src/server/main.ts";

const root = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** The library path from CELLAR_LIB, when it is set and this process may read it. */
function libraryFromEnv(): string | undefined {
  const status = Deno.permissions.querySync({ name: "env", variable: "CELLAR_LIB" });
  if (status.state !== "granted") return undefined;
  const path = Deno.env.get("CELLAR_LIB");
  return path === undefined || path === "" ? undefined : resolve(path);
}

/** The `deno run` permission flags for serving with `options`. */
export function servePermissions(options: ServeOptions, library?: string): string[] {
  const data = resolve(options.dataDir);
  const libs = [`${root}/zig-out/lib`, ...(library === undefined ? [] : [library])];
  const kernel = options.kernelPath === undefined ? [] : [resolve(options.kernelPath)];
  // The app's jet table (--jets): read.
  const jets = options.jetsPath === undefined ? [] : [resolve(options.jetsPath)];
  // The file driver's directory (--files): read and written.
  const files = options.files === undefined ? [] : [resolve(options.files)];
  // The profile directory (--profile): read and written (made at shutdown: its parent read).
  const profile = options.profile === undefined ? [] : [resolve(options.profile)];
  const profileParent = profile.map((dir) => dirname(dir));
  // An IPv6 address goes in brackets before its port.
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  // Cluster mode (docs/CLUSTER.md) reaches the NATS servers of --cluster: `host:port` each.
  const nats = (options.cluster?.urls ?? []).map((url) =>
    url.replace(/^[a-z]+:\/\//, "").split("/")[0]
  );
  return [
    `--allow-read=${
      [
        data,
        `${root}/src`,
        `${root}/kernels`,
        ...libs,
        ...kernel,
        ...jets,
        ...files,
        ...profile,
        ...profileParent,
      ].join(",")
    }`,
    `--allow-write=${[data, ...files, ...profile].join(",")}`,
    `--allow-ffi=${libs.join(",")}`,
    "--allow-env=CELLAR_LIB",
    // The private socket behind the front that times out request heads (http_front.ts).
    `--allow-net=${[`${host}:${options.port}`, `unix:${data}/run/http.sock`, ...nats].join(",")}`,
  ];
}

async function main(args: string[]): Promise<number> {
  let permissions: string[] = [];
  try {
    const command = parseServeArgs(args);
    if (command.kind !== "help") permissions = servePermissions(command.options, libraryFromEnv());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`cellar serve: ${error.message} (see cellar serve --help)`);
    return 2;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      ...permissions,
      `${root}/src/server/server.ts`,
      ...args,
    ],
    stdin: "null",
  }).spawn();
  const forward = () => child.kill("SIGTERM");
  Deno.addSignalListener("SIGTERM", forward);
  // The terminal sends SIGINT to the child too; a second one would make it exit at once.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  const status = await child.status;
  Deno.removeSignalListener("SIGTERM", forward);
  Deno.removeSignalListener("SIGINT", ignore);
  return status.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
