//! Jam and cue: the noun serialization of Urbit's Vere runtime, bit for bit.
//!
//! A jam is a bit stream, least significant bit first, read as one atom:
//!   atom       0  mat(a)
//!   cell       1 0  jam(head) jam(tail)
//!   backref    1 1  mat(offset)      offset = bit position of an earlier noun's encoding
//! `mat(a)` encodes an atom with its length: for a = 0 the single bit 1; otherwise, with
//! b = met(a) bits and c = met(b), c zero bits, a 1 bit, the low c-1 bits of b, then a.
//!
//! Jam deduplicates structurally equal subnouns, as Vere (and Hoon's `++jam`) does: a repeated
//! cell is always a backreference; a repeated atom is a backreference only when
//! met(atom) > met(offset), i.e. when the backreference is no longer than the atom itself
//! (a tie goes to the backreference). This reproduces Vere's bytes exactly.
//!
//! Cue accepts untrusted bytes: every length is checked against the remaining input before
//! anything is allocated, a backreference must name the start of an already decoded noun
//! (not a backreference, not an enclosing cell), and the input must be zero after the top
//! noun. Memory is linear in the input: at most one cell (3 words) per 2 input bits, atoms
//! no larger than their encoding, and side tables of a few bytes per input bit.
//! Neither jam nor cue reaches a safe point: nouns are held only in local structures.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const constants = @import("constants.zig");
const noun_mod = @import("noun.zig");
const Noun = noun_mod.Noun;
const Header = noun_mod.Header;
const Workspace = @import("workspace.zig").Workspace;
const equality = @import("equality.zig");
const mug_mod = @import("mug.zig");

pub const Error = error{Meme};
pub const CueError = error{ Meme, BadJam };

comptime {
    // Bytes and limbs are reinterpreted in place; the stream is little-endian.
    assert(builtin.cpu.arch.endian() == .little);
}

/// Bit length of a u64 (0 for 0).
inline fn met64(v: u64) u64 {
    return 64 - @as(u64, @clz(v));
}

inline fn lowMask(n: u64) u64 {
    assert(n <= 64);
    return if (n == 64) ~@as(u64, 0) else (@as(u64, 1) << @intCast(n)) - 1;
}

/// Bits taken by mat(a) when met(a) = b.
inline fn matBits(b: u64) u64 {
    return if (b == 0) 1 else 2 * met64(b) + b;
}

// ------------------------------------------------------------------------- bit writer

