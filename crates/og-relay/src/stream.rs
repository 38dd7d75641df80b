//! Streaming answers: read the chunked response as it arrives, decrypt, accumulate,
//! verify the signed final event.
//!
//! [`VerifiedStream`] (from [`crate::RelayClient::stream_chat_completion`]) is the
//! safe form: nothing is handed out until the signature checked. [`UnverifiedStream`]
//! (from [`crate::RelayClient::stream_chat_completion_unverified`]) hands out each
//! decrypted frame as it arrives, **before** anything is verified.

use std::collections::VecDeque;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use og_canon::{Hash32, StreamAccumulator, Value};
use og_ohttp_core::ChunkedDecrypter;
use og_verify::TeeProof;

use crate::error::from_io;
use crate::exchange::READ_CHUNK;
use crate::{Error, TeeEndpoint};

/// A streamed chat completion whose signed final event has been verified.
///
/// Holds every decrypted SSE frame, ready to replay to a client, and the proof. Only
/// this crate builds one, and only after [`og_verify`] accepted the signature over
/// the request hash and [`content`](Self::content).
#[derive(Clone, Debug)]
pub struct VerifiedStream {
    frames: Vec<String>,
    content: String,
    tool_calls: Option<Value>,
    final_event: Value,
    finish_reason: Option<String>,
    proof: TeeProof,
}

impl VerifiedStream {
    /// The decrypted frames in order (SSE text, typically one `data:` event each;
    /// invalid UTF-8 replaced by U+FFFD as the reference does).
    pub fn frames(&self) -> &[String] {
        &self.frames
    }

    /// The signed output: the concatenated delta text, or for a tool-call answer the
    /// canonical JSON of the folded tool calls.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The tool calls folded from the deltas (sorted by index), if any.
    pub fn tool_calls(&self) -> Option<&Value> {
        self.tool_calls.as_ref()
    }

    /// The signed final event (the last one carrying `tee_signature`).
    pub fn final_event(&self) -> &Value {
        &self.final_event
    }

    /// The final event's `finish_reason`, if it is a string.
    pub fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }

    /// The proof: tee_id, hashes, timestamp, signature, key and host.
    pub fn proof(&self) -> &TeeProof {
        &self.proof
    }

    pub(crate) fn into_verified_parts(self) -> (Vec<String>, String, Value, TeeProof) {
        (self.frames, self.content, self.final_event, self.proof)
    }

    /// The frames by value (to replay them without copying).
    pub fn into_frames(self) -> Vec<String> {
        self.frames
    }
}

/// One item of an [`UnverifiedStream`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum UnverifiedEvent {
    /// A decrypted frame. **NOT VERIFIED**: the relay or anyone on the path could have
    /// produced it as far as this item knows; only a later
    /// [`UnverifiedEvent::Verified`] proves the whole stream genuine.
    Delta(UnverifiedDelta),
    /// The stream ended and verified: everything yielded before it is now proven.
    /// Always the last item.
    Verified(VerifiedStream),
}

/// A decrypted frame that has **not** been verified yet.
///
/// If the stream ends in an error instead of [`UnverifiedEvent::Verified`], every
/// delta already shown must be retracted. Its `Debug` output shows sizes only, so
/// unverified text does not leak into logs.
#[derive(Clone)]
pub struct UnverifiedDelta {
    frame: String,
    content: String,
}

impl UnverifiedDelta {
    /// The frame's SSE text, unverified.
    pub fn unverified_frame(&self) -> &str {
        &self.frame
    }

    /// The assistant text this frame added, unverified (empty for frames without
    /// delta text, such as tool-call fragments or the final event).
    pub fn unverified_content(&self) -> &str {
        &self.content
    }
}

impl fmt::Debug for UnverifiedDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UnverifiedDelta {{ frame: <{} bytes>, content: <{} bytes> }}",
            self.frame.len(),
            self.content.len()
        )
    }
}

/// A progressive stream of **unverified** frames, ending with the verification.
///
/// # Read this before using it
///
/// Every [`UnverifiedEvent::Delta`] is decrypted but **not verified**: until the
/// terminal [`UnverifiedEvent::Verified`] arrives, nothing proves that the enclave
/// produced it. A relay that tampers with or truncates the stream is only detected
/// at the end, as an `Err` item. A caller that shows deltas to a user must be able
/// to retract them when the stream ends in an error. When that is not acceptable,
/// use [`crate::RelayClient::stream_chat_completion`], which returns only after
/// verification.
///
/// The iterator yields `Ok(Delta)` items, then exactly one terminal item:
/// `Ok(Verified(..))` or `Err(..)`; after that it yields `None`. The total deadline
/// ([`crate::Limits::total_timeout`]) keeps running while the caller processes
/// items.
pub struct UnverifiedStream {
    reader: Option<StreamReader>,
    pending: VecDeque<UnverifiedDelta>,
    ended: bool,
}

