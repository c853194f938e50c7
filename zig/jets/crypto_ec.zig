//! The elliptic-curve family of zuse's crypto arms (`++crypto`, under the `%hex` layer of the
//! ivory pill): secp256k1 ECDSA and BIP-340 Schnorr (`hex/secp`, crypto_secp.zig). The SHA
//! and BLAKE hashes, ed25519, AES and the key derivations are the crypto family
//! (crypto.zig). Each implementation file documents its arms' sample axes and what Hoon's
//! definitions compute; this file only joins their tables.

const secp = @import("crypto_secp.zig");

pub const entries = secp.entries;

pub const layers = secp.layers;

test {
    _ = secp;
}
