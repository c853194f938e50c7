//! Jets of the default kernel's store (kernels/kv.hoon): the walks of its binary trie,
//! `got`, `put` and `del`, registered as `cellar-kv/got`, `cellar-kv/put`, `cellar-kv/del`.
//!
//! The trie: `trie = $@(~ node)`, `node = [val=maybe zer=* one=*]`, `maybe = $@(~ [~ u=*])`.
//! A key's entry sits at the end of the path read off its bits, least significant first
//! (bit 0 to `zer`, bit 1 to `one`), one level per bit, until the key is 0. The Hoon arms
//! are the reference; these jets follow them step for step on well-formed tries and punt
//! (run the Nock instead) on anything else: a child that fails the arms' `?>  ?=(trie ...)`
//! check, a root that is a non-zero atom, a key longer than `depth_max` bits. So a crash is
//! always the Nock's own.
//!
//! Samples: `got` and `del` take `[t=trie key=@]` (12 13), `put` `[t=trie key=@ value=*]`
//! (12 26 27). Products: `got` the `maybe` under the key; `put` `[new=? t=trie]` (whether
//! the key was absent, and the new trie); `del` `~` when the key is absent, else `[~ trie]`,
//! nodes left empty on the path removed (`+prune`).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const JetError = common.JetError;

/// Longest key walked natively, in bits (256 bytes); a longer key punts to the Nock.
const depth_max = 2048;

const yes = Noun.zero;
const no = Noun.one;

/// Whether `x` passes Hoon's `?=(trie x)`: `~`, or a cell `[maybe [* *]]`.
fn isTrie(ws: *const Workspace, x: Noun) bool {
    if (!x.isCell()) return x == Noun.zero;
    const val = ws.head(x);
    if (val.isCell()) {
        if (ws.head(val) != Noun.zero) return false;
    } else if (val != Noun.zero) return false;
    return ws.tail(x).isCell();
}

/// The key of a sample and its length in bits; punts on a key too long to walk here.
const Key = struct {
    limbs: []const u64,
    bits: u64,

    fn bit(k: *const Key, i: u64) u1 {
        assert(i < k.bits);
        return @intCast(atom.readBits(k.limbs, i, 1));
    }
};

fn readKey(ws: *const Workspace, key: Noun, scratch: *u64) JetError!Key {
    if (key.isCell()) return error.Punt;
    const bits = atom.met0(ws, key);
    if (bits > depth_max) return error.Punt;
    return .{ .limbs = ws.bases.limbs(key, scratch), .bits = bits };
}

/// The child of node `n` on bit `b` (zer on 0, one on 1), checked as the arms check it.
fn child(ws: *const Workspace, n: Noun, b: u1) JetError!Noun {
    const kids = ws.tail(n);
    if (!kids.isCell()) return error.Punt;
    const next = if (b == 0) ws.head(kids) else ws.tail(kids);
    if (!isTrie(ws, next)) return error.Punt;
    return next;
}

/// Node `n` with its child on bit `b` replaced by `c`.
fn withChild(ws: *Workspace, n: Noun, b: u1, c: Noun) JetError!Noun {
    const kids = ws.tail(n);
    assert(kids.isCell());
    const new_kids = if (b == 0)
        try ws.cell(c, ws.tail(kids))
    else
        try ws.cell(ws.head(kids), c);
    return ws.cell(ws.head(n), new_kids);
}

/// `+got`: the value under the key, or `~`.
pub fn got(ws: *Workspace, core: Noun) JetError!Noun {
    var n = try common.slot(ws, core, 12);
    var scratch: u64 = undefined;
    const key = try readKey(ws, try common.slot(ws, core, 13), &scratch);
    var i: u64 = 0;
    while (true) : (i += 1) {
        if (n == Noun.zero) return Noun.zero;
        if (!n.isCell()) return error.Punt;
        if (i == key.bits) return ws.head(n);
        n = try child(ws, n, key.bit(i));
    }
}

/// `+put`: `[new t]`, the trie with the value stored under the key.
pub fn put(ws: *Workspace, core: Noun) JetError!Noun {
    const root = try common.slot(ws, core, 12);
    var scratch: u64 = undefined;
    const key = try readKey(ws, try common.slot(ws, core, 26), &scratch);
    const value = try common.slot(ws, core, 27);
    if (root != Noun.zero and !root.isCell()) return error.Punt;
    // The nodes on the path; `~` where the path leaves the trie (made as [~ ~ ~]).
    var path: [depth_max + 1]Noun = undefined;
    path[0] = root;
    var i: u64 = 0;
    while (i < key.bits) : (i += 1) {
        const n = path[i];
        path[i + 1] = if (n == Noun.zero) Noun.zero else try child(ws, n, key.bit(i));
    }
    const empty = try ws.cell(Noun.zero, try ws.cell(Noun.zero, Noun.zero));
    const bottom = if (path[i] == Noun.zero) empty else path[i];
    const new = if (ws.head(bottom) == Noun.zero) yes else no;
    var acc = try ws.cell(try ws.cell(Noun.zero, value), ws.tail(bottom));
    while (i > 0) {
        i -= 1;
        const n = if (path[i] == Noun.zero) empty else path[i];
        acc = try withChild(ws, n, key.bit(i), acc);
    }
    return ws.cell(new, acc);
}

/// `+prune`: `~` for a node with no value and no children, else the node.
fn prune(ws: *const Workspace, n: Noun) JetError!Noun {
    if (ws.head(n) != Noun.zero) return n;
    const kids = ws.tail(n);
    if (!kids.isCell()) return error.Punt;
    if (ws.head(kids) == Noun.zero and ws.tail(kids) == Noun.zero) return Noun.zero;
    return n;
}

