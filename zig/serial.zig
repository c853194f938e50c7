//! Jam and cue, by their former home: re-exports of zig/jam.zig and zig/cue.zig for the
//! files that still import this one (machine.zig). New code imports those two directly.

const jam_mod = @import("jam.zig");
const cue_mod = @import("cue.zig");

pub const Error = jam_mod.Error;
pub const CueError = cue_mod.CueError;
pub const jam = jam_mod.jam;
pub const jamBytes = jam_mod.jamBytes;
pub const cue = cue_mod.cue;
pub const cueAtom = cue_mod.cueAtom;
