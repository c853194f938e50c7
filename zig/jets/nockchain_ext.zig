//! Jets of the cubic extension field of Nockchain's zeke library: the gates of its
//! `ext-field` core, registered under `zeke/ext-field/`. Cellar's own Hoon for them is
//! tests/hoon/nockchain_ext.hoon (same names and paths, written independently).
//!
//!   fadd fsub fmul fdiv    [a=felt b=felt] at 12 13
//!   fneg finv              a=felt at 6
//!   fpow                   [x=felt n=@] at 12 13        x^n, 0^0 = 1
//!   bp-ntt                 [bp=bpoly root=belt] 12 13   bp at root^0 .. root^(len-1)
//!   bp-fft                 bp=bpoly at 6                bp-ntt at (ordered-root len)
//!
//! The field is F_p[x] / (x^3 - x + 1) over the Goldilocks field (Nockchain's modulus,
//! from its public source). A felt is an atom of four 64-bit words: the coefficients of
//! 1, x and x^2, each a belt, and then exactly 1, a marker. The jets model only such
//! felts: any other atom, or a cell, punts, so that the arm's own Nock decides (Cellar's
//! Hoon crashes on them). On well-formed felts they crash (Exit) only where the Hoon
//! does: `finv` of zero and `fdiv` by zero.
//!
//! The transforms take a bpoly (see nockchain.zig) whose length n is a power of two and
//! give the n values of the polynomial at the powers of the root, in natural order. The
//! jets model only a root of order exactly n (for n = 1, any belt): with any other root a
//! fast transform and the plain evaluation differ, so those, and lengths that are not
//! powers of two, punt.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const gl = @import("goldilocks.zig");
const nockchain = @import("nockchain.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("fadd", fadd, "[a=felt b=felt] 12 13"),
    E.plain("fsub", fsub, "[a=felt b=felt] 12 13"),
    E.plain("fneg", fneg, "a=felt 6"),
    E.plain("fmul", fmul, "[a=felt b=felt] 12 13"),
    E.plain("finv", finv, "a=felt 6"),
    E.plain("fdiv", fdiv, "[a=felt b=felt] 12 13"),
    E.plain("fpow", fpow, "[x=felt n=@] 12 13"),
    E.plain("bp-ntt", bpNtt, "[bp=bpoly root=belt] 12 13"),
    E.plain("bp-fft", bpFft, "bp=bpoly 6"),
};

pub const layers = [_]E.Layer{
    .{
        .prefix = "one/two/tri/qua/pen/zeke/ext-field",
        .names = &.{ "fadd", "fsub", "fneg", "fmul", "finv", "fdiv", "fpow", "bp-ntt", "bp-fft" },
    },
};

// ------------------------------------------------------------------------- the field

pub const Felt = [3]u64;

pub const zero: Felt = .{ 0, 0, 0 };
pub const one: Felt = .{ 1, 0, 0 };

pub fn add(a: Felt, b: Felt) Felt {
    return .{ gl.add(a[0], b[0]), gl.add(a[1], b[1]), gl.add(a[2], b[2]) };
}

pub fn sub(a: Felt, b: Felt) Felt {
    return .{ gl.sub(a[0], b[0]), gl.sub(a[1], b[1]), gl.sub(a[2], b[2]) };
}

pub fn neg(a: Felt) Felt {
    return .{ gl.neg(a[0]), gl.neg(a[1]), gl.neg(a[2]) };
}

/// The schoolbook product c0 + c1 x + ... + c4 x^4, reduced with x^3 = x - 1 and so
/// x^4 = x^2 - x.
pub fn mul(a: Felt, b: Felt) Felt {
    const c0 = gl.mul(a[0], b[0]);
    const c1 = gl.add(gl.mul(a[0], b[1]), gl.mul(a[1], b[0]));
    const c2 = gl.add(gl.add(gl.mul(a[0], b[2]), gl.mul(a[1], b[1])), gl.mul(a[2], b[0]));
    const c3 = gl.add(gl.mul(a[1], b[2]), gl.mul(a[2], b[1]));
    const c4 = gl.mul(a[2], b[2]);
    return .{ gl.sub(c0, c3), gl.sub(gl.add(c1, c3), c4), gl.add(c2, c4) };
}

