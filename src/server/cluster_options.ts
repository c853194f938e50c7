/**
 * The cluster options of `cellar serve` (`--cluster URLS --app NAME [--follow]
 * [--advertise URL] [--replicate sync|async] [--lease-ms N] [--auto-failover]
 * [--keep-snapshots N]`), checked.
 *
 * @module
 */

import { clusterNames } from "../cluster/names.ts";
import type { ClusterWriterConfig, ReplicateMode } from "./cluster_protocol.ts";

/** Cluster mode as `startServer` takes it. */
export interface ClusterOptions {
  /** NATS URLs (`nats://host:port`), any members of the cluster. */
  urls: string[];
  /** The app: names its stream, lease bucket and snapshot bucket. */
  app: string;
  /** Never take the lease by itself (unless `autoFailover`): a follower. */
  follow?: boolean;
  /** Where other members and clients are sent (default: the server's own URL). */
  advertise?: string;
  /** `sync` (default): publish, then commit and answer; `async`: commit, answer, publish. */
  replicate?: ReplicateMode;
  /** Lease TTL in milliseconds (default 5000). */
  leaseMs?: number;
  /** A follower that sees the lease expire takes it and leads. */
  autoFailover?: boolean;
  /**
   * The leader keeps this many of the newest snapshots in the bucket and drops the stream's
   * events before the oldest of them (default 0: keeps every snapshot and event).
   */
  keepSnapshots?: number;
}

/** {@linkcode ClusterOptions} checked, with the writer's shared flags. */
export interface ClusterSettings {
  urls: string[];
  app: string;
  follow: boolean;
  advertise?: string;
  replicate: ReplicateMode;
  leaseMs: number;
  autoFailover: boolean;
  /** Snapshots the leader keeps (0: all, and the stream keeps every event). */
  keepSnapshots: number;
  /** The member's data directory (where `cellar cluster promote` leaves its request). */
  dataDir: string;
  /** Who this member is in the lease and the member list: host, port and a random tag. */
  holder: string;
  writer: ClusterWriterConfig;
}

/** Check `options`; throws what `fail` makes of the first bad one. */
export function clusterSettings(
  options: ClusterOptions,
  host: string | undefined,
  port: number,
  dataDir: string,
  fail: (message: string) => Error,
): ClusterSettings {
  if (options.urls.length === 0) throw fail("Bad --cluster: no NATS URL given");
  for (const url of options.urls) {
    if (!/^(nats|tls):\/\/[^\s/]+$/.test(url)) {
      throw fail(`Bad --cluster: '${url}' is not a nats://host:port URL`);
    }
  }
  try {
    clusterNames(options.app);
  } catch (error) {
    throw fail(`Bad --app: ${error instanceof Error ? error.message : error}`);
  }
  const leaseMs = options.leaseMs ?? 5000;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 200) {
    throw fail(`Bad --lease-ms: ${leaseMs} (at least 200)`);
  }
  const replicate = options.replicate ?? "sync";
  if (replicate !== "sync" && replicate !== "async") {
    throw fail(`Bad --replicate: '${replicate}' (sync or async)`);
  }
  if (options.advertise !== undefined && !/^https?:\/\/[^\s]+$/.test(options.advertise)) {
    throw fail(`Bad --advertise: '${options.advertise}' is not an http(s) URL`);
  }
  const keepSnapshots = options.keepSnapshots ?? 0;
  if (!Number.isSafeInteger(keepSnapshots) || keepSnapshots < 0) {
    throw fail(`Bad --keep-snapshots: ${keepSnapshots} (0 or more)`);
  }
  const tag = crypto.randomUUID().slice(0, 8);
  return {
    urls: [...options.urls],
    app: options.app,
    follow: options.follow ?? false,
    advertise: options.advertise,
    replicate,
    leaseMs,
    autoFailover: options.autoFailover ?? false,
    keepSnapshots,
    dataDir,
    holder: `${host ?? "127.0.0.1"}:${port}/${tag}`,
    // The verdict waits at most the lease: past it this member could not lead anyway.
    writer: { replicate, flags: new SharedArrayBuffer(12), verdictTimeoutMs: leaseMs + 1000 },
  };
}
