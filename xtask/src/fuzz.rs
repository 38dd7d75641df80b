//! `cargo xtask fuzz`: the libFuzzer targets in `fuzz/` (a cargo-fuzz project outside
//! the workspace) and their seed corpora.
//!
//! - `cargo xtask fuzz seeds` writes `fuzz/seeds/<target>/` from the conformance vectors
//!   in `testdata/vectors/` (committed; rerun it when the vectors or the input formats
//!   of `fuzz/src/lib.rs` change).
//! - `cargo xtask fuzz [--seconds N] [TARGET...]` checks that `cargo fuzz` is
//!   installed, builds every target once (AddressSanitizer on stable through
//!   `RUSTC_BOOTSTRAP=1`, or no sanitizer when that build fails or `--sanitizer none`
//!   is given), then runs each target for N seconds (default 10) on its corpus
//!   (`fuzz/corpus/<target>`, seeded from `fuzz/seeds/<target>`), and fails when a
//!   target crashes, naming the artifact.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use og_ohttp_core::{ClientRequest, KeyConfig, Recipient, ServerResponse, Suite};
use serde_json::Value as J;

/// The fuzz targets (files in `fuzz/fuzz_targets/`).
pub const TARGETS: &[&str] = &[
    "chunked_decrypter",
    "response_open",
    "key_config",
    "decapsulate",
    "pyjson",
    "build_inner_request",
    "sse_accumulator",
    "verify_response",
    "registry_decoder",
];

/// The vector cases whose keys the targets use (must match `fuzz/src/lib.rs`).
const CHUNKED_CASE: &str = "truncated_missing_final";
const RESPONSE_CASE: &str = "flipped_ciphertext_bit";
const REQUEST_CASE: &str = "decap_flipped_ciphertext_bit";

/// Seeds larger than this are left out (libFuzzer's default `-max_len` follows the
/// largest corpus file, and big inputs slow every target down).
const MAX_SEED_LEN: usize = 32 * 1024;

/// The SSE target parses every frame as JSON: its seeds are kept smaller still.
const MAX_SSE_SEED_LEN: usize = 8 * 1024;

/// The separator byte of the `sse_accumulator` seeds (first byte of each input).
const SSE_SEPARATOR: u8 = 0xff;

const USAGE: &str = "usage: cargo xtask fuzz [--seconds N] [--sanitizer address|none] [--rss-limit-mb MB] [TARGET...]
       cargo xtask fuzz seeds

Needs cargo-fuzz: cargo install --locked cargo-fuzz";

/// Options of a fuzzing run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Seconds per target.
    pub seconds: u64,
    /// `Some("none")` or `Some("address")` to force a sanitizer; `None`: AddressSanitizer,
    /// falling back to none when that build fails.
    pub sanitizer: Option<String>,
    /// libFuzzer's `-rss_limit_mb`.
    pub rss_limit_mb: u64,
    /// Targets to run (all when empty).
    pub targets: Vec<String>,
}

/// What one target's run came to.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// The target.
    pub target: String,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// `stat::number_of_executed_units` (or the `#N DONE` count).
    pub executions: Option<u64>,
    /// Files in `fuzz/corpus/<target>` after the run.
    pub corpus_files: usize,
    /// Files in `fuzz/corpus/<target>` before the run (seeds included).
    pub corpus_files_before: usize,
    /// Crash, leak, timeout or OOM inputs written by this run.
    pub artifacts: Vec<PathBuf>,
    /// Whether libFuzzer exited successfully and wrote no artifact.
    pub ok: bool,
    /// The sanitizer the target was built with (`address` or `none`).
    pub sanitizer: String,
}

