//! Data checksums, the writing side: cutting data into page chunks and summing them, and the
//! coverage each commit records (format.zig describes the format: extent records, the open
//! extent, checked start).
//!
//! Cost per commit is O(the bytes it appends) plus at most one re-hash of the open extent
//! (`pma_record_extent_bytes`, 16 KiB): the open extent's old part is checked against the
//! last slot's `open_checksum` and the new data hashed on after it, in one XXH3 stream. When
//! the open extent reaches that size it is closed by an extent record appended right after
//! it, with one XXH3 sum per file page it touches. So data keeps the sums it was committed
//! with, and a commit never certifies bytes it has not just checked or written.
//!
//! Why XXH3: the threat is rot and misdirected writes, not an adversary (one who can write
//! the slab can rewrite its sums), so a fast non-cryptographic hash with 64-bit sums (a
//! random corruption passes with probability 2^-64) is enough; it is in Zig's std and much
//! faster than blake3 there, and CRC32C has no hardware path in std and only 32 bits.
//! Headers are hashed with their mug bits cleared, so the hashing hops from header to
//! header: each page part is copied into one buffer, its headers masked there, and hashed
//! in one call. Measured with that walk: 4.4 GiB/s per core warm (bench/pma_bench.ts).
//!
//! The reading side (verify, scrub) is scrub.zig.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("../constants.zig");
const format = @import("format.zig");
const SlabOffset = format.SlabOffset;
const Coverage = format.Coverage;
const page_words = format.page_words;
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;
const scrub = @import("scrub.zig");

// ------------------------------------------------------------------------- page chunks

/// Cuts words laid out from a start offset on into chunks at file page boundaries, and
/// hands each chunk's `format.chunkSum` to `sink.chunk(at, len_words, sum)`.
pub const PageSummer = struct {
    /// Offset of the next word to feed.
    at: SlabOffset,
    /// The current chunk so far: it starts at `at - len`, within `at`'s page.
    buf: [page_words]u64 = undefined,
    len: usize = 0,

    pub fn init(start: SlabOffset) PageSummer {
        assert(!start.lessThan(SlabOffset.data_start));
        return .{ .at = start };
    }

    /// Feed words that lie from `at` on, their headers already masked. A chunk that lies
    /// whole in `masked` is hashed in place, without a copy.
    pub fn feed(s: *PageSummer, sink: anytype, masked: []const u64) !void {
        var rest = masked;
        while (rest.len > 0) {
            const room = page_words - s.at.words() % page_words;
            if (s.len == 0 and rest.len >= room) {
                const chunk = rest[0..@intCast(room)];
                const from = s.at;
                s.at = s.at.add(room);
                rest = rest[chunk.len..];
                try sink.chunk(from, room, format.chunkSum(chunk, from));
                continue;
            }
            const n: usize = @intCast(@min(room, rest.len));
            @memcpy(s.buf[s.len..][0..n], rest[0..n]);
            s.len += n;
            s.at = s.at.add(n);
            rest = rest[n..];
            if (s.at.words() % page_words == 0) try s.emit(sink);
        }
        assert(s.len < page_words);
    }

    /// The free part of the buffer up to the page boundary: the caller copies the next
    /// words there and then calls `advance`.
    pub fn free(s: *PageSummer) []u64 {
        const count: usize = @intCast(page_words - s.at.words() % page_words);
        assert(s.len + count <= page_words); // The chunk may have begun inside the page.
        return s.buf[s.len..][0..count];
    }

    /// `count` words were placed at the start of `free()`.
    pub fn advance(s: *PageSummer, sink: anytype, count: u64) !void {
        assert(count > 0 and count <= page_words - s.at.words() % page_words);
        s.len += @intCast(count);
        s.at = s.at.add(count);
        if (s.at.words() % page_words == 0) try s.emit(sink);
    }

    /// Sum the last, partial chunk.
    pub fn finish(s: *PageSummer, sink: anytype) !void {
        try s.emit(sink);
        assert(s.len == 0);
    }

    fn emit(s: *PageSummer, sink: anytype) !void {
        if (s.len == 0) return;
        const from = SlabOffset.fromWords(s.at.words() - s.len);
        const len = s.len;
        s.len = 0;
        try sink.chunk(from, len, format.chunkSum(s.buf[0..len], from));
    }
};

