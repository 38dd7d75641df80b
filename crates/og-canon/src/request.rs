//! `build_inner_request(body) -> (wire, canonical)` (PROTOCOL §2.1), with the
//! reference's rules, Python truthiness included, and typed refusals (§8).

use core::fmt;

use crate::hash::Hash32;
use crate::pyjson::{self, Counter, Sink, write_str, write_value};
use crate::value::{Map, Number, Value};

/// Why a request body was refused.
///
/// The first six are the reference's own `UnsupportedRequestError`s; the others are
/// inputs where the reference crashes with a Python `TypeError`/`AttributeError`/
/// `ValueError`/`OverflowError`, or applies Python's `str()` (PROTOCOL §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnsupportedReason {
    /// The body is not a JSON object.
    BodyNotObject,
    /// `model` is missing, not a string, or empty.
    MissingModel,
    /// `messages` is missing, not a list, or empty.
    MissingMessages,
    /// A message is not a JSON object.
    MessageNotObject,
    /// A message's `role` is missing or not one of `system`, `developer`, `user`,
    /// `assistant`, `tool`, `function`.
    UnknownRole,
    /// `tools` is truthy and not a list.
    ToolsNotList,
    /// `temperature` is not a number, a boolean, or a plain decimal string, or does
    /// not fit a finite double (the reference crashes in `float()`).
    BadTemperature,
    /// An assistant's truthy `tool_calls` is not a list (the reference crashes).
    ToolCallsNotList,
    /// A `tool_calls` entry is not an object (the reference crashes).
    ToolCallNotObject,
    /// A tool call's `function` is present but not an object, `null` included (the
    /// reference crashes).
    ToolCallFunctionNotObject,
    /// A user message's content is missing, `null`, a number, a boolean or an object
    /// (the reference would hash Python's `str()` of it).
    UserContentNotText,
    /// A user content part is neither an object nor a string (the reference would
    /// hash Python's `str()` of it).
    ContentPartNotObject,
}

impl UnsupportedReason {
    /// True where the reference accepts the input through a Python-only rule
    /// (`may_reject` in the vectors) rather than refusing or crashing.
    pub fn is_stricter_than_reference(self) -> bool {
        matches!(
            self,
            UnsupportedReason::UserContentNotText
                | UnsupportedReason::ContentPartNotObject
                | UnsupportedReason::BadTemperature
        )
    }
}

/// A request body that cannot be turned into a gateway request.
///
/// Its message is the reference's where it has one (`unknown message role: 'User'`),
/// else a sentence saying what is wrong and where. It quotes no message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UnsupportedRequest {
    reason: UnsupportedReason,
    message: String,
}

impl UnsupportedRequest {
    fn new(reason: UnsupportedReason, message: impl Into<String>) -> Self {
        UnsupportedRequest {
            reason,
            message: message.into(),
        }
    }

    /// What was wrong.
    pub fn reason(&self) -> UnsupportedReason {
        self.reason
    }

    /// The vector category: `unsupported_request`.
    pub fn category(&self) -> &'static str {
        "unsupported_request"
    }
}

/// The request in its two forms: the canonical object the gateway hashes and signs,
/// and the wire object that is encrypted and sent (written on demand from the
/// caller's body, so attachments are never cloned).
///
/// ```
/// let body = og_canon::parse(r#"{"model": "gpt-4.1", "top_p": 0.5,
///     "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
///         {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}"#).unwrap();
/// let req = og_canon::build_inner_request(&body).unwrap();
/// assert_eq!(
///     req.canonical_bytes(),
///     br#"{"messages": [{"content": [{"text": "hi", "type": "text"}, {"type": "image_url"}], "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#
/// );
/// assert_eq!(req.request_hash(), og_canon::keccak256(&req.canonical_bytes()));
/// assert_eq!(
///     req.wire_bytes(true),
///     br#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}], "temperature": 0.0, "stream": true}"#
/// );
/// ```
#[derive(Clone)]
pub struct InnerRequest<'a> {
    body: &'a Map,
    messages: &'a [Value],
    canonical: Value,
}

