//! Every compile-time limit and default of the core, in one place.

/// Version of the C ABI exported by ffi.zig. The host refuses a library whose version differs.
pub const abi_version: u32 = 6;

/// Default cap on live workspace data. Each of the two semispaces reserves this much
/// address space (MAP_NORESERVE); only touched pages cost memory. Windows commits both
/// semispaces up front (os_memory.zig), against the system's commit limit, so its default
/// is smaller; `cellar_configure` raises it.
pub const workspace_limit_bytes_default: u64 = if (@import("builtin").os.tag == .windows) 1 << 30 else 8 << 30;
/// Smallest workspace cap accepted by configuration.
pub const workspace_limit_bytes_min: u64 = 1 << 20;
/// Largest workspace cap accepted by configuration (the noun payload can address far more).
pub const workspace_limit_bytes_max: u64 = 64 << 30;
/// The collector runs at the next safe point once the nursery holds this much since the last
/// collection, or twice the live size after it, whichever is larger.
pub const nursery_bytes_min: u64 = 32 << 20;

/// Most entries on the interpreter's explicit work stack (bounds non-tail recursion depth).
pub const interpreter_stack_entries_max: u32 = 1 << 26;
/// Steps between checks of the wall-clock deadline and the interrupt flag.
pub const interpreter_check_interval_steps: u32 = 1 << 14;

/// Most live handles in the FFI handle table.
pub const handles_max: u32 = 1 << 26;

/// Explicit-stack walks over nouns (mug, equality, jam, cue, copy) fail cleanly past this depth.
pub const walk_stack_entries_max: u32 = 1 << 28;

/// Most machines (one per host thread) registered at once for cross-thread interrupts.
pub const machines_max: u32 = 256;
/// Longest error message kept for the host; longer messages are truncated.
pub const error_message_bytes_max: u32 = 1024;

// ---------------------------------------------------------------- PMA (zig/pma/)

/// Address space reserved for one mapped slab (PROT_NONE, MAP_NORESERVE): growth maps the
/// file's new range inside it, so nouns never move. 1 TiB, as the Rust runtime reserves.
pub const pma_reserve_bytes_default: u64 = 1 << 40;
/// Smallest reservation accepted by configuration.
pub const pma_reserve_bytes_min: u64 = 16 << 20;
/// Size of a new slab file (meta pages included).
pub const pma_initial_bytes_default: u64 = 1 << 20;
/// Growth doubles the file until a step would exceed this, then grows by this much.
pub const pma_growth_step_bytes_max: u64 = 1 << 30;
/// File sizes are multiples of this (covers 4 KiB and 16 KiB pages alike).
pub const pma_file_granule_bytes: u64 = 64 << 10;
/// A commit that appends more than this is followed by a second, empty "seal" slot write,
/// so that opening never has to re-hash a large append (open stays O(1) in the slab size).
pub const pma_seal_appended_bytes: u64 = 8 << 20;
/// The open extent (data no record covers yet, whose checksum every commit recomputes into
/// its slot) is closed with an extent record once it reaches this size: larger means fewer
/// records (each costs 40 bytes plus 8 per page), smaller means less to re-hash per commit.
pub const pma_record_extent_bytes: u64 = 16 << 10;
/// A GC'd slab file gets live/this of headroom beyond its used bytes.
pub const pma_gc_headroom_divisor: u64 = 16;
/// Longest error message kept by a PMA (bytes).
pub const pma_message_bytes_max: u32 = 512;

/// Jam's tables start with this many entries and grow at 70% load.
pub const jam_table_entries_min: u32 = 256;
/// Dedup tables at least this large are mapped with a huge-page hint (random probes).
pub const jam_table_huge_page_bytes_min: u64 = 4 << 20;
/// Default iteration count and seed of the cue fuzz test (env CELLAR_FUZZ_ITERATIONS,
/// CELLAR_FUZZ_SEED override them).
pub const cue_fuzz_iterations_default: u64 = 100_000;
pub const cue_fuzz_seed_default: u64 = 0xc0e_f022_5eed;

/// Structural equality switches on its visited-pair table after this many steps.
pub const equality_memo_after_steps: u64 = 256;
/// Jam gives indirect atoms of at most this many limbs their id by hashing their value at
/// every visit; larger ones are first looked up by reference, so each is hashed once.
pub const jam_atom_by_value_limbs_max: u32 = 4;
/// Jam's tables quadruple when they grow below this many entries, and double from there.
pub const jam_table_quadruple_entries_max: u32 = 1 << 20;

// ---------------------------------------------------------------- jets (dashboard.zig, memo.zig)

/// Most %fast registrations one machine keeps; later ones are ignored (counted as dropped).
pub const dashboard_registrations_max: u32 = 1 << 16;
/// The dashboard's caches keyed by noun word (battery -> registration, verified cores): the
/// most entries each of their tables (workspace nouns, PMA nouns) holds before it clears.
pub const dashboard_cache_entries_max: u32 = 1 << 16;
/// Deepest registration chain (core, parent, grandparent, ...) the dashboard follows.
pub const dashboard_chain_depth_max: u32 = 64;
/// %memo cache (memo.zig): the default budget of workspace bytes reachable from its entries
/// (measured at each collection), and the bounds of its entry table, whose size is the
/// budget over `memo_entry_bytes_min`.
pub const memo_budget_bytes_default: u64 = 256 << 20;
pub const memo_entry_bytes_min: u64 = 128;
pub const memo_entries_min: u32 = 1 << 10;
pub const memo_entries_max: u32 = 1 << 22;
/// Jet-check mode: the default step budget of one check's reference run; a run past it is
/// stopped and the check counted as skipped (the reference Nock of some arms, such as `mul`,
/// is unary and would never finish).
pub const jet_check_steps_default: u64 = 1_000_000;
/// Jets that run Nock nested on the interpreter (slams, virtualization, memoized arms, jet
/// checks) recurse on the native stack (about 1 KiB per level); past this many nested
/// `nock` calls they fall back to the arm's Nock, which runs in the interpreter's loop
/// without native recursion. 1000 levels fit a 2 MiB thread stack.
pub const dashboard_nesting_max: u32 = 1000;
