//! The %memo cache: `~+` in Hoon compiles to `[11 [%memo clue] formula]`, a promise that
//! `nock(subject, formula)` may be answered from a cache, and the compiler's type-engine arms
//! (`jets.Func.memo`) are pure functions of their core. A hit never changes a result: it is
//! the product the same computation gave before.
//!
//! Keys are what the product depends on, built by the dashboard (`Key`): for an arm of a
//! registered core, the registration and arm (the tag) and the core's parts outside its
//! registered batteries (samples and other payload along the parent chain), so a lookup
//! never compares batteries (below the type engine's door `ut`, its loop sets `fan` and
//! `rib` are left out, as Urbit's runtime keys them: `Dashboard.keyParts`); for a hint, `[formula parts]` when the subject is a registered
//! core, else `[subject formula]`. A key is found by its hash and confirmed by structural
//! equality, which unifies the probe with the stored key (`equality.unify`), so the next
//! lookup with the same nouns is a pointer comparison.
//!
//! Sized by memory. Each entry keeps `[key product]` in one workspace cell, a root of the
//! workspace; the collector visits the memo's roots first and reports the bytes reachable
//! from them (`RootSet.measured`). When that passes `budget_bytes`, the next insert evicts
//! entries until the estimate fits again; an insert into a full entry table evicts one.
//! Eviction is CLOCK weighted by cost: an entry holds credit, the hand takes one from
//! each entry it passes and evicts the first entry it finds without any. An insert gives
//! the entry its cost class (the log of the Nock steps its product took, 0 for a hint,
//! whose cost is not known), a hit gives it one more than that: entries that hit survive a
//! sweep, as with CLOCK's reference bit (an approximation of LRU that costs nothing on a
//! hit), and an entry that saved a long computation survives several, so that a compile
//! whose entries outgrow the budget keeps its costly products (the `mint` of a whole core)
//! over the many cheap ones.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const mug_mod = @import("mug.zig");
const equality = @import("equality.zig");

const none: u32 = std.math.maxInt(u32);

/// A slot of the index: 0 when free, else the entry's `slotHash` in the high half and its
/// index plus one in the low half.
const Slot = u64;
const slot_free: Slot = 0;

/// The fewest Nock steps a memoized arm's product must have cost to be cached: a cheaper
/// one is recomputed for about the price of its lookup, and its entry would push out
/// costly ones (compiling hoon.hoon makes millions of small `play`s).
pub const admit_steps_min: u64 = 100;

/// The highest cost class (products of 2^32 steps and more).
const class_max: u8 = 7;

pub const Stats = struct {
    hits: u64 = 0,
    misses: u64 = 0,
    inserts: u64 = 0,
    evictions: u64 = 0,
    entries: u64 = 0,
    /// Workspace bytes reachable from the entries at the last collection.
    bytes: u64 = 0,
    budget_bytes: u64 = 0,
};

/// What a cached product is the product of.
pub const Key = struct {
    /// `(registration + 1) << 32 | axis` for an arm, `(registration + 1) << 32` for a hint
    /// on a registered core, 0 for a hint on any subject.
    tag: u64,
    /// The inputs besides the tag (see the module comment).
    noun: Noun,
    hash: u64,
};

const Entry = struct {
    hash: u64 = 0,
    tag: u64 = 0,
    /// `[key product]`, or zero for a free entry.
    box: Noun = Noun.zero,
    /// Next entry in the free list.
    next: u32 = none,
    /// Sweeps of the hand the entry survives; `class` is what an insert gives it.
    credit: u8 = 0,
    class: u8 = 0,
};

