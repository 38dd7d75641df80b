//! The JSON-RPC transport under alloy's provider: one HTTP POST per call over ureq
//! (rustls), bounded in time and in size.
//!
//! alloy's own HTTP transport reads a whole response body however large it is; an
//! RPC node is untrusted input, so this one stops reading at
//! [`RegistryLimits::max_response_bytes`] and enforces the same kind of connect,
//! silence and total deadlines as the relay client. Each call runs on its own short
//! thread and is awaited through a oneshot channel, so the async API works on any
//! executor.

use core::task::{Context, Poll};

use alloy_json_rpc::{RequestPacket, ResponsePacket};
use alloy_transport::{TransportError, TransportErrorKind, TransportFut};

use super::RegistryLimits;
use crate::exchange::read_bounded;
use crate::{Error, TimeoutKind};

/// Why an RPC call failed below JSON-RPC (kept typed so the registry can say so).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RpcFailure {
    #[error("timed out ({0})")]
    Timeout(&'static str),
    #[error(
        "the RPC node's answer is larger than the {0}-byte limit (RegistryLimits::max_response_bytes)"
    )]
    TooLarge(u64),
    #[error("HTTP status {status} from the RPC node")]
    Status { status: u16 },
    #[error("{0}")]
    Connection(String),
}

/// alloy transport: POSTs each JSON-RPC packet with ureq.
#[derive(Clone)]
pub(crate) struct BoundedHttp {
    agent: ureq::Agent,
    url: String,
    max_bytes: u64,
}

impl BoundedHttp {
    pub(crate) fn new(url: &str, limits: &RegistryLimits) -> BoundedHttp {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_recv_response(Some(limits.read_timeout))
            .timeout_recv_body(Some(limits.read_timeout))
            .timeout_global(Some(limits.total_timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("og-relay/", env!("CARGO_PKG_VERSION")))
            .build();
        BoundedHttp {
            agent: config.into(),
            url: url.to_owned(),
            max_bytes: limits.max_response_bytes,
        }
    }

    fn post(&self, body: Vec<u8>) -> Result<Vec<u8>, RpcFailure> {
        let response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(&body[..])
            .map_err(failure)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(RpcFailure::Status { status });
        }
        let body = response.into_body();
        let declared = body.content_length();
        if declared.is_some_and(|n| n > self.max_bytes) {
            return Err(RpcFailure::TooLarge(self.max_bytes));
        }
        // The relay client's bounded reader: capacity never grows past the limit.
        read_bounded(body.into_reader(), self.max_bytes, declared).map_err(|e| match e {
            Error::ResponseTooLarge { limit } => RpcFailure::TooLarge(limit),
            Error::Timeout(TimeoutKind::Connect) => RpcFailure::Timeout(CONNECT_TIMEOUT),
            Error::Timeout(TimeoutKind::Read) => RpcFailure::Timeout(READ_TIMEOUT),
            Error::Timeout(_) => RpcFailure::Timeout(TOTAL_TIMEOUT),
            other => RpcFailure::Connection(other.to_string()),
        })
    }
}

const CONNECT_TIMEOUT: &str = "connecting took longer than RegistryLimits::connect_timeout";
const READ_TIMEOUT: &str = "the node went silent for longer than RegistryLimits::read_timeout";
const TOTAL_TIMEOUT: &str = "the call took longer than RegistryLimits::total_timeout";

fn failure(e: ureq::Error) -> RpcFailure {
    match e {
        ureq::Error::Timeout(t) => RpcFailure::Timeout(match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => CONNECT_TIMEOUT,
            ureq::Timeout::Global => TOTAL_TIMEOUT,
            _ => READ_TIMEOUT,
        }),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            RpcFailure::Timeout(READ_TIMEOUT)
        }
        other => RpcFailure::Connection(other.to_string()),
    }
}

impl tower_service::Service<RequestPacket> for BoundedHttp {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let body = serde_json::to_vec(&request).map_err(TransportError::ser_err)?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("og-registry-rpc".into())
                .spawn(move || {
                    let _ = tx.send(this.post(body));
                })
                .map_err(TransportErrorKind::custom)?;
            let bytes = rx
                .await
                .map_err(|_| TransportErrorKind::custom_str("the RPC thread stopped"))?
                .map_err(TransportErrorKind::custom)?;
            serde_json::from_slice::<ResponsePacket>(&bytes).map_err(|e| {
                // Not `deser_err`: that would copy the (hostile) body into the error.
                TransportErrorKind::custom_str(&format!(
                    "the RPC node's answer is not JSON-RPC: {e}"
                ))
            })
        })
    }
}
