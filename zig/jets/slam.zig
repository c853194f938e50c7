//! The `Slam` callback on Cellar's interpreter: what the dashboard hands to the jets that
//! call gates (turn, roll, levy).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const interpreter = @import("../interpreter.zig");
const common = @import("common.zig");

/// A slam that runs on `ctx` (re-entrantly, when called from inside a jet hook).
pub fn interpreterSlam(ctx: *interpreter.Context) common.Slam {
    assert(ctx.ws.root_sets.items.len > 0); // The context is a root set of its workspace.
    return .{ .ctx = ctx, .slam = slamNock };
}

/// `(gate sample)`: the gate with its sample (axis 6) replaced, then its arm 2, as Hoon's
/// `%-` compiles to (`[9 2 10 [6 ...] ...]`). A gate too shallow for axis 6 is Exit.
fn slamNock(opaque_ctx: *anyopaque, gate: Noun, sample: Noun) common.JetError!Noun {
    const ctx: *interpreter.Context = @ptrCast(@alignCast(opaque_ctx));
    const ws = ctx.ws;
    assert(!gate.isForward());
    assert(!sample.isForward());
    const subject = try interpreter.edit(ws, Noun.direct(6), sample, gate);
    const formula = try ws.tuple(&.{ Noun.direct(9), Noun.direct(2), Noun.zero, Noun.one });
    return interpreter.nock(ctx, subject, formula);
}
