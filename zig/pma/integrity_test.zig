//! Tests of the data checksums (integrity.zig, scrub.zig, mug_check.zig) on real slab
//! files: rot in old data is found by verify and the scrub, with its page; a writer that
//! finds it stops committing and the directory is refused from then on; GC covers what it
//! copies; format 1 slabs and commits without checksums read as unverified.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("../workspace.zig").Workspace;
const mug_mod = @import("../mug.zig");
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const SlabOffset = pma_mod.SlabOffset;
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const hashOf = kit.hashOf;
const commitChain = kit.commitChain;
const expectFails = kit.expectFails;

const testing = std.testing;

/// Commit events from..to, each a fresh 2^depth-leaf tree consed onto the committed root.
fn commitTrees(p: *Pma, ws: *Workspace, from: u64, to: u64, depth: u5) !void {
    var e = from;
    while (e <= to) : (e += 1) {
        const state = try ws.cell(try kit.buildTree(ws, testing.allocator, depth, e), p.root());
        _ = try p.commit(ws, state, e, &hashOf(e));
        if (ws.wantsCollect()) ws.collect();
    }
}

fn expectClean(progress: pma_mod.ScrubProgress) !void {
    try testing.expectEqual(@as(u64, 0), progress.faults);
    try testing.expect(progress.pass_done);
    try testing.expectEqual(progress.total_bytes, progress.checked_bytes);
}

fn expectMessageHas(p: *const Pma, comptime fmt: []const u8, args: anytype) !void {
    var buf: [128]u8 = undefined;
    const part = try std.fmt.bufPrint(&buf, fmt, args);
    if (std.mem.indexOf(u8, p.message(), part) == null) {
        std.debug.print("message: {s}\nwanted: {s}\n", .{ p.message(), part });
        return error.TestUnexpectedResult;
    }
}

fn markerExists(dir: []const u8) !bool {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    d.access(pma_mod.fault_marker_name, .{}) catch return false;
    return true;
}

test "integrity: a flipped byte in old data is found by verify and the scrub, with its page" {
    var dir = try TestDir.init("rot");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var rotten: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try commitTrees(p, &ws, 1, 1, 4);
        // The last word of event 1's data: a limb or a tail, never a header (mug bits).
        rotten = p.stats().used_bytes - 8 + 1;
        try commitTrees(p, &ws, 2, 300, 4);
        const clean = p.checkAll();
        try expectClean(clean);
        try testing.expectEqual(p.stats().used_bytes - pma_mod.header_bytes, clean.total_bytes);
        try testing.expectEqual(@as(u64, 0), clean.unverified_bytes);
    }
    try kit.flipByte(dir.path(), "0.pma", rotten);
    {
        // A replica opens (open reads only the newest extents); a full check finds the page.
        const r = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        defer r.close();
        try testing.expectEqual(@as(u64, 300), r.eventNumber());
        const found = r.checkAll();
        try testing.expectEqual(@as(u64, 1), found.faults);
        try testing.expectEqual(pma_mod.FaultKind.page, found.first_fault.?.kind);
        try testing.expectEqual(rotten / pma_mod.page_bytes, found.first_fault.?.page());
        try testing.expectError(error.DataChecksum, r.verify());
        try expectMessageHas(r, "0.pma at byte", .{});
        try expectMessageHas(r, "(page {d},", .{rotten / pma_mod.page_bytes});
        // The scrub, a few KiB per step, finds it too.
        var progress = r.scrubStep(4096);
        var steps: u64 = 1;
        while (!progress.pass_done) : (steps += 1) progress = r.scrubStep(4096);
        try testing.expect(steps > progress.total_bytes / (3 * 4096));
        try testing.expectEqual(@as(u64, 1), progress.faults);
        try testing.expectEqual(rotten / pma_mod.page_bytes, progress.first_fault.?.page());
    }
    try testing.expect(!try markerExists(dir.path())); // Replicas record nothing.
    {
        // A writer's scrub finds it: no more commits, and the fault is recorded.
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        var progress = p.scrubStep(1 << 20);
        while (!progress.pass_done) progress = p.scrubStep(1 << 20);
        try testing.expect(progress.first_fault != null);
        try testing.expectError(error.DataChecksum, p.commit(&ws, Noun.one, 301, &hashOf(301)));
        try testing.expectError(error.DataChecksum, p.gc(&.{}));
        try testing.expect(try markerExists(dir.path()));
    }
    var diag: pma_mod.Diagnostic = .{};
    try expectFails(error.DataChecksum, Pma.open(testing.allocator, dir.path(), .{ .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "pma.fault") != null);
    try expectFails(error.DataChecksum, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
}

test "integrity: GC covers the data it copies, refuses rotten data, and torn commits still fall back" {
    var dir = try TestDir.init("rot-gc");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var rotten: u64 = 0;
    var torn: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try commitTrees(p, &ws, 1, 200, 4);
        _ = try p.gc(&.{});
        try testing.expectEqual(@as(u32, 1), p.stats().file_id);
        try expectClean(p.checkAll());
        // Past the GC record: the first live objects, at the start of the data.
        rotten = pma_mod.header_bytes + 16 + 2;
        try commitTrees(p, &ws, 201, 260, 4);
        // A big commit closes its extent with a record of its own.
        try commitTrees(p, &ws, 261, 261, 11);
        torn = p.stats().used_bytes - 8 - 3; // Inside that record (the newest commit's data).
        try expectClean(p.checkAll());
    }
    try kit.flipByte(dir.path(), "1.pma", torn);
    {
        // Torn or rotten, the newest commit's own bytes fail its appended checksum: the
        // previous commit wins, as before.
        const r = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        defer r.close();
        try testing.expectEqual(@as(u64, 260), r.eventNumber());
        try testing.expectEqual(error.AppendedChecksum, r.report.rejected()[0].reason);
        try expectClean(r.checkAll());
    }
    try kit.flipByte(dir.path(), "1.pma", torn);
    try kit.flipByte(dir.path(), "1.pma", rotten);
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    defer p.close();
    p.attach(&ws);
    try testing.expectEqual(@as(u64, 261), p.eventNumber());
    try testing.expectError(error.DataChecksum, p.gc(&.{}));
    try expectMessageHas(p, "1.pma at byte {d}", .{rotten - rotten % pma_mod.page_bytes});
    try testing.expectEqual(@as(u32, 1), p.stats().file_id); // Nothing was copied.
}