impl fmt::Debug for InnerRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InnerRequest")
            .field("model", &self.canonical.get("model"))
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

impl<'a> InnerRequest<'a> {
    /// The canonical object (what the gateway hashes).
    pub fn canonical(&self) -> &Value {
        &self.canonical
    }

    /// The canonical object, owned.
    pub fn into_canonical(self) -> Value {
        self.canonical
    }

    /// The canonical bytes: `json.dumps(canonical, sort_keys=True).encode()`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        pyjson::canonical_bytes(&self.canonical)
    }

    /// The request hash the gateway signs: Keccak-256 of the canonical bytes.
    pub fn request_hash(&self) -> Hash32 {
        pyjson::canonical_hash(&self.canonical)
    }

    /// The caller's body this request was built from.
    pub fn body(&self) -> &'a Map {
        self.body
    }

    /// Writes the wire JSON exactly as the reference's `json.dumps(wire)` (plus
    /// `"stream": true` last when `stream`), reading user content straight from the
    /// caller's body.
    pub fn write_wire<S: Sink + ?Sized>(&self, stream: bool, sink: &mut S) {
        let Value::Object(canonical) = &self.canonical else {
            return;
        };
        sink.write_bytes(b"{");
        for (i, (key, value)) in canonical.iter().enumerate() {
            if i > 0 {
                sink.write_bytes(b", ");
            }
            write_str(key, sink);
            sink.write_bytes(b": ");
            match value {
                Value::Array(messages) if key == "messages" => self.write_messages(messages, sink),
                _ => write_value(value, false, sink),
            }
        }
        if let Some(choice) = self.tool_choice() {
            sink.write_bytes(b", \"tool_choice\": ");
            write_value(choice, false, sink);
        }
        if stream {
            sink.write_bytes(b", \"stream\": true");
        }
        sink.write_bytes(b"}");
    }

    /// The wire JSON's exact length in bytes.
    pub fn wire_len(&self, stream: bool) -> usize {
        let mut n = Counter(0);
        self.write_wire(stream, &mut n);
        n.0
    }

    /// The wire JSON (`json.dumps(wire)`, byte-identical to the reference's).
    ///
    /// The buffer is sized exactly first, so every byte of an attachment is copied
    /// once, into it.
    pub fn wire_bytes(&self, stream: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len(stream));
        self.write_wire(stream, &mut out);
        out
    }

    /// The wire object as a [`Value`] (clones the body's content; prefer
    /// [`InnerRequest::wire_bytes`]).
    pub fn wire_value(&self, stream: bool) -> Value {
        let mut wire = match &self.canonical {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        if let Some(Value::Array(messages)) = wire.get_mut("messages") {
            for (cm, orig) in messages.iter_mut().zip(self.messages) {
                if is_user(cm) {
                    let content = orig.get("content").cloned().unwrap_or(Value::Null);
                    if let Value::Object(m) = cm {
                        m.insert("content".into(), content);
                    }
                }
            }
        }
        if let Some(choice) = self.tool_choice() {
            wire.insert("tool_choice".into(), choice.clone());
        }
        if stream {
            wire.insert("stream".into(), Value::Bool(true));
        }
        Value::Object(wire)
    }

    fn tool_choice(&self) -> Option<&'a Value> {
        self.body.get("tool_choice").filter(|v| !v.is_null())
    }

    fn write_messages<S: Sink + ?Sized>(&self, canonical: &[Value], sink: &mut S) {
        sink.write_bytes(b"[");
        for (i, cm) in canonical.iter().enumerate() {
            if i > 0 {
                sink.write_bytes(b", ");
            }
            if is_user(cm) {
                sink.write_bytes(b"{\"role\": \"user\", \"content\": ");
                let original = self.messages.get(i).and_then(|m| m.get("content"));
                write_value(original.unwrap_or(&Value::Null), false, sink);
                sink.write_bytes(b"}");
            } else {
                write_value(cm, false, sink);
            }
        }
        sink.write_bytes(b"]");
    }
}