/// `cargo xtask fuzz ...`.
pub fn main(args: &[String]) -> Result<()> {
    let root = crate::workspace_root();
    if args.first().map(String::as_str) == Some("seeds") {
        if args.len() > 1 {
            bail!("`fuzz seeds` takes no arguments\n\n{USAGE}");
        }
        let written = write_seeds(&root)?;
        let mut total = 0;
        for (target, (files, bytes)) in &written {
            println!("fuzz/seeds/{target}: {files} files, {bytes} bytes");
            total += bytes;
        }
        println!("total {total} bytes");
        return Ok(());
    }
    let opts = parse_args(args)?;
    let reports = run(&root, &opts)?;
    println!("\n{}", summary(&reports));
    let failed: Vec<_> = reports.iter().filter(|r| !r.ok).collect();
    if failed.is_empty() {
        return Ok(());
    }
    for r in &failed {
        eprintln!("fuzz target {} failed", r.target);
        let env = if r.sanitizer == "address" {
            "RUSTC_BOOTSTRAP=1 "
        } else {
            ""
        };
        for a in &r.artifacts {
            eprintln!("  artifact: {}", a.display());
            eprintln!(
                "  reproduce: {env}cargo fuzz run -s {} {} {}",
                r.sanitizer,
                r.target,
                a.display()
            );
            eprintln!(
                "  minimize:  {env}cargo fuzz tmin -s {} {} {}",
                r.sanitizer,
                r.target,
                a.display()
            );
        }
    }
    bail!(
        "{} fuzz target(s) failed: {}",
        failed.len(),
        failed
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn parse_args(args: &[String]) -> Result<RunOptions> {
    let mut opts = RunOptions {
        seconds: 10,
        sanitizer: None,
        rss_limit_mb: 2048,
        targets: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| anyhow!("{name} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--seconds" => {
                opts.seconds = value("--seconds")?
                    .parse()
                    .context("--seconds takes a whole number")?;
            }
            "--rss-limit-mb" => {
                opts.rss_limit_mb = value("--rss-limit-mb")?
                    .parse()
                    .context("--rss-limit-mb takes a whole number")?;
            }
            "--sanitizer" => {
                let s = value("--sanitizer")?;
                if s != "address" && s != "none" {
                    bail!("--sanitizer is `address` or `none`, not {s:?}");
                }
                opts.sanitizer = Some(s);
            }
            "-h" | "--help" => bail!("{USAGE}"),
            t if TARGETS.contains(&t) => opts.targets.push(t.to_owned()),
            other => bail!(
                "unknown argument {other:?} (targets: {})\n\n{USAGE}",
                TARGETS.join(", ")
            ),
        }
    }
    if opts.targets.is_empty() {
        opts.targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    Ok(opts)
}

/// A `cargo fuzz ...` command run from the workspace root on `fuzz/`, with the
/// environment cleaned of what would move its target directory.
fn cargo_fuzz(root: &Path, sanitizer: &str) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut c = Command::new(cargo);
    c.current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    if sanitizer == "address" {
        // -Zsanitizer=address on a stable toolchain.
        c.env("RUSTC_BOOTSTRAP", "1");
    }
    c.arg("fuzz");
    c
}

/// Builds every target once, runs the selected ones; the reports in order.
pub fn run(root: &Path, opts: &RunOptions) -> Result<Vec<TargetReport>> {
    let probe = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["fuzz", "--version"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    match probe {
        Ok(o) if o.status.success() => {
            print!("using {}", String::from_utf8_lossy(&o.stdout));
        }
        _ => bail!(
            "`cargo fuzz` is not available: install it with `cargo install --locked cargo-fuzz` \
             (a stable toolchain is enough; this task does not install anything itself)"
        ),
    }

    let seeds = root.join("fuzz/seeds");
    if opts.targets.iter().any(|t| !seeds.join(t).is_dir()) {
        println!("fuzz/seeds is incomplete: generating it from testdata/vectors");
        write_seeds(root)?;
    }

    // Build all targets once.
    let fuzz_dir = root.join("fuzz");
    let build = |sanitizer: &str| -> Result<bool> {
        let t = Instant::now();
        println!("=== cargo fuzz build -s {sanitizer} (all targets)");
        let status = cargo_fuzz(root, sanitizer)
            .args(["build", "-s", sanitizer, "--fuzz-dir"])
            .arg(&fuzz_dir)
            .status()
            .context("cannot run cargo fuzz build")?;
        println!(
            "=== build {} in {:.0} s",
            if status.success() { "done" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        Ok(status.success())
    };
    let sanitizer = match opts.sanitizer.as_deref() {
        Some(s) => {
            if !build(s)? {
                bail!("cargo fuzz build -s {s} failed");
            }
            s.to_owned()
        }
        None => {
            if build("address")? {
                "address".to_owned()
            } else {
                eprintln!(
                    "warning: the AddressSanitizer build failed (see above); \
                     falling back to `-s none` (no sanitizer)"
                );
                if !build("none")? {
                    bail!("cargo fuzz build failed with and without AddressSanitizer");
                }
                "none".to_owned()
            }
        }
    };

    let mut reports = Vec::new();
    for target in &opts.targets {
        reports.push(run_target(root, target, &sanitizer, opts)?);
    }
    Ok(reports)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .count()
        })
        .unwrap_or(0)
}

fn run_target(
    root: &Path,
    target: &str,
    sanitizer: &str,
    opts: &RunOptions,
) -> Result<TargetReport> {
    let corpus = root.join("fuzz/corpus").join(target);
    let seeds = root.join("fuzz/seeds").join(target);
    let artifacts = root.join("fuzz/artifacts").join(target);
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    std::fs::create_dir_all(&artifacts)?;
    for entry in
        std::fs::read_dir(&seeds).with_context(|| format!("reading {}", seeds.display()))?
    {
        let entry = entry?;
        let dest = corpus.join(entry.file_name());
        if !dest.exists() {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    let before_artifacts: Vec<PathBuf> = list(&artifacts);
    let corpus_files_before = count_files(&corpus);

    println!(
        "\n=== fuzz {target}: {} s, corpus {} files",
        opts.seconds, corpus_files_before
    );
    let started = Instant::now();
    let mut child = cargo_fuzz(root, sanitizer)
        .args(["run", "-s", sanitizer, "--fuzz-dir"])
        .arg(root.join("fuzz"))
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={}", opts.seconds))
        .arg(format!("-rss_limit_mb={}", opts.rss_limit_mb))
        .arg("-timeout=30")
        .arg("-print_final_stats=1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run cargo fuzz run")?;
    let mut executions = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            eprintln!("{line}");
            if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                executions = n.trim().parse().ok();
            } else if executions.is_none()
                && line.starts_with('#')
                && line.contains("DONE")
                && let Some(n) = line
                    .trim_start_matches('#')
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
            {
                executions = Some(n);
            }
        }
    }
    let status = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let new_artifacts: Vec<PathBuf> = list(&artifacts)
        .into_iter()
        .filter(|p| !before_artifacts.contains(p))
        .collect();
    Ok(TargetReport {
        target: target.to_owned(),
        seconds,
        executions,
        corpus_files: count_files(&corpus),
        corpus_files_before,
        ok: status.success() && new_artifacts.is_empty(),
        artifacts: new_artifacts,
        sanitizer: sanitizer.to_owned(),
    })
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A plain-text table of the reports.
pub fn summary(reports: &[TargetReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<22} {:>8} {:>12} {:>10} {:>14}  result",
        "target", "seconds", "executions", "exec/s", "corpus (start)"
    );
    for r in reports {
        let execs = r.executions.map_or("?".to_owned(), |n| n.to_string());
        let rate = r.executions.map_or("?".to_owned(), |n| {
            format!("{:.0}", n as f64 / r.seconds.max(0.001))
        });
        let _ = writeln!(
            s,
            "{:<22} {:>8.0} {:>12} {:>10} {:>14}  {}",
            r.target,
            r.seconds,
            execs,
            rate,
            format!("{} ({})", r.corpus_files, r.corpus_files_before),
            if r.ok {
                "ok".to_owned()
            } else if r.artifacts.is_empty() {
                "FAILED".to_owned()
            } else {
                format!("CRASH: {}", r.artifacts.len())
            }
        );
    }
    s
}

// ---------------------------------------------------------------------------------
// Seeds

/// Seed inputs per target: file name -> bytes (deduplicated by content).
#[derive(Default)]
struct Seeds {
    by_target: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
}

impl Seeds {
    fn add(&mut self, target: &'static str, name: &str, bytes: Vec<u8>) {
        let max = if target == "sse_accumulator" {
            MAX_SSE_SEED_LEN
        } else {
            MAX_SEED_LEN
        };
        if bytes.len() > max {
            return;
        }
        let files = self.by_target.entry(target).or_default();
        if files.values().any(|b| *b == bytes) {
            return;
        }
        let mut clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if files.contains_key(&clean) {
            clean = format!("{clean}-{}", files.len());
        }
        files.insert(clean, bytes);
    }
}

fn read_cases(root: &Path, file: &str) -> Result<Vec<J>> {
    let path = root.join("testdata/vectors").join(file);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: J = serde_json::from_str(&text).with_context(|| format!("parsing {file}"))?;
    doc.get("cases")
        .and_then(J::as_array)
        .cloned()
        .ok_or_else(|| anyhow!("{file} has no cases"))
}

fn s<'a>(v: &'a J, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(J::as_str)
        .ok_or_else(|| anyhow!("field {key} missing or not a string"))
}

fn h(v: &J, key: &str) -> Result<Vec<u8>> {
    hex::decode(s(v, key)?).with_context(|| format!("field {key} is not hex"))
}

fn name(v: &J) -> &str {
    v.get("name").and_then(J::as_str).unwrap_or("case")
}

fn find<'a>(cases: &'a [J], case: &str) -> Result<&'a J> {
    cases
        .iter()
        .find(|c| name(c) == case)
        .ok_or_else(|| anyhow!("vector case {case} is missing"))
}

