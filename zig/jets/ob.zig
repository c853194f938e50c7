//! Jets of @p: murmur3 (`muk`), the ship-name obfuscation `ob` (`fein`, `fynd`) and the
//! phonetic syllable tables `po` (`tos`, `tod`, `ins`, `ind`). All are gates.
//!
//!   muk        [syd=@ len=@ key=@] at 12 26 27   murmur3_32 of `len` bytes of `key`
//!   fein fynd  pyn=@ at 6                        conceal / restore a ship's structure
//!   tos tod    a=@ at 6                          syllable `a` (prefix / suffix table)
//!   ins ind    a=@tas at 6                       index of a syllable, as a unit
//!
//! `muk` follows Hoon's own code, including its crashes: a key with more bytes than `len`
//! (`sub` underflows), or fewer 32-bit words than `len / 4` (its `snag` runs off the list).
//! `fein`/`fynd` run hoon.hoon's four-round Feistel cipher (`fee`/`fe`, `feen`/`fen`) on the
//! low 32 bits of planets and moons, with `muk` as its round function; its prf crashes, as
//! the Nock does, when handed a value of more than two bytes.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("muk", muk, "[syd=@ len=@ key=@] 12 26 27"),
    E.plain("fein", fein, "pyn=@ 6"),
    E.plain("fynd", fynd, "cry=@ 6"),
    E.plain("tos", tos, "a=@ 6"),
    E.plain("tod", tod, "a=@ 6"),
    E.plain("ins", ins, "a=@tas 6"),
    E.plain("ind", ind, "a=@tas 6"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two", .names = &.{"muk"} },
    .{ .prefix = "one/two/tri/ob", .names = &.{ "fein", "fynd" } },
    .{ .prefix = "one/two/tri/qua/po", .names = &.{ "tos", "tod", "ins", "ind" } },
};

// ------------------------------------------------------------------------- murmur3

/// The low 32 bits of an atom.
fn low32(ws: *const Workspace, a: Noun) u32 {
    assert(a.isAtom());
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    return @truncate(limbs[0]);
}

/// Byte `i` of `key`, zero past its end.
inline fn byteAt(key: []const u8, i: u64) u32 {
    return if (i < key.len) key[@intCast(i)] else 0;
}

