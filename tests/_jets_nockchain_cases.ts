/**
 * Cases of the Nockchain field jets (zig/jets/nockchain.zig): expressions on Cellar's own
 * reference Hoon, tests/hoon/nockchain_field.hoon (which tests/jets_nockchain_test.ts puts
 * in the subject), keyed by entry name. Products come from an independent oracle here:
 * BigInt arithmetic modulo p = 2^64 - 2^32 + 1.
 *
 * @module
 */

import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

export const P = (1n << 64n) - (1n << 32n) + 1n;

/**
 * Where the entries of nockchain_ext.zig and tip5.zig register below `…/pen/zeke/` (the
 * others register directly below it). Their cases need tests/hoon/nockchain_ext.hoon on top
 * of nockchain_field.hoon.
 */
export const extPaths: Record<string, string> = {
  ...Object.fromEntries(
    ["fadd", "fsub", "fneg", "fmul", "finv", "fdiv", "fpow", "bp-ntt", "bp-fft"].map((
      n,
    ) => [n, `ext-field/${n}`]),
  ),
  ...Object.fromEntries(
    ["permutation", "hash-varlen", "hash-10"].map((n) => [n, `ext-field/misc-lib/tip5-lib/${n}`]),
  ),
};

/** A deterministic belt, biased towards 0 and p - 1 where carries and borrows are. */
function belts(seed: number): () => bigint {
  const next = random(seed);
  return () => {
    const kind = Math.floor(next() * 6);
    if (kind === 0) return BigInt(Math.floor(next() * 4));
    if (kind === 1) return P - 1n - BigInt(Math.floor(next() * 4));
    const high = BigInt(Math.floor(next() * 2 ** 32));
    const low = BigInt(Math.floor(next() * 2 ** 32));
    return ((high << 32n) | low) % P;
  };
}

function pow(x: bigint, n: bigint): bigint {
  let out = 1n;
  let base = x % P;
  for (let e = n; e > 0n; e >>= 1n) {
    if (e & 1n) out = out * base % P;
    base = base * base % P;
  }
  return out;
}

const inv = (x: bigint) => pow(x, P - 2n);

/** A bpoly as `formatNoun` prints it: `[len dat]`, dat with the marker word at `len`. */
export function bpoly(coefficients: bigint[]): string {
  return `[${coefficients.length} ${packed(coefficients)}]`;
}

function packed(coefficients: bigint[]): bigint {
  let dat = 1n;
  for (let i = coefficients.length - 1; i >= 0; i--) dat = (dat << 64n) | coefficients[i];
  return dat;
}

/** Hoon source for a bpoly (built from its list by `init-bpoly`, or written out). */
export const bpolyHoon = (coefficients: bigint[]) =>
  `[${coefficients.length} ${dot(packed(coefficients))}]`;

function polys(seed: number, count: number, maxLength: number): bigint[][] {
  const next = random(seed);
  const belt = belts(seed + 1);
  const out: bigint[][] = [];
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(next() * maxLength);
    out.push(Array.from({ length }, belt));
  }
  return out;
}

function product(a: bigint[], b: bigint[]): bigint[] {
  const isZero = (p: bigint[]) => p.length === 1 && p[0] === 0n;
  if (isZero(a) || isZero(b)) return [0n];
  const out = new Array<bigint>(a.length + b.length - 1).fill(0n);
  a.forEach((x, i) => b.forEach((y, j) => out[i + j] = (out[i + j] + x * y) % P));
  return out;
}

/** `count` cases of a binary field gate on random belts. */
function fieldPairs(
  name: string,
  f: (a: bigint, b: bigint) => bigint | null,
  seed: number,
  count = 8,
): Case[] {
  const belt = belts(seed);
  const out: Case[] = [];
  while (out.length < count) {
    const [a, b] = [belt(), belt()];
    const r = f(a, b);
    if (r !== null) out.push(c(`(${name} ${dot(a)} ${dot(b)})`, String(r)));
  }
  return out;
}

const pad = (
  a: bigint[],
  n: number,
) => [...a, ...new Array<bigint>(Math.max(0, n - a.length)).fill(0n)];

/** Three cases of a gate on two random bpolys (of one length if `sameLength`). */
function polyPairs(
  name: string,
  f: (a: bigint[], b: bigint[]) => bigint[],
  seed: number,
  sameLength = false,
): Case[] {
  const list = polys(seed, 6, 9);
  const out: Case[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const a = list[i];
    const b = sameLength ? pad(list[i + 1], a.length).slice(0, a.length) : list[i + 1];
    out.push(c(`(${name} ${bpolyHoon(a)} ${bpolyHoon(b)})`, bpoly(f(a, b))));
  }
  return out;
}

