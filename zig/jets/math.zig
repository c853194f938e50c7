//! Jets of Hoon's unsigned arithmetic (`%one` layer): add dec div dvr gte gth lte lth max
//! min mod mul sub. All are gates: `dec` reads its atom sample at axis 6, the others read
//! `[a b]` at 12 and 13. A cell where an atom belongs is Exit.
//!
//! The family table here holds `sqt` of the `%two` layer (the square root with remainder,
//! `[p=root q=rem]` of its atom sample at 6); the `%one` gates are in jets.zig's base table.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const big = std.math.big.int;
const common = @import("common.zig");
const atom = @import("atom.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("sqt", sqt, "a=@ 6"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two", .names = &.{"sqt"} },
};

const Pair = struct { a: Noun, b: Noun };

/// The `[a=@ b=@]` sample of a two-atom gate.
inline fn pair(ws: *const Workspace, core: Noun) JetError!Pair {
    const sample = try common.slot(ws, core, 6);
    if (!sample.isCell()) return error.Exit;
    const p = Pair{ .a = try common.expectAtom(ws.head(sample)), .b = try common.expectAtom(ws.tail(sample)) };
    assert(p.a.isAtom());
    assert(p.b.isAtom());
    return p;
}

pub fn add(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return atom.add(ws, p.a, p.b);
}

pub fn dec(ws: *Workspace, core: Noun) JetError!Noun {
    return atom.dec(ws, try common.atomAt(ws, core, 6));
}

pub fn sub(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return atom.sub(ws, p.a, p.b);
}

pub fn mul(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return atom.mul(ws, p.a, p.b);
}

pub fn div(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return (try atom.divMod(ws, p.a, p.b)).quotient;
}

pub fn mod(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    const remainder = (try atom.divMod(ws, p.a, p.b)).remainder;
    assert(atom.order(ws, remainder, p.b) == .lt);
    return remainder;
}

/// `[p=quotient q=remainder]`.
pub fn dvr(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    const qr = try atom.divMod(ws, p.a, p.b);
    assert(atom.order(ws, qr.remainder, p.b) == .lt);
    return ws.cell(qr.quotient, qr.remainder);
}

pub fn lth(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(atom.order(ws, p.a, p.b) == .lt);
}

pub fn lte(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(atom.order(ws, p.a, p.b) != .gt);
}

pub fn gth(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(atom.order(ws, p.a, p.b) == .gt);
}

pub fn gte(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return Noun.loobean(atom.order(ws, p.a, p.b) != .lt);
}

pub fn max(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return if (atom.order(ws, p.a, p.b) == .gt) p.a else p.b;
}

pub fn min(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try pair(ws, core);
    return if (atom.order(ws, p.a, p.b) == .lt) p.a else p.b;
}

/// `sqt`: `[p q]` with `p` the integer square root of `a` and `q = a - p*p` (Hoon finds `p`
/// bit by bit from the top; Newton's method from above gives the same floor).
pub fn sqt(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    const root = if (a.isDirect())
        Noun.direct(std.math.sqrt(a.raw()))
    else
        try sqrtBig(ws, a);
    const rem = try atom.sub(ws, a, try atom.mul(ws, root, root));
    assert(atom.order(ws, rem, try atom.add(ws, root, root)) != .gt); // a < (p + 1)^2
    return ws.cell(root, rem);
}

/// The floor of the square root of an indirect atom.
fn sqrtBig(ws: *Workspace, a: Noun) JetError!Noun {
    assert(a.isIndirect());
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    const bits = atom.bitsOf(limbs);
    assert(bits > 63);
    const buffer = ws.gpa.alloc(std.math.big.Limb, big.calcSqrtLimbsBufferLen(@intCast(bits))) catch return error.Meme;
    defer ws.gpa.free(buffer);
    const out = try ws.startAtom((limbs.len - 1) / 2 + 1);
    var r: big.Mutable = .{ .limbs = @ptrCast(out), .len = 1, .positive = true };
    r.sqrt(.{ .limbs = @ptrCast(limbs), .positive = true }, buffer);
    assert(r.len <= out.len and r.positive);
    @memset(out[r.len..], 0);
    return ws.finishAtom(out);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "math jets on known values" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, add, "[2 2]", "4");
    try t.expectJet(&ws, add, "[9223372036854775807 1]", "9223372036854775808");
    try t.expectJet(&ws, add, "[18446744073709551615 1]", "18446744073709551616");
    try t.expectJet(&ws, dec, "18446744073709551616", "18446744073709551615");
    try t.expectJet(&ws, dec, "9223372036854775808", "9223372036854775807");
    try t.expectJet(&ws, dec, "1", "0");
    try t.expectJet(&ws, sub, "[18446744073709551616 1]", "18446744073709551615");
    try t.expectJet(&ws, sub, "[5 5]", "0");
    try t.expectJet(&ws, mul, "[12345 67890]", "838102050");
    try t.expectJet(&ws, mul, "[18446744073709551616 18446744073709551616]", "340282366920938463463374607431768211456");
    try t.expectJet(&ws, mul, "[0 340282366920938463463374607431768211456]", "0");
    try t.expectJet(&ws, div, "[340282366920938463463374607431768211457 18446744073709551616]", "18446744073709551616");
    try t.expectJet(&ws, mod, "[340282366920938463463374607431768211457 18446744073709551616]", "1");
    try t.expectJet(&ws, div, "[7 2]", "3");
    try t.expectJet(&ws, mod, "[7 2]", "1");
    try t.expectJet(&ws, dvr, "[17 5]", "[3 2]");
    try t.expectJet(&ws, dvr, "[100000000000000000000000000000000000007 10]", "[10000000000000000000000000000000000000 7]");
    try t.expectJet(&ws, lth, "[1 2]", "0");
    try t.expectJet(&ws, lth, "[2 2]", "1");
    try t.expectJet(&ws, lte, "[2 2]", "0");
    try t.expectJet(&ws, gth, "[18446744073709551616 9223372036854775807]", "0");
    try t.expectJet(&ws, gte, "[9223372036854775807 18446744073709551616]", "1");
    try t.expectJet(&ws, max, "[3 18446744073709551616]", "18446744073709551616");
    try t.expectJet(&ws, min, "[3 18446744073709551616]", "3");
}

