/**
 * Conformance cases of the text and @p jets (zig/jets/ob.zig, zig/jets/format.zig): the
 * @p cipher and syllables, murmur3, and printing and parsing atoms (`scot`, `scow`,
 * `slaw`). Random atoms come from a seeded generator, so a failure can be reproduced;
 * where the product is not stated, the case checks the jet against the arm's own Nock.
 *
 * @module
 */

import { c, type Case, crash, dot, random } from "./_jet_cases.ts";

/** `count` random atoms of up to `bits` bits (the width itself random), from `seed`. */
export function randomAtoms(bits: number, seed: number, count: number): bigint[] {
  const next = random(seed);
  const out: bigint[] = [];
  while (out.length < count) {
    const width = 1 + Math.floor(next() * bits);
    let n = 0n;
    for (let i = 0; i < width; i += 16) n = (n << 16n) | BigInt(Math.floor(next() * 65536));
    out.push(n & ((1n << BigInt(width)) - 1n));
  }
  return out;
}

/** An atom in Hoon's `@ux` syntax (dots every four digits). */
export function hex(n: bigint): string {
  return "0x" + n.toString(16).replace(/\B(?=([0-9a-f]{4})+(?!\d|[a-f]))/g, ".");
}

/** Ships of every class: galaxies, stars, planets, moons, comets and beyond. */
const shipEdges = [
  0n,
  1n,
  255n,
  256n,
  0xffffn,
  0x10000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  2n ** 64n - 1n,
  2n ** 64n,
  2n ** 128n - 1n,
  2n ** 130n + 5n,
];
const ships = [...shipEdges, ...randomAtoms(128, 41, 16)];

const obCases: Record<string, Case[]> = {
  muk: [
    c("(muk 0x9747.b28c 4 'test')", "1883996636"),
    c("(muk 0 0 0)", "0"),
    c("(muk 0xffff.ffff 13 'Hello, world!')"),
    c("(muk 0x1.0000.0000 3 'abc')"),
    crash("(muk 0 8 1)"),
    crash("(muk 0 1 'ab')"),
    ...randomAtoms(64, 43, 6).map((n) => c(`(muk ${hex(n)} 8 ${hex(n | (1n << 63n))})`)),
  ],
  fein: [
    ...shipEdges.map((n) => c(`(fein:ob ${hex(n)})`)),
    ...randomAtoms(64, 44, 8).map((n) => c(`(fein:ob ${hex(n)})`)),
  ],
  fynd: ships.map((n) => c(`(fynd:ob (fein:ob ${hex(n)}))`, String(n))),
  tos: [c("(tos:po 0)", "8023908"), c("(tos:po 255)"), crash("(tos:po 256)")],
  tod: [c("(tod:po 0)", "6582138"), c("(tod:po 255)"), crash("(tod:po 256)")],
  ins: [c("(ins:po 'fip')", "[0 255]"), c("(ins:po 'zod')", "0"), c("(ins:po 'doz')", "[0 0]")],
  ind: [c("(ind:po 'fes')", "[0 255]"), c("(ind:po 'doz')", "0"), c("(ind:po 'zod')", "[0 0]")],
};

/** A cord's value, as `formatNoun` prints it. */
export function cord(text: string): string {
  let n = 0n;
  const bytes = new TextEncoder().encode(text);
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return String(n);
}

/** `(scot aura value)` with its product stated. */
const scot = (aura: string, value: string, text: string) =>
  c(`(scot %${aura} ${value})`, cord(text));

/** Auras rendered natively, with `+co`'s forms, and ones left to the Nock. */
const auras = ["p", "q", "ud", "ux", "ub", "ui", "uv", "uw", "sd", "sx", "sv", "sw"];
const otherAuras = ["da", "dr", "if", "is", "ta", "tas", "f", "n", "foo", "ubx", ""];

