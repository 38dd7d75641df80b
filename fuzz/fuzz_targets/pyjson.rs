//! `og_canon::parse_slice`, then the Python writer (`to_python_json` sorted and
//! unsorted, `to_json_bytes`, `canonical_bytes`, `canonical_hash`).
//!
//! Checks: no panic; the writer emits ASCII only; what parses re-parses, after writing,
//! to an equal value (sorted and unsorted); writing is idempotent (unsorted output keeps
//! the key order); the streaming hash equals Keccak-256 of the canonical bytes;
//! `parse` on the same text agrees with `parse_slice`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = og_canon::parse_slice(data);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(
            og_canon::parse(text),
            parsed,
            "parse and parse_slice disagree"
        );
    }
    let Ok(value) = parsed else {
        return;
    };

    let unsorted = og_canon::to_python_json(&value, false);
    let sorted = og_canon::to_python_json(&value, true);
    assert!(
        unsorted.is_ascii() && sorted.is_ascii(),
        "ensure_ascii output"
    );
    assert_eq!(og_canon::to_json_bytes(&value), unsorted.as_bytes());
    let canonical = og_canon::canonical_bytes(&value);
    assert_eq!(canonical, sorted.as_bytes());
    assert_eq!(
        og_canon::canonical_hash(&value),
        og_canon::keccak256(&canonical)
    );

    let mut streamed = Vec::new();
    og_canon::write_python_json(&value, false, &mut streamed);
    assert_eq!(streamed, unsorted.as_bytes());

    let again = og_canon::parse(&unsorted).expect("written JSON re-parses");
    assert_eq!(again, value, "unsorted write/parse round trip");
    assert_eq!(
        og_canon::to_python_json(&again, false),
        unsorted,
        "unsorted write not idempotent"
    );

    let again_sorted = og_canon::parse(&sorted).expect("canonical JSON re-parses");
    assert_eq!(again_sorted, value, "sorted write/parse round trip");
    assert_eq!(
        og_canon::canonical_bytes(&again_sorted),
        canonical,
        "canonical form not idempotent"
    );
    assert_eq!(
        og_canon::to_python_json(&again_sorted, false),
        sorted,
        "the canonical text is not already in sorted order"
    );
});
