/**
 * `cellar jets`: the jet table. `list` prints Cellar's built-in table (registration path ->
 * native entry, and the known cores), as text or in the JSON form `--jets FILE` reads;
 * `check FILE` checks a `--jets` file without running anything.
 *
 * @module
 */

import { builtinJetTable, jetEntries } from "../core/jets.ts";
import { UsageError } from "./_common.ts";
import { defineCommand } from "./_command.ts";
import type { Command } from "./_command.ts";
import { readJets } from "./_jets.ts";

const options = { json: { type: "boolean" } } as const;

function list(json: boolean): number {
  const table = builtinJetTable();
  if (json) {
    console.log(JSON.stringify({ jets: table.jets, cores: table.cores }, null, 1));
    return 0;
  }
  for (const { path, jet } of table.jets ?? []) console.log(`${path} ${jet}`);
  for (const core of table.cores ?? []) {
    console.log(
      `core ${core.path} parentAxis=${core.parentAxis} payload=${core.payload} ` +
        `mug=${core.batteryMug} sha256=${core.batterySha256}`,
    );
  }
  console.log(`entries: ${jetEntries().join(" ")}`);
  return 0;
}

async function check(path: string): Promise<number> {
  const table = await readJets(path);
  const jets = table?.jets?.length ?? 0;
  const cores = table?.cores?.length ?? 0;
  console.log(`${path}: ${jets} mappings, ${cores} known cores: ok`);
  return 0;
}

/** `cellar jets [list [--json] | check FILE]`. */
export const jetsCommand: Command = defineCommand({
  name: "jets",
  summary: "Print the built-in jet table, or check a --jets file",
  usage: ["cellar jets [list] [--json]", "cellar jets check FILE"],
  about: `Cellar matches a kernel's %fast registrations to native jets through a table of
registration paths (root first, a [%k 140] root written k140, names joined by '/') and the
native entry each runs, plus known cores: batteries recognized by their SHA-256 for kernels
jammed after their root's %fast hint ran. 'list' prints the built-in table ('path entry' a
line, the known cores, and the native entries a mapping may name); with --json, in the form
that --jets FILE reads on boot, run, poke, peek, serve, nock and hoon, where an app adds
{"jets": [{"path": "myapp/k1/add", "jet": "add"}], "cores": [{"path": ..., "parentAxis":
..., "payload": ..., "batteryMug": ..., "batterySha256": ...}]}. The jet report
('cellar hoon -v', jetReport()) names the battery of a dropped hint's unknown parent.
'check FILE' checks such a file and exits 1 naming the bad field.`,
  options,
  optionHelp: "  --json             Print the table as JSON (the form --jets FILE reads)",
  positionals: { name: "ACTION", min: 0, max: 2 },
  check({ values, positionals }) {
    const [action = "list", file] = positionals;
    if (action === "list" && file === undefined) return { action, json: values.json ?? false };
    if (action === "check" && file !== undefined && !values.json) return { action, file };
    if (action === "check") throw new UsageError("Expected: cellar jets check FILE");
    throw new UsageError(`Unknown jets action: ${action} (expected list or check)`);
  },
  run(args): number | Promise<number> {
    return args.action === "list" ? list(args.json ?? false) : check(args.file!);
  },
});
