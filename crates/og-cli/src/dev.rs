//! `og dev`: the whole path on one machine, offline.
//!
//! Starts og-sim's simulated enclave and relay in-process on 127.0.0.1 and the proxy
//! of `og serve` wired to them (the TEE record is handed over directly; there is no
//! chain), writes the TEE record to a file so people see one (default
//! [`DEFAULT_TEE_OUT`]), and prints what to export for an OpenAI SDK. With `--demo`
//! it sends chats through the proxy over real HTTP (ureq), as any client would,
//! checks the verification, shows that a tampered answer is refused, and exits.
//!
//! `--script FILE` queues scripted answers (text or tool calls) before the simulated
//! model falls back to echoing `You said: <last user text>`.
//!
//! Faults: `--fault FAULT` sets one from the start; at run time POST a fault's text
//! (`sign-other-output`, `flip-bit:40`, `status:429`, ...) to
//! `<relay>/_sim/fault`, DELETE it to clear.

use std::path::{Path, PathBuf};
use std::time::Duration;

use og_canon::Value;
use og_sim::{Fault, Model, Reply, Sim, ToolCall};

use crate::Failure;
use crate::json::obj;
use crate::proxy::{DEFAULT_PORT, Proxy, ProxyConfig};

/// Where `og dev` writes the TEE record by default (relative to the current
/// directory).
pub const DEFAULT_TEE_OUT: &str = "target/og-dev-tee.json";

/// Options of `og dev`.
#[derive(clap::Args, Clone, Debug)]
pub struct DevArgs {
    /// The proxy's port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// Where to write the simulated TEE's record.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_TEE_OUT)]
    pub tee_out: PathBuf,

    /// Send verified chats through the proxy over HTTP, show a tampered answer being
    /// refused, then exit (0 when everything behaved).
    #[arg(long)]
    pub demo: bool,

    /// A fault for the simulator from the start: status:N, status-html:N, truncate:N,
    /// drop-final, flip-bit:N, swap-chunks, delay-ms:N, stall, reset:N, huge-prefix,
    /// wrong-key, sign-other-output.
    #[arg(long, value_name = "FAULT", value_parser = parse_fault)]
    pub fault: Option<Fault>,

    /// Delay before each streamed token of the simulated model, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub token_delay_ms: u64,

