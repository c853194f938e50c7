//! The native jet table: which Hoon arms Cellar runs natively, and where kernels register
//! them. Data only; the dashboard (cold state from %fast hints, matching at Nock 9) reads it.
//!
//! `entries` is keyed by the %fast name of the jetted core, the last element of its
//! registration path. Every entry here is a gate: the registered core is the gate, the
//! jetted arm is its axis 2 (`arm_axis`), and the jet receives that core (sample at 6).
//! `sample` documents the axes each jet reads (see the per-file comments for details).
//!
//! `paths` lists the full registration paths of the kernels Cellar knows, root first,
//! names joined by '/'. A root whose name is a cell `[%k 140]` is written `k140` (the cord,
//! then the number). A name alone is not enough to match: Hoon reuses names (`rep` is both
//! the bit gate in `%two` and an arm of the `by` door), so the dashboard must match a
//! registered core's whole path against `paths` (or a kernel-specific table added beside
//! it). The kelvin paths are those the ivory pill (k140) and the shared test kernel (k138)
//! register, with the layer layout of hoon.hoon (`%one` math and trees; `%two` lists, bits,
//! mug, orderings, jam/cue; `%tri` SHA; `%qua` text).

const std = @import("std");
const assert = std.debug.assert;
const common = @import("common.zig");
const math = @import("math.zig");
const tree = @import("tree.zig");
const bits = @import("bits.zig");
const sort = @import("sort.zig");
const list = @import("list.zig");
const hash = @import("hash.zig");
const text = @import("text.zig");
const serial_jets = @import("serial_jets.zig");
const kv_trie = @import("kv_trie.zig");
const entry_mod = @import("entry.zig");
const parse = @import("parse.zig");
pub const virtual = @import("virtual.zig");
pub const slam = @import("slam.zig");

pub const JetError = common.JetError;
pub const Jet = common.Jet;
pub const Slam = common.Slam;
pub const SlamJet = common.SlamJet;

pub const Func = entry_mod.Func;
pub const Entry = entry_mod.Entry;
pub const Layer = entry_mod.Layer;
pub const Path = entry_mod.Path;
const plain = entry_mod.plain;
const slams = entry_mod.slams;
const nests = entry_mod.nests;

/// The family files, each with its `entries` and `layers` (see entry.zig). A new family is
/// one import here.
const families = .{
    @import("ob.zig"),
    @import("format.zig"),
    parse,
    @import("maps.zig"),
    @import("types.zig"),
    @import("types_pen.zig"),
    @import("crypto.zig"),
    @import("nockchain.zig"),
    @import("nockchain_ext.zig"),
    @import("tip5.zig"),
    @import("encodings.zig"),
    @import("lines.zig"),
    @import("crypto_ec.zig"),
    @import("crypto_argon.zig"),
    @import("crypto_chacha.zig"),
    @import("floats.zig"),
    @import("floats_cofl.zig"),
    @import("stdlib.zig"),
    math,
    list,
    serial_jets,
    @import("og.zig"),
};

