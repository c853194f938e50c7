//! Persistent Memory Arena: long-lived nouns in an mmap'd slab file, addressed by offsets.
//!
//! A data directory holds up to two slab files, `0.pma` and `1.pma` (copy-compaction GC
//! writes the live graph into the other one), an optional `pma.meta` sidecar for operators,
//! and a `lock` file held by the single writer.
//!
//! Slab file layout (little-endian, offsets in bytes):
//!      0  meta slot 0 (one `Slot` in its own 4 KiB page)
//!   4096  meta slot 1
//!   8192  publish record: the newest durable commit, for read-only replicas
//!  12288  reserved
//!  16384  data: noun objects laid out back to back by bump allocation, exactly as in the
//!         workspace (header word, then head/tail or limbs); references between them are
//!         PMA references (location bit set, payload = word offset from the file start).
//!
//! Commit (one fdatasync): copy the not-yet-persistent part of the root into the slab, then
//! write the *older* slot, which carries the root, the used size and an XXH3 checksum of the
//! bytes appended since the previous commit (headers hashed with their mug bits cleared,
//! because mug caching may later fill them in). One fdatasync covers data and slot. At open
//! the slots of both files are checked (meta checksum, bounds, appended checksum, root
//! header) and the valid one with the highest commit sequence wins, so a torn commit simply
//! loses to the previous one. Opening never re-hashes the whole slab: a large append is
//! followed by an empty "seal" slot.
//!
//! Mapping: the file is mapped MAP_SHARED at the start of a large PROT_NONE reservation;
//! growth extends the file (fallocate, so a full disk is an error and never a SIGBUS) and
//! maps the new range with MAP_FIXED, so existing nouns never move. The file never shrinks
//! and is never truncated in place (a GC writes a temporary file and renames it), so a
//! read-only replica in another process can never fault on a vanished page.
//!
//! The PMA never points into the workspace: a commit copies every workspace noun it
//! reaches, and GC refuses a graph that does.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const posix = std.posix;
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const tripwire = @import("tripwire.zig");
const pma_gc = @import("pma_gc.zig");

// ------------------------------------------------------------------------- format

pub const format_version: u32 = 1;
pub const slot_magic: u64 = std.mem.readInt(u64, "CELLARPM", .little);
pub const publish_magic: u64 = std.mem.readInt(u64, "CELLARPB", .little);
pub const meta_page_bytes: u64 = 4096;
pub const header_bytes: u64 = 4 * meta_page_bytes;
pub const data_start_words: u64 = header_bytes / 8;
const publish_offset_bytes: u64 = 2 * meta_page_bytes;

pub const slab_names = [2][]const u8{ "0.pma", "1.pma" };
const temp_names = [2][]const u8{ "0.pma.tmp", "1.pma.tmp" };
pub const sidecar_name = "pma.meta";
const sidecar_temp_name = "pma.meta.tmp";
const lock_name = "lock";

/// One commit record. Stored in a slot page and, verbatim, in the `pma.meta` sidecar.
pub const Slot = extern struct {
    magic: u64,
    format_version: u32,
    /// Which file (0.pma / 1.pma) and which slot page the record was written for.
    file_id: u32,
    slot_index: u32,
    reserved0: u32 = 0,
    /// Increases by one with every slot written (commits, seals, GCs), across both files.
    commit_seq: u64,
    event_number: u64,
    /// The committed root noun word (a PMA reference or a direct atom).
    root: u64,
    /// Bytes of the file in use (header included): the bump allocation offset.
    used_bytes: u64,
    /// Start of the range [previous_used_bytes, used_bytes) that `appended_checksum` covers.
    previous_used_bytes: u64,
    appended_checksum: u64,
    /// Number of GCs this slab descends from.
    generation: u64,
    growth_count: u64,
    live_bytes_after_gc: u64,
    /// Bytes appended by the last commit (kept across seal slots, for stats).
    last_commit_appended_bytes: u64,
    kernel_hash: [32]u8,
    reserved: [8]u64 = @splat(0),
    /// blake3 of every byte above.
    meta_checksum: [32]u8,

    fn computeChecksum(s: *const Slot) [32]u8 {
        const bytes = std.mem.asBytes(s)[0..@offsetOf(Slot, "meta_checksum")];
        var out: [32]u8 = undefined;
        std.crypto.hash.Blake3.hash(bytes, &out, .{});
        return out;
    }

    pub fn seal(s: *Slot) void {
        s.meta_checksum = s.computeChecksum();
        assert(s.checksumOk());
    }

    pub fn checksumOk(s: *const Slot) bool {
        const c = s.computeChecksum();
        return std.mem.eql(u8, &c, &s.meta_checksum);
    }
};

comptime {
    assert(@sizeOf(Slot) == 232);
    assert(@sizeOf(Slot) <= meta_page_bytes);
}

const Publish = extern struct {
    magic: u64,
    commit_seq: u64,
    checksum: u64,

    fn make(seq: u64) Publish {
        var p = Publish{ .magic = publish_magic, .commit_seq = seq, .checksum = 0 };
        p.checksum = std.hash.XxHash3.hash(0, std.mem.asBytes(&p)[0..16]);
        return p;
    }

    fn valid(p: *const Publish) bool {
        return p.magic == publish_magic and
            p.checksum == std.hash.XxHash3.hash(0, std.mem.asBytes(p)[0..16]);
    }
};

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
    /// Receives the message when `open` fails (a handle keeps its own for later calls).
    diagnostic: ?*Diagnostic = null,
};

pub const Diagnostic = struct {
    buf: [constants.pma_message_bytes_max]u8 = undefined,
    len: u32 = 0,

    pub fn message(d: *const Diagnostic) []const u8 {
        return d.buf[0..d.len];
    }

    pub fn set(d: *Diagnostic, comptime fmt: []const u8, args: anytype) void {
        var w = std.Io.Writer.fixed(&d.buf);
        w.print(fmt, args) catch {};
        d.len = @intCast(w.end);
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
        return r.rejections[0..r.rejection_count];
    }
};

pub const Refresh = enum { unchanged, advanced, switched };

pub const GcResult = struct {
    used_bytes_before: u64,
    used_bytes_after: u64,
    live_bytes: u64,
};

// ------------------------------------------------------------------------- mapping

