//! The C ABI of libcellar: the only file with `export fn`. Everything else is plain Zig.
//!
//! Conventions (chosen for Deno's fast FFI path: u32 / i32 / f64 / buffer only, no u64
//! parameters, no structs by value):
//! - Nouns cross as u32 handles into the calling thread's handle table; 0 is never a handle.
//! - Byte lengths and large counts cross as f64 (exact up to 2^53).
//! - Bulk data crosses as buffers (pointer + length) that the host owns for the call.
//! - Failure never aborts: a handle result is 0, an i32/f64 result is -1 (see each function),
//!   and `cellar_error_kind` / `cellar_error_message` / `cellar_error_trace` describe it.
//!   Success does not clear the last error, so read it only after a failure.
//!
//! Each host thread has its own machine (machine.zig); handles are only valid on the thread
//! that made them. `cellar_interrupt` is the one call meant for another thread.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const machine = @import("machine.zig");
const Machine = machine.Machine;
const registry = @import("registry.zig");
const pma = @import("pma.zig");
const machine_pma = @import("machine_pma.zig");
const files = @import("files.zig");
const progress = @import("progress.zig");

/// Bytes of `cellar_stats` output: five little-endian u64 fields.
const stats_bytes: u32 = 5 * 8;
/// Bytes of `cellar_pma_info` output: eleven little-endian u64 fields, then the kernel hash.
const pma_info_bytes: u32 = 11 * 8 + 32;
/// Bytes of `cellar_pma_gc` output: six little-endian u64 fields.
const pma_gc_bytes: u32 = 10 * 8;
/// Bytes of the `cellar_pma_commit` record: the event number (u64 LE), then the kernel hash.
const pma_commit_record_bytes: u32 = 8 + 32;

/// `cellar_pma_open` flags.
const pma_flag_read_only: u32 = 1;
const pma_flag_no_create: u32 = 2;
const pma_flag_strict: u32 = 4;
const pma_flag_drop_previous_slab: u32 = 8;
const pma_flags_all: u32 = 15;

/// Write `fields` as little-endian u64s at the start of `out`, which the caller has checked
/// is long enough.
fn writeFields(out: []u8, fields: []const u64) void {
    assert(fields.len > 0);
    assert(out.len >= fields.len * 8);
    for (fields, 0..) |v, i| std.mem.writeInt(u64, out[i * 8 ..][0..8], v, .little);
}

/// Copy `text` into `out` (as much as fits); returns the full length of `text`.
fn copyText(text: []const u8, out: []u8) u32 {
    const n = @min(text.len, out.len);
    @memcpy(out[0..n], text[0..n]);
    assert(n <= out.len);
    return @intCast(text.len);
}

inline fn bytesIn(ptr: ?[*]const u8, len: usize) []const u8 {
    if (len == 0) return &.{};
    return ptr.?[0..len];
}

inline fn bytesOut(ptr: ?[*]u8, len: usize) []u8 {
    if (len == 0) return &.{};
    return ptr.?[0..len];
}

/// A byte length or count passed as f64: a non-negative integer not above 2^53.
fn length(m: *Machine, len: f64) machine.Error!usize {
    if (!(len >= 0 and len <= 9007199254740992.0) or @floor(len) != len) {
        return m.fail(.bad_argument, "Bad length: {d} is not a non-negative integer", .{len});
    }
    const n: usize = @intFromFloat(len);
    assert(n <= 1 << 53);
    return n;
}

inline fn handleResult(r: machine.Error!u32) u32 {
    return r catch 0;
}

inline fn status(r: machine.Error!void) i32 {
    r catch return -1;
    return 0;
}

// ---------------------------------------------------------------- the library and its machine

/// The ABI version; the host refuses a library whose version differs from its own.
export fn cellar_abi_version() callconv(.c) u32 {
    return constants.abi_version;
}

/// Set this thread's workspace limit in MiB: before first use, or when no handles are live
/// (the machine is then rebuilt on next use). 0 on success, -1 on failure.
export fn cellar_configure(limit_mib: u32) callconv(.c) i32 {
    machine.configure(limit_mib) catch return -1;
    return 0;
}

/// This thread's machine id, for `cellar_interrupt` from another thread; 0 if unavailable.
export fn cellar_machine_id() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return m.id;
}

