//! The `og` binary: help, tees, canon, chat and verify (against og-sim).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

use common::og;
use og_canon::Value;
use og_sim::{Fault, Sim};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = og()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("og runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A fresh directory under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "og-cli-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["chat", "--help"],
        &["serve", "--help"],
        &["verify", "--help"],
        &["canon", "--help"],
        &["dev", "--help"],
        &["tees", "--help"],
    ] {
        let o = run(args, b"");
        assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("Usage: og"), "{args:?}");
    }
    let o = run(&["serve", "--help"], b"");
    assert!(text(&o.stdout).contains("8765"));
    let o = run(&["frobnicate"], b"");
    assert_eq!(code(&o), 2);
}

/// A URL on which nothing listens.
fn refusing_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

#[test]
fn tees_with_a_registry_node_that_is_down_fails_clearly() {
    let rpc = refusing_url();
    let o = run(&["tees", "--rpc-url", &rpc], b"");
    assert_eq!(code(&o), 3, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!("the registry's RPC node {rpc} failed")),
        "{}",
        text(&o.stderr)
    );
    let o = run(&["tees", "--registry", "0x1234"], b"");
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("invalid registry configuration"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn without_a_tee_record_chat_and_serve_use_the_registry() {
    let rpc = refusing_url();
    let o = run(
        &[
            "chat",
            "--relay",
            "http://127.0.0.1:9",
            "--rpc-url",
            &rpc,
            "hi",
        ],
        b"",
    );
    assert_eq!(code(&o), 3, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("registry's RPC node"),
        "{}",
        text(&o.stderr)
    );
    let o = run(
        &[
            "serve",
            "--tee",
            "/nonexistent/tee.json",
            "--relay",
            "http://127.0.0.1:9",
        ],
        b"",
    );
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("cannot read the TEE record"));
}

