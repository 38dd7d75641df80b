//! `cargo xtask load`: `og serve` under many concurrent clients (issue #9, and the
//! proxy row of issue #8).
//!
//! What runs:
//!
//! - og-sim's enclave and relay in this process, with the echo model and zero model
//!   delay (`Model::echo()`: the answer is `You said: <prompt>`);
//! - the real `og serve` binary as a child process, pointed at that relay with the
//!   TEE record and token written to files, as a user would run it. A separate
//!   process, so its memory (VmRSS / VmHWM from `/proc/PID/status`) is the proxy's
//!   alone. `cargo xtask load` builds it with `--release` (and re-runs itself in
//!   release, so that the direct library calls are optimised the same way); `--debug`
//!   uses debug builds (what CI uses, to avoid a second full build).
//!
//! Two phases:
//!
//! 1. **idle**: one client, `idle_pairs` pairs of (proxy request, direct
//!    [`og_relay::RelayClient`] call) alternating single-shot and streaming: the
//!    added latency of the proxy with no contention.
//! 2. **load**: `clients` threads for `seconds`; client `i` streams when `i` is odd.
//!    Each iteration sends one chat through the proxy (ureq over HTTP) and the same
//!    kind of chat through a direct library call to the same relay, in alternating
//!    order, so both see the same load. Every prompt carries a unique nonce; every
//!    answer must be verified (`X-OpenGradient-Verified: true`, the TEE id,
//!    `opengradient_verification.verified`) and be exactly `You said: <its own
//!    prompt>` (anything else is cross-talk); a stream must end with exactly one
//!    `data: [DONE]`, last.
//!
//! Faults: every `fault_every` a fault (`sign-other-output`: the enclave signs an
//! output other than the one it sends) is set through the simulator's fault endpoint
//! (`POST <relay>/_sim/fault`) for `fault_window`, then cleared. The fault is global,
//! so requests are classified by time: one that ran entirely outside every window
//! must succeed; one that ran entirely while the fault was surely set must fail
//! (proxy: a 502 with no model text; direct: a verification error); one that
//! overlaps a window's edges may do either, but a success must still be exactly
//! right. Anything else is an unexpected error and fails the run.
//!
//! Memory: the proxy's RSS before the load (after the idle phase), after the load's
//! warm-up (the first quarter, at most 3 s), the peak (VmHWM and the sampled maximum)
//! and one second after the last client finished. "Flat": the after-run RSS is at
//! most the warm-up RSS plus [`LoadOptions::rss_slack_mib`].
//!
//! The report ([`LoadReport`]) is printed as a table and written as JSON (default
//! `<target>/bench/load.json`) for the bench command.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use og_relay::RelayClient;
use og_sim::{Model, Sim};
use serde::Serialize;

/// The fault injected during the load (an enclave fault: verification must fail).
pub const LOAD_FAULT: &str = "sign-other-output";

/// How to run the load test.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The `og` binary to run as `og serve`.
    pub og: PathBuf,
    /// Concurrent clients during the load phase.
    pub clients: usize,
    /// Length of the load phase.
    pub duration: Duration,
    /// Request pairs of the idle phase (one client).
    pub idle_pairs: usize,
    /// How often a fault window opens (`None`: no faults).
    pub fault_every: Option<Duration>,
    /// How long each fault window lasts.
    pub fault_window: Duration,
    /// How far above the warm-up RSS the after-run RSS may be, in MiB.
    pub rss_slack_mib: u64,
    /// Which build the binaries are (`"release"` or `"debug"`), for the report.
    pub profile: String,
    /// Where the TEE record, token and proxy log go.
    pub work_dir: PathBuf,
}

impl LoadOptions {
    /// 200 clients for 10 s, 200 idle pairs, a 100 ms fault window every 2 s.
    pub fn new(og: PathBuf, work_dir: PathBuf) -> Self {
        LoadOptions {
            og,
            clients: 200,
            duration: Duration::from_secs(10),
            idle_pairs: 200,
            fault_every: Some(Duration::from_secs(2)),
            fault_window: Duration::from_millis(100),
            rss_slack_mib: 16,
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
            work_dir,
        }
    }
}

