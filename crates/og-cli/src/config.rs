//! The configuration file (`--config FILE` or `OG_CONFIG`): a JSON object whose keys
//! are option names, for the options a deployment sets once.
//!
//! ```json
//! {
//!   "relay": "https://relay.example",
//!   "token_file": "/run/secrets/og-relay-token",
//!   "rpc_url": "https://ogevmdevnet.opengradient.ai",
//!   "registry": "0x703cB174AEadB35D611858369B4b1111dC9Abda6",
//!   "pcr_hash": "0x…",
//!   "refresh": 120,
//!   "port": 8765,
//!   "models": ["gpt-4.1", "claude-haiku-4-5"]
//! }
//! ```
//!
//! Precedence: command-line flags, then environment variables, then the file, then
//! the defaults. Keys are the long flags without `--` and with `_` for `-`
//! (`pcr_hash` is `--pcr`, `models` is `--model`); a key the command does not take is
//! ignored (one file serves `og serve` and `og chat`), a key no command takes is an
//! error. The token itself is not accepted in the file: give `token_file`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use og_canon::Value;

use crate::Failure;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "OG_CONFIG";

/// A config key, the flag it stands for, and the environment variable that beats it.
const KEYS: &[(&str, &str, Option<&str>)] = &[
    ("relay", "relay", Some("OG_RELAY_URL")),
    ("tee", "tee", Some("OG_TEE_FILE")),
    ("token_file", "token-file", None),
    ("rpc_url", "rpc-url", Some("OG_RPC_URL")),
    ("registry", "registry", Some("OG_REGISTRY_ADDRESS")),
    ("tee_type", "tee-type", Some("OG_TEE_TYPE")),
    ("pcr_hash", "pcr", Some("OG_PCR_HASH")),
    ("pcr", "pcr", Some("OG_PCR_HASH")),
    ("tee_id", "tee-id", Some("OG_TEE_ID")),
    ("refresh", "refresh", Some("OG_REFRESH")),
    ("rpc_timeout", "rpc-timeout", None),
    ("connect_timeout", "connect-timeout", None),
    ("read_timeout", "read-timeout", None),
    ("total_timeout", "total-timeout", None),
    ("max_response_bytes", "max-response-bytes", None),
    ("host", "host", None),
    ("port", "port", None),
    ("models", "model", None),
    ("model", "model", None),
    ("max_body_bytes", "max-body-bytes", None),
    ("max_concurrency", "max-concurrency", None),
];

/// The file named by `--config FILE` / `--config=FILE` in `args`, else by
/// [`CONFIG_ENV`].
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(p) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(p));
        }
    }
    std::env::var_os(CONFIG_ENV).map(PathBuf::from)
}

