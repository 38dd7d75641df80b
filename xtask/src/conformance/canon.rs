//! `canon.json`, `response_content.json`, `stream_accumulate.json`, and the Keccak KAT (og-canon).
//!
//! The request and response files are read with og-canon's own exact parser (not
//! serde_json), so every expected value keeps its Python form (1 vs 1.0, -0.0, big
//! integers) and comparisons are made on canonical bytes.

use super::Report;
use anyhow::{Context, Result, anyhow, bail, ensure};
use og_canon::{Keccak256Hasher, StreamAccumulator, Value, canonical_bytes, keccak256};

/// Parses a vector file exactly and returns its cases.
fn exact_cases(text: &str) -> Result<Vec<Value>> {
    let doc = og_canon::parse(text).context("the file is not JSON og-canon can read")?;
    match doc.get("cases") {
        Some(Value::Array(c)) => Ok(c.clone()),
        _ => bail!("the file has no `cases` array"),
    }
}

fn case_name(case: &Value) -> String {
    case.get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("field `{key}` missing or not a string"))
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key).ok_or_else(|| anyhow!("field `{key}` missing"))
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool) == Some(true)
}

fn hex_of(v: &Value, key: &str) -> Result<Vec<u8>> {
    hex::decode(text(v, key)?).with_context(|| format!("field `{key}` is not hex"))
}

