/**
 * How a request wants its answer's nouns: jam bytes (`Accept: application/x-jam` or
 * `?format=jam`), or JSON written with the codec's options `as` and `lists` (docs/JSON.md),
 * taken from the query (`?as=numbers&lists=array`) or else from parameters of the Accept
 * header's JSON media type (`Accept: application/json; as=numbers`).
 *
 * @module
 */

import { jsonModes, listForms } from "../core/json.ts";
import { HttpError, mediaType, wantsJam } from "./http_util.ts";
import type { JsonFormat, NounFormat } from "./protocol.ts";

/**
 * The JSON options a request names (`{}` when none): the query's `as` and `lists`, else the
 * Accept header's. A value the codec does not know is `400 BadOption`.
 */
export function requestJsonOptions(request: Request, url: URL): JsonFormat {
  const accepted = acceptParameters(request.headers.get("accept"));
  const out: JsonFormat = {};
  const as = option(url, accepted, "as", jsonModes);
  const lists = option(url, accepted, "lists", listForms);
  if (as !== undefined) out.as = as;
  if (lists !== undefined) out.lists = lists;
  return out;
}

/** The form of a request's answer: `"jam"`, `"json"`, or JSON with options. */
export function replyFormat(request: Request, url: URL): NounFormat {
  const options = requestJsonOptions(request, url);
  if (wantsJam(request, url)) return "jam";
  return options.as === undefined && options.lists === undefined ? "json" : options;
}

/** The parameters of the first JSON media type (or `*\/*`) in an Accept header. */
function acceptParameters(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(",")) {
    const type = mediaType(part);
    if (type !== "application/json" && type !== "*/*") continue;
    for (const parameter of part.split(";").slice(1)) {
      const [name, value] = parameter.split("=").map((s) => s.trim());
      if (value !== undefined) out.set(name.toLowerCase(), value.replace(/^"(.*)"$/, "$1"));
    }
    break;
  }
  return out;
}

function option<T extends string>(
  url: URL,
  accepted: Map<string, string>,
  name: string,
  choices: readonly T[],
): T | undefined {
  const given = url.searchParams.get(name) ?? accepted.get(name);
  if (given === undefined || given === null) return undefined;
  if ((choices as readonly string[]).includes(given)) return given as T;
  throw new HttpError(
    400,
    "BadOption",
    `Bad ${name}=${JSON.stringify(given)}: expected one of ${choices.join(", ")}`,
  );
}
