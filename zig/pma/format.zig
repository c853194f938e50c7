//! The on-disk format of a PMA slab file: the contract every writer keeps and every reader
//! checks. Nothing here touches a file descriptor or a mapping except through its arguments.
//!
//! A data directory holds up to two slab files, `0.pma` and `1.pma` (a copy-compaction GC
//! writes the live graph into the other one), an optional `pma.meta` sidecar (a verbatim
//! copy of the newest slot, for operators), and a `lock` file held by the single writer.
//!
//! Slab file layout (little-endian; byte offsets on the left, word offsets on the right):
//!
//!        0 +--------------------------------------+ word 0
//!          | meta slot 0: one `Slot` (232 bytes), |
//!          | zero padded to its 4 KiB page        |
//!     4096 +--------------------------------------+ word 512
//!          | meta slot 1                          |
//!     8192 +--------------------------------------+ word 1024
//!          | publish record: `Publish` (24 bytes) |
//!    12288 +--------------------------------------+ word 1536
//!          | reserved (zero)                      |
//!    16384 +--------------------------------------+ word 2048 = `SlabOffset.data_start`
//!          | data: noun objects back to back,     |
//!          | bump allocated, exactly as in the    |
//!          | workspace (header word, then head    |
//!          | and tail, or the limbs)              |
//!     used +--------------------------------------+ `Slot.used_bytes`
//!          | allocated, not yet committed         |
//!     size +--------------------------------------+ file size (a multiple of 64 KiB)
//!
//! References between objects are PMA references (noun.zig: location bit set, payload = the
//! `SlabOffset` of the object's header word). The PMA never refers into a workspace and
//! never holds forwarding words.
//!
//! Data checksums (format 2). The data area is covered by checksums written with the
//! commits that append it, so rot in old data is found (by `verify`, and by a scrub at a
//! bounded rate), not only a torn last commit:
//!
//!   data start      checked start                                   open start        used
//!     | unverified   | extent 1   | rec 1 | extent 2  | rec 2 | ...  | open extent     |
//!
//! - An extent record (`Record`) is an ordinary indirect atom in the data area, right after
//!   the extent it covers, so objects still tile the data area and GC drops it (nothing
//!   refers to it). Its limbs: checksum, extent start, previous record, one sum per file
//!   page the extent touches (`chunkSum`: XXH3 of the extent's part of that page, headers'
//!   mug bits cleared, seeded with the part's offset), and the magic `CELLAREX` last.
//! - Records tile [checked start, open start) backwards from the slot's `last_record`:
//!   each record ends where the next extent (or the open extent) starts.
//! - The open extent [open start, used) is the data since the last record, at most
//!   `pma_record_extent_bytes` plus one commit: each commit re-hashes it into the slot's
//!   `open_checksum`, and closes it with a record once it reaches that size. A GC writes
//!   the copied data the same way (one record covering it all).
//! - Data below checked start has no checksums ("unverified"): slabs written by format 1
//!   (whose slots still open, reading as all unverified), or commits made with data
//!   checksums off. A GC covers everything it copies.
//! - Mug bits of headers are excluded (mug caching fills them in after the commit);
//!   `verify` recomputes mugs and compares the cached ones instead (mug_check.zig).
//!
//! A slot is valid when: its magic and format version (1 or 2) match, its blake3
//! `meta_checksum` covers every byte before it, it names the file and slot page it sits
//! in, its used and previous-used sizes are word aligned with header <= previous <= used <=
//! file size, its coverage offsets are ordered (data start <= checked start <= open start
//! <= used, the last record between), its root is a direct atom or a reference to an
//! object in [data start, used), the objects in [previous used, used) tile that range
//! exactly and hash (XXH3, each header's mug bits cleared) to `appended_checksum`, the open
//! extent hashes the same way to `open_checksum`, and the last record passes its own
//! checksum and ends at open start. The valid slot with the highest `commit_seq` across
//! both files is the durable state; a torn slot write simply loses to the previous commit.
//! Older records and their extents are not read at open (open stays O(1) in the slab
//! size): `verify` and the scrub (integrity.zig) check them.
//!
//! Every slot is made by `buildSlot`, which checks the same layout rules on the way out that
//! `readSlot` and `checkBounds` check on the way in.

const std = @import("std");
const assert = std.debug.assert;
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;

