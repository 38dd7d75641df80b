//! A TEE as the registry describes it: where it is, which key signs its answers, and
//! which OHTTP key requests are sealed to.

use core::fmt;

use og_ohttp_core::{KeyConfig, Suite};
use og_verify::{PcrHash, SigningKey, TeeId};

use crate::Error;

/// The OHTTP key configuration of a TEE, as the registry's `OhttpConfig` holds it.
///
/// `key_config`, when present, is the RFC 9458 key configuration blob the registry
/// also stores; [`TeeEndpoint::new`] checks that it agrees with the separate fields
/// (the reference ignores it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OhttpConfig {
    /// The key identifier, bound into every request header.
    pub key_id: u8,
    /// HPKE KEM id (0x0020 = DHKEM(X25519, HKDF-SHA256)).
    pub kem_id: u16,
    /// HPKE KDF id (0x0001 = HKDF-SHA256).
    pub kdf_id: u16,
    /// HPKE AEAD id (0x0003 = ChaCha20-Poly1305).
    pub aead_id: u16,
    /// The recipient's X25519 public key (32 bytes).
    pub public_key: Vec<u8>,
    /// The serialized key configuration (RFC 9458 §3), if the registry has one.
    pub key_config: Option<Vec<u8>>,
}

impl OhttpConfig {
    /// A configuration with the gateways' suite (X25519 / HKDF-SHA256 /
    /// ChaCha20-Poly1305) and no key configuration blob.
    ///
    /// ```
    /// let c = og_relay::OhttpConfig::x25519_chacha20poly1305(1, vec![7; 32]);
    /// assert_eq!((c.kem_id, c.kdf_id, c.aead_id), (0x20, 1, 3));
    /// ```
    pub fn x25519_chacha20poly1305(key_id: u8, public_key: Vec<u8>) -> Self {
        OhttpConfig {
            key_id,
            kem_id: 0x0020,
            kdf_id: 0x0001,
            aead_id: 0x0003,
            public_key,
            key_config: None,
        }
    }
}

/// A TEE to talk to: its registry record, checked.
///
/// Built with [`TeeEndpoint::new`], which checks what can be checked locally: the
/// OHTTP key is 32 bytes and its suite supported, the signing key is an RSA key of at
/// least 2048 bits, the key configuration blob (if any) agrees with the fields.
/// [`TeeEndpoint::with_tee_id_check`] also checks the registry's `tee_id` against the
/// key.
#[derive(Clone)]
pub struct TeeEndpoint {
    tee_id: TeeId,
    endpoint: String,
    signing_key: SigningKey,
    ohttp: OhttpConfig,
    suite: Suite,
    pcr_hash: Option<PcrHash>,
    tls_certificate: Option<Vec<u8>>,
    payment_address: Option<[u8; 20]>,
}

