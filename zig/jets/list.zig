//! Jets of Hoon's list logic (`%two` layer, 2b): flop lent levy reap roll scag snag snip turn
//! weld zing find. All are gates (wet or dry, the layout is the same). Sample axes:
//!   flop lent snip zing   a at 6
//!   reap scag snag        [a=@ b] at 12 13
//!   weld                  [a=(list) b=(list)] at 12 13
//!   find                  [nedl=(list) hstk=(list)] at 12 13
//!   levy roll turn        [a=(list) b=gate] at 12 13; roll's initial state is the gate's
//!                         `+<+` (axis 13 of the gate)
//! A list ending in a non-zero atom is Exit wherever Hoon would read `i`/`t` of that atom.
//! Result lists of known length are allocated as one block of cells.
//!
//! The family table here holds `welp` (weld's faceless twin: `[a b]` at 12 13, the same
//! product and crashes) and `mate` (two units `[a b]` at 12 13: the one that is not `~`, `a`
//! when both are and their values agree, Exit when they differ or a non-`~` one is an atom);
//! the others are in jets.zig's base table.
//!
//! levy, roll and turn slam their gate through a `Slam` callback. A slam may collect, so
//! everything they keep across it lives in a root array registered with `ws.pushRoots`.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const common = @import("common.zig");
const E = @import("entry.zig");
const JetError = common.JetError;
const Slam = common.Slam;

pub const entries = [_]E.Entry{
    E.plain("welp", weld, "[* *] 12 13"),
    E.plain("mate", mate, "[a=(unit) b=(unit)] 12 13"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two", .names = &.{ "welp", "mate" } },
};

/// `mate`: `?~ b a`, `?~ a b`, then `a` if `u.a` is `u.b`, else the `%mean.'mate'` crash.
pub fn mate(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 12);
    const b = try common.slot(ws, core, 13);
    if (b == Noun.zero) return a;
    if (a == Noun.zero) return b;
    if (!a.isCell() or !b.isCell()) return error.Exit; // `u` of an atom.
    if (!try equality.equal(ws, ws.tail(a), ws.tail(b))) return error.Exit;
    return a;
}

/// Copy the first `n` items of `list` into a fresh block ending in `end` (reversed if asked).
fn copyItems(ws: *Workspace, list: Noun, n: u64, end: Noun, comptime reversed: bool) JetError!Noun {
    if (n == 0) return end;
    const block = try common.listBlock(ws, n, end);
    var x = list;
    var i: u64 = 0;
    while (i < n) : (i += 1) {
        assert(x.isCell());
        const at: usize = @intCast(if (reversed) n - 1 - i else i);
        common.setHead(block, at, ws.head(x));
        x = ws.tail(x);
    }
    return common.blockNoun(block);
}

pub fn flop(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    const n = try common.listLength(ws, a);
    assert(n > 0 or a == Noun.zero);
    return copyItems(ws, a, n, Noun.zero, true);
}

pub fn lent(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    return ws.atomU64(try common.listLength(ws, a));
}

pub fn weld(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 12);
    const b = try common.slot(ws, core, 13);
    const n = try common.listLength(ws, a);
    assert(n > 0 or a == Noun.zero);
    return copyItems(ws, a, n, b, false);
}

/// All but the last item.
pub fn snip(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    const n = try common.listLength(ws, a);
    return copyItems(ws, a, n -| 1, Noun.zero, false);
}

/// The first `a` items (fewer if the list is shorter).
pub fn scag(ws: *Workspace, core: Noun) JetError!Noun {
    const want = common.saturated(ws, try common.atomAt(ws, core, 12));
    const b = try common.slot(ws, core, 13);
    var n: u64 = 0;
    var x = b;
    while (n < want and x.isCell()) : (n += 1) x = ws.tail(x);
    if (n < want and x != Noun.zero) return error.Exit;
    assert(n <= want);
    return copyItems(ws, b, n, Noun.zero, false);
}

/// Item `a`; Exit past the end ("snag-fail").
pub fn snag(ws: *Workspace, core: Noun) JetError!Noun {
    const index = common.saturated(ws, try common.atomAt(ws, core, 12));
    var x = try common.slot(ws, core, 13);
    var i: u64 = 0;
    while (true) : (i += 1) {
        if (!x.isCell()) return error.Exit;
        assert(i <= index);
        if (i == index) return ws.head(x);
        x = ws.tail(x);
    }
}

/// `a` copies of `b`.
pub fn reap(ws: *Workspace, core: Noun) JetError!Noun {
    const n = common.saturated(ws, try common.atomAt(ws, core, 12));
    const b = try common.slot(ws, core, 13);
    if (n == 0) return Noun.zero;
    const block = try common.listBlock(ws, n, Noun.zero);
    assert(!b.isForward());
    for (0..@intCast(n)) |i| common.setHead(block, i, b);
    return common.blockNoun(block);
}

