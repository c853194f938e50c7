//! Arithmetic and bit surgery on atoms of any size, for the jets.
//!
//! Atoms are read as little-endian u64 limbs (`Bases.limbs`: a direct atom is one limb held
//! in a caller's scratch word) and results are built with `startAtom`/`finishAtom`, which
//! normalise them (direct when below 2^63). Operations on direct atoms take fast paths that
//! allocate only when the result needs 64 bits or more. Sizes are counted in bits (u64);
//! a bit count or shift past what the workspace can still hold fails with `error.Meme`.
//! Inputs may live in the workspace or the PMA: allocation never moves either.

const std = @import("std");
const assert = std.debug.assert;
const big = std.math.big.int;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");

pub const Error = error{Meme};
const max_u64 = std.math.maxInt(u64);

const Limb = std.math.big.Limb;

comptime {
    // big.int views our limbs in place (its Limb is usize: the same bits on 64-bit targets).
    assert(@bitSizeOf(Limb) == 64);
}

inline fn view(limbs: []const u64) big.Const {
    return .{ .limbs = @ptrCast(limbs), .positive = true };
}

inline fn mutable(limbs: []u64) big.Mutable {
    return .{ .limbs = @ptrCast(limbs), .len = 1, .positive = true };
}

/// Significant bits of little-endian limbs (0 for zero).
pub fn bitsOf(limbs: []const u64) u64 {
    var len = limbs.len;
    while (len > 0 and limbs[len - 1] == 0) len -= 1;
    if (len == 0) return 0;
    const bits = (@as(u64, len) - 1) * 64 + (64 - @as(u64, @clz(limbs[len - 1])));
    assert(bits > (@as(u64, len) - 1) * 64);
    assert(bits <= @as(u64, len) * 64);
    return bits;
}

/// Trailing zero bits of limbs (their bit count when all are zero).
pub fn trailingZeros(limbs: []const u64) u64 {
    for (limbs, 0..) |limb, i| {
        if (limb != 0) return @as(u64, i) * 64 + @ctz(limb);
    }
    assert(std.mem.allEqual(u64, limbs, 0));
    return @as(u64, limbs.len) * 64;
}

pub fn met0(ws: *const Workspace, a: Noun) u64 {
    assert(a.isAtom());
    if (a.isDirect()) return 64 - @as(u64, @clz(a.raw()));
    return ws.bases.met(a);
}

inline fn limbsFor(bits: u64) usize {
    const limbs: usize = @intCast((bits + 63) / 64);
    assert(@as(u64, limbs) * 64 >= bits);
    return limbs;
}

/// Start an atom of `bits` bits (zeroed limbs), or Meme when it cannot fit.
fn start(ws: *Workspace, bits: u64) Error![]u64 {
    assert(bits > 0);
    if (bits > common.bitsMax(ws)) return error.Meme;
    const limbs = try ws.startAtom(limbsFor(bits));
    assert(limbs.len >= 1);
    return limbs;
}

// ------------------------------------------------------------------------- bit copying

/// `width` <= 64 bits of `src` from bit `pos` (zero past the end).
pub fn readBits(src: []const u64, pos: u64, width: u64) u64 {
    assert(width <= 64);
    if (width == 0) return 0;
    const index = pos >> 6;
    if (index >= src.len) return 0;
    const i: usize = @intCast(index);
    const offset: u6 = @truncate(pos);
    var v = src[i] >> offset;
    if (offset != 0 and i + 1 < src.len) v |= src[i + 1] << @intCast(64 - @as(u7, offset));
    return if (width == 64) v else v & ((@as(u64, 1) << @intCast(width)) - 1);
}

/// OR the bits of `v` into `dst` at bit `pos`. Only non-zero limbs are touched, so a piece
/// whose zero high bits run past `dst` is fine.
inline fn orBits(dst: []u64, pos: u64, v: u64) void {
    if (v == 0) return;
    const i: usize = @intCast(pos >> 6);
    const offset: u6 = @truncate(pos);
    const lo = v << offset;
    if (lo != 0) {
        assert(i < dst.len);
        dst[i] |= lo;
    }
    if (offset != 0) {
        const hi = v >> @intCast(64 - @as(u7, offset));
        if (hi != 0) {
            assert(i + 1 < dst.len);
            dst[i + 1] |= hi;
        }
    }
}

