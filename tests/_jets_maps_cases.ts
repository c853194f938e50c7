/**
 * Conformance cases of the map and set jets (zig/jets/maps.zig): every arm the ivory pill
 * registers under `by` and `in`, on fixed trees and on seeded random ones of several sizes
 * (0 to 150 keys, atoms small and large, overlapping pairs for the two-tree arms). The
 * harness runs each in jet-check mode, so every product is compared with the arm's Nock;
 * the products stated here are the ones that are easy to know by hand.
 *
 * @module
 */
import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

const next = random(0x6d617073);

/** `n` random atoms below `limit` (repeats allowed: `gas` and `put` meet known keys). */
function atoms(n: number, limit: number): bigint[] {
  return Array.from({ length: n }, () => BigInt(Math.floor(next() * limit)));
}

const list = (xs: bigint[]) => `~[${xs.map(dot).join(" ")}]`;

function set(xs: bigint[]): string {
  return xs.length === 0 ? "*(set @)" : `(silt \`(list @)\`${list(xs)})`;
}

function map(xs: bigint[]): string {
  if (xs.length === 0) return "*(map @ @)";
  const pairs = xs.map((x) => `[${dot(x)} ${dot(x * 7n + 1n)}]`).join(" ");
  return `(malt \`(list [@ @])\`~[${pairs}])`;
}

/** Key lists of several sizes; big atoms in the larger ones. */
const sizes = [0, 2, 9, 40, 120];
const keys = sizes.map((n, i) => atoms(n, i < 3 ? 100 : 2 ** 40));
/** Pairs of overlapping key lists for uni, int and dif. */
const pairs = sizes.map((n) => {
  const shared = atoms(Math.floor(n / 2), 1_000);
  return [[...shared, ...atoms(n, 1_000)], [...atoms(n, 1_000), ...shared]];
});

function eachSet(f: (s: string, xs: bigint[]) => Case[]): Case[] {
  return keys.flatMap((xs) => f(set(xs), xs));
}

function eachMap(f: (m: string, xs: bigint[]) => Case[]): Case[] {
  return keys.flatMap((xs) => f(map(xs), xs));
}

/** A key of `xs` (when it has one) and, in the smaller trees, one it lacks. */
function probes(xs: bigint[]): string[] {
  if (xs.length === 0) return ["1"];
  const found = dot(xs[xs.length >> 1]);
  return xs.length > 9 ? [found] : [found, dot(xs[0] + 2n ** 41n)];
}

/** A set with a forged type whose node has no children: `has` reads only its `n`. */
const forged = "!<((set @) [-:!>(*(set @)) [5 6]])";
/** A gate that says neither yes nor no (its type forged): `?&` and `?|` crash on it. */
const neither = "|=(a=@ !<(? [-:!>(&) 2]))";

const setCases: Record<string, Case[]> = {
  "in-put": eachSet((s, xs) => probes(xs).map((k) => c(`(~(put in ${s}) ${k})`))),
  "in-has": [
    c(`(~(has in ${set([1n, 2n, 3n])}) 2)`, "0"),
    c(`(~(has in ${set([1n, 2n, 3n])}) 4)`, "1"),
    c(`(~(has in ${forged}) 5)`, "0"),
    ...eachSet((s, xs) => probes(xs).map((k) => c(`(~(has in ${s}) ${k})`))),
  ],
  "in-del": eachSet((s, xs) => probes(xs).map((k) => c(`(~(del in ${s}) ${k})`))),
  "in-gas": [
    c(`(~(gas in *(set @)) ~[3 3 3])`, "[3 0 0]"),
    ...eachSet((s) => [c(`(~(gas in ${s}) ${list(atoms(10, 2 ** 40))})`)]),
  ],
  "in-tap": [c(`~(tap in *(set @))`, "0"), ...eachSet((s) => [c(`~(tap in ${s})`)])],
  "in-wyt": eachSet((s, xs) => [c(`~(wyt in ${s})`, String(new Set(xs).size))]),
  "in-apt": [...eachSet((s) => [c(`~(apt in ${s})`, "0")]), crash(`~(apt in ${forged})`)],
  "in-bif": eachSet((s, xs) => probes(xs).map((k) => c(`(~(bif in ${s}) ${k})`))),
  "in-uni": [
    ...pairs.map(([a, b]) => c(`(~(uni in ${set(a)}) ${set(b)})`)),
    c(`=/  s  ${set(keys[3])}  (~(uni in s) s)`),
  ],
  "in-int": pairs.map(([a, b]) => c(`(~(int in ${set(a)}) ${set(b)})`)),
  "in-dif": pairs.flatMap(([a, b]) => [
    c(`(~(dif in ${set(a)}) ${set(b)})`),
    c(`(~(dif in ${set(b)}) ${set(a)})`),
  ]),
  "in-rep": eachSet((s) => [c(`(~(rep in ${s}) |=([a=@ b=(list @)] [a b]))`)]),
  "in-run": eachSet((s) => [c(`(~(run in ${s}) |=(a=@ (dis a 7)))`)]),
  "in-all": [
    ...eachSet((s) => [c(`(~(all in ${s}) |=(a=@ (lth a 50)))`)]),
    crash(`(~(all in ${set([1n])}) ${neither})`),
  ],
  "in-any": eachSet((s) => [c(`(~(any in ${s}) |=(a=@ =(0 (dis a 3))))`)]),
};

