//! Requests (RFC 9458 §4.3): the client encapsulates, the recipient (gateway) decapsulates.
//!
//! ```text
//! hdr  = key_id(1) || kem_id(2) || kdf_id(2) || aead_id(2)
//! info = "message/bhttp request" || 0x00 || hdr
//! enc, ctx = HPKE SetupBaseS(pkR, info);  ct = ctx.Seal("", plaintext)
//! request = hdr || enc || ct
//! response_secret = ctx.Export("message/bhttp response", Nsecret)
//! chunked_response_secret = ctx.Export("message/bhttp chunked response", Nsecret)
//! ```
//!
//! All HPKE work is done by the `hpke` crate. The one exception is the deterministic
//! encapsulation for test vectors, which pins a raw ephemeral scalar: the `hpke` crate
//! only takes ephemeral randomness through `DeriveKeyPair`, so there the X25519 product
//! comes from `x25519-dalek` and the rest (ExtractAndExpand, KeySchedule, Seal, Export)
//! from the `hpke` crate's own key schedule.

use alloc::vec::Vec;

use hpke::aead::{Aead as HpkeAead, AeadCtxS};
use hpke::inout::InOutBuf;
use hpke::kdf::{HkdfSha256, Kdf as _};
use hpke::kem::{SharedSecret, X25519HkdfSha256};
use hpke::{Deserializable, HpkeError, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::key_config::KeyConfig;
use crate::response::{ResponseContext, Secrets, ServerResponse};
use crate::suite::{AEAD_TAG_LEN, AeadAlg, HEADER_LEN, X25519_KEY_LEN};
use crate::{Error, LABEL_REQUEST, Suite};

pub(crate) type Kem = X25519HkdfSha256;
type Kdf = HkdfSha256;
/// An HPKE sender context of this crate's KEM and KDF.
pub(crate) type SenderCtx<A> = AeadCtxS<A, Kdf, Kem>;
/// `enc` and the sender context of a SetupBaseS.
pub(crate) type Sender<A> = ([u8; 32], SenderCtx<A>);

/// `"KEM" || I2OSP(0x0020, 2)`, the KEM's suite id (RFC 9180 §4.1).
const KEM_SUITE_ID: [u8; 5] = *b"KEM\x00\x20";

/// Length of the request `info`: label, a zero byte, the header.
const INFO_LEN: usize = LABEL_REQUEST.len() + 1 + HEADER_LEN;

/// Runs `$body` with `$A` bound to the `hpke` AEAD type of `$alg`.
macro_rules! with_aead {
    ($alg:expr, $A:ident => $body:expr) => {
        match $alg {
            AeadAlg::Aes128Gcm => {
                type $A = hpke::aead::AesGcm128;
                $body
            }
            AeadAlg::Aes256Gcm => {
                type $A = hpke::aead::AesGcm256;
                $body
            }
            AeadAlg::ChaCha20Poly1305 => {
                type $A = hpke::aead::ChaCha20Poly1305;
                $body
            }
        }
    };
}

/// `"message/bhttp request" || 0x00 || hdr`.
pub(crate) fn request_info(hdr: &[u8; HEADER_LEN]) -> [u8; INFO_LEN] {
    let mut info = [0u8; INFO_LEN];
    let (label, rest) = info.split_at_mut(LABEL_REQUEST.len());
    label.copy_from_slice(LABEL_REQUEST.as_bytes());
    if let Some(h) = rest.get_mut(1..) {
        h.copy_from_slice(hdr);
    }
    info
}

/// True when all 32 bytes are zero, without an early exit.
fn all_zero(b: &[u8; 32]) -> bool {
    b.iter().fold(0u8, |acc, x| acc | x) == 0
}

/// The X25519 u-coordinates of small order (on the curve or its twist), as encoded with
/// the top bit clear: 0, 1, the two points of order 8, p - 1, and the non-canonical p and
/// p + 1. X25519 ignores the top bit, and no other value below 2^255 has small order.
/// Every clamped scalar maps exactly these to the all-zero output (the unit tests check
/// the list against the scalar multiplication; the Wycheproof vectors against 31 cases).
const SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    p_plus(-1),
    p_plus(0),
    p_plus(1),
];

