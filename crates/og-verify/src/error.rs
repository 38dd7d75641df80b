//! The one error type of this crate: which check failed, and why.

use crate::keys::TeeId;

/// Why a response, a proof, a key or an identifier was refused.
///
/// Each variant names the check that failed; [`VerifyError::category`] maps it to
/// the category used by the conformance vectors. Messages say what to look at
/// (which field, which key, which hash) and never quote model content: strings
/// taken from a response are only ever hashes or identifiers, and are shortened
/// when they are longer than such values can be.
///
/// ```
/// use og_verify::VerifyError;
/// let err = VerifyError::BadSignature;
/// assert_eq!(err.category(), "bad_signature");
/// assert!(err.to_string().contains("RSA-PSS"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A `tee_*` field is absent or has the wrong JSON type (PROTOCOL §4 step 1).
    #[error(
        "the response has no {expected} `{field}` ({found}); it cannot be verified: check that the answer came from an OpenGradient TEE gateway and was not altered"
    )]
    MissingField {
        /// The field, e.g. `tee_signature`.
        field: &'static str,
        /// What the field must hold, e.g. `string` or `integer (or decimal string)`.
        expected: &'static str,
        /// What was found: `absent`, `a boolean`, `a float`, ...
        found: &'static str,
    },

    /// `tee_timestamp` is not a non-negative integer below 2^64 (or a string of
    /// ASCII decimal digits holding one).
    #[error("`tee_timestamp` is refused: {reason}")]
    BadTimestamp {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The response's `tee_id` is not the signing key's tee_id (step 2).
    #[error(
        "tee_id mismatch: the response says {response}, but the signing key's tee_id is {key}: the answer was signed for another TEE, or the wrong signing key was used"
    )]
    TeeIdMismatch {
        /// The response's `tee_id`, as sent (shortened if absurdly long).
        response: String,
        /// The tee_id of the signing key the caller supplied.
        key: TeeId,
    },

    /// The tee_id is not the one the caller expected (step 3).
    #[error(
        "tee_id mismatch: the response and its signing key are TEE {actual}, but TEE {expected} was expected"
    )]
    ExpectedTeeIdMismatch {
        /// The TEE that answered (response and key agree on it).
        actual: TeeId,
        /// The TEE the caller pinned.
        expected: TeeId,
    },

    /// The gateway signed a different request than the one we sent (step 4).
    #[error(
        "request hash mismatch: the gateway signed a different request than the one sent (computed {computed}, signed {signed}); if the digits agree but the case differs, the gateway wrote upper-case hex (the reference compares case-sensitively); otherwise compare the canonical request bytes (og canon)"
    )]
    RequestHashMismatch {
        /// Keccak-256 of the canonical request bytes, lower-case hex.
        computed: String,
        /// `tee_request_hash` as the response spelled it (shortened if absurdly long).
        signed: String,
    },

    /// The content does not hash to the signed output hash (step 5).
    #[error(
        "output hash mismatch: the response content is not the output the enclave signed (computed {computed}, signed {signed}): the answer was altered on the way, or, if the digits agree but the case differs, the gateway wrote upper-case hex (the reference compares case-sensitively)"
    )]
    OutputHashMismatch {
        /// Keccak-256 of the UTF-8 output, lower-case hex.
        computed: String,
        /// `tee_output_hash` as the response spelled it (shortened if absurdly long).
        signed: String,
    },

    /// `tee_signature` is not canonical standard base64 (with `=` padding, no
    /// whitespace, no other characters).
    #[error("`tee_signature` is not canonical base64: {reason}")]
    BadSignatureEncoding {
        /// What the decoder refused.
        reason: String,
    },

    /// The RSA-PSS signature (SHA-256, MGF1-SHA-256, salt length 32) does not verify
    /// over the message hash (step 6).
    #[error(
        "RSA-PSS signature verification failed (SHA-256, MGF1-SHA-256, 32-byte salt): the signature does not cover this request hash, output hash and timestamp under this key"
    )]
    BadSignature,

    /// The key is not an RSA public key this crate accepts (not RSA, exponent out
    /// of range, modulus above 8192 bits, unexpected PEM label).
    #[error("unsupported signing key: {reason}")]
    UnsupportedKey {
        /// Why it is refused.
        reason: String,
    },

    /// The RSA modulus is shorter than [`crate::MIN_RSA_BITS`] bits.
    #[error(
        "the RSA signing key has {bits} bits; at least {min} are required",
        min = crate::keys::MIN_RSA_BITS
    )]
    KeyTooSmall {
        /// The modulus length in bits.
        bits: usize,
    },

    /// The key bytes or PEM text could not be decoded.
    #[error("malformed signing key: {reason}")]
    MalformedKey {
        /// What the decoder refused.
        reason: String,
    },

    /// A tee_id given by the caller could not be parsed.
    #[error("invalid tee_id: {reason} (expected 64 hex digits, `0x` optional)")]
    InvalidTeeId {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A PCR hash given by the caller could not be parsed.
    #[error("invalid PCR hash: {reason} (expected 64 hex digits, `0x` optional)")]
    InvalidPcrHash {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The signed timestamp is older than the freshness policy allows.
    #[error(
        "the signed timestamp is {age_secs} s old; the freshness policy allows at most {max_age_secs} s (check the local clock, or a replayed answer)"
    )]
    StaleTimestamp {
        /// How old the timestamp is, in seconds.
        age_secs: u64,
        /// The policy's maximum age, in seconds.
        max_age_secs: u64,
    },

    /// The signed timestamp is further in the future than the allowed clock skew.
    #[error(
        "the signed timestamp is {ahead_secs} s in the future; the freshness policy allows {max_skew_secs} s of clock skew (check the local clock)"
    )]
    FutureTimestamp {
        /// How far ahead of `now` the timestamp is, in seconds.
        ahead_secs: u64,
        /// The policy's allowed clock skew, in seconds.
        max_skew_secs: u64,
    },
}

