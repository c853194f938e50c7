/**
 * The default kernel against the one it replaced: a `%put`, an `%incr` and a `/get` peek on
 * kernels/kv.jam (standalone, a binary trie on the key's bits whose walks are jetted, its own
 * jetted arithmetic) and on kernels/examples/kv-stdlib.hoon (the standard library's map, its
 * jets).
 *
 *   deno bench --allow-all bench/kernel_bench.ts
 *   deno task bench:harness --filter kernel-ops/         (medians)
 *
 * Each kernel holds 10,000 entries (`%fill k 10000`); every call starts from that same core,
 * so the store does not grow while measuring. The stdlib kernel is built once per run into a
 * temp file with Urbit's ivory pill ($CELLAR_IVORY_PILL, else ../shared/corpus beside the
 * checkout); without the pill only the default kernel is measured. `$CELLAR_KV_BEFORE_JAM`
 * names an earlier build of kv.jam to measure beside them in the same run, for a before and
 * after (`git show REV:kernels/kv.jam > /tmp/kv-before.jam`).
 *
 * @module
 */

import { callArm, peekAxis, pokeAxis } from "../src/runtime/kernel.ts";
import { bootKernel } from "../src/runtime/kernel.ts";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import { Noun } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { corpusPath } from "./harness.ts";
import type { BenchCase } from "./harness.ts";
import { harnessCases } from "./_suite.ts";
import type { Suite, SuiteOp } from "./_suite.ts";

const entries = 10_000;

/** A kernel core holding `entries` entries, made on first use. */
interface Subject {
  name: string;
  jam: () => Uint8Array;
  core?: Noun;
}

function filled(subject: Subject): Noun {
  if (subject.core === undefined) {
    using fresh = bootKernel(subject.jam());
    using result = callArm(fresh, pokeAxis, sample(["fill", "k", entries]));
    subject.core = result.tail;
  }
  return subject.core;
}

function sample(cause: NounLike): NounLike {
  return [1, ["poke", "bench", 0], 0, 0, 0, cause];
}

function pillPath(): string | null {
  const named = Deno.env.get("CELLAR_IVORY_PILL");
  return named !== undefined && named !== "" ? named : corpusPath("pills/ivory.pill");
}

/** The stdlib kv kernel, built with the pill into a temp file once, then read from it. */
function stdlibJam(pill: string): () => Uint8Array {
  let path: string | undefined;
  return () => {
    if (path === undefined) {
      const source = new URL("../kernels/examples/kv-stdlib.hoon", import.meta.url);
      const jam = buildKernel(Deno.readFileSync(pill), Deno.readTextFileSync(source));
      path = Deno.makeTempFileSync({ prefix: "cellar-kv-stdlib-", suffix: ".jam" });
      Deno.writeFileSync(path, jam);
      globalThis.addEventListener("unload", () => Deno.removeSync(path!));
    }
    return Deno.readFileSync(path);
  };
}

let made: Subject[] | undefined;

/** The kernels measured (made once: the Deno.bench cases and the harness share them). */
function subjects(): Subject[] {
  if (made !== undefined) return made;
  const out: Subject[] = [{
    name: "kv",
    jam: () => Deno.readFileSync(new URL("../kernels/kv.jam", import.meta.url)),
  }];
  const before = Deno.env.get("CELLAR_KV_BEFORE_JAM");
  if (before !== undefined && before !== "") {
    out.push({ name: "kv-before", jam: () => Deno.readFileSync(before) });
  }
  const pill = pillPath();
  if (pill !== null) out.push({ name: "kv-stdlib", jam: stdlibJam(pill) });
  else console.warn("kernel_bench: no ivory pill, so the stdlib kernel is not measured");
  made = out;
  return out;
}

let counter = 0;

/** The three operations on one subject; `what` is put, incr or peek. */
function operations(subject: Subject): { what: string; op: SuiteOp }[] {
  const poke = (cause: NounLike) => {
    using noun = Noun.from(sample(cause));
    callArm(filled(subject), pokeAxis, noun).dispose();
  };
  const peek = () => {
    using path = Noun.list([Noun.cord("get"), Noun.cord(`k${counter++ % entries}`)]);
    callArm(filled(subject), peekAxis, path).dispose();
  };
  return [
    { what: "put-new-key", fn: () => poke(["put", `new${counter++}`, 42]) },
    { what: "incr", fn: () => poke(["incr", `k${counter++ % entries}`, 1]) },
    { what: "peek-get", fn: peek },
  ].map(({ what, fn }) => ({ what, op: { name: `kernel-ops/${what}/${subject.name}`, fn } }));
}

/** Deno.bench: one group per operation, the default kernel its baseline. */
function registerDenoBench(all: Subject[]): void {
  for (const [index, subject] of all.entries()) {
    for (const { what, op } of operations(subject)) {
      Deno.bench({ name: op.name, group: what, baseline: index === 0 }, (b) => {
        filled(subject);
        b.start();
        op.fn();
        b.end();
      });
    }
  }
}

// Under `deno run` (the harness) Deno.bench does nothing; the kernels are loaded lazily.
registerDenoBench(subjects());

/**
 * The same operations for `bench/run.ts`, as medians of 21 samples; each operation on every
 * kernel one after the other, so that a slow spell of a shared machine hits them alike.
 */
export function cases(): BenchCase[] {
  const all = subjects().map(operations);
  const ops = all[0].flatMap((_, i) => all.map((subjectOps) => subjectOps[i].op));
  const suite: Suite = { group: "kernel", ops };
  return harnessCases(suite, 21);
}
