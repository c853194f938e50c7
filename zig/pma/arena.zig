//! The `Pma` handle: its API types, opening (choosing the newest valid commit of the two
//! slab files), closing, and reading the committed state.
//!
//! The handle's operations live beside this file and are declared on the struct, so a
//! caller writes `p.commit(...)`: commit.zig (commit and copy-in), gc.zig (copy-compaction),
//! replica.zig (read-only refresh), sidecar.zig (`pma.meta`), mapping.zig (growth and new
//! files). format.zig is the on-disk contract they all keep.
//!
//! Opening reads the meta pages of both files once (`Scan`), checks every slot's own
//! checksum and bounds, then, newest first, maps the candidate's file and checks the data
//! its commit appended, its open extent and its newest extent record (format.zig
//! `checkData`; older data is left to verify and the scrub); the first candidate that
//! passes is adopted. A `pma.fault` record in the directory refuses the open outright. A torn or corrupt commit
//! thus loses to the previous one (`strict` refuses instead), and every slot passed over is
//! reported with its reason.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("../constants.zig");
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const tripwire = @import("../tripwire.zig");
const format = @import("format.zig");
const SlabOffset = format.SlabOffset;
const Slot = format.Slot;
const mapping = @import("mapping.zig");
const Mapping = mapping.Mapping;
const commit_mod = @import("commit.zig");
const gc_mod = @import("gc.zig");
const replica = @import("replica.zig");
const sidecar = @import("sidecar.zig");
const scrub_mod = @import("scrub.zig");
const mug_check = @import("mug_check.zig");
const safe_file = @import("safe_file.zig");

// ------------------------------------------------------------------------- API types

pub const Error = error{
    /// A file operation failed; the message names it and the OS error.
    Io,
    /// Another writer holds the data directory.
    Locked,
    /// No slab in the directory (and `create` is off, or the handle is read-only).
    NoSlab,
    /// A write operation on a read-only handle.
    ReadOnly,
    /// An earlier failure left the on-disk state uncertain: close and reopen.
    Poisoned,
    BadMagic,
    UnsupportedVersion,
    /// A meta slot fails its own checksum (or names the wrong file or slot).
    MetaChecksum,
    /// The bytes a slot's commit appended fail their checksum (a torn or corrupt commit).
    AppendedChecksum,
    /// Committed data fails its data checksums (rot in old data: a page, an extent record,
    /// the open extent), or a `pma.fault` record says an earlier check found that. The
    /// message names the file, byte offset and page. Never to be opened again as it is:
    /// quarantine the directory and recover from a snapshot and the log.
    DataChecksum,
    /// The file is shorter than the used size a slot records.
    SlabTruncated,
    /// A slot's root or ranges lie outside the used part of the file or the reservation.
    OffsetOutOfRange,
    /// A noun in the slab is malformed (bad header, bad reference).
    CorruptNoun,
    /// A noun handed to the PMA refers to a workspace where it must not, or to PMA memory
    /// that is not committed in this slab.
    ForeignNoun,
    /// A commit's event number is lower than the committed one.
    EventOrder,
    SidecarChecksum,
    /// The sidecar records a commit that the slab's slots do not hold.
    SidecarMismatch,
    /// The address space reservation could not be made.
    ReserveFailed,
    /// The slab would outgrow its reservation.
    PmaFull,
    /// Out of memory for side structures (undo log, GC bitmap, stacks).
    Meme,
    /// A tripwire armed with `.fail` fired (tests only).
    Tripwire,
    BadOptions,
};

pub const SidecarMode = enum {
    /// Never write `pma.meta`.
    off,
    /// Write it after a GC, at close, and on `writeSidecar` (costs 3 syncs each).
    checkpoint,
    /// Write it after every commit as well (the simple, slower protocol).
    every_commit,
};

pub const Options = struct {
    reserve_bytes: u64 = constants.pma_reserve_bytes_default,
    /// Size of a newly created slab file.
    initial_bytes: u64 = constants.pma_initial_bytes_default,
    /// Create the directory and an empty slab when none exists (writer only).
    create: bool = true,
    /// Refuse to open when any meta slot or the sidecar fails its checks, instead of
    /// falling back to the newest valid commit.
    strict: bool = false,
    sidecar: SidecarMode = .checkpoint,
    /// Keep the pre-GC slab file until the next GC replaces it (else unlink it after GC).
    keep_previous_slab: bool = true,
    /// Write data checksums with each commit (format.zig). Off, commits leave their data
    /// unverified (and the coverage of older data is dropped too, until the next GC).
    data_checksums: bool = true,
    /// Receives the message when `open` fails (a handle keeps its own for later calls).
    diagnostic: ?*Diagnostic = null,
};

