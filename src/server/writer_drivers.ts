/**
 * The drivers of `cellar serve` (in the writer Worker, beside the runtime): the committed
 * effects of every event, whoever poked it, go to the timer driver (kernel wake-ups, kept in
 * the data directory's `timers.sqlite`, and the `--timer` interval), the markdown driver (to
 * the server's stdout) and, with `--files DIR`, the file driver. Their pokes are committed by
 * the writer like any other (see `drivers/attached.ts`). `[%exit code]` does not stop a
 * server: it is reported and ignored.
 *
 * In cluster mode the drivers run in every member, acting on the leader only: a member's
 * start not leading (`options.leading` false), the member tells them when it leads, and a
 * follower keeps their durable state (the timer table) from the events it applies
 * (`cluster_writer.ts`, `docs/CLUSTER.md`).
 *
 * @module
 */

import { nounFromJson } from "../core/json.ts";
import type { Json } from "../core/json.ts";
import { AttachedDrivers } from "../drivers/attached.ts";
import type { AttachedOptions } from "../drivers/attached.ts";
import type { Driver } from "../drivers/driver.ts";
import { fileDriver } from "../drivers/file.ts";
import { markdownDriver } from "../drivers/markdown.ts";
import { timerDriver } from "../drivers/timer.ts";

/** What the server's drivers are given (`--files`, `--timer`, `--timer-poke`). */
export interface DriverSettings {
  /** The directory the file driver may use, or null (no file driver). */
  files: string | null;
  /** NockApp's interval timer: poke `cause` (default `[%timer ~]`) every `seconds`. */
  timer: { seconds: number; cause: Json | null } | null;
}

/** The writer's drivers over the data directory `dataDir`. */
export function writerDrivers(
  dataDir: string,
  settings: DriverSettings,
  options: AttachedOptions,
): AttachedDrivers {
  const drivers: Driver[] = [markdownDriver()];
  if (settings.files !== null) drivers.push(fileDriver({ root: settings.files }));
  const timer = settings.timer;
  drivers.push(timerDriver({
    storePath: `${dataDir}/timers.sqlite`,
    interval: timer === null ? undefined : {
      seconds: timer.seconds,
      cause: timer.cause === null ? undefined : nounFromJson(timer.cause),
    },
  }));
  return new AttachedDrivers(drivers, options);
}
