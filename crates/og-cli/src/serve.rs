//! `og serve`: the local OpenAI-compatible proxy (see [`crate::proxy`]) until
//! SIGINT/SIGTERM.

use std::net::IpAddr;

use crate::Failure;
use crate::options::{RelayArgs, Secret};
use crate::proxy::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONCURRENCY, DEFAULT_PORT, PLACEHOLDER_API_KEY, Proxy,
    ProxyConfig,
};

/// Where and how the proxy listens.
#[derive(clap::Args, Clone, Debug)]
pub struct ListenArgs {
    /// The address to bind. Keep it on loopback: anyone who reaches the proxy uses
    /// your relay token.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// The port (0: any free port; the bound address is printed).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// A model name to list in /v1/models (repeatable). Requests may name any model;
    /// this is what SDKs and UIs that list models see.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// The largest request body accepted, in bytes (larger: 413).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// How many relay exchanges run at once (more wait their turn).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONCURRENCY)]
    pub max_concurrency: usize,

    /// Require this key from clients (`Authorization: Bearer KEY`, i.e. the SDK's
    /// OPENAI_API_KEY). Default: OG_PROXY_API_KEY; none: any key is accepted.
    #[arg(
        long,
        value_name = "KEY",
        env = "OG_PROXY_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<Secret>,
}

impl ListenArgs {
    /// The proxy configuration around `client`.
    pub fn config(&self, client: impl Into<og_relay::ConfidentialClient>) -> ProxyConfig {
        ProxyConfig {
            models: self.models.clone(),
            max_body_bytes: self.max_body_bytes,
            max_concurrency: self.max_concurrency,
            api_key: self.api_key.clone(),
            ..ProxyConfig::new(client)
        }
    }

    /// Binds and starts the proxy.
    ///
    /// # Errors
    /// A service failure (exit 3) when the address cannot be bound.
    pub fn start(&self, config: ProxyConfig, handle_signals: bool) -> Result<Proxy, Failure> {
        let addr = std::net::SocketAddr::new(self.host, self.port);
        if !self.host.is_loopback() {
            tracing::warn!(
                "listening on {addr}, which is not loopback: anyone who can reach it uses your relay token{}",
                if self.api_key.is_some() {
                    " (an API key is required)"
                } else {
                    "; consider --api-key"
                }
            );
            eprintln!(
                "og: WARNING: listening on {addr}, not on loopback: anyone who reaches it spends your relay token"
            );
        }
        Proxy::start(
            config,
            std::net::TcpListener::bind(addr).map_err(|e| {
                Failure::service(format!(
                    "cannot listen on {addr}: {e}{}",
                    if e.kind() == std::io::ErrorKind::AddrInUse {
                        " (is another og running? use --port N, or --port 0 for any free port)"
                    } else {
                        ""
                    }
                ))
            })?,
            handle_signals,
        )
        .map_err(|e| Failure::service(format!("cannot start the proxy: {e}")))
    }
}

/// Options of `og serve`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Relay, TEE and limits.
    #[command(flatten)]
    pub relay: RelayArgs,
    /// Address, models and limits of the proxy.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// The lines telling an OpenAI SDK where the proxy is.
pub fn export_lines(proxy: &Proxy, api_key_required: bool) -> String {
    format!(
        "export OPENAI_BASE_URL={}\nexport OPENAI_API_KEY={}\n",
        proxy.base_url(),
        if api_key_required {
            "<your --api-key>"
        } else {
            PLACEHOLDER_API_KEY
        }
    )
}

/// Runs `og serve` until SIGINT/SIGTERM.
///
/// # Errors
/// Usage failures for the relay options, a service failure when binding fails.
pub fn run(args: &ServeArgs, json: bool) -> Result<(), Failure> {
    let client = args.relay.client()?;
    let tee = client
        .tee()
        .ok_or_else(|| Failure::service("no TEE selected"))?;
    let relay_url = client.relay_url().to_owned();
    let source = if client.resolver().is_some() {
        format!(
            "registry {} at {}, re-read every {}s",
            args.relay.registry.location.address,
            args.relay.registry.location.rpc_url,
            args.relay.registry.refresh.as_secs()
        )
    } else {
        "TEE record".to_owned()
    };
    let proxy = args.listen.start(args.listen.config(client), true)?;
    if json {
        println!(
            "{}",
            crate::json::to_text(&crate::json::obj([
                ("listening", proxy.url().into()),
                ("base_url", proxy.base_url().into()),
                ("tee_id", tee.tee_id().to_string().into()),
                ("endpoint", tee.endpoint().into()),
                ("relay", relay_url.into()),
                ("tee_source", source.into()),
            ]))
        );
    } else {
        println!(
            "og serve: verified OpenAI-compatible proxy for TEE {} ({})",
            tee.tee_id(),
            tee.endpoint()
        );
        println!("relay: {relay_url}; TEE from {source}");
        println!("listening on {}", proxy.url());
        print!("{}", export_lines(&proxy, args.listen.api_key.is_some()));
        println!("(Ctrl-C to stop)");
    }
    proxy.wait();
    Ok(())
}
