//! The jet table the runtime loads: which registration paths run which native entry, and
//! which cores are recognized by their battery. It starts as the built-in table (generated
//! at build time from the family `layers` and `known_cores` of jets.zig) and grows by the
//! additions an app makes at run time (`add`, from `Runtime.open({ jets })` or `--jets`).
//!
//! The table is process-wide: every thread's dashboard matches against it, so a server's
//! writer and peek workers see the mappings the main thread added. Additions are never
//! removed; adding the same mapping twice changes nothing. A dashboard notices an addition
//! through `generation` and re-resolves its registrations (`Dashboard.relink`).
//!
//! Text form (`add` reads it, `write` writes it), one item a line, fields separated by one
//! space:
//!   jet <path> <entry>                                  path -> native entry
//!   core <path> <parent-axis> <payload> <mug> <sha256>  a known core (mug 8 hex digits,
//!                                                       the SHA-256 of the battery's jam
//!                                                       64 hex digits; payload decimal,
//!                                                       for a root, 0 otherwise)
//!   entry <name>                                        (written only) a native entry

const std = @import("std");
const assert = std.debug.assert;
const jets = @import("jets.zig");
const Entry = jets.Entry;
const KnownCore = jets.KnownCore;

/// Longest registration path accepted in an addition.
pub const path_bytes_max = 1024;

const gpa = std.heap.c_allocator;

var mutex: std.Thread.Mutex = .{};
var loaded = false;
/// Path -> entry, built-in and added.
var by_path: std.StringHashMapUnmanaged(*const Entry) = .empty;
/// Known cores added at run time (each allocated, so pointers stay valid).
var added_cores: std.ArrayList(*const KnownCore) = .empty;
/// The added mappings, in the order they were added (for `write`).
var added_paths: std.ArrayList([]const u8) = .empty;
/// Bumped by every addition that changed the table.
pub var generation: std.atomic.Value(u32) = .init(0);

fn loadLocked() void {
    if (loaded) return;
    by_path.ensureTotalCapacity(gpa, @intCast(jets.paths.len)) catch @panic("Out of memory: the jet table");
    for (&jets.paths) |*p| {
        const entry = jets.byName(p.name) orelse unreachable; // Tested in jets.zig.
        by_path.putAssumeCapacity(p.path, entry);
    }
    loaded = true;
}

/// The entry that registration path `path` runs, or null.
pub fn lookup(path: []const u8) ?*const Entry {
    mutex.lock();
    defer mutex.unlock();
    loadLocked();
    return by_path.get(path);
}

/// The known core with battery mug `mug` whose SHA-256 `digest()` returns, or null.
/// `digest` is called at most once, and only when some core has that mug.
pub fn knownCore(mug: u32, context: anytype, comptime digest: fn (@TypeOf(context)) ?[32]u8) ?*const KnownCore {
    var sha: ?[32]u8 = null;
    for (&jets.known_cores) |*k| {
        if (k.battery_mug != mug) continue;
        if (sha == null) sha = digest(context) orelse return null;
        if (std.mem.eql(u8, &sha.?, &k.battery_sha256)) return k;
    }
    mutex.lock();
    defer mutex.unlock();
    for (added_cores.items) |k| {
        if (k.battery_mug != mug) continue;
        if (sha == null) sha = digest(context) orelse return null;
        if (std.mem.eql(u8, &sha.?, &k.battery_sha256)) return k;
    }
    return null;
}

pub const AddError = error{ BadTable, OutOfMemory };

/// One parsed line of an addition.
const Item = union(enum) {
    jet: struct { path: []const u8, entry: *const Entry },
    core: KnownCore,
};

/// Add the items of `text` (the text form above) to the table: all of them, or (on a bad
/// line) none; the message names the line. Returns how many items were new.
pub fn add(text: []const u8, message: *std.Io.Writer) AddError!u32 {
    var items: std.ArrayList(Item) = .empty;
    defer items.deinit(gpa);
    var lines = std.mem.splitScalar(u8, text, '\n');
    var line_number: u32 = 0;
    while (lines.next()) |line| {
        line_number += 1;
        if (line.len == 0) continue;
        const item = parseLine(line) catch |err| {
            message.print("line {d}: {s}", .{ line_number, lineError(err) }) catch {};
            return error.BadTable;
        };
        try items.append(gpa, item);
    }
    var batch: std.StringHashMapUnmanaged(*const Entry) = .empty;
    defer batch.deinit(gpa);
    mutex.lock();
    defer mutex.unlock();
    loadLocked();
    for (items.items, 1..) |item, i| {
        if (item != .jet) continue;
        const existing = by_path.get(item.jet.path) orelse batch.get(item.jet.path) orelse {
            try batch.put(gpa, item.jet.path, item.jet.entry);
            continue;
        };
        if (existing == item.jet.entry) continue;
        message.print("item {d}: {s} already runs {s}, not {s}", .{ i, item.jet.path, existing.name, item.jet.entry.name }) catch {};
        return error.BadTable;
    }
    return applyLocked(items.items);
}

