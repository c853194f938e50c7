//! Copy-compaction GC: the live graph of a slab is written into the other slab file.
//!
//! The old slab must stay byte-for-byte intact until the new one is durable (it is the
//! crash fallback, and replicas may be reading it), so no forwarding words can be written
//! into it. Instead:
//!   1. mark: an explicit-stack walk from the roots sets, in a bitmap with one bit per data
//!      word, every word of every reachable object (each object once: sharing preserved);
//!   2. prefix: live words before each bitmap word, so an object's new offset is
//!      `data start + live words before it`, an O(1) lookup (prefix + popcount);
//!   3. slide: one linear pass in address order hands each live object, children's offsets
//!      rewritten, to a `SlabWriter` that appends it to the new file with pwrite, hashing
//!      it on the way for the new slot's appended checksum.
//! Side memory is 2 bits per slab word (32 MiB for a 1 GiB slab); both files are read
//! and written sequentially in the slide, which keeps it close to memcpy speed.
//!
//! Data checksums: before anything is copied the old slab's checksums are all checked
//! (`scrub.checkAll`), since the copy gets fresh ones and must never certify data that
//! already fails its own. The `SlabWriter` sums the new file's pages as it writes them, and
//! one extent record after the copied data covers it all (format.zig).
//!
//! The new file is made durable like any new slab (commit.zig `finishNewSlab`: slot 0,
//! fdatasync, rename over `N.pma`, directory fsync); then the handle switches to it.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const constants = @import("../constants.zig");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const format = @import("format.zig");
const SlabOffset = format.SlabOffset;
const Slot = format.Slot;
const objectWords = format.objectWords;
const mapping = @import("mapping.zig");
const arena = @import("arena.zig");
const Pma = arena.Pma;
const integrity = @import("integrity.zig");
const scrub = @import("scrub.zig");
const progress = @import("../progress.zig");

pub const MarkError = error{ Meme, CorruptNoun };

// ------------------------------------------------------------------------- the collection

/// Copy-compact the live graph (the committed root, plus `roots`, which must be PMA
/// nouns or direct atoms and are updated in place) into the other slab file. The old
/// file stays valid until the new one is durable. Afterwards every PMA noun not
/// reachable from the root or `roots` is gone: a workspace must not hold PMA
/// references across a GC except through `roots`.
pub fn gc(p: *Pma, roots: []Noun) arena.Error!arena.GcResult {
    try p.checkWriter();
    try scrub.checkNoFault(p, "collect");
    try checkRoots(p, roots);
    var timer = std.time.Timer.start() catch unreachable;
    var phases: arena.GcPhases = .{};
    progress.report(.gc_check, 0, p.used.toBytes());
    try checkSource(p);
    phases.check = timer.lap();
    progress.report(.gc_mark, 0, p.used.toBytes());
    const used_before = p.used.toBytes();
    const target: u1 = 1 - p.file_id;
    // The target name holds a stale slab from two collections ago (every commit in it is
    // older than this file's newest). Unlinking it frees its extents, which on a large
    // slab takes a noticeable time; do it beside the mark and copy instead of inside the
    // final rename. It is joined before the rename, so it can never remove the new file.
    var stale = StaleUnlink.start(p.dir, format.slab_names[target]);
    defer stale.join();
    var marked = try markLive(p, roots);
    defer marked.deinit(p.gpa);
    phases.mark = timer.lap();
    const live_end = SlabOffset.data_start.add(marked.live_words);
    assert(!p.used.lessThan(live_end)); // Live data never exceeds the used data.
    const new_used = live_end.add(integrity.newSlabRecordWords(live_end, p.options.data_checksums));
    var fresh = try p.createTemp(target, fileBytesFor(new_used));
    var adopted = false;
    defer if (!adopted) p.abandon(&fresh);
    try p.trip(.pma_gc_after_create);
    const written = try writeCompacted(p, &marked, &fresh);
    assert(written.used == new_used);
    try p.trip(.pma_gc_after_copy);
    phases.copy = timer.lap();
    var f = format.SlotFields.of(&p.last);
    f.file_id = target;
    f.slot_index = 0;
    f.commit_seq = p.max_seq + 1;
    f.root = marked.forward(p.root());
    f.used = new_used;
    f.previous_used = SlabOffset.data_start;
    f.appended_checksum = written.checksum;
    f.coverage = written.coverage;
    f.generation += 1;
    f.live_bytes_after_gc = marked.live_words * 8;
    f.growth_count = p.growth_count;
    const slot = format.buildSlot(f);
    stale.join();
    progress.report(.gc_sync, 0, new_used.toBytes());
    try p.finishNewSlab(&fresh, &slot, .{
        .before_slot = .pma_gc_before_slot,
        .after_sync = .pma_gc_after_sync,
        .after_rename = .pma_gc_after_rename,
    });
    switchTo(p, &fresh, &slot);
    adopted = true;
    assert(p.file_id == target);
    assert(p.used == new_used);
    for (roots) |*r| r.* = marked.forward(r.*);
    phases.sync = timer.read();
    try afterGc(p);
    return .{
        .used_bytes_before = used_before,
        .used_bytes_after = new_used.toBytes(),
        .live_bytes = marked.live_words * 8,
        .phase_ns = phases,
    };
}

