/**
 * Conformance cases of the float jets (zig/jets/floats.zig): the arms of the doors `rh`,
 * `rs`, `rd` and `rq` in each rounding mode the doors offer (`%n` `%u` `%d` `%z`). Fixed
 * cases cover signed zeros, subnormals, infinities, NaN, overflow and the directed modes;
 * seeded random operands (exponents shared between operands, so that sums cancel and
 * round at ties, and at the edges of the range) cover the rest. Products stated here were
 * worked out by hand or with the host's IEEE doubles where Hoon agrees with IEEE 754.
 *
 * @module
 */

import { c, type Case, random } from "./_jet_cases.ts";

type Door = "rh" | "rs" | "rd" | "rq";
type Arm = "add" | "sub" | "mul" | "div" | "fma" | "sqt" | "lth" | "lte" | "equ" | "gte" | "gth";

/** Exponent and fraction bits of each door's format. */
const formats: Record<Door, { w: number; p: number }> = {
  rh: { w: 5, p: 10 },
  rs: { w: 8, p: 23 },
  rd: { w: 11, p: 52 },
  rq: { w: 15, p: 112 },
};

const arms: Arm[] = ["add", "sub", "mul", "div", "fma", "sqt", "lth", "lte", "equ", "gte", "gth"];
const modes = ["n", "u", "d", "z"] as const;

/** An atom in Hoon's `@ux` syntax (dots every four digits). */
function hex(n: bigint): string {
  return "0x" + n.toString(16).replace(/\B(?=([0-9a-f]{4})+(?![0-9a-f]))/g, ".");
}

/** A float of `door` given by its bits, as Hoon source. */
function lit(door: Door, bits: bigint): string {
  return `\`@${door}\`${hex(bits)}`;
}

/** The bits of a double, as the decimal atom `formatNoun` prints. */
function rd(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString();
}

/** `(arm:door a b)`, or with mode `r`: `(~(arm door r) a b)`. */
function call(door: Door, arm: Arm, r: string, ...args: string[]): string {
  const gate = r === "n" ? `${arm}:${door}` : `~(${arm} ${door} %${r})`;
  return `(${gate} ${args.join(" ")})`;
}

/** Random bits of a float of `door`: exponents near `base` or at the edges, signs mixed. */
function randomBits(door: Door, next: () => number, base: number): bigint {
  const { w, p } = formats[door];
  const ones = 2 ** w - 1;
  const pick = Math.floor(next() * 10);
  const near = Math.min(ones, base + Math.floor(next() * (pick === 7 ? p + 4 : 3)));
  const e = [0, 1, ones, ones - 1][pick] ?? (pick < 8 ? near : Math.floor(next() * (ones + 1)));
  let frac = 0n;
  for (let i = 0; i < p; i += 16) frac = (frac << 16n) | BigInt(Math.floor(next() * 65536));
  frac &= (1n << BigInt(p)) - 1n;
  const cut = BigInt(Math.floor(next() * p));
  const shape = Math.floor(next() * 6);
  if (shape === 0) frac &= ~((1n << cut) - 1n);
  if (shape === 1) frac |= (1n << cut) - 1n;
  const sign = next() < 0.5 ? 1n : 0n;
  return (sign << BigInt(w + p)) | (BigInt(e) << BigInt(p)) | frac;
}

/** `count` checked calls of `arm` on random operands, cycling through the modes. */
function randomCases(door: Door, arm: Arm, seed: number, count: number): Case[] {
  const next = random(seed);
  const out: Case[] = [];
  const arity = arm === "fma" ? 3 : arm === "sqt" ? 1 : 2;
  const { w } = formats[door];
  for (let i = 0; i < count; i++) {
    const base = Math.floor(next() * (2 ** w - 1));
    const args = Array.from({ length: arity }, () => lit(door, randomBits(door, next, base)));
    out.push(c(call(door, arm, modes[i % modes.length], ...args)));
  }
  return out;
}

/** Literals of each door: one, two, 1.5, a third, -0, the smallest subnormal, inf, NaN. */
const literals: Record<Door, Record<string, string>> = {
  rh: { one: ".~~1", two: ".~~2", half3: ".~~1.5", third: ".~~0.333", nz: ".~~-0" },
  rs: { one: ".1", two: ".2", half3: ".1.5", third: ".0.333", nz: ".-0" },
  rd: { one: ".~1", two: ".~2", half3: ".~1.5", third: ".~0.333", nz: ".~-0" },
  rq: { one: ".~~~1", two: ".~~~2", half3: ".~~~1.5", third: ".~~~0.333", nz: ".~~~-0" },
};

