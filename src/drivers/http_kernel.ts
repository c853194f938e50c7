/**
 * Kernels that serve HTTP, whatever carries the pokes: {@linkcode KernelHttp} turns requests
 * into NockApp's `[%req …]` causes and answers them from the kernel's `[%res …]` effects. The
 * `http` driver of `cellar run` (`http.ts`) hands it pokes through the driver host; the server
 * (`cellar serve --http-kernel`) through its writer Worker, which parses the response effects
 * where their nouns are ({@linkcode kernelAnswers}) and sends them over as plain objects.
 *
 * The shapes: each request (under the mount prefix, which is stripped) is poked on
 * `[%http 1 %req ~]` as
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
 * own). The cached responses are bounded by a byte budget (`cacheBytes`, default 64 MiB: the
bodies, header names and values and uris of both caches together), the least recently used
dropped first; a response larger than the whole budget is not cached. The host answers by itself when the kernel cannot: `504` when no answer came within
 * the timeout, `502` (with the reason) for an answer of a bad shape or too large, `500`
 * with a trace id when the request crashed the kernel (the trace goes to the log, under
 * that id), `413` for a request body past the limit.
 *
 * @module
 */

import type { Json } from "../core/json.ts";
import type { Noun, NounLike } from "../core/noun.ts";
import { effectTag, listItems } from "./driver.ts";

/** A request as the kernel gets it, before it is a noun. */
export interface KernelRequest {
  id: bigint;
  /** Path and query, after the mount prefix. */
  uri: string;
  method: string;
  /** Lower-case names. */
  headers: [string, string][];
  body: Uint8Array | null;
}

/** How sending a request to the kernel ended. */
export type SendOutcome =
  | { ok: true }
  /** The kernel crashed on it: what to log (message and trace) under the trace id. */
  | { ok: false; crash: string }
  /** The host did not send it (stopping, not ready, …): answer this. */
  | { ok: false; refused: Response };

/** A response the kernel asked for, or the reason it is not one. */
export type ParsedAnswer =
  | { ok: true; id: bigint; status: number; headers: [string, string][]; body: Uint8Array | null }
  | { ok: false; id: bigint | null; reason: string };

/** One response effect (`%res`, `%cache`, `%htmx`, `%h-cache`), parsed. */
export interface KernelAnswer {
  tag: string;
  parsed: ParsedAnswer;
}

/** Options of {@linkcode KernelHttp}. */
export interface KernelHttpOptions {
  /** Serve the kernel under this path prefix (`/app`), stripped from the uri it sees. */
  mount?: string;
  /** Answer 504 after this many ms without the kernel's answer (default 30,000). */
  timeoutMs?: number;
  /** Largest request body (default 1 MiB; 413 past it). */
  bodyLimit?: number;
  /**
   * Bytes the `%cache` / `%h-cache` responses may hold in all (default 64 MiB; 0 caches
   * nothing): bodies, header names and values, uris. The least recently used go first.
   */
  cacheBytes?: number;
  /**
   * Read a request body (default: read it whole): the bytes (null when empty), or
   * `too large` past `limit`. The server passes its reader, which also times out stalls.
   */
  readBody?: (request: Request, limit: number) => Promise<Uint8Array | null | "too large">;
}

/** The byte budget of the response cache by default (64 MiB). */
export const defaultCacheBytes = 64 * 1024 * 1024;

/** Largest response body a kernel may send by default (502 past it). */
export const defaultResponseLimit = 16 * 1024 * 1024;

/** The effect tags of responses. */
export const answerTags: readonly string[] = ["res", "cache", "htmx", "h-cache"];

/** The wire requests are poked on, `[%http 1 %req ~]`. */
export const requestWireJson: Json = ["http", 1, "req", 0];

interface Waiting {
  uri: string;
  get: boolean;
  resolve: (response: Response) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A response kept by the cache. */
export type Cached = { status: number; headers: [string, string][]; body: Uint8Array | null };

/**
 * Cached responses under a byte budget, least recently used evicted first (a `Map` keeps
 * insertion order: a hit is moved to the end, eviction takes from the front).
 */
export class ResponseCache {
  readonly budget: number;
  #entries = new Map<string, { value: Cached; size: number }>();
  #bytes = 0;

  constructor(budget: number) {
    this.budget = budget;
  }

