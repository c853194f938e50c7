//! Tests of the scrub's cached-mug check (scrub.zig over mug_check.zig `checkCached`): the
//! data checksums leave out the mug bits of headers, so a bit flipped there in old data is
//! found only by comparing each cached mug with its object's data. A flip in an old atom's
//! and in an old cell's cached mug is found, with its place; a clean slab with many mugs
//! cached, before and after a GC, shows none.

const std = @import("std");
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("../workspace.zig").Workspace;
const mug_mod = @import("../mug.zig");
const pma_mod = @import("../pma.zig");
const Pma = pma_mod.Pma;
const SlabOffset = pma_mod.SlabOffset;
const scrub = @import("scrub.zig");
const kit = @import("test_kit.zig");
const TestDir = kit.TestDir;
const hashOf = kit.hashOf;

const testing = std.testing;

/// The header bits that cache an object's mug.
const mug_bits: u64 = 0xffff_ffff;

/// Commit events from..to, each a fresh 16-leaf tree (two leaves indirect atoms) consed
/// onto the committed root.
fn commitTrees(p: *Pma, ws: *Workspace, from: u64, to: u64) !void {
    var e = from;
    while (e <= to) : (e += 1) {
        const state = try ws.cell(try kit.buildTree(ws, testing.allocator, 4, e), p.root());
        _ = try p.commit(ws, state, e, &hashOf(e));
        if (ws.wantsCollect()) ws.collect();
    }
}

/// A full pass of a scrub of its own; the scrub, to read its mug counts.
fn fullPass(p: *Pma) !scrub.Scrub {
    var s: scrub.Scrub = .{};
    const progress = s.step(p, std.math.maxInt(u64));
    try testing.expect(progress.pass_done);
    return s;
}

fn expectCleanWithMugs(p: *Pma, mugs_min: u64) !void {
    const s = try fullPass(p);
    try testing.expectEqual(@as(u64, 0), s.faults);
    try testing.expect(s.mugs_checked >= mugs_min);
    try testing.expectEqual(@as(u64, 0), s.mugs_unchecked);
}

/// Old data with mugs cached: event 1's tree, whose leaf 0 (an indirect atom) and first
/// subtree (a cell) are returned, then 299 events over it, every mug cached.
fn buildOldData(dir: []const u8, ws: *Workspace, atom: *SlabOffset, cell: *SlabOffset) !void {
    const p = try Pma.open(testing.allocator, dir, .{ .sidecar = .off });
    defer p.close();
    p.attach(ws);
    try commitTrees(p, ws, 1, 1);
    const tree = ws.head(p.root());
    cell.* = SlabOffset.of(ws.head(tree));
    const leaf = ws.head(ws.head(ws.head(ws.head(tree))));
    try testing.expect(leaf.isIndirect());
    atom.* = SlabOffset.of(leaf);
    _ = try mug_mod.mug(ws, p.root()); // Caches event 1's mugs after its commit.
    try commitTrees(p, ws, 2, 300);
    _ = try mug_mod.mug(ws, p.root());
    try testing.expect(Header.mug(p.map.words()[atom.words()]) != 0);
    try testing.expect(Header.mug(p.map.words()[cell.words()]) != 0);
    try testing.expect(p.stats().used_bytes - atom.toBytes() > 64 << 10); // Old: not in the open extent.
    try expectCleanWithMugs(p, 300 * 17);
}

/// Whether the object at byte `offset` is a cell with `child` as its head or tail.
fn refersTo(p: *const Pma, offset: u64, child: SlabOffset) bool {
    const words = p.map.words();
    const at = offset / 8;
    if (Header.limbs(words[at]) != 0) return false;
    for (words[at + 1 .. at + 3]) |raw| {
        const n = Noun.fromRaw(raw);
        if (!n.isDirect() and SlabOffset.of(n) == child) return true;
    }
    return false;
}

