//! Jets of Hoon's maps and sets (`%two` layer, 2h and 2i): the arms hoon.hoon registers
//! under the `by` (map) and `in` (set) doors. The trees themselves are walked in treap.zig.
//!
//! A door is `[battery a context]`, its tree `a` at axis 6. Its registered arms are gates
//! built inside it, `[battery sample door]`: the sample at 6, the tree at 30. The traps
//! `tap`, `key` (`=+ b=~  |.`) and `apt` (`=|  [l r]  |.`) have the same layout, their
//! accumulator or bounds at 6; `wyt` (`|.` on the door itself) has the tree at 14.
//!
//!   by/get has del dif int uni   b at 6            in/has put del dif int uni bif  b at 6
//!   by/put                       [b c] at 12 13    by/jab  [key fun] at 12 13
//!   by/gas in/gas                b=(list) at 6     by/key  the set b at 6
//!   by/tap in/tap                the list b at 6   by/apt in/apt  [l r] units at 12 13
//!   by/all any run urn rep       the gate at 6     in/all any run rep  the gate at 6
//!
//! `rep` folds in pre-order (node, left, right) from the gate's `+<+`; `run`, `urn`, `all`
//! and `any` slam in pre-order too (`?&`/`?|` stop at the first answer; a non-loobean is
//! Exit). `by/bif` takes `[b c]` at 12 13 in kelvin 140 (it puts `[b c]` at the root and
//! returns the root's children) and the key `b` alone at 6 in kelvin 138 (it splits at `b`);
//! both give the same `[l r]`, the split at the key. A registration path is the same in
//! every kelvin, so the jet reads the kelvin from the registered core's root (its payload,
//! axis 255 of the gate) and punts for any other. `dig`, `got`, `gut`, `mar`, `rib`, `uno`
//! and `val` are not registered (got and gut call the `get` jet).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const E = @import("entry.zig");
const treap = @import("treap.zig");
const treap_build = @import("treap_build.zig");
const JetError = common.JetError;
const Slam = common.Slam;
const Kind = treap.Kind;

pub const entries = [_]E.Entry{
    E.slams("by-all", byAll, "b=$-(* ?) 6; a 30"),
    E.slams("by-any", byAny, "b=$-(* ?) 6; a 30"),
    E.plain("by-apt", byApt, "[l=(unit) r=(unit)] 12 13; a 30"),
    E.plain("by-bif", byBif, "[b=* c=*] 12 13 (k140) or b=* 6 (k138); a 30; kelvin 255"),
    E.plain("by-del", byDel, "b=* 6; a 30"),
    E.plain("by-dif", byDif, "b=(map) 6; a 30"),
    E.plain("by-gas", byGas, "b=(list [p q]) 6; a 30"),
    E.plain("by-get", byGet, "b=* 6; a 30"),
    E.plain("by-has", byHas, "b=* 6; a 30"),
    E.plain("by-int", byInt, "b=(map) 6; a 30"),
    E.slams("by-jab", byJab, "[key=* fun=gate] 12 13; a 30"),
    E.plain("by-key", byKey, "b=(set) 6; a 30"),
    E.plain("by-put", byPut, "[b=* c=*] 12 13; a 30"),
    E.slams("by-rep", rep, "b=gate 6, its state at 13 of b; a 30"),
    E.slams("by-run", byRun, "b=gate 6; a 30"),
    E.plain("by-tap", tap, "b=(list) 6; a 30"),
    E.plain("by-uni", byUni, "b=(map) 6; a 30"),
    E.slams("by-urn", byUrn, "b=gate 6; a 30"),
    E.plain("by-wyt", wyt, "a 14"),
    E.slams("in-all", inAll, "b=$-(* ?) 6; a 30"),
    E.slams("in-any", inAny, "b=$-(* ?) 6; a 30"),
    E.plain("in-apt", inApt, "[l=(unit) r=(unit)] 12 13; a 30"),
    E.plain("in-bif", inBif, "b=* 6; a 30"),
    E.plain("in-del", inDel, "b=* 6; a 30"),
    E.plain("in-dif", inDif, "b=(set) 6; a 30"),
    E.plain("in-gas", inGas, "b=(list) 6; a 30"),
    E.plain("in-has", inHas, "b=* 6; a 30"),
    E.plain("in-int", inInt, "b=(set) 6; a 30"),
    E.plain("in-put", inPut, "b=* 6; a 30"),
    E.slams("in-rep", rep, "b=gate 6, its state at 13 of b; a 30"),
    E.slams("in-run", inRun, "b=gate 6; a 30"),
    E.plain("in-tap", tap, "b=(list) 6; a 30"),
    E.plain("in-uni", inUni, "b=(set) 6; a 30"),
    E.plain("in-wyt", wyt, "a 14"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/by", .entry_prefix = "by-", .names = &.{
        "all", "any", "apt", "bif", "del", "dif", "gas", "get", "has", "int",
        "jab", "key", "put", "rep", "run", "tap", "uni", "urn", "wyt",
    } },
    .{ .prefix = "one/two/in", .entry_prefix = "in-", .names = &.{
        "all", "any", "apt", "bif", "del", "dif", "gas", "has", "int", "put", "rep", "run",
        "tap", "uni", "wyt",
    } },
};

