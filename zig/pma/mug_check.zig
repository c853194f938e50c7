//! Mugs recomputed from the data alone, for `verify`: the state check must not trust the
//! mugs cached in headers (data checksums exclude those bits, since mug caching writes them
//! after a commit). `recomputeMug` hashes a PMA noun from its atoms up, reading no cached
//! mug and writing none, and compares every cached mug it passes with the recomputed one.
//!
//! The walk is post-order on an explicit stack. A side table holds the mug of every object
//! done, so a shared DAG is hashed once per object; it is indexed by (offset - data start)
//! / 2 (objects are at least two words apart), mapped lazily (pages never touched cost
//! nothing), and also marks objects whose children are being hashed: meeting one of those
//! again below itself means the data holds a cycle, which no noun can.
//!
//! `checkCached` checks one object's cached mug, for the scrub (scrub.zig), which passes
//! every object of a slab in turn: from its data and its children's cached mugs, a child
//! without one recomputed on a small fixed stack within a budget (no side table).
//! A wrong cached mug also fails the check of every cell that refers to its object.

const std = @import("std");
const os_memory = @import("../os_memory.zig");
const assert = std.debug.assert;
const constants = @import("../constants.zig");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const mug = @import("../mug.zig");
const format = @import("format.zig");
const SlabOffset = format.SlabOffset;
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;

pub const MugCheck = struct {
    mug: u32,
    /// Distinct objects (indirect atoms and cells) hashed.
    objects: u64 = 0,
    /// Cached mugs (non-zero header mug bits) compared with the recomputed ones, and how
    /// many differ.
    cached: u64 = 0,
    wrong: u64 = 0,
    first_wrong: ?SlabOffset = null,
};

/// The mug of `n` (a noun of this PMA, or a direct atom), recomputed without caches.
pub fn recomputeMug(p: *Pma, n: Noun) Error!MugCheck {
    if (n.isDirect()) return .{ .mug = mug.mugU64(n.raw()) };
    if (!n.inPma() or n.isForward() or !SlabOffset.of(n).inData(p.used))
        return p.fail(error.ForeignNoun, "Cannot recompute a mug: the noun is not one of this PMA's", .{});
    var walk = Walk.init(p.map.words(), p.used, p.gpa) catch
        return p.fail(error.Meme, "Cannot recompute a mug: out of memory for its side table", .{});
    defer walk.deinit();
    const m = walk.run(n) catch |err| switch (err) {
        error.Meme => return p.fail(error.Meme, "Cannot recompute a mug: out of memory for its stack", .{}),
        error.CorruptNoun => return p.fail(error.CorruptNoun, "Cannot recompute a mug: the noun at byte {d} of {s} is malformed", .{ walk.bad.toBytes(), format.slab_names[p.file_id] }),
    };
    assert(m != 0);
    walk.result.mug = m;
    return walk.result;
}

const in_progress: u32 = 1 << 31;