/// The copy gets fresh data checksums, so the data it copies must pass its own first.
fn checkSource(p: *Pma) arena.Error!void {
    const checked = scrub.checkAll(p);
    assert(checked.pass_done);
    const f = checked.first_fault orelse return;
    return p.fail(error.DataChecksum, "Cannot collect: the slab fails its data checksums ({f}); recover the state from a snapshot and the log", .{f});
}

fn checkRoots(p: *Pma, roots: []const Noun) arena.Error!void {
    assert(!p.used.lessThan(SlabOffset.data_start));
    for (roots) |r| {
        if (r.isDirect()) continue;
        if (!r.inPma() or r.isForward() or !SlabOffset.fromWords(r.payload()).inData(p.used))
            return p.fail(error.ForeignNoun, "Cannot collect: a GC root is not a committed PMA noun", .{});
    }
}

/// The new file's size: the live data and a little headroom, in whole granules.
fn fileBytesFor(used: SlabOffset) u64 {
    const used_bytes = used.toBytes();
    const headroom = @max(used_bytes / constants.pma_gc_headroom_divisor, 1);
    const bytes = std.mem.alignForward(u64, used_bytes + headroom, constants.pma_file_granule_bytes);
    assert(bytes > used_bytes);
    return bytes;
}

/// Unlinks a stale slab on a helper thread; `join` waits for it (and is idempotent). If no
/// thread can be started, the unlink simply happens in the caller's later rename.
const StaleUnlink = struct {
    thread: ?std.Thread,

    fn start(dir: std.fs.Dir, name: []const u8) StaleUnlink {
        assert(name.len > 0);
        const thread = std.Thread.spawn(.{}, unlinkQuietly, .{ dir, name }) catch null;
        return .{ .thread = thread };
    }

    fn unlinkQuietly(dir: std.fs.Dir, name: []const u8) void {
        dir.deleteFile(name) catch {};
    }

    fn join(u: *StaleUnlink) void {
        if (u.thread) |t| t.join();
        u.thread = null;
        assert(u.thread == null);
    }
};

/// What `writeCompacted` wrote: the new file's used size, the appended checksum of all
/// of it, and the coverage of its data checksums.
const Written = struct {
    used: SlabOffset,
    checksum: u64,
    coverage: format.Coverage,
};