/// Latency quantiles of one set of requests, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Quantiles {
    /// How many requests.
    pub n: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Quantiles {
    fn of(mut v: Vec<Duration>) -> Self {
        if v.is_empty() {
            return Quantiles::default();
        }
        v.sort_unstable();
        let q = |p: f64| {
            let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
            ms(v[i])
        };
        Quantiles {
            n: v.len(),
            p50_ms: q(0.50),
            p99_ms: q(0.99),
            max_ms: ms(v[v.len() - 1]),
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The latencies of one phase: through the proxy, direct, and the difference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PhaseLatency {
    /// Successful requests through `og serve` (single-shot and streaming).
    pub proxy: Quantiles,
    /// Successful direct library calls.
    pub direct: Quantiles,
    /// Single-shot only, through the proxy.
    pub proxy_single: Quantiles,
    /// Single-shot only, direct.
    pub direct_single: Quantiles,
    /// Streaming only, through the proxy.
    pub proxy_stream: Quantiles,
    /// Streaming only, direct.
    pub direct_stream: Quantiles,
    /// `proxy.p50_ms - direct.p50_ms`.
    pub added_p50_ms: f64,
    /// `proxy.p99_ms - direct.p99_ms`.
    pub added_p99_ms: f64,
}

/// Request counts of the load phase.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// Requests sent through the proxy.
    pub proxy: u64,
    /// Direct library calls.
    pub direct: u64,
    /// Verified, correct answers (both paths).
    pub ok: u64,
    /// Refused as they should be, inside a fault window (both paths).
    pub injected_failures: u64,
    /// Successes that overlapped a fault window's edge.
    pub ok_near_fault: u64,
    /// Answers carrying another request's text (or no nonce at all).
    pub cross_talk: u64,
    /// Every other failure (a wrong status, a missing header, a transport error, a
    /// success where the fault was surely set...).
    pub unexpected: u64,
    /// Fault windows opened.
    pub fault_windows: u64,
}

/// The proxy's memory, in KiB (from `/proc/PID/status`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Memory {
    /// VmRSS right after it started and answered `/health`.
    pub start_kib: u64,
    /// VmRSS after the idle phase.
    pub before_load_kib: u64,
    /// VmRSS after the load's warm-up.
    pub warm_kib: u64,
    /// The largest VmRSS sampled during the load (every 50 ms).
    pub sampled_peak_kib: u64,
    /// VmHWM (peak resident set) at the end.
    pub hwm_kib: u64,
    /// VmRSS one second after the last client finished.
    pub after_kib: u64,
    /// The bound `after_kib` must stay under: `warm_kib` + the slack.
    pub flat_bound_kib: u64,
    /// `after_kib <= flat_bound_kib`.
    pub flat: bool,
}

/// What one run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    /// Concurrent clients of the load phase (half streaming).
    pub clients: usize,
    /// Length of the load phase, in seconds (as run).
    pub seconds: f64,
    /// CPUs available to this process.
    pub cores: usize,
    /// The build of `og` and of the direct client (`release` or `debug`).
    pub profile: String,
    /// The idle phase (one client).
    pub idle: PhaseLatency,
    /// The load phase.
    pub load: PhaseLatency,
    /// Completed proxy requests per second during the load (each client also makes
    /// one direct call per proxy request on the same machine).
    pub proxy_requests_per_s: f64,
    /// Proxy requests and direct calls per second together.
    pub total_exchanges_per_s: f64,
    /// The counts of the load phase.
    pub counts: Counts,
    /// The proxy's memory.
    pub memory: Memory,
    /// The first few unexpected errors or cross-talk, for the log.
    pub problems: Vec<String>,
    /// No unexpected error, no cross-talk, memory flat, and something was measured.
    pub passed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Proxy,
    Direct,
}

/// How one request ended.
#[derive(Debug)]
enum Outcome {
    /// Verified and exactly the expected text.
    Ok,
    /// Refused the way an injected fault must be refused.
    Refused,
    /// The answer carried the wrong text.
    CrossTalk(String),
    /// Anything else.
    Failed(String),
}

struct Sample {
    via: Via,
    stream: bool,
    start: Instant,
    end: Instant,
    outcome: Outcome,
}

/// A fault window: `outer` from before the POST to after the DELETE answered
/// (the fault may have been set somewhere in it), `inner` from the POST's answer to
/// before the DELETE (it was surely set).
#[derive(Clone, Copy, Debug)]
struct Window {
    outer: (Instant, Instant),
    inner: (Instant, Instant),
}

