//! Jets of zuse's ed25519 core (`++ed:crypto`, registered `%ed` under `%coed`). All are
//! gates; points and scalars are atoms whose little-endian bytes are the usual encodings
//! (RFC 8032), so a 32-byte encoding is `(end 8 atom)`. Sample axes:
//!   puck scalarmult-base         sk=@ / scalar=@ at 6
//!   sign                         [m=@ se=@] at 12 13
//!   veri                         [s=@ m=@ pk=@] at 12 26 27
//!   shar                         [pub=@ sek=@] at 12 13
//!   point-add scalarmult         [a-point=@ b-point=@] / [a=@ a-point=@] at 12 13
//!   add-scalarmult-scalarmult-base   [a=@ a-point=@ b=@] at 12 26 27
//!   add-double-scalarmult        [a=@ a-point=@ b=@ b-point=@] at 12 26 54 55
//!
//! What Hoon's definitions compute, beyond plain Ed25519:
//!   - a seed (`sk`, `se`, `sek`) longer than 32 bytes crashes (`puck` asserts it);
//!   - `scam` multiplies by the whole scalar, unreduced: on a point outside the prime-order
//!     subgroup that differs from the scalar mod l, so the jet multiplies exactly;
//!   - `deco` decodes the low 256 bits of an atom (higher bits ignored) and accepts a `y`
//!     that is not reduced mod q (its arithmetic reduces it), as Zig's decoder does; a point
//!     that does not decode is `~`, which `need` turns into a crash;
//!   - the message is `(met 3 m)` bytes, and `shaz` hashes `(met 3 x)` bytes of what it is
//!     given: for m = 0 the hashed string loses its trailing zero bytes (`trimmedSha512`);
//!   - `veri` says no to a signature shorter than 64 bytes or a key shorter than 32 (both
//!     by `met 3`, so a top byte of zero counts), reads R and S from bits 0-255 and
//!     256-511 of `s` and does not require S < l;
//!   - `shar` maps the Edwards `y` of `pub` (the whole atom, mod q) to the Montgomery
//!     `u = (1+y)/(1-y)` and runs the X25519 ladder with the clamped hash of `sek`; a
//!     result at infinity is 0.
//! The scalar multiplications are not constant-time (neither is the Nock).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;
const Edwards25519 = std.crypto.ecc.Edwards25519;
const Curve25519 = std.crypto.ecc.Curve25519;
const Fe = Edwards25519.Fe;
const scalar = Edwards25519.scalar;
const Sha512 = std.crypto.hash.sha2.Sha512;

pub const entries = [_]entry.Entry{
    entry.plain("ed-puck", puck, "sk=@I 6"),
    entry.plain("ed-sign", sign, "[m=@ se=@] 12 13"),
    entry.plain("ed-veri", veri, "[s=@ m=@ pk=@] 12 26 27"),
    entry.plain("ed-shar", shar, "[pub=@ sek=@] 12 13"),
    entry.plain("ed-point-add", pointAdd, "[a-point=@ b-point=@] 12 13"),
    entry.plain("ed-scalarmult", scalarmult, "[a=@ a-point=@] 12 13"),
    entry.plain("ed-scalarmult-base", scalarmultBase, "scalar=@ 6"),
    entry.plain("ed-add-scalarmult-scalarmult-base", addScalarmultScalarmultBase, "[a=@ a-point=@ b=@] 12 26 27"),
    entry.plain("ed-add-double-scalarmult", addDoubleScalarmult, "[a=@ a-point=@ b=@ b-point=@] 12 26 54 55"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/coed/ed", .entry_prefix = "ed-", .names = &.{
        "puck",       "sign",            "veri",                           "shar",                  "point-add",
        "scalarmult", "scalarmult-base", "add-scalarmult-scalarmult-base", "add-double-scalarmult",
    } },
};

/// Longest scalar multiplied natively (bytes); a longer one runs the Nock.
const scalar_bytes_max = 1 << 16;

// ------------------------------------------------------------------------- helpers

/// The low 32 bytes of an atom, little-endian, zero-padded.
fn low32(ws: *const Workspace, a: Noun) [32]u8 {
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(a, &scratch);
    var out = [_]u8{0} ** 32;
    const n = @min(bytes.len, out.len);
    @memcpy(out[0..n], bytes[0..n]);
    return out;
}

/// A seed of at most 32 bytes (`puck`'s assertion), zero-padded.
fn seed32(ws: *const Workspace, a: Noun) JetError![32]u8 {
    var scratch: u64 = undefined;
    if (ws.atomBytes(a, &scratch).len > 32) return error.Exit;
    return low32(ws, a);
}

