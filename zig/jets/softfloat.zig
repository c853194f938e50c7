//! Hoon's IEEE 754 binary floats in exact integer arithmetic: one generic core for the
//! `++rh`, `++rs`, `++rd` and `++rq` doors (exponent bits `w`, fraction bits `p`), which
//! all run `++ff` over the arbitrary-precision `++fl` of hoon.hoon.
//!
//! The core follows `++fl` step by step rather than IEEE 754, because the two differ:
//!   - an overflow is an infinity in every rounding mode (IEEE: the largest finite number
//!     when rounding toward zero, or away from the overflow's direction);
//!   - every NaN result is the positive quiet NaN with only the top fraction bit set;
//!   - an `fma` whose exact sum is not zero but rounds to zero gives +0 (-0 rounding
//!     down), whatever the sign of the exact sum;
//!   - bits of an operand above its width are ignored (`++sea` cuts its fields out).
//! Everything else is correctly rounded, as IEEE 754 asks; the unit tests cross-check round
//! to nearest against the host's f16/f32/f64/f128. The rounding is `+lug` with its seven
//! kinds (floor, ceiling, next smaller, next larger, nearest with ties to even, away from
//! zero, toward zero); `+add` and `+sub` take its shortcuts for an operand far below the
//! other, so those paths are mirrored exactly too. Where `++fl` asserts (`?>`, `?<`), the
//! core returns `error.Exit`; the arithmetic here never reaches those paths.
//!
//! `Format(w, p)` holds a format's constants and types; the operations are generic
//! functions over it (`add(F, r, a, b)`). Mantissas are unsigned integers wide enough for
//! every exact intermediate: the product in `fma` has 2 * prc bits and an aligned sum at
//! most 4 * prc + 1 (`prc` = p + 1).

const std = @import("std");
const assert = std.debug.assert;

pub const Error = error{Exit};

/// The rounding mode in a door's sample `r`: nearest (ties to even), up, down, to zero,
/// away from zero (`++fl` also takes `%a`; the doors' type does not offer it).
pub const Mode = enum { n, u, d, z, a };

/// The kinds of rounding of `+lug`.
pub const Lug = enum { fl, ce, sm, lg, ne, na, nt };

/// `+swr`: the mode for the magnitude of a negative number.
fn swr(r: Mode) Mode {
    return switch (r) {
        .d => .u,
        .u => .d,
        else => r,
    };
}

/// `+rau`: the rounding of a positive result in mode `r`.
fn lugOf(r: Mode) Lug {
    return switch (r) {
        .z, .d => .fl,
        .a, .u => .ce,
        .n => .ne,
    };
}

pub fn Format(comptime w: u16, comptime p: u16) type {
    assert(w >= 2 and p >= 1);
    return struct {
        /// The bits of a float of this format, sign bit on top.
        pub const Bits = std.meta.Int(.unsigned, 1 + w + p);
        pub const prc: u64 = p + 1;
        pub const wide_bits = ((4 * prc + 8 + 63) / 64) * 64;
        pub const Wide = std.meta.Int(.unsigned, wide_bits);
        pub const bias: i64 = (1 << (w - 1)) - 1;
        /// `+me`/`+emn`: the exponent of the subnormals.
        pub const emn: i64 = 1 - bias - p;
        /// `+emx`: the largest exponent of a finite number (`++ff` gives width 2^w - 3).
        pub const emx: i64 = emn + (1 << w) - 3;
        pub const sign_bit: Bits = 1 << (w + p);
        pub const exp_ones: Bits = (1 << w) - 1;
        pub const exp_bits = w;
        pub const frac_bits = p;

        /// A finite `fn` of `++fl`: `pos` is Hoon's sign flag (& for positive).
        pub const Fin = struct { pos: bool, e: i64, m: Wide };
        pub const Fn = union(enum) { nan, inf: bool, f: Fin };

        pub const zero: Fn = .{ .f = .{ .pos = true, .e = 0, .m = 0 } };
        pub const spd: Fn = .{ .f = .{ .pos = true, .e = emn, .m = 1 } };
    };
}

fn met(comptime F: type, m: F.Wide) u64 {
    return F.wide_bits - @clz(m);
}

