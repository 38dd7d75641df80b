//! og-cli: the `og` command, verified private LLM inference on OpenGradient's TEE
//! network from a terminal or from any OpenAI SDK.
//!
//! The binary (`src/main.rs`) is a thin clap layer over this library, one module per
//! command:
//!
//! | command | module | what it does |
//! |---|---|---|
//! | `og chat` | [`chat`] | one verified chat; the answer, then its proof |
//! | `og serve` | [`serve`], [`proxy`] | a local OpenAI-compatible server that only answers with verified output |
//! | `og verify` | [`verify`] | re-checks a saved exchange or proof offline |
//! | `og canon` | [`canon`] | JSON Lines of request bodies in, wire/canonical/hash out |
//! | `og dev` | [`dev`] | the simulated enclave and relay (og-sim) plus `og serve`, offline |
//! | `og tees` | [`tees`] | the on-chain registry's TEEs, usable or why not |
//!
//! Options shared by several commands live in [`options`]; a JSON configuration
//! file can set them ([`config`]).
//!
//! Nothing here weakens the library's promise: model output reaches the caller only
//! after og-relay verified the enclave's signature, except through
//! `og chat --unverified-stream`, which says so loudly and exits non-zero when the
//! verification at the end fails.
//!
//! Exit codes of every command: see [`exit`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod canon;
pub mod chat;
pub mod config;
pub mod dev;
pub mod exit;
pub mod json;
pub mod logging;
pub mod options;
pub mod proxy;
pub mod serve;
pub mod tees;
pub mod verify;

pub use exit::Failure;