const BitWriter = struct {
    gpa: std.mem.Allocator,
    /// Words past the cursor are always zero, so writing zero bits is just advancing.
    words: std.ArrayList(u64) = .empty,
    bits: u64 = 0,

    fn deinit(w: *BitWriter) void {
        w.words.deinit(w.gpa);
    }

    /// Make room for `extra_bits` more bits (plus a spare word for straddling writes).
    fn ensure(w: *BitWriter, extra_bits: u64) Error!void {
        const need = (w.bits + extra_bits) / 64 + 2;
        const have = w.words.items.len;
        if (need <= have) return;
        w.words.appendNTimes(w.gpa, 0, @intCast(need - have)) catch return error.Meme;
    }

    /// Write the low `n` bits of `v` (the rest of `v` must be zero). Room must be ensured.
    inline fn put(w: *BitWriter, v: u64, n: u64) void {
        assert(n <= 64 and v & ~lowMask(n) == 0);
        const i: usize = @intCast(w.bits >> 6);
        const s: u6 = @truncate(w.bits);
        assert(i + 1 < w.words.items.len);
        w.words.items[i] |= v << s;
        if (s != 0 and @as(u64, s) + n > 64) w.words.items[i + 1] |= v >> @intCast(64 - @as(u64, s));
        w.bits += n;
    }

    /// The length prefix of mat for an atom of `b` bits: zeros, a 1, the low bits of b.
    inline fn putMatLength(w: *BitWriter, b: u64) void {
        if (b == 0) return w.put(1, 1);
        const c = met64(b);
        assert(c >= 1 and c <= 63);
        w.bits += c;
        w.put(1, 1);
        w.put(b & lowMask(c - 1), c - 1);
    }

    fn putBackref(w: *BitWriter, offset: u64) Error!void {
        const b = met64(offset);
        try w.ensure(2 + matBits(b));
        w.put(3, 2);
        w.putMatLength(b);
        w.put(offset, b);
    }

    fn putAtom(w: *BitWriter, ws: *const Workspace, a: Noun, b: u64) Error!void {
        assert(a.isAtom());
        try w.ensure(1 + matBits(b));
        w.bits += 1; // tag 0
        w.putMatLength(b);
        if (a.isDirect()) return w.put(a.raw(), b);
        var scratch: u64 = undefined;
        const limbs = ws.bases.limbs(a, &scratch);
        const full: usize = @intCast(b / 64);
        assert(full <= limbs.len);
        for (limbs[0..full]) |limb| w.put(limb, 64);
        const rest = b % 64;
        if (rest != 0) w.put(limbs[full] & lowMask(rest), rest);
    }
};

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
    if (builtin.os.tag != .linux) return gpa.alloc(T, count) catch error.Meme;
    const bytes = count * @sizeOf(T);
    if (bytes < constants.jam_table_huge_page_bytes_min) return gpa.alloc(T, count) catch error.Meme;
    const p = std.posix.mmap(null, bytes, std.posix.PROT.READ | std.posix.PROT.WRITE, .{
        .TYPE = .PRIVATE,
        .ANONYMOUS = true,
    }, -1, 0) catch return error.Meme;
    std.posix.madvise(p.ptr, p.len, std.posix.MADV.HUGEPAGE) catch {};
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
            freePages(Entry, gpa, t.entries);
            t.* = .{};
        }

        /// The entry for `key`: its existing one (value != 0), or a fresh one (value == 0)
        /// that the caller must give a non-zero value before the next call.
        inline fn getOrPut(t: *Self, gpa: std.mem.Allocator, ctx: Context, key: Key, h: u64) Error!*Entry {
            if ((t.count + 1) * 10 > t.entries.len * 7) try t.grow(gpa, ctx);
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
            const mask = t.entries.len - 1;
            var i: usize = @intCast(h & mask);
            while (true) : (i = (i + 1) & mask) {
                const e = &t.entries[i];
                if (e.value == 0 or ctx.eql(e.key, key)) return e.value;
            }
        }

        inline fn prefetch(t: *const Self, h: u64) void {
            if (t.entries.len == 0) return;
            @prefetch(&t.entries[@intCast(h & (t.entries.len - 1))], .{});
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
        return mix64(key ^ c.seed);
    }

    inline fn eql(_: WordContext, a: u64, b: u64) bool {
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
        return (mix64((word >> 5) ^ c.seed) << 4) | ((word >> 1) & 15);
    }

    inline fn eql(_: RefContext, a: u64, b: u64) bool {
        return a == b;
    }
};

/// Cells by the canonical ids of their head and tail.
const PairContext = struct {
    seed: u64,

    inline fn hash(c: PairContext, key: [2]u64) u64 {
        return mix64(mix64(key[0] ^ c.seed) ^ key[1]);
    }

    inline fn eql(_: PairContext, a: [2]u64, b: [2]u64) bool {
        return a[0] == b[0] and a[1] == b[1];
    }
};

/// Indirect atoms by value. The key keeps the hash, so growth never rereads an atom.
const AtomKey = struct { hash: u64, atom: Noun };