fn shl(comptime F: type, m: F.Wide, k: u64) F.Wide {
    assert(k == 0 or met(F, m) + k <= F.wide_bits);
    return if (k >= F.wide_bits) 0 else m << @intCast(k);
}

fn shr(comptime F: type, m: F.Wide, k: u64) F.Wide {
    return if (k >= F.wide_bits) 0 else m >> @intCast(k);
}

fn low(comptime F: type, m: F.Wide, k: u64) F.Wide {
    return if (k >= F.wide_bits) m else m & ((@as(F.Wide, 1) << @intCast(k)) - 1);
}

fn absDiff(x: i64, y: i64) u64 {
    return @intCast(if (x >= y) x - y else y - x);
}

/// How `drop` (the `q` bits shifted out) compares with half a unit, 2^(q-1).
fn cmpHalf(comptime F: type, drop: F.Wide, q: u64) std.math.Order {
    assert(q >= 1);
    if (q - 1 >= F.wide_bits) return .lt;
    return std.math.order(drop, @as(F.Wide, 1) << @intCast(q - 1));
}

fn fli(comptime F: type, x: F.Fn) F.Fn {
    return switch (x) {
        .nan => .nan,
        .inf => |pos| .{ .inf = !pos },
        .f => |f| .{ .f = .{ .pos = !f.pos, .e = f.e, .m = f.m } },
    };
}

fn same(comptime F: type, x: F.Fn, y: F.Fn) bool {
    return switch (x) {
        .nan => y == .nan,
        .inf => |pos| y == .inf and y.inf == pos,
        .f => |f| y == .f and y.f.pos == f.pos and y.f.e == f.e and y.f.m == f.m,
    };
}

/// `+sea`: the bits of a float as an `fn`.
pub fn sea(comptime F: type, bits: F.Bits) F.Fn {
    const f: F.Wide = bits & ((@as(F.Bits, 1) << F.frac_bits) - 1);
    const e: F.Bits = (bits >> F.frac_bits) & F.exp_ones;
    const pos = bits & F.sign_bit == 0;
    if (e == 0) {
        if (f == 0) return .{ .f = .{ .pos = pos, .e = 0, .m = 0 } };
        return .{ .f = .{ .pos = pos, .e = F.emn, .m = f } };
    }
    if (e == F.exp_ones) return if (f == 0) .{ .inf = pos } else .nan;
    const exp = @as(i64, @intCast(e)) + F.emn - 1;
    return .{ .f = .{ .pos = pos, .e = exp, .m = f + (@as(F.Wide, 1) << F.frac_bits) } };
}

/// `+bif`: an `fn` as bits, without rounding (crashing where `++ff` asserts).
pub fn bif(comptime F: type, x: F.Fn) Error!F.Bits {
    const inf_bits: F.Bits = F.exp_ones << F.frac_bits;
    switch (x) {
        .nan => return (@as(F.Bits, 1) << (F.frac_bits - 1)) | inf_bits,
        .inf => |pos| return if (pos) inf_bits else inf_bits | F.sign_bit,
        .f => |f| {
            const sign: F.Bits = if (f.pos) 0 else F.sign_bit;
            if (f.m == 0) return sign;
            const ma = met(F, f.m);
            if (ma != F.prc) {
                if (f.e != F.emn or ma > F.prc) return error.Exit;
                return @as(F.Bits, @intCast(f.m)) | sign;
            }
            const field = absDiff(f.e - F.emn + 1, 0);
            if (field >= F.exp_ones) return error.Exit; // Never: +lug bounds e.
            const frac: F.Bits = @intCast(low(F, f.m, F.frac_bits));
            return (@as(F.Bits, @intCast(field)) << F.frac_bits | frac) | sign;
        },
    }
}

/// `+lug` when everything was shifted out: zero or the smallest subnormal.
fn underflow(comptime F: type, t: Lug, drop: F.Wide, q: u64, exact: bool) F.Fn {
    const half = cmpHalf(F, drop, q);
    return switch (t) {
        .fl, .sm => F.zero,
        .ce, .lg => F.spd,
        .ne, .nt => if (half == .lt or (exact and half == .eq)) F.zero else F.spd,
        .na => if (half == .lt) F.zero else F.spd,
    };
}

