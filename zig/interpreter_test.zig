//! Tests of the Nock interpreter (zig/interpreter.zig).

const std = @import("std");
const builtin = @import("builtin");
const testing = std.testing;
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const interpreter = @import("interpreter.zig");
const Context = interpreter.Context;
const nock = interpreter.nock;

/// Parse noun text: decimal atoms (any size), `%cord`s, and right-associative brackets.
/// Iterative, like everything else here.
fn parse(ws: *Workspace, text: []const u8) !Noun {
    var items: std.ArrayList(Noun) = .empty;
    defer items.deinit(testing.allocator);
    var opens: std.ArrayList(usize) = .empty;
    defer opens.deinit(testing.allocator);
    var i: usize = 0;
    while (i < text.len) {
        const c = text[i];
        if (c == ' ' or c == '\n') {
            i += 1;
        } else if (c == '[') {
            try opens.append(testing.allocator, items.items.len);
            i += 1;
        } else if (c == ']') {
            const start = opens.pop().?;
            const tuple = try ws.tuple(items.items[start..]);
            items.shrinkRetainingCapacity(start);
            try items.append(testing.allocator, tuple);
            i += 1;
        } else {
            var j = i;
            while (j < text.len and text[j] != ' ' and text[j] != ']' and text[j] != '[') j += 1;
            try items.append(testing.allocator, try parseAtom(ws, text[i..j]));
            i = j;
        }
    }
    try testing.expectEqual(@as(usize, 1), items.items.len);
    return items.items[0];
}

fn parseAtom(ws: *Workspace, word: []const u8) !Noun {
    if (word[0] == '%') return ws.atomFromBytes(word[1..]);
    const value = try std.fmt.parseInt(u256, word, 10);
    return ws.atomFromBytes(std.mem.asBytes(&value));
}

const Fixture = struct {
    ws: Workspace,
    ctx: Context,

    fn init(f: *Fixture, limit_bytes: u64) !void {
        f.ws = try Workspace.init(testing.allocator, limit_bytes);
        errdefer f.ws.deinit();
        try f.ctx.init(&f.ws);
    }

    fn deinit(f: *Fixture) void {
        f.ctx.deinit();
        f.ws.deinit();
    }

    fn run(f: *Fixture, subject: []const u8, formula: []const u8) !Noun {
        return nock(&f.ctx, try parse(&f.ws, subject), try parse(&f.ws, formula));
    }

    fn expectProduct(f: *Fixture, subject: []const u8, formula: []const u8, expected: []const u8) !void {
        const product = f.run(subject, formula) catch |err| {
            std.debug.print("nock({s}, {s}) failed: {}\n", .{ subject, formula, err });
            return err;
        };
        const want = try parse(&f.ws, expected);
        if (!try equality.equal(&f.ws, product, want)) {
            std.debug.print("nock({s}, {s}) gave an unexpected product\n", .{ subject, formula });
            return error.TestUnexpectedResult;
        }
        try testing.expectEqual(@as(usize, 0), f.ctx.stackDepth());
    }

    fn expectFailure(f: *Fixture, subject: []const u8, formula: []const u8, expected: interpreter.NockError) !void {
        try testing.expectError(expected, f.run(subject, formula));
        try testing.expectEqual(@as(usize, 0), f.ctx.stackDepth());
        // Reusable afterwards (with the limits lifted).
        const limits = f.ctx.limits;
        f.ctx.limits = .{};
        defer f.ctx.limits = limits;
        try f.expectProduct("[1 2]", "[0 3]", "2");
    }
};

