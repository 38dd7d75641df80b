//! Behaviour through the public API: one negative test per check, the decided
//! refusals of PROTOCOL §8, keys, proofs and the freshness policy.

mod common;

use common::*;
use og_canon::Value;
use og_verify::{
    FreshnessPolicy, PcrHash, SigningKey, TeeId, TeeProof, VerifyError, verify_proof,
    verify_response, verify_response_with_request_hash,
};
use std::time::{Duration, SystemTime};

const TS: u64 = 1_750_000_000;

fn ok(enclave: &Enclave, response: &Value, output: &str) -> Result<TeeProof, VerifyError> {
    verify_response(CANONICAL, response, output, &enclave.public, None, "")
}

fn category(r: Result<TeeProof, VerifyError>) -> &'static str {
    r.expect_err("must fail").category()
}

#[test]
fn fresh_response_verifies_both_ways() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "Hello back", TS);
    let a = verify_response(
        CANONICAL,
        &r,
        "Hello back",
        &e.public,
        Some(&e.public.tee_id()),
        "h",
    )
    .unwrap();
    let b = verify_response_with_request_hash(
        &og_canon::keccak256(CANONICAL),
        &r,
        "Hello back",
        &e.public,
        Some(&e.public.tee_id()),
        "h",
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.timestamp(), TS);
    assert_eq!(a.tee_id(), e.public.tee_id().to_string());
    assert_eq!(
        a.request_hash(),
        hex::encode(og_canon::keccak256(CANONICAL))
    );
    assert_eq!(
        a.output_hash(),
        hex::encode(og_canon::keccak256(b"Hello back"))
    );
    assert_eq!(a.signature(), s(&r, "tee_signature"));
    assert_eq!(a.signing_key_pem(), e.public.to_pem());
    assert_eq!(a.tee_host(), Some("h"));
}

#[test]
fn every_vector_key_size_and_exponent_verifies() {
    for key in [
        "rsa2048",
        "rsa3072",
        "rsa4096",
        "rsa2048_e3",
        "rsa2048_other",
    ] {
        let e = Enclave::new(key);
        let r = e.respond(CANONICAL, "x", TS);
        ok(&e, &r, "x").unwrap_or_else(|err| panic!("{key}: {err}"));
    }
}

// Step 1: fields and types.

#[test]
fn missing_or_mistyped_fields() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    for field in [
        "tee_signature",
        "tee_request_hash",
        "tee_output_hash",
        "tee_timestamp",
        "tee_id",
    ] {
        let err = ok(&e, &without(&r, field), "x").unwrap_err();
        assert_eq!(err.category(), "missing_field", "{field}");
        assert!(err.to_string().contains(field), "{err}");
        assert_eq!(
            category(ok(&e, &with(&r, field, Value::Null), "x")),
            "missing_field"
        );
    }
    assert_eq!(
        category(ok(&e, &with(&r, "tee_signature", int("5")), "x")),
        "missing_field"
    );
    assert_eq!(
        category(ok(&e, &with(&r, "tee_timestamp", Value::Bool(true)), "x")),
        "missing_field"
    );
    let float = Value::Number(og_canon::Number::from_f64(TS as f64).unwrap());
    assert_eq!(
        category(ok(&e, &with(&r, "tee_timestamp", float), "x")),
        "missing_field"
    );
    assert_eq!(
        category(ok(&e, &Value::Array(vec![r.clone()]), "x")),
        "missing_field"
    );
}

#[test]
fn timestamp_forms() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    // A decimal string, leading zeros included, is the same timestamp.
    for text in [TS.to_string(), format!("000{TS}")] {
        let p = ok(&e, &with(&r, "tee_timestamp", text.as_str().into()), "x").unwrap();
        assert_eq!(p.timestamp(), TS);
    }
    // Python int() leniencies are refused.
    for bad in [
        "soon".to_owned(),
        String::new(),
        format!(" {TS}"),
        format!("{TS} "),
        format!("+{TS}"),
        format!("-{TS}"),
        "1_750_000_000".to_owned(),
        "１７５".to_owned(),
        "1.75e9".to_owned(),
    ] {
        let err = ok(&e, &with(&r, "tee_timestamp", bad.as_str().into()), "x").unwrap_err();
        assert_eq!(err.category(), "bad_timestamp", "{bad:?}");
        assert!(!err.to_string().contains("Hello"), "{err}");
    }
    // Negative, >= 2^64, >= 2^256, absurdly long: bad_timestamp, never a panic.
    let two_256 = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    for bad in ["-1", "18446744073709551616", two_256, &"9".repeat(4000)] {
        let err = ok(&e, &with(&r, "tee_timestamp", int(bad)), "x").unwrap_err();
        assert_eq!(err.category(), "bad_timestamp", "{bad}");
        let err = if bad.starts_with('-') {
            err
        } else {
            ok(&e, &with(&r, "tee_timestamp", bad.into()), "x").unwrap_err()
        };
        assert_eq!(err.category(), "bad_timestamp", "{bad}");
    }
}

