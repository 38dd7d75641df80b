//! The options `chat`, `serve` and `verify` share: relay, TEE record, token, limits.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use og_relay::registry::{
    DEFAULT_REGISTRY_ADDRESS, DEFAULT_RPC_URL, Registry, RegistryLimits, Selection, TeeType,
};
use og_relay::{BearerToken, ConfidentialClient, Limits, PcrHash, TeeEndpoint, TeeId};

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
    /// `og dev` and `og-sim --tee-file` write it: a self-hosted or pinned enclave,
    /// instead of the on-chain registry.
    #[arg(long, value_name = "FILE", env = "OG_TEE_FILE")]
    pub tee: Option<PathBuf>,

    /// Registry, PCR and tee_id pins.
    #[command(flatten)]
    pub registry: RegistryArgs,

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

    /// Reads the TEE record (`--tee`), if one is given, and checks it against the pins.
    ///
    /// # Errors
    /// A usage failure when the file is unreadable or invalid, or a pin does not match.
    pub fn tee_endpoint(&self) -> Result<Option<TeeEndpoint>, Failure> {
        let Some(path) = &self.tee else {
            return Ok(None);
        };
        let tee = read_tee_record(path)?;
        if let Some(id) = &self.registry.tee_id
            && id != tee.tee_id()
        {
            return Err(Failure::usage(format!(
                "{}: the record's tee_id is {}, not the pinned --tee-id {id}",
                path.display(),
                tee.tee_id()
            )));
        }
        if let Some(pcr) = &self.registry.pcr
            && !tee.pcr_hash().is_some_and(|p| pcr.matches(p))
        {
            return Err(Failure::usage(format!(
                "{}: the record's pcr_hash is {}, not the pinned --pcr {pcr}",
                path.display(),
                tee.pcr_hash()
                    .map_or("absent".to_owned(), ToString::to_string)
            )));
        }
        Ok(Some(tee))
    }

    /// Builds the client: for the TEE record (`--tee`), else for the registry's
    /// selection (which reads the registry now).
    ///
    /// # Errors
    /// A usage failure for a missing or invalid relay URL, TEE record, token file or
    /// registry option; a service failure when the registry cannot be read or has no
    /// usable TEE.
    pub fn client(&self) -> Result<ConfidentialClient, Failure> {
        let Some(relay) = self.relay.as_deref() else {
            return Err(Failure::usage(
                "--relay URL is required (or OG_RELAY_URL); for an offline simulator run `og dev`",
            ));
        };
        let mut builder = ConfidentialClient::builder(relay).limits(self.limits());
        match self.token()? {
            Some(token) => builder = builder.auth(BearerToken::new(token.expose())),
            None => tracing::info!("no relay token given: requests are sent without one"),
        }
        builder = match self.tee_endpoint()? {
            Some(tee) => builder.tee(tee),
            None => builder
                .registry(self.registry.location.registry()?)
                .selection(self.registry.selection())
                .refresh_interval(self.registry.refresh),
        };
        let client = builder.build().map_err(Failure::from)?;
        if let Some(tee) = client.tee() {
            tracing::info!(
                relay = client.relay_url(),
                tee_id = %tee.tee_id(),
                endpoint = tee.endpoint(),
                source = if self.tee.is_some() { "tee record" } else { "registry" },
                "client ready"
            );
        }
        Ok(client)
    }
}

/// Where the on-chain TEE registry is.
#[derive(clap::Args, Clone, Debug)]
pub struct RegistryLocation {
    /// The RPC URL of the chain the TEE registry lives on.
    #[arg(long, value_name = "URL", env = "OG_RPC_URL", default_value = DEFAULT_RPC_URL)]
    pub rpc_url: String,

    /// The TEERegistry contract address.
    #[arg(long = "registry", value_name = "ADDRESS", env = "OG_REGISTRY_ADDRESS", default_value = DEFAULT_REGISTRY_ADDRESS)]
    pub address: String,

    /// Seconds allowed for one registry call.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub rpc_timeout: Duration,
}

impl RegistryLocation {
    /// The registry these options name.
    ///
    /// # Errors
    /// A usage failure for an RPC URL or address that does not parse.
    pub fn registry(&self) -> Result<Registry, Failure> {
        let limits = RegistryLimits {
            read_timeout: self.rpc_timeout,
            total_timeout: self.rpc_timeout,
            connect_timeout: self.rpc_timeout.min(Duration::from_secs(10)),
            ..RegistryLimits::default()
        };
        Registry::with_limits(&self.rpc_url, &self.address, limits).map_err(Failure::from)
    }
}

/// Which registry to read, and what to pin (used when no `--tee` record is given).
#[derive(clap::Args, Clone, Debug)]
pub struct RegistryArgs {
    /// Where the registry is.
    #[command(flatten)]
    pub location: RegistryLocation,

    /// The TEE type to select (0 = LLM proxy, 1 = validator).
    #[arg(long, value_name = "N", env = "OG_TEE_TYPE", default_value_t = 0)]
    pub tee_type: u8,

    /// Use only TEEs whose registered PCR hash (enclave measurement) is this.
    #[arg(long, value_name = "HEX", env = "OG_PCR_HASH", value_parser = parse_pcr)]
    pub pcr: Option<PcrHash>,

    /// Use only this TEE.
    #[arg(long, value_name = "HEX", env = "OG_TEE_ID", value_parser = parse_tee_id)]
    pub tee_id: Option<TeeId>,

    /// Seconds between re-reads of the registry (og serve re-reads in the background).
    #[arg(long = "refresh", value_name = "SECONDS", env = "OG_REFRESH", default_value = "300", value_parser = parse_seconds)]
    pub refresh: Duration,
}

impl RegistryArgs {
    /// The selection policy (type and pins).
    pub fn selection(&self) -> Selection {
        let mut s = Selection::new().tee_type(TeeType::from(self.tee_type));
        if let Some(p) = self.pcr {
            s = s.pin_pcr(p);
        }
        if let Some(id) = self.tee_id {
            s = s.pin_tee_id(id);
        }
        s
    }
}

fn parse_pcr(text: &str) -> Result<PcrHash, String> {
    PcrHash::parse(text.trim()).map_err(|e| e.to_string())
}

fn parse_tee_id(text: &str) -> Result<TeeId, String> {
    TeeId::parse(text.trim()).map_err(|e| e.to_string())
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
