//! `verify.json` and the Wycheproof RSA-PSS files (og-verify).
//!
//! `verify.json`, kind `key`: the tee_id is Keccak-256 of `spki_der` as given; the
//! key parsed from `spki_der` gives `pem`, `tee_id`, `bits` and `public_exponent`;
//! each of `alt_pems` gives the same SPKI DER and tee_id. A key og-verify refuses
//! passes only if the case is `may_reject` or the key is below 2048 bits (both
//! decided refusals, PROTOCOL §8), and the refusal must be typed `unsupported_key`.
//!
//! Kind `verify`: `canonical_text` is the request bytes, `response_body_text` is
//! parsed exactly with og-canon, `response_content` is the signed output. A positive
//! case must give exactly `expected_proof` (compared through serde_json), the proof
//! must survive a serde round trip and re-verify with `verify_proof`, and
//! `msg_hash` must equal `signed.msg_hash` when given. A `may_reject` case may
//! instead be refused with a refusal-type error (a key, encoding, tee_id or
//! timestamp refusal; a hash or tee_id *mismatch* or a failed RSA check means a bug
//! and fails the case). A negative case must fail with `expect_error` or one of its
//! `error_aliases`. The expected tee_id: `null` is none; an empty string is refused
//! by og-verify's `TeeId::parse` (the `may_reject` rule), except in negative cases,
//! which run it as the reference does (no expectation); any other string og-verify
//! cannot parse is run as a tee_id that matches no key, which is what the reference
//! does with it (a mismatch at step 3).
//!
//! Wycheproof `rsa_pss_*`: every test of a SHA-256 / MGF1-SHA-256 / sLen 32 group
//! goes through `og_verify::verify_pss_sha256` (the same code as step 6): `valid`
//! must verify, `invalid` must not, and `acceptable` (absent from these files) passes
//! either way. Every test of a group with other parameters must be rejected, whatever
//! its `result`: those signatures are valid only under their own parameters and our
//! verifier's are fixed. A group whose key og-verify refuses (below 2048 bits, not
//! RSA ...) counts each test as rejected; that passes except for a `valid` test of our
//! parameters, which passes only when the refusal is the 2048-bit minimum
//! (PROTOCOL §8). The present files hold only 2048- to 4096-bit keys.

use super::Report;
use super::util::{
    cases, check_category, eq, eq_bytes, expected_error, hex_field, name, str_field, u64_field,
};
use anyhow::{Context, Result, anyhow, bail};
use og_verify::{SigningKey, TeeId, TeeProof, VerifyError};
use serde_json::Value as J;

pub(crate) fn run_verify(text: &str) -> Result<Report> {
    let mut report = Report::default();
    for case in cases(text)? {
        let outcome = match case.get("kind").and_then(J::as_str) {
            Some("key") => key_case(&case),
            Some("verify") => verify_case(&case),
            other => Err(anyhow!("unknown case kind {other:?}")),
        };
        report.case(&name(&case), outcome);
    }
    Ok(report)
}

fn flag(case: &J, key: &str) -> bool {
    case.get(key).and_then(J::as_bool) == Some(true)
}

fn key_case(case: &J) -> Result<()> {
    let der = hex_field(case, "spki_der")?;
    let want_id = TeeId::parse(str_field(case, "tee_id")?).context("the case's tee_id")?;
    eq("tee_id of the DER", &TeeId::from_key_der(&der), &want_id)?;
    let key = match SigningKey::from_spki_der(&der) {
        Ok(key) => key,
        Err(e) => {
            let small = matches!(e, VerifyError::KeyTooSmall { .. });
            if (flag(case, "may_reject") || small) && e.category() == "unsupported_key" {
                return Ok(());
            }
            bail!("the key is refused: {e}");
        }
    };
    eq("pem", key.to_pem().as_str(), str_field(case, "pem")?)?;
    eq("tee_id", &key.tee_id(), &want_id)?;
    eq_bytes("spki_der", key.spki_der(), &der)?;
    if case.get("bits").is_some() {
        eq("bits", &(key.bits() as u64), &u64_field(case, "bits")?)?;
    }
    if case.get("public_exponent").is_some() {
        let e = u64_field(case, "public_exponent")?;
        eq("public_exponent", &key.public_exponent(), &e)?;
    }
    if let Some(J::Array(alts)) = case.get("alt_pems") {
        for alt in alts {
            let pem = str_field(alt, "pem")?;
            let format = alt.get("format").and_then(J::as_str).unwrap_or("?");
            let k = SigningKey::from_pem(pem)
                .map_err(|e| anyhow!("alt_pems ({format}) refused: {e}"))?;
            eq(
                &format!("alt_pems ({format}) tee_id"),
                &k.tee_id(),
                &want_id,
            )?;
            eq_bytes(&format!("alt_pems ({format}) spki_der"), k.spki_der(), &der)?;
        }
    }
    Ok(())
}

