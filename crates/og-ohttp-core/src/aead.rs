//! The response AEAD seam: key setup once per response, `nonce XOR counter` per chunk,
//! open and seal in place.
//!
//! Everything that touches an AEAD implementation for responses goes through
//! [`ResponseAead`], so the framing code never sees which backend runs. Two backends,
//! chosen at build time, each a small `Cipher` below with the same three calls
//! (`open_to`, `open_in_place`, `seal_in_place`):
//!
//! - default: RustCrypto's `chacha20poly1305` and `aes-gcm` (pure Rust, `no_std`);
//! - feature `aws-lc`: AWS-LC through `aws-lc-rs` (`LessSafeKey`), for ChaCha20-Poly1305
//!   and both AES-GCM suites alike. About 7x cheaper per small message and 2x faster on
//!   large ones on x86-64 (see `cargo xtask bench`).
//!
//! HKDF-SHA256 (the response key schedule) comes from `hkdf` with either backend.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::suite::{AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadAlg, MAX_RESPONSE_NONCE_LEN, X25519_KEY_LEN};
use crate::{Error, LABEL_KEY, LABEL_NONCE, Suite};

#[cfg(feature = "aws-lc")]
use aws_lc::Cipher;
#[cfg(not(feature = "aws-lc"))]
use rustcrypto::Cipher;

/// The response AEAD backend this build uses: `"rustcrypto"` (the default, pure Rust)
/// or `"aws-lc"` (feature `aws-lc`).
///
/// ```
/// assert!(["rustcrypto", "aws-lc"].contains(&og_ohttp_core::AEAD_BACKEND));
/// ```
pub const AEAD_BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "rustcrypto"
};

/// The AEAD key, base nonce and (for checks against vectors) the HKDF PRK of one response.
pub(crate) struct ResponseKeys {
    pub(crate) prk: [u8; 32],
    pub(crate) key: [u8; 32],
    pub(crate) key_len: usize,
    pub(crate) nonce: [u8; AEAD_NONCE_LEN],
}

impl Drop for ResponseKeys {
    fn drop(&mut self) {
        self.prk.zeroize();
        self.key.zeroize();
        self.nonce.zeroize();
    }
}

impl ResponseKeys {
    /// RFC 9458 §4.4: `prk = Extract(enc || response_nonce, secret)`,
    /// `key = Expand(prk, "key", Nk)`, `nonce = Expand(prk, "nonce", Nn)`.
    pub(crate) fn derive(
        suite: Suite,
        secret: &[u8],
        enc: &[u8],
        response_nonce: &[u8],
    ) -> Result<ResponseKeys, Error> {
        let n = suite.response_nonce_len();
        check_len("the response secret", secret.len(), n)?;
        check_len("the response nonce", response_nonce.len(), n)?;
        check_len("enc", enc.len(), X25519_KEY_LEN)?;
        let mut salt = [0u8; X25519_KEY_LEN + MAX_RESPONSE_NONCE_LEN];
        let salt_len = enc.len() + response_nonce.len();
        let (a, b) = salt.split_at_mut(enc.len());
        a.copy_from_slice(enc);
        b.get_mut(..response_nonce.len())
            .ok_or(Error::malformed("response nonce too long"))?
            .copy_from_slice(response_nonce);
        let (prk, hk) = Hkdf::<Sha256>::extract(salt.get(..salt_len), secret);
        let key_len = suite.aead_key_len();
        let mut keys = ResponseKeys {
            prk: [0; 32],
            key: [0; 32],
            key_len,
            nonce: [0; AEAD_NONCE_LEN],
        };
        keys.prk.copy_from_slice(&prk);
        let key_out = keys
            .key
            .get_mut(..key_len)
            .ok_or(Error::malformed("AEAD key too long"))?;
        // Both lengths are far below 255 * 32, so Expand cannot fail.
        hk.expand(LABEL_KEY.as_bytes(), key_out)
            .map_err(|_| Error::malformed("HKDF output too long"))?;
        hk.expand(LABEL_NONCE.as_bytes(), &mut keys.nonce)
            .map_err(|_| Error::malformed("HKDF output too long"))?;
        Ok(keys)
    }

    pub(crate) fn key(&self) -> &[u8] {
        self.key.get(..self.key_len).unwrap_or_default()
    }
}

/// `Ok` when `len == expected`, else [`Error::BadLength`] naming `what`.
pub(crate) fn check_len(what: &'static str, len: usize, expected: usize) -> Result<(), Error> {
    if len == expected {
        Ok(())
    } else {
        Err(Error::BadLength {
            what,
            len,
            expected,
        })
    }
}