/// a^n by squaring, over the limbs of an exponent of any size (little-endian); a^0 = 1.
pub fn powLimbs(a: Felt, n: []const u64) Felt {
    var out = one;
    var x = a;
    for (n, 0..) |limb, i| {
        var bits = limb;
        // Past the last set bit of the last limb, squaring changes nothing.
        const width: u32 = if (i + 1 == n.len) 64 - @clz(limb) else 64;
        var k: u32 = 0;
        while (k < width) : (k += 1) {
            if (bits & 1 == 1) out = mul(out, x);
            bits >>= 1;
            x = mul(x, x);
        }
    }
    return out;
}

/// p^3 - 2, the exponent of the inverse (the multiplicative group has p^3 - 1 elements).
const inverse_exponent: [3]u64 = blk: {
    const e: u192 = @as(u192, gl.p) * gl.p * gl.p - 2;
    break :blk .{ @truncate(e), @truncate(e >> 64), @truncate(e >> 128) };
};

pub fn inv(a: Felt) Felt {
    assert(!std.mem.eql(u64, &a, &zero));
    const r = powLimbs(a, &inverse_exponent);
    assert(std.mem.eql(u64, &mul(a, r), &one));
    return r;
}

// ------------------------------------------------------------------------- nouns

/// A well-formed felt (see the file comment); Punt for anything else.
fn felt(ws: *const Workspace, a: Noun) JetError!Felt {
    if (!a.isIndirect()) return error.Punt;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    if (limbs.len != 4 or limbs[3] != 1) return error.Punt;
    for (limbs[0..3]) |w| if (!gl.based(w)) return error.Punt;
    return limbs[0..3].*;
}

fn feltNoun(ws: *Workspace, a: Felt) JetError!Noun {
    const limbs = try ws.startAtom(4);
    limbs[0..3].* = a;
    limbs[3] = 1;
    return ws.finishAtom(limbs);
}

fn pair(ws: *const Workspace, core: Noun) JetError![2]Felt {
    const a = try felt(ws, try common.slot(ws, core, 12));
    const b = try felt(ws, try common.slot(ws, core, 13));
    return .{ a, b };
}

fn fadd(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return feltNoun(ws, add(ab[0], ab[1]));
}

fn fsub(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return feltNoun(ws, sub(ab[0], ab[1]));
}

fn fneg(ws: *Workspace, core: Noun) JetError!Noun {
    return feltNoun(ws, neg(try felt(ws, try common.slot(ws, core, 6))));
}

fn fmul(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    return feltNoun(ws, mul(ab[0], ab[1]));
}

fn finv(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try felt(ws, try common.slot(ws, core, 6));
    if (std.mem.eql(u64, &a, &zero)) return error.Exit;
    return feltNoun(ws, inv(a));
}

fn fdiv(ws: *Workspace, core: Noun) JetError!Noun {
    const ab = try pair(ws, core);
    if (std.mem.eql(u64, &ab[1], &zero)) return error.Exit;
    return feltNoun(ws, mul(ab[0], inv(ab[1])));
}

