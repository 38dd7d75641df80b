//! Criterion benchmarks of the hot paths: request encapsulation and decapsulation,
//! single-shot open, and chunked decryption (SSE-sized frames fed as the network
//! delivers them, and one large stream fed whole).
//!
//! `cargo bench -p og-ohttp-core --bench ohttp`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use og_ohttp_core::{
    ChunkLimits, ClientRequest, Recipient, ResponseContext, ServerResponse, Suite,
};
use std::hint::black_box;

const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

fn pair() -> (ServerResponse, ResponseContext) {
    (
        ServerResponse::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap(),
        ResponseContext::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap(),
    )
}

fn stream(frame_len: usize, frames: usize) -> Vec<u8> {
    let (server, _) = pair();
    let mut e = server.chunked_encrypter(&[9; 32]).unwrap();
    let frame = vec![b'x'; frame_len];
    let mut out = Vec::new();
    for _ in 0..frames {
        out.extend(e.seal_chunk(&frame).unwrap());
    }
    out.extend(e.seal_final(b"data: [DONE]\n\n").unwrap());
    out
}

fn request(c: &mut Criterion) {
    let gateway = Recipient::derive(1, SUITE, b"bench");
    let client = ClientRequest::new(1, SUITE, gateway.public_key()).unwrap();
    let body = vec![b'{'; 2048];
    c.bench_function("encapsulate 2 KiB", |b| {
        b.iter(|| client.encapsulate(black_box(&body)).unwrap())
    });
    let (req, _) = client.encapsulate(&body).unwrap();
    c.bench_function("decapsulate 2 KiB", |b| {
        b.iter(|| gateway.decapsulate(black_box(&req)).unwrap())
    });
    c.bench_function("ClientRequest::new (low-order check)", |b| {
        b.iter(|| ClientRequest::new(1, SUITE, black_box(gateway.public_key())).unwrap())
    });
}

fn single_shot(c: &mut Criterion) {
    let (server, client) = pair();
    let mut g = c.benchmark_group("open single-shot");
    for len in [1024usize, 64 * 1024] {
        let response = server.seal_with_nonce(&vec![7; len], &[4; 32]).unwrap();
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::from_parameter(len), &response, |b, r| {
            b.iter(|| client.open(black_box(r)).unwrap())
        });
    }
    g.finish();
}

fn chunked(c: &mut Criterion) {
    let (_, client) = pair();
    let mut g = c.benchmark_group("chunked decrypt");
    // 2000 SSE-sized frames read 16 KiB at a time, as the relay client reads.
    let sse = stream(120, 2000);
    g.throughput(Throughput::Bytes(sse.len() as u64));
    g.bench_function("2000 x 120 B, 16 KiB reads", |b| {
        b.iter(|| {
            let mut d = client.chunked_decrypter(ChunkLimits::default());
            let mut n = 0usize;
            for piece in sse.chunks(16 * 1024) {
                d.feed(piece, |f| n += f.len()).unwrap();
            }
            d.finish(|f| n += f.len()).unwrap();
            black_box(n)
        })
    });
    // 64 MiB in 64 KiB chunks, delivered in one piece.
    let big = stream(64 * 1024 - 16, 1024);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(10);
    g.bench_function("64 MiB, one piece", |b| {
        b.iter(|| {
            let mut d = client.chunked_decrypter(ChunkLimits {
                max_chunk: 1 << 20,
                max_total: 128 << 20,
            });
            let mut n = 0usize;
            d.feed(black_box(&big), |f| n += f.len()).unwrap();
            d.finish(|f| n += f.len()).unwrap();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, request, single_shot, chunked);
criterion_main!(benches);
