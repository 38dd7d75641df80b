//! The stream accumulator (PROTOCOL §3, streams): decrypted SSE frames in, the
//! concatenated content, the folded tool calls, the signed final event and the signed
//! output string out, exactly as the reference's `stream_chat_completion` computes them.
//!
//! Per frame (each frame on its own, as the reference does: an event split across two
//! frames is lost): the bytes are decoded as UTF-8 with U+FFFD for invalid sequences,
//! split into lines with Python's `str.splitlines()` rules (`\n`, `\r`, `\r\n`, `\v`,
//! `\f`, `\x1c`-`\x1e`, `\x85`, U+2028, U+2029), each stripped of Python whitespace;
//! a line starting `data:` whose stripped payload is not empty, not `[DONE]` and
//! parses as a JSON object is an event. An event with a string `error` is a relay
//! error (502).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::output::{OutputError, content_text, first_choice};
use crate::parse::{JsonError, parse};
use crate::pyjson::to_python_json;
use crate::request::py_type_name;
use crate::value::{Map, Value};

/// Bounds on what one stream may make the accumulator hold or do.
///
/// Memory stays within a small multiple of `max_total_bytes` (the content, the tool
/// call arguments and the final event are all parts of the frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamLimits {
    /// Total frame bytes accepted (default 256 MiB).
    pub max_total_bytes: usize,
    /// Events accepted over the whole stream (default 1,000,000).
    pub max_events: usize,
    /// Distinct tool-call indices (default 1024).
    pub max_tool_calls: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            max_total_bytes: 256 << 20,
            max_events: 1_000_000,
            max_tool_calls: 1024,
        }
    }
}

impl StreamLimits {
    /// The default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// With another total-bytes limit.
    pub fn with_max_total_bytes(mut self, n: usize) -> Self {
        self.max_total_bytes = n;
        self
    }

    /// With another event-count limit.
    pub fn with_max_events(mut self, n: usize) -> Self {
        self.max_events = n;
        self
    }

    /// With another tool-call-count limit.
    pub fn with_max_tool_calls(mut self, n: usize) -> Self {
        self.max_tool_calls = n;
        self
    }
}

/// Why a stream cannot yield a verifiable output.
///
/// Messages never quote model content (a relay error's own message is quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// An event carried a string `error`: the relay/gateway aborted the stream.
    #[error("relay error {status}: {message}")]
    Relay {
        /// Always 502, as the reference reports it.
        status: u16,
        /// The event's `error` string.
        message: String,
    },
    /// The stream ended with no event carrying a string `tee_signature` or
    /// `tee_output_hash`: there is nothing to verify.
    #[error(
        "the stream ended without a signed final event (no event carried a string \
         tee_signature or tee_output_hash); nothing it carried is verified"
    )]
    MissingFinalEvent,
    /// A `data:` payload is JSON that Python reads but this crate refuses (NaN,
    /// infinities, lone surrogates, nesting beyond the limit, over-long integers), so
    /// the signed output cannot be reproduced exactly.
    #[error("frame {frame}: an event cannot be read exactly: {source}")]
    UnsupportedEvent {
        /// The frame's index (0-based).
        frame: usize,
        /// What the JSON reader refused.
        source: JsonError,
    },
    /// A delta's content or tool-call fragment has a shape the reference crashes on
    /// (or would apply Python's `str()` to).
    #[error("frame {frame}: {problem}")]
    UnsupportedDelta {
        /// The frame's index (0-based).
        frame: usize,
        /// What is wrong (no content quoted).
        problem: String,
    },
    /// A [`StreamLimits`] bound was exceeded.
    #[error("the stream exceeds its limit of {limit} {what}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: usize,
    },
}

impl StreamError {
    /// The vector category: `relay_error`, `missing_final_event`, or `malformed_inner`
    /// for the rest.
    pub fn category(&self) -> &'static str {
        match self {
            StreamError::Relay { .. } => "relay_error",
            StreamError::MissingFinalEvent => "missing_final_event",
            _ => "malformed_inner",
        }
    }
}