#[test]
fn extreme_timestamps_verify() {
    let e = Enclave::new("rsa2048");
    for ts in [0, 1, u64::MAX] {
        let r = e.respond(CANONICAL, "x", ts);
        assert_eq!(ok(&e, &r, "x").unwrap().timestamp(), ts);
        let r = with(&r, "tee_timestamp", ts.to_string().as_str().into());
        assert_eq!(ok(&e, &r, "x").unwrap().timestamp(), ts);
    }
}

// Steps 2 and 3: tee_id.

#[test]
fn tee_id_spellings() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let id = e.public.tee_id().to_string();
    let hex = &id[2..];
    for good in [
        id.clone(),
        hex.to_owned(),
        hex.to_uppercase(),
        format!("0x{}", hex.to_uppercase()),
    ] {
        let p = ok(&e, &with(&r, "tee_id", good.as_str().into()), "x").unwrap();
        assert_eq!(p.tee_id(), good, "the proof keeps the response's spelling");
    }
    for bad in [
        format!("0X{hex}"),
        format!("0x0x{hex}"),
        format!("0x{}", &hex[2..]),
        format!("{id}00"),
        String::new(),
        format!(" {id}"),
    ] {
        let err = ok(&e, &with(&r, "tee_id", bad.as_str().into()), "x").unwrap_err();
        assert_eq!(err.category(), "tee_id_mismatch", "{bad:?}");
    }
}

#[test]
fn wrong_key_is_tee_id_mismatch() {
    let e = Enclave::new("rsa2048");
    let other = Enclave::new("rsa2048_other");
    let r = e.respond(CANONICAL, "x", TS);
    let err = verify_response(CANONICAL, &r, "x", &other.public, None, "").unwrap_err();
    assert_eq!(
        err,
        VerifyError::TeeIdMismatch {
            response: e.public.tee_id().to_string(),
            key: other.public.tee_id()
        }
    );
    // Relabelled with the other key's id: the signature is then what fails.
    let relabelled = with(
        &r,
        "tee_id",
        other.public.tee_id().to_string().as_str().into(),
    );
    let err = verify_response(CANONICAL, &relabelled, "x", &other.public, None, "").unwrap_err();
    assert_eq!(err, VerifyError::BadSignature);
}

#[test]
fn expected_tee_id_is_checked() {
    let e = Enclave::new("rsa2048");
    let other = Enclave::new("rsa2048_other").public.tee_id();
    let r = e.respond(CANONICAL, "x", TS);
    let err = verify_response(CANONICAL, &r, "x", &e.public, Some(&other), "").unwrap_err();
    assert_eq!(err.category(), "expected_tee_id_mismatch");
    assert!(err.to_string().contains(&other.to_string()));
    let pinned = TeeId::parse(&e.public.tee_id().to_string()[2..].to_uppercase()).unwrap();
    verify_response(CANONICAL, &r, "x", &e.public, Some(&pinned), "").unwrap();
    // An empty expected tee_id is a configuration error, not "no expectation".
    assert_eq!(TeeId::parse("").unwrap_err().category(), "invalid_tee_id");
}

// Step 4: request hash.

