//! Fuzzer for cue: random bytes and mutations of valid jams (bit flips, truncations,
//! splices, corrupted and inserted length fields). Every input must give a noun or
//! `error.BadJam`, never a crash, a hang or an allocation out of proportion to the input;
//! every noun must survive the round trip cue(jam(x)) = x.
//!
//!   CELLAR_FUZZ_ITERATIONS   iteration count (default constants.cue_fuzz_iterations_default)
//!   CELLAR_FUZZ_SEED         PRNG seed, decimal or 0x-hex (default fixed; always printed)

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const jam = @import("jam.zig");
const cue = @import("cue.zig");
const corpus = @import("corpus.zig");
const mug = @import("mug.zig");
const equality = @import("equality.zig");

const testing = std.testing;

/// Bytes of workspace a cue may take per input byte: one 3-word cell per 2 input bits.
const ws_bytes_per_input_byte: u64 = 96;
const input_bytes_max: usize = 4096;

fn envU64(name: []const u8, default: u64) u64 {
    const text = std.posix.getenv(name) orelse return default;
    return std.fmt.parseInt(u64, text, 0) catch default;
}

/// A random noun with sharing, built bottom-up from a pool (no recursion).
fn randomNoun(ws: *Workspace, random: std.Random) !Noun {
    var pool: [64]Noun = undefined;
    var len: usize = 0;
    const atoms = 2 + random.uintLessThan(usize, 8);
    while (len < atoms) : (len += 1) {
        pool[len] = switch (random.uintLessThan(u8, 4)) {
            0 => Noun.direct(random.uintLessThan(u64, 4)),
            1 => Noun.direct(random.int(u16)),
            2 => try ws.atomU64(random.int(u64)),
            else => blk: {
                var limbs: [4]u64 = undefined;
                for (&limbs) |*l| l.* = random.int(u64);
                break :blk try ws.atomFromLimbs(limbs[0 .. 1 + random.uintLessThan(usize, 4)]);
            },
        };
    }
    const cells = 1 + random.uintLessThan(usize, pool.len - atoms);
    for (0..cells) |_| {
        // Prefer recent entries so that nouns grow deep, while repeats give backreferences.
        const a = pool[len - 1 - random.uintLessThan(usize, @min(len, 4))];
        const b = pool[random.uintLessThan(usize, len)];
        pool[len] = if (random.boolean()) try ws.cell(a, b) else try ws.cell(b, a);
        len += 1;
    }
    return pool[len - 1];
}

const Bits = struct {
    fn get(bytes: []const u8, i: usize) u1 {
        return @truncate(bytes[i / 8] >> @intCast(i % 8));
    }

    fn set(bytes: []u8, i: usize, v: u1) void {
        const mask = @as(u8, 1) << @intCast(i % 8);
        if (v == 1) bytes[i / 8] |= mask else bytes[i / 8] &= ~mask;
    }
};

/// Insert `count` copies of bit `v` at bit `at` (the tail moves up; the buffer grows).
fn insertBits(out: *std.ArrayList(u8), gpa: std.mem.Allocator, at: usize, count: usize, v: u1) !void {
    const old_bits = out.items.len * 8;
    try out.appendNTimes(gpa, 0, (count + 7) / 8);
    var i = old_bits;
    while (i > at) {
        i -= 1;
        Bits.set(out.items, i + count, Bits.get(out.items, i));
    }
    for (at..at + count) |j| Bits.set(out.items, j, v);
}

/// Apply one random mutation to `out`, which holds a copy of a seed.
fn mutate(out: *std.ArrayList(u8), gpa: std.mem.Allocator, random: std.Random, other: []const u8) !void {
    const len = out.items.len;
    if (len == 0) return out.appendSlice(gpa, other);
    const bits = len * 8;
    switch (random.uintLessThan(u8, 8)) {
        0 => for (0..1 + random.uintLessThan(usize, 4)) |_| {
            const i = random.uintLessThan(usize, bits);
            Bits.set(out.items, i, ~Bits.get(out.items, i));
        },
        1 => out.items.len = random.uintLessThan(usize, len),
        2 => { // splice: a prefix of this, a suffix of another
            const cut = random.uintLessThan(usize, len + 1);
            const from = random.uintLessThan(usize, other.len + 1);
            out.items.len = cut;
            try out.appendSlice(gpa, other[from..]);
        },
        3 => { // a run of zeros lengthens a mat length-of-length, perhaps absurdly
            try insertBits(out, gpa, random.uintLessThan(usize, bits), 1 + random.uintLessThan(usize, 80), 0);
        },
        4 => { // overwrite a window with zeros or ones (corrupts lengths and offsets)
            const at = random.uintLessThan(usize, bits);
            const v: u1 = @intCast(random.uintLessThan(u8, 2));
            for (at..@min(bits, at + 1 + random.uintLessThan(usize, 70))) |i| Bits.set(out.items, i, v);
        },
        5 => try insertBits(out, gpa, random.uintLessThan(usize, bits), 1 + random.uintLessThan(usize, 3), @intCast(random.uintLessThan(u8, 2))),
        6 => { // delete a few bits
            const at = random.uintLessThan(usize, bits);
            const n = @min(bits - at, 1 + random.uintLessThan(usize, 8));
            for (at..bits - n) |i| Bits.set(out.items, i, Bits.get(out.items, i + n));
            for (bits - n..bits) |i| Bits.set(out.items, i, 0);
        },
        else => { // random bytes
            out.items.len = 0;
            for (0..random.uintLessThan(usize, 48)) |_| try out.append(gpa, random.int(u8));
        },
    }
    if (out.items.len > input_bytes_max) out.items.len = input_bytes_max;
}

