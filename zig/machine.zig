//! The machine: everything one host thread computes with. A workspace, the handle table
//! that roots the nouns the host holds, the interpreter's context, the last error and the
//! pending output bytes.
//!
//! One machine per thread, created lazily on first use (`current`). Deno Workers are
//! threads, so each Worker gets its own machine and no locks are needed on any hot path.
//! The only cross-thread operation is `interrupt(id)`, which goes through a small global
//! registry (registry.zig) under a mutex and touches nothing but an atomic flag.
//!
//! Every operation that can fail records the error kind and a message on the machine and
//! returns `error.Failed`; ffi.zig turns that into a 0 / -1 result for the host, which then
//! asks for the kind, message and trace.
//!
//! PMA. A machine may have one Persistent Memory Arena attached (a writer, or a read-only
//! replica); machine_pma.zig attaches it and keeps the PMA nouns the machine holds valid
//! when their mapping changes.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const workspace_mod = @import("workspace.zig");
const Workspace = workspace_mod.Workspace;
const Handles = @import("handles.zig").Handles;
const interpreter = @import("interpreter.zig");
const jam_mod = @import("jam.zig");
const cue_mod = @import("cue.zig");
const mug_mod = @import("mug.zig");
const equality = @import("equality.zig");
const noun_mod = @import("noun.zig");
const pma_mod = @import("pma.zig");
const Pma = pma_mod.Pma;
const machine_pma = @import("machine_pma.zig");
const registry = @import("registry.zig");
const Dashboard = @import("dashboard.zig").Dashboard;
const jet_table = @import("jets/table.zig");

/// Error codes as the host sees them (stable: part of the ABI).
pub const ErrorKind = enum(u32) {
    none = 0,
    exit = 1,
    meme = 2,
    intr = 3,
    bad_handle = 4,
    bad_shape = 5,
    bad_jam = 6,
    bad_argument = 7,
    /// A PMA operation failed; `ErrorState.error_name` holds the pma.zig error name.
    pma = 8,
};

pub const Error = error{Failed};

/// Kind and message of the last failure.
pub const ErrorState = struct {
    kind: ErrorKind = .none,
    message_len: u32 = 0,
    message: [constants.error_message_bytes_max]u8 = undefined,
    /// For `.pma`: the name of the pma.zig error ("MetaChecksum", "Locked", ...). Static.
    error_name: []const u8 = "",

    pub fn text(e: *const ErrorState) []const u8 {
        assert(e.message_len <= e.message.len);
        return e.message[0..e.message_len];
    }

    /// The error's name: the pma.zig error for `.pma`, else the kind.
    pub fn name(e: *const ErrorState) []const u8 {
        return if (e.error_name.len > 0) e.error_name else @tagName(e.kind);
    }

    fn set(e: *ErrorState, kind: ErrorKind, comptime fmt: []const u8, args: anytype) void {
        assert(kind != .none);
        e.kind = kind;
        e.error_name = "";
        const written = std.fmt.bufPrint(&e.message, fmt, args) catch blk: {
            // Too long: keep what fits and mark the cut.
            const cut = "...";
            @memcpy(e.message[e.message.len - cut.len ..], cut);
            break :blk e.message[0..];
        };
        e.message_len = @intCast(written.len);
    }
};

pub const Child = enum { head, tail };

