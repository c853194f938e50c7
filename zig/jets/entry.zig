//! The shape of the jet table, shared by `jets.zig` and every family file.
//!
//! A family file (maps, parsing, floats, ...) exports two tables that `jets.zig` joins:
//!   `pub const entries = [_]Entry{ ... };`  its native arms, each under a unique name;
//!   `pub const layers = [_]Layer{ ... };`   where hoon.hoon registers them, below the
//!                                             kelvin root (one line per registering core).
//! Names are unique across all families: an arm whose %fast name Hoon reuses elsewhere
//! (`get` of `by` and of `ja`) gets a family prefix in its entry name (`by-get`), set for a
//! whole layer with `Layer.entry_prefix`.

const std = @import("std");
const assert = std.debug.assert;
const common = @import("common.zig");
const virtual = @import("virtual.zig");

/// A jet that reads only its core, one that also slams gates from its sample, or one that
/// runs Nock on the interpreter context it is called from (virtualization).
pub const Func = union(enum) {
    plain: common.Jet,
    slams: common.SlamJet,
    virtual: virtual.VirtualJet,
    /// No native code: the dashboard runs the arm's Nock through the %memo cache, keyed by
    /// the whole core and the arm's formula (pure arms of the compiler that are called
    /// again and again with the same core, such as `+play:ut`).
    memo,
};

pub const Entry = struct {
    /// Unique across the table: the %fast name of the registered core (last path element),
    /// with a family prefix where Hoon reuses the name.
    name: []const u8,
    func: Func,
    /// Axis of the jetted arm in the registered core: 2 for a gate.
    arm_axis: u64 = 2,
    /// Sample axes read, within the registered core.
    sample: []const u8,
};

pub fn plain(name: []const u8, jet: common.Jet, sample: []const u8) Entry {
    assert(name.len > 0);
    return .{ .name = name, .func = .{ .plain = jet }, .sample = sample };
}

pub fn slams(name: []const u8, jet: common.SlamJet, sample: []const u8) Entry {
    assert(name.len > 0);
    return .{ .name = name, .func = .{ .slams = jet }, .sample = sample };
}

pub fn nests(name: []const u8, jet: virtual.VirtualJet, sample: []const u8) Entry {
    assert(name.len > 0);
    return .{ .name = name, .func = .{ .virtual = jet }, .sample = sample };
}

/// The registering cores of one layer of hoon.hoon, below the kelvin root.
pub const Layer = struct {
    /// Path below the kelvin root, names joined by '/' (`one/two/by`).
    prefix: []const u8,
    /// The %fast names registered directly under `prefix`.
    names: []const []const u8,
    /// The entry every name of the layer runs; null: the entry named like the path element
    /// (with `entry_prefix` in front).
    entry: ?[]const u8 = null,
    entry_prefix: []const u8 = "",
};

/// One registration path and the entry (by name) it runs.
pub const Path = struct {
    path: []const u8,
    name: []const u8,
};
