//! Single-shot responses (RFC 9458 §4.4) and the two response contexts that hold the
//! secrets a request exported.
//!
//! ```text
//! response   = response_nonce(max(Nn, Nk)) || AEAD ciphertext
//! prk        = HKDF-Extract(salt = enc || response_nonce, ikm = response_secret)
//! aead_key   = HKDF-Expand(prk, "key", Nk);  aead_nonce = HKDF-Expand(prk, "nonce", Nn)
//! ```

use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead::{ResponseAead, check_len};
use crate::chunked::{ChunkLimits, ChunkedDecrypter, ChunkedEncrypter};
use crate::suite::{AEAD_TAG_LEN, MAX_RESPONSE_NONCE_LEN, X25519_KEY_LEN};
use crate::{Error, Suite};

/// The secrets one request exported, with the request's `enc` (the response KDF salt).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Secrets {
    #[zeroize(skip)]
    suite: Suite,
    enc: [u8; X25519_KEY_LEN],
    response: [u8; MAX_RESPONSE_NONCE_LEN],
    chunked: [u8; MAX_RESPONSE_NONCE_LEN],
}

impl Secrets {
    /// Copies the secrets, checking every length against the suite.
    pub(crate) fn new(
        suite: Suite,
        enc: &[u8],
        response_secret: &[u8],
        chunked_response_secret: &[u8],
    ) -> Result<Secrets, Error> {
        let n = suite.response_nonce_len();
        check_len("enc", enc.len(), X25519_KEY_LEN)?;
        check_len("the response secret", response_secret.len(), n)?;
        check_len(
            "the chunked response secret",
            chunked_response_secret.len(),
            n,
        )?;
        let mut s = Secrets {
            suite,
            enc: [0; X25519_KEY_LEN],
            response: [0; MAX_RESPONSE_NONCE_LEN],
            chunked: [0; MAX_RESPONSE_NONCE_LEN],
        };
        s.enc.copy_from_slice(enc);
        s.response
            .get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(response_secret);
        s.chunked
            .get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(chunked_response_secret);
        Ok(s)
    }

    /// Fills both secrets with `export(label, out)` (an HPKE context's Export).
    pub(crate) fn export<E>(
        suite: Suite,
        enc: &[u8],
        mut export: impl FnMut(&[u8], &mut [u8]) -> Result<(), E>,
    ) -> Result<Secrets, Error> {
        let n = suite.response_nonce_len();
        let mut response = [0u8; MAX_RESPONSE_NONCE_LEN];
        let mut chunked = [0u8; MAX_RESPONSE_NONCE_LEN];
        let failed = |_| Error::Seal {
            what: "the HPKE export failed",
        };
        export(
            crate::LABEL_RESPONSE.as_bytes(),
            response.get_mut(..n).unwrap_or_default(),
        )
        .map_err(failed)?;
        export(
            crate::LABEL_CHUNKED_RESPONSE.as_bytes(),
            chunked.get_mut(..n).unwrap_or_default(),
        )
        .map_err(failed)?;
        let s = Secrets::new(
            suite,
            enc,
            response.get(..n).unwrap_or_default(),
            chunked.get(..n).unwrap_or_default(),
        );
        response.zeroize();
        chunked.zeroize();
        s
    }

    pub(crate) fn suite(&self) -> Suite {
        self.suite
    }

    pub(crate) fn enc(&self) -> &[u8] {
        &self.enc
    }

    pub(crate) fn response_secret(&self) -> &[u8] {
        self.response
            .get(..self.suite.response_nonce_len())
            .unwrap_or_default()
    }

    pub(crate) fn chunked_secret(&self) -> &[u8] {
        self.chunked
            .get(..self.suite.response_nonce_len())
            .unwrap_or_default()
    }
}

/// The client's handle on the answer to one request: the request's `enc` and the two
/// secrets it exported. Opens a single-shot response or starts a chunked decrypter.
///
/// Created by [`crate::ClientRequest::encapsulate`]; the secrets are zeroized when it is
/// dropped ([`ZeroizeOnDrop`]).
///
/// ```
/// # #[cfg(feature = "std")] {
/// use og_ohttp_core::{ClientRequest, Recipient, Suite};
///
/// let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
/// let gateway = Recipient::derive(1, suite, &[1; 32]);
/// let client = ClientRequest::new(1, suite, gateway.public_key())?;
/// let (request, context) = client.encapsulate(b"hi")?;
/// let (_, server) = gateway.decapsulate(&request)?;
/// let response = server.seal_with_nonce(b"hello", &[5; 32])?;
/// assert_eq!(context.open(&response)?, b"hello");
/// # }
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ResponseContext {
    secrets: Secrets,
}