const base_entries = [_]Entry{
    // math (%one)
    plain("add", math.add, "[a=@ b=@] 12 13"),
    plain("dec", math.dec, "a=@ 6"),
    plain("div", math.div, "[a=@ b=@] 12 13"),
    plain("dvr", math.dvr, "[a=@ b=@] 12 13"),
    plain("gte", math.gte, "[a=@ b=@] 12 13"),
    plain("gth", math.gth, "[a=@ b=@] 12 13"),
    plain("lte", math.lte, "[a=@ b=@] 12 13"),
    plain("lth", math.lth, "[a=@ b=@] 12 13"),
    plain("max", math.max, "[a=@ b=@] 12 13"),
    plain("min", math.min, "[a=@ b=@] 12 13"),
    plain("mod", math.mod, "[a=@ b=@] 12 13"),
    plain("mul", math.mul, "[a=@ b=@] 12 13"),
    plain("sub", math.sub, "[a=@ b=@] 12 13"),
    // tree (%one)
    plain("cap", tree.cap, "a=@ 6"),
    plain("mas", tree.mas, "a=@ 6"),
    plain("peg", tree.peg, "[a=@ b=@] 12 13"),
    // bits (%two)
    plain("bex", bits.bex, "a=bloq 6"),
    plain("can", bits.can, "[a=bloq b=(list [p=step q=@])] 12 13"),
    plain("cat", bits.cat, "[a=bloq b=@ c=@] 12 26 27"),
    plain("cut", bits.cut, "[a=bloq [b=step c=step] d=@] 12 52 53 27"),
    plain("end", bits.end, "[a=bite b=@] 12 13"),
    plain("lsh", bits.lsh, "[a=bite b=@] 12 13"),
    plain("met", bits.met, "[a=bloq b=@] 12 13"),
    plain("rap", bits.rap, "[a=bloq b=(list @)] 12 13"),
    plain("rep", bits.rep, "[a=bite b=(list @)] 12 13"),
    plain("rev", bits.rev, "[boz=bloq len=@ud dat=@] 12 26 27"),
    plain("rip", bits.rip, "[a=bite b=@] 12 13"),
    plain("rsh", bits.rsh, "[a=bite b=@] 12 13"),
    plain("sew", bits.sew, "[a=bloq [b=step c=step d=@] e=@] 12 52 106 107 27"),
    plain("swp", bits.swp, "[a=bloq b=@] 12 13"),
    plain("xeb", bits.xeb, "a=@ 6"),
    plain("con", bits.con, "[a=@ b=@] 12 13"),
    plain("dis", bits.dis, "[a=@ b=@] 12 13"),
    plain("mix", bits.mix, "[a=@ b=@] 12 13"),
    // orderings (%two)
    plain("aor", sort.aor, "[a=* b=*] 12 13"),
    plain("dor", sort.dor, "[a=* b=*] 12 13"),
    plain("gor", sort.gor, "[a=* b=*] 12 13"),
    plain("mor", sort.mor, "[a=* b=*] 12 13"),
    // nouns (%two)
    plain("mug", serial_jets.mug, "a=* 6"),
    plain("jam", serial_jets.jam, "a=* 6"),
    plain("cue", serial_jets.cue, "a=@ 6"),
    // lists (%two)
    plain("find", list.find, "[nedl=(list) hstk=(list)] 12 13"),
    plain("flop", list.flop, "a=(list) 6"),
    plain("lent", list.lent, "a=(list) 6"),
    slams("levy", list.levy, "[a=(list) b=$-(* ?)] 12 13"),
    plain("reap", list.reap, "[a=@ b=*] 12 13"),
    slams("roll", list.roll, "[a=(list) b=gate] 12 13; state at 13 of b"),
    plain("scag", list.scag, "[a=@ b=(list)] 12 13"),
    plain("snag", list.snag, "[a=@ b=(list)] 12 13"),
    plain("snip", list.snip, "a=(list) 6"),
    slams("turn", list.turn, "[a=(list) b=gate] 12 13"),
    plain("weld", list.weld, "[a=(list) b=(list)] 12 13"),
    plain("zing", list.zing, "a=(list (list)) 6"),
    // SHA (%tri; sha1 is sha-1l in the %sha core)
    plain("shax", hash.shax, "ruz=@ 6"),
    plain("shay", hash.shay, "[len=@u ruz=@] 12 13"),
    plain("shal", hash.shal, "[len=@ ruz=@] 12 13"),
    plain("shas", hash.shas, "[sal=@ ruz=@] 12 13"),
    plain("sha1", hash.sha1, "[wid=@ud dat=@] 12 13"),
    // text (%qua)
    plain("trip", text.trip, "a=@ 6"),
    // virtualization (%qua)
    nests("mink", virtual.mink, "[[subject=* formula=*] scry=gate] 24 25 13"),
    nests("mole", virtual.mole, "tap=trap 6"),
    nests("mule", virtual.mule, "tap=trap 6"),
    // the default kernel's store (kernels/kv.hoon)
    plain("got", kv_trie.got, "[t=trie key=@] 12 13"),
    plain("put", kv_trie.put, "[t=trie key=@ value=*] 12 26 27"),
    plain("del", kv_trie.del, "[t=trie key=@] 12 13"),
    // memoized arms (the compiler's type engine)
    .{ .name = "memo", .func = .memo, .sample = "the whole core" },
};

