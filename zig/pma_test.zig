//! Tests of the Persistent Memory Arena (pma.zig, pma_gc.zig), plus the deterministic state
//! builders that the crash driver (pma_crash_driver.zig) shares.
//!
//! Data directories live under $TMPDIR (default /tmp) and are removed afterwards.

const std = @import("std");
const assert = std.debug.assert;
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const mug_mod = @import("mug.zig");
const pma_mod = @import("pma.zig");
const Pma = pma_mod.Pma;
const tripwire = @import("tripwire.zig");

const testing = std.testing;

// ------------------------------------------------------------------------- helpers (shared)

/// A fresh directory under $TMPDIR, deleted by `deinit`.
pub const TestDir = struct {
    buf: [256]u8 = undefined,
    len: usize = 0,

    pub fn init(tag: []const u8) !TestDir {
        var d = TestDir{};
        const tmp = std.posix.getenv("TMPDIR") orelse "/tmp";
        var rnd: [8]u8 = undefined;
        std.crypto.random.bytes(&rnd);
        const s = try std.fmt.bufPrint(&d.buf, "{s}/cellar-pma-{s}-{x}", .{ tmp, tag, std.mem.readInt(u64, &rnd, .little) });
        d.len = s.len;
        try std.fs.cwd().makePath(s);
        return d;
    }

    pub fn path(d: *const TestDir) []const u8 {
        return d.buf[0..d.len];
    }

    pub fn deinit(d: *TestDir) void {
        std.fs.cwd().deleteTree(d.path()) catch {};
    }
};

/// A deterministic leaf: every eighth one an indirect atom of two limbs.
pub fn leaf(ws: *Workspace, seed: u64, i: u64) !Noun {
    const v = (seed *% 0x9e37_79b9_7f4a_7c15) +% i;
    if (i % 8 == 0) return ws.atomFromLimbs(&.{ v, i + 1 });
    return Noun.direct(v & Noun.direct_max);
}

/// A balanced tree with 2^depth leaves, built bottom-up (no recursion).
pub fn buildTree(ws: *Workspace, gpa: std.mem.Allocator, depth: u5, seed: u64) !Noun {
    const count = @as(usize, 1) << depth;
    const level = try gpa.alloc(Noun, count);
    defer gpa.free(level);
    for (level, 0..) |*l, i| l.* = try leaf(ws, seed, i);
    var width = count;
    while (width > 1) : (width /= 2) {
        for (0..width / 2) |i| level[i] = try ws.cell(level[2 * i], level[2 * i + 1]);
    }
    return level[0];
}

/// `tree` with leaf `index` replaced by `new_leaf`: a new spine, everything else shared.
pub fn replaceLeaf(ws: *Workspace, tree: Noun, depth: u5, index: u64, new_leaf: Noun) !Noun {
    var spine: [32]Noun = undefined;
    var n = tree;
    for (0..depth) |d| {
        spine[d] = n;
        const bit = (index >> @intCast(depth - 1 - d)) & 1;
        n = if (bit == 0) ws.head(n) else ws.tail(n);
    }
    var acc = new_leaf;
    var d: usize = depth;
    while (d > 0) {
        d -= 1;
        const bit = (index >> @intCast(depth - 1 - d)) & 1;
        acc = if (bit == 0) try ws.cell(acc, ws.tail(spine[d])) else try ws.cell(ws.head(spine[d]), acc);
    }
    return acc;
}

pub const big_entry_limbs: usize = (12 << 20) / 8;

/// Entry j of a chain state: `[j tree]`, or `[j big-atom]` (12 MiB) when `big`.
pub fn chainEntry(ws: *Workspace, gpa: std.mem.Allocator, j: u64, big: bool) !Noun {
    if (!big) return ws.cell(Noun.direct(j), try buildTree(ws, gpa, 3, j));
    const limbs = try ws.startAtom(big_entry_limbs);
    for (limbs, 0..) |*l, i| l.* = j *% 0x0101_0101 +% i;
    limbs[limbs.len - 1] |= 1 << 63;
    return ws.cell(Noun.direct(j), ws.finishAtom(limbs));
}

/// The chain state after k events, built from scratch: [entry(k) [entry(k-1) ... 0]].
pub fn chain(ws: *Workspace, gpa: std.mem.Allocator, k: u64, big_last: bool) !Noun {
    var acc = Noun.zero;
    var j: u64 = 1;
    while (j <= k) : (j += 1) acc = try ws.cell(try chainEntry(ws, gpa, j, big_last and j == k), acc);
    return acc;
}

pub fn hashOf(e: u64) [32]u8 {
    var h: [32]u8 = @splat(0);
    std.mem.writeInt(u64, h[0..8], e, .little);
    return h;
}

/// Bytes of the distinct objects reachable from `n` (sharing counted once).
pub fn distinctBytes(ws: *Workspace, gpa: std.mem.Allocator, n: Noun) !u64 {
    var seen: std.AutoHashMapUnmanaged(u64, void) = .empty;
    defer seen.deinit(gpa);
    var stack: std.ArrayList(Noun) = .empty;
    defer stack.deinit(gpa);
    try stack.append(gpa, n);
    var total: u64 = 0;
    while (stack.pop()) |x| {
        if (x.isDirect()) continue;
        const g = try seen.getOrPut(gpa, x.raw() & Noun.payload_mask | (x.raw() & Noun.location_bit));
        if (g.found_existing) continue;
        total += pma_mod.objectWords(ws.words(x)[0]) * 8;
        if (x.isCell()) {
            try stack.append(gpa, ws.tail(x));
            try stack.append(gpa, ws.head(x));
        }
    }
    return total;
}