/// murmur3_32 over `len` bytes of `key` (zero-padded), with Hoon's `+muk` finish: the
/// length is mixed in whole, before the first shift of `fmix32`. The caller has checked
/// that `key` has at most `len` bytes and at least `len / 4` words.
pub fn murmur3(seed: u32, len: u64, key: []const u8) u32 {
    assert(key.len <= len);
    const c1: u32 = 0xcc9e2d51;
    const c2: u32 = 0x1b873593;
    const blocks = len / 4;
    assert(blocks <= (key.len + 3) / 4);
    var h1 = seed;
    var i: u64 = 0;
    while (i < blocks) : (i += 1) {
        var k1: u32 = 0;
        for (0..4) |b| k1 |= byteAt(key, 4 * i + b) << @intCast(8 * b);
        k1 = std.math.rotl(u32, k1 *% c1, 15) *% c2;
        h1 = std.math.rotl(u32, h1 ^ k1, 13) *% 5 +% 0xe6546b64;
    }
    const tail_len = len & 3;
    if (tail_len > 0) {
        var k1: u32 = 0;
        var b = tail_len;
        while (b > 0) {
            b -= 1;
            k1 |= byteAt(key, 4 * blocks + b) << @intCast(8 * b);
        }
        h1 ^= std.math.rotl(u32, k1 *% c1, 15) *% c2;
    }
    const wide = @as(u64, h1) ^ len;
    var h: u32 = @truncate(wide ^ (wide >> 16));
    h *%= 0x85ebca6b;
    h ^= h >> 13;
    h *%= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

pub fn muk(ws: *Workspace, core: Noun) JetError!Noun {
    const syd = try common.atomAt(ws, core, 12);
    const len_atom = try common.atomAt(ws, core, 26);
    const key = try common.atomAt(ws, core, 27);
    const len = common.saturated(ws, len_atom);
    var scratch: u64 = undefined;
    const key_len = ws.atomBytes(key, &scratch).len;
    if (key_len > len) return error.Exit; // (sub len (met 3 key))
    // The Nock builds a list of `len` bytes before it reads a block.
    try common.needCells(ws, len);
    if (len / 4 > (key_len + 3) / 4) return error.Exit; // (snag i (rip 5 key)) runs off
    const bytes = ws.atomBytes(key, &scratch);
    return Noun.direct(murmur3(low32(ws, syd), len, bytes));
}

// ------------------------------------------------------------------------- ob

/// The seeds of `+eff`, `+raku` in hoon.hoon.
const raku = [4]u32{ 0xb76d5eed, 0xee281300, 0x85bcae01, 0x4b387af7 };
const fe_a: u64 = 0xffff;
const fe_b: u64 = 0x10000;
const fe_k: u64 = 0xffff * 0x10000;

/// `+eff`: `(muk (snag j raku) 2 r)`; a value of more than two bytes crashes `muk`.
fn eff(j: u64, r: u64) JetError!u64 {
    assert(j < raku.len);
    if (r > 0xffff) return error.Exit;
    const bytes = [2]u8{ @truncate(r), @truncate(r >> 8) };
    const len: usize = if (r > 0xff) 2 else if (r > 0) 1 else 0;
    return murmur3(raku[@intCast(j)], 2, bytes[0..len]);
}

/// `+fe` with four rounds.
fn fe(m: u64) JetError!u64 {
    var ell = m % fe_a;
    var arr = m / fe_a;
    var j: u64 = 1;
    while (j <= 4) : (j += 1) {
        const f = try eff(j - 1, arr);
        const tmp = if (j % 2 == 1) (f + ell) % fe_a else (f + ell) % fe_b;
        ell = arr;
        arr = tmp;
    }
    return if (arr == fe_a) arr * fe_a + ell else ell * fe_a + arr;
}

/// `+fen` with four rounds.
fn fen(m: u64) JetError!u64 {
    const ahh = m % fe_a;
    const ale = m / fe_a;
    var ell = if (ale == fe_a) ahh else ale;
    var arr = if (ale == fe_a) ale else ahh;
    var j: u64 = 4;
    while (j >= 1) : (j -= 1) {
        const f = try eff(j - 1, ell);
        const tmp = if (j % 2 == 1)
            (arr + fe_a - f % fe_a) % fe_a
        else
            (arr + fe_b - f % fe_b) % fe_b;
        arr = ell;
        ell = tmp;
    }
    return arr * fe_a + ell;
}

/// `+feis` (through `+fee`): the cipher on [0, 2^32 - 2^16).
fn feis(m: u64) JetError!u64 {
    const c = try fe(m);
    return if (c < fe_k) c else fe(c);
}

/// `+tail` (through `+feen`): its inverse.
fn unfeis(m: u64) JetError!u64 {
    const c = try fen(m);
    return if (c < fe_k) c else fen(c);
}

/// `+fein` (`conceal`) or `+fynd` on a value of 64 bits or fewer.
pub fn obfuscate(pyn: u64, comptime conceal: bool) JetError!u64 {
    const cipher = if (conceal) feis else unfeis;
    if (pyn >= 0x10000 and pyn <= 0xffff_ffff) return 0x10000 + try cipher(pyn - 0x10000);
    if (pyn >= 0x1_0000_0000) {
        const lo = pyn & 0xffff_ffff;
        const hi = pyn & 0xffff_ffff_0000_0000;
        return hi | try obfuscate(lo, conceal);
    }
    return pyn;
}

/// An atom sample at 6; a cell is left to the Nock.
fn sampleAtom(ws: *const Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    if (a.isCell()) return error.Punt;
    return a;
}

fn obGate(ws: *Workspace, core: Noun, comptime conceal: bool) JetError!Noun {
    const pyn = try sampleAtom(ws, core);
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(pyn, &scratch);
    if (limbs.len > 1) return pyn; // 2^64 and above: unchanged.
    return ws.atomU64(try obfuscate(limbs[0], conceal));
}

pub fn fein(ws: *Workspace, core: Noun) JetError!Noun {
    return obGate(ws, core, true);
}

pub fn fynd(ws: *Workspace, core: Noun) JetError!Noun {
    return obGate(ws, core, false);
}

// ------------------------------------------------------------------------- po

/// The 256 prefix syllables (`sis` of `+po`), three letters each.
pub const prefixes = "dozmarbinwansamlitsighidfidlissogdirwacsabwissib" ++
    "rigsoldopmodfoglidhopdardorlorhodfolrintogsilmir" ++
    "holpaslacrovlivdalsatlibtabhanticpidtorbolfosdot" ++
    "losdilforpilramtirwintadbicdifrocwidbisdasmidlop" ++
    "rilnardapmolsanlocnovsitnidtipsicropwitnatpanmin" ++
    "ritpodmottamtolsavposnapnopsomfinfonbanmorworsip" ++
    "ronnorbotwicsocwatdolmagpicdavbidbaltimtasmallig" ++
    "sivtagpadsaldivdactansidfabtarmonranniswolmispal" ++
    "lasdismaprabtobrollatlonnodnavfignomnibpagsopral" ++
    "bilhaddocridmocpacravripfaltodtiltinhapmicfanpat" ++
    "taclabmogsimsonpinlomrictapfirhasbosbatpochactid" ++
    "havsaplindibhosdabbitbarracparloddosbortochilmac" ++
    "tomdigfilfasmithobharmighinradmashalraglagfadtop" ++
    "mophabnilnosmilfopfamdatnoldinhatnacrisfotribhoc" ++
    "nimlarfitwalrapsarnalmoslandondanladdovrivbacpol" ++
    "laptalpitnambonrostonfodponsovnocsorlavmatmipfip";

/// The 256 suffix syllables (`dex` of `+po`).
pub const suffixes = "zodnecbudwessevpersutletfulpensytdurwepserwylsun" ++
    "rypsyxdyrnuphebpeglupdepdysputlughecryttyvsydnex" ++
    "lunmeplutseppesdelsulpedtemledtulmetwenbynhexfeb" ++
    "pyldulhetmevruttylwydtepbesdexsefwycburderneppur" ++
    "rysrebdennutsubpetrulsynregtydsupsemwynrecmegnet" ++
    "secmulnymtevwebsummutnyxrextebfushepbenmuswyxsym" ++
    "selrucdecwexsyrwetdylmynmesdetbetbeltuxtugmyrpel" ++
    "syptermebsetdutdegtexsurfeltudnuxruxrenwytnubmed" ++
    "lytdusnebrumtynseglyxpunresredfunrevrefmectedrus" ++
    "bexlebduxrynnumpyxrygryxfeptyrtustyclegnemfermer" ++
    "tenlusnussyltecmexpubrymtucfyllepdebbermughuttun" ++
    "bylsudpemdevlurdefbusbeprunmelpexdytbyttyplevmyl" ++
    "wedducfurfexnulluclennerlexrupnedlecrydlydfenwel" ++
    "nydhusrelrudneshesfetdesretdunlernyrsebhulryllud" ++
    "remlysfynwerrycsugnysnyllyndyndemluxfedsedbecmun" ++
    "lyrtesmudnytbyrsenwegfyrmurtelreptegpecnelnevfes";

comptime {
    assert(prefixes.len == 3 * 256);
    assert(suffixes.len == 3 * 256);
}

/// Syllable `i` of a table, as its three bytes.
pub fn syllable(table: []const u8, i: u8) *const [3]u8 {
    const at = 3 * @as(usize, i);
    return table[at..][0..3];
}

/// Syllable `i` as a cord (least significant byte first).
fn syllableCord(table: []const u8, i: u8) u64 {
    const s = syllable(table, i);
    return @as(u64, s[0]) | @as(u64, s[1]) << 8 | @as(u64, s[2]) << 16;
}

/// The index of the syllable spelled `cord` in a table, if any.
pub fn syllableIndex(table: []const u8, cord: u64) ?u8 {
    for (0..256) |i| {
        if (syllableCord(table, @intCast(i)) == cord) return @intCast(i);
    }
    return null;
}

fn fetch(ws: *Workspace, core: Noun, table: []const u8) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    if (!a.isDirect() or a.raw() >= 256) return error.Exit; // ?>((lth a 256) ...)
    return Noun.direct(syllableCord(table, @intCast(a.raw())));
}

