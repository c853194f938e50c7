//! Crash tests for the PMA: abort a real child process at each named tripwire, then check
//! that the reopened slab holds the last committed state and keeps working.
//!
//!   zig build crash-test                 runs every case (this file's `main` with no args)
//!   pma_crash_driver child SCENARIO DIR  one child run; CELLAR_TRIPWIRE names the point
//!
//! Each case prepares a slab with events 1..3, runs a child that opens it and performs one
//! operation (a small commit, a big commit that grows the file and is sealed, or a GC), and
//! expects the child to die of SIGABRT at the tripwire. The parent then reopens the slab and
//! checks the event number (the old one, or the new one when the crash came after the slot
//! write, since a process crash keeps the page cache), the root's structure, the data
//! checksums, and that a further commit, GC and read-only reopen all work.
//!
//! The `fault` scenario prepares a slab with a flipped byte in old data; the child's scrub
//! finds it and dies while recording it in `pma.fault`. The record must then be absent
//! (not half written), the slab open, and a new check must find the fault and record it.

const std = @import("std");
const assert = std.debug.assert;
const posix = std.posix;
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const pma_mod = @import("pma.zig");
const Pma = pma_mod.Pma;
const tripwire = @import("tripwire.zig");
const kit = @import("pma/test_kit.zig");

const Scenario = enum { commit, big, gc, fault };

const Case = struct {
    scenario: Scenario,
    point: tripwire.Point,
    /// Whether the reopened slab holds the child's operation (event 4 for commits; the
    /// GC'd file for GCs).
    advanced: bool,
};

const cases = [_]Case{
    .{ .scenario = .commit, .point = .pma_commit_after_copy, .advanced = false },
    .{ .scenario = .commit, .point = .pma_commit_before_slot, .advanced = false },
    .{ .scenario = .commit, .point = .pma_commit_after_slot, .advanced = true },
    .{ .scenario = .commit, .point = .pma_commit_after_sync, .advanced = true },
    .{ .scenario = .commit, .point = .pma_commit_before_sidecar, .advanced = true },
    .{ .scenario = .commit, .point = .pma_sidecar_after_temp, .advanced = true },
    .{ .scenario = .big, .point = .pma_grow_after_ftruncate, .advanced = false },
    .{ .scenario = .big, .point = .pma_grow_after_mmap, .advanced = false },
    .{ .scenario = .big, .point = .pma_commit_before_seal, .advanced = true },
    .{ .scenario = .gc, .point = .pma_gc_after_create, .advanced = false },
    .{ .scenario = .gc, .point = .pma_gc_after_copy, .advanced = false },
    .{ .scenario = .gc, .point = .pma_gc_before_slot, .advanced = false },
    .{ .scenario = .gc, .point = .pma_gc_after_sync, .advanced = false },
    .{ .scenario = .gc, .point = .pma_gc_after_rename, .advanced = true },
    .{ .scenario = .gc, .point = .pma_gc_before_sidecar, .advanced = true },
    .{ .scenario = .fault, .point = .pma_fault_after_temp, .advanced = false },
};

// Every named tripwire has exactly one crash case: adding a point without one fails the
// build. And the driver is pointless without tripwires compiled in.
comptime {
    if (!tripwire.enabled) @compileError("pma_crash_driver needs a build with tripwires");
    for (@typeInfo(tripwire.Point).@"enum".fields) |field| {
        var count: u32 = 0;
        for (cases) |case| {
            if (@intFromEnum(case.point) == field.value) count += 1;
        }
        if (count != 1) @compileError(std.fmt.comptimePrint(
            "pma_crash_driver has {d} crash cases for tripwire {s}; it needs exactly one",
            .{ count, field.name },
        ));
    }
}

const prepared_events: u64 = 3;
const workspace_bytes: u64 = 64 << 20;

pub fn main() !void {
    const gpa = std.heap.smp_allocator;
    const args = try std.process.argsAlloc(gpa);
    defer std.process.argsFree(gpa, args);
    if (args.len == 4 and std.mem.eql(u8, args[1], "child")) {
        const scenario = std.meta.stringToEnum(Scenario, args[2]) orelse return error.BadScenario;
        return child(gpa, scenario, args[3]);
    }
    var failed: u32 = 0;
    for (cases) |case| {
        runCase(gpa, case) catch |err| {
            failed += 1;
            std.debug.print("FAIL {s} ({s}): {s}\n", .{ case.point.name(), @tagName(case.scenario), @errorName(err) });
            continue;
        };
        std.debug.print("ok   {s} ({s})\n", .{ case.point.name(), @tagName(case.scenario) });
    }
    if (failed > 0) {
        std.debug.print("{d} of {d} crash cases failed\n", .{ failed, cases.len });
        std.process.exit(1);
    }
    std.debug.print("all {d} crash cases passed\n", .{cases.len});
}

/// The child: one operation on the prepared slab; the armed tripwire should abort it.
fn child(gpa: std.mem.Allocator, scenario: Scenario, dir: []const u8) !void {
    var ws = try Workspace.init(gpa, workspace_bytes);
    defer ws.deinit();
    const sidecar: pma_mod.SidecarMode = if (scenario == .commit) .every_commit else .checkpoint;
    const p = try Pma.open(gpa, dir, .{ .sidecar = sidecar });
    defer p.close();
    p.attach(&ws);
    const e = p.eventNumber() + 1;
    assert(e == prepared_events + 1);
    switch (scenario) {
        .commit, .big => {
            const state = try ws.cell(try kit.chainEntry(&ws, gpa, e, scenario == .big), p.root());
            _ = try p.commit(&ws, state, e, &kit.hashOf(e));
        },
        .gc => _ = try p.gc(&.{}),
        .fault => while (!p.scrubStep(64 << 10).pass_done) {},
    }
}

