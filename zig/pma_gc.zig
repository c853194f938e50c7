//! Copy-compaction of a PMA slab into a fresh file: mark, then slide.
//!
//! The old slab must stay byte-for-byte intact until the new one is durable (it is the
//! crash fallback, and replicas may be reading it), so no forwarding words can be written
//! into it. Instead:
//!   1. mark: an explicit-stack walk from the roots sets, in a bitmap with one bit per data
//!      word, every word of every reachable object (each object once: sharing preserved);
//!   2. prefix: live words before each bitmap word, so an object's new offset is
//!      `data start + live words before it`, an O(1) lookup (prefix + popcount);
//!   3. slide: one linear pass in address order hands each live object, children's offsets
//!      rewritten, to a sink that appends it to the new file.
//! Side memory is 2 bits per slab word (32 MiB for a 1 GiB slab); both files are read
//! and written sequentially in the slide, which keeps it close to memcpy speed.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;

pub const Error = error{ Meme, CorruptNoun };

inline fn objectWords(header: u64) u64 {
    const limbs = Header.limbs(header);
    return if (limbs == 0) 3 else 1 + @as(u64, limbs);
}

/// Per 64 data words: which belong to live objects, and how many live words precede them.
/// Kept side by side so an offset lookup touches one cache line.
pub const Block = extern struct {
    bits: u64,
    prefix: u64,
};

pub const Marked = struct {
    /// Bit i of blocks[j] = word (data_start_words + 64 j + i) belongs to a live object.
    blocks: []Block,
    data_start_words: u64,
    live_words: u64,

    pub fn deinit(m: *Marked, gpa: std.mem.Allocator) void {
        gpa.free(m.blocks);
        m.* = undefined;
    }

    pub inline fn isLive(m: *const Marked, offset_words: u64) bool {
        const i = offset_words - m.data_start_words;
        return m.blocks[i / 64].bits & (@as(u64, 1) << @intCast(i % 64)) != 0;
    }

    /// New word offset of the live object at `offset_words`.
    pub inline fn newOffset(m: *const Marked, offset_words: u64) u64 {
        assert(m.isLive(offset_words));
        const i = offset_words - m.data_start_words;
        const block = m.blocks[i / 64];
        const below = block.bits & ((@as(u64, 1) << @intCast(i % 64)) - 1);
        return m.data_start_words + block.prefix + @popCount(below);
    }

    /// The noun word after compaction (direct atoms unchanged).
    pub inline fn forward(m: *const Marked, n: Noun) Noun {
        if (!n.inPma()) return n;
        return Noun.pmaRef(n.tag(), m.newOffset(n.payload()));
    }

    fn setRange(m: *Marked, offset_words: u64, count: u64) void {
        assert(count > 0);
        var i = offset_words - m.data_start_words;
        var left = count;
        while (left > 0) {
            const bit: u6 = @intCast(i % 64);
            const take = @min(left, 64 - @as(u64, bit));
            const ones: u64 = if (take == 64) ~@as(u64, 0) else (@as(u64, 1) << @intCast(take)) - 1;
            assert(m.blocks[i / 64].bits & (ones << bit) == 0); // Objects never overlap.
            m.blocks[i / 64].bits |= ones << bit;
            i += take;
            left -= take;
        }
    }
};

/// Mark everything reachable from `roots` in the slab whose words are `words` and whose
/// objects lie in [data_start_words, used_words). Checks every reference it follows.
pub fn mark(
    gpa: std.mem.Allocator,
    words: [*]const u64,
    data_start_words: u64,
    used_words: u64,
    roots: []const Noun,
) Error!Marked {
    assert(used_words >= data_start_words);
    const len: usize = @intCast((used_words - data_start_words) / 64 + 1);
    const blocks = gpa.alloc(Block, len) catch return error.Meme;
    errdefer gpa.free(blocks);
    @memset(blocks, .{ .bits = 0, .prefix = 0 });
    var m = Marked{ .blocks = blocks, .data_start_words = data_start_words, .live_words = 0 };
    var stack: std.ArrayList(u64) = .empty;
    defer stack.deinit(gpa);
    for (roots) |r| try push(gpa, &stack, &m, r.raw(), used_words);
    try markFrom(gpa, &stack, &m, words, used_words);
    var total: u64 = 0;
    for (m.blocks) |*b| {
        b.prefix = total;
        total += @popCount(b.bits);
    }
    m.live_words = total;
    assert(total <= used_words - data_start_words);
    return m;
}

fn markFrom(gpa: std.mem.Allocator, stack: *std.ArrayList(u64), m: *Marked, words: [*]const u64, used_words: u64) Error!void {
    while (stack.pop()) |raw| {
        const n = Noun.fromRaw(raw);
        const off = n.payload();
        if (m.isLive(off)) continue; // Pushed twice before its first visit.
        const header = words[off];
        const limbs = Header.limbs(header);
        if (n.isCell() != (limbs == 0)) return error.CorruptNoun;
        const size = objectWords(header);
        if (size > used_words - off) return error.CorruptNoun;
        m.setRange(off, size);
        if (limbs != 0) continue;
        // Tail first, so right-nested lists keep the stack short.
        try push(gpa, stack, m, words[off + 2], used_words);
        try push(gpa, stack, m, words[off + 1], used_words);
    }
}