/// Interrupt the current (or next) computation of the machine `machine_id` with %intr.
/// Safe to call from any thread. 0 on success, -1 when no machine has that id.
export fn cellar_interrupt(machine_id: u32) callconv(.c) i32 {
    return if (registry.interrupt(machine_id)) 0 else -1;
}

/// Error kind of the last failure: 0 none, 1 exit, 2 meme, 3 intr, 4 bad handle,
/// 5 bad noun shape, 6 bad jam, 7 bad argument, 8 PMA (see `cellar_error_name`).
export fn cellar_error_kind() callconv(.c) u32 {
    return @intFromEnum(machine.lastError().kind);
}

/// Copy the last error's UTF-8 message into `buf` (as much as fits); returns its full length.
export fn cellar_error_message(buf: ?[*]u8, len: u32) callconv(.c) u32 {
    return copyText(machine.lastError().text(), bytesOut(buf, len));
}

/// Copy the last error's name into `buf` (as much as fits); returns its full length. For a
/// PMA failure (kind 8) it is the pma.zig error ("MetaChecksum", "Locked", ...), otherwise
/// the kind ("exit", "bad_handle", ...).
export fn cellar_error_name(buf: ?[*]u8, len: u32) callconv(.c) u32 {
    return copyText(machine.lastError().name(), bytesOut(buf, len));
}

/// A handle to the trace (a list) of the last Nock failure; 0 if there is none.
export fn cellar_error_trace() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.errorTrace());
}

// ---------------------------------------------------------------- handles

/// Release a handle. 0 on success, -1 for a bad handle.
export fn cellar_release(handle: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    m.release(handle) catch return -1;
    return 0;
}

/// A second handle to the same noun.
export fn cellar_dup(handle: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.dup(handle));
}

/// Number of live handles on this thread.
export fn cellar_handle_count() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return m.handles.live_count;
}

// ---------------------------------------------------------------- building nouns

/// An atom from a non-negative integral f64 below 2^64.
export fn cellar_atom_from_f64(value: f64) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    if (!(value >= 0 and value < 18446744073709551616.0) or @floor(value) != value) {
        return handleResult(m.fail(.bad_argument, "Bad atom: {d} is not a non-negative integer below 2^64", .{value}));
    }
    const v: u64 = @intFromFloat(value);
    assert(@as(f64, @floatFromInt(v)) == value);
    return handleResult(m.atomFromU64(v));
}

/// An atom from little-endian bytes.
export fn cellar_atom_from_bytes(buf: ?[*]const u8, len: f64) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    const n = length(m, len) catch return 0;
    return handleResult(m.atomFromBytes(bytesIn(buf, n)));
}

/// The cell [head tail].
export fn cellar_cell(head: u32, tail: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.cell(head, tail));
}

/// The right-nested tuple of `count` (>= 1) handles, read as little-endian u32s from `buf`.
export fn cellar_tuple(buf: ?[*]const u8, count: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    const bytes = bytesIn(buf, @as(usize, count) * 4);
    assert(bytes.len == @as(usize, count) * 4);
    var stack_items: [64]u32 = undefined;
    const items = if (count <= stack_items.len) stack_items[0..count] else m.gpa.alloc(u32, count) catch {
        return handleResult(m.fail(.meme, "Out of memory: cannot read {d} tuple items", .{count}));
    };
    defer if (count > stack_items.len) m.gpa.free(items);
    for (items, 0..) |*item, i| item.* = std.mem.readInt(u32, bytes[i * 4 ..][0..4], .little);
    return handleResult(m.tuple(items));
}

// ---------------------------------------------------------------- reading nouns

/// 1 for a cell, 0 for an atom, -1 for a bad handle.
export fn cellar_is_cell(handle: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const is_cell = m.isCell(handle) catch return -1;
    return @intFromBool(is_cell);
}

/// A handle to the head of a cell (0 for an atom or a bad handle).
export fn cellar_head(handle: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.child(handle, .head));
}

/// A handle to the tail of a cell (0 for an atom or a bad handle).
export fn cellar_tail(handle: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.child(handle, .tail));
}

/// A handle to the noun at an axis given as little-endian bytes.
export fn cellar_at(handle: u32, axis: ?[*]const u8, len: f64) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    const n = length(m, len) catch return 0;
    return handleResult(m.at(handle, bytesIn(axis, n)));
}

