//! Jam: the noun serialization of Urbit's Vere runtime, bit for bit (decoded by zig/cue.zig).
//!
//! A jam is a bit stream (zig/bitstream.zig), least significant bit first, read as one atom:
//!   atom       0  mat(a)
//!   cell       1 0  jam(head) jam(tail)
//!   backref    1 1  mat(offset)      offset = bit position of an earlier noun's encoding
//!
//! Jam deduplicates structurally equal subnouns, as Vere (and Hoon's `++jam`) does: a repeated
//! cell is always a backreference; a repeated atom is a backreference only when
//! met(offset) < met(atom). On a tie, met(offset) = met(atom), the atom itself is written
//! (the backreference would be one bit longer). When met(offset) < met(atom) the
//! backreference is never longer than the atom, and is written even when both encodings
//! have the same length. This reproduces Vere's bytes exactly.
//!
//! Jam never reaches a safe point: nouns are held only in local structures.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const bitstream = @import("bitstream.zig");
const BitWriter = bitstream.BitWriter;
const met64 = bitstream.met64;

pub const Error = bitstream.Error;

// ------------------------------------------------------------------------- jam
//
// Jam runs in two passes, so that deciding whether a subnoun repeats never compares nouns.
//
// 1. Canonical ids (hash-consing). A pre-order walk over the noun's DAG logs every visit and
//    expands each distinct reference once (a reference met before is found by its word and
//    not walked again). Every distinct subnoun gets a canonical id: a direct atom is its own
//    id, an indirect atom gets one by value, and a cell by the pair (id(head), id(tail)) once
//    both are known. Structurally equal subnouns have equal ids, so dedup costs a few table
//    probes per distinct reference whatever the noun's shape. (Keying by mug and confirming
//    by comparison was quadratic on chains like [[[0 0] 0] 0]: 31-bit mugs cycle along them.)
// 2. Emission. The log is in the encoding's order and records each cell's logged subtree
//    length, so encoding is a scan: a cell whose id already has an offset is a backreference
//    and its subtree is skipped; otherwise its offset is recorded and its children follow.

/// Seed of jam's table hashes, drawn once per process, so that no input can be built to make
/// the tables collide. Ids and output do not depend on it.
var seed_cache = std.atomic.Value(u64).init(0);

fn hashSeed() u64 {
    const cached = seed_cache.load(.monotonic);
    if (cached != 0) return cached;
    const fresh = std.crypto.random.int(u64) | 1;
    seed_cache.store(fresh, .monotonic);
    assert(fresh != 0);
    return fresh;
}

/// splitmix64's finalizer: spreads every input bit over the word.
inline fn mix64(x0: u64) u64 {
    var x = x0;
    x = (x ^ (x >> 30)) *% 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) *% 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

/// An array of `count` items; large ones are mapped with a huge-page hint, since the tables'
/// probes are random and on a VM a TLB miss costs more than the cache miss.
/// Only Linux has the hint, so elsewhere (and on Windows, which has no mmap) every size
/// comes from `gpa`.
fn allocPages(comptime T: type, gpa: std.mem.Allocator, count: usize) Error![]T {
    assert(count <= std.math.maxInt(usize) / @sizeOf(T));
    if (builtin.os.tag != .linux) return gpa.alloc(T, count) catch error.Meme;
    const bytes = count * @sizeOf(T);
    if (bytes < constants.jam_table_huge_page_bytes_min) return gpa.alloc(T, count) catch error.Meme;
    const p = std.posix.mmap(null, bytes, std.posix.PROT.READ | std.posix.PROT.WRITE, .{
        .TYPE = .PRIVATE,
        .ANONYMOUS = true,
    }, -1, 0) catch return error.Meme;
    std.posix.madvise(p.ptr, p.len, std.posix.MADV.HUGEPAGE) catch {};
    assert(p.len == bytes);
    return @as([*]T, @ptrCast(@alignCast(p.ptr)))[0..count];
}

fn freePages(comptime T: type, gpa: std.mem.Allocator, items: []T) void {
    if (builtin.os.tag != .linux) return gpa.free(items);
    const bytes = items.len * @sizeOf(T);
    if (bytes < constants.jam_table_huge_page_bytes_min) return gpa.free(items);
    const p: [*]align(std.heap.page_size_min) u8 = @ptrCast(@alignCast(items.ptr));
    std.posix.munmap(p[0..bytes]);
}

