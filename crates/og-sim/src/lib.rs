//! og-sim: a simulated OpenGradient TEE enclave and OHTTP relay, over real HTTP on
//! 127.0.0.1, for tests, demos and offline development.
//!
//! The enclave runs the protocol backwards with the project's own crates: it opens
//! the sealed request (og-ohttp-core's recipient side), rebuilds the canonical
//! request from the wire it received (og-canon), answers with a deterministic
//! [`Model`], signs as PROTOCOL §4 says (RSA-PSS over Keccak-256 hashes) and seals
//! the answer, single-shot or as a chunked SSE stream. The relay checks a bearer
//! token, forwards the ciphertext over HTTP and can misbehave on command ([`Fault`]).
//!
//! The README's ten-line example, run as a doc test:
//!
//! ```
//! let sim = og_sim::Sim::start()?;                       // enclave + relay on 127.0.0.1
//! let client = og_relay::RelayClient::builder(&sim.relay_url(), sim.tee_endpoint())
//!     .auth(og_relay::BearerToken::new(og_sim::DEFAULT_TOKEN))
//!     .build()?;
//! let body = og_canon::parse(r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello!"}]}"#)?;
//! let answer = client.chat_completion(&body)?;            // sealed, relayed, opened, verified
//! println!("{}", answer.content());                       // "You said: Hello!"
//! println!("signed by {} at {}", answer.proof().tee_id(), answer.proof().timestamp());
//! let stream = client.stream_chat_completion(&body)?;     // read as it arrives, verified at the end
//! assert_eq!(stream.content(), answer.content());
//! # assert_eq!(answer.content(), "You said: Hello!");
//! sim.set_fault(Some(og_sim::Fault::FlipBit { offset: 40 }));
//! assert!(client.chat_completion(&body).is_err());        // tampering never verifies
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Never a dependency of the libraries: it sits on top of them, like the CLI.
//!
//! The server is hyper 1 on a small tokio runtime per server: hyper is the most
//! used and best kept HTTP implementation in Rust, and it gives frame-level control
//! of streamed bodies, which the simulator needs for token pacing, stalls and
//! mid-body resets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
mod enclave;
pub mod faults;
mod http;
mod keys;
pub mod model;
mod relay;

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

pub use faults::Fault;
pub use keys::{EnclaveKeys, KeyError, SignerKey};
pub use model::{Model, Reply, ToolCall};

/// The path the enclave answers sealed requests on.
pub const ENCLAVE_PATH: &str = "/ohttp";

/// The control path of both servers: `POST` a fault's text form (see [`Fault`]) to set
/// it, `DELETE` to clear it.
pub const FAULT_PATH: &str = "/_sim/fault";

/// The relay's default bearer token.
pub const DEFAULT_TOKEN: &str = "sim-token";

/// What went wrong starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A port could not be bound or a server thread started.
    #[error("cannot start the simulator's servers: {0}")]
    Io(#[from] std::io::Error),
    /// The keys could not be made.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The relay client for the simulator could not be built.
    #[error("cannot build a client for the simulator: {0}")]
    Client(#[from] og_relay::Error),
}

/// How to start a [`Sim`].
#[derive(Debug)]
pub struct SimBuilder {
    token: Option<String>,
    model: Model,
    keys: Option<EnclaveKeys>,
    relay_addr: String,
    enclave_addr: String,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            token: Some(DEFAULT_TOKEN.to_owned()),
            model: Model::echo(),
            keys: None,
            relay_addr: "127.0.0.1:0".to_owned(),
            enclave_addr: "127.0.0.1:0".to_owned(),
        }
    }
}

impl SimBuilder {
    /// The relay's bearer token (`None`: no authentication).
    pub fn token(mut self, token: Option<&str>) -> Self {
        self.token = token.map(str::to_owned);
        self
    }

    /// The enclave's model.
    pub fn model(mut self, model: Model) -> Self {
        self.model = model;
        self
    }