/// The door's tree, from a gate or trap built inside it.
fn tree(ws: *const Workspace, core: Noun) JetError!Noun {
    return common.slot(ws, core, 30);
}

fn sample(ws: *const Workspace, core: Noun) JetError!Noun {
    return common.slot(ws, core, 6);
}

// ------------------------------------------------------------------------- lookups

pub fn byGet(ws: *Workspace, core: Noun) JetError!Noun {
    const n = try treap.find(ws, .map, try tree(ws, core), try sample(ws, core)) orelse return Noun.zero;
    assert(n.isCell()); // keyOf checked it.
    return ws.cell(Noun.zero, ws.tail(n)); // (some q.n.a)
}

pub fn byHas(ws: *Workspace, core: Noun) JetError!Noun {
    return Noun.loobean(try treap.find(ws, .map, try tree(ws, core), try sample(ws, core)) != null);
}

pub fn inHas(ws: *Workspace, core: Noun) JetError!Noun {
    return Noun.loobean(try treap.find(ws, .set, try tree(ws, core), try sample(ws, core)) != null);
}

pub fn tap(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.tap(ws, try tree(ws, core), try sample(ws, core));
}

pub fn wyt(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.count(ws, try common.slot(ws, core, 14));
}

/// A bound of `apt`: `~` for none, `[~ u]` for `u` (any cell: the arm reads only `u.l`).
fn bound(ws: *Workspace, unit: Noun) JetError!?treap.Key {
    if (unit == Noun.zero) return null;
    if (!unit.isCell()) return error.Punt;
    return try treap.Key.of(ws, ws.tail(unit));
}

fn aptOf(ws: *Workspace, comptime kind: Kind, core: Noun) JetError!Noun {
    const a = try tree(ws, core);
    if (a == Noun.zero) return Noun.yes; // `?~  a  &` reads no bound.
    const l = try bound(ws, try common.slot(ws, core, 12));
    const r = try bound(ws, try common.slot(ws, core, 13));
    return Noun.loobean(try treap.apt(ws, kind, a, l, r));
}

pub fn byApt(ws: *Workspace, core: Noun) JetError!Noun {
    return aptOf(ws, .map, core);
}

pub fn inApt(ws: *Workspace, core: Noun) JetError!Noun {
    return aptOf(ws, .set, core);
}

// ------------------------------------------------------------------------- updates

pub fn byPut(ws: *Workspace, core: Noun) JetError!Noun {
    const key = try common.slot(ws, core, 12);
    return treap.put(ws, .map, try tree(ws, core), key, try common.slot(ws, core, 13));
}

pub fn inPut(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.put(ws, .set, try tree(ws, core), try sample(ws, core), Noun.zero);
}

pub fn byDel(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.del(ws, .map, try tree(ws, core), try sample(ws, core));
}

pub fn inDel(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.del(ws, .set, try tree(ws, core), try sample(ws, core));
}

/// `gas`: each item of the list put in turn (into `~`, built in bulk: treap_build.zig). An
/// improper list, or (in a map) an item that is an atom, is Exit, as reading `i.b` or
/// `p.i.b` there is.
fn gas(ws: *Workspace, comptime kind: Kind, core: Noun) JetError!Noun {
    var acc = try tree(ws, core);
    if (acc == Noun.zero) return treap_build.gasEmpty(ws, kind, try sample(ws, core));
    var x = try sample(ws, core);
    while (x.isCell()) : (x = ws.tail(x)) {
        const item = ws.head(x);
        acc = switch (kind) {
            .set => try treap.put(ws, .set, acc, item, Noun.zero),
            .map => if (item.isCell())
                try treap.put(ws, .map, acc, ws.head(item), ws.tail(item))
            else
                return error.Exit,
        };
    }
    if (x != Noun.zero) return error.Exit;
    return acc;
}

