/**
 * The jet table: which `%fast` registration paths run which native entry of libcellar, and
 * which cores are known by their battery (for kernels and pills jammed after their root's
 * `%fast` hint ran, whose hints would otherwise find their parent unregistered).
 *
 * The table starts as Cellar's built-in one ({@linkcode builtinJetTable}) and grows by what
 * an app adds ({@linkcode addJets}, `Runtime.open({ jets })`, `--jets FILE`). It is
 * process-wide: every thread's kernels match against it. Additions are kept until the
 * process ends; adding the same item again changes nothing. The JSON form, which
 * `cellar jets list` prints and `--jets FILE` reads:
 *
 * ```json
 * {
 *   "jets": [{ "path": "myapp/k1/add", "jet": "add" }],
 *   "cores": [{ "path": "k140", "parentAxis": 0, "payload": 140,
 *               "batteryMug": "1b82ed00", "batterySha256": "525c...829b" }]
 * }
 * ```
 *
 * A core's `batteryMug` (8 hex digits) and `batterySha256` (of the battery's jam, 64 hex
 * digits) are what `jetReport()` prints for the first hint dropped because its parent was
 * unknown (`unknown parent axis=A mug=M sha256=S`).
 *
 * @module
 */

import { ArgumentError } from "./errors.ts";
import { lastError, symbols } from "./ffi.ts";

/** A registration path and the native entry it runs. */
export interface JetMapping {
  /** The `%fast` path, names joined by `/`, a `[%k 140]` root written `k140`. */
  path: string;
  /** A native entry's name ({@linkcode jetEntries}). */
  jet: string;
}

/** A core recognized by its battery when its own `%fast` hint did not run here. */
export interface KnownCore {
  /** The path it registers under. */
  path: string;
  /** Its parent's axis in it; 0 for a root. */
  parentAxis: number;
  /** A root's payload (usually its kelvin); 0 or absent for a child. */
  payload?: number;
  /** The mug of its battery, 8 hex digits. */
  batteryMug: string;
  /** The SHA-256 of its battery's jam, 64 hex digits. */
  batterySha256: string;
}

/** Mappings and known cores, the JSON form of `--jets FILE`. */
export interface JetTable {
  jets?: JetMapping[];
  cores?: KnownCore[];
}

const tableKeys = new Set(["jets", "cores"]);
const mappingKeys = new Set(["path", "jet"]);
const coreKeys = new Set(["path", "parentAxis", "payload", "batteryMug", "batterySha256"]);

function fail(where: string, why: string): never {
  throw new ArgumentError(`Bad jet table: ${where}: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, keys: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.has(key)) fail(`${where}.${key}`, `unknown field (expected ${[...keys].join(", ")})`);
  }
}

function checkPath(value: unknown, where: string): string {
  if (typeof value !== "string") fail(where, "expected a string");
  const names = value.split("/");
  if (value.length === 0 || value.length > 1024 || names.some((name) => !/^[!-~]+$/.test(name))) {
    fail(where, `bad path ${JSON.stringify(value)} (names of printable ASCII joined by '/')`);
  }
  return value;
}

function checkMapping(item: unknown, where: string, entries: Set<string>): string {
  if (!isObject(item)) fail(where, "expected an object {path, jet}");
  checkKeys(item, mappingKeys, where);
  const path = checkPath(item.path, `${where}.path`);
  if (typeof item.jet !== "string" || !entries.has(item.jet)) {
    fail(
      `${where}.jet`,
      `unknown native entry ${JSON.stringify(item.jet)} (see \`cellar jets list\`)`,
    );
  }
  return `jet ${path} ${item.jet}`;
}

function checkCore(item: unknown, where: string): string {
  if (!isObject(item)) {
    fail(where, "expected an object {path, parentAxis, payload, batteryMug, batterySha256}");
  }
  checkKeys(item, coreKeys, where);
  const path = checkPath(item.path, `${where}.path`);
  const axis = item.parentAxis;
  if (!Number.isSafeInteger(axis) || (axis as number) < 0 || axis === 1) {
    fail(`${where}.parentAxis`, "expected 0 (a root) or an axis of 2 or more");
  }
  const payload = item.payload ?? 0;
  if (!Number.isSafeInteger(payload) || (payload as number) < 0) {
    fail(`${where}.payload`, "expected a non-negative integer");
  }
  if (axis !== 0 && payload !== 0) fail(`${where}.payload`, "only a root (parentAxis 0) has one");
  const mug = item.batteryMug;
  if (typeof mug !== "string" || !/^[0-9a-f]{8}$/.test(mug) || mug === "00000000") {
    fail(`${where}.batteryMug`, "expected 8 lowercase hex digits, not all 0");
  }
  const sha = item.batterySha256;
  if (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)) {
    fail(`${where}.batterySha256`, "expected 64 lowercase hex digits");
  }
  return `core ${path} ${axis} ${payload} ${mug} ${sha}`;
}

