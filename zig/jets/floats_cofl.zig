//! Jets of `cofl`, the inner core of Hoon's arbitrary-precision float door `++fl`:
//!   lug  [t a=[e a] s] at 12 [52 53] 27   round the positive `a.a * 2^e.a` (plus a sticky
//!                                         remainder below 2^e.a unless `s`) in kind `t`
//!   drg  a=[e a] at [12 13]               Dragon4: the shortest decimal `[k o]` (o * 10^k)
//!                                         that reads back as `a`
//! Every `fl` operation ends in `lug`, and printing a float (`scow %rd`, `r-co`, `rlyd`)
//! runs `drg`. Both read the door's configuration from the `cofl` core's payload, which is
//! `[[[p v w] r d] parent]`: from the gate, precision `p` at 120, minimum exponent `v` at
//! 242, exponent width `w` at 243, denormal behaviour `d` at 123 (%d keep, %f flush to
//! zero, %i unbounded exponent; any other noun acts as %d). The mode `r` is not read.
//!
//! The jets follow the arms step by step in arbitrary precision (any `p`, `v`, `w`), so
//! they match the Nock for every configuration, not only the four IEEE formats. They crash
//! where the Nock does (a zero mantissa, `p` below 2, too few bits without the sticky bit,
//! an unbounded exponent that underflows) and punt on shapes they do not model: a cell or
//! an unknown tag where an atom or a tag belongs, and sizes far beyond any float format
//! (exponents past 2^40; for `drg`, numbers past 2^16 bits, whose Nock would run for ages).

const std = @import("std");
const assert = std.debug.assert;
const Managed = std.math.big.int.Managed;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("cofl-lug", lugJet, "[t [e a] s] 12 52 53 27; p 120, v 242, w 243, d 123"),
    E.plain("cofl-drg", drgJet, "[e a] 12 13; p 120, v 242, d 123"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/tri/cofl", .names = &.{ "lug", "drg" }, .entry_prefix = "cofl-" },
};

const Error = error{ Exit, Punt, OutOfMemory };

/// Largest exponent magnitude and `w` the jets model; beyond, they punt.
const exponent_limit: u64 = 1 << 40;
/// Largest precision, and largest mantissa of `lug`, in bits.
const precision_limit: u64 = 1 << 20;
/// Largest `p + |e| + met(a)` of `drg`.
const dragon_limit: u64 = 1 << 16;

/// The rounding kinds of `+lug`, by their tags.
pub const Kind = enum(u64) {
    fl = 'f' | 'l' << 8,
    ce = 'c' | 'e' << 8,
    sm = 's' | 'm' << 8,
    lg = 'l' | 'g' << 8,
    ne = 'n' | 'e' << 8,
    na = 'n' | 'a' << 8,
    nt = 'n' | 't' << 8,
};

pub const Den = enum { d, f, i };

/// The door's configuration: `prc` (p, at least 2), `emn` (v), `emx` (v + w; null when
/// `w` is not a small atom) and `den` (d).
pub const Config = struct {
    prc: u64,
    emn: i64,
    emx: ?i64,
    den: Den,
};

/// A positive `fn` of `+lug`: `[%f & e m]` or `[%i &]`.
const Out = union(enum) {
    inf,
    f: struct { e: i64, m: Managed },
};

/// An `@s` atom as an integer, or null beyond `exponent_limit`.
fn signed(n: Noun) ?i64 {
    if (!n.isDirect()) return null;
    const raw = n.raw();
    if (raw >= 2 * exponent_limit) return null;
    const half: i64 = @intCast(raw >> 1);
    return if (raw & 1 == 0) half else -half - 1;
}

/// An integer as an `@s` atom.
fn signedNoun(x: i64) Noun {
    assert(@abs(x) <= 4 * exponent_limit);
    const raw: u64 = if (x >= 0) @as(u64, @intCast(x)) * 2 else @abs(x) * 2 - 1;
    return Noun.direct(raw);
}

