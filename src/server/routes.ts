/**
 * The HTTP API as a table of routes (method, path pattern, scope, handler) and one function,
 * {@linkcode serveRequest}, that dispatches a request through it: 503 past the limit of
 * requests in progress, 404 for an unknown path, 405 for a known path with another method
 * (`HEAD` is a `GET` without its body), then auth, then the handler; any error becomes its
 * JSON error response, and every response is counted.
 *
 * Handlers reach the runtime only through a {@linkcode Backend} (the writer and peek Workers
 * in the server, a fake in tests), so each can be tested without Workers.
 *
 * @module
 */

import type { Authorizer, Needed } from "./auth.ts";
import { errorResponse, HttpError, jsonResponse, mediaType, readBody } from "./http_util.ts";
import type { LogLevel } from "./logger.ts";
import type { Observability } from "./observability.ts";
import { describe } from "./options.ts";
import { readPokeJson, readWire } from "./poke_body.ts";
import { replyFormat, requestJsonOptions } from "./json_options.ts";
import { effectsResponse } from "./effects_stream.ts";
import type { EffectsHub } from "./effects_stream.ts";
import type { NounFormat, PeekAnswer, PokeAnswer, PokeCall, WireError } from "./protocol.ts";
import { grafanaDashboard, healthz, readyz } from "./probes.ts";
import { statusPageHtml } from "./status_page.ts";
import type { Scope } from "./tokens.ts";
import type { ProfileReply, ProfileRequest } from "./writer_profile.ts";

/** The runtime as the handlers see it. */
export interface Backend {
  /** Apply one event; resolves once it is durable (or failed). */
  poke(call: PokeCall): Promise<PokeAnswer>;
  /** Read a path of the committed state; null when no reader is ready yet. */
  peek(path: string[], reply: NounFormat): Promise<PeekAnswer> | null;
  /** The writer's profile (`--profile DIR`); absent: the server cannot profile. */
  profile?(action: ProfileRequest["action"]): Promise<ProfileReply>;
}

/** What every handler gets. */
export interface RouteContext {
  backend: Backend;
  /** The server's state and counters (the phase decides whether the runtime may be asked). */
  observability: Observability;
  auth: Authorizer;
  log: (line: string, level?: LogLevel) => void;
  /** Committed effects for `GET /effects` (absent: the route answers 503). */
  effects?: EffectsHub;
}

/** One entry of the route table. */
export interface Route {
  method: "GET" | "POST";
  /** Matched against the URL's path. */
  pattern: RegExp;
  /** The route's name in `/metrics` (default: the pattern's source). */
  path?: string;
  /** Not counted against the limit of requests in progress (the health probes). */
  unlimited?: boolean;
  /** What the token must allow, or null for a public route. */
  scope: Needed | null;
  /** `scopes`: the scopes of the request's token (none for a public route). */
  handle(
    context: RouteContext,
    request: Request,
    url: URL,
    scopes: readonly Scope[],
  ): Response | Promise<Response>;
}

const maxPeekSegments = 64;
const pageSecurityPolicy =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/** The HTTP API (see `docs/HTTP.md`). */
export const routes: readonly Route[] = [
  { method: "GET", pattern: /^\/$/, path: "/", scope: null, handle: page },
  { method: "GET", pattern: /^\/status$/, path: "/status", scope: "status", handle: status },
  { method: "GET", pattern: /^\/metrics$/, path: "/metrics", scope: "status", handle: metrics },
  { method: "POST", pattern: /^\/poke$/, path: "/poke", scope: "poke", handle: poke },
  { method: "GET", pattern: /^\/peek(\/|$)/, path: "/peek/*", scope: "peek", handle: peek },
  { method: "GET", pattern: /^\/effects$/, path: "/effects", scope: "subscribe", handle: effects },
  {
    method: "GET",
    pattern: /^\/profile$/,
    path: "/profile",
    scope: "admin",
    handle: (c) => profile(c),
  },
  {
    method: "GET",
    pattern: /^\/profile\.svg$/,
    path: "/profile.svg",
    scope: "admin",
    handle: profileSvg,
  },
  {
    method: "POST",
    pattern: /^\/profile\/reset$/,
    path: "/profile/reset",
    scope: "admin",
    handle: (context) => profile(context, "reset"),
  },
  {
    method: "GET",
    pattern: /^\/health$/,
    path: "/health",
    scope: null,
    unlimited: true,
    handle: health,
  },
  {
    method: "GET",
    pattern: /^\/healthz$/,
    path: "/healthz",
    scope: null,
    unlimited: true,
    handle: (c) => healthz(c.observability),
  },
  {
    method: "GET",
    pattern: /^\/readyz$/,
    path: "/readyz",
    scope: null,
    unlimited: true,
    handle: (c) => readyz(c.observability),
  },
  {
    method: "GET",
    pattern: /^\/grafana-dashboard\.json$/,
    path: "/grafana-dashboard.json",
    scope: null,
    handle: grafanaDashboard,
  },
];

