/**
 * Conformance cases of the symmetric crypto jets: the Keccak hashes of `++keccak:crypto`
 * (zig/jets/crypto_mac.zig, registered `hex/kecc`).
 *
 * The Nock of one Keccak-f permutation takes about a million steps, more than the default
 * check budget: every case has its own (`budget`), and the inputs are few and short (at most
 * two blocks).
 *
 * @module
 */

import { budget, c, type Case } from "./_jet_cases.ts";

/** A digest (hexadecimal, first byte first) as `formatNoun` prints Hoon's big-endian atom. */
const big = (hex: string) => BigInt(`0x${hex}`).toString();

const kecc = (bits: number, octs: string) => `(keccak-${bits}:keccak:crypto ${octs})`;

const keccakCases: Record<string, Case[]> = {
  k224: [
    budget(
      3e6,
      c(kecc(224, "0 0"), big("f71837502ba8e10837bdd8d365adb85591895602fc552b48b7390abd")),
    ),
    budget(3e6, c(kecc(224, "5 'abc'"))),
  ],
  k256: [
    budget(
      3e6,
      c(kecc(256, "0 0"), big("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")),
    ),
    budget(
      3e6,
      c(
        kecc(256, "3 'abc'"),
        big("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
      ),
    ),
    // Only the low `p` bytes count; a `p` past the atom's end hashes zero bytes.
    budget(3e6, c(kecc(256, "2 'abc'"))),
    budget(3e6, c(kecc(256, "5 'abc'"))),
    // 200 bytes: two blocks of 136.
    budget(5e6, c(kecc(256, "200 (fil 3 200 'a')"))),
  ],
  k384: [budget(3e6, c(kecc(384, "3 'abc'")))],
  k512: [
    budget(3e6, c(kecc(512, "0 0"))),
    // 100 bytes: two blocks of 72.
    budget(5e6, c(kecc(512, "100 (fil 3 100 'z')"))),
  ],
};

export const cryptoSymCases: Record<string, Case[]> = keccakCases;