fn is_user(canonical_message: &Value) -> bool {
    canonical_message.get("role").and_then(Value::as_str) == Some("user")
}

/// Builds the wire and canonical forms of an OpenAI `/v1/chat/completions` body
/// (PROTOCOL §2.1), exactly as the reference `build_inner_request` does.
///
/// Refused ([`UnsupportedRequest`]): everything the reference refuses, every input
/// where it crashes, and the `may_reject` inputs of PROTOCOL §8 (see the crate docs).
///
/// ```
/// let body = og_canon::parse(r#"{"model": "m", "messages": [{"role": "User", "content": "x"}]}"#).unwrap();
/// let err = og_canon::build_inner_request(&body).unwrap_err();
/// assert_eq!(err.to_string(), "unknown message role: 'User'");
/// assert_eq!(err.reason(), og_canon::UnsupportedReason::UnknownRole);
/// ```
pub fn build_inner_request(body: &Value) -> Result<InnerRequest<'_>, UnsupportedRequest> {
    use UnsupportedReason as R;
    let Value::Object(body_map) = body else {
        return Err(UnsupportedRequest::new(
            R::BodyNotObject,
            "request body must be a JSON object",
        ));
    };
    let model = match body_map.get("model") {
        Some(m @ Value::String(s)) if !s.is_empty() => m,
        _ => {
            return Err(UnsupportedRequest::new(
                R::MissingModel,
                "request is missing a 'model'",
            ));
        }
    };
    let messages = match body_map.get("messages") {
        Some(Value::Array(a)) if !a.is_empty() => a.as_slice(),
        _ => {
            return Err(UnsupportedRequest::new(
                R::MissingMessages,
                "request is missing 'messages'",
            ));
        }
    };
    let mut message_maps = Vec::with_capacity(messages.len());
    for m in messages {
        match m {
            Value::Object(map) => message_maps.push(map),
            other => {
                return Err(UnsupportedRequest::new(
                    R::MessageNotObject,
                    format!(
                        "each message must be a JSON object, got {}",
                        py_type_name(other)
                    ),
                ));
            }
        }
    }
    let canonical_messages = message_maps
        .iter()
        .enumerate()
        .map(|(i, m)| canonical_message(i, m))
        .collect::<Result<Vec<_>, _>>()?;

    let temperature = temperature(body_map.get("temperature"))?;
    let mut canonical = Map::with_capacity(8);
    canonical.insert("model".into(), model.clone());
    canonical.insert("messages".into(), Value::Array(canonical_messages));
    canonical.insert("temperature".into(), Value::Number(temperature));
    if let Some(v) = body_map.get("max_tokens").filter(|v| !v.is_null()) {
        canonical.insert("max_tokens".into(), v.clone());
    }
    if let Some(v) = truthy(body_map, "stop") {
        canonical.insert("stop".into(), v.clone());
    }
    if let Some(tools) = truthy(body_map, "tools") {
        if !matches!(tools, Value::Array(_)) {
            return Err(UnsupportedRequest::new(
                R::ToolsNotList,
                format!("'tools' must be a list, got {}", py_type_name(tools)),
            ));
        }
        canonical.insert("tools".into(), tools.clone());
    }
    if let Some(v) = truthy(body_map, "response_format") {
        canonical.insert("response_format".into(), v.clone());
    }
    if truthy(body_map, "web_search").is_some() {
        canonical.insert("web_search".into(), Value::Bool(true));
    }
    Ok(InnerRequest {
        body: body_map,
        messages,
        canonical: Value::Object(canonical),
    })
}

fn truthy<'v>(map: &'v Map, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|v| v.is_truthy())
}

fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn get_or_null(map: &Map, key: &str) -> Value {
    map.get(key).cloned().unwrap_or(Value::Null)
}