#[test]
fn a_config_file_sets_options_and_flags_override_it() {
    let sim = Sim::start().unwrap();
    let dir = temp_dir("config");
    let tee = write(&dir, "tee.json", sim.tee_endpoint().to_record_json());
    let token = write(&dir, "token", format!("{}\n", og_sim::DEFAULT_TOKEN));
    let config = write(
        &dir,
        "og.json",
        format!(
            r#"{{"relay": "{}", "tee": "{tee}", "token_file": "{token}", "total_timeout": 20}}"#,
            sim.relay_url()
        ),
    );
    let o = run(&["chat", "--config", &config, "from the config"], b"");
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "You said: from the config");
    // A flag beats the file: a wrong relay given on the command line is used.
    let o = run(
        &[
            "chat",
            "--config",
            &config,
            "--relay",
            &refusing_url(),
            "hi",
        ],
        b"",
    );
    assert_eq!(code(&o), 3, "{}", text(&o.stderr));
    // The environment names the file too.
    let o = og()
        .args(["chat", "via env"])
        .env("OG_CONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    // A token in the file is refused without echoing it; unknown keys are named.
    let bad = write(&dir, "bad.json", r#"{"token": "s3cret-token"}"#);
    let o = run(&["chat", "--config", &bad, "hi"], b"");
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("token_file") && !text(&o.stderr).contains("s3cret"));
    let typo = write(&dir, "typo.json", r#"{"rellay": "x"}"#);
    let o = run(&["chat", "--config", &typo, "hi"], b"");
    assert_eq!(code(&o), 2);
    assert!(
        text(&o.stderr).contains("unknown key \"rellay\""),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn canon_matches_og_canon() {
    let bodies = [
        r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello!"}]}"#,
        r#"{"model": "m", "temperature": 1, "max_tokens": 5, "stream": true, "top_p": 0.5, "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "héllo 😀 \"quoted\" back\\slash"}]}"#,
        r#"{"model": "m", "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto", "messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}, {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c", "content": "42"}]}"#,
        r#"{"model": "m", "temperature": 1e-7, "messages": [{"role": "user", "content": "x"}]}"#,
        r#"{"model": "m", "messages": [{"role": "User", "content": "x"}]}"#,
        r#"{"model": "m"}"#,
        r#"{"model": "m", "messages": [{"role": "user", "content": null}]}"#,
        r#"{"model": "m", "messages": ["#,
        "",
        "[1, 2]",
    ];
    let input = bodies.join("\n") + "\n";
    let o = run(&["canon"], input.as_bytes());
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), bodies.len(), "{out}");
    for (body, line) in bodies.iter().zip(&lines) {
        let got = og_canon::parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let expected = og_canon::parse(body)
            .map_err(og_canon::Error::from)
            .and_then(|v| {
                let r = og_canon::build_inner_request(&v)?;
                Ok((r.wire_bytes(false), r.canonical_bytes(), r.request_hash()))
            });
        match expected {
            Ok((wire, canonical, hash)) => {
                // The wire is written byte for byte as the reference writes it.
                let prefix = [b"{\"wire\": ".as_slice(), &wire].concat();
                assert!(line.as_bytes().starts_with(&prefix), "{line}");
                assert_eq!(
                    got.get("canonical")
                        .and_then(Value::as_str)
                        .map(str::as_bytes),
                    Some(canonical.as_slice())
                );
                assert_eq!(
                    got.get("request_hash").and_then(Value::as_str),
                    Some(hex::encode(hash).as_str())
                );
                assert!(got.get("error").is_none());
            }
            Err(e) => {
                let err = got.get("error").unwrap_or_else(|| panic!("{line}"));
                if !body.trim().is_empty() {
                    assert_eq!(
                        err.get("category").and_then(Value::as_str),
                        Some(e.category()),
                        "{body}"
                    );
                }
                assert!(err.get("message").and_then(Value::as_str).is_some());
            }
        }
    }
    // --stream gives the streaming wire; canonical and hash are the same.
    let o = run(&["canon", "--stream"], bodies[0].as_bytes());
    let line = text(&o.stdout);
    assert!(
        line.contains(r#""temperature": 0.0, "stream": true}, "canonical""#),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn canon_is_fast() {
    // 100,000 small bodies; the time is printed (the report quotes a release build).
    let body = r#"{"model": "gpt-4.1", "temperature": 0.7, "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is the capital of France?"}]}"#;
    let mut input = String::with_capacity(100_000 * (body.len() + 1));
    for _ in 0..100_000 {
        input.push_str(body);
        input.push('\n');
    }
    let started = std::time::Instant::now();
    let o = run(&["canon"], input.as_bytes());
    let elapsed = started.elapsed();
    assert_eq!(code(&o), 0);
    assert_eq!(o.stdout.iter().filter(|&&b| b == b'\n').count(), 100_000);
    eprintln!("og canon: 100,000 bodies in {elapsed:?}");
    assert!(elapsed.as_secs() < 30, "{elapsed:?}");
}

/// A simulator, its TEE record on disk, and the common chat arguments.
struct ChatEnv {
    sim: Sim,
    dir: PathBuf,
    tee: String,
}

impl ChatEnv {
    fn new(name: &str) -> ChatEnv {
        let sim = Sim::start().unwrap();
        let dir = temp_dir(name);
        let tee = write(&dir, "tee.json", sim.tee_endpoint().to_record_json());
        ChatEnv { sim, dir, tee }
    }

    fn chat(&self, extra: &[&str], stdin: &[u8]) -> Output {
        let relay = self.sim.relay_url();
        let mut args = vec![
            "chat",
            "--relay",
            relay.as_str(),
            "--tee",
            self.tee.as_str(),
            "--token",
            og_sim::DEFAULT_TOKEN,
        ];
        args.extend_from_slice(extra);
        run(&args, stdin)
    }
}

#[test]
fn chat_prints_the_answer_then_the_proof() {
    let env = ChatEnv::new("chat");
    let tee_id = env.sim.keys().tee_id().to_string();

    let o = env.chat(&["Hello there"], b"");
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "You said: Hello there\n");
    let err = text(&o.stderr);
    assert!(err.contains(&tee_id), "{err}");
    assert!(
        err.contains("request_hash") && err.contains("output_hash") && err.contains("timestamp")
    );

    // The prompt from stdin, a system message, streamed (shown after verification).
    let o = env.chat(&["--stream", "--system", "be brief"], b"From stdin\n");
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "You said: From stdin\n");

    // Unverified streaming: tokens as they arrive, then the verdict.
    let o = env.chat(&["--unverified-stream", "one two three"], b"");
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "You said: one two three\n");
    assert!(
        text(&o.stderr).contains("=== VERIFIED"),
        "{}",
        text(&o.stderr)
    );

    // --json is an exchange `og verify` re-checks offline.
    for mode in [&[][..], &["--stream"][..]] {
        let mut args = vec!["--json"];
        args.extend_from_slice(mode);
        args.push("keep me");
        let o = env.chat(&args, b"");
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
        let exchange = og_canon::parse(text(&o.stdout).trim()).unwrap();
        assert_eq!(
            exchange.get("verified").and_then(Value::as_bool),
            Some(true)
        );
        assert_eq!(
            exchange.get("content").and_then(Value::as_str),
            Some("You said: keep me")
        );
        let path = write(&env.dir, "exchange.json", text(&o.stdout));
        let v = run(&["verify", "--exchange", &path, "--tee", &env.tee], b"");
        assert_eq!(
            code(&v),
            0,
            "{mode:?}: {}{}",
            text(&v.stdout),
            text(&v.stderr)
        );
        assert!(text(&v.stdout).starts_with("VERIFIED"));
        // The proof alone, tied to the expected TEE.
        let v = run(
            &["verify", "--exchange", &path, "--expect-tee-id", &tee_id],
            b"",
        );
        assert_eq!(code(&v), 0, "{}{}", text(&v.stdout), text(&v.stderr));
        // A different output is refused.
        let tampered = text(&o.stdout).replace("You said: keep me", "You said: keep ME");
        let path = write(&env.dir, "tampered.json", tampered);
        let v = run(&["verify", "--exchange", &path, "--tee", &env.tee], b"");
        assert_eq!(code(&v), 1);
        assert!(
            text(&v.stdout).contains("output_hash_mismatch"),
            "{}",
            text(&v.stdout)
        );
    }
}

