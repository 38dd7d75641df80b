//! The crate's one error type.
//!
//! No variant carries unverified model output: a verification failure says which
//! check failed (and the hashes involved), never the text that failed it. The only
//! free text that reaches an error is what a relay or the gateway put in an *error*
//! response (`detail`, `error`), cut to [`MAX_MESSAGE_CHARS`] characters.

use core::fmt;

/// Longest relay or inner error message kept, in characters (the reference keeps the
/// first 500 characters of a non-JSON error body).
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Which time limit ran out (see [`crate::Limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Resolving the relay's host or opening the connection (TLS included) took longer
    /// than [`crate::Limits::connect_timeout`].
    Connect,
    /// The relay sent nothing (or accepted nothing) for longer than
    /// [`crate::Limits::read_timeout`].
    Read,
    /// The whole exchange, from connecting to the last byte of the response, took
    /// longer than [`crate::Limits::total_timeout`].
    Total,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => {
                "connecting to the relay took longer than the connect timeout (Limits::connect_timeout)"
            }
            TimeoutKind::Read => {
                "the relay went silent for longer than the read timeout (Limits::read_timeout)"
            }
            TimeoutKind::Total => {
                "the exchange took longer than the total deadline (Limits::total_timeout)"
            }
        })
    }
}

/// Everything that can go wrong between a chat request and its verified answer.
///
/// [`Error::category`] gives a stable snake_case name for each failure (the names the
/// test vectors use), [`Error::is_retryable`] says whether a fresh attempt may succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The relay answered with a non-2xx status (a redirect included: redirects are
    /// never followed), the gateway's inner response had a status >= 400, or the
    /// stream carried an error event (status 502). `message` is the relay's or the
    /// gateway's own error text (see the crate docs for the extraction rules).
    #[error("relay error {status}: {message}")]
    Relay {
        /// The HTTP status of the relay, or the inner status of the gateway.
        status: u16,
        /// The error message, at most [`MAX_MESSAGE_CHARS`] characters.
        message: String,
    },
    /// The connection to the relay failed (DNS, TCP, TLS, a broken HTTP exchange).
    #[error("transport error talking to the relay: {0}")]
    Transport(String),
    /// A time limit ran out.
    #[error("timed out: {0}")]
    Timeout(TimeoutKind),
    /// The relay's response body exceeds [`crate::Limits::max_response_bytes`]; it was
    /// refused without being buffered.
    #[error(
        "the relay's response is larger than the {limit}-byte limit (Limits::max_response_bytes); \
         refused without reading it"
    )]
    ResponseTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// The encrypted response could not be opened: it was altered, truncated,
    /// reordered, or not meant for this request.
    #[error("the encrypted response could not be opened: {0}")]
    Ohttp(#[from] og_ohttp_core::Error),
    /// The decrypted response is not what the gateway sends (not JSON, not an object,
    /// a `status` that is not an integer status code, an envelope without a body).
    #[error("malformed inner response from the TEE: {0}")]
    MalformedInner(String),
    /// The enclave's signature did not verify; the answer was discarded.
    #[error("the TEE's answer failed verification and was discarded: {0}")]
    Verification(#[from] og_verify::VerifyError),
    /// The stream ended without a signed final event; nothing it carried was verified.
    #[error("the stream ended without a signed final event; its content was discarded")]
    MissingFinalEvent,
    /// The request body cannot be sent (it is not a chat request the gateway signs).
    #[error("unsupported request: {0}")]
    UnsupportedRequest(#[from] og_canon::UnsupportedRequest),
    /// The TEE's registry record is unusable (bad key, unsupported suite, ids that
    /// disagree).
    #[error("invalid TEE endpoint: {0}")]
    InvalidEndpoint(String),
    /// The relay URL is unusable.
    #[error("invalid relay URL: {0}")]
    InvalidUrl(String),
    /// The registry's RPC node could not be reached, timed out, sent more than
    /// [`crate::registry::RegistryLimits::max_response_bytes`], or answered with a
    /// JSON-RPC error (a revert included).
    #[error("the registry's RPC node {url} failed: {message}")]
    Rpc {
        /// The RPC URL that was called.
        url: String,
        /// What went wrong, at most [`MAX_MESSAGE_CHARS`] characters.
        message: String,
    },
    /// The registry's configuration is unusable (an RPC URL that is not http(s), an
    /// address that is not 20 bytes of hex or fails its EIP-55 checksum).
    #[error("invalid registry configuration: {0}")]
    InvalidRegistry(String),
    /// The registry returned bytes that are not what the contract's ABI says (offsets
    /// outside the buffer, truncated data, wrong types).
    #[error("the registry returned malformed data: {0}")]
    RegistryData(String),
    /// No TEE in the registry satisfies the selection (nothing OHTTP-capable, a PCR or
    /// tee_id pin that matches nothing). The message says what the registry holds.
    #[error("no usable TEE: {0}")]
    NoTee(String),
    /// The authentication provider failed or returned a header that cannot be sent.
    /// The message never contains a header value.
    #[error("relay authentication: {0}")]
    Auth(String),
}

impl Error {
    /// A stable snake_case name for the failure.
    ///
    /// `Ohttp` and `Verification` pass on their cause's category (`aead`, `truncated`,
    /// `output_hash_mismatch`, ...); the others are `relay_error`, `transport`,
    /// `timeout`, `response_too_large`, `malformed_inner`, `missing_final_event`,
    /// `unsupported_request`, `invalid_endpoint`, `invalid_url`, `auth`, `rpc`,
    /// `invalid_registry`, `registry_data` and `no_tee`.
    ///
    /// ```
    /// let e = og_relay::Error::Relay { status: 401, message: "bad token".into() };
    /// assert_eq!(e.category(), "relay_error");
    /// ```
    pub fn category(&self) -> &'static str {
        match self {
            Error::Relay { .. } => "relay_error",
            Error::Transport(_) => "transport",
            Error::Timeout(_) => "timeout",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::Ohttp(e) => e.category(),
            Error::MalformedInner(_) => "malformed_inner",
            Error::Verification(e) => e.category(),
            Error::MissingFinalEvent => "missing_final_event",
            Error::UnsupportedRequest(_) => "unsupported_request",
            Error::InvalidEndpoint(_) => "invalid_endpoint",
            Error::InvalidUrl(_) => "invalid_url",
            Error::Auth(_) => "auth",
            Error::Rpc { .. } => "rpc",
            Error::RegistryData(_) => "registry_data",
            Error::InvalidRegistry(_) => "invalid_registry",
            Error::NoTee(_) => "no_tee",
        }
    }

    /// True when a fresh attempt (possibly through another TEE) may succeed: transport
    /// failures, timeouts, RPC node failures, and relay statuses 408, 429, 500, 502, 503 and 504.
    ///
    /// Integrity failures (`Ohttp`, `Verification`, `MissingFinalEvent`,
    /// `MalformedInner`) are not retryable: they mean someone on the path misbehaved.
    ///
    /// ```
    /// use og_relay::Error;
    /// assert!(Error::Relay { status: 429, message: String::new() }.is_retryable());
    /// assert!(!Error::Relay { status: 401, message: String::new() }.is_retryable());
    /// assert!(!Error::MissingFinalEvent.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) | Error::Timeout(_) | Error::Rpc { .. } => true,
            Error::Relay { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// Maps a ureq failure to ours (timeouts by phase, everything else transport).
pub(crate) fn from_ureq(e: ureq::Error) -> Error {
    match e {
        ureq::Error::Timeout(t) => Error::Timeout(match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => TimeoutKind::Connect,
            ureq::Timeout::PerRead | ureq::Timeout::PerWrite => TimeoutKind::Read,
            _ => TimeoutKind::Total,
        }),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            Error::Timeout(TimeoutKind::Read)
        }
        other => Error::Transport(other.to_string()),
    }
}

