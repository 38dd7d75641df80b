//! Chunked responses: the gateway's encrypter and the client's incremental decrypter.
//!
//! ```text
//! stream      = response_nonce || chunk* || final_chunk
//! chunk       = varint(len(sealed)) || sealed            len > 0, AAD ""
//! final_chunk = varint(0) || sealed_final                 runs to the end, AAD "final"
//! nonce_i     = aead_nonce XOR i  (12-byte big-endian),  i = 0, 1, ... including the final chunk
//! ```
//!
//! Keys come from the `chunked_response_secret` exactly as a single-shot response's come
//! from the `response_secret`.

use alloc::vec::Vec;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead::ResponseAead;
use crate::response::Secrets;
use crate::suite::{AEAD_TAG_LEN, MAX_RESPONSE_NONCE_LEN, X25519_KEY_LEN};
use crate::{Error, LABEL_FINAL, Suite, varint};

/// Limits a [`ChunkedDecrypter`] enforces on an untrusted stream.
///
/// `max_chunk` bounds the sealed length of one chunk (ciphertext plus 16-byte tag, the
/// value of a length prefix), and the final chunk too; a prefix above it fails at once
/// with [`Error::ChunkTooLarge`], before anything is buffered. `max_total` bounds the
/// whole stream as received (nonce, prefixes and sealed chunks), failing with
/// [`Error::StreamTooLarge`]. The defaults are 1 MiB per chunk and 32 MiB per stream.
///
/// ```
/// use og_ohttp_core::ChunkLimits;
///
/// let l = ChunkLimits::default();
/// assert_eq!((l.max_chunk, l.max_total), (1 << 20, 32 << 20));
/// let custom = ChunkLimits { max_chunk: 64 * 1024, ..ChunkLimits::default() };
/// assert_eq!(custom.max_total, ChunkLimits::DEFAULT_MAX_TOTAL);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The largest sealed chunk accepted, in bytes (length prefix value, tag included).
    pub max_chunk: u64,
    /// The largest whole stream accepted, in bytes as received.
    pub max_total: u64,
}

impl ChunkLimits {
    /// Default [`ChunkLimits::max_chunk`]: 1 MiB.
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::ChunkLimits::DEFAULT_MAX_CHUNK, 1_048_576);
    /// ```
    pub const DEFAULT_MAX_CHUNK: u64 = 1 << 20;
    /// Default [`ChunkLimits::max_total`]: 32 MiB.
    ///
    /// ```
    /// assert_eq!(og_ohttp_core::ChunkLimits::DEFAULT_MAX_TOTAL, 33_554_432);
    /// ```
    pub const DEFAULT_MAX_TOTAL: u64 = 32 << 20;
}

impl Default for ChunkLimits {
    fn default() -> ChunkLimits {
        ChunkLimits {
            max_chunk: ChunkLimits::DEFAULT_MAX_CHUNK,
            max_total: ChunkLimits::DEFAULT_MAX_TOTAL,
        }
    }
}

/// Where the decrypter is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading the response nonce (`buf` holds what arrived of it).
    Nonce,
    /// Reading a length prefix (`buf` holds what arrived of it).
    Length,
    /// Reading a non-final chunk of this sealed length (`buf` holds what arrived of it).
    Body(usize),
    /// After the zero length prefix: everything else is the final chunk (in `buf`).
    Final,
}

