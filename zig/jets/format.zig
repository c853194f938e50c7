//! Jets of Hoon's atom printing and parsing (`%qua`, 4k to 4m): `scot` and `scow` render a
//! dime `[p=@ta q=@]` through `+co` (as a knot and as a tape), `slaw` parses a knot as an
//! aura. Gates:
//!   scot scow  mol=dime at 6, its aura at 12 and its atom at 13
//!   slaw       [mod=@tas txt=@ta] at 12 13
//!
//! `+rend:co` picks a format by the aura's first two letters (`yed`, `hay`); each is
//! rendered here exactly as `+co` does it, down to its zero padding and separators:
//! @p @q (through ob.zig), @u* (b i x v w, decimal otherwise), @s* (a sign and the @u*
//! form of the magnitude), @da @dr, @t @ta @tas (`+wood`'s escapes for ASCII text), @f @n,
//! @if @is, and `0x` hex for any other aura. Floats (@r*), @c, @uc and non-ASCII @t are
//! left to the Nock (`error.Punt`), as is any cell in the sample.
//!
//! `slaw` runs natively where hoon.hoon has a dedicated parser (%p %ud %ux %uv %ta %tas):
//! each follows the combinators of `+ag`/`+ab` as a PEG (ordered choice, greedy
//! repetition, whole text consumed). Every other aura goes through `+slay` in the Nock, as
//! does text with spaces, newlines or colons (the `gay` of the `.`/`--` separators).

const std = @import("std");
const assert = std.debug.assert;
const Noun = @import("../noun.zig").Noun;
const Workspace = @import("../workspace.zig").Workspace;
const common = @import("common.zig");
const atom = @import("atom.zig");
const ob = @import("ob.zig");
const E = @import("entry.zig");
const JetError = common.JetError;

pub const entries = [_]E.Entry{
    E.plain("scot", scot, "mol=dime 6: [p=@ta q=@] 12 13"),
    E.plain("scow", scow, "mol=dime 6: [p=@ta q=@] 12 13"),
    E.plain("slaw", slaw, "[mod=@tas txt=@ta] 12 13"),
};

pub const layers = [_]E.Layer{
    .{ .prefix = "one/two/tri/qua", .names = &.{ "scot", "scow", "slaw" } },
};

// ------------------------------------------------------------------------- output

const Text = struct {
    gpa: std.mem.Allocator,
    bytes: std.ArrayList(u8) = .empty,

    fn deinit(t: *Text) void {
        t.bytes.deinit(t.gpa);
    }

    fn put(t: *Text, s: []const u8) JetError!void {
        t.bytes.appendSlice(t.gpa, s) catch return error.Meme;
    }

    fn byte(t: *Text, b: u8) JetError!void {
        t.bytes.append(t.gpa, b) catch return error.Meme;
    }
};

/// How `+ne` spells a digit: `d` decimal, `x` (and `v`) hex and base32, `w` base64.
const Spell = enum { d, x, w };

fn digitChar(spell: Spell, d: u8) u8 {
    switch (spell) {
        .d => {
            assert(d < 10);
            return '0' + d;
        },
        .x => return if (d >= 10) d + 87 else '0' + d,
        .w => {
            if (d == 63) return '~';
            if (d == 62) return '-';
            if (d >= 36) return d + 29;
            return if (d >= 10) d + 87 else '0' + d;
        },
    }
}