/// A PROT_NONE reservation with the first `mapped_bytes` of one file mapped at its start.
const Mapping = struct {
    reservation: []align(std.heap.page_size_min) u8,
    mapped_bytes: u64 = 0,
    writable: bool,

    fn init(reserve_bytes: u64, writable: bool) posix.MMapError!Mapping {
        const r = try posix.mmap(null, @intCast(reserve_bytes), posix.PROT.NONE, .{
            .TYPE = .PRIVATE,
            .ANONYMOUS = true,
            .NORESERVE = true,
        }, -1, 0);
        return .{ .reservation = r, .writable = writable };
    }

    fn deinit(m: *Mapping) void {
        posix.munmap(m.reservation);
        m.* = undefined;
    }

    fn words(m: *const Mapping) [*]u64 {
        return @ptrCast(m.reservation.ptr);
    }

    /// Map the file range [mapped_bytes, new_bytes) in place; new_bytes is page aligned.
    fn extend(m: *Mapping, fd: posix.fd_t, new_bytes: u64) posix.MMapError!void {
        assert(new_bytes > m.mapped_bytes and new_bytes <= m.reservation.len);
        assert(new_bytes % std.heap.pageSize() == 0);
        const prot: u32 = if (m.writable) posix.PROT.READ | posix.PROT.WRITE else posix.PROT.READ;
        const at: [*]align(std.heap.page_size_min) u8 = @alignCast(m.reservation.ptr + m.mapped_bytes);
        const len: usize = @intCast(new_bytes - m.mapped_bytes);
        _ = try posix.mmap(at, len, prot, .{ .TYPE = .SHARED, .FIXED = true }, fd, m.mapped_bytes);
        if (m.mapped_bytes == 0 and m.writable) {
            // Meta pages are written with pwrite only: a stray store must not reach them.
            posix.mprotect(m.reservation[0..header_bytes], posix.PROT.READ) catch {};
        }
        m.mapped_bytes = new_bytes;
    }
};

/// fsync of a directory (makes renames and new names durable). The handle must be a real
/// descriptor, not O_PATH. File systems that cannot sync directories are not an error.
fn syncDir(dir: std.fs.Dir) !void {
    const rc = posix.system.fsync(dir.fd);
    switch (posix.errno(rc)) {
        .SUCCESS, .INVAL => {},
        .IO => return error.InputOutput,
        .NOSPC => return error.NoSpaceLeft,
        else => |e| return posix.unexpectedErrno(e),
    }
}

fn pageAlign(bytes: u64) u64 {
    return std.mem.alignForward(u64, bytes, std.heap.pageSize());
}

/// Make the file at least `new_bytes` long with its blocks allocated, so that stores
/// through the mapping cannot hit a full disk (which would be SIGBUS, not an error).
fn extendFile(fd: posix.fd_t, old_bytes: u64, new_bytes: u64) !void {
    assert(new_bytes > old_bytes);
    if (builtin.os.tag == .linux) {
        const linux = std.os.linux;
        const rc = linux.fallocate(fd, 0, @intCast(old_bytes), @intCast(new_bytes - old_bytes));
        switch (linux.E.init(rc)) {
            .SUCCESS => return,
            .NOSPC => return error.NoSpaceLeft,
            .OPNOTSUPP, .NOSYS => {}, // File systems without fallocate: plain extension.
            else => |e| return posix.unexpectedErrno(e),
        }
    }
    try posix.ftruncate(fd, new_bytes);
}

// ------------------------------------------------------------------------- checksums

pub inline fn objectWords(header: u64) u64 {
    const limbs = Header.limbs(header);
    return if (limbs == 0) 3 else 1 + @as(u64, limbs);
}

/// Feed the objects tiling words [from, to) to `hasher`, each header with its mug bits
/// cleared (mugs are a cache that may be filled in after the commit). Fails when the
/// objects do not tile the range exactly.
pub fn hashObjects(comptime H: type, hasher: *H, words: [*]const u64, from: u64, to: u64) error{CorruptNoun}!void {
    assert(from <= to);
    const mug_mask: u64 = 0xffff_ffff;
    var buf: [1024]u64 = undefined;
    var n: usize = 0;
    var i = from;
    while (i < to) {
        const size = objectWords(words[i]);
        if (size > to - i) return error.CorruptNoun;
        if (n + size > buf.len) {
            hasher.update(std.mem.sliceAsBytes(buf[0..n]));
            n = 0;
        }
        if (size > buf.len) {
            const h = [1]u64{words[i] & ~mug_mask};
            hasher.update(std.mem.sliceAsBytes(&h));
            hasher.update(std.mem.sliceAsBytes(words[i + 1 .. i + size]));
        } else {
            buf[n] = words[i] & ~mug_mask;
            @memcpy(buf[n + 1 .. n + size], words[i + 1 .. i + size]);
            n += size;
        }
        i += size;
    }
    hasher.update(std.mem.sliceAsBytes(buf[0..n]));
}

fn appendedChecksum(words: [*]const u64, from_bytes: u64, to_bytes: u64) error{CorruptNoun}!u64 {
    var h = std.hash.XxHash3.init(0);
    try hashObjects(std.hash.XxHash3, &h, words, from_bytes / 8, to_bytes / 8);
    return h.final();
}

/// Appends objects to a new slab file with pwrite from a buffer (no page faults on a fresh
/// mapping), hashing them with mug bits cleared on the way, and starts writeback early so
/// that the final fdatasync has little left to wait for.
const SlabWriter = struct {
    file: std.fs.File,
    offset_bytes: u64 = header_bytes,
    writeback_bytes: u64 = header_bytes,
    buf: []u64,
    masked: []u64,
    len: usize = 0,
    hasher: std.hash.XxHash3 = std.hash.XxHash3.init(0),

    const buffer_words = (1 << 20) / 8;
    const writeback_step_bytes: u64 = 64 << 20;
    const mug_mask: u64 = 0xffff_ffff;

    fn init(gpa: std.mem.Allocator, file: std.fs.File) !SlabWriter {
        const buf = try gpa.alloc(u64, buffer_words);
        errdefer gpa.free(buf);
        return .{ .file = file, .buf = buf, .masked = try gpa.alloc(u64, buffer_words) };
    }

    fn deinit(w: *SlabWriter, gpa: std.mem.Allocator) void {
        gpa.free(w.buf);
        gpa.free(w.masked);
        w.* = undefined;
    }

    pub fn put(w: *SlabWriter, words: []const u64) !void {
        assert(words.len == objectWords(words[0]));
        if (w.len + words.len > w.buf.len) try w.flush();
        if (words.len > w.buf.len) {
            // A huge atom: hash and write it straight from the old slab.
            const h = [1]u64{words[0] & ~mug_mask};
            w.hasher.update(std.mem.sliceAsBytes(&h));
            w.hasher.update(std.mem.sliceAsBytes(words[1..]));
            try w.file.pwriteAll(std.mem.sliceAsBytes(words), w.offset_bytes);
            w.offset_bytes += words.len * 8;
            return;
        }
        @memcpy(w.buf[w.len..][0..words.len], words);
        @memcpy(w.masked[w.len..][0..words.len], words);
        w.masked[w.len] &= ~mug_mask;
        w.len += words.len;
    }

    fn flush(w: *SlabWriter) !void {
        if (w.len == 0) return;
        w.hasher.update(std.mem.sliceAsBytes(w.masked[0..w.len]));
        try w.file.pwriteAll(std.mem.sliceAsBytes(w.buf[0..w.len]), w.offset_bytes);
        w.offset_bytes += w.len * 8;
        w.len = 0;
        if (w.offset_bytes - w.writeback_bytes >= writeback_step_bytes) {
            startWriteback(w.file.handle, w.writeback_bytes, w.offset_bytes - w.writeback_bytes);
            w.writeback_bytes = w.offset_bytes;
        }
    }
};