/// Errors that may stand for a `may_reject` refusal: the input was refused, not
/// found to be forged.
fn is_refusal(e: &VerifyError) -> bool {
    !matches!(
        e,
        VerifyError::TeeIdMismatch { .. }
            | VerifyError::ExpectedTeeIdMismatch { .. }
            | VerifyError::RequestHashMismatch { .. }
            | VerifyError::OutputHashMismatch { .. }
            | VerifyError::BadSignature
    )
}

/// What one `verify` case came to.
enum Verdict {
    /// `response_body_text` is not JSON og-canon reads (a refusal, per the README).
    Unreadable(og_canon::JsonError),
    /// og-verify's answer.
    Ran(Result<TeeProof, VerifyError>),
}

fn verify_case(case: &J) -> Result<()> {
    let negative = expected_error(case);
    let may_reject = flag(case, "may_reject");
    match (negative.as_deref(), run_one(case, negative.is_some())?) {
        (Some(expected), Verdict::Ran(Err(e))) => check_category(expected, e.category(), &e),
        (Some(expected), Verdict::Ran(Ok(_))) => bail!("verified, but {expected:?} was expected"),
        (Some(_), Verdict::Unreadable(_)) => Ok(()),
        (None, Verdict::Ran(Ok(proof))) => check_proof(case, &proof),
        (None, Verdict::Ran(Err(e))) if may_reject && is_refusal(&e) => Ok(()),
        (None, Verdict::Ran(Err(e))) => bail!("refused ({}): {e}", e.category()),
        (None, Verdict::Unreadable(_)) if may_reject => Ok(()),
        (None, Verdict::Unreadable(e)) => {
            bail!("response_body_text is not JSON og-canon reads: {e}")
        }
    }
}

fn run_one(case: &J, negative: bool) -> Result<Verdict> {
    let canonical = str_field(case, "canonical_text")?;
    let content = str_field(case, "response_content")?;
    let host = case.get("tee_host").and_then(J::as_str).unwrap_or("");
    let pem = str_field(case, "signing_key_pem")?;
    let response = match og_canon::parse(str_field(case, "response_body_text")?) {
        Ok(v) => v,
        Err(e) => return Ok(Verdict::Unreadable(e)),
    };
    let key = match SigningKey::from_pem(pem) {
        Ok(key) => key,
        Err(e) => return Ok(Verdict::Ran(Err(e))),
    };
    let expected = match case.get("expected_tee_id").and_then(J::as_str) {
        None => None,
        Some(text) => match TeeId::parse(text) {
            Ok(id) => Some(id),
            Err(_) if text.is_empty() && negative => None,
            Err(e) if text.is_empty() => return Ok(Verdict::Ran(Err(e))),
            // The reference compares the string and finds no match at step 3: a
            // tee_id that differs from the key's in every byte does the same.
            Err(_) => Some(TeeId::from_bytes(key.tee_id().as_bytes().map(|b| !b))),
        },
    };
    Ok(Verdict::Ran(og_verify::verify_response(
        canonical.as_bytes(),
        &response,
        content,
        &key,
        expected.as_ref(),
        host,
    )))
}