pub fn byGas(ws: *Workspace, core: Noun) JetError!Noun {
    return gas(ws, .map, core);
}

pub fn inGas(ws: *Workspace, core: Noun) JetError!Noun {
    return gas(ws, .set, core);
}

pub fn inBif(ws: *Workspace, core: Noun) JetError!Noun {
    const lr = try treap.split(ws, .set, try tree(ws, core), try sample(ws, core));
    return ws.cell(lr[0], lr[1]);
}

/// `by/bif`: the map split at a key, `[l r]` (see the file comment for the two kelvins'
/// samples). The key is at axis 12 in kelvin 140 and 6 in kelvin 138; the kelvin is the
/// payload of the root core, reached through the door (7), its context `two` (31), `one`
/// (63) and the root (127).
pub fn byBif(ws: *Workspace, core: Noun) JetError!Noun {
    // Not a core laid out as hoon.hoon's: let the Nock decide.
    const kelvin = common.slot(ws, core, 255) catch return error.Punt;
    const key = if (kelvin == Noun.direct(140))
        try common.slot(ws, core, 12) // Reading `b` of an atom sample crashes the Nock too.
    else if (kelvin == Noun.direct(138))
        try sample(ws, core)
    else
        return error.Punt;
    const lr = try treap.split(ws, .map, try tree(ws, core), key);
    return ws.cell(lr[0], lr[1]);
}

/// `key`: the map's keys put into the set `b` in pre-order.
pub fn byKey(ws: *Workspace, core: Noun) JetError!Noun {
    var it = treap.PreOrder.init(try tree(ws, core));
    var set = try sample(ws, core);
    while (try it.next(ws)) |nd| {
        set = try treap.put(ws, .set, set, try treap.keyOf(ws, .map, nd.n), Noun.zero);
    }
    return set;
}

pub fn byUni(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.uni(ws, .map, try tree(ws, core), try sample(ws, core));
}

pub fn inUni(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.uni(ws, .set, try tree(ws, core), try sample(ws, core));
}

pub fn byInt(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.int(ws, .map, try tree(ws, core), try sample(ws, core));
}

pub fn inInt(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.int(ws, .set, try tree(ws, core), try sample(ws, core));
}

pub fn byDif(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.dif(ws, .map, try tree(ws, core), try sample(ws, core));
}

pub fn inDif(ws: *Workspace, core: Noun) JetError!Noun {
    return treap.dif(ws, .set, try tree(ws, core), try sample(ws, core));
}

// ------------------------------------------------------------------------- gates

/// A pre-order walk (node, left, right) that slams a gate at each node. The gate, the
/// state, the tree and the pending subtrees live in root slots: a slam may collect.
const SlamWalk = struct {
    const gate = 0;
    const state = 1;
    const whole = 2;
    const pending = 3;

    slots: [pending + treap.depth_max]Noun,
    len: usize = 1,

    fn init(g: Noun, s: Noun, a: Noun) SlamWalk {
        var w: SlamWalk = .{ .slots = [_]Noun{Noun.zero} ** (pending + treap.depth_max) };
        w.slots[gate] = g;
        w.slots[state] = s;
        w.slots[whole] = a;
        w.slots[pending] = a;
        return w;
    }

    /// The next node's `n`; read it before the next slam.
    fn next(w: *SlamWalk, ws: *const Workspace) JetError!?Noun {
        while (w.len > 0) {
            w.len -= 1;
            const at = pending + w.len;
            const nd = try treap.node(ws, w.slots[at]) orelse continue;
            if (at + 2 > w.slots.len) return error.Punt;
            w.slots[at] = nd.r;
            w.slots[at + 1] = nd.l;
            w.len += 2;
            return nd.n;
        }
        return null;
    }
};

fn pushRoots(ws: *Workspace, slots: []Noun) JetError!void {
    assert(slots.len >= 1);
    ws.pushRoots(slots) catch return error.Meme;
}

/// `rep`: the state, starting at the gate's `+<+`, becomes `(b n.a state)` at each node.
pub fn rep(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const g = try sample(ws, core);
    var w = SlamWalk.init(g, try common.slot(ws, g, 13), try tree(ws, core));
    try pushRoots(ws, &w.slots);
    defer ws.popRoots(&w.slots);
    while (try w.next(ws)) |n| {
        const pair = try ws.cell(n, w.slots[SlamWalk.state]);
        w.slots[SlamWalk.state] = try slam.call(w.slots[SlamWalk.gate], pair);
    }
    return w.slots[SlamWalk.state];
}

