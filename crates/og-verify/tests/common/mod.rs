//! Shared helpers of the integration tests: the vector keys, and an enclave-like
//! signer that makes fresh responses (deterministic salts).

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;

use og_canon::{Hash32, Map, Value};
use og_verify::{SigningKey, msg_hash};
use rsa::pkcs8::DecodePrivateKey;
use sha2::Sha256;

pub const CANONICAL: &[u8] =
    br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#;

/// The conformance vectors' `verify.json`, read exactly.
pub fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/verify.json"
    );
    let text = std::fs::read_to_string(path).expect("testdata/vectors/verify.json");
    og_canon::parse(&text).expect("verify.json is JSON")
}

pub fn cases() -> Vec<Value> {
    vectors()
        .get("cases")
        .and_then(Value::as_array)
        .expect("cases")
        .to_vec()
}

pub fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no case {name}"))
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {key}"))
}

/// A deterministic RNG (splitmix64) for salts and blinding in tests.
pub struct TestRng(pub u64);

impl rand_core::TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for TestRng {}

/// An enclave stand-in: a vector key pair that signs like the gateway.
pub struct Enclave {
    pub private: rsa::PrivateKey,
    pub public: SigningKey,
}

impl Enclave {
    /// `key` is a vector key label: `rsa2048`, `rsa3072`, `rsa4096`, `rsa2048_e3`,
    /// `rsa2048_other`.
    pub fn new(key: &str) -> Enclave {
        let case = case(&format!("key_{key}"));
        let private =
            rsa::PrivateKey::from_pkcs8_pem(s(&case, "private_key_pkcs8_pem")).expect("pkcs8");
        let public = SigningKey::from_pem(s(&case, "pem")).expect("public key");
        Enclave { private, public }
    }

    /// RSA-PSS (SHA-256, salt 32) over `message`.
    pub fn sign(&self, message: &[u8], seed: u64) -> Vec<u8> {
        self.private
            .pss_sign_with_rng::<Sha256, _>(&mut TestRng(seed), message)
            .expect("signs")
    }

    /// A signed response object for `canonical` and `output` at `timestamp`.
    pub fn respond(&self, canonical: &[u8], output: &str, timestamp: u64) -> Value {
        let rh = og_canon::keccak256(canonical);
        let oh = og_canon::keccak256(output.as_bytes());
        self.respond_hashes(&rh, &oh, timestamp)
    }

    pub fn respond_hashes(&self, rh: &Hash32, oh: &Hash32, timestamp: u64) -> Value {
        let sig = self.sign(&msg_hash(rh, oh, timestamp), timestamp);
        let mut m = Map::new();
        m.insert("tee_signature".into(), b64(&sig).into());
        m.insert("tee_request_hash".into(), hex::encode(rh).into());
        m.insert("tee_output_hash".into(), hex::encode(oh).into());
        m.insert(
            "tee_timestamp".into(),
            Value::Number(og_canon::Number::from_u64(timestamp)),
        );
        m.insert("tee_id".into(), self.public.tee_id().to_string().into());
        Value::Object(m)
    }
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

/// `v` with `key` set to `value`.
pub fn with(v: &Value, key: &str, value: Value) -> Value {
    let mut m = v.as_object().expect("object").clone();
    m.insert(key.to_owned(), value);
    Value::Object(m)
}

/// `v` without `key`.
pub fn without(v: &Value, key: &str) -> Value {
    let mut m = v.as_object().expect("object").clone();
    m.remove(key);
    Value::Object(m)
}

pub fn int(text: &str) -> Value {
    Value::Number(og_canon::Number::from_int_text(text).expect("integer"))
}