const Walk = struct {
    slab: [*]const u64,
    used: SlabOffset,
    gpa: std.mem.Allocator,
    /// Per object (index (offset - data start) / 2): 0 not seen, `in_progress`, or its mug.
    table: []align(std.heap.page_size_min) u32,
    stack: std.ArrayList(Noun) = .empty,
    result: MugCheck = .{ .mug = 0 },
    /// The object found malformed.
    bad: SlabOffset = SlabOffset.data_start,

    fn init(slab: [*]const u64, used: SlabOffset, gpa: std.mem.Allocator) !Walk {
        const entries = used.since(SlabOffset.data_start) / 2 + 1;
        const bytes = std.mem.alignForward(u64, entries * 4, std.heap.pageSize());
        // Anonymous zeroed pages (VirtualAlloc on Windows), so the table costs only what is used.
        const raw = try os_memory.map(@intCast(bytes));
        const table = std.mem.bytesAsSlice(u32, raw);
        assert(table.len >= entries);
        return .{ .slab = slab, .used = used, .gpa = gpa, .table = @alignCast(table) };
    }

    fn deinit(w: *Walk) void {
        os_memory.unmap(@alignCast(std.mem.sliceAsBytes(w.table)));
        w.stack.deinit(w.gpa);
        w.* = undefined;
    }

    inline fn entry(w: *Walk, off: SlabOffset) *u32 {
        const i = off.since(SlabOffset.data_start) / 2;
        assert(i < w.table.len);
        return &w.table[@intCast(i)];
    }

    fn run(w: *Walk, root: Noun) error{ Meme, CorruptNoun }!u32 {
        try w.push(root);
        while (w.stack.items.len > 0) {
            const n = w.stack.items[w.stack.items.len - 1];
            const off = SlabOffset.of(n);
            const state = w.entry(off).*;
            if (state != 0 and state != in_progress) {
                _ = w.stack.pop();
                continue;
            }
            if (n.isIndirect()) {
                const header = w.slab[off.words()];
                const limbs = w.slab[off.words() + 1 ..][0..Header.limbs(header)];
                w.done(off, mug.mugBytes(std.mem.sliceAsBytes(limbs)));
                _ = w.stack.pop();
                continue;
            }
            try w.visitCell(off, state == in_progress);
        }
        const m = w.entry(SlabOffset.of(root)).*;
        assert(m != 0 and m != in_progress);
        return m;
    }

    /// The cell at `off` is on top of the stack: finish it if its children are done,
    /// else push them (a second visit with children still open means a cycle).
    fn visitCell(w: *Walk, off: SlabOffset, revisit: bool) error{ Meme, CorruptNoun }!void {
        const h = Noun.fromRaw(w.slab[off.words() + 1]);
        const t = Noun.fromRaw(w.slab[off.words() + 2]);
        const mh = try w.known(h, off);
        const mt = try w.known(t, off);
        if (mh != null and mt != null) {
            w.done(off, mug.mugCell(mh.?, mt.?));
            _ = w.stack.pop();
            return;
        }
        if (revisit) return w.malformed(off);
        w.entry(off).* = in_progress;
        if (mt == null) try w.push(t);
        if (mh == null) try w.push(h);
    }

    /// The mug of a child, or null if it is still to be hashed.
    fn known(w: *Walk, child: Noun, parent: SlabOffset) error{CorruptNoun}!?u32 {
        if (child.isDirect()) return mug.mugU64(child.raw());
        if (!child.inPma() or child.isForward()) return w.malformed(parent);
        const off = SlabOffset.of(child);
        if (!off.inData(w.used)) return w.malformed(parent);
        const state = w.entry(off).*;
        if (state == in_progress) return w.malformed(off); // An ancestor: a cycle.
        return if (state == 0) null else state;
    }

    fn push(w: *Walk, n: Noun) error{ Meme, CorruptNoun }!void {
        assert(n.inPma());
        const off = SlabOffset.of(n);
        assert(off.inData(w.used));
        const header = w.slab[off.words()];
        if (n.isCell() != (Header.limbs(header) == 0)) return w.malformed(off);
        if (format.objectWords(header) > w.used.since(off)) return w.malformed(off);
        if (w.stack.items.len >= constants.walk_stack_entries_max) return error.Meme;
        w.stack.append(w.gpa, n) catch return error.Meme;
    }

    /// Record the mug of the object at `off`, comparing it with a cached one.
    fn done(w: *Walk, off: SlabOffset, m: u32) void {
        assert(m != 0 and m < in_progress);
        w.entry(off).* = m;
        w.result.objects += 1;
        const cached = Header.mug(w.slab[off.words()]);
        if (cached == 0) return;
        w.result.cached += 1;
        if (cached == m) return;
        w.result.wrong += 1;
        if (w.result.first_wrong == null) w.result.first_wrong = off;
    }

    fn malformed(w: *Walk, off: SlabOffset) error{CorruptNoun} {
        w.bad = off;
        return error.CorruptNoun;
    }
};

// ------------------------------------------------------------------------- one cached mug

/// What checking one object's cached mug found (`checkCached`).
pub const Cached = enum {
    /// No mug is cached (header mug bits 0): nothing to check.
    unset,
    right,
    wrong,
    /// A child is malformed (the page sums cover those words) or over the budget.
    unchecked,
};

/// Words of data that recomputing one uncached child may read before it gives up.
pub const child_budget_words: u64 = 1 << 16;
/// Frames of that recomputation's explicit stack: a cell takes one for itself and one per
/// child, so this bounds the depth it can go to at about a third of it.
const child_frames_max: usize = 384;

