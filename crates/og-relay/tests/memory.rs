//! Peak memory under hostile relays, measured with a counting global allocator: a
//! relay that sends too much, forever, or claims 2^62 bytes never makes the client
//! hold more than its configured limits.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{TestRelay, builder, chat_body, fast_limits};
use og_relay::{Error, Limits};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// Runs `f` and returns its result and the peak growth of live heap bytes during it.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let out = f();
    (out, ALLOC.peak_usage().saturating_sub(base))
}

const MIB: usize = 1 << 20;

/// One test, so that no other test in this binary allocates at the same time.
#[test]
fn hostile_relays_stay_within_the_memory_limits() {
    let limits = Limits {
        max_response_bytes: 4 << 20,
        max_chunk_bytes: 256 << 10,
        ..fast_limits()
    };

    // An endless single-shot body: refused at the 4 MiB limit.
    let endless = TestRelay::start(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let block = [0u8; 16384];
        while s.write_all(&block).is_ok() {}
    });
    let client = builder(endless.addr).limits(limits).build().unwrap();
    let (r, peak) = peak_during(|| client.chat_completion(&chat_body()));
    assert!(matches!(r, Err(Error::ResponseTooLarge { .. })), "{r:?}");
    eprintln!("endless single-shot body: peak {} KiB", peak / 1024);
    assert!(
        peak <= 2 * 4 * MIB + MIB / 2,
        "peak {peak} bytes for a 4 MiB limit"
    );

    // An endless stream: the nonce, then a final chunk that never ends. The chunk
    // limit, not the response limit, bounds it.
    let (r, peak) = peak_during(|| client.stream_chat_completion(&chat_body()));
    let e = r.unwrap_err();
    assert!(
        matches!(e, Error::ResponseTooLarge { .. })
            || matches!(&e, Error::Ohttp(c) if c.category() == "chunk_too_large"),
        "{e:?}"
    );
    eprintln!("endless stream: peak {} KiB", peak / 1024);
    assert!(peak < 2 * MIB, "peak {peak} bytes");

    // A declared 1 GiB body and a 2^62 length prefix: nothing is buffered.
    let huge = TestRelay::start(|r, s| {
        if r.header("X-OHTTP-Stream").is_some() {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-chunked-res\r\nConnection: close\r\n\r\n",
            );
            let mut body = vec![7u8; 32];
            body.extend_from_slice(&[0xff; 8]);
            let _ = s.write_all(&body);
        } else {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
        }
        std::thread::sleep(Duration::from_secs(2));
    });
    let client = builder(huge.addr).limits(limits).build().unwrap();
    let (r, peak) = peak_during(|| client.chat_completion(&chat_body()));
    assert!(matches!(r, Err(Error::ResponseTooLarge { .. })), "{r:?}");
    assert!(peak < MIB, "1 GiB declared: peak {peak} bytes");
    let (r, peak) = peak_during(|| client.stream_chat_completion(&chat_body()));
    let e = r.unwrap_err();
    assert_eq!(e.category(), "chunk_too_large", "{e:?}");
    assert!(peak < MIB, "2^62 prefix: peak {peak} bytes");
}