/// The configuration from a gate of `cofl`; Exit where reading `prc` crashes.
fn config(ws: *const Workspace, core: Noun) JetError!Config {
    const p = try common.slot(ws, core, 120);
    const v = try common.slot(ws, core, 242);
    const w = try common.slot(ws, core, 243);
    const d = try common.slot(ws, core, 123);
    if (!p.isDirect() or p.raw() > precision_limit) return error.Punt;
    if (p.raw() <= 1) return error.Exit;
    const emn = signed(v) orelse return error.Punt;
    const small_w = w.isDirect() and w.raw() <= exponent_limit;
    const den: Den = if (!d.isDirect()) .d else switch (d.raw()) {
        'f' => .f,
        'i' => .i,
        else => .d,
    };
    return .{
        .prc = p.raw(),
        .emn = emn,
        .emx = if (small_w) emn + @as(i64, @intCast(w.raw())) else null,
        .den = den,
    };
}

fn fromAtom(ws: *const Workspace, gpa: std.mem.Allocator, a: Noun) Error!Managed {
    assert(a.isAtom());
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    var x = try Managed.initCapacity(gpa, @max(limbs.len, 1));
    if (limbs.len == 0) {
        try x.set(0);
        return x;
    }
    @memcpy(x.limbs[0..limbs.len], limbs);
    x.setMetadata(true, limbs.len);
    x.normalize(limbs.len);
    return x;
}

fn toAtom(ws: *Workspace, x: *const Managed) JetError!Noun {
    assert(x.isPositive() or x.eqlZero());
    return ws.atomFromLimbs(x.limbs[0..x.len()]);
}

fn bits(x: *const Managed) u64 {
    return x.bitCountAbs();
}

fn isZero(x: *const Managed) bool {
    return x.eqlZero();
}

/// Whether `x` is a power of two.
fn isPow2(x: *const Managed) bool {
    const limbs = x.limbs[0..x.len()];
    for (limbs[0 .. limbs.len - 1]) |limb| if (limb != 0) return false;
    return std.math.isPowerOfTwo(limbs[limbs.len - 1]) and limbs[limbs.len - 1] != 0;
}

/// `x * k` in place, `k` small.
fn mulSmall(x: *Managed, k: u64) Error!void {
    const n = x.len();
    try x.ensureCapacity(n + 1);
    var carry: u64 = 0;
    for (x.limbs[0..n]) |*limb| {
        const wide = @as(u128, limb.*) * k + carry;
        limb.* = @truncate(wide);
        carry = @intCast(wide >> 64);
    }
    x.limbs[n] = carry;
    x.setMetadata(true, n + 1);
    x.normalize(n + 1);
}

/// How `b` (the `q >= 1` bits shifted out) compares with half a unit, `(bex (dec q))`.
fn cmpHalf(b: *const Managed, q: u64) std.math.Order {
    assert(q >= 1);
    const nb = bits(b);
    assert(nb <= q);
    if (nb < q) return .lt;
    return if (isPow2(b)) .eq else .gt;
}

/// `+xpd`: widen `m * 2^e` to full precision, or down to the minimum exponent.
fn xpd(cfg: Config, e: *i64, m: *Managed) Error!void {
    assert(!isZero(m));
    const ma = bits(m);
    if (ma >= cfg.prc) return;
    const room: u64 = if (e.* > cfg.emn) @intCast(e.* - cfg.emn) else 0;
    const k = if (cfg.den == .i) cfg.prc - ma else @min(room, cfg.prc - ma);
    try m.shiftLeft(m, @intCast(k));
    e.* -= @intCast(k);
}

fn zero(gpa: std.mem.Allocator) Error!Out {
    return .{ .f = .{ .e = 0, .m = try Managed.initSet(gpa, 0) } };
}

