//! Data checksums, the reading side: a full check (`checkAll`, behind `Pma.verify`) and a
//! scrub that does the same a bounded number of bytes per step, so that a server can check
//! its whole slab in the background at a rate it chooses.
//!
//! A pass checks what the newest commit's coverage names (format.zig): the open extent
//! against the slot's `open_checksum`, then the extent records from the newest down, each
//! record's own checksum and place (it must end where the extent above it starts), and
//! every page chunk of its extent, recomputed from the data (nothing is cached). Data below
//! checked start has no checksums and is reported as unverified. Commits made while a pass
//! runs lie above it and are checked by the next pass; a GC (another file) restarts it.
//!
//! The sums leave out the mug bits of headers (mugs are cached after commits), so the pass
//! also checks every cached mug it passes (mug_check.zig `checkCached`): an atom's against
//! its limbs, a cell's against its children's mugs. A wrong one is a data fault like a page
//! that fails its sum. An atom is hashed whole at its header, so a step may go over its
//! budget by one atom.
//!
//! A fault found by a writer (a scrub step, a full check, or a commit that finds its open
//! extent changed) makes the handle refuse further commits and GCs, and is recorded in the
//! `pma.fault` file (written atomically), so that every later open of the directory fails
//! with `DataChecksum` too, until the directory is quarantined: the state must then come
//! from a snapshot and the log, never from this slab.

const std = @import("std");
const assert = std.debug.assert;
const slab_format = @import("format.zig");
const SlabOffset = slab_format.SlabOffset;
const Coverage = slab_format.Coverage;
const integrity = @import("integrity.zig");
const mug_check = @import("mug_check.zig");
const mapping = @import("mapping.zig");
const safe_file = @import("safe_file.zig");
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;

pub const marker_name = "pma.fault";
pub const marker_temp_name = "pma.fault.tmp";

// ------------------------------------------------------------------------- faults

pub const FaultKind = enum {
    /// A page chunk of an extent does not match its sum in the extent's record.
    page,
    /// An extent record fails its own checksum or is malformed (the records below it
    /// cannot be reached).
    record,
    /// The objects of an extent do not tile it (a damaged header).
    tiling,
    /// The open extent does not match the slot's `open_checksum`.
    open_extent,
    /// The records do not tile the checked data exactly.
    chain,
    /// An object's cached mug (header bits the sums leave out) does not match its data.
    mug,

    pub fn text(k: FaultKind) []const u8 {
        return switch (k) {
            .page => "a page of data does not match its checksum",
            .record => "an extent record is damaged",
            .tiling => "the objects of an extent do not parse",
            .open_extent => "the data since the last extent record does not match its checksum",
            .chain => "the extent records do not cover the data exactly",
            .mug => "an object's cached mug does not match its data",
        };
    }
};

pub const Fault = struct {
    kind: FaultKind,
    file_id: u1,
    offset_bytes: u64,
    length_bytes: u64,

    /// The 4 KiB file page the fault starts in.
    pub fn page(f: *const Fault) u64 {
        return f.offset_bytes / slab_format.page_bytes;
    }

    /// "a page of data does not match its checksum: 0.pma at byte 81920 (page 20, 4096 bytes)"
    pub fn format(f: Fault, w: *std.Io.Writer) std.Io.Writer.Error!void {
        try w.print("{s}: {s} at byte {d} (page {d}, {d} bytes)", .{
            f.kind.text(), slab_format.slab_names[f.file_id], f.offset_bytes, f.page(), f.length_bytes,
        });
    }
};

/// Where a scrub stands, after a step.
pub const Progress = struct {
    /// Passes completed by this scrub.
    passes: u64,
    /// Bytes checked in the current pass (the whole pass when `pass_done`).
    checked_bytes: u64,
    /// Bytes the current pass checks: everything from checked start to the used size.
    total_bytes: u64,
    /// Bytes below checked start, which have no checksums.
    unverified_bytes: u64,
    /// Faults found by this scrub, in all passes.
    faults: u64,
    first_fault: ?Fault,
    /// The first fault found by this step, if it found any.
    new_fault: ?Fault,
    /// This step completed a pass.
    pass_done: bool,
};

// ------------------------------------------------------------------------- the scrub

