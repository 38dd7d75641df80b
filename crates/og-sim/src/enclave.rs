//! The simulated enclave: opens the sealed request, rebuilds the canonical request
//! from the wire it received (as the gateway does), answers with the model, signs as
//! PROTOCOL §4 says and seals the answer, single-shot or as a chunked SSE stream.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::{Method, Request, Response};
use og_canon::{Hash32, Map, StreamAccumulator, Value};
use og_ohttp_core::{OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE, OHTTP_RESPONSE_MEDIA_TYPE};
use tokio::sync::mpsc;

use crate::faults::Fault;
use crate::http::{self, Body, BodySender, Handler, json_error};
use crate::keys::{EnclaveKeys, SignerKey};
use crate::model::{Model, Reply, tokens};
use crate::{ENCLAVE_PATH, FAULT_PATH};

pub(crate) struct EnclaveState {
    pub(crate) keys: Arc<EnclaveKeys>,
    pub(crate) model: Arc<Model>,
    pub(crate) fault: Arc<Mutex<Option<Fault>>>,
    other_key: OnceLock<SignerKey>,
}

impl EnclaveState {
    pub(crate) fn new(
        keys: Arc<EnclaveKeys>,
        model: Arc<Model>,
        fault: Arc<Mutex<Option<Fault>>>,
    ) -> Self {
        EnclaveState {
            keys,
            model,
            fault,
            other_key: OnceLock::new(),
        }
    }