fn check_proof(case: &J, proof: &TeeProof) -> Result<()> {
    let want = case
        .get("expected_proof")
        .ok_or_else(|| anyhow!("a positive case without `expected_proof`"))?;
    let got = serde_json::to_value(proof).context("serializing the proof")?;
    if &got != want {
        bail!("proof differs:\n    got  {got}\n    want {want}");
    }
    let back: TeeProof = serde_json::from_value(got).context("reading the proof back")?;
    eq("proof after a serde round trip", &back, proof)?;
    og_verify::verify_proof(
        &back,
        str_field(case, "canonical_text")?.as_bytes(),
        str_field(case, "response_content")?,
    )
    .map_err(|e| anyhow!("verify_proof refused the stored proof: {e}"))?;
    if let Some(m) = case
        .get("signed")
        .and_then(|s| s.get("msg_hash"))
        .and_then(J::as_str)
    {
        let hash = |h: &str| -> Result<[u8; 32]> {
            let v = hex::decode(h).context("proof hash hex")?;
            v.try_into()
                .map_err(|_| anyhow!("proof hash is not 32 bytes"))
        };
        let got = og_verify::msg_hash(
            &hash(proof.request_hash())?,
            &hash(proof.output_hash())?,
            proof.timestamp(),
        );
        eq("msg_hash", hex::encode(got).as_str(), m)?;
    }
    Ok(())
}

pub(crate) fn run_wycheproof_rsa_pss(text: &str) -> Result<Report> {
    let doc: J = serde_json::from_str(text).context("the file is not JSON")?;
    let Some(J::Array(groups)) = doc.get("testGroups") else {
        bail!("the file has no `testGroups` array");
    };
    let mut report = Report::default();
    for group in groups {
        let param = |k: &str| match group.get(k) {
            Some(J::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "?".to_owned(),
        };
        let params = format!(
            "{} / {}-{} / sLen {}",
            param("sha"),
            param("mgf"),
            param("mgfSha"),
            param("sLen")
        );
        let ours = group.get("sha").and_then(J::as_str) == Some("SHA-256")
            && group.get("mgf").and_then(J::as_str) == Some("MGF1")
            && group.get("mgfSha").and_then(J::as_str) == Some("SHA-256")
            && group.get("sLen").and_then(J::as_u64) == Some(32);
        let key = hex_field(group, "publicKeyDer").map(|der| SigningKey::from_spki_der(&der));
        let Some(J::Array(tests)) = group.get("tests") else {
            report.case(&params, Err(anyhow!("a group without `tests`")));
            continue;
        };
        for test in tests {
            let label = format!("{} ({params})", name(test));
            let outcome = wycheproof_test(test, ours, &key);
            report.case(&label, outcome);
        }
    }
    Ok(report)
}

fn wycheproof_test(
    test: &J,
    ours: bool,
    key: &Result<Result<SigningKey, VerifyError>>,
) -> Result<()> {
    let result = str_field(test, "result")?;
    let key = match key {
        Err(e) => bail!("publicKeyDer: {e:#}"),
        Ok(Err(refused)) => {
            let policy = matches!(refused, VerifyError::KeyTooSmall { .. });
            return if ours && result == "valid" && !policy {
                Err(anyhow!("the key is refused: {refused}"))
            } else {
                Ok(())
            };
        }
        Ok(Ok(key)) => key,
    };
    let msg = hex_field(test, "msg")?;
    let sig = hex_field(test, "sig")?;
    let verdict = og_verify::verify_pss_sha256(key, &msg, &sig);
    match (ours, result, verdict) {
        (true, "valid", Ok(())) | (true, "invalid", Err(_)) | (true, "acceptable", _) => Ok(()),
        (true, "valid", Err(e)) => bail!("a valid signature was rejected: {e}"),
        (true, "invalid", Ok(())) => bail!("an invalid signature was accepted"),
        (true, other, _) => bail!("unknown result {other:?}"),
        (false, _, Err(_)) => Ok(()),
        (false, _, Ok(())) => {
            bail!("a signature made with other PSS parameters was accepted")
        }
    }
}
