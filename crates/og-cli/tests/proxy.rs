//! The proxy over loopback: og-sim's enclave and relay, the proxy in-process, and a
//! real HTTP client (ureq).

mod common;

use std::time::{Duration, Instant};

use common::{Harness, chat_body, get, post, shared, sse_content, sse_data, str_at};
use og_canon::Value;
use og_sim::{Fault, Model, Reply, Sim, ToolCall};

/// Checks the proxy's verification claims independently: the signature in the body
/// (the TEE's `tee_*` fields are kept) against the simulator's key.
fn check_single(h: &Harness, request: &str, reply: &common::Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let content = og_canon::signed_output(&body).expect("signed output");
    let req = og_canon::parse(request).unwrap();
    let canonical = og_canon::build_inner_request(&req)
        .unwrap()
        .canonical_bytes();
    let tee = h.sim.tee_endpoint();
    let proof = og_verify::verify_response(
        &canonical,
        &body,
        &content,
        tee.signing_key(),
        Some(tee.tee_id()),
        tee.host(),
    )
    .expect("the answer verifies independently");
    let v = body
        .get("opengradient_verification")
        .expect("verification object");
    assert_eq!(v.get("verified").and_then(Value::as_bool), Some(true));
    assert_eq!(str_at(v, &["tee_id"]), Some(proof.tee_id()));
    assert_eq!(str_at(v, &["request_hash"]), Some(proof.request_hash()));
    assert_eq!(str_at(v, &["output_hash"]), Some(proof.output_hash()));
    assert_eq!(str_at(v, &["tee_host"]), proof.tee_host());
    assert_eq!(
        v.get("timestamp")
            .and_then(Value::as_number)
            .and_then(og_canon::Number::as_u64),
        Some(proof.timestamp())
    );
    assert_eq!(reply.header("X-OpenGradient-Verified"), Some("true"));
    assert_eq!(reply.header("X-OpenGradient-TEE-Id"), Some(proof.tee_id()));
    assert_eq!(
        reply.header("X-OpenGradient-Request-Hash"),
        Some(proof.request_hash())
    );
    assert_eq!(
        reply.header("X-OpenGradient-Output-Hash"),
        Some(proof.output_hash())
    );
    content
}

/// Checks a replayed stream: one `[DONE]`, last; the signed final event verifies
/// over the replayed frames; returns the reassembled content.
fn check_stream(
    h: &Harness,
    request: &str,
    reply: &common::Reply,
) -> (String, og_canon::StreamOutcome) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream")),
        "{:?}",
        reply.headers
    );
    let data = sse_data(&reply.body);
    assert_eq!(
        data.iter().filter(|d| *d == "[DONE]").count(),
        1,
        "{}",
        reply.body
    );
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    assert!(reply.body.ends_with("data: [DONE]\n\n"));
    let mut acc = og_canon::StreamAccumulator::new();
    for frame in reply.body.split("\n\n") {
        acc.push_frame(format!("{frame}\n\n").as_bytes()).unwrap();
    }
    let outcome = acc.finish().expect("a signed final event");
    let req = og_canon::parse(request).unwrap();
    let canonical = og_canon::build_inner_request(&req)
        .unwrap()
        .canonical_bytes();
    let tee = h.sim.tee_endpoint();
    let proof = og_verify::verify_response(
        &canonical,
        &outcome.final_event,
        &outcome.signed_output,
        tee.signing_key(),
        Some(tee.tee_id()),
        tee.host(),
    )
    .expect("the replayed stream verifies independently");
    assert_eq!(reply.header("X-OpenGradient-Verified"), Some("true"));
    assert_eq!(reply.header("X-OpenGradient-TEE-Id"), Some(proof.tee_id()));
    assert!(reply.body.contains(": opengradient_verification {"));
    (sse_content(&reply.body), outcome)
}

