//! The relay client: seal, post, read, open, verify.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use og_canon::{Hash32, Value};
use og_ohttp_core::{ChunkLimits, ClientRequest, ResponseContext};
use zeroize::Zeroizing;

use crate::error::from_ureq;
use crate::exchange::{check_declared_length, read_bounded, relay_error, request_headers};
use crate::response::verify_single;
use crate::stream::{StreamReader, UnverifiedStream, VerifiedStream};
use crate::{AuthProvider, Error, TeeEndpoint, VerifiedChatResponse};

/// The relay path every gateway serves; appended to a relay URL that lacks it.
pub const RELAY_PATH: &str = "/api/v1/chat/ohttp";

/// Time and size limits of one exchange.
///
/// Defaults (see [`Limits::default`]): connect 10 s, read 120 s, total 300 s,
/// response 32 MiB, chunk 1 MiB.
///
/// ```
/// use std::time::Duration;
/// let limits = og_relay::Limits {
///     total_timeout: Duration::from_secs(30),
///     ..Default::default()
/// };
/// assert_eq!(limits.max_chunk_bytes, 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Resolving the relay's host and opening the connection, TLS handshake included.
    pub connect_timeout: Duration,
    /// The longest the relay may stay silent: each read of the response (headers and
    /// body) and each write of the request. A single-shot answer arrives only when
    /// the model has finished, so this also bounds the generation time of
    /// non-streamed requests; the default matches the reference's 120 s.
    pub read_timeout: Duration,
    /// Deadline for the whole exchange, from connecting to the last byte of the
    /// response. For [`RelayClient::stream_chat_completion_unverified`] it keeps
    /// running while the caller processes items.
    pub total_timeout: Duration,
    /// The largest response body accepted, in bytes (ciphertext). A declared
    /// `Content-Length` above it fails before anything is read; a body that grows past
    /// it fails as soon as it does.
    pub max_response_bytes: u64,
    /// The largest chunk of a streamed response, in bytes: a length prefix claiming
    /// more fails at once, without buffering.
    pub max_chunk_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            total_timeout: Duration::from_secs(300),
            max_response_bytes: 32 << 20,
            max_chunk_bytes: 1 << 20,
        }
    }
}

/// Builds a [`RelayClient`]; see [`RelayClient::builder`].
#[must_use]
pub struct RelayClientBuilder {
    relay_url: String,
    endpoint: TeeEndpoint,
    auth: Option<Box<dyn AuthProvider>>,
    limits: Limits,
    #[cfg(feature = "test-vectors")]
    ephemeral_key: Option<Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for RelayClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayClientBuilder")
            .field("relay_url", &self.relay_url)
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.as_ref().map(|_| "<provider>"))
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RelayClientBuilder {
    /// Authenticates every request with `provider` (asked on every request).
    pub fn auth(mut self, provider: impl AuthProvider + 'static) -> Self {
        self.auth = Some(Box::new(provider));
        self
    }

    /// Sets the time and size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// **TEST VECTORS ONLY.** Seals every request with this fixed HPKE ephemeral
    /// secret key instead of a fresh random one, so an exchange is reproducible.
    ///
    /// A fixed ephemeral key destroys the privacy of every request sent with it:
    /// anyone holding it can decrypt the request and the answer. It exists only
    /// behind the non-default `test-vectors` cargo feature, for the conformance runner
    /// and tests; a normal build cannot call it.
    #[cfg(feature = "test-vectors")]
    pub fn ephemeral_key_for_tests(mut self, secret_key: [u8; 32]) -> Self {
        self.ephemeral_key = Some(Zeroizing::new(secret_key));
        self
    }

    /// Checks the URL and builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a URL that is not plain `http`/`https` with a host
    /// (no credentials, query or fragment); [`Error::InvalidEndpoint`] when the OHTTP
    /// key is refused by the HPKE layer.
    pub fn build(self) -> Result<RelayClient, Error> {
        let url = relay_url(&self.relay_url)?;
        // Checks the key (a low-order point, for one) before the first request.
        let ohttp = self.endpoint.ohttp();
        ClientRequest::new(ohttp.key_id, self.endpoint.suite(), &ohttp.public_key)
            .map_err(|e| Error::InvalidEndpoint(format!("the OHTTP public key: {e}")))?;
        let limits = self.limits;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_per_read(Some(limits.read_timeout))
            .timeout_per_write(Some(limits.read_timeout))
            .timeout_global(Some(limits.total_timeout))
            .user_agent(concat!("og-relay/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(RelayClient {
            inner: Arc::new(Inner {
                url,
                tee_id: self.endpoint.tee_id().to_string(),
                endpoint: Arc::new(self.endpoint),
                agent: config.into(),
                auth: self.auth,
                limits,
                #[cfg(feature = "test-vectors")]
                ephemeral_key: self.ephemeral_key,
            }),
        })
    }
}