/// The digits of `limbs` in `base` (2, 10, 16, 32 or 64), most significant first; one `0`
/// for zero. The caller frees them.
fn digitsOf(gpa: std.mem.Allocator, limbs: []const u64, base: u8) JetError![]u8 {
    const bits = atom.bitsOf(limbs);
    if (base != 10) {
        const width: u64 = std.math.log2_int(u8, base);
        const n: usize = @intCast(@max(1, (bits + width - 1) / width));
        const out = gpa.alloc(u8, n) catch return error.Meme;
        for (0..n) |i| out[n - 1 - i] = @intCast(atom.readBits(limbs, i * width, width));
        return out;
    }
    var digits: std.ArrayList(u8) = .empty;
    errdefer digits.deinit(gpa);
    const work = gpa.dupe(u64, limbs) catch return error.Meme;
    defer gpa.free(work);
    var len = work.len;
    while (len > 0 and work[len - 1] == 0) len -= 1;
    const chunk: u64 = 10_000_000_000_000_000_000;
    while (len > 0) {
        var rem: u128 = 0;
        var i = len;
        while (i > 0) {
            i -= 1;
            const x = (rem << 64) | work[i];
            work[i] = @intCast(x / chunk);
            rem = x % chunk;
        }
        while (len > 0 and work[len - 1] == 0) len -= 1;
        var r: u64 = @intCast(rem);
        for (0..19) |_| {
            if (len == 0 and r == 0) break;
            digits.append(gpa, @intCast(r % 10)) catch return error.Meme;
            r /= 10;
        }
    }
    if (digits.items.len == 0) digits.append(gpa, 0) catch return error.Meme;
    std.mem.reverse(u8, digits.items);
    return digits.toOwnedSlice(gpa) catch return error.Meme;
}

/// `limbs` in `base`, in groups of `group` digits joined by '.' (0: one group), at least
/// `min` digits (zero-padded).
fn number(t: *Text, limbs: []const u64, base: u8, spell: Spell, group: usize, min: usize) JetError!void {
    const digits = try digitsOf(t.gpa, limbs, base);
    defer t.gpa.free(digits);
    var pad = min -| digits.len;
    while (pad > 0) : (pad -= 1) try t.byte('0');
    for (digits, 0..) |d, i| {
        const left = digits.len - i;
        if (group > 0 and i > 0 and left % group == 0) try t.byte('.');
        try t.byte(digitChar(spell, d));
    }
}

fn small(t: *Text, v: u64, base: u8, spell: Spell, min: usize) JetError!void {
    return number(t, &.{v}, base, spell, 0, min);
}

// ------------------------------------------------------------------------- rendering

/// Render the dime `[aura value]` as `+rend:co` does; Punt for the forms left to the Nock.
fn render(ws: *Workspace, t: *Text, aura: Noun, value: Noun) JetError!void {
    var aura_scratch: u64 = undefined;
    const name = ws.atomBytes(aura, &aura_scratch);
    const yed: u8 = if (name.len > 0) name[0] else 0;
    const hay: u8 = if (name.len > 1) name[1] else 0;
    var scratch: u64 = undefined;
    const limbs = ws.bases.limbs(value, &scratch);
    switch (yed) {
        'd' => switch (hay) {
            'a' => return date(t, limbs),
            'r' => return span(t, limbs),
            else => return hexAtom(t, limbs),
        },
        'f' => {
            if (value == Noun.zero) return t.put(".y");
            if (value == Noun.direct(1)) return t.put(".n");
            return hexAtom(t, limbs);
        },
        'n' => return t.byte('~'),
        'i' => switch (hay) {
            'f' => return address(t, limbs, 8, 4, 10, .d),
            's' => return address(t, limbs, 16, 8, 16, .x),
            else => return hexAtom(t, limbs),
        },
        'p' => return ship(t, limbs),
        'q' => return phonemic(ws, t, value),
        'r' => switch (hay) {
            'd', 'h', 'q', 's' => return error.Punt,
            else => return hexAtom(t, limbs),
        },
        'u' => return unsigned(t, hay, limbs),
        's' => return signed(t, hay, limbs),
        't' => {
            const bytes = ws.atomBytes(value, &scratch);
            if (hay == 'a') {
                if (name.len <= 2 or name[2] != 's') try t.put("~.");
                return t.put(bytes);
            }
            return wood(t, bytes);
        },
        'c' => return error.Punt,
        else => return hexAtom(t, limbs),
    }
}

/// `+z-co`: `0x` and hex digits, no separators.
fn hexAtom(t: *Text, limbs: []const u64) JetError!void {
    try t.put("0x");
    try number(t, limbs, 16, .x, 0, 1);
}

