//! Jets of Hoon's parser combinators (`%qua` layer, 4d-4f): the rules that `ream` spends
//! most of its time in. Types, as Hoon has them:
//!   hair  [p=line q=column]            nail  [p=hair q=tape]
//!   edge  [p=hair q=(unit [p=result q=nail])]
//!   rule  a gate from a nail to an edge
//!
//! Hoon registers two kinds of gates here. `pose plug pfix sfix` are the combinators
//! themselves, gates on `[vex=edge sab=rule]` (12, 13) that `;~` calls with the first
//! rule's edge and the second rule (whose sample the `;~` trap already set to the nail,
//! so `(sab)` runs it as it is). The others are rule builders whose inner gate carries the
//! hint (`bend/fun`, `stir/fun`, ...): the jet runs that inner gate, its own sample at 6
//! and the builder's sample in its context (the builder gate at 7, so its sample at 30):
//!   bend/fun comp/fun glue/fun  [vex sab] 12 13; raq (or bus) 30
//!   cold/fun cook/fun here/fun stag/fun  tub 6; [cus/poq/hez/gob sef] 60 61
//!   easy/fun just/fun mask/fun  tub 6; huf/daf/bud 30
//!   shim/fun  tub 6; [les mos] 60 61
//!   stir/fun  tub 6; [rud raq fel] 60 122 123
//!   stew/fun  tub 6; the builder's tree of [key rule] at 14 (`=+`s before the gate)
//! The scanners `last`, `lust`, `next` and `fail`, which the combinators call, run natively
//! inside them; `last` is a gate of its own too (`[zyc=hair naz=hair]` at 12 13), which
//! Urbit's runtime and nockvm register (the ivory pill and kelvin 138 do not). Sub-rules and result gates run through `Slam`; everything kept across a
//! slam lives in slots registered with `ws.pushRoots`.
//!
//! Crashes: where the Nock reads an axis that is not there (`q.vex` of an atom, `i.q.tub`
//! of a non-empty atom tape, `+` of a cell) the jet is Exit. Shapes whose outcome needs the
//! Nock's own reading (a cell where `gth`/`gte` want an atom, an indirect line number to
//! increment, a gate too shallow to slam) punt, so the Nock decides.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const atom = @import("atom.zig");
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;
const Slam = common.Slam;
const slot = common.slot;

pub const entries = [_]entry.Entry{
    entry.slams("bend-fun", bendFun, "[vex=edge sab=rule] 12 13; raq 30"),
    entry.slams("comp-fun", compFun, "[vex=edge sab=rule] 12 13; raq 30"),
    entry.slams("glue-fun", glueFun, "[vex=edge sab=rule] 12 13; bus 30"),
    entry.slams("pfix", pfix, "[vex=edge sab=rule] 12 13"),
    entry.slams("plug", plug, "[vex=edge sab=rule] 12 13"),
    entry.slams("pose", pose, "[vex=edge sab=rule] 12 13"),
    entry.slams("sfix", sfix, "[vex=edge sab=rule] 12 13"),
    entry.slams("cold-fun", coldFun, "tub=nail 6; [cus sef] 60 61"),
    entry.slams("cook-fun", cookFun, "tub=nail 6; [poq sef] 60 61"),
    entry.plain("easy-fun", easyFun, "tub=nail 6; huf 30"),
    entry.slams("here-fun", hereFun, "tub=nail 6; [hez sef] 60 61"),
    entry.plain("just-fun", justFun, "tub=nail 6; daf 30"),
    entry.plain("mask-fun", maskFun, "tub=nail 6; bud 30"),
    entry.plain("shim-fun", shimFun, "tub=nail 6; [les mos] 60 61"),
    entry.slams("stag-fun", stagFun, "tub=nail 6; [gob sef] 60 61"),
    entry.slams("stew-fun", stewFun, "tub=nail 6; hel 14"),
    entry.slams("stir-fun", stirFun, "tub=nail 6; [rud raq fel] 60 122 123"),
    entry.plain("last", lastGate, "[zyc=hair naz=hair] 12 13"),
};

const qua = "one/two/tri/qua";

