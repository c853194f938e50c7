/**
 * The jet inventory of docs/JETS.md: one row per arm below the kelvin root that the ivory
 * pill registers (after a few expressions that touch each family), that Cellar's jet table
 * maps, or that a peer jets (tools/jet_peers.json: Urbit's runtime and nockvm, from their
 * public source); with Cellar's kind (native, memo, none) and counts per family. Writes the
 * part of docs/JETS.md between its inventory markers; `--check` exits 1 when the committed
 * doc differs (tests/jet_inventory_test.ts runs that, and skips without the pill).
 *
 *   deno run -A tools/jet_inventory.ts [--pill FILE] [--check]
 *
 * @module
 */

import { builtinJetTable, Hoon, jetReport } from "../mod.ts";
import { findPill } from "../src/cli/_pill.ts";

/** The doc and the markers around the generated part. */
export const docUrl = new URL("../docs/JETS.md", import.meta.url);
export const startMarker = "<!-- inventory:start (tools/jet_inventory.ts writes this part) -->";
export const endMarker = "<!-- inventory:end -->";

/** Expressions that make the pill register the cores of each family (maps, sets, text, ...). */
const warmups = [
  "(~(put by (~(put by *(map @ @)) 1 2)) 3 4)",
  "(~(has in (~(put in *(set @)) 1)) 1)",
  "(scot %p 0)",
  "(slaw %ud '12')",
  '(crip (cass "Ab"))',
  "(add:rs .1 .2)",
  "(add:rd .~1 .~2)",
  // The float jets no longer run `++sea`, which was where the warm-ups met `cut`.
  "(cut 3 [0 1] 1)",
  "(shax 1)",
  "(fein:ob 1)",
  "(ream '(add 1 2)')",
  "(sort ~[3 1 2] lth)",
  "(en:base16:mimes:html [2 0xab])",
  // Arms whose jets now run without building the gates the warm-ups above used to reach.
  "[(max 1 2) (min 1 2) (dvr 7 2) (div 7 2) (sqt 17) (mat 5) (rub 0 q:(mat 5)) (xeb 5)]",
  "[(can 3 ~[[1 1]]) (cat 3 1 2) (con 1 2) (dis 1 2) (rep 3 ~[1]) (rev 3 1 1) (swp 3 1)]",
  "[(sew 3 [0 1 1] 2) (cue (jam 1)) (mug 1) (muk 0 1 1) (aor 1 2) (dor 1 2) (gor 1 2)]",
  "[(find ~[1] ~[1]) (murn ~[1] some) (reap 1 1) (zing ~[~[1]])]",
  "=/  a  `(list @)`~[1]  [(snag 0 a) (snip a)]",
  "=/  a  `(list @)`~[1]  [(skid a |=(@ &)) (skim a |=(@ &)) (skip a |=(@ &)) (welp a a)]",
  "=/  a  (~(gas by *(map @ @)) ~[[1 2] [3 4]])  [~(wyt by a) (~(uni by a) a) (~(int by a) a)]",
  "=/  a  (~(gas by *(map @ @)) ~[[1 2]])  [(~(dif by a) a) (~(bif by a) 1 2) ~(apt by a)]",
  "=/  a  (~(gas by *(map @ @)) ~[[1 2]])  [(~(all by a) |=(@ &)) (~(any by a) |=(@ &))]",
  "=/  a  (~(gas by *(map @ @)) ~[[1 2]])  [(~(jab by a) 1 |=(@ 3)) (~(urn by a) |=([@ @] 3))]",
  "=/  a  (~(gas by *(map @ @)) ~[[1 2]])  (~(rep by a) |=([[@ @] b=@] b))",
  "=/  a  (~(gas in *(set @)) ~[1 2])  [~(wyt in a) (~(int in a) a) (~(dif in a) a) ~(apt in a)]",
  "=/  a  (~(gas in *(set @)) ~[1 2])  [(~(del in a) 1) (~(bif in a) 1) (~(rep in a) add)]",
  "=/  a  (~(gas in *(set @)) ~[1 2])  [(~(all in a) |=(@ &)) (~(any in a) |=(@ &))]",
  "[(sub:rs .1 .2) (mul:rs .1 .2) (div:rs .1 .2) (sqt:rs .1) (fma:rs .1 .2 .3)]",
  "[(lth:rs .1 .2) (lte:rs .1 .2) (gth:rs .1 .2) (gte:rs .1 .2) (equ:rs .1 .2)]",
  "[(sub:rd .~1 .~2) (mul:rd .~1 .~2) (div:rd .~1 .~2) (sqt:rd .~1) (fma:rd .~1 .~2 .~3)]",
  "[(lth:rd .~1 .~2) (lte:rd .~1 .~2) (gth:rd .~1 .~2) (gte:rd .~1 .~2) (equ:rd .~1 .~2)]",
  "[(add:rh .~~1 .~~2) (sub:rh .~~1 .~~2) (mul:rh .~~1 .~~2) (div:rh .~~1 .~~2) (sqt:rh .~~1)]",
  "[(fma:rh .~~1 .~~2 .~~3) (lth:rh .~~1 .~~2) (lte:rh .~~1 .~~2) (gth:rh .~~1 .~~2)]",
  "[(gte:rh .~~1 .~~2) (equ:rh .~~1 .~~2)]",
  "[(add:rq .~~~1 .~~~2) (sub:rq .~~~1 .~~~2) (mul:rq .~~~1 .~~~2) (div:rq .~~~1 .~~~2)]",
  "[(sqt:rq .~~~1) (fma:rq .~~~1 .~~~2 .~~~3) (lth:rq .~~~1 .~~~2) (lte:rq .~~~1 .~~~2)]",
  "[(gth:rq .~~~1 .~~~2) (gte:rq .~~~1 .~~~2) (equ:rq .~~~1 .~~~2) (scow %rd .~1.5)]",
  "[(shas 1 2) (shal 1 2) (shay 1 2) (sha-1:sha 1) (raw:og 8)]",
  "[(scow %ud 1) (mule |.(1)) (mole |.(1))]",
  "(keccak-224:keccak:crypto 1 1)",
  "(keccak-256:keccak:crypto 1 1)",
  "(keccak-384:keccak:crypto 1 1)",
  "(keccak-512:keccak:crypto 1 1)",
  "(to-wain:format 'a')",
  "(lune:unix:userlib 'a\\0a')",
  "(nule:unix:userlib ~['a'])",
  '(loss:differ "ab" "b")',
  "(de:base16:mimes:html 'ab')",
  "(ripemd-160:ripemd:crypto 1 1)",
  "(blake2b:blake:crypto 1^1 0^0 32)",
  "(hmac-sha256:hmac:crypto 1 1)",
  "(puck:ed:crypto 1)",
  "(sign:ed:crypto 1 1)",
  "(veri:ed:crypto 1 1 1)",
  "(shar:ed:crypto 1 1)",
  "(~(en ecba:aes:crypto 0) 0)",
  "(~(de ecba:aes:crypto 0) 0)",
  "(~(en cbca:aes:crypto 0 0) 0)",
  "(~(de cbca:aes:crypto 0 0) 0)",
  "(~(en siva:aes:crypto 0 ~) 0)",
  "(~(en ctra:aes:crypto 0 3 0 0) 0)",
  "(pbk:scr:crypto 1 1 1 32)",
  "(hsh:scr:crypto 1 1 2 1 1 32)",
];

