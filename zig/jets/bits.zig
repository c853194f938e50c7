//! Jets of Hoon's bit arithmetic and bit logic (`%two` layer, 2c and 2d), as of kelvins
//! 140..138: bex can cat cut end lsh met rap rep rev rip rsh sew swp xeb con dis mix.
//!
//! A bloq `a` is a block of 2^a bits. Gates that take a `bite` (end lsh rsh rip rep) accept a
//! bloq or `[bloq step]` (a block of step·2^bloq bits, step 1 by default). Sample axes:
//!   bex xeb        a at 6
//!   end lsh rsh rip met swp con dis mix
//!                  [a b] at 12 13
//!   can rap rep    [a list] at 12 13
//!   cat            [a b c] at 12 26 27
//!   cut            [a [b c] d] at 12 52 53 27
//!   rev            [boz len dat] at 12 26 27
//!   sew            [a [b c d] e] at 12 52 106 107 27
//! A cell given where Hoon's gate takes a plain bloq (can cat cut met rap rev sew swp) is
//! Punt: the Nock may still treat it as a bite. Other cells where atoms belong are Exit.
//! Sizes saturate (an indirect step is "more bits than any atom"), so absurd requests give
//! the true result when it is small (`(cut 3 [0 2^64] 5)` is 5) and Meme when it is not.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;
const max_u64 = std.math.maxInt(u64);

/// Bits in `step` blocks of bloq `bloq`, saturating.
fn blockBits(bloq: u64, step: u64) u64 {
    if (step == 0) return 0;
    if (bloq >= 64) return max_u64;
    const bits = std.math.shlExact(u64, step, @intCast(bloq)) catch max_u64;
    assert(bits >= step);
    return bits;
}

/// A bite's size in bits: a bloq (one block) or `[bloq step]`.
pub fn bite(ws: *const Workspace, n: Noun) JetError!u64 {
    if (n.isAtom()) return blockBits(common.saturated(ws, n), 1);
    assert(n.isCell());
    const bloq = try common.expectAtom(ws.head(n));
    const step = try common.expectAtom(ws.tail(n));
    return blockBits(common.saturated(ws, bloq), common.saturated(ws, step));
}

/// A plain bloq; a cell is Punt (see the file comment).
fn bloqOf(ws: *const Workspace, n: Noun) JetError!u64 {
    if (n.isCell()) return error.Punt;
    assert(n.isAtom());
    return common.saturated(ws, n);
}

/// Blocks of bloq `bloq` that `a` occupies (`met`).
fn metBlocks(ws: *const Workspace, bloq: u64, a: Noun) u64 {
    const bits = atom.met0(ws, a);
    if (bits == 0) return 0;
    if (bloq >= 64) return 1;
    const blocks = ((bits - 1) >> @intCast(bloq)) + 1;
    assert(blocks >= 1);
    assert(blocks <= bits);
    return blocks;
}

