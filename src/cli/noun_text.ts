/**
 * Nouns on the command line: the text form of a poke's cause (`put greeting hello`), nouns
 * written as JSON, and printing a noun with its text atoms shown as cords.
 *
 * @module
 */

import type { Noun, NounLike } from "../core/noun.ts";
import { formatNoun } from "../core/print.ts";
import { UsageError } from "./_common.ts";

/** The text form of causes, for the help of `poke`. */
export const causeTextHelp = `A cause given as words is a noun built from them:
  - one word is an atom, several words are the tuple [a b c ...];
  - digits (1234, or 1.234 with Hoon's dots) and 0x-prefixed hex (0xff) are numbers;
  - ~ is 0 (null);
  - 'text' (quoted for the shell: "'42'") is the cord of the text, even if it is digits;
  - %word is the cord of word; any other word is its own cord (UTF-8 bytes, first byte
    least significant, as Hoon's @t).
  So 'cellar poke put greeting hello' pokes [%put 'greeting' 'hello'] and
  'cellar poke incr hits 5' pokes [%incr 'hits' 5].`;

/** The JSON form of nouns, for the help of `poke`. */
export const nounJsonHelp =
  `A noun given as JSON: a string is a cord, a non-negative integer an atom, null is 0,
  an array of two or more items the tuple [a b ...] (right-nested, as in Hoon):
  --json '["put", "greeting", ["a", 1]]' is [%put 'greeting' 'a' 1] with [%a 1] at its end.
  Numbers above 2^53 are refused: give a jam file (--jam) for such nouns.`;

/**
 * The noun a command-line word stands for (see {@linkcode causeTextHelp}).
 *
 * @example
 * ```ts
 * import { wordNoun } from "./noun_text.ts";
 * console.log(wordNoun("1.000"), wordNoun("%put"), wordNoun("'42'")); // 1000n put 42
 * ```
 */
export function wordNoun(word: string): NounLike {
  if (word === "~") return 0;
  if (/^\d{1,3}(\.\d{3})+$/.test(word)) return BigInt(word.replaceAll(".", ""));
  if (/^\d+$/.test(word)) return BigInt(word);
  if (/^0x[0-9a-fA-F]+$/.test(word)) return BigInt(word);
  if (word.length >= 2 && word.startsWith("'") && word.endsWith("'")) return word.slice(1, -1);
  if (word.startsWith("%") && word.length > 1) return word.slice(1);
  return word;
}

/**
 * The cause given as words: one word is an atom, several the tuple of their nouns (as a
 * `NounLike`: nothing is allocated yet).
 *
 * @example
 * ```ts
 * import { causeFromWords } from "./noun_text.ts";
 * console.log(causeFromWords(["incr", "hits", "5"])); // [ "incr", "hits", 5n ]
 * ```
 */
export function causeFromWords(words: string[]): NounLike {
  if (words.length === 0) throw new UsageError("Expected a cause (words, --json or --jam)");
  const items = words.map(wordNoun);
  return items.length === 1 ? items[0] : items;
}

/**
 * A noun written as JSON (see {@linkcode nounJsonHelp}), checked and converted to a
 * `NounLike` (nothing is allocated yet); a {@linkcode UsageError} for anything else.
 *
 * @example
 * ```ts
 * import { nounFromJson } from "./noun_text.ts";
 * console.log(nounFromJson('[1, [2, 3], null]')); // [ 1, [ 2, 3 ], 0 ]
 * ```
 */
export function nounFromJson(text: string): NounLike {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Bad --json noun: ${error instanceof Error ? error.message : error}`);
  }
  // Validate and convert without recursion (the input may nest deeply).
  const root: { value: unknown } = { value };
  const stack: { holder: Record<string, unknown>; key: string }[] = [{
    holder: root as unknown as Record<string, unknown>,
    key: "value",
  }];
  while (stack.length > 0) {
    const { holder, key } = stack.pop()!;
    const v = holder[key];
    if (v === null) {
      holder[key] = 0;
    } else if (typeof v === "string") {
      continue;
    } else if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new UsageError(
          `Bad --json noun: ${v} is not an atom (a non-negative integer below 2^53)`,
        );
      }
    } else if (Array.isArray(v)) {
      if (v.length < 2) {
        throw new UsageError(
          `Bad --json noun: an array must have two or more items (a cell), got ${v.length}`,
        );
      }
      const copy = [...v];
      holder[key] = copy;
      for (let i = 0; i < copy.length; i++) {
        stack.push({ holder: copy as unknown as Record<string, unknown>, key: String(i) });
      }
    } else {
      throw new UsageError(
        `Bad --json noun: ${typeof v} values are not nouns (use strings, integers, null, arrays)`,
      );
    }
  }
  return root.value as NounLike;
}

/**
 * Print a noun like {@linkcode formatNoun}; with `text`, atoms whose bytes are printable
 * UTF-8 print as cords (`'hello'`) — a guess: a number whose bytes happen to be
 * printable prints as text too.
 *
 * @example
 * ```ts
 * import { Noun } from "../core/noun.ts";
 * import { nounText } from "./noun_text.ts";
 * using noun = Noun.from(["put", "greeting", 5]);
 * console.log(nounText(noun, { text: true })); // ['put' 'greeting' 5]
 * ```
 */
export function nounText(noun: Noun, options: { text?: boolean; maxLength?: number } = {}): string {
  return formatNoun(noun, { maxLength: options.maxLength, cords: options.text });
}
