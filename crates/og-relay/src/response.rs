//! The single-shot answer: inner envelope, signed output, verification.

use og_canon::{Hash32, Value};
use og_verify::TeeProof;

use crate::exchange::message_of;
use crate::{Error, TeeEndpoint};

/// A chat completion whose enclave signature has been verified.
///
/// Only this crate builds one, and only after [`og_verify`] accepted the signature
/// over the request hash and the exact `content` below.
#[derive(Clone, Debug)]
pub struct VerifiedChatResponse {
    body: Value,
    content: String,
    proof: TeeProof,
    frames: Option<Vec<String>>,
}

impl VerifiedChatResponse {
    /// The inner response body (an OpenAI `chat.completion` object with the `tee_*`
    /// signature fields).
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The signed output: the assistant's text, or for a tool-call answer the
    /// canonical JSON of its `tool_calls`.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The proof: tee_id, hashes, timestamp, signature, key and host.
    pub fn proof(&self) -> &TeeProof {
        &self.proof
    }

    /// For an answer that was streamed (and verified whole before being returned):
    /// its decrypted SSE frames, ready to replay. `None` for a single-shot answer.
    pub fn stream_frames(&self) -> Option<&[String]> {
        self.frames.as_deref()
    }

    /// The body, content and proof, by value.
    pub fn into_parts(self) -> (Value, String, TeeProof) {
        (self.body, self.content, self.proof)
    }
}

impl From<crate::VerifiedStream> for VerifiedChatResponse {
    /// A verified stream as one answer: the body is its signed final event, the
    /// frames are kept ([`VerifiedChatResponse::stream_frames`]).
    fn from(stream: crate::VerifiedStream) -> Self {
        let (frames, content, final_event, proof) = stream.into_verified_parts();
        VerifiedChatResponse {
            body: final_event,
            content,
            proof,
            frames: Some(frames),
        }
    }
}

/// Splits the decrypted single-shot plaintext into `(status, body)`.
///
/// `{"status": <int>, "body": {...}}` is an envelope; an object without `status` is a
/// bare body (status 200). Stricter than the reference (PROTOCOL §8): a `status` that
/// is not an integer HTTP status (100..=599), or an envelope whose `body` is not an
/// object, is [`Error::MalformedInner`]; so is anything that is not a JSON object.
pub(crate) fn split_envelope(plaintext: &[u8]) -> Result<(u16, Value), Error> {
    let value = og_canon::parse_slice(plaintext).map_err(|e| {
        Error::MalformedInner(format!("the decrypted response is not valid JSON ({e})"))
    })?;
    let Value::Object(mut map) = value else {
        return Err(Error::MalformedInner(
            "the decrypted response is not a JSON object".into(),
        ));
    };
    let Some(status) = map.get("status") else {
        return Ok((200, Value::Object(map)));
    };
    let status = status
        .as_number()
        .and_then(|n| n.as_u64())
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| (100..=599).contains(n))
        .ok_or_else(|| {
            Error::MalformedInner(
                "the inner `status` is not an integer HTTP status code (100..=599)".into(),
            )
        })?;
    match map.remove("body") {
        Some(body @ Value::Object(_)) => Ok((status, body)),
        _ => Err(Error::MalformedInner(
            "the inner envelope has a `status` but no `body` object".into(),
        )),
    }
}

/// Opens, parses and verifies a single-shot plaintext.
pub(crate) fn verify_single(
    plaintext: &[u8],
    request_hash: &Hash32,
    endpoint: &TeeEndpoint,
) -> Result<VerifiedChatResponse, Error> {
    let (status, body) = split_envelope(plaintext)?;
    if status >= 400 {
        let message = body
            .get("error")
            .map(message_of)
            .unwrap_or_else(|| "TEE inner error".to_owned());
        return Err(Error::Relay { status, message });
    }
    let content = og_canon::signed_output(&body)
        .map_err(|e| Error::MalformedInner(format!("the signed output cannot be rebuilt: {e}")))?;
    let proof = og_verify::verify_response_with_request_hash(
        request_hash,
        &body,
        &content,
        endpoint.signing_key(),
        Some(endpoint.tee_id()),
        endpoint.host(),
    )?;
    Ok(VerifiedChatResponse {
        frames: None,
        body,
        content,
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(text: &str) -> Result<u16, Error> {
        split_envelope(text.as_bytes()).map(|(s, _)| s)
    }

    #[test]
    fn envelopes_and_bare_bodies() {
        let (s, b) = split_envelope(br#"{"status": 200, "body": {"id": "x"}}"#).unwrap();
        assert_eq!(s, 200);
        assert_eq!(b.get("id").and_then(Value::as_str), Some("x"));
        let (s, b) = split_envelope(br#"{"id": "y", "choices": []}"#).unwrap();
        assert_eq!(s, 200);
        assert_eq!(b.get("id").and_then(Value::as_str), Some("y"));
        assert_eq!(status_of(r#"{"status": 503, "body": {}}"#).unwrap(), 503);
    }

    #[test]
    fn malformed_inner_responses() {
        for bad in [
            r#"{"status": "200", "body": {}}"#,
            r#"{"status": true, "body": {}}"#,
            r#"{"status": 200.0, "body": {}}"#,
            r#"{"status": 99999, "body": {}}"#,
            r#"{"status": -1, "body": {}}"#,
            r#"{"status": 200}"#,
            r#"{"status": 200, "body": "text"}"#,
            r#"[1]"#,
            r#""text""#,
            "not json",
            "",
        ] {
            assert!(
                matches!(status_of(bad), Err(Error::MalformedInner(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_inner_never_echoes_the_plaintext() {
        let secret = r#"{"status": "the secret answer", "body": {}}"#;
        let e = status_of(secret).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("secret answer"));
    }
}
