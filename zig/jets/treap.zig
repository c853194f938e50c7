//! The treaps behind Hoon's maps and sets (hoon.hoon 2h and 2i), walked natively for the
//! jets in maps.zig. A tree is `~` or a node `[n l r]`; a set's key is its node `n`, a map's
//! is `p.n` (its node is a pair `[p=key q=value]`). Keys are ordered by `gor` (mug order)
//! and priorities by `mor` (double-mug order), both falling back to `dor`.
//!
//! Every function here builds exactly the tree the arm's Hoon builds, for any input it
//! accepts, valid treap or not: the same comparisons in the same places, the same
//! rotations, the same nodes reused. Where the Hoon would read a part of a malformed tree
//! (a node that is a non-zero atom, a map node that is an atom), the function returns
//! `error.Punt` and the arm's Nock decides. No recursion: descents keep their path in a
//! bounded array, the two-sided walks (`uni`, `int`, `dif`) run on an explicit task stack,
//! and a tree deeper than the bounds (never a real treap: their depth is O(log n)) punts.
//!
//! These functions allocate and never collect: callers that slam gates keep what they need
//! in root slots, and call in here only between slams.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const mug_mod = @import("../mug.zig");
const common = @import("common.zig");
const sort = @import("sort.zig");
const JetError = common.JetError;

/// Deepest path a descent follows (a treap of 10^9 keys is about 60 deep).
pub const depth_max = 512;

pub const Kind = enum { set, map };

pub const Node = struct { n: Noun, l: Noun, r: Noun };

/// The node `x`; null for `~`; Punt for anything else.
pub fn node(ws: *const Workspace, x: Noun) JetError!?Node {
    if (x == Noun.zero) return null;
    if (!x.isCell()) return error.Punt;
    const lr = ws.tail(x);
    if (!lr.isCell()) return error.Punt;
    return .{ .n = ws.head(x), .l = ws.head(lr), .r = ws.tail(lr) };
}

/// The node of a tree known to be a node (built here or already checked).
fn nodeOf(ws: *const Workspace, x: Noun) Node {
    assert(x.isCell());
    assert(ws.tail(x).isCell());
    return .{ .n = ws.head(x), .l = ws.head(ws.tail(x)), .r = ws.tail(ws.tail(x)) };
}

pub fn make(ws: *Workspace, n: Noun, l: Noun, r: Noun) JetError!Noun {
    return ws.cell(n, try ws.cell(l, r));
}

/// A node's key: the node itself in a set, its head in a map (Punt when it is an atom).
pub fn keyOf(ws: *const Workspace, comptime kind: Kind, n: Noun) JetError!Noun {
    return switch (kind) {
        .set => n,
        .map => if (n.isCell()) ws.head(n) else error.Punt,
    };
}

pub fn equal(ws: *Workspace, a: Noun, b: Noun) JetError!bool {
    return equality.equal(ws, a, b);
}

/// A key with its mug, which `gor` and `mor` both start from.
pub const Key = struct {
    noun: Noun,
    mug: u32,

    pub fn of(ws: *Workspace, noun: Noun) JetError!Key {
        return .{ .noun = noun, .mug = try mug_mod.mug(ws, noun) };
    }
};

/// `(gor a b)`.
pub fn gor(ws: *Workspace, a: Key, b: Key) JetError!bool {
    if (a.mug == b.mug) return sort.dorNouns(ws, a.noun, b.noun);
    return a.mug < b.mug;
}

/// `(mor a b)`.
pub fn mor(ws: *Workspace, a: Key, b: Key) JetError!bool {
    const c = mug_mod.mugU64(a.mug);
    const d = mug_mod.mugU64(b.mug);
    if (c == d) return sort.dorNouns(ws, a.noun, b.noun);
    return c < d;
}

fn nodeKey(ws: *Workspace, comptime kind: Kind, n: Noun) JetError!Key {
    return Key.of(ws, try keyOf(ws, kind, n));
}

