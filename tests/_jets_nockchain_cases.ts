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
};
