//! `og tees`: listing the registry's TEEs is not possible yet.
//!
//! The on-chain TEE registry client is not built yet, so there is nothing to list:
//! the command says so and exits 2. Use a TEE record file (`--tee FILE`).

use crate::Failure;

/// The message `og tees` fails with.
pub const NOT_YET: &str = "registry support is not built yet: og cannot list the TEEs of the on-chain \
registry. Use --tee FILE with a TEE record (JSON: tee_id, endpoint, signing_public_key, ohttp, \
pcr_hash); `og dev` writes an example.";

/// Runs `og tees`: always a usage failure (exit 2) with [`NOT_YET`].
///
/// # Errors
/// Always.
pub fn run() -> Result<(), Failure> {
    Err(Failure::usage(NOT_YET))
}