/// OR `len` bits of `src` from `src_pos` into zeroed `dst` at `dst_pos`. The non-zero bits
/// copied must fit in `dst` (callers size `dst` from the source's significant bits).
pub fn copyBits(dst: []u64, dst_pos: u64, src: []const u64, src_pos: u64, len: u64) void {
    // Past the end of `src` everything is zero: stop there.
    const have = @as(u64, src.len) * 64 -| src_pos;
    const todo = @min(len, have);
    if (dst_pos % 64 == 0 and src_pos % 64 == 0 and todo % 64 == 0) {
        // Whole limbs: a straight copy.
        const s: usize = @intCast(src_pos / 64);
        const d: usize = @intCast(dst_pos / 64);
        const n: usize = @intCast(todo / 64);
        const fit = @min(n, dst.len -| d);
        assert(std.mem.allEqual(u64, src[s + fit .. s + n], 0));
        @memcpy(dst[d .. d + fit], src[s .. s + fit]);
        return;
    }
    var k: u64 = 0;
    while (k < todo) : (k += 64) {
        const width = @min(64, todo - k);
        orBits(dst, dst_pos + k, readBits(src, src_pos + k, width));
    }
}

// ------------------------------------------------------------------------- comparison

pub fn order(ws: *const Workspace, a: Noun, b: Noun) std.math.Order {
    assert(a.isAtom());
    assert(b.isAtom());
    if (a.isDirect() and b.isDirect()) return std.math.order(a.raw(), b.raw());
    // Normalised: a direct atom is below every indirect one.
    if (a.isDirect()) return .lt;
    if (b.isDirect()) return .gt;
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    const la = ws.bases.limbs(a, &sa);
    const lb = ws.bases.limbs(b, &sb);
    if (la.len != lb.len) return std.math.order(la.len, lb.len);
    // Normalised, so more limbs means larger: top limbs are non-zero.
    assert(la[la.len - 1] != 0);
    assert(lb[lb.len - 1] != 0);
    var i = la.len;
    while (i > 0) {
        i -= 1;
        if (la[i] != lb[i]) return std.math.order(la[i], lb[i]);
    }
    return .eq;
}

pub fn isZero(a: Noun) bool {
    return a == Noun.zero;
}

// ------------------------------------------------------------------------- + - * /

pub fn add(ws: *Workspace, a: Noun, b: Noun) Error!Noun {
    if (a.isDirect() and b.isDirect()) return ws.atomU64(a.raw() + b.raw());
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    var la = ws.bases.limbs(a, &sa);
    var lb = ws.bases.limbs(b, &sb);
    if (la.len < lb.len) std.mem.swap([]const u64, &la, &lb);
    assert(la.len >= lb.len);
    const out = try ws.startAtom(la.len + 1);
    assert(out.len == la.len + 1);
    var carry: u1 = 0;
    for (la, 0..) |limb, i| {
        const other = if (i < lb.len) lb[i] else 0;
        const s1 = @addWithOverflow(limb, other);
        const s2 = @addWithOverflow(s1[0], @as(u64, carry));
        out[i] = s2[0];
        carry = s1[1] | s2[1];
    }
    out[la.len] = carry;
    return ws.finishAtom(out);
}

/// a - b; Exit when b > a (Hoon's `sub` crashes on underflow).
pub fn sub(ws: *Workspace, a: Noun, b: Noun) common.JetError!Noun {
    if (a.isDirect() and b.isDirect()) {
        if (b.raw() > a.raw()) return error.Exit;
        return Noun.direct(a.raw() - b.raw());
    }
    if (order(ws, a, b) == .lt) return error.Exit;
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    const la = ws.bases.limbs(a, &sa);
    const lb = ws.bases.limbs(b, &sb);
    const out = try ws.startAtom(la.len);
    var borrow: u1 = 0;
    for (la, 0..) |limb, i| {
        const other = if (i < lb.len) lb[i] else 0;
        const d1 = @subWithOverflow(limb, other);
        const d2 = @subWithOverflow(d1[0], @as(u64, borrow));
        out[i] = d2[0];
        borrow = d1[1] | d2[1];
    }
    assert(borrow == 0);
    return ws.finishAtom(out);
}

