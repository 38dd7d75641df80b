//! A simulated chain: a real local EVM node (`anvil`, on 127.0.0.1) with a mock
//! `TEERegistry` deployed, for registry tests and `og dev --registry`.
//!
//! The mock (`contracts/TEERegistry.sol`, compiled with solc 0.8.37 into the committed
//! `contracts/TEERegistry.artifact.json`) reproduces the real registry's read ABI and
//! adds writers for tests ([`MockRegistry::set_tee`], [`MockRegistry::set_active`],
//! [`MockRegistry::remove`]).
//!
//! ```no_run
//! use og_sim::chain::{Anvil, MockRegistry, TeeRecord};
//! let anvil = Anvil::start()?;
//! let registry = MockRegistry::deploy(&anvil)?;
//! let sim = og_sim::Sim::start()?;
//! registry.set_tee(&TeeRecord::for_keys(sim.keys(), &sim.enclave_url()), true)?;
//! let tees = og_relay::registry::Registry::new(anvil.url(), &registry.address())?
//!     .active_tees_blocking(Default::default())?;
//! assert_eq!(tees.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alloy_sol_types::{SolCall, sol};
use serde_json::{Value as Json, json};

use crate::EnclaveKeys;

/// The compiled mock registry: `{"compiler", "source", "abi", "bytecode"}`.
pub const ARTIFACT: &str = include_str!("../contracts/TEERegistry.artifact.json");

sol! {
    #[allow(missing_docs)]
    struct MockOhttpConfig {
        uint8 keyId;
        uint16 kemId;
        uint16 kdfId;
        uint16 aeadId;
        bytes publicKey;
        bytes keyConfig;
        uint256 registeredAt;
    }

    #[allow(missing_docs)]
    struct MockTeeInfo {
        address owner;
        address paymentAddress;
        string endpoint;
        bytes publicKey;
        bytes tlsCertificate;
        bytes32 pcrHash;
        uint8 teeType;
        bool enabled;
        uint256 registeredAt;
        uint256 lastHeartbeatAt;
        MockOhttpConfig ohttpConfig;
    }

    #[allow(missing_docs)]
    function getActiveTEEs(uint8 teeType) external view returns (MockTeeInfo[] memory);
    #[allow(missing_docs)]
    function getTEE(bytes32 teeId) external view returns (MockTeeInfo memory);
    #[allow(missing_docs)]
    function setTEE(bytes32 teeId, MockTeeInfo info, bool isActive) external;
    #[allow(missing_docs)]
    function setActive(bytes32 teeId, bool isActive) external;
    #[allow(missing_docs)]
    function removeTEE(bytes32 teeId) external;
}

/// What went wrong with the simulated chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The `anvil` binary was not found.
    #[error(
        "anvil not found: set OG_ANVIL to its path, or run `cargo xtask test` (it installs \
         @foundry-rs/anvil-linux-amd64@1.7.1 from npm into target/evm-tools)"
    )]
    NoAnvil,
    /// anvil could not be started or did not say where it listens.
    #[error("anvil did not start: {0}")]
    Start(String),
    /// A JSON-RPC call failed.
    #[error("anvil RPC {method}: {message}")]
    Rpc {
        /// The method called.
        method: String,
        /// What went wrong.
        message: String,
    },
}

