/**
 * Conformance cases of the text and @p jets (zig/jets/ob.zig, zig/jets/format.zig): the
 * @p cipher and syllables, murmur3, and printing and parsing atoms (`scot`, `scow`,
 * `slaw`). Random atoms come from a seeded generator, so a failure can be reproduced;
 * where the product is not stated, the case checks the jet against the arm's own Nock.
 *
 * @module
 */

import { c, type Case, crash, random } from "./_jet_cases.ts";

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

/** Every text jet, by its entry name. */
export const textCases: Record<string, Case[]> = { ...obCases };
