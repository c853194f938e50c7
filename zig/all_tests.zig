//! Collects every file's unit tests for `zig build test`.
test {
    _ = @import("noun.zig");
    _ = @import("workspace.zig");
    _ = @import("equality.zig");
}