/// Slide the live objects into the new file through a `SlabWriter`, then the extent record
/// that covers them (if data checksums are on and there is enough data for one).
fn writeCompacted(p: *Pma, marked: *const Marked, fresh: *mapping.NewSlab) arena.Error!Written {
    const live_end = SlabOffset.data_start.add(marked.live_words);
    assert(fresh.bytes > live_end.toBytes());
    const name = format.temp_names[fresh.file_id];
    var writer = SlabWriter.init(p.gpa, fresh.file, p.options.data_checksums, marked.live_words * 8) catch
        return p.fail(error.Meme, "Cannot collect: out of memory for the write buffer", .{});
    defer writer.deinit(p.gpa);
    const copied = slide(marked, p.map.words(), p.used, &writer) catch |e| return writeFailed(p, e, name);
    writer.flush() catch |e| return writeFailed(p, e, name);
    writer.meter.finish();
    assert(copied == marked.live_words);
    assert(writer.offset_bytes == live_end.toBytes());
    if (!p.options.data_checksums) {
        return .{ .used = live_end, .checksum = writer.hasher.final(), .coverage = format.Coverage.none(live_end) };
    }
    writer.endSums() catch |e| return writeFailed(p, e, name);
    var rec: ?[]u64 = null;
    defer if (rec) |r| p.gpa.free(r);
    const coverage = integrity.coverNewSlab(p.gpa, live_end, writer.sums.list.items, writer.hasher.final(), &rec) catch |e|
        return writeFailed(p, e, name);
    if (rec) |r| {
        writer.put(r) catch |e| return writeFailed(p, e, name);
        writer.flush() catch |e| return writeFailed(p, e, name);
    }
    const used = SlabOffset.fromBytes(writer.offset_bytes);
    return .{ .used = used, .checksum = writer.hasher.final(), .coverage = coverage };
}

fn writeFailed(p: *Pma, err: anyerror, name: []const u8) arena.Error {
    if (err == error.OutOfMemory) return p.fail(error.Meme, "Cannot collect: out of memory for the page sums of {s}", .{name});
    return p.failIo(err, "Cannot write {s}", .{name});
}

fn markLive(p: *Pma, roots: []const Noun) arena.Error!Marked {
    var all: std.ArrayList(Noun) = .empty;
    defer all.deinit(p.gpa);
    all.append(p.gpa, p.root()) catch return p.fail(error.Meme, "Cannot collect: out of memory", .{});
    all.appendSlice(p.gpa, roots) catch return p.fail(error.Meme, "Cannot collect: out of memory", .{});
    assert(all.items.len == roots.len + 1);
    return mark(p.gpa, p.map.words(), p.used, all.items) catch |err| switch (err) {
        error.Meme => p.fail(error.Meme, "Cannot collect: out of memory for the mark bitmap or stack", .{}),
        error.CorruptNoun => p.fail(error.CorruptNoun, "Cannot collect: the live graph holds a malformed noun", .{}),
    };
}

/// The new slab is durable: make it this handle's slab. The old mapping goes away.
fn switchTo(p: *Pma, fresh: *mapping.NewSlab, slot: *const Slot) void {
    assert(fresh.renamed);
    assert(!p.poisoned);
    assert(slot.file_id == fresh.file_id);
    const old_id = p.file_id;
    p.map.deinit();
    p.file.close();
    p.map = fresh.map;
    p.file = fresh.file;
    p.file_id = fresh.file_id;
    p.inode = if (fresh.file.stat()) |st| @bitCast(st.inode) else |_| 0; // i64 on Windows
    p.file_bytes = fresh.bytes;
    p.used = slot.used();
    p.last = slot.*;
    p.max_seq = slot.commit_seq;
    p.next_slot_index = 1;
    p.rebase();
    if (!p.options.keep_previous_slab) p.dir.deleteFile(format.slab_names[old_id]) catch {};
}

fn afterGc(p: *Pma) arena.Error!void {
    assert(p.last.slot_index == 0);
    try p.sealIfLarge();
    if (p.options.sidecar != .off) {
        try p.trip(.pma_gc_before_sidecar);
        try p.writeSidecar();
    }
}

// ------------------------------------------------------------------------- writing the new file

