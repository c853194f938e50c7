//! Jets of the Tip5 permutation and hashes of Nockchain's zeke library, registered under
//! `zeke/ext-field/misc-lib/tip5-lib/`. Cellar's own Hoon for them is the `tip5-lib` core
//! of tests/hoon/nockchain_ext.hoon (same names and paths, written independently).
//!
//!   permutation   sponge=(list belt) at 6, 16 elements   the state after 7 rounds
//!   hash-varlen   input=(list belt) at 6                 5-element digest (a list)
//!   hash-10       input=(list belt) at 6, 10 elements    5-element digest (a list)
//!
//! Tip5 (ePrint 2023/107) over the Goldilocks field, as Nockchain instantiates it: a state
//! of 16 elements, rate 10, and 7 rounds (the paper's Triton VM instance has 5). A round is
//! the S-box layer, then the MDS matrix, then the round constants. The S-box maps each of
//! the first 4 elements through a byte lookup table, byte by byte (the table fixes 0 and
//! 255, so a field element stays one), and raises the other 12 to the 7th power; the MDS
//! matrix is the circulant one of the first column `mds_column`.
//!
//! The state holds Montgomery forms (x * 2^64 mod p): the lookup sees those bytes, the
//! power is the Montgomery one (x^7 / 2^384, which is the 7th power of the element the
//! form stands for), and the round constants are given in that form. The hashes montify
//! their input and reduce their digest (x / 2^64); `permutation` works on the forms as
//! they are. `hash-varlen` starts from the zero state, pads the input with 1 and then
//! zeros to a multiple of 10, and overwrites the first 10 elements with each block before
//! a permutation; `hash-10` hashes exactly 10 elements from the state whose last 6 are
//! the form of 1. The numbers (table, constants, column, test vectors) are facts taken
//! from Nockchain's public source; the code is Cellar's.
//!
//! The jets model lists of belts only: a cell, an atom of p or more, an improper list or
//! a list of the wrong length punts, so that the arm's own Nock decides.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const gl = @import("goldilocks.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("permutation", permutationJet, "sponge=(list belt) 6"),
    E.plain("hash-varlen", hashVarlenJet, "input=(list belt) 6"),
    E.plain("hash-10", hash10Jet, "input=(list belt) 6"),
};

pub const layers = [_]E.Layer{
    .{
        .prefix = "one/two/tri/qua/pen/zeke/ext-field/misc-lib/tip5-lib",
        .names = &.{ "permutation", "hash-varlen", "hash-10" },
    },
};

pub const state_size = 16;
pub const rate = 10;
pub const digest_size = 5;
pub const rounds = 7;
const lookups = 4;

pub const State = [state_size]u64;

/// 2^64 mod p, the Montgomery form of 1.
pub const mont_one: u64 = 0xffff_ffff;

/// 2^-64 mod p.
const mont_inverse: u64 = blk: {
    @setEvalBranchQuota(100_000);
    break :blk gl.inv(mont_one);
};

/// 2^-384 mod p: the Montgomery 7th power is x^7 times this.
const mont_seventh: u64 = blk: {
    @setEvalBranchQuota(100_000);
    break :blk gl.pow(mont_inverse, 6);
};

const lookup_table = [256]u8{
    0,   7,   26,  63,  124, 215, 85,  254, 214, 228, 45,  185, 140, 173, 33,  240,
    29,  177, 176, 32,  8,   110, 87,  202, 204, 99,  150, 106, 230, 14,  235, 128,
    213, 239, 212, 138, 23,  130, 208, 6,   44,  71,  93,  116, 146, 189, 251, 81,
    199, 97,  38,  28,  73,  179, 95,  84,  152, 48,  35,  119, 49,  88,  242, 3,
    148, 169, 72,  120, 62,  161, 166, 83,  175, 191, 137, 19,  100, 129, 112, 55,
    221, 102, 218, 61,  151, 237, 68,  164, 17,  147, 46,  234, 203, 216, 22,  141,
    65,  57,  123, 12,  244, 54,  219, 231, 96,  77,  180, 154, 5,   253, 133, 165,
    98,  195, 205, 134, 245, 30,  9,   188, 59,  142, 186, 197, 181, 144, 92,  31,
    224, 163, 111, 74,  58,  69,  113, 196, 67,  246, 225, 10,  121, 50,  60,  157,
    90,  122, 2,   250, 101, 75,  178, 159, 24,  36,  201, 11,  243, 132, 198, 190,
    114, 233, 39,  52,  21,  209, 108, 238, 91,  187, 18,  104, 194, 37,  153, 34,
    200, 143, 126, 155, 236, 118, 64,  80,  172, 89,  94,  193, 135, 183, 86,  107,
    252, 13,  167, 206, 136, 220, 207, 103, 171, 160, 76,  182, 227, 217, 158, 56,
    174, 4,   66,  109, 139, 162, 184, 211, 249, 47,  125, 232, 117, 43,  16,  42,
    127, 20,  241, 25,  149, 105, 156, 51,  53,  168, 145, 247, 223, 79,  78,  226,
    15,  222, 82,  115, 70,  210, 27,  41,  1,   170, 40,  131, 192, 229, 248, 255,
};