/// A client for verified chat completions through an OHTTP relay.
///
/// Synchronous (over `ureq` with rustls), `Send + Sync`, and cheap to clone (an `Arc`
/// inside, connections pooled), so one client can serve a whole program.
///
/// Each call builds the canonical and wire requests ([`og_canon`]), seals the wire to
/// the TEE's OHTTP key ([`og_ohttp_core`]), posts it to the relay with the headers of
/// PROTOCOL §5, opens the answer and verifies the enclave's signature
/// ([`og_verify`]) before returning anything.
///
/// ```no_run
/// use og_relay::{BearerToken, OhttpConfig, RelayClient, TeeEndpoint};
/// # fn main() -> Result<(), og_relay::Error> {
/// # let (signing_key_der, ohttp_key): (Vec<u8>, Vec<u8>) = (vec![], vec![]);
/// let tee = TeeEndpoint::new(
///     "https://tee.example",
///     &signing_key_der,
///     OhttpConfig::x25519_chacha20poly1305(1, ohttp_key),
/// )?;
/// let client = RelayClient::builder("https://relay.example", tee)
///     .auth(BearerToken::new("token"))
///     .build()?;
/// let body = og_canon::parse(r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}"#)
///     .expect("valid JSON");
/// let answer = client.chat_completion(&body)?;
/// println!("{} (signed by {})", answer.content(), answer.proof().tee_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RelayClient {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    tee_id: String,
    endpoint: Arc<TeeEndpoint>,
    agent: ureq::Agent,
    auth: Option<Box<dyn AuthProvider>>,
    limits: Limits,
    #[cfg(feature = "test-vectors")]
    ephemeral_key: Option<Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayClient")
            .field("url", &self.inner.url)
            .field("endpoint", &self.inner.endpoint)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// A sealed request, ready to post.
struct Sealed {
    request: Vec<u8>,
    context: ResponseContext,
    request_hash: Hash32,
}

impl RelayClient {
    /// Starts a client for `relay_url` (the path `/api/v1/chat/ohttp` is appended
    /// unless the URL already ends with it) and the TEE `endpoint`.
    pub fn builder(relay_url: &str, endpoint: TeeEndpoint) -> RelayClientBuilder {
        RelayClientBuilder {
            relay_url: relay_url.to_owned(),
            endpoint,
            auth: None,
            limits: Limits::default(),
            #[cfg(feature = "test-vectors")]
            ephemeral_key: None,
        }
    }

