//! The hostile-relay audit (issue #9): a scripted malicious relay over real sockets on
//! 127.0.0.1, one case per misbehaviour, each checked for
//!
//! - the exact error variant (and inner cause for `Ohttp`),
//! - completion within the configured time limits (and, for the fast cases, well
//!   before them),
//! - peak heap growth within the configured size limits, measured with a counting
//!   global allocator,
//! - no model content: every call fails, no error message carries the relay's text
//!   (each lying body contains [`MARKER`]), and the unverified streaming API yields
//!   no frame.
//!
//! One `#[test]` runs the cases one after another so that nothing else in this binary
//! allocates while a peak is measured; it prints the table (`case | variant | elapsed
//! | peak`) and reports every case that failed, not only the first.
//!
//! Related single-purpose tests: `transport.rs` (redirect target never contacted,
//! declared 1 GiB, stalls, error bodies) and `memory.rs`.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TestRelay, builder, chat_body};
use og_relay::{Error, Limits, TimeoutKind, UnverifiedEvent};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// What any call holds whatever the relay does (the HTTP agent, read buffers, the
/// sealed request): about 290 KiB measured; the allowance on top of the limits.
const FIXED: usize = 512 * KIB;

/// Text a lying relay puts where model output would be; it must surface nowhere.
const MARKER: &str = "PWNED-MODEL-TEXT";

/// The limits every case runs with: small, so the audit is fast.
fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(1500),
        total_timeout: Duration::from_secs(2),
        max_response_bytes: 4 << 20,
        max_chunk_bytes: 256 << 10,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Single,
    Stream,
}

/// A compact, exact name of the error: the variant, and the inner variant for
/// `Ohttp` (`Ohttp(Truncated)`), the status for `Relay`, the kind for `Timeout`.
fn variant(e: &Error) -> String {
    match e {
        Error::Relay { status, .. } => format!("Relay {{ status: {status} }}"),
        Error::Transport(_) => "Transport".into(),
        Error::Timeout(k) => format!("Timeout({k:?})"),
        Error::ResponseTooLarge { limit } => format!("ResponseTooLarge {{ limit: {limit} }}"),
        Error::Ohttp(c) => {
            let d = format!("{c:?}");
            let name = d
                .split(|ch: char| !ch.is_alphanumeric())
                .next()
                .unwrap_or_default();
            format!("Ohttp({name})")
        }
        Error::MalformedInner(_) => "MalformedInner".into(),
        Error::Verification(v) => format!("Verification({})", v.category()),
        Error::MissingFinalEvent => "MissingFinalEvent".into(),
        other => other.category().into(),
    }
}

struct Case {
    name: &'static str,
    addr: SocketAddr,
    call: Call,
    limits: Limits,
    /// The exact variant expected (as [`variant`] writes it).
    expect: String,
    /// The call must end within this time (the configured deadline plus slack, or
    /// much less for a case the client can refuse at once).
    max_elapsed: Duration,
    /// And not before this (the time-limit cases end *by* the deadline).
    min_elapsed: Duration,
    /// Peak heap growth allowed during the call.
    max_peak: usize,
    /// Bytes the relay wrote, when it counts them (for the 1 GiB case).
    sent: Option<Arc<AtomicU64>>,
}

struct Row {
    name: &'static str,
    call: Call,
    variant: String,
    elapsed: Duration,
    peak: usize,
    sent: Option<u64>,
}

/// Runs `f` and returns its result, its duration and the peak growth of live heap
/// bytes during it.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let start = Instant::now();
    let out = f();
    let elapsed = start.elapsed();
    (out, elapsed, ALLOC.peak_usage().saturating_sub(base))
}

fn http_head(status: &str, headers: &str) -> String {
    format!("HTTP/1.1 {status}\r\n{headers}\r\n")
}

/// A relay that sends a response head and then `body` in full.
fn fixed_body(head: String, body: Vec<u8>) -> TestRelay {
    TestRelay::start(move |_, s| {
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&body);
    })
}

