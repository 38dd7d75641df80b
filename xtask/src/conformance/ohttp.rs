//! `ohttp_request.json`, `ohttp_response.json`, `ohttp_chunked.json` (og-ohttp-core).
//!
//! Every case runs through og-ohttp-core's public API (plus its doc-hidden `testing`
//! entry points for the intermediate key-schedule values). Everything is derived from
//! the case data, so a held-back file with other keys and cases runs the same way.
//! Negative cases map the crate's [`og_ohttp_core::Error::category`] onto the vector's
//! `expect_error` / `error_aliases`.

use super::Report;
use super::util::{
    cases, check_category, eq, eq_bytes, expected_error, hex_field, hex_list, name, str_field,
    u64_field,
};
use anyhow::{Context, Result, anyhow, bail, ensure};
use og_ohttp_core::{
    ChunkLimits, ClientRequest, LABEL_REQUEST, Recipient, ResponseContext, ServerResponse, Suite,
    testing, varint,
};
use serde_json::Value as J;

/// Runs `run` on every case of the file.
pub(crate) fn run_cases(text: &str, run: fn(&J) -> Result<()>) -> Result<Report> {
    let mut report = Report::default();
    for case in cases(text)? {
        report.case(&name(&case), run(&case));
    }
    Ok(report)
}

/// A negative case: `result` must be an error whose category is one of `expected`.
pub(crate) fn expect_failure<T>(
    expected: &[String],
    result: Result<T, og_ohttp_core::Error>,
) -> Result<()> {
    match result {
        Ok(_) => bail!("expected error {expected:?}, but the crate accepted the input"),
        Err(e) => check_category(expected, e.category(), &e),
    }
}

/// A `u16` field.
fn u16_field(v: &J, key: &str) -> Result<u16> {
    u16::try_from(u64_field(v, key)?).with_context(|| format!("field `{key}` is not a u16"))
}

/// A `u8` field.
fn u8_field(v: &J, key: &str) -> Result<u8> {
    u8::try_from(u64_field(v, key)?).with_context(|| format!("field `{key}` is not a u8"))
}

/// The suite a response/chunked case uses: its own ids when it has them, else the
/// gateways' suite (these files only describe that suite).
fn case_suite(case: &J) -> Result<Suite> {
    if case.get("aead_id").is_some() {
        Ok(Suite::new_rfc9458(
            u16_field(case, "kem_id")?,
            u16_field(case, "kdf_id")?,
            u16_field(case, "aead_id")?,
        )?)
    } else {
        Ok(Suite::X25519_SHA256_CHACHA20POLY1305)
    }
}

/// `"message/bhttp request" || 0x00 || header`.
pub(crate) fn request_info(label: &str, header: &[u8]) -> Vec<u8> {
    [label.as_bytes(), &[0], header].concat()
}

// ---------------------------------------------------------------- ohttp_request.json

pub(crate) fn run_request(text: &str) -> Result<Report> {
    run_cases(text, request_case)
}

fn request_case(case: &J) -> Result<()> {
    let op = str_field(case, "op")?;
    let expected = expected_error(case);
    match (op, expected) {
        ("encapsulate", None) => {
            encapsulate_positive(case)?;
            decapsulate_positive(case)
        }
        ("encapsulate", Some(expected)) => {
            let (key_id, pk_r) = (u8_field(case, "key_id")?, hex_field(case, "pkR")?);
            let (kem, kdf, aead) = ids(case)?;
            let plaintext = hex_field(case, "plaintext").unwrap_or_default();
            let sk_e = hex_field(case, "skE").unwrap_or_default();
            // The reference client's order: key length, suite ids, then the key exchange.
            let result = ClientRequest::with_ids(key_id, kem, kdf, aead, &pk_r)
                .and_then(|client| client.encapsulate_deterministic_for_tests(&plaintext, &sk_e));
            expect_failure(&expected, result)
        }
        ("decapsulate", None) => decapsulate_positive(case),
        ("decapsulate", Some(expected)) => {
            let (key_id, sk_r) = (u8_field(case, "key_id")?, hex_field(case, "skR")?);
            let request = hex_field(case, "request")?;
            let (kem, kdf, aead) = ids(case)?;
            let result = Suite::new(kem, kdf, aead)
                .and_then(|suite| Recipient::new(key_id, suite, &sk_r))
                .and_then(|r| r.decapsulate(&request));
            expect_failure(&expected, result)
        }
        (other, _) => bail!("unknown op `{other}`"),
    }
}