/// A keyed response AEAD: `seal`/`open` of message `counter` use the nonce
/// `base_nonce XOR counter` (counter as a 12-byte big-endian integer).
///
/// The key schedule is dropped with the value (the RustCrypto ciphers zeroize on drop;
/// AWS-LC cleanses its context when freeing it); the base nonce is zeroized here.
pub(crate) struct ResponseAead {
    cipher: Cipher,
    base_nonce: [u8; AEAD_NONCE_LEN],
}

impl Drop for ResponseAead {
    fn drop(&mut self) {
        self.base_nonce.zeroize();
    }
}

impl ZeroizeOnDrop for ResponseAead {}

impl ResponseAead {
    /// Keys the AEAD of `alg` with `key` (Nk bytes) and a 12-byte base nonce.
    pub(crate) fn new(alg: AeadAlg, key: &[u8], base_nonce: &[u8]) -> Result<ResponseAead, Error> {
        check_len("the AEAD key", key.len(), alg.key_len())?;
        check_len("the AEAD nonce", base_nonce.len(), AEAD_NONCE_LEN)?;
        let cipher = Cipher::new(alg, key)?;
        let mut n = [0u8; AEAD_NONCE_LEN];
        n.copy_from_slice(base_nonce);
        Ok(ResponseAead {
            cipher,
            base_nonce: n,
        })
    }

    /// The AEAD of one response: keys derived from the exported `secret`, `enc` and the
    /// `response_nonce` (see [`ResponseKeys::derive`]).
    pub(crate) fn for_response(
        suite: Suite,
        secret: &[u8],
        enc: &[u8],
        response_nonce: &[u8],
    ) -> Result<ResponseAead, Error> {
        let keys = ResponseKeys::derive(suite, secret, enc, response_nonce)?;
        ResponseAead::new(suite.aead(), keys.key(), &keys.nonce)
    }

    /// `base_nonce XOR counter`, the counter as a 12-byte big-endian integer.
    fn nonce(&self, counter: u64) -> [u8; AEAD_NONCE_LEN] {
        let mut n = self.base_nonce;
        let (_, low) = n.split_at_mut(AEAD_NONCE_LEN - 8);
        for (b, c) in low.iter_mut().zip(counter.to_be_bytes()) {
            *b ^= c;
        }
        n
    }

    /// Opens `sealed` (ciphertext || tag) of message `counter` into `out`, which must be
    /// exactly `sealed.len() - 16` bytes. A sealed input shorter than a tag is [`Error::Aead`].
    pub(crate) fn open_to(
        &self,
        counter: u64,
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let ct_len = sealed.len().checked_sub(AEAD_TAG_LEN).ok_or(Error::Aead)?;
        let (ct, tag) = sealed.split_at(ct_len);
        if out.len() != ct_len {
            return Err(Error::Aead);
        }
        self.cipher.open_to(self.nonce(counter), aad, ct, tag, out)
    }

    /// Opens `buf` (ciphertext || tag) of message `counter` in place; returns the plaintext
    /// length (the plaintext is `buf[..len]`). On failure the buffer holds garbage.
    pub(crate) fn open_in_place(
        &self,
        counter: u64,
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let ct_len = buf.len().checked_sub(AEAD_TAG_LEN).ok_or(Error::Aead)?;
        self.cipher.open_in_place(self.nonce(counter), aad, buf)?;
        Ok(ct_len)
    }

    /// Seals `plaintext` as message `counter` and appends ciphertext || tag to `out`.
    pub(crate) fn seal_append(
        &self,
        counter: u64,
        aad: &[u8],
        plaintext: &[u8],
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        out.reserve(plaintext.len() + AEAD_TAG_LEN);
        out.extend_from_slice(plaintext);
        let res = self.cipher.seal_in_place(
            self.nonce(counter),
            aad,
            out.get_mut(start..).unwrap_or_default(),
        );
        match res {
            Some(tag) => {
                out.extend_from_slice(&tag);
                Ok(())
            }
            None => {
                out.get_mut(start..).unwrap_or_default().zeroize();
                out.truncate(start);
                Err(Error::Seal {
                    what: "the plaintext is longer than the AEAD allows",
                })
            }
        }
    }
}

/// The default backend: RustCrypto, pure Rust and `no_std`.
#[cfg(not(feature = "aws-lc"))]
mod rustcrypto {
    use alloc::boxed::Box;