test "math jets: crashes and bad samples are Exit" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJetError(&ws, dec, "0", error.Exit);
    try t.expectJetError(&ws, div, "[1 0]", error.Exit);
    try t.expectJetError(&ws, mod, "[18446744073709551616 0]", error.Exit);
    try t.expectJetError(&ws, dvr, "[1 0]", error.Exit);
    try t.expectJetError(&ws, sub, "[1 2]", error.Exit);
    try t.expectJetError(&ws, sub, "[1 18446744073709551616]", error.Exit);
    try t.expectJetError(&ws, add, "[[1 2] 3]", error.Exit);
    try t.expectJetError(&ws, add, "5", error.Exit);
    try t.expectJetError(&ws, dec, "[1 2]", error.Exit);
    try t.expectJetError(&ws, lth, "[1 [2 3]]", error.Exit);
    // A core without a sample.
    try testing.expectError(error.Exit, add(&ws, Noun.direct(7)));
}

test "math jets on big atoms agree with identities" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0x5eed);
    const random = prng.random();
    for (0..200) |_| {
        const a = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 700));
        const b = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 400));
        if (b == Noun.zero) continue;
        const qr = try atom.divMod(&ws, a, b);
        // a == q*b + r and r < b
        const back = try atom.add(&ws, try atom.mul(&ws, qr.quotient, b), qr.remainder);
        try testing.expectEqual(std.math.Order.eq, atom.order(&ws, back, a));
        try testing.expectEqual(std.math.Order.lt, atom.order(&ws, qr.remainder, b));
        const s = try atom.add(&ws, a, b);
        try testing.expectEqual(std.math.Order.eq, atom.order(&ws, try atom.sub(&ws, s, b), a));
    }
}

test "math jets on atoms of tens of thousands of bits" {
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(42);
    const random = prng.random();
    const a = try t.randomAtom(&ws, random, 40_000);
    const b = try t.randomAtom(&ws, random, 25_000);
    const product = try mul(&ws, try t.gate(&ws, try ws.cell(a, b)));
    const quotient = try div(&ws, try t.gate(&ws, try ws.cell(product, b)));
    try testing.expectEqual(std.math.Order.eq, atom.order(&ws, quotient, a));
    const remainder = try mod(&ws, try t.gate(&ws, try ws.cell(try atom.add(&ws, product, Noun.direct(5)), a)));
    try testing.expectEqual(Noun.direct(5), remainder);
    try testing.expectEqual(Noun.zero, try sub(&ws, try t.gate(&ws, try ws.cell(product, product))));
}

test "sqt: root and remainder" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, sqt, "0", "[0 0]");
    try t.expectJet(&ws, sqt, "1", "[1 0]");
    try t.expectJet(&ws, sqt, "17", "[4 1]");
    try t.expectJet(&ws, sqt, "24", "[4 8]");
    try t.expectJet(&ws, sqt, "25", "[5 0]");
    try t.expectJet(&ws, sqt, "9223372036854775807", "[3037000499 5928526806]");
    try t.expectJet(&ws, sqt, "18446744073709551616", "[4294967296 0]");
    try t.expectJet(&ws, sqt, "340282366920938463463374607431768211455", "[18446744073709551615 36893488147419103230]");
    try t.expectJetError(&ws, sqt, "[1 2]", error.Exit);
    var prng = std.Random.DefaultPrng.init(0x5917);
    const random = prng.random();
    for (0..300) |_| {
        const a = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 5000));
        const pq = try sqt(&ws, try t.gate(&ws, a));
        const p = ws.head(pq);
        // p*p + q == a and q <= 2p, so that a < (p + 1)^2.
        const back = try atom.add(&ws, try atom.mul(&ws, p, p), ws.tail(pq));
        try testing.expectEqual(std.math.Order.eq, atom.order(&ws, back, a));
        try testing.expect(atom.order(&ws, ws.tail(pq), try atom.add(&ws, p, p)) != .gt);
        if (common.roomWords(&ws) < (4 << 20) / 8) ws.collect();
    }
}
