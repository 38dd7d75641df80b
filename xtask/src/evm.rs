//! The EVM tools the registry tests use, from npm into `target/evm-tools`: `anvil`
//! (the platform package directly: the `@foundry-rs/anvil` wrapper's install script
//! would download) and the solc-js compiler for the mock registry contract.
//!
//! `cargo xtask test` sets `OG_ANVIL` for the tests; `cargo xtask contracts [--check]`
//! recompiles `crates/og-sim/contracts/TEERegistry.sol` and writes (or, with
//! `--check`, compares) the committed artifact.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The npm packages, pinned.
pub const PACKAGES: &[&str] = &["solc@0.8.37", "@foundry-rs/anvil-linux-amd64@1.7.1"];

/// Where the tools live.
pub struct EvmTools {
    /// The anvil binary.
    pub anvil: PathBuf,
    /// The `node_modules` directory (for `NODE_PATH`).
    pub node_modules: PathBuf,
}

/// Installs the packages (once; a stamp file records the list) and returns the paths.
///
/// # Errors
/// When npm is missing or the install fails.
pub fn ensure(root: &Path) -> Result<EvmTools> {
    let dir = root.join("target/evm-tools");
    let node_modules = dir.join("node_modules");
    let anvil = node_modules.join("@foundry-rs/anvil-linux-amd64/bin/anvil");
    let stamp = dir.join(".og-stamp");
    let want = PACKAGES.join("\n");
    if anvil.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(EvmTools {
            anvil,
            node_modules,
        });
    }
    eprintln!(
        "xtask: installing {} into {}",
        PACKAGES.join(", "),
        dir.display()
    );
    std::fs::create_dir_all(&dir)?;
    let status = Command::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&dir)
        .args(PACKAGES)
        .status()
        .context("cannot run npm: install Node.js 18+ with npm")?;
    if !status.success() {
        bail!("npm install {} failed ({status})", PACKAGES.join(" "));
    }
    if !anvil.is_file() {
        bail!("npm installed no anvil binary at {}", anvil.display());
    }
    std::fs::write(&stamp, want)?;
    Ok(EvmTools {
        anvil,
        node_modules,
    })
}

/// `cargo xtask contracts [--check]`.
///
/// # Errors
/// When node fails or, with `check`, the artifact is stale.
pub fn contracts(root: &Path, check: bool) -> Result<()> {
    let tools = ensure(root)?;
    let script = root.join("crates/og-sim/contracts/compile.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(&script).env("NODE_PATH", &tools.node_modules);
    if check {
        cmd.arg("--check");
    }
    let status = cmd.status().context("cannot run node")?;
    if !status.success() {
        bail!("{} failed ({status})", script.display());
    }
    Ok(())
}
