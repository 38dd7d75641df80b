//! `end_to_end.json`: whole exchanges through the real og-relay client.
//!
//! For each case: og-canon rebuilds the canonical and wire requests from
//! `request_body_text` (compared with `canonical_text`, `request_hash` and the
//! reference's plaintext); a one-shot HTTP server on 127.0.0.1 plays the relay, records
//! what the client posts and answers with the case's `response` bytes (streams are sent
//! as many small HTTP chunks, so the client must decrypt incrementally); the real
//! `RelayClient`, with the case's endpoint, auth headers and pinned ephemeral key,
//! does the exchange. Then the posted body must equal `client.request` (when our wire
//! JSON is byte-identical to the reference's), the headers `client.headers`, and the
//! outcome `expected` (content, body, proof, frames) or the expected error. Streams run
//! through both the safe API and the progressive (unverified) one.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use og_relay::{
    Error, Limits, OhttpConfig, PcrHash, RelayClient, TeeEndpoint, TeeId, UnverifiedEvent,
    VerifiedStream,
};
use serde_json::Value as J;

use super::Report;
use super::util::{cases, eq, eq_bytes, hex_field, name, str_field, u64_field};

pub(crate) fn run_end_to_end(text: &str) -> Result<Report> {
    let mut report = Report::default();
    for case in cases(text)? {
        let case_name = name(&case);
        report.case(&case_name, run_case(&case));
    }
    Ok(report)
}

fn run_case(case: &J) -> Result<()> {
    let stream = match str_field(case, "mode")? {
        "single" => false,
        "stream" => true,
        other => bail!("unknown mode {other:?}"),
    };
    let client = case.get("client").context("no `client` object")?;
    let body = og_canon::parse(str_field(case, "request_body_text")?)
        .map_err(|e| anyhow!("request_body_text does not parse: {e}"))?;

    // The request the client will build: canonical, hash and wire.
    let inner = og_canon::build_inner_request(&body)
        .map_err(|e| anyhow!("build_inner_request refused the body: {e}"))?;
    eq(
        "canonical text",
        String::from_utf8_lossy(&inner.canonical_bytes()).as_ref(),
        str_field(client, "canonical_text")?,
    )?;
    eq_bytes(
        "request hash",
        &inner.request_hash(),
        &hex_field(client, "request_hash")?,
    )?;
    let wire = inner.wire_bytes(stream);
    let reference_plaintext = str_field(client, "request_plaintext_text")?;
    let wire_identical = wire == reference_plaintext.as_bytes();
    if !wire_identical {
        let ours = og_canon::parse_slice(&wire).map_err(|e| anyhow!("our wire: {e}"))?;
        let theirs =
            og_canon::parse(reference_plaintext).map_err(|e| anyhow!("reference wire: {e}"))?;
        eq("wire (parsed)", &ours, &theirs)?;
    }

    let endpoint = endpoint(case)?;
    let sk_e: [u8; 32] = hex_field(client, "skE")?
        .try_into()
        .map_err(|_| anyhow!("skE is not 32 bytes"))?;
    let response = hex_field(case, "response")?;
    let auth: Vec<(String, String)> = match case.get("auth_headers") {
        Some(J::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    v.as_str().context("auth header value")?.to_owned(),
                ))
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };

    let apis: &[Api] = if stream {
        &[Api::Stream, Api::Unverified]
    } else {
        &[Api::Single]
    };
    for &api in apis {
        let (addr, server) = serve_once(response.clone(), stream)?;
        let auth = auth.clone();
        let relay = RelayClient::builder(&format!("http://{addr}"), endpoint.clone())
            .auth(move || Ok(auth.clone()))
            .limits(Limits {
                connect_timeout: Duration::from_secs(5),
                read_timeout: Duration::from_secs(10),
                total_timeout: Duration::from_secs(20),
                ..Limits::default()
            })
            .ephemeral_key_for_tests(sk_e)
            .build()
            .map_err(|e| anyhow!("building the client: {e}"))?;
        let outcome = run_api(&relay, &body, api);
        let recorded = server
            .join()
            .map_err(|_| anyhow!("the test relay panicked"))??;
        let what = api.name();
        check_request(&recorded, client, wire_identical).with_context(|| what)?;
        check_outcome(case, outcome).with_context(|| what)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Api {
    Single,
    Stream,
    Unverified,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::Single => "chat_completion",
            Api::Stream => "stream_chat_completion",
            Api::Unverified => "stream_chat_completion_unverified",
        }
    }
}

/// What the client returned, reduced to what the vectors describe.
struct Outcome {
    content: String,
    body: og_canon::Value,
    proof: og_relay::TeeProof,
    frames: Option<Vec<String>>,
}

