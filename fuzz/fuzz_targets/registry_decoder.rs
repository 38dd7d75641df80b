//! The registry record decoder (`getActiveTEEs` / `getTEE` return data) on arbitrary
//! ABI bytes: what a hostile RPC node can send.
//!
//! Checks: no panic and no unbounded allocation; every decoded record is consistent
//! (a usable endpoint is OHTTP-capable, has a non-empty URL, the same tee_id as the
//! record, and its signing key hashes to that tee_id); the selection over the decoded
//! records only ever returns usable ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_relay::registry::{RegisteredTee, Selection, decode_active_tees, decode_tee};

fn check(tee: &RegisteredTee) {
    if let Ok(endpoint) = tee.endpoint() {
        assert!(tee.ohttp_capable(), "a usable record has a 32-byte OHTTP key");
        assert!(!tee.url().is_empty());
        assert_eq!(endpoint.tee_id(), tee.tee_id());
        assert_eq!(endpoint.signing_key().tee_id(), *tee.tee_id());
        assert_eq!(endpoint.ohttp().public_key.len(), 32);
        assert_eq!(Some(endpoint.ohttp().key_id), tee.ohttp_key_id());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(tees) = decode_active_tees(data) {
        tees.iter().for_each(check);
        if let Ok(chosen) = Selection::new().choose(&tees, &[]) {
            assert!(tees.iter().any(|t| t.tee_id() == chosen.tee_id() && t.endpoint().is_ok()));
        }
    }
    if let Ok(tee) = decode_tee(data) {
        check(&tee);
    }
});
