//! Jets of Hoon's list logic (`%two` layer, 2b) that slam a gate from their sample:
//! lien skid skim skip murn reel sort. All are gates with sample `[a=(list) b=gate]` at 12
//! and 13 (reel's initial state is the gate's `+<+`, axis 13 of `b`).
//!
//! Each slams the gate on exactly the items the Hoon slams it on, in the Hoon's order, and
//! builds the same product from the answers, for any gate (impure orderings included):
//!   lien  left to right, stopping at the first yes.
//!   skim skip murn  left to right (the slam comes before the recursion on the tail).
//!   reel skid  right to left: the Hoon recurses on the tail before it slams the item.
//!   sort  Hoon's quicksort: the head is the pivot, the tail is split by `skid` with
//!         `(b c pivot)` for each item `c` (right to left), the "yes" part is sorted first,
//!         then the "no" part; the product is `(weld p [pivot q])`.
//! A list ending in a non-zero atom is Exit, as reading `i`/`t` of that atom is; a gate
//! whose answer is not a loobean where `?:` reads one is Exit; a murn product that is a
//! non-zero atom is Exit (`+.c` of it). A slam may collect, so every noun kept across one
//! lives in a root array registered with `ws.pushRoots`.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const JetError = common.JetError;
const Slam = common.Slam;

fn pushRoots(ws: *Workspace, roots: []Noun) JetError!void {
    assert(roots.len >= 1);
    ws.pushRoots(roots) catch return error.Meme;
}

/// A fresh copy of the proper list `list`, last item first; Exit when it is improper.
fn reversed(ws: *Workspace, list: Noun) JetError!Noun {
    const n = try common.listLength(ws, list);
    try common.needCells(ws, n);
    var out = Noun.zero;
    var x = list;
    while (x.isCell()) : (x = ws.tail(x)) out = try ws.cell(ws.head(x), out);
    assert(x == Noun.zero);
    return out;
}

/// A loobean answer as a bool; anything else is Exit (`?:` crashes on it).
fn verdict(answer: Noun) JetError!bool {
    if (answer == Noun.yes) return true;
    if (answer == Noun.no) return false;
    return error.Exit;
}

/// Whether the gate says yes for some item.
pub fn lien(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    // roots: gate, rest of the list
    var roots = [2]Noun{ try common.slot(ws, core, 13), try common.slot(ws, core, 12) };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    while (roots[1].isCell()) {
        if (try verdict(try slam.call(roots[0], ws.head(roots[1])))) return Noun.yes;
        assert(roots[1].isCell());
        roots[1] = ws.tail(roots[1]);
    }
    if (roots[1] != Noun.zero) return error.Exit;
    return Noun.no;
}

/// What a filtering walk keeps of an item, given the gate's answer on it.
const Filter = enum { skim, skip, murn };

/// The kept item (null: dropped) of `skim`, `skip` or `murn`.
fn kept(ws: *const Workspace, comptime filter: Filter, item: Noun, answer: Noun) JetError!?Noun {
    return switch (filter) {
        .skim => if (try verdict(answer)) item else null,
        .skip => if (try verdict(answer)) null else item,
        .murn => if (answer == Noun.zero) null else if (answer.isCell()) ws.tail(answer) else error.Exit,
    };
}

