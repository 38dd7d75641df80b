//! External vectors for og-ohttp-core: RFC 9180 HPKE, RFC 9458 Appendix A, the chunked
//! OHTTP draft's example, Wycheproof ChaCha20-Poly1305 and X25519.
//!
//! All of them run through og-ohttp-core: the public API where it covers the case, and
//! the crate's doc-hidden `testing` entry points (the same HPKE glue, key schedule and
//! AEAD seam the protocol paths use) where the vector needs what OHTTP never does
//! (arbitrary `info`, AAD and sequence numbers, a raw AEAD key, a known DH output).
//!
//! What each verdict means:
//!
//! - **RFC 9180** (one entry per vector setup, encryption and export): `DeriveKeyPair`
//!   reproduces `skRm`/`pkRm` and `skEm`/`pkEm`; SetupBaseS with the pinned `skEm` (the
//!   deterministic path) and with `ikmE` as the randomness (the `encapsulate_with_rng`
//!   path) both give `enc`; every encryption, in sequence, seals to `ct` on both sender
//!   contexts and opens to `pt` on the SetupBaseR context; every export matches on all
//!   three. The key-schedule internals (`shared_secret`, `key`, `base_nonce`,
//!   `exporter_secret`) are not exposed by the `hpke` crate; the ciphertexts and exports
//!   depend on every one of them.
//! - **RFC 9458 Appendix A** (AES-128-GCM): key configuration parse/serialize/list,
//!   request byte for byte from `skE`, recipient decapsulation, response key schedule
//!   (`prk`, `aead_key`, `aead_nonce`), response sealed byte for byte and opened.
//! - **Chunked draft example**: the response half through the public chunked API
//!   (encrypter byte for byte, decrypter whole and byte by byte, chunk nonces); the
//!   request half (a *chunked request*, which the gateways do not use and the crate's
//!   public API does not offer) through the crate's HPKE glue: same `enc`, every request
//!   chunk sealed and opened with its framing, and the chunked response secret exported.
//! - **Wycheproof ChaCha20-Poly1305** through the response AEAD seam: `valid` must open
//!   to `msg` and seal to `ct || tag`; `invalid` must not open (and, for a nonce that is
//!   not 96 bits, must not seal either).
//! - **Wycheproof X25519** through the KEM path, both directions: the client path
//!   (`ClientRequest::new(public)` + deterministic encapsulation with `private` as the
//!   ephemeral scalar) must produce the same request as one built from the vector's
//!   `shared` DH output; the recipient path (`Recipient::new(private)`) must decapsulate
//!   a request built from `shared` with `public` as `enc`. `valid` cases and `acceptable`
//!   ones with a non-zero `shared` (twist points, non-canonical encodings: RFC 7748
//!   X25519 accepts them, and so does HPKE) must succeed that way. `acceptable` cases
//!   whose `shared` is all zero (low-order points) must be refused, as RFC 9180 §7.1.4
//!   requires: `invalid_public_key` on the client, `decap_failed` on the recipient.
//!   `invalid` cases (none in the file today) must be refused by both paths.

use super::Report;
use super::ohttp::{chunk_nonce, decrypt_pieces, expect_failure, request_info, seal_frames};
use super::util::{eq, eq_bytes, hex_field, hex_list, str_field, u64_field};
use anyhow::{Context, Result, anyhow, bail, ensure};
use og_ohttp_core::{
    ChunkLimits, ClientRequest, KeyConfig, LABEL_CHUNKED_RESPONSE, LABEL_REQUEST, Recipient,
    ResponseContext, ServerResponse, Suite, testing, varint,
};
use serde_json::Value as J;

fn u16_of(v: &J, key: &str) -> Result<u16> {
    u16::try_from(u64_field(v, key)?).with_context(|| format!("field `{key}` is not a u16"))
}

fn u8_of(v: &J, key: &str) -> Result<u8> {
    u8::try_from(u64_field(v, key)?).with_context(|| format!("field `{key}` is not a u8"))
}

fn array<'a>(v: &'a J, key: &str) -> Result<&'a Vec<J>> {
    v.get(key)
        .and_then(J::as_array)
        .ok_or_else(|| anyhow!("field `{key}` missing or not an array"))
}

