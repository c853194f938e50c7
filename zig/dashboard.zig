//! The jet dashboard: which cores are registered (cold state, from %fast hints) and which
//! arms of them run natively (warm/hot state, matched at every Nock 9), plus the %memo
//! cache. The machine installs `hooks()` on its interpreter context.
//!
//! Cold state. A %fast hint `[11 [%fast clue] formula]` registers the core that `formula`
//! produces; its clue is `[name parent hooks]`. `parent` is the formula `[0 n]` (the parent
//! core is at axis n of the new core, and must itself be registered) or `[1 0]` (a root: its
//! payload, usually the kelvin atom, is part of its identity). `name` is a cord or a pair
//! such as `[%k 140]`, written `k140` in paths. A registration is a battery plus the
//! registration of its parent, so the same code under another parent is another core; its
//! path is the chain of names from the root (`k140/one/two/turn`). `hooks`, a list of
//! `[term formula]`, names arms of the core (see `findHook`).
//!
//! Matching. At Nock 9 the core's battery is looked up (by noun word in a cache, falling
//! back to mug + structural equality, so a copy of a registered battery matches too); the
//! registrations with that battery that have a jet for the arm's axis are verified by
//! walking up the parent chain, each parent's battery checked the same way and the root's
//! payload compared. Verified parents (long-lived contexts such as the standard library
//! core) are cached by noun word, so a typical jet call costs two hash lookups.
//!
//! The jet table (jets/table.zig: the built-in table of jets/jets.zig plus what the app
//! added at run time) is data keyed by path; a registration finds its jet when it is made,
//! and again (`relink`) after the table grows. A registration whose path has no entry is
//! counted (`Stats.unmatched`), and a hint that cannot register (`Stats.dropped`) is
//! reported with the first such clue and, when its parent was unknown, the parent's
//! battery, so that the app can add it as a known core.
//!
//! Garbage collection. Each registration keeps its nouns in one workspace tuple (a root),
//! so the collector moves them and a PMA noun inside is found by the machine's scan of live
//! workspace cells. The caches keyed by noun word are dropped after every collection and
//! rebuilt on demand (`stale`), except those keyed by PMA nouns, which stay; `forgetPma`
//! drops them all when PMA nouns move.
//!
//! Jet-check mode (`jet_check`): every jet call also runs the arm's Nock (with the jets
//! inside that reference run unchecked), compares, reports a mismatch as a %slog with the path and the sample, and
//! returns the Nock's product.

const std = @import("std");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const Noun = @import("noun.zig").Noun;
const Workspace = @import("workspace.zig").Workspace;
const interpreter = @import("interpreter.zig");
const Context = interpreter.Context;
const NockError = interpreter.NockError;
const mug_mod = @import("mug.zig");
const equality = @import("equality.zig");
const jets = @import("jets/jets.zig");
const table = @import("jets/table.zig");
const memo_mod = @import("memo.zig");
const Memo = memo_mod.Memo;
const jam = @import("jam.zig");
const WordCache = @import("word_cache.zig").WordCache;

const none: u32 = std.math.maxInt(u32);
const front_entries = 256;

const FrontEntry = struct { word: u64 = 0, head: u32 = none };

pub const Stats = struct {
    /// %fast hints seen, registrations made, and hints not registered (malformed clue, an
    /// unregistered parent, or the table full).
    fast_hints: u64 = 0,
    registrations: u64 = 0,
    dropped: u64 = 0,
    /// Registrations whose path has no entry in the jet table (they run their Nock), and
    /// hints dropped because their parent core is not registered (nor a known core).
    unmatched: u64 = 0,
    dropped_parent: u64 = 0,
    /// Jet calls, and those that fell back to the Nock (punt, crash, or memory).
    jet_calls: u64 = 0,
    jet_punts: u64 = 0,
    /// Jet-check mode: calls checked against their Nock, mismatches, and checks given up
    /// because the Nock passed `check_steps_max` (the jet's product is used unchecked).
    checks: u64 = 0,
    mismatches: u64 = 0,
    skipped: u64 = 0,
};

const Registration = struct {
    /// `[battery name hooks payload]`; `payload` is the root's payload (0 for a child).
    box: Noun,
    /// Parent registration and the parent's axis in this core (`none` and 0 for a root).
    parent: u32,
    parent_axis: u64,
    /// First registration with a structurally equal battery, and the next one after this.
    chain: u32,
    next_in_chain: u32,
    /// On chain heads: the next chain head whose battery has the same mug.
    next_same_mug: u32,
    path: []u8,
    jet: ?*const jets.Entry,
    /// The type engine's door `ut` (`~%  %ut  +>+` below `pen`): the memo keys of its arms
    /// hold its flag `vet` but not its loop sets `fan` and `rib` (see `keyParts`).
    type_engine: bool = false,
    /// Jet-check mode: calls of this registration's jet checked against its arm's Nock, and
    /// those that disagreed (per-registration parts of `Stats.checks` and `Stats.mismatches`).
    checks: u64 = 0,
    mismatches: u64 = 0,
    skipped: u64 = 0,
};

/// Profiling: calls of one arm of one registration, and the Nock steps and nanoseconds they
/// took: in all (inclusive of everything they called, counted once for a recursive arm: at
/// its outermost call), and in their own Nock or jet (less the profiled arms they called).
/// For a jet, the calls that punted to the arm's Nock; for a memoized arm, the %memo cache's
/// hits and misses.
const Usage = struct {
    calls: u64 = 0,
    steps: u64 = 0,
    self_steps: u64 = 0,
    ns: u64 = 0,
    self_ns: u64 = 0,
    punts: u64 = 0,
    memo_hits: u64 = 0,
    memo_misses: u64 = 0,
    /// Calls of this arm in progress (above 1 while it recurses).
    active: u32 = 0,
};

/// Profiling: a node of the call tree, an arm (`r << 32 | axis`) called from its parent's
/// arm, with the time spent in it less the profiled arms it called.
const ProfileNode = struct { parent: u32, arm: u64, calls: u64 = 0, self_ns: u64 = 0 };

const ProfileFrame = struct { node: u32, child_steps: u64 = 0, child_ns: u64 = 0 };

/// A named arm (`findHook`): evaluate `formula` against `subject`.
pub const HookTarget = struct {
    subject: Noun,
    formula: Noun,
};

const Staleness = enum { fresh, workspace, all };

/// The parent of a dropped %fast hint that was not registered: what a known core needs.
const DroppedParent = struct { axis: u64, mug: u32, sha256: [32]u8 };

/// A cache by noun word in two tables, so that a collection (which moves workspace nouns
/// and no PMA noun) empties one of them in O(1) and keeps the other.
const WordCaches = struct {
    workspace: WordCache = .init(constants.dashboard_cache_entries_max),
    pma: WordCache = .init(constants.dashboard_cache_entries_max),

    fn deinit(w: *WordCaches, gpa: std.mem.Allocator) void {
        w.workspace.deinit(gpa);
        w.pma.deinit(gpa);
    }

    fn table(w: *WordCaches, word: u64) *WordCache {
        return if (Noun.fromRaw(word).inPma()) &w.pma else &w.workspace;
    }

    fn get(w: *WordCaches, word: u64) ?u32 {
        return w.table(word).get(word);
    }

    fn put(w: *WordCaches, gpa: std.mem.Allocator, word: u64, value: u32) void {
        w.table(word).put(gpa, word, value);
    }

    /// Forget the entries keyed by workspace nouns, or (`all`) every entry.
    fn clear(w: *WordCaches, all: bool) void {
        w.workspace.clear();
        if (all) w.pma.clear();
    }
};

