//! Jets of zuse's line splitting and longest common subsequence, registered directly under
//! `%hex` on the ivory pill (kelvin 140):
//!
//!   leer  `to-wain:format`, a gate of `txt=cord` at 6: the cord split at every byte 10.
//!         Every segment is a line, the one after the last newline included, so `''` gives
//!         `~['']` and `'a\0a'` gives `~['a' '']`. A line is the atom of its bytes (a NUL
//!         inside a line stays, as `cut` keeps it).
//!   lune  `lune:unix:userlib`, a gate of `txt=@t` at 6: `''` gives `~`; otherwise the cord must end
//!         in byte 10 (else the Nock crashes, `%noeol`) and every line is what precedes
//!         its newline.
//!   nule  `nule:unix:userlib`, a gate of `lin=(list @t)` at 6, lune's inverse: every line's
//!         bytes followed by byte 10 (`(can 3 (turn lin |=(t=@t [+((met 3 t)) (cat 3 t 10)])))`).
//!   loss  `loss:differ`, a wet gate of `[hel=(list) hev=(list)]` at 12 and 13: the longest
//!         common subsequence that zuse's Hunt-Szymanski-style walk finds, as elements of
//!         `hev`. The walk is simulated step for step (see `lossWalk`) so that, of the
//!         several subsequences of the longest length, the jet picks the one the Nock picks.
//!
//! Cells where a cord is expected run the Nock (Punt); an improper list crashes, as
//! walking it with `?~` and `i.hev` does.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const mug_mod = @import("../mug.zig");
const common = @import("common.zig");
const entry = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]entry.Entry{
    entry.plain("leer", leer, "txt=cord 6"),
    entry.plain("lune", lune, "txt=@t 6"),
    entry.plain("nule", nule, "lin=(list @t) 6"),
    entry.plain("loss", loss, "[hel=(list) hev=(list)] 12 13"),
};

pub const layers = [_]entry.Layer{
    .{ .prefix = "one/two/tri/qua/pen/hex", .names = &.{ "leer", "lune", "nule", "loss" } },
};

/// The lines of `text`, split at every byte 10; with `final`, also the segment after the
/// last newline. Built back to front into one list block.
fn splitLines(ws: *Workspace, text: []const u8, final: bool) JetError!Noun {
    var count: u64 = if (final) 1 else 0;
    for (text) |byte| count += @intFromBool(byte == '\n');
    if (count == 0) return Noun.zero;
    // Each line needs at most its own bytes in words, plus a header word.
    if (text.len / 8 + 2 * count > common.roomWords(ws) / 2) return error.Meme;
    const block = try common.listBlock(ws, count, Noun.zero);
    var index: usize = 0;
    var start: usize = 0;
    for (text, 0..) |byte, i| {
        if (byte != '\n') continue;
        common.setHead(block, index, try ws.atomFromBytes(text[start..i]));
        index += 1;
        start = i + 1;
    }
    if (final) {
        common.setHead(block, index, try ws.atomFromBytes(text[start..]));
        index += 1;
    }
    assert(index == count);
    return common.blockNoun(block);
}

