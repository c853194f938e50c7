/**
 * Nockchain field jet benchmarks (issue 13): Cellar's reference library
 * (tests/hoon/nockchain_field.hoon) on the ivory pill, each gate compiled once against it,
 * twice: as written, where its gates match the `nockchain` jets (`nockchain/<case>`), and
 * with its `%fast` hints removed, so that the same arms run as Nock on the standard
 * library's jets alone (`nockchain/<case>-nock`: what Cellar did before the family).
 *
 *   bpmul-1000   the product of two polynomials of 1,000 coefficients (degree 999)
 *   bmul-100k    a loop of 100,000 field multiplications
 *
 * The Nock of `bpmul-1000` does a million field multiplications: it runs once.
 *
 * @module
 */
import { type BenchCase, corpusPath, timeMs } from "./harness.ts";
import { Hoon, lastSteps, nock, Noun } from "../mod.ts";

const pillPath = corpusPath("pills/ivory.pill");
const skip = pillPath === null ? "../shared/corpus is absent" : undefined;

const library = Deno.readTextFileSync(
  new URL("../tests/hoon/nockchain_field.hoon", import.meta.url),
);
/** The library without its `~%`/`~/` hints: nothing registers, nothing is jetted. */
const unjetted = library.replace(/^~%.*$/m, "").replace(/^\s*~\/\s+%\S+$/gm, "");

interface Work {
  name: string;
  /** A gate over the library. */
  gate: string;
  /** Its sample, compiled against the library. */
  sample: string;
  /** Samples of the jetted and of the unjetted run. */
  samples: [number, number];
}

const poly = (seed: number) => `(init-bpoly (turn (gulf 1 1.000) |=(i=@ (bpow ${seed} i))))`;

const works: Work[] = [
  {
    name: "bpmul-1000",
    gate: "|=([a=bpoly b=bpoly] (bpmul a b))",
    sample: `[${poly(3)} ${poly(5)}]`,
    samples: [5, 1],
  },
  {
    name: "bmul-100k",
    gate: "|=(n=@ =/(x=belt 3 |-(?:(=(0 n) x $(n (dec n), x (bmul x 0xffff.0000.1234))))))",
    sample: "100.000",
    samples: [5, 1],
  },
];

let hoon: Hoon | null = null;
function booted(): Hoon {
  hoon ??= Hoon.boot(Deno.readFileSync(pillPath!));
  return hoon;
}

function workCase(work: Work, lib: string, suffix: string, samples: number): BenchCase {
  let call: Noun | null = null;
  return {
    name: `nockchain/${work.name}${suffix}`,
    unit: "ms",
    better: "lower",
    samples,
    skip,
    setup: () => {
      using gate = booted().wish(`=>  ${lib}\n${work.gate}`);
      // The sample is built with the jets (it is setup, not the measured work).
      using sample = booted().wish(`=>  ${library}\n${work.sample}`);
      call = Noun.from([gate, sample]);
    },
    sample: () => {
      using slam = Noun.from([9, 2, 10, [6, 0, 3], 0, 2]);
      const ms = timeMs(() => nock(call!, slam).dispose());
      return { value: ms, extra: { steps: lastSteps() } };
    },
    teardown: () => {
      call?.dispose();
      call = null;
    },
  };
}

/** Every Nockchain field benchmark case. */
export function cases(): BenchCase[] {
  const all = works.flatMap((work) => [
    workCase(work, library, "", work.samples[0]),
    workCase(work, unjetted, "-nock", work.samples[1]),
  ]);
  const last = all[all.length - 1];
  const teardown = last.teardown;
  last.teardown = () => {
    teardown?.();
    hoon?.dispose();
    hoon = null;
  };
  return all;
}
