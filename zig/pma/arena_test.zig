//! Tests of opening, committing and reading a PMA (arena.zig, commit.zig, mapping.zig).

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
const expectFails = kit.expectFails;
const commitChain = kit.commitChain;
const expectRootIsChain = kit.expectRootIsChain;

const testing = std.testing;

test "pma: commit, reopen, read the root in place" {
    var dir = try TestDir.init("basic");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{});
        defer p.close();
        p.attach(&ws);
        try testing.expectEqual(@as(u64, 0), p.eventNumber());
        try testing.expectEqual(Noun.zero, p.root());
        try commitChain(p, &ws, 1, 5);
        try testing.expect(p.root().inPma());
        try expectRootIsChain(p, &ws, 5);
    }
    ws.collect();
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    try testing.expect(p.root().inPma());
    try expectRootIsChain(p, &ws, 5);
    try testing.expectEqual(hashOf(5), p.kernelHash());
    // A commit of a root that is already in the PMA appends nothing.
    _ = try p.commit(&ws, p.root(), 6, &hashOf(6));
    try testing.expectEqual(@as(u64, 0), p.stats().appended_bytes_last_commit);
    // Mug caching writes into committed headers; the slab stays valid (mugs are masked).
    const before = try p.verify();
    _ = try mug_mod.mug(&ws, p.root());
    try testing.expectEqual(before, try p.verify());
}

test "pma: a slab reopened at another address reads the same nouns" {
    var dir = try TestDir.init("position");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var old_base: usize = 0;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{});
        defer p.close();
        p.attach(&ws);
        try commitChain(p, &ws, 1, 20);
        old_base = p.base();
    }
    // Occupy the old address so the new reservation cannot land there.
    const blocker = try std.posix.mmap(@ptrFromInt(old_base), 1 << 20, std.posix.PROT.NONE, .{
        .TYPE = .PRIVATE,
        .ANONYMOUS = true,
        .FIXED_NOREPLACE = true,
    }, -1, 0);
    defer std.posix.munmap(blocker);
    const p = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    try testing.expect(p.base() != old_base);
    try expectRootIsChain(p, &ws, 20);
}

test "pma: a one-leaf change appends only its spine" {
    var dir = try TestDir.init("sharing");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 512 << 20);
    defer ws.deinit();
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    const depth: u5 = 20; // 2^20 leaves + 2^20 - 1 cells: about two million nodes.
    const tree = try buildTree(&ws, testing.allocator, depth, 7);
    const committed = try p.commit(&ws, tree, 1, &hashOf(1));
    ws.collect();
    const index: u64 = 0xabcde;
    const new_leaf = try ws.atomFromLimbs(&.{ 1, 2 });
    const changed = try replaceLeaf(&ws, committed, depth, index, new_leaf);
    _ = try p.commit(&ws, changed, 2, &hashOf(2));
    const spine_bytes: u64 = @as(u64, depth) * 3 * 8 + 3 * 8;
    const appended = p.stats().appended_bytes_last_commit;
    try testing.expect(appended <= 2 * spine_bytes);
    try testing.expectEqual(spine_bytes, appended);
    const fresh = try buildTree(&ws, testing.allocator, depth, 7);
    const expected = try replaceLeaf(&ws, fresh, depth, index, try ws.atomFromLimbs(&.{ 1, 2 }));
    try testing.expect(try equality.equal(&ws, p.root(), expected));
}

test "pma: growth from 1 MiB to over 1 GiB keeps old nouns in place" {
    var dir = try TestDir.init("growth");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 256 << 20);
    defer ws.deinit();
    const limbs_per_step: usize = (64 << 20) / 8;
    const steps: u64 = 17;
    {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .initial_bytes = 1 << 20 });
        defer p.close();
        p.attach(&ws);
        try testing.expectEqual(@as(u64, 1 << 20), p.stats().capacity_bytes);
        var first_addr: usize = 0;
        const base = p.base();
        for (0..steps) |i| {
            const limbs = try ws.startAtom(limbs_per_step);
            limbs[0] = i + 1;
            limbs[limbs.len - 1] = 0xfeed_0000 + i;
            const atom = ws.finishAtom(limbs);
            _ = try p.commit(&ws, try ws.cell(atom, p.root()), i + 1, &hashOf(i + 1));
            ws.collect(); // The workspace copies are garbage now.
            if (i == 0) first_addr = @intFromPtr(ws.words(ws.head(p.root())));
            // The first atom never moves and never changes.
            var n = p.root();
            while (ws.tail(n) != Noun.zero) n = ws.tail(n);
            try testing.expectEqual(first_addr, @intFromPtr(ws.words(ws.head(n))));
            try testing.expectEqual(@as(u64, 1), ws.words(ws.head(n))[1]);
        }
        try testing.expectEqual(base, p.base());
        const st = p.stats();
        try testing.expect(st.capacity_bytes >= 1 << 30);
        try testing.expect(st.used_bytes >= 1 << 30);
        try testing.expect(st.growth_count >= 5); // Doubling: 1 MiB, then 65, 130, ... 2080 MiB.
    }
    const p = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    var n = p.root();
    var i: u64 = steps;
    while (n != Noun.zero) : (n = ws.tail(n)) {
        i -= 1;
        const w = ws.words(ws.head(n));
        try testing.expectEqual(i + 1, w[1]);
        try testing.expectEqual(0xfeed_0000 + i, w[limbs_per_step]);
    }
    try testing.expectEqual(@as(u64, 0), i);
}

