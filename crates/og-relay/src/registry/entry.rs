//! One decoded registry record ([`RegisteredTee`]) and the rules that make it usable
//! (PROTOCOL §6).

use core::fmt;

use alloy_sol_types::SolCall;
use og_verify::{PcrHash, TeeId};

use super::abi::TEERegistry;
use crate::{Error, OhttpConfig, TeeEndpoint};

/// The kind of TEE a registry record describes (`teeType`); the default is
/// [`TeeType::LlmProxy`], the TEEs chats go to.
///
/// ```
/// use og_relay::registry::TeeType;
/// assert_eq!(TeeType::from(0), TeeType::LlmProxy);
/// assert_eq!(TeeType::default(), TeeType::LlmProxy);
/// assert_eq!(u8::from(TeeType::Other(7)), 7);
/// assert_eq!(TeeType::Validator.to_string(), "validator");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TeeType {
    /// 0: an LLM proxy, the TEEs chats are sealed to.
    #[default]
    LlmProxy,
    /// 1: a validator.
    Validator,
    /// Any other value the contract holds.
    Other(u8),
}

impl From<u8> for TeeType {
    fn from(v: u8) -> Self {
        match v {
            0 => TeeType::LlmProxy,
            1 => TeeType::Validator,
            n => TeeType::Other(n),
        }
    }
}

impl From<TeeType> for u8 {
    fn from(t: TeeType) -> u8 {
        match t {
            TeeType::LlmProxy => 0,
            TeeType::Validator => 1,
            TeeType::Other(n) => n,
        }
    }
}

impl fmt::Display for TeeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TeeType::LlmProxy => f.write_str("llm_proxy"),
            TeeType::Validator => f.write_str("validator"),
            TeeType::Other(n) => write!(f, "type_{n}"),
        }
    }
}

/// Why a registry record cannot be used to seal a chat to.
///
/// ```
/// use og_relay::registry::Unusable;
/// assert!(Unusable::NoOhttpKey.to_string().contains("no OHTTP key"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// The record's endpoint is empty (the reference skips such entries too).
    #[error("the registry record has an empty endpoint (skipped)")]
    EmptyEndpoint,
    /// The record has no TLS certificate (the reference skips such entries too).
    #[error("the registry record has no TLS certificate (skipped)")]
    NoTlsCertificate,
    /// The record has no OHTTP public key: the TEE does not take sealed requests.
    #[error("the TEE registered no OHTTP key (not OHTTP-capable)")]
    NoOhttpKey,
    /// The record is not usable as it stands: an OHTTP key that is not 32 bytes, an
    /// unsupported suite, a key configuration blob that disagrees with the separate
    /// fields, a signing key that is not a valid RSA key. It is skipped, not trusted.
    #[error("{0}")]
    Invalid(String),
}

/// One TEE as the registry lists it, decoded and checked.
///
/// Everything the registry says is kept for display ([`og tees`]-style listings);
/// [`RegisteredTee::endpoint`] is the checked [`TeeEndpoint`] a client can seal to, or
/// the reason it cannot.
///
/// ```
/// # use og_relay::registry::{RegisteredTee, TeeType};
/// # fn show(tee: &RegisteredTee) {
/// match tee.endpoint() {
///     Ok(endpoint) => println!("{} is usable: {}", tee.tee_id(), endpoint.endpoint()),
///     Err(why) => println!("{} skipped: {why}", tee.tee_id()),
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RegisteredTee {
    tee_id: TeeId,
    tee_type: TeeType,
    url: String,
    pcr_hash: PcrHash,
    enabled: bool,
    registered_at: u64,
    last_heartbeat_at: u64,
    owner: [u8; 20],
    payment_address: [u8; 20],
    ohttp_key_id: Option<u8>,
    ohttp_key_len: usize,
    signing_key_der: Vec<u8>,
    endpoint: Result<TeeEndpoint, Unusable>,
}

impl RegisteredTee {
    /// `0x` + Keccak-256 of the signing key bytes as stored on-chain.
    pub fn tee_id(&self) -> &TeeId {
        &self.tee_id
    }

    /// The record's `teeType`.
    pub fn tee_type(&self) -> TeeType {
        self.tee_type
    }

    /// The endpoint URL as registered (may be empty).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The registered PCR hash (the enclave measurement).
    pub fn pcr_hash(&self) -> &PcrHash {
        &self.pcr_hash
    }

    /// The record's `enabled` flag.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// `registeredAt` (seconds since the epoch; values past `u64` saturate).
    pub fn registered_at(&self) -> u64 {
        self.registered_at
    }

    /// `lastHeartbeatAt` (seconds since the epoch; values past `u64` saturate).
    pub fn last_heartbeat_at(&self) -> u64 {
        self.last_heartbeat_at
    }

    /// The record's owner address.
    pub fn owner(&self) -> &[u8; 20] {
        &self.owner
    }