pub const entries = blk: {
    var all: []const Entry = &base_entries;
    for (families) |family| all = all ++ &family.entries;
    break :blk all[0..all.len].*;
};

/// Where hoon.hoon (kelvins 140 to 138) registers the jetted gates.
const base_layers = [_]Layer{
    .{ .prefix = "one", .names = &.{
        "add", "dec", "div", "dvr", "gte", "gth", "lte", "lth", "max", "min", "mod", "mul", "sub",
        "cap", "mas", "peg",
    } },
    .{ .prefix = "one/two", .names = &.{
        "find", "flop", "lent", "levy", "reap", "roll", "scag", "snag", "snip", "turn", "weld", "zing",
        "bex",  "can",  "cat",  "cut",  "end",  "lsh",  "met",  "rap",  "rep",  "rev",  "rip",  "rsh",
        "sew",  "swp",  "xeb",  "con",  "dis",  "mix",  "mug",  "aor",  "dor",  "gor",  "mor",  "cue",
        "jam",
    } },
    .{ .prefix = "one/two/tri", .names = &.{ "shax", "shay", "shal", "shas" } },
    .{ .prefix = "one/two/tri/sha", .names = &.{"sha1"} },
    .{ .prefix = "one/two/tri/qua", .names = &.{ "trip", "mink", "mole", "mule" } },
    // The type engine `+ut` of the compiler: pure and called with the same cores over and
    // over while a program is compiled.
    .{ .prefix = "one/two/tri/qua/pen/ut", .entry = "memo", .names = &.{
        "play", "peek", "rest", "mint", "mull", "crop", "fish", "fuse", "find", "fond",
    } },
    .{ .prefix = "one/two/tri/qua/pen/ut/nest/nest-in", .entry = "memo", .names = &.{"nest-dext"} },
};

const hoon_layers = blk: {
    var all: []const Layer = &base_layers;
    for (families) |family| all = all ++ &family.layers;
    break :blk all[0..all.len].*;
};

/// Kelvin roots seen in the corpus: the ivory pill registers `[%k 140]`, the test kernel
/// `[%k 138]`, and the standard library inside the corpus's shax.jam is `[%k 139]`.
const hoon_kelvins = [_][]const u8{ "k140", "k139", "k138" };

/// Cellar's default kernel (kernels/kv.hoon) is standalone: it registers its own arithmetic
/// gates and the walks of its store's trie under the root `%cellar-kv` (payload `~`), with
/// the samples of the entries here.
const cellar_kv_names = [_][]const u8{ "add", "dec", "dvr", "lth", "mul", "sub", "got", "put", "del" };

fn countPaths() usize {
    var n: usize = 1; // a50/dec
    for (hoon_layers) |layer| n += layer.names.len;
    assert(n > 1);
    return n * hoon_kelvins.len + 1 - hoon_kelvins.len + cellar_kv_names.len;
}

pub const paths: [countPaths()]Path = blk: {
    @setEvalBranchQuota(100_000);
    var out: [countPaths()]Path = undefined;
    var i: usize = 0;
    // The corpus programs' test root `[%a 50]` with its child `dec`.
    out[i] = .{ .path = "a50/dec", .name = "dec" };
    i += 1;
    for (hoon_kelvins) |kelvin| {
        for (hoon_layers) |layer| {
            for (layer.names) |name| {
                out[i] = .{
                    .path = kelvin ++ "/" ++ layer.prefix ++ "/" ++ name,
                    .name = layer.entry orelse layer.entry_prefix ++ name,
                };
                i += 1;
            }
        }
    }
    for (cellar_kv_names) |name| {
        out[i] = .{ .path = "cellar-kv/" ++ name, .name = name };
        i += 1;
    }
    assert(i == out.len);
    break :blk out;
};