/// One node of a descent: the tree there, its parts, its key and the side taken.
const Step = struct { tree: Noun, node: Node, key: Key, left: bool };

const Path = struct {
    steps: [depth_max]Step,
    len: usize,

    fn push(p: *Path, step: Step) JetError!void {
        if (p.len == depth_max) return error.Punt;
        p.steps[p.len] = step;
        p.len += 1;
    }
};

/// Where a search for `key` ends: the node holding it (null: none) and the path to it.
fn descend(ws: *Workspace, comptime kind: Kind, a: Noun, key: Key, path: *Path) JetError!?Noun {
    assert(path.len == 0);
    var x = a;
    while (try node(ws, x)) |nd| {
        const k = try nodeKey(ws, kind, nd.n);
        if (try equal(ws, key.noun, k.noun)) return x;
        const left = try gor(ws, key, k);
        try path.push(.{ .tree = x, .node = nd, .key = k, .left = left });
        x = if (left) nd.l else nd.r;
    }
    return null;
}

/// The node whose key is `key` (its `n`), or null: `get` and `has`.
pub fn find(ws: *Workspace, comptime kind: Kind, a: Noun, key: Noun) JetError!?Noun {
    const k = try Key.of(ws, key);
    var x = a;
    var depth: usize = 0;
    while (try node(ws, x)) |nd| : (depth += 1) {
        if (depth == depth_max) return error.Punt;
        const nk = try nodeKey(ws, kind, nd.n);
        if (try equal(ws, key, nk.noun)) return nd.n;
        x = if (try gor(ws, k, nk)) nd.l else nd.r;
    }
    return null;
}

/// `put`: `key` (with `value` in a map) added, rotated up while it outranks its parent.
pub fn put(ws: *Workspace, comptime kind: Kind, a: Noun, key: Noun, value: Noun) JetError!Noun {
    var path: Path = undefined; // Not `.{}`: that would fill 28 KiB per call.
    path.len = 0;
    const k = try Key.of(ws, key);
    const bottom = if (try descend(ws, kind, a, k, &path)) |x| blk: {
        if (kind == .set) break :blk x;
        const nd = nodeOf(ws, x);
        if (try equal(ws, value, ws.tail(nd.n))) break :blk x;
        break :blk try make(ws, try ws.cell(key, value), nd.l, nd.r);
    } else try make(ws, if (kind == .set) key else try ws.cell(key, value), Noun.zero, Noun.zero);
    var d = bottom;
    var i = path.len;
    while (i > 0) {
        i -= 1;
        const s = path.steps[i];
        const dn = nodeOf(ws, d);
        if (try mor(ws, s.key, try nodeKey(ws, kind, dn.n))) {
            // `a(l d)` / `a(r d)`: the node itself when `d` is its own child.
            if (d == (if (s.left) s.node.l else s.node.r)) {
                d = s.tree;
            } else if (s.left) {
                d = try make(ws, s.node.n, d, s.node.r);
            } else {
                d = try make(ws, s.node.n, s.node.l, d);
            }
        } else if (s.left) {
            d = try make(ws, dn.n, dn.l, try make(ws, s.node.n, dn.r, s.node.r)); // c(r a(l r.c))
        } else {
            d = try make(ws, dn.n, try make(ws, s.node.n, s.node.l, dn.l), dn.r); // c(l a(r l.c))
        }
    }
    return d;
}

/// Rebuild the nodes of `path` above a new subtree `d` (no rotations).
fn rebuild(ws: *Workspace, path: *const Path, bottom: Noun) JetError!Noun {
    var d = bottom;
    var i = path.len;
    while (i > 0) {
        i -= 1;
        const s = path.steps[i];
        d = if (s.left) try make(ws, s.node.n, d, s.node.r) else try make(ws, s.node.n, s.node.l, d);
    }
    return d;
}