fn canonical_message(index: usize, msg: &Map) -> Result<Value, UnsupportedRequest> {
    use UnsupportedReason as R;
    let role = msg.get("role");
    Ok(match role.and_then(Value::as_str) {
        Some("system" | "developer") => object([
            ("role", Value::from("system")),
            ("content", get_or_null(msg, "content")),
        ]),
        Some("user") => object([
            ("role", Value::from("user")),
            (
                "content",
                canonical_user_content(index, msg.get("content"))?,
            ),
        ]),
        Some("assistant") => {
            let content = truthy(msg, "content")
                .cloned()
                .unwrap_or_else(|| Value::from(""));
            let mut out = Map::with_capacity(3);
            out.insert("role".into(), Value::from("assistant"));
            out.insert("content".into(), content);
            if let Some(calls) = truthy(msg, "tool_calls") {
                let Value::Array(calls) = calls else {
                    return Err(UnsupportedRequest::new(
                        R::ToolCallsNotList,
                        format!(
                            "message {index}: 'tool_calls' must be a list, got {}",
                            py_type_name(calls)
                        ),
                    ));
                };
                let calls = calls
                    .iter()
                    .enumerate()
                    .map(|(j, call)| canonical_tool_call(index, j, call))
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert("tool_calls".into(), Value::Array(calls));
            }
            Value::Object(out)
        }
        Some("tool") => object([
            ("role", Value::from("tool")),
            ("content", get_or_null(msg, "content")),
            ("tool_call_id", get_or_null(msg, "tool_call_id")),
        ]),
        Some("function") => object([
            ("role", Value::from("function")),
            ("content", get_or_null(msg, "content")),
            ("name", get_or_null(msg, "name")),
        ]),
        _ => {
            return Err(UnsupportedRequest::new(
                R::UnknownRole,
                format!("unknown message role: {}", py_repr_short(role)),
            ));
        }
    })
}

fn canonical_tool_call(index: usize, j: usize, call: &Value) -> Result<Value, UnsupportedRequest> {
    use UnsupportedReason as R;
    let Value::Object(call) = call else {
        return Err(UnsupportedRequest::new(
            R::ToolCallNotObject,
            format!(
                "message {index}: tool call {j} must be a JSON object, got {}",
                py_type_name(call)
            ),
        ));
    };
    let function = match call.get("function") {
        None => None,
        Some(Value::Object(f)) => Some(f),
        Some(other) => {
            return Err(UnsupportedRequest::new(
                R::ToolCallFunctionNotObject,
                format!(
                    "message {index}: tool call {j}: 'function' must be a JSON object, got {}",
                    py_type_name(other)
                ),
            ));
        }
    };
    let or = |v: Option<&Value>, default: &str| v.cloned().unwrap_or_else(|| Value::from(default));
    Ok(object([
        ("id", or(call.get("id"), "")),
        ("type", or(call.get("type"), "function")),
        (
            "function",
            object([
                ("name", or(function.and_then(|f| f.get("name")), "")),
                (
                    "arguments",
                    or(function.and_then(|f| f.get("arguments")), ""),
                ),
            ]),
        ),
    ]))
}

fn canonical_user_content(
    index: usize,
    content: Option<&Value>,
) -> Result<Value, UnsupportedRequest> {
    use UnsupportedReason as R;
    let parts = match content {
        Some(Value::String(s)) => return Ok(Value::String(s.clone())),
        Some(Value::Array(parts)) => parts,
        other => {
            let what = other.map_or("missing", py_type_name);
            return Err(UnsupportedRequest::new(
                R::UserContentNotText,
                format!(
                    "message {index}: user content must be a string or a list of content parts, got {what} \
                     (the reference would hash Python's str() of it; send a string)"
                ),
            ));
        }
    };
    let mut out = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        out.push(match part {
            Value::Object(p) => {
                if p.get("type").and_then(Value::as_str) == Some("text") {
                    let text = truthy(p, "text")
                        .cloned()
                        .unwrap_or_else(|| Value::from(""));
                    object([("type", Value::from("text")), ("text", text)])
                } else {
                    let mut entry = Map::with_capacity(2);
                    entry.insert("type".into(), get_or_null(p, "type"));
                    let from_file = p
                        .get("file")
                        .and_then(Value::as_object)
                        .and_then(|f| f.get("filename"))
                        .filter(|v| v.is_truthy());
                    if let Some(name) = from_file.or_else(|| truthy(p, "filename")) {
                        entry.insert("filename".into(), name.clone());
                    }
                    Value::Object(entry)
                }
            }
            Value::String(s) => object([
                ("type", Value::from("text")),
                ("text", Value::String(s.clone())),
            ]),
            other => {
                return Err(UnsupportedRequest::new(
                    R::ContentPartNotObject,
                    format!(
                        "message {index}: content part {j} is {}, not an object or a string \
                         (the reference would hash Python's str() of it)",
                        py_type_name(other)
                    ),
                ));
            }
        });
    }
    Ok(Value::Array(out))
}

