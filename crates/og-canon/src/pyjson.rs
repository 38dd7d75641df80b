//! The Python-exact JSON writer: `json.dumps(value)` and `json.dumps(value, sort_keys=True)`
//! with Python's defaults (separators `", "` and `": "`, `ensure_ascii=True`).
//!
//! The writer streams into any [`Sink`]: a `Vec<u8>`, a [`Keccak256Hasher`] (so a
//! request hash never materialises the canonical text), or a byte counter. Runs of
//! plain ASCII are written in one call; escapes are written whole.

use crate::hash::{Hash32, Keccak256Hasher};
use crate::pyfloat;
use crate::value::{Map, Number, Value};

/// Anything JSON bytes can be written into.
///
/// ```
/// use og_canon::{Sink, Value, write_python_json};
/// struct Count(usize);
/// impl Sink for Count {
///     fn write_bytes(&mut self, bytes: &[u8]) {
///         self.0 += bytes.len();
///     }
/// }
/// let mut n = Count(0);
/// write_python_json(&Value::from("é"), true, &mut n);
/// assert_eq!(n.0, r#""\u00e9""#.len());
/// ```
pub trait Sink {
    /// Appends `bytes`.
    fn write_bytes(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn write_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Keccak256Hasher {
    fn write_bytes(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn write_bytes(&mut self, bytes: &[u8]) {
        (**self).write_bytes(bytes);
    }
}

/// Counts bytes (to size an output buffer exactly before writing into it).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    fn write_bytes(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Collects small writes into a stack buffer and hands them on in large blocks;
/// writes at least as large as the buffer go straight through.
pub(crate) struct Buffered<'s, S: Sink + ?Sized> {
    inner: &'s mut S,
    buf: [u8; BUF],
    len: usize,
}

const BUF: usize = 4096;

impl<'s, S: Sink + ?Sized> Buffered<'s, S> {
    pub(crate) fn new(inner: &'s mut S) -> Self {
        Buffered {
            inner,
            buf: [0; BUF],
            len: 0,
        }
    }

    pub(crate) fn flush(&mut self) {
        if self.len > 0 {
            self.inner
                .write_bytes(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
    }
}

impl<S: Sink + ?Sized> Sink for Buffered<'_, S> {
    #[inline]
    fn write_bytes(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
            return;
        }
        self.flush();
        if bytes.len() >= BUF {
            self.inner.write_bytes(bytes);
        } else if let Some(dst) = self.buf.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }
}

impl<S: Sink + ?Sized> Drop for Buffered<'_, S> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Writes `value` as Python's `json.dumps(value, sort_keys=sort_keys)` would.
///
/// With `sort_keys`, object keys are sorted by code point at every level (the map's
/// own order is never used); without, they keep their insertion order.
///
/// ```
/// let v = og_canon::parse(r#"{"b": [1.0, 1e16, "é😀"], "a": null}"#).unwrap();
/// let mut out = Vec::new();
/// og_canon::write_python_json(&v, true, &mut out);
/// assert_eq!(out, br#"{"a": null, "b": [1.0, 1e+16, "\u00e9\ud83d\ude00"]}"#);
/// ```
pub fn write_python_json<S: Sink + ?Sized>(value: &Value, sort_keys: bool, sink: &mut S) {
    write_value(value, sort_keys, sink);
}

/// `json.dumps(value, sort_keys=sort_keys)` as a `String` (always ASCII).
///
/// ```
/// let v = og_canon::parse(r#"{"b": 1, "a": -0.0}"#).unwrap();
/// assert_eq!(og_canon::to_python_json(&v, false), r#"{"b": 1, "a": -0.0}"#);
/// assert_eq!(og_canon::to_python_json(&v, true), r#"{"a": -0.0, "b": 1}"#);
/// ```
pub fn to_python_json(value: &Value, sort_keys: bool) -> String {
    let bytes = to_bytes(value, sort_keys);
    // The writer only ever emits ASCII.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `json.dumps(value).encode()`: insertion order kept, Python formatting.
///
/// ```
/// let v = og_canon::parse(r#"{"z": 1, "a": [true, null]}"#).unwrap();
/// assert_eq!(og_canon::to_json_bytes(&v), br#"{"z": 1, "a": [true, null]}"#);
/// ```
pub fn to_json_bytes(value: &Value) -> Vec<u8> {
    to_bytes(value, false)
}

/// The canonical bytes: `json.dumps(value, sort_keys=True).encode("utf-8")`.
///
/// ```
/// let v = og_canon::parse(r#"{"model": "m", "temperature": 1e-7}"#).unwrap();
/// assert_eq!(og_canon::canonical_bytes(&v), br#"{"model": "m", "temperature": 1e-07}"#);
/// ```
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    to_bytes(value, true)
}

/// Keccak-256 of [`canonical_bytes`], streamed into the hasher without building the text.
///
/// ```
/// let v = og_canon::parse(r#"{"b": 2, "a": 1}"#).unwrap();
/// assert_eq!(og_canon::canonical_hash(&v), og_canon::keccak256(br#"{"a": 1, "b": 2}"#));
/// ```
pub fn canonical_hash(value: &Value) -> Hash32 {
    let mut hasher = Keccak256Hasher::new();
    {
        let mut buffered = Buffered::new(&mut hasher);
        write_value(value, true, &mut buffered);
    }
    hasher.finalize()
}

/// The exact length of `json.dumps(value, sort_keys=sort_keys)` in bytes.
pub(crate) fn json_len(value: &Value, sort_keys: bool) -> usize {
    let mut n = Counter(0);
    write_value(value, sort_keys, &mut n);
    n.0
}

fn to_bytes(value: &Value, sort_keys: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(json_len(value, sort_keys));
    write_value(value, sort_keys, &mut out);
    out
}

pub(crate) fn write_value<S: Sink + ?Sized>(value: &Value, sort_keys: bool, sink: &mut S) {
    match value {
        Value::Null => sink.write_bytes(b"null"),
        Value::Bool(true) => sink.write_bytes(b"true"),
        Value::Bool(false) => sink.write_bytes(b"false"),
        Value::Number(n) => write_number(n, sink),
        Value::String(s) => write_str(s, sink),
        Value::Array(items) => {
            let mut iter = items.iter();
            let Some(first) = iter.next() else {
                sink.write_bytes(b"[]");
                return;
            };
            sink.write_bytes(b"[");
            write_value(first, sort_keys, sink);
            for item in iter {
                sink.write_bytes(b", ");
                write_value(item, sort_keys, sink);
            }
            sink.write_bytes(b"]");
        }
        Value::Object(map) => write_object(map, sort_keys, sink),
    }
}

fn write_object<S: Sink + ?Sized>(map: &Map, sort_keys: bool, sink: &mut S) {
    if map.is_empty() {
        sink.write_bytes(b"{}");
        return;
    }
    sink.write_bytes(b"{");
    if sort_keys {
        write_members(map.sorted().into_iter(), sort_keys, sink);
    } else {
        write_members(map.iter(), sort_keys, sink);
    }
    sink.write_bytes(b"}");
}

fn write_members<'v, S: Sink + ?Sized>(
    members: impl Iterator<Item = (&'v String, &'v Value)>,
    sort_keys: bool,
    sink: &mut S,
) {
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            sink.write_bytes(b", ");
        }
        write_str(key, sink);
        sink.write_bytes(b": ");
        write_value(value, sort_keys, sink);
    }
}