/// Incremental decrypter of a chunked response.
///
/// Feed it the bytes as they arrive, split anywhere; each non-final chunk is
/// authenticated and handed to the callback as soon as its last byte arrives. The final
/// chunk has no length, so it is only known to be complete at [`ChunkedDecrypter::finish`],
/// which must be called at the end of the stream: a stream that just stops is
/// [`Error::MissingFinal`] (or [`Error::Truncated`] / [`Error::Malformed`] when it stops
/// inside a chunk or prefix).
///
/// Complete chunks are decrypted straight from the input slice into one reused buffer;
/// only an incomplete tail is copied. Time is linear in the input and extra memory is
/// O(largest chunk). After an error every further call returns that error again.
/// Buffers and keys are zeroized on drop.
///
/// ```
/// use og_ohttp_core::{ChunkLimits, ServerResponse, Suite};
///
/// let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
/// let (enc, secret) = ([1u8; 32], [2u8; 32]);
/// let server = ServerResponse::from_secrets(suite, &enc, &[0; 32], &secret)?;
/// let mut e = server.chunked_encrypter(&[3; 32])?;
/// let mut stream = e.seal_chunk(b"data: 1\n\n")?;
/// stream.extend(e.seal_final(b"data: [DONE]\n\n")?);
///
/// let client = og_ohttp_core::ResponseContext::from_secrets(suite, &enc, &[0; 32], &secret)?;
/// let mut d = client.chunked_decrypter(ChunkLimits::default());
/// let mut frames: Vec<Vec<u8>> = Vec::new();
/// for piece in stream.chunks(7) {
///     d.feed(piece, |f| frames.push(f.to_vec()))?;
/// }
/// assert_eq!(frames.len(), 1); // the final chunk waits for the end of the stream
/// d.finish(|f| frames.push(f.to_vec()))?;
/// assert_eq!(frames, [b"data: 1\n\n".to_vec(), b"data: [DONE]\n\n".to_vec()]);
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
pub struct ChunkedDecrypter {
    suite: Suite,
    enc: [u8; X25519_KEY_LEN],
    secret: [u8; MAX_RESPONSE_NONCE_LEN],
    limits: ChunkLimits,
    state: State,
    aead: Option<ResponseAead>,
    counter: u64,
    total: u64,
    /// The incomplete tail: part of the nonce, of a prefix, of a chunk, or the final chunk.
    buf: Vec<u8>,
    /// Plaintext of chunks decrypted straight from the input.
    scratch: Vec<u8>,
    failed: Option<Error>,
}

impl core::fmt::Debug for ChunkedDecrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChunkedDecrypter")
            .field("suite", &self.suite)
            .field("limits", &self.limits)
            .field("state", &self.state)
            .field("chunks", &self.counter)
            .field("received", &self.total)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Drop for ChunkedDecrypter {
    fn drop(&mut self) {
        self.secret.zeroize();
        self.buf.zeroize();
        self.scratch.zeroize();
    }
}

impl ZeroizeOnDrop for ChunkedDecrypter {}

impl ChunkedDecrypter {
    pub(crate) fn new(secrets: &Secrets, limits: ChunkLimits) -> ChunkedDecrypter {
        let mut secret = [0u8; MAX_RESPONSE_NONCE_LEN];
        let s = secrets.chunked_secret();
        secret
            .get_mut(..s.len())
            .unwrap_or_default()
            .copy_from_slice(s);
        let mut enc = [0u8; X25519_KEY_LEN];
        enc.copy_from_slice(secrets.enc());
        ChunkedDecrypter {
            suite: secrets.suite(),
            enc,
            secret,
            limits,
            state: State::Nonce,
            aead: None,
            counter: 0,
            total: 0,
            buf: Vec::new(),
            scratch: Vec::new(),
            failed: None,
        }
    }

