//! `og_verify::verify_response` with arbitrary JSON as the response object, a fixed
//! real RSA-2048 key and fixed canonical request bytes from `testdata/vectors/verify.json`.
//!
//! The seeds are real signed responses, so the mutations are mutated real responses.
//! Checks: no panic; a response verifies only if its signature (as spelled) is one the
//! vectors record as genuinely made by this key over the very message the proof names
//! (`keccak256(request_hash || output_hash || uint256(timestamp))`, computed here),
//! whatever else was changed; the proof records the hashes that were checked. Both the base case's
//! output and `og_canon::signed_output` of the (mutated) response are tried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_fuzz::{msg_hash, verify_fixture};

fuzz_target!(|data: &[u8]| {
    let Ok(response) = og_canon::parse_slice(data) else {
        return;
    };
    let f = verify_fixture();
    let request_hash = og_canon::keccak256(&f.canonical);
    let derived = og_canon::signed_output(&response).ok();
    let outputs = std::iter::once(f.output.as_str()).chain(derived.as_deref());
    for output in outputs {
        let expected = f.key.tee_id();
        for expected_tee_id in [None, Some(&expected)] {
            let Ok(proof) = og_verify::verify_response(
                &f.canonical,
                &response,
                output,
                &f.key,
                expected_tee_id,
                "",
            ) else {
                continue;
            };
            assert_eq!(proof.request_hash(), hex(&request_hash));
            let output_hash = og_canon::keccak256(output.as_bytes());
            assert_eq!(proof.output_hash(), hex(&output_hash));
            let m = msg_hash(&request_hash, &output_hash, proof.timestamp());
            let genuine = f
                .genuine
                .iter()
                .any(|(gm, sig)| *gm == m && sig == proof.signature());
            assert!(
                genuine,
                "verified a response that is not a genuine signed one: {proof:?}"
            );
            assert_eq!(proof.tee_host(), None);
        }
    }
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
