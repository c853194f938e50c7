//! Jets of zuse's AES arms (`++aes:crypto`, registered `%aes` under `%hex`): ECB, CBC and
//! CTR for the three key sizes, AES-128 (`ecba`, `cbca`, `ctra`), AES-192 (`ecbb`, `cbcb`,
//! `ctrb`) and AES-256 (`ecbc`, `cbcc`, `ctrc`); SIV is crypto_siv.zig, on the cipher here.
//! Each jetted arm is a gate `en`/`de` inside its door (CTR's `de` is its `en`, not
//! registered); axes in the gate:
//!   ecb en/de   blk=@ at 6; the door's key=@ at 30
//!   cbc en/de   txt=@ at 6; the door's [key=@ prv=@H] at 60 61
//!   ctr en      txt=@ at 6; the door's [key=@ mod=bloq len=@ ctr=@H] at 60 122 246 247
//!
//! Byte order, as Hoon computes it (`~(net fe 7)` around the block cipher): a key, block or
//! IV is the big-endian encoding of the atom, and so is a product. Hoon truncates keys,
//! blocks and IVs to their width (`sit`, `end` in `rep 7`), and so do the jets: AES-192's
//! key is the low 24 bytes of the atom (`(rsh 6 (~(net fe 8) key))`). A cell where an atom
//! belongs, or a counter bloq above 7, runs the Nock.
//!   cbc  `txt` is cut into 16-byte blocks from the top (its first block is its most
//!        significant, zero-padded above: `(flop (rip 7 txt))`, one zero block for 0); the
//!        product is the result blocks in the same order, as one number.
//!   ctr  the keystream is AES of ctr, ctr+1, ... (the low 2^mod bits of ctr incremented
//!        with wrap-around, as `inc` does; a bloq of 7 increments the whole block), its
//!        first `len` bytes as a big-endian number, mixed into `txt`; a `txt` longer than
//!        `len` bytes crashes (`?>`).
//!
//! The cipher is FIPS-197's: the key expansion here (Zig's std has no AES-192), the rounds
//! on std's AES block operations (hardware instructions where the CPU has them).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;
const AesBlock = std.crypto.core.aes.Block;

pub const entries = [_]entry.Entry{
    entry.plain("ecba-en", ecbaEn, "blk=@ 6; key 30"),
    entry.plain("ecba-de", ecbaDe, "blk=@ 6; key 30"),
    entry.plain("ecbb-en", ecbbEn, "blk=@ 6; key 30"),
    entry.plain("ecbb-de", ecbbDe, "blk=@ 6; key 30"),
    entry.plain("ecbc-en", ecbcEn, "blk=@ 6; key 30"),
    entry.plain("ecbc-de", ecbcDe, "blk=@ 6; key 30"),
    entry.plain("cbca-en", cbcaEn, "txt=@ 6; [key prv] 60 61"),
    entry.plain("cbca-de", cbcaDe, "txt=@ 6; [key prv] 60 61"),
    entry.plain("cbcb-en", cbcbEn, "txt=@ 6; [key prv] 60 61"),
    entry.plain("cbcb-de", cbcbDe, "txt=@ 6; [key prv] 60 61"),
    entry.plain("cbcc-en", cbccEn, "txt=@ 6; [key prv] 60 61"),
    entry.plain("cbcc-de", cbccDe, "txt=@ 6; [key prv] 60 61"),
    entry.plain("ctra-en", ctraEn, "txt=@ 6; [key mod len ctr] 60 122 246 247"),
    entry.plain("ctrb-en", ctrbEn, "txt=@ 6; [key mod len ctr] 60 122 246 247"),
    entry.plain("ctrc-en", ctrcEn, "txt=@ 6; [key mod len ctr] 60 122 246 247"),
};

const en_de = &[_][]const u8{ "en", "de" };
const hex_aes = "one/two/tri/qua/pen/hex/aes/";

pub const layers = [_]entry.Layer{
    .{ .prefix = hex_aes ++ "ecba", .entry_prefix = "ecba-", .names = en_de },
    .{ .prefix = hex_aes ++ "ecbb", .entry_prefix = "ecbb-", .names = en_de },
    .{ .prefix = hex_aes ++ "ecbc", .entry_prefix = "ecbc-", .names = en_de },
    .{ .prefix = hex_aes ++ "cbca", .entry_prefix = "cbca-", .names = en_de },
    .{ .prefix = hex_aes ++ "cbcb", .entry_prefix = "cbcb-", .names = en_de },
    .{ .prefix = hex_aes ++ "cbcc", .entry_prefix = "cbcc-", .names = en_de },
    .{ .prefix = hex_aes ++ "ctra", .entry_prefix = "ctra-", .names = &.{"en"} },
    .{ .prefix = hex_aes ++ "ctrb", .entry_prefix = "ctrb-", .names = &.{"en"} },
    .{ .prefix = hex_aes ++ "ctrc", .entry_prefix = "ctrc-", .names = &.{"en"} },
};