test "pma: misuse gives named errors" {
    var dir = try TestDir.init("misuse");
    defer dir.deinit();
    var other_dir = try TestDir.init("misuse-other");
    defer other_dir.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    try expectFails(error.NoSlab, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    try expectFails(error.NoSlab, Pma.open(testing.allocator, dir.path(), .{ .create = false }));
    try expectFails(error.BadOptions, Pma.open(testing.allocator, dir.path(), .{ .initial_bytes = 1000 }));
    const p = try Pma.open(testing.allocator, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    try expectFails(error.Locked, Pma.open(testing.allocator, dir.path(), .{}));
    try commitChain(p, &ws, 1, 3);
    try testing.expectError(error.EventOrder, p.commit(&ws, Noun.one, 2, &hashOf(2)));
    const other = try Pma.open(testing.allocator, other_dir.path(), .{});
    defer other.close();
    const foreign = Noun.pmaRef(Noun.tag_cell, p.stats().used_bytes / 8 - 3);
    try testing.expectError(error.ForeignNoun, other.commit(&ws, try ws.cell(Noun.one, foreign), 1, &hashOf(1)));
    try testing.expect(std.mem.indexOf(u8, other.message(), "has not committed") != null);
    var ws_root = [_]Noun{try ws.cell(Noun.one, Noun.one)};
    try testing.expectError(error.ForeignNoun, p.gc(&ws_root));
    const r = try Pma.openReadOnly(testing.allocator, dir.path(), .{});
    defer r.close();
    try testing.expectError(error.ReadOnly, r.commit(&ws, Noun.one, 9, &hashOf(9)));
    try testing.expectError(error.ReadOnly, r.gc(&.{}));
}

test "pma: a symbolic link as the directory, a slab or the lock is refused and left alone" {
    var dir = try TestDir.init("symlink");
    defer dir.deinit();
    var elsewhere = try TestDir.init("symlink-elsewhere");
    defer elsewhere.deinit();
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    {
        const p = try Pma.open(testing.allocator, elsewhere.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        try commitChain(p, &ws, 1, 3);
        p.detach(&ws);
    }
    const cwd = std.fs.cwd();
    var d = try cwd.openDir(dir.path(), .{});
    defer d.close();
    var e = try cwd.openDir(elsewhere.path(), .{});
    defer e.close();
    const before = try e.statFile("0.pma");
    // The slab, a link to a real slab elsewhere: refused by writers and readers alike.
    var buf: [300]u8 = undefined;
    try d.symLink(try std.fmt.bufPrint(&buf, "{s}/0.pma", .{elsewhere.path()}), "0.pma", .{});
    var diag: pma_mod.Diagnostic = .{};
    try expectFails(error.Io, Pma.open(testing.allocator, dir.path(), .{ .create = false, .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "0.pma: it is a symbolic link") != null);
    try expectFails(error.Io, Pma.openReadOnly(testing.allocator, dir.path(), .{}));
    // The lock file, a dangling link: refused, and nothing is created where it points.
    try d.deleteFile("0.pma");
    d.deleteFile("lock") catch {}; // The writer's open above made it before it failed.
    try d.symLink(try std.fmt.bufPrint(&buf, "{s}/stolen.lock", .{elsewhere.path()}), "lock", .{});
    try expectFails(error.Io, Pma.open(testing.allocator, dir.path(), .{ .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "lock file: it is a symbolic link") != null);
    try testing.expectError(error.FileNotFound, e.access("stolen.lock", .{}));
    // The directory itself, a link: refused.
    try d.deleteFile("lock");
    try d.symLink(elsewhere.path(), "pma", .{});
    const linked = try std.fmt.bufPrint(&buf, "{s}/pma", .{dir.path()});
    try expectFails(error.Io, Pma.open(testing.allocator, linked, .{ .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "it is a symbolic link") != null);
    const after = try e.statFile("0.pma");
    try testing.expectEqual(before.mtime, after.mtime);
    try testing.expectEqual(before.size, after.size);
}

test "pma: a new slab directory and its files are private (0700, 0600)" {
    var dir = try TestDir.init("modes");
    defer dir.deinit();
    var buf: [300]u8 = undefined;
    const sub = try std.fmt.bufPrint(&buf, "{s}/pma", .{dir.path()});
    const p = try Pma.open(testing.allocator, sub, .{});
    p.close();
    var d = try std.fs.cwd().openDir(sub, .{ .iterate = true });
    defer d.close();
    try testing.expectEqual(@as(u32, 0), @as(u32, @intCast((try std.posix.fstat(d.fd)).mode)) & 0o077);
    var it = d.iterate();
    var files: u32 = 0;
    while (try it.next()) |entry| : (files += 1) {
        try testing.expectEqual(@as(u32, 0), @as(u32, @intCast((try d.statFile(entry.name)).mode)) & 0o077);
    }
    try testing.expect(files >= 2);
}
