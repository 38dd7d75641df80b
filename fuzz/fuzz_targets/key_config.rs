//! `KeyConfig::parse` and `KeyConfig::parse_list` on arbitrary bytes.
//!
//! Checks: no panic; a parsed configuration serializes back to exactly its input; a
//! parsed list re-serializes to a list that parses to the same configurations; a client
//! request can be asked of every parsed configuration without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_ohttp_core::{KeyConfig, Suite};

fn exercise(c: &KeyConfig) {
    let bytes = c.to_bytes();
    assert_eq!(
        KeyConfig::parse(&bytes).as_ref(),
        Ok(c),
        "config round trip"
    );
    assert_eq!(c.public_key().len(), 32);
    for suite in [
        Suite::X25519_SHA256_CHACHA20POLY1305,
        Suite::X25519_SHA256_AES128GCM,
        Suite::X25519_SHA256_AES256GCM,
    ] {
        let r = c.client_request(suite);
        if !c.supports(suite) {
            assert!(r.is_err());
        }
        if let Ok(r) = r {
            assert_eq!(r.key_id(), c.key_id());
            assert_eq!(&r.public_key()[..], c.public_key());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = KeyConfig::parse(data) {
        assert_eq!(
            c.to_bytes(),
            data,
            "a parsed config must serialize to its input"
        );
        exercise(&c);
    }
    if let Ok(list) = KeyConfig::parse_list(data) {
        let bytes = KeyConfig::list_to_bytes(&list).expect("parsed configs fit the list format");
        assert!(bytes.len() <= data.len());
        if !list.is_empty() {
            assert_eq!(
                KeyConfig::parse_list(&bytes).as_ref(),
                Ok(&list),
                "list round trip"
            );
        }
        for c in &list {
            exercise(c);
        }
    }
});