pub const Block = [16]u8;

// ------------------------------------------------------------------------- the cipher

/// Multiplication by x in GF(2^8) modulo AES's polynomial.
fn xtime(a: u8) u8 {
    return (a << 1) ^ (if (a & 0x80 != 0) @as(u8, 0x1b) else 0);
}

fn gmul(a: u8, b: u8) u8 {
    var x = a;
    var y = b;
    var product: u8 = 0;
    while (y != 0) : (y >>= 1) {
        if (y & 1 != 0) product ^= x;
        x = xtime(x);
    }
    return product;
}

/// The S-box (FIPS-197 5.1.1): the multiplicative inverse, then the affine map. The
/// inverse walks the group by powers of the generator 3 alongside its exponents' inverses.
const sbox: [256]u8 = blk: {
    @setEvalBranchQuota(20_000);
    var table: [256]u8 = undefined;
    var log: [256]u8 = undefined;
    var exp: [255]u8 = undefined;
    var p: u8 = 1;
    for (0..255) |i| {
        exp[i] = p;
        log[p] = @intCast(i);
        p = gmul(p, 3);
    }
    table[0] = 0x63;
    for (1..256) |x| {
        const inverse = exp[(255 - @as(usize, log[x])) % 255];
        var s: u8 = inverse ^ 0x63;
        for (1..5) |r| s ^= std.math.rotl(u8, inverse, r);
        table[x] = s;
    }
    break :blk table;
};

fn invMixColumns(bytes: *Block) void {
    for (0..4) |c| {
        const a = bytes[4 * c ..][0..4].*;
        for (0..4) |r| {
            bytes[4 * c + r] = gmul(a[r], 14) ^ gmul(a[(r + 1) % 4], 11) ^
                gmul(a[(r + 2) % 4], 13) ^ gmul(a[(r + 3) % 4], 9);
        }
    }
}

/// AES with a key of `nk` 32-bit words (4, 6 or 8): the expanded key for both directions
/// (decryption by the equivalent inverse cipher, FIPS-197 5.3.5).
pub fn Cipher(comptime nk: usize) type {
    comptime assert(nk == 4 or nk == 6 or nk == 8);
    return struct {
        const Self = @This();
        pub const key_bytes = 4 * nk;
        const rounds = nk + 6;

        enc: [rounds + 1]AesBlock,
        dec: [rounds + 1]AesBlock,

        pub fn init(key: *const [key_bytes]u8) Self {
            var w: [4 * (rounds + 1)][4]u8 = undefined;
            for (0..nk) |i| w[i] = key[4 * i ..][0..4].*;
            var rcon: u8 = 1;
            for (nk..w.len) |i| {
                var word = w[i - 1];
                if (i % nk == 0) {
                    const prior = word; // not aliased by the result location
                    word = .{ sbox[prior[1]] ^ rcon, sbox[prior[2]], sbox[prior[3]], sbox[prior[0]] };
                    rcon = xtime(rcon);
                } else if (nk > 6 and i % nk == 4) {
                    for (&word) |*b| b.* = sbox[b.*];
                }
                for (&word, w[i - nk]) |*b, prior| b.* ^= prior;
                w[i] = word;
            }
            var self: Self = undefined;
            for (0..rounds + 1) |r| {
                var bytes: Block = @bitCast(w[4 * r ..][0..4].*);
                self.enc[r] = AesBlock.fromBytes(&bytes);
                if (r > 0 and r < rounds) invMixColumns(&bytes);
                self.dec[rounds - r] = AesBlock.fromBytes(&bytes);
            }
            return self;
        }

        pub fn encrypt(self: *const Self, block: *const Block) Block {
            var s = AesBlock.fromBytes(&self.enc[0].xorBytes(block));
            for (1..rounds) |r| s = s.encrypt(self.enc[r]);
            return s.encryptLast(self.enc[rounds]).toBytes();
        }

        pub fn decrypt(self: *const Self, block: *const Block) Block {
            var s = AesBlock.fromBytes(&self.dec[0].xorBytes(block));
            for (1..rounds) |r| s = s.decrypt(self.dec[r]);
            return s.decryptLast(self.dec[rounds]).toBytes();
        }
    };
}

// ------------------------------------------------------------------------- nouns

