//! The simulated enclave's built-in model: deterministic answers, token by token.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use og_canon::Value;

/// One tool call the model makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCall {
    /// The call id (`call_...`).
    pub id: String,
    /// The function name.
    pub name: String,
    /// The JSON arguments, as text.
    pub arguments: String,
}

impl ToolCall {
    /// A call with the given id, function name and JSON arguments.
    ///
    /// ```
    /// let c = og_sim::ToolCall::new("call_1", "get_weather", r#"{"city": "Paris"}"#);
    /// assert_eq!(c.name, "get_weather");
    /// ```
    pub fn new(id: &str, name: &str, arguments: &str) -> Self {
        ToolCall {
            id: id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        }
    }
}

/// One answer of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Assistant text.
    Text(String),
    /// Tool calls (`finish_reason: "tool_calls"`).
    ToolCalls(Vec<ToolCall>),
}

/// How the model answers.
///
/// ```
/// use og_sim::{Model, Reply};
/// let m = Model::scripted([Reply::Text("Hi!".into())]);
/// let body = og_canon::parse(r#"{"messages": [{"role": "user", "content": "x"}]}"#).unwrap();
/// assert_eq!(m.answer(&body), Reply::Text("Hi!".into()));
/// // A script that ran out falls back to echoing.
/// assert_eq!(m.answer(&body), Reply::Text("You said: x".into()));
/// ```
#[derive(Debug, Default)]
pub struct Model {
    script: Mutex<VecDeque<Reply>>,
    /// Delay before each streamed token (0 by default).
    pub token_delay: Duration,
}

impl Model {
    /// Echoes the last user message: `You said: <text>`.
    pub fn echo() -> Self {
        Model::default()
    }

    /// Answers with `replies` in order, then echoes.
    pub fn scripted(replies: impl IntoIterator<Item = Reply>) -> Self {
        Model {
            script: Mutex::new(replies.into_iter().collect()),
            token_delay: Duration::ZERO,
        }
    }

    /// Sets the delay before each streamed token.
    pub fn with_token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// Queues more scripted replies.
    pub fn push(&self, reply: Reply) {
        self.lock().push_back(reply);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Reply>> {
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer to a wire request: the next scripted reply, else the echo.
    pub fn answer(&self, wire: &Value) -> Reply {
        if let Some(reply) = self.lock().pop_front() {
            return reply;
        }
        Reply::Text(format!("You said: {}", last_user_text(wire)))
    }
}

/// The text of the last user message (text parts joined; attachments named).
fn last_user_text(wire: &Value) -> String {
    let Some(messages) = wire.get("messages").and_then(Value::as_array) else {
        return String::new();
    };
    let Some(user) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    else {
        return String::new();
    };
    match user.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p.get("type").and_then(Value::as_str) {
                Some("text") => p
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                Some(other) => format!("[{other}]"),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Splits text into stream tokens: words with their following whitespace.
///
/// ```
/// assert_eq!(og_sim::model::tokens("One, two  three."), ["One, ", "two  ", "three."]);
/// assert!(og_sim::model::tokens("").is_empty());
/// ```
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&text[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_reads_the_last_user_message_and_its_parts() {
        let body = og_canon::parse(
            r#"{"messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "a"},
                {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:"}}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            Model::echo().answer(&body),
            Reply::Text("You said: look [image_url]".into())
        );
    }

    #[test]
    fn tokens_rejoin_to_the_text() {
        for t in ["a b c", "  lead", "trail  ", "é ü\n😀 x", ""] {
            assert_eq!(tokens(t).concat(), t);
        }
    }
}