fn fpow(ws: *Workspace, core: Noun) JetError!Noun {
    const x = try felt(ws, try common.slot(ws, core, 12));
    const n = try common.slot(ws, core, 13);
    if (n.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    return feltNoun(ws, powLimbs(x, ws.bases.limbs(n, &scratch)));
}

// ------------------------------------------------------------------------- transforms

/// In place: the values of the polynomial `a` (n = a.len coefficients, a power of two) at
/// root^0 .. root^(n-1), for a root of order n. Iterative radix-2: bit-reversed order, then
/// butterflies over blocks of 2, 4, .., n.
pub fn ntt(a: []u64, root: u64) void {
    const n = a.len;
    assert(n >= 1 and n & (n - 1) == 0);
    if (n == 1) return;
    assert(gl.pow(root, n / 2) == gl.p - 1);
    const bits: u6 = @intCast(std.math.log2_int(usize, n));
    for (0..n) |k| {
        const r = @bitReverse(@as(u64, k)) >> @intCast(@as(u7, 64) - bits);
        if (k < r) std.mem.swap(u64, &a[k], &a[@intCast(r)]);
    }
    var half: usize = 1;
    while (half < n) : (half *= 2) {
        const step = gl.pow(root, n / (2 * half));
        var block: usize = 0;
        while (block < n) : (block += 2 * half) {
            var w: u64 = 1;
            for (block..block + half) |j| {
                const u = a[j];
                const v = gl.mul(a[j + half], w);
                a[j] = gl.add(u, v);
                a[j + half] = gl.sub(u, v);
                w = gl.mul(w, step);
            }
        }
    }
}

/// The transform of `coefficients` at `root` as a new bpoly.
fn transformed(ws: *Workspace, coefficients: []const u64, root: u64) JetError!Noun {
    const n = coefficients.len;
    const limbs = try ws.startAtom(n + 1);
    @memcpy(limbs[0..n], coefficients);
    limbs[n] = 1;
    ntt(limbs[0..n], root);
    const len = try ws.atomU64(n);
    return ws.cell(len, ws.finishAtom(limbs));
}

fn bpNtt(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try nockchain.basedWords(ws, try common.slot(ws, core, 12));
    const root_noun = try common.slot(ws, core, 13);
    if (root_noun.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const root_limbs = ws.bases.limbs(root_noun, &scratch);
    if (root_limbs.len != 1) return error.Punt;
    const root = root_limbs[0];
    const n = a.len;
    if (!gl.based(root) or n & (n - 1) != 0) return error.Punt;
    if (n > 1 and gl.pow(root, n / 2) != gl.p - 1) return error.Punt;
    return transformed(ws, a, root);
}

fn bpFft(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try nockchain.basedWords(ws, try common.slot(ws, core, 6));
    const n = a.len;
    if (n & (n - 1) != 0) return error.Punt;
    return transformed(ws, a, gl.orderedRoot(@intCast(std.math.log2_int(usize, n))));
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

fn randomFelt(random: std.Random) Felt {
    var a: Felt = undefined;
    for (&a) |*w| w.* = switch (random.uintLessThan(u8, 4)) {
        0 => random.uintLessThan(u64, 3),
        1 => gl.p - 1 - random.uintLessThan(u64, 3),
        else => random.uintLessThan(u64, gl.p),
    };
    return a;
}

test "nockchain ext: field axioms on random felts" {
    var prng = std.Random.DefaultPrng.init(0xfe17);
    const random = prng.random();
    for (0..500) |_| {
        const a = randomFelt(random);
        const b = randomFelt(random);
        const c = randomFelt(random);
        try testing.expectEqual(mul(a, b), mul(b, a));
        try testing.expectEqual(mul(mul(a, b), c), mul(a, mul(b, c)));
        try testing.expectEqual(mul(a, add(b, c)), add(mul(a, b), mul(a, c)));
        try testing.expectEqual(zero, add(a, neg(a)));
        try testing.expectEqual(a, add(sub(a, b), b));
        try testing.expectEqual(a, mul(a, one));
        if (!std.mem.eql(u64, &a, &zero)) try testing.expectEqual(one, mul(a, inv(a)));
    }
}

test "nockchain ext: the modulus is x^3 - x + 1, and the base field embeds" {
    const x: Felt = .{ 0, 1, 0 };
    // x^3 = x - 1.
    try testing.expectEqual(Felt{ gl.p - 1, 1, 0 }, mul(mul(x, x), x));
    try testing.expectEqual(Felt{ gl.p - 1, 1, 0 }, powLimbs(x, &.{3}));
    // Frobenius: x^p is a root too, so the minimal polynomial evaluates to 0 there.
    const xp = powLimbs(x, &.{gl.p});
    try testing.expectEqual(zero, add(sub(powLimbs(xp, &.{3}), xp), one));
    try testing.expect(!std.mem.eql(u64, &xp, &x));
    try testing.expectEqual(Felt{ gl.inv(7), 0, 0 }, inv(.{ 7, 0, 0 }));
    try testing.expectEqual(one, powLimbs(zero, &.{0}));
    try testing.expectEqual(one, powLimbs(x, &.{ 0, 0 }));
    // The group has order p^3 - 1.
    try testing.expectEqual(one, powLimbs(.{ 3, 5, 9 }, &.{ inverse_exponent[0] + 1, inverse_exponent[1], inverse_exponent[2] }));
}

test "nockchain ext: jets on nouns, crashes and punts" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const x = "0x1.0000.0000.0000.0000.0000.0000.0000.0001.0000.0000.0000.0000";
    const x_cubed = "0x1.0000.0000.0000.0000.0000.0000.0000.0001.ffff.ffff.0000.0000";
    var s: [256]u8 = undefined;
    try t.expectJet(&ws, fpow, try std.fmt.bufPrint(&s, "[{s} 3]", .{x}), x_cubed);
    try t.expectJet(&ws, fmul, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ x, x_cubed }), "0x1.0000.0000.0000.0001.ffff.ffff.0000.0000.0000.0000.0000.0000");
    const felt_zero = "0x1.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000";
    try t.expectJetError(&ws, finv, felt_zero, error.Exit);
    try t.expectJetError(&ws, fdiv, try std.fmt.bufPrint(&s, "[{s} {s}]", .{ x, felt_zero }), error.Exit);
    try t.expectJet(&ws, fneg, felt_zero, felt_zero);
    try t.expectJetError(&ws, fneg, "7", error.Punt);
    try t.expectJetError(&ws, fneg, "0x2.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000", error.Punt);
    try t.expectJetError(&ws, fneg, "0x1.0000.0000.0000.0000.0000.0000.0000.0000.ffff.ffff.0000.0001", error.Punt);
    try t.expectJetError(&ws, fadd, "[[1 2] 3]", error.Punt);
}