/// The little-endian encoding of `p + delta` for a small `delta` (p = 2^255 - 19).
const fn p_plus(delta: i8) -> [u8; 32] {
    let mut b = [0xff; 32];
    b[0] = (0xed_i16 + delta as i16) as u8;
    b[31] = 0x7f;
    b
}

/// True when `pk` is a low-order X25519 point (its top bit ignored, as X25519 does).
pub(crate) fn is_small_order(pk: &[u8; 32]) -> bool {
    let mut masked = *pk;
    if let Some(last) = masked.last_mut() {
        *last &= 0x7f;
    }
    SMALL_ORDER.contains(&masked)
}

/// Checks a recipient public key: 32 bytes and not a low-order point (a table lookup;
/// the key exchange itself refuses an all-zero result as a second line).
pub(crate) fn check_public_key(public_key: &[u8]) -> Result<[u8; 32], Error> {
    let pk: [u8; 32] = public_key.try_into().map_err(|_| Error::PublicKeyLength {
        len: public_key.len(),
    })?;
    if is_small_order(&pk) {
        Err(Error::LowOrderPublicKey)
    } else {
        Ok(pk)
    }
}

fn encap_error(e: HpkeError) -> Error {
    match e {
        HpkeError::EncapError => Error::LowOrderPublicKey,
        HpkeError::IncorrectInputLength(_, len) => Error::PublicKeyLength { len },
        _ => Error::Seal {
            what: "HPKE could not set up the sender context",
        },
    }
}

/// The sender context for a raw Diffie-Hellman output `dh`, the ephemeral public key
/// `enc` and the recipient key `pk_r`: RFC 9180 `ExtractAndExpand(dh, enc || pkR)`, then
/// the `hpke` crate's KeySchedule in base mode.
pub(crate) fn sender_ctx_from_dh<A: HpkeAead>(
    dh: &[u8; 32],
    enc: &[u8; 32],
    pk_r: &[u8; 32],
    info: &[u8],
) -> Result<AeadCtxS<A, Kdf, Kem>, Error> {
    let mut kem_context = [0u8; 64];
    let (a, b) = kem_context.split_at_mut(32);
    a.copy_from_slice(enc);
    b.copy_from_slice(pk_r);
    let mut shared = SharedSecret::<Kem>::default();
    Kdf::extract_and_expand(dh, &KEM_SUITE_ID, &kem_context, &mut shared.0).map_err(|_| {
        Error::Seal {
            what: "HPKE ExtractAndExpand failed",
        }
    })?;
    Ok(Kdf::combine_secrets::<A, Kem, _>(&OpModeS::Base, shared, info).into())
}

/// Deterministic SetupBaseS with a pinned ephemeral scalar (test vectors only).
pub(crate) fn sender_ctx_deterministic<A: HpkeAead>(
    pk_r: &[u8; 32],
    sk_e: &[u8; 32],
    info: &[u8],
) -> Result<Sender<A>, Error> {
    let mut dh = x25519_dalek::x25519(*sk_e, *pk_r);
    if all_zero(&dh) {
        return Err(Error::LowOrderPublicKey);
    }
    let enc = x25519_dalek::x25519(*sk_e, x25519_dalek::X25519_BASEPOINT_BYTES);
    let ctx = sender_ctx_from_dh::<A>(&dh, &enc, pk_r, info);
    dh.zeroize();
    Ok((enc, ctx?))
}

/// SetupBaseS with ephemeral randomness from `rng` (the `hpke` crate's own path).
pub(crate) fn sender_ctx_with_rng<A: HpkeAead, R: CryptoRng + ?Sized>(
    pk_r: &[u8; 32],
    rng: &mut R,
    info: &[u8],
) -> Result<Sender<A>, Error> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(pk_r).map_err(encap_error)?;
    let mut rng = RngRef(rng);
    let (enc, ctx) =
        hpke::setup_sender_with_rng::<A, Kdf, Kem>(&OpModeS::Base, &pk, info, &mut rng)
            .map_err(encap_error)?;
    let mut e = [0u8; 32];
    e.copy_from_slice(&enc.to_bytes());
    Ok((e, ctx))
}