const mds_column = [state_size]u64{
    61402, 1108,  28750, 33823, 7454,  43244, 53865, 12034,
    56951, 27521, 41351, 40901, 12021, 59689, 26798, 17845,
};

/// The round constants, in Montgomery form, round by round.
const round_constants = [rounds * state_size]u64{
    6813007285744613222,  9538108458283805344,  8266796718228611711,  10279833152781686635,
    16136178252164695712, 11678500968092896548, 18177224533631314584, 8519208882353197867,
    15278933395031186751, 5605030382266121712,  3266079902019342405,  16977155338689078860,
    575533378161618286,   14008024146379968822, 16952256074650551489, 10699818153468018415,
    16274322239097854776, 16277174423203830480, 15551543598572731978, 17734447432847017984,
    10634644696612177250, 14223629804877666866, 9951585614956111842,  13410522825507264153,
    15504271780310363158, 15788426030062030790, 7247426745733321025,  15545848059337170693,
    7257327654080199927,  2632620606461733813,  5468949404670321892,  3408181798280532022,
    6407521478186447124,  10532483258532500040, 9962573180077511189,  14997058441937336819,
    8347291381276979462,  1834710304424753372,  8919127106750279878,  17952692726686580444,
    10425759383842794244, 3571063091305112274,  11196674225031209104, 17831978239644188755,
    7386054759687923415,  49233562557975441,    15763370708992892484, 7042466268943341941,
    14925546578125121441, 5737865664192390903,  6112071640890712275,  7093386846491465789,
    12933769084390453308, 840431699266909703,   2593502341286518015,  805532971224672190,
    662776811092263083,   1082592850076858062,  2260713232066289719,  18161814497919979745,
    11436170062534698819, 9156670326168191466,  13690674722453603930, 16450526946025880915,
    3443037901035637703,  13512956751884108002, 12765464435334038877, 16857582347068713433,
    4403818324750733470,  16327824648413653612, 9624633671524957693,  11798148227002487001,
    4806282851616964758,  13789375745913111929, 8048230392833675591,  15394445679479006170,
    5381819560221452561,  4546720664034456941,  17286163612312122987, 16936562784938244714,
    11067749825657848638, 5556080822347806028,  3866118074743041663,  2201009632364155631,
    10808969316669713964, 9312983943061336112,  17369380183573126906, 12953586427039891533,
    16564382082196301935, 6117018641086235131,  2379948990303454544,  9900641007991965131,
    14289331750432136160, 12105488135916678431, 14113550218116986428, 13441194625000926086,
    8346758232352358445,  13109503806329090541, 16233458644157342064, 3717000905522992223,
    4028024080310608291,  16928904978228437531, 486523272751840851,   17746229827600458028,
    4231774801891550196,  11401341037617516726, 12004481761165906799, 1880237553532135241,
    7506757868197934780,  1656439004520781315,  7739084580576441604,  17945328382079677663,
};

comptime {
    for (round_constants) |c| assert(c < gl.p);
    assert(gl.mul(mont_one, mont_inverse) == 1);
}

// ------------------------------------------------------------------------- permutation

fn lookup(x: u64) u64 {
    var bytes: [8]u8 = @bitCast(std.mem.nativeToLittle(u64, x));
    for (&bytes) |*b| b.* = lookup_table[b.*];
    const r = std.mem.littleToNative(u64, @bitCast(bytes));
    assert(r < gl.p);
    return r;
}

/// The Montgomery 7th power of the form x.
fn seventh(x: u64) u64 {
    const x2 = gl.mul(x, x);
    const x3 = gl.mul(x2, x);
    const x7 = gl.mul(gl.mul(x3, x3), x);
    return gl.mul(x7, mont_seventh);
}

