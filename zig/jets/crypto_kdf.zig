//! Jets of zuse's key derivation arms (`++scr:crypto`, registered `%scr` under `%hex`):
//! PBKDF2-HMAC-SHA256 (`pbk`, `pbl`) and scrypt (`hsh`, `hsl`). All are gates. Samples:
//!   pbk  [p=@ s=@ c=@ d=@] at 12 26 54 55: `pbl` with pl, sl = (met 3 p), (met 3 s)
//!   pbl  [p=@ pl=@ s=@ sl=@ c=@ d=@] at 12 26 54 110 222 223
//!   hsh  [p=@ s=@ n=@ r=@ z=@ d=@] at 12 26 54 110 222 223: `hsl` with met 3 lengths
//!   hsl  [p=@ pl=@ s=@ sl=@ n=@ r=@ z=@ d=@] at 12 26 54 110 222 446 894 895
//!
//! Hoon's definitions are the standard algorithms (RFC 8018, RFC 7914) over byte strings
//! read least significant byte first: the password is the low `pl` bytes of `p` (zero bytes
//! past its end), the salt likewise, and the `d`-byte key is produced little-endian. Their
//! assertions crash: pbl needs d <= 2^30, c <= 2^28 and c != 0; hsl needs n a power of two,
//! r and z non-zero, 128 r (n + z - 1) <= 2^30, pl and sl below 2^31, n < 2^(16 r), and
//! d <= 2^30. Zig's scrypt refuses n = 1 and d = 0, which Hoon computes: those run the
//! Nock. A password or salt longer than the workspace could hold is Meme.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;
const HmacSha256 = std.crypto.auth.hmac.sha2.HmacSha256;
const pwhash = std.crypto.pwhash;