test "interpreter: every opcode" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    try f.expectProduct("[[4 5] 6]", "[0 5]", "5");
    try f.expectProduct("[[4 5] 6]", "[0 1]", "[[4 5] 6]");
    try f.expectProduct("0", "[1 [7 8]]", "[7 8]");
    try f.expectProduct("[[4 5] 6]", "[2 [0 2] [1 0 3]]", "5");
    try f.expectProduct("[[4 5] 6]", "[2 [[1 0] [0 2]] [1 0 3]]", "[4 5]");
    try f.expectProduct("[[4 5] [0 2]]", "[2 [0 2] [0 3]]", "4");
    try f.expectProduct("5", "[2 [4 0 1] [1 4 0 1]]", "7");
    try f.expectProduct("5", "[2 [0 1] [1 4 0 1]]", "6");
    try f.expectProduct("[5 [4 0 1]]", "[2 [4 0 2] [0 3]]", "7");
    try f.expectProduct("[4 5]", "[3 0 1]", "0");
    try f.expectProduct("[4 5]", "[3 0 2]", "1");
    try f.expectProduct("[4 5]", "[3 [4 0 2]]", "1");
    try f.expectProduct("[4 5]", "[3 [0 2] [0 3]]", "0");
    try f.expectProduct("41", "[4 0 1]", "42");
    try f.expectProduct("41", "[4 4 0 1]", "43");
    try f.expectProduct("9223372036854775807", "[4 0 1]", "9223372036854775808");
    try f.expectProduct("18446744073709551615", "[4 0 1]", "18446744073709551616");
    try f.expectProduct("340282366920938463463374607431768211455", "[4 4 0 1]", "340282366920938463463374607431768211457");
    try f.expectProduct("[4 4]", "[5 [0 2] [0 3]]", "0");
    try f.expectProduct("[4 5]", "[5 [0 2] [0 3]]", "1");
    try f.expectProduct("[4 5]", "[5 [4 0 2] [0 3]]", "0");
    try f.expectProduct("[[1 2] [1 2]]", "[5 [0 2] [0 3]]", "0");
    try f.expectProduct("[18446744073709551616 18446744073709551616]", "[5 [0 2] [0 3]]", "0");
    try f.expectProduct("[18446744073709551616 5]", "[5 [0 2] [0 3]]", "1");
    try f.expectProduct("[4 5]", "[6 [1 0] [0 2] [0 3]]", "4");
    try f.expectProduct("[4 5]", "[6 [1 1] [0 2] [0 3]]", "5");
    try f.expectProduct("[4 5]", "[6 [5 [0 2] [1 4]] [0 2] [0 3]]", "4");
    try f.expectProduct("[4 5]", "[7 [0 3] [4 0 1]]", "6");
    try f.expectProduct("[4 5]", "[7 [4 0 3] [4 0 1]]", "7");
    try f.expectProduct("[4 5]", "[8 [1 9] [0 1]]", "[9 [4 5]]");
    try f.expectProduct("[4 5]", "[8 [4 0 2] [0 2]]", "5");
    try f.expectProduct("[[4 0 3] 41]", "[9 2 0 1]", "42");
    try f.expectProduct("[[4 0 3] 41]", "[9 2 [0 2] [1 7]]", "8");
    try f.expectProduct("[4 5]", "[10 [2 1 6] 0 1]", "[6 5]");
    try f.expectProduct("[4 5]", "[10 [3 4 0 3] 0 1]", "[4 6]");
    try f.expectProduct("[[4 5] 6]", "[10 [5 1 7] 0 1]", "[[4 7] 6]");
    try f.expectProduct("[[4 5] 6]", "[10 [4 1 7] [1 [1 2] 3]]", "[[7 2] 3]");
    try f.expectProduct("[4 5]", "[11 %foo 0 3]", "5");
    try f.expectProduct("[4 5]", "[11 [%foo 0 2] 0 3]", "5");
    try f.expectProduct("[4 5]", "[11 [%foo 4 0 2] 4 0 3]", "6");
    try f.expectProduct("[4 5]", "[11 [[1 2] 0 2] 0 3]", "5");
    try f.expectProduct("[4 5]", "[[0 3] [4 0 2] 1 7]", "[5 5 7]");
    try f.expectProduct("[4 5]", "[[4 0 3] [0 2]]", "[6 4]");
}