    /// The number of frames handed out so far.
    ///
    /// ```
    /// # use og_ohttp_core::{ChunkLimits, ResponseContext, Suite};
    /// # let ctx = ResponseContext::from_secrets(
    /// #     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let d = ctx.chunked_decrypter(ChunkLimits::default());
    /// assert_eq!(d.frames(), 0);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn frames(&self) -> u64 {
        self.counter
    }

    /// Processes the next bytes of the stream; `on_frame` receives the plaintext of every
    /// non-final chunk completed by them, in order.
    ///
    /// Fails at the first chunk that does not authenticate ([`Error::Aead`]), at a length
    /// prefix above [`ChunkLimits::max_chunk`] ([`Error::ChunkTooLarge`]) or when the
    /// stream passes [`ChunkLimits::max_total`] ([`Error::StreamTooLarge`]).
    ///
    /// ```
    /// # use og_ohttp_core::{ChunkLimits, ResponseContext, Suite};
    /// # let ctx = ResponseContext::from_secrets(
    /// #     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let mut d = ctx.chunked_decrypter(ChunkLimits { max_chunk: 1000, max_total: 1 << 20 });
    /// let mut stream = vec![0u8; 32];
    /// stream.extend([0x80, 0x00, 0x10, 0x00]); // a prefix claiming 4096 bytes
    /// assert_eq!(d.feed(&stream, |_| {}).unwrap_err().category(), "chunk_too_large");
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn feed<F: FnMut(&[u8])>(&mut self, data: &[u8], mut on_frame: F) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let res = self.feed_inner(data, &mut on_frame);
        if let Err(e) = &res {
            self.fail(e.clone());
        }
        res
    }

    /// Ends the stream: authenticates the final chunk, hands its plaintext to `on_frame`,
    /// and checks nothing is missing.
    ///
    /// ```
    /// # use og_ohttp_core::{ChunkLimits, ResponseContext, Suite};
    /// # let ctx = ResponseContext::from_secrets(
    /// #     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let mut d = ctx.chunked_decrypter(ChunkLimits::default());
    /// d.feed(&[0u8; 32], |_| {})?; // only the response nonce
    /// assert_eq!(d.finish(|_| {}).unwrap_err().category(), "missing_final");
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn finish<F: FnMut(&[u8])>(mut self, mut on_frame: F) -> Result<(), Error> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        match self.state {
            State::Nonce => Err(Error::malformed(
                "the chunked response ended inside its response nonce",
            )),
            State::Length if self.buf.is_empty() => Err(Error::MissingFinal),
            State::Length => Err(Error::malformed(
                "the chunked response ended inside a chunk length prefix",
            )),
            State::Body(len) => Err(Error::Truncated {
                what: "a chunk length prefix",
                claimed: len as u64,
                available: self.buf.len() as u64,
            }),
            State::Final => {
                let aead = self.aead.as_ref().ok_or(Error::malformed(
                    "the chunked response has no response nonce",
                ))?;
                let len =
                    aead.open_in_place(self.counter, LABEL_FINAL.as_bytes(), &mut self.buf)?;
                on_frame(self.buf.get(..len).unwrap_or_default());
                self.advance()
            }
        }
    }

    fn fail(&mut self, e: Error) {
        self.failed = Some(e);
        self.aead = None;
        self.buf.zeroize();
        self.scratch.zeroize();
    }

    fn feed_inner(&mut self, data: &[u8], on_frame: &mut dyn FnMut(&[u8])) -> Result<(), Error> {
        self.total = self.total.saturating_add(data.len() as u64);
        if self.total > self.limits.max_total {
            return Err(Error::StreamTooLarge {
                max: self.limits.max_total,
            });
        }
        let mut input = data;
        while !input.is_empty() {
            match self.state {
                State::Nonce => {
                    let n = self.suite.response_nonce_len();
                    let nonce = match take_exact(&mut self.buf, &mut input, n) {
                        Some(nonce) => nonce,
                        None => return Ok(()),
                    };
                    let aead = ResponseAead::for_response(
                        self.suite,
                        self.secret.get(..n).unwrap_or_default(),
                        &self.enc,
                        nonce.get(..n).unwrap_or_default(),
                    );
                    self.secret.zeroize();
                    self.aead = Some(aead?);
                    self.state = State::Length;
                }
                State::Length => {
                    let first = match self.buf.first().or(input.first()) {
                        Some(b) => *b,
                        None => return Ok(()),
                    };
                    let vlen = varint::len_from_first_byte(first);
                    let prefix = match take_exact(&mut self.buf, &mut input, vlen) {
                        Some(p) => p,
                        None => return Ok(()),
                    };
                    let (len, _) = varint::decode(prefix.get(..vlen).unwrap_or_default())?;
                    self.state = self.after_prefix(len)?;
                }
                State::Body(len) => {
                    if self.buf.is_empty() && input.len() >= len {
                        // The whole chunk is in the input: decrypt it straight from there.
                        let (sealed, rest) = input.split_at(len);
                        input = rest;
                        self.open_from_input(sealed, on_frame)?;
                    } else {
                        let need = len.saturating_sub(self.buf.len());
                        let (part, rest) = input.split_at(need.min(input.len()));
                        self.buf.extend_from_slice(part);
                        input = rest;
                        if self.buf.len() == len {
                            self.open_buffered(on_frame)?;
                        }
                    }
                    if self.buf.is_empty() {
                        self.state = State::Length;
                    }
                }
                State::Final => {
                    let len = (self.buf.len() as u64).saturating_add(input.len() as u64);
                    if len > self.limits.max_chunk {
                        return Err(Error::ChunkTooLarge {
                            len,
                            max: self.limits.max_chunk,
                        });
                    }
                    self.buf.extend_from_slice(input);
                    input = &[];
                }
            }
        }
        Ok(())
    }

    /// The state after a length prefix of `len`.
    fn after_prefix(&self, len: u64) -> Result<State, Error> {
        if len == 0 {
            return Ok(State::Final);
        }
        if len > self.limits.max_chunk {
            return Err(Error::ChunkTooLarge {
                len,
                max: self.limits.max_chunk,
            });
        }
        let len = usize::try_from(len).map_err(|_| Error::ChunkTooLarge {
            len,
            max: self.limits.max_chunk,
        })?;
        Ok(State::Body(len))
    }

    /// Counts a frame as handed out (after it authenticated).
    fn advance(&mut self) -> Result<(), Error> {
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or(Error::malformed("more than 2^64 chunks"))?;
        Ok(())
    }

    fn open_from_input(
        &mut self,
        sealed: &[u8],
        on_frame: &mut dyn FnMut(&[u8]),
    ) -> Result<(), Error> {
        let pt_len = sealed.len().checked_sub(AEAD_TAG_LEN).ok_or(Error::Aead)?;
        if self.scratch.len() < pt_len {
            self.scratch.resize(pt_len, 0);
        }
        let aead = self
            .aead
            .as_ref()
            .ok_or(Error::malformed("no response nonce"))?;
        let out = self.scratch.get_mut(..pt_len).unwrap_or_default();
        aead.open_to(self.counter, b"", sealed, out)?;
        on_frame(out);
        self.advance()
    }

    fn open_buffered(&mut self, on_frame: &mut dyn FnMut(&[u8])) -> Result<(), Error> {
        let aead = self
            .aead
            .as_ref()
            .ok_or(Error::malformed("no response nonce"))?;
        let len = aead.open_in_place(self.counter, b"", &mut self.buf)?;
        on_frame(self.buf.get(..len).unwrap_or_default());
        // Only the used part: zeroing the whole capacity per chunk would cost
        // O(largest chunk) for every small chunk after a large one.
        self.buf.as_mut_slice().zeroize();
        self.buf.clear();
        self.advance()
    }
}