impl fmt::Debug for UnverifiedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedStream")
            .field("pending", &self.pending.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl UnverifiedStream {
    pub(crate) fn new(reader: StreamReader) -> Self {
        UnverifiedStream {
            reader: Some(reader),
            pending: VecDeque::new(),
            ended: false,
        }
    }
}

impl Iterator for UnverifiedStream {
    type Item = Result<UnverifiedEvent, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(delta) = self.pending.pop_front() {
                return Some(Ok(UnverifiedEvent::Delta(delta)));
            }
            if self.ended {
                let reader = self.reader.take()?;
                return Some(reader.verify().map(UnverifiedEvent::Verified));
            }
            let reader = self.reader.as_mut()?;
            let pending = &mut self.pending;
            match reader.step(&mut |frame: &str, content: &str| {
                pending.push_back(UnverifiedDelta {
                    frame: frame.to_owned(),
                    content: content.to_owned(),
                })
            }) {
                Ok(more) => self.ended = !more,
                Err(e) => {
                    self.reader = None;
                    self.pending.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl std::iter::FusedIterator for UnverifiedStream {}

/// Reads a chunked response incrementally: bounded reads, each fed to the
/// decrypter, each frame to the accumulator.
pub(crate) struct StreamReader {
    reader: ureq::BodyReader<'static>,
    /// `None` once the end of the body was seen and the decrypter finished.
    decrypter: Option<ChunkedDecrypter>,
    acc: StreamAccumulator,
    frames: Vec<String>,
    received: u64,
    limit: u64,
    buf: Vec<u8>,
    request_hash: Hash32,
    endpoint: Arc<TeeEndpoint>,
}

impl StreamReader {
    pub(crate) fn new(
        reader: ureq::BodyReader<'static>,
        decrypter: ChunkedDecrypter,
        limit: u64,
        request_hash: Hash32,
        endpoint: Arc<TeeEndpoint>,
    ) -> Self {
        StreamReader {
            reader,
            decrypter: Some(decrypter),
            acc: StreamAccumulator::new(),
            frames: Vec::new(),
            received: 0,
            limit,
            buf: vec![0; READ_CHUNK],
            request_hash,
            endpoint,
        }
    }

    /// Reads once and processes what arrived; `on_frame(frame, content_delta)` sees each
    /// completed frame. Returns `false` once the stream has ended (and the decrypter
    /// confirmed its final chunk).
    pub(crate) fn step(&mut self, on_frame: &mut dyn FnMut(&str, &str)) -> Result<bool, Error> {
        if self.decrypter.is_none() {
            return Ok(false);
        }
        let n = loop {
            match self.reader.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(from_io(e)),
            }
        };
        let mut failed = None;
        let acc = &mut self.acc;
        let frames = &mut self.frames;
        let mut handle = |frame: &[u8]| {
            if failed.is_some() {
                return;
            }
            let before = acc.content().len();
            if let Err(e) = acc.push_frame(frame) {
                failed = Some(e);
                return;
            }
            let text = String::from_utf8_lossy(frame).into_owned();
            on_frame(&text, acc.content().get(before..).unwrap_or_default());
            frames.push(text);
        };
        if n == 0 {
            // End of the body: only now is the final chunk known to be complete.
            if let Some(decrypter) = self.decrypter.take() {
                decrypter.finish(&mut handle)?;
            }
        } else {
            self.received = self.received.saturating_add(n as u64);
            if self.received > self.limit {
                return Err(Error::ResponseTooLarge { limit: self.limit });
            }
            let chunk = self.buf.get(..n).unwrap_or_default();
            if let Some(decrypter) = self.decrypter.as_mut() {
                decrypter.feed(chunk, &mut handle)?;
            }
        }
        if let Some(e) = failed {
            return Err(crate::error::from_stream(e));
        }
        Ok(n != 0)
    }

    /// Reads to the end, then verifies.
    pub(crate) fn run_to_end(mut self) -> Result<VerifiedStream, Error> {
        while self.step(&mut |_, _| {})? {}
        self.verify()
    }

    /// Verifies the signed final event over the signed output (after the end).
    pub(crate) fn verify(self) -> Result<VerifiedStream, Error> {
        let outcome = self.acc.finish().map_err(crate::error::from_stream)?;
        let proof = og_verify::verify_response_with_request_hash(
            &self.request_hash,
            &outcome.final_event,
            &outcome.signed_output,
            self.endpoint.signing_key(),
            Some(self.endpoint.tee_id()),
            self.endpoint.host(),
        )?;
        Ok(VerifiedStream {
            frames: self.frames,
            content: outcome.signed_output,
            tool_calls: outcome.tool_calls,
            final_event: outcome.final_event,
            finish_reason: outcome.finish_reason,
            proof,
        })
    }
}