/// `expect_error` plus `error_aliases`, or `None` for a positive case.
fn expected_error(case: &Value) -> Option<Vec<String>> {
    let main = case.get("expect_error")?.as_str()?.to_owned();
    let mut all = vec![main];
    if let Some(Value::Array(aliases)) = case.get("error_aliases") {
        all.extend(aliases.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    Some(all)
}

fn check_category(expected: &[String], got: &str, detail: &dyn std::fmt::Display) -> Result<()> {
    ensure!(
        expected.iter().any(|e| e == got),
        "expected error {expected:?}, got `{got}` ({detail})"
    );
    Ok(())
}

fn same_text(what: &str, got: &str, want: &str) -> Result<()> {
    ensure!(
        got == want,
        "{what} differs:\n    got  {got:?}\n    want {want:?}"
    );
    Ok(())
}

/// Equal as Python values, with exact numbers (compared through canonical bytes).
fn same_value(what: &str, got: &Value, want: &Value) -> Result<()> {
    let (g, w) = (canonical_bytes(got), canonical_bytes(want));
    ensure!(
        g == w,
        "{what} differs:\n    got  {}\n    want {}",
        String::from_utf8_lossy(&g),
        String::from_utf8_lossy(&w)
    );
    Ok(())
}

fn run_each(text: &str, run: fn(&Value) -> Result<()>) -> Result<Report> {
    let mut report = Report::default();
    for case in exact_cases(text)? {
        report.case(&case_name(&case), run(&case));
    }
    Ok(report)
}

pub(crate) fn run_canon(text: &str) -> Result<Report> {
    run_each(text, canon_case)
}

fn canon_case(case: &Value) -> Result<()> {
    let input = text(case, "input_body_text")?;
    let parsed = og_canon::parse(input);
    if let Some(expected) = expected_error(case) {
        return match parsed {
            // An input our reader refuses is a refusal (vectors README).
            Err(_) => Ok(()),
            Ok(body) => match og_canon::build_inner_request(&body) {
                Ok(_) => bail!("the body was accepted; the reference refuses it"),
                Err(e) => check_category(&expected, e.category(), &e),
            },
        };
    }
    let may_reject = flag(case, "may_reject");
    let body = match parsed {
        Ok(b) => b,
        Err(e) if may_reject && !e.is_syntax() => return Ok(()),
        Err(e) => bail!("input_body_text does not parse: {e}"),
    };
    let request = match og_canon::build_inner_request(&body) {
        Ok(r) => r,
        Err(e) if may_reject => {
            ensure!(
                e.reason().is_stricter_than_reference(),
                "a may_reject input refused for an unexpected reason: {e}"
            );
            return Ok(());
        }
        Err(e) => bail!("build_inner_request refused the body: {e}"),
    };
    let expected = field(case, "expected")?;
    same_text(
        "canonical text",
        &String::from_utf8_lossy(&request.canonical_bytes()),
        text(expected, "canonical_text")?,
    )?;
    let hash = hex_of(expected, "request_hash")?;
    ensure!(
        request.request_hash()[..] == hash[..],
        "request hash differs: got {}, want {}",
        hex::encode(request.request_hash()),
        hex::encode(&hash)
    );
    ensure!(
        keccak256(&request.canonical_bytes())[..] == hash[..],
        "keccak256(canonical_bytes) differs from the streamed hash"
    );
    let wire = request.wire_bytes(false);
    let ours = og_canon::parse_slice(&wire).map_err(|e| anyhow!("our wire is not JSON: {e}"))?;
    let theirs = og_canon::parse(text(expected, "wire_text")?)
        .map_err(|e| anyhow!("wire_text does not parse: {e}"))?;
    same_value("wire", &ours, &theirs)?;
    same_value("wire_value()", &request.wire_value(false), &theirs)?;
    // A stream request differs only by a trailing "stream": true.
    let stream_wire = request.wire_bytes(true);
    ensure!(
        stream_wire.get(..wire.len().saturating_sub(1)) == wire.get(..wire.len().saturating_sub(1))
            && stream_wire.ends_with(b", \"stream\": true}"),
        "the stream wire is not the wire plus \"stream\": true"
    );
    Ok(())
}

pub(crate) fn run_response_content(text: &str) -> Result<Report> {
    run_each(text, response_case)
}

fn response_case(case: &Value) -> Result<()> {
    let body = og_canon::parse(text(case, "response_body_text")?)
        .map_err(|e| anyhow!("response_body_text does not parse: {e}"))?;
    let result = og_canon::signed_output(&body);
    if let Some(expected) = expected_error(case) {
        return match result {
            Ok(_) => bail!("a signed output was produced; the reference fails"),
            Err(e) => check_category(&expected, e.category(), &e),
        };
    }
    let content = match result {
        Ok(c) => c,
        Err(_) if flag(case, "may_reject") => return Ok(()),
        Err(e) => bail!("signed_output failed: {e}"),
    };
    let expected = field(case, "expected")?;
    same_text("content", &content, text(expected, "content")?)?;
    let hash = hex_of(expected, "output_hash")?;
    ensure!(
        keccak256(content.as_bytes())[..] == hash[..],
        "output hash differs"
    );
    Ok(())
}

pub(crate) fn run_stream_accumulate(text: &str) -> Result<Report> {
    run_each(text, stream_case)
}

fn stream_case(case: &Value) -> Result<()> {
    let frames = match field(case, "frames_hex")? {
        Value::Array(f) => f
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .ok_or_else(|| anyhow!("a frames_hex entry is not hex"))
            })
            .collect::<Result<Vec<_>>>()?,
        _ => bail!("frames_hex is not a list"),
    };
    let expected_err = expected_error(case);
    let expected = case.get("expected");
    let counts: Option<Vec<u64>> = expected
        .and_then(|e| e.get("event_counts"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|n| {
                    n.as_number()
                        .and_then(og_canon::Number::as_u64)
                        .unwrap_or(u64::MAX)
                })
                .collect()
        });
    let mut acc = StreamAccumulator::new();
    for (i, frame) in frames.iter().enumerate() {
        match acc.push_frame(frame) {
            Ok(n) => {
                if let Some(want) = counts.as_ref().and_then(|c| c.get(i)) {
                    ensure!(
                        n as u64 == *want,
                        "frame {i}: {n} events parsed, the reference parsed {want}"
                    );
                }
            }
            Err(e) => {
                let Some(want) = &expected_err else {
                    bail!("frame {i} failed: {e}");
                };
                check_category(want, e.category(), &e)?;
                if let og_canon::StreamError::Relay { status, message } = &e {
                    if let Some(s) = case.get("error_status").and_then(Value::as_number) {
                        ensure!(
                            s.as_u64() == Some(u64::from(*status)),
                            "relay status differs"
                        );
                    }
                    if let Ok(m) = text(case, "error_message") {
                        same_text("relay error message", message, m)?;
                    }
                }
                if let Some(at) = case
                    .get("error_frame_index")
                    .and_then(Value::as_number)
                    .and_then(og_canon::Number::as_u64)
                {
                    ensure!(
                        at == i as u64,
                        "the error came at frame {i}, the reference's at {at}"
                    );
                }
                return Ok(());
            }
        }
    }
    if let Some(c) = &counts {
        ensure!(
            c.len() == frames.len(),
            "event_counts has {} entries for {} frames",
            c.len(),
            frames.len()
        );
    }
    if let Some(e) = expected {
        if let Ok(content) = text(e, "content") {
            same_text("content so far", acc.content(), content)?;
        }
        if let Some(calls) = e.get("tool_calls") {
            match (acc.tool_calls(), calls) {
                (None, Value::Null) => {}
                (Some(got), want) => same_value("tool calls so far", &got, want)?,
                (None, _) => bail!("no tool calls folded; the reference folded some"),
            }
        }
    }
    let outcome = acc.finish();
    if let Some(want) = &expected_err {
        return match outcome {
            Ok(_) => bail!("the stream was accepted; the reference fails it"),
            Err(e) => check_category(want, e.category(), &e),
        };
    }
    let outcome = outcome.map_err(|e| anyhow!("finish failed: {e}"))?;
    let e = expected.ok_or_else(|| anyhow!("no `expected`"))?;
    same_text("content", &outcome.content, text(e, "content")?)?;
    match (&outcome.tool_calls, field(e, "tool_calls")?) {
        (None, Value::Null) => {}
        (Some(got), want) => same_value("tool_calls", got, want)?,
        (None, _) => bail!("no tool calls; the reference has some"),
    }
    match (&outcome.tool_calls, field(e, "tool_calls_json")?) {
        (None, Value::Null) => {}
        (Some(got), Value::String(want)) => {
            same_text(
                "tool_calls_json",
                &og_canon::to_python_json(got, true),
                want,
            )?;
        }
        (got, want) => bail!("tool_calls_json: got {got:?}, want {want:?}"),
    }
    let index = field(e, "final_frame_index")?
        .as_number()
        .and_then(og_canon::Number::as_u64)
        .ok_or_else(|| anyhow!("final_frame_index is not an integer"))?;
    ensure!(
        outcome.final_frame_index as u64 == index,
        "final event in frame {}, the reference's in frame {index}",
        outcome.final_frame_index
    );
    same_value(
        "final_event",
        &outcome.final_event,
        field(e, "final_event")?,
    )?;
    match (outcome.finish_reason.as_deref(), field(e, "finish_reason")?) {
        (None, Value::Null) => {}
        (Some(got), Value::String(want)) => same_text("finish_reason", got, want)?,
        (got, want) => bail!("finish_reason: got {got:?}, want {want:?}"),
    }
    same_text(
        "signed_output",
        &outcome.signed_output,
        text(e, "signed_output")?,
    )?;
    ensure!(outcome.frames == frames.len(), "frame count differs");
    Ok(())
}

