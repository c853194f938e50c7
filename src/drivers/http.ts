/**
 * The `http` driver: the kernel serves HTTP, in NockApp's HTTP-driver shapes.
 *
 * Each request (under the mount prefix, which is stripped) is poked on `[%http 1 %req ~]` as
 *
 * ```
 * [%req id=@ uri=@t method=@t headers=(list [@t @t]) body=(unit octs)]
 * ```
 *
 * (`uri` is the request target, path and query; header names are lower case; a request
 * without a body has `~`) and answered by the kernel's effect
 * `[%res id status=@ud headers=(list [@t @t]) body=(unit octs)]`, in the same event or a
 * later one. `[%cache id status headers body]` with status 200 keeps the response for the
 * request's uri: later GETs of it are answered from the cache without a poke (`%htmx` and
 * `%h-cache` do the same for requests with an `HX-Request` header, in a cache of their
 * own). The host answers by itself when the kernel cannot: `504` when no answer came within
 * the timeout, `502` (with the reason) for an answer of a bad shape or too large, `500`
 * with a trace id when the request crashed the kernel (the trace goes to the log, under
 * that id), `413` for a request body past the limit.
 *
 * @module
 */

import { NockError } from "../core/errors.ts";
import type { Noun, NounLike } from "../core/noun.ts";
import { driverWire, listItems } from "./driver.ts";
import type { DeliveredEffect, Driver, DriverContext } from "./driver.ts";

/** Options of {@linkcode httpDriver}. */
export interface HttpDriverOptions {
  /** Port to listen on (0: any free one). */
  port: number;
  /** Address (default 127.0.0.1). */
  hostname?: string;
  /** Serve the kernel under this path prefix (`/app`), stripped from the uri it sees. */
  mount?: string;
  /** Answer 504 after this many ms without the kernel's answer (default 30,000). */
  timeoutMs?: number;
  /** Largest request body (default 1 MiB; 413 past it). */
  bodyLimit?: number;
  /** Largest response body the kernel may send (default 16 MiB; 502 past it). */
  responseLimit?: number;
  /** Called with the URL once listening. */
  onListen?: (url: string) => void;
}

/** A response the kernel asked for, or the reason it is not one. */
type Parsed =
  | { ok: true; id: bigint; status: number; headers: [string, string][]; body: Uint8Array | null }
  | { ok: false; id: bigint | null; reason: string };

interface Waiting {
  uri: string;
  get: boolean;
  htmx: boolean;
  resolve: (response: Response) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Cached = { status: number; headers: [string, string][]; body: Uint8Array | null };

const tags = ["res", "cache", "htmx", "h-cache"];
const requestWire = driverWire("http", "req");

/** The HTTP driver (listens when the host starts it). */
export function httpDriver(options: HttpDriverOptions): Driver {
  return new HttpDriver(options);
}

class HttpDriver implements Driver {
  readonly name = "http";
  readonly tags = tags;
  readonly #options: Required<Omit<HttpDriverOptions, "onListen">> & HttpDriverOptions;
  #server: Deno.HttpServer | null = null;
  #waiting = new Map<bigint, Waiting>();
  #cache = new Map<string, Cached>();
  #htmxCache = new Map<string, Cached>();
  #nextId = 1n;
  #stopped = false;

  constructor(options: HttpDriverOptions) {
    const mount = (options.mount ?? "").replace(/\/+$/, "");
    if (mount !== "" && !/^(\/[A-Za-z0-9._~-]+)+$/.test(mount)) {
      throw new Error(`Bad mount prefix '${options.mount}': expected a path such as /app`);
    }
    this.#options = {
      hostname: "127.0.0.1",
      timeoutMs: 30_000,
      bodyLimit: 1024 * 1024,
      responseLimit: 16 * 1024 * 1024,
      ...options,
      mount,
    };
  }

