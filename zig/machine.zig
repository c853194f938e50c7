//! The machine: everything one host thread computes with. A workspace, the handle table
//! that roots the nouns the host holds, the interpreter's context, the last error and the
//! pending output bytes.
//!
//! One machine per thread, created lazily on first use (`current`). Deno Workers are
//! threads, so each Worker gets its own machine and no locks are needed on any hot path.
//! The only cross-thread operation is `interrupt(id)`, which goes through a small global
//! registry under a mutex and touches nothing but an atomic flag.
//!
//! Every operation that can fail records the error kind and a message on the machine and
//! returns `error.Failed`; ffi.zig turns that into a 0 / -1 result for the host, which then
//! asks for the kind, message and trace.
//!
//! PMA. A machine may have one Persistent Memory Arena attached (a writer, or a read-only
//! replica): its nouns are then read through `ws.bases.base[1]`, and the interpreter and
//! every noun operation use them exactly like workspace nouns. When the mapping they live
//! in changes (a PMA GC moves them; a replica refresh may switch files; close unmaps),
//! every PMA reference the machine can reach is found (handle slots, the kept trace and
//! slogs, and the heads and tails of live workspace cells) and either re-pointed (GC: they
//! are the GC's extra roots) or copied into the workspace first (refresh, close), so the
//! host never holds a dangling reference.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const workspace_mod = @import("workspace.zig");
const Workspace = workspace_mod.Workspace;
const Handles = @import("handles.zig").Handles;
const interpreter = @import("interpreter.zig");
const serial = @import("serial.zig");
const mug_mod = @import("mug.zig");
const equality = @import("equality.zig");
const noun_mod = @import("noun.zig");
const Header = noun_mod.Header;
const pma_mod = @import("pma.zig");
const Pma = pma_mod.Pma;
const Dashboard = @import("dashboard.zig").Dashboard;

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
        registry.add(m);
        return m;
    }

    pub fn destroy(m: *Machine) void {
        registry.remove(m);
        if (m.pma != null) m.dropPma();
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
        return error.Failed;
    }

    fn failMeme(m: *Machine, what: []const u8) Error {
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
        return m.hold(n);
    }

    pub fn atomFromBytes(m: *Machine, bytes: []const u8) Error!u32 {
        m.safePoint();
        const n = m.ws.atomFromBytes(bytes) catch retry: {
            // Garbage below the collection threshold may be all that is in the way.
            m.ws.collect();
            break :retry m.ws.atomFromBytes(bytes) catch return m.failMeme("an atom");
        };
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
        return bytes.len;
    }

    /// The atom's value if it fits in a u64, else null.
    pub fn atomToU64(m: *Machine, handle: u32) Error!?u64 {
        var scratch: u64 = undefined;
        const bytes = m.ws.atomBytes(try m.atom(handle), &scratch);
        if (bytes.len > 8) return null;
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
        const bytes = serial.jamBytes(&m.ws, m.gpa, n) catch return m.failMeme("the jam");
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
        return len;
    }

    pub fn cue(m: *Machine, bytes: []const u8) Error!u32 {
        m.safePoint();
        const n = serial.cue(&m.ws, bytes) catch |e| switch (e) {
            error.BadJam => return m.fail(.bad_jam, "Cannot cue: the {d} bytes are not a valid jam", .{bytes.len}),
            error.Meme => retry: {
                m.ws.collect();
                break :retry serial.cue(&m.ws, bytes) catch |e2| switch (e2) {
                    error.BadJam => unreachable, // The same bytes parsed that far before.
                    error.Meme => return m.failMeme("the cued noun"),
                };
            },
        };
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

    /// Limits for later computations; 0 means none.
    pub fn setLimits(m: *Machine, steps_max: u64, timeout_ns: u64) void {
        m.ctx.limits.steps_max = steps_max;
        m.timeout_ns = timeout_ns;
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
        return m.hold(list);
    }

    /// A handle to the trace of the last Nock failure, or 0 when there is none.
    pub fn errorTrace(m: *Machine) Error!u32 {
        const t = m.trace orelse return 0;
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
        if (!on) m.dashboard.profile.clearRetainingCapacity();
    }

    /// Counters of the dashboard and the memo cache, in the order of `cellar_jet_stats`.
    pub fn jetStats(m: *Machine) [11]u64 {
        const s = m.dashboard.stats;
        const memo = m.dashboard.memo.stats;
        return .{
            s.fast_hints, s.registrations, s.dropped,   s.jet_calls,  s.jet_punts,    s.checks,
            s.mismatches, memo.hits,       memo.misses, memo.entries, memo.evictions,
        };
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

    /// Record a failure of a file operation (files.zig) under kind `.pma` with a static
    /// error name ("Io", "Locked", ...).
    pub fn failFile(m: *Machine, name: []const u8, message: []const u8) Error {
        m.last.set(.pma, "{s}", .{message});
        m.last.error_name = name;
        m.trace = null;
        return error.Failed;
    }

    /// Record a PMA failure: the pma.zig error name and the PMA's own message.
    fn failPma(m: *Machine, err: pma_mod.Error, message: []const u8) Error {
        m.last.set(.pma, "{s}", .{message});
        m.last.error_name = @errorName(err);
        m.trace = null;
        return error.Failed;
    }

    pub fn attachedPma(m: *Machine) Error!*Pma {
        return m.pma orelse m.fail(.bad_argument, "No PMA is open on this thread", .{});
    }

    /// Open the slab in `dir` (a writer, or a read-only replica) and attach it: from now on
    /// this machine reads its nouns. One PMA per machine.
    pub fn pmaOpen(m: *Machine, dir: []const u8, read_only: bool, options: pma_mod.Options) Error!void {
        if (m.pma != null) return m.fail(.bad_argument, "Cannot open a PMA: this thread already has {s} open", .{m.pma_dir});
        if (dir.len == 0) return m.fail(.bad_argument, "Cannot open a PMA: the directory path is empty", .{});
        assert(m.ws.bases.base[1] == 0);
        const dir_copy = m.gpa.dupe(u8, dir) catch return m.fail(.meme, "Out of memory: cannot keep the PMA path", .{});
        errdefer m.gpa.free(dir_copy);
        const p = try m.openPmaHandle(dir_copy, read_only, options);
        p.attach(&m.ws);
        m.pma = p;
        m.pma_dir = dir_copy;
        m.pma_options = p.options;
        assert(m.ws.bases.base[1] == p.base());
    }

    fn openPmaHandle(m: *Machine, dir: []const u8, read_only: bool, options: pma_mod.Options) Error!*Pma {
        var diag: pma_mod.Diagnostic = .{};
        var o = options;
        o.diagnostic = &diag;
        const p = (if (read_only) Pma.openReadOnly(m.gpa, dir, o) else Pma.open(m.gpa, dir, o)) catch |e|
            return m.failPma(e, diag.message());
        p.options.diagnostic = null; // `diag` dies with this frame.
        return p;
    }

    /// Close the attached PMA. PMA nouns the machine still holds are copied into the
    /// workspace first, so they stay valid (dispose them beforehand to skip the copy).
    pub fn pmaClose(m: *Machine) Error!void {
        _ = try m.attachedPma();
        m.dashboard.forgetPma();
        // %memo entries keyed by the closing state would be copied out and, once a copy of
        // the same state is opened again, confirmed by deep comparison: drop them.
        m.dashboard.memo.clear();
        try m.evacuatePma("close the PMA");
        m.dropPma();
        assert(m.ws.bases.base[1] == 0);
    }

    fn dropPma(m: *Machine) void {
        const p = m.pma.?;
        p.close(); // Detaches the workspace.
        m.pma = null;
        m.gpa.free(m.pma_dir);
        m.pma_dir = &.{};
    }

    /// Commit the noun `root` as the durable state of `event_number`; a handle to the root
    /// as it now lives in the PMA (the PMA never points into the workspace: commit copies).
    pub fn pmaCommit(m: *Machine, root: u32, event_number: u64, kernel_hash: *const [32]u8) Error!u32 {
        const p = try m.attachedPma();
        const n = try m.noun(root);
        const committed = p.commit(&m.ws, n, event_number, kernel_hash) catch |e|
            return m.failPma(e, p.message());
        assert(!committed.inWorkspace());
        return m.hold(committed);
    }

    /// A handle to the committed root, read in place from the mapping.
    pub fn pmaRoot(m: *Machine) Error!u32 {
        const p = try m.attachedPma();
        return m.hold(p.root());
    }

    pub const GcReport = struct {
        gc: pma_mod.GcResult,
        /// PMA references re-pointed (handle slots and workspace cells).
        references: u64,
        /// Time to collect the workspace and find those references, and of the PMA GC.
        scan_ns: u64,
        gc_ns: u64,
    };

    /// Copy-compact the PMA. Every PMA reference the machine holds is a root of the GC and
    /// is re-pointed to the noun's new place.
    pub fn pmaGc(m: *Machine) Error!GcReport {
        const p = try m.attachedPma();
        m.dashboard.forgetPma();
        var timer = std.time.Timer.start() catch unreachable;
        var refs = try m.pmaReferences();
        defer refs.deinit(m.gpa);
        const values = m.gpa.alloc(Noun, refs.items.len) catch
            return m.fail(.meme, "Out of memory: cannot list {d} PMA references", .{refs.items.len});
        defer m.gpa.free(values);
        for (refs.items, values) |slot, *v| v.* = slot.*;
        const scan_ns = timer.lap();
        const result = p.gc(values);
        // A GC that fails after switching files has already re-pointed `values`, and one
        // that fails before has left them as they were: write them back either way.
        for (refs.items, values) |slot, v| slot.* = v;
        const r = result catch |e| return m.failPma(e, p.message());
        assert(m.ws.bases.base[1] == p.base());
        return .{ .gc = r, .references = refs.items.len, .scan_ns = scan_ns, .gc_ns = timer.read() };
    }

    /// Replicas: move to the newest durable commit of the directory. It is opened as a
    /// second handle while the first stays mapped. In the same file (append-only, never
    /// truncated) every PMA noun held keeps its offset; in another file (a GC replaced it)
    /// they are copied into the workspace before the old mapping goes. Either way no held
    /// noun dangles, and a failure leaves the replica where it was. A writer is always
    /// current.
    pub fn pmaRefresh(m: *Machine) Error!pma_mod.Refresh {
        const p = try m.attachedPma();
        if (p.mode == .writer) return .unchanged;
        m.dashboard.forgetPma();
        const fresh = try m.openPmaHandle(m.pma_dir, true, m.pma_options);
        if (fresh.commitSeq() <= p.commitSeq()) {
            fresh.close();
            return .unchanged;
        }
        // The old file is still open here, so its inode number cannot have been reused.
        const same_file = fresh.inode == p.inode;
        if (!same_file) m.evacuatePma("refresh the replica") catch |e| {
            fresh.close();
            return e;
        };
        p.close(); // Detaches the workspace.
        fresh.attach(&m.ws);
        m.pma = fresh;
        assert(m.ws.bases.base[1] == fresh.base());
        return if (same_file) .advanced else .switched;
    }

    pub fn pmaVerify(m: *Machine) Error![32]u8 {
        const p = try m.attachedPma();
        return p.verify() catch |e| m.failPma(e, p.message());
    }

    pub fn pmaWriteSidecar(m: *Machine) Error!void {
        const p = try m.attachedPma();
        p.writeSidecar() catch |e| return m.failPma(e, p.message());
    }

    /// Why meta slots were passed over when the PMA was opened (or last refreshed), and the
    /// sidecar's state, as JSON: `{"sidecar":"valid","rejected":[{"file":"0.pma","slot":1,
    /// "commitSeq":5,"reason":"MetaChecksum"}]}`. Returns the bytes written into `buf`.
    pub fn pmaReport(m: *Machine, buf: []u8) Error!usize {
        const p = try m.attachedPma();
        var w = std.Io.Writer.fixed(buf);
        writeReport(&w, &p.report) catch
            return m.fail(.bad_argument, "Bad report buffer: {d} bytes are too few", .{buf.len});
        return w.end;
    }

    fn writeReport(w: *std.Io.Writer, report: *const pma_mod.OpenReport) std.Io.Writer.Error!void {
        try w.print("{{\"sidecar\":\"{s}\",\"rejected\":[", .{@tagName(report.sidecar)});
        for (report.rejected(), 0..) |r, i| {
            if (i > 0) try w.writeByte(',');
            try w.print("{{\"file\":\"{s}\",\"slot\":{d},\"commitSeq\":{d},\"reason\":\"{s}\"}}", .{
                pma_mod.slab_names[r.file_id], r.slot_index, r.commit_seq, @errorName(r.reason),
            });
        }
        try w.writeAll("]}");
    }

    /// Every slot of this machine that holds a PMA reference: handle slots, the kept trace
    /// and slogs, and the heads and tails of live workspace cells. The workspace is
    /// collected first, which leaves exactly its live objects back to back, so a linear
    /// scan finds them all. (The interpreter's registers and frames hold nothing between
    /// computations; a root set added later that keeps PMA nouns must be listed here.)
    fn pmaReferences(m: *Machine) Error!std.ArrayList(*Noun) {
        m.ws.collect();
        var refs: std.ArrayList(*Noun) = .empty;
        m.appendPmaReferences(&refs) catch {
            refs.deinit(m.gpa);
            return m.fail(.meme, "Out of memory: cannot list the PMA references this thread holds", .{});
        };
        return refs;
    }

    fn appendPmaReferences(m: *Machine, refs: *std.ArrayList(*Noun)) !void {
        const gpa = m.gpa;
        for (m.handles.slots.items) |*slot| {
            if (!slot.isForward() and slot.inPma()) try refs.append(gpa, slot);
        }
        if (m.trace) |*t| {
            if (t.inPma()) try refs.append(gpa, t);
        }
        for (m.ctx.slogs.items) |*s| {
            if (s.inPma()) try refs.append(gpa, s);
        }
        const start: [*]u64 = @ptrCast(m.ws.spaces[m.ws.current].ptr);
        var scan = start;
        while (@intFromPtr(scan) < @intFromPtr(m.ws.top)) {
            const limbs = Header.limbs(scan[0]);
            if (limbs != 0) {
                scan += 1 + @as(usize, limbs);
                continue;
            }
            for (scan[1..3]) |*word| {
                if (Noun.fromRaw(word.*).inPma()) try refs.append(gpa, @ptrCast(word));
            }
            scan += 3;
        }
        assert(scan == m.ws.top);
    }

    /// Copy every PMA noun the machine can reach into the workspace, before the mapping
    /// they live in goes away. On failure nothing has changed.
    fn evacuatePma(m: *Machine, comptime what: []const u8) Error!void {
        var refs = try m.pmaReferences();
        defer refs.deinit(m.gpa);
        if (refs.items.len == 0) return;
        const values = m.gpa.alloc(Noun, refs.items.len) catch
            return m.fail(.meme, "Out of memory: cannot list {d} PMA references", .{refs.items.len});
        defer m.gpa.free(values);
        for (refs.items, values) |slot, *v| v.* = slot.*;
        var e = Evacuation{ .ws = &m.ws, .gpa = m.gpa };
        defer e.deinit();
        e.run(values) catch return m.fail(.meme, "Cannot " ++ what ++
            ": the PMA nouns this thread holds ({d} references) do not fit in the workspace; dispose them first", .{refs.items.len});
        for (refs.items, values) |slot, v| slot.* = v;
        assert(e.copies.count() > 0);
    }
};

/// Copies PMA nouns into a workspace, sharing kept, for when their mapping goes away. The
/// copies are their own Cheney queue (no stack, however deep the noun); a side table maps
/// PMA offsets to copies, because a read-only mapping cannot hold forwarding words.
const Evacuation = struct {
    ws: *Workspace,
    gpa: std.mem.Allocator,
    copies: std.AutoHashMapUnmanaged(u64, Noun) = .empty,

    fn deinit(e: *Evacuation) void {
        e.copies.deinit(e.gpa);
    }

    /// Replace each noun of `values` by its workspace copy, then copy the children of
    /// every copy in turn.
    fn run(e: *Evacuation, values: []Noun) error{ Meme, OutOfMemory }!void {
        const start = e.ws.top;
        for (values) |*v| v.* = try e.copy(v.*);
        var scan = start;
        while (@intFromPtr(scan) < @intFromPtr(e.ws.top)) {
            const limbs = Header.limbs(scan[0]);
            if (limbs != 0) {
                scan += 1 + @as(usize, limbs);
                continue;
            }
            scan[1] = (try e.copy(Noun.fromRaw(scan[1]))).raw();
            scan[2] = (try e.copy(Noun.fromRaw(scan[2]))).raw();
            scan += 3;
        }
        assert(scan == e.ws.top);
    }

    fn copy(e: *Evacuation, n: Noun) error{ Meme, OutOfMemory }!Noun {
        if (!n.inPma()) return n;
        const entry = try e.copies.getOrPut(e.gpa, n.payload());
        if (entry.found_existing) return entry.value_ptr.*;
        errdefer e.copies.removeByPtr(entry.key_ptr);
        const src = e.ws.words(n);
        assert(n.isCell() == (Header.limbs(src[0]) == 0));
        const size: usize = if (n.isCell()) 3 else 1 + @as(usize, Header.limbs(src[0]));
        const dst = try e.ws.alloc(size);
        @memcpy(dst[0..size], src[0..size]);
        const c = if (n.isCell()) Noun.cellAt(dst) else Noun.indirectAt(dst);
        entry.value_ptr.* = c;
        return c;
    }
};

// ---------------------------------------------------------------- registry

/// Machines by id, for `interrupt` from another thread. The mutex also keeps a machine
/// alive while another thread sets its flag.
const Registry = struct {
    mutex: std.Thread.Mutex = .{},
    entries: [constants.machines_max]?*Machine = @splat(null),
    next_id: u32 = 1,

    fn add(r: *Registry, m: *Machine) void {
        r.mutex.lock();
        defer r.mutex.unlock();
        for (&r.entries) |*e| {
            if (e.* == null) {
                e.* = m;
                m.id = r.next_id;
                r.next_id +%= 1;
                if (r.next_id == 0) r.next_id = 1;
                return;
            }
        }
        m.id = 0; // Registry full: the machine works, but cannot be interrupted by id.
    }

    fn remove(r: *Registry, m: *Machine) void {
        r.mutex.lock();
        defer r.mutex.unlock();
        for (&r.entries) |*e| {
            if (e.* == m) e.* = null;
        }
    }
};

var registry: Registry = .{};

/// Ask the machine with this id to stop its current (or next) computation with %intr.
/// Safe from any thread. Returns false when no machine has that id.
pub fn interrupt(id: u32) bool {
    if (id == 0) return false;
    registry.mutex.lock();
    defer registry.mutex.unlock();
    for (registry.entries) |e| {
        const m = e orelse continue;
        if (m.id == id) {
            m.interrupt_flag.store(true, .release);
            return true;
        }
    }
    return false;
}

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
        if (!ensureKey()) return;
        _ = std.c.pthread_setspecific(key, m);
    }

    fn unwatch() void {
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
        return state == .ready;
    }

    fn destructor(value: *anyopaque) callconv(.c) void {
        const m: *Machine = @ptrCast(@alignCast(value));
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
    try testing.expect(interrupt(m.id));
    try testing.expect(m.interrupt_flag.load(.acquire));
    try testing.expect(!interrupt(0));
    try testing.expect(!interrupt(m.id +% 1000));
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
    try testing.expect(interrupt(m.id));
    try testing.expectError(error.Failed, m.nock(loop_subject, loop));
    try testing.expectEqual(ErrorKind.intr, m.last.kind);
    try testing.expect(!m.interrupt_flag.load(.acquire));
    // A time limit stops it too.
    m.setLimits(0, 20 * std.time.ns_per_ms);
    try testing.expectError(error.Failed, m.nock(loop_subject, loop));
    try testing.expectEqual(ErrorKind.intr, m.last.kind);
}