/// `+lug`: round the positive `m * 2^e` (plus less than 2^e unless `exact`), for the
/// `%d` (denormals) configuration of a format.
pub fn lug(comptime F: type, t: Lug, e0: i64, m0: F.Wide, exact: bool) Error!F.Fn {
    if (m0 == 0) return error.Exit;
    const m_bits = met(F, m0);
    if (!exact and m_bits <= F.prc) return error.Exit;
    var q: u64 = if (m_bits > F.prc) m_bits - F.prc else 0;
    if (e0 < F.emn) q = @max(q, absDiff(F.emn, e0));
    const drop = low(F, m0, q);
    var a = shr(F, m0, q);
    var e = e0 + @as(i64, @intCast(q));
    if (a == 0) return underflow(F, t, drop, q, exact);
    // +xpd: to full precision, or down to the subnormal exponent.
    const a_bits = met(F, a);
    if (a_bits < F.prc) {
        const room: u64 = if (e > F.emn) absDiff(e, F.emn) else 0;
        const k = @min(room, F.prc - a_bits);
        a = shl(F, a, k);
        e -= @intCast(k);
    }
    const up = bump(F, t, &e, &a, drop, q, exact);
    if (up) a += 1;
    if (met(F, a) == F.prc + 1) {
        a >>= 1;
        e += 1;
    }
    if (a == 0) return F.zero;
    if (e > F.emx) return .{ .inf = true };
    return .{ .f = .{ .pos = true, .e = e, .m = a } };
}

/// The rounding step of `+lug`: whether to add one unit (`%sm` steps down itself).
fn bump(comptime F: type, t: Lug, e: *i64, a: *F.Wide, drop: F.Wide, q: u64, exact: bool) bool {
    switch (t) {
        .fl => return false,
        .lg => return true,
        .ce => return !(drop == 0 and exact),
        .sm => {
            if (!(drop == 0 and exact)) return false;
            if (e.* == F.emn) {
                a.* -= 1;
                return false;
            }
            const y = a.* * 2 - 1;
            if (met(F, y) > F.prc) {
                a.* -= 1;
            } else {
                e.* -= 1;
                a.* = y;
            }
            return false;
        },
        .ne, .na, .nt => {
            if (drop == 0) return false;
            const half = cmpHalf(F, drop, q);
            if (half == .eq) return switch (t) {
                .ne => if (exact) a.* & 1 == 1 else true,
                .na => true,
                else => !exact,
            };
            return half == .gt;
        },
    }
}

fn rau(comptime F: type, r: Mode, e: i64, m: F.Wide, exact: bool) Error!F.Fn {
    return lug(F, lugOf(r), e, m, exact);
}

/// `+rou` of the outer core: round a signed `fn`.
fn rou(comptime F: type, r: Mode, x: F.Fn) Error!F.Fn {
    const f = switch (x) {
        .f => |f| f,
        else => return x,
    };
    if (f.m == 0) return .{ .f = .{ .pos = f.pos, .e = 0, .m = 0 } };
    if (f.pos) return rau(F, r, f.e, f.m, true);
    return fli(F, try rau(F, swr(r), f.e, f.m, true));
}

/// `+add` of `cofl` (not exact): `a + b`, both positive.
fn addMag(comptime F: type, r: Mode, a0: F.Fin, b0: F.Fin) Error!F.Fn {
    const a, const b = if (a0.e >= b0.e) .{ a0, b0 } else .{ b0, a0 };
    const q = absDiff(a.e, b.e);
    const ma = met(F, a.m);
    const mb = met(F, b.m);
    const w_a = a.e - @as(i64, @intCast(if (F.prc > ma) F.prc - ma else 0));
    const x_b = b.e + @as(i64, @intCast(mb));
    if (w_a > x_b) {
        const t: Lug = switch (r) {
            .z, .d => .fl,
            .a, .u => .lg,
            .n => .na,
        };
        return lug(F, t, a.e, a.m, true);
    }
    return rau(F, r, b.e, shl(F, a.m, q) + b.m, true);
}