pub const Dashboard = struct {
    ws: *Workspace,
    registrations: std.ArrayList(Registration) = .empty,
    /// Battery mug -> newest chain head with that mug.
    by_mug: std.AutoHashMapUnmanaged(u32, u32) = .empty,
    /// Caches by noun word, dropped when stale: battery -> chain head (or `none`), and
    /// core -> a registration it was verified as.
    batteries: WordCaches = .{},
    verified: WordCaches = .{},
    /// A direct-mapped front for `batteries`, for the Nock 9s of loops (word 0 is empty:
    /// no battery is the atom 0 that a registered core could have).
    front: [front_entries]FrontEntry = @splat(.{}),
    /// The same for `verified`.
    verified_front: [front_entries]FrontEntry = @splat(.{}),
    /// Which caches keyed by noun word are out of date: after a workspace collection only
    /// the entries keyed by workspace nouns (PMA nouns do not move then); after PMA nouns
    /// moved, all of them.
    stale: Staleness = .fresh,
    jet_check: bool = false,
    /// Jet-check mode: the most Nock steps one check's reference run may take (0: no limit).
    check_steps_max: u64 = constants.jet_check_steps_default,
    /// Depth of reference Nock runs in progress: jets called inside one are not checked.
    checking: u32 = 0,
    /// Profiling: calls per (registration, arm axis); see `report`.
    profiling: bool = false,
    profile: std.AutoHashMapUnmanaged(u64, Usage) = .empty,
    /// The profiled arms in progress (innermost last), with the steps and time of the
    /// profiled arms they called.
    profile_children: std.ArrayList(ProfileFrame) = .empty,
    /// The call tree of profiled arms (for folded stacks), and its index by (parent, arm).
    profile_nodes: std.ArrayList(ProfileNode) = .empty,
    profile_index: std.AutoHashMapUnmanaged(u128, u32) = .empty,
    stats: Stats = .{},
    memo: Memo,
    last_mismatch: [256]u8 = undefined,
    last_mismatch_len: u32 = 0,
    /// The first dropped %fast hint (for the report): its clue, and when its parent was
    /// not registered, that parent's axis and battery (mug and SHA-256 of its jam).
    first_dropped: [256]u8 = undefined,
    first_dropped_len: u32 = 0,
    first_dropped_parent: ?DroppedParent = null,
    /// The jet table's generation that `Registration.jet` was resolved against.
    generation: u32 = 0,

    /// The dashboard registers itself (and its memo) as root sets of `ws`; it must not move
    /// until `deinit`.
    pub fn init(d: *Dashboard, ws: *Workspace) !void {
        d.* = .{ .ws = ws, .memo = undefined, .generation = table.generation.load(.acquire) };
        try d.memo.init(ws, constants.memo_budget_bytes_default);
        errdefer d.memo.deinit();
        try ws.addRootSet(.{ .ctx = d, .visit = visit });
        assert(d.registrations.items.len == 0);
    }

    pub fn deinit(d: *Dashboard) void {
        const gpa = d.ws.gpa;
        assert(d.checking == 0);
        assert(d.profile_children.items.len == 0);
        d.ws.removeRootSet(d);
        d.memo.deinit();
        for (d.registrations.items) |r| gpa.free(r.path);
        d.registrations.deinit(gpa);
        d.by_mug.deinit(gpa);
        d.batteries.deinit(gpa);
        d.verified.deinit(gpa);
        d.profile.deinit(gpa);
        d.profile_children.deinit(gpa);
        d.profile_nodes.deinit(gpa);
        d.profile_index.deinit(gpa);
        d.* = undefined;
    }

    pub fn hooks(d: *Dashboard) interpreter.Hooks {
        return .{ .data = d, .hint_before = hintBefore, .hint_after = hintAfter, .arm = arm };
    }

    fn visit(opaque_dashboard: *anyopaque, ws: *Workspace) void {
        const d: *Dashboard = @ptrCast(@alignCast(opaque_dashboard));
        assert(d.ws == ws);
        for (d.registrations.items) |*r| r.box = ws.forward(r.box);
        if (d.stale == .fresh) d.stale = .workspace;
    }

    /// PMA nouns moved or went away (PMA GC, replica switch, close): drop the caches keyed
    /// by noun word. Registrations themselves follow through the workspace scan.
    pub fn forgetPma(d: *Dashboard) void {
        d.stale = .all;
    }

    // ------------------------------------------------------------ registrations

    fn reg(d: *const Dashboard, r: u32) *Registration {
        assert(r != none);
        assert(r < d.registrations.items.len);
        return &d.registrations.items[r];
    }

    fn batteryOf(d: *const Dashboard, r: u32) Noun {
        assert(d.reg(r).box.isCell()); // [battery name hooks payload]
        return d.ws.head(d.reg(r).box);
    }

    fn nameOf(d: *const Dashboard, r: u32) Noun {
        return d.ws.head(d.ws.tail(d.reg(r).box));
    }

    fn hooksOf(d: *const Dashboard, r: u32) Noun {
        return d.ws.head(d.ws.tail(d.ws.tail(d.reg(r).box)));
    }

    fn payloadOf(d: *const Dashboard, r: u32) Noun {
        return d.ws.tail(d.ws.tail(d.ws.tail(d.reg(r).box)));
    }

    pub fn count(d: *const Dashboard) usize {
        return d.registrations.items.len;
    }

    /// The path of registration `r` (valid until `deinit`).
    pub fn pathOf(d: *const Dashboard, r: u32) []const u8 {
        return d.reg(r).path;
    }

    /// Drop the stale caches by noun word: after a workspace collection those keyed by
    /// workspace nouns (PMA nouns did not move, and re-deriving an entry for a PMA copy of a
    /// registered battery costs a deep comparison), else all. O(1) but for the fronts.
    fn refresh(d: *Dashboard) void {
        assert(d.stale != .fresh);
        d.forgetWords(d.stale == .all);
        assert(d.stale == .fresh);
    }

    fn forgetWords(d: *Dashboard, all: bool) void {
        d.batteries.clear(all);
        d.verified.clear(all);
        for ([_]*[front_entries]FrontEntry{ &d.front, &d.verified_front }) |front| {
            if (all) {
                front.* = @splat(.{});
            } else for (front) |*e| {
                if (!Noun.fromRaw(e.word).inPma()) e.* = .{};
            }
        }
        d.stale = .fresh;
    }

    inline fn frontIndex(word: u64) usize {
        return @as(usize, @truncate((word >> 3) ^ (word >> 13))) % front_entries;
    }

    /// The registration the core at `word` was verified as, or `none`.
    fn verifiedAs(d: *Dashboard, word: u64) u32 {
        const front = &d.verified_front[frontIndex(word)];
        if (front.word == word and word != 0) return front.head;
        const r = d.verified.get(word) orelse return none;
        assert(r < d.registrations.items.len);
        front.* = .{ .word = word, .head = r };
        return r;
    }

    fn putVerified(d: *Dashboard, word: u64, r: u32) void {
        assert(Noun.fromRaw(word).isCell()); // Verified cores are cells.
        assert(r < d.registrations.items.len);
        d.verified.put(d.ws.gpa, word, r);
        d.verified_front[frontIndex(word)] = .{ .word = word, .head = r };
    }

    /// The chain head of the registrations whose battery equals `battery`, or null.
    fn lookupBattery(d: *Dashboard, battery: Noun) ?u32 {
        if (d.stale != .fresh) d.refresh();
        const word = battery.raw();
        const front = &d.front[frontIndex(word)];
        if (front.word == word and word != 0) return if (front.head == none) null else front.head;
        const head = d.batteries.get(word) orelse blk: {
            const found = d.findByMug(battery) orelse none;
            d.batteries.put(d.ws.gpa, word, found);
            break :blk found;
        };
        front.* = .{ .word = word, .head = head };
        assert(head == none or d.reg(head).chain == head); // Batteries map to chain heads.
        return if (head == none) null else head;
    }

    fn findByMug(d: *Dashboard, battery: Noun) ?u32 {
        if (d.by_mug.count() == 0) return null;
        const m = mug_mod.mug(d.ws, battery) catch return null;
        var r = d.by_mug.get(m) orelse return null;
        while (r != none) : (r = d.reg(r).next_same_mug) {
            assert(d.reg(r).chain == r); // The mug chain links chain heads.
            if (equality.unify(d.ws, d.batteryOf(r), battery) catch false) return r;
        }
        return null;
    }

    /// Whether `core` (whose battery is in `r`'s chain) is an instance of registration `r`:
    /// each parent up the chain has the registered battery, and the root its payload.
    fn verifyChain(d: *Dashboard, core: Noun, r: u32) bool {
        assert(core.isCell());
        var parents: [constants.dashboard_chain_depth_max]u64 = undefined;
        var parent_regs: [constants.dashboard_chain_depth_max]u32 = undefined;
        var n: usize = 0;
        var c = core;
        var i = r;
        const ok = while (n < parents.len) {
            const x = d.reg(i);
            if (x.parent == none) break d.rootMatches(c, i);
            const parent = interpreter.slot(d.ws, c, Noun.direct(x.parent_axis)) orelse break false;
            const p = x.parent;
            if (d.verifiedAs(parent.raw()) == p) break true;
            if (!parent.isCell()) break false;
            const head = d.lookupBattery(d.ws.head(parent)) orelse break false;
            if (head != d.reg(p).chain) break false;
            parents[n] = parent.raw();
            parent_regs[n] = p;
            n += 1;
            c = parent;
            i = p;
        } else false;
        assert(n <= parents.len);
        if (ok) {
            for (parents[0..n], parent_regs[0..n]) |word, p| d.putVerified(word, p);
        }
        return ok;
    }

    fn rootMatches(d: *Dashboard, core: Noun, r: u32) bool {
        assert(d.reg(r).parent == none);
        if (!core.isCell()) return false;
        return equality.unify(d.ws, d.payloadOf(r), d.ws.tail(core)) catch false;
    }

    /// The registration `core` is an instance of, or null.
    pub fn findRegistration(d: *Dashboard, core: Noun) ?u32 {
        if (!core.isCell()) return null;
        const head = d.lookupBattery(d.ws.head(core)) orelse return null;
        const v = d.verifiedAs(core.raw());
        if (v != none and d.reg(v).chain == head) return v;
        var r = head;
        while (r != none) : (r = d.reg(r).next_in_chain) {
            assert(d.reg(r).chain == head);
            if (d.verifyChain(core, r)) {
                d.putVerified(core.raw(), r);
                return r;
            }
        }
        return null;
    }

    /// Register `core` from a %fast clue; best effort (a bad clue or an unregistered parent
    /// is counted as dropped).
    pub fn register(d: *Dashboard, clue: Noun, core: Noun) void {
        d.stats.fast_hints += 1;
        d.relinkIfStale();
        d.tryRegister(clue, core) catch |err| {
            d.stats.dropped += 1;
            if (err == error.NoParent) d.stats.dropped_parent += 1;
            if (d.stats.dropped == 1) d.noteDropped(clue, core, err == error.NoParent);
        };
        assert(d.stats.dropped <= d.stats.fast_hints);
        assert(d.stats.dropped_parent <= d.stats.dropped);
    }

    /// Keep the first dropped hint's clue and, when its parent was unknown, what a known
    /// core for that parent needs (its axis, its battery's mug and SHA-256).
    fn noteDropped(d: *Dashboard, clue: Noun, core: Noun, no_parent: bool) void {
        var w = std.Io.Writer.fixed(&d.first_dropped);
        writeNoun(d.ws, &w, clue, 200) catch {};
        d.first_dropped_len = @intCast(w.end);
        d.first_dropped_parent = null;
        if (!no_parent) return;
        const ws = d.ws;
        const parent_formula = stripHints(ws, ws.head(ws.tail(clue)));
        const axis = ws.tail(parent_formula);
        assert(axis.isDirect()); // tryRegister checked it before looking the parent up.
        const parent = interpreter.slot(ws, core, axis) orelse return;
        if (!parent.isCell()) return;
        const m = mug_mod.mug(ws, ws.head(parent)) catch return;
        const sha = batterySha256(d.ws, ws.head(parent)) orelse return;
        d.first_dropped_parent = .{ .axis = axis.raw(), .mug = m, .sha256 = sha };
    }

    /// The jet table grew since the registrations found their jets: look them up again.
    fn relinkIfStale(d: *Dashboard) void {
        const g = table.generation.load(.acquire);
        if (g != d.generation) d.relink(g);
    }

    /// Resolve every registration's jet against the jet table (generation `g`).
    pub fn relink(d: *Dashboard, g: u32) void {
        d.generation = g;
        d.stats.unmatched = 0;
        for (d.registrations.items) |*r| {
            r.jet = table.lookup(r.path);
            if (r.jet == null) d.stats.unmatched += 1;
        }
        assert(d.stats.unmatched <= d.registrations.items.len);
    }

    fn tryRegister(d: *Dashboard, clue: Noun, core: Noun) error{ Dropped, NoParent }!void {
        const ws = d.ws;
        if (!clue.isCell() or !ws.tail(clue).isCell() or !core.isCell()) return error.Dropped;
        const name = ws.head(clue);
        const parent_formula = stripHints(ws, ws.head(ws.tail(clue)));
        const hook_list = ws.tail(ws.tail(clue));
        if (!parent_formula.isCell()) return error.Dropped;
        const op = ws.head(parent_formula);
        const arg = ws.tail(parent_formula);
        var parent: u32 = none;
        var axis: u64 = 0;
        if (op == Noun.one and arg == Noun.zero) {
            // A root.
        } else if (op == Noun.zero and arg.isDirect() and arg.raw() >= 2) {
            axis = arg.raw();
            const parent_core = interpreter.slot(ws, core, arg) orelse return error.Dropped;
            parent = d.findRegistration(parent_core) orelse d.recognize(parent_core) orelse return error.NoParent;
        } else return error.Dropped;
        assert((parent == none) == (axis == 0));
        const head = d.lookupBattery(ws.head(core));
        if (head) |h| {
            if (d.findExisting(h, core, name, parent, axis)) |r| {
                // Already registered: adopt this core's nouns when they are equal copies,
                // so that the newest state (the one running) matches by identity.
                d.adopt(r, core) catch return error.Dropped;
                return;
            }
        }
        _ = try d.add(core, name, hook_list, parent, axis, head, null);
    }

    /// Register `core` from the table of known cores (see `jets.KnownCore`), with the
    /// unregistered cores above it, up to a registered one or a known root; its
    /// registration, or null when some core on the way is unknown.
    fn recognize(d: *Dashboard, core: Noun) ?u32 {
        var chain: [constants.dashboard_chain_depth_max]Noun = undefined;
        var known: [constants.dashboard_chain_depth_max]*const jets.KnownCore = undefined;
        var n: usize = 0;
        var top: u32 = none;
        var c = core;
        while (true) {
            if (n == chain.len) return null;
            const k = d.knownCore(c) orelse return null;
            chain[n] = c;
            known[n] = k;
            n += 1;
            if (k.parent_axis == 0) {
                if (d.ws.tail(c) != Noun.direct(k.payload)) return null;
                break;
            }
            c = interpreter.slot(d.ws, c, Noun.direct(k.parent_axis)) orelse return null;
            if (d.findRegistration(c)) |r| {
                const parent_path = std.fs.path.dirnamePosix(k.path) orelse return null;
                if (!std.mem.eql(u8, d.reg(r).path, parent_path)) return null;
                top = r;
                break;
            }
        }
        while (n > 0) {
            n -= 1;
            const k = known[n];
            const x = chain[n];
            const name = d.ws.atomFromBytes(std.fs.path.basenamePosix(k.path)) catch return null;
            const head = d.lookupBattery(d.ws.head(x));
            top = d.add(x, name, Noun.zero, top, k.parent_axis, head, k.path) catch return null;
        }
        assert(top != none); // At least the core itself was added.
        return top;
    }

    /// The known core whose battery is `core`'s, or null. The mug filters; the SHA-256 of
    /// the battery's jam decides.
    fn knownCore(d: *Dashboard, core: Noun) ?*const jets.KnownCore {
        if (!core.isCell()) return null;
        const battery = d.ws.head(core);
        const m = mug_mod.mug(d.ws, battery) catch return null;
        const Battery = struct { ws: *Workspace, noun: Noun };
        return table.knownCore(m, Battery{ .ws = d.ws, .noun = battery }, struct {
            fn digest(b: Battery) ?[32]u8 {
                return batterySha256(b.ws, b.noun);
            }
        }.digest);
    }

    /// The parent formula without the hints wrapped around it (`~%` may put a %spot on it):
    /// `[11 hint formula]` is `formula`.
    fn stripHints(ws: *const Workspace, formula: Noun) Noun {
        var f = formula;
        var n: u32 = 0;
        while (n < 16 and f.isCell() and ws.head(f) == Noun.direct(11)) : (n += 1) {
            const rest = ws.tail(f);
            if (!rest.isCell()) break;
            f = ws.tail(rest);
        }
        assert(n <= 16);
        return f;
    }

    /// Add a registration (its path built from the names, or `known_path`); its index.
    fn add(d: *Dashboard, core: Noun, name: Noun, hook_list: Noun, parent: u32, axis: u64, head: ?u32, known_path: ?[]const u8) error{Dropped}!u32 {
        const ws = d.ws;
        const gpa = ws.gpa;
        if (d.registrations.items.len >= constants.dashboard_registrations_max) return error.Dropped;
        const index: u32 = @intCast(d.registrations.items.len);
        const battery = if (head) |h| d.batteryOf(h) else ws.head(core);
        const battery_mug = mug_mod.mug(ws, battery) catch return error.Dropped;
        const payload = if (parent == none) ws.tail(core) else Noun.zero;
        const box = ws.tuple(&.{ battery, name, hook_list, payload }) catch return error.Dropped;
        const path = (if (known_path) |p| gpa.dupe(u8, p) else d.buildPath(parent, name)) catch return error.Dropped;
        errdefer gpa.free(path);
        d.registrations.ensureUnusedCapacity(gpa, 1) catch return error.Dropped;
        if (head == null) {
            d.by_mug.ensureUnusedCapacity(gpa, 1) catch return error.Dropped;
        }
        var next_same_mug: u32 = none;
        if (head) |h| {
            var last = h;
            while (d.reg(last).next_in_chain != none) last = d.reg(last).next_in_chain;
            d.reg(last).next_in_chain = index;
        } else {
            next_same_mug = d.by_mug.get(battery_mug) orelse none;
            d.by_mug.putAssumeCapacity(battery_mug, index);
        }
        d.registrations.appendAssumeCapacity(.{
            .box = box,
            .parent = parent,
            .parent_axis = axis,
            .chain = head orelse index,
            .next_in_chain = none,
            .next_same_mug = next_same_mug,
            .path = path,
            .jet = table.lookup(path),
            .type_engine = axis == 15 and std.mem.endsWith(u8, path, "/pen/ut"),
        });
        if (d.reg(index).jet == null) d.stats.unmatched += 1;
        // A new battery: cached misses for it (or for copies of it) are now wrong.
        if (head == null) d.forgetWords(true);
        d.stats.registrations += 1;
        assert(d.registrations.items.len == index + 1);
        assert(d.reg(index).chain == (head orelse index));
        return index;
    }

    // ------------------------------------------------------------ cold state

    /// The registrations as a noun, so a runtime can keep them beside its state (in the
    /// PMA) and skip re-booting the kernel: a list, in registration order, of
    /// `[battery name hooks payload parent axis path]`, where `parent` is 0 for a root or
    /// the 1-based index of the parent in the list, and `path` the registration's path as
    /// a cord. The batteries are the registered nouns themselves, so a state that shares
    /// them keeps sharing them.
    pub fn exportCold(d: *Dashboard) error{Meme}!Noun {
        const ws = d.ws;
        var list = Noun.zero;
        var i = d.registrations.items.len;
        while (i > 0) {
            i -= 1;
            const r = d.reg(@intCast(i));
            const parent = if (r.parent == none) Noun.zero else try ws.atomU64(r.parent + 1);
            const path = try ws.atomFromBytes(r.path);
            const axis = try ws.atomU64(r.parent_axis);
            const item = try ws.tuple(&.{ d.batteryOf(@intCast(i)), d.nameOf(@intCast(i)), d.hooksOf(@intCast(i)), d.payloadOf(@intCast(i)), parent, axis, path });
            list = try ws.cell(item, list);
        }
        assert(list.isCell() or d.registrations.items.len == 0);
        return list;
    }

    pub const ImportError = error{ BadColdState, Meme };

    /// Add the registrations of an `exportCold` noun (typically read from a PMA). A
    /// registration equal to an existing one is not added twice; when their batteries are
    /// equal but different nouns, the existing chain is re-pointed to the imported battery,
    /// so lookups of the imported (long-lived) nouns are found by word, without a deep
    /// comparison. Returns how many registrations were added.
    pub fn importCold(d: *Dashboard, cold: Noun) ImportError!u32 {
        const ws = d.ws;
        const gpa = ws.gpa;
        var map: std.ArrayList(u32) = .empty;
        defer map.deinit(gpa);
        var added: u32 = 0;
        d.relinkIfStale();
        var it = cold;
        while (it.isCell()) : (it = ws.tail(it)) {
            var fields: [7]Noun = undefined;
            var item = ws.head(it);
            for (0..6) |f| {
                if (!item.isCell()) return error.BadColdState;
                fields[f] = ws.head(item);
                item = ws.tail(item);
            }
            fields[6] = item;
            const battery = fields[0];
            const parent_field = fields[4];
            const axis_field = fields[5];
            if (!battery.isCell() or !parent_field.isDirect() or !axis_field.isDirect() or !fields[6].isAtom())
                return error.BadColdState;
            const parent_index = parent_field.raw();
            if (parent_index > map.items.len) return error.BadColdState;
            const parent: u32 = if (parent_index == 0) none else map.items[@intCast(parent_index - 1)];
            const axis = axis_field.raw();
            if ((parent == none) != (axis == 0)) return error.BadColdState;
            var scratch: u64 = undefined;
            const path = ws.atomBytes(fields[6], &scratch);
            const core = ws.cell(battery, fields[3]) catch return error.Meme;
            var head = d.lookupBattery(battery);
            if (head) |h| {
                if (d.batteryOf(h).raw() != battery.raw()) {
                    d.repointChain(h, battery) catch return error.Meme;
                    head = d.lookupBattery(battery);
                }
            }
            const existing = if (head) |h| d.findExisting(h, core, fields[1], parent, axis) else null;
            if (existing) |r| d.adopt(r, core) catch return error.Meme;
            const index = existing orelse blk: {
                const r = d.add(core, fields[1], fields[2], parent, axis, head, path) catch return error.Meme;
                added += 1;
                break :blk r;
            };
            map.append(gpa, index) catch return error.Meme;
        }
        if (it != Noun.zero) return error.BadColdState;
        assert(added <= map.items.len);
        return added;
    }

    /// Make registration `r` (found equal to `core`) use `core`'s battery and, for a root,
    /// its payload, when they are other nouns: lookups of the newest copy then hit by word.
    fn adopt(d: *Dashboard, r: u32, core: Noun) error{Meme}!void {
        const ws = d.ws;
        assert(core.isCell());
        const battery = ws.head(core);
        if (d.batteryOf(r).raw() != battery.raw()) try d.repointChain(d.reg(r).chain, battery);
        if (d.reg(r).parent == none and d.payloadOf(r).raw() != ws.tail(core).raw()) {
            d.reg(r).box = try ws.tuple(&.{ d.batteryOf(r), d.nameOf(r), d.hooksOf(r), ws.tail(core) });
            d.stale = .all;
        }
    }

    /// Make every registration of the chain `h` use `battery` (structurally equal to theirs).
    fn repointChain(d: *Dashboard, h: u32, battery: Noun) error{Meme}!void {
        const ws = d.ws;
        assert(d.reg(h).chain == h);
        var r = h;
        while (r != none) : (r = d.reg(r).next_in_chain) {
            const box = d.reg(r).box;
            d.reg(r).box = try ws.cell(battery, ws.tail(box));
        }
        d.stale = .all;
    }

    /// The registration of the chain `head` that `core` (named `name`, under `parent` at
    /// `axis`) already is, or null.
    fn findExisting(d: *Dashboard, head: u32, core: Noun, name: Noun, parent: u32, axis: u64) ?u32 {
        assert(d.reg(head).chain == head);
        var r = head;
        while (r != none) : (r = d.reg(r).next_in_chain) {
            const x = d.reg(r);
            assert(x.chain == head);
            if (x.parent != parent or x.parent_axis != axis) continue;
            if (!(equality.equal(d.ws, d.nameOf(r), name) catch false)) continue;
            if (parent == none and !d.rootMatches(core, r)) continue;
            return r;
        }
        return null;
    }

    /// `parent-path/name`, the name written as a cord, or `k140` for `[%k 140]`.
    fn buildPath(d: *Dashboard, parent: u32, name: Noun) ![]u8 {
        const gpa = d.ws.gpa;
        assert(parent == none or parent < d.registrations.items.len);
        var out: std.ArrayList(u8) = .empty;
        errdefer out.deinit(gpa);
        if (parent != none) {
            try out.appendSlice(gpa, d.reg(parent).path);
            try out.append(gpa, '/');
        }
        if (name.isCell() and d.ws.head(name).isAtom() and d.ws.tail(name).isAtom()) {
            try d.appendAtomName(&out, d.ws.head(name), false);
            try d.appendAtomName(&out, d.ws.tail(name), true);
        } else if (name.isAtom()) {
            try d.appendAtomName(&out, name, false);
        } else {
            try out.append(gpa, '?');
        }
        return out.toOwnedSlice(gpa);
    }

    /// A cord as its text when it is printable, else in decimal. The second element of a
    /// pair is a number (`140` in `[%k 140]`) unless it is a long printable cord (`.mink`).
    fn appendAtomName(d: *Dashboard, out: *std.ArrayList(u8), a: Noun, second: bool) !void {
        const gpa = d.ws.gpa;
        assert(a.isAtom());
        var scratch: u64 = undefined;
        const bytes = d.ws.atomBytes(a, &scratch);
        const printable = bytes.len > 0 and for (bytes) |b| {
            if (b < 0x21 or b > 0x7e) break false;
        } else true;
        const small = a.isDirect() and a.raw() < 1_000_000;
        if (printable and !(second and small)) {
            if (second) try out.append(gpa, '.');
            return out.appendSlice(gpa, bytes);
        }
        if (a.isDirect()) return out.print(gpa, "{d}", .{a.raw()});
        try out.appendSlice(gpa, "0x");
        var i = bytes.len;
        while (i > 0) {
            i -= 1;
            try out.print(gpa, "{x:0>2}", .{bytes[i]});
        }
    }

    /// The arm named `name` among the hooks of `core`'s registration or, failing that, of
    /// its parents' (then evaluated against that parent core).
    pub fn findHook(d: *Dashboard, core: Noun, name: []const u8) ?HookTarget {
        var c = core;
        var r = d.findRegistration(core) orelse return null;
        var depth: u32 = 0;
        while (depth < constants.dashboard_chain_depth_max) : (depth += 1) {
            var list = d.hooksOf(r);
            while (list.isCell()) : (list = d.ws.tail(list)) {
                const item = d.ws.head(list);
                if (!item.isCell() or !d.ws.head(item).isAtom()) continue;
                var scratch: u64 = undefined;
                if (std.mem.eql(u8, d.ws.atomBytes(d.ws.head(item), &scratch), name)) {
                    return .{ .subject = c, .formula = d.ws.tail(item) };
                }
            }
            const x = d.reg(r);
            if (x.parent == none) return null;
            assert(x.parent_axis >= 2);
            c = interpreter.slot(d.ws, c, Noun.direct(x.parent_axis)) orelse return null;
            r = x.parent;
        }
        return null;
    }

    // ------------------------------------------------------------ hooks

    fn of(data: ?*anyopaque) *Dashboard {
        return @ptrCast(@alignCast(data.?));
    }

    fn hintBefore(data: ?*anyopaque, _: *Context, call: interpreter.HintCall) NockError!interpreter.HintAction {
        const d = of(data);
        if (!call.tag.isDirect()) return .ignore;
        // The interpreter handles these itself and never offers them.
        assert(call.tag.raw() != interpreter.tag.spot);
        assert(call.tag.raw() != interpreter.tag.slog);
        switch (call.tag.raw()) {
            interpreter.tag.fast => return .after,
            interpreter.tag.memo => {
                const k = d.hintKey(call.subject, call.formula) orelse return .ignore;
                if (d.memo.lookup(k)) |product| return .{ .product = product };
                return .after;
            },
            else => return .ignore,
        }
    }

    fn hintAfter(data: ?*anyopaque, _: *Context, call: interpreter.HintCall, product: Noun) NockError!void {
        const d = of(data);
        assert(call.tag.isDirect());
        switch (call.tag.raw()) {
            interpreter.tag.fast => d.register(call.clue, product),
            interpreter.tag.memo => {
                const k = d.hintKey(call.subject, call.formula) orelse return; // Never collects.
                d.memo.insert(k, product, 0); // Its cost is not known.
            },
            else => unreachable, // hintBefore answered .ignore.
        }
    }

    /// Nock 9: run a jet for arm `axis` of `core` if one is registered and matches.
    fn arm(data: ?*anyopaque, ctx: *Context, core: Noun, axis: Noun) NockError!?Noun {
        const d = of(data);
        assert(ctx.ws == d.ws);
        assert(axis.isAtom()); // The interpreter checked Nock 9's axis.
        if (!core.isCell() or !axis.isDirect()) return null;
        d.relinkIfStale();
        const head = d.lookupBattery(d.ws.head(core)) orelse return null;
        var r = head;
        while (r != none) : (r = d.reg(r).next_in_chain) {
            const entry = d.reg(r).jet orelse continue;
            if (entry.arm_axis != axis.raw()) continue;
            if (!d.verifyChain(core, r)) continue;
            if (d.profiling) return d.profiledJet(ctx, r, core, axis);
            return d.runJet(ctx, r, core, axis);
        }
        if (d.profiling) return d.profileArm(ctx, core, head, axis);
        return null;
    }

    fn callJet(entry: *const jets.Entry, ctx: *Context, core: Noun) jets.JetError!Noun {
        assert(core.isCell());
        return switch (entry.func) {
            .plain => |jet| jet(ctx.ws, core),
            .slams => |jet| jet(ctx.ws, core, jets.slam.interpreterSlam(ctx)),
            .virtual => |jet| jet(ctx, core),
            .memo => unreachable, // runJet handles memoized arms.
        };
    }

    /// Whether a hook may run Nock nested (recursing on the native stack) once more.
    fn canNest(ctx: *const Context) bool {
        assert(ctx.depth > 0); // Hooks run inside a `nock` call.
        return ctx.depth < constants.dashboard_nesting_max;
    }

    /// A memoized arm: its product from the %memo cache, or its Nock run nested and cached
    /// when it took at least `memo_mod.admit_steps_min` steps (a cheaper product is not
    /// worth the room it takes from the costly ones). The key is the registration and arm
    /// and the core's parts outside its batteries.
    fn memoArm(d: *Dashboard, ctx: *Context, r: u32, core: Noun, axis: Noun) NockError!?Noun {
        assert(canNest(ctx));
        assert(axis.isDirect());
        const formula = interpreter.slot(d.ws, core, axis) orelse return null;
        if (axis.raw() > std.math.maxInt(u32)) return null;
        const parts = d.keyParts(core, r, .arm) orelse return null;
        const k = d.memo.key(tagOf(r, axis.raw()), parts) orelse return null;
        const hit = d.memo.lookup(k);
        if (d.profiling) d.countMemo(r, axis.raw(), hit != null);
        if (hit) |product| return product;
        var roots = [_]Noun{ k.noun, Noun.zero };
        d.ws.pushRoots(&roots) catch return error.Meme;
        defer d.ws.popRoots(&roots);
        const start = ctx.steps;
        roots[1] = try interpreter.nock(ctx, core, formula);
        const steps = ctx.steps - start;
        if (steps >= memo_mod.admit_steps_min) {
            d.memo.insert(.{ .tag = k.tag, .noun = roots[0], .hash = k.hash }, roots[1], steps);
        }
        return roots[1];
    }

    /// The memo tag of arm `axis` of registration `r` (0 for a hint on its cores).
    fn tagOf(r: u32, axis: u64) u64 {
        assert(axis <= std.math.maxInt(u32));
        return (@as(u64, r) + 1) << 32 | axis;
    }

    /// The memo key of a %memo hint: `[formula parts]` under the registration of a
    /// registered subject, else `[subject formula]`.
    fn hintKey(d: *Dashboard, subject: Noun, formula: Noun) ?memo_mod.Key {
        if (d.findRegistration(subject)) |r| {
            const parts = d.keyParts(subject, r, .hint) orelse return null;
            const noun = d.ws.cell(formula, parts) catch return null;
            return d.memo.key(tagOf(r, 0), noun);
        }
        const noun = d.ws.cell(subject, formula) catch return null;
        return d.memo.key(0, noun);
    }

    /// What distinguishes `core`, an instance of registration `r`, from other instances: the
    /// subtrees beside the path to each parent (samples, context pins), as a list, innermost
    /// first. Batteries and the root's payload are fixed by the registration, so two
    /// instances with equal parts are equal cores. Null when a part cannot be allocated.
    ///
    /// For a memoized arm (`.arm`) below the type engine's door `ut`, the door's pin
    /// `[fan rib vet]` counts as `vet` alone, as Urbit's runtime keys its type-engine caches
    /// (`[vet sut ...]`): `fan` (holds being expanded) and `rib` (arms being checked) grow
    /// with the nesting of a compile, so keys that hold them almost never meet again (a
    /// compile of hoon.hoon's layer 4 hit 3% of its `play`s). They only detect loops: an
    /// answer cached under other sets is the one the Nock gives unless the Nock would stop
    /// a loop there (a `rest-loop` crash, a re-check `rib` skips, `redo`'s repo loop).
    fn keyParts(d: *Dashboard, core: Noun, r: u32, use: enum { arm, hint }) ?Noun {
        var parts = Noun.zero;
        var c = core;
        var i = r;
        var depth: u32 = 0;
        while (d.reg(i).parent != none) : (depth += 1) {
            if (depth == constants.dashboard_chain_depth_max) return null;
            const axis = d.reg(i).parent_axis;
            assert(axis >= 2);
            const steps: u6 = @intCast(63 - @clz(axis));
            var k = steps;
            while (k > 0) {
                k -= 1;
                if (!c.isCell()) return null;
                const right = (axis >> k) & 1 == 1;
                const sibling = if (right) d.ws.head(c) else d.ws.tail(c);
                // The sibling at the top on the way right is the battery (axis 2).
                const loose = use == .arm and d.reg(i).type_engine and k == 0;
                const part = if (loose) pinFlag(d.ws, sibling) catch return null else sibling;
                if (!(right and k + 1 == steps)) parts = d.ws.cell(part, parts) catch return null;
                c = if (right) d.ws.tail(c) else d.ws.head(c);
            }
            i = d.reg(i).parent;
        }
        return parts;
    }

    /// The key part of the type engine's pin: `vet` of `[fan rib vet]` when it is an atom,
    /// else `[pin 0]` (a cell: never equal to a flag, and equal only for equal pins).
    fn pinFlag(ws: *Workspace, pin: Noun) error{Meme}!Noun {
        if (pin.isCell() and ws.tail(pin).isCell() and ws.tail(ws.tail(pin)).isAtom()) {
            return ws.tail(ws.tail(pin));
        }
        return ws.cell(pin, Noun.zero);
    }

    fn runJet(d: *Dashboard, ctx: *Context, r: u32, core: Noun, axis: Noun) NockError!?Noun {
        const entry = d.reg(r).jet.?;
        assert(axis.isDirect());
        assert(entry.arm_axis == axis.raw());
        d.stats.jet_calls += 1;
        if (entry.func != .plain and !canNest(ctx)) {
            d.countPunt(r, axis.raw());
            return null;
        }
        if (entry.func == .memo) return d.memoArm(ctx, r, core, axis);
        if (d.jet_check and d.checking == 0 and canNest(ctx)) return try d.checkJet(ctx, r, core, axis);
        return callJet(entry, ctx, core) catch |err| switch (err) {
            error.Intr => error.Intr,
            error.Meme => if (entry.func == .plain) d.retryPlain(ctx, entry, core) else error.Meme,
            error.Exit, error.Punt => {
                // The Nock decides, and a crash then carries the arm's own trace.
                d.countPunt(r, axis.raw());
                return null;
            },
        };
    }

    /// A plain jet ran out of room: collect (its allocations were garbage) and try once more.
    /// Collecting is allowed here: the interpreter keeps its state in frames during a hook.
    fn retryPlain(d: *Dashboard, ctx: *Context, entry: *const jets.Entry, core: Noun) NockError!?Noun {
        assert(entry.func == .plain); // Plain jets never run Nock: their garbage is theirs.
        var roots = [_]Noun{core};
        d.ws.pushRoots(&roots) catch return error.Meme;
        d.ws.collect();
        d.ws.popRoots(&roots);
        return callJet(entry, ctx, roots[0]) catch |err| switch (err) {
            error.Meme => error.Meme,
            error.Intr => error.Intr,
            error.Exit, error.Punt => null,
        };
    }

    /// Jet-check mode: run the jet, then the arm's Nock (within `check_steps_max` steps),
    /// compare, and return the Nock's product (or its failure). A reference run over its
    /// budget skips the check: the jet's product is used, or the arm's Nock runs unchecked.
    fn checkJet(d: *Dashboard, ctx: *Context, r: u32, core: Noun, axis: Noun) NockError!?Noun {
        const entry = d.reg(r).jet.?;
        assert(d.checking == 0); // Jets inside a reference run are not checked.
        var roots = [_]Noun{ core, Noun.zero };
        d.ws.pushRoots(&roots) catch return error.Meme;
        defer d.ws.popRoots(&roots);
        const Outcome = enum { product, exit, unknown };
        var outcome: Outcome = .unknown;
        if (callJet(entry, ctx, core)) |product| {
            roots[1] = product;
            outcome = .product;
        } else |err| switch (err) {
            error.Intr => return error.Intr,
            error.Exit => outcome = .exit,
            error.Punt, error.Meme => {},
        }
        const formula = interpreter.slot(d.ws, roots[0], axis) orelse return null;
        // Jets inside the reference Nock run unchecked: checking them too would multiply
        // the cost by the depth of every recursion. (Jets the jet itself reaches through
        // its slams are checked.)
        d.checking += 1;
        defer d.checking -= 1;
        const product = d.referenceRun(ctx, roots[0], formula) catch |err| {
            if (err == error.Punt) {
                d.stats.skipped += 1;
                d.reg(r).skipped += 1;
                return if (outcome == .product) roots[1] else null;
            }
            // A crash is a result to compare; an interrupt or a full workspace is none.
            if (err == error.Exit) d.countCheck(r);
            if (err == error.Exit and outcome == .product) d.mismatch(ctx, r, roots[0], "the jet gave a product, the Nock crashed");
            return @as(NockError, @errorCast(err));
        };
        d.countCheck(r);
        if (outcome == .exit) {
            d.mismatch(ctx, r, roots[0], "the jet crashed, the Nock gave a product");
        } else if (outcome == .product and !(equality.equal(d.ws, roots[1], product) catch true)) {
            d.mismatch(ctx, r, roots[0], "the products differ");
        }
        return product;
    }

    fn countCheck(d: *Dashboard, r: u32) void {
        d.stats.checks += 1;
        d.reg(r).checks += 1;
        assert(d.reg(r).checks <= d.stats.checks);
    }

    /// The arm's Nock for a check, stopped with `error.Punt` once it passes the check's
    /// step budget (an interrupt or the caller's own step limit stays `error.Intr`).
    fn referenceRun(d: *Dashboard, ctx: *Context, core: Noun, formula: Noun) (NockError || error{Punt})!Noun {
        if (d.check_steps_max == 0) return interpreter.nock(ctx, core, formula);
        const outer_limit = ctx.steps_limit;
        const budget_limit = ctx.steps +| d.check_steps_max;
        if (budget_limit >= outer_limit) return interpreter.nock(ctx, core, formula);
        ctx.steps_limit = budget_limit;
        ctx.check_at = @min(ctx.check_at, budget_limit +| 1);
        defer {
            ctx.steps_limit = outer_limit;
            ctx.check_at = @max(ctx.steps + 1, @min(ctx.poll_at, outer_limit +| 1));
        }
        return interpreter.nock(ctx, core, formula) catch |err| {
            if (err == error.Intr and ctx.steps > budget_limit) return error.Punt;
            return err;
        };
    }

    /// Count a mismatch and report it as a %slog at priority 3 (allocates, never collects).
    fn mismatch(d: *Dashboard, ctx: *Context, r: u32, core: Noun, why: []const u8) void {
        d.stats.mismatches += 1;
        d.reg(r).mismatches += 1;
        assert(d.reg(r).mismatches <= d.reg(r).checks);
        var buffer: [512]u8 = undefined;
        var w = std.Io.Writer.fixed(&buffer);
        w.print("jet mismatch: {s}: {s}; sample ", .{ d.reg(r).path, why }) catch {};
        const sample = interpreter.slot(d.ws, core, Noun.direct(6)) orelse Noun.zero;
        writeNoun(d.ws, &w, sample, 160) catch {};
        const text = w.buffered();
        const kept = @min(text.len, d.last_mismatch.len);
        @memcpy(d.last_mismatch[0..kept], text[0..kept]);
        d.last_mismatch_len = @intCast(kept);
        const tank = interpreter.tankLeaf(d.ws, text) catch return;
        const entry = d.ws.cell(Noun.direct(3), tank) catch return;
        ctx.slogs.append(d.ws.gpa, entry) catch {};
    }

    // ------------------------------------------------------------ profiling

    fn usage(d: *Dashboard, r: u32, axis: u64) ?*Usage {
        assert(r < d.registrations.items.len);
        const key = @as(u64, r) << 32 | @min(axis, std.math.maxInt(u32));
        const entry = d.profile.getOrPut(d.ws.gpa, key) catch return null;
        if (!entry.found_existing) entry.value_ptr.* = .{};
        return entry.value_ptr;
    }

    /// A jet call that falls back to its arm's Nock.
    fn countPunt(d: *Dashboard, r: u32, axis: u64) void {
        d.stats.jet_punts += 1;
        if (!d.profiling) return;
        if (d.usage(r, axis)) |u| u.punts += 1;
    }

    /// Profiling: a memoized arm's lookup in the %memo cache.
    fn countMemo(d: *Dashboard, r: u32, axis: u64, hit: bool) void {
        assert(d.profiling);
        const u = d.usage(r, axis) orelse return;
        if (hit) u.memo_hits += 1 else u.memo_misses += 1;
    }

    /// Profiling: a Nock 9 on a registered core without a jet is run here, nested, to count
    /// its steps (so it is no tail call: profile only programs that fit the work stack).
    fn profileArm(d: *Dashboard, ctx: *Context, core: Noun, head: u32, axis: Noun) NockError!?Noun {
        var r = head;
        while (r != none) : (r = d.reg(r).next_in_chain) {
            if (d.verifyChain(core, r)) break;
        } else return null;
        if (!canNest(ctx)) return null;
        const formula = interpreter.slot(d.ws, core, axis) orelse return null;
        const start = d.profileEnter(ctx, r, axis.raw()) orelse return null;
        const result = interpreter.nock(ctx, core, formula);
        d.profileLeave(ctx, r, axis.raw(), start);
        return try result;
    }

    /// Profiling: a jet call, timed as an arm of the call tree. When the jet punts, the
    /// arm's Nock runs here, nested (when it can), so its time and the arms it calls count
    /// under the jet's arm.
    fn profiledJet(d: *Dashboard, ctx: *Context, r: u32, core: Noun, axis: Noun) NockError!?Noun {
        var roots = [_]Noun{core};
        d.ws.pushRoots(&roots) catch return d.runJet(ctx, r, core, axis);
        defer d.ws.popRoots(&roots);
        const start = d.profileEnter(ctx, r, axis.raw()) orelse return d.runJet(ctx, r, core, axis);
        const result = d.punted(ctx, r, &roots[0], axis);
        d.profileLeave(ctx, r, axis.raw(), start);
        return result;
    }

    /// The jet's product, or when it punts (null), the arm's Nock run nested if it can be.
    fn punted(d: *Dashboard, ctx: *Context, r: u32, core: *const Noun, axis: Noun) NockError!?Noun {
        if (try d.runJet(ctx, r, core.*, axis)) |product| return product;
        if (!canNest(ctx)) return null;
        // The jet may have collected: `core` is a root slot, forwarded.
        const formula = interpreter.slot(d.ws, core.*, axis) orelse return null;
        return try interpreter.nock(ctx, core.*, formula);
    }

    const ProfileStart = struct { steps: u64, ns: u64, nesting: usize };

    /// Push a frame for arm `axis` of `r` under the innermost profiled arm; null when host
    /// memory is short (the call then goes unprofiled).
    fn profileEnter(d: *Dashboard, ctx: *const Context, r: u32, axis: u64) ?ProfileStart {
        const gpa = d.ws.gpa;
        const frames = d.profile_children.items;
        const parent: u32 = if (frames.len == 0) none else frames[frames.len - 1].node;
        const key = @as(u64, r) << 32 | @min(axis, std.math.maxInt(u32));
        d.profile_nodes.ensureUnusedCapacity(gpa, 1) catch return null;
        d.profile_children.ensureUnusedCapacity(gpa, 1) catch return null;
        const u = d.usage(r, axis) orelse return null;
        const entry = d.profile_index.getOrPut(gpa, @as(u128, parent) << 64 | key) catch return null;
        if (!entry.found_existing) {
            entry.value_ptr.* = @intCast(d.profile_nodes.items.len);
            d.profile_nodes.appendAssumeCapacity(.{ .parent = parent, .arm = key });
        }
        u.active += 1;
        d.profile_children.appendAssumeCapacity(.{ .node = entry.value_ptr.* });
        return .{ .steps = ctx.steps, .ns = nowNs(), .nesting = frames.len };
    }

    fn profileLeave(d: *Dashboard, ctx: *const Context, r: u32, axis: u64, start: ProfileStart) void {
        assert(d.profile_children.items.len == start.nesting + 1); // Nested arms popped theirs.
        const frame = d.profile_children.pop().?;
        const steps = ctx.steps - start.steps;
        const ns = nowNs() -| start.ns;
        const frames = d.profile_children.items;
        if (frames.len > 0) {
            frames[frames.len - 1].child_steps += steps;
            frames[frames.len - 1].child_ns += ns;
        }
        const node = &d.profile_nodes.items[frame.node];
        node.calls += 1;
        node.self_ns += ns -| frame.child_ns;
        // profileEnter made the entry, and entries are only removed by clearProfile.
        const u = d.usage(r, axis).?;
        assert(u.active > 0);
        u.active -= 1;
        u.calls += 1;
        u.self_steps += steps -| frame.child_steps;
        u.self_ns += ns -| frame.child_ns;
        if (u.active == 0) {
            u.steps += steps;
            u.ns += ns;
        }
    }

    /// Forget the profile.
    pub fn clearProfile(d: *Dashboard) void {
        assert(d.profile_children.items.len == 0);
        d.profile.clearRetainingCapacity();
        d.profile_nodes.clearRetainingCapacity();
        d.profile_index.clearRetainingCapacity();
    }

    /// The profile as folded stacks (the format of flamegraph.pl): one line per call path
    /// of profiled arms, `outer;...;inner <microseconds>`, the time spent in the innermost
    /// arm itself. An arm is named by its registration's path, and `+axis` unless it is a
    /// gate's arm 2.
    pub fn folded(d: *Dashboard, gpa: std.mem.Allocator) ![]u8 {
        var out: std.ArrayList(u8) = .empty;
        errdefer out.deinit(gpa);
        var path: std.ArrayList(u32) = .empty;
        defer path.deinit(gpa);
        for (d.profile_nodes.items, 0..) |node, i| {
            const us = node.self_ns / 1000;
            if (us == 0) continue;
            path.clearRetainingCapacity();
            var n: u32 = @intCast(i);
            while (n != none) : (n = d.profile_nodes.items[n].parent) try path.append(gpa, n);
            var k = path.items.len;
            while (k > 0) {
                k -= 1;
                const arm_key = d.profile_nodes.items[path.items[k]].arm;
                const axis = arm_key & 0xffff_ffff;
                try out.appendSlice(gpa, d.reg(@intCast(arm_key >> 32)).path);
                if (axis != 2) try out.print(gpa, "+{d}", .{axis});
                try out.append(gpa, if (k == 0) ' ' else ';');
            }
            try out.print(gpa, "{d}\n", .{us});
        }
        return out.toOwnedSlice(gpa);
    }

    /// A text report, one item a line:
    ///   registrations <count>
    ///   unmatched <count>                               registrations whose path has no
    ///                                                    entry in the jet table
    ///   dropped <count> (<p> with an unknown parent), the first with clue <noun>
    ///                                                    (only when some were dropped)
    ///   unknown parent axis=<a> mug=<8 hex> sha256=<64 hex>   the first dropped hint's
    ///                                                    parent (only when it was unknown):
    ///                                                    a known core for it fixes it
    ///   <path>                                           a registration without a jet
    ///   <path> * jet=<entry> checks=<n> mismatches=<m> [skipped=<k>] a registration with a jet: n calls
    ///                                                    checked against the arm's Nock in
    ///                                                    jet-check mode, m of them mismatched,
    ///                                                    k not checked (over the step budget;
    ///                                                    written only when k > 0)
    ///   profile <count>
    ///   <self-steps> <steps> <calls> <path> +<axis> jet|nock <self-us> <us> <punts>
    ///       <memo-hits> <memo-misses>                   the profile's arms, most own steps
    ///                                                    first: own and inclusive steps and
    ///                                                    microseconds (a recursive arm's
    ///                                                    inclusive counts from its outermost
    ///                                                    call), jet punts, %memo lookups
    /// Registrations come in registration order; counts are decimal.
    pub fn report(d: *Dashboard, gpa: std.mem.Allocator) ![]u8 {
        var out: std.ArrayList(u8) = .empty;
        errdefer out.deinit(gpa);
        d.relinkIfStale();
        try out.print(gpa, "registrations {d}\nunmatched {d}\n", .{ d.registrations.items.len, d.stats.unmatched });
        if (d.stats.dropped > 0) {
            try out.print(gpa, "dropped {d} ({d} with an unknown parent), the first with clue {s}\n", .{
                d.stats.dropped, d.stats.dropped_parent, d.first_dropped[0..d.first_dropped_len],
            });
        }
        if (d.first_dropped_parent) |p| {
            const sha = std.fmt.bytesToHex(p.sha256, .lower);
            try out.print(gpa, "unknown parent axis={d} mug={x:0>8} sha256={s}\n", .{ p.axis, p.mug, &sha });
        }
        for (d.registrations.items) |r| {
            if (r.jet == null) {
                assert(r.checks == 0);
                try out.print(gpa, "{s}\n", .{r.path});
            } else {
                assert(r.mismatches <= r.checks);
                try out.print(gpa, "{s} * jet={s} checks={d} mismatches={d}", .{ r.path, r.jet.?.name, r.checks, r.mismatches });
                if (r.skipped > 0) try out.print(gpa, " skipped={d}", .{r.skipped});
                try out.append(gpa, '\n');
            }
        }
        const Row = struct { key: u64, usage: Usage };
        var rows: std.ArrayList(Row) = .empty;
        defer rows.deinit(gpa);
        var it = d.profile.iterator();
        while (it.next()) |e| try rows.append(gpa, .{ .key = e.key_ptr.*, .usage = e.value_ptr.* });
        std.mem.sort(Row, rows.items, {}, struct {
            fn lessThan(_: void, a: Row, b: Row) bool {
                return a.usage.self_steps > b.usage.self_steps or
                    (a.usage.self_steps == b.usage.self_steps and a.usage.calls > b.usage.calls);
            }
        }.lessThan);
        try out.print(gpa, "profile {d}\n", .{rows.items.len});
        for (rows.items) |row| {
            const r: u32 = @intCast(row.key >> 32);
            const axis = row.key & 0xffff_ffff;
            const x = d.reg(r);
            const jetted = x.jet != null and x.jet.?.arm_axis == axis;
            const u = row.usage;
            try out.print(gpa, "{d} {d} {d} {s} +{d} {s} {d} {d} {d} {d} {d}\n", .{
                u.self_steps,     u.steps,     u.calls, x.path,      axis,          if (jetted) "jet" else "nock",
                u.self_ns / 1000, u.ns / 1000, u.punts, u.memo_hits, u.memo_misses,
            });
        }
        return out.toOwnedSlice(gpa);
    }
};

