//! The operations `cargo xtask bench` times: ours (through the crates' public APIs, as
//! og-relay calls them, without the network) and the raw primitives under them.
//!
//! Each operation is a plain `fn(&Bench) -> Result<usize>` (the result keeps the work
//! from being optimized away), resolved by name once before a timing loop.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use base64::Engine as _;
use chacha20poly1305::aead::inout::InOutBuf;
use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit};
use hpke::{Deserializable, OpModeS, Serializable};
use og_canon::{StreamAccumulator, Value, build_inner_request, keccak256, parse, parse_slice};
use og_ohttp_core::{ChunkLimits, ClientRequest, ResponseContext};
use og_verify::{SigningKey, TeeId};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::inputs::{KEY_ID, SUITE, TEE_HOST};

type HpkeKem = hpke::kem::X25519HkdfSha256;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::ChaCha20Poly1305;

/// One operation.
pub(crate) type Op = fn(&Bench) -> Result<usize>;

/// A response AEAD keyed for the raw-primitive rows: the same key and nonce our
/// decrypter derives, in both backends.
struct RawAead {
    rustcrypto: ChaCha20Poly1305,
    aws_lc: aws_lc_rs::aead::LessSafeKey,
    nonce: [u8; 12],
}

impl RawAead {
    /// Keys from a response (`response_nonce || ...`) opened with `secret` (PROTOCOL §1.2).
    fn for_response(secret: &[u8], enc: &[u8], response: &[u8]) -> Result<RawAead> {
        let salt = [enc, response.get(..32).context("short response")?].concat();
        let hk = hkdf::Hkdf::<Sha256>::new(Some(&salt), secret);
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        hk.expand(b"key", &mut key)
            .map_err(|_| anyhow::anyhow!("hkdf"))?;
        hk.expand(b"nonce", &mut nonce)
            .map_err(|_| anyhow::anyhow!("hkdf"))?;
        let unbound = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::CHACHA20_POLY1305, &key)
            .map_err(|_| anyhow::anyhow!("aws-lc key"))?;
        Ok(RawAead {
            rustcrypto: ChaCha20Poly1305::new_from_slice(&key)
                .map_err(|_| anyhow::anyhow!("key"))?,
            aws_lc: aws_lc_rs::aead::LessSafeKey::new(unbound),
            nonce,
        })
    }

    fn nonce(&self, counter: u64) -> [u8; 12] {
        let mut n = self.nonce;
        for (b, c) in n[4..].iter_mut().zip(counter.to_be_bytes()) {
            *b ^= c;
        }
        n
    }

    /// Opens `sealed` (ct || tag) into `out` with RustCrypto.
    fn open_rustcrypto(&self, counter: u64, aad: &[u8], sealed: &[u8], out: &mut [u8]) -> bool {
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let Ok(buf) = InOutBuf::new(ct, out) else {
            return false;
        };
        let tag: [u8; 16] = tag.try_into().unwrap_or_default();
        self.rustcrypto
            .decrypt_inout_detached(&self.nonce(counter).into(), aad, buf, &tag.into())
            .is_ok()
    }

    /// Opens `sealed` (ct || tag) into `out` with AWS-LC.
    fn open_aws_lc(&self, counter: u64, aad: &[u8], sealed: &[u8], out: &mut [u8]) -> bool {
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let nonce = aws_lc_rs::aead::Nonce::assume_unique_for_key(self.nonce(counter));
        self.aws_lc
            .open_separate_gather(nonce, aws_lc_rs::aead::Aad::from(aad), ct, tag, out)
            .is_ok()
    }
}

/// A chunked stream cut into its sealed chunks (`(counter, aad, sealed)` ranges).
struct Chunks {
    aead: RawAead,
    chunks: Vec<(usize, usize, bool)>,
    largest: usize,
}

impl Chunks {
    fn parse(stream: &[u8], secret: &[u8], enc: &[u8]) -> Result<Chunks> {
        let aead = RawAead::for_response(secret, enc, stream)?;
        let mut chunks = Vec::new();
        let mut at = 32;
        let mut largest = 0;
        while at < stream.len() {
            let (len, used) = og_ohttp_core::varint::decode(&stream[at..])?;
            at += used;
            let (end, last) = if len == 0 {
                (stream.len(), true)
            } else {
                (at + usize::try_from(len)?, false)
            };
            chunks.push((at, end, last));
            largest = largest.max(end - at);
            at = end;
        }
        Ok(Chunks {
            aead,
            chunks,
            largest,
        })
    }

