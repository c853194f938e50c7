//! Jets of the compiler's type and formula constructors (`%pen` layer of hoon.hoon, issue 13
//! item 1): small gates that the type engine calls for almost every type and formula it
//! builds. Each gives exactly the noun its Hoon gives, crashes included.
//!
//! Types:
//!   cell  `[hed tal]`: %void when either side is %void, else `[%cell hed tal]`.
//!   core  `[pac con]`: %void when `pac` is %void, else `[%core pac con]`.
//!   face  `[giz der]`: %void when `der` is %void, else `[%face giz der]`.
//!   fork  `yed`, a list of types: every type put into one `(set type)` with the `in` door's
//!         own `put` (a fork's set joined with `uni`, %void left out), in list order, so the
//!         set is the very treap the Hoon builds; then %void, the only type, or `[%fork set]`.
//! Formulas (nock):
//!   comb  `[mal buz]`: `mal` then `buz`, folded where both are axes (`peg`) or trivial.
//!   cons  `[vur sed]`: the autocons, folded when both are constants.
//!
//! Shapes the jets do not model punt to the Nock: an axis that is a cell or 0 where `comb`
//! pegs it (Hoon's arithmetic never ends on those), a set in a fork's list that is no treap
//! (see treap.zig).
//!
//! Not here: `fitz`, `flan`, `flor` and `flip` are registered under the same paths by every
//! kelvin, but their Hoon differs between kelvin 140 (the ivory pill: `fitz` compares the
//! size letters where 138 compares the aura names; `flan`, `flor` and `flip` fold fewer
//! constants) and 138; the jet table registers one entry for all kelvins.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const tree = @import("tree.zig");
const treap = @import("treap.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("pen-cell", cell, "[hed=type tal=type] 12 13"),
    E.plain("pen-core", core, "[pac=type con=coil] 12 13"),
    E.plain("pen-face", face, "[giz=$@(term tune) der=type] 12 13"),
    E.plain("pen-fork", fork, "yed=(list type) 6"),
    E.plain("pen-comb", comb, "[mal=nock buz=nock] 12 13"),
    E.plain("pen-cons", cons, "[vur=nock sed=nock] 12 13"),
};

pub const layers = [_]E.Layer{.{
    .prefix = "one/two/tri/qua/pen",
    .entry_prefix = "pen-",
    .names = &.{ "cell", "core", "face", "fork", "comb", "cons" },
}};

/// A term as an atom (a cord of at most 8 bytes).
fn term(comptime text: []const u8) Noun {
    comptime assert(text.len > 0 and text.len < 8);
    var value: u64 = 0;
    for (text, 0..) |ch, i| value |= @as(u64, ch) << @intCast(8 * i);
    return Noun.direct(value);
}

const void_type = term("void");

/// `[tag a b]`.
fn tagged(ws: *Workspace, comptime tag: []const u8, a: Noun, b: Noun) JetError!Noun {
    return ws.cell(term(tag), try ws.cell(a, b));
}

pub fn cell(ws: *Workspace, gate: Noun) JetError!Noun {
    const hed = try common.slot(ws, gate, 12);
    const tal = try common.slot(ws, gate, 13);
    if (hed == void_type or tal == void_type) return void_type;
    return tagged(ws, "cell", hed, tal);
}

pub fn core(ws: *Workspace, gate: Noun) JetError!Noun {
    const pac = try common.slot(ws, gate, 12);
    const con = try common.slot(ws, gate, 13);
    if (pac == void_type) return void_type;
    return tagged(ws, "core", pac, con);
}

pub fn face(ws: *Workspace, gate: Noun) JetError!Noun {
    const giz = try common.slot(ws, gate, 12);
    const der = try common.slot(ws, gate, 13);
    if (der == void_type) return void_type;
    return tagged(ws, "face", giz, der);
}

