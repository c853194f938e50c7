//! A machine's Persistent Memory Arena: attaching one (a writer or a read-only replica),
//! committing, collecting and refreshing it, and keeping every PMA noun the machine holds
//! valid when the mapping they live in changes.
//!
//! While a PMA is attached its nouns are read through `ws.bases.base[1]`, and the
//! interpreter and every noun operation use them exactly like workspace nouns. When the
//! mapping changes (a PMA GC moves them; a replica refresh may switch files; close unmaps),
//! every PMA reference the machine can reach is found (handle slots, the kept trace and
//! slogs, and the heads and tails of live workspace cells) and either re-pointed (GC: they
//! are the GC's extra roots) or copied into the workspace first (refresh, close:
//! `Evacuation`), so the host never holds a dangling reference.
//!
//! The functions take the machine first and are declared on `Machine` (machine.zig), so
//! callers write `m.pmaCommit(...)`.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const pma_mod = @import("pma.zig");
const Pma = pma_mod.Pma;
const SlabOffset = pma_mod.SlabOffset;
const machine = @import("machine.zig");
const Machine = machine.Machine;
const Error = machine.Error;
const ErrorKind = machine.ErrorKind;

/// Record a PMA failure (kind `.pma`): the pma.zig error name and the PMA's own message.
fn failPma(m: *Machine, err: pma_mod.Error, message: []const u8) Error {
    return m.failFile(@errorName(err), message);
}

pub fn attachedPma(m: *Machine) Error!*Pma {
    const p = m.pma orelse return m.fail(.bad_argument, "No PMA is open on this thread", .{});
    assert(p.attached == &m.ws);
    assert(m.ws.bases.base[1] == p.base());
    return p;
}

/// Open the slab in `dir` (a writer, or a read-only replica) and attach it: from now on
/// this machine reads its nouns. One PMA per machine.
pub fn pmaOpen(m: *Machine, dir: []const u8, read_only: bool, options: pma_mod.Options) Error!void {
    if (m.pma != null) return m.fail(.bad_argument, "Cannot open a PMA: this thread already has {s} open", .{m.pma_dir});
    if (dir.len == 0) return m.fail(.bad_argument, "Cannot open a PMA: the directory path is empty", .{});
    assert(m.ws.bases.base[1] == 0);
    const dir_copy = m.gpa.dupe(u8, dir) catch return m.fail(.meme, "Out of memory: cannot keep the PMA path", .{});
    errdefer m.gpa.free(dir_copy);
    const p = try openPmaHandle(m, dir_copy, read_only, options);
    p.attach(&m.ws);
    m.pma = p;
    m.pma_dir = dir_copy;
    m.pma_options = p.options;
    assert(m.ws.bases.base[1] == p.base());
}

fn openPmaHandle(m: *Machine, dir: []const u8, read_only: bool, options: pma_mod.Options) Error!*Pma {
    assert(dir.len > 0);
    if (builtin.os.tag == .windows) return m.failFile("Unsupported", "Cannot open a PMA: the persistent " ++
        "memory arena is not available on Windows yet (nouns, nock, jam and cue are)");
    var diag: pma_mod.Diagnostic = .{};
    var o = options;
    o.diagnostic = &diag;
    const p = (if (read_only) Pma.openReadOnly(m.gpa, dir, o) else Pma.open(m.gpa, dir, o)) catch |e|
        return failPma(m, e, diag.message());
    p.options.diagnostic = null; // `diag` dies with this frame.
    assert(p.attached == null);
    assert(p.mode == (if (read_only) pma_mod.Mode.reader else pma_mod.Mode.writer));
    return p;
}

/// Close the attached PMA. PMA nouns the machine still holds are copied into the
/// workspace first, so they stay valid (dispose them beforehand to skip the copy).
pub fn pmaClose(m: *Machine) Error!void {
    _ = try attachedPma(m);
    m.dashboard.forgetPma();
    // %memo entries keyed by the closing state would be copied out and, once a copy of
    // the same state is opened again, confirmed by deep comparison: drop them.
    m.dashboard.memo.clear();
    try evacuatePma(m, "close the PMA");
    dropPma(m);
    assert(m.pma == null);
    assert(m.ws.bases.base[1] == 0);
}

