//! Key configurations (RFC 9458 §3) and the `application/ohttp-keys` list format.
//!
//! ```text
//! config = key_id(1) || kem_id(2) || public_key(Npk) || sym_len(2) || (kdf_id(2) || aead_id(2))*
//! list   = (len(2) || config)*
//! ```

use alloc::vec::Vec;

use crate::request::{ClientRequest, check_public_key};
use crate::suite::{KEM_X25519_HKDF_SHA256, X25519_KEY_LEN};
use crate::{Error, Suite};

/// The fixed part of a config before the public key: key id and KEM id.
const PREFIX_LEN: usize = 3;

/// One gateway key configuration: key id, KEM, public key and the (KDF, AEAD) pairs the
/// gateway accepts. Only DHKEM(X25519, HKDF-SHA256) keys can be represented; pairs with
/// ids this crate does not implement are kept as data.
///
/// ```
/// use og_ohttp_core::{KeyConfig, Suite};
///
/// let bytes = hex::decode(
///     "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003",
/// ).unwrap();
/// let config = KeyConfig::parse(&bytes)?;
/// assert_eq!(config.key_id(), 1);
/// assert_eq!(config.kem_id(), 0x0020);
/// assert_eq!(config.symmetric(), &[(1, 1), (1, 3)]);
/// assert!(config.supports(Suite::X25519_SHA256_CHACHA20POLY1305));
/// assert_eq!(config.to_bytes(), bytes);
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyConfig {
    key_id: u8,
    kem_id: u16,
    public_key: [u8; X25519_KEY_LEN],
    symmetric: Vec<(u16, u16)>,
}

/// A little reader over untrusted bytes: every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err(Error::Truncated {
                what,
                claimed: n as u64,
                available: self.bytes.len() as u64,
            });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or_default(),
            b.get(1).copied().unwrap_or_default(),
        ]))
    }
}

impl KeyConfig {
    pub(crate) fn from_checked(
        key_id: u8,
        kem_id: u16,
        public_key: [u8; X25519_KEY_LEN],
        symmetric: Vec<(u16, u16)>,
    ) -> KeyConfig {
        KeyConfig {
            key_id,
            kem_id,
            public_key,
            symmetric,
        }
    }

    /// Builds a configuration. The KEM must be DHKEM(X25519, HKDF-SHA256)
    /// ([`Error::UnsupportedSuite`] otherwise), the key 32 bytes and not a low-order point
    /// ([`Error::PublicKeyLength`], [`Error::LowOrderPublicKey`]), and there must be 1 to
    /// 16383 symmetric pairs ([`Error::Malformed`]).
    ///
    /// ```
    /// use og_ohttp_core::{KeyConfig, Recipient, Suite};
    /// let pk = Recipient::derive(1, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").public_key().to_owned();
    /// let c = KeyConfig::new(1, 0x0020, &pk, &[(1, 3)])?;
    /// assert_eq!(c.to_bytes().len(), 1 + 2 + 32 + 2 + 4);
    /// assert!(KeyConfig::new(1, 0x0020, &pk, &[]).is_err());
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn new(
        key_id: u8,
        kem_id: u16,
        public_key: &[u8],
        symmetric: &[(u16, u16)],
    ) -> Result<KeyConfig, Error> {
        if kem_id != KEM_X25519_HKDF_SHA256 {
            return Err(unsupported_kem(kem_id));
        }
        let public_key = check_public_key(public_key)?;
        if symmetric.is_empty() {
            return Err(Error::malformed(
                "a key configuration lists at least one (KDF, AEAD) pair",
            ));
        }
        if symmetric.len() > usize::from(u16::MAX) / 4 {
            return Err(Error::malformed(
                "a key configuration lists at most 16383 (KDF, AEAD) pairs",
            ));
        }
        Ok(KeyConfig::from_checked(
            key_id,
            kem_id,
            public_key,
            symmetric.to_vec(),
        ))
    }