pub fn fork(ws: *Workspace, gate: Noun) JetError!Noun {
    var yed = try common.slot(ws, gate, 6);
    var lez = Noun.zero;
    while (yed != Noun.zero) : (yed = ws.tail(yed)) {
        // `i.yed` of an atom other than `~` crashes.
        if (!yed.isCell()) return error.Exit;
        const i = ws.head(yed);
        if (i == void_type) continue;
        if (i.isCell() and ws.head(i) == term("fork")) {
            lez = try treap.uni(ws, .set, lez, ws.tail(i));
        } else {
            lez = try treap.put(ws, .set, lez, i, Noun.zero);
        }
    }
    if (lez == Noun.zero) return void_type;
    // `?=([* ~ ~] lez)`: a set of one type is that type.
    if (lez.isCell()) {
        const lr = ws.tail(lez);
        if (lr.isCell() and ws.head(lr) == Noun.zero and ws.tail(lr) == Noun.zero) return ws.head(lez);
    }
    return ws.cell(term("fork"), lez);
}

// ------------------------------------------------------------------------- formulas

/// `[code arg]` with `code` the atom `code` and `arg` the atom `arg`.
fn isFormula(ws: *const Workspace, n: Noun, comptime code: u64, comptime arg: u64) bool {
    return n.isCell() and ws.head(n) == Noun.direct(code) and ws.tail(n) == Noun.direct(arg);
}

/// `p` of `[%0 p]` with `p` not 0 (a cell counts: `!=(0 p)` holds), or null.
fn axisOf(ws: *const Workspace, n: Noun) ?Noun {
    if (!n.isCell() or ws.head(n) != Noun.zero) return null;
    const p = ws.tail(n);
    return if (p == Noun.zero) null else p;
}

/// `p` of `[%0 p]`, any `p`, or null.
fn zeroArg(ws: *const Workspace, n: Noun) ?Noun {
    if (!n.isCell() or ws.head(n) != Noun.zero) return null;
    return ws.tail(n);
}

/// `[%0 (peg a b)]`. Punts where Hoon's `peg` gives no clean crash: on a cell (its
/// arithmetic on a cell never ends) and on axis 0 (it halves 0 until memory runs out).
fn pegFormula(ws: *Workspace, a: Noun, b: Noun) JetError!Noun {
    if (a.isCell() or b.isCell()) return error.Punt;
    if (a == Noun.zero or b == Noun.zero) return error.Punt;
    if (a.isDirect() and b.isDirect()) {
        const mb: u64 = 64 - @clz(b.raw());
        const ma: u64 = 64 - @clz(a.raw());
        if (ma + mb - 1 <= 63) {
            const low = b.raw() - (@as(u64, 1) << @intCast(mb - 1));
            return ws.cell(Noun.zero, Noun.direct(a.raw() << @intCast(mb - 1) | low));
        }
    }
    // Big axes, as the `peg` jet builds them.
    const peg_gate = try ws.cell(Noun.zero, try ws.cell(try ws.cell(a, b), Noun.zero));
    return ws.cell(Noun.zero, try tree.peg(ws, peg_gate));
}

fn op(ws: *Workspace, comptime code: u64, a: Noun, b: Noun) JetError!Noun {
    return ws.cell(Noun.direct(code), try ws.cell(a, b));
}

pub fn comb(ws: *Workspace, gate: Noun) JetError!Noun {
    const mal = try common.slot(ws, gate, 12);
    const buz = try common.slot(ws, gate, 13);
    if (axisOf(ws, mal)) |a| {
        if (axisOf(ws, buz)) |b| return pegFormula(ws, a, b);
        // `[%2 [%0 *] [%0 *]]`: both axes pegged, 0 included.
        if (buz.isCell() and ws.head(buz) == Noun.direct(2) and ws.tail(buz).isCell()) {
            const pq = ws.tail(buz);
            const p = zeroArg(ws, ws.head(pq));
            const q = zeroArg(ws, ws.tail(pq));
            if (p != null and q != null) {
                const left = try pegFormula(ws, a, p.?);
                return op(ws, 2, left, try pegFormula(ws, a, q.?));
            }
        }
        return op(ws, 7, mal, buz);
    }
    // `[^ [%0 %1]]`: a cons whose tail is the subject.
    if (mal.isCell() and ws.head(mal).isCell() and isFormula(ws, ws.tail(mal), 0, 1)) {
        return op(ws, 8, ws.head(mal), buz);
    }
    if (isFormula(ws, buz, 0, 1)) return mal;
    return op(ws, 7, mal, buz);
}