pub const Memo = struct {
    ws: *Workspace,
    entries: std.ArrayList(Entry) = .empty,
    /// The index, open addressing with linear probing, at most half full: a probe compares
    /// 32 bits of the hash in the slot and reads an entry only when they match, so a miss
    /// (most lookups while compiling) costs one cache miss instead of two.
    slots: []Slot = &.{},
    free: u32 = none,
    hand: u32 = 0,
    entries_max: u32,
    /// Set by the collector: the bytes reachable from the entries.
    measured_bytes: u64 = 0,
    /// Collections seen when the memo was last trimmed to its budget.
    trimmed_at: u64 = 0,
    stats: Stats = .{},

    /// The memo registers itself as a root set of `ws`; it must not move until `deinit`.
    pub fn init(memo: *Memo, ws: *Workspace, budget_bytes: u64) !void {
        memo.* = .{ .ws = ws, .entries_max = entriesFor(budget_bytes) };
        memo.stats.budget_bytes = budget_bytes;
        try ws.addRootSet(.{ .ctx = memo, .visit = visit, .measured = &memo.measured_bytes });
        assert(memo.stats.entries == 0);
    }

    pub fn deinit(memo: *Memo) void {
        memo.ws.removeRootSet(memo);
        memo.entries.deinit(memo.ws.gpa);
        memo.ws.gpa.free(memo.slots);
        memo.* = undefined;
    }

    fn entriesFor(budget_bytes: u64) u32 {
        const n = budget_bytes / constants.memo_entry_bytes_min;
        return @intCast(std.math.clamp(n, constants.memo_entries_min, constants.memo_entries_max));
    }

    /// Change the budget; the entries over it go at the next insert.
    pub fn setBudget(memo: *Memo, budget_bytes: u64) void {
        memo.stats.budget_bytes = budget_bytes;
        memo.entries_max = @max(entriesFor(budget_bytes), @as(u32, @intCast(memo.entries.items.len)));
        memo.trimmed_at = 0;
    }

    /// The counters, with the bytes measured at the last collection.
    pub fn currentStats(memo: *const Memo) Stats {
        var s = memo.stats;
        s.bytes = memo.measured_bytes;
        return s;
    }

    fn visit(opaque_memo: *anyopaque, ws: *Workspace) void {
        const memo: *Memo = @ptrCast(@alignCast(opaque_memo));
        assert(memo.ws == ws);
        for (memo.entries.items) |*e| {
            if (e.box != Noun.zero) e.box = ws.forward(e.box);
        }
    }

    /// Forget every entry.
    pub fn clear(memo: *Memo) void {
        memo.entries.clearRetainingCapacity();
        @memset(memo.slots, slot_free);
        memo.free = none;
        memo.hand = 0;
        memo.stats.entries = 0;
    }

    /// The key of `noun` under `tag`, or null when its mug cannot be computed (out of memory
    /// for the walk: the product is then simply not memoized).
    pub fn key(memo: *Memo, tag: u64, noun: Noun) ?Key {
        const m = mug_mod.mug(memo.ws, noun) catch return null;
        assert(m != 0); // Mugs are never 0.
        const hash = (tag *% 0x9e37_79b9_7f4a_7c15) ^ (@as(u64, m) *% 0xc2b2_ae3d_27d4_eb4f);
        return .{ .tag = tag, .noun = noun, .hash = hash };
    }

    /// The 32 bits of a hash kept in its slot (they also choose the slot).
    inline fn slotHash(hash: u64) u32 {
        return @truncate(hash >> 32 ^ hash);
    }

    inline fn slotOf(h: u32, i: u32) Slot {
        return @as(u64, h) << 32 | (@as(u64, i) + 1);
    }

    inline fn slotEntry(slot: Slot) u32 {
        assert(slot != slot_free);
        return @intCast((slot & 0xffff_ffff) - 1);
    }

    /// Where the probe for a slot hash starts.
    inline fn home(memo: *const Memo, h: u32) usize {
        assert(std.math.isPowerOfTwo(memo.slots.len));
        return h & (memo.slots.len - 1);
    }

    /// The product cached under `k`, or null.
    pub fn lookup(memo: *Memo, k: Key) ?Noun {
        if (memo.slots.len > 0) {
            const h = slotHash(k.hash);
            const mask = memo.slots.len - 1;
            var s = memo.home(h);
            while (memo.slots[s] != slot_free) : (s = (s + 1) & mask) {
                if (memo.slots[s] >> 32 != h) continue;
                const e = &memo.entries.items[slotEntry(memo.slots[s])];
                assert(e.box != Noun.zero); // Free entries have no slot.
                if (e.hash != k.hash or e.tag != k.tag) continue;
                const same = equality.unify(memo.ws, memo.ws.head(e.box), k.noun) catch false;
                if (!same) continue;
                e.credit = e.class + 1;
                memo.stats.hits += 1;
                return memo.ws.tail(e.box);
            }
        }
        memo.stats.misses += 1;
        return null;
    }

    /// The cost class of a product that took `steps` Nock steps: 0 below 256 steps, then one
    /// more for every factor of 16, at most `class_max`.
    pub fn classOf(steps: u64) u8 {
        const log = 63 - @clz(steps | 1);
        const class: u8 = if (log < 8) 0 else @intCast((log - 4) / 4);
        return @min(class, class_max);
    }

    /// Cache `product`, which took `steps` Nock steps (0 when not known), under `k`; best
    /// effort (a full workspace or host memory skips it). Allocates but never collects.
    pub fn insert(memo: *Memo, k: Key, product: Noun, steps: u64) void {
        if (memo.overBudget()) memo.trim();
        const box = memo.ws.cell(k.noun, product) catch return;
        const i = memo.takeEntry() orelse return;
        const class = classOf(steps);
        memo.entries.items[i] = .{ .hash = k.hash, .tag = k.tag, .box = box, .credit = class, .class = class };
        memo.place(slotOf(slotHash(k.hash), i));
        memo.stats.entries += 1;
        memo.stats.inserts += 1;
        assert(memo.stats.entries <= memo.entries.items.len);
    }

    fn overBudget(memo: *const Memo) bool {
        return memo.measured_bytes > memo.stats.budget_bytes and
            memo.trimmed_at != memo.ws.collections;
    }

    /// A free entry: from the free list, a new one, or an evicted one.
    fn takeEntry(memo: *Memo) ?u32 {
        if (memo.free == none) {
            if (memo.entries.items.len < memo.entries_max) {
                memo.entries.append(memo.ws.gpa, .{}) catch return null;
                memo.growSlots() catch {
                    memo.entries.items.len -= 1;
                    return null;
                };
                return @intCast(memo.entries.items.len - 1);
            }
            memo.evictOne();
        }
        const i = memo.free;
        assert(i != none);
        memo.free = memo.entries.items[i].next;
        return i;
    }

    /// Keep at least twice as many slots as entries, rehashing when they double.
    fn growSlots(memo: *Memo) !void {
        const n = memo.entries.items.len;
        if (2 * n <= memo.slots.len) return;
        const gpa = memo.ws.gpa;
        const len = @max(512, 2 * memo.slots.len);
        const slots = try gpa.alloc(Slot, len);
        gpa.free(memo.slots);
        memo.slots = slots;
        @memset(memo.slots, slot_free);
        for (memo.entries.items, 0..) |*e, i| {
            if (e.box == Noun.zero) continue;
            memo.place(slotOf(slotHash(e.hash), @intCast(i)));
        }
        assert(memo.slots.len >= 2 * n);
    }

    /// Put `slot` in the first free slot from its home.
    fn place(memo: *Memo, slot: Slot) void {
        const mask = memo.slots.len - 1;
        var s = memo.home(@intCast(slot >> 32));
        while (memo.slots[s] != slot_free) s = (s + 1) & mask;
        memo.slots[s] = slot;
    }

    /// Evict entries until the measured bytes, scaled by the share of entries kept, fit
    /// seven eighths of the budget.
    fn trim(memo: *Memo) void {
        assert(memo.measured_bytes > memo.stats.budget_bytes);
        memo.trimmed_at = memo.ws.collections;
        const entries = memo.stats.entries;
        const keep = entries * (memo.stats.budget_bytes / 8 * 7) / memo.measured_bytes;
        while (memo.stats.entries > keep) memo.evictOne();
        memo.measured_bytes = memo.measured_bytes / @max(entries, 1) * @max(keep, 1);
    }

    /// Weighted CLOCK: take credit from the hand on, and evict the first entry without any.
    fn evictOne(memo: *Memo) void {
        const items = memo.entries.items;
        assert(memo.stats.entries > 0);
        var steps: usize = 0;
        while (steps <= (class_max + 2) * items.len) : (steps += 1) {
            const i = memo.hand;
            memo.hand = if (i + 1 >= items.len) 0 else i + 1;
            const e = &items[i];
            if (e.box == Noun.zero) continue;
            if (e.credit > 0) {
                e.credit -= 1;
                continue;
            }
            memo.unlink(i);
            e.* = .{ .next = memo.free };
            memo.free = i;
            memo.stats.entries -= 1;
            memo.stats.evictions += 1;
            return;
        }
        unreachable; // Each sweep takes credit from every entry: some entry runs out.
    }

    /// Free entry `i`'s slot, moving back the slots after it that may take its place, so
    /// that every probe still finds its entry before a free slot (no tombstones).
    fn unlink(memo: *Memo, i: u32) void {
        const mask = memo.slots.len - 1;
        var hole = memo.home(slotHash(memo.entries.items[i].hash));
        while (slotEntry(memo.slots[hole]) != i) hole = (hole + 1) & mask;
        var s = (hole + 1) & mask;
        while (memo.slots[s] != slot_free) : (s = (s + 1) & mask) {
            // The slot at `s` may move to the hole unless its home lies after the hole.
            const from_home = (s -% memo.home(@intCast(memo.slots[s] >> 32))) & mask;
            if (from_home < ((s -% hole) & mask)) continue;
            memo.slots[hole] = memo.slots[s];
            hole = s;
        }
        memo.slots[hole] = slot_free;
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

fn testKey(memo: *Memo, tag: u64, noun: Noun) Key {
    return memo.key(tag, noun).?;
}

test "memo: hits need an equal key and tag, survive collection, and unify the probe" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 1 << 20);
    defer memo.deinit();
    const d = Noun.direct;
    const subject = try ws.tuple(&.{ d(1), d(2), d(3) });
    const k = testKey(&memo, 7, subject);
    try testing.expectEqual(@as(?Noun, null), memo.lookup(k));
    memo.insert(k, d(3), 0);
    // A structurally equal copy hits (and then shares the stored key's children); another
    // tag with the same noun does not.
    const copy = try ws.tuple(&.{ d(1), d(2), d(3) });
    try testing.expectEqual(@as(?Noun, d(3)), memo.lookup(testKey(&memo, 7, copy)));
    try testing.expectEqual(ws.tail(subject), ws.tail(copy));
    try testing.expectEqual(@as(?Noun, null), memo.lookup(testKey(&memo, 8, copy)));
    // The entry's nouns are roots: garbage goes, the entry stays.
    for (0..1000) |i| _ = try ws.cell(d(i), d(i));
    ws.collect();
    const again = try ws.tuple(&.{ d(1), d(2), d(3) });
    try testing.expectEqual(@as(?Noun, d(3)), memo.lookup(testKey(&memo, 7, again)));
    memo.clear();
    try testing.expectEqual(@as(?Noun, null), memo.lookup(testKey(&memo, 7, again)));
}