/// The merge of two trees whose keys are all ordered `l` before `r` (`del`'s and `dif`'s
/// inner trap): the one whose root has priority on top, the rest merged below it.
pub fn merge(ws: *Workspace, comptime kind: Kind, l0: Noun, r0: Noun) JetError!Noun {
    var path: Path = undefined; // Not `.{}`: that would fill 28 KiB per call.
    path.len = 0;
    var l = l0;
    var r = r0;
    const bottom = while (true) {
        if (l == Noun.zero) break r;
        if (r == Noun.zero) break l;
        const ln = (try node(ws, l)).?;
        const rn = (try node(ws, r)).?;
        const lk = try nodeKey(ws, kind, ln.n);
        const rk = try nodeKey(ws, kind, rn.n);
        if (try mor(ws, lk, rk)) {
            // `l.a(r $(l.a r.l.a))`: the left root keeps its left child.
            try path.push(.{ .tree = l, .node = ln, .key = lk, .left = false });
            l = ln.r;
        } else {
            try path.push(.{ .tree = r, .node = rn, .key = rk, .left = true });
            r = rn.l;
        }
    };
    return rebuild(ws, &path, bottom);
}

/// `del`: the tree without `key`.
pub fn del(ws: *Workspace, comptime kind: Kind, a: Noun, key: Noun) JetError!Noun {
    var path: Path = undefined; // Not `.{}`: that would fill 28 KiB per call.
    path.len = 0;
    const x = try descend(ws, kind, a, try Key.of(ws, key), &path) orelse {
        // Hoon rebuilds every node on the path unchanged: a tree equal to `a`.
        return a;
    };
    const nd = nodeOf(ws, x);
    return rebuild(ws, &path, try merge(ws, kind, nd.l, nd.r));
}

/// `bif`: the keys before and after `key`, as `[l r]`, `key` itself left out.
pub fn split(ws: *Workspace, comptime kind: Kind, a: Noun, key: Noun) JetError![2]Noun {
    var path: Path = undefined; // Not `.{}`: that would fill 28 KiB per call.
    path.len = 0;
    var lr: [2]Noun = .{ Noun.zero, Noun.zero };
    if (try descend(ws, kind, a, try Key.of(ws, key), &path)) |x| {
        const nd = nodeOf(ws, x);
        lr = .{ nd.l, nd.r };
    }
    var i = path.len;
    while (i > 0) {
        i -= 1;
        const s = path.steps[i].node;
        if (path.steps[i].left) {
            lr[1] = try make(ws, s.n, lr[1], s.r);
        } else {
            lr[0] = try make(ws, s.n, s.l, lr[0]);
        }
    }
    return lr;
}

// ------------------------------------------------------------------------- walks

/// Visits the nodes in order (left, node, right), as `tap` and `wyt` do.
pub const InOrder = struct {
    stack: [depth_max]Noun = undefined,
    len: usize = 0,
    next_tree: Noun,

    pub fn init(a: Noun) InOrder {
        return .{ .next_tree = a };
    }

    pub fn next(it: *InOrder, ws: *const Workspace) JetError!?Node {
        while (try node(ws, it.next_tree)) |nd| {
            if (it.len == depth_max) return error.Punt;
            it.stack[it.len] = it.next_tree;
            it.len += 1;
            it.next_tree = nd.l;
        }
        if (it.len == 0) return null;
        it.len -= 1;
        const nd = nodeOf(ws, it.stack[it.len]);
        it.next_tree = nd.r;
        return nd;
    }
};

/// Visits the nodes node first, then the left subtree, then the right (`rep`, `key`, `run`).
pub const PreOrder = struct {
    stack: [depth_max]Noun = undefined,
    len: usize = 1,

    pub fn init(a: Noun) PreOrder {
        var it: PreOrder = .{};
        it.stack[0] = a;
        return it;
    }

    pub fn next(it: *PreOrder, ws: *const Workspace) JetError!?Node {
        while (it.len > 0) {
            it.len -= 1;
            const nd = try node(ws, it.stack[it.len]) orelse continue;
            if (it.len + 2 > depth_max) return error.Punt;
            it.stack[it.len] = nd.r;
            it.stack[it.len + 1] = nd.l;
            it.len += 2;
            return nd;
        }
        return null;
    }
};

