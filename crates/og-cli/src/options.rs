//! The options `chat`, `serve` and `verify` share: relay, TEE record, token, limits.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use og_relay::{BearerToken, Limits, RelayClient, TeeEndpoint};

use crate::Failure;

/// The environment variable read for the relay token when neither `--token` nor
/// `--token-file` is given.
pub const TOKEN_ENV: &str = "OG_RELAY_TOKEN";

/// A secret string (the relay token): never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Parses a positive number of seconds (fractions allowed) into a [`Duration`].
///
/// ```
/// assert_eq!(og_cli::options::parse_seconds("1.5").unwrap().as_millis(), 1500);
/// assert!(og_cli::options::parse_seconds("0").is_err());
/// assert!(og_cli::options::parse_seconds("soon").is_err());
/// ```
///
/// # Errors
/// A message when the text is not a positive, finite number of seconds (at most a
/// year).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 365.0 * 86400.0) {
        return Err(format!("{text:?}: give a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Where the relay is, which TEE to trust, how to authenticate, and the limits.
#[derive(clap::Args, Clone, Debug)]
pub struct RelayArgs {
    /// The OHTTP relay's base URL (`/api/v1/chat/ohttp` is appended unless present).
    #[arg(long, value_name = "URL", env = "OG_RELAY_URL")]
    pub relay: Option<String>,

    /// The TEE record (JSON: tee_id, endpoint, signing_public_key, ohttp, pcr_hash), as
    /// `og dev` and `og-sim --tee-file` write it. Required: the on-chain registry is
    /// not supported yet.
    #[arg(long, value_name = "FILE", env = "OG_TEE_FILE")]
    pub tee: Option<PathBuf>,

    /// The relay's bearer token (default: the OG_RELAY_TOKEN environment variable).
    /// Never logged. Prefer --token-file or the variable: arguments are visible to
    /// other local users.
    #[arg(long, value_name = "TOKEN", conflicts_with = "token_file")]
    pub token: Option<Secret>,

    /// Read the relay's bearer token from this file (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Seconds allowed to connect to the relay (TLS included).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub connect_timeout: Duration,

    /// Seconds the relay may stay silent (also bounds a non-streamed generation).
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = parse_seconds)]
    pub read_timeout: Duration,

    /// Seconds for a whole exchange, first byte to last.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_seconds)]
    pub total_timeout: Duration,

    /// The largest relay response accepted, in bytes (ciphertext).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_response_bytes)]
    pub max_response_bytes: u64,
}

impl RelayArgs {
    /// The limits these options set (the chunk limit stays og-relay's default).
    pub fn limits(&self) -> Limits {
        Limits {
            connect_timeout: self.connect_timeout,
            read_timeout: self.read_timeout,
            total_timeout: self.total_timeout,
            max_response_bytes: self.max_response_bytes,
            ..Limits::default()
        }
    }

    /// The token: `--token`, else `--token-file`, else `OG_RELAY_TOKEN`, else none.
    ///
    /// # Errors
    /// A usage failure when the token file cannot be read or is empty.
    pub fn token(&self) -> Result<Option<Secret>, Failure> {
        if let Some(t) = &self.token {
            return Ok(Some(t.clone()));
        }
        if let Some(path) = &self.token_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!(
                    "cannot read the token file {}: {e}",
                    path.display()
                ))
            })?;
            let token = text.trim();
            if token.is_empty() {
                return Err(Failure::usage(format!(
                    "the token file {} is empty",
                    path.display()
                )));
            }
            return Ok(Some(Secret(token.to_owned())));
        }
        Ok(std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Secret(t.trim().to_owned())))
    }

    /// Reads the TEE record (`--tee`).
    ///
    /// # Errors
    /// A usage failure when `--tee` is missing, or the file is unreadable or invalid.
    pub fn tee_endpoint(&self) -> Result<TeeEndpoint, Failure> {
        let Some(path) = &self.tee else {
            return Err(Failure::usage(
                "--tee FILE is required: the on-chain TEE registry is not supported yet, so \
                 the TEE to trust comes from a TEE record file (try `og dev`, which writes one)",
            ));
        };
        read_tee_record(path)
    }

    /// Builds the relay client for these options.
    ///
    /// # Errors
    /// A usage failure for a missing or invalid relay URL, TEE record or token file.
    pub fn client(&self) -> Result<RelayClient, Failure> {
        let Some(relay) = self.relay.as_deref() else {
            return Err(Failure::usage(
                "--relay URL is required (or OG_RELAY_URL); for an offline simulator run `og dev`",
            ));
        };
        let tee = self.tee_endpoint()?;
        let mut builder = RelayClient::builder(relay, tee).limits(self.limits());
        match self.token()? {
            Some(token) => builder = builder.auth(BearerToken::new(token.expose())),
            None => tracing::info!("no relay token given: requests are sent without one"),
        }
        let client = builder.build().map_err(Failure::from)?;
        tracing::info!(
            relay = client.url(),
            tee_id = %client.endpoint().tee_id(),
            endpoint = client.endpoint().endpoint(),
            "relay client ready"
        );
        Ok(client)
    }
}

/// Reads and checks a TEE record file.
///
/// # Errors
/// A usage failure naming the file and what is wrong with it.
pub fn read_tee_record(path: &Path) -> Result<TeeEndpoint, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the TEE record {}: {e}",
            path.display()
        ))
    })?;
    TeeEndpoint::from_record_json(&text)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let s: Secret = "hunter2".parse().unwrap();
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
