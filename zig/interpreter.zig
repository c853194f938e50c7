//! The Nock 4K interpreter.
//!
//! One loop, two kinds of state: `eval` decodes the formula register against the subject
//! register, and every other state is a continuation: the kind of the frame on top of the
//! explicit work stack, entered with the product of a sub-evaluation in the result register.
//! The loop is a labeled switch, so each state transfers straight to the next (threaded
//! dispatch) without native recursion: deep Nock recursion grows only the work stack, which
//! is a reserved (MAP_NORESERVE) native region capped at `constants.interpreter_stack_entries_max`
//! frames; overflowing it fails as %meme, never a segfault.
//!
//! Tail calls. The last evaluation of 2, 6, 7, 8, 9 and static 11 (and dynamic hints that
//! need nothing afterwards) pops its frame before it starts, so a tail-recursive loop runs in
//! constant stack.
//!
//! Leaves without frames. `[0 axis]`, `[1 constant]` and `[4 leaf]` sub-formulas are
//! computed in place (`quick`), so common shapes such as `[5 [0 7] 4 0 6]`, `[9 2 0 1]` or
//! `[[4 0 6] 0 7]` push no frame for their operands. Each opcode still counts as one step.
//!
//! Failure. A crash, out-of-memory or limit truncates the stack to the failed call's base,
//! builds `failure_trace` from the %spot/%mean/%hunk/%lose frames that were live (innermost
//! first, after the trace of a failed nested call), and, for %meme, collects the workspace
//! so the caller finds room again.
//!
//! Collection. The only safe points are the top of `eval` and the continuations that
//! allocate without evaluating further (cons, increment, edit). There the registers are
//! parked in `Context.registers` (a root set, with the stack and the failure/slog nouns),
//! the workspace collects, and the registers are reloaded. No other native local holds a
//! noun across a safe point.
//!
//! Re-entrancy. `nock` pushes a `done` frame and runs above it; a hook (jet) may call `nock`
//! on the same context while an outer call is suspended. Before calling a hook the outer loop
//! keeps everything it needs in frames, so the inner call may use the registers freely.
//!
//! Extension points (`Hooks`): dynamic hints other than the ones handled here (%spot %mean
//! %hunk %lose %slog %bout) go to `hint_before`/`hint_after` (%fast registration, %memo), and
//! every Nock 9 offers `(core, axis)` to `arm` (jet dispatch) before running the arm's Nock.
//! A bytecode compiler can replace `evaluate` per formula while keeping the same frames,
//! registers and failure protocol.
//!
//! Assertions. Every push and pop checks the bounds of the work stack, every continuation
//! checks that the frame on top is its own, and nouns are checked for their tags and
//! normalisation where they are taken apart. They are `std.debug.assert`: checked in Debug
//! and ReleaseSafe (the unit tests run ReleaseSafe), compiled out of the ReleaseFast library,
//! where they leave no check behind, only facts the optimiser may use. On this hot path that
//! is intended: the release interpreter pays nothing for them, and they add no other work
//! per Nock step.

const std = @import("std");
const assert = std.debug.assert;
const os_memory = @import("os_memory.zig");
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const progress = @import("progress.zig");

pub const NockError = error{ Exit, Meme, Intr };
pub const FailureKind = enum(u8) { exit = 1, meme = 2, intr = 3 };

pub const Limits = struct {
    /// Most opcodes one outermost `nock` call may evaluate (0 = unlimited). Nested calls made
    /// by hooks share the budget of the outermost call.
    steps_max: u64 = 0,
    /// Absolute `std.time.nanoTimestamp()` after which evaluation fails with %intr; 0 = none.
    deadline_ns: i128 = 0,
    /// Set by the host (from any thread) to interrupt; the interpreter never clears it.
    interrupt: ?*const std.atomic.Value(bool) = null,
};

/// Cords of the hint tags handled here.
pub const tag = struct {
    pub const spot: u64 = cord("spot");
    pub const mean: u64 = cord("mean");
    pub const hunk: u64 = cord("hunk");
    pub const lose: u64 = cord("lose");
    pub const slog: u64 = cord("slog");
    pub const bout: u64 = cord("bout");
    pub const fast: u64 = cord("fast");
    pub const memo: u64 = cord("memo");
    pub const leaf: u64 = cord("leaf");
};

/// A short cord (at most 7 bytes, so it is a direct atom) as its atom value.
pub fn cord(comptime text: []const u8) u64 {
    comptime assert(text.len <= 7);
    var v: u64 = 0;
    for (text, 0..) |byte, i| v |= @as(u64, byte) << @intCast(8 * i);
    return v;
}

/// A dynamic hint offered to the hooks: `[11 [tag clue-formula] formula]` evaluated against
/// `subject`, with the clue already computed.
pub const HintCall = struct {
    tag: Noun,
    clue: Noun,
    subject: Noun,
    formula: Noun,
};

/// What `hint_before` wants done with a hint.
pub const HintAction = union(enum) {
    /// Evaluate the hinted formula in tail position; `hint_after` is not called.
    ignore,
    /// Evaluate the hinted formula, then call `hint_after` with its product (%fast, %memo miss).
    after,
    /// Skip the hinted formula: this is its product (%memo hit).
    product: Noun,
};

/// Optional extension points (jets, %fast, %memo). A hook may call `nock` on the same
/// context; nouns it holds across such a call must be registered (`Workspace.pushRoots`),
/// because the inner call may collect. A hook that fails should return the error; when it
/// fails without calling `nock`, the failure's trace holds only the outer hint frames.
pub const Hooks = struct {
    data: ?*anyopaque = null,
    /// Dynamic hints whose tag the interpreter does not handle itself. Null: ignored.
    hint_before: ?*const fn (data: ?*anyopaque, ctx: *Context, call: HintCall) NockError!HintAction = null,
    /// After the hinted formula of a hint for which `hint_before` answered `.after`.
    hint_after: ?*const fn (data: ?*anyopaque, ctx: *Context, call: HintCall, product: Noun) NockError!void = null,
    /// Nock 9: a product for the arm at `axis` of `core` (a jet), or null to run its Nock.
    arm: ?*const fn (data: ?*anyopaque, ctx: *Context, core: Noun, axis: Noun) NockError!?Noun = null,
};