/// Open-addressing table: linear probing over one array of entries, so a probe usually
/// costs one cache line. A value of 0 marks an empty slot. `Context` gives `hash` (used
/// again on growth) and `eql`.
fn Table(comptime Key: type, comptime Context: type) type {
    return struct {
        const Self = @This();
        const Entry = struct { key: Key, value: u64 };

        entries: []Entry = &.{},
        count: usize = 0,

        fn deinit(t: *Self, gpa: std.mem.Allocator) void {
            assert(t.count <= t.entries.len);
            freePages(Entry, gpa, t.entries);
            t.* = .{};
        }

        /// The entry for `key`: its existing one (value != 0), or a fresh one (value == 0)
        /// that the caller must give a non-zero value before the next call.
        inline fn getOrPut(t: *Self, gpa: std.mem.Allocator, ctx: Context, key: Key, h: u64) Error!*Entry {
            if ((t.count + 1) * 10 > t.entries.len * 7) try t.grow(gpa, ctx);
            assert(t.count < t.entries.len); // Some slot is empty: the probe ends.
            const mask = t.entries.len - 1;
            var i: usize = @intCast(h & mask);
            while (true) : (i = (i + 1) & mask) {
                const e = &t.entries[i];
                if (e.value == 0) {
                    e.key = key;
                    t.count += 1;
                    return e;
                }
                if (ctx.eql(e.key, key)) return e;
            }
        }

        /// The value for `key`, or 0 when absent.
        inline fn get(t: *const Self, ctx: Context, key: Key, h: u64) u64 {
            if (t.entries.len == 0) return 0;
            assert(t.count < t.entries.len); // Some slot is empty: the probe ends.
            const mask = t.entries.len - 1;
            var i: usize = @intCast(h & mask);
            while (true) : (i = (i + 1) & mask) {
                const e = &t.entries[i];
                if (e.value == 0 or ctx.eql(e.key, key)) return e.value;
            }
        }

        fn grow(t: *Self, gpa: std.mem.Allocator, ctx: Context) Error!void {
            // Quadruple while small: fewer rehashes and fresh pages in the common sizes.
            const factor: usize = if (t.entries.len < constants.jam_table_quadruple_entries_max) 4 else 2;
            const capacity = @max(constants.jam_table_entries_min, t.entries.len * factor);
            assert(std.math.isPowerOfTwo(capacity));
            const fresh = try allocPages(Entry, gpa, capacity);
            for (fresh) |*e| e.value = 0;
            const mask = capacity - 1;
            for (t.entries) |e| {
                if (e.value == 0) continue;
                var i: usize = @intCast(ctx.hash(e.key) & mask);
                while (fresh[i].value != 0) i = (i + 1) & mask;
                fresh[i] = e;
            }
            freePages(Entry, gpa, t.entries);
            t.entries = fresh;
            assert(t.count * 10 < capacity * 7);
        }
    };
}

/// Direct atoms by value.
const WordContext = struct {
    seed: u64,

    inline fn hash(c: WordContext, key: u64) u64 {
        assert(Noun.fromRaw(key).isDirect());
        return mix64(key ^ c.seed);
    }

    inline fn eql(_: WordContext, a: u64, b: u64) bool {
        assert(Noun.fromRaw(a).isDirect());
        return a == b;
    }
};

/// References by identity. Slots keep address locality: the nouns of one 32-word block of
/// memory share a group of 16 adjacent slots, one each (every noun takes 2 words or more),
/// and blocks are spread over the table by a seeded hash. A walk visits nearby nouns
/// together, so most probes hit a cache line an earlier probe loaded. Since a group holds
/// at most 16 keys, no memory layout makes probes longer than in a random table of groups.
const RefContext = struct {
    seed: u64,

    inline fn hash(c: RefContext, word: u64) u64 {
        assert(!Noun.fromRaw(word).isDirect());
        return (mix64((word >> 5) ^ c.seed) << 4) | ((word >> 1) & 15);
    }

    inline fn eql(_: RefContext, a: u64, b: u64) bool {
        assert(!Noun.fromRaw(a).isDirect());
        return a == b;
    }
};

/// Cells by the canonical ids of their head and tail.
const PairContext = struct {
    seed: u64,

    inline fn hash(c: PairContext, key: [2]u64) u64 {
        assert(key[0] != pending_id);
        assert(key[1] != pending_id);
        return mix64(mix64(key[0] ^ c.seed) ^ key[1]);
    }

    inline fn eql(_: PairContext, a: [2]u64, b: [2]u64) bool {
        assert(a[0] != pending_id);
        assert(a[1] != pending_id);
        return a[0] == b[0] and a[1] == b[1];
    }
};