test "interpreter: crashes are %exit and leave the context reusable" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    try f.expectFailure("[4 5]", "[0 0]", error.Exit);
    try f.expectFailure("5", "[0 2]", error.Exit);
    try f.expectFailure("[4 5]", "[0 12]", error.Exit);
    try f.expectFailure("[4 5]", "[0 [1 1]]", error.Exit);
    try f.expectFailure("5", "6", error.Exit);
    try f.expectFailure("5", "[12 0]", error.Exit);
    try f.expectFailure("5", "[18446744073709551616 0]", error.Exit);
    try f.expectFailure("5", "[2 1]", error.Exit);
    try f.expectFailure("5", "[3 7]", error.Exit);
    try f.expectFailure("[4 5]", "[4 0 1]", error.Exit);
    try f.expectFailure("[4 5]", "[4 [0 2] [0 3]]", error.Exit);
    try f.expectFailure("5", "[6 [1 2] [1 3] [1 4]]", error.Exit);
    try f.expectFailure("5", "[6 [4 1 1] [1 3] [1 4]]", error.Exit);
    try f.expectFailure("5", "[6 [1 0] 7]", error.Exit);
    try f.expectFailure("5", "[9 0 0 1]", error.Exit);
    try f.expectFailure("5", "[9 [1 1] 0 1]", error.Exit);
    try f.expectFailure("[4 5]", "[10 [0 1 1] 0 1]", error.Exit);
    try f.expectFailure("[4 5]", "[10 [6 1 1] 0 1]", error.Exit);
    try f.expectFailure("[4 5]", "[10 [2 1 1] 1 5]", error.Exit);
    try f.expectFailure("[4 5]", "[10 [2 4 0 1] 0 1]", error.Exit);
    try f.expectFailure("5", "[11 [%foo 0 0] 1 5]", error.Exit);
    try f.expectFailure("5", "[11 [%spot 0 0] 1 5]", error.Exit);
    try f.expectFailure("5", "[11 [%slog 4 0 2] 1 5]", error.Exit);
    try f.expectFailure("5", "[11 %foo 0 0]", error.Exit);
}

test "interpreter: Nock 9 at axis 1, Nock 10 at axis 1, indirect axes" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    try f.expectProduct("[1 42]", "[9 1 0 1]", "42");
    try f.expectProduct("[4 5]", "[10 [1 1 7] 0 1]", "7");
    try f.expectProduct("[4 5]", "[10 [1 0 3] 0 1]", "5");
    // A left spine 100 deep: axis 2^100 walks bit by bit to the bottom.
    var spine = Noun.direct(7);
    for (0..100) |_| spine = try f.ws.cell(spine, Noun.direct(3));
    const axis = try parse(&f.ws, "1267650600228229401496703205376"); // 2^100
    try testing.expect(axis.isIndirect());
    const formula = try f.ws.cell(Noun.zero, axis);
    try testing.expectEqual(Noun.direct(7), try nock(&f.ctx, spine, formula));
    const deeper = try parse(&f.ws, "[0 2535301200456458802993406410752]"); // 2^101
    try testing.expectError(error.Exit, nock(&f.ctx, spine, deeper));
    // Edit at 2^100, then read it back.
    const edit_formula = try f.ws.tuple(&.{ Noun.direct(10), try f.ws.tuple(&.{ axis, Noun.one, Noun.direct(9) }), Noun.zero, Noun.one });
    const edited = try nock(&f.ctx, spine, edit_formula);
    try testing.expectEqual(Noun.direct(9), try nock(&f.ctx, edited, formula));
    try testing.expectEqual(Noun.direct(3), try nock(&f.ctx, edited, try parse(&f.ws, "[0 3]")));
}

test "interpreter: traces from %spot/%mean, innermost first; clue crash" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    const trace_formula = "[11 [%spot 1 42] 8 [1 0] 11 [%mean 1 [%leaf 43]] 11 [%hunk [1 44]] 0 0]";
    try testing.expectError(error.Exit, f.run("5", trace_formula));
    try testing.expectEqual(interpreter.FailureKind.exit, f.ctx.failure_kind);
    const expected = try parse(&f.ws, "[[%hunk 44] [%mean [%leaf 43]] [%spot 42] 0]");
    try testing.expect(try equality.equal(&f.ws, expected, f.ctx.failure_trace));
    // A hint whose formula finished is no longer on the trace.
    try testing.expectError(error.Exit, f.run("5", "[8 [11 [%spot 1 1] 1 5] 11 [%lose 1 2] 0 0]"));
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[[%lose 2] 0]"), f.ctx.failure_trace));
    // A crash in the clue is a crash, traced by the enclosing hints only.
    try testing.expectError(error.Exit, f.run("5", "[11 [%spot 1 1] 11 [%mean 0 0] 1 5]"));
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[[%spot 1] 0]"), f.ctx.failure_trace));
    try testing.expectEqual(@as(usize, 0), f.ctx.stackDepth());
}