/// Concatenate a list of lists.
pub fn zing(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.slot(ws, core, 6);
    var total: u64 = 0;
    var x = a;
    while (x.isCell()) : (x = ws.tail(x)) total += try common.listLength(ws, ws.head(x));
    if (x != Noun.zero) return error.Exit;
    if (total == 0) return Noun.zero;
    const block = try common.listBlock(ws, total, Noun.zero);
    var i: usize = 0;
    x = a;
    while (x.isCell()) : (x = ws.tail(x)) {
        var y = ws.head(x);
        while (y.isCell()) : (y = ws.tail(y)) {
            common.setHead(block, i, ws.head(y));
            i += 1;
        }
    }
    assert(i == total);
    return common.blockNoun(block);
}

/// `(unit @ud)`: the first index at which `nedl` occurs in `hstk`.
pub fn find(ws: *Workspace, core: Noun) JetError!Noun {
    const nedl = try common.slot(ws, core, 12);
    var hstk = try common.slot(ws, core, 13);
    var i: u64 = 0;
    while (true) : (i += 1) {
        var n = nedl;
        var h = hstk;
        while (true) {
            if (n == Noun.zero or h == Noun.zero) return Noun.zero;
            if (!n.isCell() or !h.isCell()) return error.Exit;
            if (!try equality.equal(ws, ws.head(n), ws.head(h))) break;
            if (ws.tail(n) == Noun.zero) return ws.cell(Noun.zero, try ws.atomU64(i));
            n = ws.tail(n);
            h = ws.tail(h);
        }
        assert(hstk.isCell());
        hstk = ws.tail(hstk);
    }
}

// ------------------------------------------------------------------------- gates

fn pushRoots(ws: *Workspace, roots: []Noun) JetError!void {
    assert(roots.len >= 1);
    ws.pushRoots(roots) catch return error.Meme;
}

/// Whether the gate says yes for every item.
pub fn levy(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    // roots: gate, rest of the list
    var roots = [2]Noun{ try common.slot(ws, core, 13), try common.slot(ws, core, 12) };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    while (roots[1].isCell()) {
        const verdict = try slam.call(roots[0], ws.head(roots[1]));
        if (verdict == Noun.no) return Noun.no;
        if (verdict != Noun.yes) return error.Exit; // `?.` on a non-loobean crashes.
        assert(roots[1].isCell()); // A root: the slam may have moved it, not changed it.
        roots[1] = ws.tail(roots[1]);
    }
    if (roots[1] != Noun.zero) return error.Exit;
    return Noun.yes;
}

