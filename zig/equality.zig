//! Structural equality of nouns, with an explicit stack (no native recursion).

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Header = @import("noun.zig").Header;
const Workspace = @import("workspace.zig").Workspace;

pub const Error = error{Meme};

/// Atoms compared without a stack. Both must be atoms.
pub fn atomsEqual(ws: *const Workspace, a: Noun, b: Noun) bool {
    assert(a.isAtom() and b.isAtom());
    if (a == b) return true;
    if (a.isDirect() or b.isDirect()) return false;
    const wa = ws.words(a);
    const wb = ws.words(b);
    const la = Header.limbs(wa[0]);
    if (la != Header.limbs(wb[0])) return false;
    const ma = Header.mug(wa[0]);
    const mb = Header.mug(wb[0]);
    if (ma != 0 and mb != 0 and ma != mb) return false;
    return std.mem.eql(u64, wa[1 .. 1 + la], wb[1 .. 1 + la]);
}

/// Shallow check that settles a pair without descending: null means "compare children".
inline fn quick(ws: *const Workspace, a: Noun, b: Noun) ?bool {
    if (a == b) return true;
    if (a.isCell() != b.isCell()) return false;
    if (!a.isCell()) return atomsEqual(ws, a, b);
    const ma = Header.mug(ws.words(a)[0]);
    const mb = Header.mug(ws.words(b)[0]);
    if (ma != 0 and mb != 0 and ma != mb) return false;
    return null;
}

/// Structural equality. Fails only when the comparison stack cannot grow (`error.Meme`).
pub fn equal(ws: *Workspace, a: Noun, b: Noun) Error!bool {
    if (quick(ws, a, b)) |r| return r;
    var stack: std.ArrayList([2]Noun) = .empty;
    defer stack.deinit(ws.gpa);
    stack.append(ws.gpa, .{ a, b }) catch return error.Meme;
    while (stack.pop()) |pair| {
        const x = pair[0];
        const y = pair[1];
        if (quick(ws, x, y)) |r| {
            if (!r) return false;
            continue;
        }
        if (stack.items.len >= constants.walk_stack_entries_max) return error.Meme;
        stack.append(ws.gpa, .{ ws.tail(x), ws.tail(y) }) catch return error.Meme;
        stack.append(ws.gpa, .{ ws.head(x), ws.head(y) }) catch return error.Meme;
    }
    return true;
}

const testing = std.testing;

test "equality of atoms and cells, deep both ways" {
    var ws = try Workspace.init(testing.allocator, 256 << 20);
    defer ws.deinit();
    const big1 = try ws.atomFromLimbs(&.{ 1, 2, 3 });
    const big2 = try ws.atomFromLimbs(&.{ 1, 2, 3 });
    const big3 = try ws.atomFromLimbs(&.{ 1, 2, 4 });
    try testing.expect(try equal(&ws, big1, big2));
    try testing.expect(!try equal(&ws, big1, big3));
    try testing.expect(!try equal(&ws, big1, Noun.direct(1)));
    var left_a = Noun.zero;
    var left_b = Noun.zero;
    var right_a = Noun.zero;
    var right_b = Noun.zero;
    for (0..1_000_000) |i| {
        left_a = try ws.cell(left_a, Noun.direct(i));
        left_b = try ws.cell(left_b, Noun.direct(i));
        right_a = try ws.cell(Noun.direct(i), right_a);
        right_b = try ws.cell(Noun.direct(i), right_b);
    }
    try testing.expect(try equal(&ws, left_a, left_b));
    try testing.expect(try equal(&ws, right_a, right_b));
    try testing.expect(!try equal(&ws, left_a, right_a));
    const changed = try ws.cell(Noun.direct(999_999), try ws.cell(Noun.direct(5), ws.tail(ws.tail(right_b))));
    try testing.expect(!try equal(&ws, right_a, changed));
}
