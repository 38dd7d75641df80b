//! Property tests: any single-bit change to what is signed makes verification
//! fail; arbitrary bytes as signature, key or fields never panic.

mod common;

use std::sync::OnceLock;

use common::*;
use og_canon::Value;
use og_verify::{SigningKey, TeeId, VerifyError, verify_pss_sha256, verify_response};
use proptest::prelude::*;

const OUTPUT: &str = "Un bon résumé, with some text 😀.";
const TS: u64 = 1_750_000_123;

struct Fixture {
    enclave: Enclave,
    response: Value,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let enclave = Enclave::new("rsa2048");
        let response = enclave.respond(CANONICAL, OUTPUT, TS);
        Fixture { enclave, response }
    })
}

fn run(response: &Value, canonical: &[u8], output: &str) -> Result<(), VerifyError> {
    let f = fixture();
    verify_response(canonical, response, output, &f.enclave.public, None, "").map(|_| ())
}

fn flip_hex(hex: &str, bit: usize) -> String {
    let mut bytes = hex::decode(hex).unwrap();
    let n = bytes.len() * 8;
    bytes[(bit % n) / 8] ^= 1 << (bit % 8);
    hex::encode(bytes)
}

#[test]
fn the_fixture_verifies() {
    let f = fixture();
    run(&f.response, CANONICAL, OUTPUT).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn flipped_signature_bit_fails(bit in 0usize..2048) {
        let f = fixture();
        let mut sig = unb64(s(&f.response, "tee_signature"));
        sig[bit / 8] ^= 1 << (bit % 8);
        let r = with(&f.response, "tee_signature", b64(&sig).as_str().into());
        prop_assert_eq!(run(&r, CANONICAL, OUTPUT), Err(VerifyError::BadSignature));
    }

    #[test]
    fn flipped_request_hash_bit_fails(bit in 0usize..256) {
        let f = fixture();
        let h = flip_hex(s(&f.response, "tee_request_hash"), bit);
        let r = with(&f.response, "tee_request_hash", h.as_str().into());
        let err = run(&r, CANONICAL, OUTPUT).unwrap_err();
        prop_assert_eq!(err.category(), "request_hash_mismatch");
    }

    #[test]
    fn flipped_output_hash_bit_fails(bit in 0usize..256) {
        let f = fixture();
        let h = flip_hex(s(&f.response, "tee_output_hash"), bit);
        let r = with(&f.response, "tee_output_hash", h.as_str().into());
        let err = run(&r, CANONICAL, OUTPUT).unwrap_err();
        prop_assert_eq!(err.category(), "output_hash_mismatch");
    }

    /// Both hash fields changed consistently with a changed request (or output):
    /// the signature still binds the original.
    #[test]
    fn consistent_but_unsigned_hashes_fail(bit in 0usize..256, which in 0usize..2) {
        let f = fixture();
        let field = ["tee_request_hash", "tee_output_hash"][which];
        let h = flip_hex(s(&f.response, field), bit);
        let r = with(&f.response, field, h.as_str().into());
        let rh: [u8; 32] = hex::decode(s(&r, "tee_request_hash")).unwrap().try_into().unwrap();
        let err = og_verify::verify_response_with_request_hash(
            &rh, &r, OUTPUT, &fixture().enclave.public, None, "",
        );
        if which == 0 {
            prop_assert_eq!(err.unwrap_err(), VerifyError::BadSignature);
        } else {
            prop_assert_eq!(err.unwrap_err().category(), "output_hash_mismatch");
        }
    }

    #[test]
    fn flipped_timestamp_bit_fails(bit in 0u32..64, as_string in any::<bool>()) {
        let f = fixture();
        let ts = TS ^ (1u64 << bit);
        let v: Value = if as_string { ts.to_string().as_str().into() } else { int(&ts.to_string()) };
        let r = with(&f.response, "tee_timestamp", v);
        prop_assert_eq!(run(&r, CANONICAL, OUTPUT), Err(VerifyError::BadSignature));
    }

    #[test]
    fn flipped_tee_id_bit_fails(bit in 0usize..256) {
        let f = fixture();
        let id = f.enclave.public.tee_id().to_string();
        let r = with(&f.response, "tee_id", format!("0x{}", flip_hex(&id[2..], bit)).as_str().into());
        let err = run(&r, CANONICAL, OUTPUT).unwrap_err();
        prop_assert_eq!(err.category(), "tee_id_mismatch");
        // And the expected tee_id: a pin one bit off refuses a genuine answer.
        let mut pin = *f.enclave.public.tee_id().as_bytes();
        pin[bit / 8] ^= 1 << (bit % 8);
        let err = verify_response(
            CANONICAL, &f.response, OUTPUT, &f.enclave.public, Some(&TeeId::from_bytes(pin)), "",
        ).unwrap_err();
        prop_assert_eq!(err.category(), "expected_tee_id_mismatch");
    }

    #[test]
    fn flipped_request_bit_fails(bit in 0usize..(CANONICAL.len() * 8)) {
        let mut req = CANONICAL.to_vec();
        req[bit / 8] ^= 1 << (bit % 8);
        let err = run(&fixture().response, &req, OUTPUT).unwrap_err();
        prop_assert_eq!(err.category(), "request_hash_mismatch");
    }

    #[test]
    fn flipped_output_bit_fails(bit in 0usize..(OUTPUT.len() * 8)) {
        let mut out = OUTPUT.as_bytes().to_vec();
        out[bit / 8] ^= 1 << (bit % 8);
        let out = String::from_utf8_lossy(&out).into_owned();
        prop_assume!(out != OUTPUT);
        let err = run(&fixture().response, CANONICAL, &out).unwrap_err();
        prop_assert_eq!(err.category(), "output_hash_mismatch");
    }

    #[test]
    fn random_signatures_never_panic(sig in proptest::collection::vec(any::<u8>(), 0..600)) {
        let f = fixture();
        let r = with(&f.response, "tee_signature", b64(&sig).as_str().into());
        prop_assert!(run(&r, CANONICAL, OUTPUT).is_err());
        prop_assert!(verify_pss_sha256(&f.enclave.public, b"m", &sig).is_err());
    }

    #[test]
    fn random_signature_text_never_panics(text in ".{0,400}") {
        let f = fixture();
        let r = with(&f.response, "tee_signature", text.as_str().into());
        prop_assert!(run(&r, CANONICAL, OUTPUT).is_err());
    }

    #[test]
    fn random_key_bytes_never_panic(der in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = SigningKey::from_spki_der(&der);
    }

    /// Random edits of a real key's DER: refused or a (different, valid) key; never a panic.
    #[test]
    fn mutated_key_der_never_panics(pos in 0usize..294, byte in any::<u8>()) {
        let mut der = fixture().enclave.public.spki_der().to_vec();
        let i = pos % der.len();
        der[i] = byte;
        if let Ok(k) = SigningKey::from_spki_der(&der) {
            prop_assert_eq!(k.spki_der(), der.as_slice());
        }
    }

    #[test]
    fn random_pem_text_never_panics(text in "(-----BEGIN [A-Z ]{0,16}-----\n)?[A-Za-z0-9+/=\n]{0,200}(-----END [A-Z ]{0,16}-----\n)?") {
        let _ = SigningKey::from_pem(&text);
    }

    #[test]
    fn random_field_strings_never_panic(
        field in 0usize..5,
        text in ".{0,100}",
    ) {
        let f = fixture();
        let name = ["tee_signature", "tee_request_hash", "tee_output_hash", "tee_timestamp", "tee_id"][field];
        let r = with(&f.response, name, text.as_str().into());
        let _ = run(&r, CANONICAL, OUTPUT);
    }

    #[test]
    fn random_integer_timestamps_never_panic(digits in "-?[0-9]{1,100}") {
        let f = fixture();
        let r = with(&f.response, "tee_timestamp", int(&digits));
        let err = run(&r, CANONICAL, OUTPUT).unwrap_err();
        prop_assert!(matches!(err.category(), "bad_timestamp" | "bad_signature"), "{}", err);
    }

    #[test]
    fn tee_id_text_round_trips(bytes in any::<[u8; 32]>()) {
        let id = TeeId::from_bytes(bytes);
        prop_assert_eq!(TeeId::parse(&id.to_string()), Ok(id));
        prop_assert_eq!(TeeId::parse(&id.to_string()[2..].to_uppercase()), Ok(id));
    }

    #[test]
    fn tee_id_parse_never_panics(text in ".{0,80}") {
        let _ = TeeId::parse(&text);
        let _ = og_verify::PcrHash::parse(&text);
    }
}