/// Byte length of an atom (0 for 0), or -1.
export fn cellar_atom_byte_length(handle: u32) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = m.atomByteLength(handle) catch return -1;
    return @floatFromInt(n);
}

/// Copy an atom's little-endian bytes into `buf` (as many as fit); returns the full byte
/// length, or -1.
export fn cellar_atom_read(handle: u32, buf: ?[*]u8, len: f64) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = length(m, len) catch return -1;
    const full = m.atomRead(handle, bytesOut(buf, n)) catch return -1;
    return @floatFromInt(full);
}

/// An atom's value when it is below 2^53; -1 when it is larger; -2 on failure.
export fn cellar_atom_to_f64(handle: u32) callconv(.c) f64 {
    const m = machine.current() orelse return -2;
    const v = (m.atomToU64(handle) catch return -2) orelse return -1;
    if (v > 9007199254740991) return -1;
    assert(@as(u64, @intFromFloat(@as(f64, @floatFromInt(v)))) == v); // Exact below 2^53.
    return @floatFromInt(v);
}

/// The mug (31 bits), or -1.
export fn cellar_mug(handle: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const mug = m.mug(handle) catch return -1;
    return @intCast(mug);
}

/// 1 when the nouns are equal, 0 when not, -1 on failure.
export fn cellar_equals(a: u32, b: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const eq = m.equals(a, b) catch return -1;
    return @intFromBool(eq);
}

// ---------------------------------------------------------------- jam and cue

/// Jam a noun into the pending output; returns its byte length (fetch it with
/// `cellar_take_output`), or -1.
export fn cellar_jam(handle: u32) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = m.jam(handle) catch return -1;
    return @floatFromInt(n);
}

/// Copy the pending output into `buf` (as much as fits) and drop it; returns its full length.
export fn cellar_take_output(buf: ?[*]u8, len: f64) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = length(m, len) catch return -1;
    return @floatFromInt(m.takeOutput(bytesOut(buf, n)));
}

/// Cue jammed bytes into a noun.
export fn cellar_cue(buf: ?[*]const u8, len: f64) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    const n = length(m, len) catch return 0;
    return handleResult(m.cue(bytesIn(buf, n)));
}

// ---------------------------------------------------------------- nock

/// The product of nock(subject, formula) under its limits: at most `steps_max` Nock steps
/// and `timeout_ms` wall-clock milliseconds (0 = none); 0 on failure (kind 1 exit, 2 meme,
/// 3 intr, with a trace from `cellar_error_trace`; 7 for bad limits). The limits travel
/// with every call: this call writes both onto the machine just before it runs, replacing
/// those of the call before, so no call inherits another's (a call with bad limits runs
/// nothing and leaves them as they were).
export fn cellar_nock(subject: u32, formula: u32, steps_max: f64, timeout_ms: f64) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    const steps = length(m, steps_max) catch return 0;
    if (!(timeout_ms >= 0 and timeout_ms <= 1e12)) {
        return handleResult(m.fail(.bad_argument, "Bad timeout: {d} ms", .{timeout_ms}));
    }
    const timeout_ns: u64 = @intFromFloat(timeout_ms * std.time.ns_per_ms);
    assert(timeout_ns <= 1_000_000_000_000 * std.time.ns_per_ms);
    m.setLimits(steps, timeout_ns);
    return handleResult(m.nock(subject, formula));
}

/// Nock steps taken by the last computation.
export fn cellar_steps() callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    return @floatFromInt(m.steps());
}

/// Drain the slogs of past computations into a list of [priority tank], oldest first.
export fn cellar_slogs() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.slogs());
}

// ---------------------------------------------------------------- jets

/// Jet-check mode for later computations of this thread (1 on, 0 off): every jet call also
/// runs its Nock, a mismatch is slogged (priority 3) and counted, and the Nock's product is
/// used. 0 on success, -1 on failure.
export fn cellar_jet_check(on: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (on > 1) return status(m.fail(.bad_argument, "Bad jet-check flag: {d}", .{on}));
    m.setJetCheck(on == 1);
    return 0;
}

/// Jet profiling (1 on, 0 off and clear): count calls per registered arm, for
/// `cellar_jet_report`. 0 on success, -1 on failure.
export fn cellar_jet_profile(on: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (on > 1) return status(m.fail(.bad_argument, "Bad jet-profile flag: {d}", .{on}));
    m.setJetProfile(on == 1);
    return 0;
}

