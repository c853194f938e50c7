/**
 * A local NATS JetStream cluster on 127.0.0.1, for development, tests and benchmarks: three
 * (or `nodes`) `nats-server` processes with free client, route and monitoring ports, each
 * with its own store folder, all listening on loopback only.
 *
 * The binary is the pinned one `./cellar tools` installs (`.tools/nats/bin/nats-server`), or
 * `$CELLAR_NATS_SERVER`. Run a cluster until Ctrl-C:
 *
 *   deno run --allow-read --allow-write --allow-run --allow-net=127.0.0.1 \
 *     --allow-env=CELLAR_NATS_SERVER tools/nats.ts [--dir DIR] [--nodes N]
 *
 * It prints the client URLs (give them to `--cluster`). With `--dir` the store folders are
 * kept there across runs; without it they go to a temp folder that is removed on exit.
 *
 * @module
 */

/** Where the nats-server binary is, and whether it is there. */
export interface NatsServerBinary {
  path: string;
  found: boolean;
}

/** The nats-server binary: `$CELLAR_NATS_SERVER`, else `.tools/nats/bin/nats-server` here. */
export function findNatsServer(): NatsServerBinary {
  const fromEnv = Deno.env.get("CELLAR_NATS_SERVER");
  const path = fromEnv ||
    decodeURIComponent(new URL("../.tools/nats/bin/nats-server", import.meta.url).pathname);
  try {
    return { path, found: Deno.statSync(path).isFile };
  } catch {
    return { path, found: false };
  }
}

/** Options of {@linkcode LocalCluster.start}. */
export interface LocalClusterOptions {
  /** Number of servers (default 3). */
  nodes?: number;
  /** Folder for the store folders and logs (default: a temp folder, removed by `stop`). */
  dir?: string;
  /** Milliseconds to wait for the cluster to be ready (default 20000). */
  readyTimeoutMs?: number;
  /** The binary (default {@linkcode findNatsServer}). */
  binary?: string;
}

/** One server of a {@linkcode LocalCluster}. */
export interface LocalNode {
  /** Server name, `n1`, `n2`, ... */
  name: string;
  /** Client URL, `nats://127.0.0.1:PORT`. */
  url: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  storeDir: string;
  logFile: string;
}

const host = "127.0.0.1";

/**
 * A running local cluster. Always `stop()` it (in a `finally`): it ends every server it
 * started, and removes its temp folder.
 *
 * @example
 * ```ts
 * import { LocalCluster } from "./nats.ts";
 * const cluster = await LocalCluster.start();
 * try {
 *   console.log(cluster.urls.join(","));
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 */
export class LocalCluster {
  /** The servers, in start order. */
  readonly nodes: readonly LocalNode[];
  readonly #binary: string;
  readonly #dir: string;
  readonly #ownsDir: boolean;
  readonly #children: (Deno.ChildProcess | undefined)[];
  readonly #exited: boolean[];
  /** Set when this harness ended the server (kill or stop), so its exit is no failure. */
  readonly #ended: boolean[];
  /** The copies of each server's stderr to `<log>.stderr`, done when the server exits. */
  readonly #stderr: Promise<void>[] = [];
  readonly #onUnload = () => this.#killAll();

  private constructor(binary: string, dir: string, ownsDir: boolean, nodes: LocalNode[]) {
    this.#binary = binary;
    this.#dir = dir;
    this.#ownsDir = ownsDir;
    this.nodes = nodes;
    this.#children = nodes.map(() => undefined);
    this.#exited = nodes.map(() => true);
    this.#ended = nodes.map(() => false);
  }

  /** Start the servers and wait until JetStream has a meta leader that all of them know. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const binary = options.binary ?? findNatsServer().path;
    const count = options.nodes ?? 3;
    const dir = options.dir ?? await Deno.makeTempDir({ prefix: "cellar-nats-" });
    const ports = await freePorts(count * 3);
    const nodes: LocalNode[] = [];
    for (let i = 0; i < count; i++) {
      const name = `n${i + 1}`;
      nodes.push({
        name,
        url: `nats://${host}:${ports[i * 3]}`,
        clientPort: ports[i * 3],
        routePort: ports[i * 3 + 1],
        monitorPort: ports[i * 3 + 2],
        storeDir: `${dir}/${name}`,
        logFile: `${dir}/${name}.log`,
      });
    }
    const cluster = new LocalCluster(binary, dir, options.dir === undefined, nodes);
    globalThis.addEventListener("unload", cluster.#onUnload);
    try {
      for (let i = 0; i < count; i++) cluster.#spawn(i);
      await cluster.waitReady(options.readyTimeoutMs);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Client URLs of every server (running or not). */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** True while server `index` runs. */
  isRunning(index: number): boolean {
    return !this.#exited[index];
  }

