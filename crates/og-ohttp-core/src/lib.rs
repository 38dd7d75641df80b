//! Oblivious HTTP (RFC 9458) as OpenGradient's TEE gateways speak it: one request sealed
//! to the gateway's X25519 key, answered by a single-shot or a chunked response.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use og_ohttp_core::{ChunkLimits, ClientRequest, Recipient, Suite};
//!
//! let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
//! // The gateway (inside the enclave) holds the private key; clients know its key id
//! // and public key from the registry.
//! let gateway = Recipient::derive(1, suite, b"enclave key seed");
//!
//! // Client: seal the request; keep the context to open the answer.
//! let client = ClientRequest::new(1, suite, gateway.public_key())?;
//! let (request, context) = client.encapsulate(br#"{"model":"gpt-4.1"}"#)?;
//!
//! // Gateway: open it and answer as a stream of chunks.
//! let (plaintext, server) = gateway.decapsulate(&request)?;
//! assert_eq!(plaintext, br#"{"model":"gpt-4.1"}"#);
//! let mut encrypter = server.chunked_encrypter(&[0x42; 32])?; // use a fresh random nonce
//! let mut stream = encrypter.seal_chunk(b"data: {\"delta\":\"Hi\"}\n\n")?;
//! stream.extend(encrypter.seal_final(b"data: [DONE]\n\n")?);
//!
//! // Client: decrypt the stream as it arrives, frame by frame.
//! let mut frames = Vec::new();
//! let mut decrypter = context.chunked_decrypter(ChunkLimits::default());
//! for piece in stream.chunks(10) {
//!     decrypter.feed(piece, |frame| frames.push(frame.to_vec()))?;
//! }
//! decrypter.finish(|frame| frames.push(frame.to_vec()))?;
//! assert_eq!(frames[1], b"data: [DONE]\n\n");
//! # }
//! # Ok::<(), og_ohttp_core::Error>(())
//! ```
//!
//! Wire formats (PROTOCOL.md §1):
//!
//! ```text
//! request          = hdr(7) || enc(32) || HPKE-Seal(info = "message/bhttp request" 00 hdr, aad = "")
//! response         = response_nonce(max(Nn, Nk)) || AEAD(key/nonce from HKDF(enc || nonce, secret))
//! chunked response = response_nonce || (varint(len) || sealed)* || 00 || sealed_final
//! ```
//!
//! The crate is `no_std` + `alloc`; the default `std` feature only adds
//! [`ClientRequest::encapsulate`] (operating-system randomness). HPKE, HKDF and the AEADs
//! come from the `hpke`, `hkdf`, `chacha20poly1305` and `aes-gcm` crates. The non-default
//! `aws-lc` feature (implies `std`) runs the response AEAD through AWS-LC (`aws-lc-rs`)
//! instead, several times faster on small chunks and about 2x on large ones; the request
//! side (HPKE) is the same with either ([`AEAD_BACKEND`] says which is built in). Untrusted
//! input never panics and never makes the crate allocate beyond the configured
//! [`ChunkLimits`]; secrets are zeroized on drop.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod aead;
mod chunked;
mod error;
mod key_config;
mod request;
mod response;
pub mod suite;
#[doc(hidden)]
pub mod testing;
pub mod varint;

pub use aead::AEAD_BACKEND;
pub use chunked::{ChunkLimits, ChunkedDecrypter, ChunkedEncrypter};
pub use error::Error;
pub use key_config::KeyConfig;
pub use request::{ClientRequest, Recipient};
pub use response::{ResponseContext, ServerResponse};
pub use suite::Suite;

/// Media type of an encapsulated request.
///
/// ```
/// assert_eq!(og_ohttp_core::OHTTP_REQUEST_MEDIA_TYPE, "message/ohttp-req");
/// ```
pub const OHTTP_REQUEST_MEDIA_TYPE: &str = "message/ohttp-req";
/// Media type of a single-shot encapsulated response.
///
/// ```
/// assert_eq!(og_ohttp_core::OHTTP_RESPONSE_MEDIA_TYPE, "message/ohttp-res");
/// ```
pub const OHTTP_RESPONSE_MEDIA_TYPE: &str = "message/ohttp-res";
/// Media type of a chunked encapsulated response.
///
/// ```
/// assert_eq!(og_ohttp_core::OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE, "message/ohttp-chunked-res");
/// ```
pub const OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE: &str = "message/ohttp-chunked-res";
/// Media type of a key configuration list.
///
/// ```
/// assert_eq!(og_ohttp_core::OHTTP_KEYS_MEDIA_TYPE, "application/ohttp-keys");
/// ```
pub const OHTTP_KEYS_MEDIA_TYPE: &str = "application/ohttp-keys";

/// HPKE `info` label of a request (followed by a zero byte and the header). The plaintext
/// is JSON, not Binary HTTP, but the label is fixed.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_REQUEST, "message/bhttp request");
/// ```
pub const LABEL_REQUEST: &str = "message/bhttp request";
/// HPKE export label of the single-shot response secret.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_RESPONSE, "message/bhttp response");
/// ```
pub const LABEL_RESPONSE: &str = "message/bhttp response";
/// HPKE export label of the chunked response secret.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_CHUNKED_RESPONSE, "message/bhttp chunked response");
/// ```
pub const LABEL_CHUNKED_RESPONSE: &str = "message/bhttp chunked response";
/// HKDF-Expand label of a response AEAD key.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_KEY, "key");
/// ```
pub const LABEL_KEY: &str = "key";
/// HKDF-Expand label of a response AEAD nonce.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_NONCE, "nonce");
/// ```
pub const LABEL_NONCE: &str = "nonce";
/// AAD of the final chunk of a chunked response.
///
/// ```
/// assert_eq!(og_ohttp_core::LABEL_FINAL, "final");
/// ```
pub const LABEL_FINAL: &str = "final";