/// Indirect atoms by value. The key keeps the hash, so growth never rereads an atom.
const AtomKey = struct { hash: u64, atom: Noun };

const AtomContext = struct {
    ws: *const Workspace,

    inline fn hash(_: AtomContext, key: AtomKey) u64 {
        assert(key.atom.isIndirect());
        return key.hash;
    }

    inline fn eql(c: AtomContext, a: AtomKey, b: AtomKey) bool {
        assert(a.atom.isIndirect());
        assert(b.atom.isIndirect());
        return a.hash == b.hash and equality.atomsEqual(c.ws, a.atom, b.atom);
    }
};

/// One visit of the id walk, in pre-order (the order of the encoding).
///   direct atom    id = the atom                aux = 0
///   indirect atom  id = tag_indirect | index    aux = the atom's word
///   cell           id = tag_cell | index        aux = visits logged for its subtree, itself
///                  included (1 for a repeated reference, whose children are not logged)
/// While a cell's children are being walked, its id is `pending_id`.
/// Indices count distinct indirect atoms and cells together, from 0.
const Visit = struct { id: u64, aux: u64 };

const pending_id: u64 = Noun.tag_forward;
const offset_unset: u64 = std.math.maxInt(u64);

/// The first cell entered at a given id (see `Jammer.cellId`): the cell's other child's id,
/// and its own id (0 while none), with `head_bit` set when the given id is its head.
const First = struct {
    other: u64 = 0,
    id: u64 = 0,

    /// Never set in an id: indices stay below 2^60.
    const head_bit: u64 = Noun.location_bit;
};

inline fn isDirectId(id: u64) bool {
    assert(id != pending_id);
    return id >> 63 == 0;
}

inline fn isCellId(id: u64) bool {
    assert(id != pending_id);
    return id >> 61 == 0b110;
}

inline fn idIndex(id: u64) usize {
    assert(id >> 62 == 0b10 or isCellId(id));
    return @intCast(id & Noun.payload_mask);
}

/// Visits logged for the subtree that starts with `v`.
inline fn span(v: Visit) usize {
    assert(v.id != pending_id);
    return if (isCellId(v.id)) @intCast(v.aux) else 1;
}

