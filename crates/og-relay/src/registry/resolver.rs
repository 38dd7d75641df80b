//! The selection a long-running process keeps: re-read on an interval, dropped when
//! the TEE leaves the registry or rotates its keys, replaced after a transport failure.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use og_verify::TeeId;

use super::block_on::block_on;
use super::{RegisteredTee, Registry, Selection};
use crate::{Error, TeeEndpoint};

/// Why the resolver stopped using a TEE.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// The tee_id is no longer in `getActiveTEEs` (or no longer passes the selection).
    NoLongerActive,
    /// A record with the same endpoint came back under another tee_id: the signing
    /// key changed.
    SigningKeyChanged,
    /// The TEE registered another OHTTP public key.
    OhttpKeyChanged,
    /// The TEE registered another OHTTP key id.
    KeyIdChanged,
    /// A relay exchange through it failed at the transport level
    /// ([`Resolver::fail_over`]).
    TransportFailure,
}

/// What a [`Resolver::refresh`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refresh {
    /// The current TEE is still active with the same keys (its record was updated).
    Kept(TeeId),
    /// Nothing was selected yet; this TEE now is.
    Selected(TeeId),
    /// The current TEE was dropped and another record selected (possibly the same
    /// TEE with its new keys).
    Replaced {
        /// The TEE dropped.
        old: TeeId,
        /// Why.
        reason: DropReason,
        /// The TEE selected instead.
        new: TeeId,
    },
}

#[derive(Default)]
struct State {
    current: Option<TeeEndpoint>,
    refreshed_at: Option<Instant>,
    avoid: Vec<TeeId>,
}

/// Keeps one selected TEE for a long-running process (PROTOCOL §6).
///
/// - [`Resolver::endpoint`] returns the cached selection, selecting on first use and
///   re-reading the registry when the refresh interval (default 300 s, the
///   reference's) has passed.
/// - [`Resolver::refresh`] re-reads now (a server calls it from a background task);
///   the TEE is dropped when it is no longer active or changed its OHTTP key, key id
///   or signing key.
/// - [`Resolver::fail_over`] drops a TEE after a transport failure and selects
///   another (avoided until the next refresh while others remain).
///
/// `Send + Sync`: share it in an `Arc`. [`BlockingResolver`] is the synchronous face.
///
/// ```no_run
/// use std::time::Duration;
/// use og_relay::registry::{Registry, Resolver, Selection};
/// # async fn run() -> Result<(), og_relay::Error> {
/// let resolver = Resolver::new(Registry::public()?, Selection::new())
///     .refresh_interval(Duration::from_secs(60));
/// let tee = resolver.endpoint().await?;
/// println!("using {}", tee.tee_id());
/// # Ok(()) }
/// ```
pub struct Resolver {
    registry: Registry,
    selection: Selection,
    interval: Duration,
    state: Mutex<State>,
    refreshing: tokio::sync::Mutex<()>,
}

impl core::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Resolver")
            .field("registry", &self.registry)
            .field("selection", &self.selection)
            .field("interval", &self.interval)
            .field("current", &self.current().map(|t| t.tee_id().to_string()))
            .finish()
    }
}