/// `+lug` when every bit was shifted out (`b` the bits, `q` how many).
fn underflow(gpa: std.mem.Allocator, cfg: Config, t: Kind, b: *const Managed, q: u64, s: bool) Error!Out {
    if (cfg.den == .i) return error.Exit;
    const half = cmpHalf(b, q);
    const spd = switch (t) {
        .fl, .sm => false,
        .ce, .lg => true,
        .ne, .nt => if (s) half == .gt else half != .lt,
        .na => half != .lt,
    };
    if (!spd) return zero(gpa);
    return .{ .f = .{ .e = cfg.emn, .m = try Managed.initSet(gpa, 1) } };
}

/// The rounding step of `+lug` on `m * 2^e` (`b` the `q` bits shifted out).
fn bump(cfg: Config, t: Kind, e: *i64, m: *Managed, b: *const Managed, q: u64, s: bool) Error!void {
    const exact = isZero(b);
    const up = switch (t) {
        .fl => false,
        .lg => true,
        .ce => !(exact and s),
        .sm => {
            if (!(exact and s)) return;
            if (e.* == cfg.emn and cfg.den != .i) return m.addScalar(m, -1);
            var y = try m.clone();
            defer y.deinit();
            try y.shiftLeft(&y, 1);
            try y.addScalar(&y, -1);
            if (bits(&y) > cfg.prc) return m.addScalar(m, -1);
            e.* -= 1;
            return m.copy(y.toConst());
        },
        .ne, .na, .nt => up: {
            if (exact) return;
            break :up switch (cmpHalf(b, q)) {
                .lt => false,
                .gt => true,
                .eq => switch (t) {
                    .ne => if (s) m.isOdd() else true,
                    .na => true,
                    else => !s,
                },
            };
        },
    };
    if (up) try m.addScalar(m, 1);
}

/// `+lug`: round the positive `m * 2^e0` (plus less than 2^e0 unless `s`); takes `m`.
fn lug(gpa: std.mem.Allocator, cfg: Config, t: Kind, e0: i64, m_in: Managed, s: bool) Error!Out {
    var m = m_in;
    defer m.deinit();
    assert(!isZero(&m));
    const mb = bits(&m);
    if (!s and mb <= cfg.prc) return error.Exit;
    var q: u64 = if (mb > cfg.prc) mb - cfg.prc else 0;
    if (cfg.den != .i and e0 < cfg.emn) q = @max(q, @as(u64, @intCast(cfg.emn - e0)));
    var b = try m.clone();
    defer b.deinit();
    if (q < mb) try b.truncate(&b, .unsigned, @intCast(q));
    if (q < mb) try m.shiftRight(&m, @intCast(q)) else try m.set(0);
    var e = e0 + @as(i64, @intCast(q));
    if (isZero(&m)) return flush(cfg, try underflow(gpa, cfg, t, &b, q, s));
    try xpd(cfg, &e, &m);
    try bump(cfg, t, &e, &m, &b, q, s);
    if (bits(&m) == cfg.prc + 1) {
        try m.shiftRight(&m, 1);
        e += 1;
    }
    if (isZero(&m)) return zero(gpa);
    if (cfg.den == .i) return .{ .f = .{ .e = e, .m = try m.clone() } };
    const emx = cfg.emx orelse return error.Punt;
    if (emx < e) return .inf;
    return flush(cfg, .{ .f = .{ .e = e, .m = try m.clone() } });
}

/// The flush of `+lug` when `den` is %f: a float short of full precision is zero.
fn flush(cfg: Config, x: Out) Error!Out {
    if (cfg.den != .f or x != .f or bits(&x.f.m) == cfg.prc) return x;
    var out = x;
    try out.f.m.set(0);
    out.f.e = 0;
    return out;
}

