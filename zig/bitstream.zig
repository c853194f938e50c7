//! The bit stream under jam and cue (zig/jam.zig, zig/cue.zig): bits are numbered from the
//! least significant bit of the first byte (the stream read as one little-endian atom), and
//! `mat` is the self-delimiting atom encoding both use:
//!   mat(a)  for a = 0 the single bit 1; otherwise, with b = met(a) bits and c = met(b),
//!           c zero bits, a 1 bit, the low c-1 bits of b, then the b bits of a.
//! `BitWriter` appends to a growing buffer of words; `BitReader` reads a padded copy of the
//! input and checks every length against what is left before anything is allocated.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;

pub const Error = error{Meme};
pub const CueError = error{ Meme, BadJam };

comptime {
    // Bytes and limbs are reinterpreted in place; the stream is little-endian.
    assert(builtin.cpu.arch.endian() == .little);
}

/// Bit length of a u64 (0 for 0).
pub inline fn met64(v: u64) u64 {
    return 64 - @as(u64, @clz(v));
}

pub inline fn lowMask(n: u64) u64 {
    assert(n <= 64);
    return if (n == 64) ~@as(u64, 0) else (@as(u64, 1) << @intCast(n)) - 1;
}

/// Bits taken by mat(a) when met(a) = b.
pub inline fn matBits(b: u64) u64 {
    const bits = if (b == 0) 1 else 2 * met64(b) + b;
    assert(bits > b);
    return bits;
}

// ------------------------------------------------------------------------- bit writer

pub const BitWriter = struct {
    gpa: std.mem.Allocator,
    /// Words past the cursor are always zero, so writing zero bits is just advancing.
    words: std.ArrayList(u64) = .empty,
    bits: u64 = 0,

    pub fn deinit(w: *BitWriter) void {
        w.words.deinit(w.gpa);
    }

    /// Make room for `extra_bits` more bits (plus a spare word for straddling writes).
    pub fn ensure(w: *BitWriter, extra_bits: u64) Error!void {
        const need = (w.bits + extra_bits) / 64 + 2;
        const have = w.words.items.len;
        if (need <= have) return;
        w.words.appendNTimes(w.gpa, 0, @intCast(need - have)) catch return error.Meme;
        assert(w.words.items.len == need);
    }

    /// Write the low `n` bits of `v` (the rest of `v` must be zero). Room must be ensured.
    pub inline fn put(w: *BitWriter, v: u64, n: u64) void {
        assert(n <= 64);
        assert(v & ~lowMask(n) == 0);
        const i: usize = @intCast(w.bits >> 6);
        const s: u6 = @truncate(w.bits);
        assert(i + 1 < w.words.items.len);
        w.words.items[i] |= v << s;
        if (s != 0 and @as(u64, s) + n > 64) w.words.items[i + 1] |= v >> @intCast(64 - @as(u64, s));
        w.bits += n;
    }

    /// The length prefix of mat for an atom of `b` bits: zeros, a 1, the low bits of b.
    pub inline fn putMatLength(w: *BitWriter, b: u64) void {
        if (b == 0) return w.put(1, 1);
        const c = met64(b);
        assert(c >= 1);
        assert(c <= 63);
        w.bits += c;
        w.put(1, 1);
        w.put(b & lowMask(c - 1), c - 1);
    }

    /// A backreference to the encoding at bit `offset`, which is before the cursor.
    pub fn putBackref(w: *BitWriter, offset: u64) Error!void {
        assert(offset < w.bits);
        const b = met64(offset);
        try w.ensure(2 + matBits(b));
        const start = w.bits;
        w.put(3, 2);
        w.putMatLength(b);
        w.put(offset, b);
        assert(w.bits == start + 2 + matBits(b));
    }

    /// The atom `a` of `b` = met(a) bits.
    pub fn putAtom(w: *BitWriter, ws: *const Workspace, a: Noun, b: u64) Error!void {
        assert(a.isAtom());
        assert(b == ws.bases.met(a));
        try w.ensure(1 + matBits(b));
        w.bits += 1; // tag 0
        w.putMatLength(b);
        if (a.isDirect()) return w.put(a.raw(), b);
        var scratch: u64 = undefined;
        const limbs = ws.bases.limbs(a, &scratch);
        const full: usize = @intCast(b / 64);
        assert(full <= limbs.len);
        for (limbs[0..full]) |limb| w.put(limb, 64);
        const rest = b % 64;
        if (rest != 0) w.put(limbs[full] & lowMask(rest), rest);
    }
};

// ------------------------------------------------------------------------- bit reader

