/**
 * Conformance cases of the parser jets (zig/jets/parse.zig): real parses through `scan`,
 * `rash`, `rust` and `ream`, failing parses, and seeded random strings through rules that
 * exercise every combinator. Each runs in jet-check mode (the jet against its arm's Nock).
 *
 * @module
 */
import { c, type Case, crash, random } from "./_jet_cases.ts";

/** Characters safe inside both a tape `"..."` and a cord `'...'`. */
const alphabet = "ab z19 ()+=|%:-\n";

/** `count` random strings of up to `length` characters from `alphabet`. */
function randomStrings(seed: number, count: number, length: number): string[] {
  const next = random(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    const n = Math.floor(next() * (length + 1));
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    out.push(s);
  }
  return out;
}

/** Hoon source of a string as a tape (newlines as `\0a`). */
const tape = (s: string) => `"${s.replaceAll("\n", "\\0a")}"`;
const cord = (s: string) => `'${s.replaceAll("\n", "\\0a")}'`;

/** A rule using every combinator, run on random tapes with `rust` (never crashes). */
const everything = [
  ";~((glue ace) (cold %a (just 'a')) (stag %b (just 'b')))",
  ";~((comp |=([a=* b=*] [b a])) (shim '0' '9') (easy 7))",
  ';~((bend |=([a=@ b=@] ^-((unit @) `(add a b)))) (mask "()") (mask "()"))',
  ";~(sfix (cook |=(a=@ +(a)) (just '+')) (here |=([a=pint b=*] a) (just '=')))",
  ";~(pfix (just '|') (stew ^.(stet ^.(limo ~[['%' (just '%')] [[':' '='] (shim ':' '=')]]))))",
  ";~(plug (just '\\0a') (star (just ' ')))",
  "(cold %z (plus (shim 'y' 'z')))",
].join(" ");

const randomRust = randomStrings(13, 8, 12).map((s) =>
  c(`(rust ${tape(s)} (star ;~(pose ${everything})))`)
);
const randomVest = randomStrings(37, 6, 10).map((s) => c(`(rush ${cord(s)} vest)`));