#[test]
fn chat_refuses_what_does_not_verify() {
    let env = ChatEnv::new("chat-fault");
    env.sim.set_fault(Some(Fault::SignDifferentOutput));
    let o = env.chat(&["secret words"], b"");
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    assert!(text(&o.stderr).contains("output_hash_mismatch"));
    assert!(!text(&o.stderr).contains("secret words"));

    let o = env.chat(&["--stream", "secret words"], b"");
    assert_eq!(code(&o), 1);
    assert_eq!(text(&o.stdout), "");

    // The progressive stream shows the text, then says loudly it is not verified.
    let o = env.chat(&["--unverified-stream", "secret words"], b"");
    assert_eq!(code(&o), 1);
    assert!(text(&o.stdout).contains("secret words"));
    assert!(
        text(&o.stderr).contains("NOT VERIFIED"),
        "{}",
        text(&o.stderr)
    );

    // A relay that refuses the token: exit 3.
    env.sim.set_fault(None);
    let relay = env.sim.relay_url();
    let o = run(
        &[
            "chat", "--relay", &relay, "--tee", &env.tee, "--token", "wrong", "hi",
        ],
        b"",
    );
    assert_eq!(code(&o), 3, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("401"));
    // The token never shows.
    assert!(!text(&o.stderr).contains("wrong"), "{}", text(&o.stderr));
}

