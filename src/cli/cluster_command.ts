/**
 * The CLI's `cluster` command (`docs/CLUSTER.md`): `cluster status` shows, from NATS alone,
 * who holds an app's lease, the stream's last event and what every member last reported;
 * `cluster promote` asks the member running beside a data directory to take the lease (it
 * leaves a request file there, which the member reads on its next tick) and waits until it
 * leads.
 *
 * @module
 */

import { connectCluster } from "../cluster/connection.ts";
import { EventStream } from "../cluster/event_stream.ts";
import { LeaseBucket } from "../cluster/lease.ts";
import { MemberBoard } from "../cluster/members.ts";
import type { MemberReport } from "../cluster/members.ts";
import { promoteFile } from "../server/cluster_leading.ts";
import { memberFile } from "../server/cluster_member.ts";
import { Failure, integerOption, readInput, UsageError } from "./_common.ts";
import { bootstrapFromSnapshot } from "../server/cluster_snapshots.ts";
import { defaultKernel } from "../runtime/default_kernel.ts";
import { defineCommand } from "./_command.ts";
import type { Command, Input } from "./_command.ts";

const clusterOptions = {
  cluster: { type: "string" },
  app: { type: "string" },
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  kernel: { type: "string" },
} as const;

type ClusterArgs =
  | { action: "status"; urls: string[]; app: string; json: boolean }
  | { action: "bootstrap"; urls: string[]; app: string; kernel?: string }
  | { action: "promote"; timeoutMs: number };

function checkCluster({ values, positionals }: Input<typeof clusterOptions>): ClusterArgs {
  const [action, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`Unexpected argument: ${rest[0]}`);
  if (action === "status" || action === "bootstrap") {
    if (values.cluster === undefined) throw new UsageError("Missing --cluster URLS");
    if (values.app === undefined) throw new UsageError("Missing --app NAME");
    const urls = values.cluster.split(",").map((u) => u.trim()).filter((u) => u.length > 0);
    if (action === "bootstrap") return { action, urls, app: values.app, kernel: values.kernel };
    return { action, urls, app: values.app, json: values.json ?? false };
  }
  if (action === "promote") {
    if (values.cluster !== undefined || values.app !== undefined) {
      throw new UsageError("'cluster promote' takes --data DIR, not --cluster or --app");
    }
    return { action, timeoutMs: integerOption("--timeout-ms", values["timeout-ms"], 30_000) };
  }
  throw new UsageError("Expected an action: status, promote or bootstrap");
}

/** `cluster status`: the lease, the stream's tip, the members' reports. */
async function clusterStatus(urls: string[], app: string, json: boolean): Promise<number> {
  const nc = await connectCluster(urls, { name: "cellar cluster status" });
  try {
    const stream = await EventStream.open(nc, app);
    const tip = await stream.tip();
    const lease = await (await LeaseBucket.open(nc, app)).read();
    const members = await (await MemberBoard.open(nc, app)).list();
    if (json) {
      console.log(JSON.stringify(
        {
          app,
          streamEvent: Number(tip.event),
          leader: lease === null ? null : { ...lease.value, event: Number(lease.value.event) },
          members,
        },
        null,
        2,
      ));
      return 0;
    }
    console.log(`app ${app}: stream ${stream.names.stream} at event ${tip.event}`);
    console.log(
      lease === null
        ? "lease: free (nobody leads)"
        : `lease: held by ${lease.value.holder} at ${lease.value.url} (event ${lease.value.event}, revision ${lease.revision})`,
    );
    printMembers(members, Date.now());
    return 0;
  } finally {
    await nc.close();
  }
}