/// Wall-clock nanoseconds (a clock before 1970 reads 0).
/// The SHA-256 of `battery`'s jam (what identifies a known core), or null out of memory.
fn batterySha256(ws: *Workspace, battery: Noun) ?[32]u8 {
    const bytes = jam.jamBytes(ws, ws.gpa, battery) catch return null;
    defer ws.gpa.free(bytes);
    var out: [32]u8 = undefined;
    std.crypto.hash.sha2.Sha256.hash(bytes, &out, .{});
    return out;
}

fn nowNs() u64 {
    return @intCast(std.math.clamp(std.time.nanoTimestamp(), 0, std.math.maxInt(i64)));
}

/// A noun on one line, tails flattened (`[1 2 3]`), cut at about `max` bytes. Iterative,
/// with a bounded stack: deeper heads print as `[...]`.
fn writeNoun(ws: *const Workspace, w: *std.Io.Writer, n: Noun, max: usize) std.Io.Writer.Error!void {
    // A noun to write whole, or the rest of a tuple (" item ... item]").
    const Item = struct { noun: Noun, rest: bool };
    var stack: [48]Item = undefined;
    var depth: usize = 1;
    stack[0] = .{ .noun = n, .rest = false };
    const start = w.end;
    while (depth > 0) {
        assert(depth <= stack.len);
        if (w.end - start > max) return w.writeAll("...");
        depth -= 1;
        const item = stack[depth];
        if (item.rest) try w.writeAll(" ");
        if (item.noun.isCell()) {
            if (depth + 2 > stack.len) {
                try w.writeAll(if (item.rest) "...]" else "[...]");
                continue;
            }
            if (!item.rest) try w.writeAll("[");
            stack[depth] = .{ .noun = ws.tail(item.noun), .rest = true };
            stack[depth + 1] = .{ .noun = ws.head(item.noun), .rest = false };
            depth += 2;
            continue;
        }
        if (item.noun.isDirect()) try w.print("{d}", .{item.noun.raw()}) else try w.writeAll("<big atom>");
        if (item.rest) try w.writeAll("]");
    }
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const t = @import("jets/testing.zig");
const cue = @import("cue.zig");
const corpus = @import("corpus.zig");

const Fixture = struct {
    ws: Workspace,
    ctx: Context,
    d: Dashboard,

    fn init(f: *Fixture, limit_bytes: u64) !void {
        f.ws = try Workspace.init(testing.allocator, limit_bytes);
        try f.ctx.initWithStack(&f.ws, 1 << 20);
        try f.d.init(&f.ws);
        f.ctx.hooks = f.d.hooks();
    }

    fn deinit(f: *Fixture) void {
        f.d.deinit();
        f.ctx.deinit();
        f.ws.deinit();
    }

    /// The corpus programs' shape: a root `[%a 50]` whose arm 2 builds a gate (arm
    /// `gate_arm`) registered as `name`, called with `sample`.
    fn program(f: *Fixture, gate_arm: []const u8, name: []const u8, sample: []const u8) !Noun {
        var buffer: [1024]u8 = undefined;
        const text = try std.fmt.bufPrint(&buffer,
            \\[7 [1 3159393] 7 [8 [1 [7 [8 [1 0] [1 {s}] 0 1] 11 [%fast 1 {s} [0 7] 0] 0 1]]
            \\ 11 [%fast 1 [%a 50] [1 0] [[%get 0 3] 0]] 0 1]
            \\ 8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 {s}] 0 2]
        , .{ gate_arm, name, sample });
        return t.parse(&f.ws, text);
    }

    fn run(f: *Fixture, formula: Noun) !Noun {
        return interpreter.nock(&f.ctx, Noun.zero, formula);
    }
};