impl Resolver {
    /// A resolver over `registry` with `selection`; nothing is read until first use.
    pub fn new(registry: Registry, selection: Selection) -> Resolver {
        Resolver {
            registry,
            selection,
            interval: Duration::from_secs(300),
            state: Mutex::new(State::default()),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// How old the selection may get before [`Resolver::endpoint`] re-reads the
    /// registry. Default 300 s.
    pub fn refresh_interval(mut self, interval: Duration) -> Resolver {
        self.interval = interval;
        self
    }

    /// The refresh interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The registry read.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The selection policy.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The TEE currently selected, without any I/O.
    pub fn current(&self) -> Option<TeeEndpoint> {
        self.lock().current.clone()
    }

    /// The selected TEE: cached, or read from the registry on first use and whenever
    /// the refresh interval has passed.
    ///
    /// # Errors
    /// [`Error::Rpc`] / [`Error::RegistryData`] when the registry cannot be read and
    /// nothing is cached (a failed periodic re-read keeps the cached TEE for another
    /// interval, with a `warn` log); [`Error::NoTee`] when nothing passes the
    /// selection.
    pub async fn endpoint(&self) -> Result<TeeEndpoint, Error> {
        {
            let state = self.lock();
            if let (Some(tee), Some(at)) = (&state.current, state.refreshed_at)
                && at.elapsed() < self.interval
            {
                return Ok(tee.clone());
            }
        }
        match self.refresh().await {
            Ok(_) => self
                .current()
                .ok_or_else(|| Error::NoTee("the registry selection is empty".into())),
            Err(e) => {
                let mut state = self.lock();
                match state.current.clone() {
                    Some(tee) => {
                        // Back off for one interval: requests must not each wait for a
                        // failing RPC node.
                        state.refreshed_at = Some(Instant::now());
                        tracing::warn!(
                            "registry re-read failed, keeping TEE {}: {e}",
                            tee.tee_id()
                        );
                        Ok(tee)
                    }
                    None => Err(e),
                }
            }
        }
    }

    /// Re-reads the registry now and keeps, selects or replaces the TEE.
    ///
    /// # Errors
    /// As [`Resolver::endpoint`]; on error the current selection is left as it was,
    /// except that a TEE that left the registry is dropped even when nothing can
    /// replace it ([`Error::NoTee`]).
    pub async fn refresh(&self) -> Result<Refresh, Error> {
        let (_one_at_a_time, tees) = self.read_registry().await?;
        let mut state = self.lock();
        state.refreshed_at = Some(Instant::now());
        let Some(current) = state.current.clone() else {
            let tee = self.selection.choose(&tees, &state.avoid)?;
            let id = *tee.tee_id();
            tracing::info!(tee_id = %id, endpoint = tee.endpoint(), "selected TEE from the registry");
            state.current = Some(tee);
            return Ok(Refresh::Selected(id));
        };
        let old = *current.tee_id();
        let reason = match tees
            .iter()
            .find(|t| t.tee_id() == &old && self.selection.accepts(t))
        {
            Some(fresh) => match changed(&current, fresh) {
                None => {
                    if let Ok(endpoint) = fresh.endpoint() {
                        state.current = Some(endpoint.clone());
                    }
                    state.avoid.clear();
                    return Ok(Refresh::Kept(old));
                }
                Some(reason) => reason,
            },
            None if tees
                .iter()
                .any(|t| t.url() == current.endpoint() && t.tee_id() != &old) =>
            {
                DropReason::SigningKeyChanged
            }
            None => DropReason::NoLongerActive,
        };
        tracing::warn!(tee_id = %old, ?reason, "dropping TEE");
        state.current = None;
        state.avoid.clear();
        let tee = self.selection.choose(&tees, &[])?;
        let new = *tee.tee_id();
        state.current = Some(tee);
        Ok(Refresh::Replaced { old, reason, new })
    }

    /// Drops `failed` after a transport failure through it and selects another TEE
    /// (re-reading the registry). `failed` is avoided until the next refresh while
    /// other candidates exist; when it is the only one, it is selected again.
    ///
    /// # Errors
    /// As [`Resolver::refresh`].
    pub async fn fail_over(&self, failed: &TeeId) -> Result<TeeEndpoint, Error> {
        let (_one_at_a_time, tees) = self.read_registry().await?;
        let mut state = self.lock();
        if !state.avoid.contains(failed) {
            state.avoid.push(*failed);
        }
        let tee = self.selection.choose(&tees, &state.avoid)?;
        tracing::warn!(failed = %failed, now = %tee.tee_id(), "failing over to another TEE");
        state.refreshed_at = Some(Instant::now());
        state.current = Some(tee.clone());
        Ok(tee)
    }

    /// Reads the registry, one reader at a time (the guard is held by the caller
    /// until it has updated the state).
    async fn read_registry(
        &self,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, Vec<RegisteredTee>), Error> {
        let guard = self.refreshing.lock().await;
        let tees = self
            .registry
            .active_tees(self.selection.selected_type())
            .await?;
        Ok((guard, tees))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-written (every
        // write is a single assignment), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether the fresh record of the same TEE changed the keys a request depends on.
fn changed(current: &TeeEndpoint, fresh: &RegisteredTee) -> Option<DropReason> {
    let Ok(fresh) = fresh.endpoint() else {
        return Some(DropReason::NoLongerActive);
    };
    if fresh.signing_key().spki_der() != current.signing_key().spki_der() {
        Some(DropReason::SigningKeyChanged)
    } else if fresh.ohttp().public_key != current.ohttp().public_key {
        Some(DropReason::OhttpKeyChanged)
    } else if fresh.ohttp().key_id != current.ohttp().key_id {
        Some(DropReason::KeyIdChanged)
    } else {
        None
    }
}

/// The synchronous face of a [`Resolver`], for programs without an async runtime.
///
/// Each method blocks the calling thread until the registry answers (bounded by
/// [`RegistryLimits`](super::RegistryLimits)); no runtime is created. Do not call it
/// from inside an async task (it would block that executor thread): use the
/// [`Resolver`] it wraps ([`BlockingResolver::resolver`]) there.
///
/// ```no_run
/// use og_relay::registry::{BlockingResolver, Registry, Resolver, Selection};
/// let resolver = BlockingResolver::new(Resolver::new(Registry::public()?, Selection::new()));
/// let tee = resolver.endpoint()?;
/// # Ok::<(), og_relay::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BlockingResolver {
    inner: Arc<Resolver>,
}

impl BlockingResolver {
    /// Wraps `resolver`.
    pub fn new(resolver: Resolver) -> BlockingResolver {
        BlockingResolver {
            inner: Arc::new(resolver),
        }
    }

    /// The async resolver, shared.
    pub fn resolver(&self) -> &Arc<Resolver> {
        &self.inner
    }

    /// [`Resolver::endpoint`], blocking.
    ///
    /// # Errors
    /// As [`Resolver::endpoint`].
    pub fn endpoint(&self) -> Result<TeeEndpoint, Error> {
        block_on(self.inner.endpoint())
    }

    /// [`Resolver::refresh`], blocking.
    ///
    /// # Errors
    /// As [`Resolver::refresh`].
    pub fn refresh(&self) -> Result<Refresh, Error> {
        block_on(self.inner.refresh())
    }

    /// [`Resolver::fail_over`], blocking.
    ///
    /// # Errors
    /// As [`Resolver::fail_over`].
    pub fn fail_over(&self, failed: &TeeId) -> Result<TeeEndpoint, Error> {
        block_on(self.inner.fail_over(failed))
    }

    /// [`Resolver::current`].
    pub fn current(&self) -> Option<TeeEndpoint> {
        self.inner.current()
    }
}

impl From<Arc<Resolver>> for BlockingResolver {
    fn from(inner: Arc<Resolver>) -> Self {
        BlockingResolver { inner }
    }
}

/// Blocking registry reads.
impl Registry {
    /// [`Registry::active_tees`], blocking the calling thread (no runtime needed).
    ///
    /// # Errors
    /// As [`Registry::active_tees`].
    pub fn active_tees_blocking(
        &self,
        tee_type: super::TeeType,
    ) -> Result<Vec<RegisteredTee>, Error> {
        block_on(self.active_tees(tee_type))
    }

    /// [`Registry::tee`], blocking the calling thread (no runtime needed).
    ///
    /// # Errors
    /// As [`Registry::tee`].
    pub fn tee_blocking(&self, tee_id: &TeeId) -> Result<RegisteredTee, Error> {
        block_on(self.tee(tee_id))
    }
}