/// The big-endian encoding of an atom's low `n` bytes (Hoon's truncation); Punt for a cell.
pub fn bigEndian(ws: *const Workspace, a: Noun, comptime n: usize) JetError![n]u8 {
    if (a.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(a, &scratch);
    var out = [_]u8{0} ** n;
    for (bytes[0..@min(n, bytes.len)], 0..) |byte, i| out[n - 1 - i] = byte;
    return out;
}

pub fn blockAtom(ws: *Workspace, block: *const Block) JetError!Noun {
    var le: Block = undefined;
    for (block, 0..) |byte, i| le[15 - i] = byte;
    return ws.atomFromBytes(&le);
}

/// An atom of the sample, or Punt for a cell (Hoon's arithmetic on it is the Nock's to crash).
fn atomOrPunt(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!Noun {
    const a = try common.slot(ws, core, axis);
    if (a.isCell()) return error.Punt;
    return a;
}

fn ecb(comptime nk: usize, comptime encrypt: bool, ws: *Workspace, core: Noun) JetError!Noun {
    const Aes = Cipher(nk);
    const cipher = Aes.init(&try bigEndian(ws, try common.slot(ws, core, 30), Aes.key_bytes));
    const block = try bigEndian(ws, try common.slot(ws, core, 6), 16);
    const result = if (encrypt) cipher.encrypt(&block) else cipher.decrypt(&block);
    return blockAtom(ws, &result);
}

pub fn ecbaEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(4, true, ws, core);
}

pub fn ecbaDe(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(4, false, ws, core);
}

pub fn ecbbEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(6, true, ws, core);
}

pub fn ecbbDe(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(6, false, ws, core);
}

pub fn ecbcEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(8, true, ws, core);
}

pub fn ecbcDe(ws: *Workspace, core: Noun) JetError!Noun {
    return ecb(8, false, ws, core);
}

/// Block `i` of `n`, counted from the top, of little-endian `bytes`, big-endian.
fn blockFromTop(bytes: []const u8, n: usize, i: usize) Block {
    assert(i < n);
    const chunk = n - 1 - i; // little-endian chunk index
    var out = [_]u8{0} ** 16;
    for (0..16) |k| {
        const at = 16 * chunk + k;
        if (at < bytes.len) out[15 - k] = bytes[at];
    }
    return out;
}

/// Store big-endian `block` as block `i` of `n`, counted from the top, of little-endian `out`.
fn storeFromTop(out: []u8, n: usize, i: usize, block: *const Block) void {
    const chunk = n - 1 - i;
    for (0..16) |k| out[16 * chunk + k] = block[15 - k];
}

fn cbc(comptime nk: usize, comptime encrypt: bool, ws: *Workspace, core: Noun) JetError!Noun {
    const Aes = Cipher(nk);
    const cipher = Aes.init(&try bigEndian(ws, try common.slot(ws, core, 60), Aes.key_bytes));
    var prv = try bigEndian(ws, try common.slot(ws, core, 61), 16);
    const txt = try atomOrPunt(ws, core, 6);
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(txt, &scratch);
    const n = @max(1, (bytes.len + 15) / 16);
    if (n > common.roomWords(ws) / 2) return error.Meme;
    const limbs = try ws.startAtom(2 * n);
    const out = std.mem.sliceAsBytes(limbs);
    for (0..n) |i| {
        const block = blockFromTop(bytes, n, i);
        var result: Block = undefined;
        if (encrypt) {
            var mixed: Block = undefined;
            for (&mixed, block, prv) |*m, b, p| m.* = b ^ p;
            result = cipher.encrypt(&mixed);
            prv = result;
        } else {
            result = cipher.decrypt(&block);
            for (&result, prv) |*r, p| r.* ^= p;
            prv = block;
        }
        storeFromTop(out, n, i, &result);
    }
    return ws.finishAtom(limbs);
}

pub fn cbcaEn(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(4, true, ws, core);
}

pub fn cbcaDe(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(4, false, ws, core);
}

pub fn cbcbEn(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(6, true, ws, core);
}

pub fn cbcbDe(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(6, false, ws, core);
}

pub fn cbccEn(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(8, true, ws, core);
}

pub fn cbccDe(ws: *Workspace, core: Noun) JetError!Noun {
    return cbc(8, false, ws, core);
}

/// `inc`: add 1 to the low 2^mod bits of the big-endian counter, wrapping within them.
fn increment(counter: *Block, mod: u3) void {
    const value = std.mem.readInt(u128, counter, .big);
    const width: u8 = @as(u8, 1) << mod;
    const mask: u128 = if (width == 128) std.math.maxInt(u128) else (@as(u128, 1) << @intCast(width)) - 1;
    const low = (value +% 1) & mask;
    std.mem.writeInt(u128, counter, (value & ~mask) | low, .big);
}

