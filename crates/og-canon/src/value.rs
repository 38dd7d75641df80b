//! The JSON value model: exactly what Python's `json.loads` would hold.
//!
//! Unlike `serde_json::Value` (without `arbitrary_precision`), nothing is lost:
//! integers keep every digit (Python ints are unbounded), a number written with
//! `.`, `e` or `E` stays a float (`1.0` is not `1`), and objects keep insertion
//! order with Python `dict` semantics (a repeated key keeps its first position and
//! takes the last value). Sorting for the canonical form happens when writing,
//! never through a map's iteration order.

use core::fmt;

/// A JSON number as Python holds it: an exact integer of any size, or a finite `f64`.
///
/// ```
/// use og_canon::Number;
/// let big = Number::from_int_text("1000000000000000000000000000000").unwrap();
/// assert!(!big.is_float());
/// assert_eq!(big.as_int_text(), Some("1000000000000000000000000000000"));
/// assert!(Number::from_f64(1.0).unwrap().is_float());
/// assert!(Number::from_f64(f64::NAN).is_none());
/// ```
#[derive(Clone, PartialEq)]
pub struct Number(N);

#[derive(Clone, PartialEq)]
enum N {
    /// Normalised decimal digits: no leading zeros, `-` only before a non-zero value.
    Int(Box<str>),
    /// Always finite.
    Float(f64),
}

impl Number {
    /// An integer from an `i64`.
    pub fn from_i64(v: i64) -> Self {
        Number(N::Int(v.to_string().into_boxed_str()))
    }

    /// An integer from a `u64`.
    pub fn from_u64(v: u64) -> Self {
        Number(N::Int(v.to_string().into_boxed_str()))
    }

    /// A float; `None` for NaN and infinities, which JSON cannot hold.
    pub fn from_f64(v: f64) -> Option<Self> {
        v.is_finite().then_some(Number(N::Float(v)))
    }

    /// An integer from its decimal text: an optional `-` then ASCII digits.
    ///
    /// Leading zeros are accepted and dropped, and `-0` becomes `0`, as Python's
    /// `int()` does. Returns `None` for anything else (empty, `+`, spaces, `_`).
    pub fn from_int_text(text: &str) -> Option<Self> {
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        let norm = if trimmed.is_empty() {
            "0".to_owned()
        } else if neg {
            let mut s = String::with_capacity(trimmed.len() + 1);
            s.push('-');
            s.push_str(trimmed);
            s
        } else {
            trimmed.to_owned()
        };
        Some(Number(N::Int(norm.into_boxed_str())))
    }

    /// True for a float (`1.0`, `1e2`), false for an integer (`1`).
    pub fn is_float(&self) -> bool {
        matches!(self.0, N::Float(_))
    }

    /// The integer's normalised decimal text, or `None` for a float.
    pub fn as_int_text(&self) -> Option<&str> {
        match &self.0 {
            N::Int(s) => Some(s),
            N::Float(_) => None,
        }
    }

    /// The float, or `None` for an integer.
    pub fn as_float(&self) -> Option<f64> {
        match self.0 {
            N::Float(f) => Some(f),
            N::Int(_) => None,
        }
    }

    /// The value as Python's `float()` gives it: floats as they are, integers
    /// correctly rounded; `None` where Python raises `OverflowError` (an integer
    /// too large for a double).
    pub fn to_f64(&self) -> Option<f64> {
        match &self.0 {
            N::Float(f) => Some(*f),
            N::Int(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()),
        }
    }

    /// The integer as an `i64` when it is one and fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_int_text().and_then(|s| s.parse().ok())
    }

    /// The integer as a `u64` when it is one and fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_int_text().and_then(|s| s.parse().ok())
    }

    /// True for integer zero and float `0.0`/`-0.0` (Python falsy numbers).
    pub fn is_zero(&self) -> bool {
        match &self.0 {
            N::Int(s) => &**s == "0",
            N::Float(f) => *f == 0.0,
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            N::Int(s) => write!(f, "Int({s})"),
            N::Float(v) => write!(f, "Float({v:?})"),
        }
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from_i64(v)
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number::from_u64(v)
    }
}

