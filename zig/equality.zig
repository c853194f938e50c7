//! Structural equality of nouns, with an explicit stack (no native recursion).

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Header = @import("noun.zig").Header;
const Workspace = @import("workspace.zig").Workspace;

pub const Error = error{Meme};

/// `unify` rewrites at most this many cells per comparison (the rest stay copies).
const unify_pairs_max: usize = 1 << 20;

/// Atoms compared without a stack. Both must be atoms.
pub fn atomsEqual(ws: *const Workspace, a: Noun, b: Noun) bool {
    assert(a.isAtom());
    assert(b.isAtom());
    if (a == b) return true;
    if (a.isDirect() or b.isDirect()) return false;
    const wa = ws.words(a);
    const wb = ws.words(b);
    const la = Header.limbs(wa[0]);
    assert(la >= 1); // An atom's header: at least one limb.
    if (la != Header.limbs(wb[0])) return false;
    const ma = Header.mug(wa[0]);
    const mb = Header.mug(wb[0]);
    if (ma != 0 and mb != 0 and ma != mb) return false;
    return std.mem.eql(u64, wa[1 .. 1 + la], wb[1 .. 1 + la]);
}

/// Shallow check that settles a pair without descending: null means "compare children".
inline fn quick(ws: *const Workspace, a: Noun, b: Noun) ?bool {
    assert(!a.isForward());
    assert(!b.isForward());
    if (a == b) return true;
    if (a.isCell() != b.isCell()) return false;
    if (!a.isCell()) return atomsEqual(ws, a, b);
    const ma = Header.mug(ws.words(a)[0]);
    const mb = Header.mug(ws.words(b)[0]);
    if (ma != 0 and mb != 0 and ma != mb) return false;
    assert(a.isCell());
    assert(b.isCell());
    return null;
}

/// A reusable structural comparison: its stack and visited-pair table keep their capacity
/// across calls. Pairs of cells already expanded in one call are skipped: if the answer is
/// yes they were equal, and if it is no the first visit finds it (any difference ends the
/// walk). Without this, two separately built copies of a DAG with internal sharing would take
/// time exponential in its depth. Small comparisons stay off the visited table.
pub const Comparer = struct {
    ws: *Workspace,
    pairs: std.ArrayList([2]Noun) = .empty,
    seen: std.AutoHashMapUnmanaged(u64, u64) = .empty,
    /// With `unify`: the pairs of distinct cells expanded by the walk (see `unify`).
    expanded: std.ArrayList([2]Noun) = .empty,
    unify: bool = false,

    pub fn init(ws: *Workspace) Comparer {
        return .{ .ws = ws };
    }

    pub fn deinit(c: *Comparer) void {
        c.pairs.deinit(c.ws.gpa);
        c.seen.deinit(c.ws.gpa);
        c.expanded.deinit(c.ws.gpa);
    }

    pub fn equal(c: *Comparer, a: Noun, b: Noun) Error!bool {
        if (quick(c.ws, a, b)) |r| return r;
        const gpa = c.ws.gpa;
        c.pairs.clearRetainingCapacity();
        c.expanded.clearRetainingCapacity();
        if (c.seen.count() > 0) c.seen.clearRetainingCapacity();
        c.pairs.append(gpa, .{ a, b }) catch return error.Meme;
        var steps: u64 = 0;
        while (c.pairs.pop()) |pair| : (steps += 1) {
            const x = pair[0];
            const y = pair[1];
            if (quick(c.ws, x, y)) |r| {
                if (!r) return false;
                continue;
            }
            assert(x != y); // Equal words were settled by `quick`.
            if (steps >= constants.equality_memo_after_steps) {
                const gop = c.seen.getOrPut(gpa, x.raw()) catch return error.Meme;
                if (gop.found_existing and gop.value_ptr.* == y.raw()) continue;
                gop.value_ptr.* = y.raw();
            }
            if (c.unify and c.expanded.items.len < unify_pairs_max and y.inWorkspace()) {
                c.expanded.append(gpa, .{ x, y }) catch {};
            }
            if (c.pairs.items.len + 2 > constants.walk_stack_entries_max) return error.Meme;
            c.pairs.append(gpa, .{ c.ws.tail(x), c.ws.tail(y) }) catch return error.Meme;
            c.pairs.append(gpa, .{ c.ws.head(x), c.ws.head(y) }) catch return error.Meme;
            assert(c.pairs.items.len <= constants.walk_stack_entries_max);
        }
        return true;
    }
};

/// Structural equality. Fails only when the comparison stack cannot grow (`error.Meme`).
pub fn equal(ws: *Workspace, a: Noun, b: Noun) Error!bool {
    if (quick(ws, a, b)) |r| return r;
    var c = Comparer.init(ws);
    defer c.deinit();
    return c.equal(a, b);
}

/// Structural equality that, when `keep` and `other` are equal, makes the workspace cells of
/// `other` that the walk expanded point to `keep`'s children: nothing changes in value, and
/// the next comparison of the two (or of anything sharing `other`'s cells) stops at the first
/// level, where the children are the same words. The cells of `other`'s old subtrees become
/// garbage. Only workspace cells are written (never PMA nouns), so the collector's and the
/// PMA's invariants hold: a workspace cell may point anywhere.
pub fn unify(ws: *Workspace, keep: Noun, other: Noun) Error!bool {
    if (quick(ws, keep, other)) |r| return r;
    var c = Comparer.init(ws);
    defer c.deinit();
    c.unify = true;
    if (!try c.equal(keep, other)) return false;
    for (c.expanded.items) |pair| {
        assert(pair[1].isCell());
        assert(pair[1].inWorkspace());
        const into = ws.words(pair[1]);
        into[1] = ws.head(pair[0]).raw();
        into[2] = ws.tail(pair[0]).raw();
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

test "equality of two separately built copies of a deeply shared DAG is fast" {
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var a = Noun.direct(1);
    var b = Noun.direct(1);
    // 2^300 paths through each; a walk without memo would never finish.
    for (0..300) |_| {
        a = try ws.cell(a, a);
        b = try ws.cell(b, b);
    }
    try testing.expect(try equal(&ws, a, b));
    const c = try ws.cell(try ws.cell(Noun.direct(2), Noun.direct(2)), b);
    try testing.expect(!try equal(&ws, c, try ws.cell(a, a)));
}

test "unify makes equal copies share the kept noun's children" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    const d = Noun.direct;
    var a = d(1);
    var b = d(1);
    for (0..1000) |i| {
        a = try ws.cell(try ws.cell(d(i), d(i + 1)), a);
        b = try ws.cell(try ws.cell(d(i), d(i + 1)), b);
    }
    try testing.expect(!try unify(&ws, a, try ws.cell(d(0), b)));
    try testing.expect(try unify(&ws, a, b));
    // b's top cell is still its own, with a's children: the next comparison is one step.
    try testing.expect(a != b);
    try testing.expectEqual(ws.head(a), ws.head(b));
    try testing.expectEqual(ws.tail(a), ws.tail(b));
    try testing.expect(try equal(&ws, a, b));
    // A noun that differs deep down is never rewritten.
    var c = d(2);
    for (0..1000) |i| c = try ws.cell(try ws.cell(d(i), d(i + 1)), c);
    const c_tail = ws.tail(c);
    try testing.expect(!try unify(&ws, a, c));
    try testing.expectEqual(c_tail, ws.tail(c));
}