/// State of one jam.
const Jammer = struct {
    ws: *Workspace,
    seed: u64,
    log: std.ArrayList(Visit) = .empty,
    /// Pass 1's explicit stack: words of nouns to visit, and `tag_forward | index` for a
    /// cell at `log[index]` whose children are done.
    work: std.ArrayList(u64) = .empty,
    /// Reference word -> 1 + index in `log` of its first visit.
    refs: Table(u64, RefContext) = .{},
    /// Per id index: the first cell entered there (see `cellId`).
    firsts: std.ArrayList(First) = .empty,
    /// (id(head), id(tail)) -> id of the cell, for cells not found in `firsts`.
    pairs: Table([2]u64, PairContext) = .{},
    /// Indirect atom (by value) -> its id.
    atoms: Table(AtomKey, AtomContext) = .{},
    ids_count: u64 = 0,
    /// Pass 2: bit offset of the first encoding of each id index, or `offset_unset`.
    offsets: []u64 = &.{},
    /// Pass 2: direct atom -> 1 + bit offset of its first encoding (only atoms that a later
    /// copy could refer back to; see `emitAtom`).
    directs: Table(u64, WordContext) = .{},

    fn deinit(j: *Jammer) void {
        const gpa = j.ws.gpa;
        assert(j.offsets.len == 0 or j.offsets.len == j.ids_count);
        j.freeWalk();
        j.log.deinit(gpa);
        freePages(u64, gpa, j.offsets);
        j.directs.deinit(gpa);
    }

    /// Release pass 1's tables (idempotent): pass 2 needs only the log.
    fn freeWalk(j: *Jammer) void {
        const gpa = j.ws.gpa;
        j.work.clearAndFree(gpa);
        j.refs.deinit(gpa);
        j.firsts.clearAndFree(gpa);
        j.pairs.deinit(gpa);
        j.atoms.deinit(gpa);
        assert(j.refs.entries.len == 0);
    }

    inline fn refHash(j: *const Jammer, x: Noun) u64 {
        assert(!x.isDirect());
        return (RefContext{ .seed = j.seed }).hash(x.raw());
    }

    fn logVisit(j: *Jammer, v: Visit) Error!void {
        // A direct atom is its own id and carries nothing else.
        assert(v.id >> 63 == 1 or v.aux == 0);
        j.log.append(j.ws.gpa, v) catch return error.Meme;
    }

    fn newId(j: *Jammer, tag: u64) Error!u64 {
        assert(tag == Noun.tag_cell or tag == Noun.tag_indirect);
        assert(j.firsts.items.len == j.ids_count);
        if (j.ids_count > Noun.payload_mask) return error.Meme;
        j.firsts.append(j.ws.gpa, .{}) catch return error.Meme;
        j.ids_count += 1;
        return tag | (j.ids_count - 1);
    }

    /// Pass 1: log the walk and give every distinct subnoun its id.
    fn walk(j: *Jammer, root: Noun) Error!void {
        j.work.append(j.ws.gpa, root.raw()) catch return error.Meme;
        while (j.work.pop()) |item| {
            if (item >> 61 == 0b111) {
                try j.build(@intCast(item & Noun.payload_mask));
            } else {
                try j.visit(Noun.fromRaw(item));
            }
        }
        assert(j.log.items.len > 0);
        assert(span(j.log.items[0]) == j.log.items.len);
    }

    fn visit(j: *Jammer, x: Noun) Error!void {
        const gpa = j.ws.gpa;
        assert(!x.isForward());
        if (x.isDirect()) return j.logVisit(.{ .id = x.raw(), .aux = 0 });
        const index = j.log.items.len;
        // A reference met before takes the id of its first visit and is not walked again, so
        // a DAG costs its number of distinct references, not its number of paths. Small atoms
        // skip this: hashing their value costs no more than the probe.
        const small = x.isIndirect() and Header.limbs(j.ws.words(x)[0]) <= constants.jam_atom_by_value_limbs_max;
        if (!small) {
            const e = try j.refs.getOrPut(gpa, .{ .seed = j.seed }, x.raw(), j.refHash(x));
            if (e.value != 0) {
                const first = j.log.items[@intCast(e.value - 1)];
                // Everything visited before is done, except x's ancestors, and a noun never
                // contains itself.
                assert(first.id != pending_id);
                return j.logVisit(.{ .id = first.id, .aux = if (x.isCell()) 1 else x.raw() });
            }
            e.value = index + 1;
        }
        if (x.isIndirect()) return j.logVisit(.{ .id = try j.atomId(x), .aux = x.raw() });
        try j.logVisit(.{ .id = pending_id, .aux = 0 });
        if (j.work.items.len + 3 > constants.walk_stack_entries_max) return error.Meme;
        const head = j.ws.head(x);
        const items = [3]u64{ Noun.tag_forward | index, j.ws.tail(x).raw(), head.raw() };
        if (head.isDirect()) {
            // Its visit comes next and is just a log entry: skip the stack.
            try j.logVisit(.{ .id = head.raw(), .aux = 0 });
            j.work.appendSlice(gpa, items[0..2]) catch return error.Meme;
        } else {
            // Start loading what the next visit touches.
            @prefetch(j.ws.words(head), .{});
            j.work.appendSlice(gpa, &items) catch return error.Meme;
        }
    }

    /// Both children of the cell at `log[index]` are done: give it its id.
    fn build(j: *Jammer, index: usize) Error!void {
        const log = j.log.items;
        assert(log[index].id == pending_id);
        const head = log[index + 1];
        const tail_index = index + 1 + span(head);
        const tail = log[tail_index];
        assert(tail_index + span(tail) == log.len);
        log[index] = .{ .id = try j.cellId(head.id, tail.id), .aux = log.len - index };
    }

    /// The id of the cell [h t] given its children's ids. Most cells are found or entered
    /// in `firsts`, at the tail's id (or at the head's, when the tail is a direct atom): a
    /// child's id was usually made just before, so that entry is in cache, where a hash table
    /// probe would be a cache miss. Cells that find that entry taken by another go to `pairs`.
    fn cellId(j: *Jammer, h: u64, t: u64) Error!u64 {
        const by_tail = !isDirectId(t);
        if (by_tail or !isDirectId(h)) {
            const index = idIndex(if (by_tail) t else h);
            const first = First{ .other = if (by_tail) h else t, .id = if (by_tail) 0 else First.head_bit };
            const slot = &j.firsts.items[index];
            if (slot.id == 0) {
                const id = try j.newId(Noun.tag_cell);
                // newId may have moved `firsts`.
                j.firsts.items[index] = .{ .other = first.other, .id = first.id | id };
                return id;
            }
            if (slot.other == first.other and slot.id & First.head_bit == first.id) return slot.id & ~First.head_bit;
        }
        const key = [2]u64{ h, t };
        const ctx = PairContext{ .seed = j.seed };
        const e = try j.pairs.getOrPut(j.ws.gpa, ctx, key, ctx.hash(key));
        if (e.value == 0) e.value = try j.newId(Noun.tag_cell);
        assert(isCellId(e.value));
        return e.value;
    }

    fn atomId(j: *Jammer, a: Noun) Error!u64 {
        assert(a.isIndirect());
        var scratch: u64 = undefined;
        const limbs = j.ws.bases.limbs(a, &scratch);
        const key = AtomKey{ .hash = std.hash.Wyhash.hash(j.seed, std.mem.sliceAsBytes(limbs)), .atom = a };
        const e = try j.atoms.getOrPut(j.ws.gpa, .{ .ws = j.ws }, key, key.hash);
        if (e.value == 0) e.value = try j.newId(Noun.tag_indirect);
        assert(e.value >> 62 == 0b10);
        return e.value;
    }

    /// Pass 2: encode the log into `w`.
    fn emit(j: *Jammer, w: *BitWriter) Error!void {
        j.offsets = try allocPages(u64, j.ws.gpa, @intCast(j.ids_count));
        @memset(j.offsets, offset_unset);
        const log = j.log.items;
        var i: usize = 0;
        while (i < log.len) {
            const v = log[i];
            if (!isCellId(v.id)) {
                try j.emitAtom(w, v);
                i += 1;
                continue;
            }
            const first = &j.offsets[idIndex(v.id)];
            if (first.* != offset_unset) {
                assert(first.* < w.bits);
                try w.putBackref(first.*);
                i += span(v);
                continue;
            }
            // A repeated reference (span 1) always repeats an id encoded before.
            assert(v.aux >= 3);
            first.* = w.bits;
            try w.ensure(2);
            w.put(1, 2);
            i += 1;
        }
        assert(i == log.len);
    }

    /// A repeated atom is a backreference when met(atom) > met(offset of its first encoding).
    /// Offsets only grow, so an atom whose first encoding fails that test can never be
    /// referred to: it is not recorded, which keeps small atoms out of the table. Atoms of at
    /// most 2 bits never qualify (every offset but the root's has 2 bits or more); indirect
    /// atoms (64 bits or more) always do.
    fn emitAtom(j: *Jammer, w: *BitWriter, v: Visit) Error!void {
        const direct = Noun.fromRaw(v.id).isDirect();
        const a = Noun.fromRaw(if (direct) v.id else v.aux);
        const b = j.ws.bases.met(a);
        const cursor = w.bits;
        if (b <= 2) return w.putAtom(j.ws, a, b);
        if (!direct) {
            assert(b >= 64);
            assert(b > met64(cursor));
            const first = &j.offsets[idIndex(v.id)];
            if (first.* != offset_unset) {
                assert(first.* < cursor);
                return w.putBackref(first.*);
            }
            first.* = cursor;
            return w.putAtom(j.ws, a, b);
        }
        const ctx = WordContext{ .seed = j.seed };
        const h = ctx.hash(a.raw());
        const found = j.directs.get(ctx, a.raw(), h);
        if (found != 0) {
            assert(found - 1 < cursor);
            assert(b > met64(found - 1));
            return w.putBackref(found - 1);
        }
        if (b > met64(cursor)) {
            const e = try j.directs.getOrPut(j.ws.gpa, ctx, a.raw(), h);
            assert(e.value == 0);
            e.value = cursor + 1;
        }
        return w.putAtom(j.ws, a, b);
    }
};

