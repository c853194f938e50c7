//! The slab file in memory, and the file's growth.
//!
//! A slab is mapped MAP_SHARED at the start of a large PROT_NONE reservation. Growth
//! extends the file (fallocate, so a full disk is an error and never a SIGBUS on a later
//! store) and maps the new range with MAP_FIXED inside the reservation, so existing nouns
//! never move. The file never shrinks and is never truncated in place (a GC writes a new
//! file and renames it), so a read-only replica in another process can never fault on a
//! vanished page. The meta pages are mapped read-only even for the writer: they are only
//! ever written with pwrite.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const posix = std.posix;
const constants = @import("../constants.zig");
const format = @import("format.zig");
const safe_file = @import("safe_file.zig");
const SlabOffset = format.SlabOffset;
const arena = @import("arena.zig");
const Pma = arena.Pma;
const Error = arena.Error;

/// A PROT_NONE reservation with the first `mapped_bytes` of one file mapped at its start.
pub const Mapping = struct {
    reservation: []align(std.heap.page_size_min) u8,
    mapped_bytes: u64 = 0,
    writable: bool,

    pub fn init(reserve_bytes: u64, writable: bool) posix.MMapError!Mapping {
        assert(reserve_bytes >= constants.pma_reserve_bytes_min);
        // No PMA opens on Windows (machine_pma.zig refuses it), so nothing maps one there.
        if (builtin.os.tag == .windows) return error.Unexpected;
        const r = try posix.mmap(null, @intCast(reserve_bytes), posix.PROT.NONE, .{
            .TYPE = .PRIVATE,
            .ANONYMOUS = true,
            .NORESERVE = true,
        }, -1, 0);
        assert(r.len == reserve_bytes);
        return .{ .reservation = r, .writable = writable };
    }

    pub fn deinit(m: *Mapping) void {
        assert(m.mapped_bytes <= m.reservation.len);
        if (builtin.os.tag != .windows) posix.munmap(m.reservation); // `init` fails there.
        m.* = undefined;
    }

    /// Word 0 of the file.
    pub fn words(m: *const Mapping) [*]u64 {
        assert(m.mapped_bytes >= format.header_bytes);
        return @ptrCast(m.reservation.ptr);
    }

    /// The words from `offset` on (which must be mapped).
    pub inline fn at(m: *const Mapping, offset: SlabOffset) [*]u64 {
        assert(offset.toBytes() < m.mapped_bytes);
        return m.words() + offset.words();
    }

    /// Map the file range [mapped_bytes, new_bytes) in place; new_bytes is page aligned.
    pub fn extend(m: *Mapping, fd: posix.fd_t, new_bytes: u64) posix.MMapError!void {
        assert(new_bytes > m.mapped_bytes);
        assert(new_bytes <= m.reservation.len);
        assert(new_bytes % std.heap.pageSize() == 0);
        if (builtin.os.tag == .windows) return error.Unexpected; // As in `init`.
        const prot: u32 = if (m.writable) posix.PROT.READ | posix.PROT.WRITE else posix.PROT.READ;
        const at_address: [*]align(std.heap.page_size_min) u8 = @alignCast(m.reservation.ptr + m.mapped_bytes);
        const len: usize = @intCast(new_bytes - m.mapped_bytes);
        const got = try posix.mmap(at_address, len, prot, .{ .TYPE = .SHARED, .FIXED = true }, fd, m.mapped_bytes);
        assert(got.ptr == at_address);
        if (m.mapped_bytes == 0 and m.writable) {
            // Meta pages are written with pwrite only: a stray store must not reach them.
            posix.mprotect(m.reservation[0..format.header_bytes], posix.PROT.READ) catch {};
        }
        m.mapped_bytes = new_bytes;
    }
};

/// fsync of a directory (makes renames and new names durable). The handle must be a real
/// descriptor, not O_PATH. File systems that cannot sync directories are not an error.
pub fn syncDir(dir: std.fs.Dir) !void {
    if (builtin.os.tag == .windows) return; // Windows cannot sync a directory handle.
    assert(dir.fd >= 0);
    const rc = posix.system.fsync(dir.fd);
    switch (posix.errno(rc)) {
        .SUCCESS, .INVAL => {},
        .IO => return error.InputOutput,
        .NOSPC => return error.NoSpaceLeft,
        else => |e| return posix.unexpectedErrno(e),
    }
}

pub fn pageAlign(bytes: u64) u64 {
    const aligned = std.mem.alignForward(u64, bytes, std.heap.pageSize());
    assert(aligned >= bytes);
    return aligned;
}

/// Make the file at least `new_bytes` long with its blocks allocated, so that stores
/// through the mapping cannot hit a full disk (which would be SIGBUS, not an error).
pub fn extendFile(fd: posix.fd_t, old_bytes: u64, new_bytes: u64) !void {
    assert(new_bytes > old_bytes);
    assert(new_bytes % constants.pma_file_granule_bytes == 0);
    if (builtin.os.tag == .linux) {
        const linux = std.os.linux;
        const rc = linux.fallocate(fd, 0, @intCast(old_bytes), @intCast(new_bytes - old_bytes));
        switch (linux.E.init(rc)) {
            .SUCCESS => return,
            .NOSPC => return error.NoSpaceLeft,
            .OPNOTSUPP, .NOSYS => {}, // File systems without fallocate: plain extension.
            else => |e| return posix.unexpectedErrno(e),
        }
    }
    try posix.ftruncate(fd, new_bytes);
}