    /// Opens every chunk into one reused buffer, as the raw limit of a decrypter.
    fn open_all(&self, stream: &[u8], aws_lc: bool) -> Result<usize> {
        let mut out = vec![0u8; self.largest];
        let mut total = 0;
        for (i, &(start, end, last)) in self.chunks.iter().enumerate() {
            let sealed = &stream[start..end];
            let out = &mut out[..sealed.len() - 16];
            let aad: &[u8] = if last { b"final" } else { b"" };
            let ok = if aws_lc {
                self.aead.open_aws_lc(i as u64, aad, sealed, out)
            } else {
                self.aead.open_rustcrypto(i as u64, aad, sealed, out)
            };
            ensure!(ok, "raw open failed");
            total += out.len();
        }
        Ok(total)
    }
}

/// One `verify.json` case (RSA-2048 or RSA-4096).
struct VerifyCase {
    canonical: Vec<u8>,
    response: Value,
    content: String,
    key: SigningKey,
    tee_id: TeeId,
    /// `msg_hash` and the raw signature, for the raw RSA rows.
    msg: [u8; 32],
    sig: Vec<u8>,
    rsa_key: rsa::PublicKey,
    aws_lc_key: aws_lc_rs::signature::ParsedPublicKey,
    pkcs1_der: Vec<u8>,
}

impl VerifyCase {
    fn load(vectors: &Path, name: &str) -> Result<VerifyCase> {
        use rsa::pkcs8::DecodePublicKey as _;
        let text = std::fs::read_to_string(vectors.join("verify.json"))?;
        let doc = parse(&text)?;
        let case = doc
            .get("cases")
            .and_then(Value::as_array)
            .and_then(|cases| {
                cases
                    .iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            })
            .with_context(|| format!("verify.json has no case {name}"))?;
        let s = |k: &str| {
            case.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .with_context(|| format!("{name}.{k}"))
        };
        let key = SigningKey::from_pem(&s("signing_key_pem")?)?;
        let response = parse(&s("response_body_text")?)?;
        let canonical = s("canonical_text")?.into_bytes();
        let content = s("response_content")?;
        let ts = response
            .get("tee_timestamp")
            .and_then(Value::as_number)
            .and_then(|n| n.as_u64())
            .context("timestamp")?;
        let msg = og_verify::msg_hash(&keccak256(&canonical), &keccak256(content.as_bytes()), ts);
        let sig = base64::engine::general_purpose::STANDARD.decode(
            response
                .get("tee_signature")
                .and_then(Value::as_str)
                .context("signature")?,
        )?;
        let spki = key.spki_der().to_vec();
        let pkcs1_der = spki::SubjectPublicKeyInfoRef::try_from(spki.as_slice())
            .map_err(|e| anyhow::anyhow!("spki: {e}"))?
            .subject_public_key
            .raw_bytes()
            .to_vec();
        Ok(VerifyCase {
            tee_id: key.tee_id(),
            rsa_key: rsa::PublicKey::from_public_key_der(&spki)
                .map_err(|e| anyhow::anyhow!("rsa: {e}"))?,
            aws_lc_key: aws_lc_rs::signature::ParsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256,
                &spki,
            )
            .map_err(|e| anyhow::anyhow!("aws-lc: {e}"))?,
            pkcs1_der,
            canonical,
            response,
            content,
            key,
            msg,
            sig,
        })
    }

    fn verify(&self) -> Result<usize> {
        let proof = og_verify::verify_response(
            &self.canonical,
            &self.response,
            &self.content,
            &self.key,
            Some(&self.tee_id),
            TEE_HOST,
        )?;
        Ok(proof.timestamp() as usize)
    }

    fn raw_rsa(&self) -> Result<usize> {
        self.rsa_key
            .pss_verify::<Sha256>(&self.msg, &self.sig)
            .map_err(|e| anyhow::anyhow!("rsa verify: {e}"))?;
        Ok(1)
    }

    fn raw_aws_lc(&self) -> Result<usize> {
        self.aws_lc_key
            .verify_sig(&self.msg, &self.sig)
            .map_err(|e| anyhow::anyhow!("aws-lc verify: {e}"))?;
        Ok(1)
    }

    fn raw_ring(&self) -> Result<usize> {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PSS_2048_8192_SHA256,
            &self.pkcs1_der,
        )
        .verify(&self.msg, &self.sig)
        .map_err(|e| anyhow::anyhow!("ring verify: {e}"))?;
        Ok(1)
    }
}