/// The @u* forms, by the aura's second letter.
fn unsigned(t: *Text, hay: u8, limbs: []const u64) JetError!void {
    const Form = struct { prefix: []const u8, base: u8, spell: Spell, group: usize };
    const form: Form = switch (hay) {
        'c' => return error.Punt,
        'b' => .{ .prefix = "0b", .base = 2, .spell = .d, .group = 4 },
        'i' => .{ .prefix = "0i", .base = 10, .spell = .d, .group = 0 },
        'x' => .{ .prefix = "0x", .base = 16, .spell = .x, .group = 4 },
        'v' => .{ .prefix = "0v", .base = 32, .spell = .x, .group = 5 },
        'w' => .{ .prefix = "0w", .base = 64, .spell = .w, .group = 5 },
        else => .{ .prefix = "", .base = 10, .spell = .d, .group = 3 },
    };
    try t.put(form.prefix);
    try number(t, limbs, form.base, form.spell, form.group, 1);
}

/// @s*: `--` or `-`, then the @u* form of the magnitude (`+abs:si`: low bit plus the rest).
fn signed(t: *Text, hay: u8, limbs: []const u64) JetError!void {
    if (hay == 'c') return error.Punt;
    const negative = limbs[0] & 1 == 1;
    try t.put(if (negative) "-" else "--");
    const magnitude = t.gpa.alloc(u64, limbs.len + 1) catch return error.Meme;
    defer t.gpa.free(magnitude);
    @memset(magnitude, 0);
    atom.copyBits(magnitude, 0, limbs, 1, @as(u64, limbs.len) * 64);
    if (negative) {
        for (magnitude) |*limb| {
            limb.* +%= 1;
            if (limb.* != 0) break;
        }
    }
    return unsigned(t, hay, magnitude);
}

/// @p: the concealed ship (`+fein:ob`), one suffix syllable for a galaxy, else 16-bit
/// words most significant first, `-` between words and `--` between 64-bit blocks.
fn ship(t: *Text, limbs: []const u64) JetError!void {
    var concealed: u64 = undefined;
    const sxz: []const u64 = if (limbs.len == 1) blk: {
        concealed = try ob.obfuscate(limbs[0], true);
        break :blk (&concealed)[0..1];
    } else limbs;
    try t.byte('~');
    const bits = atom.bitsOf(sxz);
    if (bits <= 8) return t.put(ob.syllable(ob.suffixes, @intCast(sxz[0])));
    const words = (bits + 15) / 16;
    var imp = words;
    while (imp > 0) {
        imp -= 1;
        const log = atom.readBits(sxz, 16 * imp, 16);
        try t.put(ob.syllable(ob.prefixes, @intCast(log >> 8)));
        try t.put(ob.syllable(ob.suffixes, @intCast(log & 0xff)));
        if (imp % 4 != 0) try t.byte('-') else if (imp != 0) try t.put("--");
    }
}

/// @q: bytes least significant first alternate suffix and prefix syllables; most
/// significant first in the text, `-` before each even byte but the first.
fn phonemic(ws: *const Workspace, t: *Text, value: Noun) JetError!void {
    var scratch: u64 = undefined;
    const found = ws.atomBytes(value, &scratch);
    const bytes: []const u8 = if (found.len == 0) &.{0} else found;
    try t.put(".~");
    var i = bytes.len;
    while (i > 0) {
        i -= 1;
        const table = if (i % 2 == 0) ob.suffixes else ob.prefixes;
        try t.put(ob.syllable(table, bytes[i]));
        if (i % 2 == 0 and i > 0) try t.byte('-');
    }
}

/// @if and @is (`+ro-co`): `count` pieces of `width` bits, most significant first, each
/// `.` and at least one digit.
fn address(t: *Text, limbs: []const u64, width: u64, count: u64, base: u8, spell: Spell) JetError!void {
    var pod = count;
    while (pod > 0) {
        pod -= 1;
        try t.byte('.');
        try small(t, atom.readBits(limbs, pod * width, width), base, spell, 1);
    }
}

/// `+wood` for text of printable ASCII and newlines; Punt for other bytes (UTF-8, whose
/// decoding `+taft` checks, and control bytes, which crash `+teff`).
fn wood(t: *Text, bytes: []const u8) JetError!void {
    for (bytes) |c| {
        if (c != 10 and (c < 32 or c > 127)) return error.Punt;
    }
    try t.put("~~");
    for (bytes) |c| {
        switch (c) {
            'a'...'z', '0'...'9', '-' => try t.byte(c),
            ' ' => try t.byte('.'),
            '.' => try t.put("~."),
            '~' => try t.put("~~"),
            else => {
                try t.byte('~');
                try small(t, c, 16, .x, 1);
                try t.byte('.');
            },
        }
    }
}