fn filterList(ws: *Workspace, core: Noun, slam: Slam, comptime filter: Filter) JetError!Noun {
    // roots: gate, rest of the list, first result cell, last result cell
    var roots = [4]Noun{ try common.slot(ws, core, 13), try common.slot(ws, core, 12), Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    while (roots[1].isCell()) {
        const answer = try slam.call(roots[0], ws.head(roots[1]));
        if (try kept(ws, filter, ws.head(roots[1]), answer)) |item| {
            const cell = try ws.cell(item, Noun.zero);
            // Built forwards by patching the tail of our own newest cell.
            if (roots[2] == Noun.zero) roots[2] = cell else ws.words(roots[3])[2] = cell.raw();
            roots[3] = cell;
        }
        assert(roots[1].isCell());
        roots[1] = ws.tail(roots[1]);
    }
    if (roots[1] != Noun.zero) return error.Exit;
    return roots[2];
}

/// The items the gate says yes to.
pub fn skim(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return filterList(ws, core, slam, .skim);
}

/// The items the gate says no to.
pub fn skip(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return filterList(ws, core, slam, .skip);
}

/// The values of the units the gate gives that are not `~`.
pub fn murn(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return filterList(ws, core, slam, .murn);
}

/// Right fold: the state starts as the gate's `+<+` and becomes `(b item state)`, last item
/// first.
pub fn reel(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const gate = try common.slot(ws, core, 13);
    // roots: gate, rest of the reversed list, state
    var roots = [3]Noun{ gate, Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    roots[1] = try reversed(ws, try common.slot(ws, core, 12));
    roots[2] = try common.slot(ws, roots[0], 13);
    while (roots[1].isCell()) {
        const sample = try ws.cell(ws.head(roots[1]), roots[2]);
        roots[2] = try slam.call(roots[0], sample);
        assert(roots[1].isCell());
        roots[1] = ws.tail(roots[1]);
    }
    assert(roots[1] == Noun.zero);
    return roots[2];
}

/// Root slots of a split: the gate, the items left (last first), the yes and no parts, and
/// the second noun of the gate's sample (sort's pivot; unused by skid).
const Split = struct {
    const gate = 0;
    const rest = 1;
    const yes = 2;
    const no = 3;
    const pivot = 4;
    const len = 5;
};

/// Slam the gate on each item of `roots[rest]` (a reversed list), alone or as `[item
/// pivot]`, and cons the item onto the yes or the no part: both parts end in list order.
fn split(ws: *Workspace, roots: *[Split.len]Noun, slam: Slam, comptime with_pivot: bool) JetError!void {
    roots[Split.yes] = Noun.zero;
    roots[Split.no] = Noun.zero;
    while (roots[Split.rest].isCell()) {
        const item = ws.head(roots[Split.rest]);
        const sample = if (with_pivot) try ws.cell(item, roots[Split.pivot]) else item;
        const yes = try verdict(try slam.call(roots[Split.gate], sample));
        const at: usize = if (yes) Split.yes else Split.no;
        roots[at] = try ws.cell(ws.head(roots[Split.rest]), roots[at]);
        roots[Split.rest] = ws.tail(roots[Split.rest]);
    }
    assert(roots[Split.rest] == Noun.zero);
}

/// `[p q]`: the items the gate says yes to, and those it says no to.
pub fn skid(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    var roots = [Split.len]Noun{ try common.slot(ws, core, 13), Noun.zero, Noun.zero, Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    roots[Split.rest] = try reversed(ws, try common.slot(ws, core, 12));
    try split(ws, &roots, slam, false);
    return ws.cell(roots[Split.yes], roots[Split.no]);
}

/// Hoon's quicksort, on an explicit task stack kept as a noun: a task `[0 list]` sorts a
/// list, `[1 item]` emits an item. The output is built forwards in the order emitted.
pub fn sort(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const tasks = Split.len;
    const first = Split.len + 1;
    const last = Split.len + 2;
    var roots = [Split.len + 3]Noun{
        try common.slot(ws, core, 13), Noun.zero, Noun.zero, Noun.zero, Noun.zero, Noun.zero, Noun.zero, Noun.zero,
    };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    const a = try common.slot(ws, core, 12);
    _ = try common.listLength(ws, a); // Exit on an improper list, before any slam.
    roots[tasks] = try ws.cell(try ws.cell(Noun.zero, a), Noun.zero);
    while (roots[tasks] != Noun.zero) {
        const task = ws.head(roots[tasks]);
        roots[tasks] = ws.tail(roots[tasks]);
        if (ws.head(task) == Noun.one) {
            const cell = try ws.cell(ws.tail(task), Noun.zero);
            if (roots[first] == Noun.zero) roots[first] = cell else ws.words(roots[last])[2] = cell.raw();
            roots[last] = cell;
            continue;
        }
        const list = ws.tail(task);
        if (list == Noun.zero) continue;
        roots[Split.pivot] = ws.head(list);
        roots[Split.rest] = try reversed(ws, ws.tail(list));
        try split(ws, roots[0..Split.len], slam, true);
        // Pushed last to first: sort the yes part, emit the pivot, sort the no part.
        const after = try ws.cell(try ws.cell(Noun.zero, roots[Split.no]), roots[tasks]);
        const emit = try ws.cell(try ws.cell(Noun.one, roots[Split.pivot]), after);
        roots[tasks] = try ws.cell(try ws.cell(Noun.zero, roots[Split.yes]), emit);
    }
    return roots[first];
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");
const interpreter = @import("../interpreter.zig");
const slam_mod = @import("slam.zig");

/// A stand-in for the interpreter: the gate is ignored and the sample is judged by `op`;
/// every slam runs a full collection first, to prove the jets keep their roots.
const FakeSlam = struct {
    ws: *Workspace,
    op: enum { is_even, less, not_loobean, unit_half, add_pair, rock_paper },
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
            .is_even => Noun.loobean(s.raw() % 2 == 0),
            .less => Noun.loobean(f.ws.head(s).raw() < f.ws.tail(s).raw()),
            .not_loobean => Noun.direct(7),
            .unit_half => if (s.raw() % 2 == 0) f.ws.cell(Noun.zero, Noun.direct(s.raw() / 2)) else Noun.zero,
            .add_pair => f.ws.atomU64(f.ws.tail(s).raw() * 10 + f.ws.head(s).raw()),
            // Not transitive: 0 < 1 < 2 < 0.
            .rock_paper => Noun.loobean((f.ws.head(s).raw() + 1) % 3 == f.ws.tail(s).raw()),
        };
    }

    fn iface(f: *FakeSlam) Slam {
        return .{ .ctx = f, .slam = slam };
    }
};

fn run(ws: *Workspace, jet: common.SlamJet, slam: Slam, sample: []const u8) !Noun {
    var core = [1]Noun{try t.gate(ws, try t.parse(ws, sample))};
    try pushRoots(ws, &core);
    defer ws.popRoots(&core);
    return jet(ws, core[0], slam);
}

fn expectRun(ws: *Workspace, jet: common.SlamJet, slam: Slam, sample: []const u8, expected: []const u8) !void {
    const product = try run(ws, jet, slam, sample);
    try t.expectNoun(ws, try t.parse(ws, expected), product);
}

test "stdlib: lien skim skip murn skid reel through collecting slams" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var fake = FakeSlam{ .ws = &ws, .op = .is_even };
    const s = fake.iface();
    try expectRun(&ws, lien, s, "[[1 3 4 5 0] 0]", "0");
    try testing.expectEqual(@as(u32, 3), fake.calls); // Stops at the first yes.
    try expectRun(&ws, lien, s, "[[1 3 0] 0]", "1");
    try expectRun(&ws, lien, s, "[0 0]", "1");
    try testing.expectError(error.Exit, run(&ws, lien, s, "[[1 3] 0]"));
    try expectRun(&ws, skim, s, "[[1 2 3 4 0] 0]", "[2 4 0]");
    try expectRun(&ws, skip, s, "[[1 2 3 4 0] 0]", "[1 3 0]");
    try expectRun(&ws, skid, s, "[[1 2 3 4 0] 0]", "[[2 4 0] 1 3 0]");
    try expectRun(&ws, skid, s, "[0 0]", "[0 0]");
    try testing.expectError(error.Exit, run(&ws, skid, s, "[[2 4] 0]"));
    fake.op = .unit_half;
    try expectRun(&ws, murn, s, "[[1 2 3 4 0] 0]", "[1 2 0]");
    fake.op = .not_loobean;
    try testing.expectError(error.Exit, run(&ws, skim, s, "[[1 0] 0]"));
    try testing.expectError(error.Exit, run(&ws, lien, s, "[[1 0] 0]"));
    try expectRun(&ws, murn, s, "[0 0]", "0");
    try testing.expectError(error.Exit, run(&ws, murn, s, "[[1 0] 0]"));
    fake.op = .add_pair;
    // The state 5 is the gate's +<+ (axis 13); reel folds from the right: ((5 3) 2) 1.
    try expectRun(&ws, reel, s, "[[1 2 3 0] [0 [0 5] 0]]", "5321");
    try expectRun(&ws, reel, s, "[0 [0 [0 5] 0]]", "5");
    try testing.expectError(error.Exit, run(&ws, reel, s, "[[1 2] [0 [0 5] 0]]"));
}

test "stdlib: sort follows Hoon's quicksort, for orderings that are not" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var fake = FakeSlam{ .ws = &ws, .op = .less };
    const s = fake.iface();
    try expectRun(&ws, sort, s, "[[3 1 2 5 4 0] 0]", "[1 2 3 4 5 0]");
    try expectRun(&ws, sort, s, "[[2 2 1 2 0] 0]", "[1 2 2 2 0]");
    try expectRun(&ws, sort, s, "[0 0]", "0");
    try testing.expectError(error.Exit, run(&ws, sort, s, "[[3 1] 0]"));
    // Pivot 0: 2 goes before it (2 + 1 is 0 mod 3), 1 does not: [2 0 1].
    fake.op = .rock_paper;
    try expectRun(&ws, sort, s, "[[0 1 2 0] 0]", "[2 0 1 0]");
    fake.op = .not_loobean;
    try testing.expectError(error.Exit, run(&ws, sort, s, "[[3 1 0] 0]"));
    try expectRun(&ws, sort, s, "[[3 0] 0]", "[3 0]");
}

test "stdlib: sort and reel through the real interpreter" {
    var ws = try Workspace.init(testing.allocator, 8 << 20);
    defer ws.deinit();
    var ctx: interpreter.Context = undefined;
    try ctx.initWithStack(&ws, 1 << 12);
    defer ctx.deinit();
    const slam = slam_mod.interpreterSlam(&ctx);
    // [6 [5 [0 12] [0 13]] [1 1] [1 0]]: "not equal" as an ordering, [a b] at 12 13.
    try expectRun(&ws, sort, slam, "[[1 2 1 0] [[6 [5 [0 12] [0 13]] [1 1] [1 0]] [0 0] 0]]", "[2 1 1 0]");
    // A consing gate [[0 12] [0 13]] with initial state 0 copies the list.
    try expectRun(&ws, reel, slam, "[[1 2 3 0] [[[0 12] [0 13]] [0 0] 0]]", "[1 2 3 0]");
    try testing.expectError(error.Exit, run(&ws, sort, slam, "[[1 2 0] [[0 0] [0 0] 0]]"));
}
