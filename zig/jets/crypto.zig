//! Jets of zuse's crypto arms (`++crypto`, registered under the `%hex` layer of the ivory
//! pill): the hashes `hex/blake` and `hex/ripemd` here; ed25519 (`hex/coed/ed`),
//! AES (`hex/aes`) and the key derivations (`hex/scr`) live in crypto_ed.zig,
//! crypto_aes.zig (SIV: crypto_siv.zig) and crypto_kdf.zig and join this family's tables
//! here. All are gates.
//! Sample axes:
//!   blake2b               [msg=byts key=byts out=@ud] at 24 25, 52 53, 27
//!   ripemd160             byts [wid=@ud dat=@] at 12 13
//!
//! Byte orders, as Hoon's definitions compute them: every input is read most significant
//! byte first, `len` bytes of it (`(rev 3 len dat)`: the message's first byte is byte
//! len-1 of the atom, zero bytes where the atom is shorter), and every digest is produced
//! as a big-endian number (its first byte most significant; leading zero bytes vanish).
//!   blake2b   `out` is clamped to 1..64 bytes and the key to 64 bytes, as Hoon does; a key
//!             of length 0 means no key. The product is the first `out` bytes of the
//!             BLAKE2b digest parameterised with that length.
//!   ripemd160 RIPEMD-160 (Zig's std has none: written here from the specification).
//! A length beyond what the workspace could hold is Meme, as in hash.zig.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const ed = @import("crypto_ed.zig");
const aes = @import("crypto_aes.zig");
const siv = @import("crypto_siv.zig");
const kdf = @import("crypto_kdf.zig");
const hash = @import("hash.zig");
const JetError = common.JetError;
const Blake2b512 = std.crypto.hash.blake2.Blake2b512;

const hash_entries = [_]entry.Entry{
    entry.plain("blake2b", blake2b, "[msg=byts key=byts out=@ud] 24 25 52 53 27"),
    entry.plain("ripemd160", ripemd160, "byts [wid=@ud dat=@] 12 13"),
};

pub const entries = hash_entries ++ ed.entries ++ aes.entries ++ siv.entries ++ kdf.entries;

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/blake", .names = &.{"blake2b"} },
    .{ .prefix = "one/two/tri/qua/pen/hex/ripemd", .names = &.{"ripemd160"} },
} ++ ed.layers ++ aes.layers ++ siv.layers ++ kdf.layers;

/// A byte length from the sample: Meme beyond the workspace's size.
fn lengthOf(ws: *const Workspace, n: Noun) JetError!u64 {
    const len = common.saturated(ws, n);
    if (len > ws.limit_bytes) return error.Meme;
    assert(len <= ws.limit_bytes);
    return len;
}

/// A digest as a big-endian number.
fn bigEndian(ws: *Workspace, digest: []const u8) JetError!Noun {
    var buffer: [64]u8 = undefined;
    assert(digest.len <= buffer.len);
    for (digest, 0..) |byte, i| buffer[digest.len - 1 - i] = byte;
    return ws.atomFromBytes(buffer[0..digest.len]);
}

pub fn blake2b(ws: *Workspace, core: Noun) JetError!Noun {
    const msg_len = try lengthOf(ws, try common.atomAt(ws, core, 24));
    const msg = try common.atomAt(ws, core, 25);
    const key_len: usize = @intCast(@min(common.saturated(ws, try common.atomAt(ws, core, 52)), 64));
    const key_dat = try common.atomAt(ws, core, 53);
    const out: usize = @intCast(@max(1, @min(common.saturated(ws, try common.atomAt(ws, core, 27)), 64)));
    // The key, most significant byte first.
    var key: [64]u8 = undefined;
    var key_hasher = struct {
        buf: []u8,
        at: usize = 0,
        pub fn update(s: *@This(), b: []const u8) void {
            @memcpy(s.buf[s.at..][0..b.len], b);
            s.at += b.len;
        }
    }{ .buf = &key };
    hash.feedBig(ws, &key_hasher, key_dat, key_len);
    assert(key_hasher.at == key_len);
    var hasher = Blake2b512.init(.{
        .key = if (key_len == 0) null else key[0..key_len],
        .expected_out_bits = out * 8,
    });
    hash.feedBig(ws, &hasher, msg, msg_len);
    var digest: [64]u8 = undefined;
    hasher.final(&digest);
    return bigEndian(ws, digest[0..out]);
}