fn lugJet(ws: *Workspace, core: Noun) JetError!Noun {
    const t_noun = try common.slot(ws, core, 12);
    const s_noun = try common.slot(ws, core, 27);
    const e_noun = try common.slot(ws, core, 52);
    const m_noun = try common.slot(ws, core, 53);
    if (m_noun.isCell()) return error.Punt;
    if (atom.isZero(m_noun)) return error.Exit;
    if (!t_noun.isDirect() or !s_noun.isDirect() or s_noun.raw() > 1) return error.Punt;
    const t = std.enums.fromInt(Kind, t_noun.raw()) orelse return error.Punt;
    const e = signed(e_noun) orelse return error.Punt;
    if (atom.met0(ws, m_noun) > precision_limit) return error.Punt;
    const cfg = try config(ws, core);
    const m = fromAtom(ws, ws.gpa, m_noun) catch return error.Meme;
    var out = lug(ws.gpa, cfg, t, e, m, s_noun.raw() == 0) catch |err| return jetError(err);
    switch (out) {
        .inf => return ws.cell(Noun.direct('i'), Noun.zero),
        .f => |*f| {
            defer f.m.deinit();
            const mantissa = try toAtom(ws, &f.m);
            return ws.tuple(&.{ Noun.direct('f'), Noun.zero, signedNoun(f.e), mantissa });
        },
    }
}

fn jetError(err: Error) JetError {
    return switch (err) {
        error.Exit => error.Exit,
        error.Punt => error.Punt,
        error.OutOfMemory => error.Meme,
    };
}

/// The product of `+drg`: `o * 10^k`.
const Decimal = struct { k: i64, o: Managed };

/// `+drg` on `m * 2^e0`, `m` not zero (taken).
fn dragon(gpa: std.mem.Allocator, cfg: Config, e0: i64, m_in: Managed) Error!Decimal {
    var m = m_in;
    defer m.deinit();
    var e = e0;
    try xpd(cfg, &e, &m);
    const up: usize = if (e >= 0) @intCast(e) else 0;
    const down: usize = if (e < 0) @intCast(-e) else 0;
    var r = try Managed.init(gpa);
    defer r.deinit();
    try r.shiftLeft(&m, up);
    var s = try Managed.initSet(gpa, 1);
    defer s.deinit();
    try s.shiftLeft(&s, down);
    var mn = try Managed.initSet(gpa, 1);
    defer mn.deinit();
    try mn.shiftLeft(&mn, up);
    var mp = try mn.clone();
    defer mp.deinit();
    // The float below is half an ulp away: tighten the lower bound.
    if (bits(&m) == cfg.prc and isPow2(&m) and (e != cfg.emn or cfg.den == .i)) {
        try mp.shiftLeft(&mp, 1);
        try r.shiftLeft(&r, 1);
        try s.shiftLeft(&s, 1);
    }
    var k: i64 = 0;
    try scale(&k, &r, &s, &mn, &mp);
    return digits(gpa, k, &r, &s, &mn, &mp);
}

/// The two scaling loops of `+drg`: `r` up to a tenth of `s`, then `s` above `r + mp/2`.
fn scale(k: *i64, r: *Managed, s: *Managed, mn: *Managed, mp: *Managed) Error!void {
    var s9 = try s.clone();
    defer s9.deinit();
    try s9.addScalar(&s9, 9);
    var ten = try Managed.initSet(r.allocator, 10);
    defer ten.deinit();
    var q = try Managed.init(r.allocator);
    defer q.deinit();
    var rem = try Managed.init(r.allocator);
    defer rem.deinit();
    try q.divFloor(&rem, &s9, &ten);
    while (r.order(q) == .lt) {
        k.* -= 1;
        try mulSmall(r, 10);
        try mulSmall(mn, 10);
        try mulSmall(mp, 10);
    }
    var lhs = try Managed.init(r.allocator);
    defer lhs.deinit();
    var rhs = try Managed.init(r.allocator);
    defer rhs.deinit();
    while (true) {
        try lhs.shiftLeft(r, 1);
        try lhs.add(&lhs, mp);
        try rhs.shiftLeft(s, 1);
        if (lhs.order(rhs) == .lt) break;
        try mulSmall(s, 10);
        k.* += 1;
    }
}

