//! Signing keys (DER SubjectPublicKeyInfo / PEM), their size checks, and tee_ids.

use core::fmt;
use core::str::FromStr;
use std::sync::Arc;

use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use spki::ObjectIdentifier;
use spki::der::asn1::BitStringRef;
use spki::der::pem::{self, LineEnding};
use spki::der::{Decode, Encode};

use crate::error::VerifyError;

/// The smallest RSA modulus accepted, in bits (PROTOCOL §8: smaller keys are refused).
///
/// ```
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
/// assert!(key.bits() >= og_verify::MIN_RSA_BITS);
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus accepted, in bits (the limit of both RSA backends).
///
/// ```
/// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa4096.pem"))?;
/// assert!(key.bits() <= og_verify::MAX_RSA_BITS);
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
pub const MAX_RSA_BITS: usize = 8192;

const SPKI_PEM_LABEL: &str = "PUBLIC KEY";
const PKCS1_PEM_LABEL: &str = "RSA PUBLIC KEY";

/// A TEE identity: the Keccak-256 of the signing key's DER SubjectPublicKeyInfo,
/// as the on-chain registry keys it.
///
/// Parsed from 64 hex digits, either case, with an optional lower-case `0x` (the
/// reference strips only `0x`, so `0X...` is refused); shown as `0x` + lower-case hex.
///
/// ```
/// use og_verify::TeeId;
/// let id = TeeId::parse("C635FBDE7EA2D8027C1DDE2D08C679FD08D0AB905E0DE7CD076EF75EB7A495CB")?;
/// assert_eq!(
///     id.to_string(),
///     "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb"
/// );
/// assert_eq!(id, "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb".parse()?);
/// assert_eq!(id.as_bytes()[0], 0xc6);
/// assert!(TeeId::parse("").is_err());
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeeId([u8; 32]);

impl TeeId {
    /// Parses 64 hex digits (either case), with an optional `0x` prefix.
    ///
    /// # Errors
    /// [`VerifyError::InvalidTeeId`] for an empty string, a `0X` prefix, a length
    /// other than 64 digits, or a non-hex character.
    ///
    /// ```
    /// # use og_verify::TeeId;
    /// assert!(TeeId::parse(&format!("0x{}", "ab".repeat(32))).is_ok());
    /// assert_eq!(TeeId::parse("0x1234").unwrap_err().category(), "invalid_tee_id");
    /// ```
    pub fn parse(text: &str) -> Result<TeeId, VerifyError> {
        parse_bytes32(text)
            .map(TeeId)
            .map_err(|reason| VerifyError::InvalidTeeId { reason })
    }

    /// The tee_id of a key given as the DER bytes stored on-chain: their Keccak-256.
    ///
    /// The bytes are hashed as they are, without being parsed.
    ///
    /// ```
    /// use og_verify::TeeId;
    /// let id = TeeId::from_key_der(b"");
    /// assert_eq!(id.as_bytes(), &og_canon::keccak256(b""));
    /// ```
    pub fn from_key_der(der: &[u8]) -> TeeId {
        TeeId(og_canon::keccak256(der))
    }

    /// A tee_id from its 32 bytes.
    ///
    /// ```
    /// use og_verify::TeeId;
    /// assert_eq!(TeeId::from_bytes([0; 32]).to_string(), format!("0x{}", "0".repeat(64)));
    /// ```
    pub const fn from_bytes(bytes: [u8; 32]) -> TeeId {
        TeeId(bytes)
    }

    /// The 32 bytes.
    ///
    /// ```
    /// use og_verify::TeeId;
    /// assert_eq!(TeeId::from_bytes([7; 32]).as_bytes(), &[7; 32]);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex without `0x`, on the stack.
    pub(crate) fn hex(&self) -> [u8; 64] {
        hex32(&self.0)
    }
}

impl fmt::Display for TeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        f.write_str("0x")?;
        f.write_str(core::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for TeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TeeId({self})")
    }
}

impl FromStr for TeeId {
    type Err = VerifyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TeeId::parse(s)
    }
}

/// Lower-case hex of 32 bytes.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