/// The format written. Format 2 added data checksums (extent records and the slot fields
/// that locate them, in what format 1 left reserved).
pub const format_version: u32 = 2;
/// The oldest format still opened: its data has no checksums and is reported unverified.
pub const format_version_min: u32 = 1;
pub const slot_magic: u64 = std.mem.readInt(u64, "CELLARPM", .little);
pub const publish_magic: u64 = std.mem.readInt(u64, "CELLARPB", .little);
pub const record_magic: u64 = std.mem.readInt(u64, "CELLAREX", .little);
/// The unit of data checksums: one sum per 4 KiB page of the file an extent touches.
pub const page_bytes: u64 = 4096;
pub const page_words: u64 = page_bytes / 8;
/// Limbs of a record besides its page sums: checksum, extent start, previous, magic.
pub const record_fixed_limbs: u64 = 4;
pub const meta_page_bytes: u64 = 4096;
pub const header_bytes: u64 = 4 * meta_page_bytes;
pub const data_start_words: u64 = header_bytes / 8;
pub const publish_offset_bytes: u64 = 2 * meta_page_bytes;

pub const slab_names = [2][]const u8{ "0.pma", "1.pma" };
pub const temp_names = [2][]const u8{ "0.pma.tmp", "1.pma.tmp" };
pub const sidecar_name = "pma.meta";
pub const sidecar_temp_name = "pma.meta.tmp";
pub const lock_name = "lock";

/// An assertion that stays on in every build mode, ReleaseFast included. Used where a
/// broken invariant would be written into the durable format (a slot, a publish record):
/// crashing before the write keeps the previous commit, writing would lose data at the
/// next open or corrupt what replicas read. Each use costs a comparison or a hash of a few
/// hundred bytes per commit, nothing per noun.
pub inline fn verify(ok: bool, comptime what: []const u8) void {
    if (!ok) @panic("PMA format invariant broken: " ++ what);
}

/// Whether a check that returns an error union passed (for `verify` and `assert`).
pub inline fn passes(result: anytype) bool {
    _ = result catch return false;
    return true;
}

// ------------------------------------------------------------------------- offsets

/// A word offset into a slab file (word 0 is the file's first byte). PMA references carry
/// one as their payload. Its own type, so that it is never mixed up with a pointer, a byte
/// count or a count of words.
pub const SlabOffset = enum(u64) {
    _,

    /// The first word of the data area, where the first object lies.
    pub const data_start: SlabOffset = @enumFromInt(data_start_words);

    pub inline fn fromWords(offset_words: u64) SlabOffset {
        assert(offset_words <= Noun.payload_mask);
        return @enumFromInt(offset_words);
    }

    /// The offset of a byte position, which must be word aligned.
    pub inline fn fromBytes(offset_bytes: u64) SlabOffset {
        assert(offset_bytes % 8 == 0);
        return fromWords(offset_bytes / 8);
    }

    pub inline fn words(o: SlabOffset) u64 {
        return @intFromEnum(o);
    }

    pub inline fn toBytes(o: SlabOffset) u64 {
        const w = o.words();
        assert(w <= std.math.maxInt(u64) / 8);
        return w * 8;
    }

    /// The offset `count_words` words further on.
    pub inline fn add(o: SlabOffset, count_words: u64) SlabOffset {
        return fromWords(o.words() + count_words);
    }

    /// Words from `earlier` up to `o`.
    pub inline fn since(o: SlabOffset, earlier: SlabOffset) u64 {
        assert(earlier.words() <= o.words());
        return o.words() - earlier.words();
    }

    pub inline fn lessThan(a: SlabOffset, b: SlabOffset) bool {
        return a.words() < b.words();
    }

    /// The offset a PMA reference points at (its object's header word).
    pub inline fn of(n: Noun) SlabOffset {
        assert(n.inPma());
        assert(!n.isForward());
        return fromWords(n.payload());
    }

    /// A PMA reference of kind `kind` (`Noun.tag_cell` or `Noun.tag_indirect`) to `o`.
    pub inline fn ref(o: SlabOffset, kind: u64) Noun {
        assert(!o.lessThan(data_start));
        return Noun.pmaRef(kind, o.words());
    }

    /// True when `o` lies in the data area below `used`: where a reference may point.
    pub inline fn inData(o: SlabOffset, used: SlabOffset) bool {
        return !o.lessThan(data_start) and o.lessThan(used);
    }
};

// ------------------------------------------------------------------------- objects

/// Words of the object whose header word is `header`: 3 for a cell, 1 + limbs for an atom.
pub inline fn objectWords(header: u64) u64 {
    const limbs = Header.limbs(header);
    const size = if (limbs == 0) 3 else 1 + @as(u64, limbs);
    assert(size >= 2);
    return size;
}

/// Header bits that mug caching may change after a commit: never hashed.
const mug_mask: u64 = 0xffff_ffff;