/// `tap`: the nodes, last first, in front of `acc`.
pub fn tap(ws: *Workspace, a: Noun, acc: Noun) JetError!Noun {
    var it = InOrder.init(a);
    var list = acc;
    while (try it.next(ws)) |nd| list = try ws.cell(nd.n, list);
    return list;
}

/// `wyt`: the number of nodes.
pub fn count(ws: *Workspace, a: Noun) JetError!Noun {
    var it = InOrder.init(a);
    var n: u64 = 0;
    while (try it.next(ws)) |_| n += 1;
    return ws.atomU64(n);
}

// ------------------------------------------------------------------------- two trees

/// The tasks of a walk over two trees (`uni`, `int`, `dif`). A task either evaluates the
/// arm on `x` (as `a`) and `y` (as `b`), giving one value, or continues a step with the
/// values the tasks above it gave.
const Op = enum {
    uni,
    int,
    dif,
    /// Take `r`, then `l`; give `[x l r]`.
    join,
    /// Take X; evaluate `uni` on `[x X y]` and `z`, `[x y X]` and `z`, `z` and `[x X y]`,
    /// `z` and `[x y X]`.
    uni_la,
    uni_ra,
    uni_lb,
    uni_rb,
    /// Take Y, then X; give `(uni X Y)` (int's `%-  uni(a X)  Y`).
    uni_of,
    /// Take `e`, then `d`; give their merge (dif's inner trap).
    merge_of,
};

const Task = struct { op: Op, x: Noun = Noun.zero, y: Noun = Noun.zero, z: Noun = Noun.zero };

/// Pending tasks (and values) of a two-sided walk.
const tasks_max = 2 * depth_max;

const Machine = struct {
    tasks: [tasks_max]Task = undefined,
    n_tasks: usize = 0,
    values: [tasks_max]Noun = undefined,
    n_values: usize = 0,

    fn push(m: *Machine, task: Task) JetError!void {
        if (m.n_tasks == tasks_max) return error.Punt;
        m.tasks[m.n_tasks] = task;
        m.n_tasks += 1;
    }

    fn give(m: *Machine, value: Noun) JetError!void {
        if (m.n_values == tasks_max) return error.Punt;
        m.values[m.n_values] = value;
        m.n_values += 1;
    }

    fn take(m: *Machine) Noun {
        assert(m.n_values > 0); // Every continuation follows the tasks that give its values.
        m.n_values -= 1;
        return m.values[m.n_values];
    }
};

fn runMachine(ws: *Workspace, comptime kind: Kind, m: *Machine) JetError!Noun {
    while (m.n_tasks > 0) {
        m.n_tasks -= 1;
        const t = m.tasks[m.n_tasks];
        switch (t.op) {
            .uni => try uniStep(ws, kind, m, t.x, t.y),
            .int => try intStep(ws, kind, m, t.x, t.y),
            .dif => try difStep(ws, kind, m, t.x, t.y),
            .join => {
                const r = m.take();
                try m.give(try make(ws, t.x, m.take(), r));
            },
            .uni_la => try m.push(.{ .op = .uni, .x = try make(ws, t.x, m.take(), t.y), .y = t.z }),
            .uni_ra => try m.push(.{ .op = .uni, .x = try make(ws, t.x, t.y, m.take()), .y = t.z }),
            .uni_lb => try m.push(.{ .op = .uni, .x = t.z, .y = try make(ws, t.x, m.take(), t.y) }),
            .uni_rb => try m.push(.{ .op = .uni, .x = t.z, .y = try make(ws, t.x, t.y, m.take()) }),
            .uni_of => {
                const y = m.take();
                try m.give(try uni(ws, kind, m.take(), y));
            },
            .merge_of => {
                const e = m.take();
                try m.give(try merge(ws, kind, m.take(), e));
            },
        }
    }
    assert(m.n_values == 1);
    return m.values[0];
}

