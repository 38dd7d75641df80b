//! Project tasks behind `cargo xtask`: the conformance runner over the vector files,
//! the test driver, and vector-integrity checks. Not published.

pub mod bench;
pub mod conformance;
pub mod demo;
pub mod evm;
pub mod fuzz;
pub mod load;
pub mod pyenv;

use std::path::PathBuf;

/// The workspace root (the parent of this crate's manifest directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}