/// A JSON object with Python `dict` semantics: insertion order is kept, inserting
/// an existing key replaces its value in place.
///
/// Iteration order is insertion order; the canonical writer sorts keys itself.
///
/// ```
/// use og_canon::{Map, Value};
/// let mut m = Map::new();
/// m.insert("b".into(), Value::Bool(true));
/// m.insert("a".into(), Value::Null);
/// m.insert("b".into(), Value::Bool(false));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
/// assert_eq!(m.get("b"), Some(&Value::Bool(false)));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Map {
    inner: indexmap::IndexMap<String, Value>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Map {
            inner: indexmap::IndexMap::with_capacity(n),
        }
    }

    /// Inserts or replaces (keeping the key's first position); returns the old value.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.inner.insert(key, value)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.inner.get(key)
    }

    /// The value under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.inner.get_mut(key)
    }

    /// Whether `key` is present (even with a `null` value).
    pub fn contains_key(&self, key: &str) -> bool {
        self.inner.contains_key(key)
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.inner.shift_remove(key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Value)> + '_ {
        self.inner.iter()
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> + '_ {
        self.inner.keys()
    }

    /// Entries sorted by key in Unicode code point order (Python's `sort_keys=True`).
    ///
    /// UTF-8 byte order equals code point order, so this is a plain byte sort.
    pub fn sorted(&self) -> Vec<(&String, &Value)> {
        let mut v: Vec<_> = self.inner.iter().collect();
        v.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        v
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.inner.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Map {
            inner: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = indexmap::map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.inner.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = indexmap::map::Iter<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.inner.iter()
    }
}

/// Any JSON value, held exactly as Python's `json.loads` would hold it.
///
/// ```
/// use og_canon::Value;
/// let v = Value::String("hi".into());
/// assert!(v.is_truthy());
/// assert!(!Value::Array(vec![]).is_truthy());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null` (Python `None`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An exact integer or a finite float.
    Number(Number),
    /// A string of Unicode scalar values (lone surrogates are refused at parse time).
    String(String),
    /// A list.
    Array(Vec<Value>),
    /// An object with insertion order kept.
    Object(Map),
}

impl Value {
    /// Python truthiness: `null`, `false`, `0`, `0.0`, `""`, `[]`, `{}` are falsy.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => !n.is_zero(),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
        }
    }

    /// The member `key` of an object; `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The number, if this is one (booleans are not numbers here).
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Number(v.into())
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_text_is_normalised_like_python_int() {
        assert_eq!(
            Number::from_int_text("-0").unwrap().as_int_text(),
            Some("0")
        );
        assert_eq!(
            Number::from_int_text("007").unwrap().as_int_text(),
            Some("7")
        );
        assert_eq!(
            Number::from_int_text("-007").unwrap().as_int_text(),
            Some("-7")
        );
        for bad in ["", "-", "+1", " 1", "1_0", "1.0", "١"] {
            assert!(Number::from_int_text(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn float_of_int_rounds_and_overflows_like_python() {
        let n = Number::from_int_text("9007199254740993").unwrap();
        assert_eq!(n.to_f64(), Some(9007199254740992.0));
        let huge = Number::from_int_text(&"9".repeat(400)).unwrap();
        assert_eq!(huge.to_f64(), None);
    }

    #[test]
    fn truthiness_matches_python() {
        let falsy = [
            Value::Null,
            Value::Bool(false),
            Value::Number(Number::from_i64(0)),
            Value::Number(Number::from_f64(-0.0).unwrap()),
            Value::String(String::new()),
            Value::Array(Vec::new()),
            Value::Object(Map::new()),
        ];
        for v in falsy {
            assert!(!v.is_truthy(), "{v:?}");
        }
        assert!(Value::Number(Number::from_f64(1e-300).unwrap()).is_truthy());
        assert!(Value::String(" ".into()).is_truthy());
    }
}