/// Feed the objects tiling words [from, to) of `words` (the slab's word 0) to `hasher`,
/// each header with its mug bits cleared. Fails when the objects do not tile the range.
/// A buffer at a time: copy the words, then clear the mug bits of the headers among them
/// (hopping from header to header by object size).
pub fn hashObjects(
    comptime H: type,
    hasher: *H,
    words: [*]const u64,
    from: SlabOffset,
    to: SlabOffset,
) error{CorruptNoun}!void {
    assert(!from.lessThan(SlabOffset.data_start));
    assert(!to.lessThan(from));
    var buf: [1024]u64 = undefined;
    var next = from.words(); // The next object's header.
    var i = from.words();
    while (i < to.words()) {
        const n: usize = @intCast(@min(buf.len, to.words() - i));
        @memcpy(buf[0..n], words[i..][0..n]);
        while (next < i + n) {
            const size = objectWords(words[next]);
            if (size > to.words() - next) return error.CorruptNoun;
            buf[@intCast(next - i)] &= ~mug_mask;
            next += size;
        }
        hasher.update(std.mem.sliceAsBytes(buf[0..n]));
        i += n;
    }
    assert(i == to.words() and next == to.words());
}

/// The `appended_checksum` of the objects in [from, to).
pub fn appendedChecksum(words: [*]const u64, from: SlabOffset, to: SlabOffset) error{CorruptNoun}!u64 {
    assert(!to.lessThan(from));
    var h = std.hash.XxHash3.init(0);
    try hashObjects(std.hash.XxHash3, &h, words, from, to);
    return h.final();
}

/// Hashes objects for `appended_checksum` as they are appended one by one (GC writes the
/// new file this way, so it is not read again). Same result as `appendedChecksum`.
pub const ObjectHasher = struct {
    hasher: std.hash.XxHash3 = std.hash.XxHash3.init(0),

    /// Hash one whole object.
    pub fn object(o: *ObjectHasher, words: []const u64) void {
        assert(words.len == objectWords(words[0]));
        const h = [1]u64{words[0] & ~mug_mask};
        o.hasher.update(std.mem.sliceAsBytes(&h));
        o.hasher.update(std.mem.sliceAsBytes(words[1..]));
    }

    /// Hash objects that tile `words` exactly, their headers already masked by the caller.
    pub fn masked(o: *ObjectHasher, words: []const u64) void {
        assert(words.len >= 2); // At least one whole object.
        o.hasher.update(std.mem.sliceAsBytes(words));
    }

    /// Clear the mug bits of a header the way the checksum does.
    pub inline fn maskHeader(header: u64) u64 {
        return header & ~mug_mask;
    }

    pub fn final(o: *ObjectHasher) u64 {
        return o.hasher.final();
    }
};

// ------------------------------------------------------------------------- slots

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
    // Format 2 (zero in format 1 slots, which `coverage` reads as all unverified).
    /// Data below this offset has no checksums (written by format 1 or with them off).
    checked_start_bytes: u64 = 0,
    /// Start of the open extent [open start, used), which no record covers yet.
    open_start_bytes: u64 = 0,
    /// `appendedChecksum` of the open extent.
    open_checksum: u64 = 0,
    /// The newest extent record; 0 when there is none.
    last_record_bytes: u64 = 0,
    reserved: [4]u64 = @splat(0),
    /// blake3 of every byte above.
    meta_checksum: [32]u8,

    fn computeChecksum(s: *const Slot) [32]u8 {
        const bytes = std.mem.asBytes(s)[0..@offsetOf(Slot, "meta_checksum")];
        assert(bytes.len == @sizeOf(Slot) - 32);
        var out: [32]u8 = undefined;
        std.crypto.hash.Blake3.hash(bytes, &out, .{});
        return out;
    }

    /// Recompute the checksum after a field changed (tests that forge slots).
    pub fn seal(s: *Slot) void {
        s.meta_checksum = s.computeChecksum();
        assert(s.checksumOk());
    }

    pub fn checksumOk(s: *const Slot) bool {
        const c = s.computeChecksum();
        return std.mem.eql(u8, &c, &s.meta_checksum);
    }

    /// The used size as an offset (the first free word). Only for slots whose layout is
    /// checked (`checkLayout`).
    pub fn used(s: *const Slot) SlabOffset {
        assert(s.used_bytes >= header_bytes);
        return SlabOffset.fromBytes(s.used_bytes);
    }

    pub fn previousUsed(s: *const Slot) SlabOffset {
        assert(s.previous_used_bytes >= header_bytes);
        assert(s.previous_used_bytes <= s.used_bytes);
        return SlabOffset.fromBytes(s.previous_used_bytes);
    }

    pub fn rootNoun(s: *const Slot) Noun {
        return Noun.fromRaw(s.root);
    }

    /// What the data checksums of this commit cover. Only for slots whose layout is
    /// checked (`checkLayout`).
    pub fn coverage(s: *const Slot) Coverage {
        assert(s.format_version >= format_version_min);
        if (s.format_version < 2) return Coverage.none(s.used());
        assert(s.checked_start_bytes <= s.open_start_bytes);
        return .{
            .checked_start = SlabOffset.fromBytes(s.checked_start_bytes),
            .open_start = SlabOffset.fromBytes(s.open_start_bytes),
            .open_checksum = s.open_checksum,
            .last_record = if (s.last_record_bytes == 0) null else SlabOffset.fromBytes(s.last_record_bytes),
        };
    }

    pub fn fileId(s: *const Slot) u1 {
        assert(s.file_id <= 1);
        return @intCast(s.file_id);
    }

    pub fn slotIndex(s: *const Slot) u1 {
        assert(s.slot_index <= 1);
        return @intCast(s.slot_index);
    }
};