export const parseCases: Record<string, Case[]> = {
  "bend-fun": [
    c(
      "(rust \"ab\" ;~((bend |=([a=@ b=@] ^-((unit @) `(add a b)))) (just 'a') (just 'b')))",
      "[0 195]",
    ),
    // The arm's Nock is compiled for bend's default gate, whose product is never `~`.
    crash("(rust \"ab\" ;~((bend |=([a=@ b=@] ^-((unit @) ~))) (just 'a') (just 'b')))"),
    // So does Hoon's own parser where its `lung` (a bend) says `~`.
    crash("(rush '\\0a|=-' vest)"),
    c(
      "(rust \"a\" ;~((bend |=([a=@ b=@] ^-((unit @) `(add a b)))) (just 'a') (just 'b')))",
      "[0 97]",
    ),
  ],
  "comp-fun": [
    c("(scan \"ab\" ;~((comp |=([a=@ b=@] (add a b))) (just 'a') (just 'b')))", "195"),
    c("(rust \"aa\" ;~((comp |=([a=@ b=@] (add a b))) (just 'a') (just 'b')))", "0"),
    crash("(scan \"ab\" ;~((comp |=([a=@ b=@] !!)) (just 'a') (just 'b')))"),
  ],
  "glue-fun": [
    c("(scan \"a b\" ;~((glue ace) (just 'a') (just 'b')))", "[97 98]"),
    c("(rust \"a-b\" ;~((glue ace) (just 'a') (just 'b')))", "0"),
    c("(rust \"a c\" ;~((glue ace) (just 'a') (just 'b')))", "0"),
  ],
  pfix: [
    c("(scan \"ab\" ;~(pfix (just 'a') (just 'b')))", "98"),
    c("(rust \"bb\" ;~(pfix (just 'a') (just 'b')))", "0"),
  ],
  plug: [
    c("(scan \"ab\" ;~(plug (just 'a') (just 'b')))", "[97 98]"),
    c("(scan \"abc\" ;~(plug (just 'a') (just 'b') (just 'c')))", "[97 98 99]"),
    c("(;~(plug (just 'a') (just 'b')) [[1 1] \"ac\"])", "[[1 2] 0]"),
  ],
  pose: [
    c("(scan \"b\" ;~(pose (just 'a') (just 'b')))", "98"),
    c("(;~(pose (just 'a') (just 'b')) [[1 1] \"c\"])", "[[1 1] 0]"),
    c("(;~(pose (jest 'abc') (jest 'abd')) [[1 1] \"abx\"])", "[[1 3] 0]"),
  ],
  sfix: [
    c("(scan \"ab\" ;~(sfix (just 'a') (just 'b')))", "97"),
    c("(;~(sfix (just 'a') (just 'b')) [[1 1] \"a\"])", "[[1 2] 0]"),
  ],
  "cold-fun": [
    c("(scan \"a\" (cold %x (just 'a')))", "120"),
    c("((cold %x (just 'a')) [[1 1] \"b\"])", "[[1 1] 0]"),
  ],
  "cook-fun": [
    c("(scan \"a\" (cook |=(a=@ +(a)) (just 'a')))", "98"),
    crash("(scan \"a\" (cook |=(a=@ (dec 0)) (just 'a')))"),
  ],
  "easy-fun": [
    c('(scan "" (easy 5))', "5"),
    c('((easy [1 2]) [[3 4] "xy"])', "[[3 4] 0 [1 2] [3 4] 120 121 0]"),
  ],
  "here-fun": [
    c(
      "(scan \"ab\" ;~(pfix (just 'a') (here |=([a=pint b=@] [a b]) (just 'b'))))",
      "[[[1 2] 1 3] 98]",
    ),
    c("((here |=([a=pint b=@] [a b]) (just 'b')) [[1 1] \"a\"])", "[[1 1] 0]"),
  ],
  "just-fun": [
    c("(scan \"a\" (just 'a'))", "97"),
    c("((just 'a') [[1 1] \"\"])", "[[1 1] 0]"),
    c("((just '\\0a') [[4 7] \"\\0ax\"])", "[[5 1] 0 10 [5 1] 120 0]"),
    crash("(scan \"b\" (just 'a'))"),
  ],
  "mask-fun": [
    c('(scan "b" (mask "abc"))', "98"),
    c('((mask "abc") [[1 1] "d"])', "[[1 1] 0]"),
    c('((mask ~) [[1 1] "d"])', "[[1 1] 0]"),
  ],
  "shim-fun": [
    c("(scan \"m\" (shim 'a' 'z'))", "109"),
    c("((shim 'a' 'z') [[1 1] \"A\"])", "[[1 1] 0]"),
    c("((shim 'a' 'z') [[1 1] \"\"])", "[[1 1] 0]"),
  ],
  "stag-fun": [
    c("(scan \"a\" (stag %x (just 'a')))", "[120 97]"),
    c("((stag %x (just 'a')) [[1 1] \"b\"])", "[[1 1] 0]"),
  ],
  "stew-fun": [
    c("(scan \"b\" (stew ^.(stet ^.(limo ~[['a' (just 'a')] [['b' 'z'] (shim 'b' 'z')]]))))", "98"),
    c("(scan \"a\" (stew ^.(stet ^.(limo ~[['a' (just 'a')] [['b' 'z'] (shim 'b' 'z')]]))))", "97"),
    c(
      "((stew ^.(stet ^.(limo ~[['a' (just 'a')] [['b' 'z'] (shim 'b' 'z')]]))) [[1 1] \"0\"])",
      "[[1 1] 0]",
    ),
    c("((stew ^.(stet ^.(limo ~[['a' (just 'a')]]))) [[1 1] \"\"])", "[[1 1] 0]"),
  ],
  "stir-fun": [
    c('(scan "abc" (star prn))', "[97 98 99 0]"),
    c('(scan "" (star prn))', "0"),
    c("(rash '123' dem)", "123"),
    c("(scan \"aaa\" (stir 0 |=([a=@ b=@] +(b)) (just 'a')))", "3"),
    crash("(rash '12a' dem)"),
    c("(ream '|=(a=@ +(a))')"),
    c("(ream '(add 2 2)')"),
    c("(ream '=/  x  1\\0a?:  =(x 1)  %yes  %no')"),
    crash("(ream '|=(')"),
    ...randomRust,
    ...randomVest,
  ],
};
