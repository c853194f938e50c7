//! Jets of zuse's AES-SIV arms (`siva`, `sivb`, `sivc` under `hex/aes`, RFC 5297 with
//! AES-128, -192 and -256): the door `[key=@ vec=(list @)]` at 60 61 (its associated data),
//! the gates
//!   en  txt=@ at 6              -> [iv len=(met 3 txt) ciphertext]
//!   de  [iv=@ len=@ txt=@] at 12 26 27 -> ~ or [~ plaintext]
//!
//! As Hoon computes them, for a key of n bytes (16, 24, 32): the MAC key (`k1`) is bytes
//! n..2n-1 of the key atom and the CTR key (`k2`) its low n bytes, each big-endian and
//! truncated as the ECB cores truncate. S2V runs over `vec` then the text, each string the
//! big-endian bytes of the atom (`met 3` of them, none for 0); CMAC is RFC 4493's (`maca`
//! and friends: `doub`, `mpad`, subkeys from AES of the zero block). The ciphertext is CTR
//! with the whole block incrementing (bloq 7) from the IV with bits 31 and 63 cleared, over
//! `len` bytes. `de` decrypts first (a `txt` longer than `len` bytes crashes), then
//! recomputes the IV from the plaintext: `~` unless it equals `iv`. A cell where an atom
//! belongs, or a `vec` that is not a null-terminated list, runs the Nock.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const aes = @import("crypto_aes.zig");
const JetError = common.JetError;
const Block = aes.Block;

pub const entries = [_]entry.Entry{
    entry.plain("siva-en", sivaEn, "txt=@ 6; [key vec] 60 61"),
    entry.plain("siva-de", sivaDe, "[iv len txt] 12 26 27; [key vec] 60 61"),
    entry.plain("sivb-en", sivbEn, "txt=@ 6; [key vec] 60 61"),
    entry.plain("sivb-de", sivbDe, "[iv len txt] 12 26 27; [key vec] 60 61"),
    entry.plain("sivc-en", sivcEn, "txt=@ 6; [key vec] 60 61"),
    entry.plain("sivc-de", sivcDe, "[iv len txt] 12 26 27; [key vec] 60 61"),
};

const en_de = &[_][]const u8{ "en", "de" };

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/aes/siva", .entry_prefix = "siva-", .names = en_de },
    .{ .prefix = "one/two/tri/qua/pen/hex/aes/sivb", .entry_prefix = "sivb-", .names = en_de },
    .{ .prefix = "one/two/tri/qua/pen/hex/aes/sivc", .entry_prefix = "sivc-", .names = en_de },
};

/// `doub`: multiplication by x in GF(2^128), big-endian.
fn double(block: Block) Block {
    const value = std.mem.readInt(u128, &block, .big);
    const carry: u128 = if (value >> 127 != 0) 0x87 else 0;
    var out: Block = undefined;
    std.mem.writeInt(u128, &out, (value << 1) ^ carry, .big);
    return out;
}

fn xorInto(a: *Block, b: *const Block) void {
    for (a, b) |*x, y| x.* ^= y;
}

