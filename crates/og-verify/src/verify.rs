//! The checks of PROTOCOL §4, in the reference's order.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use og_canon::{Hash32, Keccak256Hasher, Value, keccak256};

use crate::error::{VerifyError, shown};
use crate::keys::{MAX_RSA_BITS, SigningKey, TeeId, hex32};
use crate::proof::TeeProof;

/// 2^256 in decimal: the first value a uint256 cannot hold.
const TWO_POW_256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";

/// Verifies a decrypted gateway response against the canonical request bytes that
/// were sent and the signed output extracted from the response.
///
/// `canonical_request_bytes` is `json.dumps(canonical, sort_keys=True)` (see
/// [`og_canon::InnerRequest::canonical_bytes`]); `response` is the single-shot body
/// or a stream's signed final event; `signed_output` is [`og_canon::signed_output`]
/// of the body (or a stream's accumulated output); `tee_host` is recorded in the
/// proof (`""` records none). See [`verify_response_with_request_hash`] for the
/// checks.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
///
/// ```
/// # let response = og_canon::parse(include_str!("../tests/data/ok_text_2048.response.json")).unwrap();
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
/// let canonical = br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;
/// let proof = og_verify::verify_response(canonical, &response, "Hi there!", &key, None, "")?;
/// assert_eq!(proof.tee_host(), None);
/// let err = og_verify::verify_response(canonical, &response, "Hi there?", &key, None, "").unwrap_err();
/// assert_eq!(err.category(), "output_hash_mismatch");
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub fn verify_response(
    canonical_request_bytes: &[u8],
    response: &Value,
    signed_output: &str,
    signing_key: &SigningKey,
    expected_tee_id: Option<&TeeId>,
    tee_host: &str,
) -> Result<TeeProof, VerifyError> {
    verify_response_with_request_hash(
        &keccak256(canonical_request_bytes),
        response,
        signed_output,
        signing_key,
        expected_tee_id,
        tee_host,
    )
}

/// Verifies a decrypted gateway response given the request hash the caller computed
/// (Keccak-256 of the canonical request bytes).
///
/// Checks, in order (PROTOCOL §4):
/// 1. `tee_signature`, `tee_request_hash`, `tee_output_hash` and `tee_id` are
///    strings and `tee_timestamp` is an integer or a string of ASCII decimal
///    digits ([`VerifyError::MissingField`], [`VerifyError::BadTimestamp`]);
/// 2. `tee_id` (hex of either case, optional lower-case `0x`) is the signing key's
///    ([`VerifyError::TeeIdMismatch`]);
/// 3. it is `expected_tee_id` when one is given ([`VerifyError::ExpectedTeeIdMismatch`]);
/// 4. `tee_request_hash` (lower-case hex, optional `0x`) is `request_hash`
///    ([`VerifyError::RequestHashMismatch`]);
/// 5. `tee_output_hash` is Keccak-256 of `signed_output`'s UTF-8
///    ([`VerifyError::OutputHashMismatch`]);
/// 6. the timestamp is below 2^64 ([`VerifyError::BadTimestamp`]), and `tee_signature`
///    (canonical base64) is an RSA-PSS signature (SHA-256, MGF1-SHA-256, 32-byte
///    salt) of `keccak256(request_hash || output_hash || uint256(timestamp))`
///    ([`VerifyError::BadSignatureEncoding`], [`VerifyError::BadSignature`]).
///
/// The proof keeps `tee_id` and `tee_signature` as the response spelled them, the
/// hashes as lower-case hex, and the signing key's PEM as it was given.
///
/// # Errors
/// The [`VerifyError`] of the first check that fails.
///
/// ```
/// # let response = og_canon::parse(include_str!("../tests/data/ok_text_2048.response.json")).unwrap();
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
/// let request_hash = og_canon::keccak256(
///     br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#,
/// );
/// let proof = og_verify::verify_response_with_request_hash(
///     &request_hash,
///     &response,
///     "Hi there!",
///     &key,
///     Some(&key.tee_id()),
///     "https://tee-1.example",
/// )?;
/// assert_eq!(proof.tee_host(), Some("https://tee-1.example"));
/// assert_eq!(proof.request_hash(), hex::encode(request_hash));
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub fn verify_response_with_request_hash(
    request_hash: &Hash32,
    response: &Value,
    signed_output: &str,
    signing_key: &SigningKey,
    expected_tee_id: Option<&TeeId>,
    tee_host: &str,
) -> Result<TeeProof, VerifyError> {
    let fields = Fields::from_response(response)?;
    let output_hash = keccak256(signed_output.as_bytes());
    let timestamp = fields.check(request_hash, &output_hash, signing_key, expected_tee_id)?;
    Ok(TeeProof::new(
        fields.tee_id.to_owned(),
        &hex32(request_hash),
        &hex32(&output_hash),
        timestamp,
        fields.signature.to_owned(),
        signing_key.proof_pem().to_owned(),
        tee_host,
    ))
}