/// CTR mode as `en:ctr*` computes it: `txt` (an atom) mixed with the first `len` bytes of
/// the keystream from `counter`; Exit when `txt` is longer than `len` bytes.
pub fn ctrMix(ws: *Workspace, cipher: anytype, counter_start: Block, mod: u3, len: u64, txt: Noun) JetError!Noun {
    var counter = counter_start;
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(txt, &scratch);
    if (bytes.len > len) return error.Exit;
    if (len == 0) return txt;
    if (len / 8 + 1 > common.roomWords(ws)) return error.Meme;
    const size: usize = @intCast(len);
    const limbs = try ws.startAtom((size + 7) / 8);
    const out = std.mem.sliceAsBytes(limbs);
    // Keystream byte j (from the top) lands on little-endian byte size-1-j.
    var j: usize = 0;
    while (j < size) {
        const stream = cipher.encrypt(&counter);
        increment(&counter, mod);
        const n = @min(16, size - j);
        for (0..n) |k| {
            const at = size - 1 - (j + k);
            out[at] = stream[k] ^ (if (at < bytes.len) bytes[at] else 0);
        }
        j += n;
    }
    return ws.finishAtom(limbs);
}

fn ctr(comptime nk: usize, ws: *Workspace, core: Noun) JetError!Noun {
    const Aes = Cipher(nk);
    const cipher = Aes.init(&try bigEndian(ws, try common.slot(ws, core, 60), Aes.key_bytes));
    const mod = common.saturated(ws, try atomOrPunt(ws, core, 122));
    if (mod > 7) return error.Punt;
    const len = common.saturated(ws, try atomOrPunt(ws, core, 246));
    const counter = try bigEndian(ws, try common.slot(ws, core, 247), 16);
    const txt = try atomOrPunt(ws, core, 6);
    return ctrMix(ws, &cipher, counter, @intCast(mod), len, txt);
}

pub fn ctraEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ctr(4, ws, core);
}

pub fn ctrbEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ctr(6, ws, core);
}