/// Jet and memo counters as seventeen little-endian u64 fields: %fast hints, registrations,
/// dropped hints, jet calls, jet punts, checks, mismatches, memo hits, memo misses, memo
/// entries, memo evictions, memo bytes (reachable from its entries at the last collection),
/// memo budget bytes, checks skipped (over their step budget), memo inserts, registrations
/// whose path has no jet-table entry, hints dropped for an unknown parent. `len` must be at
/// least 136. 0 on success, -1 on failure.
export fn cellar_jet_stats(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (len < jet_stats_bytes) {
        return status(m.fail(.bad_argument, "Bad jet stats buffer: {d} bytes, need {d}", .{ len, jet_stats_bytes }));
    }
    writeFields(bytesOut(buf, len), &m.jetStats());
    return 0;
}

/// The %memo cache's budget in bytes, and jet-check's step budget per check (0: no limit);
/// a negative value leaves that limit as it is. 0 on success, -1 on failure.
export fn cellar_jet_limits(memo_budget_bytes: f64, check_steps: f64) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const max: f64 = @floatFromInt(@as(u64, 1) << 53);
    if (memo_budget_bytes > max or check_steps > max or std.math.isNan(memo_budget_bytes) or std.math.isNan(check_steps)) {
        return status(m.fail(.bad_argument, "Bad jet limits: {d} memo bytes, {d} check steps", .{ memo_budget_bytes, check_steps }));
    }
    const budget: ?u64 = if (memo_budget_bytes < 0) null else @intFromFloat(memo_budget_bytes);
    const steps: ?u64 = if (check_steps < 0) null else @intFromFloat(check_steps);
    m.setJetLimits(budget, steps);
    return 0;
}

/// The profile as folded stacks (UTF-8, one `outer;...;inner microseconds` line per call
/// path of profiled arms) into the pending output; returns its byte length, or -1.
export fn cellar_jet_folded() callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = m.jetFolded() catch return -1;
    return @floatFromInt(n);
}

/// Bytes of `cellar_jet_stats` output.
const jet_stats_bytes: u32 = 17 * 8;

/// Add to the process-wide jet table (UTF-8 text, one item a line: `jet PATH ENTRY` or
/// `core PATH PARENT-AXIS PAYLOAD MUG SHA256`; see zig/jets/table.zig): all items or, on a
/// bad line, none (the error names it). Returns how many items were new, or -1.
export fn cellar_jets_add(buf: ?[*]const u8, len: f64) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = length(m, len) catch return -1;
    const count = m.jetsAdd(bytesIn(buf, n)) catch return -1;
    return @intCast(count);
}

/// The jet table as text (the `cellar_jets_add` form, after one `entry NAME` line per
/// native entry) into the pending output: its built-in items (`added` 0) or those added at
/// run time (`added` 1). Returns its byte length, or -1.
export fn cellar_jets_table(added: u32) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    if (added > 1) return @floatFromInt(status(m.fail(.bad_argument, "Bad jet table selector: {d}", .{added})));
    const n = m.jetsTable(added == 1) catch return -1;
    return @floatFromInt(n);
}

/// The registered paths and the profile as UTF-8 text into the pending output (fetch it
/// with `cellar_take_output`); returns its byte length, or -1.
export fn cellar_jet_report() callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    const n = m.jetReport() catch return -1;
    return @floatFromInt(n);
}

// ---------------------------------------------------------------- memory

/// Collect the workspace now. 0 on success.
export fn cellar_collect() callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    m.ws.collect();
    return 0;
}

/// Workspace statistics as five little-endian u64 fields: limit, used, live after the last
/// collection, collections, peak used (bytes). `len` must be at least 40. 0 on success.
export fn cellar_stats(buf: ?[*]u8, len: f64) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = length(m, len) catch return -1;
    if (n < stats_bytes) {
        return status(m.fail(.bad_argument, "Bad stats buffer: {d} bytes, need {d}", .{ n, stats_bytes }));
    }
    const s = m.ws.stats();
    const fields = [_]u64{ s.limit_bytes, s.used_bytes, s.live_bytes_after_gc, s.collections, s.peak_used_bytes };
    comptime assert(fields.len * 8 == stats_bytes);
    writeFields(bytesOut(buf, n), &fields);
    return 0;
}

// ---------------------------------------------------------------- PMA (one per thread)

