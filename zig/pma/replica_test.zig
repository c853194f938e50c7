//! Tests of read-only replicas (replica.zig) following a writer, also from another thread.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Workspace = @import("../workspace.zig").Workspace;
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const tripwire = @import("../tripwire.zig");
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const chainEntry = kit.chainEntry;
const hashOf = kit.hashOf;
const commitChain = kit.commitChain;
const expectRootIsChain = kit.expectRootIsChain;

const testing = std.testing;

test "pma: a replica sees only committed roots and follows the writer" {
    var dir = try TestDir.init("replica");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var rws = try Workspace.init(testing.allocator, 16 << 20);
    defer rws.deinit();
    defer tripwire.disarm();
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    p.attach(&ws);
    try commitChain(p, &ws, 1, 3);
    const r = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
    defer r.close();
    r.attach(&rws);
    try expectRootIsChain(r, &rws, 3);
    try commitChain(p, &ws, 4, 6);
    try expectRootIsChain(r, &rws, 3);
    try testing.expectEqual(pma_mod.Refresh.advanced, try r.refresh());
    try expectRootIsChain(r, &rws, 6);
    // A commit whose slot is written but not yet synced is invisible to the replica.
    tripwire.arm(.pma_commit_after_slot, .fail);
    const s7 = try ws.cell(try chainEntry(&ws, testing.allocator, 7, false), p.root());
    try testing.expectError(error.Tripwire, p.commit(&ws, s7, 7, &hashOf(7)));
    tripwire.disarm();
    try testing.expectEqual(pma_mod.Refresh.unchanged, try r.refresh());
    try expectRootIsChain(r, &rws, 6);
    // The writer reopens (its unsynced commit 7 survives in the page cache) and collects.
    p.close();
    const w = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    w.attach(&ws);
    try testing.expectEqual(@as(u64, 7), w.eventNumber());
    _ = try w.gc(&.{});
    try testing.expectEqual(pma_mod.Refresh.switched, try r.refresh());
    try expectRootIsChain(r, &rws, 7);
    // Concurrent: a writer thread commits while the replica keeps refreshing.
    const Writer = struct {
        fn run(pma: *Pma, wws: *Workspace, from: u64, to: u64) void {
            commitChain(pma, wws, from, to) catch unreachable;
        }
    };
    const thread = try std.Thread.spawn(.{}, Writer.run, .{ w, &ws, 8, 60 });
    var seen: u64 = 7;
    while (seen < 60) {
        _ = try r.refresh();
        const e = r.eventNumber();
        try testing.expect(e >= seen);
        seen = e;
        // Every root seen is the complete committed state of its event.
        var n = r.root();
        var j = e;
        while (j > 0) : (j -= 1) {
            try testing.expectEqual(Noun.direct(j), rws.head(rws.head(n)));
            n = rws.tail(n);
        }
        try testing.expectEqual(Noun.zero, n);
    }
    thread.join();
    w.close();
}
