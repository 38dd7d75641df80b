//! `og dev` as a process: the official `openai` Python SDK against it, the demo, and
//! a graceful stop on SIGTERM.
//!
//! The Python test runs `tests/openai_client.py` under `OG_PYTHON` (set by `cargo
//! xtask test`, whose venv installs `openai` from `xtask/python-requirements.txt`);
//! without it, `python3`. `OG_SKIP_CPYTHON=1` skips it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `og dev`, killed on drop if still running.
struct Dev {
    child: Child,
    listening: String,
    relay: String,
    tee_id: String,
    tee_record: PathBuf,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()))
}

/// Starts `og dev --port 0` and reads its banner up to the export lines.
fn start_dev(extra: &[&str]) -> Dev {
    let tee_record = temp_path("og-dev-tee.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_og"))
        .args(["dev", "--port", "0", "--tee-out"])
        .arg(&tee_record)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("og dev starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut listening, mut relay, mut tee_id) = (None, None, None);
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in lines.by_ref() {
        let line = line.expect("og dev's output");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["relay:", url, ..] => relay = Some(url.to_string()),
            ["tee_id:", id] => tee_id = Some(id.to_string()),
            ["listening", "on", url] => listening = Some(url.to_string()),
            _ => {}
        }
        if line.starts_with("export OPENAI_API_KEY=") || Instant::now() > deadline {
            break;
        }
    }
    // Keep draining stdout so og dev never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Dev {
        child,
        listening: listening.expect("a `listening on` line"),
        relay: relay.expect("a relay line"),
        tee_id: tee_id.expect("a tee_id line"),
        tee_record,
    }
}

#[test]
fn the_openai_python_sdk_works_against_og_dev() {
    if std::env::var("OG_SKIP_CPYTHON").as_deref() == Ok("1") {
        eprintln!("skipped: OG_SKIP_CPYTHON=1 (the openai SDK test needs Python with `openai`)");
        return;
    }
    let python = std::env::var_os("OG_PYTHON").unwrap_or_else(|| "python3".into());
    let has_openai = Command::new(&python)
        .args(["-c", "import openai"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_openai,
        "{} cannot import `openai`: run through `cargo xtask test` (it prepares target/og-python \
         with xtask/python-requirements.txt and sets OG_PYTHON), set OG_PYTHON to a Python with \
         openai installed, or set OG_SKIP_CPYTHON=1 to skip this test",
        python.to_string_lossy()
    );
    let script = temp_path("og-dev-script.json");
    std::fs::write(
        &script,
        r#"[{"tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]},
            {"tool_calls": [{"id": "call_2", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]}]"#,
    )
    .unwrap();
    let dev = start_dev(&["--script", script.to_str().unwrap()]);
    let record = std::fs::read_to_string(&dev.tee_record).expect("the TEE record was written");
    assert!(record.contains(&dev.tee_id));

    let out = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/openai_client.py"
        ))
        .env("OPENAI_BASE_URL", format!("{}/v1", dev.listening))
        .env("OPENAI_API_KEY", "og-local")
        .env("OG_RELAY_URL", &dev.relay)
        .env("OG_TEE_ID", &dev.tee_id)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("all openai SDK checks passed"), "{stdout}");
}

#[test]
fn og_dev_demo_exits_zero() {
    let tee = temp_path("og-dev-demo-tee.json");
    let out = Command::new(env!("CARGO_BIN_EXE_og"))
        .args(["dev", "--demo", "--port", "0", "--tee-out"])
        .arg(&tee)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("demo passed"), "{stdout}");
    assert!(stdout.contains("export OPENAI_BASE_URL=http://127.0.0.1:"));
    assert!(tee.exists());

    // With a fault that breaks verification, the demo fails (exit 1).
    let out = Command::new(env!("CARGO_BIN_EXE_og"))
        .args([
            "dev",
            "--demo",
            "--port",
            "0",
            "--fault",
            "wrong-key",
            "--tee-out",
        ])
        .arg(&tee)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[cfg(unix)]
#[test]
fn og_dev_stops_gracefully_on_sigterm() {
    let mut dev = start_dev(&[]);
    // A request works, then SIGTERM (to this child only, by its pid).
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let health = agent
        .get(&format!("{}/health", dev.listening))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let pid = dev.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = dev.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "og dev did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    // The port is closed.
    assert!(
        agent
            .get(&format!("{}/health", dev.listening))
            .call()
            .is_err()
    );
}