test "memo: the entry table is bounded and CLOCK keeps the entries that hit" {
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 0); // The smallest table.
    defer memo.deinit();
    const d = Noun.direct;
    const hot = try ws.cell(d(1), d(1));
    var roots = [_]Noun{hot};
    try ws.pushRoots(&roots);
    defer ws.popRoots(&roots);
    memo.insert(testKey(&memo, 1, hot), d(42), 0);
    for (0..3 * constants.memo_entries_min) |i| {
        const s = try ws.cell(d(i + 2), d(1));
        memo.insert(testKey(&memo, 1, s), d(i), 0);
        try testing.expect(memo.lookup(testKey(&memo, 1, roots[0])) != null);
        if (ws.wantsCollect()) ws.collect();
    }
    try testing.expect(memo.stats.entries <= constants.memo_entries_min);
    try testing.expect(memo.stats.evictions >= 2 * constants.memo_entries_min);
    try testing.expectEqual(@as(?Noun, d(42)), memo.lookup(testKey(&memo, 1, roots[0])));
}

test "memo: a byte budget is measured at collection and enforced by eviction" {
    var ws = try Workspace.init(testing.allocator, 256 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 1 << 20);
    defer memo.deinit();
    const d = Noun.direct;
    // Each entry holds a 64-cell list: about 1.5 KiB; 4,000 of them are 6 MiB.
    for (0..4000) |i| {
        var list = Noun.zero;
        for (0..64) |j| list = try ws.cell(d(i * 64 + j), list);
        memo.insert(testKey(&memo, 1, list), d(i), 0);
        if (ws.wantsCollect()) ws.collect();
        if (i % 500 == 0) ws.collect();
    }
    ws.collect();
    try testing.expect(memo.stats.evictions > 0);
    try testing.expect(memo.measured_bytes < 2 << 20);
    try testing.expectEqual(memo.measured_bytes, memo.currentStats().bytes);
    try testing.expect(memo.currentStats().bytes > 0);
    try testing.expect(memo.stats.entries < 1400);
}