/// States of the loop: `eval`, and the continuation kinds of stack frames.
const Op = enum(u8) {
    eval,
    /// Bottom of one `nock` call: the result is its product.
    done,
    /// Autocons: a = subject, b = tail formula; then the tail with head product in a.
    cons_head,
    cons_tail,
    /// Nock 2: a = subject, b = formula-formula; then a = the new subject.
    op2_formula,
    op2_eval,
    op3,
    op4,
    /// Nock 5: a = subject, b = second formula; then a = first product.
    op5_first,
    op5_second,
    /// Nock 6: a = subject, b = [yes no].
    op6,
    /// Nock 7: a = second formula.
    op7,
    /// Nock 8: a = subject, b = second formula.
    op8,
    /// Nock 9: a = axis, b = core (while the arm hook runs).
    op9,
    /// Nock 10: a = subject, b = [[axis value-formula] target-formula]; then a = value, b = axis.
    op10_value,
    op10_target,
    /// Dynamic hint clue: a = subject, b = [[tag clue-formula] formula].
    hint_clue,
    /// Trace entry for the duration of the hinted formula: a = tag, b = clue.
    trace,
    /// %bout: a = start time (ns, direct atom).
    bout,
    /// Below `hint_after`: a = clue, b = product while `hint_after` runs.
    hint_data,
    /// a = subject, b = [[tag clue-formula] formula].
    hint_after,
};

const Frame = struct {
    kind: Op,
    a: Noun,
    b: Noun,
};

const frame_bytes = @sizeOf(Frame);