  /** The bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The response kept under `key`, now the most recently used; undefined when none. */
  get(key: string): Cached | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keep `value` under `key`, evicting as needed; false (nothing kept) when past the budget. */
  set(key: string, value: Cached): boolean {
    this.delete(key);
    const size = cachedSize(key, value);
    if (size > this.budget) return false;
    for (const [oldest] of this.#entries) {
      if (this.#bytes + size <= this.budget) break;
      this.delete(oldest);
    }
    this.#entries.set(key, { value, size });
    this.#bytes += size;
    return true;
  }

  /** Forget `key`. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }
}

/** What a cached response counts against the budget: key, header text and body bytes. */
function cachedSize(key: string, value: Cached): number {
  let size = key.length + (value.body?.length ?? 0);
  for (const [name, text] of value.headers) size += name.length + text.length;
  return size;
}

/**
 * Check a mount prefix (`/app`, or empty for `/`); the prefix without a trailing slash.
 * Throws an `Error` naming the prefix when it is not a path.
 */
export function checkMount(mount: string | undefined): string {
  const trimmed = (mount ?? "").replace(/\/+$/, "");
  if (trimmed !== "" && !/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed)) {
    throw new Error(`Bad mount prefix '${mount}': expected a path such as /app`);
  }
  return trimmed;
}

/** Requests to a kernel, answered from its response effects; see the module's doc. */
export class KernelHttp {
  /** The mount prefix (no trailing slash; empty for `/`). */
  readonly mount: string;
  readonly #timeoutMs: number;
  readonly #bodyLimit: number;
  readonly #readBody: NonNullable<KernelHttpOptions["readBody"]>;
  readonly #send: (request: KernelRequest) => Promise<SendOutcome>;
  readonly #log: (line: string) => void;
  #waiting = new Map<bigint, Waiting>();
  /** Both caches in one budget: keys `p` + uri (`%cache`) and `h` + uri (`%h-cache`). */
  readonly #cache: ResponseCache;
  #toldTooLarge = false;
  #nextId = 1n;
  #stopped = false;

  /**
   * `send` pokes a request into the kernel (resolving once it is committed, or with why
   * not); `log` reports bad answers and crashes.
   */
  constructor(
    options: KernelHttpOptions,
    send: (request: KernelRequest) => Promise<SendOutcome>,
    log: (line: string) => void,
  ) {
    this.mount = checkMount(options.mount);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#bodyLimit = options.bodyLimit ?? 1024 * 1024;
    this.#cache = new ResponseCache(options.cacheBytes ?? defaultCacheBytes);
    this.#readBody = options.readBody ?? readLimited;
    this.#send = send;
    this.#log = log;
  }

  /** Whether `url` is under the mount prefix. */
  mounted(url: URL): boolean {
    return stripMount(url, this.mount) !== null;
  }

  /** Answer every waiting request 503 and refuse new ones. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.resolve(plainResponse(503, "The server is stopping"));
    }
    this.#waiting.clear();
  }

  /** Take one response effect of a committed event. */
  take({ tag, parsed }: KernelAnswer): void {
    const waiting = parsed.id === null ? undefined : this.#waiting.get(parsed.id);
    if (!parsed.ok) {
      this.#log(`a [%${tag} …] effect of a bad shape: ${parsed.reason}`);
      if (waiting !== undefined && (tag === "res" || tag === "htmx")) {
        this.#answer(
          parsed.id!,
          plainResponse(502, `The kernel's answer is malformed: ${parsed.reason}`),
        );
      }
      return;
    }
    if (waiting === undefined) {
      this.#log(`a [%${tag} …] for request ${parsed.id}, which is not waiting (ignored)`);
      return;
    }
    if (tag === "cache" || tag === "h-cache") {
      if (parsed.status === 200 && waiting.get) this.#keep(tag, waiting.uri, parsed);
      return;
    }
    this.#answer(parsed.id, toResponse(parsed));
  }

  #keep(tag: string, uri: string, answer: Cached): void {
    const kept = this.#cache.set(cacheKey(tag === "h-cache", uri), answer);
    if (kept || this.#toldTooLarge) return;
    this.#toldTooLarge = true;
    this.#log(
      `a [%${tag} …] response for ${uri} is larger than the whole cache ` +
        `(${this.#cache.budget} bytes): not cached (said once)`,
    );
  }