/// Takes exactly `n` bytes, from the buffered tail `buf` first and then from `input`.
/// Returns them when complete (clearing `buf`), or buffers what there is and returns `None`.
fn take_exact(
    buf: &mut Vec<u8>,
    input: &mut &[u8],
    n: usize,
) -> Option<[u8; MAX_RESPONSE_NONCE_LEN]> {
    let need = n.saturating_sub(buf.len());
    if input.len() < need {
        buf.extend_from_slice(input);
        *input = &[];
        return None;
    }
    let (part, rest) = input.split_at(need);
    *input = rest;
    let mut out = [0u8; MAX_RESPONSE_NONCE_LEN];
    let (head, tail) = out.split_at_mut(buf.len().min(MAX_RESPONSE_NONCE_LEN));
    head.copy_from_slice(buf.get(..head.len()).unwrap_or_default());
    tail.get_mut(..part.len())
        .unwrap_or_default()
        .copy_from_slice(part);
    buf.clear();
    Some(out)
}

/// The gateway side of a chunked response: seals one chunk at a time.
///
/// The first sealed piece carries the response nonce in front. Every
/// [`ChunkedEncrypter::seal_chunk`] output can be written to the wire at once;
/// [`ChunkedEncrypter::seal_final`] ends the stream.
///
/// ```
/// use og_ohttp_core::{ServerResponse, Suite};
///
/// let s = ServerResponse::from_secrets(
///     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
/// let mut e = s.chunked_encrypter(&[4; 32])?;
/// let a = e.seal_chunk(b"one")?;
/// let b = e.seal_chunk(b"two")?;
/// let end = e.seal_final(b"")?;
/// assert_eq!((a.len(), b.len(), end.len()), (32 + 1 + 19, 1 + 19, 1 + 16));
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
pub struct ChunkedEncrypter {
    aead: ResponseAead,
    nonce: [u8; MAX_RESPONSE_NONCE_LEN],
    nonce_len: usize,
    counter: u64,
    started: bool,
}

