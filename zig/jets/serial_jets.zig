//! Jets over whole nouns: mug, jam, cue. Gates; the sample is at axis 6. They wrap
//! zig/mug.zig, zig/jam.zig and zig/cue.zig.
//!   mug  any noun; the product is its 31-bit mug.
//!   jam  any noun; the product is its jam as an atom.
//!   cue  an atom (a cell is Exit). Cellar's cue is strict (exact lengths, no bits after
//!        the noun, backreferences to decoded nouns only); Hoon's `++cue` also accepts some
//!        input the strict one refuses (for example trailing bits), so a refusal is Punt and
//!        the Nock decides.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const mug_mod = @import("../mug.zig");
const jam_mod = @import("../jam.zig");
const cue_mod = @import("../cue.zig");
const common = @import("common.zig");
const JetError = common.JetError;

pub fn mug(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    const m = try mug_mod.mug(ws, a);
    assert(m != 0);
    return Noun.direct(m);
}

pub fn jam(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    const jammed = try jam_mod.jam(ws, a);
    assert(jammed != Noun.zero); // Every jam has a 1 bit.
    return jammed;
}

pub fn cue(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    assert(a.isAtom());
    return cue_mod.cueAtom(ws, a) catch |err| switch (err) {
        error.Meme => error.Meme,
        error.BadJam => error.Punt,
    };
}

const testing = std.testing;
const t = @import("testing.zig");

test "mug, jam, cue jets" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // Known values: (jam 0) = 2, (jam 1) = 12, (jam [1 2]) = 4.657, (mug 0) = 0x79ff.04e8.
    try t.expectJet(&ws, jam, "0", "2");
    try t.expectJet(&ws, jam, "1", "12");
    try t.expectJet(&ws, jam, "[1 2]", "4657");
    try t.expectJet(&ws, cue, "4657", "[1 2]");
    try t.expectJet(&ws, cue, "12", "1");
    const n = try t.parse(&ws, "[[1 2] [1 2] %hello 18446744073709551616]");
    const jammed = try jam(&ws, try t.gate(&ws, n));
    try t.expectNoun(&ws, n, try cue(&ws, try t.gate(&ws, jammed)));
    try t.expectJetError(&ws, cue, "[1 2]", error.Exit);
    try t.expectJetError(&ws, cue, "0", error.Punt);
    try t.expectJetError(&ws, cue, "3", error.Punt); // a backreference to nothing
    const m = try mug(&ws, try t.gate(&ws, n));
    try testing.expectEqual(@as(u64, try mug_mod.mug(&ws, n)), m.raw());
    try t.expectJet(&ws, mug, "0", "0x79ff04e8");
}
