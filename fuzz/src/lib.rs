//! Shared fixtures and input formats of the og-rs fuzz targets.
//!
//! The fixed keys and secrets come from the conformance vectors in `testdata/vectors/`
//! (compiled in), so the seed corpora that `cargo xtask fuzz seeds` writes (valid
//! streams, responses and requests for exactly these keys) reach past the AEAD checks.
//!
//! Input formats (the seed generator in `xtask/src/fuzz.rs` writes the same ones):
//!
//! - `chunked_decrypter`: [`ChunkedInput`]: `flags(1)`, then when `flags & 0x80` a
//!   `max_chunk(u16 LE)` and `max_total(u16 LE)`, then `flags & 0x0f` piece lengths
//!   (u16 LE each), then the stream. The stream is fed in pieces of those lengths (cut
//!   at the end of the stream), the rest as one last piece.
//! - `sse_accumulator`: [`SseInput`]: `separator(1)`, `limits(1)`, then the frames
//!   joined by the separator byte.
//! - every other target: the raw bytes (JSON text, a response, a request, a key
//!   configuration or a list of them).

use std::sync::OnceLock;

use og_canon::Value;
use og_ohttp_core::{ChunkLimits, Recipient, ResponseContext, Suite};
use og_verify::SigningKey;

const OHTTP_CHUNKED: &str = include_str!("../../testdata/vectors/ohttp_chunked.json");
const OHTTP_RESPONSE: &str = include_str!("../../testdata/vectors/ohttp_response.json");
const OHTTP_REQUEST: &str = include_str!("../../testdata/vectors/ohttp_request.json");
const VERIFY: &str = include_str!("../../testdata/vectors/verify.json");

/// The vector case whose stream context the `chunked_decrypter` target uses.
pub const CHUNKED_CASE: &str = "truncated_missing_final";
/// The vector case whose response context the `response_open` target uses.
pub const RESPONSE_CASE: &str = "flipped_ciphertext_bit";
/// The vector case whose recipient key the `decapsulate` target uses.
pub const REQUEST_CASE: &str = "decap_flipped_ciphertext_bit";
/// The vector case whose key, canonical request and output the `verify_response` target uses.
pub const VERIFY_CASE: &str = "ok_text_2048";

/// One case of a vector file, by name.
pub fn case(file_text: &str, name: &str) -> Value {
    let file = og_canon::parse(file_text).expect("vector file parses");
    file.get("cases")
        .and_then(Value::as_array)
        .expect("vector file has cases")
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("vector case {name} is missing"))
        .clone()
}

/// A string field of a case.
pub fn field<'a>(case: &'a Value, key: &str) -> &'a str {
    case.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector field {key} is missing"))
}

/// Lowercase (or uppercase) hex to bytes; panics on bad hex (vectors only).
pub fn unhex(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit in a vector"),
    };
    assert!(text.len() % 2 == 0, "odd hex length in a vector");
    text.as_bytes()
        .chunks_exact(2)
        .map(|p| (digit(p[0]) << 4) | digit(p[1]))
        .collect()
}

/// The suite every vector used here is for.
pub const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

/// The fixed context of the chunked stream target and its secrets
/// `(enc, chunked_response_secret)`.
pub fn chunked_fixture() -> &'static (ResponseContext, Vec<u8>, Vec<u8>) {
    static F: OnceLock<(ResponseContext, Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let c = case(OHTTP_CHUNKED, CHUNKED_CASE);
        let enc = unhex(field(&c, "enc"));
        let secret = unhex(field(&c, "chunked_response_secret"));
        // The single-shot secret is not used by this target.
        let ctx = ResponseContext::from_secrets(SUITE, &enc, &[0u8; 32], &secret)
            .expect("vector context");
        (ctx, enc, secret)
    })
}

/// The fixed context of the single-shot target and its secrets `(enc, response_secret)`.
pub fn response_fixture() -> &'static (ResponseContext, Vec<u8>, Vec<u8>) {
    static F: OnceLock<(ResponseContext, Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let c = case(OHTTP_RESPONSE, RESPONSE_CASE);
        let enc = unhex(field(&c, "enc"));
        let secret = unhex(field(&c, "response_secret"));
        let ctx = ResponseContext::from_secrets(SUITE, &enc, &secret, &[0u8; 32])
            .expect("vector context");
        (ctx, enc, secret)
    })
}

/// The fixed recipient (gateway key) of the decapsulate target.
pub fn recipient() -> &'static Recipient {
    static R: OnceLock<Recipient> = OnceLock::new();
    R.get_or_init(|| {
        let c = case(OHTTP_REQUEST, REQUEST_CASE);
        let key_id = c
            .get("key_id")
            .and_then(Value::as_number)
            .and_then(|n| n.as_u64())
            .expect("key_id") as u8;
        Recipient::new(key_id, SUITE, &unhex(field(&c, "skR"))).expect("vector key")
    })
}

/// The fixed verification inputs: the signing key, the canonical request bytes, the
/// signed output, and every genuine signature the vectors hold for this key.
pub struct VerifyFixture {
    /// The TEE signing key (RSA-2048).
    pub key: SigningKey,
    /// `json.dumps(canonical, sort_keys=True)` of the request.
    pub canonical: Vec<u8>,
    /// The signed output string of the base case.
    pub output: String,
    /// Genuine signatures: (signed `msg_hash`, the base64 signature as the response
    /// spells it), from the `signed` record of every case signed by this key with
    /// RSA-PSS and a 32-byte salt whose signature the vectors do not call bad.
    pub genuine: Vec<([u8; 32], String)>,
}