/** The name `/metrics` gives the route of `pathname`; `unmatched` for none. */
export function routeName(pathname: string): string {
  const route = routes.find((r) => r.pattern.test(pathname));
  return route === undefined ? "unmatched" : route.path ?? route.pattern.source;
}

/**
 * Answer one request through the route table; never throws. `url` is the URL routed (by
 * default the request's; under `/_cellar/` when the kernel serves HTTP, the URL without it).
 *
 * @example
 * ```ts
 * Deno.serve((request) => serveRequest(context, request));
 * ```
 */
export async function serveRequest(
  context: RouteContext,
  request: Request,
  url: URL = new URL(request.url),
): Promise<Response> {
  const pathname = url.pathname;
  const limited = !routes.some((r) => r.unlimited && r.pattern.test(pathname));
  const handle = () => dispatch(context, request, url);
  const response = await admitted(context, handle, routeName(pathname), limited);
  if (request.method !== "HEAD") return response;
  await response.body?.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}

/**
 * Run `handle` as one request in progress (503 past the limit, unless `limited` is false):
 * any error becomes its JSON error response, and the response is counted under `route`;
 * never throws.
 */
export async function admitted(
  context: RouteContext,
  handle: () => Promise<Response>,
  route: string,
  limited = true,
): Promise<Response> {
  const started = performance.now();
  let response: Response;
  let inProgress = false;
  let lingering: Promise<unknown> | undefined;
  try {
    if (limited) {
      context.observability.admit();
      inProgress = true;
    }
    response = await handle();
  } catch (error) {
    if (error instanceof HttpError) {
      response = errorResponse(error);
      lingering = error.lingering;
    } else {
      const detail = error instanceof Error ? error.stack : error;
      context.log(`cellar serve: internal error: ${detail}`, "error");
      response = errorResponse(new HttpError(500, "InternalError", describe(error)));
    }
  } finally {
    // A connection still held by a stalled body counts until the client lets go of it.
    const release = () => context.observability.release();
    if (inProgress && lingering !== undefined) lingering.then(release);
    else if (inProgress) release();
  }
  const seconds = (performance.now() - started) / 1000;
  context.observability.takeResponse(route, response.status, seconds);
  return response;
}

async function dispatch(context: RouteContext, request: Request, url: URL): Promise<Response> {
  const matching = routes.filter((r) => r.pattern.test(url.pathname));
  if (matching.length === 0) {
    throw new HttpError(404, "NotFound", `No route ${url.pathname}: see docs/HTTP.md`);
  }
  const method = request.method === "HEAD" ? "GET" : request.method;
  const route = matching.find((r) => r.method === method);
  if (route === undefined) {
    const allowed = matching.flatMap((r) => r.method === "GET" ? ["GET", "HEAD"] : [r.method])
      .join(", ");
    throw new HttpError(
      405,
      "MethodNotAllowed",
      `${request.method} is not allowed here; use ${allowed}`,
      { headers: { allow: allowed } },
    );
  }
  const scopes = route.scope === null ? [] : context.auth.authorize(request, route.scope);
  return await route.handle(context, request, url, scopes);
}

function page(): Response {
  return new Response(statusPageHtml(), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": pageSecurityPolicy,
    },
  });
}

/**
 * For load balancers and supervisors, without a token: the health alone (no reason, no
 * path), 200 while the runtime serves and 503 while it cannot (booting, failed, commits
 * stalled, a data fault found, stopping).
 */
