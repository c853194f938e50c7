//! `gas` into an empty tree, in bulk: the treap that putting the items one by one builds,
//! without walking a growing tree once per item.
//!
//! From `~`, `put` keeps the tree a treap: keys in `gor` order, each node's key before its
//! children's in `mor` order. Both orders are total (mug order, then `dor`), so the keys
//! alone decide that tree: it is the Cartesian tree of the distinct keys sorted by `gor`,
//! heaped by `mor`. A key put twice keeps its last value (a put with an equal value keeps
//! the node, which is then equal to the new one). So: sort the items by key (mug first,
//! `dor` within equal mugs, put order last), keep the last of each key, and build the
//! Cartesian tree with a stack of its right spine, each node made when it leaves the
//! stack (its subtrees are then complete). A map's node is the item itself (`[p q]`).
//!
//! Allocates its scratch arrays with the workspace's allocator; allocates nouns and never
//! collects.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const mug_mod = @import("../mug.zig");
const common = @import("common.zig");
const treap = @import("treap.zig");
const JetError = common.JetError;
const Kind = treap.Kind;

const Item = struct {
    node: Noun,
    key: treap.Key,
    /// The key's priority mug (`mor` compares these first).
    rank: u32,
    /// Position in the list: the later put wins.
    order: u32,
    /// The subtree of keys before this one, once known.
    left: Noun = Noun.zero,
};

/// Sort order before the `dor` pass: mug, then put order.
fn mugBefore(_: void, a: Item, b: Item) bool {
    if (a.key.mug != b.key.mug) return a.key.mug < b.key.mug;
    return a.order < b.order;
}

/// `gor` order, equal keys by put order.
fn keyBefore(ws: *Workspace, a: Item, b: Item) JetError!bool {
    if (a.key.mug != b.key.mug) return a.key.mug < b.key.mug;
    if (try treap.equal(ws, a.key.noun, b.key.noun)) return a.order < b.order;
    return treap.gor(ws, a.key, b.key);
}

/// Within each run of equal mugs, sort by `dor` (insertion sort: runs are short).
fn sortRuns(ws: *Workspace, items: []Item) JetError!void {
    var start: usize = 0;
    while (start < items.len) {
        var end = start + 1;
        while (end < items.len and items[end].key.mug == items[start].key.mug) end += 1;
        var i = start + 1;
        while (i < end) : (i += 1) {
            const x = items[i];
            var j = i;
            while (j > start and try keyBefore(ws, x, items[j - 1])) : (j -= 1) items[j] = items[j - 1];
            items[j] = x;
        }
        start = end;
    }
}

/// Keep the last item of each key; the number kept.
fn dedupe(ws: *Workspace, items: []Item) JetError!usize {
    var kept: usize = 0;
    for (items, 0..) |item, i| {
        const same = i + 1 < items.len and items[i + 1].key.mug == item.key.mug and
            try treap.equal(ws, items[i + 1].key.noun, item.key.noun);
        if (same) continue;
        items[kept] = item;
        kept += 1;
    }
    assert(kept <= items.len);
    return kept;
}

/// `(mor a b)` for distinct keys.
fn outranks(ws: *Workspace, a: Item, b: Item) JetError!bool {
    if (a.rank != b.rank) return a.rank < b.rank;
    return treap.mor(ws, a.key, b.key);
}

/// The Cartesian tree of `items` (sorted by key, distinct), heaped by `mor`.
fn cartesian(ws: *Workspace, items: []Item, spine: []u32) JetError!Noun {
    var len: usize = 0;
    for (items, 0..) |*item, i| {
        var popped = Noun.zero;
        while (len > 0 and try outranks(ws, item.*, items[spine[len - 1]])) {
            len -= 1;
            const top = &items[spine[len]];
            popped = try treap.make(ws, top.node, top.left, popped);
        }
        item.left = popped;
        spine[len] = @intCast(i);
        len += 1;
    }
    var popped = Noun.zero;
    while (len > 0) {
        len -= 1;
        const top = &items[spine[len]];
        popped = try treap.make(ws, top.node, top.left, popped);
    }
    return popped;
}

/// The items of the list `list` as put would take them; Exit when the list is improper or
/// (in a map) an item is an atom.
fn collect(ws: *Workspace, comptime kind: Kind, list: Noun, items: []Item) JetError!void {
    var x = list;
    for (items, 0..) |*item, i| {
        const node = ws.head(x);
        if (kind == .map and !node.isCell()) return error.Exit;
        const key = try treap.Key.of(ws, try treap.keyOf(ws, kind, node));
        item.* = .{ .node = node, .key = key, .rank = mug_mod.mugU64(key.mug), .order = @intCast(i) };
        x = ws.tail(x);
    }
    assert(x == Noun.zero);
}

/// `gas` of the list `list` into `~`.
pub fn gasEmpty(ws: *Workspace, comptime kind: Kind, list: Noun) JetError!Noun {
    const n = try common.listLength(ws, list);
    if (n == 0) return Noun.zero;
    if (n > std.math.maxInt(u32)) return error.Punt;
    try common.needCells(ws, 2 * n);
    const count: usize = @intCast(n);
    const items = ws.gpa.alloc(Item, count) catch return error.Meme;
    defer ws.gpa.free(items);
    const spine = ws.gpa.alloc(u32, count) catch return error.Meme;
    defer ws.gpa.free(spine);
    try collect(ws, kind, list, items);
    std.sort.pdq(Item, items, {}, mugBefore);
    try sortRuns(ws, items);
    const kept = try dedupe(ws, items);
    return cartesian(ws, items[0..kept], spine);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "by/in: gas into ~ builds the tree of put after put" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0x6761);
    const random = prng.random();
    for ([_]usize{ 1, 2, 3, 10, 100, 700 }) |n| {
        for ([_]u32{ 8, 16, 70 }) |bits| {
            // Items [k v]: keys with repeats (small bits), some big; values vary.
            var list = Noun.zero;
            for (0..n) |_| {
                const k = try t.randomAtom(&ws, random, bits);
                const v = Noun.direct(random.int(u8) % 3);
                const node = if (random.int(u8) % 7 == 0) try ws.cell(k, k) else k;
                list = try ws.cell(try ws.cell(node, v), list);
            }
            var one_by_one = Noun.zero;
            var x = list;
            while (x.isCell()) : (x = ws.tail(x)) {
                const item = ws.head(x);
                one_by_one = try treap.put(&ws, .map, one_by_one, ws.head(item), ws.tail(item));
            }
            try t.expectNoun(&ws, one_by_one, try gasEmpty(&ws, .map, list));
            var set_one_by_one = Noun.zero;
            x = list;
            while (x.isCell()) : (x = ws.tail(x)) {
                set_one_by_one = try treap.put(&ws, .set, set_one_by_one, ws.head(x), Noun.zero);
            }
            try t.expectNoun(&ws, set_one_by_one, try gasEmpty(&ws, .set, list));
        }
    }
    try testing.expectEqual(Noun.zero, try gasEmpty(&ws, .map, Noun.zero));
    try testing.expectError(error.Exit, gasEmpty(&ws, .map, try t.parse(&ws, "[5 0]")));
    try testing.expectError(error.Exit, gasEmpty(&ws, .set, try t.parse(&ws, "[5 6]")));
}