/// Verifies an RSA-PSS signature over `message` with SHA-256, MGF1-SHA-256 and a
/// salt of exactly 32 bytes: `message` is hashed once with SHA-256 inside PSS.
///
/// This is step 6's primitive (there `message` is the 32-byte Keccak `msg_hash`),
/// exposed so the same code can be tested against Wycheproof's vectors. The
/// signature must be exactly as long as the modulus.
///
/// # Errors
/// [`VerifyError::BadSignature`] when the signature does not verify.
///
/// ```
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
/// let err = og_verify::verify_pss_sha256(&key, b"message", &[0u8; 256]).unwrap_err();
/// assert_eq!(err, og_verify::VerifyError::BadSignature);
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub fn verify_pss_sha256(
    key: &SigningKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    #[cfg(not(feature = "aws-lc"))]
    let verdict = key
        .verifier()
        .pss_verify::<sha2::Sha256>(message, signature);
    #[cfg(feature = "aws-lc")]
    let verdict = key.verifier().verify_sig(message, signature);
    verdict.map_err(|_| VerifyError::BadSignature)
}

/// The message the enclave signs: `keccak256(request_hash || output_hash ||
/// timestamp as a 32-byte big-endian unsigned integer)`.
///
/// ```
/// let m = og_verify::msg_hash(&[0; 32], &[0; 32], 0);
/// assert_eq!(m, og_canon::keccak256(&[0; 96]));
/// ```
pub fn msg_hash(request_hash: &Hash32, output_hash: &Hash32, timestamp: u64) -> Hash32 {
    let mut ts = [0u8; 32];
    ts[24..].copy_from_slice(&timestamp.to_be_bytes());
    let mut h = Keccak256Hasher::new();
    h.update(request_hash);
    h.update(output_hash);
    h.update(&ts);
    h.finalize()
}

/// `tee_timestamp` as accepted by step 1; its range is checked in step 6 (where the
/// reference fails on a negative value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timestamp<'a> {
    /// Decimal digits (no sign), possibly with leading zeros, possibly negative.
    Digits { digits: &'a str, negative: bool },
    /// A value already known to fit.
    Value(u64),
}

impl Timestamp<'_> {
    /// Step 6's range check: 0 <= t < 2^64.
    fn value(self) -> Result<u64, VerifyError> {
        let (digits, negative) = match self {
            Timestamp::Value(v) => return Ok(v),
            Timestamp::Digits { digits, negative } => (digits, negative),
        };
        let digits = digits.trim_start_matches('0');
        if negative && !digits.is_empty() {
            return Err(VerifyError::BadTimestamp {
                reason: "it is negative",
            });
        }
        if digits.len() > TWO_POW_256.len()
            || (digits.len() == TWO_POW_256.len() && digits >= TWO_POW_256)
        {
            return Err(VerifyError::BadTimestamp {
                reason: "it is 2^256 or more, beyond a uint256",
            });
        }
        if digits.is_empty() {
            return Ok(0);
        }
        digits.parse::<u64>().map_err(|_| VerifyError::BadTimestamp {
            reason: "it is 2^64 or more (unix seconds; this implementation keeps timestamps as u64)",
        })
    }
}

/// The five signed fields of a response (step 1 done).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub(crate) signature: &'a str,
    pub(crate) request_hash: &'a str,
    pub(crate) output_hash: &'a str,
    pub(crate) timestamp: Timestamp<'a>,
    pub(crate) tee_id: &'a str,
}

