/**
 * Conformance cases of the small standard-library jets (zig/jets/stdlib.zig and
 * list_slams.zig): lists that slam a gate (lien murn reel skid skim skip sort), need, slag,
 * fil and pow, on fixed inputs, forged malformed ones (crashes) and seeded random lists.
 * The harness runs each in jet-check mode, so every product is compared with the arm's
 * Nock; the products stated here are the ones that are easy to know by hand.
 *
 * @module
 */
import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

const next = random(0x73746c62);

/** `n` random atoms below `limit`. */
function atoms(n: number, limit: number): bigint[] {
  return Array.from({ length: n }, () => BigInt(Math.floor(next() * limit)));
}

const list = (xs: bigint[]) =>
  xs.length === 0 ? "`(list @)`~" : `\`(list @)\`~[${xs.map(dot).join(" ")}]`;
const shown = (xs: bigint[]) => xs.length === 0 ? "0" : `[${xs.join(" ")} 0]`;

/** Random lists of several lengths. */
const lists = [0, 1, 5, 17, 60].map((n, i) => atoms(n, i < 3 ? 10 : 1_000));

/** A noun forged to have the type `type` (the Nock sees it as it is). */
const forge = (type: string, noun: string) => `!<(${type} [-:!>(*${type}) ${noun}])`;
/** A list of atoms ending in 5 instead of `~`. */
const improper = forge("(list @)", "[1 2 5]");
/** A gate that says neither yes nor no. */
const neither = "|=(a=@ !<(? [-:!>(&) 2]))";
/** An ordering that is not one: rock, paper, scissors. */
const rps = "|=([a=@ b=@] =((mod +(a) 3) b))";
/** An ordering that looks at a hash: consistent but unrelated to the values. */
const mugOrder = "|=([a=@ b=@] (lth (mug a) (mug b)))";

const even = "|=(a=@ =(0 (mod a 2)))";

export const stdlibCases: Record<string, Case[]> = {
  lien: [
    c(`(lien ${list([1n, 3n, 4n])} ${even})`, "0"),
    c(`(lien ${list([1n, 3n])} ${even})`, "1"),
    c(`(lien ${list([])} ${even})`, "1"),
    crash(`(lien ${improper} |=(a=@ |))`),
    crash(`(lien ${list([1n])} ${neither})`),
    ...lists.map((xs) => c(`(lien ${list(xs)} |=(a=@ =(a 7)))`, xs.includes(7n) ? "0" : "1")),
  ],
  murn: [
    c(`(murn ${list([1n, 2n, 3n, 4n])} |=(a=@ ?:(=(0 (mod a 2)) \`(div a 2) ~)))`, "[1 2 0]"),
    crash(`(murn ${list([1n])} |=(a=@ !<((unit @) [-:!>(*(unit @)) 3])))`),
    crash(`(murn ${improper} |=(a=@ \`a))`),
    ...lists.map((xs) => c(`(murn ${list(xs)} |=(a=@ ?:((gth a 4) \`+(a) ~)))`)),
  ],
  need: [
    c("(need `(unit @)``5)", "5"),
    crash("(need `(unit @)`~)"),
    crash(`(need ${forge("(unit @)", "7")})`),
  ],
  pow: [
    c("(pow 3 4)", "81"),
    c("(pow 2 64)", "18446744073709551616"),
    c("(pow 0 0)", "1"),
    c("(pow 0 9)", "0"),
    c("(pow 7 1)", "7"),
    ...atoms(6, 50).map((b, i) => {
      const a = BigInt(i + 2);
      return c(`(pow ${a} ${b})`, String(a ** b));
    }),
  ],
  reel: [
    c(`(reel ${list([1n, 2n, 3n])} |=([a=@ b=@] (add (mul b 10) a)))`, "321"),
    c(`(reel ${list([])} add)`, "0"),
    crash(`(reel ${improper} add)`),
    ...lists.map((xs) => c(`(reel ${list(xs)} |=([a=@ b=(list @)] [a b]))`, shown(xs))),
  ],
  skid: [
    c(`(skid ${list([1n, 2n, 3n, 4n])} ${even})`, "[[2 4 0] 1 3 0]"),
    c(`(skid ${list([])} ${even})`, "[0 0]"),
    crash(`(skid ${improper} ${even})`),
    crash(`(skid ${list([1n])} ${neither})`),
    ...lists.map((xs) => c(`(skid ${list(xs)} |=(a=@ (lth a 5)))`)),
  ],
  skim: [
    c(`(skim ${list([1n, 2n, 3n, 4n])} ${even})`, "[2 4 0]"),
    crash(`(skim ${improper} ${even})`),
    crash(`(skim ${list([1n])} ${neither})`),
    ...lists.map((xs) => c(`(skim ${list(xs)} |=(a=@ (lth a 5)))`)),
  ],
  skip: [
    c(`(skip ${list([1n, 2n, 3n, 4n])} ${even})`, "[1 3 0]"),
    crash(`(skip ${improper} ${even})`),
    crash(`(skip ${list([1n])} ${neither})`),
    ...lists.map((xs) => c(`(skip ${list(xs)} |=(a=@ (lth a 5)))`)),
  ],
  slag: [
    c(`(slag 2 ${list([5n, 6n, 7n])})`, "[7 0]"),
    c(`(slag 9 ${list([5n])})`, "0"),
    c(`(slag (bex 70) ${list([5n])})`, "0"),
    c(`(slag 0 ${improper})`, "[1 2 5]"),
    c(`(slag 2 ${improper})`, "5"),
    crash(`(slag 3 ${improper})`),
    ...lists.map((xs, i) => c(`(slag ${i * 3} ${list(xs)})`, shown(xs.slice(i * 3)))),
  ],
  sort: [
    c(`(sort ${list([3n, 1n, 2n])} lth)`, "[1 2 3 0]"),
    c(`(sort ${list([])} lth)`, "0"),
    c(`(sort ${list([0n, 1n, 2n])} ${rps})`, "[2 0 1 0]"),
    crash(`(sort ${improper} lth)`),
    crash(`(sort ${list([1n, 2n])} |=([a=@ b=@] !<(? [-:!>(&) 2])))`),
    c(`(sort ${list([7n])} |=([a=@ b=@] !<(? [-:!>(&) 2])))`, "[7 0]"),
    ...lists.map((xs) => c(`(sort ${list(xs)} lth)`, shown([...xs].sort((a, b) => Number(a - b))))),
    ...lists.map((xs) => c(`(sort ${list(xs)} gth)`)),
    ...lists.map((xs) => c(`(sort ${list(xs)} ${rps})`)),
    ...lists.map((xs) => c(`(sort ${list(xs)} ${mugOrder})`)),
  ],
  fil: [
    c("(fil 3 3 0x1ab)", "11250603"),
    c("(fil 3 0 5)", "0"),
    c("(fil 0 3 1)", "7"),
    c("(fil 5 4 0)", "0"),
    ...atoms(6, 2 ** 20).map((x, i) => c(`(fil ${i % 4} ${i + 1} ${dot(x)})`)),
  ],
};