/** `GET /health`: the health and phase, 200 while the runtime serves, else 503. */
function health(context: RouteContext): Response {
  const o = context.observability;
  const health = o.health();
  const serving = o.ready(); // The same verdict as /readyz, with the reason beside it.
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (!serving) headers["retry-after"] = o.phase === "recovering" ? "1" : "5";
  return jsonResponse({ health, phase: o.phase }, serving ? 200 : 503, headers);
}

function status(
  context: RouteContext,
  _request: Request,
  _url: URL,
  scopes: readonly Scope[],
): Response {
  // The data directory's path is the host's business: admin tokens only.
  const body = {
    ...context.observability.statusBody(scopes.includes("admin")),
    effects: context.effects?.status(),
  };
  return jsonResponse(body, 200, { "cache-control": "no-store" });
}

function effects(context: RouteContext, request: Request, url: URL): Response {
  if (context.effects === undefined || context.observability.phase !== "ready") {
    throw context.observability.unavailable();
  }
  return effectsResponse(context.effects, request, url);
}

/** The writer's answer to a profile request; 404 when the server does not profile. */
async function profileAnswer(
  context: RouteContext,
  action: ProfileRequest["action"],
): Promise<ProfileReply> {
  const reply = await context.backend.profile?.(action);
  if (reply === undefined || reply.error !== undefined) {
    throw new HttpError(
      404,
      "NotProfiling",
      `No profile: ${reply?.error ?? "the server is not profiling"} (start it with --profile DIR)`,
    );
  }
  return reply;
}

/** `GET /profile` (and `POST /profile/reset`, which empties it first): the table as JSON. */
async function profile(
  context: RouteContext,
  action: "table" | "reset" = "table",
): Promise<Response> {
  const reply = await profileAnswer(context, action);
  return jsonResponse(reply.table, 200, { "cache-control": "no-store" });
}