pub fn leer(ws: *Workspace, core: Noun) JetError!Noun {
    const txt = try common.slot(ws, core, 6);
    if (txt.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    return splitLines(ws, ws.atomBytes(txt, &scratch), true);
}

pub fn lune(ws: *Workspace, core: Noun) JetError!Noun {
    const txt = try common.slot(ws, core, 6);
    if (txt.isCell()) return error.Punt;
    var scratch: u64 = undefined;
    const text = ws.atomBytes(txt, &scratch);
    if (text.len == 0) return Noun.zero;
    if (text[text.len - 1] != '\n') return error.Exit; // ~|  %noeol  !!
    return splitLines(ws, text, false);
}

pub fn nule(ws: *Workspace, core: Noun) JetError!Noun {
    const lin = try common.slot(ws, core, 6);
    _ = try common.listLength(ws, lin);
    var size: u64 = 0;
    var scratch: u64 = undefined;
    var x = lin;
    while (x.isCell()) : (x = ws.tail(x)) {
        const line = ws.head(x);
        if (line.isCell()) return error.Punt;
        size +|= ws.atomBytes(line, &scratch).len + 1;
    }
    if (size == 0) return Noun.zero;
    if (size / 8 + 1 > common.roomWords(ws)) return error.Meme;
    const limbs = try ws.startAtom(@intCast((size + 7) / 8));
    const out = std.mem.sliceAsBytes(limbs);
    var at: usize = 0;
    x = lin;
    while (x.isCell()) : (x = ws.tail(x)) {
        const bytes = ws.atomBytes(ws.head(x), &scratch);
        @memcpy(out[at..][0..bytes.len], bytes);
        out[at + bytes.len] = '\n';
        at += bytes.len + 1;
    }
    assert(at == size);
    return ws.finishAtom(limbs);
}

// ------------------------------------------------------------------------- loss

/// The walk's state: `p.gox` (the length found so far) and, per length index, the `goy`
/// of `q.gox` and the chain of `hev` positions its subsequence ends with.
const Walk = struct {
    gpa: std.mem.Allocator,
    /// Per element of `hev`: its class (equal elements share one), and the list in order.
    hev: []Noun,
    /// Per index below `len`: the hev position (`goy`) and the chain node of its sequence.
    goy: std.ArrayList(u32) = .empty,
    tip: std.ArrayList(u32) = .empty,
    /// Chain nodes: the hev position and the previous node (`none` at the start).
    node_pos: std.ArrayList(u32) = .empty,
    node_prev: std.ArrayList(u32) = .empty,
    /// Matches collected by one `merg`, as (inx, goy) pairs.
    zes: std.ArrayList([2]u32) = .empty,

    const none = std.math.maxInt(u32);

    fn deinit(w: *Walk) void {
        w.goy.deinit(w.gpa);
        w.tip.deinit(w.gpa);
        w.node_pos.deinit(w.gpa);
        w.node_prev.deinit(w.gpa);
        w.zes.deinit(w.gpa);
    }

    /// `merg` with `gay`, the ascending hev positions of one element of `hel`.
    fn merg(w: *Walk, gay: []const u32) error{OutOfMemory}!void {
        w.zes.clearRetainingCapacity();
        var inx: usize = 0;
        var g: usize = 0;
        const len = w.goy.items.len;
        while (g < gay.len and inx <= len) {
            const goy = gay[g];
            // lonk: =(0 inx), or goy above the goy at inx-1.
            if (!(inx == 0 or goy > w.goy.items[inx - 1])) {
                g += 1;
                continue;
            }
            // hink: =(p.gox inx), or goy below the goy at inx.
            if (!(inx == len or goy < w.goy.items[inx])) {
                inx += 1;
                continue;
            }
            try w.zes.append(w.gpa, .{ @intCast(inx), goy });
            inx += 1;
            g += 1;
        }
        // luna on each match, the last collected first.
        var k = w.zes.items.len;
        while (k > 0) {
            k -= 1;
            try w.luna(w.zes.items[k][0], w.zes.items[k][1]);
        }
    }

    fn luna(w: *Walk, inx: u32, goy: u32) error{OutOfMemory}!void {
        const prev: u32 = if (inx == 0) none else w.tip.items[inx - 1];
        const node: u32 = @intCast(w.node_pos.items.len);
        try w.node_pos.append(w.gpa, goy);
        try w.node_prev.append(w.gpa, prev);
        if (inx == w.goy.items.len) {
            try w.goy.append(w.gpa, goy);
            try w.tip.append(w.gpa, node);
        } else {
            w.goy.items[inx] = goy;
            w.tip.items[inx] = node;
        }
    }
};

/// A list's items into a slice owned by `gpa`; Exit when the list is improper.
fn listItems(ws: *Workspace, gpa: std.mem.Allocator, list: Noun) JetError![]Noun {
    const n = try common.listLength(ws, list);
    if (n > std.math.maxInt(u32)) return error.Meme;
    const items = gpa.alloc(Noun, @intCast(n)) catch return error.Meme;
    var x = list;
    for (items) |*item| {
        item.* = ws.head(x);
        x = ws.tail(x);
    }
    return items;
}

/// Classes of `hev`'s elements by noun equality: `order` holds hev positions sorted by
/// (mug, position); `mugs` the mug of each position.
const Classes = struct {
    order: []u32,
    mugs: []u32,

    fn lessThan(mugs: []const u32, a: u32, b: u32) bool {
        if (mugs[a] != mugs[b]) return mugs[a] < mugs[b];
        return a < b;
    }
};

/// The ascending hev positions of the elements equal to `x`, appended to `out`.
fn positionsOf(
    ws: *Workspace,
    gpa: std.mem.Allocator,
    hev: []const Noun,
    cls: Classes,
    x: Noun,
    out: *std.ArrayList(u32),
) JetError!void {
    out.clearRetainingCapacity();
    const m = try mug_mod.mug(ws, x);
    // The first sorted entry whose mug is m.
    var lo: usize = 0;
    var hi: usize = cls.order.len;
    while (lo < hi) {
        const mid = lo + (hi - lo) / 2;
        if (cls.mugs[cls.order[mid]] < m) lo = mid + 1 else hi = mid;
    }
    var i = lo;
    while (i < cls.order.len and cls.mugs[cls.order[i]] == m) : (i += 1) {
        const pos = cls.order[i];
        if (try equality.equal(ws, hev[pos], x)) out.append(gpa, pos) catch return error.Meme;
    }
}

pub fn loss(ws: *Workspace, core: Noun) JetError!Noun {
    const gpa = ws.gpa;
    const hel = try listItems(ws, gpa, try common.slot(ws, core, 12));
    defer gpa.free(hel);
    const hev = try listItems(ws, gpa, try common.slot(ws, core, 13));
    defer gpa.free(hev);
    const mugs = gpa.alloc(u32, hev.len) catch return error.Meme;
    defer gpa.free(mugs);
    const order = gpa.alloc(u32, hev.len) catch return error.Meme;
    defer gpa.free(order);
    for (hev, 0..) |x, i| {
        mugs[i] = try mug_mod.mug(ws, x);
        order[i] = @intCast(i);
    }
    std.mem.sort(u32, order, @as([]const u32, mugs), Classes.lessThan);
    const cls: Classes = .{ .order = order, .mugs = mugs };
    var w: Walk = .{ .gpa = gpa, .hev = hev };
    defer w.deinit();
    var gay: std.ArrayList(u32) = .empty;
    defer gay.deinit(gpa);
    for (hel) |x| {
        try positionsOf(ws, gpa, hev, cls, x, &gay);
        w.merg(gay.items) catch return error.Meme;
    }
    return lossResult(ws, &w);
}

/// `abet`: the chain of the longest sequence, first element first.
fn lossResult(ws: *Workspace, w: *Walk) JetError!Noun {
    const len = w.goy.items.len;
    if (len == 0) return Noun.zero;
    const block = try common.listBlock(ws, len, Noun.zero);
    var node = w.tip.items[len - 1];
    var i = len;
    while (i > 0) {
        i -= 1;
        assert(node != Walk.none);
        common.setHead(block, i, w.hev[w.node_pos.items[node]]);
        node = w.node_prev.items[node];
    }
    assert(node == Walk.none);
    return common.blockNoun(block);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("testing.zig");

test "lines leer: every segment, the last one included" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, leer, "0", "[0 0]");
    try t.expectJet(&ws, leer, "%ab", "[%ab 0]");
    try t.expectJet(&ws, leer, "0x62.0a61", "[%a %b 0]");
    try t.expectJet(&ws, leer, "0x0a61", "[%a 0 0]");
    try t.expectJet(&ws, leer, "0x0a.0a0a", "[0 0 0 0 0]");
    try t.expectJetError(&ws, leer, "[1 2]", error.Punt);
}

