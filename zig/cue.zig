//! Cue: the decoder of jam (zig/jam.zig), for untrusted bytes.
//!
//! Every length is checked against the remaining input before anything is allocated, a
//! backreference must name the start of an already decoded noun (not a backreference, not an
//! enclosing cell), and the input must be zero after the top noun. Memory is linear in the
//! input: at most one cell (3 words) per 2 input bits, atoms no larger than their encoding,
//! and side tables of a few bytes per input bit. Non-canonical atoms (high zero bits in their
//! encoding) are accepted and normalised.
//!
//! Cue never reaches a safe point: nouns are held only in local structures.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const bitstream = @import("bitstream.zig");
const BitReader = bitstream.BitReader;
const lowMask = bitstream.lowMask;

pub const Error = bitstream.Error;
pub const CueError = bitstream.CueError;

/// Decoded nouns by the bit offset where their encoding starts. Offsets arrive in
/// increasing order, so a bitmap of start positions plus a per-word prefix count gives an
/// O(1) lookup into a dense array: rank(offset) = prefix[word] + popcount(lower bits).
const Offsets = struct {
    bitmap: []u64,
    prefix: []u64,
    filled_words: u64 = 0,
    nouns: std.ArrayList(Noun) = .empty,

    /// Stands for a cell whose children are still being decoded: a backreference to it
    /// would make a cycle.
    const pending: Noun = Noun.fromRaw(Noun.tag_forward);

    fn init(gpa: std.mem.Allocator, bits_len: u64) Error!Offsets {
        const words: usize = @intCast(bits_len / 64 + 1);
        assert(@as(u64, words) * 64 > bits_len); // A bit for every offset.
        const bitmap = gpa.alloc(u64, words) catch return error.Meme;
        errdefer gpa.free(bitmap);
        @memset(bitmap, 0);
        const prefix = gpa.alloc(u64, words) catch return error.Meme;
        return .{ .bitmap = bitmap, .prefix = prefix };
    }

    fn deinit(o: *Offsets, gpa: std.mem.Allocator) void {
        gpa.free(o.bitmap);
        gpa.free(o.prefix);
        o.nouns.deinit(gpa);
    }

    /// Record the noun that starts at `offset`; returns its index in `nouns`.
    inline fn record(o: *Offsets, gpa: std.mem.Allocator, offset: u64, n: Noun) Error!usize {
        const word: usize = @intCast(offset >> 6);
        const bit = @as(u64, 1) << @truncate(offset);
        assert(word < o.bitmap.len);
        assert(o.filled_words <= word + 1); // Offsets arrive in increasing order.
        while (o.filled_words <= word) : (o.filled_words += 1) {
            o.prefix[@intCast(o.filled_words)] = o.nouns.items.len;
        }
        assert(o.bitmap[word] & bit == 0); // Each offset starts one noun.
        o.bitmap[word] |= bit;
        o.nouns.append(gpa, n) catch return error.Meme;
        return o.nouns.items.len - 1;
    }

    inline fn lookup(o: *const Offsets, offset: u64, bits_len: u64) CueError!Noun {
        if (offset >= bits_len) return error.BadJam;
        const word: usize = @intCast(offset >> 6);
        const bit = @as(u64, 1) << @truncate(offset);
        if (o.bitmap[word] & bit == 0) return error.BadJam;
        const index = o.prefix[word] + @popCount(o.bitmap[word] & (bit - 1));
        assert(word < o.filled_words);
        assert(index < o.nouns.items.len);
        const n = o.nouns.items[@intCast(index)];
        if (n == pending) return error.BadJam;
        return n;
    }
};

/// A cell being decoded: where its slot is, and its head once known.
const Frame = struct {
    index: usize,
    head: Noun,
    have_head: bool,
};