/// Checks the response key schedule (salt, prk, AEAD key and nonce) against the case,
/// and returns it.
fn check_response_keys(
    case: &J,
    suite: Suite,
    secret: &[u8],
    enc: &[u8],
    nonce: &[u8],
) -> Result<testing::ResponseKeySchedule> {
    eq_bytes("salt", &[enc, nonce].concat(), &hex_field(case, "salt")?)?;
    let keys = testing::response_keys(suite, secret, enc, nonce)?;
    eq_bytes("prk", &keys.prk, &hex_field(case, "prk")?)?;
    eq_bytes("aead_key", &keys.aead_key, &hex_field(case, "aead_key")?)?;
    eq_bytes(
        "aead_nonce",
        &keys.aead_nonce,
        &hex_field(case, "aead_nonce")?,
    )?;
    Ok(keys)
}

fn top_cases(text: &str) -> Result<Vec<J>> {
    super::util::cases(text)
}

// ---------------------------------------------------------------- RFC 9180

pub(crate) fn run_hpke(text: &str) -> Result<Report> {
    let mut report = Report::default();
    for case in top_cases(text)? {
        let label = format!(
            "mode {} kem {} kdf {} aead 0x{:04x}",
            case.get("mode").and_then(J::as_u64).unwrap_or(u64::MAX),
            case.get("kem_id").and_then(J::as_u64).unwrap_or(u64::MAX),
            case.get("kdf_id").and_then(J::as_u64).unwrap_or(u64::MAX),
            case.get("aead_id").and_then(J::as_u64).unwrap_or(u64::MAX),
        );
        match hpke_setup(&case) {
            Err(e) => report.case(&format!("{label} setup"), Err(e)),
            Ok(mut run) => {
                report.case(&format!("{label} setup"), Ok(()));
                let encryptions = case.get("encryptions").and_then(J::as_array);
                for (i, e) in encryptions.into_iter().flatten().enumerate() {
                    report.case(&format!("{label} encryption #{i}"), run.encryption(e));
                }
                let exports = case.get("exports").and_then(J::as_array);
                for (i, e) in exports.into_iter().flatten().enumerate() {
                    report.case(&format!("{label} export #{i}"), run.export(e));
                }
            }
        }
    }
    Ok(report)
}

/// RFC 7748 `decodeScalar25519` of a 32-byte scalar. The `hpke` crate serializes X25519
/// private keys clamped, the CFRG vectors print them as derived; both name the same key.
fn clamped(sk: &[u8]) -> Vec<u8> {
    let mut k = sk.to_vec();
    if let (Some(first), true) = (k.first_mut(), sk.len() == 32) {
        *first &= 248;
    }
    if let (Some(last), true) = (k.last_mut(), sk.len() == 32) {
        *last = (*last & 127) | 64;
    }
    k
}

/// The three contexts of one RFC 9180 vector.
struct HpkeRun {
    sender_det: testing::HpkeContext,
    sender_rng: testing::HpkeContext,
    receiver: testing::HpkeContext,
}

fn hpke_setup(case: &J) -> Result<HpkeRun> {
    ensure!(
        u64_field(case, "mode")? == 0,
        "only base mode (0) is used by OHTTP"
    );
    let (kem, kdf, aead) = (
        u16_of(case, "kem_id")?,
        u16_of(case, "kdf_id")?,
        u16_of(case, "aead_id")?,
    );
    let info = hex_field(case, "info")?;
    let (sk_r, pk_r) = testing::derive_keypair(&hex_field(case, "ikmR")?);
    eq_bytes(
        "skRm = DeriveKeyPair(ikmR)",
        &sk_r,
        &clamped(&hex_field(case, "skRm")?),
    )?;
    eq_bytes(
        "pkRm = DeriveKeyPair(ikmR)",
        &pk_r,
        &hex_field(case, "pkRm")?,
    )?;
    let ikm_e = hex_field(case, "ikmE")?;
    let (sk_e, pk_e) = testing::derive_keypair(&ikm_e);
    eq_bytes(
        "skEm = DeriveKeyPair(ikmE)",
        &sk_e,
        &clamped(&hex_field(case, "skEm")?),
    )?;
    eq_bytes(
        "pkEm = DeriveKeyPair(ikmE)",
        &pk_e,
        &hex_field(case, "pkEm")?,
    )?;
    eq_bytes(
        "pkRm from skRm",
        &testing::x25519_public_key(&hex_field(case, "skRm")?)?,
        &hex_field(case, "pkRm")?,
    )?;
    let want_enc = hex_field(case, "enc")?;
    let sk_em = hex_field(case, "skEm")?;
    let pk_rm = hex_field(case, "pkRm")?;
    let (enc, sender_det) =
        testing::hpke_sender_deterministic(kem, kdf, aead, &pk_rm, &sk_em, &info)?;
    eq_bytes("enc (pinned skEm)", &enc, &want_enc)?;
    let (enc, sender_rng) = testing::hpke_sender_with_ikm(kem, kdf, aead, &pk_rm, &ikm_e, &info)?;
    eq_bytes("enc (ikmE as randomness)", &enc, &want_enc)?;
    let receiver =
        testing::hpke_receiver(kem, kdf, aead, &hex_field(case, "skRm")?, &want_enc, &info)?;
    Ok(HpkeRun {
        sender_det,
        sender_rng,
        receiver,
    })
}

