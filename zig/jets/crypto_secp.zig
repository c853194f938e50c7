//! Jets of zuse's secp256k1 core (`++secp256k1:secp:crypto`, registered `%secp256k1` under
//! `%secp`, and its `%schnorr` core). All are gates. Numbers are atoms: a key, hash, nonce
//! or coordinate is the big-endian number of its 32 bytes. Sample axes:
//!   make sign   [hash=@uvI private-key=@] at 12 13
//!   reco        [hash=@ sig=[v=@ r=@ s=@]] at 12 26 54 55
//!   sosi        [sk=@I m=@I a=@I] at 12 26 27
//!   sove        [pk=@I m=@I sig=@J] at 12 26 27
//!
//! What Hoon's definitions compute, beyond the textbook algorithms:
//!   - `make` is RFC 6979 with HMAC-SHA256, one round, no retry: the hash is used as it is
//!     (not reduced mod n), and each HMAC message `V || sep || key || hash` is `as-octs` of
//!     an atom, so leading zero bytes of V drop out of it. The key must be in 1..n-1 and
//!     the hash at most 32 bytes (`met 3`), or it crashes.
//!   - `sign` gives `[v r s]` with a low s (the point negated when s is high), r the nonce
//!     point's x unreduced, v its y parity plus 2 when x >= n; a nonce outside 1..n-1 or
//!     s = 0 crashes.
//!   - `reco` crashes unless v <= 3, the hash is at most 32 bytes, r and s are in 1..n-1,
//!     and x (r, plus n when v >= 2, reduced mod p) lifts to a point; a hash above n
//!     crashes (`(sub n hash)`), and so does a recovered point at infinity.
//!   - Scalar multiplication reduces its scalar mod n; the point at infinity comes back as
//!     `[0 0]`, which the Jacobian addition then treats as the identity. `sove` compares
//!     coordinates with that convention before adding (see `verify`).
//!   - `sosi` and `sove` are BIP-340 with tagged SHA-256; `sosi` crashes on a key outside
//!     1..n-1, a message or aux over 32 bytes, a zero nonce, or a signature its own verify
//!     refuses; `sove` crashes on a key or message over 32 bytes or a signature over 64
//!     and says no to anything else that does not verify.
//! The arithmetic is Zig's std.crypto Secp256k1 (points) and u512 integers (scalars mod n).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;
const Secp = std.crypto.ecc.Secp256k1;
const Fe = Secp.Fe;
const Scalar = Secp.scalar.Scalar;
const HmacSha256 = std.crypto.auth.hmac.sha2.HmacSha256;
const Sha256 = std.crypto.hash.sha2.Sha256;

pub const entries = [_]entry.Entry{
    entry.plain("secp-make", make, "[hash=@uvI private-key=@] 12 13"),
    entry.plain("secp-sign", sign, "[hash=@uvI private-key=@] 12 13"),
    entry.plain("secp-reco", reco, "[hash=@ sig=[v=@ r=@ s=@]] 12 26 54 55"),
    entry.plain("secp-sosi", sosi, "[sk=@I m=@I a=@I] 12 26 27"),
    entry.plain("secp-sove", sove, "[pk=@I m=@I sig=@J] 12 26 27"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/secp/secp256k1", .entry_prefix = "secp-", .names = &.{
        "make", "sign", "reco",
    } },
    .{ .prefix = "one/two/tri/qua/pen/hex/secp/secp256k1/schnorr", .entry_prefix = "secp-", .names = &.{
        "sosi", "sove",
    } },
};

/// The group order n and the field prime p.
const order: u256 = 0xffffffff_ffffffff_ffffffff_fffffffe_baaedce6_af48a03b_bfd25e8c_d0364141;
const prime: u256 = 0xffffffff_ffffffff_ffffffff_ffffffff_ffffffff_ffffffff_fffffffe_fffffc2f;

// ------------------------------------------------------------------------- numbers

