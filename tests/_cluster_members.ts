/**
 * Helpers of the cluster fault tests: Cellar servers in cluster mode as real processes
 * beside a local three-node NATS cluster, and the HTTP calls the tests make to them.
 *
 * @module
 */

import { auth, startServerProcess } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/**
 * The permissions of a member: its data directory, the library, loopback (NATS), and the
 * directories `reads` (a kernel's).
 */
export function memberFlags(dataDir: string, reads: string[] = []): string[] {
  const read = [dataDir, `${root}/src`, `${root}/kernels`, `${root}/zig-out/lib`, ...reads];
  return [
    "--no-prompt",
    `--allow-read=${read.join(",")}`,
    `--allow-write=${dataDir}`,
    `--allow-ffi=${root}/zig-out/lib`,
    "--allow-env=CELLAR_LIB",
    "--allow-net=127.0.0.1",
  ];
}

/** How members are started: more directories to read, whether to wait for `/status`. */
export interface MemberOptions {
  reads?: string[];
  /** Wait until `/status` says ready (default true; not with `--http-kernel`). */
  waitReady?: boolean;
}

/** Start a member of `app` on `urls` with its own data directory (or `dataDir`). */
export function startMember(
  urls: string[],
  app: string,
  args: string[] = [],
  dataDir = Deno.makeTempDirSync({ prefix: "cellar-member-" }),
  port?: number,
  options: MemberOptions = {},
): Promise<ServerProcess> {
  return startServerProcess(dataDir, {
    flags: memberFlags(dataDir, options.reads),
    port,
    args: ["--cluster", urls.join(","), "--app", app, ...args],
    waitReady: options.waitReady,
  });
}

/** Members started by a test, each killed at the end whatever happens. */
export class Members {
  readonly all: ServerProcess[] = [];
  readonly urls: string[];
  readonly app: string;
  readonly options: MemberOptions;

  constructor(urls: string[], app: string, options: MemberOptions = {}) {
    this.urls = urls;
    this.app = app;
    this.options = options;
  }

  /** Start one (see {@linkcode startMember}). */
  async start(args: string[] = [], dataDir?: string, port?: number): Promise<ServerProcess> {
    const m = await startMember(this.urls, this.app, args, dataDir, port, this.options);
    this.all.push(m);
    return m;
  }

  /** The one that leads now, or null. */
  async leader(among = this.all): Promise<ServerProcess | null> {
    for (const m of among) {
      try {
        if ((await clusterOf(m)).role === "leader") return m;
      } catch {
        // Dead or stopped.
      }
    }
    return null;
  }

  /**
   * Kill every member (SIGKILL), wait for them to exit, and remove their data directories
   * (temporary ones: a state of the bootstrap benchmark takes gigabytes).
   */
  async killAll(): Promise<void> {
    await Promise.all(this.all.map(async (m) => {
      try {
        m.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await m.exited;
    }));
    for (const dir of new Set(this.all.map((m) => m.dataDir))) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}

/** The member's `/status` body. */
export async function statusOf(m: ServerProcess): Promise<Record<string, unknown>> {
  const r = await fetch(`${m.url}status`, { headers: auth(m.token) });
  return await r.json();
}

/** The member's `cluster` part of `/status`. */
export async function clusterOf(m: ServerProcess): Promise<Record<string, unknown>> {
  return (await statusOf(m)).cluster as Record<string, unknown>;
}

/** Poll `fn` until it returns true, at most `timeoutMs`; throws with `what` after. */
export async function until(
  what: string,
  timeoutMs: number,
  fn: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch {
      // Not yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
}

/** POST a JSON noun to `/poke`; the raw response (not followed). */
export function poke(m: ServerProcess, noun: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${m.url}poke`, {
    method: "POST",
    headers: { ...auth(m.token), "content-type": "application/json" },
    body: JSON.stringify(noun),
    redirect: "manual",
    signal,
  });
}

/** GET `/peek/<path>` (JSON), with a `min-event` when given. */
export async function peek(
  m: ServerProcess,
  path: string,
  minEvent?: bigint,
): Promise<{ status: number; body: unknown }> {
  const q = minEvent === undefined ? "" : `?min-event=${minEvent}`;
  const r = await fetch(`${m.url}peek/${path}${q}`, { headers: auth(m.token) });
  return { status: r.status, body: await r.json() };
}