/// What a gate of `all`, `any`, `run` and `urn` is slammed with: the set's node, the map's
/// value, or the map's whole pair.
const Arg = enum { node, value, pair };

fn argOf(ws: *const Workspace, comptime arg: Arg, n: Noun) JetError!Noun {
    if (arg == .node) return n;
    if (!n.isCell()) return error.Punt;
    return if (arg == .value) ws.tail(n) else n;
}

/// `all` (`?&`) or `any` (`?|`): stops at the first node that decides.
fn decide(ws: *Workspace, core: Noun, slam: Slam, comptime arg: Arg, comptime every: bool) JetError!Noun {
    var w = SlamWalk.init(try sample(ws, core), Noun.zero, try tree(ws, core));
    try pushRoots(ws, &w.slots);
    defer ws.popRoots(&w.slots);
    const stop = if (every) Noun.no else Noun.yes;
    while (try w.next(ws)) |n| {
        const verdict = try slam.call(w.slots[SlamWalk.gate], try argOf(ws, arg, n));
        if (verdict == stop) return stop;
        if (verdict != Noun.yes and verdict != Noun.no) return error.Exit; // `?:` on it crashes.
    }
    return if (every) Noun.yes else Noun.no;
}

pub fn byAll(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return decide(ws, core, slam, .value, true);
}

pub fn byAny(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return decide(ws, core, slam, .value, false);
}

pub fn inAll(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return decide(ws, core, slam, .node, true);
}

pub fn inAny(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return decide(ws, core, slam, .node, false);
}

/// Slam the gate at every node in pre-order; the products as a list, last first (in the
/// walk's state slot). Returns the walk, whose tree slot still holds the tree.
fn slamAll(ws: *Workspace, w: *SlamWalk, slam: Slam, comptime arg: Arg) JetError!void {
    while (try w.next(ws)) |n| {
        const product = try slam.call(w.slots[SlamWalk.gate], try argOf(ws, arg, n));
        w.slots[SlamWalk.state] = try ws.cell(product, w.slots[SlamWalk.state]);
    }
}

/// The map with each value replaced by the next product of `products` (the pre-order's
/// products, last first: consumed right subtree first, then left, then the node).
fn remap(ws: *Workspace, a: Noun, products: Noun) JetError!Noun {
    const Task = struct { tree: Noun, built: bool };
    var tasks: [2 * treap.depth_max]Task = undefined;
    var values: [2 * treap.depth_max]Noun = undefined;
    var n_tasks: usize = 1;
    var n_values: usize = 0;
    var list = products;
    tasks[0] = .{ .tree = a, .built = false };
    while (n_tasks > 0) {
        n_tasks -= 1;
        const task = tasks[n_tasks];
        if (n_tasks + 3 > tasks.len or n_values + 1 > values.len) return error.Punt;
        const nd = (try treap.node(ws, task.tree)) orelse {
            values[n_values] = Noun.zero;
            n_values += 1;
            continue;
        };
        if (!task.built) {
            tasks[n_tasks] = .{ .tree = task.tree, .built = true };
            tasks[n_tasks + 1] = .{ .tree = nd.l, .built = false };
            tasks[n_tasks + 2] = .{ .tree = nd.r, .built = false };
            n_tasks += 3;
            continue;
        }
        assert(n_values >= 2 and list.isCell() and nd.n.isCell());
        const l = values[n_values - 1];
        const r = values[n_values - 2];
        const pair = try ws.cell(ws.head(nd.n), ws.head(list));
        list = ws.tail(list);
        values[n_values - 2] = try treap.make(ws, pair, l, r);
        n_values -= 1;
    }
    assert(n_values == 1 and list == Noun.zero);
    return values[0];
}

fn mapRun(ws: *Workspace, core: Noun, slam: Slam, comptime arg: Arg) JetError!Noun {
    var w = SlamWalk.init(try sample(ws, core), Noun.zero, try tree(ws, core));
    try pushRoots(ws, &w.slots);
    defer ws.popRoots(&w.slots);
    try slamAll(ws, &w, slam, arg);
    return remap(ws, w.slots[SlamWalk.whole], w.slots[SlamWalk.state]);
}

/// `run` of a map: `[n=[p q=(b q)] l r]` at each node.
pub fn byRun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRun(ws, core, slam, .value);
}

/// `urn`: `a(q.n (b p.n.a q.n.a))` at each node.
pub fn byUrn(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRun(ws, core, slam, .pair);
}

