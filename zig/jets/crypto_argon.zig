//! Jet of zuse's Argon2 (`++argon2:argon2:crypto`), registered `%argon2` under `%argon`
//! under `%hex`. `argon2` is a gate that builds a gate: the outer sample is
//! `[out typ version threads mem-cost time-cost key=byts extra=byts]`; its checks (threads
//! and time-cost non-zero, mem-cost >= 8 threads, version 0x10 or 0x13) run before it pins
//! `blocks`, `columns`, `seg-length` and an empty `buffer` and produces the inner gate,
//! `|=  [msg=byts sat=byts]`, which is the registered core. Its axes:
//!   sample     msg at 12 (wid 24, dat 25), sat at 13 (wid 26, dat 27)
//!   context    buffer 14, seg-length 30, columns 62, blocks 126, outer gate 127 with
//!              out 1020, typ 2042, version 4086, threads 8174, mem-cost 16350,
//!              time-cost 32702, key 65406 (130812 130813), extra 65407 (130814 130815)
//!
//! Hoon's Argon2 is RFC 9106 over byte strings read most significant byte first (a `byts`
//! `[wid dat]` is the `wid` low bytes of `dat`, the first byte highest), with the tag
//! produced the same way. Beyond the RFC it has type `%u` (number 10: data-independent
//! addressing for the first three slices of the first pass, dependent after), and it
//! accepts what the RFC forbids: a tag of any length (a tag of 0 bytes is a 1-byte BLAKE2b,
//! since Hoon's `blake2b` clamps its length to 1..64) and the 32-bit fields taken modulo
//! 2^32. A salt under 8 bytes crashes. A context that is not the one the outer gate pins
//! (edited after the gate was built) runs the Nock; sizes beyond the workspace are Meme.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const entry = @import("entry.zig");
const hash = @import("hash.zig");
const JetError = common.JetError;
const Blake2b512 = std.crypto.hash.blake2.Blake2b512;

