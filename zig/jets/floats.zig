//! Jets of Hoon's IEEE floats: the arms of the doors `rh`, `rs`, `rd` and `rq` (half,
//! single, double, quad precision), on the exact soft-float core of `softfloat.zig`.
//!
//! Each arm is a gate inside its door `|_  r=$?(%n %u %d %z)`: the gate's sample at 6, the
//! door at 7 and so the rounding mode `r` at 30.
//!   add sub mul div              [a b] at 12 13            a float (the width's bits)
//!   fma                          [a b c] at 12 26 27       a * b + c, rounded once
//!   sqt                          a at 6                    the square root
//!   lth lte equ gte gth          [a b] at 12 13            a loobean; NaN compares false
//! An operand is any atom: like `++sea`, the jets read only its low 1 + w + p bits. The
//! jets punt on a cell operand and on a mode other than %n %u %d %z %a (the door's type
//! has no %a, but `++fl` rounds with it, away from zero). The comparisons ignore the mode.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const soft = @import("softfloat.zig");
const JetError = common.JetError;

pub const Half = soft.Format(5, 10);
pub const Single = soft.Format(8, 23);
pub const Double = soft.Format(11, 52);
pub const Quad = soft.Format(15, 112);

const arms = [_][]const u8{ "add", "sub", "mul", "div", "fma", "sqt", "lth", "lte", "equ", "gte", "gth" };

const H = Jets(Half);
const S = Jets(Single);
const D = Jets(Double);
const Q = Jets(Quad);