#[test]
fn request_hash_rules() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let rh = s(&r, "tee_request_hash").to_owned();
    let p = ok(
        &e,
        &with(&r, "tee_request_hash", format!("0x{rh}").as_str().into()),
        "x",
    )
    .unwrap();
    assert_eq!(p.request_hash(), rh);
    for bad in [
        rh.to_uppercase(),
        format!("0X{rh}"),
        format!("{rh} "),
        rh[..62].to_owned(),
    ] {
        let err = ok(&e, &with(&r, "tee_request_hash", bad.as_str().into()), "x").unwrap_err();
        assert_eq!(err.category(), "request_hash_mismatch", "{bad}");
    }
    let other = br#"{"messages": [{"content": "Hello?", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;
    let err = verify_response(other, &r, "x", &e.public, None, "").unwrap_err();
    assert_eq!(err.category(), "request_hash_mismatch");
    assert!(
        err.to_string().contains(&rh),
        "names the signed hash: {err}"
    );
}

// Step 5: output hash.

#[test]
fn output_hash_rules() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "the answer", TS);
    let oh = s(&r, "tee_output_hash").to_owned();
    ok(
        &e,
        &with(&r, "tee_output_hash", format!("0x{oh}").as_str().into()),
        "the answer",
    )
    .unwrap();
    let err = ok(
        &e,
        &with(&r, "tee_output_hash", oh.to_uppercase().as_str().into()),
        "the answer",
    )
    .unwrap_err();
    assert_eq!(err.category(), "output_hash_mismatch");
    let err = ok(&e, &r, "the SECRET answer").unwrap_err();
    assert_eq!(err.category(), "output_hash_mismatch");
    assert!(
        !err.to_string().contains("SECRET"),
        "never quotes content: {err}"
    );
    // Field tampered, content intact.
    let err = ok(
        &e,
        &with(&r, "tee_output_hash", "00".repeat(32).as_str().into()),
        "the answer",
    )
    .unwrap_err();
    assert_eq!(err.category(), "output_hash_mismatch");
}

#[test]
fn huge_hash_strings_are_shortened_in_messages() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let huge = "z".repeat(100_000);
    let err = ok(&e, &with(&r, "tee_request_hash", huge.as_str().into()), "x").unwrap_err();
    assert!(err.to_string().len() < 600, "{}", err.to_string().len());
    let err = ok(&e, &with(&r, "tee_id", huge.as_str().into()), "x").unwrap_err();
    assert!(err.to_string().len() < 600);
}

// Step 6: signature.

#[test]
fn signature_rules() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let sig = s(&r, "tee_signature").to_owned();
    let raw = unb64(&sig);
    let set = |v: &str| with(&r, "tee_signature", v.into());

    // Encoding: wrapped lines, missing padding, URL-safe alphabet, junk.
    let wrapped = format!("{}\n{}", &sig[..64], &sig[64..]);
    let cases = [
        wrapped,
        sig.trim_end_matches('=').to_owned(),
        sig.replace('+', "-").replace('/', "_"),
        format!("{sig}!"),
        format!(" {sig}"),
    ];
    for bad in &cases {
        if bad == &sig {
            continue;
        }
        let err = ok(&e, &set(bad), "x").unwrap_err();
        assert_eq!(err.category(), "bad_signature", "{bad:?}");
    }
    // Cryptographic failures.
    let mut flipped = raw.clone();
    flipped[100] ^= 0x01;
    assert_eq!(
        ok(&e, &set(&b64(&flipped)), "x").unwrap_err(),
        VerifyError::BadSignature
    );
    assert_eq!(
        ok(&e, &set(""), "x").unwrap_err(),
        VerifyError::BadSignature
    );
    assert_eq!(
        ok(&e, &set(&b64(&raw[1..])), "x").unwrap_err(),
        VerifyError::BadSignature
    );
    let mut longer = vec![0u8];
    longer.extend_from_slice(&raw);
    assert_eq!(
        ok(&e, &set(&b64(&longer)), "x").unwrap_err(),
        VerifyError::BadSignature
    );
    assert_eq!(
        ok(&e, &set(&b64(&[7u8; 5000])), "x").unwrap_err(),
        VerifyError::BadSignature
    );
    // Signed over another timestamp.
    let r2 = with(&r, "tee_timestamp", int(&(TS + 1).to_string()));
    assert_eq!(ok(&e, &r2, "x").unwrap_err(), VerifyError::BadSignature);
}

