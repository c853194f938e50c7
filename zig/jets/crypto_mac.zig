//! Jets of zuse's generic HMAC (`++hmac:hmac:crypto`, registered `%hmac`), and of the Keccak
//! hashes of `++keccak:crypto` (`keccak-224` .. `keccak-512`, registered `%k224` .. `%k512`
//! under `%kecc`). Sample axes:
//!   hmac                  [[haj=$-([@u @] @) boq=@u out=@u] key=byts msg=byts]
//!                         at 24 50 51, 52 53, 54 55
//!   k224 k256 k384 k512   octs [p=@ud q=@] at 12 13
//!
//! The Nock of one Keccak-f permutation takes a few million steps (Hoon's lanes are atoms
//! cut and sewn bit by bit), more than the default jet-check budget: the conformance cases of
//! these arms give their checks a budget of their own.
//!
//! Keccak: the original padding (domain byte 0x01), as Ethereum uses, not SHA-3's. The input
//! is the low `p` bytes of `q`, least significant first (zero bytes past the atom's end): Hoon
//! reverses them (`(rev 3 p q)`) and its sponge reads that from the top, so a cord hashes as
//! its text. The digest is produced as a big-endian number (its leading zero bytes vanish).
//! A length beyond what the workspace could hold is Meme, as in hash.zig.
//!
//! HMAC: Hoon's `hmac` is a wet gate over any hash gate `haj` taking `[wid dat]`, with block
//! size `boq` and digest size `out` in bytes; zuse curries it with `sha-1l`, `sha-256l` and
//! `sha-512l`. The jet does Hoon's atom arithmetic natively and slams `haj` itself (two or
//! three times), so it is exact for every hash gate, jetted or not:
//!   key and msg are cut to `wid` bytes; a key longer than `boq` is replaced by
//!   `(haj wid key)` with width `out`; a shorter one is shifted up by the missing bytes;
//!   inner = `(haj (add wid.msg boq) (add (lsh [3 wid.msg] (mix key ipad)) msg))`;
//!   product = `(haj (add out boq) (add (lsh [3 out] (mix key opad)) inner))`.
//! A block size over 1 KiB or a length beyond the workspace runs the Nock (Punt), and so does
//! a sample field that is a cell where Hoon wants an atom.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const hash = @import("hash.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;
const Slam = common.Slam;
const keccak = std.crypto.hash.sha3.Keccak;

