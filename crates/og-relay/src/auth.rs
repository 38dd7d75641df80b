//! Authentication to the relay: headers asked for on every request.

use core::fmt;

use zeroize::Zeroizing;

use crate::Error;

/// Supplies the headers that authenticate a request to the relay.
///
/// Called once per request (never cached by the client), so a provider can refresh
/// an expiring token. The headers are sent as given, after the protocol's own
/// (`Content-Type`, `Accept`, `X-TEE-ID`, `X-OHTTP-Stream`), which a provider may not
/// replace.
///
/// Any `Fn() -> Result<Vec<(String, String)>, Error> + Send + Sync` is a provider:
///
/// ```
/// use og_relay::AuthProvider;
/// let provider = || Ok(vec![("X-Api-Key".to_owned(), "k-123".to_owned())]);
/// assert_eq!(provider.headers().unwrap()[0].0, "X-Api-Key");
/// ```
pub trait AuthProvider: Send + Sync {
    /// The headers to add to the next request, as `(name, value)` pairs.
    ///
    /// # Errors
    /// Whatever stops the provider from authenticating (conventionally
    /// [`Error::Auth`]); the request is then not sent.
    fn headers(&self) -> Result<Vec<(String, String)>, Error>;
}

impl<F> AuthProvider for F
where
    F: Fn() -> Result<Vec<(String, String)>, Error> + Send + Sync,
{
    fn headers(&self) -> Result<Vec<(String, String)>, Error> {
        self()
    }
}

/// A fixed bearer token: `Authorization: Bearer <token>`.
///
/// The token is zeroized on drop and never printed (`Debug` shows `<redacted>`).
///
/// ```
/// use og_relay::{AuthProvider, BearerToken};
/// let t = BearerToken::new("s3cret");
/// assert_eq!(format!("{t:?}"), "BearerToken(<redacted>)");
/// assert_eq!(
///     t.headers().unwrap(),
///     vec![("Authorization".to_owned(), "Bearer s3cret".to_owned())]
/// );
/// ```
#[derive(Clone)]
pub struct BearerToken(Zeroizing<String>);

impl BearerToken {
    /// Wraps a token (without the `Bearer ` prefix).
    pub fn new(token: impl Into<String>) -> Self {
        BearerToken(Zeroizing::new(token.into()))
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl AuthProvider for BearerToken {
    fn headers(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(vec![(
            "Authorization".to_owned(),
            format!("Bearer {}", self.0.as_str()),
        )])
    }
}
