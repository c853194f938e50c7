//! Read-only replicas: a handle opened with `Pma.openReadOnly` in any process follows the
//! writer's commits with `refresh`.
//!
//! A replica only ever uses commits the writer has published (the publish record is written
//! after the fdatasync that made a commit durable), so it never sees a slot that may still
//! be torn. In the same file (append-only, never truncated) the newer commit is taken in
//! place: the mapping grows and every PMA noun read so far keeps its offset. In another
//! file (a GC replaced it) the handle maps the new file and drops the old mapping: nouns
//! read from the old root must be dropped first (machine_pma.zig copies them out).

const std = @import("std");
const assert = std.debug.assert;
const format = @import("format.zig");
const mapping = @import("mapping.zig");
const arena = @import("arena.zig");
const Pma = arena.Pma;

/// Read-only handles: move to the newest durable commit. `.advanced` keeps every PMA
/// noun read so far valid (same file, append-only); `.switched` means a GC replaced the
/// file, and nouns read from the old root must be dropped.
pub fn refresh(p: *Pma) arena.Error!arena.Refresh {
    if (p.mode != .reader) return .unchanged;
    assert(p.lock == null);
    p.report = .{};
    var scan = try p.scanSlots();
    defer scan.close();
    for (scan.newestFirst()) |*c| {
        if (!scan.published(c, p.mode)) continue;
        if (c.slot.commit_seq <= p.last.commit_seq) return .unchanged;
        const f = &scan.files[c.file_id];
        if (f.inode == p.inode) {
            if (advanceInPlace(p, f, c)) return .advanced;
            continue;
        }
        const map = (try p.mapCandidate(&scan, c)) orelse continue;
        p.releaseSlab();
        p.adopt(&scan, c, map);
        p.rebase();
        assert(p.last.commit_seq == c.slot.commit_seq);
        return .switched;
    }
    return .unchanged;
}

/// Take a newer commit of the file already mapped: grow the mapping to the file's size and
/// check the commit's data. False (and a rejection, if its data fails) when it cannot.
fn advanceInPlace(p: *Pma, f: *const arena.SlabFile, c: *const arena.Candidate) bool {
    assert(f.inode == p.inode);
    assert(c.slot.commit_seq > p.last.commit_seq);
    const bytes = mapping.pageAlign(f.bytes);
    if (bytes > p.map.mapped_bytes) {
        if (bytes > p.map.reservation.len) return false;
        p.map.extend(p.file.handle, bytes) catch return false;
    }
    format.checkData(p.map.words(), &c.slot) catch |err| {
        p.reject(c.file_id, c.slot.slotIndex(), c.slot.commit_seq, err);
        return false;
    };
    assert(c.slot.used_bytes <= p.map.mapped_bytes);
    p.file_bytes = f.bytes;
    p.last = c.slot;
    p.used = c.slot.used();
    return true;
}