/// What the data checksums of a commit cover (see the header comment): records tile
/// [checked start, open start), the newest being `last_record`; the slot's own
/// `open_checksum` covers [open start, used).
pub const Coverage = struct {
    checked_start: SlabOffset,
    open_start: SlabOffset,
    open_checksum: u64,
    last_record: ?SlabOffset,

    /// Nothing below `used` has checksums: format 1 slots, and commits with them off.
    pub fn none(used: SlabOffset) Coverage {
        assert(!used.lessThan(SlabOffset.data_start));
        return .{ .checked_start = used, .open_start = used, .open_checksum = empty_checksum, .last_record = null };
    }

    /// Bytes with no checksums.
    pub fn unverifiedBytes(c: *const Coverage) u64 {
        return c.checked_start.since(SlabOffset.data_start) * 8;
    }
};

/// `appendedChecksum` of an empty range.
pub const empty_checksum: u64 = std.hash.XxHash3.hash(0, "");

comptime {
    assert(@sizeOf(Slot) == 232);
    assert(@sizeOf(Slot) <= meta_page_bytes);
    assert(@offsetOf(Slot, "meta_checksum") == 200);
    assert(@offsetOf(Slot, "checked_start_bytes") == 136); // Where format 1 kept zeros.
    assert(header_bytes % 8 == 0);
    assert(publish_offset_bytes + @sizeOf(Publish) <= header_bytes);
}

/// Everything a slot records but the constants and the checksum. Derive the next slot from
/// the last one with `of`, change what the operation changes, and `buildSlot` it.
pub const SlotFields = struct {
    file_id: u1,
    slot_index: u1,
    commit_seq: u64,
    event_number: u64,
    root: Noun,
    used: SlabOffset,
    previous_used: SlabOffset,
    appended_checksum: u64,
    generation: u64,
    growth_count: u64,
    live_bytes_after_gc: u64,
    last_commit_appended_bytes: u64,
    kernel_hash: [32]u8,
    coverage: Coverage,

    /// The fields of a valid slot.
    pub fn of(s: *const Slot) SlotFields {
        assert(s.magic == slot_magic);
        assert(s.checksumOk());
        return .{
            .file_id = s.fileId(),
            .slot_index = s.slotIndex(),
            .commit_seq = s.commit_seq,
            .event_number = s.event_number,
            .root = s.rootNoun(),
            .used = s.used(),
            .previous_used = s.previousUsed(),
            .appended_checksum = s.appended_checksum,
            .generation = s.generation,
            .growth_count = s.growth_count,
            .live_bytes_after_gc = s.live_bytes_after_gc,
            .last_commit_appended_bytes = s.last_commit_appended_bytes,
            .kernel_hash = s.kernel_hash,
            .coverage = s.coverage(),
        };
    }
};

/// The one place a `Slot` is made: fills in the constants and seals it, after checking the
/// layout rules that `checkLayout` enforces when it is read back (verified in every build
/// mode: a slot that would fail them must never reach the disk).
pub fn buildSlot(f: SlotFields) Slot {
    verify(f.commit_seq > 0, "a slot's commit sequence starts at 1");
    var s = Slot{
        .magic = slot_magic,
        .format_version = format_version,
        .file_id = f.file_id,
        .slot_index = f.slot_index,
        .commit_seq = f.commit_seq,
        .event_number = f.event_number,
        .root = f.root.raw(),
        .used_bytes = f.used.toBytes(),
        .previous_used_bytes = f.previous_used.toBytes(),
        .appended_checksum = f.appended_checksum,
        .generation = f.generation,
        .growth_count = f.growth_count,
        .live_bytes_after_gc = f.live_bytes_after_gc,
        .last_commit_appended_bytes = f.last_commit_appended_bytes,
        .kernel_hash = f.kernel_hash,
        .checked_start_bytes = f.coverage.checked_start.toBytes(),
        .open_start_bytes = f.coverage.open_start.toBytes(),
        .open_checksum = f.coverage.open_checksum,
        .last_record_bytes = if (f.coverage.last_record) |r| r.toBytes() else 0,
        .meta_checksum = undefined,
    };
    verify(passes(checkLayout(&s)), "a new slot breaks the layout rules");
    s.meta_checksum = s.computeChecksum();
    verify(s.checksumOk(), "a new slot fails its own checksum");
    return s;
}

