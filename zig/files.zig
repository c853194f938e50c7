//! File operations of the runtime that need more than Deno offers without broad
//! permissions: PMA snapshots (a copy of the slab's used bytes, hashed on the way),
//! blake3 of files and buffers, installing a snapshot as a slab with the full fsync
//! sequence, and the data directory's writer lock.
//!
//! A snapshot is the writer's active slab file from byte 0 up to the used size rounded up
//! to the file granule: both meta slots (the newest one names the committed root), and the
//! data. Nouns are offsets, so the copy opens anywhere as a slab with the same name as the
//! file it was taken from (the slots record which file they belong to).

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const posix = std.posix;
const constants = @import("constants.zig");
const pma_mod = @import("pma.zig");
const safe_file = @import("pma/safe_file.zig");
const progress = @import("progress.zig");
const blake3 = @import("blake3.zig");
const Pma = pma_mod.Pma;

pub const SnapshotResult = struct {
    /// Bytes written (the used size rounded up to the file granule, at most the file size).
    bytes: u64,
    used_bytes: u64,
    event_number: u64,
    file_id: u64,
    commit_seq: u64,
    digest: [32]u8,
};

const chunk_bytes: usize = 4 << 20;

pub const Error = error{ Io, BadArgument, Locked };

/// A short description of the last failure in this thread.
threadlocal var message_buf: [512]u8 = undefined;
threadlocal var message_len: usize = 0;

pub fn lastMessage() []const u8 {
    assert(message_len <= message_buf.len);
    return message_buf[0..message_len];
}

fn fail(err: Error, comptime fmt: []const u8, args: anytype) Error {
    const s = std.fmt.bufPrint(&message_buf, fmt, args) catch message_buf[0..];
    message_len = s.len;
    assert(message_len > 0);
    return err;
}

/// Write the committed part of the writer's slab to a new file at `path` (which must not
/// exist), fsync it, and return its size and blake3. The caller renames it into place and
/// syncs the directory. The blake3 is computed on a helper thread while this one writes
/// (they read the same committed, unchanging bytes), and writeback starts every few tens
/// of MiB, so that hashing, copying and the disk all run at once and the final fsync has
/// little left to do.
pub fn writeSnapshot(p: *const Pma, path: []const u8) Error!SnapshotResult {
    const s = p.stats();
    const granule = constants.pma_file_granule_bytes;
    const bytes = @min(std.mem.alignForward(u64, s.used_bytes, granule), s.capacity_bytes);
    assert(bytes >= s.used_bytes);
    const file = safe_file.openPath(path, .create_exclusive) catch |e|
        return fail(error.Io, "Cannot create snapshot file {s}: {s}", .{ path, safe_file.reason(e) });
    defer file.close();
    errdefer std.fs.cwd().deleteFile(path) catch {};
    const base: [*]const u8 = @ptrFromInt(p.base());
    const data = base[0..@intCast(bytes)];
    var out: SnapshotResult = .{
        .bytes = bytes,
        .used_bytes = s.used_bytes,
        .event_number = s.event_number,
        .file_id = s.file_id,
        .commit_seq = s.commit_seq,
        .digest = undefined,
    };
    var hasher = std.Thread.spawn(.{}, hashBytes, .{ data, &out.digest }) catch null;
    defer if (hasher) |t| t.join(); // On failure: `data` and `out` must outlive the thread.
    try writeStreaming(file, data, path);
    if (hasher) |t| t.join() else hashBytes(data, &out.digest);
    hasher = null; // Joined: `out.digest` is final.
    progress.report(.snapshot_sync, 0, bytes);
    posix.fsync(file.handle) catch |e|
        return fail(error.Io, "Cannot sync snapshot file {s}: {s}", .{ path, @errorName(e) });
    assert(out.bytes % granule == 0 or out.bytes == s.capacity_bytes);
    return out;
}

fn hashBytes(data: []const u8, digest: *[32]u8) void {
    blake3.hash(data, digest);
}

/// Write `data` to the start of `file` in chunks, starting writeback as it goes.
fn writeStreaming(file: std.fs.File, data: []const u8, path: []const u8) Error!void {
    var meter = progress.Meter.start(.snapshot_write, data.len);
    var done: usize = 0;
    var written_back: usize = 0;
    while (done < data.len) {
        const n = @min(data.len - done, chunk_bytes);
        file.pwriteAll(data[done..][0..n], done) catch |e|
            return fail(error.Io, "Cannot write snapshot file {s}: {s}", .{ path, @errorName(e) });
        done += n;
        meter.at(done);
        if (done - written_back >= writeback_step_bytes) {
            startWriteback(file.handle, written_back, done - written_back);
            written_back = done;
        }
    }
    assert(done == data.len);
    meter.finish();
}

const writeback_step_bytes: usize = 64 << 20;

/// Ask the kernel to start writing a range back now (Linux; elsewhere the fsync does it).
fn startWriteback(fd: posix.fd_t, offset: u64, len: u64) void {
    assert(len > 0);
    if (builtin.os.tag != .linux) return;
    const sync_file_range_write: usize = 2;
    _ = std.os.linux.syscall4(.sync_file_range, @bitCast(@as(isize, fd)), offset, len, sync_file_range_write);
}