/// Hoon's `deco` of an atom's low 256 bits; null where it gives `~`.
fn deco(ws: *const Workspace, a: Noun) ?Edwards25519 {
    return Edwards25519.fromBytes(low32(ws, a)) catch null;
}

/// `(need (deco a))`: a crash where the point does not decode.
fn needPoint(ws: *const Workspace, a: Noun) JetError!Edwards25519 {
    return deco(ws, a) orelse error.Exit;
}

/// Hoon's `scam`: `p` times the whole scalar `e` (little-endian bytes), for any point on
/// the curve. Zig's windowed `mul` where it applies; it refuses small-order points and an
/// identity product, which double-and-add (complete formulas) then computes.
fn scam(p: Edwards25519, e: []const u8) Edwards25519 {
    assert(e.len <= scalar_bytes_max);
    if (e.len <= 32) {
        var s = [_]u8{0} ** 32;
        @memcpy(s[0..e.len], e);
        if (p.mul(s)) |q| return q else |_| {}
    }
    var q = Edwards25519.identityElement;
    var i = e.len;
    while (i > 0) {
        i -= 1;
        var bit: u4 = 8;
        while (bit > 0) {
            bit -= 1;
            q = q.dbl();
            if ((e[i] >> @intCast(bit)) & 1 == 1) q = q.add(p);
        }
    }
    return q;
}

/// `scam` by an atom: Punt for a scalar too long to multiply here.
fn scamAtom(ws: *const Workspace, p: Edwards25519, e: Noun) JetError!Edwards25519 {
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(e, &scratch);
    if (bytes.len > scalar_bytes_max) return error.Punt;
    return scam(p, bytes);
}

/// Hoon's `etch`: the point's encoding as an atom.
fn etch(ws: *Workspace, p: Edwards25519) JetError!Noun {
    const bytes = p.toBytes();
    return ws.atomFromBytes(&bytes);
}

/// SHA-512 of the concatenated parts without their trailing zero bytes: Hoon's
/// `(shaz x)` of the atom `x` that the parts spell little-endian, which hashes
/// `(met 3 x)` bytes.
fn trimmedSha512(parts: []const []const u8, out: *[64]u8) void {
    var keep: usize = 0;
    for (parts) |part| keep += part.len;
    var i = parts.len;
    outer: while (i > 0) {
        i -= 1;
        var j = parts[i].len;
        while (j > 0) {
            j -= 1;
            if (parts[i][j] != 0) break :outer;
            keep -= 1;
        }
    }
    var hasher = Sha512.init(.{});
    for (parts) |part| {
        const n = @min(part.len, keep);
        hasher.update(part[0..n]);
        keep -= n;
    }
    assert(keep == 0);
    hasher.final(out);
}

/// The clamped secret scalar and the nonce prefix of a 32-byte seed.
const Expanded = struct { a: [32]u8, prefix: [32]u8 };

fn expand(seed: [32]u8) Expanded {
    var h: [64]u8 = undefined;
    Sha512.hash(&seed, &h, .{});
    var a = h[0..32].*;
    scalar.clamp(&a);
    return .{ .a = a, .prefix = h[32..64].* };
}

// ------------------------------------------------------------------------- jets

pub fn puck(ws: *Workspace, core: Noun) JetError!Noun {
    const key = expand(try seed32(ws, try common.atomAt(ws, core, 6)));
    return etch(ws, scam(Edwards25519.basePoint, &key.a));
}

pub fn sign(ws: *Workspace, core: Noun) JetError!Noun {
    const m = try common.atomAt(ws, core, 12);
    const key = expand(try seed32(ws, try common.atomAt(ws, core, 13)));
    const pk = scam(Edwards25519.basePoint, &key.a).toBytes();
    var scratch: u64 = undefined;
    const msg = ws.atomBytes(m, &scratch);
    var r: [64]u8 = undefined;
    trimmedSha512(&.{ &key.prefix, msg }, &r);
    const r_reduced = scalar.reduce64(r);
    const rr = scam(Edwards25519.basePoint, &r_reduced).toBytes();
    var k: [64]u8 = undefined;
    trimmedSha512(&.{ &rr, &pk, msg }, &k);
    const s = scalar.mulAdd(scalar.reduce64(k), key.a, r_reduced);
    const signature = rr ++ s;
    return ws.atomFromBytes(&signature);
}