    use aes_gcm::{Aes128Gcm, Aes256Gcm};
    use chacha20poly1305::aead::inout::InOutBuf;
    use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit};

    use crate::Error;
    use crate::suite::{AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadAlg};

    /// One of the supported AEADs, keyed. Boxed: the key schedules are large (up to
    /// ~1 KiB) and differ in size. Each zeroizes its key schedule on drop.
    pub(super) enum Cipher {
        Aes128(Box<Aes128Gcm>),
        Aes256(Box<Aes256Gcm>),
        ChaCha(Box<ChaCha20Poly1305>),
    }

    /// Runs `$body` with `$c` bound to the keyed cipher, whatever its type.
    macro_rules! with_cipher {
        ($self:expr, $c:ident => $body:expr) => {
            match $self {
                Cipher::Aes128($c) => $body,
                Cipher::Aes256($c) => $body,
                Cipher::ChaCha($c) => $body,
            }
        };
    }

    impl Cipher {
        pub(super) fn new(alg: AeadAlg, key: &[u8]) -> Result<Cipher, Error> {
            let bad_key = |_| Error::malformed("AEAD key of the wrong length");
            Ok(match alg {
                AeadAlg::Aes128Gcm => {
                    Cipher::Aes128(Box::new(Aes128Gcm::new_from_slice(key).map_err(bad_key)?))
                }
                AeadAlg::Aes256Gcm => {
                    Cipher::Aes256(Box::new(Aes256Gcm::new_from_slice(key).map_err(bad_key)?))
                }
                AeadAlg::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(
                    ChaCha20Poly1305::new_from_slice(key).map_err(bad_key)?,
                )),
            })
        }

        /// Opens `ct` with the detached `tag` into `out` (of `ct.len()` bytes).
        pub(super) fn open_to(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            ct: &[u8],
            tag: &[u8],
            out: &mut [u8],
        ) -> Result<(), Error> {
            let buf = InOutBuf::new(ct, out).map_err(|_| Error::Aead)?;
            let tag: [u8; AEAD_TAG_LEN] = tag.try_into().map_err(|_| Error::Aead)?;
            with_cipher!(self, c => c.decrypt_inout_detached(&nonce.into(), aad, buf, &tag.into()))
                .map_err(|_| Error::Aead)
        }

        /// Opens `sealed` (ciphertext || tag) in place.
        pub(super) fn open_in_place(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            sealed: &mut [u8],
        ) -> Result<(), Error> {
            let ct_len = sealed.len().checked_sub(AEAD_TAG_LEN).ok_or(Error::Aead)?;
            let (ct, tag) = sealed.split_at_mut(ct_len);
            let tag: [u8; AEAD_TAG_LEN] = (&*tag).try_into().map_err(|_| Error::Aead)?;
            let buf = InOutBuf::from(ct);
            with_cipher!(self, c => c.decrypt_inout_detached(&nonce.into(), aad, buf, &tag.into()))
                .map_err(|_| Error::Aead)
        }

        /// Encrypts `buf` in place and returns the tag; `None` if it is too long.
        pub(super) fn seal_in_place(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            buf: &mut [u8],
        ) -> Option<[u8; AEAD_TAG_LEN]> {
            let buf = InOutBuf::from(buf);
            with_cipher!(self, c => c.encrypt_inout_detached(&nonce.into(), aad, buf))
                .ok()
                .map(Into::into)
        }
    }
}

/// The `aws-lc` backend: AWS-LC's AEADs through `aws-lc-rs`. The key lives in an
/// AWS-LC context that AWS-LC cleanses when it frees it (on drop).
#[cfg(feature = "aws-lc")]
mod aws_lc {
    use aws_lc_rs::aead::{
        AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey,
    };

    use crate::Error;
    use crate::suite::{AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadAlg};

    /// A keyed AWS-LC AEAD.
    pub(super) struct Cipher(LessSafeKey);

    impl Cipher {
        pub(super) fn new(alg: AeadAlg, key: &[u8]) -> Result<Cipher, Error> {
            let alg = match alg {
                AeadAlg::Aes128Gcm => &AES_128_GCM,
                AeadAlg::Aes256Gcm => &AES_256_GCM,
                AeadAlg::ChaCha20Poly1305 => &CHACHA20_POLY1305,
            };
            let key = UnboundKey::new(alg, key)
                .map_err(|_| Error::malformed("AEAD key of the wrong length"))?;
            Ok(Cipher(LessSafeKey::new(key)))
        }

