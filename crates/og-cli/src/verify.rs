//! `og verify`: re-checks a saved exchange offline, with no relay and no network.
//!
//! What was sent is always the OpenAI request body (`--request`, or the `request`
//! of an `--exchange`); its canonical form is rebuilt with og-canon. What came back
//! is one of:
//!
//! - `--response FILE`: the TEE's response body (a `chat.completion` object with its
//!   `tee_*` fields, or the `{"status", "body"}` envelope around it); or the signed
//!   final event of a stream, with `--output FILE` holding the signed output (the
//!   concatenated content); or a whole SSE transcript (`data: ...` lines), whose
//!   output is accumulated as the client does. Checked against the trusted key
//!   (`--tee FILE` or `--signing-key PEM_FILE`, optionally `--expect-tee-id`) with
//!   [`og_verify::verify_response`].
//! - `--proof FILE` (a stored [`og_verify::TeeProof`] JSON) with `--output FILE` or
//!   `--response FILE`: re-checked with [`og_verify::verify_proof`], then the proof's
//!   key must be the trusted one (`--tee`, `--signing-key` or `--expect-tee-id` is
//!   required: a proof alone shows only that *some* key signed).
//! - `--exchange FILE`: what `og chat --json` prints (`request`, `response`,
//!   `output`, `proof`); the response is checked when a key is given, else the proof
//!   against `--expect-tee-id`.
//!
//! Exit 0 only when verified; 1 names the failed check (og-verify's category, e.g.
//! `output_hash_mismatch`, with its message); 2 for unusable arguments or files.

use std::path::{Path, PathBuf};

use og_canon::{StreamAccumulator, Value};
use og_relay::TeeProof;
use og_verify::{SigningKey, TeeId, VerifyError};

use crate::Failure;
use crate::json::{obj, proof_value};

/// Options of `og verify`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct VerifyArgs {
    /// The OpenAI request body (JSON) that was sent.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,

    /// The TEE's response: its JSON body (or envelope), a stream's final event (with
    /// --output), or an SSE transcript.
    #[arg(long, value_name = "FILE")]
    pub response: Option<PathBuf>,

    /// The exact signed output text (read byte for byte; no newline is stripped).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// A stored TeeProof (JSON: tee_id, request_hash, output_hash, timestamp,
    /// signature, signing_key_pem, tee_host).
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,

    /// A saved exchange as `og chat --json` prints it: {"request", "response",
    /// "output", "proof"}.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["request"])]
    pub exchange: Option<PathBuf>,

    /// Trust the signing key of this TEE record.
    #[arg(long, value_name = "FILE", conflicts_with = "signing_key")]
    pub tee: Option<PathBuf>,

    /// Trust this signing key (PEM: SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`).
    #[arg(long, value_name = "PEM_FILE")]
    pub signing_key: Option<PathBuf>,

    /// Also require this tee_id (0x + 64 hex digits).
    #[arg(long, value_name = "TEE_ID")]
    pub expect_tee_id: Option<String>,

    /// Trust the signing key the on-chain registry records for --expect-tee-id
    /// (`getTEE`; a TEE since retired still verifies its old answers).
    #[arg(long, requires = "expect_tee_id", conflicts_with_all = ["tee", "signing_key"])]
    pub from_registry: bool,

    /// Where the registry is (with --from-registry).
    #[command(flatten)]
    pub registry: Option<crate::options::RegistryLocation>,
}

fn default_location() -> crate::options::RegistryLocation {
    crate::options::RegistryLocation {
        rpc_url: og_relay::registry::DEFAULT_RPC_URL.to_owned(),
        address: og_relay::registry::DEFAULT_REGISTRY_ADDRESS.to_owned(),
        rpc_timeout: std::time::Duration::from_secs(30),
    }
}

/// Why an exchange did not verify: the failed check and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailed {
    /// The check's category (og-verify's, og-canon's, or `relay_error` for an error
    /// response).
    pub check: &'static str,
    /// The message (never model content).
    pub message: String,
}