/// The gate applied to each item.
pub fn turn(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    // roots: gate, rest of the list, first result cell, last result cell
    var roots = [4]Noun{ try common.slot(ws, core, 13), try common.slot(ws, core, 12), Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    while (roots[1].isCell()) {
        const product = try slam.call(roots[0], ws.head(roots[1]));
        const cell = try ws.cell(product, Noun.zero);
        // The result is built forwards by patching the tail of our own newest cell.
        if (roots[2] == Noun.zero) roots[2] = cell else ws.words(roots[3])[2] = cell.raw();
        assert(roots[2].isCell());
        roots[3] = cell;
        roots[1] = ws.tail(roots[1]);
    }
    if (roots[1] != Noun.zero) return error.Exit;
    return roots[2];
}

/// Left fold: the state starts as the gate's `+<+` and becomes `(b item state)`.
pub fn roll(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const gate = try common.slot(ws, core, 13);
    // roots: gate, rest of the list, state
    var roots = [3]Noun{ gate, try common.slot(ws, core, 12), try common.slot(ws, gate, 13) };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    while (roots[1].isCell()) {
        const sample = try ws.cell(ws.head(roots[1]), roots[2]);
        roots[2] = try slam.call(roots[0], sample);
        assert(roots[1].isCell());
        roots[1] = ws.tail(roots[1]);
    }
    if (roots[1] != Noun.zero) return error.Exit;
    return roots[2];
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");
const interpreter = @import("../interpreter.zig");
const slam_mod = @import("slam.zig");

test "list jets without gates" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, flop, "[1 2 3 0]", "[3 2 1 0]");
    try t.expectJet(&ws, flop, "0", "0");
    try t.expectJet(&ws, lent, "[1 2 3 0]", "3");
    try t.expectJet(&ws, lent, "0", "0");
    try t.expectJet(&ws, weld, "[[1 2 0] [3 0]]", "[1 2 3 0]");
    try t.expectJet(&ws, weld, "[0 [3 0]]", "[3 0]");
    try t.expectJet(&ws, weld, "[[1 0] 0]", "[1 0]");
    try t.expectJet(&ws, snip, "[1 2 3 0]", "[1 2 0]");
    try t.expectJet(&ws, snip, "[1 0]", "0");
    try t.expectJet(&ws, snip, "0", "0");
    try t.expectJet(&ws, scag, "[2 [1 2 3 0]]", "[1 2 0]");
    try t.expectJet(&ws, scag, "[5 [1 2 3 0]]", "[1 2 3 0]");
    try t.expectJet(&ws, scag, "[0 [1 2 3 0]]", "0");
    try t.expectJet(&ws, scag, "[0 7]", "0");
    try t.expectJet(&ws, scag, "[18446744073709551616 [1 2 0]]", "[1 2 0]");
    try t.expectJet(&ws, snag, "[0 [1 2 3 0]]", "1");
    try t.expectJet(&ws, snag, "[2 [1 2 3 0]]", "3");
    try t.expectJet(&ws, reap, "[3 [1 2]]", "[[1 2] [1 2] [1 2] 0]");
    try t.expectJet(&ws, reap, "[0 5]", "0");
    try t.expectJet(&ws, zing, "[[1 2 0] 0 [3 0] 0]", "[1 2 3 0]");
    try t.expectJet(&ws, zing, "[0 0 0]", "0");
    try t.expectJet(&ws, zing, "0", "0");
    try t.expectJet(&ws, find, "[[2 3 0] [1 2 3 4 0]]", "[0 1]");
    try t.expectJet(&ws, find, "[[3 4 0] [1 2 3 4 0]]", "[0 2]");
    try t.expectJet(&ws, find, "[[3 5 0] [1 2 3 4 0]]", "0");
    try t.expectJet(&ws, find, "[[1 1 2 0] [1 1 1 2 0]]", "[0 1]");
    try t.expectJet(&ws, find, "[0 [1 2 0]]", "0");
    try t.expectJet(&ws, find, "[[[1 2] 0] [5 [1 2] 0]]", "[0 1]");
}

test "welp and mate" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, weld, "[[1 2 0] [3 0]]", "[1 2 3 0]");
    try t.expectJet(&ws, weld, "[0 [3 4]]", "[3 4]");
    try t.expectJetError(&ws, weld, "[[1 2] 3]", error.Exit);
    try t.expectJet(&ws, mate, "[[0 5] 0]", "[0 5]");
    try t.expectJet(&ws, mate, "[0 [0 6]]", "[0 6]");
    try t.expectJet(&ws, mate, "[0 0]", "0");
    try t.expectJet(&ws, mate, "[[0 [1 2]] [0 [1 2]]]", "[0 [1 2]]");
    try t.expectJet(&ws, mate, "[7 0]", "7"); // `?~ b` first: `a` is never read.
    try t.expectJet(&ws, mate, "[0 7]", "7");
    try t.expectJetError(&ws, mate, "[[0 5] [0 6]]", error.Exit);
    try t.expectJetError(&ws, mate, "[7 [0 6]]", error.Exit);
    try t.expectJetError(&ws, mate, "[[0 6] 7]", error.Exit);
    try t.expectJetError(&ws, mate, "5", error.Exit);
}

test "list jets: improper lists and bad indices are Exit, huge ones Meme" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJetError(&ws, flop, "[1 2 3]", error.Exit);
    try t.expectJetError(&ws, lent, "7", error.Exit);
    try t.expectJetError(&ws, weld, "[[1 2] 0]", error.Exit);
    try t.expectJetError(&ws, snip, "[1 2 3]", error.Exit);
    try t.expectJetError(&ws, scag, "[5 [1 2 3]]", error.Exit);
    try t.expectJetError(&ws, snag, "[3 [1 2 3 0]]", error.Exit);
    try t.expectJetError(&ws, snag, "[0 0]", error.Exit);
    try t.expectJetError(&ws, snag, "[18446744073709551616 [1 0]]", error.Exit);
    try t.expectJetError(&ws, snag, "[[1 2] [1 0]]", error.Exit);
    try t.expectJetError(&ws, zing, "[[1 2] 0]", error.Exit);
    try t.expectJetError(&ws, zing, "[[1 0] 5]", error.Exit);
    try t.expectJetError(&ws, find, "[[1 2] [1 2 0]]", error.Exit);
    try t.expectJetError(&ws, reap, "[18446744073709551616 0]", error.Meme);
    try t.expectJetError(&ws, reap, "[1000000000 0]", error.Meme);
    try t.expectJetError(&ws, reap, "[[1 2] 0]", error.Exit);
}

