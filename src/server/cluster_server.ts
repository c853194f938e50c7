/**
 * Cluster mode's wiring into the server (`server.ts`): the member, its gate in front of the
 * routes, and its state in `/status` and `/metrics`.
 *
 * @module
 */

import { clusterGate } from "./cluster_http.ts";
import { ClusterMember } from "./cluster_member.ts";
import type { MemberWriter } from "./cluster_member.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import type { ClusterWriterReply } from "./cluster_protocol.ts";
import type { Observability } from "./observability.ts";
import { serveRequest } from "./routes.ts";
import type { RouteContext } from "./routes.ts";

/** The cluster part of a running server. */
export interface ClusterServer {
  member: ClusterMember;
  /** Give the member the writer, the server's URL and what to do when the state diverged. */
  attach(writer: MemberWriter, url: string, diverged: (alarm: string) => void): void;
  /** The writer booted at `event`. */
  booted(event: bigint): void;
  /** A cluster message of the writer. */
  handle(message: ClusterWriterReply): void;
  /** Answer a request: the cluster's gate, then the routes. */
  serve(context: RouteContext, request: Request): Promise<Response>;
  close(): Promise<void>;
  /** After the writer closed: move a divergent local state aside into `quarantine/`. */
  afterClose(): void;
}

/** The members of a data directory that hold its state (moved aside when it diverged). */
const stateMembers = ["log.sqlite", "log.sqlite-wal", "log.sqlite-shm", "pma", "snapshots"];

/** Move the state of `dir` into `dir/quarantine/<time>-cluster-tail/`; returns that path. */
export function quarantineState(dir: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const to = `${dir}/quarantine/${stamp}-cluster-tail`;
  Deno.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const name of stateMembers) {
    try {
      Deno.renameSync(`${dir}/${name}`, `${to}/${name}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return to;
}

/** The member of `settings`, reporting through `observability`. */
export function startCluster(
  settings: ClusterSettings,
  observability: Observability,
  log: (line: string) => void,
): ClusterServer {
  const member = new ClusterMember(settings, log);
  // A leader's committed event is the writer's (answered pokes included); a follower's, the
  // last batch it applied.
  const committed = () => {
    const writer = observability.latest?.status.eventNumber ?? 0n;
    return writer > member.applied || member.role === "leader" ? writer : member.applied;
  };
  member.committed = committed;
  observability.cluster = () => member.status(committed());
  return {
    member,
    attach: (writer, url, diverged) => {
      member.attach(writer, url);
      member.onDiverged = diverged;
    },
    booted: (event) => {
      member.start(event).catch((error) => member.raise(`the member failed: ${error}`));
    },
    handle: (message) => member.handle(message),
    serve: async (context, request) => {
      const early = await clusterGate(member, request, committed);
      if (early !== null) {
        context.observability.responses.inc(String(early.status));
        return early;
      }
      return await serveRequest(context, request);
    },
    close: () => member.close(),
    afterClose: () => {
      if (!member.diverged) return;
      const to = quarantineState(settings.dataDir);
      log(`cellar serve: cluster: the divergent local state was moved to ${to}`);
    },
  };
}