/// Parses a bytes32 written as 64 hex digits (either case), `0x` optional.
pub(crate) fn parse_bytes32(text: &str) -> Result<[u8; 32], &'static str> {
    if text.is_empty() {
        return Err("empty string");
    }
    if text.starts_with("0X") {
        return Err("the prefix must be a lower-case `0x`");
    }
    let digits = text.strip_prefix("0x").unwrap_or(text).as_bytes();
    if digits.len() != 64 {
        return Err("not 64 hex digits long");
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (Some(hi), Some(lo)) = (hex_val(pair[0]), hex_val(pair[1])) else {
            return Err("not hexadecimal");
        };
        *o = (hi << 4) | lo;
    }
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A TEE's RSA signing public key, parsed once and ready to verify signatures.
///
/// Built from the DER SubjectPublicKeyInfo stored on-chain ([`SigningKey::from_spki_der`])
/// or from PEM ([`SigningKey::from_pem`]). Only RSA keys of [`MIN_RSA_BITS`] to
/// [`MAX_RSA_BITS`] bits with a public exponent from 3 to 2^33 - 1 are accepted, and
/// only in canonical DER (so the tee_id, the Keccak-256 of those bytes, is the one
/// the registry and the reference compute). Cloning is cheap (shared).
///
/// ```
/// use og_verify::SigningKey;
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7Nv7nUp79hexI2NRw0Qh
/// TI78PARbLD75p6y+rfTMqUCsi5OCmhO+FJKvs2c5OyKdr6BLkjqkioftQ2JXgcJP
/// qO3/MEo4Jx7HSghEjzBdlERY6P0f929rAKdRvbNlo0JTfn36kQWfmHAN6pSwQFcG
/// XSu/uskn7niIJcLG1VXKMuhqHa/BidZ6N3hEjErCCTEMgpETenfVjoxNHHzaUiFC
/// CUiBLTswz1UYiA6NDCGLsu++01oH8cRbekG7aOGem6aD1n1ZbkJ8MgC60N3mmt6m
/// FLoK7+ZdwtEHa4qRw2vmJDSKginxSrHhtELPPcqWXFQXJMy024d2DBpEij0fitU1
/// nwIDAQAB
/// -----END PUBLIC KEY-----
/// ";
/// let key = SigningKey::from_pem(pem)?;
/// assert_eq!(key.bits(), 2048);
/// assert_eq!(key.public_exponent(), 65537);
/// assert_eq!(
///     key.tee_id().to_string(),
///     "0xc635fbde7ea2d8027c1dde2d08c679fd08d0ab905e0de7cd076ef75eb7a495cb"
/// );
/// assert_eq!(key.to_pem(), pem);
/// assert_eq!(SigningKey::from_spki_der(key.spki_der())?.tee_id(), key.tee_id());
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey(Arc<Inner>);

struct Inner {
    /// The verifier: pure-Rust `rsa`, or AWS-LC with the `aws-lc` feature.
    #[cfg(not(feature = "aws-lc"))]
    key: rsa::PublicKey,
    #[cfg(feature = "aws-lc")]
    key: aws_lc_rs::signature::ParsedPublicKey,
    spki_der: Box<[u8]>,
    tee_id: TeeId,
    bits: usize,
    public_exponent: u64,
    /// The PEM recorded in proofs: the text the key was given as, or the SPKI PEM.
    proof_pem: Box<str>,
}

impl SigningKey {
    /// Parses a DER SubjectPublicKeyInfo holding an RSA key (`rsaEncryption`).
    ///
    /// # Errors
    /// [`VerifyError::UnsupportedKey`] for a key that is not RSA (EC, Ed25519,
    /// RSASSA-PSS-only ...), an exponent out of range or a modulus above
    /// [`MAX_RSA_BITS`]; [`VerifyError::KeyTooSmall`] below [`MIN_RSA_BITS`];
    /// [`VerifyError::MalformedKey`] for bytes that are not canonical DER.
    ///
    /// ```
    /// use og_verify::SigningKey;
    /// let err = SigningKey::from_spki_der(b"\x30\x00").unwrap_err();
    /// assert_eq!(err.category(), "unsupported_key");
    /// ```
    pub fn from_spki_der(der: &[u8]) -> Result<SigningKey, VerifyError> {
        Self::build(der, None)
    }

    /// Parses a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), or a PKCS#1
    /// `RSA PUBLIC KEY`, which is re-encoded as SubjectPublicKeyInfo for the tee_id
    /// (as the reference does). Proofs record the PEM text as given.
    ///
    /// # Errors
    /// As [`SigningKey::from_spki_der`], plus [`VerifyError::MalformedKey`] for text
    /// that is not PEM and [`VerifyError::UnsupportedKey`] for another PEM label.
    ///
    /// ```
    /// use og_verify::SigningKey;
    /// let err = SigningKey::from_pem("not a key").unwrap_err();
    /// assert_eq!(err.category(), "unsupported_key");
    /// ```
    pub fn from_pem(pem_text: &str) -> Result<SigningKey, VerifyError> {
        let (label, der) =
            pem::decode_vec(pem_text.as_bytes()).map_err(|e| VerifyError::MalformedKey {
                reason: format!("not PEM text: {e}"),
            })?;
        match label {
            SPKI_PEM_LABEL => Self::build(&der, Some(pem_text)),
            PKCS1_PEM_LABEL => {
                // Wrapped as the SubjectPublicKeyInfo the reference re-encodes it to;
                // `build` then checks it like any other key.
                let spki = spki::SubjectPublicKeyInfoRef {
                    algorithm: rsa::pkcs1::ALGORITHM_ID,
                    subject_public_key: BitStringRef::new(0, &der).map_err(|e| {
                        VerifyError::MalformedKey {
                            reason: format!("cannot wrap the PKCS#1 key: {e}"),
                        }
                    })?,
                }
                .to_der()
                .map_err(|e| VerifyError::MalformedKey {
                    reason: format!("cannot wrap the PKCS#1 key: {e}"),
                })?;
                Self::build(&spki, Some(pem_text))
            }
            other => Err(VerifyError::UnsupportedKey {
                reason: format!(
                    "PEM label `{}`; expected `{SPKI_PEM_LABEL}` or `{PKCS1_PEM_LABEL}`",
                    crate::error::shown(other)
                ),
            }),
        }
    }

