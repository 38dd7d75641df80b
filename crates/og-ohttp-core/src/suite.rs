//! HPKE suite identifiers and the lengths that follow from them.

use crate::Error;

/// KEM id of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::KEM_X25519_HKDF_SHA256, 0x0020);
/// ```
pub const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
/// KDF id of HKDF-SHA256 (RFC 9180 §7.2).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::KDF_HKDF_SHA256, 0x0001);
/// ```
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// AEAD id of AES-128-GCM (RFC 9180 §7.3).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::AEAD_AES_128_GCM, 0x0001);
/// ```
pub const AEAD_AES_128_GCM: u16 = 0x0001;
/// AEAD id of AES-256-GCM (RFC 9180 §7.3).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::AEAD_AES_256_GCM, 0x0002);
/// ```
pub const AEAD_AES_256_GCM: u16 = 0x0002;
/// AEAD id of ChaCha20-Poly1305 (RFC 9180 §7.3).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::AEAD_CHACHA20_POLY1305, 0x0003);
/// ```
pub const AEAD_CHACHA20_POLY1305: u16 = 0x0003;

/// Length of an X25519 public key, private key and encapsulated key (Npk = Nsk = Nenc).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::X25519_KEY_LEN, 32);
/// ```
pub const X25519_KEY_LEN: usize = 32;

/// Length of the request header: key id, KEM id, KDF id, AEAD id.
///
/// ```
/// assert_eq!(og_ohttp_core::suite::HEADER_LEN, 7);
/// ```
pub const HEADER_LEN: usize = 7;

/// Length of the AEAD nonce (Nn) of every suite here.
///
/// ```
/// assert_eq!(og_ohttp_core::suite::AEAD_NONCE_LEN, 12);
/// ```
pub const AEAD_NONCE_LEN: usize = 12;

/// Length of the AEAD tag (Nt) of every suite here.
///
/// ```
/// assert_eq!(og_ohttp_core::suite::AEAD_TAG_LEN, 16);
/// ```
pub const AEAD_TAG_LEN: usize = 16;

/// The largest response nonce / exported response secret of any suite here (max(Nn, Nk)).
///
/// ```
/// assert_eq!(og_ohttp_core::suite::MAX_RESPONSE_NONCE_LEN, 32);
/// ```
pub const MAX_RESPONSE_NONCE_LEN: usize = 32;

/// The AEAD algorithms this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub(crate) const fn from_id(id: u16) -> Option<AeadAlg> {
        match id {
            AEAD_AES_128_GCM => Some(AeadAlg::Aes128Gcm),
            AEAD_AES_256_GCM => Some(AeadAlg::Aes256Gcm),
            AEAD_CHACHA20_POLY1305 => Some(AeadAlg::ChaCha20Poly1305),
            _ => None,
        }
    }

    pub(crate) const fn id(self) -> u16 {
        match self {
            AeadAlg::Aes128Gcm => AEAD_AES_128_GCM,
            AeadAlg::Aes256Gcm => AEAD_AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => AEAD_CHACHA20_POLY1305,
        }
    }

    /// Nk.
    pub(crate) const fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// An HPKE suite (KEM, KDF, AEAD) that this crate can use for OHTTP.
///
/// The KEM is always DHKEM(X25519, HKDF-SHA256) and the KDF HKDF-SHA256. The AEAD is
/// ChaCha20-Poly1305 (the suite every OpenGradient gateway uses) or, for RFC 9458
/// interoperability, AES-128-GCM or AES-256-GCM.
///
/// ```
/// use og_ohttp_core::Suite;
///
/// let s = Suite::new(0x0020, 0x0001, 0x0003)?;
/// assert_eq!(s, Suite::X25519_SHA256_CHACHA20POLY1305);
/// assert_eq!((s.kem_id(), s.kdf_id(), s.aead_id()), (0x0020, 0x0001, 0x0003));
/// assert_eq!(s.response_nonce_len(), 32);
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Suite {
    aead: AeadAlg,
}

impl Suite {
    /// DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305: the gateways' suite.
    ///
    /// ```
    /// let s = og_ohttp_core::Suite::X25519_SHA256_CHACHA20POLY1305;
    /// assert_eq!(s.aead_id(), 3);
    /// ```
    pub const X25519_SHA256_CHACHA20POLY1305: Suite = Suite {
        aead: AeadAlg::ChaCha20Poly1305,
    };
    /// DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM (the RFC 9458 example).
    ///
    /// ```
    /// let s = og_ohttp_core::Suite::X25519_SHA256_AES128GCM;
    /// assert_eq!(s.response_nonce_len(), 16);
    /// ```
    pub const X25519_SHA256_AES128GCM: Suite = Suite {
        aead: AeadAlg::Aes128Gcm,
    };
    /// DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM.
    ///
    /// ```
    /// let s = og_ohttp_core::Suite::X25519_SHA256_AES256GCM;
    /// assert_eq!(s.aead_id(), 2);
    /// ```
    pub const X25519_SHA256_AES256GCM: Suite = Suite {
        aead: AeadAlg::Aes256Gcm,
    };

