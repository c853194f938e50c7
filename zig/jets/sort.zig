//! Jets of Hoon's noun orderings (`%two` layer, 2f): dor gor mor aor. Gates with sample
//! `[a=* b=*]` at 12 and 13; each returns a loobean. Any nouns are valid samples.
//!
//!   dor  depth order: equal is yes; a cell is after every atom; two cells compare by their
//!        heads, or by their tails when the heads are equal; atoms by value.
//!   aor  as dor, but atoms compare by their lowest differing byte (alphabetical for cords).
//!   gor  by mug, falling back to dor when the mugs are equal.
//!   mor  by the mug of the mug, falling back to dor.
//! Hoon's recursion in dor/aor is all in tail position, so these are plain loops.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const mug_mod = @import("../mug.zig");
const common = @import("common.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;

const AtomOrder = enum { value, bytes };

/// The shared loop of dor and aor.
fn depthOrder(ws: *Workspace, comptime atoms: AtomOrder, a0: Noun, b0: Noun) JetError!bool {
    var a = a0;
    var b = b0;
    while (true) {
        if (try equality.equal(ws, a, b)) return true;
        if (a.isCell()) {
            if (b.isAtom()) return false;
            assert(b.isCell());
            if (try equality.equal(ws, ws.head(a), ws.head(b))) {
                a = ws.tail(a);
                b = ws.tail(b);
            } else {
                a = ws.head(a);
                b = ws.head(b);
            }
            continue;
        }
        if (b.isCell()) return true;
        assert(a.isAtom());
        assert(b.isAtom());
        return switch (atoms) {
            .value => atom.order(ws, a, b) == .lt,
            .bytes => bytesBefore(ws, a, b),
        };
    }
}

/// Whether the lowest byte in which two different atoms differ is smaller in `a`.
fn bytesBefore(ws: *const Workspace, a: Noun, b: Noun) bool {
    assert(a != b); // Different atoms: some byte differs.
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    const la = ws.bases.limbs(a, &sa);
    const lb = ws.bases.limbs(b, &sb);
    const len = @max(la.len, lb.len);
    for (0..len) |i| {
        const x = if (i < la.len) la[i] else 0;
        const y = if (i < lb.len) lb[i] else 0;
        if (x == y) continue;
        const shift: u6 = @intCast(@ctz(x ^ y) & ~@as(u32, 7));
        assert(shift % 8 == 0);
        return ((x >> shift) & 0xff) < ((y >> shift) & 0xff);
    }
    unreachable; // The caller checked that the atoms differ.
}

/// `dor` on two nouns, for the jets that keep trees in `gor`/`mor` order (maps.zig), which
/// compare mugs themselves and fall back to this when they are equal.
pub fn dorNouns(ws: *Workspace, a: Noun, b: Noun) JetError!bool {
    return depthOrder(ws, .value, a, b);
}

inline fn pair(ws: *const Workspace, core: Noun) JetError![2]Noun {
    return .{ try common.slot(ws, core, 12), try common.slot(ws, core, 13) };
}

pub fn dor(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(try depthOrder(ws, .value, p[0], p[1]));
}

pub fn aor(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(try depthOrder(ws, .bytes, p[0], p[1]));
}

pub fn gor(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    const c = try mug_mod.mug(ws, p[0]);
    const d = try mug_mod.mug(ws, p[1]);
    assert(c != 0);
    assert(d != 0);
    if (c == d) return Noun.loobean(try depthOrder(ws, .value, p[0], p[1]));
    return Noun.loobean(c < d);
}

pub fn mor(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    const c = mug_mod.mugU64(try mug_mod.mug(ws, p[0]));
    const d = mug_mod.mugU64(try mug_mod.mug(ws, p[1]));
    assert(c != 0);
    assert(d != 0);
    if (c == d) return Noun.loobean(try depthOrder(ws, .value, p[0], p[1]));
    return Noun.loobean(c < d);
}

const testing = std.testing;
const t = @import("testing.zig");

test "dor and aor" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, dor, "[1 2]", "0");
    try t.expectJet(&ws, dor, "[2 1]", "1");
    try t.expectJet(&ws, dor, "[[1 2] [1 2]]", "0");
    try t.expectJet(&ws, dor, "[5 [1 2]]", "0");
    try t.expectJet(&ws, dor, "[[1 2] 5]", "1");
    try t.expectJet(&ws, dor, "[[1 3] [1 2]]", "1");
    try t.expectJet(&ws, dor, "[[1 2] [1 3]]", "0");
    try t.expectJet(&ws, dor, "[[[0 9] 2] [[1 0] 3]]", "0");
    try t.expectJet(&ws, dor, "[18446744073709551616 9223372036854775807]", "1");
    // aor: 'ab' (0x6261) is before 'b' (0x62): first bytes 0x61 < 0x62.
    try t.expectJet(&ws, aor, "[%ab %b]", "0");
    try t.expectJet(&ws, aor, "[%b %ab]", "1");
    try t.expectJet(&ws, aor, "[%a %ab]", "0"); // 'a' then a zero byte < 'b'
    try t.expectJet(&ws, aor, "[0x100 0x1]", "0"); // low bytes 0x00 < 0x01
    try t.expectJet(&ws, aor, "[0x1.0000.0000.0000.0000 0x2.0000.0000.0000.0000]", "0");
    try t.expectJet(&ws, aor, "[[%a 1] [%a 0]]", "1");
    try t.expectJet(&ws, aor, "[%zz [1 2]]", "0");
}

test "gor and mor follow the mugs" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const pairs = [_][2][]const u8{ .{ "1", "2" }, .{ "[1 2]", "3" }, .{ "%foo", "%bar" }, .{ "7", "7" } };
    for (pairs) |p| {
        const a = try t.parse(&ws, p[0]);
        const b = try t.parse(&ws, p[1]);
        const core = try t.gate(&ws, try ws.cell(a, b));
        const ma = try mug_mod.mug(&ws, a);
        const mb = try mug_mod.mug(&ws, b);
        const expected_gor = if (ma == mb) true else ma < mb;
        try testing.expectEqual(Noun.loobean(expected_gor), try gor(&ws, core));
        const mma = mug_mod.mugU64(ma);
        const mmb = mug_mod.mugU64(mb);
        const expected_mor = if (mma == mmb) true else mma < mmb;
        try testing.expectEqual(Noun.loobean(expected_mor), try mor(&ws, core));
    }
    try t.expectJetError(&ws, gor, "5", error.Exit);
}
