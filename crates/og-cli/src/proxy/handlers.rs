//! The handlers: chat completions (verified), models, health.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use og_canon::Value;
use og_relay::TeeProof;

use super::errors::ApiError;
use super::router::{Body, json_response};
use super::{GENERIC_MODEL, State, sse};
use crate::json::{self, obj, opt_str, uint};

/// `Authorization: Bearer <key>` when the proxy was started with `--api-key`.
pub(crate) fn check_api_key(state: &State, req: &Request<Incoming>) -> Result<(), ApiError> {
    let Some(key) = &state.api_key else {
        return Ok(());
    };
    let given = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), key.expose().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "this proxy requires its API key: send `Authorization: Bearer <key>` (OPENAI_API_KEY)",
        )
        .with_code("invalid_api_key"))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body up to the limit (a declared `Content-Length` over it is refused
/// before reading).
async fn read_body(state: &State, req: Request<Incoming>) -> Result<Bytes, ApiError> {
    let limit = state.max_body_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("the request body is larger than this proxy's limit of {limit} bytes"),
        )
        .with_code("request_too_large")
    };
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
    }
}

/// What a verified exchange produced.
enum Answer {
    Single(og_relay::VerifiedChatResponse),
    Stream(og_relay::VerifiedStream),
}

/// `POST /v1/chat/completions`.
pub(crate) async fn chat(
    state: &Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let bytes = read_body(state, req).await?;
    let body = og_canon::parse_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
            .with_code("invalid_json")
    })?;
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(
                ApiError::bad_request("`stream` must be a boolean").with_code("invalid_stream")
            );
        }
    };
    // Refuse what the gateway cannot sign before contacting anyone (cheap: the
    // canonical form of a small request).
    og_canon::build_inner_request(&body).map_err(|e| {
        ApiError::bad_request(format!("unsupported request: {e}")).with_code(e.category())
    })?;
    drop(bytes);

    let permit = Arc::clone(&state.permits)
        .acquire_owned()
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable_error",
                "the proxy is shutting down",
            )
        })?;
    let client = Arc::clone(&state.client);
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if stream {
            client.stream_chat_completion(&body).map(Answer::Stream)
        } else {
            client.chat_completion(&body).map(Answer::Single)
        }
    })
    .await;
    let answer = match joined {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            tracing::info!(category = e.category(), "chat failed");
            return Err(ApiError::from_relay(&e));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the relay call failed inside the proxy",
            ));
        }
    };
    Ok(match answer {
        Answer::Single(verified) => {
            let (mut body, _content, proof) = verified.into_parts();
            json::insert(
                &mut body,
                "opengradient_verification",
                json::verification_value(&proof),
            );
            let mut r = json_response(StatusCode::OK, &body);
            add_proof_headers(&mut r, &proof);
            tracing::debug!(tee_id = proof.tee_id(), "verified answer");
            r
        }
        Answer::Stream(verified) => {
            let text = sse::replay(verified.frames(), Some(verified.proof()));
            let mut r = Response::new(Full::new(Bytes::from(text)));
            let h = r.headers_mut();
            h.insert(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream; charset=utf-8"),
            );
            h.insert(
                hyper::header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            );
            add_proof_headers(&mut r, verified.proof());
            tracing::debug!(
                tee_id = verified.proof().tee_id(),
                frames = verified.frames().len(),
                "verified stream"
            );
            r
        }
    })
}

fn add_proof_headers(r: &mut Response<Body>, proof: &TeeProof) {
    let h = r.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("x-opengradient-verified", "true");
    put("x-opengradient-tee-id", proof.tee_id());
    put("x-opengradient-request-hash", proof.request_hash());
    put("x-opengradient-output-hash", proof.output_hash());
    put("x-opengradient-timestamp", &proof.timestamp().to_string());
}

fn model_names(state: &State) -> Vec<&str> {
    if state.models.is_empty() {
        vec![GENERIC_MODEL]
    } else {
        state.models.iter().map(String::as_str).collect()
    }
}

fn model_object(id: &str) -> Value {
    obj([
        ("id", id.into()),
        ("object", "model".into()),
        ("created", uint(0)),
        ("owned_by", "opengradient-tee".into()),
    ])
}

/// `GET /v1/models`.
pub(crate) fn models(state: &State) -> Response<Body> {
    let data = model_names(state).into_iter().map(model_object).collect();
    json_response(
        StatusCode::OK,
        &obj([("object", "list".into()), ("data", Value::Array(data))]),
    )
}

/// `GET /v1/models/{id}`.
pub(crate) fn model(state: &State, id: &str) -> Result<Response<Body>, ApiError> {
    if model_names(state).contains(&id) {
        Ok(json_response(StatusCode::OK, &model_object(id)))
    } else {
        Err(
            ApiError::not_found(format!("the model {id:?} is not listed by this proxy"))
                .with_code("model_not_found"),
        )
    }
}

/// `GET /health`.
pub(crate) fn health(state: &State) -> Response<Body> {
    let tee = state.client.tee();
    let pcr = tee
        .as_ref()
        .and_then(|t| t.pcr_hash())
        .map(ToString::to_string);
    let tee_id = tee.as_ref().map(|t| t.tee_id().to_string());
    let source = if state.client.resolver().is_some() {
        "registry"
    } else {
        "tee_record"
    };
    json_response(
        StatusCode::OK,
        &obj([
            ("status", if tee.is_some() { "ok" } else { "no_tee" }.into()),
            ("verified_only", true.into()),
            ("tee_id", opt_str(tee_id.as_deref())),
            ("endpoint", opt_str(tee.as_ref().map(|t| t.endpoint()))),
            ("pcr_hash", opt_str(pcr.as_deref())),
            ("tee_source", source.into()),
            ("relay", state.client.relay_url().into()),
            ("version", env!("CARGO_PKG_VERSION").into()),
        ]),
    )
}