/// `+sub` of `cofl` (not exact): `a - b`, both positive, signed result.
fn subMag(comptime F: type, r: Mode, a: F.Fin, b: F.Fin) Error!F.Fn {
    if (a.e < b.e) return fli(F, try subMag(F, swr(r), b, a));
    const q = absDiff(a.e, b.e);
    const ma = met(F, a.m);
    const mb = met(F, b.m);
    const w_a = a.e - @as(i64, @intCast(if (F.prc > ma) F.prc - ma else 0));
    const x_b = b.e + @as(i64, @intCast(mb + 1));
    if (w_a > x_b) {
        const t: Lug = switch (r) {
            .z, .d => .sm,
            .a, .u => .ce,
            .n => .nt,
        };
        return lug(F, t, a.e, a.m, true);
    }
    const j = shl(F, a.m, q);
    if (j < b.m) return fli(F, try rau(F, swr(r), b.e, b.m - j, true));
    if (j == b.m) return F.zero;
    return rau(F, r, b.e, j - b.m, true);
}

/// `+add` of `++fl`.
pub fn add(comptime F: type, r: Mode, a: F.Fn, b: F.Fn) Error!F.Fn {
    if (a == .nan or b == .nan) return .nan;
    if (a == .inf or b == .inf) {
        if (a == .inf and b == .inf) return if (same(F, a, b)) a else .nan;
        return if (a == .inf) a else b;
    }
    const fa = a.f;
    const fb = b.f;
    if (fa.m == 0 or fb.m == 0) {
        if (!(fa.m == 0 and fb.m == 0)) return rou(F, r, if (fa.m == 0) b else a);
        const pos = if (r == .d) fa.pos and fb.pos else fa.pos or fb.pos;
        return .{ .f = .{ .pos = pos, .e = 0, .m = 0 } };
    }
    const sum = if (fa.pos == fb.pos)
        (if (fa.pos) try addMag(F, r, fa, fb) else fli(F, try addMag(F, swr(r), fa, fb)))
    else if (fa.pos) try subMag(F, r, fa, fb) else try subMag(F, r, fb, fa);
    if (sum == .f and sum.f.m == 0) return .{ .f = .{ .pos = r != .d, .e = 0, .m = 0 } };
    return sum;
}

pub fn sub(comptime F: type, r: Mode, a: F.Fn, b: F.Fn) Error!F.Fn {
    return add(F, r, a, fli(F, b));
}

/// The cases `+mul` and `+emu` share: NaN, infinities, zeros; null for two finite
/// non-zero numbers.
fn mulSpecial(comptime F: type, a: F.Fn, b: F.Fn) ?F.Fn {
    if (a == .nan or b == .nan) return .nan;
    if (a == .inf) {
        if (b == .inf) return .{ .inf = a.inf == b.inf };
        return if (b.f.m == 0) .nan else .{ .inf = a.inf == b.f.pos };
    }
    if (b == .inf) return if (a.f.m == 0) .nan else .{ .inf = a.f.pos == b.inf };
    if (a.f.m == 0 or b.f.m == 0) return .{ .f = .{ .pos = a.f.pos == b.f.pos, .e = 0, .m = 0 } };
    return null;
}

pub fn mul(comptime F: type, r: Mode, a: F.Fn, b: F.Fn) Error!F.Fn {
    if (mulSpecial(F, a, b)) |x| return x;
    const e = a.f.e + b.f.e;
    const m = a.f.m * b.f.m;
    if (a.f.pos == b.f.pos) return rau(F, r, e, m, true);
    return fli(F, try rau(F, swr(r), e, m, true));
}

/// `+emu`: the exact product.
fn emu(comptime F: type, a: F.Fn, b: F.Fn) F.Fn {
    if (mulSpecial(F, a, b)) |x| return x;
    assert(met(F, a.f.m) <= 2 * F.prc and met(F, b.f.m) <= 2 * F.prc);
    return .{ .f = .{ .pos = a.f.pos == b.f.pos, .e = a.f.e + b.f.e, .m = a.f.m * b.f.m } };
}

/// `+fma`: `a * b + c`, rounded once.
pub fn fma(comptime F: type, r: Mode, a: F.Fn, b: F.Fn, c: F.Fn) Error!F.Fn {
    return add(F, r, emu(F, a, b), c);
}

fn divMag(comptime F: type, r: Mode, a: F.Fin, b: F.Fin) Error!F.Fn {
    const ma = met(F, a.m);
    const mb = met(F, b.m);
    var e = a.e;
    var m = a.m;
    if (ma < mb + F.prc + 1) {
        const k = mb + F.prc + 1 - ma;
        e -= @intCast(k);
        m = shl(F, m, k);
    }
    return rau(F, r, e - b.e, m / b.m, m % b.m == 0);
}

