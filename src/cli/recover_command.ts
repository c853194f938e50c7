/**
 * The CLI's `recover` subcommand: the documented way out when the log lost events that the
 * PMA still holds (docs/RELIABILITY.md). Boot refuses such a directory rather than pick the
 * shorter history; `recover --trust-pma` re-bases the log on the PMA's state.
 *
 * @module
 */

import { recoverTrustPma } from "../runtime/rebase.ts";
import { readInput, UsageError } from "./_common.ts";
import { defineCommand, noArguments } from "./_command.ts";
import type { Command } from "./_command.ts";

interface RecoverArgs {
  kernel: string | undefined;
}

async function runRecover(args: RecoverArgs, dir: string): Promise<number> {
  const kernel = args.kernel === undefined ? undefined : await readInput(args.kernel);
  const report = recoverTrustPma(dir, { kernel });
  console.log(`trusted: ${report.source}, event ${report.eventNumber}`);
  console.log(`old log: last event ${report.oldLast}, moved to ${report.oldLogDir}`);
  console.log(`new log: starts at event ${report.eventNumber} (a new epoch)`);
  console.log(`epoch snapshot: ${report.snapshot}`);
  console.log(`state mug: 0x${report.stateMug.toString(16).padStart(8, "0")}`);
  console.log(`kernel: ${report.kernelHash}`);
  return 0;
}

/** `cellar recover --trust-pma`. */
export const recoverCommand: Command = defineCommand({
  name: "recover",
  summary: "Re-base a log that lost events on the PMA's state (--trust-pma)",
  usage: "cellar recover --trust-pma [--data DIR] [--kernel FILE.jam]",
  about: `When the event log lost events that the PMA still holds (a deleted log.sqlite-wal, a
restored old backup), boot refuses the directory and names both event numbers. With
--trust-pma, this command takes the PMA's state (or, when the PMA is not ahead of the log,
the newest verified snapshot that is) as the truth: it moves the old log, its WAL and the old
snapshots aside into the data directory (nothing is deleted), starts a new log whose first
row is that state's event (a new epoch), and writes an epoch snapshot of it. Events that only
the lost part of the log held cannot be replayed any more: this is why it is never automatic.
The directory must not be in use.`,
  options: { "trust-pma": { type: "boolean" }, kernel: { type: "string" } },
  optionHelp: `  --trust-pma        Required: trust the PMA's state over the shorter log
  --kernel FILE.jam  The kernel the state runs, when the old log does not hold it`,
  positionals: noArguments,
  data: "write",
  check({ values }): RecoverArgs {
    if (!values["trust-pma"]) {
      throw new UsageError("Say what to trust: --trust-pma (the only recovery there is)");
    }
    return { kernel: values.kernel };
  },
  run: runRecover,
});
