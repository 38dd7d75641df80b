//! Python's `repr(float)`: the text `json.dumps` writes for a float.
//!
//! CPython (`float_repr_style == "short"`) prints the shortest digit string that
//! reads back to the same double (David Gay's `dtoa` mode 0), then:
//! - exponent form when the decimal exponent is below -4 or at least 16:
//!   one digit, optional `.` and more digits, `e`, a sign, at least two exponent digits
//!   (`1e-05`, `1e+16`, `1.2345678901234568e+20`, `5e-324`);
//! - positional form otherwise, with at least one fractional digit (`100.0`,
//!   `0.0001`, `9999999999999998.0`, `-0.0`).
//!
//! The shortest digits come from the `zmij` crate (Schubfach; the formatter
//! `serde_json` itself uses), which picks, like `dtoa`, the shortest digit string
//! that round-trips, the closest one to the exact value among those, and the even
//! last digit on an exact tie (`-1122794370750040.25` prints `...040.2`). Rust's own
//! `{:e}` rounds such ties up, so it is not used. The CPython differential test and
//! a 5-million-value comparison with `repr` checked the two agree.

use core::fmt::{self, Write as _};

/// The longest `repr` of a finite double is 24 bytes (`-1.2345678901234567e-308`).
const CAP: usize = 32;

/// A fixed buffer holding one float's text.
pub(crate) struct ReprBuf {
    bytes: [u8; CAP],
    len: usize,
}

impl ReprBuf {
    const fn new() -> Self {
        ReprBuf {
            bytes: [0; CAP],
            len: 0,
        }
    }

    /// The text written so far.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

impl fmt::Write for ReprBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Formats a finite `f` as Python's `repr` into a stack buffer.
///
/// Non-finite values give Python's `nan`, `inf`, `-inf` (JSON never holds them:
/// [`crate::Number`] refuses them).
pub(crate) fn format(f: f64) -> ReprBuf {
    let mut out = ReprBuf::new();
    if f.is_nan() {
        out.extend(b"nan");
        return out;
    }
    if f.is_infinite() {
        out.extend(if f < 0.0 { b"-inf" } else { b"inf" });
        return out;
    }
    // The shortest round-trip digits and the decimal exponent of the first one.
    let mut zbuf = zmij::Buffer::new();
    let (negative, digits, exp) = decompose(zbuf.format_finite(f).as_bytes());
    let digits = digits.as_bytes();

    if negative {
        out.push(b'-');
    }
    if !(-4..16).contains(&exp) {
        // Exponent form: d[.ddd]e±XX
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend(rest);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        let mut num = ReprBuf::new();
        let _ = write!(num, "{abs}");
        out.extend(num.as_bytes());
    } else if exp >= 0 {
        // Positional, |f| >= 1 (or zero): the integer part has exp + 1 digits.
        let int_len = exp.unsigned_abs() as usize + 1;
        if digits.len() <= int_len {
            out.extend(digits);
            for _ in digits.len()..int_len {
                out.push(b'0');
            }
            out.extend(b".0");
        } else {
            let (int_part, frac) = digits.split_at(int_len);
            out.extend(int_part);
            out.push(b'.');
            out.extend(frac);
        }
    } else {
        // Positional, 1e-4 <= |f| < 1: `0.` then -exp - 1 zeros then the digits.
        out.extend(b"0.");
        for _ in 1..exp.unsigned_abs() {
            out.push(b'0');
        }
        out.extend(digits);
    }
    out
}

/// Fixed room for the up to 17 significant digits of a double.
struct Digits {
    bytes: [u8; 24],
    len: usize,
}

impl Digits {
    fn as_bytes(&self) -> &[u8] {
        match self.bytes.get(..self.len) {
            Some(d) if !d.is_empty() => d,
            _ => b"0",
        }
    }
}

/// Splits a decimal text (`-1.25e-7`, `1e+16`, `0.001`, `123.0`) into its sign, its
/// significant digits (no leading or trailing zeros) and the decimal exponent `e` of
/// the first digit (value = 0.d1d2... * 10^(e+1)).
fn decompose(text: &[u8]) -> (bool, Digits, i32) {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_at = text
        .iter()
        .position(|&b| b == b'e' || b == b'E')
        .unwrap_or(text.len());
    let (mantissa, exp_text) = text.split_at(e_at);
    let mut exp = parse_exp(exp_text.get(1..).unwrap_or_default());
    let int_len = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = Digits {
        bytes: [0; 24],
        len: 0,
    };
    // The exponent of the first significant digit: int_len - 1 before skipping zeros.
    let mut first = int_len as i32 - 1;
    let mut seen_nonzero = false;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if !seen_nonzero {
            if b == b'0' {
                first -= 1;
                continue;
            }
            seen_nonzero = true;
        }
        if let Some(slot) = digits.bytes.get_mut(digits.len) {
            *slot = b;
            digits.len += 1;
        }
    }
    while digits.len > 0 && digits.bytes.get(digits.len - 1) == Some(&b'0') {
        digits.len -= 1;
    }
    if digits.len == 0 {
        return (negative, digits, 0);
    }
    exp = exp.saturating_add(first);
    (negative, digits, exp)
}

fn parse_exp(text: &[u8]) -> i32 {
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let mut v: i32 = 0;
    for &b in digits {
        v = v
            .saturating_mul(10)
            .saturating_add(i32::from(b.wrapping_sub(b'0')));
    }
    if neg { -v } else { v }
}

/// Python's `repr(f)` for a double.
///
/// ```
/// use og_canon::pyfloat::repr;
/// assert_eq!(repr(1e-5), "1e-05");
/// assert_eq!(repr(0.0001), "0.0001");
/// assert_eq!(repr(1e16), "1e+16");
/// assert_eq!(repr(1e15), "1000000000000000.0");
/// assert_eq!(repr(100.0), "100.0");
/// assert_eq!(repr(-0.0), "-0.0");
/// assert_eq!(repr(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(repr(f64::INFINITY), "inf");
/// ```
pub fn repr(f: f64) -> String {
    let buf = format(f);
    String::from_utf8_lossy(buf.as_bytes()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::repr;

    #[test]
    #[allow(clippy::excessive_precision)] // exact binary values, spelled as the vectors spell them
    fn python_reprs() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e-4, "0.0001"),
            (1.5e-4, "0.00015"),
            (9.999999999999999e-5, "9.999999999999999e-05"),
            (1e-5, "1e-05"),
            (1e-7, "1e-07"),
            (1e15, "1000000000000000.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e20, "1.2345678901234568e+20"),
            (1e22, "1e+22"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-f64::MAX, "-1.7976931348623157e+308"),
            (9007199254740993.0, "9007199254740992.0"),
            (123456.789, "123456.789"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e-300, "1e-300"),
            (-1122794370750040.25, "-1122794370750040.2"),
            (1122794370750040.75, "1122794370750040.8"),
            (1e23, "1e+23"),
            (1.5e-323, "1.5e-323"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(*f), *want, "{f:e}");
        }
    }

    #[test]
    fn repr_round_trips() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if !f.is_finite() {
                continue;
            }
            let text = repr(f);
            assert_eq!(
                text.parse::<f64>().map(f64::to_bits),
                Ok(f.to_bits()),
                "{text}"
            );
            assert!(text.contains('.') || text.contains('e'), "{text}");
        }
    }
}