/// What a complete stream came to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamOutcome {
    /// The concatenated `choices[0].delta.content` of every event.
    pub content: String,
    /// The tool calls folded by index, sorted by index (`None` when none streamed).
    pub tool_calls: Option<Value>,
    /// The signed final event: the last event with a string `tee_signature` or
    /// `tee_output_hash`.
    pub final_event: Value,
    /// The final event's `choices[0].finish_reason`, when a string.
    pub finish_reason: Option<String>,
    /// The string the gateway signed: `json.dumps(tool_calls, sort_keys=True)` when the
    /// finish reason is `tool_calls` and calls were streamed, else `content`.
    pub signed_output: String,
    /// Frames pushed.
    pub frames: usize,
    /// The index of the frame that held the final event.
    pub final_frame_index: usize,
}

#[derive(Debug, Clone)]
struct ToolCallSlot {
    id: Value,
    kind: Value,
    name: Value,
    arguments: String,
}

impl ToolCallSlot {
    fn new() -> Self {
        ToolCallSlot {
            id: Value::from(""),
            kind: Value::from("function"),
            name: Value::from(""),
            arguments: String::new(),
        }
    }

    fn to_value(&self) -> Value {
        let mut function = Map::with_capacity(2);
        function.insert("name".into(), self.name.clone());
        function.insert("arguments".into(), Value::String(self.arguments.clone()));
        let mut call = Map::with_capacity(3);
        call.insert("id".into(), self.id.clone());
        call.insert("type".into(), self.kind.clone());
        call.insert("function".into(), Value::Object(function));
        Value::Object(call)
    }
}

/// Accumulates decrypted SSE frames one at a time.
///
/// ```
/// use og_canon::StreamAccumulator;
/// let mut acc = StreamAccumulator::new();
/// assert_eq!(acc.push_frame(b"data: {\"choices\": [{\"delta\": {\"content\": \"Hel\"}}]}\n\n").unwrap(), 1);
/// acc.push_frame(b"data: {\"choices\": [{\"delta\": {\"content\": \"lo\"}}]}\n\ndata: [DONE]\n\n").unwrap();
/// assert_eq!(acc.content(), "Hello"); // progressive and NOT verified
/// acc.push_frame(b"data: {\"choices\": [{\"delta\": {}, \"finish_reason\": \"stop\"}], \"tee_signature\": \"c2ln\"}\n\n").unwrap();
/// let outcome = acc.finish().unwrap();
/// assert_eq!(outcome.signed_output, "Hello");
/// assert_eq!(outcome.finish_reason.as_deref(), Some("stop"));
/// assert_eq!(outcome.final_frame_index, 2);
/// ```
#[derive(Debug, Clone)]
pub struct StreamAccumulator {
    limits: StreamLimits,
    content: String,
    tool_calls: BTreeMap<i64, ToolCallSlot>,
    final_event: Option<(Value, usize)>,
    frames: usize,
    events: usize,
    bytes: usize,
    failed: Option<StreamError>,
}

impl Default for StreamAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamAccumulator {
    /// An accumulator with the default [`StreamLimits`].
    pub fn new() -> Self {
        Self::with_limits(StreamLimits::default())
    }

    /// An accumulator with the given limits.
    pub fn with_limits(limits: StreamLimits) -> Self {
        StreamAccumulator {
            limits,
            content: String::new(),
            tool_calls: BTreeMap::new(),
            final_event: None,
            frames: 0,
            events: 0,
            bytes: 0,
            failed: None,
        }
    }