test "interpreter: %slog and %bout are collected, unknown hints dropped" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    try f.expectProduct("5", "[11 [%slog 1 0 %hi] 11 [%slog [1 1] [1 %leaf 0]] 4 0 1]", "6");
    try testing.expectEqual(@as(usize, 2), f.ctx.slogs.items.len);
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[0 %hi]"), f.ctx.slogs.items[0]));
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[1 %leaf 0]"), f.ctx.slogs.items[1]));
    f.ctx.slogs.clearRetainingCapacity();
    try f.expectProduct("5", "[11 [%bout 1 0] 4 0 1]", "6");
    try testing.expectEqual(@as(usize, 1), f.ctx.slogs.items.len);
    const entry = f.ctx.slogs.items[0];
    try testing.expectEqual(Noun.zero, f.ws.head(entry));
    const leaf = f.ws.tail(entry);
    try testing.expectEqual(Noun.direct(interpreter.tag.leaf), f.ws.head(leaf));
    var text: [64]u8 = undefined;
    var len: usize = 0;
    var tape = f.ws.tail(leaf);
    while (tape.isCell()) : (tape = f.ws.tail(tape)) {
        text[len] = @intCast(f.ws.head(tape).raw());
        len += 1;
    }
    try testing.expect(std.mem.startsWith(u8, text[0..len], "took "));
    try testing.expect(std.mem.endsWith(u8, text[0..len], "\u{b5}s"));
    try f.expectProduct("5", "[11 [%memo 1 0] 11 [%fast 1 0] 11 [%whatever 4 0 1] 4 0 1]", "6");
}

const decrement = "[8 [1 0] 8 [1 6 [5 [0 7] 4 0 6] [0 6] 9 2 [0 2] [4 0 6] 0 7] 9 2 0 1]";
/// Non-tail recursion: `[battery [k n]]` returns n - k as 1 + (the same with k + 1).
const count_up_arm = "[6 [5 [0 6] [0 7]] [1 0] [4 9 2 [10 [6 4 0 6] 0 1]]]";

test "interpreter: limits give %intr and leave the context reusable" {
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    const forever_subject = "[2 [0 1] [0 1]]";
    const forever = "[2 [0 1] [0 1]]";
    f.ctx.limits.steps_max = 1000;
    const steps_before = f.ctx.steps;
    try f.expectFailure(forever_subject, forever, error.Intr);
    try testing.expectEqual(interpreter.FailureKind.intr, f.ctx.failure_kind);
    try testing.expect(f.ctx.steps - steps_before >= 1000);
    try testing.expect(f.ctx.steps - steps_before <= 1010);
    f.ctx.limits.steps_max = 1;
    try f.expectProduct("5", "[1 7]", "7");
    f.ctx.limits.steps_max = 0;

    f.ctx.limits.deadline_ns = std.time.nanoTimestamp() + 20 * std.time.ns_per_ms;
    try f.expectFailure(forever_subject, forever, error.Intr);
    f.ctx.limits.deadline_ns = 0;

    var flag = std.atomic.Value(bool).init(false);
    f.ctx.limits.interrupt = &flag;
    const thread = try std.Thread.spawn(.{}, struct {
        fn run(v: *std.atomic.Value(bool)) void {
            std.Thread.sleep(20 * std.time.ns_per_ms);
            v.store(true, .monotonic);
        }
    }.run, .{&flag});
    try testing.expectError(error.Intr, f.run(forever_subject, forever));
    thread.join();
    flag.store(false, .monotonic);
    try f.expectProduct("41", decrement, "40");
}

