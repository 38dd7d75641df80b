//! External vectors for og-ohttp-core: RFC 9180 HPKE, RFC 9458 Appendix A, the chunked
//! OHTTP draft's example, Wycheproof ChaCha20-Poly1305 and X25519.

use super::Report;
use anyhow::{Result, bail};

pub(crate) fn run_hpke(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_rfc9458(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_chunked_draft(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_wycheproof_chacha20(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_wycheproof_x25519(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