fn lookup(ws: *Workspace, core: Noun, table: []const u8) JetError!Noun {
    const a = try sampleAtom(ws, core);
    const index = if (a.isDirect()) syllableIndex(table, a.raw()) else null;
    if (index) |i| return ws.cell(Noun.zero, Noun.direct(i));
    return Noun.zero;
}

pub fn tos(ws: *Workspace, core: Noun) JetError!Noun {
    return fetch(ws, core, prefixes);
}

pub fn tod(ws: *Workspace, core: Noun) JetError!Noun {
    return fetch(ws, core, suffixes);
}

pub fn ins(ws: *Workspace, core: Noun) JetError!Noun {
    return lookup(ws, core, prefixes);
}

pub fn ind(ws: *Workspace, core: Noun) JetError!Noun {
    return lookup(ws, core, suffixes);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "murmur3 matches the ivory pill's muk" {
    // Products of `(muk seed len key)` on the ivory pill (the public murmur3_32 vectors).
    try testing.expectEqual(@as(u32, 0), murmur3(0, 0, ""));
    try testing.expectEqual(@as(u32, 0x514e28b7), murmur3(1, 0, ""));
    try testing.expectEqual(@as(u32, 0x81f16f39), murmur3(0xffffffff, 0, ""));
    try testing.expectEqual(@as(u32, 0x7eeed987), murmur3(0, 4, "aaaa"));
    try testing.expectEqual(@as(u32, 0x5a97808a), murmur3(0x9747b28c, 4, "aaaa"));
    try testing.expectEqual(@as(u32, 0x704b81dc), murmur3(0x9747b28c, 4, "test"));
    try testing.expectEqual(@as(u32, 612912314), murmur3(0x9747b28c, 13, "Hello, world!"));
}

test "muk follows Hoon's crashes" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, muk, "[0x9747b28c 4 %test]", "0x704b81dc");
    try t.expectJetError(&ws, muk, "[0 1 %ab]", error.Exit); // key longer than len
    try t.expectJetError(&ws, muk, "[0 8 1]", error.Exit); // too few words for len / 4
    try t.expectJetError(&ws, muk, "[0 0x1.0000.0000.0000.0000 1]", error.Meme);
    try t.expectJetError(&ws, muk, "[0 [1 2] 1]", error.Exit);
}