/// Feeds the objects that tile an extent [start, end) of a slab to a `PageSummer`, a budget
/// of words at a time (a scrub step may stop inside a large atom and go on later).
pub const ExtentWalk = struct {
    summer: PageSummer,
    /// Where the next object's header is (ahead of `summer.at` inside a large atom).
    next_header: SlabOffset,
    end: SlabOffset,

    pub fn init(start: SlabOffset, end: SlabOffset) ExtentWalk {
        assert(!end.lessThan(start));
        return .{ .summer = PageSummer.init(start), .next_header = start, .end = end };
    }

    /// Walk on for about `budget_words` words; true once the extent is all summed.
    /// error.CorruptNoun when its objects do not tile it (a damaged header).
    ///
    /// A page part at a time: copy it into the summer's buffer, then clear the mug bits of
    /// the headers that lie in it (hopping from header to header by object size). A sink
    /// with an `object(at)` method is shown each object's header offset as it is passed
    /// (the scrub checks cached mugs there).
    pub fn step(w: *ExtentWalk, slab: [*]const u64, sink: anytype, budget_words: u64) !bool {
        var left = budget_words;
        while (w.summer.at.lessThan(w.end)) {
            if (left == 0) return false;
            const at = w.summer.at.words();
            const room = w.summer.free();
            const stop = @min(at + @min(room.len, left), w.end.words());
            const part = room[0..@intCast(stop - at)];
            @memcpy(part, slab[at..stop]);
            while (w.next_header.words() < stop) {
                const h = w.next_header.words();
                assert(h >= at);
                const size = format.objectWords(slab[h]);
                if (size > w.end.words() - h) return error.CorruptNoun;
                part[@intCast(h - at)] = format.ObjectHasher.maskHeader(slab[h]);
                if (comptime hasObjectHook(@TypeOf(sink))) sink.object(SlabOffset.fromWords(h));
                w.next_header = SlabOffset.fromWords(h + size);
            }
            try w.summer.advance(sink, part.len);
            left -= part.len;
        }
        assert(w.summer.at == w.end);
        try w.summer.finish(sink);
        return true;
    }
};

fn hasObjectHook(comptime Sink: type) bool {
    return @hasDecl(@typeInfo(Sink).pointer.child, "object");
}

/// A sink that writes the sums into a slice, in order (a record's page sums).
pub const SumSlice = struct {
    out: []u64,
    len: usize = 0,

    pub fn chunk(s: *SumSlice, at: SlabOffset, len_words: u64, sum: u64) error{}!void {
        assert(len_words > 0 and at.words() % page_words + len_words <= page_words);
        assert(s.len < s.out.len);
        s.out[s.len] = sum;
        s.len += 1;
    }
};

/// A sink that appends the sums to a list (GC, where the extent's size is not known ahead).
pub const SumList = struct {
    gpa: std.mem.Allocator,
    list: std.ArrayList(u64) = .empty,

    pub fn chunk(s: *SumList, at: SlabOffset, len_words: u64, sum: u64) error{OutOfMemory}!void {
        assert(len_words > 0 and at.words() % page_words + len_words <= page_words);
        try s.list.append(s.gpa, sum);
    }

    pub fn deinit(s: *SumList) void {
        s.list.deinit(s.gpa);
        s.* = undefined;
    }
};

// ------------------------------------------------------------------------- commits