/// Hoon's jetless decrement gate (as in the corpus's decfast.jam).
const dec_arm = "6 [5 [1 0] 0 6] [0 0] 8 [1 0] 8 [1 6 [5 [0 30] 4 0 6] [0 6] 9 2 10 [6 4 0 6] 0 1] 9 2 0 1";

test "dashboard: %fast registers a root and a child, and Nock 9 runs the dec jet" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    f.ctx.limits.steps_max = 100_000; // Without the jet this takes 10^10 steps.
    const product = try f.run(try f.program(dec_arm, "%dec", "2000000000"));
    try testing.expectEqual(Noun.direct(1_999_999_999), product);
    try testing.expectEqual(@as(usize, 2), f.d.count());
    try testing.expectEqualStrings("a50", f.d.pathOf(0));
    try testing.expectEqualStrings("a50/dec", f.d.pathOf(1));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_calls);
    // The same program again: nothing new is registered, and after a collection the
    // registrations still match (their nouns moved, the caches were rebuilt).
    f.ws.collect();
    const again = try f.run(try f.program(dec_arm, "%dec", "77"));
    try testing.expectEqual(Noun.direct(76), again);
    try testing.expectEqual(@as(usize, 2), f.d.count());
    try testing.expectEqual(@as(u64, 2), f.d.stats.jet_calls);
    // A name without a jet runs its Nock; a crash in the jet (dec 0) falls back to the Nock.
    try testing.expectEqual(Noun.direct(9), try f.run(try f.program(dec_arm, "%decslow", "10")));
    try testing.expectError(error.Exit, f.run(try f.program(dec_arm, "%dec", "0")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_punts);
}