/** The kelvin root of the pill's registrations. */
const root = "k140/";

/** The peers' jetted paths (below the kelvin root). */
interface Peers {
  urbit: string[];
  nockvm: string[];
}

/** A family's name, from the registration path of an arm (below the kelvin root). */
export function familyOf(path: string): string {
  const rules: [RegExp, string][] = [
    [/^one\/two\/tri\/qua\/pen\/hex\//, "crypto and encodings (hex)"],
    [/^one\/two\/tri\/qua\/pen\/ut\//, "type engine (ut)"],
    [/^one\/two\/tri\/qua\/pen\/zeke\//, "Nockchain field (zeke)"],
    [/^one\/two\/tri\/qua\/pen\//, "types (pen)"],
    [/^one\/two\/tri\/qua\/po\//, "@p syllables (po)"],
    [
      /^one\/two\/tri\/qua\/(bend|cold|comp|cook|easy|glue|here|just|mask|shim|stag|stew|stir|pfix|plug|pose|sfix|last)(\/|$)/,
      "parsing",
    ],
    [/^one\/two\/tri\/qua\/(mink|mole|mule)$/, "virtualization"],
    [/^one\/two\/tri\/qua\//, "text"],
    [/^one\/two\/tri\/(rs|rd|rq|rh|cofl)\//, "floats"],
    [/^one\/two\/tri\/ob\//, "@p obfuscation (ob)"],
    [/^one\/two\/tri\/og\//, "random (og)"],
    [/^one\/two\/tri\//, "SHA (tri)"],
    [/^one\/two\/by\//, "maps (by)"],
    [/^one\/two\/in\//, "sets (in)"],
    [
      /^one\/two\/(find|flop|lent|levy|lien|murn|need|mate|reap|reel|roll|skid|skim|skip|scag|slag|snag|snip|sort|turn|weld|welp|zing)$/,
      "lists",
    ],
    [/^one\/two\//, "bits, nouns, orderings (two)"],
    [/^one\//, "math and trees (one)"],
  ];
  for (const [pattern, name] of rules) if (pattern.test(path)) return name;
  return "other";
}

/** The paths (below the root) the pill registers at boot and while running `warmups`. */
export function pillRegistrations(pill: Uint8Array): Set<string> {
  using hoon = Hoon.boot(pill);
  for (const expression of warmups) hoon.wish(expression).dispose();
  const paths = new Set<string>();
  for (const line of jetReport().split("\n")) {
    const match = /^(\S+)(?: \* jet=.*)?$/.exec(line);
    if (match !== null && match[1].startsWith(root)) paths.add(match[1].slice(root.length));
  }
  return paths;
}

interface Row {
  family: string;
  path: string;
  pill: boolean;
  cellar: "native" | "memo" | "none";
  urbit: boolean;
  nockvm: boolean;
}

/** The rows: arms (not the layer cores above them, unless some runtime jets one). */
export function inventoryRows(registered: Set<string>, peers: Peers): Row[] {
  const cellar = new Map<string, string>();
  for (const { path, jet } of builtinJetTable().jets ?? []) {
    if (path.startsWith(root)) cellar.set(path.slice(root.length), jet);
  }
  const urbit = new Set(peers.urbit);
  const nockvm = new Set(peers.nockvm);
  const all = new Set([...registered, ...cellar.keys(), ...urbit, ...nockvm]);
  const jetted = (p: string) => cellar.has(p) || urbit.has(p) || nockvm.has(p);
  const isLayer = (p: string) => [...all].some((q) => q.startsWith(`${p}/`));
  const rows: Row[] = [];
  for (const path of [...all].sort()) {
    if (isLayer(path) && !jetted(path)) continue;
    const entry = cellar.get(path);
    rows.push({
      family: familyOf(path),
      path,
      pill: registered.has(path),
      cellar: entry === undefined ? "none" : entry === "memo" ? "memo" : "native",
      urbit: urbit.has(path),
      nockvm: nockvm.has(path),
    });
  }
  rows.sort((a, b) => a.family.localeCompare(b.family) || a.path.localeCompare(b.path));
  return rows;
}

function countsTable(rows: Row[]): string[] {
  const families = [...new Set(rows.map((r) => r.family))];
  const out = [
    "| family | arms | Cellar native | Cellar memo | Urbit's runtime | nockvm |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const line = (name: string, rs: Row[]) =>
    `| ${name} | ${rs.length} | ${rs.filter((r) => r.cellar === "native").length} | ` +
    `${rs.filter((r) => r.cellar === "memo").length} | ${rs.filter((r) => r.urbit).length} | ` +
    `${rs.filter((r) => r.nockvm).length} |`;
  for (const family of families) out.push(line(family, rows.filter((r) => r.family === family)));
  out.push(line("**all**", rows));
  return out;
}

/** The generated part of docs/JETS.md. */
export function inventoryMarkdown(rows: Row[]): string {
  const mark = (b: boolean) => (b ? "yes" : "—");
  const out = [
    "Counts per family (arms below the kelvin root):",
    "",
    ...countsTable(rows),
    "",
    "Every arm: `pill` says whether the ivory pill registered the path in the inventory run;",
    "Cellar's column is its built-in table (`native`: a jet, `memo`: the %memo cache).",
    "",
    "| family | registration path | pill | Cellar | Urbit's runtime | nockvm |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.family} | \`${r.path}\` | ${mark(r.pill)} | ${
        r.cellar === "none" ? "—" : r.cellar
      } | ` +
        `${mark(r.urbit)} | ${mark(r.nockvm)} |`,
    );
  }
  return out.join("\n");
}

/** docs/JETS.md with `generated` between its markers. */
export function withInventory(doc: string, generated: string): string {
  const start = doc.indexOf(startMarker);
  const end = doc.indexOf(endMarker);
  if (start < 0 || end < start) {
    throw new Error(`docs/JETS.md has no ${startMarker} ... ${endMarker}`);
  }
  return `${doc.slice(0, start + startMarker.length)}\n${generated}\n${doc.slice(end)}`;
}

/** `text` as `deno fmt` writes Markdown (it aligns tables), so `deno task check` passes. */
function formatMarkdown(text: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "jet_inventory_" });
  try {
    const file = `${dir}/JETS.md`;
    Deno.writeTextFileSync(file, text);
    const { code, stderr } = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", "--line-width=100", file],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (code !== 0) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
    return Deno.readTextFileSync(file);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The doc as the tool would write it, from the pill's bytes. */
export function generateDoc(pill: Uint8Array): string {
  const peers: Peers = JSON.parse(
    Deno.readTextFileSync(new URL("./jet_peers.json", import.meta.url)),
  );
  const rows = inventoryRows(pillRegistrations(pill), peers);
  return formatMarkdown(withInventory(Deno.readTextFileSync(docUrl), inventoryMarkdown(rows)));
}

if (import.meta.main) {
  const args = Deno.args;
  const at = args.indexOf("--pill");
  const pillPath = at >= 0 ? args[at + 1] : findPill();
  if (pillPath === null || pillPath === undefined) {
    console.error("jet_inventory: no ivory pill (give --pill FILE or set CELLAR_IVORY_PILL)");
    Deno.exit(2);
  }
  const doc = generateDoc(Deno.readFileSync(pillPath));
  if (args.includes("--check")) {
    const current = Deno.readTextFileSync(docUrl) === doc;
    console.log(
      current
        ? "docs/JETS.md is current"
        : "docs/JETS.md is out of date: run tools/jet_inventory.ts",
    );
    Deno.exit(current ? 0 : 1);
  }
  Deno.writeTextFileSync(docUrl, doc);
  console.log(`docs/JETS.md: inventory written`);
}