/// The arms of each door, named by door (`rd-add` is `add` of `rd`); operands `@rh` to
/// `@rq` by door, `r` the door's rounding mode.
pub const entries = [_]E.Entry{
    E.plain("rh-add", H.binary(soft.add), "[a b] 12 13; r 30"),
    E.plain("rh-sub", H.binary(soft.sub), "[a b] 12 13; r 30"),
    E.plain("rh-mul", H.binary(soft.mul), "[a b] 12 13; r 30"),
    E.plain("rh-div", H.binary(soft.div), "[a b] 12 13; r 30"),
    E.plain("rh-fma", H.fma, "[a b c] 12 26 27; r 30"),
    E.plain("rh-sqt", H.sqt, "a 6; r 30"),
    E.plain("rh-lth", H.compare(.lth), "[a b] 12 13"),
    E.plain("rh-lte", H.compare(.lte), "[a b] 12 13"),
    E.plain("rh-equ", H.compare(.equ), "[a b] 12 13"),
    E.plain("rh-gte", H.compare(.gte), "[a b] 12 13"),
    E.plain("rh-gth", H.compare(.gth), "[a b] 12 13"),
    E.plain("rs-add", S.binary(soft.add), "[a b] 12 13; r 30"),
    E.plain("rs-sub", S.binary(soft.sub), "[a b] 12 13; r 30"),
    E.plain("rs-mul", S.binary(soft.mul), "[a b] 12 13; r 30"),
    E.plain("rs-div", S.binary(soft.div), "[a b] 12 13; r 30"),
    E.plain("rs-fma", S.fma, "[a b c] 12 26 27; r 30"),
    E.plain("rs-sqt", S.sqt, "a 6; r 30"),
    E.plain("rs-lth", S.compare(.lth), "[a b] 12 13"),
    E.plain("rs-lte", S.compare(.lte), "[a b] 12 13"),
    E.plain("rs-equ", S.compare(.equ), "[a b] 12 13"),
    E.plain("rs-gte", S.compare(.gte), "[a b] 12 13"),
    E.plain("rs-gth", S.compare(.gth), "[a b] 12 13"),
    E.plain("rd-add", D.binary(soft.add), "[a b] 12 13; r 30"),
    E.plain("rd-sub", D.binary(soft.sub), "[a b] 12 13; r 30"),
    E.plain("rd-mul", D.binary(soft.mul), "[a b] 12 13; r 30"),
    E.plain("rd-div", D.binary(soft.div), "[a b] 12 13; r 30"),
    E.plain("rd-fma", D.fma, "[a b c] 12 26 27; r 30"),
    E.plain("rd-sqt", D.sqt, "a 6; r 30"),
    E.plain("rd-lth", D.compare(.lth), "[a b] 12 13"),
    E.plain("rd-lte", D.compare(.lte), "[a b] 12 13"),
    E.plain("rd-equ", D.compare(.equ), "[a b] 12 13"),
    E.plain("rd-gte", D.compare(.gte), "[a b] 12 13"),
    E.plain("rd-gth", D.compare(.gth), "[a b] 12 13"),
    E.plain("rq-add", Q.binary(soft.add), "[a b] 12 13; r 30"),
    E.plain("rq-sub", Q.binary(soft.sub), "[a b] 12 13; r 30"),
    E.plain("rq-mul", Q.binary(soft.mul), "[a b] 12 13; r 30"),
    E.plain("rq-div", Q.binary(soft.div), "[a b] 12 13; r 30"),
    E.plain("rq-fma", Q.fma, "[a b c] 12 26 27; r 30"),
    E.plain("rq-sqt", Q.sqt, "a 6; r 30"),
    E.plain("rq-lth", Q.compare(.lth), "[a b] 12 13"),
    E.plain("rq-lte", Q.compare(.lte), "[a b] 12 13"),
    E.plain("rq-equ", Q.compare(.equ), "[a b] 12 13"),
    E.plain("rq-gte", Q.compare(.gte), "[a b] 12 13"),
    E.plain("rq-gth", Q.compare(.gth), "[a b] 12 13"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/tri/rh", .names = &arms, .entry_prefix = "rh-" },
    .{ .prefix = "one/two/tri/rs", .names = &arms, .entry_prefix = "rs-" },
    .{ .prefix = "one/two/tri/rd", .names = &arms, .entry_prefix = "rd-" },
    .{ .prefix = "one/two/tri/rq", .names = &arms, .entry_prefix = "rq-" },
};

const Comparison = enum { lth, lte, equ, gte, gth };

/// The door's rounding mode; null (punt) for anything `++fl` does not round with.
fn mode(ws: *const Workspace, core: Noun) JetError!?soft.Mode {
    const r = try common.slot(ws, core, 30);
    if (!r.isDirect()) return null;
    return switch (r.raw()) {
        'n' => .n,
        'u' => .u,
        'd' => .d,
        'z' => .z,
        'a' => .a,
        else => null,
    };
}

fn Jets(comptime F: type) type {
    return struct {
        /// The low bits of an operand that `++sea` reads; Punt on a cell.
        fn operand(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!F.Fn {
            const a = try common.slot(ws, core, axis);
            if (a.isCell()) return error.Punt;
            var scratch: u64 = undefined;
            const limbs = ws.bases.limbs(a, &scratch);
            var v: u128 = if (limbs.len > 0) limbs[0] else 0;
            if (limbs.len > 1) v |= @as(u128, limbs[1]) << 64;
            return soft.sea(F, @truncate(v));
        }

        fn product(ws: *Workspace, x: soft.Error!F.Fn) JetError!Noun {
            const bits: u128 = try soft.bif(F, try x);
            return ws.atomFromLimbs(&.{ @truncate(bits), @truncate(bits >> 64) });
        }

        fn binary(comptime op: anytype) common.Jet {
            return struct {
                fn jet(ws: *Workspace, core: Noun) JetError!Noun {
                    const r = try mode(ws, core) orelse return error.Punt;
                    const a = try operand(ws, core, 12);
                    const b = try operand(ws, core, 13);
                    return product(ws, op(F, r, a, b));
                }
            }.jet;
        }

        fn fma(ws: *Workspace, core: Noun) JetError!Noun {
            const r = try mode(ws, core) orelse return error.Punt;
            const a = try operand(ws, core, 12);
            const b = try operand(ws, core, 26);
            const c = try operand(ws, core, 27);
            return product(ws, soft.fma(F, r, a, b, c));
        }

        fn sqt(ws: *Workspace, core: Noun) JetError!Noun {
            const r = try mode(ws, core) orelse return error.Punt;
            return product(ws, soft.sqt(F, r, try operand(ws, core, 6)));
        }

        fn compare(comptime which: Comparison) common.Jet {
            return struct {
                fn jet(ws: *Workspace, core: Noun) JetError!Noun {
                    const a = try operand(ws, core, 12);
                    const b = try operand(ws, core, 13);
                    const yes = switch (which) {
                        .lth => soft.lth(F, a, b),
                        .lte => if (soft.lth(F, b, a)) |x| !x else null,
                        .equ => soft.equ(F, a, b),
                        .gte => if (soft.lth(F, a, b)) |x| !x else null,
                        .gth => soft.lth(F, b, a),
                    } orelse false;
                    return Noun.direct(if (yes) 0 else 1);
                }
            }.jet;
        }
    };
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// A gate of a float door: `[battery sample [battery r context]]`.
fn doorGate(ws: *Workspace, sample: []const u8, r: []const u8) !Noun {
    const door = try ws.tuple(&.{ Noun.zero, try t.parse(ws, r), Noun.zero });
    return ws.tuple(&.{ Noun.zero, try t.parse(ws, sample), door });
}

fn expectFloat(ws: *Workspace, name: []const u8, sample: []const u8, r: []const u8, expected: []const u8) !void {
    const jet = for (entries) |entry| {
        if (std.mem.eql(u8, entry.name, name)) break entry.func.plain;
    } else unreachable;
    const product = try jet(ws, try doorGate(ws, sample, r));
    try t.expectNoun(ws, try t.parse(ws, expected), product);
}

test "floats: arms of each door in each mode" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // (mul:rd .~1.5 .~2) is .~3; (~(add rd %u) .~1 .~1e-20) is the double after 1.
    try expectFloat(&ws, "rd-mul", "[0x3ff8000000000000 0x4000000000000000]", "%n", "0x4008000000000000");
    try expectFloat(&ws, "rd-add", "[0x3ff0000000000000 0x3bc79ca10c924223]", "%u", "0x3ff0000000000001");
    try expectFloat(&ws, "rd-add", "[0x3ff0000000000000 0x3bc79ca10c924223]", "%z", "0x3ff0000000000000");
    try expectFloat(&ws, "rd-sub", "[0x3ff0000000000000 0x3bc79ca10c924223]", "%d", "0x3fefffffffffffff");
    // Overflow is infinite even rounding toward zero.
    try expectFloat(&ws, "rs-add", "[0x7f7fffff 0x7f7fffff]", "%z", "0x7f800000");
    try expectFloat(&ws, "rh-div", "[0x3c00 0]", "%n", "0x7c00");
    try expectFloat(&ws, "rh-div", "[0 0]", "%n", "0x7e00");
    try expectFloat(&ws, "rs-sqt", "0x40800000", "%n", "0x40000000");
    try expectFloat(&ws, "rq-sqt", "0x40000000000000000000000000000000", "%n", "0x3fff6a09e667f3bcc908b2fb1366ea95");
    try expectFloat(&ws, "rq-sqt", "0x40000000000000000000000000000000", "%u", "0x3fff6a09e667f3bcc908b2fb1366ea96");
    try expectFloat(&ws, "rd-fma", "[0x4000000000000000 0x4008000000000000 0x3ff0000000000000]", "%n", "0x401c000000000000");
    // Bits above the width are ignored, as `++sea` cuts its fields.
    try expectFloat(&ws, "rh-add", "[0x1.3c00 0x3c00]", "%n", "0x4000");
    // Comparisons: NaN compares false, -0 equals +0; the mode is not read.
    try expectFloat(&ws, "rd-lth", "[0x8000000000000000 0]", "[1 2]", "1");
    try expectFloat(&ws, "rd-equ", "[0x8000000000000000 0]", "%n", "0");
    try expectFloat(&ws, "rs-gte", "[0x7fc00000 0x7fc00000]", "%n", "1");
    try expectFloat(&ws, "rs-lte", "[0x3f800000 0x3f800000]", "%n", "0");
    try expectFloat(&ws, "rh-gth", "[0xfc00 0xfbff]", "%n", "1");
}

test "floats: punts on shapes it does not model" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const add = entries[0].func.plain;
    try testing.expectError(error.Punt, add(&ws, try doorGate(&ws, "[1 2]", "%x")));
    try testing.expectError(error.Punt, add(&ws, try doorGate(&ws, "[1 2]", "[1 2]")));
    try testing.expectError(error.Punt, add(&ws, try doorGate(&ws, "[[1 2] 2]", "%n")));
    try testing.expectError(error.Exit, add(&ws, try t.gate(&ws, try t.parse(&ws, "[1 2]"))));
}

test "floats: every door registers every arm" {
    try testing.expectEqual(@as(usize, 4 * arms.len), entries.len);
    for (layers) |layer| try testing.expectEqual(arms.len, layer.names.len);
}