/// The coverage of a commit that appended [start, p.used): the open extent's old part is
/// checked against the last slot, the new data added to its checksum, and once it reaches
/// `pma_record_extent_bytes` it is closed by a record appended to the slab. With data
/// checksums off, nothing below the new used size is covered.
pub fn coverAppended(p: *Pma, start: SlabOffset) Error!Coverage {
    assert(!p.used.lessThan(start));
    assert(start == p.last.used());
    if (!p.options.data_checksums) return Coverage.none(p.used);
    const last = p.last.coverage();
    const open = last.open_start;
    assert(!start.lessThan(open));
    var hasher = std.hash.XxHash3.init(0);
    format.hashObjects(std.hash.XxHash3, &hasher, p.map.words(), open, start) catch
        return openExtentFault(p, open, start);
    if (hasher.final() != last.open_checksum) return openExtentFault(p, open, start);
    if (p.used.since(open) * 8 < constants.pma_record_extent_bytes) {
        format.hashObjects(std.hash.XxHash3, &hasher, p.map.words(), start, p.used) catch unreachable;
        var c = last;
        c.open_checksum = hasher.final();
        return c;
    }
    const record = try appendRecord(p, open, last.last_record);
    assert(!record.start.lessThan(last.checked_start));
    return .{
        .checked_start = last.checked_start,
        .open_start = record.end(),
        .open_checksum = format.empty_checksum,
        .last_record = record.offset,
    };
}

/// The open extent's old part changed since it was committed: a fault (noted, so the
/// handle refuses further commits), and this commit fails.
fn openExtentFault(p: *Pma, open: SlabOffset, start: SlabOffset) Error {
    assert(!start.lessThan(open));
    scrub.noteFault(p, .{ .kind = .open_extent, .file_id = p.file_id, .offset_bytes = open.toBytes(), .length_bytes = start.since(open) * 8 });
    return p.fail(error.DataChecksum, "Cannot commit: the committed data at bytes {d}..{d} of {s} (pages {d}..{d}) no longer matches its checksum", .{
        open.toBytes(), start.toBytes(), format.slab_names[p.file_id], open.toBytes() / format.page_bytes, start.toBytes() / format.page_bytes,
    });
}

/// Append the record of the extent [start, p.used) (objects laid out by this commit, or
/// checked against the open checksum just now) right after it.
fn appendRecord(p: *Pma, start: SlabOffset, previous: ?SlabOffset) Error!format.Record {
    const at = p.used;
    const count = format.recordWords(format.pagesSpanned(start, at));
    try p.ensureCapacity(at.add(count));
    const rec = p.map.at(at)[0..count];
    var sink = SumSlice{ .out = format.recordSums(rec) };
    var walk = ExtentWalk.init(start, at);
    const done = walk.step(p.map.words(), &sink, std.math.maxInt(u64)) catch unreachable;
    assert(done and sink.len == sink.out.len);
    const record = format.sealRecord(rec, at, start, previous);
    p.used = record.end();
    assert(p.used.since(at) == count);
    return record;
}

/// Whether data [data start, end) gets an extent record of its own in a new slab: with
/// data checksums on, once it reaches the size at which a commit would close its extent.
fn newSlabHasRecord(end: SlabOffset, checksums: bool) bool {
    return checksums and end.since(SlabOffset.data_start) * 8 >= constants.pma_record_extent_bytes;
}

/// Words of the extent record after the data [data start, end) of a new slab (or 0).
pub fn newSlabRecordWords(end: SlabOffset, checksums: bool) u64 {
    if (!newSlabHasRecord(end, checksums)) return 0;
    return format.recordWords(format.pagesSpanned(SlabOffset.data_start, end));
}

/// The coverage of a new slab whose data [data start, end) was written (GC) with `sums`,
/// the page sums of that data: a record after it, or for little data an open extent whose
/// checksum is `data_checksum` (the data's `appendedChecksum`). Returns the coverage and,
/// when there is one, lays the record out in `rec_out` (allocated with `gpa`).
pub fn coverNewSlab(gpa: std.mem.Allocator, end: SlabOffset, sums: []const u64, data_checksum: u64, rec_out: *?[]u64) error{OutOfMemory}!Coverage {
    const start = SlabOffset.data_start;
    assert(sums.len == format.pagesSpanned(start, end));
    assert(rec_out.* == null);
    if (!newSlabHasRecord(end, true)) {
        return .{ .checked_start = start, .open_start = start, .open_checksum = data_checksum, .last_record = null };
    }
    const rec = try gpa.alloc(u64, format.recordWords(sums.len));
    @memcpy(format.recordSums(rec), sums);
    const record = format.sealRecord(rec, end, start, null);
    rec_out.* = rec;
    return .{ .checked_start = start, .open_start = record.end(), .open_checksum = format.empty_checksum, .last_record = end };
}