impl HpkeRun {
    fn encryption(&mut self, e: &J) -> Result<()> {
        let (aad, pt, ct) = (
            hex_field(e, "aad")?,
            hex_field(e, "pt")?,
            hex_field(e, "ct")?,
        );
        eq_bytes("ct (pinned skEm)", &self.sender_det.seal(&aad, &pt)?, &ct)?;
        eq_bytes(
            "ct (ikmE as randomness)",
            &self.sender_rng.seal(&aad, &pt)?,
            &ct,
        )?;
        eq_bytes("pt (receiver)", &self.receiver.open(&aad, &ct)?, &pt)
    }

    fn export(&self, e: &J) -> Result<()> {
        let ctx = hex_field(e, "exporter_context")?;
        let len = usize::try_from(u64_field(e, "L")?)?;
        let want = hex_field(e, "exported_value")?;
        eq_bytes(
            "export (pinned skEm)",
            &self.sender_det.export(&ctx, len)?,
            &want,
        )?;
        eq_bytes(
            "export (ikmE as randomness)",
            &self.sender_rng.export(&ctx, len)?,
            &want,
        )?;
        eq_bytes(
            "export (receiver)",
            &self.receiver.export(&ctx, len)?,
            &want,
        )
    }
}

// ---------------------------------------------------------------- RFC 9458 Appendix A

pub(crate) fn run_rfc9458(text: &str) -> Result<Report> {
    let mut report = Report::default();
    for case in top_cases(text)? {
        let name = super::util::name(&case);
        report.case(&format!("{name} key_config"), rfc9458_key_config(&case));
        report.case(&format!("{name} request"), rfc9458_request(&case));
        report.case(&format!("{name} response"), rfc9458_response(&case));
    }
    Ok(report)
}

fn rfc_suite(case: &J) -> Result<Suite> {
    Ok(Suite::new_rfc9458(
        u16_of(case, "kem_id")?,
        u16_of(case, "kdf_id")?,
        u16_of(case, "aead_id")?,
    )?)
}

fn rfc9458_key_config(case: &J) -> Result<()> {
    let bytes = hex_field(case, "key_config")?;
    let config = KeyConfig::parse(&bytes)?;
    eq("key_id", &config.key_id(), &u8_of(case, "key_id")?)?;
    eq("kem_id", &config.kem_id(), &u16_of(case, "kem_id")?)?;
    eq_bytes("public key", config.public_key(), &hex_field(case, "pkR")?)?;
    if let Some(sym) = case.get("key_config_symmetric").and_then(J::as_array) {
        let want: Vec<(u16, u16)> = sym
            .iter()
            .map(|p| Ok((u16_of(p, "kdf_id")?, u16_of(p, "aead_id")?)))
            .collect::<Result<_>>()?;
        eq("symmetric", config.symmetric(), &want[..])?;
    }
    eq_bytes("serialized", &config.to_bytes(), &bytes)?;
    let list = KeyConfig::list_to_bytes(std::slice::from_ref(&config))?;
    eq(
        "list round trip",
        &KeyConfig::parse_list(&list)?,
        &vec![config.clone()],
    )?;
    let rebuilt = KeyConfig::new(
        config.key_id(),
        config.kem_id(),
        config.public_key(),
        config.symmetric(),
    )?;
    eq("KeyConfig::new", &rebuilt, &config)?;
    let suite = rfc_suite(case)?;
    ensure!(
        config.supports(suite),
        "the config does not list the suite used"
    );
    let recipient = Recipient::new(config.key_id(), suite, &hex_field(case, "skR")?)?;
    eq_bytes(
        "pkR (from skR)",
        recipient.public_key(),
        config.public_key(),
    )
}