impl VerifyError {
    /// The conformance-vector category of this error.
    ///
    /// One of `missing_field`, `bad_timestamp`, `tee_id_mismatch`,
    /// `expected_tee_id_mismatch`, `request_hash_mismatch`, `output_hash_mismatch`,
    /// `bad_signature` (also for undecodable base64), `unsupported_key` (also for
    /// keys that are too small or malformed), and, outside the vectors,
    /// `invalid_tee_id`, `invalid_pcr_hash`, `stale_timestamp`, `future_timestamp`.
    ///
    /// ```
    /// use og_verify::VerifyError;
    /// assert_eq!(VerifyError::KeyTooSmall { bits: 1024 }.category(), "unsupported_key");
    /// assert_eq!(
    ///     VerifyError::BadTimestamp { reason: "negative" }.category(),
    ///     "bad_timestamp"
    /// );
    /// ```
    pub fn category(&self) -> &'static str {
        match self {
            VerifyError::MissingField { .. } => "missing_field",
            VerifyError::BadTimestamp { .. } => "bad_timestamp",
            VerifyError::TeeIdMismatch { .. } => "tee_id_mismatch",
            VerifyError::ExpectedTeeIdMismatch { .. } => "expected_tee_id_mismatch",
            VerifyError::RequestHashMismatch { .. } => "request_hash_mismatch",
            VerifyError::OutputHashMismatch { .. } => "output_hash_mismatch",
            VerifyError::BadSignatureEncoding { .. } | VerifyError::BadSignature => "bad_signature",
            VerifyError::UnsupportedKey { .. }
            | VerifyError::KeyTooSmall { .. }
            | VerifyError::MalformedKey { .. } => "unsupported_key",
            VerifyError::InvalidTeeId { .. } => "invalid_tee_id",
            VerifyError::InvalidPcrHash { .. } => "invalid_pcr_hash",
            VerifyError::StaleTimestamp { .. } => "stale_timestamp",
            VerifyError::FutureTimestamp { .. } => "future_timestamp",
        }
    }
}

/// Shortens a string taken from a response for an error message: at most 80
/// characters (a `0x` + 64-digit hash fits), cut on a character boundary.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_keeps_short_and_cuts_long() {
        assert_eq!(shown("0xabc"), "0xabc");
        let long = "é".repeat(200);
        let s = shown(&long);
        assert!(s.starts_with(&"é".repeat(80)));
        assert!(s.ends_with("... (400 bytes)"));
    }

    #[test]
    fn every_category_is_snake_case() {
        let all = [
            VerifyError::MissingField {
                field: "tee_id",
                expected: "string",
                found: "absent",
            },
            VerifyError::BadTimestamp { reason: "x" },
            VerifyError::BadSignatureEncoding { reason: "x".into() },
            VerifyError::BadSignature,
            VerifyError::UnsupportedKey { reason: "x".into() },
            VerifyError::KeyTooSmall { bits: 1 },
            VerifyError::MalformedKey { reason: "x".into() },
            VerifyError::InvalidTeeId { reason: "x" },
            VerifyError::InvalidPcrHash { reason: "x" },
            VerifyError::StaleTimestamp {
                age_secs: 1,
                max_age_secs: 0,
            },
            VerifyError::FutureTimestamp {
                ahead_secs: 1,
                max_skew_secs: 0,
            },
        ];
        for e in all {
            assert!(
                e.category()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
            assert!(!e.to_string().is_empty());
        }
    }
}
