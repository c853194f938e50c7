/**
 * The member board: a KV bucket, `cellar_<app>_members`, where each member of an app writes
 * what it is doing (role, event number, lag) under its own key about once a second, so that
 * `cellar cluster status` can show every member from NATS alone. It is informative only:
 * nothing in the protocol reads it, and an entry that stopped changing is a member that
 * stopped (or lost NATS).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { KV } from "@nats-io/kv";
import { clusterNames } from "./connection.ts";
import type { ClusterNames } from "./connection.ts";
import { toClusterError } from "./errors.ts";

/** What a member reports. */
export interface MemberReport {
  /** The member's identity (as in the lease). */
  holder: string;
  /** Its advertised URL. */
  url: string;
  /** `leader`, `follower`, `candidate`, `fenced`, `stopped` or `starting`. */
  role: string;
  /** Its committed event. */
  eventNumber: number;
  lagEvents: number;
  lagMs: number;
  /** Why it stopped serving, or null. */
  alarm: string | null;
  /** Unix milliseconds of the report, by the member's clock. */
  at: number;
}

const encoder = new TextEncoder();

/**
 * An app's member board.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connection.ts";
 * import { MemberBoard } from "./members.ts";
 * const nc = await connectCluster(["nats://127.0.0.1:4222"]);
 * const board = await MemberBoard.open(nc, "kv");
 * console.log((await board.list()).length);
 * await nc.close();
 * ```
 */
export class MemberBoard {
  readonly names: ClusterNames;
  readonly #kv: KV;

  private constructor(names: ClusterNames, kv: KV) {
    this.names = names;
    this.#kv = kv;
  }

  /** Open `app`'s member board, creating it when absent (3 replicas unless `replicas`). */
  static async open(nc: NatsConnection, app: string, replicas = 3): Promise<MemberBoard> {
    const names = clusterNames(app);
    try {
      const kv = await new Kvm(nc).create(names.memberBucket, {
        history: 1,
        replicas,
        storage: StorageType.File,
        description: `Cellar members of app ${app}`,
      });
      return new MemberBoard(names, kv);
    } catch (error) {
      throw toClusterError(error, `open the member board ${names.memberBucket}`);
    }
  }

  /** Write `report` under its holder's key. */
  async put(report: MemberReport): Promise<void> {
    try {
      await this.#kv.put(keyOf(report.holder), encoder.encode(JSON.stringify(report)));
    } catch (error) {
      throw toClusterError(error, `report member ${report.holder}`);
    }
  }

  /** Remove `holder`'s report (a member that stops cleanly). */
  async remove(holder: string): Promise<void> {
    try {
      await this.#kv.delete(keyOf(holder));
    } catch (error) {
      throw toClusterError(error, `remove member ${holder}`);
    }
  }

  /** Every member's last report, by holder. */
  async list(): Promise<MemberReport[]> {
    const reports: MemberReport[] = [];
    try {
      const keys = await this.#kv.keys();
      for await (const key of keys) {
        const entry = await this.#kv.get(key);
        if (entry === null || entry.operation !== "PUT") continue;
        try {
          reports.push(entry.json<MemberReport>());
        } catch {
          // Not a report: left out.
        }
      }
    } catch (error) {
      throw toClusterError(error, `list the members of ${this.names.app}`);
    }
    return reports.sort((a, b) => a.holder.localeCompare(b.holder));
  }
}

/** A KV key for `holder`: characters other than `A-Z a-z 0-9 - _ =` become `_`. */
function keyOf(holder: string): string {
  return holder.replace(/[^A-Za-z0-9_=-]/g, "_");
}
