//! `Recipient::decapsulate` with a fixed gateway key from the vectors.
//!
//! Checks: no panic; the error categories are the documented ones; an opened request's
//! plaintext has the length the framing implies, and its exported secrets answer it (a
//! single-shot and a chunked response round-trip through the matching client context).
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_fuzz::{SUITE, recipient};
use og_ohttp_core::{ChunkLimits, ResponseContext};

fuzz_target!(|data: &[u8]| {
    let r = recipient();
    match r.decapsulate(data) {
        Ok((plaintext, server)) => {
            assert_eq!(plaintext.len() + 7 + 32 + 16, data.len());
            assert_eq!(server.enc(), &data[7..39]);
            let (secret, chunked) = server.exported_secrets_for_tests();
            let client = ResponseContext::from_secrets(SUITE, server.enc(), secret, chunked)
                .expect("exported secrets have the suite's length");
            let msg = &plaintext[..plaintext.len().min(64)];
            let response = server.seal_with_nonce(msg, &[7u8; 32]).unwrap();
            assert_eq!(client.open(&response).unwrap(), msg);
            let mut e = server.chunked_encrypter(&[9u8; 32]).unwrap();
            let mut stream = e.seal_chunk(msg).unwrap();
            stream.extend(e.seal_final(b"end").unwrap());
            let mut frames = Vec::new();
            let mut d = client.chunked_decrypter(ChunkLimits::default());
            d.feed(&stream, |f| frames.push(f.to_vec())).unwrap();
            d.finish(|f| frames.push(f.to_vec())).unwrap();
            assert_eq!(frames, [msg.to_vec(), b"end".to_vec()]);
        }
        Err(e) => {
            let cat = e.category();
            assert!(
                matches!(
                    cat,
                    "malformed" | "unknown_key_id" | "unsupported_suite" | "decap_failed"
                ),
                "unexpected category {cat}: {e:?}"
            );
        }
    }
});