pub const entries = [_]entry.Entry{
    entry.plain("argon2", argon2, "[msg=byts sat=byts] 24 25 26 27, outer gate at 127"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex/argon", .names = &.{"argon2"} },
};

const Block = [128]u64;
const block_bytes = 1024;

/// Argon2 types by their number in H0 and the address blocks.
const Kind = enum(u32) { d = 0, i = 1, id = 2, u = 10 };

const Byts = struct { wid: u64, dat: Noun };

/// The outer sample, checked as the outer gate checks it.
const Params = struct {
    out: u64,
    kind: Kind,
    version: u64,
    threads: u64,
    mem_cost: u64,
    time_cost: u64,
    key: Byts,
    extra: Byts,
    /// Derived as the outer gate pins them.
    blocks: u64 = 0,
    columns: u64 = 0,
    seg_len: u64 = 0,
};

fn bytsAt(ws: *const Workspace, core: Noun, comptime axis: u64) JetError!Byts {
    const b = try common.slot(ws, core, axis);
    if (!b.isCell()) return error.Exit;
    const wid = try common.expectAtom(ws.head(b));
    return .{ .wid = common.saturated(ws, wid), .dat = try common.expectAtom(ws.tail(b)) };
}

fn kindOf(ws: *const Workspace, typ: Noun) ?Kind {
    const v = common.saturated(ws, typ);
    if (v == 'd') return .d;
    if (v == 'i') return .i;
    if (v == 'd' << 8 | 'i') return .id;
    if (v == 'u') return .u;
    return null;
}

/// The outer sample, or Punt when it is not one the outer gate accepts (a context edited
/// after the gate was built, cells included: the Nock decides).
fn params(ws: *const Workspace, core: Noun) JetError!Params {
    return outerSample(ws, core) catch |err| switch (err) {
        error.Exit => error.Punt,
        else => err,
    };
}

fn outerSample(ws: *const Workspace, core: Noun) JetError!Params {
    const sat = common.saturated;
    var p = Params{
        .out = sat(ws, try common.atomAt(ws, core, 1020)),
        .kind = kindOf(ws, try common.atomAt(ws, core, 2042)) orelse return error.Punt,
        .version = sat(ws, try common.atomAt(ws, core, 4086)),
        .threads = sat(ws, try common.atomAt(ws, core, 8174)),
        .mem_cost = sat(ws, try common.atomAt(ws, core, 16350)),
        .time_cost = sat(ws, try common.atomAt(ws, core, 32702)),
        .key = try bytsAt(ws, core, 65406),
        .extra = try bytsAt(ws, core, 65407),
    };
    if (p.threads == 0 or p.time_cost == 0) return error.Punt;
    if (p.threads > 1 << 24 or p.mem_cost < 8 * p.threads) return error.Punt;
    if (p.version != 0x10 and p.version != 0x13) return error.Punt;
    if (p.mem_cost > 1 << 40) return error.Punt;
    p.blocks = p.mem_cost / (4 * p.threads) * (4 * p.threads);
    p.columns = p.blocks / p.threads;
    p.seg_len = p.columns / 4;
    assert(p.seg_len >= 2 and p.columns == 4 * p.seg_len);
    return p;
}

/// Whether the pins of the inner gate's context are those the outer gate made.
fn pinsMatch(ws: *const Workspace, core: Noun, p: Params) JetError!bool {
    const sat = common.saturated;
    if (sat(ws, try common.atomAt(ws, core, 30)) != p.seg_len) return false;
    if (sat(ws, try common.atomAt(ws, core, 62)) != p.columns) return false;
    if (sat(ws, try common.atomAt(ws, core, 126)) != p.blocks) return false;
    // buffer: (reap threads (reap columns 0)).
    var rows = try common.slot(ws, core, 14);
    var r: u64 = 0;
    while (r < p.threads) : (r += 1) {
        if (!rows.isCell()) return false;
        var row = ws.head(rows);
        var c: u64 = 0;
        while (c < p.columns) : (c += 1) {
            if (!row.isCell() or ws.head(row) != Noun.zero) return false;
            row = ws.tail(row);
        }
        if (row != Noun.zero) return false;
        rows = ws.tail(rows);
    }
    return rows == Noun.zero;
}

pub fn argon2(ws: *Workspace, core: Noun) JetError!Noun {
    const p = try params(ws, core);
    if (!(pinsMatch(ws, core, p) catch false)) return error.Punt;
    // The salt's length check comes first and crashes; a message that is no byts crashes
    // too, unless a huge input runs out of memory first: the Nock decides.
    const salt = try bytsAt(ws, core, 13);
    if (salt.wid < 8) return error.Exit;
    const msg = bytsAt(ws, core, 12) catch return error.Punt;
    const total = 40 +| msg.wid +| salt.wid +| p.key.wid +| p.extra.wid;
    if (total > ws.limit_bytes or p.out > ws.limit_bytes) return error.Meme;
    if (p.blocks *| block_bytes > ws.limit_bytes) return error.Meme;
    if (p.out / 8 + 2 > common.roomWords(ws)) return error.Meme;
    const memory = ws.gpa.alloc(Block, @intCast(p.blocks)) catch return error.Meme;
    defer ws.gpa.free(memory);
    const tag_len: usize = @intCast(@max(p.out, 1));
    const tag = ws.gpa.alloc(u8, tag_len) catch return error.Meme;
    defer ws.gpa.free(tag);
    var h0: [64]u8 = undefined;
    initialHash(ws, p, msg, salt, &h0);
    fillMemory(memory, p, &h0);
    var final: Block = memory[@intCast(p.columns - 1)];
    var lane: u64 = 1;
    while (lane < p.threads) : (lane += 1) {
        const last = &memory[@intCast(lane * p.columns + p.columns - 1)];
        for (&final, last) |*w, v| w.* ^= v;
    }
    var final_bytes: [block_bytes]u8 = undefined;
    blockToBytes(&final, &final_bytes);
    hashLong(p.out, &.{&final_bytes}, tag);
    // The tag, first byte most significant.
    const limbs = try ws.startAtom((tag_len + 7) / 8);
    const bytes = std.mem.sliceAsBytes(limbs);
    for (tag, 0..) |byte, i| bytes[tag_len - 1 - i] = byte;
    return ws.finishAtom(limbs);
}

fn le32(v: u64) [4]u8 {
    var b: [4]u8 = undefined;
    std.mem.writeInt(u32, &b, @truncate(v), .little);
    return b;
}

/// H0: BLAKE2b-512 of the parameters and the inputs, each input after its length.
fn initialHash(ws: *const Workspace, p: Params, msg: Byts, salt: Byts, h0: *[64]u8) void {
    var h = Blake2b512.init(.{});
    for ([_]u64{ p.threads, p.out, p.mem_cost, p.time_cost, p.version, @intFromEnum(p.kind) }) |v| {
        h.update(&le32(v));
    }
    for ([_]Byts{ msg, salt, p.key, p.extra }) |b| {
        h.update(&le32(b.wid));
        hash.feedBig(ws, &h, b.dat, b.wid);
    }
    h.final(h0);
}

/// BLAKE2b of `parts` with an output of `digest.len` (1..64) bytes.
fn blake(parts: []const []const u8, digest: []u8) void {
    assert(digest.len >= 1 and digest.len <= 64);
    var h = Blake2b512.init(.{ .expected_out_bits = digest.len * 8 });
    for (parts) |part| h.update(part);
    var full: [64]u8 = undefined;
    h.final(&full);
    @memcpy(digest, full[0..digest.len]);
}

/// H' (RFC 9106 3.3) of `input` into `tag`, for the requested length `out`: `tag` has
/// `out` bytes, or 1 when `out` is 0 (Hoon's clamp).
fn hashLong(out: u64, input: []const []const u8, tag: []u8) void {
    assert(tag.len == @max(out, 1));
    assert(input.len <= 3);
    var parts: [4][]const u8 = undefined;
    const out_le = le32(out);
    parts[0] = &out_le;
    for (input, 1..) |part, i| parts[i] = part;
    if (out <= 64) return blake(parts[0 .. input.len + 1], tag);
    var v: [64]u8 = undefined;
    blake(parts[0 .. input.len + 1], &v);
    @memcpy(tag[0..32], v[0..32]);
    var at: usize = 32;
    var left: usize = tag.len - 32;
    while (left > 64) : (left -= 32) {
        var next: [64]u8 = undefined;
        blake(&.{&v}, &next);
        v = next;
        @memcpy(tag[at..][0..32], v[0..32]);
        at += 32;
    }
    blake(&.{&v}, tag[at..][0..left]);
    assert(at + left == tag.len);
}

fn blockToBytes(b: *const Block, out: *[block_bytes]u8) void {
    for (b, 0..) |w, i| std.mem.writeInt(u64, out[i * 8 ..][0..8], w, .little);
}

fn blockFromBytes(bytes: *const [block_bytes]u8, b: *Block) void {
    for (b, 0..) |*w, i| w.* = std.mem.readInt(u64, bytes[i * 8 ..][0..8], .little);
}

/// Every pass, slice by slice, lane by lane (the order of Hoon's loops; lanes of a slice
/// never read each other's current segment, so the order is the RFC's).
fn fillMemory(memory: []Block, p: Params, h0: *const [64]u8) void {
    var pass: u64 = 0;
    while (pass < p.time_cost) : (pass += 1) {
        var slice: u64 = 0;
        while (slice < 4) : (slice += 1) {
            var lane: u64 = 0;
            while (lane < p.threads) : (lane += 1) {
                fillSegment(memory, p, h0, .{ .pass = pass, .slice = slice, .lane = lane });
            }
        }
    }
}

const Position = struct { pass: u64, slice: u64, lane: u64 };

fn independent(kind: Kind, pos: Position) bool {
    return switch (kind) {
        .i => true,
        .d => false,
        .id => pos.pass == 0 and pos.slice <= 1,
        .u => pos.pass == 0 and pos.slice <= 2,
    };
}

/// The address block of data-independent addressing: G(0, G(0, Z)).
fn addressBlock(p: Params, pos: Position, counter: u64, out: *Block) void {
    var input = std.mem.zeroes(Block);
    input[0..7].* = .{ pos.pass, pos.lane, pos.slice, p.blocks, p.time_cost, @intFromEnum(p.kind), counter };
    const zero = std.mem.zeroes(Block);
    var once: Block = undefined;
    compress(&zero, &input, &once);
    compress(&zero, &once, out);
}

fn fillSegment(memory: []Block, p: Params, h0: *const [64]u8, pos: Position) void {
    const columns = p.columns;
    const row = memory[@intCast(pos.lane * columns)..][0..@intCast(columns)];
    const by_input = independent(p.kind, pos);
    var address: Block = undefined;
    var sin: u64 = 0;
    while (sin < p.seg_len) : (sin += 1) {
        const col = pos.slice * p.seg_len + sin;
        if (pos.pass == 0 and col < 2) {
            var bytes: [block_bytes]u8 = undefined;
            hashLong(block_bytes, &.{ h0, &le32(col), &le32(pos.lane) }, &bytes);
            blockFromBytes(&bytes, &row[@intCast(col)]);
            continue;
        }
        const prev = if (col == 0) columns - 1 else col - 1;
        var pseudo: u64 = undefined;
        if (by_input) {
            if (sin % 128 == 0 or (pos.pass == 0 and pos.slice == 0 and sin == 2)) {
                addressBlock(p, pos, sin / 128 + 1, &address);
            }
            pseudo = address[@intCast(sin % 128)];
        } else pseudo = row[@intCast(prev)][0];
        const ref_lane = if (pos.pass == 0 and pos.slice == 0) pos.lane else (pseudo >> 32) % p.threads;
        const ref_col = referenceColumn(p, pos, sin, ref_lane == pos.lane, @as(u32, @truncate(pseudo)));
        const ref = &memory[@intCast(ref_lane * columns + ref_col)];
        var new: Block = undefined;
        compress(&row[@intCast(prev)], ref, &new);
        if (pos.pass != 0 and p.version == 0x13) {
            for (&new, row[@intCast(col)]) |*w, old| w.* ^= old;
        }
        row[@intCast(col)] = new;
    }
}

/// The column of the reference block (RFC 9106 3.4.2).
fn referenceColumn(p: Params, pos: Position, sin: u64, same_lane: bool, j1: u32) u64 {
    const seg = p.seg_len;
    const area: u64 = if (pos.pass == 0) blk: {
        if (pos.slice == 0 or same_lane) break :blk pos.slice * seg + sin - 1;
        break :blk if (sin == 0) pos.slice * seg - 1 else pos.slice * seg;
    } else blk: {
        const sul = p.columns - seg;
        if (same_lane) break :blk sul + sin - 1;
        break :blk if (sin == 0) sul - 1 else sul;
    };
    assert(area >= 1);
    const x: u128 = (@as(u128, j1) * j1) >> 32;
    const y: u64 = @intCast((@as(u128, area) * x) >> 32);
    const relative = area - 1 - y;
    const start: u64 = if (pos.pass == 0 or pos.slice == 3) 0 else (pos.slice + 1) * seg;
    return (start + relative) % p.columns;
}

fn blamka(x: u64, y: u64) u64 {
    return x +% y +% 2 *% @as(u64, @as(u32, @truncate(x))) *% @as(u32, @truncate(y));
}

fn quarter(v: *[16]u64, a: usize, b: usize, c: usize, d: usize) void {
    v[a] = blamka(v[a], v[b]);
    v[d] = std.math.rotr(u64, v[d] ^ v[a], 32);
    v[c] = blamka(v[c], v[d]);
    v[b] = std.math.rotr(u64, v[b] ^ v[c], 24);
    v[a] = blamka(v[a], v[b]);
    v[d] = std.math.rotr(u64, v[d] ^ v[a], 16);
    v[c] = blamka(v[c], v[d]);
    v[b] = std.math.rotr(u64, v[b] ^ v[c], 63);
}

/// The permutation P on sixteen words.
fn permute(v: *[16]u64) void {
    quarter(v, 0, 4, 8, 12);
    quarter(v, 1, 5, 9, 13);
    quarter(v, 2, 6, 10, 14);
    quarter(v, 3, 7, 11, 15);
    quarter(v, 0, 5, 10, 15);
    quarter(v, 1, 6, 11, 12);
    quarter(v, 2, 7, 8, 13);
    quarter(v, 3, 4, 9, 14);
}

/// The compression function G: P on the rows, then on the columns, of X xor Y, xored in.
fn compress(x: *const Block, y: *const Block, out: *Block) void {
    var r: Block = undefined;
    for (&r, x, y) |*w, a, b| w.* = a ^ b;
    var q = r;
    for (0..8) |i| permute(q[i * 16 ..][0..16]);
    for (0..8) |i| {
        var v: [16]u64 = undefined;
        for (0..8) |j| {
            v[2 * j] = q[16 * j + 2 * i];
            v[2 * j + 1] = q[16 * j + 2 * i + 1];
        }
        permute(&v);
        for (0..8) |j| {
            q[16 * j + 2 * i] = v[2 * j];
            q[16 * j + 2 * i + 1] = v[2 * j + 1];
        }
    }
    for (out, q, r) |*w, a, b| w.* = a ^ b;
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// The inner gate as the outer gate builds it: `outer` is the outer sample's noun text.
fn innerGate(ws: *Workspace, outer: []const u8, msg: Noun, salt: Noun) !Noun {
    const sample = try t.parse(ws, outer);
    const threads = common.saturated(ws, try common.atomAt(ws, sample, 30));
    const mem = common.saturated(ws, try common.atomAt(ws, sample, 62));
    const blocks = mem / (4 * threads) * (4 * threads);
    const columns = blocks / threads;
    var buffer = Noun.zero;
    for (0..threads) |_| {
        var row = Noun.zero;
        for (0..columns) |_| row = try ws.cell(Noun.zero, row);
        buffer = try ws.cell(row, buffer);
    }
    const outer_gate = try ws.tuple(&.{ Noun.zero, sample, Noun.zero });
    const pins = try ws.tuple(&.{ buffer, Noun.direct(columns / 4), Noun.direct(columns), Noun.direct(blocks), outer_gate });
    return ws.tuple(&.{ Noun.zero, try ws.cell(msg, salt), pins });
}

fn expectTag(ws: *Workspace, core: Noun, comptime hex: []const u8) !void {
    var bytes: [hex.len / 2]u8 = undefined;
    _ = try std.fmt.hexToBytes(&bytes, hex);
    std.mem.reverse(u8, &bytes);
    try t.expectNoun(ws, try ws.atomFromBytes(&bytes), try argon2(ws, core));
}

fn filled(ws: *Workspace, n: usize, byte: u8) !Noun {
    var bytes: [64]u8 = undefined;
    @memset(bytes[0..n], byte);
    return ws.cell(Noun.direct(n), try ws.atomFromBytes(bytes[0..n]));
}

test "crypto argon2: RFC 9106 vectors (version 0x13)" {
    var ws = try Workspace.init(testing.allocator, 1 << 24);
    defer ws.deinit();
    const msg = try filled(&ws, 32, 1);
    const salt = try filled(&ws, 16, 2);
    // [out typ version threads mem-cost time-cost key extra], key 8 x 0x03, extra 12 x 0x04.
    const rest = " 0x13 4 32 3 [8 0x303.0303.0303.0303] [12 0x404.0404.0404.0404.0404.0404]]";
    try expectTag(&ws, try innerGate(&ws, "[32 %d" ++ rest, msg, salt), "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb");
    try expectTag(&ws, try innerGate(&ws, "[32 %i" ++ rest, msg, salt), "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8");
    try expectTag(&ws, try innerGate(&ws, "[32 %id" ++ rest, msg, salt), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

test "crypto argon2: short salts crash, edited contexts run the Nock" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    const msg = try filled(&ws, 4, 9);
    const outer = "[16 %u 0x10 1 8 1 [0 0] [0 0]]";
    try testing.expectError(error.Exit, argon2(&ws, try innerGate(&ws, outer, msg, try filled(&ws, 7, 2))));
    _ = try argon2(&ws, try innerGate(&ws, outer, msg, try filled(&ws, 8, 2)));
    // An outer sample the outer gate refuses, or pins that do not follow from it.
    const bad = try innerGate(&ws, "[16 %u 0x12 1 8 1 [0 0] [0 0]]", msg, try filled(&ws, 8, 2));
    try testing.expectError(error.Punt, argon2(&ws, bad));
    const cell_typ = try innerGate(&ws, "[16 [1 2] 0x13 1 8 1 [0 0] [0 0]]", msg, try filled(&ws, 8, 2));
    try testing.expectError(error.Punt, argon2(&ws, cell_typ));
    const core = try innerGate(&ws, outer, msg, try filled(&ws, 8, 2));
    const edited = try ws.tuple(&.{ Noun.zero, ws.head(ws.tail(core)), Noun.zero, Noun.direct(2), Noun.direct(8), Noun.direct(8), try common.slot(&ws, core, 127) });
    try testing.expectError(error.Punt, argon2(&ws, edited));
}

test "crypto argon2: H' past 64 bytes and the 1-byte tag of length 0" {
    var ws = try Workspace.init(testing.allocator, 1 << 22);
    defer ws.deinit();
    var tag: [100]u8 = undefined;
    hashLong(100, &.{"abc"}, &tag);
    // The first 32 bytes are those of BLAKE2b-512(LE32(100) || "abc").
    var v: [64]u8 = undefined;
    blake(&.{ &le32(100), "abc" }, &v);
    try testing.expectEqualSlices(u8, v[0..32], tag[0..32]);
    // Then 32 bytes of V2 = BLAKE2b-512(V1), and BLAKE2b-288(V2) for the last 36.
    var v2: [64]u8 = undefined;
    blake(&.{&v}, &v2);
    try testing.expectEqualSlices(u8, v2[0..32], tag[32..64]);
    var last: [36]u8 = undefined;
    blake(&.{&v2}, &last);
    try testing.expectEqualSlices(u8, &last, tag[64..100]);
    var one: [1]u8 = undefined;
    hashLong(0, &.{"abc"}, &one);
    var expected: [1]u8 = undefined;
    blake(&.{ &le32(0), "abc" }, &expected);
    try testing.expectEqual(expected[0], one[0]);
}
