//! The conformance runner: every vector file under a directory, through the real crates.
//!
//! A file is recognised by its name; each family of files has a module here that
//! parses its schema and runs every case through the project's crates. A file the
//! runner does not recognise counts as a failure (so a new vector file cannot be
//! silently skipped).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

mod canon;
mod end_to_end;
mod external_ohttp;
mod ohttp;
pub(crate) mod util;
mod verify;

/// What one file's cases came to.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    /// One line per failed case: `case name: what went wrong`.
    pub(crate) failures: Vec<String>,
}

impl Report {
    /// Records one case's outcome.
    pub(crate) fn case(&mut self, name: &str, outcome: Result<()>) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(e) => {
                self.failed += 1;
                self.failures.push(format!("{name}: {e:#}"));
            }
        }
    }

    /// A failure that is not tied to one case (the file did not parse, ...).
    pub(crate) fn file_error(e: anyhow::Error) -> Self {
        Report {
            passed: 0,
            failed: 1,
            failures: vec![format!("<file>: {e:#}")],
        }
    }
}

/// Runs one vector file's text; `None` when the file name is not one we know.
type FileRunner = fn(&str) -> Result<Report>;

fn runner_for(file_name: &str) -> Option<FileRunner> {
    Some(match file_name {
        "ohttp_request.json" => ohttp::run_request,
        "ohttp_response.json" => ohttp::run_response,
        "ohttp_chunked.json" => ohttp::run_chunked,
        "hpke_rfc9180_x25519_sha256.json" => external_ohttp::run_hpke,
        "ohttp_rfc9458_appendix_a.json" => external_ohttp::run_rfc9458,
        "ohttp_chunked_draft.json" => external_ohttp::run_chunked_draft,
        "wycheproof_chacha20_poly1305_test.json" => external_ohttp::run_wycheproof_chacha20,
        "wycheproof_x25519_test.json" => external_ohttp::run_wycheproof_x25519,
        "canon.json" => canon::run_canon,
        "response_content.json" => canon::run_response_content,
        "stream_accumulate.json" => canon::run_stream_accumulate,
        "keccak256_kat.json" => canon::run_keccak_kat,
        "verify.json" => verify::run_verify,
        "end_to_end.json" => end_to_end::run_end_to_end,
        n if n.starts_with("wycheproof_rsa_pss_") => verify::run_wycheproof_rsa_pss,
        _ => return None,
    })
}

/// The whole run's totals and printable lines.
#[derive(Debug, Default)]
pub struct Total {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (an unknown or unreadable file counts as one).
    pub failed: usize,
    /// Files whose name no runner knows.
    pub unknown_files: usize,
    /// One line per file (`<file>: N passed, M failed`) and one per failed case.
    pub lines: Vec<String>,
}

/// Runs every `*.json` file under `dir` (recursively), in a stable order.
pub fn run_dir(dir: &Path) -> Result<Total> {
    let mut files = Vec::new();
    collect_json(dir, &mut files).with_context(|| format!("reading {}", dir.display()))?;
    if files.is_empty() {
        anyhow::bail!("no vector files (*.json) under {}", dir.display());
    }
    files.sort();
    let mut total = Total::default();
    for path in files {
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(run) = runner_for(name) else {
            total.unknown_files += 1;
            total.failed += 1;
            total.lines.push(format!(
                "{shown}: unknown vector schema (no runner for this file name)"
            ));
            continue;
        };
        let report = match std::fs::read_to_string(&path) {
            Ok(text) => run(&text).unwrap_or_else(Report::file_error),
            Err(e) => Report::file_error(anyhow::Error::new(e).context("cannot read the file")),
        };
        total.passed += report.passed;
        total.failed += report.failed;
        total.lines.push(format!(
            "{shown}: {} passed, {} failed",
            report.passed, report.failed
        ));
        for f in report.failures {
            total.lines.push(format!("  FAILED {f}"));
        }
    }
    Ok(total)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