/// Open the slab in the directory `dir` (UTF-8 path bytes) and attach it to this thread's
/// machine. `flags`: 1 read-only replica, 2 do not create, 4 strict (refuse any failed
/// slot), 8 delete the pre-GC slab file after a GC. `sidecar`: 0 off, 1 at GC / close /
/// on request, 2 after every commit too. `reserve_bytes` / `initial_bytes`: 0 = default.
/// 0 on success, -1 on failure.
export fn cellar_pma_open(dir: ?[*]const u8, dir_len: u32, flags: u32, sidecar: u32, reserve_bytes: f64, initial_bytes: f64) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    return status(pmaOpen(m, bytesIn(dir, dir_len), flags, sidecar, reserve_bytes, initial_bytes));
}

fn pmaOpen(m: *Machine, dir: []const u8, flags: u32, sidecar: u32, reserve_bytes: f64, initial_bytes: f64) machine.Error!void {
    if (flags & ~pma_flags_all != 0) return m.fail(.bad_argument, "Bad PMA flags: {d}", .{flags});
    if (sidecar > 2) return m.fail(.bad_argument, "Bad PMA sidecar mode: {d}", .{sidecar});
    assert(sidecar <= @intFromEnum(pma.SidecarMode.every_commit));
    var options: pma.Options = .{
        .create = flags & pma_flag_no_create == 0,
        .strict = flags & pma_flag_strict != 0,
        .keep_previous_slab = flags & pma_flag_drop_previous_slab == 0,
        .sidecar = @enumFromInt(sidecar),
    };
    const reserve = try length(m, reserve_bytes);
    const initial = try length(m, initial_bytes);
    if (reserve != 0) options.reserve_bytes = reserve;
    if (initial != 0) options.initial_bytes = initial;
    try m.pmaOpen(dir, flags & pma_flag_read_only != 0, options);
}

/// Close this thread's PMA. PMA nouns still held are copied into the workspace first.
/// 0 on success, -1 on failure (then the PMA stays open).
export fn cellar_pma_close() callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    return status(m.pmaClose());
}

/// Commit the noun `root` as the durable state. `record` holds the event number (u64 LE)
/// and the 32-byte kernel hash. A handle to the root as it now lives in the PMA, or 0.
export fn cellar_pma_commit(root: u32, record: ?[*]const u8, record_len: u32) callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    if (record_len != pma_commit_record_bytes) {
        return handleResult(m.fail(.bad_argument, "Bad commit record: {d} bytes, need {d}", .{ record_len, pma_commit_record_bytes }));
    }
    const bytes = bytesIn(record, record_len);
    assert(bytes.len == pma_commit_record_bytes);
    const event_number = std.mem.readInt(u64, bytes[0..8], .little);
    return handleResult(m.pmaCommit(root, event_number, bytes[8..40]));
}

/// A handle to the committed root (read in place from the mapping), or 0.
export fn cellar_pma_root() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.pmaRoot());
}

/// The PMA's state as eleven little-endian u64 fields: capacity (file size), reserve, used,
/// live after the last GC, growth count, bytes appended by the last commit, generation,
/// commit sequence, event number, file id, read-only (0/1); then the 32-byte kernel hash.
/// `len` must be at least 120. 0 on success, -1 on failure.
export fn cellar_pma_info(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (len < pma_info_bytes) {
        return status(m.fail(.bad_argument, "Bad PMA info buffer: {d} bytes, need {d}", .{ len, pma_info_bytes }));
    }
    const p = m.attachedPma() catch return -1;
    const s = p.stats();
    const fields = [11]u64{
        s.capacity_bytes,      s.reserve_bytes,                 s.used_bytes,
        s.live_bytes_after_gc, s.growth_count,                  s.appended_bytes_last_commit,
        s.generation,          s.commit_seq,                    s.event_number,
        s.file_id,             @intFromBool(p.mode == .reader),
    };
    comptime assert(fields.len * 8 + 32 == pma_info_bytes);
    const out = bytesOut(buf, len);
    writeFields(out, &fields);
    @memcpy(out[88..120], &p.kernelHash());
    return 0;
}