/// A temporary data directory path for PMA tests (deleted by the caller's `cleanup`).
fn pmaTestDir(tmp: *std.testing.TmpDir, buf: []u8) ![]const u8 {
    return tmp.dir.realpath(".", buf);
}

test "machine: PMA nouns held in handles and workspace cells follow a PMA GC" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try pmaTestDir(&tmp, &path_buf);
    const m = try Machine.create(testing.allocator, 16 << 20);
    defer m.destroy();
    try m.pmaOpen(dir, false, .{ .sidecar = .off });
    try testing.expectError(error.Failed, m.pmaOpen(dir, false, .{}));
    const d = Noun.direct;
    const hash: [32]u8 = @splat(7);
    // Garbage first, so that the GC moves the live nouns to lower offsets.
    const junk = try m.hold(try m.ws.tuple(&.{ d(1), d(2), d(3), d(4) }));
    try m.release(try m.pmaCommit(junk, 1, &hash));
    const state = try m.hold(try m.ws.tuple(&.{ d(5), try m.ws.atomU64(1 << 63), d(6) }));
    const root = try m.pmaCommit(state, 2, &hash);
    try testing.expect((try m.noun(root)).inPma());
    // A workspace cell that points into the PMA, and a handle to a PMA subnoun.
    const five = try m.atomFromU64(5);
    const outer = try m.cell(root, five);
    const inner = try m.at(root, &.{6});
    const mug_before = try m.mug(outer);
    const offset_before = (try m.noun(root)).payload();
    const report = try m.pmaGc();
    try testing.expectEqual(@as(u64, 3), report.references);
    try testing.expect((try m.noun(root)).payload() < offset_before);
    try testing.expect(try m.equals(root, state));
    try testing.expect(m.ws.head(try m.noun(outer)).inPma());
    try testing.expectEqual(mug_before, try m.mug(outer));
    try testing.expectEqual(@as(?u64, 1 << 63), try m.atomToU64(inner));
    try testing.expect(try m.equals(inner, try m.at(state, &.{6})));
    // Closing copies what is still held into the workspace.
    try m.pmaClose();
    try testing.expect((try m.noun(root)).inWorkspace());
    try testing.expect(try m.equals(root, state));
    try testing.expectEqual(mug_before, try m.mug(outer));
    try testing.expectError(error.Failed, m.pmaRoot());
}