fn applyLocked(items: []const Item) AddError!u32 {
    var new: u32 = 0;
    try by_path.ensureUnusedCapacity(gpa, @intCast(items.len));
    try added_paths.ensureUnusedCapacity(gpa, items.len);
    try added_cores.ensureUnusedCapacity(gpa, items.len);
    for (items) |item| switch (item) {
        .jet => |j| {
            if (by_path.contains(j.path)) continue;
            const path = try gpa.dupe(u8, j.path);
            by_path.putAssumeCapacity(path, j.entry);
            added_paths.appendAssumeCapacity(path);
            new += 1;
        },
        .core => |c| {
            if (coreKnownLocked(c)) continue;
            const k = try gpa.create(KnownCore);
            k.* = c;
            k.path = try gpa.dupe(u8, c.path);
            added_cores.appendAssumeCapacity(k);
            new += 1;
        },
    };
    if (new > 0) _ = generation.fetchAdd(1, .release);
    return new;
}

fn coreKnownLocked(c: KnownCore) bool {
    const Same = struct {
        fn same(a: *const KnownCore, b: KnownCore) bool {
            return std.mem.eql(u8, a.path, b.path) and a.parent_axis == b.parent_axis and
                a.payload == b.payload and a.battery_mug == b.battery_mug and
                std.mem.eql(u8, &a.battery_sha256, &b.battery_sha256);
        }
    };
    for (&jets.known_cores) |*k| if (Same.same(k, c)) return true;
    for (added_cores.items) |k| if (Same.same(k, c)) return true;
    return false;
}

const LineError = error{
    BadKind,
    FieldCount,
    BadPath,
    UnknownEntry,
    BadAxis,
    BadPayload,
    BadMug,
    BadSha,
};

fn lineError(err: LineError) []const u8 {
    return switch (err) {
        error.BadKind => "expected `jet PATH ENTRY` or `core PATH AXIS PAYLOAD MUG SHA256`",
        error.FieldCount => "wrong number of fields",
        error.BadPath => "bad path (names of printable ASCII joined by '/')",
        error.UnknownEntry => "unknown native entry (see `cellar jets list`)",
        error.BadAxis => "bad parent axis (0 for a root, else 2 or more)",
        error.BadPayload => "bad payload (a decimal number below 2^63; 0 unless a root)",
        error.BadMug => "bad battery mug (8 hex digits, not 0)",
        error.BadSha => "bad battery SHA-256 (64 hex digits)",
    };
}

fn parseLine(line: []const u8) LineError!Item {
    var fields: [7][]const u8 = undefined;
    var n: usize = 0;
    var it = std.mem.splitScalar(u8, line, ' ');
    while (it.next()) |f| {
        if (n == fields.len) return error.FieldCount;
        fields[n] = f;
        n += 1;
    }
    if (std.mem.eql(u8, fields[0], "jet")) {
        if (n != 3) return error.FieldCount;
        try checkPath(fields[1]);
        const entry = jets.byName(fields[2]) orelse return error.UnknownEntry;
        return .{ .jet = .{ .path = fields[1], .entry = entry } };
    }
    if (!std.mem.eql(u8, fields[0], "core")) return error.BadKind;
    if (n != 6) return error.FieldCount;
    try checkPath(fields[1]);
    const axis = std.fmt.parseInt(u64, fields[2], 10) catch return error.BadAxis;
    if (axis == 1) return error.BadAxis;
    const payload = std.fmt.parseInt(u63, fields[3], 10) catch return error.BadPayload;
    if (axis != 0 and payload != 0) return error.BadPayload;
    if (fields[4].len != 8) return error.BadMug;
    const mug = std.fmt.parseInt(u32, fields[4], 16) catch return error.BadMug;
    if (mug == 0) return error.BadMug;
    if (fields[5].len != 64) return error.BadSha;
    var sha: [32]u8 = undefined;
    _ = std.fmt.hexToBytes(&sha, fields[5]) catch return error.BadSha;
    return .{ .core = .{ .path = fields[1], .parent_axis = axis, .payload = payload, .battery_mug = mug, .battery_sha256 = sha } };
}