test "nockchain ext: the transform agrees with plain evaluation" {
    var prng = std.Random.DefaultPrng.init(0xff7);
    const random = prng.random();
    var buf: [64]u64 = undefined;
    var coefficients: [64]u64 = undefined;
    for (0..7) |log_n| {
        const n = @as(usize, 1) << @intCast(log_n);
        for (coefficients[0..n]) |*x| x.* = random.uintLessThan(u64, gl.p);
        @memcpy(buf[0..n], coefficients[0..n]);
        const root = gl.orderedRoot(@intCast(log_n));
        ntt(buf[0..n], root);
        for (0..n) |k| {
            const z = gl.pow(root, k);
            var acc: u64 = 0;
            var i = n;
            while (i > 0) {
                i -= 1;
                acc = gl.add(gl.mul(acc, z), coefficients[i]);
            }
            try testing.expectEqual(acc, buf[k]);
        }
    }
}

test "nockchain ext: transform jets, and their punts" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // [1 2] at the roots of order 2, 1 and -1: 3 and -1.
    const one_two = "[2 0x1.0000.0000.0000.0002.0000.0000.0000.0001]";
    const three_minus_one = "[2 0x1.ffff.ffff.0000.0000.0000.0000.0000.0003]";
    try t.expectJet(&ws, bpFft, one_two, three_minus_one);
    try t.expectJet(&ws, bpNtt, "[" ++ one_two ++ " 18446744069414584320]", three_minus_one);
    try t.expectJet(&ws, bpNtt, "[[1 0x1.0000.0000.0000.0007] 5]", "[1 0x1.0000.0000.0000.0007]");
    // A root of the wrong order, a length of 3, a malformed bpoly.
    try t.expectJetError(&ws, bpNtt, "[" ++ one_two ++ " 5]", error.Punt);
    try t.expectJetError(&ws, bpFft, "[3 0x1.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000]", error.Punt);
    try t.expectJetError(&ws, bpFft, "[2 0x2.0000.0000.0000.0000.0000.0000.0000.0000]", error.Punt);
}
