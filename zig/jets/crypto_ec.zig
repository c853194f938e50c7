//! The elliptic-curve and MAC family of zuse's crypto arms (`++crypto`, under the `%hex`
//! layer of the ivory pill): secp256k1 ECDSA and BIP-340 Schnorr (`hex/secp`, crypto_secp.zig)
//! and the generic HMAC (`hex/hmac`, crypto_mac.zig, which also holds the Keccak hashes of
//! `hex/kecc`). The SHA and BLAKE hashes, ed25519, AES and the key derivations are
//! the crypto family (crypto.zig). Each implementation file documents its arms' sample axes
//! and what Hoon's definitions compute; this file only joins their tables.

const secp = @import("crypto_secp.zig");
const mac = @import("crypto_mac.zig");

pub const entries = secp.entries ++ mac.entries;

pub const layers = secp.layers ++ mac.layers;

test {
    _ = secp;
    _ = mac;
}