pub fn mul(ws: *Workspace, a: Noun, b: Noun) Error!Noun {
    if (a.isDirect() and b.isDirect()) {
        const p = @as(u128, a.raw()) * b.raw();
        if (p <= max_u64) return ws.atomU64(@intCast(p));
        return ws.atomFromLimbs(&.{ @truncate(p), @intCast(p >> 64) });
    }
    if (a == Noun.zero or b == Noun.zero) return Noun.zero;
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    const la = ws.bases.limbs(a, &sa);
    const lb = ws.bases.limbs(b, &sb);
    if ((bitsOf(la) +| bitsOf(lb)) > common.bitsMax(ws)) return error.Meme;
    const out = try ws.startAtom(la.len + lb.len);
    var r = mutable(out);
    // With an allocator big.int may use faster algorithms; it falls back when that fails.
    r.mulNoAlias(view(la), view(lb), ws.gpa);
    assert(r.len <= out.len);
    assert(r.positive);
    @memset(out[r.len..], 0);
    return ws.finishAtom(out);
}

pub const DivMod = struct { quotient: Noun, remainder: Noun };

/// Quotient and remainder; Exit when dividing by zero.
pub fn divMod(ws: *Workspace, a: Noun, b: Noun) common.JetError!DivMod {
    if (b == Noun.zero) return error.Exit;
    if (a.isDirect() and b.isDirect()) {
        return .{ .quotient = Noun.direct(a.raw() / b.raw()), .remainder = Noun.direct(a.raw() % b.raw()) };
    }
    if (order(ws, a, b) == .lt) return .{ .quotient = Noun.zero, .remainder = a };
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    const la = ws.bases.limbs(a, &sa);
    const lb = ws.bases.limbs(b, &sb);
    if (lb.len == 1) return divModLimb(ws, la, lb[0]);
    const buffer = ws.gpa.alloc(Limb, big.calcDivLimbsBufferLen(la.len, lb.len)) catch return error.Meme;
    defer ws.gpa.free(buffer);
    const r_out = try ws.startAtom(lb.len);
    const q_out = try ws.startAtom(la.len);
    var q = mutable(q_out);
    var r = mutable(r_out);
    q.divTrunc(&r, view(la), view(lb), buffer);
    assert(q.len <= q_out.len);
    assert(r.len <= r_out.len);
    @memset(q_out[q.len..], 0);
    @memset(r_out[r.len..], 0);
    return .{ .quotient = ws.finishAtom(q_out), .remainder = ws.finishAtom(r_out) };
}

/// Division of a multi-limb atom by one limb, most significant limb first.
fn divModLimb(ws: *Workspace, la: []const u64, d: u64) Error!DivMod {
    assert(d != 0);
    assert(la.len >= 1);
    const q_out = try ws.startAtom(la.len);
    var rem: u64 = 0;
    var i = la.len;
    while (i > 0) {
        i -= 1;
        const x = (@as(u128, rem) << 64) | la[i];
        q_out[i] = @intCast(x / d);
        rem = @intCast(x % d);
    }
    const quotient = ws.finishAtom(q_out);
    return .{ .quotient = quotient, .remainder = try ws.atomU64(rem) };
}

/// a - 1; Exit on zero.
pub fn dec(ws: *Workspace, a: Noun) common.JetError!Noun {
    if (a == Noun.zero) return error.Exit;
    if (a.isDirect()) return Noun.direct(a.raw() - 1);
    assert(a.isIndirect());
    return sub(ws, a, Noun.one);
}

// ------------------------------------------------------------------------- bits

/// 2^n.
pub fn bex(ws: *Workspace, n: u64) Error!Noun {
    if (n < 63) return Noun.direct(@as(u64, 1) << @intCast(n));
    const out = try start(ws, n +| 1);
    assert(n / 64 < out.len);
    out[@intCast(n / 64)] = @as(u64, 1) << @intCast(n % 64);
    return ws.finishAtom(out);
}

/// a >> bits.
pub fn rsh(ws: *Workspace, a: Noun, bits: u64) Error!Noun {
    if (a.isDirect()) return if (bits >= 64) Noun.zero else Noun.direct(a.raw() >> @intCast(bits));
    const m = met0(ws, a);
    if (bits >= m) return Noun.zero;
    assert(m - bits >= 1);
    return cut(ws, a, bits, m - bits);
}