/// Encode `root` into `w`.
fn jamInto(ws: *Workspace, w: *BitWriter, root: Noun) Error!void {
    var j = Jammer{ .ws = ws, .seed = hashSeed() };
    defer j.deinit();
    try j.walk(root);
    j.freeWalk();
    try j.emit(w);
    assert(w.bits > 0);
}

/// Jam of `n` as an atom in the workspace.
pub fn jam(ws: *Workspace, n: Noun) Error!Noun {
    var w = BitWriter{ .gpa = ws.gpa };
    defer w.deinit();
    try jamInto(ws, &w, n);
    const words: usize = @intCast((w.bits + 63) / 64);
    const result = try ws.atomFromLimbs(w.words.items[0..words]);
    assert(result != Noun.zero);
    return result;
}

/// Jam of `n` as bytes (little-endian, no trailing zero bytes). The caller frees them.
pub fn jamBytes(ws: *Workspace, gpa: std.mem.Allocator, n: Noun) Error![]u8 {
    var w = BitWriter{ .gpa = ws.gpa };
    defer w.deinit();
    try jamInto(ws, &w, n);
    const len: usize = @intCast((w.bits + 7) / 8);
    const out = gpa.alloc(u8, len) catch return error.Meme;
    @memcpy(out, std.mem.sliceAsBytes(w.words.items)[0..len]);
    // The last bit written is always a 1 (the top of an atom, or mat(0)'s single bit).
    assert(out[len - 1] != 0);
    return out;
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const mug_mod = @import("mug.zig");
const cue_mod = @import("cue.zig");
const cue = cue_mod.cue;
const cueAtom = cue_mod.cueAtom;
const readCorpus = @import("corpus.zig").readCorpus;

/// Build a noun from the vectors' JSON form (decimal strings, 2-element arrays), with an
/// explicit stack like every other walk.
fn nounFromJson(ws: *Workspace, gpa: std.mem.Allocator, root: std.json.Value) !Noun {
    const Item = union(enum) { visit: std.json.Value, build };
    var work: std.ArrayList(Item) = .empty;
    defer work.deinit(gpa);
    var results: std.ArrayList(Noun) = .empty;
    defer results.deinit(gpa);
    try work.append(gpa, .{ .visit = root });
    while (work.pop()) |item| switch (item) {
        .build => {
            const t = results.pop().?;
            const h = results.pop().?;
            try results.append(gpa, try ws.cell(h, t));
        },
        .visit => |v| switch (v) {
            .string => |s| try results.append(gpa, try atomFromDecimal(ws, gpa, s)),
            .array => |a| {
                if (a.items.len != 2) return error.BadVector;
                try work.append(gpa, .build);
                try work.append(gpa, .{ .visit = a.items[1] });
                try work.append(gpa, .{ .visit = a.items[0] });
            },
            else => return error.BadVector,
        },
    };
    assert(results.items.len == 1);
    return results.items[0];
}

fn atomFromDecimal(ws: *Workspace, gpa: std.mem.Allocator, s: []const u8) !Noun {
    var big = try std.math.big.int.Managed.init(gpa);
    defer big.deinit();
    try big.setString(10, s);
    const limbs = big.toConst().limbs;
    const copy = try gpa.alloc(u64, limbs.len);
    defer gpa.free(copy);
    for (limbs, copy) |l, *c| c.* = l;
    return ws.atomFromLimbs(copy);
}

test "jam: jam and mug vectors from Vere" {
    const gpa = testing.allocator;
    const text = (try readCorpus(gpa, "vectors.json")) orelse return error.SkipZigTest;
    defer gpa.free(text);
    const parsed = try std.json.parseFromSlice(std.json.Value, gpa, text, .{});
    defer parsed.deinit();
    var ws = try Workspace.init(gpa, 16 << 20);
    defer ws.deinit();
    var count: usize = 0;
    for (parsed.value.object.get("jam").?.array.items) |item| {
        const n = try nounFromJson(&ws, gpa, item.object.get("noun").?);
        const hex = item.object.get("jam_hex").?.string;
        var expect_buf: [256]u8 = undefined;
        const expected = try std.fmt.hexToBytes(&expect_buf, hex);
        const got = try jamBytes(&ws, gpa, n);
        defer gpa.free(got);
        try testing.expectEqualSlices(u8, expected, got);
        try testing.expect(try equality.equal(&ws, n, try cue(&ws, expected)));
        const as_atom = try jam(&ws, n);
        try testing.expect(equality.atomsEqual(&ws, as_atom, try ws.atomFromBytes(expected)));
        try testing.expect(try equality.equal(&ws, n, try cueAtom(&ws, as_atom)));
        count += 1;
    }
    for (parsed.value.object.get("mug").?.array.items) |item| {
        const n = try nounFromJson(&ws, gpa, item.object.get("noun").?);
        const expected: u32 = @intCast(item.object.get("mug").?.integer);
        try testing.expectEqual(expected, try mug_mod.mug(&ws, n));
        count += 1;
    }
    try testing.expect(count >= 20);
}

test "jam: ivory.pill re-jams to Vere's bytes exactly" {
    // Timings of this cue and jam are benchmarks: core/cue-ivory and core/jam-ivory in
    // bench/core_bench.ts.
    const gpa = testing.allocator;
    const bytes = (try readCorpus(gpa, "pills/ivory.pill")) orelse return error.SkipZigTest;
    defer gpa.free(bytes);
    var ws = try Workspace.init(gpa, 4 << 30);
    defer ws.deinit();
    const n = try cue(&ws, bytes);
    const out = try jamBytes(&ws, gpa, n);
    defer gpa.free(out);
    try testing.expectEqualSlices(u8, bytes, out);
}

/// A chain of one repeated atom, `depth` cells deep: [[[a a] a] a] or [a [a [a a]]].
fn atomChain(ws: *Workspace, depth: usize, atom: Noun, left: bool) !Noun {
    var n = atom;
    for (0..depth) |_| n = if (left) try ws.cell(n, atom) else try ws.cell(atom, n);
    return n;
}

fn expectAtomChain(ws: *Workspace, chain: Noun, depth: usize, atom: Noun, left: bool) !void {
    var n = chain;
    for (0..depth) |_| {
        try testing.expect(n.isCell());
        try testing.expect(equality.atomsEqual(ws, if (left) ws.tail(n) else ws.head(n), atom));
        n = if (left) ws.head(n) else ws.tail(n);
    }
    try testing.expect(n.isAtom() and equality.atomsEqual(ws, n, atom));
}

/// The jam of a chain of zeros, written out: no two of its cells are equal, and a zero is
/// never a backreference, so it is cell tags and mat(0)s only.
fn zeroChainJam(gpa: std.mem.Allocator, depth: usize, left: bool) ![]u8 {
    var w = BitWriter{ .gpa = gpa };
    defer w.deinit();
    try w.ensure(4 * @as(u64, depth) + 2);
    for (0..depth) |_| {
        w.put(1, 2); // cell
        if (!left) w.put(2, 2); // its head, 0
    }
    for (0..if (left) depth + 1 else 1) |_| w.put(2, 2);
    const len: usize = @intCast((w.bits + 7) / 8);
    return gpa.dupe(u8, std.mem.sliceAsBytes(w.words.items)[0..len]);
}

test "jam: 10^6-deep chains of one repeated atom (mugs cycle) through jam and cue" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 2 << 30);
    defer ws.deinit();
    const depth = 1_000_000;
    // Zero, and an atom long enough to be a backreference at every repeat.
    const atoms = [_]Noun{ Noun.zero, Noun.direct(1 << 40) };
    for (atoms) |atom| for ([_]bool{ true, false }) |left| {
        const n = try atomChain(&ws, depth, atom, left);
        const bytes = try jamBytes(&ws, gpa, n);
        defer gpa.free(bytes);
        if (atom == Noun.zero) {
            const expected = try zeroChainJam(gpa, depth, left);
            defer gpa.free(expected);
            try testing.expectEqualSlices(u8, expected, bytes);
        }
        const back = try cue(&ws, bytes);
        try expectAtomChain(&ws, back, depth, atom, left);
        if (atom != Noun.zero) {
            // The copy jams to the same bytes, as an atom too.
            const again = try jam(&ws, back);
            try testing.expect(equality.atomsEqual(&ws, again, try ws.atomFromBytes(bytes)));
        }
    };
}