/// The layout rules of a slot on their own (no file or reservation sizes): aligned sizes in
/// order, a root that is a direct atom or points into [data start, used).
pub fn checkLayout(s: *const Slot) error{OffsetOutOfRange}!void {
    if (s.used_bytes < header_bytes or s.used_bytes % 8 != 0) return error.OffsetOutOfRange;
    if (s.previous_used_bytes < header_bytes) return error.OffsetOutOfRange;
    if (s.previous_used_bytes > s.used_bytes) return error.OffsetOutOfRange;
    if (s.previous_used_bytes % 8 != 0) return error.OffsetOutOfRange;
    if (s.used_bytes / 8 > Noun.payload_mask) return error.OffsetOutOfRange;
    const root = s.rootNoun();
    if (root.isForward() or root.inWorkspace()) return error.OffsetOutOfRange;
    if (root.inPma()) {
        if (!SlabOffset.of(root).inData(s.used())) return error.OffsetOutOfRange;
    }
    try checkCoverageLayout(s);
}

/// The coverage offsets of a format 2 slot: aligned and ordered, data start <= checked
/// start <= open start <= used, and the last record (if any) in [checked start, open start).
fn checkCoverageLayout(s: *const Slot) error{OffsetOutOfRange}!void {
    assert(s.used_bytes >= header_bytes);
    if (s.format_version < 2) return;
    const checked = s.checked_start_bytes;
    const open = s.open_start_bytes;
    const last = s.last_record_bytes;
    if (checked % 8 != 0 or open % 8 != 0 or last % 8 != 0) return error.OffsetOutOfRange;
    if (checked < header_bytes or checked > open or open > s.used_bytes) return error.OffsetOutOfRange;
    if (last == 0) {
        if (checked != open) return error.OffsetOutOfRange;
    } else {
        if (last < checked or last + recordWords(1) * 8 > open) return error.OffsetOutOfRange;
    }
    assert(checked <= s.used_bytes);
}

pub const SlotRead = union(enum) {
    empty,
    bad: error{ BadMagic, MetaChecksum, UnsupportedVersion },
    ok: Slot,
};

/// Decode one slot page: empty (never written), rejected with a reason, or a slot whose own
/// checksum and identity are good (its bounds are checked separately, by `checkBounds`).
pub fn readSlot(page: []const u8, file_id: u1, slot_index: u1) SlotRead {
    assert(page.len >= @sizeOf(Slot));
    const raw = page[0..@sizeOf(Slot)];
    if (std.mem.allEqual(u8, raw, 0)) return .empty;
    var s: Slot = undefined;
    @memcpy(std.mem.asBytes(&s), raw);
    if (s.magic != slot_magic) return .{ .bad = error.BadMagic };
    if (!s.checksumOk()) return .{ .bad = error.MetaChecksum };
    if (s.format_version < format_version_min or s.format_version > format_version)
        return .{ .bad = error.UnsupportedVersion };
    if (s.file_id != file_id) return .{ .bad = error.MetaChecksum };
    if (s.slot_index != slot_index) return .{ .bad = error.MetaChecksum };
    return .{ .ok = s };
}

/// Checks a slot against the file and reservation sizes, before anything is mapped.
pub fn checkBounds(s: *const Slot, file_bytes: u64, reserve_bytes: u64) error{ OffsetOutOfRange, SlabTruncated }!void {
    try checkLayout(s);
    if (s.used_bytes > reserve_bytes) return error.OffsetOutOfRange;
    if (s.used_bytes > file_bytes) return error.SlabTruncated;
    assert(s.used_bytes >= header_bytes);
    assert(s.previous_used_bytes <= s.used_bytes);
}

/// Checks a slot against the mapped data (`words` is word 0 of the file): the appended
/// range's checksum and the root's header. The slot's bounds are checked already.
pub fn checkData(words: [*]const u64, s: *const Slot) error{ AppendedChecksum, CorruptNoun, DataChecksum }!void {
    const sum = appendedChecksum(words, s.previousUsed(), s.used()) catch
        return error.AppendedChecksum;
    if (sum != s.appended_checksum) return error.AppendedChecksum;
    const root = s.rootNoun();
    if (root.isDirect()) return checkCoverage(words, s);
    const off = SlabOffset.of(root);
    assert(off.inData(s.used()));
    const header = words[off.words()];
    if (root.isCell() != (Header.limbs(header) == 0)) return error.CorruptNoun;
    if (objectWords(header) > s.used().since(off)) return error.CorruptNoun;
    return checkCoverage(words, s);
}