fn cueReader(ws: *Workspace, r: *const BitReader) CueError!Noun {
    const gpa = ws.gpa;
    if (r.bits_len == 0) return error.BadJam;
    var offsets = try Offsets.init(gpa, r.bits_len);
    defer offsets.deinit(gpa);
    var frames: std.ArrayList(Frame) = .empty;
    defer frames.deinit(gpa);
    var pos: u64 = 0;
    decode: while (true) {
        const start = pos;
        var result = try decodeLeaf(ws, r, &offsets, &pos);
        if (result == Offsets.pending) {
            const index = try offsets.record(gpa, start, Offsets.pending);
            if (frames.items.len >= constants.walk_stack_entries_max) return error.Meme;
            frames.append(gpa, .{ .index = index, .head = undefined, .have_head = false }) catch
                return error.Meme;
            continue :decode;
        }
        // Close every cell whose tail this completes; stop at the first that needs a tail.
        while (frames.items.len > 0) {
            const top = &frames.items[frames.items.len - 1];
            if (!top.have_head) {
                top.head = result;
                top.have_head = true;
                continue :decode;
            }
            result = try ws.cell(top.head, result);
            assert(offsets.nouns.items[top.index] == Offsets.pending);
            offsets.nouns.items[top.index] = result;
            frames.items.len -= 1;
        }
        assert(pos <= r.bits_len);
        try r.checkTrailing(pos);
        assert(!result.isForward());
        return result;
    }
}

/// Decode one item at `pos.*`: an atom or backreference (returned), or the tag of a cell
/// (returns `Offsets.pending`; the caller decodes its children next).
inline fn decodeLeaf(ws: *Workspace, r: *const BitReader, offsets: *Offsets, pos: *u64) CueError!Noun {
    const start = pos.*;
    assert(start <= r.bits_len);
    try r.need(start, 1);
    const tag = r.peek(start) & 3;
    if (tag & 1 == 0) {
        pos.* += 1;
        const b = try r.matLength(pos);
        const a = try r.atom(ws, pos, b);
        assert(pos.* <= r.bits_len);
        _ = try offsets.record(ws.gpa, start, a);
        return a;
    }
    try r.need(start, 2);
    pos.* += 2;
    if (tag == 1) return Offsets.pending;
    const b = try r.matLength(pos);
    if (b > 64) return error.BadJam;
    const offset = if (b == 0) 0 else r.peek(pos.*) & lowMask(b);
    pos.* += b;
    assert(pos.* <= r.bits_len);
    return offsets.lookup(offset, r.bits_len);
}

/// Cue little-endian bytes.
pub fn cue(ws: *Workspace, bytes: []const u8) CueError!Noun {
    const gpa = ws.gpa;
    const words = gpa.alloc(u64, bytes.len / 8 + 3) catch return error.Meme;
    defer gpa.free(words);
    @memset(words, 0);
    @memcpy(std.mem.sliceAsBytes(words)[0..bytes.len], bytes);
    const r = BitReader{ .words = words, .bits_len = @as(u64, bytes.len) * 8 };
    assert(words.len * 64 >= r.bits_len + 128); // Two zero words of padding.
    return cueReader(ws, &r);
}

