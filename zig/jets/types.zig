//! Jets of the compiler's type engine (`%pen` layer of hoon.hoon, issue 13 item 1).
//!
//! Native: the arm finders `look` and `loot`, gates with sample `[cog dab]` at 12 and 13.
//!   look  finds arm `cog` in a battery's arm map `dab` (a `(map term hoon)` treap ordered
//!         by `gor`) and gives `[~ axis hoon]`, the arm's axis within the battery, or `~`.
//!   loot  does the same over a `(map term tome)` of chapters, each chapter's arms searched
//!         with `look`, depth first (node, left, right), with the chapters' axes pegged on.
//! Both follow hoon.hoon's own walk exactly, quirks included: a leaf's arm is at `axe`
//! itself, and `look` gives `~` when `cog` sorts before a node that has only a right child.
//! Shapes the walk does not model (an atom where a node or a pair belongs, an axis past 62
//! bits, a chapter map deeper than the walk's stack) punt to the Nock.
//!
//! Memoized (the dashboard runs their Nock through the %memo cache, keyed on the core's
//! parts outside its batteries, the `ut` door's `[fan rib vet]` counting as `vet`): `open:ap` (arm 10 of the `ap` door: desugaring a hoon,
//! called again for the same hoon by play, mint and mull), the `ut` gates that the profile
//! of a compile shows busiest after those the table memoizes already (`nest`, `redo`,
//! `chip`, `toss`, `gain`, `lose`), and `hike` (nock composition) of `%pen`.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const mug_mod = @import("../mug.zig");
const common = @import("common.zig");
const sort = @import("sort.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("look", look, "[cog=term dab=(map term hoon)] 12 13"),
    E.plain("loot", loot, "[cog=term dom=(map term tome)] 12 13"),
    .{ .name = "ap-open", .func = .memo, .arm_axis = 10, .sample = "the ap door: gen 6" },
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/tri/qua/pen", .names = &.{ "look", "loot" } },
    .{ .prefix = "one/two/tri/qua", .entry = "ap-open", .names = &.{"ap"} },
    .{ .prefix = "one/two/tri/qua/pen/ut", .entry = "memo", .names = &.{ "nest", "redo", "chip", "toss", "gain", "lose" } },
    .{ .prefix = "one/two/tri/qua/pen", .entry = "memo", .names = &.{"hike"} },
};

/// Walk stack depth of `loot` (its map is a treap: far shallower in practice).
const loot_depth_max = 128;

/// `peg(a, b)` for the constant child axes 2, 3, 6 and 7; Punt past 62 bits.
fn pegSmall(a: u64, comptime b: u64) JetError!u64 {
    comptime assert(b >= 2 and b <= 7);
    const shift = comptime 63 - @clz(b);
    if (a >= @as(u64, 1) << (62 - shift)) return error.Punt;
    return a << shift | (b - (@as(u64, 1) << shift));
}

/// `peg(a, b)` for any direct axes; Punt past 62 bits.
fn peg(a: u64, b: Noun) JetError!u64 {
    assert(a >= 1);
    if (!b.isDirect() or b.raw() == 0) return error.Punt;
    const shift: u6 = @intCast(63 - @clz(b.raw()));
    if (63 - @clz(a) + @as(u32, shift) > 62) return error.Punt;
    return a << shift | (b.raw() - (@as(u64, 1) << shift));
}

/// Hoon's `gor`: by mug, then by `dor` when the mugs are equal.
fn gor(ws: *Workspace, a: Noun, b: Noun) JetError!bool {
    const c = try mug_mod.mug(ws, a);
    const d = try mug_mod.mug(ws, b);
    if (c != d) return c < d;
    const core = try ws.cell(Noun.zero, try ws.cell(try ws.cell(a, b), Noun.zero));
    return (try sort.dor(ws, core)) == Noun.yes;
}

/// A map node `[n l r]` with `n` a pair, or Punt.
const Node = struct { key: Noun, value: Noun, left: Noun, right: Noun };

fn node(ws: *const Workspace, tree: Noun) JetError!Node {
    if (!tree.isCell()) return error.Punt;
    const n = ws.head(tree);
    const lr = ws.tail(tree);
    if (!n.isCell() or !lr.isCell()) return error.Punt;
    const l = ws.head(lr);
    const r = ws.tail(lr);
    // `?-` tells `~` from a node; another atom is a shape the walk does not model.
    if ((l.isAtom() and l != Noun.zero) or (r.isAtom() and r != Noun.zero)) return error.Punt;
    return .{ .key = ws.head(n), .value = ws.tail(n), .left = l, .right = r };
}

const Found = struct { axis: u64, hoon: Noun };