test "dashboard: a different root payload or parent is a different core" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    _ = try f.run(try f.program(dec_arm, "%dec", "5"));
    // The same code under root payload 7 instead of 3159393 is not `a50`'s child: no jet.
    f.ctx.limits.steps_max = 10_000;
    var buffer: [1024]u8 = undefined;
    const text = try std.fmt.bufPrint(&buffer,
        \\[7 [1 7] 8 [1 [7 [8 [1 0] [1 {s}] 0 1] 11 [%fast 1 %dec [0 7] 0] 0 1]]
        \\ 8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 100000] 0 2]
    , .{dec_arm});
    try testing.expectError(error.Intr, f.run(try t.parse(&f.ws, text)));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_calls);
    try testing.expect(f.d.stats.dropped >= 1); // Its parent was never registered.
}

test "dashboard: a known core added at run time registers a hint whose parent was unknown" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    // A root core (payload 7) that no %fast hint registered here, and a gate under it.
    var buffer: [1024]u8 = undefined;
    const text = try std.fmt.bufPrint(&buffer,
        \\[7 [1 7] 8 [1 [7 [8 [1 0] [1 {s}] 0 1] 11 [%fast 1 %dec [0 7] 0] 0 1]]
        \\ 8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 100] 0 2]
    , .{dec_arm});
    try testing.expectEqual(Noun.direct(99), try f.run(try t.parse(&f.ws, text)));
    try testing.expectEqual(@as(u64, 1), f.d.stats.dropped_parent);
    try testing.expectEqual(@as(u64, 0), f.d.stats.jet_calls);
    const report = try f.d.report(testing.allocator);
    defer testing.allocator.free(report);
    try testing.expect(std.mem.indexOf(u8, report, "dropped 1 (1 with an unknown parent), the first with clue [6514020 [0 7] 0]\n") != null);
    // What the report says the parent is, added as a known core (with a mapping for the
    // gate under it), registers the chain at the next hint, and the gate runs its jet.
    const p = f.d.first_dropped_parent.?;
    try testing.expectEqual(@as(u64, 7), p.axis);
    try testing.expect(std.mem.indexOf(u8, report, "unknown parent axis=7 mug=") != null);
    var line: [200]u8 = undefined;
    const addition = try std.fmt.bufPrint(&line, "core dashtest-root 0 7 {x:0>8} {s}\njet dashtest-root/dec dec\n", .{ p.mug, &std.fmt.bytesToHex(p.sha256, .lower) });
    var message: [256]u8 = undefined;
    var w = std.Io.Writer.fixed(&message);
    try testing.expectEqual(@as(u32, 2), try table.add(addition, &w));
    try testing.expectEqual(Noun.direct(99), try f.run(try t.parse(&f.ws, text)));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_calls);
    try testing.expectEqual(@as(usize, 2), f.d.count());
    try testing.expectEqualStrings("dashtest-root", f.d.pathOf(0));
    try testing.expectEqualStrings("dashtest-root/dec", f.d.pathOf(1));
    try testing.expectEqual(@as(u64, 1), f.d.stats.dropped);
}

