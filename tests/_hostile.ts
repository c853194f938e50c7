/**
 * Helpers of the hostile-input suite (`hostile_*_test.ts`): a real server subprocess with
 * small limits, raw HTTP/1.1 over TCP, the server's memory (its RSS, from `ps`), the
 * state mug read beside it, and one checker that every case runs through: the status is the
 * expected one, the server still answers, its memory stays within the stated bound, and the
 * state is unchanged.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Pma } from "../mod.ts";
import { assertEquals } from "./_helpers.ts";
import { auth, startServerProcess, stopServer } from "./_server_helpers.ts";
import type { ServerProcess } from "./_server_helpers.ts";

/** The limits the hostile servers run with (small, so that cases are quick). */
export const hostileLimits = {
  bodyLimit: 262_144,
  bodyTimeoutMs: 400,
  bodyDeadlineMs: 2000,
  peekTimeoutMs: 500,
  pokeTimeoutMs: 2000,
  maxConnections: 48,
};

/**
 * The memory bound of every case: the server's resident memory may grow by at most this
 * much over what it used once warmed up (its peek Workers, kernel and slab mapped). The
 * failures this suite guards against took it to 2.5 to 7.4 GB; what a case may leave is
 * mostly the C allocator keeping what stopped peek Workers freed, for reuse.
 */
export const rssGrowthMaxMib = 384;

/** A hostile server and what its cases are checked against. */
export interface Hostile {
  server: ServerProcess;
  /** The server's resident memory once warmed up, MiB. */
  baselineMib: number;
  /** The state's mug before any case. */
  mug: number;
  /** Highest RSS seen, MiB. */
  peakMib: number;
}

/**
 * The server process's resident memory in MiB (`ps`: Deno's test permissions do not let
 * the test read /proc/PID/status itself).
 */
export async function rssMib(server: ServerProcess): Promise<number> {
  const text = await ps(["-o", "rss=", "-p", String(server.child.pid)]);
  const kib = Number(text.trim());
  assert(Number.isFinite(kib) && kib > 0, `no RSS from ps: ${text}`);
  return kib / 1024;
}