pub fn veri(ws: *Workspace, core: Noun) JetError!Noun {
    const no = Noun.one;
    const s = try common.atomAt(ws, core, 12);
    const m = try common.atomAt(ws, core, 26);
    const pk = try common.atomAt(ws, core, 27);
    var scratch_s: u64 = undefined;
    var scratch_m: u64 = undefined;
    var scratch_pk: u64 = undefined;
    const sig = ws.atomBytes(s, &scratch_s);
    const key = ws.atomBytes(pk, &scratch_pk);
    if (sig.len < 64 or key.len < 32) return no;
    const rr = Edwards25519.fromBytes(sig[0..32].*) catch return no;
    const aa = Edwards25519.fromBytes(key[0..32].*) catch return no;
    // `(etch u.rr)` gives back the bits `deco` read: the first 32 bytes of the signature.
    var h: [64]u8 = undefined;
    trimmedSha512(&.{ sig[0..32], key[0..32], ws.atomBytes(m, &scratch_m) }, &h);
    const lhs = scam(Edwards25519.basePoint, sig[32..64]);
    const rhs = rr.add(scam(aa, &h));
    const same = std.mem.eql(u8, &lhs.toBytes(), &rhs.toBytes());
    return if (same) Noun.zero else no;
}

pub fn shar(ws: *Workspace, core: Noun) JetError!Noun {
    const public = try common.atomAt(ws, core, 12);
    const key = expand(try seed32(ws, try common.atomAt(ws, core, 13)));
    var scratch: u64 = undefined;
    const y_bytes = ws.atomBytes(public, &scratch);
    if (y_bytes.len > 32) return error.Punt; // y mod q of a longer atom: left to the Nock
    // y mod q: Fe.fromBytes reads 255 bits; bit 255 is worth 2^255 = 19 (mod q).
    var y = Fe.fromBytes(low32(ws, public));
    if (y_bytes.len == 32 and y_bytes[31] >= 0x80) y = y.add(Fe{ .limbs = .{ 19, 0, 0, 0, 0 } });
    // fra.fq of a zero denominator multiplies by inv.fq 0 = 0, as invert does.
    const u = Fe.one.add(y).mul(Fe.one.sub(y).invert());
    const product = Curve25519.fromBytes(u.toBytes()).clampedMul(key.a) catch return Noun.zero;
    const bytes = product.toBytes();
    return ws.atomFromBytes(&bytes);
}

pub fn pointAdd(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try needPoint(ws, try common.atomAt(ws, core, 12));
    const b = try needPoint(ws, try common.atomAt(ws, core, 13));
    return etch(ws, a.add(b));
}

pub fn scalarmult(ws: *Workspace, core: Noun) JetError!Noun {
    const e = try common.atomAt(ws, core, 12);
    const p = try needPoint(ws, try common.atomAt(ws, core, 13));
    return etch(ws, try scamAtom(ws, p, e));
}

pub fn scalarmultBase(ws: *Workspace, core: Noun) JetError!Noun {
    const e = try common.atomAt(ws, core, 6);
    return etch(ws, try scamAtom(ws, Edwards25519.basePoint, e));
}

pub fn addScalarmultScalarmultBase(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 12);
    const p = try needPoint(ws, try common.atomAt(ws, core, 26));
    const b = try common.atomAt(ws, core, 27);
    const q = try scamAtom(ws, Edwards25519.basePoint, b);
    return etch(ws, q.add(try scamAtom(ws, p, a)));
}

pub fn addDoubleScalarmult(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 12);
    const p = try needPoint(ws, try common.atomAt(ws, core, 26));
    const b = try common.atomAt(ws, core, 54);
    const q = try needPoint(ws, try common.atomAt(ws, core, 55));
    const left = try scamAtom(ws, p, a);
    return etch(ws, left.add(try scamAtom(ws, q, b)));
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// The atom whose little-endian bytes are `hex` (an encoding as RFC 8032 prints it).
fn hexAtom(ws: *Workspace, comptime hex: []const u8) !Noun {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    return ws.atomFromBytes(&bytes);
}

// RFC 8032, section 7.1, tests 1 and 2.
const seed1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const public1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const signature1 = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" ++
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const seed2 = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
const public2 = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const signature2 = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" ++
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

