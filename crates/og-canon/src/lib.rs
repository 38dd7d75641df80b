//! og-canon: Python-exact canonical JSON for OpenGradient TEE requests and responses.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod hash;
mod value;

pub use hash::{Hash32, Keccak256Hasher, keccak256};
pub use value::{Map, Number, Value};

/// Placeholder until the writer lands: anything canonical bytes can be written into.
pub trait Sink {
    /// Appends `bytes`.
    fn write_bytes(&mut self, bytes: &[u8]);
}
