//! The exact JSON reader: RFC 8259 text to a [`Value`] holding what Python's
//! `json.loads` would hold, minus what Python accepts but JSON cannot carry.
//!
//! - Integers keep every digit (up to [`MAX_INT_DIGITS`], CPython's own limit for
//!   `int()` of a string, which `json.loads` hits too).
//! - A number with `.`, `e` or `E` is a float, converted with correct rounding
//!   (Rust's `f64::from_str`, like CPython's `float()`: no off-by-one-ulp values,
//!   however many digits the text has).
//! - Objects keep insertion order; a repeated key keeps its first position and takes
//!   the last value (Python `dict(pairs)`).
//! - Refused although Python accepts: `NaN`, `Infinity`, `-Infinity`, numbers that
//!   overflow to infinity (`1e400`), lone UTF-16 surrogates (`"\ud800"`), nesting
//!   deeper than [`MAX_DEPTH`]; also a leading byte order mark and, for bytes,
//!   anything but UTF-8. Each has its own [`JsonError`] variant, so a caller can tell
//!   "Python would refuse this too" ([`JsonError::is_syntax`]) from "Python reads
//!   something JSON cannot hold".
//!
//! Nesting is bounded (the reader recurses at most [`MAX_DEPTH`] levels) and memory is
//! linear in the input.

use crate::value::{Map, Number, Value};

/// The deepest nesting of arrays and objects [`parse`] accepts.
pub const MAX_DEPTH: usize = 128;

/// The most digits an integer may have: CPython's `sys.int_info.default_max_str_digits`
/// (`json.loads` raises `ValueError` beyond it).
pub const MAX_INT_DIGITS: usize = 4300;

/// Why a JSON text was refused. Offsets are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON at all (Python's `json.loads` raises `JSONDecodeError` too).
    #[error("invalid JSON at byte {offset}: {what}")]
    Syntax {
        /// Where the problem was found.
        offset: usize,
        /// What was expected or found.
        what: &'static str,
    },
    /// The bytes are not UTF-8.
    #[error("the JSON text is not valid UTF-8 (at byte {offset}); send UTF-8")]
    InvalidUtf8 {
        /// The first byte that is not part of valid UTF-8.
        offset: usize,
    },
    /// `NaN`, `Infinity`, `-Infinity`, or a number too large for a double: Python
    /// reads these, but they are not JSON and could never be written back as JSON.
    #[error(
        "a number at byte {offset} is NaN or infinite (NaN, Infinity or beyond the double range), which JSON cannot hold"
    )]
    NonFinite {
        /// Where the number starts.
        offset: usize,
    },
    /// A `\uD800`-`\uDFFF` escape that is not half of a surrogate pair.
    #[error(
        "a string at byte {offset} holds a lone UTF-16 surrogate escape, which is not Unicode text"
    )]
    LoneSurrogate {
        /// Where the escape starts.
        offset: usize,
    },
    /// An integer with more than [`MAX_INT_DIGITS`] digits (CPython refuses it too).
    #[error("an integer at byte {offset} has more than {MAX_INT_DIGITS} digits (CPython's limit)")]
    IntegerTooLong {
        /// Where the integer starts.
        offset: usize,
    },
    /// Arrays/objects nested deeper than [`MAX_DEPTH`].
    #[error("arrays and objects are nested deeper than {MAX_DEPTH} levels (at byte {offset})")]
    TooDeep {
        /// The bracket that went one level too deep.
        offset: usize,
    },
}

impl JsonError {
    /// The byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match *self {
            JsonError::Syntax { offset, .. }
            | JsonError::InvalidUtf8 { offset }
            | JsonError::NonFinite { offset }
            | JsonError::LoneSurrogate { offset }
            | JsonError::IntegerTooLong { offset }
            | JsonError::TooDeep { offset } => offset,
        }
    }

    /// True when Python's `json.loads` refuses the text as well, with a
    /// `JSONDecodeError` (a syntax error, or a leading byte order mark).
    ///
    /// False for the values Python reads but this crate refuses (NaN, infinities, lone
    /// surrogates, deep nesting) and for integers beyond CPython's digit limit (a
    /// `ValueError` that is not a `JSONDecodeError`).
    pub fn is_syntax(&self) -> bool {
        matches!(
            self,
            JsonError::Syntax { .. } | JsonError::InvalidUtf8 { .. }
        )
    }

    /// The error category: always `invalid_json`.
    pub fn category(&self) -> &'static str {
        "invalid_json"
    }
}

