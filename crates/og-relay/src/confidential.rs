//! The one-call client (the reference's `ConfidentialLLM`): a relay URL and a TEE
//! (from the registry or given) in, verified chat answers out.

use std::fmt;
use std::sync::Arc;
#[cfg(feature = "registry")]
use std::sync::Mutex;

use og_canon::{Map, Number, Value};

use crate::{AuthProvider, Error, Limits, RelayClient, TeeEndpoint, VerifiedChatResponse};

/// The request options of [`ConfidentialClient::chat`], with the reference's
/// defaults (`max_tokens` 100, `temperature` 0.0).
///
/// ```
/// let options = og_relay::ChatOptions { max_tokens: 200, ..Default::default() };
/// assert_eq!(options.temperature, 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ChatOptions {
    /// Maximum output tokens. Default 100.
    pub max_tokens: u64,
    /// Sampling temperature. Default 0.0.
    pub temperature: f64,
    /// Stop sequences; sent as `stop` when not empty.
    pub stop: Vec<String>,
    /// Function-calling tool definitions (a JSON array); sent with `tool_choice`.
    pub tools: Option<Value>,
    /// The tool choice; defaults to `"auto"` when `tools` are given. Forwarded on the
    /// wire but not part of the signed request hash.
    pub tool_choice: Option<Value>,
    /// OpenAI `response_format`.
    pub response_format: Option<Value>,
    /// The provider's native web search (`"web_search": true`).
    pub web_search: bool,
    /// Stream the answer (it is still verified whole before [`ConfidentialClient::chat`]
    /// returns; [`VerifiedChatResponse::stream_frames`] then holds the frames).
    pub stream: bool,
}

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            max_tokens: 100,
            temperature: 0.0,
            stop: Vec::new(),
            tools: None,
            tool_choice: None,
            response_format: None,
            web_search: false,
            stream: false,
        }
    }
}

/// The gateway's model name for a `provider/model` id: the part after the first `/`
/// (ids without one pass through), as the reference and the chat app do.
///
/// ```
/// assert_eq!(og_relay::gateway_model("anthropic/claude-haiku-4-5"), "claude-haiku-4-5");
/// assert_eq!(og_relay::gateway_model("gpt-4.1"), "gpt-4.1");
/// ```
pub fn gateway_model(model: &str) -> &str {
    model.split_once('/').map_or(model, |(_, name)| name)
}

/// The OpenAI `/v1/chat/completions` body [`ConfidentialClient::chat`] sends, built
/// exactly as the reference's `ConfidentialLLM._build_body` does.
///
/// ```
/// use og_relay::{ChatOptions, Value, build_chat_body};
/// let messages = [og_canon::parse(r#"{"role": "user", "content": "Hi"}"#).unwrap()];
/// let body = build_chat_body("openai/gpt-4.1", &messages, &ChatOptions::default());
/// assert_eq!(
///     og_canon::to_python_json(&body, false),
///     r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 100, "temperature": 0.0}"#
/// );
/// ```
pub fn build_chat_body(model: &str, messages: &[Value], options: &ChatOptions) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(gateway_model(model)));
    body.insert("messages".into(), Value::Array(messages.to_vec()));
    body.insert(
        "max_tokens".into(),
        Value::Number(Number::from_u64(options.max_tokens)),
    );
    body.insert(
        "temperature".into(),
        Number::from_f64(options.temperature).map_or(Value::Null, Value::Number),
    );
    if !options.stop.is_empty() {
        let stop = options
            .stop
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect();
        body.insert("stop".into(), Value::Array(stop));
    }
    if let Some(tools) = options.tools.as_ref().filter(|t| t.is_truthy()) {
        body.insert("tools".into(), tools.clone());
        let choice = options
            .tool_choice
            .clone()
            .filter(Value::is_truthy)
            .unwrap_or_else(|| Value::from("auto"));
        body.insert("tool_choice".into(), choice);
    }
    if let Some(format) = options.response_format.as_ref().filter(|f| f.is_truthy()) {
        body.insert("response_format".into(), format.clone());
    }
    if options.web_search {
        body.insert("web_search".into(), Value::Bool(true));
    }
    Value::Object(body)
}

/// The caller's auth provider, shared by the relay clients built for each TEE.
#[derive(Clone)]
struct SharedAuth(Arc<dyn AuthProvider>);

impl AuthProvider for SharedAuth {
    fn headers(&self) -> Result<Vec<(String, String)>, Error> {
        self.0.headers()
    }
}