fn start(ws: *Workspace, comptime kind: Kind, op: Op, a: Noun, b: Noun) JetError!Noun {
    var m: Machine = .{};
    try m.push(.{ .op = op, .x = a, .y = b });
    return runMachine(ws, kind, &m);
}

/// `uni`: every key of both trees, `b`'s node where both have the key.
pub fn uni(ws: *Workspace, comptime kind: Kind, a: Noun, b: Noun) JetError!Noun {
    // The set's gate starts with `?:  =(a b)  a`; the map's does not.
    if (kind == .set and try equal(ws, a, b)) return a;
    return start(ws, kind, .uni, a, b);
}

/// `int`: the keys in both trees.
pub fn int(ws: *Workspace, comptime kind: Kind, a: Noun, b: Noun) JetError!Noun {
    return start(ws, kind, .int, a, b);
}

/// `dif`: the keys of `a` that are not in `b`.
pub fn dif(ws: *Workspace, comptime kind: Kind, a: Noun, b: Noun) JetError!Noun {
    return start(ws, kind, .dif, a, b);
}

fn uniStep(ws: *Workspace, comptime kind: Kind, m: *Machine, a: Noun, b: Noun) JetError!void {
    if (b == Noun.zero) return m.give(a);
    if (a == Noun.zero) return m.give(b);
    const na = (try node(ws, a)).?;
    const nb = (try node(ws, b)).?;
    const ka = try nodeKey(ws, kind, na.n);
    const kb = try nodeKey(ws, kind, nb.n);
    const z = Noun.zero;
    if (try equal(ws, kb.noun, ka.noun)) {
        try m.push(.{ .op = .join, .x = nb.n });
        try m.push(.{ .op = .uni, .x = na.r, .y = nb.r });
        return m.push(.{ .op = .uni, .x = na.l, .y = nb.l });
    }
    if (try mor(ws, ka, kb)) {
        if (try gor(ws, kb, ka)) { // $(l.a $(a l.a, r.b ~), b r.b)
            try m.push(.{ .op = .uni_la, .x = na.n, .y = na.r, .z = nb.r });
            return m.push(.{ .op = .uni, .x = na.l, .y = try make(ws, nb.n, nb.l, z) });
        } // $(r.a $(a r.a, l.b ~), b l.b)
        try m.push(.{ .op = .uni_ra, .x = na.n, .y = na.l, .z = nb.l });
        return m.push(.{ .op = .uni, .x = na.r, .y = try make(ws, nb.n, z, nb.r) });
    }
    if (try gor(ws, ka, kb)) { // $(l.b $(b l.b, r.a ~), a r.a)
        try m.push(.{ .op = .uni_lb, .x = nb.n, .y = nb.r, .z = na.r });
        return m.push(.{ .op = .uni, .x = try make(ws, na.n, na.l, z), .y = nb.l });
    } // $(r.b $(b r.b, l.a ~), a l.a)
    try m.push(.{ .op = .uni_rb, .x = nb.n, .y = nb.l, .z = na.l });
    return m.push(.{ .op = .uni, .x = try make(ws, na.n, z, na.r), .y = nb.r });
}

/// `[n $(a l.a, b l.b) $(a r.a, b r.b)]` of `int`.
fn intBoth(m: *Machine, n: Noun, na: Node, nb: Node) JetError!void {
    try m.push(.{ .op = .join, .x = n });
    try m.push(.{ .op = .int, .x = na.r, .y = nb.r });
    return m.push(.{ .op = .int, .x = na.l, .y = nb.l });
}

/// `%-  uni(a (int xa xb))  (int ya yb)`.
fn intUni(m: *Machine, xa: Noun, xb: Noun, ya: Noun, yb: Noun) JetError!void {
    try m.push(.{ .op = .uni_of });
    try m.push(.{ .op = .int, .x = ya, .y = yb });
    return m.push(.{ .op = .int, .x = xa, .y = xb });
}