/// A time as `+yell` splits it: days, hours, minutes, seconds and the fraction's 16-bit
/// words, most significant first, up to the last non-zero one.
const Tarp = struct { day: u64, h: u64, m: u64, s: u64, f: [4]u64, f_len: usize };

/// `+yell` of an atom of up to 128 bits (larger ones go to the Nock).
fn yell(limbs: []const u64) JetError!Tarp {
    if (atom.bitsOf(limbs) > 128) return error.Punt;
    var tarp: Tarp = .{ .day = 0, .h = 0, .m = 0, .s = 0, .f = undefined, .f_len = 0 };
    var raw = atom.readBits(limbs, 0, 64);
    var muc: u6 = 4;
    while (raw != 0 and muc != 0) {
        muc -= 1;
        tarp.f[tarp.f_len] = (raw >> (16 * muc)) & 0xffff;
        tarp.f_len += 1;
        raw = if (muc == 0) 0 else raw & ((@as(u64, 1) << (16 * muc)) - 1);
    }
    var sec = atom.readBits(limbs, 64, 64);
    tarp.day = sec / 86400;
    sec %= 86400;
    tarp.h = sec / 3600;
    sec %= 3600;
    tarp.m = sec / 60;
    tarp.s = sec % 60;
    return tarp;
}

const month_days = [2][12]u64{
    .{ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 },
    .{ 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 },
};

/// `+yall`: a day number to year, month and day of month (from 1).
fn yall(days: u64) [3]u64 {
    const era = days / 146097;
    var day = days % 146097;
    var leap = true;
    var cet: u64 = 0;
    if (day >= 36525) {
        leap = false;
        day -= 36525;
        cet = 1 + day / 36524;
        day %= 36524;
    }
    var year = 400 * era + 100 * cet;
    while (day >= @as(u64, if (leap) 366 else 365)) {
        day -= if (leap) 366 else 365;
        year += 1;
        leap = year % 4 == 0;
    }
    var month: usize = 0;
    while (day >= month_days[@intFromBool(leap)][month]) : (month += 1) {
        day -= month_days[@intFromBool(leap)][month];
    }
    return .{ year, month + 1, day + 1 };
}

/// The fraction of a @da or @dr: `..` and its words as four hex digits, `.` between.
fn fraction(t: *Text, tarp: Tarp) JetError!void {
    if (tarp.f_len == 0) return;
    try t.byte('.');
    for (tarp.f[0..tarp.f_len]) |word| {
        try t.byte('.');
        try small(t, word, 16, .x, 4);
    }
}

/// Urbit's epoch year: @da 0 is 292,277,024,401 BC.
const epoch_year: u64 = 292_277_024_400;

/// @da: `~y.m.d`, `-` after a year BC, `..h.m.s` unless the time is all zero, fraction.
fn date(t: *Text, limbs: []const u64) JetError!void {
    const tarp = try yell(limbs);
    const ymd = yall(tarp.day);
    const ad = ymd[0] > epoch_year;
    try t.byte('~');
    try small(t, if (ad) ymd[0] - epoch_year else epoch_year - ymd[0] + 1, 10, .d, 1);
    if (!ad) try t.byte('-');
    for (ymd[1..]) |part| {
        try t.byte('.');
        try small(t, part, 10, .d, 1);
    }
    if (tarp.f_len > 0 or tarp.h != 0 or tarp.m != 0 or tarp.s != 0) {
        try t.put("..");
        try small(t, tarp.h, 10, .d, 2);
        try t.byte('.');
        try small(t, tarp.m, 10, .d, 2);
        try t.byte('.');
        try small(t, tarp.s, 10, .d, 2);
    }
    return fraction(t, tarp);
}

/// @dr: `~` and the non-zero units `d h m s` joined by `.` (`~s0` when all are zero).
fn span(t: *Text, limbs: []const u64) JetError!void {
    const tarp = try yell(limbs);
    try t.byte('~');
    const units = [4]u64{ tarp.day, tarp.h, tarp.m, tarp.s };
    if (std.mem.allEqual(u64, &units, 0)) {
        try t.put("s0");
    } else {
        var first = true;
        for (units, "dhms") |v, unit| {
            if (v == 0) continue;
            if (!first) try t.byte('.');
            first = false;
            try t.byte(unit);
            try small(t, v, 10, .d, 1);
        }
    }
    return fraction(t, tarp);
}

