/**
 * A connection to a NATS cluster, and the names an app's cluster state lives under.
 *
 * One app (`--app NAME`) owns three JetStream assets, all named from the app name:
 *
 *   stream        CELLAR_<NAME>           subject cellar.<name>.events   the event log of record
 *   KV bucket     cellar_<name>_lease     key "leader"                   the leadership lease
 *   object store  cellar_<name>_snapshots one object per snapshot        bootstrap snapshots
 *   KV bucket     cellar_<name>_members   one key per member             what members report
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { ArgumentError } from "../core/errors.ts";
import { toClusterError } from "./errors.ts";

export { clusterNames } from "./names.ts";
export type { ClusterNames } from "./names.ts";

export type { NatsConnection };

/** Options of {@linkcode connectCluster}. */
export interface ConnectOptions {
  /** The connection's name, shown by the servers' monitoring (default `cellar`). */
  name?: string;
  /** Milliseconds to wait for the first connection (default 5000). */
  timeoutMs?: number;
  /** Milliseconds between reconnect attempts after a server is lost (default 250). */
  reconnectWaitMs?: number;
}

/**
 * Connect to a NATS cluster at `urls` (`nats://host:port`, any member; the client learns the
 * rest). The connection reconnects without limit, moving to another member when one is
 * lost, until it is closed. Throws `ClusterUnavailableError` when no member answers.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * await nc.close();
 * ```
 */
export async function connectCluster(
  urls: readonly string[],
  options: ConnectOptions = {},
): Promise<NatsConnection> {
  if (urls.length === 0) throw new ArgumentError("Cannot connect to NATS: no URL given");
  try {
    return await connect({
      servers: [...urls],
      name: options.name ?? "cellar",
      timeout: options.timeoutMs ?? 5000,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectWaitMs ?? 250,
    });
  } catch (error) {
    throw toClusterError(error, `connect to NATS at ${urls.join(",")}`);
  }
}
