//! Mug: the 31-bit structural hash of a noun, bit-compatible with Vere.
//!
//!   atom: murmur3_x86_32 over its little-endian bytes without high zero bytes
//!         (atom 0 hashes zero bytes), seed 0xcafebabe
//!   cell: murmur3_x86_32 over the bytes of `mug(head) | mug(tail) << 32` without high zero
//!         bytes (4 + the byte width of mug(tail), as Vere's u3r_mug_both), seed 0xdeadbeef
//!
//! The 32-bit hash is folded to 31 bits, `(h >> 31) ^ (h & 0x7fffffff)`. A folded value of 0
//! is reserved for "not computed" in headers, so a 0 retries with seed + 1, up to 8 tries,
//! and then falls back to 0x7fff (atoms) or 0xfffe (cells).
//!
//! Mugs of indirect atoms and cells are cached in the low 32 bits of their header word. The
//! cache is written for workspace nouns always and for PMA nouns only when the PMA is mapped
//! writable; otherwise a `Walker` keeps them in a side table for as long as it lives, so that
//! a walk over a shared DAG in a read-only PMA stays linear. Direct atoms are hashed each
//! time (a single short murmur round is cheaper than any cache lookup).

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;

pub const Error = error{Meme};

pub const seed_atom: u32 = 0xcafebabe;
pub const seed_cell: u32 = 0xdeadbeef;
pub const fallback_atom: u32 = 0x7fff;
pub const fallback_cell: u32 = 0xfffe;
const tries_max: u32 = 8;

// ------------------------------------------------------------------------- murmur3

const c1: u32 = 0xcc9e2d51;
const c2: u32 = 0x1b873593;

inline fn scramble(k: u32) u32 {
    return std.math.rotl(u32, k *% c1, 15) *% c2;
}