fn ids(case: &J) -> Result<(u16, u16, u16)> {
    Ok((
        u16_field(case, "kem_id")?,
        u16_field(case, "kdf_id")?,
        u16_field(case, "aead_id")?,
    ))
}

fn suite_of(case: &J) -> Result<Suite> {
    let (kem, kdf, aead) = ids(case)?;
    Ok(Suite::new(kem, kdf, aead)?)
}

fn encapsulate_positive(case: &J) -> Result<()> {
    let suite = suite_of(case)?;
    let key_id = u8_field(case, "key_id")?;
    let client = ClientRequest::new(key_id, suite, &hex_field(case, "pkR")?)?;
    let plaintext = hex_field(case, "plaintext")?;
    if let Ok(t) = str_field(case, "plaintext_text") {
        eq_bytes("plaintext_text", t.as_bytes(), &plaintext)?;
    }
    let header = suite.header(key_id);
    eq_bytes("header", &header, &hex_field(case, "header")?)?;
    eq_bytes(
        "info",
        &request_info(LABEL_REQUEST, &header),
        &hex_field(case, "info")?,
    )?;
    let (request, context) =
        client.encapsulate_deterministic_for_tests(&plaintext, &hex_field(case, "skE")?)?;
    eq_bytes("request", &request, &hex_field(case, "request")?)?;
    eq_bytes("enc", context.enc(), &hex_field(case, "enc")?)?;
    let (rs, crs) = context.exported_secrets_for_tests();
    eq_bytes("response_secret", rs, &hex_field(case, "response_secret")?)?;
    eq_bytes(
        "chunked_response_secret",
        crs,
        &hex_field(case, "chunked_response_secret")?,
    )?;
    Ok(())
}

fn decapsulate_positive(case: &J) -> Result<()> {
    let suite = suite_of(case)?;
    let recipient = Recipient::new(u8_field(case, "key_id")?, suite, &hex_field(case, "skR")?)?;
    if case.get("pkR").is_some() {
        eq_bytes(
            "pkR (from skR)",
            recipient.public_key(),
            &hex_field(case, "pkR")?,
        )?;
    }
    let (plaintext, server) = recipient
        .decapsulate(&hex_field(case, "request")?)
        .context("decapsulate")?;
    eq_bytes(
        "decapsulated plaintext",
        &plaintext,
        &hex_field(case, "plaintext")?,
    )?;
    eq_bytes("enc (recipient)", server.enc(), &hex_field(case, "enc")?)?;
    let (rs, crs) = server.exported_secrets_for_tests();
    eq_bytes(
        "response_secret (recipient)",
        rs,
        &hex_field(case, "response_secret")?,
    )?;
    eq_bytes(
        "chunked_response_secret (recipient)",
        crs,
        &hex_field(case, "chunked_response_secret")?,
    )?;
    Ok(())
}

