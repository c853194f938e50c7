/**
 * Conformance cases of the small standard-library jets (issue 13): `sqt` (zig/jets/math.zig),
 * `mat` and `rub` (zig/jets/serial_jets.zig), `welp` and `mate` (zig/jets/list.zig), `last`
 * (zig/jets/parse.zig), `by/bif` (zig/jets/maps.zig) and `og/raw` (zig/jets/og.zig), with
 * seeded random inputs for `sqt`, the `mat`/`rub` round trips and `bif`.
 *
 * The ivory pill registers none of `mate` and `last` (Urbit's runtime and nockvm do, in later
 * kelvins): their cases build the arm from hoon.hoon's source inside the library core that
 * holds it, under the same `%fast` name (`=>  ..mate  ~/  %mate  ...`), so the gate is
 * registered at `one/two/mate` (and `one/two/tri/qua/last`) and checked against its own Nock.
 *
 * Samples of the wrong type are left to the Zig unit tests: with a cell where an atom belongs
 * the arm's Nock never ends (it counts up to a cell in `dec`).
 *
 * @module
 */
import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

/** `n` random atoms of up to `bits` bits (at least one bit each), from `seed`. */
function randomAtoms(seed: number, n: number, bits: number): bigint[] {
  const next = random(seed);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const width = 1 + Math.floor(next() * bits);
    let a = 0n;
    for (let k = 0; k < width; k += 16) a = (a << 16n) | BigInt(Math.floor(next() * 65536));
    out.push(a & ((1n << BigInt(width)) - 1n));
  }
  return out;
}

