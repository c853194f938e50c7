//! Jets of Nockchain's Goldilocks field and base-field polynomials: the gates of its `zeke`
//! library, which registers as the core %zeke under the compiler layer (`..ut`), each gate
//! directly below it. Cellar's own Hoon for them is tests/hoon/nockchain_field.hoon (the
//! same names and paths, written independently); the math is in goldilocks.zig.
//!
//!   based                  a=@ at 6                     a < p
//!   badd bsub bmul bdiv    [a=belt b=belt] at 12 13     field operations
//!   bneg binv              a=belt at 6
//!   bpow                   [x=belt n=@] at 12 13        x^n, 0^0 = 1
//!   ordered-root           n=@ at 6                     7^((p-1)/n), n = 2^k <= 2^32
//!   init-bpoly             (list @) at 6                pack (low 64 bits of each)
//!   bpoly-to-list          bp=bpoly at 6                unpack
//!   bpadd bpsub bpmul      [bp=bpoly bq=bpoly] at 12 13
//!   bp-hadamard            [bp=bpoly bq=bpoly] at 12 13 pointwise product, equal lengths
//!   bpneg                  bp=bpoly at 6
//!   bpscal                 [c=belt bp=bpoly] at 12 13
//!
//! A belt is an atom below p; a field gate given a larger atom crashes (`?>` in the Hoon),
//! and the jet gives Exit. A bpoly is `[len dat]`: the coefficients are the `len` 64-bit
//! words of `dat`, lowest degree first, and the word at index `len` is exactly 1. The jets
//! model only such bpolys, with `len` in [1, 2^32) and every coefficient a belt: anything
//! else (a cell where an atom goes, a missing or larger marker, a coefficient of p or more)
//! punts, so that the arm's own Nock decides (Nockchain's Hoon and Cellar's agree on the
//! well-formed inputs, and may differ on the others). The only other crash the jets give
//! is `bp-hadamard` on two well-formed bpolys of different lengths.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const gl = @import("goldilocks.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("based", based, "a=@ 6"),
    E.plain("badd", badd, "[a=belt b=belt] 12 13"),
    E.plain("bsub", bsub, "[a=belt b=belt] 12 13"),
    E.plain("bneg", bneg, "a=belt 6"),
    E.plain("bmul", bmul, "[a=belt b=belt] 12 13"),
    E.plain("bdiv", bdiv, "[a=belt b=belt] 12 13"),
    E.plain("binv", binv, "x=belt 6"),
    E.plain("bpow", bpow, "[x=belt n=@] 12 13"),
    E.plain("ordered-root", orderedRoot, "n=@ 6"),
    E.plain("init-bpoly", initBpoly, "poly=(list belt) 6"),
    E.plain("bpoly-to-list", bpolyToList, "bp=bpoly 6"),
    E.plain("bpadd", bpadd, "[bp=bpoly bq=bpoly] 12 13"),
    E.plain("bpsub", bpsub, "[bp=bpoly bq=bpoly] 12 13"),
    E.plain("bpneg", bpneg, "bp=bpoly 6"),
    E.plain("bpscal", bpscal, "[c=belt bp=bpoly] 12 13"),
    E.plain("bpmul", bpmul, "[bp=bpoly bq=bpoly] 12 13"),
    E.plain("bp-hadamard", bpHadamard, "[bp=bpoly bq=bpoly] 12 13"),
};

pub const layers = [_]E.Layer{
    .{
        .prefix = "one/two/tri/qua/pen/zeke",
        .names = &.{
            "based", "badd",  "bsub",         "bneg",       "bmul",          "bdiv",
            "binv",  "bpow",  "ordered-root", "init-bpoly", "bpoly-to-list", "bpadd",
            "bpsub", "bpneg", "bpscal",       "bpmul",      "bp-hadamard",
        },
    },
};

// ------------------------------------------------------------------------- samples