/// Parses a JSON text exactly (see the module docs for what is refused).
///
/// ```
/// use og_canon::{parse, Value};
/// let v = parse(r#"{"a": 1.0, "b": 100000000000000000000000000000, "a": -0}"#).unwrap();
/// assert_eq!(og_canon::to_python_json(&v, false), r#"{"a": 0, "b": 100000000000000000000000000000}"#);
/// assert!(parse("[NaN]").is_err());
/// assert!(parse(r#""\ud800""#).is_err());
/// assert!(parse("[1,]").unwrap_err().is_syntax());
/// ```
pub fn parse(text: &str) -> Result<Value, JsonError> {
    if text.starts_with('\u{feff}') {
        return Err(JsonError::Syntax {
            offset: 0,
            what: "a byte order mark (U+FEFF) before the JSON text",
        });
    }
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        deferred: None,
    };
    p.skip_ws();
    let value = p.value()?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.syntax("extra data after the JSON value"));
    }
    match p.deferred {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

/// Parses JSON bytes, which must be UTF-8 (no byte order mark).
///
/// ```
/// assert!(og_canon::parse_slice(b"[1, 2]").is_ok());
/// assert!(matches!(
///     og_canon::parse_slice(b"\"\xff\""),
///     Err(og_canon::JsonError::InvalidUtf8 { offset: 1 })
/// ));
/// ```
pub fn parse_slice(bytes: &[u8]) -> Result<Value, JsonError> {
    let text = core::str::from_utf8(bytes).map_err(|e| JsonError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    parse(text)
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    depth: usize,
    /// The first value Python would read but we refuse; reported only if the whole
    /// text is otherwise valid JSON (so a later syntax error stays a syntax error,
    /// as it is for Python).
    deferred: Option<JsonError>,
}

/// Bytes that end a plain run inside a string: `"`, `\` and control characters.
const STRING_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

impl Parser<'_> {
    fn syntax(&self, what: &'static str) -> JsonError {
        JsonError::Syntax {
            offset: self.pos,
            what,
        }
    }

    fn defer(&mut self, e: JsonError) {
        if self.deferred.is_none() {
            self.deferred = Some(e);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn rest_starts_with(&self, lit: &[u8]) -> bool {
        self.bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit))
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'N') if self.rest_starts_with(b"NaN") => self.non_finite(3),
            Some(b'I') if self.rest_starts_with(b"Infinity") => self.non_finite(8),
            Some(b'-') if self.rest_starts_with(b"-Infinity") => self.non_finite(9),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.syntax("expecting a value")),
        }
    }

    fn literal(&mut self, lit: &[u8], value: Value) -> Result<Value, JsonError> {
        if self.rest_starts_with(lit) {
            self.pos += lit.len();
            Ok(value)
        } else {
            Err(self.syntax("expecting a value"))
        }
    }

    fn non_finite(&mut self, len: usize) -> Result<Value, JsonError> {
        self.defer(JsonError::NonFinite { offset: self.pos });
        self.pos += len;
        Ok(Value::Null)
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JsonError::TooDeep { offset: self.pos });
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.syntax("expecting ',' or ']'")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        let mut map = Map::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(map));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expecting a property name in double quotes"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expecting ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.syntax("expecting ',' or '}'")),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    /// Position of the next `"`, `\` or control byte at or after `from`.
    fn next_special(&self, from: usize) -> Option<usize> {
        self.bytes
            .get(from..)?
            .iter()
            .position(|&b| STRING_SPECIAL[usize::from(b)])
            .map(|i| from + i)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        // At the opening quote.
        self.pos += 1;
        let start = self.pos;
        let mut out: Option<String> = None;
        let mut run_start = start;
        loop {
            let Some(at) = self.next_special(run_start) else {
                self.pos = self.bytes.len();
                return Err(self.syntax("unterminated string"));
            };
            // `"`, `\` and controls are ASCII, so `at` is a char boundary.
            let run = self.text.get(run_start..at).unwrap_or_default();
            self.pos = at;
            match self.bytes.get(at).copied() {
                Some(b'"') => {
                    self.pos = at + 1;
                    return Ok(match out {
                        None => run.to_owned(),
                        Some(mut s) => {
                            s.push_str(run);
                            s
                        }
                    });
                }
                Some(b'\\') => {
                    let s = out.get_or_insert_with(|| String::with_capacity(run.len() + 16));
                    s.push_str(run);
                    let ch = self.escape()?;
                    if let Some(s) = out.as_mut() {
                        s.push(ch);
                    }
                    run_start = self.pos;
                }
                _ => return Err(self.syntax("a control character inside a string")),
            }
        }
    }

    /// Reads one escape (at the backslash); returns the character it stands for.
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        self.pos += 1;
        let Some(b) = self.peek() else {
            return Err(self.syntax("unterminated string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xd800..=0xdbff => {
                        // A pair only if a low-surrogate escape follows at once.
                        let save = self.pos;
                        if self.rest_starts_with(b"\\u") {
                            self.pos += 2;
                            match self.hex4() {
                                Ok(lo @ 0xdc00..=0xdfff) => {
                                    let c = 0x10000
                                        + ((u32::from(unit) - 0xd800) << 10)
                                        + (u32::from(lo) - 0xdc00);
                                    return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                                }
                                Ok(_) => self.pos = save,
                                Err(e) => return Err(e),
                            }
                        }
                        self.defer(JsonError::LoneSurrogate { offset: at });
                        '\u{fffd}'
                    }
                    0xdc00..=0xdfff => {
                        self.defer(JsonError::LoneSurrogate { offset: at });
                        '\u{fffd}'
                    }
                    _ => char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'),
                }
            }
            _ => {
                self.pos = at;
                return Err(self.syntax("an invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.syntax("an invalid \\uXXXX escape")),
            };
            v = (v << 4) | u16::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_digits = match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax("expecting a value")),
        };
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("expecting digits after '.'"));
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("expecting exponent digits"));
            }
            is_float = true;
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        if is_float {
            match text.parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Ok(Value::Number(n)),
                None => {
                    self.defer(JsonError::NonFinite { offset: start });
                    Ok(Value::Null)
                }
            }
        } else {
            if int_digits > MAX_INT_DIGITS {
                return Err(JsonError::IntegerTooLong { offset: start });
            }
            Number::from_int_text(text)
                .map(Value::Number)
                .ok_or(JsonError::Syntax {
                    offset: start,
                    what: "an invalid number",
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> JsonError {
        parse(text).unwrap_err()
    }

    #[test]
    fn python_values() {
        let v = parse(r#" {"a" : [1, 1.0, -0, -0.0, 1e2, 1E-2, 12345678901234567890123, true, false, null, "x"]} "#).unwrap();
        assert_eq!(
            crate::to_python_json(&v, false),
            r#"{"a": [1, 1.0, 0, -0.0, 100.0, 0.01, 12345678901234567890123, true, false, null, "x"]}"#
        );
    }

    #[test]
    fn duplicate_keys_keep_first_position_last_value() {
        let v = parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(crate::to_python_json(&v, false), r#"{"a": 3, "b": 2}"#);
    }

    #[test]
    fn escapes_and_pairs() {
        let v = parse(r#""\"\\\/\b\f\n\r\t\u00e9\u00E9\ud83d\ude00\uD83D\uDE00""#).unwrap();
        assert_eq!(v.as_str(), Some("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{e9}😀😀"));
    }

    #[test]
    fn float_parsing_is_correctly_rounded() {
        // Halfway cases and long inputs: Python's float() gives these doubles.
        let v = parse("[9007199254740993, 9007199254740993.0, 0.1000000000000000055511151231257827, 2.2250738585072011e-308]").unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(
            a[1].as_number().unwrap().as_float(),
            Some(9007199254740992.0)
        );
        assert_eq!(a[2].as_number().unwrap().as_float(), Some(0.1));
        assert_eq!(
            a[3].as_number().unwrap().as_float(),
            Some(2.225073858507201e-308)
        );
        assert_eq!(
            a[0].as_number().unwrap().as_int_text(),
            Some("9007199254740993")
        );
    }

    #[test]
    fn refusals_python_would_accept() {
        assert!(matches!(err("NaN"), JsonError::NonFinite { offset: 0 }));
        assert!(matches!(
            err("[1, Infinity]"),
            JsonError::NonFinite { offset: 4 }
        ));
        assert!(matches!(
            err("[-Infinity]"),
            JsonError::NonFinite { offset: 1 }
        ));
        assert!(matches!(err("1e400"), JsonError::NonFinite { offset: 0 }));
        assert!(matches!(err("-1e400"), JsonError::NonFinite { .. }));
        assert!(matches!(
            err(r#""x\ud800y""#),
            JsonError::LoneSurrogate { offset: 2 }
        ));
        assert!(matches!(
            err(r#""\udc00""#),
            JsonError::LoneSurrogate { .. }
        ));
        assert!(matches!(
            err(r#""\ud800\u0041""#),
            JsonError::LoneSurrogate { .. }
        ));
        assert!(matches!(
            err(r#""\ud800\ud800""#),
            JsonError::LoneSurrogate { .. }
        ));
        for e in [err("NaN"), err(r#""\ud800""#)] {
            assert!(!e.is_syntax());
        }
        // A later syntax error wins, as Python would raise JSONDecodeError.
        assert!(err("[NaN, x]").is_syntax());
        assert!(err(r#"["\ud800", ]"#).is_syntax());
    }

    #[test]
    fn integer_digit_limit() {
        let ok = "9".repeat(MAX_INT_DIGITS);
        assert!(parse(&ok).is_ok());
        assert!(parse(&format!("-{ok}")).is_ok());
        let long = "9".repeat(MAX_INT_DIGITS + 1);
        assert!(matches!(
            err(&long),
            JsonError::IntegerTooLong { offset: 0 }
        ));
        // Floats have no digit limit in Python.
        assert!(parse(&format!("{long}.0e-4000")).is_ok());
        assert!(parse(&format!("0.{long}")).is_ok());
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(matches!(err(&deep), JsonError::TooDeep { offset: 128 }));
        let deep_obj = "{\"a\":".repeat(100_000);
        assert!(matches!(err(&deep_obj), JsonError::TooDeep { .. }));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            " ",
            "[",
            "]",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "{'a':1}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "tru",
            "nul",
            "[1 2]",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "\"\t\"",
            "1 2",
            "nan",
            "inf",
            "-Inf",
            "Infinity1",
            "[1]x",
            "\u{feff}1",
            "{\"a\" 1}",
            "{\"a\":}",
            "[,1]",
            "//",
            "\u{a0}1",
        ] {
            let e = err(bad);
            assert!(e.is_syntax(), "{bad:?}: {e:?}");
        }
        assert!(matches!(err("[1,]"), JsonError::Syntax { offset: 3, .. }));
    }

    #[test]
    fn invalid_utf8() {
        assert!(matches!(
            parse_slice(b"[\"a\xc3\"]"),
            Err(JsonError::InvalidUtf8 { offset: 3 })
        ));
        assert!(matches!(
            parse_slice(b"\xef\xbb\xbf[]"),
            Err(JsonError::Syntax { offset: 0, .. })
        ));
    }

    #[test]
    fn whitespace_is_only_json_whitespace() {
        assert!(parse(" \t\r\n[ 1 , 2 ]\n").is_ok());
        assert!(parse("\u{b}1").is_err());
        assert!(parse("\u{c}1").is_err());
    }
}