fn flipByte(dir: []const u8, name: []const u8, offset: u64) !void {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{ .mode = .read_write });
    defer f.close();
    var b: [1]u8 = undefined;
    _ = try f.preadAll(&b, offset);
    b[0] ^= 0x40;
    try f.pwriteAll(&b, offset);
}

/// Open descriptors and mappings of this process (to catch leaks on failed opens).
fn resourceCount() !u64 {
    var n: u64 = 0;
    var fds = try std.fs.openDirAbsolute("/proc/self/fd", .{ .iterate = true });
    defer fds.close();
    var it = fds.iterate();
    while (try it.next()) |_| n += 1;
    var buf: [1 << 16]u8 = undefined;
    const maps = try std.fs.cwd().readFile("/proc/self/maps", &buf);
    return n + std.mem.count(u8, maps, "\n") * 1000;
}

fn truncate(dir: []const u8, name: []const u8, bytes: u64) !void {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{ .mode = .read_write });
    defer f.close();
    try f.setEndPos(bytes);
}

fn readSlotAt(dir: []const u8, name: []const u8, index: u1) !pma_mod.Slot {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{});
    defer f.close();
    var s: pma_mod.Slot = undefined;
    _ = try f.preadAll(std.mem.asBytes(&s), @as(u64, index) * pma_mod.meta_page_bytes);
    return s;
}

fn writeSlotAt(dir: []const u8, name: []const u8, index: u1, s: *const pma_mod.Slot) !void {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{ .mode = .read_write });
    defer f.close();
    try f.pwriteAll(std.mem.asBytes(s), @as(u64, index) * pma_mod.meta_page_bytes);
}

/// Expect an open to fail with `expected` (a handle that opened is closed, not printed).
fn expectFails(expected: pma_mod.Error, result: pma_mod.Error!*Pma) !void {
    if (result) |p| {
        std.debug.print("expected {s}, but the slab opened at event {d}\n", .{ @errorName(expected), p.eventNumber() });
        p.close();
        return error.TestUnexpectedResult;
    } else |err| try testing.expectEqual(expected, err);
}

/// Commit chain states 1..k (each sharing its tail with the committed one).
fn commitChain(p: *Pma, ws: *Workspace, from: u64, to: u64) !void {
    var j = from;
    while (j <= to) : (j += 1) {
        const s = try ws.cell(try chainEntry(ws, testing.allocator, j, false), p.root());
        _ = try p.commit(ws, s, j, &hashOf(j));
    }
}

fn expectRootIsChain(p: *Pma, ws: *Workspace, k: u64) !void {
    try testing.expectEqual(k, p.eventNumber());
    const expected = try chain(ws, testing.allocator, k, false);
    try testing.expect(try equality.equal(ws, p.root(), expected));
}

// ------------------------------------------------------------------------- tests

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
    try testing.expectEqual(expected_bytes, p.stats().used_bytes - pma_mod.header_bytes);
    try testing.expectEqual(expected_bytes, p.stats().live_bytes_after_gc);
    var n = ws.tail(p.root());
    const first = ws.head(p.root());
    for (0..999) |_| {
        try testing.expectEqual(first, ws.head(n));
        n = ws.tail(n);
    }
    try testing.expect(try equality.equal(&ws, first, try buildTree(&ws, testing.allocator, 10, 3)));
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

test "pma: failures at each tripwire roll back or poison, and reopening recovers" {
    var dir = try TestDir.init("tripwire");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 128 << 20);
    defer ws.deinit();
    defer tripwire.disarm();
    var event: u64 = 0;
    const P = tripwire.Point;
    // Growth: each point in a fresh directory, so the big commit is sure to grow the file.
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
    const cases = [_]struct { point: P, durable: bool, big: bool }{
        .{ .point = .pma_commit_after_copy, .durable = false, .big = false },
        .{ .point = .pma_commit_before_slot, .durable = false, .big = false },
        .{ .point = .pma_commit_after_slot, .durable = true, .big = false },
        .{ .point = .pma_commit_after_sync, .durable = true, .big = false },
        .{ .point = .pma_commit_before_seal, .durable = true, .big = true },
    };
    for (cases) |case| {
        const p = try Pma.open(testing.allocator, dir.path(), .{ .initial_bytes = 1 << 20, .sidecar = .off });
        p.attach(&ws);
        const entry = try chainEntry(&ws, testing.allocator, event + 1, case.big);
        const state = try ws.cell(entry, p.root());
        tripwire.arm(case.point, .fail);
        try testing.expectError(error.Tripwire, p.commit(&ws, state, event + 1, &hashOf(event + 1)));
        tripwire.disarm();
        // The workspace copy is intact (no forwarding words left behind).
        try testing.expect(try equality.equal(&ws, ws.head(state), try chainEntry(&ws, testing.allocator, event + 1, case.big)));
        if (case.durable) {
            if (case.point != .pma_commit_before_seal)
                try testing.expectError(error.Poisoned, p.commit(&ws, state, event + 1, &hashOf(event + 1)));
            event += 1;
        } else {
            try testing.expectEqual(event, p.eventNumber());
        }
        p.close();
        ws.collect();
        const q = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        q.attach(&ws);
        try testing.expectEqual(event, q.eventNumber());
        event += 1;
        _ = try q.commit(&ws, try ws.cell(try chainEntry(&ws, testing.allocator, event, false), q.root()), event, &hashOf(event));
        q.close();
        ws.collect();
    }
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