test "lines lune: lines ended by newlines, else a crash" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, lune, "0", "0");
    try t.expectJet(&ws, lune, "0x0a", "[0 0]");
    try t.expectJet(&ws, lune, "0x0a.620a.0061", "[%a %b 0]");
    try t.expectJetError(&ws, lune, "%ab", error.Exit);
    try t.expectJet(&ws, lune, "0x0a.0a61", "[%a 0 0]");
    try t.expectJetError(&ws, lune, "0x61.0a61", error.Exit);
    try t.expectJetError(&ws, lune, "[1 2]", error.Punt);
}

test "lines nule: every line and its newline" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, nule, "0", "0");
    try t.expectJet(&ws, nule, "[0 0]", "0xa");
    try t.expectJet(&ws, nule, "[%a %b 0]", "0x0a.620a.61");
    try t.expectJet(&ws, nule, "[0x61.0000 0]", "0xa61.0000");
    try t.expectJetError(&ws, nule, "[%a 5]", error.Exit);
    try t.expectJetError(&ws, nule, "[[1 2] 0]", error.Punt);
}

test "lines loss: the subsequence zuse's walk picks" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, loss, "[[1 2 3 0] [1 2 4 0]]", "[1 2 0]");
    try t.expectJet(&ws, loss, "[0 [1 2 0]]", "0");
    try t.expectJet(&ws, loss, "[[1 2 0] 0]", "0");
    try t.expectJet(&ws, loss, "[[[1 2] 3 0] [3 [1 2] 0]]", "[3 0]");
    try t.expectJet(&ws, loss, "[[1 2 1 2 0] [2 1 2 1 0]]", "[2 1 2 0]");
    try t.expectJetError(&ws, loss, "[[1 2] [1 0]]", error.Exit);
    try t.expectJetError(&ws, loss, "[[1 0] [1 5]]", error.Exit);
}