/// blake3 and size of the file at `path`, read in chunks (of a size that stays fixed while
/// it is hashed: a file that shrinks meanwhile is an error).
pub fn hashFile(path: []const u8, digest: *[32]u8) Error!u64 {
    const file = safe_file.openPath(path, .read_only) catch |e|
        return fail(error.Io, "Cannot open {s}: {s}", .{ path, safe_file.reason(e) });
    defer file.close();
    const buf = std.heap.page_allocator.alloc(u8, chunk_bytes) catch
        return fail(error.Io, "Cannot hash {s}: out of memory", .{path});
    defer std.heap.page_allocator.free(buf);
    const size = file.getEndPos() catch |e|
        return fail(error.Io, "Cannot read {s}: {s}", .{ path, @errorName(e) });
    // Everything before the last blake3 chunk goes to the hasher as whole chunks.
    const front = blake3.bytesBeforeLastChunk(size);
    var meter = progress.Meter.start(.hash_file, size);
    var hasher = blake3.Hasher{};
    var at: u64 = 0;
    while (at < size) {
        const n: usize = @intCast(@min(size - at, chunk_bytes));
        const got = file.preadAll(buf[0..n], at) catch |e|
            return fail(error.Io, "Cannot read {s}: {s}", .{ path, @errorName(e) });
        if (got != n) return fail(error.Io, "Cannot hash {s}: it shrank while being read", .{path});
        const whole: usize = @intCast(@min(n, front -| at));
        hasher.update(buf[0..whole]);
        if (whole < n) hasher.final(buf[whole..n], digest);
        at += n;
        meter.at(at);
    }
    if (size == 0) hasher.final(&.{}, digest);
    assert(chunk_bytes % blake3.chunk_len == 0);
    meter.finish();
    return size;
}

/// Copy `src` to `dest` durably: write `dest`.tmp, fsync, rename over `dest`, fsync the
/// directory of `dest`. A crash leaves either the old `dest` (or none) or the whole copy.
pub fn installCopy(src: []const u8, dest: []const u8) Error!void {
    var tmp_buf: [std.fs.max_path_bytes]u8 = undefined;
    const tmp = std.fmt.bufPrint(&tmp_buf, "{s}.tmp", .{dest}) catch
        return fail(error.BadArgument, "Path too long: {s}", .{dest});
    assert(tmp.len == dest.len + ".tmp".len);
    const cwd = std.fs.cwd();
    cwd.deleteFile(tmp) catch {};
    try copyFile(src, tmp);
    cwd.rename(tmp, dest) catch |e|
        return fail(error.Io, "Cannot rename {s} to {s}: {s}", .{ tmp, dest, @errorName(e) });
    try syncDir(std.fs.path.dirname(dest) orelse ".");
}

/// Copy `src` to a new file `dest` (0600), neither of them a symbolic link, and fsync it.
fn copyFile(src: []const u8, dest: []const u8) Error!void {
    const in = safe_file.openPath(src, .read_only) catch |e|
        return fail(error.Io, "Cannot open {s}: {s}", .{ src, safe_file.reason(e) });
    defer in.close();
    const out = safe_file.openPath(dest, .create_exclusive) catch |e|
        return fail(error.Io, "Cannot create {s}: {s}", .{ dest, safe_file.reason(e) });
    defer out.close();
    errdefer std.fs.cwd().deleteFile(dest) catch {};
    const st = in.stat() catch |e|
        return fail(error.Io, "Cannot stat {s}: {s}", .{ src, @errorName(e) });
    const copied = in.copyRangeAll(0, out, 0, st.size) catch |e|
        return fail(error.Io, "Cannot copy {s} to {s}: {s}", .{ src, dest, @errorName(e) });
    if (copied != st.size) return fail(error.Io, "Cannot copy {s}: it changed size while copied", .{src});
    posix.fsync(out.handle) catch |e|
        return fail(error.Io, "Cannot sync {s}: {s}", .{ dest, @errorName(e) });
}

/// fsync a directory, so that renames and creations in it are durable. (It may be a link:
/// the data directory itself may be one, and a sync writes nothing there.)
pub fn syncDir(path: []const u8) Error!void {
    var dir = std.fs.cwd().openDir(path, .{ .iterate = true }) catch |e|
        return fail(error.Io, "Cannot open directory {s}: {s}", .{ path, @errorName(e) });
    defer dir.close();
    if (builtin.os.tag == .windows) return; // Windows cannot sync a directory handle.
    assert(dir.fd >= 0);
    posix.fsync(dir.fd) catch |e|
        return fail(error.Io, "Cannot sync directory {s}: {s}", .{ path, @errorName(e) });
}