impl<'a> Fields<'a> {
    /// Step 1: presence and types, in the reference's order.
    pub(crate) fn from_response(response: &'a Value) -> Result<Fields<'a>, VerifyError> {
        let Value::Object(map) = response else {
            return Err(VerifyError::MissingField {
                field: "tee_signature",
                expected: "string",
                found: "the response is not a JSON object",
            });
        };
        let string = |field: &'static str| -> Result<&'a str, VerifyError> {
            match map.get(field) {
                Some(Value::String(s)) => Ok(s.as_str()),
                other => Err(VerifyError::MissingField {
                    field,
                    expected: "string",
                    found: found(other),
                }),
            }
        };
        let signature = string("tee_signature")?;
        let request_hash = string("tee_request_hash")?;
        let output_hash = string("tee_output_hash")?;
        let timestamp = match map.get("tee_timestamp") {
            Some(Value::Number(n)) if !n.is_float() => {
                let text = n.as_int_text().unwrap_or_default();
                match text.strip_prefix('-') {
                    Some(digits) => Timestamp::Digits {
                        digits,
                        negative: true,
                    },
                    None => Timestamp::Digits {
                        digits: text,
                        negative: false,
                    },
                }
            }
            Some(Value::String(s)) => {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(VerifyError::BadTimestamp {
                        reason: "it is a string that is not ASCII decimal digits (no sign, spaces, `_` or other digits)",
                    });
                }
                Timestamp::Digits {
                    digits: s,
                    negative: false,
                }
            }
            other => {
                return Err(VerifyError::MissingField {
                    field: "tee_timestamp",
                    expected: "integer (or decimal string)",
                    found: found(other),
                });
            }
        };
        let tee_id = string("tee_id")?;
        Ok(Fields {
            signature,
            request_hash,
            output_hash,
            timestamp,
            tee_id,
        })
    }

    /// Steps 2 to 6; returns the timestamp.
    pub(crate) fn check(
        &self,
        request_hash: &Hash32,
        output_hash: &Hash32,
        key: &SigningKey,
        expected_tee_id: Option<&TeeId>,
    ) -> Result<u64, VerifyError> {
        // 2. The key must be the one the response names.
        let key_id = key.tee_id();
        let reported = strip_0x(self.tee_id).as_bytes();
        if !reported.eq_ignore_ascii_case(&key_id.hex()) {
            return Err(VerifyError::TeeIdMismatch {
                response: shown(self.tee_id),
                key: key_id,
            });
        }
        // 3. And the one the caller expects.
        if let Some(expected) = expected_tee_id
            && *expected != key_id
        {
            return Err(VerifyError::ExpectedTeeIdMismatch {
                actual: key_id,
                expected: *expected,
            });
        }
        // 4. The request we sent (case-sensitive lower-case hex, as the reference).
        let computed = hex32(request_hash);
        if strip_0x(self.request_hash).as_bytes() != computed {
            return Err(VerifyError::RequestHashMismatch {
                computed: hex_string(&computed),
                signed: shown(self.request_hash),
            });
        }
        // 5. The output we are about to return.
        let computed = hex32(output_hash);
        if strip_0x(self.output_hash).as_bytes() != computed {
            return Err(VerifyError::OutputHashMismatch {
                computed: hex_string(&computed),
                signed: shown(self.output_hash),
            });
        }
        // 6. The signature over both hashes and the timestamp.
        let timestamp = self.timestamp.value()?;
        let message = msg_hash(request_hash, output_hash, timestamp);
        let mut sig = [0u8; MAX_RSA_BITS / 8];
        let len = match STANDARD.decode_slice(self.signature, &mut sig) {
            Ok(len) => len,
            // Longer than any accepted key's signature: cannot verify.
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                return Err(VerifyError::BadSignature);
            }
            Err(base64::DecodeSliceError::DecodeError(e)) => {
                return Err(VerifyError::BadSignatureEncoding {
                    reason: e.to_string(),
                });
            }
        };
        verify_pss_sha256(key, &message, &sig[..len])?;
        Ok(timestamp)
    }
}

/// Removes one lower-case `0x` (the reference's `_strip0x`).
fn strip_0x(s: &str) -> &str {
    s.strip_prefix("0x").unwrap_or(s)
}

fn hex_string(hex: &[u8; 64]) -> String {
    hex.iter().map(|&b| char::from(b)).collect()
}