impl TeeEndpoint {
    /// Checks a registry record and builds the endpoint.
    ///
    /// `endpoint` is the TEE's host URL as registered (it becomes the proof's
    /// `tee_host`); `signing_key_der` is the DER SubjectPublicKeyInfo as stored
    /// on-chain (the tee_id is its Keccak-256).
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] naming what is wrong: an empty endpoint, an OHTTP
    /// public key that is not 32 bytes, an unsupported suite, a signing key that is
    /// not an RSA SubjectPublicKeyInfo of at least 2048 bits, or a key configuration
    /// blob that is malformed or disagrees with the fields.
    pub fn new(
        endpoint: impl Into<String>,
        signing_key_der: &[u8],
        ohttp: OhttpConfig,
    ) -> Result<Self, Error> {
        let endpoint = endpoint.into();
        if endpoint.trim().is_empty() {
            return Err(Error::InvalidEndpoint(
                "the TEE's endpoint is empty (the registry skips such entries)".into(),
            ));
        }
        if ohttp.public_key.len() != 32 {
            return Err(Error::InvalidEndpoint(format!(
                "the OHTTP public key is {} bytes; an X25519 key is exactly 32",
                ohttp.public_key.len()
            )));
        }
        let suite = Suite::new(ohttp.kem_id, ohttp.kdf_id, ohttp.aead_id).map_err(|e| {
            Error::InvalidEndpoint(format!(
                "OHTTP suite kem 0x{:04x} / kdf 0x{:04x} / aead 0x{:04x}: {e}",
                ohttp.kem_id, ohttp.kdf_id, ohttp.aead_id
            ))
        })?;
        if let Some(blob) = &ohttp.key_config {
            check_key_config(blob, &ohttp)?;
        }
        let signing_key = SigningKey::from_spki_der(signing_key_der)
            .map_err(|e| Error::InvalidEndpoint(format!("the signing key: {e}")))?;
        Ok(TeeEndpoint {
            tee_id: signing_key.tee_id(),
            endpoint,
            signing_key,
            ohttp,
            suite,
            pcr_hash: None,
            tls_certificate: None,
            payment_address: None,
        })
    }

    /// Checks the registry's `tee_id` against the one computed from the signing key.
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] naming both ids when they differ.
    pub fn with_tee_id_check(self, registry_tee_id: &TeeId) -> Result<Self, Error> {
        if *registry_tee_id == self.tee_id {
            Ok(self)
        } else {
            Err(Error::InvalidEndpoint(format!(
                "the registry says tee_id {registry_tee_id} but the signing key's tee_id is {}",
                self.tee_id
            )))
        }
    }

    /// Records the TEE's registered PCR hash (the enclave measurement).
    pub fn with_pcr_hash(mut self, pcr_hash: PcrHash) -> Self {
        self.pcr_hash = Some(pcr_hash);
        self
    }

    /// Records the TEE's registered TLS certificate (DER, as on-chain).
    pub fn with_tls_certificate(mut self, certificate: Vec<u8>) -> Self {
        self.tls_certificate = Some(certificate);
        self
    }

    /// Records the TEE's payment address (20-byte EVM address).
    pub fn with_payment_address(mut self, address: [u8; 20]) -> Self {
        self.payment_address = Some(address);
        self
    }

    /// The tee_id: `0x` + Keccak-256 of the signing key's DER SubjectPublicKeyInfo.
    pub fn tee_id(&self) -> &TeeId {
        &self.tee_id
    }

    /// The TEE's endpoint URL as registered.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The TEE host recorded in proofs (the registered endpoint, as the reference does).
    pub fn host(&self) -> &str {
        &self.endpoint
    }

    /// The key that signs this TEE's answers.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The OHTTP configuration requests are sealed with.
    pub fn ohttp(&self) -> &OhttpConfig {
        &self.ohttp
    }

    /// The OHTTP suite, checked.
    pub(crate) fn suite(&self) -> Suite {
        self.suite
    }

    /// The registered PCR hash, if recorded.
    pub fn pcr_hash(&self) -> Option<&PcrHash> {
        self.pcr_hash.as_ref()
    }

    /// The registered TLS certificate, if recorded.
    pub fn tls_certificate(&self) -> Option<&[u8]> {
        self.tls_certificate.as_deref()
    }

    /// The registered payment address, if recorded.
    pub fn payment_address(&self) -> Option<&[u8; 20]> {
        self.payment_address.as_ref()
    }
}

impl fmt::Debug for TeeEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeeEndpoint")
            .field("tee_id", &format_args!("{}", self.tee_id))
            .field("endpoint", &self.endpoint)
            .field("ohttp_key_id", &self.ohttp.key_id)
            .field("pcr_hash", &self.pcr_hash)
            .finish_non_exhaustive()
    }
}

/// Checks the RFC 9458 key configuration blob against the separate registry fields.
fn check_key_config(blob: &[u8], ohttp: &OhttpConfig) -> Result<(), Error> {
    let config = KeyConfig::parse(blob).map_err(|e| {
        Error::InvalidEndpoint(format!(
            "the OHTTP key configuration blob is malformed: {e}"
        ))
    })?;
    if config.key_id() != ohttp.key_id {
        return Err(Error::InvalidEndpoint(format!(
            "the OHTTP key configuration has key id {} but the registry's key id is {}",
            config.key_id(),
            ohttp.key_id
        )));
    }
    if config.kem_id() != ohttp.kem_id {
        return Err(Error::InvalidEndpoint(format!(
            "the OHTTP key configuration has KEM 0x{:04x} but the registry's KEM is 0x{:04x}",
            config.kem_id(),
            ohttp.kem_id
        )));
    }
    if config.public_key() != ohttp.public_key.as_slice() {
        return Err(Error::InvalidEndpoint(
            "the OHTTP key configuration holds a different public key than the registry's".into(),
        ));
    }
    if !config
        .symmetric()
        .iter()
        .any(|&(kdf, aead)| kdf == ohttp.kdf_id && aead == ohttp.aead_id)
    {
        return Err(Error::InvalidEndpoint(format!(
            "the OHTTP key configuration does not list the registry's KDF 0x{:04x} / AEAD 0x{:04x}",
            ohttp.kdf_id, ohttp.aead_id
        )));
    }
    Ok(())
}