/// A core recognized by its battery, for programs that arrive already built (a jammed
/// kernel): the %fast hints that registered their standard library ran where they were
/// built, not here, so a gate's hint finds its parent unregistered. The dashboard then
/// looks the parent up here, by the SHA-256 of its battery's jam (the mug is a quick
/// filter) and, for a root, its payload, walking up until it reaches a registered core or
/// a known root; a match registers the chain under these paths, exactly as the hints
/// would have.
pub const KnownCore = struct {
    path: []const u8,
    /// The parent's axis in this core; 0 for a root.
    parent_axis: u64,
    /// A root's payload (its kelvin).
    payload: u64 = 0,
    battery_mug: u32,
    battery_sha256: [32]u8,
};

fn hexBytes(comptime digits: []const u8) [32]u8 {
    comptime assert(digits.len == 64);
    var out: [32]u8 = undefined;
    _ = std.fmt.hexToBytes(&out, digits) catch unreachable;
    return out;
}

pub const known_cores = [_]KnownCore{
    // The layers of the kelvin-139 standard library (`=>` composition: the parent is the
    // payload, axis 3).
    .{ .path = "k139", .parent_axis = 0, .payload = 139, .battery_mug = 0x1b82ed00, .battery_sha256 = hexBytes("525c3d7e8579cfba7bb505a61c9d78c9a9e1954e9d0b3ffb7a073c0903a9829b") },
    .{ .path = "k139/one", .parent_axis = 3, .battery_mug = 0x5d45aaab, .battery_sha256 = hexBytes("487cefdeaa1a4a4a019dc32671912920068a6ee6b0c4efa7ae0cc7894d591da3") },
    .{ .path = "k139/one/two", .parent_axis = 3, .battery_mug = 0x7184f8a6, .battery_sha256 = hexBytes("968310bb7258c68dcfdd99ec536a8b4ffe7b1e30fc279c17e1bcb0add9edc150") },
    .{ .path = "k139/one/two/tri", .parent_axis = 3, .battery_mug = 0x7e433508, .battery_sha256 = hexBytes("e693d190b87334357db7fa60bf3a39f65a62fc51e228eea2ebc171ab7e9b3709") },
};

pub fn byName(name: []const u8) ?*const Entry {
    for (&entries) |*entry| {
        if (std.mem.eql(u8, entry.name, name)) return entry;
    }
    return null;
}

pub fn byPath(path: []const u8) ?*const Entry {
    for (paths) |p| {
        if (std.mem.eql(u8, p.path, path)) {
            const entry = byName(p.name);
            assert(entry != null); // Every path names an entry (tested below).
            return entry;
        }
    }
    return null;
}

// ------------------------------------------------------------------------- tests

test {
    _ = @import("common.zig");
    _ = @import("table.zig");
    _ = entry_mod;
    inline for (families) |family| _ = family;
    _ = @import("atom.zig");
    _ = math;
    _ = tree;
    _ = bits;
    _ = sort;
    _ = list;
    _ = hash;
    _ = text;
    _ = serial_jets;
    _ = kv_trie;
    _ = virtual;
    _ = slam;
}

const testing = std.testing;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const t = @import("testing.zig");