test "jam: jam backreferences a separately built copy of a 10^5-deep chain" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 256 << 20);
    defer ws.deinit();
    const depth = 100_000;
    const a = try atomChain(&ws, depth, Noun.zero, true);
    const b = try atomChain(&ws, depth, Noun.zero, true);
    const bytes = try jamBytes(&ws, gpa, try ws.cell(a, b));
    defer gpa.free(bytes);
    // A cell tag (2 bits), a (4 * depth + 2 bits), and b as a backreference to offset 2
    // (tag 1 1, mat(2) = 0 0 1 0 0 1: 8 bits).
    try testing.expectEqual((2 + 4 * depth + 2 + 8 + 7) / 8, bytes.len);
    const back = try cue(&ws, bytes);
    try testing.expectEqual(ws.head(back), ws.tail(back));
}

/// Jam by its definition: pre-order, each subnoun compared with every subnoun encoded before
/// it (Vere's rule: a repeated cell is always a backreference, a repeated atom when
/// met(atom) > met(offset)). Quadratic; for checking small nouns.
fn jamByDefinition(ws: *Workspace, gpa: std.mem.Allocator, root: Noun) ![]u8 {
    const Encoded = struct { noun: Noun, offset: u64 };
    var w = BitWriter{ .gpa = gpa };
    defer w.deinit();
    var encoded: std.ArrayList(Encoded) = .empty;
    defer encoded.deinit(gpa);
    var stack: std.ArrayList(Noun) = .empty;
    defer stack.deinit(gpa);
    try stack.append(gpa, root);
    while (stack.pop()) |x| {
        const earlier: ?u64 = for (encoded.items) |e| {
            if (try equality.equal(ws, e.noun, x)) break e.offset;
        } else null;
        if (earlier) |offset| {
            if (x.isCell() or ws.bases.met(x) > met64(offset)) {
                try w.putBackref(offset);
                continue;
            }
        } else try encoded.append(gpa, .{ .noun = x, .offset = w.bits });
        if (x.isAtom()) {
            try w.putAtom(ws, x, ws.bases.met(x));
            continue;
        }
        try w.ensure(2);
        w.put(1, 2);
        try stack.append(gpa, ws.tail(x));
        try stack.append(gpa, ws.head(x));
    }
    const len: usize = @intCast((w.bits + 7) / 8);
    return gpa.dupe(u8, std.mem.sliceAsBytes(w.words.items)[0..len]);
}