test "integrity: rot in the open extent or the last record is found at open" {
    var dir = try TestDir.init("rot-open");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var in_open: u64 = 0;
    var in_record: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try commitTrees(p, &ws, 1, 1, 11); // Closed by a record.
        const c = p.last.coverage();
        in_record = c.last_record.?.toBytes() + 8 * 3 + 1; // Its previous-record limb.
        try commitChain(p, &ws, 2, 3);
        in_open = p.last.coverage().open_start.toBytes() + 8 + 2; // Event 2's data.
        try testing.expect(p.last.coverage().open_start == c.open_start);
    }
    try kit.flipByte(dir.path(), "0.pma", in_open);
    try expectFails(error.DataChecksum, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    try kit.flipByte(dir.path(), "0.pma", in_open);
    try kit.flipByte(dir.path(), "0.pma", in_record);
    try expectFails(error.DataChecksum, Pma.open(testing.allocator, dir.path(), .{}));
    try kit.flipByte(dir.path(), "0.pma", in_record);
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    try testing.expectEqual(@as(u64, 3), p.eventNumber());
}

test "integrity: the scrub keeps to its budget, restarts after a GC, and sees new commits next pass" {
    var dir = try TestDir.init("scrub");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    defer p.close();
    p.attach(&ws);
    try commitTrees(p, &ws, 1, 100, 6);
    const budget: u64 = 16 << 10;
    var progress = p.scrubStep(budget);
    var previous: u64 = 0;
    while (!progress.pass_done) {
        // At most the budget, plus one record or one page-sized object beyond it.
        try testing.expect(progress.checked_bytes - previous <= budget + 8 * pma_mod.page_bytes);
        previous = progress.checked_bytes;
        try commitTrees(p, &ws, 1000 + previous, 1000 + previous, 2); // Above the pass.
        progress = p.scrubStep(budget);
    }
    try expectClean(progress);
    try testing.expectEqual(@as(u64, 1), progress.passes);
    try testing.expect(progress.total_bytes < p.stats().used_bytes - pma_mod.header_bytes);
    // The next pass covers them; a GC in the middle of it starts it again on the new file.
    progress = p.scrubStep(budget);
    try testing.expect(!progress.pass_done);
    try testing.expectEqual(p.stats().used_bytes - pma_mod.header_bytes, progress.total_bytes);
    _ = try p.gc(&.{});
    progress = p.scrubStep(std.math.maxInt(u64));
    try expectClean(progress);
    try testing.expectEqual(@as(u64, 2), progress.passes);
    try testing.expectEqual(p.stats().used_bytes - pma_mod.header_bytes, progress.total_bytes);
}

