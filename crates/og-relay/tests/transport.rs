//! The client over real loopback HTTP against hand-rolled relays: headers, relay
//! errors, redirects, size limits and deadlines. (Whole verified exchanges are in the
//! conformance runner, `end_to_end.json`, and in og-sim's tests.)

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestRelay, builder, chat_body, endpoint, fast_limits, timed};
use og_relay::{BearerToken, Error, Limits, RelayClient, TimeoutKind};

fn http_response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn posts_the_protocol_headers_and_asks_auth_on_every_request() {
    let relay = TestRelay::fixed(http_response("401 Unauthorized", "application/json", "{}"));
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let client = builder(relay.addr)
        .auth(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            Ok(vec![(
                "Authorization".to_owned(),
                format!("Bearer token-{n}"),
            )])
        })
        .build()
        .unwrap();
    let _ = client.chat_completion(&chat_body());
    let _ = client.stream_chat_completion(&chat_body());
    let reqs = relay.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let single = &reqs[0];
    assert_eq!(single.method, "POST");
    assert_eq!(single.path, "/api/v1/chat/ohttp");
    assert_eq!(single.header("Content-Type"), Some("message/ohttp-req"));
    assert_eq!(single.header("Accept"), Some("message/ohttp-res"));
    assert_eq!(single.header("X-TEE-ID"), Some(common::TEE_ID));
    assert_eq!(single.header("X-OHTTP-Stream"), None);
    assert_eq!(single.header("Authorization"), Some("Bearer token-0"));
    // key id 1, X25519 / HKDF-SHA256 / ChaCha20-Poly1305, then enc, then ciphertext.
    assert_eq!(single.body[..7], [1, 0, 0x20, 0, 1, 0, 3]);
    assert!(single.body.len() > 7 + 32 + 16);
    // The exact header casing of the reference is kept on the wire.
    assert!(single.headers.iter().any(|(n, _)| n == "X-TEE-ID"));

    let stream = &reqs[1];
    assert_eq!(stream.header("Accept"), Some("message/ohttp-chunked-res"));
    assert_eq!(stream.header("X-OHTTP-Stream"), Some("true"));
    assert_eq!(stream.header("Authorization"), Some("Bearer token-1"));
    // A fresh ephemeral key per request.
    assert_ne!(single.body[7..39], stream.body[7..39]);
}

#[test]
fn relay_401_json_detail_is_the_message() {
    let relay = TestRelay::fixed(http_response(
        "401 Unauthorized",
        "application/json",
        r#"{"detail": "Invalid or expired token"}"#,
    ));
    let client = builder(relay.addr)
        .auth(BearerToken::new("expired"))
        .build()
        .unwrap();
    for result in [
        client.chat_completion(&chat_body()).map(|_| ()),
        client.stream_chat_completion(&chat_body()).map(|_| ()),
        client
            .stream_chat_completion_unverified(&chat_body())
            .map(|_| ()),
    ] {
        match result {
            Err(Error::Relay { status, message }) => {
                assert_eq!(status, 401);
                assert_eq!(message, "Invalid or expired token");
            }
            other => panic!("expected a relay error, got {other:?}"),
        }
    }
}

#[test]
fn relay_429_openai_envelope_is_retryable() {
    let relay = TestRelay::fixed(http_response(
        "429 Too Many Requests",
        "application/json",
        r#"{"error": {"message": "slow down", "type": "rate_limit"}}"#,
    ));
    let e = builder(relay.addr)
        .build()
        .unwrap()
        .chat_completion(&chat_body())
        .unwrap_err();
    assert!(matches!(&e, Error::Relay { status: 429, message } if message == "slow down"));
    assert!(e.is_retryable());
    assert_eq!(e.category(), "relay_error");
}

#[test]
fn relay_500_html_body_gives_its_first_500_characters() {
    let html = format!("<html><body>{}</body></html>", "Ünïcödé ".repeat(200));
    let relay = TestRelay::fixed(http_response(
        "500 Internal Server Error",
        "text/html",
        &html,
    ));
    let e = builder(relay.addr)
        .build()
        .unwrap()
        .chat_completion(&chat_body())
        .unwrap_err();
    let Error::Relay { status, message } = e else {
        panic!("expected a relay error, got {e:?}")
    };
    assert_eq!(status, 500);
    assert_eq!(message.chars().count(), 500);
    assert!(html.starts_with(&message));
}

