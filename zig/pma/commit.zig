//! Commit: make a root noun the durable state, and the durable write sequences it shares
//! with GC and slab creation.
//!
//! One fdatasync per commit: copy the not-yet-persistent part of the root into the slab
//! (`copyIn`), build the slot for it (in the older of the two slot pages), write the slot,
//! fdatasync (covering the data and the slot), then publish the commit for replicas. A
//! crash before the slot write loses nothing committed; a crash after it leaves either the
//! new slot or a torn one, which loses to the previous commit at open. Each of those points
//! is a named tripwire, so the crash tests abort a real process at every one of them.
//!
//! The slot also records the commit's data checksums (integrity.zig, `coverAppended`): the
//! new data joins the open extent, whose checksum the slot carries, and an extent record
//! appended after the copied objects closes the open extent once it is large enough. The
//! same single fdatasync covers the data, the record and the slot.
//!
//! A commit that appended more than `pma_seal_appended_bytes` is followed by a "seal": the
//! same state in the other slot page with an empty appended range, so that opening never
//! re-hashes a large append (open stays O(1) in the slab size).

const std = @import("std");
const assert = std.debug.assert;
const posix = std.posix;
const constants = @import("../constants.zig");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("../workspace.zig").Workspace;
const tripwire = @import("../tripwire.zig");
const format = @import("format.zig");
const SlabOffset = format.SlabOffset;
const Slot = format.Slot;
const SlotFields = format.SlotFields;
const mapping = @import("mapping.zig");
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;
const integrity = @import("integrity.zig");
const scrub = @import("scrub.zig");

/// Make `root_noun` the durable state for `event_number`: copy what is not yet in the
/// PMA (sharing preserved), write the older meta slot, one fdatasync. Returns the
/// root as a PMA noun (or the direct atom). `ws` is the workspace the root lives in.
pub fn commit(p: *Pma, ws: *Workspace, root_noun: Noun, event_number: u64, kernel_hash: *const [32]u8) Error!Noun {
    try p.checkWriter();
    try scrub.checkNoFault(p, "commit");
    if (event_number < p.last.event_number)
        return p.fail(error.EventOrder, "Cannot commit event {d}: event {d} is already committed", .{ event_number, p.last.event_number });
    const start = p.used;
    assert(start == p.last.used());
    const new_root = try copyIn(p, ws, root_noun);
    const copied_bytes = p.used.since(start) * 8;
    const coverage = integrity.coverAppended(p, start) catch |err| return rollback(p, start, err);
    const slot = stageSlot(p, .{
        .root = new_root,
        .start = start,
        .copied_bytes = copied_bytes,
        .coverage = coverage,
        .event_number = event_number,
        .kernel_hash = kernel_hash,
    });
    // Until the slot write begins, a failure just forgets the copied bytes.
    p.trip(.pma_commit_after_copy) catch |err| return rollback(p, start, err);
    p.trip(.pma_commit_before_slot) catch |err| return rollback(p, start, err);
    try writeDurable(p, &slot, .pma_commit_after_slot, .pma_commit_after_sync);
    try sealIfLarge(p);
    if (p.options.sidecar == .every_commit) {
        try p.trip(.pma_commit_before_sidecar);
        try p.writeSidecar();
    }
    assert(p.last.event_number == event_number);
    assert(!new_root.inWorkspace());
    return new_root;
}

fn rollback(p: *Pma, start: SlabOffset, err: Error) Error {
    assert(!p.poisoned);
    assert(!p.used.lessThan(start));
    p.used = start;
    return err;
}

/// The fields of the next slot of this file: the last slot's, in the other slot page, one
/// commit sequence later. The operation then changes what it changes.
fn nextSlotFields(p: *const Pma) SlotFields {
    var f = SlotFields.of(&p.last);
    assert(f.file_id == p.file_id);
    assert(f.slot_index != p.next_slot_index);
    f.slot_index = p.next_slot_index;
    f.commit_seq = p.max_seq + 1;
    return f;
}

const Staged = struct {
    root: Noun,
    /// Where this commit's appended bytes start (the previous used size).
    start: SlabOffset,
    /// Bytes of nouns it copied (an extent record, if appended, comes after them).
    copied_bytes: u64,
    coverage: format.Coverage,
    event_number: u64,
    kernel_hash: *const [32]u8,
};

/// The slot for a commit of the objects appended since `start`.
fn stageSlot(p: *Pma, c: Staged) Slot {
    assert(!p.used.lessThan(c.start));
    assert(c.copied_bytes <= p.used.since(c.start) * 8);
    var f = nextSlotFields(p);
    f.event_number = c.event_number;
    f.root = c.root;
    f.used = p.used;
    f.previous_used = c.start;
    f.appended_checksum = format.appendedChecksum(p.map.words(), c.start, p.used) catch unreachable;
    f.growth_count = p.growth_count;
    f.last_commit_appended_bytes = c.copied_bytes;
    f.kernel_hash = c.kernel_hash.*;
    f.coverage = c.coverage;
    const slot = format.buildSlot(f);
    assert(slot.used() == p.used);
    return slot;
}

