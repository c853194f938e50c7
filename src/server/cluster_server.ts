/**
 * Cluster mode's wiring into the server (`server.ts`): the member, its gate in front of the
 * routes, and its state in `/status` and `/metrics`.
 *
 * @module
 */

import { clusterGate } from "./cluster_http.ts";
import type { ClusterMember, ClusterStatus, MemberWriter } from "./cluster_member.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import type { ClusterWriterReply } from "./cluster_protocol.ts";
import type { Observability } from "./observability.ts";
import { serveRequest } from "./routes.ts";
import type { RouteContext } from "./routes.ts";

/** The cluster part of a running server. */
export interface ClusterServer {
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

/** The state `/status` shows before the member's module is loaded. */
function startingStatus(settings: ClusterSettings): ClusterStatus {
  return {
    app: settings.app,
    role: "starting",
    holder: settings.holder,
    url: "",
    leader: null,
    eventNumber: 0n,
    streamEvent: 0n,
    lagEvents: 0,
    lagMs: 0,
    replicate: settings.replicate,
    alarm: null,
  };
}

/**
 * The member of `settings`, reporting through `observability`. The member and the NATS
 * client are loaded here, on demand (a dynamic import), so that a server or an import of
 * the package without cluster mode never loads the client.
 */
export function startCluster(
  settings: ClusterSettings,
  observability: Observability,
  log: (line: string) => void,
): ClusterServer {
  let member: ClusterMember | null = null;
  const loading = import("./cluster_member.ts").then((m) => {
    member = new m.ClusterMember(settings, log);
    member.committed = committed;
    return member;
  });
  // A leader's committed event is the writer's (answered pokes included); a follower's, the
  // last batch it applied.
  const committed = () => {
    const writer = observability.latest?.status.eventNumber ?? 0n;
    if (member === null) return writer;
    return writer > member.applied || member.role === "leader" ? writer : member.applied;
  };
  observability.cluster = () => member?.status(committed()) ?? startingStatus(settings);
  return {
    attach: (writer, url, diverged) =>
      void loading.then((m) => {
        m.attach(writer, url);
        m.onDiverged = diverged;
      }),
    booted: (event) =>
      void loading.then((m) =>
        m.start(event).catch((error) => m.raise(`the member failed: ${error}`))
      ),
    handle: (message) => void loading.then((m) => m.handle(message)),
    serve: async (context, request) => {
      const m = member ?? await loading;
      const early = await clusterGate(m, request, committed);
      if (early !== null) {
        context.observability.responses.inc(String(early.status));
        return early;
      }
      return await serveRequest(context, request);
    },
    close: async () => await (await loading).close(),
    afterClose: () => {
      if (member === null || !member.diverged) return;
      const to = quarantineState(settings.dataDir);
      log(`cellar serve: cluster: the divergent local state was moved to ${to}`);
    },
  };
}