pub fn div(comptime F: type, r: Mode, a: F.Fn, b: F.Fn) Error!F.Fn {
    if (a == .nan or b == .nan) return .nan;
    if (a == .inf) return if (b == .inf) .nan else .{ .inf = a.inf == b.f.pos };
    if (b == .inf) return .{ .f = .{ .pos = a.f.pos == b.inf, .e = 0, .m = 0 } };
    const pos = a.f.pos == b.f.pos;
    if (a.f.m == 0) return if (b.f.m == 0) .nan else .{ .f = .{ .pos = pos, .e = 0, .m = 0 } };
    if (b.f.m == 0) return .{ .inf = pos };
    if (pos) return divMag(F, r, a.f, b.f);
    return fli(F, try divMag(F, swr(r), a.f, b.f));
}

fn sqtMag(comptime F: type, r: Mode, a: F.Fin) Error!F.Fn {
    const m_bits = met(F, a.m);
    const x = 2 * (F.prc + 1);
    var k: u64 = if (m_bits < x) x - m_bits else 0;
    if (k & 1 != absDiff(a.e, 0) & 1) k += 1;
    const m = shl(F, a.m, k);
    const e = a.e - @as(i64, @intCast(k));
    assert(@mod(e, 2) == 0);
    const root: F.Wide = std.math.sqrt(m);
    return rau(F, r, @divTrunc(e, 2), root, root * root == m);
}

pub fn sqt(comptime F: type, r: Mode, a: F.Fn) Error!F.Fn {
    switch (a) {
        .nan => return .nan,
        .inf => |pos| return if (pos) a else .nan,
        .f => |f| {
            if (f.m == 0) return .{ .f = .{ .pos = f.pos, .e = 0, .m = 0 } };
            return if (f.pos) sqtMag(F, r, f) else .nan;
        },
    }
}

/// `+ibl`: the integer binary logarithm of a positive finite number.
fn ibl(comptime F: type, a: F.Fin) i64 {
    return @as(i64, @intCast(met(F, a.m))) - 1 + a.e;
}

fn ltMag(comptime F: type, a: F.Fin, b: F.Fin) bool {
    if (a.e == b.e) return a.m < b.m;
    const la = ibl(F, a);
    const lb = ibl(F, b);
    if (la != lb) return la < lb;
    const k = absDiff(a.e, b.e);
    if (a.e < b.e) return shr(F, a.m, k) < b.m;
    return shl(F, a.m, k) < b.m;
}

/// `+lth` of `++fl`: null when either is NaN.
pub fn lth(comptime F: type, a: F.Fn, b: F.Fn) ?bool {
    if (a == .nan or b == .nan) return null;
    if (same(F, a, b)) return false;
    if (a == .inf) return !a.inf;
    if (b == .inf) return b.inf;
    const fa = a.f;
    const fb = b.f;
    if (fa.m == 0 or fb.m == 0) {
        if (fa.m == 0 and fb.m == 0) return false;
        return if (fa.m == 0) fb.pos else !fa.pos;
    }
    if (fa.pos != fb.pos) return fb.pos;
    return if (fa.pos) ltMag(F, fa, fb) else ltMag(F, fb, fa);
}

/// `+equ` of `++fl`: null when either is NaN.
pub fn equ(comptime F: type, a: F.Fn, b: F.Fn) ?bool {
    if (a == .nan or b == .nan) return null;
    if (same(F, a, b)) return true;
    if (a == .inf or b == .inf) return false;
    const fa = a.f;
    const fb = b.f;
    if (fa.m == 0 or fb.m == 0) return fa.m == 0 and fb.m == 0;
    if (fa.e == fb.e or fa.pos != fb.pos) return false;
    if (ibl(F, fa) != ibl(F, fb)) return false;
    const k = absDiff(fa.e, fb.e);
    if (fa.e < fb.e) return shl(F, fb.m, k) == fa.m;
    return shl(F, fa.m, k) == fb.m;
}
// ------------------------------------------------------------------------- tests

const testing = std.testing;

