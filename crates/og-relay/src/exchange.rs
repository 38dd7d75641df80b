//! The HTTP side of one exchange: the headers of PROTOCOL §5, the status check, the
//! relay's error message, bounded body reads.

use std::io::Read;

use og_canon::Value;
use og_ohttp_core::{
    OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE, OHTTP_REQUEST_MEDIA_TYPE, OHTTP_RESPONSE_MEDIA_TYPE,
};

use crate::error::{from_io, truncate_chars};
use crate::{AuthProvider, Error};

/// How much of a non-2xx body is read to find the error message. Bigger bodies are
/// cut (a JSON body cut short then falls back to its first 500 characters).
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// The size of each read from the relay while streaming.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// Headers the protocol sets itself; an auth provider may not send these.
const RESERVED: [&str; 8] = [
    "content-type",
    "accept",
    "x-tee-id",
    "x-ohttp-stream",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
];

/// The request headers of PROTOCOL §5, in the reference's order, then the provider's.
///
/// # Errors
/// [`Error::Auth`] when the provider fails, returns a header the protocol sets itself,
/// or a name or value HTTP cannot carry (the value is never echoed).
pub(crate) fn request_headers(
    tee_id: &str,
    stream: bool,
    auth: Option<&dyn AuthProvider>,
) -> Result<Vec<(String, String)>, Error> {
    let mut headers = vec![
        (
            "Content-Type".to_owned(),
            OHTTP_REQUEST_MEDIA_TYPE.to_owned(),
        ),
        (
            "Accept".to_owned(),
            if stream {
                OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE
            } else {
                OHTTP_RESPONSE_MEDIA_TYPE
            }
            .to_owned(),
        ),
        ("X-TEE-ID".to_owned(), tee_id.to_owned()),
    ];
    if stream {
        headers.push(("X-OHTTP-Stream".to_owned(), "true".to_owned()));
    }
    if let Some(provider) = auth {
        for (name, value) in provider.headers()? {
            if ureq::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(Error::Auth(format!(
                    "the authentication provider returned an invalid header name {:?}",
                    truncate_chars(&name)
                )));
            }
            if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
                return Err(Error::Auth(format!(
                    "the authentication provider returned a `{name}` header, which the protocol sets itself"
                )));
            }
            if ureq::http::HeaderValue::from_str(&value).is_err() {
                return Err(Error::Auth(format!(
                    "the authentication provider's `{name}` header value cannot be sent \
                     (line breaks or other control characters)"
                )));
            }
            headers.push((name, value));
        }
    }
    Ok(headers)
}

/// Turns a non-2xx relay response into [`Error::Relay`], reading at most
/// [`ERROR_BODY_LIMIT`] bytes of its body.
pub(crate) fn relay_error(response: ureq::http::Response<ureq::Body>) -> Error {
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let message = format!(
            "the relay redirected to {:?}; redirects are not followed (use the final relay URL)",
            truncate_chars(&location)
        );
        return Error::Relay { status, message };
    }
    let mut body = Vec::new();
    let mut reader = response.into_body().into_reader().take(ERROR_BODY_LIMIT);
    // Whatever arrived before a failure is still the best message we have.
    let _ = reader.read_to_end(&mut body);
    Error::Relay {
        status,
        message: error_message(&body),
    }
}

/// The message of a relay error body (PROTOCOL §5, as the reference extracts it):
/// a JSON object's first truthy `detail` or `error` (or `"relay error"` when neither
/// is), else the first 500 characters of the body as text (or `"relay error"` when
/// empty).
///
/// A string field is used as it is; an object with a string `message` (OpenAI's
/// `{"error": {"message": ...}}`) gives that message; any other value its compact
/// JSON. The result is at most 500 characters.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(Value::Object(map)) = og_canon::parse_slice(body) {
        for key in ["detail", "error"] {
            if let Some(v) = map.get(key).filter(|v| v.is_truthy()) {
                return message_of(v);
            }
        }
        return "relay error".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    if text.is_empty() {
        "relay error".to_owned()
    } else {
        truncate_chars(&text).to_owned()
    }
}

/// The message carried by an `error`/`detail` value, at most 500 characters.
pub(crate) fn message_of(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => match m.get("message") {
            Some(Value::String(s)) => s.clone(),
            _ => compact_json(v),
        },
        _ => compact_json(v),
    };
    truncate_chars(&text).to_owned()
}

fn compact_json(v: &Value) -> String {
    String::from_utf8_lossy(&og_canon::to_json_bytes(v)).into_owned()
}

/// Reads a whole single-shot body, refusing (without buffering) anything over `limit`.
///
/// A declared length (already checked against `limit`) is allocated once; otherwise
/// the buffer grows geometrically but never past `limit`, so the peak is at most
/// twice the limit while it grows (old and new buffer), never three times.
pub(crate) fn read_bounded(
    mut reader: impl Read,
    limit: u64,
    declared: Option<u64>,
) -> Result<Vec<u8>, Error> {
    let cap_limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let first = declared.map_or(0, |n| usize::try_from(n).unwrap_or(0).min(cap_limit));
    let mut out = Vec::with_capacity(first);
    let mut buf = [0u8; READ_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(from_io(e)),
        };
        let len = out.len().saturating_add(n);
        if len > cap_limit {
            return Err(Error::ResponseTooLarge { limit });
        }
        if out.capacity() < len {
            let grown = out
                .capacity()
                .saturating_mul(2)
                .max(64 * 1024)
                .min(cap_limit);
            out.reserve_exact(grown.max(len) - out.len());
        }
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}

