//! og-verify: checks that an answer was signed inside an OpenGradient TEE.
//!
//! Every answer of an OpenGradient TEE gateway carries an RSA-PSS signature, made
//! inside the enclave with the key the on-chain registry records for that TEE, over
//! `keccak256(request_hash || output_hash || uint256(timestamp))`. This crate checks
//! it exactly as the reference SDK (opengradient 1.1.4 `tee_verify.verify_response`)
//! does, and returns a [`TeeProof`]; PROTOCOL §4 lists the checks, in order.
//!
//! A gateway response (from the conformance vectors, case `ok_text_2048`):
//!
//! ```
//! use og_verify::{SigningKey, TeeId, verify_response};
//!
//! // The TEE's signing key, as the registry stores it (DER) or as PEM.
//! let key = SigningKey::from_pem(
//!     "-----BEGIN PUBLIC KEY-----\n\
//!      MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7Nv7nUp79hexI2NRw0Qh\n\
//!      TI78PARbLD75p6y+rfTMqUCsi5OCmhO+FJKvs2c5OyKdr6BLkjqkioftQ2JXgcJP\n\
//!      qO3/MEo4Jx7HSghEjzBdlERY6P0f929rAKdRvbNlo0JTfn36kQWfmHAN6pSwQFcG\n\
//!      XSu/uskn7niIJcLG1VXKMuhqHa/BidZ6N3hEjErCCTEMgpETenfVjoxNHHzaUiFC\n\
//!      CUiBLTswz1UYiA6NDCGLsu++01oH8cRbekG7aOGem6aD1n1ZbkJ8MgC60N3mmt6m\n\
//!      FLoK7+ZdwtEHa4qRw2vmJDSKginxSrHhtELPPcqWXFQXJMy024d2DBpEij0fitU1\n\
//!      nwIDAQAB\n\
//!      -----END PUBLIC KEY-----\n",
//! )?;
//! let expected: TeeId = "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb".parse()?;
//! assert_eq!(key.tee_id(), expected);
//!
//! // What was sent (canonical form, see og-canon) and what came back.
//! let canonical = br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;
//! let response = og_canon::parse(concat!(
//!     r#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there!"}, "finish_reason": "stop"}], "#,
//!     r#""tee_signature": "akDRPs0LUfqDyXZKDykrWXUDCyJRwPssI5xHBebwT9cRK2khv3ehzCQ5CZkx"#,
//!     r#"IdE05+/xiI2NxexW3E8JhRLLRplgJ9KA7GXa9UWFDRkPXTAm4KBTf9HXGV1xXde6fqfolRxx4wgCj31W"#,
//!     r#"jZeBYcS4RvmiHyF2Sa3BM+msSRxg8HTCmr1wJf5LQmEalEDeIJcLbn/7jnBZ3ByJBG4lKJQ8jQhBTpIe"#,
//!     r#"eCFzlCuPdo9mXH2JHGbUDPv3xNWGqqZISgp6CI1yaCg2lNTpb/WkR32mx5zl0NWyXZ0pHX10uRkqBE5b"#,
//!     r#"nlJVLsvYEhOWptAW2BLcHVtziZ3osTv7Pu6Io/Zc2w=="#,
//!     r#"", "tee_request_hash": "643934be0694758b23dee7c223722b63708d58a5179ad952190f02a45892005f", "#,
//!     r#""tee_output_hash": "a61e6bf963b21b593248a1e0972d43492e018e5e3b8300b0df21d2d409ec8580", "#,
//!     r#""tee_timestamp": 1750000006, "#,
//!     r#""tee_id": "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb"}"#,
//! ))
//! .expect("valid JSON");
//!
//! // The exact string the gateway hashed as output.
//! let output = og_canon::signed_output(&response).expect("a text or tool-call answer");
//! assert_eq!(output, "Hi there!");
//!
//! let proof = verify_response(canonical, &response, &output, &key, Some(&expected), "https://tee-1.example")?;
//! assert_eq!(proof.timestamp(), 1750000006);
//! assert_eq!(proof.request_hash(), "643934be0694758b23dee7c223722b63708d58a5179ad952190f02a45892005f");
//!
//! // Any other output (or request, key, timestamp ...) is refused.
//! let err = verify_response(canonical, &response, "Hi there", &key, Some(&expected), "").unwrap_err();
//! assert_eq!(err.category(), "output_hash_mismatch");
//! # Ok::<(), og_verify::VerifyError>(())
//! ```
//!
//! # Rules where the reference is lenient or crashes (PROTOCOL §8)
//!
//! - `tee_timestamp` is an integer or a string of ASCII decimal digits; anything
//!   else (`" 5 "`, `"+5"`, `"0_5"`, other digits, floats, booleans) is refused,
//!   as are negative values and values of 2^256 or more (`bad_timestamp`). Values
//!   from 2^64 to 2^256 - 1, which the reference would accept, are refused too:
//!   proofs keep the timestamp as a `u64` (unix seconds).
//! - `tee_signature` must be canonical standard base64 with padding: embedded
//!   newlines, missing padding or stray characters are `bad_signature`.
//! - The request and output hashes are compared as lower-case hex after an optional
//!   lower-case `0x`, exactly as the reference (`0X` and upper-case hex fail). The
//!   `tee_id` is compared case-insensitively after an optional lower-case `0x`.
//! - Signing keys: RSA (`rsaEncryption`) only, 2048 to 8192 bits, exponent 3 to
//!   2^33 - 1, canonical DER; anything else is `unsupported_key`. A PKCS#1
//!   `RSA PUBLIC KEY` PEM is accepted; its tee_id is that of its SPKI encoding.
//! - An expected tee_id is a parsed [`TeeId`]: an empty string is refused when it
//!   is parsed, rather than meaning "no expectation".
//!
//! Freshness of the signed timestamp is not checked by default (nor by the
//! reference); see [`FreshnessPolicy`].
//!
//! # Performance and the `aws-lc` feature
//!
//! Parse each TEE's key once into a [`SigningKey`] (about 20 µs for RSA-2048) and
//! reuse it; a verification then hashes with Keccak-256 (about 1.5 µs for a small
//! request) and runs one RSA-PSS check. With the default pure-Rust `rsa` crate
//! that check costs about 4x what AWS-LC needs (RSA-2048: roughly 80 µs against
//! 20 µs; RSA-4096: 300 µs against 70 µs, on a shared 2-core machine). The
//! non-default `aws-lc` feature runs the RSA step through `aws-lc-rs` (C code,
//! built by `aws-lc-sys`) with the same API, the same checks and the same
//! parameters (SHA-256, MGF1-SHA-256, salt length 32, 2048 to 8192 bits); both
//! backends pass the same conformance vectors, Wycheproof's included.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod keys;
mod pcr;
mod policy;
mod proof;
mod verify;

pub use error::VerifyError;
pub use keys::{MAX_RSA_BITS, MIN_RSA_BITS, SigningKey, TeeId};
pub use pcr::PcrHash;
pub use policy::FreshnessPolicy;
pub use proof::{TeeProof, verify_proof};
/// The RSA-PSS backend this build uses: `"rsa"` (the default, the pure-Rust `rsa`
/// crate) or `"aws-lc"` (feature `aws-lc`).
///
/// ```
/// assert!(["rsa", "aws-lc"].contains(&og_verify::RSA_BACKEND));
/// ```
pub const RSA_BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "rsa"
};

pub use verify::{msg_hash, verify_pss_sha256, verify_response, verify_response_with_request_hash};