inline fn atomAt(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!Noun {
    return common.atomAt(ws, core, axis);
}

pub fn bex(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try atomAt(ws, core, 6);
    return atom.bex(ws, common.saturated(ws, a));
}

pub fn xeb(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try atomAt(ws, core, 6);
    return ws.atomU64(atom.met0(ws, a));
}

pub fn end(ws: *Workspace, core: Noun) JetError!Noun {
    const bits = try bite(ws, try common.slot(ws, core, 12));
    return atom.end(ws, try atomAt(ws, core, 13), bits);
}

pub fn lsh(ws: *Workspace, core: Noun) JetError!Noun {
    const bits = try bite(ws, try common.slot(ws, core, 12));
    return atom.lsh(ws, try atomAt(ws, core, 13), bits);
}

pub fn rsh(ws: *Workspace, core: Noun) JetError!Noun {
    const bits = try bite(ws, try common.slot(ws, core, 12));
    return atom.rsh(ws, try atomAt(ws, core, 13), bits);
}

pub fn met(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    return ws.atomU64(metBlocks(ws, bloq, try atomAt(ws, core, 13)));
}

pub fn cut(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    const from = common.saturated(ws, try atomAt(ws, core, 52));
    const len = common.saturated(ws, try atomAt(ws, core, 53));
    return atom.cut(ws, try atomAt(ws, core, 27), blockBits(bloq, from), blockBits(bloq, len));
}

/// b, then c after b's last block.
pub fn cat(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    const b = try atomAt(ws, core, 26);
    const c = try atomAt(ws, core, 27);
    if (c == Noun.zero) return b;
    const shift = blockBits(bloq, metBlocks(ws, bloq, b));
    assert(shift >= atom.met0(ws, b)); // b fits below c.
    const total = shift +| atom.met0(ws, c);
    var out = try atom.Builder.begin(ws, total);
    out.put(0, b, 0, max_u64);
    out.put(shift, c, 0, max_u64);
    return out.done();
}

pub fn con(ws: *Workspace, core: Noun) JetError!Noun {
    return atom.bitwise(ws, .con, try atomAt(ws, core, 12), try atomAt(ws, core, 13));
}

pub fn dis(ws: *Workspace, core: Noun) JetError!Noun {
    return atom.bitwise(ws, .dis, try atomAt(ws, core, 12), try atomAt(ws, core, 13));
}

pub fn mix(ws: *Workspace, core: Noun) JetError!Noun {
    return atom.bitwise(ws, .mix, try atomAt(ws, core, 12), try atomAt(ws, core, 13));
}

/// Reverse the `met` blocks of b.
pub fn swp(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    const b = try atomAt(ws, core, 13);
    const count = metBlocks(ws, bloq, b);
    if (count <= 1) return b;
    assert(bloq < 64);
    const width = @as(u64, 1) << @intCast(bloq);
    var out = try atom.Builder.begin(ws, count * width);
    var i: u64 = 0;
    while (i < count) : (i += 1) out.put((count - 1 - i) * width, b, i * width, width);
    return out.done();
}

/// The low `len` blocks of dat, in reverse order (leading zero blocks count).
pub fn rev(ws: *Workspace, core: Noun) JetError!Noun {
    const boz = try bloqOf(ws, try common.slot(ws, core, 12));
    const len = common.saturated(ws, try atomAt(ws, core, 26));
    const dat = try atomAt(ws, core, 27);
    if (len == 0 or dat == Noun.zero) return Noun.zero;
    if (boz >= 64) return if (len == 1) dat else error.Meme;
    const width = @as(u64, 1) << @intCast(boz);
    const count = @min(len, metBlocks(ws, boz, dat));
    assert(count >= 1);
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(dat, &scratch);
    // The lowest non-zero block lands highest and bounds the result's size.
    const low = atom.trailingZeros(limbs) / width;
    if (low >= count) return Noun.zero;
    const top_bits = @min(width, atom.met0(ws, dat) - low * width);
    const total = ((len - 1 - low) *| width) +| top_bits;
    var out = try atom.Builder.begin(ws, total);
    var i = low;
    while (i < count) : (i += 1) out.put((len - 1 - i) * width, dat, i * width, width);
    return out.done();
}

/// e with c blocks from bloq b on replaced by the low c blocks of d.
pub fn sew(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    const b = blockBits(bloq, common.saturated(ws, try atomAt(ws, core, 52)));
    const c = blockBits(bloq, common.saturated(ws, try atomAt(ws, core, 106)));
    const d = try atomAt(ws, core, 107);
    const e = try atomAt(ws, core, 27);
    const me = atom.met0(ws, e);
    const md = @min(c, atom.met0(ws, d));
    var total = @min(b, me);
    if (md > 0) total = @max(total, b +| md);
    if (me > b +| c) total = me;
    assert(total <= @max(me, b +| md));
    var out = try atom.Builder.begin(ws, total);
    out.put(0, e, 0, b);
    out.put(b, d, 0, c);
    if (me > b +| c) out.put(b + c, e, b + c, max_u64);
    return out.done();
}

/// Pieces of a list of atoms laid out one after another, for can/rap/rep.
const Layout = enum { can, rap, rep };

/// One list item's value and the bits it spans.
const Piece = struct { value: Noun, width: u64 };

fn piece(ws: *const Workspace, comptime layout: Layout, bloq_or_bits: u64, item: Noun) JetError!Piece {
    switch (layout) {
        .can => {
            if (!item.isCell()) return error.Exit;
            const p = try common.expectAtom(ws.head(item));
            const q = try common.expectAtom(ws.tail(item));
            return .{ .value = q, .width = blockBits(bloq_or_bits, common.saturated(ws, p)) };
        },
        .rap => {
            const a = try common.expectAtom(item);
            return .{ .value = a, .width = blockBits(bloq_or_bits, metBlocks(ws, bloq_or_bits, a)) };
        },
        .rep => {
            assert(layout == .rep);
            return .{ .value = try common.expectAtom(item), .width = bloq_or_bits };
        },
    }
}

/// Concatenate the list's pieces, low first: measure and check the list, then fill.
fn assemble(ws: *Workspace, comptime layout: Layout, bloq_or_bits: u64, list: Noun) JetError!Noun {
    var total: u64 = 0;
    var offset: u64 = 0;
    var x = list;
    while (x.isCell()) : (x = ws.tail(x)) {
        const p = try piece(ws, layout, bloq_or_bits, ws.head(x));
        const bits = @min(p.width, atom.met0(ws, p.value));
        if (bits > 0) total = @max(total, offset +| bits);
        offset +|= p.width;
    }
    if (x != Noun.zero) return error.Exit;
    assert(total <= offset); // Every piece ends by the last offset.
    var out = try atom.Builder.begin(ws, total);
    offset = 0;
    x = list;
    while (x.isCell()) : (x = ws.tail(x)) {
        const p = piece(ws, layout, bloq_or_bits, ws.head(x)) catch unreachable; // Checked above.
        if (offset < total) out.put(offset, p.value, 0, p.width);
        offset +|= p.width;
    }
    return out.done();
}

/// `(can a ~[[p q] ...])`: each q cut to p blocks, laid out in order.
pub fn can(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    return assemble(ws, .can, bloq, try common.slot(ws, core, 13));
}

/// `(rap a ~[x ...])`: each x in as many blocks as it needs.
pub fn rap(ws: *Workspace, core: Noun) JetError!Noun {
    const bloq = try bloqOf(ws, try common.slot(ws, core, 12));
    return assemble(ws, .rap, bloq, try common.slot(ws, core, 13));
}

/// `(rep a ~[x ...])`: each x cut to one bite.
pub fn rep(ws: *Workspace, core: Noun) JetError!Noun {
    const bits = try bite(ws, try common.slot(ws, core, 12));
    return assemble(ws, .rep, bits, try common.slot(ws, core, 13));
}

/// `(rip a b)`: b as a list of bites, low first.
pub fn rip(ws: *Workspace, core: Noun) JetError!Noun {
    const width = try bite(ws, try common.slot(ws, core, 12));
    const b = try atomAt(ws, core, 13);
    if (b == Noun.zero) return Noun.zero;
    // A zero-width bite never shrinks b: Hoon's recursion grows until memory runs out.
    if (width == 0) return error.Meme;
    const m = atom.met0(ws, b);
    assert(m >= 1);
    const count = if (width >= m) 1 else (m - 1) / width + 1;
    assert(count *| width >= m); // The bites cover b.
    const block = try common.listBlock(ws, count, Noun.zero);
    var i: u64 = 0;
    while (i < count) : (i += 1) {
        const chunk = if (width < 64) blk: {
            var scratch: u64 = undefined;
            break :blk try ws.atomU64(atom.readBits(ws.bases.limbs(b, &scratch), i * width, width));
        } else try atom.cut(ws, b, i * width, width);
        common.setHead(block, @intCast(i), chunk);
    }
    return common.blockNoun(block);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "bits: end lsh rsh met cut cat with bloqs and bites" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, met, "[3 0x1234]", "2");
    try t.expectJet(&ws, met, "[0 0]", "0");
    try t.expectJet(&ws, met, "[6 18446744073709551616]", "2");
    try t.expectJet(&ws, met, "[70 5]", "1");
    try t.expectJet(&ws, end, "[3 0x1234]", "0x34");
    try t.expectJet(&ws, end, "[[3 2] 0x123456]", "0x3456");
    try t.expectJet(&ws, end, "[[3 0] 0x123456]", "0");
    try t.expectJet(&ws, end, "[[3 18446744073709551616] 0x123456]", "0x123456");
    try t.expectJet(&ws, lsh, "[3 1]", "256");
    try t.expectJet(&ws, lsh, "[[3 2] 1]", "65536");
    try t.expectJet(&ws, lsh, "[6 1]", "18446744073709551616");
    try t.expectJet(&ws, lsh, "[[3 18446744073709551616] 0]", "0");
    try t.expectJet(&ws, rsh, "[3 0x1234]", "0x12");
    try t.expectJet(&ws, rsh, "[[0 4] 0xff]", "0xf");
    try t.expectJet(&ws, rsh, "[6 18446744073709551617]", "1");
    try t.expectJet(&ws, rsh, "[99 5]", "0");
    try t.expectJet(&ws, cut, "[3 [1 1] 0x123456]", "0x34");
    try t.expectJet(&ws, cut, "[0 [0 0] 5]", "0");
    try t.expectJet(&ws, cut, "[3 [0 18446744073709551616] 5]", "5");
    try t.expectJet(&ws, cut, "[3 [18446744073709551616 1] 5]", "0");
    try t.expectJet(&ws, cut, "[6 [1 1] 0x1.0000.0000.0000.0002.0000.0000.0000.0003]", "2");
    try t.expectJet(&ws, cat, "[3 1 2]", "513");
    try t.expectJet(&ws, cat, "[0 0 1]", "1");
    try t.expectJet(&ws, cat, "[3 1 0]", "1");
    try t.expectJet(&ws, cat, "[6 1 1]", "18446744073709551617");
    try t.expectJet(&ws, xeb, "0", "0");
    try t.expectJet(&ws, xeb, "255", "8");
    try t.expectJet(&ws, xeb, "18446744073709551616", "65");
    try t.expectJet(&ws, bex, "0", "1");
    try t.expectJet(&ws, bex, "64", "18446744073709551616");
}

