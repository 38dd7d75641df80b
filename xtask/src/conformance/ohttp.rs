//! `ohttp_request.json`, `ohttp_response.json`, `ohttp_chunked.json` (og-ohttp-core).

use super::Report;
use anyhow::{Result, bail};

pub(crate) fn run_request(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_response(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
pub(crate) fn run_chunked(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