        /// Opens `ct` with the detached `tag` into `out` (of `ct.len()` bytes).
        pub(super) fn open_to(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            ct: &[u8],
            tag: &[u8],
            out: &mut [u8],
        ) -> Result<(), Error> {
            let nonce = Nonce::assume_unique_for_key(nonce);
            self.0
                .open_separate_gather(nonce, Aad::from(aad), ct, tag, out)
                .map_err(|_| Error::Aead)
        }

        /// Opens `sealed` (ciphertext || tag) in place.
        pub(super) fn open_in_place(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            sealed: &mut [u8],
        ) -> Result<(), Error> {
            let nonce = Nonce::assume_unique_for_key(nonce);
            self.0
                .open_in_place(nonce, Aad::from(aad), sealed)
                .map(|_| ())
                .map_err(|_| Error::Aead)
        }

        /// Encrypts `buf` in place and returns the tag; `None` if it is too long.
        pub(super) fn seal_in_place(
            &self,
            nonce: [u8; AEAD_NONCE_LEN],
            aad: &[u8],
            buf: &mut [u8],
        ) -> Option<[u8; AEAD_TAG_LEN]> {
            let nonce = Nonce::assume_unique_for_key(nonce);
            let tag = self
                .0
                .seal_in_place_separate_tag(nonce, Aad::from(aad), buf)
                .ok()?;
            tag.as_ref().try_into().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn rfc9458_appendix_a_keys() {
        let keys = ResponseKeys::derive(
            Suite::X25519_SHA256_AES128GCM,
            &h("62d87a6ba569ee81014c2641f52bea36"),
            &h("4b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b472"),
            &h("c789e7151fcba46158ca84b04464910d"),
        )
        .unwrap();
        assert_eq!(
            keys.prk.to_vec(),
            h("979aaeae066cf211ab407b31ae49767f344e1501e475c84e8aff547cc5a683db")
        );
        assert_eq!(keys.key(), h("5d0172a080e428b16d298c4ea0db620d"));
        assert_eq!(keys.nonce.to_vec(), h("f6bf1aeb88d6df87007fa263"));
    }

    #[test]
    fn nonce_xor_counter() {
        let a = ResponseAead::new(AeadAlg::ChaCha20Poly1305, &[7; 32], &[0xff; 12]).unwrap();
        assert_eq!(a.nonce(0), [0xff; 12]);
        let n = a.nonce(0x0102);
        assert_eq!(n[..10], [0xff; 10]);
        assert_eq!(n[10..], [0xfe, 0xfd]);
        let n = a.nonce(u64::MAX);
        assert_eq!(n[..4], [0xff; 4]);
        assert_eq!(n[4..], [0; 8]);
    }

    #[test]
    fn seal_open_round_trip_every_aead() {
        for (alg, klen) in [
            (AeadAlg::Aes128Gcm, 16),
            (AeadAlg::Aes256Gcm, 32),
            (AeadAlg::ChaCha20Poly1305, 32),
        ] {
            let key = alloc::vec![9u8; klen];
            let a = ResponseAead::new(alg, &key, &[1; 12]).unwrap();
            let mut sealed = Vec::new();
            a.seal_append(3, b"final", b"hello", &mut sealed).unwrap();
            assert_eq!(sealed.len(), 5 + 16);
            let mut out = [0u8; 5];
            a.open_to(3, b"final", &sealed, &mut out).unwrap();
            assert_eq!(&out, b"hello");
            // Wrong counter, wrong AAD, too short: all fail cleanly.
            assert_eq!(a.open_to(4, b"final", &sealed, &mut out), Err(Error::Aead));
            assert_eq!(a.open_to(3, b"", &sealed, &mut out), Err(Error::Aead));
            assert_eq!(a.open_to(3, b"", &sealed[..15], &mut []), Err(Error::Aead));
            let mut buf = sealed.clone();
            assert_eq!(a.open_in_place(3, b"final", &mut buf).unwrap(), 5);
            assert_eq!(&buf[..5], b"hello");
        }
    }

    #[test]
    fn bad_key_and_nonce_lengths() {
        assert!(ResponseAead::new(AeadAlg::Aes128Gcm, &[0; 32], &[0; 12]).is_err());
        assert!(ResponseAead::new(AeadAlg::ChaCha20Poly1305, &[0; 32], &[0; 8]).is_err());
    }
}
