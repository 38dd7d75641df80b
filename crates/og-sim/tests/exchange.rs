//! The whole path over real HTTP on 127.0.0.1: og-relay client -> simulated relay ->
//! simulated enclave, and back. Every answer is verified; every fault is caught with
//! the right error, in bounded time, without handing out model content.

use std::time::{Duration, Instant};

use og_relay::{Error, Limits, RelayClient, TimeoutKind, UnverifiedEvent, Value};
use og_sim::{EnclaveKeys, Fault, Model, Reply, Sim, SimBuilder, ToolCall};

fn body(text: &str) -> Value {
    og_canon::parse(text).expect("test JSON")
}

fn chat(prompt: &str) -> Value {
    let mut m = og_canon::Map::new();
    m.insert("model".into(), "gpt-4.1".into());
    let mut msg = og_canon::Map::new();
    msg.insert("role".into(), "user".into());
    msg.insert("content".into(), prompt.into());
    m.insert("messages".into(), Value::Array(vec![Value::Object(msg)]));
    Value::Object(m)
}

/// One simulator for the tests that do not change its state (keys are RSA-2048:
/// generating them per test would dominate the run).
fn shared() -> &'static Sim {
    static SIM: std::sync::OnceLock<Sim> = std::sync::OnceLock::new();
    SIM.get_or_init(|| Sim::start().expect("simulator starts"))
}

fn fast_limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

fn client_with(sim: &Sim, limits: Limits) -> RelayClient {
    RelayClient::builder(&sim.relay_url(), sim.tee_endpoint())
        .auth(og_relay::BearerToken::new(og_sim::DEFAULT_TOKEN))
        .limits(limits)
        .build()
        .expect("client")
}

#[test]
fn single_shot_text_is_verified() {
    let sim = shared();
    let answer = sim
        .client()
        .unwrap()
        .chat_completion(&chat("hello there"))
        .unwrap();
    assert_eq!(answer.content(), "You said: hello there");
    let proof = answer.proof();
    assert_eq!(proof.tee_id(), sim.keys().tee_id().to_string());
    let sent = chat("hello there");
    let request = og_canon::build_inner_request(&sent).unwrap();
    assert_eq!(proof.request_hash(), hex::encode(request.request_hash()));
    assert_eq!(
        proof.output_hash(),
        hex::encode(og_canon::keccak256(b"You said: hello there"))
    );
    assert_eq!(proof.tee_host(), Some(sim.enclave_url().as_str()));
    // The body is the enclave's chat.completion, signature fields included.
    assert_eq!(
        answer.body().get("object").and_then(Value::as_str),
        Some("chat.completion")
    );
}

#[test]
fn streamed_text_is_verified_and_frames_are_replayable() {
    let sim = shared();
    let stream = sim
        .client()
        .unwrap()
        .stream_chat_completion(&chat("one two three"))
        .unwrap();
    assert_eq!(stream.content(), "You said: one two three");
    assert_eq!(stream.finish_reason(), Some("stop"));
    assert_eq!(
        stream.frames().last().map(String::as_str),
        Some("data: [DONE]\n\n")
    );
    assert!(
        stream.frames().len() >= 6,
        "{} frames",
        stream.frames().len()
    );
    assert_eq!(
        stream.proof().output_hash(),
        hex::encode(og_canon::keccak256(b"You said: one two three"))
    );
}

#[test]
fn tool_calls_single_and_streamed() {
    let call = ToolCall::new(
        "call_1",
        "get_weather",
        r#"{"city": "Paris", "unit": "°C"}"#,
    );
    let sim = Sim::builder()
        .model(Model::scripted([
            Reply::ToolCalls(vec![call.clone()]),
            Reply::ToolCalls(vec![call.clone(), ToolCall::new("call_2", "noop", "{}")]),
        ]))
        .start()
        .unwrap();
    let client = sim.client().unwrap();
    let req = body(
        r#"{"model": "m", "messages": [{"role": "user", "content": "weather?"}],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}"#,
    );
    let single = client.chat_completion(&req).unwrap();
    let expected = r#"[{"function": {"arguments": "{\"city\": \"Paris\", \"unit\": \"\u00b0C\"}", "name": "get_weather"}, "id": "call_1", "type": "function"}]"#;
    assert_eq!(single.content(), expected);

    let streamed = client.stream_chat_completion(&req).unwrap();
    assert_eq!(streamed.finish_reason(), Some("tool_calls"));
    let calls = streamed.tool_calls().expect("folded tool calls");
    assert_eq!(calls.as_array().map(<[Value]>::len), Some(2));
    assert!(
        streamed
            .content()
            .starts_with(r#"[{"function": {"arguments": "{\"city\""#)
    );
    assert!(streamed.content().contains(r#""id": "call_2""#));
}

#[test]
fn a_multimodal_request_with_an_attachment_is_verified() {
    let sim = shared();
    let image = format!("data:image/png;base64,{}", "iVBORw0KGgo".repeat(20_000));
    let req = body(&format!(
        r#"{{"model": "m", "messages": [{{"role": "user", "content": [
            {{"type": "text", "text": "what is this?"}},
            {{"type": "image_url", "image_url": {{"url": "{image}"}}}}]}}]}}"#
    ));
    let answer = sim.client().unwrap().chat_completion(&req).unwrap();
    assert_eq!(answer.content(), "You said: what is this? [image_url]");
}