/// Copy-compact the PMA into its other slab file; every PMA noun this thread holds follows.
/// Writes six little-endian u64 fields: used bytes before, used bytes after, live bytes,
/// references re-pointed, ns spent finding them, ns of the PMA GC, then the ns of its
/// phases: check, mark, copy, sync. `len` >= 80.
/// 0 on success, -1 on failure.
export fn cellar_pma_gc(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (len < pma_gc_bytes) {
        return status(m.fail(.bad_argument, "Bad PMA GC buffer: {d} bytes, need {d}", .{ len, pma_gc_bytes }));
    }
    const r = m.pmaGc() catch return -1;
    const ph = r.gc.phase_ns;
    const fields = [10]u64{
        r.gc.used_bytes_before, r.gc.used_bytes_after, r.gc.live_bytes, r.references, r.scan_ns, r.gc_ns,
        ph.check,               ph.mark,               ph.copy,         ph.sync,
    };
    comptime assert(fields.len * 8 == pma_gc_bytes);
    writeFields(bytesOut(buf, len), &fields);
    return 0;
}

/// Replicas: move to the newest durable commit. 0 unchanged, 1 advanced (same file),
/// 2 switched (a GC replaced the file; held PMA nouns were copied into the workspace),
/// -1 on failure (the replica stays where it was).
export fn cellar_pma_refresh() callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const r = m.pmaRefresh() catch return -1;
    return @intFromEnum(r);
}

/// blake3 of the committed data (mug bits masked) into `buf` (32 bytes). 0 or -1.
export fn cellar_pma_verify(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (len < 32) return status(m.fail(.bad_argument, "Bad digest buffer: {d} bytes, need 32", .{len}));
    const digest = m.pmaVerify() catch return -1;
    @memcpy(bytesOut(buf, len)[0..32], &digest);
    return 0;
}

/// Write the `pma.meta` sidecar now (temp file, fsync, rename, directory fsync). 0 or -1.
export fn cellar_pma_write_sidecar() callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    return status(m.pmaWriteSidecar());
}

/// Why meta slots were passed over at open or the last refresh, as JSON, into `buf`;
/// returns the bytes written, or -1 (also when `buf` is too small; 1 KiB always suffices).
export fn cellar_pma_report(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = m.pmaReport(bytesOut(buf, len)) catch return -1;
    return @intCast(n);
}

// ---------------------------------------------------------------- PMA data checksums

/// One step of the attached PMA's background scrub: about `max_bytes` (>= 1) more of its
/// data checked against its checksums. Writes the progress as JSON into `buf` (see
/// machine_pma.zig `writeProgress`; 1 KiB always suffices) and returns its length, or -1.
/// A fault found by a writer stops its commits and is recorded in `pma.fault`.
export fn cellar_pma_scrub(max_bytes: f64, buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const budget = length(m, max_bytes) catch return -1;
    const n = machine_pma.pmaScrub(m, budget, bytesOut(buf, len)) catch return -1;
    return @intCast(n);
}

/// Check every data checksum of the attached PMA now (one whole pass); the result as
/// `cellar_pma_scrub` gives it. Faults are reported, not failed on.
export fn cellar_pma_check(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = machine_pma.pmaCheck(m, bytesOut(buf, len)) catch return -1;
    return @intCast(n);
}

/// The mug of `handle` (a noun of the attached PMA, or a direct atom) recomputed without
/// reading or writing cached mugs, and how many cached mugs on the way differ, as JSON into
/// `buf` (256 bytes suffice); returns its length, or -1.
export fn cellar_pma_recompute_mug(handle: u32, buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = machine_pma.pmaRecomputeMug(m, handle, bytesOut(buf, len)) catch return -1;
    return @intCast(n);
}

/// Turn data checksums of the attached writer's commits on (1) or off (0). 0 or -1.
export fn cellar_pma_set_data_checksums(on: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (on > 1) return status(m.fail(.bad_argument, "Bad data checksums flag: {d}", .{on}));
    return status(machine_pma.pmaSetDataChecksums(m, on == 1));
}

// ---------------------------------------------------------------- jet registrations (cold state)

/// The jet registrations of this thread's dashboard as a noun (a list of
/// `[battery name hooks payload parent axis path]`), or 0.
export fn cellar_jets_export() callconv(.c) u32 {
    const m = machine.current() orelse return 0;
    return handleResult(m.jetsExport());
}

/// Add the registrations of a noun made by `cellar_jets_export` (possibly in another
/// process, read back from a PMA). Returns how many were new, or -1.
export fn cellar_jets_import(handle: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const n = m.jetsImport(handle) catch return -1;
    return @intCast(n);
}

