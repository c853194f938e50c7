//! Failures injected at each PMA tripwire (in-process, `.fail`): a failed commit or GC
//! rolls back or poisons the handle, and reopening recovers the last durable commit.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Header = noun_mod.Header;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const tripwire = @import("../tripwire.zig");
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const chainEntry = kit.chainEntry;
const hashOf = kit.hashOf;
const commitChain = kit.commitChain;
const big_entry_limbs = kit.big_entry_limbs;

const testing = std.testing;

const P = tripwire.Point;

test "pma: a failed growth rolls back, and the handle keeps working" {
    var ws = try Workspace.init(testing.allocator, 128 << 20);
    defer ws.deinit();
    defer tripwire.disarm();
    // Each point in a fresh directory, so the big commit is sure to grow the file.
    for ([_]P{ .pma_grow_after_ftruncate, .pma_grow_after_mmap }) |point| {
        var gdir = try TestDir.init("tripwire-grow");
        defer gdir.deinit();
        const p = try Pma.open(testing.allocator, gdir.path(), .{ .initial_bytes = 1 << 20, .sidecar = .off });
        p.attach(&ws);
        try commitChain(p, &ws, 1, 2);
        const state = try ws.cell(try chainEntry(&ws, testing.allocator, 3, true), p.root());
        tripwire.arm(point, .fail);
        try testing.expectError(error.Tripwire, p.commit(&ws, state, 3, &hashOf(3)));
        tripwire.disarm();
        try testing.expect(try equality.equal(&ws, ws.head(state), try chainEntry(&ws, testing.allocator, 3, true)));
        _ = try p.commit(&ws, state, 3, &hashOf(3)); // The handle is still usable.
        p.close();
        ws.collect();
        const q = try Pma.open(testing.allocator, gdir.path(), .{ .sidecar = .off });
        q.attach(&ws);
        try testing.expectEqual(@as(u64, 3), q.eventNumber());
        try testing.expectEqual(@as(u64, big_entry_limbs), Header.limbs(ws.words(ws.tail(ws.head(q.root())))[0]));
        q.close();
    }
}

/// Fail a commit at each commit point in `dir`, reopen, commit one more; returns the
/// event number the directory holds afterwards.
fn failEachCommit(dir: *const TestDir, ws: *Workspace) !u64 {
    var event: u64 = 0;
    const cases = [_]struct { point: P, durable: bool, big: bool }{
        .{ .point = .pma_commit_after_copy, .durable = false, .big = false },
        .{ .point = .pma_commit_before_slot, .durable = false, .big = false },
        .{ .point = .pma_commit_after_slot, .durable = true, .big = false },
        .{ .point = .pma_commit_after_sync, .durable = true, .big = false },
        .{ .point = .pma_commit_before_seal, .durable = true, .big = true },
    };
    for (cases) |case| {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .initial_bytes = 1 << 20, .sidecar = .off });
        p.attach(ws);
        const entry = try chainEntry(ws, testing.allocator, event + 1, case.big);
        const state = try ws.cell(entry, p.root());
        tripwire.arm(case.point, .fail);
        try testing.expectError(error.Tripwire, p.commit(ws, state, event + 1, &hashOf(event + 1)));
        tripwire.disarm();
        // The workspace copy is intact (no forwarding words left behind).
        try testing.expect(try equality.equal(ws, ws.head(state), try chainEntry(ws, testing.allocator, event + 1, case.big)));
        if (case.durable) {
            if (case.point != .pma_commit_before_seal)
                try testing.expectError(error.Poisoned, p.commit(ws, state, event + 1, &hashOf(event + 1)));
            event += 1;
        } else {
            try testing.expectEqual(event, p.eventNumber());
        }
        p.close();
        ws.collect();
        const q = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        q.attach(ws);
        try testing.expectEqual(event, q.eventNumber());
        event += 1;
        _ = try q.commit(ws, try ws.cell(try chainEntry(ws, testing.allocator, event, false), q.root()), event, &hashOf(event));
        q.close();
        ws.collect();
    }
    return event;
}

test "pma: a failed commit rolls back or poisons, and reopening recovers" {
    var dir = try TestDir.init("tripwire");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 128 << 20);
    defer ws.deinit();
    defer tripwire.disarm();
    try testing.expectEqual(@as(u64, 8), try failEachCommit(&dir, &ws));
}

test "pma: a failed GC keeps the old slab or poisons, and reopening recovers" {
    var dir = try TestDir.init("tripwire-gc");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 128 << 20);
    defer ws.deinit();
    defer tripwire.disarm();
    // The state the commit failures leave (with big entries, so a GC is followed by a seal).
    const event = try failEachCommit(&dir, &ws);
    const gc_cases = [_]struct { point: P, poisons: bool }{
        .{ .point = .pma_gc_after_create, .poisons = false },
        .{ .point = .pma_gc_after_copy, .poisons = false },
        .{ .point = .pma_gc_before_slot, .poisons = false },
        .{ .point = .pma_gc_after_sync, .poisons = false },
        .{ .point = .pma_gc_after_rename, .poisons = true },
        .{ .point = .pma_gc_before_sidecar, .poisons = false },
        .{ .point = .pma_sidecar_after_temp, .poisons = false },
    };
    for (gc_cases) |case| {
        const p = try Pma.open(testing.allocator, dir.path(), .{});
        p.attach(&ws);
        const seq = p.commitSeq();
        tripwire.arm(case.point, .fail);
        try testing.expectError(error.Tripwire, p.gc(&.{}));
        tripwire.disarm();
        if (case.poisons) {
            try testing.expectError(error.Poisoned, p.gc(&.{}));
        } else {
            _ = try p.gc(&.{});
            try testing.expect(p.commitSeq() > seq);
        }
        p.close();
        const q = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        q.attach(&ws);
        try testing.expectEqual(event, q.eventNumber());
        q.close();
    }
}

test "pma: a fault record that fails to be written still stops the writer" {
    var dir = try TestDir.init("tripwire-fault");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    defer tripwire.disarm();
    var rotten: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        _ = try p.commit(&ws, try kit.buildTree(&ws, testing.allocator, 11, 1), 1, &hashOf(1));
        rotten = p.last.coverage().last_record.?.toBytes() - 8 + 2; // Event 1's last word.
        try commitChain(p, &ws, 2, 3);
    }
    try kit.flipByte(dir.path(), "0.pma", rotten);
    var d = try std.fs.cwd().openDir(dir.path(), .{});
    defer d.close();
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        tripwire.arm(.pma_fault_after_temp, .fail);
        try testing.expectEqual(@as(u64, 1), p.checkAll().faults);
        tripwire.disarm();
        try testing.expectError(error.FileNotFound, d.access(pma_mod.fault_marker_name, .{}));
        try testing.expectError(error.DataChecksum, p.commit(&ws, p.root(), 4, &hashOf(4)));
    }
    {
        // Not recorded, so the next writer opens, and its own check records it.
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        try testing.expectEqual(@as(u64, 1), p.checkAll().faults);
    }
    try d.access(pma_mod.fault_marker_name, .{});
    try kit.expectFails(error.DataChecksum, Pma.open(testing.allocator, dir.path(), .{}));
}
