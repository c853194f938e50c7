//! Jets of Hoon's tree addressing (`%one` layer): cap mas peg. Gates; `cap` and `mas` read
//! an atom at axis 6, `peg` reads `[a b]` at 12 and 13.
//!
//! Hoon crashes on axes 0 and 1 in `cap`/`mas`, and on `a = 0` in `peg`. `peg` with `b = 0`
//! never terminates in Hoon (it halves 0 forever); the jet calls it Exit.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;

/// 2 if axis `a` lies in the head, 3 if in the tail: its second-highest bit.
pub fn cap(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    const m = atom.met0(ws, a);
    if (m < 2) return error.Exit;
    var scratch: u64 = undefined;
    const bit = atom.readBits(ws.bases.limbs(a, &scratch), m - 2, 1);
    assert(bit <= 1);
    return Noun.direct(2 + bit);
}

/// The axis within the head or tail: drop the second-highest bit.
pub fn mas(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    const m = atom.met0(ws, a);
    if (m < 2) return error.Exit;
    var b = try atom.Builder.begin(ws, m - 1);
    b.put(0, a, 0, m - 2);
    b.put(m - 2, Noun.one, 0, 1);
    const result = b.done();
    assert(atom.met0(ws, result) == m - 1);
    return result;
}

/// Axis `b` within axis `a`: a with b's bits below its top bit appended.
pub fn peg(ws: *Workspace, core: Noun) JetError!Noun {
    const sample = try common.slot(ws, core, 6);
    if (!sample.isCell()) return error.Exit;
    const a = try common.expectAtom(ws.head(sample));
    const b = try common.expectAtom(ws.tail(sample));
    if (a == Noun.zero or b == Noun.zero) return error.Exit;
    const mb = atom.met0(ws, b);
    assert(mb >= 1);
    const bits = atom.met0(ws, a) +| (mb - 1);
    if (bits > common.bitsMax(ws)) return error.Meme;
    var out = try atom.Builder.begin(ws, bits);
    out.put(0, b, 0, mb - 1);
    out.put(mb - 1, a, 0, std.math.maxInt(u64));
    return out.done();
}

const testing = std.testing;
const t = @import("testing.zig");

test "tree jets" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, cap, "2", "2");
    try t.expectJet(&ws, cap, "3", "3");
    try t.expectJet(&ws, cap, "4", "2");
    try t.expectJet(&ws, cap, "6", "3");
    try t.expectJet(&ws, cap, "13", "3"); // 0b1101: second-highest bit 1
    try t.expectJet(&ws, mas, "2", "1");
    try t.expectJet(&ws, mas, "3", "1");
    try t.expectJet(&ws, mas, "6", "2");
    try t.expectJet(&ws, mas, "7", "3");
    try t.expectJet(&ws, mas, "13", "5");
    try t.expectJet(&ws, mas, "9223372036854775808", "4611686018427387904");
    try t.expectJet(&ws, mas, "18446744073709551616", "9223372036854775808");
    try t.expectJet(&ws, cap, "18446744073709551616", "2");
    try t.expectJet(&ws, cap, "27670116110564327424", "3"); // 0b11 << 63
    try t.expectJet(&ws, peg, "[1 5]", "5");
    try t.expectJet(&ws, peg, "[5 1]", "5");
    try t.expectJet(&ws, peg, "[2 2]", "4");
    try t.expectJet(&ws, peg, "[3 3]", "7");
    try t.expectJet(&ws, peg, "[6 13]", "53"); // 110 ++ 101
    try t.expectJet(&ws, peg, "[9223372036854775808 2]", "18446744073709551616");
    try t.expectJetError(&ws, cap, "1", error.Exit);
    try t.expectJetError(&ws, cap, "0", error.Exit);
    try t.expectJetError(&ws, mas, "1", error.Exit);
    try t.expectJetError(&ws, peg, "[0 5]", error.Exit);
    try t.expectJetError(&ws, peg, "[5 0]", error.Exit);
    try t.expectJetError(&ws, peg, "[[1 2] 5]", error.Exit);
    try t.expectJetError(&ws, cap, "[1 2]", error.Exit);
}
