//! **Test and conformance support only; not part of the stable API.**
//!
//! Entry points into the crate's internals for the conformance runner (`cargo xtask
//! conformance`) and tests: the HPKE glue with arbitrary `info` and sequence numbers
//! (RFC 9180 vectors), the response key derivation, the response AEAD seam (Wycheproof),
//! and a request built from a known Diffie-Hellman output (Wycheproof X25519). Every
//! function runs the same code the protocol paths use; nothing here re-implements them.

use alloc::boxed::Box;
use alloc::vec::Vec;

use hpke::aead::{
    Aead as HpkeAead, AeadCtxR, AeadCtxS, AesGcm128, AesGcm256, ChaCha20Poly1305, ExportOnlyAead,
};
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, Serializable};

use crate::aead::{ResponseAead, ResponseKeys};
use crate::request::{
    Kem, finish_request, request_info, sender_ctx_deterministic, sender_ctx_from_dh,
    sender_ctx_with_rng,
};
use crate::suite::{AeadAlg, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256};
use crate::{Error, Suite};

/// AEAD id of the HPKE export-only mode (RFC 9180 §7.3).
pub const AEAD_EXPORT_ONLY: u16 = 0xffff;

/// A deterministic "RNG" that repeats the given bytes forever. **Tests only**: its
/// output is predictable, so anything keyed from it is public.
///
/// ```
/// use og_ohttp_core::testing::ReplayRng;
/// use rand_core::Rng;
/// let mut r = ReplayRng::new(&[1, 2]);
/// let mut b = [0u8; 5];
/// r.fill_bytes(&mut b);
/// assert_eq!(b, [1, 2, 1, 2, 1]);
/// ```
#[derive(Debug, Clone)]
pub struct ReplayRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl ReplayRng {
    /// An RNG replaying `bytes` (a single zero byte if `bytes` is empty).
    pub fn new(bytes: &[u8]) -> ReplayRng {
        let bytes = if bytes.is_empty() {
            alloc::vec![0]
        } else {
            bytes.to_vec()
        };
        ReplayRng { bytes, pos: 0 }
    }
}

impl rand_core::TryRng for ReplayRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for d in dst {
            *d = self.bytes.get(self.pos).copied().unwrap_or_default();
            self.pos = (self.pos + 1) % self.bytes.len().max(1);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for ReplayRng {}

/// The HPKE AEADs the glue can run, export-only included.
#[derive(Clone, Copy)]
enum HpkeAeadKind {
    Aead(AeadAlg),
    ExportOnly,
}

fn hpke_kind(kem_id: u16, kdf_id: u16, aead_id: u16) -> Result<HpkeAeadKind, Error> {
    let unsupported = Error::UnsupportedSuite {
        kem_id,
        kdf_id,
        aead_id,
    };
    if kem_id != KEM_X25519_HKDF_SHA256 || kdf_id != KDF_HKDF_SHA256 {
        return Err(unsupported);
    }
    if aead_id == AEAD_EXPORT_ONLY {
        return Ok(HpkeAeadKind::ExportOnly);
    }
    AeadAlg::from_id(aead_id)
        .map(HpkeAeadKind::Aead)
        .ok_or(unsupported)
}

macro_rules! with_hpke_aead {
    ($kind:expr, $A:ident => $body:expr) => {
        match $kind {
            HpkeAeadKind::Aead(AeadAlg::Aes128Gcm) => {
                type $A = AesGcm128;
                $body
            }
            HpkeAeadKind::Aead(AeadAlg::Aes256Gcm) => {
                type $A = AesGcm256;
                $body
            }
            HpkeAeadKind::Aead(AeadAlg::ChaCha20Poly1305) => {
                type $A = ChaCha20Poly1305;
                $body
            }
            HpkeAeadKind::ExportOnly => {
                type $A = ExportOnlyAead;
                $body
            }
        }
    };
}

trait Ctx {
    fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>;
    fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error>;
    fn export(&self, context: &[u8], out: &mut [u8]) -> Result<(), Error>;
}

const SENDER_CANNOT_OPEN: Error = Error::Malformed {
    what: "a sender context cannot open",
};
const RECEIVER_CANNOT_SEAL: Error = Error::Seal {
    what: "a receiver context cannot seal",
};
const EXPORT_FAILED: Error = Error::Seal {
    what: "the HPKE export failed",
};

impl<A: HpkeAead> Ctx for AeadCtxS<A, HkdfSha256, Kem> {
    fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        AeadCtxS::seal(self, plaintext, aad).map_err(|_| Error::Seal {
            what: "HPKE seal failed",
        })
    }
    fn open(&mut self, _: &[u8], _: &[u8]) -> Result<Vec<u8>, Error> {
        Err(SENDER_CANNOT_OPEN)
    }
    fn export(&self, context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        AeadCtxS::export(self, context, out).map_err(|_| EXPORT_FAILED)
    }
}