/// `float(temperature)` with PROTOCOL §8's limits; `None`/`null` is `0.0`.
fn temperature(value: Option<&Value>) -> Result<Number, UnsupportedRequest> {
    let bad = |why: String| UnsupportedRequest::new(UnsupportedReason::BadTemperature, why);
    let f = match value {
        None | Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => {
            if *b {
                1.0
            } else {
                0.0
            }
        }
        Some(Value::Number(n)) => n
            .to_f64()
            .ok_or_else(|| bad("'temperature' is an integer too large for a float".into()))?,
        Some(Value::String(s)) => parse_plain_decimal(s).ok_or_else(|| {
            bad("'temperature' must be a number, or a string holding a plain decimal number such as \"0.7\"".into())
        })?,
        Some(other) => {
            return Err(bad(format!(
                "'temperature' must be a number, got {}",
                py_type_name(other)
            )));
        }
    };
    Number::from_f64(f).ok_or_else(|| bad("'temperature' is not a finite number".into()))
}

/// A plain decimal literal: `[+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?`,
/// read as Python's `float()` reads it; `None` for anything else or a non-finite result.
fn parse_plain_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let at = |i: usize| b.get(i).copied();
    if let Some(b'+' | b'-') = at(i) {
        i += 1;
    }
    let int_start = i;
    while at(i).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
    }
    let mut mantissa_digits = i - int_start;
    if at(i) == Some(b'.') {
        i += 1;
        let frac_start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        mantissa_digits += i - frac_start;
    }
    if mantissa_digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = at(i) {
        i += 1;
        if let Some(b'+' | b'-') = at(i) {
            i += 1;
        }
        let exp_start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Python's `type(v).__name__`.
pub(crate) fn py_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_float() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A Python-like `repr` of a scalar (strings cut at 64 characters), for messages.
fn py_repr_short(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(Value::Bool(true)) => "True".into(),
        Some(Value::Bool(false)) => "False".into(),
        Some(Value::Number(n)) => {
            let mut out = Vec::new();
            pyjson::write_number(n, &mut out);
            String::from_utf8_lossy(&out).into_owned()
        }
        Some(Value::String(s)) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::new();
            out.push(quote);
            for (i, c) in s.chars().enumerate() {
                if i == 64 {
                    out.push_str("...");
                    break;
                }
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                        out.push_str(&format!("\\x{:02x}", c as u32));
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        Some(Value::Array(_)) => "[...]".into(),
        Some(Value::Object(_)) => "{...}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{canonical_bytes, parse};

    fn build(text: &str) -> Result<(String, String), UnsupportedRequest> {
        let body = parse(text).unwrap();
        let req = build_inner_request(&body)?;
        Ok((
            String::from_utf8(req.canonical_bytes()).unwrap(),
            String::from_utf8(req.wire_bytes(false)).unwrap(),
        ))
    }

    fn reason(text: &str) -> UnsupportedReason {
        build(text).unwrap_err().reason()
    }

    fn msg(m: &str) -> String {
        format!(r#"{{"model": "m", "messages": [{m}]}}"#)
    }

    #[test]
    fn reference_messages() {
        let cases = [
            ("[]", "request body must be a JSON object"),
            (
                r#"{"messages": [{"role": "user", "content": "x"}]}"#,
                "request is missing a 'model'",
            ),
            (
                r#"{"model": "", "messages": [{"role": "user", "content": "x"}]}"#,
                "request is missing a 'model'",
            ),
            (
                r#"{"model": 5, "messages": [{"role": "user", "content": "x"}]}"#,
                "request is missing a 'model'",
            ),
            (r#"{"model": "m"}"#, "request is missing 'messages'"),
            (
                r#"{"model": "m", "messages": []}"#,
                "request is missing 'messages'",
            ),
            (
                r#"{"model": "m", "messages": {"a": 1}}"#,
                "request is missing 'messages'",
            ),
            (
                r#"{"model": "m", "messages": ["hi"]}"#,
                "each message must be a JSON object, got str",
            ),
            (
                r#"{"model": "m", "messages": [null]}"#,
                "each message must be a JSON object, got NoneType",
            ),
            (
                &msg(r#"{"role": "User", "content": "x"}"#),
                "unknown message role: 'User'",
            ),
            (&msg(r#"{"content": "x"}"#), "unknown message role: None"),
            (&msg(r#"{"role": 5}"#), "unknown message role: 5"),
            (
                &msg(r#"{"role": "it's"}"#),
                r#"unknown message role: "it's""#,
            ),
            (
                r#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": {"a": 1}}"#,
                "'tools' must be a list, got dict",
            ),
            (
                r#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": "abc"}"#,
                "'tools' must be a list, got str",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(build(text).unwrap_err().to_string(), want, "{text}");
        }
    }

    #[test]
    fn every_message_is_checked_before_roles() {
        // The reference checks that every message is an object before it looks at roles.
        let text = r#"{"model": "m", "messages": [{"role": "bogus"}, 5]}"#;
        assert_eq!(reason(text), UnsupportedReason::MessageNotObject);
    }

    #[test]
    fn crash_cases_are_refused() {
        use UnsupportedReason as R;
        let with = |extra: &str| {
            format!(
                r#"{{"model": "m", "messages": [{{"role": "user", "content": "x"}}], {extra}}}"#
            )
        };
        assert_eq!(reason(&with(r#""temperature": "hot""#)), R::BadTemperature);
        assert_eq!(reason(&with(r#""temperature": []"#)), R::BadTemperature);
        assert_eq!(reason(&with(r#""temperature": {}"#)), R::BadTemperature);
        assert_eq!(
            reason(&with(&format!(r#""temperature": 1{}"#, "0".repeat(400)))),
            R::BadTemperature
        );
        assert_eq!(
            reason(&with(r#""temperature": "1e400""#)),
            R::BadTemperature
        );
        assert_eq!(reason(&with(r#""temperature": "nan""#)), R::BadTemperature);
        assert_eq!(reason(&with(r#""temperature": " 0.7""#)), R::BadTemperature);
        assert_eq!(reason(&with(r#""temperature": "1_0""#)), R::BadTemperature);
        assert_eq!(
            reason(&msg(r#"{"role": "assistant", "tool_calls": ["x"]}"#)),
            R::ToolCallNotObject
        );
        assert_eq!(
            reason(&msg(r#"{"role": "assistant", "tool_calls": "abc"}"#)),
            R::ToolCallsNotList
        );
        assert_eq!(
            reason(&msg(r#"{"role": "assistant", "tool_calls": {"a": 1}}"#)),
            R::ToolCallsNotList
        );
        assert_eq!(
            reason(&msg(
                r#"{"role": "assistant", "tool_calls": [{"function": null}]}"#
            )),
            R::ToolCallFunctionNotObject
        );
        assert_eq!(
            reason(&msg(
                r#"{"role": "assistant", "tool_calls": [{"function": []}]}"#
            )),
            R::ToolCallFunctionNotObject
        );
        assert_eq!(
            reason(&msg(
                r#"{"role": "assistant", "tool_calls": [{"function": "f"}]}"#
            )),
            R::ToolCallFunctionNotObject
        );
    }

    #[test]
    fn may_reject_inputs_are_refused() {
        use UnsupportedReason as R;
        for content in ["null", "42", "1.5", "true", r#"{"a": 1}"#] {
            let text = msg(&format!(r#"{{"role": "user", "content": {content}}}"#));
            assert_eq!(reason(&text), R::UserContentNotText, "{content}");
            assert!(R::UserContentNotText.is_stricter_than_reference());
        }
        assert_eq!(reason(&msg(r#"{"role": "user"}"#)), R::UserContentNotText);
        for part in ["5", "null", "1.5", "true", "[]"] {
            let text = msg(&format!(r#"{{"role": "user", "content": [{part}]}}"#));
            assert_eq!(reason(&text), R::ContentPartNotObject, "{part}");
        }
        let err = build(&msg(r#"{"role": "user", "content": ["ok", 5]}"#)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "message 0: content part 1 is int, not an object or a string (the reference would hash Python's str() of it)"
        );
    }

    #[test]
    fn temperature_forms() {
        let t = |v: &str| {
            let (canon, _) = build(&format!(r#"{{"model": "m", "messages": [{{"role": "user", "content": "x"}}], "temperature": {v}}}"#)).unwrap();
            let start = canon.find("\"temperature\": ").unwrap() + 15;
            canon[start..canon.len() - 1].to_owned()
        };
        assert_eq!(t("1"), "1.0");
        assert_eq!(t("0"), "0.0");
        assert_eq!(t("true"), "1.0");
        assert_eq!(t("false"), "0.0");
        assert_eq!(t("null"), "0.0");
        assert_eq!(t("-0.0"), "-0.0");
        assert_eq!(t("1e-7"), "1e-07");
        assert_eq!(t("1e16"), "1e+16");
        assert_eq!(t("1000000000000000000000000000000"), "1e+30");
        assert_eq!(t("\"0.7\""), "0.7");
        assert_eq!(t("\"-1e-3\""), "-0.001");
        assert_eq!(t("\"+.5\""), "0.5");
        assert_eq!(t("\"5.\""), "5.0");
        assert_eq!(t("9007199254740993"), "9007199254740992.0");
    }

    #[test]
    fn optional_fields_follow_python_truthiness() {
        let base = r#""model": "m", "messages": [{"role": "user", "content": "x"}]"#;
        let canon = |extra: &str| build(&format!("{{{base}, {extra}}}")).unwrap().0;
        let plain =
            r#"{"messages": [{"content": "x", "role": "user"}], "model": "m", "temperature": 0.0}"#;
        for falsy in ["null", "false", "0", "0.0", "-0.0", "\"\"", "[]", "{}"] {
            for key in ["stop", "tools", "response_format", "web_search"] {
                assert_eq!(
                    canon(&format!(r#""{key}": {falsy}"#)),
                    plain,
                    "{key}: {falsy}"
                );
            }
        }
        assert_eq!(canon(r#""max_tokens": null"#), plain);
        assert!(canon(r#""max_tokens": 0"#).contains(r#""max_tokens": 0"#));
        assert!(canon(r#""max_tokens": false"#).contains(r#""max_tokens": false"#));
        assert!(canon(r#""web_search": "yes""#).contains(r#""web_search": true"#));
        assert!(canon(r#""stop": ["a"]"#).contains(r#""stop": ["a"]"#));
        assert_eq!(
            canon(
                r#""n": 2, "top_p": 0.5, "seed": 1, "stream": true, "user": "u", "tool_choice": "auto""#
            ),
            plain
        );
    }

    #[test]
    fn roles_and_defaults() {
        let (canon, wire) = build(&msg(concat!(
            r#"{"role": "developer", "content": "d"}, {"role": "system"}, "#,
            r#"{"role": "assistant", "content": 0, "tool_calls": [{"function": {}}, {"id": null, "type": "t", "index": 3, "function": {"name": "f", "arguments": "{}", "x": 1}}]}, "#,
            r#"{"role": "tool", "content": "r", "name": "n"}, {"role": "function", "name": "f"}"#
        )))
        .unwrap();
        assert_eq!(
            canon,
            concat!(
                r#"{"messages": [{"content": "d", "role": "system"}, {"content": null, "role": "system"}, "#,
                r#"{"content": "", "role": "assistant", "tool_calls": [{"function": {"arguments": "", "name": ""}, "id": "", "type": "function"}, "#,
                r#"{"function": {"arguments": "{}", "name": "f"}, "id": null, "type": "t"}]}, "#,
                r#"{"content": "r", "role": "tool", "tool_call_id": null}, {"content": null, "name": "f", "role": "function"}], "#,
                r#""model": "m", "temperature": 0.0}"#
            )
        );
        assert!(
            wire.starts_with(r#"{"model": "m", "messages": [{"role": "system", "content": "d"}"#)
        );
    }

    #[test]
    fn user_parts() {
        let (canon, wire) = build(&msg(concat!(
            r#"{"role": "user", "content": ["s", {"type": "text"}, {"type": "text", "text": null}, {"type": "text", "text": 5}, {"text": "no type"}, "#,
            r#"{"type": "file", "file": {"filename": "", "file_data": "AAAA"}, "filename": "p.pdf"}, {"type": "file", "file": {"filename": "f.pdf"}, "filename": "p.pdf"}, "#,
            r#"{"type": "file", "file": "x", "filename": 0}, {"type": "input_audio", "input_audio": {"data": "AAAA"}}]}"#
        )))
        .unwrap();
        assert_eq!(
            canon,
            concat!(
                r#"{"messages": [{"content": [{"text": "s", "type": "text"}, {"text": "", "type": "text"}, {"text": "", "type": "text"}, {"text": 5, "type": "text"}, "#,
                r#"{"type": null}, {"filename": "p.pdf", "type": "file"}, {"filename": "f.pdf", "type": "file"}, {"type": "file"}, {"type": "input_audio"}], "role": "user"}], "#,
                r#""model": "m", "temperature": 0.0}"#
            )
        );
        // The wire carries the caller's content untouched.
        assert!(wire.contains(r#""file_data": "AAAA""#));
        assert!(
            wire.contains(r#"{"input_audio": {"data": "AAAA"}"#)
                || wire.contains(r#""input_audio": {"data": "AAAA"}"#)
        );
    }

    #[test]
    fn wire_order_and_stream() {
        let text = r#"{"stream": false, "tool_choice": {"type": "function"}, "web_search": 1, "response_format": {"type": "json_object"}, "tools": [{"type": "function"}], "stop": "x", "max_tokens": 5, "temperature": 0.5, "messages": [{"role": "user", "content": "hi"}], "model": "m"}"#;
        let body = parse(text).unwrap();
        let req = build_inner_request(&body).unwrap();
        let wire = String::from_utf8(req.wire_bytes(true)).unwrap();
        assert_eq!(
            wire,
            r#"{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "max_tokens": 5, "stop": "x", "tools": [{"type": "function"}], "response_format": {"type": "json_object"}, "web_search": true, "tool_choice": {"type": "function"}, "stream": true}"#
        );
        assert_eq!(req.wire_len(true), wire.len());
        assert_eq!(
            canonical_bytes(&req.wire_value(true)),
            canonical_bytes(&parse(&wire).unwrap())
        );
        assert_eq!(crate::to_json_bytes(&req.wire_value(true)), wire.as_bytes());
        // tool_choice "" is not None: forwarded; null is not.
        let body = parse(
            r#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": ""}"#,
        )
        .unwrap();
        assert!(
            String::from_utf8(build_inner_request(&body).unwrap().wire_bytes(false))
                .unwrap()
                .ends_with(r#", "tool_choice": ""}"#)
        );
        let body = parse(r#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": null}"#).unwrap();
        assert!(
            !String::from_utf8(build_inner_request(&body).unwrap().wire_bytes(false))
                .unwrap()
                .contains("tool_choice")
        );
    }
}