/// A random float of format `F`: exponents often shared with a base one (cancellation,
/// ties, shortcuts), often at the edges (zero, subnormal, largest, infinity, NaN).
fn randomBits(comptime F: type, random: std.Random, base: u64) F.Bits {
    const p = @typeInfo(F.Bits).int.bits - 1 - F.exp_bits;
    const ones: u64 = (1 << F.exp_bits) - 1;
    const e: u64 = switch (random.uintLessThan(u32, 10)) {
        0 => 0,
        1 => 1,
        2 => ones,
        3 => ones - 1,
        4, 5, 6 => @min(ones, base + random.uintLessThan(u64, 3)),
        7 => @min(ones, base + random.uintLessThan(u64, p + 4)),
        else => random.uintLessThan(u64, ones + 1),
    };
    var frac = random.int(F.Bits) & ((@as(F.Bits, 1) << p) - 1);
    switch (random.uintLessThan(u32, 6)) {
        0 => frac &= ~((@as(F.Bits, 1) << @intCast(random.uintLessThan(u32, p))) - 1),
        1 => frac |= (@as(F.Bits, 1) << @intCast(random.uintLessThan(u32, p))) - 1,
        else => {},
    }
    const sign: F.Bits = random.uintLessThan(F.Bits, 2);
    return (sign << (F.exp_bits + p)) | (@as(F.Bits, @intCast(e)) << p) | frac;
}

fn expectSame(comptime F: type, what: []const u8, ins: [3]F.Bits, expected: F.Bits, actual: F.Bits, zero_sign: bool) !void {
    const nan_e = sea(F, expected) == .nan;
    const nan_a = sea(F, actual) == .nan;
    if (nan_e and nan_a) return;
    const mask = ~F.sign_bit;
    if (zero_sign and expected & mask == 0 and actual & mask == 0) return;
    if (expected == actual) return;
    std.debug.print("{s}: {x} {x} {x}: host {x}, soft {x}\n", .{ what, ins[0], ins[1], ins[2], expected, actual });
    return error.TestExpectedEqual;
}

/// Round to nearest against the host's floats of the same format; `H` computes `fma`
/// exactly when it is wider (f16 through f128).
fn crossCheck(comptime F: type, comptime H: type, comptime Fma: type, seed: u64, rounds: usize) !void {
    var prng = std.Random.DefaultPrng.init(seed);
    const random = prng.random();
    for (0..rounds) |_| {
        const base = random.uintLessThan(u64, (1 << F.exp_bits) - 1);
        const ins = [3]F.Bits{ randomBits(F, random, base), randomBits(F, random, base), randomBits(F, random, base) };
        const x: H = @bitCast(ins[0]);
        const y: H = @bitCast(ins[1]);
        const z: H = @bitCast(ins[2]);
        const a = sea(F, ins[0]);
        const b = sea(F, ins[1]);
        const c = sea(F, ins[2]);
        try testing.expectEqual(x < y, lth(F, a, b) orelse false);
        try testing.expectEqual(x == y, equ(F, a, b) orelse false);
        try testing.expectEqual(x <= y, if (lth(F, b, a)) |l| !l else false);
        try expectSame(F, "add", ins, @bitCast(x + y), try bif(F, try add(F, .n, a, b)), false);
        try expectSame(F, "sub", ins, @bitCast(x - y), try bif(F, try sub(F, .n, a, b)), false);
        try expectSame(F, "mul", ins, @bitCast(x * y), try bif(F, try mul(F, .n, a, b)), false);
        // The host's quad division, square root and fma (compiler-rt) are not correctly
        // rounded (subnormal quotients flushed to zero, a root of infinity, a NaN from finite
        // operands): the generic code is checked on the narrower formats here and against
        // the pill's Nock for quads.
        if (H == f128) continue;
        try expectSame(F, "div", ins, @bitCast(x / y), try bif(F, try div(F, .n, a, b)), false);
        try expectSame(F, "sqt", ins, @bitCast(@sqrt(x)), try bif(F, try sqt(F, .n, a)), false);
        const host_fma: H = if (Fma == H) @mulAdd(H, x, y, z) else @floatCast(@as(Fma, x) * @as(Fma, y) + @as(Fma, z));
        try expectSame(F, "fma", ins, @bitCast(host_fma), try bif(F, try fma(F, .n, a, b, c)), true);
    }
}

