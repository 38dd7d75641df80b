//! Faults the simulator injects on command: misbehaving relays and enclaves.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One fault. Set it with [`crate::Sim::set_fault`] (or `POST /_sim/fault` with its
/// text form); it applies to every exchange until cleared.
///
/// Relay faults act on the HTTP answer or on the ciphertext as the relay forwards it;
/// enclave faults ([`Fault::WrongSigningKey`], [`Fault::SignDifferentOutput`]) act on
/// the signature.
///
/// ```
/// use og_sim::Fault;
/// assert_eq!("flip-bit:40".parse::<Fault>().unwrap(), Fault::FlipBit { offset: 40 });
/// assert_eq!(Fault::DropFinalChunk.to_string(), "drop-final");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The relay answers with this status and body instead of forwarding.
    Status {
        /// The HTTP status.
        status: u16,
        /// `application/json` when true (`{"detail": ...}`), else an HTML page.
        json: bool,
    },
    /// Only the first `keep` bytes of the answer are forwarded, then the body ends.
    Truncate {
        /// Bytes kept.
        keep: usize,
    },
    /// A chunked answer loses its final chunk.
    DropFinalChunk,
    /// One bit flipped at this byte offset of the answer.
    FlipBit {
        /// The byte offset (from the start of the answer, response nonce included).
        offset: usize,
    },
    /// A chunked answer's first two chunks are swapped.
    SwapChunks,
    /// Each forwarded piece waits this long.
    Delay(Duration),
    /// The relay sends the first 32 bytes, then nothing, keeping the connection open.
    Stall,
    /// The relay sends `after` bytes, then drops the connection mid-body.
    Reset {
        /// Bytes sent before the reset.
        after: usize,
    },
    /// After the response nonce, a chunk length prefix claiming 2^62 - 1 bytes.
    HugeLengthPrefix,
    /// The enclave signs with a key other than the registered one.
    WrongSigningKey,
    /// The enclave signs an output other than the one it sends.
    SignDifferentOutput,
}

impl Fault {
    /// True for the faults the enclave applies (the rest are the relay's).
    pub fn is_enclave_fault(&self) -> bool {
        matches!(self, Fault::WrongSigningKey | Fault::SignDifferentOutput)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status { status, json: true } => write!(f, "status:{status}"),
            Fault::Status {
                status,
                json: false,
            } => write!(f, "status-html:{status}"),
            Fault::Truncate { keep } => write!(f, "truncate:{keep}"),
            Fault::DropFinalChunk => f.write_str("drop-final"),
            Fault::FlipBit { offset } => write!(f, "flip-bit:{offset}"),
            Fault::SwapChunks => f.write_str("swap-chunks"),
            Fault::Delay(d) => write!(f, "delay-ms:{}", d.as_millis()),
            Fault::Stall => f.write_str("stall"),
            Fault::Reset { after } => write!(f, "reset:{after}"),
            Fault::HugeLengthPrefix => f.write_str("huge-prefix"),
            Fault::WrongSigningKey => f.write_str("wrong-key"),
            Fault::SignDifferentOutput => f.write_str("sign-other-output"),
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let num = |what: &str| -> Result<u64, String> {
            arg.and_then(|a| a.trim().parse().ok())
                .ok_or_else(|| format!("fault `{name}` needs a number: `{name}:<{what}>`"))
        };
        Ok(match name.trim() {
            "status" => Fault::Status {
                status: status_code(num("status")?)?,
                json: true,
            },
            "status-html" => Fault::Status {
                status: status_code(num("status")?)?,
                json: false,
            },
            "truncate" => Fault::Truncate {
                keep: num("bytes")? as usize,
            },
            "drop-final" => Fault::DropFinalChunk,
            "flip-bit" => Fault::FlipBit {
                offset: num("offset")? as usize,
            },
            "swap-chunks" => Fault::SwapChunks,
            "delay-ms" => Fault::Delay(Duration::from_millis(num("milliseconds")?)),
            "stall" => Fault::Stall,
            "reset" => Fault::Reset {
                after: num("bytes")? as usize,
            },
            "huge-prefix" => Fault::HugeLengthPrefix,
            "wrong-key" => Fault::WrongSigningKey,
            "sign-other-output" => Fault::SignDifferentOutput,
            other => {
                return Err(format!(
                    "unknown fault `{other}`; known: status:N, status-html:N, truncate:N, \
                     drop-final, flip-bit:N, swap-chunks, delay-ms:N, stall, reset:N, \
                     huge-prefix, wrong-key, sign-other-output"
                ));
            }
        })
    }
}

fn status_code(n: u64) -> Result<u16, String> {
    u16::try_from(n)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("{n} is not an HTTP status"))
}