pub const Machine = struct {
    gpa: std.mem.Allocator,
    ws: Workspace,
    handles: Handles,
    ctx: interpreter.Context,
    /// Registry id for cross-thread interrupts; 0 when the registry was full.
    id: u32 = 0,
    last: ErrorState = .{},
    /// Trace of the last Nock failure, rooted by `visit` while it is kept.
    trace: ?Noun = null,
    /// Bytes produced by the last jam, waiting for the host to take them.
    output: []u8 = &.{},
    /// Set from any thread (`interrupt`) to stop the running computation; cleared after it.
    interrupt_flag: std.atomic.Value(bool) = .init(false),
    /// Wall-clock budget of each computation (0 = none); the deadline is set at its start.
    timeout_ns: u64 = 0,
    /// Steps taken by the last computation.
    last_steps: u64 = 0,
    /// The attached PMA, if any, with the directory and options it was opened with (a
    /// replica's refresh opens the directory again).
    pma: ?*Pma = null,
    pma_dir: []u8 = &.{},
    pma_options: pma_mod.Options = .{},
    /// Jets: %fast registrations, matching at Nock 9, jet-check mode, and the %memo cache.
    dashboard: Dashboard,

    pub fn create(gpa: std.mem.Allocator, limit_bytes: u64) !*Machine {
        const m = try gpa.create(Machine);
        errdefer gpa.destroy(m);
        m.* = .{
            .gpa = gpa,
            .ws = try Workspace.init(gpa, limit_bytes),
            .handles = Handles.init(gpa),
            .ctx = undefined,
            .dashboard = undefined,
        };
        errdefer m.ws.deinit();
        errdefer m.handles.deinit();
        // The context keeps pointers to the workspace, so it is made in place.
        try m.ctx.init(&m.ws);
        errdefer m.ctx.deinit();
        try m.dashboard.init(&m.ws);
        errdefer m.dashboard.deinit();
        m.ctx.hooks = m.dashboard.hooks();
        m.ctx.limits.interrupt = &m.interrupt_flag;
        try m.ws.addRootSet(m.handles.rootSet());
        try m.ws.addRootSet(.{ .ctx = m, .visit = visit });
        m.id = registry.add(&m.interrupt_flag);
        assert(m.handles.live_count == 0);
        assert(m.ws.bases.base[1] == 0); // No PMA until `pmaOpen`.
        return m;
    }

    pub fn destroy(m: *Machine) void {
        registry.remove(&m.interrupt_flag);
        if (m.pma != null) machine_pma.dropPma(m);
        assert(m.pma == null);
        assert(m.ws.bases.base[1] == 0);
        const gpa = m.gpa;
        m.dashboard.deinit();
        m.ctx.deinit();
        m.handles.deinit();
        m.ws.deinit();
        gpa.free(m.output);
        gpa.destroy(m);
    }

    fn visit(ctx: *anyopaque, ws: *Workspace) void {
        const m: *Machine = @ptrCast(@alignCast(ctx));
        assert(&m.ws == ws);
        if (m.trace) |t| m.trace = ws.forward(t);
    }

    /// Record a failure; always returns `error.Failed` so callers can `return m.fail(...)`.
    pub fn fail(m: *Machine, kind: ErrorKind, comptime fmt: []const u8, args: anytype) Error {
        m.last.set(kind, fmt, args);
        m.trace = null;
        assert(m.last.kind == kind);
        return error.Failed;
    }

    fn failMeme(m: *Machine, what: []const u8) Error {
        assert(what.len > 0);
        return m.fail(.meme, "Out of memory: {s} does not fit in the workspace limit ({d} MiB)", .{
            what, m.ws.limit_bytes >> 20,
        });
    }

    /// A safe point: every live noun is in a handle or another root, so collect if due.
    inline fn safePoint(m: *Machine) void {
        if (m.ws.wantsCollect()) m.ws.collect();
    }

    // ------------------------------------------------------------ handles

    pub inline fn noun(m: *Machine, handle: u32) Error!Noun {
        return m.handles.get(handle) catch
            m.fail(.bad_handle, "Invalid handle: {d} is released, stale or was never issued", .{handle});
    }

    pub inline fn hold(m: *Machine, n: Noun) Error!u32 {
        assert(!n.isForward());
        return m.handles.put(n) catch |e| switch (e) {
            error.HandlesFull => m.fail(.meme, "Out of handles: {d} handles are live", .{m.handles.live_count}),
            error.OutOfMemory => m.fail(.meme, "Out of memory: cannot grow the handle table", .{}),
            error.BadHandle => unreachable,
        };
    }

    pub fn release(m: *Machine, handle: u32) Error!void {
        m.handles.release(handle) catch
            return m.fail(.bad_handle, "Cannot release handle {d}: it is released, stale or was never issued", .{handle});
    }

    pub fn dup(m: *Machine, handle: u32) Error!u32 {
        return m.hold(try m.noun(handle));
    }

    // ------------------------------------------------------------ building nouns

    pub fn atomFromU64(m: *Machine, value: u64) Error!u32 {
        m.safePoint();
        const n = m.ws.atomU64(value) catch return m.failMeme("an atom");
        assert(n.isAtom());
        return m.hold(n);
    }

    pub fn atomFromBytes(m: *Machine, bytes: []const u8) Error!u32 {
        m.safePoint();
        const n = m.ws.atomFromBytes(bytes) catch retry: {
            // Garbage below the collection threshold may be all that is in the way.
            m.ws.collect();
            break :retry m.ws.atomFromBytes(bytes) catch return m.failMeme("an atom");
        };
        assert(n.isAtom());
        return m.hold(n);
    }

    pub fn cell(m: *Machine, head: u32, tail: u32) Error!u32 {
        m.safePoint();
        const c = m.ws.cell(try m.noun(head), try m.noun(tail)) catch retry: {
            // Garbage below the collection threshold may be all that is in the way; the
            // collection moves nouns, so they are read from their handles again.
            m.ws.collect();
            const h = m.handles.get(head) catch unreachable;
            const t = m.handles.get(tail) catch unreachable;
            break :retry m.ws.cell(h, t) catch return m.failMeme("a cell");
        };
        assert(c.isCell());
        return m.hold(c);
    }

    /// A right-nested tuple of at least one noun (one noun is itself).
    pub fn tuple(m: *Machine, handles: []const u32) Error!u32 {
        if (handles.len == 0) return m.fail(.bad_argument, "Cannot build a tuple of no nouns", .{});
        m.safePoint();
        for (handles) |h| _ = try m.noun(h);
        const n = m.buildTuple(handles) catch retry: {
            m.ws.collect();
            break :retry m.buildTuple(handles) catch return m.failMeme("a tuple");
        };
        assert(handles.len == 1 or n.isCell());
        return m.hold(n);
    }

    /// Build from validated handles. No safe point inside: the partial tuple is a local.
    fn buildTuple(m: *Machine, handles: []const u32) workspace_mod.Error!Noun {
        assert(handles.len > 0);
        var acc = m.handles.get(handles[handles.len - 1]) catch unreachable;
        var i = handles.len - 1;
        while (i > 0) {
            i -= 1;
            const item = m.handles.get(handles[i]) catch unreachable;
            acc = try m.ws.cell(item, acc);
        }
        assert(!acc.isForward());
        return acc;
    }

    // ------------------------------------------------------------ reading nouns

    pub inline fn isCell(m: *Machine, handle: u32) Error!bool {
        return (try m.noun(handle)).isCell();
    }

    pub inline fn child(m: *Machine, handle: u32, which: Child) Error!u32 {
        const n = try m.noun(handle);
        if (!n.isCell()) return m.fail(.bad_shape, "Cannot take the {s} of an atom", .{@tagName(which)});
        return m.hold(if (which == .head) m.ws.head(n) else m.ws.tail(n));
    }

    /// The noun at `axis` (little-endian bytes) of the noun `handle` names.
    pub fn at(m: *Machine, handle: u32, axis_bytes: []const u8) Error!u32 {
        var n = try m.noun(handle);
        var len = axis_bytes.len;
        while (len > 0 and axis_bytes[len - 1] == 0) len -= 1;
        if (len == 0) return m.fail(.bad_shape, "Bad axis: 0 names no noun", .{});
        const top = axis_bytes[len - 1];
        assert(top != 0);
        const top_bit: u3 = @intCast(7 - @clz(top));
        // Walk the bits below the leading 1, most significant first: 0 = head, 1 = tail.
        var bit_index: u64 = (@as(u64, len - 1) << 3) + top_bit;
        while (bit_index > 0) {
            bit_index -= 1;
            if (!n.isCell()) return m.failAxis(axis_bytes[0..len]);
            const bit = (axis_bytes[bit_index >> 3] >> @intCast(bit_index & 7)) & 1;
            n = if (bit == 0) m.ws.head(n) else m.ws.tail(n);
        }
        return m.hold(n);
    }

    fn failAxis(m: *Machine, axis_bytes: []const u8) Error {
        assert(axis_bytes.len > 0);
        if (axis_bytes.len <= 8) {
            var v: u64 = 0;
            for (axis_bytes, 0..) |b, i| v |= @as(u64, b) << @intCast(8 * i);
            return m.fail(.bad_shape, "Bad axis: {d} descends into an atom", .{v});
        }
        return m.fail(.bad_shape, "Bad axis: a {d}-byte axis descends into an atom", .{axis_bytes.len});
    }

    fn atom(m: *Machine, handle: u32) Error!Noun {
        const n = try m.noun(handle);
        if (n.isCell()) return m.fail(.bad_shape, "Expected an atom, got a cell", .{});
        assert(n.isAtom());
        return n;
    }

    pub fn atomByteLength(m: *Machine, handle: u32) Error!u64 {
        var scratch: u64 = undefined;
        return m.ws.atomBytes(try m.atom(handle), &scratch).len;
    }

    /// Copy the atom's little-endian bytes into `buf` (as many as fit); returns the full length.
    pub fn atomRead(m: *Machine, handle: u32, buf: []u8) Error!u64 {
        var scratch: u64 = undefined;
        const bytes = m.ws.atomBytes(try m.atom(handle), &scratch);
        const n = @min(bytes.len, buf.len);
        @memcpy(buf[0..n], bytes[0..n]);
        assert(n <= buf.len);
        return bytes.len;
    }

    /// The atom's value if it fits in a u64, else null.
    pub fn atomToU64(m: *Machine, handle: u32) Error!?u64 {
        var scratch: u64 = undefined;
        const bytes = m.ws.atomBytes(try m.atom(handle), &scratch);
        if (bytes.len > 8) return null;
        assert(bytes.len <= @sizeOf(u64));
        var v: u64 = 0;
        for (bytes, 0..) |b, i| v |= @as(u64, b) << @intCast(8 * i);
        return v;
    }

    pub fn mug(m: *Machine, handle: u32) Error!u32 {
        const n = try m.noun(handle);
        return mug_mod.mug(&m.ws, n) catch m.fail(.meme, "Out of memory: the mug walk's stack is full", .{});
    }

    pub fn equals(m: *Machine, a: u32, b: u32) Error!bool {
        const x = try m.noun(a);
        const y = try m.noun(b);
        return equality.equal(&m.ws, x, y) catch
            m.fail(.meme, "Out of memory: the equality walk's stack is full", .{});
    }

    // ------------------------------------------------------------ jam and cue

    /// Jam into the pending output; returns its length in bytes.
    pub fn jam(m: *Machine, handle: u32) Error!u64 {
        m.safePoint();
        const n = try m.noun(handle);
        const bytes = jam_mod.jamBytes(&m.ws, m.gpa, n) catch return m.failMeme("the jam");
        assert(bytes.len > 0); // Even 0 jams to one byte.
        m.gpa.free(m.output);
        m.output = bytes;
        return bytes.len;
    }

    /// Copy the pending output into `buf` (as many bytes as fit) and drop it; returns its
    /// full length.
    pub fn takeOutput(m: *Machine, buf: []u8) u64 {
        const len = m.output.len;
        const n = @min(len, buf.len);
        @memcpy(buf[0..n], m.output[0..n]);
        m.gpa.free(m.output);
        m.output = &.{};
        assert(n <= len);
        return len;
    }

    pub fn cue(m: *Machine, bytes: []const u8) Error!u32 {
        m.safePoint();
        const n = cue_mod.cue(&m.ws, bytes) catch |e| switch (e) {
            error.BadJam => return m.fail(.bad_jam, "Cannot cue: the {d} bytes are not a valid jam", .{bytes.len}),
            error.Meme => retry: {
                m.ws.collect();
                break :retry cue_mod.cue(&m.ws, bytes) catch |e2| switch (e2) {
                    error.BadJam => unreachable, // The same bytes parsed that far before.
                    error.Meme => return m.failMeme("the cued noun"),
                };
            },
        };
        assert(!n.isForward());
        return m.hold(n);
    }

    // ------------------------------------------------------------ nock

    pub fn nock(m: *Machine, subject: u32, formula: u32) Error!u32 {
        m.safePoint();
        const s = try m.noun(subject);
        const f = try m.noun(formula);
        m.ctx.limits.deadline_ns = if (m.timeout_ns == 0) 0 else std.time.nanoTimestamp() + m.timeout_ns;
        // An interrupt aimed at this machine while it was idle applies to this computation;
        // the flag is cleared once the computation is over.
        defer m.interrupt_flag.store(false, .release);
        assert(m.ctx.limits.interrupt == &m.interrupt_flag);
        const steps_before = m.ctx.steps;
        defer m.last_steps = m.ctx.steps - steps_before;
        const product = interpreter.nock(&m.ctx, s, f) catch |e| {
            const kind: ErrorKind, const why: []const u8 = switch (e) {
                error.Exit => .{ .exit, "the computation crashed" },
                error.Meme => .{ .meme, "out of workspace memory" },
                error.Intr => .{ .intr, "interrupted (step limit, time limit or interrupt)" },
            };
            if (kind == .intr) {
                const used = m.ctx.steps - steps_before;
                if (m.ctx.limits.steps_max != 0 and used > m.ctx.limits.steps_max) {
                    m.last.set(kind, "Nock failed: %intr: the step limit of {d} steps was reached", .{m.ctx.limits.steps_max});
                } else if (m.ctx.limits.deadline_ns != 0 and std.time.nanoTimestamp() >= m.ctx.limits.deadline_ns) {
                    m.last.set(kind, "Nock failed: %intr: the time limit of {d} ms was reached", .{m.timeout_ns / std.time.ns_per_ms});
                } else {
                    m.last.set(kind, "Nock failed: %intr: interrupted", .{});
                }
            } else m.last.set(kind, "Nock failed: %{s}: {s}", .{ @tagName(kind), why });
            m.trace = m.ctx.failure_trace;
            m.ctx.failure_trace = Noun.zero;
            return error.Failed;
        };
        return m.hold(product);
    }

    /// Limits of the next computations; 0 means none. `cellar_nock` sets both before every
    /// computation, so a host call never runs under the limits of an earlier one.
    pub fn setLimits(m: *Machine, steps_max: u64, timeout_ns: u64) void {
        m.ctx.limits.steps_max = steps_max;
        m.timeout_ns = timeout_ns;
        assert(m.ctx.limits.steps_max == steps_max);
    }

    pub fn steps(m: *const Machine) u64 {
        return m.last_steps;
    }

    /// Drain the slogs of past computations into a list of `[priority tank]`, oldest first.
    pub fn slogs(m: *Machine) Error!u32 {
        m.safePoint();
        var list = Noun.zero;
        var i = m.ctx.slogs.items.len;
        while (i > 0) {
            i -= 1;
            list = m.ws.cell(m.ctx.slogs.items[i], list) catch return m.failMeme("the slog list");
        }
        m.ctx.slogs.clearRetainingCapacity();
        assert(list == Noun.zero or list.isCell());
        return m.hold(list);
    }

    /// A handle to the trace of the last Nock failure, or 0 when there is none.
    pub fn errorTrace(m: *Machine) Error!u32 {
        const t = m.trace orelse return 0;
        assert(!t.isForward());
        return m.hold(t);
    }

    // ------------------------------------------------------------ jets (dashboard.zig)

    /// Jet-check mode: every jet call also runs its Nock; mismatches are slogged and counted.
    pub fn setJetCheck(m: *Machine, on: bool) void {
        m.dashboard.jet_check = on;
    }

    /// Profiling: count calls per registered arm (see `jetReport`).
    pub fn setJetProfile(m: *Machine, on: bool) void {
        m.dashboard.profiling = on;
        if (!on) m.dashboard.clearProfile();
    }

    /// Counters of the dashboard and the memo cache, in the order of `cellar_jet_stats`.
    pub fn jetStats(m: *Machine) [17]u64 {
        const s = m.dashboard.stats;
        const memo = m.dashboard.memo.currentStats();
        return .{
            s.fast_hints,      s.registrations, s.dropped,    s.jet_calls,  s.jet_punts,      s.checks,
            s.mismatches,      memo.hits,       memo.misses,  memo.entries, memo.evictions,   memo.bytes,
            memo.budget_bytes, s.skipped,       memo.inserts, s.unmatched,  s.dropped_parent,
        };
    }

    /// Add mappings and known cores to the process-wide jet table (jets/table.zig text
    /// form), all or none; this thread's registrations find their new jets at once, other
    /// threads' at their next Nock 9. Returns how many items were new.
    pub fn jetsAdd(m: *Machine, text: []const u8) Error!u32 {
        var buf: [256]u8 = undefined;
        var w = std.Io.Writer.fixed(&buf);
        const n = jet_table.add(text, &w) catch |e| switch (e) {
            error.BadTable => return m.fail(.bad_argument, "Bad jet table: {s}", .{w.buffered()}),
            error.OutOfMemory => return m.failMeme("the jet table"),
        };
        m.dashboard.relink(jet_table.generation.load(.acquire));
        return n;
    }

    /// The jet table in its text form (built-in items, or those added at run time) into the
    /// pending output; returns its length.
    pub fn jetsTable(m: *Machine, added: bool) Error!u64 {
        var out: std.Io.Writer.Allocating = .init(m.gpa);
        errdefer out.deinit();
        jet_table.write(&out.writer, added) catch return m.failMeme("the jet table");
        const text = out.toOwnedSlice() catch return m.failMeme("the jet table");
        m.gpa.free(m.output);
        m.output = text;
        return text.len;
    }

    /// The %memo cache's byte budget and jet-check's step budget per check (0: none).
    pub fn setJetLimits(m: *Machine, memo_budget_bytes: ?u64, check_steps: ?u64) void {
        if (memo_budget_bytes) |b| m.dashboard.memo.setBudget(b);
        if (check_steps) |n| m.dashboard.check_steps_max = n;
    }

    /// The profile as folded stacks (`Dashboard.folded`), into the pending output; its length.
    pub fn jetFolded(m: *Machine) Error!u64 {
        const text = m.dashboard.folded(m.gpa) catch return m.fail(.meme, "Out of memory: cannot write the folded profile", .{});
        m.gpa.free(m.output);
        m.output = text;
        return text.len;
    }

    /// The dashboard's registrations as a noun (`Dashboard.exportCold`), as a handle.
    pub fn jetsExport(m: *Machine) Error!u32 {
        const cold = m.dashboard.exportCold() catch return m.failMeme("the jet registrations");
        return m.hold(cold);
    }

    /// Add the registrations of an exported noun; returns how many were new.
    pub fn jetsImport(m: *Machine, handle: u32) Error!u32 {
        const cold = try m.noun(handle);
        return m.dashboard.importCold(cold) catch |e| switch (e) {
            error.BadColdState => m.fail(.bad_shape, "Bad jet registrations: the noun is not a list of [battery name hooks payload parent axis path]", .{}),
            error.Meme => m.failMeme("the imported jet registrations"),
        };
    }

    /// The registrations and the profile as text, into the pending output; returns its length.
    pub fn jetReport(m: *Machine) Error!u64 {
        const text = m.dashboard.report(m.gpa) catch return m.fail(.meme, "Out of memory: cannot write the jet report", .{});
        m.gpa.free(m.output);
        m.output = text;
        return text.len;
    }

    // ------------------------------------------------------------ PMA

    /// Record a failure of a file or PMA operation (files.zig, machine_pma.zig) under kind
    /// `.pma` with a static error name ("Io", "Locked", "MetaChecksum", ...).
    pub fn failFile(m: *Machine, name: []const u8, message: []const u8) Error {
        assert(name.len > 0);
        m.last.set(.pma, "{s}", .{message});
        m.last.error_name = name;
        m.trace = null;
        return error.Failed;
    }

    // Attached PMA (machine_pma.zig).
    pub const GcReport = machine_pma.GcReport;
    pub const attachedPma = machine_pma.attachedPma;
    pub const pmaOpen = machine_pma.pmaOpen;
    pub const pmaClose = machine_pma.pmaClose;
    pub const pmaCommit = machine_pma.pmaCommit;
    pub const pmaRoot = machine_pma.pmaRoot;
    pub const pmaGc = machine_pma.pmaGc;
    pub const pmaRefresh = machine_pma.pmaRefresh;
    pub const pmaVerify = machine_pma.pmaVerify;
    pub const pmaWriteSidecar = machine_pma.pmaWriteSidecar;
    pub const pmaReport = machine_pma.pmaReport;
};

