//! Helpers of the PMA tests (`zig/pma/*_test.zig`) and of the crash driver
//! (pma_crash_driver.zig): temporary data directories, deterministic states to commit
//! (trees, chains, big atoms), and tools that damage slab files on purpose.
//!
//! Data directories live under $TMPDIR (default /tmp) and are removed afterwards.

const std = @import("std");
const assert = std.debug.assert;
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;

const testing = std.testing;

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
        assert(d.len > 0);
        try std.fs.cwd().makePath(s);
        return d;
    }

    pub fn path(d: *const TestDir) []const u8 {
        assert(d.len > 0);
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
    assert(width == 1);
    assert(depth == 0 or level[0].isCell());
    return level[0];
}

/// `tree` with leaf `index` replaced by `new_leaf`: a new spine, everything else shared.
pub fn replaceLeaf(ws: *Workspace, tree: Noun, depth: u5, index: u64, new_leaf: Noun) !Noun {
    var spine: [32]Noun = undefined;
    assert(depth <= spine.len);
    assert(index < @as(u64, 1) << depth);
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
    assert(limbs.len == big_entry_limbs);
    return ws.cell(Noun.direct(j), ws.finishAtom(limbs));
}

/// The chain state after k events, built from scratch: [entry(k) [entry(k-1) ... 0]].
pub fn chain(ws: *Workspace, gpa: std.mem.Allocator, k: u64, big_last: bool) !Noun {
    var acc = Noun.zero;
    var j: u64 = 1;
    while (j <= k) : (j += 1) acc = try ws.cell(try chainEntry(ws, gpa, j, big_last and j == k), acc);
    assert(k == 0 or acc.isCell());
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
    assert(total % 8 == 0);
    return total;
}

pub fn flipByte(dir: []const u8, name: []const u8, offset: u64) !void {
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
pub fn resourceCount() !u64 {
    var n: u64 = 0;
    var fds = try std.fs.openDirAbsolute("/proc/self/fd", .{ .iterate = true });
    defer fds.close();
    var it = fds.iterate();
    while (try it.next()) |_| n += 1;
    var buf: [1 << 16]u8 = undefined;
    const maps = try std.fs.cwd().readFile("/proc/self/maps", &buf);
    return n + std.mem.count(u8, maps, "\n") * 1000;
}

pub fn truncate(dir: []const u8, name: []const u8, bytes: u64) !void {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{ .mode = .read_write });
    defer f.close();
    try f.setEndPos(bytes);
}

pub fn readSlotAt(dir: []const u8, name: []const u8, index: u1) !pma_mod.Slot {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{});
    defer f.close();
    var s: pma_mod.Slot = undefined;
    _ = try f.preadAll(std.mem.asBytes(&s), @as(u64, index) * pma_mod.meta_page_bytes);
    return s;
}

pub fn writeSlotAt(dir: []const u8, name: []const u8, index: u1, s: *const pma_mod.Slot) !void {
    var d = try std.fs.cwd().openDir(dir, .{});
    defer d.close();
    const f = try d.openFile(name, .{ .mode = .read_write });
    defer f.close();
    try f.pwriteAll(std.mem.asBytes(s), @as(u64, index) * pma_mod.meta_page_bytes);
}

/// Expect an open to fail with `expected` (a handle that opened is closed, not printed).
pub fn expectFails(expected: pma_mod.Error, result: pma_mod.Error!*Pma) !void {
    if (result) |p| {
        std.debug.print("expected {s}, but the slab opened at event {d}\n", .{ @errorName(expected), p.eventNumber() });
        p.close();
        return error.TestUnexpectedResult;
    } else |err| try testing.expectEqual(expected, err);
}

/// Commit chain states 1..k (each sharing its tail with the committed one).
pub fn commitChain(p: *Pma, ws: *Workspace, from: u64, to: u64) !void {
    var j = from;
    while (j <= to) : (j += 1) {
        const s = try ws.cell(try chainEntry(ws, testing.allocator, j, false), p.root());
        _ = try p.commit(ws, s, j, &hashOf(j));
    }
}

pub fn expectRootIsChain(p: *Pma, ws: *Workspace, k: u64) !void {
    try testing.expectEqual(k, p.eventNumber());
    const expected = try chain(ws, testing.allocator, k, false);
    try testing.expect(try equality.equal(ws, p.root(), expected));
}
