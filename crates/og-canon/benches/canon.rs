//! Criterion benchmarks of the request path: parse, `build_inner_request`, canonical
//! write + Keccak-256, and wire serialization, on the four shapes the issue names.
//!
//! `cargo bench -p og-canon --bench canon`; throughput is per byte of the request body.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use og_canon::{Value, build_inner_request, keccak256};
use std::hint::black_box;

mod shapes;
use shapes::{attachment_5mib, chat_200b, conversation_40k, tools_30k};

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