test "softfloat: round to nearest agrees with the host's f16, f32, f64 and f128" {
    try crossCheck(Format(5, 10), f16, f128, 1, 200_000);
    try crossCheck(Format(8, 23), f32, f32, 2, 200_000);
    try crossCheck(Format(11, 52), f64, f64, 3, 200_000);
    try crossCheck(Format(15, 112), f128, f128, 4, 50_000);
}

/// The SSE rounding mode (MXCSR bits 13-14) for the directed modes of IEEE 754.
fn setHostRounding(r: Mode) void {
    const field: u32 = switch (r) {
        .n => 0,
        .d => 1,
        .u => 2,
        .z => 3,
        .a => unreachable,
    };
    var csr: u32 = 0;
    asm volatile ("stmxcsr (%[p])"
        :
        : [p] "r" (&csr),
        : .{ .memory = true });
    csr = (csr & ~@as(u32, 0x6000)) | (field << 13);
    asm volatile ("ldmxcsr (%[p])"
        :
        : [p] "r" (&csr),
        : .{ .memory = true, .mxcsr = true });
}

/// One host operation under the current MXCSR rounding: operands and result go through
/// volatile memory so that the compiler cannot move the operation across the mode change.
fn hostOp(comptime H: type, op: u8, ins: *volatile [3]H, out: *volatile H) void {
    @setFloatMode(.strict);
    out.* = switch (op) {
        0 => ins[0] + ins[1],
        1 => ins[0] - ins[1],
        2 => ins[0] * ins[1],
        3 => ins[0] / ins[1],
        4 => @sqrt(ins[0]),
        else => @mulAdd(H, ins[0], ins[1], ins[2]),
    };
}

/// Directed rounding against the host's SSE arithmetic, except where Hoon differs from
/// IEEE 754 by design: an overflow is infinite in every mode (IEEE: the largest finite
/// number when rounding away from the overflow), and an fma that rounds to zero is +0.
fn crossCheckDirected(comptime F: type, comptime H: type, seed: u64, rounds: usize) !void {
    const has_fma = std.Target.x86.featureSetHas(@import("builtin").cpu.features, .fma);
    var prng = std.Random.DefaultPrng.init(seed);
    const random = prng.random();
    var ins: [3]H = undefined;
    var out: H = undefined;
    const largest: F.Bits = ((F.exp_ones - 1) << (@typeInfo(F.Bits).int.bits - 1 - F.exp_bits)) - 1 + (1 << (@typeInfo(F.Bits).int.bits - 1 - F.exp_bits));
    for (0..rounds) |i| {
        const r: Mode = switch (i % 3) {
            0 => .u,
            1 => .d,
            else => .z,
        };
        const base = random.uintLessThan(u64, (1 << F.exp_bits) - 1);
        var bits: [3]F.Bits = undefined;
        for (&bits, &ins) |*b, *x| {
            b.* = randomBits(F, random, base);
            x.* = @bitCast(b.*);
        }
        const a = sea(F, bits[0]);
        const b = sea(F, bits[1]);
        const c = sea(F, bits[2]);
        for (0..6) |op| {
            if (op == 5 and !has_fma) continue;
            setHostRounding(r);
            hostOp(H, @intCast(op), &ins, &out);
            setHostRounding(.n);
            const soft = try bif(F, try switch (op) {
                0 => add(F, r, a, b),
                1 => sub(F, r, a, b),
                2 => mul(F, r, a, b),
                3 => div(F, r, a, b),
                4 => sqt(F, r, a),
                else => fma(F, r, a, b, c),
            });
            const host: F.Bits = @bitCast(out);
            const overflow = soft & ~F.sign_bit == F.exp_ones << (@typeInfo(F.Bits).int.bits - 1 - F.exp_bits) and
                host & ~F.sign_bit == largest and (host & F.sign_bit) == (soft & F.sign_bit);
            if (overflow) continue;
            try expectSame(F, @tagName(r), bits, host, soft, op == 5);
        }
    }
}

test "softfloat: directed rounding agrees with the host's f32 and f64 but for overflow" {
    try crossCheckDirected(Format(8, 23), f32, 5, 150_000);
    try crossCheckDirected(Format(11, 52), f64, 6, 150_000);
}