/** Cases every door shares: specials and each mode on the same operands. */
function fixedCases(door: Door, arm: Arm): Case[] {
  const { w, p } = formats[door];
  const l = literals[door];
  const inf = lit(door, ((1n << BigInt(w)) - 1n) << BigInt(p));
  const ninf = lit(door, ((1n << BigInt(w + 1)) - 1n) << BigInt(p));
  const nan = lit(door, ((1n << BigInt(w + 1)) - 1n) << BigInt(p - 1));
  const tiny = lit(door, 1n);
  const largest = lit(door, ((1n << BigInt(w + p)) - 1n) - (1n << BigInt(p)));
  const out: Case[] = [];
  if (arm === "sqt") {
    const minusOne = lit(door, (1n << BigInt(w + p)) | (((1n << BigInt(w - 1)) - 1n) << BigInt(p)));
    const roots = [l.two, l.third, l.nz, tiny, inf, ninf, nan, minusOne];
    roots.forEach((x, i) => out.push(c(call(door, arm, modes[i % modes.length], x))));
    for (const r of modes.slice(1)) out.push(c(call(door, arm, r, l.two)));
    return out;
  }
  const pairs: string[][] = [
    [l.one, l.third],
    [l.half3, l.two],
    [l.nz, l.nz],
    [l.nz, lit(door, 0n)],
    [tiny, l.two],
    [largest, largest],
    [inf, ninf],
    [nan, l.one],
    [l.third, l.third],
  ];
  const arithmetic = ["add", "sub", "mul", "div", "fma"].includes(arm);
  // Comparisons do not read the mode: the pairs whose order matters are enough.
  (arithmetic ? pairs : pairs.slice(2, 8)).forEach(([a, b], i) => {
    const args = arm === "fma" ? [a, b, l.third] : [a, b];
    // Each pair in one mode, the first in all four.
    const rs = !arithmetic ? ["n"] : i === 0 ? modes : [modes[i % modes.length]];
    for (const r of rs) out.push(c(call(door, arm, r, ...args)));
  });
  return out;
}

/** How many random cases each door's arms get (the Nock of a quad is slower). */
const randomCount: Record<Door, number> = { rh: 6, rs: 4, rd: 4, rq: 3 };

function doorCases(door: Door, seed: number): Record<string, Case[]> {
  const out: Record<string, Case[]> = {};
  arms.forEach((arm, i) => {
    out[`${door}-${arm}`] = [
      ...fixedCases(door, arm),
      ...randomCases(door, arm, seed + i, randomCount[door]),
    ];
  });
  return out;
}

/** Products of `rd` worked out by hand (directed modes) or with the host's doubles. */
const rdProducts: Record<string, Case[]> = {
  "rd-add": [
    c("(add:rd .~1.5 .~2)", rd(3.5)),
    c("(~(add rd %u) .~1 .~1e-20)", "4607182418800017409"),
    c("(~(add rd %d) .~1 .~1e-20)", rd(1)),
    c("(~(add rd %z) .~1.7976931348623157e308 .~1.7976931348623157e308)", rd(Infinity)),
    c("(~(add rd %d) .~-0 .~0)", rd(-0)),
    c("(add:rd .~-0 .~0)", rd(0)),
  ],
  "rd-sub": [
    c("(sub:rd .~1 .~1)", rd(0)),
    c("(~(sub rd %d) .~1 .~1)", rd(-0)),
    c("(~(sub rd %z) .~1 .~1e-20)", "4607182418800017407"),
    c("(sub:rd .~inf .~inf)", "9221120237041090560"),
  ],
  "rd-mul": [
    c("(mul:rd .~1.5 .~2)", rd(3)),
    c("(mul:rd .~-0 .~5)", rd(-0)),
    c("(mul:rd .~inf .~0)", "9221120237041090560"),
    c("(mul:rd .~4.9406564584124654e-324 .~0.5)", rd(0)),
    c("(~(mul rd %u) .~4.9406564584124654e-324 .~0.5)", rd(5e-324)),
  ],
  "rd-div": [
    c("(div:rd .~1 .~3)", rd(1 / 3)),
    c("(~(div rd %u) .~1 .~3)", "4599676419421066582"),
    c("(div:rd .~1 .~0)", rd(Infinity)),
    c("(div:rd .~-1 .~0)", rd(-Infinity)),
    c("(div:rd .~0 .~0)", "9221120237041090560"),
  ],
  "rd-fma": [c("(fma:rd .~2 .~3 .~1)", rd(7)), c("(fma:rd .~inf .~0 .~1)", "9221120237041090560")],
  "rd-sqt": [
    // Hoon's square root gives one ulp below the correctly rounded 0x3ff6.a09e.667f.3bcd.
    c("(sqt:rd .~2)", "4609047870845172684"),
    c("(sqt:rd .~-1)", "9221120237041090560"),
    c("(sqt:rd .~-0)", rd(-0)),
  ],
  "rd-lth": [c("(lth:rd .~1 .~2)", "0"), c("(lth:rd .~-0 .~0)", "1"), c("(lth:rd .~nan .~1)", "1")],
  "rd-lte": [c("(lte:rd .~2 .~2)", "0"), c("(lte:rd .~nan .~nan)", "1")],
  "rd-equ": [c("(equ:rd .~-0 .~0)", "0"), c("(equ:rd .~nan .~nan)", "1")],
  "rd-gte": [c("(gte:rd .~1 .~2)", "1"), c("(gte:rd .~inf .~inf)", "0")],
  "rd-gth": [c("(gth:rd .~2 .~1)", "0"), c("(gth:rd .~-inf .~-1)", "1")],
};

function merge(...tables: Record<string, Case[]>[]): Record<string, Case[]> {
  const out: Record<string, Case[]> = {};
  for (const table of tables) {
    for (const [name, cases] of Object.entries(table)) out[name] = [...(out[name] ?? []), ...cases];
  }
  return out;
}

export const floatsCases: Record<string, Case[]> = merge(
  rdProducts,
  doorCases("rh", 1300),
  doorCases("rs", 1400),
  doorCases("rd", 1500),
  doorCases("rq", 1600),
);