test "jet table: names unique, every path resolves" {
    for (entries, 0..) |a, i| {
        for (entries[i + 1 ..]) |b| try testing.expect(!std.mem.eql(u8, a.name, b.name));
        // Only a memoized arm may be another arm than a gate's (`open` of the `ap` door).
        try testing.expect(a.arm_axis == 2 or a.func == .memo);
    }
    for (paths) |p| {
        try testing.expect(byName(p.name) != null);
        const entry = byName(p.name).?;
        try testing.expect(entry.func == .memo or std.mem.endsWith(u8, p.name, p.path[std.mem.lastIndexOfScalar(u8, p.path, '/').? + 1 ..]));
    }
    try testing.expect(byPath("a50/dec").?.func.plain == math.dec);
    try testing.expect(byPath("k140/one/add").?.func.plain == math.add);
    try testing.expect(byPath("k138/one/two/tri/sha/sha1").?.func.plain == hash.sha1);
    try testing.expect(byPath("k140/one/two/turn").?.func == .slams);
    try testing.expect(byPath("k140/one/two/by/rep").?.func == .slams); // not the bit gate `rep`
    // Every jet of the issue's list is present (virtualization comes with the dashboard).
    const wanted = [_][]const u8{
        "add",  "dec",  "div",  "dvr",  "gte",  "gth",  "lte",  "lth",  "max",  "min",  "mod",
        "mul",  "sub",  "cap",  "mas",  "peg",  "bex",  "can",  "cat",  "cut",  "end",  "lsh",
        "met",  "rap",  "rep",  "rev",  "rip",  "rsh",  "xeb",  "con",  "dis",  "mix",  "sew",
        "swp",  "dor",  "gor",  "mor",  "aor",  "mug",  "jam",  "cue",  "sha1", "shax", "shay",
        "shal", "shas", "flop", "lent", "levy", "reap", "roll", "scag", "snag", "snip", "turn",
        "weld", "zing", "find", "trip",
    };
    for (wanted) |name| try testing.expect(byName(name) != null);
}

test "jet table: the default kernel's cellar-kv gates resolve" {
    try testing.expect(byPath("cellar-kv/add").?.func.plain == math.add);
    try testing.expect(byPath("cellar-kv/dvr").?.func.plain == math.dvr);
    try testing.expect(byPath("cellar-kv/mul").?.func.plain == math.mul);
    try testing.expect(byPath("cellar-kv/put").?.func.plain == kv_trie.put);
    try testing.expect(byPath("cellar-kv/div") == null);
}

/// A slam that answers every call with 0 (a valid loobean and a valid product).
fn zeroSlam(_: *anyopaque, _: Noun, _: Noun) JetError!Noun {
    return Noun.zero;
}

/// Random nouns from edge-case atoms, shallow enough to be samples.
fn randomNoun(ws: *Workspace, random: std.Random, depth: u32) !Noun {
    if (depth == 0 or random.uintLessThan(u32, 3) == 0) {
        const edges = [_]u64{ 0, 1, 2, 3, 7, 8, 63, 64, 65, 255, (1 << 63) - 1, 1 << 63, std.math.maxInt(u64) };
        const pick = random.uintLessThan(usize, edges.len + 2);
        if (pick == edges.len) return ws.atomFromLimbs(&.{ 0, 1 }); // 2^64
        if (pick == edges.len + 1) return ws.atomFromLimbs(&.{ 5, 0, 9 });
        return ws.atomU64(edges[pick]);
    }
    return ws.cell(try randomNoun(ws, random, depth - 1), try randomNoun(ws, random, depth - 1));
}

test "every jet survives random edge-case samples without crashing" {
    var ws = try Workspace.init(testing.allocator, 8 << 20);
    defer ws.deinit();
    var dummy: u8 = 0;
    const zero_slam = Slam{ .ctx = &dummy, .slam = zeroSlam };
    var prng = std.Random.DefaultPrng.init(0xce11a7);
    const random = prng.random();
    var outcomes = [_]u32{0} ** 5;
    for (0..3000) |_| {
        const sample = try randomNoun(&ws, random, 4);
        const core = try t.gate(&ws, sample);
        for (entries) |entry| {
            const result = switch (entry.func) {
                .plain => |jet| jet(&ws, core),
                .slams => |jet| jet(&ws, core, zero_slam),
                .virtual, .memo => continue, // Need an interpreter: see virtual.zig, dashboard.zig.
            };
            const index: usize = if (result) |_| 0 else |err| switch (err) {
                error.Exit => 1,
                error.Meme => 2,
                error.Punt => 3,
                error.Intr => 4,
            };
            outcomes[index] += 1;
        }
        if (common.roomWords(&ws) < (2 << 20) / 8) ws.collect();
    }
    try testing.expect(outcomes[0] > 0 and outcomes[1] > 0);
    try testing.expectEqual(@as(u32, 0), outcomes[4]);
}