pub fn dropPma(m: *Machine) void {
    const p = m.pma.?;
    assert(m.pma_dir.len > 0);
    p.close(); // Detaches the workspace.
    assert(m.ws.bases.base[1] == 0);
    m.pma = null;
    m.gpa.free(m.pma_dir);
    m.pma_dir = &.{};
}

/// Commit the noun `root` as the durable state of `event_number`; a handle to the root
/// as it now lives in the PMA (the PMA never points into the workspace: commit copies).
pub fn pmaCommit(m: *Machine, root: u32, event_number: u64, kernel_hash: *const [32]u8) Error!u32 {
    const p = try attachedPma(m);
    const n = try m.noun(root);
    const committed = p.commit(&m.ws, n, event_number, kernel_hash) catch |e|
        return failPma(m, e, p.message());
    assert(!committed.inWorkspace());
    assert(p.eventNumber() == event_number);
    return m.hold(committed);
}

/// A handle to the committed root, read in place from the mapping.
pub fn pmaRoot(m: *Machine) Error!u32 {
    const p = try attachedPma(m);
    const root = p.root();
    assert(!root.inWorkspace());
    return m.hold(root);
}

pub const GcReport = struct {
    gc: pma_mod.GcResult,
    /// PMA references re-pointed (handle slots and workspace cells).
    references: u64,
    /// Time to collect the workspace and find those references, and of the PMA GC.
    scan_ns: u64,
    gc_ns: u64,
};

/// Copy-compact the PMA. Every PMA reference the machine holds is a root of the GC and
/// is re-pointed to the noun's new place.
pub fn pmaGc(m: *Machine) Error!GcReport {
    const p = try attachedPma(m);
    m.dashboard.forgetPma();
    var timer = std.time.Timer.start() catch unreachable;
    var refs = try pmaReferences(m);
    defer refs.deinit(m.gpa);
    const values = m.gpa.alloc(Noun, refs.items.len) catch
        return m.fail(.meme, "Out of memory: cannot list {d} PMA references", .{refs.items.len});
    defer m.gpa.free(values);
    for (refs.items, values) |slot, *v| v.* = slot.*;
    const scan_ns = timer.lap();
    const result = p.gc(values);
    // A GC that fails after switching files has already re-pointed `values`, and one
    // that fails before has left them as they were: write them back either way.
    for (refs.items, values) |slot, v| slot.* = v;
    const r = result catch |e| return failPma(m, e, p.message());
    assert(m.ws.bases.base[1] == p.base());
    // Not `after <= before`: a GC adds an extent record, so a slab with no garbage grows.
    assert(r.live_bytes <= r.used_bytes_before);
    return .{ .gc = r, .references = refs.items.len, .scan_ns = scan_ns, .gc_ns = timer.read() };
}

/// Replicas: move to the newest durable commit of the directory. It is opened as a
/// second handle while the first stays mapped. In the same file (append-only, never
/// truncated) every PMA noun held keeps its offset; in another file (a GC replaced it)
/// they are copied into the workspace before the old mapping goes. Either way no held
/// noun dangles, and a failure leaves the replica where it was. A writer is always
/// current.
pub fn pmaRefresh(m: *Machine) Error!pma_mod.Refresh {
    const p = try attachedPma(m);
    if (p.mode == .writer) return .unchanged;
    m.dashboard.forgetPma();
    const fresh = try openPmaHandle(m, m.pma_dir, true, m.pma_options);
    assert(fresh != p);
    if (fresh.commitSeq() <= p.commitSeq()) {
        fresh.close();
        return .unchanged;
    }
    // The old file is still open here, so its inode number cannot have been reused.
    const same_file = fresh.inode == p.inode;
    if (!same_file) evacuatePma(m, "refresh the replica") catch |e| {
        fresh.close();
        return e;
    };
    // The scrub goes on where it was (it starts over by itself in another file), and a
    // fault found stays found.
    fresh.scrub = p.scrub;
    fresh.fault = p.fault;
    p.close(); // Detaches the workspace.
    fresh.attach(&m.ws);
    m.pma = fresh;
    assert(m.ws.bases.base[1] == fresh.base());
    return if (same_file) .advanced else .switched;
}