pub fn permute(state: *State) void {
    for (state) |x| assert(x < gl.p);
    for (0..rounds) |r| round(state, r);
}

/// Round `r`: the S-box layer, the circulant MDS matrix, the round's constants.
fn round(state: *State, r: usize) void {
    assert(r < rounds);
    var s: State = undefined;
    for (0..lookups) |i| s[i] = lookup(state[i]);
    for (lookups..state_size) |i| s[i] = seventh(state[i]);
    for (0..state_size) |i| {
        var acc: u128 = 0;
        for (0..state_size) |j| {
            acc += @as(u128, mds_column[(i + state_size - j) % state_size]) * s[j];
        }
        state[i] = gl.add(gl.reduce(acc), round_constants[r * state_size + i]);
    }
}

pub fn montify(x: u64) u64 {
    return gl.mul(x, mont_one);
}

pub fn montReduce(x: u64) u64 {
    return gl.mul(x, mont_inverse);
}

/// Hash `input`, read through `next` (which gives null at the end), as hash-varlen does.
fn absorbVarlen(reader: anytype) JetError![digest_size]u64 {
    var state: State = @splat(0);
    while (true) {
        var i: usize = 0;
        while (i < rate) : (i += 1) {
            const x = try reader.next() orelse break;
            state[i] = montify(x);
        }
        if (i < rate) {
            // The last block: 1 and then zeros.
            state[i] = montify(1);
            for (i + 1..rate) |k| state[k] = 0;
            permute(&state);
            break;
        }
        permute(&state);
    }
    return digest(&state);
}

fn digest(state: *const State) [digest_size]u64 {
    var out: [digest_size]u64 = undefined;
    for (&out, state[0..digest_size]) |*o, x| o.* = montReduce(x);
    return out;
}

pub fn hash10(input: *const [rate]u64) [digest_size]u64 {
    var state: State = @splat(mont_one);
    for (state[0..rate], input) |*s, x| s.* = montify(x);
    permute(&state);
    return digest(&state);
}

// ------------------------------------------------------------------------- nouns

/// The belts of a list, one by one; Punt on anything else.
const BeltReader = struct {
    ws: *const Workspace,
    rest: Noun,

    fn next(r: *BeltReader) JetError!?u64 {
        if (!r.rest.isCell()) {
            if (r.rest != Noun.zero) return error.Punt;
            return null;
        }
        const head = r.ws.head(r.rest);
        r.rest = r.ws.tail(r.rest);
        if (head.isCell()) return error.Punt;
        var scratch: u64 = undefined;
        const limbs = r.ws.bases.limbs(head, &scratch);
        if (limbs.len != 1 or !gl.based(limbs[0])) return error.Punt;
        return limbs[0];
    }
};

/// A list of exactly `out.len` belts; Punt otherwise.
fn readBelts(ws: *const Workspace, list: Noun, out: []u64) JetError!void {
    var reader: BeltReader = .{ .ws = ws, .rest = list };
    for (out) |*o| o.* = try reader.next() orelse return error.Punt;
    if (try reader.next() != null) return error.Punt;
}

fn listOf(ws: *Workspace, items: []const u64) JetError!Noun {
    assert(items.len >= 1);
    const block = try common.listBlock(ws, items.len, Noun.zero);
    for (items, 0..) |x, i| common.setHead(block, i, try ws.atomU64(x));
    return common.blockNoun(block);
}

fn permutationJet(ws: *Workspace, core: Noun) JetError!Noun {
    var state: State = undefined;
    try readBelts(ws, try common.slot(ws, core, 6), &state);
    permute(&state);
    return listOf(ws, &state);
}

fn hashVarlenJet(ws: *Workspace, core: Noun) JetError!Noun {
    var reader: BeltReader = .{ .ws = ws, .rest = try common.slot(ws, core, 6) };
    const out = try absorbVarlen(&reader);
    return listOf(ws, &out);
}