/// Appends objects to a new slab file with pwrite from a buffer (no page faults on a fresh
/// mapping), hashing them with mug bits cleared on the way (the appended checksum, and the
/// page sums of the data checksums until `endSums`), and starts writeback early so that
/// the final fdatasync has little left to wait for.
const SlabWriter = struct {
    file: std.fs.File,
    offset_bytes: u64 = format.header_bytes,
    writeback_bytes: u64 = format.header_bytes,
    buf: []u64,
    /// The same words with each header's mug bits cleared, for the hasher.
    masked: []u64,
    len: usize = 0,
    hasher: format.ObjectHasher = .{},
    /// Page sums of what is written (null with data checksums off, and after `endSums`).
    summer: ?integrity.PageSummer,
    sums: integrity.SumList,
    /// Progress of the copy, in bytes of live data.
    meter: progress.Meter,

    /// 128 KiB: the buffer and its masked twin stay in the L2 cache between being filled,
    /// hashed and written (a larger one is read back from memory, three times).
    const buffer_words = (128 << 10) / 8;
    /// Atoms up to this size are copied word by word (a call to memcpy costs more).
    const small_words = 8;
    const writeback_step_bytes: u64 = 64 << 20;

    fn init(gpa: std.mem.Allocator, file: std.fs.File, sum_pages: bool, live_bytes: u64) !SlabWriter {
        const buf = try gpa.alloc(u64, buffer_words);
        errdefer gpa.free(buf);
        const masked = try gpa.alloc(u64, buffer_words);
        assert(buf.len == masked.len);
        const summer: ?integrity.PageSummer = if (sum_pages) integrity.PageSummer.init(SlabOffset.data_start) else null;
        return .{
            .file = file,
            .buf = buf,
            .masked = masked,
            .summer = summer,
            .sums = .{ .gpa = gpa },
            .meter = progress.Meter.start(.gc_copy, live_bytes),
        };
    }

    fn deinit(w: *SlabWriter, gpa: std.mem.Allocator) void {
        gpa.free(w.buf);
        gpa.free(w.masked);
        w.sums.deinit();
        w.* = undefined;
    }

    /// Sum the last page chunk; what is written afterwards (the record) has no page sums.
    fn endSums(w: *SlabWriter) !void {
        assert(w.len == 0);
        try w.summer.?.finish(&w.sums);
        assert(w.summer.?.at.toBytes() == w.offset_bytes);
        w.summer = null;
    }

    /// Feed masked words written at the current offset to the page summer, if any.
    fn sum(w: *SlabWriter, masked: []const u64) !void {
        if (w.summer) |*s| {
            assert(s.at.toBytes() == w.offset_bytes);
            try s.feed(&w.sums, masked);
        }
    }

    /// Append one cell (the sink of `slide`; most objects are cells).
    pub inline fn putCell(w: *SlabWriter, header: u64, head: u64, tail: u64) !void {
        assert(Header.limbs(header) == 0);
        if (w.len + 3 > w.buf.len) try w.flush();
        w.buf[w.len..][0..3].* = .{ header, head, tail };
        w.masked[w.len..][0..3].* = .{ format.ObjectHasher.maskHeader(header), head, tail };
        w.len += 3;
    }

    /// Append one whole object (the sink of `slide`).
    pub fn put(w: *SlabWriter, words: []const u64) !void {
        assert(words.len == objectWords(words[0]));
        assert(w.len <= w.buf.len);
        if (w.len + words.len > w.buf.len) try w.flush();
        if (words.len > w.buf.len) {
            // A huge atom: hash and write it straight from the old slab.
            w.hasher.object(words);
            const header = [1]u64{format.ObjectHasher.maskHeader(words[0])};
            try w.sum(&header);
            if (w.summer) |*s| try s.feed(&w.sums, words[1..]);
            try w.file.pwriteAll(std.mem.sliceAsBytes(words), w.offset_bytes);
            w.offset_bytes += words.len * 8;
            return;
        }
        const buf = w.buf[w.len..][0..words.len];
        const masked = w.masked[w.len..][0..words.len];
        if (words.len <= small_words) {
            for (buf, masked, words) |*b, *m, x| {
                b.* = x;
                m.* = x;
            }
        } else {
            @memcpy(buf, words);
            @memcpy(masked, words);
        }
        masked[0] = format.ObjectHasher.maskHeader(words[0]);
        w.len += words.len;
    }

    fn flush(w: *SlabWriter) !void {
        if (w.len == 0) return;
        assert(w.offset_bytes >= w.writeback_bytes);
        w.hasher.masked(w.masked[0..w.len]);
        try w.sum(w.masked[0..w.len]);
        try w.file.pwriteAll(std.mem.sliceAsBytes(w.buf[0..w.len]), w.offset_bytes);
        w.offset_bytes += w.len * 8;
        w.len = 0;
        if (w.offset_bytes - w.writeback_bytes >= writeback_step_bytes) {
            mapping.startWriteback(w.file.handle, w.writeback_bytes, w.offset_bytes - w.writeback_bytes);
            w.writeback_bytes = w.offset_bytes;
            w.meter.at(@min(w.offset_bytes - format.header_bytes, w.meter.total));
        }
    }
};