/// Lets a `?Sized` RNG be passed where the `hpke` crate wants a sized one.
struct RngRef<'a, R: ?Sized>(&'a mut R);

impl<R: CryptoRng + ?Sized> rand_core::TryRng for RngRef<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand_core::TryCryptoRng for RngRef<'_, R> {}

/// `hdr || enc || Seal("", plaintext)` and the two exported secrets.
pub(crate) fn finish_request<A: HpkeAead>(
    suite: Suite,
    hdr: &[u8; HEADER_LEN],
    enc: &[u8; 32],
    mut ctx: AeadCtxS<A, Kdf, Kem>,
    plaintext: &[u8],
) -> Result<(Vec<u8>, Secrets), Error> {
    let start = HEADER_LEN + X25519_KEY_LEN;
    let mut out = Vec::with_capacity(start + plaintext.len() + AEAD_TAG_LEN);
    out.extend_from_slice(hdr);
    out.extend_from_slice(enc);
    out.extend_from_slice(plaintext);
    let sealed = ctx.seal_inout_detached(
        InOutBuf::from(out.get_mut(start..).unwrap_or_default()),
        b"",
    );
    let tag = match sealed {
        Ok(tag) => tag,
        Err(_) => {
            out.zeroize();
            return Err(Error::Seal {
                what: "the request plaintext is longer than the AEAD allows",
            });
        }
    };
    out.extend_from_slice(&tag.to_bytes());
    let secrets = Secrets::export(suite, enc, |label, buf| ctx.export(label, buf))?;
    Ok((out, secrets))
}

/// A client's view of one gateway key: key id, suite and recipient public key. Cheap to
/// build; makes one request per [`ClientRequest::encapsulate`] call.
///
/// ```
/// # #[cfg(feature = "std")] {
/// use og_ohttp_core::{ClientRequest, Suite};
///
/// let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
/// let pk = og_ohttp_core::Recipient::derive(1, suite, b"seed").public_key().to_owned();
/// let client = ClientRequest::new(1, suite, &pk)?;
/// let (request, _context) = client.encapsulate(b"{}")?;
/// assert_eq!(request.len(), 7 + 32 + 2 + 16);
/// assert_eq!(ClientRequest::new(1, suite, &[0; 32]).unwrap_err().category(), "invalid_public_key");
/// # }
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    key_id: u8,
    suite: Suite,
    public_key: [u8; 32],
}

impl ClientRequest {
    /// Checks and keeps the gateway's key: the public key must be 32 bytes
    /// ([`Error::PublicKeyLength`]) and not a low-order point
    /// ([`Error::LowOrderPublicKey`]; a lookup in the 7 small-order encodings).
    ///
    /// ```
    /// use og_ohttp_core::{ClientRequest, Suite};
    /// let e = ClientRequest::new(1, Suite::X25519_SHA256_CHACHA20POLY1305, &[9; 33]).unwrap_err();
    /// assert_eq!(e.category(), "invalid_public_key");
    /// ```
    pub fn new(key_id: u8, suite: Suite, public_key: &[u8]) -> Result<ClientRequest, Error> {
        let public_key = check_public_key(public_key)?;
        Ok(ClientRequest {
            key_id,
            suite,
            public_key,
        })
    }

    /// A client from raw registry fields, checked in the reference client's order: the
    /// key length ([`Error::PublicKeyLength`]), then the suite ids, which must be the
    /// gateways' suite as [`Suite::new`] requires ([`Error::UnsupportedSuite`]), then the
    /// low-order check ([`Error::LowOrderPublicKey`]).
    ///
    /// ```
    /// use og_ohttp_core::ClientRequest;
    /// // Both the key and the suite are wrong: the key length is reported first.
    /// let e = ClientRequest::with_ids(1, 0x0020, 0x0001, 0x0001, &[9; 31]).unwrap_err();
    /// assert_eq!(e.category(), "invalid_public_key");
    /// let e = ClientRequest::with_ids(1, 0x0020, 0x0001, 0x0001, &[9; 32]).unwrap_err();
    /// assert_eq!(e.category(), "unsupported_suite");
    /// ```
    pub fn with_ids(
        key_id: u8,
        kem_id: u16,
        kdf_id: u16,
        aead_id: u16,
        public_key: &[u8],
    ) -> Result<ClientRequest, Error> {
        if public_key.len() != X25519_KEY_LEN {
            return Err(Error::PublicKeyLength {
                len: public_key.len(),
            });
        }
        let suite = Suite::new(kem_id, kdf_id, aead_id)?;
        ClientRequest::new(key_id, suite, public_key)
    }

