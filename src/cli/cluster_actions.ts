/**
 * The actions of `cellar cluster` (`cluster_command.ts`), loaded only when the command runs:
 * they load the NATS client.
 *
 * @module
 */

import { connectCluster } from "../cluster/connection.ts";
import { EventStream } from "../cluster/event_stream.ts";
import { LeaseBucket } from "../cluster/lease.ts";
import { MemberBoard } from "../cluster/members.ts";
import type { MemberReport } from "../cluster/members.ts";
import { memberFile, promoteFile } from "../server/cluster_protocol.ts";
import { bootstrapFromSnapshot } from "../server/cluster_snapshots.ts";
import { defaultKernel } from "../runtime/default_kernel.ts";
import { Failure, readInput } from "./_common.ts";

/** `cluster status`: the lease, the stream's tip, the members' reports. */
export async function clusterStatus(urls: string[], app: string, json: boolean): Promise<number> {
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
export async function clusterBootstrap(
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
export async function clusterPromote(dir: string, timeoutMs: number): Promise<number> {
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
