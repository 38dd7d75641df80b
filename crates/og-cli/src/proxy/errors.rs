//! Errors in OpenAI's envelope, `{"error": {"message", "type", "code"}}`, with the
//! statuses of PROTOCOL §7.
//!
//! | status | when | `type` |
//! |---|---|---|
//! | 400 | invalid JSON, a body the gateway cannot sign (no `messages`, ...), `stream` not a boolean; an inner 400 of the TEE | `invalid_request_error` |
//! | 401 | the relay refused the token; `--api-key` set and not given | `authentication_error` |
//! | 404 | unknown route or model | `not_found_error` |
//! | 405 | wrong method | `invalid_request_error` |
//! | 413 | request body over the limit | `invalid_request_error` |
//! | 429, other 4xx/5xx | relay (or TEE inner) status, passed through | `rate_limit_error` / `upstream_error` |
//! | 502 | the answer failed verification or integrity checks (never with its content) | `verification_error` |
//! | 503 | relay unreachable, no usable TEE | `service_unavailable_error` |
//! | 504 | the relay timed out | `timeout_error` |

use hyper::StatusCode;

use crate::json::obj;

/// An error answer of the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `error.message`: what went wrong (never model output).
    pub message: String,
    /// `error.type`.
    pub kind: &'static str,
    /// `error.code`, when there is a finer name (og-relay's error category, ...).
    pub code: Option<&'static str>,
}

impl ApiError {
    /// An error with this status, message and type.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind,
            code: None,
        }
    }

    /// Sets `error.code`.
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// 400 `invalid_request_error`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 404 for a route that does not exist.
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found_error", what)
    }

    /// The JSON body: `{"error": {"message", "type", "code"}}` (`code` null when none).
    pub fn body(&self) -> og_canon::Value {
        obj([(
            "error",
            obj([
                ("message", self.message.as_str().into()),
                ("type", self.kind.into()),
                ("code", crate::json::opt_str(self.code)),
            ]),
        )])
    }

    /// Maps an og-relay error. No og-relay error holds model output, and the messages
    /// used here are the error's own (relay error texts are the relay's).
    pub fn from_relay(e: &og_relay::Error) -> Self {
        use og_relay::Error as E;
        let code = e.category();
        match e {
            E::Relay { status, message } => {
                let status = StatusCode::from_u16(*status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::BAD_GATEWAY);
                let kind = match status.as_u16() {
                    400 => "invalid_request_error",
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    429 => "rate_limit_error",
                    _ => "upstream_error",
                };
                ApiError::new(status, kind, format!("relay error {status}: {message}"))
                    .with_code(code)
            }
            E::Transport(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable_error",
                format!("the relay is unreachable: {e}"),
            )
            .with_code(code),
            E::Timeout(_) => {
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout_error", e.to_string())
                    .with_code(code)
            }
            E::UnsupportedRequest(inner) => {
                ApiError::bad_request(format!("unsupported request: {inner}")).with_code(code)
            }
            E::InvalidEndpoint(_)
            | E::InvalidUrl(_)
            | E::NoTee(_)
            | E::Rpc { .. }
            | E::RegistryData(_)
            | E::InvalidRegistry(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable_error",
                match e {
                    E::NoTee(_) => e.to_string(),
                    _ => format!("no usable TEE: {e}"),
                },
            )
            .with_code(code),
            E::Auth(_) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                e.to_string(),
            )
            .with_code(code),
            E::ResponseTooLarge { .. } => {
                ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", e.to_string())
                    .with_code(code)
            }
            // Ohttp, MalformedInner, Verification, MissingFinalEvent
            // and whatever og-relay adds later: the answer was not verified.
            _ => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "verification_error",
                format!("not verified: {e}"),
            )
            .with_code(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_protocol_section_7() {
        let s = |e: og_relay::Error| ApiError::from_relay(&e).status.as_u16();
        assert_eq!(
            s(og_relay::Error::Relay {
                status: 401,
                message: "no".into()
            }),
            401
        );
        assert_eq!(
            s(og_relay::Error::Relay {
                status: 429,
                message: "slow down".into()
            }),
            429
        );
        assert_eq!(
            s(og_relay::Error::Relay {
                status: 302,
                message: "moved".into()
            }),
            502
        );
        assert_eq!(s(og_relay::Error::MissingFinalEvent), 502);
        assert_eq!(s(og_relay::Error::Transport("refused".into())), 503);
        let body =
            crate::json::to_text(&ApiError::from_relay(&og_relay::Error::MissingFinalEvent).body());
        assert!(body.contains(r#""type": "verification_error""#), "{body}");
        assert!(body.contains(r#""code": "missing_final_event""#), "{body}");
    }
}