/// Check the cached mug of the object whose header is at `off` (which must lie whole in
/// the data below `used`): an atom's against the mug of its limbs, a cell's against the mug
/// of its children's mugs. A child's cached mug is used when set (the scrub checks it in
/// its own turn); an uncached child is recomputed without caches, within a budget.
pub fn checkCached(slab: [*]const u64, used: SlabOffset, off: SlabOffset) Cached {
    assert(off.inData(used));
    const header = slab[off.words()];
    assert(format.objectWords(header) <= used.since(off));
    const cached = Header.mug(header);
    if (cached == 0) return .unset;
    const limbs = Header.limbs(header);
    const m = if (limbs > 0)
        mug.mugBytes(std.mem.sliceAsBytes(slab[off.words() + 1 ..][0..limbs]))
    else blk: {
        const mh = childMug(slab, used, Noun.fromRaw(slab[off.words() + 1])) orelse return .unchecked;
        const mt = childMug(slab, used, Noun.fromRaw(slab[off.words() + 2])) orelse return .unchecked;
        break :blk mug.mugCell(mh, mt);
    };
    return if (m == cached) .right else .wrong;
}

/// The mug of a child: its cached one, or recomputed (null when malformed or over budget).
fn childMug(slab: [*]const u64, used: SlabOffset, child: Noun) ?u32 {
    if (child.isDirect()) return mug.mugU64(child.raw());
    const off = objectOf(slab, used, child) orelse return null;
    const cached = Header.mug(slab[off.words()]);
    if (cached != 0) return cached;
    return recomputeBounded(slab, used, child);
}

/// The offset of a PMA object `n` points to, if it is a well-formed one below `used`.
fn objectOf(slab: [*]const u64, used: SlabOffset, n: Noun) ?SlabOffset {
    assert(!n.isDirect());
    if (!n.inPma() or n.isForward()) return null;
    const off = SlabOffset.of(n);
    if (!off.inData(used)) return null;
    const header = slab[off.words()];
    if (n.isCell() != (Header.limbs(header) == 0)) return null;
    if (format.objectWords(header) > used.since(off)) return null;
    return off;
}

/// The mug of `root`, recomputed without reading any cached mug, post-order on a fixed
/// explicit stack; null past `child_budget_words` of data read (a shared DAG is hashed as
/// the tree it unfolds to, so the budget also bounds that), past the stack's depth, or on
/// a malformed object.
fn recomputeBounded(slab: [*]const u64, used: SlabOffset, root: Noun) ?u32 {
    const Frame = struct { noun: Noun, children_done: bool };
    var frames: [child_frames_max]Frame = undefined;
    var mugs: [child_frames_max + 1]u32 = undefined;
    var frame_count: usize = 1;
    var mug_count: usize = 0;
    var budget = child_budget_words;
    frames[0] = .{ .noun = root, .children_done = false };
    while (frame_count > 0) {
        frame_count -= 1;
        const f = frames[frame_count];
        if (f.children_done) {
            assert(mug_count >= 2);
            mug_count -= 1;
            mugs[mug_count - 1] = mug.mugCell(mugs[mug_count - 1], mugs[mug_count]);
            continue;
        }
        if (f.noun.isDirect()) {
            mugs[mug_count] = mug.mugU64(f.noun.raw());
            mug_count += 1;
            continue;
        }
        const off = objectOf(slab, used, f.noun) orelse return null;
        const header = slab[off.words()];
        if (format.objectWords(header) > budget) return null;
        budget -= format.objectWords(header);
        const limbs = Header.limbs(header);
        if (limbs > 0) {
            mugs[mug_count] = mug.mugBytes(std.mem.sliceAsBytes(slab[off.words() + 1 ..][0..limbs]));
            mug_count += 1;
            continue;
        }
        if (frame_count + 3 > frames.len) return null;
        frames[frame_count] = .{ .noun = f.noun, .children_done = true };
        frames[frame_count + 1] = .{ .noun = Noun.fromRaw(slab[off.words() + 2]), .children_done = false };
        frames[frame_count + 2] = .{ .noun = Noun.fromRaw(slab[off.words() + 1]), .children_done = false };
        frame_count += 3;
    }
    assert(mug_count == 1);
    return mugs[0];
}