// ---------------------------------------------------------------- files (snapshots, hashes, locks)

/// Bytes of `cellar_pma_snapshot` output: five little-endian u64 fields, then the blake3.
const snapshot_info_bytes: u32 = 5 * 8 + 32;

fn filesFail(m: *Machine, err: files.Error) i32 {
    m.failFile(@errorName(err), files.lastMessage()) catch {};
    return -1;
}

/// Write a snapshot of this thread's writer PMA (its committed bytes) to the new file
/// `path`, fsynced. Writes bytes written, used bytes, event number, file id, commit
/// sequence (u64 LE each), then the blake3 of the file, into `buf` (>= 72 bytes).
export fn cellar_pma_snapshot(path: ?[*]const u8, path_len: u32, buf: ?[*]u8, len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    if (len < snapshot_info_bytes) {
        return status(m.fail(.bad_argument, "Bad snapshot buffer: {d} bytes, need {d}", .{ len, snapshot_info_bytes }));
    }
    const p = m.attachedPma() catch return -1;
    if (p.mode != .writer) return status(m.fail(.bad_argument, "Cannot snapshot a read-only PMA", .{}));
    const r = files.writeSnapshot(p, bytesIn(path, path_len)) catch |e| return filesFail(m, e);
    const out = bytesOut(buf, len);
    const fields = [5]u64{ r.bytes, r.used_bytes, r.event_number, r.file_id, r.commit_seq };
    comptime assert(fields.len * 8 + 32 == snapshot_info_bytes);
    writeFields(out, &fields);
    @memcpy(out[40..72], &r.digest);
    return 0;
}

/// blake3 of the file at `path` into `buf` (32 bytes); returns its size, or -1.
export fn cellar_blake3_file(path: ?[*]const u8, path_len: u32, buf: ?[*]u8, len: u32) callconv(.c) f64 {
    const m = machine.current() orelse return -1;
    if (len < 32) return @floatFromInt(status(m.fail(.bad_argument, "Bad digest buffer: {d} bytes, need 32", .{len})));
    const n = files.hashFile(bytesIn(path, path_len), bytesOut(buf, len)[0..32]) catch |e| return @floatFromInt(filesFail(m, e));
    return @floatFromInt(n);
}

/// Install (or with null, remove) this thread's progress hook: called with (kind, done
/// bytes, total bytes) during GC, snapshot writing and file hashing (progress.zig).
export fn cellar_progress_hook(hook: ?progress.Hook) callconv(.c) void {
    progress.setHook(hook);
}

/// The latest native progress report of any thread: kind, done, total, ms since the epoch
/// (four little-endian u64 into `buf`, >= 32 bytes; all zero before the first), then, when
/// `buf` has 40 bytes, the Nock steps counted so far. 0 or -1.
export fn cellar_progress_latest(buf: ?[*]u8, len: u32) callconv(.c) i32 {
    if (len < 32) return -1;
    const fields = progress.readLatest();
    writeFields(bytesOut(buf, len), fields[0..if (len >= 40) 5 else 4]);
    return 0;
}

/// blake3 of the bytes `data` into `buf` (32 bytes). 0 or -1.
export fn cellar_blake3(data: ?[*]const u8, data_len: u32, buf: ?[*]u8, len: u32) callconv(.c) i32 {
    if (len < 32) return -1;
    std.crypto.hash.Blake3.hash(bytesIn(data, data_len), bytesOut(buf, len)[0..32], .{});
    return 0;
}

/// Copy the file `src` to `dest` durably (temp file, fsync, rename, directory fsync). 0 or -1.
export fn cellar_install_copy(src: ?[*]const u8, src_len: u32, dest: ?[*]const u8, dest_len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    files.installCopy(bytesIn(src, src_len), bytesIn(dest, dest_len)) catch |e| return filesFail(m, e);
    return 0;
}

/// fsync the directory `path`. 0 or -1.
export fn cellar_sync_dir(path: ?[*]const u8, path_len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    files.syncDir(bytesIn(path, path_len)) catch |e| return filesFail(m, e);
    return 0;
}

/// Take an exclusive non-blocking lock on the file `path` (created if absent). Returns a
/// descriptor (>= 0) that holds it until `cellar_unlock`, or -1 (error name "Locked" when
/// another process holds it).
export fn cellar_lock(path: ?[*]const u8, path_len: u32) callconv(.c) i32 {
    const m = machine.current() orelse return -1;
    const fd = files.lockFile(bytesIn(path, path_len)) catch |e| return filesFail(m, e);
    return fd;
}

