//! ChaCha, as zuse's `++chacha:crypto` computes it (`%crypt` and `%xchacha`, registered
//! `hex/chacha/crypt` and `hex/chacha/xchacha` by newer zuses), NOT in the jet table yet:
//! the ivory pill's zuse (kelvin 140) has no ChaCha, so no conformance case can check these
//! functions against the arms' own Nock. (Cases that compile a Hoon core written to the same
//! definitions, registered under the same path, were tried: compiling it in jet-check mode,
//! where every compiler jet is checked against its Nock, took minutes per case.) The unit
//! tests below check them against std's ChaCha8/12/20 and XChaCha20. Registering them is the
//! two entries and the layer below, with conformance cases. Sample axes:
//!   crypt     [rounds=@ud key=@uxI nonce=@uxG counter=@udG msg=octs]
//!             at 12 26 54 110, wid 222, dat 223
//!   xchacha   [rounds=@ud key=@uxI nonce=@uxH] at 12 26 27
//!   entries:  plain "chacha-crypt" crypt, plain "chacha-xchacha" xchacha;
//!   layer:    prefix "one/two/tri/qua/pen/hex/chacha", entry_prefix "chacha-",
//!             names "crypt" and "xchacha".
//!
//! What Hoon's definitions compute (Bernstein's original ChaCha, not the IETF variant):
//!   - the state is the 16 little-endian 32-bit words of `(can 5 [4 sigma] [8 key]
//!     [2 counter] [2 nonce] ~)`: the low 256 bits of the key, a 64-bit block counter (words
//!     12-13, so it wraps mod 2^64) and the low 64 bits of the nonce (words 14-15);
//!   - `rounds` counts rounds two at a time (one column and one diagonal round) down to 0:
//!     an odd count ends in `(sub 1 2)`, a crash, once a block is computed (a crypt of an
//!     empty message computes none and gives `[0 0]`);
//!   - crypt XORs `dat.msg` (its low `wid.msg` bytes, little-endian: byte 0 of the atom is the
//!     first byte of the message) with the keystream of blocks `counter`, `counter + 1`, ...,
//!     each the rounds' output plus the input state, word by word mod 2^32; the product is
//!     `[wid.msg (end [3 wid.msg] ...)]`;
//!   - xchacha is HChaCha: the key `(cat 7 words-0-3 words-12-15)` of the permuted state
//!     (no feed-forward; `cat` drops a zero low half's width, so a zero words 0-3 gives
//!     words 12-15 alone) with the low 128 bits of the nonce in words 12-15, and the nonce
//!     `(rsh [5 4] nonce)`, everything above those 128 bits.
//! A sample field that is a cell, or a round count over `rounds_max`, runs the Nock (Punt);
//! a message longer than the workspace could hold is Meme.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;

pub const entries = [_]entry.Entry{};

pub const layers = [_]entry.Layer{};

/// The most rounds computed natively; more runs the Nock.
const rounds_max = 1 << 16;

const Block = [16]u32;