impl<A: HpkeAead> Ctx for AeadCtxR<A, HkdfSha256, Kem> {
    fn seal(&mut self, _: &[u8], _: &[u8]) -> Result<Vec<u8>, Error> {
        Err(RECEIVER_CANNOT_SEAL)
    }
    fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        AeadCtxR::open(self, ciphertext, aad).map_err(|_| Error::DecapFailed)
    }
    fn export(&self, context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        AeadCtxR::export(self, context, out).map_err(|_| EXPORT_FAILED)
    }
}

/// An HPKE context (sender or receiver) of any suite the glue runs. Each `seal`/`open`
/// uses the next sequence number.
pub struct HpkeContext {
    inner: Box<dyn Ctx>,
}

impl core::fmt::Debug for HpkeContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HpkeContext").finish_non_exhaustive()
    }
}

impl HpkeContext {
    /// Seals the next message (sender contexts only).
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.inner.seal(aad, plaintext)
    }
    /// Opens the next message (receiver contexts only).
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        self.inner.open(aad, ciphertext)
    }
    /// RFC 9180 `Export(exporter_context, len)`.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<Vec<u8>, Error> {
        let mut out = alloc::vec![0u8; len];
        self.inner.export(exporter_context, &mut out)?;
        Ok(out)
    }
}

fn key32(what: &'static str, b: &[u8]) -> Result<[u8; 32], Error> {
    b.try_into().map_err(|_| Error::BadLength {
        what,
        len: b.len(),
        expected: 32,
    })
}

/// RFC 9180 `DeriveKeyPair(ikm)` of DHKEM(X25519, HKDF-SHA256): `(skXm, pkXm)`.
pub fn derive_keypair(ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let (sk, pk) = Kem::derive_keypair(ikm);
    let mut s = [0u8; 32];
    let mut p = [0u8; 32];
    s.copy_from_slice(&sk.to_bytes());
    p.copy_from_slice(&pk.to_bytes());
    (s, p)
}

/// The X25519 public key of a raw private key, through the `hpke` crate.
pub fn x25519_public_key(private_key: &[u8]) -> Result<[u8; 32], Error> {
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(private_key).map_err(|_| {
        Error::PrivateKeyLength {
            len: private_key.len(),
        }
    })?;
    let mut p = [0u8; 32];
    p.copy_from_slice(&Kem::sk_to_pk(&sk).to_bytes());
    Ok(p)
}

/// SetupBaseS with a pinned raw ephemeral scalar, the path of
/// [`crate::ClientRequest::encapsulate_deterministic_for_tests`]. Returns `enc`.
pub fn hpke_sender_deterministic(
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    pk_r: &[u8],
    sk_e: &[u8],
    info: &[u8],
) -> Result<([u8; 32], HpkeContext), Error> {
    let kind = hpke_kind(kem_id, kdf_id, aead_id)?;
    let pk_r = key32("pkR", pk_r)?;
    let sk_e = key32("skE", sk_e)?;
    with_hpke_aead!(kind, A => {
        let (enc, ctx) = sender_ctx_deterministic::<A>(&pk_r, &sk_e, info)?;
        Ok((enc, HpkeContext { inner: Box::new(ctx) }))
    })
}

/// SetupBaseS with the ephemeral key `DeriveKeyPair(ikm_e)`: the randomness path of
/// [`crate::ClientRequest::encapsulate_with_rng`], fed `ikm_e` as its random bytes.
pub fn hpke_sender_with_ikm(
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    pk_r: &[u8],
    ikm_e: &[u8],
    info: &[u8],
) -> Result<([u8; 32], HpkeContext), Error> {
    let kind = hpke_kind(kem_id, kdf_id, aead_id)?;
    let pk_r = key32("pkR", pk_r)?;
    let mut rng = ReplayRng::new(ikm_e);
    with_hpke_aead!(kind, A => {
        let (enc, ctx) = sender_ctx_with_rng::<A, ReplayRng>(&pk_r, &mut rng, info)?;
        Ok((enc, HpkeContext { inner: Box::new(ctx) }))
    })
}