pub const layers = [_]entry.Layer{
    .{ .prefix = qua, .names = &.{ "pfix", "plug", "pose", "sfix", "last" } },
    .{ .prefix = qua ++ "/bend", .names = &.{"fun"}, .entry_prefix = "bend-" },
    .{ .prefix = qua ++ "/comp", .names = &.{"fun"}, .entry_prefix = "comp-" },
    .{ .prefix = qua ++ "/glue", .names = &.{"fun"}, .entry_prefix = "glue-" },
    .{ .prefix = qua ++ "/cold", .names = &.{"fun"}, .entry_prefix = "cold-" },
    .{ .prefix = qua ++ "/cook", .names = &.{"fun"}, .entry_prefix = "cook-" },
    .{ .prefix = qua ++ "/easy", .names = &.{"fun"}, .entry_prefix = "easy-" },
    .{ .prefix = qua ++ "/here", .names = &.{"fun"}, .entry_prefix = "here-" },
    .{ .prefix = qua ++ "/just", .names = &.{"fun"}, .entry_prefix = "just-" },
    .{ .prefix = qua ++ "/mask", .names = &.{"fun"}, .entry_prefix = "mask-" },
    .{ .prefix = qua ++ "/shim", .names = &.{"fun"}, .entry_prefix = "shim-" },
    .{ .prefix = qua ++ "/stag", .names = &.{"fun"}, .entry_prefix = "stag-" },
    .{ .prefix = qua ++ "/stew", .names = &.{"fun"}, .entry_prefix = "stew-" },
    .{ .prefix = qua ++ "/stir", .names = &.{"fun"}, .entry_prefix = "stir-" },
};

// ------------------------------------------------------------------------- scanners

fn cellOrExit(n: Noun) JetError!Noun {
    if (!n.isCell()) return error.Exit;
    return n;
}

/// An atom for `gth`/`gte`/`lte`: a cell there is for the Nock to judge.
fn atomOrPunt(n: Noun) JetError!Noun {
    if (n.isCell()) return error.Punt;
    return n;
}

/// `+(a)` (Nock 4): Exit on a cell; an indirect atom punts (no line or column gets there).
fn increment(a: Noun) JetError!Noun {
    if (a.isCell()) return error.Exit;
    if (!a.isDirect() or a.raw() == Noun.direct_max) return error.Punt;
    return Noun.direct(a.raw() + 1);
}

fn gth(ws: *const Workspace, a: Noun, b: Noun) JetError!bool {
    return atom.order(ws, try atomOrPunt(a), try atomOrPunt(b)) == .gt;
}

/// `++last`: the farther of two hairs (`naz` when they are level).
fn last(ws: *Workspace, zyc: Noun, naz: Noun) JetError!Noun {
    _ = try cellOrExit(zyc);
    _ = try cellOrExit(naz);
    const pz = ws.head(zyc);
    const pn = ws.head(naz);
    if (try equality.equal(ws, pz, pn)) {
        return if (try gth(ws, ws.tail(zyc), ws.tail(naz))) zyc else naz;
    }
    return if (try gth(ws, pz, pn)) zyc else naz;
}

/// The `last` gate.
pub fn lastGate(ws: *Workspace, core: Noun) JetError!Noun {
    return last(ws, try slot(ws, core, 12), try slot(ws, core, 13));
}

/// `++lust`: the hair after the character `weq`.
fn lust(ws: *Workspace, weq: Noun, naz: Noun) JetError!Noun {
    _ = try cellOrExit(naz);
    if (weq == Noun.direct(10)) return ws.cell(try increment(ws.head(naz)), Noun.one);
    return ws.cell(ws.head(naz), try increment(ws.tail(naz)));
}

/// `++fail`: `[p.tub ~]`.
fn fail(ws: *Workspace, tub: Noun) JetError!Noun {
    return ws.cell(ws.head(try cellOrExit(tub)), Noun.zero);
}

/// `++next`: consume one character.
fn next(ws: *Workspace, tub: Noun) JetError!Noun {
    const q = ws.tail(try cellOrExit(tub));
    if (q == Noun.zero) return fail(ws, tub);
    const i = ws.head(try cellOrExit(q));
    const zac = try lust(ws, i, ws.head(tub));
    const nail = try ws.cell(zac, ws.tail(q));
    return ws.tuple(&.{ zac, Noun.zero, i, nail });
}