/// Kills the child process (ours, by its handle) when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads `VmRSS` and `VmHWM` (KiB) of a process.
fn proc_mem(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Everything a client needs.
struct Target {
    chat_url: String,
    tee_id: String,
    direct: RelayClient,
    run_id: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .max_idle_connections_per_host(4)
        .build()
        .into()
}

fn request_json(prompt: &str, stream: bool) -> String {
    serde_json::json!({
        "model": "gpt-4.1",
        "stream": stream,
        "messages": [{"role": "user", "content": prompt}],
    })
    .to_string()
}

/// Judges an answer's text against the expected one.
fn judge_text(got: &str, expected: &str, run_id: &str) -> Outcome {
    if got == expected {
        Outcome::Ok
    } else if got.contains(run_id) {
        Outcome::CrossTalk(format!("expected {expected:?}, got {got:?}"))
    } else {
        Outcome::CrossTalk(format!("expected {expected:?}, got {got:?} (no nonce)"))
    }
}

/// One chat through the proxy, judged.
fn via_proxy(agent: &ureq::Agent, t: &Target, prompt: &str, stream: bool) -> Outcome {
    let expected = format!("You said: {prompt}");
    let sent = agent
        .post(&t.chat_url)
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer og-local")
        .send(request_json(prompt, stream).as_bytes());
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("proxy: {e}")),
    };
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let verified = header("x-opengradient-verified");
    let tee = header("x-opengradient-tee-id");
    let body = match resp.body_mut().read_to_string() {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(format!("proxy: reading the answer: {e}")),
    };
    if status == 502 {
        // An injected fault (or a real failure: the caller decides by time). It must
        // never carry the model's text.
        if body.contains("You said") || body.contains(prompt) {
            return Outcome::Failed(format!("a 502 carries model text: {body}"));
        }
        if verified.is_some() {
            return Outcome::Failed("a 502 carries X-OpenGradient-Verified".into());
        }
        let is_envelope = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error")?.get("message")?.as_str().map(str::to_owned))
            .is_some();
        return if is_envelope {
            Outcome::Refused
        } else {
            Outcome::Failed(format!("a 502 without OpenAI's error envelope: {body}"))
        };
    }
    if status != 200 {
        return Outcome::Failed(format!("proxy status {status}: {body}"));
    }
    if verified.as_deref() != Some("true") {
        return Outcome::Failed(format!("X-OpenGradient-Verified is {verified:?}"));
    }
    if tee.as_deref() != Some(t.tee_id.as_str()) {
        return Outcome::Failed(format!("X-OpenGradient-TEE-Id is {tee:?}"));
    }
    if stream {
        let mut content = String::new();
        let mut done = 0;
        let mut done_last = false;
        for line in body.lines() {
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                done += 1;
                done_last = true;
                continue;
            }
            done_last = false;
            let Ok(event) = serde_json::from_str::<serde_json::Value>(data) else {
                return Outcome::Failed(format!("an SSE event is not JSON: {data}"));
            };
            if let Some(text) = event
                .pointer("/choices/0/delta/content")
                .and_then(serde_json::Value::as_str)
            {
                content.push_str(text);
            }
        }
        if done != 1 || !done_last {
            return Outcome::Failed(format!("{done} `data: [DONE]` lines (last: {done_last})"));
        }
        judge_text(&content, &expected, &t.run_id)
    } else {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
            return Outcome::Failed(format!("the answer is not JSON: {body}"));
        };
        if v.pointer("/opengradient_verification/verified")
            .and_then(serde_json::Value::as_bool)
            != Some(true)
        {
            return Outcome::Failed("opengradient_verification.verified is not true".into());
        }
        let content = v
            .pointer("/choices/0/message/content")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        judge_text(content, &expected, &t.run_id)
    }
}