pub const Diagnostic = struct {
    buf: [constants.pma_message_bytes_max]u8 = undefined,
    len: u32 = 0,

    pub fn message(d: *const Diagnostic) []const u8 {
        assert(d.len <= d.buf.len);
        return d.buf[0..d.len];
    }

    pub fn set(d: *Diagnostic, comptime fmt: []const u8, args: anytype) void {
        var w = std.Io.Writer.fixed(&d.buf);
        w.print(fmt, args) catch {};
        d.len = @intCast(w.end);
        assert(d.len <= d.buf.len);
    }
};

pub const Mode = enum { writer, reader };

pub const Stats = struct {
    /// Size of the slab file.
    capacity_bytes: u64,
    reserve_bytes: u64,
    used_bytes: u64,
    live_bytes_after_gc: u64,
    growth_count: u64,
    appended_bytes_last_commit: u64,
    generation: u64,
    commit_seq: u64,
    event_number: u64,
    file_id: u32,
};

/// Why a meta slot was passed over at open or refresh.
pub const Rejection = struct {
    file_id: u1,
    slot_index: u1,
    /// 0 when the slot was unreadable.
    commit_seq: u64,
    reason: Error,
};

pub const OpenReport = struct {
    rejections: [4]Rejection = undefined,
    rejection_count: u8 = 0,
    sidecar: enum { absent, valid, invalid } = .absent,

    pub fn rejected(r: *const OpenReport) []const Rejection {
        assert(r.rejection_count <= r.rejections.len);
        return r.rejections[0..r.rejection_count];
    }
};

pub const Refresh = enum { unchanged, advanced, switched };

pub const GcResult = struct {
    used_bytes_before: u64,
    used_bytes_after: u64,
    live_bytes: u64,
    /// Where the time went, for benchmarks and logs.
    phase_ns: GcPhases = .{},
};

/// Nanoseconds of each phase of a GC: checking the old slab's data checksums, marking the
/// live graph, copying it into the new file (hashing included), and making that durable.
pub const GcPhases = struct {
    check: u64 = 0,
    mark: u64 = 0,
    copy: u64 = 0,
    sync: u64 = 0,
};

// ------------------------------------------------------------------------- scanning

/// One slab file as found at open or refresh.
pub const SlabFile = struct {
    file: ?std.fs.File = null,
    bytes: u64 = 0,
    inode: u64 = 0,
    published_seq: ?u64 = null,
};

/// A slot that passed its own checks and its bounds: its data is checked when mapped.
pub const Candidate = struct { file_id: u1, slot: Slot };

/// The meta pages of both slab files, read once.
pub const Scan = struct {
    files: [2]SlabFile = .{ .{}, .{} },
    candidates: [4]Candidate = undefined,
    candidate_count: u8 = 0,
    found: u8 = 0,
    max_seq: u64 = 0,

    pub fn close(s: *Scan) void {
        for (&s.files) |*f| {
            if (f.file) |file| file.close();
            f.file = null;
        }
    }

    pub fn newestFirst(s: *Scan) []Candidate {
        assert(s.candidate_count <= s.candidates.len);
        return s.candidates[0..s.candidate_count];
    }

    fn sortNewestFirst(s: *Scan) void {
        const lessThan = struct {
            fn f(_: void, a: Candidate, b: Candidate) bool {
                return a.slot.commit_seq > b.slot.commit_seq;
            }
        }.f;
        std.mem.sort(Candidate, s.newestFirst(), {}, lessThan);
    }

    /// A candidate a reader may use: one the writer has published as durable.
    pub fn published(s: *const Scan, c: *const Candidate, mode: Mode) bool {
        assert(s.files[c.file_id].file != null);
        if (mode == .writer) return true;
        const seq = s.files[c.file_id].published_seq orelse return true;
        return c.slot.commit_seq <= seq;
    }
};

// ------------------------------------------------------------------------- the arena

