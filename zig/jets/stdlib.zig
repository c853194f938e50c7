//! The rest of the standard library's small arms that hoon.hoon registers under `%two`:
//! lists (2a, 2b) lien murn need reel skid skim skip slag sort, bits (2c) fil, powers
//! (2g) pow. The gates that slam their sample's gate are in list_slams.zig. Samples:
//!   need                       a=(unit) at 6
//!   slag                       [a=@ b=(list)] at 12 13
//!   pow                        [a=@ b=@] at 12 13
//!   fil                        [a=bite b=step c=@] at 12 26 27
//!   lien murn reel skid skim skip sort
//!                              [a=(list) b=gate] at 12 13
//! Crashes follow the Nock: `need` of `~` (or of any atom) and `slag` that steps into a
//! non-zero atom are Exit; `pow` reads `a` only when `b` is 1 or more (`(pow [1 2] 1)` is
//! `[1 2]`), and a cell `b` is Exit (`div` of it). `fil` with a cell count never ends in
//! the Nock (it counts up to it), so it punts.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const bits = @import("bits.zig");
const list_slams = @import("list_slams.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("fil", fil, "[a=bite b=step c=@] 12 26 27"),
    E.slams("lien", list_slams.lien, "[a=(list) b=$-(* ?)] 12 13"),
    E.slams("murn", list_slams.murn, "[a=(list) b=$-(* (unit))] 12 13"),
    E.plain("need", need, "a=(unit) 6"),
    E.plain("pow", pow, "[a=@ b=@] 12 13"),
    E.slams("reel", list_slams.reel, "[a=(list) b=gate] 12 13; state at 13 of b"),
    E.slams("skid", list_slams.skid, "[a=(list) b=$-(* ?)] 12 13"),
    E.slams("skim", list_slams.skim, "[a=(list) b=$-(* ?)] 12 13"),
    E.slams("skip", list_slams.skip, "[a=(list) b=$-(* ?)] 12 13"),
    E.plain("slag", slag, "[a=@ b=(list)] 12 13"),
    E.slams("sort", list_slams.sort, "[a=(list) b=$-([* *] ?)] 12 13"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two", .names = &.{
        "fil", "lien", "murn", "need", "pow", "reel", "skid", "skim", "skip", "slag", "sort",
    } },
};

/// `u.a`: the tail of a cell; Exit on `~` (`~>(%mean.'need' !!)`) and on any other atom.
pub fn need(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    if (!a.isCell()) return error.Exit;
    return ws.tail(a);
}

/// The list without its first `a` items (`~` when it is shorter).
pub fn slag(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 12);
    var b = try common.slot(ws, core, 13);
    if (a == Noun.zero) return b;
    // A cell count: `=(0 a)` is no, then `?~ b ~`, then `(dec a)` crashes.
    if (a.isCell()) return if (b == Noun.zero) Noun.zero else error.Exit;
    var left = common.saturated(ws, a); // An indirect count outlasts every list.
    while (left > 0) : (left -= 1) {
        if (b == Noun.zero) return Noun.zero;
        if (!b.isCell()) return error.Exit;
        b = ws.tail(b);
    }
    return b;
}

/// `a` to the power `b`.
pub fn pow(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 12);
    const b = try common.atomAt(ws, core, 13);
    if (b == Noun.zero) return Noun.one;
    if (b == Noun.one) return a;
    if (a.isCell()) return error.Exit;
    if (a == Noun.zero or a == Noun.one) return a;
    const exponent = common.saturated(ws, b);
    // a >= 2: the power has more than (met a - 1) * b bits.
    if ((atom.met0(ws, a) - 1) *| exponent > common.bitsMax(ws)) return error.Meme;
    var result = Noun.one;
    var base = a;
    var e = exponent;
    while (true) {
        if (e & 1 == 1) result = try atom.mul(ws, result, base);
        e >>= 1;
        if (e == 0) break;
        base = try atom.mul(ws, base, base);
    }
    return result;
}

/// `b` copies of the low bite `a` of `c`, side by side.
pub fn fil(ws: *Workspace, core: Noun) JetError!Noun {
    const c = try common.slot(ws, core, 27);
    const unit = try bits.bite(ws, try common.slot(ws, core, 12));
    const count_noun = try common.slot(ws, core, 26);
    if (c.isCell()) return error.Exit; // `(end a c)` comes first.
    if (count_noun.isCell()) return error.Punt;
    const piece = try atom.end(ws, c, unit);
    const count = common.saturated(ws, count_noun);
    if (piece == Noun.zero or count == 0) return Noun.zero;
    const width = atom.met0(ws, piece);
    assert(width <= unit);
    const total = (count - 1) *| unit +| width;
    if (total > common.bitsMax(ws)) return error.Meme;
    var builder = try atom.Builder.begin(ws, total);
    var i: u64 = 0;
    while (i < count) : (i += 1) builder.put(i * unit, piece, 0, width);
    return builder.done();
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test {
    _ = list_slams;
}

test "stdlib: need and slag" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, need, "[0 5]", "5");
    try t.expectJet(&ws, need, "[7 [1 2]]", "[1 2]");
    try t.expectJetError(&ws, need, "0", error.Exit);
    try t.expectJetError(&ws, need, "3", error.Exit);
    try t.expectJet(&ws, slag, "[2 [1 2 3 0]]", "[3 0]");
    try t.expectJet(&ws, slag, "[5 [1 2 3 0]]", "0");
    try t.expectJet(&ws, slag, "[0 7]", "7");
    try t.expectJet(&ws, slag, "[18446744073709551616 [1 2 0]]", "0");
    try t.expectJet(&ws, slag, "[[1 2] 0]", "0");
    try t.expectJetError(&ws, slag, "[[1 2] [1 0]]", error.Exit);
    try t.expectJetError(&ws, slag, "[2 [1 5]]", error.Exit);
    try t.expectJet(&ws, slag, "[1 [1 5]]", "5");
}

test "stdlib: pow and fil" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, pow, "[3 4]", "81");
    try t.expectJet(&ws, pow, "[2 64]", "18446744073709551616");
    try t.expectJet(&ws, pow, "[[1 2] 0]", "1");
    try t.expectJet(&ws, pow, "[[1 2] 1]", "[1 2]");
    try t.expectJet(&ws, pow, "[0 5]", "0");
    try t.expectJet(&ws, pow, "[1 18446744073709551616]", "1");
    try t.expectJetError(&ws, pow, "[[1 2] 2]", error.Exit);
    try t.expectJetError(&ws, pow, "[3 [1 2]]", error.Exit);
    try t.expectJetError(&ws, pow, "[2 18446744073709551616]", error.Meme);
    try t.expectJet(&ws, fil, "[3 [3 0x1ab]]", "0xababab");
    try t.expectJet(&ws, fil, "[[0 3] [2 7]]", "63");
    try t.expectJet(&ws, fil, "[3 [0 5]]", "0");
    try t.expectJet(&ws, fil, "[3 [4 0x100]]", "0");
    try t.expectJet(&ws, fil, "[0 [3 1]]", "7");
    try t.expectJetError(&ws, fil, "[3 [2 [1 2]]]", error.Exit);
    try t.expectJetError(&ws, fil, "[[[1 2] 3] [2 1]]", error.Exit);
    try t.expectJetError(&ws, fil, "[3 [[1 2] 1]]", error.Punt);
}