/// The same chat as a direct library call, judged.
fn direct(t: &Target, prompt: &str, stream: bool) -> Outcome {
    let expected = format!("You said: {prompt}");
    let body = match og_canon::parse(&request_json(prompt, false)) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(format!("request JSON: {e}")),
    };
    let result = if stream {
        t.direct
            .stream_chat_completion(&body)
            .map(|s| s.content().to_owned())
    } else {
        t.direct
            .chat_completion(&body)
            .map(|r| r.content().to_owned())
    };
    match result {
        Ok(content) => judge_text(&content, &expected, &t.run_id),
        Err(og_relay::Error::Verification(_)) => Outcome::Refused,
        Err(e) => Outcome::Failed(format!("direct: {e}")),
    }
}

/// One proxy request and one direct call of the same kind, in the given order.
fn pair(
    agent: &ureq::Agent,
    t: &Target,
    prompt: &str,
    stream: bool,
    proxy_first: bool,
    out: &mut Vec<Sample>,
) {
    let mut one = |via: Via| {
        let start = Instant::now();
        let outcome = match via {
            Via::Proxy => via_proxy(agent, t, prompt, stream),
            Via::Direct => direct(t, prompt, stream),
        };
        out.push(Sample {
            via,
            stream,
            start,
            end: Instant::now(),
            outcome,
        });
    };
    if proxy_first {
        one(Via::Proxy);
        one(Via::Direct);
    } else {
        one(Via::Direct);
        one(Via::Proxy);
    }
}

fn latency(samples: &[Sample]) -> PhaseLatency {
    let pick = |via: Via, stream: Option<bool>| {
        Quantiles::of(
            samples
                .iter()
                .filter(|s| s.via == via && stream.is_none_or(|k| s.stream == k))
                .filter(|s| matches!(s.outcome, Outcome::Ok))
                .map(|s| s.end - s.start)
                .collect(),
        )
    };
    let proxy = pick(Via::Proxy, None);
    let direct = pick(Via::Direct, None);
    PhaseLatency {
        added_p50_ms: ((proxy.p50_ms - direct.p50_ms) * 1e3).round() / 1e3,
        added_p99_ms: ((proxy.p99_ms - direct.p99_ms) * 1e3).round() / 1e3,
        proxy,
        direct,
        proxy_single: pick(Via::Proxy, Some(false)),
        direct_single: pick(Via::Direct, Some(false)),
        proxy_stream: pick(Via::Proxy, Some(true)),
        direct_stream: pick(Via::Direct, Some(true)),
    }
}

