/**
 * Conformance cases of the encodings family (zig/jets/encodings.zig) and of zuse's line and
 * subsequence arms (zig/jets/lines.zig), on the ivory pill:
 *   `de:base16:mimes:html`: product `[~ len value]`, `~` when a byte is no hex digit;
 *   `en:base16:mimes:html`: `2 * p.a` lowercase hex digits of the low `p.a` bytes of `q.a`;
 *   `to-wain:format` (%leer): every segment between newlines, the last one included;
 *   `lune:unix:userlib` (%lune): lines each ended by a newline, a crash if the last is not;
 *   `nule:unix:userlib` (%nule): every line followed by a newline (lune's inverse);
 *   `loss:differ` (%loss): the longest common subsequence zuse's walk picks.
 * Random texts and lists come from a seeded generator; where the product is not stated, the
 * case checks the jet against the arm's own Nock.
 *
 * @module
 */

import { budget, c, type Case, crash, random } from "./_jet_cases.ts";

/** A cord's value as `formatNoun` prints it (decimal, first byte lowest). */
function cord(text: string): string {
  let n = 0n;
  for (let i = text.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(text.charCodeAt(i));
  return n.toString();
}

/** A list of cords as `formatNoun` prints it. */
function cords(lines: string[]): string {
  return lines.length === 0 ? "0" : `[${[...lines.map(cord), "0"].join(" ")}]`;
}

/** Text as a Hoon cord literal: newlines and NULs escaped. */
function literal(text: string): string {
  return `'${text.replaceAll("\n", "\\0a").replaceAll("\0", "\\00")}'`;
}

/** `count` random texts of letters, newlines and an occasional NUL, from `seed`. */
function randomTexts(seed: number, count: number, length: number): string[] {
  const next = random(seed);
  const out: string[] = [];
  while (out.length < count) {
    let text = "";
    const size = Math.floor(next() * length);
    for (let i = 0; i < size; i++) {
      const r = next();
      text += r < 0.2 ? "\n" : r < 0.23 ? "\0" : String.fromCharCode(97 + Math.floor(r * 26));
    }
    out.push(text.replace(/\0+$/, ""));
  }
  return out;
}

/** `count` random lists of small atoms, as Hoon `~[...]` literals. */
function randomLists(seed: number, count: number, length: number, range: number): string[] {
  const next = random(seed);
  const out: string[] = [];
  while (out.length < count) {
    const size = Math.floor(next() * length);
    const items = Array.from({ length: size }, () => Math.floor(next() * range));
    out.push(size === 0 ? "`(list @)`~" : `\`(list @)\`~[${items.join(" ")}]`);
  }
  return out;
}

const leerTexts = randomTexts(21, 6, 40);
const luneTexts = randomTexts(22, 6, 24).map((text) => text.replace(/\n?$/, "\n"));
const lossLists = randomLists(23, 8, 24, 5);

/** The encodings family's and the line arms' cases, by native entry name. */
export const encodingsCases: Record<string, Case[]> = {
  "base16-de": [
    c("(de:base16:mimes:html '0aFf')", "[0 2 2815]"),
    c("(de:base16:mimes:html 'abc')", "[0 2 2748]"),
    c("(de:base16:mimes:html '')", "[0 0 0]"),
    c("(de:base16:mimes:html '0g')", "0"),
    c('(de:base16:mimes:html (crip "00ff00"))', "[0 3 65280]"),
    c("(de:base16:mimes:html (en:base16:mimes:html [20 (shax 'x')]))"),
  ],
  "base16-en": [
    c("(en:base16:mimes:html [2 0xabcd])", cord("abcd")),
    c("(en:base16:mimes:html [3 1])", cord("000001")),
    c("(en:base16:mimes:html [1 0xabcd])", cord("cd")),
    c("(en:base16:mimes:html [0 0xabcd])", "0"),
    c("(en:base16:mimes:html [2 0])", cord("0000")),
    c("(en:base16:mimes:html [32 (shax 'x')])"),
    c("(en:base16:mimes:html [9 0x1.0000.0000.0000.00ff])", cord("0100000000000000ff")),
  ],
  leer: [
    c("(to-wain:format '')", cords([""])),
    c("(to-wain:format 'abc')", cords(["abc"])),
    c("(to-wain:format 'a\\0ab')", cords(["a", "b"])),
    c("(to-wain:format 'a\\0a')", cords(["a", ""])),
    c("(to-wain:format '\\0a\\0a')", cords(["", "", ""])),
    c("(to-wain:format 'a\\00b\\0ac')", cords(["a\0b", "c"])),
    c("(to-wain:format 'a\\0d\\0ab')", cords(["a\r", "b"])),
    ...leerTexts.map((text) => c(`(to-wain:format ${literal(text)})`, cords(text.split("\n")))),
  ],
  lune: [
    c("(lune:unix:userlib '')", "0"),
    c("(lune:unix:userlib '\\0a')", cords([""])),
    c("(lune:unix:userlib 'a\\0ab\\0a')", cords(["a", "b"])),
    c("(lune:unix:userlib 'a\\0a\\0a')", cords(["a", ""])),
    c("(lune:unix:userlib 'a\\0d\\0a')", cords(["a\r"])),
    crash("(lune:unix:userlib 'abc')"),
    crash("(lune:unix:userlib 'a\\0ab')"),
    ...luneTexts.map((text) =>
      c(`(lune:unix:userlib ${literal(text)})`, cords(text.split("\n").slice(0, -1)))
    ),
  ],
  nule: [
    c("(nule:unix:userlib ~)", "0"),
    c("(nule:unix:userlib ~[''])", cord("\n")),
    c("(nule:unix:userlib ~['a' 'b'])", cord("a\nb\n")),
    c("(nule:unix:userlib ~['a\\00b' '' 'c'])", cord("a\0b\n\nc\n")),
    c("(nule:unix:userlib ~[(lsh [3 2] 'a')])", cord("\0\0a\n")),
    ...luneTexts.map((text) =>
      c(
        `(nule:unix:userlib (lune:unix:userlib ${literal(text)}))`,
        cord(text.replace(/\0+\n/g, "\n")),
      )
    ),
  ],
  loss: [
    c('(loss:differ "abcbdab" "bdcaba")'),
    c('(loss:differ "abc" "abd")', "[97 98 0]"),
    c("(loss:differ `(list @)`~ `(list @)`~[1 2])", "0"),
    c("(loss:differ `(list @)`~[1 2] `(list @)`~)", "0"),
    c("(loss:differ `(list @)`~[1 2 1 2] `(list @)`~[2 1 2 1])", "[2 1 2 0]"),
    c("(loss:differ `(list *)`~[[1 2] 3] `(list *)`~[3 [1 2]])", "[3 0]"),
    c("(loss:differ (to-wain:format 'a\\0ab\\0ac') (to-wain:format 'b\\0ac\\0ad'))"),
    ...lossLists.slice(1).map((hev, i) =>
      budget(5_000_000, c(`(loss:differ ${lossLists[i]} ${hev})`))
    ),
  ],
};