/// Everything the operations read, loaded once.
pub(crate) struct Bench {
    public_key: Vec<u8>,
    hpke_pk: <HpkeKem as hpke::Kem>::PublicKey,
    client: ClientRequest,
    context: ResponseContext,
    signing_key: SigningKey,
    tee_id: TeeId,
    chat: Value,
    tools: Value,
    conversation: Value,
    attachment: Value,
    one_kib: Vec<u8>,
    exchange_response: Vec<u8>,
    exchange_content: String,
    exchange_wire: Vec<u8>,
    exchange_aead: RawAead,
    exchange_canonical: Vec<u8>,
    open_1m: Vec<u8>,
    open_1m_aead: RawAead,
    stream: Vec<u8>,
    stream_pieces: Vec<usize>,
    stream_content: String,
    frame_100b: Vec<u8>,
    stream_aead: RawAead,
    chunked_64x16k: Vec<u8>,
    chunks_64x16k: Chunks,
    chunked_16m: Vec<u8>,
    chunked_64m: Vec<u8>,
    big_chunk: usize,
    conversation_canonical: Vec<u8>,
    verify_2048: VerifyCase,
    verify_4096: VerifyCase,
}

fn hex_field(manifest: &Value, k: &str) -> Result<Vec<u8>> {
    Ok(hex::decode(str_field(manifest, k)?)?)
}

fn str_field<'a>(manifest: &'a Value, k: &str) -> Result<&'a str> {
    manifest
        .get(k)
        .and_then(Value::as_str)
        .with_context(|| format!("manifest.{k}"))
}