// ---------------------------------------------------------------- the thread's machine

threadlocal var current_machine: ?*Machine = null;
threadlocal var limit_bytes_configured: u64 = constants.workspace_limit_bytes_default;
/// The error of a failed machine creation (there is no machine to hold it).
threadlocal var creation_error: ErrorState = .{};

/// This thread's machine, created on first use; null if it cannot be created (see `lastError`).
pub inline fn current() ?*Machine {
    return current_machine orelse createCurrent();
}

fn createCurrent() ?*Machine {
    assert(current_machine == null);
    const m = Machine.create(std.heap.c_allocator, limit_bytes_configured) catch |e| {
        creation_error.set(.meme, "Cannot create the machine: {s} (workspace limit {d} MiB)", .{
            @errorName(e), limit_bytes_configured >> 20,
        });
        return null;
    };
    current_machine = m;
    thread_exit.watch(m);
    return m;
}

/// The last error of this thread (of its machine, or of a failed machine creation).
pub fn lastError() *const ErrorState {
    if (current_machine) |m| return &m.last;
    assert(creation_error.kind != .pma); // No file or PMA operation runs without a machine.
    return &creation_error;
}

/// Set the workspace limit of this thread's machine. Allowed before first use, or later when
/// no handles are live (the machine is then replaced by a fresh one on next use).
pub fn configure(limit_mib: u32) Error!void {
    const limit_bytes = @as(u64, limit_mib) << 20;
    const state: *ErrorState = if (current_machine) |m| &m.last else &creation_error;
    if (limit_bytes < constants.workspace_limit_bytes_min or limit_bytes > constants.workspace_limit_bytes_max) {
        state.set(.bad_argument, "Bad workspace limit: {d} MiB is outside {d}..{d} MiB", .{
            limit_mib, constants.workspace_limit_bytes_min >> 20, constants.workspace_limit_bytes_max >> 20,
        });
        return error.Failed;
    }
    if (current_machine) |m| {
        if (m.handles.live_count > 0) {
            state.set(.bad_argument, "Cannot configure the machine: {d} handles are live", .{m.handles.live_count});
            return error.Failed;
        }
        if (m.pma != null) {
            state.set(.bad_argument, "Cannot configure the machine: a PMA is open ({s})", .{m.pma_dir});
            return error.Failed;
        }
        thread_exit.unwatch();
        current_machine = null;
        m.destroy();
    }
    assert(current_machine == null);
    assert(limit_bytes >= constants.workspace_limit_bytes_min);
    limit_bytes_configured = limit_bytes;
}

