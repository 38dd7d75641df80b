//! A single-shot response opened with a fixed context from the vectors.
//!
//! Checks: no panic; what opens re-seals (same nonce) to exactly the input; the error
//! for a response no longer than its nonce is `malformed`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_fuzz::{SUITE, response_fixture};
use og_ohttp_core::ServerResponse;

fuzz_target!(|data: &[u8]| {
    let (ctx, enc, secret) = response_fixture();
    let n = SUITE.response_nonce_len();
    match ctx.open(data) {
        Ok(plaintext) => {
            assert_eq!(plaintext.len() + n + 16, data.len());
            let server = ServerResponse::from_secrets(SUITE, enc, secret, &[0u8; 32]).unwrap();
            let sealed = server.seal_with_nonce(&plaintext, &data[..n]).unwrap();
            assert_eq!(
                sealed, data,
                "an accepted response that does not re-seal to itself"
            );
        }
        Err(e) => {
            if data.len() <= n {
                assert_eq!(e.category(), "malformed");
            } else {
                assert_eq!(e.category(), "aead", "{e:?}");
            }
        }
    }
});