enum Source {
    Fixed(RelayClient),
    #[cfg(feature = "registry")]
    Registry {
        resolver: crate::registry::BlockingResolver,
        client: Mutex<Option<RelayClient>>,
    },
}

/// Verified, private chat completions in one call: seals each request to a TEE,
/// posts it through the relay, and returns the answer only once the enclave's
/// signature verified (the reference's `ConfidentialLLM`).
///
/// The TEE comes from the on-chain registry (the default, with the `registry`
/// feature: the reference's public RPC URL and registry address unless overridden;
/// kept by a [`Resolver`](crate::registry::Resolver), which re-reads the registry
/// and, after a transport failure, selects another TEE and retries once), or is given
/// explicitly with [`ConfidentialClientBuilder::tee`].
///
/// ```no_run
/// use og_relay::{BearerToken, ChatOptions, ConfidentialClient};
/// # fn main() -> Result<(), og_relay::Error> {
/// let client = ConfidentialClient::builder("https://relay.example")
///     .auth(BearerToken::new("relay-token"))
///     .build()?; // picks an attested TEE from the registry
/// let messages = [og_canon::parse(r#"{"role": "user", "content": "Hello!"}"#).unwrap()];
/// let answer = client.chat("anthropic/claude-haiku-4-5", &messages, &ChatOptions::default())?;
/// println!("{}\n(tee {})", answer.content(), answer.proof().tee_id());
/// # Ok(()) }
/// ```
pub struct ConfidentialClient {
    relay_url: String,
    // Used to build clients for newly selected TEEs (registry only).
    #[cfg_attr(not(feature = "registry"), allow(dead_code))]
    auth: Option<SharedAuth>,
    #[cfg_attr(not(feature = "registry"), allow(dead_code))]
    limits: Limits,
    source: Source,
}

impl fmt::Debug for ConfidentialClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfidentialClient")
            .field("relay_url", &self.relay_url)
            .field("tee", &self.tee().map(|t| t.tee_id().to_string()))
            .finish_non_exhaustive()
    }
}

/// Builds a [`ConfidentialClient`]; see [`ConfidentialClient::builder`].
#[must_use]
pub struct ConfidentialClientBuilder {
    relay_url: String,
    auth: Option<SharedAuth>,
    limits: Limits,
    tee: Option<TeeEndpoint>,
    #[cfg(feature = "registry")]
    registry: Option<crate::registry::Registry>,
    #[cfg(feature = "registry")]
    selection: crate::registry::Selection,
    #[cfg(feature = "registry")]
    refresh_interval: Option<std::time::Duration>,
}

impl fmt::Debug for ConfidentialClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfidentialClientBuilder")
            .field("relay_url", &self.relay_url)
            .field("tee", &self.tee)
            .finish_non_exhaustive()
    }
}

impl ConfidentialClientBuilder {
    /// Authenticates every relay request with `provider` (asked on every request).
    pub fn auth(mut self, provider: impl AuthProvider + 'static) -> Self {
        self.auth = Some(SharedAuth(Arc::new(provider)));
        self
    }

    /// Time and size limits of each exchange.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Uses this TEE, without the registry (a self-hosted or pinned enclave).
    pub fn tee(mut self, tee: TeeEndpoint) -> Self {
        self.tee = Some(tee);
        self
    }

