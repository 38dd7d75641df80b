//! The Python environment the oracles run in: a venv under `target/og-python` with the
//! reference SDK (`opengradient==1.1.4`, installed without its heavy dependencies) and the
//! few packages its `tee_*` modules import.
//!
//! Tests find the interpreter through the `OG_PYTHON` environment variable, which
//! `cargo xtask test` sets; run by hand, they fall back to `python3` and say how to
//! install what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The reference SDK's pinned version.
pub const REFERENCE_SDK: &str = "opengradient==1.1.4";

const REQUIREMENTS: &str = include_str!("../python-requirements.txt");

/// Creates (or reuses) the venv and returns its interpreter.
///
/// The venv is rebuilt when `python-requirements.txt` changes (a stamp file records it).
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/og-python");
    let python = venv.join("bin/python");
    let stamp = venv.join(".og-stamp");
    let want = format!("{REQUIREMENTS}\n{REFERENCE_SDK}\n");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(python);
    }
    eprintln!(
        "xtask: preparing the Python oracle environment in {}",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("python3 -m venv failed: install python3 (with the venv module)")?;
    let req = root.join("xtask/python-requirements.txt");
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&req))?;
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        REFERENCE_SDK,
    ]))?;
    std::fs::write(&stamp, want).context("writing the venv stamp")?;
    Ok(python)
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}