/// A random small noun with shared subnouns and separately built equal ones.
fn randomSharedNoun(ws: *Workspace, gpa: std.mem.Allocator, random: std.Random) !Noun {
    var pool: std.ArrayList(Noun) = .empty;
    defer pool.deinit(gpa);
    const steps = random.intRangeAtMost(usize, 1, 40);
    for (0..steps) |_| {
        if (pool.items.len < 2 or random.uintLessThan(u32, 3) == 0) {
            // Atoms around the lengths where a backreference starts to pay, and indirect
            // ones, built afresh each time (equal values, distinct references).
            const n = switch (random.uintLessThan(u32, 6)) {
                0 => Noun.direct(random.uintLessThan(u64, 4)),
                1 => Noun.direct(random.uintLessThan(u64, 64)),
                2 => Noun.direct(random.uintLessThan(u64, 1024)),
                3 => Noun.direct(@as(u64, 1) << random.uintLessThan(u6, 63)),
                4 => try ws.atomFromLimbs(&.{ random.uintLessThan(u64, 2), 1 }),
                else => try ws.atomFromLimbs(&.{ 7, 7, 7, 7, 7, random.uintLessThan(u64, 2) + 1 }),
            };
            try pool.append(gpa, n);
            continue;
        }
        // Reusing pool entries shares references; equal pairs built twice are equal cells
        // with distinct references.
        const h = pool.items[random.uintLessThan(usize, pool.items.len)];
        const t = pool.items[random.uintLessThan(usize, pool.items.len)];
        try pool.append(gpa, try ws.cell(h, t));
    }
    var root = pool.items[pool.items.len - 1];
    for (0..random.uintLessThan(usize, 4)) |_| {
        root = try ws.cell(pool.items[random.uintLessThan(usize, pool.items.len)], root);
    }
    return root;
}