inline fn finalMix(h0: u32) u32 {
    var h = h0;
    h ^= h >> 16;
    h *%= 0x85ebca6b;
    h ^= h >> 13;
    h *%= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

/// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm).
pub fn murmur3(bytes: []const u8, seed: u32) u32 {
    var h = seed;
    const blocks = bytes.len / 4;
    for (0..blocks) |i| {
        const k = std.mem.readInt(u32, bytes[i * 4 ..][0..4], .little);
        h ^= scramble(k);
        h = std.math.rotl(u32, h, 13) *% 5 +% 0xe6546b64;
    }
    const rest = bytes[blocks * 4 ..];
    assert(rest.len < 4);
    if (rest.len > 0) {
        var k: u32 = 0;
        for (rest, 0..) |byte, i| k |= @as(u32, byte) << @intCast(8 * i);
        h ^= scramble(k);
    }
    // The length is mixed in modulo 2^32, as the reference does.
    h ^= @truncate(bytes.len);
    return finalMix(h);
}

/// The folded hash with Vere's retry rule; never 0.
fn folded(bytes: []const u8, seed: u32, fallback: u32) u32 {
    assert(fallback != 0);
    assert(fallback <= 0x7fff_ffff);
    var s = seed;
    for (0..tries_max) |_| {
        const h = murmur3(bytes, s);
        const f = (h >> 31) ^ (h & 0x7fff_ffff);
        assert(f <= 0x7fff_ffff);
        if (f != 0) return f;
        s +%= 1;
    }
    return fallback;
}

/// Mug of an atom given as little-endian bytes. High zero bytes are ignored.
pub fn mugBytes(bytes: []const u8) u32 {
    var len = bytes.len;
    while (len > 0 and bytes[len - 1] == 0) len -= 1;
    const m = folded(bytes[0..len], seed_atom, fallback_atom);
    assert(m != 0);
    assert(m <= 0x7fff_ffff);
    return m;
}

/// Mug of a cell from the mugs of its head and tail. Like an atom, the 8-byte buffer is
/// hashed without its high zero bytes: a tail mug below 2^24 shortens it (Vere does this;
/// hashing all 8 bytes disagrees on about one cell in 128).
pub fn mugCell(h: u32, t: u32) u32 {
    assert(h != 0);
    assert(t != 0);
    var buf: [8]u8 = undefined;
    std.mem.writeInt(u64, &buf, @as(u64, h) | (@as(u64, t) << 32), .little);
    const len = 4 + (32 - @as(usize, @clz(t)) + 7) / 8;
    assert(len >= 4);
    assert(len <= 8);
    const m = folded(buf[0..len], seed_cell, fallback_cell);
    assert(m != 0);
    assert(m <= 0x7fff_ffff);
    return m;
}

/// Mug of a direct atom's value.
pub fn mugU64(v: u64) u32 {
    var buf: [8]u8 = undefined;
    std.mem.writeInt(u64, &buf, v, .little);
    const len = (64 - @as(usize, @clz(v)) + 7) / 8;
    assert(len <= 8);
    assert(len == 0 or buf[len - 1] != 0); // No high zero byte, as `mugBytes` hashes.
    return folded(buf[0..len], seed_atom, fallback_atom);
}

// ------------------------------------------------------------------------- walker

/// A reusable mug computer: owns the explicit stack and the side table for nouns whose
/// headers may not be written. Keep one alive across many `mug` calls (jam does) so that
/// read-only PMA nouns are hashed once per walker, not once per call.
pub const Walker = struct {
    ws: *Workspace,
    stack: std.ArrayList(Noun) = .empty,
    memo: std.AutoHashMapUnmanaged(u64, u32) = .empty,

    pub fn init(ws: *Workspace) Walker {
        return .{ .ws = ws };
    }

    pub fn deinit(w: *Walker) void {
        w.stack.deinit(w.ws.gpa);
        w.memo.deinit(w.ws.gpa);
        w.* = undefined;
    }

    inline fn headerWritable(w: *const Walker, n: Noun) bool {
        assert(!n.isDirect());
        return n.inWorkspace() or w.ws.pma_writable;
    }

    /// The known mug of an indirect atom or cell, or null.
    pub inline fn cached(w: *const Walker, n: Noun) ?u32 {
        assert(!n.isDirect());
        const m = Header.mug(w.ws.words(n)[0]);
        if (m != 0) return m;
        if (w.headerWritable(n)) return null;
        return w.memo.get(n.raw());
    }

    fn store(w: *Walker, n: Noun, m: u32) Error!void {
        assert(m != 0);
        assert(!n.isDirect());
        if (w.headerWritable(n)) {
            const p = w.ws.words(n);
            p[0] = Header.withMug(p[0], m);
        } else {
            w.memo.put(w.ws.gpa, n.raw(), m) catch return error.Meme;
        }
    }

    fn indirectMug(w: *Walker, n: Noun) Error!u32 {
        assert(n.isIndirect());
        if (w.cached(n)) |m| return m;
        var scratch: u64 = undefined;
        const m = mugBytes(w.ws.atomBytes(n, &scratch));
        try w.store(n, m);
        return m;
    }

    /// Mug of a child if it needs no walk: atoms always, cells only when already known.
    inline fn childMug(w: *Walker, n: Noun) Error!?u32 {
        assert(!n.isForward());
        if (n.isDirect()) return mugU64(n.raw());
        if (n.isIndirect()) return try w.indirectMug(n);
        return w.cached(n);
    }

    pub fn mug(w: *Walker, n: Noun) Error!u32 {
        assert(!n.isForward());
        if (n.isDirect()) return mugU64(n.raw());
        if (n.isIndirect()) return w.indirectMug(n);
        if (w.cached(n)) |m| return m;
        return w.cellMug(n);
    }

    /// Post-order walk over the cells whose mugs are unknown. A cell stays on the stack
    /// until both children are known; each cell is examined at most a few times.
    fn cellMug(w: *Walker, root: Noun) Error!u32 {
        assert(root.isCell());
        const gpa = w.ws.gpa;
        w.stack.clearRetainingCapacity();
        w.stack.append(gpa, root) catch return error.Meme;
        while (w.stack.items.len > 0) {
            const c = w.stack.items[w.stack.items.len - 1];
            if (w.cached(c) != null) {
                _ = w.stack.pop();
                continue;
            }
            const h = w.ws.head(c);
            const t = w.ws.tail(c);
            const hm = try w.childMug(h);
            const tm = try w.childMug(t);
            if (hm != null and tm != null) {
                try w.store(c, mugCell(hm.?, tm.?));
                _ = w.stack.pop();
                continue;
            }
            if (w.stack.items.len + 2 > constants.walk_stack_entries_max) return error.Meme;
            if (tm == null) w.stack.append(gpa, t) catch return error.Meme;
            if (hm == null) w.stack.append(gpa, h) catch return error.Meme;
        }
        return w.cached(root).?;
    }
};

/// Mug of any noun. Fails only when the walk's stack cannot grow.
pub fn mug(ws: *Workspace, n: Noun) Error!u32 {
    assert(!n.isForward());
    if (n.isDirect()) return mugU64(n.raw());
    var w = Walker.init(ws);
    defer w.deinit();
    if (w.cached(n)) |m| return m;
    return w.mug(n);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const equality = @import("equality.zig");

test "murmur3 reference values" {
    // Published test values of MurmurHash3_x86_32.
    try testing.expectEqual(@as(u32, 0), murmur3("", 0));
    try testing.expectEqual(@as(u32, 0x514e28b7), murmur3("", 1));
    try testing.expectEqual(@as(u32, 0x81f16f39), murmur3("", 0xffffffff));
    try testing.expectEqual(@as(u32, 0x76293b50), murmur3(&.{ 0xff, 0xff, 0xff, 0xff }, 0));
    try testing.expectEqual(@as(u32, 0xf55b516b), murmur3(&.{ 0x21, 0x43, 0x65, 0x87 }, 0));
    try testing.expectEqual(@as(u32, 0x7e4a8634), murmur3(&.{ 0x21, 0x43, 0x65 }, 0));
    try testing.expectEqual(@as(u32, 0xa0f7b07a), murmur3(&.{ 0x21, 0x43 }, 0));
    try testing.expectEqual(@as(u32, 0x72661cf4), murmur3(&.{0x21}, 0));
    try testing.expectEqual(@as(u32, 0x2362f9de), murmur3(&.{ 0, 0, 0, 0 }, 0));
}

test "mug of small nouns, caching, and agreement of the entry points" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    try testing.expectEqual(@as(u32, 2046756072), try mug(&ws, Noun.zero));
    try testing.expectEqual(@as(u32, 1901865568), try mug(&ws, Noun.one));
    try testing.expectEqual(mugBytes(&.{}), mugU64(0));
    try testing.expectEqual(mugBytes(&.{ 2, 0, 0 }), mugU64(2));
    const c = try ws.cell(Noun.direct(1), Noun.direct(2));
    try testing.expectEqual(@as(u32, 0), Header.mug(ws.words(c)[0]));
    const m = try mug(&ws, c);
    try testing.expectEqual(@as(u32, 1781973465), m);
    try testing.expectEqual(m, Header.mug(ws.words(c)[0]));
    try testing.expectEqual(m, mugCell(mugU64(1), mugU64(2)));
    const big = try ws.atomFromLimbs(&.{ 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff });
    const t = try ws.cell(big, Noun.one);
    try testing.expectEqual(@as(u32, 715156476), try mug(&ws, t));
    try testing.expect(Header.mug(ws.words(big)[0]) != 0);
    // mug(17) = 0x3c7f5d is below 2^24: the cell hashes 7 bytes, not 8.
    try testing.expectEqual(@as(u32, 0x3c7f5d), mugU64(17));
    try testing.expectEqual(@as(u32, 0x5637f850), try mug(&ws, try ws.cell(Noun.zero, Noun.direct(17))));
}

test "mug of 10^6-deep nouns both ways, and equality on them" {
    var ws = try Workspace.init(testing.allocator, 512 << 20);
    defer ws.deinit();
    var left = Noun.zero;
    var right = Noun.zero;
    var left2 = Noun.zero;
    for (0..1_000_000) |i| {
        left = try ws.cell(left, Noun.direct(i));
        right = try ws.cell(Noun.direct(i), right);
        left2 = try ws.cell(left2, Noun.direct(i));
    }
    const ml = try mug(&ws, left);
    const mr = try mug(&ws, right);
    try testing.expect(ml != mr);
    // Equal structure gives an equal mug, and with mugs cached equality still holds.
    try testing.expectEqual(ml, try mug(&ws, left2));
    try testing.expect(try equality.equal(&ws, left, left2));
    // Check a shallow prefix of the chain against a direct computation.
    var n = right;
    var expect_tail = try mug(&ws, ws.tail(n));
    try testing.expectEqual(mugCell(mugU64(999_999), expect_tail), mr);
    n = ws.tail(n);
    expect_tail = try mug(&ws, ws.tail(n));
    try testing.expectEqual(mugCell(mugU64(999_998), expect_tail), try mug(&ws, n));
}

test "mug caches into PMA headers only when the PMA is writable" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    // A fake PMA: cell [2^64 5] at word 0, the indirect atom 2^64 at word 3.
    var arena: [6]u64 align(8) = .{ Header.cell, Noun.pmaRef(Noun.tag_indirect, 3).raw(), 5, Header.atom(2), 0, 1 };
    ws.bases.base[1] = @intFromPtr(&arena);
    const c = Noun.pmaRef(Noun.tag_cell, 0);
    const expected = mugCell(mugBytes(&.{ 0, 0, 0, 0, 0, 0, 0, 0, 1 }), mugU64(5));
    ws.pma_writable = false;
    try testing.expectEqual(expected, try mug(&ws, c));
    try testing.expectEqual(@as(u64, Header.cell), arena[0]);
    try testing.expectEqual(@as(u32, 0), Header.mug(arena[3]));
    ws.pma_writable = true;
    try testing.expectEqual(expected, try mug(&ws, c));
    try testing.expectEqual(expected, Header.mug(arena[0]));
    try testing.expect(Header.mug(arena[3]) != 0);
    try testing.expectEqual(@as(u32, 2), Header.limbs(arena[3]));
}

test "mug of a shared DAG in a read-only PMA stays linear" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    // Word 3k holds cell k = [cell k-1, cell k-1]; cell 0 = [1 2]. 2^200 paths, 201 cells.
    var arena: [3 * 201]u64 align(8) = undefined;
    arena[0] = Header.cell;
    arena[1] = 1;
    arena[2] = 2;
    for (1..201) |k| {
        const child = Noun.pmaRef(Noun.tag_cell, 3 * (k - 1)).raw();
        arena[3 * k] = Header.cell;
        arena[3 * k + 1] = child;
        arena[3 * k + 2] = child;
    }
    ws.bases.base[1] = @intFromPtr(&arena);
    ws.pma_writable = false;
    var expected = mugCell(mugU64(1), mugU64(2));
    for (1..201) |_| expected = mugCell(expected, expected);
    try testing.expectEqual(expected, try mug(&ws, Noun.pmaRef(Noun.tag_cell, 3 * 200)));
    try testing.expectEqual(@as(u64, Header.cell), arena[3 * 200]);
}