  start(context: DriverContext): void {
    const o = this.#options;
    this.#server = Deno.serve({
      port: o.port,
      hostname: o.hostname,
      onListen: ({ hostname, port }) => o.onListen?.(`http://${hostname}:${port}${o.mount}/`),
    }, (request) => this.#serve(request, context));
  }

  pending(): boolean {
    return !this.#stopped;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.resolve(plain(503, "The server is stopping"));
    }
    this.#waiting.clear();
    await this.#server?.shutdown();
  }

  handle({ effect, tag }: DeliveredEffect, context: DriverContext): void {
    const parsed = parseResponse(effect, this.#options.responseLimit);
    const waiting = parsed.id === null ? undefined : this.#waiting.get(parsed.id);
    if (!parsed.ok) {
      context.log(`a [%${tag} …] effect of a bad shape: ${parsed.reason}`);
      if (waiting !== undefined && (tag === "res" || tag === "htmx")) {
        this.#answer(parsed.id!, plain(502, `The kernel's answer is malformed: ${parsed.reason}`));
      }
      return;
    }
    if (waiting === undefined) {
      context.log(`a [%${tag} …] for request ${parsed.id}, which is not waiting (ignored)`);
      return;
    }
    if (tag === "cache" || tag === "h-cache") {
      if (parsed.status === 200 && waiting.get) {
        (tag === "h-cache" ? this.#htmxCache : this.#cache).set(waiting.uri, parsed);
      }
      return;
    }
    this.#answer(parsed.id, toResponse(parsed));
  }

  #answer(id: bigint, response: Response): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(response);
  }

  async #serve(request: Request, context: DriverContext): Promise<Response> {
    if (this.#stopped) return plain(503, "The server is stopping");
    const url = new URL(request.url);
    const uri = stripMount(url, this.#options.mount);
    if (uri === null) {
      return plain(404, `Not found: the kernel is mounted at ${this.#options.mount}/`);
    }
    const get = request.method === "GET";
    const htmx = request.headers.has("hx-request");
    const cached = get ? (htmx ? this.#htmxCache : this.#cache).get(uri) : undefined;
    if (cached !== undefined) return toResponse(cached);
    const body = await readLimited(request, this.#options.bodyLimit);
    if (body === "too large") return plain(413, "The request body is too large");
    const id = this.#nextId++;
    const answered = new Promise<Response>((resolve) => {
      const timer = setTimeout(
        () => this.#answer(id, plain(504, "The kernel did not answer in time")),
        this.#options.timeoutMs,
      );
      this.#waiting.set(id, { uri, get, htmx, resolve, timer });
    });
    const cause: NounLike = [
      "req",
      id,
      uri,
      request.method,
      [...[...request.headers].map(([k, v]) => [k, v] as NounLike), 0],
      body === null ? 0 : [0, body.length, body],
    ];
    const outcome = await context.poke(cause, requestWire);
    if (!outcome.ok) {
      const traceId = crypto.randomUUID().slice(0, 8);
      if (!outcome.stopped) {
        context.log(
          `request ${traceId} (${request.method} ${uri}) crashed the kernel: ${
            crashText(outcome.error)
          }`,
        );
      }
      this.#answer(
        id,
        outcome.stopped
          ? plain(503, "The server is stopping")
          : plain(500, `The kernel crashed on this request (trace id ${traceId}, in the log)`),
      );
    }
    return await answered;
  }
}

/** The uri the kernel sees (path and query after the mount prefix), or null when outside it. */
function stripMount(url: URL, mount: string): string | null {
  const path = url.pathname;
  if (mount === "") return path + url.search;
  if (path !== mount && !path.startsWith(`${mount}/`)) return null;
  return (path.slice(mount.length) || "/") + url.search;
}

/** The request body (null when empty), or `too large`. */
async function readLimited(
  request: Request,
  limit: number,
): Promise<Uint8Array | null | "too large"> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return "too large";
  if (request.body === null) return null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.length;
    if (total > limit) return "too large";
    chunks.push(chunk);
  }
  if (total === 0) return null;
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

/** `[tag id status headers body]` checked. */
function parseResponse(effect: Noun, limit: number): Parsed {
  using rest = effect.tail;
  if (!rest.isCell) return { ok: false, id: null, reason: "it has no id" };
  using idNoun = rest.head;
  if (idNoun.isCell) return { ok: false, id: null, reason: "its id is a cell" };
  const id = idNoun.toBigInt();
  const bad = (reason: string): Parsed => ({ ok: false, id, reason });
  using fields = rest.tail;
  if (!fields.isCell) return bad("it has no status");
  using statusNoun = fields.head;
  using more = fields.tail;
  const status = statusNoun.isCell ? -1 : Number(statusNoun.toBigInt());
  if (!(status >= 200 && status <= 599)) return bad("its status is not a number from 200 to 599");
  if (!more.isCell) return bad("it has no headers and body");
  using headerList = more.head;
  using bodyUnit = more.tail;
  const headers = parseHeaders(headerList);
  if (typeof headers === "string") return bad(headers);
  const body = parseBody(bodyUnit, limit);
  if (typeof body === "string") return bad(body);
  return { ok: true, id, status, headers, body };
}

function parseHeaders(list: Noun): [string, string][] | string {
  const items = listItems(list, 1000);
  try {
    const out: [string, string][] = [];
    for (const item of items) {
      if (!item.isCell) return "a header is not [name value]";
      using k = item.head;
      using v = item.tail;
      if (k.isCell || v.isCell) return "a header's name or value is a cell";
      const name = text(k);
      const value = text(v);
      if (name === null || value === null) return "a header is not text";
      out.push([name, value]);
    }
    return out;
  } finally {
    for (const item of items) item.dispose();
  }
}

/** `~` or `[~ [length bytes]]`. */
function parseBody(unit: Noun, limit: number): Uint8Array | null | string {
  if (!unit.isCell) return unit.toBigInt() === 0n ? null : "its body is not a unit";
  using octs = unit.tail;
  if (!octs.isCell) return "its body is not [length bytes]";
  using p = octs.head;
  using q = octs.tail;
  if (p.isCell || q.isCell) return "its body is not [length bytes]";
  const length = p.toBigInt();
  if (length > BigInt(limit)) return `its body of ${length} bytes is past the limit (${limit})`;
  const bytes = q.toBytes();
  const body = new Uint8Array(Number(length));
  body.set(bytes.subarray(0, body.length));
  return body;
}

function toResponse(r: Cached): Response {
  try {
    return new Response(r.body as Uint8Array<ArrayBuffer> | null, {
      status: r.status,
      headers: r.headers,
    });
  } catch (error) {
    return plain(
      502,
      `The kernel's answer is malformed: ${error instanceof Error ? error.message : error}`,
    );
  }
}

function plain(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function text(atom: Noun): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(atom.toBytes());
  } catch {
    return null;
  }
}

function crashText(error: unknown): string {
  if (error instanceof NockError) {
    return [error.message, ...error.trace.map((l) => `  ${l}`)].join("\n");
  }
  return error instanceof Error ? error.message : String(error);
}