test "bits: list assembly and disassembly" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, can, "[3 [[1 1] [1 2] 0]]", "513");
    try t.expectJet(&ws, can, "[3 [[2 0x1234] [1 5] 0]]", "0x51234");
    try t.expectJet(&ws, can, "[3 [[1 0x1ff] [1 2] 0]]", "0x2ff");
    try t.expectJet(&ws, can, "[3 0]", "0");
    try t.expectJet(&ws, can, "[0 [[18446744073709551616 0] [1 0] 0]]", "0");
    try t.expectJet(&ws, rap, "[3 [1 2 3 0]]", "0x30201");
    try t.expectJet(&ws, rap, "[3 [0 1 0x1234 0]]", "0x123401");
    try t.expectJet(&ws, rep, "[3 [1 2 3 0]]", "0x30201");
    try t.expectJet(&ws, rep, "[[3 2] [1 2 0]]", "0x20001");
    try t.expectJet(&ws, rep, "[3 [0x1ff 2 0]]", "0x2ff");
    try t.expectJet(&ws, rip, "[3 0x30201]", "[1 2 3 0]");
    try t.expectJet(&ws, rip, "[[3 2] 0x30201]", "[0x201 3 0]");
    try t.expectJet(&ws, rip, "[3 0]", "0");
    try t.expectJet(&ws, rip, "[0 5]", "[1 0 1 0]");
    try t.expectJet(&ws, rip, "[6 0x1.0000.0000.0000.0000.0000.0000.0000.0007]", "[7 0 1 0]");
    try t.expectJet(&ws, rip, "[7 0x1.0000.0000.0000.0000.0000.0000.0000.0007]", "[7 1 0]");
    try t.expectJet(&ws, rip, "[8 0x1.0000.0000.0000.0000.0000.0000.0000.0007]", "[0x1.0000.0000.0000.0000.0000.0000.0000.0007 0]");
    try t.expectJet(&ws, swp, "[3 0x123456]", "0x563412");
    try t.expectJet(&ws, swp, "[3 0]", "0");
    try t.expectJet(&ws, swp, "[6 0x1.0000.0000.0000.0002]", "0x2.0000.0000.0000.0001");
    try t.expectJet(&ws, rev, "[3 3 0x12]", "0x120000");
    try t.expectJet(&ws, rev, "[3 2 0x1234]", "0x3412");
    try t.expectJet(&ws, rev, "[3 1 0x1234]", "0x34");
    try t.expectJet(&ws, rev, "[3 3 0x1200]", "0x1200");
    try t.expectJet(&ws, rev, "[0 4 1]", "8");
    try t.expectJet(&ws, rev, "[3 0 0x1234]", "0");
    try t.expectJet(&ws, rev, "[7 2 1]", "0x1.0000.0000.0000.0000.0000.0000.0000.0000");
    try t.expectJet(&ws, sew, "[3 [1 1 0xff] 0x123456]", "0x12ff56");
    try t.expectJet(&ws, sew, "[0 [0 4 0xa] 0xf0]", "0xfa");
    try t.expectJet(&ws, sew, "[3 [4 1 0xab] 0x12]", "0xab.0000.0012");
    try t.expectJet(&ws, sew, "[3 [0 18446744073709551616 0] 0x12]", "0");
    try t.expectJet(&ws, con, "[5 3]", "7");
    try t.expectJet(&ws, dis, "[6 3]", "2");
    try t.expectJet(&ws, mix, "[6 3]", "5");
}