/// Fails early when the declared `Content-Length` is over `limit`.
pub(crate) fn check_declared_length(body: &ureq::Body, limit: u64) -> Result<(), Error> {
    match body.content_length() {
        Some(n) if n > limit => Err(Error::ResponseTooLarge { limit }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_protocol_section_5() {
        let h = request_headers("0xab", false, None).unwrap();
        assert_eq!(
            h,
            vec![
                ("Content-Type".into(), "message/ohttp-req".into()),
                ("Accept".into(), "message/ohttp-res".into()),
                ("X-TEE-ID".into(), "0xab".into()),
            ]
        );
        let auth = crate::BearerToken::new("t");
        let h = request_headers("0xab", true, Some(&auth)).unwrap();
        assert_eq!(
            h,
            vec![
                ("Content-Type".into(), "message/ohttp-req".into()),
                ("Accept".into(), "message/ohttp-chunked-res".into()),
                ("X-TEE-ID".into(), "0xab".into()),
                ("X-OHTTP-Stream".into(), "true".into()),
                ("Authorization".into(), "Bearer t".into()),
            ]
        );
    }

    #[test]
    fn auth_headers_cannot_replace_protocol_headers_or_smuggle_lines() {
        let p = || Ok(vec![("accept".to_owned(), "text/html".to_owned())]);
        let e = request_headers("0x", false, Some(&p)).unwrap_err();
        assert!(matches!(&e, Error::Auth(m) if m.contains("accept")), "{e}");

        let p = || Ok(vec![("X-Key".to_owned(), "secret\r\nX-Evil: 1".to_owned())]);
        let e = request_headers("0x", false, Some(&p)).unwrap_err();
        assert!(matches!(&e, Error::Auth(m) if !m.contains("secret")), "{e}");

        let p = || Ok(vec![("Bad Name".to_owned(), "v".to_owned())]);
        assert!(matches!(
            request_headers("0x", false, Some(&p)),
            Err(Error::Auth(_))
        ));

        let p = || Err(Error::Auth("token expired".into()));
        assert!(matches!(
            request_headers("0x", false, Some(&p)),
            Err(Error::Auth(m)) if m == "token expired"
        ));
    }

    #[test]
    fn error_message_follows_the_reference_rules() {
        assert_eq!(
            error_message(br#"{"detail": "Invalid token"}"#),
            "Invalid token"
        );
        assert_eq!(
            error_message(br#"{"error": "rate limited"}"#),
            "rate limited"
        );
        // `detail` wins over `error`; a falsy `detail` falls through to `error`.
        assert_eq!(error_message(br#"{"detail": "d", "error": "e"}"#), "d");
        assert_eq!(error_message(br#"{"detail": "", "error": "e"}"#), "e");
        assert_eq!(error_message(br#"{"detail": null, "error": "e"}"#), "e");
        // OpenAI's envelope.
        assert_eq!(
            error_message(br#"{"error": {"message": "quota", "type": "x"}}"#),
            "quota"
        );
        // Other values: compact JSON.
        assert_eq!(
            error_message(br#"{"detail": [{"loc": ["body"], "msg": "m"}]}"#),
            compact_json(&og_canon::parse(r#"[{"loc": ["body"], "msg": "m"}]"#).unwrap())
        );
        assert_eq!(error_message(br#"{"message": "x"}"#), "relay error");
        assert_eq!(error_message(b""), "relay error");
        // Not a JSON object: the text, cut at 500 characters.
        assert_eq!(error_message(b"[1, 2]"), "[1, 2]");
        let html = format!("<html>{}</html>", "é".repeat(1000));
        let m = error_message(html.as_bytes());
        assert_eq!(m.chars().count(), 500);
        assert!(m.starts_with("<html>é"));
        // Invalid UTF-8 is replaced, not refused.
        assert_eq!(error_message(b"bad \xff gateway"), "bad \u{fffd} gateway");
        // A long string field is cut too.
        let long = format!(r#"{{"detail": "{}"}}"#, "x".repeat(2000));
        assert_eq!(error_message(long.as_bytes()).len(), 500);
    }

    #[test]
    fn bounded_read_refuses_one_byte_over() {
        assert_eq!(read_bounded(&b"abcd"[..], 4, None).unwrap(), b"abcd");
        assert_eq!(read_bounded(&b"abcd"[..], 4, Some(4)).unwrap(), b"abcd");
        assert!(matches!(
            read_bounded(&b"abcde"[..], 4, None),
            Err(Error::ResponseTooLarge { limit: 4 })
        ));
        // An endless body stops at the limit.
        assert!(matches!(
            read_bounded(std::io::repeat(0), 1 << 20, None),
            Err(Error::ResponseTooLarge { .. })
        ));
        // A body longer than it declared is still cut at the limit.
        assert!(matches!(
            read_bounded(std::io::repeat(0), 1 << 20, Some(10)),
            Err(Error::ResponseTooLarge { .. })
        ));
        // Growth never allocates past the limit.
        let body = vec![1u8; 300_000];
        let got = read_bounded(&body[..], 300_000, None).unwrap();
        assert_eq!(got, body);
        assert!(got.capacity() <= 300_000, "{}", got.capacity());
    }
}
