/**
 * Small HTTP helpers of the server: JSON error bodies, a body reader that enforces a size
 * cap while streaming and times out a stalled client, and listening.
 *
 * @module
 */

import { describe, ServerStartError } from "./options.ts";

/** An error the server answers with `status` and the JSON body `{error: {code, message}}`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  /**
   * Settles when the connection is free of the request: set by {@linkcode readBody} when a
   * read of the body was still waiting for the client as it gave up (see there).
   */
  lingering?: Promise<unknown>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

/** JSON text; bigints become numbers when safe integers, else decimal strings. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === "bigint") {
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    }
    return v;
  });
}

/** A JSON response. */
export function jsonResponse(
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(jsonText(value) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The response for an {@linkcode HttpError}. */
export function errorResponse(error: HttpError): Response {
  return jsonResponse(
    { error: { code: error.code, message: error.message, ...error.extra } },
    error.status,
    error.headers,
  );
}

/** Limits of {@linkcode readBody}. */
export interface BodyLimits {
  /** Most bytes accepted (413 beyond). */
  maxBytes: number;
  /** Most milliseconds to wait for the next chunk (408 beyond). */
  idleTimeoutMs: number;
  /** Most milliseconds for the whole body, however it trickles (408 beyond; default 60,000). */
  deadlineMs?: number;
  /**
   * Most reads for the whole body (413 beyond; default one per 256 bytes of `maxBytes`, at
   * least 1,024): a body of one-byte chunks costs a read and a buffer each.
   */
  maxChunks?: number;
}

/** First capacity of a body buffer whose length is not declared (or larger than this). */
const bodyStartBytes = 64 * 1024;

/**
 * Read a request body into one buffer that grows by doubling up to `maxBytes`: refused (413)
 * as soon as it passes `maxBytes` or `maxChunks` reads — before reading further — and timed
 * out (408) when no chunk arrives for `idleTimeoutMs` or the whole body takes longer than
 * `deadlineMs`. Each chunk is copied at once, so the transport's buffers (64 KiB each, even
 * for a one-byte chunk) are garbage as soon as it is read.
 *
 * A 408 is answered at once (with `Connection: close`), but Deno.serve keeps the socket
 * open while a read of its body is waiting, and that read can be neither cancelled nor
 * bounded: it ends when the client sends more or goes away. The 408's `lingering` promise
 * settles then, so the caller can count the connection until it does.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = declaredLength(request, limits.maxBytes);
  if (request.body === null) return new Uint8Array(0);
  const maxChunks = limits.maxChunks ?? Math.max(1024, Math.ceil(limits.maxBytes / 256));
  const deadline = performance.now() + (limits.deadlineMs ?? 60_000);
  const reader = request.body.getReader();
  let body = new Uint8Array(Math.min(declared ?? bodyStartBytes, bodyStartBytes));
  let length = 0;
  let chunks = 0;
  try {
    for (;;) {
      const chunk = await readWithin(reader, limits.idleTimeoutMs, deadline, declared);
      if (chunk.done) break;
      if (++chunks > maxChunks) throw tooFragmented(maxChunks);
      if (length + chunk.value.length > limits.maxBytes) throw tooLarge(limits.maxBytes);
      if (length + chunk.value.length > body.length) {
        body = grown(body, length, length + chunk.value.length, limits.maxBytes);
      }
      body.set(chunk.value, length);
      length += chunk.value.length;
    }
  } catch (error) {
    // A stalled read is left to settle (see `lingering`): cancelling it would settle the
    // JavaScript side only, while the socket stays held.
    if (!(error instanceof HttpError && error.lingering)) reader.cancel().catch(() => {});
    if (error instanceof HttpError) throw error;
    throw new HttpError(
      400,
      "BadBody",
      `Cannot read the request body: ${error instanceof Error ? error.message : error}`,
    );
  }
  // Exactly the body's bytes, in a buffer of its own (callers transfer `body.buffer`).
  return length === body.length ? body : body.slice(0, length);
}

/** The declared Content-Length, checked (400 malformed, 413 over `maxBytes`), or null. */
function declaredLength(request: Request, maxBytes: number): number | null {
  const declared = request.headers.get("content-length");
  if (declared === null) return null;
  const n = Number(declared);
  if (!/^[0-9]+$/.test(declared.trim()) || !Number.isSafeInteger(n)) {
    throw new HttpError(400, "BadContentLength", `Bad Content-Length: ${declared}`);
  }
  if (n > maxBytes) throw tooLarge(maxBytes);
  return n;
}

/** `body`'s first `length` bytes in a buffer of at least `needed` bytes (doubling). */
function grown(
  body: Uint8Array,
  length: number,
  needed: number,
  max: number,
): Uint8Array<ArrayBuffer> {
  let capacity = Math.max(body.length, 1024);
  while (capacity < needed) capacity *= 2;
  const next = new Uint8Array(Math.min(capacity, max));
  next.set(body.subarray(0, length));
  return next;
}

/** The next chunk, or a 408 after `idleMs` or at `deadline` (whichever comes first). */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
  deadline: number,
  declared: number | null,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const left = deadline - performance.now();
  const idle = idleMs <= left;
  const read = reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const why = idle
        ? `The request body stalled: no data for ${idleMs} ms`
        : "The request body took longer than its deadline";
      const told = declared === null ? "" : ` (its Content-Length says ${declared} bytes)`;
      const error = new HttpError(408, "RequestTimeout", why + told, {
        headers: { connection: "close" },
      });
      error.lingering = read.catch(() => {});
      reject(error);
    }, Math.max(0, Math.min(idleMs, left)));
  });
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    413,
    "PayloadTooLarge",
    `The request body is larger than the limit of ${max} bytes`,
    { headers: { connection: "close" } },
  );
}

