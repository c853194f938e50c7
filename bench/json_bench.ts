/**
 * JSON codec benchmarks (src/core/json.ts): writing a 1 MiB atom (hex and text), writing and
 * reading a noun of 100k nodes, and how soon a DAG bomb meets the node budget.
 *
 * @module
 */
import { type BenchCase, timeMs } from "./harness.ts";
import { Noun } from "../mod.ts";
import {
  type Json,
  nounFromJson,
  nounToJson,
  parseNounJson,
  RenderBudgetError,
} from "../src/core/json.ts";

/** A 1 MiB atom of bytes that are not text, so that it is written in hex. */
function binaryAtom(): Noun {
  const bytes = new Uint8Array(1 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
  bytes[bytes.length - 1] = 1;
  return Noun.atom(bytes);
}

/** A list of 25,000 `[key value]` pairs: 100,001 nodes, text keys, numbers and one-byte cords. */
function pairList(): Noun {
  const pairs: [string, number | string][] = [];
  for (let i = 0; i < 25_000; i++) pairs.push([`key-${i}`, i % 3 === 0 ? "x" : i]);
  return Noun.list(pairs);
}

/** `x = [x x]` 64 times: a tree of 2^65 - 1 nodes in 65 cells. */
function dagBomb(): Noun {
  let noun = Noun.atom(1);
  for (let i = 0; i < 64; i++) {
    const next = Noun.cell(noun, noun);
    noun.dispose();
    noun = next;
  }
  return noun;
}

function writeCase(name: string, make: () => Noun, targetMs?: number): BenchCase {
  let noun: Noun | null = null;
  return {
    name,
    unit: "ms",
    better: "lower",
    samples: 7,
    target: targetMs === undefined ? undefined : { op: "<=", value: targetMs },
    setup: () => {
      noun = make();
    },
    sample: () => {
      let json: Json = null;
      const ms = timeMs(() => {
        json = nounToJson(noun!);
      });
      return { value: ms, extra: { bytes: new TextEncoder().encode(JSON.stringify(json)).length } };
    },
    teardown: () => noun?.dispose(),
  };
}

/** The JSON codec cases, run by `bench/run.ts`. */
export function cases(): BenchCase[] {
  let text = "";
  let bomb: Noun | null = null;
  return [
    writeCase("json/write-atom-1MiB-hex", binaryAtom, 50),
    writeCase(
      "json/write-atom-1MiB-text",
      () => Noun.atom("text ".repeat(1 << 18).slice(0, 1 << 20)),
      50,
    ),
    writeCase("json/write-100k-nodes", pairList),
    {
      name: "json/read-100k-nodes",
      unit: "ms",
      better: "lower",
      samples: 7,
      setup: () => {
        using noun = pairList();
        text = JSON.stringify(nounToJson(noun));
      },
      sample: () => {
        let noun: Noun | null = null;
        const ms = timeMs(() => {
          noun = nounFromJson(parseNounJson(text));
        });
        noun!.dispose();
        return { value: ms, extra: { bytes: text.length } };
      },
    },
    {
      name: "json/dag-bomb-to-node-budget",
      unit: "ms",
      better: "lower",
      samples: 5,
      target: { op: "<=", value: 1000 },
      setup: () => {
        bomb = dagBomb();
      },
      sample: () => {
        const ms = timeMs(() => {
          try {
            nounToJson(bomb!);
          } catch (error) {
            if (!(error instanceof RenderBudgetError)) throw error;
            return;
          }
          throw new Error("The DAG bomb was written: the node budget did not stop it");
        });
        return { value: ms };
      },
      teardown: () => bomb?.dispose(),
    },
  ];
}
