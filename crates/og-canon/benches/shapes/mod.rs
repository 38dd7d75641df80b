//! The four request shapes issue #8 names, shared by og-canon's criterion bench
//! (`benches/canon.rs`) and the `cargo xtask bench` worker (`xtask/bench`, which
//! includes this file by path), so both measure the same bodies.

use og_canon::{Map, Value, parse};

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map>(),
    )
}

fn msg(role: &str, content: Value) -> Value {
    obj(vec![("role", role.into()), ("content", content)])
}

/// A 200-byte chat.
pub(crate) fn chat_200b() -> Value {
    obj(vec![
        ("model", "gpt-4.1".into()),
        (
            "messages",
            Value::Array(vec![
                msg("system", "You are a helpful assistant.".into()),
                msg(
                    "user",
                    "What is the capital of France? Answer in one word.".into(),
                ),
            ]),
        ),
        ("max_tokens", 64i64.into()),
    ])
}

/// 50 turns, about 40 KiB, with non-ASCII text and newlines to escape.
pub(crate) fn conversation_40k() -> Value {
    let mut messages = Vec::new();
    for i in 0..50 {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let text = format!(
            "Turn {i}: {} — “quoted” text with ünïcödé and a newline\n.",
            "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(13)
        );
        messages.push(msg(role, text.into()));
    }
    obj(vec![
        ("model", "gpt-4.1".into()),
        ("messages", Value::Array(messages)),
        ("temperature", parse("0.7").expect("a float literal")),
    ])
}

/// One user message with a 5 MiB base64 image.
pub(crate) fn attachment_5mib() -> Value {
    let data = "QUJD".repeat(5 * 1024 * 1024 / 4);
    let parts = Value::Array(vec![
        obj(vec![
            ("type", "text".into()),
            ("text", "Describe this image.".into()),
        ]),
        obj(vec![
            ("type", "image_url".into()),
            (
                "image_url",
                obj(vec![(
                    "url",
                    format!("data:image/png;base64,{data}").into(),
                )]),
            ),
        ]),
    ]);
    obj(vec![
        ("model", "gpt-4.1".into()),
        ("messages", Value::Array(vec![msg("user", parts)])),
    ])
}

/// 20 tools of 12 parameters each, about 30 KiB of schemas.
pub(crate) fn tools_30k() -> Value {
    let mut tools = Vec::new();
    for i in 0..20 {
        let mut props = Vec::new();
        for j in 0..12 {
            props.push(format!(
                r#""p{j}": {{"type": "string", "description": "parameter {j} of tool {i}, {}", "enum": ["a", "b", "c"]}}"#,
                "x".repeat(40)
            ));
        }
        let schema = format!(
            r#"{{"type": "function", "function": {{"name": "tool_{i}", "description": "Tool number {i}.", "parameters": {{"type": "object", "properties": {{{}}}, "required": ["p0"]}}}}}}"#,
            props.join(", ")
        );
        tools.push(parse(&schema).expect("the schema template is JSON"));
    }
    obj(vec![
        ("model", "gpt-4.1".into()),
        (
            "messages",
            Value::Array(vec![msg("user", "Which tool fits?".into())]),
        ),
        ("tools", Value::Array(tools)),
        ("tool_choice", "auto".into()),
    ])
}