/// The parts of a chunked OHTTP response: nonce, non-final chunks (with their length
/// prefixes), final chunk (with its zero prefix). `None` when the body is not framed
/// that way.
pub(crate) fn split_chunked(body: &[u8], nonce_len: usize) -> Option<ChunkedParts<'_>> {
    let nonce = body.get(..nonce_len)?;
    let mut rest = body.get(nonce_len..)?;
    let mut chunks = Vec::new();
    loop {
        let (len, prefix_len) = og_ohttp_core::varint::decode(rest).ok()?;
        if len == 0 {
            return Some(ChunkedParts {
                nonce,
                chunks,
                last: rest,
            });
        }
        let end = prefix_len.checked_add(usize::try_from(len).ok()?)?;
        chunks.push(rest.get(..end)?);
        rest = rest.get(end..)?;
    }
}

/// A chunked response cut into its frames.
pub(crate) struct ChunkedParts<'a> {
    pub(crate) nonce: &'a [u8],
    pub(crate) chunks: Vec<&'a [u8]>,
    pub(crate) last: &'a [u8],
}

/// Applies a whole-body fault to a complete answer (the relay buffers the answer
/// when a fault needs its structure).
pub(crate) fn rewrite_body(fault: &Fault, body: Vec<u8>, chunked: bool) -> Vec<u8> {
    const NONCE: usize = 32;
    match fault {
        Fault::DropFinalChunk if chunked => match split_chunked(&body, NONCE) {
            Some(p) => [p.nonce, &p.chunks.concat()].concat(),
            None => body,
        },
        Fault::SwapChunks if chunked => match split_chunked(&body, NONCE) {
            Some(mut p) if p.chunks.len() >= 2 => {
                p.chunks.swap(0, 1);
                [p.nonce, &p.chunks.concat(), p.last].concat()
            }
            _ => body,
        },
        Fault::HugeLengthPrefix => {
            // 0xff.. = an 8-byte varint of 2^62 - 1, then a little of the real body.
            let mut out = body.get(..NONCE).unwrap_or(&body).to_vec();
            out.extend_from_slice(&[0xff; 8]);
            out.extend_from_slice(body.get(NONCE..NONCE + 64).unwrap_or_default());
            out
        }
        Fault::FlipBit { offset } => {
            let mut body = body;
            if let Some(b) = body.get_mut(*offset) {
                *b ^= 0x01;
            }
            body
        }
        Fault::Truncate { keep } => {
            let mut body = body;
            body.truncate(*keep);
            body
        }
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_its_text_form() {
        for f in [
            Fault::Status {
                status: 401,
                json: true,
            },
            Fault::Status {
                status: 500,
                json: false,
            },
            Fault::Truncate { keep: 7 },
            Fault::DropFinalChunk,
            Fault::FlipBit { offset: 3 },
            Fault::SwapChunks,
            Fault::Delay(Duration::from_millis(20)),
            Fault::Stall,
            Fault::Reset { after: 9 },
            Fault::HugeLengthPrefix,
            Fault::WrongSigningKey,
            Fault::SignDifferentOutput,
        ] {
            assert_eq!(f.to_string().parse::<Fault>(), Ok(f));
        }
        assert!("status:9999".parse::<Fault>().is_err());
        assert!("truncate".parse::<Fault>().is_err());
        assert!("explode".parse::<Fault>().unwrap_err().contains("known"));
    }

    #[test]
    fn chunked_bodies_are_split_and_rewritten() {
        let mut body = vec![9u8; 32];
        body.extend_from_slice(&[2, b'a', b'a', 0x40, 3, b'b', b'b', b'b', 0, b'f']);
        let p = split_chunked(&body, 32).unwrap();
        assert_eq!(
            p.chunks,
            [&[2, b'a', b'a'][..], &[0x40, 3, b'b', b'b', b'b'][..]]
        );
        assert_eq!(p.last, &[0, b'f']);
        let dropped = rewrite_body(&Fault::DropFinalChunk, body.clone(), true);
        assert_eq!(&dropped[32..], &[2, b'a', b'a', 0x40, 3, b'b', b'b', b'b']);
        let swapped = rewrite_body(&Fault::SwapChunks, body.clone(), true);
        assert_eq!(
            &swapped[32..],
            &[0x40, 3, b'b', b'b', b'b', 2, b'a', b'a', 0, b'f']
        );
        let huge = rewrite_body(&Fault::HugeLengthPrefix, body.clone(), true);
        assert_eq!(&huge[32..40], &[0xff; 8]);
        assert!(split_chunked(&body[..35], 32).is_none());
    }
}
