//! A malicious registry RPC node over real sockets on 127.0.0.1 (issue #9): each
//! misbehaviour ends in its exact error, within the configured time limits, and with
//! peak memory within the configured size limit (counting global allocator).

#![cfg(feature = "registry")]

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{Recorded, TestRelay, timed};
use og_relay::Error;
use og_relay::registry::{Registry, RegistryLimits, TeeType};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

const LIMIT: u64 = 1 << 20;

fn limits() -> RegistryLimits {
    RegistryLimits {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(3),
        max_response_bytes: LIMIT,
    }
}

/// The JSON-RPC id of the recorded request (alloy checks the answer's id).
fn id_of(r: &Recorded) -> String {
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("the client sends JSON");
    v["id"].to_string()
}

fn http_json(s: &mut TcpStream, body: &str) {
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// An answer whose `result` is `hex` (the eth_call return data).
fn result(hex: String) -> impl Fn(&Recorded, &mut TcpStream) + Send + Sync + 'static {
    move |r, s| {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{},"result":"0x{hex}"}}"#,
            id_of(r)
        );
        http_json(s, &body);
    }
}

/// Runs one call against `node` and returns the error, the time it took and the peak
/// heap growth during it.
fn call(node: &TestRelay) -> (Error, Duration, usize) {
    let registry = Registry::with_limits(
        &format!("http://{}", node.addr),
        og_relay::registry::DEFAULT_REGISTRY_ADDRESS,
        limits(),
    )
    .expect("config");
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let (out, elapsed) = timed(|| registry.active_tees_blocking(TeeType::LlmProxy));
    let peak = ALLOC.peak_usage().saturating_sub(base);
    let err = out.expect_err("a hostile node must not produce TEEs");
    (err, elapsed, peak)
}

fn word(n: u64) -> String {
    format!("{n:064x}")
}

/// One test, so nothing else in this binary allocates while a peak is measured.
#[test]
fn hostile_rpc_nodes_end_in_typed_errors_within_limits() {
    let mut rows = Vec::new();
    let mut check =
        |name: &str, node: TestRelay, category: &str, needle: &str, max_time: Duration| {
            let (err, elapsed, peak) = call(&node);
            assert_eq!(err.category(), category, "{name}: {err}");
            assert!(err.to_string().contains(needle), "{name}: {err}");
            assert!(elapsed < max_time, "{name}: took {elapsed:?}");
            assert!(
                peak < 3 * LIMIT as usize,
                "{name}: peak heap growth {peak} bytes over 3x the {LIMIT}-byte limit"
            );
            assert!(
                err.to_string().chars().count() < 800,
                "{name}: message not bounded"
            );
            rows.push(format!(
                "{name:<28} {category:<14} {elapsed:>10.2?} {:>8} KiB",
                peak / 1024
            ));
        };
    let second = Duration::from_secs(1);

    // Answers the headers, then nothing: the read timeout ends it.
    check(
        "silent after headers",
        TestRelay::start(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
            std::thread::sleep(Duration::from_secs(10));
        }),
        "rpc",
        "timed out",
        3 * second,
    );
    // One byte a second, forever: the total deadline ends it.
    check(
        "one byte per second",
        TestRelay::start(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
            for _ in 0..30 {
                if s.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(900));
            }
        }),
        "rpc",
        "timed out",
        5 * second,
    );
    // Malformed JSON.
    check(
        "malformed JSON",
        TestRelay::start(|_, s| http_json(s, r#"{"jsonrpc": "2.0", "id": "#)),
        "rpc",
        "not JSON-RPC",
        second,
    );
    // A huge array (endless, no Content-Length): cut at the size limit.
    check(
        "endless huge array",
        TestRelay::start(|r, s| {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":[",
                id_of(r)
            );
            let block = "1,".repeat(8192);
            while s.write_all(block.as_bytes()).is_ok() {}
        }),
        "rpc",
        "larger than",
        3 * second,
    );
    // A declared 1 GiB body: refused before reading.
    check(
        "declared 1 GiB",
        TestRelay::start(|_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n[");
        }),
        "rpc",
        "larger than",
        second,
    );
    // ABI data whose offset points outside the buffer.
    check(
        "offset outside the buffer",
        TestRelay::start(result(format!("{}{}", word(0xffff_ff00), word(1)))),
        "registry_data",
        "getActiveTEEs",
        second,
    );
    // An array claiming 2^32 elements in 64 bytes: refused, not allocated.
    check(
        "array length 2^32",
        TestRelay::start(result(format!("{}{}", word(0x20), word(1 << 32)))),
        "registry_data",
        "getActiveTEEs",
        second,
    );
    // An element offset looping back on itself.
    check(
        "self-referencing offsets",
        TestRelay::start(result(format!("{}{}{}", word(0x20), word(1), word(0)))),
        "registry_data",
        "getActiveTEEs",
        second,
    );
    // HTML instead of JSON-RPC.
    check(
        "HTML error page",
        TestRelay::fixed(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>oops</html>   ",
        ),
        "rpc",
        "HTTP status 502",
        second,
    );
    // A redirect elsewhere: not followed.
    check(
        "redirect",
        TestRelay::fixed(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://203.0.113.1/\r\nContent-Length: 0\r\n\r\n",
        ),
        "rpc",
        "HTTP status 307",
        second,
    );
    // A JSON-RPC error with a 200 KB message: reported, cut.
    check(
        "huge JSON-RPC error",
        TestRelay::start(|r, s| {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{},"error":{{"code":-32000,"message":"{}"}}}}"#,
                id_of(r),
                "x".repeat(200_000)
            );
            http_json(s, &body);
        }),
        "rpc",
        "-32000",
        second,
    );
    // A reset before any answer.
    check(
        "reset",
        TestRelay::start(|_, s| {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }),
        "rpc",
        "RPC node",
        second,
    );
    println!("case                         error            elapsed     peak");
    for r in rows {
        println!("{r}");
    }
}
