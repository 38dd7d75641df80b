//! The crate's error type: one enum over the module errors, each kept as its cause.

use crate::output::OutputError;
use crate::parse::JsonError;
use crate::request::UnsupportedRequest;
use crate::sse::StreamError;

/// Any og-canon error.
///
/// Each module returns its own error type; this enum gathers them for callers that
/// want one type (`?` converts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON text was refused.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A request body cannot become a gateway request.
    #[error(transparent)]
    UnsupportedRequest(#[from] UnsupportedRequest),
    /// A single-shot response's signed output cannot be reproduced.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A stream cannot yield a verifiable output.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

impl Error {
    /// The vector error category (`unsupported_request`, `relay_error`,
    /// `missing_final_event`, `malformed_inner`, `invalid_json`).
    pub fn category(&self) -> &'static str {
        match self {
            Error::Json(e) => e.category(),
            Error::UnsupportedRequest(e) => e.category(),
            Error::Output(e) => e.category(),
            Error::Stream(e) => e.category(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_pass_through() {
        let e: Error = crate::parse("[").unwrap_err().into();
        assert_eq!(e.category(), "invalid_json");
        let body = crate::parse("[]").unwrap();
        let e: Error = crate::build_inner_request(&body).unwrap_err().into();
        assert_eq!(e.category(), "unsupported_request");
        assert_eq!(e.to_string(), "request body must be a JSON object");
        let e: Error = StreamError::MissingFinalEvent.into();
        assert_eq!(e.category(), "missing_final_event");
    }
}