/// A sample atom as a u64; null for an atom of more than 64 bits. A cell punts: the Hoon
/// types these samples as atoms, and only its Nock knows what a cell does.
fn word(ws: *const Workspace, a: Noun) JetError!?u64 {
    if (a.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    return if (limbs.len == 1) limbs[0] else null;
}

/// A sample atom that must be a belt: Exit when it is p or more, as the Hoon's `?>` does.
fn belt(ws: *const Workspace, a: Noun) JetError!u64 {
    const w = try word(ws, a) orelse return error.Exit;
    if (!gl.based(w)) return error.Exit;
    return w;
}

fn pair(ws: *const Workspace, core: Noun) JetError![2]u64 {
    const a = try belt(ws, try common.slot(ws, core, 12));
    const b = try belt(ws, try common.slot(ws, core, 13));
    return .{ a, b };
}

/// The coefficients of a well-formed bpoly (see the file comment), as a view of its atom;
/// Punt for anything else.
fn bpolyWords(ws: *const Workspace, bp: Noun) JetError![]const u64 {
    if (!bp.isCell()) return error.Punt;
    const len_noun = ws.head(bp);
    const dat = ws.tail(bp);
    if (!len_noun.isDirect() or !dat.isIndirect()) return error.Punt;
    const len = len_noun.directValue();
    if (len == 0 or len >= 1 << 32) return error.Punt;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(dat, &scratch);
    if (limbs.len != len + 1 or limbs[limbs.len - 1] != 1) return error.Punt;
    return limbs[0..@intCast(len)];
}

/// A well-formed bpoly whose coefficients are all belts; Punt otherwise.
pub fn basedWords(ws: *const Workspace, bp: Noun) JetError![]const u64 {
    const words = try bpolyWords(ws, bp);
    for (words) |w| if (!gl.based(w)) return error.Punt;
    return words;
}

/// A new bpoly of `len` coefficients, all zero: fill `coefficients`, then `finish`.
const Builder = struct {
    limbs: []u64,

    fn init(ws: *Workspace, len: usize) JetError!Builder {
        assert(len >= 1);
        if (len >= 1 << 32) return error.Punt;
        const limbs = try ws.startAtom(len + 1);
        limbs[len] = 1;
        return .{ .limbs = limbs };
    }

    fn coefficients(b: Builder) []u64 {
        return b.limbs[0 .. b.limbs.len - 1];
    }

    fn finish(b: Builder, ws: *Workspace) JetError!Noun {
        assert(b.limbs[b.limbs.len - 1] == 1);
        const len = try ws.atomU64(b.limbs.len - 1);
        const dat = ws.finishAtom(b.limbs);
        return ws.cell(len, dat);
    }
};

// ------------------------------------------------------------------------- field

fn based(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try word(ws, try common.slot(ws, core, 6));
    return Noun.loobean(if (a) |w| gl.based(w) else false);
}

fn badd(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return ws.atomU64(gl.add(ab[0], ab[1]));
}

fn bsub(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return ws.atomU64(gl.sub(ab[0], ab[1]));
}

fn bneg(ws: *Workspace, core: Noun) JetError!Noun {
    return ws.atomU64(gl.neg(try belt(ws, try common.slot(ws, core, 6))));
}

fn bmul(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return ws.atomU64(gl.mul(ab[0], ab[1]));
}

fn bdiv(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    if (ab[1] == 0) return error.Exit;
    return ws.atomU64(gl.mul(ab[0], gl.inv(ab[1])));
}

fn binv(ws: *Workspace, core: Noun) JetError!Noun {
    const x = try belt(ws, try common.slot(ws, core, 6));
    if (x == 0) return error.Exit;
    return ws.atomU64(gl.inv(x));
}

fn bpow(ws: *Workspace, core: Noun) JetError!Noun {
    const x = try belt(ws, try common.slot(ws, core, 12));
    const n = try common.slot(ws, core, 13);
    if (n.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    return ws.atomU64(gl.powLimbs(x, ws.bases.limbs(n, &scratch)));
}

fn orderedRoot(ws: *Workspace, core: Noun) JetError!Noun {
    const n = try word(ws, try common.slot(ws, core, 6)) orelse return error.Exit;
    if (n == 0 or n > 1 << 32 or n & (n - 1) != 0) return error.Exit;
    return ws.atomU64(gl.orderedRoot(@intCast(std.math.log2_int(u64, n))));
}

// ------------------------------------------------------------------------- polynomials

fn initBpoly(ws: *Workspace, core: Noun) JetError!Noun {
    const list = try common.slot(ws, core, 6);
    var len: u64 = 0;
    var x = list;
    while (x.isCell()) : (x = ws.tail(x)) {
        if (ws.head(x).isCell()) return error.Punt;
        len += 1;
    }
    if (x != Noun.zero or len >= 1 << 32) return error.Punt;
    const b = try Builder.init(ws, @intCast(@max(len, 1)));
    const out = b.coefficients();
    var i: usize = 0;
    x = list;
    while (x.isCell()) : (x = ws.tail(x)) {
        var scratch: u64 = undefined;
        out[i] = ws.bases.limbs(ws.head(x), &scratch)[0];
        i += 1;
    }
    assert(i == len);
    return b.finish(ws);
}

fn bpolyToList(ws: *Workspace, core: Noun) JetError!Noun {
    const words = try bpolyWords(ws, try common.slot(ws, core, 6));
    assert(words.len >= 1);
    // The view of the sample stays valid: allocation never moves or collects.
    const block = try common.listBlock(ws, words.len, Noun.zero);
    for (words, 0..) |w, i| common.setHead(block, i, try ws.atomU64(w));
    return common.blockNoun(block);
}

const Op = enum { add, sub };

fn addOrSub(ws: *Workspace, core: Noun, op: Op) JetError!Noun {
    const p = try basedWords(ws, try common.slot(ws, core, 12));
    const q = try basedWords(ws, try common.slot(ws, core, 13));
    const b = try Builder.init(ws, @max(p.len, q.len));
    for (b.coefficients(), 0..) |*out, i| {
        const x = if (i < p.len) p[i] else 0;
        const y = if (i < q.len) q[i] else 0;
        out.* = switch (op) {
            .add => gl.add(x, y),
            .sub => gl.sub(x, y),
        };
    }
    return b.finish(ws);
}

fn bpadd(ws: *Workspace, core: Noun) JetError!Noun {
    return addOrSub(ws, core, .add);
}

fn bpsub(ws: *Workspace, core: Noun) JetError!Noun {
    return addOrSub(ws, core, .sub);
}

fn bpneg(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try basedWords(ws, try common.slot(ws, core, 6));
    const b = try Builder.init(ws, p.len);
    for (b.coefficients(), p) |*out, x| out.* = gl.neg(x);
    return b.finish(ws);
}

fn bpscal(ws: *Workspace, core: Noun) JetError!Noun {
    // The Hoon unpacks the bpoly first (a malformed one punts), then crashes on a c that
    // is not a belt.
    _ = try bpolyWords(ws, try common.slot(ws, core, 13));
    const c = try belt(ws, try common.slot(ws, core, 12));
    const q = try basedWords(ws, try common.slot(ws, core, 13));
    const b = try Builder.init(ws, q.len);
    for (b.coefficients(), q) |*out, x| out.* = gl.mul(c, x);
    return b.finish(ws);
}

fn isZero(words: []const u64) bool {
    return words.len == 1 and words[0] == 0;
}

/// Schoolbook product (the result has len p + len q - 1 coefficients, no trimming); the
/// zero polynomial (one zero coefficient) times anything, well-formed, is itself.
fn bpmul(ws: *Workspace, core: Noun) JetError!Noun {
    const p_any = try bpolyWords(ws, try common.slot(ws, core, 12));
    const q_any = try bpolyWords(ws, try common.slot(ws, core, 13));
    if (isZero(p_any) or isZero(q_any)) {
        const b = try Builder.init(ws, 1);
        return b.finish(ws);
    }
    const p = try basedWords(ws, try common.slot(ws, core, 12));
    const q = try basedWords(ws, try common.slot(ws, core, 13));
    const b = try Builder.init(ws, p.len + q.len - 1);
    const out = b.coefficients();
    for (p, 0..) |x, i| {
        if (x == 0) continue;
        for (q, 0..) |y, j| out[i + j] = gl.add(out[i + j], gl.mul(x, y));
    }
    return b.finish(ws);
}

fn bpHadamard(ws: *Workspace, core: Noun) JetError!Noun {
    const p_any = try bpolyWords(ws, try common.slot(ws, core, 12));
    const q_any = try bpolyWords(ws, try common.slot(ws, core, 13));
    if (p_any.len != q_any.len) return error.Exit;
    const p = try basedWords(ws, try common.slot(ws, core, 12));
    const q = try basedWords(ws, try common.slot(ws, core, 13));
    const b = try Builder.init(ws, p.len);
    for (b.coefficients(), p, q) |*out, x, y| out.* = gl.mul(x, y);
    return b.finish(ws);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test {
    _ = gl;
}

/// The bpoly of `coefficients`, as noun text.
fn bpolyText(buf: []u8, coefficients: []const u64) ![]const u8 {
    var limbs: [9]u64 = @splat(0);
    assert(coefficients.len < limbs.len);
    @memcpy(limbs[0..coefficients.len], coefficients);
    limbs[coefficients.len] = 1;
    var w: std.Io.Writer = .fixed(buf);
    try w.print("[{d} 0x", .{coefficients.len});
    var i = coefficients.len + 1;
    while (i > 0) {
        i -= 1;
        try w.print("{x:0>16}", .{limbs[i]});
    }
    try w.writeAll("]");
    return w.buffered();
}

test "nockchain: field gates, known values and crashes" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const p = "18446744069414584321";
    try t.expectJet(&ws, badd, "[18446744069414584320 5]", "4");
    try t.expectJet(&ws, bsub, "[3 5]", "18446744069414584319");
    try t.expectJet(&ws, bneg, "0", "0");
    try t.expectJet(&ws, bneg, "1", "18446744069414584320");
    try t.expectJet(&ws, bmul, "[18446744069414584320 18446744069414584320]", "1");
    try t.expectJet(&ws, binv, "2", "9223372034707292161");
    try t.expectJet(&ws, bdiv, "[1 2]", "9223372034707292161");
    try t.expectJet(&ws, bpow, "[7 0]", "1");
    try t.expectJet(&ws, bpow, "[0 0]", "1");
    // 2 has order 192 and 2^64 = 64 (mod 192): 2^(2^64) = 2^64 = 2^32 - 1 (mod p).
    try t.expectJet(&ws, bpow, "[2 0x1.0000.0000.0000.0000]", "4294967295");
    try t.expectJet(&ws, orderedRoot, "4", "281474976710656");
    try t.expectJet(&ws, orderedRoot, "1", "1");
    try t.expectJet(&ws, based, p, "1");
    try t.expectJet(&ws, based, "0x1.0000.0000.0000.0000", "1");
    try t.expectJet(&ws, based, "18446744069414584320", "0");
    try t.expectJetError(&ws, badd, "[" ++ p ++ " 1]", error.Exit);
    try t.expectJetError(&ws, bmul, "[1 0x1.0000.0000.0000.0000]", error.Exit);
    try t.expectJetError(&ws, bneg, p, error.Exit);
    try t.expectJetError(&ws, binv, "0", error.Exit);
    try t.expectJetError(&ws, bdiv, "[1 0]", error.Exit);
    try t.expectJetError(&ws, bpow, "[" ++ p ++ " 0]", error.Exit);
    try t.expectJetError(&ws, orderedRoot, "0", error.Exit);
    try t.expectJetError(&ws, orderedRoot, "12", error.Exit);
    try t.expectJetError(&ws, orderedRoot, "8589934592", error.Exit);
    try t.expectJetError(&ws, badd, "[[1 2] 3]", error.Punt);
}

test "nockchain: polynomial gates" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var b1: [256]u8 = undefined;
    var b2: [256]u8 = undefined;
    var b3: [256]u8 = undefined;
    var s: [600]u8 = undefined;
    const one_two = try bpolyText(&b1, &.{ 1, 2 });
    const three_four_five = try bpolyText(&b2, &.{ 3, 4, 5 });
    try t.expectJet(&ws, bpmul, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, three_four_five }), try bpolyText(&b3, &.{ 3, 10, 13, 10 }));
    try t.expectJet(&ws, bpadd, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, three_four_five }), try bpolyText(&b3, &.{ 4, 6, 5 }));
    try t.expectJet(&ws, bpsub, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, three_four_five }), try bpolyText(&b3, &.{ gl.p - 2, gl.p - 2, gl.p - 5 }));
    try t.expectJet(&ws, bpneg, one_two, try bpolyText(&b3, &.{ gl.p - 1, gl.p - 2 }));
    try t.expectJet(&ws, bpscal, try std.fmt.bufPrint(&s, "[3 {s}]", .{one_two}), try bpolyText(&b3, &.{ 3, 6 }));
    try t.expectJet(&ws, bpolyToList, one_two, "[1 2 0]");
    try t.expectJet(&ws, initBpoly, "[1 2 0]", one_two);
    try t.expectJet(&ws, initBpoly, "0", try bpolyText(&b3, &.{0}));
    try t.expectJet(&ws, initBpoly, "[0x1.0000.0000.0000.0003 0]", try bpolyText(&b3, &.{3}));
    var b4: [256]u8 = undefined;
    const zero = try bpolyText(&b4, &.{0});
    const bad = "[2 0x1.ffff.ffff.ffff.ffff.0000.0000.0000.0000]";
    try t.expectJet(&ws, bpmul, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ zero, bad }), zero);
    try t.expectJetError(&ws, bpmul, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, bad }), error.Punt);
    try t.expectJetError(&ws, bpneg, "[2 0x2.0000.0000.0000.0000.0000.0000.0000.0000]", error.Punt);
    try t.expectJetError(&ws, bpneg, "[0 0x1]", error.Punt);
    try t.expectJetError(&ws, bpHadamard, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, three_four_five }), error.Exit);
    try t.expectJet(&ws, bpHadamard, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ one_two, one_two }), try bpolyText(&b3, &.{ 1, 4 }));
}

