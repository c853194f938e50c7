//! Builds the core into one shared library (zig-out/lib/libcellar.so) and runs its unit tests.
//!
//!   zig build               release library (ReleaseFast unless -Doptimize says otherwise)
//!   zig build test          every unit test in zig/ (ReleaseSafe: assertions stay on)
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "Library build mode") orelse .ReleaseFast;
    const test_optimize = b.option(std.builtin.OptimizeMode, "test-optimize", "Unit test build mode") orelse .ReleaseSafe;
    const test_filter = b.option([]const u8, "test-filter", "Run only unit tests whose name contains this");

    const lib = b.addLibrary(.{
        .name = "cellar",
        .linkage = .dynamic,
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/ffi.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
        }),
    });
    b.installArtifact(lib);

    const tests = b.addTest(.{
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/all_tests.zig"),
            .target = target,
            .optimize = test_optimize,
            .link_libc = true,
        }),
        .filters = if (test_filter) |f| &.{f} else &.{},
    });
    const run_tests = b.addRunArtifact(tests);
    run_tests.setCwd(b.path("."));
    const test_step = b.step("test", "Run the core's unit tests");
    test_step.dependOn(&run_tests.step);

    // ---- PMA crash tests (pma_crash_driver.zig) ----------------------------------------
    // A driver that aborts real child processes at each named PMA tripwire and checks that
    // the reopened slab holds the last committed state. `zig build crash-test` runs it alone;
    // an unfiltered `zig build test` runs it too.
    const crash_driver = b.addExecutable(.{
        .name = "pma_crash_driver",
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/pma_crash_driver.zig"),
            .target = target,
            .optimize = test_optimize,
            .link_libc = true,
        }),
    });
    const run_crash = b.addRunArtifact(crash_driver);
    run_crash.setCwd(b.path("."));
    const crash_step = b.step("crash-test", "Abort real processes at each PMA tripwire and check recovery");
    crash_step.dependOn(&run_crash.step);
    if (test_filter == null) test_step.dependOn(&run_crash.step);
}
