/**
 * The default kernel against the one it replaced: a `%put`, an `%incr` and a `/get` peek on
 * kernels/kv.jam (standalone, a binary trie on the key's bits, its own jetted arithmetic)
 * and on kernels/examples/kv-stdlib.hoon (the standard library's map, its jets).
 *
 *   deno bench --allow-all bench/kernel_bench.ts
 *
 * Each kernel holds 10,000 entries (`%fill k 10000`); every call starts from that same core,
 * so the store does not grow while measuring. The stdlib kernel is built once per run into a
 * temp file with Urbit's ivory pill ($CELLAR_IVORY_PILL, else ../shared/corpus beside the
 * checkout); without the pill only the default kernel is measured. (These are `Deno.bench`
 * cases: `deno task bench:harness`, which runs the `cases()` of bench/*_bench.ts, skips this file.)
 *
 * @module
 */

import { callArm, peekAxis, pokeAxis } from "../src/runtime/kernel.ts";
import { bootKernel } from "../src/runtime/kernel.ts";
import { buildKernel } from "../src/hoon/kernel_build.ts";
import { Noun } from "../mod.ts";
import type { NounLike } from "../mod.ts";
import { corpusPath } from "./harness.ts";

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

const subjects: Subject[] = [{
  name: "kv (standalone trie)",
  jam: () => Deno.readFileSync(new URL("../kernels/kv.jam", import.meta.url)),
}];
const pill = pillPath();
if (pill !== null) subjects.push({ name: "kv-stdlib (map)", jam: stdlibJam(pill) });
else console.warn("kernel_bench: no ivory pill, so the stdlib kernel is not measured");

let counter = 0;

for (const [index, subject] of subjects.entries()) {
  const baseline = index === 0;
  Deno.bench({ name: `%put new key: ${subject.name}`, group: "put", baseline }, (b) => {
    const core = filled(subject);
    using cause = Noun.from(sample(["put", `new${counter++}`, 42]));
    b.start();
    callArm(core, pokeAxis, cause).dispose();
    b.end();
  });
  Deno.bench({ name: `%incr present key: ${subject.name}`, group: "incr", baseline }, (b) => {
    const core = filled(subject);
    using cause = Noun.from(sample(["incr", `k${counter++ % entries}`, 1]));
    b.start();
    callArm(core, pokeAxis, cause).dispose();
    b.end();
  });
  Deno.bench({ name: `peek /get: ${subject.name}`, group: "peek", baseline }, (b) => {
    const core = filled(subject);
    using path = Noun.list([Noun.cord("get"), Noun.cord(`k${counter++ % entries}`)]);
    b.start();
    callArm(core, peekAxis, path).dispose();
    b.end();
  });
}