/// Cue a jam given as an atom.
pub fn cueAtom(ws: *Workspace, a: Noun) CueError!Noun {
    if (!a.isAtom()) return error.BadJam;
    const gpa = ws.gpa;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    const words = gpa.alloc(u64, limbs.len + 2) catch return error.Meme;
    defer gpa.free(words);
    @memcpy(words[0..limbs.len], limbs);
    words[limbs.len] = 0;
    words[limbs.len + 1] = 0;
    const r = BitReader{ .words = words, .bits_len = ws.bases.met(a) };
    assert(words.len * 64 >= r.bits_len + 128); // Two zero words of padding.
    return cueReader(ws, &r);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const equality = @import("equality.zig");
const mug_mod = @import("mug.zig");
const jam_mod = @import("jam.zig");
const jam = jam_mod.jam;
const jamBytes = jam_mod.jamBytes;
const BitWriter = bitstream.BitWriter;
const readCorpus = @import("corpus.zig").readCorpus;

const CorpusFile = struct { path: []const u8, mug: u32 };
const corpus_files = [_]CorpusFile{
    .{ .path = "nock/hurray.jam", .mug = 0x2acca14b },
    .{ .path = "nock/decrement.jam", .mug = 0x5910f4ae },
    .{ .path = "nock/decrement2.jam", .mug = 0x2419dc },
    .{ .path = "nock/decfast.jam", .mug = 0x2c1a7cd4 },
    .{ .path = "nock/decslow.jam", .mug = 0x678fb757 },
    .{ .path = "nock/decflow.jam", .mug = 0x755f113d },
    .{ .path = "nock/repeat5_1000.jam", .mug = 0x13904865 },
    .{ .path = "nock/repeat5_1000_tc.jam", .mug = 0x513c7761 },
    .{ .path = "nock/shax.jam", .mug = 0x53f159cc },
    .{ .path = "kernels/test-ker.jam", .mug = 0x1174df08 },
    .{ .path = "pills/ivory.pill", .mug = 0x2a2274c9 },
};

test "cue: corpus files cue to their mugs and survive a jam round trip" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 2 << 30);
    defer ws.deinit();
    for (corpus_files) |file| {
        const bytes = (try readCorpus(gpa, file.path)) orelse return error.SkipZigTest;
        defer gpa.free(bytes);
        const n = try cue(&ws, bytes);
        try testing.expectEqual(file.mug, try mug_mod.mug(&ws, n));
        const again = try jamBytes(&ws, gpa, n);
        defer gpa.free(again);
        // Vere's jam is canonical: re-jamming a Vere jam gives back the same bytes.
        if (!std.mem.eql(u8, bytes, again)) {
            std.debug.print("note: {s}: re-jam differs ({d} -> {d} bytes)\n", .{ file.path, bytes.len, again.len });
        }
        try testing.expect(again.len <= bytes.len + bytes.len / 8 + 8);
        // Compare by re-jamming: jam is canonical over structure, and a DAG comparison of
        // two distinct copies without memo (equality.equal) can take exponential time.
        const n2 = try cue(&ws, again);
        const third = try jamBytes(&ws, gpa, n2);
        defer gpa.free(third);
        try testing.expectEqualSlices(u8, again, third);
        try testing.expectEqual(file.mug, try mug_mod.mug(&ws, n2));
    }
}

test "cue: 10^6-deep nouns through jam, cue, mug and equality" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 2 << 30);
    defer ws.deinit();
    var left = Noun.zero;
    var right = Noun.zero;
    for (0..1_000_000) |i| {
        left = try ws.cell(left, Noun.direct(i));
        right = try ws.cell(Noun.direct(i), right);
    }
    for ([_]Noun{ left, right }) |n| {
        const bytes = try jamBytes(&ws, gpa, n);
        defer gpa.free(bytes);
        const back = try cue(&ws, bytes);
        try testing.expect(try equality.equal(&ws, n, back));
        try testing.expectEqual(try mug_mod.mug(&ws, n), try mug_mod.mug(&ws, back));
        const as_atom = try jam(&ws, back);
        try testing.expect(try equality.equal(&ws, n, try cueAtom(&ws, as_atom)));
    }
}

/// Bits for hand-made inputs, written LSB first.
fn testBits(gpa: std.mem.Allocator, spec: []const [2]u64) ![]u8 {
    var w = BitWriter{ .gpa = gpa };
    defer w.deinit();
    for (spec) |item| {
        try w.ensure(item[1]);
        w.put(item[0], item[1]);
    }
    const len: usize = @intCast((w.bits + 7) / 8);
    return gpa.dupe(u8, std.mem.sliceAsBytes(w.words.items)[0..len]);
}

