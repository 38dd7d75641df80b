//! The one error type of the crate, with a stable category per failure.

/// Everything that can go wrong while sealing or opening OHTTP messages.
///
/// Each variant says what was wrong; [`Error::category`] maps it to the stable
/// snake_case names the conformance vectors use.
///
/// ```
/// use og_ohttp_core::{ClientRequest, Error, Suite};
///
/// let err = ClientRequest::new(1, Suite::X25519_SHA256_CHACHA20POLY1305, &[0u8; 31]).unwrap_err();
/// assert_eq!(err, Error::PublicKeyLength { len: 31 });
/// assert_eq!(err.category(), "invalid_public_key");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The recipient public key does not have the KEM's length (32 bytes for X25519).
    #[error(
        "the OHTTP public key is {len} bytes, but an X25519 public key is exactly 32 bytes; \
         use the 32-byte key from the TEE's key configuration"
    )]
    PublicKeyLength {
        /// The length that was given.
        len: usize,
    },
    /// The public key is a low-order X25519 point: every key exchange with it gives the
    /// all-zero secret (RFC 9180 §7.1.4), so nothing sealed to it would be private.
    #[error(
        "the OHTTP public key is a low-order X25519 point (the key exchange would give an \
         all-zero secret); it cannot be a real gateway key, refuse this TEE"
    )]
    LowOrderPublicKey,
    /// A private key that does not have the KEM's length (32 bytes for X25519).
    #[error("the OHTTP private key is {len} bytes, but an X25519 private key is exactly 32 bytes")]
    PrivateKeyLength {
        /// The length that was given.
        len: usize,
    },
    /// The HPKE suite is not one this crate implements (or, for [`crate::Suite::new`],
    /// not the one the gateways use).
    #[error(
        "unsupported HPKE suite (kem=0x{kem_id:04x}, kdf=0x{kdf_id:04x}, aead=0x{aead_id:04x}); \
         OpenGradient gateways use DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305 \
         (0x0020/0x0001/0x0003)"
    )]
    UnsupportedSuite {
        /// The KEM id.
        kem_id: u16,
        /// The KDF id.
        kdf_id: u16,
        /// The AEAD id.
        aead_id: u16,
    },
    /// The request names a key id the recipient does not hold.
    #[error(
        "the request is for OHTTP key id {got}, but this recipient holds key id {expected}; \
         the client must use the key configuration this gateway publishes"
    )]
    UnknownKeyId {
        /// The recipient's key id.
        expected: u8,
        /// The key id in the request header.
        got: u8,
    },
    /// The recipient could not open the request: wrong key, altered encapsulated key or
    /// ciphertext, or a low-order encapsulated key.
    #[error(
        "the OHTTP request could not be decapsulated (altered, truncated, or sealed to \
         another key); ask the client to encrypt again to this gateway's current key"
    )]
    DecapFailed,
    /// The input is not well-formed (too short, inconsistent lengths, trailing bytes, a
    /// stream that ends inside a length prefix, ...). The text says which rule failed.
    #[error("malformed OHTTP data: {what}")]
    Malformed {
        /// Which rule the input broke.
        what: &'static str,
    },
    /// A length prefix claims more bytes than the input holds.
    #[error(
        "truncated OHTTP data: {what} claims {claimed} bytes but only {available} remain; \
         the message was cut short in transit"
    )]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// The length the prefix claims.
        claimed: u64,
        /// The bytes that were actually there.
        available: u64,
    },
    /// A chunked response ended without its final chunk (cut short, or a relay that
    /// dropped the end of the stream); nothing it carried may be trusted as complete.
    #[error(
        "the chunked OHTTP response ended without its final chunk (truncated stream); \
         discard what was received and retry"
    )]
    MissingFinal,
    /// The AEAD tag check failed: the response was altered, reordered, cut, sealed with
    /// the wrong associated data, or is not the answer to this request.
    #[error(
        "the OHTTP response failed authentication (altered, reordered, truncated, or not \
         the answer to this request); discard it"
    )]
    Aead,
    /// A chunk length prefix (or the final chunk) is larger than the configured maximum.
    #[error(
        "a chunk of the OHTTP response is {len} bytes, above the configured maximum of {max} \
         bytes; raise ChunkLimits::max_chunk if the gateway legitimately sends larger chunks"
    )]
    ChunkTooLarge {
        /// The length the prefix claims (or the final chunk reached).
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The whole chunked response is larger than the configured maximum.
    #[error(
        "the chunked OHTTP response exceeds the configured maximum of {max} bytes; raise \
         ChunkLimits::max_total if such long answers are expected"
    )]
    StreamTooLarge {
        /// The configured maximum.
        max: u64,
    },
    /// A secret, nonce or key given to a constructor does not have the suite's length.
    #[error("{what} is {len} bytes, but this suite needs {expected} bytes")]
    BadLength {
        /// What was given.
        what: &'static str,
        /// The length that was given.
        len: usize,
        /// The length the suite needs.
        expected: usize,
    },
    /// Sealing failed: the plaintext is beyond the AEAD's limits, or the encrypter was
    /// used past its end.
    #[error("sealing failed: {what}")]
    Seal {
        /// Why.
        what: &'static str,
    },
}

