//! The on-chain TEE registry (PROTOCOL §6): find an attested TEE instead of
//! configuring one.
//!
//! - [`Registry`] reads the `TEERegistry` contract (`getActiveTEEs`, `getTEE`) through
//!   an alloy provider over a bounded, rustls-only HTTP transport.
//! - [`RegisteredTee`] is one decoded record; [`RegisteredTee::endpoint`] is the
//!   checked [`TeeEndpoint`](crate::TeeEndpoint) or the reason ([`Unusable`]) the record
//!   is skipped.
//! - [`Selection`] picks one OHTTP-capable LLM-proxy TEE, honouring an optional PCR pin
//!   and tee_id pin.
//! - [`Resolver`] keeps the selection for a long-running process, re-reads the
//!   registry on an interval, drops a TEE that left or rotated its keys, and fails over
//!   after a transport failure; [`BlockingResolver`] is its synchronous face.
//!
//! ```no_run
//! use og_relay::registry::{Registry, Resolver, Selection};
//! # async fn run() -> Result<(), og_relay::Error> {
//! let registry = Registry::public()?; // the reference's RPC URL and registry address
//! for tee in registry.active_tees(Default::default()).await? {
//!     println!("{} {} capable={}", tee.tee_id(), tee.url(), tee.ohttp_capable());
//! }
//! let resolver = Resolver::new(registry, Selection::new());
//! let tee = resolver.endpoint().await?; // selected at random among the usable ones
//! # Ok(()) }
//! ```
//!
//! Records are decoded per §6: `tee_id` = Keccak-256 of the stored key bytes; a record
//! with an empty endpoint or TLS certificate is skipped (logged with `tracing` at
//! `warn`, naming the reason); an empty OHTTP key means "no OHTTP config"; a
//! `keyConfig` blob that disagrees with the separate fields makes the record
//! unusable, never trusted.

mod abi;
mod block_on;
mod entry;
mod resolver;
mod select;
mod transport;

use core::fmt;
use core::str::FromStr;
use std::time::Duration;

use alloy_primitives::Address;
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_client::RpcClient;
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use alloy_sol_types::SolCall;
use og_verify::TeeId;

pub use entry::{RegisteredTee, TeeType, Unusable, decode_active_tees, decode_tee};
pub use resolver::{BlockingResolver, DropReason, Refresh, Resolver};
pub use select::Selection;

use crate::Error;
use crate::error::truncate_chars;
use abi::TEERegistry;

/// The reference SDK's default RPC URL (OpenGradient's devnet).
pub const DEFAULT_RPC_URL: &str = "https://ogevmdevnet.opengradient.ai";

/// The reference SDK's default `TEERegistry` address.
pub const DEFAULT_REGISTRY_ADDRESS: &str = "0x703cB174AEadB35D611858369B4b1111dC9Abda6";

/// Time and size bounds of every registry call (an RPC node is untrusted input).
///
/// ```
/// use std::time::Duration;
/// let limits = og_relay::registry::RegistryLimits {
///     total_timeout: Duration::from_secs(5),
///     ..Default::default()
/// };
/// assert_eq!(limits.max_response_bytes, 16 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryLimits {
    /// Resolving and connecting to the node. Default 10 s.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading the answer. Default 30 s.
    pub read_timeout: Duration,
    /// The whole call. Default 60 s.
    pub total_timeout: Duration,
    /// Largest answer read, in bytes; a larger one is refused without being
    /// buffered. Default 16 MiB (a `TEEInfo` with a certificate is a few KiB).
    pub max_response_bytes: u64,
}

impl Default for RegistryLimits {
    fn default() -> Self {
        RegistryLimits {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_response_bytes: 16 << 20,
        }
    }
}

