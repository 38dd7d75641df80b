//! Exit codes and the error every command returns.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (for `og verify`: verified) |
//! | 1 | verification or integrity failure: the answer was not verified |
//! | 2 | usage or input error (bad arguments, unreadable or invalid files, unsupported request, a registry that cannot be configured) |
//! | 3 | relay, network or service failure (relay error status, unreachable relay, timeout, cannot bind) |

use std::fmt;
use std::process::ExitCode;

/// Success.
pub const OK: u8 = 0;
/// The answer (or the saved exchange) did not verify.
pub const NOT_VERIFIED: u8 = 1;
/// Bad arguments or input.
pub const USAGE: u8 = 2;
/// The relay, the network or a local service failed.
pub const SERVICE: u8 = 3;

/// A command's failure: the exit code and a one-paragraph message for stderr.
///
/// Messages never hold model output or a relay token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The process exit code (see the module docs).
    pub code: u8,
    /// What went wrong, for a person.
    pub message: String,
}

impl Failure {
    /// A usage or input error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    /// A verification failure (exit 1).
    pub fn not_verified(message: impl Into<String>) -> Self {
        Failure {
            code: NOT_VERIFIED,
            message: message.into(),
        }
    }

    /// A relay, network or service failure (exit 3).
    pub fn service(message: impl Into<String>) -> Self {
        Failure {
            code: SERVICE,
            message: message.into(),
        }
    }

    /// The exit code as a process [`ExitCode`].
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<og_relay::Error> for Failure {
    /// Integrity failures exit 1, request and configuration problems 2, the rest 3.
    fn from(e: og_relay::Error) -> Self {
        use og_relay::Error as E;
        let code = match &e {
            E::Ohttp(_) | E::MalformedInner(_) | E::Verification(_) | E::MissingFinalEvent => {
                NOT_VERIFIED
            }
            E::UnsupportedRequest(_)
            | E::InvalidEndpoint(_)
            | E::InvalidUrl(_)
            | E::InvalidRegistry(_) => USAGE,
            _ => SERVICE,
        };
        Failure {
            code,
            message: format!("{e} [{}]", e.category()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_errors_map_to_exit_codes() {
        let f = Failure::from(og_relay::Error::MissingFinalEvent);
        assert_eq!(f.code, NOT_VERIFIED);
        assert!(f.message.contains("missing_final_event"));
        let f = Failure::from(og_relay::Error::Relay {
            status: 401,
            message: "bad token".into(),
        });
        assert_eq!(f.code, SERVICE);
        let f = Failure::from(og_relay::Error::InvalidUrl("x".into()));
        assert_eq!(f.code, USAGE);
    }
}
