/**
 * Cellar's HTTP server (`./cellar serve`; the API is documented in `docs/HTTP.md`), and its
 * entry point. This file wires the pieces together:
 *
 * - `writer_client.ts`: the writer Worker, which owns the `Runtime` and handles pokes
 *   one at a time in arrival order, answering each once its event is durable;
 * - `peek_pool.ts`: peek Workers holding read-only replicas of the committed state;
 * - `observability.ts`: phase, status, health and metrics; `auth.ts`: bearer tokens;
 * - `routes.ts`: the route table and its handlers; `main.ts`: the command line.
 *
 * The server listens while the writer boots (a replay can be long): meanwhile `/status`
 * reports `recovering` and pokes and peeks get 503 with `Retry-After`.
 *
 * @module
 */

import type { BootReport } from "../runtime/runtime.ts";
import { openTokens, TokenAuthorizer } from "./auth.ts";
import { EffectsHub } from "./effects_stream.ts";
import { listenFronted } from "./http_front.ts";
import { main } from "./main.ts";
import { Observability } from "./observability.ts";
import { resolveSettings, ServerStartError } from "./options.ts";
import type { RunningServer, ServerOptions } from "./options.ts";
import { PeekPool } from "./peek_pool.ts";
import { serverFront } from "./kernel_routes.ts";
import type { KernelAnswer } from "../drivers/http_kernel.ts";
import type { Backend, RouteContext } from "./routes.ts";
import { WriterClient } from "./writer_client.ts";
import { startCluster } from "./cluster_server.ts";

export type { RunningServer, ServerOptions } from "./options.ts";
export { ServerStartError } from "./options.ts";
export type { Health } from "./observability.ts";
export type { PermissionContext } from "./permissions.ts";
export { permissionReport, probeSandbox } from "./permissions.ts";

const historyEveryMs = 5000;

/** The writer Worker's client, wired to the server's state, effects hub and peek pool. */
function startWriter(
  settings: ReturnType<typeof resolveSettings>,
  observability: Observability,
  effects: EffectsHub,
  pool: PeekPool,
  failed: (message: string, error: ServerStartError) => void,
  kernelAnswers: (answers: readonly KernelAnswer[]) => void,
  cluster?: ReturnType<typeof startCluster>,
): WriterClient {
  return new WriterClient(settings, {
    cluster: cluster?.handle,
    openAfter: cluster?.prepared,
    progress: (progress) => {
      const line = observability.takeProgress(progress);
      if (line !== null) settings.log(line);
    },
    // Ready once a peek Worker has opened its replica too.
    ready: (boot, status) => (
      effects.start(boot.eventNumber),
        observability.booted(boot, status),
        pool.start(),
        cluster?.booted(boot.eventNumber)
    ),
    effects: (message) => {
      if (message.http !== undefined) kernelAnswers(message.http);
      effects.publish(message);
    },
    status: (status, gcMs, snapshotMs) => observability.takeStatus(status, gcMs, snapshotMs),
    operation: (operation) => observability.operation = operation,
    failed,
  });
}

/** The handlers' Backend: the writer and the peek pool, made after it (handlers run later). */
function backendOf(writer: () => WriterClient, pool: () => PeekPool): Backend {
  return {
    poke: (call) => writer().poke(call),
    peek: (path, as) => pool().peek(path, as),
    profile: (action) => writer().profile(action),
  };
}

/**
 * Start the server: listen at once, boot the runtime in the writer Worker, then start the
 * peek Workers. Throws {@linkcode ServerStartError} when an option is bad or the kernel
 * cannot be read.
 *
 * @example
 * ```ts
 * const server = startServer({ dataDir: "data", port: 0 });
 * await server.ready;
 * await server.shutdown();
 * ```
 */
export function startServer(options: ServerOptions): RunningServer {
  const settings = resolveSettings(options);
  const { dataDir, log } = settings, { tokens, adminTokenPath } = openTokens(dataDir);
  const observability = new Observability(settings, settings.cluster !== undefined);
  const cluster = settings.cluster && startCluster(settings.cluster, observability, settings);
  const effects = new EffectsHub({ retentionEvents: options.effectsRetentionEvents });
  const context: RouteContext = {
    backend: backendOf(() => writer, () => pool),
    observability,
    auth: new TokenAuthorizer(tokens, log),
    log,
    effects,
  };
  // With --http-kernel, the kernel owns the URL space and the API is under /_cellar/.
  const front = serverFront(context, settings, (call) => writer.poke(call));
  // Listen first: a busy port fails before any Worker starts. No request is handled before
  // this function returns, so the handlers find the writer and the pool in place.
  const { url, ...server } = listenFronted(
    { ...settings, failed: (error) => fail(error.message, error) },
    (request) => cluster ? cluster.serve(request, front.serve) : front.serve(request),
  );
  const ready = Promise.withResolvers<BootReport>();
  ready.promise.catch(() => {});
  const fail = (message: string, error: ServerStartError) => {
    observability.fail(message);
    writer.failPending(message);
    ready.reject(error);
    void shutdown();
  };
  const pool = new PeekPool(settings, {
    ready: () => {
      const boot = observability.markReady();
      if (boot !== null) void server.listening.then(() => ready.resolve(boot));
    },
    failed: (message) => fail(message, new ServerStartError(message)),
    restarted: (reason) => observability.peekerRestarts.inc(reason),
    log,
  });
  const writer = startWriter(settings, observability, effects, pool, fail, front.take, cluster);
  cluster?.attach(writer, url, (alarm) => fail(alarm, new ServerStartError(alarm)));
  const historyTimer = setInterval(() => observability.sampleHistory(), historyEveryMs);
  const finished = Promise.withResolvers<void>();
  let stopping: Promise<void> | null = null;
  const shutdown = () =>
    stopping ??= (async () => {
      const wasRecovering = observability.markStopping();
      writer.abort();
      clearInterval(historyTimer);
      await cluster?.close();
      effects.close(); // an open event stream would hold the shutdown
      front.stop(); // and so would a request waiting for the kernel's answer
      await server.shutdown();
      await pool.close(5000);
      // A replay stops at the next event (the abort flag); a poke finishes first.
      await writer.close(wasRecovering ? 120_000 : 60_000);
      cluster?.afterClose();
      ready.reject(new ServerStartError("The server stopped before the runtime was ready"));
      finished.resolve();
    })();
  return {
    url,
    dataDir,
    listening: server.listening,
    ready: ready.promise,
    shutdown,
    finished: finished.promise,
    adminTokenPath,
    failure: () => observability.failure,
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, startServer));
}