/// What open reads of the data checksums: the open extent against `open_checksum`, and
/// the last record's own checksum and place. Older records and the extents they cover are
/// left to `verify` and the scrub (integrity.zig), so that open stays O(1).
pub fn checkCoverage(words: [*]const u64, s: *const Slot) error{DataChecksum}!void {
    const c = s.coverage();
    assert(!s.used().lessThan(c.open_start));
    const sum = appendedChecksum(words, c.open_start, s.used()) catch return error.DataChecksum;
    if (sum != c.open_checksum) return error.DataChecksum;
    const last = c.last_record orelse return;
    const r = readRecord(words, last, c.open_start) catch return error.DataChecksum;
    if (r.end() != c.open_start or r.start.lessThan(c.checked_start)) return error.DataChecksum;
}

// ------------------------------------------------------------------------- extent records

/// File pages that [start, end) touches: the number of page sums of its record.
pub fn pagesSpanned(start: SlabOffset, end: SlabOffset) u64 {
    assert(!end.lessThan(start));
    if (start == end) return 0;
    const pages = (end.words() - 1) / page_words - start.words() / page_words + 1;
    assert(pages >= 1);
    return pages;
}

/// Words of a record (header included) with `page_count` page sums.
pub fn recordWords(page_count: u64) u64 {
    assert(page_count >= 1);
    return 1 + record_fixed_limbs + page_count;
}

/// The sum of one chunk: the part of one file page that lies in an extent, as `masked`
/// words (object headers with their mug bits cleared), seeded with the chunk's offset so
/// that data written to the wrong place fails as well.
pub fn chunkSum(masked: []const u64, at: SlabOffset) u64 {
    assert(masked.len > 0 and masked.len <= page_words);
    assert(at.words() / page_words == (at.words() + masked.len - 1) / page_words);
    return std.hash.XxHash3.hash(at.words(), std.mem.sliceAsBytes(masked));
}

/// A checked extent record, read in place: it covers [start, offset) and lies at offset.
pub const Record = struct {
    offset: SlabOffset,
    start: SlabOffset,
    previous: ?SlabOffset,
    page_count: u64,

    /// Limb index of the first page sum (after checksum, start and previous).
    pub const sums_limb: u64 = 3;

    pub fn words(r: *const Record) u64 {
        return recordWords(r.page_count);
    }

    /// The first word after the record: where the next extent starts.
    pub fn end(r: *const Record) SlabOffset {
        return r.offset.add(r.words());
    }

    /// Page sum `i` (of the slab whose word 0 is `slab`).
    pub fn sum(r: *const Record, slab: [*]const u64, i: u64) u64 {
        assert(i < r.page_count);
        return slab[r.offset.words() + 1 + sums_limb + i];
    }
};

/// The checksum of a record laid out in `rec` at `offset`: every limb after it, and the
/// header's limb count (through the seed), bound to the record's offset.
fn recordChecksum(rec: []const u64, offset: SlabOffset) u64 {
    assert(rec.len >= recordWords(1));
    const seed = offset.words() ^ ObjectHasher.maskHeader(rec[0]) ^ record_magic;
    return std.hash.XxHash3.hash(seed, std.mem.sliceAsBytes(rec[2..]));
}

/// Where the page sums of a record being built in `rec` go (the caller fills them in).
pub fn recordSums(rec: []u64) []u64 {
    assert(rec.len >= recordWords(1));
    return rec[1 + Record.sums_limb .. rec.len - 1];
}

/// Finish a record laid out in `rec` (at `offset`, covering [start, offset)), whose page
/// sums are already in `recordSums(rec)`: header, limbs, magic, checksum. It is read back
/// the way verify and open read it, and must be the same record.
pub fn sealRecord(rec: []u64, offset: SlabOffset, start: SlabOffset, previous: ?SlabOffset) Record {
    const page_count = pagesSpanned(start, offset);
    verify(rec.len == recordWords(page_count), "a record's size does not match its extent");
    verify(previous == null or previous.?.lessThan(start), "a record's previous record is not below it");
    rec[0] = Header.atom(@intCast(rec.len - 1));
    rec[2] = start.words();
    rec[3] = if (previous) |o| o.words() else 0;
    rec[rec.len - 1] = record_magic;
    rec[1] = recordChecksum(rec, offset);
    const r = readRecordWords(rec, offset) catch @panic("PMA format invariant broken: a new record does not read back");
    verify(r.start == start and r.page_count == page_count and r.previous == previous, "a new record reads back differently");
    return r;
}