impl Bench {
    /// Loads the inputs `og-bench gen` wrote into `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Bench> {
        let read = |name: &str| std::fs::read(dir.join(name)).with_context(|| name.to_owned());
        let manifest = parse_slice(&read("manifest.json")?)?;
        let body = |name: &str| -> Result<Value> { Ok(parse_slice(&read(name)?)?) };
        let public_key = hex_field(&manifest, "public_key")?;
        let enc = hex_field(&manifest, "enc")?;
        let response_secret = hex_field(&manifest, "response_secret")?;
        let chunked_secret = hex_field(&manifest, "chunked_response_secret")?;
        let signing_key = SigningKey::from_pem(str_field(&manifest, "signing_key_pem")?)?;
        let vectors = Path::new(str_field(&manifest, "vectors")?);
        let chat = body("chat_200b.json")?;
        let exchange_response = read("exchange_response.bin")?;
        let open_1m = read("open_1m.bin")?;
        let chunked_64x16k = read("chunked_64x16k.bin")?;
        let stream_pieces = manifest
            .get("stream_pieces")
            .and_then(Value::as_array)
            .context("stream_pieces")?
            .iter()
            .map(|v| {
                v.as_number()
                    .and_then(|n| n.as_u64())
                    .map(|n| n as usize)
                    .context("piece")
            })
            .collect::<Result<Vec<_>>>()?;
        let conversation = body("conversation_40k.json")?;
        let exchange_inner = build_inner_request(&chat)?;
        let exchange_content = str_field(&manifest, "exchange_content")?.to_owned();
        let mut exchange_canonical = exchange_inner.canonical_bytes();
        exchange_canonical.extend_from_slice(exchange_content.as_bytes());
        let stream = read("stream_1000.bin")?;
        let frame_100b = {
            // The first chunk of the stream: nonce(32) || varint || sealed frame.
            let (len, used) = og_ohttp_core::varint::decode(&stream[32..])?;
            stream[32 + used..32 + used + usize::try_from(len)?].to_vec()
        };
        Ok(Bench {
            hpke_pk: <HpkeKem as hpke::Kem>::PublicKey::from_bytes(&public_key)
                .map_err(|e| anyhow::anyhow!("hpke public key: {e:?}"))?,
            client: ClientRequest::new(KEY_ID, SUITE, &public_key)?,
            context: ResponseContext::from_secrets(SUITE, &enc, &response_secret, &chunked_secret)?,
            tee_id: signing_key.tee_id(),
            signing_key,
            tools: body("tools_30k.json")?,
            attachment: body("attachment_5mib.json")?,
            one_kib: vec![b'x'; 1024],
            exchange_wire: exchange_inner.wire_bytes(false),
            exchange_aead: RawAead::for_response(&response_secret, &enc, &exchange_response)?,
            exchange_response,
            exchange_content,
            exchange_canonical,
            open_1m_aead: RawAead::for_response(&response_secret, &enc, &open_1m)?,
            open_1m,
            stream_content: str_field(&manifest, "stream_content")?.to_owned(),
            frame_100b,
            stream_aead: RawAead::for_response(&chunked_secret, &enc, &stream)?,
            stream,
            stream_pieces,
            chunks_64x16k: Chunks::parse(&chunked_64x16k, &chunked_secret, &enc)?,
            chunked_64x16k,
            chunked_16m: read("chunked_16m.bin")?,
            chunked_64m: read("chunked_64m.bin")?,
            big_chunk: manifest
                .get("big_chunk")
                .and_then(Value::as_number)
                .and_then(|n| n.as_u64())
                .context("big_chunk")? as usize,
            conversation_canonical: build_inner_request(&conversation)?.canonical_bytes(),
            conversation,
            chat,
            verify_2048: VerifyCase::load(vectors, "ok_text_2048")?,
            verify_4096: VerifyCase::load(vectors, "ok_text_4096")?,
            public_key,
        })
    }

    /// Runs every operation once and checks what it produced, so that no row ever
    /// times a failing path.
    pub(crate) fn check(&self) -> Result<()> {
        for name in OPS {
            let op = resolve(name).with_context(|| format!("unknown op {name}"))?;
            op(self).with_context(|| format!("op {name}"))?;
        }
        ensure!(
            self.stream_outcome()?.0 == self.stream_content,
            "stream content"
        );
        let (content, _) = self.exchange_outcome()?;
        ensure!(content == self.exchange_content, "exchange content");
        Ok(())
    }

    /// The content and timestamp of a full non-streaming exchange.
    fn exchange_outcome(&self) -> Result<(String, u64)> {
        // og-relay's `seal`: build, serialize the wire form, encapsulate.
        let inner = build_inner_request(&self.chat)?;
        let plaintext = Zeroizing::new(inner.wire_bytes(false));
        let client = ClientRequest::new(KEY_ID, SUITE, &self.public_key)?;
        let (request, _fresh_context) = client.encapsulate(&plaintext)?;
        ensure!(request.len() > plaintext.len());
        let request_hash = inner.request_hash();
        // ... then open the answer, split the envelope, rebuild the signed output, verify.
        let plaintext = Zeroizing::new(self.context.open(&self.exchange_response)?);
        let Value::Object(mut envelope) = parse_slice(&plaintext)? else {
            bail!("not an object");
        };
        let status = envelope
            .get("status")
            .and_then(Value::as_number)
            .and_then(|n| n.as_u64());
        ensure!(status == Some(200), "status");
        let body = envelope.remove("body").context("body")?;
        let content = og_canon::signed_output(&body)?;
        let proof = og_verify::verify_response_with_request_hash(
            &request_hash,
            &body,
            &content,
            &self.signing_key,
            Some(&self.tee_id),
            TEE_HOST,
        )?;
        Ok((content, proof.timestamp()))
    }

    /// The signed output and frame count of the 1,000-frame stream.
    fn stream_outcome(&self) -> Result<(String, usize)> {
        let inner = build_inner_request(&self.chat)?;
        let plaintext = Zeroizing::new(inner.wire_bytes(true));
        let client = ClientRequest::new(KEY_ID, SUITE, &self.public_key)?;
        let (_request, _fresh_context) = client.encapsulate(&plaintext)?;
        let request_hash = inner.request_hash();
        // og-relay's StreamReader: feed each read, parse each frame, keep it as text.
        let mut decrypter = self.context.chunked_decrypter(ChunkLimits::default());
        let mut acc = StreamAccumulator::new();
        let mut frames: Vec<String> = Vec::new();
        let mut failed = None;
        let mut handle = |frame: &[u8]| {
            if let Err(e) = acc.push_frame(frame) {
                failed = Some(e);
            }
            frames.push(String::from_utf8_lossy(frame).into_owned());
        };
        let mut at = 0;
        for &len in &self.stream_pieces {
            decrypter.feed(&self.stream[at..at + len], &mut handle)?;
            at += len;
        }
        decrypter.finish(&mut handle)?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        let outcome = acc.finish()?;
        og_verify::verify_response_with_request_hash(
            &request_hash,
            &outcome.final_event,
            &outcome.signed_output,
            &self.signing_key,
            Some(&self.tee_id),
            TEE_HOST,
        )?;
        Ok((outcome.signed_output, frames.len()))
    }

    fn chunked(&self, stream: &[u8]) -> Result<usize> {
        let mut decrypter = self.context.chunked_decrypter(ChunkLimits {
            max_chunk: self.big_chunk as u64 + 1024,
            max_total: 1 << 30,
        });
        let mut n = 0usize;
        decrypter.feed(stream, |f| n += f.len())?;
        decrypter.finish(|f| n += f.len())?;
        Ok(n)
    }

    fn raw_hpke(&self, plaintext: &[u8]) -> Result<usize> {
        let info = [
            b"message/bhttp request\0".as_slice(),
            &[1, 0, 0x20, 0, 1, 0, 3],
        ]
        .concat();
        let (enc, mut ctx) =
            hpke::setup_sender::<HpkeAead, HpkeKdf, HpkeKem>(&OpModeS::Base, &self.hpke_pk, &info)
                .map_err(|e| anyhow::anyhow!("hpke: {e:?}"))?;
        let ct = ctx
            .seal(plaintext, b"")
            .map_err(|e| anyhow::anyhow!("hpke: {e:?}"))?;
        Ok(ct.len() + enc.to_bytes().len())
    }

    fn raw_open_single(&self, aead: &RawAead, response: &[u8], aws_lc: bool) -> Result<usize> {
        let sealed = &response[32..];
        let mut out = vec![0u8; sealed.len() - 16];
        let ok = if aws_lc {
            aead.open_aws_lc(0, b"", sealed, &mut out)
        } else {
            aead.open_rustcrypto(0, b"", sealed, &mut out)
        };
        ensure!(ok, "raw open failed");
        Ok(out.len())
    }

    fn raw_open_frame(&self, aws_lc: bool) -> Result<usize> {
        let aead = &self.stream_aead;
        let mut out = [0u8; 256];
        let out = out
            .get_mut(..self.frame_100b.len() - 16)
            .context("frame too long")?;
        let ok = if aws_lc {
            aead.open_aws_lc(0, b"", &self.frame_100b, out)
        } else {
            aead.open_rustcrypto(0, b"", &self.frame_100b, out)
        };
        ensure!(ok, "raw open failed");
        Ok(out.len())
    }
}