/// `run` of a set: the products put into a new set, in pre-order.
pub fn inRun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    var w = SlamWalk.init(try sample(ws, core), Noun.zero, try tree(ws, core));
    try pushRoots(ws, &w.slots);
    defer ws.popRoots(&w.slots);
    try slamAll(ws, &w, slam, .node);
    var first_last = Noun.zero;
    var x = w.slots[SlamWalk.state];
    while (x.isCell()) : (x = ws.tail(x)) first_last = try ws.cell(ws.head(x), first_last);
    var set = Noun.zero;
    x = first_last;
    while (x.isCell()) : (x = ws.tail(x)) set = try treap.put(ws, .set, set, ws.head(x), Noun.zero);
    return set;
}

/// `jab`: the value at `key` replaced by `(fun value)`; Exit when the key is missing (`!!`).
pub fn byJab(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const key_at = 0;
    const fun_at = 1;
    const path_at = 2;
    var slots = [_]Noun{Noun.zero} ** (path_at + treap.depth_max + 1);
    slots[key_at] = try common.slot(ws, core, 12);
    slots[fun_at] = try common.slot(ws, core, 13);
    var left: [treap.depth_max]bool = undefined;
    const key = try treap.Key.of(ws, slots[key_at]);
    var x = try tree(ws, core);
    var depth: usize = 0;
    const found = while (true) : (depth += 1) {
        const nd = try treap.node(ws, x) orelse return error.Exit;
        const k = try treap.Key.of(ws, try treap.keyOf(ws, .map, nd.n));
        slots[path_at + depth] = x;
        if (try treap.equal(ws, key.noun, k.noun)) break nd;
        if (depth == treap.depth_max) return error.Punt;
        left[depth] = try treap.gor(ws, key, k);
        x = if (left[depth]) nd.l else nd.r;
    };
    try pushRoots(ws, &slots);
    defer ws.popRoots(&slots);
    const value = try slam.call(slots[fun_at], ws.tail(found.n));
    var nd = (try treap.node(ws, slots[path_at + depth])).?; // Moved, perhaps; not changed.
    var d = try treap.make(ws, try ws.cell(ws.head(nd.n), value), nd.l, nd.r);
    while (depth > 0) {
        depth -= 1;
        nd = (try treap.node(ws, slots[path_at + depth])).?;
        d = if (left[depth]) try treap.make(ws, nd.n, d, nd.r) else try treap.make(ws, nd.n, nd.l, d);
    }
    return d;
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");
const equality = @import("../equality.zig");

test {
    _ = treap;
    _ = treap_build;
}

/// A gate built in a door: `[battery sample [battery a context]]` (sample 6, tree 30).
fn gateIn(ws: *Workspace, s: Noun, a: Noun) !Noun {
    return ws.tuple(&.{ Noun.zero, s, Noun.zero, a, Noun.zero });
}

fn atoms(ws: *Workspace, items: []const u64) !Noun {
    return t.list(ws, items);
}

fn pairs(ws: *Workspace, items: []const u64) !Noun {
    var acc = Noun.zero;
    var i = items.len;
    while (i > 0) {
        i -= 1;
        acc = try ws.cell(try ws.cell(Noun.direct(items[i]), Noun.direct(items[i] * 10)), acc);
    }
    return acc;
}

fn setOf(ws: *Workspace, items: []const u64) !Noun {
    return inGas(ws, try gateIn(ws, try atoms(ws, items), Noun.zero));
}

fn mapOf(ws: *Workspace, items: []const u64) !Noun {
    return byGas(ws, try gateIn(ws, try pairs(ws, items), Noun.zero));
}

fn size(ws: *Workspace, a: Noun) !u64 {
    return (try wyt(ws, try ws.tuple(&.{ Noun.zero, Noun.zero, a, Noun.zero }))).raw();
}

fn valid(ws: *Workspace, comptime kind: Kind, a: Noun) !bool {
    // The trap `[battery [l=~ r=~] door]`.
    const core = try gateIn(ws, try ws.cell(Noun.zero, Noun.zero), a);
    return (try aptOf(ws, kind, core)) == Noun.yes;
}

fn range(buf: []u64, from: u64, step: u64) []u64 {
    for (buf, 0..) |*x, i| x.* = from + step * i;
    return buf;
}

test "by/in sets: put, has, del, tap and wyt agree, and trees are canonical" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var buf: [300]u64 = undefined;
    const a = try setOf(&ws, range(&buf, 1, 3));
    try testing.expectEqual(@as(u64, 300), try size(&ws, a));
    try testing.expect(try valid(&ws, .set, a));
    try testing.expectEqual(Noun.yes, try inHas(&ws, try gateIn(&ws, Noun.direct(298), a)));
    try testing.expectEqual(Noun.no, try inHas(&ws, try gateIn(&ws, Noun.direct(299), a)));
    // A treap's shape depends only on its keys: delete then put again gives the same tree.
    const smaller = try inDel(&ws, try gateIn(&ws, Noun.direct(100), a));
    try testing.expectEqual(@as(u64, 299), try size(&ws, smaller));
    try testing.expect(try valid(&ws, .set, smaller));
    try t.expectNoun(&ws, a, try inPut(&ws, try gateIn(&ws, Noun.direct(100), smaller)));
    // Putting a key already there gives the tree back unchanged.
    try testing.expectEqual(a, try inPut(&ws, try gateIn(&ws, Noun.direct(100), a)));
    // The same keys in another order.
    var reversed: [300]u64 = undefined;
    for (&reversed, 0..) |*x, i| x.* = buf[299 - i];
    try t.expectNoun(&ws, a, try setOf(&ws, &reversed));
    const list = try tap(&ws, try gateIn(&ws, Noun.zero, a));
    try testing.expectEqual(@as(u64, 300), try common.listLength(&ws, list));
}

