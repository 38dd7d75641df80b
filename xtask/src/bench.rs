//! `cargo xtask bench [--quick]`: our crates against the reference SDK, in one run, on
//! one machine, with ratios.
//!
//! 1. Builds the measurement worker `og-bench` (`xtask/bench`) twice in release: with
//!    the fast backends (`--features aws-lc`, as the `og` binary ships) and with the
//!    pure-Rust defaults (plus the heap counter for the memory rows).
//! 2. Prepares the reference's venv (`pyenv::ensure`) and writes one set of inputs
//!    (`og-bench gen`) that every worker reads.
//! 3. Starts three workers (fast, default, `reference_bench.py`), which check each
//!    operation's result once, then times each group of contenders in alternating
//!    rounds (the order rotates every round) so that drift of a shared machine hits
//!    all of them alike, and takes medians.
//! 4. Prints one table (operation | ours | reference or limit | ratio | target |
//!    result) and writes `bench.json` and `bench.md` under `<target dir>/bench/`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;

/// Sampling plan: rounds of `samples` batches, each batch about `batch_ns` long.
#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    samples: usize,
    batch_ns: f64,
}

const QUICK: Plan = Plan {
    rounds: 15,
    samples: 2,
    batch_ns: 2e6,
};
const FULL: Plan = Plan {
    rounds: 25,
    samples: 3,
    batch_ns: 8e6,
};

/// A call longer than this takes at most two samples per round (the reference's
/// 64 MiB stream takes a third of a second).
const SLOW_CALL_NS: f64 = 50e6;

/// The three workers.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum W {
    /// og-bench built with `--features aws-lc`.
    Fast,
    /// og-bench with the default backends (and the heap counter).
    Default,
    /// reference_bench.py.
    Ref,
}

