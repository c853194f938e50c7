/**
 * `cellar serve --http-kernel`: the kernel owns the URL space. Requests under the mount
 * prefix (default `/`) are poked into the kernel through the writer as NockApp's
 * `[%req id uri method headers body]` and answered from its committed `[%res …]` effects,
 * which the writer parses and sends with the event's effects (`drivers/http_kernel.ts` has
 * the shapes and the host's own answers: 504, 502, 500 with a trace id, 413). Cellar's API
 * (the route table of `routes.ts`) moves under `/_cellar/`, with its auth as always; kernel
 * routes are public unless `routes` is `token` (then they need the `poke` scope).
 *
 * @module
 */

import { KernelHttp, plainResponse, requestJson, requestWireJson } from "../drivers/http_kernel.ts";
import type { KernelAnswer, KernelRequest, SendOutcome } from "../drivers/http_kernel.ts";
import { errorResponse, HttpError, readBody } from "./http_util.ts";
import { apiPrefix } from "./options.ts";
import type { Settings } from "./options.ts";
import type { PokeAnswer, PokeCall } from "./protocol.ts";
import { admitted, serveRequest } from "./routes.ts";
import type { RouteContext } from "./routes.ts";

/** Pokes that the kernel failed on itself: the host answers 500 with a trace id. */
const crashCodes = ["KernelCrash", "KernelOutOfMemory", "KernelBadProduct"];

/** The server's front: what answers requests. */
export interface ServerFront {
  /** Answer one request (never throws). */
  serve(request: Request): Promise<Response>;
  /** Take the parsed response effects of a committed event. */
  take(answers: readonly KernelAnswer[]): void;
  /** Answer the waiting requests 503 and refuse new ones. */
  stop(): void;
}

/**
 * The front of the server: Cellar's API alone, or, when the kernel serves HTTP,
 * `/_cellar/…` to Cellar's API and the rest to the kernel, poked through `poke` (the writer).
 */
export function serverFront(
  context: RouteContext,
  settings: Settings,
  poke: (call: PokeCall) => Promise<PokeAnswer>,
): ServerFront {
  const options = settings.httpKernel;
  if (options === null) {
    return { serve: (request) => serveRequest(context, request), take: () => {}, stop: () => {} };
  }
  const limits = settings.limits;
  const kernel = new KernelHttp(
    {
      mount: options.mount,
      timeoutMs: options.timeoutMs,
      cacheBytes: options.cacheBytes,
      bodyLimit: limits.bodyBytes,
      readBody: async (request, maxBytes) => {
        try {
          const body = await readBody(request, {
            maxBytes,
            idleTimeoutMs: limits.bodyTimeoutMs,
            deadlineMs: limits.bodyDeadlineMs,
          });
          return body.length === 0 ? null : body;
        } catch (error) {
          if (error instanceof HttpError && error.status === 413) return "too large";
          throw error;
        }
      },
    },
    (request) => send(context, poke, request),
    (line) => context.log(`cellar serve: http kernel: ${line}`),
  );
  return {
    serve: (request) => {
      const url = new URL(request.url);
      if (url.pathname === apiPrefix) {
        return Promise.resolve(
          new Response(null, { status: 308, headers: { location: `${apiPrefix}/${url.search}` } }),
        );
      }
      if (url.pathname.startsWith(`${apiPrefix}/`)) {
        const inner = new URL(url);
        inner.pathname = url.pathname.slice(apiPrefix.length);
        return serveRequest(context, request, inner);
      }
      return serveKernel(context, kernel, options.routes, request, url);
    },
    take: (answers) => {
      for (const answer of answers) kernel.take(answer);
    },
    stop: () => kernel.stop(),
  };
}

/** A kernel route: admitted and counted as the API's are, authorized when configured. */
function serveKernel(
  context: RouteContext,
  kernel: KernelHttp,
  routes: "public" | "token",
  request: Request,
  url: URL,
): Promise<Response> {
  return admitted(context, () => {
    if (routes === "token" && kernel.mounted(url)) context.auth.authorize(request, "poke");
    return kernel.serve(request, url);
  }, "kernel");
}

/** Poke a request through the writer; how it ended. */
async function send(
  context: RouteContext,
  poke: (call: PokeCall) => Promise<PokeAnswer>,
  request: KernelRequest,
): Promise<SendOutcome> {
  const o = context.observability;
  if (o.phase !== "ready") return { ok: false, refused: errorResponse(o.unavailable()) };
  const started = performance.now();
  // The jam form of the effects: linear, where JSON could pass its budget on a large body.
  const answer = await poke({
    json: requestJson(request),
    wireJson: requestWireJson,
    reply: "jam",
  });
  let outcome = "ok";
  try {
    if (answer.type === "poked") {
      o.takeEvent(answer.eventNumber);
      return { ok: true };
    }
    const { error } = answer;
    if (crashCodes.includes(error.code)) {
      outcome = "crash";
      const trace = (error.trace ?? []).map((line) => `  ${line}`);
      return { ok: false, crash: [error.message, ...trace].join("\n") };
    }
    if (error.code === "PokeTimeout") {
      outcome = "timeout";
      return {
        ok: false,
        refused: plainResponse(504, `The kernel did not answer in time: ${error.message}`),
      };
    }
    outcome = error.status === 503 ? "unavailable" : "error";
    const message = `The request was not poked into the kernel: ${error.message}`;
    const refused = plainResponse(error.status, message);
    if (error.retryAfterSeconds !== undefined) {
      refused.headers.set("retry-after", String(error.retryAfterSeconds));
    }
    return { ok: false, refused };
  } finally {
    o.pokes.inc(outcome);
    o.pokeSeconds.observe((performance.now() - started) / 1000);
  }
}