    /// The URL requests are posted to.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The TEE this client talks to.
    pub fn endpoint(&self) -> &TeeEndpoint {
        &self.inner.endpoint
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Sends a chat completion and returns it once its signature verified.
    ///
    /// # Errors
    /// [`Error::UnsupportedRequest`] before anything is sent; then [`Error::Relay`]
    /// (relay or inner status), [`Error::Transport`], [`Error::Timeout`],
    /// [`Error::ResponseTooLarge`], [`Error::Ohttp`], [`Error::MalformedInner`] or
    /// [`Error::Verification`].
    pub fn chat_completion(&self, body: &Value) -> Result<VerifiedChatResponse, Error> {
        let sealed = self.seal(body, false)?;
        let response = self.post(&sealed.request, false)?;
        let limit = self.inner.limits.max_response_bytes;
        let body = response.into_body();
        check_declared_length(&body, limit)?;
        let declared = body.content_length();
        let ciphertext = read_bounded(body.into_reader(), limit, declared)?;
        let plaintext = Zeroizing::new(sealed.context.open(&ciphertext)?);
        verify_single(&plaintext, &sealed.request_hash, &self.inner.endpoint)
    }

    /// Sends a streaming chat completion, reads and decrypts the stream as it arrives,
    /// and returns the frames only after the signed final event verified.
    ///
    /// This is the safe way to stream: no frame reaches the caller unverified (the
    /// cost is that nothing is shown until the answer is complete). The ciphertext is
    /// never buffered whole; decrypted frames are kept (bounded by
    /// [`Limits::max_response_bytes`]).
    ///
    /// # Errors
    /// As [`RelayClient::chat_completion`], plus [`Error::MissingFinalEvent`] and
    /// [`Error::Relay`] with status 502 for an error event in the stream.
    pub fn stream_chat_completion(&self, body: &Value) -> Result<VerifiedStream, Error> {
        self.open_stream(body)?.run_to_end()
    }

    /// **UNVERIFIED** progressive streaming: yields each decrypted frame as it arrives,
    /// before the signature is checked, and verifies at the end.
    ///
    /// Every [`crate::UnverifiedEvent::Delta`] may be forged or altered by the relay
    /// until the terminal [`crate::UnverifiedEvent::Verified`] item proves the stream
    /// genuine; if the iterator ends in an `Err` instead, everything it yielded must
    /// be treated as untrusted and retracted. Prefer
    /// [`RelayClient::stream_chat_completion`] unless you can do that.
    ///
    /// # Errors
    /// Errors before the first byte of the answer (unsupported request, relay status,
    /// transport, ...) are returned here; later ones arrive as the iterator's
    /// terminal `Err` item.
    pub fn stream_chat_completion_unverified(
        &self,
        body: &Value,
    ) -> Result<UnverifiedStream, Error> {
        Ok(UnverifiedStream::new(self.open_stream(body)?))
    }

    fn open_stream(&self, body: &Value) -> Result<StreamReader, Error> {
        let sealed = self.seal(body, true)?;
        let response = self.post(&sealed.request, true)?;
        let limits = &self.inner.limits;
        let body = response.into_body();
        check_declared_length(&body, limits.max_response_bytes)?;
        let decrypter = sealed.context.chunked_decrypter(ChunkLimits {
            max_chunk: limits.max_chunk_bytes,
            max_total: limits.max_response_bytes,
        });
        Ok(StreamReader::new(
            body.into_reader(),
            decrypter,
            limits.max_response_bytes,
            sealed.request_hash,
            Arc::clone(&self.inner.endpoint),
        ))
    }

    /// Builds the inner request and seals its wire form to the TEE's key.
    fn seal(&self, body: &Value, stream: bool) -> Result<Sealed, Error> {
        let inner_request = og_canon::build_inner_request(body)?;
        let plaintext = Zeroizing::new(inner_request.wire_bytes(stream));
        let endpoint = &self.inner.endpoint;
        let ohttp = endpoint.ohttp();
        let client = ClientRequest::new(ohttp.key_id, endpoint.suite(), &ohttp.public_key)?;
        #[cfg(feature = "test-vectors")]
        let (request, context) = match &self.inner.ephemeral_key {
            Some(sk_e) => client.encapsulate_deterministic_for_tests(&plaintext, &sk_e[..])?,
            None => client.encapsulate(&plaintext)?,
        };
        #[cfg(not(feature = "test-vectors"))]
        let (request, context) = client.encapsulate(&plaintext)?;
        Ok(Sealed {
            request,
            context,
            request_hash: inner_request.request_hash(),
        })
    }

    /// Posts the sealed request; a non-2xx answer becomes [`Error::Relay`].
    fn post(
        &self,
        request: &[u8],
        stream: bool,
    ) -> Result<ureq::http::Response<ureq::Body>, Error> {
        let headers = request_headers(&self.inner.tee_id, stream, self.inner.auth.as_deref())?;
        let mut builder = self.inner.agent.post(&self.inner.url);
        for (name, value) in &headers {
            builder = builder.header_raw(name, value.as_bytes());
        }
        let response = builder.send(request).map_err(from_ureq)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(relay_error(response))
        }
    }
}