function zipped(f: (x: bigint, y: bigint) => bigint) {
  return (a: bigint[], b: bigint[]) => {
    const n = Math.max(a.length, b.length);
    const [pa, pb] = [pad(a, n), pad(b, n)];
    return pa.map((x, i) => f(x, pb[i]));
  };
}

const p = dot(P);
const big = "0x1.0000.0000.0000.0000";
/** Not a bpoly the jets model: a coefficient of p or more, a marker word of 2, length 0. */
const unbased = `[1 ${dot((1n << 64n) | P)}]`;
const badMarker = `[1 ${dot((2n << 64n) | 5n)}]`;
const lengthZero = "[0 1]";

// ------------------------------------------------------------------------- extension field

type Felt = [bigint, bigint, bigint];

/** A felt as `formatNoun` prints it: the three words and the marker 1 above them. */
export function felt(a: Felt): string {
  return String((1n << 192n) | (a[2] << 128n) | (a[1] << 64n) | a[0]);
}

const feltHoon = (a: Felt) => dot((1n << 192n) | (a[2] << 128n) | (a[1] << 64n) | a[0]);

/** The product modulo x^3 - x + 1, by long division of the schoolbook product. */
function fmul(a: Felt, b: Felt): Felt {
  const prod = new Array<bigint>(5).fill(0n);
  a.forEach((x, i) => b.forEach((y, j) => prod[i + j] += x * y));
  for (let k = 4; k >= 3; k--) {
    prod[k - 2] += prod[k];
    prod[k - 3] -= prod[k];
  }
  const m = (x: bigint) => ((x % P) + P) % P;
  return [m(prod[0]), m(prod[1]), m(prod[2])];
}

function fpow(x: Felt, n: bigint): Felt {
  let out: Felt = [1n, 0n, 0n];
  let base = x;
  for (let e = n; e > 0n; e >>= 1n) {
    if (e & 1n) out = fmul(out, base);
    base = fmul(base, base);
  }
  return out;
}

const finv = (x: Felt) => fpow(x, P ** 3n - 2n);
const isZeroFelt = (x: Felt) => x.every((w) => w === 0n);

function felts(seed: number, count: number): Felt[] {
  const belt = belts(seed);
  return Array.from({ length: count }, () => [belt(), belt(), belt()] as Felt);
}

function feltPairs(name: string, f: (a: Felt, b: Felt) => Felt | null, seed: number): Case[] {
  const list = felts(seed, 8);
  const out: Case[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const r = f(list[i], list[i + 1]);
    if (r !== null) {
      out.push(c(`(${name} ${feltHoon(list[i])} ${feltHoon(list[i + 1])})`, felt(r)));
    }
  }
  return out;
}

const zip3 = (f: (x: bigint, y: bigint) => bigint) => (a: Felt, b: Felt): Felt => [
  f(a[0], b[0]),
  f(a[1], b[1]),
  f(a[2], b[2]),
];

const X: Felt = [0n, 1n, 0n];
const ZERO: Felt = [0n, 0n, 0n];
/** Not felts the jets model: no marker, a marker of 2, a coefficient of p. */
const noMarker = dot((5n << 64n) | 7n);
const markerTwo = dot((2n << 192n) | 7n);
const unbasedFelt = dot((1n << 192n) | P);

