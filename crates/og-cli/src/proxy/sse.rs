//! Replaying a verified stream as `text/event-stream`.
//!
//! The frames come from [`og_relay::VerifiedStream`], so they are sent only after the
//! signed final event verified. Each frame is one or more SSE lines; the replay
//! - keeps every line except `data: [DONE]`, in order, and the event boundaries
//!   (blank lines) between them (runs of blank lines become one);
//! - ends every frame with a blank line, so events of different frames never merge;
//! - adds one SSE comment line with the proof (`: opengradient_verification {...}`;
//!   comments are ignored by SSE clients);
//! - ends with exactly one `data: [DONE]` (the enclave's own frames already end with
//!   one: it is not duplicated).

use og_relay::TeeProof;

/// True for a `data: [DONE]` line (spaces around the payload allowed).
fn is_done(line: &str) -> bool {
    line.strip_prefix("data:")
        .is_some_and(|rest| rest.trim() == "[DONE]")
}

/// The SSE body replaying `frames`, with the proof comment and one final
/// `data: [DONE]`.
///
/// ```
/// let frames = vec![
///     "data: {\"choices\": []}\n\n".to_owned(),
///     "data: [DONE]\n\n".to_owned(),
/// ];
/// let body = og_cli::proxy::sse::replay(&frames, None);
/// assert_eq!(body, "data: {\"choices\": []}\n\ndata: [DONE]\n\n");
/// ```
pub fn replay(frames: &[String], proof: Option<&TeeProof>) -> String {
    let total: usize = frames.iter().map(String::len).sum();
    let mut out = String::with_capacity(total + 512);
    for frame in frames {
        // True while lines of an event were written without its closing blank line.
        let mut open = false;
        for line in frame.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                if open {
                    out.push('\n');
                    open = false;
                }
                continue;
            }
            if is_done(line) {
                continue;
            }
            out.push_str(line);
            out.push('\n');
            open = true;
        }
        if open {
            out.push('\n');
        }
    }
    if let Some(p) = proof {
        out.push_str(": opengradient_verification ");
        out.push_str(&crate::json::to_text(&crate::json::verification_value(p)));
        out.push_str("\n\n");
    }
    out.push_str("data: [DONE]\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_is_sent_once_and_frames_stay_separate() {
        let frames = [
            "data: {\"a\": 1}".to_owned(),
            "data: {\"b\": 2}\r\n\r\n\n\ndata: {\"c\": 3}\n\n".to_owned(),
            "data: [DONE]\n\n".to_owned(),
            "data:[DONE]".to_owned(),
        ];
        let body = replay(&frames, None);
        assert_eq!(
            body,
            "data: {\"a\": 1}\n\ndata: {\"b\": 2}\n\ndata: {\"c\": 3}\n\ndata: [DONE]\n\n"
        );
        assert_eq!(body.matches("[DONE]").count(), 1);
        let empty = replay(&[], None);
        assert_eq!(empty, "data: [DONE]\n\n");
    }
}