    async fn route(self: Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/health") => http::full(200, "application/json", r#"{"status": "ok"}"#),
            (_, FAULT_PATH) => crate::fault_control(req, &self.fault).await,
            (Method::POST, ENCLAVE_PATH) => self.answer(req).await,
            _ => json_error(404, &format!("no route {path}")),
        }
    }

    async fn answer(self: Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let (_, body) = match http::read_body(req).await {
            Ok(x) => x,
            Err(resp) => return resp,
        };
        let (tx, rx) = mpsc::channel(64);
        let state = Arc::clone(&self);
        let opened = tokio::task::spawn_blocking(move || state.open_and_answer(&body, tx)).await;
        match opened {
            Ok(Ok(true)) => http::channel_response(200, OHTTP_CHUNKED_RESPONSE_MEDIA_TYPE, rx),
            Ok(Ok(false)) => http::channel_response(200, OHTTP_RESPONSE_MEDIA_TYPE, rx),
            Ok(Err(message)) => json_error(400, &message),
            Err(_) => json_error(500, "the enclave failed"),
        }
    }

    /// Opens the request; answers into `tx` (a stream goes on in the background).
    /// Returns whether the answer is a stream, or why the request cannot be opened.
    fn open_and_answer(self: &Arc<Self>, sealed: &[u8], tx: BodySender) -> Result<bool, String> {
        let (plaintext, responder) = self
            .keys
            .decapsulate(sealed)
            .map_err(|e| format!("cannot open the request: {e}"))?;
        let wire = og_canon::parse_slice(&plaintext).ok();
        let stream = wire
            .as_ref()
            .and_then(|w| w.get("stream"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if stream {
            let state = Arc::clone(self);
            std::thread::spawn(move || state.stream(wire, responder, &tx));
        } else {
            let inner = self.single(wire);
            let sealed = responder
                .seal(&og_canon::to_json_bytes(&inner))
                .map_err(|e| format!("cannot seal the answer: {e}"))?;
            let _ = tx.blocking_send(Ok(Bytes::from(sealed)));
        }
        Ok(stream)
    }

    fn fault(&self) -> Option<Fault> {
        self.fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(Fault::is_enclave_fault)
    }

    /// The single-shot inner envelope `{"status", "body"}`.
    fn single(&self, wire: Option<Value>) -> Value {
        let (request_hash, wire) = match checked(wire) {
            Ok(x) => x,
            Err(message) => return envelope(400, error_body(&message)),
        };
        let model = model_name(&wire);
        let now = unix_now();
        let mut message = Map::new();
        message.insert("role".into(), "assistant".into());
        let finish = match self.model.answer(&wire) {
            Reply::Text(text) => {
                message.insert("content".into(), text.into());
                "stop"
            }
            Reply::ToolCalls(calls) => {
                message.insert("content".into(), Value::Null);
                let calls = calls
                    .iter()
                    .map(|c| {
                        obj([
                            ("id", c.id.as_str().into()),
                            ("type", "function".into()),
                            (
                                "function",
                                obj([
                                    ("name", c.name.as_str().into()),
                                    ("arguments", c.arguments.as_str().into()),
                                ]),
                            ),
                        ])
                    })
                    .collect();
                message.insert("tool_calls".into(), Value::Array(calls));
                "tool_calls"
            }
        };
        let choice = obj([
            ("index", 0i64.into()),
            ("message", Value::Object(message)),
            ("finish_reason", finish.into()),
        ]);
        let mut body = Map::new();
        body.insert("id".into(), format!("chatcmpl-sim-{now}").into());
        body.insert("object".into(), "chat.completion".into());
        body.insert("created".into(), Value::from(now as i64));
        body.insert("model".into(), model.into());
        body.insert("choices".into(), Value::Array(vec![choice]));
        let body_value = Value::Object(body.clone());
        let output = og_canon::signed_output(&body_value).unwrap_or_default();
        self.sign_into(&mut body, &request_hash, &output, now);
        envelope(200, Value::Object(body))
    }

    /// Streams SSE frames, each sealed as a chunk; `[DONE]` is the final chunk.
    fn stream(&self, wire: Option<Value>, responder: crate::keys::Responder, tx: &BodySender) {
        let Ok(mut encrypter) = responder.chunked() else {
            return;
        };
        let mut send = |frame: &[u8]| -> bool {
            match encrypter.seal_chunk(frame) {
                Ok(bytes) => tx.blocking_send(Ok(Bytes::from(bytes))).is_ok(),
                Err(_) => false,
            }
        };
        let (request_hash, wire) = match checked(wire) {
            Ok(x) => x,
            Err(message) => {
                let event = obj([("error", message.into())]);
                if send(&sse(&event)) {
                    finish(encrypter, tx);
                }
                return;
            }
        };
        let model = model_name(&wire);
        let delta_event = |delta: Value, finish: Value| {
            obj([
                (
                    "choices",
                    Value::Array(vec![obj([
                        ("delta", delta),
                        ("index", 0i64.into()),
                        ("finish_reason", finish),
                    ])]),
                ),
                ("model", model.as_str().into()),
            ])
        };
        let mut frames = vec![sse(&delta_event(
            obj([("role", "assistant".into()), ("content", "".into())]),
            Value::Null,
        ))];
        let finish_reason = match self.model.answer(&wire) {
            Reply::Text(text) => {
                for t in tokens(&text) {
                    frames.push(sse(&delta_event(obj([("content", t.into())]), Value::Null)));
                }
                "stop"
            }
            Reply::ToolCalls(calls) => {
                for (i, c) in calls.iter().enumerate() {
                    let head = obj([
                        ("index", Value::from(i as i64)),
                        ("id", c.id.as_str().into()),
                        ("type", "function".into()),
                        (
                            "function",
                            obj([("name", c.name.as_str().into()), ("arguments", "".into())]),
                        ),
                    ]);
                    frames.push(sse(&delta_event(
                        obj([("tool_calls", Value::Array(vec![head]))]),
                        Value::Null,
                    )));
                    let mid = c.arguments.len() / 2;
                    let mid = (0..=mid)
                        .rev()
                        .find(|&m| c.arguments.is_char_boundary(m))
                        .unwrap_or(0);
                    for piece in [&c.arguments[..mid], &c.arguments[mid..]] {
                        let part = obj([
                            ("index", Value::from(i as i64)),
                            ("function", obj([("arguments", piece.into())])),
                        ]);
                        frames.push(sse(&delta_event(
                            obj([("tool_calls", Value::Array(vec![part]))]),
                            Value::Null,
                        )));
                    }
                }
                "tool_calls"
            }
        };
        // The signed output, exactly as a client accumulates it.
        let mut acc = StreamAccumulator::new();
        for f in &frames {
            let _ = acc.push_frame(f);
        }
        let output = match (finish_reason, acc.tool_calls()) {
            ("tool_calls", Some(calls)) => og_canon::to_python_json(&calls, true),
            _ => acc.content().to_owned(),
        };
        let now = unix_now();
        let Value::Object(mut last) = delta_event(obj([]), finish_reason.into()) else {
            return;
        };
        self.sign_into(&mut last, &request_hash, &output, now);
        frames.push(sse(&Value::Object(last)));
        let delay = self.model.token_delay;
        for frame in &frames {
            if delay > Duration::ZERO {
                std::thread::sleep(delay);
            }
            if !send(frame) {
                return;
            }
        }
        finish(encrypter, tx);
    }

    /// Adds the `tee_*` fields: the signature over (request hash, output hash,
    /// timestamp), as PROTOCOL §4, or a faulty one on command.
    fn sign_into(&self, body: &mut Map, request_hash: &Hash32, output: &str, timestamp: u64) {
        let fault = self.fault();
        let signed_output = match fault {
            Some(Fault::SignDifferentOutput) => format!("{output} (not what was sent)"),
            _ => output.to_owned(),
        };
        let output_hash = og_canon::keccak256(signed_output.as_bytes());
        let key = match fault {
            Some(Fault::WrongSigningKey) => self
                .other_key
                .get_or_init(|| SignerKey::generate().expect("RSA key generation")),
            _ => self.keys.signer(),
        };
        let signature = key.sign(request_hash, &output_hash, timestamp);
        body.insert("tee_signature".into(), signature.into());
        body.insert("tee_request_hash".into(), hex::encode(request_hash).into());
        body.insert("tee_output_hash".into(), hex::encode(output_hash).into());
        body.insert("tee_timestamp".into(), Value::from(timestamp as i64));
        body.insert("tee_id".into(), self.keys.tee_id().to_string().into());
    }
}

impl Handler for EnclaveState {
    fn handle(
        self: Arc<Self>,
        req: Request<hyper::body::Incoming>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send>> {
        Box::pin(self.route(req))
    }
}

/// Seals `data: [DONE]` as the final chunk, as the gateway ends its streams.
fn finish(encrypter: og_ohttp_core::ChunkedEncrypter, tx: &BodySender) {
    if let Ok(bytes) = encrypter.seal_final(b"data: [DONE]\n\n") {
        let _ = tx.blocking_send(Ok(Bytes::from(bytes)));
    }
}

/// The request hash of the canonical request rebuilt from the wire the enclave
/// received, or the gateway's 400 message.
fn checked(wire: Option<Value>) -> Result<(Hash32, Value), String> {
    let wire = wire.ok_or("the request is not JSON")?;
    let hash = og_canon::build_inner_request(&wire)
        .map_err(|e| e.to_string())?
        .request_hash();
    Ok((hash, wire))
}

fn model_name(wire: &Value) -> String {
    wire.get("model")
        .and_then(Value::as_str)
        .unwrap_or("sim")
        .to_owned()
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn envelope(status: i64, body: Value) -> Value {
    obj([("status", status.into()), ("body", body)])
}

fn error_body(message: &str) -> Value {
    obj([(
        "error",
        obj([
            ("message", message.into()),
            ("type", "invalid_request_error".into()),
        ]),
    )])
}

/// One SSE frame, `data: <json>\n\n`, JSON as Python's `json.dumps` writes it.
fn sse(event: &Value) -> Vec<u8> {
    let mut out = b"data: ".to_vec();
    og_canon::write_python_json(event, false, &mut out);
    out.extend_from_slice(b"\n\n");
    out
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