pub const Context = struct {
    ws: *Workspace,
    limits: Limits = .{},
    /// Cumulative opcodes evaluated (never reset by `nock`).
    steps: u64 = 0,
    /// Valid after a NockError. The trace is a Nock list of `[tag clue]`, innermost first.
    failure_kind: FailureKind = .exit,
    failure_trace: Noun = Noun.zero,
    /// Each `[priority tank]` from %slog (and %bout), in order. The host drains it.
    slogs: std.ArrayList(Noun) = .empty,
    hooks: Hooks = .{},
    /// The work stack: reserved [stack_base, stack_end), live [stack_base, sp).
    stack_memory: []align(std.heap.page_size_min) u8,
    stack_base: [*]Frame,
    stack_end: [*]Frame,
    sp: [*]Frame,
    /// subject, formula, result: roots only while a collection runs.
    registers: [3]Noun = .{ Noun.zero, Noun.zero, Noun.zero },
    /// Trace entries gathered on failure (a root while the trace list is built).
    scratch: std.ArrayList(Noun) = .empty,
    /// Nesting of `nock` calls on this context.
    depth: u32 = 0,
    /// Absolute step counts: fail past `steps_limit`; poll the clock and the flag at `poll_at`.
    steps_limit: u64 = std.math.maxInt(u64),
    poll_at: u64 = 0,
    check_at: u64 = 0,
    /// `steps` when progress was last noted (at a poll or the start of an outermost call).
    steps_noted: u64 = 0,

    /// The context registers itself as a root set of `ws`; it must not move until `deinit`.
    pub fn init(ctx: *Context, ws: *Workspace) !void {
        try ctx.initWithStack(ws, constants.interpreter_stack_entries_max);
        assert(ctx.stack_end == ctx.stack_base + constants.interpreter_stack_entries_max);
    }

    /// As `init`, with a smaller work stack (tests, or workers with small budgets).
    pub fn initWithStack(ctx: *Context, ws: *Workspace, entries_max: u32) !void {
        assert(entries_max >= 2);
        assert(entries_max <= constants.interpreter_stack_entries_max);
        const len = std.mem.alignForward(usize, @as(usize, entries_max) * frame_bytes, std.heap.page_size_min);
        const memory = try os_memory.map(len);
        errdefer os_memory.unmap(memory);
        const base: [*]Frame = @ptrCast(memory.ptr);
        ctx.* = .{
            .ws = ws,
            .stack_memory = memory,
            .stack_base = base,
            .stack_end = base + entries_max,
            .sp = base,
        };
        try ws.addRootSet(.{ .ctx = ctx, .visit = visitRoots });
        assert(ctx.stackDepth() == 0);
    }

    pub fn deinit(ctx: *Context) void {
        assert(ctx.depth == 0);
        ctx.ws.removeRootSet(ctx);
        ctx.slogs.deinit(ctx.ws.gpa);
        ctx.scratch.deinit(ctx.ws.gpa);
        os_memory.unmap(ctx.stack_memory);
        ctx.* = undefined;
    }

    /// Frames in use (0 between outermost calls).
    pub fn stackDepth(ctx: *const Context) usize {
        assert(@intFromPtr(ctx.sp) >= @intFromPtr(ctx.stack_base));
        assert(@intFromPtr(ctx.sp) <= @intFromPtr(ctx.stack_end));
        return (@intFromPtr(ctx.sp) - @intFromPtr(ctx.stack_base)) / frame_bytes;
    }

    /// Give the pages of the work stack back to the OS after a deep recursion.
    pub fn trimStack(ctx: *Context) void {
        assert(ctx.depth == 0);
        os_memory.discard(ctx.stack_memory);
    }

    fn visitRoots(opaque_ctx: *anyopaque, ws: *Workspace) void {
        const ctx: *Context = @ptrCast(@alignCast(opaque_ctx));
        assert(ctx.ws == ws);
        assert(@intFromPtr(ctx.sp) >= @intFromPtr(ctx.stack_base));
        assert(@intFromPtr(ctx.sp) <= @intFromPtr(ctx.stack_end));
        var frame = ctx.stack_base;
        while (frame != ctx.sp) : (frame += 1) {
            frame[0].a = ws.forward(frame[0].a);
            frame[0].b = ws.forward(frame[0].b);
        }
        for (&ctx.registers) |*root| root.* = ws.forward(root.*);
        ctx.failure_trace = ws.forward(ctx.failure_trace);
        for (ctx.slogs.items) |*root| root.* = ws.forward(root.*);
        for (ctx.scratch.items) |*root| root.* = ws.forward(root.*);
    }

    /// Set the step budget and the first poll at the start of an outermost call.
    fn startLimits(ctx: *Context) void {
        assert(ctx.depth == 0);
        ctx.steps_limit = if (ctx.limits.steps_max == 0)
            std.math.maxInt(u64)
        else
            ctx.steps +| ctx.limits.steps_max;
        ctx.steps_noted = ctx.steps;
        ctx.poll_at = ctx.steps + 1;
        ctx.check_at = @min(ctx.poll_at, ctx.steps_limit +| 1);
        assert(ctx.check_at > ctx.steps);
    }

    /// Slow half of the limit check, run when `steps` reaches `check_at`.
    fn checkLimits(ctx: *Context, steps: u64) error{Intr}!void {
        assert(steps >= ctx.check_at);
        if (steps > ctx.steps_limit) return error.Intr;
        if (steps >= ctx.poll_at) {
            if (ctx.limits.interrupt) |flag| {
                if (flag.load(.monotonic)) return error.Intr;
            }
            if (ctx.limits.deadline_ns != 0 and std.time.nanoTimestamp() >= ctx.limits.deadline_ns) {
                return error.Intr;
            }
            progress.noteSteps(steps - ctx.steps_noted);
            ctx.steps_noted = steps;
            ctx.poll_at = steps + constants.interpreter_check_interval_steps;
        }
        ctx.check_at = @min(ctx.poll_at, ctx.steps_limit +| 1);
        assert(ctx.check_at > steps);
    }

    /// Record a failure: truncate the stack to this call's `done` frame (popping it), and
    /// build the trace from its trace frames, outermost last, followed by `inner` (the
    /// trace of a failed nested call, innermost first).
    fn fail(ctx: *Context, sp: [*]Frame, kind: FailureKind, inner: Noun) NockError {
        assert(ctx.depth > 0);
        ctx.failure_kind = kind;
        ctx.failure_trace = Noun.zero;
        ctx.scratch.clearRetainingCapacity();
        var base = sp - 1;
        while (base[0].kind != .done) base -= 1;
        assert(@intFromPtr(base) >= @intFromPtr(ctx.stack_base));
        gather: {
            var frame = base + 1;
            while (frame != sp) : (frame += 1) {
                if (frame[0].kind != .trace) continue;
                ctx.scratch.appendSlice(ctx.ws.gpa, &.{ frame[0].a, frame[0].b }) catch break :gather;
            }
            ctx.gatherInner(inner) catch break :gather;
        }
        ctx.sp = base;
        ctx.failure_trace = ctx.buildTrace() catch retry: {
            ctx.ws.collect();
            break :retry ctx.buildTrace() catch Noun.zero;
        };
        ctx.scratch.clearRetainingCapacity();
        // Out of memory: give the garbage of the failed computation back now, so that the
        // caller finds room in the workspace.
        if (kind == .meme) ctx.ws.collect();
        return switch (kind) {
            .exit => error.Exit,
            .meme => error.Meme,
            .intr => error.Intr,
        };
    }

    /// Append the entries of a nested trace list (innermost first) to `scratch` as pairs,
    /// outermost first.
    fn gatherInner(ctx: *Context, inner: Noun) error{OutOfMemory}!void {
        const ws = ctx.ws;
        const start = ctx.scratch.items.len;
        assert(start % 2 == 0); // Pairs.
        var list = inner;
        while (list.isCell()) : (list = ws.tail(list)) {
            const entry = ws.head(list);
            const pair: [2]Noun = if (entry.isCell()) .{ ws.head(entry), ws.tail(entry) } else .{ entry, Noun.zero };
            try ctx.scratch.appendSlice(ws.gpa, &pair);
        }
        // Reverse the pairs just appended so that the whole of scratch is outermost first.
        const items = ctx.scratch.items;
        assert((items.len - start) % 2 == 0);
        var low = start;
        var high = items.len;
        while (high - low >= 4) : ({
            low += 2;
            high -= 2;
        }) {
            std.mem.swap(Noun, &items[low], &items[high - 2]);
            std.mem.swap(Noun, &items[low + 1], &items[high - 1]);
        }
    }

    fn buildTrace(ctx: *Context) error{Meme}!Noun {
        const items = ctx.scratch.items;
        assert(items.len % 2 == 0);
        var list = Noun.zero;
        var i: usize = 0;
        while (i < items.len) : (i += 2) {
            const entry = try ctx.ws.cell(items[i], items[i + 1]);
            list = try ctx.ws.cell(entry, list);
        }
        assert(i == items.len);
        return list;
    }
};

/// Evaluate `formula` against `subject`. After an error, `ctx.failure_kind` and
/// `ctx.failure_trace` describe it, and the context and workspace are ready for reuse.
pub fn nock(ctx: *Context, subject: Noun, formula: Noun) NockError!Noun {
    const entry_sp = ctx.sp;
    if (ctx.depth == 0) {
        assert(entry_sp == ctx.stack_base);
        ctx.startLimits();
    }
    if (ctx.sp == ctx.stack_end) {
        ctx.failure_kind = .meme;
        ctx.failure_trace = Noun.zero;
        return error.Meme;
    }
    ctx.sp[0] = .{ .kind = .done, .a = Noun.zero, .b = Noun.zero };
    ctx.sp += 1;
    ctx.depth += 1;
    defer ctx.depth -= 1;
    const product = evaluate(ctx, subject, formula) catch |err| {
        assert(ctx.sp == entry_sp);
        return err;
    };
    assert(ctx.sp == entry_sp);
    return product;
}