impl W {
    fn name(self) -> &'static str {
        match self {
            W::Fast => "fast",
            W::Default => "default",
            W::Ref => "reference",
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    info: String,
}

impl Worker {
    fn start(mut cmd: Command, what: &str) -> Result<Worker> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start the {what} worker: {cmd:?}"))?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut w = Worker {
            child,
            stdin,
            stdout,
            info: String::new(),
        };
        let line = w.read_line()?;
        match line.strip_prefix("ready ") {
            Some(info) => w.info = info.to_owned(),
            None => bail!("the {what} worker did not start: {line:?}"),
        }
        Ok(w)
    }

    fn read_line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("the worker exited (its error is above)");
        }
        Ok(line.trim_end().to_owned())
    }

    fn ask(&mut self, command: &str) -> Result<String> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        let line = self.read_line()?;
        match line.strip_prefix("ok ") {
            Some(rest) => Ok(rest.to_owned()),
            None => bail!("{command:?}: {line}"),
        }
    }

    fn time(&mut self, op: &str, iters: u64, samples: usize) -> Result<Vec<f64>> {
        let reply = self.ask(&format!("time {op} {iters} {samples}"))?;
        serde_json::from_str(&reply).with_context(|| format!("reply to time {op}: {reply}"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

/// One timed contender's result.
#[derive(Clone, Debug)]
struct Stat {
    median: f64,
    samples: Vec<f64>,
    iters: u64,
    /// The median of each round's samples (rounds are shared by a group's contenders).
    rounds: Vec<f64>,
}

/// A contender's overall median and its per-round medians; sums and scalings keep
/// the rounds aligned, so ratios can be taken round by round.
#[derive(Clone, Debug)]
struct S {
    all: f64,
    rounds: Vec<f64>,
}

impl S {
    fn plus(&self, o: &S) -> S {
        S {
            all: self.all + o.all,
            rounds: self
                .rounds
                .iter()
                .zip(&o.rounds)
                .map(|(a, b)| a + b)
                .collect(),
        }
    }

    fn scale(&self, k: f64) -> S {
        S {
            all: self.all * k,
            rounds: self.rounds.iter().map(|a| a * k).collect(),
        }
    }
}

/// `num / den`, paired round by round, then the median over rounds: both sides of
/// each ratio were measured within the same round, so slow drift and bursts of load
/// from other processes cancel instead of landing on one side.
fn ratio(num: &S, den: &S) -> f64 {
    let r: Vec<f64> = num
        .rounds
        .iter()
        .zip(&den.rounds)
        .map(|(n, d)| n / d)
        .collect();
    if r.is_empty() {
        num.all / den.all
    } else {
        median(&r)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

struct Bench {
    workers: BTreeMap<W, Worker>,
    plan: Plan,
    stats: BTreeMap<String, Stat>,
    mem: BTreeMap<String, f64>,
}

fn key(w: W, op: &str) -> String {
    format!("{}:{op}", w.name())
}

impl Bench {
    fn worker(&mut self, w: W) -> Result<&mut Worker> {
        self.workers.get_mut(&w).context("no such worker")
    }

    /// Times every group: calibrates each contender, then runs `rounds` rounds; in each
    /// round every group in turn times each of its contenders (`samples` batches, the
    /// starting contender rotating). A group's rounds are thus spread over the whole
    /// run, so a burst of load lands on a few rounds of many rows rather than on all
    /// rounds of one row, and the per-round ratios set it aside.
    fn run(&mut self, groups: &[(&str, &[(W, &str)])]) -> Result<()> {
        let plan = self.plan;
        let mut iters: Vec<Vec<u64>> = Vec::new();
        let mut per_round: Vec<Vec<usize>> = Vec::new();
        for (_, contenders) in groups {
            let (mut it, mut pr) = (Vec::new(), Vec::new());
            for &(w, op) in contenders.iter() {
                let worker = self.worker(w)?;
                // Warm-up, then a first estimate, then a second with the batch size.
                worker.time(op, 1, 1)?;
                let one = worker.time(op, 1, 1)?.first().copied().unwrap_or(1.0);
                let n = (plan.batch_ns / one.max(1.0)).ceil().max(1.0) as u64;
                let per_call = worker.time(op, n, 1)?.first().copied().unwrap_or(one);
                it.push(((plan.batch_ns / per_call.max(1.0)).ceil().max(1.0)) as u64);
                pr.push(if per_call > SLOW_CALL_NS {
                    plan.samples.min(2)
                } else {
                    plan.samples
                });
            }
            iters.push(it);
            per_round.push(pr);
        }
        let mut samples: Vec<Vec<Vec<f64>>> = groups
            .iter()
            .map(|(_, c)| vec![Vec::new(); c.len()])
            .collect();
        let mut rounds = samples.clone();
        for round in 0..plan.rounds {
            let started = Instant::now();
            for (g, (_, contenders)) in groups.iter().enumerate() {
                for i in 0..contenders.len() {
                    let j = (i + round) % contenders.len();
                    let (w, op) = contenders[j];
                    let s = self.worker(w)?.time(op, iters[g][j], per_round[g][j])?;
                    rounds[g][j].push(median(&s));
                    samples[g][j].extend(s);
                }
            }
            eprintln!(
                "xtask bench: round {}/{} in {:.1} s",
                round + 1,
                plan.rounds,
                started.elapsed().as_secs_f64()
            );
        }
        for (g, (group, contenders)) in groups.iter().enumerate() {
            for (j, &(w, op)) in contenders.iter().enumerate() {
                self.stats.insert(
                    format!("{group}/{}", key(w, op)),
                    Stat {
                        median: median(&samples[g][j]),
                        samples: samples[g][j].clone(),
                        iters: iters[g][j],
                        rounds: rounds[g][j].clone(),
                    },
                );
            }
        }
        Ok(())
    }

    fn get(&self, group: &str, w: W, op: &str) -> S {
        self.stats.get(&format!("{group}/{}", key(w, op))).map_or(
            S {
                all: f64::NAN,
                rounds: Vec::new(),
            },
            |s| S {
                all: s.median,
                rounds: s.rounds.clone(),
            },
        )
    }

    fn measure_mem(&mut self, w: W, op: &str) -> Result<()> {
        let reply = self.worker(w)?.ask(&format!("mem {op}"))?;
        self.mem.insert(key(w, op), reply.trim().parse()?);
        Ok(())
    }
}

/// How the ratio column is computed (printed under the table).
const RATIO_NOTE: &str = "Times are CPU time of the worker's thread (CLOCK_THREAD_CPUTIME_ID, \
user + system), so time slices taken by other processes do not count. Medians of all \
samples; each ratio is the median over rounds of the ratio \
within a round (every contender of a row is timed back to back in each round, in rotating \
order), so drift and bursts of load from other processes cancel; rounds cycle through all rows, so each row's rounds are spread over the whole run. [aws-lc] rows: the `og` \
binary's backends; default rows: the libraries' pure-Rust defaults.";

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// Formats nanoseconds.
fn t(ns: f64) -> String {
    if !ns.is_finite() {
        "n/a".into()
    } else if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Formats bytes.
fn b(n: f64) -> String {
    if n < 1024.0 {
        format!("{n:.0} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{:.1} MiB", n / 1024.0 / 1024.0)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Info,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Info => "info",
        }
    }
}

/// One table row.
struct Row {
    op: String,
    ours: String,
    other: String,
    ratio: String,
    target: String,
    verdict: Verdict,
    /// The numbers behind the row, for the JSON.
    value: f64,
}

impl Row {
    /// "at least `x` times faster than the reference": ratio = other / ours.
    fn faster(op: &str, ours: &S, other: &S, other_label: &str, min: f64, info: bool) -> Row {
        let r = ratio(other, ours);
        Row {
            op: op.into(),
            ours: t(ours.all),
            other: format!("{} ({other_label})", t(other.all)),
            ratio: format!("{r:.2}x faster"),
            target: format!(">= {min}x faster"),
            verdict: verdict(r >= min, info),
            value: r,
        }
    }

    /// "within `x` of the limit": ratio = ours / limit.
    fn within(op: &str, ours: &S, limit: &S, limit_label: &str, max: f64, info: bool) -> Row {
        let r = ratio(ours, limit);
        Row {
            op: op.into(),
            ours: t(ours.all),
            other: format!("{} ({limit_label})", t(limit.all)),
            ratio: format!("{r:.2}x the limit"),
            target: format!("<= {max}x the limit"),
            verdict: verdict(r <= max, info),
            value: r,
        }
    }

    /// "at least `x` of the raw throughput": ratio = limit / ours.
    fn fraction(op: &str, ours: &S, limit: &S, limit_label: &str, min: f64, info: bool) -> Row {
        let r = ratio(limit, ours);
        Row {
            op: op.into(),
            ours: t(ours.all),
            other: format!("{} ({limit_label})", t(limit.all)),
            ratio: format!("{r:.2} of raw throughput"),
            target: format!(">= {min} of raw throughput"),
            verdict: verdict(r >= min, info),
            value: r,
        }
    }
}

fn verdict(ok: bool, info: bool) -> Verdict {
    match (info, ok) {
        (true, _) => Verdict::Info,
        (false, true) => Verdict::Pass,
        (false, false) => Verdict::Fail,
    }
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else `<root>/target`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// Builds og-bench in release with `features` and copies the binary to `dest`.
fn build(root: &Path, features: &str, dest: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args([
        "build",
        "--release",
        "-p",
        "og-bench",
        "--message-format=json-render-diagnostics",
        "--features",
        features,
    ]);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed ({})", out.status);
    }
    let mut exe = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact"
            && v["target"]["name"] == "og-bench"
            && let Some(e) = v["executable"].as_str()
        {
            exe = Some(PathBuf::from(e));
        }
    }
    let exe = exe.context("cargo did not report the og-bench executable")?;
    std::fs::copy(&exe, dest)
        .with_context(|| format!("copying {} to {}", exe.display(), dest.display()))?;
    Ok(())
}

/// `cargo xtask bench [--quick]`.
pub fn main(args: &[String]) -> Result<()> {
    let mut quick = false;
    for a in args {
        match a.as_str() {
            "--quick" => quick = true,
            other => bail!("unknown argument {other:?} (expected --quick)"),
        }
    }
    let plan = if quick { QUICK } else { FULL };
    let root = crate::workspace_root();
    let out = target_dir(&root).join("bench");
    let bin = out.join("bin");
    let inputs = out.join("inputs");
    std::fs::create_dir_all(&bin)?;

    let build_start = Instant::now();
    let python = crate::pyenv::ensure(&root)?;
    let fast_exe = bin.join("og-bench-fast");
    let default_exe = bin.join("og-bench-default");
    eprintln!("xtask bench: building og-bench (release) with the fast and the default backends");
    build(&root, "aws-lc", &fast_exe)?;
    build(&root, "count-alloc", &default_exe)?;
    let status = Command::new(&fast_exe)
        .arg("gen")
        .arg(&inputs)
        .arg(root.join("testdata/vectors"))
        .status()
        .context("og-bench gen")?;
    if !status.success() {
        bail!("og-bench gen failed ({status})");
    }
    eprintln!(
        "xtask bench: built and generated inputs in {:.0} s; measuring ({} run)",
        build_start.elapsed().as_secs_f64(),
        if quick { "quick" } else { "full" }
    );

    let load_start = loadavg();
    let start = Instant::now();
    let serve = |exe: &Path| {
        let mut c = Command::new(exe);
        c.arg("serve").arg(&inputs);
        c
    };
    let mut py = Command::new(&python);
    py.arg(root.join("xtask/bench/reference_bench.py"))
        .arg(&inputs);
    let mut workers = BTreeMap::new();
    workers.insert(W::Fast, Worker::start(serve(&fast_exe), "fast")?);
    workers.insert(W::Default, Worker::start(serve(&default_exe), "default")?);
    workers.insert(W::Ref, Worker::start(py, "reference")?);
    let mut bench = Bench {
        workers,
        plan,
        stats: BTreeMap::new(),
        mem: BTreeMap::new(),
    };
    measure(&mut bench)?;
    let rows = rows(&bench);
    let elapsed = start.elapsed().as_secs_f64();

    let info: BTreeMap<&str, String> = bench
        .workers
        .iter()
        .map(|(w, worker)| (w.name(), worker.info.clone()))
        .collect();
    let load = format!(
        "load average at start {load_start}, at the end {}",
        loadavg()
    );
    let table = markdown_table(&rows);
    let primitives = primitives_table(&bench);
    println!("\n{table}\n{RATIO_NOTE}\n\n{primitives}");
    println!(
        "{load} ({} cores).",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{} run: {:.0} s in all: {:.0} s of build and setup, {elapsed:.0} s of measurement ({} rounds x {} samples of ~{} per contender, alternating).",
        if quick { "quick" } else { "full" },
        build_start.elapsed().as_secs_f64(),
        (start - build_start).as_secs_f64(),
        plan.rounds,
        plan.samples,
        t(plan.batch_ns),
    );
    let fails = rows.iter().filter(|r| r.verdict == Verdict::Fail).count();
    println!(
        "targets: {} pass, {fails} missed.",
        rows.iter().filter(|r| r.verdict == Verdict::Pass).count()
    );

    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let doc = json!({
        "run": if quick { "quick" } else { "full" },
        "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "measure_seconds": elapsed,
        "load": load,
        "total_seconds": build_start.elapsed().as_secs_f64(),
        "cpu": machine,
        "cores": cores,
        "plan": {"rounds": plan.rounds, "samples": plan.samples, "batch_ns": plan.batch_ns},
        "workers": info,
        "rows": rows.iter().map(|r| json!({
            "operation": r.op, "ours": r.ours, "reference_or_limit": r.other,
            "ratio": r.ratio, "ratio_value": r.value, "target": r.target, "result": r.verdict.text(),
        })).collect::<Vec<_>>(),
        "medians_ns": bench.stats.iter().map(|(k, s)| (k.clone(), json!({
            "median_ns": s.median, "iters_per_sample": s.iters, "samples_ns": s.samples,
        }))).collect::<serde_json::Map<_, _>>(),
        "peak_extra_heap_bytes": bench.mem,
    });
    std::fs::write(out.join("bench.json"), serde_json::to_string_pretty(&doc)?)?;
    let md = format!(
        "# cargo xtask bench ({} run)\n\n{cores} cores, {machine}; workers: {}\n\n{table}\n{RATIO_NOTE}\n\n{primitives}\nMeasured in {elapsed:.0} s; {load}.\n",
        if quick { "quick" } else { "full" },
        serde_json::to_string(&info)?
    );
    std::fs::write(out.join("bench.md"), md)?;
    println!(
        "written: {} and {}",
        out.join("bench.json").display(),
        out.join("bench.md").display()
    );
    Ok(())
}

/// Every timed group and memory measurement.
fn measure(bench: &mut Bench) -> Result<()> {
    use W::{Default as D, Fast as F, Ref as R};
    let groups: &[(&str, &[(W, &str)])] = &[
        (
            "exchange",
            &[
                (F, "exchange"),
                (D, "exchange"),
                (R, "exchange"),
                (F, "raw_hpke_exchange"),
                (F, "raw_open_exchange_awslc"),
                (F, "raw_open_exchange_rustcrypto"),
                (F, "raw_keccak_exchange"),
                (F, "raw_rsa2048_awslc"),
                (F, "raw_rsa2048_rsa"),
            ],
        ),
        (
            "encap",
            &[(F, "encap_1k"), (F, "raw_hpke_1k"), (R, "encap_1k")],
        ),
        (
            "open",
            &[
                (F, "open_1m"),
                (D, "open_1m"),
                (R, "open_1m"),
                (F, "raw_open_1m_awslc"),
                (F, "raw_open_1m_rustcrypto"),
                (R, "raw_open_1m_openssl"),
            ],
        ),
        (
            "stream",
            &[
                (F, "stream_1000"),
                (D, "stream_1000"),
                (R, "stream_1000"),
                (F, "raw_open_frame_awslc"),
                (F, "raw_open_frame_rustcrypto"),
            ],
        ),
        (
            "chunked",
            &[
                (F, "chunked_64x16k"),
                (D, "chunked_64x16k"),
                (F, "raw_open_64x16k_awslc"),
                (F, "raw_open_64x16k_rustcrypto"),
                (R, "chunked_64x16k"),
            ],
        ),
        (
            "big",
            &[
                (F, "chunked_16m"),
                (F, "chunked_64m"),
                (D, "chunked_16m"),
                (D, "chunked_64m"),
                (R, "chunked_16m"),
                (R, "chunked_64m"),
            ],
        ),
        (
            "canon",
            &[
                (F, "canon_chat"),
                (R, "canon_chat"),
                (F, "canon_tools"),
                (R, "canon_tools"),
            ],
        ),
        (
            "conv",
            &[(F, "canon_conv"), (F, "raw_keccak_conv"), (R, "canon_conv")],
        ),
        (
            "attach",
            &[
                (F, "canon_attach"),
                (R, "canon_attach"),
                (F, "wire_attach"),
                (R, "wire_attach"),
            ],
        ),
        (
            "rsa2048",
            &[
                (F, "verify_2048"),
                (D, "verify_2048"),
                (R, "verify_2048"),
                (F, "raw_rsa2048_awslc"),
                (F, "raw_rsa2048_ring"),
                (F, "raw_rsa2048_rsa"),
                (R, "raw_rsa2048_openssl"),
            ],
        ),
        (
            "rsa4096",
            &[
                (F, "verify_4096"),
                (D, "verify_4096"),
                (R, "verify_4096"),
                (F, "raw_rsa4096_awslc"),
                (F, "raw_rsa4096_ring"),
                (F, "raw_rsa4096_rsa"),
            ],
        ),
    ];
    bench.run(groups)?;
    for (w, op) in [
        (D, "chunked_16m"),
        (D, "chunked_64m"),
        (R, "chunked_16m"),
        (R, "chunked_64m"),
        (D, "canon_attach"),
        (R, "canon_attach"),
    ] {
        bench.measure_mem(w, op)?;
    }
    Ok(())
}

/// The table of issue #8, from the measurements.
fn rows(bench: &Bench) -> Vec<Row> {
    use W::{Default as D, Fast as F, Ref as R};
    let mut rows = Vec::new();

    // Full exchange.
    let g = |w: W, op: &str| bench.get("exchange", w, op);
    let prims_fast = g(F, "raw_hpke_exchange")
        .plus(&g(F, "raw_open_exchange_awslc"))
        .plus(&g(F, "raw_keccak_exchange"))
        .plus(&g(F, "raw_rsa2048_awslc"));
    let prims_default = g(F, "raw_hpke_exchange")
        .plus(&g(F, "raw_open_exchange_rustcrypto"))
        .plus(&g(F, "raw_keccak_exchange"))
        .plus(&g(F, "raw_rsa2048_rsa"));
    rows.push(Row::faster(
        "full non-streaming exchange, client side, RSA-2048 [aws-lc]",
        &g(F, "exchange"),
        &g(R, "exchange"),
        "reference chat_completion",
        3.0,
        false,
    ));
    rows.push(Row::within(
        "  same, vs the sum of its primitives [aws-lc]",
        &g(F, "exchange"),
        &prims_fast,
        "hpke setup+seal + AEAD open + Keccak + RSA verify",
        1.25,
        false,
    ));
    rows.push(Row::faster(
        "  same, default backends (rustcrypto, rsa)",
        &g(D, "exchange"),
        &g(R, "exchange"),
        "reference",
        3.0,
        true,
    ));
    rows.push(Row::within(
        "  same, default backends, vs the sum of their primitives",
        &g(D, "exchange"),
        &prims_default,
        "primitives, RustCrypto open + rsa verify",
        1.25,
        true,
    ));

    // Encapsulate.
    let g = |w: W, op: &str| bench.get("encap", w, op);
    rows.push(Row::within(
        "encapsulate 1 KiB",
        &g(F, "encap_1k"),
        &g(F, "raw_hpke_1k"),
        "raw hpke setup+seal",
        1.2,
        false,
    ));
    rows.push(Row::faster(
        "  same, vs the reference",
        &g(F, "encap_1k"),
        &g(R, "encap_1k"),
        "reference encapsulate_request",
        1.0,
        true,
    ));

    // Open 1 MiB.
    let g = |w: W, op: &str| bench.get("open", w, op);
    for (w, label, info) in [(F, "[aws-lc]", false), (D, "default (rustcrypto)", true)] {
        let ours = g(w, "open_1m");
        let r = ratio(&g(R, "open_1m"), &ours);
        rows.push(Row {
            op: format!(
                "{}open a 1 MiB single-shot response {label}",
                if info { "  " } else { "" }
            ),
            ours: t(ours.all),
            other: format!("{} (reference decrypt_response)", t(g(R, "open_1m").all)),
            ratio: format!("{r:.2}x the reference's speed"),
            target: ">= 0.9x the reference's speed".into(),
            verdict: verdict(r >= 0.9, info),
            value: r,
        });
    }

    // Stream of 1,000 frames, per frame.
    let g = |w: W, op: &str| bench.get("stream", w, op).scale(1e-3);
    for (w, label, info) in [
        (F, "[aws-lc]", false),
        (D, "default (rustcrypto, rsa)", true),
    ] {
        rows.push(Row::faster(
            &format!(
                "{}stream, 1,000 SSE frames of ~100 B fed as they arrive, per frame {label}",
                if info { "  " } else { "" }
            ),
            &g(w, "stream_1000"),
            &g(R, "stream_1000"),
            "reference stream_chat_completion",
            8.0,
            info,
        ));
    }

    // Chunked 64 x 16 KiB.
    let g = |w: W, op: &str| bench.get("chunked", w, op);
    rows.push(Row::fraction(
        "chunked stream, 64 frames of 16 KiB, one piece [aws-lc]",
        &g(F, "chunked_64x16k"),
        &g(F, "raw_open_64x16k_awslc"),
        "raw aws-lc open",
        0.85,
        false,
    ));
    rows.push(Row::fraction(
        "  same, default backend [rustcrypto]",
        &g(D, "chunked_64x16k"),
        &g(F, "raw_open_64x16k_rustcrypto"),
        "raw RustCrypto open",
        0.85,
        false,
    ));

    // 64 MiB in one piece: linear time, memory.
    let g = |w: W, op: &str| bench.get("big", w, op);
    for (w, label) in [(F, "[aws-lc]"), (D, "[rustcrypto]")] {
        let lin = ratio(&g(w, "chunked_64m"), &g(w, "chunked_16m").scale(4.0));
        rows.push(Row {
            op: format!("chunked stream of 64 MiB in one piece {label}: time"),
            ours: t(g(w, "chunked_64m").all),
            other: format!("{} (reference)", t(g(R, "chunked_64m").all)),
            ratio: format!(
                "t(64 MiB) / 4 t(16 MiB) = {lin:.2}; {:.1}x faster",
                ratio(&g(R, "chunked_64m"), &g(w, "chunked_64m"))
            ),
            target: "linear: <= 1.2".into(),
            verdict: verdict(lin <= 1.2, false),
            value: lin,
        });
    }
    let mem = |w, op: &str| bench.mem.get(&key(w, op)).copied().unwrap_or(f64::NAN);
    let limit = 2.0 * 64.0 * 1024.0;
    let ours = mem(D, "chunked_64m");
    rows.push(Row {
        op: "chunked stream of 64 MiB in one piece: extra memory".into(),
        ours: b(ours),
        other: format!("{} (reference, tracemalloc)", b(mem(R, "chunked_64m"))),
        ratio: format!(
            "{:.2}x the largest chunk (64 KiB); 16 MiB: {}",
            ours / (64.0 * 1024.0),
            b(mem(D, "chunked_16m"))
        ),
        target: "<= 2x the largest chunk".into(),
        verdict: verdict(ours <= limit, false),
        value: ours,
    });

    // Canonical request + hash.
    let g = |w: W, op: &str| bench.get("canon", w, op);
    rows.push(Row::faster(
        "canonical request + hash: 200 B chat",
        &g(F, "canon_chat"),
        &g(R, "canon_chat"),
        "reference",
        8.0,
        false,
    ));
    rows.push(Row::faster(
        "canonical request + hash: 30 KiB of tool schemas",
        &g(F, "canon_tools"),
        &g(R, "canon_tools"),
        "reference",
        4.0,
        false,
    ));
    let g = |w: W, op: &str| bench.get("conv", w, op);
    rows.push(Row::fraction(
        "canonical request + hash: 40 KiB conversation",
        &g(F, "canon_conv"),
        &g(F, "raw_keccak_conv"),
        "raw Keccak-256 of the canonical bytes",
        0.9,
        false,
    ));
    rows.push(Row::faster(
        "  same, vs the reference",
        &g(F, "canon_conv"),
        &g(R, "canon_conv"),
        "reference",
        1.0,
        true,
    ));

    // 5 MiB attachment.
    let g = |w: W, op: &str| bench.get("attach", w, op);
    rows.push(Row::faster(
        "5 MiB base64 attachment: canonical hash",
        &g(F, "canon_attach"),
        &g(R, "canon_attach"),
        "reference",
        10.0,
        false,
    ));
    rows.push(Row::faster(
        "5 MiB base64 attachment: wire serialization + encapsulation",
        &g(F, "wire_attach"),
        &g(R, "wire_attach"),
        "reference",
        4.0,
        false,
    ));
    let ours = mem(D, "canon_attach");
    rows.push(Row {
        op: "5 MiB base64 attachment: extra heap to hash it".into(),
        ours: b(ours),
        other: format!("{} (reference, tracemalloc)", b(mem(R, "canon_attach"))),
        ratio: format!("{:.4} of the attachment", ours / (5.0 * 1024.0 * 1024.0)),
        target: "not copied (< 64 KiB)".into(),
        verdict: verdict(ours < 64.0 * 1024.0, false),
        value: ours,
    });

    // verify_response.
    for bits in ["2048", "4096"] {
        let group = format!("rsa{bits}");
        let g = |w: W, op: &str| bench.get(&group, w, op);
        let raw = |lib: &str| g(F, &format!("raw_rsa{bits}_{lib}"));
        let (fastest, name) = [("awslc", "aws-lc-rs"), ("ring", "ring"), ("rsa", "rsa")]
            .iter()
            .map(|&(lib, name)| (raw(lib), name))
            .fold(None::<(S, &str)>, |best, x| match best {
                Some(b) if b.0.all <= x.0.all => Some(b),
                _ => Some(x),
            })
            .unwrap_or((raw("awslc"), "aws-lc-rs"));
        let op = format!("verify_{bits}");
        rows.push(Row::within(
            &format!("verify_response RSA-{bits} [aws-lc]"),
            &g(F, &op),
            &fastest,
            &format!("fastest raw RSA verify: {name}"),
            1.3,
            false,
        ));
        rows.push(Row::within(
            "  same, default backend [rsa]",
            &g(D, &op),
            &fastest,
            &format!("fastest raw: {name}"),
            1.3,
            true,
        ));
        rows.push(Row::faster(
            &format!("  verify_response RSA-{bits} [aws-lc] vs the reference"),
            &g(F, &op),
            &g(R, &op),
            "reference verify_response",
            1.0,
            true,
        ));
    }

    rows.push(load_row());
    rows
}

/// The `og serve` row, from the last `cargo xtask load` run (`<target>/bench/load.json`):
/// the proxy is measured there, under load, against direct library calls in the same
/// run; repeating it here would double the bench's time.
fn load_row() -> Row {
    let op =
        "`og serve` (dev, zero model delay): added latency p50/p99 (idle), requests/s".to_owned();
    let target = "p50 < 1 ms added; report requests/s".to_owned();
    let path = crate::load::default_json_path();
    let parsed = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(v) = parsed else {
        return Row {
            op,
            ours: "run `cargo xtask load` first".into(),
            other: "-".into(),
            ratio: "-".into(),
            target,
            verdict: Verdict::Info,
            value: f64::NAN,
        };
    };
    let f = |ptr: &str| {
        v.pointer(ptr)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let added_p50 = f("/idle/added_p50_ms");
    let added_p99 = f("/idle/added_p99_ms");
    let direct_p50 = f("/idle/direct/p50_ms");
    let rps = f("/proxy_requests_per_s");
    let profile = v
        .get("profile")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?");
    Row {
        op,
        ours: format!(
            "+{added_p50:.2} ms / +{added_p99:.2} ms; {rps:.0} req/s under load ({profile}, from {})",
            path.display()
        ),
        other: format!("{direct_p50:.2} ms (direct library call, p50)"),
        ratio: format!(
            "{:.2}x the direct call",
            (direct_p50 + added_p50) / direct_p50
        ),
        target,
        verdict: if added_p50 < 1.0 {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        value: added_p50,
    }
}

fn markdown_table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| operation | ours (median) | reference or limit (median) | ratio | target | result |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.op.replace("  ", "&nbsp;&nbsp;"),
            r.ours,
            r.other,
            r.ratio,
            r.target,
            r.verdict.text()
        ));
    }
    s
}

fn primitives_table(bench: &Bench) -> String {
    let names: &[(&str, &str)] = &[
        ("fast:raw_hpke_1k", "hpke crate: setup + seal, 1 KiB"),
        (
            "fast:raw_hpke_exchange",
            "hpke crate: setup + seal, the exchange's wire request",
        ),
        (
            "fast:raw_open_frame_awslc",
            "ChaCha20-Poly1305 open, one ~100 B frame, aws-lc",
        ),
        (
            "fast:raw_open_frame_rustcrypto",
            "ChaCha20-Poly1305 open, one ~100 B frame, RustCrypto",
        ),
        (
            "fast:raw_open_64x16k_awslc",
            "ChaCha20-Poly1305 open, 64 x 16 KiB, aws-lc",
        ),
        (
            "fast:raw_open_64x16k_rustcrypto",
            "ChaCha20-Poly1305 open, 64 x 16 KiB, RustCrypto",
        ),
        (
            "fast:raw_open_1m_awslc",
            "ChaCha20-Poly1305 open, 1 MiB, aws-lc",
        ),
        (
            "fast:raw_open_1m_rustcrypto",
            "ChaCha20-Poly1305 open, 1 MiB, RustCrypto",
        ),
        (
            "reference:raw_open_1m_openssl",
            "ChaCha20-Poly1305 open, 1 MiB, OpenSSL (reference's cryptography)",
        ),
        (
            "fast:raw_keccak_conv",
            "Keccak-256 (sha3), the 40 KiB conversation's canonical bytes",
        ),
        (
            "fast:raw_keccak_exchange",
            "Keccak-256 (sha3), an exchange's three hashes",
        ),
        ("fast:raw_rsa2048_awslc", "RSA-2048 PSS verify, aws-lc-rs"),
        ("fast:raw_rsa2048_ring", "RSA-2048 PSS verify, ring"),
        (
            "fast:raw_rsa2048_rsa",
            "RSA-2048 PSS verify, rsa (RustCrypto)",
        ),
        (
            "reference:raw_rsa2048_openssl",
            "RSA-2048 PSS verify, OpenSSL (reference's cryptography)",
        ),
        ("fast:raw_rsa4096_awslc", "RSA-4096 PSS verify, aws-lc-rs"),
        ("fast:raw_rsa4096_ring", "RSA-4096 PSS verify, ring"),
        (
            "fast:raw_rsa4096_rsa",
            "RSA-4096 PSS verify, rsa (RustCrypto)",
        ),
    ];
    let mut s = String::from("| raw primitive | median |\n|---|---|\n");
    for (k, label) in names {
        let (w, op) = k.split_once(':').unwrap_or_default();
        let found = bench
            .stats
            .iter()
            .find(|(key, _)| key.split_once('/').map(|(_, c)| c) == Some(&format!("{w}:{op}")));
        if let Some((_, st)) = found {
            s.push_str(&format!("| {label} | {} |\n", t(st.median)));
        }
    }
    s
}