/// The digit loop of `+drg`: digits of `r / s` until within the bounds `mn` and `mp`.
fn digits(gpa: std.mem.Allocator, k0: i64, r: *Managed, s: *Managed, mn: *Managed, mp: *Managed) Error!Decimal {
    var k = k0;
    var o = try Managed.initSet(gpa, 0);
    errdefer o.deinit();
    var u = try Managed.init(gpa);
    defer u.deinit();
    var r10 = try Managed.init(gpa);
    defer r10.deinit();
    var r2 = try Managed.init(gpa);
    defer r2.deinit();
    var s2 = try Managed.init(gpa);
    defer s2.deinit();
    try s2.shiftLeft(s, 1);
    while (true) {
        try r10.copy(r.toConst());
        try mulSmall(&r10, 10);
        try u.divFloor(r, &r10, s);
        assert(u.order(s2) == .lt);
        k -= 1;
        try mulSmall(mn, 10);
        try mulSmall(mp, 10);
        try r2.shiftLeft(r, 1);
        const low = r2.order(mn.*) == .lt;
        // (2s < mp) or (2r > 2s - mp), which is 2r + mp > 2s when 2s >= mp.
        const high = s2.order(mp.*) == .lt or high: {
            var sum = try r2.clone();
            defer sum.deinit();
            try sum.add(&sum, mp);
            break :high sum.order(s2) == .gt;
        };
        try mulSmall(&o, 10);
        try o.add(&o, &u);
        if (!low and !high) continue;
        if (high and (!low or r2.order(s.*) == .gt)) try o.addScalar(&o, 1);
        return .{ .k = k, .o = o };
    }
}

fn drgJet(ws: *Workspace, core: Noun) JetError!Noun {
    const e_noun = try common.slot(ws, core, 12);
    const m_noun = try common.slot(ws, core, 13);
    if (m_noun.isCell()) return error.Punt;
    if (atom.isZero(m_noun)) return error.Exit;
    const e = signed(e_noun) orelse return error.Punt;
    const cfg = try config(ws, core);
    if (cfg.prc + @abs(e) + atom.met0(ws, m_noun) > dragon_limit) return error.Punt;
    const m = fromAtom(ws, ws.gpa, m_noun) catch return error.Meme;
    var d = dragon(ws.gpa, cfg, e, m) catch |err| return jetError(err);
    defer d.o.deinit();
    return ws.cell(signedNoun(d.k), try toAtom(ws, &d.o));
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const th = @import("testing.zig");
const soft = @import("softfloat.zig");

/// The configuration of `pa:rd`: p 53, v -1074, w 2045, mode %n, denormals.
const double_cfg = "[[53 2147 2045] %n %d]";

/// A gate of `cofl`: `[battery sample [battery [config parent]]]`.
fn coflGate(ws: *Workspace, sample: []const u8, cfg: []const u8) !Noun {
    const core = try ws.tuple(&.{ Noun.zero, try th.parse(ws, cfg), Noun.zero });
    return ws.tuple(&.{ Noun.zero, try th.parse(ws, sample), core });
}

fn expectCofl(ws: *Workspace, jet: common.Jet, sample: []const u8, cfg: []const u8, expected: []const u8) !void {
    const product = try jet(ws, try coflGate(ws, sample, cfg));
    try th.expectNoun(ws, try th.parse(ws, expected), product);
}

test "floats_cofl: drg of doubles, hand vectors" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // 1.5 = 3 * 2^-1 (+sea gives 0x18.0000.0000.0000 * 2^-52): 15 * 10^-1.
    try expectCofl(&ws, drgJet, "[103 0x18.0000.0000.0000]", double_cfg, "[1 15]");
    try expectCofl(&ws, drgJet, "[1 3]", double_cfg, "[1 15]");
    // 0.1 is 1 * 10^-1; the smallest subnormal 5 * 10^-324; the largest double.
    try expectCofl(&ws, drgJet, "[111 0x19.9999.9999.999a]", double_cfg, "[1 1]");
    try expectCofl(&ws, drgJet, "[2147 1]", double_cfg, "[647 5]");
    try expectCofl(&ws, drgJet, "[1942 0x1f.ffff.ffff.ffff]", double_cfg, "[584 17976931348623157]");
    // 2^-1074 with infinite range is widened to 53 bits, its neighbours 2^-1127 above and
    // 2^-1128 below (a power of two tightens the lower bound): 17 digits.
    try expectCofl(&ws, drgJet, "[2147 1]", "[[53 2147 2045] %n %i]", "[679 49406564584124654]");
    try expectCofl(&ws, drgJet, "[0 1]", double_cfg, "[0 1]");
}