    /// Parses exactly one configuration; trailing bytes are [`Error::Malformed`], a cut
    /// input [`Error::Truncated`], a KEM other than X25519 [`Error::UnsupportedSuite`].
    ///
    /// The public key is taken as it is (a key configuration is data; a low-order key is
    /// refused when a [`ClientRequest`] is built from it).
    ///
    /// ```
    /// use og_ohttp_core::KeyConfig;
    /// assert_eq!(KeyConfig::parse(&[1, 0, 0x20]).unwrap_err().category(), "truncated");
    /// assert_eq!(KeyConfig::parse(&[1, 0, 0x10]).unwrap_err().category(), "unsupported_suite");
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<KeyConfig, Error> {
        let mut r = Reader { bytes };
        let config = KeyConfig::read(&mut r)?;
        if r.bytes.is_empty() {
            Ok(config)
        } else {
            Err(Error::malformed(
                "trailing bytes after the key configuration",
            ))
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<KeyConfig, Error> {
        let key_id = r.u8("the key id")?;
        let kem_id = r.u16("the KEM id")?;
        if kem_id != KEM_X25519_HKDF_SHA256 {
            return Err(unsupported_kem(kem_id));
        }
        let mut public_key = [0u8; X25519_KEY_LEN];
        public_key.copy_from_slice(r.take(X25519_KEY_LEN, "the public key")?);
        let sym_len = r.u16("the symmetric algorithms length")?;
        if sym_len == 0 || sym_len % 4 != 0 {
            return Err(Error::malformed(
                "the symmetric algorithms length must be a non-zero multiple of 4",
            ));
        }
        let sym = r.take(usize::from(sym_len), "the symmetric algorithms")?;
        let symmetric = sym
            .chunks_exact(4)
            .map(|c| match c {
                [a, b, c, d] => (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])),
                _ => (0, 0),
            })
            .collect();
        Ok(KeyConfig::from_checked(
            key_id, kem_id, public_key, symmetric,
        ))
    }