    /// A model name to list in /v1/models (repeatable; the simulator answers any).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// Scripted answers for the simulated model, used in order before it falls back
    /// to echoing: a JSON array of `{"content": "text"}` or
    /// `{"tool_calls": [{"id": "call_1", "name": "f", "arguments": "{...}"}]}`.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

/// Reads a `--script` file into the simulated model's replies.
///
/// ```
/// let replies = og_cli::dev::parse_script(
///     r#"[{"content": "Hi"}, {"tool_calls": [{"id": "c1", "name": "f", "arguments": "{}"}]}]"#,
/// ).unwrap();
/// assert_eq!(replies.len(), 2);
/// ```
///
/// # Errors
/// A message naming the entry that is not a reply.
pub fn parse_script(text: &str) -> Result<Vec<Reply>, String> {
    let v = og_canon::parse(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = v
        .as_array()
        .ok_or("the script must be a JSON array of replies")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if let Some(text) = item.get("content").and_then(Value::as_str) {
                return Ok(Reply::Text(text.to_owned()));
            }
            let calls = item
                .get("tool_calls")
                .and_then(Value::as_array)
                .ok_or(format!(
                    "reply {i}: needs a string `content` or a `tool_calls` list"
                ))?;
            calls
                .iter()
                .map(|c| {
                    let field = |k: &str| c.get(k).and_then(Value::as_str);
                    match (field("id"), field("name"), field("arguments")) {
                        (Some(id), Some(name), Some(arguments)) => {
                            Ok(ToolCall::new(id, name, arguments))
                        }
                        _ => Err(format!(
                            "reply {i}: each tool call needs string `id`, `name` and `arguments`"
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Reply::ToolCalls)
        })
        .collect()
}

fn parse_fault(text: &str) -> Result<Fault, String> {
    text.parse()
}

/// Runs `og dev`.
///
/// # Errors
/// A service failure when the simulator or the proxy cannot start, a usage failure
/// when the TEE record cannot be written, and for `--demo` the first check that
/// did not hold (exit 1 for a refused answer).
pub fn run(args: &DevArgs, json: bool) -> Result<(), Failure> {
    let script = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("cannot read the script {}: {e}", path.display()))
            })?;
            parse_script(&text).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    let sim = Sim::builder()
        .model(Model::scripted(script).with_token_delay(Duration::from_millis(args.token_delay_ms)))
        .start()
        .map_err(|e| Failure::service(format!("cannot start the simulator: {e}")))?;
    if let Some(f) = &args.fault {
        sim.set_fault(Some(f.clone()));
    }
    let record = sim.tee_endpoint().to_record_json();
    write_record(&args.tee_out, &record)?;
    let client = sim
        .client()
        .map_err(|e| Failure::service(format!("cannot build the relay client: {e}")))?;
    let config = ProxyConfig {
        models: args.models.clone(),
        ..ProxyConfig::new(client)
    };
    let addr = format!("127.0.0.1:{}", args.port);
    let proxy = Proxy::bind(config, &addr, !args.demo).map_err(|e| {
        Failure::service(format!(
            "cannot listen on {addr}: {e}{}",
            if e.kind() == std::io::ErrorKind::AddrInUse {
                " (use --port N, or --port 0 for any free port)"
            } else {
                ""
            }
        ))
    })?;
    let token = sim.token().unwrap_or_default().to_owned();
    if json {
        println!(
            "{}",
            crate::json::to_text(&obj([
                ("listening", proxy.url().into()),
                ("base_url", proxy.base_url().into()),
                ("relay", sim.relay_url().into()),
                ("token", token.as_str().into()),
                ("enclave", sim.enclave_url().into()),
                ("tee_id", sim.keys().tee_id().to_string().into()),
                ("tee_record", args.tee_out.display().to_string().into()),
            ]))
        );
    } else {
        println!(
            "og dev: a simulated TEE enclave and relay on 127.0.0.1 (offline, for development: not a real TEE)"
        );
        println!("  relay:      {}  (token: {token})", sim.relay_url());
        println!("  enclave:    {}", sim.enclave_url());
        println!("  tee_id:     {}", sim.keys().tee_id());
        println!("  tee record: {}", args.tee_out.display());
        println!(
            "  faults:     POST a fault (e.g. sign-other-output, flip-bit:40) to {}{}, DELETE to clear",
            sim.relay_url(),
            og_sim::FAULT_PATH
        );
        if let Some(f) = &args.fault {
            println!("  fault set:  {f}");
        }
        println!("listening on {}", proxy.url());
        print!("{}", crate::serve::export_lines(&proxy, false));
        println!(
            "try:  og chat --relay {} --tee {} --token {token} \"Hello\"",
            sim.relay_url(),
            args.tee_out.display()
        );
    }
    if args.demo {
        let result = demo(&proxy.url(), &sim.relay_url(), args.fault.is_some());
        drop(proxy);
        drop(sim);
        return result;
    }
    if !json {
        println!("(Ctrl-C to stop)");
    }
    proxy.wait();
    drop(sim);
    Ok(())
}

fn write_record(path: &Path, record: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, record)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}

/// One HTTP answer of the proxy.
struct HttpReply {
    status: u16,
    verified_header: Option<String>,
    tee_header: Option<String>,
    body: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn send(agent: &ureq::Agent, url: &str, body: Option<&str>) -> Result<HttpReply, Failure> {
    let result = match body {
        Some(b) => agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer og-local")
            .send(b),
        None => agent.get(url).call(),
    };
    let mut resp = result.map_err(|e| Failure::service(format!("{url}: {e}")))?;
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let verified_header = header("x-opengradient-verified");
    let tee_header = header("x-opengradient-tee-id");
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| Failure::service(format!("{url}: cannot read the answer: {e}")))?;
    Ok(HttpReply {
        status,
        verified_header,
        tee_header,
        body,
    })
}

fn parse(text: &str, what: &str) -> Result<Value, Failure> {
    og_canon::parse(text).map_err(|e| Failure::service(format!("{what} is not JSON: {e}")))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = match key.parse::<usize>() {
            Ok(i) => cur.as_array()?.get(i)?,
            Err(_) => cur.get(key)?,
        };
    }
    cur.as_str()
}

fn check(ok: bool, what: &str) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure::not_verified(format!("demo check failed: {what}")))
    }
}