test "by/in sets: uni, int, dif and bif give the canonical trees of their keys" {
    var ws = try Workspace.init(testing.allocator, 32 << 20);
    defer ws.deinit();
    var b1: [200]u64 = undefined;
    var b2: [200]u64 = undefined;
    const a = try setOf(&ws, range(&b1, 0, 2)); // even numbers below 400
    const b = try setOf(&ws, range(&b2, 0, 3)); // multiples of 3 below 600
    var all: [400]u64 = undefined;
    var common_keys: [100]u64 = undefined;
    var only_a: [200]u64 = undefined;
    var n_all: usize = 0;
    var n_common: usize = 0;
    var n_only: usize = 0;
    for (0..600) |i| {
        const in_a = i % 2 == 0 and i < 400;
        const in_b = i % 3 == 0;
        if (in_a or in_b) all[n_all] = i;
        if (in_a or in_b) n_all += 1;
        if (in_a and in_b) common_keys[n_common] = i;
        if (in_a and in_b) n_common += 1;
        if (in_a and !in_b) only_a[n_only] = i;
        if (in_a and !in_b) n_only += 1;
    }
    try t.expectNoun(&ws, try setOf(&ws, all[0..n_all]), try inUni(&ws, try gateIn(&ws, b, a)));
    try t.expectNoun(&ws, try setOf(&ws, common_keys[0..n_common]), try inInt(&ws, try gateIn(&ws, b, a)));
    try t.expectNoun(&ws, try setOf(&ws, only_a[0..n_only]), try inDif(&ws, try gateIn(&ws, b, a)));
    try testing.expectEqual(a, try inUni(&ws, try gateIn(&ws, a, a)));
    const lr = try inBif(&ws, try gateIn(&ws, Noun.direct(100), a));
    try testing.expectEqual(@as(u64, 199), try size(&ws, ws.head(lr)) + try size(&ws, ws.tail(lr)));
}

test "by/in maps: get, put, del, uni, int, dif, key" {
    var ws = try Workspace.init(testing.allocator, 32 << 20);
    defer ws.deinit();
    var b1: [150]u64 = undefined;
    var b2: [150]u64 = undefined;
    const a = try mapOf(&ws, range(&b1, 1, 1));
    const b = try mapOf(&ws, range(&b2, 100, 1));
    try testing.expect(try valid(&ws, .map, a));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 70]"), try byGet(&ws, try gateIn(&ws, Noun.direct(7), a)));
    try testing.expectEqual(Noun.zero, try byGet(&ws, try gateIn(&ws, Noun.direct(700), a)));
    try testing.expectEqual(Noun.no, try byHas(&ws, try gateIn(&ws, Noun.direct(0), a)));
    const same = try ws.cell(Noun.direct(7), Noun.direct(70));
    try testing.expectEqual(a, try byPut(&ws, try gateIn(&ws, same, a)));
    const changed = try byPut(&ws, try gateIn(&ws, try ws.cell(Noun.direct(7), Noun.direct(8)), a));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 8]"), try byGet(&ws, try gateIn(&ws, Noun.direct(7), changed)));
    var b3: [249]u64 = undefined;
    try t.expectNoun(&ws, try mapOf(&ws, range(&b3, 1, 1)), try byUni(&ws, try gateIn(&ws, b, a)));
    var b4: [51]u64 = undefined;
    try t.expectNoun(&ws, try mapOf(&ws, range(&b4, 100, 1)), try byInt(&ws, try gateIn(&ws, b, a)));
    var b5: [99]u64 = undefined;
    try t.expectNoun(&ws, try mapOf(&ws, range(&b5, 1, 1)), try byDif(&ws, try gateIn(&ws, b, a)));
    try t.expectNoun(&ws, try setOf(&ws, &b1), try byKey(&ws, try gateIn(&ws, Noun.zero, a)));
    const gone = try byDel(&ws, try gateIn(&ws, Noun.direct(7), a));
    try testing.expectEqual(Noun.zero, try byGet(&ws, try gateIn(&ws, Noun.direct(7), gone)));
    try testing.expectEqual(@as(u64, 149), try size(&ws, gone));
}