fn rfc9458_request(case: &J) -> Result<()> {
    let suite = rfc_suite(case)?;
    let key_id = u8_of(case, "key_id")?;
    let config = KeyConfig::parse(&hex_field(case, "key_config")?)?;
    let client = config.client_request(suite)?;
    eq_bytes(
        "info",
        &request_info(LABEL_REQUEST, &suite.header(key_id)),
        &hex_field(case, "info")?,
    )?;
    let plaintext = hex_field(case, "request_plaintext")?;
    let (request, context) =
        client.encapsulate_deterministic_for_tests(&plaintext, &hex_field(case, "skE")?)?;
    eq_bytes("request", &request, &hex_field(case, "request")?)?;
    eq_bytes("enc", context.enc(), &hex_field(case, "enc")?)?;
    eq_bytes(
        "response_secret",
        context.exported_secrets_for_tests().0,
        &hex_field(case, "response_secret")?,
    )?;
    let recipient = Recipient::new(key_id, suite, &hex_field(case, "skR")?)?;
    let (opened, server) = recipient.decapsulate(&request)?;
    eq_bytes("decapsulated", &opened, &plaintext)?;
    eq_bytes(
        "response_secret (recipient)",
        server.exported_secrets_for_tests().0,
        &hex_field(case, "response_secret")?,
    )
}

fn rfc9458_response(case: &J) -> Result<()> {
    let suite = rfc_suite(case)?;
    let enc = hex_field(case, "enc")?;
    let secret = hex_field(case, "response_secret")?;
    let nonce = hex_field(case, "response_nonce")?;
    eq(
        "response nonce length",
        &nonce.len(),
        &suite.response_nonce_len(),
    )?;
    check_response_keys(case, suite, &secret, &enc, &nonce)?;
    let plaintext = hex_field(case, "response_plaintext")?;
    let response = hex_field(case, "response")?;
    let unused = vec![0u8; secret.len()];
    let server = ServerResponse::from_secrets(suite, &enc, &secret, &unused)?;
    eq_bytes(
        "sealed",
        &server.seal_with_nonce(&plaintext, &nonce)?,
        &response,
    )?;
    let context = ResponseContext::from_secrets(suite, &enc, &secret, &unused)?;
    eq_bytes("opened", &context.open(&response)?, &plaintext)
}

// ---------------------------------------------------------------- chunked draft

pub(crate) fn run_chunked_draft(text: &str) -> Result<Report> {
    let mut report = Report::default();
    for case in top_cases(text)? {
        let name = super::util::name(&case);
        report.case(&format!("{name} key_config"), draft_key_config(&case));
        report.case(&format!("{name} request (HPKE glue)"), draft_request(&case));
        report.case(&format!("{name} response"), draft_response(&case));
    }
    Ok(report)
}

fn draft_key_config(case: &J) -> Result<()> {
    let config = KeyConfig::parse(&hex_field(case, "key_config")?)?;
    eq("key_id", &config.key_id(), &u8_of(case, "key_id")?)?;
    eq_bytes("public key", config.public_key(), &hex_field(case, "pkR")?)?;
    let suite = rfc_suite(case)?;
    ensure!(
        config.supports(suite),
        "the config does not list the suite used"
    );
    let recipient = Recipient::new(config.key_id(), suite, &hex_field(case, "skR")?)?;
    eq_bytes(
        "pkR (from skR)",
        recipient.public_key(),
        config.public_key(),
    )
}

/// The label of a chunked request's `info` in the draft (not used by the gateways).
const LABEL_CHUNKED_REQUEST: &str = "message/bhttp chunked request";

