//! A cache from noun words to 32-bit values that is emptied in O(1): open addressing with
//! linear probing, every slot stamped with the generation that wrote it. A slot of an older
//! generation is empty, so `clear` only advances the generation, and nothing is ever removed
//! one by one (a removal would leave a tombstone that later probes must walk over: a table
//! emptied key by key after every collection ends up probing all of itself).
//!
//! Bounded: the table doubles while it is at most half full, up to `entries_max` entries;
//! a put into a full table clears it first. Allocation failure makes a put a no-op.

const std = @import("std");
const assert = std.debug.assert;

const slots_min = 256;

const Slot = struct {
    word: u64 = 0,
    value: u32 = 0,
    /// The generation that wrote this slot; any other generation means empty.
    generation: u32 = 0,
};

pub const WordCache = struct {
    slots: []Slot = &.{},
    /// The current generation: never 0, so zeroed slots are empty.
    generation: u32 = 1,
    count: u32 = 0,
    entries_max: u32,
    /// Slots examined by `get` and `put` in all (for tests and diagnosis).
    probes: u64 = 0,

    pub fn init(entries_max: u32) WordCache {
        assert(entries_max >= slots_min / 2);
        return .{ .entries_max = entries_max };
    }

    pub fn deinit(c: *WordCache, gpa: std.mem.Allocator) void {
        gpa.free(c.slots);
        c.* = undefined;
    }

    /// Forget every entry, keeping the memory.
    pub fn clear(c: *WordCache) void {
        c.count = 0;
        c.generation +%= 1;
        if (c.generation == 0) {
            // Wrapped: slots stamped with generations long gone must not come back.
            @memset(c.slots, .{});
            c.generation = 1;
        }
        assert(c.generation != 0);
    }

    inline fn home(c: *const WordCache, word: u64) usize {
        assert(std.math.isPowerOfTwo(c.slots.len));
        return @intCast((word *% 0x9e37_79b9_7f4a_7c15) >> 32 & (c.slots.len - 1));
    }

    pub fn get(c: *WordCache, word: u64) ?u32 {
        if (c.count == 0) return null;
        var i = c.home(word);
        // At most half the slots are live: a run of them ends well before the table does.
        while (true) : (i = (i + 1) & (c.slots.len - 1)) {
            c.probes += 1;
            const slot = &c.slots[i];
            if (slot.generation != c.generation) return null;
            if (slot.word == word) return slot.value;
        }
    }

    /// Set `word`'s value; best effort.
    pub fn put(c: *WordCache, gpa: std.mem.Allocator, word: u64, value: u32) void {
        if ((c.count + 1) * 2 > c.slots.len) {
            if (c.slots.len >= 2 * @as(usize, c.entries_max)) {
                c.clear();
            } else {
                c.grow(gpa) catch return;
            }
        }
        assert((c.count + 1) * 2 <= c.slots.len);
        var i = c.home(word);
        while (true) : (i = (i + 1) & (c.slots.len - 1)) {
            c.probes += 1;
            const slot = &c.slots[i];
            if (slot.generation != c.generation) {
                slot.* = .{ .word = word, .value = value, .generation = c.generation };
                c.count += 1;
                return;
            }
            if (slot.word == word) {
                slot.value = value;
                return;
            }
        }
    }

    fn grow(c: *WordCache, gpa: std.mem.Allocator) error{OutOfMemory}!void {
        const old = c.slots;
        const len = @max(slots_min, old.len * 2);
        const slots = try gpa.alloc(Slot, len);
        @memset(slots, .{});
        const generation = c.generation;
        c.slots = slots;
        c.generation = 1;
        c.count = 0;
        for (old) |slot| {
            if (slot.generation == generation) c.put(gpa, slot.word, slot.value);
        }
        gpa.free(old);
        assert(c.slots.len == len);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "word cache: get, put, overwrite, clear" {
    var c = WordCache.init(1024);
    defer c.deinit(testing.allocator);
    try testing.expectEqual(@as(?u32, null), c.get(8));
    c.put(testing.allocator, 8, 1);
    c.put(testing.allocator, 16, 2);
    c.put(testing.allocator, 8, 3);
    try testing.expectEqual(@as(?u32, 3), c.get(8));
    try testing.expectEqual(@as(?u32, 2), c.get(16));
    try testing.expectEqual(@as(u32, 2), c.count);
    c.clear();
    try testing.expectEqual(@as(?u32, null), c.get(8));
    c.put(testing.allocator, 16, 4);
    try testing.expectEqual(@as(?u32, 4), c.get(16));
    try testing.expectEqual(@as(?u32, null), c.get(8));
    // Growing keeps the live entries of the current generation only.
    for (0..1000) |i| c.put(testing.allocator, 24 + 8 * i, @intCast(i));
    try testing.expectEqual(@as(?u32, 4), c.get(16));
    try testing.expectEqual(@as(?u32, 999), c.get(24 + 8 * 999));
    try testing.expectEqual(@as(?u32, null), c.get(8));
    // Full at its bound: the next new word clears it.
    for (0..2000) |i| c.put(testing.allocator, 1 << 40 | i, 7);
    try testing.expect(c.count <= 1024);
    try testing.expect(c.slots.len <= 2048);
}

test "word cache: clears between lookups keep probing short" {
    // 10^5 puts and gets across 10^3 clears (a collection each), at varying fill: a table
    // that removed its keys one by one would probe through its tombstones.
    var c = WordCache.init(1 << 16);
    defer c.deinit(testing.allocator);
    var prng = std.Random.DefaultPrng.init(13);
    const random = prng.random();
    var operations: u64 = 0;
    for (0..1000) |round| {
        const n: usize = if (round % 10 == 0) 600 else 50;
        for (0..n) |_| {
            const word = random.int(u64) & ~@as(u64, 7);
            c.put(testing.allocator, word, 1);
            try testing.expectEqual(@as(?u32, 1), c.get(word));
            _ = c.get(word ^ 8);
            operations += 3;
        }
        c.clear();
    }
    try testing.expect(operations >= 100_000 * 3);
    // Linear probing at load at most 1/2 expects about 2.5 probes for a miss.
    try testing.expect(c.probes < 4 * operations);
}

test "word cache: the generation wraps without resurrecting entries" {
    var c = WordCache.init(1024);
    defer c.deinit(testing.allocator);
    c.put(testing.allocator, 8, 1);
    c.generation = std.math.maxInt(u32);
    c.put(testing.allocator, 16, 2);
    c.clear();
    try testing.expectEqual(@as(u32, 1), c.generation);
    c.put(testing.allocator, 24, 3); // Generation 1 again, as the slot of 8 was stamped.
    try testing.expectEqual(@as(?u32, 3), c.get(24));
    try testing.expectEqual(@as(?u32, null), c.get(8));
    try testing.expectEqual(@as(?u32, null), c.get(16));
}
