//! `og tees`, `og chat` and `og serve` against a real EVM node (anvil) holding the
//! mock TEERegistry, with the simulated relay and enclaves behind it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use og_canon::Value;
use og_sim::chain::{Anvil, MockRegistry, TeeRecord};
use og_sim::{EnclaveKeys, Sim};

fn og() -> Command {
    let mut c = common::og();
    c.stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(args: &[&str]) -> Output {
    og().args(args).output().expect("og runs")
}

fn anvil() -> Anvil {
    Anvil::start().unwrap_or_else(|e| panic!("{e}"))
}

/// `--relay`, `--token`, `--rpc-url` and `--registry` for the simulated relay and chain.
fn registry_flags(relay: &str, rpc: &str, address: &str) -> Vec<String> {
    [
        "--relay",
        relay,
        "--token",
        og_sim::DEFAULT_TOKEN,
        "--rpc-url",
        rpc,
        "--registry",
        address,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn tees_lists_the_registry() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let (a, b) = (
        EnclaveKeys::generate(1).unwrap(),
        EnclaveKeys::generate(2).unwrap(),
    );
    mock.set_tee(&TeeRecord::for_keys(&a, "https://a.example"), true)
        .unwrap();
    let no_ohttp = TeeRecord {
        ohttp: None,
        ..TeeRecord::for_keys(&b, "https://b.example")
    };
    mock.set_tee(&no_ohttp, true).unwrap();
    let address = mock.address();

    let o = run(&["tees", "--rpc-url", anvil.url(), "--registry", &address]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let header = out.lines().next().unwrap();
    for col in [
        "TEE_ID",
        "ENDPOINT",
        "TYPE",
        "OHTTP",
        "KEY_ID",
        "PCR_HASH",
        "HEARTBEAT",
        "STATUS",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let row_a = out
        .lines()
        .find(|l| l.contains("https://a.example"))
        .unwrap();
    assert!(row_a.starts_with(&a.tee_id().to_string()), "{row_a}");
    assert!(
        row_a.contains("llm_proxy") && row_a.contains(" yes ") && row_a.ends_with("usable"),
        "{row_a}"
    );
    assert!(row_a.contains(&format!("0x{}", "aa".repeat(32))));
    let row_b = out
        .lines()
        .find(|l| l.contains("https://b.example"))
        .unwrap();
    assert!(
        row_b.contains(" no ") && row_b.contains("skipped: the TEE registered no OHTTP key"),
        "{row_b}"
    );
    assert!(out.contains("2 active TEE(s) of type llm_proxy"), "{out}");

    let o = run(&[
        "tees",
        "--json",
        "--rpc-url",
        anvil.url(),
        "--registry",
        &address,
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v = og_canon::parse(&text(&o.stdout)).unwrap();
    let tees = v.get("tees").and_then(Value::as_array).unwrap();
    assert_eq!(tees.len(), 2);
    let first = &tees[0];
    assert_eq!(
        first.get("tee_id").and_then(Value::as_str),
        Some(a.tee_id().to_string().as_str())
    );
    assert_eq!(first.get("usable"), Some(&Value::Bool(true)));
    assert_eq!(
        first
            .get("key_id")
            .and_then(Value::as_number)
            .and_then(og_canon::Number::as_u64),
        Some(1)
    );
    assert_eq!(tees[1].get("ohttp_capable"), Some(&Value::Bool(false)));

    // Validators: none registered.
    let o = run(&[
        "tees",
        "--rpc-url",
        anvil.url(),
        "--registry",
        &address,
        "--tee-type",
        "1",
    ]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("0 active TEE(s) of type validator"));
}

#[test]
fn chat_selects_from_the_registry_and_honours_pins() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let sim = Sim::start().unwrap();
    mock.set_tee(&TeeRecord::for_keys(sim.keys(), &sim.enclave_url()), true)
        .unwrap();
    let address = mock.address();
    let relay = sim.relay_url();
    let flags = registry_flags(&relay, anvil.url(), &address);
    let base: Vec<&str> = std::iter::once("chat")
        .chain(flags.iter().map(String::as_str))
        .collect();

    let o = run(&[&base[..], &["--json", "hello chain"]].concat());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v = og_canon::parse(&text(&o.stdout)).unwrap();
    assert_eq!(
        v.get("content").and_then(Value::as_str),
        Some("You said: hello chain")
    );
    let tee_id = v
        .get("proof")
        .and_then(|p| p.get("tee_id"))
        .and_then(Value::as_str);
    assert_eq!(tee_id, Some(sim.keys().tee_id().to_string().as_str()));

    // Pins that match.
    let pcr = format!("0x{}", "aa".repeat(32));
    let id = sim.keys().tee_id().to_string();
    let o = run(&[&base[..], &["--pcr", &pcr, "--tee-id", &id, "pinned"]].concat());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "You said: pinned");

    // A PCR pin that matches nothing: refused, and the message says what is there.
    let miss = format!("0x{}", "cc".repeat(32));
    let o = run(&[&base[..], &["--pcr", &miss, "hi"]].concat());
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("no usable TEE") && err.contains(&miss) && err.contains(&pcr),
        "{err}"
    );
    assert!(!text(&o.stdout).contains("You said"));

    // A tee_id pin that is not registered.
    let o = run(&[
        &base[..],
        &["--tee-id", &format!("0x{}", "01".repeat(32)), "hi"],
    ]
    .concat());
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("is not among"),
        "{}",
        text(&o.stderr)
    );

    // og verify re-checks the saved exchange with the key read from the registry.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("og-cli-registry-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exchange = dir.join("exchange.json");
    let o = run(&[&base[..], &["--json", "keep this"]].concat());
    std::fs::write(&exchange, &o.stdout).unwrap();
    let o = run(&[
        "verify",
        "--exchange",
        exchange.to_str().unwrap(),
        "--expect-tee-id",
        &id,
        "--from-registry",
        "--rpc-url",
        anvil.url(),
        "--registry",
        &address,
    ]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let other = format!("0x{}", "02".repeat(32));
    let o = run(&[
        "verify",
        "--exchange",
        exchange.to_str().unwrap(),
        "--expect-tee-id",
        &other,
        "--from-registry",
        "--rpc-url",
        anvil.url(),
        "--registry",
        &address,
    ]);
    assert_eq!(o.status.code(), Some(3), "unknown TEE: {}", text(&o.stderr));
}

/// A running `og serve`, killed on drop.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = og()
        .args(["serve", "--json", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v = og_canon::parse(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let url = v
        .get("listening")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    Serve { child, url }
}

/// `POST /v1/chat/completions` with one user message; the status and JSON body.
fn chat(url: &str, text: &str) -> (u16, Value) {
    let reply = common::post(
        &format!("{url}/v1/chat/completions"),
        common::chat_body(&format!("{text:?}"), false),
    );
    (reply.status, reply.json())
}

fn verified_by(v: &Value) -> Option<&str> {
    v.get("opengradient_verification")?.get("tee_id")?.as_str()
}

#[test]
fn serve_follows_the_registry_in_the_background() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let (a, b) = (Sim::start().unwrap(), Sim::start().unwrap());
    a.route(b.keys().tee_id(), &b.enclave_url()); // the relay reaches both enclaves
    mock.set_tee(&TeeRecord::for_keys(a.keys(), &a.enclave_url()), true)
        .unwrap();
    let address = mock.address();
    let relay = a.relay_url();
    let mut flags = registry_flags(&relay, anvil.url(), &address);
    flags.extend(["--refresh".to_owned(), "0.3".to_owned()]);
    let proxy = serve(&flags.iter().map(String::as_str).collect::<Vec<_>>());

    let health = common::get(&format!("{}/health", proxy.url)).json();
    let a_id = a.keys().tee_id().to_string();
    assert_eq!(
        health.get("tee_id").and_then(Value::as_str),
        Some(a_id.as_str())
    );
    assert_eq!(
        health.get("tee_source").and_then(Value::as_str),
        Some("registry")
    );
    let (status, answer) = chat(&proxy.url, "first");
    assert_eq!(status, 200, "{answer:?}");
    assert_eq!(verified_by(&answer), Some(a_id.as_str()));

    // A leaves the registry and B arrives: the background refresh switches over.
    mock.set_tee(&TeeRecord::for_keys(b.keys(), &b.enclave_url()), true)
        .unwrap();
    mock.set_active(*a.keys().tee_id().as_bytes(), false)
        .unwrap();
    let b_id = b.keys().tee_id().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = common::get(&format!("{}/health", proxy.url)).json();
        if h.get("tee_id").and_then(Value::as_str) == Some(b_id.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the proxy never switched to B: {h:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, answer) = chat(&proxy.url, "second");
    assert_eq!(status, 200, "{answer:?}");
    assert_eq!(verified_by(&answer), Some(b_id.as_str()));
}