pub fn pmaVerify(m: *Machine) Error![32]u8 {
    const p = try attachedPma(m);
    return p.verify() catch |e| failPma(m, e, p.message());
}

// ------------------------------------------------------------------------- data checksums
//
// Not declared on `Machine`: ffi.zig calls them here directly.

/// One step of the attached PMA's scrub (about `budget_bytes`), as JSON (`writeProgress`).
pub fn pmaScrub(m: *Machine, budget_bytes: u64, buf: []u8) Error!usize {
    const p = try attachedPma(m);
    if (budget_bytes == 0) return m.fail(.bad_argument, "Bad scrub budget: it must be at least 1 byte", .{});
    return progressJson(m, p.scrubStep(budget_bytes), buf);
}

/// Every data checksum of the attached PMA checked now (one pass), as JSON.
pub fn pmaCheck(m: *Machine, buf: []u8) Error!usize {
    const p = try attachedPma(m);
    return progressJson(m, p.checkAll(), buf);
}

/// Turn the data checksums of the attached writer's commits on or off.
pub fn pmaSetDataChecksums(m: *Machine, on: bool) Error!void {
    const p = try attachedPma(m);
    if (p.mode != .writer) return m.fail(.bad_argument, "Cannot set data checksums: the PMA is open read-only", .{});
    p.options.data_checksums = on;
    m.pma_options.data_checksums = on;
}

/// The mug of the noun `handle` (of the attached PMA, or a direct atom) recomputed without
/// caches, as JSON: `{"mug":..,"objects":..,"cachedMugs":..,"wrongCachedMugs":..,
/// "firstWrongOffset":null}` (the offset in bytes).
pub fn pmaRecomputeMug(m: *Machine, handle: u32, buf: []u8) Error!usize {
    const p = try attachedPma(m);
    const n = try m.noun(handle);
    const r = p.recomputeMug(n) catch |e| return failPma(m, e, p.message());
    var w = std.Io.Writer.fixed(buf);
    writeMugCheck(&w, &r) catch return m.fail(.bad_argument, "Bad mug check buffer: {d} bytes are too few", .{buf.len});
    assert(w.end > 0);
    return w.end;
}

fn writeMugCheck(w: *std.Io.Writer, r: *const pma_mod.MugCheck) std.Io.Writer.Error!void {
    assert(r.mug != 0);
    try w.print("{{\"mug\":{d},\"objects\":{d},\"cachedMugs\":{d},\"wrongCachedMugs\":{d},\"firstWrongOffset\":", .{ r.mug, r.objects, r.cached, r.wrong });
    if (r.first_wrong) |o| try w.print("{d}}}", .{o.toBytes()}) else try w.writeAll("null}");
}

fn progressJson(m: *Machine, progress: pma_mod.ScrubProgress, buf: []u8) Error!usize {
    var w = std.Io.Writer.fixed(buf);
    writeProgress(&w, &progress) catch return m.fail(.bad_argument, "Bad scrub buffer: {d} bytes are too few", .{buf.len});
    assert(w.end > 0);
    return w.end;
}

/// `{"passes":1,"checkedBytes":..,"totalBytes":..,"unverifiedBytes":..,"faults":1,
/// "passDone":true,"fault":{"kind":"page","file":"0.pma","offset":81920,"page":20,
/// "length":4096,"message":".."},"newFault":null}` (`fault`: the first ever found).
fn writeProgress(w: *std.Io.Writer, p: *const pma_mod.ScrubProgress) std.Io.Writer.Error!void {
    assert(p.checked_bytes <= p.total_bytes);
    try w.print("{{\"passes\":{d},\"checkedBytes\":{d},\"totalBytes\":{d},\"unverifiedBytes\":{d},\"faults\":{d},\"passDone\":{},\"fault\":", .{
        p.passes, p.checked_bytes, p.total_bytes, p.unverified_bytes, p.faults, p.pass_done,
    });
    try writeFault(w, p.first_fault);
    try w.writeAll(",\"newFault\":");
    try writeFault(w, p.new_fault);
    try w.writeByte('}');
}

