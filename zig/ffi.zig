export fn cellar_abi_version() u32 {
    return @import("constants.zig").abi_version;
}