/// Frees a thread's machine when the thread ends (a terminated Deno Worker), through a
/// pthread key destructor. The library pins itself in memory first (RTLD_NODELETE) so the
/// destructor's code is still mapped even if the host unloads the library before the thread
/// ends; if pinning fails the machine is simply not freed at thread exit.
const thread_exit = struct {
    var key: std.c.pthread_key_t = undefined;
    var state: enum { unset, ready, unavailable } = .unset;
    var mutex: std.Thread.Mutex = .{};

    fn watch(m: *Machine) void {
        assert(current_machine == m);
        if (builtin.os.tag != .linux) return; // pthread keys only where they are used.
        if (!ensureKey()) return;
        _ = std.c.pthread_setspecific(key, m);
    }

    fn unwatch() void {
        assert(current_machine != null);
        if (builtin.os.tag != .linux) return;
        if (state == .ready) _ = std.c.pthread_setspecific(key, null);
    }

    fn ensureKey() bool {
        if (builtin.os.tag != .linux) return false;
        mutex.lock();
        defer mutex.unlock();
        if (state == .unset) {
            state = .unavailable;
            if (pinLibrary() and std.c.pthread_key_create(&key, destructor) == .SUCCESS) state = .ready;
        }
        assert(state != .unset);
        return state == .ready;
    }

    fn destructor(value: *anyopaque) callconv(.c) void {
        const m: *Machine = @ptrCast(@alignCast(value));
        assert(current_machine == null or current_machine == m);
        if (current_machine == m) current_machine = null;
        m.destroy();
    }

    const DlInfo = extern struct {
        fname: ?[*:0]const u8,
        fbase: ?*anyopaque,
        sname: ?[*:0]const u8,
        saddr: ?*anyopaque,
    };
    extern "c" fn dladdr(addr: *const anyopaque, info: *DlInfo) c_int;

    fn pinLibrary() bool {
        var info: DlInfo = undefined;
        if (dladdr(@ptrCast(&destructor), &info) == 0) return false;
        const name = info.fname orelse return false;
        assert(std.mem.len(name) > 0);
        return std.c.dlopen(name, .{ .NOW = true, .NOLOAD = true, .NODELETE = true }) != null;
    }
};

