//! The workspace: ephemeral memory where events compute.
//!
//! Design: a bump nursery in one of two semispaces, collected by a precise Cheney copy into
//! the other. Memory is therefore bounded by live data: a loop that allocates garbage on
//! every iteration is collected, and the cost of a collection is proportional to what
//! survives. Cheney's scan walks copied memory linearly, so the collector needs no stack
//! at all, however deep the nouns.
//!
//! Safe points. Allocation never collects. A collection runs only when somebody calls
//! `collect` (the interpreter does so at the top of its loop once `wantsCollect()` is true),
//! and then every live workspace noun must be reachable from a registered root set: the
//! interpreter's explicit stack, the FFI handle table, caches. Code that holds nouns in
//! native locals across a call that may reach a safe point (a jet that runs Nock) must
//! register them with `pushRoots` first.
//!
//! Each semispace reserves `limit_bytes` of address space with MAP_NORESERVE; only pages
//! that are touched cost memory, and the from-space is returned to the OS after a collection.
//! An allocation past the limit fails with `error.Meme`, never a crash.

const std = @import("std");
const assert = std.debug.assert;
const os_memory = @import("os_memory.zig");
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Bases = noun_mod.Bases;

pub const Error = error{Meme};

/// A set of roots: `visit` must call `ws.forward` on every noun slot it owns. With
/// `measured`, a collection visits the set before the others and writes there the bytes
/// reachable from it (shared data counts for the first measured set that reaches it).
pub const RootSet = struct {
    ctx: *anyopaque,
    visit: *const fn (ctx: *anyopaque, ws: *Workspace) void,
    measured: ?*u64 = null,
};

pub const Stats = struct {
    limit_bytes: u64,
    used_bytes: u64,
    live_bytes_after_gc: u64,
    collections: u64,
    copied_bytes_total: u64,
    peak_used_bytes: u64,
};