/// Starts `og serve` against `sim`; returns the child and the proxy's base URL.
fn start_proxy(opts: &LoadOptions, sim: &Sim) -> anyhow::Result<(ChildGuard, String)> {
    std::fs::create_dir_all(&opts.work_dir)
        .with_context(|| format!("cannot create {}", opts.work_dir.display()))?;
    let tee_file = opts.work_dir.join("load-tee.json");
    let token_file = opts.work_dir.join("load-token");
    let log_file = opts.work_dir.join("load-og-serve.log");
    std::fs::write(&tee_file, sim.tee_endpoint().to_record_json())?;
    std::fs::write(&token_file, sim.token().unwrap_or_default())?;
    let log = std::fs::File::create(&log_file)?;
    let mut child = ChildGuard(
        Command::new(&opts.og)
            .args(["--json", "serve", "--port", "0", "--relay"])
            .arg(sim.relay_url())
            .arg("--tee")
            .arg(&tee_file)
            .arg("--token-file")
            .arg(&token_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot run {}", opts.og.display()))?,
    );
    let stdout = child.0.stdout.take().context("no stdout")?;
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .context("reading og serve's first line")?;
    let v: serde_json::Value = serde_json::from_str(first.trim()).with_context(|| {
        format!(
            "og serve did not print its address as JSON ({first:?}); see {}",
            log_file.display()
        )
    })?;
    let url = v
        .get("listening")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| anyhow!("og serve printed no `listening`: {first}"))?
        .to_owned();
    // Ready when /health answers.
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut r) = a.get(format!("{url}/health")).call()
            && r.status().as_u16() == 200
        {
            let _ = r.body_mut().read_to_string();
            break;
        }
        if Instant::now() > deadline {
            bail!("og serve at {url} did not answer /health within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, url))
}

/// Opens fault windows until `stop`; returns them.
fn fault_loop(
    fault_url: String,
    every: Duration,
    window: Duration,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Vec<Window>> {
    let a = agent();
    let mut windows = Vec::new();
    let mut next = Instant::now() + every / 2;
    loop {
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                return Ok(windows);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let outer_start = Instant::now();
        let r = a
            .post(&fault_url)
            .send(LOAD_FAULT.as_bytes())
            .context("setting the fault")?;
        if r.status().as_u16() != 200 {
            bail!("the simulator refused the fault: {}", r.status());
        }
        let inner_start = Instant::now();
        std::thread::sleep(window);
        let inner_end = Instant::now();
        let r = a.delete(&fault_url).call().context("clearing the fault")?;
        if r.status().as_u16() != 200 {
            bail!("the simulator did not clear the fault: {}", r.status());
        }
        windows.push(Window {
            outer: (outer_start, Instant::now()),
            inner: (inner_start, inner_end),
        });
        next = outer_start + every;
    }
}

/// Classifies the load samples against the fault windows.
fn classify(
    samples: &[Sample],
    windows: &[Window],
    counts: &mut Counts,
    problems: &mut Vec<String>,
) {
    let mut note = |p: String| {
        if problems.len() < 20 {
            problems.push(p);
        }
    };
    for s in samples {
        match s.via {
            Via::Proxy => counts.proxy += 1,
            Via::Direct => counts.direct += 1,
        }
        let touches = windows
            .iter()
            .any(|w| s.start < w.outer.1 && s.end > w.outer.0);
        let inside = windows
            .iter()
            .any(|w| s.start >= w.inner.0 && s.end <= w.inner.1);
        let what = format!("{:?} {}", s.via, if s.stream { "stream" } else { "single" });
        match &s.outcome {
            Outcome::Ok if inside => {
                counts.unexpected += 1;
                note(format!(
                    "{what}: verified while the fault was surely set (a forged answer passed?)"
                ));
            }
            Outcome::Ok => {
                counts.ok += 1;
                if touches {
                    counts.ok_near_fault += 1;
                }
            }
            Outcome::Refused if touches => counts.injected_failures += 1,
            Outcome::Refused => {
                counts.unexpected += 1;
                note(format!("{what}: refused outside any fault window"));
            }
            Outcome::CrossTalk(m) => {
                counts.cross_talk += 1;
                note(format!("{what}: cross-talk: {m}"));
            }
            Outcome::Failed(m) => {
                counts.unexpected += 1;
                note(format!("{what}: {m}"));
            }
        }
    }
}

/// Runs the load test (see the module docs).
///
/// # Errors
/// When the simulator or `og serve` cannot start, or the fault endpoint misbehaves.
/// Failed requests do not make an error: they are in the report (`passed`).
pub fn run(opts: &LoadOptions) -> anyhow::Result<LoadReport> {
    let sim = Sim::builder()
        .model(Model::echo())
        .start()
        .context("starting the simulator")?;
    let (child, proxy_url) = start_proxy(opts, &sim)?;
    let pid = child.0.id();
    let mut memory = Memory {
        start_kib: proc_mem(pid).0,
        ..Memory::default()
    };
    let run_id = format!(
        "n{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    );
    let target = Arc::new(Target {
        chat_url: format!("{proxy_url}/v1/chat/completions"),
        tee_id: sim.keys().tee_id().to_string(),
        direct: sim.client().context("the direct client")?,
        run_id: run_id.clone(),
    });
    let mut problems = Vec::new();

    // Phase 1: idle, one client.
    let a = agent();
    let mut idle = Vec::new();
    for i in 0..opts.idle_pairs + 20 {
        let prompt = format!("{run_id} idle {i}");
        pair(&a, &target, &prompt, i % 2 == 1, i % 4 < 2, &mut idle);
    }
    idle.drain(..40.min(idle.len())); // warm-up pairs
    for s in &idle {
        if !matches!(s.outcome, Outcome::Ok) {
            problems.push(format!("idle {:?}: {:?}", s.via, s.outcome));
        }
    }
    let idle_latency = latency(&idle);
    memory.before_load_kib = proc_mem(pid).0;

    // Phase 2: the load.
    let stop = Arc::new(AtomicBool::new(false));
    let faults = opts.fault_every.map(|every| {
        let url = format!("{}{}", sim.relay_url(), og_sim::FAULT_PATH);
        let stop = Arc::clone(&stop);
        let window = opts.fault_window;
        std::thread::spawn(move || fault_loop(url, every, window, stop))
    });
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let stop = Arc::clone(&stop);
        let peak = Arc::clone(&peak);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(proc_mem(pid).0, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let started = Instant::now();
    let deadline = started + opts.duration;
    let all = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..opts.clients)
        .map(|i| {
            let target = Arc::clone(&target);
            let all = Arc::clone(&all);
            std::thread::Builder::new()
                .name(format!("load-{i}"))
                .stack_size(256 << 10)
                .spawn(move || {
                    let a = agent();
                    let mut mine = Vec::new();
                    let mut seq = 0u64;
                    while Instant::now() < deadline {
                        let prompt = format!("{} c{i} r{seq}", target.run_id);
                        pair(
                            &a,
                            &target,
                            &prompt,
                            i % 2 == 1,
                            seq.is_multiple_of(2),
                            &mut mine,
                        );
                        seq += 1;
                    }
                    all.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
                })
        })
        .collect::<Result<_, _>>()
        .context("starting the client threads")?;
    let warm_at = (opts.duration / 4).min(Duration::from_secs(3));
    std::thread::sleep(warm_at);
    memory.warm_kib = proc_mem(pid).0;
    for w in workers {
        w.join().map_err(|_| anyhow!("a client thread panicked"))?;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let windows = match faults {
        Some(h) => h
            .join()
            .map_err(|_| anyhow!("the fault thread panicked"))??,
        None => Vec::new(),
    };
    std::thread::sleep(Duration::from_secs(1));
    let (after, hwm) = proc_mem(pid);
    memory.after_kib = after;
    memory.hwm_kib = hwm;
    memory.sampled_peak_kib = peak.load(Ordering::Relaxed).max(after);
    memory.flat_bound_kib = memory.warm_kib + opts.rss_slack_mib * 1024;
    memory.flat = memory.after_kib <= memory.flat_bound_kib;

    // Stop the proxy, and make sure it was alive all along.
    let mut child = child;
    if let Some(status) = child.0.try_wait()? {
        problems.push(format!("og serve exited during the run: {status}"));
    }
    drop(child);
    drop(sim);

    let samples = std::mem::take(&mut *all.lock().unwrap_or_else(|p| p.into_inner()));
    let mut counts = Counts {
        fault_windows: windows.len() as u64,
        ..Counts::default()
    };
    classify(&samples, &windows, &mut counts, &mut problems);
    let secs = elapsed.as_secs_f64();
    let proxy_completed = samples.iter().filter(|s| s.via == Via::Proxy).count();
    let passed = problems.is_empty()
        && counts.unexpected == 0
        && counts.cross_talk == 0
        && memory.flat
        && counts.ok > 0
        && (opts.fault_every.is_none() || counts.injected_failures > 0);
    if opts.fault_every.is_some() && counts.injected_failures == 0 {
        problems.push("no injected fault was seen refusing a request".into());
    }
    if !memory.flat {
        problems.push(format!(
            "memory not flat: {} KiB after the run, over the bound of {} KiB",
            memory.after_kib, memory.flat_bound_kib
        ));
    }
    Ok(LoadReport {
        clients: opts.clients,
        seconds: (secs * 100.0).round() / 100.0,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        profile: opts.profile.clone(),
        idle: idle_latency,
        load: latency(&samples),
        proxy_requests_per_s: (proxy_completed as f64 / secs * 10.0).round() / 10.0,
        total_exchanges_per_s: (samples.len() as f64 / secs * 10.0).round() / 10.0,
        counts,
        memory,
        problems,
        passed,
    })
}

/// The report as a table.
pub fn table(r: &LoadReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "og serve under load: {} clients (half streaming) for {:.1} s on {} cores, {} build, simulator with zero model delay",
        r.clients, r.seconds, r.cores, r.profile
    );
    let _ = writeln!(
        s,
        "{:<8} {:<7} {:<7} {:>7} {:>9} {:>9} {:>9}",
        "phase", "via", "kind", "n", "p50 ms", "p99 ms", "max ms"
    );
    for (phase, p) in [("idle", &r.idle), ("load", &r.load)] {
        for (via, kind, q) in [
            ("proxy", "all", &p.proxy),
            ("direct", "all", &p.direct),
            ("proxy", "single", &p.proxy_single),
            ("direct", "single", &p.direct_single),
            ("proxy", "stream", &p.proxy_stream),
            ("direct", "stream", &p.direct_stream),
        ] {
            let _ = writeln!(
                s,
                "{phase:<8} {via:<7} {kind:<7} {:>7} {:>9.3} {:>9.3} {:>9.3}",
                q.n, q.p50_ms, q.p99_ms, q.max_ms
            );
        }
    }
    let _ = writeln!(
        s,
        "added latency of the proxy (p50 / p99): idle {:.3} / {:.3} ms, under load {:.3} / {:.3} ms",
        r.idle.added_p50_ms, r.idle.added_p99_ms, r.load.added_p50_ms, r.load.added_p99_ms
    );
    let _ = writeln!(
        s,
        "throughput under load: {:.1} proxy requests/s ({:.1} exchanges/s with the direct calls)",
        r.proxy_requests_per_s, r.total_exchanges_per_s
    );
    let c = &r.counts;
    let _ = writeln!(
        s,
        "requests: {} proxy + {} direct; {} verified and matched ({} near a fault window), \
         {} refused in {} fault windows ({LOAD_FAULT}), {} cross-talk, {} unexpected",
        c.proxy,
        c.direct,
        c.ok,
        c.ok_near_fault,
        c.injected_failures,
        c.fault_windows,
        c.cross_talk,
        c.unexpected
    );
    let m = &r.memory;
    let mib = |k: u64| k as f64 / 1024.0;
    let _ = writeln!(
        s,
        "og serve RSS (MiB): start {:.1}, before load {:.1}, warm {:.1}, peak {:.1} (VmHWM {:.1}), after {:.1}; flat bound {:.1}: {}",
        mib(m.start_kib),
        mib(m.before_load_kib),
        mib(m.warm_kib),
        mib(m.sampled_peak_kib),
        mib(m.hwm_kib),
        mib(m.after_kib),
        mib(m.flat_bound_kib),
        if m.flat { "flat" } else { "NOT FLAT" }
    );
    for p in &r.problems {
        let _ = writeln!(s, "problem: {p}");
    }
    let _ = writeln!(
        s,
        "{}",
        if r.passed {
            "load: passed"
        } else {
            "load: FAILED"
        }
    );
    s
}

/// The cargo target directory this xtask was built into (`<target>/<profile>/xtask`).
pub fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

/// Where the JSON report goes by default: `<target>/bench/load.json`.
pub fn default_json_path() -> PathBuf {
    target_dir().join("bench").join("load.json")
}

/// Builds the `og` binary (`cargo build -p og-cli --bin og`, `--release` when
/// `release`) and returns its path.
///
/// # Errors
/// When cargo fails.
pub fn build_og(release: bool) -> anyhow::Result<PathBuf> {
    cargo(&{
        let mut a = vec![
            "build", "--quiet", "--locked", "-p", "og-cli", "--bin", "og",
        ];
        if release {
            a.push("--release");
        }
        a
    })?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("og"))
}

fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(crate::workspace_root())
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn parse_num<T: std::str::FromStr>(flag: &str, v: Option<&String>) -> anyhow::Result<T> {
    v.and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("{flag} needs a number"))
}

/// `cargo xtask load [--clients N] [--seconds S] [--json PATH] [--idle-pairs N]
/// [--fault-every-ms MS|0] [--debug]`: builds what it needs, runs, prints the table,
/// writes the JSON; an error when the run did not pass.
///
/// # Errors
/// Usage errors, build or start failures, and a run that did not pass.
pub fn main(args: &[String]) -> anyhow::Result<()> {
    let mut debug = false;
    let mut clients = 200usize;
    let mut seconds = 10.0f64;
    let mut json: Option<PathBuf> = None;
    let mut idle_pairs = 200usize;
    let mut fault_every_ms = 2000u64;
    let mut og: Option<PathBuf> = None;
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--clients" => clients = parse_num(a, rest.next())?,
            "--seconds" => seconds = parse_num(a, rest.next())?,
            "--idle-pairs" => idle_pairs = parse_num(a, rest.next())?,
            "--fault-every-ms" => fault_every_ms = parse_num(a, rest.next())?,
            "--json" => json = Some(rest.next().context("--json needs a path")?.into()),
            "--debug" => debug = true,
            // Internal: the release re-run gets the binary built by its parent.
            "--og" => og = Some(rest.next().context("--og needs a path")?.into()),
            other => bail!("unknown argument {other:?}"),
        }
    }
    if clients == 0 || seconds.is_nan() || seconds <= 0.0 {
        bail!("--clients and --seconds must be positive");
    }
    if cfg!(debug_assertions) && !debug {
        // Numbers from optimised code: build og and this xtask in release, re-run.
        cargo(&[
            "build",
            "--quiet",
            "--locked",
            "--release",
            "-p",
            "og-cli",
            "-p",
            "xtask",
            "--bins",
        ])?;
        let release = target_dir().join("release");
        let mut forwarded: Vec<String> = args.to_vec();
        forwarded.extend(["--og".to_owned(), release.join("og").display().to_string()]);
        if json.is_none() {
            forwarded.extend([
                "--json".to_owned(),
                default_json_path().display().to_string(),
            ]);
        }
        let status = Command::new(release.join("xtask"))
            .arg("load")
            .args(&forwarded)
            .status()
            .context("running the release xtask")?;
        if !status.success() {
            bail!("the load run failed ({status})");
        }
        return Ok(());
    }
    let og = match og {
        Some(p) => p,
        None => build_og(!cfg!(debug_assertions))?,
    };
    let json = json.unwrap_or_else(default_json_path);
    let work_dir = json
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let opts = LoadOptions {
        clients,
        duration: Duration::from_secs_f64(seconds),
        idle_pairs,
        fault_every: (fault_every_ms > 0).then(|| Duration::from_millis(fault_every_ms)),
        ..LoadOptions::new(og, work_dir)
    };
    let report = run(&opts)?;
    print!("{}", table(&report));
    if let Some(dir) = json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    std::fs::write(&json, text).with_context(|| format!("cannot write {}", json.display()))?;
    println!("report: {}", json.display());
    if !report.passed {
        bail!("the load run did not pass");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let q = Quantiles::of((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(
            (q.n, q.p50_ms, q.p99_ms, q.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        let one = Quantiles::of(vec![Duration::from_micros(1500)]);
        assert_eq!((one.p50_ms, one.p99_ms), (1.5, 1.5));
        assert_eq!(Quantiles::of(Vec::new()).n, 0);
    }

    #[test]
    fn answers_must_carry_their_own_nonce() {
        assert!(matches!(
            judge_text("You said: n1 c1 r1", "You said: n1 c1 r1", "n1"),
            Outcome::Ok
        ));
        assert!(matches!(
            judge_text("You said: n1 c2 r1", "You said: n1 c1 r1", "n1"),
            Outcome::CrossTalk(_)
        ));
        assert!(matches!(
            judge_text("", "You said: n1 c1 r1", "n1"),
            Outcome::CrossTalk(m) if m.contains("no nonce")
        ));
    }

    #[test]
    fn requests_are_judged_by_when_the_fault_was_set() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let windows = [Window {
            outer: (at(100), at(200)),
            inner: (at(110), at(190)),
        }];
        let sample = |start, end, outcome| Sample {
            via: Via::Proxy,
            stream: false,
            start: at(start),
            end: at(end),
            outcome,
        };
        let samples = [
            sample(0, 50, Outcome::Ok),                      // clean
            sample(90, 120, Outcome::Ok),                    // near: either is fine
            sample(90, 120, Outcome::Refused),               // near: either is fine
            sample(120, 180, Outcome::Refused),              // inside: must fail
            sample(120, 180, Outcome::Ok),                   // inside yet verified: wrong
            sample(300, 350, Outcome::Refused),              // outside yet refused: wrong
            sample(0, 50, Outcome::CrossTalk("x".into())),   // always wrong
            sample(0, 50, Outcome::Failed("status".into())), // always wrong
        ];
        let mut counts = Counts::default();
        let mut problems = Vec::new();
        classify(&samples, &windows, &mut counts, &mut problems);
        assert_eq!(counts.proxy, 8);
        assert_eq!(counts.ok, 2);
        assert_eq!(counts.ok_near_fault, 1);
        assert_eq!(counts.injected_failures, 2);
        assert_eq!(counts.cross_talk, 1);
        assert_eq!(counts.unexpected, 3);
        assert_eq!(problems.len(), 4);
    }
}