test "floats_cofl: drg of random doubles reads back and is no longer than the shortest" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    const D = soft.Format(11, 52);
    var prng = std.Random.DefaultPrng.init(13);
    const random = prng.random();
    for (0..4000) |i| {
        var x: u64 = random.int(u64) & 0x7fff_ffff_ffff_ffff;
        if (i % 4 == 0) x &= 0x000f_ffff_ffff_ffff | (@as(u64, random.uintLessThan(u64, 3)) << 52);
        if ((x >> 52) == 0x7ff or x == 0) continue;
        const f = soft.sea(D, x).f;
        var text: [64]u8 = undefined;
        const sample = try std.fmt.bufPrint(&text, "[{d} {d}]", .{ signedNoun(f.e).raw(), @as(u64, @intCast(f.m)) });
        ws.collect();
        const product = try drgJet(&ws, try coflGate(&ws, sample, double_cfg));
        const k = signed(ws.head(product)).?;
        const o = ws.tail(product).raw();
        var buf: [64]u8 = undefined;
        const decimal = try std.fmt.bufPrint(&buf, "{d}e{d}", .{ o, k });
        const back: u64 = @bitCast(try std.fmt.parseFloat(f64, decimal));
        try testing.expectEqual(x, back);
        var shortest: [64]u8 = undefined;
        const ryu = try std.fmt.bufPrint(&shortest, "{e}", .{@as(f64, @bitCast(x))});
        var digits_ryu: usize = 0;
        for (ryu) |ch| {
            if (ch == 'e') break;
            if (std.ascii.isDigit(ch)) digits_ryu += 1;
        }
        var digits_o: usize = 0;
        var rest = o;
        while (rest > 0) : (rest /= 10) digits_o += 1;
        try testing.expect(digits_o <= digits_ryu + 1);
    }
}

test "floats_cofl: lug agrees with the IEEE core on doubles in every kind" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    const D = soft.Format(11, 52);
    var prng = std.Random.DefaultPrng.init(14);
    const random = prng.random();
    const kinds = [_]soft.Lug{ .fl, .ce, .sm, .lg, .ne, .na, .nt };
    const tags = [_][]const u8{ "%fl", "%ce", "%sm", "%lg", "%ne", "%na", "%nt" };
    for (0..20_000) |i| {
        const width = 1 + random.uintLessThan(u32, 200);
        var m: D.Wide = random.int(D.Wide) >> @intCast(256 - width);
        m |= @as(D.Wide, 1) << @intCast(width - 1);
        if (random.boolean()) m &= ~((@as(D.Wide, 1) << @intCast(random.uintLessThan(u32, width))) - 1);
        const e: i64 = random.intRangeAtMost(i64, -1400, 1100) - @as(i64, if (i % 3 == 0) width else 0);
        const exact = random.boolean();
        const kind = i % kinds.len;
        var text: [200]u8 = undefined;
        const sample = try std.fmt.bufPrint(&text, "[{s} [{d} {d}] {d}]", .{ tags[kind], signedNoun(e).raw(), m, @intFromBool(!exact) });
        ws.collect();
        const got = lugJet(&ws, try coflGate(&ws, sample, double_cfg));
        const want = soft.lug(D, kinds[kind], e, m, exact) catch |err| {
            try testing.expectError(err, got);
            continue;
        };
        const expected = switch (want) {
            .inf => try th.parse(&ws, "[%i 0]"),
            .nan => unreachable,
            .f => |f| try ws.tuple(&.{ Noun.direct('f'), Noun.zero, signedNoun(f.e), try ws.atomFromLimbs(&.{ @truncate(f.m), @truncate(f.m >> 64) }) }),
        };
        try th.expectNoun(&ws, expected, try got);
    }
}