const mapCases: Record<string, Case[]> = {
  "by-get": [
    c(`(~(get by ${map([4n])}) 4)`, "[0 29]"),
    c(`(~(get by ${map([4n])}) 5)`, "0"),
    c(`(~(got by ${map([4n, 9n])}) 9)`, "64"),
    crash(`(~(got by ${map([4n])}) 5)`),
    c(`(~(gut by ${map([4n])}) 5 77)`, "77"),
    ...eachMap((m, xs) => probes(xs).map((k) => c(`(~(get by ${m}) ${k})`))),
  ],
  "by-has": eachMap((m, xs) => probes(xs).map((k) => c(`(~(has by ${m}) ${k})`))),
  "by-put": eachMap((m, xs) =>
    probes(xs).flatMap((k) => [c(`(~(put by ${m}) ${k} 5)`), c(`(~(put by ${m}) ${k} 29)`)])
  ),
  "by-del": eachMap((m, xs) => probes(xs).map((k) => c(`(~(del by ${m}) ${k})`))),
  "by-gas": [
    c(`(~(gas by *(map @ @)) ~[[1 2] [1 3]])`, "[[1 3] 0 0]"),
    ...eachMap((m) => [c(`(~(gas by ${m}) ~[[1 2] [3 4] [1 5]])`)]),
  ],
  "by-tap": eachMap((m) => [c(`~(tap by ${m})`)]),
  "by-wyt": eachMap((m, xs) => [c(`~(wyt by ${m})`, String(new Set(xs).size))]),
  "by-key": eachMap((m) => [c(`~(key by ${m})`)]),
  "by-apt": eachMap((m) => [c(`~(apt by ${m})`, "0")]),
  "by-uni": [
    ...pairs.map(([a, b]) => c(`(~(uni by ${map(a)}) ${map(b)})`)),
    c(`(~(uni by ${map([1n, 2n])}) (malt \`(list [@ @])\`~[[2 9]]))`),
  ],
  "by-int": pairs.map(([a, b]) => c(`(~(int by ${map(a)}) ${map(b)})`)),
  "by-dif": pairs.flatMap(([a, b]) => [
    c(`(~(dif by ${map(a)}) ${map(b)})`),
    c(`(~(dif by ${map(b)}) ${map(a)})`),
  ]),
  "by-rep": eachMap((m) => [c(`(~(rep by ${m}) |=([a=[@ @] b=(list @)] [+.a b]))`)]),
  "by-run": eachMap((m) => [c(`(~(run by ${m}) |=(a=@ [a a]))`)]),
  "by-urn": eachMap((m) => [c(`(~(urn by ${m}) |=([k=@ v=@] [v k]))`)]),
  "by-all": eachMap((m) => [c(`(~(all by ${m}) |=(a=@ (lth a 300)))`)]),
  "by-any": [
    ...eachMap((m) => [c(`(~(any by ${m}) |=(a=@ =(0 (dis a 3))))`)]),
    crash(`(~(any by ${map([1n])}) ${neither})`),
  ],
  "by-jab": [
    c(`(~(jab by ${map([4n])}) 4 |=(a=@ +(a)))`, "[[4 30] 0 0]"),
    crash(`(~(jab by ${map([4n])}) 5 |=(a=@ +(a)))`),
    ...eachMap((m, xs) =>
      xs.length === 0 ? [] : [c(`(~(jab by ${m}) ${dot(xs[0])} |=(a=@ (lsh 0 a)))`)]
    ),
  ],
};

/** The cases of every map and set jet, by entry name. */
export const mapsCases: Record<string, Case[]> = { ...setCases, ...mapCases };