/// An atom of at most 32 bytes (`met 3`), or null.
fn word(ws: *const Workspace, a: Noun) ?u256 {
    assert(a.isAtom());
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(a, &scratch);
    if (bytes.len > 32) return null;
    var buffer = [_]u8{0} ** 32;
    @memcpy(buffer[0..bytes.len], bytes);
    return std.mem.readInt(u256, &buffer, .little);
}

fn wordAt(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!?u256 {
    return word(ws, try common.atomAt(ws, core, axis));
}

/// Hoon's `in-order`: 0 < x < n.
fn inOrder(x: ?u256) bool {
    const v = x orelse return false;
    return v > 0 and v < order;
}

fn little(v: u256) [32]u8 {
    var out: [32]u8 = undefined;
    std.mem.writeInt(u256, &out, v, .little);
    return out;
}

fn big(v: u256) [32]u8 {
    var out: [32]u8 = undefined;
    std.mem.writeInt(u256, &out, v, .big);
    return out;
}

fn atom(ws: *Workspace, v: u256) JetError!Noun {
    const bytes = little(v);
    return ws.atomFromBytes(&bytes);
}

fn modOrder(v: u512) u256 {
    return @intCast(v % order);
}

fn mulOrder(a: u256, b: u256) u256 {
    return modOrder(@as(u512, a) * b);
}

/// The inverse of a mod n (a not a multiple of n).
fn invOrder(a: u256) u256 {
    const s = Scalar.fromBytes(little(a % order), .little) catch unreachable;
    assert(!s.isZero());
    const bytes = s.invert().toBytes(.little);
    return std.mem.readInt(u256, &bytes, .little);
}

fn field(v: u256) Fe {
    return Fe.fromBytes(little(v % prime), .little) catch unreachable;
}

// ------------------------------------------------------------------------- points

/// A point; null is the point at infinity, which Hoon's `from` gives as `[0 0]`.
const Point = ?Secp;

const Affine = struct { x: u256, y: u256 };

fn affine(p: Point) Affine {
    const q = (p orelse return .{ .x = 0, .y = 0 }).affineCoordinates();
    return .{ .x = q.x.toInt(), .y = q.y.toInt() };
}

/// Hoon's `mul-point-scalar`: the scalar reduced mod n, 0 giving infinity. Every point here
/// is on the curve, whose group has prime order n: a non-zero scalar never gives infinity.
fn mulPoint(p: Point, scalar: u256) Point {
    const point = p orelse return null;
    const s = scalar % order;
    if (s == 0) return null;
    return point.mul(little(s), .little) catch unreachable;
}

/// Hoon's Jacobian `add`: infinity is the identity.
fn addPoints(a: Point, b: Point) Point {
    const p = a orelse return b;
    const q = b orelse return a;
    const sum = p.add(q);
    sum.rejectIdentity() catch return null;
    return sum;
}

/// The point with this x (mod p) and y of this parity; null where x^3 + 7 is no square.
fn lift(x: u256, odd: bool) ?Secp {
    const xf = field(x);
    const y = Secp.recoverY(xf, odd) catch return null;
    return Secp.fromAffineCoordinates(.{ .x = xf, .y = y }) catch unreachable;
}

fn baseTimes(scalar: u256) Affine {
    return affine(mulPoint(Secp.basePoint, scalar));
}

// ------------------------------------------------------------------------- hashes

/// HMAC-SHA256 of `V || sep || key || hash` without its leading zero bytes (`as-octs`).
fn hmacStep(k: [32]u8, v: [32]u8, sep: u8, key: u256, hash: u256) [32]u8 {
    const message = v ++ [1]u8{sep} ++ big(key) ++ big(hash);
    var start: usize = 0;
    while (start < message.len and message[start] == 0) start += 1;
    var out: [32]u8 = undefined;
    HmacSha256.create(&out, message[start..], &k);
    return out;
}

/// Hoon's `make-k`: the nonce for a valid key and hash.
fn nonce(hash: u256, key: u256) u256 {
    var v = [_]u8{1} ** 32;
    var k = hmacStep([_]u8{0} ** 32, v, 0, key, hash);
    HmacSha256.create(&v, &v, &k);
    k = hmacStep(k, v, 1, key, hash);
    HmacSha256.create(&v, &v, &k);
    var out: [32]u8 = undefined;
    HmacSha256.create(&out, &v, &k);
    return std.mem.readInt(u256, &out, .big);
}

/// BIP-340's tagged hash of 32-byte big-endian numbers, as a number.
fn taggedHash(comptime tag: []const u8, parts: []const u256) u256 {
    var tag_hash: [32]u8 = undefined;
    Sha256.hash(tag, &tag_hash, .{});
    var hasher = Sha256.init(.{});
    hasher.update(&tag_hash);
    hasher.update(&tag_hash);
    for (parts) |part| hasher.update(&big(part));
    var out: [32]u8 = undefined;
    hasher.final(&out);
    return std.mem.readInt(u256, &out, .big);
}

fn challenge(rx: u256, px: u256, m: u256) u256 {
    return taggedHash("BIP0340/challenge", &.{ rx, px, m }) % order;
}

/// Hoon's schnorr `verify` past its size checks.
fn verify(pk: u256, m: u256, sig: u512) bool {
    if (pk >= prime) return false;
    const pp = lift(pk, false) orelse return false;
    const r: u256 = @intCast(sig >> 256);
    const s: u256 = @truncate(sig);
    if (r >= prime or s >= order) return false;
    const e = challenge(r, pk, m);
    const aa = mulPoint(Secp.basePoint, s);
    const bb = mulPoint(pp, order - e);
    // Hoon compares the affine forms, infinity as [0 0], before it adds.
    const a = affine(aa);
    const b = affine(bb);
    if (a.x == b.x and a.y != b.y) return false;
    const rr = affine(addPoints(aa, bb));
    return rr.y & 1 == 0 and r == rr.x;
}

// ------------------------------------------------------------------------- jets

pub fn make(ws: *Workspace, core: Noun) JetError!Noun {
    const hash = try wordAt(ws, core, 12);
    const key = try wordAt(ws, core, 13);
    if (!inOrder(key)) return error.Exit;
    return atom(ws, nonce(hash orelse return error.Exit, key.?));
}

pub fn sign(ws: *Workspace, core: Noun) JetError!Noun {
    const hash = try wordAt(ws, core, 12);
    const key_word = try wordAt(ws, core, 13);
    if (!inOrder(key_word)) return error.Exit;
    const h = hash orelse return error.Exit;
    const key = key_word.?;
    const k = nonce(h, key);
    if (!inOrder(k)) return error.Exit;
    var rp = baseTimes(k);
    if (rp.x == 0) return error.Exit;
    const sum = modOrder(@as(u512, h) + mulOrder(rp.x, key));
    var s = mulOrder(invOrder(k), sum);
    if (s == 0) return error.Exit;
    if (@as(u512, s) * 2 >= order) {
        s = order - s;
        rp.y = prime - rp.y;
    }
    const v: u64 = @as(u64, @intCast(rp.y & 1)) + @as(u64, if (rp.x >= order) 2 else 0);
    return ws.tuple(&.{ Noun.direct(v), try atom(ws, rp.x), try atom(ws, s) });
}

pub fn reco(ws: *Workspace, core: Noun) JetError!Noun {
    const hash_word = try wordAt(ws, core, 12);
    const v = try wordAt(ws, core, 26) orelse return error.Exit;
    const r = try wordAt(ws, core, 54);
    const s = try wordAt(ws, core, 55);
    if (v > 3) return error.Exit;
    const hash = hash_word orelse return error.Exit;
    if (!inOrder(r) or !inOrder(s)) return error.Exit;
    const x: u512 = if (v >= 2) @as(u512, r.?) + order else r.?;
    const point = lift(@intCast(x % prime), v & 1 == 1) orelse return error.Exit;
    if (hash > order) return error.Exit;
    const gz = mulPoint(Secp.basePoint, order - hash);
    const qr = addPoints(gz, mulPoint(point, s.?));
    const public = mulPoint(qr, invOrder(r.?)) orelse return error.Exit;
    const q = affine(public);
    return ws.cell(try atom(ws, q.x), try atom(ws, q.y));
}

pub fn sosi(ws: *Workspace, core: Noun) JetError!Noun {
    const sk_word = try wordAt(ws, core, 12);
    const m = try wordAt(ws, core, 26) orelse return error.Exit;
    const a = try wordAt(ws, core, 27) orelse return error.Exit;
    if (!inOrder(sk_word)) return error.Exit;
    const sk = sk_word.?;
    const pp = baseTimes(sk);
    const d = if (pp.y & 1 == 0) sk else order - sk;
    const masked = d ^ taggedHash("BIP0340/aux", &.{a});
    const kp = taggedHash("BIP0340/nonce", &.{ masked, pp.x, m }) % order;
    if (kp == 0) return error.Exit;
    const rr = baseTimes(kp);
    const k = if (rr.y & 1 == 0) kp else order - kp;
    const e = challenge(rr.x, pp.x, m);
    const s = modOrder(@as(u512, k) + mulOrder(e, d));
    const sig = (@as(u512, rr.x) << 256) | s;
    if (!verify(pp.x, m, sig)) return error.Exit;
    const bytes = little(s) ++ little(rr.x);
    return ws.atomFromBytes(&bytes);
}

pub fn sove(ws: *Workspace, core: Noun) JetError!Noun {
    const pk = try wordAt(ws, core, 12) orelse return error.Exit;
    const m = try wordAt(ws, core, 26) orelse return error.Exit;
    const sig_atom = try common.atomAt(ws, core, 27);
    var scratch: u64 = undefined;
    const sig_bytes = ws.atomBytes(sig_atom, &scratch);
    if (sig_bytes.len > 64) return error.Exit;
    var buffer = [_]u8{0} ** 64;
    @memcpy(buffer[0..sig_bytes.len], sig_bytes);
    const sig = std.mem.readInt(u512, &buffer, .little);
    return if (verify(pk, m, sig)) Noun.zero else Noun.one;
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// SHA-256 of "Satoshi Nakamoto" as a big-endian number: the hash of the widely published
/// RFC 6979 secp256k1 vectors (private keys 1 and n-1).
fn satoshi() u256 {
    var digest: [32]u8 = undefined;
    Sha256.hash("Satoshi Nakamoto", &digest, .{});
    return std.mem.readInt(u256, &digest, .big);
}

fn gate2(ws: *Workspace, a: u256, b: u256) !Noun {
    return t.gate(ws, try ws.cell(try atom(ws, a), try atom(ws, b)));
}

fn gate3(ws: *Workspace, a: u256, b: u256, c: Noun) !Noun {
    return t.gate(ws, try ws.tuple(&.{ try atom(ws, a), try atom(ws, b), c }));
}

test "crypto secp256k1: RFC 6979 nonces and low-s signatures, recovered" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const k1 = 0x8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15;
    try t.expectNoun(&ws, try atom(&ws, k1), try make(&ws, try gate2(&ws, satoshi(), 1)));
    const k2 = 0x33a19b60e25fb6f4435af53a3d42d493644827367e6453928554f43e49aa6f90;
    try t.expectNoun(&ws, try atom(&ws, k2), try make(&ws, try gate2(&ws, satoshi(), order - 1)));
    const sig = try sign(&ws, try gate2(&ws, satoshi(), 1));
    const r = 0x934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8;
    const s = 0x2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5;
    try t.expectNoun(&ws, try atom(&ws, r), try common.slot(&ws, sig, 6));
    try t.expectNoun(&ws, try atom(&ws, s), try common.slot(&ws, sig, 7));
    // Recovery from [v r s] gives key 1's public key, the base point.
    const recovered = try reco(&ws, try t.gate(&ws, try ws.cell(try atom(&ws, satoshi()), sig)));
    const g = affine(Secp.basePoint);
    try t.expectNoun(&ws, try ws.cell(try atom(&ws, g.x), try atom(&ws, g.y)), recovered);
    const sig2 = try sign(&ws, try gate2(&ws, satoshi(), order - 1));
    const r2 = 0xfd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0;
    const s2 = 0x6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5;
    try t.expectNoun(&ws, try atom(&ws, r2), try common.slot(&ws, sig2, 6));
    try t.expectNoun(&ws, try atom(&ws, s2), try common.slot(&ws, sig2, 7));
}

test "crypto secp256k1: Hoon's crashes" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try testing.expectError(error.Exit, make(&ws, try gate2(&ws, 1, 0)));
    try testing.expectError(error.Exit, sign(&ws, try gate2(&ws, 1, order)));
    const long = try ws.atomFromBytes(&([_]u8{1} ** 33));
    try testing.expectError(error.Exit, make(&ws, try t.gate(&ws, try ws.cell(long, Noun.one))));
    const trel = try ws.tuple(&.{ Noun.direct(4), Noun.one, Noun.one });
    try testing.expectError(error.Exit, reco(&ws, try t.gate(&ws, try ws.cell(Noun.one, trel))));
    // A hash above n: `(sub n hash)` crashes once the point lifts (x = 1 does: 1 + 7 = 8).
    const lifts = try ws.tuple(&.{ Noun.zero, Noun.one, Noun.one });
    try testing.expect(lift(1, false) != null);
    try testing.expectError(error.Exit, reco(&ws, try t.gate(&ws, try ws.cell(try atom(&ws, order + 1), lifts))));
    try testing.expectError(error.Exit, sosi(&ws, try gate3(&ws, 0, 0, Noun.zero)));
    try testing.expectError(error.Exit, sove(&ws, try gate3(&ws, 1, 1, try ws.atomFromBytes(&([_]u8{1} ** 65)))));
}

