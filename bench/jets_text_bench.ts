/**
 * Text jet benchmarks (issue 13, item 5): the line arms `to-wain:format` and `lune` on 10 KB
 * of text, `loss:differ` of two 200-element lists and `en:base16` of 1 KB, each jetted and
 * as its arm's Nock (see bench/_jet_arms.ts); `scot %p` of 10,000 ships, and the round trip
 * `slav %p` of `scot %p` of as many, on the ivory pill, each gate compiled once and called
 * on 10,000 through Nock 9. The ships are `(mul (add a k) 429.497)` for `a` from 1 to
 * 10,000: planets and stars across the 32-bit range (moons past it), so every one goes
 * through `+fein:ob`. `k` is 10,000 times the sample's number, so that no sample repeats
 * another's ships: `+rend:co` is `~+`, and the %memo cache would answer repeats.
 *
 *   deno task bench:harness --filter=jets-text/
 *
 * @module
 */
import type { BenchCase } from "./harness.ts";
import { type Arm, jetArmCases } from "./_jet_arms.ts";
import { pillGateCase } from "./_pill_gate.ts";
import { Noun } from "../mod.ts";

/** 10,000 bytes of text: 250 lines of 40 bytes, each ended by a newline. */
const text = '(crip (zing (reap 250 "the quick brown fox jumps over the lazy\\0a")))';

/** Two 200-element lists of small atoms, for `loss:differ`. */
const lists = "=/  a  (turn (gulf 1 200) |=(x=@ (mod (mul x 7) 23)))  " +
  "=/  b  (turn (gulf 1 200) |=(x=@ (mod (mul x 11) 23)))";

/**
 * The line and subsequence arms (zig/jets/lines.zig) and base16 (zig/jets/encodings.zig):
 * each jetted (median of several calls) and its arm's Nock (one call in jet-check mode).
 */
const arms: Arm[] = [
  { name: "leer-10k", gate: `=/  t  ${text}  |=(s=@ (to-wain:format t))`, sample: 0, calls: 20 },
  {
    name: "lune-10k",
    gate: `=/  t  ${text}  |=(s=@ (lune:unix:userlib t))`,
    sample: 0,
    calls: 20,
  },
  { name: "loss-200", gate: `${lists}  |=(s=@ (loss:differ a b))`, sample: 0, calls: 5 },
  {
    name: "base16-en-1k",
    gate: "|=(s=@ (en:base16:mimes:html [1.024 (shax s)]))",
    sample: 7,
    calls: 20,
  },
];

/** A case that slams the gate made by `source` with `[10.000 k]`, a new `k` each sample. */
function gateCase(name: string, source: string): BenchCase {
  let k = 0;
  return pillGateCase(name, source, () => {
    k += 10_000;
    return Noun.from([10_000, k]);
  });
}

/** Every text benchmark case. */
export function cases(): BenchCase[] {
  return [
    ...jetArmCases("jets-text", arms),
    gateCase(
      "jets-text/scot-p-10k",
      "|=([n=@ k=@] (turn (gulf 1 n) |=(a=@ (scot %p (mul (add a k) 429.497)))))",
    ),
    gateCase(
      "jets-text/slav-scot-p-10k",
      "|=([n=@ k=@] (turn (gulf 1 n) |=(a=@ (slav %p (scot %p (mul (add a k) 429.497))))))",
    ),
  ];
}
