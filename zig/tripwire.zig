//! Named fault-injection points, so crash-consistency and error paths can be tested exactly.
//!
//! Each point is a place in a durable protocol (PMA growth, commit, GC, the sidecar, the
//! `pma.fault` record) where a crash or a failure must leave the last committed state
//! readable. A point does nothing unless armed:
//!
//!   CELLAR_TRIPWIRE=pma.commit.after_slot   the process aborts (SIGABRT) when it gets there;
//!                                           the crash tests run a real child process this way.
//!   CELLAR_TRIPWIRE=pma.commit.after_slot@5 ... the fifth time it gets there (runtime crash
//!                                           tests pick the commit of a given event).
//!   arm(.pma_commit_after_slot, .fail)      `check` returns error.Tripwire instead, so unit
//!                                           tests can exercise the errdefer paths in-process.
//!
//! Tripwires exist only in builds made with them (`zig build -Dtripwires=true`; the unit
//! tests, the crash driver and the second library `zig-out/lib/tripwire/libcellar.so` that
//! the Deno crash tests load). Elsewhere, the release library included, every point
//! compiles to nothing and CELLAR_TRIPWIRE is ignored, so no environment variable can make
//! a production process abort. With them, the disarmed cost is one atomic load per point.

const std = @import("std");
const assert = std.debug.assert;

/// Whether this build has tripwires (the build option `tripwires`).
pub const enabled: bool = @import("build_options").tripwires;

pub const env_var = "CELLAR_TRIPWIRE";

/// Every point. The dotted name is the enum name with its first two underscores as dots.
pub const Point = enum(u8) {
    pma_grow_after_ftruncate,
    pma_grow_after_mmap,
    pma_commit_after_copy,
    pma_commit_before_slot,
    pma_commit_after_slot,
    pma_commit_after_sync,
    pma_commit_before_seal,
    pma_commit_before_sidecar,
    pma_gc_after_create,
    pma_gc_after_copy,
    pma_gc_before_slot,
    pma_gc_after_sync,
    pma_gc_after_rename,
    pma_gc_before_sidecar,
    pma_sidecar_after_temp,
    pma_fault_after_temp,

    /// "pma.commit.after_slot" for `.pma_commit_after_slot`.
    pub fn name(point: Point) []const u8 {
        const n = names[@intFromEnum(point)];
        assert(n.len > 0);
        return n;
    }

    pub fn fromName(text: []const u8) ?Point {
        for (names, 0..) |n, i| {
            if (std.mem.eql(u8, n, text)) {
                const point: Point = @enumFromInt(i);
                assert(std.mem.eql(u8, point.name(), text));
                return point;
            }
        }
        return null;
    }
};

const point_count = @typeInfo(Point).@"enum".fields.len;

const names: [point_count][]const u8 = blk: {
    var out: [point_count][]const u8 = undefined;
    for (@typeInfo(Point).@"enum".fields, 0..) |field, i| out[i] = dotted(field.name);
    break :blk out;
};

fn dotted(comptime field: []const u8) []const u8 {
    comptime {
        var buf: [field.len]u8 = field[0..field.len].*;
        var dots: u32 = 0;
        for (&buf) |*c| {
            if (c.* == '_' and dots < 2) {
                c.* = '.';
                dots += 1;
            }
        }
        assert(dots == 2);
        const final = buf;
        return &final;
    }
}

pub const Action = enum(u8) { abort, fail };

/// 0 = not yet read from the environment; 1 = disarmed; otherwise 2 + point * 2 + action.
var state: std.atomic.Value(u32) = .init(0);

const disarmed: u32 = 1;

fn encode(point: Point, action: Action) u32 {
    const s = 2 + @as(u32, @intFromEnum(point)) * 2 + @intFromEnum(action);
    assert(s > disarmed);
    assert((s - 2) / 2 < point_count);
    return s;
}

/// Hits of the armed point still to let pass before it trips (from `name@N`).
var pass_count: std.atomic.Value(u64) = .init(0);

fn loadFromEnv() u32 {
    comptime assert(enabled);
    const raw = std.posix.getenv(env_var) orelse return disarmed;
    var text: []const u8 = raw;
    if (std.mem.indexOfScalar(u8, raw, '@')) |at| {
        text = raw[0..at];
        const n = std.fmt.parseInt(u64, raw[at + 1 ..], 10) catch 0;
        if (n == 0) {
            std.debug.print("{s}: bad hit count in '{s}' (want name@N, N >= 1)\n", .{ env_var, raw });
            std.posix.abort();
        }
        pass_count.store(n - 1, .release);
    }
    const point = Point.fromName(text) orelse {
        // A typo must not silently make a crash test pass.
        std.debug.print("{s}: unknown tripwire '{s}'\n", .{ env_var, text });
        std.posix.abort();
    };
    return encode(point, .abort);
}

/// Arm one point for this process (tests). Replaces any earlier arming.
pub fn arm(point: Point, action: Action) void {
    if (!enabled) @compileError("tripwire.arm needs a build with tripwires (-Dtripwires=true)");
    state.store(encode(point, action), .release);
    assert(state.load(.acquire) != disarmed);
}

pub fn disarm() void {
    state.store(disarmed, .release);
    assert(state.load(.acquire) == disarmed);
}

/// Called at each point: aborts or fails if this point is armed, else returns. Nothing at
/// all in a build without tripwires.
pub inline fn check(point: Point) error{Tripwire}!void {
    if (!enabled) return;
    var s = state.load(.acquire);
    if (s == disarmed) return;
    if (s == 0) {
        s = loadFromEnv();
        state.store(s, .release);
        if (s == disarmed) return;
    }
    assert(s > disarmed);
    if ((s - 2) / 2 != @intFromEnum(point)) return;
    if (pass_count.load(.acquire) > 0) {
        _ = pass_count.fetchSub(1, .acq_rel);
        return;
    }
    return trip(point, @enumFromInt((s - 2) % 2));
}

fn trip(point: Point, action: Action) error{Tripwire} {
    assert(enabled);
    switch (action) {
        .abort => {
            std.debug.print("tripwire {s}: aborting\n", .{point.name()});
            std.posix.abort();
        },
        .fail => return error.Tripwire,
    }
}

test "tripwire: names and arming" {
    const t = std.testing;
    try t.expectEqualStrings("pma.commit.after_slot", Point.pma_commit_after_slot.name());
    try t.expectEqualStrings("pma.grow.after_ftruncate", Point.pma_grow_after_ftruncate.name());
    try t.expectEqual(Point.pma_gc_after_rename, Point.fromName("pma.gc.after_rename").?);
    try t.expect(Point.fromName("pma.gc.nope") == null);
    arm(.pma_gc_after_copy, .fail);
    defer disarm();
    try check(.pma_gc_after_sync);
    try t.expectError(error.Tripwire, check(.pma_gc_after_copy));
}