// ------------------------------------------------------------------------- scot scow

/// The dime at 6 as `[aura value]`; cells are left to the Nock.
fn dime(ws: *const Workspace, core: Noun) JetError![2]Noun {
    const aura = try common.slot(ws, core, 12);
    const value = try common.slot(ws, core, 13);
    if (aura.isCell() or value.isCell()) return error.Punt;
    return .{ aura, value };
}

pub fn scot(ws: *Workspace, core: Noun) JetError!Noun {
    const mol = try dime(ws, core);
    var t: Text = .{ .gpa = ws.gpa };
    defer t.deinit();
    try render(ws, &t, mol[0], mol[1]);
    // `+rent` is `(rap 3 rend)`: a NUL in the tape (from @ta or @tas) takes no byte.
    var len: usize = 0;
    for (t.bytes.items) |b| {
        if (b == 0) continue;
        t.bytes.items[len] = b;
        len += 1;
    }
    return ws.atomFromBytes(t.bytes.items[0..len]);
}

pub fn scow(ws: *Workspace, core: Noun) JetError!Noun {
    const mol = try dime(ws, core);
    var t: Text = .{ .gpa = ws.gpa };
    defer t.deinit();
    try render(ws, &t, mol[0], mol[1]);
    const bytes = t.bytes.items;
    if (bytes.len == 0) return Noun.zero;
    const block = try common.listBlock(ws, bytes.len, Noun.zero);
    for (bytes, 0..) |b, i| common.setHead(block, i, Noun.direct(b));
    return common.blockNoun(block);
}

// ------------------------------------------------------------------------- slaw

/// A PEG scanner over the knot's bytes: a rule that fails leaves `at` where it was.
const Scan = struct {
    s: []const u8,
    at: usize = 0,

    fn done(p: *const Scan) bool {
        return p.at == p.s.len;
    }

    /// Take one byte in [lo, hi].
    fn range(p: *Scan, lo: u8, hi: u8) ?u8 {
        if (p.at >= p.s.len) return null;
        const c = p.s[p.at];
        if (c < lo or c > hi) return null;
        p.at += 1;
        return c;
    }

    fn char(p: *Scan, c: u8) bool {
        return p.range(c, c) != null;
    }

    /// `+jest`: a literal.
    fn literal(p: *Scan, s: []const u8) bool {
        if (!std.mem.startsWith(u8, p.s[p.at..], s)) return false;
        p.at += s.len;
        return true;
    }
};

/// An atom accumulated as `+bass` does (`acc * base + digit`), in little-endian limbs.
const Acc = struct {
    gpa: std.mem.Allocator,
    limbs: std.ArrayList(u64) = .empty,

    fn deinit(a: *Acc) void {
        a.limbs.deinit(a.gpa);
    }

    fn mulAdd(a: *Acc, m: u64, d: u64) JetError!void {
        var carry: u128 = d;
        for (a.limbs.items) |*limb| {
            const x = @as(u128, limb.*) * m + carry;
            limb.* = @truncate(x);
            carry = x >> 64;
        }
        if (carry != 0) a.limbs.append(a.gpa, @intCast(carry)) catch return error.Meme;
    }
};

/// A digit of `+ab`: `sid` 0-9, `sed` 1-9, `sox` a-f, `sov` a-v, and `hit`'s A-F.
const Digits = struct { lead: bool, alpha: u8, upper: bool = false };

fn digit(p: *Scan, class: Digits) ?u64 {
    if (p.range(if (class.lead) '1' else '0', '9')) |c| return c - '0';
    if (class.alpha != 0) {
        if (p.range('a', class.alpha)) |c| return c - 87;
    }
    if (class.upper) {
        if (p.range('A', 'F')) |c| return c - 55;
    }
    return null;
}