fn draft_request(case: &J) -> Result<()> {
    let suite = rfc_suite(case)?;
    let key_id = u8_of(case, "key_id")?;
    let (kem, kdf, aead) = (suite.kem_id(), suite.kdf_id(), suite.aead_id());
    let header = suite.header(key_id);
    let info = hex_field(case, "info")?;
    eq_bytes("info", &request_info(LABEL_CHUNKED_REQUEST, &header), &info)?;
    let pk_r = hex_field(case, "pkR")?;
    let (enc, mut sender) =
        testing::hpke_sender_deterministic(kem, kdf, aead, &pk_r, &hex_field(case, "skE")?, &info)?;
    eq_bytes("enc", &enc, &hex_field(case, "enc")?)?;
    let mut wire = [&header[..], &enc[..]].concat();
    eq_bytes(
        "request_header_and_enc",
        &wire,
        &hex_field(case, "request_header_and_enc")?,
    )?;
    let mut receiver =
        testing::hpke_receiver(kem, kdf, aead, &hex_field(case, "skR")?, &enc, &info)?;
    let chunks = hex_list(case, "request_chunks")?;
    let encapsulated = hex_list(case, "request_encapsulated_chunks")?;
    ensure!(
        chunks.len() == encapsulated.len(),
        "chunk lists differ in length"
    );
    for (i, (pt, want)) in chunks.iter().zip(&encapsulated).enumerate() {
        let is_final = i + 1 == chunks.len();
        let aad: &[u8] = if is_final { b"final" } else { b"" };
        let sealed = sender.seal(aad, pt)?;
        let mut framed = Vec::new();
        varint::encode(if is_final { 0 } else { sealed.len() as u64 }, &mut framed)?;
        framed.extend_from_slice(&sealed);
        eq_bytes(&format!("request chunk {i}"), &framed, want)?;
        eq_bytes(
            &format!("request chunk {i} opened"),
            &receiver.open(aad, &sealed)?,
            pt,
        )?;
        wire.extend_from_slice(&framed);
    }
    eq_bytes("request", &wire, &hex_field(case, "request")?)?;
    let secret = hex_field(case, "chunked_response_secret")?;
    let n = suite.response_nonce_len();
    eq_bytes(
        "chunked_response_secret (sender)",
        &sender.export(LABEL_CHUNKED_RESPONSE.as_bytes(), n)?,
        &secret,
    )?;
    eq_bytes(
        "chunked_response_secret (receiver)",
        &receiver.export(LABEL_CHUNKED_RESPONSE.as_bytes(), n)?,
        &secret,
    )
}

fn draft_response(case: &J) -> Result<()> {
    let suite = rfc_suite(case)?;
    let enc = hex_field(case, "enc")?;
    let secret = hex_field(case, "chunked_response_secret")?;
    let nonce = hex_field(case, "response_nonce")?;
    let keys = check_response_keys(case, suite, &secret, &enc, &nonce)?;
    for (i, want) in hex_list(case, "response_chunk_nonces")?.iter().enumerate() {
        eq_bytes(
            &format!("chunk nonce {i}"),
            &chunk_nonce(&keys.aead_nonce, i as u64),
            want,
        )?;
    }
    let frames = hex_list(case, "response_chunks")?;
    let encapsulated = hex_list(case, "response_encapsulated_chunks")?;
    let response = hex_field(case, "response")?;
    let unused = vec![0u8; secret.len()];

    let server = ServerResponse::from_secrets(suite, &enc, &unused, &secret)?;
    let pieces = seal_frames(&server, &nonce, &frames)?;
    ensure!(pieces.len() == encapsulated.len(), "chunk counts differ");
    for (i, (got, want)) in pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (i, (p, &encapsulated[i])))
    {
        // The first sealed piece carries the response nonce in front.
        let got = if i == 0 {
            got.get(nonce.len()..).unwrap_or_default()
        } else {
            &got[..]
        };
        eq_bytes(&format!("response chunk {i}"), got, want)?;
    }
    eq_bytes("response", &pieces.concat(), &response)?;

    let context = ResponseContext::from_secrets(suite, &enc, &unused, &secret)?;
    let whole = decrypt_pieces(&context, ChunkLimits::default(), &[&response])?;
    eq("frames (whole)", &whole.0, &frames)?;
    let bytes: Vec<&[u8]> = response.chunks(1).collect();
    let split = decrypt_pieces(&context, ChunkLimits::default(), &bytes)?;
    eq("frames (byte by byte)", &split.0, &frames)
}

// ---------------------------------------------------------------- Wycheproof

/// Runs every test of every group of a Wycheproof file.
fn wycheproof(text: &str, run: fn(&J, &J) -> Result<()>) -> Result<Report> {
    let doc: J = serde_json::from_str(text).context("the file is not JSON")?;
    let groups = array(&doc, "testGroups")?;
    let mut report = Report::default();
    for group in groups {
        for test in array(group, "tests")? {
            let id = test.get("tcId").and_then(J::as_u64).unwrap_or(0);
            let comment = test.get("comment").and_then(J::as_str).unwrap_or("");
            report.case(&format!("tcId {id} ({comment})"), run(group, test));
        }
    }
    Ok(report)
}

pub(crate) fn run_wycheproof_chacha20(text: &str) -> Result<Report> {
    wycheproof(text, chacha20_test)
}