    /// The key id.
    ///
    /// ```
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let pk = Recipient::derive(4, s, b"k").public_key().to_owned();
    /// assert_eq!(ClientRequest::new(4, s, &pk)?.key_id(), 4);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    /// The suite.
    ///
    /// ```
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let pk = Recipient::derive(4, s, b"k").public_key().to_owned();
    /// assert_eq!(ClientRequest::new(4, s, &pk)?.suite(), s);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The recipient public key.
    ///
    /// ```
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let pk = Recipient::derive(4, s, b"k").public_key().to_owned();
    /// assert_eq!(ClientRequest::new(4, s, &pk)?.public_key(), &pk);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    fn header_info(&self) -> ([u8; HEADER_LEN], [u8; INFO_LEN]) {
        let hdr = self.suite.header(self.key_id);
        (hdr, request_info(&hdr))
    }

    /// Seals `plaintext` to the gateway with a fresh ephemeral key from the operating
    /// system's randomness; returns the request bytes and the context that opens the
    /// answer.
    ///
    /// # Panics
    ///
    /// Only if the operating system cannot provide randomness (`getrandom` fails).
    ///
    /// ```
    /// # #[cfg(feature = "std")] {
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let gw = Recipient::derive(1, s, b"k");
    /// let (request, context) = ClientRequest::new(1, s, gw.public_key())?.encapsulate(b"hi")?;
    /// assert_eq!(&request[7..39], context.enc());
    /// # }
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn encapsulate(&self, plaintext: &[u8]) -> Result<(Vec<u8>, ResponseContext), Error> {
        let (hdr, info) = self.header_info();
        let pk =
            <Kem as hpke::Kem>::PublicKey::from_bytes(&self.public_key).map_err(encap_error)?;
        let (request, secrets) = with_aead!(self.suite.aead(), A => {
            let (enc, ctx) = hpke::setup_sender::<A, Kdf, Kem>(&OpModeS::Base, &pk, &info)
                .map_err(encap_error)?;
            let mut e = [0u8; 32];
            e.copy_from_slice(&enc.to_bytes());
            finish_request::<A>(self.suite, &hdr, &e, ctx, plaintext)?
        });
        Ok((request, ResponseContext::from_parts(secrets)))
    }

    /// Like [`ClientRequest::encapsulate`], with the ephemeral key drawn from `rng`
    /// (through the `hpke` crate's `DeriveKeyPair`).
    ///
    /// ```
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let gw = Recipient::derive(1, s, b"k");
    /// # let mut rng = og_ohttp_core::testing::ReplayRng::new(&[42]);
    /// let client = ClientRequest::new(1, s, gw.public_key())?;
    /// let (request, _context) = client.encapsulate_with_rng(&mut rng, b"hi")?;
    /// assert_eq!(gw.decapsulate(&request)?.0, b"hi");
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn encapsulate_with_rng<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, ResponseContext), Error> {
        let (hdr, info) = self.header_info();
        let (request, secrets) = with_aead!(self.suite.aead(), A => {
            let (enc, ctx) = sender_ctx_with_rng::<A, R>(&self.public_key, rng, &info)?;
            finish_request::<A>(self.suite, &hdr, &enc, ctx, plaintext)?
        });
        Ok((request, ResponseContext::from_parts(secrets)))
    }

    /// **TEST VECTORS ONLY — never use this for real traffic.** Encapsulates with the
    /// given raw X25519 ephemeral secret (32 bytes, clamped as X25519 does) instead of a
    /// fresh random one, so a request can be reproduced byte for byte. Anyone who knows or
    /// reuses the ephemeral secret can decrypt the request and its response, and two
    /// requests with the same secret are linkable.
    ///
    /// ```
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// # let gw = Recipient::derive(1, s, b"k");
    /// let client = ClientRequest::new(1, s, gw.public_key())?;
    /// let (a, _) = client.encapsulate_deterministic_for_tests(b"x", &[7; 32])?;
    /// let (b, _) = client.encapsulate_deterministic_for_tests(b"x", &[7; 32])?;
    /// assert_eq!(a, b);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn encapsulate_deterministic_for_tests(
        &self,
        plaintext: &[u8],
        ephemeral_secret: &[u8],
    ) -> Result<(Vec<u8>, ResponseContext), Error> {
        let mut sk_e: [u8; 32] =
            ephemeral_secret
                .try_into()
                .map_err(|_| Error::PrivateKeyLength {
                    len: ephemeral_secret.len(),
                })?;
        let (hdr, info) = self.header_info();
        let res = with_aead!(self.suite.aead(), A => {
            sender_ctx_deterministic::<A>(&self.public_key, &sk_e, &info).and_then(|(enc, ctx)| {
                finish_request::<A>(self.suite, &hdr, &enc, ctx, plaintext)
            })
        });
        sk_e.zeroize();
        let (request, secrets) = res?;
        Ok((request, ResponseContext::from_parts(secrets)))
    }
}