impl From<VerifyError> for CheckFailed {
    fn from(e: VerifyError) -> Self {
        CheckFailed {
            check: e.category(),
            message: e.to_string(),
        }
    }
}

/// The outcome of a verification: the proof, or the failed check.
pub type Verdict = Result<TeeProof, CheckFailed>;

/// Runs `og verify`: prints the verdict (human or `--json`) and returns the exit code.
///
/// # Errors
/// A usage failure (exit 2) for unusable arguments or files; a verdict of "not
/// verified" is not an error here but exit code 1.
pub fn run(args: &VerifyArgs, json: bool) -> Result<u8, Failure> {
    let verdict = check(args)?;
    match &verdict {
        Ok(proof) => {
            if json {
                println!(
                    "{}",
                    crate::json::to_text(&obj([
                        ("verified", true.into()),
                        ("proof", proof_value(proof))
                    ]))
                );
            } else {
                println!("VERIFIED: signed inside TEE {}", proof.tee_id());
                print!("{}", crate::json::proof_lines(proof));
            }
            Ok(crate::exit::OK)
        }
        Err(failed) => {
            if json {
                println!(
                    "{}",
                    crate::json::to_text(&obj([
                        ("verified", false.into()),
                        ("check", failed.check.into()),
                        ("message", failed.message.as_str().into()),
                    ]))
                );
            } else {
                println!("NOT VERIFIED: {}: {}", failed.check, failed.message);
            }
            Ok(crate::exit::NOT_VERIFIED)
        }
    }
}

/// What an exchange file holds.
struct Exchange {
    request: Value,
    response: Option<Response>,
    output: Option<String>,
    proof: Option<TeeProof>,
}