/// `keccak256(request_hash || output_hash || uint256(timestamp))`, computed here
/// independently of og-verify.
pub fn msg_hash(request_hash: &[u8; 32], output_hash: &[u8; 32], timestamp: u64) -> [u8; 32] {
    let mut m = Vec::with_capacity(96);
    m.extend_from_slice(request_hash);
    m.extend_from_slice(output_hash);
    m.extend_from_slice(&[0u8; 24]);
    m.extend_from_slice(&timestamp.to_be_bytes());
    og_canon::keccak256(&m)
}

/// The verify fixture (built once).
pub fn verify_fixture() -> &'static VerifyFixture {
    static F: OnceLock<VerifyFixture> = OnceLock::new();
    F.get_or_init(|| {
        let base = case(VERIFY, VERIFY_CASE);
        let key = SigningKey::from_pem(field(&base, "signing_key_pem")).expect("vector key");
        let canonical = field(&base, "canonical_text").as_bytes().to_vec();
        let output = field(&base, "response_content").to_owned();
        let tee_id = key.tee_id().to_string().to_ascii_lowercase();
        let file = og_canon::parse(VERIFY).expect("verify.json parses");
        let mut genuine = Vec::new();
        for c in file
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(signed) = c.get("signed") else {
                continue;
            };
            let pss32 = signed.get("scheme").and_then(Value::as_str) == Some("pss")
                && signed
                    .get("salt_length")
                    .and_then(Value::as_number)
                    .and_then(|n| n.as_u64())
                    == Some(32);
            let by_key = signed
                .get("signer_tee_id")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                == Some(tee_id.clone());
            let bad = c.get("expect_error").and_then(Value::as_str) == Some("bad_signature");
            let signature = c
                .get("response_body")
                .and_then(|b| b.get("tee_signature"))
                .and_then(Value::as_str);
            if let (true, true, false, Some(sig)) = (pss32, by_key, bad, signature) {
                let m: [u8; 32] = unhex(field(signed, "msg_hash"))
                    .try_into()
                    .expect("32 bytes");
                genuine.push((m, sig.to_owned()));
            }
        }
        assert!(!genuine.is_empty(), "no genuine signature in verify.json");
        VerifyFixture {
            key,
            canonical,
            output,
            genuine,
        }
    })
}

/// A `chunked_decrypter` input: limits, piece lengths and the stream.
#[derive(Debug)]
pub struct ChunkedInput<'a> {
    /// The decrypter's limits.
    pub limits: ChunkLimits,
    /// Whether the limits are the defaults.
    pub default_limits: bool,
    /// The stream cut into pieces (every byte of the stream, in order; empty pieces allowed).
    pub pieces: Vec<&'a [u8]>,
    /// The whole stream.
    pub stream: &'a [u8],
}

impl<'a> ChunkedInput<'a> {
    /// Decodes the format described in the crate docs; `None` when the header is cut.
    pub fn parse(data: &'a [u8]) -> Option<ChunkedInput<'a>> {
        let (&flags, mut rest) = data.split_first()?;
        let u16le = |rest: &mut &'a [u8]| -> Option<u16> {
            let (b, r) = rest.split_first_chunk::<2>()?;
            *rest = r;
            Some(u16::from_le_bytes(*b))
        };
        let default_limits = flags & 0x80 == 0;
        let limits = if default_limits {
            ChunkLimits::default()
        } else {
            let max_chunk = u64::from(u16le(&mut rest)?);
            let max_total = u64::from(u16le(&mut rest)?);
            ChunkLimits {
                max_chunk,
                max_total,
            }
        };
        let mut lens = Vec::new();
        for _ in 0..(flags & 0x0f) {
            lens.push(usize::from(u16le(&mut rest)?));
        }
        let stream = rest;
        let mut pieces = Vec::with_capacity(lens.len() + 1);
        let mut at = 0usize;
        for len in lens {
            let end = at.saturating_add(len).min(stream.len());
            pieces.push(&stream[at..end]);
            at = end;
        }
        pieces.push(&stream[at..]);
        Some(ChunkedInput {
            limits,
            default_limits,
            pieces,
            stream,
        })
    }
}

/// An `sse_accumulator` input: limits and frames.
#[derive(Debug)]
pub struct SseInput<'a> {
    /// The accumulator's limits (`None`: the defaults).
    pub limits: Option<og_canon::StreamLimits>,
    /// The frames, in order.
    pub frames: Vec<&'a [u8]>,
}

impl<'a> SseInput<'a> {
    /// Decodes the format described in the crate docs; `None` when the header is cut.
    pub fn parse(data: &'a [u8]) -> Option<SseInput<'a>> {
        let [sep, cfg, rest @ ..] = data else {
            return None;
        };
        let limits = (cfg & 0x80 != 0).then(|| {
            og_canon::StreamLimits::new()
                .with_max_total_bytes(64usize << (cfg & 0x07))
                .with_max_events(1 + usize::from((cfg >> 3) & 0x03) * 3)
                .with_max_tool_calls(1 + usize::from((cfg >> 5) & 0x03))
        });
        Some(SseInput {
            limits,
            frames: rest.split(|b| b == sep).collect(),
        })
    }
}