const scotCases: Case[] = [
  ...shipEdges.map((n) => c(`(scot %p ${hex(n)})`)),
  scot("p", "~zod", "~zod"),
  scot("p", "~marzod", "~marzod"),
  scot("p", "~sampel-palnet", "~sampel-palnet"),
  scot("p", "(bex 64)", "~doznec--dozzod-dozzod-dozzod-dozzod"),
  scot("q", "0x1.0203", ".~nec-binwes"),
  scot("ud", "1.234.567", "1.234.567"),
  scot("ux", "0", "0x0"),
  scot("sd", "-5", "-5"),
  scot("sd", "--0", "--0"),
  scot("da", "~2024.2.29..23.59.59..ffff", "~2024.2.29..23.59.59..ffff"),
  scot("da", "~1900.3.1", "~1900.3.1"),
  scot("da", "~2000.2.29", "~2000.2.29"),
  scot("da", "0", "~292277024401-.1.1"),
  scot("dr", "~d1.h2.m3.s4..0001", "~d1.h2.m3.s4..0001"),
  scot("dr", "0", "~s0"),
  scot("t", "'hello world'", "~~hello.world"),
  scot("t", "'a.b~c_D\\0a\\7f'", "~~a~.b~~c~5f.~44.~a.~7f."),
  scot("ta", "'hello'", "~.hello"),
  scot("tas", "'hello'", "hello"),
  c("(scot %tas 577.024)", "2254"), // `(rap 3 rend)`: a NUL byte takes no room
  c("(scot %ta 577.024)", "147730046"),
  scot("f", "&", ".y"),
  scot("n", "0", "~"),
  scot("if", ".1.2.3.4", ".1.2.3.4"),
  scot("foo", "5", "0x5"),
  scot("", "0xabcd.ef01.2345", "0xabcdef012345"),
  // Left to the Nock: floats, @c, @uc, non-ASCII text.
  c("(scot %rs .1.5)", cord(".1.5")),
  c("(scot %c 'a')", cord("~-a")),
  c("(scot %uc 5)"),
  c("(scot %t 'é')"),
  crash("(scot %t 0x1)"),
  ...auras.flatMap((aura, i) =>
    randomAtoms(160, 50 + i, 3).map((n) => c(`(scot %${aura} ${hex(n)})`))
  ),
  ...otherAuras.flatMap((aura, i) =>
    randomAtoms(128, 70 + i, 3).map((n) => c(`(scot %${aura} ${hex(n)})`))
  ),
];

/** `(slav aura (scot aura n))` gives `n` back (`+slav` is `+slaw` and `+need`). */
const roundTrips: Case[] = ["p", "ud", "ux", "uv"].flatMap((aura, i) =>
  [...(aura === "p" ? ships : []), ...randomAtoms(200, 90 + i, 4)].map((n) =>
    c(`(slav %${aura} (scot %${aura} ${hex(n)}))`, String(n))
  )
);

const slawCases: Case[] = [
  ...roundTrips,
  c("(slaw %p '~zod')", "[0 0]"),
  c("(slaw %p '~doznec-dozzod')", "[0 2890239458]"),
  c("(slaw %p '~dozzod')", "0"),
  c("(slaw %p '~doznec')", "0"),
  c("(slaw %p '~marzod-marzod-marzod-marzod-marzod')", "0"),
  c("(slaw %p '~marzod--dozzod-dozzod-dozzod-dozzod')"),
  c("(slaw %p '~marzod--dozzod-dozzod-dozzod')", "0"),
  c("(slaw %p 'zod')", "0"),
  crash("(slav %p 'zod')"),
  c("(slaw %ud '1.000')", "[0 1000]"),
  c("(slaw %ud '0123')", "0"),
  c("(slaw %ud '1.00')", "0"),
  c("(slaw %ud '1.\\0a000')", "[0 1000]"),
  c(`(slaw %ud '${dot(2n ** 200n + 7n)}')`, `[0 ${2n ** 200n + 7n}]`),
  c("(slaw %ux '0x1F')", "[0 31]"),
  c("(slaw %ux '0xAbc')", "0"),
  c("(slaw %ux '0xab.cdef')", "[0 11259375]"),
  c("(slaw %ux '0x0')", "[0 0]"),
  c("(slaw %ux '0x')", "0"),
  c("(slaw %uv '0v1f')", "[0 47]"),
  c("(slaw %uv '0vw')", "0"),
  c("(slaw %ta '~.abc')", "[0 6513249]"),
  c("(slaw %ta '~.a_b~c.d')"),
  c("(slaw %ta 'abc')", "0"),
  c("(slaw %tas 'abc-1')", "[0 211214885473]"),
  c("(slaw %tas '1abc')", "0"),
  c("(slaw %tas '')", "0"),
  // Through `+slay`, in the Nock.
  c("(slaw %uw '0w1f')", "[0 79]"),
  c("(slaw %da '~2024.1.1')"),
  c("(slaw %t '~~abc')"),
];

const formatCases: Record<string, Case[]> = {
  scot: scotCases,
  scow: [
    c("(scow %p ~zod)", "[126 122 111 100 0]"),
    c("(scow %tas 0)", "0"),
    c("(scow %ud 1.000)"),
    c("(scow %da ~2024.1.1..12.00.00)"),
    c("(scow %q 0x1.0203)"),
  ],
  slaw: slawCases,
};

/** Every text jet, by its entry name. */
export const textCases: Record<string, Case[]> = { ...obCases, ...formatCases };