test "memo: many entries stay intact across many collections" {
    // The collector forwards every entry's key and product; a stale or unforwarded box
    // would read freed to-space here (the workspace is small, so it collects often).
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 1 << 30);
    defer memo.deinit();
    const d = Noun.direct;
    const n = 50_000;
    for (0..n) |i| {
        const k = try ws.tuple(&.{ d(i), d(i *% 7), d(1) });
        const product = try ws.tuple(&.{ d(i), try ws.atomFromLimbs(&.{ i, 1 }), d(2) });
        memo.insert(testKey(&memo, 3, k), product, 0);
        for (0..20) |j| _ = try ws.cell(d(j), d(i)); // Garbage between inserts.
        if (ws.wantsCollect()) ws.collect();
        if (i % 5000 == 0) ws.collect();
    }
    try testing.expect(ws.collections >= 10);
    try testing.expectEqual(@as(u64, n), memo.stats.entries);
    for (0..n) |i| {
        const k = try ws.tuple(&.{ d(i), d(i *% 7), d(1) });
        const product = memo.lookup(testKey(&memo, 3, k)) orelse return error.TestUnexpectedResult;
        try testing.expectEqual(d(i), ws.head(product));
        var scratch: u64 = undefined;
        try testing.expectEqualSlices(u64, &.{ i, 1 }, ws.bases.limbs(ws.head(ws.tail(product)), &scratch));
        if (ws.wantsCollect()) ws.collect();
    }
}

