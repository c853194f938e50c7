/**
 * Conformance cases of the type engine's native jets (zig/jets/types.zig): `look` and `loot`
 * of the `%pen` layer, which find an arm's axis in a battery's arm map and chapter map.
 * The ivory subject has another `look` (a scry gate), so the cases name the compiler's
 * through its core (`look:..ap`). Real maps come from the type of the `%one` layer core.
 *
 * @module
 */
import { c, type Case } from "./_jet_cases.ts";

/** The chapter map of the `%one` layer core's type, bound as `dom`, around `body`. */
const withChapters = (body: string) =>
  `=/(typ=type -:!>(..add) ?>(?=([%core *] typ) =/(dom q.r.q.typ ${body})))`;

/** One arm `a` as `[%$ 1]` in a map, and in a chapter `%ch` of a chapter map. */
const oneArm = "(~(put by *(map term hoon)) %a [%$ 1])";
const oneChapter = `(~(put by *(map term tome)) %ch [~ ${oneArm}])`;

export const typesCases: Record<string, Case[]> = {
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