test "interpreter: a long computation counts its steps in the latest progress report" {
    const progress = @import("progress.zig");
    const interval = @import("constants.zig").interpreter_check_interval_steps;
    var f: Fixture = undefined;
    try f.init(16 << 20);
    defer f.deinit();
    try f.expectProduct("41", decrement, "40");
    for ([_]u64{ 100_000, 200_000 }) |n| {
        const before = progress.readLatest();
        const steps_before = f.ctx.steps;
        const product = try nock(&f.ctx, Noun.direct(n), try parse(&f.ws, decrement));
        try testing.expectEqual(Noun.direct(n - 1), product);
        const steps = f.ctx.steps - steps_before;
        try testing.expect(steps > 10 * interval);
        const after = progress.readLatest();
        try testing.expectEqual(@as(u64, @intFromEnum(progress.Kind.nock_steps)), after[0]);
        try testing.expectEqual(after[4], after[1]);
        try testing.expectEqual(@as(u64, 0), after[2]);
        try testing.expect(after[3] >= before[3]);
        // Counted at the polls: all but the steps after the last one.
        try testing.expect(after[4] - before[4] <= steps);
        try testing.expect(after[4] - before[4] + interval > steps);
    }
}

test "interpreter: deep recursion completes or fails cleanly; tail loops use constant stack" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    const deep_formula = "[9 2 0 1]";
    const deep_subject = "[" ++ count_up_arm ++ " [0 1000000]]";
    try f.expectProduct(deep_subject, deep_formula, "1000000");
    f.ctx.trimStack();

    // A small stack: the same recursion is %meme, a tail loop still runs.
    var small: Context = undefined;
    try small.initWithStack(&f.ws, 64);
    defer small.deinit();
    try testing.expectError(error.Meme, nock(&small, try parse(&f.ws, deep_subject), try parse(&f.ws, deep_formula)));
    try testing.expectEqual(interpreter.FailureKind.meme, small.failure_kind);
    try testing.expectEqual(@as(usize, 0), small.stackDepth());
    try testing.expectEqual(Noun.direct(99_999), try nock(&small, Noun.direct(100_000), try parse(&f.ws, decrement)));
    try testing.expectEqual(Noun.direct(100_000), try nock(&small, try parse(&f.ws, "[0 100000]"), try parse(&f.ws, tail_count)));
    // Traces from a static hint and %spot-free recursion stay flat too.
    try testing.expectEqual(Noun.direct(5), try nock(&small, Noun.direct(5), try parse(&f.ws, "[11 %a 11 %b 11 %c 0 1]")));
}

/// Peak resident set of this process in KiB (VmHWM), or 0 when unavailable.
fn peakRssKib() u64 {
    var buffer: [4096]u8 = undefined;
    const status = std.fs.cwd().readFile("/proc/self/status", &buffer) catch return 0;
    const start = std.mem.indexOf(u8, status, "VmHWM:") orelse return 0;
    var words = std.mem.tokenizeAny(u8, status[start + 6 ..], " \t\n");
    return std.fmt.parseInt(u64, words.next() orelse return 0, 10) catch 0;
}

fn threadCpuNs() u64 {
    const ts = std.posix.clock_gettime(.THREAD_CPUTIME_ID) catch return 0;
    return @as(u64, @intCast(ts.sec)) * std.time.ns_per_s + @as(u64, @intCast(ts.nsec));
}

/// `[battery [a b]]` counting a up to b by increments (tail recursion): returns b.
const tail_count = "[8 [1 6 [5 [0 6] [0 7]] [0 6] 9 2 [0 2] [4 0 6] 0 7] 9 2 0 1]";

test "interpreter: garbage-heavy loop runs in bounded memory (10^7 big increments, 64 MiB)" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    const iterations: u64 = 10_000_000;
    const start = try parse(&f.ws, "18446744073709551616"); // 2^64
    var end_limbs = [_]u64{ iterations, 1 };
    var roots = [_]Noun{try f.ws.atomFromLimbs(&end_limbs)}; // The expected product, rooted.
    try f.ws.pushRoots(&roots);
    defer f.ws.popRoots(&roots);
    var timer = try std.time.Timer.start();
    const steps_before = f.ctx.steps;
    const product = try nock(&f.ctx, try f.ws.cell(start, roots[0]), try parse(&f.ws, tail_count));
    const elapsed_ns = timer.read();
    try testing.expect(try equality.equal(&f.ws, product, roots[0]));
    try testing.expect(f.ws.collections >= 10);
    std.debug.print(
        "\n  big-atom loop: {d} iterations, {d} steps, {d} ms, {d} collections, peak RSS {d} KiB\n",
        .{ iterations, f.ctx.steps - steps_before, elapsed_ns / std.time.ns_per_ms, f.ws.collections, peakRssKib() },
    );
}