    /// The suite for these ids, accepting only the suite the OpenGradient gateways use
    /// (0x0020 / 0x0001 / 0x0003), as the reference client does. Any other combination is
    /// [`Error::UnsupportedSuite`]; use [`Suite::new_rfc9458`] to opt into the AES-GCM
    /// suites.
    ///
    /// ```
    /// use og_ohttp_core::Suite;
    ///
    /// assert!(Suite::new(0x0020, 0x0001, 0x0003).is_ok());
    /// let e = Suite::new(0x0020, 0x0001, 0x0001).unwrap_err();
    /// assert_eq!(e.category(), "unsupported_suite");
    /// ```
    pub fn new(kem_id: u16, kdf_id: u16, aead_id: u16) -> Result<Suite, Error> {
        match Suite::new_rfc9458(kem_id, kdf_id, aead_id) {
            Ok(s) if s == Suite::X25519_SHA256_CHACHA20POLY1305 => Ok(s),
            _ => Err(Error::UnsupportedSuite {
                kem_id,
                kdf_id,
                aead_id,
            }),
        }
    }

    /// The suite for these ids, accepting every suite this crate implements:
    /// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, AES-256-GCM or
    /// ChaCha20-Poly1305. Anything else is [`Error::UnsupportedSuite`].
    ///
    /// ```
    /// use og_ohttp_core::Suite;
    ///
    /// assert_eq!(Suite::new_rfc9458(0x0020, 0x0001, 0x0001)?, Suite::X25519_SHA256_AES128GCM);
    /// assert!(Suite::new_rfc9458(0x0010, 0x0001, 0x0001).is_err());
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn new_rfc9458(kem_id: u16, kdf_id: u16, aead_id: u16) -> Result<Suite, Error> {
        match (kem_id, kdf_id, AeadAlg::from_id(aead_id)) {
            (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, Some(aead)) => Ok(Suite { aead }),
            _ => Err(Error::UnsupportedSuite {
                kem_id,
                kdf_id,
                aead_id,
            }),
        }
    }

    /// The KEM id (always 0x0020).
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Suite::X25519_SHA256_AES128GCM.kem_id(), 0x0020);
    /// ```
    pub fn kem_id(&self) -> u16 {
        KEM_X25519_HKDF_SHA256
    }

    /// The KDF id (always 0x0001).
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Suite::X25519_SHA256_AES128GCM.kdf_id(), 0x0001);
    /// ```
    pub fn kdf_id(&self) -> u16 {
        KDF_HKDF_SHA256
    }

    /// The AEAD id.
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Suite::X25519_SHA256_AES256GCM.aead_id(), 0x0002);
    /// ```
    pub fn aead_id(&self) -> u16 {
        self.aead.id()
    }

    /// The AEAD key length Nk.
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Suite::X25519_SHA256_AES128GCM.aead_key_len(), 16);
    /// ```
    pub fn aead_key_len(&self) -> usize {
        self.aead.key_len()
    }

    /// The response nonce length, max(Nn, Nk): 32 for ChaCha20-Poly1305 and AES-256-GCM,
    /// 16 for AES-128-GCM. The exported response secrets have the same length.
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::Suite::X25519_SHA256_CHACHA20POLY1305.response_nonce_len(), 32);
    /// ```
    pub fn response_nonce_len(&self) -> usize {
        let nk = self.aead.key_len();
        if nk > AEAD_NONCE_LEN {
            nk
        } else {
            AEAD_NONCE_LEN
        }
    }

    /// The 7-byte request header: `key_id || kem_id || kdf_id || aead_id` (big-endian).
    ///
    /// ```
    /// let h = og_ohttp_core::Suite::X25519_SHA256_CHACHA20POLY1305.header(1);
    /// assert_eq!(h, [1, 0, 0x20, 0, 1, 0, 3]);
    /// ```
    pub fn header(&self, key_id: u8) -> [u8; HEADER_LEN] {
        let [k0, k1] = self.kem_id().to_be_bytes();
        let [d0, d1] = self.kdf_id().to_be_bytes();
        let [a0, a1] = self.aead_id().to_be_bytes();
        [key_id, k0, k1, d0, d1, a0, a1]
    }

    pub(crate) fn aead(&self) -> AeadAlg {
        self.aead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_suite_only_by_default() {
        assert!(Suite::new(0x20, 1, 3).is_ok());
        for (k, d, a) in [
            (0x20, 1, 1),
            (0x20, 1, 2),
            (0x10, 1, 3),
            (0x20, 2, 3),
            (0x20, 1, 0xffff),
        ] {
            let e = Suite::new(k, d, a).unwrap_err();
            assert_eq!(
                e,
                Error::UnsupportedSuite {
                    kem_id: k,
                    kdf_id: d,
                    aead_id: a
                }
            );
        }
    }

    #[test]
    fn rfc9458_suites() {
        assert_eq!(
            Suite::new_rfc9458(0x20, 1, 1).unwrap(),
            Suite::X25519_SHA256_AES128GCM
        );
        assert_eq!(
            Suite::new_rfc9458(0x20, 1, 2).unwrap(),
            Suite::X25519_SHA256_AES256GCM
        );
        assert_eq!(
            Suite::new_rfc9458(0x20, 1, 3).unwrap(),
            Suite::X25519_SHA256_CHACHA20POLY1305
        );
        assert!(Suite::new_rfc9458(0x20, 1, 0xffff).is_err());
        assert!(Suite::new_rfc9458(0x21, 1, 1).is_err());
    }

    #[test]
    fn lengths() {
        assert_eq!(Suite::X25519_SHA256_AES128GCM.response_nonce_len(), 16);
        assert_eq!(Suite::X25519_SHA256_AES256GCM.response_nonce_len(), 32);
        assert_eq!(
            Suite::X25519_SHA256_CHACHA20POLY1305.response_nonce_len(),
            32
        );
        assert_eq!(Suite::X25519_SHA256_AES128GCM.aead_key_len(), 16);
        assert_eq!(
            Suite::X25519_SHA256_AES256GCM.header(0xff),
            [0xff, 0, 0x20, 0, 1, 0, 2]
        );
    }
}