/// `look`'s walk, without building its unit.
fn lookWalk(ws: *Workspace, cog: Noun, dab0: Noun) JetError!?Found {
    var dab = dab0;
    var axe: u64 = 1;
    while (true) {
        if (dab == Noun.zero) return null;
        const x = try node(ws, dab);
        const leaf_l = x.left == Noun.zero;
        const leaf_r = x.right == Noun.zero;
        if (leaf_l and leaf_r) {
            if (try equality.equal(ws, cog, x.key)) return .{ .axis = axe, .hoon = x.value };
            return null;
        }
        if (try equality.equal(ws, cog, x.key)) return .{ .axis = try pegSmall(axe, 2), .hoon = x.value };
        const before = try gor(ws, cog, x.key);
        if (leaf_l) {
            if (before) return null;
            axe = try pegSmall(axe, 3);
            dab = x.right;
        } else if (leaf_r) {
            if (!before) return null;
            axe = try pegSmall(axe, 3);
            dab = x.left;
        } else if (before) {
            axe = try pegSmall(axe, 6);
            dab = x.left;
        } else {
            axe = try pegSmall(axe, 7);
            dab = x.right;
        }
    }
}

/// `[~ axis hoon]` or `~`.
fn unit(ws: *Workspace, found: ?Found) JetError!Noun {
    const f = found orelse return Noun.zero;
    if (f.axis > Noun.direct_max) return error.Punt;
    return ws.cell(Noun.zero, try ws.cell(Noun.direct(f.axis), f.hoon));
}

pub fn look(ws: *Workspace, core: Noun) JetError!Noun {
    const cog = try common.slot(ws, core, 12);
    const dab = try common.slot(ws, core, 13);
    return unit(ws, try lookWalk(ws, cog, dab));
}

/// A chapter's arm map: `q.q.n.dom` (the node's tome `[what (map term hoon)]`).
fn chapterArms(ws: *const Workspace, tome: Noun) JetError!Noun {
    if (!tome.isCell()) return error.Punt;
    return ws.tail(tome);
}

pub fn loot(ws: *Workspace, core: Noun) JetError!Noun {
    const cog = try common.slot(ws, core, 12);
    const dom = try common.slot(ws, core, 13);
    var stack: [loot_depth_max]struct { tree: Noun, axe: u64 } = undefined;
    var len: usize = 1;
    stack[0] = .{ .tree = dom, .axe = 1 };
    while (len > 0) {
        len -= 1;
        const top = stack[len];
        if (top.tree == Noun.zero) continue;
        const x = try node(ws, top.tree);
        const found = try lookWalk(ws, cog, try chapterArms(ws, x.value));
        const leaf_l = x.left == Noun.zero;
        const leaf_r = x.right == Noun.zero;
        if (found) |f| {
            // A leaf pegs the arm's axis on `axe`; a node with children on `axe` 2.
            const base = if (leaf_l and leaf_r) top.axe else try pegSmall(top.axe, 2);
            return unit(ws, .{ .axis = try peg(base, Noun.direct(f.axis)), .hoon = f.hoon });
        }
        if (len + 2 > stack.len) return error.Punt;
        if (leaf_l and leaf_r) continue;
        if (leaf_l) {
            stack[len] = .{ .tree = x.right, .axe = try pegSmall(top.axe, 3) };
            len += 1;
        } else if (leaf_r) {
            stack[len] = .{ .tree = x.left, .axe = try pegSmall(top.axe, 3) };
            len += 1;
        } else {
            // Left first: its whole subtree is searched before the right one.
            stack[len] = .{ .tree = x.right, .axe = try pegSmall(top.axe, 7) };
            stack[len + 1] = .{ .tree = x.left, .axe = try pegSmall(top.axe, 6) };
            len += 2;
        }
    }
    return Noun.zero;
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "peg of small axes matches the tree jet's rule" {
    try testing.expectEqual(@as(u64, 2), try pegSmall(1, 2));
    try testing.expectEqual(@as(u64, 7), try pegSmall(3, 3));
    try testing.expectEqual(@as(u64, 14), try pegSmall(3, 6));
    try testing.expectEqual(@as(u64, 23), try pegSmall(5, 7));
    try testing.expectEqual(@as(u64, 13), try peg(3, Noun.direct(5)));
    try testing.expectEqual(@as(u64, 3), try peg(3, Noun.direct(1)));
    try testing.expectError(error.Punt, pegSmall(1 << 61, 2));
    try testing.expectError(error.Punt, peg(1 << 40, Noun.direct(1 << 30)));
}

test "look and loot on leaves and empty maps" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // A leaf's arm is at axis 1 of the map; a miss is ~.
    try t.expectJet(&ws, look, "[%a [%a 42] 0 0]", "[0 1 42]");
    try t.expectJet(&ws, look, "[%b [%a 42] 0 0]", "0");
    try t.expectJet(&ws, look, "[%a 0]", "0");
    try t.expectJetError(&ws, look, "[%a 7]", error.Punt);
    try t.expectJetError(&ws, look, "[%a [7 0 0]]", error.Punt);
    // A node with both children: the node's own arm is at 2.
    try t.expectJet(&ws, look, "[%a [%a 42] [[%b 1] 0 0] [%c 2] 0 0]", "[0 2 42]");
    // One chapter holding one arm: the chapter leaf's axis pegs the arm's.
    try t.expectJet(&ws, loot, "[%a [%ch %what [%a 42] 0 0] 0 0]", "[0 1 42]");
    try t.expectJet(&ws, loot, "[%b [%ch %what [%a 42] 0 0] 0 0]", "0");
    try t.expectJet(&ws, loot, "[%a 0]", "0");
    try t.expectJetError(&ws, loot, "[%a [%ch 5] 0 0]", error.Punt);
}