fn runCase(gpa: std.mem.Allocator, case: Case) !void {
    if (case.scenario == .fault) return runFaultCase(gpa, case);
    var dir = try kit.TestDir.init("crash");
    defer dir.deinit();
    var ws = try Workspace.init(gpa, workspace_bytes);
    defer ws.deinit();
    try prepare(gpa, &ws, dir.path());
    try runChild(gpa, case, dir.path());
    const committed = if (case.advanced and case.scenario != .gc) prepared_events + 1 else prepared_events;
    assert(committed >= prepared_events);
    const big = case.advanced and case.scenario == .big;
    const p = try Pma.open(gpa, dir.path(), .{});
    defer p.close();
    p.attach(&ws);
    if (p.eventNumber() != committed) return error.WrongEvent;
    if (!try equality.equal(&ws, p.root(), try kit.chain(&ws, gpa, committed, big))) return error.WrongRoot;
    if (case.scenario == .gc and p.stats().file_id != @intFromBool(case.advanced)) return error.WrongSlabFile;
    _ = try p.verify();
    // The slab keeps working: commit, collect, and read it back read-only.
    const next = committed + 1;
    const state = try ws.cell(try kit.chainEntry(&ws, gpa, next, false), p.root());
    _ = try p.commit(&ws, state, next, &kit.hashOf(next));
    _ = try p.gc(&.{});
    const r = try Pma.openReadOnly(gpa, dir.path(), .{});
    defer r.close();
    if (r.eventNumber() != next) return error.WrongEvent;
    if (!try equality.equal(&ws, r.root(), p.root())) return error.WrongRoot;
}

fn prepare(gpa: std.mem.Allocator, ws: *Workspace, dir: []const u8) !void {
    const p = try Pma.open(gpa, dir, .{ .initial_bytes = 1 << 20 });
    defer p.close();
    p.attach(ws);
    var e: u64 = 1;
    while (e <= prepared_events) : (e += 1) {
        const state = try ws.cell(try kit.chainEntry(ws, gpa, e, false), p.root());
        _ = try p.commit(ws, state, e, &kit.hashOf(e));
    }
    assert(p.eventNumber() == prepared_events);
}

/// The child's scrub dies while recording the fault: no record (and no temp file) is left,
/// the slab opens, and a check finds the fault again and records it, after which the
/// directory is refused.
fn runFaultCase(gpa: std.mem.Allocator, case: Case) !void {
    assert(case.scenario == .fault);
    var dir = try kit.TestDir.init("crash-fault");
    defer dir.deinit();
    var ws = try Workspace.init(gpa, workspace_bytes);
    defer ws.deinit();
    const rotten = try prepareRotten(gpa, &ws, dir.path());
    try runChild(gpa, case, dir.path());
    var d = try std.fs.cwd().openDir(dir.path(), .{});
    defer d.close();
    {
        const p = try Pma.open(gpa, dir.path(), .{});
        defer p.close();
        if (p.eventNumber() != prepared_events) return error.WrongEvent;
        if (d.access(pma_mod.fault_marker_name ++ ".tmp", .{})) return error.TempLeftBehind else |_| {}
        const found = p.checkAll().first_fault orelse return error.FaultNotFound;
        if (found.page() != rotten / pma_mod.page_bytes) return error.WrongPage;
    }
    try d.access(pma_mod.fault_marker_name, .{});
    if (Pma.openReadOnly(gpa, dir.path(), .{})) |r| {
        r.close();
        return error.FaultRecordIgnored;
    } else |err| if (err != error.DataChecksum) return err;
}

/// Events 1..3, the first large enough to be covered by an extent record; then one byte of
/// its data flipped. Returns the offset of that byte.
fn prepareRotten(gpa: std.mem.Allocator, ws: *Workspace, dir: []const u8) !u64 {
    var rotten: u64 = 0;
    {
        const p = try Pma.open(gpa, dir, .{ .initial_bytes = 1 << 20 });
        defer p.close();
        p.attach(ws);
        const first = try ws.cell(Noun.direct(1), try kit.buildTree(ws, gpa, 11, 1));
        _ = try p.commit(ws, first, 1, &kit.hashOf(1));
        const record = p.last.coverage().last_record orelse return error.NoRecord;
        rotten = record.toBytes() - 8 + 1; // The last word of event 1's data: no header.
        var e: u64 = 2;
        while (e <= prepared_events) : (e += 1) {
            const state = try ws.cell(try kit.chainEntry(ws, gpa, e, false), p.root());
            _ = try p.commit(ws, state, e, &kit.hashOf(e));
        }
    }
    try kit.flipByte(dir, "0.pma", rotten);
    return rotten;
}

fn runChild(gpa: std.mem.Allocator, case: Case, dir: []const u8) !void {
    const exe = try std.fs.selfExePathAlloc(gpa);
    defer gpa.free(exe);
    var env = try std.process.getEnvMap(gpa);
    defer env.deinit();
    try env.put(tripwire.env_var, case.point.name());
    assert(env.get(tripwire.env_var) != null);
    var proc = std.process.Child.init(&.{ exe, "child", @tagName(case.scenario), dir }, gpa);
    proc.env_map = &env;
    proc.stdin_behavior = .Ignore;
    proc.stdout_behavior = .Ignore;
    proc.stderr_behavior = .Ignore;
    const term = try proc.spawnAndWait();
    switch (term) {
        .Signal => |sig| if (sig != posix.SIG.ABRT) return error.ChildDiedOtherwise,
        else => return error.TripwireNotReached,
    }
}