/// A `by/bif` gate under a kelvin root: `[battery sample [battery a [two [one [root kelvin]]]]]`
/// (sample 6, tree 30, kelvin 255).
fn bifGate(ws: *Workspace, s: Noun, a: Noun, kelvin: u64) !Noun {
    return ws.tuple(&.{ Noun.zero, s, Noun.zero, a, Noun.zero, Noun.zero, Noun.zero, Noun.direct(kelvin) });
}

test "by/bif splits a map into the canonical maps of the keys on either side" {
    var ws = try Workspace.init(testing.allocator, 32 << 20);
    defer ws.deinit();
    var keys: [200]u64 = undefined;
    const a = try mapOf(&ws, range(&keys, 1, 3));
    var prng = std.Random.DefaultPrng.init(0xb1f);
    const random = prng.random();
    for (0..40) |_| {
        const k = random.uintLessThan(u64, 650); // present (1 mod 3) or absent
        var left: [200]u64 = undefined;
        var right: [200]u64 = undefined;
        var n_left: usize = 0;
        var n_right: usize = 0;
        const key = try treap.Key.of(&ws, Noun.direct(k));
        for (keys) |x| {
            if (x == k) continue;
            if (try treap.gor(&ws, try treap.Key.of(&ws, Noun.direct(x)), key)) {
                left[n_left] = x;
                n_left += 1;
            } else {
                right[n_right] = x;
                n_right += 1;
            }
        }
        const expected = try ws.cell(try mapOf(&ws, left[0..n_left]), try mapOf(&ws, right[0..n_right]));
        // Kelvin 140: `[b c]`, whatever c is; kelvin 138: the key alone.
        const bc = try ws.cell(Noun.direct(k), Noun.direct(99));
        try t.expectNoun(&ws, expected, try byBif(&ws, try bifGate(&ws, bc, a, 140)));
        try t.expectNoun(&ws, expected, try byBif(&ws, try bifGate(&ws, Noun.direct(k), a, 138)));
    }
    const empty = try ws.cell(Noun.zero, Noun.zero);
    try t.expectNoun(&ws, empty, try byBif(&ws, try bifGate(&ws, try ws.cell(Noun.one, Noun.one), Noun.zero, 140)));
    // An atom where kelvin 140 reads `[b c]` crashes; another kelvin, or no root, punts.
    try testing.expectError(error.Exit, byBif(&ws, try bifGate(&ws, Noun.direct(4), a, 140)));
    try testing.expectError(error.Punt, byBif(&ws, try bifGate(&ws, Noun.direct(4), a, 139)));
    try testing.expectError(error.Punt, byBif(&ws, try gateIn(&ws, Noun.direct(4), a)));
    // A map node that is an atom punts.
    try testing.expectError(error.Punt, byBif(&ws, try bifGate(&ws, Noun.direct(4), try t.parse(&ws, "[5 0 0]"), 138)));
}

test "by/in: malformed trees punt, bad lists and missing keys are Exit" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try testing.expectError(error.Punt, inHas(&ws, try gateIn(&ws, Noun.direct(1), Noun.direct(5))));
    try testing.expectError(error.Punt, byGet(&ws, try gateIn(&ws, Noun.direct(1), try t.parse(&ws, "[5 0 0]"))));
    try testing.expectError(error.Exit, inGas(&ws, try gateIn(&ws, try t.parse(&ws, "[1 2 3]"), Noun.zero)));
    try testing.expectError(error.Exit, byGas(&ws, try gateIn(&ws, try t.parse(&ws, "[1 0]"), Noun.zero)));
    try testing.expectEqual(Noun.yes, try aptOf(&ws, .set, try gateIn(&ws, Noun.direct(9), Noun.zero)));
    // A set whose left child outranks its parent is not a treap.
    const a = try setOf(&ws, &.{ 1, 2, 3, 4, 5 });
    const nd = (try treap.node(&ws, a)).?;
    const bad = try treap.make(&ws, nd.n, nd.r, nd.l);
    try testing.expect(!try valid(&ws, .set, bad));
}