inline fn push(gpa: std.mem.Allocator, stack: *std.ArrayList(u64), m: *const Marked, raw: u64, used_words: u64) Error!void {
    const n = Noun.fromRaw(raw);
    if (n.isDirect()) return;
    // The PMA never points into the workspace, and never holds forwarding words.
    if (n.isForward() or !n.inPma()) return error.CorruptNoun;
    const off = n.payload();
    if (off < m.data_start_words or off >= used_words) return error.CorruptNoun;
    if (m.isLive(off)) return;
    if (stack.items.len >= constants.walk_stack_entries_max) return error.Meme;
    stack.append(gpa, raw) catch return error.Meme;
}

/// Hand the live objects of `src` to `sink.put(words)` in address order, cell children
/// rewritten to their new offsets; the sink lays them out from the data start on. Returns
/// the number of words emitted.
pub fn slide(m: *const Marked, src: [*]const u64, used_words: u64, sink: anytype) !u64 {
    const ds = m.data_start_words;
    var out: u64 = 0;
    var i: u64 = 0; // Data word index (offset - ds).
    const n = used_words - ds;
    while (i < n) {
        var j = i / 64;
        var w = m.blocks[j].bits & (~@as(u64, 0) << @intCast(i % 64));
        while (w == 0) {
            j += 1;
            if (j >= m.blocks.len) return out;
            w = m.blocks[j].bits;
        }
        i = j * 64 + @ctz(w);
        if (i >= n) break;
        const off = ds + i;
        const header = src[off];
        const size = objectWords(header);
        assert(m.newOffset(off) == ds + out);
        if (Header.limbs(header) == 0) {
            const cell = [3]u64{
                header,
                m.forward(Noun.fromRaw(src[off + 1])).raw(),
                m.forward(Noun.fromRaw(src[off + 2])).raw(),
            };
            try sink.put(&cell);
        } else {
            try sink.put(src[off .. off + size]);
        }
        out += size;
        i += size;
    }
    assert(out == m.live_words);
    return out;
}

/// A sink that writes into memory (tests).
const ArraySink = struct {
    dst: []u64,
    len: usize,

    pub fn put(s: *ArraySink, words: []const u64) error{}!void {
        @memcpy(s.dst[s.len..][0..words.len], words);
        s.len += words.len;
    }
};

const testing = std.testing;

test "pma_gc: mark and slide keep shared objects once and drop garbage" {
    // A hand-built slab: data starts at word 4.
    const ds: u64 = 4;
    var src = [_]u64{0} ** 32;
    // 4: garbage cell; 7: atom (2 limbs); 10: cell [atom atom]; 13: cell [10 10]
    src[4] = Header.cell;
    src[5] = 1;
    src[6] = 2;
    src[7] = Header.atom(2);
    src[8] = 0xdead;
    src[9] = 0xbeef;
    src[10] = Header.cell;
    src[11] = Noun.pmaRef(Noun.tag_indirect, 7).raw();
    src[12] = Noun.pmaRef(Noun.tag_indirect, 7).raw();
    src[13] = Header.cell;
    src[14] = Noun.pmaRef(Noun.tag_cell, 10).raw();
    src[15] = Noun.pmaRef(Noun.tag_cell, 10).raw();
    const used: u64 = 16;
    var m = try mark(testing.allocator, &src, ds, used, &.{Noun.pmaRef(Noun.tag_cell, 13)});
    defer m.deinit(testing.allocator);
    try testing.expectEqual(@as(u64, 9), m.live_words);
    var dst = [_]u64{0} ** 32;
    var sink = ArraySink{ .dst = &dst, .len = ds };
    try testing.expectEqual(@as(u64, 9), try slide(&m, &src, used, &sink));
    const root = m.forward(Noun.pmaRef(Noun.tag_cell, 13));
    // New layout, in address order: atom at 4, inner cell at 7, root at 10.
    try testing.expectEqual(@as(u64, 10), root.payload());
    try testing.expectEqual(Noun.pmaRef(Noun.tag_cell, 7).raw(), dst[11]);
    try testing.expectEqual(dst[11], dst[12]); // Sharing kept: both children the same.
    try testing.expectEqual(Noun.pmaRef(Noun.tag_indirect, 4).raw(), dst[8]);
    try testing.expectEqual(dst[8], dst[9]);
    try testing.expectEqual(@as(u64, 0xbeef), dst[6]);
}

test "pma_gc: mark refuses references out of range, into the workspace, or of the wrong kind" {
    const ds: u64 = 4;
    var src = [_]u64{0} ** 16;
    src[4] = Header.cell;
    src[5] = Noun.pmaRef(Noun.tag_cell, 40).raw();
    src[6] = 0;
    const r = Noun.pmaRef(Noun.tag_cell, 4);
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, ds, 7, &.{r}));
    src[5] = Noun.tag_cell | 100; // A workspace reference.
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, ds, 7, &.{r}));
    src[5] = 0;
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, ds, 7, &.{Noun.pmaRef(Noun.tag_indirect, 4)}));
}