/**
 * Check a jet table (the parsed JSON of a `--jets` file) without changing anything; its
 * text form for libcellar. Throws `ArgumentError` naming the bad field (`jets[2].jet`).
 */
export function checkJetTable(table: unknown): string {
  if (!isObject(table)) fail("the table", "expected an object {jets, cores}");
  checkKeys(table, tableKeys, "the table");
  const entries = new Set(jetEntries());
  const lines: string[] = [];
  for (const key of ["jets", "cores"] as const) {
    const list = table[key] ?? [];
    if (!Array.isArray(list)) fail(key, "expected an array");
    list.forEach((item, i) => {
      const where = `${key}[${i}]`;
      lines.push(key === "jets" ? checkMapping(item, where, entries) : checkCore(item, where));
    });
  }
  return lines.join("\n");
}

/**
 * Parse and check the text of a `--jets` JSON file (`source` names it in errors).
 *
 * @example
 * ```ts
 * import { parseJetTable } from "@cellar/cellar";
 * const table = parseJetTable('{"jets": [{"path": "myapp/k1/add", "jet": "add"}]}', "jets.json");
 * console.log(table.jets?.length); // 1
 * ```
 */
export function parseJetTable(text: string, source: string): JetTable {
  let table: unknown;
  try {
    table = JSON.parse(text);
  } catch (error) {
    throw new ArgumentError(`Bad jet table ${source}: ${(error as Error).message}`);
  }
  try {
    checkJetTable(table);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    throw new ArgumentError(error.message.replace("Bad jet table:", `Bad jet table ${source}:`));
  }
  return table as JetTable;
}

/**
 * Add mappings and known cores to the process-wide jet table: all of them or, when one is
 * bad (an unknown entry, a bad path or hex, a path already mapped to another entry), none.
 * Registrations made before find their new jets. Returns how many items were new.
 *
 * @example
 * ```ts
 * import { addJets } from "@cellar/cellar";
 * console.log(addJets({ jets: [{ path: "myapp/k1/add", jet: "add" }] }) <= 1); // true
 * ```
 */
export function addJets(table: JetTable): number {
  const text = new TextEncoder().encode(checkJetTable(table));
  const n = symbols().cellar_jets_add(text, text.length);
  if (n < 0) throw lastError();
  return n;
}

function tableText(added: boolean): string[] {
  const S = symbols();
  const length = S.cellar_jets_table(added ? 1 : 0);
  if (length < 0) throw lastError();
  const bytes = new Uint8Array(length);
  S.cellar_take_output(bytes, length);
  return new TextDecoder().decode(bytes).split("\n").filter((line) => line.length > 0);
}

function fromText(lines: string[]): JetTable {
  const jets: JetMapping[] = [];
  const cores: KnownCore[] = [];
  for (const line of lines) {
    const f = line.split(" ");
    if (f[0] === "jet") jets.push({ path: f[1], jet: f[2] });
    if (f[0] === "core") {
      const [path, axis, payload, batteryMug, batterySha256] = f.slice(1);
      cores.push({
        path,
        parentAxis: Number(axis),
        payload: Number(payload),
        batteryMug,
        batterySha256,
      });
    }
  }
  return { jets, cores };
}

/**
 * The names of libcellar's native entries (what a mapping's `jet` may name).
 *
 * @example
 * ```ts
 * import { jetEntries } from "@cellar/cellar";
 * console.log(jetEntries().includes("add")); // true
 * ```
 */
export function jetEntries(): string[] {
  return tableText(false).filter((line) => line.startsWith("entry ")).map((line) => line.slice(6));
}

/**
 * Cellar's built-in jet table, in the JSON form `--jets` reads.
 *
 * @example
 * ```ts
 * import { builtinJetTable } from "@cellar/cellar";
 * console.log(builtinJetTable().jets?.some((m) => m.path === "k140/one/add")); // true
 * ```
 */
export function builtinJetTable(): JetTable {
  return fromText(tableText(false));
}

/**
 * What this process added to the jet table ({@linkcode addJets}), in the same form.
 *
 * @example
 * ```ts
 * import { addedJetTable } from "@cellar/cellar";
 * console.log(Array.isArray(addedJetTable().jets)); // true
 * ```
 */
export function addedJetTable(): JetTable {
  return fromText(tableText(true));
}
