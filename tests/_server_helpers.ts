/**
 * Helpers of the server tests: a free loopback port, the server's permission flags, and a
 * server subprocess whose output is read line by line.
 *
 * @module
 */

const root = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** The repository root (absolute, no trailing slash). */
export const repoRoot: string = root;

/** The server's entry point. */
export const serverScript = `${root}/src/server/server.ts`;

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The least permissions of `cellar serve` for a data directory and port: the same set as the
 * `serve` permission set of deno.json, with this data directory and port (and the private
 * socket of the server's header-timeout front, `DIR/run/http.sock`).
 */
export function serverFlags(dataDir: string, port: number, extraRead: string[] = []): string[] {
  return [
    "--no-prompt",
    `--allow-read=${
      [dataDir, `${root}/src`, `${root}/kernels`, `${root}/zig-out/lib`, ...extraRead].join(",")
    }`,
    `--allow-write=${dataDir}`,
    `--allow-ffi=${root}/zig-out/lib`,
    "--allow-env=CELLAR_LIB",
    `--allow-net=127.0.0.1:${port},unix:${dataDir}/run/http.sock`,
  ];
}

/** A server subprocess. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  url: string;
  dataDir: string;
  port: number;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** The admin token from `<dataDir>/admin.token`. */
  token: string;
  /** Resolves with the exit status once the process ended (output fully read). */
  exited: Promise<Deno.CommandStatus>;
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  lines: string[],
  onLine: () => void,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      onLine();
    }
  }
  if (buffer.length > 0) lines.push(buffer);
  onLine();
}

/** Run the server script with `flags` and `args`; resolves with its exit status and output. */
export async function runServerCommand(
  flags: string[],
  args: string[],
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, serverScript, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, output: d.decode(out.stdout) + d.decode(out.stderr) };
}

/**
 * Start a server on a free port with the least permissions (or `flags`), wait until it
 * listens and its runtime is ready. A server that exits first fails with its output.
 */
export async function startServerProcess(
  dataDir: string,
  options: {
    args?: string[];
    flags?: string[];
    port?: number;
    waitReady?: boolean;
    /** More environment variables (the flags must let the server read them). */
    env?: Record<string, string>;
  } = {},
): Promise<ServerProcess> {
  const port = options.port ?? freePort();
  const flags = options.flags ?? serverFlags(dataDir, port);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      serverScript,
      "--data",
      dataDir,
      "--port",
      String(port),
      ...(options.args ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const lines: string[] = [];
  let wake: () => void = () => {};
  const changed = () => wake();
  const pumps = Promise.all([
    pump(child.stdout, lines, changed),
    pump(child.stderr, lines, changed),
  ]);
  let ended = false;
  const exited = pumps.then(() => child.status).then((s) => {
    ended = true;
    wake();
    return s;
  });
  // Wait for the listen line (or the end of the process).
  for (;;) {
    const listening = lines.find((l) => l.includes("listening on "));
    if (listening) {
      const url = listening.slice(listening.indexOf("listening on ") + 13).trim();
      const token = Deno.readTextFileSync(`${dataDir}/admin.token`).trim();
      const server = { child, url, dataDir, port, lines, token, exited };
      if (options.waitReady ?? true) await waitReady(server);
      return server;
    }
    if (ended) {
      throw new Error(`The server exited before listening:\n${lines.join("\n")}`);
    }
    await new Promise<void>((res) => {
      wake = res;
      setTimeout(res, 200);
    });
  }
}

/** Poll `/status` until the runtime is ready (or failed: then throw with the output). */
export async function waitReady(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${server.url}status`, { headers: auth(server.token) });
    const body = await r.json();
    if (body.phase === "ready") return;
    if (body.phase === "failed") {
      throw new Error(`The server failed: ${body.failure}\n${server.lines.join("\n")}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`The server did not become ready:\n${server.lines.join("\n")}`);
}

/** The Authorization header for a token. */
export function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Stop a server with a signal and wait for it to exit. */
export async function stopServer(
  server: ServerProcess,
  signal: Deno.Signal = "SIGTERM",
): Promise<Deno.CommandStatus> {
  try {
    server.child.kill(signal);
  } catch {
    // already gone
  }
  return await server.exited;
}

/** POST a JSON noun to /poke. */
export async function pokeJson(
  server: ServerProcess,
  noun: unknown,
  token = server.token,
): Promise<Response> {
  return await fetch(`${server.url}poke`, {
    method: "POST",
    headers: { ...auth(token), "content-type": "application/json" },
    body: JSON.stringify(noun),
  });
}

/** GET /peek/<path> as JSON. */
export async function peekJson(
  server: ServerProcess,
  path: string,
  token = server.token,
): Promise<Response> {
  return await fetch(`${server.url}peek/${path}`, { headers: auth(token) });
}