test "jam: jam agrees with its definition on random nouns with sharing" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 64 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0x5eed_0f_a11);
    for (0..1000) |_| {
        const n = try randomSharedNoun(&ws, gpa, prng.random());
        const expected = try jamByDefinition(&ws, gpa, n);
        defer gpa.free(expected);
        const got = try jamBytes(&ws, gpa, n);
        defer gpa.free(got);
        try testing.expectEqualSlices(u8, expected, got);
    }
}

test "jam: jam dedups separate copies of a deeply shared DAG in linear time" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 16 << 20);
    defer ws.deinit();
    // a_k = [a_k-1 a_k-1] with sharing: 2^300 paths. Two copies built apart are equal
    // structurally but share no pointers; a naive comparison would never finish.
    var a = try ws.cell(Noun.direct(7), Noun.direct(8));
    var b = try ws.cell(Noun.direct(7), Noun.direct(8));
    for (0..300) |_| {
        a = try ws.cell(a, a);
        b = try ws.cell(b, b);
    }
    const both = try ws.cell(a, b);
    const bytes = try jamBytes(&ws, gpa, both);
    defer gpa.free(bytes);
    // The second copy is a backreference to the first (offset 2), so cue shares them.
    const back = try cue(&ws, bytes);
    try testing.expectEqual(ws.head(back), ws.tail(back));
    try testing.expectEqual(try mug_mod.mug(&ws, both), try mug_mod.mug(&ws, back));
}