/// `provenance` {key_id, skR, pkR, skE}: the request that exported `secret_field`. The
/// exported secrets depend on the key, the key id and the ephemeral key, not on the
/// plaintext, so an empty request reproduces them.
fn check_provenance(case: &J, suite: Suite, secret_field: &str) -> Result<()> {
    let Some(p) = case.get("provenance") else {
        return Ok(());
    };
    let key_id = u8_field(p, "key_id")?;
    let pk_r = hex_field(p, "pkR")?;
    let recipient = Recipient::new(key_id, suite, &hex_field(p, "skR")?)?;
    eq_bytes("provenance pkR (from skR)", recipient.public_key(), &pk_r)?;
    let client = ClientRequest::new(key_id, suite, &pk_r)?;
    let (request, context) =
        client.encapsulate_deterministic_for_tests(b"", &hex_field(p, "skE")?)?;
    eq_bytes("provenance enc", context.enc(), &hex_field(case, "enc")?)?;
    let (rs, crs) = context.exported_secrets_for_tests();
    let got = if secret_field == "response_secret" {
        rs
    } else {
        crs
    };
    eq_bytes(
        &format!("provenance {secret_field}"),
        got,
        &hex_field(case, secret_field)?,
    )?;
    let (_, server) = recipient.decapsulate(&request)?;
    let (rs, crs) = server.exported_secrets_for_tests();
    let got = if secret_field == "response_secret" {
        rs
    } else {
        crs
    };
    eq_bytes(
        &format!("provenance {secret_field} (recipient)"),
        got,
        &hex_field(case, secret_field)?,
    )
}

/// `aead_key` / `aead_nonce` of a case, when present, against the crate's key schedule.
fn check_keys(case: &J, suite: Suite, secret: &[u8], enc: &[u8], nonce: &[u8]) -> Result<()> {
    if case.get("aead_key").is_none() && case.get("aead_nonce").is_none() {
        return Ok(());
    }
    let keys = testing::response_keys(suite, secret, enc, nonce)?;
    eq_bytes("aead_key", &keys.aead_key, &hex_field(case, "aead_key")?)?;
    eq_bytes(
        "aead_nonce",
        &keys.aead_nonce,
        &hex_field(case, "aead_nonce")?,
    )
}

// ---------------------------------------------------------------- ohttp_response.json

pub(crate) fn run_response(text: &str) -> Result<Report> {
    run_cases(text, response_case)
}

fn response_case(case: &J) -> Result<()> {
    let suite = case_suite(case)?;
    let enc = hex_field(case, "enc")?;
    let secret = hex_field(case, "response_secret")?;
    let response = hex_field(case, "response")?;
    // The chunked secret is not part of these cases; the single-shot path never reads it.
    let unused = vec![0u8; secret.len()];
    let context = ResponseContext::from_secrets(suite, &enc, &secret, &unused)?;
    if let Some(expected) = expected_error(case) {
        return expect_failure(&expected, context.open(&response));
    }
    let plaintext = hex_field(case, "plaintext")?;
    let nonce = hex_field(case, "response_nonce")?;
    ensure!(
        response.get(..nonce.len()) == Some(&nonce[..]),
        "response does not start with response_nonce"
    );
    check_keys(case, suite, &secret, &enc, &nonce)?;
    eq_bytes("opened", &context.open(&response)?, &plaintext)?;
    let server = ServerResponse::from_secrets(suite, &enc, &secret, &unused)?;
    eq_bytes(
        "sealed",
        &server.seal_with_nonce(&plaintext, &nonce)?,
        &response,
    )?;
    check_provenance(case, suite, "response_secret")
}

// ---------------------------------------------------------------- ohttp_chunked.json

pub(crate) fn run_chunked(text: &str) -> Result<Report> {
    run_cases(text, chunked_case)
}

/// Limits for a vector stream: the defaults, raised only if a positive stream needs it.
fn limits_for(stream: &[u8]) -> ChunkLimits {
    let d = ChunkLimits::default();
    let len = stream.len() as u64;
    ChunkLimits {
        max_chunk: d.max_chunk.max(len),
        max_total: d.max_total.max(len),
    }
}