#[test]
fn a_huge_error_body_is_read_only_in_part() {
    // The relay claims a 1 GiB error page and sends an endless one.
    let relay = TestRelay::start(|_, s| {
        let _ = s.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\
              Content-Length: 1073741824\r\n\r\n",
        );
        let block = [b'x'; 8192];
        for _ in 0..(1 << 17) {
            if s.write_all(&block).is_err() {
                return;
            }
        }
    });
    let (result, elapsed) = timed(|| {
        builder(relay.addr)
            .build()
            .unwrap()
            .chat_completion(&chat_body())
    });
    let e = result.unwrap_err();
    assert!(
        matches!(&e, Error::Relay { status: 502, message } if message == &"x".repeat(500)),
        "{e:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn redirects_are_not_followed() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let location = format!("http://{}/api/v1/chat/ohttp", target.local_addr().unwrap());
    let relay = TestRelay::fixed(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    ));
    let e = builder(relay.addr)
        .build()
        .unwrap()
        .chat_completion(&chat_body())
        .unwrap_err();
    match &e {
        Error::Relay { status, message } => {
            assert_eq!(*status, 307);
            assert!(message.contains(&location), "{message}");
        }
        other => panic!("expected a relay error, got {other:?}"),
    }
    assert!(!e.is_retryable());
    assert_eq!(relay.requests().len(), 1);
    // Nobody knocked at the redirect target.
    assert!(target.accept().is_err());
}

#[test]
fn a_1_gib_content_length_fails_at_once() {
    let relay = TestRelay::start(|r, s| {
        let ct = if r.header("X-OHTTP-Stream").is_some() {
            "message/ohttp-chunked-res"
        } else {
            "message/ohttp-res"
        };
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: 1073741824\r\n\r\n"
        );
        let _ = s.write_all(&[0u8; 1024]);
        // Then hold the connection open: the client must not wait for the rest.
        std::thread::sleep(Duration::from_secs(3));
    });
    let client = builder(relay.addr).build().unwrap();
    let limit = Limits::default().max_response_bytes;
    let (single, t1) = timed(|| client.chat_completion(&chat_body()));
    assert!(
        matches!(single, Err(Error::ResponseTooLarge { limit: l }) if l == limit),
        "{single:?}"
    );
    let (stream, t2) = timed(|| client.stream_chat_completion(&chat_body()));
    assert!(
        matches!(stream, Err(Error::ResponseTooLarge { .. })),
        "{stream:?}"
    );
    assert!(t1 + t2 < Duration::from_secs(1), "{t1:?} {t2:?}");
}

#[test]
fn an_endless_body_stops_at_the_size_limit() {
    // No Content-Length: the body runs until the connection closes, which it never does.
    let relay = TestRelay::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let block = [0u8; 16384];
        while s.write_all(&block).is_ok() {}
    });
    let client = builder(relay.addr)
        .limits(Limits {
            max_response_bytes: 1 << 20,
            ..fast_limits()
        })
        .build()
        .unwrap();
    let (single, elapsed) = timed(|| client.chat_completion(&chat_body()));
    assert!(
        matches!(single, Err(Error::ResponseTooLarge { limit: 1048576 })),
        "{single:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    // A stream of zeros: a nonce, then a final chunk that never ends.
    let (stream, elapsed) = timed(|| client.stream_chat_completion(&chat_body()));
    let e = stream.unwrap_err();
    assert!(
        matches!(e, Error::ResponseTooLarge { .. })
            || matches!(&e, Error::Ohttp(c) if c.category() == "chunk_too_large"),
        "{e:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn a_chunk_length_prefix_of_2_pow_62_fails_at_once() {
    let relay = TestRelay::start(|_, s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-chunked-res\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        );
        // 32-byte response nonce, then the varint 0xffffffffffffffff (2^62 - 1).
        let mut body = vec![7u8; 32];
        body.extend_from_slice(&[0xff; 8]);
        let _ = write!(s, "{:x}\r\n", body.len());
        let _ = s.write_all(&body);
        let _ = s.write_all(b"\r\n");
        let _ = s.flush();
        std::thread::sleep(Duration::from_secs(3));
    });
    let (result, elapsed) = timed(|| {
        builder(relay.addr)
            .build()
            .unwrap()
            .stream_chat_completion(&chat_body())
    });
    let e = result.unwrap_err();
    assert!(
        matches!(&e, Error::Ohttp(c) if c.category() == "chunk_too_large"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

#[test]
fn a_body_trickling_one_byte_per_second_ends_by_the_total_deadline() {
    let relay = TestRelay::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for _ in 0..1000 {
            if s.write_all(b"x").and_then(|()| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(400));
        }
    });
    let client = builder(relay.addr)
        .limits(Limits {
            read_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_millis(1200),
            ..fast_limits()
        })
        .build()
        .unwrap();
    let (result, elapsed) = timed(|| client.chat_completion(&chat_body()));
    assert!(
        matches!(result, Err(Error::Timeout(TimeoutKind::Total))),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(1100) && elapsed < Duration::from_millis(2500),
        "{elapsed:?}"
    );
}