/// Reads the input as 64-bit words. The input is copied with two zero words of padding,
/// so any read that starts at or before the end stays in bounds.
pub const BitReader = struct {
    words: []const u64,
    bits_len: u64,

    pub inline fn peek(r: *const BitReader, pos: u64) u64 {
        assert(pos <= r.bits_len);
        assert(r.words.len * 64 >= r.bits_len + 64); // The padding word.
        const i: usize = @intCast(pos >> 6);
        const s: u6 = @truncate(pos);
        const lo = r.words[i] >> s;
        if (s == 0) return lo;
        return lo | (r.words[i + 1] << @intCast(64 - @as(u64, s)));
    }

    pub inline fn need(r: *const BitReader, pos: u64, n: u64) CueError!void {
        if (n > r.bits_len or pos > r.bits_len - n) return error.BadJam;
    }

    /// Decode a mat length prefix at `pos.*`: returns b, the bit length of the value that
    /// follows, after checking that those b bits are present.
    pub inline fn matLength(r: *const BitReader, pos: *u64) CueError!u64 {
        try r.need(pos.*, 1);
        const window = r.peek(pos.*);
        // 64 or more zeros would announce a length of 2^63 bits or more: never valid.
        if (window == 0) return error.BadJam;
        const c: u64 = @ctz(window);
        assert(c < 64);
        try r.need(pos.*, c + 1);
        pos.* += c + 1;
        if (c == 0) return 0;
        try r.need(pos.*, c - 1);
        const low = r.peek(pos.*) & lowMask(c - 1);
        pos.* += c - 1;
        const b = (@as(u64, 1) << @intCast(c - 1)) | low;
        assert(met64(b) == c);
        try r.need(pos.*, b);
        return b;
    }

    /// Read a `b`-bit atom at `pos.*` (presence already checked).
    pub fn atom(r: *const BitReader, ws: *Workspace, pos: *u64, b: u64) CueError!Noun {
        assert(pos.* + b <= r.bits_len);
        const start = pos.*;
        pos.* += b;
        if (b <= 63) return Noun.direct(if (b == 0) 0 else r.peek(start) & lowMask(b));
        if (b == 64) return try ws.atomU64(r.peek(start));
        const limb_count: usize = @intCast((b + 63) / 64);
        const limbs = try ws.startAtom(limb_count);
        for (limbs, 0..) |*limb, j| limb.* = r.peek(start + 64 * @as(u64, j));
        limbs[limb_count - 1] &= lowMask(b - 64 * @as(u64, limb_count - 1));
        // Non-canonical encodings (high zero bits) are normalised here.
        return ws.finishAtom(limbs);
    }

    /// Every bit from `pos` to the end must be zero (a jam atom's padding).
    pub fn checkTrailing(r: *const BitReader, pos0: u64) CueError!void {
        assert(pos0 <= r.bits_len);
        var pos = pos0;
        while (pos < r.bits_len) {
            const n = @min(64, r.bits_len - pos);
            if (r.peek(pos) & lowMask(n) != 0) return error.BadJam;
            pos += n;
        }
        assert(pos == r.bits_len);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "bitstream: atoms and backreferences are read back as written" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var w = BitWriter{ .gpa = testing.allocator };
    defer w.deinit();
    const values = [_]u64{ 0, 1, 2, 3, 4, 255, 1 << 40, Noun.direct_max };
    var starts: [values.len]u64 = undefined;
    for (values, &starts) |v, *start| {
        start.* = w.bits;
        try w.putAtom(&ws, Noun.direct(v), met64(v));
        try testing.expectEqual(1 + matBits(met64(v)), w.bits - start.*);
    }
    const big = try ws.atomFromLimbs(&.{ 1, 2, 3 });
    try w.putAtom(&ws, big, ws.bases.met(big));
    // Backreferences to where each atom started, the last one first.
    var i = starts.len;
    while (i > 0) {
        i -= 1;
        const before = w.bits;
        try w.putBackref(starts[i]);
        try testing.expectEqual(2 + matBits(met64(starts[i])), w.bits - before);
    }
    const r = BitReader{ .words = w.words.items, .bits_len = w.bits };
    var pos: u64 = 0;
    for (values, starts) |v, start| {
        try testing.expectEqual(start, pos);
        try testing.expectEqual(@as(u64, 0), r.peek(pos) & 1);
        pos += 1;
        const b = try r.matLength(&pos);
        try testing.expectEqual(Noun.direct(v), try r.atom(&ws, &pos, b));
    }
    pos += 1;
    const back = try r.atom(&ws, &pos, try r.matLength(&pos));
    var scratch: u64 = undefined;
    try testing.expectEqualSlices(u64, &.{ 1, 2, 3 }, ws.bases.limbs(back, &scratch));
    i = starts.len;
    while (i > 0) {
        i -= 1;
        try testing.expectEqual(@as(u64, 3), r.peek(pos) & 3);
        pos += 2;
        const offset_bits = try r.matLength(&pos);
        try testing.expectEqual(starts[i], r.peek(pos) & lowMask(offset_bits));
        pos += offset_bits;
    }
    try testing.expectEqual(w.bits, pos);
    try r.checkTrailing(pos);
    try testing.expectError(error.BadJam, r.need(pos, 1));
}
