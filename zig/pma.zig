//! Persistent Memory Arena: long-lived nouns in an mmap'd slab file, addressed by offsets.
//!
//! This file is the PMA's public face; the parts live in zig/pma/:
//!   format.zig    the on-disk format and its checks (slots, publish record, checksums,
//!                 `SlabOffset`): the contract, with the file layout diagram
//!   mapping.zig   the reservation, the file mapped into it, growth, new slab files
//!   arena.zig     the `Pma` handle: API types, open (choosing the newest valid commit),
//!                 close, reading the committed state
//!   commit.zig    commit and copy-in, and the durable write sequences (tripwires at every
//!                 crash point)
//!   gc.zig        copy-compaction into the other slab file (mark, prefix, slide)
//!   replica.zig   read-only handles following the writer (`refresh`)
//!   sidecar.zig   the `pma.meta` sidecar
//!   integrity.zig data checksums, the writing side: page sums, extent records, the
//!                 coverage each commit records
//!   scrub.zig     data checksums, the reading side: full check, incremental scrub, faults
//!                 and the `pma.fault` record
//!   mug_check.zig mugs recomputed without caches (for verify)
//! Tests are beside them (`*_test.zig`, sharing `test_kit.zig`); pma_crash_driver.zig
//! aborts real processes at each tripwire.
//!
//! The PMA never points into the workspace: a commit copies every workspace noun it
//! reaches, and GC refuses a graph that does.

const format = @import("pma/format.zig");
const arena = @import("pma/arena.zig");
const sidecar = @import("pma/sidecar.zig");
const integrity = @import("pma/integrity.zig");
const scrub = @import("pma/scrub.zig");
const mug_check = @import("pma/mug_check.zig");

pub const Pma = arena.Pma;
pub const Error = arena.Error;
pub const Options = arena.Options;
pub const SidecarMode = arena.SidecarMode;
pub const Diagnostic = arena.Diagnostic;
pub const Mode = arena.Mode;
pub const Stats = arena.Stats;
pub const Rejection = arena.Rejection;
pub const OpenReport = arena.OpenReport;
pub const Refresh = arena.Refresh;
pub const GcResult = arena.GcResult;
pub const ScrubProgress = scrub.Progress;
pub const Fault = scrub.Fault;
pub const FaultKind = scrub.FaultKind;
pub const MugCheck = mug_check.MugCheck;
pub const fault_marker_name = scrub.marker_name;

pub const SlabOffset = format.SlabOffset;
pub const Slot = format.Slot;
pub const meta_page_bytes = format.meta_page_bytes;
pub const header_bytes = format.header_bytes;
pub const slab_names = format.slab_names;
pub const sidecar_name = format.sidecar_name;
pub const objectWords = format.objectWords;
pub const format_version = format.format_version;
pub const page_bytes = format.page_bytes;

/// Bytes of the extent record a GC writes after `live_bytes` of data (0 when the data is
/// too little for one, or data checksums are off).
pub fn gcRecordBytes(live_bytes: u64, data_checksums: bool) u64 {
    const end = SlabOffset.data_start.add(live_bytes / 8);
    return integrity.newSlabRecordWords(end, data_checksums) * 8;
}

pub const readSidecar = sidecar.readSidecar;
