/**
 * The `http` driver of `cellar run --http-kernel`: the kernel serves HTTP, in NockApp's
 * HTTP-driver shapes (see `http_kernel.ts`, shared with `cellar serve --http-kernel`).
 * Requests are poked through the driver host on `[%http 1 %req ~]`; the kernel's `%res`,
 * `%cache`, `%htmx` and `%h-cache` effects come back to this driver.
 *
 * @module
 */

import { NockError } from "../core/errors.ts";
import { driverWire } from "./driver.ts";
import type { DeliveredEffect, Driver, DriverContext } from "./driver.ts";
import {
  answerTags,
  checkMount,
  defaultResponseLimit,
  KernelHttp,
  parseAnswer,
  plainResponse,
  requestNoun,
} from "./http_kernel.ts";
import type { KernelHttpOptions, SendOutcome } from "./http_kernel.ts";

/** Options of {@linkcode httpDriver}. */
export interface HttpDriverOptions extends Omit<KernelHttpOptions, "readBody"> {
  /** Port to listen on (0: any free one). */
  port: number;
  /** Address (default 127.0.0.1). */
  hostname?: string;
  /** Largest response body the kernel may send (default 16 MiB; 502 past it). */
  responseLimit?: number;
  /** Called with the URL once listening. */
  onListen?: (url: string) => void;
}

const requestWire = driverWire("http", "req");

/**
 * The HTTP driver: the kernel serves HTTP in NockApp's shapes (`[%req …]` causes on
 * `[%http 1 %req ~]`, answered by its `%res` / `%cache` effects; see docs/KERNELS.md). It
 * listens when the host starts it and stops listening when the host stops; until then it
 * keeps the host pending (a run does not end by itself while it serves).
 *
 * @example
 * ```ts
 * import { Runtime } from "../runtime/runtime.ts";
 * import { DriverHost } from "./host.ts";
 * import { httpDriver } from "./http.ts";
 *
 * const host = new DriverHost([
 *   httpDriver({ port: 0, onListen: (url) => console.log(`the kernel serves ${url}`) }),
 * ]);
 * const runtime = Runtime.open({
 *   dataDir: Deno.makeTempDirSync(),
 *   kernel: Deno.readFileSync("examples/guestbook.jam"),
 *   onComputed: host.onComputed,
 * });
 * await host.start(runtime);
 * // … serve until done, then:
 * await host.stop();
 * runtime.close();
 * ```
 */
export function httpDriver(options: HttpDriverOptions): Driver {
  return new HttpDriver(options);
}

class HttpDriver implements Driver {
  readonly name = "http";
  readonly tags = answerTags;
  readonly #options: HttpDriverOptions;
  #server: Deno.HttpServer | null = null;
  #front: KernelHttp | null = null;
  #stopped = false;

  constructor(options: HttpDriverOptions) {
    this.#options = { ...options, mount: checkMount(options.mount) };
  }

  start(context: DriverContext): void {
    const o = this.#options;
    const front = new KernelHttp(o, (request) => send(context, request), context.log);
    this.#front = front;
    this.#server = Deno.serve({
      port: o.port,
      hostname: o.hostname ?? "127.0.0.1",
      onListen: ({ hostname, port }) => o.onListen?.(`http://${hostname}:${port}${o.mount}/`),
    }, (request) => front.serve(request));
  }

  pending(): boolean {
    return !this.#stopped;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#front?.stop();
    await this.#server?.shutdown();
  }

  handle({ effect, tag }: DeliveredEffect): void {
    const parsed = parseAnswer(effect, this.#options.responseLimit ?? defaultResponseLimit);
    this.#front?.take({ tag, parsed });
  }
}

/** Poke a request through the host. */
async function send(
  context: DriverContext,
  request: Parameters<typeof requestNoun>[0],
): Promise<SendOutcome> {
  const outcome = await context.poke(requestNoun(request), requestWire);
  if (outcome.ok) return { ok: true };
  if (outcome.stopped) return { ok: false, refused: plainResponse(503, "The server is stopping") };
  return { ok: false, crash: crashText(outcome.error) };
}

function crashText(error: unknown): string {
  if (error instanceof NockError) {
    return [error.message, ...error.trace.map((l) => `  ${l}`)].join("\n");
  }
  return error instanceof Error ? error.message : String(error);
}
