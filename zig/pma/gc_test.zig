//! Tests of the PMA's copy-compaction (gc.zig) on real slab files.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const mug_mod = @import("../mug.zig");
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const buildTree = kit.buildTree;
const replaceLeaf = kit.replaceLeaf;
const hashOf = kit.hashOf;
const distinctBytes = kit.distinctBytes;

const testing = std.testing;

test "pma: a subtree reached by 1000 paths is stored once, before and after GC" {
    var dir = try TestDir.init("dag");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    const shared = try buildTree(&ws, testing.allocator, 10, 3);
    const shared_bytes = try distinctBytes(&ws, testing.allocator, shared);
    var list = Noun.zero;
    for (0..1000) |_| list = try ws.cell(shared, list);
    _ = try p.commit(&ws, list, 1, &hashOf(1));
    const expected_bytes = shared_bytes + 1000 * 24;
    try testing.expectEqual(expected_bytes, p.stats().appended_bytes_last_commit);
    // Commit states that add garbage around it, then collect: the DAG keeps its one copy.
    const dag = p.root();
    _ = try p.commit(&ws, try ws.cell(dag, try buildTree(&ws, testing.allocator, 8, 9)), 2, &hashOf(2));
    _ = try p.commit(&ws, try ws.cell(dag, try ws.cell(Noun.one, try buildTree(&ws, testing.allocator, 8, 10))), 3, &hashOf(3));
    _ = try p.commit(&ws, dag, 4, &hashOf(4));
    try testing.expect(p.stats().used_bytes - pma_mod.header_bytes > expected_bytes + 2 * 256 * 24);
    _ = try p.gc(&.{});
    // The live objects, then the extent record that covers them.
    const record_bytes = pma_mod.gcRecordBytes(expected_bytes, true);
    try testing.expectEqual(@as(u64, 144), record_bytes); // 13 pages: 48 + 13 * 8 bytes.
    try testing.expectEqual(expected_bytes + record_bytes, p.stats().used_bytes - pma_mod.header_bytes);
    try testing.expectEqual(expected_bytes, p.stats().live_bytes_after_gc);
    var n = ws.tail(p.root());
    const first = ws.head(p.root());
    for (0..999) |_| {
        try testing.expectEqual(first, ws.head(n));
        n = ws.tail(n);
    }
    try testing.expect(try equality.equal(&ws, first, try buildTree(&ws, testing.allocator, 10, 3)));
}

/// The GC test's state: a table (balanced tree of depth 6) of 64 entries, each a small tree.
fn tableState(ws: *Workspace, entries: []const u64) !Noun {
    var level: [64]Noun = undefined;
    for (&level, entries) |*l, seed| l.* = try ws.cell(Noun.direct(seed), try buildTree(ws, testing.allocator, 4, seed));
    var width: usize = 64;
    while (width > 1) : (width /= 2) {
        for (0..width / 2) |i| level[i] = try ws.cell(level[2 * i], level[2 * i + 1]);
    }
    return level[0];
}

fn mugUncached(ws: *Workspace, n: Noun) !u32 {
    // Read-only view: mugs are computed, not taken from (or written to) PMA headers.
    const writable = ws.pma_writable;
    ws.pma_writable = false;
    defer ws.pma_writable = writable;
    var w = mug_mod.Walker.init(ws);
    defer w.deinit();
    return w.mug(n);
}

test "pma: GC after 1000 commits compacts to the live size, keeping mugs" {
    var dir = try TestDir.init("gc");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    var entries: [64]u64 = undefined;
    for (&entries, 0..) |*e, i| e.* = i;
    _ = try p.commit(&ws, try tableState(&ws, &entries), 1, &hashOf(1));
    var prng = std.Random.DefaultPrng.init(42);
    for (2..1002) |e| {
        const slot = prng.random().uintLessThan(u64, 64);
        entries[slot] = 1000 + e;
        const entry = try ws.cell(Noun.direct(entries[slot]), try buildTree(&ws, testing.allocator, 4, entries[slot]));
        _ = try p.commit(&ws, try replaceLeaf(&ws, p.root(), 6, slot, entry), e, &hashOf(e));
        if (ws.wantsCollect()) ws.collect();
    }
    const mug_before = try mugUncached(&ws, p.root());
    const used_before = p.stats().used_bytes;
    // The live size, measured independently: distinct objects reachable from the root.
    const live_bytes = try distinctBytes(&ws, testing.allocator, p.root());
    const result = try p.gc(&.{});
    try testing.expectEqual(used_before, result.used_bytes_before);
    const st = p.stats();
    try testing.expect(used_before > 10 * st.used_bytes);
    try testing.expect(st.used_bytes - pma_mod.header_bytes <= live_bytes * 11 / 10);
    try testing.expect(st.capacity_bytes <= live_bytes * 11 / 10 + pma_mod.header_bytes + (64 << 10));
    try testing.expectEqual(live_bytes, st.live_bytes_after_gc);
    try testing.expectEqual(mug_before, try mugUncached(&ws, p.root()));
    try testing.expect(try equality.equal(&ws, p.root(), try tableState(&ws, &entries)));
    try testing.expectEqual(@as(u64, 1), st.generation);
    try testing.expectEqual(@as(u32, 1), st.file_id);
    // Keep committing and collecting: files alternate, the state survives a reopen.
    _ = try p.commit(&ws, try ws.cell(Noun.direct(5), p.root()), 1002, &hashOf(1002));
    _ = try p.gc(&.{});
    try testing.expectEqual(@as(u32, 0), p.stats().file_id);
    const q = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
    defer q.close();
    try testing.expectEqual(@as(u64, 1002), q.eventNumber());
    try testing.expectEqual(p.root(), q.root());
    try testing.expectEqual(try p.verify(), try q.verify());
}

test "pma: a million-deep noun commits, collects and reopens without recursion" {
    var dir = try TestDir.init("deep");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 128 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    var n = Noun.zero;
    for (0..1_000_000) |i| n = try ws.cell(n, Noun.direct(i));
    _ = try p.commit(&ws, n, 1, &hashOf(1));
    var roots = [_]Noun{ws.head(p.root())};
    _ = try p.gc(&roots);
    try testing.expectEqual(ws.head(p.root()), roots[0]);
    var depth: usize = 0;
    var x = p.root();
    while (x.isCell()) : (depth += 1) x = ws.head(x);
    try testing.expectEqual(@as(usize, 1_000_000), depth);
}