/// An incremental check of a slab's data checksums. Keep one per handle (`Pma.scrub`) and
/// call `step` with a byte budget; a pass starts over by itself after a GC.
pub const Scrub = struct {
    phase: Phase = .idle,
    // The pass: what it checks is fixed when it begins.
    file_id: u1 = 0,
    generation: u64 = 0,
    inode: u64 = 0,
    coverage: Coverage = undefined,
    used: SlabOffset = SlabOffset.data_start,
    /// The next record to check (going down), and where it must end.
    next_record: ?SlabOffset = null,
    expected_end: SlabOffset = SlabOffset.data_start,
    /// The record whose extent is being walked, and its next page sum.
    record: slab_format.Record = undefined,
    sum_index: u64 = 0,
    walk: integrity.ExtentWalk = undefined,
    /// The slab's word 0, for the duration of a step.
    slab: [*]const u64 = undefined,
    checked_words: u64 = 0,
    total_words: u64 = 0,
    passes: u64 = 0,
    faults: u64 = 0,
    first_fault: ?Fault = null,
    new_fault: ?Fault = null,
    /// Check cached mugs too (off only for `extentMatches`, which asserts sums).
    check_mugs: bool = true,
    /// Cached mugs compared, and those that could not be (a malformed or too large child).
    mugs_checked: u64 = 0,
    mugs_unchecked: u64 = 0,
    /// Wrong cached mugs in the page chunk being walked (the first, and how many): they
    /// count once the chunk's sum is compared, and only if it matches, so that a page
    /// failing its sum is one fault, named as such (a word changed inside a cell makes the
    /// cell's mug wrong too).
    pending_mug: ?Fault = null,
    pending_mugs: u64 = 0,

    const Phase = enum { idle, open_extent, record, extent, finished };

    /// Check about `budget_bytes` more (at least one record or object, so a step may go
    /// over by a record's size). Starts a pass when none runs, or the slab changed files.
    pub fn step(s: *Scrub, p: *const Pma, budget_bytes: u64) Progress {
        assert(p.mapped);
        const moved = s.file_id != p.file_id or s.generation != p.last.generation or s.inode != p.inode;
        if (s.phase == .idle or moved) s.begin(p);
        s.slab = p.map.words();
        s.new_fault = null;
        var left: u64 = @max(budget_bytes / 8, 1);
        var pass_done = false;
        while (left > 0 and !pass_done) pass_done = s.advance(&left);
        assert(s.checked_words <= s.total_words);
        return .{
            .passes = s.passes,
            .checked_bytes = s.checked_words * 8,
            .total_bytes = s.total_words * 8,
            .unverified_bytes = s.coverage.unverifiedBytes(),
            .faults = s.faults,
            .first_fault = s.first_fault,
            .new_fault = s.new_fault,
            .pass_done = pass_done,
        };
    }

    fn begin(s: *Scrub, p: *const Pma) void {
        assert(p.used == p.last.used() or p.mode == .writer);
        s.phase = .open_extent;
        s.file_id = p.file_id;
        s.generation = p.last.generation;
        s.inode = p.inode;
        s.coverage = p.last.coverage();
        s.used = p.last.used();
        s.next_record = s.coverage.last_record;
        s.expected_end = s.coverage.open_start;
        s.checked_words = 0;
        s.total_words = s.used.since(s.coverage.checked_start);
        s.pending_mug = null;
        s.pending_mugs = 0;
        assert(!s.used.lessThan(s.coverage.open_start));
    }

    /// One action of the pass; true when the pass is complete.
    fn advance(s: *Scrub, left: *u64) bool {
        switch (s.phase) {
            .idle => unreachable,
            .open_extent => s.checkOpenExtent(left),
            .record => s.startRecord(left),
            .extent => s.walkExtent(left),
            .finished => {
                s.passes += 1;
                s.phase = .idle;
                return true;
            },
        }
        return false;
    }

    fn checkOpenExtent(s: *Scrub, left: *u64) void {
        const c = &s.coverage;
        const count = s.used.since(c.open_start);
        const sum = slab_format.appendedChecksum(s.slab, c.open_start, s.used) catch null;
        if (sum != c.open_checksum) {
            s.fault(.open_extent, c.open_start, count);
        } else {
            s.objectsBetween(c.open_start, s.used); // They tile it: the sum parsed them.
            s.flushMugFaults();
        }
        s.charge(left, count);
        s.phase = .record;
    }

    /// Read the next record down, or end the pass at checked start.
    fn startRecord(s: *Scrub, left: *u64) void {
        const low = s.coverage.checked_start;
        const r = s.next_record orelse {
            if (s.expected_end != low) s.faultBetween(.chain, low, s.expected_end);
            s.phase = .finished;
            return;
        };
        const rec = slab_format.readRecord(s.slab, r, s.expected_end) catch {
            s.faultBetween(.record, r, s.expected_end);
            s.phase = .finished; // The records below cannot be found without this one.
            return;
        };
        if (rec.end() != s.expected_end or rec.start.lessThan(low)) {
            s.faultBetween(.chain, rec.offset, s.expected_end);
            s.phase = .finished;
            return;
        }
        s.record = rec;
        s.sum_index = 0;
        s.walk = integrity.ExtentWalk.init(rec.start, rec.offset);
        s.charge(left, rec.words());
        s.phase = .extent;
    }

    fn walkExtent(s: *Scrub, left: *u64) void {
        const before = s.walk.summer.at;
        const done = s.walk.step(s.slab, s, left.*) catch blk: {
            const at = s.walk.summer.at;
            s.fault(.tiling, at, s.walk.end.since(at));
            s.walk.summer.at = s.walk.end; // The rest of this extent cannot be parsed.
            s.flushMugFaults();
            break :blk true;
        };
        s.charge(left, s.walk.summer.at.since(before));
        if (!done) return;
        assert(s.walk.summer.at == s.record.offset);
        s.expected_end = s.record.start;
        s.next_record = s.record.previous;
        s.phase = .record;
    }

    /// The sink of the extent walk: compare each chunk's sum with the record's.
    pub fn chunk(s: *Scrub, at: SlabOffset, len_words: u64, sum: u64) error{}!void {
        assert(len_words > 0);
        if (s.sum_index >= s.record.page_count) {
            s.fault(.chain, at, len_words);
        } else if (s.record.sum(s.slab, s.sum_index) != sum) {
            s.fault(.page, at, len_words);
            // The page's wrong mugs are the page's fault, not counted apart.
            s.pending_mug = null;
            s.pending_mugs = 0;
        }
        s.sum_index += 1;
        s.flushMugFaults();
    }

    /// The extent walk passes the object whose header is at `at`: check its cached mug.
    pub fn object(s: *Scrub, at: SlabOffset) void {
        if (!s.check_mugs) return;
        switch (mug_check.checkCached(s.slab, s.used, at)) {
            .unset => {},
            .right => s.mugs_checked += 1,
            .unchecked => s.mugs_unchecked += 1,
            .wrong => {
                s.mugs_checked += 1;
                const size = slab_format.objectWords(s.slab[at.words()]);
                if (s.pending_mug == null) s.pending_mug = .{ .kind = .mug, .file_id = s.file_id, .offset_bytes = at.toBytes(), .length_bytes = size * 8 };
                s.pending_mugs += 1;
            },
        }
    }

    /// Count the wrong cached mugs of the chunk just compared as faults.
    fn flushMugFaults(s: *Scrub) void {
        const f = s.pending_mug orelse return;
        assert(s.pending_mugs > 0);
        s.faults += s.pending_mugs;
        if (s.first_fault == null) s.first_fault = f;
        if (s.new_fault == null) s.new_fault = f;
        s.pending_mug = null;
        s.pending_mugs = 0;
    }

    /// `object` for each of the objects that tile [from, to).
    fn objectsBetween(s: *Scrub, from: SlabOffset, to: SlabOffset) void {
        var at = from;
        while (at.lessThan(to)) {
            const size = slab_format.objectWords(s.slab[at.words()]);
            assert(size <= to.since(at));
            s.object(at);
            at = at.add(size);
        }
        assert(at == to);
    }

    fn charge(s: *Scrub, left: *u64, count_words: u64) void {
        left.* -|= count_words;
        s.checked_words = @min(s.checked_words + count_words, s.total_words);
    }

    fn faultBetween(s: *Scrub, kind: FaultKind, from: SlabOffset, to: SlabOffset) void {
        const low = if (from.lessThan(to)) from else to;
        const high = if (from.lessThan(to)) to else from;
        s.fault(kind, low, high.since(low));
    }

    fn fault(s: *Scrub, kind: FaultKind, at: SlabOffset, count_words: u64) void {
        const f = Fault{ .kind = kind, .file_id = s.file_id, .offset_bytes = at.toBytes(), .length_bytes = count_words * 8 };
        s.faults += 1;
        if (s.first_fault == null) s.first_fault = f;
        if (s.new_fault == null) s.new_fault = f;
        assert(s.faults > 0);
    }
};