impl core::fmt::Debug for ResponseContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResponseContext")
            .field("suite", &self.secrets.suite())
            .finish_non_exhaustive()
    }
}

impl ResponseContext {
    pub(crate) fn from_parts(secrets: Secrets) -> ResponseContext {
        ResponseContext { secrets }
    }

    /// A context from secrets exported elsewhere (test vectors give them directly).
    /// Every secret must be `suite.response_nonce_len()` bytes and `enc` 32 bytes.
    ///
    /// ```
    /// use og_ohttp_core::{ResponseContext, Suite};
    ///
    /// let ctx = ResponseContext::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(ctx.enc(), &[1; 32]);
    /// assert!(ResponseContext::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 16], &[3; 32]).is_err());
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn from_secrets(
        suite: Suite,
        enc: &[u8],
        response_secret: &[u8],
        chunked_response_secret: &[u8],
    ) -> Result<ResponseContext, Error> {
        Secrets::new(suite, enc, response_secret, chunked_response_secret)
            .map(ResponseContext::from_parts)
    }

    /// The request's encapsulated key (the X25519 ephemeral public key).
    ///
    /// ```
    /// # use og_ohttp_core::{ResponseContext, Suite};
    /// let ctx = ResponseContext::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(ctx.enc().len(), 32);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn enc(&self) -> &[u8] {
        self.secrets.enc()
    }

    /// The suite of the request.
    ///
    /// ```
    /// # use og_ohttp_core::{ResponseContext, Suite};
    /// let s = Suite::X25519_SHA256_CHACHA20POLY1305;
    /// let ctx = ResponseContext::from_secrets(s, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(ctx.suite(), s);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn suite(&self) -> Suite {
        self.secrets.suite()
    }

    /// Opens a single-shot response: `response_nonce || ciphertext`.
    ///
    /// A response no longer than the nonce is [`Error::Malformed`]; a failed tag check
    /// (tampering, the answer to another request, a ciphertext shorter than a tag) is
    /// [`Error::Aead`].
    ///
    /// ```
    /// # use og_ohttp_core::{ResponseContext, Suite};
    /// let ctx = ResponseContext::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(ctx.open(&[0; 32]).unwrap_err().category(), "malformed");
    /// assert_eq!(ctx.open(&[0; 60]).unwrap_err().category(), "aead");
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn open(&self, response: &[u8]) -> Result<Vec<u8>, Error> {
        let n = self.suite().response_nonce_len();
        if response.len() <= n {
            return Err(Error::malformed(
                "a single-shot response must be longer than its response nonce",
            ));
        }
        let (nonce, sealed) = response.split_at(n);
        let aead = ResponseAead::for_response(
            self.suite(),
            self.secrets.response_secret(),
            self.enc(),
            nonce,
        )?;
        // Decrypted straight from the input into the output (no copy of the
        // ciphertext first: at 1 MiB that copy cost ~10% of the open).
        let mut out = alloc::vec![0u8; sealed.len().saturating_sub(AEAD_TAG_LEN)];
        match aead.open_to(0, b"", sealed, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                out.zeroize();
                Err(e)
            }
        }
    }

    /// Starts an incremental decrypter for a chunked response to this request.
    ///
    /// ```
    /// # use og_ohttp_core::{ChunkLimits, ResponseContext, Suite};
    /// let ctx = ResponseContext::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let dec = ctx.chunked_decrypter(ChunkLimits::default());
    /// assert_eq!(dec.finish(|_| {}).unwrap_err().category(), "malformed");
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn chunked_decrypter(&self, limits: ChunkLimits) -> ChunkedDecrypter {
        ChunkedDecrypter::new(&self.secrets, limits)
    }

    /// TEST VECTORS ONLY: the two exported secrets (`response_secret`,
    /// `chunked_response_secret`), to compare with vectors. Not part of the stable API.
    #[doc(hidden)]
    pub fn exported_secrets_for_tests(&self) -> (&[u8], &[u8]) {
        (
            self.secrets.response_secret(),
            self.secrets.chunked_secret(),
        )
    }
}

