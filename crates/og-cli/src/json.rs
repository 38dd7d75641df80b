//! Small JSON helpers over [`og_canon::Value`] (the one JSON model of the workspace).

use og_canon::{Map, Value};
use og_relay::TeeProof;

/// An object from `(key, value)` pairs, in order.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// An unsigned integer as a JSON number.
pub fn uint(n: u64) -> Value {
    Value::Number(og_canon::Number::from_u64(n))
}

/// `null` for `None`, else the string.
pub fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// Compact JSON text (insertion order kept, Python's separators, ASCII only).
pub fn to_text(v: &Value) -> String {
    og_canon::to_python_json(v, false)
}

/// A proof as the JSON object `og_verify::TeeProof` (de)serializes as, so
/// `og verify --proof` reads back what the commands print.
pub fn proof_value(p: &TeeProof) -> Value {
    obj([
        ("tee_id", p.tee_id().into()),
        ("request_hash", p.request_hash().into()),
        ("output_hash", p.output_hash().into()),
        ("timestamp", uint(p.timestamp())),
        ("signature", p.signature().into()),
        ("signing_key_pem", p.signing_key_pem().into()),
        ("tee_host", opt_str(p.tee_host())),
    ])
}

/// The `opengradient_verification` object of the proxy's answers.
pub fn verification_value(p: &TeeProof) -> Value {
    obj([
        ("verified", true.into()),
        ("tee_id", p.tee_id().into()),
        ("request_hash", p.request_hash().into()),
        ("output_hash", p.output_hash().into()),
        ("timestamp", uint(p.timestamp())),
        ("tee_host", opt_str(p.tee_host())),
    ])
}

/// Inserts `key: value` into `target` when it is an object (else leaves it).
pub fn insert(target: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = target {
        m.insert(key.to_owned(), value);
    }
}

/// An empty object.
pub fn empty() -> Value {
    Value::Object(Map::new())
}

/// The proof as human-readable lines (two-space indent), for stderr or stdout.
pub fn proof_lines(p: &TeeProof) -> String {
    format!(
        "  tee_id        {}\n  tee_host      {}\n  request_hash  {}\n  output_hash   {}\n  timestamp     {} (unix seconds, signed by the enclave)\n",
        p.tee_id(),
        p.tee_host().unwrap_or("-"),
        p.request_hash(),
        p.output_hash(),
        p.timestamp()
    )
}