fn expectCue(spec: []const [2]u64, expected: ?Noun) !void {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 4 << 20);
    defer ws.deinit();
    const bytes = try testBits(gpa, spec);
    defer gpa.free(bytes);
    if (expected) |e| {
        try testing.expect(try equality.equal(&ws, e, try cue(&ws, bytes)));
    } else {
        try testing.expectError(error.BadJam, cue(&ws, bytes));
    }
}

test "cue: bad inputs are clean errors" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 16 << 20);
    defer ws.deinit();
    try testing.expectError(error.BadJam, cue(&ws, &.{}));
    try testing.expectError(error.BadJam, cue(&ws, &.{0}));
    try testing.expectError(error.BadJam, cue(&ws, &.{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
    try testing.expectError(error.BadJam, cue(&ws, &.{1}));
    try testing.expectError(error.BadJam, cueAtom(&ws, try ws.cell(Noun.zero, Noun.zero)));
    try testing.expectError(error.BadJam, cueAtom(&ws, Noun.zero));
    // Every proper prefix of a jam is truncated.
    const big = try ws.atomFromLimbs(&.{ 1, 2, 3, 4 });
    const n = try ws.tuple(&.{ big, Noun.direct(77), try ws.cell(big, Noun.direct(1 << 40)), big });
    const bytes = try jamBytes(&ws, gpa, n);
    defer gpa.free(bytes);
    for (0..bytes.len) |len| try testing.expectError(error.BadJam, cue(&ws, bytes[0..len]));
    try testing.expect(try equality.equal(&ws, n, try cue(&ws, bytes)));
    // Trailing zero bytes are padding; trailing one bits are not.
    const padded = try std.mem.concat(gpa, u8, &.{ bytes, &.{ 0, 0, 0 } });
    defer gpa.free(padded);
    try testing.expect(try equality.equal(&ws, n, try cue(&ws, padded)));
    padded[padded.len - 1] = 0x80;
    try testing.expectError(error.BadJam, cue(&ws, padded));
}

test "cue: backreferences and lengths are validated" {
    const zero_cell = [2]u64{ 1, 2 }; // cell tag: bits 1, 0
    const atom0 = [2]u64{ 2, 2 }; // atom 0: bits 0, 1
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    const pair = try ws.cell(Noun.zero, Noun.zero);
    // [0 ^2]: a backreference to the head (offset 2) is fine.
    // mat(2): c = 2 -> bits 0 0 1, low bit of b=2 is 0, then 2 = bits 0 1.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 } }, pair);
    // A backreference into the middle of the head (offset 3).
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 3, 2 } }, null);
    // A backreference to the enclosing cell (offset 0) would make a cycle.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 1, 1 } }, null);
    // A backreference forward, past the end, and to a backreference.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b1000, 4 }, .{ 0b01, 2 }, .{ 5, 3 } }, null);
    try expectCue(&.{ zero_cell, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 }, atom0 }, null);
    try expectCue(&.{ zero_cell, atom0, zero_cell, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 }, .{ 3, 2 }, .{ 0b1000, 4 }, .{ 0b00, 2 }, .{ 4, 3 } }, null);
    // Absurd lengths: 40 zeros announce a 2^39-bit atom; 70 zeros overflow the length.
    try expectCue(&.{ .{ 0, 1 }, .{ 0, 40 }, .{ 1, 1 }, .{ 0, 39 } }, null);
    try expectCue(&.{ .{ 0, 1 }, .{ 0, 64 }, .{ 0, 6 }, .{ 1, 1 }, .{ 0, 64 } }, null);
    // A backreference whose offset has more than 64 bits.
    try expectCue(&.{ .{ 3, 2 }, .{ 0, 7 }, .{ 1, 1 }, .{ 0, 6 }, .{ 0, 64 }, .{ 1, 1 } }, null);
    // A non-canonical atom (high zero bits) is accepted and normalised: 5 in 8 bits.
    try expectCue(&.{ .{ 0, 1 }, .{ 0b1000, 4 }, .{ 0, 2 }, .{ 5, 8 } }, Noun.direct(5));
}