test "integrity: format 1 slabs and commits without checksums read as unverified until a GC" {
    var dir = try TestDir.init("unverified");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var used: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off, .data_checksums = false });
        defer p.close();
        p.attach(&ws);
        try commitTrees(p, &ws, 1, 50, 6);
        used = p.stats().used_bytes;
        const progress = p.checkAll();
        try expectClean(progress);
        try testing.expectEqual(@as(u64, 0), progress.total_bytes);
        try testing.expectEqual(used - pma_mod.header_bytes, progress.unverified_bytes);
    }
    // Make both slots format 1 (their coverage fields zero), as an older library wrote them.
    for ([2]u1{ 0, 1 }) |i| {
        var s = try kit.readSlotAt(dir.path(), "0.pma", i);
        s.format_version = 1;
        s.checked_start_bytes = 0;
        s.open_start_bytes = 0;
        s.open_checksum = 0;
        s.last_record_bytes = 0;
        s.seal();
        try kit.writeSlotAt(dir.path(), "0.pma", i, &s);
    }
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    defer p.close();
    p.attach(&ws);
    try testing.expectEqual(@as(u32, 1), p.last.format_version);
    try testing.expectEqual(used - pma_mod.header_bytes, p.checkAll().unverified_bytes);
    try commitTrees(p, &ws, 51, 60, 6);
    try testing.expectEqual(pma_mod.format_version, p.last.format_version);
    const after = p.checkAll();
    try expectClean(after);
    try testing.expectEqual(used - pma_mod.header_bytes, after.unverified_bytes);
    try testing.expectEqual(p.stats().used_bytes - used, after.total_bytes);
    _ = try p.gc(&.{});
    const collected = p.checkAll();
    try expectClean(collected);
    try testing.expectEqual(@as(u64, 0), collected.unverified_bytes);
}

test "integrity: mugs recomputed without caches match, and a wrong cached mug is named" {
    var dir = try TestDir.init("mugs");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    defer p.close();
    p.attach(&ws);
    // A DAG: one subtree reached by 500 paths.
    const shared = try kit.buildTree(&ws, testing.allocator, 8, 3);
    var list = Noun.zero;
    for (0..500) |_| list = try ws.cell(shared, list);
    const root = try p.commit(&ws, list, 1, &hashOf(1));
    const fresh = try p.recomputeMug(root);
    try testing.expectEqual(@as(u64, 0), fresh.cached); // Nothing cached yet.
    try testing.expectEqual(@as(u64, 500 + 255 + 32), fresh.objects);
    const cached = try mug_mod.mug(&ws, root); // Caches mugs into the PMA's headers.
    try testing.expectEqual(cached, fresh.mug);
    const again = try p.recomputeMug(root);
    try testing.expectEqual(fresh.objects, again.cached);
    try testing.expectEqual(@as(u64, 0), again.wrong);
    // A flipped cached mug bit: the data checksums skip mug bits; the scrub's mug check
    // finds it, in the object and in each of the 500 cells whose check reads its cached
    // mug, and the recomputation names it.
    const inner = SlabOffset.of(ws.head(ws.tail(root)));
    p.map.words()[inner.words()] ^= 0x10;
    const scrubbed = p.checkAll();
    try testing.expectEqual(pma_mod.FaultKind.mug, scrubbed.first_fault.?.kind);
    try testing.expectEqual(@as(u64, 501), scrubbed.faults);
    const wrong = try p.recomputeMug(root);
    try testing.expectEqual(@as(u64, 1), wrong.wrong);
    try testing.expectEqual(inner, wrong.first_wrong.?);
    try testing.expectEqual(fresh.mug, wrong.mug);
    // A cell that refers to itself (no noun can): malformed, not a hang.
    const words = p.map.words();
    words[inner.words() + 1] = SlabOffset.of(ws.tail(root)).ref(Noun.tag_cell).raw();
    try testing.expectError(error.CorruptNoun, p.recomputeMug(root));
    // The page of the changed word fails its sum, first (its wrong mugs are that fault),
    // and the 492 list cells on the next page still see the wrong cached mug.
    const cyclic = p.checkAll();
    try testing.expectEqual(pma_mod.FaultKind.page, cyclic.first_fault.?.kind);
    try testing.expectEqual(inner.toBytes() / pma_mod.page_bytes, cyclic.first_fault.?.page());
    try testing.expectEqual(@as(u64, 1 + 492), cyclic.faults);
}