/// Write `slot` into its page; one fdatasync then covers it and the data it names.
pub fn writeDurable(p: *Pma, slot: *const Slot, after_slot: ?tripwire.Point, after_sync: ?tripwire.Point) Error!void {
    assert(slot.slot_index == p.next_slot_index);
    assert(slot.file_id == p.file_id);
    assert(slot.commit_seq == p.max_seq + 1);
    assert(slot.used() == p.used);
    // The checks open will make of this slot (paired across the durable boundary).
    format.verify(format.passes(format.checkBounds(slot, p.file_bytes, p.options.reserve_bytes)), "a slot to write is out of bounds");
    if (std.debug.runtime_safety) assertDataChecks(p.map.words(), slot);
    p.poisoned = true; // From the first byte of the slot until the sync returns.
    writeSlotPage(p.file, slot) catch |e| return p.failIo(e, "Cannot write meta slot {d}", .{slot.slot_index});
    if (after_slot) |pt| try p.trip(pt);
    posix.fdatasync(p.file.handle) catch |e| return p.failIo(e, "Cannot sync {s}", .{format.slab_names[p.file_id]});
    if (after_sync) |pt| try p.trip(pt);
    p.poisoned = false;
    p.last = slot.*;
    p.max_seq = slot.commit_seq;
    p.next_slot_index = 1 - slot.slotIndex();
    // Replicas use only published commits; losing this write only delays them.
    writePublish(p.file, slot.commit_seq) catch {};
}

/// The checks open will make of a slot about to be written (paired across the durable
/// boundary), and, when the slot's write appended an extent record, that the record's page
/// sums match its extent as a scrub will read them.
fn assertDataChecks(slab: [*]const u64, slot: *const Slot) void {
    assert(format.passes(format.checkData(slab, slot)));
    const last = slot.coverage().last_record orelse return;
    if (last.lessThan(slot.previousUsed())) return; // Written by an earlier commit.
    const record = format.readRecord(slab, last, slot.coverage().open_start) catch unreachable;
    assert(scrub.extentMatches(slab, &record));
}

/// After a large append, write the other slot again with an empty appended range, so
/// that the next open checks nothing big.
pub fn sealIfLarge(p: *Pma) Error!void {
    assert(p.used == p.last.used());
    if (p.last.used_bytes - p.last.previous_used_bytes <= constants.pma_seal_appended_bytes) return;
    try p.trip(.pma_commit_before_seal);
    var f = nextSlotFields(p);
    f.previous_used = f.used;
    f.appended_checksum = format.appendedChecksum(p.map.words(), f.used, f.used) catch unreachable;
    const slot = format.buildSlot(f);
    try writeDurable(p, &slot, null, null);
    assert(p.last.previous_used_bytes == p.last.used_bytes);
}

// ------------------------------------------------------------------------- new slab files

/// Tripwires of `finishNewSlab` (none for the initial slab: a crash there leaves only a
/// temporary file, which the next open deletes).
pub const NewSlabPoints = struct {
    before_slot: ?tripwire.Point = null,
    after_sync: ?tripwire.Point = null,
    after_rename: ?tripwire.Point = null,
};

/// Make a new slab durable under its real name: slot 0 and publish record, fdatasync,
/// rename over `N.pma`, fsync of the directory.
pub fn finishNewSlab(p: *Pma, fresh: *mapping.NewSlab, slot: *const Slot, points: NewSlabPoints) Error!void {
    assert(slot.slot_index == 0);
    assert(slot.file_id == fresh.file_id);
    assert(slot.commit_seq == p.max_seq + 1);
    assert(!fresh.renamed);
    // The checks open will make of this slot (paired across the durable boundary).
    format.verify(format.passes(format.checkBounds(slot, fresh.bytes, p.options.reserve_bytes)), "a new slab's slot is out of bounds");
    if (std.debug.runtime_safety) assertDataChecks(fresh.map.words(), slot);
    const name = format.temp_names[fresh.file_id];
    if (points.before_slot) |pt| try p.trip(pt);
    writeSlotPage(fresh.file, slot) catch |e| return p.failIo(e, "Cannot write the meta of {s}", .{name});
    writePublish(fresh.file, slot.commit_seq) catch |e| return p.failIo(e, "Cannot write {s}", .{name});
    posix.fdatasync(fresh.file.handle) catch |e| return p.failIo(e, "Cannot sync {s}", .{name});
    if (points.after_sync) |pt| try p.trip(pt);
    p.dir.rename(name, format.slab_names[fresh.file_id]) catch |e|
        return p.failIo(e, "Cannot rename {s}", .{name});
    fresh.renamed = true;
    p.poisoned = true; // The new file is on disk; this handle has not switched to it yet.
    if (points.after_rename) |pt| try p.trip(pt);
    mapping.syncDir(p.dir) catch |e| return p.failIo(e, "Cannot sync the data directory", .{});
    p.poisoned = false;
}