/// The interpreter's registers, kept in one local struct so that the optimiser holds them
/// in machine registers; `Context` sees them only at safe points, hook calls and failures.
const Machine = struct {
    ctx: *Context,
    ws: *Workspace,
    subject: Noun,
    formula: Noun,
    result: Noun,
    sp: [*]Frame,
    steps: u64,
    check_at: u64,

    /// The kind of the frame on top: there is always one (this call's `done` at least).
    inline fn top(m: *const Machine) Op {
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base));
        assert(@intFromPtr(m.sp) <= @intFromPtr(m.ctx.stack_end));
        return (m.sp - 1)[0].kind;
    }

    inline fn frame(m: *const Machine) *Frame {
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base));
        assert(@intFromPtr(m.sp) <= @intFromPtr(m.ctx.stack_end));
        return &(m.sp - 1)[0];
    }

    /// Push a continuation frame; a full stack fails as %meme.
    inline fn push(m: *Machine, kind: Op, a: Noun, b: Noun) NockError!void {
        assert(kind != .eval);
        assert(kind != .done); // Only `nock` starts a call.
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base));
        if (m.sp == m.ctx.stack_end) return m.fail(.meme, Noun.zero);
        assert(@intFromPtr(m.sp) < @intFromPtr(m.ctx.stack_end));
        m.sp[0] = .{ .kind = kind, .a = a, .b = b };
        m.sp += 1;
    }

    /// Pop the continuation frame on top; never this call's `done` frame (see `popDone`).
    inline fn pop(m: *Machine) void {
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base) + frame_bytes);
        assert(m.top() != .done);
        m.sp -= 1;
    }

    /// Pop this call's `done` frame: the call is over.
    inline fn popDone(m: *Machine) void {
        assert(m.top() == .done);
        assert(m.ctx.depth > 0);
        m.sp -= 1;
    }

    /// Pop a `hint_after` frame and the `hint_data` frame below it.
    inline fn popHint(m: *Machine) void {
        assert(m.top() == .hint_after);
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base) + 2 * frame_bytes);
        assert((m.sp - 2)[0].kind == .hint_data);
        m.sp -= 2;
    }

    fn fail(m: *Machine, kind: FailureKind, inner: Noun) NockError {
        @branchHint(.cold);
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base));
        assert(m.ctx.depth > 0);
        m.ctx.steps = m.steps;
        return m.ctx.fail(m.sp, kind, inner);
    }

    fn crash(m: *Machine) NockError {
        @branchHint(.cold);
        assert(m.ctx.depth > 0);
        return m.fail(.exit, Noun.zero);
    }

    fn meme(m: *Machine) NockError {
        @branchHint(.cold);
        assert(m.ctx.depth > 0);
        return m.fail(.meme, Noun.zero);
    }

    /// Leaves computed in place: `[0 direct-axis]`, `[1 constant]`, and `[4 leaf]` when
    /// the increment stays direct. Null when `f` is anything else or would crash (the slow
    /// path then produces the crash). Each opcode computed counts as a step.
    inline fn quick(m: *Machine, subject: Noun, f: Noun) ?Noun {
        if (!f.isCell()) return null;
        const w = m.ws.words(f);
        const arg = Noun.fromRaw(w[2]);
        switch (w[1]) {
            0, 1 => {
                const product = leaf(m.ws, subject, w[1], arg) orelse return null;
                assert(!product.isForward());
                m.steps += 1;
                return product;
            },
            4 => {
                if (!arg.isCell()) return null;
                const inner = m.ws.words(arg);
                const atom = leaf(m.ws, subject, inner[1], Noun.fromRaw(inner[2])) orelse return null;
                if (atom.raw() >= Noun.direct_max) return null;
                assert(atom.isDirect());
                m.steps += 2;
                return Noun.fromRaw(atom.raw() + 1);
            },
            else => return null,
        }
    }

    /// Park the registers in the context, collect, and reload them.
    fn collect(m: *Machine) void {
        @branchHint(.cold);
        const ctx = m.ctx;
        // The registers are roots only while this runs: outside it they stay zero.
        assert(ctx.registers[0] == Noun.zero);
        assert(ctx.registers[1] == Noun.zero);
        assert(ctx.registers[2] == Noun.zero);
        ctx.registers = .{ m.subject, m.formula, m.result };
        ctx.sp = m.sp;
        const collections = m.ws.collections;
        m.ws.collect();
        assert(m.ws.collections == collections + 1);
        m.subject = ctx.registers[0];
        m.formula = ctx.registers[1];
        m.result = ctx.registers[2];
        ctx.registers = .{ Noun.zero, Noun.zero, Noun.zero };
    }

    /// Safe point inside a continuation: subject and formula are dead there.
    inline fn safePoint(m: *Machine) void {
        assert(@intFromPtr(m.sp) > @intFromPtr(m.ctx.stack_base));
        if (m.ws.wantsCollect()) {
            m.subject = Noun.zero;
            m.formula = Noun.zero;
            m.collect();
        }
    }

    fn checkLimits(m: *Machine) NockError!void {
        @branchHint(.cold);
        m.ctx.checkLimits(m.steps) catch return m.fail(.intr, Noun.zero);
        m.check_at = m.ctx.check_at;
        assert(m.check_at > m.steps);
    }

    /// Before a hook: the context sees the stack and step count; the registers are dead.
    fn enterHook(m: *Machine) void {
        // Hooks run from Nock 9 (`op9` on top) or a dynamic hint (`hint_after` on top).
        const kind = m.top();
        assert(kind == .op9 or kind == .hint_after);
        m.ctx.sp = m.sp;
        m.ctx.steps = m.steps;
        m.ctx.check_at = m.check_at;
        m.ctx.failure_trace = Noun.zero;
    }

    fn leaveHook(m: *Machine) void {
        assert(m.ctx.sp == m.sp);
        m.steps = m.ctx.steps;
        m.check_at = m.ctx.check_at;
    }

    fn hookFailed(m: *Machine, err: NockError) NockError {
        @branchHint(.cold);
        // A nested call that failed truncated the stack back to where the hook was entered.
        assert(m.ctx.sp == m.sp);
        // Nock the hook ran nested (a jet's slams) counted its steps in the context: keep
        // them, so that a step budget that stopped it sees them spent.
        assert(m.ctx.steps >= m.steps);
        m.steps = m.ctx.steps;
        const kind: FailureKind = switch (err) {
            error.Exit => .exit,
            error.Meme => .meme,
            error.Intr => .intr,
        };
        return m.fail(kind, m.ctx.failure_trace);
    }
};