fn chacha20_test(group: &J, t: &J) -> Result<()> {
    const CHACHA: u16 = og_ohttp_core::suite::AEAD_CHACHA20_POLY1305;
    let (key, iv, aad) = (
        hex_field(t, "key")?,
        hex_field(t, "iv")?,
        hex_field(t, "aad")?,
    );
    let (msg, ct, tag) = (
        hex_field(t, "msg")?,
        hex_field(t, "ct")?,
        hex_field(t, "tag")?,
    );
    let sealed = [&ct[..], &tag[..]].concat();
    let opened = testing::aead_open(CHACHA, &key, &iv, &aad, &sealed);
    match str_field(t, "result")? {
        "valid" => {
            eq_bytes("opened", &opened?, &msg)?;
            eq_bytes(
                "sealed",
                &testing::aead_seal(CHACHA, &key, &iv, &aad, &msg)?,
                &sealed,
            )
        }
        "invalid" => {
            if let Ok(pt) = opened {
                bail!("an invalid test opened (to {})", hex::encode(pt));
            }
            let iv_bits = group.get("ivSize").and_then(J::as_u64);
            if iv_bits != Some(96) {
                ensure!(
                    testing::aead_seal(CHACHA, &key, &iv, &aad, &msg).is_err(),
                    "sealed with a {iv_bits:?}-bit nonce"
                );
            }
            Ok(())
        }
        // Either outcome is allowed; a successful open must still give `msg`.
        "acceptable" => match opened {
            Ok(pt) => eq_bytes("opened", &pt, &msg),
            Err(_) => Ok(()),
        },
        other => bail!("unknown result `{other}`"),
    }
}

pub(crate) fn run_wycheproof_x25519(text: &str) -> Result<Report> {
    wycheproof(text, x25519_test)
}

/// The plaintext of the requests built for the X25519 checks.
const PROBE: &[u8] = b"wycheproof x25519";

fn x25519_test(_group: &J, t: &J) -> Result<()> {
    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let (public, private, shared) = (
        hex_field(t, "public")?,
        hex_field(t, "private")?,
        hex_field(t, "shared")?,
    );
    let result = str_field(t, "result")?;
    let zero = shared.iter().all(|b| *b == 0);
    let must_refuse = result == "invalid" || zero;
    ensure!(
        matches!(result, "valid" | "acceptable" | "invalid"),
        "unknown result `{result}`"
    );

    // Client path: `public` is the gateway key, `private` the ephemeral scalar.
    let client = ClientRequest::new(0, suite, &public)
        .and_then(|c| c.encapsulate_deterministic_for_tests(PROBE, &private));
    if must_refuse {
        expect_failure(&["invalid_public_key".to_owned()], client).context("client path")?;
    } else {
        let (request, _) = client.context("client path")?;
        let enc = testing::x25519_public_key(&private)?;
        let want = testing::request_from_dh(0, suite, &shared, &enc, &public, PROBE)?;
        eq_bytes(
            "client request (vs. one keyed from `shared`)",
            &request,
            &want,
        )?;
    }

    // Recipient path: `private` is the gateway key, `public` the request's enc.
    let recipient = Recipient::new(0, suite, &private)?;
    let request =
        testing::request_from_dh(0, suite, &shared, &public, recipient.public_key(), PROBE)?;
    let opened = recipient.decapsulate(&request);
    if must_refuse {
        expect_failure(&["decap_failed".to_owned()], opened).context("recipient path")
    } else {
        let (plaintext, server) = opened.context("recipient path")?;
        eq_bytes("recipient plaintext", &plaintext, PROBE)?;
        eq_bytes("recipient enc", server.enc(), &public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::ohttp::tests::run_file;

    #[test]
    fn hpke_vectors() {
        run_file("external/hpke_rfc9180_x25519_sha256.json", run_hpke);
    }

    #[test]
    fn rfc9458_vectors() {
        run_file("external/ohttp_rfc9458_appendix_a.json", run_rfc9458);
    }

    #[test]
    fn chunked_draft_vectors() {
        run_file("external/ohttp_chunked_draft.json", run_chunked_draft);
    }

    #[test]
    fn wycheproof_chacha20_vectors() {
        run_file(
            "external/wycheproof_chacha20_poly1305_test.json",
            run_wycheproof_chacha20,
        );
    }

    #[test]
    fn wycheproof_x25519_vectors() {
        run_file(
            "external/wycheproof_x25519_test.json",
            run_wycheproof_x25519,
        );
    }

    #[test]
    fn clamping() {
        let k = clamped(&[0xff; 32]);
        assert_eq!((k[0], k[31]), (0xf8, 0x7f));
    }
}