/// Whether the extent of `record` matches its page sums (assertions when one is written).
pub fn extentMatches(slab: [*]const u64, record: *const slab_format.Record) bool {
    var s: Scrub = .{ .record = record.*, .slab = slab, .total_words = std.math.maxInt(u64), .check_mugs = false };
    s.walk = integrity.ExtentWalk.init(record.start, record.offset);
    const done = s.walk.step(slab, &s, std.math.maxInt(u64)) catch return false;
    assert(done);
    return s.faults == 0 and s.sum_index == record.page_count;
}

// ------------------------------------------------------------------------- on a handle

/// One step of this handle's background scrub (`Scrub.step`). A fault it finds is noted
/// (`noteFault`): a writer then refuses commits, and later opens refuse the directory.
pub fn scrubStep(p: *Pma, budget_bytes: u64) Progress {
    const progress = p.scrub.step(p, budget_bytes);
    if (progress.new_fault) |f| noteFault(p, f);
    assert(progress.faults >= @intFromBool(progress.new_fault != null));
    return progress;
}

/// Check every record and extent now, as one pass of its own (not the background one).
pub fn checkAll(p: *Pma) Progress {
    var s: Scrub = .{};
    const progress = s.step(p, std.math.maxInt(u64));
    assert(progress.pass_done);
    assert(progress.checked_bytes <= progress.total_bytes);
    if (progress.first_fault) |f| noteFault(p, f);
    return progress;
}

