//! The proof a verified response yields, and the re-check of a stored proof.

use serde::{Deserialize, Serialize};

use crate::error::VerifyError;
use crate::keys::SigningKey;
use crate::verify::{Fields, Timestamp};

/// The verified provenance of one response, as the reference's `TeeProof`.
///
/// Built only by a successful verification ([`crate::verify_response`],
/// [`crate::verify_response_with_request_hash`]) or read back from storage
/// (serde, JSON field names `tee_id`, `request_hash`, `output_hash`, `timestamp`,
/// `signature`, `signing_key_pem`, `tee_host`). A deserialized proof proves
/// nothing until [`verify_proof`] has re-checked it.
///
/// ```
/// # let response = og_canon::parse(include_str!("../tests/data/ok_text_2048.response.json")).unwrap();
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
/// # let canonical = br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;
/// let proof = og_verify::verify_response(canonical, &response, "Hi there!", &key, None, "https://tee-1.example")?;
/// assert_eq!(proof.timestamp(), 1750000006);
/// assert_eq!(proof.tee_id(), "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb");
/// assert_eq!(proof.output_hash(), "a61e6bf963b21b593248a1e0972d43492e018e5e3b8300b0df21d2d409ec8580");
/// let stored = serde_json::to_string(&proof).unwrap();
/// assert!(stored.starts_with(r#"{"tee_id":"0xc635"#));
/// let back: og_verify::TeeProof = serde_json::from_str(&stored).unwrap();
/// og_verify::verify_proof(&back, canonical, "Hi there!")?;
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeeProof {
    tee_id: String,
    request_hash: String,
    output_hash: String,
    timestamp: u64,
    signature: String,
    signing_key_pem: String,
    tee_host: Option<String>,
}

impl TeeProof {
    pub(crate) fn new(
        tee_id: String,
        request_hash_hex: &[u8; 64],
        output_hash_hex: &[u8; 64],
        timestamp: u64,
        signature: String,
        signing_key_pem: String,
        tee_host: &str,
    ) -> TeeProof {
        let text = |hex: &[u8; 64]| hex.iter().map(|&b| char::from(b)).collect();
        TeeProof {
            tee_id,
            request_hash: text(request_hash_hex),
            output_hash: text(output_hash_hex),
            timestamp,
            signature,
            signing_key_pem,
            tee_host: (!tee_host.is_empty()).then(|| tee_host.to_owned()),
        }
    }

    /// The response's `tee_id`, spelled as the response spelled it (hex of either
    /// case, `0x` optional); it names the signing key's tee_id.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert!(proof.tee_id().starts_with("0xc635"));
    /// ```
    pub fn tee_id(&self) -> &str {
        &self.tee_id
    }

    /// Keccak-256 of the canonical request bytes, lower-case hex without `0x`.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert_eq!(proof.request_hash().len(), 64);
    /// ```
    pub fn request_hash(&self) -> &str {
        &self.request_hash
    }

    /// Keccak-256 of the signed output's UTF-8, lower-case hex without `0x`.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert_eq!(proof.output_hash(), hex::encode(og_canon::keccak256(b"Hi there!")));
    /// ```
    pub fn output_hash(&self) -> &str {
        &self.output_hash
    }

    /// The enclave's signing time (unix seconds), as signed.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert_eq!(proof.timestamp(), 1750000006);
    /// ```
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The base64 RSA-PSS signature, exactly as the response sent it.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert!(proof.signature().ends_with("=="));
    /// ```
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The signing key's PEM: the text it was given as ([`SigningKey::from_pem`]),
    /// or its SPKI PEM ([`SigningKey::to_pem`]) when it was built from DER.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert!(proof.signing_key_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
    /// ```
    pub fn signing_key_pem(&self) -> &str {
        &self.signing_key_pem
    }

    /// The TEE host the answer came from, for display; `None` when the caller gave
    /// none (an empty `tee_host`).
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// assert_eq!(proof.tee_host(), Some("https://tee-1.example"));
    /// ```
    pub fn tee_host(&self) -> Option<&str> {
        self.tee_host.as_deref()
    }
}

/// Re-verifies a stored proof against the stored canonical request bytes and
/// signed output: the key is parsed from the proof's PEM, and every check of
/// [`crate::verify_response_with_request_hash`] from step 2 on runs again (the
/// proof's `tee_id` against its key, both hashes recomputed, the signature).
///
/// This shows the proof is genuine for *some* key; whether that key is a TEE you
/// trust is a separate question: compare [`TeeProof::tee_id`] (or the key's
/// [`SigningKey::tee_id`]) with the registry or your pin.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails; a proof whose PEM is not a
/// usable key fails with that key error.
///
/// ```
/// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
/// let canonical = br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;
/// og_verify::verify_proof(&proof, canonical, "Hi there!")?;
/// let err = og_verify::verify_proof(&proof, canonical, "Hi there").unwrap_err();
/// assert_eq!(err.category(), "output_hash_mismatch");
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub fn verify_proof(
    proof: &TeeProof,
    canonical_request_bytes: &[u8],
    signed_output: &str,
) -> Result<(), VerifyError> {
    let key = SigningKey::from_pem(&proof.signing_key_pem)?;
    let fields = Fields {
        signature: &proof.signature,
        request_hash: &proof.request_hash,
        output_hash: &proof.output_hash,
        timestamp: Timestamp::Value(proof.timestamp),
        tee_id: &proof.tee_id,
    };
    fields.check(
        &og_canon::keccak256(canonical_request_bytes),
        &og_canon::keccak256(signed_output.as_bytes()),
        &key,
        None,
    )?;
    Ok(())
}