fn evaluate(ctx: *Context, subject: Noun, formula: Noun) NockError!Noun {
    @setEvalBranchQuota(10_000); // Every handler is an inline call.
    var m = Machine{
        .ctx = ctx,
        .ws = ctx.ws,
        .subject = subject,
        .formula = formula,
        .result = Noun.zero,
        .sp = ctx.sp,
        .steps = ctx.steps,
        .check_at = ctx.check_at,
    };
    assert(m.top() == .done);
    loop: switch (Op.eval) {
        .eval => continue :loop try evalFormula(&m),
        .done => {
            m.popDone();
            ctx.sp = m.sp;
            ctx.steps = m.steps;
            ctx.check_at = m.check_at;
            return m.result;
        },
        .cons_head => continue :loop retConsHead(&m),
        .cons_tail => continue :loop try retConsTail(&m),
        .op2_formula => continue :loop retOp2Formula(&m),
        .op2_eval => continue :loop retOp2Eval(&m),
        .op3 => {
            m.pop();
            m.result = Noun.loobean(m.result.isCell());
            continue :loop m.top();
        },
        .op4 => {
            m.pop();
            continue :loop try finishIncrement(&m, m.result);
        },
        .op5_first => continue :loop try retOp5First(&m),
        .op5_second => continue :loop try retOp5Second(&m),
        .op6 => continue :loop try retOp6(&m),
        .op7 => continue :loop retOp7(&m),
        .op8 => continue :loop try retOp8(&m),
        .op9 => continue :loop try retOp9(&m),
        .op10_value => continue :loop retOp10Value(&m),
        .op10_target => continue :loop try retOp10Target(&m),
        .hint_clue => continue :loop try retHintClue(&m),
        .trace => {
            m.pop();
            continue :loop m.top();
        },
        .bout => continue :loop try retBout(&m),
        .hint_data => unreachable, // Always below a hint_after frame.
        .hint_after => continue :loop try retHintAfter(&m),
    }
}

// ---------------------------------------------------------------------------- eval

inline fn evalFormula(m: *Machine) NockError!Op {
    m.steps += 1;
    if (m.steps >= m.check_at) try m.checkLimits();
    assert(m.steps < m.check_at);
    if (m.ws.wantsCollect()) m.collect();
    const formula = m.formula;
    assert(!m.subject.isForward());
    if (!formula.isCell()) return m.crash();
    const w = m.ws.words(formula);
    assert(Header.limbs(w[0]) == 0); // A cell's header.
    const op = Noun.fromRaw(w[1]);
    const arg = Noun.fromRaw(w[2]);
    if (op.isCell()) return evalCons(m, op, arg);
    switch (op.raw()) {
        0 => {
            m.result = slot(m.ws, m.subject, arg) orelse return m.crash();
            return m.top();
        },
        1 => {
            m.result = arg;
            return m.top();
        },
        2 => return evalOp2(m, arg),
        3 => {
            if (m.quick(m.subject, arg)) |product| {
                m.result = Noun.loobean(product.isCell());
                return m.top();
            }
            try m.push(.op3, Noun.zero, Noun.zero);
            m.formula = arg;
            return .eval;
        },
        4 => {
            if (m.quick(m.subject, arg)) |product| return finishIncrement(m, product);
            try m.push(.op4, Noun.zero, Noun.zero);
            m.formula = arg;
            return .eval;
        },
        5 => return evalOp5(m, arg),
        6 => return evalOp6(m, arg),
        7, 8 => return evalOp7or8(m, op.raw(), arg),
        9 => return evalOp9(m, arg),
        10 => return evalOp10(m, arg),
        11 => return evalOp11(m, arg),
        else => return m.crash(),
    }
}

inline fn cellParts(ws: *const Workspace, n: Noun) ?[2]Noun {
    if (!n.isCell()) return null;
    const w = ws.words(n);
    assert(Header.limbs(w[0]) == 0); // A cell's header.
    return .{ Noun.fromRaw(w[1]), Noun.fromRaw(w[2]) };
}

inline fn evalCons(m: *Machine, head: Noun, tail: Noun) NockError!Op {
    assert(head.isCell());
    assert(!tail.isForward());
    if (m.quick(m.subject, head)) |head_product| {
        if (m.quick(m.subject, tail)) |tail_product| {
            m.result = m.ws.cell(head_product, tail_product) catch return m.meme();
            return m.top();
        }
        try m.push(.cons_tail, head_product, Noun.zero);
        m.formula = tail;
        return .eval;
    }
    try m.push(.cons_head, m.subject, tail);
    m.formula = head;
    return .eval;
}

inline fn evalOp2(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    assert(!parts[0].isForward());
    assert(!parts[1].isForward());
    if (m.quick(m.subject, parts[0])) |new_subject| {
        if (m.quick(m.subject, parts[1])) |new_formula| {
            m.subject = new_subject;
            m.formula = new_formula;
            return .eval;
        }
        try m.push(.op2_eval, new_subject, Noun.zero);
        m.formula = parts[1];
        return .eval;
    }
    try m.push(.op2_formula, m.subject, parts[1]);
    m.formula = parts[0];
    return .eval;
}

inline fn evalOp5(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    assert(!parts[0].isForward());
    assert(!parts[1].isForward());
    if (m.quick(m.subject, parts[0])) |first| {
        if (m.quick(m.subject, parts[1])) |second| {
            m.result = Noun.loobean(try nounsEqual(m, first, second));
            return m.top();
        }
        try m.push(.op5_second, first, Noun.zero);
        m.formula = parts[1];
        return .eval;
    }
    try m.push(.op5_first, m.subject, parts[1]);
    m.formula = parts[0];
    return .eval;
}

inline fn evalOp6(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    assert(!parts[0].isForward());
    assert(!parts[1].isForward());
    if (m.quick(m.subject, parts[0])) |test_product| return branch(m, test_product, parts[1]);
    try m.push(.op6, m.subject, parts[1]);
    m.formula = parts[0];
    return .eval;
}