/// A numeral of `+ag` (`dem`, `hex`, `viz`): `0` alone, or a lead group of `lead` then up
/// to `rest` digits, then `.`-separated groups of exactly `group` digits.
const Numeral = struct { base: u64, rest: usize, group: usize, first: Digits, tail: Digits, next: Digits };

fn numeral(p: *Scan, acc: *Acc, form: Numeral) JetError!bool {
    if (p.char('0')) return true; // `+ape`: a lone zero
    const lead = digit(p, form.first) orelse return false;
    try acc.mulAdd(form.base, lead);
    for (0..form.rest) |_| {
        const d = digit(p, form.tail) orelse break;
        try acc.mulAdd(form.base, d);
    }
    while (true) {
        const start = p.at;
        if (!p.char('.')) break;
        var value: u64 = 0;
        for (0..form.group) |_| {
            value = value * form.base + (digit(p, form.next) orelse break);
        } else {
            try acc.mulAdd(std.math.pow(u64, form.base, form.group), value);
            continue;
        }
        p.at = start;
        break;
    }
    return true;
}

const decimal: Numeral = .{
    .base = 10,
    .rest = 2,
    .group = 3,
    .first = .{ .lead = true, .alpha = 0 },
    .tail = .{ .lead = false, .alpha = 0 },
    .next = .{ .lead = false, .alpha = 0 },
};
const hexadecimal: Numeral = .{
    .base = 16,
    .rest = 3,
    .group = 4,
    .first = .{ .lead = true, .alpha = 'f' },
    .tail = .{ .lead = false, .alpha = 'f', .upper = true },
    .next = .{ .lead = false, .alpha = 'f' },
};
const base32: Numeral = .{
    .base = 32,
    .rest = 4,
    .group = 5,
    .first = .{ .lead = true, .alpha = 'v' },
    .tail = .{ .lead = false, .alpha = 'v' },
    .next = .{ .lead = false, .alpha = 'v' },
};

/// `+til`: three lowercase letters, as a cord.
fn til(p: *Scan) ?u64 {
    const start = p.at;
    var cord: u64 = 0;
    for (0..3) |i| {
        const c = p.range('a', 'z') orelse {
            p.at = start;
            return null;
        };
        cord |= @as(u64, c) << @intCast(8 * i);
    }
    return cord;
}

/// A syllable of a table (`+tip`, `+tiq`), its index; `+tep` refuses prefix `doz`.
fn syllable(p: *Scan, table: []const u8, refuse_zero: bool) ?u64 {
    const start = p.at;
    const cord = til(p) orelse return null;
    const index = ob.syllableIndex(table, cord) orelse {
        p.at = start;
        return null;
    };
    if (refuse_zero and index == 0) {
        p.at = start;
        return null;
    }
    return index;
}

/// Two syllables as a 16-bit word: `+hif`; `+hef` refuses 0, `+haf` a `doz` prefix.
const Word = enum { hif, hef, haf };

fn shipWord(p: *Scan, comptime kind: Word) ?u64 {
    const start = p.at;
    const hi = syllable(p, ob.prefixes, kind == .haf) orelse return null;
    const lo = syllable(p, ob.suffixes, false) orelse {
        p.at = start;
        return null;
    };
    const w = hi * 256 + lo;
    if (kind == .hef and w == 0) {
        p.at = start;
        return null;
    }
    return w;
}

/// A first word, then `-` and words, `min` to `max` of them (`+hof` `+huf` `+hyf`).
fn shipWords(p: *Scan, comptime first: Word, min: usize, max: usize) ?u64 {
    const start = p.at;
    var v = shipWord(p, first) orelse return null;
    var n: usize = 0;
    while (n < max) : (n += 1) {
        const before = p.at;
        if (!p.char('-')) break;
        v = v * 0x10000 + (shipWord(p, .hif) orelse {
            p.at = before;
            break;
        });
    }
    if (n < min) {
        p.at = start;
        return null;
    }
    return v;
}