fn hash10Jet(ws: *Workspace, core: Noun) JetError!Noun {
    var input: [rate]u64 = undefined;
    try readBelts(ws, try common.slot(ws, core, 6), &input);
    const out = hash10(&input);
    return listOf(ws, &out);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

const SliceReader = struct {
    items: []const u64,
    i: usize = 0,

    fn next(r: *SliceReader) JetError!?u64 {
        if (r.i == r.items.len) return null;
        r.i += 1;
        return r.items[r.i - 1];
    }
};

fn varlen(items: []const u64) ![digest_size]u64 {
    var reader: SliceReader = .{ .items = items };
    return absorbVarlen(&reader);
}

test "nockchain tip5: Montgomery forms, against Nockchain's published values" {
    try testing.expectEqual(@as(u64, 4294967295), montify(1));
    try testing.expectEqual(@as(u64, 523986009990), montify(122));
    try testing.expectEqual(@as(u64, 546011156329541055), montify(127128129));
    try testing.expectEqual(@as(u64, 11055578874863858041), montify(127128129130));
    try testing.expectEqual(@as(u64, 5979177847162748366), montify(127128129130131));
    try testing.expectEqual(@as(u64, 1), montReduce(montify(1)));
    for (0..256) |b| try testing.expectEqual(b == 0 or b == 255, lookup_table[b] == b);
}

test "nockchain tip5: hash-varlen test vectors from Nockchain's public source" {
    try testing.expectEqual([digest_size]u64{ 11048995573592393898, 6655187932135147625, 8573492257662932655, 4379820112787053727, 3881663824627898703 }, try varlen(&.{}));
    try testing.expectEqual([digest_size]u64{ 8342164316692288712, 12061287490523852513, 4038969618836824144, 5830796451787599265, 468390350313364562 }, try varlen(&.{2}));
    try testing.expectEqual([digest_size]u64{ 4045697570544439560, 13674194094340317530, 13743008867885290460, 6020910684025273897, 3362765570390427021 }, try varlen(&.{ 5, 26 }));
    try testing.expectEqual([digest_size]u64{ 12811986333282368874, 13601598673786067780, 3807788325936413287, 5511165615113400862, 11490077061305916457 }, try varlen(&.{ 1, 2448, 1, 0, 0, 0, 0, 0, 0, 0 }));
}

test "nockchain tip5: distinct states stay distinct, and belts stay belts" {
    var prng = std.Random.DefaultPrng.init(0x7195);
    const random = prng.random();
    for (0..200) |_| {
        var state: State = undefined;
        for (&state) |*x| x.* = random.uintLessThan(u64, gl.p);
        var other = state;
        other[random.uintLessThan(usize, state_size)] ^= 1;
        for (&other) |*x| x.* %= gl.p;
        permute(&state);
        permute(&other);
        for (state) |x| try testing.expect(x < gl.p);
        try testing.expect(!std.mem.eql(u64, &state, &other));
    }
    try testing.expectEqual(gl.p - 1, lookup(gl.p - 1));
}

test "nockchain tip5: jets on nouns, and their punts" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, hashVarlenJet, "[2 0]", "[8342164316692288712 12061287490523852513 4038969618836824144 5830796451787599265 468390350313364562 0]");
    // hash-10 of ten elements is one permutation from the state of 10 inputs and six 1s.
    const input: [rate]u64 = .{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    var state: State = @splat(mont_one);
    for (state[0..rate], input) |*s, x| s.* = montify(x);
    permute(&state);
    try testing.expectEqual(digest(&state), hash10(&input));
    try t.expectJetError(&ws, hash10Jet, "[1 2 3 0]", error.Punt);
    try t.expectJetError(&ws, permutationJet, "[1 2 3 0]", error.Punt);
    try t.expectJetError(&ws, hashVarlenJet, "[18446744069414584321 0]", error.Punt);
    try t.expectJetError(&ws, hashVarlenJet, "[[1 2] 0]", error.Punt);
    try t.expectJetError(&ws, hashVarlenJet, "[1 2]", error.Punt);
    // The zero state (a regression value of this code, which the published hash vectors
    // above pin down).
    try t.expectJet(&ws, permutationJet, "[0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0]", "[" ++ zero_permuted ++ " 0]");
}

const zero_permuted = "17324604900585909983 3920346291276200650 14291393908922830197 " ++
    "8091744655277936893 12970812709658306896 10118522693556575834 7227151872989822594 " ++
    "1071132837964818999 228472562367071834 18366608707523360310 11786497396049402957 " ++
    "11071452717089019025 16192546354706628500 4464680096629294277 18027980985287795659 " ++
    "8310086468177043051";

test "nockchain tip5: one round of the zero state gives the first round constants" {
    // The S-box and the MDS matrix fix zero, so the first round only adds its constants.
    var state: State = @splat(0);
    round(&state, 0);
    try testing.expectEqual(round_constants[0..state_size].*, state);
    try testing.expectEqual(@as(u64, 0), seventh(0));
    try testing.expectEqual(mont_one, seventh(mont_one));
}