fn run_api(relay: &RelayClient, body: &og_canon::Value, api: Api) -> Result<Outcome, Error> {
    match api {
        Api::Single => {
            let r = relay.chat_completion(body)?;
            let (body, content, proof) = r.into_parts();
            Ok(Outcome {
                content,
                body,
                proof,
                frames: None,
            })
        }
        Api::Stream => Ok(stream_outcome(relay.stream_chat_completion(body)?)),
        Api::Unverified => {
            let mut deltas = Vec::new();
            let mut verified = None;
            for item in relay.stream_chat_completion_unverified(body)? {
                match item? {
                    UnverifiedEvent::Delta(d) => {
                        deltas.push(d.unverified_frame().to_owned());
                    }
                    UnverifiedEvent::Verified(v) => verified = Some(v),
                }
            }
            let v = verified.ok_or(Error::MissingFinalEvent)?;
            if deltas != v.frames() {
                // Surfaced as a mismatch on the frames below.
                let mut o = stream_outcome(v);
                o.frames = Some(deltas);
                return Ok(o);
            }
            Ok(stream_outcome(v))
        }
    }
}

fn stream_outcome(v: VerifiedStream) -> Outcome {
    Outcome {
        content: v.content().to_owned(),
        body: v.final_event().clone(),
        proof: v.proof().clone(),
        frames: Some(v.into_frames()),
    }
}

fn endpoint(case: &J) -> Result<TeeEndpoint> {
    let e = case.get("endpoint").context("no `endpoint`")?;
    let o = e.get("ohttp").context("no `endpoint.ohttp`")?;
    let id = |k: &str| -> Result<u16> {
        u16::try_from(u64_field(o, k)?).map_err(|_| anyhow!("{k} out of range"))
    };
    let ohttp = OhttpConfig {
        key_id: u8::try_from(u64_field(o, "key_id")?).context("key_id out of range")?,
        kem_id: id("kem_id")?,
        kdf_id: id("kdf_id")?,
        aead_id: id("aead_id")?,
        public_key: hex_field(o, "public_key")?,
        key_config: Some(hex_field(o, "key_config")?),
    };
    let tee_id = TeeId::parse(str_field(e, "tee_id")?).map_err(|e| anyhow!("tee_id: {e}"))?;
    let pcr = PcrHash::parse(str_field(e, "pcr_hash")?).map_err(|e| anyhow!("pcr_hash: {e}"))?;
    TeeEndpoint::new(
        str_field(e, "endpoint")?,
        &hex_field(e, "signing_public_key_der")?,
        ohttp,
    )
    .and_then(|t| t.with_tee_id_check(&tee_id))
    .map(|t| t.with_pcr_hash(pcr))
    .map_err(|e| anyhow!("TeeEndpoint: {e}"))
}

fn check_request(recorded: &Recorded, client: &J, wire_identical: bool) -> Result<()> {
    eq("method", recorded.method.as_str(), "POST")?;
    eq("path", recorded.path.as_str(), og_relay::RELAY_PATH)?;
    if wire_identical {
        eq_bytes(
            "posted body",
            &recorded.body,
            &hex_field(client, "request")?,
        )?;
    } else {
        // The ciphertext cannot match; the header and enc (same skE) still must.
        let want = hex_field(client, "request")?;
        eq_bytes(
            "posted header and enc",
            recorded.body.get(..39).unwrap_or_default(),
            want.get(..39).unwrap_or_default(),
        )?;
    }
    let J::Object(want) = client.get("headers").context("no client.headers")? else {
        bail!("client.headers is not an object");
    };
    for (name, value) in want {
        let value = value.as_str().context("header value")?;
        let got: Vec<&(String, String)> = recorded
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .collect();
        match got.as_slice() {
            [(n, v)] => {
                eq("header name", n.as_str(), name.as_str())?;
                eq(&format!("header {name}"), v.as_str(), value)?;
            }
            [] => bail!("header {name} was not sent"),
            _ => bail!("header {name} was sent {} times", got.len()),
        }
    }
    for (n, _) in &recorded.headers {
        let protocol = [
            "content-type",
            "accept",
            "x-tee-id",
            "x-ohttp-stream",
            "authorization",
        ];
        if protocol.iter().any(|p| p.eq_ignore_ascii_case(n))
            && !want.keys().any(|w| w.eq_ignore_ascii_case(n))
        {
            bail!("unexpected header {n} was sent");
        }
    }
    Ok(())
}