/// The demo: health, a verified chat, a verified stream, a tampered answer refused.
fn demo(proxy_url: &str, relay_url: &str, fault_preset: bool) -> Result<(), Failure> {
    let agent = agent();
    let prompt = "Hello from og dev!";
    let request = format!(
        r#"{{"model": "gpt-4.1", "messages": [{{"role": "user", "content": "{prompt}"}}]}}"#
    );
    println!("\n--- demo: an OpenAI-style client talking to {proxy_url} over HTTP ---");

    let health = send(&agent, &format!("{proxy_url}/health"), None)?;
    let health = parse(&health.body, "/health")?;
    let tee_id = str_at(&health, &["tee_id"]).unwrap_or_default().to_owned();
    println!("GET  /health                -> tee_id {tee_id}");

    let url = format!("{proxy_url}/v1/chat/completions");
    let single = send(&agent, &url, Some(&request))?;
    println!(
        "POST /v1/chat/completions   -> {} (X-OpenGradient-Verified: {})",
        single.status,
        single.verified_header.as_deref().unwrap_or("absent")
    );
    if single.status != 200 {
        let body = parse(&single.body, "the error")?;
        println!(
            "  refused: {}",
            str_at(&body, &["error", "message"]).unwrap_or("?")
        );
        return Err(Failure::not_verified(format!(
            "the proxy refused the answer with status {}{}",
            single.status,
            if fault_preset {
                " (as the injected fault should make it)"
            } else {
                ""
            }
        )));
    }
    let body = parse(&single.body, "the answer")?;
    let answer = str_at(&body, &["choices", "0", "message", "content"]).unwrap_or_default();
    let v = body
        .get("opengradient_verification")
        .cloned()
        .unwrap_or(Value::Null);
    println!("  answer:       {answer}");
    println!(
        "  verification: verified={} tee_id={}",
        v.get("verified").and_then(Value::as_bool).unwrap_or(false),
        str_at(&v, &["tee_id"]).unwrap_or("-")
    );
    println!(
        "                request_hash={}",
        str_at(&v, &["request_hash"]).unwrap_or("-")
    );
    println!(
        "                output_hash={}",
        str_at(&v, &["output_hash"]).unwrap_or("-")
    );
    println!(
        "                timestamp={}",
        v.get("timestamp")
            .and_then(Value::as_number)
            .and_then(og_canon::Number::as_u64)
            .unwrap_or(0)
    );
    check(
        single.verified_header.as_deref() == Some("true"),
        "the verified header",
    )?;
    check(
        single.tee_header.as_deref() == Some(tee_id.as_str()),
        "the TEE id header",
    )?;
    check(
        v.get("verified").and_then(Value::as_bool) == Some(true),
        "opengradient_verification.verified",
    )?;
    check(answer == format!("You said: {prompt}"), "the echoed answer")?;
    if fault_preset {
        println!(
            "\n(a fault was set with --fault, yet the answer verified: this fault does not break verification)"
        );
        return Ok(());
    }

    let stream_request = request.replacen('{', r#"{"stream": true, "#, 1);
    let streamed = send(&agent, &url, Some(&stream_request))?;
    let mut content = String::new();
    let mut done = 0;
    for line in streamed.body.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else {
            continue;
        };
        if data == "[DONE]" {
            done += 1;
            continue;
        }
        if let Ok(event) = og_canon::parse(data) {
            content.push_str(str_at(&event, &["choices", "0", "delta", "content"]).unwrap_or(""));
        }
    }
    println!(
        "POST /v1/chat/completions   -> {} stream: {content:?} ({} [DONE], X-OpenGradient-Verified: {})",
        streamed.status,
        done,
        streamed.verified_header.as_deref().unwrap_or("absent")
    );
    check(streamed.status == 200, "the streamed chat's status")?;
    check(content == answer, "the streamed content")?;
    check(done == 1, "exactly one [DONE]")?;
    check(
        streamed.verified_header.as_deref() == Some("true"),
        "the stream's verified header",
    )?;

    let fault_url = format!("{relay_url}{}", og_sim::FAULT_PATH);
    let set = agent
        .post(&fault_url)
        .send("sign-other-output")
        .map_err(|e| Failure::service(format!("{fault_url}: {e}")))?;
    check(
        set.status().as_u16() == 200,
        "setting the simulator's fault",
    )?;
    let tampered = send(&agent, &url, Some(&request));
    let _ = agent.delete(&fault_url).call();
    let tampered = tampered?;
    let err = parse(&tampered.body, "the error")?;
    println!(
        "POST /v1/chat/completions   -> {} with the enclave signing another output: {}",
        tampered.status,
        str_at(&err, &["error", "message"]).unwrap_or("?")
    );
    check(tampered.status == 502, "a tampered answer is a 502")?;
    check(
        !tampered.body.contains("You said"),
        "no model text in the 502",
    )?;
    println!("\ndemo passed: verified answers delivered, the tampered one refused");
    Ok(())
}