pub const entries = [_]entry.Entry{
    entry.slams("hmac", hmac, "[[haj boq=@u out=@u] key=byts msg=byts] 24 50 51 52 53 54 55"),
    entry.plain("k224", k224, "octs [p=@ud q=@] 12 13"),
    entry.plain("k256", k256, "octs [p=@ud q=@] 12 13"),
    entry.plain("k384", k384, "octs [p=@ud q=@] 12 13"),
    entry.plain("k512", k512, "octs [p=@ud q=@] 12 13"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/hmac", .names = &.{"hmac"} },
    .{ .prefix = "one/two/tri/qua/pen/hex/kecc", .names = &.{ "k224", "k256", "k384", "k512" } },
};

// ------------------------------------------------------------------------- keccak

fn keccakOcts(ws: *Workspace, core: Noun, comptime bits: u11) JetError!Noun {
    const Hash = keccak(1600, bits, 0x01, 24);
    const len = common.saturated(ws, try common.atomAt(ws, core, 12));
    if (len > ws.limit_bytes) return error.Meme;
    var hasher = Hash.init(.{});
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(try common.atomAt(ws, core, 13), &scratch);
    const have: usize = @intCast(@min(len, bytes.len));
    hasher.update(bytes[0..have]);
    var rest = len - have;
    const zeros = [_]u8{0} ** 256;
    while (rest > 0) {
        const n: usize = @intCast(@min(rest, zeros.len));
        hasher.update(zeros[0..n]);
        rest -= n;
    }
    var digest: [Hash.digest_length]u8 = undefined;
    hasher.final(&digest);
    std.mem.reverse(u8, &digest);
    return ws.atomFromBytes(&digest);
}

pub fn k224(ws: *Workspace, core: Noun) JetError!Noun {
    return keccakOcts(ws, core, 224);
}

pub fn k256(ws: *Workspace, core: Noun) JetError!Noun {
    return keccakOcts(ws, core, 256);
}

pub fn k384(ws: *Workspace, core: Noun) JetError!Noun {
    return keccakOcts(ws, core, 384);
}

pub fn k512(ws: *Workspace, core: Noun) JetError!Noun {
    return keccakOcts(ws, core, 512);
}

// ------------------------------------------------------------------------- hmac

/// The largest block size done natively (bytes).
const block_max = 1024;

/// An atom of the sample; Punt where it is a cell (the Nock decides what that does).
fn field(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!Noun {
    const x = try common.slot(ws, core, axis);
    if (x.isCell()) return error.Punt;
    return x;
}

/// A byte count as a bit count; Punt beyond what the workspace could hold.
fn byteBits(ws: *const Workspace, n: Noun) JetError!u64 {
    const bytes = common.saturated(ws, n);
    if (bytes > ws.limit_bytes) return error.Punt;
    return bytes * 8;
}

/// `(end [3 wid] dat)`.
fn endBytes(ws: *Workspace, dat: Noun, wid: Noun) JetError!Noun {
    const bits = common.saturated(ws, wid) *| 8;
    if (bits >= atom.met0(ws, dat)) return dat;
    return atom.end(ws, dat, bits);
}

/// `(fil 3 boq byte)`.
fn fill(ws: *Workspace, boq: u64, byte: u8) JetError!Noun {
    assert(boq <= block_max);
    var buffer: [block_max]u8 = undefined;
    @memset(buffer[0..@intCast(boq)], byte);
    return ws.atomFromBytes(buffer[0..@intCast(boq)]);
}

/// `(haj (add wid boq) (add (lsh [3 wid] pad) dat))`.
fn padded(ws: *Workspace, slam: Slam, haj: Noun, wid: Noun, boq: Noun, pad: Noun, dat: Noun) JetError!Noun {
    if (dat.isCell()) return error.Exit;
    const shifted = try atom.lsh(ws, pad, try byteBits(ws, wid));
    const sample = try ws.cell(try atom.add(ws, wid, boq), try atom.add(ws, shifted, dat));
    return slam.call(haj, sample);
}

pub fn hmac(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const boq = common.saturated(ws, try field(ws, core, 50));
    if (boq > block_max) return error.Punt;
    // roots: haj, boq, out, key wid, key dat, msg wid, msg dat, outer pad
    var roots = [8]Noun{
        try common.slot(ws, core, 24), try field(ws, core, 50), try field(ws, core, 51),
        try field(ws, core, 52),       try field(ws, core, 53), try field(ws, core, 54),
        try field(ws, core, 55),       Noun.zero,
    };
    ws.pushRoots(&roots) catch return error.Meme;
    defer ws.popRoots(&roots);
    roots[4] = try endBytes(ws, roots[4], roots[3]);
    roots[6] = try endBytes(ws, roots[6], roots[5]);
    if (common.saturated(ws, roots[3]) > boq) {
        roots[4] = try slam.call(roots[0], try ws.cell(roots[3], roots[4]));
        roots[3] = roots[2];
        if (roots[4].isCell()) return error.Exit;
    }
    const key_wid = common.saturated(ws, roots[3]);
    if (key_wid < boq) roots[4] = try atom.lsh(ws, roots[4], (boq - key_wid) * 8);
    roots[7] = try atom.bitwise(ws, .mix, roots[4], try fill(ws, boq, 0x5c));
    const inner_pad = try atom.bitwise(ws, .mix, roots[4], try fill(ws, boq, 0x36));
    const inner = try padded(ws, slam, roots[0], roots[5], roots[1], inner_pad, roots[6]);
    return padded(ws, slam, roots[0], roots[2], roots[1], roots[7], inner);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "crypto keccak: the original Keccak digests, big-endian" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // Keccak-256("") and Keccak-256("abc"), and Keccak-224("").
    try t.expectJet(&ws, k256, "[0 0]", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    try t.expectJet(&ws, k256, "[3 0x636261]", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    try t.expectJet(&ws, k224, "[0 0]", "0xf71837502ba8e10837bdd8d365adb85591895602fc552b48b7390abd");
    // Only the low `p` bytes count, least significant first: [3 0xff.6362.61] is "abc".
    try t.expectJet(&ws, k256, "[3 0xff636261]", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    try t.expectJetError(&ws, k512, "[18446744073709551615 0]", error.Meme);
}

/// A stand-in for `sha-256l`: SHA-256 of `wid` bytes of `dat`, big-endian; every slam runs a
/// full collection first, to prove the jet keeps its roots.
const FakeSha = struct {
    ws: *Workspace,
    calls: u32 = 0,

    fn slam(opaque_ctx: *anyopaque, gate: Noun, sample: Noun) JetError!Noun {
        const f: *FakeSha = @ptrCast(@alignCast(opaque_ctx));
        f.calls += 1;
        var held = [2]Noun{ gate, sample };
        f.ws.pushRoots(&held) catch return error.Meme;
        _ = try f.ws.cell(Noun.zero, Noun.zero);
        f.ws.collect();
        f.ws.popRoots(&held);
        var hasher = std.crypto.hash.sha2.Sha256.init(.{});
        hash.feedBig(f.ws, &hasher, f.ws.tail(held[1]), f.ws.head(held[1]).raw());
        var digest: [32]u8 = undefined;
        hasher.final(&digest);
        std.mem.reverse(u8, &digest);
        return f.ws.atomFromBytes(&digest);
    }
};

fn runHmac(ws: *Workspace, fake: *FakeSha, sample: Noun) !Noun {
    var core = [1]Noun{try t.gate(ws, sample)};
    try ws.pushRoots(&core);
    defer ws.popRoots(&core);
    return hmac(ws, core[0], .{ .ctx = fake, .slam = FakeSha.slam });
}

/// `[[0 64 32] [key.len key] [msg.len msg]]`, the byts big-endian.
fn hmacSample(ws: *Workspace, key: []const u8, msg: []const u8) !Noun {
    var buffer: [256]u8 = undefined;
    for (key, 0..) |byte, i| buffer[key.len - 1 - i] = byte;
    const key_atom = try ws.atomFromBytes(buffer[0..key.len]);
    for (msg, 0..) |byte, i| buffer[msg.len - 1 - i] = byte;
    const msg_atom = try ws.atomFromBytes(buffer[0..msg.len]);
    return ws.tuple(&.{
        try t.parse(ws, "[0 64 32]"),
        try ws.cell(Noun.direct(key.len), key_atom),
        try ws.cell(Noun.direct(msg.len), msg_atom),
    });
}

test "crypto hmac: RFC 4231 HMAC-SHA-256 through a collecting hash gate" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var fake = FakeSha{ .ws = &ws };
    // Test case 2: key "Jefe".
    var product = try runHmac(&ws, &fake, try hmacSample(&ws, "Jefe", "what do ya want for nothing?"));
    try t.expectNoun(&ws, try t.parse(&ws, "0x5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), product);
    try testing.expectEqual(@as(u32, 2), fake.calls);
    // Test case 6: a 131-byte key of 0xaa is hashed first.
    const message = "Test Using Larger Than Block-Size Key - Hash Key First";
    product = try runHmac(&ws, &fake, try hmacSample(&ws, &([_]u8{0xaa} ** 131), message));
    try t.expectNoun(&ws, try t.parse(&ws, "0x60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"), product);
    try testing.expectEqual(@as(u32, 5), fake.calls);
    // A cell where Hoon wants a width runs the Nock.
    try testing.expectError(error.Punt, runHmac(&ws, &fake, try t.parse(&ws, "[[0 64 32] [[1 1] 1] [1 1]]")));
}