    /// Reads TEEs from this registry instead of the public default.
    #[cfg(feature = "registry")]
    pub fn registry(mut self, registry: crate::registry::Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The selection policy (PCR pin, tee_id pin) applied to the registry.
    #[cfg(feature = "registry")]
    pub fn selection(mut self, selection: crate::registry::Selection) -> Self {
        self.selection = selection;
        self
    }

    /// How often the registry is re-read (default 300 s).
    #[cfg(feature = "registry")]
    pub fn refresh_interval(mut self, interval: std::time::Duration) -> Self {
        self.refresh_interval = Some(interval);
        self
    }

    /// Builds the client. With the registry, this reads it and selects a TEE now, so a
    /// registry without a usable TEE fails here rather than at the first chat.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] / [`Error::InvalidEndpoint`] as [`RelayClient::builder`];
    /// with the registry, [`Error::Rpc`], [`Error::RegistryData`] or [`Error::NoTee`];
    /// without the `registry` feature, [`Error::NoTee`] when no TEE was given.
    pub fn build(self) -> Result<ConfidentialClient, Error> {
        if let Some(tee) = self.tee {
            let client = relay_client(&self.relay_url, tee, self.auth.clone(), self.limits)?;
            return Ok(ConfidentialClient {
                relay_url: client.url().to_owned(),
                auth: self.auth,
                limits: self.limits,
                source: Source::Fixed(client),
            });
        }
        #[cfg(feature = "registry")]
        {
            use crate::registry::{BlockingResolver, Registry, Resolver};
            let registry = match self.registry {
                Some(r) => r,
                None => Registry::public()?,
            };
            let mut resolver = Resolver::new(registry, self.selection);
            if let Some(interval) = self.refresh_interval {
                resolver = resolver.refresh_interval(interval);
            }
            let resolver = BlockingResolver::new(resolver);
            let tee = resolver.endpoint()?;
            let client = relay_client(&self.relay_url, tee, self.auth.clone(), self.limits)?;
            Ok(ConfidentialClient {
                relay_url: client.url().to_owned(),
                auth: self.auth,
                limits: self.limits,
                source: Source::Registry {
                    resolver,
                    client: Mutex::new(Some(client)),
                },
            })
        }
        #[cfg(not(feature = "registry"))]
        Err(Error::NoTee(
            "no TEE given: call ConfidentialClientBuilder::tee (og-relay was built without the `registry` feature)".into(),
        ))
    }
}

impl From<RelayClient> for ConfidentialClient {
    /// A client for the relay client's TEE (no registry, no failover).
    fn from(client: RelayClient) -> Self {
        ConfidentialClient {
            relay_url: client.url().to_owned(),
            auth: None,
            limits: *client.limits(),
            source: Source::Fixed(client),
        }
    }
}

fn relay_client(
    url: &str,
    tee: TeeEndpoint,
    auth: Option<SharedAuth>,
    limits: Limits,
) -> Result<RelayClient, Error> {
    let mut builder = RelayClient::builder(url, tee).limits(limits);
    if let Some(auth) = auth {
        builder = builder.auth(auth);
    }
    builder.build()
}

impl ConfidentialClient {
    /// Starts a client for the relay at `relay_url` (its base URL, or the full
    /// `/api/v1/chat/ohttp` URL).
    pub fn builder(relay_url: &str) -> ConfidentialClientBuilder {
        ConfidentialClientBuilder {
            relay_url: relay_url.to_owned(),
            auth: None,
            limits: Limits::default(),
            tee: None,
            #[cfg(feature = "registry")]
            registry: None,
            #[cfg(feature = "registry")]
            selection: crate::registry::Selection::new(),
            #[cfg(feature = "registry")]
            refresh_interval: None,
        }
    }

    /// The URL requests are posted to.
    pub fn relay_url(&self) -> &str {
        &self.relay_url
    }

    /// The TEE requests are currently sealed to.
    pub fn tee(&self) -> Option<TeeEndpoint> {
        match &self.source {
            Source::Fixed(c) => Some(c.endpoint().clone()),
            #[cfg(feature = "registry")]
            Source::Registry { resolver, .. } => resolver.current(),
        }
    }

    /// Builds the body ([`build_chat_body`]) and sends it: streamed when
    /// `options.stream` (the stream is verified whole before this returns and its
    /// frames kept in [`VerifiedChatResponse::stream_frames`]), single-shot otherwise.
    ///
    /// # Errors
    /// As [`RelayClient::chat_completion`]; with the registry also the errors of
    /// re-selecting a TEE.
    pub fn chat(
        &self,
        model: &str,
        messages: &[Value],
        options: &ChatOptions,
    ) -> Result<VerifiedChatResponse, Error> {
        let body = build_chat_body(model, messages, options);
        if options.stream {
            self.with_client(|c| c.stream_chat_completion(&body).map(Into::into))
        } else {
            self.chat_completion(&body)
        }
    }

    /// Sends a body you built (non-streaming) and returns it verified.
    ///
    /// # Errors
    /// As [`ConfidentialClient::chat`].
    pub fn chat_completion(&self, body: &Value) -> Result<VerifiedChatResponse, Error> {
        self.with_client(|c| c.chat_completion(body))
    }

    /// Sends a body you built as a stream and returns it once verified whole.
    ///
    /// # Errors
    /// As [`ConfidentialClient::chat`].
    pub fn stream_chat_completion(&self, body: &Value) -> Result<crate::VerifiedStream, Error> {
        self.with_client(|c| c.stream_chat_completion(body))
    }