/// CMAC (RFC 4493) under one AES key.
fn Mac(comptime nk: usize) type {
    return struct {
        const Self = @This();
        const Aes = aes.Cipher(nk);

        cipher: Aes,
        k1: Block,
        k2: Block,

        fn init(key: *const [Aes.key_bytes]u8) Self {
            const cipher = Aes.init(key);
            const k1 = double(cipher.encrypt(&([_]u8{0} ** 16)));
            return .{ .cipher = cipher, .k1 = k1, .k2 = double(k1) };
        }

        /// The MAC of one complete 16-byte message.
        fn block(self: *const Self, message: *const Block) Block {
            var x = message.*;
            xorInto(&x, &self.k1);
            return self.cipher.encrypt(&x);
        }

        /// The MAC of the big-endian bytes of little-endian `le` (all `le.len` of them),
        /// their last 16 bytes mixed with `tail` when given (S2V's xorend; `le.len` >= 16).
        fn string(self: *const Self, le: []const u8, tail: ?*const Block) Block {
            const len = le.len;
            assert(tail == null or len >= 16);
            const blocks = @max(1, (len + 15) / 16);
            const complete = len > 0 and len % 16 == 0;
            var x = [_]u8{0} ** 16;
            for (0..blocks) |i| {
                var b: Block = undefined;
                for (&b, 0..) |*byte, k| {
                    const j = 16 * i + k;
                    byte.* = if (j < len) le[len - 1 - j] else if (j == len) 0x80 else 0;
                    if (tail) |mix| if (j < len and j + 16 >= len) {
                        byte.* ^= mix[j + 16 - len];
                    };
                }
                if (i + 1 == blocks) xorInto(&b, if (complete) &self.k1 else &self.k2);
                xorInto(&x, &b);
                x = self.cipher.encrypt(&x);
            }
            return x;
        }

        /// S2V over the atoms of `vec`, then the string `last` (little-endian bytes).
        fn s2v(self: *const Self, ws: *const Workspace, vec: Noun, last: []const u8) JetError!Block {
            var res = self.block(&([_]u8{0} ** 16));
            var list = vec;
            while (list.isCell()) : (list = ws.tail(list)) {
                const item = ws.head(list);
                if (item.isCell()) return error.Punt;
                var scratch: u64 = undefined;
                var mac = self.string(ws.atomBytes(item, &scratch), null);
                xorInto(&mac, &double(res));
                res = mac;
            }
            if (list != Noun.zero) return error.Punt;
            if (last.len >= 16) return self.string(last, &res);
            var padded = [_]u8{0} ** 16;
            for (0..last.len) |j| padded[j] = last[last.len - 1 - j];
            padded[last.len] = 0x80;
            xorInto(&padded, &double(res));
            return self.block(&padded);
        }
    };
}

const hib_mask: u128 = 0xffff_ffff_ffff_ffff_7fff_ffff_7fff_ffff;

