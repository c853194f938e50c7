/**
 * The server's public listener: a small TCP front before Deno.serve, because Deno.serve has
 * no header timeout (a connection that drips a header byte every few seconds stays open for
 * good; measured on Deno 2.9.8).
 *
 * Per connection, the front reads each request's head (its request line and headers, up to
 * the empty line; at most {@linkcode headBytesMax} bytes, 431 past it) under a deadline: the
 * head must be complete `headerTimeoutMs` after its first byte or after the connection fell
 * idle (every answer sent), whichever is earlier. Past it the client gets 408 and the
 * connection closes (an idle connection that sent nothing is closed without a word). A
 * complete head goes, unchanged and with its body, to the real Deno.serve on a private Unix
 * socket in `DIR/run/`, and its answers come back unchanged. The front reads just enough
 * framing to know where the next head starts (Content-Length, chunked bodies) and when the
 * connection is idle (the answers' own framing); what it cannot frame as Deno.serve does (an
 * h2c preface, a `101`, a framing Deno.serve refuses with 400 and a close) passes through as
 * it is. Bodies are not timed here: the routes' body limits do that, as before.
 *
 * @module
 */

import { describe, ServerStartError } from "./options.ts";
import { listen } from "./http_util.ts";
import { FrontClient } from "./front_client.ts";
import type { InnerAddress } from "./front_client.ts";

/** Largest request head (request line and headers) the front takes; 431 past it. */
export const headBytesMax = 64 * 1024;

/** First size of a connection's read buffer: enough for a usual head. */
const headBytesFirst = 4096;
/** Read buffer of a body or of the answers (Deno's own stream chunks are this size). */
const pipeBytes = 64 * 1024;
/** How long a refused client may take to read its 408 or 431 before the socket closes. */
const lingerMs = 1000;
/** A split answer head larger than this (never from Deno.serve) ends the answer framing. */
const answerHeadMax = 1 << 20;

const lf = 0x0a;
const cr = 0x0d;

/**
 * Where a head ends in `buf[from, to)`: the index after its empty line, or -1. A line ends
 * with CR LF or a bare LF, as Deno.serve accepts either.
 */
export function headEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buf[i] !== lf) continue;
    if (i + 1 < to && buf[i + 1] === lf) return i + 2;
    if (i + 2 < to && buf[i + 1] === cr && buf[i + 2] === lf) return i + 3;
  }
  return -1;
}

/** How a message's body is framed: its length, chunked, up to the close, or not framed. */
type Body = number | "chunked" | "close" | "raw";

const contentLength = new TextEncoder().encode("content-length:");
const transferEncoding = new TextEncoder().encode("transfer-encoding:");

/** Whether the line at `head[at]` starts with `name` (lower case, with its colon). */
function named(head: Uint8Array, at: number, name: Uint8Array): boolean {
  if (head[at + name.length - 1] !== 0x3a) return false;
  for (let i = 0; i < name.length - 1; i++) {
    if ((head[at + i] | 0x20) !== name[i]) return false;
  }
  return true;
}

/** `head[from, to)` as text, without surrounding spaces (a header's value). */
function valueText(head: Uint8Array, from: number, to: number): string {
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(head[i]);
  return text.trim();
}

/**
 * The framing headers of a head (lines after the first), read from its bytes: decoding the
 * head as text cost more than the rest of the front's work on it. `length` is "conflict"
 * when two Content-Lengths differ; `coding` is the last transfer coding, lower case.
 */
function framing(head: Uint8Array): { length: string | null; coding: string | null } {
  let length: string | null = null;
  let coding: string | null = null;
  let at = head.indexOf(lf) + 1;
  while (at > 0 && at < head.length) {
    let end = head.indexOf(lf, at);
    if (end < 0) end = head.length;
    // (Deno.serve refuses a space before the colon, so the names are found exactly.)
    if (end - at > contentLength.length && named(head, at, contentLength)) {
      const value = valueText(head, at + contentLength.length, end);
      length = length === null || length === value ? value : "conflict";
    } else if (end - at > transferEncoding.length && named(head, at, transferEncoding)) {
      const value = valueText(head, at + transferEncoding.length, end);
      coding = value.slice(value.lastIndexOf(",") + 1).trim().toLowerCase();
    }
    at = end + 1;
  }
  return { length, coding };
}