// ------------------------------------------------------------------------- tests

const testing = std.testing;

test "machine: build, read and release nouns through handles" {
    const m = try Machine.create(testing.allocator, 4 << 20);
    defer m.destroy();
    const one = try m.atomFromU64(1);
    const big = try m.atomFromBytes(&.{ 1, 2, 3, 4, 5, 6, 7, 8, 9 });
    const c = try m.cell(one, big);
    try testing.expect(try m.isCell(c));
    const t = try m.child(c, .tail);
    try testing.expectEqual(@as(u64, 9), try m.atomByteLength(t));
    try testing.expectEqual(@as(?u64, null), try m.atomToU64(t));
    try testing.expectEqual(@as(?u64, 1), try m.atomToU64(try m.at(c, &.{2})));
    try testing.expect(try m.equals(try m.at(c, &.{3}), big));
    try testing.expectError(error.Failed, m.child(one, .head));
    try testing.expectEqual(ErrorKind.bad_shape, m.last.kind);
    try testing.expectError(error.Failed, m.at(c, &.{ 0, 0 }));
    try testing.expectError(error.Failed, m.at(c, &.{6}));
    try testing.expectEqualStrings("Bad axis: 6 descends into an atom", m.last.text());
    try m.release(one);
    try testing.expectError(error.Failed, m.noun(one));
    try testing.expectEqual(ErrorKind.bad_handle, m.last.kind);
}