/// `u.q.vex` of an edge whose `q` is not `~`: `[p q]`, Exit where the Nock's `p.u`/`q.u`
/// would read an atom.
fn some(ws: *const Workspace, q: Noun) JetError!Noun {
    assert(q != Noun.zero);
    return cellOrExit(ws.tail(try cellOrExit(q)));
}

/// `[p [~ u=[p=value q=nail]]]`.
fn success(ws: *Workspace, p: Noun, value: Noun, nail: Noun) JetError!Noun {
    return ws.tuple(&.{ p, Noun.zero, value, nail });
}

fn pushRoots(ws: *Workspace, roots: []Noun) JetError!void {
    assert(roots.len >= 1);
    ws.pushRoots(roots) catch return error.Meme;
}

/// Whether `gate` has a sample to replace (Slam edits axis 6).
fn slammable(ws: *const Workspace, gate: Noun) bool {
    return gate.isCell() and ws.tail(gate).isCell();
}

/// `(gate)`: run a gate on the sample it holds.
fn kick(ws: *const Workspace, slam: Slam, gate: Noun) JetError!Noun {
    if (!slammable(ws, gate)) return error.Punt;
    return slam.call(gate, ws.head(ws.tail(gate)));
}

/// `(rule nail)`.
fn apply(ws: *const Workspace, slam: Slam, rule: Noun, nail: Noun) JetError!Noun {
    if (!slammable(ws, rule)) return error.Punt;
    return slam.call(rule, nail);
}

// ------------------------------------------------------------------------- composers

/// What `comp` does with the two results: a gate, or one of the gates `pfix`, `sfix`,
/// `plug` and `star` use, whose Nock is a plain axis or cons (`[0 13]`, `[0 12]`,
/// `[[0 12] [0 13]]`), computed without a slam.
const Raq = enum { first, second, pair, gate };

fn axisFormula(ws: *const Workspace, f: Noun, axis: u64) bool {
    return f.isCell() and ws.head(f) == Noun.zero and ws.tail(f) == Noun.direct(axis);
}

fn raqKind(ws: *const Workspace, raq: Noun) Raq {
    if (!slammable(ws, raq)) return .gate;
    const battery = ws.head(raq);
    if (axisFormula(ws, battery, 12)) return .first;
    if (axisFormula(ws, battery, 13)) return .second;
    if (battery.isCell() and axisFormula(ws, ws.head(battery), 12) and
        axisFormula(ws, ws.tail(battery), 13)) return .pair;
    return .gate;
}

fn combine(ws: *Workspace, slam: Slam, kind: Raq, raq: Noun, a: Noun, b: Noun) JetError!Noun {
    return switch (kind) {
        .first => a,
        .second => b,
        .pair => ws.cell(a, b),
        .gate => slam.call(raq, try ws.cell(a, b)),
    };
}

/// `comp` (and `plug`, `pfix`, `sfix`): the first rule's edge `vex`, then `sab` from where
/// it stopped, the results joined by `raq`. `bend` (a `raq` giving a unit) keeps `vex`'s
/// result when the second rule fails.
fn compose(ws: *Workspace, slam: Slam, vex_in: Noun, sab: Noun, raq: Noun, kind: Raq, bend: bool) JetError!Noun {
    const q_vex = ws.tail(try cellOrExit(vex_in));
    if (q_vex == Noun.zero) return vex_in;
    const nail = ws.tail(try some(ws, q_vex));
    // roots: vex, raq, yit, yur
    var roots = [4]Noun{ vex_in, raq, Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    roots[2] = try apply(ws, slam, sab, nail);
    roots[3] = try last(ws, ws.head(roots[0]), ws.head(try cellOrExit(roots[2])));
    const q_yit = ws.tail(roots[2]);
    if (q_yit == Noun.zero) return ws.cell(roots[3], if (bend) ws.tail(roots[0]) else q_yit);
    _ = try some(ws, q_yit);
    const a = ws.head(ws.tail(ws.tail(roots[0])));
    const value = try combine(ws, slam, kind, roots[1], a, ws.head(ws.tail(q_yit)));
    const u_yit = ws.tail(ws.tail(roots[2]));
    if (!bend) return success(ws, roots[3], value, ws.tail(u_yit));
    // bend's Nock is compiled for its default `raq`, whose product is never `~`: its `?~ vux`
    // keeps no branch for `~` (the pill's Nock crashes there), so the Nock decides.
    if (value == Noun.zero) return error.Punt;
    const u_vux = ws.tail(try cellOrExit(value));
    return success(ws, roots[3], u_vux, ws.tail(u_yit));
}

pub fn plug(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return compose(ws, slam, try slot(ws, core, 12), try slot(ws, core, 13), Noun.zero, .pair, false);
}

pub fn pfix(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return compose(ws, slam, try slot(ws, core, 12), try slot(ws, core, 13), Noun.zero, .second, false);
}

pub fn sfix(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return compose(ws, slam, try slot(ws, core, 12), try slot(ws, core, 13), Noun.zero, .first, false);
}

pub fn compFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const raq = try slot(ws, core, 30);
    return compose(ws, slam, try slot(ws, core, 12), try slot(ws, core, 13), raq, raqKind(ws, raq), false);
}