    /// Parses an `application/ohttp-keys` list: each configuration prefixed by its 2-byte
    /// length. Configurations whose KEM this crate does not implement are skipped (as RFC
    /// 9458 §3.2 lets a client ignore what it does not support); everything else must be
    /// consistent. An empty input is [`Error::Malformed`]; a list with no supported
    /// configuration is [`Error::UnsupportedSuite`].
    ///
    /// ```
    /// use og_ohttp_core::{KeyConfig, Recipient, Suite};
    /// let a = Recipient::derive(1, Suite::X25519_SHA256_CHACHA20POLY1305, b"a").key_config();
    /// let b = Recipient::derive(2, Suite::X25519_SHA256_CHACHA20POLY1305, b"b").key_config();
    /// let list = KeyConfig::list_to_bytes(&[a.clone(), b.clone()])?;
    /// assert_eq!(KeyConfig::parse_list(&list)?, vec![a, b]);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn parse_list(bytes: &[u8]) -> Result<Vec<KeyConfig>, Error> {
        if bytes.is_empty() {
            return Err(Error::malformed("the key configuration list is empty"));
        }
        let mut r = Reader { bytes };
        let mut out = Vec::new();
        let mut skipped = None;
        while !r.bytes.is_empty() {
            let len = r.u16("a key configuration length prefix")?;
            let body = r.take(usize::from(len), "a key configuration")?;
            match KeyConfig::parse(body) {
                Ok(c) => out.push(c),
                Err(Error::UnsupportedSuite { kem_id, .. }) if body.len() >= PREFIX_LEN => {
                    skipped = Some(kem_id);
                }
                Err(e) => return Err(e),
            }
        }
        match (out.is_empty(), skipped) {
            (true, Some(kem_id)) => Err(unsupported_kem(kem_id)),
            _ => Ok(out),
        }
    }

    /// Serializes one configuration.
    ///
    /// ```
    /// # use og_ohttp_core::{KeyConfig, Recipient, Suite};
    /// let c = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config();
    /// assert_eq!(KeyConfig::parse(&c.to_bytes())?, c);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let sym_len = self.symmetric.len().saturating_mul(4);
        let mut out = Vec::with_capacity(PREFIX_LEN + X25519_KEY_LEN + 2 + sym_len);
        out.push(self.key_id);
        out.extend_from_slice(&self.kem_id.to_be_bytes());
        out.extend_from_slice(&self.public_key);
        out.extend_from_slice(&u16::try_from(sym_len).unwrap_or(u16::MAX).to_be_bytes());
        for (kdf, aead) in &self.symmetric {
            out.extend_from_slice(&kdf.to_be_bytes());
            out.extend_from_slice(&aead.to_be_bytes());
        }
        out
    }

    /// Serializes an `application/ohttp-keys` list. A configuration longer than 65535
    /// bytes (more than 16374 pairs) cannot be length-prefixed: [`Error::Malformed`].
    ///
    /// ```
    /// # use og_ohttp_core::{KeyConfig, Recipient, Suite};
    /// let c = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config();
    /// let list = KeyConfig::list_to_bytes(&[c])?;
    /// assert_eq!(&list[..2], &[0, 41]);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn list_to_bytes(configs: &[KeyConfig]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        for c in configs {
            let bytes = c.to_bytes();
            let len = u16::try_from(bytes.len()).map_err(|_| {
                Error::malformed("a key configuration is too long for the list format")
            })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }

    /// The key id.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// assert_eq!(Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config().key_id(), 7);
    /// ```
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    /// The KEM id (0x0020).
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// assert_eq!(Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config().kem_id(), 0x20);
    /// ```
    pub fn kem_id(&self) -> u16 {
        self.kem_id
    }

    /// The public key (32 bytes).
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let r = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k");
    /// assert_eq!(r.key_config().public_key(), r.public_key());
    /// ```
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The (KDF id, AEAD id) pairs, in the order the configuration lists them.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let c = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config();
    /// assert_eq!(c.symmetric(), &[(0x0001, 0x0003)]);
    /// ```
    pub fn symmetric(&self) -> &[(u16, u16)] {
        &self.symmetric
    }

    /// True when the configuration lists `suite`'s KDF and AEAD.
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let c = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config();
    /// assert!(!c.supports(Suite::X25519_SHA256_AES128GCM));
    /// ```
    pub fn supports(&self, suite: Suite) -> bool {
        self.kem_id == suite.kem_id()
            && self
                .symmetric
                .iter()
                .any(|&(kdf, aead)| kdf == suite.kdf_id() && aead == suite.aead_id())
    }

    /// A [`ClientRequest`] for this key with `suite`, which the configuration must list
    /// ([`Error::UnsupportedSuite`] otherwise).
    ///
    /// ```
    /// # use og_ohttp_core::{Recipient, Suite};
    /// let c = Recipient::derive(7, Suite::X25519_SHA256_CHACHA20POLY1305, b"k").key_config();
    /// assert!(c.client_request(Suite::X25519_SHA256_CHACHA20POLY1305).is_ok());
    /// assert!(c.client_request(Suite::X25519_SHA256_AES256GCM).is_err());
    /// ```
    pub fn client_request(&self, suite: Suite) -> Result<ClientRequest, Error> {
        if !self.supports(suite) {
            return Err(Error::UnsupportedSuite {
                kem_id: suite.kem_id(),
                kdf_id: suite.kdf_id(),
                aead_id: suite.aead_id(),
            });
        }
        ClientRequest::new(self.key_id, suite, &self.public_key)
    }
}