/// Read and check the record at `offset`, which must end at or below `limit`.
pub fn readRecord(slab: [*]const u64, offset: SlabOffset, limit: SlabOffset) error{DataChecksum}!Record {
    if (!offset.inData(limit)) return error.DataChecksum;
    const header = slab[offset.words()];
    const count = objectWords(header);
    if (Header.limbs(header) == 0 or count < recordWords(1)) return error.DataChecksum;
    if (count > limit.since(offset)) return error.DataChecksum;
    return readRecordWords(slab[offset.words()..][0..count], offset);
}

/// Check a record's own words (`rec`, the whole object, lying at `offset`).
fn readRecordWords(rec: []const u64, offset: SlabOffset) error{DataChecksum}!Record {
    assert(rec.len == objectWords(rec[0]));
    if (rec.len < recordWords(1) or rec[rec.len - 1] != record_magic) return error.DataChecksum;
    if (rec[1] != recordChecksum(rec, offset)) return error.DataChecksum;
    const start = rec[2];
    const previous = rec[3];
    if (start < data_start_words or start > offset.words()) return error.DataChecksum;
    const start_offset = SlabOffset.fromWords(start);
    const page_count = rec.len - recordWords(1) + 1;
    if (page_count != pagesSpanned(start_offset, offset)) return error.DataChecksum;
    if (previous != 0 and (previous < data_start_words or previous >= start)) return error.DataChecksum;
    return .{
        .offset = offset,
        .start = start_offset,
        .previous = if (previous == 0) null else SlabOffset.fromWords(previous),
        .page_count = page_count,
    };
}

/// The page image of a slot: the slot, then zeros. Decoding it the way open will
/// (`readSlot`) must give the same slot back; that is verified before any write.
pub fn encodeSlotPage(s: *const Slot, page: *align(8) [meta_page_bytes]u8) void {
    @memset(page, 0);
    @memcpy(page[0..@sizeOf(Slot)], std.mem.asBytes(s));
    const back = readSlot(page, s.fileId(), s.slotIndex());
    verify(back == .ok, "a slot page does not decode");
    verify(std.mem.eql(u8, std.mem.asBytes(&back.ok), std.mem.asBytes(s)), "a slot page decodes differently");
}

/// Byte offset of slot page `slot_index` in its file.
pub fn slotPageOffset(slot_index: u1) u64 {
    const offset = @as(u64, slot_index) * meta_page_bytes;
    assert(offset + meta_page_bytes <= publish_offset_bytes);
    return offset;
}

// ------------------------------------------------------------------------- publish record

/// The newest commit the writer has made durable (written after the fdatasync). Read-only
/// replicas use only slots up to it: a slot written but not yet synced may still be torn.
pub const Publish = extern struct {
    magic: u64,
    commit_seq: u64,
    checksum: u64,

    pub fn make(seq: u64) Publish {
        var p = Publish{ .magic = publish_magic, .commit_seq = seq, .checksum = 0 };
        p.checksum = std.hash.XxHash3.hash(0, std.mem.asBytes(&p)[0..16]);
        verify(p.valid(), "a new publish record is invalid");
        return p;
    }

    pub fn valid(p: *const Publish) bool {
        if (p.magic != publish_magic) return false;
        return p.checksum == std.hash.XxHash3.hash(0, std.mem.asBytes(p)[0..16]);
    }
};

