//! Criterion benchmarks of response verification, RSA-2048 and RSA-4096, on the
//! conformance vectors' `ok_text_2048` and `ok_text_4096` cases.
//!
//! `cargo bench -p og-verify --bench verify`. Groups:
//! - `verify_response/<bits>`: the whole call (field checks, hashes, base64, RSA-PSS,
//!   building the proof);
//! - `hashing/<bits>`: the Keccak-256 part (request hash, output hash, msg_hash);
//! - `rsa_pss/<bits>`: the RSA step alone (`verify_pss_sha256` over msg_hash);
//! - `key_parse/<bits>`: `SigningKey::from_pem`, done once per TEE, not per answer.

use criterion::{Criterion, criterion_group, criterion_main};
use og_canon::Value;
use og_verify::{SigningKey, msg_hash, verify_pss_sha256, verify_response};
use std::hint::black_box;

struct Case {
    bits: usize,
    canonical: Vec<u8>,
    response: Value,
    content: String,
    pem: String,
    key: SigningKey,
}

fn load(name: &str) -> Case {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/verify.json"
    );
    let text = std::fs::read_to_string(path).expect("testdata/vectors/verify.json");
    let doc = og_canon::parse(&text).expect("verify.json is JSON");
    let case = doc
        .get("cases")
        .and_then(Value::as_array)
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        })
        .expect("the case is in verify.json");
    let s = |k: &str| case.get(k).and_then(Value::as_str).expect(k).to_owned();
    let pem = s("signing_key_pem");
    let key = SigningKey::from_pem(&pem).expect("a valid key");
    Case {
        bits: key.bits(),
        canonical: s("canonical_text").into_bytes(),
        response: og_canon::parse(&s("response_body_text")).expect("response JSON"),
        content: s("response_content"),
        pem,
        key,
    }
}

fn bench(c: &mut Criterion) {
    let cases = [load("ok_text_2048"), load("ok_text_4096")];
    for case in &cases {
        let bits = case.bits;
        // Sanity: the benchmarked call succeeds.
        let proof = verify_response(
            &case.canonical,
            &case.response,
            &case.content,
            &case.key,
            Some(&case.key.tee_id()),
            "https://tee.example",
        )
        .expect("the vector verifies");
        let rh = og_canon::keccak256(&case.canonical);
        let oh = og_canon::keccak256(case.content.as_bytes());
        let m = msg_hash(&rh, &oh, proof.timestamp());
        let b64 = case
            .response
            .get("tee_signature")
            .and_then(Value::as_str)
            .expect("signature");
        let sig = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64")
        };

        c.bench_function(&format!("verify_response/{bits}"), |b| {
            b.iter(|| {
                verify_response(
                    black_box(&case.canonical),
                    black_box(&case.response),
                    black_box(&case.content),
                    &case.key,
                    Some(&case.key.tee_id()),
                    "https://tee.example",
                )
                .expect("verifies")
            })
        });
        c.bench_function(&format!("hashing/{bits}"), |b| {
            b.iter(|| {
                let rh = og_canon::keccak256(black_box(&case.canonical));
                let oh = og_canon::keccak256(black_box(case.content.as_bytes()));
                msg_hash(&rh, &oh, black_box(proof.timestamp()))
            })
        });
        c.bench_function(&format!("rsa_pss/{bits}"), |b| {
            b.iter(|| verify_pss_sha256(&case.key, black_box(&m), black_box(&sig)).expect("ok"))
        });
        c.bench_function(&format!("key_parse/{bits}"), |b| {
            b.iter(|| SigningKey::from_pem(black_box(&case.pem)).expect("key"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