fn unsupported_kem(kem_id: u16) -> Error {
    Error::UnsupportedSuite {
        kem_id,
        kdf_id: 0,
        aead_id: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RFC: &str = "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";

    fn rfc() -> Vec<u8> {
        hex::decode(RFC).unwrap()
    }

    #[test]
    fn rfc9458_config() {
        let c = KeyConfig::parse(&rfc()).unwrap();
        assert_eq!(c.symmetric(), &[(1, 1), (1, 3)]);
        assert_eq!(
            c.public_key(),
            &hex::decode("31e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155")
                .unwrap()[..]
        );
        assert_eq!(c.to_bytes(), rfc());
        assert_eq!(
            KeyConfig::new(1, 0x20, c.public_key(), c.symmetric()).unwrap(),
            c
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let b = rfc();
        for n in 0..b.len() {
            let e = KeyConfig::parse(&b[..n]).unwrap_err();
            assert_eq!(e.category(), "truncated", "cut at {n}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(KeyConfig::parse(&long).unwrap_err().category(), "malformed");
    }

    #[test]
    fn bad_symmetric_lengths() {
        let mut b = rfc();
        // sym_len is at 35..37.
        b[36] = 6;
        assert_eq!(KeyConfig::parse(&b).unwrap_err().category(), "malformed");
        b[36] = 0;
        assert_eq!(
            KeyConfig::parse(&b[..37]).unwrap_err().category(),
            "malformed"
        );
    }

    #[test]
    fn lists() {
        let one = rfc();
        let mut list = Vec::new();
        list.extend_from_slice(&(one.len() as u16).to_be_bytes());
        list.extend_from_slice(&one);
        // An unsupported KEM (P-256, 65-byte key) is skipped.
        let p256 = [&[2u8, 0, 0x10][..], &[4; 65], &[0, 4, 0, 1, 0, 1]].concat();
        list.extend_from_slice(&(p256.len() as u16).to_be_bytes());
        list.extend_from_slice(&p256);
        let parsed = KeyConfig::parse_list(&list).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].to_bytes(), one);

        let only_p256 = [&(p256.len() as u16).to_be_bytes()[..], &p256].concat();
        assert_eq!(
            KeyConfig::parse_list(&only_p256).unwrap_err().category(),
            "unsupported_suite"
        );
        assert_eq!(
            KeyConfig::parse_list(&[]).unwrap_err().category(),
            "malformed"
        );
        assert_eq!(
            KeyConfig::parse_list(&[0]).unwrap_err().category(),
            "truncated"
        );
        assert_eq!(
            KeyConfig::parse_list(&[0, 50, 1]).unwrap_err().category(),
            "truncated"
        );
        // A length prefix shorter than the config inside: the config is cut.
        let mut inconsistent = list.clone();
        inconsistent[1] -= 1;
        assert!(KeyConfig::parse_list(&inconsistent).is_err());
        // A zero-length entry is a truncated config.
        assert_eq!(
            KeyConfig::parse_list(&[0, 0]).unwrap_err().category(),
            "truncated"
        );
    }

    #[test]
    fn new_checks() {
        let c = KeyConfig::parse(&rfc()).unwrap();
        assert_eq!(
            KeyConfig::new(1, 0x10, c.public_key(), &[(1, 3)])
                .unwrap_err()
                .category(),
            "unsupported_suite"
        );
        assert_eq!(
            KeyConfig::new(1, 0x20, &[1; 31], &[(1, 3)]).unwrap_err(),
            Error::PublicKeyLength { len: 31 }
        );
        assert_eq!(
            KeyConfig::new(1, 0x20, &[0; 32], &[(1, 3)]).unwrap_err(),
            Error::LowOrderPublicKey
        );
        let many = alloc::vec![(1u16, 3u16); 16384];
        assert!(KeyConfig::new(1, 0x20, c.public_key(), &many).is_err());
        let too_long_for_list = KeyConfig::new(1, 0x20, c.public_key(), &many[..16383]).unwrap();
        assert!(KeyConfig::list_to_bytes(&[too_long_for_list]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = KeyConfig::parse(&bytes);
            let _ = KeyConfig::parse_list(&bytes);
        }

        #[test]
        fn round_trip(key_id in any::<u8>(), pairs in proptest::collection::vec((any::<u16>(), any::<u16>()), 1..20)) {
            let pk = hex::decode("31e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155").unwrap();
            let c = KeyConfig::new(key_id, 0x20, &pk, &pairs).unwrap();
            prop_assert_eq!(KeyConfig::parse(&c.to_bytes()).unwrap(), c.clone());
            let list = KeyConfig::list_to_bytes(&[c.clone(), c.clone()]).unwrap();
            prop_assert_eq!(KeyConfig::parse_list(&list).unwrap(), alloc::vec![c.clone(), c]);
        }
    }
}