/// A `TEERegistry` contract reached through one RPC node.
///
/// Cheap to clone (the provider is shared). Its methods are `async` and work on any
/// executor: each call runs on a short-lived thread of its own.
///
/// ```
/// let registry = og_relay::registry::Registry::new(
///     "http://127.0.0.1:8545",
///     "0x703cB174AEadB35D611858369B4b1111dC9Abda6",
/// )?;
/// assert_eq!(registry.rpc_url(), "http://127.0.0.1:8545");
/// # Ok::<(), og_relay::Error>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    provider: RootProvider,
    address: Address,
    rpc_url: String,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("rpc_url", &self.rpc_url)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// The registry at `address` (20 bytes as `0x` hex; mixed case must be a valid
    /// EIP-55 checksum) through the node at `rpc_url` (`http://` or `https://`), with
    /// default [`RegistryLimits`].
    ///
    /// # Errors
    /// [`Error::InvalidRegistry`] for a URL that is not http(s) or an address that
    /// does not parse.
    pub fn new(rpc_url: &str, address: &str) -> Result<Registry, Error> {
        Registry::with_limits(rpc_url, address, RegistryLimits::default())
    }

    /// The reference's public defaults: [`DEFAULT_RPC_URL`] and
    /// [`DEFAULT_REGISTRY_ADDRESS`].
    ///
    /// # Errors
    /// None in practice (the defaults parse); the `Result` mirrors [`Registry::new`].
    pub fn public() -> Result<Registry, Error> {
        Registry::new(DEFAULT_RPC_URL, DEFAULT_REGISTRY_ADDRESS)
    }

    /// As [`Registry::new`], with explicit limits.
    ///
    /// # Errors
    /// As [`Registry::new`].
    pub fn with_limits(
        rpc_url: &str,
        address: &str,
        limits: RegistryLimits,
    ) -> Result<Registry, Error> {
        let lower = rpc_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(Error::InvalidRegistry(format!(
                "the RPC URL {rpc_url:?} must start with http:// or https://"
            )));
        }
        let address = parse_address(address).map_err(Error::InvalidRegistry)?;
        let transport = transport::BoundedHttp::new(rpc_url, &limits);
        let is_local = lower.contains("://127.0.0.1") || lower.contains("://localhost");
        let provider = RootProvider::new(RpcClient::new(transport, is_local));
        Ok(Registry {
            provider,
            address,
            rpc_url: rpc_url.to_owned(),
        })
    }

    /// The RPC URL this registry is read through.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The contract address, EIP-55 checksummed.
    pub fn address(&self) -> String {
        self.address.to_checksum(None)
    }

    /// Every record `getActiveTEEs(tee_type)` returns, decoded; unusable ones are kept
    /// (with [`RegisteredTee::endpoint`] saying why) and logged at `warn`.
    ///
    /// # Errors
    /// [`Error::Rpc`] when the node fails, times out or answers too much;
    /// [`Error::RegistryData`] when the answer is not a `TEEInfo[]`.
    pub async fn active_tees(&self, tee_type: TeeType) -> Result<Vec<RegisteredTee>, Error> {
        let call = TEERegistry::getActiveTEEsCall {
            teeType: u8::from(tee_type),
        };
        let data = self.eth_call(call.abi_encode()).await?;
        let tees = decode_active_tees(&data)?;
        for tee in &tees {
            if let Err(why) = tee.endpoint() {
                tracing::warn!(tee_id = %tee.tee_id(), endpoint = tee.url(), "registry record skipped: {why}");
            }
        }
        Ok(tees)
    }

    /// The record `getTEE(tee_id)` returns (active or not), decoded.
    ///
    /// # Errors
    /// As [`Registry::active_tees`]; an unknown tee_id is the contract's revert, as
    /// [`Error::Rpc`].
    pub async fn tee(&self, tee_id: &TeeId) -> Result<RegisteredTee, Error> {
        let call = TEERegistry::getTEECall {
            teeId: (*tee_id.as_bytes()).into(),
        };
        let data = self.eth_call(call.abi_encode()).await?;
        decode_tee(&data)
    }

    async fn eth_call(&self, calldata: Vec<u8>) -> Result<Vec<u8>, Error> {
        let tx = TransactionRequest::default()
            .to(self.address)
            .input(TransactionInput::new(calldata.into()));
        let out = self.provider.call(tx).await.map_err(|e| Error::Rpc {
            url: self.rpc_url.clone(),
            message: truncate_chars(&e.to_string()).to_owned(),
        })?;
        Ok(out.to_vec())
    }
}

fn parse_address(text: &str) -> Result<Address, String> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    let mixed =
        hex.bytes().any(|b| b.is_ascii_uppercase()) && hex.bytes().any(|b| b.is_ascii_lowercase());
    let parsed = if mixed {
        Address::parse_checksummed(text, None).map_err(|e| e.to_string())
    } else {
        Address::from_str(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        format!("the registry address {text:?} is not a 20-byte 0x-hex address with a valid checksum ({e})")
    })
}