/// A stand-in for the interpreter that collects before every slam (proving the roots).
const FakeSlam = struct {
    ws: *Workspace,
    op: enum { add_pair, increment, is_small },

    fn slam(opaque_ctx: *anyopaque, gate: Noun, s: Noun) JetError!Noun {
        const f: *FakeSlam = @ptrCast(@alignCast(opaque_ctx));
        var held = [2]Noun{ gate, s };
        try pushRoots(f.ws, &held);
        _ = try f.ws.cell(Noun.zero, Noun.zero);
        f.ws.collect();
        f.ws.popRoots(&held);
        const x = held[1];
        return switch (f.op) {
            .add_pair => f.ws.atomU64(f.ws.head(x).raw() + f.ws.tail(x).raw()),
            .increment => f.ws.atomU64(x.raw() + 1),
            .is_small => Noun.loobean(x.raw() <= 1000),
        };
    }

    fn iface(f: *FakeSlam) Slam {
        return .{ .ctx = f, .slam = slam };
    }
};

fn callSlams(ws: *Workspace, jet: common.SlamJet, f: *FakeSlam, s: Noun, a: Noun) !Noun {
    var core = [1]Noun{try gateIn(ws, s, a)};
    try pushRoots(ws, &core);
    defer ws.popRoots(&core);
    return jet(ws, core[0], f.iface());
}

test "by/in: gate arms keep their nouns across collecting slams" {
    var ws = try Workspace.init(testing.allocator, 16 << 20);
    defer ws.deinit();
    var buf: [100]u64 = undefined;
    var roots = [2]Noun{ try setOf(&ws, range(&buf, 1, 1)), try mapOf(&ws, range(&buf, 1, 1)) };
    try pushRoots(&ws, &roots);
    defer ws.popRoots(&roots);
    var f = FakeSlam{ .ws = &ws, .op = .add_pair };
    // rep: a gate whose `+<+` (axis 13) is the initial state 7.
    const gate = try ws.tuple(&.{ Noun.zero, try ws.cell(Noun.zero, Noun.direct(7)), Noun.zero });
    try testing.expectEqual(Noun.direct(5057), try callSlams(&ws, rep, &f, gate, roots[0]));
    f.op = .increment;
    var shifted: [100]u64 = undefined;
    const ran = try callSlams(&ws, inRun, &f, Noun.zero, roots[0]); // Collects: build the rest after.
    try t.expectNoun(&ws, try setOf(&ws, range(&shifted, 2, 1)), ran);
    const run = try callSlams(&ws, byRun, &f, Noun.zero, roots[1]);
    try t.expectNoun(&ws, try t.parse(&ws, "[0 71]"), try byGet(&ws, try gateIn(&ws, Noun.direct(7), run)));
    const jabbed = try callSlams(&ws, byJab, &f, try ws.cell(Noun.direct(9), Noun.zero), roots[1]);
    try t.expectNoun(&ws, try t.parse(&ws, "[0 91]"), try byGet(&ws, try gateIn(&ws, Noun.direct(9), jabbed)));
    try testing.expectError(error.Exit, callSlams(&ws, byJab, &f, try ws.cell(Noun.direct(0), Noun.zero), roots[1]));
    f.op = .is_small;
    try testing.expectEqual(Noun.yes, try callSlams(&ws, byAll, &f, Noun.zero, roots[1]));
    try testing.expectEqual(Noun.no, try callSlams(&ws, inAny, &f, Noun.zero, Noun.zero));
    try testing.expectEqual(Noun.yes, try callSlams(&ws, inAny, &f, Noun.zero, roots[0]));
    try testing.expectEqual(Noun.no, try callSlams(&ws, inAll, &f, Noun.zero, try setOf(&ws, &.{ 1, 1001 })));
    f.op = .increment; // 2 is neither yes nor no
    try testing.expectError(error.Exit, callSlams(&ws, inAll, &f, Noun.zero, try setOf(&ws, &.{ 1, 2 })));
}