/// "expand 32-byte k", the words of Hoon's `sigma`.
const sigma = [4]u32{ 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

fn quarter(s: *Block, a: u4, b: u4, c: u4, d: u4) void {
    s[a] +%= s[b];
    s[d] = std.math.rotl(u32, s[d] ^ s[a], 16);
    s[c] +%= s[d];
    s[b] = std.math.rotl(u32, s[b] ^ s[c], 12);
    s[a] +%= s[b];
    s[d] = std.math.rotl(u32, s[d] ^ s[a], 8);
    s[c] +%= s[d];
    s[b] = std.math.rotl(u32, s[b] ^ s[c], 7);
}

/// Hoon's `do-rounds`: double rounds while `rounds` is not 0; an odd count crashes.
fn doRounds(s: *Block, rounds: u64) JetError!void {
    assert(rounds <= rounds_max);
    var left = rounds;
    while (left != 0) : (left -= 2) {
        if (left == 1) return error.Exit;
        quarter(s, 0, 4, 8, 12);
        quarter(s, 1, 5, 9, 13);
        quarter(s, 2, 6, 10, 14);
        quarter(s, 3, 7, 11, 15);
        quarter(s, 0, 5, 10, 15);
        quarter(s, 1, 6, 11, 12);
        quarter(s, 2, 7, 8, 13);
        quarter(s, 3, 4, 9, 14);
    }
}

/// An atom of the sample; Punt where it is a cell (the Nock decides what that does).
fn field(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!Noun {
    const x = try common.slot(ws, core, axis);
    if (x.isCell()) return error.Punt;
    return x;
}

/// The round count; Punt beyond `rounds_max`.
fn roundsOf(ws: *const Workspace, n: Noun) JetError!u64 {
    const rounds = common.saturated(ws, n);
    if (rounds > rounds_max) return error.Punt;
    return rounds;
}

/// The low `out.len` little-endian 32-bit words of an atom (zero past its end).
fn words(ws: *const Workspace, a: Noun, out: []u32) void {
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(a, &scratch);
    for (out, 0..) |*word, i| {
        var buffer = [_]u8{0} ** 4;
        const from = @min(bytes.len, i * 4);
        const to = @min(bytes.len, i * 4 + 4);
        @memcpy(buffer[0 .. to - from], bytes[from..to]);
        word.* = std.mem.readInt(u32, &buffer, .little);
    }
}

/// The state of Hoon's `can32` with the key's 8 words; `tail` fills words 12-15.
fn initial(ws: *const Workspace, key: Noun) Block {
    var s: Block = undefined;
    s[0..4].* = sigma;
    words(ws, key, s[4..12]);
    @memset(s[12..16], 0);
    return s;
}

/// One keystream block: the rounds' output plus the input, serialised little-endian.
fn keystream(input: Block, rounds: u64, out: *[64]u8) JetError!void {
    var s = input;
    try doRounds(&s, rounds);
    for (0..16) |i| std.mem.writeInt(u32, out[i * 4 ..][0..4], s[i] +% input[i], .little);
}

/// XOR the keystream of blocks `counter`, `counter + 1`, ... into `buffer`.
fn xorStream(state: Block, counter: u64, rounds: u64, buffer: []u8) JetError!void {
    var s = state;
    var block: u64 = 0;
    var pos: usize = 0;
    while (pos < buffer.len) : (block += 1) {
        const n = counter +% block;
        s[12] = @truncate(n);
        s[13] = @truncate(n >> 32);
        var stream: [64]u8 = undefined;
        try keystream(s, rounds, &stream);
        const len = @min(64, buffer.len - pos);
        for (buffer[pos..][0..len], stream[0..len]) |*byte, k| byte.* ^= k;
        pos += len;
    }
}

pub fn crypt(ws: *Workspace, core: Noun) JetError!Noun {
    const wid = try field(ws, core, 222);
    const dat = try field(ws, core, 223);
    const len = common.saturated(ws, wid);
    if (len > ws.limit_bytes) return error.Meme;
    const rounds_noun = try field(ws, core, 12);
    const key = try field(ws, core, 26);
    const nonce = try field(ws, core, 54);
    const counter = try field(ws, core, 110);
    if (len == 0) return ws.cell(wid, Noun.zero);
    const rounds = try roundsOf(ws, rounds_noun);
    var state = initial(ws, key);
    words(ws, nonce, state[14..16]);
    var counter_words: [2]u32 = undefined;
    words(ws, counter, &counter_words);
    const start = @as(u64, counter_words[1]) << 32 | counter_words[0];
    const limbs = try ws.startAtom(@intCast((len + 7) / 8));
    const buffer = std.mem.sliceAsBytes(limbs)[0..@intCast(len)];
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(dat, &scratch);
    const have = @min(bytes.len, buffer.len);
    @memcpy(buffer[0..have], bytes[0..have]);
    try xorStream(state, start, rounds, buffer);
    const product = ws.finishAtom(limbs);
    return ws.cell(wid, product);
}

pub fn xchacha(ws: *Workspace, core: Noun) JetError!Noun {
    const rounds = try roundsOf(ws, try field(ws, core, 12));
    const key = try field(ws, core, 26);
    const nonce = try field(ws, core, 27);
    var s = initial(ws, key);
    words(ws, nonce, s[12..16]);
    try doRounds(&s, rounds);
    var out: [32]u8 = undefined;
    for (0..4) |i| {
        std.mem.writeInt(u32, out[i * 4 ..][0..4], s[i], .little);
        std.mem.writeInt(u32, out[16 + i * 4 ..][0..4], s[12 + i], .little);
    }
    const low_zero = std.mem.allEqual(u8, out[0..16], 0);
    const subkey = try ws.atomFromBytes(if (low_zero) out[16..32] else out[0..32]);
    var roots = [1]Noun{subkey};
    ws.pushRoots(&roots) catch return error.Meme;
    defer ws.popRoots(&roots);
    const rest = try atom.rsh(ws, nonce, 128);
    return ws.cell(roots[0], rest);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");
const chacha = std.crypto.stream.chacha;

/// `[rounds key nonce counter [wid dat]]` with the message's bytes as a little-endian atom.
fn cryptSample(ws: *Workspace, rounds: u64, key: *const [32]u8, nonce: u64, counter: u64, msg: []const u8) !Noun {
    return ws.tuple(&.{
        Noun.direct(rounds),                                          try ws.atomFromBytes(key),
        try ws.atomFromBytes(std.mem.asBytes(&nonce)),                try ws.atomFromBytes(std.mem.asBytes(&counter)),
        try ws.cell(Noun.direct(msg.len), try ws.atomFromBytes(msg)),
    });
}

/// The product's octs as bytes (`wid` of them).
fn productBytes(ws: *Workspace, product: Noun, out: []u8) !void {
    try testing.expectEqual(Noun.direct(out.len), ws.head(product));
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(ws.tail(product), &scratch);
    @memset(out, 0);
    @memcpy(out[0..bytes.len], bytes);
}

test "crypto chacha: crypt agrees with std's 64-bit-nonce ChaCha at 8, 12 and 20 rounds" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(7);
    const random = prng.random();
    var key: [32]u8 = undefined;
    random.bytes(&key);
    var msg: [200]u8 = undefined;
    random.bytes(&msg);
    msg[msg.len - 1] = 0; // a trailing zero byte stays part of the message
    const nonce: u64 = 0x0123456789abcdef;
    var expected: [200]u8 = undefined;
    var actual: [200]u8 = undefined;
    inline for (.{ 8, 12, 20 }, .{ chacha.ChaCha8With64BitNonce, chacha.ChaCha12With64BitNonce, chacha.ChaCha20With64BitNonce }) |rounds, Cipher| {
        Cipher.xor(&expected, &msg, 5, key, std.mem.toBytes(nonce));
        const product = try crypt(&ws, try t.gate(&ws, try cryptSample(&ws, rounds, &key, nonce, 5, &msg)));
        try productBytes(&ws, product, &actual);
        try testing.expectEqualSlices(u8, &expected, &actual);
    }
}

test "crypto chacha: crypt's edge cases" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const key = [_]u8{9} ** 32;
    // An empty message computes no block: even an odd round count gives [0 0].
    try t.expectNoun(&ws, try t.parse(&ws, "[0 0]"), try crypt(&ws, try t.gate(&ws, try cryptSample(&ws, 7, &key, 0, 0, ""))));
    try testing.expectError(error.Exit, crypt(&ws, try t.gate(&ws, try cryptSample(&ws, 7, &key, 0, 0, "a"))));
    try testing.expectError(error.Punt, crypt(&ws, try t.gate(&ws, try cryptSample(&ws, rounds_max + 2, &key, 0, 0, "a"))));
    // Bytes of `dat` past `wid` are dropped; the counter wraps at 2^64 between blocks.
    var long: [3]u8 = undefined;
    try productBytes(&ws, try crypt(&ws, try t.gate(&ws, try cryptSample(&ws, 20, &key, 1, 0, "abcdef"[0..3]))), &long);
    const sample = try ws.tuple(&.{ Noun.direct(20), try ws.atomFromBytes(&key), Noun.one, Noun.zero, try t.parse(&ws, "[3 0xffff.ff63.6261]") });
    var cut: [3]u8 = undefined;
    try productBytes(&ws, try crypt(&ws, try t.gate(&ws, sample)), &cut);
    try testing.expectEqualSlices(u8, &long, &cut);
    var expected: [130]u8 = [_]u8{0} ** 130;
    const top = std.math.maxInt(u64);
    const s = initial(&ws, try ws.atomFromBytes(&key));
    try xorStream(s, top, 20, &expected);
    var first: [64]u8 = [_]u8{0} ** 64;
    try xorStream(s, 0, 20, &first);
    try testing.expectEqualSlices(u8, &first, expected[64..128]);
    try testing.expectError(error.Exit, xorStream(s, 0, 3, &first));
}

test "crypto chacha: xchacha then crypt is std's XChaCha20" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var key: [32]u8 = undefined;
    for (&key, 0..) |*byte, i| byte.* = @intCast(i);
    var nonce: [24]u8 = undefined;
    for (&nonce, 0..) |*byte, i| byte.* = @intCast(0x40 + i);
    const derived = try xchacha(&ws, try t.gate(&ws, try ws.tuple(&.{ Noun.direct(20), try ws.atomFromBytes(&key), try ws.atomFromBytes(&nonce) })));
    const msg = "Cellar's ChaCha: one full block and then some more bytes of text, 90 in all..............";
    const sample = try ws.tuple(&.{
        Noun.direct(20),                                              ws.head(derived),
        ws.tail(derived),                                             Noun.zero,
        try ws.cell(Noun.direct(msg.len), try ws.atomFromBytes(msg)),
    });
    var actual: [msg.len]u8 = undefined;
    try productBytes(&ws, try crypt(&ws, try t.gate(&ws, sample)), &actual);
    var expected: [msg.len]u8 = undefined;
    chacha.XChaCha20IETF.xor(&expected, msg, 0, key, nonce);
    try testing.expectEqualSlices(u8, &expected, &actual);
    // Odd rounds crash; a nonce's bits above 128 come back whole.
    try t.expectJetError(&ws, xchacha, "[3 1 1]", error.Exit);
    const wide = try xchacha(&ws, try t.gate(&ws, try t.parse(&ws, "[0 0 0x1.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000.0000]")));
    try t.expectNoun(&ws, try t.parse(&ws, "0x1.0000.0000.0000.0000.0000.0000.0000.0000"), ws.tail(wide));
}