/// Feeds `pieces` in order, then ends the stream; returns the frames and how many were
/// yielded after each piece (the last piece's count includes the end of the stream).
pub(crate) fn decrypt_pieces(
    context: &ResponseContext,
    limits: ChunkLimits,
    pieces: &[&[u8]],
) -> Result<(Vec<Vec<u8>>, Vec<u64>), og_ohttp_core::Error> {
    let mut frames = Vec::new();
    let mut counts = Vec::new();
    let mut decrypter = context.chunked_decrypter(limits);
    for piece in pieces {
        let before = frames.len();
        decrypter.feed(piece, |f: &[u8]| frames.push(f.to_vec()))?;
        counts.push((frames.len() - before) as u64);
    }
    let before = frames.len();
    decrypter.finish(|f: &[u8]| frames.push(f.to_vec()))?;
    let at_end = (frames.len() - before) as u64;
    match counts.last_mut() {
        Some(last) => *last += at_end,
        None => counts.push(at_end),
    }
    Ok((frames, counts))
}

/// Cuts `stream` at the given offsets.
fn split_at_offsets<'a>(stream: &'a [u8], offsets: &[usize]) -> Result<Vec<&'a [u8]>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for &o in offsets {
        ensure!(
            o >= start && o <= stream.len(),
            "split offset {o} out of order or past the end ({} bytes)",
            stream.len()
        );
        pieces.push(&stream[start..o]);
        start = o;
    }
    pieces.push(&stream[start..]);
    Ok(pieces)
}