// ------------------------------------------------------------------------- mark and slide

/// Per 64 data words: which belong to live objects, and how many live words precede them.
/// Kept side by side so an offset lookup touches one cache line.
pub const Block = extern struct {
    bits: u64,
    prefix: u64,
};

pub const Marked = struct {
    /// Bit i of blocks[j] = word (data start + 64 j + i) belongs to a live object.
    blocks: []Block,
    live_words: u64,

    pub fn deinit(m: *Marked, gpa: std.mem.Allocator) void {
        gpa.free(m.blocks);
        m.* = undefined;
    }

    pub inline fn isLive(m: *const Marked, offset: SlabOffset) bool {
        const i = offset.since(SlabOffset.data_start);
        assert(i / 64 < m.blocks.len);
        return m.blocks[i / 64].bits & (@as(u64, 1) << @intCast(i % 64)) != 0;
    }

    /// New offset of the live object at `offset`.
    pub inline fn newOffset(m: *const Marked, offset: SlabOffset) SlabOffset {
        assert(m.isLive(offset));
        const i = offset.since(SlabOffset.data_start);
        const block = m.blocks[i / 64];
        const below = block.bits & ((@as(u64, 1) << @intCast(i % 64)) - 1);
        const moved = SlabOffset.data_start.add(block.prefix + @popCount(below));
        assert(!offset.lessThan(moved)); // Compaction only slides objects down.
        return moved;
    }

    /// The noun word after compaction (direct atoms unchanged).
    pub inline fn forward(m: *const Marked, n: Noun) Noun {
        if (!n.inPma()) return n;
        assert(!n.isForward());
        return m.newOffset(SlabOffset.of(n)).ref(n.tag());
    }

    inline fn setRange(m: *Marked, offset: SlabOffset, count: u64) void {
        assert(count > 0);
        var i = offset.since(SlabOffset.data_start);
        if (i % 64 + count <= 64 and count < 64) { // The common case: within one block.
            const ones = ((@as(u64, 1) << @intCast(count)) - 1) << @intCast(i % 64);
            assert(m.blocks[i / 64].bits & ones == 0); // Objects never overlap.
            m.blocks[i / 64].bits |= ones;
            return;
        }
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

/// Mark everything reachable from `roots` in the slab whose word 0 is `words` and whose
/// objects lie in [data start, used). Checks every reference it follows.
pub fn mark(gpa: std.mem.Allocator, words: [*]const u64, used: SlabOffset, roots: []const Noun) MarkError!Marked {
    const data_words = used.since(SlabOffset.data_start);
    const len: usize = @intCast(data_words / 64 + 1);
    const blocks = gpa.alloc(Block, len) catch return error.Meme;
    errdefer gpa.free(blocks);
    @memset(blocks, .{ .bits = 0, .prefix = 0 });
    var m = Marked{ .blocks = blocks, .live_words = 0 };
    var stack: std.ArrayList(u64) = .empty;
    defer stack.deinit(gpa);
    for (roots) |r| try push(gpa, &stack, &m, r.raw(), used);
    try markFrom(gpa, &stack, &m, words, used);
    var total: u64 = 0;
    for (m.blocks) |*b| {
        b.prefix = total;
        total += @popCount(b.bits);
    }
    m.live_words = total;
    assert(total <= data_words);
    assert(stack.items.len == 0);
    return m;
}

fn markFrom(gpa: std.mem.Allocator, stack: *std.ArrayList(u64), m: *Marked, words: [*]const u64, used: SlabOffset) MarkError!void {
    while (stack.pop()) |popped| {
        var raw = popped;
        // Follow heads in a loop and stack only tails, so right-nested lists keep the stack
        // short and half the objects never touch it.
        while (true) {
            const n = Noun.fromRaw(raw);
            const off = SlabOffset.of(n);
            assert(off.inData(used)); // `unvisited` checked it.
            if (m.isLive(off)) break; // Pushed twice before its first visit.
            const header = words[off.words()];
            const limbs = Header.limbs(header);
            if (n.isCell() != (limbs == 0)) return error.CorruptNoun;
            const size = objectWords(header);
            if (size > used.since(off)) return error.CorruptNoun;
            m.setRange(off, size);
            if (limbs != 0) break;
            try push(gpa, stack, m, words[off.words() + 2], used);
            raw = words[off.words() + 1];
            if (!try unvisited(m, raw, used)) break;
        }
    }
}

/// Whether `raw` is a PMA object not marked yet. Checks the reference: the PMA never points
/// into the workspace, and never holds forwarding words.
inline fn unvisited(m: *const Marked, raw: u64, used: SlabOffset) MarkError!bool {
    const n = Noun.fromRaw(raw);
    if (n.isDirect()) return false;
    if (n.isForward() or !n.inPma()) return error.CorruptNoun;
    const off = SlabOffset.of(n);
    if (!off.inData(used)) return error.CorruptNoun;
    assert(n.isCell() or n.isIndirect());
    return !m.isLive(off);
}

inline fn push(gpa: std.mem.Allocator, stack: *std.ArrayList(u64), m: *const Marked, raw: u64, used: SlabOffset) MarkError!void {
    if (!try unvisited(m, raw, used)) return;
    if (stack.items.len == stack.capacity) try grow(gpa, stack);
    stack.appendAssumeCapacity(raw);
}

fn grow(gpa: std.mem.Allocator, stack: *std.ArrayList(u64)) MarkError!void {
    if (stack.items.len >= constants.walk_stack_entries_max) return error.Meme;
    const want = @min(@max(stack.capacity * 2, 4096), constants.walk_stack_entries_max);
    stack.ensureTotalCapacity(gpa, want) catch return error.Meme;
    assert(stack.capacity > stack.items.len);
}

/// Hand the live objects of `src` (word 0 of the old slab) to `sink.put(words)` in address
/// order, cell children rewritten to their new offsets; the sink lays them out from the
/// data start on. Returns the number of words emitted.
pub fn slide(m: *const Marked, src: [*]const u64, used: SlabOffset, sink: anytype) !u64 {
    const ds = SlabOffset.data_start;
    var out: u64 = 0;
    var i: u64 = 0; // Data word index (offset - data start).
    const n = used.since(ds);
    while (i < n) {
        var j = i / 64;
        var w = m.blocks[j].bits & (~@as(u64, 0) << @intCast(i % 64));
        while (w == 0) {
            j += 1;
            if (j >= m.blocks.len) break;
            w = m.blocks[j].bits;
        }
        if (w == 0) break;
        i = j * 64 + @ctz(w);
        if (i >= n) break;
        const off = ds.add(i);
        const header = src[off.words()];
        const size = objectWords(header);
        assert(m.newOffset(off) == ds.add(out));
        if (Header.limbs(header) == 0) {
            const head = m.forward(Noun.fromRaw(src[off.words() + 1])).raw();
            const tail = m.forward(Noun.fromRaw(src[off.words() + 2])).raw();
            try sink.putCell(header, head, tail);
        } else {
            try sink.put(src[off.words() .. off.words() + size]);
        }
        out += size;
        i += size;
    }
    assert(out == m.live_words);
    return out;
}

// ------------------------------------------------------------------------- tests

/// A sink that writes into memory (tests).
const ArraySink = struct {
    dst: []u64,
    len: usize,

    pub fn put(s: *ArraySink, words: []const u64) error{}!void {
        @memcpy(s.dst[s.len..][0..words.len], words);
        s.len += words.len;
    }

    pub fn putCell(s: *ArraySink, header: u64, head: u64, tail: u64) error{}!void {
        s.dst[s.len..][0..3].* = .{ header, head, tail };
        s.len += 3;
    }
};

const testing = std.testing;
const d0 = format.data_start_words;

/// A PMA reference to data word `i` of a hand-built slab.
fn ref(kind: u64, i: u64) Noun {
    return SlabOffset.data_start.add(i).ref(kind);
}

test "gc: mark and slide keep shared objects once and drop garbage" {
    var src = [_]u64{0} ** (d0 + 32);
    // 0: garbage cell; 3: atom (2 limbs); 6: cell [atom atom]; 9: cell [6 6]
    src[d0 + 0] = Header.cell;
    src[d0 + 1] = 1;
    src[d0 + 2] = 2;
    src[d0 + 3] = Header.atom(2);
    src[d0 + 4] = 0xdead;
    src[d0 + 5] = 0xbeef;
    src[d0 + 6] = Header.cell;
    src[d0 + 7] = ref(Noun.tag_indirect, 3).raw();
    src[d0 + 8] = ref(Noun.tag_indirect, 3).raw();
    src[d0 + 9] = Header.cell;
    src[d0 + 10] = ref(Noun.tag_cell, 6).raw();
    src[d0 + 11] = ref(Noun.tag_cell, 6).raw();
    const used = SlabOffset.data_start.add(12);
    var m = try mark(testing.allocator, &src, used, &.{ref(Noun.tag_cell, 9)});
    defer m.deinit(testing.allocator);
    try testing.expectEqual(@as(u64, 9), m.live_words);
    var dst = [_]u64{0} ** (d0 + 32);
    var sink = ArraySink{ .dst = &dst, .len = d0 };
    try testing.expectEqual(@as(u64, 9), try slide(&m, &src, used, &sink));
    const root = m.forward(ref(Noun.tag_cell, 9));
    // New layout, in address order: atom at 0, inner cell at 3, root at 6.
    try testing.expectEqual(ref(Noun.tag_cell, 6), root);
    try testing.expectEqual(ref(Noun.tag_cell, 3).raw(), dst[d0 + 7]);
    try testing.expectEqual(dst[d0 + 7], dst[d0 + 8]); // Sharing kept: both children the same.
    try testing.expectEqual(ref(Noun.tag_indirect, 0).raw(), dst[d0 + 4]);
    try testing.expectEqual(dst[d0 + 4], dst[d0 + 5]);
    try testing.expectEqual(@as(u64, 0xbeef), dst[d0 + 2]);
}

test "gc: mark refuses references out of range, into the workspace, or of the wrong kind" {
    var src = [_]u64{0} ** (d0 + 16);
    src[d0 + 0] = Header.cell;
    src[d0 + 1] = ref(Noun.tag_cell, 36).raw();
    src[d0 + 2] = 0;
    const used = SlabOffset.data_start.add(3);
    const r = ref(Noun.tag_cell, 0);
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, used, &.{r}));
    src[d0 + 1] = Noun.tag_cell | 100; // A workspace reference.
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, used, &.{r}));
    src[d0 + 1] = 0;
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, used, &.{ref(Noun.tag_indirect, 0)}));
    try testing.expectError(error.CorruptNoun, mark(testing.allocator, &src, used, &.{Noun.pmaRef(Noun.tag_cell, 4)}));
}
