//! Opening and creating the files of a data directory safely. The native library opens its
//! files itself, where Deno's permissions do not reach, so a symbolic link planted in the
//! data directory must not lead a read or a write outside it:
//!
//! - the last component of every path is opened with O_NOFOLLOW: a symbolic link there is
//!   refused (`error.SymLink`), dangling or not, also when creating;
//! - only regular files are used (`error.NotRegularFile` for a FIFO, socket or device; the
//!   open is non-blocking so that a FIFO cannot hang it);
//! - files are created 0600 and directories 0700 (less whatever the umask takes away).
//!
//! Components above the last are followed: the data directory itself may be a link (the user
//! chose it), and its members are checked with lstat by the runtime (`checkDataDir`). On
//! Windows, where the PMA is not supported, the plain `std.fs` calls are used.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const posix = std.posix;

pub const file_mode: std.fs.File.Mode = if (builtin.os.tag == .windows) 0 else 0o600;
pub const dir_mode: std.fs.File.Mode = if (builtin.os.tag == .windows) 0 else 0o700;

/// How to open a file.
pub const How = enum {
    read_only,
    read_write,
    /// Read-write, created if absent, kept as it is otherwise.
    create,
    /// Read-write, created if absent, emptied otherwise.
    create_truncate,
    /// Read-write, created; it must not exist.
    create_exclusive,
};

/// The reason for an error of this module (or any other error's name), for messages.
pub fn reason(e: anyerror) []const u8 {
    return switch (e) {
        error.SymLink => "it is a symbolic link, which a data directory must not hold",
        error.NotRegularFile => "it is not a regular file (a FIFO, socket or device)",
        error.NotDir => "it is not a directory",
        else => @errorName(e),
    };
}

/// Open (or create) `name` in `dir`, refusing symbolic links and special files.
pub fn open(dir: std.fs.Dir, name: []const u8, how: How) !std.fs.File {
    if (builtin.os.tag == .windows) return openPortable(dir, name, how);
    assert(name.len > 0);
    var flags: posix.O = .{
        .ACCMODE = if (how == .read_only) .RDONLY else .RDWR,
        .NOFOLLOW = true,
        .CLOEXEC = true,
        .NONBLOCK = true,
    };
    switch (how) {
        .read_only, .read_write => {},
        .create => flags.CREAT = true,
        .create_truncate => {
            flags.CREAT = true;
            flags.TRUNC = true;
        },
        .create_exclusive => {
            flags.CREAT = true;
            flags.EXCL = true;
        },
    }
    const fd = posix.openat(dir.fd, name, flags, file_mode) catch |e| switch (e) {
        error.SymLinkLoop => return error.SymLink,
        // O_CREAT | O_EXCL on a link says EEXIST: name the link.
        error.PathAlreadyExists => return if (isSymLinkAt(dir, name)) error.SymLink else e,
        else => return e,
    };
    errdefer posix.close(fd);
    const st = try posix.fstat(fd);
    if (!posix.S.ISREG(st.mode)) return error.NotRegularFile;
    // Non-blocking was for a FIFO's open; a regular file's reads ignore it, but clear it.
    const nonblock: usize = @as(u32, @bitCast(posix.O{ .NONBLOCK = true }));
    const status = try posix.fcntl(fd, posix.F.GETFL, 0);
    _ = try posix.fcntl(fd, posix.F.SETFL, status & ~nonblock);
    return .{ .handle = fd };
}

fn openPortable(dir: std.fs.Dir, name: []const u8, how: How) !std.fs.File {
    return switch (how) {
        .read_only => dir.openFile(name, .{}),
        .read_write => dir.openFile(name, .{ .mode = .read_write }),
        .create => dir.createFile(name, .{ .read = true, .truncate = false }),
        .create_truncate => dir.createFile(name, .{ .read = true, .truncate = true }),
        .create_exclusive => dir.createFile(name, .{ .read = true, .exclusive = true }),
    };
}

/// `open` for a path relative to the working directory (or absolute).
pub fn openPath(path: []const u8, how: How) !std.fs.File {
    return open(std.fs.cwd(), path, how);
}