    /// The record's payment address.
    pub fn payment_address(&self) -> &[u8; 20] {
        &self.payment_address
    }

    /// The OHTTP key id, when the TEE registered an OHTTP key.
    pub fn ohttp_key_id(&self) -> Option<u8> {
        self.ohttp_key_id
    }

    /// The signing key bytes as stored on-chain (DER SubjectPublicKeyInfo, unchecked;
    /// their Keccak-256 is the tee_id). To re-check an old answer of a TEE whose
    /// record is no longer usable for new requests.
    pub fn signing_key_der(&self) -> &[u8] {
        &self.signing_key_der
    }

    /// True when the TEE registered a 32-byte OHTTP key (PROTOCOL §6's definition).
    pub fn ohttp_capable(&self) -> bool {
        self.ohttp_key_len == 32
    }

    /// The checked endpoint to seal chats to, or why this record cannot be used.
    pub fn endpoint(&self) -> Result<&TeeEndpoint, &Unusable> {
        self.endpoint.as_ref()
    }

    fn from_info(info: TEERegistry::TEEInfo) -> RegisteredTee {
        let tee_id = TeeId::from_key_der(&info.publicKey);
        let ohttp = &info.ohttpConfig;
        let has_ohttp = !ohttp.publicKey.is_empty();
        let endpoint = if info.endpoint.is_empty() {
            Err(Unusable::EmptyEndpoint)
        } else if info.tlsCertificate.is_empty() {
            Err(Unusable::NoTlsCertificate)
        } else if !has_ohttp {
            Err(Unusable::NoOhttpKey)
        } else {
            let config = OhttpConfig {
                key_id: ohttp.keyId,
                kem_id: ohttp.kemId,
                kdf_id: ohttp.kdfId,
                aead_id: ohttp.aeadId,
                public_key: ohttp.publicKey.to_vec(),
                key_config: (!ohttp.keyConfig.is_empty()).then(|| ohttp.keyConfig.to_vec()),
            };
            TeeEndpoint::new(info.endpoint.clone(), &info.publicKey, config)
                .map(|e| {
                    e.with_pcr_hash(PcrHash::from_bytes(info.pcrHash.0))
                        .with_tls_certificate(info.tlsCertificate.to_vec())
                        .with_payment_address(info.paymentAddress.0.0)
                })
                .map_err(|e| match e {
                    Error::InvalidEndpoint(m) => Unusable::Invalid(m),
                    other => Unusable::Invalid(other.to_string()),
                })
        };
        RegisteredTee {
            tee_id,
            tee_type: TeeType::from(info.teeType),
            url: info.endpoint,
            pcr_hash: PcrHash::from_bytes(info.pcrHash.0),
            enabled: info.enabled,
            registered_at: saturate(info.registeredAt),
            last_heartbeat_at: saturate(info.lastHeartbeatAt),
            owner: info.owner.0.0,
            payment_address: info.paymentAddress.0.0,
            ohttp_key_id: has_ohttp.then_some(ohttp.keyId),
            ohttp_key_len: ohttp.publicKey.len(),
            signing_key_der: info.publicKey.to_vec(),
            endpoint,
        }
    }
}

fn saturate(v: alloy_primitives::U256) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Decodes the return data of `getActiveTEEs(uint8)` (ABI-encoded `TEEInfo[]`).
///
/// Every record is returned, usable or not; nothing is trusted until
/// [`RegisteredTee::endpoint`] says so. This is the decoder the resolver uses; it is
/// public so the bytes an RPC node returned can be re-checked offline.
///
/// # Errors
/// [`Error::RegistryData`] when the bytes are not a valid ABI encoding of `TEEInfo[]`
/// (offsets outside the buffer, truncated data, wrong types).
///
/// ```
/// let err = og_relay::registry::decode_active_tees(&[0xff; 31]).unwrap_err();
/// assert_eq!(err.category(), "registry_data");
/// ```
pub fn decode_active_tees(data: &[u8]) -> Result<Vec<RegisteredTee>, Error> {
    let infos = TEERegistry::getActiveTEEsCall::abi_decode_returns_validate(data)
        .map_err(|e| Error::RegistryData(format!("getActiveTEEs returned malformed data: {e}")))?;
    Ok(infos.into_iter().map(RegisteredTee::from_info).collect())
}

/// Decodes the return data of `getTEE(bytes32)` (one ABI-encoded `TEEInfo`).
///
/// # Errors
/// [`Error::RegistryData`] when the bytes are not a valid ABI encoding of `TEEInfo`.
///
/// ```
/// assert!(og_relay::registry::decode_tee(&[]).is_err());
/// ```
pub fn decode_tee(data: &[u8]) -> Result<RegisteredTee, Error> {
    let info = TEERegistry::getTEECall::abi_decode_returns_validate(data)
        .map_err(|e| Error::RegistryData(format!("getTEE returned malformed data: {e}")))?;
    Ok(RegisteredTee::from_info(info))
}