/// Every operation, for `check` and `ops`.
pub(crate) const OPS: &[&str] = &[
    "exchange",
    "encap_1k",
    "open_1m",
    "stream_1000",
    "chunked_64x16k",
    "chunked_16m",
    "chunked_64m",
    "canon_chat",
    "canon_tools",
    "canon_conv",
    "canon_attach",
    "wire_attach",
    "verify_2048",
    "verify_4096",
    "raw_hpke_1k",
    "raw_hpke_exchange",
    "raw_open_1m_rustcrypto",
    "raw_open_1m_awslc",
    "raw_open_exchange_rustcrypto",
    "raw_open_exchange_awslc",
    "raw_open_64x16k_rustcrypto",
    "raw_open_64x16k_awslc",
    "raw_open_frame_rustcrypto",
    "raw_open_frame_awslc",
    "raw_keccak_conv",
    "raw_keccak_exchange",
    "raw_rsa2048_rsa",
    "raw_rsa2048_awslc",
    "raw_rsa2048_ring",
    "raw_rsa4096_rsa",
    "raw_rsa4096_awslc",
    "raw_rsa4096_ring",
];

/// The operation called `name`.
pub(crate) fn resolve(name: &str) -> Option<Op> {
    let op: Op = match name {
        "exchange" => |b| Ok(b.exchange_outcome()?.1 as usize),
        "encap_1k" => |b| Ok(b.client.encapsulate(&b.one_kib)?.0.len()),
        "open_1m" => |b| Ok(b.context.open(&b.open_1m)?.len()),
        "stream_1000" => |b| Ok(b.stream_outcome()?.1),
        "chunked_64x16k" => |b| b.chunked(&b.chunked_64x16k),
        "chunked_16m" => |b| b.chunked(&b.chunked_16m),
        "chunked_64m" => |b| b.chunked(&b.chunked_64m),
        "canon_chat" => |b| Ok(build_inner_request(&b.chat)?.request_hash()[0].into()),
        "canon_tools" => |b| Ok(build_inner_request(&b.tools)?.request_hash()[0].into()),
        "canon_conv" => |b| Ok(build_inner_request(&b.conversation)?.request_hash()[0].into()),
        "canon_attach" => |b| Ok(build_inner_request(&b.attachment)?.request_hash()[0].into()),
        "wire_attach" => |b| {
            let inner = build_inner_request(&b.attachment)?;
            let plaintext = Zeroizing::new(inner.wire_bytes(false));
            let client = ClientRequest::new(KEY_ID, SUITE, &b.public_key)?;
            Ok(client.encapsulate(&plaintext)?.0.len())
        },
        "verify_2048" => |b| b.verify_2048.verify(),
        "verify_4096" => |b| b.verify_4096.verify(),
        "raw_hpke_1k" => |b| b.raw_hpke(&b.one_kib),
        "raw_hpke_exchange" => |b| b.raw_hpke(&b.exchange_wire),
        "raw_open_1m_rustcrypto" => |b| b.raw_open_single(&b.open_1m_aead, &b.open_1m, false),
        "raw_open_1m_awslc" => |b| b.raw_open_single(&b.open_1m_aead, &b.open_1m, true),
        "raw_open_exchange_rustcrypto" => {
            |b| b.raw_open_single(&b.exchange_aead, &b.exchange_response, false)
        }
        "raw_open_exchange_awslc" => {
            |b| b.raw_open_single(&b.exchange_aead, &b.exchange_response, true)
        }
        "raw_open_64x16k_rustcrypto" => |b| b.chunks_64x16k.open_all(&b.chunked_64x16k, false),
        "raw_open_64x16k_awslc" => |b| b.chunks_64x16k.open_all(&b.chunked_64x16k, true),
        "raw_open_frame_rustcrypto" => |b| b.raw_open_frame(false),
        "raw_open_frame_awslc" => |b| b.raw_open_frame(true),
        "raw_keccak_conv" => |b| Ok(keccak256(&b.conversation_canonical)[0].into()),
        "raw_keccak_exchange" => |b| {
            // What an exchange hashes: the canonical request, the output, msg_hash's 96 B.
            let (canonical, content) = b
                .exchange_canonical
                .split_at(b.exchange_canonical.len() - b.exchange_content.len());
            let r = keccak256(canonical);
            let o = keccak256(content);
            Ok(og_verify::msg_hash(&r, &o, 1)[0].into())
        },
        "raw_rsa2048_rsa" => |b| b.verify_2048.raw_rsa(),
        "raw_rsa2048_awslc" => |b| b.verify_2048.raw_aws_lc(),
        "raw_rsa2048_ring" => |b| b.verify_2048.raw_ring(),
        "raw_rsa4096_rsa" => |b| b.verify_4096.raw_rsa(),
        "raw_rsa4096_awslc" => |b| b.verify_4096.raw_aws_lc(),
        "raw_rsa4096_ring" => |b| b.verify_4096.raw_ring(),
        _ => return None,
    };
    Some(op)
}