pub fn cons(ws: *Workspace, gate: Noun) JetError!Noun {
    const vur = try common.slot(ws, gate, 12);
    const sed = try common.slot(ws, gate, 13);
    const constant = Noun.direct(1);
    if (vur.isCell() and sed.isCell() and ws.head(vur) == constant and ws.head(sed) == constant) {
        return op(ws, 1, ws.tail(vur), ws.tail(sed));
    }
    return ws.cell(vur, sed);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "pen: cell, core and face drop %void" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, cell, "[%void %noun]", "%void");
    try t.expectJet(&ws, cell, "[%noun %void]", "%void");
    try t.expectJet(&ws, cell, "[%noun [%atom %ud 0]]", "[%cell %noun %atom %ud 0]");
    try t.expectJetError(&ws, cell, "5", error.Exit);
    try t.expectJet(&ws, core, "[%void 7]", "%void");
    try t.expectJet(&ws, core, "[%noun 7]", "[%core %noun 7]");
    try t.expectJet(&ws, face, "[%a %void]", "%void");
    try t.expectJet(&ws, face, "[%void %noun]", "[%face %void %noun]");
}

test "pen: fork builds the set that put and uni build" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, fork, "0", "%void");
    try t.expectJet(&ws, fork, "[%void %void 0]", "%void");
    try t.expectJet(&ws, fork, "[%noun %void %noun 0]", "%noun");
    try t.expectJetError(&ws, fork, "[%noun 5]", error.Exit);
    const types = [_][]const u8{ "%noun", "[%atom %ud 0]", "[%atom %t 0]", "[%atom %f 0 0]", "[%atom %f 0 1]" };
    var list = Noun.zero;
    for (types) |text| list = try ws.cell(try t.parse(&ws, text), list);
    // The list is built backwards: put the types again in list order.
    var in_order = Noun.zero;
    var x = list;
    while (x != Noun.zero) : (x = ws.tail(x)) in_order = try treap.put(&ws, .set, in_order, ws.head(x), Noun.zero);
    const product = try fork(&ws, try t.gate(&ws, list));
    try t.expectNoun(&ws, try ws.cell(term("fork"), in_order), product);
    // A fork inside the list is joined, not nested.
    const nested = try ws.cell(product, try ws.cell(try t.parse(&ws, "[%atom %p 0]"), Noun.zero));
    const joined = try treap.put(&ws, .set, in_order, try t.parse(&ws, "[%atom %p 0]"), Noun.zero);
    try t.expectNoun(&ws, try ws.cell(term("fork"), joined), try fork(&ws, try t.gate(&ws, nested)));
}

test "pen: comb folds axes and trivial formulas" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, comb, "[[0 2] [0 3]]", "[0 5]");
    try t.expectJet(&ws, comb, "[[0 6] [2 [0 2] [0 3]]]", "[2 [0 12] [0 13]]");
    try t.expectJetError(&ws, comb, "[[0 6] [2 [0 0] [0 3]]]", error.Punt);
    try t.expectJet(&ws, comb, "[[0 6] [1 5]]", "[7 [0 6] [1 5]]");
    try t.expectJet(&ws, comb, "[[[1 5] [0 1]] [0 3]]", "[8 [1 5] [0 3]]");
    try t.expectJet(&ws, comb, "[[1 5] [0 1]]", "[1 5]");
    try t.expectJet(&ws, comb, "[[0 0] [0 1]]", "[0 0]");
    try t.expectJet(&ws, comb, "[[1 5] [0 3]]", "[7 [1 5] [0 3]]");
    try t.expectJetError(&ws, comb, "[[0 [1 2]] [0 3]]", error.Punt);
    try t.expectJet(&ws, comb, "[[0 0x4000.0000.0000.0000] [0 2]]", "[0 0x8000.0000.0000.0000]");
}

test "pen: cons folds two constants" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, cons, "[[1 5] [1 6]]", "[1 5 6]");
    try t.expectJet(&ws, cons, "[[1 5] [0 6]]", "[[1 5] [0 6]]");
    try t.expectJet(&ws, cons, "[[0 2] [0 3]]", "[[0 2] [0 3]]");
}
