//! Criterion benchmarks of the request path: parse, `build_inner_request`, canonical
//! write + Keccak-256, and wire serialization, on the four shapes the issue names.
//!
//! `cargo bench -p og-canon --bench canon`; throughput is per byte of the request body.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use og_canon::{Map, Value, build_inner_request, keccak256, parse};
use std::hint::black_box;

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map>(),
    )
}

fn msg(role: &str, content: Value) -> Value {
    obj(vec![("role", role.into()), ("content", content)])
}

fn chat_200b() -> Value {
    obj(vec![
        ("model", "gpt-4.1".into()),
        (
            "messages",
            Value::Array(vec![
                msg("system", "You are a helpful assistant.".into()),
                msg(
                    "user",
                    "What is the capital of France? Answer in one word.".into(),
                ),
            ]),
        ),
        ("max_tokens", 64i64.into()),
    ])
}

fn conversation_40k() -> Value {
    let mut messages = Vec::new();
    for i in 0..50 {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let text = format!(
            "Turn {i}: {} — “quoted” text with ünïcödé and a newline\n.",
            "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(13)
        );
        messages.push(msg(role, text.into()));
    }
    obj(vec![
        ("model", "gpt-4.1".into()),
        ("messages", Value::Array(messages)),
        ("temperature", parse("0.7").unwrap()),
    ])
}

fn attachment_5mib() -> Value {
    let data = "QUJD".repeat(5 * 1024 * 1024 / 4);
    let parts = Value::Array(vec![
        obj(vec![
            ("type", "text".into()),
            ("text", "Describe this image.".into()),
        ]),
        obj(vec![
            ("type", "image_url".into()),
            (
                "image_url",
                obj(vec![(
                    "url",
                    format!("data:image/png;base64,{data}").into(),
                )]),
            ),
        ]),
    ]);
    obj(vec![
        ("model", "gpt-4.1".into()),
        ("messages", Value::Array(vec![msg("user", parts)])),
    ])
}

fn tools_30k() -> Value {
    let mut tools = Vec::new();
    for i in 0..20 {
        let mut props = Vec::new();
        for j in 0..12 {
            props.push(format!(
                r#""p{j}": {{"type": "string", "description": "parameter {j} of tool {i}, {}", "enum": ["a", "b", "c"]}}"#,
                "x".repeat(40)
            ));
        }
        let schema = format!(
            r#"{{"type": "function", "function": {{"name": "tool_{i}", "description": "Tool number {i}.", "parameters": {{"type": "object", "properties": {{{}}}, "required": ["p0"]}}}}}}"#,
            props.join(", ")
        );
        tools.push(parse(&schema).unwrap());
    }
    obj(vec![
        ("model", "gpt-4.1".into()),
        (
            "messages",
            Value::Array(vec![msg("user", "Which tool fits?".into())]),
        ),
        ("tools", Value::Array(tools)),
        ("tool_choice", "auto".into()),
    ])
}

fn bench_requests(c: &mut Criterion) {
    let shapes: [(&str, Value); 4] = [
        ("chat_200B", chat_200b()),
        ("conversation_40KiB", conversation_40k()),
        ("tools_30KiB", tools_30k()),
        ("attachment_5MiB", attachment_5mib()),
    ];
    let mut group = c.benchmark_group("canon");
    for (name, body) in &shapes {
        let text = og_canon::to_json_bytes(body);
        let canonical_len = build_inner_request(body).unwrap().canonical_bytes().len();
        eprintln!(
            "{name}: body {} bytes, canonical {canonical_len} bytes",
            text.len()
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        if text.len() > 1 << 20 {
            group.sample_size(20);
        } else {
            group.sample_size(100);
        }
        group.bench_with_input(BenchmarkId::new("parse", name), &text, |b, t| {
            b.iter(|| og_canon::parse_slice(black_box(t)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("canonical_hash", name), body, |b, v| {
            b.iter(|| build_inner_request(black_box(v)).unwrap().request_hash())
        });
        group.bench_with_input(BenchmarkId::new("wire_bytes", name), body, |b, v| {
            let r = build_inner_request(v).unwrap();
            b.iter(|| black_box(&r).wire_bytes(false))
        });
    }
    group.finish();

    // The physical limit beside it: raw Keccak-256 over the 40 KiB canonical bytes.
    let canonical = build_inner_request(&shapes[1].1).unwrap().canonical_bytes();
    let mut raw = c.benchmark_group("primitive");
    raw.throughput(Throughput::Bytes(canonical.len() as u64));
    raw.bench_function("keccak256_40KiB", |b| {
        b.iter(|| keccak256(black_box(&canonical)))
    });
    raw.finish();
}

criterion_group!(benches, bench_requests);
criterion_main!(benches);
