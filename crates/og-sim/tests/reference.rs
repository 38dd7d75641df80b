//! The simulator against the reference: the reference SDK's own `OhttpRelayClient`
//! (Python, loaded by file path) talks to og-sim's relay and enclave over HTTP. Its
//! requests must open in our enclave, and our sealed, signed answers must decrypt and
//! verify in its code, single-shot and streamed, text and tool calls.
//!
//! Needs python3 with the reference SDK (`cargo xtask test` prepares one and sets
//! `OG_PYTHON`); `OG_SKIP_CPYTHON=1` skips it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use og_canon::Value;
use og_sim::{Model, Reply, Sim, ToolCall};

#[test]
fn the_reference_client_verifies_the_simulator() {
    if std::env::var("OG_SKIP_CPYTHON").as_deref() == Ok("1") {
        eprintln!("skipped (OG_SKIP_CPYTHON=1)");
        return;
    }
    let call = ToolCall::new("call_9", "lookup", r#"{"q": "naïve ☃"}"#);
    let sim = Sim::builder()
        .model(Model::scripted([
            Reply::Text("Scripted: ünïcödé 😀 \"quotes\"".into()),
            Reply::ToolCalls(vec![call.clone()]),
            Reply::ToolCalls(vec![call, ToolCall::new("call_10", "other", "{}")]),
        ]))
        .start()
        .expect("simulator");
    let record = std::env::temp_dir().join(format!("og-sim-tee-{}.json", std::process::id()));
    std::fs::write(&record, sim.tee_endpoint().to_record_json()).unwrap();

    let python = std::env::var_os("OG_PYTHON").unwrap_or_else(|| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference_client.py");
    let relay = format!("{}{}", sim.relay_url(), og_relay::RELAY_PATH);
    let mut child = Command::new(&python)
        .arg(script)
        .arg(&relay)
        .arg(sim.token().unwrap())
        .arg(&record)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {python:?} ({e}): run `cargo xtask test` (it prepares the \
                 reference SDK in target/og-python) or set OG_SKIP_CPYTHON=1"
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim(),
        "READY",
        "the reference client did not start: install the reference SDK (cargo xtask test)"
    );

    let text = r#"{"model": "gpt-4.1", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "héllo"}], "temperature": 0.7, "max_tokens": 50}"#;
    let tools = r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "find"}], "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}], "tool_choice": "auto"}"#;
    let jobs = [
        (text, false, "Scripted: ünïcödé 😀 \"quotes\""),
        (
            tools,
            false,
            r#"[{"function": {"arguments": "{\"q\": \"na\u00efve \u2603\"}", "name": "lookup"}, "id": "call_9", "type": "function"}]"#,
        ),
        (tools, true, ""), // checked below: two folded calls
        (text, true, "You said: héllo"),
        (text, false, "You said: héllo"),
    ];
    for (body, stream, want) in jobs {
        writeln!(stdin, r#"{{"body": {body}, "stream": {stream}}}"#).unwrap();
        line.clear();
        stdout.read_line(&mut line).unwrap();
        let got = og_canon::parse(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(err) = got.get("error") {
            panic!("the reference refused our answer (stream {stream}): {err:?}");
        }
        let content = got.get("content").and_then(Value::as_str).unwrap();
        if want.is_empty() {
            assert!(content.contains(r#""id": "call_10""#), "{content}");
        } else {
            assert_eq!(content, want, "stream {stream}");
        }
        let parsed = og_canon::parse(body).unwrap();
        let request = og_canon::build_inner_request(&parsed).unwrap();
        assert_eq!(
            got.get("request_hash").and_then(Value::as_str),
            Some(hex::encode(request.request_hash()).as_str())
        );
        assert_eq!(
            got.get("output_hash").and_then(Value::as_str),
            Some(hex::encode(og_canon::keccak256(content.as_bytes())).as_str())
        );
        assert_eq!(
            got.get("tee_id").and_then(Value::as_str),
            Some(sim.keys().tee_id().to_string().as_str())
        );
    }

    // A tampered answer is refused by the reference too.
    sim.set_fault(Some(og_sim::Fault::SignDifferentOutput));
    writeln!(stdin, r#"{{"body": {text}, "stream": false}}"#).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("VerificationError"), "{line}");

    drop(stdin);
    let _ = child.wait();
    let _ = std::fs::remove_file(&record);
}