test "nockchain: bpmul agrees with the field on random polynomials" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0xb901);
    const random = prng.random();
    for (0..50) |_| {
        var a: [6]u64 = undefined;
        var b: [6]u64 = undefined;
        const la = random.intRangeAtMost(usize, 1, 6);
        const lb = random.intRangeAtMost(usize, 1, 6);
        for (a[0..la]) |*x| x.* = random.uintLessThan(u64, gl.p);
        for (b[0..lb]) |*x| x.* = random.uintLessThan(u64, gl.p);
        var b1: [256]u8 = undefined;
        var b2: [256]u8 = undefined;
        var s: [600]u8 = undefined;
        const sample = try std.fmt.bufPrint(&s, "[{s} {s}]", .{ try bpolyText(&b1, a[0..la]), try bpolyText(&b2, b[0..lb]) });
        const product = try bpmul(&ws, try t.gate(&ws, try t.parse(&ws, sample)));
        const got = try bpolyWords(&ws, product);
        try testing.expectEqual(la + lb - 1, got.len);
        // Evaluate both sides at a random point: (a*b)(z) = a(z) * b(z).
        const z = random.uintLessThan(u64, gl.p);
        try testing.expectEqual(gl.mul(horner(a[0..la], z), horner(b[0..lb], z)), horner(got, z));
    }
}

fn horner(coefficients: []const u64, z: u64) u64 {
    var acc: u64 = 0;
    var i = coefficients.len;
    while (i > 0) {
        i -= 1;
        acc = gl.add(gl.mul(acc, z), coefficients[i]);
    }
    return acc;
}