/// Choose the branch of Nock 6 (subject already in place); a non-loobean test crashes.
inline fn branch(m: *Machine, test_product: Noun, branches: Noun) NockError!Op {
    assert(!test_product.isForward());
    const parts = cellParts(m.ws, branches) orelse return m.crash();
    m.formula = switch (test_product.raw()) {
        0 => parts[0],
        1 => parts[1],
        else => return m.crash(),
    };
    return .eval;
}

inline fn evalOp7or8(m: *Machine, op: u64, arg: Noun) NockError!Op {
    assert(op == 7 or op == 8);
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    if (m.quick(m.subject, parts[0])) |product| {
        m.subject = if (op == 7) product else m.ws.cell(product, m.subject) catch return m.meme();
        m.formula = parts[1];
        return .eval;
    }
    if (op == 7) {
        try m.push(.op7, parts[1], Noun.zero);
    } else {
        try m.push(.op8, m.subject, parts[1]);
    }
    m.formula = parts[0];
    return .eval;
}

inline fn evalOp9(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    if (!parts[0].isAtom()) return m.crash();
    assert(!parts[1].isForward());
    try m.push(.op9, parts[0], Noun.zero);
    if (m.quick(m.subject, parts[1])) |core| {
        m.result = core;
        return .op9;
    }
    m.formula = parts[1];
    return .eval;
}

inline fn evalOp10(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    const spec = cellParts(m.ws, parts[0]) orelse return m.crash();
    if (!spec[0].isAtom() or spec[0] == Noun.zero) return m.crash();
    assert(!spec[1].isForward());
    assert(!parts[1].isForward());
    if (m.quick(m.subject, spec[1])) |value| {
        try m.push(.op10_target, value, spec[0]);
        if (m.quick(m.subject, parts[1])) |target| {
            m.result = target;
            return .op10_target;
        }
        m.formula = parts[1];
        return .eval;
    }
    try m.push(.op10_value, m.subject, arg);
    m.formula = spec[1];
    return .eval;
}

inline fn evalOp11(m: *Machine, arg: Noun) NockError!Op {
    const parts = cellParts(m.ws, arg) orelse return m.crash();
    const hint = parts[0];
    assert(!parts[1].isForward());
    if (hint.isAtom()) {
        m.formula = parts[1];
        return .eval;
    }
    assert(hint.isCell());
    try m.push(.hint_clue, m.subject, arg);
    if (m.quick(m.subject, m.ws.tail(hint))) |clue| {
        m.result = clue;
        return .hint_clue;
    }
    m.formula = m.ws.tail(hint);
    return .eval;
}

// ---------------------------------------------------------------------------- continuations

inline fn retConsHead(m: *Machine) Op {
    const f = m.frame();
    assert(f.kind == .cons_head);
    m.subject = f.a;
    m.formula = f.b;
    f.* = .{ .kind = .cons_tail, .a = m.result, .b = Noun.zero };
    return .eval;
}

inline fn retConsTail(m: *Machine) NockError!Op {
    m.safePoint();
    const f = m.frame();
    assert(f.kind == .cons_tail);
    assert(!f.a.isForward());
    m.result = m.ws.cell(f.a, m.result) catch return m.meme();
    m.pop();
    return m.top();
}

inline fn retOp2Formula(m: *Machine) Op {
    const f = m.frame();
    assert(f.kind == .op2_formula);
    const old_subject = f.a;
    const formula_formula = f.b;
    if (m.quick(old_subject, formula_formula)) |new_formula| {
        m.pop();
        m.subject = m.result;
        m.formula = new_formula;
        return .eval;
    }
    f.* = .{ .kind = .op2_eval, .a = m.result, .b = Noun.zero };
    m.subject = old_subject;
    m.formula = formula_formula;
    return .eval;
}

inline fn retOp2Eval(m: *Machine) Op {
    assert(m.top() == .op2_eval);
    m.subject = m.frame().a;
    m.formula = m.result;
    m.pop();
    return .eval;
}

inline fn retOp5First(m: *Machine) NockError!Op {
    const f = m.frame();
    assert(f.kind == .op5_first);
    const subject = f.a;
    const second_formula = f.b;
    if (m.quick(subject, second_formula)) |second| {
        m.pop();
        m.result = Noun.loobean(try nounsEqual(m, m.result, second));
        return m.top();
    }
    f.* = .{ .kind = .op5_second, .a = m.result, .b = Noun.zero };
    m.subject = subject;
    m.formula = second_formula;
    return .eval;
}

inline fn retOp5Second(m: *Machine) NockError!Op {
    assert(m.top() == .op5_second);
    const first = m.frame().a;
    m.pop();
    m.result = Noun.loobean(try nounsEqual(m, first, m.result));
    return m.top();
}

inline fn retOp6(m: *Machine) NockError!Op {
    const f = m.frame();
    assert(f.kind == .op6);
    m.subject = f.a;
    const branches = f.b;
    m.pop();
    return branch(m, m.result, branches);
}

inline fn retOp7(m: *Machine) Op {
    assert(m.top() == .op7);
    m.subject = m.result;
    m.formula = m.frame().a;
    m.pop();
    return .eval;
}

inline fn retOp8(m: *Machine) NockError!Op {
    const f = m.frame();
    assert(f.kind == .op8);
    m.subject = m.ws.cell(m.result, f.a) catch return m.meme();
    m.formula = f.b;
    m.pop();
    return .eval;
}

/// Nock 9: offer the arm to the jet hook, else run the arm's formula on the core (tail).
inline fn retOp9(m: *Machine) NockError!Op {
    assert(m.top() == .op9);
    assert(m.frame().a.isAtom()); // The axis; evalOp9 checked it.
    if (m.ctx.hooks.arm) |arm| {
        m.frame().b = m.result;
        m.enterHook();
        const jetted = arm(m.ctx.hooks.data, m.ctx, m.result, m.frame().a) catch |err| return m.hookFailed(err);
        m.leaveHook();
        if (jetted) |product| {
            m.pop();
            m.result = product;
            return m.top();
        }
        m.result = m.frame().b; // The hook may have collected: reload the core.
    }
    const axis = m.frame().a;
    m.pop();
    m.subject = m.result;
    m.formula = slot(m.ws, m.result, axis) orelse return m.crash();
    return .eval;
}