impl Error {
    /// The stable category name of this error, as the conformance vectors spell it.
    ///
    /// | category | variants |
    /// |---|---|
    /// | `invalid_public_key` | [`Error::PublicKeyLength`], [`Error::LowOrderPublicKey`] |
    /// | `unsupported_suite` | [`Error::UnsupportedSuite`] |
    /// | `unknown_key_id` | [`Error::UnknownKeyId`] |
    /// | `decap_failed` | [`Error::DecapFailed`] |
    /// | `malformed` | [`Error::Malformed`], [`Error::PrivateKeyLength`], [`Error::BadLength`] |
    /// | `truncated` | [`Error::Truncated`] |
    /// | `missing_final` | [`Error::MissingFinal`] |
    /// | `aead` | [`Error::Aead`], [`Error::Seal`] |
    /// | `chunk_too_large` | [`Error::ChunkTooLarge`], [`Error::StreamTooLarge`] |
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Error::MissingFinal.category(), "missing_final");
    /// ```
    pub fn category(&self) -> &'static str {
        match self {
            Error::PublicKeyLength { .. } | Error::LowOrderPublicKey => "invalid_public_key",
            Error::UnsupportedSuite { .. } => "unsupported_suite",
            Error::UnknownKeyId { .. } => "unknown_key_id",
            Error::DecapFailed => "decap_failed",
            Error::Malformed { .. } | Error::PrivateKeyLength { .. } | Error::BadLength { .. } => {
                "malformed"
            }
            Error::Truncated { .. } => "truncated",
            Error::MissingFinal => "missing_final",
            Error::Aead | Error::Seal { .. } => "aead",
            Error::ChunkTooLarge { .. } | Error::StreamTooLarge { .. } => "chunk_too_large",
        }
    }

    pub(crate) const fn malformed(what: &'static str) -> Error {
        Error::Malformed { what }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn categories_are_the_vector_names() {
        let all = [
            (Error::PublicKeyLength { len: 1 }, "invalid_public_key"),
            (Error::LowOrderPublicKey, "invalid_public_key"),
            (Error::PrivateKeyLength { len: 1 }, "malformed"),
            (
                Error::UnsupportedSuite {
                    kem_id: 1,
                    kdf_id: 2,
                    aead_id: 3,
                },
                "unsupported_suite",
            ),
            (
                Error::UnknownKeyId {
                    expected: 1,
                    got: 2,
                },
                "unknown_key_id",
            ),
            (Error::DecapFailed, "decap_failed"),
            (Error::malformed("x"), "malformed"),
            (
                Error::Truncated {
                    what: "x",
                    claimed: 2,
                    available: 1,
                },
                "truncated",
            ),
            (Error::MissingFinal, "missing_final"),
            (Error::Aead, "aead"),
            (Error::ChunkTooLarge { len: 2, max: 1 }, "chunk_too_large"),
            (Error::StreamTooLarge { max: 1 }, "chunk_too_large"),
            (
                Error::BadLength {
                    what: "x",
                    len: 1,
                    expected: 2,
                },
                "malformed",
            ),
            (Error::Seal { what: "x" }, "aead"),
        ];
        for (e, c) in all {
            assert_eq!(e.category(), c, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn suite_message_names_the_ids() {
        let e = Error::UnsupportedSuite {
            kem_id: 0x10,
            kdf_id: 1,
            aead_id: 3,
        };
        assert!(e.to_string().contains("kem=0x0010"));
    }
}