pub const Workspace = struct {
    /// Must stay the first field: hot paths read bases through the workspace pointer.
    bases: Bases = .{},
    spaces: [2][]align(std.heap.page_size_min) u8,
    current: u1 = 0,
    /// Next free word in the current space, and the end of the usable range.
    top: [*]u64,
    end: [*]u64,
    /// Collect at the next safe point once `top` passes this.
    threshold: [*]u64,
    limit_bytes: u64,
    live_bytes_after_gc: u64 = 0,
    collections: u64 = 0,
    copied_bytes_total: u64 = 0,
    peak_used_bytes: u64 = 0,
    root_sets: std.ArrayList(RootSet) = .empty,
    root_slices: std.ArrayList([]Noun) = .empty,
    gpa: std.mem.Allocator,
    /// Forwarding target while a collection runs (to-space bump pointer).
    to_top: [*]u64 = undefined,
    collecting: bool = false,
    /// Whether headers of PMA nouns may be written (mug caching). False for read-only maps.
    pma_writable: bool = false,

    pub fn init(gpa: std.mem.Allocator, limit_bytes: u64) !Workspace {
        if (limit_bytes < constants.workspace_limit_bytes_min or
            limit_bytes > constants.workspace_limit_bytes_max) return error.InvalidLimit;
        const len = std.mem.alignForward(usize, @intCast(limit_bytes), std.heap.page_size_min);
        const a = try reserve(len);
        errdefer os_memory.unmap(a);
        const b = try reserve(len);
        var ws = Workspace{
            .spaces = .{ a, b },
            .top = @ptrCast(a.ptr),
            .end = @ptrCast(@alignCast(a.ptr + len)),
            .threshold = undefined,
            .limit_bytes = len,
            .gpa = gpa,
        };
        ws.setThreshold();
        assert(ws.usedBytes() == 0);
        return ws;
    }

    pub fn deinit(ws: *Workspace) void {
        assert(!ws.collecting);
        os_memory.unmap(ws.spaces[0]);
        os_memory.unmap(ws.spaces[1]);
        ws.root_sets.deinit(ws.gpa);
        ws.root_slices.deinit(ws.gpa);
        ws.* = undefined;
    }

    fn reserve(len: usize) ![]align(std.heap.page_size_min) u8 {
        assert(len > 0);
        assert(len % std.heap.page_size_min == 0);
        return os_memory.map(len);
    }

    fn spaceStart(ws: *const Workspace, which: u1) [*]u64 {
        assert(ws.spaces[which].len == ws.limit_bytes);
        return @ptrCast(ws.spaces[which].ptr);
    }

    pub fn usedBytes(ws: *const Workspace) u64 {
        assert(@intFromPtr(ws.top) >= @intFromPtr(ws.spaceStart(ws.current)));
        assert(@intFromPtr(ws.top) <= @intFromPtr(ws.end));
        return @intFromPtr(ws.top) - @intFromPtr(ws.spaceStart(ws.current));
    }

    pub fn stats(ws: *const Workspace) Stats {
        assert(ws.live_bytes_after_gc <= ws.limit_bytes);
        return .{
            .limit_bytes = ws.limit_bytes,
            .used_bytes = ws.usedBytes(),
            .live_bytes_after_gc = ws.live_bytes_after_gc,
            .collections = ws.collections,
            .copied_bytes_total = ws.copied_bytes_total,
            .peak_used_bytes = @max(ws.peak_used_bytes, ws.usedBytes()),
        };
    }

    // ---------------------------------------------------------------- allocation

    /// Allocate `n` words in the nursery. Never collects.
    pub inline fn alloc(ws: *Workspace, n: usize) Error![*]u64 {
        assert(n > 0);
        assert(!ws.collecting);
        const room = (@intFromPtr(ws.end) - @intFromPtr(ws.top)) >> 3;
        if (n > room) return error.Meme;
        const p = ws.top;
        ws.top += n;
        assert(@intFromPtr(ws.top) <= @intFromPtr(ws.end));
        return p;
    }

    /// True when the nursery has passed its threshold and a safe point should collect.
    pub inline fn wantsCollect(ws: *const Workspace) bool {
        assert(!ws.collecting);
        return @intFromPtr(ws.top) >= @intFromPtr(ws.threshold);
    }

    pub inline fn head(ws: *const Workspace, n: Noun) Noun {
        return ws.bases.head(n);
    }

    pub inline fn tail(ws: *const Workspace, n: Noun) Noun {
        return ws.bases.tail(n);
    }

    pub inline fn words(ws: *const Workspace, n: Noun) [*]u64 {
        return ws.bases.words(n);
    }

    pub inline fn cell(ws: *Workspace, h: Noun, t: Noun) Error!Noun {
        assert(!h.isForward());
        assert(!t.isForward());
        const p = try ws.alloc(3);
        p[0] = Header.cell;
        p[1] = h.raw();
        p[2] = t.raw();
        return Noun.cellAt(p);
    }

    /// Build a right-nested tuple `[a b ... z]` from at least two nouns.
    pub fn tuple(ws: *Workspace, items: []const Noun) Error!Noun {
        assert(items.len >= 2);
        var acc = items[items.len - 1];
        var i = items.len - 1;
        while (i > 0) {
            i -= 1;
            acc = try ws.cell(items[i], acc);
        }
        return acc;
    }

    /// An atom from a u64 of any size.
    pub fn atomU64(ws: *Workspace, v: u64) Error!Noun {
        if (v <= Noun.direct_max) return Noun.direct(v);
        assert(v > Noun.direct_max); // Normalised: indirect only when it must be.
        const p = try ws.alloc(2);
        p[0] = Header.atom(1);
        p[1] = v;
        return Noun.indirectAt(p);
    }

    /// Start an atom of up to `limb_count` limbs; fill the returned limbs, then call
    /// `finishAtom` with the same slice. The limbs start zeroed.
    pub fn startAtom(ws: *Workspace, limb_count: usize) Error![]u64 {
        assert(limb_count >= 1);
        if (limb_count > std.math.maxInt(u32)) return error.Meme;
        const p = try ws.alloc(limb_count + 1);
        p[0] = Header.atom(@intCast(limb_count));
        const limbs = p[1 .. 1 + limb_count];
        @memset(limbs, 0);
        return limbs;
    }

    /// Normalise an atom begun with `startAtom`: strip high zero limbs, and return a direct
    /// atom when the value fits in 63 bits. If it is the most recent allocation, the unused
    /// tail is given back to the nursery.
    pub fn finishAtom(ws: *Workspace, limbs: []u64) Noun {
        assert(limbs.len >= 1);
        var len = limbs.len;
        while (len > 0 and limbs[len - 1] == 0) len -= 1;
        const header_ptr: [*]u64 = limbs.ptr - 1;
        assert(Header.limbs(header_ptr[0]) == limbs.len); // As `startAtom` wrote it.
        const was_last = @intFromPtr(limbs.ptr + limbs.len) == @intFromPtr(ws.top);
        if (len == 0 or (len == 1 and limbs[0] <= Noun.direct_max)) {
            const v: u64 = if (len == 0) 0 else limbs[0];
            if (was_last) ws.top = header_ptr;
            return Noun.direct(v);
        }
        assert(limbs[len - 1] != 0); // Normalised: no high zero limb, and 2^63 or more.
        assert(len >= 2 or limbs[0] > Noun.direct_max);
        header_ptr[0] = Header.atom(@intCast(len));
        if (was_last) ws.top = limbs.ptr + len;
        return Noun.indirectAt(header_ptr);
    }

    /// An atom from little-endian limbs (copied).
    pub fn atomFromLimbs(ws: *Workspace, src: []const u64) Error!Noun {
        var len = src.len;
        while (len > 0 and src[len - 1] == 0) len -= 1;
        assert(len == 0 or src[len - 1] != 0);
        if (len == 0) return Noun.zero;
        if (len == 1 and src[0] <= Noun.direct_max) return Noun.direct(src[0]);
        const limbs = try ws.startAtom(len);
        @memcpy(limbs, src[0..len]);
        return ws.finishAtom(limbs);
    }

    /// An atom from little-endian bytes (copied).
    pub fn atomFromBytes(ws: *Workspace, bytes: []const u8) Error!Noun {
        var len = bytes.len;
        while (len > 0 and bytes[len - 1] == 0) len -= 1;
        assert(len == 0 or bytes[len - 1] != 0);
        if (len == 0) return Noun.zero;
        if (len <= 8) {
            var v: u64 = 0;
            for (bytes[0..len], 0..) |byte, i| v |= @as(u64, byte) << @intCast(8 * i);
            return ws.atomU64(v);
        }
        const limbs = try ws.startAtom((len + 7) / 8);
        @memcpy(std.mem.sliceAsBytes(limbs)[0..len], bytes[0..len]);
        return ws.finishAtom(limbs);
    }

    /// Little-endian bytes of an atom without high zero bytes (empty for 0). Borrowed: valid
    /// until the next safe point. Direct atoms are written through `scratch`.
    pub fn atomBytes(ws: *const Workspace, n: Noun, scratch: *u64) []const u8 {
        const limbs = ws.bases.limbs(n, scratch);
        const bytes = std.mem.sliceAsBytes(limbs);
        var len = bytes.len;
        while (len > 0 and bytes[len - 1] == 0) len -= 1;
        // Normalised atoms have a non-zero top limb: fewer than 8 high zero bytes, but for 0.
        assert(bytes.len - len < 8 or n == Noun.zero);
        return bytes[0..len];
    }

    // ---------------------------------------------------------------- roots

    pub fn addRootSet(ws: *Workspace, set: RootSet) !void {
        assert(!ws.collecting);
        try ws.root_sets.append(ws.gpa, set);
    }

    pub fn removeRootSet(ws: *Workspace, ctx: *anyopaque) void {
        assert(!ws.collecting);
        var i: usize = ws.root_sets.items.len;
        while (i > 0) {
            i -= 1;
            if (ws.root_sets.items[i].ctx == ctx) {
                _ = ws.root_sets.orderedRemove(i);
                return;
            }
        }
        unreachable; // Removing a root set that was never added.
    }

    /// Register native slots as roots until the matching `popRoots`.
    pub fn pushRoots(ws: *Workspace, slots: []Noun) !void {
        assert(!ws.collecting);
        try ws.root_slices.append(ws.gpa, slots);
    }

    pub fn popRoots(ws: *Workspace, slots: []Noun) void {
        assert(!ws.collecting);
        const last = ws.root_slices.pop().?;
        assert(last.ptr == slots.ptr);
        assert(last.len == slots.len);
    }

    // ---------------------------------------------------------------- collection

    /// Copy everything reachable from the roots into the other semispace (Cheney), then
    /// release the old one. Sharing is preserved by forwarding words.
    pub fn collect(ws: *Workspace) void {
        assert(!ws.collecting);
        const used_before = ws.usedBytes();
        ws.peak_used_bytes = @max(ws.peak_used_bytes, used_before);
        const from = ws.current;
        const to: u1 = 1 - from;
        ws.collecting = true;
        ws.to_top = ws.spaceStart(to);

        var scan: [*]u64 = ws.spaceStart(to);
        for (ws.root_sets.items) |set| {
            const measured = set.measured orelse continue;
            const before = @intFromPtr(ws.to_top);
            set.visit(set.ctx, ws);
            scan = ws.scanFrom(scan);
            measured.* = @intFromPtr(ws.to_top) - before;
        }
        for (ws.root_sets.items) |set| {
            if (set.measured == null) set.visit(set.ctx, ws);
        }
        for (ws.root_slices.items) |slots| {
            for (slots) |*slot| slot.* = ws.forward(slot.*);
        }
        scan = ws.scanFrom(scan);
        assert(scan == ws.to_top);
        ws.collecting = false;

        ws.current = to;
        ws.top = ws.to_top;
        const base: [*]u8 = ws.spaces[to].ptr;
        ws.end = @ptrCast(@alignCast(base + ws.spaces[to].len));
        ws.live_bytes_after_gc = ws.usedBytes();
        ws.collections += 1;
        ws.copied_bytes_total += ws.live_bytes_after_gc;
        ws.setThreshold();
        ws.releaseFrom(from, used_before);
    }

    /// Cheney scan from `start`: copied objects are laid out back to back; forward their
    /// children until nothing is left to copy. Returns where the scan ended (`to_top`).
    fn scanFrom(ws: *Workspace, start: [*]u64) [*]u64 {
        assert(ws.collecting);
        var at = start;
        while (@intFromPtr(at) < @intFromPtr(ws.to_top)) {
            const limbs = Header.limbs(at[0]);
            if (limbs == 0) {
                at[1] = ws.forward(Noun.fromRaw(at[1])).raw();
                at[2] = ws.forward(Noun.fromRaw(at[2])).raw();
                at += 3;
            } else {
                at += 1 + @as(usize, limbs);
            }
        }
        return at;
    }

    /// The old space's contents are garbage now. It becomes the next to-space, so keep as
    /// many of its pages as the next cycle will touch (live data plus a nursery, twice over)
    /// and give the rest back: re-faulting every page after every collection costs about a
    /// fifth of a tight loop's time, while the kept amount stays bounded by live data.
    fn releaseFrom(ws: *Workspace, from: u1, used_bytes: u64) void {
        assert(from != ws.current);
        assert(!ws.collecting);
        const page = std.heap.page_size_min;
        const keep_bytes = 2 * (constants.nursery_bytes_min + ws.live_bytes_after_gc);
        const keep = std.mem.alignForward(u64, @min(keep_bytes, used_bytes), page);
        const used = std.mem.alignForward(u64, used_bytes, page);
        if (used <= keep) return;
        const start: [*]align(page) u8 = @alignCast(ws.spaces[from].ptr + @as(usize, @intCast(keep)));
        const len: usize = @intCast(@min(used, ws.spaces[from].len) - keep);
        os_memory.discard(start[0..len]);
    }

    /// The nursery may grow to max(nursery_bytes_min, live) but never past half the remaining
    /// room: the other half is slack for what is allocated between two safe points, so that a
    /// workspace whose live data fits is collected before an allocation can fail.
    fn setThreshold(ws: *Workspace) void {
        const live = ws.usedBytes();
        const room = ws.limit_bytes - live;
        const nursery = @min(room / 2, @max(constants.nursery_bytes_min, live));
        ws.threshold = @ptrFromInt(@intFromPtr(ws.top) + (nursery & ~@as(u64, 7)));
        assert(@intFromPtr(ws.threshold) >= @intFromPtr(ws.top));
        assert(@intFromPtr(ws.threshold) <= @intFromPtr(ws.end));
    }

    /// During a collection: the to-space copy of `n` (copying it on first sight).
    /// Direct atoms and PMA nouns are returned unchanged.
    pub fn forward(ws: *Workspace, n: Noun) Noun {
        assert(ws.collecting);
        if (!n.inWorkspace()) return n;
        const p = ws.bases.words(n);
        const h = p[0];
        if (Noun.fromRaw(h).isForward()) {
            return Noun.fromRaw(n.tag() | (h & Noun.payload_mask));
        }
        const size: usize = if (n.isCell()) 3 else 1 + @as(usize, Header.limbs(h));
        assert(n.isCell() == (Header.limbs(h) == 0));
        const dst = ws.to_top;
        @memcpy(dst[0..size], p[0..size]);
        ws.to_top += size;
        const moved_payload = @intFromPtr(dst) >> 3;
        p[0] = Noun.tag_forward | moved_payload;
        return Noun.fromRaw(n.tag() | moved_payload);
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "alloc, atoms and normalisation" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    try testing.expectEqual(Noun.direct(7), try ws.atomU64(7));
    const big = try ws.atomU64(1 << 63);
    try testing.expect(big.isIndirect());
    try testing.expectEqual(Noun.zero, try ws.atomFromBytes(&.{ 0, 0, 0 }));
    const a = try ws.atomFromBytes(&.{ 1, 2, 3, 4, 5, 6, 7, 8, 9 });
    try testing.expect(a.isIndirect());
    var scratch: u64 = undefined;
    try testing.expectEqualSlices(u8, &.{ 1, 2, 3, 4, 5, 6, 7, 8, 9 }, ws.atomBytes(a, &scratch));
    const limbs = try ws.startAtom(4);
    limbs[0] = 42;
    try testing.expectEqual(Noun.direct(42), ws.finishAtom(limbs));
}

test "collection keeps what roots reach, preserves sharing, drops garbage" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    const shared = try ws.atomU64(0xffff_ffff_ffff_ffff);
    var roots = [_]Noun{
        try ws.cell(shared, shared),
        Noun.direct(3),
    };
    for (0..1000) |i| _ = try ws.cell(Noun.direct(i), Noun.direct(i));
    try ws.pushRoots(&roots);
    ws.collect();
    ws.popRoots(&roots);
    try testing.expectEqual(@as(u64, (3 + 2) * 8), ws.usedBytes());
    const h = ws.head(roots[0]);
    try testing.expectEqual(h, ws.tail(roots[0]));
    var scratch: u64 = undefined;
    try testing.expectEqual(@as(u64, 0xffff_ffff_ffff_ffff), ws.bases.limbs(h, &scratch)[0]);
    try testing.expectEqual(Noun.direct(3), roots[1]);
}

