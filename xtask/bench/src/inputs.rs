//! The benchmark inputs, generated once per run and written to files so that our
//! worker and the reference's read exactly the same bytes.
//!
//! ```text
//! manifest.json            keys, fixed response secrets, expected outputs, piece lengths
//! chat_200b.json ...       the four request bodies (og-canon's criterion shapes)
//! exchange_response.bin    a signed single-shot answer to chat_200b
//! open_1m.bin              a single-shot response with 1 MiB of plaintext
//! stream_1000.bin          1,000 SSE frames of ~100 B and a signed final event
//! chunked_64x16k.bin       64 chunks of 16 KiB
//! chunked_16m.bin / chunked_64m.bin   16 and 64 MiB in 64 KiB chunks
//! ```
//!
//! Every response is sealed for one fixed request context (`enc` and the two exported
//! secrets in the manifest): a benchmarked exchange encapsulates a fresh request as a
//! client does, then opens the pre-sealed answer with that context. Opening costs the
//! same whichever context it is.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use og_canon::{Value, build_inner_request, keccak256, parse};
use og_ohttp_core::{ClientRequest, Recipient, ServerResponse, Suite};

#[path = "../../../crates/og-canon/benches/shapes/mod.rs"]
mod shapes;
use shapes::{attachment_5mib, chat_200b, conversation_40k, tools_30k};

pub(crate) const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;
pub(crate) const KEY_ID: u8 = 1;
pub(crate) const TIMESTAMP: u64 = 1_700_000_000;
pub(crate) const TEE_HOST: &str = "https://tee.bench.example";
/// Chunk size of the 16 and 64 MiB streams (the largest chunk).
pub(crate) const BIG_CHUNK: usize = 64 * 1024;

/// The gateway's signer: RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) with AWS-LC.
struct Signer {
    key: aws_lc_rs::signature::RsaKeyPair,
    tee_id: String,
    public_pem: String,
}

impl Signer {
    fn from_vectors(vectors: &Path) -> Result<Signer> {
        let text = std::fs::read_to_string(vectors.join("end_to_end.json"))
            .context("reading end_to_end.json")?;
        let doc = parse(&text)?;
        let endpoint = doc
            .get("cases")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .and_then(|c| c.get("endpoint"))
            .context("end_to_end.json has no endpoint")?;
        let field = |k: &str| {
            endpoint
                .get(k)
                .and_then(Value::as_str)
                .with_context(|| format!("endpoint.{k}"))
        };
        let private_pem = field("signing_private_key_pkcs8_pem")?;
        let b64: String = private_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD.decode(b64)?;
        let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| anyhow::anyhow!("the signing key: {e}"))?;
        let public_pem = field("signing_key_pem")?.to_owned();
        let tee_id = og_verify::SigningKey::from_pem(&public_pem)?
            .tee_id()
            .to_string();
        Ok(Signer {
            key,
            tee_id,
            public_pem,
        })
    }

    /// The five `tee_*` fields for a request hash and an output.
    fn fields(&self, request_hash: &[u8; 32], output: &str) -> Result<String> {
        let output_hash = keccak256(output.as_bytes());
        let msg = og_verify::msg_hash(request_hash, &output_hash, TIMESTAMP);
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PSS_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                &msg,
                &mut sig,
            )
            .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
        Ok(format!(
            r#""tee_signature": "{}", "tee_request_hash": "{}", "tee_output_hash": "{}", "tee_timestamp": {TIMESTAMP}, "tee_id": "{}""#,
            base64::engine::general_purpose::STANDARD.encode(&sig),
            hex::encode(request_hash),
            hex::encode(output_hash),
            self.tee_id
        ))
    }
}

