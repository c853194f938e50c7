/**
 * Conformance cases of the float jets (zig/jets/floats.zig): the arms of the doors `rh`,
 * `rs`, `rd` and `rq` in each rounding mode the doors offer (`%n` `%u` `%d` `%z`). Fixed
 * cases cover signed zeros, subnormals, infinities, NaN, overflow and the directed modes;
 * seeded random operands (exponents shared between operands, so that sums cancel and
 * round at ties, and at the edges of the range) cover the rest. Products stated here were
 * worked out by hand or with the host's IEEE doubles where Hoon agrees with IEEE 754.
 * The `cofl` jets (`lug`, `drg`, zig/jets/floats_cofl.zig) are reached through the doors'
 * `sun`/`san`/`drg`/`scow`, and called directly on `fl` doors of random configurations.
 *
 * @module
 */

import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

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

/** A signed atom (`@s`) as Hoon source: `--5`, `-5`. */
function sd(n: number): string {
  return n < 0 ? `-${dot(BigInt(-n))}` : `--${dot(BigInt(n))}`;
}

/** An `fl` door configured with `%*`: precision, minimum exponent, width, mode, denormals. */
function door(p: number, v: number, w: number, r: string, d: string): string {
  return `%*(. fl p ${dot(BigInt(p))}, v ${sd(v)}, w ${dot(BigInt(w))}, r %${r}, d %${d})`;
}

const kinds = ["fl", "ce", "sm", "lg", "ne", "na", "nt"] as const;
const dens = ["d", "f", "i"] as const;

/**
 * `+lug` called directly on doors of random configurations (precision 2 to 120, exponent
 * ranges that put the mantissas below, inside and above them, each denormal behaviour) in
 * every kind; mantissas often just above the precision, with ties made on purpose. A call
 * without the sticky bit and too few bits crashes, as the arm asserts.
 */
function lugRandom(seed: number, count: number): Case[] {
  const next = random(seed);
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const p = 2 + Math.floor(next() * (i % 3 === 0 ? 119 : 24));
    const v = -Math.floor(next() * 2000);
    const w = Math.floor(next() * 300);
    const width = 1 + Math.floor(next() * (p + 20));
    let m = 1n << BigInt(width - 1);
    for (let b = 0; b < width - 1; b += 16) m |= BigInt(Math.floor(next() * 65536)) << BigInt(b);
    m &= (1n << BigInt(width)) - 1n;
    m |= 1n << BigInt(width - 1);
    const cut = BigInt(Math.max(0, width - p));
    // A tie: the bits below the precision are exactly one half.
    if (cut > 0n && next() < 0.3) m = ((m >> cut) << cut) | (1n << (cut - 1n));
    const e = v + Math.floor((next() - 0.5) * (p + w + 80));
    const sticky = next() < 0.5;
    const d = dens[Math.floor(next() * 3)];
    const expr = `(lug:${door(p, v, w, "n", d)} %${kinds[i % kinds.length]} [${sd(e)} ${dot(m)}] ${
      sticky ? "&" : "|"
    })`;
    out.push(!sticky && width <= p ? crash(expr) : c(expr));
  }
  return out;
}

/** Shortest decimals (`drg`) of random floats of each door, and of fn on odd doors. */
function drgRandom(seed: number): Case[] {
  const next = random(seed);
  const out: Case[] = [];
  for (const d of ["rh", "rs", "rd", "rq"] as Door[]) {
    const { w } = formats[d];
    for (let i = 0; i < (d === "rq" ? 6 : 12); i++) {
      const base = Math.floor(next() * (2 ** w - 1));
      out.push(c(`(drg:${d} ${lit(d, randomBits(d, next, base))})`));
    }
  }
  for (let i = 0; i < 12; i++) {
    const p = 2 + Math.floor(next() * 60);
    const v = -Math.floor(next() * 300);
    const m = 1 + Math.floor(next() * 2 ** Math.min(p + 4, 50));
    const e = v + Math.floor((next() - 0.3) * 200);
    const den = dens[i % 3];
    out.push(c(`(drg:${door(p, v, 400, "n", den)} [%f & ${sd(e)} ${dot(BigInt(m))}])`));
  }
  return out;
}

