/**
 * Conformance cases of the type engine's native jets: `look` and `loot` of the `%pen` layer
 * (zig/jets/types.zig), which find an arm's axis in a battery's arm map and chapter map, and
 * the type and formula constructors of the same layer (zig/jets/types_pen.zig, entries
 * `pen-*`). The ivory subject has another `look` (a scry gate), so the cases name the
 * compiler's gates through their core (`look:..ap`). Real maps come from the type of the
 * `%one` layer core. Ill-typed samples reach a gate through `slum` (never a cell where an
 * atom belongs: Hoon's `dec` of a cell never ends).
 *
 * @module
 */
import { c, type Case, crash } from "./_jet_cases.ts";

/** The chapter map of the `%one` layer core's type, bound as `dom`, around `body`. */
const withChapters = (body: string) =>
  `=/(typ=type -:!>(..add) ?>(?=([%core *] typ) =/(dom q.r.q.typ ${body})))`;

/** One arm `a` as `[%$ 1]` in a map, and in a chapter `%ch` of a chapter map. */
const oneArm = "(~(put by *(map term hoon)) %a [%$ 1])";
const oneChapter = `(~(put by *(map term tome)) %ch [~ ${oneArm}])`;

/** The type of `1`, `'a'`, `0x1` and `&`, as Hoon expressions. */
const ud = "-:!>(1)";
const t = "-:!>('a')";
const ux = "-:!>(0x1)";
const flag = "-:!>(*?)";

/** `(fork ~[...])` of `n` constant atom types from `from`. */
const constants = (from: number, n: number) =>
  `(fork:..ap (turn (gulf ${from} ${from + n - 1}) |=(a=@ \`type\`[%atom %ud \`a])))`;

/** The type of the `%one` layer core, bound as `typ` (a `%core`), around `body`. */
const withCore = (body: string) => `=/(typ=type -:!>(..add) ?>(?=([%core *] typ) ${body}))`;

const penCases: Record<string, Case[]> = {
  "pen-cell": [
    c(`(cell:..ap ${ud} ${t})`),
    c(`=([%cell ${ud} ${t}] (cell:..ap ${ud} ${t}))`, "0"),
    c(`=(%void (cell:..ap %void ${ud}))`, "0"),
    c(`=(%void (cell:..ap ${ud} %void))`, "0"),
    c(`(cell:..ap %noun %noun)`),
    crash("(slum cell:..ap 5)"),
  ],
  "pen-core": [
    c(withCore("=(typ (core:..ap p.typ q.typ))"), "0"),
    c(withCore("=(%void (core:..ap %void q.typ))"), "0"),
  ],
  "pen-face": [
    c(`(face:..ap %a ${ud})`),
    c(`=([%face %a ${ud}] (face:..ap %a ${ud}))`, "0"),
    c(`=(%void (face:..ap %a %void))`, "0"),
    c(`(face:..ap %void %noun)`),
  ],
  "pen-fork": [
    c(`(fork:..ap ~[${ud} ${t} %void])`),
    c(`=(%void (fork:..ap ~))`, "0"),
    c(`=(%void (fork:..ap ~[%void %void]))`, "0"),
    c(`=(${ud} (fork:..ap ~[${ud} %void ${ud}]))`, "0"),
    c(`(fork:..ap ~[%noun ${ud} %noun])`),
    c(`(fork:..ap ~[${flag} ${ud} ${flag}])`),
    c(`(fork:..ap ~[(fork:..ap ~[${ud} ${t}]) ${ux} (fork:..ap ~[${t} ${flag}])])`),
    c(constants(1, 40)),
    c(`(fork:..ap ~[${constants(1, 30)} ${t} ${constants(20, 30)} ${constants(100, 3)}])`),
    crash("(slum fork:..ap [%noun 5])"),
    crash("(slum fork:..ap [[%fork 5] %noun ~])"),
  ],
  "pen-comb": [
    c("(comb:..ap [%0 2] [%0 3])", "[0 5]"),
    c("(comb:..ap [%0 6] [%2 [%0 2] [%0 3]])", "[2 [0 12] 0 13]"),
    c("(comb:..ap [%0 6] [%1 5])", "[7 [0 6] 1 5]"),
    c("(comb:..ap [[%1 5] [%0 1]] [%0 3])", "[8 [1 5] 0 3]"),
    c("(comb:..ap [%1 5] [%0 1])", "[1 5]"),
    c("(comb:..ap [%0 0] [%0 1])", "[0 0]"),
    c("(comb:..ap [%1 5] [%0 3])", "[7 [1 5] 0 3]"),
    c("(comb:..ap [%0 (bex 70)] [%0 7])"),
    c("(comb:..ap [%0 (bex 62)] [%2 [%0 2] [%0 (bex 3)]])"),
  ],
  "pen-cons": [
    c("(cons:..ap [%1 5] [%1 6])", "[1 5 6]"),
    c("(cons:..ap [%1 5] [%0 6])", "[[1 5] 0 6]"),
    c("(cons:..ap [%0 2] [%0 3])", "[[0 2] 0 3]"),
  ],
};

export const typesCases: Record<string, Case[]> = {
  ...penCases,
  look: [
    c(`(look:..ap %a ${oneArm})`, "[0 1 0 1]"),
    c(`(look:..ap %b ${oneArm})`, "0"),
    c("(look:..ap %a *(map term hoon))", "0"),
    // Every arm of every chapter of the layer, then names that are absent or misplaced.
    c(
      withChapters(
        "(turn ~(tap by dom) |=(tom=[p=term q=tome] (turn ~(tap by q.q.tom) " +
          "|=(arm=[p=term q=hoon] (bind (look:..ap p.arm q.q.tom) head)))))",
      ),
    ),
    c(
      withChapters(
        "(turn ~(tap by dom) |=(tom=[p=term q=tome] (turn `(list term)`~[%a %zz %$ %add %unit] " +
          "|=(a=term (bind (look:..ap a q.q.tom) head)))))",
      ),
      "[[0 0 0 [0 12] 0 0] [0 0 0 0 0 0] [0 0 0 0 [0 52] 0] 0]",
    ),
  ],
  loot: [
    c(`(loot:..ap %a ${oneChapter})`, "[0 1 0 1]"),
    c(`(loot:..ap %b ${oneChapter})`, "0"),
    c("(loot:..ap %a *(map term tome))", "0"),
    c(
      withChapters(
        "(turn `(list term)`~[%add %peg %nope %$ %mod %unit %sub] " +
          "|=(a=term (bind (loot:..ap a dom) head)))",
      ),
      "[[0 20] [0 3965] 0 0 [0 93] [0 212] [0 47] 0]",
    ),
  ],
};
