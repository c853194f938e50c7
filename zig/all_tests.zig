//! Collects every file's unit tests for `zig build test`.
test {
    _ = @import("noun.zig");
    _ = @import("workspace.zig");
    _ = @import("os_memory.zig");
    _ = @import("equality.zig");
    _ = @import("mug.zig");
    _ = @import("bitstream.zig");
    _ = @import("jam.zig");
    _ = @import("cue.zig");
    _ = @import("fuzz_cue.zig");
    _ = @import("handles.zig");
    _ = @import("machine.zig");
    _ = @import("machine_pma.zig");
    _ = @import("registry.zig");
    _ = @import("ffi.zig");
    _ = @import("interpreter.zig");
    _ = @import("interpreter_test.zig");
    _ = @import("tripwire.zig");
    _ = @import("pma.zig");
    _ = @import("pma/format.zig");
    _ = @import("pma/mapping.zig");
    _ = @import("pma/gc.zig");
    _ = @import("pma/format_test.zig");
    _ = @import("pma/arena_test.zig");
    _ = @import("pma/gc_test.zig");
    _ = @import("pma/tripwire_test.zig");
    _ = @import("pma/replica_test.zig");
    _ = @import("pma/integrity.zig");
    _ = @import("pma/scrub.zig");
    _ = @import("pma/mug_check.zig");
    _ = @import("pma/integrity_test.zig");
    _ = @import("files.zig");
    _ = @import("jets/jets.zig");
    _ = @import("memo.zig");
    _ = @import("word_cache.zig");
    _ = @import("dashboard.zig");
}