fn found(v: Option<&Value>) -> &'static str {
    match v {
        None => "absent",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(n)) if n.is_float() => "a float",
        Some(Value::Number(_)) => "an integer",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "an array",
        Some(Value::Object(_)) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(d: &str) -> Timestamp<'_> {
        Timestamp::Digits {
            digits: d,
            negative: false,
        }
    }

    #[test]
    fn timestamp_range() {
        assert_eq!(digits("0").value(), Ok(0));
        assert_eq!(digits("000").value(), Ok(0));
        assert_eq!(digits("0001750000100").value(), Ok(1_750_000_100));
        assert_eq!(digits("18446744073709551615").value(), Ok(u64::MAX));
        let e = digits("18446744073709551616").value().unwrap_err();
        assert!(e.to_string().contains("2^64"));
        let below =
            "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert!(
            digits(below)
                .value()
                .unwrap_err()
                .to_string()
                .contains("2^64")
        );
        assert!(
            digits(TWO_POW_256)
                .value()
                .unwrap_err()
                .to_string()
                .contains("2^256")
        );
        let long = "9".repeat(5000);
        assert!(
            digits(&long)
                .value()
                .unwrap_err()
                .to_string()
                .contains("2^256")
        );
        let neg = Timestamp::Digits {
            digits: "1",
            negative: true,
        };
        assert!(neg.value().unwrap_err().to_string().contains("negative"));
        // "-0" is 0 (Python int("-0") == 0; og-canon normalises it anyway).
        let neg0 = Timestamp::Digits {
            digits: "0",
            negative: true,
        };
        assert_eq!(neg0.value(), Ok(0));
        assert_eq!(Timestamp::Value(7).value(), Ok(7));
    }

    #[test]
    fn msg_hash_layout() {
        let mut buf = [0u8; 96];
        buf[..32].copy_from_slice(&[1; 32]);
        buf[32..64].copy_from_slice(&[2; 32]);
        buf[88..].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        assert_eq!(
            msg_hash(&[1; 32], &[2; 32], 0x0102_0304_0506_0708),
            keccak256(&buf)
        );
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn complete() -> Vec<(&'static str, Value)> {
        vec![
            ("tee_signature", "c2ln".into()),
            ("tee_request_hash", "aa".into()),
            ("tee_output_hash", "bb".into()),
            ("tee_timestamp", 5i64.into()),
            ("tee_id", "0x01".into()),
        ]
    }

    #[test]
    fn fields_types() {
        let v = obj(&complete());
        let f = Fields::from_response(&v).unwrap();
        assert_eq!(f.signature, "c2ln");
        assert_eq!(f.timestamp, digits("5"));
        assert_eq!(f.tee_id, "0x01");

        for (i, (field, _)) in complete().iter().enumerate() {
            let mut pairs = complete();
            pairs.remove(i);
            let err = Fields::from_response(&obj(&pairs)).unwrap_err();
            assert_eq!(err.category(), "missing_field", "{field}");
            assert!(err.to_string().contains(field));
            assert!(err.to_string().contains("absent"));

            let mut pairs = complete();
            pairs[i].1 = Value::Array(vec![]);
            let err = Fields::from_response(&obj(&pairs)).unwrap_err();
            assert_eq!(err.category(), "missing_field", "{field}");
            assert!(err.to_string().contains("an array"));
        }
        let err = Fields::from_response(&Value::Array(vec![])).unwrap_err();
        assert_eq!(err.category(), "missing_field");
    }

    #[test]
    fn timestamp_types() {
        // The timestamp, owned: (digits, negative).
        let with = |ts: Value| {
            let mut pairs = complete();
            pairs[3].1 = ts;
            let v = obj(&pairs);
            Fields::from_response(&v).map(|f| match f.timestamp {
                Timestamp::Digits { digits, negative } => (digits.to_owned(), negative),
                Timestamp::Value(v) => (v.to_string(), false),
            })
        };
        assert_eq!(
            with(Value::Bool(true)).unwrap_err().category(),
            "missing_field"
        );
        let float = Value::Number(og_canon::Number::from_f64(5.0).unwrap());
        assert_eq!(with(float).unwrap_err().category(), "missing_field");
        assert_eq!(with(Value::Null).unwrap_err().category(), "missing_field");
        assert_eq!(with("17".into()).unwrap(), ("17".to_owned(), false));
        assert_eq!(with("0017".into()).unwrap(), ("0017".to_owned(), false));
        for bad in [
            "", "soon", " 5", "5 ", "+5", "-5", "0_5", "５", "1e3", "0x10",
        ] {
            assert_eq!(
                with(bad.into()).unwrap_err().category(),
                "bad_timestamp",
                "{bad:?}"
            );
        }
        assert_eq!(with((-3i64).into()).unwrap(), ("3".to_owned(), true));
    }

    #[test]
    fn strip_only_lower_case_prefix() {
        assert_eq!(strip_0x("0xab"), "ab");
        assert_eq!(strip_0x("0Xab"), "0Xab");
        assert_eq!(strip_0x("0x0xab"), "0xab");
        assert_eq!(strip_0x("ab"), "ab");
    }
}