test "floats_cofl: lug flushes, keeps infinite range and crashes like the arm" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // p 4, v -10, w 20: 0b1011 * 2^-12 underflows to 0b10 * 2^-10 (rounding to even).
    try expectCofl(&ws, lugJet, "[%ne [23 11] 0]", "[[4 19 20] %n %d]", "[%f 0 19 3]");
    try expectCofl(&ws, lugJet, "[%fl [23 11] 0]", "[[4 19 20] %n %d]", "[%f 0 19 2]");
    // %f flushes what is short of full precision to zero.
    try expectCofl(&ws, lugJet, "[%ne [23 11] 0]", "[[4 19 20] %n %f]", "[%f 0 0 0]");
    try expectCofl(&ws, lugJet, "[%ne [19 11] 0]", "[[4 19 20] %n %f]", "[%f 0 19 11]");
    // %i has no minimum exponent and no overflow.
    try expectCofl(&ws, lugJet, "[%ne [23 11] 0]", "[[4 19 20] %n %i]", "[%f 0 23 11]");
    try expectCofl(&ws, lugJet, "[%ne [200 11] 0]", "[[4 19 20] %n %i]", "[%f 0 200 11]");
    try expectCofl(&ws, lugJet, "[%ne [200 11] 0]", "[[4 19 20] %n %d]", "[%i 0]");
    // Ties: 0b10101 to 4 bits is a tie; even rounds down, away and no-sticky up.
    try expectCofl(&ws, lugJet, "[%ne [0 21] 0]", "[[4 19 20] %n %d]", "[%f 0 2 10]");
    try expectCofl(&ws, lugJet, "[%na [0 21] 0]", "[[4 19 20] %n %d]", "[%f 0 2 11]");
    try expectCofl(&ws, lugJet, "[%nt [0 21] 0]", "[[4 19 20] %n %d]", "[%f 0 2 10]");
    try expectCofl(&ws, lugJet, "[%nt [0 21] 1]", "[[4 19 20] %n %d]", "[%f 0 2 11]");
    try expectCofl(&ws, lugJet, "[%sm [0 8] 0]", "[[4 19 20] %n %d]", "[%f 0 1 15]");
    // Crashes: a zero mantissa, p below 2, too few bits without the sticky bit, an
    // underflow with infinite range cannot happen, so that is not tested here.
    try testing.expectError(error.Exit, lugJet(&ws, try coflGate(&ws, "[%ne [0 0] 0]", double_cfg)));
    try testing.expectError(error.Exit, lugJet(&ws, try coflGate(&ws, "[%ne [0 5] 0]", "[[1 0 9] %n %d]")));
    try testing.expectError(error.Exit, lugJet(&ws, try coflGate(&ws, "[%ne [0 5] 1]", double_cfg)));
    try testing.expectError(error.Exit, drgJet(&ws, try coflGate(&ws, "[0 0]", double_cfg)));
    // Punts: an unknown kind, a non-loobean sticky flag, cells, huge exponents.
    try testing.expectError(error.Punt, lugJet(&ws, try coflGate(&ws, "[%xx [0 5] 0]", double_cfg)));
    try testing.expectError(error.Punt, lugJet(&ws, try coflGate(&ws, "[%ne [0 5] 2]", double_cfg)));
    try testing.expectError(error.Punt, lugJet(&ws, try coflGate(&ws, "[%ne [[1 2] 5] 0]", double_cfg)));
    try testing.expectError(error.Punt, drgJet(&ws, try coflGate(&ws, "[0 [1 2]]", double_cfg)));
    try testing.expectError(error.Punt, drgJet(&ws, try coflGate(&ws, "[0x1.0000.0000.0000 1]", double_cfg)));
    try testing.expectError(error.Punt, lugJet(&ws, try coflGate(&ws, "[%ne [0 5] 0]", "[[53 2147 [1 2]] %n %d]")));
}