/// Ask the kernel to start writing a range back now (asynchronously; best effort).
pub fn startWriteback(fd: posix.fd_t, offset_bytes: u64, len_bytes: u64) void {
    assert(offset_bytes % 8 == 0);
    assert(len_bytes > 0);
    if (builtin.os.tag != .linux) return;
    const linux = std.os.linux;
    const sync_file_range_write: usize = 2;
    _ = linux.syscall4(.sync_file_range, @bitCast(@as(isize, fd)), offset_bytes, len_bytes, sync_file_range_write);
}

/// The file size after growing from `current_bytes` to hold `need_bytes`: doubling up to
/// the growth step, then a step at a time, in whole granules.
pub fn growthTarget(current_bytes: u64, need_bytes: u64) u64 {
    assert(need_bytes > current_bytes);
    const step = @min(current_bytes, constants.pma_growth_step_bytes_max);
    const target = @max(need_bytes, current_bytes + step);
    const aligned = std.mem.alignForward(u64, target, constants.pma_file_granule_bytes);
    assert(aligned >= need_bytes);
    return aligned;
}

// ------------------------------------------------------------------------- growth

/// Make sure offsets below `need` are mapped, growing the file in place.
pub inline fn ensureCapacity(p: *Pma, need: SlabOffset) Error!void {
    if (need.toBytes() <= p.map.mapped_bytes) return;
    return grow(p, need.toBytes());
}

fn grow(p: *Pma, need_bytes: u64) Error!void {
    assert(need_bytes > p.map.mapped_bytes);
    assert(p.map.mapped_bytes <= p.map.reservation.len);
    const target = growthTarget(p.map.mapped_bytes, need_bytes);
    if (target > p.map.reservation.len)
        return p.fail(error.PmaFull, "Cannot grow slab to {d} bytes: the reservation is {d}", .{ target, p.map.reservation.len });
    if (target > p.file_bytes) {
        extendFile(p.file.handle, p.file_bytes, target) catch |e|
            return p.failIo(e, "Cannot grow {s} to {d} bytes", .{ format.slab_names[p.file_id], target });
        p.file_bytes = target;
    }
    try p.trip(.pma_grow_after_ftruncate);
    p.map.extend(p.file.handle, target) catch |e|
        return p.failIo(e, "Cannot map the grown part of {s}", .{format.slab_names[p.file_id]});
    p.growth_count += 1;
    assert(p.map.mapped_bytes == target);
    try p.trip(.pma_grow_after_mmap);
}

// ------------------------------------------------------------------------- new slab files

/// A slab file being created under its temporary name (`N.pma.tmp`), mapped writable.
pub const NewSlab = struct {
    file: std.fs.File,
    map: Mapping,
    file_id: u1,
    bytes: u64,
    renamed: bool = false,
};

/// Create `N.pma.tmp` of `bytes` (blocks allocated) and map it writable.
pub fn createTemp(p: *Pma, file_id: u1, bytes: u64) Error!NewSlab {
    assert(bytes % constants.pma_file_granule_bytes == 0);
    assert(bytes > format.header_bytes);
    const name = format.temp_names[file_id];
    const file = safe_file.open(p.dir, name, .create_truncate) catch |e|
        return p.failIo(e, "Cannot create {s}", .{name});
    errdefer {
        file.close();
        p.dir.deleteFile(name) catch {};
    }
    extendFile(file.handle, 0, bytes) catch |e| return p.failIo(e, "Cannot size {s}", .{name});
    if (bytes > p.options.reserve_bytes) return p.fail(error.PmaFull, "Cannot create a slab larger than the reservation", .{});
    var map = Mapping.init(p.options.reserve_bytes, true) catch
        return p.fail(error.ReserveFailed, "Cannot reserve {d} bytes of address space", .{p.options.reserve_bytes});
    errdefer map.deinit();
    map.extend(file.handle, bytes) catch |e| return p.failIo(e, "Cannot map {s}", .{name});
    return .{ .file = file, .map = map, .file_id = file_id, .bytes = bytes };
}

/// Drop a new slab: unmap and close it, and delete it unless it was renamed into place.
pub fn abandon(p: *Pma, fresh: *NewSlab) void {
    assert(fresh.bytes == fresh.map.mapped_bytes);
    fresh.map.deinit();
    fresh.file.close();
    if (!fresh.renamed) p.dir.deleteFile(format.temp_names[fresh.file_id]) catch {};
}

/// Map the whole of slab file `file` (size `bytes`) in a new reservation.
pub fn mapFile(p: *Pma, file: std.fs.File, bytes: u64, file_id: u1) Error!Mapping {
    assert(bytes > 0);
    var map = Mapping.init(p.options.reserve_bytes, p.mode == .writer) catch
        return p.fail(error.ReserveFailed, "Cannot reserve {d} bytes of address space", .{p.options.reserve_bytes});
    errdefer map.deinit();
    const aligned = pageAlign(bytes);
    if (aligned > map.reservation.len)
        return p.fail(error.PmaFull, "Cannot map {s}: it is larger than the reservation", .{format.slab_names[file_id]});
    map.extend(file.handle, aligned) catch |e|
        return p.failIo(e, "Cannot map {s}", .{format.slab_names[file_id]});
    assert(map.mapped_bytes == aligned);
    return map;
}

test "mapping: growth doubles, then steps, in whole granules" {
    const t = std.testing;
    const granule = constants.pma_file_granule_bytes;
    try t.expectEqual(@as(u64, 2 << 20), growthTarget(1 << 20, (1 << 20) + 8));
    try t.expectEqual(@as(u64, 8 << 20), growthTarget(1 << 20, (8 << 20) - 100));
    const big: u64 = 4 << 30;
    try t.expectEqual(big + constants.pma_growth_step_bytes_max, growthTarget(big, big + 1));
    try t.expectEqual(@as(u64, 0), growthTarget(granule, granule + 1) % granule);
}