test "dashboard: registrations find jets added to the table after them" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    _ = try f.run(try f.program(dec_arm, "%dashtest-dec", "5"));
    try testing.expectEqual(@as(u64, 0), f.d.stats.jet_calls);
    try testing.expectEqual(@as(u64, 2), f.d.stats.unmatched); // `a50` and `a50/dashtest-dec`.
    var message: [256]u8 = undefined;
    var w = std.Io.Writer.fixed(&message);
    try testing.expectEqual(@as(u32, 1), try table.add("jet a50/dashtest-dec dec\n", &w));
    f.ctx.limits.steps_max = 10_000; // Without the jet this takes 10^12 steps.
    try testing.expectEqual(Noun.direct(999_999), try f.run(try f.program(dec_arm, "%dashtest-dec", "1000000")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_calls);
    try testing.expectEqual(@as(u64, 1), f.d.stats.unmatched);
}

test "dashboard: imported registrations run unjetted without their table entry, jetted with it" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    _ = try f.run(try f.program(dec_arm, "%dashtest-cold", "5"));
    const cold = try f.d.exportCold();
    // A state reopened elsewhere: its registrations come back by path.
    var g: Fixture = undefined;
    try g.init(64 << 20);
    defer g.deinit();
    const bytes = try jam.jamBytes(&f.ws, testing.allocator, cold);
    defer testing.allocator.free(bytes);
    const copy = try cue.cue(&g.ws, bytes);
    try testing.expectEqual(@as(u32, 2), try g.d.importCold(copy));
    try testing.expectEqual(@as(u64, 2), g.d.stats.unmatched); // Runs its Nock, counted.
    try testing.expectEqual(Noun.direct(4), try g.run(try g.program(dec_arm, "%dashtest-cold", "5")));
    try testing.expectEqual(@as(u64, 0), g.d.stats.jet_calls);
    // The app passes its table again: the same registrations now run the jet.
    var message: [256]u8 = undefined;
    var w = std.Io.Writer.fixed(&message);
    try testing.expectEqual(@as(u32, 1), try table.add("jet a50/dashtest-cold dec\n", &w));
    try testing.expectEqual(Noun.direct(4), try g.run(try g.program(dec_arm, "%dashtest-cold", "5")));
    try testing.expectEqual(@as(u64, 1), g.d.stats.jet_calls);
    try testing.expectEqual(@as(u64, 1), g.d.stats.unmatched);
}