pub(crate) fn write_number<S: Sink + ?Sized>(n: &Number, sink: &mut S) {
    if let Some(text) = n.as_int_text() {
        sink.write_bytes(text.as_bytes());
    } else if let Some(f) = n.as_float() {
        write_float(f, sink);
    }
}

/// A float as Python's `repr` (finite values only reach here).
pub(crate) fn write_float<S: Sink + ?Sized>(f: f64, sink: &mut S) {
    sink.write_bytes(pyfloat::format(f).as_bytes());
}

/// Bytes that cannot be copied as they are: controls, `"`, `\`, DEL and every
/// byte of a non-ASCII character.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i >= 0x7f || i == b'"' as usize || i == b'\\' as usize;
        i += 1;
    }
    t
};

/// The index of the first byte of `bytes` that needs an escape.
///
/// Scans eight bytes per step (a word-at-a-time test for a control byte, `"`, `\`,
/// DEL or a byte of a non-ASCII character), then finds the exact byte in the first
/// word that has one. Runs of plain text are most of any request, so this scan, not
/// the hash, was the largest cost of a canonical hash after Keccak itself.
#[inline]
fn next_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `w` is below `n` (n <= 0x80); exact as a yes/no answer.
    let has_less = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    let mut start = 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let hit = (w & HIGH)
            | has_less(w, 0x20)
            | has_less(w ^ (ONES * u64::from(b'"')), 1)
            | has_less(w ^ (ONES * u64::from(b'\\')), 1)
            | has_less(w ^ (ONES * 0x7f), 1);
        if hit != 0 {
            break;
        }
        start += 8;
    }
    bytes
        .get(start..)?
        .iter()
        .position(|&b| NEEDS_ESCAPE[usize::from(b)])
        .map(|p| start + p)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn u_escape(unit: u16) -> [u8; 6] {
    let h = |shift: u16| {
        HEX.get(usize::from((unit >> shift) & 0xf))
            .copied()
            .unwrap_or(b'0')
    };
    [b'\\', b'u', h(12), h(8), h(4), h(0)]
}