inline fn retOp10Value(m: *Machine) Op {
    const f = m.frame();
    assert(f.kind == .op10_value);
    const subject = f.a;
    const arg = f.b;
    const spec = m.ws.head(arg);
    f.* = .{ .kind = .op10_target, .a = m.result, .b = m.ws.head(spec) };
    m.subject = subject;
    m.formula = m.ws.tail(arg);
    return .eval;
}

inline fn retOp10Target(m: *Machine) NockError!Op {
    m.safePoint();
    const f = m.frame();
    assert(f.kind == .op10_target);
    assert(f.b.isAtom()); // The axis; evalOp10 checked it.
    m.result = edit(m.ws, f.b, f.a, m.result) catch |err| switch (err) {
        error.Exit => return m.crash(),
        error.Meme => return m.meme(),
    };
    m.pop();
    return m.top();
}

inline fn finishIncrement(m: *Machine, atom: Noun) NockError!Op {
    if (atom.raw() < Noun.direct_max) {
        m.result = Noun.fromRaw(atom.raw() + 1);
        assert(m.result.isDirect());
        return m.top();
    }
    if (atom.isCell()) return m.crash();
    assert(atom.isAtom());
    m.result = atom; // A register, so that it survives the safe point.
    m.safePoint();
    m.result = increment(m.ws, m.result) catch return m.meme();
    return m.top();
}

inline fn nounsEqual(m: *Machine, a: Noun, b: Noun) NockError!bool {
    assert(!a.isForward());
    assert(!b.isForward());
    if (a == b) return true;
    if (a.isDirect() or b.isDirect()) return false;
    return equality.equal(m.ws, a, b) catch return m.meme();
}

// ---------------------------------------------------------------------------- hints

/// The clue of a dynamic hint is in the result register; the top frame is `hint_clue`.
fn retHintClue(m: *Machine) NockError!Op {
    const f = m.frame();
    assert(f.kind == .hint_clue);
    const subject = f.a;
    const arg = f.b;
    assert(arg.isCell()); // [[tag clue-formula] formula], as evalOp11 found it.
    assert(m.ws.head(arg).isCell());
    const hint_tag = m.ws.head(m.ws.head(arg));
    const clue = m.result;
    m.subject = subject;
    m.formula = m.ws.tail(arg);
    if (hint_tag.isDirect()) switch (hint_tag.raw()) {
        tag.spot, tag.mean, tag.hunk, tag.lose => {
            f.* = .{ .kind = .trace, .a = hint_tag, .b = clue };
            return .eval;
        },
        tag.slog => {
            m.pop();
            if (clue.isCell()) m.ctx.slogs.append(m.ws.gpa, clue) catch return m.meme();
            return .eval;
        },
        tag.bout => {
            f.* = .{ .kind = .bout, .a = Noun.direct(nowNs()), .b = Noun.zero };
            return .eval;
        },
        else => {},
    };
    const before = m.ctx.hooks.hint_before orelse {
        m.pop();
        return .eval;
    };
    // Keep subject, hint and clue in frames across the hook call: [hint_data] [hint_after].
    f.* = .{ .kind = .hint_data, .a = clue, .b = Noun.zero };
    try m.push(.hint_after, subject, arg);
    m.enterHook();
    const action = before(m.ctx.hooks.data, m.ctx, hintCall(m)) catch |err| return m.hookFailed(err);
    m.leaveHook();
    m.subject = m.frame().a;
    m.formula = m.ws.tail(m.frame().b);
    switch (action) {
        .after => return .eval,
        .ignore => {
            m.popHint();
            return .eval;
        },
        .product => |product| {
            m.popHint();
            m.result = product;
            return m.top();
        },
    }
}

/// The hint described by the top two frames (`hint_data` below `hint_after`).
fn hintCall(m: *const Machine) HintCall {
    const after = m.frame();
    const data = &(m.sp - 2)[0];
    assert(after.kind == .hint_after);
    assert(data.kind == .hint_data);
    return .{
        .tag = m.ws.head(m.ws.head(after.b)),
        .clue = data.a,
        .subject = after.a,
        .formula = m.ws.tail(after.b),
    };
}

fn retHintAfter(m: *Machine) NockError!Op {
    assert(m.top() == .hint_after);
    const data = &(m.sp - 2)[0];
    assert(data.kind == .hint_data);
    data.b = m.result; // A root while the hook runs.
    if (m.ctx.hooks.hint_after) |after| {
        m.enterHook();
        after(m.ctx.hooks.data, m.ctx, hintCall(m), m.result) catch |err| return m.hookFailed(err);
        m.leaveHook();
    }
    m.result = (m.sp - 2)[0].b;
    m.popHint();
    return m.top();
}

/// %bout: append `[0 [%leaf "took <n>µs"]]` to the slogs, where n is the wall-clock time of
/// the hinted computation in microseconds.
fn retBout(m: *Machine) NockError!Op {
    assert(m.top() == .bout);
    assert(m.frame().a.isDirect());
    const start_ns = m.frame().a.raw();
    m.pop();
    const elapsed_us = (nowNs() -| start_ns) / 1000;
    var buffer: [48]u8 = undefined;
    const text = std.fmt.bufPrint(&buffer, "took {d}\u{b5}s", .{elapsed_us}) catch unreachable;
    const tank = tankLeaf(m.ws, text) catch return m.meme();
    const entry = m.ws.cell(Noun.zero, tank) catch return m.meme();
    m.ctx.slogs.append(m.ws.gpa, entry) catch return m.meme();
    return m.top();
}

fn nowNs() u64 {
    const now = std.time.nanoTimestamp();
    const ns: u64 = @intCast(std.math.clamp(now, 0, @as(i128, Noun.direct_max)));
    assert(ns <= Noun.direct_max); // Kept in a frame as a direct atom.
    return ns;
}

/// `[%leaf tape]`: a tape is a list of byte atoms.
pub fn tankLeaf(ws: *Workspace, text: []const u8) error{Meme}!Noun {
    var list = Noun.zero;
    var i = text.len;
    while (i > 0) {
        i -= 1;
        list = try ws.cell(Noun.direct(text[i]), list);
    }
    assert(list.isCell() or text.len == 0);
    return ws.cell(Noun.direct(tag.leaf), list);
}

