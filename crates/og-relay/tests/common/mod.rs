//! Hand-rolled loopback HTTP servers for transport-level tests, and a TEE endpoint
//! taken from the end-to-end vectors (its keys are public test keys).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use og_relay::{Limits, OhttpConfig, RelayClient, RelayClientBuilder, TeeEndpoint};

/// The signing key (DER SPKI, RSA-2048) of the vectors' TEE.
pub const SIGNING_KEY_DER: &str = "30820122300d06092a864886f70d01010105000382010f003082010a0282010100b2bdc230d24e0d2da1f51edf9b835c1fe912ce97d3e06cfd646d8528596481ef580ef07cad6566584fa8e60ced9807237aaee9e18833e89290873e6b75253f253a99390560bbb676d75bed8c78ead0aaa2e325f2e13b3fc7d3d896e6b381d65d838a63dc349e2d5d89e1d362e68b1cbd0252ef4c57cfc9c05a9d47fb9fd45277779de6039ff304367b48c1bda8a214d6e2d1ddd1dacd3fa5c489af15e70e01dd0bf4b0d7d3a0d5c5ae5175c9fb7ee6394585f8868d97dc1952df961fcfabeb21939539a2c30fbe3cea44a30fd4327110040f658481ce12121aa823dd4c37099b1039e78d0480efe1cdef52be7ba5d259edbaa3271396bb0d482d450bf25ed2170203010001";
/// Its tee_id.
pub const TEE_ID: &str = "0x656e02dc1b83be5f4de0304ce8fd77d83060f89d13154c2d012821e7b3a77f0d";
/// The OHTTP public key of the vectors' `single_text` case.
pub const OHTTP_PUBLIC_KEY: &str =
    "723ab71870a9b828ffb9598d7372550703681bfed9bd597c9045ec810ca02579";
/// Its key configuration blob.
pub const KEY_CONFIG: &str =
    "010020723ab71870a9b828ffb9598d7372550703681bfed9bd597c9045ec810ca02579000400010003";

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test constant is hex")
}

pub fn endpoint() -> TeeEndpoint {
    TeeEndpoint::new(
        "https://tee.example",
        &unhex(SIGNING_KEY_DER),
        OhttpConfig::x25519_chacha20poly1305(1, unhex(OHTTP_PUBLIC_KEY)),
    )
    .expect("the vectors' endpoint is valid")
}

/// Short limits so failing tests stay fast.
pub fn fast_limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

pub fn builder(addr: SocketAddr) -> RelayClientBuilder {
    RelayClient::builder(&format!("http://{addr}"), endpoint()).limits(fast_limits())
}

pub fn chat_body() -> og_relay::Value {
    og_canon::parse(r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}"#)
        .expect("valid JSON")
}

/// A request as the test relay saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A relay stand-in: each accepted connection's request is read and recorded, then
/// `respond` writes whatever raw bytes it likes to the socket. Runs on a detached
/// thread (a test that ends early leaves it blocked harmlessly).
pub struct TestRelay {
    pub addr: SocketAddr,
    requests: mpsc::Receiver<Recorded>,
}

impl TestRelay {
    pub fn start(respond: impl Fn(&Recorded, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = mpsc::channel();
        let respond = Arc::new(respond);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut stream) = conn else { return };
                let respond = Arc::clone(&respond);
                let tx = tx.clone();
                // One thread per connection: a handler that stalls blocks nobody else.
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let Ok(clone) = stream.try_clone() else {
                        return;
                    };
                    let mut reader = BufReader::new(clone);
                    let Some(recorded) = read_request(&mut reader) else {
                        return;
                    };
                    let _ = tx.send(recorded.clone());
                    respond(&recorded, &mut stream);
                    let _ = stream.flush();
                });
            }
        });
        TestRelay { addr, requests: rx }
    }

    /// Answers every request with a fixed raw HTTP response.
    pub fn fixed(raw: impl Into<Vec<u8>>) -> Self {
        let raw = raw.into();
        Self::start(move |_, s| {
            let _ = s.write_all(&raw);
        })
    }

    /// The requests recorded so far (waits briefly for in-flight ones).
    pub fn requests(&self) -> Vec<Recorded> {
        let mut out = Vec::new();
        while let Ok(r) = self.requests.recv_timeout(Duration::from_millis(200)) {
            out.push(r);
        }
        out
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Recorded> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':')?;
        if n.trim().eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().ok()?;
        }
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
    let mut body = vec![0; len.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

/// Runs `f` and returns its result with the elapsed time.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}
