//! Keccak-256 (Ethereum's Keccak, padding 0x01; not SHA3-256).

use sha3::{Digest, Keccak256};

/// A 32-byte Keccak-256 digest.
pub type Hash32 = [u8; 32];

/// Keccak-256 of `data`.
///
/// ```
/// let h = og_canon::keccak256(b"");
/// assert_eq!(h[..4], [0xc5, 0xd2, 0x46, 0x01]);
/// ```
pub fn keccak256(data: &[u8]) -> Hash32 {
    Keccak256::digest(data).into()
}

/// An incremental Keccak-256 hasher, usable as a [`crate::Sink`] so canonical JSON
/// streams straight into it.
///
/// ```
/// let mut h = og_canon::Keccak256Hasher::new();
/// h.update(b"a");
/// h.update(b"bc");
/// assert_eq!(h.finalize(), og_canon::keccak256(b"abc"));
/// ```
#[derive(Clone, Default)]
pub struct Keccak256Hasher(Keccak256);

impl Keccak256Hasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest of everything absorbed.
    pub fn finalize(self) -> Hash32 {
        self.0.finalize().into()
    }
}

impl core::fmt::Debug for Keccak256Hasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Keccak256Hasher")
    }
}
