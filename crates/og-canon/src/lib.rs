//! og-canon: the bytes OpenGradient's TEE gateway signs, reproduced exactly.
//!
//! The gateway signs `keccak256(json.dumps(canonical, sort_keys=True))`, computed by
//! Python, and the output string of the answer. This crate rebuilds both byte for byte
//! as the reference SDK (opengradient 1.1.4) does: the request's wire and canonical
//! forms, the request hash, the signed output of a single-shot response, and the
//! accumulated content, tool calls and signed final event of a stream.
//!
//! ```
//! let body = og_canon::parse(r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello!"}]}"#)?;
//! let request = og_canon::build_inner_request(&body)?;
//! assert_eq!(
//!     request.canonical_bytes(),
//!     br#"{"messages": [{"content": "Hello!", "role": "user"}], "model": "gpt-4.1", "temperature": 0.0}"#
//! );
//! assert_eq!(
//!     hex::encode(request.request_hash()),
//!     "643934be0694758b23dee7c223722b63708d58a5179ad952190f02a45892005f"
//! );
//! let wire: Vec<u8> = request.wire_bytes(false); // what is encrypted and sent
//! # assert!(wire.starts_with(br#"{"model": "gpt-4.1""#));
//! # Ok::<(), og_canon::Error>(())
//! ```
//!
//! # The compatibility contract
//!
//! **Reading JSON** ([`parse`], [`parse_slice`]) gives the value Python's `json.loads`
//! gives: integers keep every digit; a number with `.`, `e` or `E` is a float and one
//! without is an int (`1.0` stays `1.0`, `-0` is `0`); floats are correctly rounded
//! from any number of digits (Rust's `f64::from_str`, the same double as CPython's
//! `float()`; no `serde_json` involved); objects keep insertion order and a repeated
//! key keeps its first position with its last value. Refused where Python would
//! accept: `NaN`, `Infinity`, `-Infinity` and numbers overflowing to infinity
//! (`1e400`), lone surrogate escapes (`"\ud800"`), nesting deeper than
//! [`MAX_DEPTH`] (128); refused like Python: integers of more than
//! [`MAX_INT_DIGITS`] (4300) digits; also refused: a byte order mark, non-UTF-8
//! bytes. The reader never recurses deeper than [`MAX_DEPTH`].
//!
//! **Writing JSON** ([`write_python_json`], [`to_python_json`], [`canonical_bytes`],
//! [`canonical_hash`]) is `json.dumps(value, sort_keys=...)` with Python's defaults:
//! separators `", "` and `": "`; keys sorted by code point (UTF-8 byte order) at
//! every level, never taken from a map's iteration order (so a dependency that turns
//! on `serde_json/preserve_order` cannot change a byte); `ensure_ascii` escapes
//! (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; every other control character, DEL and
//! non-ASCII character as lowercase `\uXXXX`, astral characters as a surrogate pair;
//! `/` unescaped); integers as their digits; floats as Python's `repr`
//! ([`pyfloat::repr`]: shortest round-trip digits, exponent form below `1e-4` and
//! from `1e16` up as `1e-05`/`1e+16`, else positional with a fractional digit). The
//! writer streams into any [`Sink`]; [`canonical_hash`] feeds Keccak-256 directly.
//!
//! **The request** ([`build_inner_request`]) follows PROTOCOL §2.1 and the reference
//! line by line, Python truthiness included, and returns an [`InnerRequest`] whose
//! [`InnerRequest::wire_bytes`] are byte-identical to the reference's `json.dumps(wire)`
//! (keys in the order the reference inserts them; `"stream": true` last for streams).
//! Refused with [`UnsupportedRequest`]:
//! - what the reference refuses (same messages): a body that is not an object;
//!   `model` missing, not a string or empty; `messages` missing, not a list or empty;
//!   a message that is not an object; an unknown role; truthy `tools` that is not a
//!   list;
//! - where the reference crashes (`sdk_crash`): `temperature` that `float()` cannot
//!   convert (`"hot"`, `[]`, an integer beyond the double range); truthy `tool_calls`
//!   that is not a list; a tool call that is not an object; a tool call whose
//!   `function` is present but not an object (`null` included);
//! - where the reference applies a Python-only rule (`may_reject`, PROTOCOL §8): user
//!   content that is missing, `null`, a number, a boolean or an object (Python
//!   `str()`); a user content part that is neither an object nor a string; a
//!   `temperature` string that is not a plain decimal literal
//!   (`[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?`; Python's `float()` also takes
//!   spaces, `_`, `nan`, `inf`), or whose value is not finite; lone surrogates (refused
//!   by the reader).
//!
//! **The single-shot output** ([`signed_output`], PROTOCOL §3) refuses
//! ([`OutputError`]) a content part that is neither an object nor a string (Python
//! `str()`) and a part whose `text` is present but not a string (the reference
//! crashes).
//!
//! **Streams** ([`StreamAccumulator`]) parse each frame on its own with Python's
//! `splitlines()` and `strip()`, skip what Python's `json.loads` rejects, and refuse
//! ([`StreamError`]) what it reads but JSON cannot hold (NaN, ...), tool-call
//! fragments the reference crashes on (a `function` that is truthy but not an object,
//! truthy `arguments` that are not a string) and tool-call `index` values other than
//! 64-bit integers (the reference also folds `1`, `1.0` and `true` into one slot;
//! gateways send integers). Limits: [`StreamLimits`].
//!
//! Errors: each module has its own error type with a `category()` naming the
//! conformance-vector category; [`Error`] gathers them. No error message quotes model
//! content.
//!
//! With the `serde_json` feature: `Value::from_serde` / `Value::to_serde`
//! (exact; see the `serde` module notes).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod hash;
mod output;
mod parse;
pub mod pyfloat;
mod pyjson;
mod request;
#[cfg(feature = "serde_json")]
mod serde;
mod sse;
mod value;

pub use error::Error;
pub use hash::{Hash32, Keccak256Hasher, keccak256};
pub use output::{OutputError, signed_output};
pub use parse::{JsonError, MAX_DEPTH, MAX_INT_DIGITS, parse, parse_slice};
pub use pyjson::{
    Sink, canonical_bytes, canonical_hash, to_json_bytes, to_python_json, write_python_json,
};
pub use request::{InnerRequest, UnsupportedReason, UnsupportedRequest, build_inner_request};
pub use sse::{StreamAccumulator, StreamError, StreamLimits, StreamOutcome};
pub use value::{Map, Number, Value};