test "memo: a costly entry outlives sweeps that evict cheap ones" {
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 0); // The smallest table.
    defer memo.deinit();
    const d = Noun.direct;
    try testing.expectEqual(@as(u8, 0), Memo.classOf(0));
    try testing.expectEqual(@as(u8, 0), Memo.classOf(255));
    try testing.expectEqual(@as(u8, 1), Memo.classOf(256));
    try testing.expectEqual(@as(u8, 4), Memo.classOf(1 << 20));
    try testing.expectEqual(class_max, Memo.classOf(std.math.maxInt(u64)));
    const costly = try ws.cell(d(1), d(1));
    const cheap = try ws.cell(d(2), d(1));
    var roots = [_]Noun{ costly, cheap };
    try ws.pushRoots(&roots);
    defer ws.popRoots(&roots);
    memo.insert(testKey(&memo, 1, costly), d(42), 1 << 20);
    memo.insert(testKey(&memo, 1, cheap), d(43), 0);
    // Two sweeps' worth of cheap inserts, none of which hits.
    for (0..2 * constants.memo_entries_min) |i| {
        const s = try ws.cell(d(i + 3), d(1));
        memo.insert(testKey(&memo, 1, s), d(i), 0);
        if (ws.wantsCollect()) ws.collect();
    }
    try testing.expect(memo.stats.evictions >= constants.memo_entries_min);
    try testing.expectEqual(@as(?Noun, d(42)), memo.lookup(testKey(&memo, 1, roots[0])));
    try testing.expectEqual(@as(?Noun, null), memo.lookup(testKey(&memo, 1, roots[1])));
}

test "memo: evictions keep every other entry findable" {
    // Eviction frees a slot of the open-addressed index and moves later slots back; an
    // entry whose probe passed the freed slot must still be found.
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var memo: Memo = undefined;
    try memo.init(&ws, 0); // The smallest table: inserts past it evict.
    defer memo.deinit();
    const d = Noun.direct;
    for (0..4 * constants.memo_entries_min) |i| {
        memo.insert(testKey(&memo, 1 + i % 3, d(i)), d(i + 1), 0);
    }
    try testing.expect(memo.stats.evictions >= 3 * constants.memo_entries_min);
    var found: u64 = 0;
    for (0..4 * constants.memo_entries_min) |i| {
        const product = memo.lookup(testKey(&memo, 1 + i % 3, d(i))) orelse continue;
        try testing.expectEqual(d(i + 1), product);
        found += 1;
    }
    try testing.expectEqual(memo.stats.entries, found);
    var used: u64 = 0;
    for (memo.slots) |slot| used += @intFromBool(slot != slot_free);
    try testing.expectEqual(memo.stats.entries, used);
}