pub const Pma = struct {
    gpa: std.mem.Allocator,
    mode: Mode,
    options: Options,
    dir: std.fs.Dir,
    lock: ?std.fs.File = null,
    /// The active slab file, its id, inode and size.
    file: std.fs.File = undefined,
    file_id: u1 = 0,
    inode: u64 = 0,
    file_bytes: u64 = 0,
    map: Mapping = undefined,
    mapped: bool = false,
    /// Bump pointer: the offset of the first free word. Equals `last.used()` between
    /// commits.
    used: SlabOffset = SlabOffset.data_start,
    /// The newest durable commit.
    last: Slot = undefined,
    next_slot_index: u1 = 0,
    max_seq: u64 = 0,
    growth_count: u64 = 0,
    poisoned: bool = false,
    attached: ?*Workspace = null,
    /// Workspace addresses whose headers hold forwarding words during a commit copy.
    undo: std.ArrayList(u64) = .empty,
    report: OpenReport = .{},
    diag: Diagnostic = .{},
    /// The background scrub (`scrubStep`).
    scrub: scrub_mod.Scrub = .{},
    /// The first data fault this handle found: a writer refuses commits and GCs after one.
    fault: ?scrub_mod.Fault = null,

    // The operations defined beside this file (see the header comment).
    pub const commit = commit_mod.commit;
    pub const gc = gc_mod.gc;
    pub const refresh = replica.refresh;
    pub const writeSidecar = sidecar.writeSidecar;
    pub const scrubStep = scrub_mod.scrubStep;
    pub const checkAll = scrub_mod.checkAll;
    pub const recomputeMug = mug_check.recomputeMug;
    // Internal to zig/pma/.
    pub const ensureCapacity = mapping.ensureCapacity;
    pub const createTemp = mapping.createTemp;
    pub const abandon = mapping.abandon;
    pub const mapFile = mapping.mapFile;
    pub const writeDurable = commit_mod.writeDurable;
    pub const sealIfLarge = commit_mod.sealIfLarge;
    pub const finishNewSlab = commit_mod.finishNewSlab;

    /// Open (or create) the slab in `dir_path` for writing. One writer per directory.
    pub fn open(gpa: std.mem.Allocator, dir_path: []const u8, options: Options) Error!*Pma {
        return openMode(gpa, dir_path, options, .writer);
    }

    /// Open the newest durable commit of the slab in `dir_path` read-only (a replica).
    /// Other processes may keep committing; `refresh` moves to their newer commits.
    pub fn openReadOnly(gpa: std.mem.Allocator, dir_path: []const u8, options: Options) Error!*Pma {
        return openMode(gpa, dir_path, options, .reader);
    }

    fn openMode(gpa: std.mem.Allocator, dir_path: []const u8, options: Options, mode: Mode) Error!*Pma {
        const p = gpa.create(Pma) catch return error.Meme;
        p.* = .{ .gpa = gpa, .mode = mode, .options = options, .dir = undefined };
        p.openInto(dir_path) catch |err| {
            if (options.diagnostic) |d| d.* = p.diag;
            p.gpa.destroy(p);
            return err;
        };
        assert(p.mapped);
        assert(p.used == p.last.used());
        assert(p.last.commit_seq <= p.max_seq);
        return p;
    }

    fn openInto(p: *Pma, dir_path: []const u8) Error!void {
        assert(!p.mapped);
        const o = p.options;
        if (o.reserve_bytes < constants.pma_reserve_bytes_min or
            o.initial_bytes < format.header_bytes + constants.pma_file_granule_bytes or
            o.initial_bytes % constants.pma_file_granule_bytes != 0 or
            o.initial_bytes > o.reserve_bytes)
            return p.fail(error.BadOptions, "Cannot open slab: bad reserve or initial size", .{});
        if (p.mode == .writer and o.create) {
            var made = safe_file.openDir(dir_path, true, false) catch |e|
                return p.failIo(e, "Cannot create data directory {s}", .{dir_path});
            made.close();
        }
        p.dir = safe_file.openDir(dir_path, false, true) catch |e| switch (e) {
            error.FileNotFound => return p.fail(error.NoSlab, "Cannot open slab: no directory {s}", .{dir_path}),
            else => return p.failIo(e, "Cannot open data directory {s}", .{dir_path}),
        };
        errdefer p.dir.close();
        if (p.mode == .writer) try p.lockAndClean();
        errdefer if (p.lock) |l| l.close();
        try p.load();
    }

    /// Close the handle. A writer writes the sidecar first unless `sidecar` is off
    /// (best effort: the slots are the authority).
    pub fn close(p: *Pma) void {
        assert(p.mapped);
        if (p.mode == .writer and !p.poisoned and p.options.sidecar != .off) {
            p.writeSidecar() catch {};
        }
        if (p.attached) |ws| p.detach(ws);
        p.releaseSlab();
        if (p.lock) |l| l.close();
        p.dir.close();
        p.undo.deinit(p.gpa);
        const gpa = p.gpa;
        p.* = undefined;
        gpa.destroy(p);
    }

    fn lockAndClean(p: *Pma) Error!void {
        assert(p.mode == .writer);
        p.lock = safe_file.lock(p.dir, format.lock_name) catch |e| switch (e) {
            error.WouldBlock => return p.fail(error.Locked, "Cannot open slab: another writer holds the directory", .{}),
            else => return p.failIo(e, "Cannot create the lock file", .{}),
        };
        // Leftovers of a crashed GC, slab creation or sidecar write: never authoritative.
        for (format.temp_names ++ [2][]const u8{ format.sidecar_temp_name, scrub_mod.marker_temp_name }) |name| {
            p.dir.deleteFile(name) catch {};
        }
    }

    // --------------------------------------------------------------- messages

    /// The message of the last error returned by this handle.
    pub fn message(p: *const Pma) []const u8 {
        return p.diag.message();
    }

    pub fn fail(p: *Pma, err: Error, comptime fmt: []const u8, args: anytype) Error {
        p.diag.set(fmt, args);
        assert(p.diag.len > 0);
        return err;
    }

    pub fn failIo(p: *Pma, os_err: anyerror, comptime fmt: []const u8, args: anytype) Error {
        p.diag.set(fmt ++ ": {s}", args ++ .{safe_file.reason(os_err)});
        assert(p.diag.len > 0);
        return error.Io;
    }

    /// A named crash point (tripwire.zig): nothing unless armed, in a build with tripwires.
    pub fn trip(p: *Pma, point: tripwire.Point) Error!void {
        tripwire.check(point) catch return p.fail(error.Tripwire, "Tripwire {s} fired", .{point.name()});
    }

    pub fn checkWriter(p: *Pma) Error!void {
        assert(p.mapped);
        if (p.mode != .writer) return p.fail(error.ReadOnly, "Cannot write: the slab is open read-only", .{});
        if (p.poisoned) return p.fail(error.Poisoned, "Cannot write: an earlier failure left the slab uncertain; reopen it", .{});
        assert(p.lock != null);
    }

    // --------------------------------------------------------------- reading

    pub fn root(p: *const Pma) Noun {
        const r = p.last.rootNoun();
        assert(!r.inWorkspace());
        return r;
    }

    pub fn eventNumber(p: *const Pma) u64 {
        return p.last.event_number;
    }

    pub fn kernelHash(p: *const Pma) [32]u8 {
        return p.last.kernel_hash;
    }

    pub fn commitSeq(p: *const Pma) u64 {
        assert(p.last.commit_seq > 0);
        return p.last.commit_seq;
    }

    /// Address of word offset 0 of the slab (stable across growth; changes after GC or a
    /// refresh that switched files).
    pub fn base(p: *const Pma) usize {
        assert(p.mapped);
        return @intFromPtr(p.map.reservation.ptr);
    }

    /// Let `ws` read this PMA's nouns (and, for a writer, cache mugs in their headers).
    pub fn attach(p: *Pma, ws: *Workspace) void {
        assert(p.attached == null);
        assert(ws.bases.base[1] == 0);
        ws.bases.base[1] = p.base();
        ws.pma_writable = p.mode == .writer;
        p.attached = ws;
    }

    pub fn detach(p: *Pma, ws: *Workspace) void {
        assert(p.attached == ws);
        assert(ws.bases.base[1] == p.base());
        ws.bases.base[1] = 0;
        ws.pma_writable = false;
        p.attached = null;
    }

    /// After the mapping moved (GC, refresh): the attached workspace reads the new one.
    pub fn rebase(p: *Pma) void {
        assert(p.mapped);
        if (p.attached) |ws| ws.bases.base[1] = p.base();
    }

    pub fn stats(p: *const Pma) Stats {
        assert(p.used.toBytes() <= p.file_bytes);
        return .{
            .capacity_bytes = p.file_bytes,
            .reserve_bytes = p.map.reservation.len,
            .used_bytes = p.used.toBytes(),
            .live_bytes_after_gc = p.last.live_bytes_after_gc,
            .growth_count = p.growth_count,
            .appended_bytes_last_commit = p.last.last_commit_appended_bytes,
            .generation = p.last.generation,
            .commit_seq = p.last.commit_seq,
            .event_number = p.last.event_number,
            .file_id = p.file_id,
        };
    }

    /// Check every data checksum (`checkAll`; DataChecksum names the first fault), then
    /// blake3 over the committed data bytes [16 KiB, used), each object header hashed with
    /// its mug bits cleared (mugs are a cache that readers may fill in). Also proves that
    /// the data parses as back-to-back objects, the unverified part included.
    pub fn verify(p: *Pma) Error![32]u8 {
        assert(p.last.used_bytes <= p.map.mapped_bytes);
        _ = try scrub_mod.verifyAll(p);
        var h = std.crypto.hash.Blake3.init(.{});
        format.hashObjects(std.crypto.hash.Blake3, &h, p.map.words(), SlabOffset.data_start, p.last.used()) catch
            return p.fail(error.CorruptNoun, "Slab data does not parse as noun objects", .{});
        var out: [32]u8 = undefined;
        h.final(&out);
        return out;
    }

    // --------------------------------------------------------------- open

    fn load(p: *Pma) Error!void {
        try scrub_mod.refuseIfMarked(p);
        const side = sidecar.read(p.dir);
        var scan = try p.scanSlots();
        defer scan.close();
        if (scan.found == 0) {
            if (p.mode == .reader or !p.options.create)
                return p.fail(error.NoSlab, "Cannot open slab: no 0.pma or 1.pma in the directory", .{});
            scan.close();
            try commit_mod.createInitialSlab(p);
            scan = try p.scanSlots();
        }
        try p.choose(&scan);
        errdefer p.releaseSlab();
        assert(p.mapped);
        p.growth_count = p.last.growth_count;
        p.max_seq = @max(scan.max_seq, p.last.commit_seq);
        assert(p.max_seq >= p.last.commit_seq);
        if (p.options.strict and p.report.rejection_count > 0) {
            const r = p.report.rejections[0];
            return p.fail(r.reason, "Cannot open slab (strict): slot {d} of {s} fails: {s}", .{ r.slot_index, format.slab_names[r.file_id], @errorName(r.reason) });
        }
        try sidecar.crossCheck(p, side);
        // Replicas may use this commit (an unsynced newer slot, if any, lost to it).
        if (p.mode == .writer) commit_mod.writePublish(p.file, p.last.commit_seq) catch {};
    }

    pub fn releaseSlab(p: *Pma) void {
        assert(p.mapped);
        p.map.deinit();
        p.file.close();
        p.mapped = false;
    }

    /// Read the meta pages of both slab files and list the slots that pass their own
    /// checks and their bounds, newest first.
    pub fn scanSlots(p: *Pma) Error!Scan {
        var scan: Scan = .{};
        errdefer scan.close();
        for (0..2) |i| {
            const id: u1 = @intCast(i);
            const name = format.slab_names[id];
            const how: safe_file.How = if (p.mode == .writer) .read_write else .read_only;
            const file = safe_file.open(p.dir, name, how) catch |e| switch (e) {
                error.FileNotFound => continue,
                else => return p.failIo(e, "Cannot open slab file {s}", .{name}),
            };
            scan.files[id].file = file;
            scan.found += 1;
            const st = file.stat() catch |e| return p.failIo(e, "Cannot stat {s}", .{name});
            scan.files[id].bytes = st.size;
            scan.files[id].inode = @bitCast(st.inode); // i64 on Windows
            var pages: [3 * format.meta_page_bytes]u8 align(8) = @splat(0);
            _ = file.preadAll(&pages, 0) catch |e| return p.failIo(e, "Cannot read meta of {s}", .{name});
            for (0..2) |si| {
                const page = pages[format.slotPageOffset(@intCast(si))..][0..format.meta_page_bytes];
                p.consider(&scan, id, @intCast(si), page);
            }
            var pub_rec: format.Publish = undefined;
            @memcpy(std.mem.asBytes(&pub_rec), pages[format.publish_offset_bytes..][0..@sizeOf(format.Publish)]);
            if (pub_rec.valid()) scan.files[id].published_seq = pub_rec.commit_seq;
        }
        assert(scan.candidate_count <= 2 * scan.found);
        scan.sortNewestFirst();
        return scan;
    }

    fn consider(p: *Pma, scan: *Scan, file_id: u1, slot_index: u1, page: []const u8) void {
        assert(scan.files[file_id].file != null);
        switch (format.readSlot(page, file_id, slot_index)) {
            .empty => {},
            .bad => |err| p.reject(file_id, slot_index, 0, err),
            .ok => |s| {
                scan.max_seq = @max(scan.max_seq, s.commit_seq);
                format.checkBounds(&s, scan.files[file_id].bytes, p.options.reserve_bytes) catch |err| {
                    p.reject(file_id, slot_index, s.commit_seq, err);
                    return;
                };
                scan.candidates[scan.candidate_count] = .{ .file_id = file_id, .slot = s };
                scan.candidate_count += 1;
            },
        }
    }

    /// Note why a slot was passed over (the first four are kept).
    pub fn reject(p: *Pma, file_id: u1, slot_index: u1, seq: u64, reason: Error) void {
        const r = &p.report;
        assert(r.rejection_count <= r.rejections.len);
        if (r.rejection_count == r.rejections.len) return;
        r.rejections[r.rejection_count] = .{ .file_id = file_id, .slot_index = slot_index, .commit_seq = seq, .reason = reason };
        r.rejection_count += 1;
    }

    /// Adopt the newest candidate whose data checks pass.
    fn choose(p: *Pma, scan: *Scan) Error!void {
        assert(!p.mapped);
        for (scan.newestFirst()) |*c| {
            if (!scan.published(c, p.mode)) continue;
            const map = (try p.mapCandidate(scan, c)) orelse continue;
            p.adopt(scan, c, map);
            return;
        }
        return p.failNoValidSlot();
    }

    /// Map a candidate's file and check its data; null (and a rejection) if that fails.
    pub fn mapCandidate(p: *Pma, scan: *Scan, c: *const Candidate) Error!?Mapping {
        const f = &scan.files[c.file_id];
        assert(c.slot.used_bytes <= f.bytes);
        var map = try p.mapFile(f.file.?, f.bytes, c.file_id);
        format.checkData(map.words(), &c.slot) catch |err| {
            map.deinit();
            p.reject(c.file_id, c.slot.slotIndex(), c.slot.commit_seq, err);
            return null;
        };
        return map;
    }

    /// Make a checked candidate this handle's slab (its file moves out of `scan`).
    pub fn adopt(p: *Pma, scan: *Scan, c: *const Candidate, map: Mapping) void {
        const f = &scan.files[c.file_id];
        assert(c.slot.used_bytes <= f.bytes);
        assert(c.slot.used_bytes <= map.mapped_bytes);
        p.map = map;
        p.mapped = true;
        p.file = f.file.?;
        f.file = null; // Ownership moves to the handle.
        p.file_id = c.file_id;
        p.inode = f.inode;
        p.file_bytes = f.bytes;
        p.last = c.slot;
        p.used = c.slot.used();
        p.next_slot_index = 1 - c.slot.slotIndex();
    }

    fn failNoValidSlot(p: *Pma) Error {
        const rs = p.report.rejected();
        if (rs.len == 0) return p.fail(error.NoSlab, "Cannot open slab: no committed meta slot in the directory", .{});
        // The most telling reason: that of the newest readable slot, else the first.
        var best = rs[0];
        for (rs) |r| {
            if (r.commit_seq > best.commit_seq) best = r;
        }
        assert(best.commit_seq >= rs[0].commit_seq);
        return p.fail(best.reason, "Cannot open slab: no meta slot passes its checks; slot {d} of {s} (commit {d}) fails: {s}", .{ best.slot_index, format.slab_names[best.file_id], best.commit_seq, @errorName(best.reason) });
    }
};