test "interpreter: live data past the workspace limit is %meme; context and workspace stay usable" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    // [battery [k acc]] → [battery [k+1 [k acc]]] until k = 10^8: 24 bytes live per step,
    // collected several times on the way.
    const grow = "[8 [1 6 [5 [0 6] [1 100000000]] [0 7] 9 2 [0 2] [4 0 6] [0 6] 0 7] 9 2 0 1]";
    try f.expectFailure("[0 0]", grow, error.Meme);
    try testing.expectEqual(interpreter.FailureKind.meme, f.ctx.failure_kind);
    try testing.expect(f.ws.collections >= 2);
    // Deep non-tail recursion whose frames hold the live data (cons on the way back).
    const deep = "[8 [1 6 [5 [0 6] [1 4000000]] [1 0] [0 6] 9 2 10 [6 4 0 6] 0 1] 9 2 0 1]";
    try f.expectFailure("[0 0]", deep, error.Meme);
    f.ctx.trimStack();
    try f.expectProduct("41", decrement, "40");
    try testing.expectEqual(Noun.direct(100), try nock(&f.ctx, try parse(&f.ws, "[0 100]"), try parse(&f.ws, tail_count)));
}

test "interpreter: collection in a deep recursion keeps every frame's nouns" {
    var f: Fixture = undefined;
    try f.init(256 << 20);
    defer f.deinit();
    // Build a list of 10^6 big atoms on the way back from a non-tail recursion; the
    // nursery fills several times while frames hold indirect atoms and cells.
    const build = "[8 [1 6 [5 [0 6] [1 1000000]] [1 0] [[7 [0 6] 4 1 18446744073709551616] 9 2 10 [6 4 0 6] 0 1]] 9 2 0 1]";
    var list = try f.run("[0 0]", build);
    try testing.expect(f.ws.collections >= 1);
    var k: u64 = 0;
    var roots = [_]Noun{list};
    try f.ws.pushRoots(&roots);
    defer f.ws.popRoots(&roots);
    list = roots[0];
    while (list.isCell()) : (list = f.ws.tail(list)) {
        var scratch: u64 = undefined;
        const limbs = f.ws.bases.limbs(f.ws.head(list), &scratch);
        try testing.expectEqualSlices(u64, &.{ 1, 1 }, limbs);
        k += 1;
    }
    try testing.expectEqual(@as(u64, 1_000_000), k);
}

test "interpreter bench: jetless decrement from 10^7" {
    var f: Fixture = undefined;
    try f.init(256 << 20);
    defer f.deinit();
    // Assertions (ReleaseSafe, the default test mode) make it slower: measure in ReleaseFast.
    const n: u64 = if (builtin.mode == .ReleaseFast) 10_000_000 else 1_000_000;
    const formula = try parse(&f.ws, decrement);
    var roots = [_]Noun{formula};
    try f.ws.pushRoots(&roots);
    defer f.ws.popRoots(&roots);
    // Wall time, and this thread's CPU time (the machine may be shared).
    var best_ns: u64 = std.math.maxInt(u64);
    var best_cpu_ns: u64 = std.math.maxInt(u64);
    var steps: u64 = 0;
    for (0..5) |_| {
        const steps_before = f.ctx.steps;
        const cpu_before = threadCpuNs();
        var timer = try std.time.Timer.start();
        const product = try nock(&f.ctx, Noun.direct(n), roots[0]);
        best_ns = @min(best_ns, timer.read());
        best_cpu_ns = @min(best_cpu_ns, threadCpuNs() - cpu_before);
        steps = f.ctx.steps - steps_before;
        try testing.expectEqual(Noun.direct(n - 1), product);
    }
    std.debug.print("\n  decrement {d} ({s}): {d} steps; wall {d} ms = {d} M steps/s; cpu {d} ms = {d} M steps/s\n", .{
        n,
        @tagName(builtin.mode),
        steps,
        best_ns / std.time.ns_per_ms,
        steps * 1000 / best_ns,
        best_cpu_ns / std.time.ns_per_ms,
        steps * 1000 / @max(best_cpu_ns, 1),
    });
}