  #answer(id: bigint, response: Response): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(response);
  }

  /** Answer one request (`url`: its URL, default `request.url`). */
  async serve(request: Request, url = new URL(request.url)): Promise<Response> {
    if (this.#stopped) return plainResponse(503, "The server is stopping");
    const uri = stripMount(url, this.mount);
    if (uri === null) {
      return plainResponse(404, `Not found: the kernel is mounted at ${this.mount}/`);
    }
    const get = request.method === "GET";
    const htmx = request.headers.has("hx-request");
    const cached = get ? this.#cache.get(cacheKey(htmx, uri)) : undefined;
    if (cached !== undefined) return toResponse(cached);
    const body = await this.#readBody(request, this.#bodyLimit);
    if (body === "too large") return plainResponse(413, "The request body is too large");
    if (this.#stopped) return plainResponse(503, "The server is stopping");
    const id = this.#nextId++;
    const answered = new Promise<Response>((resolve) => {
      const timer = setTimeout(
        () => this.#answer(id, plainResponse(504, "The kernel did not answer in time")),
        this.#timeoutMs,
      );
      this.#waiting.set(id, { uri, get, resolve, timer });
    });
    const headers = [...request.headers].map(([k, v]): [string, string] => [k, v]);
    const outcome = await this.#send({ id, uri, method: request.method, headers, body });
    if (!outcome.ok) {
      if ("refused" in outcome) {
        this.#answer(id, outcome.refused);
      } else {
        const traceId = crypto.randomUUID().slice(0, 8);
        this.#log(
          `request ${traceId} (${request.method} ${uri}) crashed the kernel: ${outcome.crash}`,
        );
        this.#answer(
          id,
          plainResponse(
            500,
            `The kernel crashed on this request (trace id ${traceId}, in the log)`,
          ),
        );
      }
    }
    return await answered;
  }
}

function cacheKey(htmx: boolean, uri: string): string {
  return `${htmx ? "h" : "p"}${uri}`;
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

/** The cause of a request, `[%req id uri method headers body]`, to make a noun of. */
export function requestNoun(r: KernelRequest): NounLike {
  return [
    "req",
    r.id,
    r.uri,
    r.method,
    [...r.headers.map(([k, v]) => [k, v] as NounLike), 0],
    r.body === null ? 0 : [0, r.body.length, r.body],
  ];
}

/** The cause of a request in the JSON noun form (the server's writer takes JSON pokes). */
export function requestJson(r: KernelRequest): Json {
  return [
    "req",
    Number(r.id),
    r.uri,
    r.method,
    { list: r.headers.map(([k, v]) => [k, v]) },
    r.body === null ? 0 : [0, r.body.length, { hex: `0x${hexLittleEndian(r.body)}` }],
  ];
}

/** The hex digits of the atom whose bytes (least significant first) are `bytes`. */
function hexLittleEndian(bytes: Uint8Array): string {
  const digits = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    digits[bytes.length - 1 - i] = bytes[i].toString(16).padStart(2, "0");
  }
  const hex = digits.join("").replace(/^0+/, "");
  return hex === "" ? "0" : hex;
}

/**
 * The response effects of an effects list, parsed (bodies past `limit` bytes are bad
 * answers); the others are left out.
 */
export function kernelAnswers(effects: Noun, limit = defaultResponseLimit): KernelAnswer[] {
  const items = listItems(effects);
  try {
    const out: KernelAnswer[] = [];
    for (const effect of items) {
      const tag = effectTag(effect);
      if (tag !== null && answerTags.includes(tag)) {
        out.push({ tag, parsed: parseAnswer(effect, limit) });
      }
    }
    return out;
  } finally {
    for (const item of items) item.dispose();
  }
}

/** `[tag id status headers body]` checked. */
export function parseAnswer(effect: Noun, limit: number): ParsedAnswer {
  using rest = effect.tail;
  if (!rest.isCell) return { ok: false, id: null, reason: "it has no id" };
  using idNoun = rest.head;
  if (idNoun.isCell) return { ok: false, id: null, reason: "its id is a cell" };
  const id = idNoun.toBigInt();
  const bad = (reason: string): ParsedAnswer => ({ ok: false, id, reason });
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
    return plainResponse(
      502,
      `The kernel's answer is malformed: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** A `text/plain` response of one line. */
export function plainResponse(status: number, message: string): Response {
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