test "machine: tuples, and handles survive collections" {
    const m = try Machine.create(testing.allocator, 4 << 20);
    defer m.destroy();
    var items: [3]u32 = undefined;
    for (&items, 0..) |*h, i| h.* = try m.atomFromU64(i + 10);
    const tup = try m.tuple(&items);
    for (0..1000) |_| _ = m.ws.cell(Noun.zero, Noun.zero) catch unreachable;
    m.ws.collect();
    try testing.expectEqual(@as(?u64, 11), try m.atomToU64(try m.at(tup, &.{6})));
    try testing.expectEqual(@as(?u64, 12), try m.atomToU64(try m.at(tup, &.{7})));
    try testing.expectError(error.Failed, m.tuple(&.{}));
}

test "machine: filling the workspace is a clean meme and the machine recovers" {
    const m = try Machine.create(testing.allocator, 1 << 20);
    defer m.destroy();
    var acc = try m.atomFromU64(0);
    const failed = for (0..100_000) |_| {
        const next = m.cell(acc, acc) catch break true;
        try m.release(acc);
        acc = next;
    } else false;
    try testing.expect(failed);
    try testing.expectEqual(ErrorKind.meme, m.last.kind);
    try m.release(acc);
    m.ws.collect();
    _ = try m.cell(try m.atomFromU64(1), try m.atomFromU64(2));
}