/// Checks a relay URL and appends [`RELAY_PATH`] unless it already ends with it.
///
/// Only `http` and `https` URLs with a host are accepted; credentials in the URL, a
/// query or a fragment are refused (put credentials in an [`AuthProvider`]).
/// Trailing slashes are dropped before appending.
pub(crate) fn relay_url(input: &str) -> Result<String, Error> {
    let trimmed = input.trim();
    // Never echo credentials back in a message.
    let trimmed_shown = if trimmed.contains('@') {
        "<the URL>"
    } else {
        trimmed
    };
    let uri: ureq::http::Uri = trimmed
        .parse()
        .map_err(|e| Error::InvalidUrl(format!("{trimmed_shown:?} is not a URL: {e}")))?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(Error::InvalidUrl(format!(
                "scheme {other:?} is not supported; use http or https"
            )));
        }
        None => {
            return Err(Error::InvalidUrl(format!(
                "{trimmed_shown:?} has no scheme; write https://{trimmed_shown}"
            )));
        }
    }
    let Some(authority) = uri.authority() else {
        return Err(Error::InvalidUrl(format!("{trimmed_shown:?} has no host")));
    };
    if authority.as_str().contains('@') {
        return Err(Error::InvalidUrl(
            "credentials in the URL are refused; use an AuthProvider".into(),
        ));
    }
    if authority.host().is_empty() {
        return Err(Error::InvalidUrl(format!("{trimmed_shown:?} has no host")));
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return Err(Error::InvalidUrl(format!(
            "{trimmed_shown:?} has a query or fragment; give the relay's base URL"
        )));
    }
    let base = trimmed.trim_end_matches('/');
    if base.ends_with(RELAY_PATH) {
        Ok(base.to_owned())
    } else {
        Ok(format!("{base}{RELAY_PATH}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_path_is_appended_once() {
        for (input, want) in [
            (
                "https://relay.example",
                "https://relay.example/api/v1/chat/ohttp",
            ),
            (
                "https://relay.example/",
                "https://relay.example/api/v1/chat/ohttp",
            ),
            (
                "https://relay.example/api/v1/chat/ohttp",
                "https://relay.example/api/v1/chat/ohttp",
            ),
            (
                "https://relay.example/api/v1/chat/ohttp/",
                "https://relay.example/api/v1/chat/ohttp",
            ),
            (
                "http://127.0.0.1:8080/prefix",
                "http://127.0.0.1:8080/prefix/api/v1/chat/ohttp",
            ),
            (
                "  HTTPS://relay.example  ",
                "HTTPS://relay.example/api/v1/chat/ohttp",
            ),
            ("http://[::1]:9/", "http://[::1]:9/api/v1/chat/ohttp"),
        ] {
            assert_eq!(relay_url(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn bad_relay_urls_are_refused() {
        for bad in [
            "",
            "relay.example",
            "ftp://relay.example",
            "file:///etc/passwd",
            "https://",
            "https://user:pw@relay.example",
            "https://relay.example/?x=1",
            "https://relay.example/#frag",
            "https://relay example",
        ] {
            assert!(
                matches!(relay_url(bad), Err(Error::InvalidUrl(_))),
                "{bad:?}: {:?}",
                relay_url(bad)
            );
        }
        // Credentials never appear in the message.
        let e = relay_url("https://user:pw@relay.example").unwrap_err();
        assert!(!e.to_string().contains("pw"));
    }

    #[test]
    fn default_limits_are_the_documented_ones() {
        let l = Limits::default();
        assert_eq!(l.connect_timeout, Duration::from_secs(10));
        assert_eq!(l.read_timeout, Duration::from_secs(120));
        assert_eq!(l.total_timeout, Duration::from_secs(300));
        assert_eq!(l.max_response_bytes, 32 * 1024 * 1024);
        assert_eq!(l.max_chunk_bytes, 1024 * 1024);
    }
}