const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

/// A `chunked_decrypter` input: default limits, the stream in pieces of `lens`.
fn chunked_input(stream: &[u8], lens: &[u16], small_limits: Option<(u16, u16)>) -> Vec<u8> {
    let lens = &lens[..lens.len().min(15)];
    let mut out = vec![lens.len() as u8 | if small_limits.is_some() { 0x80 } else { 0 }];
    if let Some((max_chunk, max_total)) = small_limits {
        out.extend(max_chunk.to_le_bytes());
        out.extend(max_total.to_le_bytes());
    }
    for l in lens {
        out.extend(l.to_le_bytes());
    }
    out.extend_from_slice(stream);
    out
}

/// A `sse_accumulator` input.
fn sse_input(frames: &[Vec<u8>], limits: u8) -> Vec<u8> {
    let mut out = vec![SSE_SEPARATOR, limits];
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(SSE_SEPARATOR);
        }
        out.extend_from_slice(f);
    }
    out
}

/// Every target's seeds, from the vectors.
fn build_seeds(root: &Path) -> Result<Seeds> {
    let mut seeds = Seeds::default();
    let chunked = read_cases(root, "ohttp_chunked.json")?;
    let response = read_cases(root, "ohttp_response.json")?;
    let request = read_cases(root, "ohttp_request.json")?;
    let canon = read_cases(root, "canon.json")?;
    let content = read_cases(root, "response_content.json")?;
    let stream = read_cases(root, "stream_accumulate.json")?;
    let verify = read_cases(root, "verify.json")?;
    let e2e = read_cases(root, "end_to_end.json")?;
    let rfc = read_cases(root, "external/ohttp_rfc9458_appendix_a.json")?;

    // Streams of frames (bytes) from every source, for the chunked and SSE targets.
    let mut frame_sets: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for c in &chunked {
        if let Some(J::Array(frames)) = c.get("frames") {
            let frames = frames
                .iter()
                .map(|f| hex::decode(f.as_str().unwrap_or_default()))
                .collect::<Result<Vec<_>, _>>()
                .context("ohttp_chunked frames")?;
            frame_sets.push((format!("chunked-{}", name(c)), frames));
        }
    }
    for c in &stream {
        if let Some(J::Array(frames)) = c.get("frames_hex") {
            let frames = frames
                .iter()
                .map(|f| hex::decode(f.as_str().unwrap_or_default()))
                .collect::<Result<Vec<_>, _>>()
                .context("stream_accumulate frames_hex")?;
            frame_sets.push((format!("sse-{}", name(c)), frames));
        }
    }
    for c in &e2e {
        if let Some(J::Array(frames)) = c.get("gateway").and_then(|g| g.get("frames")) {
            let frames = frames
                .iter()
                .map(|f| f.as_str().unwrap_or_default().as_bytes().to_vec())
                .collect();
            frame_sets.push((format!("e2e-{}", name(c)), frames));
        }
    }

    // chunked_decrypter: the fixed context's own (negative) streams, and every frame
    // set re-encrypted for it, whole and in the vectors' splits.
    let base = find(&chunked, CHUNKED_CASE)?;
    let (enc, secret) = (h(base, "enc")?, h(base, "chunked_response_secret")?);
    let server = ServerResponse::from_secrets(SUITE, &enc, &[0u8; 32], &secret)?;
    for c in &chunked {
        if h(c, "enc")? == enc && h(c, "chunked_response_secret")? == secret {
            seeds.add(
                "chunked_decrypter",
                &format!("vector-{}", name(c)),
                chunked_input(&h(c, "stream")?, &[], None),
            );
        }
    }
    for (i, (label, frames)) in frame_sets.iter().enumerate() {
        let Some((last, rest)) = frames.split_last() else {
            continue;
        };
        let nonce: [u8; 32] = core::array::from_fn(|j| (i * 31 + j) as u8);
        let mut e = server.chunked_encrypter(&nonce)?;
        let mut out = Vec::new();
        for f in rest {
            out.extend(e.seal_chunk(f)?);
        }
        out.extend(e.seal_final(last)?);
        seeds.add("chunked_decrypter", label, chunked_input(&out, &[], None));
        if i % 4 == 0 {
            // Nonce alone, then a byte, then chunk-sized pieces.
            let pieces = [32u16, 1, 1, 40, 7];
            seeds.add(
                "chunked_decrypter",
                &format!("{label}-split"),
                chunked_input(&out, &pieces, None),
            );
            seeds.add(
                "chunked_decrypter",
                &format!("{label}-limits"),
                chunked_input(&out, &[33], Some((200, 2000))),
            );
        }
    }

    // response_open: the fixed context's negatives, and plaintexts sealed for it.
    let base = find(&response, RESPONSE_CASE)?;
    let (enc, secret) = (h(base, "enc")?, h(base, "response_secret")?);
    let server = ServerResponse::from_secrets(SUITE, &enc, &secret, &[0u8; 32])?;
    let mut plaintexts: Vec<(String, Vec<u8>)> = Vec::new();
    for c in &response {
        if h(c, "enc")? == enc && h(c, "response_secret")? == secret {
            seeds.add(
                "response_open",
                &format!("vector-{}", name(c)),
                h(c, "response")?,
            );
        } else if c.get("plaintext").is_some() {
            plaintexts.push((name(c).to_owned(), h(c, "plaintext")?));
        }
    }
    for c in &e2e {
        if let Some(t) = c
            .get("gateway")
            .and_then(|g| g.get("inner_plaintext_text"))
            .and_then(J::as_str)
        {
            plaintexts.push((format!("e2e-{}", name(c)), t.as_bytes().to_vec()));
        }
    }
    for c in &rfc {
        plaintexts.push((format!("rfc9458-{}", name(c)), h(c, "response_plaintext")?));
    }
    for (i, (label, pt)) in plaintexts.iter().enumerate() {
        let nonce: [u8; 32] = core::array::from_fn(|j| (i * 17 + j) as u8);
        seeds.add("response_open", label, server.seal_with_nonce(pt, &nonce)?);
    }

    // decapsulate: the fixed key's negatives, and requests encapsulated to it.
    let base = find(&request, REQUEST_CASE)?;
    let key_id = u8::try_from(base.get("key_id").and_then(J::as_u64).unwrap_or(1))?;
    let sk = h(base, "skR")?;
    let recipient = Recipient::new(key_id, SUITE, &sk)?;
    let client = ClientRequest::new(key_id, SUITE, recipient.public_key())?;
    for c in &request {
        if c.get("skR")
            .and_then(J::as_str)
            .map(hex::decode)
            .transpose()?
            == Some(sk.clone())
            && c.get("request").is_some()
        {
            seeds.add(
                "decapsulate",
                &format!("vector-{}", name(c)),
                h(c, "request")?,
            );
        }
    }
    let mut request_plaintexts: Vec<(String, Vec<u8>)> = Vec::new();
    for c in &request {
        if c.get("expect_error").is_none() && c.get("plaintext").is_some() {
            request_plaintexts.push((name(c).to_owned(), h(c, "plaintext")?));
        }
    }
    for c in &e2e {
        if let Some(t) = c
            .get("client")
            .and_then(|g| g.get("request_plaintext_text"))
            .and_then(J::as_str)
        {
            request_plaintexts.push((format!("e2e-{}", name(c)), t.as_bytes().to_vec()));
        }
    }
    for (i, (label, pt)) in request_plaintexts.iter().enumerate() {
        let sk_e: [u8; 32] = core::array::from_fn(|j| (i * 13 + j + 1) as u8);
        let (req, _) = client.encapsulate_deterministic_for_tests(pt, &sk_e)?;
        seeds.add("decapsulate", label, req);
    }

    // key_config: the vectors' configs, configs for every vector key, and lists.
    let mut configs: Vec<(String, Vec<u8>)> = Vec::new();
    for c in &e2e {
        if let Some(kc) = c
            .get("endpoint")
            .and_then(|e| e.get("ohttp"))
            .and_then(|o| o.get("key_config"))
            .and_then(J::as_str)
        {
            configs.push((format!("e2e-{}", name(c)), hex::decode(kc)?));
        }
    }
    for c in &rfc {
        configs.push((format!("rfc9458-{}", name(c)), h(c, "key_config")?));
    }
    let mut parsed = Vec::new();
    for c in &request {
        if let (Ok(pk), Some(id)) = (h(c, "pkR"), c.get("key_id").and_then(J::as_u64)) {
            let id = u8::try_from(id)?;
            if let Ok(k) = KeyConfig::new(id, 0x0020, &pk, &[(1, 3)]) {
                configs.push((format!("request-{}", name(c)), k.to_bytes()));
                parsed.push(k);
            }
            if let Ok(k) = KeyConfig::new(id, 0x0020, &pk, &[(1, 1), (1, 2), (1, 3), (2, 3)]) {
                configs.push((format!("request-{}-multi", name(c)), k.to_bytes()));
            }
        }
    }
    for (label, bytes) in &configs {
        seeds.add("key_config", label, bytes.clone());
        // As a one-element list too.
        let mut list = (bytes.len() as u16).to_be_bytes().to_vec();
        list.extend_from_slice(bytes);
        seeds.add("key_config", &format!("list-{label}"), list);
    }
    if !parsed.is_empty() {
        seeds.add("key_config", "list-all", KeyConfig::list_to_bytes(&parsed)?);
        // A list with a P-256 (KEM 0x0010) config first, which a client skips.
        let mut p256 = vec![9u8, 0x00, 0x10, 0x04];
        p256.extend([0x42; 64]);
        p256.extend([0x00, 0x04, 0x00, 0x01, 0x00, 0x01]);
        let mut list = (p256.len() as u16).to_be_bytes().to_vec();
        list.extend(&p256);
        list.extend(KeyConfig::list_to_bytes(&parsed[..1])?);
        seeds.add("key_config", "list-skipped-p256", list);
    }

    // JSON texts: pyjson gets them all; build_inner_request the request bodies.
    let mut texts: Vec<(String, String)> = Vec::new();
    for c in &canon {
        if let Ok(t) = s(c, "input_body_text") {
            seeds.add(
                "build_inner_request",
                &format!("canon-{}", name(c)),
                t.as_bytes().to_vec(),
            );
            texts.push((format!("canon-{}", name(c)), t.to_owned()));
        }
        if let Some(exp) = c.get("expected") {
            for key in ["wire_text", "canonical_text"] {
                if let Ok(t) = s(exp, key) {
                    texts.push((format!("canon-{}-{key}", name(c)), t.to_owned()));
                    if key == "wire_text" {
                        seeds.add(
                            "build_inner_request",
                            &format!("canon-{}-wire", name(c)),
                            t.as_bytes().to_vec(),
                        );
                    }
                }
            }
        }
    }
    for c in &e2e {
        if let Ok(t) = s(c, "request_body_text") {
            seeds.add(
                "build_inner_request",
                &format!("e2e-{}", name(c)),
                t.as_bytes().to_vec(),
            );
            texts.push((format!("e2e-{}-request", name(c)), t.to_owned()));
        }
        if let Some(t) = c
            .get("gateway")
            .and_then(|g| g.get("inner_plaintext_text"))
            .and_then(J::as_str)
        {
            texts.push((format!("e2e-{}-inner", name(c)), t.to_owned()));
        }
    }
    for c in &content {
        if let Ok(t) = s(c, "response_body_text") {
            texts.push((format!("content-{}", name(c)), t.to_owned()));
        }
    }
    for c in &verify {
        for key in ["response_body_text", "canonical_text"] {
            if let Ok(t) = s(c, key) {
                texts.push((format!("verify-{}-{key}", name(c)), t.to_owned()));
            }
        }
        if let Ok(t) = s(c, "response_body_text") {
            seeds.add(
                "verify_response",
                &format!("verify-{}", name(c)),
                t.as_bytes().to_vec(),
            );
        }
    }
    for (label, frames) in &frame_sets {
        for (j, f) in frames.iter().enumerate() {
            let text = String::from_utf8_lossy(f);
            for line in text.lines() {
                if let Some(payload) = line.strip_prefix("data:") {
                    let payload = payload.trim();
                    if payload.starts_with('{') {
                        texts.push((format!("{label}-frame{j}"), payload.to_owned()));
                    }
                }
            }
        }
    }
    for (label, t) in texts {
        seeds.add("pyjson", &label, t.into_bytes());
    }

    registry_seeds(root, &mut seeds)?;

    // sse_accumulator: every frame set, with the default limits and with small ones.
    for (i, (label, frames)) in frame_sets.iter().enumerate() {
        seeds.add("sse_accumulator", label, sse_input(frames, 0));
        if i % 3 == 0 {
            seeds.add(
                "sse_accumulator",
                &format!("{label}-limits"),
                sse_input(frames, 0x80 | 0x04 | (1 << 3) | (1 << 5)),
            );
        }
    }
    Ok(seeds)
}