#[test]
fn a_stalled_relay_ends_by_the_read_timeout() {
    // Headers, then silence (streaming), and silence before any header (single-shot).
    let relay = TestRelay::start(|r, s| {
        if r.header("X-OHTTP-Stream").is_some() {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let _ = s.flush();
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    let client = builder(relay.addr)
        .limits(Limits {
            read_timeout: Duration::from_millis(300),
            ..fast_limits()
        })
        .build()
        .unwrap();
    let (single, t1) = timed(|| client.chat_completion(&chat_body()));
    assert!(
        matches!(single, Err(Error::Timeout(TimeoutKind::Read))),
        "{single:?}"
    );
    let (stream, t2) = timed(|| client.stream_chat_completion(&chat_body()));
    assert!(
        matches!(stream, Err(Error::Timeout(TimeoutKind::Read))),
        "{stream:?}"
    );
    assert!(
        t1 < Duration::from_secs(1) && t2 < Duration::from_secs(1),
        "{t1:?} {t2:?}"
    );
}

#[test]
fn a_refused_connection_is_a_retryable_transport_error() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = builder(addr)
        .build()
        .unwrap()
        .chat_completion(&chat_body())
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(e.is_retryable());
}

#[test]
fn garbage_instead_of_ciphertext_is_an_ohttp_error() {
    let relay = TestRelay::start(|r, s| {
        let body = if r.header("X-OHTTP-Stream").is_some() {
            vec![0x5a; 200]
        } else {
            b"short".to_vec()
        };
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(&body);
    });
    let client = builder(relay.addr).build().unwrap();
    let e = client.chat_completion(&chat_body()).unwrap_err();
    assert!(matches!(e, Error::Ohttp(_)), "{e:?}");
    assert_eq!(e.category(), "malformed");
    let e = client.stream_chat_completion(&chat_body()).unwrap_err();
    assert!(matches!(e, Error::Ohttp(_)), "{e:?}");
    // The unverified API reports the same failure as its terminal item, having yielded
    // nothing.
    let items: Vec<_> = client
        .stream_chat_completion_unverified(&chat_body())
        .unwrap()
        .collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::Ohttp(_))), "{items:?}");
}

#[test]
fn nothing_is_sent_for_an_unsupported_request_or_a_failing_auth_provider() {
    let relay = TestRelay::fixed(http_response("200 OK", "message/ohttp-res", ""));
    let client = builder(relay.addr).build().unwrap();
    let bad = og_canon::parse(r#"{"model": "", "messages": []}"#).unwrap();
    let e = client.chat_completion(&bad).unwrap_err();
    assert!(matches!(e, Error::UnsupportedRequest(_)), "{e:?}");
    assert_eq!(e.category(), "unsupported_request");

    let client = builder(relay.addr)
        .auth(|| Err(Error::Auth("the token store is locked".into())))
        .build()
        .unwrap();
    let e = client.chat_completion(&chat_body()).unwrap_err();
    assert!(
        matches!(&e, Error::Auth(m) if m.contains("locked")),
        "{e:?}"
    );
    assert!(relay.requests().is_empty());
}

#[test]
fn only_http_urls_are_accepted_and_the_path_is_appended_once() {
    let ep = endpoint();
    for bad in [
        "ftp://relay.example",
        "relay.example",
        "https://u:p@relay.example",
    ] {
        let e = RelayClient::builder(bad, ep.clone()).build().unwrap_err();
        assert!(matches!(e, Error::InvalidUrl(_)), "{bad}: {e:?}");
    }
    let c = RelayClient::builder("https://relay.example/api/v1/chat/ohttp", ep.clone())
        .build()
        .unwrap();
    assert_eq!(c.url(), "https://relay.example/api/v1/chat/ohttp");
    let c = RelayClient::builder("https://relay.example/", ep)
        .build()
        .unwrap();
    assert_eq!(c.url(), "https://relay.example/api/v1/chat/ohttp");
}

#[test]
fn one_client_serves_many_threads() {
    let relay = TestRelay::fixed(http_response(
        "503 Service Unavailable",
        "application/json",
        r#"{"error": "busy"}"#,
    ));
    let client = builder(relay.addr).build().unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.chat_completion(&chat_body()).unwrap_err())
        })
        .collect();
    for h in handles {
        let e = h.join().unwrap();
        assert!(matches!(&e, Error::Relay { status: 503, message } if message == "busy"));
    }
    assert_eq!(relay.requests().len(), 4);
}
