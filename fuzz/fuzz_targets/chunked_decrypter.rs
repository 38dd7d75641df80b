//! A chunked response fed to `ChunkedDecrypter` (fixed context from the vectors) in
//! pieces chosen by the input, then `finish`.
//!
//! Checks: no panic; errors are sticky; the outcome (frames and result) does not depend
//! on how the stream is split; an accepted stream re-encrypts (same nonce, minimal
//! varints) to itself or to a shorter stream with the same frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_fuzz::{ChunkedInput, SUITE, chunked_fixture};
use og_ohttp_core::{ChunkLimits, Error, ResponseContext, ServerResponse};

struct Outcome {
    frames: Vec<Vec<u8>>,
    result: Result<(), Error>,
}

fn decrypt(ctx: &ResponseContext, limits: ChunkLimits, pieces: &[&[u8]]) -> Outcome {
    let mut d = ctx.chunked_decrypter(limits);
    let mut frames = Vec::new();
    for piece in pieces {
        if let Err(e) = d.feed(piece, |f| frames.push(f.to_vec())) {
            // An error is sticky: nothing more comes out, the same error comes back.
            let again = d.feed(b"\x00more", |_| panic!("a frame after an error"));
            assert_eq!(again, Err(e.clone()), "errors are sticky (feed)");
            let fin = d.finish(|_| panic!("a frame after an error"));
            assert_eq!(fin, Err(e.clone()), "errors are sticky (finish)");
            return Outcome {
                frames,
                result: Err(e),
            };
        }
        assert_eq!(d.frames(), frames.len() as u64);
    }
    let result = d.finish(|f| frames.push(f.to_vec()));
    Outcome { frames, result }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = ChunkedInput::parse(data) else {
        return;
    };
    let (ctx, enc, secret) = chunked_fixture();
    let split = decrypt(ctx, input.limits, &input.pieces);
    let whole = decrypt(ctx, input.limits, &[input.stream]);

    assert_eq!(
        split.result.is_ok(),
        whole.result.is_ok(),
        "split-dependent result: {:?} vs {:?}",
        split.result,
        whole.result
    );
    if split.result.is_ok() || input.default_limits {
        // With the default limits nothing depends on the split; with small limits a
        // stream-size error may come before or after an earlier chunk's error.
        assert_eq!(split.frames, whole.frames, "split-dependent frames");
        assert_eq!(
            split.result.as_ref().map_err(Error::category),
            whole.result.as_ref().map_err(Error::category),
            "split-dependent error"
        );
    }
    if whole.result.is_err() {
        return;
    }

    // Accepted: at least the final frame, and the stream is nonce || chunks.
    let (last, rest) = whole.frames.split_last().expect("a final frame");
    let nonce = &input.stream[..SUITE.response_nonce_len()];
    let server = ServerResponse::from_secrets(SUITE, enc, &[0u8; 32], secret).unwrap();
    let mut e = server.chunked_encrypter(nonce).unwrap();
    let mut again = Vec::new();
    for f in rest {
        again.extend(e.seal_chunk(f).unwrap());
    }
    again.extend(e.seal_final(last).unwrap());
    assert!(
        again.len() <= input.stream.len(),
        "re-encryption longer than the accepted stream"
    );
    if again.len() == input.stream.len() {
        assert_eq!(again, input.stream, "same length, other bytes");
    }
    let re = decrypt(ctx, ChunkLimits::default(), &[&again]);
    assert!(re.result.is_ok());
    assert_eq!(re.frames, whole.frames);
});
