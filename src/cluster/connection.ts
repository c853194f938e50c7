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

export type { NatsConnection };

/** The JetStream names of one app. */
export interface ClusterNames {
  /** The app name as given. */
  app: string;
  /** The event stream, `CELLAR_<APP>`. */
  stream: string;
  /** The stream's one subject, `cellar.<app>.events`. */
  subject: string;
  /** The lease KV bucket, `cellar_<app>_lease`. */
  leaseBucket: string;
  /** The snapshot object store, `cellar_<app>_snapshots`. */
  snapshotBucket: string;
  /** The KV bucket where members report themselves, `cellar_<app>_members`. */
  memberBucket: string;
}

const appPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The names of `app`'s stream, lease bucket and snapshot bucket. An app name is 1 to 63
 * characters of `a-z 0-9 _ -` starting with a letter or digit, so that it is one subject
 * token and a valid stream and bucket name; anything else throws {@linkcode ArgumentError}.
 *
 * @example
 * ```ts
 * import { clusterNames } from "./connection.ts";
 * console.log(clusterNames("kv").stream); // CELLAR_KV
 * ```
 */
export function clusterNames(app: string): ClusterNames {
  if (!appPattern.test(app)) {
    throw new ArgumentError(
      `Invalid app name: ${JSON.stringify(app)} (1 to 63 of a-z 0-9 _ -, starting with a-z 0-9)`,
    );
  }
  return {
    app,
    stream: `CELLAR_${app.toUpperCase()}`,
    subject: `cellar.${app}.events`,
    leaseBucket: `cellar_${app}_lease`,
    snapshotBucket: `cellar_${app}_snapshots`,
    memberBucket: `cellar_${app}_members`,
  };
}

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
