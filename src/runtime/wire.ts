/**
 * Wires: the noun a poke arrives on. A NockApp wire is any noun (drivers use lists such as
 * `[%file 1 %read ~]`); a path given as text (`/http`) or segments is a shorthand for the
 * list of its cords under `/poke` (`poke` is prepended when missing), as Cellar always had.
 *
 * The event log keeps the wire inside the event's jam (so a replay pokes the very noun);
 * its `wire` column holds a {@linkcode wireLabel} for people and tools.
 *
 * @module
 */

import { nounToJson } from "../core/json.ts";
import { Noun } from "../core/noun.ts";
import { pathSegments } from "./kernel.ts";

/** A wire as callers give it: a noun, or a path as text or segments. */
export type WireLike = Noun | string | readonly string[];

/** The default wire of a poke: `/poke/api`. */
export const defaultWire: readonly string[] = ["poke", "api"];

/** Most characters of a label; a longer one is cut and ends in `…`. */
const labelLengthMax = 1024;

/**
 * The wire noun of `wire` (a new noun the caller owns): a noun as it is, a path as the list
 * of its cords with `poke` prepended when missing, nothing as `/poke/api`.
 *
 * @example
 * ```ts
 * import { wireNoun } from "./wire.ts";
 * using wire = wireNoun("/http");
 * console.log(wire.toString()); // the list [%poke %http ~]
 * ```
 */
export function wireNoun(wire: WireLike | undefined): Noun {
  if (wire instanceof Noun) return Noun.from(wire);
  const segments = wire === undefined ? [...defaultWire] : pathSegments(wire);
  return Noun.list(segments[0] === "poke" ? segments : ["poke", ...segments]);
}

/**
 * A wire as text for the log and for people: `/a/b/1` when it is a list of atoms that read
 * as path segments (text without `/`, or numbers), else its JSON noun form (docs/JSON.md),
 * cut at 1,024 characters.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { wireLabel } from "./wire.ts";
 * using wire = Noun.list(["file", 1, "read"]);
 * console.log(wireLabel(wire)); // /file/1/read
 * ```
 */
export function wireLabel(wire: Noun): string {
  let json;
  try {
    json = nounToJson(wire, { lists: "array", maxBytes: 64 * labelLengthMax });
  } catch {
    return "(a wire too large to show)";
  }
  const segments = Array.isArray(json) ? json : null;
  const isPath = segments !== null &&
    segments.every((s) =>
      (typeof s === "string" && s.length > 0 && !s.includes("/")) || typeof s === "number"
    );
  const text = isPath ? "/" + segments.join("/") : JSON.stringify(json);
  return text.length <= labelLengthMax ? text : text.slice(0, labelLengthMax - 1) + "…";
}
