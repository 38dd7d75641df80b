//! The local OpenAI-compatible proxy behind `og serve` and `og dev`.
//!
//! hyper 1 on tokio (the stack og-sim uses). Routes ([`router`]):
//!
//! - `POST /v1/chat/completions` (also `/chat/completions`): the body goes through
//!   the shared [`og_relay::RelayClient`] (synchronous, so each call runs in
//!   `tokio::task::spawn_blocking`); a verified answer comes back with the headers
//!   `X-OpenGradient-Verified: true`, `X-OpenGradient-TEE-Id`,
//!   `X-OpenGradient-Request-Hash`, `X-OpenGradient-Output-Hash` and
//!   `X-OpenGradient-Timestamp`. Non-streaming: the TEE's `chat.completion` body plus
//!   `opengradient_verification` {verified, tee_id, request_hash, output_hash,
//!   timestamp, tee_host}. `stream: true`: the safe API
//!   ([`og_relay::RelayClient::stream_chat_completion`]) reads and verifies the whole
//!   stream, then its frames are replayed as `text/event-stream` ([`sse`]). Tool
//!   calls, attachments and other fields pass through (og-canon builds the wire).
//! - `GET /v1/models`, `GET /v1/models/{id}`: the configured models (`--model`),
//!   or the generic entry [`GENERIC_MODEL`].
//! - `GET /health`: status, tee_id, endpoint, pcr_hash, relay.
//!
//! Errors: OpenAI's envelope with the statuses of PROTOCOL §7 ([`errors`]).
//!
//! Limits: request bodies up to [`DEFAULT_MAX_BODY_BYTES`] (16 MiB; more is a 413,
//! refused from `Content-Length` before reading when declared); at most
//! [`DEFAULT_MAX_CONCURRENCY`] relay exchanges at once (more wait their turn);
//! request headers must arrive within 30 s. Shutdown is graceful: on SIGINT/SIGTERM
//! (or [`Proxy::stop`]) the listener closes, requests in flight get up to
//! [`ProxyConfig::shutdown_grace`] to finish.

pub mod errors;
mod handlers;
pub mod router;
pub mod sse;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use og_relay::ConfidentialClient;
use tokio::sync::{Semaphore, oneshot};

use crate::options::Secret;

/// The default port of `og serve` and `og dev`.
pub const DEFAULT_PORT: u16 = 8765;

/// The largest request body accepted by default (16 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;

/// How many relay exchanges run at once by default.
pub const DEFAULT_MAX_CONCURRENCY: usize = 64;

/// The model listed by `/v1/models` when none is configured.
pub const GENERIC_MODEL: &str = "opengradient-tee";

/// The API key printed for OpenAI SDKs (they insist on one; the proxy ignores it
/// unless `--api-key` is set).
pub const PLACEHOLDER_API_KEY: &str = "og-local";

/// How the proxy runs.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// The client every request goes through: one TEE, or the registry's selection
    /// (refreshed in the background, failing over on transport errors).
    pub client: Arc<ConfidentialClient>,
    /// The models `/v1/models` lists (empty: [`GENERIC_MODEL`]).
    pub models: Vec<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How many relay exchanges may run at once.
    pub max_concurrency: usize,
    /// When set, requests must carry `Authorization: Bearer <key>` (401 otherwise).
    pub api_key: Option<Secret>,
    /// How long requests in flight may take to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl ProxyConfig {
    /// The defaults around `client` (a `RelayClient` or a `ConfidentialClient`).
    pub fn new(client: impl Into<ConfidentialClient>) -> Self {
        ProxyConfig {
            client: Arc::new(client.into()),
            models: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            api_key: None,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// What the request handlers share.
pub(crate) struct State {
    pub(crate) client: Arc<ConfidentialClient>,
    pub(crate) models: Vec<String>,
    pub(crate) max_body_bytes: usize,
    pub(crate) api_key: Option<Secret>,
    pub(crate) permits: Arc<Semaphore>,
}

/// Re-reads the registry every refresh interval while the proxy runs (nothing to do
/// for an explicit TEE). A failed re-read keeps the current TEE; a TEE that left the
/// registry or rotated its keys is replaced before the next request.
async fn refresh_registry(client: Arc<ConfidentialClient>) {
    let Some(resolver) = client.resolver().cloned() else {
        return;
    };
    let mut ticks = tokio::time::interval(resolver.interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate; the client just selected
    loop {
        ticks.tick().await;
        match resolver.refresh().await {
            Ok(og_relay::registry::Refresh::Kept(id)) => {
                tracing::debug!(tee_id = %id, "registry re-read: TEE kept")
            }
            Ok(outcome) => tracing::info!(?outcome, "registry re-read"),
            Err(e) => tracing::warn!("registry re-read failed: {e}"),
        }
    }
}

/// A running proxy; dropping it stops it (gracefully) and waits for its thread.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Binds `addr` (port 0: an ephemeral port) and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound or the runtime cannot start.
    pub fn bind(config: ProxyConfig, addr: &str, handle_signals: bool) -> io::Result<Proxy> {
        Proxy::start(config, TcpListener::bind(addr)?, handle_signals)
    }

    /// Serves on an already bound listener from a thread with its own tokio runtime.
    /// With `handle_signals`, SIGINT and SIGTERM stop it gracefully (see
    /// [`Proxy::wait`]).
    ///
    /// # Errors
    /// When the listener or the runtime cannot be set up.
    pub fn start(
        config: ProxyConfig,
        listener: TcpListener,
        handle_signals: bool,
    ) -> io::Result<Proxy> {
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("og-proxy")
            .build()?;
        let grace = config.shutdown_grace;
        let state = Arc::new(State {
            client: config.client,
            models: config.models,
            max_body_bytes: config.max_body_bytes,
            api_key: config.api_key,
            permits: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
        });
        let refresher = Arc::clone(&state.client);
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("og-proxy {addr}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let refresh = tokio::spawn(refresh_registry(refresher));
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            serve(listener, state, shutdown(stopped, handle_signals), grace).await;
                        }
                        Err(e) => tracing::error!("cannot listen on {addr}: {e}"),
                    }
                    refresh.abort();
                });
                // Relay calls still running in spawn_blocking are left to finish alone.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Proxy {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL OpenAI SDKs take: `http://ADDR/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Blocks until the server has stopped (after SIGINT or SIGTERM when started with
    /// `handle_signals`, and the graceful shutdown).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The stop sender is dropped with `self`; nothing left to stop.
    }

    /// Stops the server gracefully and waits for it.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Resolves when the proxy should stop: [`Proxy::stop`]/drop, or a signal.
async fn shutdown(stopped: oneshot::Receiver<()>, handle_signals: bool) {
    if !handle_signals {
        let _ = stopped.await;
        return;
    }
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = stopped => {}
        r = tokio::signal::ctrl_c() => {
            if r.is_ok() {
                eprintln!("og: SIGINT received, shutting down");
            }
        }
        () = terminate => eprintln!("og: SIGTERM received, shutting down"),
    }
}

/// Accepts connections until `stop` resolves, then shuts down gracefully.
async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    stop: impl Future<Output = ()>,
    grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: back off a little.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let service = hyper::service::service_fn(move |req| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(router::route(state, req).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(30))
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, "connection ended with an error: {e}");
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    let open = graceful.count();
    if open > 0 {
        tracing::info!("waiting up to {grace:?} for {open} open connection(s)");
    }
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => {
            tracing::warn!("requests still running after {grace:?}; stopping anyway");
        }
    }
}