function tooFragmented(max: number): HttpError {
  return new HttpError(
    413,
    "BodyTooFragmented",
    `The request body came in more than ${max} pieces: send it in fewer, larger chunks`,
    { headers: { connection: "close" } },
  );
}

/** The media type of a Content-Type or Accept entry, lower-cased, without parameters. */
export function mediaType(header: string | null): string {
  return (header ?? "").split(";")[0].trim().toLowerCase();
}

/** Whether the Accept header asks for jam (`application/x-jam` listed before any JSON). */
export function wantsJam(request: Request, url: URL): boolean {
  const format = url.searchParams.get("format");
  if (format === "jam") return true;
  if (format === "json") return false;
  const accept = request.headers.get("accept") ?? "";
  for (const part of accept.split(",")) {
    const type = mediaType(part);
    if (type === "application/x-jam") return true;
    if (type === "application/json") return false;
  }
  return false;
}

/** Base64 of bytes. */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Serve `handler` on `host:port` (port 0 picks a free one); returns the server and its URL.
 * Throws {@linkcode ServerStartError} when it cannot listen (the port is taken, or the
 * permission set does not allow it).
 */
export function listen(
  address: { host: string; port: number },
  handler: (request: Request) => Promise<Response>,
): { server: Deno.HttpServer<Deno.NetAddr>; url: string } {
  const { host, port } = address;
  let url = "";
  const onListen = (addr: Deno.NetAddr) => {
    const h = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    url = `http://${h}:${addr.port}/`;
  };
  try {
    const server = Deno.serve({ hostname: host, port, onListen }, handler);
    return { server, url: url || `http://${server.addr.hostname}:${server.addr.port}/` };
  } catch (cause) {
    const hint = cause instanceof Deno.errors.NotCapable
      ? ` (grant --allow-net=${host}:${port})`
      : "";
    throw new ServerStartError(`Cannot listen on ${host}:${port}: ${describe(cause)}${hint}`, {
      cause,
    });
  }
}
