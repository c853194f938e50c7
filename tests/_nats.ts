/**
 * Test harness for cluster mode: one three-node NATS JetStream cluster on 127.0.0.1 per test
 * (see tools/nats.ts), always stopped at the end, and connections that are always closed.
 * The tests are skipped, with a message, only when the nats-server binary is absent.
 *
 * @module
 */

import { findNatsServer, LocalCluster } from "../tools/nats.ts";
import { connectCluster } from "../src/cluster/connection.ts";
import type { NatsConnection } from "../src/cluster/connection.ts";

export { LocalCluster };

const binary = findNatsServer();

/** Whether nats-server is installed. Cluster tests are ignored when it is not. */
export const hasNatsServer: boolean = binary.found;

if (!hasNatsServer) {
  console.warn(
    `Skipping cluster tests: no nats-server at ${binary.path} ` +
      "(./cellar tools installs the pinned one; or set CELLAR_NATS_SERVER)",
  );
}

/** What a cluster test gets: the cluster, and a way to open connections closed for it. */
export interface ClusterContext {
  cluster: LocalCluster;
  /** A connection to every member (closed at the end of the test). */
  connect(): Promise<NatsConnection>;
}

/**
 * `Deno.test` with a fresh three-node cluster: steps of `fn` share it. The cluster is
 * stopped and every connection made through the context closed, whatever happens.
 */
export function clusterTest(
  name: string,
  fn: (t: Deno.TestContext, c: ClusterContext) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !hasNatsServer,
    fn: async (t) => {
      const cluster = await LocalCluster.start();
      const connections: NatsConnection[] = [];
      const context: ClusterContext = {
        cluster,
        connect: async () => {
          const nc = await connectCluster(cluster.urls, { name: `test ${connections.length}` });
          connections.push(nc);
          return nc;
        },
      };
      try {
        await fn(t, context);
      } finally {
        await Promise.all(connections.map((nc) => nc.close().catch(() => {})));
        await cluster.stop();
      }
    },
  });
}

/** Options of {@linkcode retryFor}. */
export interface RetryOptions {
  /** Milliseconds between attempts (default 100). */
  pauseMs?: number;
  /** Which errors are worth another attempt (default: all); others are thrown at once. */
  retryIf?: (error: unknown) => boolean;
}

/**
 * Call `attempt` until it returns without throwing, at most until `timeoutMs` has passed;
 * the last error is thrown when time runs out.
 */
export async function retryFor<T>(
  timeoutMs: number,
  attempt: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const pauseMs = options.pauseMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      return await attempt();
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error;
      if (Date.now() + pauseMs >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