pub fn bendFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const raq = try slot(ws, core, 30);
    return compose(ws, slam, try slot(ws, core, 12), try slot(ws, core, 13), raq, .gate, true);
}

/// `pose`: `vex` if it parsed, else the second rule (already holding the nail).
pub fn pose(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const vex = try cellOrExit(try slot(ws, core, 12));
    if (ws.tail(vex) != Noun.zero) return vex;
    // roots: vex, roq
    var roots = [2]Noun{ vex, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    roots[1] = try kick(ws, slam, try slot(ws, core, 13));
    const roq = try cellOrExit(roots[1]);
    return ws.cell(try last(ws, ws.head(roots[0]), ws.head(roq)), ws.tail(roq));
}

/// `glue`: `(plug vex ;~(pfix bus sab))`. Building the `;~` trap reads `bus`'s sample and
/// running it replaces `sab`'s, so a gate without one punts.
pub fn glueFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const vex = try cellOrExit(try slot(ws, core, 12));
    const sab = try slot(ws, core, 13);
    const bus = try slot(ws, core, 30);
    if (!slammable(ws, bus)) return error.Punt;
    const q_vex = ws.tail(vex);
    if (q_vex == Noun.zero) return vex;
    const nail = ws.tail(try some(ws, q_vex));
    if (!slammable(ws, sab)) return error.Punt;
    // roots: vex, sab, the pfix's edge
    var roots = [3]Noun{ vex, sab, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    roots[2] = try apply(ws, slam, bus, nail);
    roots[2] = try compose(ws, slam, roots[2], roots[1], Noun.zero, .second, false);
    const edge = try cellOrExit(roots[2]);
    const yur = try last(ws, ws.head(roots[0]), ws.head(edge));
    const q_edge = ws.tail(edge);
    if (q_edge == Noun.zero) return ws.cell(yur, q_edge);
    const u_edge = try some(ws, q_edge);
    const value = try ws.cell(ws.head(ws.tail(ws.tail(roots[0]))), ws.head(u_edge));
    return success(ws, yur, value, ws.tail(u_edge));
}

// ------------------------------------------------------------------------- rule builders

/// How `cold`, `cook`, `here` and `stag` turn a result (`sef`'s edge `vex` from `tub`).
const Map = enum { cold, cook, here, stag };

/// `(sef tub)`, then the result replaced (`cold`), slammed through `poq` (`cook`) or
/// `hez` with its span (`here`), or labelled (`stag`).
fn mapRule(ws: *Workspace, core: Noun, slam: Slam, comptime map: Map) JetError!Noun {
    const tub = try slot(ws, core, 6);
    // roots: tub, the builder's sample [x sef], vex
    var roots = [3]Noun{ tub, try slot(ws, core, 30), Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    const sef = try slot(ws, roots[1], 3);
    roots[2] = try apply(ws, slam, sef, tub);
    const vex = try cellOrExit(roots[2]);
    const q_vex = ws.tail(vex);
    if (q_vex == Noun.zero) return vex;
    const u = try some(ws, q_vex);
    const x = ws.head(roots[1]);
    const value = switch (map) {
        .cold => x,
        .stag => try ws.cell(x, ws.head(u)),
        .cook => try slam.call(x, ws.head(u)),
        .here => blk: {
            const span = try ws.cell(ws.head(try cellOrExit(roots[0])), ws.head(try cellOrExit(ws.tail(u))));
            break :blk try slam.call(x, try ws.cell(span, ws.head(u)));
        },
    };
    // After a slam: read the edge again from its root.
    const u_now = ws.tail(ws.tail(roots[2]));
    return success(ws, ws.head(roots[2]), value, ws.tail(u_now));
}

pub fn coldFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRule(ws, core, slam, .cold);
}

pub fn cookFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRule(ws, core, slam, .cook);
}