pub const entries = [_]entry.Entry{
    entry.plain("scr-pbk", pbk, "[p=@ s=@ c=@ d=@] 12 26 54 55"),
    entry.plain("scr-pbl", pbl, "[p=@ pl=@ s=@ sl=@ c=@ d=@] 12 26 54 110 222 223"),
    entry.plain("scr-hsh", hsh, "[p=@ s=@ n=@ r=@ z=@ d=@] 12 26 54 110 222 223"),
    entry.plain("scr-hsl", hsl, "[p pl s sl n r z d] 12 26 54 110 222 446 894 895"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/scr", .entry_prefix = "scr-", .names = &.{ "pbk", "pbl", "hsh", "hsl" } },
};

/// The low `len` bytes of an atom, zero-padded: borrowed from the atom when it has them,
/// else copied into `owned` (freed by the caller).
const Bytes = struct {
    slice: []const u8,
    owned: ?[]u8 = null,

    fn deinit(b: Bytes, ws: *Workspace) void {
        if (b.owned) |o| ws.gpa.free(o);
    }
};

fn bytesOf(ws: *Workspace, a: Noun, scratch: *u64, len: u64) JetError!Bytes {
    if (len > ws.limit_bytes) return error.Meme;
    const size: usize = @intCast(len);
    const bytes = ws.atomBytes(a, scratch);
    if (size <= bytes.len) return .{ .slice = bytes[0..size] };
    const owned = ws.gpa.alloc(u8, size) catch return error.Meme;
    @memcpy(owned[0..bytes.len], bytes);
    @memset(owned[bytes.len..], 0);
    return .{ .slice = owned, .owned = owned };
}

fn metBytes(ws: *const Workspace, a: Noun) u64 {
    var scratch: u64 = undefined;
    return ws.atomBytes(a, &scratch).len;
}

const Params = struct { p: Noun, pl: u64, s: Noun, sl: u64 };

fn pbkdf2(ws: *Workspace, k: Params, c: u64, d: u64) JetError!Noun {
    if (d > 1 << 30 or c > 1 << 28 or c == 0) return error.Exit;
    if (d == 0) return Noun.zero;
    if (d / 8 + 1 > common.roomWords(ws)) return error.Meme;
    var scratch_p: u64 = undefined;
    var scratch_s: u64 = undefined;
    const password = try bytesOf(ws, k.p, &scratch_p, k.pl);
    defer password.deinit(ws);
    const salt = try bytesOf(ws, k.s, &scratch_s, k.sl);
    defer salt.deinit(ws);
    const size: usize = @intCast(d);
    const limbs = try ws.startAtom((size + 7) / 8);
    const key = std.mem.sliceAsBytes(limbs)[0..size];
    pwhash.pbkdf2(key, password.slice, salt.slice, @intCast(c), HmacSha256) catch return error.Punt;
    return ws.finishAtom(limbs);
}

pub fn pbk(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try common.atomAt(ws, core, 12);
    const s = try common.atomAt(ws, core, 26);
    const c = common.saturated(ws, try common.atomAt(ws, core, 54));
    const d = common.saturated(ws, try common.atomAt(ws, core, 55));
    return pbkdf2(ws, .{ .p = p, .pl = metBytes(ws, p), .s = s, .sl = metBytes(ws, s) }, c, d);
}

pub fn pbl(ws: *Workspace, core: Noun) JetError!Noun {
    const k = Params{
        .p = try common.atomAt(ws, core, 12),
        .pl = common.saturated(ws, try common.atomAt(ws, core, 26)),
        .s = try common.atomAt(ws, core, 54),
        .sl = common.saturated(ws, try common.atomAt(ws, core, 110)),
    };
    const c = common.saturated(ws, try common.atomAt(ws, core, 222));
    const d = common.saturated(ws, try common.atomAt(ws, core, 223));
    return pbkdf2(ws, k, c, d);
}

const Cost = struct { n: u64, r: u64, z: u64, d: u64 };

fn scrypt(ws: *Workspace, k: Params, cost: Cost) JetError!Noun {
    const n = cost.n;
    const r = cost.r;
    const z = cost.z;
    // hsl's assertions, in its order (each is a crash).
    if (n == 0 or !std.math.isPowerOfTwo(n) or r == 0 or z == 0) return error.Exit;
    if (n > 1 << 30 or r > 1 << 30 or z > 1 << 30) return error.Exit;
    if (128 *| r *| (n + z - 1) > 1 << 30) return error.Exit;
    if (k.pl >= 1 << 31 or k.sl >= 1 << 31) return error.Exit;
    // srm: n < 2^(16 r); the final pbl: d <= 2^30.
    if (r < 4 and n >= @as(u64, 1) << @intCast(16 * r)) return error.Exit;
    if (cost.d > 1 << 30) return error.Exit;
    if (n == 1 or cost.d == 0) return error.Punt;
    if (cost.d / 8 + 1 > common.roomWords(ws)) return error.Meme;
    var scratch_p: u64 = undefined;
    var scratch_s: u64 = undefined;
    const password = try bytesOf(ws, k.p, &scratch_p, k.pl);
    defer password.deinit(ws);
    const salt = try bytesOf(ws, k.s, &scratch_s, k.sl);
    defer salt.deinit(ws);
    const size: usize = @intCast(cost.d);
    const limbs = try ws.startAtom((size + 7) / 8);
    const key = std.mem.sliceAsBytes(limbs)[0..size];
    const params = pwhash.scrypt.Params{
        .ln = @intCast(std.math.log2_int(u64, n)),
        .r = @intCast(r),
        .p = @intCast(z),
    };
    pwhash.scrypt.kdf(ws.gpa, key, password.slice, salt.slice, params) catch |err| switch (err) {
        error.OutOfMemory => return error.Meme,
        else => return error.Punt,
    };
    return ws.finishAtom(limbs);
}

pub fn hsh(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try common.atomAt(ws, core, 12);
    const s = try common.atomAt(ws, core, 26);
    const cost = Cost{
        .n = common.saturated(ws, try common.atomAt(ws, core, 54)),
        .r = common.saturated(ws, try common.atomAt(ws, core, 110)),
        .z = common.saturated(ws, try common.atomAt(ws, core, 222)),
        .d = common.saturated(ws, try common.atomAt(ws, core, 223)),
    };
    return scrypt(ws, .{ .p = p, .pl = metBytes(ws, p), .s = s, .sl = metBytes(ws, s) }, cost);
}

pub fn hsl(ws: *Workspace, core: Noun) JetError!Noun {
    const k = Params{
        .p = try common.atomAt(ws, core, 12),
        .pl = common.saturated(ws, try common.atomAt(ws, core, 26)),
        .s = try common.atomAt(ws, core, 54),
        .sl = common.saturated(ws, try common.atomAt(ws, core, 110)),
    };
    const cost = Cost{
        .n = common.saturated(ws, try common.atomAt(ws, core, 222)),
        .r = common.saturated(ws, try common.atomAt(ws, core, 446)),
        .z = common.saturated(ws, try common.atomAt(ws, core, 894)),
        .d = common.saturated(ws, try common.atomAt(ws, core, 895)),
    };
    return scrypt(ws, k, cost);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// The atom of a key printed as hex bytes (a little-endian atom: first byte lowest).
fn keyAtom(ws: *Workspace, comptime hex: []const u8) !Noun {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    return ws.atomFromBytes(&bytes);
}

test "crypto scr: PBKDF2-HMAC-SHA256 and scrypt (RFC 7914) vectors" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    // RFC 7914 section 11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1, dkLen=64).
    const passwd = try ws.atomFromBytes("passwd");
    const salt = try ws.atomFromBytes("salt");
    const pbk_sample = try ws.tuple(&.{ passwd, salt, Noun.one, Noun.direct(64) });
    const expected = try keyAtom(&ws, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" ++
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    try t.expectNoun(&ws, expected, try pbk(&ws, try t.gate(&ws, pbk_sample)));
    // RFC 7914 section 12: scrypt (P="", S="", N=16, r=1, p=1, dkLen=64).
    const empty = try ws.tuple(&.{ Noun.zero, Noun.zero, Noun.direct(16), Noun.one, Noun.one, Noun.direct(64) });
    const scrypt_key = try keyAtom(&ws, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442" ++
        "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
    try t.expectNoun(&ws, scrypt_key, try hsh(&ws, try t.gate(&ws, empty)));
}

test "crypto scr: Hoon's assertions crash, the lengths pad" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    try t.expectJetError(&ws, pbk, "[1 2 0 32]", error.Exit);
    try t.expectJetError(&ws, pbk, "[1 2 1 1073741825]", error.Exit);
    try t.expectJetError(&ws, hsh, "[1 2 3 1 1 32]", error.Exit);
    try t.expectJetError(&ws, hsh, "[1 2 2 0 1 32]", error.Exit);
    try t.expectJetError(&ws, hsh, "[1 2 65536 1 1 32]", error.Exit);
    try t.expectJetError(&ws, hsh, "[1 2 1 1 1 32]", error.Punt);
    try t.expectJet(&ws, pbk, "[1 2 1 0]", "0");
    // pbl with sl 2 reads the salt as the bytes 02 00: not pbk's one byte. (A password
    // padded with zero bytes is the same HMAC key.)
    const padded = try pbl(&ws, try t.gate(&ws, try t.parse(&ws, "[1 1 2 2 1 32]")));
    const short = try pbl(&ws, try t.gate(&ws, try t.parse(&ws, "[1 1 2 1 1 32]")));
    try testing.expect(!try @import("../equality.zig").equal(&ws, padded, short));
    try t.expectNoun(&ws, short, try pbk(&ws, try t.gate(&ws, try t.parse(&ws, "[1 2 1 32]"))));
}