test "fein and fynd invert each other" {
    var prng = std.Random.DefaultPrng.init(0x0b);
    const random = prng.random();
    for (0..2000) |_| {
        const x = random.int(u64) >> @intCast(random.uintLessThan(u32, 64));
        const y = try obfuscate(x, true);
        try testing.expectEqual(x, try obfuscate(y, false));
    }
    // ~zod to ~fipfes-fipfes (galaxies and stars) are not concealed.
    try testing.expectEqual(@as(u64, 0xffff), try obfuscate(0xffff, true));
    // `(fein:ob 0x1.0000)` and `(fein:ob 0xffff.ffff.ffff.ffff)` on the ivory pill.
    try testing.expectEqual(@as(u64, 1111384255), try obfuscate(0x10000, true));
    try testing.expectEqual(@as(u64, 18446744072562728142), try obfuscate(std.math.maxInt(u64), true));
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, fein, "0x1.0000.0000.0000.0000", "0x1.0000.0000.0000.0000");
    try t.expectJetError(&ws, fein, "[1 2]", error.Punt);
}

test "syllables" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, tos, "0", "%doz");
    try t.expectJet(&ws, tod, "0", "%zod");
    try t.expectJet(&ws, tod, "255", "%fes");
    try t.expectJetError(&ws, tod, "256", error.Exit);
    try t.expectJet(&ws, ins, "%fip", "[0 255]");
    try t.expectJet(&ws, ind, "%zod", "[0 0]");
    try t.expectJet(&ws, ind, "%doz", "0");
    try t.expectJet(&ws, ins, "0x1.0000.0000.0000.0000", "0");
}