fn check_outcome(case: &J, outcome: Result<Outcome, Error>) -> Result<()> {
    let Some(expect_error) = case.get("expect_error").and_then(J::as_str) else {
        let o = outcome.map_err(|e| anyhow!("expected success, got {e} [{}]", e.category()))?;
        let want = case.get("expected").context("no `expected`")?;
        eq("content", o.content.as_str(), str_field(want, "content")?)?;
        let want_body = og_canon::parse(&serde_json::to_string(
            want.get("body").context("no expected.body")?,
        )?)
        .map_err(|e| anyhow!("expected.body: {e}"))?;
        eq("body", &o.body, &want_body)?;
        check_proof(&o.proof, want.get("proof").context("no expected.proof")?)?;
        let want_frames: Option<Vec<String>> = match want.get("stream_frames") {
            None | Some(J::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).context("stream_frames")?),
        };
        eq("stream frames", &o.frames, &want_frames)?;
        return Ok(());
    };
    let class = str_field(case, "error_class")?;
    let err = match outcome {
        Ok(o) => bail!(
            "expected error {expect_error} ({class}), got a verified answer of {} bytes",
            o.content.len()
        ),
        Err(e) => e,
    };
    let category = err.category();
    match (class, &err) {
        ("relay", Error::Relay { status, message }) => {
            eq("category", category, expect_error)?;
            if let Some(want) = case.get("error_status").and_then(J::as_u64) {
                eq("relay status", &u64::from(*status), &want)?;
            }
            if let Some(want) = case.get("error_message").and_then(J::as_str) {
                eq("relay message", message.as_str(), want)?;
            }
        }
        (
            "verification",
            Error::Verification(_) | Error::MalformedInner(_) | Error::MissingFinalEvent,
        )
        | ("ohttp", Error::Ohttp(_)) => eq("category", category, expect_error)?,
        _ => bail!("expected a {class} error ({expect_error}), got {err} [{category}]"),
    }
    // No error may carry unverified model output.
    let shown = format!("{err} {err:?}");
    for frame in case
        .get("gateway")
        .and_then(|g| g.get("frames"))
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        let text = str_field(frame, "plaintext_text")?;
        if let Some(content) = delta_text(text) {
            ensure!(
                !shown.contains(&content),
                "the error shows unverified content {content:?}"
            );
        }
    }
    Ok(())
}

/// The delta content of a frame with a non-trivial one (for the no-leak check).
fn delta_text(frame: &str) -> Option<String> {
    let payload = frame.trim().strip_prefix("data:")?.trim();
    let v: J = serde_json::from_str(payload).ok()?;
    let s = v
        .get("choices")?
        .get(0)?
        .get("delta")?
        .get("content")?
        .as_str()?;
    (s.len() >= 3).then(|| s.to_owned())
}

fn check_proof(proof: &og_relay::TeeProof, want: &J) -> Result<()> {
    let got = serde_json::to_value(proof).context("serializing the proof")?;
    let J::Object(want) = want else {
        bail!("expected.proof is not an object")
    };
    for (k, v) in want {
        let g = got
            .get(k)
            .ok_or_else(|| anyhow!("the proof has no `{k}` (it has {got})"))?;
        eq(&format!("proof.{k}"), g, v)?;
    }
    Ok(())
}

/// What the test relay received.
struct Recorded {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A one-shot HTTP/1.1 server on 127.0.0.1: records one request, answers 200 with
/// `response` (as many small chunks with chunked transfer encoding when `chunked`).
fn serve_once(
    response: Vec<u8>,
    chunked: bool,
) -> Result<(SocketAddr, JoinHandle<Result<Recorded>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the test relay")?;
    let addr = listener.local_addr()?;
    let handle = std::thread::spawn(move || -> Result<Recorded> {
        let stream = accept_within(&listener, Duration::from_secs(20))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let recorded = read_request(&mut reader)?;
        answer(stream, &response, chunked)?;
        Ok(recorded)
    });
    Ok((addr, handle))
}

/// Accepts one connection, or fails after `limit` (a client that failed before
/// connecting must not hang the run).
fn accept_within(listener: &TcpListener, limit: Duration) -> Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let deadline = std::time::Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                ensure!(
                    std::time::Instant::now() < deadline,
                    "the client never connected"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e).context("accepting the client"),
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> Result<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    let mut content_length = 0usize;
    loop {
        line.clear();
        ensure!(
            reader.read_line(&mut line)? > 0,
            "the request ended inside its headers"
        );
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').context("a header line without `:`")?;
        let (n, v) = (n.trim().to_owned(), v.trim().to_owned());
        if n.eq_ignore_ascii_case("content-length") {
            content_length = v.parse().context("Content-Length")?;
        }
        ensure!(headers.len() < 100, "too many headers");
        headers.push((n, v));
    }
    ensure!(content_length <= 16 << 20, "request body too large");
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    Ok(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn answer(mut stream: TcpStream, response: &[u8], chunked: bool) -> Result<()> {
    if chunked {
        stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-chunked-res\r\n\
              Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )?;
        // Odd-sized pieces, so chunk and frame boundaries fall anywhere.
        for piece in response.chunks(37) {
            write!(stream, "{:x}\r\n", piece.len())?;
            stream.write_all(piece)?;
            stream.write_all(b"\r\n")?;
            stream.flush()?;
        }
        stream.write_all(b"0\r\n\r\n")?;
    } else {
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            response.len()
        )?;
        stream.write_all(response)?;
    }
    stream.flush()?;
    Ok(())
}