fn intStep(ws: *Workspace, comptime kind: Kind, m: *Machine, a: Noun, b: Noun) JetError!void {
    if (b == Noun.zero or a == Noun.zero) return m.give(Noun.zero);
    const na = (try node(ws, a)).?;
    const nb = (try node(ws, b)).?;
    const ka = try nodeKey(ws, kind, na.n);
    const kb = try nodeKey(ws, kind, nb.n);
    const z = Noun.zero;
    const a_first = try mor(ws, ka, kb);
    // The set's arm swaps its trees when `b` has priority (`$(a b, b a)`) and keeps `a`'s
    // node for a common key; the map's runs the mirrored branches and keeps `b`'s.
    if (kind == .set and !a_first) return m.push(.{ .op = .int, .x = b, .y = a });
    if (try equal(ws, kb.noun, ka.noun)) return intBoth(m, if (kind == .set) na.n else nb.n, na, nb);
    if (a_first) {
        if (try gor(ws, kb, ka)) return intUni(m, na.l, try make(ws, nb.n, nb.l, z), a, nb.r);
        return intUni(m, na.r, try make(ws, nb.n, z, nb.r), a, nb.l);
    }
    if (try gor(ws, ka, kb)) return intUni(m, try make(ws, na.n, na.l, z), nb.l, na.r, b);
    return intUni(m, try make(ws, na.n, z, na.r), nb.r, na.l, b);
}

fn difStep(ws: *Workspace, comptime kind: Kind, m: *Machine, a: Noun, b: Noun) JetError!void {
    if (b == Noun.zero) return m.give(a);
    const nb = (try node(ws, b)).?;
    const lr = try split(ws, kind, a, try keyOf(ws, kind, nb.n));
    try m.push(.{ .op = .merge_of });
    try m.push(.{ .op = .dif, .x = lr[1], .y = nb.r });
    return m.push(.{ .op = .dif, .x = lr[0], .y = nb.l });
}

// ------------------------------------------------------------------------- apt

/// A subtree for `apt` to check within its bounds (apt's `l`: its keys come before it; `r`:
/// they come after), or, with `edge`, the right child of the node whose key `edge` is: its
/// priority is checked only once the left subtree passed, as the arm's `?&` does.
const AptTask = struct { tree: Noun, l: ?Key, r: ?Key, edge: ?Key = null };

/// `apt`: whether the tree is ordered by `gor` within the bounds and heaped by `mor`.
pub fn apt(ws: *Workspace, comptime kind: Kind, a: Noun, l0: ?Key, r0: ?Key) JetError!bool {
    var stack: [depth_max]AptTask = undefined;
    var len: usize = 1;
    stack[0] = .{ .tree = a, .l = l0, .r = r0 };
    while (len > 0) {
        len -= 1;
        const t = stack[len];
        if (t.edge) |pk| { // ?~(r.a & ?&((mor n.a n.r.a) !=(n.a n.r.a) $(a r.a, r `n.a)))
            const rn = try node(ws, t.tree) orelse continue;
            const rk = try nodeKey(ws, kind, rn.n);
            if (!try mor(ws, pk, rk) or try equal(ws, pk.noun, rk.noun)) return false;
            stack[len] = .{ .tree = t.tree, .l = t.l, .r = pk };
            len += 1;
            continue;
        }
        const nd = try node(ws, t.tree) orelse continue;
        const k = try nodeKey(ws, kind, nd.n);
        if (t.l) |l| if (!try gor(ws, k, l) or try equal(ws, k.noun, l.noun)) return false;
        if (t.r) |r| if (!try gor(ws, r, k) or try equal(ws, r.noun, k.noun)) return false;
        if (len + 2 > depth_max) return error.Punt;
        stack[len] = .{ .tree = nd.r, .l = t.l, .r = t.r, .edge = k };
        len += 1;
        const ln = try node(ws, nd.l) orelse continue;
        const lk = try nodeKey(ws, kind, ln.n);
        if (!try mor(ws, k, lk) or try equal(ws, k.noun, lk.noun)) return false;
        stack[len] = .{ .tree = nd.l, .l = k, .r = t.r };
        len += 1;
    }
    return true;
}