    /// Takes one decrypted frame; returns how many events it held.
    ///
    /// After an error the accumulator is spent: every later call returns the same
    /// error.
    pub fn push_frame(&mut self, frame: &[u8]) -> Result<usize, StreamError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.process(frame);
        self.frames += 1;
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn process(&mut self, frame: &[u8]) -> Result<usize, StreamError> {
        let index = self.frames;
        self.bytes = self.bytes.saturating_add(frame.len());
        if self.bytes > self.limits.max_total_bytes {
            return Err(StreamError::LimitExceeded {
                what: "bytes",
                limit: self.limits.max_total_bytes,
            });
        }
        // Valid UTF-8 (every honest frame) is checked with the ASCII-fast validator;
        // only a frame that fails it pays for the lossy, byte-by-byte decoder.
        let text = match core::str::from_utf8(frame) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(frame),
        };
        let mut count = 0;
        for line in PyLines::new(&text) {
            let Some(payload) = line.trim_matches(is_py_space).strip_prefix("data:") else {
                continue;
            };
            let payload = payload.trim_matches(is_py_space);
            if payload.is_empty() || payload == "[DONE]" {
                continue;
            }
            let map = match parse(payload) {
                Ok(Value::Object(map)) => map,
                Ok(_) => continue,
                Err(e) if e.is_syntax() => continue,
                Err(source) => {
                    return Err(StreamError::UnsupportedEvent {
                        frame: index,
                        source,
                    });
                }
            };
            if let Some(Value::String(message)) = map.get("error") {
                return Err(StreamError::Relay {
                    status: 502,
                    message: message.clone(),
                });
            }
            self.events += 1;
            if self.events > self.limits.max_events {
                return Err(StreamError::LimitExceeded {
                    what: "events",
                    limit: self.limits.max_events,
                });
            }
            count += 1;
            self.event(index, map)?;
        }
        Ok(count)
    }

    fn event(&mut self, frame: usize, map: Map) -> Result<(), StreamError> {
        let delta = first_choice(&map)
            .and_then(|c| c.get("delta"))
            .and_then(Value::as_object);
        if let Some(delta) = delta {
            content_text(delta.get("content"), &mut self.content).map_err(|e| {
                StreamError::UnsupportedDelta {
                    frame,
                    problem: match e {
                        OutputError::NonTextPart { index, kind } => format!(
                            "delta content part {index} is {kind}, not an object or a string"
                        ),
                        OutputError::PartTextNotString { index, kind } => format!(
                            "delta content part {index} has a 'text' that is {kind}, not a string"
                        ),
                        other => other.to_string(),
                    },
                }
            })?;
            if let Some(Value::Array(fragments)) = delta.get("tool_calls") {
                for fragment in fragments {
                    if let Value::Object(fragment) = fragment {
                        self.fold(frame, fragment)?;
                    }
                }
            }
        }
        let is_final = matches!(map.get("tee_signature"), Some(Value::String(_)))
            || matches!(map.get("tee_output_hash"), Some(Value::String(_)));
        if is_final {
            self.final_event = Some((Value::Object(map), frame));
        }
        Ok(())
    }

    /// The reference's `_accumulate_tool_calls` for one fragment.
    fn fold(&mut self, frame: usize, fragment: &Map) -> Result<(), StreamError> {
        let bad = |problem: String| StreamError::UnsupportedDelta { frame, problem };
        let index = match fragment.get("index") {
            None => 0,
            Some(Value::Number(n)) if !n.is_float() => n.as_i64().ok_or_else(|| {
                bad("a tool call fragment's 'index' is out of the 64-bit range".into())
            })?,
            Some(other) => {
                return Err(bad(format!(
                    "a tool call fragment's 'index' is {}, not an integer",
                    py_type_name(other)
                )));
            }
        };
        let function = match fragment.get("function") {
            Some(Value::Object(f)) => Some(f),
            Some(v) if v.is_truthy() => {
                return Err(bad(format!(
                    "a tool call fragment's 'function' is {}, not an object",
                    py_type_name(v)
                )));
            }
            _ => None,
        };
        let arguments = match function.and_then(|f| f.get("arguments")) {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(v) if v.is_truthy() => {
                return Err(bad(format!(
                    "a tool call fragment's 'arguments' is {}, not a string",
                    py_type_name(v)
                )));
            }
            _ => None,
        };
        if !self.tool_calls.contains_key(&index)
            && self.tool_calls.len() >= self.limits.max_tool_calls
        {
            return Err(StreamError::LimitExceeded {
                what: "tool calls",
                limit: self.limits.max_tool_calls,
            });
        }
        let slot = self
            .tool_calls
            .entry(index)
            .or_insert_with(ToolCallSlot::new);
        if let Some(id) = fragment.get("id").filter(|v| v.is_truthy()) {
            slot.id = id.clone();
        }
        if let Some(kind) = fragment.get("type").filter(|v| v.is_truthy()) {
            slot.kind = kind.clone();
        }
        if let Some(name) = function
            .and_then(|f| f.get("name"))
            .filter(|v| v.is_truthy())
        {
            slot.name = name.clone();
        }
        if let Some(arguments) = arguments {
            slot.arguments.push_str(arguments);
        }
        Ok(())
    }

    /// The content accumulated so far. Not verified: show it only as provisional.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The tool calls folded so far, sorted by index (`None` when none). Not verified.
    pub fn tool_calls(&self) -> Option<Value> {
        if self.tool_calls.is_empty() {
            None
        } else {
            Some(Value::Array(
                self.tool_calls
                    .values()
                    .map(ToolCallSlot::to_value)
                    .collect(),
            ))
        }
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Events seen so far.
    pub fn events(&self) -> usize {
        self.events
    }

    /// Whether a signed final event has been seen (a later one would replace it).
    pub fn has_final_event(&self) -> bool {
        self.final_event.is_some()
    }

    /// Ends the stream: the signed final event and the signed output.
    pub fn finish(self) -> Result<StreamOutcome, StreamError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let tool_calls = self.tool_calls();
        let Some((final_event, final_frame_index)) = self.final_event else {
            return Err(StreamError::MissingFinalEvent);
        };
        let finish_reason = final_event
            .as_object()
            .and_then(first_choice)
            .and_then(|c| c.get("finish_reason"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let signed_output = match (&tool_calls, finish_reason.as_deref()) {
            (Some(calls), Some("tool_calls")) => to_python_json(calls, true),
            _ => self.content.clone(),
        };
        Ok(StreamOutcome {
            content: self.content,
            tool_calls,
            final_event,
            finish_reason,
            signed_output,
            frames: self.frames,
            final_frame_index,
        })
    }
}

/// Python's `str.isspace()`.
fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `str.splitlines()` line boundaries.
fn is_py_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `str.splitlines()` (without keepends).
struct PyLines<'t> {
    rest: &'t str,
}