test "crypto ed25519: RFC 8032 keys and signatures" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectNoun(&ws, try hexAtom(&ws, public1), try puck(&ws, try t.gate(&ws, try hexAtom(&ws, seed1))));
    try t.expectNoun(&ws, try hexAtom(&ws, public2), try puck(&ws, try t.gate(&ws, try hexAtom(&ws, seed2))));
    // Test 1 signs the empty message: m = 0 (its r hash input loses no byte here).
    const empty = try ws.cell(Noun.zero, try hexAtom(&ws, seed1));
    try t.expectNoun(&ws, try hexAtom(&ws, signature1), try sign(&ws, try t.gate(&ws, empty)));
    const one_byte = try ws.cell(Noun.direct(0x72), try hexAtom(&ws, seed2));
    try t.expectNoun(&ws, try hexAtom(&ws, signature2), try sign(&ws, try t.gate(&ws, one_byte)));
    const good = try ws.tuple(&.{ try hexAtom(&ws, signature1), Noun.zero, try hexAtom(&ws, public1) });
    try testing.expectEqual(Noun.zero, try veri(&ws, try t.gate(&ws, good)));
    const wrong = try ws.tuple(&.{ try hexAtom(&ws, signature1), Noun.one, try hexAtom(&ws, public1) });
    try testing.expectEqual(Noun.one, try veri(&ws, try t.gate(&ws, wrong)));
    // Test 2's signature ends in a zero byte: `(met 3 s)` is 63, and Hoon says no.
    const valid2 = try ws.tuple(&.{ try hexAtom(&ws, signature2), Noun.direct(0x72), try hexAtom(&ws, public2) });
    try testing.expectEqual(Noun.one, try veri(&ws, try t.gate(&ws, valid2)));
    const short = try ws.tuple(&.{ Noun.direct(5), Noun.direct(0x72), try hexAtom(&ws, public2) });
    try testing.expectEqual(Noun.one, try veri(&ws, try t.gate(&ws, short)));
}

test "crypto ed25519: Hoon's crashes and identities" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // A seed of 33 bytes crashes in puck, sign and shar.
    const long = try ws.atomFromBytes(&([_]u8{1} ** 33));
    try testing.expectError(error.Exit, puck(&ws, try t.gate(&ws, long)));
    try testing.expectError(error.Exit, sign(&ws, try t.gate(&ws, try ws.cell(Noun.one, long))));
    try testing.expectError(error.Exit, shar(&ws, try t.gate(&ws, try ws.cell(Noun.one, long))));
    // y = 2 is not on the curve: `need` crashes.
    try testing.expectError(error.Exit, pointAdd(&ws, try t.gate(&ws, try ws.cell(Noun.direct(2), Noun.one))));
    // The identity encodes as 1; B times 0 is the identity; B + identity is B.
    try t.expectJet(&ws, scalarmultBase, "0", "1");
    const base = try etch(&ws, Edwards25519.basePoint);
    try t.expectNoun(&ws, base, try scalarmultBase(&ws, try t.gate(&ws, Noun.one)));
    try t.expectNoun(&ws, base, try pointAdd(&ws, try t.gate(&ws, try ws.cell(base, Noun.one))));
    // l times B is the identity, through the unreduced double-and-add path too.
    const l_hex = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    try t.expectNoun(&ws, Noun.one, try scalarmultBase(&ws, try t.gate(&ws, try hexAtom(&ws, l_hex))));
    try t.expectNoun(&ws, Noun.one, try scalarmult(&ws, try t.gate(&ws, try ws.cell(try hexAtom(&ws, l_hex ++ "00"), base))));
}

test "crypto ed25519: scam multiplies small-order points exactly" {
    // (0, -1) has order 2: times 3 is itself, times 2 the identity.
    var y = [_]u8{0xff} ** 32;
    y[0] = 0xec;
    y[31] = 0x7f;
    const p = try Edwards25519.fromBytes(y);
    try testing.expectEqualSlices(u8, &y, &scam(p, &.{3}).toBytes());
    try testing.expectEqualSlices(u8, &Edwards25519.identityElement.toBytes(), &scam(p, &.{2}).toBytes());
}

test "crypto ed25519: shar agrees from both sides" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const a_pub = try puck(&ws, try t.gate(&ws, try hexAtom(&ws, seed1)));
    const b_pub = try puck(&ws, try t.gate(&ws, try hexAtom(&ws, seed2)));
    const ab = try shar(&ws, try t.gate(&ws, try ws.cell(b_pub, try hexAtom(&ws, seed1))));
    const ba = try shar(&ws, try t.gate(&ws, try ws.cell(a_pub, try hexAtom(&ws, seed2))));
    try t.expectNoun(&ws, ab, ba);
    // y = 1 maps to u = 2/0, which Hoon's inverse makes 0: the ladder ends at infinity.
    try t.expectNoun(&ws, Noun.zero, try shar(&ws, try t.gate(&ws, try ws.cell(Noun.one, Noun.one))));
}