function extCases(): Record<string, Case[]> {
  const x = feltHoon(X);
  return {
    fadd: [
      c(`(fadd ${feltHoon([P - 1n, 1n, 2n])} ${feltHoon([1n, 1n, 1n])})`, felt([0n, 2n, 3n])),
      crash(`(fadd ${unbasedFelt} ${x})`),
      crash(`(fadd ${x} ${noMarker})`),
      ...feltPairs("fadd", zip3((a, b) => (a + b) % P), 101),
    ],
    fsub: [
      c(`(fsub ${feltHoon(ZERO)} ${x})`, felt([0n, P - 1n, 0n])),
      crash(`(fsub ${markerTwo} ${x})`),
      ...feltPairs("fsub", zip3((a, b) => (a - b + P) % P), 102),
    ],
    fneg: [
      c(`(fneg ${feltHoon(ZERO)})`, felt(ZERO)),
      crash(`(fneg ${noMarker})`),
      ...felts(103, 3).map((a) =>
        c(`(fneg ${feltHoon(a)})`, felt(a.map((w) => (P - w) % P) as Felt))
      ),
    ],
    fmul: [
      c(`(fmul ${x} (fmul ${x} ${x}))`, felt([P - 1n, 1n, 0n])),
      c(
        `(fmul ${feltHoon([P - 1n, P - 1n, P - 1n])} ${feltHoon([P - 1n, P - 1n, P - 1n])})`,
        felt(fmul([P - 1n, P - 1n, P - 1n], [P - 1n, P - 1n, P - 1n])),
      ),
      crash(`(fmul ${x} ${unbasedFelt})`),
      ...feltPairs("fmul", fmul, 104),
    ],
    finv: [
      c(`(finv ${feltHoon([2n, 0n, 0n])})`, felt([(P + 1n) / 2n, 0n, 0n])),
      c(`(finv ${x})`, felt(finv(X))),
      crash(`(finv ${feltHoon(ZERO)})`),
      crash(`(finv ${markerTwo})`),
      ...felts(105, 2).map((a) => c(`(finv ${feltHoon(a)})`, felt(finv(a)))),
    ],
    fdiv: [
      crash(`(fdiv ${x} ${feltHoon(ZERO)})`),
      ...feltPairs("fdiv", (a, b) => isZeroFelt(b) ? null : fmul(a, finv(b)), 106).slice(0, 2),
    ],
    fpow: [
      c(`(fpow ${feltHoon(ZERO)} 0)`, felt([1n, 0n, 0n])),
      c(`(fpow ${x} 3)`, felt([P - 1n, 1n, 0n])),
      c(`(fpow ${x} ${dot(P)})`, felt(fpow(X, P))),
      c(`(fpow ${x} 0x1.0000.0000.0000.0000)`, felt(fpow(X, 1n << 64n))),
      crash(`(fpow ${noMarker} 2)`),
      ...felts(107, 2).map((a) => c(`(fpow ${feltHoon(a)} 1.000)`, felt(fpow(a, 1000n)))),
    ],
  };
}

/** The values of `a` at root^0 .. root^(n-1), by the definition. */
function transform(a: bigint[], root: bigint): bigint[] {
  return a.map((_, k) => {
    const z = pow(root, BigInt(k));
    return a.reduceRight((acc, c) => (acc * z + c) % P, 0n);
  });
}

function transformCases(): Record<string, Case[]> {
  const [a2, a4, a8, a16] = [2, 4, 8, 16].map((n, i) => {
    const belt = belts(300 + i);
    return Array.from({ length: n }, belt);
  });
  const root = (n: number) => pow(7n, (P - 1n) / BigInt(n));
  return {
    "bp-ntt": [
      c(`(bp-ntt ${bpolyHoon([1n, 2n])} (dec ${dot(P)}))`, bpoly([3n, P - 1n])),
      c(`(bp-ntt ${bpolyHoon([7n])} 5)`, bpoly([7n])),
      c(`(bp-ntt ${bpolyHoon(a8)} ${dot(root(8))})`, bpoly(transform(a8, root(8)))),
      c(
        `(bp-ntt ${bpolyHoon(a4)} ${dot(pow(root(4), 3n))})`,
        bpoly(transform(a4, pow(root(4), 3n))),
      ),
      c(`(bp-ntt ${bpolyHoon(a4)} 5)`, bpoly(transform(a4, 5n))),
      crash(`(bp-ntt ${bpolyHoon([1n, 2n, 3n])} 1)`),
      crash(`(bp-ntt ${bpolyHoon([1n, 2n])} ${dot(P)})`),
      crash(`(bp-ntt ${lengthZero} 1)`),
    ],
    "bp-fft": [
      c(`(bp-fft ${bpolyHoon([1n, 2n])})`, bpoly([3n, P - 1n])),
      c(`(bp-fft ${bpolyHoon([9n])})`, bpoly([9n])),
      ...[a2, a4, a16].map((a) =>
        c(`(bp-fft ${bpolyHoon(a)})`, bpoly(transform(a, root(a.length))))
      ),
      crash(`(bp-fft ${bpolyHoon([1n, 2n, 3n])})`),
      crash(`(bp-fft ${badMarker})`),
    ],
  };
}

// ------------------------------------------------------------------------- tip5