fn expectOp(comptime F: type, r: Mode, op: u8, a: F.Bits, b: F.Bits, expected: F.Bits) !void {
    const x = sea(F, a);
    const y = sea(F, b);
    const got = try bif(F, try switch (op) {
        '+' => add(F, r, x, y),
        '-' => sub(F, r, x, y),
        '*' => mul(F, r, x, y),
        '/' => div(F, r, x, y),
        else => sqt(F, r, x),
    });
    try testing.expectEqual(expected, got);
}

test "softfloat: hand vectors for every mode, overflow, zeros and NaN" {
    const D = Format(11, 52);
    const one: u64 = 0x3ff0000000000000;
    const tiny: u64 = 0x3bc79ca10c924223; // 1e-20
    const max: u64 = 0x7fefffffffffffff;
    const inf: u64 = 0x7ff0000000000000;
    const sign: u64 = 1 << 63;
    // 1 + 1e-20: up and away give the next double, the others 1.
    try expectOp(D, .u, '+', one, tiny, one + 1);
    try expectOp(D, .a, '+', one, tiny, one + 1);
    try expectOp(D, .n, '+', one, tiny, one);
    try expectOp(D, .d, '+', one, tiny, one);
    try expectOp(D, .z, '+', one, tiny, one);
    // 1 - 1e-20: down and toward zero give the double below 1 (half an ulp of 1 lower).
    try expectOp(D, .d, '-', one, tiny, 0x3fefffffffffffff);
    try expectOp(D, .z, '-', one, tiny, 0x3fefffffffffffff);
    try expectOp(D, .u, '-', one, tiny, one);
    try expectOp(D, .a, '-', one, tiny, one);
    // -1 - 1e-20 mirrors it: away from zero and down round the magnitude up.
    try expectOp(D, .d, '-', one | sign, tiny, (one + 1) | sign);
    try expectOp(D, .a, '-', one | sign, tiny, (one + 1) | sign);
    try expectOp(D, .z, '-', one | sign, tiny, one | sign);
    // Overflow is infinite in every mode, toward zero included (IEEE: the largest double).
    for ([_]Mode{ .n, .u, .d, .z, .a }) |r| try expectOp(D, r, '+', max, max, inf);
    try expectOp(D, .z, '*', max | sign, max, inf | sign);
    // x - x is +0, or -0 rounding down; -0 + -0 is -0.
    try expectOp(D, .n, '-', one, one, 0);
    try expectOp(D, .d, '-', one, one, sign);
    try expectOp(D, .n, '+', sign, sign, sign);
    try expectOp(D, .u, '+', sign, 0, 0);
    try expectOp(D, .d, '+', sign, 0, sign);
    // NaNs: the positive quiet NaN whatever comes in; sqrt of -0 is -0.
    try expectOp(D, .n, '-', inf, inf, 0x7ff8000000000000);
    try expectOp(D, .n, '*', 0xfff0000000000001, one, 0x7ff8000000000000);
    try expectOp(D, .n, 's', one | sign, 0, 0x7ff8000000000000);
    try expectOp(D, .n, 's', sign, 0, sign);
    // Subnormals: the smallest one halved rounds to even (zero), up to itself.
    try expectOp(D, .n, '/', 1, 0x4000000000000000, 0);
    try expectOp(D, .u, '/', 1, 0x4000000000000000, 1);
    try expectOp(D, .a, '/', 3, 0x4000000000000000, 2);
    try expectOp(D, .n, '/', 3, 0x4000000000000000, 2);
    // An fma that rounds to zero is +0 whatever the exact sign: 3 * 2^-24 * -0.3335 + 2^-24
    // is -2^-35 (IEEE: -0); rounding down it is the negative smallest subnormal.
    const H = Format(5, 10);
    try testing.expectEqual(@as(H.Bits, 0), try bif(H, try fma(H, .n, sea(H, 3), sea(H, 0xb556), sea(H, 1))));
    try testing.expectEqual(@as(H.Bits, 0x8001), try bif(H, try fma(H, .d, sea(H, 3), sea(H, 0xb556), sea(H, 1))));
    try testing.expectEqual(@as(H.Bits, 0), try bif(H, try fma(H, .u, sea(H, 3), sea(H, 0xb556), sea(H, 1))));
}
