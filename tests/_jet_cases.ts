/**
 * The case format of the jet conformance harness (tests/jets_conformance_test.ts), shared by
 * its per-family case tables (`tests/_jets_<family>_cases.ts`): each exports a record from a
 * native entry's name (zig/jets/*.zig) to its cases.
 *
 * @module
 */

/**
 * An expression; its product as `formatNoun` prints it, or a crash; or only the check.
 * `steps`: the check's step budget when the arm's Nock needs more than the default.
 */
export interface Case {
  expr: string;
  product?: string;
  crash?: boolean;
  steps?: number;
}

export const c = (expr: string, product?: string): Case => ({ expr, product });
export const crash = (expr: string): Case => ({ expr, crash: true });

/** `test` with a jet-check step budget of its own (for arms whose Nock is slow). */
export const budget = (steps: number, test: Case): Case => ({ ...test, steps });

/** A deterministic generator (xorshift32), so that a failure can be reproduced. */
export function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `count` cases of `name a b` on random atoms below `limit`, with products from `f`. */
export function randomPairs(
  name: string,
  f: (a: bigint, b: bigint) => bigint | string | null,
  limit: number,
  seed: number,
  count = 6,
): Case[] {
  const next = random(seed);
  const out: Case[] = [];
  while (out.length < count) {
    const a = BigInt(Math.floor(next() * limit));
    const b = BigInt(Math.floor(next() * limit));
    const product = f(a, b);
    if (product === null) continue;
    out.push(c(`(${name} ${dot(a)} ${dot(b)})`, String(product)));
  }
  return out;
}

/** An atom in Hoon's `@ud` syntax (dots every three digits). */
export function dot(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

export const flag = (b: boolean) => (b ? "0" : "1");
