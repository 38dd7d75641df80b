//! The simulated relay: checks the bearer token, forwards ciphertext to the enclave
//! over HTTP, streams the answer back, and misbehaves on command.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, Request, Response};
use og_ohttp_core::OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE;
use tokio::sync::{mpsc, oneshot};

use crate::faults::{Fault, rewrite_body};
use crate::http::{self, Body, BodySender, Handler, header, json_error};
use crate::{ENCLAVE_PATH, FAULT_PATH};

/// The most the relay holds of an answer it must rewrite for a fault.
const MAX_BUFFERED: u64 = 64 << 20;
/// How long a stalled answer is kept open at most (the client's timeout ends it first).
const MAX_STALL: Duration = Duration::from_secs(600);

pub(crate) struct RelayState {
    pub(crate) token: Option<String>,
    /// `(tee_id, enclave base URL)`: where ciphertext for each TEE goes (a real relay
    /// reads this from the registry). The sim's own enclave first.
    pub(crate) routes: Arc<Mutex<Vec<(String, String)>>>,
    pub(crate) fault: Arc<Mutex<Option<Fault>>>,
    agent: ureq::Agent,
}

impl RelayState {
    pub(crate) fn new(
        token: Option<String>,
        routes: Arc<Mutex<Vec<(String, String)>>>,
        fault: Arc<Mutex<Option<Fault>>>,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(5)))
            .build()
            .into();
        RelayState {
            token,
            routes,
            fault,
            agent,
        }
    }

    fn current_fault(&self) -> Option<Fault> {
        self.fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(|f| !f.is_enclave_fault())
    }

    async fn route(self: Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/health") => http::full(200, "application/json", r#"{"status": "ok"}"#),
            (_, FAULT_PATH) => crate::fault_control(req, &self.fault).await,
            (Method::POST, og_relay::RELAY_PATH) => self.forward(req).await,
            (_, og_relay::RELAY_PATH) => json_error(405, "use POST"),
            _ => json_error(404, &format!("no route {path}")),
        }
    }

    async fn forward(self: Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let (parts, body) = match http::read_body(req).await {
            Ok(x) => x,
            Err(resp) => return resp,
        };
        if let Some(token) = &self.token {
            let given = header(&parts, "authorization");
            if given != format!("Bearer {token}") {
                return json_error(401, "Invalid token");
            }
        }
        let tee_id = header(&parts, "x-tee-id");
        let Some(enclave_url) = self
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(id, _)| tee_id.eq_ignore_ascii_case(id))
            .map(|(_, url)| url.clone())
        else {
            return json_error(404, &format!("unknown TEE {tee_id:?}"));
        };
        let fault = self.current_fault();
        if let Some(Fault::Status { status, json }) = fault {
            return if json {
                json_error(status, &format!("simulated relay error {status}"))
            } else {
                http::full(
                    status,
                    "text/html",
                    format!(
                        "<html><head><title>{status}</title></head><body><h1>{status} \
                         Simulated Relay Error</h1><p>nginx</p></body></html>"
                    ),
                )
            };
        }
        let forwarded: Vec<(String, String)> =
            ["content-type", "accept", "x-tee-id", "x-ohttp-stream"]
                .iter()
                .filter(|h| !header(&parts, h).is_empty())
                .map(|h| ((*h).to_owned(), header(&parts, h).to_owned()))
                .collect();
        let chunked = header(&parts, "accept") == OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE;
        let (tx, rx) = mpsc::channel(64);
        let (head_tx, head_rx) = oneshot::channel();
        let state = Arc::clone(&self);
        tokio::task::spawn_blocking(move || {
            state.pump(&enclave_url, &forwarded, &body, fault, chunked, head_tx, tx);
        });
        match head_rx.await {
            Ok(Ok((status, content_type))) => http::channel_response(status, &content_type, rx),
            Ok(Err(message)) => json_error(502, &message),
            Err(_) => json_error(502, "the relay lost the enclave's answer"),
        }
    }

    /// Posts to the enclave and streams its answer into `tx`, applying `fault`.
    #[allow(clippy::too_many_arguments)]
    fn pump(
        &self,
        enclave_url: &str,
        headers: &[(String, String)],
        body: &Bytes,
        fault: Option<Fault>,
        chunked: bool,
        head: oneshot::Sender<Result<(u16, String), String>>,
        tx: BodySender,
    ) {
        let url = format!("{enclave_url}{ENCLAVE_PATH}");
        let mut request = self.agent.post(&url);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = match request.send(&body[..]) {
            Ok(r) => r,
            Err(e) => {
                let _ = head.send(Err(format!("the enclave is unreachable: {e}")));
                return;
            }
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut reader = response
            .into_body()
            .into_with_config()
            .limit(MAX_BUFFERED)
            .reader();
        if head.send(Ok((status, content_type))).is_err() {
            return;
        }
        let send = |bytes: &[u8]| tx.blocking_send(Ok(Bytes::copy_from_slice(bytes))).is_ok();
        match fault {
            None | Some(Fault::Delay(_)) => {
                let delay = match fault {
                    Some(Fault::Delay(d)) => d,
                    _ => Duration::ZERO,
                };
                let mut buf = vec![0; 16 * 1024];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    std::thread::sleep(delay);
                    if !send(&buf[..n]) {
                        return;
                    }
                }
            }
            Some(fault) => {
                let mut whole = Vec::new();
                if reader.read_to_end(&mut whole).is_err() {
                    return;
                }
                match fault {
                    Fault::Stall => {
                        send(whole.get(..32).unwrap_or(&whole));
                        let start = Instant::now();
                        while !tx.is_closed() && start.elapsed() < MAX_STALL {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                    Fault::Reset { after } => {
                        send(whole.get(..after).unwrap_or(&whole));
                        let _ = tx.blocking_send(Err(std::io::Error::other("simulated reset")));
                    }
                    other => {
                        let rewritten = rewrite_body(&other, whole, chunked);
                        for piece in rewritten.chunks(4096) {
                            if !send(piece) {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Handler for RelayState {
    fn handle(
        self: Arc<Self>,
        req: Request<hyper::body::Incoming>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send>> {
        Box::pin(self.route(req))
    }
}