/// Writes a JSON string literal with Python's `ensure_ascii` escaping.
pub(crate) fn write_str<S: Sink + ?Sized>(s: &str, sink: &mut S) {
    sink.write_bytes(b"\"");
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Find the next byte that needs an escape; copy the run before it at once.
        let Some(offset) = bytes.get(i..).and_then(next_escape) else {
            break;
        };
        i += offset;
        if start < i {
            sink.write_bytes(bytes.get(start..i).unwrap_or_default());
        }
        let b = bytes.get(i).copied().unwrap_or(0);
        if b < 0x80 {
            let short: Option<&[u8]> = match b {
                b'"' => Some(b"\\\""),
                b'\\' => Some(b"\\\\"),
                b'\n' => Some(b"\\n"),
                b'\r' => Some(b"\\r"),
                b'\t' => Some(b"\\t"),
                0x08 => Some(b"\\b"),
                0x0c => Some(b"\\f"),
                _ => None,
            };
            match short {
                Some(esc) => sink.write_bytes(esc),
                None => sink.write_bytes(&u_escape(u16::from(b))),
            }
            i += 1;
        } else {
            let ch = s
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('\u{fffd}');
            let mut units = [0u16; 2];
            match ch.encode_utf16(&mut units) {
                [unit] => sink.write_bytes(&u_escape(*unit)),
                [hi, lo] => {
                    let (a, b) = (u_escape(*hi), u_escape(*lo));
                    let mut pair = [0u8; 12];
                    pair[..6].copy_from_slice(&a);
                    pair[6..].copy_from_slice(&b);
                    sink.write_bytes(&pair);
                }
                _ => {}
            }
            i += ch.len_utf8();
        }
        start = i;
    }
    if start < bytes.len() {
        sink.write_bytes(bytes.get(start..).unwrap_or_default());
    }
    sink.write_bytes(b"\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn canon(text: &str) -> String {
        to_python_json(&parse(text).unwrap(), true)
    }

    #[test]
    fn separators_and_empty_containers() {
        assert_eq!(
            canon(r#"{"a":[],"b":{},"c":[1,2],"d":{"x":null}}"#),
            r#"{"a": [], "b": {}, "c": [1, 2], "d": {"x": null}}"#
        );
        assert_eq!(canon("[true,false,null]"), "[true, false, null]");
    }

    #[test]
    fn ensure_ascii_escapes() {
        assert_eq!(
            canon(r#""\u0000\u001f\u007f\b\f\n\r\t""#),
            r#""\u0000\u001f\u007f\b\f\n\r\t""#
        );
        assert_eq!(canon(r#""q\"b\\s/""#), r#""q\"b\\s/""#);
        assert_eq!(canon(r#""\/""#), r#""/""#);
        assert_eq!(
            canon("\"é中😀\u{2028}\u{85}\u{feff}\u{ffff}\u{10ffff}\""),
            r#""\u00e9\u4e2d\ud83d\ude00\u2028\u0085\ufeff\uffff\udbff\udfff""#
        );
        assert_eq!(canon(r#""\u00E9""#), r#""\u00e9""#);
    }

    #[test]
    fn word_scan_finds_every_escape_at_every_offset() {
        // Each byte class that needs an escape, and its plain neighbours, at each
        // position of a word and across word boundaries.
        for special in [0u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xff] {
            for plain in [0x20u8, b'!', b'#', b'[', b']', 0x7e] {
                for len in 0..20 {
                    for at in 0..len {
                        let mut v = vec![plain; len];
                        v[at] = special;
                        assert_eq!(
                            next_escape(&v),
                            Some(at),
                            "{special:#x} in {plain:#x} at {at}/{len}"
                        );
                    }
                    assert_eq!(next_escape(&vec![plain; len]), None);
                }
            }
        }
        for b in 0..=255u8 {
            let v = [b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b];
            let want = NEEDS_ESCAPE[usize::from(b)].then_some(9);
            assert_eq!(next_escape(&v), want, "byte {b:#x}");
        }
    }

    #[test]
    fn keys_sort_by_code_point_not_utf16() {
        // U+FFFF < U+1F600 by code point; in UTF-16 the surrogate D83D sorts first.
        assert_eq!(
            canon("{\"😀\": 1, \"\u{ffff}\": 2, \"é\": 3, \"a\": 4, \"B\": 5}"),
            r#"{"B": 5, "a": 4, "\u00e9": 3, "\uffff": 2, "\ud83d\ude00": 1}"#
        );
    }

    #[test]
    fn sorting_is_independent_of_insertion_order() {
        let a = parse(r#"{"z": {"b": 1, "a": 2}, "a": [{"y": 1, "x": 2}]}"#).unwrap();
        let b = parse(r#"{"a": [{"x": 2, "y": 1}], "z": {"a": 2, "b": 1}}"#).unwrap();
        assert_eq!(canonical_bytes(&a), canonical_bytes(&b));
        assert_eq!(canonical_hash(&a), canonical_hash(&b));
        assert_ne!(to_json_bytes(&a), to_json_bytes(&b));
    }

    #[test]
    fn numbers_keep_python_form() {
        assert_eq!(
            canon("[1.0, -0, -0.0, 1e2, 1E2, 10, 1e-7, 1e16, 100000000000000000000000000000]"),
            "[1.0, 0, -0.0, 100.0, 100.0, 10, 1e-07, 1e+16, 100000000000000000000000000000]"
        );
    }

    #[test]
    fn hash_streams_the_same_bytes() {
        let big = format!(
            r#"{{"k": "{}", "n": [{}]}}"#,
            "x\u{e9}".repeat(5000),
            "1.5, ".repeat(2000) + "0"
        );
        let v = parse(&big).unwrap();
        assert_eq!(canonical_hash(&v), crate::keccak256(&canonical_bytes(&v)));
        assert_eq!(json_len(&v, true), canonical_bytes(&v).len());
    }
}