const AtomContext = struct {
    ws: *const Workspace,

    inline fn hash(_: AtomContext, key: AtomKey) u64 {
        return key.hash;
    }

    inline fn eql(c: AtomContext, a: AtomKey, b: AtomKey) bool {
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
    return id >> 63 == 0;
}

inline fn isCellId(id: u64) bool {
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
    }

    inline fn refHash(j: *const Jammer, x: Noun) u64 {
        return (RefContext{ .seed = j.seed }).hash(x.raw());
    }

    fn logVisit(j: *Jammer, v: Visit) Error!void {
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
            assert(b >= 64 and b > met64(cursor));
            const first = &j.offsets[idIndex(v.id)];
            if (first.* != offset_unset) return w.putBackref(first.*);
            first.* = cursor;
            return w.putAtom(j.ws, a, b);
        }
        const ctx = WordContext{ .seed = j.seed };
        const h = ctx.hash(a.raw());
        const found = j.directs.get(ctx, a.raw(), h);
        if (found != 0) {
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

// ------------------------------------------------------------------------- cue

/// Reads the input as 64-bit words. The input is copied with two zero words of padding,
/// so any read that starts at or before the end stays in bounds.
const BitReader = struct {
    words: []const u64,
    bits_len: u64,

    inline fn peek(r: *const BitReader, pos: u64) u64 {
        assert(pos <= r.bits_len);
        const i: usize = @intCast(pos >> 6);
        const s: u6 = @truncate(pos);
        const lo = r.words[i] >> s;
        if (s == 0) return lo;
        return lo | (r.words[i + 1] << @intCast(64 - @as(u64, s)));
    }

    inline fn need(r: *const BitReader, pos: u64, n: u64) CueError!void {
        if (n > r.bits_len or pos > r.bits_len - n) return error.BadJam;
    }

    /// Decode a mat length prefix at `pos.*`: returns b, the bit length of the value that
    /// follows, after checking that those b bits are present.
    inline fn matLength(r: *const BitReader, pos: *u64) CueError!u64 {
        try r.need(pos.*, 1);
        const window = r.peek(pos.*);
        // 64 or more zeros would announce a length of 2^63 bits or more: never valid.
        if (window == 0) return error.BadJam;
        const c: u64 = @ctz(window);
        try r.need(pos.*, c + 1);
        pos.* += c + 1;
        if (c == 0) return 0;
        try r.need(pos.*, c - 1);
        const low = r.peek(pos.*) & lowMask(c - 1);
        pos.* += c - 1;
        const b = (@as(u64, 1) << @intCast(c - 1)) | low;
        try r.need(pos.*, b);
        return b;
    }

    /// Read a `b`-bit atom at `pos.*` (presence already checked).
    fn atom(r: *const BitReader, ws: *Workspace, pos: *u64, b: u64) CueError!Noun {
        assert(pos.* + b <= r.bits_len);
        const start = pos.*;
        pos.* += b;
        if (b <= 63) return Noun.direct(if (b == 0) 0 else r.peek(start) & lowMask(b));
        if (b == 64) return try ws.atomU64(r.peek(start));
        const limb_count: usize = @intCast((b + 63) / 64);
        const limbs = try ws.startAtom(limb_count);
        for (limbs, 0..) |*limb, j| limb.* = r.peek(start + 64 * @as(u64, j));
        limbs[limb_count - 1] &= lowMask(b - 64 * @as(u64, limb_count - 1));
        // Non-canonical encodings (high zero bits) are normalised here.
        return ws.finishAtom(limbs);
    }

    /// Every bit from `pos` to the end must be zero (a jam atom's padding).
    fn checkTrailing(r: *const BitReader, pos0: u64) CueError!void {
        var pos = pos0;
        while (pos < r.bits_len) {
            const n = @min(64, r.bits_len - pos);
            if (r.peek(pos) & lowMask(n) != 0) return error.BadJam;
            pos += n;
        }
    }
};

/// Decoded nouns by the bit offset where their encoding starts. Offsets arrive in
/// increasing order, so a bitmap of start positions plus a per-word prefix count gives an
/// O(1) lookup into a dense array: rank(offset) = prefix[word] + popcount(lower bits).
const Offsets = struct {
    bitmap: []u64,
    prefix: []u64,
    filled_words: u64 = 0,
    nouns: std.ArrayList(Noun) = .empty,

    /// Stands for a cell whose children are still being decoded: a backreference to it
    /// would make a cycle.
    const pending: Noun = Noun.fromRaw(Noun.tag_forward);

    fn init(gpa: std.mem.Allocator, bits_len: u64) Error!Offsets {
        const words: usize = @intCast(bits_len / 64 + 1);
        const bitmap = gpa.alloc(u64, words) catch return error.Meme;
        errdefer gpa.free(bitmap);
        @memset(bitmap, 0);
        const prefix = gpa.alloc(u64, words) catch return error.Meme;
        return .{ .bitmap = bitmap, .prefix = prefix };
    }

    fn deinit(o: *Offsets, gpa: std.mem.Allocator) void {
        gpa.free(o.bitmap);
        gpa.free(o.prefix);
        o.nouns.deinit(gpa);
    }

    /// Record the noun that starts at `offset`; returns its index in `nouns`.
    inline fn record(o: *Offsets, gpa: std.mem.Allocator, offset: u64, n: Noun) Error!usize {
        const word: usize = @intCast(offset >> 6);
        assert(word < o.bitmap.len);
        while (o.filled_words <= word) : (o.filled_words += 1) {
            o.prefix[@intCast(o.filled_words)] = o.nouns.items.len;
        }
        o.bitmap[word] |= @as(u64, 1) << @truncate(offset);
        o.nouns.append(gpa, n) catch return error.Meme;
        return o.nouns.items.len - 1;
    }

    inline fn lookup(o: *const Offsets, offset: u64, bits_len: u64) CueError!Noun {
        if (offset >= bits_len) return error.BadJam;
        const word: usize = @intCast(offset >> 6);
        const bit = @as(u64, 1) << @truncate(offset);
        if (o.bitmap[word] & bit == 0) return error.BadJam;
        const index = o.prefix[word] + @popCount(o.bitmap[word] & (bit - 1));
        const n = o.nouns.items[@intCast(index)];
        if (n == pending) return error.BadJam;
        return n;
    }
};

/// A cell being decoded: where its slot is, and its head once known.
const Frame = struct {
    index: usize,
    head: Noun,
    have_head: bool,
};

fn cueReader(ws: *Workspace, r: *const BitReader) CueError!Noun {
    const gpa = ws.gpa;
    if (r.bits_len == 0) return error.BadJam;
    var offsets = try Offsets.init(gpa, r.bits_len);
    defer offsets.deinit(gpa);
    var frames: std.ArrayList(Frame) = .empty;
    defer frames.deinit(gpa);
    var pos: u64 = 0;
    decode: while (true) {
        const start = pos;
        var result = try decodeLeaf(ws, r, &offsets, &pos);
        if (result == Offsets.pending) {
            const index = try offsets.record(gpa, start, Offsets.pending);
            if (frames.items.len >= constants.walk_stack_entries_max) return error.Meme;
            frames.append(gpa, .{ .index = index, .head = undefined, .have_head = false }) catch
                return error.Meme;
            continue :decode;
        }
        // Close every cell whose tail this completes; stop at the first that needs a tail.
        while (frames.items.len > 0) {
            const top = &frames.items[frames.items.len - 1];
            if (!top.have_head) {
                top.head = result;
                top.have_head = true;
                continue :decode;
            }
            result = try ws.cell(top.head, result);
            offsets.nouns.items[top.index] = result;
            frames.items.len -= 1;
        }
        try r.checkTrailing(pos);
        assert(pos <= r.bits_len);
        return result;
    }
}

/// Decode one item at `pos.*`: an atom or backreference (returned), or the tag of a cell
/// (returns `Offsets.pending`; the caller decodes its children next).
inline fn decodeLeaf(ws: *Workspace, r: *const BitReader, offsets: *Offsets, pos: *u64) CueError!Noun {
    const start = pos.*;
    try r.need(start, 1);
    const tag = r.peek(start) & 3;
    if (tag & 1 == 0) {
        pos.* += 1;
        const b = try r.matLength(pos);
        const a = try r.atom(ws, pos, b);
        _ = try offsets.record(ws.gpa, start, a);
        return a;
    }
    try r.need(start, 2);
    pos.* += 2;
    if (tag == 1) return Offsets.pending;
    const b = try r.matLength(pos);
    if (b > 64) return error.BadJam;
    const offset = if (b == 0) 0 else r.peek(pos.*) & lowMask(b);
    pos.* += b;
    return offsets.lookup(offset, r.bits_len);
}

/// Cue little-endian bytes.
pub fn cue(ws: *Workspace, bytes: []const u8) CueError!Noun {
    const gpa = ws.gpa;
    const words = gpa.alloc(u64, bytes.len / 8 + 3) catch return error.Meme;
    defer gpa.free(words);
    @memset(words, 0);
    @memcpy(std.mem.sliceAsBytes(words)[0..bytes.len], bytes);
    const r = BitReader{ .words = words, .bits_len = @as(u64, bytes.len) * 8 };
    return cueReader(ws, &r);
}

/// Cue a jam given as an atom.
pub fn cueAtom(ws: *Workspace, a: Noun) CueError!Noun {
    if (!a.isAtom()) return error.BadJam;
    const gpa = ws.gpa;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(a, &scratch);
    const words = gpa.alloc(u64, limbs.len + 2) catch return error.Meme;
    defer gpa.free(words);
    @memcpy(words[0..limbs.len], limbs);
    words[limbs.len] = 0;
    words[limbs.len + 1] = 0;
    const r = BitReader{ .words = words, .bits_len = ws.bases.met(a) };
    return cueReader(ws, &r);
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const corpus_dir = "../shared/corpus";

/// A corpus file, or null (with a message) when the shared corpus is absent.
pub fn readCorpus(gpa: std.mem.Allocator, rel_path: []const u8) !?[]u8 {
    var buf: [256]u8 = undefined;
    const path = try std.fmt.bufPrint(&buf, "{s}/{s}", .{ corpus_dir, rel_path });
    return std.fs.cwd().readFileAlloc(gpa, path, 64 << 20) catch |e| switch (e) {
        error.FileNotFound => {
            std.debug.print("skip: {s} not found (shared corpus absent)\n", .{path});
            return null;
        },
        else => return e,
    };
}

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

test "serial: jam and mug vectors from Vere" {
    const gpa = testing.allocator;
    const text = (try readCorpus(gpa, "vectors.json")) orelse return;
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

const CorpusFile = struct { path: []const u8, mug: u32 };
const corpus_files = [_]CorpusFile{
    .{ .path = "nock/hurray.jam", .mug = 0x2acca14b },
    .{ .path = "nock/decrement.jam", .mug = 0x5910f4ae },
    .{ .path = "nock/decrement2.jam", .mug = 0x2419dc },
    .{ .path = "nock/decfast.jam", .mug = 0x2c1a7cd4 },
    .{ .path = "nock/decslow.jam", .mug = 0x678fb757 },
    .{ .path = "nock/decflow.jam", .mug = 0x755f113d },
    .{ .path = "nock/repeat5_1000.jam", .mug = 0x13904865 },
    .{ .path = "nock/repeat5_1000_tc.jam", .mug = 0x513c7761 },
    .{ .path = "nock/shax.jam", .mug = 0x53f159cc },
    .{ .path = "kernels/test-ker.jam", .mug = 0x1174df08 },
    .{ .path = "pills/ivory.pill", .mug = 0x2a2274c9 },
};

test "serial: corpus files cue to their mugs and survive a jam round trip" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 2 << 30);
    defer ws.deinit();
    for (corpus_files) |file| {
        const bytes = (try readCorpus(gpa, file.path)) orelse return;
        defer gpa.free(bytes);
        const n = try cue(&ws, bytes);
        try testing.expectEqual(file.mug, try mug_mod.mug(&ws, n));
        const again = try jamBytes(&ws, gpa, n);
        defer gpa.free(again);
        // Vere's jam is canonical: re-jamming a Vere jam gives back the same bytes.
        if (!std.mem.eql(u8, bytes, again)) {
            std.debug.print("note: {s}: re-jam differs ({d} -> {d} bytes)\n", .{ file.path, bytes.len, again.len });
        }
        try testing.expect(again.len <= bytes.len + bytes.len / 8 + 8);
        // Compare by re-jamming: jam is canonical over structure, and a DAG comparison of
        // two distinct copies without memo (equality.equal) can take exponential time.
        const n2 = try cue(&ws, again);
        const third = try jamBytes(&ws, gpa, n2);
        defer gpa.free(third);
        try testing.expectEqualSlices(u8, again, third);
        try testing.expectEqual(file.mug, try mug_mod.mug(&ws, n2));
    }
}

/// CPU time of this thread: steadier than wall time on a shared machine.
fn threadCpuNs() u64 {
    const ts = std.posix.clock_gettime(.THREAD_CPUTIME_ID) catch return 0;
    return @as(u64, @intCast(ts.sec)) * std.time.ns_per_s + @as(u64, @intCast(ts.nsec));
}

fn msOf(ns: u64) f64 {
    return @as(f64, @floatFromInt(ns)) / 1e6;
}

test "serial: ivory cue and jam timing" {
    const gpa = testing.allocator;
    const bytes = (try readCorpus(gpa, "pills/ivory.pill")) orelse return;
    defer gpa.free(bytes);
    var ws = try Workspace.init(gpa, 4 << 30);
    defer ws.deinit();
    var cue_ns: u64 = std.math.maxInt(u64);
    var cue_wall_ns: u64 = std.math.maxInt(u64);
    var n: Noun = undefined;
    for (0..8) |_| {
        const t0 = threadCpuNs();
        var timer = try std.time.Timer.start();
        n = try cue(&ws, bytes);
        cue_wall_ns = @min(cue_wall_ns, timer.read());
        cue_ns = @min(cue_ns, threadCpuNs() - t0);
    }
    var jam_first_ns: u64 = 0;
    var jam_ns: u64 = std.math.maxInt(u64);
    var jam_wall_ns: u64 = std.math.maxInt(u64);
    for (0..5) |i| {
        const t0 = threadCpuNs();
        var timer = try std.time.Timer.start();
        const out = try jamBytes(&ws, gpa, n);
        const wall = timer.read();
        const t = threadCpuNs() - t0;
        defer gpa.free(out);
        if (i == 0) jam_first_ns = t else {
            jam_ns = @min(jam_ns, t);
            jam_wall_ns = @min(jam_wall_ns, wall);
        }
        // ivory was written by Vere: our jam must give back exactly its bytes.
        try testing.expectEqualSlices(u8, bytes, out);
    }
    const mb = @as(f64, @floatFromInt(bytes.len)) / 1e6;
    std.debug.print("ivory ({s}, best of runs, thread CPU / wall): cue {d:.1} / {d:.1} ms ({d:.0} MB/s); " ++
        "jam {d:.1} ms first, then {d:.1} / {d:.1} ms ({d:.0} MB/s)\n", .{
        @tagName(builtin.mode), msOf(cue_ns), msOf(cue_wall_ns), mb / (msOf(cue_ns) / 1e3),
        msOf(jam_first_ns),     msOf(jam_ns), msOf(jam_wall_ns), mb / (msOf(jam_ns) / 1e3),
    });
}

test "serial: 10^6-deep nouns through jam, cue, mug and equality" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 2 << 30);
    defer ws.deinit();
    var left = Noun.zero;
    var right = Noun.zero;
    for (0..1_000_000) |i| {
        left = try ws.cell(left, Noun.direct(i));
        right = try ws.cell(Noun.direct(i), right);
    }
    for ([_]Noun{ left, right }) |n| {
        const bytes = try jamBytes(&ws, gpa, n);
        defer gpa.free(bytes);
        const back = try cue(&ws, bytes);
        try testing.expect(try equality.equal(&ws, n, back));
        try testing.expectEqual(try mug_mod.mug(&ws, n), try mug_mod.mug(&ws, back));
        const as_atom = try jam(&ws, back);
        try testing.expect(try equality.equal(&ws, n, try cueAtom(&ws, as_atom)));
    }
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

test "serial: 10^6-deep chains of one repeated atom (mugs cycle) through jam and cue" {
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

test "serial: jam backreferences a separately built copy of a 10^5-deep chain" {
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

test "serial: jam agrees with its definition on random nouns with sharing" {
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

/// Bits for hand-made inputs, written LSB first.
fn testBits(gpa: std.mem.Allocator, spec: []const [2]u64) ![]u8 {
    var w = BitWriter{ .gpa = gpa };
    defer w.deinit();
    for (spec) |item| {
        try w.ensure(item[1]);
        w.put(item[0], item[1]);
    }
    const len: usize = @intCast((w.bits + 7) / 8);
    return gpa.dupe(u8, std.mem.sliceAsBytes(w.words.items)[0..len]);
}

fn expectCue(spec: []const [2]u64, expected: ?Noun) !void {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 4 << 20);
    defer ws.deinit();
    const bytes = try testBits(gpa, spec);
    defer gpa.free(bytes);
    if (expected) |e| {
        try testing.expect(try equality.equal(&ws, e, try cue(&ws, bytes)));
    } else {
        try testing.expectError(error.BadJam, cue(&ws, bytes));
    }
}

test "serial: bad inputs are clean errors" {
    const gpa = testing.allocator;
    var ws = try Workspace.init(gpa, 16 << 20);
    defer ws.deinit();
    try testing.expectError(error.BadJam, cue(&ws, &.{}));
    try testing.expectError(error.BadJam, cue(&ws, &.{0}));
    try testing.expectError(error.BadJam, cue(&ws, &.{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
    try testing.expectError(error.BadJam, cue(&ws, &.{1}));
    try testing.expectError(error.BadJam, cueAtom(&ws, try ws.cell(Noun.zero, Noun.zero)));
    try testing.expectError(error.BadJam, cueAtom(&ws, Noun.zero));
    // Every proper prefix of a jam is truncated.
    const big = try ws.atomFromLimbs(&.{ 1, 2, 3, 4 });
    const n = try ws.tuple(&.{ big, Noun.direct(77), try ws.cell(big, Noun.direct(1 << 40)), big });
    const bytes = try jamBytes(&ws, gpa, n);
    defer gpa.free(bytes);
    for (0..bytes.len) |len| try testing.expectError(error.BadJam, cue(&ws, bytes[0..len]));
    try testing.expect(try equality.equal(&ws, n, try cue(&ws, bytes)));
    // Trailing zero bytes are padding; trailing one bits are not.
    const padded = try std.mem.concat(gpa, u8, &.{ bytes, &.{ 0, 0, 0 } });
    defer gpa.free(padded);
    try testing.expect(try equality.equal(&ws, n, try cue(&ws, padded)));
    padded[padded.len - 1] = 0x80;
    try testing.expectError(error.BadJam, cue(&ws, padded));
}

test "serial: backreferences and lengths are validated" {
    const zero_cell = [2]u64{ 1, 2 }; // cell tag: bits 1, 0
    const atom0 = [2]u64{ 2, 2 }; // atom 0: bits 0, 1
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    const pair = try ws.cell(Noun.zero, Noun.zero);
    // [0 ^2]: a backreference to the head (offset 2) is fine.
    // mat(2): c = 2 -> bits 0 0 1, low bit of b=2 is 0, then 2 = bits 0 1.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 } }, pair);
    // A backreference into the middle of the head (offset 3).
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 3, 2 } }, null);
    // A backreference to the enclosing cell (offset 0) would make a cycle.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 1, 1 } }, null);
    // A backreference forward, past the end, and to a backreference.
    try expectCue(&.{ zero_cell, atom0, .{ 3, 2 }, .{ 0b1000, 4 }, .{ 0b01, 2 }, .{ 5, 3 } }, null);
    try expectCue(&.{ zero_cell, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 }, atom0 }, null);
    try expectCue(&.{ zero_cell, atom0, zero_cell, .{ 3, 2 }, .{ 0b100, 3 }, .{ 0, 1 }, .{ 2, 2 }, .{ 3, 2 }, .{ 0b1000, 4 }, .{ 0b00, 2 }, .{ 4, 3 } }, null);
    // Absurd lengths: 40 zeros announce a 2^39-bit atom; 70 zeros overflow the length.
    try expectCue(&.{ .{ 0, 1 }, .{ 0, 40 }, .{ 1, 1 }, .{ 0, 39 } }, null);
    try expectCue(&.{ .{ 0, 1 }, .{ 0, 64 }, .{ 0, 6 }, .{ 1, 1 }, .{ 0, 64 } }, null);
    // A backreference whose offset has more than 64 bits.
    try expectCue(&.{ .{ 3, 2 }, .{ 0, 7 }, .{ 1, 1 }, .{ 0, 6 }, .{ 0, 64 }, .{ 1, 1 } }, null);
    // A non-canonical atom (high zero bits) is accepted and normalised: 5 in 8 bits.
    try expectCue(&.{ .{ 0, 1 }, .{ 0b1000, 4 }, .{ 0, 2 }, .{ 5, 8 } }, Noun.direct(5));
}

test "serial: jam dedups separate copies of a deeply shared DAG in linear time" {
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