fn writeFault(w: *std.Io.Writer, fault: ?pma_mod.Fault) std.Io.Writer.Error!void {
    const f = fault orelse return w.writeAll("null");
    const kind = switch (f.kind) {
        .page => "page",
        .record => "record",
        .tiling => "tiling",
        .open_extent => "openExtent",
        .chain => "chain",
        .mug => "mug",
    };
    try w.print("{{\"kind\":\"{s}\",\"file\":\"{s}\",\"offset\":{d},\"page\":{d},\"length\":{d},\"message\":\"{f}\"}}", .{
        kind, pma_mod.slab_names[f.file_id], f.offset_bytes, f.page(), f.length_bytes, f,
    });
}

pub fn pmaWriteSidecar(m: *Machine) Error!void {
    const p = try attachedPma(m);
    p.writeSidecar() catch |e| return failPma(m, e, p.message());
}

/// Why meta slots were passed over when the PMA was opened (or last refreshed), and the
/// sidecar's state, as JSON: `{"sidecar":"valid","rejected":[{"file":"0.pma","slot":1,
/// "commitSeq":5,"reason":"MetaChecksum"}]}`. Returns the bytes written into `buf`.
pub fn pmaReport(m: *Machine, buf: []u8) Error!usize {
    const p = try attachedPma(m);
    var w = std.Io.Writer.fixed(buf);
    writeReport(&w, &p.report) catch
        return m.fail(.bad_argument, "Bad report buffer: {d} bytes are too few", .{buf.len});
    assert(w.end > 0);
    assert(w.end <= buf.len);
    return w.end;
}

fn writeReport(w: *std.Io.Writer, report: *const pma_mod.OpenReport) std.Io.Writer.Error!void {
    assert(w.end == 0);
    try w.print("{{\"sidecar\":\"{s}\",\"rejected\":[", .{@tagName(report.sidecar)});
    for (report.rejected(), 0..) |r, i| {
        if (i > 0) try w.writeByte(',');
        try w.print("{{\"file\":\"{s}\",\"slot\":{d},\"commitSeq\":{d},\"reason\":\"{s}\"}}", .{
            pma_mod.slab_names[r.file_id], r.slot_index, r.commit_seq, @errorName(r.reason),
        });
    }
    try w.writeAll("]}");
}

/// Every slot of this machine that holds a PMA reference: handle slots, the kept trace
/// and slogs, and the heads and tails of live workspace cells. The workspace is
/// collected first, which leaves exactly its live objects back to back, so a linear
/// scan finds them all. (The interpreter's registers and frames hold nothing between
/// computations; a root set added later that keeps PMA nouns must be listed here.)
fn pmaReferences(m: *Machine) Error!std.ArrayList(*Noun) {
    m.ws.collect();
    var refs: std.ArrayList(*Noun) = .empty;
    appendPmaReferences(m, &refs) catch {
        refs.deinit(m.gpa);
        return m.fail(.meme, "Out of memory: cannot list the PMA references this thread holds", .{});
    };
    if (std.debug.runtime_safety) {
        for (refs.items) |r| assert(r.inPma());
    }
    return refs;
}

fn appendPmaReferences(m: *Machine, refs: *std.ArrayList(*Noun)) !void {
    assert(refs.items.len == 0);
    const gpa = m.gpa;
    for (m.handles.slots.items) |*slot| {
        if (!slot.isForward() and slot.inPma()) try refs.append(gpa, slot);
    }
    if (m.trace) |*t| {
        if (t.inPma()) try refs.append(gpa, t);
    }
    for (m.ctx.slogs.items) |*s| {
        if (s.inPma()) try refs.append(gpa, s);
    }
    const start: [*]u64 = @ptrCast(m.ws.spaces[m.ws.current].ptr);
    var scan = start;
    while (@intFromPtr(scan) < @intFromPtr(m.ws.top)) {
        const limbs = Header.limbs(scan[0]);
        if (limbs != 0) {
            scan += 1 + @as(usize, limbs);
            continue;
        }
        for (scan[1..3]) |*word| {
            if (Noun.fromRaw(word.*).inPma()) try refs.append(gpa, @ptrCast(word));
        }
        scan += 3;
    }
    assert(scan == m.ws.top);
}