    /// The enclave's keys (default: fresh ones with key id 1).
    pub fn keys(mut self, keys: EnclaveKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Where the relay listens (default `127.0.0.1:0`, an ephemeral port).
    pub fn relay_addr(mut self, addr: &str) -> Self {
        addr.clone_into(&mut self.relay_addr);
        self
    }

    /// Where the enclave listens (default `127.0.0.1:0`).
    pub fn enclave_addr(mut self, addr: &str) -> Self {
        addr.clone_into(&mut self.enclave_addr);
        self
    }

    /// Starts both servers.
    ///
    /// # Errors
    /// [`SimError`] when a port cannot be bound or keys cannot be made.
    pub fn start(self) -> Result<Sim, SimError> {
        let keys = Arc::new(match self.keys {
            Some(k) => k,
            None => EnclaveKeys::generate(1)?,
        });
        let model = Arc::new(self.model);
        let fault = Arc::new(Mutex::new(None));
        let enclave_listener = TcpListener::bind(&self.enclave_addr)?;
        let enclave_url = format!("http://{}", enclave_listener.local_addr()?);
        let enclave = http::Server::start(
            enclave_listener,
            Arc::new(enclave::EnclaveState::new(
                Arc::clone(&keys),
                Arc::clone(&model),
                Arc::clone(&fault),
            )),
        )?;
        let routes = Arc::new(Mutex::new(vec![(keys.tee_id().to_string(), enclave_url)]));
        let relay = http::Server::start(
            TcpListener::bind(&self.relay_addr)?,
            Arc::new(relay::RelayState::new(
                self.token.clone(),
                Arc::clone(&routes),
                Arc::clone(&fault),
            )),
        )?;
        Ok(Sim {
            relay,
            enclave,
            keys,
            model,
            fault,
            routes,
            token: self.token,
        })
    }
}

/// A running simulated enclave and relay; dropping it stops both.
#[derive(Debug)]
pub struct Sim {
    relay: http::Server,
    enclave: http::Server,
    keys: Arc<EnclaveKeys>,
    model: Arc<Model>,
    fault: Arc<Mutex<Option<Fault>>>,
    routes: Arc<Mutex<Vec<(String, String)>>>,
    token: Option<String>,
}

impl Sim {
    /// Starts an echoing enclave and a relay with token [`DEFAULT_TOKEN`], on
    /// ephemeral ports of 127.0.0.1.
    ///
    /// # Errors
    /// [`SimError`] when a port cannot be bound or keys cannot be made.
    pub fn start() -> Result<Sim, SimError> {
        SimBuilder::default().start()
    }

    /// A builder for other models, tokens, keys or ports.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// The relay's base URL (`http://127.0.0.1:PORT`).
    pub fn relay_url(&self) -> String {
        format!("http://{}", self.relay.addr())
    }

    /// The enclave's base URL (the TEE endpoint of its record).
    pub fn enclave_url(&self) -> String {
        format!("http://{}", self.enclave.addr())
    }

    /// The relay's bearer token.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The enclave's keys.
    pub fn keys(&self) -> &EnclaveKeys {
        &self.keys
    }

    /// The enclave's model (queue scripted replies on it).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The TEE record of the enclave.
    pub fn tee_endpoint(&self) -> og_relay::TeeEndpoint {
        self.keys.tee_endpoint(&self.enclave_url())
    }

    /// A client for this relay and enclave, with the token and default limits.
    ///
    /// # Errors
    /// [`SimError::Client`] if the client cannot be built.
    pub fn client(&self) -> Result<og_relay::RelayClient, SimError> {
        let mut builder = og_relay::RelayClient::builder(&self.relay_url(), self.tee_endpoint());
        if let Some(token) = &self.token {
            builder = builder.auth(og_relay::BearerToken::new(token));
        }
        Ok(builder.build()?)
    }

    /// Makes the relay forward requests for `tee_id` to the enclave at `enclave_url`
    /// (another sim's [`Sim::enclave_url`], or an address that refuses connections),
    /// as a real relay would after reading the registry. Requests for a TEE without a
    /// route get a 404.
    ///
    /// ```
    /// let (a, b) = (og_sim::Sim::start()?, og_sim::Sim::start()?);
    /// a.route(b.keys().tee_id(), &b.enclave_url());
    /// let via_a = og_relay::RelayClient::builder(&a.relay_url(), b.tee_endpoint())
    ///     .auth(og_relay::BearerToken::new(og_sim::DEFAULT_TOKEN))
    ///     .build()?;
    /// let body = og_canon::parse(r#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
    /// assert_eq!(via_a.chat_completion(&body)?.proof().tee_id(), b.keys().tee_id().to_string());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route(&self, tee_id: &og_verify::TeeId, enclave_url: &str) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let id = tee_id.to_string();
        routes.retain(|(known, _)| !known.eq_ignore_ascii_case(&id));
        routes.push((id, enclave_url.trim_end_matches('/').to_owned()));
    }

    /// Sets (or with `None` clears) the fault applied to every following exchange.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner) = fault;
    }
}

/// `POST /_sim/fault` with a fault's text form sets it; `DELETE` clears it.
async fn fault_control(
    req: hyper::Request<hyper::body::Incoming>,
    slot: &Mutex<Option<Fault>>,
) -> hyper::Response<http::Body> {
    let method = req.method().clone();
    let body = match http::read_body(req).await {
        Ok((_, b)) => b,
        Err(resp) => return resp,
    };
    let set = |f: Option<Fault>| *slot.lock().unwrap_or_else(PoisonError::into_inner) = f;
    match method {
        hyper::Method::DELETE => {
            set(None);
            http::full(200, "application/json", r#"{"fault": null}"#)
        }
        hyper::Method::POST => match String::from_utf8_lossy(&body).trim().parse::<Fault>() {
            Ok(f) => {
                let text = format!("{{\"fault\": \"{f}\"}}");
                set(Some(f));
                http::full(200, "application/json", text)
            }
            Err(e) => http::json_error(400, &e),
        },
        _ => http::json_error(405, "POST a fault or DELETE it"),
    }
}