/// Writes every input file into `out` (created if needed).
pub(crate) fn generate(out: &Path, vectors: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(out.join(name), bytes).with_context(|| format!("writing {name}"))
    };

    // Requests.
    let chat = chat_200b();
    let bodies = [
        ("chat_200b.json", chat.clone()),
        ("tools_30k.json", tools_30k()),
        ("conversation_40k.json", conversation_40k()),
        ("attachment_5mib.json", attachment_5mib()),
    ];
    for (name, body) in &bodies {
        write(name, &og_canon::to_json_bytes(body))?;
    }

    // The gateway's keys and one real request context.
    let gateway = Recipient::derive(KEY_ID, SUITE, b"og-bench gateway");
    let (_, context) =
        ClientRequest::new(KEY_ID, SUITE, gateway.public_key())?.encapsulate(b"{}")?;
    let enc = context.enc().to_vec();
    let (response_secret, chunked_secret) = context.exported_secrets_for_tests();
    let server = ServerResponse::from_secrets(SUITE, &enc, response_secret, chunked_secret)?;
    let signer = Signer::from_vectors(vectors)?;
    let request_hash = build_inner_request(&chat)?.request_hash();

    // A signed single-shot answer to the 200 B chat.
    let answer = "Paris. ".repeat(70);
    let answer = answer.trim_end();
    let inner = format!(
        r#"{{"status": 200, "body": {{"id": "chatcmpl-bench", "object": "chat.completion", "created": {TIMESTAMP}, "model": "gpt-4.1", "choices": [{{"index": 0, "message": {{"role": "assistant", "content": "{answer}"}}, "finish_reason": "stop"}}], "usage": {{"prompt_tokens": 31, "completion_tokens": 140, "total_tokens": 171}}, {}}}}}"#,
        signer.fields(&request_hash, answer)?
    );
    write(
        "exchange_response.bin",
        &server.seal_with_nonce(inner.as_bytes(), &[0x11; 32])?,
    )?;

    // 1 MiB single-shot.
    let big: Vec<u8> = (0..1usize << 20).map(|i| (i % 251) as u8).collect();
    write("open_1m.bin", &server.seal_with_nonce(&big, &[0x22; 32])?)?;

    // 1,000 SSE frames of ~100 B, each its own chunk (one network read each), then the
    // signed final event in the final chunk.
    let mut enc_stream = server.chunked_encrypter(&[0x33; 32])?;
    let mut stream = Vec::new();
    let mut pieces = Vec::new();
    let mut content = String::new();
    for i in 0..1000 {
        let token = format!("w{i:03} ");
        content.push_str(&token);
        let frame = format!(
            "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}}}}]}}\n\n"
        );
        let piece = enc_stream.seal_chunk(frame.as_bytes())?;
        pieces.push(piece.len());
        stream.extend_from_slice(&piece);
    }
    let final_frame = format!(
        "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}], {}}}\n\ndata: [DONE]\n\n",
        signer.fields(&request_hash, &content)?
    );
    let piece = enc_stream.seal_final(final_frame.as_bytes())?;
    pieces.push(piece.len());
    stream.extend_from_slice(&piece);
    write("stream_1000.bin", &stream)?;

    // Chunked streams: 64 x 16 KiB, and 16 / 64 MiB in 64 KiB chunks.
    let chunked = |nonce: u8, chunk: usize, count: usize| -> Result<Vec<u8>> {
        let mut e = server.chunked_encrypter(&[nonce; 32])?;
        let frame: Vec<u8> = (0..chunk).map(|i| (i % 253) as u8).collect();
        let mut out = Vec::with_capacity((chunk + 24) * (count + 1));
        for _ in 0..count {
            out.extend(e.seal_chunk(&frame)?);
        }
        out.extend(e.seal_final(b"")?);
        Ok(out)
    };
    write("chunked_64x16k.bin", &chunked(0x44, 16 * 1024, 64)?)?;
    write("chunked_16m.bin", &chunked(0x55, BIG_CHUNK, 256)?)?;
    write("chunked_64m.bin", &chunked(0x66, BIG_CHUNK, 1024)?)?;

    // The manifest (hand-written JSON: flat strings and numbers).
    let mut m = String::from("{\n");
    let mut field = |k: &str, v: String| {
        let _ = writeln!(m, "  \"{k}\": {v},");
    };
    let quote = |s: &str| og_canon::to_python_json(&Value::from(s), false);
    field("key_id", KEY_ID.to_string());
    field("public_key", quote(&hex::encode(gateway.public_key())));
    field("enc", quote(&hex::encode(&enc)));
    field("response_secret", quote(&hex::encode(response_secret)));
    field(
        "chunked_response_secret",
        quote(&hex::encode(chunked_secret)),
    );
    field("signing_key_pem", quote(&signer.public_pem));
    field("tee_id", quote(&signer.tee_id));
    field("tee_host", quote(TEE_HOST));
    field("exchange_content", quote(answer));
    field("stream_content", quote(&content));
    field(
        "stream_pieces",
        format!(
            "[{}]",
            pieces
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    field("big_chunk", BIG_CHUNK.to_string());
    m.push_str(&format!(
        "  \"vectors\": {}\n}}\n",
        quote(&vectors.display().to_string())
    ));
    write("manifest.json", m.as_bytes())?;
    Ok(())
}