    fn build(der: &[u8], pem_text: Option<&str>) -> Result<SigningKey, VerifyError> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|e| {
            VerifyError::MalformedKey {
                reason: format!("not a DER SubjectPublicKeyInfo: {e}"),
            }
        })?;
        let oid = spki.algorithm.oid;
        if oid != rsa::pkcs1::ALGORITHM_OID {
            return Err(VerifyError::UnsupportedKey {
                reason: format!(
                    "not an RSA key (rsaEncryption): the key's algorithm is {}",
                    algorithm_name(oid)
                ),
            });
        }
        let pkcs1_der = spki.subject_public_key.as_bytes().unwrap_or_default();
        let pkcs1 = rsa::pkcs1::RsaPublicKeyRef::from_der(pkcs1_der).map_err(|_| {
            VerifyError::MalformedKey {
                reason: "the RSA key inside the SubjectPublicKeyInfo is not a DER RSAPublicKey"
                    .to_owned(),
            }
        })?;
        let bits = bit_length(pkcs1.modulus.as_bytes());
        if bits < MIN_RSA_BITS {
            return Err(VerifyError::KeyTooSmall { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(VerifyError::UnsupportedKey {
                reason: format!(
                    "the RSA modulus has {bits} bits; at most {MAX_RSA_BITS} are accepted"
                ),
            });
        }
        let key = rsa::PublicKey::try_from(spki).map_err(|e| VerifyError::UnsupportedKey {
            reason: format!(
                "the RSA key is refused ({e}): the modulus must be odd and the exponent odd, from 3 to 2^33 - 1"
            ),
        })?;
        let canonical = key
            .to_public_key_der()
            .map_err(|e| VerifyError::MalformedKey {
                reason: format!("cannot re-encode the key: {e}"),
            })?;
        if canonical.as_bytes() != der {
            return Err(VerifyError::MalformedKey {
                reason: "the SubjectPublicKeyInfo is not in canonical DER (its tee_id would differ from the registry's)".to_owned(),
            });
        }
        let public_exponent =
            be_u64(&key.e().to_be_bytes()).ok_or_else(|| VerifyError::UnsupportedKey {
                reason: "the public exponent does not fit 64 bits".to_owned(),
            })?;
        if public_exponent < 3 || public_exponent % 2 == 0 {
            return Err(VerifyError::UnsupportedKey {
                reason: format!(
                    "the public exponent is {public_exponent}; it must be odd and at least 3"
                ),
            });
        }
        #[cfg(feature = "aws-lc")]
        let key = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256,
            pkcs1_der,
        )
        .map_err(|e| VerifyError::UnsupportedKey {
            reason: format!("AWS-LC refuses the RSA key: {e}"),
        })?;
        let proof_pem: Box<str> = match pem_text {
            Some(text) => text.into(),
            None => spki_pem(der).into(),
        };
        Ok(SigningKey(Arc::new(Inner {
            key,
            spki_der: der.into(),
            tee_id: TeeId::from_key_der(der),
            bits,
            public_exponent,
            proof_pem,
        })))
    }

    /// The DER SubjectPublicKeyInfo (what the registry stores; the tee_id hashes it).
    ///
    /// ```
    /// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
    /// assert_eq!(key.spki_der()[0], 0x30);
    /// # Ok::<(), og_verify::VerifyError>(())
    /// ```
    pub fn spki_der(&self) -> &[u8] {
        &self.0.spki_der
    }

    /// The key as a PEM `PUBLIC KEY`, byte-identical to Python `cryptography`'s:
    /// 64-character base64 lines, `\n` line ends, a trailing newline.
    ///
    /// ```
    /// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
    /// let pem = key.to_pem();
    /// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n") && pem.ends_with("-----END PUBLIC KEY-----\n"));
    /// # Ok::<(), og_verify::VerifyError>(())
    /// ```
    pub fn to_pem(&self) -> String {
        spki_pem(&self.0.spki_der)
    }

    /// The key's tee_id: Keccak-256 of [`SigningKey::spki_der`].
    ///
    /// ```
    /// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
    /// assert_eq!(key.tee_id(), og_verify::TeeId::from_key_der(key.spki_der()));
    /// # Ok::<(), og_verify::VerifyError>(())
    /// ```
    pub fn tee_id(&self) -> TeeId {
        self.0.tee_id
    }

    /// The modulus length in bits (2048 for an RSA-2048 key).
    ///
    /// ```
    /// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok::<(), og_verify::VerifyError>(())
    /// ```
    pub fn bits(&self) -> usize {
        self.0.bits
    }

    /// The public exponent (65537 for almost every key).
    ///
    /// ```
    /// # let key = og_verify::SigningKey::from_pem(include_str!("../tests/data/rsa2048.pem"))?;
    /// assert_eq!(key.public_exponent(), 65537);
    /// # Ok::<(), og_verify::VerifyError>(())
    /// ```
    pub fn public_exponent(&self) -> u64 {
        self.0.public_exponent
    }

    #[cfg(not(feature = "aws-lc"))]
    pub(crate) fn verifier(&self) -> &rsa::PublicKey {
        &self.0.key
    }

    #[cfg(feature = "aws-lc")]
    pub(crate) fn verifier(&self) -> &aws_lc_rs::signature::ParsedPublicKey {
        &self.0.key
    }

    pub(crate) fn proof_pem(&self) -> &str {
        &self.0.proof_pem
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("tee_id", &self.0.tee_id)
            .field("bits", &self.0.bits)
            .field("public_exponent", &self.0.public_exponent)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.spki_der == other.0.spki_der
    }
}

