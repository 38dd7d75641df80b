//! `cargo xtask ...`: project tasks (conformance runs over the vectors, benchmarks).

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::{conformance, workspace_root};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test                          the whole test suite: prepares the Python oracles (a venv in
                                target/og-python) and anvil + solc (npm, target/evm-tools), then
                                `cargo nextest run --workspace` and the doc tests
  contracts [--check]           recompile the mock TEERegistry (crates/og-sim/contracts) with solc-js;
                                --check fails when the committed artifact differs
  conformance [--vectors DIR]   run every vector file under DIR (default testdata/vectors)
  bench [--quick]               our crates against the reference SDK in one run: medians, ratios and
                                targets (issue #8); writes <target>/bench/bench.{json,md}. --quick
                                finishes in under two minutes after the build
  demo                          a verified chat through a simulated relay and enclave on 127.0.0.1
  fuzz [--seconds N] [TARGET...] build and run the fuzz targets in fuzz/ (needs cargo-fuzz);
                                `fuzz seeds` regenerates fuzz/seeds from the vectors
  load [--clients N] [--seconds S] [--json PATH] [--debug]
                                og serve under N concurrent clients (default 200, 10 s): every
                                answer verified and matched, p50/p99 added latency, RSS
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => match test(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask test: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("conformance") => {
            let mut dir = workspace_root().join("testdata/vectors");
            let mut rest = args[1..].iter();
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--vectors" => match rest.next() {
                        Some(d) => dir = PathBuf::from(d),
                        None => return usage_error("--vectors needs a directory"),
                    },
                    other => return usage_error(&format!("unknown argument {other:?}")),
                }
            }
            match conformance::run_dir(&dir) {
                Ok(total) => {
                    println!(
                        "backends: response AEAD {}, RSA verify {}",
                        og_ohttp_core::AEAD_BACKEND,
                        og_verify::RSA_BACKEND
                    );
                    for line in &total.lines {
                        println!("{line}");
                    }
                    println!("{} passed, {} failed", total.passed, total.failed);
                    if total.failed == 0 && total.unknown_files == 0 {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("conformance: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("bench") => match xtask::bench::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask bench: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("demo") => match xtask::demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask demo: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("contracts") => {
            let check = match &args[1..] {
                [] => false,
                [flag] if flag == "--check" => true,
                other => return usage_error(&format!("unknown arguments {other:?}")),
            };
            match xtask::evm::contracts(&workspace_root(), check) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask contracts: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("fuzz") => match xtask::fuzz::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask fuzz: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("load") => match xtask::load::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask load: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some(other) => usage_error(&format!("unknown command {other:?}")),
        None => usage_error("no command given"),
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("xtask: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

/// `cargo xtask test [extra nextest args]`: the test command of the README and of CI.
fn test(extra: &[String]) -> anyhow::Result<()> {
    use anyhow::{Context, bail};
    let root = workspace_root();
    let python = xtask::pyenv::ensure(&root)?;
    let evm = xtask::evm::ensure(&root)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let status = std::process::Command::new(&cargo)
            .args(args)
            .args(if args[0] == "nextest" { extra } else { &[] })
            .current_dir(&root)
            .env("OG_PYTHON", &python)
            .env("OG_ANVIL", &evm.anvil)
            .status()
            .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
        if !status.success() {
            bail!("cargo {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    run(&[
        "nextest",
        "run",
        "--workspace",
        "--all-features",
        "--no-fail-fast",
    ])?;
    run(&["test", "--workspace", "--all-features", "--doc"])?;
    Ok(())
}