/// a mod 2^bits.
pub fn end(ws: *Workspace, a: Noun, bits: u64) Error!Noun {
    if (bits >= met0(ws, a)) return a;
    assert(bits < 64 or a.isIndirect());
    if (a.isDirect()) return Noun.direct(a.raw() & ((@as(u64, 1) << @intCast(bits)) - 1));
    return cut(ws, a, 0, bits);
}

/// (a >> from) mod 2^len.
pub fn cut(ws: *Workspace, a: Noun, from: u64, len: u64) Error!Noun {
    if (a.isDirect()) {
        if (from >= 64 or len == 0) return Noun.zero;
        const v = a.raw() >> @intCast(from);
        return Noun.direct(if (len >= 64) v else v & ((@as(u64, 1) << @intCast(len)) - 1));
    }
    const m = met0(ws, a);
    if (from >= m or len == 0) return Noun.zero;
    const n = @min(len, m - from);
    assert(n >= 1);
    assert(from + n <= m);
    var scratch: u64 = undefined;
    const src = ws.bases.limbs(a, &scratch);
    const out = try start(ws, n);
    copyBits(out, 0, src, from, n);
    return ws.finishAtom(out);
}

/// a << bits (zero stays zero however far it is shifted).
pub fn lsh(ws: *Workspace, a: Noun, bits: u64) Error!Noun {
    if (a == Noun.zero or bits == 0) return a;
    const m = met0(ws, a);
    if (a.isDirect() and bits < 63 and m + bits <= 63) return Noun.direct(a.raw() << @intCast(bits));
    const total = m +| bits;
    assert(total > m); // bits > 0 here.
    const out = try start(ws, total);
    var scratch: u64 = undefined;
    copyBits(out, bits, ws.bases.limbs(a, &scratch), 0, m);
    return ws.finishAtom(out);
}

pub const BitOp = enum { con, dis, mix };

/// Bitwise or (con), and (dis), xor (mix).
pub fn bitwise(ws: *Workspace, comptime op: BitOp, a: Noun, b: Noun) Error!Noun {
    if (a.isDirect() and b.isDirect()) return Noun.direct(apply(op, a.raw(), b.raw()));
    var sa: u64 = undefined;
    var sb: u64 = undefined;
    var la = ws.bases.limbs(a, &sa);
    var lb = ws.bases.limbs(b, &sb);
    if (la.len < lb.len) std.mem.swap([]const u64, &la, &lb);
    assert(la.len >= lb.len);
    const len = if (op == .dis) lb.len else la.len;
    const out = try ws.startAtom(len);
    for (out, 0..) |*limb, i| limb.* = apply(op, la[i], if (i < lb.len) lb[i] else 0);
    return ws.finishAtom(out);
}

inline fn apply(comptime op: BitOp, x: u64, y: u64) u64 {
    return switch (op) {
        .con => x | y,
        .dis => x & y,
        .mix => x ^ y,
    };
}