/// A stand-in for the interpreter: the "gate" is ignored and the sample is transformed by
/// `op`; every slam runs a full collection first, to prove the jets keep their roots.
const FakeSlam = struct {
    ws: *Workspace,
    op: enum { increment, is_even, add_pair },
    calls: u32 = 0,

    fn slam(opaque_ctx: *anyopaque, gate: Noun, sample: Noun) JetError!Noun {
        const f: *FakeSlam = @ptrCast(@alignCast(opaque_ctx));
        f.calls += 1;
        var held = [2]Noun{ gate, sample };
        try pushRoots(f.ws, &held);
        _ = try f.ws.cell(Noun.zero, Noun.zero); // Garbage, so the collection has work.
        f.ws.collect();
        f.ws.popRoots(&held);
        const s = held[1];
        return switch (f.op) {
            .increment => f.ws.atomU64(s.raw() + 1),
            .is_even => Noun.loobean(s.raw() % 2 == 0),
            .add_pair => f.ws.atomU64(f.ws.head(s).raw() + f.ws.tail(s).raw()),
        };
    }

    fn iface(f: *FakeSlam) Slam {
        return .{ .ctx = f, .slam = slam };
    }
};

fn runSlamJet(ws: *Workspace, jet: common.SlamJet, slam: Slam, sample: []const u8) !Noun {
    var core = [1]Noun{try t.gate(ws, try t.parse(ws, sample))};
    try pushRoots(ws, &core);
    defer ws.popRoots(&core);
    return jet(ws, core[0], slam);
}

test "turn, roll, levy keep their nouns across collecting slams" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var fake = FakeSlam{ .ws = &ws, .op = .increment };
    var product = try runSlamJet(&ws, turn, fake.iface(), "[[1 2 3 0] [0 0 0]]");
    try t.expectNoun(&ws, try t.parse(&ws, "[2 3 4 0]"), product);
    try testing.expectEqual(@as(u32, 3), fake.calls);
    product = try runSlamJet(&ws, turn, fake.iface(), "[0 [0 0 0]]");
    try testing.expectEqual(Noun.zero, product);
    try testing.expectError(error.Exit, runSlamJet(&ws, turn, fake.iface(), "[[1 2] [0 0 0]]"));

    fake.op = .add_pair;
    // The gate's +<+ (axis 13) is the initial state: 100.
    product = try runSlamJet(&ws, roll, fake.iface(), "[[1 2 3 0] [0 [0 100] 0]]");
    try testing.expectEqual(Noun.direct(106), product);
    product = try runSlamJet(&ws, roll, fake.iface(), "[0 [0 [0 100] 0]]");
    try testing.expectEqual(Noun.direct(100), product);
    try testing.expectError(error.Exit, runSlamJet(&ws, roll, fake.iface(), "[[1 0] 5]"));

    fake.op = .is_even;
    try testing.expectEqual(Noun.yes, try runSlamJet(&ws, levy, fake.iface(), "[[2 4 6 0] 0]"));
    try testing.expectEqual(Noun.no, try runSlamJet(&ws, levy, fake.iface(), "[[2 3 6 0] 0]"));
    try testing.expectEqual(Noun.yes, try runSlamJet(&ws, levy, fake.iface(), "[0 0]"));
    fake.op = .increment; // not a loobean for 1 and up
    try testing.expectError(error.Exit, runSlamJet(&ws, levy, fake.iface(), "[[5 0] 0]"));
}

test "turn and roll through the real interpreter" {
    var ws = try Workspace.init(testing.allocator, 8 << 20);
    defer ws.deinit();
    var ctx: interpreter.Context = undefined;
    try ctx.initWithStack(&ws, 1 << 12);
    defer ctx.deinit();
    const slam = slam_mod.interpreterSlam(&ctx);
    // An increment gate: battery [4 0 6], sample 0, context 0.
    var product = try runSlamJet(&ws, turn, slam, "[[1 2 3 0] [[4 0 6] 0 0]]");
    try t.expectNoun(&ws, try t.parse(&ws, "[2 3 4 0]"), product);
    // A consing gate [[0 12] [0 13]] with initial state 0 reverses a list.
    product = try runSlamJet(&ws, roll, slam, "[[1 2 3 0] [[[0 12] [0 13]] [0 0] 0]]");
    try t.expectNoun(&ws, try t.parse(&ws, "[3 2 1 0]"), product);
    // [5 [0 6] [1 0]]: is the item 0?
    try testing.expectEqual(Noun.no, try runSlamJet(&ws, levy, slam, "[[0 0 1 0] [[5 [0 6] [1 0]] 0 0]]"));
    // A gate that crashes ([0 0]) makes the jet Exit.
    try testing.expectError(error.Exit, runSlamJet(&ws, turn, slam, "[[1 0] [[0 0] 0 0]]"));
}
