/**
 * Reading what a `POST /poke` names besides its jam body: the wire (a path or a JSON noun,
 * from the query or the `X-Cellar-Wire` header) and a JSON body, which is either the cause
 * as a JSON noun or the object `{"wire": NOUN, "cause": NOUN}` (docs/HTTP.md).
 *
 * @module
 */

import { ArgumentError } from "../core/errors.ts";
import { checkNounJson, parseNounJson } from "../core/json.ts";
import type { Json, ListForm } from "../core/json.ts";
import { HttpError } from "./http_util.ts";
import { describe } from "./options.ts";
import type { PokeCall } from "./protocol.ts";

const wirePattern = /^(\/[A-Za-z0-9._~-]{1,64}){1,16}$/;

/**
 * A wire given in the query or the `X-Cellar-Wire` header: a path (`/poke/app`), or a JSON
 * noun (it starts with `[` or `{`), used as the wire noun itself.
 */
export function readWire(given: string): Pick<PokeCall, "wire" | "wireJson"> {
  if (given.startsWith("[") || given.startsWith("{")) {
    return { wireJson: checkedNoun(given, "BadWire", "The wire") };
  }
  if (!wirePattern.test(given)) {
    throw new HttpError(
      400,
      "BadWire",
      "The wire must be a path like /poke/app (1 to 16 segments of [A-Za-z0-9._~-], each 1 to " +
        '64 characters) or a JSON noun such as ["poke", "app", 1, 0]',
    );
  }
  return { wire: given };
}

/**
 * A JSON poke body: a JSON noun (the cause, on the default wire), or the object
 * `{"wire": NOUN, "cause": NOUN}` (`wire` optional). No JSON noun is such an object.
 */
export function readPokeJson(
  body: Uint8Array,
  lists?: ListForm,
): { cause: Json; wireJson?: Json } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch (error) {
    throw new HttpError(400, "BadJson", `The body is not valid JSON: ${describe(error)}`);
  }
  const json = checkedNoun(text, "BadNoun", "The body", { envelope: true, lists });
  if (!isPokeEnvelope(json)) return { cause: json };
  const extra = Object.keys(json).filter((k) => k !== "wire" && k !== "cause");
  if (extra.length > 0 || !("cause" in json)) {
    throw new HttpError(
      400,
      "BadNoun",
      'A poke object is {"wire": NOUN, "cause": NOUN}: ' +
        (extra.length > 0 ? `unknown key ${JSON.stringify(extra[0])}` : "it has no cause"),
    );
  }
  checkPart(json.cause, "The cause", "BadNoun", lists);
  if (!("wire" in json)) return { cause: json.cause };
  checkPart(json.wire, "The wire");
  return { cause: json.cause, wireJson: json.wire };
}

/** An object with a `wire` or `cause` key: a poke envelope, never a JSON noun. */
function isPokeEnvelope(json: Json): json is { [key: string]: Json } {
  return typeof json === "object" && json !== null && !Array.isArray(json) &&
    ("cause" in json || "wire" in json);
}

/** Parse JSON text and check it is a JSON noun (or, with `envelope`, a poke envelope). */
function checkedNoun(
  text: string,
  code: string,
  what: string,
  options: { envelope?: boolean; lists?: ListForm } = {},
): Json {
  let json: Json;
  try {
    json = parseNounJson(text);
  } catch (error) {
    // Valid JSON that no noun has (nested past the limit, a lone surrogate) is a bad noun;
    // text that is not JSON at all is bad JSON.
    if (error instanceof ArgumentError) {
      throw new HttpError(400, code, `${what} is not a JSON noun: ${error.message}`);
    }
    throw new HttpError(
      400,
      code === "BadWire" ? code : "BadJson",
      `${what} is not valid JSON: ${describe(error)}`,
    );
  }
  if (options.envelope && isPokeEnvelope(json)) return json;
  checkPart(json, what, code, options.lists);
  return json;
}

/** Check that `json` is a JSON noun (plain arrays read as `lists`): a 400 naming `what`. */
function checkPart(json: Json, what: string, code = "BadNoun", lists?: ListForm): void {
  try {
    checkNounJson(json, { lists });
  } catch (error) {
    if (error instanceof ArgumentError) {
      throw new HttpError(400, code, `${what} is not a JSON noun: ${error.message}`);
    }
    throw error;
  }
}
