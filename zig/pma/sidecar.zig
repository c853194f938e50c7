//! The `pma.meta` sidecar: a verbatim copy of the newest slot, written atomically (temp
//! file, fsync, rename, directory fsync) after a GC, at close, on request, or after every
//! commit (`SidecarMode`). It is for operators and a cross-check at open; recovery never
//! depends on it. At open a sidecar that records a commit the slots do not hold (newer, or
//! the same commit with other contents) is an error: the slab lost a commit it once had.

const std = @import("std");
const assert = std.debug.assert;
const format = @import("format.zig");
const safe_file = @import("safe_file.zig");
const Slot = format.Slot;
const mapping = @import("mapping.zig");
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;
const Diagnostic = arena.Diagnostic;

/// Write `pma.meta` (a copy of the newest slot): temp file, fsync, rename, fsync of the
/// directory. For operators and as a cross-check; recovery never depends on it.
pub fn writeSidecar(p: *Pma) Error!void {
    try p.checkWriter();
    // What is written here is checked again by `read` (magic, checksum, version).
    assert(p.last.magic == format.slot_magic);
    assert(p.last.checksumOk());
    const bytes = std.mem.asBytes(&p.last);
    const temp = format.sidecar_temp_name;
    const f = safe_file.open(p.dir, temp, .create_truncate) catch |e|
        return p.failIo(e, "Cannot create {s}", .{temp});
    defer f.close();
    f.writeAll(bytes) catch |e| return p.failIo(e, "Cannot write {s}", .{temp});
    f.sync() catch |e| return p.failIo(e, "Cannot sync {s}", .{temp});
    try p.trip(.pma_sidecar_after_temp);
    p.dir.rename(temp, format.sidecar_name) catch |e| return p.failIo(e, "Cannot rename {s}", .{temp});
    mapping.syncDir(p.dir) catch |e| return p.failIo(e, "Cannot sync the data directory", .{});
}

pub const SidecarRead = union(enum) { absent, bad: Error, ok: Slot };

/// Read and check the sidecar of the open directory `dir`.
pub fn read(dir: std.fs.Dir) SidecarRead {
    const f = safe_file.open(dir, format.sidecar_name, .read_only) catch |e| switch (e) {
        error.FileNotFound => return .absent,
        else => return .{ .bad = error.Io },
    };
    defer f.close();
    var buf: [@sizeOf(Slot) + 1]u8 align(8) = undefined;
    const n = f.preadAll(&buf, 0) catch return .{ .bad = error.Io };
    if (n != @sizeOf(Slot)) return .{ .bad = error.SidecarChecksum };
    var s: Slot = undefined;
    @memcpy(std.mem.asBytes(&s), buf[0..@sizeOf(Slot)]);
    if (s.magic != format.slot_magic) return .{ .bad = error.SidecarChecksum };
    if (!s.checksumOk()) return .{ .bad = error.SidecarChecksum };
    if (s.format_version < format.format_version_min or s.format_version > format.format_version)
        return .{ .bad = error.UnsupportedVersion };
    assert(s.checksumOk());
    return .{ .ok = s };
}

/// Compare the sidecar read at open with the commit chosen from the slots.
pub fn crossCheck(p: *Pma, side: SidecarRead) Error!void {
    assert(p.mapped);
    switch (side) {
        .absent => p.report.sidecar = .absent,
        .bad => |err| {
            p.report.sidecar = .invalid;
            if (p.options.strict) return p.fail(err, "Cannot open slab (strict): {s} is invalid", .{format.sidecar_name});
        },
        .ok => |s| {
            p.report.sidecar = .valid;
            const same = s.commit_seq == p.last.commit_seq and s.root == p.last.root and
                s.used_bytes == p.last.used_bytes and s.event_number == p.last.event_number and
                s.file_id == p.file_id;
            if (s.commit_seq > p.last.commit_seq or (s.commit_seq == p.last.commit_seq and !same))
                return p.fail(error.SidecarMismatch, "Cannot open slab: {s} records commit {d} (event {d}) but the newest valid slot is commit {d} (event {d})", .{ format.sidecar_name, s.commit_seq, s.event_number, p.last.commit_seq, p.last.event_number });
        },
    }
}

/// Read and check the `pma.meta` sidecar of `dir_path` (operators, tools).
pub fn readSidecar(dir_path: []const u8, diag: ?*Diagnostic) Error!Slot {
    var local: Diagnostic = .{};
    const d = diag orelse &local;
    var dir = safe_file.openDir(dir_path, false, false) catch |e| {
        d.set("Cannot open data directory {s}: {s}", .{ dir_path, safe_file.reason(e) });
        return error.Io;
    };
    defer dir.close();
    switch (read(dir)) {
        .absent => {
            d.set("Cannot read sidecar: no {s} in {s}", .{ format.sidecar_name, dir_path });
            return error.NoSlab;
        },
        .bad => |err| {
            d.set("Cannot read sidecar: {s} fails its checks: {s}", .{ format.sidecar_name, @errorName(err) });
            return err;
        },
        .ok => |s| {
            assert(s.checksumOk());
            return s;
        },
    }
}