/// Create (if absent, 0600) and lock `name` in `dir` exclusively, without waiting:
/// `error.WouldBlock` when another process holds it.
pub fn lock(dir: std.fs.Dir, name: []const u8) !std.fs.File {
    if (builtin.os.tag == .windows) {
        return dir.createFile(name, .{ .truncate = false, .lock = .exclusive, .lock_nonblocking = true });
    }
    const file = try open(dir, name, .create);
    errdefer file.close();
    try posix.flock(file.handle, posix.LOCK.EX | posix.LOCK.NB);
    return file;
}

/// Open the directory at `path`, refusing a symbolic link as its last component; with
/// `create`, make it first (0700; its parents as `makePath` does) when absent.
pub fn openDir(path: []const u8, create: bool, iterate: bool) !std.fs.Dir {
    const cwd = std.fs.cwd();
    if (create) {
        if (std.fs.path.dirname(path)) |parent| try cwd.makePath(parent);
        const made = if (builtin.os.tag == .windows) cwd.makeDir(path) else posix.mkdirat(cwd.fd, path, dir_mode);
        made catch |e| switch (e) {
            error.PathAlreadyExists => {},
            else => return e,
        };
    }
    return cwd.openDir(path, .{ .iterate = iterate, .no_follow = true }) catch |e| switch (e) {
        error.SymLinkLoop => error.SymLink,
        // O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR: tell the two apart.
        error.NotDir => if (isSymLink(path)) error.SymLink else e,
        else => e,
    };
}

fn isSymLink(path: []const u8) bool {
    return isSymLinkAt(std.fs.cwd(), path);
}

fn isSymLinkAt(dir: std.fs.Dir, name: []const u8) bool {
    if (builtin.os.tag == .windows) return false;
    const st = posix.fstatat(dir.fd, name, posix.AT.SYMLINK_NOFOLLOW) catch return false;
    return posix.S.ISLNK(st.mode);
}

test "safe_file: symbolic links and FIFOs are refused; files are created 0600" {
    if (builtin.os.tag == .windows) return error.SkipZigTest;
    var tmp = std.testing.tmpDir(.{});
    defer tmp.cleanup();
    const t = std.testing;
    {
        const f = try open(tmp.dir, "real", .create_exclusive);
        defer f.close();
        const st = try posix.fstat(f.handle);
        try t.expectEqual(@as(u32, 0), st.mode & 0o077);
    }
    try tmp.dir.symLink("real", "link", .{});
    try tmp.dir.symLink("absent", "dangling", .{});
    for ([_]How{ .read_only, .read_write, .create, .create_truncate }) |how| {
        try t.expectError(error.SymLink, open(tmp.dir, "link", how));
        try t.expectError(error.SymLink, open(tmp.dir, "dangling", how));
    }
    try t.expectError(error.SymLink, open(tmp.dir, "dangling", .create_exclusive));
    try t.expectError(error.PathAlreadyExists, open(tmp.dir, "real", .create_exclusive));
    try t.expectError(error.FileNotFound, tmp.dir.access("absent", .{}));
    try t.expectError(error.SymLink, lock(tmp.dir, "link"));
    const nested = try std.fmt.allocPrint(t.allocator, "{s}/a/b", .{try tmpPath(&tmp)});
    defer t.allocator.free(nested);
    var sub = try openDir(nested, true, false);
    sub.close();
    try t.expectEqual(@as(u32, 0), (try posix.fstatat(tmp.dir.fd, "a/b", 0)).mode & 0o077);
    try tmp.dir.symLink("a/b", "dirlink", .{});
    const dirlink = try std.fmt.allocPrint(t.allocator, "{s}/dirlink", .{try tmpPath(&tmp)});
    defer t.allocator.free(dirlink);
    try t.expectError(error.SymLink, openDir(dirlink, false, false));
    if (builtin.os.tag != .linux) return;
    const fifo = try std.fmt.allocPrintSentinel(t.allocator, "{s}/fifo", .{try tmpPath(&tmp)}, 0);
    defer t.allocator.free(fifo);
    try t.expectEqual(@as(usize, 0), std.os.linux.mknod(fifo, posix.S.IFIFO | 0o600, 0));
    try t.expectError(error.NotRegularFile, open(tmp.dir, "fifo", .read_only));
    try t.expectError(error.NotRegularFile, open(tmp.dir, "fifo", .create));
}

fn tmpPath(tmp: *std.testing.TmpDir) ![]const u8 {
    const S = struct {
        var buf: [std.fs.max_path_bytes]u8 = undefined;
    };
    return tmp.dir.realpath(".", &S.buf);
}