/** The jets of `cofl` (zig/jets/floats_cofl.zig): `lug` and `drg`, whatever the door. */
const coflCases: Record<string, Case[]> = {
  "cofl-drg": [
    c("(scow %rd .~1.5)", "[46 126 49 46 53 0]"),
    c("(drg:rd .~0.1)", "[100 0 1 1]"),
    c("(drg:rd .~4.9406564584124654e-324)", "[100 0 647 5]"),
    c("(drg:rd .~1.7976931348623157e308)", "[100 0 584 17976931348623157]"),
    c("(drg:rd .~2.2250738585072014e-308)"),
    c("(drg:rd .~1e23)"),
    c("(drg:rd .~-9007199254740993)"),
    c("(drg:rs .1)"),
    c("(drg:rh .~~65504)"),
    c("(drg:rq .~~~1e-4950)"),
    c("(scow %rs .3.4028235e38)"),
    c("(scow %rh .~~6e-8)"),
    c("(scow %rq .~~~0.1)"),
    c("(drg:fl [%f & -5 3])"),
    c("(drg:fl [%f | --7 1])"),
    // Powers of two tighten the lower bound, except at the minimum exponent unless %i.
    c(`(drg:${door(53, -1074, 2045, "n", "i")} [%f & -1.074 1])`, "[100 0 679 49406564584124654]"),
    c(`(drg:${door(8, -20, 40, "n", "d")} [%f & -20 128])`),
    c(`(drg:${door(8, -20, 40, "n", "f")} [%f & -19 128])`),
    c("(drg:fl [%f & --0 0])", "[100 0 0 0]"),
    ...drgRandom(4100),
  ],
  "cofl-lug": [
    c("(sun:rd 12.345)"),
    c("(san:rs -7)"),
    c("(sun:rh 65.520)"),
    c("(ryld [%d & -2 12.345])"),
    c("(ryls [%d | --30 1])"),
    c("(sun:rq (bex 200))"),
    // The shortcuts of +add and +sub: an operand far below the other.
    c("(add:fl [%f & --0 1] [%f & -200 1])"),
    c(`(add:${door(10, -50, 100, "u", "d")} [%f & --0 1] [%f & -200 1])`),
    c(`(add:${door(10, -50, 100, "a", "d")} [%f & --0 1] [%f & -200 1])`),
    c(`(sub:${door(10, -50, 100, "z", "d")} [%f & --0 1.024] [%f & -200 1])`),
    c(`(sub:${door(10, -50, 100, "u", "d")} [%f & --0 1.024] [%f & -200 1])`),
    c(`(sub:${door(10, -50, 100, "n", "d")} [%f & --0 1.024] [%f & -200 1])`),
    // Ties, underflow, flush, overflow, unbounded range.
    c("(lug:fl %ne [--0 21] &)"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %ne [--0 21] &)`, "[102 0 2 10]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %na [--0 21] &)`, "[102 0 2 11]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %nt [--0 21] |)`, "[102 0 2 11]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %sm [--0 8] &)`, "[102 0 1 15]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %sm [-10 8] &)`),
    c(`(lug:${door(4, -10, 20, "n", "d")} %ne [-12 11] &)`, "[102 0 19 3]"),
    c(`(lug:${door(4, -10, 20, "n", "f")} %ne [-12 11] &)`, "[102 0 0 0]"),
    c(`(lug:${door(4, -10, 20, "n", "i")} %ne [-12 11] &)`, "[102 0 23 11]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %ne [--100 11] &)`, "[105 0]"),
    c(`(lug:${door(4, -10, 20, "n", "i")} %ne [--100 11] &)`, "[102 0 200 11]"),
    c(`(lug:${door(4, -10, 20, "n", "d")} %ce [-40 1] &)`),
    crash(`(lug:${door(4, -10, 20, "n", "d")} %ne [-40 1] |)`),
    crash("(lug:fl %ne [--0 0] &)"),
    crash("(lug:fl %ne [--0 5] |)"),
    crash(`(lug:${door(1, -10, 20, "n", "d")} %ne [--0 5] &)`),
    ...lugRandom(4200, 60),
  ],
};

export const floatsCases: Record<string, Case[]> = merge(
  coflCases,
  rdProducts,
  doorCases("rh", 1300),
  doorCases("rs", 1400),
  doorCases("rd", 1500),
  doorCases("rq", 1600),
);
