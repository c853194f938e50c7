//! Progress of long native operations (GC, snapshot writing, hashing a file), reported to
//! a hook the embedder installs on its thread: Deno passes an `UnsafeCallback` that keeps a
//! progress line on the terminal and the server's `/status` up to date. Reports are rare
//! (every few tens of MiB), so a hook that does real work costs nothing measurable.
//! Nock computations only count their steps into the latest report (`noteSteps`): a
//! callback at every poll of the interpreter would cost too much.

const std = @import("std");
const assert = std.debug.assert;

/// What is running. `done` and `total` are bytes for all of them but `nock_steps` (done: the
/// process's Nock steps counted so far, total 0: unknown).
pub const Kind = enum(u32) {
    gc_check = 1,
    gc_mark = 2,
    gc_copy = 3,
    gc_sync = 4,
    snapshot_write = 5,
    snapshot_sync = 6,
    hash_file = 7,
    nock_steps = 8,
};

pub const Hook = *const fn (kind: u32, done: f64, total: f64) callconv(.c) void;

/// Bytes between two reports of a streaming operation.
pub const step_bytes: u64 = 64 << 20;

threadlocal var hook: ?Hook = null;

/// The latest report of any thread, for readers that cannot take a callback (Deno with
/// --allow-ffi granted for the library's path only polls it from another thread): kind,
/// done, total, and when (ms since the epoch).
var latest: [4]std.atomic.Value(u64) = .{ .init(0), .init(0), .init(0), .init(0) };

/// Nock steps of every thread counted so far (by `noteSteps`, at the interpreter's polls).
var nock_steps = std.atomic.Value(u64).init(0);

/// The latest report (kind, done, total, ms since the epoch), then the Nock step count: the
/// difference of two counts is the work between them, whatever was reported meanwhile.
pub fn readLatest() [5]u64 {
    var out: [5]u64 = undefined;
    for (out[0..4], &latest) |*o, *l| o.* = l.load(.acquire);
    out[4] = nock_steps.load(.acquire);
    return out;
}

/// Install (or with null, remove) this thread's hook.
pub fn setHook(h: ?Hook) void {
    hook = h;
}

pub fn report(kind: Kind, done: u64, total: u64) void {
    assert(done <= total or total == 0);
    latest[0].store(@intFromEnum(kind), .release);
    latest[1].store(done, .release);
    latest[2].store(total, .release);
    latest[3].store(@intCast(@max(std.time.milliTimestamp(), 0)), .release);
    const h = hook orelse return;
    h(@intFromEnum(kind), @floatFromInt(done), @floatFromInt(total));
}

/// Count `steps` more Nock steps and make the count the latest report, without calling the
/// hook: the interpreter calls it at each of its polls (every 16,384 steps), where a few
/// atomic operations and a clock read (vDSO) cost nothing measurable.
pub fn noteSteps(steps: u64) void {
    const count = nock_steps.fetchAdd(steps, .acq_rel) + steps;
    latest[0].store(@intFromEnum(Kind.nock_steps), .release);
    latest[1].store(count, .release);
    latest[2].store(0, .release);
    latest[3].store(@intCast(@max(std.time.milliTimestamp(), 0)), .release);
}

/// Reports of a streaming operation, one per `step_bytes` crossed.
pub const Meter = struct {
    kind: Kind,
    total: u64,
    next: u64 = 0,

    pub fn start(kind: Kind, total: u64) Meter {
        report(kind, 0, total);
        return .{ .kind = kind, .total = total, .next = step_bytes };
    }

    pub inline fn at(m: *Meter, done: u64) void {
        if (done < m.next) return;
        report(m.kind, @min(done, m.total), m.total);
        m.next = done + step_bytes;
    }

    pub fn finish(m: *Meter) void {
        report(m.kind, m.total, m.total);
        m.next = std.math.maxInt(u64);
    }
};

test "progress: a meter reports once per step and only with a hook" {
    const t = std.testing;
    const Seen = struct {
        var count: u32 = 0;
        var last_done: f64 = 0;
        fn hookFn(kind: u32, done: f64, total: f64) callconv(.c) void {
            assert(kind == @intFromEnum(Kind.hash_file));
            assert(total == 200 << 20);
            count += 1;
            last_done = done;
        }
    };
    var quiet = Meter.start(.hash_file, 200 << 20);
    quiet.at(100 << 20);
    try t.expectEqual(@as(u32, 0), Seen.count);
    setHook(&Seen.hookFn);
    defer setHook(null);
    var m = Meter.start(.hash_file, 200 << 20); // 1
    m.at(1 << 20);
    m.at(64 << 20); // 2
    m.at(100 << 20);
    m.at(130 << 20); // 3
    m.at(200 << 20); // 4
    m.finish(); // 5
    try t.expectEqual(@as(u32, 5), Seen.count);
    try t.expectEqual(@as(f64, 200 << 20), Seen.last_done);
    const l = readLatest();
    try t.expectEqual(@as(u64, @intFromEnum(Kind.hash_file)), l[0]);
    try t.expectEqual(@as(u64, 200 << 20), l[1]);
    try t.expect(l[3] > 0);
}