/// Copy every PMA noun the machine can reach into the workspace, before the mapping
/// they live in goes away. On failure nothing has changed.
fn evacuatePma(m: *Machine, comptime what: []const u8) Error!void {
    var refs = try pmaReferences(m);
    defer refs.deinit(m.gpa);
    if (refs.items.len == 0) return;
    const values = m.gpa.alloc(Noun, refs.items.len) catch
        return m.fail(.meme, "Out of memory: cannot list {d} PMA references", .{refs.items.len});
    defer m.gpa.free(values);
    for (refs.items, values) |slot, *v| v.* = slot.*;
    var e = Evacuation{ .ws = &m.ws, .gpa = m.gpa };
    defer e.deinit();
    e.run(values) catch return m.fail(.meme, "Cannot " ++ what ++
        ": the PMA nouns this thread holds ({d} references) do not fit in the workspace; dispose them first", .{refs.items.len});
    for (refs.items, values) |slot, v| {
        assert(v.inWorkspace());
        slot.* = v;
    }
    assert(e.copies.count() > 0);
}

/// Copies PMA nouns into a workspace, sharing kept, for when their mapping goes away. The
/// copies are their own Cheney queue (no stack, however deep the noun); a side table maps
/// PMA offsets to copies, because a read-only mapping cannot hold forwarding words.
const Evacuation = struct {
    ws: *Workspace,
    gpa: std.mem.Allocator,
    copies: std.AutoHashMapUnmanaged(SlabOffset, Noun) = .empty,

    fn deinit(e: *Evacuation) void {
        assert(e.copies.count() <= e.copies.capacity());
        e.copies.deinit(e.gpa);
    }

    /// Replace each noun of `values` by its workspace copy, then copy the children of
    /// every copy in turn.
    fn run(e: *Evacuation, values: []Noun) error{ Meme, OutOfMemory }!void {
        assert(values.len > 0);
        const start = e.ws.top;
        for (values) |*v| v.* = try e.copy(v.*);
        var scan = start;
        while (@intFromPtr(scan) < @intFromPtr(e.ws.top)) {
            const limbs = Header.limbs(scan[0]);
            if (limbs != 0) {
                scan += 1 + @as(usize, limbs);
                continue;
            }
            scan[1] = (try e.copy(Noun.fromRaw(scan[1]))).raw();
            scan[2] = (try e.copy(Noun.fromRaw(scan[2]))).raw();
            scan += 3;
        }
        assert(scan == e.ws.top);
    }

    fn copy(e: *Evacuation, n: Noun) error{ Meme, OutOfMemory }!Noun {
        if (!n.inPma()) return n;
        const entry = try e.copies.getOrPut(e.gpa, SlabOffset.of(n));
        if (entry.found_existing) return entry.value_ptr.*;
        errdefer e.copies.removeByPtr(entry.key_ptr);
        const src = e.ws.words(n);
        assert(n.isCell() == (Header.limbs(src[0]) == 0));
        const size: usize = if (n.isCell()) 3 else 1 + @as(usize, Header.limbs(src[0]));
        const dst = try e.ws.alloc(size);
        @memcpy(dst[0..size], src[0..size]);
        const c = if (n.isCell()) Noun.cellAt(dst) else Noun.indirectAt(dst);
        assert(c.inWorkspace());
        entry.value_ptr.* = c;
        return c;
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

/// A temporary data directory path for PMA tests (deleted by the caller's `cleanup`).
fn pmaTestDir(tmp: *std.testing.TmpDir, buf: []u8) ![]const u8 {
    return tmp.dir.realpath(".", buf);
}

test "machine: PMA nouns held in handles and workspace cells follow a PMA GC" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try pmaTestDir(&tmp, &path_buf);
    const m = try Machine.create(testing.allocator, 16 << 20);
    defer m.destroy();
    try m.pmaOpen(dir, false, .{ .sidecar = .off });
    try testing.expectError(error.Failed, m.pmaOpen(dir, false, .{}));
    const d = Noun.direct;
    const hash: [32]u8 = @splat(7);
    // Garbage first, so that the GC moves the live nouns to lower offsets.
    const junk = try m.hold(try m.ws.tuple(&.{ d(1), d(2), d(3), d(4) }));
    try m.release(try m.pmaCommit(junk, 1, &hash));
    const state = try m.hold(try m.ws.tuple(&.{ d(5), try m.ws.atomU64(1 << 63), d(6) }));
    const root = try m.pmaCommit(state, 2, &hash);
    try testing.expect((try m.noun(root)).inPma());
    // A workspace cell that points into the PMA, and a handle to a PMA subnoun.
    const five = try m.atomFromU64(5);
    const outer = try m.cell(root, five);
    const inner = try m.at(root, &.{6});
    const mug_before = try m.mug(outer);
    const offset_before = (try m.noun(root)).payload();
    const report = try m.pmaGc();
    try testing.expectEqual(@as(u64, 3), report.references);
    try testing.expect((try m.noun(root)).payload() < offset_before);
    try testing.expect(try m.equals(root, state));
    try testing.expect(m.ws.head(try m.noun(outer)).inPma());
    try testing.expectEqual(mug_before, try m.mug(outer));
    try testing.expectEqual(@as(?u64, 1 << 63), try m.atomToU64(inner));
    try testing.expect(try m.equals(inner, try m.at(state, &.{6})));
    // Closing copies what is still held into the workspace.
    try m.pmaClose();
    try testing.expect((try m.noun(root)).inWorkspace());
    try testing.expect(try m.equals(root, state));
    try testing.expectEqual(mug_before, try m.mug(outer));
    try testing.expectError(error.Failed, m.pmaRoot());
}

test "machine: a replica's held nouns stay valid when a refresh advances or switches files" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try pmaTestDir(&tmp, &path_buf);
    const w = try Machine.create(testing.allocator, 16 << 20);
    defer w.destroy();
    const r = try Machine.create(testing.allocator, 16 << 20);
    defer r.destroy();
    const d = Noun.direct;
    const hash: [32]u8 = @splat(1);
    try w.pmaOpen(dir, false, .{ .sidecar = .off });
    const s1 = try w.hold(try w.ws.tuple(&.{ d(1), try w.ws.atomU64(1 << 63) }));
    _ = try w.pmaCommit(s1, 1, &hash);
    try r.pmaOpen(dir, true, .{});
    const held = try r.pmaRoot();
    try testing.expectEqual(pma_mod.Refresh.unchanged, try r.pmaRefresh());
    const s2 = try w.hold(try w.ws.cell(d(2), w.pma.?.root()));
    _ = try w.pmaCommit(s2, 2, &hash);
    try testing.expectEqual(pma_mod.Refresh.advanced, try r.pmaRefresh());
    try testing.expect((try r.noun(held)).inPma());
    try testing.expectEqual(@as(?u64, 2), try r.atomToU64(try r.at(try r.pmaRoot(), &.{2})));
    _ = try w.pmaGc();
    try testing.expectEqual(pma_mod.Refresh.switched, try r.pmaRefresh());
    // The held root of event 1 was copied out of the old mapping before it went away.
    try testing.expect((try r.noun(held)).inWorkspace());
    try testing.expectEqual(@as(?u64, 1), try r.atomToU64(try r.at(held, &.{2})));
    try testing.expectEqual(@as(?u64, 1 << 63), try r.atomToU64(try r.at(held, &.{3})));
    const now = try r.pmaRoot();
    try testing.expect((try r.noun(now)).inPma());
    try testing.expect(try r.equals(try r.at(now, &.{3}), held));
    try testing.expectError(error.Failed, r.pmaCommit(held, 3, &hash));
    try testing.expectEqual(ErrorKind.pma, r.last.kind);
    try testing.expectEqualStrings("ReadOnly", r.last.name());
}