/// Checks the exchange the options describe.
///
/// # Errors
/// A usage failure when the arguments or files cannot be used.
pub fn check(args: &VerifyArgs) -> Result<Verdict, Failure> {
    let mut exchange = match &args.exchange {
        Some(path) => read_exchange(path)?,
        None => {
            let Some(path) = &args.request else {
                return Err(Failure::usage(
                    "give --request FILE (the OpenAI request body) or --exchange FILE",
                ));
            };
            Exchange {
                request: read_json(path)?,
                response: None,
                output: None,
                proof: None,
            }
        }
    };
    if let Some(path) = &args.response {
        exchange.response = Some(read_response(path)?);
    }
    if let Some(path) = &args.output {
        let bytes = read(path)?;
        exchange.output = Some(String::from_utf8(bytes).map_err(|_| {
            Failure::usage(format!("{}: the output is not UTF-8 text", path.display()))
        })?);
    }
    if let Some(path) = &args.proof {
        exchange.proof = Some(read_proof(path)?);
    }
    let (key, host) = trusted_key(args)?;
    let expected = match &args.expect_tee_id {
        Some(text) => {
            Some(TeeId::parse(text).map_err(|e| Failure::usage(format!("--expect-tee-id: {e}")))?)
        }
        None => None,
    };

    let canonical = match og_canon::build_inner_request(&exchange.request) {
        Ok(r) => r.canonical_bytes(),
        Err(e) => {
            return Ok(Err(CheckFailed {
                check: e.category(),
                message: format!("the request cannot be canonicalized: {e}"),
            }));
        }
    };

    // With a trusted key and a response: the full check of the response.
    if let (Some(key), Some(response)) = (&key, &exchange.response) {
        let (signed, output) = match signed_event_and_output(response, exchange.output.clone()) {
            Ok(x) => x,
            Err(failed) => return Ok(Err(failed)),
        };
        let Some(output) = output else {
            return Err(Failure::usage(
                "the response is a stream's final event: give --output FILE with the signed \
                 output (the concatenated content), or the whole SSE transcript as --response",
            ));
        };
        return Ok(og_verify::verify_response(
            &canonical,
            &signed,
            &output,
            key,
            expected.as_ref(),
            host.as_deref().unwrap_or(""),
        )
        .map_err(CheckFailed::from));
    }

    // Otherwise a stored proof, re-checked, then tied to the trusted key or tee_id.
    let Some(proof) = &exchange.proof else {
        return Err(Failure::usage(if key.is_none() {
            "give the trusted key (--tee FILE or --signing-key PEM_FILE) with --response FILE, \
             or a stored --proof FILE"
        } else {
            "give --response FILE (the TEE's response) or --proof FILE"
        }));
    };
    if key.is_none() && expected.is_none() {
        return Err(Failure::usage(
            "a proof shows only that some key signed: say which TEE you trust with --tee FILE, \
             --signing-key PEM_FILE or --expect-tee-id TEE_ID",
        ));
    }
    let output = match (&exchange.output, &exchange.response) {
        (Some(o), _) => o.clone(),
        (None, Some(response)) => match signed_event_and_output(response, None) {
            Ok((_, Some(o))) => o,
            Ok((_, None)) => {
                return Err(Failure::usage(
                    "the response is a stream's final event: give --output FILE with the signed output",
                ));
            }
            Err(failed) => return Ok(Err(failed)),
        },
        (None, None) => {
            return Err(Failure::usage(
                "a proof is checked against the signed output: give --output FILE or --response FILE",
            ));
        }
    };
    if let Err(e) = og_verify::verify_proof(proof, &canonical, &output) {
        return Ok(Err(e.into()));
    }
    let actual = SigningKey::from_pem(proof.signing_key_pem())
        .map_err(CheckFailed::from)
        .map(|k| k.tee_id());
    let actual = match actual {
        Ok(a) => a,
        Err(failed) => return Ok(Err(failed)),
    };
    for trusted in key.iter().map(SigningKey::tee_id).chain(expected) {
        if trusted != actual {
            return Ok(Err(VerifyError::ExpectedTeeIdMismatch {
                actual,
                expected: trusted,
            }
            .into()));
        }
    }
    Ok(Ok(proof.clone()))
}

/// A saved response: JSON (a body, an envelope or a final event), or the frames of
/// an SSE transcript.
enum Response {
    Json(Value),
    Sse(Vec<String>),
}

/// The signed object (body or final event) and the signed output, when it can be
/// rebuilt from the response alone.
fn signed_event_and_output(
    response: &Response,
    given_output: Option<String>,
) -> Result<(Value, Option<String>), CheckFailed> {
    let response = match response {
        Response::Json(v) => v,
        Response::Sse(frames) => return accumulate(frames, given_output),
    };
    let mut body = response.clone();
    if let (Some(status), Some(Value::Object(inner))) =
        (response.get("status"), response.get("body"))
    {
        let status = status.as_number().and_then(og_canon::Number::as_u64);
        if status.is_none_or(|s| s >= 400) {
            return Err(CheckFailed {
                check: "relay_error",
                message: format!(
                    "the saved response is an error envelope (status {}), not an answer",
                    status.map_or_else(|| "?".to_owned(), |s| s.to_string())
                ),
            });
        }
        body = Value::Object(inner.clone());
    }
    let is_final_event = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(<[Value]>::first)
        .is_some_and(|c| c.get("delta").is_some() && c.get("message").is_none());
    if let Some(output) = given_output {
        return Ok((body, Some(output)));
    }
    if is_final_event {
        return Ok((body, None));
    }
    let output = og_canon::signed_output(&body).map_err(|e| CheckFailed {
        check: e.category(),
        message: format!("the signed output cannot be rebuilt from the response: {e}"),
    })?;
    Ok((body, Some(output)))
}