/// Past 64 bits: `+huf`, then `--` and four words (`+hyf`), at least once, as `+bass` of
/// 2^64 puts them: into `acc`, least significant limb first.
fn oversized(p: *Scan, acc: *Acc) JetError!bool {
    const start = p.at;
    const top = shipWords(p, .hef, 0, 3) orelse return false;
    acc.limbs.append(acc.gpa, top) catch return error.Meme;
    while (true) {
        const before = p.at;
        if (!p.literal("--")) break;
        const block = shipWords(p, .hif, 3, 3) orelse {
            p.at = before;
            break;
        };
        acc.limbs.append(acc.gpa, block) catch return error.Meme;
    }
    if (acc.limbs.items.len == 1) {
        acc.limbs.clearRetainingCapacity();
        p.at = start;
        return false;
    }
    std.mem.reverse(u64, acc.limbs.items);
    return true;
}

/// `~` and `+fed:ag`: a comet or larger, a planet or moon, a star or a galaxy, then
/// `+fynd:ob`. The value goes to `acc`; false when the text is no ship.
fn shipName(p: *Scan, acc: *Acc) JetError!bool {
    if (!p.char('~')) return false;
    if (try oversized(p, acc)) return true; // fynd leaves 2^64 and above alone
    const v = shipWords(p, .hef, 1, 3) orelse shipWord(p, .haf) orelse syllable(p, ob.suffixes, false) orelse
        return false;
    acc.limbs.append(acc.gpa, try ob.obfuscate(v, false)) catch return error.Meme;
    return true;
}

/// The auras `+slaw` parses itself; it hands the others to `+slay` (left to the Nock).
const Mode = enum { p, ud, ux, uv, ta, tas };

/// %ta (`~.` and `+urs:ab`) and %tas (`+sym`): whether the whole text is such a knot.
fn knot(text: []const u8, mode: Mode) bool {
    var p: Scan = .{ .s = text };
    if (mode == .ta and !p.literal("~.")) return false;
    if (mode == .tas and p.range('a', 'z') == null) return false;
    for (text[p.at..]) |c| {
        const ok = switch (c) {
            'a'...'z', '0'...'9', '-' => true,
            '.', '~', '_' => mode == .ta,
            else => false,
        };
        if (!ok) return false;
    }
    return true;
}

/// The parse of `text` as a number or ship, into `acc`; false when it does not parse.
fn numeric(text: []const u8, mode: Mode, acc: *Acc) JetError!bool {
    // `gay` may follow the separators `.` and `--`: whitespace and comments go to the Nock.
    for (text) |c| if (c == ' ' or c == '\n' or c == ':') return error.Punt;
    var p: Scan = .{ .s = text };
    const parsed = switch (mode) {
        .p => try shipName(&p, acc),
        .ud => try numeral(&p, acc, decimal),
        .ux => p.literal("0x") and try numeral(&p, acc, hexadecimal),
        .uv => p.literal("0v") and try numeral(&p, acc, base32),
        .ta, .tas => unreachable,
    };
    return parsed and p.done();
}

pub fn slaw(ws: *Workspace, core: Noun) JetError!Noun {
    const mod = try common.slot(ws, core, 12);
    const txt = try common.slot(ws, core, 13);
    if (mod.isCell() or txt.isCell()) return error.Punt;
    var mod_scratch: u64 = undefined;
    const mode = std.meta.stringToEnum(Mode, ws.atomBytes(mod, &mod_scratch)) orelse
        return error.Punt;
    var txt_scratch: u64 = undefined;
    const text = ws.atomBytes(txt, &txt_scratch);
    if (mode == .ta or mode == .tas) {
        if (!knot(text, mode)) return Noun.zero;
        const value = if (mode == .tas) txt else try ws.atomFromBytes(text[2..]);
        return ws.cell(Noun.zero, value);
    }
    var acc: Acc = .{ .gpa = ws.gpa };
    defer acc.deinit();
    if (!try numeric(text, mode, &acc)) return Noun.zero;
    return ws.cell(Noun.zero, try ws.atomFromLimbs(acc.limbs.items));
}

// ------------------------------------------------------------------------- tests

const testing = std.testing;
const jt = @import("testing.zig");

fn expectScot(ws: *Workspace, aura: []const u8, value: []const u8, expected: []const u8) !void {
    var buf: [64]u8 = undefined;
    const sample = try std.fmt.bufPrint(&buf, "[%{s} {s}]", .{ aura, value });
    const core = try jt.gate(ws, try jt.parse(ws, sample));
    const product = try scot(ws, core);
    var scratch: u64 = undefined;
    try testing.expectEqualStrings(expected, ws.atomBytes(product, &scratch));
}

