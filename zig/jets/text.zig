//! Jets of Hoon's text processing: trip (cord to tape). A gate; the cord is at axis 6.
//! `(trip a)` lists every byte of `a` up to its last non-zero one, least significant first
//! (interior zero bytes included), as Hoon's `[(end 3 a) $(a (rsh 3 a))]` until `met 3` is 0.

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const JetError = common.JetError;

pub fn trip(ws: *Workspace, core: Noun) JetError!Noun {
    const a = try common.atomAt(ws, core, 6);
    var scratch: u64 = undefined;
    const len = ws.atomBytes(a, &scratch).len;
    if (len == 0) return Noun.zero;
    const block = try common.listBlock(ws, len, Noun.zero);
    // Re-read: allocation never moves atoms, but a direct atom's bytes live in `scratch`.
    const bytes = ws.atomBytes(a, &scratch);
    assert(bytes.len == len);
    for (bytes, 0..) |byte, i| common.setHead(block, i, Noun.direct(byte));
    return common.blockNoun(block);
}

const testing = std.testing;
const t = @import("testing.zig");

test "trip" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try t.expectJet(&ws, trip, "%abc", "[97 98 99 0]");
    try t.expectJet(&ws, trip, "0", "0");
    try t.expectJet(&ws, trip, "0x6100.0062", "[0x62 0 0 0x61 0]");
    try t.expectJet(&ws, trip, "%abcdefghijklmnop", "[97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 0]");
    try t.expectJetError(&ws, trip, "[1 2]", error.Exit);
}