/// Ask the kernel to start writing a range back now (asynchronously; best effort).
fn startWriteback(fd: posix.fd_t, offset_bytes: u64, len_bytes: u64) void {
    if (builtin.os.tag != .linux) return;
    const linux = std.os.linux;
    const sync_file_range_write: usize = 2;
    _ = linux.syscall4(.sync_file_range, @bitCast(@as(isize, fd)), offset_bytes, len_bytes, sync_file_range_write);
}

// ------------------------------------------------------------------------- slot checks

const SlotRead = union(enum) { empty, bad: Error, ok: Slot };

/// Decode one slot page: empty (never written), rejected with a reason, or a slot whose
/// own checksum and identity are good (bounds are checked separately).
fn readSlot(page: []const u8, file_id: u1, slot_index: u1) SlotRead {
    assert(page.len >= @sizeOf(Slot));
    const raw = page[0..@sizeOf(Slot)];
    if (std.mem.allEqual(u8, raw, 0)) return .empty;
    var s: Slot = undefined;
    @memcpy(std.mem.asBytes(&s), raw);
    if (s.magic != slot_magic) return .{ .bad = error.BadMagic };
    if (!s.checksumOk()) return .{ .bad = error.MetaChecksum };
    if (s.format_version != format_version) return .{ .bad = error.UnsupportedVersion };
    if (s.file_id != file_id or s.slot_index != slot_index) return .{ .bad = error.MetaChecksum };
    return .{ .ok = s };
}

/// Checks a slot against the file and reservation sizes, before anything is mapped.
fn checkBounds(s: *const Slot, file_bytes: u64, reserve_bytes: u64) Error!void {
    if (s.used_bytes < header_bytes or s.used_bytes % 8 != 0) return error.OffsetOutOfRange;
    if (s.previous_used_bytes < header_bytes or s.previous_used_bytes > s.used_bytes or
        s.previous_used_bytes % 8 != 0) return error.OffsetOutOfRange;
    if (s.used_bytes > reserve_bytes) return error.OffsetOutOfRange;
    const root = Noun.fromRaw(s.root);
    if (root.isForward() or root.inWorkspace()) return error.OffsetOutOfRange;
    if (root.inPma()) {
        const off = root.payload();
        if (off < data_start_words or off >= s.used_bytes / 8) return error.OffsetOutOfRange;
    }
    if (s.used_bytes > file_bytes) return error.SlabTruncated;
}

/// Checks a slot against the mapped data: the appended range and the root's header.
fn checkData(words: [*]const u64, s: *const Slot) Error!void {
    const sum = appendedChecksum(words, s.previous_used_bytes, s.used_bytes) catch
        return error.AppendedChecksum;
    if (sum != s.appended_checksum) return error.AppendedChecksum;
    const root = Noun.fromRaw(s.root);
    if (root.isDirect()) return;
    const off = root.payload();
    const header = words[off];
    if (root.isCell() != (Header.limbs(header) == 0)) return error.CorruptNoun;
    if (objectWords(header) > s.used_bytes / 8 - off) return error.CorruptNoun;
}

fn writeSlotPage(file: std.fs.File, s: *const Slot) !void {
    assert(s.checksumOk());
    var page: [meta_page_bytes]u8 align(8) = @splat(0);
    @memcpy(page[0..@sizeOf(Slot)], std.mem.asBytes(s));
    try file.pwriteAll(&page, @as(u64, s.slot_index) * meta_page_bytes);
}

fn writePublish(file: std.fs.File, seq: u64) !void {
    const p = Publish.make(seq);
    try file.pwriteAll(std.mem.asBytes(&p), publish_offset_bytes);
}

// ------------------------------------------------------------------------- scanning

const SlabFile = struct {
    file: ?std.fs.File = null,
    bytes: u64 = 0,
    inode: u64 = 0,
    published_seq: ?u64 = null,
};

const Candidate = struct { file_id: u1, slot: Slot };

