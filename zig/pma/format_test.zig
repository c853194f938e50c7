//! Tests of the checks of the on-disk format (format.zig) against damaged slab files:
//! each damage falls back to the previous commit or gives its named error.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Workspace = @import("../workspace.zig").Workspace;
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const flipByte = kit.flipByte;
const resourceCount = kit.resourceCount;
const truncate = kit.truncate;
const readSlotAt = kit.readSlotAt;
const writeSlotAt = kit.writeSlotAt;
const expectFails = kit.expectFails;
const commitChain = kit.commitChain;
const expectRootIsChain = kit.expectRootIsChain;

const testing = std.testing;

test "pma: corrupt meta slots fall back or give their named errors" {
    var dir = try TestDir.init("corrupt-meta");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var newest: u1 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try commitChain(p, &ws, 1, 4);
        newest = @intCast(p.last.slot_index);
    }
    const older: u1 = @intCast(1 - newest);
    try flipByte(dir.path(), "0.pma", @as(u64, newest) * 4096 + 40);
    {
        const p = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        defer p.close();
        p.attach(&ws);
        try expectRootIsChain(p, &ws, 3);
        try testing.expectEqual(@as(usize, 1), p.report.rejected().len);
        try testing.expectEqual(error.MetaChecksum, p.report.rejected()[0].reason);
    }
    var diag: pma_mod.Diagnostic = .{};
    try expectFails(error.MetaChecksum, Pma.openReadOnly(testing.allocator, dir.path(), .{ .strict = true, .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "MetaChecksum") != null);
    try flipByte(dir.path(), "0.pma", @as(u64, older) * 4096 + 100);
    try expectFails(error.MetaChecksum, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    // Bad magic in both slots.
    try flipByte(dir.path(), "0.pma", @as(u64, newest) * 4096 + 40);
    try flipByte(dir.path(), "0.pma", @as(u64, older) * 4096 + 100);
    try flipByte(dir.path(), "0.pma", 0);
    try flipByte(dir.path(), "0.pma", 4096);
    try expectFails(error.BadMagic, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    try flipByte(dir.path(), "0.pma", 0);
    try flipByte(dir.path(), "0.pma", 4096);
    // A well-formed slot whose root lies beyond the used bytes.
    for ([2]u1{ 0, 1 }) |i| {
        var s = try readSlotAt(dir.path(), "0.pma", i);
        s.root = Noun.pmaRef(Noun.tag_cell, s.used_bytes / 8 + 100).raw();
        s.seal();
        try writeSlotAt(dir.path(), "0.pma", i, &s);
    }
    try expectFails(error.OffsetOutOfRange, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    try expectFails(error.OffsetOutOfRange, Pma.open(testing.allocator, dir.path(), .{}));
}

test "pma: torn data, truncation and sidecar problems give their named errors" {
    var dir = try TestDir.init("corrupt-data");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var used: u64 = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{});
        defer p.close();
        p.attach(&ws);
        try commitChain(p, &ws, 1, 4);
        used = p.stats().used_bytes;
    }
    const resources = try resourceCount();
    try testing.expectEqual(@as(u64, 4), (try pma_mod.readSidecar(dir.path(), null)).event_number);
    // A byte of the newest commit's appended data: that commit is torn.
    try flipByte(dir.path(), "0.pma", used - 16);
    try expectFails(error.AppendedChecksum, Pma.open(testing.allocator, dir.path(), .{ .strict = true }));
    // Not strict: the previous commit would win, but the sidecar records commit 4.
    try expectFails(error.SidecarMismatch, Pma.open(testing.allocator, dir.path(), .{}));
    {
        var d = try std.fs.cwd().openDir(dir.path(), .{});
        defer d.close();
        try d.deleteFile(pma_mod.sidecar_name);
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try expectRootIsChain(p, &ws, 3);
        try testing.expectEqual(error.AppendedChecksum, p.report.rejected()[0].reason);
    }
    try flipByte(dir.path(), "0.pma", used - 16);
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{});
        defer p.close(); // Writes the sidecar again.
        try testing.expectEqual(@as(u64, 4), p.eventNumber());
    }
    // Sidecar corruption: reported, fatal only when strict.
    try flipByte(dir.path(), pma_mod.sidecar_name, 30);
    try testing.expectError(error.SidecarChecksum, pma_mod.readSidecar(dir.path(), null));
    try expectFails(error.SidecarChecksum, Pma.openReadOnly(testing.allocator, dir.path(), .{ .strict = true }));
    {
        const p = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        defer p.close();
        try testing.expectEqual(.invalid, p.report.sidecar);
    }
    // Truncation below the newest commit's used size: that commit is lost, the previous
    // one wins (strict: refused); truncation below every commit: refused.
    try truncate(dir.path(), "0.pma", used - 100);
    {
        const p = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
        defer p.close();
        try testing.expectEqual(@as(u64, 3), p.eventNumber());
        try testing.expectEqual(error.SlabTruncated, p.report.rejected()[0].reason);
    }
    try expectFails(error.SlabTruncated, Pma.openReadOnly(testing.allocator, dir.path(), .{ .strict = true }));
    try truncate(dir.path(), "0.pma", pma_mod.header_bytes + 8);
    try expectFails(error.SlabTruncated, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    // Failed opens leave no descriptor or mapping behind.
    try testing.expectEqual(resources, try resourceCount());
}