test "dashboard: jet-check mode reports a mismatch and uses the Nock's product" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    f.d.jet_check = true;
    // A fake `a50/dec` whose Nock answers 42.
    try testing.expectEqual(Noun.direct(42), try f.run(try f.program("1 42", "%dec", "5")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.checks);
    try testing.expectEqual(@as(u64, 1), f.d.stats.mismatches);
    try testing.expectEqual(@as(usize, 1), f.ctx.slogs.items.len);
    const text = f.d.last_mismatch[0..f.d.last_mismatch_len];
    try testing.expectEqualStrings("jet mismatch: a50/dec: the products differ; sample 5", text);
    // The real dec agrees with its Nock.
    try testing.expectEqual(Noun.direct(99), try f.run(try f.program(dec_arm, "%dec", "100")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.mismatches);
    // A jet crash where the Nock crashes too is no mismatch.
    try testing.expectError(error.Exit, f.run(try f.program(dec_arm, "%dec", "0")));
    try testing.expectEqual(@as(u64, 3), f.d.stats.checks);
    try testing.expectEqual(@as(u64, 1), f.d.stats.mismatches);
    // Per registration: the fake dec (one check, one mismatch) and the real one (two checks).
    const report = try f.d.report(testing.allocator);
    defer testing.allocator.free(report);
    try testing.expect(std.mem.indexOf(u8, report, "\na50/dec * jet=dec checks=1 mismatches=1\n") != null);
    try testing.expect(std.mem.indexOf(u8, report, "\na50/dec * jet=dec checks=2 mismatches=0\n") != null);
    try testing.expect(std.mem.indexOf(u8, report, "\na50\n") != null);
}

test "dashboard: jet-check gives up a check over its step budget and counts it skipped" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    f.d.jet_check = true;
    f.d.check_steps_max = 10_000;
    // The decrement's Nock takes about 10 steps per unit: 2,000,000 is far over the budget.
    try testing.expectEqual(Noun.direct(1_999_999), try f.run(try f.program(dec_arm, "%dec", "2000000")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.skipped);
    try testing.expectEqual(@as(u64, 0), f.d.stats.checks);
    // Within the budget the check runs; the caller's own step limit still stops everything.
    try testing.expectEqual(Noun.direct(99), try f.run(try f.program(dec_arm, "%dec", "100")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.checks);
    f.ctx.limits.steps_max = 5_000;
    try testing.expectError(error.Intr, f.run(try f.program(dec_arm, "%dec", "2000000")));
    try testing.expectEqual(@as(u64, 1), f.d.stats.skipped);
    f.ctx.limits.steps_max = 0;
    const report = try f.d.report(testing.allocator);
    defer testing.allocator.free(report);
    try testing.expect(std.mem.indexOf(u8, report, "\na50/dec * jet=dec checks=1 mismatches=0 skipped=1\n") != null);
}

test "dashboard: memoized arms are keyed on the core's parts outside its batteries" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    // A registered gate `a50/dec` under a root whose hook list is empty: its parts are
    // the sample (axis 6) only; the context is the registered root.
    _ = try f.run(try f.program(dec_arm, "%dec", "5"));
    const r: u32 = 1;
    try testing.expectEqualStrings("a50/dec", f.d.pathOf(r));
    const root_battery = f.d.batteryOf(0);
    const root = try f.ws.cell(root_battery, Noun.direct(3159393));
    const core = try f.ws.tuple(&.{ f.d.batteryOf(r), Noun.direct(42), root });
    try testing.expectEqual(@as(?u32, r), f.d.findRegistration(core));
    const parts = f.d.keyParts(core, r, .arm).?;
    try t.expectNoun(&f.ws, try t.parse(&f.ws, "[42 0]"), parts);
}

test "dashboard: the type engine's pin keys on its flag alone" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // `[fan rib vet]` with any sets gives `vet`; another shape stays apart from every flag.
    const pin = try t.parse(&ws, "[[1 0 0] [[2 3 4] 0 0] 1]");
    try testing.expectEqual(Noun.direct(1), try Dashboard.pinFlag(&ws, pin));
    try testing.expectEqual(Noun.yes, try Dashboard.pinFlag(&ws, try t.parse(&ws, "[0 0 0]")));
    try t.expectNoun(&ws, try t.parse(&ws, "[0 0]"), try Dashboard.pinFlag(&ws, Noun.zero));
    try t.expectNoun(&ws, try t.parse(&ws, "[[0 1] 0]"), try Dashboard.pinFlag(&ws, try t.parse(&ws, "[0 1]")));
    try t.expectNoun(&ws, try t.parse(&ws, "[[0 0 1 2] 0]"), try Dashboard.pinFlag(&ws, try t.parse(&ws, "[0 0 1 2]")));
}