const list = (xs: (bigint | number)[]) =>
  xs.length === 0 ? "~" : `~[${xs.map((x) => dot(BigInt(x))).join(" ")}]`;
const shownList = (xs: (bigint | number)[]) => `[${xs.map(String).join(" ")} 0]`;

/** hash-varlen's test vectors, from Nockchain's public source (inputs and digests). */
const varlenVectors: [number[], bigint[]][] = [
  [[], [
    11048995573592393898n,
    6655187932135147625n,
    8573492257662932655n,
    4379820112787053727n,
    3881663824627898703n,
  ]],
  [[2], [
    8342164316692288712n,
    12061287490523852513n,
    4038969618836824144n,
    5830796451787599265n,
    468390350313364562n,
  ]],
  [[5, 26], [
    4045697570544439560n,
    13674194094340317530n,
    13743008867885290460n,
    6020910684025273897n,
    3362765570390427021n,
  ]],
  [[1, 2448, 1, 0, 0, 0, 0, 0, 0, 0], [
    12811986333282368874n,
    13601598673786067780n,
    3807788325936413287n,
    5511165615113400862n,
    11490077061305916457n,
  ]],
];

/** The permutation of the zero state (zig/jets/tip5.zig pins the same value). */
const zeroPermuted = [
  17324604900585909983n,
  3920346291276200650n,
  14291393908922830197n,
  8091744655277936893n,
  12970812709658306896n,
  10118522693556575834n,
  7227151872989822594n,
  1071132837964818999n,
  228472562367071834n,
  18366608707523360310n,
  11786497396049402957n,
  11071452717089019025n,
  16192546354706628500n,
  4464680096629294277n,
  18027980985287795659n,
  8310086468177043051n,
];

function tip5Cases(): Record<string, Case[]> {
  const belt = belts(200);
  const state = () => Array.from({ length: 16 }, belt);
  const zeros16 = new Array<number>(16).fill(0);
  return {
    permutation: [
      c(`(permutation ${list(zeros16)})`, shownList(zeroPermuted)),
      c(`(permutation ${list(state())})`),
      c(`(permutation ${list(zeros16.map((_, i) => i === 3 ? 255 : 0))})`),
      crash(`(permutation ${list(zeros16.slice(1))})`),
      crash(`(permutation ${list([...zeros16.slice(1), P])})`),
    ],
    "hash-varlen": [
      ...varlenVectors.map(([input, out]) => c(`(hash-varlen ${list(input)})`, shownList(out))),
      c(`(hash-varlen ${list(Array.from({ length: 23 }, belt))})`),
      crash(`(hash-varlen ${list([1n, P])})`),
    ],
    "hash-10": [
      c(`(hash-10 ${list(Array.from({ length: 10 }, belt))})`),
      c(`(hash-10 ${list(new Array<number>(10).fill(0))})`),
      crash(`(hash-10 ${list([1, 2, 3])})`),
      crash(`(hash-10 ${list([...new Array<number>(9).fill(0), P])})`),
    ],
  };
}

