//! Which handler answers which request; logging of every request (no bodies).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

use super::errors::ApiError;
use super::{State, handlers};

/// A response of the proxy (every answer is whole: streams are replayed after
/// verification).
pub type Body = Full<Bytes>;

/// Routes one request.
pub(crate) async fn route(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = dispatch(&state, req, &method, &path).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(%method, path, status, ms, "request");
    response
}

async fn dispatch(
    state: &Arc<State>,
    req: Request<Incoming>,
    method: &Method,
    path: &str,
) -> Response<Body> {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    let allowed: &str = match path {
        "/v1/chat/completions" | "/chat/completions" => "POST",
        "/v1/models" | "/models" | "/health" => "GET, HEAD",
        p if p.starts_with("/v1/models/") => "GET, HEAD",
        _ => {
            return error_response(&ApiError::not_found(format!(
                "no route {path}; this server answers POST /v1/chat/completions, GET /v1/models \
                 and GET /health"
            )));
        }
    };
    let ok = match *method {
        Method::POST => allowed == "POST",
        Method::GET | Method::HEAD => allowed != "POST",
        _ => false,
    };
    if !ok {
        let mut r = error_response(&ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            format!("{method} is not allowed on {path}; use {allowed}"),
        ));
        if let Ok(v) = allowed.parse() {
            r.headers_mut().insert(hyper::header::ALLOW, v);
        }
        return r;
    }
    if let Err(e) = handlers::check_api_key(state, &req) {
        return error_response(&e);
    }
    let result = match path {
        "/v1/chat/completions" | "/chat/completions" => handlers::chat(state, req).await,
        "/v1/models" | "/models" => Ok(handlers::models(state)),
        "/health" => Ok(handlers::health(state)),
        p => handlers::model(state, p.trim_start_matches("/v1/models/")),
    };
    let mut response = result.unwrap_or_else(|e| {
        if e.status.is_server_error() {
            tracing::warn!(%method, path, status = e.status.as_u16(), code = e.code.unwrap_or("-"), "{}", e.message);
        }
        error_response(&e)
    });
    if *method == Method::HEAD {
        *response.body_mut() = Full::new(Bytes::new());
    }
    response
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &og_canon::Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(og_canon::to_json_bytes(body))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// The error's JSON envelope with its status.
pub(crate) fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.status, &e.body())
}
