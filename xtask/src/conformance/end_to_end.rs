//! `end_to_end.json`: whole exchanges through og-relay (client side) and og-sim's recipient.

use super::Report;
use anyhow::{Result, bail};

pub(crate) fn run_end_to_end(_text: &str) -> Result<Report> {
    bail!("not implemented yet")
}