    /// **UNVERIFIED** progressive streaming, as
    /// [`RelayClient::stream_chat_completion_unverified`]: frames are yielded before the
    /// signature is checked. Fails over (registry) only on errors before the first
    /// byte of the answer.
    ///
    /// # Errors
    /// As [`RelayClient::stream_chat_completion_unverified`].
    pub fn stream_chat_completion_unverified(
        &self,
        body: &Value,
    ) -> Result<crate::UnverifiedStream, Error> {
        self.with_client(|c| c.stream_chat_completion_unverified(body))
    }

    /// The registry resolver behind this client (`None` for an explicit TEE): a
    /// server refreshes it in the background with [`Resolver::refresh`](crate::registry::Resolver::refresh).
    #[cfg(feature = "registry")]
    pub fn resolver(&self) -> Option<&Arc<crate::registry::Resolver>> {
        match &self.source {
            Source::Fixed(_) => None,
            Source::Registry { resolver, .. } => Some(resolver.resolver()),
        }
    }

    /// Runs `exchange` with the current TEE's client; with the registry, a
    /// retryable failure (transport, timeout, gateway status) selects another TEE and
    /// retries once.
    fn with_client<T>(
        &self,
        exchange: impl Fn(&RelayClient) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.source {
            Source::Fixed(client) => exchange(client),
            #[cfg(feature = "registry")]
            Source::Registry { resolver, client } => {
                let current = self.registry_client(resolver, client)?;
                match exchange(&current) {
                    Err(e) if e.is_retryable() => {
                        tracing::warn!(tee_id = %current.endpoint().tee_id(), "exchange failed ({e}); failing over");
                        let tee = resolver.fail_over(current.endpoint().tee_id())?;
                        let next =
                            relay_client(&self.relay_url, tee, self.auth.clone(), self.limits)?;
                        *client.lock().unwrap_or_else(|p| p.into_inner()) = Some(next.clone());
                        exchange(&next)
                    }
                    other => other,
                }
            }
        }
    }

    /// The relay client for the resolver's current TEE, rebuilt when it changed.
    #[cfg(feature = "registry")]
    fn registry_client(
        &self,
        resolver: &crate::registry::BlockingResolver,
        cache: &Mutex<Option<RelayClient>>,
    ) -> Result<RelayClient, Error> {
        let tee = resolver.endpoint()?;
        let mut cached = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cached.as_ref() {
            let e = c.endpoint();
            if e.tee_id() == tee.tee_id()
                && e.ohttp() == tee.ohttp()
                && e.endpoint() == tee.endpoint()
            {
                return Ok(c.clone());
            }
        }
        let fresh = relay_client(&self.relay_url, tee, self.auth.clone(), self.limits)?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        og_canon::parse(s).unwrap()
    }

    /// The reference's `_build_body`, case by case (key order and Python formatting
    /// included: the body's JSON is what gets hashed).
    #[test]
    fn body_matches_the_reference_builder() {
        let messages = [parse(r#"{"role": "user", "content": "Hi"}"#)];
        let full = ChatOptions {
            max_tokens: 200,
            temperature: 0.7,
            stop: vec!["END".into()],
            tools: Some(parse(
                r#"[{"type": "function", "function": {"name": "f"}}]"#,
            )),
            tool_choice: None,
            response_format: Some(parse(r#"{"type": "json_object"}"#)),
            web_search: true,
            stream: true,
        };
        assert_eq!(
            og_canon::to_python_json(&build_chat_body("openai/gpt-4.1", &messages, &full), false),
            r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 200, "temperature": 0.7, "stop": ["END"], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto", "response_format": {"type": "json_object"}, "web_search": true}"#
        );
        // An explicit tool choice is kept; empty tools, stop and format are left out
        // (Python's truthiness), and only the first `/` splits the model id.
        let sparse = ChatOptions {
            tools: Some(parse("[]")),
            tool_choice: Some(Value::from("required")),
            response_format: Some(parse("{}")),
            ..Default::default()
        };
        assert_eq!(
            og_canon::to_python_json(&build_chat_body("a/b/c", &messages, &sparse), false),
            r#"{"model": "b/c", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 100, "temperature": 0.0}"#
        );
        let chosen = ChatOptions {
            tools: full.tools.clone(),
            tool_choice: Some(Value::from("required")),
            ..Default::default()
        };
        let body = build_chat_body("m", &messages, &chosen);
        assert_eq!(
            body.get("tool_choice").and_then(Value::as_str),
            Some("required")
        );
    }
}