#[test]
fn a_tee_with_a_rotated_key_id_works() {
    let keys = EnclaveKeys::generate(7).unwrap();
    let sim = Sim::builder().keys(keys).start().unwrap();
    assert_eq!(sim.tee_endpoint().ohttp().key_id, 7);
    let answer = sim
        .client()
        .unwrap()
        .chat_completion(&chat("rotated"))
        .unwrap();
    assert_eq!(answer.content(), "You said: rotated");
}

#[test]
fn the_progressive_stream_marks_frames_unverified_then_verifies() {
    let sim = Sim::builder()
        .model(Model::echo().with_token_delay(Duration::from_millis(5)))
        .start()
        .unwrap();
    let mut deltas = String::new();
    let mut verified = None;
    for item in sim
        .client()
        .unwrap()
        .stream_chat_completion_unverified(&chat("a b c d"))
        .unwrap()
    {
        match item.unwrap() {
            UnverifiedEvent::Delta(d) => {
                assert!(verified.is_none(), "no delta after the verdict");
                deltas.push_str(d.unverified_content());
            }
            UnverifiedEvent::Verified(v) => verified = Some(v),
        }
    }
    let verified = verified.expect("the stream ends verified");
    assert_eq!(deltas, "You said: a b c d");
    assert_eq!(verified.content(), deltas);
}

#[test]
fn the_progressive_stream_ends_in_an_error_when_tampered() {
    let sim = Sim::start().unwrap();
    sim.set_fault(Some(Fault::SignDifferentOutput));
    let items: Vec<_> = sim
        .client()
        .unwrap()
        .stream_chat_completion_unverified(&chat("x y"))
        .unwrap()
        .collect();
    let last = items.last().expect("items");
    assert!(
        matches!(last, Err(Error::Verification(e)) if e.category() == "output_hash_mismatch"),
        "{last:?}"
    );
    assert!(items[..items.len() - 1].iter().all(Result::is_ok));
}

/// Runs one exchange (single or stream) against a faulty simulator.
fn faulty(sim: &Sim, client: &RelayClient, fault: Fault, stream: bool) -> (Error, Duration) {
    sim.set_fault(Some(fault.clone()));
    let start = Instant::now();
    let outcome = if stream {
        client
            .stream_chat_completion(&chat("secret answer"))
            .map(|s| s.content().to_owned())
    } else {
        client
            .chat_completion(&chat("secret answer"))
            .map(|r| r.content().to_owned())
    };
    let elapsed = start.elapsed();
    sim.set_fault(None);
    let err = outcome.expect_err(&format!("{fault} (stream: {stream}) must fail"));
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("secret answer"),
        "{fault}: the error shows content: {shown}"
    );
    (err, elapsed)
}

#[test]
fn relay_statuses_are_relay_errors_with_their_message() {
    let sim = Sim::start().unwrap();
    let client = client_with(&sim, fast_limits());
    for (fault, status, message) in [
        (
            Fault::Status {
                status: 401,
                json: true,
            },
            401,
            "simulated relay error 401",
        ),
        (
            Fault::Status {
                status: 429,
                json: true,
            },
            429,
            "simulated relay error 429",
        ),
        (
            Fault::Status {
                status: 500,
                json: false,
            },
            500,
            "<html><head><title>500",
        ),
    ] {
        for stream in [false, true] {
            let (err, _) = faulty(&sim, &client, fault.clone(), stream);
            match err {
                Error::Relay {
                    status: s,
                    message: m,
                } => {
                    assert_eq!(s, status);
                    assert!(m.starts_with(message), "{m}");
                }
                other => panic!("{fault}: {other:?}"),
            }
        }
    }
    // A wrong token is the relay's own 401.
    let bad = RelayClient::builder(&sim.relay_url(), sim.tee_endpoint())
        .auth(og_relay::BearerToken::new("wrong"))
        .build()
        .unwrap();
    let err = bad.chat_completion(&chat("x")).unwrap_err();
    assert!(
        matches!(&err, Error::Relay { status: 401, message } if message == "Invalid token"),
        "{err:?}"
    );
}

