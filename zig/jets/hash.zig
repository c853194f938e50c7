//! Jets of Hoon's SHA family (`%tri` layer, 3d): shax shay shal shas, and sha1 (the arm
//! `sha-1l` of the `%sha` core, registered as `%sha1`). All are gates. Sample axes:
//!   shax       ruz=@ at 6
//!   shay shal  [len=@u ruz=@] at 12 13
//!   shas       [sal=@ ruz=@] at 12 13
//!   sha1       [wid=@ud dat=@] (`byts`) at 12 13
//!
//! Byte orders, as Hoon's definitions compute them:
//!   shay/shal hash the first `len` bytes of `ruz` taken least significant first (zero bytes
//!   past the atom's end); the digest's first byte is the product's least significant byte.
//!   shax is `(shay (met 3 ruz) ruz)`; shas is `(shax (mix sal (shax ruz)))` (kelvins 140 to
//!   138; later Hoon changed shas, which would need its own entry).
//!   sha1 reads `dat` as `wid` bytes most significant first and produces the digest as a
//!   big-endian number: Hoon assembles the five 32-bit state words with `(rep 5 (flop (rip 5
//!   hax)))`, so when the last word is zero (one digest in 2^32) the product is shifted down
//!   by the zero words; the jet does the same.
//! A length beyond what the workspace could hold is Meme (the Nock would build an atom that
//! large); the jet itself streams and allocates only the product.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;
const Sha256 = std.crypto.hash.sha2.Sha256;
const Sha512 = std.crypto.hash.sha2.Sha512;
const Sha1 = std.crypto.hash.Sha1;

const zeros = [_]u8{0} ** 4096;

/// A byte length from the sample: Meme beyond the workspace's size.
fn lengthOf(ws: *const Workspace, n: Noun) JetError!u64 {
    const len = common.saturated(ws, n);
    if (len > ws.limit_bytes) return error.Meme;
    assert(len <= ws.limit_bytes);
    return len;
}

/// Feed `len` bytes of `a` (least significant first, zero past its end) to `hasher`.
fn feedLittle(ws: *const Workspace, hasher: anytype, a: Noun, len: u64) void {
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(a, &scratch);
    const have: usize = @intCast(@min(len, bytes.len));
    assert(have <= len);
    hasher.update(bytes[0..have]);
    var rest = len - have;
    while (rest > 0) {
        const n: usize = @intCast(@min(rest, zeros.len));
        assert(n >= 1);
        hasher.update(zeros[0..n]);
        rest -= n;
    }
}

fn shaLittle(ws: *Workspace, comptime Hash: type, len: u64, ruz: Noun) JetError!Noun {
    var hasher = Hash.init(.{});
    feedLittle(ws, &hasher, ruz, len);
    var digest: [Hash.digest_length]u8 = undefined;
    comptime assert(Hash.digest_length >= 20);
    hasher.final(&digest);
    return ws.atomFromBytes(&digest);
}

/// SHA-256 of an atom's significant bytes.
fn shaxAtom(ws: *Workspace, ruz: Noun) JetError!Noun {
    var scratch: u64 = undefined;
    const len = ws.atomBytes(ruz, &scratch).len;
    return shaLittle(ws, Sha256, len, ruz);
}

pub fn shax(ws: *Workspace, core: Noun) JetError!Noun {
    return shaxAtom(ws, try common.atomAt(ws, core, 6));
}

pub fn shay(ws: *Workspace, core: Noun) JetError!Noun {
    const len = try lengthOf(ws, try common.atomAt(ws, core, 12));
    return shaLittle(ws, Sha256, len, try common.atomAt(ws, core, 13));
}

pub fn shal(ws: *Workspace, core: Noun) JetError!Noun {
    const len = try lengthOf(ws, try common.atomAt(ws, core, 12));
    return shaLittle(ws, Sha512, len, try common.atomAt(ws, core, 13));
}

pub fn shas(ws: *Workspace, core: Noun) JetError!Noun {
    const sal = try common.atomAt(ws, core, 12);
    const inner = try shaxAtom(ws, try common.atomAt(ws, core, 13));
    return shaxAtom(ws, try atom.bitwise(ws, .mix, sal, inner));
}

/// Feed `len` bytes of `dat` to `hasher`, most significant first (Hoon's byts read big-endian):
/// `len - (met 3 dat)` zero bytes (none if dat is longer), then dat's low `len` bytes from the
/// top down.
pub fn feedBig(ws: *const Workspace, hasher: anytype, dat: Noun, len: u64) void {
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(dat, &scratch);
    const have: usize = @intCast(@min(len, bytes.len));
    assert(have <= len);
    var pad = len - have;
    while (pad > 0) {
        const n: usize = @intCast(@min(pad, zeros.len));
        hasher.update(zeros[0..n]);
        pad -= n;
    }
    var buffer: [4096]u8 = undefined;
    var i = have;
    while (i > 0) {
        const n = @min(i, buffer.len);
        assert(n >= 1);
        for (0..n) |k| buffer[k] = bytes[i - 1 - k];
        hasher.update(buffer[0..n]);
        i -= n;
    }
}