test "deep noun survives collection without recursion" {
    var ws = try Workspace.init(testing.allocator, 256 << 20);
    defer ws.deinit();
    var root = [_]Noun{Noun.zero};
    for (0..1_000_000) |i| root[0] = try ws.cell(root[0], Noun.direct(i));
    try ws.pushRoots(&root);
    ws.collect();
    ws.popRoots(&root);
    var n = root[0];
    var depth: usize = 0;
    while (n.isCell()) : (depth += 1) n = ws.head(n);
    try testing.expectEqual(@as(usize, 1_000_000), depth);
}

test "allocation past the limit is a clean Meme" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var failed = false;
    for (0..1_000_000) |_| {
        _ = ws.cell(Noun.zero, Noun.zero) catch {
            failed = true;
            break;
        };
    }
    try testing.expect(failed);
    ws.collect();
    _ = try ws.cell(Noun.zero, Noun.zero);
}

test "a small workspace collects before it fills" {
    var ws = try Workspace.init(testing.allocator, 2 << 20);
    defer ws.deinit();
    var root = [_]Noun{Noun.zero};
    try ws.pushRoots(&root);
    defer ws.popRoots(&root);
    // 100x the limit in garbage, collecting at safe points like the interpreter does.
    for (0..(200 << 20) / 24) |i| {
        if (ws.wantsCollect()) ws.collect();
        root[0] = try ws.cell(Noun.direct(i), Noun.zero);
    }
    try testing.expect(ws.collections > 10);
}