/// Maps a stream accumulation failure: an error event is [`Error::Relay`] (its message
/// cut to [`MAX_MESSAGE_CHARS`]), a missing final event [`Error::MissingFinalEvent`],
/// anything else [`Error::MalformedInner`].
pub(crate) fn from_stream(e: og_canon::StreamError) -> Error {
    match e {
        og_canon::StreamError::Relay { status, message } => Error::Relay {
            status,
            message: truncate_chars(&message).to_owned(),
        },
        og_canon::StreamError::MissingFinalEvent => Error::MissingFinalEvent,
        other => Error::MalformedInner(other.to_string()),
    }
}

/// Maps an I/O error from reading a response body (ureq wraps its own errors in it).
pub(crate) fn from_io(e: std::io::Error) -> Error {
    from_ureq(ureq::Error::from(e))
}

/// The first [`MAX_MESSAGE_CHARS`] characters of `s` (cut on a character boundary).
pub(crate) fn truncate_chars(s: &str) -> &str {
    match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let s = "é".repeat(600);
        let t = truncate_chars(&s);
        assert_eq!(t.chars().count(), 500);
        assert_eq!(t.len(), 1000);
        assert_eq!(truncate_chars("short"), "short");
        let exact = "a".repeat(500);
        assert_eq!(truncate_chars(&exact), exact);
        // A four-byte character straddling byte 500 is kept whole or not at all.
        let mixed = format!("{}{}", "a".repeat(499), "😀".repeat(3));
        assert_eq!(truncate_chars(&mixed), format!("{}😀", "a".repeat(499)));
    }

    #[test]
    fn ureq_timeouts_map_to_their_phase() {
        assert!(matches!(
            from_ureq(ureq::Error::Timeout(ureq::Timeout::Connect)),
            Error::Timeout(TimeoutKind::Connect)
        ));
        assert!(matches!(
            from_ureq(ureq::Error::Timeout(ureq::Timeout::PerRead)),
            Error::Timeout(TimeoutKind::Read)
        ));
        assert!(matches!(
            from_ureq(ureq::Error::Timeout(ureq::Timeout::Global)),
            Error::Timeout(TimeoutKind::Total)
        ));
        assert!(matches!(
            from_ureq(ureq::Error::HostNotFound),
            Error::Transport(_)
        ));
        let wrapped = ureq::Error::Timeout(ureq::Timeout::Global).into_io();
        assert!(matches!(
            from_io(wrapped),
            Error::Timeout(TimeoutKind::Total)
        ));
    }

    #[test]
    fn retryable_and_categories() {
        assert!(Error::Timeout(TimeoutKind::Total).is_retryable());
        assert!(Error::Transport("x".into()).is_retryable());
        assert!(!Error::ResponseTooLarge { limit: 1 }.is_retryable());
        assert_eq!(Error::MissingFinalEvent.category(), "missing_final_event");
        assert_eq!(Error::Timeout(TimeoutKind::Read).category(), "timeout");
        assert_eq!(Error::Auth("x".into()).category(), "auth");
    }
}
