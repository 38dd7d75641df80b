//! The simulated enclave's keys: an X25519 OHTTP key and an RSA-2048 signing key,
//! generated fresh or loaded, and the TEE record a client needs to trust them.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use og_canon::Hash32;
use og_ohttp_core::{KeyConfig, Suite};
use og_relay::{OhttpConfig, TeeEndpoint, TeeId};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

/// What went wrong building the simulator's keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The RSA key could not be generated or read.
    #[error("RSA signing key: {0}")]
    Rsa(String),
    /// The OHTTP key was refused.
    #[error("OHTTP key: {0}")]
    Ohttp(#[from] og_ohttp_core::Error),
}

/// An RSA signing key, signing as the gateway does: RSA-PSS, SHA-256, MGF1-SHA-256,
/// 32-byte salt, over `keccak256(request_hash || output_hash || timestamp)`.
#[derive(Clone)]
pub struct SignerKey {
    key: rsa::pss::SigningKey<Sha256>,
    spki_der: Vec<u8>,
}

impl SignerKey {
    /// A fresh RSA-2048 key.
    ///
    /// # Errors
    /// [`KeyError::Rsa`] when the system RNG fails.
    pub fn generate() -> Result<Self, KeyError> {
        let key =
            rsa::PrivateKey::new(&mut rng(), 2048).map_err(|e| KeyError::Rsa(e.to_string()))?;
        Self::from_key(key)
    }

    /// A key from its PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// [`KeyError::Rsa`] when the PEM is not an RSA PKCS#8 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let key = rsa::PrivateKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Rsa(e.to_string()))?;
        Self::from_key(key)
    }

    fn from_key(key: rsa::PrivateKey) -> Result<Self, KeyError> {
        let spki_der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| KeyError::Rsa(e.to_string()))?
            .into_vec();
        Ok(SignerKey {
            key: rsa::pss::SigningKey::new_with_salt_len(key, 32),
            spki_der,
        })
    }

    /// The public key, DER SubjectPublicKeyInfo (as the registry stores it).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The base64 signature over the request hash, output hash and timestamp.
    pub fn sign(&self, request_hash: &Hash32, output_hash: &Hash32, timestamp: u64) -> String {
        let msg_hash = og_verify::msg_hash(request_hash, output_hash, timestamp);
        let signature = self.key.sign(&msg_hash);
        BASE64_STANDARD.encode(signature.to_vec())
    }
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignerKey(..)")
    }
}

/// The enclave's keys.
///
/// ```no_run
/// let keys = og_sim::EnclaveKeys::generate(1)?;
/// let tee = keys.tee_endpoint("http://127.0.0.1:9999");
/// assert_eq!(tee.tee_id(), keys.tee_id());
/// # Ok::<(), og_sim::KeyError>(())
/// ```
pub struct EnclaveKeys {
    ohttp: og_ohttp_core::Recipient,
    signer: SignerKey,
    tee_id: TeeId,
}

impl EnclaveKeys {
    /// Fresh keys: X25519 for OHTTP with this key id, RSA-2048 for signing.
    ///
    /// # Errors
    /// [`KeyError`] when the system RNG fails.
    pub fn generate(key_id: u8) -> Result<Self, KeyError> {
        let ohttp = og_ohttp_core::Recipient::generate(
            key_id,
            Suite::X25519_SHA256_CHACHA20POLY1305,
            &mut rng(),
        );
        Ok(Self::from_parts(ohttp, SignerKey::generate()?))
    }

    /// Keys from an OHTTP recipient key and a signing key.
    pub fn from_parts(ohttp: og_ohttp_core::Recipient, signer: SignerKey) -> Self {
        let tee_id = TeeId::from_key_der(signer.spki_der());
        EnclaveKeys {
            ohttp,
            signer,
            tee_id,
        }
    }

    /// The tee_id: Keccak-256 of the signing key's DER.
    pub fn tee_id(&self) -> &TeeId {
        &self.tee_id
    }

    /// The signing key.
    pub fn signer(&self) -> &SignerKey {
        &self.signer
    }

    /// The OHTTP configuration a client seals to.
    pub fn ohttp_config(&self) -> OhttpConfig {
        let config = self.ohttp.key_config();
        OhttpConfig {
            key_id: config.key_id(),
            kem_id: config.kem_id(),
            kdf_id: 0x0001,
            aead_id: 0x0003,
            public_key: config.public_key().to_vec(),
            key_config: Some(config.to_bytes()),
        }
    }

    /// The RFC 9458 key configuration.
    pub fn key_config(&self) -> KeyConfig {
        self.ohttp.key_config()
    }

    /// The TEE record a client needs, for an enclave reachable at `endpoint`.
    ///
    /// # Panics
    /// Never for keys built by this type (they are valid by construction).
    pub fn tee_endpoint(&self, endpoint: &str) -> TeeEndpoint {
        TeeEndpoint::new(endpoint, self.signer.spki_der(), self.ohttp_config())
            .expect("the simulator's own keys make a valid endpoint")
    }

    pub(crate) fn decapsulate(
        &self,
        request: &[u8],
    ) -> Result<(Vec<u8>, Responder), og_ohttp_core::Error> {
        let (plaintext, context) = self.ohttp.decapsulate(request)?;
        Ok((plaintext, Responder { context }))
    }
}

impl std::fmt::Debug for EnclaveKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnclaveKeys")
            .field("tee_id", &format_args!("{}", self.tee_id))
            .finish_non_exhaustive()
    }
}

/// The enclave's half of one exchange: seals the answer.
pub(crate) struct Responder {
    context: og_ohttp_core::ServerResponse,
}

impl Responder {
    /// Seals a single-shot answer under a fresh random response nonce.
    pub(crate) fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, og_ohttp_core::Error> {
        self.context.seal_with_rng(&mut rng(), plaintext)
    }

    /// A chunked encrypter under a fresh random response nonce.
    pub(crate) fn chunked(self) -> Result<og_ohttp_core::ChunkedEncrypter, og_ohttp_core::Error> {
        self.context.chunked_encrypter_with_rng(&mut rng())
    }
}

/// The operating system's RNG (a failing system RNG is fatal, as everywhere).
fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}