/// Structural equality that stays linear on shared DAGs: a pair of cells met twice is
/// compared once (if any pair differs, its first visit finds it).
fn equalShared(ws: *Workspace, gpa: std.mem.Allocator, a: Noun, b: Noun) !bool {
    var stack: std.ArrayList([2]Noun) = .empty;
    defer stack.deinit(gpa);
    var seen: std.AutoHashMapUnmanaged([2]u64, void) = .empty;
    defer seen.deinit(gpa);
    try stack.append(gpa, .{ a, b });
    while (stack.pop()) |pair| {
        const x = pair[0];
        const y = pair[1];
        if (x == y) continue;
        if (x.isCell() != y.isCell()) return false;
        if (!x.isCell()) {
            if (!equality.atomsEqual(ws, x, y)) return false;
            continue;
        }
        if ((try seen.getOrPut(gpa, .{ x.raw(), y.raw() })).found_existing) continue;
        try stack.append(gpa, .{ ws.tail(x), ws.tail(y) });
        try stack.append(gpa, .{ ws.head(x), ws.head(y) });
    }
    return true;
}

const Stats = struct { nouns: u64 = 0, bad: u64 = 0 };

/// Cue one input and check the outcome.
fn check(ws: *Workspace, gpa: std.mem.Allocator, input: []const u8, stats: *Stats) !void {
    const used_before = ws.usedBytes();
    const n = cue.cue(ws, input) catch |e| {
        try testing.expectEqual(error.BadJam, e);
        stats.bad += 1;
        return;
    };
    stats.nouns += 1;
    try testing.expect(ws.usedBytes() - used_before <= ws_bytes_per_input_byte * input.len + 16);
    const again = try jam.jamBytes(ws, gpa, n);
    defer gpa.free(again);
    try testing.expect(again.len > 0);
    const back = try cue.cue(ws, again);
    try testing.expect(try equalShared(ws, gpa, n, back));
    try testing.expectEqual(try mug.mug(ws, n), try mug.mug(ws, back));
    // Jam is canonical: a second round gives the same bytes.
    const third = try jam.jamBytes(ws, gpa, back);
    defer gpa.free(third);
    try testing.expectEqualSlices(u8, again, third);
}

fn loadSeeds(ws: *Workspace, gpa: std.mem.Allocator, random: std.Random, seeds: *std.ArrayList([]u8)) !void {
    for (0..48) |_| {
        const n = try randomNoun(ws, random);
        try seeds.append(gpa, try jam.jamBytes(ws, gpa, n));
    }
    const files = [_][]const u8{
        "nock/hurray.jam",       "nock/decrement.jam",       "nock/decrement2.jam",
        "nock/decfast.jam",      "nock/decslow.jam",         "nock/decflow.jam",
        "nock/repeat5_1000.jam", "nock/repeat5_1000_tc.jam",
    };
    for (files) |path| {
        const bytes = (try corpus.readCorpus(gpa, path)) orelse break;
        try seeds.append(gpa, bytes);
    }
}

test "fuzz: cue of random and mutated input returns a noun or BadJam" {
    // libc's allocator: the testing allocator records a stack trace per allocation, which
    // would dominate the run. Leaks are checked by jam.zig's and cue.zig's tests.
    const gpa = std.heap.c_allocator;
    const iterations = envU64("CELLAR_FUZZ_ITERATIONS", constants.cue_fuzz_iterations_default);
    const seed = envU64("CELLAR_FUZZ_SEED", constants.cue_fuzz_seed_default);
    std.debug.print("fuzz_cue: seed 0x{x}, {d} iterations\n", .{ seed, iterations });
    var prng = std.Random.DefaultPrng.init(seed);
    const random = prng.random();
    var ws = try Workspace.init(gpa, 256 << 20);
    defer ws.deinit();
    var seeds: std.ArrayList([]u8) = .empty;
    defer {
        for (seeds.items) |s| gpa.free(s);
        seeds.deinit(gpa);
    }
    try loadSeeds(&ws, gpa, random, &seeds);
    var input: std.ArrayList(u8) = .empty;
    defer input.deinit(gpa);
    var stats = Stats{};
    for (0..iterations) |_| {
        const base = seeds.items[random.uintLessThan(usize, seeds.items.len)];
        const other = seeds.items[random.uintLessThan(usize, seeds.items.len)];
        input.clearRetainingCapacity();
        if (random.uintLessThan(u8, 8) == 0) {
            // A fresh valid jam, to keep the round-trip oracle busy.
            const fresh = try jam.jamBytes(&ws, gpa, try randomNoun(&ws, random));
            defer gpa.free(fresh);
            try input.appendSlice(gpa, fresh);
        } else {
            try input.appendSlice(gpa, base);
            for (0..1 + random.uintLessThan(usize, 3)) |_| try mutate(&input, gpa, random, other);
        }
        try check(&ws, gpa, input.items, &stats);
        // No roots are held between iterations, so a collection frees everything.
        if (ws.wantsCollect()) ws.collect();
    }
    std.debug.print("fuzz_cue: {d} nouns, {d} BadJam\n", .{ stats.nouns, stats.bad });
    try testing.expectEqual(iterations, stats.nouns + stats.bad);
    if (iterations >= 1000) try testing.expect(stats.nouns > iterations / 100);
}
