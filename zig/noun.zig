//! The noun word: one u64 that is either a direct atom or a tagged reference.
//!
//!   bit 63 = 0           direct atom, value < 2^63
//!   bits 63..62 = 10     indirect atom
//!   bits 63..61 = 110    cell
//!   bits 63..61 = 111    forwarding word (only inside a copy or a collection)
//!
//! For references, bit 60 is the location bit: 0 = the payload is a workspace word address
//! (pointer >> 3), 1 = the payload is a word offset into the Persistent Memory Arena (PMA).
//! A reference is turned into a pointer by `Bases.words`: `bases[loc] + (payload << 3)`,
//! with bases[0] = 0, so both locations cost the same masks and shifts.
//!
//! Memory layout of referenced nouns (all word-aligned, little-endian):
//!   indirect atom: [header: mug (low 32) | limb count (high 32)] [limb 0] ... [limb n-1]
//!                  limbs are normalised: the top limb is non-zero and the value is >= 2^63.
//!   cell:          [header: mug (low 32), high 32 bits zero] [head] [tail]
//! A mug of 0 in a header means "not yet computed". The header alone tells a cell (count 0)
//! from an atom (count >= 1), which lets a collector scan copied memory linearly.

const std = @import("std");
const assert = std.debug.assert;

pub const Noun = enum(u64) {
    _,

    pub const direct_max: u64 = (1 << 63) - 1;
    pub const payload_mask: u64 = (1 << 60) - 1;
    pub const location_bit: u64 = 1 << 60;
    pub const tag_indirect: u64 = 0b10 << 62;
    pub const tag_cell: u64 = 0b110 << 61;
    pub const tag_forward: u64 = 0b111 << 61;

    pub const zero: Noun = @enumFromInt(0);
    pub const one: Noun = @enumFromInt(1);
    /// Loobean yes (`%.y` is 0) and no (`%.n` is 1).
    pub const yes: Noun = zero;
    pub const no: Noun = one;

    pub inline fn raw(n: Noun) u64 {
        return @intFromEnum(n);
    }

    pub inline fn fromRaw(w: u64) Noun {
        return @enumFromInt(w);
    }

    pub inline fn direct(value: u64) Noun {
        assert(value <= direct_max);
        return @enumFromInt(value);
    }

    pub inline fn loobean(b: bool) Noun {
        return if (b) yes else no;
    }

    pub inline fn isDirect(n: Noun) bool {
        return n.raw() >> 63 == 0;
    }

    pub inline fn isIndirect(n: Noun) bool {
        return n.raw() >> 62 == 0b10;
    }

    pub inline fn isCell(n: Noun) bool {
        return n.raw() >> 61 == 0b110;
    }

    pub inline fn isAtom(n: Noun) bool {
        assert(n.raw() >> 61 != 0b111);
        return !n.isCell();
    }

    pub inline fn isForward(n: Noun) bool {
        return n.raw() >> 61 == 0b111;
    }

    /// True for references into the PMA (never for direct atoms).
    pub inline fn inPma(n: Noun) bool {
        return n.raw() >> 63 == 1 and n.raw() & location_bit != 0;
    }

    /// True for references into the workspace (never for direct atoms).
    pub inline fn inWorkspace(n: Noun) bool {
        return n.raw() >> 63 == 1 and n.raw() & location_bit == 0;
    }

    pub inline fn payload(n: Noun) u64 {
        assert(!n.isDirect());
        return n.raw() & payload_mask;
    }

    /// Value of a direct atom.
    pub inline fn directValue(n: Noun) u64 {
        assert(n.isDirect());
        return n.raw();
    }

    /// A workspace reference to the words at `ptr`.
    pub inline fn cellAt(ptr: [*]u64) Noun {
        const addr = @intFromPtr(ptr);
        assert(addr & 7 == 0);
        assert(addr >> 3 <= payload_mask);
        return @enumFromInt(tag_cell | (addr >> 3));
    }

    pub inline fn indirectAt(ptr: [*]u64) Noun {
        const addr = @intFromPtr(ptr);
        assert(addr & 7 == 0);
        assert(addr >> 3 <= payload_mask);
        return @enumFromInt(tag_indirect | (addr >> 3));
    }

    /// A PMA reference of kind `kind` (cell or indirect tag) at word offset `offset_words`.
    pub inline fn pmaRef(kind: u64, offset_words: u64) Noun {
        assert(kind == tag_cell or kind == tag_indirect);
        assert(offset_words <= payload_mask);
        return @enumFromInt(kind | location_bit | offset_words);
    }

    /// The tag bits (indirect or cell) of a reference.
    pub inline fn tag(n: Noun) u64 {
        assert(!n.isDirect());
        return if (n.isCell()) tag_cell else tag_indirect;
    }
};