pub fn hereFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRule(ws, core, slam, .here);
}

pub fn stagFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    return mapRule(ws, core, slam, .stag);
}

/// `easy`: parse nothing, with the result `huf`.
pub fn easyFun(ws: *Workspace, core: Noun) JetError!Noun {
    const tub = try cellOrExit(try slot(ws, core, 6));
    return success(ws, ws.head(tub), try slot(ws, core, 30), tub);
}

/// The character at the front of `tub` (null for an empty tape) for `just`, `mask` and
/// `shim`. A non-empty atom tape punts: whether the Nock reads it depends on the rule.
fn frontChar(ws: *const Workspace, tub: Noun) JetError!?Noun {
    const q = ws.tail(try cellOrExit(tub));
    if (q == Noun.zero) return null;
    if (!q.isCell()) return error.Punt;
    return ws.head(q);
}

/// `just`: the character `daf`.
pub fn justFun(ws: *Workspace, core: Noun) JetError!Noun {
    const tub = try slot(ws, core, 6);
    const daf = try slot(ws, core, 30);
    const char = try frontChar(ws, tub) orelse return fail(ws, tub);
    if (!try equality.equal(ws, daf, char)) return fail(ws, tub);
    return next(ws, tub);
}

/// `mask`: a character in the list `bud`.
pub fn maskFun(ws: *Workspace, core: Noun) JetError!Noun {
    const tub = try slot(ws, core, 6);
    var bud = try slot(ws, core, 30);
    const char = try frontChar(ws, tub) orelse return fail(ws, tub);
    while (bud != Noun.zero) : (bud = ws.tail(bud)) {
        _ = try cellOrExit(bud);
        if (try equality.equal(ws, char, ws.head(bud))) return next(ws, tub);
    }
    return fail(ws, tub);
}

/// `shim`: a character from `les` to `mos`.
pub fn shimFun(ws: *Workspace, core: Noun) JetError!Noun {
    const tub = try slot(ws, core, 6);
    const les = try atomOrPunt(try slot(ws, core, 60));
    const mos = try atomOrPunt(try slot(ws, core, 61));
    const char = try atomOrPunt(try frontChar(ws, tub) orelse return fail(ws, tub));
    if (atom.order(ws, char, les) == .lt or atom.order(ws, char, mos) == .gt) return fail(ws, tub);
    return next(ws, tub);
}

/// `stew`: the rule whose key (a character or a `[low high]` range) holds the first
/// character, found in the builder's search tree `hel` of `[key rule]`.
pub fn stewFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const tub = try slot(ws, core, 6);
    var hel = try slot(ws, core, 14);
    const char = try atomOrPunt(try frontChar(ws, tub) orelse return fail(ws, tub));
    while (hel != Noun.zero) {
        // hel: [n=[p=key q=rule] l r]
        const n = try cellOrExit(ws.head(try cellOrExit(hel)));
        const key = ws.head(n);
        const hit = if (key.isCell())
            atom.order(ws, char, try atomOrPunt(ws.head(key))) != .lt and
                atom.order(ws, char, try atomOrPunt(ws.tail(key))) != .gt
        else
            key == char or equality.atomsEqual(ws, key, char);
        if (hit) return apply(ws, slam, ws.tail(n), tub);
        // `wor`: below the key (a range's low end)?
        const low = try atomOrPunt(if (key.isCell()) ws.head(key) else key);
        const branches = try cellOrExit(ws.tail(hel));
        hel = if (atom.order(ws, char, low) == .lt) ws.head(branches) else ws.tail(branches);
    }
    return fail(ws, tub);
}