/// Release a lock taken by `cellar_lock`.
export fn cellar_unlock(fd: i32) callconv(.c) void {
    if (fd >= 0) files.unlock(fd);
}

test "ffi: handles round trip through the C ABI" {
    const t = std.testing;
    const a = cellar_atom_from_f64(42);
    const b = cellar_atom_from_bytes(&[_]u8{ 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 9);
    const c = cellar_cell(a, b);
    try t.expect(a != 0 and b != 0 and c != 0);
    try t.expectEqual(@as(i32, 1), cellar_is_cell(c));
    try t.expectEqual(@as(f64, 42), cellar_atom_to_f64(cellar_head(c)));
    try t.expectEqual(@as(f64, -1), cellar_atom_to_f64(cellar_tail(c)));
    try t.expectEqual(@as(u32, 0), cellar_head(a));
    try t.expectEqual(@as(u32, 5), cellar_error_kind());
    var msg: [64]u8 = undefined;
    const n = cellar_error_message(&msg, msg.len);
    try t.expectEqualStrings("Cannot take the head of an atom", msg[0..n]);
    try t.expectEqual(@as(u32, 0), cellar_atom_from_f64(-1));
    try t.expectEqual(@as(u32, 7), cellar_error_kind());
    try t.expectEqual(@as(i32, 0), cellar_release(a));
    try t.expectEqual(@as(i32, -1), cellar_release(a));
    try t.expectEqual(@as(u32, 4), cellar_error_kind());
    var stats: [40]u8 = undefined;
    try t.expectEqual(@as(i32, 0), cellar_stats(&stats, stats.len));
    try t.expectEqual(constants.workspace_limit_bytes_default, std.mem.readInt(u64, stats[0..8], .little));
}

test "ffi: a PMA opens, commits, reports and closes through the C ABI" {
    const t = std.testing;
    var tmp = t.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try tmp.dir.realpath(".", &path_buf);
    try t.expectEqual(@as(u32, 0), cellar_pma_root());
    try t.expectEqual(@as(u32, 7), cellar_error_kind());
    try t.expectEqual(@as(i32, -1), cellar_pma_open(dir.ptr, @intCast(dir.len), 16, 0, 0, 0));
    try t.expectEqual(@as(i32, 0), cellar_pma_open(dir.ptr, @intCast(dir.len), 0, 0, 0, 0));
    const state = cellar_cell(cellar_atom_from_f64(1), cellar_atom_from_bytes(&[_]u8{9} ** 12, 12));
    var record: [40]u8 = @splat(0xab);
    std.mem.writeInt(u64, record[0..8], 7, .little);
    const root = cellar_pma_commit(state, &record, record.len);
    try t.expect(root != 0);
    try t.expectEqual(@as(i32, 1), cellar_equals(root, state));
    var info: [pma_info_bytes]u8 = undefined;
    try t.expectEqual(@as(i32, 0), cellar_pma_info(&info, info.len));
    try t.expectEqual(@as(u64, 7), std.mem.readInt(u64, info[64..72], .little));
    try t.expectEqual(@as(u64, 3 * 8 + 3 * 8), std.mem.readInt(u64, info[40..48], .little));
    try t.expectEqualSlices(u8, record[8..40], info[88..120]);
    // An older event number is refused with the pma.zig error's name.
    std.mem.writeInt(u64, record[0..8], 6, .little);
    try t.expectEqual(@as(u32, 0), cellar_pma_commit(state, &record, record.len));
    try t.expectEqual(@as(u32, 8), cellar_error_kind());
    var name: [32]u8 = undefined;
    try t.expectEqualStrings("EventOrder", name[0..cellar_error_name(&name, name.len)]);
    var report: [1024]u8 = undefined;
    const n = cellar_pma_report(&report, report.len);
    try t.expectEqualStrings("{\"sidecar\":\"absent\",\"rejected\":[]}", report[0..@intCast(n)]);
    try t.expectEqual(@as(i32, 0), cellar_pma_close());
    try t.expectEqual(@as(i32, 1), cellar_equals(root, state));
    try t.expectEqual(@as(i32, 0), cellar_release(root));
    try t.expectEqual(@as(i32, 0), cellar_release(state));
}