/// Header word helpers.
pub const Header = struct {
    pub inline fn mug(h: u64) u32 {
        return @truncate(h);
    }

    /// Limb count of an atom; 0 for a cell.
    pub inline fn limbs(h: u64) u32 {
        return @truncate(h >> 32);
    }

    pub inline fn atom(limb_count: u32) u64 {
        assert(limb_count >= 1);
        return @as(u64, limb_count) << 32;
    }

    pub const cell: u64 = 0;

    pub inline fn withMug(h: u64, m: u32) u64 {
        assert(m != 0); // 0 means "not computed".
        assert(m <= 0x7fff_ffff); // Mugs have 31 bits.
        return (h & 0xffff_ffff_0000_0000) | m;
    }
};

/// Base addresses for the two locations. bases[0] is 0 (workspace payloads are absolute word
/// addresses); bases[1] is the PMA mapping's address (0 when no PMA is attached).
pub const Bases = struct {
    base: [2]usize = .{ 0, 0 },

    pub inline fn words(b: *const Bases, n: Noun) [*]u64 {
        assert(!n.isDirect());
        const loc: u1 = @truncate(n.raw() >> 60);
        const addr = b.base[loc] + ((n.raw() & Noun.payload_mask) << 3);
        assert(addr != 0);
        return @ptrFromInt(addr);
    }

    pub inline fn head(b: *const Bases, n: Noun) Noun {
        assert(n.isCell());
        return @enumFromInt(b.words(n)[1]);
    }

    pub inline fn tail(b: *const Bases, n: Noun) Noun {
        assert(n.isCell());
        return @enumFromInt(b.words(n)[2]);
    }

    /// Limbs of an atom (a direct atom has one limb, its value, returned through `scratch`).
    pub inline fn limbs(b: *const Bases, n: Noun, scratch: *u64) []const u64 {
        assert(n.isAtom());
        if (n.isDirect()) {
            scratch.* = n.raw();
            return @as([*]const u64, @ptrCast(scratch))[0..1];
        }
        const w = b.words(n);
        return w[1 .. 1 + Header.limbs(w[0])];
    }

    /// Number of significant bits of an atom (0 for 0).
    pub fn met(b: *const Bases, n: Noun) u64 {
        var scratch: u64 = undefined;
        const l = b.limbs(n, &scratch);
        const top = l[l.len - 1];
        assert(top != 0 or l.len == 1); // Normalised: only the atom 0 has a zero top limb.
        return (@as(u64, l.len) - 1) * 64 + (64 - @as(u64, @clz(top)));
    }
};

test "noun tags" {
    const t = std.testing;
    try t.expect(Noun.direct(5).isDirect());
    try t.expect(Noun.direct(Noun.direct_max).isAtom());
    var words: [3]u64 align(8) = .{ 0, 1, 2 };
    const c = Noun.cellAt(&words);
    try t.expect(c.isCell());
    try t.expect(!c.isAtom());
    try t.expect(c.inWorkspace());
    try t.expect(!c.inPma());
    const bases = Bases{};
    try t.expectEqual(Noun.direct(1), bases.head(c));
    try t.expectEqual(Noun.direct(2), bases.tail(c));
    const a = Noun.indirectAt(&words);
    try t.expect(a.isIndirect());
    try t.expect(a.isAtom());
    const p = Noun.pmaRef(Noun.tag_cell, 12);
    try t.expect(p.isCell() and p.inPma() and p.payload() == 12);
    try t.expect(Noun.fromRaw(Noun.tag_forward).isForward());
}