// BIP-340 test vectors 0 and 1 (bip-0340/test-vectors.csv): secret key, public key, aux,
// message, signature.
const Bip340 = struct { sk: u256, pk: u256, aux: u256, m: u256, sig: u512 };
const bip340 = [_]Bip340{ .{
    .sk = 3,
    .pk = 0xf9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9,
    .aux = 0,
    .m = 0,
    .sig = 0xe907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca8215_25f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0,
}, .{
    .sk = 0xb7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef,
    .pk = 0xdff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659,
    .aux = 1,
    .m = 0x243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89,
    .sig = 0x6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de3341_8906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a,
} };

fn atom512(ws: *Workspace, v: u512) !Noun {
    var bytes: [64]u8 = undefined;
    std.mem.writeInt(u512, &bytes, v, .little);
    return ws.atomFromBytes(&bytes);
}

test "crypto secp256k1: BIP-340 signatures and verification" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    for (bip340) |v| {
        const sig = try atom512(&ws, v.sig);
        try t.expectNoun(&ws, sig, try sosi(&ws, try gate3(&ws, v.sk, v.m, try atom(&ws, v.aux))));
        try testing.expectEqual(Noun.zero, try sove(&ws, try gate3(&ws, v.pk, v.m, sig)));
        const wrong = try gate3(&ws, v.pk, v.m ^ 1, sig);
        try testing.expectEqual(Noun.one, try sove(&ws, wrong));
    }
    // A key that is not an x coordinate below p, and an s not below n: no.
    const sig0 = try atom512(&ws, bip340[0].sig);
    try testing.expectEqual(Noun.one, try sove(&ws, try gate3(&ws, prime, 0, sig0)));
    const high_s = try atom512(&ws, (bip340[0].sig >> 256 << 256) | order);
    try testing.expectEqual(Noun.one, try sove(&ws, try gate3(&ws, bip340[0].pk, 0, high_s)));
}