/// `stir`: `fel` as many times as it parses, the results folded from the last one back
/// with `raq`, starting from `rud` at the nail where `fel` stopped.
pub fn stirFun(ws: *Workspace, core: Noun, slam: Slam) JetError!Noun {
    const raq = try slot(ws, core, 122);
    // roots: fel, raq, the nail, the successful edges (newest first), the fold's state
    var roots = [5]Noun{ try slot(ws, core, 123), raq, try slot(ws, core, 6), Noun.zero, Noun.zero };
    try pushRoots(ws, &roots);
    defer ws.popRoots(&roots);
    const rud = try slot(ws, core, 60);
    roots[4] = rud;
    while (true) {
        const vex = try cellOrExit(try apply(ws, slam, roots[0], roots[2]));
        const q_vex = ws.tail(vex);
        if (q_vex == Noun.zero) {
            roots[4] = try ws.tuple(&.{ ws.head(vex), Noun.zero, roots[4], roots[2] });
            break;
        }
        roots[2] = ws.tail(try some(ws, q_vex));
        roots[3] = try ws.cell(vex, roots[3]);
    }
    // roll: wag = [(last p.vex p.wag) [~ (raq p.u.q.vex p.u.q.wag) q.u.q.wag]]
    const kind = raqKind(ws, roots[1]);
    while (roots[3] != Noun.zero) {
        const vex = ws.head(roots[3]);
        const u_wag = ws.tail(ws.tail(roots[4]));
        const a = ws.head(ws.tail(ws.tail(vex)));
        const value = try combine(ws, slam, kind, roots[1], a, ws.head(u_wag));
        // After a slam: read the edges again from their roots.
        const vex_now = ws.head(roots[3]);
        const wag = roots[4];
        const p = try last(ws, ws.head(vex_now), ws.head(wag));
        roots[4] = try success(ws, p, value, ws.tail(ws.tail(ws.tail(wag))));
        roots[3] = ws.tail(roots[3]);
    }
    return roots[4];
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

/// Run a jet on a core given as noun text (`[battery tub battery [outer-sample] context]`
/// puts the outer sample at 30).
fn runPlain(ws: *Workspace, jet: common.Jet, core: []const u8) !Noun {
    return jet(ws, try t.parse(ws, core));
}

fn expectPlain(ws: *Workspace, jet: common.Jet, core: []const u8, expected: []const u8) !void {
    try t.expectNoun(ws, try t.parse(ws, expected), try runPlain(ws, jet, core));
}

test "scanners: last, lust, next" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const a = try t.parse(&ws, "[1 5]");
    const b = try t.parse(&ws, "[2 1]");
    const c = try t.parse(&ws, "[1 7]");
    try testing.expectEqual(b, try last(&ws, a, b));
    try testing.expectEqual(b, try last(&ws, b, a));
    try testing.expectEqual(c, try last(&ws, c, a));
    const level = try t.parse(&ws, "[1 5]");
    try testing.expectEqual(level, try last(&ws, a, level)); // level: naz
    try testing.expectError(error.Exit, last(&ws, Noun.direct(3), a));
    try t.expectJet(&ws, lastGate, "[[1 5] [1 7]]", "[1 7]");
    try t.expectJet(&ws, lastGate, "[[3 1] [2 9]]", "[3 1]");
    try t.expectJet(&ws, lastGate, "[[18446744073709551616 1] [18446744073709551615 9]]", "[18446744073709551616 1]");
    try t.expectJetError(&ws, lastGate, "[[1 5] 7]", error.Exit);
    try t.expectJetError(&ws, lastGate, "5", error.Exit);
    try testing.expectError(error.Punt, last(&ws, try t.parse(&ws, "[[1 1] 5]"), a));
    try t.expectNoun(&ws, try t.parse(&ws, "[2 1]"), try lust(&ws, Noun.direct(10), a));
    try t.expectNoun(&ws, try t.parse(&ws, "[1 6]"), try lust(&ws, Noun.direct(97), a));
    try testing.expectError(error.Exit, lust(&ws, Noun.direct(97), try t.parse(&ws, "[1 [2 3]]")));
    const tub = try t.parse(&ws, "[[1 1] 97 10 0]");
    try t.expectNoun(&ws, try t.parse(&ws, "[[1 2] 0 97 [1 2] 10 0]"), try next(&ws, tub));
    try t.expectNoun(&ws, try t.parse(&ws, "[[1 1] 0]"), try next(&ws, try t.parse(&ws, "[[1 1] 0]")));
    try testing.expectError(error.Exit, next(&ws, try t.parse(&ws, "[[1 1] 5]")));
}