/** `GET /profile.svg`: the flame graph of the profile. */
async function profileSvg(context: RouteContext): Promise<Response> {
  const reply = await profileAnswer(context, "svg");
  return new Response(reply.svg, {
    headers: {
      "content-type": "image/svg+xml",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}

function metrics(context: RouteContext): Response {
  return new Response(context.observability.metricsText(), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

/** How a failed poke or peek is counted, from the error it is answered with. */
export function outcomeOf(error: unknown): string {
  if (!(error instanceof HttpError)) return "error";
  if ([400, 408, 413, 415].includes(error.status)) return "bad_request";
  if (error.code === "KernelCrash") return "crash";
  if (error.code === "PokeTimeout" || error.code === "PeekTimeout") return "timeout";
  if (error.status === 503) return "unavailable";
  return "error";
}

/** Run a poke or peek handler, counting its outcome and latency. */
async function counted(
  context: RouteContext,
  kind: "poke" | "peek",
  run: () => Promise<{ response: Response; outcome: string }>,
): Promise<Response> {
  const started = performance.now();
  let outcome = "error";
  try {
    const done = await run();
    outcome = done.outcome;
    return done.response;
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    const o = context.observability;
    (kind === "poke" ? o.pokes : o.peeks).inc(outcome);
    (kind === "poke" ? o.pokeSeconds : o.peekSeconds).observe((performance.now() - started) / 1000);
  }
}

function errorFromWire(error: WireError): HttpError {
  const headers: Record<string, string> = {};
  if (error.code === "NotReady") headers["retry-after"] = "1";
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = `${error.retryAfterSeconds}`;
  return new HttpError(error.status, error.code, error.message, {
    headers,
    extra: error.trace !== undefined ? { trace: error.trace } : {},
  });
}

function poke(context: RouteContext, request: Request, url: URL): Promise<Response> {
  return counted(context, "poke", async () => {
    const call = await readPoke(context, request, url);
    if (context.observability.phase !== "ready") throw context.observability.unavailable();
    const reply = await context.backend.poke(call);
    if (reply.type === "pokeFailed") throw errorFromWire(reply.error);
    context.observability.takeEvent(reply.eventNumber);
    const headers = {
      "x-cellar-event": String(reply.eventNumber),
      "x-cellar-compute-ms": reply.computeMs.toFixed(3),
      "x-cellar-commit-ms": reply.commitMs.toFixed(3),
    };
    if (call.reply === "jam") {
      const response = new Response(new Uint8Array(reply.effectsJam!), {
        status: 200,
        headers: { "content-type": "application/x-jam", ...headers },
      });
      return { response, outcome: "ok" };
    }
    const body = {
      eventNumber: reply.eventNumber,
      effects: reply.effectsJson,
      computeMs: reply.computeMs,
      commitMs: reply.commitMs,
    };
    return { response: jsonResponse(body, 200, headers), outcome: "ok" };
  });
}

/** Check a poke request and read its cause (jam bytes, or a JSON noun checked here). */
async function readPoke(context: RouteContext, request: Request, url: URL): Promise<PokeCall> {
  if (context.observability.phase !== "ready") throw context.observability.unavailable();
  const type = mediaType(request.headers.get("content-type"));
  if (type !== "application/x-jam" && type !== "application/json") {
    throw new HttpError(
      415,
      "UnsupportedMediaType",
      `A poke body is application/x-jam (a jammed cause) or application/json (the JSON noun form); got ${
        type || "no Content-Type"
      }`,
    );
  }
  const given = url.searchParams.get("wire") ?? request.headers.get("x-cellar-wire") ?? undefined;
  const wire = given === undefined ? {} : readWire(given);
  const limits = context.observability.options.limits;
  const body = await readBody(request, {
    maxBytes: limits.bodyBytes,
    idleTimeoutMs: limits.bodyTimeoutMs,
    deadlineMs: limits.bodyDeadlineMs,
  });
  if (body.length === 0) {
    throw new HttpError(400, "EmptyBody", "The poke body is empty: send a cause");
  }
  const reply = replyFormat(request, url);
  if (type === "application/x-jam") return { jam: body.buffer as ArrayBuffer, ...wire, reply };
  const causeLists = requestJsonOptions(request, url).lists;
  const { cause, wireJson } = readPokeJson(body, causeLists);
  if (wireJson !== undefined && given !== undefined) {
    throw new HttpError(400, "BadWire", "The wire is given twice: in the body and in the request");
  }
  const read = causeLists === undefined ? {} : { causeLists };
  return { json: cause, ...(wireJson === undefined ? wire : { wireJson }), ...read, reply };
}

function peekPath(url: URL): string[] {
  const rest = url.pathname.slice("/peek".length);
  let path: string[];
  try {
    path = rest.split("/").filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, "BadPath", "The peek path has a malformed %-escape");
  }
  if (path.length > maxPeekSegments) {
    throw new HttpError(400, "BadPath", `The peek path has more than ${maxPeekSegments} segments`);
  }
  return path;
}

function peek(context: RouteContext, request: Request, url: URL): Promise<Response> {
  return counted(context, "peek", async () => {
    const path = peekPath(url);
    const format = replyFormat(request, url);
    const jam = format === "jam";
    const ready = context.observability.phase === "ready";
    const pending = ready ? context.backend.peek(path, format) : null;
    if (pending === null) {
      throw ready
        ? new HttpError(503, "Recovering", "The peek Workers are starting", {
          headers: { "retry-after": "1" },
        })
        : context.observability.unavailable();
    }
    const reply = await pending;
    if (reply.type === "peekFailed") throw errorFromWire(reply.error);
    const headers = { "x-cellar-event": String(reply.eventNumber) };
    const shown = `/${path.join("/")}`;
    if (reply.kind === "unknown") {
      const error = new HttpError(404, "NoSuchPath", `The kernel knows no path ${shown} (~)`, {
        headers,
        extra: { result: "unknown" },
      });
      return { response: errorResponse(error), outcome: reply.kind };
    }
    if (reply.kind === "empty") {
      const message = `The path ${shown} exists but has no value ([~ ~])`;
      const error = new HttpError(404, "EmptyPath", message, {
        headers,
        extra: { result: "empty" },
      });
      return { response: errorResponse(error), outcome: reply.kind };
    }
    const response = jam
      ? new Response(new Uint8Array(reply.valueJam!), {
        status: 200,
        headers: { "content-type": "application/x-jam", ...headers },
      })
      : jsonResponse({ eventNumber: reply.eventNumber, value: reply.valueJson }, 200, headers);
    return { response, outcome: "value" };
  });
}
