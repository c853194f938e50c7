//! Every compile-time limit and default of the core, in one place.

/// Version of the C ABI exported by ffi.zig. The host refuses a library whose version differs.
pub const abi_version: u32 = 1;

/// Default cap on live workspace data. Each of the two semispaces reserves this much
/// address space (MAP_NORESERVE); only touched pages cost memory.
pub const workspace_limit_bytes_default: u64 = 8 << 30;
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