test "character rules: just, mask, shim, easy" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try expectPlain(&ws, justFun, "[0 [[1 1] 97 0] 0 97 0]", "[[1 2] 0 97 [1 2] 0]");
    try expectPlain(&ws, justFun, "[0 [[1 1] 98 0] 0 97 0]", "[[1 1] 0]");
    try expectPlain(&ws, justFun, "[0 [[1 1] 0] 0 97 0]", "[[1 1] 0]");
    try expectPlain(&ws, maskFun, "[0 [[1 1] 98 0] 0 [97 98 0] 0]", "[[1 2] 0 98 [1 2] 0]");
    try expectPlain(&ws, maskFun, "[0 [[1 1] 99 0] 0 [97 98 0] 0]", "[[1 1] 0]");
    try testing.expectError(error.Exit, runPlain(&ws, maskFun, "[0 [[1 1] 99 0] 0 [97 98 5] 0]"));
    try expectPlain(&ws, shimFun, "[0 [[1 1] 109 0] 0 [97 122] 0]", "[[1 2] 0 109 [1 2] 0]");
    try expectPlain(&ws, shimFun, "[0 [[1 1] 65 0] 0 [97 122] 0]", "[[1 1] 0]");
    try testing.expectError(error.Punt, runPlain(&ws, shimFun, "[0 [[1 1] [1 2] 0] 0 [97 122] 0]"));
    try expectPlain(&ws, easyFun, "[0 [[3 4] 120 0] 0 7 0]", "[[3 4] 0 7 [3 4] 120 0]");
    try testing.expectError(error.Exit, runPlain(&ws, easyFun, "[0 5 0 7 0]"));
}

/// A stand-in for the interpreter: the gate's battery picks what it does with the sample
/// (1: `next`, 2: `fail`, 3: swap a pair, 4: the unit of the sample, else crash), and
/// every slam runs a full collection first, to prove the jets keep their roots.
const FakeSlam = struct {
    ws: *Workspace,
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
        return switch (f.ws.head(held[0]).raw()) {
            1 => next(f.ws, s),
            2 => fail(f.ws, s),
            3 => f.ws.cell(f.ws.tail(s), f.ws.head(s)),
            4 => f.ws.cell(Noun.zero, s),
            else => error.Exit,
        };
    }

    fn iface(f: *FakeSlam) Slam {
        return .{ .ctx = f, .slam = slam };
    }
};

fn expectSlams(ws: *Workspace, jet: common.SlamJet, core_text: []const u8, expected: []const u8) !void {
    var fake = FakeSlam{ .ws = ws };
    var core = [1]Noun{try t.parse(ws, core_text)};
    try pushRoots(ws, &core);
    defer ws.popRoots(&core);
    const product = try jet(ws, core[0], fake.iface());
    try t.expectNoun(ws, try t.parse(ws, expected), product);
}

fn expectSlamsError(ws: *Workspace, jet: common.SlamJet, core_text: []const u8, expected: JetError) !void {
    var fake = FakeSlam{ .ws = ws };
    var core = [1]Noun{try t.parse(ws, core_text)};
    try pushRoots(ws, &core);
    defer ws.popRoots(&core);
    try testing.expectError(expected, jet(ws, core[0], fake.iface()));
}

test "combinators keep their nouns across collecting slams" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    // vex: 'a' parsed at [1 1], rest "bc"; sab: `next` (battery 1).
    const vex = "[[1 2] 0 97 [1 2] 98 99 0]";
    const sab = "[1 [[1 2] 98 99 0] 0]";
    try expectSlams(&ws, plug, "[0 [" ++ vex ++ " " ++ sab ++ "] 0]", "[[1 3] 0 [97 98] [1 3] 99 0]");
    try expectSlams(&ws, pfix, "[0 [" ++ vex ++ " " ++ sab ++ "] 0]", "[[1 3] 0 98 [1 3] 99 0]");
    try expectSlams(&ws, sfix, "[0 [" ++ vex ++ " " ++ sab ++ "] 0]", "[[1 3] 0 97 [1 3] 99 0]");
    // comp with a swapping gate, and bend with a unit gate.
    try expectSlams(&ws, compFun, "[0 [" ++ vex ++ " " ++ sab ++ "] 0 [3 0 0] 0]", "[[1 3] 0 [98 97] [1 3] 99 0]");
    try expectSlams(&ws, bendFun, "[0 [" ++ vex ++ " " ++ sab ++ "] 0 [4 0 0] 0]", "[[1 3] 0 [97 98] [1 3] 99 0]");
    // A failed first edge passes through; pose then runs the second rule on its own nail.
    const failed = "[[1 1] 0]";
    try expectSlams(&ws, plug, "[0 [" ++ failed ++ " " ++ sab ++ "] 0]", failed);
    try expectSlams(&ws, pose, "[0 [" ++ failed ++ " " ++ sab ++ "] 0]", "[[1 3] 0 98 [1 3] 99 0]");
    try expectSlams(&ws, pose, "[0 [" ++ vex ++ " " ++ sab ++ "] 0]", vex);
    // The second rule fails: the farther hair wins.
    try expectSlams(&ws, plug, "[0 [" ++ vex ++ " [2 0 0]] 0]", "[[1 2] 0]");
    try expectSlamsError(&ws, plug, "[0 [[[1 2] 0 5] [2 0 0]] 0]", error.Exit);
    try expectSlamsError(&ws, plug, "[0 [" ++ vex ++ " [5 0 0]] 0]", error.Exit);
    try expectSlamsError(&ws, pose, "[0 [" ++ failed ++ " 7] 0]", error.Punt);
}

