/**
 * The Worker that runs the server's {@linkcode HttpFront} (see `front_client.ts`): it listens
 * on the public address and relays to the real Deno.serve on the main thread.
 *
 * @module
 */

import { describe } from "./options.ts";
import { HttpFront } from "./http_front.ts";
import type { FrontReply, FrontRequest, InnerAddress } from "./front_client.ts";

const port = self as unknown as Worker;
let front: HttpFront | null = null;
const inner = Promise.withResolvers<InnerAddress>();
inner.promise.catch(() => {}); // connections are refused with 503 meanwhile

function send(message: FrontReply): void {
  port.postMessage(message);
}

function connectInner(): Promise<Deno.Conn> {
  return inner.promise.then((to): Promise<Deno.Conn> =>
    to.transport === "unix"
      ? Deno.connect({ transport: "unix", path: to.path })
      : Deno.connect({ hostname: "127.0.0.1", port: to.port })
  );
}

function start(request: Extract<FrontRequest, { type: "start" }>): void {
  const { hostname, port, headerTimeoutMs } = request;
  try {
    front = new HttpFront({ hostname, port, headerTimeoutMs, connectInner });
  } catch (error) {
    send({ type: "failed", message: `Cannot listen on ${hostname}:${port}: ${describe(error)}` });
    return;
  }
  send({ type: "listening" });
}

async function receive(request: FrontRequest): Promise<void> {
  switch (request.type) {
    case "start":
      return start(request);
    case "inner":
      if (request.to === null) inner.reject(new Error("The inner server did not start"));
      else inner.resolve(request.to);
      return;
    case "stopAccepting":
      front?.stopAccepting();
      return send({ type: "stopped" });
    case "close":
      await front?.close(request.graceMs);
      return send({ type: "closed" });
  }
}

port.onmessage = (event: MessageEvent<FrontRequest>) => void receive(event.data);