pub(crate) fn run_keccak_kat(text: &str) -> Result<Report> {
    run_each(text, keccak_case)
}

fn keccak_case(case: &Value) -> Result<()> {
    let want = hex_of(case, "keccak256")?;
    let len = field(case, "len")?
        .as_number()
        .and_then(og_canon::Number::as_u64)
        .ok_or_else(|| anyhow!("`len` is not an integer"))?;
    let got = if let Some(repeat) = case.get("msg_repeat") {
        let unit = hex_of(repeat, "text_hex")?;
        let count = field(repeat, "count")?
            .as_number()
            .and_then(og_canon::Number::as_u64)
            .ok_or_else(|| anyhow!("`count` is not an integer"))?;
        ensure!(
            unit.len() as u64 * count == len,
            "msg_repeat does not add up to len"
        );
        // Stream it through the hasher in 1 MiB blocks; never hold the whole message.
        let per_block = (1u64 << 20) / (unit.len().max(1) as u64);
        let per_block = per_block.clamp(1, count.max(1));
        let block = unit.repeat(per_block as usize);
        let mut h = Keccak256Hasher::new();
        for _ in 0..count / per_block {
            h.update(&block);
        }
        for _ in 0..count % per_block {
            h.update(&unit);
        }
        h.finalize()
    } else {
        let msg = hex_of(case, "msg")?;
        ensure!(msg.len() as u64 == len, "msg is not len bytes");
        // Both the one-shot and the incremental paths.
        let mut h = Keccak256Hasher::new();
        let (a, b) = msg.split_at(msg.len() / 3);
        h.update(a);
        h.update(b);
        let streamed = h.finalize();
        ensure!(
            streamed == keccak256(&msg),
            "incremental and one-shot hashes differ"
        );
        streamed
    };
    ensure!(
        got[..] == want[..],
        "keccak256 differs: got {}, want {}",
        hex::encode(got),
        hex::encode(&want)
    );
    Ok(())
}
