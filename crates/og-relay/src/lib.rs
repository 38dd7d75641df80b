//! og-relay: verified, private chat completions with OpenGradient TEEs through an
//! Oblivious HTTP relay.
//!
//! A [`RelayClient`] seals an OpenAI-style chat request to a TEE's OHTTP key, posts it
//! to an untrusted relay, opens the answer and checks the enclave's RSA-PSS signature
//! over the request and the output before returning anything:
//!
//! ```no_run
//! use og_relay::{BearerToken, OhttpConfig, RelayClient, TeeEndpoint};
//! # fn main() -> Result<(), og_relay::Error> {
//! # let (signing_key_der, ohttp_public_key): (Vec<u8>, Vec<u8>) = (vec![], vec![]);
//! // The TEE's registry record: endpoint, signing key (DER), OHTTP key.
//! let tee = TeeEndpoint::new(
//!     "https://tee.example",
//!     &signing_key_der,
//!     OhttpConfig::x25519_chacha20poly1305(1, ohttp_public_key),
//! )?;
//! let client = RelayClient::builder("https://relay.example", tee)
//!     .auth(BearerToken::new("relay-token"))
//!     .build()?;
//! let request = og_canon::parse(
//!     r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Say hello"}]}"#,
//! )
//! .expect("valid JSON");
//!
//! let answer = client.chat_completion(&request)?; // verified, or an error
//! println!("{}", answer.content());
//!
//! let stream = client.stream_chat_completion(&request)?; // read as it arrives, verified
//! for frame in stream.frames() {
//!     print!("{frame}");
//! }
//! # Ok(()) }
//! ```
//!
//! # The exchange (PROTOCOL §5)
//!
//! `POST <relay>/api/v1/chat/ohttp` with the sealed request and the headers
//! `Content-Type: message/ohttp-req`, `Accept: message/ohttp-res` (single-shot) or
//! `message/ohttp-chunked-res` with `X-OHTTP-Stream: true` (streams),
//! `X-TEE-ID: <tee_id>`, then the [`AuthProvider`]'s headers, asked for on every
//! request (a provider may not replace the protocol's headers).
//!
//! # Relay errors
//!
//! A non-2xx relay status is [`Error::Relay`] with the status and a message: the
//! first truthy `detail` or `error` field of a JSON object body (a string as is; an
//! object's string `message`, as in OpenAI's envelope; anything else as compact
//! JSON), `"relay error"` when a JSON object has neither, else the first 500
//! characters of the body (`"relay error"` when empty). At most 64 KiB of an error
//! body is read, and messages are cut to 500 characters. Redirects are never
//! followed: a 3xx is a relay error naming the `Location`, since a relay that
//! redirects the ciphertext elsewhere is not the relay that was configured.
//!
//! The decrypted single-shot answer is a `{"status", "body"}` envelope or a bare body
//! (status 200). An inner status >= 400 is [`Error::Relay`] with the body's `error`
//! (extracted as above; `"TEE inner error"` when absent). Stricter than the
//! reference: a non-integer `status`, or an envelope without a `body` object, is
//! [`Error::MalformedInner`]. An error event in a stream (`{"error": "..."}`) is
//! [`Error::Relay`] with status 502.
//!
//! # Limits
//!
//! Every exchange is bounded in time and memory ([`Limits`]): connect 10 s, 120 s of
//! silence, 300 s in total, 32 MiB of response and 1 MiB per stream chunk by default.
//! A declared `Content-Length` over the limit fails before reading; a chunk length
//! prefix over the limit fails at once.
//!
//! # Streaming
//!
//! [`RelayClient::stream_chat_completion`] is the safe default: it reads the chunked
//! response incrementally (16 KiB reads, never the whole ciphertext at once),
//! decrypts and accumulates each frame, and returns the frames only once the signed
//! final event verified. [`RelayClient::stream_chat_completion_unverified`] yields
//! frames as they arrive, explicitly marked unverified, and ends with the verified
//! proof or an error; use it only if you can retract what you showed.
//!
//! # Errors never carry model output
//!
//! No [`Error`] variant holds unverified model content, not even in `Debug`.
//!
//! # Finding a TEE
//!
//! [`ConfidentialClient`] is the one-call form: with the default `registry` feature it
//! finds an attested TEE in the on-chain registry ([`registry`]), keeps it fresh and
//! fails over; or it takes an explicit [`TeeEndpoint`].
//!
//! # Features
//!
//! - `registry` (on by default): the on-chain registry ([`registry`] module: alloy
//!   bindings, decoding, selection, resolver) and the registry-backed
//!   [`ConfidentialClient`]. Turn default features off when you bring your own
//!   [`TeeEndpoint`]s: alloy and tokio are then not compiled.
//! - `test-vectors` (off by default): adds
//!   [`RelayClientBuilder::ephemeral_key_for_tests`](crate::RelayClientBuilder) to pin
//!   the OHTTP ephemeral key, for reproducing recorded exchanges. Never enable it
//!   in a build that talks to a real relay.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod client;
mod confidential;
mod endpoint;
mod error;
mod exchange;
mod record;
#[cfg(feature = "registry")]
pub mod registry;
mod response;
mod stream;

pub use auth::{AuthProvider, BearerToken};
pub use client::{Limits, RELAY_PATH, RelayClient, RelayClientBuilder};
pub use confidential::{
    ChatOptions, ConfidentialClient, ConfidentialClientBuilder, build_chat_body, gateway_model,
};
pub use endpoint::{OhttpConfig, TeeEndpoint};
pub use error::{Error, MAX_MESSAGE_CHARS, TimeoutKind};
pub use response::VerifiedChatResponse;
pub use stream::{UnverifiedDelta, UnverifiedEvent, UnverifiedStream, VerifiedStream};

// Re-exported so callers need not depend on the lower crates for the types they see.
pub use og_canon::Value;
pub use og_verify::{PcrHash, TeeId, TeeProof};

/// Compile-time proofs of the thread-safety promises.
mod assertions {
    use super::*;

    const fn send_sync_clone<T: Send + Sync + Clone>() {}
    const fn send<T: Send>() {}
    const fn send_sync<T: Send + Sync>() {}

    // A server can share one client between threads.
    const _: () = send_sync_clone::<RelayClient>();
    const _: () = send_sync_clone::<TeeEndpoint>();
    const _: () = send_sync_clone::<VerifiedChatResponse>();
    const _: () = send_sync_clone::<VerifiedStream>();
    const _: () = send_sync::<ConfidentialClient>();
    #[cfg(feature = "registry")]
    const _: () = send_sync::<registry::Resolver>();
    // A progressive stream can be handed to another thread.
    const _: () = send::<UnverifiedStream>();
}