/// The gateway's handle on the answer to one decapsulated request: seals a single-shot
/// response or starts a chunked encrypter. Zeroizes its secrets on drop.
///
/// ```
/// # #[cfg(feature = "std")] {
/// use og_ohttp_core::{ClientRequest, Recipient, Suite};
///
/// let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
/// let gateway = Recipient::derive(3, suite, &[9; 32]);
/// let (request, context) = ClientRequest::new(3, suite, gateway.public_key())?.encapsulate(b"q")?;
/// let (plaintext, server) = gateway.decapsulate(&request)?;
/// assert_eq!(plaintext, b"q");
/// let mut enc = server.chunked_encrypter(&[7; 32])?;
/// let mut stream = enc.seal_chunk(b"a")?;
/// stream.extend(enc.seal_final(b"b")?);
/// let mut frames = Vec::new();
/// let mut dec = context.chunked_decrypter(Default::default());
/// dec.feed(&stream, |f| frames.push(f.to_vec()))?;
/// dec.finish(|f| frames.push(f.to_vec()))?;
/// assert_eq!(frames, [b"a".to_vec(), b"b".to_vec()]);
/// # }
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ServerResponse {
    secrets: Secrets,
}

impl core::fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerResponse")
            .field("suite", &self.secrets.suite())
            .finish_non_exhaustive()
    }
}

impl ServerResponse {
    pub(crate) fn from_parts(secrets: Secrets) -> ServerResponse {
        ServerResponse { secrets }
    }

    /// A server context from secrets exported elsewhere (test vectors give them directly).
    ///
    /// ```
    /// use og_ohttp_core::{ServerResponse, Suite};
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(s.enc(), &[1; 32]);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn from_secrets(
        suite: Suite,
        enc: &[u8],
        response_secret: &[u8],
        chunked_response_secret: &[u8],
    ) -> Result<ServerResponse, Error> {
        Secrets::new(suite, enc, response_secret, chunked_response_secret)
            .map(ServerResponse::from_parts)
    }

    /// The request's encapsulated key.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(s.enc().len(), 32);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn enc(&self) -> &[u8] {
        self.secrets.enc()
    }

    /// The suite of the request.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// assert_eq!(s.suite().aead_id(), 3);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn suite(&self) -> Suite {
        self.secrets.suite()
    }

    /// Seals a single-shot response with the given response nonce
    /// (`suite.response_nonce_len()` bytes).
    ///
    /// The nonce must be fresh and random for every response: a repeated nonce lets an
    /// observer link or decrypt responses. Use [`ServerResponse::seal_with_rng`] unless
    /// you are reproducing a test vector.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let r = s.seal_with_nonce(b"ok", &[4; 32])?;
    /// assert_eq!(r.len(), 32 + 2 + 16);
    /// assert!(s.seal_with_nonce(b"ok", &[4; 12]).is_err());
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn seal_with_nonce(
        &self,
        plaintext: &[u8],
        response_nonce: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let aead = ResponseAead::for_response(
            self.suite(),
            self.secrets.response_secret(),
            self.enc(),
            response_nonce,
        )?;
        let mut out =
            Vec::with_capacity(response_nonce.len() + plaintext.len() + crate::suite::AEAD_TAG_LEN);
        out.extend_from_slice(response_nonce);
        aead.seal_append(0, b"", plaintext, &mut out)?;
        Ok(out)
    }

    /// Seals a single-shot response with a response nonce drawn from `rng`.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// # let mut rng = og_ohttp_core::testing::ReplayRng::new(&[1, 2, 3]);
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let r = s.seal_with_rng(&mut rng, b"ok")?;
    /// assert_eq!(r.len(), 50);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn seal_with_rng<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let nonce = random_nonce(self.suite(), rng);
        self.seal_with_nonce(
            plaintext,
            nonce
                .get(..self.suite().response_nonce_len())
                .unwrap_or_default(),
        )
    }

    /// Starts a chunked response with the given response nonce (see
    /// [`ServerResponse::seal_with_nonce`] on why it must be fresh).
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let mut e = s.chunked_encrypter(&[4; 32])?;
    /// let first = e.seal_chunk(b"x")?; // nonce(32) || varint(17) || sealed(17)
    /// assert_eq!(first.len(), 32 + 1 + 17);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn chunked_encrypter(&self, response_nonce: &[u8]) -> Result<ChunkedEncrypter, Error> {
        ChunkedEncrypter::new(&self.secrets, response_nonce)
    }

    /// Starts a chunked response with a response nonce drawn from `rng`.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// # let mut rng = og_ohttp_core::testing::ReplayRng::new(&[1, 2, 3]);
    /// let s = ServerResponse::from_secrets(
    ///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let e = s.chunked_encrypter_with_rng(&mut rng)?;
    /// assert_eq!(e.seal_final(b"")?.len(), 32 + 1 + 16);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn chunked_encrypter_with_rng<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<ChunkedEncrypter, Error> {
        let nonce = random_nonce(self.suite(), rng);
        self.chunked_encrypter(
            nonce
                .get(..self.suite().response_nonce_len())
                .unwrap_or_default(),
        )
    }

    /// TEST VECTORS ONLY: the two exported secrets (`response_secret`,
    /// `chunked_response_secret`). Not part of the stable API.
    #[doc(hidden)]
    pub fn exported_secrets_for_tests(&self) -> (&[u8], &[u8]) {
        (
            self.secrets.response_secret(),
            self.secrets.chunked_secret(),
        )
    }
}