/// `+del`: `~` when the key is absent, else `[~ t]` with the key's entry removed.
pub fn del(ws: *Workspace, core: Noun) JetError!Noun {
    const root = try common.slot(ws, core, 12);
    var scratch: u64 = undefined;
    const key = try readKey(ws, try common.slot(ws, core, 13), &scratch);
    var path: [depth_max + 1]Noun = undefined;
    path[0] = root;
    var i: u64 = 0;
    while (true) : (i += 1) {
        const n = path[i];
        if (n == Noun.zero) return Noun.zero;
        if (!n.isCell()) return error.Punt;
        if (i == key.bits) break;
        path[i + 1] = try child(ws, n, key.bit(i));
    }
    const bottom = path[i];
    if (ws.head(bottom) == Noun.zero) return Noun.zero;
    var acc = try prune(ws, try ws.cell(Noun.zero, ws.tail(bottom)));
    while (i > 0) {
        i -= 1;
        acc = try prune(ws, try withChild(ws, path[i], key.bit(i), acc));
    }
    return ws.cell(Noun.zero, acc);
}

const testing = std.testing;
const tj = @import("testing.zig");

test "kv trie jets: put, got and del on small keys" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // Key 0 is the root; key 1 is one of the root; key 2 is one of zer of the root.
    try tj.expectJet(&ws, put, "[~ 0 7]", "[0 [[0 7] 0 0]]");
    try tj.expectJet(&ws, put, "[~ 1 7]", "[0 [0 0 [[0 7] 0 0]]]");
    try tj.expectJet(&ws, put, "[~ 2 7]", "[0 [0 [0 0 [[0 7] 0 0]] 0]]");
    try tj.expectJet(&ws, put, "[[[0 5] 0 0] 0 7]", "[1 [[0 7] 0 0]]");
    try tj.expectJet(&ws, put, "[[[0 5] 0 0] 1 7]", "[0 [[0 5] 0 [[0 7] 0 0]]]");
    try tj.expectJet(&ws, got, "[[[0 5] 0 [[0 7] 0 0]] 1]", "[0 7]");
    try tj.expectJet(&ws, got, "[[[0 5] 0 [[0 7] 0 0]] 0]", "[0 5]");
    try tj.expectJet(&ws, got, "[[[0 5] 0 [[0 7] 0 0]] 2]", "0");
    try tj.expectJet(&ws, got, "[[[0 5] 0 [[0 7] 0 0]] 3]", "0");
    try tj.expectJet(&ws, got, "[~ 3]", "0");
    try tj.expectJet(&ws, del, "[[[0 5] 0 [[0 7] 0 0]] 1]", "[0 [[0 5] 0 0]]");
    try tj.expectJet(&ws, del, "[[[0 5] 0 [[0 7] 0 0]] 0]", "[0 [0 0 [[0 7] 0 0]]]");
    try tj.expectJet(&ws, del, "[[0 0 [[0 7] 0 0]] 1]", "[0 0]");
    try tj.expectJet(&ws, del, "[[[0 5] 0 0] 1]", "0");
    try tj.expectJet(&ws, del, "[~ 1]", "0");
    try tj.expectJet(&ws, del, "[[0 [[0 0 0] 0]] 0]", "0");
}

test "kv trie jets: malformed tries and long keys punt" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try tj.expectJetError(&ws, got, "[5 0]", error.Punt);
    try tj.expectJetError(&ws, got, "[[[0 5] 7 0] 2]", error.Punt);
    try tj.expectJetError(&ws, got, "[[[0 5] [5 0 0] 0] 2]", error.Punt);
    try tj.expectJetError(&ws, got, "[[[0 5] 0 0] [1 2]]", error.Punt);
    try tj.expectJetError(&ws, put, "[[[0 5] 9] 1 7]", error.Punt);
    try tj.expectJetError(&ws, del, "[[[0 5] 9] 0]", error.Punt);
    const long = try atom.bex(&ws, depth_max);
    const core = try tj.gate(&ws, try ws.cell(Noun.zero, try ws.cell(long, Noun.zero)));
    try testing.expectError(error.Punt, put(&ws, core));
}

test "kv trie jets: random puts and dels agree with a model" {
    var ws = try Workspace.init(testing.allocator, 8 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0x6b76);
    const random = prng.random();
    var present = [_]bool{false} ** 64;
    var trie = Noun.zero;
    for (0..2000) |_| {
        const k = random.uintLessThan(u64, present.len);
        const sample = try ws.cell(trie, try ws.cell(Noun.direct(k), Noun.direct(k + 100)));
        if (random.boolean()) {
            const product = try put(&ws, try tj.gate(&ws, sample));
            try testing.expectEqual(present[k], ws.head(product) == no);
            trie = ws.tail(product);
            present[k] = true;
        } else {
            const product = try del(&ws, try tj.gate(&ws, try ws.cell(trie, Noun.direct(k))));
            try testing.expectEqual(present[k], product != Noun.zero);
            if (product != Noun.zero) trie = ws.tail(product);
            present[k] = false;
        }
    }
    for (present, 0..) |here, k| {
        const found = try got(&ws, try tj.gate(&ws, try ws.cell(trie, Noun.direct(k))));
        try testing.expectEqual(here, found != Noun.zero);
        if (here) try testing.expectEqual(Noun.direct(k + 100), ws.tail(found));
    }
    if (std.mem.indexOfScalar(bool, &present, true) == null) try testing.expectEqual(Noun.zero, trie);
}