/// Build an atom of at most `bits` bits by OR-ing pieces in: `begin`, then `put`, then `done`.
pub const Builder = struct {
    ws: *Workspace,
    out: []u64,

    pub fn begin(ws: *Workspace, bits: u64) Error!Builder {
        if (bits == 0) return .{ .ws = ws, .out = &.{} };
        const out = try start(ws, bits);
        assert(out.len == limbsFor(bits));
        return .{ .ws = ws, .out = out };
    }

    /// OR `len` bits of atom `a` from bit `from` in at bit `at`.
    pub fn put(b: *Builder, at: u64, a: Noun, from: u64, len: u64) void {
        if (len == 0 or a == Noun.zero) return;
        var scratch: u64 = undefined;
        const src = b.ws.bases.limbs(a, &scratch);
        const have = bitsOf(src) -| from;
        const n = @min(len, have);
        if (n == 0) return;
        assert(at + n <= @as(u64, b.out.len) * 64);
        copyBits(b.out, at, src, from, n);
    }

    pub fn done(b: *Builder) Noun {
        if (b.out.len == 0) return Noun.zero;
        const result = b.ws.finishAtom(b.out);
        assert(result.isAtom());
        return result;
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

fn big2(ws: *Workspace, hi: u64, lo: u64) !Noun {
    return ws.atomFromLimbs(&.{ lo, hi });
}

fn expectU64(ws: *const Workspace, expected: u64, n: Noun) !void {
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(n, &scratch);
    try testing.expectEqual(@as(usize, 1), limbs.len);
    try testing.expectEqual(expected, limbs[0]);
}

test "add, sub across the direct/indirect edge" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const max = Noun.direct(Noun.direct_max);
    const s = try add(&ws, max, Noun.one);
    try testing.expect(s.isIndirect());
    try expectU64(&ws, 1 << 63, s);
    try testing.expectEqual(max, try sub(&ws, s, Noun.one));
    const all = try ws.atomU64(max_u64);
    const s2 = try add(&ws, all, Noun.one); // 2^64
    try testing.expectEqual(@as(u64, 65), met0(&ws, s2));
    try expectU64(&ws, max_u64, try dec(&ws, s2));
    try testing.expectEqual(std.math.Order.eq, order(&ws, all, try dec(&ws, s2)));
    try testing.expectError(error.Exit, sub(&ws, Noun.one, s2));
    try testing.expectError(error.Exit, dec(&ws, Noun.zero));
    try testing.expectEqual(Noun.zero, try sub(&ws, s2, s2));
}

test "mul and divMod, small and multi-limb" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try testing.expectEqual(Noun.direct(838102050), try mul(&ws, Noun.direct(12345), Noun.direct(67890)));
    const sq = try mul(&ws, try ws.atomU64(max_u64), try ws.atomU64(max_u64));
    // (2^64-1)^2 = 2^128 - 2^65 + 1
    var scratch: u64 = undefined;
    try testing.expectEqualSlices(u64, &.{ 1, max_u64 - 1 }, ws.bases.limbs(sq, &scratch));
    const qr = try divMod(&ws, sq, try ws.atomU64(max_u64));
    try expectU64(&ws, max_u64, qr.quotient);
    try testing.expectEqual(Noun.zero, qr.remainder);
    const x = try big2(&ws, 5, 7);
    const y = try big2(&ws, 1, 3);
    const qr2 = try divMod(&ws, x, y); // (5*2^64+7) / (2^64+3) = 4 rem 2^64 - 5
    try testing.expectEqual(Noun.direct(4), qr2.quotient);
    try expectU64(&ws, max_u64 - 4, qr2.remainder);
    try testing.expectError(error.Exit, divMod(&ws, x, Noun.zero));
    const qr3 = try divMod(&ws, y, x);
    try testing.expectEqual(Noun.zero, qr3.quotient);
    try testing.expectEqual(y, qr3.remainder);
}

test "shifts, cut, end, bex and their bounds" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const b = try bex(&ws, 64);
    try testing.expectEqual(@as(u64, 65), met0(&ws, b));
    try testing.expectEqual(Noun.direct(1 << 62), try bex(&ws, 62));
    try testing.expectError(error.Meme, bex(&ws, 1 << 40));
    try testing.expectEqual(std.math.Order.eq, order(&ws, b, try lsh(&ws, Noun.one, 64)));
    try testing.expectEqual(Noun.one, try rsh(&ws, b, 64));
    try testing.expectEqual(Noun.zero, try rsh(&ws, b, max_u64));
    try testing.expectEqual(Noun.zero, try lsh(&ws, Noun.zero, max_u64));
    try testing.expectError(error.Meme, lsh(&ws, Noun.one, max_u64));
    try testing.expectEqual(Noun.zero, try end(&ws, b, 64));
    try testing.expectEqual(b, try end(&ws, b, max_u64));
    const x = try big2(&ws, 0xabcd, 0x1234_5678_9abc_def0);
    try testing.expectEqual(Noun.direct(0xcd12), try cut(&ws, x, 56, 16));
    try testing.expectEqual(Noun.direct(0xabcd), try cut(&ws, x, 64, max_u64));
}

test "bitwise on mixed sizes" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const x = try big2(&ws, 1, 0xff);
    try testing.expectEqual(Noun.direct(0x0f), try bitwise(&ws, .dis, x, Noun.direct(0x0f)));
    const c = try bitwise(&ws, .con, x, Noun.direct(0x100));
    var scratch: u64 = undefined;
    try testing.expectEqualSlices(u64, &.{ 0x1ff, 1 }, ws.bases.limbs(c, &scratch));
    try testing.expectEqual(Noun.zero, try bitwise(&ws, .mix, x, x));
    try testing.expectEqual(Noun.direct(6), try bitwise(&ws, .mix, Noun.direct(5), Noun.direct(3)));
}