/// Accumulates a transcript's frames as the client does: the signed final event and
/// the signed output (unless one is given).
fn accumulate(
    frames: &[String],
    given_output: Option<String>,
) -> Result<(Value, Option<String>), CheckFailed> {
    let failed = |e: og_canon::StreamError| CheckFailed {
        check: e.category(),
        message: e.to_string(),
    };
    let mut acc = StreamAccumulator::new();
    for frame in frames {
        acc.push_frame(frame.as_bytes()).map_err(failed)?;
    }
    let outcome = acc.finish().map_err(failed)?;
    let output = given_output.unwrap_or(outcome.signed_output);
    Ok((outcome.final_event, Some(output)))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    og_canon::parse_slice(&read(path)?)
        .map_err(|e| Failure::usage(format!("{}: not valid JSON: {e}", path.display())))
}

/// A response file: JSON, or an SSE transcript (kept as its frames).
fn read_response(path: &Path) -> Result<Response, Failure> {
    let bytes = read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return read_json(path).map(Response::Json);
    }
    if !(trimmed.starts_with("data:") || trimmed.starts_with(':')) {
        return Err(Failure::usage(format!(
            "{}: neither a JSON response nor an SSE transcript (`data: ...` lines)",
            path.display()
        )));
    }
    let normalized = text.replace("\r\n", "\n");
    let frames = normalized
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| format!("{f}\n\n"))
        .collect();
    Ok(Response::Sse(frames))
}

fn read_proof(path: &Path) -> Result<TeeProof, Failure> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::usage(format!("{}: not a TeeProof: {e}", path.display())))
}

fn read_exchange(path: &Path) -> Result<Exchange, Failure> {
    let v = read_json(path)?;
    let bad = |m: &str| Failure::usage(format!("{}: {m}", path.display()));
    let request = v
        .get("request")
        .filter(|r| r.as_object().is_some())
        .cloned()
        .ok_or_else(|| bad("an exchange needs a `request` object"))?;
    let response = v
        .get("response")
        .filter(|r| !r.is_null())
        .cloned()
        .map(Response::Json);
    let output = match v.get("output") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("`output` must be a string")),
    };
    let proof = match v.get("proof") {
        None | Some(Value::Null) => None,
        Some(p) => Some(
            serde_json::from_str(&crate::json::to_text(p))
                .map_err(|e| bad(&format!("`proof` is not a TeeProof: {e}")))?,
        ),
    };
    Ok(Exchange {
        request,
        response,
        output,
        proof,
    })
}

/// The trusted key and host from `--tee` or `--signing-key`.
fn trusted_key(args: &VerifyArgs) -> Result<(Option<SigningKey>, Option<String>), Failure> {
    if let Some(path) = &args.tee {
        let tee = crate::options::read_tee_record(path)?;
        return Ok((Some(tee.signing_key().clone()), Some(tee.host().to_owned())));
    }
    if let Some(path) = &args.signing_key {
        let text = String::from_utf8(read(path)?)
            .map_err(|_| Failure::usage(format!("{}: not a PEM file", path.display())))?;
        let key = SigningKey::from_pem(&text)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        return Ok((Some(key), None));
    }
    if args.from_registry {
        let id = args
            .expect_tee_id
            .as_deref()
            .ok_or_else(|| Failure::usage("--from-registry needs --expect-tee-id TEE_ID"))?;
        let id = TeeId::parse(id).map_err(|e| Failure::usage(format!("--expect-tee-id: {e}")))?;
        let location = args.registry.clone().unwrap_or_else(default_location);
        let record = location
            .registry()?
            .tee_blocking(&id)
            .map_err(Failure::from)?;
        let key = SigningKey::from_spki_der(record.signing_key_der()).map_err(|e| {
            Failure::service(format!(
                "the registry's signing key for {id} is unusable: {e}"
            ))
        })?;
        tracing::info!(tee_id = %id, enabled = record.enabled(), "signing key read from the registry");
        return Ok((Some(key), Some(record.url().to_owned())));
    }
    Ok((None, None))
}