test "bits: absurd sizes and bad shapes fail cleanly" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJetError(&ws, bex, "1099511627776", error.Meme);
    try t.expectJetError(&ws, bex, "18446744073709551616", error.Meme);
    try t.expectJetError(&ws, lsh, "[[3 18446744073709551616] 1]", error.Meme);
    try t.expectJetError(&ws, lsh, "[64 1]", error.Meme);
    try t.expectJetError(&ws, cat, "[64 1 1]", error.Meme);
    try t.expectJetError(&ws, rep, "[[3 18446744073709551616] [1 1 0]]", error.Meme);
    try t.expectJetError(&ws, can, "[3 [[18446744073709551616 1] [1 1] 0]]", error.Meme);
    try t.expectJetError(&ws, rev, "[3 18446744073709551616 1]", error.Meme);
    try t.expectJetError(&ws, rev, "[64 2 1]", error.Meme);
    try t.expectJetError(&ws, rip, "[[3 0] 5]", error.Meme);
    // 100,001 list cells do not fit in 1 MiB.
    const wide = try atom.bex(&ws, 100_000);
    try testing.expectError(error.Meme, rip(&ws, try t.gate(&ws, try ws.cell(Noun.zero, wide))));
    try t.expectJetError(&ws, sew, "[3 [18446744073709551616 1 1] 0]", error.Meme);
    try t.expectJetError(&ws, met, "[[3 2] 5]", error.Punt);
    try t.expectJetError(&ws, cut, "[[3 2] [0 1] 5]", error.Punt);
    try t.expectJetError(&ws, end, "[[[1 2] 3] 5]", error.Exit);
    try t.expectJetError(&ws, end, "[3 [1 2]]", error.Exit);
    try t.expectJetError(&ws, rap, "[3 [1 2 3]]", error.Exit);
    try t.expectJetError(&ws, can, "[3 [1 0]]", error.Exit);
    try t.expectJetError(&ws, rep, "[3 [[1 2] 0]]", error.Exit);
    try t.expectJetError(&ws, cut, "[3 5 6]", error.Exit);
    try t.expectJetError(&ws, mix, "[[1 2] 3]", error.Exit);
}

test "bits: rip then rep round-trips random atoms" {
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(7);
    const random = prng.random();
    for (0..100) |_| {
        const a = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 1000));
        const bloq = Noun.direct(random.uintLessThan(u64, 9));
        const step = Noun.direct(1 + random.uintLessThan(u64, 5));
        const b = try ws.cell(bloq, step);
        const ripped = try rip(&ws, try t.gate(&ws, try ws.cell(b, a)));
        const back = try rep(&ws, try t.gate(&ws, try ws.cell(b, ripped)));
        try t.expectNoun(&ws, a, back);
        // swp twice is the identity on atoms whose low block is non-zero.
        const once = try swp(&ws, try t.gate(&ws, try ws.cell(bloq, a)));
        const twice = try swp(&ws, try t.gate(&ws, try ws.cell(bloq, once)));
        const low = try atom.end(&ws, a, blockBits(bloq.raw(), 1));
        if (low != Noun.zero) try t.expectNoun(&ws, a, twice);
    }
}