/// The meta pages of both slab files, read once.
const Scan = struct {
    files: [2]SlabFile = .{ .{}, .{} },
    candidates: [4]Candidate = undefined,
    candidate_count: u8 = 0,
    found: u8 = 0,
    max_seq: u64 = 0,

    fn close(s: *Scan) void {
        for (&s.files) |*f| {
            if (f.file) |file| file.close();
            f.file = null;
        }
    }

    fn sortNewestFirst(s: *Scan) void {
        const lessThan = struct {
            fn f(_: void, a: Candidate, b: Candidate) bool {
                return a.slot.commit_seq > b.slot.commit_seq;
            }
        }.f;
        std.mem.sort(Candidate, s.candidates[0..s.candidate_count], {}, lessThan);
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
    /// Bump pointer (word offset of the first free word). Equals last.used_bytes / 8
    /// between commits.
    used_words: u64 = 0,
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
        assert(p.mapped and p.used_words * 8 == p.last.used_bytes);
        return p;
    }

    fn openInto(p: *Pma, dir_path: []const u8) Error!void {
        const o = p.options;
        if (o.reserve_bytes < constants.pma_reserve_bytes_min or
            o.initial_bytes < header_bytes + constants.pma_file_granule_bytes or
            o.initial_bytes % constants.pma_file_granule_bytes != 0 or
            o.initial_bytes > o.reserve_bytes)
            return p.fail(error.BadOptions, "Cannot open slab: bad reserve or initial size", .{});
        if (p.mode == .writer and o.create) {
            std.fs.cwd().makePath(dir_path) catch |e|
                return p.failIo(e, "Cannot create data directory {s}", .{dir_path});
        }
        p.dir = std.fs.cwd().openDir(dir_path, .{ .iterate = true }) catch |e| switch (e) {
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
        p.lock = p.dir.createFile(lock_name, .{
            .truncate = false,
            .lock = .exclusive,
            .lock_nonblocking = true,
        }) catch |e| switch (e) {
            error.WouldBlock => return p.fail(error.Locked, "Cannot open slab: another writer holds the directory", .{}),
            else => return p.failIo(e, "Cannot create the lock file", .{}),
        };
        // Leftovers of a crashed GC, slab creation or sidecar write: never authoritative.
        for (temp_names ++ [1][]const u8{sidecar_temp_name}) |name| {
            p.dir.deleteFile(name) catch {};
        }
    }

    // --------------------------------------------------------------- messages

    /// The message of the last error returned by this handle.
    pub fn message(p: *const Pma) []const u8 {
        return p.diag.message();
    }

    fn fail(p: *Pma, err: Error, comptime fmt: []const u8, args: anytype) Error {
        p.diag.set(fmt, args);
        return err;
    }

    fn failIo(p: *Pma, os_err: anyerror, comptime fmt: []const u8, args: anytype) Error {
        p.diag.set(fmt ++ ": {s}", args ++ .{@errorName(os_err)});
        return error.Io;
    }

    fn trip(p: *Pma, point: tripwire.Point) Error!void {
        tripwire.check(point) catch return p.fail(error.Tripwire, "Tripwire {s} fired", .{point.name()});
    }

    fn checkWriter(p: *Pma) Error!void {
        if (p.mode != .writer) return p.fail(error.ReadOnly, "Cannot write: the slab is open read-only", .{});
        if (p.poisoned) return p.fail(error.Poisoned, "Cannot write: an earlier failure left the slab uncertain; reopen it", .{});
    }

    // --------------------------------------------------------------- reading

    pub fn root(p: *const Pma) Noun {
        return Noun.fromRaw(p.last.root);
    }

    pub fn eventNumber(p: *const Pma) u64 {
        return p.last.event_number;
    }

    pub fn kernelHash(p: *const Pma) [32]u8 {
        return p.last.kernel_hash;
    }

    pub fn commitSeq(p: *const Pma) u64 {
        return p.last.commit_seq;
    }

    /// Address of word offset 0 of the slab (stable across growth; changes after GC or a
    /// refresh that switched files).
    pub fn base(p: *const Pma) usize {
        return @intFromPtr(p.map.reservation.ptr);
    }

    /// Let `ws` read this PMA's nouns (and, for a writer, cache mugs in their headers).
    pub fn attach(p: *Pma, ws: *Workspace) void {
        assert(p.attached == null);
        ws.bases.base[1] = p.base();
        ws.pma_writable = p.mode == .writer;
        p.attached = ws;
    }

    pub fn detach(p: *Pma, ws: *Workspace) void {
        assert(p.attached == ws);
        ws.bases.base[1] = 0;
        ws.pma_writable = false;
        p.attached = null;
    }

    fn rebase(p: *Pma) void {
        if (p.attached) |ws| ws.bases.base[1] = p.base();
    }

    pub fn stats(p: *const Pma) Stats {
        return .{
            .capacity_bytes = p.file_bytes,
            .reserve_bytes = p.map.reservation.len,
            .used_bytes = p.used_words * 8,
            .live_bytes_after_gc = p.last.live_bytes_after_gc,
            .growth_count = p.growth_count,
            .appended_bytes_last_commit = p.last.last_commit_appended_bytes,
            .generation = p.last.generation,
            .commit_seq = p.last.commit_seq,
            .event_number = p.last.event_number,
            .file_id = p.file_id,
        };
    }

    /// blake3 over the committed data bytes [16 KiB, used), each object header hashed with
    /// its mug bits cleared (mugs are a cache that readers may fill in). Also proves that
    /// the data parses as back-to-back objects.
    pub fn verify(p: *Pma) Error![32]u8 {
        var h = std.crypto.hash.Blake3.init(.{});
        hashObjects(std.crypto.hash.Blake3, &h, p.map.words(), data_start_words, p.last.used_bytes / 8) catch
            return p.fail(error.CorruptNoun, "Slab data does not parse as noun objects", .{});
        var out: [32]u8 = undefined;
        h.final(&out);
        return out;
    }

    // --------------------------------------------------------------- open

    fn load(p: *Pma) Error!void {
        const sidecar = p.readSidecarSlot();
        var scan = try p.scanSlots();
        defer scan.close();
        if (scan.found == 0) {
            if (p.mode == .reader or !p.options.create)
                return p.fail(error.NoSlab, "Cannot open slab: no 0.pma or 1.pma in the directory", .{});
            scan.close();
            try p.createInitialSlab();
            scan = try p.scanSlots();
        }
        try p.choose(&scan);
        errdefer p.releaseSlab();
        p.growth_count = p.last.growth_count;
        p.max_seq = @max(scan.max_seq, p.last.commit_seq);
        if (p.options.strict and p.report.rejection_count > 0) {
            const r = p.report.rejections[0];
            return p.fail(r.reason, "Cannot open slab (strict): slot {d} of {s} fails: {s}", .{ r.slot_index, slab_names[r.file_id], @errorName(r.reason) });
        }
        try p.crossCheckSidecar(sidecar);
        // Replicas may use this commit (an unsynced newer slot, if any, lost to it).
        if (p.mode == .writer) writePublish(p.file, p.last.commit_seq) catch {};
    }

    fn releaseSlab(p: *Pma) void {
        assert(p.mapped);
        p.map.deinit();
        p.file.close();
        p.mapped = false;
    }

    fn scanSlots(p: *Pma) Error!Scan {
        var scan: Scan = .{};
        errdefer scan.close();
        for (0..2) |i| {
            const id: u1 = @intCast(i);
            const mode: std.fs.File.OpenMode = if (p.mode == .writer) .read_write else .read_only;
            const file = p.dir.openFile(slab_names[id], .{ .mode = mode }) catch |e| switch (e) {
                error.FileNotFound => continue,
                else => return p.failIo(e, "Cannot open slab file {s}", .{slab_names[id]}),
            };
            scan.files[id].file = file;
            scan.found += 1;
            const st = file.stat() catch |e| return p.failIo(e, "Cannot stat {s}", .{slab_names[id]});
            scan.files[id].bytes = st.size;
            scan.files[id].inode = st.inode;
            var pages: [3 * meta_page_bytes]u8 align(8) = @splat(0);
            _ = file.preadAll(&pages, 0) catch |e| return p.failIo(e, "Cannot read meta of {s}", .{slab_names[id]});
            for (0..2) |si| {
                const page = pages[si * meta_page_bytes ..][0..meta_page_bytes];
                p.consider(&scan, id, @intCast(si), page);
            }
            var pub_rec: Publish = undefined;
            @memcpy(std.mem.asBytes(&pub_rec), pages[publish_offset_bytes..][0..@sizeOf(Publish)]);
            if (pub_rec.valid()) scan.files[id].published_seq = pub_rec.commit_seq;
        }
        scan.sortNewestFirst();
        return scan;
    }

    fn consider(p: *Pma, scan: *Scan, file_id: u1, slot_index: u1, page: []const u8) void {
        switch (readSlot(page, file_id, slot_index)) {
            .empty => {},
            .bad => |err| p.reject(file_id, slot_index, 0, err),
            .ok => |s| {
                scan.max_seq = @max(scan.max_seq, s.commit_seq);
                checkBounds(&s, scan.files[file_id].bytes, p.options.reserve_bytes) catch |err| {
                    p.reject(file_id, slot_index, s.commit_seq, err);
                    return;
                };
                scan.candidates[scan.candidate_count] = .{ .file_id = file_id, .slot = s };
                scan.candidate_count += 1;
            },
        }
    }

    fn reject(p: *Pma, file_id: u1, slot_index: u1, seq: u64, reason: Error) void {
        const r = &p.report;
        if (r.rejection_count == r.rejections.len) return;
        r.rejections[r.rejection_count] = .{ .file_id = file_id, .slot_index = slot_index, .commit_seq = seq, .reason = reason };
        r.rejection_count += 1;
    }

    /// A candidate a reader may use: one the writer has published as durable.
    fn published(scan: *const Scan, c: *const Candidate, mode: Mode) bool {
        if (mode == .writer) return true;
        const seq = scan.files[c.file_id].published_seq orelse return true;
        return c.slot.commit_seq <= seq;
    }

    /// Adopt the newest candidate whose data checks pass.
    fn choose(p: *Pma, scan: *Scan) Error!void {
        for (scan.candidates[0..scan.candidate_count]) |*c| {
            if (!published(scan, c, p.mode)) continue;
            var map = try p.mapFile(&scan.files[c.file_id], c.file_id);
            checkData(map.words(), &c.slot) catch |err| {
                map.deinit();
                p.reject(c.file_id, @intCast(c.slot.slot_index), c.slot.commit_seq, err);
                continue;
            };
            p.adopt(scan, c, map);
            return;
        }
        return p.failNoValidSlot();
    }

    fn mapFile(p: *Pma, f: *const SlabFile, file_id: u1) Error!Mapping {
        var map = Mapping.init(p.options.reserve_bytes, p.mode == .writer) catch
            return p.fail(error.ReserveFailed, "Cannot reserve {d} bytes of address space", .{p.options.reserve_bytes});
        errdefer map.deinit();
        const bytes = pageAlign(f.bytes);
        if (bytes > map.reservation.len)
            return p.fail(error.PmaFull, "Cannot map {s}: it is larger than the reservation", .{slab_names[file_id]});
        map.extend(f.file.?.handle, bytes) catch |e|
            return p.failIo(e, "Cannot map {s}", .{slab_names[file_id]});
        return map;
    }

    fn adopt(p: *Pma, scan: *Scan, c: *const Candidate, map: Mapping) void {
        assert(c.slot.used_bytes <= scan.files[c.file_id].bytes);
        p.map = map;
        p.mapped = true;
        p.file = scan.files[c.file_id].file.?;
        scan.files[c.file_id].file = null; // Ownership moves to the handle.
        p.file_id = c.file_id;
        p.inode = scan.files[c.file_id].inode;
        p.file_bytes = scan.files[c.file_id].bytes;
        p.last = c.slot;
        p.used_words = c.slot.used_bytes / 8;
        p.next_slot_index = @intCast(1 - c.slot.slot_index);
    }

    fn failNoValidSlot(p: *Pma) Error {
        const rs = p.report.rejected();
        if (rs.len == 0) return p.fail(error.NoSlab, "Cannot open slab: no committed meta slot in the directory", .{});
        // The most telling reason: that of the newest readable slot, else the first.
        var best = rs[0];
        for (rs) |r| {
            if (r.commit_seq > best.commit_seq) best = r;
        }
        return p.fail(best.reason, "Cannot open slab: no meta slot passes its checks; slot {d} of {s} (commit {d}) fails: {s}", .{ best.slot_index, slab_names[best.file_id], best.commit_seq, @errorName(best.reason) });
    }

    // --------------------------------------------------------------- new slab files

    const NewSlab = struct {
        file: std.fs.File,
        map: Mapping,
        file_id: u1,
        bytes: u64,
        renamed: bool = false,
    };

    /// Create `N.pma.tmp` of `bytes` (blocks allocated) and map it writable.
    fn createTemp(p: *Pma, file_id: u1, bytes: u64) Error!NewSlab {
        assert(bytes % constants.pma_file_granule_bytes == 0 and bytes > header_bytes);
        const file = p.dir.createFile(temp_names[file_id], .{ .read = true, .truncate = true }) catch |e|
            return p.failIo(e, "Cannot create {s}", .{temp_names[file_id]});
        errdefer {
            file.close();
            p.dir.deleteFile(temp_names[file_id]) catch {};
        }
        extendFile(file.handle, 0, bytes) catch |e| return p.failIo(e, "Cannot size {s}", .{temp_names[file_id]});
        if (bytes > p.options.reserve_bytes) return p.fail(error.PmaFull, "Cannot create a slab larger than the reservation", .{});
        var map = Mapping.init(p.options.reserve_bytes, true) catch
            return p.fail(error.ReserveFailed, "Cannot reserve {d} bytes of address space", .{p.options.reserve_bytes});
        errdefer map.deinit();
        map.extend(file.handle, bytes) catch |e| return p.failIo(e, "Cannot map {s}", .{temp_names[file_id]});
        return .{ .file = file, .map = map, .file_id = file_id, .bytes = bytes };
    }

    fn abandon(p: *Pma, fresh: *NewSlab) void {
        fresh.map.deinit();
        fresh.file.close();
        if (!fresh.renamed) p.dir.deleteFile(temp_names[fresh.file_id]) catch {};
    }

    /// Make a new slab durable under its real name: slot 0 and publish record, fdatasync,
    /// rename over `N.pma`, fsync of the directory.
    fn finishNewSlab(p: *Pma, fresh: *NewSlab, slot: *const Slot, points: [3]?tripwire.Point) Error!void {
        assert(slot.slot_index == 0 and slot.file_id == fresh.file_id);
        if (points[0]) |pt| try p.trip(pt);
        writeSlotPage(fresh.file, slot) catch |e| return p.failIo(e, "Cannot write the meta of {s}", .{temp_names[fresh.file_id]});
        writePublish(fresh.file, slot.commit_seq) catch |e| return p.failIo(e, "Cannot write {s}", .{temp_names[fresh.file_id]});
        posix.fdatasync(fresh.file.handle) catch |e| return p.failIo(e, "Cannot sync {s}", .{temp_names[fresh.file_id]});
        if (points[1]) |pt| try p.trip(pt);
        p.dir.rename(temp_names[fresh.file_id], slab_names[fresh.file_id]) catch |e|
            return p.failIo(e, "Cannot rename {s}", .{temp_names[fresh.file_id]});
        fresh.renamed = true;
        p.poisoned = true; // The new file is on disk; this handle has not switched to it yet.
        if (points[2]) |pt| try p.trip(pt);
        syncDir(p.dir) catch |e| return p.failIo(e, "Cannot sync the data directory", .{});
        p.poisoned = false;
    }

    fn createInitialSlab(p: *Pma) Error!void {
        var fresh = try p.createTemp(0, p.options.initial_bytes);
        defer p.abandon(&fresh);
        var slot = Slot{
            .magic = slot_magic,
            .format_version = format_version,
            .file_id = 0,
            .slot_index = 0,
            .commit_seq = 1,
            .event_number = 0,
            .root = Noun.zero.raw(),
            .used_bytes = header_bytes,
            .previous_used_bytes = header_bytes,
            .appended_checksum = appendedChecksum(fresh.map.words(), header_bytes, header_bytes) catch unreachable,
            .generation = 0,
            .growth_count = 0,
            .live_bytes_after_gc = 0,
            .last_commit_appended_bytes = 0,
            .kernel_hash = @splat(0),
            .meta_checksum = undefined,
        };
        slot.seal();
        try p.finishNewSlab(&fresh, &slot, .{ null, null, null });
    }

    // --------------------------------------------------------------- growth

    /// Make sure word offsets below `need_words` are mapped, growing the file in place.
    inline fn ensureCapacity(p: *Pma, need_words: u64) Error!void {
        if (need_words * 8 <= p.map.mapped_bytes) return;
        return p.grow(need_words * 8);
    }

    fn growthTarget(current_bytes: u64, need_bytes: u64) u64 {
        const step = @min(current_bytes, constants.pma_growth_step_bytes_max);
        const target = @max(need_bytes, current_bytes + step);
        return std.mem.alignForward(u64, target, constants.pma_file_granule_bytes);
    }

    fn grow(p: *Pma, need_bytes: u64) Error!void {
        assert(need_bytes > p.map.mapped_bytes);
        const target = growthTarget(p.map.mapped_bytes, need_bytes);
        if (target > p.map.reservation.len)
            return p.fail(error.PmaFull, "Cannot grow slab to {d} bytes: the reservation is {d}", .{ target, p.map.reservation.len });
        if (target > p.file_bytes) {
            extendFile(p.file.handle, p.file_bytes, target) catch |e|
                return p.failIo(e, "Cannot grow {s} to {d} bytes", .{ slab_names[p.file_id], target });
            p.file_bytes = target;
        }
        try p.trip(.pma_grow_after_ftruncate);
        p.map.extend(p.file.handle, target) catch |e|
            return p.failIo(e, "Cannot map the grown part of {s}", .{slab_names[p.file_id]});
        p.growth_count += 1;
        try p.trip(.pma_grow_after_mmap);
    }

    // --------------------------------------------------------------- commit

    /// Make `root_noun` the durable state for `event_number`: copy what is not yet in the
    /// PMA (sharing preserved), write the older meta slot, one fdatasync. Returns the
    /// root as a PMA noun (or the direct atom). `ws` is the workspace the root lives in.
    pub fn commit(p: *Pma, ws: *Workspace, root_noun: Noun, event_number: u64, kernel_hash: *const [32]u8) Error!Noun {
        try p.checkWriter();
        if (event_number < p.last.event_number)
            return p.fail(error.EventOrder, "Cannot commit event {d}: event {d} is already committed", .{ event_number, p.last.event_number });
        const start_words = p.used_words;
        assert(start_words * 8 == p.last.used_bytes);
        const new_root = try p.copyIn(ws, root_noun);
        const slot = p.stageSlot(new_root, start_words, event_number, kernel_hash);
        // Until the slot write begins, a failure just forgets the copied bytes.
        p.trip(.pma_commit_after_copy) catch |err| return p.rollback(start_words, err);
        p.trip(.pma_commit_before_slot) catch |err| return p.rollback(start_words, err);
        try p.writeDurable(&slot, .pma_commit_after_slot, .pma_commit_after_sync);
        try p.sealIfLarge();
        if (p.options.sidecar == .every_commit) {
            try p.trip(.pma_commit_before_sidecar);
            try p.writeSidecar();
        }
        return new_root;
    }

    fn rollback(p: *Pma, start_words: u64, err: Error) Error {
        assert(!p.poisoned and start_words <= p.used_words);
        p.used_words = start_words;
        return err;
    }

    /// The slot for a commit of the bytes appended since `start_words`.
    fn stageSlot(p: *Pma, new_root: Noun, start_words: u64, event_number: u64, kernel_hash: *const [32]u8) Slot {
        var slot = p.last;
        slot.slot_index = p.next_slot_index;
        slot.commit_seq = p.max_seq + 1;
        slot.event_number = event_number;
        slot.root = new_root.raw();
        slot.used_bytes = p.used_words * 8;
        slot.previous_used_bytes = start_words * 8;
        slot.appended_checksum = appendedChecksum(p.map.words(), slot.previous_used_bytes, slot.used_bytes) catch unreachable;
        slot.growth_count = p.growth_count;
        slot.last_commit_appended_bytes = slot.used_bytes - slot.previous_used_bytes;
        slot.kernel_hash = kernel_hash.*;
        slot.seal();
        return slot;
    }

    /// Write `slot` into its page; one fdatasync then covers it and the data it names.
    fn writeDurable(p: *Pma, slot: *const Slot, after_slot: ?tripwire.Point, after_sync: ?tripwire.Point) Error!void {
        assert(slot.slot_index == p.next_slot_index and slot.file_id == p.file_id);
        assert(slot.used_bytes == p.used_words * 8);
        p.poisoned = true; // From the first byte of the slot until the sync returns.
        writeSlotPage(p.file, slot) catch |e| return p.failIo(e, "Cannot write meta slot {d}", .{slot.slot_index});
        if (after_slot) |pt| try p.trip(pt);
        posix.fdatasync(p.file.handle) catch |e| return p.failIo(e, "Cannot sync {s}", .{slab_names[p.file_id]});
        if (after_sync) |pt| try p.trip(pt);
        p.poisoned = false;
        p.last = slot.*;
        p.max_seq = slot.commit_seq;
        p.next_slot_index = @intCast(1 - slot.slot_index);
        // Replicas use only published commits; losing this write only delays them.
        writePublish(p.file, slot.commit_seq) catch {};
    }

    /// After a large append, write the other slot again with an empty appended range, so
    /// that the next open checks nothing big.
    fn sealIfLarge(p: *Pma) Error!void {
        if (p.last.used_bytes - p.last.previous_used_bytes <= constants.pma_seal_appended_bytes) return;
        try p.trip(.pma_commit_before_seal);
        var slot = p.last;
        slot.slot_index = p.next_slot_index;
        slot.commit_seq = p.max_seq + 1;
        slot.previous_used_bytes = slot.used_bytes;
        slot.appended_checksum = appendedChecksum(p.map.words(), slot.used_bytes, slot.used_bytes) catch unreachable;
        slot.seal();
        try p.writeDurable(&slot, null, null);
    }

    /// Copy the workspace part of `root_noun` into the slab (Cheney: the copied objects
    /// are their own queue, so no stack however deep the noun). Workspace headers hold
    /// forwarding words while it runs, and are always restored before returning.
    fn copyIn(p: *Pma, ws: *Workspace, root_noun: Noun) Error!Noun {
        const start = p.used_words;
        p.undo.clearRetainingCapacity();
        defer p.restoreWorkspace();
        errdefer p.used_words = start;
        const new_root = try p.forwardIn(ws, root_noun, start);
        var scan = start;
        while (scan < p.used_words) {
            const obj = p.map.words() + scan;
            const limbs = Header.limbs(obj[0]);
            if (limbs != 0) {
                scan += 1 + @as(u64, limbs);
                continue;
            }
            obj[1] = (try p.forwardIn(ws, Noun.fromRaw(obj[1]), start)).raw();
            obj[2] = (try p.forwardIn(ws, Noun.fromRaw(obj[2]), start)).raw();
            scan += 3;
        }
        assert(scan == p.used_words);
        return new_root;
    }

    /// The PMA copy of `n`, copying it verbatim on first sight. PMA nouns are kept, but
    /// only if committed in this slab (below `start`).
    inline fn forwardIn(p: *Pma, ws: *Workspace, n: Noun, start: u64) Error!Noun {
        if (n.isDirect()) return n;
        if (n.inPma()) {
            const off = n.payload();
            if (off < data_start_words or off >= start or n.isForward())
                return p.fail(error.ForeignNoun, "Cannot commit: a noun refers to PMA offset {d}, which this slab has not committed", .{off});
            return n;
        }
        const src = ws.bases.words(n);
        const h = src[0];
        if (Noun.fromRaw(h).isForward()) {
            assert(h & Noun.location_bit != 0); // Only this copy forwards during a commit.
            return Noun.pmaRef(n.tag(), h & Noun.payload_mask);
        }
        assert(n.isCell() == (Header.limbs(h) == 0));
        const size = objectWords(h);
        try p.ensureCapacity(p.used_words + size);
        p.undo.append(p.gpa, @intFromPtr(src)) catch
            return p.fail(error.Meme, "Cannot commit: out of memory for the copy's undo log", .{});
        const off = p.used_words;
        @memcpy((p.map.words() + off)[0..size], src[0..size]);
        p.used_words += size;
        src[0] = Noun.tag_forward | Noun.location_bit | off;
        return Noun.pmaRef(n.tag(), off);
    }

    /// Put back the workspace headers that `forwardIn` replaced (the PMA copy kept them).
    fn restoreWorkspace(p: *Pma) void {
        const words = p.map.words();
        for (p.undo.items) |addr| {
            const src: [*]u64 = @ptrFromInt(addr);
            const fw = src[0];
            assert(Noun.fromRaw(fw).isForward() and fw & Noun.location_bit != 0);
            src[0] = words[fw & Noun.payload_mask];
        }
        p.undo.clearRetainingCapacity();
    }

    // --------------------------------------------------------------- GC

    /// Copy-compact the live graph (the committed root, plus `roots`, which must be PMA
    /// nouns or direct atoms and are updated in place) into the other slab file. The old
    /// file stays valid until the new one is durable. Afterwards every PMA noun not
    /// reachable from the root or `roots` is gone: a workspace must not hold PMA
    /// references across a GC except through `roots`.
    pub fn gc(p: *Pma, roots: []Noun) Error!GcResult {
        try p.checkWriter();
        for (roots) |r| {
            if (r.isDirect()) continue;
            if (!r.inPma() or r.isForward() or r.payload() < data_start_words or r.payload() >= p.used_words)
                return p.fail(error.ForeignNoun, "Cannot collect: a GC root is not a committed PMA noun", .{});
        }
        const used_before = p.used_words * 8;
        const target: u1 = @intCast(1 - p.file_id);
        // The target name holds a stale slab from two collections ago (every commit in it is
        // older than this file's newest). Unlinking it frees its extents, which on a large
        // slab takes a noticeable time; do it beside the mark and copy instead of inside the
        // final rename. It is joined before the rename, so it can never remove the new file.
        var stale = StaleUnlink.start(p.dir, slab_names[target]);
        defer stale.join();
        var marked = try p.markLive(roots);
        defer marked.deinit(p.gpa);
        const new_used = header_bytes + marked.live_words * 8;
        const headroom = @max(new_used / constants.pma_gc_headroom_divisor, 1);
        const file_bytes = std.mem.alignForward(u64, new_used + headroom, constants.pma_file_granule_bytes);
        var fresh = try p.createTemp(target, file_bytes);
        var adopted = false;
        defer if (!adopted) p.abandon(&fresh);
        try p.trip(.pma_gc_after_create);
        const checksum = try p.writeCompacted(&marked, &fresh);
        try p.trip(.pma_gc_after_copy);
        var slot = p.last;
        slot.file_id = target;
        slot.slot_index = 0;
        slot.commit_seq = p.max_seq + 1;
        slot.root = marked.forward(p.root()).raw();
        slot.used_bytes = new_used;
        slot.previous_used_bytes = header_bytes;
        slot.appended_checksum = checksum;
        slot.generation += 1;
        slot.live_bytes_after_gc = marked.live_words * 8;
        slot.growth_count = p.growth_count;
        slot.seal();
        stale.join();
        try p.finishNewSlab(&fresh, &slot, .{ .pma_gc_before_slot, .pma_gc_after_sync, .pma_gc_after_rename });
        p.switchTo(&fresh, &slot);
        adopted = true;
        for (roots) |*r| r.* = marked.forward(r.*);
        try p.afterGc();
        return .{ .used_bytes_before = used_before, .used_bytes_after = new_used, .live_bytes = marked.live_words * 8 };
    }

    /// Unlinks a stale slab on a helper thread; `join` waits for it (and is idempotent). If no
    /// thread can be started, the unlink simply happens in the caller's later rename.
    const StaleUnlink = struct {
        thread: ?std.Thread,

        fn start(dir: std.fs.Dir, name: []const u8) StaleUnlink {
            const thread = std.Thread.spawn(.{}, unlinkQuietly, .{ dir, name }) catch null;
            return .{ .thread = thread };
        }

        fn unlinkQuietly(dir: std.fs.Dir, name: []const u8) void {
            dir.deleteFile(name) catch {};
        }

        fn join(u: *StaleUnlink) void {
            if (u.thread) |t| t.join();
            u.thread = null;
        }
    };

    /// Slide the live objects into the new file through a `SlabWriter`; returns their
    /// appended checksum.
    fn writeCompacted(p: *Pma, marked: *const pma_gc.Marked, fresh: *NewSlab) Error!u64 {
        var writer = SlabWriter.init(p.gpa, fresh.file) catch
            return p.fail(error.Meme, "Cannot collect: out of memory for the write buffer", .{});
        defer writer.deinit(p.gpa);
        const copied = pma_gc.slide(marked, p.map.words(), p.used_words, &writer) catch |e|
            return p.failIo(e, "Cannot write {s}", .{temp_names[fresh.file_id]});
        writer.flush() catch |e| return p.failIo(e, "Cannot write {s}", .{temp_names[fresh.file_id]});
        assert(copied == marked.live_words);
        assert(writer.offset_bytes == header_bytes + copied * 8);
        return writer.hasher.final();
    }

    fn markLive(p: *Pma, roots: []const Noun) Error!pma_gc.Marked {
        var all: std.ArrayList(Noun) = .empty;
        defer all.deinit(p.gpa);
        all.append(p.gpa, p.root()) catch return p.fail(error.Meme, "Cannot collect: out of memory", .{});
        all.appendSlice(p.gpa, roots) catch return p.fail(error.Meme, "Cannot collect: out of memory", .{});
        return pma_gc.mark(p.gpa, p.map.words(), data_start_words, p.used_words, all.items) catch |err| switch (err) {
            error.Meme => p.fail(error.Meme, "Cannot collect: out of memory for the mark bitmap or stack", .{}),
            error.CorruptNoun => p.fail(error.CorruptNoun, "Cannot collect: the live graph holds a malformed noun", .{}),
        };
    }

    /// The new slab is durable: make it this handle's slab. The old mapping goes away.
    fn switchTo(p: *Pma, fresh: *NewSlab, slot: *const Slot) void {
        assert(fresh.renamed and !p.poisoned);
        const old_id = p.file_id;
        p.map.deinit();
        p.file.close();
        p.map = fresh.map;
        p.file = fresh.file;
        p.file_id = fresh.file_id;
        p.inode = if (fresh.file.stat()) |st| st.inode else |_| 0;
        p.file_bytes = fresh.bytes;
        p.used_words = slot.used_bytes / 8;
        p.last = slot.*;
        p.max_seq = slot.commit_seq;
        p.next_slot_index = 1;
        p.rebase();
        if (!p.options.keep_previous_slab) p.dir.deleteFile(slab_names[old_id]) catch {};
    }

    fn afterGc(p: *Pma) Error!void {
        try p.sealIfLarge();
        if (p.options.sidecar != .off) {
            try p.trip(.pma_gc_before_sidecar);
            try p.writeSidecar();
        }
    }

    // --------------------------------------------------------------- replicas

    /// Read-only handles: move to the newest durable commit. `.advanced` keeps every PMA
    /// noun read so far valid (same file, append-only); `.switched` means a GC replaced the
    /// file, and nouns read from the old root must be dropped.
    pub fn refresh(p: *Pma) Error!Refresh {
        if (p.mode != .reader) return .unchanged;
        p.report = .{};
        var scan = try p.scanSlots();
        defer scan.close();
        for (scan.candidates[0..scan.candidate_count]) |*c| {
            if (!published(&scan, c, p.mode)) continue;
            if (c.slot.commit_seq <= p.last.commit_seq) return .unchanged;
            const f = &scan.files[c.file_id];
            if (f.inode == p.inode) {
                if (p.advanceInPlace(f, c)) return .advanced;
                continue;
            }
            var map = try p.mapFile(f, c.file_id);
            checkData(map.words(), &c.slot) catch |err| {
                map.deinit();
                p.reject(c.file_id, @intCast(c.slot.slot_index), c.slot.commit_seq, err);
                continue;
            };
            p.map.deinit();
            p.file.close();
            p.adopt(&scan, c, map);
            p.rebase();
            return .switched;
        }
        return .unchanged;
    }

    fn advanceInPlace(p: *Pma, f: *const SlabFile, c: *const Candidate) bool {
        assert(f.inode == p.inode);
        const bytes = pageAlign(f.bytes);
        if (bytes > p.map.mapped_bytes) {
            if (bytes > p.map.reservation.len) return false;
            p.map.extend(p.file.handle, bytes) catch return false;
        }
        checkData(p.map.words(), &c.slot) catch |err| {
            p.reject(c.file_id, @intCast(c.slot.slot_index), c.slot.commit_seq, err);
            return false;
        };
        p.file_bytes = f.bytes;
        p.last = c.slot;
        p.used_words = c.slot.used_bytes / 8;
        return true;
    }

    // --------------------------------------------------------------- sidecar

    /// Write `pma.meta` (a copy of the newest slot): temp file, fsync, rename, fsync of the
    /// directory. For operators and as a cross-check; recovery never depends on it.
    pub fn writeSidecar(p: *Pma) Error!void {
        try p.checkWriter();
        const bytes = std.mem.asBytes(&p.last);
        const f = p.dir.createFile(sidecar_temp_name, .{ .truncate = true }) catch |e|
            return p.failIo(e, "Cannot create {s}", .{sidecar_temp_name});
        defer f.close();
        f.writeAll(bytes) catch |e| return p.failIo(e, "Cannot write {s}", .{sidecar_temp_name});
        f.sync() catch |e| return p.failIo(e, "Cannot sync {s}", .{sidecar_temp_name});
        try p.trip(.pma_sidecar_after_temp);
        p.dir.rename(sidecar_temp_name, sidecar_name) catch |e| return p.failIo(e, "Cannot rename {s}", .{sidecar_temp_name});
        syncDir(p.dir) catch |e| return p.failIo(e, "Cannot sync the data directory", .{});
    }

    const SidecarRead = union(enum) { absent, bad: Error, ok: Slot };

    fn readSidecarSlot(p: *Pma) SidecarRead {
        return readSidecarIn(p.dir);
    }

    fn crossCheckSidecar(p: *Pma, sidecar: SidecarRead) Error!void {
        switch (sidecar) {
            .absent => p.report.sidecar = .absent,
            .bad => |err| {
                p.report.sidecar = .invalid;
                if (p.options.strict) return p.fail(err, "Cannot open slab (strict): {s} is invalid", .{sidecar_name});
            },
            .ok => |s| {
                p.report.sidecar = .valid;
                const same = s.commit_seq == p.last.commit_seq and s.root == p.last.root and
                    s.used_bytes == p.last.used_bytes and s.event_number == p.last.event_number and
                    s.file_id == p.file_id;
                if (s.commit_seq > p.last.commit_seq or (s.commit_seq == p.last.commit_seq and !same))
                    return p.fail(error.SidecarMismatch, "Cannot open slab: {s} records commit {d} (event {d}) but the newest valid slot is commit {d} (event {d})", .{ sidecar_name, s.commit_seq, s.event_number, p.last.commit_seq, p.last.event_number });
            },
        }
    }
};

fn readSidecarIn(dir: std.fs.Dir) Pma.SidecarRead {
    const f = dir.openFile(sidecar_name, .{}) catch |e| switch (e) {
        error.FileNotFound => return .absent,
        else => return .{ .bad = error.Io },
    };
    defer f.close();
    var buf: [@sizeOf(Slot) + 1]u8 align(8) = undefined;
    const n = f.preadAll(&buf, 0) catch return .{ .bad = error.Io };
    if (n != @sizeOf(Slot)) return .{ .bad = error.SidecarChecksum };
    var s: Slot = undefined;
    @memcpy(std.mem.asBytes(&s), buf[0..@sizeOf(Slot)]);
    if (s.magic != slot_magic or !s.checksumOk()) return .{ .bad = error.SidecarChecksum };
    if (s.format_version != format_version) return .{ .bad = error.UnsupportedVersion };
    return .{ .ok = s };
}

/// Read and check the `pma.meta` sidecar of `dir_path` (operators, tools).
pub fn readSidecar(dir_path: []const u8, diag: ?*Diagnostic) Error!Slot {
    var local: Diagnostic = .{};
    const d = diag orelse &local;
    var dir = std.fs.cwd().openDir(dir_path, .{}) catch |e| {
        d.set("Cannot open data directory {s}: {s}", .{ dir_path, @errorName(e) });
        return error.Io;
    };
    defer dir.close();
    switch (readSidecarIn(dir)) {
        .absent => {
            d.set("Cannot read sidecar: no {s} in {s}", .{ sidecar_name, dir_path });
            return error.NoSlab;
        },
        .bad => |err| {
            d.set("Cannot read sidecar: {s} fails its checks: {s}", .{ sidecar_name, @errorName(err) });
            return err;
        },
        .ok => |s| return s,
    }
}
