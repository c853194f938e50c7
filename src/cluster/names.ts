/**
 * The names an app's cluster state lives under (see `connection.ts`), without the NATS
 * client: the server and the CLI check `--app` with it without loading the client.
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";

/** The JetStream names of one app. */
export interface ClusterNames {
  /** The app name as given. */
  app: string;
  /** The event stream, `CELLAR_<APP>`. */
  stream: string;
  /** The stream's one subject, `cellar.<app>.events`. */
  subject: string;
  /** The lease KV bucket, `cellar_<app>_lease`. */
  leaseBucket: string;
  /** The snapshot object store, `cellar_<app>_snapshots`. */
  snapshotBucket: string;
  /** The KV bucket where members report themselves, `cellar_<app>_members`. */
  memberBucket: string;
}

const appPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The names of `app`'s stream, lease bucket and snapshot bucket. An app name is 1 to 63
 * characters of `a-z 0-9 _ -` starting with a letter or digit, so that it is one subject
 * token and a valid stream and bucket name; anything else throws {@linkcode ArgumentError}.
 *
 * @example
 * ```ts
 * import { clusterNames } from "./names.ts";
 * console.log(clusterNames("kv").stream); // CELLAR_KV
 * ```
 */
export function clusterNames(app: string): ClusterNames {
  if (!appPattern.test(app)) {
    throw new ArgumentError(
      `Invalid app name: ${JSON.stringify(app)} (1 to 63 of a-z 0-9 _ -, starting with a-z 0-9)`,
    );
  }
  return {
    app,
    stream: `CELLAR_${app.toUpperCase()}`,
    subject: `cellar.${app}.events`,
    leaseBucket: `cellar_${app}_lease`,
    snapshotBucket: `cellar_${app}_snapshots`,
    memberBucket: `cellar_${app}_members`,
  };
}
