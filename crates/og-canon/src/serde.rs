//! Conversions to and from `serde_json::Value` (feature `serde_json`).
//!
//! [`Value::from_serde`] is exact: numbers go through their text (so a dependency
//! that enables `serde_json/arbitrary_precision` keeps every digit, and one that
//! does not gives `i64`/`u64`/finite `f64` values, all held exactly). A
//! `serde_json::Map`'s iteration order (sorted, or insertion order under
//! `serde_json/preserve_order`) only decides our map's insertion order: the canonical
//! bytes sort keys themselves and do not depend on it.
//!
//! [`Value::to_serde`] is lossless or refuses: an integer beyond the `i64`/`u64`
//! range has no exact `serde_json` form without `arbitrary_precision`, and gives
//! `None`.

use crate::parse::{JsonError, MAX_DEPTH, parse};
use crate::value::{Map, Value};

impl Value {
    /// Converts a `serde_json::Value` exactly.
    ///
    /// Fails only for what JSON or this crate cannot hold: nesting deeper than
    /// [`MAX_DEPTH`], or (under `arbitrary_precision`) a number that is not finite as a
    /// double or an integer beyond CPython's digit limit.
    ///
    /// ```
    /// let s: serde_json::Value = serde_json::from_str(r#"{"b": 1.0, "a": [1, -0.0]}"#).unwrap();
    /// let v = og_canon::Value::from_serde(&s).unwrap();
    /// assert_eq!(og_canon::canonical_bytes(&v), br#"{"a": [1, -0.0], "b": 1.0}"#);
    /// ```
    pub fn from_serde(value: &serde_json::Value) -> Result<Value, JsonError> {
        from_serde_at(value, 0)
    }

    /// Converts to a `serde_json::Value`, or `None` when an integer cannot be held
    /// exactly (beyond `i64`/`u64` without `serde_json/arbitrary_precision`).
    ///
    /// ```
    /// let v = og_canon::parse(r#"{"a": 1.0, "b": -3, "c": null}"#).unwrap();
    /// let s = v.to_serde().unwrap();
    /// assert_eq!(s["a"].as_f64(), Some(1.0));
    /// assert_eq!(s["b"].as_i64(), Some(-3));
    /// ```
    pub fn to_serde(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Number(n) => {
                if let Some(f) = n.as_float() {
                    serde_json::Value::Number(serde_json::Number::from_f64(f)?)
                } else {
                    let text = n.as_int_text()?;
                    if let Some(i) = n.as_i64() {
                        serde_json::Value::Number(i.into())
                    } else if let Some(u) = n.as_u64() {
                        serde_json::Value::Number(u.into())
                    } else {
                        // Exact only under `arbitrary_precision`; check by reading it back.
                        let num: serde_json::Number = serde_json::from_str(text).ok()?;
                        if num.to_string() != text {
                            return None;
                        }
                        serde_json::Value::Number(num)
                    }
                }
            }
            Value::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(Value::to_serde)
                    .collect::<Option<Vec<_>>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), v.to_serde()?);
                }
                serde_json::Value::Object(out)
            }
        })
    }
}

impl TryFrom<&serde_json::Value> for Value {
    type Error = JsonError;

    fn try_from(value: &serde_json::Value) -> Result<Self, Self::Error> {
        Value::from_serde(value)
    }
}

fn from_serde_at(value: &serde_json::Value, depth: usize) -> Result<Value, JsonError> {
    Ok(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::String(s) => Value::String(s.clone()),
        // serde_json prints integers as integers and floats with `.` or `e`
        // (ryu, shortest round-trip), or the original text under arbitrary_precision.
        serde_json::Value::Number(n) => parse(&n.to_string())?,
        serde_json::Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(JsonError::TooDeep { offset: 0 });
            }
            Value::Array(
                items
                    .iter()
                    .map(|v| from_serde_at(v, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        serde_json::Value::Object(map) => {
            if depth >= MAX_DEPTH {
                return Err(JsonError::TooDeep { offset: 0 });
            }
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                out.insert(k.clone(), from_serde_at(v, depth + 1)?);
            }
            Value::Object(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind_and_value() {
        let s: serde_json::Value =
            serde_json::from_str("[1, 0, 1.0, -0.0, 1e16, 1e-7, 5e-324, 18446744073709551615, -9223372036854775808, 0.1]").unwrap();
        let v = Value::from_serde(&s).unwrap();
        assert_eq!(
            crate::to_python_json(&v, false),
            "[1, 0, 1.0, -0.0, 1e+16, 1e-07, 5e-324, 18446744073709551615, -9223372036854775808, 0.1]"
        );
        let back = v.to_serde().unwrap();
        assert_eq!(back, s);
    }

    /// serde_json itself reads `-0` as the float `-0.0` (Python: the int `0`): parse
    /// request text with [`crate::parse`], not serde_json, when the bytes matter.
    #[test]
    fn serde_json_reads_minus_zero_as_a_float() {
        let s: serde_json::Value = serde_json::from_str("-0").unwrap();
        assert_eq!(
            crate::to_python_json(&Value::from_serde(&s).unwrap(), false),
            "-0.0"
        );
        assert_eq!(crate::to_python_json(&parse("-0").unwrap(), false), "0");
    }

    /// Whatever order serde_json's map iterates in (sorted by default, insertion order
    /// with `preserve_order`), the canonical bytes are the same.
    #[test]
    fn canonical_bytes_do_not_depend_on_serde_map_order() {
        let a: serde_json::Value = serde_json::from_str(
            r#"{"z": 1, "a": {"y": [1, {"q": 1, "b": 2}], "x": 2}, "é": 0, "B": 3}"#,
        )
        .unwrap();
        let b: serde_json::Value = serde_json::from_str(
            r#"{"B": 3, "é": 0, "a": {"x": 2, "y": [1, {"b": 2, "q": 1}]}, "z": 1}"#,
        )
        .unwrap();
        let va = Value::from_serde(&a).unwrap();
        let vb = Value::from_serde(&b).unwrap();
        let want = br#"{"B": 3, "a": {"x": 2, "y": [1, {"b": 2, "q": 1}]}, "z": 1, "\u00e9": 0}"#;
        assert_eq!(crate::canonical_bytes(&va), want);
        assert_eq!(crate::canonical_bytes(&vb), want);
        // And a hand-built serde map inserted in reverse order.
        let mut m = serde_json::Map::new();
        for k in ["\u{e9}", "z", "a", "B"] {
            m.insert(k.into(), serde_json::Value::Null);
        }
        let v = Value::from_serde(&serde_json::Value::Object(m)).unwrap();
        assert_eq!(
            crate::canonical_bytes(&v),
            br#"{"B": null, "a": null, "z": null, "\u00e9": null}"#
        );
    }

    #[test]
    fn deep_values_are_refused() {
        let mut s = serde_json::Value::Null;
        for _ in 0..(MAX_DEPTH + 1) {
            s = serde_json::Value::Array(vec![s]);
        }
        assert!(matches!(
            Value::from_serde(&s),
            Err(JsonError::TooDeep { .. })
        ));
    }

    #[test]
    fn big_integers_are_exact_or_refused() {
        let v = parse("[100000000000000000000000000000]").unwrap();
        match v.to_serde() {
            None => {}
            Some(s) => assert_eq!(s.to_string(), "[100000000000000000000000000000]"),
        }
    }
}