test "machine: interrupt by id reaches only registered machines" {
    const m = try Machine.create(testing.allocator, 1 << 20);
    defer m.destroy();
    try testing.expect(m.id != 0);
    try testing.expect(registry.interrupt(m.id));
    try testing.expect(m.interrupt_flag.load(.acquire));
    try testing.expect(!registry.interrupt(0));
    try testing.expect(!registry.interrupt(m.id +% 1000));
}

test "machine: nock products, crashes with a trace, limits and interrupts" {
    const m = try Machine.create(testing.allocator, 16 << 20);
    defer m.destroy();
    const d = Noun.direct;
    const zero = try m.atomFromU64(0);
    // [1 42] on 0 is 42.
    const quote = try m.hold(try m.ws.tuple(&.{ d(1), d(42) }));
    try testing.expectEqual(@as(?u64, 42), try m.atomToU64(try m.nock(zero, quote)));
    // [11 [%mean [1 %boom]] [0 0]] crashes with a trace of one %mean entry.
    const crash = try m.hold(try m.ws.tuple(&.{
        d(11),
        try m.ws.tuple(&.{ d(interpreter.tag.mean), d(1), d(interpreter.cord("boom")) }),
        try m.ws.tuple(&.{ d(0), d(0) }),
    }));
    try testing.expectError(error.Failed, m.nock(zero, crash));
    try testing.expectEqual(ErrorKind.exit, m.last.kind);
    const trace = try m.errorTrace();
    try testing.expect(trace != 0);
    try testing.expectEqual(@as(?u64, interpreter.tag.mean), try m.atomToU64(try m.at(trace, &.{4})));
    // [2 [0 1] [0 2]] on [itself 0] loops forever: the step limit stops it.
    const loop_formula = try m.ws.tuple(&.{ d(2), try m.ws.tuple(&.{ d(0), d(1) }), try m.ws.tuple(&.{ d(0), d(2) }) });
    const loop = try m.hold(loop_formula);
    const loop_subject = try m.hold(try m.ws.cell(loop_formula, d(0)));
    m.setLimits(10_000, 0);
    try testing.expectError(error.Failed, m.nock(loop_subject, loop));
    try testing.expectEqual(ErrorKind.intr, m.last.kind);
    try testing.expect(m.steps() >= 10_000);
    // With no step limit, an interrupt sent beforehand stops the next computation.
    m.setLimits(0, 0);
    try testing.expect(registry.interrupt(m.id));
    try testing.expectError(error.Failed, m.nock(loop_subject, loop));
    try testing.expectEqual(ErrorKind.intr, m.last.kind);
    try testing.expect(!m.interrupt_flag.load(.acquire));
    // A time limit stops it too.
    m.setLimits(0, 20 * std.time.ns_per_ms);
    try testing.expectError(error.Failed, m.nock(loop_subject, loop));
    try testing.expectEqual(ErrorKind.intr, m.last.kind);
}
