//! `og canon`: OpenAI request bodies in (JSON Lines), their wire form, canonical
//! string and request hash out, one line per input line.
//!
//! Each output line is either
//! `{"wire": <the wire object>, "canonical": "<the exact canonical text>", "request_hash": "<hex>"}`
//! or `{"error": {"category": "...", "message": "..."}}` (invalid JSON, an empty
//! line, or a body the gateway cannot sign). Output line N answers input line N;
//! a `\r` before the newline is ignored.
//!
//! The wire object is written exactly as the reference's `json.dumps(wire)` writes
//! it (so the JSON text of `wire` is the byte string that gets encrypted), and
//! `canonical` holds the exact bytes that are hashed.
//!
//! Fast path: one reused input buffer, one buffered output, no per-line flush.

use std::io::{self, BufRead, Write};

use og_canon::Value;

/// Options of `og canon`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CanonArgs {
    /// Give the streaming wire form (with `"stream": true`); the canonical form and
    /// hash do not change.
    #[arg(long)]
    pub stream: bool,
}

/// How many lines were read, converted and refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CanonStats {
    /// Input lines.
    pub lines: u64,
    /// Lines converted.
    pub ok: u64,
    /// Lines answered with an error.
    pub errors: u64,
}

/// Converts every line of `input` and writes one line per input line to `output`.
///
/// ```
/// let input = b"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n[1]\n";
/// let mut out = Vec::new();
/// let stats = og_cli::canon::run(&og_cli::canon::CanonArgs::default(), &input[..], &mut out).unwrap();
/// assert_eq!((stats.ok, stats.errors), (1, 1));
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with(r#"{"wire": {"model": "m", "#));
/// assert!(text.contains(r#""canonical": "{\"messages\": [{\"content\": \"hi\", \"role\": \"user\"}], \"model\": \"m\", \"temperature\": 0.0}""#));
/// ```
///
/// # Errors
/// Only I/O errors of `input` or `output`.
pub fn run(
    args: &CanonArgs,
    mut input: impl BufRead,
    output: impl Write,
) -> io::Result<CanonStats> {
    let mut out = io::BufWriter::with_capacity(1 << 16, output);
    let mut line = Vec::with_capacity(4096);
    let mut buf = Vec::with_capacity(4096);
    let mut stats = CanonStats::default();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let mut body = line.as_slice();
        if let Some(rest) = body.strip_suffix(b"\n") {
            body = rest;
        }
        if let Some(rest) = body.strip_suffix(b"\r") {
            body = rest;
        }
        stats.lines += 1;
        buf.clear();
        if convert(body, args.stream, &mut buf) {
            stats.ok += 1;
        } else {
            stats.errors += 1;
        }
        out.write_all(&buf)?;
    }
    out.flush()?;
    Ok(stats)
}

/// Writes the answer line for one body (newline included) into `out`; true when
/// the body converted.
pub fn convert(body: &[u8], stream: bool, out: &mut Vec<u8>) -> bool {
    if body.iter().all(u8::is_ascii_whitespace) {
        error_line("invalid_json", "empty line: no request body", out);
        return false;
    }
    let value = match og_canon::parse_slice(body) {
        Ok(v) => v,
        Err(e) => {
            error_line(e.category(), &format!("invalid JSON: {e}"), out);
            return false;
        }
    };
    let request = match og_canon::build_inner_request(&value) {
        Ok(r) => r,
        Err(e) => {
            error_line(e.category(), &e.to_string(), out);
            return false;
        }
    };
    let canonical = request.canonical_bytes();
    out.extend_from_slice(b"{\"wire\": ");
    request.write_wire(stream, out);
    out.extend_from_slice(b", \"canonical\": ");
    json_string_ascii(&canonical, out);
    out.extend_from_slice(b", \"request_hash\": \"");
    let hash = og_canon::keccak256(&canonical);
    let mut hex = [0u8; 64];
    // Cannot fail: the buffer is exactly twice the hash's length.
    if hex::encode_to_slice(hash, &mut hex).is_ok() {
        out.extend_from_slice(&hex);
    }
    out.extend_from_slice(b"\"}\n");
    true
}

fn error_line(category: &str, message: &str, out: &mut Vec<u8>) {
    let v = crate::json::obj([(
        "error",
        crate::json::obj([("category", category.into()), ("message", message.into())]),
    )]);
    og_canon::write_python_json(&v, false, out);
    out.push(b'\n');
}

/// Writes `text` (ASCII, as canonical bytes always are) as a JSON string literal;
/// any other byte is escaped as `\u00XX`.
fn json_string_ascii(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x20..=0x7e => continue,
            _ => {
                out.extend_from_slice(&text[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
        };
        out.extend_from_slice(&text[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
    out.push(b'"');
}

/// The canonical string of a body (for tests and callers who want one value).
///
/// # Errors
/// The og-canon error for invalid JSON or an unsupported body.
pub fn canonical_string(body: &str) -> Result<String, og_canon::Error> {
    let value: Value = og_canon::parse(body)?;
    let request = og_canon::build_inner_request(&value)?;
    Ok(String::from_utf8_lossy(&request.canonical_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_escaping_round_trips_through_a_json_reader() {
        let text = br#"{"a": "q\"uote \\ back\n"}"#;
        let mut out = Vec::new();
        json_string_ascii(text, &mut out);
        let back = og_canon::parse_slice(&out).unwrap();
        assert_eq!(back.as_str().unwrap().as_bytes(), text);
        let mut out = Vec::new();
        json_string_ascii(b"\x01\x7f", &mut out);
        assert_eq!(out, br#""\u0001\u007f""#);
    }

    #[test]
    fn one_line_per_input_line_errors_included() {
        let input = b"{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\r\n\n{\"model\": \"m\"}\nnot json";
        let mut out = Vec::new();
        let stats = run(&CanonArgs { stream: true }, &input[..], &mut out).unwrap();
        assert_eq!(
            stats,
            CanonStats {
                lines: 4,
                ok: 1,
                errors: 3
            }
        );
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].contains(r#""stream": true}"#));
        assert!(lines[1].contains("empty line"));
        assert!(lines[2].contains("unsupported_request"));
        assert!(lines[3].contains("invalid_json"));
        for l in lines {
            og_canon::parse(l).unwrap();
        }
    }
}