/// Inserts the file's options into `args` (right after the subcommand), skipping
/// those given as flags or through their environment variable and those the
/// subcommand does not take (`takes(subcommand, flag)` says).
///
/// # Errors
/// A usage failure for an unreadable file, a file that is not a JSON object, an
/// unknown key, a `token` key, or a value that is not a string, number, boolean or
/// (for `models`) a list of strings.
pub fn apply(
    args: Vec<OsString>,
    path: &Path,
    takes: impl Fn(&str, &str) -> bool,
) -> Result<Vec<OsString>, Failure> {
    let bad = |m: String| Failure::usage(format!("config file {}: {m}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let value = og_canon::parse(&text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let Some(map) = value.as_object() else {
        return Err(bad("not a JSON object".into()));
    };
    // The subcommand: the first argument after the program that is not an option
    // (the only global option taking a value is --config).
    let mut sub_at = None;
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a == "--config" {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            sub_at = Some(i);
            break;
        }
        i += 1;
    }
    let Some(sub_at) = sub_at else {
        return Ok(args); // no subcommand: clap prints the help
    };
    let sub = args[sub_at].to_string_lossy().into_owned();
    let given = |flag: &str| {
        args.iter().any(|a| {
            let a = a.to_string_lossy();
            a == format!("--{flag}") || a.starts_with(&format!("--{flag}="))
        })
    };
    let mut inserted: Vec<OsString> = Vec::new();
    for (key, value) in map.iter() {
        if key == "token" {
            return Err(bad(
                "`token` is not read from a config file: put the token in a file of its own and give `token_file`".into(),
            ));
        }
        let Some(&(_, flag, env)) = KEYS.iter().find(|(k, _, _)| k == key) else {
            let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
            return Err(bad(format!(
                "unknown key {key:?} (known: {})",
                known.join(", ")
            )));
        };
        if !takes(&sub, flag) || given(flag) || env.is_some_and(|e| std::env::var_os(e).is_some()) {
            continue;
        }
        let values: Vec<String> =
            match value {
                Value::Array(items) if flag == "model" => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad(format!("`{key}` must be a list of strings")))?,
                other => vec![scalar(other).ok_or_else(|| {
                    bad(format!("`{key}` must be a string, a number or a boolean"))
                })?],
            };
        for v in values {
            inserted.push(format!("--{flag}").into());
            inserted.push(v.into());
        }
    }
    let mut out = args;
    out.splice(sub_at + 1..sub_at + 1, inserted);
    Ok(out)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(og_canon::to_python_json(&Value::Number(n.clone()), false)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn file(text: &str) -> tempfile_like::Temp {
        tempfile_like::Temp::new(text)
    }

    /// A tiny temporary file (no dependency for one test helper).
    mod tempfile_like {
        pub(super) struct Temp(pub(super) std::path::PathBuf);
        impl Temp {
            pub(super) fn new(text: &str) -> Temp {
                let p = std::env::temp_dir().join(format!(
                    "og-config-test-{}-{:?}.json",
                    std::process::id(),
                    std::thread::current().id()
                ));
                std::fs::write(&p, text).unwrap();
                Temp(p)
            }
        }
        impl Drop for Temp {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn file_values_go_after_the_subcommand_and_flags_win() {
        let f = file(
            r#"{"relay": "http://r", "port": 9000, "models": ["a", "b"], "host": "127.0.0.1"}"#,
        );
        let out = apply(
            os(&["og", "-v", "serve", "--port", "1"]),
            &f.0,
            |sub, flag| sub == "serve" && flag != "relay",
        )
        .unwrap();
        assert_eq!(
            out,
            os(&[
                "og",
                "-v",
                "serve",
                "--model",
                "a",
                "--model",
                "b",
                "--host",
                "127.0.0.1",
                "--port",
                "1"
            ])
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let f = file(r#"{"token": "s3cret"}"#);
        let e = apply(os(&["og", "chat"]), &f.0, |_, _| true).unwrap_err();
        assert!(e.to_string().contains("token_file"), "{e}");
        assert!(!e.to_string().contains("s3cret"));
        let f = file(r#"{"relya": "x"}"#);
        let e = apply(os(&["og", "chat"]), &f.0, |_, _| true).unwrap_err();
        assert!(e.to_string().contains("unknown key \"relya\""), "{e}");
        let f = file("[1]");
        assert!(apply(os(&["og", "chat"]), &f.0, |_, _| true).is_err());
        let f = file(r#"{"relay": {"x": 1}}"#);
        assert!(apply(os(&["og", "chat"]), &f.0, |_, _| true).is_err());
        assert!(
            apply(
                os(&["og", "chat"]),
                Path::new("/nonexistent/og.json"),
                |_, _| true
            )
            .is_err()
        );
    }

    #[test]
    fn finds_the_path() {
        assert_eq!(
            config_path(&os(&["og", "serve", "--config", "a.json"])),
            Some(PathBuf::from("a.json"))
        );
        assert_eq!(
            config_path(&os(&["og", "--config=b.json", "serve"])),
            Some(PathBuf::from("b.json"))
        );
    }
}