/// registry_decoder: `getActiveTEEs` / `getTEE` return data for records built from
/// the vectors' keys, one malformed in each way PROTOCOL §6 names.
fn registry_seeds(root: &Path, seeds: &mut Seeds) -> Result<()> {
    use og_sim::chain::{RecordOhttp, TeeRecord, encode_active_tees, encode_tee};
    let key = read_cases(root, "verify.json")?
        .iter()
        .find_map(|c| c.get("spki_der").and_then(J::as_str).map(str::to_owned))
        .ok_or_else(|| anyhow!("verify.json: no key case with spki_der"))?;
    let key = hex::decode(key)?;
    let ohttp_public = Recipient::derive(1, Suite::X25519_SHA256_CHACHA20POLY1305, b"registry")
        .public_key()
        .to_vec();
    let config = KeyConfig::new(1, 0x0020, &ohttp_public, &[(1, 3)])?;
    let good = TeeRecord {
        endpoint: "https://tee.example".into(),
        public_key: key,
        tls_certificate: b"cert".to_vec(),
        pcr_hash: [0xaa; 32],
        tee_type: 0,
        enabled: true,
        heartbeat: 1_795_000_000,
        ohttp: Some(RecordOhttp {
            key_id: 1,
            kem_id: 0x20,
            kdf_id: 1,
            aead_id: 3,
            public_key: ohttp_public,
            key_config: config.to_bytes(),
        }),
        payment_address: [0x11; 20],
    };
    let mut variants = vec![("good", good.clone())];
    let mut v = good.clone();
    v.ohttp = None;
    variants.push(("no-ohttp", v));
    let mut v = good.clone();
    if let Some(o) = v.ohttp.as_mut() {
        o.public_key.truncate(31);
        o.key_config.clear();
    }
    variants.push(("short-key", v));
    let mut v = good.clone();
    if let Some(o) = v.ohttp.as_mut() {
        o.key_id = 9;
    }
    variants.push(("config-disagrees", v));
    let mut v = good.clone();
    v.endpoint.clear();
    variants.push(("empty-endpoint", v));
    let mut v = good.clone();
    v.tls_certificate.clear();
    variants.push(("no-tls", v));
    let mut v = good.clone();
    v.tee_type = 1;
    variants.push(("validator", v));
    let mut v = good.clone();
    v.public_key.truncate(40);
    variants.push(("bad-signing-key", v));
    for (label, record) in &variants {
        seeds.add(
            "registry_decoder",
            &format!("active-{label}"),
            encode_active_tees(std::slice::from_ref(record)),
        );
        seeds.add(
            "registry_decoder",
            &format!("tee-{label}"),
            encode_tee(record),
        );
    }
    let all: Vec<TeeRecord> = variants.into_iter().map(|(_, r)| r).collect();
    seeds.add("registry_decoder", "active-all", encode_active_tees(&all));
    seeds.add("registry_decoder", "active-empty", encode_active_tees(&[]));
    Ok(())
}

