//! The handle table: the nouns that the host (JavaScript) holds, by u32 handle.
//!
//! A handle names a slot of the table. The table is a root set of the workspace, so the
//! collector forwards every live slot and a handle stays valid across collections while the
//! noun it names moves. Freed slots are chained on a free list and reused.
//!
//! Handle encoding (u32): `1 + (generation << index_bits | index)`; 0 is never a handle.
//! Each slot keeps a small generation counter, bumped when the slot is freed, so a handle
//! that was released (and perhaps reused since) is caught as stale in all but one case in
//! `generations` reuses. Every lookup checks range, liveness and generation: the host gets a
//! clean error for a bad handle, never a wild read.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const workspace_mod = @import("workspace.zig");
const Workspace = workspace_mod.Workspace;

pub const Error = error{ BadHandle, HandlesFull, OutOfMemory };

/// Bits of a handle that hold the slot index.
pub const index_bits: u5 = @intCast(@ctz(constants.handles_max));
const index_mask: u32 = constants.handles_max - 1;
/// Generations cycle through the handle's remaining high bits, skipping the all-ones value
/// so that `1 + (generation << index_bits | index)` never overflows a u32.
const generation_bits: u6 = 32 - @as(u6, index_bits);
const generation_count: u32 = (@as(u32, 1) << @intCast(generation_bits)) - 1;

comptime {
    // The index must leave room for a few generation bits, and `1 +` must not overflow.
    assert(std.math.isPowerOfTwo(constants.handles_max));
    assert(index_bits <= 28);
    assert(generation_count <= 256); // Generations are stored as u8.
}

/// A free slot holds this marker in its noun word (a forwarding tag never names a live noun
/// outside a collection) with the next free index in the payload.
const free_tag: u64 = Noun.tag_forward;
const free_end: u32 = std.math.maxInt(u32);

