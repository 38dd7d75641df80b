//! `og`: verified private LLM inference on OpenGradient's TEE network.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use og_cli::{Failure, canon, chat, dev, serve, tees, verify};

const AFTER_HELP: &str = "\
Start here: `og dev --demo` runs a verified chat through a simulated enclave and relay, offline.

Exit codes: 0 ok (verified), 1 not verified (integrity or verification failure),
2 usage or input error, 3 relay, network or service failure.

The TEE comes from the on-chain registry (--rpc-url, --registry; pin it with --pcr or
--tee-id), or from a TEE record file with --tee FILE (`og dev` writes an example to
target/og-dev-tee.json). Options also come from a JSON config file: --config FILE.";

/// Verified, private LLM inference on OpenGradient's TEE network.
///
/// Every answer is checked against the enclave's signature before it is shown.
#[derive(Parser, Debug)]
#[command(name = "og", version, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace). Never bodies or tokens.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Machine-readable output: JSON on stdout.
    #[arg(long, global = true)]
    json: bool,

    /// Read options from this JSON file (keys: relay, tee, token_file, rpc_url,
    /// registry, tee_type, pcr_hash, tee_id, refresh, the timeouts and limits, host,
    /// port, models). Flags and environment variables override it.
    #[arg(long, global = true, value_name = "FILE", env = og_cli::config::CONFIG_ENV)]
    config: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One verified chat: the answer on stdout, then its proof on stderr.
    Chat(chat::ChatArgs),
    /// A local OpenAI-compatible server that only answers with verified output.
    ///
    /// Listens on 127.0.0.1:8765 by default. Routes: POST /v1/chat/completions
    /// (streaming and not), GET /v1/models, GET /health. Verified answers carry
    /// X-OpenGradient-Verified: true and X-OpenGradient-TEE-Id; errors use OpenAI's
    /// envelope (400 bad request, 401 relay auth, 502 verification failure, 503 relay
    /// unreachable, relay statuses passed through). Stops gracefully on SIGINT/SIGTERM.
    Serve(serve::ServeArgs),
    /// Re-check a saved exchange or proof offline (exit 0 only when verified).
    Verify(verify::VerifyArgs),
    /// JSON Lines of OpenAI request bodies on stdin -> wire, canonical string and
    /// request hash on stdout (one line per input line).
    Canon(canon::CanonArgs),
    /// A simulated enclave and relay (og-sim) plus `og serve`, offline; --demo runs a
    /// verified chat through it all and exits.
    Dev(dev::DevArgs),
    /// The on-chain registry's active TEEs: tee_id, endpoint, type, OHTTP capability,
    /// key id, PCR hash, last heartbeat, and whether each can be used (or why not).
    Tees(tees::TeesArgs),
}

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(path) = og_cli::config::config_path(&args) {
        let command = Cli::command();
        let takes = |sub: &str, flag: &str| {
            command
                .find_subcommand(sub)
                .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some(flag)))
        };
        args = match og_cli::config::apply(args, &path, takes) {
            Ok(a) => a,
            Err(f) => {
                eprintln!("og: {f}");
                return f.exit_code();
            }
        };
    }
    let cli = Cli::parse_from(args);
    // The demo provokes a refused answer on purpose: its warning is expected there.
    let quiet_demo = matches!(&cli.command, Command::Dev(a) if a.demo) && cli.verbose == 0;
    og_cli::logging::init_level(if quiet_demo {
        tracing::level_filters::LevelFilter::ERROR
    } else {
        og_cli::logging::level(cli.verbose)
    });
    let result = match &cli.command {
        Command::Chat(a) => chat::run(a, cli.json),
        Command::Serve(a) => serve::run(a, cli.json),
        Command::Verify(a) => match verify::run(a, cli.json) {
            Ok(code) => return ExitCode::from(code),
            Err(f) => Err(f),
        },
        Command::Canon(a) => run_canon(a),
        Command::Dev(a) => dev::run(a, cli.json),
        Command::Tees(a) => tees::run(a, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("og: {f}");
            f.exit_code()
        }
    }
}

fn run_canon(args: &canon::CanonArgs) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
    let stats = canon::run(args, input, stdout.lock())
        .map_err(|e| Failure::service(format!("og canon: I/O error: {e}")))?;
    tracing::info!(
        lines = stats.lines,
        ok = stats.ok,
        errors = stats.errors,
        ms = started.elapsed().as_millis() as u64,
        "canon done"
    );
    Ok(())
}
