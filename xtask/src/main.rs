//! `cargo xtask ...`: project tasks (conformance runs over the vectors, benchmarks).

use std::path::PathBuf;
use std::process::ExitCode;

mod conformance;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  conformance [--vectors DIR]   run every vector file under DIR (default testdata/vectors)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
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
        _ => usage_error("no command given"),
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("xtask: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

/// The workspace root (the parent of this crate's manifest directory).
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}
