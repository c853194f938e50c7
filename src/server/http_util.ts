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
}

/**
 * Read a request body, refusing it (413) as soon as it passes `maxBytes` — before reading
 * further — and timing it out (408) when no chunk arrives for `idleTimeoutMs`.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new HttpError(400, "BadContentLength", `Bad Content-Length: ${declared}`);
    }
    if (n > limits.maxBytes) throw tooLarge(limits.maxBytes);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new HttpError(
                408,
                "RequestTimeout",
                `The request body stalled: no data for ${limits.idleTimeoutMs} ms`,
                { headers: { connection: "close" } },
              ),
            ),
          limits.idleTimeoutMs,
        );
      });
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      total += chunk.value.length;
      if (total > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(chunk.value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof HttpError) throw error;
    throw new HttpError(
      400,
      "BadBody",
      `Cannot read the request body: ${error instanceof Error ? error.message : error}`,
    );
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    413,
    "PayloadTooLarge",
    `The request body is larger than the limit of ${max} bytes`,
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