impl core::fmt::Debug for ChunkedEncrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChunkedEncrypter")
            .field("chunks", &self.counter)
            .finish_non_exhaustive()
    }
}

impl ChunkedEncrypter {
    pub(crate) fn new(secrets: &Secrets, response_nonce: &[u8]) -> Result<ChunkedEncrypter, Error> {
        let aead = ResponseAead::for_response(
            secrets.suite(),
            secrets.chunked_secret(),
            secrets.enc(),
            response_nonce,
        )?;
        let mut nonce = [0u8; MAX_RESPONSE_NONCE_LEN];
        nonce
            .get_mut(..response_nonce.len())
            .ok_or(Error::malformed("response nonce too long"))?
            .copy_from_slice(response_nonce);
        Ok(ChunkedEncrypter {
            aead,
            nonce,
            nonce_len: response_nonce.len(),
            counter: 0,
            started: false,
        })
    }

    fn start(&mut self, body_len: usize) -> Result<(Vec<u8>, u64), Error> {
        let mut out = Vec::with_capacity(self.nonce_len + 8 + body_len + AEAD_TAG_LEN);
        if !self.started {
            out.extend_from_slice(self.nonce.get(..self.nonce_len).unwrap_or_default());
            self.started = true;
        }
        let counter = self.counter;
        self.counter = counter.checked_add(1).ok_or(Error::Seal {
            what: "more than 2^64 chunks",
        })?;
        Ok((out, counter))
    }

    /// Seals one non-final chunk: `varint(len(sealed)) || sealed` (prefixed by the
    /// response nonce the first time). An empty plaintext is allowed (its sealed form is
    /// just the tag), as the gateways' reference encrypter allows it.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// # let s = ServerResponse::from_secrets(
    /// #     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let mut e = s.chunked_encrypter(&[4; 32])?;
    /// let first = e.seal_chunk(&[0u8; 100])?;
    /// assert_eq!(&first[32..34], &[0x40, 116]); // 2-byte varint 116
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn seal_chunk(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let sealed_len = (plaintext.len() as u64).saturating_add(AEAD_TAG_LEN as u64);
        let (mut out, counter) = self.start(plaintext.len())?;
        varint::encode(sealed_len, &mut out)?;
        self.aead.seal_append(counter, b"", plaintext, &mut out)?;
        Ok(out)
    }