test "scot renders as the ivory pill does" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    // Products of `(scot aura value)` on the ivory pill.
    try expectScot(&ws, "p", "0", "~zod");
    try expectScot(&ws, "p", "256", "~marzod");
    try expectScot(&ws, "p", "0x1.0000.0000", "~doznec-dozzod-dozzod");
    try expectScot(&ws, "p", "0x1.0000.0000.0000.0000", "~doznec--dozzod-dozzod-dozzod-dozzod");
    try expectScot(&ws, "q", "0", ".~zod");
    try expectScot(&ws, "q", "0x1.0203", ".~nec-binwes");
    try expectScot(&ws, "ud", "1234567", "1.234.567");
    try expectScot(&ws, "ux", "0x1234.abcd", "0x1234.abcd");
    try expectScot(&ws, "ux", "0", "0x0");
    try expectScot(&ws, "ub", "5", "0b101");
    try expectScot(&ws, "ui", "5", "0i5");
    try expectScot(&ws, "sd", "9", "-5");
    try expectScot(&ws, "sd", "10", "--5");
    try expectScot(&ws, "sx", "9", "-0x5");
    try expectScot(&ws, "f", "0", ".y");
    try expectScot(&ws, "f", "2", "0x2");
    try expectScot(&ws, "n", "0", "~");
    try expectScot(&ws, "if", "0x102.0304", ".1.2.3.4");
    try expectScot(&ws, "is", "1", ".0.0.0.0.0.0.0.1");
    try expectScot(&ws, "foo", "5", "0x5");
    try expectScot(&ws, "da", "0", "~292277024401-.1.1");
    try expectScot(&ws, "t", "%a.b~c_D", "~~a~.b~~c~5f.~44.");
    try expectScot(&ws, "ta", "%hello", "~.hello");
    try expectScot(&ws, "tas", "%hello", "hello");
    try expectScot(&ws, "tas", "577024", "\xce\x08"); // the low NUL byte is dropped
}

test "slaw parses as the ivory pill does" {
    var ws = try Workspace.init(testing.allocator, 1 << 20);
    defer ws.deinit();
    try jt.expectJet(&ws, slaw, "[%p %~zod]", "[0 0]");
    try jt.expectJet(&ws, slaw, "[%p %~doznec-dozzod]", "[0 2890239458]");
    try jt.expectJet(&ws, slaw, "[%p %zod]", "0");
    try jt.expectJet(&ws, slaw, "[%ud %1.000]", "[0 1000]");
    try jt.expectJet(&ws, slaw, "[%ud %0123]", "0");
    try jt.expectJet(&ws, slaw, "[%ux %0x1F]", "[0 31]");
    try jt.expectJet(&ws, slaw, "[%ux %0xAbc]", "0");
    try jt.expectJet(&ws, slaw, "[%ux %0xab.cdef]", "[0 11259375]");
    try jt.expectJet(&ws, slaw, "[%uv %0v1f]", "[0 47]");
    try jt.expectJet(&ws, slaw, "[%ta %~.abc]", "[0 6513249]");
    try jt.expectJet(&ws, slaw, "[%tas %abc-1]", "[0 211214885473]");
    try jt.expectJetError(&ws, slaw, "[%uw %0w1f]", error.Punt);
}

test "scot and slaw round trips" {
    var ws = try Workspace.init(testing.allocator, 4 << 20);
    defer ws.deinit();
    var prng = std.Random.DefaultPrng.init(0x5c07);
    const random = prng.random();
    for (0..400) |i| {
        const value = try jt.randomAtom(&ws, random, 1 + random.uintLessThan(u32, 200));
        const aura: u64 = switch (i % 4) {
            0 => 'p',
            1 => 'd' << 8 | 'u',
            2 => 'x' << 8 | 'u',
            else => 'v' << 8 | 'u',
        };
        const text = try scot(&ws, try jt.gate(&ws, try ws.cell(Noun.direct(aura), value)));
        const parsed = try slaw(&ws, try jt.gate(&ws, try ws.cell(Noun.direct(aura), text)));
        try jt.expectNoun(&ws, try ws.cell(Noun.zero, value), parsed);
    }
}