test "machine: a replica's held nouns stay valid when a refresh advances or switches files" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.fs.max_path_bytes]u8 = undefined;
    const dir = try pmaTestDir(&tmp, &path_buf);
    const w = try Machine.create(testing.allocator, 16 << 20);
    defer w.destroy();
    const r = try Machine.create(testing.allocator, 16 << 20);
    defer r.destroy();
    const d = Noun.direct;
    const hash: [32]u8 = @splat(1);
    try w.pmaOpen(dir, false, .{ .sidecar = .off });
    const s1 = try w.hold(try w.ws.tuple(&.{ d(1), try w.ws.atomU64(1 << 63) }));
    _ = try w.pmaCommit(s1, 1, &hash);
    try r.pmaOpen(dir, true, .{});
    const held = try r.pmaRoot();
    try testing.expectEqual(pma_mod.Refresh.unchanged, try r.pmaRefresh());
    const s2 = try w.hold(try w.ws.cell(d(2), w.pma.?.root()));
    _ = try w.pmaCommit(s2, 2, &hash);
    try testing.expectEqual(pma_mod.Refresh.advanced, try r.pmaRefresh());
    try testing.expect((try r.noun(held)).inPma());
    try testing.expectEqual(@as(?u64, 2), try r.atomToU64(try r.at(try r.pmaRoot(), &.{2})));
    _ = try w.pmaGc();
    try testing.expectEqual(pma_mod.Refresh.switched, try r.pmaRefresh());
    // The held root of event 1 was copied out of the old mapping before it went away.
    try testing.expect((try r.noun(held)).inWorkspace());
    try testing.expectEqual(@as(?u64, 1), try r.atomToU64(try r.at(held, &.{2})));
    try testing.expectEqual(@as(?u64, 1 << 63), try r.atomToU64(try r.at(held, &.{3})));
    const now = try r.pmaRoot();
    try testing.expect((try r.noun(now)).inPma());
    try testing.expect(try r.equals(try r.at(now, &.{3}), held));
    try testing.expectError(error.Failed, r.pmaCommit(held, 3, &hash));
    try testing.expectEqual(ErrorKind.pma, r.last.kind);
    try testing.expectEqualStrings("ReadOnly", r.last.name());
}