#[test]
fn verify_checks_saved_exchanges() {
    let sim = Sim::start().unwrap();
    let dir = temp_dir("verify");
    let tee = write(&dir, "tee.json", sim.tee_endpoint().to_record_json());
    let key = write(&dir, "key.pem", sim.tee_endpoint().signing_key().to_pem());
    let request_text =
        r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Verify me"}]}"#;
    let request = write(&dir, "request.json", request_text);
    let body = og_canon::parse(request_text).unwrap();
    let client = sim.client().unwrap();

    // Single-shot: the TEE's response body.
    let answer = client.chat_completion(&body).unwrap();
    let response = write(
        &dir,
        "response.json",
        og_canon::to_json_bytes(answer.body()),
    );
    let ok = |args: &[&str]| {
        let o = run(args, b"");
        assert_eq!(
            code(&o),
            0,
            "{args:?}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        o
    };
    let not = |args: &[&str], check: &str| {
        let o = run(args, b"");
        assert_eq!(
            code(&o),
            1,
            "{args:?}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        assert!(
            text(&o.stdout).contains(check),
            "{args:?}: {}",
            text(&o.stdout)
        );
    };
    ok(&[
        "verify",
        "--request",
        &request,
        "--response",
        &response,
        "--tee",
        &tee,
    ]);
    ok(&[
        "verify",
        "--request",
        &request,
        "--response",
        &response,
        "--signing-key",
        &key,
    ]);
    let tee_id = sim.keys().tee_id().to_string();
    ok(&[
        "verify",
        "--request",
        &request,
        "--response",
        &response,
        "--tee",
        &tee,
        "--expect-tee-id",
        &tee_id,
    ]);
    let o = ok(&[
        "--json",
        "verify",
        "--request",
        &request,
        "--response",
        &response,
        "--tee",
        &tee,
    ]);
    let v = og_canon::parse(text(&o.stdout).trim()).unwrap();
    assert_eq!(v.get("verified").and_then(Value::as_bool), Some(true));

    // Tampered content, request, key, expectation.
    let tampered = write(
        &dir,
        "tampered.json",
        text(&og_canon::to_json_bytes(answer.body())).replace("Verify me", "Verify ME"),
    );
    not(
        &[
            "verify",
            "--request",
            &request,
            "--response",
            &tampered,
            "--tee",
            &tee,
        ],
        "output_hash_mismatch",
    );
    let other_request = write(
        &dir,
        "other-request.json",
        request_text.replace("Verify me", "Verify you"),
    );
    not(
        &[
            "verify",
            "--request",
            &other_request,
            "--response",
            &response,
            "--tee",
            &tee,
        ],
        "request_hash_mismatch",
    );
    let other = Sim::start().unwrap();
    let other_tee = write(
        &dir,
        "other-tee.json",
        other.tee_endpoint().to_record_json(),
    );
    not(
        &[
            "verify",
            "--request",
            &request,
            "--response",
            &response,
            "--tee",
            &other_tee,
        ],
        "tee_id_mismatch",
    );
    let o = run(
        &[
            "--json",
            "verify",
            "--request",
            &request,
            "--response",
            &tampered,
            "--tee",
            &tee,
        ],
        b"",
    );
    let v = og_canon::parse(text(&o.stdout).trim()).unwrap();
    assert_eq!(
        v.get("check").and_then(Value::as_str),
        Some("output_hash_mismatch")
    );

    // A stored proof with the signed output.
    let proof = write(
        &dir,
        "proof.json",
        og_canon::to_json_bytes(&og_cli::json::proof_value(answer.proof())),
    );
    let output = write(&dir, "output.txt", answer.content());
    ok(&[
        "verify",
        "--proof",
        &proof,
        "--request",
        &request,
        "--output",
        &output,
        "--tee",
        &tee,
    ]);
    ok(&[
        "verify",
        "--proof",
        &proof,
        "--request",
        &request,
        "--response",
        &response,
        "--expect-tee-id",
        &tee_id,
    ]);
    not(
        &[
            "verify",
            "--proof",
            &proof,
            "--request",
            &request,
            "--output",
            &output,
            "--tee",
            &other_tee,
        ],
        "expected_tee_id_mismatch",
    );
    let wrong_output = write(&dir, "wrong-output.txt", format!("{}\n", answer.content()));
    not(
        &[
            "verify",
            "--proof",
            &proof,
            "--request",
            &request,
            "--output",
            &wrong_output,
            "--tee",
            &tee,
        ],
        "output_hash_mismatch",
    );
    // A proof alone names no trusted TEE: a usage error.
    let o = run(
        &[
            "verify",
            "--proof",
            &proof,
            "--request",
            &request,
            "--output",
            &output,
        ],
        b"",
    );
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("--expect-tee-id"));

    // Streams: the whole SSE transcript, or the final event with the output.
    let stream = client.stream_chat_completion(&body).unwrap();
    let transcript = write(&dir, "stream.sse", stream.frames().concat());
    ok(&[
        "verify",
        "--request",
        &request,
        "--response",
        &transcript,
        "--tee",
        &tee,
    ]);
    let final_event = write(
        &dir,
        "final.json",
        og_canon::to_json_bytes(stream.final_event()),
    );
    let stream_output = write(&dir, "stream-output.txt", stream.content());
    ok(&[
        "verify",
        "--request",
        &request,
        "--response",
        &final_event,
        "--output",
        &stream_output,
        "--tee",
        &tee,
    ]);
    let o = run(
        &[
            "verify",
            "--request",
            &request,
            "--response",
            &final_event,
            "--tee",
            &tee,
        ],
        b"",
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--output"));
    let cut = write(
        &dir,
        "cut.sse",
        stream.frames()[..stream.frames().len() - 2].concat(),
    );
    not(
        &[
            "verify",
            "--request",
            &request,
            "--response",
            &cut,
            "--tee",
            &tee,
        ],
        "missing_final_event",
    );

    // Unusable input: exit 2.
    let o = run(
        &[
            "verify",
            "--request",
            "/nonexistent",
            "--response",
            &response,
            "--tee",
            &tee,
        ],
        b"",
    );
    assert_eq!(code(&o), 2);
    let bad = write(&dir, "bad.json", "{not json");
    let o = run(
        &[
            "verify",
            "--request",
            &bad,
            "--response",
            &response,
            "--tee",
            &tee,
        ],
        b"",
    );
    assert_eq!(code(&o), 2);
}

#[cfg(unix)]
#[test]
fn serve_answers_then_stops_on_sigint() {
    use std::io::BufRead;
    let env = ChatEnv::new("serve");
    let relay = env.sim.relay_url();
    let mut child = og()
        .args([
            "serve", "--port", "0", "--relay", &relay, "--tee", &env.tee, "--model", "gpt-4.1",
        ])
        .env("OG_RELAY_TOKEN", og_sim::DEFAULT_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let mut listening = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            listening = Some(url.to_owned());
        }
        let done = line.starts_with("export OPENAI_API_KEY=");
        banner.push(line);
        if done {
            break;
        }
    }
    let url = listening.unwrap_or_else(|| panic!("{banner:?}"));
    assert!(
        banner.contains(&format!("export OPENAI_BASE_URL={url}/v1")),
        "{banner:?}"
    );
    assert!(banner.contains(&"export OPENAI_API_KEY=og-local".to_owned()));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{url}/v1/chat/completions"))
        .send(r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "via serve"}]}"#)
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("x-opengradient-verified").unwrap(), "true");
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("You said: via serve")
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("SIGINT"), "{stderr}");
    // The token is never logged or printed.
    assert!(!stderr.contains(og_sim::DEFAULT_TOKEN));
}