#[test]
fn other_salt_lengths_are_refused() {
    use rsa::pss::Pss;
    use sha2::{Digest, Sha256};
    let e = Enclave::new("rsa2048");
    let rh = og_canon::keccak256(CANONICAL);
    let oh = og_canon::keccak256(b"x");
    let m = og_verify::msg_hash(&rh, &oh, TS);
    let digest = Sha256::digest(m);
    let good = e.respond(CANONICAL, "x", TS);
    for salt in [0usize, 20, 31, 33, 64] {
        let sig = e
            .private
            .sign_with_rng(
                &mut TestRng(salt as u64),
                Pss::<Sha256>::new_with_salt(salt),
                &digest,
            )
            .unwrap();
        let r = with(&good, "tee_signature", b64(&sig).as_str().into());
        assert_eq!(
            ok(&e, &r, "x").unwrap_err(),
            VerifyError::BadSignature,
            "salt {salt}"
        );
    }
    // PKCS#1 v1.5 signatures: the vector `err_pkcs1v15_signature` (conformance).
}

#[test]
fn checks_run_in_protocol_order() {
    let e = Enclave::new("rsa2048");
    let other = Enclave::new("rsa2048_other").public.tee_id();
    let r = e.respond(CANONICAL, "x", TS);
    // Everything wrong at once: the first check (fields) wins, then tee_id, ...
    let broken = with(
        &with(
            &with(&r, "tee_signature", "!".into()),
            "tee_request_hash",
            "00".into(),
        ),
        "tee_timestamp",
        int("-1"),
    );
    let all_wrong_id = with(&broken, "tee_id", "0x00".into());
    assert_eq!(
        category(verify_response(
            b"{}",
            &without(&all_wrong_id, "tee_id"),
            "y",
            &e.public,
            Some(&other),
            ""
        )),
        "missing_field"
    );
    assert_eq!(
        category(verify_response(
            b"{}",
            &all_wrong_id,
            "y",
            &e.public,
            Some(&other),
            ""
        )),
        "tee_id_mismatch"
    );
    assert_eq!(
        category(verify_response(
            b"{}",
            &broken,
            "y",
            &e.public,
            Some(&other),
            ""
        )),
        "expected_tee_id_mismatch"
    );
    assert_eq!(
        category(verify_response(b"{}", &broken, "y", &e.public, None, "")),
        "request_hash_mismatch"
    );
    let fixed_rh = with(
        &broken,
        "tee_request_hash",
        s(&r, "tee_request_hash").into(),
    );
    assert_eq!(category(ok(&e, &fixed_rh, "y")), "output_hash_mismatch");
    // The negative timestamp is found after the hashes (where the reference crashes),
    // and before the base64.
    assert_eq!(category(ok(&e, &fixed_rh, "x")), "bad_timestamp");
    let fixed_ts = with(&fixed_rh, "tee_timestamp", int(&TS.to_string()));
    assert!(matches!(
        ok(&e, &fixed_ts, "x").unwrap_err(),
        VerifyError::BadSignatureEncoding { .. }
    ));
}

// Keys.

#[test]
fn vector_keys_round_trip() {
    for c in cases() {
        if c.get("kind").and_then(Value::as_str) != Some("key") {
            continue;
        }
        let name = s(&c, "name");
        let der = hex::decode(s(&c, "spki_der")).unwrap();
        let want = TeeId::parse(s(&c, "tee_id")).unwrap();
        assert_eq!(TeeId::from_key_der(&der), want, "{name}");
        match SigningKey::from_spki_der(&der) {
            Ok(key) => {
                assert_eq!(key.to_pem(), s(&c, "pem"), "{name}");
                assert_eq!(key.tee_id(), want);
                assert_eq!(key.spki_der(), der.as_slice());
                let from_pem = SigningKey::from_pem(s(&c, "pem")).unwrap();
                assert_eq!(from_pem, key);
                let dbg = format!("{key:?}");
                assert!(dbg.contains(&want.to_string()) && dbg.len() < 200, "{dbg}");
                assert!(!dbg.contains("MII"));
            }
            Err(err) => {
                assert_eq!(name, "key_ec_p256");
                assert!(matches!(err, VerifyError::UnsupportedKey { .. }), "{err}");
                assert!(err.to_string().contains("EC"), "{err}");
                let err = SigningKey::from_pem(s(&c, "pem")).unwrap_err();
                assert_eq!(err.category(), "unsupported_key");
            }
        }
    }
}