/** Whether `head` starts with `prefix` (ASCII). */
function startsWith(head: Uint8Array, prefix: string): boolean {
  if (head.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (head[i] !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** What the front needs of a request head: whether it is a HEAD, and its body's framing. */
export function requestFraming(head: Uint8Array): { isHead: boolean; body: Body } {
  const isHead = startsWith(head, "HEAD ");
  if (startsWith(head, "PRI * HTTP/2.0")) return { isHead, body: "raw" };
  const { length, coding } = framing(head);
  // Deno.serve answers 400 and closes for the framings passed through raw here.
  if (coding !== null) {
    return { isHead, body: coding === "chunked" && length === null ? "chunked" : "raw" };
  }
  if (length === null) return { isHead, body: 0 };
  return { isHead, body: /^[0-9]{1,15}$/.test(length) ? Number(length) : "raw" };
}

/** An answer head's framing: `final` false for a 1xx other than 101. */
function answerFraming(head: Uint8Array, isHead: boolean): { final: boolean; body: Body } {
  // "HTTP/1.1 200 …": the status's three digits.
  const status = (head[9] - 0x30) * 100 + (head[10] - 0x30) * 10 + (head[11] - 0x30);
  if (status === 101 || !(status >= 100 && status < 1000)) return { final: true, body: "raw" };
  if (status < 200) return { final: false, body: 0 };
  if (isHead || status === 204 || status === 304) return { final: true, body: 0 };
  const { length, coding } = framing(head);
  if (coding === "chunked") return { final: true, body: "chunked" };
  if (length !== null && /^[0-9]{1,15}$/.test(length)) return { final: true, body: Number(length) };
  return { final: true, body: "close" };
}

const sizeDigits = 0;
const sizeExtension = 1;
const sizeLf = 2;
const data = 3;
const dataCr = 4;
const dataLf = 5;
const trailerStart = 6;
const trailerLine = 7;
const trailerLf = 8;

/** Finds where a chunked body ends across reads, without copying it. */
export class ChunkedScanner {
  #state = sizeDigits;
  #size = 0;
  #digits = 0;

  /**
   * Scan `buf[from, to)`: the index just after the body's end, -1 when the body goes on past
   * `to`, or -2 when its framing is malformed (Deno.serve then answers 400 and closes).
   */
  scan(buf: Uint8Array, from: number, to: number): number {
    let i = from;
    while (i < to) {
      if (this.#state === data) {
        const take = Math.min(this.#size, to - i);
        i += take;
        this.#size -= take;
        if (this.#size === 0) this.#state = dataCr;
        continue;
      }
      const step = this.#byte(buf[i++]);
      if (step === "end") {
        this.#state = sizeDigits;
        this.#size = 0;
        this.#digits = 0;
        return i;
      }
      if (step === "bad") return -2;
    }
    return -1;
  }

  /** One byte outside chunk data. */
  #byte(b: number): "end" | "bad" | "more" {
    switch (this.#state) {
      case sizeDigits: {
        const digit = hexDigit(b);
        if (digit >= 0) {
          if (++this.#digits > 13) return "bad";
          this.#size = this.#size * 16 + digit;
        } else if (this.#digits === 0) {
          return "bad";
        } else if (b === cr) this.#state = sizeLf;
        else if (b === 0x3b || b === 0x20 || b === 0x09) this.#state = sizeExtension;
        else return "bad";
        return "more";
      }
      case sizeExtension:
        if (b === cr) this.#state = sizeLf;
        return b === lf ? "bad" : "more";
      case sizeLf:
        if (b !== lf) return "bad";
        this.#digits = 0;
        this.#state = this.#size === 0 ? trailerStart : data;
        return "more";
      case dataCr:
        this.#state = dataLf;
        return b === cr ? "more" : "bad";
      case dataLf:
        this.#state = sizeDigits;
        return b === lf ? "more" : "bad";
      case trailerStart:
        if (b === cr) this.#state = trailerLf;
        else this.#state = trailerLine;
        return b === lf ? "bad" : "more";
      case trailerLine:
        if (b === lf) this.#state = trailerStart;
        return "more";
      default: // trailerLf
        return b === lf ? "end" : "bad";
    }
  }
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * Follows the answers of one connection (as Deno.serve writes them) to count the complete
 * ones. `isHead(k)` says whether the request of the k-th answer from now was a HEAD.
 */
class AnswerScanner {
  #body: Body | "head" = "head";
  #left = 0;
  #chunked = new ChunkedScanner();
  #carry: Uint8Array | null = null;

  /** Scan `buf[0, n)`: the answers it completed, or -1 when the rest is not framed. */
  scan(buf: Uint8Array, n: number, isHead: (k: number) => boolean): number {
    let done = 0;
    let i = 0;
    while (i < n) {
      if (this.#body === "head") {
        const end = this.#head(buf, i, n, isHead(done));
        if (end < 0) return done;
        i = end;
        if (this.#body === "head" || this.#body === 0) {
          if (this.#final) done++;
          this.#body = "head";
        }
      } else if (typeof this.#body === "number") {
        const take = Math.min(this.#left, n - i);
        i += take;
        this.#left -= take;
        if (this.#left === 0) [this.#body, done] = ["head", done + 1];
      } else if (this.#body === "chunked") {
        const end = this.#chunked.scan(buf, i, n);
        if (end === -2) return -1;
        if (end === -1) return done;
        [i, this.#body, done] = [end, "head", done + 1];
      } else {
        return this.#body === "close" ? done : -1;
      }
    }
    return this.#body === "raw" ? -1 : done;
  }

  #final = true;

  /** The index after an answer head that starts at `buf[i]`, or -1 (carried to the next read). */
  #head(buf: Uint8Array, i: number, n: number, isHead: boolean): number {
    let head: Uint8Array;
    let after: number;
    if (this.#carry === null) {
      after = headEnd(buf, i, n);
      if (after < 0) {
        this.#carry = buf.slice(i, n);
        return -1;
      }
      head = buf.subarray(i, after);
    } else {
      const joined = new Uint8Array(this.#carry.length + n - i);
      joined.set(this.#carry);
      joined.set(buf.subarray(i, n), this.#carry.length);
      const end = headEnd(joined, Math.max(0, this.#carry.length - 2), joined.length);
      if (end < 0) {
        this.#carry = joined.length > answerHeadMax ? null : joined;
        if (this.#carry === null) this.#body = "raw";
        return -1;
      }
      after = i + end - this.#carry.length;
      head = joined.subarray(0, end);
      this.#carry = null;
    }
    const { final, body } = answerFraming(head, isHead);
    this.#final = final;
    this.#body = body === 0 ? "head" : body;
    if (typeof body === "number") this.#left = body;
    return after;
  }
}

/** Write all of `bytes` (a socket may take part of them at a time). */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = await conn.write(bytes);
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** The answer to a refused head: a JSON error like the routes', then the connection closes. */
function refusal(status: 408 | 431 | 503, timeoutMs: number): Uint8Array {
  const [reason, code, message] = status === 408
    ? ["Request Timeout", "RequestTimeout", `The request head took longer than ${timeoutMs} ms`]
    : status === 431
    ? [
      "Request Header Fields Too Large",
      "HeadersTooLarge",
      `The request head is larger than the limit of ${headBytesMax} bytes`,
    ]
    : ["Service Unavailable", "ShuttingDown", "The server is shutting down"];
  const body = JSON.stringify({ error: { code, message } }) + "\n";
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** What every connection of a front shares. */
interface FrontContext {
  headerTimeoutMs: number;
  connectInner: () => Promise<Deno.Conn>;
}

/** One client connection: its requests go to the inner server, its answers come back. */
class Relay {
  readonly done: Promise<void>;
  #client: Deno.TcpConn;
  #context: FrontContext;
  #inner: Deno.Conn | null = null;
  #answers: Promise<void> = Promise.resolve();
  #buf = new Uint8Array(headBytesFirst);
  #start = 0;
  #end = 0;
  #reading: Promise<number | null> | null = null;
  /** One entry per request whose answer is not complete yet: whether it was a HEAD. */
  #owed: boolean[] = [];
  #raw = false;
  #closed = false;
  #expiry: PromiseWithResolvers<"expired"> | null = null;
  /** When the head being waited for is due (`performance.now()`), or Infinity: unarmed. */
  #due = Infinity;

  constructor(client: Deno.TcpConn, context: FrontContext) {
    this.#client = client;
    this.#context = context;
    this.done = this.#run();
  }

  /** Close the connection if no answer is owed on it (the server is stopping). */
  closeIfIdle(): void {
    if (this.#owed.length === 0) this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#due = Infinity;
    for (const conn of [this.#client, this.#inner]) {
      try {
        conn?.close();
      } catch { /* closed */ }
    }
  }

  async #run(): Promise<void> {
    try {
      await this.#requests();
    } catch {
      this.close(); // a socket failed: both sides go
    }
    await this.#answers;
  }

  async #requests(): Promise<void> {
    for (;;) {
      const end = await this.#head();
      if (end === "done") return;
      if (this.#inner === null && !(await this.#connect())) return;
      if (end === "raw") return await this.#passAll();
      const { isHead, body } = requestFraming(this.#buf.subarray(this.#start, end));
      this.#owed.push(isHead);
      if (body === "raw" || body === "close") return await this.#passAll();
      if (!(await this.#forward(end, body))) return;
    }
  }

  /** The next chunk of the client's bytes into `#buf` from `#end` (a read that lost a race
   * against the deadline is kept for the next call). */
  #read(): Promise<number | null> {
    this.#reading ??= this.#client.read(this.#buf.subarray(this.#end)).then(
      (n) => (this.#reading = null, n),
      () => (this.#reading = null, null),
    );
    return this.#reading;
  }

  /** Wait for a complete head: the index after it, "raw" (pass the rest through), or "done"
   * (the connection is over: closed, refused, or the client left). */
  async #head(): Promise<number | "done" | "raw"> {
    this.#expiry = Promise.withResolvers();
    if (this.#owed.length === 0) this.#arm();
    let from = this.#start;
    try {
      for (;;) {
        while (
          this.#start < this.#end &&
          (this.#buf[this.#start] === cr || this.#buf[this.#start] === lf)
        ) {
          from = ++this.#start;
        }
        const end = headEnd(this.#buf, from, this.#end);
        if (end >= 0) return end;
        if (this.#end - this.#start >= headBytesMax) return await this.#refuse(431);
        if (this.#end > this.#start) this.#arm();
        from = Math.max(this.#start, this.#end - 2);
        from -= this.#room();
        const got = await Promise.race([this.#read(), this.#expiry.promise]);
        if (typeof got === "number") this.#end += got;
        if (this.#raw) return "raw";
        if (got === "expired") return await this.#expired();
        if (got === null) return this.#clientLeft();
      }
    } finally {
      this.#due = Infinity;
      this.#expiry = null;
    }
  }

  /** Start the head's deadline (once). A timer per head cost about 150 µs a request (Deno
   * 2.9, a loaded machine): the front's sweep checks the deadlines instead. */
  #arm(): void {
    if (this.#expiry === null || this.#due !== Infinity || this.#raw) return;
    this.#due = performance.now() + this.#context.headerTimeoutMs;
  }

  /** Called by the front's sweep: end the wait for a head that is overdue at `now`. */
  sweep(now: number): void {
    if (now >= this.#due) this.#expiry?.resolve("expired");
  }

  /** Make room after `#end` for a head's next bytes: move the head to the buffer's start, or
   * double the buffer. Returns how far the head moved back. */
  #room(): number {
    if (this.#end < this.#buf.length) return 0;
    const moved = this.#start;
    if (moved > 0) {
      this.#buf.copyWithin(0, moved, this.#end);
    } else {
      const bigger = new Uint8Array(Math.min(this.#buf.length * 2, headBytesMax + headBytesFirst));
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#start -= moved;
    this.#end -= moved;
    return moved;
  }

  /** The head's deadline passed: 408 when part of a head came and no answer is owed (one
   * would be in the middle of an answer otherwise), else close without a word. */
  #expired(): Promise<"done"> | "done" {
    if (this.#end > this.#start && this.#owed.length === 0) return this.#refuse(408);
    this.close();
    return "done";
  }

  /** The client sent its last byte: the inner server finishes what is owed, then both close. */
  #clientLeft(): "done" {
    if (this.#owed.length === 0 || this.#inner === null) this.close();
    else this.#inner.closeWrite().catch(() => this.close());
    return "done";
  }

  /** Answer `status`, stop sending, and read what the client still sends for a moment (a
   * socket closed with unread bytes is reset, and the reset may destroy the answer). */
  async #refuse(status: 408 | 431 | 503): Promise<"done"> {
    const timer = setTimeout(() => this.close(), lingerMs);
    try {
      await writeAll(this.#client, refusal(status, this.#context.headerTimeoutMs));
      await this.#client.closeWrite();
      while (!this.#closed) {
        this.#start = this.#end = 0;
        if ((await this.#read()) === null) break;
      }
    } catch {
      /* the client went away */
    } finally {
      clearTimeout(timer);
      this.close();
    }
    return "done";
  }

  async #connect(): Promise<boolean> {
    try {
      this.#inner = await this.#context.connectInner();
    } catch {
      await this.#refuse(503);
      return false;
    }
    if (this.#closed) {
      this.#inner.close();
      return false;
    }
    this.#answers = this.#pumpAnswers(this.#inner);
    return true;
  }

  /** Forward the head ending at `end` and its body; false when the connection is over. */
  async #forward(end: number, body: number | "chunked"): Promise<boolean> {
    const inner = this.#inner!;
    const chunked = body === "chunked" ? new ChunkedScanner() : null;
    let left = body === "chunked" ? 0 : body;
    let cursor = end;
    for (;;) {
      let complete: boolean;
      if (chunked === null) {
        const take = Math.min(left, this.#end - cursor);
        cursor += take;
        left -= take;
        complete = left === 0;
      } else {
        const found = chunked.scan(this.#buf, cursor, this.#end);
        if (found === -2) return (await this.#passAll(), false);
        complete = found >= 0;
        cursor = complete ? found : this.#end;
      }
      if (cursor > this.#start) await writeAll(inner, this.#buf.subarray(this.#start, cursor));
      this.#start = cursor;
      if (complete) return true;
      this.#start = this.#end = cursor = 0;
      if (this.#buf.length < pipeBytes) this.#buf = new Uint8Array(pipeBytes);
      const got = await this.#read();
      if (got === null) {
        this.#clientLeft();
        return false;
      }
      this.#end = got;
    }
  }

  /** Pass every byte on as it is, from what is buffered to the client's end. */
  async #passAll(): Promise<void> {
    this.#raw = true;
    const inner = this.#inner!;
    for (;;) {
      if (this.#end > this.#start) {
        await writeAll(inner, this.#buf.subarray(this.#start, this.#end));
      }
      if (this.#reading === null) {
        this.#start = this.#end = 0;
        if (this.#buf.length < pipeBytes) this.#buf = new Uint8Array(pipeBytes);
      } else {
        this.#start = this.#end; // a read that lost the race against the deadline lands here
      }
      const got = await this.#read();
      if (got === null) break;
      this.#end += got;
    }
    await inner.closeWrite().catch(() => this.close());
  }

  /** Copy the inner server's answers to the client, counting the complete ones. */
  async #pumpAnswers(inner: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(pipeBytes);
    const scanner = new AnswerScanner();
    const isHead = (k: number) => this.#owed[k] ?? false;
    try {
      for (;;) {
        const n = await inner.read(buf);
        if (n === null) break;
        const done = this.#raw ? 0 : scanner.scan(buf, n, isHead);
        if (done < 0) this.#passThrough();
        await writeAll(this.#client, buf.subarray(0, n));
        if (done > 0) this.#answered(done);
      }
    } catch {
      /* either side closed */
    } finally {
      this.close();
    }
  }

  /** The answers are not framed any more (a 101, say): no more heads, no more deadlines. */
  #passThrough(): void {
    this.#raw = true;
    this.#due = Infinity;
    this.#expiry?.resolve("expired");
  }

  #answered(count: number): void {
    this.#owed.splice(0, count);
    if (this.#owed.length === 0) this.#arm();
  }
}

/** Options of {@linkcode HttpFront}. */
export interface FrontOptions {
  hostname: string;
  port: number;
  /** A request head must be complete this long after its first byte, or after the
   * connection fell idle. */
  headerTimeoutMs: number;
  /** Open a connection to the inner server. */
  connectInner: () => Promise<Deno.Conn>;
}

/**
 * The public TCP listener ({@linkcode FrontOptions}); see the module's documentation.
 *
 * @example
 * ```ts
 * const inner = Deno.serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * const front = new HttpFront({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   headerTimeoutMs: 10_000,
 *   connectInner: () => Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port }),
 * });
 * await front.close();
 * await inner.shutdown();
 * ```
 */
export class HttpFront {
  /** Where it listens. */
  readonly addr: Deno.NetAddr;
  #listener: Deno.TcpListener;
  #context: FrontContext;
  #relays = new Set<Relay>();
  #accepting: Promise<void>;
  #stopped = false;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #sweepMs: number;

  constructor(options: FrontOptions) {
    this.#listener = Deno.listen({ hostname: options.hostname, port: options.port });
    this.addr = this.#listener.addr;
    this.#context = {
      headerTimeoutMs: options.headerTimeoutMs,
      connectInner: options.connectInner,
    };
    // Deadlines are checked this often: a head may get up to a quarter of the timeout (at
    // most 250 ms) more than it.
    this.#sweepMs = Math.max(5, Math.min(250, Math.floor(options.headerTimeoutMs / 4)));
    this.#accepting = this.#accept();
  }

  /** Open client connections. */
  get connections(): number {
    return this.#relays.size;
  }

  /** Stop accepting, and close the connections that owe no answer. */
  stopAccepting(): void {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#listener.close();
    }
    for (const relay of this.#relays) relay.closeIfIdle();
  }

  /**
   * Stop accepting, let connections end by themselves for up to `graceMs` (one whose inner
   * connection closed still passes on its last bytes), close the rest; resolves once they are
   * all gone.
   */
  async close(graceMs = 0): Promise<void> {
    this.stopAccepting();
    await this.#accepting;
    const ended = Promise.all([...this.#relays].map((relay) => relay.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ended, new Promise((resolve) => timer = setTimeout(resolve, graceMs))]);
    clearTimeout(timer);
    for (const relay of this.#relays) relay.close();
    await Promise.all([...this.#relays].map((relay) => relay.done));
  }

  #sweep(): void {
    const now = performance.now();
    for (const relay of this.#relays) relay.sweep(now);
  }

  #forget(relay: Relay): void {
    this.#relays.delete(relay);
    if (this.#relays.size > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  async #accept(): Promise<void> {
    while (!this.#stopped) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopped || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors, say: the connections in hand may free some.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch { /* closed already */ }
      const relay = new Relay(conn, this.#context);
      this.#relays.add(relay);
      this.#sweeper ??= setInterval(() => this.#sweep(), this.#sweepMs);
      relay.done.finally(() => this.#forget(relay));
    }
  }
}

/** The private socket of a data directory's server. */
export function innerSocketPath(dataDir: string): string {
  return `${dataDir}/run/http.sock`;
}

/** A Unix socket path's most bytes (Linux's `sun_path` less its NUL). */
const socketPathMax = 107;

/**
 * Where the real Deno.serve can listen, by the permissions held (checked without prompting):
 * the Unix socket `DIR/run/http.sock` (Deno needs `--allow-net=unix:PATH` for it), else an
 * ephemeral loopback port (`--allow-net=127.0.0.1`), else nowhere (no front).
 */
function innerPlace(path: string): "unix" | "loopback" | null {
  const granted = (host: string) => Deno.permissions.querySync({ name: "net", host }).state;
  const short = new TextEncoder().encode(path).length <= socketPathMax;
  if (short && granted(`unix:${path}`) === "granted") return "unix";
  if (granted("127.0.0.1") === "granted") return "loopback";
  return null;
}

/** The real Deno.serve, private: on `path` (mode 0700 folder) or an ephemeral loopback port. */
async function innerServer(
  place: "unix" | "loopback",
  path: string,
  handler: (request: Request) => Promise<Response>,
): Promise<{ server: Deno.HttpServer; to: InnerAddress }> {
  if (place === "loopback") {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
    return { server, to: { transport: "tcp", port: server.addr.port } };
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = Deno.lstatSync(dir);
  if (!info.isDirectory || info.isSymlink) throw new Error(`${dir} is not a folder`);
  await clearStaleSocket(path);
  const server = Deno.serve({ path, onListen() {} }, handler);
  return { server, to: { transport: "unix", path } };
}

/** Remove a socket that a killed server left; refuse one a live server answers on. */
async function clearStaleSocket(path: string): Promise<void> {
  try {
    Deno.lstatSync(path);
  } catch {
    return; // absent
  }
  try {
    (await Deno.connect({ transport: "unix", path })).close();
  } catch {
    Deno.removeSync(path);
    return;
  }
  throw new Error(`another server answers on ${path}: is this data directory served already?`);
}

/**
 * Deno.serve on a Unix socket names requests `http+unix://…`: give the handler the URL a
 * TCP listener would have given (`http://` and the Host, or `localhost:PORT` without one).
 */
function publicUrl(request: Request, port: number): Request {
  const url = request.url;
  if (!url.startsWith("http+unix://")) return request;
  let rest = url.slice("http+unix://".length);
  if (!request.headers.get("host")) rest = `localhost:${port}${rest.slice(rest.indexOf("/"))}`;
  Object.defineProperty(request, "url", { value: `http://${rest}` });
  return request;
}

/** A server behind its front ({@linkcode listenFronted}). */
export interface FrontedServer {
  /** `http://host:port/`. */
  url: string;
  /** Resolves once the public address takes connections (or could not: `failed` said so). */
  listening: Promise<void>;
  /** Stop taking connections and requests, finish those in progress, close everything. */
  shutdown(): Promise<void>;
}

/**
 * Serve `handler` on `host:port` behind an {@linkcode HttpFront} in its own Worker
 * ({@linkcode FrontClient}), the real Deno.serve on a
 * private Unix socket in `DIR/run/` (only this user can reach it; see {@linkcode innerPlace}
 * for the fallbacks). Without the permission for either, it serves as before without a front
 * (no header timeout) and logs a warning naming the grant; so it does, without the warning,
 * with a header timeout of 0. Throws {@linkcode ServerStartError}
 * when the public address cannot be listened on.
 */
export function listenFronted(
  settings: {
    host: string;
    port: number;
    dataDir: string;
    headerTimeoutMs: number;
    log: (line: string, level?: "warn") => void;
    /** The real server could not listen (it is set up just after this returns). */
    failed: (error: ServerStartError) => void;
  },
  handler: (request: Request) => Promise<Response>,
): FrontedServer {
  const path = innerSocketPath(settings.dataDir);
  const place = settings.headerTimeoutMs === 0 ? null : innerPlace(path);
  if (place === null && settings.headerTimeoutMs === 0) {
    return unfronted(settings, handler);
  }
  if (place === null) {
    settings.log(
      `cellar serve: no header timeout: the server needs --allow-net=unix:${path} for its ` +
        `private socket (see docs/RELIABILITY.md)`,
      "warn",
    );
    return unfronted(settings, handler);
  }
  const addr = checkListen(settings);
  const port = addr.port;
  const front = new FrontClient(
    { hostname: addr.hostname, port, headerTimeoutMs: settings.headerTimeoutMs },
    settings.failed,
  );
  const inner = innerServer(place, path, (request) => handler(publicUrl(request, port))).then(
    (s) => (front.inner(s.to), s),
    (cause) => {
      front.inner(null); // connections are refused with 503
      const message = `Cannot open the server's private socket ${path}: ${describe(cause)}`;
      settings.failed(new ServerStartError(message, { cause }));
      return null;
    },
  );
  const h = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${h}:${port}/`,
    listening: front.listening,
    shutdown: async () => {
      await front.stopAccepting();
      await (await inner)?.server.shutdown();
      await front.close(2000);
    },
  };
}

/** Deno.serve listening itself, without a front. */
function unfronted(
  settings: { host: string; port: number },
  handler: (request: Request) => Promise<Response>,
): FrontedServer {
  const { server, url } = listen(settings, handler);
  return { url, listening: Promise.resolve(), shutdown: () => server.shutdown() };
}

/**
 * Whether the public address can be listened on, now, so a busy port or a missing grant fails
 * before any Worker starts: listen, note the address, close; the front's Worker then listens
 * on it. Throws {@linkcode ServerStartError}.
 */
function checkListen(settings: { host: string; port: number }): Deno.NetAddr {
  const { host, port } = settings;
  try {
    const listener = Deno.listen({ hostname: host, port });
    const addr = listener.addr;
    listener.close();
    return addr;
  } catch (cause) {
    const hint = cause instanceof Deno.errors.NotCapable
      ? ` (grant --allow-net=${host}:${port})`
      : "";
    throw new ServerStartError(`Cannot listen on ${host}:${port}: ${describe(cause)}${hint}`, {
      cause,
    });
  }
}
