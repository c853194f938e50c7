//! Jets of the `og` door, hoon.hoon's SHA-256-powered random numbers (`%tri` layer):
//! `og/raw`, `b` random bits from the door's entropy `a`. The gate's sample `b` is at 6,
//! the door's `a` at 30.
//!
//! `raw` hashes its way up in 256-bit blocks. First `c = (shas %og-a (mix b a))`; then,
//! while `b` is not 0, the block `d = (shas %og-b (mix b (mix a c)))` is taken whole when
//! `b` is 256 or more (and `c` becomes `d`, `b` drops by 256), or its low `b` bits when
//! less; the product is the blocks joined from the low end (`can 0`). `(shas sal ruz)` is
//! `(shax (mix sal (shax ruz)))` and `shax` hashes an atom's `(met 3 ...)` bytes, low
//! first. Both atoms are read before anything else, so a cell in either is Exit even when
//! `b` is 0. Kelvin 138 has `og` without hints (its arms crash); the ivory pill (140)
//! registers `raw`.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const JetError = common.JetError;
const Sha256 = std.crypto.hash.sha2.Sha256;

pub const entries = [_]E.Entry{
    E.plain("og-raw", raw, "b=@ 6; a=@ 30"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/tri/og", .names = &.{"raw"}, .entry_prefix = "og-" },
};

const block_bits = 256;
const block_bytes = block_bits / 8;

/// The cords `%og-a` and `%og-b`, the salts of the first hash and of each block.
const salt_a = std.mem.readInt(u32, "og-a", .little);
const salt_b = std.mem.readInt(u32, "og-b", .little);

/// `shax` of an atom given by its little-endian bytes (high zero bytes are not hashed).
fn shax(bytes: []const u8) [block_bytes]u8 {
    var len = bytes.len;
    while (len > 0 and bytes[len - 1] == 0) len -= 1;
    var digest: [block_bytes]u8 = undefined;
    Sha256.hash(bytes[0..len], &digest, .{});
    return digest;
}

/// `(shas sal ruz)` for a salt of at most four bytes.
fn shas(sal: u32, ruz: []const u8) [block_bytes]u8 {
    var inner = shax(ruz);
    var salt: [4]u8 = undefined;
    std.mem.writeInt(u32, &salt, sal, .little);
    for (salt, 0..) |byte, i| inner[i] ^= byte;
    return shax(&inner);
}

/// The bytes of `(mix b (mix a c))` into `buffer` (at least as long as each of them).
fn mixInto(buffer: []u8, a: []const u8, b: u64, c: []const u8) []u8 {
    assert(buffer.len >= a.len and buffer.len >= c.len and buffer.len >= 8);
    @memset(buffer, 0);
    @memcpy(buffer[0..a.len], a);
    for (c, 0..) |byte, i| buffer[i] ^= byte;
    var b_bytes: [8]u8 = undefined;
    std.mem.writeInt(u64, &b_bytes, b, .little);
    for (b_bytes, 0..) |byte, i| buffer[i] ^= byte;
    return buffer;
}

pub fn raw(ws: *Workspace, core: Noun) JetError!Noun {
    const b = try common.atomAt(ws, core, 6);
    const a = try common.atomAt(ws, core, 30);
    if (b == Noun.zero) return Noun.zero; // `can 0 ~`, after a hash that cannot crash.
    const bits = common.saturated(ws, b);
    if (bits > common.bitsMax(ws)) return error.Meme;
    var scratch: u64 = undefined;
    const a_bytes = ws.atomBytes(a, &scratch);
    var small: [256]u8 = undefined;
    const size = @max(a_bytes.len, block_bytes);
    const buffer: []u8 = if (size > small.len)
        ws.gpa.alloc(u8, size) catch return error.Meme
    else
        small[0..size];
    defer if (size > small.len) ws.gpa.free(buffer);
    const limbs = try ws.startAtom(@intCast((bits + 63) / 64));
    const out = std.mem.sliceAsBytes(limbs);
    var c = shas(salt_a, mixInto(buffer, a_bytes, bits, &.{}));
    var rest = bits;
    var at: usize = 0;
    while (rest > 0) {
        const d = shas(salt_b, mixInto(buffer, a_bytes, rest, &c));
        if (rest < block_bits) {
            const n: usize = @intCast((rest + 7) / 8);
            @memcpy(out[at..][0..n], d[0..n]);
            const spare: u3 = @intCast(rest % 8);
            if (spare != 0) out[at + n - 1] &= (@as(u8, 1) << spare) - 1;
            break;
        }
        @memcpy(out[at..][0..block_bytes], &d);
        at += block_bytes;
        c = d;
        rest -= block_bits;
    }
    return ws.finishAtom(limbs);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");
const hash = @import("hash.zig");
const atom = @import("atom.zig");

/// A `raw` gate in its door: `[battery b [battery a context]]` (b 6, a 30).
fn rawGate(ws: *Workspace, a: Noun, b: Noun) !Noun {
    return ws.tuple(&.{ Noun.zero, b, Noun.zero, a, Noun.zero });
}

/// `(shas sal ruz)` through the `shas` jet.
fn shasJet(ws: *Workspace, sal: Noun, ruz: Noun) !Noun {
    return hash.shas(ws, try t.gate(ws, try ws.cell(sal, ruz)));
}

/// `raw` as the Hoon computes it, from the `shas`, `mix`, `end` and `lsh` jets.
fn rawByJets(ws: *Workspace, a: Noun, b0: u64) !Noun {
    const og_a = try ws.atomFromBytes("og-a");
    const og_b = try ws.atomFromBytes("og-b");
    var c = try shasJet(ws, og_a, try atom.bitwise(ws, .mix, Noun.direct(b0), a));
    var b = b0;
    var product = Noun.zero;
    var at: u64 = 0;
    while (b > 0) {
        const inner = try atom.bitwise(ws, .mix, a, c);
        const d = try shasJet(ws, og_b, try atom.bitwise(ws, .mix, Noun.direct(b), inner));
        const piece = if (b < block_bits) try atom.end(ws, d, b) else d;
        product = try atom.add(ws, product, try atom.lsh(ws, piece, at));
        if (b < block_bits) break;
        c = d;
        b -= block_bits;
        at += block_bits;
    }
    return product;
}

test "og/raw: the ivory pill's value, and the hash chain the Hoon builds" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    // `(~(raw og 5) 10)` on the ivory pill.
    try testing.expectEqual(Noun.direct(383), try raw(&ws, try rawGate(&ws, Noun.direct(5), Noun.direct(10))));
    try testing.expectEqual(Noun.zero, try raw(&ws, try rawGate(&ws, Noun.direct(5), Noun.zero)));
    var prng = std.Random.DefaultPrng.init(0x06);
    const random = prng.random();
    const widths = [_]u64{ 1, 7, 8, 255, 256, 257, 511, 512, 513, 1000, 4096 };
    for (widths) |b| {
        const a = try t.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 3000));
        const expected = try rawByJets(&ws, a, b);
        try t.expectNoun(&ws, expected, try raw(&ws, try rawGate(&ws, a, Noun.direct(b))));
        try testing.expect(atom.met0(&ws, expected) <= b);
    }
    try testing.expectError(error.Exit, raw(&ws, try rawGate(&ws, try ws.cell(Noun.one, Noun.one), Noun.zero)));
    try testing.expectError(error.Exit, raw(&ws, try rawGate(&ws, Noun.one, try ws.cell(Noun.one, Noun.one))));
    const huge = try ws.atomFromLimbs(&.{ 0, 1 });
    try testing.expectError(error.Meme, raw(&ws, try rawGate(&ws, Noun.one, huge)));
}