/// The gateway (enclave) side of one OHTTP key: key id, suite and X25519 private key
/// (zeroized on drop). Decapsulates requests and hands back the context that seals the
/// answer.
///
/// ```
/// # #[cfg(feature = "std")] {
/// use og_ohttp_core::{ClientRequest, Recipient, Suite};
///
/// let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
/// let gateway = Recipient::derive(1, suite, b"enclave seed");
/// let config = gateway.key_config();
/// let client = config.client_request(suite)?;
/// let (request, _context) = client.encapsulate(b"hello")?;
/// let (plaintext, _server) = gateway.decapsulate(&request)?;
/// assert_eq!(plaintext, b"hello");
/// # }
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Recipient {
    key_id: u8,
    suite: Suite,
    private_key: <Kem as hpke::Kem>::PrivateKey,
    public_key: [u8; 32],
}

impl core::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Recipient")
            .field("key_id", &self.key_id)
            .field("suite", &self.suite)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl Recipient {
    fn from_private(key_id: u8, suite: Suite, private_key: <Kem as hpke::Kem>::PrivateKey) -> Self {
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(&Kem::sk_to_pk(&private_key).to_bytes());
        Recipient {
            key_id,
            suite,
            private_key,
            public_key,
        }
    }

    /// A recipient from a raw 32-byte X25519 private key (clamped as X25519 does).
    ///
    /// ```
    /// use og_ohttp_core::{Recipient, Suite};
    /// let r = Recipient::new(1, Suite::X25519_SHA256_CHACHA20POLY1305, &[3; 32])?;
    /// assert_eq!(r.public_key().len(), 32);
    /// assert!(Recipient::new(1, Suite::X25519_SHA256_CHACHA20POLY1305, &[3; 31]).is_err());
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn new(key_id: u8, suite: Suite, private_key: &[u8]) -> Result<Recipient, Error> {
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(private_key).map_err(|_| {
            Error::PrivateKeyLength {
                len: private_key.len(),
            }
        })?;
        Ok(Recipient::from_private(key_id, suite, sk))
    }

    /// A recipient whose key is RFC 9180 `DeriveKeyPair(ikm)` (what the gateways'
    /// `generate_keypair()` does with its random input).
    ///
    /// ```
    /// use og_ohttp_core::{Recipient, Suite};
    /// let a = Recipient::derive(1, Suite::X25519_SHA256_CHACHA20POLY1305, b"same");
    /// let b = Recipient::derive(1, Suite::X25519_SHA256_CHACHA20POLY1305, b"same");
    /// assert_eq!(a.public_key(), b.public_key());
    /// ```
    pub fn derive(key_id: u8, suite: Suite, ikm: &[u8]) -> Recipient {
        let (sk, _) = Kem::derive_keypair(ikm);
        Recipient::from_private(key_id, suite, sk)
    }

    /// A recipient with a fresh key drawn from `rng`.
    ///
    /// ```
    /// use og_ohttp_core::{Recipient, Suite};
    /// # let mut rng = og_ohttp_core::testing::ReplayRng::new(&[5]);
    /// let r = Recipient::generate(1, Suite::X25519_SHA256_CHACHA20POLY1305, &mut rng);
    /// assert_eq!(r.key_id(), 1);
    /// ```
    pub fn generate<R: CryptoRng + ?Sized>(key_id: u8, suite: Suite, rng: &mut R) -> Recipient {
        let (sk, _) = Kem::gen_keypair_with_rng(&mut RngRef(rng));
        Recipient::from_private(key_id, suite, sk)
    }

    /// The key id.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// assert_eq!(Recipient::derive(9, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_id(), 9);
    /// ```
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    /// The suite.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// assert_eq!(Recipient::derive(9, s, b"k").suite(), s);
    /// ```
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The X25519 public key.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let r = Recipient::derive(9, Suite::X25519_SHA256_CHACHA20POLY1305, b"k");
    /// assert_eq!(r.public_key(), r.key_config().public_key());
    /// ```
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The key configuration to publish (RFC 9458 §3), listing this recipient's suite.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let r = Recipient::derive(9, Suite::X25519_SHA256_CHACHA20POLY1305, b"k");
    /// let c = r.key_config();
    /// assert_eq!((c.key_id(), c.symmetric()), (9, &[(1, 3)][..]));
    /// ```
    pub fn key_config(&self) -> KeyConfig {
        KeyConfig::from_checked(
            self.key_id,
            self.suite.kem_id(),
            self.public_key,
            alloc::vec![(self.suite.kdf_id(), self.suite.aead_id())],
        )
    }

    /// Opens a request: checks the header (key id, then suite ids), decapsulates and
    /// opens the ciphertext, and exports the response secrets.
    ///
    /// Errors: [`Error::Malformed`] (shorter than the 7-byte header),
    /// [`Error::UnknownKeyId`], [`Error::UnsupportedSuite`] (ids other than this key's
    /// suite), [`Error::DecapFailed`] (wrong key, altered or cut enc or ciphertext,
    /// low-order enc).
    ///
    /// ```
    /// # #[cfg(feature = "std")] {
    /// # use og_ohttp_core::{ClientRequest, Recipient, Suite};
    /// # let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// let gw = Recipient::derive(1, s, b"k");
    /// let (mut request, _) = ClientRequest::new(1, s, gw.public_key())?.encapsulate(b"x")?;
    /// request[0] = 2;
    /// assert_eq!(gw.decapsulate(&request).unwrap_err().category(), "unknown_key_id");
    /// # }
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn decapsulate(&self, request: &[u8]) -> Result<(Vec<u8>, ServerResponse), Error> {
        let hdr: [u8; HEADER_LEN] = request
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(Error::malformed(
                "an OHTTP request starts with a 7-byte header (key id, KEM, KDF, AEAD ids)",
            ))?;
        let [key_id, k0, k1, d0, d1, a0, a1] = hdr;
        if key_id != self.key_id {
            return Err(Error::UnknownKeyId {
                expected: self.key_id,
                got: key_id,
            });
        }
        if hdr != self.suite.header(self.key_id) {
            return Err(Error::UnsupportedSuite {
                kem_id: u16::from_be_bytes([k0, k1]),
                kdf_id: u16::from_be_bytes([d0, d1]),
                aead_id: u16::from_be_bytes([a0, a1]),
            });
        }
        let rest = request.get(HEADER_LEN..).unwrap_or_default();
        if rest.len() < X25519_KEY_LEN + AEAD_TAG_LEN {
            // A request for this key that is cut short cannot be opened, like any
            // other damaged request for it.
            return Err(Error::DecapFailed);
        }
        let (enc, ct) = rest.split_at(X25519_KEY_LEN);
        let info = request_info(&hdr);
        let (plaintext, secrets) = with_aead!(self.suite.aead(), A => {
            open_request::<A>(self.suite, &self.private_key, enc, &info, ct)?
        });
        Ok((plaintext, ServerResponse::from_parts(secrets)))
    }
}

