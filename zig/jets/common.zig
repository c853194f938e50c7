//! What every jet shares: the jet types, reading a sample out of a core, list walking and
//! the size bounds that turn absurd requests into a clean `error.Meme`.
//!
//! A jet is called with the core whose arm is being run (for a gate: the gate itself, arm
//! at axis 2, sample at axis 6, so a sample `[a b]` puts `a` at 12 and `b` at 13). It
//! returns the product the arm's Nock would give, or:
//!   Exit  the deterministic crash the Nock would give (div by zero, `dec 0`, a cell
//!         where Hoon's code needs an atom, an improper list, ...);
//!   Meme  out of memory (the result would not fit the workspace, as in the Nock);
//!   Punt  "run the Nock instead": a sample shape this jet does not model (for example a
//!         `[bloq step]` cell given to a gate that takes a plain bloq, where the Nock may
//!         still produce something), or input that only the Nock can judge (a jam that
//!         Cellar's strict `cue` refuses but Hoon's `++cue` may accept);
//!   Intr  an interrupt reached through a slam (only jets that call back into Nock).
//! A jet never crashes the process, whatever the sample.

const std = @import("std");
const assert = std.debug.assert;
const noun_mod = @import("../noun.zig");
const Noun = noun_mod.Noun;
const Workspace = @import("../workspace.zig").Workspace;

pub const JetError = error{ Exit, Meme, Punt, Intr };

/// A jet that reads only its core.
pub const Jet = *const fn (ws: *Workspace, core: Noun) JetError!Noun;

/// Calls back into Nock: `slam(gate, sample)` runs arm 2 of `gate` with its sample (axis 6)
/// replaced by `sample`. A slam may reach a safe point and collect: a jet keeps every
/// workspace noun it still needs across a slam in slots registered with `ws.pushRoots`.
pub const Slam = struct {
    ctx: *anyopaque,
    slam: *const fn (ctx: *anyopaque, gate: Noun, sample: Noun) JetError!Noun,

    pub inline fn call(s: Slam, gate: Noun, sample: Noun) JetError!Noun {
        assert(!gate.isForward());
        assert(!sample.isForward());
        return s.slam(s.ctx, gate, sample);
    }
};

/// A jet that slams gates from its sample (turn, roll, levy).
pub const SlamJet = *const fn (ws: *Workspace, core: Noun, slam: Slam) JetError!Noun;

// ------------------------------------------------------------------------- samples

/// The subtree of `n` at a constant axis; Exit when the path meets an atom (as Nock 0 does).
pub fn slot(ws: *const Workspace, n: Noun, comptime axis: u64) JetError!Noun {
    comptime assert(axis >= 1);
    const depth = comptime 63 - @clz(axis);
    var x = n;
    comptime var i = depth;
    inline while (i > 0) {
        i -= 1;
        if (!x.isCell()) return error.Exit;
        x = if ((axis >> i) & 1 == 0) ws.head(x) else ws.tail(x);
    }
    return x;
}

/// An atom at a constant axis: Exit when it is missing or a cell.
pub fn atomAt(ws: *const Workspace, n: Noun, comptime axis: u64) JetError!Noun {
    const x = try slot(ws, n, axis);
    if (x.isCell()) return error.Exit;
    assert(x.isAtom());
    return x;
}

pub fn expectAtom(n: Noun) JetError!Noun {
    if (n.isCell()) return error.Exit;
    assert(n.isAtom());
    return n;
}

/// An atom's value as a u64, saturating: any indirect atom counts as `maxInt(u64)`, which
/// exceeds every size an atom in memory can have (used for bloqs, steps, lengths).
pub fn saturated(ws: *const Workspace, a: Noun) u64 {
    assert(a.isAtom());
    if (a.isDirect()) return a.raw();
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    return if (limbs.len == 1) limbs[0] else std.math.maxInt(u64);
}

// ------------------------------------------------------------------------- bounds

/// Free words left in the nursery: an upper bound on what one jet call may allocate.
pub fn roomWords(ws: *const Workspace) u64 {
    assert(@intFromPtr(ws.end) >= @intFromPtr(ws.top));
    return (@intFromPtr(ws.end) - @intFromPtr(ws.top)) >> 3;
}

/// Most bits of an atom that could still be built; a larger result is `error.Meme`.
pub fn bitsMax(ws: *const Workspace) u64 {
    return roomWords(ws) *| 64;
}

/// Fail with Meme unless `n` list cells (3 words each) can be allocated now.
pub fn needCells(ws: *const Workspace, n: u64) JetError!void {
    if (n > roomWords(ws) / 3) return error.Meme;
    assert(n * 3 <= roomWords(ws));
}

// ------------------------------------------------------------------------- lists

/// Length of a null-terminated list; Exit when it ends in a non-zero atom, as walking it
/// with `?~`/`t.a` does in Hoon.
pub fn listLength(ws: *const Workspace, list: Noun) JetError!u64 {
    var n: u64 = 0;
    var x = list;
    while (x.isCell()) : (n += 1) x = ws.tail(x);
    if (x != Noun.zero) return error.Exit;
    assert(n > 0 or list == Noun.zero);
    return n;
}

/// Allocate `n` >= 1 cells back to back, each one's tail pointing to the next and the last
/// one's tail `end`; heads are zero. The caller fills heads through `setHead`.
pub fn listBlock(ws: *Workspace, n: u64, end: Noun) JetError![*]u64 {
    assert(n >= 1);
    try needCells(ws, n);
    const count: usize = @intCast(n);
    const words = try ws.alloc(3 * count);
    for (0..count) |i| {
        const cell_words = words + 3 * i;
        cell_words[0] = noun_mod.Header.cell;
        cell_words[1] = Noun.zero.raw();
        cell_words[2] = if (i + 1 == count) end.raw() else Noun.cellAt(cell_words + 3).raw();
    }
    assert(words[3 * count - 1] == end.raw());
    return words;
}

pub inline fn setHead(block: [*]u64, i: usize, h: Noun) void {
    assert(!h.isForward());
    block[3 * i + 1] = h.raw();
}

pub inline fn blockNoun(block: [*]u64) Noun {
    assert(block[0] == noun_mod.Header.cell);
    return Noun.cellAt(block);
}

test "slot and saturated" {
    const testing = std.testing;
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    const core = try ws.tuple(&.{ Noun.direct(9), Noun.direct(1), Noun.direct(2), Noun.direct(3) });
    try testing.expectEqual(Noun.direct(1), try slot(&ws, core, 6));
    try testing.expectEqual(Noun.direct(3), try slot(&ws, core, 15));
    try testing.expectError(error.Exit, slot(&ws, core, 12));
    try testing.expectEqual(@as(u64, 5), saturated(&ws, Noun.direct(5)));
    try testing.expectEqual(@as(u64, 1 << 63), saturated(&ws, try ws.atomU64(1 << 63)));
    const big = try ws.atomFromLimbs(&.{ 1, 1 });
    try testing.expectEqual(@as(u64, std.math.maxInt(u64)), saturated(&ws, big));
    const list = try ws.tuple(&.{ Noun.direct(1), Noun.direct(2), Noun.zero });
    try testing.expectEqual(@as(u64, 2), try listLength(&ws, list));
    const bad = try ws.tuple(&.{ Noun.direct(1), Noun.direct(2), Noun.direct(7) });
    try testing.expectError(error.Exit, listLength(&ws, bad));
}