/// A path: names of printable ASCII (no space, no '/') joined by '/'.
pub fn checkPath(path: []const u8) error{BadPath}!void {
    if (path.len == 0 or path.len > path_bytes_max) return error.BadPath;
    var names = std.mem.splitScalar(u8, path, '/');
    while (names.next()) |name| {
        if (name.len == 0) return error.BadPath;
        for (name) |b| if (b < 0x21 or b > 0x7e) return error.BadPath;
    }
}

/// Write the table in its text form: the entries, then the built-in items (`added` false)
/// or the items added at run time (`added` true).
pub fn write(w: *std.Io.Writer, added: bool) std.Io.Writer.Error!void {
    mutex.lock();
    defer mutex.unlock();
    loadLocked();
    for (&jets.entries) |*e| try w.print("entry {s}\n", .{e.name});
    if (added) {
        for (added_paths.items) |p| try w.print("jet {s} {s}\n", .{ p, by_path.get(p).?.name });
        for (added_cores.items) |k| try writeCore(w, k);
    } else {
        for (&jets.paths) |*p| try w.print("jet {s} {s}\n", .{ p.path, p.name });
        for (&jets.known_cores) |*k| try writeCore(w, k);
    }
}

fn writeCore(w: *std.Io.Writer, k: *const KnownCore) std.Io.Writer.Error!void {
    const sha = std.fmt.bytesToHex(k.battery_sha256, .lower);
    try w.print("core {s} {d} {d} {x:0>8} {s}\n", .{ k.path, k.parent_axis, k.payload, k.battery_mug, &sha });
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "table: built-in paths resolve, additions are all or nothing" {
    try testing.expect(lookup("k140/one/add") == jets.byName("add"));
    try testing.expect(lookup("tabletest/k1/add") == null);
    var buf: [256]u8 = undefined;
    var w = std.Io.Writer.fixed(&buf);
    // A bad second line: nothing is added, the message names the line.
    try testing.expectError(error.BadTable, add("jet tabletest/k1/add add\njet tabletest/k1/sub nosuch\n", &w));
    try testing.expectEqualStrings("line 2: unknown native entry (see `cellar jets list`)", w.buffered());
    try testing.expect(lookup("tabletest/k1/add") == null);
    const before = generation.load(.acquire);
    try testing.expectEqual(@as(u32, 2), try add("jet tabletest/k1/add add\njet tabletest/k1/sub sub\n", &w));
    try testing.expect(lookup("tabletest/k1/add") == jets.byName("add"));
    try testing.expect(generation.load(.acquire) != before);
    // Again: nothing new; a conflicting mapping is refused.
    try testing.expectEqual(@as(u32, 0), try add("jet tabletest/k1/add add\n", &w));
    w.end = 0;
    try testing.expectError(error.BadTable, add("jet k140/one/add sub\n", &w));
    try testing.expectEqualStrings("item 1: k140/one/add already runs add, not sub", w.buffered());
    for ([_][]const u8{ "jet a//b add", "jet /a add", "jet a b c d", "core a 1 0 00000001 00", "core a 0 0 00000000 " ++ "0" ** 64, "core a 3 5 00000001 " ++ "0" ** 64, "frob a" }) |line| {
        w.end = 0;
        try testing.expectError(error.BadTable, add(line, &w));
        try testing.expect(std.mem.startsWith(u8, w.buffered(), "line 1: "));
    }
}

fn testDigest(sha: [32]u8) ?[32]u8 {
    return sha;
}

test "table: added known cores are found by mug and SHA-256" {
    var sha: [32]u8 = @splat(0xab);
    var buf: [256]u8 = undefined;
    var w = std.Io.Writer.fixed(&buf);
    try testing.expect(knownCore(0x1234567, sha, testDigest) == null);
    try testing.expectEqual(@as(u32, 1), try add("core tabletest 0 42 01234567 " ++ "ab" ** 32, &w));
    const k = knownCore(0x1234567, sha, testDigest).?;
    try testing.expectEqualStrings("tabletest", k.path);
    try testing.expectEqual(@as(u64, 42), k.payload);
    sha[0] = 0;
    try testing.expect(knownCore(0x1234567, sha, testDigest) == null);
    var out: std.Io.Writer.Allocating = .init(testing.allocator);
    defer out.deinit();
    try write(&out.writer, true);
    try testing.expect(std.mem.indexOf(u8, out.written(), "core tabletest 0 42 01234567 " ++ "ab" ** 32 ++ "\n") != null);
    try testing.expect(std.mem.indexOf(u8, out.written(), "entry add\n") != null);
}