/// Rewrites `fuzz/seeds/<target>/` for every target; returns (files, bytes) per target.
pub fn write_seeds(root: &Path) -> Result<BTreeMap<String, (usize, usize)>> {
    let seeds = build_seeds(root)?;
    let mut written = BTreeMap::new();
    for target in TARGETS {
        let dir = root.join("fuzz/seeds").join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
        let files = seeds
            .by_target
            .get(target)
            .ok_or_else(|| anyhow!("no seeds for {target}"))?;
        let mut bytes = 0;
        for (name, data) in files {
            std::fs::write(dir.join(name), data)?;
            bytes += data.len();
        }
        written.insert((*target).to_owned(), (files.len(), bytes));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_a_source_file_and_seeds() {
        let root = crate::workspace_root();
        let seeds = build_seeds(&root).unwrap();
        for t in TARGETS {
            assert!(
                root.join("fuzz/fuzz_targets")
                    .join(format!("{t}.rs"))
                    .is_file(),
                "{t}"
            );
            assert!(seeds.by_target.get(t).is_some_and(|s| s.len() >= 5), "{t}");
        }
    }

    #[test]
    fn arguments() {
        let o = parse_args(&["--seconds".into(), "3".into(), "pyjson".into()]).unwrap();
        assert_eq!(
            (o.seconds, o.targets.as_slice()),
            (3, &["pyjson".to_owned()][..])
        );
        assert_eq!(parse_args(&[]).unwrap().targets.len(), TARGETS.len());
        assert!(parse_args(&["nope".into()]).is_err());
        assert!(parse_args(&["--sanitizer".into(), "memory".into()]).is_err());
    }
}