function printMembers(members: MemberReport[], now: number): void {
  if (members.length === 0) {
    console.log("members: none has reported");
    return;
  }
  const rows = [["HOLDER", "URL", "ROLE", "EVENT", "LAG", "LAG-MS", "SEEN"]];
  for (const m of members) {
    const age = Math.max(0, Math.round((now - m.at) / 1000));
    rows.push([
      m.holder,
      m.url,
      m.alarm === null ? m.role : `${m.role} (ALARM)`,
      String(m.eventNumber),
      String(m.lagEvents),
      String(m.lagMs),
      `${age} s ago`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  for (const m of members) if (m.alarm !== null) console.log(`ALARM ${m.holder}: ${m.alarm}`);
}

/** `cluster bootstrap`: a new data directory from the newest snapshot in the bucket. */
async function clusterBootstrap(
  urls: string[],
  app: string,
  dir: string,
  kernelPath: string | undefined,
): Promise<number> {
  const kernel = kernelPath === undefined ? defaultKernel() : await readInput(kernelPath);
  const nc = await connectCluster(urls, { name: "cellar cluster bootstrap" });
  try {
    const stream = await EventStream.open(nc, app);
    const r = await bootstrapFromSnapshot(nc, stream, dir, kernel);
    if (r.snapshot === null) {
      console.log(`no snapshot of app ${app} yet: a member on ${dir} replays the stream from 1`);
    } else {
      console.log(
        `bootstrapped ${dir} at event ${r.eventNumber} from ${r.snapshot} (${r.bytes} bytes, ` +
          `${Math.round(r.ms)} ms); start it with cellar serve --cluster ... --follow`,
      );
    }
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cluster promote`: ask the member running on `dir` to lead, and wait until it does. */
async function clusterPromote(dir: string, timeoutMs: number): Promise<number> {
  const state = readMember(dir);
  if (state === null) {
    throw new Failure(
      `No cluster member runs on ${dir}: it has no ${memberFile} (start cellar serve --cluster there)`,
    );
  }
  if (state.role === "leader") {
    console.log(`${state.url} already leads app ${state.app}`);
    return 0;
  }
  Deno.writeTextFileSync(`${dir}/${promoteFile}`, JSON.stringify({ at: Date.now() }) + "\n");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = readMember(dir);
    if (now?.role === "leader") {
      console.log(`${now.url} leads app ${now.app} from event ${now.eventNumber}`);
      return 0;
    }
  }
  await Deno.remove(`${dir}/${promoteFile}`).catch(() => {});
  throw new Failure(
    `The member on ${dir} did not take the lease within ${timeoutMs} ms: a live leader ` +
      "keeps it (promote takes over a lease that is free or expired)",
  );
}

function readMember(dir: string): (MemberReport & { app: string }) | null {
  try {
    return JSON.parse(Deno.readTextFileSync(`${dir}/${memberFile}`));
  } catch {
    return null;
  }
}

/** `cellar cluster status|promote`. */
export const clusterCommand: Command = defineCommand({
  name: "cluster",
  summary: "Show an app's cluster, or promote a member to leader",
  usage: [
    "cellar cluster status --cluster URLS --app NAME [--json]",
    "cellar cluster promote [--data DIR] [--timeout-ms N]",
    "cellar cluster bootstrap --cluster URLS --app NAME [--data DIR] [--kernel FILE.jam]",
  ],
  about: `status: who holds the app's lease, the stream's last event, and each member's role,
event number and lag as it last reported them (about once a second), from NATS alone.
promote: ask the member serving DIR (cellar serve --cluster, running) to take the lease now,
even with --follow; it does once the lease is free or expired, catches up to the stream's end
and leads. Waits until it leads (default 30000 ms).
bootstrap: make the new data directory DIR start from the newest snapshot the leader uploaded
(verified), so that a member serving it follows the stream from there instead of from event 1.
--kernel is the snapshot's kernel (default: the default kernel).`,
  options: clusterOptions,
  optionHelp: `  --cluster URLS     NATS URLs, comma separated (status)
  --app NAME         The app (status)
  --json             Print JSON (status)
  --timeout-ms N     How long promote waits (default 30000)
  --kernel FILE.jam  The snapshot's kernel (bootstrap)`,
  positionals: { name: "ACTION", min: 1, max: 1 },
  data: "create",
  check: checkCluster,
  run: (args, dir) => {
    if (args.action === "status") return clusterStatus(args.urls, args.app, args.json);
    if (args.action === "bootstrap") return clusterBootstrap(args.urls, args.app, dir, args.kernel);
    return clusterPromote(dir, args.timeoutMs);
  },
});