  /** SIGKILL server `index` and wait for it to exit. */
  async kill(index: number): Promise<void> {
    const child = this.#children[index];
    if (child === undefined || this.#exited[index]) return;
    this.#ended[index] = true;
    child.kill("SIGKILL");
    await child.status;
    await this.#stderr[index];
  }

  /** Start server `index` again (same ports and store) and wait until the cluster is ready. */
  async restart(index: number, readyTimeoutMs?: number): Promise<void> {
    if (!this.#exited[index]) throw new Error(`Cannot restart ${this.nodes[index].name}: running`);
    this.#spawn(index);
    await this.waitReady(readyTimeoutMs);
  }

  /**
   * Wait (at most `timeoutMs`, default 20000) until every running server answers its health
   * check and all of them name the same JetStream meta leader.
   */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      const dead = this.nodes.findIndex((_, i) => this.#exited[i] && !this.#ended[i]);
      if (dead >= 0) {
        // Exited on its own (a port taken, a bad flag): waiting longer cannot help.
        throw new Error(`nats-server ${this.nodes[dead].name} exited: ${this.logTail(dead)}`);
      }
      const leaders = await Promise.all(
        this.nodes.map((n, i) => this.#exited[i] ? Promise.resolve("-") : metaLeader(n)),
      );
      const running = leaders.filter((l) => l !== "-");
      if (running.length > 0 && running.every((l) => l !== "" && l === running[0])) return;
      last = this.nodes.map((n, i) => `${n.name}: ${leaders[i] || "no leader"}`).join(", ");
      await delay(100);
    }
    throw new Error(`NATS cluster not ready after ${timeoutMs} ms (${last})`);
  }

  /** The last `lines` lines of server `index`'s log and of its stderr. */
  logTail(index: number, lines = 20): string {
    const tail = (path: string) => {
      try {
        return Deno.readTextFileSync(path).trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    };
    const log = this.nodes[index].logFile;
    return [tail(log), tail(`${log}.stderr`)].filter((t) => t !== "").join("\n") || "(no log)";
  }

  /** End every server (SIGTERM, then SIGKILL after 5 s) and remove the temp folder. */
  async stop(): Promise<void> {
    globalThis.removeEventListener("unload", this.#onUnload);
    await Promise.all(this.nodes.map((_, i) => this.#end(i)));
    if (this.#ownsDir) await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  #spawn(index: number): void {
    const n = this.nodes[index];
    const routes = this.nodes.map((m) => `nats://${host}:${m.routePort}`).join(",");
    const args = [
      ...["-n", n.name, "-a", host, "-p", `${n.clientPort}`],
      ...["-m", `${n.monitorPort}`], // monitoring listens on the -a host too
      ...["--js", "--sd", n.storeDir, "-l", n.logFile],
      ...["--cluster_name", "cellar", "--cluster", `nats://${host}:${n.routePort}`],
      ...["--routes", routes],
    ];
    const child = new Deno.Command(this.#binary, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The log file has everything once the server runs; stderr has what stops it before.
    const errors = Deno.openSync(`${n.logFile}.stderr`, {
      write: true,
      create: true,
      append: true,
    });
    this.#stderr[index] = child.stderr.pipeTo(errors.writable);
    this.#children[index] = child;
    this.#exited[index] = false;
    this.#ended[index] = false;
    child.status.then(() => {
      this.#exited[index] = true;
    });
  }

  async #end(index: number): Promise<void> {
    const child = this.#children[index];
    if (child === undefined || this.#exited[index]) return;
    this.#ended[index] = true;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await child.status;
    clearTimeout(timer);
    await this.#stderr[index];
  }

  #killAll(): void {
    for (const [i, child] of this.#children.entries()) {
      if (child && !this.#exited[i]) child.kill("SIGKILL");
    }
  }
}

/** The meta leader server `n` names ("" when none, or when it does not answer). */
async function metaLeader(n: LocalNode): Promise<string> {
  try {
    const base = `http://${host}:${n.monitorPort}`;
    const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    await health.body?.cancel();
    if (!health.ok) return "";
    const jsz = await fetch(`${base}/jsz`, { signal: AbortSignal.timeout(1000) });
    const body = await jsz.json() as { meta_cluster?: { leader?: string } };
    return body.meta_cluster?.leader ?? "";
  } catch {
    return "";
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
async function freePorts(count: number): Promise<number[]> {
  const listeners = Array.from({ length: count }, () => Deno.listen({ hostname: host, port: 0 }));
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  await delay(0);
  return ports;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const binary = findNatsServer();
  if (!binary.found) {
    console.error(`nats: no nats-server at ${binary.path}: run ./cellar tools`);
    return 1;
  }
  const dir = option(args, "--dir");
  if (dir !== undefined) await Deno.mkdir(dir, { recursive: true });
  const cluster = await LocalCluster.start({ nodes: Number(option(args, "--nodes") ?? 3), dir });
  console.log(`NATS cluster ready: ${cluster.urls.join(",")}`);
  console.log(`stores and logs in ${dir ?? "a temp folder (removed on exit)"}; Ctrl-C stops it`);
  const { promise, resolve } = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGINT", resolve);
  Deno.addSignalListener("SIGTERM", resolve);
  await promise;
  await cluster.stop();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
