//! `og chat [PROMPT]`: one verified chat.
//!
//! The answer goes to stdout, the proof (tee_id, hashes, timestamp) to stderr, so
//! `og chat "..." > answer.txt` keeps only the answer. `--json` prints one JSON
//! object instead: `{"verified", "content", "request", "response", "output",
//! "proof"}`, which `og verify --exchange FILE` re-checks offline.
//!
//! - default: single-shot, printed once verified;
//! - `--stream`: the safe streaming API; printed only after the stream verified;
//! - `--unverified-stream`: tokens are printed as they arrive, **before**
//!   verification; at the end a loud line says whether the stream verified, and the
//!   exit code is non-zero when it did not.

use std::io::{IsTerminal, Read, Write};

use og_canon::Value;

use crate::Failure;
use crate::json::{obj, proof_value};
use crate::options::RelayArgs;

/// Options of `og chat`.
#[derive(clap::Args, Clone, Debug)]
pub struct ChatArgs {
    /// The prompt (default: read from stdin).
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// The model to ask.
    #[arg(long, value_name = "NAME", env = "OG_MODEL", default_value = "gpt-4.1")]
    pub model: String,

    /// A system message before the prompt.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,

    /// Sampling temperature (signed as a float; default 0.0, as the gateway signs it).
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,

    /// The most tokens to generate.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,

    /// Stream, but show the answer only after the whole stream verified.
    #[arg(long, conflicts_with = "unverified_stream")]
    pub stream: bool,

    /// Print tokens as they arrive, BEFORE verification; the verdict comes at the
    /// end (exit non-zero if it fails). Only for people who can discard what they saw.
    #[arg(long)]
    pub unverified_stream: bool,

    /// Relay, TEE, token and limits.
    #[command(flatten)]
    pub relay: RelayArgs,
}

/// The OpenAI request body for these options.
///
/// # Errors
/// A usage failure for a temperature that is not finite.
pub fn request_body(args: &ChatArgs, prompt: &str) -> Result<Value, Failure> {
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(obj([
            ("role", "system".into()),
            ("content", system.as_str().into()),
        ]));
    }
    messages.push(obj([("role", "user".into()), ("content", prompt.into())]));
    let mut body = obj([
        ("model", args.model.as_str().into()),
        ("messages", Value::Array(messages)),
    ]);
    if let Some(t) = args.temperature {
        let n = og_canon::Number::from_f64(t)
            .ok_or_else(|| Failure::usage("--temperature must be a finite number"))?;
        crate::json::insert(&mut body, "temperature", Value::Number(n));
    }
    if let Some(n) = args.max_tokens {
        crate::json::insert(&mut body, "max_tokens", crate::json::uint(n));
    }
    Ok(body)
}

fn read_prompt(args: &ChatArgs) -> Result<String, Failure> {
    if let Some(p) = &args.prompt {
        return Ok(p.clone());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("og chat: type the prompt, then Ctrl-D");
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read the prompt from stdin: {e}")))?;
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    if text.trim().is_empty() {
        return Err(Failure::usage(
            "no prompt: give one as an argument or on stdin",
        ));
    }
    Ok(text)
}

/// Runs `og chat`.
///
/// # Errors
/// Usage failures (exit 2), verification failures (exit 1), relay failures (exit 3).
pub fn run(args: &ChatArgs, json: bool) -> Result<(), Failure> {
    let prompt = read_prompt(args)?;
    let body = request_body(args, &prompt)?;
    og_canon::build_inner_request(&body)
        .map_err(|e| Failure::usage(format!("unsupported request: {e}")))?;
    let client = args.relay.client()?;
    if args.unverified_stream {
        return unverified(&client, &body, json);
    }
    let (content, response, proof) = if args.stream {
        let s = client.stream_chat_completion(&body)?;
        (
            s.content().to_owned(),
            s.final_event().clone(),
            s.proof().clone(),
        )
    } else {
        let (response, content, proof) = client.chat_completion(&body)?.into_parts();
        (content, response, proof)
    };
    if json {
        println!(
            "{}",
            crate::json::to_text(&obj([
                ("verified", true.into()),
                ("content", content.as_str().into()),
                ("request", body),
                ("response", response),
                ("output", content.as_str().into()),
                ("proof", proof_value(&proof)),
            ]))
        );
    } else {
        println!("{content}");
        eprintln!("\nverified: signed inside TEE {}", proof.tee_id());
        eprint!("{}", crate::json::proof_lines(&proof));
    }
    Ok(())
}

/// `--unverified-stream`: print as it arrives, verdict at the end.
fn unverified(
    client: &og_relay::ConfidentialClient,
    body: &Value,
    json: bool,
) -> Result<(), Failure> {
    let stream = client.stream_chat_completion_unverified(body)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !json {
        eprintln!("og chat: UNVERIFIED STREAM: the text below is shown before it is verified");
    }
    let mut shown_any = false;
    for item in stream {
        match item {
            Ok(og_relay::UnverifiedEvent::Delta(d)) => {
                let text = d.unverified_content();
                if text.is_empty() {
                    continue;
                }
                shown_any = true;
                let _ = if json {
                    writeln!(
                        out,
                        "{}",
                        crate::json::to_text(&obj([("unverified_delta", text.into())]))
                    )
                } else {
                    write!(out, "{text}")
                };
                let _ = out.flush();
            }
            Ok(og_relay::UnverifiedEvent::Verified(v)) => {
                if json {
                    let _ = writeln!(
                        out,
                        "{}",
                        crate::json::to_text(&obj([
                            ("verified", true.into()),
                            ("content", v.content().into()),
                            ("request", body.clone()),
                            ("response", v.final_event().clone()),
                            ("output", v.content().into()),
                            ("proof", proof_value(v.proof())),
                        ]))
                    );
                } else {
                    let _ = writeln!(out);
                    let _ = out.flush();
                    eprintln!(
                        "\n=== VERIFIED: everything above was signed inside TEE {} ===",
                        v.proof().tee_id()
                    );
                    eprint!("{}", crate::json::proof_lines(v.proof()));
                }
                return Ok(());
            }
            Err(e) => {
                let _ = writeln!(out);
                let _ = out.flush();
                let failure = Failure::from(e);
                if json {
                    println!(
                        "{}",
                        crate::json::to_text(&obj([
                            ("verified", false.into()),
                            ("error", failure.message.as_str().into()),
                        ]))
                    );
                } else {
                    eprintln!(
                        "\n!!! NOT VERIFIED: {} DISCARD IT: it may be forged or altered. !!!",
                        if shown_any {
                            "the text printed above is UNTRUSTED."
                        } else {
                            "nothing was verified."
                        }
                    );
                }
                // Exit non-zero even for a relay failure after text was shown.
                return Err(Failure {
                    code: failure.code.max(crate::exit::NOT_VERIFIED),
                    message: failure.message,
                });
            }
        }
    }
    Err(Failure::not_verified(
        "the stream ended without a verdict (no verified final event)",
    ))
}