async function ps(args: string[]): Promise<string> {
  const out = await new Deno.Command("ps", { args, stdout: "piped", stderr: "piped" }).output();
  assert(out.success, `ps ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** mug of the committed kernel core, read from the PMA read-only beside the server. */
export function stateMug(dataDir: string): number {
  using pma = Pma.open(`${dataDir}/pma`, { readOnly: true });
  using root = pma.root;
  using core = root.head;
  return core.mug;
}

/**
 * Start a hostile server on a new data directory, run `setup` (pokes that make the state
 * the cases read), warm it up, and take its baseline.
 */
export async function startHostile(
  setup: (server: ServerProcess) => Promise<void> = async () => {},
): Promise<Hostile> {
  const dataDir = Deno.makeTempDirSync({ prefix: "cellar-hostile-" });
  const l = hostileLimits;
  const server = await startServerProcess(dataDir, {
    args: [
      `--body-limit=${l.bodyLimit}`,
      `--body-timeout-ms=${l.bodyTimeoutMs}`,
      `--body-deadline-ms=${l.bodyDeadlineMs}`,
      `--peek-timeout-ms=${l.peekTimeoutMs}`,
      `--poke-timeout-ms=${l.pokeTimeoutMs}`,
      `--max-connections=${l.maxConnections}`,
    ],
  });
  await setup(server);
  for (let i = 0; i < 20; i++) await (await get(server, "peek/count")).body?.cancel();
  const baselineMib = await rssMib(server);
  return { server, baselineMib, mug: stateMug(dataDir), peakMib: baselineMib };
}

/** Stop the server (SIGTERM; it must exit 0) and remove its data directory. */
export async function stopHostile(h: Hostile): Promise<void> {
  const status = await stopServer(h.server);
  Deno.removeSync(h.server.dataDir, { recursive: true });
  assertEquals(status.code, 0, `the server failed:\n${h.server.lines.join("\n")}`);
}

/** Worker threads of the server process (`worker-N`: the writer and the peek Workers). */
export async function workerThreads(server: ServerProcess): Promise<number> {
  const names = await ps(["-L", "-o", "comm=", "-p", String(server.child.pid)]);
  return names.split("\n").filter((n) => n.trim().startsWith("worker")).length;
}

/**
 * The Worker threads of a settled server: the writer, the two peek Workers and the front
 * that times out request heads (src/server/front_worker.ts).
 */
const settledWorkers = 4;

/**
 * Wait (up to `timeoutMs`) until stopped peek Workers have ended: only the writer, the two
 * peek Workers and the front run. Returns the milliseconds it took.
 */
export async function settle(h: Hostile, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (await workerThreads(h.server) > settledWorkers) {
    assert(performance.now() - started < timeoutMs, "stopped peek Workers still run");
    await new Promise((r) => setTimeout(r, 100));
  }
  return performance.now() - started;
}

/** GET a path of the server with the admin token. */
export function get(server: ServerProcess, path: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { headers: auth(server.token) });
}

/**
 * After a case: the server answers `/status` (ready) and a peek, its RSS is within
 * {@linkcode rssGrowthMaxMib} of the baseline, and the state's mug is unchanged.
 */
export async function assertHealthy(h: Hostile, label: string): Promise<void> {
  const status = await get(h.server, "status");
  assertEquals(status.status, 200, `${label}: /status`);
  const body = await status.json();
  assertEquals(body.phase, "ready", `${label}: phase`);
  const count = await get(h.server, "peek/count");
  assertEquals(count.status, 200, `${label}: a peek after it`);
  await count.body?.cancel();
  const rss = await rssMib(h.server);
  h.peakMib = Math.max(h.peakMib, rss);
  assert(
    rss - h.baselineMib <= rssGrowthMaxMib,
    `${label}: RSS ${rss.toFixed(0)} MiB, ${(rss - h.baselineMib).toFixed(0)} over the ` +
      `baseline ${h.baselineMib.toFixed(0)} MiB (bound ${rssGrowthMaxMib})`,
  );
  assertEquals(stateMug(h.server.dataDir), h.mug, `${label}: the state changed`);
}

/** What a raw exchange got: the status (0 when none came), the text, whether it closed. */
export interface RawAnswer {
  status: number;
  text: string;
  /** The server closed the connection (or reset it) within the wait. */
  closed: boolean;
  /** Milliseconds from connecting until the answer was complete (or the wait ended). */
  ms: number;
}

/**
 * Send raw bytes (`head`, then `body` writes) over a new TCP connection and read the answer
 * until it is complete (by Content-Length or the end of a chunked body), the server closes,
 * or `waitMs` passes.
 */
export async function raw(
  server: ServerProcess,
  head: string | Uint8Array,
  options: { body?: (conn: Deno.Conn) => Promise<void>; waitMs?: number } = {},
): Promise<RawAnswer> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(typeof head === "string" ? new TextEncoder().encode(head) : head);
    const reading = readAnswer(conn, options.waitMs ?? 5000).then((answer) => ({
      ...answer,
      ms: performance.now() - started,
    }));
    await options.body?.(conn).catch(() => {});
    const { text, closed, ms } = await reading;
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? "0");
    return { status, text, closed, ms };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function readAnswer(
  conn: Deno.Conn,
  waitMs: number,
): Promise<{ text: string; closed: boolean }> {
  const deadline = performance.now() + waitMs;
  const decoder = new TextDecoder();
  const buf = new Uint8Array(65536);
  let text = "";
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return { text, closed: false };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left)));
    const n = await Promise.race([conn.read(buf).catch(() => null), timeout]);
    clearTimeout(timer);
    if (n === "timeout") return { text, closed: false };
    if (n === null) return { text, closed: true };
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    if (complete(text)) return { text, closed: false };
  }
}

/** Whether `text` holds a whole response (Content-Length met, or a chunked body's end). */
function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end);
  const length = /content-length: *(\d+)/i.exec(head);
  if (length !== null) {
    return new TextEncoder().encode(text.slice(end + 4)).length >= Number(length[1]);
  }
  if (/transfer-encoding: *chunked/i.test(head)) return text.endsWith("\r\n0\r\n\r\n");
  return /^HTTP\/1\.[01] (1\d\d|204|304)/.test(head);
}

/** A request head with the admin token (`extra` headers appended as given). */
export function headOf(
  server: ServerProcess,
  requestLine: string,
  extra: string[] = [],
): string {
  return [requestLine, "Host: 127.0.0.1", `Authorization: Bearer ${server.token}`, ...extra]
    .join("\r\n") + "\r\n\r\n";
}
