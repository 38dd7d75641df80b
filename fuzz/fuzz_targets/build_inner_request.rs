//! Arbitrary bytes parsed as JSON, then `build_inner_request`, the canonical bytes and
//! hash, and the wire bytes for both stream flags.
//!
//! Checks: no panic; `wire_len` is the length of `wire_bytes`; the wire re-parses to
//! `wire_value` (with `"stream": true` last exactly when streaming); the canonical bytes
//! re-parse to the canonical value and hash to `request_hash`; and building the request
//! again from the wire gives the same canonical form (the gateway rebuilds it from what
//! it receives, so the hashes must agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_canon::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = og_canon::parse_slice(data) else {
        return;
    };
    let Ok(request) = og_canon::build_inner_request(&body) else {
        return;
    };
    let canonical = request.canonical_bytes();
    assert_eq!(og_canon::keccak256(&canonical), request.request_hash());
    assert_eq!(
        og_canon::parse_slice(&canonical).expect("canonical bytes re-parse"),
        *request.canonical()
    );
    assert_eq!(canonical, og_canon::canonical_bytes(request.canonical()));

    for stream in [false, true] {
        let wire = request.wire_bytes(stream);
        assert_eq!(wire.len(), request.wire_len(stream));
        assert!(wire.is_ascii());
        let reparsed = og_canon::parse_slice(&wire).expect("the wire re-parses");
        assert_eq!(
            reparsed,
            request.wire_value(stream),
            "wire bytes vs wire_value"
        );
        let Value::Object(map) = &reparsed else {
            panic!("the wire is not an object");
        };
        let last = map.iter().last().map(|(k, v)| (k.as_str(), v));
        if stream {
            assert_eq!(last, Some(("stream", &Value::Bool(true))));
        } else {
            assert!(!map.contains_key("stream"));
        }
        let rebuilt = og_canon::build_inner_request(&reparsed)
            .expect("the request rebuilt from its own wire is refused");
        assert_eq!(
            rebuilt.canonical_bytes(),
            canonical,
            "the canonical form rebuilt from the wire differs"
        );
    }
});
