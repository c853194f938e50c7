/**
 * The cluster flags of `cellar serve`, parsed and checked (no NATS needed).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseServeArgs, UsageError } from "../src/server/main.ts";
import { clusterSettings } from "../src/server/cluster_options.ts";

Deno.test("serve: cluster flags become the cluster option", () => {
  const command = parseServeArgs([
    "--cluster",
    "nats://127.0.0.1:4222, nats://127.0.0.1:4223",
    "--app",
    "kv",
    "--follow",
    "--advertise",
    "http://10.0.0.2:8080",
    "--replicate",
    "async",
    "--lease-ms",
    "3000",
    "--auto-failover",
    "--keep-snapshots",
    "2",
  ]);
  assert.ok(command.kind === "serve");
  assert.deepEqual(command.options.cluster, {
    urls: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"],
    app: "kv",
    follow: true,
    advertise: "http://10.0.0.2:8080",
    replicate: "async",
    leaseMs: 3000,
    autoFailover: true,
    keepSnapshots: 2,
  });
  const plain = parseServeArgs([]);
  assert.ok(plain.kind === "serve" && !("cluster" in plain.options));
});

Deno.test("serve: bad cluster flags are usage errors", () => {
  const cases: [string[], RegExp][] = [
    [["--follow"], /--follow needs --cluster/],
    [["--app", "kv"], /--app needs --cluster/],
    [["--cluster", "nats://h:1"], /--cluster needs --app/],
    [["--cluster", "nats://h:1", "--app", "kv", "--replicate", "maybe"], /Bad --replicate/],
    [["--cluster", "nats://h:1", "--app", "kv", "--lease-ms", "50"], /Bad --lease-ms/],
    [["--keep-snapshots", "2"], /--keep-snapshots needs --cluster/],
    [["--cluster", "nats://h:1", "--app", "kv", "--keep-snapshots", "x"], /--keep-snapshots/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseServeArgs(args),
      (e) => e instanceof UsageError && message.test(e.message),
    );
  }
});

Deno.test("serve: cluster settings are checked", () => {
  const fail = (message: string) => new Error(message);
  const good = { urls: ["nats://127.0.0.1:4222"], app: "kv" };
  const s = clusterSettings(good, "127.0.0.1", 8080, "/tmp/d", fail);
  assert.equal(s.replicate, "sync");
  assert.equal(s.leaseMs, 5000);
  assert.equal(s.follow, false);
  assert.equal(s.keepSnapshots, 0);
  assert.match(s.holder, /^127\.0\.0\.1:8080\/[0-9a-f]{8}$/);
  assert.equal(s.writer.flags.byteLength, 12);
  const bad: [object, RegExp][] = [
    [{ ...good, urls: ["http://x"] }, /Bad --cluster/],
    [{ ...good, app: "Bad App" }, /Bad --app/],
    [{ ...good, advertise: "ftp://x" }, /Bad --advertise/],
    [{ ...good, leaseMs: 10 }, /Bad --lease-ms/],
    [{ ...good, keepSnapshots: -1 }, /Bad --keep-snapshots/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => clusterSettings(options as typeof good, undefined, 0, "/tmp/d", fail),
      message,
    );
  }
});