#[test]
fn pkcs1_pem_is_accepted_with_the_spki_tee_id() {
    let c = case("key_rsa2048");
    let alt = c.get("alt_pems").and_then(Value::as_array).unwrap()[0].clone();
    let pkcs1 = s(&alt, "pem");
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    let key = SigningKey::from_pem(pkcs1).unwrap();
    assert_eq!(key.tee_id(), TeeId::parse(s(&c, "tee_id")).unwrap());
    assert_eq!(key.to_pem(), s(&c, "pem"));
    // Proofs record the PEM as it was given.
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let p = verify_response(CANONICAL, &r, "x", &key, None, "").unwrap();
    assert_eq!(p.signing_key_pem(), pkcs1);
    verify_proof(&p, CANONICAL, "x").unwrap();
}

#[test]
fn refused_keys() {
    let der = |name: &str| {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        hex::decode(std::fs::read_to_string(path).unwrap().trim()).unwrap()
    };
    assert_eq!(
        SigningKey::from_spki_der(&der("rsa1024.der.hex")).unwrap_err(),
        VerifyError::KeyTooSmall { bits: 1024 }
    );
    assert_eq!(
        SigningKey::from_spki_der(&der("rsa2040.der.hex")).unwrap_err(),
        VerifyError::KeyTooSmall { bits: 2040 }
    );
    let ed = SigningKey::from_spki_der(&der("ed25519.der.hex")).unwrap_err();
    assert!(ed.to_string().contains("Ed25519"), "{ed}");
    assert_eq!(ed.category(), "unsupported_key");

    // A PKCS#1 PEM goes through the same checks (1024 bits: too small).
    let small = der("rsa1024.der.hex");
    let pkcs1_pem = spki::der::pem::encode_string(
        "RSA PUBLIC KEY",
        spki::der::pem::LineEnding::LF,
        &small[22..],
    )
    .unwrap();
    assert_eq!(
        SigningKey::from_pem(&pkcs1_pem).unwrap_err(),
        VerifyError::KeyTooSmall { bits: 1024 }
    );

    let good = Enclave::new("rsa2048").public.spki_der().to_vec();
    // An even public exponent (65536): not an RSA key AWS-LC or ring would take.
    let hex_good = hex::encode(&good);
    assert!(hex_good.ends_with("0203010001"));
    let even = hex::decode(format!("{}0203010000", &hex_good[..hex_good.len() - 10])).unwrap();
    let err = SigningKey::from_spki_der(&even).unwrap_err();
    assert!(matches!(err, VerifyError::UnsupportedKey { .. }), "{err}");
    // Trailing bytes, truncation, a long-form length: not canonical DER.
    let mut trailing = good.clone();
    trailing.push(0);
    let mut long_len = vec![0x30, 0x83, 0x00];
    long_len.extend_from_slice(&good[2..]);
    for bad in [
        trailing,
        good[..good.len() - 1].to_vec(),
        long_len,
        vec![],
        vec![0x30],
    ] {
        let err = SigningKey::from_spki_der(&bad).unwrap_err();
        assert_eq!(err.category(), "unsupported_key", "{err}");
    }
    // Other PEM labels, broken PEM.
    let pem = Enclave::new("rsa2048").public.to_pem();
    let private_label = pem.replace("PUBLIC KEY", "PRIVATE KEY");
    assert!(matches!(
        SigningKey::from_pem(&private_label).unwrap_err(),
        VerifyError::UnsupportedKey { .. }
    ));
    let truncated = &pem[..pem.len() / 2];
    assert!(matches!(
        SigningKey::from_pem(truncated).unwrap_err(),
        VerifyError::MalformedKey { .. }
    ));
}

#[test]
fn signing_key_clone_and_accessors() {
    let key = SigningKey::from_pem(include_str!("data/rsa4096.pem")).unwrap();
    let copy = key.clone();
    assert_eq!(copy, key);
    assert_eq!(key.bits(), 4096);
    assert_eq!(key.public_exponent(), 65537);
    assert_eq!(key.tee_id(), TeeId::from_key_der(key.spki_der()));
    let e3 = Enclave::new("rsa2048_e3");
    assert_eq!(e3.public.public_exponent(), 3);
}

