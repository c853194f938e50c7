//! Anonymous memory from the OS, the same way on every supported target.
//!
//! POSIX targets map private anonymous pages with MAP_NORESERVE (the pages are committed as
//! they are touched). Windows has no overcommit, so a region is reserved and
//! committed at once with VirtualAlloc: it counts against the commit limit from the start,
//! though its pages still cost no physical memory until they are touched.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const posix = std.posix;
const windows = std.os.windows;

const page = std.heap.page_size_min;

pub const Error = error{OutOfMemory};

/// `len` bytes (a whole number of pages) of zeroed read-write memory, committed lazily on
/// POSIX targets (MAP_NORESERVE).
pub fn map(len: usize) Error![]align(page) u8 {
    assert(len > 0);
    assert(len % page == 0);
    if (builtin.os.tag == .windows) {
        const flags = windows.MEM_RESERVE | windows.MEM_COMMIT;
        const address = windows.VirtualAlloc(null, len, flags, windows.PAGE_READWRITE) catch
            return error.OutOfMemory;
        const bytes: [*]align(page) u8 = @ptrCast(@alignCast(address));
        return bytes[0..len];
    }
    const memory = posix.mmap(null, len, posix.PROT.READ | posix.PROT.WRITE, .{
        .TYPE = .PRIVATE,
        .ANONYMOUS = true,
        .NORESERVE = true,
    }, -1, 0) catch return error.OutOfMemory;
    assert(memory.len == len);
    return memory;
}

/// Give back memory from `map` (the whole region).
pub fn unmap(memory: []align(page) u8) void {
    assert(memory.len > 0);
    if (builtin.os.tag == .windows) {
        windows.VirtualFree(memory.ptr, 0, windows.MEM_RELEASE);
        return;
    }
    posix.munmap(memory);
}

/// Tell the OS the contents of `memory` (inside a `map` region) are garbage: it may drop
/// the pages. Their contents afterwards are unspecified (zero on Linux); best effort.
pub fn discard(memory: []align(page) u8) void {
    if (memory.len == 0) return;
    assert(memory.len % page == 0);
    if (builtin.os.tag == .windows) {
        _ = windows.VirtualAlloc(memory.ptr, memory.len, windows.MEM_RESET, windows.PAGE_READWRITE) catch {};
        return;
    }
    posix.madvise(memory.ptr, memory.len, posix.MADV.DONTNEED) catch {};
}

test "os_memory: a mapped region is zeroed, writable and can be discarded" {
    const memory = try map(4 * page);
    defer unmap(memory);
    try std.testing.expect(std.mem.allEqual(u8, memory, 0));
    @memset(memory, 0xab);
    discard(memory[page..]);
    try std.testing.expectEqual(@as(u8, 0xab), memory[0]);
    memory[page] = 1;
    try std.testing.expectEqual(@as(u8, 1), memory[page]);
}