#[test]
fn non_streaming_chat_carries_the_proof() {
    let h = shared();
    let request = chat_body(r#""Hello, proxy!""#, false);
    let reply = post(&h.chat_url(), &request);
    let content = check_single(h, &request, &reply);
    assert_eq!(content, "You said: Hello, proxy!");
    assert_eq!(
        str_at(&reply.json(), &["choices", "0", "message", "content"]),
        Some("You said: Hello, proxy!")
    );
    assert_eq!(str_at(&reply.json(), &["object"]), Some("chat.completion"));
    // Non-ASCII text survives the proxy.
    let request = chat_body(r#""héllo 😀""#, false);
    let content = check_single(h, &request, &post(&h.chat_url(), &request));
    assert_eq!(content, "You said: héllo 😀");
}

#[test]
fn streamed_chat_replays_verified_frames_with_one_done() {
    let h = shared();
    let request = chat_body(r#""Stream me, please""#, true);
    let reply = post(&h.chat_url(), &request);
    let (content, outcome) = check_stream(h, &request, &reply);
    assert_eq!(content, "You said: Stream me, please");
    assert_eq!(content, outcome.signed_output);
}

#[test]
fn attachments_pass_through_and_verify() {
    let h = shared();
    let content = r#"[{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}]"#;
    let request = chat_body(content, false);
    let got = check_single(h, &request, &post(&h.chat_url(), &request));
    assert_eq!(got, "You said: look [image_url]");
    let request = chat_body(content, true);
    let (got, _) = check_stream(h, &request, &post(&h.chat_url(), &request));
    assert_eq!(got, "You said: look [image_url]");
}

#[test]
fn tool_calls_pass_through_streamed_and_not() {
    let call = ToolCall::new("call_1", "get_weather", r#"{"city": "Paris"}"#);
    let h = Harness::start(Sim::builder().model(Model::scripted([
        Reply::ToolCalls(vec![call.clone()]),
        Reply::ToolCalls(vec![call]),
    ])));
    let request = r#"{"model": "gpt-4.1", "tool_choice": "auto",
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "messages": [{"role": "user", "content": "Weather in Paris?"}]}"#;
    let reply = post(&h.chat_url(), request);
    let signed = check_single(&h, request, &reply);
    assert!(signed.contains("get_weather"), "{signed}");
    let body = reply.json();
    assert_eq!(
        str_at(&body, &["choices", "0", "finish_reason"]),
        Some("tool_calls")
    );
    assert_eq!(
        str_at(
            &body,
            &[
                "choices",
                "0",
                "message",
                "tool_calls",
                "0",
                "function",
                "name"
            ]
        ),
        Some("get_weather")
    );

    let stream_request = request.replacen('{', r#"{"stream": true, "#, 1);
    let reply = post(&h.chat_url(), &stream_request);
    let (_, outcome) = check_stream(&h, &stream_request, &reply);
    assert_eq!(outcome.finish_reason.as_deref(), Some("tool_calls"));
    let calls = outcome.tool_calls.expect("tool calls");
    assert_eq!(
        str_at(&calls, &["0", "function", "name"]),
        Some("get_weather")
    );
    assert_eq!(
        str_at(&calls, &["0", "function", "arguments"]),
        Some(r#"{"city": "Paris"}"#)
    );

    // The tool's answer goes back as a `tool` message (the script ran out: echo).
    let follow_up = r#"{"model": "gpt-4.1", "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "user", "content": "thanks"}]}"#;
    let got = check_single(&h, follow_up, &post(&h.chat_url(), follow_up));
    assert_eq!(got, "You said: thanks");
}

#[test]
fn models_and_health() {
    let h = shared();
    let models = get(&h.url("/v1/models"));
    assert_eq!(models.status, 200);
    let v = models.json();
    assert_eq!(str_at(&v, &["object"]), Some("list"));
    assert_eq!(str_at(&v, &["data", "0", "object"]), Some("model"));
    assert_eq!(
        str_at(&v, &["data", "0", "id"]),
        Some(og_cli::proxy::GENERIC_MODEL)
    );
    let one = get(&h.url(&format!("/v1/models/{}", og_cli::proxy::GENERIC_MODEL)));
    assert_eq!(one.status, 200);
    assert_eq!(get(&h.url("/v1/models/nope")).status, 404);

    let health = get(&h.url("/health"));
    assert_eq!(health.status, 200);
    let v = health.json();
    assert_eq!(str_at(&v, &["status"]), Some("ok"));
    assert_eq!(
        str_at(&v, &["tee_id"]),
        Some(h.sim.keys().tee_id().to_string().as_str())
    );
    assert_eq!(
        str_at(&v, &["endpoint"]),
        Some(h.sim.enclave_url().as_str())
    );
    assert!(v.get("pcr_hash").is_some());

    // Configured models are listed.
    let h2 = Harness::start_with(Sim::builder(), |mut c| {
        c.models = vec!["gpt-4.1".into(), "claude-x".into()];
        c
    });
    let v = get(&h2.url("/v1/models")).json();
    assert_eq!(str_at(&v, &["data", "1", "id"]), Some("claude-x"));
}

#[test]
fn bad_requests_get_openai_errors() {
    let h = shared();
    let r = post(&h.chat_url(), r#"{"model": "m", "messages": [}"#);
    assert_eq!(r.status, 400);
    let m = r.error_message();
    assert!(m.contains("not valid JSON"), "{m}");
    assert_eq!(
        str_at(&r.json(), &["error", "type"]),
        Some("invalid_request_error")
    );
    assert_eq!(str_at(&r.json(), &["error", "code"]), Some("invalid_json"));

    let r = post(&h.chat_url(), r#"{"model": "gpt-4.1"}"#);
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("messages"), "{}", r.body);

    let r = post(&h.chat_url(), r#"{"model": "gpt-4.1", "messages": []}"#);
    assert_eq!(r.status, 400);

    let r = post(
        &h.chat_url(),
        r#"{"model": "gpt-4.1", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}"#,
    );
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("stream"));

    let r = post(&h.chat_url(), "");
    assert_eq!(r.status, 400);

    let r = get(&h.url("/v2/nothing"));
    assert_eq!(r.status, 404);
    assert!(r.error_message().contains("/v2/nothing"));

    let r = get(&h.chat_url());
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = post(&h.url("/health"), "{}");
    assert_eq!(r.status, 405);
}

#[test]
fn a_ten_mib_body_is_accepted_and_a_body_over_the_limit_is_413() {
    let h = shared();
    let payload = "A".repeat(10 << 20);
    let content = format!(
        r#"[{{"type": "text", "text": "big"}}, {{"type": "image_url", "image_url": {{"url": "data:image/png;base64,{payload}"}}}}]"#
    );
    let request = chat_body(&content, false);
    assert!(request.len() > 10 << 20);
    let reply = post(&h.chat_url(), &request);
    // Under the 16 MiB default limit: accepted, relayed and verified.
    assert_eq!(
        reply.status,
        200,
        "{}",
        &reply.body[..reply.body.len().min(500)]
    );
    assert_eq!(
        check_single(h, &request, &reply),
        "You said: big [image_url]"
    );

    let small = Harness::start_with(Sim::builder(), |mut c| {
        c.max_body_bytes = 1024;
        c
    });
    let reply = post(
        &small.chat_url(),
        chat_body(&format!("\"{}\"", "x".repeat(4096)), false),
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(
        str_at(&reply.json(), &["error", "code"]),
        Some("request_too_large")
    );
    // The server is still up.
    assert_eq!(get(&small.url("/health")).status, 200);
}

#[test]
fn tampered_answers_are_502_without_model_text() {
    let h = Harness::start(Sim::builder());
    let marker = "zebra-marker-4711";
    let single = chat_body(&format!("\"{marker}\""), false);
    let stream = chat_body(&format!("\"{marker}\""), true);
    // Sanity: without a fault the marker comes back.
    assert!(post(&h.chat_url(), &single).body.contains(marker));
    for fault in [
        Fault::SignDifferentOutput,
        Fault::FlipBit { offset: 40 },
        Fault::FlipBit { offset: 60 },
        Fault::WrongSigningKey,
        Fault::DropFinalChunk,
        Fault::Truncate { keep: 50 },
    ] {
        h.sim.set_fault(Some(fault.clone()));
        for request in [&single, &stream] {
            if matches!(fault, Fault::DropFinalChunk) && request == &single {
                continue; // a stream-only fault
            }
            let r = post(&h.chat_url(), request);
            assert_eq!(r.status, 502, "{fault}: {}", r.body);
            assert!(!r.body.contains(marker), "{fault}: {}", r.body);
            assert!(!r.body.contains("You said"), "{fault}: {}", r.body);
            assert!(r.header("x-opengradient-verified").is_none());
            assert_eq!(
                str_at(&r.json(), &["error", "type"]),
                Some("verification_error"),
                "{fault}: {}",
                r.body
            );
        }
    }
    h.sim.set_fault(None);
    assert_eq!(post(&h.chat_url(), &single).status, 200);
}

#[test]
fn relay_statuses_pass_through_and_auth_failures_are_401() {
    let h = shared();
    // A proxy whose relay token is wrong.
    let client = og_relay::RelayClient::builder(&h.sim.relay_url(), h.sim.tee_endpoint())
        .auth(og_relay::BearerToken::new("wrong-token"))
        .build()
        .unwrap();
    let bad = og_cli::proxy::Proxy::bind(
        og_cli::proxy::ProxyConfig::new(client),
        "127.0.0.1:0",
        false,
    )
    .unwrap();
    let r = post(
        &format!("{}/chat/completions", bad.base_url()),
        chat_body(r#""hi""#, false),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        str_at(&r.json(), &["error", "type"]),
        Some("authentication_error")
    );

    // Relay statuses from a misbehaving relay.
    let f = Harness::start(Sim::builder());
    for (status, kind) in [(429, "rate_limit_error"), (500, "upstream_error")] {
        f.sim.set_fault(Some(Fault::Status { status, json: true }));
        let r = post(&f.chat_url(), chat_body(r#""hi""#, false));
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(str_at(&r.json(), &["error", "type"]), Some(kind));
    }
}

#[test]
fn an_unreachable_relay_is_503() {
    let h = shared();
    let client = og_relay::RelayClient::builder(
        &format!("http://127.0.0.1:{}", common::closed_port()),
        h.sim.tee_endpoint(),
    )
    .build()
    .unwrap();
    let proxy = og_cli::proxy::Proxy::bind(
        og_cli::proxy::ProxyConfig::new(client),
        "127.0.0.1:0",
        false,
    )
    .unwrap();
    let r = post(
        &format!("{}/chat/completions", proxy.base_url()),
        chat_body(r#""hi""#, true),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.error_message().contains("unreachable"));
}

#[test]
fn requests_are_served_concurrently() {
    // Each answer is held 400 ms by the relay: four in a row would take 1.6 s.
    let h = Harness::start(Sim::builder());
    h.sim
        .set_fault(Some(Fault::Delay(Duration::from_millis(400))));
    let url = h.chat_url();
    let started = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || post(&url, chat_body(&format!("\"n{i}\""), false)))
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        let r = t.join().unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(&format!("n{i}")));
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1300), "{elapsed:?}");
}

#[test]
fn an_api_key_can_be_required() {
    let h = Harness::start_with(Sim::builder(), |mut c| {
        c.api_key = Some("k-123".parse().unwrap());
        c
    });
    let r = post(&h.chat_url(), chat_body(r#""hi""#, false));
    assert_eq!(r.status, 401);
    let r = common::agent()
        .post(&h.chat_url())
        .header("Authorization", "Bearer k-123")
        .send(chat_body(r#""hi""#, false).as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