/// The first slab of a new directory: `0.pma` with an empty data area and a zero root.
pub fn createInitialSlab(p: *Pma) Error!void {
    assert(p.max_seq == 0);
    assert(!p.mapped);
    var fresh = try p.createTemp(0, p.options.initial_bytes);
    defer p.abandon(&fresh);
    const empty = SlabOffset.data_start;
    const slot = format.buildSlot(.{
        .file_id = 0,
        .slot_index = 0,
        .commit_seq = 1,
        .event_number = 0,
        .root = Noun.zero,
        .used = empty,
        .previous_used = empty,
        .appended_checksum = format.appendedChecksum(fresh.map.words(), empty, empty) catch unreachable,
        .generation = 0,
        .growth_count = 0,
        .live_bytes_after_gc = 0,
        .last_commit_appended_bytes = 0,
        .kernel_hash = @splat(0),
        .coverage = format.Coverage.none(empty),
    });
    try finishNewSlab(p, &fresh, &slot, .{});
}

/// Write a slot's page image (verified to decode as `s`, the way open decodes it).
fn writeSlotPage(file: std.fs.File, s: *const Slot) !void {
    assert(s.magic == format.slot_magic);
    var page: [format.meta_page_bytes]u8 align(8) = undefined;
    format.encodeSlotPage(s, &page);
    try file.pwriteAll(&page, format.slotPageOffset(s.slotIndex()));
}

/// Publish commit `seq` as durable for replicas (after the sync that made it so).
pub fn writePublish(file: std.fs.File, seq: u64) !void {
    assert(seq > 0);
    const record = format.Publish.make(seq);
    try file.pwriteAll(std.mem.asBytes(&record), format.publish_offset_bytes);
}

// ------------------------------------------------------------------------- copy-in

/// Copy the workspace part of `root_noun` into the slab (Cheney: the copied objects
/// are their own queue, so no stack however deep the noun). Workspace headers hold
/// forwarding words while it runs, and are always restored before returning.
fn copyIn(p: *Pma, ws: *Workspace, root_noun: Noun) Error!Noun {
    assert(p.undo.items.len == 0);
    const start = p.used;
    defer restoreWorkspace(p);
    errdefer p.used = start;
    const new_root = try forwardIn(p, ws, root_noun, start);
    var scan = start;
    while (scan.lessThan(p.used)) {
        const obj = p.map.at(scan);
        const limbs = Header.limbs(obj[0]);
        if (limbs != 0) {
            scan = scan.add(1 + @as(u64, limbs));
            continue;
        }
        obj[1] = (try forwardIn(p, ws, Noun.fromRaw(obj[1]), start)).raw();
        obj[2] = (try forwardIn(p, ws, Noun.fromRaw(obj[2]), start)).raw();
        scan = scan.add(3);
    }
    assert(scan == p.used);
    return new_root;
}

/// The PMA copy of `n`, copying it verbatim on first sight. PMA nouns are kept, but
/// only if committed in this slab (below `start`).
inline fn forwardIn(p: *Pma, ws: *Workspace, n: Noun, start: SlabOffset) Error!Noun {
    if (n.isDirect()) return n;
    if (n.inPma()) {
        if (n.isForward() or !SlabOffset.fromWords(n.payload()).inData(start))
            return p.fail(error.ForeignNoun, "Cannot commit: a noun refers to PMA offset {d}, which this slab has not committed", .{n.payload()});
        return n;
    }
    const src = ws.bases.words(n);
    const h = src[0];
    if (Noun.fromRaw(h).isForward()) {
        assert(h & Noun.location_bit != 0); // Only this copy forwards during a commit.
        return SlabOffset.fromWords(h & Noun.payload_mask).ref(n.tag());
    }
    assert(n.isCell() == (Header.limbs(h) == 0));
    const size = format.objectWords(h);
    try p.ensureCapacity(p.used.add(size));
    p.undo.append(p.gpa, @intFromPtr(src)) catch
        return p.fail(error.Meme, "Cannot commit: out of memory for the copy's undo log", .{});
    const off = p.used;
    @memcpy(p.map.at(off)[0..size], src[0..size]);
    p.used = off.add(size);
    src[0] = Noun.tag_forward | Noun.location_bit | off.words();
    return off.ref(n.tag());
}

/// Put back the workspace headers that `forwardIn` replaced (the PMA copy kept them).
fn restoreWorkspace(p: *Pma) void {
    for (p.undo.items) |addr| {
        const src: [*]u64 = @ptrFromInt(addr);
        const fw = src[0];
        assert(Noun.fromRaw(fw).isForward());
        assert(fw & Noun.location_bit != 0);
        src[0] = p.map.at(SlabOffset.fromWords(fw & Noun.payload_mask))[0];
    }
    p.undo.clearRetainingCapacity();
}