/// Test hooks: an arm "jet" that re-enters `nock`, and a toy %memo cache.
const TestHooks = struct {
    memo_keys: [8][2]Noun = undefined,
    memo_products: [8]Noun = undefined,
    memo_len: usize = 0,
    memo_hits: u32 = 0,
    fast_products: u32 = 0,
    arm_calls: u32 = 0,

    fn of(data: ?*anyopaque) *TestHooks {
        return @ptrCast(@alignCast(data.?));
    }

    /// Battery 99: the product is nock(sample, [4 0 1]) run re-entrantly; battery 98:
    /// a nested crash under a %mean hint; battery 97: a nested garbage-heavy loop.
    fn arm(data: ?*anyopaque, ctx: *Context, core: Noun, axis: Noun) interpreter.NockError!?Noun {
        const self = of(data);
        self.arm_calls += 1;
        if (axis != Noun.direct(2)) return null;
        const ws = ctx.ws;
        const battery = ws.head(core);
        const sample = ws.tail(core);
        const formula = switch (battery.raw()) {
            99 => parse(ws, "[4 0 1]"),
            98 => parse(ws, "[11 [%mean 1 %inner] 0 0]"),
            97 => parse(ws, tail_count),
            else => return null,
        } catch return error.Meme;
        return try nock(ctx, sample, formula);
    }

    fn before(data: ?*anyopaque, ctx: *Context, call: interpreter.HintCall) interpreter.NockError!interpreter.HintAction {
        const self = of(data);
        if (call.tag == Noun.direct(interpreter.tag.fast)) return .after;
        if (call.tag != Noun.direct(interpreter.tag.memo)) return .ignore;
        for (self.memo_keys[0..self.memo_len], 0..) |key, i| {
            const same = (equality.equal(ctx.ws, key[0], call.subject) catch return error.Meme) and
                (equality.equal(ctx.ws, key[1], call.formula) catch return error.Meme);
            if (same) {
                self.memo_hits += 1;
                return .{ .product = self.memo_products[i] };
            }
        }
        return .after;
    }

    fn after(data: ?*anyopaque, _: *Context, call: interpreter.HintCall, product: Noun) interpreter.NockError!void {
        const self = of(data);
        if (call.tag == Noun.direct(interpreter.tag.fast)) {
            self.fast_products += 1;
            return;
        }
        if (self.memo_len == self.memo_keys.len) return;
        self.memo_keys[self.memo_len] = .{ call.subject, call.formula };
        self.memo_products[self.memo_len] = product;
        self.memo_len += 1;
    }

    fn hooks(self: *TestHooks) interpreter.Hooks {
        return .{ .data = self, .hint_before = before, .hint_after = after, .arm = arm };
    }
};

test "interpreter: hooks for Nock 9 (re-entrant nock) and %memo/%fast hints" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    var hooks = TestHooks{};
    f.ctx.hooks = hooks.hooks();
    try f.expectProduct("[99 41]", "[9 2 0 1]", "42");
    try f.expectProduct("[[4 0 3] 41]", "[9 2 0 1]", "42"); // Not jetted: runs its Nock.
    try testing.expect(hooks.arm_calls >= 2);
    // A nested failure: the inner trace comes first (innermost), then the outer hints.
    try testing.expectError(error.Exit, f.run("[98 0]", "[11 [%spot 1 %outer] 9 2 0 1]"));
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[[%mean %inner] [%spot %outer] 0]"), f.ctx.failure_trace));
    try testing.expectEqual(@as(usize, 0), f.ctx.stackDepth());
    // The nested call collects while the outer frames hold workspace nouns.
    const nested = "[[1 [1 2]] 9 2 0 1]";
    const product = try f.run("[97 [0 3000000]]", nested);
    try testing.expect(f.ws.collections >= 1);
    try testing.expect(try equality.equal(&f.ws, try parse(&f.ws, "[[1 2] 3000000]"), product));
    // %memo: the second evaluation is a hit; %fast sees the product.
    try f.expectProduct("5", "[[11 [%memo 1 0] 4 0 1] [11 [%memo 1 0] 4 0 1]]", "[6 6]");
    try testing.expectEqual(@as(u32, 1), hooks.memo_hits);
    try f.expectProduct("5", "[11 [%fast 1 %name] 4 0 1]", "6");
    try testing.expectEqual(@as(u32, 1), hooks.fast_products);
    try f.expectProduct("5", "[11 [%other 1 0] 4 0 1]", "6");
}