#[test]
fn pcr_pins() {
    let pin: PcrHash = format!("0x{}", "AB".repeat(32)).parse().unwrap();
    assert!(pin.matches(&PcrHash::from_bytes([0xab; 32])));
    assert!(!pin.matches(&PcrHash::from_bytes([0xac; 32])));
    assert_eq!(
        PcrHash::parse("").unwrap_err().category(),
        "invalid_pcr_hash"
    );
}

// Proofs.

#[test]
fn stored_proof_round_trip_and_tampering() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "out", TS);
    let proof = verify_response(CANONICAL, &r, "out", &e.public, None, "https://t").unwrap();
    let json = serde_json::to_value(&proof).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "output_hash",
            "request_hash",
            "signature",
            "signing_key_pem",
            "tee_host",
            "tee_id",
            "timestamp"
        ]
    );
    assert!(json["timestamp"].is_u64());
    let back: TeeProof = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, proof);
    verify_proof(&back, CANONICAL, "out").unwrap();

    let tamper = |field: &str, value: serde_json::Value| -> &'static str {
        let mut j = json.clone();
        j[field] = value;
        let p: TeeProof = serde_json::from_value(j).unwrap();
        verify_proof(&p, CANONICAL, "out").unwrap_err().category()
    };
    assert_eq!(tamper("timestamp", (TS + 1).into()), "bad_signature");
    assert_eq!(tamper("tee_id", "0x00".into()), "tee_id_mismatch");
    let rh = proof.request_hash().to_uppercase();
    assert_eq!(tamper("request_hash", rh.into()), "request_hash_mismatch");
    assert_eq!(tamper("output_hash", "00".into()), "output_hash_mismatch");
    let other_pem = Enclave::new("rsa2048_other").public.to_pem();
    assert_eq!(
        tamper("signing_key_pem", other_pem.into()),
        "tee_id_mismatch"
    );
    assert_eq!(tamper("signing_key_pem", "junk".into()), "unsupported_key");
    assert_eq!(tamper("signature", "AAAA".into()), "bad_signature");
    assert_eq!(
        verify_proof(&proof, b"{}", "out").unwrap_err().category(),
        "request_hash_mismatch"
    );
    assert_eq!(
        verify_proof(&proof, CANONICAL, "in")
            .unwrap_err()
            .category(),
        "output_hash_mismatch"
    );
    // A tee_host of "" is recorded as none (JSON null).
    let p = verify_response(CANONICAL, &r, "out", &e.public, None, "").unwrap();
    assert_eq!(
        serde_json::to_value(&p).unwrap()["tee_host"],
        serde_json::Value::Null
    );
}

#[test]
fn proof_matches_the_vector_fixture() {
    let response = og_canon::parse(include_str!("data/ok_text_2048.response.json")).unwrap();
    let key = SigningKey::from_pem(include_str!("data/rsa2048.pem")).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(include_str!("data/ok_text_2048.proof.json")).unwrap();
    let proof = verify_response(
        CANONICAL,
        &response,
        "Hi there!",
        &key,
        Some(&key.tee_id()),
        "https://tee-1.example",
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&proof).unwrap(), want);
}

// Freshness.

#[test]
fn freshness_policy_on_a_verified_proof() {
    let e = Enclave::new("rsa2048");
    let r = e.respond(CANONICAL, "x", TS);
    let proof = ok(&e, &r, "x").unwrap();
    let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    FreshnessPolicy::default().check(&proof, at(0)).unwrap();
    FreshnessPolicy::default()
        .check(&proof, at(TS * 2))
        .unwrap();
    let p =
        FreshnessPolicy::max_age(Duration::from_secs(120)).with_clock_skew(Duration::from_secs(5));
    p.check(&proof, at(TS + 120)).unwrap();
    p.check(&proof, at(TS - 5)).unwrap();
    assert_eq!(
        p.check(&proof, at(TS + 121)).unwrap_err().category(),
        "stale_timestamp"
    );
    assert_eq!(
        p.check(&proof, at(TS - 6)).unwrap_err().category(),
        "future_timestamp"
    );
    // A clock before 1970 counts as 0: everything signed later is in the future.
    let before = SystemTime::UNIX_EPOCH - Duration::from_secs(10);
    assert_eq!(
        p.check(&proof, before).unwrap_err().category(),
        "future_timestamp"
    );
}