pub fn ctrcEn(ws: *Workspace, core: Noun) JetError!Noun {
    return ctr(8, ws, core);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// A gate `[0 sample door]` inside a door `[0 door-sample 0]`.
pub fn doorGate(ws: *Workspace, sample: Noun, door_sample: Noun) !Noun {
    const door = try ws.tuple(&.{ Noun.zero, door_sample, Noun.zero });
    return ws.tuple(&.{ Noun.zero, sample, door });
}

pub fn hexNumber(ws: *Workspace, comptime hex: []const u8) !Noun {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    std.mem.reverse(u8, &bytes);
    return ws.atomFromBytes(&bytes);
}

test "crypto aes: the cipher agrees with std's AES-128 and AES-256 and FIPS-197 C.2" {
    var key: [32]u8 = undefined;
    for (&key, 0..) |*b, i| b.* = @intCast(i * 7 + 3);
    const block: Block = "0123456789abcdef".*;
    const a = Cipher(4).init(key[0..16]);
    var expected: Block = undefined;
    std.crypto.core.aes.Aes128.initEnc(key[0..16].*).encrypt(&expected, &block);
    try testing.expectEqual(expected, a.encrypt(&block));
    try testing.expectEqual(block, a.decrypt(&expected));
    const c = Cipher(8).init(&key);
    std.crypto.core.aes.Aes256.initEnc(key).encrypt(&expected, &block);
    try testing.expectEqual(expected, c.encrypt(&block));
    try testing.expectEqual(block, c.decrypt(&expected));
    // FIPS-197 appendix C.2 (AES-192).
    var key192: [24]u8 = undefined;
    for (&key192, 0..) |*b, i| b.* = @intCast(i);
    var plain: Block = undefined;
    _ = try std.fmt.hexToBytes(&plain, "00112233445566778899aabbccddeeff");
    var cipher: Block = undefined;
    _ = try std.fmt.hexToBytes(&cipher, "dda97ca4864cdfe06eaf70a0ec0d7191");
    const b = Cipher(6).init(&key192);
    try testing.expectEqual(cipher, b.encrypt(&plain));
    try testing.expectEqual(plain, b.decrypt(&cipher));
}

test "crypto aes: FIPS-197 appendix C and SP 800-38A vectors" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const plain = try hexNumber(&ws, "00112233445566778899aabbccddeeff");
    const key128 = try hexNumber(&ws, "000102030405060708090a0b0c0d0e0f");
    const c128 = try hexNumber(&ws, "69c4e0d86a7b0430d8cdb78070b4c55a");
    try t.expectNoun(&ws, c128, try ecbaEn(&ws, try doorGate(&ws, plain, key128)));
    try t.expectNoun(&ws, plain, try ecbaDe(&ws, try doorGate(&ws, c128, key128)));
    // One block of CBC with a zero IV is the block cipher itself.
    try t.expectNoun(&ws, c128, try cbcaEn(&ws, try doorGate(&ws, plain, try ws.cell(key128, Noun.zero))));
    const key192 = try hexNumber(&ws, "000102030405060708090a0b0c0d0e0f1011121314151617");
    const c192 = try hexNumber(&ws, "dda97ca4864cdfe06eaf70a0ec0d7191");
    try t.expectNoun(&ws, c192, try ecbbEn(&ws, try doorGate(&ws, plain, key192)));
    try t.expectNoun(&ws, plain, try cbcbDe(&ws, try doorGate(&ws, c192, try ws.cell(key192, Noun.zero))));
    const key256 = try hexNumber(&ws, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const c256 = try hexNumber(&ws, "8ea2b7ca516745bfeafc49904b496089");
    try t.expectNoun(&ws, c256, try ecbcEn(&ws, try doorGate(&ws, plain, key256)));
    try t.expectNoun(&ws, plain, try cbccDe(&ws, try doorGate(&ws, c256, try ws.cell(key256, Noun.zero))));
    // SP 800-38A F.2.1, two blocks of CBC-AES128.
    const key = try hexNumber(&ws, "2b7e151628aed2a6abf7158809cf4f3c");
    const iv = try hexNumber(&ws, "000102030405060708090a0b0c0d0e0f");
    const text = try hexNumber(&ws, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
    const cipher = try hexNumber(&ws, "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
    const door = try ws.cell(key, iv);
    try t.expectNoun(&ws, cipher, try cbcaEn(&ws, try doorGate(&ws, text, door)));
    try t.expectNoun(&ws, text, try cbcaDe(&ws, try doorGate(&ws, cipher, door)));
    // SP 800-38A F.5.1, two blocks of CTR-AES128 (the whole counter increments: mod 7).
    const counter = try hexNumber(&ws, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const ctr_door = try ws.tuple(&.{ key, Noun.direct(7), Noun.direct(32), counter });
    const ctr_cipher = try hexNumber(&ws, "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
    try t.expectNoun(&ws, ctr_cipher, try ctraEn(&ws, try doorGate(&ws, text, ctr_door)));
}

test "crypto aes: Hoon's edge cases" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // A key or IV wider than its width is truncated to its low bytes, as `sit` does.
    const wide = try ws.atomFromBytes(&([_]u8{1} ** 17));
    const narrow = try ws.atomFromBytes(&([_]u8{1} ** 16));
    try t.expectNoun(
        &ws,
        try cbcaEn(&ws, try doorGate(&ws, Noun.one, try ws.cell(narrow, narrow))),
        try cbcaEn(&ws, try doorGate(&ws, Noun.one, try ws.cell(wide, wide))),
    );
    // A cell where an atom belongs runs the Nock; txt longer than len crashes.
    try testing.expectError(error.Punt, ecbaEn(&ws, try doorGate(&ws, try ws.cell(Noun.one, Noun.one), Noun.one)));
    const ctr_door = try ws.tuple(&.{ Noun.one, Noun.direct(7), Noun.direct(1), Noun.zero });
    try testing.expectError(error.Exit, ctraEn(&ws, try doorGate(&ws, Noun.direct(0x100), ctr_door)));
    const ctr_wide = try ws.tuple(&.{ Noun.one, Noun.direct(8), Noun.direct(1), Noun.zero });
    try testing.expectError(error.Punt, ctraEn(&ws, try doorGate(&ws, Noun.one, ctr_wide)));
    // cbc of 0 is one block: AES of the zero block under the key 1.
    const zero_block = try cbcaEn(&ws, try doorGate(&ws, Noun.zero, try ws.cell(Noun.one, Noun.zero)));
    try t.expectNoun(&ws, try ecbaEn(&ws, try doorGate(&ws, Noun.zero, Noun.one)), zero_block);
    // inc wraps within the low bloq: mod 3 increments the low byte only.
    var counter = [_]u8{0} ** 16;
    counter[14] = 5;
    counter[15] = 0xff;
    increment(&counter, 3);
    try testing.expectEqual(@as(u8, 5), counter[14]);
    try testing.expectEqual(@as(u8, 0), counter[15]);
}
