//! Jets over whole nouns: mug, jam, cue. Gates; the sample is at axis 6. They wrap
//! zig/mug.zig, zig/jam.zig and zig/cue.zig.
//!   mug  any noun; the product is its 31-bit mug.
//!   jam  any noun; the product is its jam as an atom.
//!   cue  an atom (a cell is Exit). Cellar's cue is strict (exact lengths, no bits after
//!        the noun, backreferences to decoded nouns only); Hoon's `++cue` also accepts some
//!        input the strict one refuses (for example trailing bits), so a refusal is Punt and
//!        the Nock decides.
//!   mat  an atom `a` at 6; `[p q]`: the length-prefixed encoding `q` of `a`, `p` bits long
//!        (jam's atom encoding: `c` zero bits and a one for `b = (met 0 a)`'s length `c`,
//!        the low `c - 1` bits of `b`, then `a`; `[1 1]` for 0).
//!   rub  `[a=@ b=@]` at 12 13; `[p q]`: the atom `q` decoded from `b` at bit `a` and the
//!        `p` bits it took. Exit when no one bit comes within `(met 0 b)` bits of `a` (the
//!        Nock's `?<  (gth c m)`).
//! mat and rub are the family table here; mug, jam and cue are in jets.zig's base table.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const mug_mod = @import("../mug.zig");
const jam_mod = @import("../jam.zig");
const cue_mod = @import("../cue.zig");
const common = @import("common.zig");
const atom = @import("atom.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("mat", mat, "a=@ 6"),
    E.plain("rub", rub, "[a=@ b=@] 12 13"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two", .names = &.{ "mat", "rub" } },
};

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

pub fn mat(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    if (a == Noun.zero) return ws.cell(Noun.one, Noun.one);
    const b = atom.met0(ws, a);
    const c: u64 = 64 - @clz(b);
    assert(c >= 1);
    const p = c + c + b;
    var out = try atom.Builder.begin(ws, p);
    out.put(c, Noun.one, 0, 1);
    out.put(c + 1, Noun.direct(b & ((@as(u64, 1) << @intCast(c - 1)) - 1)), 0, c - 1);
    out.put(c + c, a, 0, b);
    const q = out.done();
    assert(atom.met0(ws, q) == p);
    return ws.cell(try ws.atomU64(p), q);
}

pub fn rub(ws: *Workspace, core: Noun) JetError!Noun {
    const at = try common.atomAt(ws, core, 12);
    const b = try common.atomAt(ws, core, 13);
    const m = atom.met0(ws, b);
    // Every bit from `a` on is zero when `a` is past the end: the loop runs out.
    const a = common.saturated(ws, at);
    if (a >= m) return error.Exit;
    var scratch: u64 = undefined;
    const one = firstOne(ws.bases.limbs(b, &scratch), a) orelse return error.Exit;
    const c = one - a;
    assert(c < m); // So the Nock's `?<  (gth c m)` holds.
    if (c == 0) return ws.cell(Noun.one, Noun.zero);
    const d = one + 1;
    // e = 2^(c-1) + (cut 0 [d (c - 1)] b); the value follows e bits on.
    const e = try atom.add(ws, try atom.bex(ws, c - 1), try atom.cut(ws, b, d, c - 1));
    const len = try atom.add(ws, try ws.atomU64(c + c), e);
    const value = try atom.cut(ws, b, d + c - 1, common.saturated(ws, e));
    return ws.cell(len, value);
}

/// The position of the lowest one bit of `limbs` at or above bit `from`; null if none.
fn firstOne(limbs: []const u64, from: u64) ?u64 {
    var i: usize = @intCast(from / 64);
    if (i >= limbs.len) return null;
    var word = limbs[i] & (~@as(u64, 0) << @intCast(from % 64));
    while (true) {
        if (word != 0) return @as(u64, i) * 64 + @ctz(word);
        i += 1;
        if (i == limbs.len) return null;
        word = limbs[i];
    }
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

test "mat and rub: known values, round trips, crashes" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, mat, "0", "[1 1]");
    try t.expectJet(&ws, mat, "1", "[3 6]");
    try t.expectJet(&ws, mat, "5", "[7 92]");
    try t.expectJet(&ws, rub, "[0 1]", "[1 0]");
    try t.expectJet(&ws, rub, "[0 92]", "[7 5]");
    try t.expectJet(&ws, rub, "[3 736]", "[7 5]"); // 92 << 3
    try t.expectJetError(&ws, rub, "[0 0]", error.Exit);
    try t.expectJetError(&ws, rub, "[7 92]", error.Exit);
    try t.expectJetError(&ws, rub, "[18446744073709551616 92]", error.Exit);
    try t.expectJetError(&ws, mat, "[1 2]", error.Exit);
    try t.expectJetError(&ws, rub, "[0 [1 2]]", error.Exit);
    var prng = std.Random.DefaultPrng.init(0x3a7);
    const random = prng.random();
    for (0..300) |_| {
        const a = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 3000));
        const pq = try mat(&ws, try t.gate(&ws, a));
        // Encoded at a random offset above random low bits, with bits after it.
        const at = random.uintLessThan(u64, 200);
        const low = try atom.end(&ws, try t.randomAtom(&ws, random, 200), at);
        const after = try atom.lsh(&ws, Noun.one, at + ws.head(pq).raw() + random.uintLessThan(u64, 9));
        const b = try atom.add(&ws, try atom.add(&ws, low, try atom.lsh(&ws, ws.tail(pq), at)), after);
        const decoded = try rub(&ws, try t.gate(&ws, try ws.cell(Noun.direct(at), b)));
        try t.expectNoun(&ws, try ws.cell(ws.head(pq), a), decoded);
        if (common.roomWords(&ws) < (4 << 20) / 8) ws.collect();
    }
}
