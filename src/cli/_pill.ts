/**
 * Where the CLI finds Urbit's ivory pill when no `--pill` is given: the same places as
 * `./cellar build` — `$CELLAR_IVORY_PILL`, else `../shared/corpus/pills/ivory.pill` beside
 * the checkout. The pill is not part of this repository.
 *
 * @module
 */

/** The variable naming the pill. */
export const pillVariable = "CELLAR_IVORY_PILL";

/** The pill's default place, beside a checkout (none for a package loaded over the network). */
export function defaultPillPath(): string | null {
  const url = new URL("../../../shared/corpus/pills/ivory.pill", import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false; // absent, or not readable with the permissions held
  }
}

/**
 * The pill to use when `--pill` is not given: `$CELLAR_IVORY_PILL` when set (whether or not
 * the file is there, so a wrong path is reported as such), else the default place when a file
 * is there; otherwise null, with `tried` saying where it looked.
 */
export function findPill(tried: string[] = []): string | null {
  const granted =
    Deno.permissions.querySync({ name: "env", variable: pillVariable }).state === "granted";
  const fromEnv = granted ? Deno.env.get(pillVariable) : undefined;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  tried.push(granted ? `$${pillVariable} (not set)` : `$${pillVariable} (no --allow-env for it)`);
  const path = defaultPillPath();
  if (path !== null && isFile(path)) return path;
  if (path !== null) tried.push(`${path} (not there, or not readable)`);
  return null;
}