export const nockchainCases: Record<string, Case[]> = {
  based: [c("(based 0)", "0"), c(`(based ${p})`, "1"), c(`(based (dec ${p}))`, "0")],
  badd: [
    c(`(badd (dec ${p}) 5)`, "4"),
    crash(`(badd ${p} 1)`),
    ...fieldPairs("badd", (a, b) => (a + b) % P, 1),
  ],
  bsub: [
    c("(bsub 3 5)", String(P - 2n)),
    crash(`(bsub 1 ${big})`),
    ...fieldPairs("bsub", (a, b) => (a - b + P) % P, 2),
  ],
  bneg: [c("(bneg 0)", "0"), c("(bneg 1)", String(P - 1n)), crash(`(bneg ${p})`)],
  bmul: [
    c(`(bmul (dec ${p}) (dec ${p}))`, "1"),
    crash(`(bmul ${big} 1)`),
    ...fieldPairs("bmul", (a, b) => a * b % P, 3),
  ],
  bdiv: [
    c("(bdiv 1 2)", String(inv(2n))),
    crash("(bdiv 1 0)"),
    crash(`(bdiv ${p} 2)`),
    ...fieldPairs("bdiv", (a, b) => b === 0n ? null : a * inv(b) % P, 4, 4),
  ],
  binv: [
    c("(binv 2)", String(inv(2n))),
    c(`(binv (dec ${p}))`, String(P - 1n)),
    crash("(binv 0)"),
    crash(`(binv ${p})`),
  ],
  bpow: [
    c("(bpow 0 0)", "1"),
    c(`(bpow 7 (dec (dec ${p})))`, String(inv(7n))),
    c(`(bpow 2 ${big})`, String(pow(2n, 1n << 64n))),
    c("(bpow 3 1.000)", String(pow(3n, 1000n))),
    crash(`(bpow ${p} 2)`),
  ],
  "ordered-root": [
    c("(ordered-root 1)", "1"),
    c("(ordered-root 2)", String(P - 1n)),
    c("(ordered-root 1.024)", String(pow(7n, (P - 1n) / 1024n))),
    c("(ordered-root (bex 32))", String(pow(7n, (P - 1n) >> 32n))),
    crash("(ordered-root 0)"),
    crash("(ordered-root 12)"),
    crash("(ordered-root (bex 33))"),
  ],
  "init-bpoly": [
    c("(init-bpoly ~[1 2 3])", bpoly([1n, 2n, 3n])),
    c("(init-bpoly ~)", bpoly([0n])),
    c(`(init-bpoly ~[${dot((1n << 64n) | 9n)} 0])`, bpoly([9n, 0n])),
  ],
  "bpoly-to-list": [
    c(`(bpoly-to-list ${bpolyHoon([1n, 0n, P - 1n])})`, `[1 0 ${P - 1n} 0]`),
    c(`(bpoly-to-list ${bpolyHoon([0n])})`, "[0 0]"),
    crash(`(bpoly-to-list ${lengthZero})`),
    crash(`(bpoly-to-list ${badMarker})`),
  ],
  bpadd: [
    c(`(bpadd ${bpolyHoon([1n, 2n])} ${bpolyHoon([3n, 4n, 5n])})`, bpoly([4n, 6n, 5n])),
    crash(`(bpadd ${unbased} ${bpolyHoon([1n])})`),
    ...polyPairs("bpadd", zipped((x, y) => (x + y) % P), 10),
  ],
  bpsub: [
    c(`(bpsub ${bpolyHoon([1n])} ${bpolyHoon([3n, 4n])})`, bpoly([P - 2n, P - 4n])),
    crash(`(bpsub ${bpolyHoon([1n])} ${lengthZero})`),
    ...polyPairs("bpsub", zipped((x, y) => (x - y + P) % P), 20),
  ],
  bpneg: [
    c(`(bpneg ${bpolyHoon([0n, 1n])})`, bpoly([0n, P - 1n])),
    crash(`(bpneg ${unbased})`),
    ...polys(30, 3, 9).map((a) => c(`(bpneg ${bpolyHoon(a)})`, bpoly(a.map((x) => (P - x) % P)))),
  ],
  bpscal: [
    c(`(bpscal 3 ${bpolyHoon([1n, 2n])})`, bpoly([3n, 6n])),
    crash(`(bpscal ${p} ${bpolyHoon([1n])})`),
    crash(`(bpscal 2 ${badMarker})`),
    ...polys(40, 3, 9).map((a) =>
      c(`(bpscal ${dot(a[0])} ${bpolyHoon(a)})`, bpoly(a.map((x) => x * a[0] % P)))
    ),
  ],
  bpmul: [
    c(`(bpmul ${bpolyHoon([1n, 2n])} ${bpolyHoon([3n, 4n, 5n])})`, bpoly([3n, 10n, 13n, 10n])),
    c(`(bpmul ${bpolyHoon([0n])} ${unbased})`, bpoly([0n])),
    c(`(bpmul ${bpolyHoon([0n, 0n])} ${bpolyHoon([7n])})`, bpoly([0n, 0n])),
    crash(`(bpmul ${bpolyHoon([1n, 1n])} ${unbased})`),
    crash(`(bpmul ${lengthZero} ${bpolyHoon([0n])})`),
    ...polyPairs("bpmul", product, 50),
  ],
  "bp-hadamard": [
    c(`(bp-hadamard ${bpolyHoon([2n, 3n])} ${bpolyHoon([5n, 7n])})`, bpoly([10n, 21n])),
    crash(`(bp-hadamard ${bpolyHoon([2n, 3n])} ${bpolyHoon([5n])})`),
    ...polyPairs("bp-hadamard", (a, b) => a.map((x, i) => x * b[i] % P), 60, true),
  ],
  ...extCases(),
  ...transformCases(),
  ...tip5Cases(),
};