comptime {
    assert(@sizeOf(Publish) == 24);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "format: a built slot reads back as itself, and forged ones are rejected" {
    const f = SlotFields{
        .file_id = 1,
        .slot_index = 0,
        .commit_seq = 9,
        .event_number = 4,
        .root = SlabOffset.data_start.ref(Noun.tag_cell),
        .used = SlabOffset.data_start.add(3),
        .previous_used = SlabOffset.data_start,
        .appended_checksum = 77,
        .generation = 1,
        .growth_count = 2,
        .live_bytes_after_gc = 24,
        .last_commit_appended_bytes = 24,
        .kernel_hash = @splat(5),
        .coverage = .{
            .checked_start = SlabOffset.data_start,
            .open_start = SlabOffset.data_start,
            .open_checksum = 78,
            .last_record = null,
        },
    };
    const s = buildSlot(f);
    var page: [meta_page_bytes]u8 align(8) = undefined;
    encodeSlotPage(&s, &page);
    try testing.expectEqual(SlotFields.of(&readSlot(&page, 1, 0).ok), f);
    try testing.expectEqual(SlotRead{ .bad = error.MetaChecksum }, readSlot(&page, 0, 0));
    try testing.expectEqual(SlotRead{ .bad = error.MetaChecksum }, readSlot(&page, 1, 1));
    try checkBounds(&s, header_bytes + 24, 1 << 30);
    try testing.expectError(error.SlabTruncated, checkBounds(&s, header_bytes + 16, 1 << 30));
    try testing.expectError(error.OffsetOutOfRange, checkBounds(&s, 1 << 30, header_bytes + 16));
    var forged = s;
    forged.root = SlabOffset.data_start.add(3).ref(Noun.tag_cell).raw();
    forged.seal();
    try testing.expectError(error.OffsetOutOfRange, checkLayout(&forged));
    forged = s;
    forged.previous_used_bytes = forged.used_bytes + 8;
    try testing.expectError(error.OffsetOutOfRange, checkLayout(&forged));
    forged = s;
    forged.open_start_bytes = forged.used_bytes + 8; // The open extent beyond used.
    try testing.expectError(error.OffsetOutOfRange, checkLayout(&forged));
    forged = s;
    forged.last_record_bytes = header_bytes; // A record, but no room for it below open start.
    try testing.expectError(error.OffsetOutOfRange, checkLayout(&forged));
    // A format 1 slot (zeros where format 2 keeps its coverage): all of its data unverified.
    forged = s;
    forged.format_version = 1;
    forged.checked_start_bytes = 0;
    forged.open_start_bytes = 0;
    forged.open_checksum = 0;
    try checkLayout(&forged);
    try testing.expectEqual(Coverage.none(s.used()), forged.coverage());
    try testing.expectEqual(@as(u64, 24), forged.coverage().unverifiedBytes());
    forged.format_version = 3;
    forged.seal();
    encodeSlotPageUnchecked(&forged, &page);
    try testing.expectEqual(SlotRead{ .bad = error.UnsupportedVersion }, readSlot(&page, 1, 0));
    page[0] ^= 1;
    try testing.expectEqual(SlotRead{ .bad = error.BadMagic }, readSlot(&page, 1, 0));
    @memset(&page, 0);
    try testing.expectEqual(SlotRead.empty, readSlot(&page, 1, 0));
}

/// A slot's page image without the checks of `encodeSlotPage` (tests of forged slots).
fn encodeSlotPageUnchecked(s: *const Slot, page: *align(8) [meta_page_bytes]u8) void {
    @memset(page, 0);
    @memcpy(page[0..@sizeOf(Slot)], std.mem.asBytes(s));
}

test "format: a record reads back as itself, and any flipped bit or misplacement fails" {
    const start = SlabOffset.data_start.add(page_words - 3); // Three words before a page boundary.
    const offset = start.add(page_words + 10); // So the extent touches three pages.
    try testing.expectEqual(@as(u64, 3), pagesSpanned(start, offset));
    try testing.expectEqual(@as(u64, 0), pagesSpanned(start, start));
    try testing.expectEqual(@as(u64, 1), pagesSpanned(start, start.add(3)));
    var slab: [data_start_words + 3 * page_words]u64 = @splat(0);
    const count = recordWords(3);
    const rec = slab[offset.words()..][0..count];
    for (recordSums(rec), 0..) |*sum, i| sum.* = 1000 + i;
    const previous = SlabOffset.data_start.add(2);
    const r = sealRecord(rec, offset, start, previous);
    try testing.expectEqual(offset.add(count), r.end());
    try testing.expectEqual(@as(u64, 1001), r.sum(&slab, 1));
    const back = try readRecord(&slab, offset, r.end());
    try testing.expectEqual(r, back);
    // It must fit below the limit it is read against.
    try testing.expectError(error.DataChecksum, readRecord(&slab, offset, SlabOffset.fromWords(r.end().words() - 1)));
    // Any one flipped bit, in any word (the mug bits of its header aside), fails.
    for (0..count) |i| {
        const bit: u6 = if (i == 0) 40 else @intCast((i * 7) % 64);
        rec[i] ^= @as(u64, 1) << bit;
        try testing.expectError(error.DataChecksum, readRecord(&slab, offset, r.end()));
        rec[i] ^= @as(u64, 1) << bit;
    }
    // The same words one word further on are not a record there.
    std.mem.copyBackwards(u64, slab[offset.words() + 1 ..][0..count], rec);
    try testing.expectError(error.DataChecksum, readRecord(&slab, offset.add(1), r.end().add(1)));
}

test "format: offsets convert between words, bytes and references" {
    const o = SlabOffset.fromBytes(header_bytes + 40);
    try testing.expectEqual(data_start_words + 5, o.words());
    try testing.expectEqual(header_bytes + 40, o.toBytes());
    try testing.expectEqual(@as(u64, 5), o.since(SlabOffset.data_start));
    try testing.expect(o.inData(o.add(1)));
    try testing.expect(!o.inData(o));
    try testing.expect(!SlabOffset.fromWords(3).inData(o));
    try testing.expectEqual(o, SlabOffset.of(o.ref(Noun.tag_indirect)));
    const p = Publish.make(12);
    try testing.expect(p.valid());
    var torn = p;
    torn.commit_seq = 13;
    try testing.expect(!torn.valid());
}
