//! Builds the core into one shared library (zig-out/lib/libcellar.so) and runs its unit tests.
//!
//!   zig build               release library (ReleaseFast unless -Doptimize says otherwise),
//!                           and the same library with tripwires for the crash tests
//!                           (zig-out/lib/tripwire/libcellar.so)
//!   zig build lib           the release library alone; with -Dtarget=... it cross-compiles
//!                           and -Dstrip=true leaves debug information out (tools/build_libs.ts
//!                           builds every packaged target this way)
//!   zig build test          every unit test in zig/ (ReleaseSafe: assertions stay on)
//!   zig build crash-test    abort real processes at each PMA tripwire (pma_crash_driver.zig)
//!
//! Tripwires (zig/tripwire.zig: named fault-injection points, armed by CELLAR_TRIPWIRE)
//! are compiled in only where asked: `-Dtripwires=true` for the release library (default
//! off, so no environment variable can make a production process abort), always for the
//! unit tests, the crash driver and the tripwire library.
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "Library build mode") orelse .ReleaseFast;
    const test_optimize = b.option(std.builtin.OptimizeMode, "test-optimize", "Unit test build mode") orelse .ReleaseSafe;
    const test_filter = b.option([]const u8, "test-filter", "Run only unit tests whose name contains this");
    const tripwires = b.option(bool, "tripwires", "Compile the PMA's fault-injection points into the release library") orelse false;
    const strip = b.option(bool, "strip", "Leave debug information out of the release library (packaged builds)") orelse false;

    const release = library(b, target, optimize, tripwires);
    release.root_module.strip = strip;
    const release_library = b.addInstallArtifact(release, .{});
    b.getInstallStep().dependOn(&release_library.step);
    const lib_step = b.step("lib", "Build the release library alone (for any -Dtarget)");
    lib_step.dependOn(&release_library.step);
    // The Deno crash tests load this one through CELLAR_LIB. ReleaseSafe: it only runs in
    // tests, where a broken assertion on a crash path should panic, not go unnoticed.
    const tripwire_library = b.addInstallArtifact(library(b, target, .ReleaseSafe, true), .{
        .dest_dir = .{ .override = .{ .custom = "lib/tripwire" } },
    });
    b.getInstallStep().dependOn(&tripwire_library.step);

    const tests = b.addTest(.{
        .root_module = rootModule(b, "zig/all_tests.zig", target, test_optimize, true),
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
        .root_module = rootModule(b, "zig/pma_crash_driver.zig", target, test_optimize, true),
    });
    const run_crash = b.addRunArtifact(crash_driver);
    run_crash.setCwd(b.path("."));
    const crash_step = b.step("crash-test", "Abort real processes at each PMA tripwire and check recovery");
    crash_step.dependOn(&run_crash.step);
    if (test_filter == null) test_step.dependOn(&run_crash.step);
}

/// libcellar.so from zig/ffi.zig, with or without tripwires.
fn library(
    b: *std.Build,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    tripwires: bool,
) *std.Build.Step.Compile {
    return b.addLibrary(.{
        .name = "cellar",
        .linkage = .dynamic,
        .root_module = rootModule(b, "zig/ffi.zig", target, optimize, tripwires),
    });
}

/// A module rooted at `path` (linking libc) that can `@import("build_options")`.
fn rootModule(
    b: *std.Build,
    path: []const u8,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    tripwires: bool,
) *std.Build.Module {
    const options = b.addOptions();
    options.addOption(bool, "tripwires", tripwires);
    const module = b.createModule(.{
        .root_source_file = b.path(path),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    module.addOptions("build_options", options);
    return module;
}