pub fn sha1(ws: *Workspace, core: Noun) JetError!Noun {
    const wid = try lengthOf(ws, try common.atomAt(ws, core, 12));
    const dat = try common.atomAt(ws, core, 13);
    var hasher = Sha1.init(.{});
    feedBig(ws, &hasher, dat, wid);
    var digest: [Sha1.digest_length]u8 = undefined;
    hasher.final(&digest);
    return sha1Product(ws, &digest);
}

/// Hoon's `(rep 5 (flop (rip 5 hax)))` over the state words H0..H4 (word i of hax is Hi).
fn sha1Product(ws: *Workspace, digest: *const [20]u8) JetError!Noun {
    var words: [5]u32 = undefined;
    for (&words, 0..) |*w, i| w.* = std.mem.readInt(u32, digest[4 * i ..][0..4], .big);
    var count: usize = 5; // met 5 hax: words up to the highest non-zero one
    while (count > 0 and words[count - 1] == 0) count -= 1;
    assert(count <= 5);
    var limbs = [_]u64{0} ** 3;
    for (0..count) |j| {
        const w: u64 = words[count - 1 - j];
        limbs[j / 2] |= w << @intCast(32 * (j % 2));
    }
    return ws.atomFromLimbs(&limbs);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// The atom whose little-endian bytes are `hex` (a digest as usually printed).
fn digestAtom(ws: *Workspace, comptime hex: []const u8) !Noun {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    return ws.atomFromBytes(&bytes);
}

fn expectDigest(ws: *Workspace, jet: common.Jet, sample: Noun, comptime hex: []const u8) !void {
    const product = try jet(ws, try t.gate(ws, sample));
    try t.expectNoun(ws, try digestAtom(ws, hex), product);
}

test "sha-256 and sha-512 jets on standard vectors" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const abc = try ws.atomFromBytes("abc");
    try expectDigest(&ws, shax, abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    try expectDigest(&ws, shax, Noun.zero, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const len3 = try ws.cell(Noun.direct(3), abc);
    try expectDigest(&ws, shay, len3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // shay truncates to len bytes: "ab".
    try expectDigest(&ws, shay, try ws.cell(Noun.direct(2), abc), "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
    // ... and pads with zero bytes: one zero byte.
    try expectDigest(&ws, shay, try ws.cell(Noun.one, Noun.zero), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    try expectDigest(&ws, shal, len3, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    // shas = shax of (sal xor shax ruz); with sal 0 it is shax of shax.
    const inner = try digestAtom(&ws, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const twice = try shax(&ws, try t.gate(&ws, inner));
    try t.expectNoun(&ws, twice, try shas(&ws, try t.gate(&ws, try ws.cell(Noun.zero, abc))));
}

test "sha1 jet reads bytes most significant first" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // 'abc' as byts: wid 3, dat 0x616263 (big-endian text).
    const sample = try ws.cell(Noun.direct(3), Noun.direct(0x616263));
    const product = try sha1(&ws, try t.gate(&ws, sample));
    // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d, as a big-endian number.
    var expected_bytes: [20]u8 = undefined;
    _ = try std.fmt.hexToBytes(&expected_bytes, "a9993e364706816aba3e25717850c26c9cd0d89d");
    std.mem.reverse(u8, &expected_bytes);
    try t.expectNoun(&ws, try ws.atomFromBytes(&expected_bytes), product);
    // wid 0: SHA-1 of nothing.
    const empty = try sha1(&ws, try t.gate(&ws, try ws.cell(Noun.zero, Noun.direct(5))));
    _ = try std.fmt.hexToBytes(&expected_bytes, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    std.mem.reverse(u8, &expected_bytes);
    try t.expectNoun(&ws, try ws.atomFromBytes(&expected_bytes), empty);
}

test "sha1 product drops zero high words as Hoon's rip/flop/rep does" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var digest = [_]u8{0} ** 20;
    digest[3] = 1; // H0 = 1
    digest[7] = 2; // H1 = 2, H2..H4 = 0
    // met 5 hax = 2 words: the product is [H1 H0] low first = 2 + (1 << 32).
    try testing.expectEqual(Noun.direct(2 + (1 << 32)), try sha1Product(&ws, &digest));
}

test "sha jets: huge lengths are Meme, cells Exit" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJetError(&ws, shay, "[18446744073709551616 1]", error.Meme);
    try t.expectJetError(&ws, shal, "[4294967296 1]", error.Meme);
    try t.expectJetError(&ws, sha1, "[4294967296 1]", error.Meme);
    try t.expectJetError(&ws, shax, "[1 2]", error.Exit);
    try t.expectJetError(&ws, shas, "[[1 2] 3]", error.Exit);
    // A length up to the workspace size streams zeros and succeeds.
    _ = try shay(&ws, try t.gate(&ws, try ws.cell(Noun.direct(1 << 20), Noun.one)));
}