/// SetupBaseR, as [`crate::Recipient::decapsulate`] runs it.
pub fn hpke_receiver(
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    sk_r: &[u8],
    enc: &[u8],
    info: &[u8],
) -> Result<HpkeContext, Error> {
    let kind = hpke_kind(kem_id, kdf_id, aead_id)?;
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(sk_r)
        .map_err(|_| Error::PrivateKeyLength { len: sk_r.len() })?;
    let encapped =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| Error::DecapFailed)?;
    with_hpke_aead!(kind, A => {
        let ctx = hpke::setup_receiver::<A, HkdfSha256, Kem>(&OpModeR::Base, &sk, &encapped, info)
            .map_err(|_| Error::DecapFailed)?;
        Ok(HpkeContext { inner: Box::new(ctx) })
    })
}

/// The OHTTP request for `plaintext` whose HPKE context comes from a known X25519 output
/// `dh`, ephemeral public key `enc` and recipient key `pk_r` (the path of the
/// deterministic encapsulation after its X25519 step). Lets Wycheproof's `shared` values
/// be checked through both the client and the recipient paths.
pub fn request_from_dh(
    key_id: u8,
    suite: Suite,
    dh: &[u8],
    enc: &[u8],
    pk_r: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let dh = key32("the DH output", dh)?;
    let enc = key32("enc", enc)?;
    let pk_r = key32("pkR", pk_r)?;
    let hdr = suite.header(key_id);
    let info = request_info(&hdr);
    let kind = HpkeAeadKind::Aead(suite.aead());
    with_hpke_aead!(kind, A => {
        let ctx = sender_ctx_from_dh::<A>(&dh, &enc, &pk_r, &info)?;
        finish_request::<A>(suite, &hdr, &enc, ctx, plaintext).map(|(r, _)| r)
    })
}

/// The response key schedule's intermediate values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseKeySchedule {
    /// `HKDF-Extract(enc || response_nonce, secret)`.
    pub prk: Vec<u8>,
    /// `HKDF-Expand(prk, "key", Nk)`.
    pub aead_key: Vec<u8>,
    /// `HKDF-Expand(prk, "nonce", Nn)`.
    pub aead_nonce: Vec<u8>,
}

/// The response key schedule of the response paths, step by step.
pub fn response_keys(
    suite: Suite,
    secret: &[u8],
    enc: &[u8],
    response_nonce: &[u8],
) -> Result<ResponseKeySchedule, Error> {
    let k = ResponseKeys::derive(suite, secret, enc, response_nonce)?;
    Ok(ResponseKeySchedule {
        prk: k.prk.to_vec(),
        aead_key: k.key().to_vec(),
        aead_nonce: k.nonce.to_vec(),
    })
}

/// The response AEAD seam keyed for `aead_id` (an unknown id is `unsupported_suite`).
fn keyed(aead_id: u16, key: &[u8], nonce: &[u8]) -> Result<ResponseAead, Error> {
    let alg = AeadAlg::from_id(aead_id).ok_or(Error::UnsupportedSuite {
        kem_id: KEM_X25519_HKDF_SHA256,
        kdf_id: KDF_HKDF_SHA256,
        aead_id,
    })?;
    ResponseAead::new(alg, key, nonce)
}

/// Seals through the response AEAD seam (message counter 0): ciphertext || tag.
pub fn aead_seal(
    aead_id: u16,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let a = keyed(aead_id, key, nonce)?;
    let mut out = Vec::new();
    a.seal_append(0, aad, plaintext, &mut out)?;
    Ok(out)
}

/// Opens through the response AEAD seam (message counter 0): `sealed` = ciphertext || tag.
pub fn aead_open(
    aead_id: u16,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, Error> {
    let a = keyed(aead_id, key, nonce)?;
    let mut out = alloc::vec![0u8; sealed.len().saturating_sub(crate::suite::AEAD_TAG_LEN)];
    a.open_to(0, aad, sealed, &mut out)?;
    Ok(out)
}
