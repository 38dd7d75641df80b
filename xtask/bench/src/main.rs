//! `og-bench`: the measurement worker behind `cargo xtask bench`.
//!
//! ```text
//! og-bench gen OUT_DIR VECTORS_DIR   write the benchmark inputs (see `inputs`)
//! og-bench serve INPUT_DIR           load them, check every operation once, print
//!                                    `ready {...}`, then answer commands on stdin:
//!   time OP ITERS SAMPLES   ->  ok [ns per iteration of each sample, ...]
//!   mem OP                  ->  ok PEAK_EXTRA_HEAP_BYTES
//!   quit
//! ```
//!
//! `cargo xtask bench` builds it twice (default backends, and `--features aws-lc`),
//! runs both beside the reference's worker (`reference_bench.py`, the same protocol)
//! and alternates rounds between them, so slow drift of a shared machine hits every
//! contender alike. Not a library; nothing depends on it.

mod inputs;
mod ops;

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

/// Counts heap bytes, for the memory rows (feature `count-alloc`).
#[cfg(feature = "count-alloc")]
#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen", out, vectors] => inputs::generate(Path::new(out), Path::new(vectors)),
        ["serve", dir] => serve(Path::new(dir)),
        _ => Err(anyhow::anyhow!(
            "usage: og-bench gen OUT_DIR VECTORS_DIR | og-bench serve INPUT_DIR"
        )),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("og-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(dir: &Path) -> Result<()> {
    let bench = ops::Bench::load(dir)?;
    bench.check()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "ready {{\"aead_backend\": \"{}\", \"rsa_backend\": \"{}\", \"count_alloc\": {}}}",
        og_ohttp_core::AEAD_BACKEND,
        og_verify::RSA_BACKEND,
        cfg!(feature = "count-alloc")
    )?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words[..] {
            ["quit"] => break,
            ["time", op, iters, samples] => time(&bench, op, iters.parse()?, samples.parse()?),
            ["mem", op] => mem(&bench, op),
            _ => Err(anyhow::anyhow!("unknown command {line:?}")),
        };
        match reply {
            Ok(text) => writeln!(out, "ok {text}")?,
            Err(e) => writeln!(out, "err {e:#}")?,
        }
        out.flush()?;
    }
    Ok(())
}

/// This thread's CPU time in ns (user + system; CLOCK_THREAD_CPUTIME_ID): time slices
/// taken by other processes on a shared machine do not count. The reference's worker
/// uses the same clock (`time.thread_time_ns`).
fn thread_cpu_ns() -> i128 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

/// `samples` batches of `iters` calls; the mean CPU ns per call of each batch.
fn time(bench: &ops::Bench, name: &str, iters: u64, samples: u64) -> Result<String> {
    let op = ops::resolve(name).with_context(|| format!("unknown op {name}"))?;
    if iters == 0 {
        bail!("iters must be positive");
    }
    let mut out = Vec::new();
    for _ in 0..samples {
        let start = thread_cpu_ns();
        for _ in 0..iters {
            std::hint::black_box(op(std::hint::black_box(bench))?);
        }
        out.push(format!(
            "{:.1}",
            (thread_cpu_ns() - start) as f64 / iters as f64
        ));
    }
    Ok(format!("[{}]", out.join(", ")))
}

/// The peak heap above what was allocated before one call.
#[cfg(feature = "count-alloc")]
fn mem(bench: &ops::Bench, name: &str) -> Result<String> {
    let op = ops::resolve(name).with_context(|| format!("unknown op {name}"))?;
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    std::hint::black_box(op(bench)?);
    Ok(ALLOC.peak_usage().saturating_sub(before).to_string())
}

#[cfg(not(feature = "count-alloc"))]
fn mem(_: &ops::Bench, _: &str) -> Result<String> {
    bail!("built without the count-alloc feature")
}