pub const Handles = struct {
    /// Slot nouns; a free slot holds `free_tag | next free index`.
    slots: std.ArrayList(Noun) = .empty,
    /// Generation of each slot, as encoded in its current handle.
    generations: std.ArrayList(u8) = .empty,
    free_head: u32 = free_end,
    live_count: u32 = 0,
    gpa: std.mem.Allocator,

    pub fn init(gpa: std.mem.Allocator) Handles {
        return .{ .gpa = gpa };
    }

    pub fn deinit(t: *Handles) void {
        t.slots.deinit(t.gpa);
        t.generations.deinit(t.gpa);
        t.* = undefined;
    }

    /// The noun a handle names, or `error.BadHandle` for 0, out-of-range, freed or stale ones.
    pub inline fn get(t: *const Handles, handle: u32) Error!Noun {
        const index = try t.indexOf(handle);
        assert(!t.slots.items[index].isForward());
        return t.slots.items[index];
    }

    /// Validate a handle and return its slot index.
    pub inline fn indexOf(t: *const Handles, handle: u32) Error!u32 {
        if (handle == 0) return error.BadHandle;
        assert(t.slots.items.len == t.generations.items.len);
        const v = handle - 1;
        const index = v & index_mask;
        if (index >= t.slots.items.len) return error.BadHandle;
        if (t.generations.items[index] != v >> index_bits) return error.BadHandle;
        // A freed slot's generation was bumped, but a handle from `generation_count` frees
        // ago can match it again: liveness is checked, not assumed.
        if (t.slots.items[index].isForward()) return error.BadHandle;
        assert(index < constants.handles_max);
        return index;
    }

    /// A new handle for `n`.
    pub inline fn put(t: *Handles, n: Noun) Error!u32 {
        assert(!n.isForward());
        const index = if (t.free_head != free_end) t.popFree() else try t.grow();
        t.slots.items[index] = n;
        t.live_count += 1;
        assert(t.live_count <= t.slots.items.len);
        return 1 + ((@as(u32, t.generations.items[index]) << index_bits) | index);
    }

    fn popFree(t: *Handles) u32 {
        const index = t.free_head;
        const marker = t.slots.items[index].raw();
        assert(marker & free_tag == free_tag);
        t.free_head = @truncate(marker & ~free_tag);
        return index;
    }

    fn grow(t: *Handles) Error!u32 {
        const index: u32 = @intCast(t.slots.items.len);
        if (index >= constants.handles_max) return error.HandlesFull;
        try t.slots.append(t.gpa, Noun.zero);
        t.generations.append(t.gpa, 0) catch |e| {
            _ = t.slots.pop();
            return e;
        };
        assert(t.slots.items.len == t.generations.items.len);
        return index;
    }

    /// Free a handle; the slot's generation moves on so the old handle reads as stale.
    pub fn release(t: *Handles, handle: u32) Error!void {
        const index = try t.indexOf(handle);
        assert(t.live_count > 0);
        t.slots.items[index] = Noun.fromRaw(free_tag | t.free_head);
        t.generations.items[index] = @intCast((@as(u32, t.generations.items[index]) + 1) % generation_count);
        t.free_head = index;
        t.live_count -= 1;
    }

    /// Replace the noun a live handle names (used to re-point a handle after a computation).
    pub fn set(t: *Handles, handle: u32, n: Noun) Error!void {
        const index = try t.indexOf(handle);
        assert(!n.isForward());
        t.slots.items[index] = n;
    }

    /// Release every handle at once (and give the memory back).
    pub fn clear(t: *Handles) void {
        t.slots.clearAndFree(t.gpa);
        t.generations.clearAndFree(t.gpa);
        t.free_head = free_end;
        t.live_count = 0;
        assert(t.slots.items.len == 0);
    }

    pub fn rootSet(t: *Handles) workspace_mod.RootSet {
        return .{ .ctx = t, .visit = visit };
    }

    /// Collector callback: forward every live slot, skip free ones.
    fn visit(ctx: *anyopaque, ws: *Workspace) void {
        const t: *Handles = @ptrCast(@alignCast(ctx));
        var live: u32 = 0;
        for (t.slots.items) |*slot| {
            if (slot.isForward()) continue;
            slot.* = ws.forward(slot.*);
            live += 1;
        }
        assert(live == t.live_count);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "handles: put, get, release, stale and bad handles" {
    var t = Handles.init(testing.allocator);
    defer t.deinit();
    try testing.expectError(error.BadHandle, t.get(0));
    try testing.expectError(error.BadHandle, t.get(12345));
    const a = try t.put(Noun.direct(7));
    const b = try t.put(Noun.direct(8));
    try testing.expect(a != 0 and b != 0 and a != b);
    try testing.expectEqual(Noun.direct(7), try t.get(a));
    try testing.expectEqual(Noun.direct(8), try t.get(b));
    try testing.expectEqual(@as(u32, 2), t.live_count);
    try t.release(a);
    try testing.expectError(error.BadHandle, t.get(a));
    try testing.expectError(error.BadHandle, t.release(a));
    // The slot is reused under a new generation: the old handle stays stale.
    const c = try t.put(Noun.direct(9));
    try testing.expect(c != a);
    try testing.expectError(error.BadHandle, t.get(a));
    try testing.expectEqual(Noun.direct(9), try t.get(c));
    try testing.expectEqual(@as(u32, 2), t.live_count);
    // Generation bits of a valid index with a wrong generation are rejected.
    try testing.expectError(error.BadHandle, t.get(b + (@as(u32, 1) << index_bits)));
}

test "handles: free list reuse keeps the table small" {
    var t = Handles.init(testing.allocator);
    defer t.deinit();
    for (0..10_000) |i| {
        const h = try t.put(Noun.direct(i));
        try t.release(h);
    }
    try testing.expectEqual(@as(usize, 1), t.slots.items.len);
    try testing.expectEqual(@as(u32, 0), t.live_count);
}

test "handles: slots are roots and follow their nouns through a collection" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var t = Handles.init(testing.allocator);
    defer t.deinit();
    try ws.addRootSet(t.rootSet());
    defer ws.removeRootSet(&t);
    const keep = try t.put(try ws.cell(Noun.direct(1), try ws.atomU64(1 << 63)));
    const gone = try t.put(try ws.cell(Noun.direct(2), Noun.direct(3)));
    try t.release(gone);
    for (0..1000) |i| _ = try ws.cell(Noun.direct(i), Noun.direct(i));
    ws.collect();
    const n = try t.get(keep);
    try testing.expectEqual(Noun.direct(1), ws.head(n));
    try testing.expect(ws.tail(n).isIndirect());
    // Only the kept cell (3 words) and its indirect atom (2 words) survive.
    try testing.expectEqual(@as(u64, 5 * 8), ws.usedBytes());
}
