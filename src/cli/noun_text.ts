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
  `A noun given as JSON, in the same form as the HTTP API (docs/JSON.md): a string is a cord,
  a non-negative integer an atom, null is 0, an array of two or more items the tuple
  [a b ...] (right-nested, as in Hoon), and {"list": [...]}, {"hex": "0x..."},
  {"atom": "digits"}, {"jam": "<base64>"} the explicit forms:
  --json '["put", "greeting", ["a", 1]]' is [%put 'greeting' 'a' 1] with [%a 1] at its end.`;

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
