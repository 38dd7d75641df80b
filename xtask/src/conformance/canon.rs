//! `canon.json`, `response_content.json`, `stream_accumulate.json`, and the Keccak KAT (og-canon).

use super::Report;
use anyhow::{Result, bail};

pub(crate) fn run_canon(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_response_content(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_stream_accumulate(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_keccak_kat(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
