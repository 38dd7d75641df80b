//! The signed output of a single-shot response (PROTOCOL §3): the exact string the
//! gateway hashed as `tee_output_hash`.

use crate::pyjson::to_python_json;
use crate::request::py_type_name;
use crate::value::{Map, Value};

/// Why the signed output of a response cannot be reproduced.
///
/// Messages never quote response content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The response body is not a JSON object.
    #[error("the response body is not a JSON object")]
    BodyNotObject,
    /// A content part is neither an object nor a string: the reference would sign
    /// Python's `str()` of it, which this crate does not imitate (PROTOCOL §8).
    #[error(
        "content part {index} of the response message is {kind}, not an object or a string: \
         its signed text (Python's str() of it) is not reproduced"
    )]
    NonTextPart {
        /// The part's position in the content list.
        index: usize,
        /// Its Python type name.
        kind: &'static str,
    },
    /// A content part's `text` is present but not a string (the reference crashes).
    #[error(
        "content part {index} of the response message has a 'text' that is {kind}, not a string"
    )]
    PartTextNotString {
        /// The part's position in the content list.
        index: usize,
        /// The `text` value's Python type name.
        kind: &'static str,
    },
}

impl OutputError {
    /// The error category: `malformed_inner` (the response cannot be verified as the
    /// reference would).
    pub fn category(&self) -> &'static str {
        "malformed_inner"
    }
}

/// The signed output of a single-shot response body (PROTOCOL §3):
/// `json.dumps(tool_calls, sort_keys=True)` when `choices[0].finish_reason` is
/// `"tool_calls"` and `choices[0].message.tool_calls` is a list; else the message
/// content when it is a string, the concatenated `text` of its parts when it is a
/// list, and `""` otherwise.
///
/// ```
/// let body = og_canon::parse(r#"{"choices": [{"message": {"content": [{"type": "text", "text": "a"}, "b"]}, "finish_reason": "stop"}]}"#).unwrap();
/// assert_eq!(og_canon::signed_output(&body).unwrap(), "ab");
/// let calls = og_canon::parse(r#"{"choices": [{"message": {"content": null, "tool_calls": [{"id": "c", "type": "function"}]}, "finish_reason": "tool_calls"}]}"#).unwrap();
/// assert_eq!(og_canon::signed_output(&calls).unwrap(), r#"[{"id": "c", "type": "function"}]"#);
/// ```
pub fn signed_output(response_body: &Value) -> Result<String, OutputError> {
    let Value::Object(body) = response_body else {
        return Err(OutputError::BodyNotObject);
    };
    let Some(choice) = first_choice(body) else {
        return Ok(String::new());
    };
    let Some(Value::Object(message)) = choice.get("message") else {
        return Ok(String::new());
    };
    if let Some(calls @ Value::Array(_)) = message.get("tool_calls")
        && choice.get("finish_reason").and_then(Value::as_str) == Some("tool_calls")
    {
        return Ok(to_python_json(calls, true));
    }
    let mut out = String::new();
    content_text(message.get("content"), &mut out)?;
    Ok(out)
}

/// `choices[0]` when `choices` is a non-empty list whose first item is an object.
pub(crate) fn first_choice(body: &Map) -> Option<&Map> {
    match body.get("choices") {
        Some(Value::Array(choices)) => choices.first().and_then(Value::as_object),
        _ => None,
    }
}

/// Appends the reference's `_content_text(content)`: a string as it is, a list's
/// parts joined (an object part's `text`, `""` when absent; a string part itself);
/// anything else adds nothing.
pub(crate) fn content_text(content: Option<&Value>, out: &mut String) -> Result<(), OutputError> {
    match content {
        Some(Value::String(s)) => out.push_str(s),
        Some(Value::Array(parts)) => {
            for (index, part) in parts.iter().enumerate() {
                match part {
                    Value::Object(p) => match p.get("text") {
                        None => {}
                        Some(Value::String(s)) => out.push_str(s),
                        Some(other) => {
                            return Err(OutputError::PartTextNotString {
                                index,
                                kind: py_type_name(other),
                            });
                        }
                    },
                    Value::String(s) => out.push_str(s),
                    other => {
                        return Err(OutputError::NonTextPart {
                            index,
                            kind: py_type_name(other),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn out(text: &str) -> Result<String, OutputError> {
        signed_output(&parse(text).unwrap())
    }

    #[test]
    fn shapes() {
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": "hi"}}]}"#).unwrap(),
            "hi"
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": null}}]}"#).unwrap(),
            ""
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": 5}}]}"#).unwrap(),
            ""
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": {"text": "x"}}}]}"#).unwrap(),
            ""
        );
        assert_eq!(out(r#"{"choices": []}"#).unwrap(), "");
        assert_eq!(out(r#"{"choices": {"0": 1}}"#).unwrap(), "");
        assert_eq!(out(r#"{"choices": ["x"]}"#).unwrap(), "");
        assert_eq!(out(r#"{"choices": [{"message": "x"}]}"#).unwrap(), "");
        assert_eq!(out(r#"{}"#).unwrap(), "");
        assert_eq!(out(r#"{"choices": [{"message": {"content": [{"type": "image"}, "a", {"text": "b"}]}}]}"#).unwrap(), "ab");
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": "c", "tool_calls": {"a": 1}}, "finish_reason": "tool_calls"}]}"#).unwrap(),
            "c"
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": "c", "tool_calls": []}, "finish_reason": "tool_calls"}]}"#).unwrap(),
            "[]"
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": "c", "tool_calls": [1]}, "finish_reason": "stop"}]}"#).unwrap(),
            "c"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(out("[]"), Err(OutputError::BodyNotObject));
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": ["n=", 5]}}]}"#),
            Err(OutputError::NonTextPart {
                index: 1,
                kind: "int"
            })
        );
        assert_eq!(
            out(r#"{"choices": [{"message": {"content": [{"text": null}]}}]}"#),
            Err(OutputError::PartTextNotString {
                index: 0,
                kind: "NoneType"
            })
        );
        let e =
            out(r#"{"choices": [{"message": {"content": [{"text": ["secret"]}]}}]}"#).unwrap_err();
        assert!(!e.to_string().contains("secret"));
        assert_eq!(e.category(), "malformed_inner");
    }
}
