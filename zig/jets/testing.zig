//! Test helpers for the jets: noun text, gate cores, and the one check every jet test uses.
//!
//! Noun text: decimal atoms of any size, `0x` hex atoms, `%cord`s, `~` for 0, and
//! right-nested brackets `[a b c]`. Parsing is iterative.

const std = @import("std");
const testing = std.testing;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const equality = @import("../equality.zig");
const common = @import("common.zig");

pub fn parse(ws: *Workspace, text: []const u8) !Noun {
    const gpa = testing.allocator;
    var items: std.ArrayList(Noun) = .empty;
    defer items.deinit(gpa);
    var opens: std.ArrayList(usize) = .empty;
    defer opens.deinit(gpa);
    var i: usize = 0;
    while (i < text.len) {
        const c = text[i];
        if (c == ' ' or c == '\n') {
            i += 1;
        } else if (c == '[') {
            try opens.append(gpa, items.items.len);
            i += 1;
        } else if (c == ']') {
            const begin = opens.pop().?;
            const tuple = try ws.tuple(items.items[begin..]);
            items.shrinkRetainingCapacity(begin);
            try items.append(gpa, tuple);
            i += 1;
        } else {
            var j = i;
            while (j < text.len and text[j] != ' ' and text[j] != ']' and text[j] != '[') j += 1;
            try items.append(gpa, try parseAtom(ws, text[i..j]));
            i = j;
        }
    }
    try testing.expectEqual(@as(usize, 1), items.items.len);
    return items.items[0];
}

fn parseAtom(ws: *Workspace, word: []const u8) !Noun {
    if (word[0] == '%') return ws.atomFromBytes(word[1..]);
    if (std.mem.eql(u8, word, "~")) return Noun.zero;
    const hex = std.mem.startsWith(u8, word, "0x");
    const base: u64 = if (hex) 16 else 10;
    var limbs = [_]u64{0} ** 16;
    for (word[if (hex) 2 else 0..]) |ch| {
        if (ch == '.') continue;
        var carry: u128 = try std.fmt.charToDigit(ch, @intCast(base));
        for (&limbs) |*limb| {
            const x = @as(u128, limb.*) * base + carry;
            limb.* = @truncate(x);
            carry = x >> 64;
        }
        try testing.expectEqual(@as(u128, 0), carry);
    }
    return ws.atomFromLimbs(&limbs);
}

/// A gate core `[battery sample context]` with a dummy battery and context.
pub fn gate(ws: *Workspace, sample: Noun) !Noun {
    return ws.tuple(&.{ Noun.zero, sample, Noun.zero });
}

pub fn expectNoun(ws: *Workspace, expected: Noun, actual: Noun) !void {
    if (!try equality.equal(ws, expected, actual)) {
        std.debug.print("expected {f}\n  actual {f}\n", .{ fmt(ws, expected), fmt(ws, actual) });
        return error.TestExpectedEqual;
    }
}

/// Run `jet` on a gate whose sample is the noun text `sample`; expect the noun text `expected`.
pub fn expectJet(ws: *Workspace, jet: common.Jet, sample: []const u8, expected: []const u8) !void {
    const core = try gate(ws, try parse(ws, sample));
    const product = jet(ws, core) catch |err| {
        std.debug.print("jet failed with {s} on sample {s}\n", .{ @errorName(err), sample });
        return err;
    };
    try expectNoun(ws, try parse(ws, expected), product);
}

pub fn expectJetError(ws: *Workspace, jet: common.Jet, sample: []const u8, expected: common.JetError) !void {
    const core = try gate(ws, try parse(ws, sample));
    try testing.expectError(expected, jet(ws, core));
}

/// A random atom of up to `bits` bits.
pub fn randomAtom(ws: *Workspace, random: std.Random, bits: u32) !Noun {
    const limbs = try testing.allocator.alloc(u64, (bits + 63) / 64);
    defer testing.allocator.free(limbs);
    random.bytes(std.mem.sliceAsBytes(limbs));
    const extra: u6 = @intCast(@as(u32, @intCast(limbs.len)) * 64 - bits);
    limbs[limbs.len - 1] >>= extra;
    return ws.atomFromLimbs(limbs);
}

/// Nock list of small atoms.
pub fn list(ws: *Workspace, items: []const u64) !Noun {
    var acc = Noun.zero;
    var i = items.len;
    while (i > 0) {
        i -= 1;
        acc = try ws.cell(try ws.atomU64(items[i]), acc);
    }
    return acc;
}

/// Printing for failure messages (small nouns only: deeper ones are cut with "...").
const Fmt = struct {
    ws: *const Workspace,
    n: Noun,
    pub fn format(f: Fmt, w: *std.Io.Writer) std.Io.Writer.Error!void {
        // Each entry is a noun to print, or null for a closing bracket.
        var stack: [96]?Noun = undefined;
        var depth: usize = 1;
        stack[0] = f.n;
        while (depth > 0) {
            depth -= 1;
            const x = stack[depth] orelse {
                try w.writeAll("] ");
                continue;
            };
            if (x.isCell()) {
                if (depth + 3 > stack.len) {
                    try w.writeAll("... ");
                    continue;
                }
                try w.writeAll("[");
                stack[depth] = null;
                stack[depth + 1] = f.ws.tail(x);
                stack[depth + 2] = f.ws.head(x);
                depth += 3;
            } else if (x.isDirect()) {
                try w.print("{d} ", .{x.raw()});
            } else {
                try w.writeAll("<indirect> ");
            }
        }
    }
};

pub fn fmt(ws: *const Workspace, n: Noun) Fmt {
    return .{ .ws = ws, .n = n };
}