// ---------------------------------------------------------------------------- nouns

/// `[0 direct-axis]` or `[1 constant]` given as opcode and argument; null otherwise.
inline fn leaf(ws: *const Workspace, subject: Noun, op: u64, arg: Noun) ?Noun {
    assert(!subject.isForward());
    assert(!arg.isForward());
    return switch (op) {
        0 => if (arg.isDirect()) slotDirect(ws, subject, arg.raw()) else null,
        1 => arg,
        else => null,
    };
}

/// Slot with a direct axis; null for axis 0 or a path through an atom.
inline fn slotDirect(ws: *const Workspace, noun: Noun, axis: u64) ?Noun {
    if (axis == 0) return null;
    // The path bits below the top bit, most significant first, followed by a sentinel 1:
    // the walk ends when only the sentinel is left, at bit 63. One register, no counter.
    const leading: u6 = @intCast(@clz(axis));
    var path = ((axis << leading) << 1) | (@as(u64, 1) << leading);
    // The top bit of the axis went out and the sentinel came in.
    assert(@popCount(path) == @popCount(axis));
    var n = noun;
    while (path != 1 << 63) : (path <<= 1) {
        if (!n.isCell()) return null;
        n = Noun.fromRaw(ws.words(n)[1 + (path >> 63)]);
    }
    return n;
}

/// Slot with any atom axis; null when the axis is 0 or a cell, or the path meets an atom.
pub inline fn slot(ws: *const Workspace, noun: Noun, axis: Noun) ?Noun {
    assert(!noun.isForward());
    assert(!axis.isForward());
    if (axis.isDirect()) return slotDirect(ws, noun, axis.raw());
    return slotIndirect(ws, noun, axis);
}

fn slotIndirect(ws: *const Workspace, noun: Noun, axis: Noun) ?Noun {
    if (!axis.isIndirect()) return null;
    var bits = AxisBits.init(ws, axis);
    assert(bits.remaining >= 63); // An indirect atom is 2^63 or more.
    var n = noun;
    while (bits.next()) |bit| {
        if (!n.isCell()) return null;
        n = Noun.fromRaw(ws.words(n)[1 + @as(usize, bit)]);
    }
    return n;
}

/// The bits of an axis below its top bit, most significant first (0 = head, 1 = tail).
const AxisBits = struct {
    /// Limbs of an indirect axis; empty for a direct axis, whose value is `direct`.
    limbs: []const u64,
    direct: u64,
    remaining: u64,

    fn init(ws: *const Workspace, axis: Noun) AxisBits {
        assert(axis.isAtom());
        assert(axis != Noun.zero);
        if (axis.isDirect()) {
            return .{ .limbs = &.{}, .direct = axis.raw(), .remaining = 63 - @as(u64, @clz(axis.raw())) };
        }
        const w = ws.words(axis);
        const limbs = w[1 .. 1 + Header.limbs(w[0])];
        assert(limbs.len >= 1);
        assert(limbs[limbs.len - 1] != 0); // Normalised: no high zero limb.
        const top_bit = 63 - @as(u64, @clz(limbs[limbs.len - 1]));
        return .{ .limbs = limbs, .direct = 0, .remaining = (limbs.len - 1) * 64 + top_bit };
    }

    fn next(self: *AxisBits) ?u1 {
        if (self.remaining == 0) return null;
        assert(self.remaining <= 64 * @max(self.limbs.len, 1));
        self.remaining -= 1;
        const i = self.remaining;
        const limb = if (self.limbs.len == 0) self.direct else self.limbs[@intCast(i / 64)];
        return @truncate(limb >> @intCast(i % 64));
    }
};

/// `#[axis value target]`: target with the subtree at axis replaced. Walks first (so a
/// too-shallow target is %exit, not %meme), then allocates the new spine in one block.
pub fn edit(ws: *Workspace, axis: Noun, value: Noun, target: Noun) error{ Exit, Meme }!Noun {
    if (!axis.isAtom() or axis == Noun.zero) return error.Exit;
    assert(!value.isForward());
    var bits = AxisBits.init(ws, axis);
    const depth = bits.remaining;
    if (depth == 0) return value;
    var n = target;
    while (bits.next()) |bit| {
        if (!n.isCell()) return error.Exit;
        n = Noun.fromRaw(ws.words(n)[1 + @as(usize, bit)]);
    }
    if (depth > std.math.maxInt(usize) / 3) return error.Meme;
    const spine = try ws.alloc(3 * @as(usize, @intCast(depth)));
    bits = AxisBits.init(ws, axis);
    n = target;
    var i: usize = 0;
    while (bits.next()) |bit| : (i += 1) {
        const cell_words = spine + 3 * i;
        const old = ws.words(n);
        cell_words[0] = Header.cell;
        cell_words[2 - @as(usize, bit)] = old[2 - @as(usize, bit)]; // The untouched side.
        const is_last = i + 1 == depth;
        cell_words[1 + @as(usize, bit)] = if (is_last) value.raw() else Noun.cellAt(spine + 3 * (i + 1)).raw();
        n = Noun.fromRaw(old[1 + @as(usize, bit)]);
    }
    assert(i == depth);
    return Noun.cellAt(spine);
}

/// Increment of any atom.
pub fn increment(ws: *Workspace, atom: Noun) error{Meme}!Noun {
    assert(atom.isAtom());
    if (atom.isDirect()) return ws.atomU64(atom.raw() + 1);
    var scratch: u64 = undefined;
    const len = ws.bases.limbs(atom, &scratch).len;
    const limbs = try ws.startAtom(len + 1);
    const source = ws.bases.limbs(atom, &scratch); // Re-read: startAtom never moves nouns.
    var carry: u1 = 1;
    for (source, 0..) |limb, i| {
        const sum = @addWithOverflow(limb, @as(u64, carry));
        limbs[i] = sum[0];
        carry = sum[1];
    }
    assert(limbs.len == len + 1);
    limbs[len] = carry;
    return ws.finishAtom(limbs);
}
