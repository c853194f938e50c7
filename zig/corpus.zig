//! The shared test corpus (`../shared/corpus`, beside the checkout; see its README.md), for
//! unit tests. It is foreign material and not part of the repository: a test that needs it
//! returns `error.SkipZigTest` when it is absent (as on a fresh clone), so the run reports it
//! as skipped rather than passed.

const std = @import("std");

/// The corpus directory, relative to the working directory of `zig build test` (the
/// repository root).
pub const dir = "../shared/corpus";

/// A corpus file, or null (with a message) when the shared corpus is absent.
pub fn readCorpus(gpa: std.mem.Allocator, rel_path: []const u8) !?[]u8 {
    std.debug.assert(rel_path.len > 0);
    std.debug.assert(rel_path[0] != '/'); // Relative to the corpus.
    var buf: [256]u8 = undefined;
    const path = try std.fmt.bufPrint(&buf, "{s}/{s}", .{ dir, rel_path });
    return std.fs.cwd().readFileAlloc(gpa, path, 64 << 20) catch |e| switch (e) {
        error.FileNotFound => {
            std.debug.print("skip: {s} not found (shared corpus absent)\n", .{path});
            return null;
        },
        else => return e,
    };
}