/// `checkAll`, failing with DataChecksum (the message names the first fault) on any fault.
pub fn verifyAll(p: *Pma) Error!Progress {
    const progress = checkAll(p);
    const f = progress.first_fault orelse return progress;
    assert(progress.faults > 0);
    return p.fail(error.DataChecksum, "Slab data fails its checksums: {f}; {d} fault(s) in all", .{ f, progress.faults });
}

/// A writer that found a fault: refuse commits and GCs from now on, and record the fault in
/// `pma.fault` (best effort: the handle refuses either way).
pub fn noteFault(p: *Pma, f: Fault) void {
    if (p.fault == null) p.fault = f;
    assert(p.fault != null);
    if (p.mode != .writer) return;
    writeMarker(p, f) catch {};
}

/// Fail if this handle has found a fault: its data must not be built on.
pub fn checkNoFault(p: *Pma, comptime what: []const u8) Error!void {
    const f = p.fault orelse return;
    return p.fail(error.DataChecksum, "Cannot " ++ what ++ ": the slab has a data fault ({f}); recover the state from a snapshot and the log", .{f});
}

/// Write `pma.fault` (temp file, fsync, rename, directory fsync).
fn writeMarker(p: *Pma, f: Fault) Error!void {
    assert(p.mode == .writer);
    var buf: [256]u8 = undefined;
    const text = std.fmt.bufPrint(&buf, "{f}\n", .{f}) catch buf[0..0];
    const file = safe_file.open(p.dir, marker_temp_name, .create_truncate) catch |e|
        return p.failIo(e, "Cannot create {s}", .{marker_temp_name});
    defer file.close();
    file.writeAll(text) catch |e| return p.failIo(e, "Cannot write {s}", .{marker_temp_name});
    file.sync() catch |e| return p.failIo(e, "Cannot sync {s}", .{marker_temp_name});
    try p.trip(.pma_fault_after_temp);
    p.dir.rename(marker_temp_name, marker_name) catch |e| return p.failIo(e, "Cannot rename {s}", .{marker_temp_name});
    mapping.syncDir(p.dir) catch |e| return p.failIo(e, "Cannot sync the data directory", .{});
}

/// At open: fail with DataChecksum when the directory holds a `pma.fault` record.
pub fn refuseIfMarked(p: *Pma) Error!void {
    const file = safe_file.open(p.dir, marker_name, .read_only) catch |e| switch (e) {
        error.FileNotFound => return,
        else => return p.failIo(e, "Cannot read {s}", .{marker_name}),
    };
    defer file.close();
    var buf: [256]u8 = undefined;
    const n = file.preadAll(&buf, 0) catch 0;
    const text = std.mem.trimRight(u8, buf[0..n], "\n");
    return p.fail(error.DataChecksum, "Cannot open slab: {s} records a data fault found earlier ({s}); quarantine the directory and recover from a snapshot and the log", .{ marker_name, text });
}
