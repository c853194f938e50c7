//! Machines by id, for `cellar_interrupt` from another thread: the one cross-thread
//! operation of the core. Each machine registers its interrupt flag when it is created and
//! removes it when it is destroyed; `interrupt(id)` sets the flag under the registry's
//! mutex, which also keeps the machine alive while it does. Nothing else is shared between
//! threads, so no hot path takes a lock.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");

/// A machine's interrupt flag (machine.zig `Machine.interrupt_flag`).
pub const Flag = std.atomic.Value(bool);

const Entry = struct {
    id: u32 = 0,
    flag: ?*Flag = null,
};

const Registry = struct {
    mutex: std.Thread.Mutex = .{},
    entries: [constants.machines_max]Entry = @splat(.{}),
    next_id: u32 = 1,
};

var registry: Registry = .{};

/// Register a flag; returns its id (never 0), or 0 when the registry is full (the machine
/// works, but cannot be interrupted by id).
pub fn add(flag: *Flag) u32 {
    registry.mutex.lock();
    defer registry.mutex.unlock();
    for (&registry.entries) |*e| {
        assert(e.flag != flag); // Registered once.
        if (e.flag != null) continue;
        const id = registry.next_id;
        assert(id != 0);
        e.* = .{ .id = id, .flag = flag };
        registry.next_id +%= 1;
        if (registry.next_id == 0) registry.next_id = 1;
        return id;
    }
    return 0;
}

/// Forget a flag (before its machine goes away). A flag that was never registered, because
/// the registry was full, is fine.
pub fn remove(flag: *Flag) void {
    registry.mutex.lock();
    defer registry.mutex.unlock();
    for (&registry.entries) |*e| {
        if (e.flag == flag) e.* = .{};
        assert(e.flag != flag);
    }
}

/// Ask the machine with this id to stop its current (or next) computation with %intr.
/// Safe from any thread. Returns false when no machine has that id.
pub fn interrupt(id: u32) bool {
    if (id == 0) return false;
    registry.mutex.lock();
    defer registry.mutex.unlock();
    for (registry.entries) |e| {
        const flag = e.flag orelse continue;
        if (e.id == id) {
            assert(id != 0);
            flag.store(true, .release);
            return true;
        }
    }
    return false;
}

test "registry: ids reach only registered flags, and a full registry gives 0" {
    const t = std.testing;
    var a: Flag = .init(false);
    var b: Flag = .init(false);
    const id_a = add(&a);
    const id_b = add(&b);
    try t.expect(id_a != 0);
    try t.expect(id_b != 0);
    try t.expect(id_a != id_b);
    try t.expect(interrupt(id_b));
    try t.expect(!a.load(.acquire));
    try t.expect(b.load(.acquire));
    remove(&b);
    try t.expect(!interrupt(id_b));
    try t.expect(!interrupt(0));
    // Fill every free entry: the next flag gets no id, and removing it is harmless.
    var many: [constants.machines_max]Flag = @splat(.init(false));
    var added: u32 = 0;
    for (&many) |*f| {
        if (add(f) != 0) added += 1;
    }
    try t.expect(added < constants.machines_max);
    var extra: Flag = .init(false);
    try t.expectEqual(@as(u32, 0), add(&extra));
    remove(&extra);
    for (&many) |*f| remove(f);
    remove(&a);
    try t.expect(!interrupt(id_a));
}
