//! Shared helpers: a simulator + proxy on loopback, and a small HTTP client (ureq).
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use og_canon::Value;
use og_cli::proxy::{Proxy, ProxyConfig};
use og_sim::Sim;

/// The `og` binary with every `OG_*` variable it reads removed (so the caller's
/// environment cannot change a test).
pub fn og() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_og"));
    for var in [
        "OG_RELAY_TOKEN",
        "OG_RELAY_URL",
        "OG_TEE_FILE",
        "OG_MODEL",
        "OG_PROXY_API_KEY",
        "OG_RPC_URL",
        "OG_REGISTRY_ADDRESS",
        "OG_TEE_TYPE",
        "OG_PCR_HASH",
        "OG_TEE_ID",
        "OG_REFRESH",
        "OG_CONFIG",
    ] {
        c.env_remove(var);
    }
    c
}

/// A simulator and a proxy in front of it.
pub struct Harness {
    pub sim: Sim,
    pub proxy: Proxy,
}

impl Harness {
    /// A fresh simulator (echo model unless `builder` says otherwise) and proxy.
    pub fn start(builder: og_sim::SimBuilder) -> Harness {
        Harness::start_with(builder, |c| c)
    }

    /// As [`Harness::start`], with a tweak of the proxy configuration.
    pub fn start_with(
        builder: og_sim::SimBuilder,
        tweak: impl FnOnce(ProxyConfig) -> ProxyConfig,
    ) -> Harness {
        let sim = builder.start().expect("simulator");
        let proxy = Proxy::bind(
            tweak(ProxyConfig::new(sim.client().expect("client"))),
            "127.0.0.1:0",
            false,
        )
        .expect("proxy");
        Harness { sim, proxy }
    }

    /// `http://127.0.0.1:PORT/v1/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.proxy.base_url())
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.proxy.url())
    }
}

/// One harness per test process for the tests that never change the simulator
/// (nextest runs each test in its own process; `cargo test` shares it).
pub fn shared() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| Harness::start(Sim::builder()))
}

/// An HTTP answer.
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        og_canon::parse(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The OpenAI error envelope's message (panics if it is not one).
    pub fn error_message(&self) -> String {
        let v = self.json();
        let e = v.get("error").expect("an error envelope");
        assert!(
            e.get("type").and_then(Value::as_str).is_some(),
            "{}",
            self.body
        );
        e.get("message")
            .and_then(Value::as_str)
            .expect("message")
            .to_owned()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn collect(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut resp = result.expect("HTTP exchange");
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

pub fn post(url: &str, body: impl AsRef<[u8]>) -> Reply {
    collect(
        agent()
            .post(url)
            .header("Content-Type", "application/json")
            .send(body.as_ref()),
    )
}

pub fn get(url: &str) -> Reply {
    collect(agent().get(url).call())
}

/// A user message body for `model` with the given content (JSON text).
pub fn chat_body(content_json: &str, stream: bool) -> String {
    format!(
        r#"{{"model": "gpt-4.1", "messages": [{{"role": "user", "content": {content_json}}}]{}}}"#,
        if stream { r#", "stream": true"# } else { "" }
    )
}

/// The data payloads of an SSE body, `[DONE]` included.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.trim().to_owned())
        .collect()
}

/// The content reassembled from an SSE body's deltas.
pub fn sse_content(body: &str) -> String {
    sse_data(body)
        .iter()
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| og_canon::parse(d).ok())
        .filter_map(|e| {
            e.get("choices")?
                .as_array()?
                .first()?
                .get("delta")?
                .get("content")?
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = match key.parse::<usize>() {
            Ok(i) => cur.as_array()?.get(i)?,
            Err(_) => cur.get(key)?,
        };
    }
    cur.as_str()
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