pub fn ripemd160(ws: *Workspace, core: Noun) JetError!Noun {
    const len = try lengthOf(ws, try common.atomAt(ws, core, 12));
    var hasher = Ripemd160{};
    hash.feedBig(ws, &hasher, try common.atomAt(ws, core, 13), len);
    var digest: [20]u8 = undefined;
    hasher.final(&digest);
    return bigEndian(ws, &digest);
}

// ------------------------------------------------------------------------- RIPEMD-160

/// RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), streaming.
const Ripemd160 = struct {
    h: [5]u32 = .{ 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 },
    block: [64]u8 = undefined,
    filled: usize = 0,
    total: u64 = 0,

    const r = [80]u8{
        0, 1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
        7, 4,  13, 1,  10, 6,  15, 3,  12, 0, 9,  5,  2,  14, 11, 8,
        3, 10, 14, 4,  9,  15, 8,  1,  2,  7, 0,  6,  13, 11, 5,  12,
        1, 9,  11, 10, 0,  8,  12, 4,  13, 3, 7,  15, 14, 5,  6,  2,
        4, 0,  5,  9,  7,  12, 2,  10, 14, 1, 3,  8,  11, 6,  15, 13,
    };
    const rr = [80]u8{
        5,  14, 7,  0, 9, 2,  11, 4,  13, 6,  15, 8,  1,  10, 3,  12,
        6,  11, 3,  7, 0, 13, 5,  10, 14, 15, 8,  12, 4,  9,  1,  2,
        15, 5,  1,  3, 7, 14, 6,  9,  11, 8,  12, 2,  10, 0,  4,  13,
        8,  6,  4,  1, 3, 11, 15, 0,  5,  12, 2,  13, 9,  7,  10, 14,
        12, 15, 10, 4, 1, 5,  8,  7,  6,  2,  13, 14, 0,  3,  9,  11,
    };
    const s = [80]u5{
        11, 14, 15, 12, 5,  8,  7,  9,  11, 13, 14, 15, 6,  7,  9,  8,
        7,  6,  8,  13, 11, 9,  7,  15, 7,  12, 15, 9,  11, 7,  13, 12,
        11, 13, 6,  7,  14, 9,  13, 15, 14, 8,  13, 6,  5,  12, 7,  5,
        11, 12, 14, 15, 14, 15, 9,  8,  9,  14, 5,  6,  8,  6,  5,  12,
        9,  15, 5,  11, 6,  8,  13, 12, 5,  12, 13, 14, 11, 8,  5,  6,
    };
    const ss = [80]u5{
        8,  9,  9,  11, 13, 15, 15, 5,  7,  7,  8,  11, 14, 14, 12, 6,
        9,  13, 15, 7,  12, 8,  9,  11, 7,  7,  12, 7,  6,  15, 13, 11,
        9,  7,  15, 11, 8,  6,  6,  14, 12, 13, 5,  14, 13, 13, 7,  5,
        15, 5,  8,  11, 14, 14, 6,  14, 6,  9,  12, 9,  12, 5,  15, 8,
        8,  5,  12, 9,  12, 5,  14, 6,  8,  13, 6,  5,  15, 13, 11, 11,
    };
    const k = [5]u32{ 0x00000000, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xa953fd4e };
    const kk = [5]u32{ 0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0x00000000 };

    fn f(j: usize, x: u32, y: u32, z: u32) u32 {
        return switch (j / 16) {
            0 => x ^ y ^ z,
            1 => (x & y) | (~x & z),
            2 => (x | ~y) ^ z,
            3 => (x & z) | (y & ~z),
            4 => x ^ (y | ~z),
            else => unreachable,
        };
    }

    fn compress(d: *Ripemd160, block: *const [64]u8) void {
        var x: [16]u32 = undefined;
        for (&x, 0..) |*w, i| w.* = std.mem.readInt(u32, block[4 * i ..][0..4], .little);
        var a = d.h;
        var b = d.h;
        for (0..80) |j| {
            const t1 = std.math.rotl(u32, a[0] +% f(j, a[1], a[2], a[3]) +% x[r[j]] +% k[j / 16], s[j]) +% a[4];
            const a_next = [5]u32{ a[4], t1, a[1], std.math.rotl(u32, a[2], 10), a[3] };
            a = a_next;
            const t2 = std.math.rotl(u32, b[0] +% f(79 - j, b[1], b[2], b[3]) +% x[rr[j]] +% kk[j / 16], ss[j]) +% b[4];
            const b_next = [5]u32{ b[4], t2, b[1], std.math.rotl(u32, b[2], 10), b[3] };
            b = b_next;
        }
        const top = d.h[1] +% a[2] +% b[3];
        d.h[1] = d.h[2] +% a[3] +% b[4];
        d.h[2] = d.h[3] +% a[4] +% b[0];
        d.h[3] = d.h[4] +% a[0] +% b[1];
        d.h[4] = d.h[0] +% a[1] +% b[2];
        d.h[0] = top;
    }

    pub fn update(d: *Ripemd160, bytes: []const u8) void {
        d.total +%= bytes.len;
        var rest = bytes;
        while (rest.len > 0) {
            const n = @min(rest.len, 64 - d.filled);
            @memcpy(d.block[d.filled..][0..n], rest[0..n]);
            d.filled += n;
            rest = rest[n..];
            if (d.filled == 64) {
                d.compress(&d.block);
                d.filled = 0;
            }
        }
    }

    fn final(d: *Ripemd160, out: *[20]u8) void {
        const bits = d.total *% 8;
        var pad = [_]u8{0} ** 72;
        pad[0] = 0x80;
        const pad_len = if (d.filled < 56) 56 - d.filled else 120 - d.filled;
        d.update(pad[0..pad_len]);
        var length: [8]u8 = undefined;
        std.mem.writeInt(u64, &length, bits, .little);
        d.update(&length);
        assert(d.filled == 0);
        for (d.h, 0..) |w, i| std.mem.writeInt(u32, out[4 * i ..][0..4], w, .little);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// The atom of a digest printed as hex, read as a big-endian number (Hoon's products).
fn digestAtom(ws: *Workspace, comptime hex: []const u8) !Noun {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    return bigEndian(ws, &bytes);
}

fn expectDigest(ws: *Workspace, jet: common.Jet, sample: Noun, comptime hex: []const u8) !void {
    try t.expectNoun(ws, try digestAtom(ws, hex), try jet(ws, try t.gate(ws, sample)));
}

test "crypto ripemd160: the specification's test vectors" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try expectDigest(&ws, ripemd160, try ws.cell(Noun.zero, Noun.zero), "9c1185a5c5e9fc54612808977ee8f548b2258d31");
    try expectDigest(&ws, ripemd160, try ws.cell(Noun.direct(3), Noun.direct(0x616263)), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    const text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    var reversed: [text.len]u8 = undefined;
    for (text, 0..) |c, i| reversed[text.len - 1 - i] = c;
    const long = try ws.cell(Noun.direct(text.len), try ws.atomFromBytes(&reversed));
    try expectDigest(&ws, ripemd160, long, "12a053384a9c0c88e405a06c27dcf49ada62eb2b");
    // A million 'a's crosses many blocks.
    var hasher = Ripemd160{};
    for (0..1000) |_| hasher.update(&([_]u8{'a'} ** 1000));
    var digest: [20]u8 = undefined;
    hasher.final(&digest);
    var expected: [20]u8 = undefined;
    _ = try std.fmt.hexToBytes(&expected, "52783243c1697bdbe16d37f97f68f08325dc1528");
    try testing.expectEqualSlices(u8, &expected, &digest);
}

test "crypto blake2b: RFC 7693's vector, keyed hashing and Hoon's clamps" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const abc = try ws.cell(Noun.direct(3), Noun.direct(0x616263));
    const no_key = try ws.cell(Noun.zero, Noun.zero);
    const full = "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" ++
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
    try expectDigest(&ws, blake2b, try ws.tuple(&.{ abc, no_key, Noun.direct(64) }), full);
    // out above 64 is 64.
    try expectDigest(&ws, blake2b, try ws.tuple(&.{ abc, no_key, Noun.direct(1000) }), full);
    // out 0 is 1: the digest parameterised for one byte.
    var one: [1]u8 = undefined;
    var h1 = Blake2b512.init(.{ .expected_out_bits = 8 });
    h1.update("abc");
    var d1: [64]u8 = undefined;
    h1.final(&d1);
    one[0] = d1[0];
    try t.expectNoun(&ws, Noun.direct(one[0]), try blake2b(&ws, try t.gate(&ws, try ws.tuple(&.{ abc, no_key, Noun.zero }))));
    // A key of wid 2 and dat 1 is the bytes 00 01.
    var d2: [64]u8 = undefined;
    var h2 = Blake2b512.init(.{ .key = &.{ 0, 1 } });
    h2.update("abc");
    h2.final(&d2);
    const keyed = try blake2b(&ws, try t.gate(&ws, try ws.tuple(&.{ abc, try ws.cell(Noun.direct(2), Noun.one), Noun.direct(64) })));
    try t.expectNoun(&ws, try bigEndian(&ws, &d2), keyed);
}

test {
    _ = ed;
    _ = aes;
    _ = siv;
    _ = kdf;
}