/// Seals `frames` as one chunked response (the last as the final chunk): one sealed
/// piece per frame, the first carrying the response nonce.
pub(crate) fn seal_frames(
    server: &ServerResponse,
    nonce: &[u8],
    frames: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>> {
    let mut encrypter = server.chunked_encrypter(nonce)?;
    let (last, rest) = frames
        .split_last()
        .ok_or_else(|| anyhow!("no frames to encrypt"))?;
    let mut pieces = Vec::with_capacity(frames.len());
    for f in rest {
        pieces.push(encrypter.seal_chunk(f)?);
    }
    pieces.push(encrypter.seal_final(last)?);
    Ok(pieces)
}

/// `aead_nonce XOR i`, the 12-byte big-endian counter of chunk `i`.
pub(crate) fn chunk_nonce(aead_nonce: &[u8], i: u64) -> Vec<u8> {
    let mut n = aead_nonce.to_vec();
    let len = n.len();
    for (k, b) in i.to_be_bytes().iter().enumerate() {
        if let Some(x) = (len + k).checked_sub(8).and_then(|j| n.get_mut(j)) {
            *x ^= b;
        }
    }
    n
}

fn chunked_case(case: &J) -> Result<()> {
    let suite = case_suite(case)?;
    let enc = hex_field(case, "enc")?;
    let secret = hex_field(case, "chunked_response_secret")?;
    let stream = hex_field(case, "stream")?;
    let unused = vec![0u8; secret.len()];
    let context = ResponseContext::from_secrets(suite, &enc, &unused, &secret)?;
    if let Some(expected) = expected_error(case) {
        let whole = decrypt_pieces(&context, ChunkLimits::default(), &[&stream]);
        expect_failure(&expected, whole).context("fed whole")?;
        // Extra: byte by byte it must fail as well (any category).
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        ensure!(
            decrypt_pieces(&context, ChunkLimits::default(), &bytes).is_err(),
            "accepted when fed byte by byte"
        );
        return Ok(());
    }
    let frames = hex_list(case, "frames")?;
    let limits = limits_for(&stream);
    let nonce = hex_field(case, "response_nonce")?;
    ensure!(
        stream.get(..nonce.len()) == Some(&nonce[..]),
        "stream does not start with response_nonce"
    );
    check_keys(case, suite, &secret, &enc, &nonce)?;

    // Every listed split yields the frames, with the reference's per-piece counts.
    let splits = case
        .get("splits")
        .and_then(J::as_array)
        .ok_or_else(|| anyhow!("field `splits` missing"))?;
    let per_piece = case.get("frames_per_piece").and_then(J::as_array);
    for (i, split) in splits.iter().enumerate() {
        let offsets: Vec<usize> = serde_json::from_value(split.clone())
            .with_context(|| format!("splits[{i}] is not a list of offsets"))?;
        let pieces = split_at_offsets(&stream, &offsets)?;
        let (got, counts) = decrypt_pieces(&context, limits, &pieces)
            .with_context(|| format!("split #{i} ({} pieces)", pieces.len()))?;
        eq(&format!("frames of split #{i}"), &got, &frames)?;
        if let Some(per_piece) = per_piece {
            let want: Vec<u64> = serde_json::from_value(
                per_piece
                    .get(i)
                    .cloned()
                    .ok_or_else(|| anyhow!("frames_per_piece[{i}] missing"))?,
            )
            .with_context(|| format!("frames_per_piece[{i}] is not a list of counts"))?;
            eq(&format!("frames_per_piece of split #{i}"), &counts, &want)?;
        }
    }

    // The per-chunk details: plaintext, nonce, AAD, framing; they rebuild the stream.
    if let Some(chunks) = case.get("chunks").and_then(J::as_array) {
        let aead_nonce = testing::response_keys(suite, &secret, &enc, &nonce)?.aead_nonce;
        let mut rebuilt = nonce.clone();
        ensure!(
            chunks.len() == frames.len(),
            "chunks and frames differ in number"
        );
        for (i, c) in chunks.iter().enumerate() {
            let is_final = c.get("final").and_then(J::as_bool) == Some(true);
            ensure!(
                is_final == (i + 1 == chunks.len()),
                "chunk {i}: final flag out of place"
            );
            let aad = str_field(c, "aad_text")?;
            ensure!(
                aad == if is_final {
                    og_ohttp_core::LABEL_FINAL
                } else {
                    ""
                },
                "chunk {i}: aad_text {aad:?}"
            );
            eq_bytes(
                &format!("chunk {i} plaintext"),
                &hex_field(c, "plaintext")?,
                &frames[i],
            )?;
            eq_bytes(
                &format!("chunk {i} nonce"),
                &chunk_nonce(&aead_nonce, i as u64),
                &hex_field(c, "nonce")?,
            )?;
            let prefix = hex_field(c, "length_prefix")?;
            let sealed = hex_field(c, "sealed")?;
            let (len, used) = varint::decode(&prefix)?;
            ensure!(
                used == prefix.len(),
                "chunk {i}: length_prefix has trailing bytes"
            );
            let want_len = if is_final { 0 } else { sealed.len() as u64 };
            ensure!(
                len == want_len,
                "chunk {i}: length prefix {len}, expected {want_len}"
            );
            rebuilt.extend_from_slice(&prefix);
            rebuilt.extend_from_slice(&sealed);
        }
        eq_bytes("stream rebuilt from chunks", &rebuilt, &stream)?;
    }

    // reference_encoding: our encrypter reproduces the stream byte for byte.
    if case.get("reference_encoding").and_then(J::as_bool) == Some(true) {
        let server = ServerResponse::from_secrets(suite, &enc, &unused, &secret)?;
        let out = seal_frames(&server, &nonce, &frames)?.concat();
        eq_bytes("re-encrypted stream", &out, &stream)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs one vector file of the repository through its runner; every case must pass.
    pub(crate) fn run_file(relative: &str, run: fn(&str) -> Result<Report>) {
        let path = crate::workspace_root()
            .join("testdata/vectors")
            .join(relative);
        let text = std::fs::read_to_string(&path).expect("vector file");
        let report = run(&text).expect("the file runs");
        assert_eq!(report.failed, 0, "{relative}: {:#?}", report.failures);
        assert!(report.passed > 0, "{relative}: no cases");
    }

    #[test]
    fn request_vectors() {
        run_file("ohttp_request.json", run_request);
    }

    #[test]
    fn response_vectors() {
        run_file("ohttp_response.json", run_response);
    }

    #[test]
    fn chunked_vectors() {
        run_file("ohttp_chunked.json", run_chunked);
    }

    #[test]
    fn chunk_nonce_is_a_big_endian_counter() {
        assert_eq!(
            chunk_nonce(&[0; 12], 0x0102),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
        );
        assert_eq!(chunk_nonce(&[0xff; 12], 1)[11], 0xfe);
    }
}
