//! Decrypted SSE frames pushed one by one into `StreamAccumulator`, then `finish`.
//!
//! Checks: no panic; errors are sticky; event counts add up; a finished stream's
//! frame count, final frame index and signed output are consistent with what was
//! pushed (the signed output is the content, or the sorted JSON of the tool calls when
//! the final event's finish reason is `tool_calls`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use og_canon::StreamAccumulator;
use og_fuzz::SseInput;

fuzz_target!(|data: &[u8]| {
    let Some(input) = SseInput::parse(data) else {
        return;
    };
    let mut acc = match input.limits {
        Some(l) => StreamAccumulator::with_limits(l),
        None => StreamAccumulator::new(),
    };
    let mut events = 0usize;
    let mut failed = None;
    let mut failed_at = None;
    for (i, frame) in input.frames.iter().enumerate() {
        match acc.push_frame(frame) {
            Ok(n) => {
                assert!(failed.is_none(), "a frame accepted after an error");
                events += n;
                assert_eq!(acc.events(), events);
            }
            Err(e) => match &failed {
                None => {
                    failed = Some(e);
                    failed_at = Some(i);
                }
                Some(first) => assert_eq!(&e, first, "errors are sticky"),
            },
        }
    }
    // Frames are counted up to and including the one that failed.
    let counted = failed_at.map_or(input.frames.len(), |i| i + 1);
    assert_eq!(acc.frames(), counted);
    let content = acc.content().to_owned();
    let tool_calls = acc.tool_calls();
    let had_final = acc.has_final_event();
    match acc.finish() {
        Ok(outcome) => {
            assert!(failed.is_none());
            assert!(had_final);
            assert_eq!(outcome.frames, input.frames.len());
            assert!(outcome.final_frame_index < outcome.frames);
            assert_eq!(outcome.content, content);
            assert_eq!(outcome.tool_calls, tool_calls);
            match (&outcome.tool_calls, outcome.finish_reason.as_deref()) {
                (Some(calls), Some("tool_calls")) => {
                    let parsed = og_canon::parse(&outcome.signed_output)
                        .expect("the signed tool-call output is JSON");
                    assert_eq!(&parsed, calls);
                    assert_eq!(outcome.signed_output, og_canon::to_python_json(calls, true));
                }
                _ => assert_eq!(outcome.signed_output, outcome.content),
            }
            assert!(outcome.final_event.as_object().is_some());
        }
        Err(e) => {
            if let Some(first) = failed {
                assert_eq!(e, first, "finish reports the stream's error");
            } else {
                assert!(!had_final, "finish failed with a final event: {e:?}");
            }
        }
    }
});
