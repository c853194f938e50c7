//! Virtualization jets: mink, mole, mule. They run Nock inside Nock: the computation runs
//! natively on the same interpreter context (a nested `nock`), and a deterministic crash
//! inside it becomes data instead of a crash. Out of memory and interrupts are not
//! deterministic, so they are never caught: they propagate to the caller.
//!
//!   mink  sample `[[subject formula] scry]` (subject 24, formula 25, scry gate 13).
//!         Product, a `tone`: `[%0 product]`, or `[%2 trace]` after a crash, the trace a
//!         list of `[tag clue]` from the %spot/%mean/%hunk/%lose hints live at the crash,
//!         innermost first (as Hoon's +mink builds it).
//!         Nock 12 (scry): Cellar's interpreter has no Nock 12, so a formula that scries
//!         crashes, and mink answers `[%2 trace]` where Hoon's +mink would ask the scry gate
//!         (and could answer `[%0 ...]` or `[%1 path]`).
//!   mole  sample `tap` (a trap) at 6: `[~ product]`, or `~` after a crash.
//!   mule  sample `tap` at 6: `[%& product]`; after a crash the jet punts, so the arm's Nock
//!         (+mute, +mock, and +mook turning the trace into tanks) builds `[%| tanks]`.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const interpreter = @import("../interpreter.zig");
const common = @import("common.zig");
const JetError = common.JetError;

/// A jet that runs Nock on the interpreter context it is called from.
pub const VirtualJet = *const fn (ctx: *interpreter.Context, core: Noun) JetError!Noun;

/// Run `formula` on `subject` nested on `ctx`: the product, or null after a deterministic
/// crash (its trace is then in `ctx.failure_trace`).
fn run(ctx: *interpreter.Context, subject: Noun, formula: Noun) JetError!?Noun {
    assert(!subject.isForward());
    assert(!formula.isForward());
    return interpreter.nock(ctx, subject, formula) catch |err| switch (err) {
        error.Exit => null,
        error.Meme => error.Meme,
        error.Intr => error.Intr,
    };
}

pub fn mink(ctx: *interpreter.Context, core: Noun) JetError!Noun {
    const ws = ctx.ws;
    const subject = try common.slot(ws, core, 24);
    const formula = try common.slot(ws, core, 25);
    _ = try common.slot(ws, core, 13); // The scry gate: present, but see the file comment.
    if (try run(ctx, subject, formula)) |product| return ws.cell(Noun.zero, product);
    assert(ctx.failure_kind == .exit); // Only a deterministic crash is data.
    const trace = ctx.failure_trace;
    ctx.failure_trace = Noun.zero;
    return ws.cell(Noun.direct(2), trace);
}

/// `[9 2 0 1]`: run a trap.
fn trapFormula(ctx: *interpreter.Context) JetError!Noun {
    assert(!ctx.ws.collecting);
    return ctx.ws.tuple(&.{ Noun.direct(9), Noun.direct(2), Noun.zero, Noun.one });
}

pub fn mole(ctx: *interpreter.Context, core: Noun) JetError!Noun {
    const tap = try common.slot(ctx.ws, core, 6);
    const formula = try trapFormula(ctx);
    const product = try run(ctx, tap, formula) orelse {
        assert(ctx.failure_kind == .exit);
        ctx.failure_trace = Noun.zero;
        return Noun.zero;
    };
    assert(!product.isForward());
    return ctx.ws.cell(Noun.zero, product);
}

pub fn mule(ctx: *interpreter.Context, core: Noun) JetError!Noun {
    const tap = try common.slot(ctx.ws, core, 6);
    const formula = try trapFormula(ctx);
    const product = try run(ctx, tap, formula) orelse {
        assert(ctx.failure_kind == .exit);
        ctx.failure_trace = Noun.zero;
        return error.Punt;
    };
    assert(!product.isForward());
    return ctx.ws.cell(Noun.zero, product);
}

const testing = std.testing;
const Workspace = @import("../workspace.zig").Workspace;
const t = @import("testing.zig");

test "virtual jets: products, crashes as data, and limits propagate" {
    var ws = try Workspace.init(testing.allocator, 8 << 20);
    defer ws.deinit();
    var ctx: interpreter.Context = undefined;
    try ctx.initWithStack(&ws, 1 << 16);
    defer ctx.deinit();
    // mink [[41 [4 0 1]] scry] = [0 42]
    const ok = try t.gate(&ws, try t.parse(&ws, "[[41 [4 0 1]] 0]"));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 42]"), try mink(&ctx, ok));
    // A crash under a %mean hint: [2 [[%mean %boom] 0]].
    const bad = try t.gate(&ws, try t.parse(&ws, "[[0 [11 [%mean 1 %boom] 0 7]] 0]"));
    try t.expectNoun(&ws, try t.parse(&ws, "[2 [%mean %boom] 0]"), try mink(&ctx, bad));
    // mole and mule on traps [battery 0]: the battery is the formula run on the trap.
    const good_trap = try t.gate(&ws, try t.parse(&ws, "[[1 7] 0]"));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 7]"), try mole(&ctx, good_trap));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 7]"), try mule(&ctx, good_trap));
    const bad_trap = try t.gate(&ws, try t.parse(&ws, "[[0 0] 0]"));
    try t.expectNoun(&ws, Noun.zero, try mole(&ctx, bad_trap));
    try testing.expectError(error.Punt, mule(&ctx, bad_trap));
    // A step limit is not a crash: it propagates.
    ctx.limits.steps_max = 1000;
    const loop = try t.gate(&ws, try t.parse(&ws, "[[[[2 [0 1] 0 2] 0] [2 [0 1] 0 2]] 0]"));
    try testing.expectError(error.Intr, mink(&ctx, loop));
    ctx.limits.steps_max = 0;
    try testing.expectError(error.Exit, mink(&ctx, try t.gate(&ws, Noun.zero)));
}
