/**
 * Nockchain field jet benchmarks (issue 13): Cellar's reference libraries
 * (tests/hoon/nockchain_field.hoon, and nockchain_ext.hoon on top of it) on the ivory pill,
 * each gate compiled once against them, twice: as written, where their gates match the
 * `nockchain`, `nockchain_ext` and `tip5` jets (`nockchain/<case>`), and with their `%fast`
 * hints removed, so that the same arms run as Nock on the standard library's jets alone
 * (`nockchain/<case>-nock`: what Cellar did before the families).
 *
 *   bpmul-1000      the product of two polynomials of 1,000 coefficients (degree 999)
 *   bmul-100k       a loop of 100,000 field multiplications
 *   fmul-10k        a loop of 10,000 extension field multiplications
 *   tip5-perm-1000  1,000 Tip5 permutations, each of the previous state
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
const extension = Deno.readTextFileSync(
  new URL("../tests/hoon/nockchain_ext.hoon", import.meta.url),
);
/** Both libraries: the extension's cores nest below the field's zeke core. */
const extended = `${library}\n=>  ${extension}`;
/** A library without its `~%`/`~/` hints: nothing registers, nothing is jetted. */
const hintless = (lib: string) => lib.replace(/^~%.*$/gm, "").replace(/^\s*~\/\s+%\S+$/gm, "");

interface Work {
  name: string;
  /** A gate over the library. */
  gate: string;
  /** Its sample, compiled against the library. */
  sample: string;
  /** Samples of the jetted and of the unjetted run. */
  samples: [number, number];
  /** Whether it needs the extension library. */
  ext?: boolean;
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
  {
    name: "fmul-10k",
    gate: "|=(n=@ =/(x=felt (make-felt 3 5 7) =/(y=felt (make-felt 0xffff.0000.1234 11 (dec p)) " +
      "|-(?:(=(0 n) x $(n (dec n), x (fmul x y)))))))",
    sample: "10.000",
    samples: [5, 1],
    ext: true,
  },
  {
    name: "tip5-perm-1000",
    gate: "|=(n=@ =/(s=(list belt) (reap 16 0) |-(?:(=(0 n) s $(n (dec n), s (permutation s))))))",
    sample: "1.000",
    samples: [5, 1],
    ext: true,
  },
];

let hoon: Hoon | null = null;
function booted(): Hoon {
  hoon ??= Hoon.boot(Deno.readFileSync(pillPath!));
  return hoon;
}

function workCase(work: Work, jetted: boolean): BenchCase {
  const full = work.ext ? extended : library;
  const lib = jetted ? full : hintless(full);
  const suffix = jetted ? "" : "-nock";
  const samples = work.samples[jetted ? 0 : 1];
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
      using sample = booted().wish(`=>  ${full}\n${work.sample}`);
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
  const all = works.flatMap((work) => [workCase(work, true), workCase(work, false)]);
  const last = all[all.length - 1];
  const teardown = last.teardown;
  last.teardown = () => {
    teardown?.();
    hoon?.dispose();
    hoon = null;
  };
  return all;
}