impl<'t> PyLines<'t> {
    fn new(text: &'t str) -> Self {
        PyLines { rest: text }
    }
}

impl<'t> Iterator for PyLines<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        if self.rest.is_empty() {
            return None;
        }
        // Every line break is an ASCII byte below 0x1f or a non-ASCII character, so
        // only those bytes are decoded; the rest of a line is skipped byte by byte.
        let bytes = self.rest.as_bytes();
        let mut from = 0;
        let mut found = None;
        while let Some(offset) = bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| !(0x1f..0x80).contains(&b)))
        {
            let at = from + offset;
            let c = self
                .rest
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('\0');
            if is_py_line_break(c) {
                found = Some((at, c));
                break;
            }
            from = at + c.len_utf8();
        }
        match found {
            Some((at, c)) => {
                let line = self.rest.get(..at).unwrap_or_default();
                let mut skip = at + c.len_utf8();
                if c == '\r' && self.rest.get(skip..).is_some_and(|r| r.starts_with('\n')) {
                    skip += 1;
                }
                self.rest = self.rest.get(skip..).unwrap_or_default();
                Some(line)
            }
            None => {
                let line = self.rest;
                self.rest = "";
                Some(line)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINAL: &str = r#"data: {"choices": [{"delta": {}, "finish_reason": "stop"}], "tee_signature": "s", "tee_output_hash": "h"}"#;

    #[test]
    fn splitlines_like_python() {
        let lines: Vec<_> = PyLines::new(
            "a\r\nb\rc\nd\u{b}e\u{c}f\u{1c}g\u{1d}h\u{1e}i\u{85}j\u{2028}k\u{2029}l\u{1f}m\n\n",
        )
        .collect();
        assert_eq!(
            lines,
            [
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l\u{1f}m", ""
            ]
        );
        assert_eq!(PyLines::new("").count(), 0);
        assert_eq!(PyLines::new("x").collect::<Vec<_>>(), ["x"]);
        assert_eq!(PyLines::new("\r\n").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn splitlines_matches_a_char_by_char_split() {
        // Every string of up to four characters over breaks, near-breaks and
        // multi-byte text, against the obvious char-by-char definition.
        fn reference(text: &str) -> Vec<String> {
            let mut lines = Vec::new();
            let mut line = String::new();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if is_py_line_break(c) {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lines.push(std::mem::take(&mut line));
                } else {
                    line.push(c);
                }
            }
            if !line.is_empty() {
                lines.push(line);
            }
            lines
        }
        let alphabet = [
            'a', '\n', '\r', '\u{1e}', '\u{1f}', '\u{85}', '\u{a0}', '\u{2028}', 'é', '😀',
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
            texts.sort();
            texts.dedup();
        }
        for text in &texts {
            let got: Vec<&str> = PyLines::new(text).collect();
            assert_eq!(got, reference(text), "{text:?}");
        }
    }

    #[test]
    fn python_whitespace_is_stripped() {
        let mut acc = StreamAccumulator::new();
        let n = acc
            .push_frame("\u{1f}\u{3000} data:\u{a0}{\"choices\": [{\"delta\": {\"content\": \"x\"}}]}\u{2000}\t".as_bytes())
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(acc.content(), "x");
    }

    #[test]
    fn relay_error_and_poisoning() {
        let mut acc = StreamAccumulator::new();
        let e = acc
            .push_frame(b"data: {\"error\": \"boom\"}\n")
            .unwrap_err();
        assert_eq!(
            e,
            StreamError::Relay {
                status: 502,
                message: "boom".into()
            }
        );
        assert_eq!(e.to_string(), "relay error 502: boom");
        assert_eq!(e.category(), "relay_error");
        assert_eq!(acc.push_frame(FINAL.as_bytes()), Err(e.clone()));
        assert_eq!(acc.finish().unwrap_err(), e);
        // A non-string error is an ordinary event.
        let mut acc = StreamAccumulator::new();
        assert_eq!(
            acc.push_frame(b"data: {\"error\": {\"message\": \"x\"}}")
                .unwrap(),
            1
        );
    }

    #[test]
    fn missing_final_event_quotes_no_content() {
        let mut acc = StreamAccumulator::new();
        acc.push_frame(b"data: {\"choices\": [{\"delta\": {\"content\": \"SECRET\"}}]}\n")
            .unwrap();
        acc.push_frame(b"data: {\"tee_signature\": 5}\n").unwrap();
        assert_eq!(acc.content(), "SECRET");
        let e = acc.finish().unwrap_err();
        assert_eq!(e, StreamError::MissingFinalEvent);
        assert!(!e.to_string().contains("SECRET"));
        assert_eq!(e.category(), "missing_final_event");
    }

    #[test]
    fn python_only_json_is_an_error_not_a_skip() {
        for payload in [r#"{"a": NaN}"#, r#"{"a": 1e400}"#, r#"{"a": "\ud800"}"#] {
            let mut acc = StreamAccumulator::new();
            let e = acc
                .push_frame(format!("data: {payload}\n").as_bytes())
                .unwrap_err();
            assert!(
                matches!(e, StreamError::UnsupportedEvent { frame: 0, .. }),
                "{payload}"
            );
            assert_eq!(e.category(), "malformed_inner");
        }
        // Python raises JSONDecodeError for these too: skipped.
        let mut acc = StreamAccumulator::new();
        assert_eq!(
            acc.push_frame(b"data: {\"a\": NaN,}\ndata: {'a': 1}\n")
                .unwrap(),
            0
        );
    }

    #[test]
    fn tool_call_folding() {
        let mut acc = StreamAccumulator::new();
        let frames = [
            r#"data: {"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{"}}]}}]}"#,
            r#"data: {"choices": [{"delta": {"tool_calls": [{"id": "a", "type": "", "function": {"name": "f", "arguments": "[1"}}, "skip", {"index": 1, "id": "", "function": {"arguments": "}"}}]}}]}"#,
            r#"data: {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": null}, {"index": 0, "function": {"arguments": "]"}}]}}]}"#,
            r#"data: {"choices": [{"delta": {}, "finish_reason": "tool_calls"}], "tee_output_hash": "h"}"#,
        ];
        for f in frames {
            acc.push_frame(f.as_bytes()).unwrap();
        }
        let out = acc.finish().unwrap();
        assert_eq!(
            out.signed_output,
            r#"[{"function": {"arguments": "[1]", "name": "f"}, "id": "a", "type": "function"}, {"function": {"arguments": "{}", "name": "g"}, "id": "b", "type": "function"}]"#
        );
        assert_eq!(out.final_frame_index, 3);
        assert_eq!(out.content, "");
    }

    #[test]
    fn tool_call_shapes_the_reference_crashes_on() {
        for frag in [
            r#"{"index": "0"}"#,
            r#"{"index": 1.0}"#,
            r#"{"index": null}"#,
            r#"{"index": true}"#,
            r#"{"index": 99999999999999999999}"#,
            r#"{"function": "f"}"#,
            r#"{"function": {"arguments": 5}}"#,
            r#"{"function": {"arguments": ["x"]}}"#,
        ] {
            let mut acc = StreamAccumulator::new();
            let frame =
                format!(r#"data: {{"choices": [{{"delta": {{"tool_calls": [{frag}]}}}}]}}"#);
            let e = acc.push_frame(frame.as_bytes()).unwrap_err();
            assert!(
                matches!(e, StreamError::UnsupportedDelta { frame: 0, .. }),
                "{frag}: {e}"
            );
        }
    }

    #[test]
    fn limits() {
        let mut acc = StreamAccumulator::with_limits(StreamLimits::new().with_max_total_bytes(10));
        assert!(matches!(
            acc.push_frame(&[b' '; 11]),
            Err(StreamError::LimitExceeded { what: "bytes", .. })
        ));
        let mut acc = StreamAccumulator::with_limits(StreamLimits::new().with_max_events(1));
        acc.push_frame(b"data: {}\n").unwrap();
        assert!(matches!(
            acc.push_frame(b"data: {}\n"),
            Err(StreamError::LimitExceeded { what: "events", .. })
        ));
        let mut acc = StreamAccumulator::with_limits(StreamLimits::new().with_max_tool_calls(2));
        let frame = |i: u32| {
            format!(r#"data: {{"choices": [{{"delta": {{"tool_calls": [{{"index": {i}}}]}}}}]}}"#)
        };
        acc.push_frame(frame(0).as_bytes()).unwrap();
        acc.push_frame(frame(1).as_bytes()).unwrap();
        acc.push_frame(frame(1).as_bytes()).unwrap();
        assert!(matches!(
            acc.push_frame(frame(2).as_bytes()),
            Err(StreamError::LimitExceeded {
                what: "tool calls",
                ..
            })
        ));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let mut acc = StreamAccumulator::new();
        acc.push_frame(
            b"data: {\"choices\": [{\"delta\": {\"content\": \"a\xffb\xed\xa0\x80c\"}}]}\n",
        )
        .unwrap();
        assert_eq!(acc.content(), "a\u{fffd}b\u{fffd}\u{fffd}\u{fffd}c");
    }
}