fn random_nonce<R: CryptoRng + ?Sized>(suite: Suite, rng: &mut R) -> [u8; MAX_RESPONSE_NONCE_LEN] {
    let mut nonce = [0u8; MAX_RESPONSE_NONCE_LEN];
    rng.fill_bytes(
        nonce
            .get_mut(..suite.response_nonce_len())
            .unwrap_or_default(),
    );
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

    #[test]
    fn vector_small_json_both_ways() {
        // ohttp_response.json, case small_json.
        let enc = h("9cf582fbab0b7671e146b3d795051368078a833a3de8cc4d07c3bc27244a2106");
        let secret = h("2828980ca65d404b350b7ad85d9c0a7781147f3971eec7d0baeb077f221e5e19");
        let nonce = h("34e2f3681bd1575dd6da05e10a731f252781c0c57dcd0e2358fd8bb88c6d95d5");
        let pt = br#"{"choices":[{"message":{"content":"hello"}}]}"#;
        let server = ServerResponse::from_secrets(SUITE, &enc, &secret, &[0; 32]).unwrap();
        let response = server.seal_with_nonce(pt, &nonce).unwrap();
        assert_eq!(response[..32], nonce[..]);
        let client = ResponseContext::from_secrets(SUITE, &enc, &secret, &[0; 32]).unwrap();
        assert_eq!(client.open(&response).unwrap(), pt);
    }

    #[test]
    fn short_responses() {
        let c = ResponseContext::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap();
        for len in 0..=32 {
            assert_eq!(
                c.open(&alloc::vec![0; len]).unwrap_err().category(),
                "malformed"
            );
        }
        for len in 33..=48 {
            assert_eq!(c.open(&alloc::vec![0; len]).unwrap_err(), Error::Aead);
        }
    }

    #[test]
    fn zeroize_clears_the_secrets() {
        let mut c = ResponseContext::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap();
        assert_eq!(
            c.exported_secrets_for_tests(),
            (&[2u8; 32][..], &[3u8; 32][..])
        );
        c.zeroize();
        assert_eq!(
            c.exported_secrets_for_tests(),
            (&[0u8; 32][..], &[0u8; 32][..])
        );
        assert_eq!(c.enc(), &[0u8; 32]);
        fn is_zod<T: ZeroizeOnDrop>() {}
        is_zod::<ResponseContext>();
        is_zod::<ServerResponse>();
    }

    #[test]
    fn debug_does_not_print_secrets() {
        let c = ResponseContext::from_secrets(SUITE, &[1; 32], &[0xab; 32], &[3; 32]).unwrap();
        let s = alloc::format!("{c:?}");
        assert!(!s.contains("171"), "{s}");
    }
}
