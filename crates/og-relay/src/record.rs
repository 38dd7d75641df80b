//! The TEE record file: an explicit [`TeeEndpoint`] as JSON, for a self-hosted or
//! pinned enclave (instead of the registry).

use og_canon::{Map, Value};
use og_verify::{PcrHash, SigningKey, TeeId};

use crate::{Error, OhttpConfig, TeeEndpoint};

impl TeeEndpoint {
    /// Reads a TEE record and checks it as [`TeeEndpoint::new`] does; a `tee_id`,
    /// when present, must match the key.
    ///
    /// The record, for a self-hosted or pinned enclave (instead of the registry):
    ///
    /// ```json
    /// {
    ///   "tee_id": "0x…",                          // optional; checked against the key
    ///   "endpoint": "https://tee.example",
    ///   "signing_public_key": "-----BEGIN PUBLIC KEY-----\n…",  // PEM, or DER as hex
    ///   "ohttp": {"key_id": 1, "kem_id": 32, "kdf_id": 1, "aead_id": 3,
    ///             "public_key": "<64 hex digits>",
    ///             "key_config": "<hex>"},          // optional RFC 9458 key config
    ///   "pcr_hash": "0x…"                         // optional
    /// }
    /// ```
    ///
    /// ```
    /// # let tee = og_relay::TeeEndpoint::from_record_json(include_str!("../tests/data/tee.json")).unwrap();
    /// let again = og_relay::TeeEndpoint::from_record_json(&tee.to_record_json()).unwrap();
    /// assert_eq!(again.tee_id(), tee.tee_id());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidEndpoint`] naming the field that is missing or wrong.
    pub fn from_record_json(text: &str) -> Result<TeeEndpoint, Error> {
        let bad = |m: String| Error::InvalidEndpoint(format!("TEE record: {m}"));
        let value = og_canon::parse(text).map_err(|e| bad(format!("not JSON ({e})")))?;
        let record = value
            .as_object()
            .ok_or_else(|| bad("not a JSON object".into()))?;
        let endpoint = string(record, "endpoint").map_err(bad)?;
        let key_text = string(record, "signing_public_key").map_err(bad)?;
        let signing_key = if key_text.trim_start().starts_with("-----BEGIN") {
            SigningKey::from_pem(key_text)
        } else {
            let der = hex_bytes(key_text.trim_start_matches("0x"))
                .map_err(|m| bad(format!("`signing_public_key`: {m}")))?;
            SigningKey::from_spki_der(&der)
        }
        .map_err(|e| bad(format!("`signing_public_key`: {e}")))?;
        let ohttp = record
            .get("ohttp")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("`ohttp` is missing or not an object".into()))?;
        let id = |k: &str, max: u64| -> Result<u64, Error> {
            ohttp
                .get(k)
                .and_then(Value::as_number)
                .and_then(og_canon::Number::as_u64)
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    bad(format!(
                        "`ohttp.{k}` is missing or not an integer up to {max}"
                    ))
                })
        };
        let config = OhttpConfig {
            key_id: id("key_id", 0xff)? as u8,
            kem_id: id("kem_id", 0xffff)? as u16,
            kdf_id: id("kdf_id", 0xffff)? as u16,
            aead_id: id("aead_id", 0xffff)? as u16,
            public_key: hex_bytes(
                string(ohttp, "public_key").map_err(|m| bad(format!("`ohttp`: {m}")))?,
            )
            .map_err(|m| bad(format!("`ohttp.public_key`: {m}")))?,
            key_config: match ohttp.get("key_config") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => {
                    Some(hex_bytes(s).map_err(|m| bad(format!("`ohttp.key_config`: {m}")))?)
                }
                Some(_) => return Err(bad("`ohttp.key_config` is not a hex string".into())),
            },
        };
        let mut tee = TeeEndpoint::new(endpoint, signing_key.spki_der(), config)?;
        match record.get("tee_id") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                let id = TeeId::parse(s).map_err(|e| bad(format!("`tee_id`: {e}")))?;
                tee = tee.with_tee_id_check(&id)?;
            }
            Some(_) => return Err(bad("`tee_id` is not a string".into())),
        }
        match record.get("pcr_hash") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                let pcr = PcrHash::parse(s).map_err(|e| bad(format!("`pcr_hash`: {e}")))?;
                tee = tee.with_pcr_hash(pcr);
            }
            Some(_) => return Err(bad("`pcr_hash` is not a string".into())),
        }
        Ok(tee)
    }

    /// The TEE record of this endpoint, as pretty JSON (the signing key as PEM).
    ///
    /// ```
    /// # let tee = og_relay::TeeEndpoint::from_record_json(include_str!("../tests/data/tee.json")).unwrap();
    /// let text = tee.to_record_json();
    /// assert!(text.contains("\"signing_public_key\": \"-----BEGIN PUBLIC KEY-----"));
    /// ```
    pub fn to_record_json(&self) -> String {
        let ohttp = self.ohttp();
        let mut o = Map::new();
        o.insert("key_id".into(), Value::from(i64::from(ohttp.key_id)));
        o.insert("kem_id".into(), Value::from(i64::from(ohttp.kem_id)));
        o.insert("kdf_id".into(), Value::from(i64::from(ohttp.kdf_id)));
        o.insert("aead_id".into(), Value::from(i64::from(ohttp.aead_id)));
        o.insert("public_key".into(), hex::encode(&ohttp.public_key).into());
        if let Some(kc) = &ohttp.key_config {
            o.insert("key_config".into(), hex::encode(kc).into());
        }
        let mut r = Map::new();
        r.insert("tee_id".into(), self.tee_id().to_string().into());
        r.insert("endpoint".into(), self.endpoint().into());
        r.insert(
            "signing_public_key".into(),
            self.signing_key().to_pem().into(),
        );
        r.insert("ohttp".into(), Value::Object(o));
        if let Some(pcr) = self.pcr_hash() {
            r.insert("pcr_hash".into(), pcr.to_string().into());
        }
        pretty(&Value::Object(r))
    }
}

fn string<'a>(map: &'a Map, key: &str) -> Result<&'a str, String> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text.trim()).map_err(|e| format!("not hex ({e})"))
}

/// Two-space indented JSON, one member per line (only for the record's flat shape).
fn pretty(v: &Value) -> String {
    fn go(v: &Value, indent: usize, out: &mut String) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push_str("{\n");
                for (i, (k, val)) in m.iter().enumerate() {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str(&og_canon::to_python_json(&Value::String(k.clone()), false));
                    out.push_str(": ");
                    go(val, indent + 2, out);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(indent));
                out.push('}');
            }
            other => out.push_str(&og_canon::to_python_json(other, false)),
        }
    }
    let mut out = String::new();
    go(v, 0, &mut out);
    out.push('\n');
    out
}