test "rule builders: cold, cook, stag, here, glue, stew, stir" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    const tub = "[[1 1] 97 98 0]";
    try expectSlams(&ws, coldFun, "[0 " ++ tub ++ " 0 [7 [1 0 0]] 0]", "[[1 2] 0 7 [1 2] 98 0]");
    try expectSlams(&ws, stagFun, "[0 " ++ tub ++ " 0 [7 [1 0 0]] 0]", "[[1 2] 0 [7 97] [1 2] 98 0]");
    try expectSlams(&ws, cookFun, "[0 " ++ tub ++ " 0 [[4 0 0] [1 0 0]] 0]", "[[1 2] 0 [0 97] [1 2] 98 0]");
    try expectSlams(&ws, hereFun, "[0 " ++ tub ++ " 0 [[3 0 0] [1 0 0]] 0]", "[[1 2] 0 [97 [1 1] 1 2] [1 2] 98 0]");
    try expectSlams(&ws, coldFun, "[0 " ++ tub ++ " 0 [7 [2 0 0]] 0]", "[[1 1] 0]");
    // glue: vex parsed 'a'; bus and sab both `next`.
    try expectSlams(&ws, glueFun, "[0 [[[1 2] 0 97 [1 2] 98 99 0] [1 0 0]] 0 [1 0 0] 0]", "[[1 4] 0 [97 99] [1 4] 0]");
    // stew: the tree [n=['a' next] l=~ r=[n=[['b' 'z'] fail] ~ ~]].
    const hel = "[[97 [1 0 0]] 0 [[98 122] [2 0 0]] 0 0]";
    try expectSlams(&ws, stewFun, "[0 " ++ tub ++ " " ++ hel ++ " 0]", "[[1 2] 0 97 [1 2] 98 0]");
    try expectSlams(&ws, stewFun, "[0 [[1 1] 99 0] " ++ hel ++ " 0]", "[[1 1] 0]");
    try expectSlams(&ws, stewFun, "[0 [[1 1] 48 0] " ++ hel ++ " 0]", "[[1 1] 0]");
    try expectSlams(&ws, stewFun, "[0 [[1 1] 0] " ++ hel ++ " 0]", "[[1 1] 0]");
    // stir: `star next` (a consing raq) and a counting fold through a swapping gate.
    const star_core = "[0 " ++ tub ++ " 0 [0 [[[0 12] 0 13] 0 0] [1 0 0]] 0]";
    try expectSlams(&ws, stirFun, star_core, "[[1 3] 0 [97 98 0] [1 3] 0]");
    try expectSlams(&ws, stirFun, "[0 " ++ tub ++ " 0 [5 [3 0 0] [1 0 0]] 0]", "[[1 3] 0 [[5 98] 97] [1 3] 0]");
    try expectSlams(&ws, stirFun, "[0 [[1 1] 0] 0 [5 [3 0 0] [1 0 0]] 0]", "[[1 1] 0 5 [1 1] 0]");
    try expectSlamsError(&ws, stirFun, "[0 " ++ tub ++ " 0 [5 [3 0 0] [9 0 0]] 0]", error.Exit);
}