const cue = @import("cue.zig");
const corpus = @import("corpus.zig");
const mug = @import("mug.zig");

const CorpusCase = struct {
    file: []const u8,
    /// Mug of the cued `[subject formula]` (from the corpus README).
    input_mug: u32,
    /// Expected product: an atom, or else a cell with this mug.
    product: union(enum) { atom: u64, cell_mug: u32, any },
};

/// Products from the corpus README; the cells' mugs were computed by an independent
/// reference interpreter (a list of 1000 fives).
const corpus_cases = [_]CorpusCase{
    .{ .file = "nock/hurray.jam", .input_mug = 0x2acca14b, .product = .{ .atom = 133459438892392 } },
    .{ .file = "nock/decrement.jam", .input_mug = 0x5910f4ae, .product = .{ .atom = 9999 } },
    .{ .file = "nock/decrement2.jam", .input_mug = 0x2419dc, .product = .{ .atom = 99 } },
    .{ .file = "nock/repeat5_1000.jam", .input_mug = 0x13904865, .product = .{ .cell_mug = 0x34230962 } },
    .{ .file = "nock/repeat5_1000_tc.jam", .input_mug = 0x513c7761, .product = .{ .cell_mug = 0x34230962 } },
};

/// Run a corpus program and check its product; skips the test when the corpus is absent.
fn runCorpus(f: *Fixture, case: CorpusCase) !Noun {
    const bytes = try corpus.readCorpus(testing.allocator, case.file) orelse return error.SkipZigTest;
    defer testing.allocator.free(bytes);
    const program = try cue.cue(&f.ws, bytes);
    try testing.expectEqual(case.input_mug, try mug.mug(&f.ws, program));
    const product = try nock(&f.ctx, f.ws.head(program), f.ws.tail(program));
    switch (case.product) {
        .atom => |value| try testing.expectEqual(Noun.direct(value), product),
        .cell_mug => |value| {
            try testing.expect(product.isCell());
            try testing.expectEqual(value, try mug.mug(&f.ws, product));
        },
        .any => {},
    }
    return product;
}

test "interpreter: corpus programs" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    for (corpus_cases) |case| _ = try runCorpus(&f, case);
    // repeat5_1000 is a list of a thousand 5s.
    const list = try runCorpus(&f, corpus_cases[3]);
    var n = list;
    var count: u32 = 0;
    while (n.isCell()) : (n = f.ws.tail(n)) {
        try testing.expectEqual(Noun.direct(5), f.ws.head(n));
        count += 1;
    }
    try testing.expectEqual(@as(u32, 1000), count);
    try testing.expectEqual(Noun.zero, n);
}

test "interpreter: corpus shax (jetless, step-bounded)" {
    var f: Fixture = undefined;
    try f.init(256 << 20);
    defer f.deinit();
    // Jetless SHA-256 in Nock is long: run a bounded slice of it (the full run is for jets).
    // CELLAR_SHAX_STEPS=0 runs it to completion.
    const budget = std.posix.getenv("CELLAR_SHAX_STEPS") orelse "50000000";
    f.ctx.limits.steps_max = try std.fmt.parseInt(u64, budget, 10);
    const steps_before = f.ctx.steps;
    var timer = try std.time.Timer.start();
    const case = CorpusCase{ .file = "nock/shax.jam", .input_mug = 0x53f159cc, .product = .any };
    const product = runCorpus(&f, case) catch |err| switch (err) {
        error.Intr => {
            std.debug.print("\n  shax: unfinished after {d} steps ({d} ms)\n", .{ f.ctx.steps - steps_before, timer.read() / std.time.ns_per_ms });
            try testing.expectEqual(@as(usize, 0), f.ctx.stackDepth());
            return;
        },
        else => return err,
    };
    var scratch: u64 = undefined;
    const bytes = f.ws.atomBytes(product, &scratch);
    std.debug.print("\n  shax: {d} steps, {d} ms, product {x}\n", .{ f.ctx.steps - steps_before, timer.read() / std.time.ns_per_ms, bytes });
}
