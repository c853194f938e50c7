//! The %memo cache: `~+` in Hoon compiles to `[11 [%memo clue] formula]`, a promise that
//! `nock(subject, formula)` may be answered from a cache. Keys are `(subject, formula)`,
//! found by their mugs and confirmed by structural equality, so a hit never changes a
//! result: it is the product the same computation gave before.
//!
//! Bounded: a fixed table of `constants.memo_entries_max` entries in sets of
//! `constants.memo_ways`; a full set evicts its least recently used entry. Each entry keeps
//! its three nouns in one workspace tuple `[subject formula product]` (a root of the
//! workspace), so the collector moves them, and PMA nouns inside it are found by the
//! machine's scan of live workspace cells like any other reference.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const mug_mod = @import("mug.zig");
const equality = @import("equality.zig");

comptime {
    assert(std.math.isPowerOfTwo(constants.memo_entries_max));
    assert(std.math.isPowerOfTwo(constants.memo_ways));
    assert(constants.memo_ways <= constants.memo_entries_max);
}

pub const Stats = struct {
    hits: u64 = 0,
    misses: u64 = 0,
    inserts: u64 = 0,
    evictions: u64 = 0,
    entries: u64 = 0,
};

const Slot = struct {
    /// `mug(subject) << 32 | mug(formula)`; meaningless while `box` is zero.
    key: u64 = 0,
    /// `[subject formula product]`, or zero for an empty slot.
    box: Noun = Noun.zero,
    /// Clock value of the last hit or insert (for LRU within the set).
    used: u64 = 0,
};

pub const Memo = struct {
    ws: *Workspace,
    slots: []Slot,
    clock: u64 = 0,
    stats: Stats = .{},

    /// The memo registers itself as a root set of `ws`; it must not move until `deinit`.
    pub fn init(memo: *Memo, ws: *Workspace) !void {
        const slots = try ws.gpa.alloc(Slot, constants.memo_entries_max);
        errdefer ws.gpa.free(slots);
        @memset(slots, .{});
        memo.* = .{ .ws = ws, .slots = slots };
        try ws.addRootSet(.{ .ctx = memo, .visit = visit });
        assert(memo.stats.entries == 0);
    }

    pub fn deinit(memo: *Memo) void {
        memo.ws.removeRootSet(memo);
        memo.ws.gpa.free(memo.slots);
        memo.* = undefined;
    }

    fn visit(opaque_memo: *anyopaque, ws: *Workspace) void {
        const memo: *Memo = @ptrCast(@alignCast(opaque_memo));
        assert(memo.ws == ws);
        for (memo.slots) |*slot| {
            if (slot.box != Noun.zero) slot.box = ws.forward(slot.box);
        }
    }

    /// Forget every entry.
    pub fn clear(memo: *Memo) void {
        assert(memo.slots.len == constants.memo_entries_max);
        @memset(memo.slots, .{});
        memo.stats.entries = 0;
    }

    /// The key of `(subject, formula)`, or null when a mug cannot be computed (out of memory
    /// for the walk: the hint is then simply not memoized).
    pub fn key(memo: *Memo, subject: Noun, formula: Noun) ?u64 {
        const s = mug_mod.mug(memo.ws, subject) catch return null;
        const f = mug_mod.mug(memo.ws, formula) catch return null;
        assert(s != 0); // Mugs are never 0.
        assert(f != 0);
        return @as(u64, s) << 32 | f;
    }

    fn set(memo: *Memo, k: u64) []Slot {
        const sets = constants.memo_entries_max / constants.memo_ways;
        // Mix both mugs into the set index: either alone may be constant across calls.
        const mixed = (k >> 32) ^ (k *% 0x9e37_79b9_7f4a_7c15 >> 40);
        const index: usize = @intCast(mixed & (sets - 1));
        const start = index * constants.memo_ways;
        assert(start % constants.memo_ways == 0);
        assert(start + constants.memo_ways <= memo.slots.len);
        return memo.slots[start .. start + constants.memo_ways];
    }

    /// The product cached for `(subject, formula)` under key `k`, or null.
    pub fn lookup(memo: *Memo, k: u64, subject: Noun, formula: Noun) ?Noun {
        const ws = memo.ws;
        for (memo.set(k)) |*slot| {
            if (slot.box == Noun.zero or slot.key != k) continue;
            const rest = ws.tail(slot.box);
            const same = (equality.equal(ws, ws.head(rest), formula) catch false) and
                (equality.equal(ws, ws.head(slot.box), subject) catch false);
            if (!same) continue;
            assert(slot.box.isCell());
            memo.clock += 1;
            slot.used = memo.clock;
            memo.stats.hits += 1;
            return ws.tail(rest);
        }
        memo.stats.misses += 1;
        return null;
    }

    /// Cache `product` for `(subject, formula)` under key `k`; best effort (a full
    /// workspace just skips it). Allocates but never collects.
    pub fn insert(memo: *Memo, k: u64, subject: Noun, formula: Noun, product: Noun) void {
        const box = memo.ws.tuple(&.{ subject, formula, product }) catch return;
        const ways = memo.set(k);
        var victim = &ways[0];
        for (ways) |*slot| {
            if (slot.box == Noun.zero) {
                victim = slot;
                break;
            }
            if (slot.used < victim.used) victim = slot;
        }
        if (victim.box == Noun.zero) {
            memo.stats.entries += 1;
        } else {
            memo.stats.evictions += 1;
        }
        memo.clock += 1;
        victim.* = .{ .key = k, .box = box, .used = memo.clock };
        memo.stats.inserts += 1;
        assert(memo.stats.entries <= constants.memo_entries_max);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "memo: hits need equal subject and formula, survive collection, and stay bounded" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws);
    defer memo.deinit();
    const d = Noun.direct;
    const subject = try ws.tuple(&.{ d(1), d(2), d(3) });
    const formula = try ws.tuple(&.{ d(0), d(7) });
    const k = memo.key(subject, formula).?;
    try testing.expectEqual(@as(?Noun, null), memo.lookup(k, subject, formula));
    memo.insert(k, subject, formula, d(3));
    // A structurally equal copy of the subject hits; a different formula with the same key
    // (forged) does not.
    const copy = try ws.tuple(&.{ d(1), d(2), d(3) });
    try testing.expectEqual(@as(?Noun, d(3)), memo.lookup(memo.key(copy, formula).?, copy, formula));
    try testing.expectEqual(@as(?Noun, null), memo.lookup(k, subject, try ws.tuple(&.{ d(0), d(6) })));
    // The entry's nouns are roots: garbage goes, the entry stays.
    for (0..1000) |i| _ = try ws.cell(d(i), d(i));
    ws.collect();
    const again = try ws.tuple(&.{ d(1), d(2), d(3) });
    const f2 = try ws.tuple(&.{ d(0), d(7) });
    try testing.expectEqual(@as(?Noun, d(3)), memo.lookup(memo.key(again, f2).?, again, f2));
    // Far more inserts than entries: the table never holds more than its capacity.
    for (0..3 * constants.memo_entries_max) |i| {
        const s = try ws.cell(d(i), d(1));
        memo.insert(memo.key(s, formula).?, s, formula, d(i));
        if (ws.wantsCollect()) ws.collect();
    }
    try testing.expect(memo.stats.entries <= constants.memo_entries_max);
    try testing.expect(memo.stats.evictions > 0);
    memo.clear();
    try testing.expectEqual(@as(?Noun, null), memo.lookup(k, subject, formula));
}