    /// Seals the final chunk, `varint(0) || sealed` with AAD "final", and ends the stream.
    ///
    /// ```
    /// # use og_ohttp_core::{ServerResponse, Suite};
    /// # let s = ServerResponse::from_secrets(
    /// #     Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 32], &[2; 32], &[3; 32])?;
    /// let e = s.chunked_encrypter(&[4; 32])?;
    /// let only = e.seal_final(b"x")?;
    /// assert_eq!(only[32], 0);
    /// # Ok::<(), og_ohttp_core::Error>(())
    /// ```
    pub fn seal_final(mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let (mut out, counter) = self.start(plaintext.len())?;
        out.push(0);
        self.aead
            .seal_append(counter, LABEL_FINAL.as_bytes(), plaintext, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ResponseContext, ServerResponse};
    use alloc::vec;
    use proptest::prelude::*;

    const SUITE: Suite = Suite::X25519_SHA256_CHACHA20POLY1305;

    fn pair() -> (ServerResponse, ResponseContext) {
        (
            ServerResponse::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap(),
            ResponseContext::from_secrets(SUITE, &[1; 32], &[2; 32], &[3; 32]).unwrap(),
        )
    }

    fn stream_of(frames: &[&[u8]], last: &[u8]) -> Vec<u8> {
        let (s, _) = pair();
        let mut e = s.chunked_encrypter(&[9; 32]).unwrap();
        let mut out = Vec::new();
        for f in frames {
            out.extend(e.seal_chunk(f).unwrap());
        }
        out.extend(e.seal_final(last).unwrap());
        out
    }

    fn decode_pieces(pieces: &[&[u8]], limits: ChunkLimits) -> Result<Vec<Vec<u8>>, Error> {
        let (_, c) = pair();
        let mut d = c.chunked_decrypter(limits);
        let mut frames = Vec::new();
        for p in pieces {
            d.feed(p, |f| frames.push(f.to_vec()))?;
        }
        d.finish(|f| frames.push(f.to_vec()))?;
        Ok(frames)
    }

    #[test]
    fn frames_come_out_as_soon_as_complete() {
        let stream = stream_of(&[b"a", b"bb"], b"ccc");
        let (_, c) = pair();
        let mut d = c.chunked_decrypter(ChunkLimits::default());
        let mut n = 0;
        // nonce (32) + prefix (1) + sealed (17): the first frame is complete at byte 50.
        d.feed(&stream[..49], |_| n += 1).unwrap();
        assert_eq!(n, 0);
        d.feed(&stream[49..50], |_| n += 1).unwrap();
        assert_eq!(n, 1);
        d.feed(&stream[50..], |_| n += 1).unwrap();
        assert_eq!(n, 2);
        d.finish(|_| n += 1).unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn truncations() {
        let stream = stream_of(&[b"hello"], b"end");
        // 32 nonce, 1 prefix, 21 sealed, then the final chunk's prefix at 54.
        let cases: [(usize, &str); 6] = [
            (0, "malformed"),
            (31, "malformed"),
            (32, "missing_final"),
            (40, "truncated"),
            (54, "missing_final"),
            (56, "aead"),
        ];
        for (cut, cat) in cases {
            let e = decode_pieces(&[&stream[..cut]], ChunkLimits::default()).unwrap_err();
            assert_eq!(e.category(), cat, "cut at {cut}");
        }
        // Inside a 2-byte prefix.
        let mut s = vec![0u8; 32];
        s.push(0x40);
        assert_eq!(
            decode_pieces(&[&s], ChunkLimits::default())
                .unwrap_err()
                .category(),
            "malformed"
        );
    }

    #[test]
    fn bytes_after_final_fail() {
        let mut stream = stream_of(&[b"x"], b"y");
        stream.push(0);
        assert_eq!(
            decode_pieces(&[&stream], ChunkLimits::default()).unwrap_err(),
            Error::Aead
        );
    }

    #[test]
    fn limits() {
        let stream = stream_of(&[&[7u8; 100]], b"");
        let small = ChunkLimits {
            max_chunk: 115,
            max_total: 1 << 20,
        };
        assert_eq!(
            decode_pieces(&[&stream], small).unwrap_err(),
            Error::ChunkTooLarge { len: 116, max: 115 }
        );
        let exact = ChunkLimits {
            max_chunk: 116,
            max_total: stream.len() as u64,
        };
        assert!(decode_pieces(&[&stream], exact).is_ok());
        let total = ChunkLimits {
            max_chunk: 116,
            max_total: stream.len() as u64 - 1,
        };
        assert_eq!(
            decode_pieces(&[&stream], total).unwrap_err(),
            Error::StreamTooLarge {
                max: stream.len() as u64 - 1
            }
        );
        // The final chunk is bounded too.
        let big_final = stream_of(&[], &[0u8; 200]);
        let e = decode_pieces(
            &[&big_final],
            ChunkLimits {
                max_chunk: 100,
                max_total: 1 << 20,
            },
        )
        .unwrap_err();
        assert_eq!(e.category(), "chunk_too_large");
    }

    #[test]
    fn huge_prefix_fails_without_buffering() {
        let mut s = vec![0u8; 32];
        s.extend([0xff; 8]); // 2^62 - 1
        let (_, c) = pair();
        let mut d = c.chunked_decrypter(ChunkLimits::default());
        let e = d.feed(&s, |_| {}).unwrap_err();
        assert_eq!(e.category(), "chunk_too_large");
        assert!(d.buf.capacity() < 64);
        // The error sticks.
        assert_eq!(d.feed(&[1], |_| {}).unwrap_err(), e);
        assert_eq!(d.finish(|_| {}).unwrap_err(), e);
    }

    #[test]
    fn reorder_and_duplicate_fail() {
        let (s, _) = pair();
        let mut e = s.chunked_encrypter(&[9; 32]).unwrap();
        let c0 = e.seal_chunk(b"zero").unwrap();
        let c1 = e.seal_chunk(b"one").unwrap();
        let fin = e.seal_final(b"fin").unwrap();
        let (nonce, c0) = c0.split_at(32);
        let swapped = [nonce, &c1, c0, &fin].concat();
        let dup = [nonce, c0, c0, &c1, &fin].concat();
        let dropped = [nonce, &c1, &fin].concat();
        for s in [swapped, dup, dropped] {
            assert_eq!(
                decode_pieces(&[&s], ChunkLimits::default()).unwrap_err(),
                Error::Aead
            );
        }
        let ok = [nonce, c0, &c1, &fin].concat();
        assert_eq!(
            decode_pieces(&[&ok], ChunkLimits::default()).unwrap(),
            [b"zero".to_vec(), b"one".to_vec(), b"fin".to_vec()]
        );
    }

    #[test]
    fn eight_mib_in_one_piece() {
        // 128 chunks of 64 KiB plus a final one: a 8 MiB stream handed over at once.
        let frame = vec![0x5au8; 64 * 1024];
        let frames: Vec<&[u8]> = (0..128).map(|_| &frame[..]).collect();
        let stream = stream_of(&frames, b"done");
        assert!(stream.len() > 8 << 20);
        let (_, c) = pair();
        let mut d = c.chunked_decrypter(ChunkLimits {
            max_chunk: 1 << 20,
            max_total: 64 << 20,
        });
        let mut count = 0usize;
        let mut bytes = 0usize;
        d.feed(&stream, |f| {
            count += 1;
            bytes += f.len();
        })
        .unwrap();
        // Only the final chunk is buffered; full chunks went straight through scratch.
        assert!(d.buf.len() < 64, "buffered {}", d.buf.len());
        assert_eq!(d.scratch.len(), 64 * 1024);
        d.finish(|f| {
            count += 1;
            bytes += f.len();
        })
        .unwrap();
        assert_eq!(count, 129);
        assert_eq!(bytes, 128 * 64 * 1024 + 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_split_gives_the_same_frames(
            frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6),
            last in proptest::collection::vec(any::<u8>(), 0..40),
            cuts in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
            let stream = stream_of(&refs, &last);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for c in cuts {
                pieces.push(&stream[start..c]);
                start = c;
            }
            pieces.push(&stream[start..]);
            let got = decode_pieces(&pieces, ChunkLimits::default()).unwrap();
            let mut want = frames.clone();
            want.push(last.clone());
            prop_assert_eq!(got, want);
        }

        #[test]
        fn any_single_bit_flip_fails(
            frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
            bit in any::<usize>(),
        ) {
            let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
            let mut stream = stream_of(&refs, b"end");
            let bit = bit % (stream.len() * 8);
            stream[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(decode_pieces(&[&stream], ChunkLimits::default()).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            cut in any::<usize>(),
        ) {
            let cut = cut % (bytes.len() + 1);
            let limits = ChunkLimits { max_chunk: 64, max_total: 150 };
            let _ = decode_pieces(&[&bytes[..cut], &bytes[cut..]], limits);
        }
    }
}