/// Flip a mug bit of the header at `at`; a replica's scrub, 4 KiB a step, finds it there.
fn expectScrubFinds(dir: []const u8, at: SlabOffset) !void {
    try kit.flipByte(dir, "0.pma", at.toBytes());
    const r = try Pma.openReadOnly(testing.allocator, dir, .{});
    defer r.close();
    // The object, and its parent, whose mug is checked against the object's cached one.
    try testing.expectEqual(@as(u64, 2), r.checkAll().faults);
    var progress = r.scrubStep(4096);
    var steps: u64 = 1;
    while (!progress.pass_done) : (steps += 1) progress = r.scrubStep(4096);
    try testing.expect(steps > 8);
    try testing.expectEqual(@as(u64, 2), progress.faults);
    const f = progress.first_fault.?;
    try testing.expectEqual(pma_mod.FaultKind.mug, f.kind);
    // The first named is the object, or the cell that refers to it (whichever comes first).
    try testing.expect(f.offset_bytes == at.toBytes() or refersTo(r, f.offset_bytes, at));
    try testing.expectError(error.DataChecksum, r.verify());
    try testing.expect(std.mem.indexOf(u8, r.message(), "cached mug does not match its data") != null);
}

test "mug scrub: a flipped cached mug bit of an old atom and of an old cell is found" {
    var dir = try TestDir.init("mug-scrub");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var atom: SlabOffset = undefined;
    var cell: SlabOffset = undefined;
    try buildOldData(dir.path(), &ws, &atom, &cell);
    try expectScrubFinds(dir.path(), atom);
    try kit.flipByte(dir.path(), "0.pma", atom.toBytes()); // Back as it was.
    try expectScrubFinds(dir.path(), cell);
    {
        // A writer's scrub finds it: no more commits, and the fault is recorded.
        const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
        defer p.close();
        p.attach(&ws);
        var progress = p.scrubStep(1 << 20);
        while (!progress.pass_done) progress = p.scrubStep(1 << 20);
        try testing.expectEqual(pma_mod.FaultKind.mug, progress.first_fault.?.kind);
        try testing.expectError(error.DataChecksum, p.commit(&ws, Noun.one, 301, &hashOf(301)));
    }
    var diag: pma_mod.Diagnostic = .{};
    try kit.expectFails(error.DataChecksum, Pma.open(testing.allocator, dir.path(), .{ .diagnostic = &diag }));
    try testing.expect(std.mem.indexOf(u8, diag.message(), "pma.fault") != null);
}

test "mug scrub: no false fault with many mugs cached, uncached children, or after a GC" {
    var dir = try TestDir.init("mug-scrub-clean");
    defer dir.deinit();
    var ws = try Workspace.init(testing.allocator, 64 << 20);
    defer ws.deinit();
    var atom: SlabOffset = undefined;
    var cell: SlabOffset = undefined;
    try buildOldData(dir.path(), &ws, &atom, &cell);
    const p = try Pma.open(testing.allocator, dir.path(), .{ .sidecar = .off });
    defer p.close();
    p.attach(&ws);
    // Children without a cached mug (0 means "not computed": legal) are recomputed.
    const words = p.map.words();
    const a = Noun.fromRaw(words[cell.words() + 1]);
    const b = Noun.fromRaw(words[cell.words() + 2]);
    try testing.expect(a.isCell() and b.isCell());
    for ([_]SlabOffset{ SlabOffset.of(a), SlabOffset.of(b), atom }) |o| words[o.words()] &= ~mug_bits;
    try expectCleanWithMugs(p, 300 * 17);
    // A wrong mug of a cell whose children must be recomputed is still found.
    words[cell.words()] ^= 0x40;
    try testing.expectEqual(pma_mod.FaultKind.mug, (try fullPass(p)).first_fault.?.kind);
    words[cell.words()] ^= 0x40;
    try expectCleanWithMugs(p, 300 * 17);
    // GC copies the live data to the other file; every mug cached there checks.
    _ = try p.gc(&.{});
    _ = try mug_mod.mug(&ws, p.root());
    try expectCleanWithMugs(p, 300 * 17);
    try commitTrees(p, &ws, 301, 310);
    _ = try mug_mod.mug(&ws, p.root());
    try expectCleanWithMugs(p, 310 * 17);
}
