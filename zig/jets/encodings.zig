//! Jets of zuse's encodings under `%hex` that are not cryptography: `de:base16:mimes:html`
//! (registered `hex/mimes/base16/de`, entry `base16-de`), a gate of `a=cord` at 6, and
//! `en:base16:mimes:html` (`hex/mimes/base16/en`, entry `base16-en`), a gate of `a=octs`.
//!
//! `en` is `(crip ((x-co:co (mul p.a 2)) (end [3 p.a] q.a)))`: the low `p.a` bytes of `q.a`
//! as exactly `2 * p.a` lowercase hex digits, most significant first (higher bytes of `q.a`
//! are dropped; `p.a = 0` gives `''`). A cell for `p.a` or `q.a` runs the Nock.
//!
//! `de` is `(rush a rule)`: the whole cord must be hex digits (`hit`: 0-9, a-f, A-F; any
//! other byte, an interior NUL included, gives `~`), and the product is `[~ len value]`
//! with `value` the digits read most significant first (the cord's first byte is its low
//! byte) and `len` their count halved, rounded up. A cell runs the Nock.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]entry.Entry{
    entry.plain("base16-de", base16De, "a=cord 6"),
    entry.plain("base16-en", base16En, "a=octs 12 13"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/mimes/base16", .entry_prefix = "base16-", .names = &.{ "de", "en" } },
};

fn hexDigit(byte: u8) ?u8 {
    return switch (byte) {
        '0'...'9' => byte - '0',
        'a'...'f' => byte - 'a' + 10,
        'A'...'F' => byte - 'A' + 10,
        else => null,
    };
}

pub fn base16De(ws: *Workspace, core: Noun) JetError!Noun {
    const cord = try common.slot(ws, core, 6);
    if (cord.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const text = ws.atomBytes(cord, &scratch);
    for (text) |byte| if (hexDigit(byte) == null) return Noun.zero;
    const size = (text.len + 1) / 2;
    if (size / 8 + 1 > common.roomWords(ws)) return error.Meme;
    const value = if (size == 0) Noun.zero else blk: {
        const limbs = try ws.startAtom((size + 7) / 8);
        const out = std.mem.sliceAsBytes(limbs);
        // Digit i (of n, from the first byte) is nibble n-1-i of the value.
        const n = text.len;
        for (text, 0..) |byte, i| {
            const nibble = n - 1 - i;
            out[nibble / 2] |= hexDigit(byte).? << @intCast(4 * (nibble % 2));
        }
        break :blk ws.finishAtom(limbs);
    };
    assert(value.isAtom());
    return ws.tuple(&.{ Noun.zero, try ws.atomU64(size), value });
}

pub fn base16En(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try common.slot(ws, core, 12);
    const q = try common.slot(ws, core, 13);
    if (p.isCell() or q.isCell()) return error.Punt;
    const size = common.saturated(ws, p);
    // The cord has 2 * size bytes; beyond the nursery it cannot be built (nor can the tape).
    if (size >= common.roomWords(ws) * 4) return error.Meme;
    if (size == 0) return Noun.zero;
    var scratch: u64 = undefined;
    const value = ws.atomBytes(q, &scratch);
    const n: usize = @intCast(size);
    const limbs = try ws.startAtom((2 * n + 7) / 8);
    const out = std.mem.sliceAsBytes(limbs)[0 .. 2 * n];
    const digits = "0123456789abcdef";
    // Byte i of the value (from the low end) gives characters 2(n-1-i) and 2(n-1-i)+1.
    for (0..n) |i| {
        const byte: u8 = if (i < value.len) value[i] else 0;
        const at = 2 * (n - 1 - i);
        out[at] = digits[byte >> 4];
        out[at + 1] = digits[byte & 0xf];
    }
    return ws.finishAtom(limbs);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

fn decode(ws: *Workspace, text: []const u8) !Noun {
    const gate = try ws.tuple(&.{ Noun.zero, try ws.atomFromBytes(text), Noun.zero });
    return base16De(ws, gate);
}

test "encodings base16: digits in both cases, odd counts, rejects" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const product = try ws.tuple(&.{ Noun.zero, Noun.direct(2), Noun.direct(0x0aff) });
    try t.expectNoun(&ws, product, try decode(&ws, "0aFf"));
    const odd = try ws.tuple(&.{ Noun.zero, Noun.direct(2), Noun.direct(0xabc) });
    try t.expectNoun(&ws, odd, try decode(&ws, "abc"));
    const empty = try ws.tuple(&.{ Noun.zero, Noun.zero, Noun.zero });
    try t.expectNoun(&ws, empty, try decode(&ws, ""));
    try t.expectNoun(&ws, Noun.zero, try decode(&ws, "0g"));
    try t.expectNoun(&ws, Noun.zero, try decode(&ws, "a\x00b"));
    const long = "0123456789abcdefABCDEF0123456789";
    var expected: [16]u8 = undefined;
    _ = try std.fmt.hexToBytes(&expected, long);
    std.mem.reverse(u8, &expected);
    const wide = try ws.tuple(&.{ Noun.zero, Noun.direct(16), try ws.atomFromBytes(&expected) });
    try t.expectNoun(&ws, wide, try decode(&ws, long));
}

test "encodings base16 en: exactly two digits a byte, high bytes dropped" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, base16En, "[2 0xabcd]", "%abcd");
    try t.expectJet(&ws, base16En, "[3 0x1]", "%000001");
    try t.expectJet(&ws, base16En, "[1 0xabcd]", "%cd");
    try t.expectJet(&ws, base16En, "[0 0xabcd]", "0");
    try t.expectJet(&ws, base16En, "[0 0]", "0");
    try t.expectJet(&ws, base16En, "[2 0]", "%0000");
    try t.expectJetError(&ws, base16En, "[[1 2] 3]", error.Punt);
    try t.expectJetError(&ws, base16En, "5", error.Exit);
}
