/**
 * Cluster mode's wiring into the server (`server.ts`): the bootstrap of a new directory
 * from a snapshot, the member, its gate in front of the routes, and its state in `/status`
 * and `/metrics`.
 *
 * @module
 */

import { clusterGate } from "./cluster_http.ts";
import type { ClusterMember, ClusterStatus, MemberWriter } from "./cluster_member.ts";
import type { ClusterSettings } from "./cluster_options.ts";
import type { ClusterWriterReply } from "./cluster_protocol.ts";
import type { Observability } from "./observability.ts";

/** The cluster part of a running server. */
export interface ClusterServer {
  /** Settles once a new data directory was bootstrapped (the runtime opens it after). */
  prepared: Promise<void>;
  /** Give the member the writer, the server's URL and what to do when the state diverged. */
  attach(writer: MemberWriter, url: string, diverged: (alarm: string) => void): void;
  /** The writer booted at `event`. */
  booted(event: bigint): void;
  /** A cluster message of the writer. */
  handle(message: ClusterWriterReply): void;
  /**
   * Answer a request: the cluster's gate, then `front` (the routes, or with `--http-kernel`
   * the kernel's routes and the API under `/_cellar/`).
   */
  serve(request: Request, front: (request: Request) => Promise<Response>): Promise<Response>;
  close(): Promise<void>;
  /** After the writer closed: move a divergent local state aside into `quarantine/`. */
  afterClose(): void;
}

/**
 * The members of a data directory that hold its state (moved aside when it diverged). The
 * timer table goes too: it derives from the events set aside, and is rebuilt from the stream.
 */
const stateMembers = [
  "log.sqlite",
  "log.sqlite-wal",
  "log.sqlite-shm",
  "pma",
  "snapshots",
  "timers.sqlite",
  "timers.sqlite-wal",
  "timers.sqlite-shm",
];

/**
 * Move the state of `dir` into `dir/quarantine/<time>-<why>/` (`cluster-tail` by default);
 * returns that path.
 */
export function quarantineState(dir: string, why = "cluster-tail"): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const to = `${dir}/quarantine/${stamp}-${why}`;
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
 * The member of `settings`, reporting through `observability`; `server` gives the log and
 * the kernel (the jam a new directory is bootstrapped with). The member and the NATS
 * client are loaded here, on demand (a dynamic import), so that a server or an import of
 * the package without cluster mode never loads the client.
 */
export function startCluster(
  settings: ClusterSettings,
  observability: Observability,
  server: {
    log: (line: string) => void;
    kernel?: Uint8Array;
    httpKernel?: { mount: string } | null;
  },
): ClusterServer {
  const { log, kernel } = server;
  const mount = server.httpKernel?.mount ?? null;
  let member: ClusterMember | null = null;
  let stopped = false;
  const say = (line: string) => log(`cellar serve: cluster: ${line}`);
  const prepared = import("./cluster_snapshots.ts").then((m) =>
    m.hasLog(settings.dataDir)
      ? undefined
      : m.bootstrapNewMember(settings, kernel, say, () => stopped)
  ).catch((error) => say(`the bootstrap failed: ${error}`));
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
    prepared,
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
    serve: async (request, front) => {
      const m = member ?? await loading;
      const early = await clusterGate(m, request, committed, mount);
      if (early !== null) {
        observability.responses.inc(String(early.status));
        return early;
      }
      return await front(request);
    },
    close: async () => {
      stopped = true;
      await (await loading).close();
    },
    afterClose: () => {
      if (member === null || !member.diverged) return;
      const to = quarantineState(settings.dataDir, member.behind ? "behind-stream" : undefined);
      say(
        member.behind
          ? `the local state, older than the stream, was moved to ${to}; the next start ` +
            "bootstraps from a snapshot"
          : `the divergent local state was moved to ${to}`,
      );
    },
  };
}