/// SetupBaseR + Open + the two exports.
pub(crate) fn open_request<A: HpkeAead>(
    suite: Suite,
    sk: &<Kem as hpke::Kem>::PrivateKey,
    enc: &[u8],
    info: &[u8],
    ct: &[u8],
) -> Result<(Vec<u8>, Secrets), Error> {
    let encapped =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| Error::DecapFailed)?;
    let mut ctx = hpke::setup_receiver::<A, Kdf, Kem>(&OpModeR::Base, sk, &encapped, info)
        .map_err(|_| Error::DecapFailed)?;
    let plaintext = ctx.open(ct, b"").map_err(|_| Error::DecapFailed)?;
    let secrets = Secrets::export(suite, enc, |label, buf| ctx.export(label, buf))?;
    Ok((plaintext, secrets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ReplayRng;
    use proptest::prelude::*;

    const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn info_layout() {
        let info = request_info(&SUITE.header(1));
        assert_eq!(
            info.to_vec(),
            h("6d6573736167652f626874747020726571756573740001002000010003")
        );
    }

    #[test]
    fn vector_key_id_01_both_ways() {
        // ohttp_request.json, case key_id_01_small_json.
        let sk_r = h("5c278e56887b76c78d27d2e2ffedc97d1e74026dff482deba8bafc148c8cd0b5");
        let pk_r = h("f89b6cf694432d5ff14229d134eacd20f102b2ab13970f05898296fb5df67903");
        let sk_e = h("c7e53a9dd0c93cf2a44a0ef74f85eac91b84f63f3acee0f45c19a5cfd2de3aee");
        let enc = h("e71f1f3022c1dcd77bb7e21f3690eb2850dd53753ef5d98c9220f75bb1514c09");
        let pt = br#"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"#;
        let rs = h("bda69d98540b3719e14389c44a77b9c9c2d72aea805a1c9ce7b49b2665a29999");
        let crs = h("e00dbd7eb5aeec9652541991ca778f286f391ab53b8156921aa7810367597d5c");

        let gw = Recipient::new(1, SUITE, &sk_r).unwrap();
        assert_eq!(gw.public_key().to_vec(), pk_r);
        let client = ClientRequest::new(1, SUITE, &pk_r).unwrap();
        let (request, ctx) = client
            .encapsulate_deterministic_for_tests(pt, &sk_e)
            .unwrap();
        assert_eq!(request[..7], h("01002000010003")[..]);
        assert_eq!(request[7..39], enc[..]);
        assert_eq!(ctx.exported_secrets_for_tests(), (&rs[..], &crs[..]));
        let (opened, server) = gw.decapsulate(&request).unwrap();
        assert_eq!(opened, pt);
        assert_eq!(server.exported_secrets_for_tests(), (&rs[..], &crs[..]));
    }

    #[test]
    fn low_order_points_are_refused() {
        // The canonical small-order u-coordinates (0, 1, the two of order 8, p-1, p, p+1).
        let points = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        for p in points {
            let e = ClientRequest::new(1, SUITE, &h(p)).unwrap_err();
            assert_eq!(e, Error::LowOrderPublicKey, "{p}");
            let mut pk: [u8; 32] = h(p).try_into().unwrap();
            // The list is exactly what the scalar multiplication sends to zero ...
            for k in [[0x5a; 32], [0xff; 32], [1; 32]] {
                assert_eq!(x25519_dalek::x25519(k, pk), [0; 32], "{p}");
            }
            // ... also with the top bit set, which X25519 ignores.
            pk[31] |= 0x80;
            assert!(is_small_order(&pk));
            assert_eq!(x25519_dalek::x25519([0x5a; 32], pk), [0; 32]);
        }
        assert_eq!(SMALL_ORDER.len(), points.len());
    }

    #[test]
    fn header_checks() {
        let gw = Recipient::derive(5, SUITE, b"seed");
        let client = ClientRequest::new(5, SUITE, gw.public_key()).unwrap();
        let (req, _) = client
            .encapsulate_with_rng(&mut ReplayRng::new(&[1]), b"x")
            .unwrap();
        let mut wrong_suite = req.clone();
        wrong_suite[6] = 1;
        assert_eq!(
            gw.decapsulate(&wrong_suite).unwrap_err(),
            Error::UnsupportedSuite {
                kem_id: 0x20,
                kdf_id: 1,
                aead_id: 1
            }
        );
        assert_eq!(gw.decapsulate(&req[..54]).unwrap_err(), Error::DecapFailed);
        assert_eq!(gw.decapsulate(&req[..7]).unwrap_err(), Error::DecapFailed);
        assert_eq!(
            gw.decapsulate(&req[..6]).unwrap_err().category(),
            "malformed"
        );
        assert_eq!(gw.decapsulate(&[]).unwrap_err().category(), "malformed");
        let other = Recipient::derive(5, SUITE, b"other");
        assert_eq!(other.decapsulate(&req).unwrap_err(), Error::DecapFailed);
    }

    #[test]
    fn every_suite_round_trips() {
        for suite in [
            Suite::X25519_SHA256_AES128GCM,
            Suite::X25519_SHA256_AES256GCM,
            Suite::X25519_SHA256_CHACHA20POLY1305,
        ] {
            let gw = Recipient::derive(2, suite, b"seed");
            let client = ClientRequest::new(2, suite, gw.public_key()).unwrap();
            let (req, ctx) = client
                .encapsulate_deterministic_for_tests(b"question", &[8; 32])
                .unwrap();
            let (pt, server) = gw.decapsulate(&req).unwrap();
            assert_eq!(pt, b"question");
            let n = suite.response_nonce_len();
            assert_eq!(ctx.exported_secrets_for_tests().0.len(), n);
            let resp = server.seal_with_nonce(b"answer", &[1; 32][..n]).unwrap();
            assert_eq!(ctx.open(&resp).unwrap(), b"answer");
            // The rng path and the deterministic path agree on the framing.
            let (req2, _) = client
                .encapsulate_with_rng(&mut ReplayRng::new(&[3]), b"q")
                .unwrap();
            assert_eq!(gw.decapsulate(&req2).unwrap().0, b"q");
        }
    }

    #[test]
    fn deterministic_secret_length_is_checked() {
        let gw = Recipient::derive(2, SUITE, b"seed");
        let client = ClientRequest::new(2, SUITE, gw.public_key()).unwrap();
        assert_eq!(
            client
                .encapsulate_deterministic_for_tests(b"x", &[1; 31])
                .unwrap_err(),
            Error::PrivateKeyLength { len: 31 }
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_single_bit_flip_of_a_request_fails(bit in any::<usize>(), pt in proptest::collection::vec(any::<u8>(), 0..64)) {
            let gw = Recipient::derive(1, SUITE, b"seed");
            let client = ClientRequest::new(1, SUITE, gw.public_key()).unwrap();
            let (mut req, _) = client.encapsulate_deterministic_for_tests(&pt, &[4; 32]).unwrap();
            let bit = bit % (req.len() * 8);
            req[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(gw.decapsulate(&req).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic_decapsulate(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let gw = Recipient::derive(1, SUITE, b"seed");
            let mut req = bytes.clone();
            if req.len() >= 7 {
                req[..7].copy_from_slice(&SUITE.header(1));
            }
            let _ = gw.decapsulate(&bytes);
            prop_assert!(gw.decapsulate(&req).is_err());
        }

        #[test]
        fn arbitrary_public_keys_never_panic(pk in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = ClientRequest::new(1, SUITE, &pk);
        }

        #[test]
        fn small_order_table_agrees_with_the_ladder(pk in any::<[u8; 32]>(), pick in 0usize..14) {
            // Random keys (never small order in practice) and the table's own entries.
            let mut key = pk;
            if pick < 7 {
                key = SMALL_ORDER[pick];
                key[31] |= pk[31] & 0x80;
            }
            let zero = x25519_dalek::x25519([0x5a; 32], key) == [0; 32];
            prop_assert_eq!(is_small_order(&key), zero);
        }
    }
}