impl Eq for SigningKey {}

fn spki_pem(der: &[u8]) -> String {
    // Encoding into a String cannot fail for a short label and in-memory bytes;
    // an empty string would only make the PEM unreadable, never a wrong key.
    pem::encode_string(SPKI_PEM_LABEL, LineEnding::LF, der).unwrap_or_default()
}

/// Big-endian bytes to u64, ignoring leading zero bytes.
fn be_u64(bytes: &[u8]) -> Option<u64> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let rest = &bytes[start..];
    if rest.len() > 8 {
        return None;
    }
    Some(rest.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Bit length of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => (bytes.len() - i - 1) * 8 + (8 - bytes[i].leading_zeros() as usize),
    }
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10045.2.1" => "EC (id-ecPublicKey)",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (id-RSASSA-PSS keys are not accepted)",
        _ => "",
    };
    if name.is_empty() {
        format!("OID {oid}")
    } else {
        format!("{name}, OID {oid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes32_parsing_rules() {
        let lower = "ab".repeat(32);
        assert_eq!(parse_bytes32(&lower), Ok([0xab; 32]));
        assert_eq!(parse_bytes32(&format!("0x{lower}")), Ok([0xab; 32]));
        assert_eq!(parse_bytes32(&"AB".repeat(32)), Ok([0xab; 32]));
        assert_eq!(
            parse_bytes32(&format!("0x{}", "aB".repeat(32))),
            Ok([0xab; 32])
        );
        assert!(parse_bytes32("").is_err());
        assert!(parse_bytes32("0x").is_err());
        assert!(parse_bytes32(&format!("0X{lower}")).is_err());
        assert!(parse_bytes32(&format!("0x0x{}", "ab".repeat(31))).is_err());
        assert!(parse_bytes32(&"ab".repeat(31)).is_err());
        assert!(parse_bytes32(&"ab".repeat(33)).is_err());
        assert!(parse_bytes32(&format!("{}zz", "ab".repeat(31))).is_err());
        assert!(parse_bytes32(&format!(" {}", "ab".repeat(32))).is_err());
        // 64 bytes, but multi-byte characters: never a panic, never a value.
        assert!(parse_bytes32(&"é".repeat(32)).is_err());
    }

    #[test]
    fn hex32_is_lower_case() {
        let mut b = [0u8; 32];
        b[0] = 0xAB;
        b[31] = 0x0F;
        let h = hex32(&b);
        assert!(h.starts_with(b"ab00"));
        assert!(h.ends_with(b"000f"));
    }

    #[test]
    fn tee_id_display_and_debug() {
        let id = TeeId::from_bytes([0xcd; 32]);
        assert_eq!(id.to_string(), format!("0x{}", "cd".repeat(32)));
        assert_eq!(format!("{id:?}"), format!("TeeId(0x{})", "cd".repeat(32)));
        assert_eq!(TeeId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0]), 15);
    }

    #[test]
    fn be_u64_values() {
        assert_eq!(be_u64(&[0, 0, 1, 0, 1]), Some(65537));
        assert_eq!(be_u64(&[1; 9]), None);
        assert_eq!(be_u64(&[]), Some(0));
    }
}