/// The door's two keys, k1 (S2V) and k2 (CTR), each truncated to `n` bytes.
fn splitKey(ws: *Workspace, core: Noun, comptime n: usize) JetError![2][n]u8 {
    const key = try common.slot(ws, core, 60);
    if (key.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(key, &scratch);
    var out = [_][n]u8{[_]u8{0} ** n} ** 2;
    for (bytes[0..@min(2 * n, bytes.len)], 0..) |byte, i| {
        if (i < n) out[1][n - 1 - i] = byte else out[0][2 * n - 1 - i] = byte;
    }
    return out;
}

fn counterOf(iv: *const Block) Block {
    var out: Block = undefined;
    std.mem.writeInt(u128, &out, std.mem.readInt(u128, iv, .big) & hib_mask, .big);
    return out;
}

fn sivEn(comptime nk: usize, ws: *Workspace, core: Noun) JetError!Noun {
    const keys = try splitKey(ws, core, 4 * nk);
    const txt = try common.slot(ws, core, 6);
    if (txt.isCell()) return error.Punt;
    const mac = Mac(nk).init(&keys[0]);
    var scratch: u64 = undefined;
    const bytes = ws.atomBytes(txt, &scratch);
    const len = bytes.len;
    const iv = try mac.s2v(ws, try common.slot(ws, core, 61), bytes);
    const cipher = aes.Cipher(nk).init(&keys[1]);
    const product = try aes.ctrMix(ws, &cipher, counterOf(&iv), 7, len, txt);
    const iv_atom = try aes.blockAtom(ws, &iv);
    return ws.tuple(&.{ iv_atom, try ws.atomU64(len), product });
}

fn sivDe(comptime nk: usize, ws: *Workspace, core: Noun) JetError!Noun {
    const keys = try splitKey(ws, core, 4 * nk);
    const iv = try common.slot(ws, core, 12);
    const len = try common.slot(ws, core, 26);
    const txt = try common.slot(ws, core, 27);
    if (iv.isCell() or len.isCell() or txt.isCell()) return error.Punt;
    const counter = counterOf(&try aes.bigEndian(ws, iv, 16));
    const cipher = aes.Cipher(nk).init(&keys[1]);
    const plain = try aes.ctrMix(ws, &cipher, counter, 7, common.saturated(ws, len), txt);
    const mac = Mac(nk).init(&keys[0]);
    var scratch: u64 = undefined;
    const check = try mac.s2v(ws, try common.slot(ws, core, 61), ws.atomBytes(plain, &scratch));
    const expected = try aes.blockAtom(ws, &check);
    var iv_scratch: u64 = undefined;
    var expected_scratch: u64 = undefined;
    const given = ws.atomBytes(iv, &iv_scratch);
    if (!std.mem.eql(u8, given, ws.atomBytes(expected, &expected_scratch))) return Noun.zero;
    return ws.cell(Noun.zero, plain);
}

pub fn sivaEn(ws: *Workspace, core: Noun) JetError!Noun {
    return sivEn(4, ws, core);
}

pub fn sivaDe(ws: *Workspace, core: Noun) JetError!Noun {
    return sivDe(4, ws, core);
}

pub fn sivbEn(ws: *Workspace, core: Noun) JetError!Noun {
    return sivEn(6, ws, core);
}

pub fn sivbDe(ws: *Workspace, core: Noun) JetError!Noun {
    return sivDe(6, ws, core);
}

pub fn sivcEn(ws: *Workspace, core: Noun) JetError!Noun {
    return sivEn(8, ws, core);
}

pub fn sivcDe(ws: *Workspace, core: Noun) JetError!Noun {
    return sivDe(8, ws, core);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "crypto siv: RFC 4493's CMAC vectors" {
    var key: [16]u8 = undefined;
    _ = try std.fmt.hexToBytes(&key, "2b7e151628aed2a6abf7158809cf4f3c");
    const mac = Mac(4).init(&key);
    var expected: Block = undefined;
    _ = try std.fmt.hexToBytes(&expected, "bb1d6929e95937287fa37d129b756746");
    try testing.expectEqual(expected, mac.string(&.{}, null));
    var message: [40]u8 = undefined;
    _ = try std.fmt.hexToBytes(&message, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411");
    std.mem.reverse(u8, &message);
    _ = try std.fmt.hexToBytes(&expected, "dfa66747de9ae63030ca32611497c827");
    try testing.expectEqual(expected, mac.string(&message, null));
    _ = try std.fmt.hexToBytes(&expected, "070a16b46b4d4144f79bdd9dd04a287c");
    try testing.expectEqual(expected, mac.string(message[24..], null));
}

test "crypto siv: RFC 5297 A.1, encryption and decryption" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const key = try aes.hexNumber(&ws, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const ad = try aes.hexNumber(&ws, "101112131415161718191a1b1c1d1e1f2021222324252627");
    const door = try ws.cell(key, try ws.cell(ad, Noun.zero));
    const plain = try aes.hexNumber(&ws, "112233445566778899aabbccddee");
    const iv = try aes.hexNumber(&ws, "85632d07c6e8f37f950acd320a2ecc93");
    const cipher = try aes.hexNumber(&ws, "40c02b9690c4dc04daef7f6afe5c");
    const product = try ws.tuple(&.{ iv, Noun.direct(14), cipher });
    try t.expectNoun(&ws, product, try sivaEn(&ws, try aes.doorGate(&ws, plain, door)));
    const good = try aes.doorGate(&ws, product, door);
    try t.expectNoun(&ws, try ws.cell(Noun.zero, plain), try sivaDe(&ws, good));
    const forged = try ws.tuple(&.{ Noun.one, Noun.direct(14), cipher });
    try t.expectNoun(&ws, Noun.zero, try sivaDe(&ws, try aes.doorGate(&ws, forged, door)));
    // A text longer than `len` crashes; a vec that is no list runs the Nock.
    const long = try ws.tuple(&.{ iv, Noun.direct(2), cipher });
    try testing.expectError(error.Exit, sivaDe(&ws, try aes.doorGate(&ws, long, door)));
    const improper = try ws.cell(key, try ws.cell(ad, Noun.one));
    try testing.expectError(error.Punt, sivaEn(&ws, try aes.doorGate(&ws, plain, improper)));
}
