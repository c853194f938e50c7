/**
 * The front's Worker (`src/server/front_client.ts`, `front_worker.ts`): it listens where it is
 * told, relays to the inner server it is given, times heads out, refuses with 503 while the
 * inner server is missing, reports a failed listen, and stops when asked.
 */

import assert from "node:assert/strict";
import { FrontClient } from "../src/server/front_client.ts";
import type { ServerStartError } from "../src/server/options.ts";

/** A free loopback port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Send `text` on a new connection to `port` and read everything until it closes. */
async function exchange(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("front client: the Worker relays, times heads out and stops when asked", async () => {
  const inner = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => new Response(`hi ${new URL(request.url).pathname}`),
  );
  const failures: ServerStartError[] = [];
  const port = freePort();
  const front = new FrontClient(
    { hostname: "127.0.0.1", port, headerTimeoutMs: 200 },
    (error) => failures.push(error),
  );
  await front.listening;
  front.inner({ transport: "tcp", port: inner.addr.port });
  const answer = await exchange(port, "GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhi \/x$/);
  const started = performance.now();
  const late = await exchange(port, "GET / HTTP/1.1\r\nhost: a\r\n");
  assert.match(late, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.ok(performance.now() - started >= 200);
  await front.stopAccepting();
  await inner.shutdown();
  await front.close(1000);
  assert.deepEqual(failures, []);
});

Deno.test("front client: no inner server means 503, a taken port is reported", async () => {
  const port = freePort();
  const front = new FrontClient({ hostname: "127.0.0.1", port, headerTimeoutMs: 5000 }, () => {
    throw new Error("The front should have listened");
  });
  await front.listening;
  front.inner(null);
  const answer = await exchange(port, "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  assert.match(answer, /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*"ShuttingDown"/);
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  const connected = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50)); // accepted by the Worker
  await front.stopAccepting(); // closes the connections that owe no answer, long before
  assert.equal(await idle.read(new Uint8Array(16)), null); // their header timeout
  assert.ok(performance.now() - connected < 4000);
  idle.close();
  await front.close(0);

  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const failed = Promise.withResolvers<ServerStartError>();
  const other = new FrontClient(
    { hostname: "127.0.0.1", port: taken.addr.port, headerTimeoutMs: 1000 },
    failed.resolve,
  );
  const error = await failed.promise;
  assert.equal(error.name, "ServerStartError");
  assert.match(error.message, /^Cannot listen on 127\.0\.0\.1:\d+: /);
  await other.listening; // resolved by the failure, as are the waits of a shutdown
  await other.stopAccepting();
  await other.close(0);
  taken.close();
});