/// A relay that sends its head and then one byte per second (zeros), forever.
fn trickle(content_type: &'static str) -> TestRelay {
    TestRelay::start(move |_, s| {
        let _ = s.write_all(
            http_head(
                "200 OK",
                &format!("Content-Type: {content_type}\r\nConnection: close\r\n"),
            )
            .as_bytes(),
        );
        for _ in 0..30 {
            if s.write_all(&[0]).and_then(|()| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

/// A relay that sends `prefix`, then `block` as fast as the client reads, as HTTP
/// chunks, until `total` bytes or the client hangs up; counts what it wrote.
fn firehose(
    content_type: &'static str,
    prefix: Vec<u8>,
    block: &'static [u8],
    total: u64,
) -> (TestRelay, Arc<AtomicU64>) {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let relay = TestRelay::start(move |_, s| {
        let head = http_head(
            "200 OK",
            &format!("Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"),
        );
        if s.write_all(head.as_bytes()).is_err() {
            return;
        }
        let mut chunk = |data: &[u8]| -> bool {
            let ok = write!(s, "{:x}\r\n", data.len()).is_ok()
                && s.write_all(data).is_ok()
                && s.write_all(b"\r\n").is_ok();
            if ok {
                counter.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
            ok
        };
        if !chunk(&prefix) {
            return;
        }
        let mut left = total.saturating_sub(prefix.len() as u64);
        while left > 0 {
            let n = block.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            if !chunk(&block[..n]) {
                return;
            }
            left -= n as u64;
        }
        let _ = s.write_all(b"0\r\n\r\n");
    });
    (relay, sent)
}

/// A relay that resets the connection (TCP RST) after sending `head` and `partial`.
///
/// It reads only the first bytes of the request, so closing the socket with the
/// rest still unread makes the kernel send a reset instead of a clean FIN.
fn resetter(head: String, partial: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let head = head.clone();
            let partial = partial.clone();
            std::thread::spawn(move || {
                let mut first = [0u8; 16];
                if s.read_exact(&mut first).is_err() {
                    return;
                }
                // Let the rest of the request land, unread, in the receive buffer.
                std::thread::sleep(Duration::from_millis(100));
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&partial);
                let _ = s.flush();
                // Give the client time to read what was sent, then reset.
                std::thread::sleep(Duration::from_millis(150));
                drop(s);
            });
        }
    });
    addr
}

/// Runs one case: the call, then the checks. Returns the row and what went wrong.
fn run(case: &Case) -> (Row, Vec<String>) {
    let client = builder(case.addr).limits(case.limits).build().unwrap();
    let body = chat_body();
    let (result, elapsed, peak) = measure(|| match case.call {
        Call::Single => client
            .chat_completion(&body)
            .map(|r| r.content().to_owned()),
        Call::Stream => client
            .stream_chat_completion(&body)
            .map(|r| r.content().to_owned()),
    });
    let mut problems = Vec::new();
    let got = match &result {
        Ok(content) => {
            problems.push(format!("returned content ({} bytes)", content.len()));
            "Ok".to_owned()
        }
        Err(e) => {
            let shown = format!("{e} / {e:?}");
            if shown.contains(MARKER) {
                problems.push(format!("the error carries the relay's text: {shown}"));
            }
            variant(e)
        }
    };
    if got != case.expect {
        problems.push(format!("expected {}, got {got} ({result:?})", case.expect));
    }
    if elapsed > case.max_elapsed || elapsed < case.min_elapsed {
        problems.push(format!(
            "took {elapsed:?}, expected {:?}..{:?}",
            case.min_elapsed, case.max_elapsed
        ));
    }
    if peak > case.max_peak {
        problems.push(format!(
            "peak heap growth {} KiB over the allowed {} KiB",
            peak / KIB,
            case.max_peak / KIB
        ));
    }
    let sent = case.sent.as_ref().map(|s| s.load(Ordering::Relaxed));
    let row = Row {
        name: case.name,
        call: case.call,
        variant: got,
        elapsed,
        peak,
        sent,
    };
    (row, problems)
}

/// For the fast stream cases: the progressive (unverified) API must not hand out a
/// single frame either, and must end with the same failure.
fn unverified_yields_nothing(case: &Case) -> Vec<String> {
    let client = builder(case.addr).limits(case.limits).build().unwrap();
    let items: Vec<_> = match client.stream_chat_completion_unverified(&chat_body()) {
        Ok(stream) => stream.collect(),
        Err(e) => vec![Err(e)],
    };
    let mut problems = Vec::new();
    for item in &items {
        match item {
            Ok(UnverifiedEvent::Delta(d)) => problems.push(format!(
                "unverified API yielded a frame of {} bytes",
                d.unverified_frame().len()
            )),
            Ok(UnverifiedEvent::Verified(_)) => problems.push("unverified API verified".into()),
            Err(e) if variant(e) != case.expect => problems.push(format!(
                "unverified API failed with {} instead of {}",
                variant(e),
                case.expect
            )),
            Err(_) => {}
        }
    }
    if items.len() != 1 {
        problems.push(format!("unverified API gave {} items", items.len()));
    }
    problems
}

#[test]
fn a_hostile_relay_gets_exact_errors_within_time_and_memory_limits() {
    let l = limits();
    let total = l.total_timeout;
    let quick = Duration::from_millis(900);
    let response_limit = l.max_response_bytes as usize;
    let chunk_limit = l.max_chunk_bytes as usize;
    // Cases refused from a few bytes: nothing beyond the fixed cost of a call.
    let small = FIXED;
    let ohttp_res = "message/ohttp-res";
    let chunked_res = "message/ohttp-chunked-res";
    let nonce = vec![0x42u8; 32];

    let mut cases = Vec::new();
    let mut case = |name, addr, call, expect: &str, max_elapsed, max_peak| {
        cases.push(Case {
            name,
            addr,
            call,
            limits: l,
            expect: expect.to_owned(),
            max_elapsed,
            min_elapsed: Duration::ZERO,
            max_peak,
            sent: None,
        });
    };

    // 1. A chunk length prefix of 2^62 - 1 (varint 0xff x 8) after the nonce.
    let mut huge_prefix = nonce.clone();
    huge_prefix.extend_from_slice(&[0xff; 8]);
    let r = fixed_body(
        http_head(
            "200 OK",
            &format!("Content-Type: {chunked_res}\r\nConnection: close\r\n"),
        ),
        huge_prefix,
    );
    case(
        "varint length 2^62-1",
        r.addr,
        Call::Stream,
        "Ohttp(ChunkTooLarge)",
        quick,
        small,
    );

    // 2. A 200 that is 32 bytes: a response nonce and no ciphertext at all.
    let r = fixed_body(
        http_head(
            "200 OK",
            &format!("Content-Type: {ohttp_res}\r\nContent-Length: 32\r\nConnection: close\r\n"),
        ),
        nonce.clone(),
    );
    case(
        "single-shot of 32 bytes",
        r.addr,
        Call::Single,
        "Ohttp(Malformed)",
        quick,
        small,
    );

    // 3. HTML instead of ciphertext, with a 200.
    let html = format!(
        "<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>{MARKER}</p>\
         <p>Thank you for using our gateway.</p></body></html>"
    )
    .into_bytes();
    let html_head = http_head(
        "200 OK",
        &format!(
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            html.len()
        ),
    );
    let r = fixed_body(html_head.clone(), html.clone());
    case(
        "HTML instead of ciphertext",
        r.addr,
        Call::Single,
        "Ohttp(Aead)",
        quick,
        small,
    );
    let r2 = fixed_body(html_head, html);
    case(
        "HTML instead of ciphertext",
        r2.addr,
        Call::Stream,
        "Ohttp(Truncated)",
        quick,
        small,
    );

    // 4. Content-Type lies: plaintext answers labelled as what they pretend to be.
    let json = format!(
        r#"{{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{{"index": 0, "message": {{"role": "assistant", "content": "{MARKER}"}}, "finish_reason": "stop"}}]}}"#
    );
    let r = fixed_body(
        http_head(
            "200 OK",
            &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                json.len()
            ),
        ),
        json.into_bytes(),
    );
    case(
        "200 Content-Type lie: plaintext JSON answer",
        r.addr,
        Call::Single,
        "Ohttp(Aead)",
        quick,
        small,
    );
    let sse = format!(
        "data: {{\"choices\": [{{\"delta\": {{\"content\": \"{MARKER}\"}}, \"index\": 0}}]}}\n\n\
         data: [DONE]\n\n"
    );
    let r2 = fixed_body(
        http_head(
            "200 OK",
            &format!(
                "Content-Type: text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
                sse.len()
            ),
        ),
        sse.into_bytes(),
    );
    case(
        "200 Content-Type lie: plaintext SSE",
        r2.addr,
        Call::Stream,
        "Ohttp(Truncated)",
        quick,
        small,
    );
    // A single-shot answer labelled as a chunked one (and garbage inside).
    let mut garbage = nonce.clone();
    garbage.extend(std::iter::repeat_n(0x5a, 200));
    let r3 = fixed_body(
        http_head(
            "200 OK",
            &format!("Content-Type: {chunked_res}\r\nContent-Length: 232\r\nConnection: close\r\n"),
        ),
        garbage,
    );
    case(
        "200 Content-Type lie: chunked type on a single-shot",
        r3.addr,
        Call::Single,
        "Ohttp(Aead)",
        quick,
        small,
    );

    // 5. Redirects to another host (127.0.0.2): never followed, whatever the code.
    let elsewhere = TcpListener::bind("127.0.0.2:0")
        .or_else(|_| TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let location = format!(
        "http://{}/api/v1/chat/ohttp",
        elsewhere.local_addr().unwrap()
    );
    for (code, name) in [
        ("301 Moved Permanently", "redirect 301 to another host"),
        ("302 Found", "redirect 302 to another host"),
        ("303 See Other", "redirect 303 to another host"),
        ("307 Temporary Redirect", "redirect 307 to another host"),
        ("308 Permanent Redirect", "redirect 308 to another host"),
    ] {
        let r = fixed_body(
            http_head(
                code,
                &format!("Location: {location}\r\nContent-Length: 0\r\nConnection: close\r\n"),
            ),
            Vec::new(),
        );
        let status = &code[..3];
        for call in [Call::Single, Call::Stream] {
            case(
                name,
                r.addr,
                call,
                &format!("Relay {{ status: {status} }}"),
                quick,
                small,
            );
        }
    }

    // 6. A reset (TCP RST) mid-body, and a clean close mid-body.
    let reset_single = resetter(
        http_head(
            "200 OK",
            &format!("Content-Type: {ohttp_res}\r\nContent-Length: 4000\r\n"),
        ),
        vec![0x42; 100],
    );
    case(
        "reset mid-body",
        reset_single,
        Call::Single,
        "Transport",
        quick,
        small,
    );
    let mut partial_stream = nonce.clone();
    partial_stream.extend_from_slice(&[0x40, 0x64]); // a 100-byte chunk announced...
    partial_stream.extend_from_slice(&[0x5a; 40]); // ...of which 40 bytes arrive
    let chunk_hdr = format!("{:x}\r\n", partial_stream.len());
    let mut http_chunk = chunk_hdr.into_bytes();
    http_chunk.extend_from_slice(&partial_stream);
    http_chunk.extend_from_slice(b"\r\n");
    let reset_stream = resetter(
        http_head(
            "200 OK",
            &format!("Content-Type: {chunked_res}\r\nTransfer-Encoding: chunked\r\n"),
        ),
        http_chunk,
    );
    case(
        "reset mid-stream",
        reset_stream,
        Call::Stream,
        "Transport",
        quick,
        small,
    );
    let r = fixed_body(
        http_head(
            "200 OK",
            &format!("Content-Type: {ohttp_res}\r\nContent-Length: 4000\r\nConnection: close\r\n"),
        ),
        vec![0x42; 100],
    );
    case(
        "clean close mid-body (FIN)",
        r.addr,
        Call::Single,
        "Transport",
        quick,
        small,
    );

    // 7. A fast endless stream: the nonce, then a final chunk (length 0) that never
    // ends, as fast as the client reads: the chunk limit stops it.
    let (fast, sent_fast) = firehose(chunked_res, nonce.clone(), &[0u8; 16 * KIB], 1 << 40);
    cases.push(Case {
        name: "fast endless stream",
        addr: fast.addr,
        call: Call::Stream,
        limits: l,
        expect: "Ohttp(ChunkTooLarge)".into(),
        max_elapsed: quick,
        min_elapsed: Duration::ZERO,
        // The final chunk is buffered (never past the chunk limit); growing its Vec
        // may briefly hold the old and the doubled buffer: at most 3x the limit.
        max_peak: 3 * chunk_limit + FIXED,
        sent: Some(sent_fast),
    });
    // Well-framed small chunks of garbage, endlessly: the first one fails to open.
    let mut framed = Vec::new();
    for _ in 0..128 {
        framed.extend_from_slice(&[0x40, 0x7c]); // 124-byte chunk
        framed.extend_from_slice(&[0x5a; 124]);
    }
    let framed: &'static [u8] = Vec::leak(framed);
    let (frames, sent_frames) = firehose(chunked_res, nonce.clone(), framed, 1 << 40);
    cases.push(Case {
        name: "fast endless stream of framed garbage chunks",
        addr: frames.addr,
        call: Call::Stream,
        limits: l,
        expect: "Ohttp(Aead)".into(),
        max_elapsed: quick,
        min_elapsed: Duration::ZERO,
        max_peak: small,
        sent: Some(sent_frames),
    });

    // 8. A response of 1 GiB, really sent (no declared length: HTTP chunks until 1 GiB).
    let (gib_single, sent_single) = firehose(ohttp_res, nonce.clone(), &[0x42; 16 * KIB], 1 << 30);
    cases.push(Case {
        name: "1 GiB response (sent, not declared)",
        addr: gib_single.addr,
        call: Call::Single,
        limits: l,
        expect: format!("ResponseTooLarge {{ limit: {} }}", l.max_response_bytes),
        max_elapsed: quick,
        min_elapsed: Duration::ZERO,
        // read_bounded: the buffer doubles up to the limit (old + new while growing).
        max_peak: 2 * response_limit + FIXED,
        sent: Some(sent_single),
    });
    // For a stream the chunk limit would fire first; raise it to the response limit
    // so that the response limit is what stops the 1 GiB.
    let stream_limits = Limits {
        max_chunk_bytes: l.max_response_bytes,
        ..l
    };
    let (gib_stream, sent_stream) = firehose(chunked_res, nonce.clone(), &[0u8; 16 * KIB], 1 << 30);
    cases.push(Case {
        name: "1 GiB response (sent, not declared)",
        addr: gib_stream.addr,
        call: Call::Stream,
        limits: stream_limits,
        expect: format!("ResponseTooLarge {{ limit: {} }}", l.max_response_bytes),
        max_elapsed: quick,
        min_elapsed: Duration::ZERO,
        // The final chunk is buffered up to the limit (see the fast endless stream).
        max_peak: 3 * response_limit + FIXED,
        sent: Some(sent_stream),
    });

    // 9. A stream (and a single-shot body) that never ends, one byte per second: the
    // read timeout (1.5 s) never fires, the total deadline (2 s) does.
    for (call, ct) in [(Call::Stream, chunked_res), (Call::Single, ohttp_res)] {
        let r = trickle(ct);
        cases.push(Case {
            name: "endless, one byte per second",
            addr: r.addr,
            call,
            limits: l,
            expect: format!("Timeout({:?})", TimeoutKind::Total),
            max_elapsed: total + Duration::from_millis(500),
            min_elapsed: total - Duration::from_millis(100),
            max_peak: small,
            sent: None,
        });
    }

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for c in &cases {
        let (row, mut problems) = run(c);
        let fast_stream = c.call == Call::Stream && c.max_elapsed <= quick && c.sent.is_none();
        if fast_stream {
            problems.extend(unverified_yields_nothing(c));
        }
        for p in problems {
            failures.push(format!("{} ({:?}): {p}", c.name, c.call));
        }
        rows.push(row);
    }

    // Nobody knocked at the redirect target.
    assert!(
        elsewhere.accept().is_err(),
        "a redirect was followed to {location}"
    );
    // The 1 GiB relays were cut off long before the end.
    for row in &rows {
        if let Some(sent) = row.sent {
            assert!(
                sent < (64 * MIB) as u64,
                "{}: the relay wrote {sent} bytes",
                row.name
            );
        }
    }

    eprintln!(
        "\nlimits: read {:?}, total {:?}, response {} KiB, chunk {} KiB",
        l.read_timeout,
        l.total_timeout,
        l.max_response_bytes / 1024,
        l.max_chunk_bytes / 1024
    );
    eprintln!(
        "{:<52} | {:<6} | {:<38} | {:>9} | {:>10} | relay wrote",
        "case", "call", "error variant", "elapsed", "peak heap"
    );
    for r in &rows {
        eprintln!(
            "{:<52} | {:<6} | {:<38} | {:>7}ms | {:>6} KiB | {}",
            r.name,
            format!("{:?}", r.call),
            r.variant,
            r.elapsed.as_millis(),
            r.peak / KIB,
            r.sent
                .map(|s| format!("{} KiB", s / 1024))
                .unwrap_or_default()
        );
    }
    assert!(
        failures.is_empty(),
        "{} hostile-relay case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