#[test]
fn tampering_is_caught_by_the_aead_or_the_signature() {
    let sim = Sim::start().unwrap();
    let client = client_with(&sim, fast_limits());
    let cases: &[(Fault, bool, &[&str])] = &[
        (Fault::FlipBit { offset: 40 }, false, &["aead"]),
        (Fault::FlipBit { offset: 60 }, true, &["aead"]),
        (Fault::FlipBit { offset: 3 }, false, &["aead"]), // inside the response nonce
        (Fault::Truncate { keep: 20 }, false, &["malformed"]),
        (
            Fault::Truncate { keep: 100 },
            true,
            &["truncated", "missing_final", "aead"],
        ),
        (Fault::DropFinalChunk, true, &["missing_final", "truncated"]),
        (Fault::SwapChunks, true, &["aead"]),
        (Fault::HugeLengthPrefix, true, &["chunk_too_large"]),
        (Fault::WrongSigningKey, false, &["bad_signature"]),
        (Fault::WrongSigningKey, true, &["bad_signature"]),
        (Fault::SignDifferentOutput, false, &["output_hash_mismatch"]),
        (Fault::SignDifferentOutput, true, &["output_hash_mismatch"]),
    ];
    for (fault, stream, categories) in cases {
        let (err, elapsed) = faulty(&sim, &client, fault.clone(), *stream);
        assert!(
            categories.contains(&err.category()),
            "{fault} (stream {stream}): got {} ({err})",
            err.category()
        );
        assert!(elapsed < Duration::from_secs(3), "{fault}: {elapsed:?}");
    }
}

#[test]
fn a_reset_mid_stream_is_a_transport_error() {
    let sim = Sim::start().unwrap();
    let client = client_with(&sim, fast_limits());
    for stream in [false, true] {
        let (err, elapsed) = faulty(&sim, &client, Fault::Reset { after: 50 }, stream);
        assert!(
            matches!(err, Error::Transport(_) | Error::Ohttp(_)),
            "stream {stream}: {err:?}"
        );
        assert!(elapsed < Duration::from_secs(3));
    }
}

#[test]
fn a_stalled_relay_ends_by_the_read_timeout() {
    let sim = Sim::start().unwrap();
    let client = client_with(&sim, fast_limits());
    for stream in [false, true] {
        let (err, elapsed) = faulty(&sim, &client, Fault::Stall, stream);
        assert!(
            matches!(err, Error::Timeout(TimeoutKind::Read | TimeoutKind::Total)),
            "stream {stream}: {err:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4),
            "{elapsed:?}"
        );
    }
}

#[test]
fn a_slow_relay_within_the_limits_still_verifies() {
    let sim = Sim::start().unwrap();
    sim.set_fault(Some(Fault::Delay(Duration::from_millis(20))));
    let s = client_with(&sim, fast_limits())
        .stream_chat_completion(&chat("slow"))
        .unwrap();
    assert_eq!(s.content(), "You said: slow");
}

#[test]
fn the_fault_control_endpoint_sets_and_clears_faults() {
    let sim = SimBuilder::default().start().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{}", sim.relay_url(), og_sim::FAULT_PATH);
    let mut r = agent.post(&url).send("wrong-key").unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.body_mut().read_to_string().unwrap(),
        r#"{"fault": "wrong-key"}"#
    );
    let err = sim
        .client()
        .unwrap()
        .chat_completion(&chat("x"))
        .unwrap_err();
    assert_eq!(err.category(), "bad_signature");
    assert_eq!(agent.delete(&url).call().unwrap().status(), 200);
    sim.client().unwrap().chat_completion(&chat("x")).unwrap();
    let mut r = agent.post(&url).send("explode").unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("unknown fault")
    );
}

#[test]
fn many_threads_share_one_client() {
    let sim = shared();
    let client = sim.client().unwrap();
    std::thread::scope(|s| {
        for i in 0..8 {
            let client = client.clone();
            s.spawn(move || {
                for j in 0..3 {
                    let prompt = format!("thread {i} request {j}");
                    let got = if j % 2 == 0 {
                        client
                            .chat_completion(&chat(&prompt))
                            .unwrap()
                            .content()
                            .to_owned()
                    } else {
                        client
                            .stream_chat_completion(&chat(&prompt))
                            .unwrap()
                            .content()
                            .to_owned()
                    };
                    assert_eq!(got, format!("You said: {prompt}"));
                }
            });
        }
    });
}