test "dashboard: profiling writes folded stacks of the profiled arms" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    f.d.profiling = true;
    try testing.expectEqual(Noun.direct(199_999), try f.run(try f.program(dec_arm, "%decslow", "200000")));
    try testing.expectEqual(Noun.direct(4), try f.run(try f.program(dec_arm, "%dec", "5")));
    const text = try f.d.folded(testing.allocator);
    defer testing.allocator.free(text);
    // The jetless arm ran about two million steps: milliseconds, on a line of its own.
    var lines = std.mem.tokenizeScalar(u8, text, '\n');
    var found = false;
    while (lines.next()) |line| {
        const space = std.mem.lastIndexOfScalar(u8, line, ' ').?;
        const us = try std.fmt.parseInt(u64, line[space + 1 ..], 10);
        try testing.expect(us > 0);
        if (std.mem.eql(u8, line[0..space], "a50/decslow")) found = us > 100;
    }
    try testing.expect(found);
    // A punt (dec 0 crashes in the jet) runs the arm's Nock inside the jet's frame.
    try testing.expectError(error.Exit, f.run(try f.program(dec_arm, "%dec", "0")));
    const report = try f.d.report(testing.allocator);
    defer testing.allocator.free(report);
    const slow = profileRow(report, " a50/decslow +2 nock ").?;
    try testing.expectEqual(@as(u64, 1), slow[2]); // Calls.
    try testing.expectEqual(slow[0], slow[1]); // No profiled arm below: own steps are all.
    try testing.expect(slow[0] > 1_000_000);
    try testing.expect(slow[3] > 100 and slow[3] <= slow[4]); // Own and inclusive us.
    try testing.expectEqual([3]u64{ 0, 0, 0 }, slow[5..8].*); // No punts, no memo lookups.
    const dec = profileRow(report, " a50/dec +2 jet ").?;
    try testing.expectEqual(@as(u64, 2), dec[2]);
    try testing.expectEqual(@as(u64, 1), dec[5]); // The punt.
    try testing.expect(dec[1] > 0); // The punted call's Nock steps count under the jet.
    f.d.profiling = false;
    f.d.clearProfile();
    const empty = try f.d.folded(testing.allocator);
    defer testing.allocator.free(empty);
    try testing.expectEqualStrings("", empty);
}

/// The numbers of the report's profile line that contains `name`: self-steps, steps, calls,
/// then (after the name) self-us, us, punts, memo hits, memo misses.
fn profileRow(report: []const u8, name: []const u8) ?[8]u64 {
    var lines = std.mem.tokenizeScalar(u8, report, '\n');
    while (lines.next()) |line| {
        const at = std.mem.indexOf(u8, line, name) orelse continue;
        var row: [8]u64 = undefined;
        var fields = std.mem.tokenizeScalar(u8, line[0..at], ' ');
        for (row[0..3]) |*x| x.* = std.fmt.parseInt(u64, fields.next() orelse return null, 10) catch return null;
        fields = std.mem.tokenizeScalar(u8, line[at + name.len ..], ' ');
        for (row[3..8]) |*x| x.* = std.fmt.parseInt(u64, fields.next() orelse return null, 10) catch return null;
        return row;
    }
    return null;
}

test "dashboard: hooks find arms by name, up the parent chain" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    // The program's product is the gate itself when the gate is called with its own arm
    // replaced by [0 1]: build the gate, then look up %get (a hook of the root).
    const gate = try f.run(try f.program("0 1", "%ident", "5"));
    try testing.expect(gate.isCell());
    const target = f.d.findHook(gate, "get").?;
    try t.expectNoun(&f.ws, try t.parse(&f.ws, "[0 3]"), target.formula);
    // The hook's subject is the root core [battery 3159393], so [0 3] gives the payload.
    const payload = try interpreter.nock(&f.ctx, target.subject, target.formula);
    try testing.expectEqual(Noun.direct(3159393), payload);
    try testing.expect(f.d.findHook(gate, "nope") == null);
}

test "dashboard: corpus decfast and decflow finish quickly with the jet" {
    const cases = [_]struct { file: []const u8, product: u64 }{
        .{ .file = "nock/decfast.jam", .product = 1_999_999_999 },
        .{ .file = "nock/decflow.jam", .product = 1_999_999_999 },
    };
    for (cases) |c| {
        const bytes = (try corpus.readCorpus(testing.allocator, c.file)) orelse return error.SkipZigTest;
        defer testing.allocator.free(bytes);
        var f: Fixture = undefined;
        try f.init(64 << 20);
        defer f.deinit();
        const program = try cue.cue(&f.ws, bytes);
        f.ctx.limits.steps_max = 1_000_000;
        const product = try interpreter.nock(&f.ctx, f.ws.head(program), f.ws.tail(program));
        try testing.expectEqual(Noun.direct(c.product), product);
        try testing.expect(f.d.stats.jet_calls >= 1);
    }
}

test "dashboard: shax.jam's built library is recognized by its batteries and jetted" {
    const bytes = (try corpus.readCorpus(testing.allocator, "nock/shax.jam")) orelse return error.SkipZigTest;
    defer testing.allocator.free(bytes);
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    const program = try cue.cue(&f.ws, bytes);
    f.ctx.limits.steps_max = 1_000_000; // Jetless it takes many minutes.
    const product = try interpreter.nock(&f.ctx, f.ws.head(program), f.ws.tail(program));
    // The SHA-256 of the one byte 0x01, as an atom of its bytes in order.
    var digest: [32]u8 = undefined;
    std.crypto.hash.sha2.Sha256.hash(&.{1}, &digest, .{});
    try t.expectNoun(&f.ws, try f.ws.atomFromBytes(&digest), product);
    try testing.expectEqualStrings("k139", f.d.pathOf(0));
    try testing.expectEqualStrings("k139/one/two/tri", f.d.pathOf(3));
    try testing.expectEqual(@as(u64, 0), f.d.stats.dropped);
}

test "dashboard: a parent formula wrapped in hints still names the parent" {
    var f: Fixture = undefined;
    try f.init(64 << 20);
    defer f.deinit();
    var buffer: [1024]u8 = undefined;
    const text = try std.fmt.bufPrint(&buffer,
        \\[7 [1 3159393] 7 [8 [1 [7 [8 [1 0] [1 {s}] 0 1] 11 [%fast 1 %dec [11 [%spot 1 0] 0 7] 0] 0 1]]
        \\ 11 [%fast 1 [%a 50] [11 %foo 1 0] 0] 0 1]
        \\ 8 [9 2 0 1] 9 2 10 [6 7 [0 3] 1 50] 0 2]
    , .{dec_arm});
    try testing.expectEqual(Noun.direct(49), try f.run(try t.parse(&f.ws, text)));
    try testing.expectEqual(@as(u64, 1), f.d.stats.jet_calls);
    try testing.expectEqual(@as(u64, 0), f.d.stats.dropped);
}

test "dashboard: nouns in reports print flat and bounded" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    var buffer: [256]u8 = undefined;
    const cases = [_][2][]const u8{
        .{ "5", "5" },
        .{ "[1 2 3]", "[1 2 3]" },
        .{ "[[1 2] 3 [4 5] 6]", "[[1 2] 3 [4 5] 6]" },
    };
    for (cases) |c| {
        var w = std.Io.Writer.fixed(&buffer);
        try writeNoun(&ws, &w, try t.parse(&ws, c[0]), 100);
        try testing.expectEqualStrings(c[1], w.buffered());
    }
    var deep = Noun.zero;
    for (0..100) |_| deep = try ws.cell(deep, Noun.one);
    var w = std.Io.Writer.fixed(&buffer);
    try writeNoun(&ws, &w, deep, 100);
    try testing.expect(std.mem.indexOf(u8, w.buffered(), "[...]") != null);
}
