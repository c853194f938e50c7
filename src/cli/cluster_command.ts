/**
 * The CLI's `cluster` command (`docs/CLUSTER.md`): `cluster status` shows, from NATS alone,
 * who holds an app's lease, the stream's last event and what every member last reported;
 * `cluster promote` asks the member running beside a data directory to take the lease (it
 * leaves a request file there, which the member reads on its next tick) and waits until it
 * leads.
 *
 * @module
 */

import { integerOption, UsageError } from "./_common.ts";
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
  run: async (args, dir) => {
    // The actions load the NATS client: only when this command runs.
    const actions = await import("./cluster_actions.ts");
    if (args.action === "status") return actions.clusterStatus(args.urls, args.app, args.json);
    if (args.action === "bootstrap") {
      return actions.clusterBootstrap(args.urls, args.app, dir, args.kernel);
    }
    return actions.clusterPromote(dir, args.timeoutMs);
  },
});