/** The integer square root (Newton's method from above). */
function isqrt(a: bigint): bigint {
  if (a < 2n) return a;
  let x = 1n << BigInt(Math.ceil(a.toString(2).length / 2));
  for (;;) {
    const y = (x + a / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const bitLength = (a: bigint) => (a === 0n ? 0n : BigInt(a.toString(2).length));

/** Hoon's `++mat`: `[p q]`, the encoding `q` of `a` and its length `p`. */
function mat(a: bigint): [bigint, bigint] {
  if (a === 0n) return [1n, 1n];
  const b = bitLength(a);
  const c = bitLength(b);
  const low = b & ((1n << (c - 1n)) - 1n);
  return [c + c + b, (1n << c) | (low << (c + 1n)) | (a << (c + c))];
}

const sqtCases: Case[] = [
  c("(sqt 0)", "[0 0]"),
  c("(sqt 1)", "[1 0]"),
  c("(sqt 17)", "[4 1]"),
  c("(sqt 24)", "[4 8]"),
  c("(sqt (bex 200))", `[${1n << 100n} 0]`),
  c("(sqt (dec (bex 128)))", `[${(1n << 64n) - 1n} ${(1n << 65n) - 2n}]`),
  ...randomAtoms(21, 8, 700).map((a) => {
    const r = isqrt(a);
    return c(`(sqt ${dot(a)})`, `[${r} ${a - r * r}]`);
  }),
];

const matCases: Case[] = [
  c("(mat 0)", "[1 1]"),
  c("(mat 1)", "[3 6]"),
  c("(mat 5)", "[7 92]"),
  ...randomAtoms(22, 6, 300).map((a) => c(`(mat ${dot(a)})`, `[${mat(a).join(" ")}]`)),
];

/** `rub` of `mat`'s encoding shifted up `at` bits above random low bits, with a bit above it. */
function rubCases(): Case[] {
  const next = random(23);
  return randomAtoms(24, 6, 300).map((a) => {
    const [p, q] = mat(a);
    const at = BigInt(Math.floor(next() * 40));
    const low = BigInt(Math.floor(next() * 2 ** 30)) & ((1n << at) - 1n);
    const b = low | (q << at) | (1n << (at + p + 3n));
    return c(`(rub ${at} ${dot(b)})`, `[${p} ${a}]`);
  });
}

const rubTable: Case[] = [
  c("(rub 0 1)", "[1 0]"),
  c("(rub 0 92)", "[7 5]"),
  c("(rub 3 736)", "[7 5]"),
  c("(rub 0 q:(mat (bex 100)))", `[${mat(1n << 100n)[0]} ${1n << 100n}]`),
  crash("(rub 0 0)"),
  crash("(rub 7 92)"),
  ...rubCases(),
];

/** hoon.hoon's `++mate`, registered under the `two` core that holds it. */
const mateGate = "=>(..mate ~/(%mate |*([a=(unit) b=(unit)] " +
  "?~(b a ?~(a b ?.(=(u.a u.b) ~>(%mean.'mate' !!) a))))))";
const mate = (a: string, b: string) => `=/  f  ${mateGate}  (f ${a} ${b})`;

/** hoon.hoon's `++last`, registered under the `qua` core that holds it. */
const lastGate = "=>(..last ~/(%last |=([zyc=hair naz=hair] ^-(hair " +
  "?:(=(p.zyc p.naz) ?:((gth q.zyc q.naz) zyc naz) ?:((gth p.zyc p.naz) zyc naz))))))";
const last = (a: string, b: string) => `=/  f  ${lastGate}  (f ${a} ${b})`;

/** A map of the keys 1 to `n`, each to its square. */
const squares = (n: number) => `(malt (turn (gulf 1 ${dot(BigInt(n))}) |=(a=@ [a (mul a a)])))`;

/** `bif` of a 300-entry map at random keys, present and absent. */
function bifCases(): Case[] {
  const next = random(25);
  const out: Case[] = [];
  for (let i = 0; i < 6; i++) {
    const key = Math.floor(next() * 450);
    out.push(c(`(~(bif by ${squares(300)}) ${key} ${i})`));
  }
  return out;
}

/** Every small jet, by its entry name. */
export const smallCases: Record<string, Case[]> = {
  sqt: sqtCases,
  mat: matCases,
  rub: rubTable,
  welp: [
    c("(welp ~[1 2] ~[3])", "[1 2 3 0]"),
    c("(welp ~ ~[3])", "[3 0]"),
    c('(welp "ab" "cd")', "[97 98 99 100 0]"),
    c("(welp ~[1] 5)", "[1 5]"),
    crash(".*([welp [[1 2] 3]] [9 2 10 [6 0 3] 0 2])"),
  ],
  mate: [
    c(mate("`1", "~"), "[0 1]"),
    c(mate("~", "`2"), "[0 2]"),
    c(mate("`[1 2]", "`[1 2]"), "[0 1 2]"),
    c(mate("[~ 0]", "[~ 0]"), "[0 0]"),
    crash(mate("`1", "`2")),
  ],
  last: [
    c(last("[1 5]", "[1 7]"), "[1 7]"),
    c(last("[1 7]", "[1 5]"), "[1 7]"),
    c(last("[3 1]", "[2 9]"), "[3 1]"),
    c(last("[2 9]", "[3 1]"), "[3 1]"),
    c(last("[4 4]", "[4 4]"), "[4 4]"),
  ],
  "by-bif": [
    c("(~(bif by (malt ~[[1 2] [3 4]])) 1 9)", "[0 [3 4] 0 0]"),
    c("(~(bif by *(map @ @)) 1 9)", "[0 0]"),
    c(`(~(bif by ${squares(1000)}) 500 0)`),
    ...bifCases(),
    crash(".*([~(bif by (malt ~[[1 2]])) 5] [9 2 10 [6 0 3] 0 2])"),
  ],
  "og-raw": [
    c("(~(raw og 5) 10)", "383"),
    c("(~(raw og 5) 0)", "0"),
    c("(~(raw og 42) 1)"),
    c("(~(raw og 42) 256)"),
    c("(~(raw og 42) 257)"),
    c("(~(raw og 'seed') 1.000)"),
    c("(~(raw og (bex 3.000)) 300)"),
    c("(~(raw og 7) 4.096)"),
  ],
};