/// A running `anvil` on 127.0.0.1 (an ephemeral port); killed on drop.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl Anvil {
    /// Where the binary is looked for: `$OG_ANVIL`, then the workspace's
    /// `target/evm-tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil`, then
    /// `anvil` on the `PATH`.
    pub fn binary() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("OG_ANVIL") {
            return Some(PathBuf::from(p));
        }
        let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/evm-tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
        if local.is_file() {
            return Some(local);
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join("anvil"))
            .find(|p| p.is_file())
    }

    /// Starts anvil on `127.0.0.1:0` and waits (up to 20 s) for it to listen.
    ///
    /// # Errors
    /// [`ChainError::NoAnvil`] or [`ChainError::Start`].
    pub fn start() -> Result<Anvil, ChainError> {
        let bin = Anvil::binary().ok_or(ChainError::NoAnvil)?;
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| ChainError::Start(format!("{}: {e}", bin.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| ChainError::Start("no stdout".into()))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(addr) = line.trim().strip_prefix("Listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                    sent = true;
                }
                // Keep draining so anvil never blocks on a full pipe.
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ChainError::Start(
                    "no `Listening on` line within 20 s".into(),
                ));
            }
        };
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Anvil {
            child,
            url: format!("http://{addr}"),
            agent,
        })
    }

    /// The node's RPC URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One JSON-RPC call; returns `result`.
    ///
    /// # Errors
    /// [`ChainError::Rpc`] for a transport failure or a JSON-RPC error.
    pub fn rpc(&self, method: &str, params: Json) -> Result<Json, ChainError> {
        let err = |message: String| ChainError::Rpc {
            method: method.to_owned(),
            message,
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| err(e.to_string()))?;
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| err(e.to_string()))?;
        let mut answer: Json =
            serde_json::from_str(&text).map_err(|e| err(format!("{e}: {text}")))?;
        if let Some(e) = answer.get("error") {
            return Err(err(e.to_string()));
        }
        Ok(answer["result"].take())
    }

    /// Sends a transaction from the first unlocked account and waits for its receipt
    /// (anvil answers `eth_sendTransaction` before the block is committed); fails when
    /// it reverted.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn transact(&self, to: Option<&str>, data: &[u8]) -> Result<Json, ChainError> {
        let from = self.rpc("eth_accounts", json!([]))?[0].clone();
        let mut tx =
            json!({"from": from, "data": format!("0x{}", hex::encode(data)), "gas": "0x1c9c380"});
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash = self.rpc("eth_sendTransaction", json!([tx]))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]))?;
            if !receipt.is_null() {
                if receipt["status"] != json!("0x1") {
                    return Err(ChainError::Rpc {
                        method: "eth_sendTransaction".into(),
                        message: format!("transaction reverted: {receipt}"),
                    });
                }
                return Ok(receipt);
            }
            if Instant::now() > deadline {
                return Err(ChainError::Rpc {
                    method: "eth_getTransactionReceipt".into(),
                    message: "no receipt within 20 s".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The OHTTP part of a [`TeeRecord`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordOhttp {
    /// `keyId`.
    pub key_id: u8,
    /// `kemId`.
    pub kem_id: u16,
    /// `kdfId`.
    pub kdf_id: u16,
    /// `aeadId`.
    pub aead_id: u16,
    /// `publicKey` (any length: tests register wrong ones).
    pub public_key: Vec<u8>,
    /// `keyConfig` (empty for none).
    pub key_config: Vec<u8>,
}

/// A registry record to write into the mock (a `TEEInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeeRecord {
    /// `endpoint`.
    pub endpoint: String,
    /// `publicKey`: the signing key's DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// `tlsCertificate` (any non-empty bytes pass the client's check).
    pub tls_certificate: Vec<u8>,
    /// `pcrHash`.
    pub pcr_hash: [u8; 32],
    /// `teeType` (0 = LLM proxy).
    pub tee_type: u8,
    /// `enabled`.
    pub enabled: bool,
    /// `lastHeartbeatAt` (and `registeredAt`).
    pub heartbeat: u64,
    /// `ohttpConfig`; `None` writes an empty one (no OHTTP key).
    pub ohttp: Option<RecordOhttp>,
    /// `paymentAddress`.
    pub payment_address: [u8; 20],
}

impl TeeRecord {
    /// A usable LLM-proxy record for an enclave with `keys` reachable at `endpoint`:
    /// its signing key, its OHTTP key and key configuration, a dummy TLS certificate.
    pub fn for_keys(keys: &EnclaveKeys, endpoint: &str) -> TeeRecord {
        let ohttp = keys.ohttp_config();
        TeeRecord {
            endpoint: endpoint.to_owned(),
            public_key: keys.signer().spki_der().to_vec(),
            tls_certificate: b"-- a DER certificate --".to_vec(),
            pcr_hash: [0xaa; 32],
            tee_type: 0,
            enabled: true,
            heartbeat: 1_795_000_000,
            ohttp: Some(RecordOhttp {
                key_id: ohttp.key_id,
                kem_id: ohttp.kem_id,
                kdf_id: ohttp.kdf_id,
                aead_id: ohttp.aead_id,
                public_key: ohttp.public_key,
                key_config: ohttp.key_config.unwrap_or_default(),
            }),
            payment_address: [0x11; 20],
        }
    }

    /// The registry's id for this record: Keccak-256 of `public_key`.
    pub fn tee_id(&self) -> [u8; 32] {
        og_canon::keccak256(&self.public_key)
    }

    fn info(&self) -> MockTeeInfo {
        let ohttp = self.ohttp.clone().unwrap_or(RecordOhttp {
            key_id: 0,
            kem_id: 0,
            kdf_id: 0,
            aead_id: 0,
            public_key: Vec::new(),
            key_config: Vec::new(),
        });
        MockTeeInfo {
            owner: [0x22; 20].into(),
            paymentAddress: self.payment_address.into(),
            endpoint: self.endpoint.clone(),
            publicKey: self.public_key.clone().into(),
            tlsCertificate: self.tls_certificate.clone().into(),
            pcrHash: self.pcr_hash.into(),
            teeType: self.tee_type,
            enabled: self.enabled,
            registeredAt: alloy_primitives::U256::from(self.heartbeat),
            lastHeartbeatAt: alloy_primitives::U256::from(self.heartbeat),
            ohttpConfig: MockOhttpConfig {
                keyId: ohttp.key_id,
                kemId: ohttp.kem_id,
                kdfId: ohttp.kdf_id,
                aeadId: ohttp.aead_id,
                publicKey: ohttp.public_key.into(),
                keyConfig: ohttp.key_config.into(),
                registeredAt: alloy_primitives::U256::from(self.heartbeat),
            },
        }
    }
}

/// The return data of `getActiveTEEs` listing `records`, ABI-encoded as the contract
/// returns it (for decoder tests and fuzz seeds without a node).
///
/// ```
/// let keys = og_sim::EnclaveKeys::generate(1)?;
/// let record = og_sim::chain::TeeRecord::for_keys(&keys, "https://tee.example");
/// let data = og_sim::chain::encode_active_tees(&[record]);
/// let tees = og_relay::registry::decode_active_tees(&data)?;
/// assert_eq!(tees[0].tee_id(), keys.tee_id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_active_tees(records: &[TeeRecord]) -> Vec<u8> {
    let infos: Vec<MockTeeInfo> = records.iter().map(TeeRecord::info).collect();
    getActiveTEEsCall::abi_encode_returns(&infos)
}

/// The return data of `getTEE` for `record`, ABI-encoded.
pub fn encode_tee(record: &TeeRecord) -> Vec<u8> {
    getTEECall::abi_encode_returns(&record.info())
}

/// The mock `TEERegistry`, deployed on an [`Anvil`].
#[derive(Debug)]
pub struct MockRegistry<'a> {
    anvil: &'a Anvil,
    address: String,
}

impl<'a> MockRegistry<'a> {
    /// Deploys [`ARTIFACT`]'s bytecode.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn deploy(anvil: &'a Anvil) -> Result<MockRegistry<'a>, ChainError> {
        let artifact: Json = serde_json::from_str(ARTIFACT).map_err(|e| ChainError::Rpc {
            method: "deploy".into(),
            message: format!("the artifact is not JSON: {e}"),
        })?;
        let code = artifact["bytecode"].as_str().unwrap_or_default();
        let code = hex::decode(code.trim_start_matches("0x")).map_err(|e| ChainError::Rpc {
            method: "deploy".into(),
            message: format!("the artifact's bytecode is not hex: {e}"),
        })?;
        let receipt = anvil.transact(None, &code)?;
        let address = receipt["contractAddress"]
            .as_str()
            .ok_or_else(|| ChainError::Rpc {
                method: "deploy".into(),
                message: format!("no contractAddress in {receipt}"),
            })?
            .to_owned();
        Ok(MockRegistry { anvil, address })
    }

    /// The contract's address (`0x` + 40 lower-case hex digits).
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// Writes `record` under its tee_id; `active` decides whether `getActiveTEEs`
    /// lists it. Returns the id.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn set_tee(&self, record: &TeeRecord, active: bool) -> Result<[u8; 32], ChainError> {
        let id = record.tee_id();
        self.set_tee_as(id, record, active)?;
        Ok(id)
    }

    /// Writes `record` under an explicit id (for records whose id is not their key's
    /// hash).
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn set_tee_as(
        &self,
        id: [u8; 32],
        record: &TeeRecord,
        active: bool,
    ) -> Result<(), ChainError> {
        let call = setTEECall {
            teeId: id.into(),
            info: record.info(),
            isActive: active,
        };
        self.anvil
            .transact(Some(&self.address), &call.abi_encode())
            .map(drop)
    }

    /// Lists or unlists a record in `getActiveTEEs`.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn set_active(&self, id: [u8; 32], active: bool) -> Result<(), ChainError> {
        let call = setActiveCall {
            teeId: id.into(),
            isActive: active,
        };
        self.anvil
            .transact(Some(&self.address), &call.abi_encode())
            .map(drop)
    }

    /// Deletes a record.
    ///
    /// # Errors
    /// [`ChainError::Rpc`].
    pub fn remove(&self, id: [u8; 32]) -> Result<(), ChainError> {
        let call = removeTEECall { teeId: id.into() };
        self.anvil
            .transact(Some(&self.address), &call.abi_encode())
            .map(drop)
    }
}