/// Take an exclusive, non-blocking flock on `path` (created if absent); returns the file
/// descriptor that holds it. The lock goes away with the descriptor or the process.
/// (Not on Windows yet, where the runtime's data directory needs the PMA, which is not
/// there either.)
pub fn lockFile(path: []const u8) Error!i32 {
    if (builtin.os.tag == .windows) return fail(error.Io, "Cannot lock {s}: not supported on Windows yet", .{path});
    const file = safe_file.lock(std.fs.cwd(), path) catch |e| switch (e) {
        error.WouldBlock => return fail(error.Locked, "{s} is locked by another process", .{path}),
        else => return fail(error.Io, "Cannot create lock file {s}: {s}", .{ path, safe_file.reason(e) }),
    };
    assert(file.handle >= 0);
    return file.handle;
}

pub fn unlock(fd: i32) void {
    if (builtin.os.tag == .windows) return; // `lockFile` never succeeds there.
    assert(fd >= 0);
    posix.close(fd);
}

test "files: snapshot of a slab is its committed prefix, hashes and installs" {
    const t = std.testing;
    const Workspace = @import("workspace.zig").Workspace;
    var tmp = t.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try tmp.dir.realpath(".", &path_buf);
    var ws = try Workspace.init(t.allocator, 8 << 20);
    defer ws.deinit();
    const p = try Pma.open(t.allocator, dir, .{ .sidecar = .off });
    p.attach(&ws);
    const leaf = try ws.atomFromLimbs(&[_]u64{ 1, 2, 3 });
    const root = try ws.cell(leaf, leaf);
    _ = try p.commit(&ws, root, 5, &@as([32]u8, @splat(7)));
    var snap_buf: [std.fs.max_path_bytes]u8 = undefined;
    const snap = try std.fmt.bufPrint(&snap_buf, "{s}/snap", .{dir});
    const r = try writeSnapshot(p, snap);
    try t.expectEqual(@as(u64, 5), r.event_number);
    try t.expect(r.bytes % constants.pma_file_granule_bytes == 0 and r.bytes >= r.used_bytes);
    var digest: [32]u8 = undefined;
    try t.expectEqual(r.bytes, try hashFile(snap, &digest));
    try t.expectEqualSlices(u8, &r.digest, &digest);
    try t.expectError(error.Io, writeSnapshot(p, snap)); // exists already
    p.detach(&ws);
    p.close();
    // Install the snapshot as the only slab of a fresh directory and open it.
    try tmp.dir.makeDir("restored");
    var dest_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dest = try std.fmt.bufPrint(&dest_buf, "{s}/restored/{s}", .{ dir, pma_mod.slab_names[@intCast(r.file_id)] });
    try installCopy(snap, dest);
    var rdir_buf: [std.fs.max_path_bytes]u8 = undefined;
    const rdir = try std.fmt.bufPrint(&rdir_buf, "{s}/restored", .{dir});
    const q = try Pma.open(t.allocator, rdir, .{ .sidecar = .off });
    defer q.close();
    try t.expectEqual(@as(u64, 5), q.eventNumber());
    // The lock is exclusive across descriptors.
    var lock_buf: [std.fs.max_path_bytes]u8 = undefined;
    const lock_path = try std.fmt.bufPrint(&lock_buf, "{s}/cellar.lock", .{dir});
    const fd = try lockFile(lock_path);
    try t.expectError(error.Locked, lockFile(lock_path));
    unlock(fd);
    unlock(try lockFile(lock_path));
}

test "files: a symbolic link as a snapshot, a copy's source or the lock is refused and left alone" {
    if (builtin.os.tag == .windows) return error.SkipZigTest;
    const t = std.testing;
    var tmp = t.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try tmp.dir.realpath(".", &path_buf);
    try tmp.dir.writeFile(.{ .sub_path = "target", .data = "keep" });
    try tmp.dir.symLink("target", "snap", .{});
    try tmp.dir.symLink("absent", "cellar.lock", .{});
    const p = try Pma.open(t.allocator, dir, .{ .sidecar = .off });
    defer p.close();
    var buf: [std.fs.max_path_bytes]u8 = undefined;
    const snap = try std.fmt.bufPrint(&buf, "{s}/snap", .{dir});
    try t.expectError(error.Io, writeSnapshot(p, snap));
    try t.expect(std.mem.indexOf(u8, lastMessage(), "it is a symbolic link") != null);
    var digest: [32]u8 = undefined;
    try t.expectError(error.Io, hashFile(snap, &digest));
    var dest_buf: [std.fs.max_path_bytes]u8 = undefined;
    try t.expectError(error.Io, installCopy(snap, try std.fmt.bufPrint(&dest_buf, "{s}/copy", .{dir})));
    try t.expectError(error.FileNotFound, tmp.dir.access("copy", .{}));
    try t.expectError(error.FileNotFound, tmp.dir.access("copy.tmp", .{}));
    const lock = try std.fmt.bufPrint(&buf, "{s}/cellar.lock", .{dir});
    try t.expectError(error.Io, lockFile(lock));
    try t.expect(std.mem.indexOf(u8, lastMessage(), "it is a symbolic link") != null);
    try t.expectError(error.FileNotFound, tmp.dir.access("absent", .{}));
    var got: [8]u8 = undefined;
    try t.expectEqualStrings("keep", try tmp.dir.readFile("target", &got));
}
