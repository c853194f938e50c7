/**
 * The JSON noun codec (src/core/json.ts) at the sizes a request has: a cause read from JSON
 * as the server reads a poke, and a 1,000-pair list written to JSON, read back, and parsed
 * from text. (json_bench.ts measures it at megabyte sizes.)
 *
 *   deno bench --allow-all bench/codec_bench.ts
 *   deno task bench:harness --filter json-ops/     (medians)
 *
 * @module
 */

import { Noun, nounFromJson, nounToJson, parseNounJson } from "../mod.ts";
import type { Json } from "../mod.ts";
import { harnessCases, registerDenoBench } from "./_suite.ts";
import type { Suite } from "./_suite.ts";
import type { BenchCase } from "./harness.ts";

const cause: Json = ["put", "greeting", "hello"];
let pairs: Noun | undefined;
let pairsJson: Json = null;
let pairsText = "";

const suite: Suite = {
  group: "json",
  setup: () => {
    pairs = Noun.list(Array.from({ length: 1000 }, (_, i) => [`key-${i}`, i]));
    pairsJson = nounToJson(pairs, { lists: "array" });
    pairsText = JSON.stringify(pairsJson);
  },
  teardown: () => pairs?.dispose(),
  ops: [
    { name: "json-ops/read-cause", fn: () => nounFromJson(cause).dispose() },
    { name: "json-ops/write-1k-pairs", fn: () => void nounToJson(pairs!, { lists: "array" }) },
    {
      name: "json-ops/read-1k-pairs",
      fn: () => nounFromJson(pairsJson, { lists: "array" }).dispose(),
    },
    { name: "json-ops/parse-1k-pairs", fn: () => void parseNounJson(pairsText) },
  ],
};

registerDenoBench(suite);

/** The same operations for `bench/run.ts`, as medians. */
export function cases(): BenchCase[] {
  return harnessCases(suite);
}
