//! Small helpers shared by the vector modules.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value as J;

/// Parses a vector file and returns its `cases` array.
pub(crate) fn cases(text: &str) -> Result<Vec<J>> {
    let doc: J = serde_json::from_str(text).context("the file is not JSON")?;
    match doc.get("cases") {
        Some(J::Array(c)) => Ok(c.clone()),
        _ => bail!("the file has no `cases` array"),
    }
}

/// The case's `name` (or `tcId`, or `?`).
pub(crate) fn name(case: &J) -> String {
    case.get("name")
        .and_then(J::as_str)
        .map(str::to_owned)
        .or_else(|| case.get("tcId").map(|v| format!("tcId {v}")))
        .unwrap_or_else(|| "?".to_owned())
}

/// A string field.
pub(crate) fn str_field<'a>(v: &'a J, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(J::as_str)
        .ok_or_else(|| anyhow!("field `{key}` missing or not a string"))
}

/// A hex field decoded to bytes.
pub(crate) fn hex_field(v: &J, key: &str) -> Result<Vec<u8>> {
    hex::decode(str_field(v, key)?).with_context(|| format!("field `{key}` is not hex"))
}

/// An array of hex strings decoded to bytes.
pub(crate) fn hex_list(v: &J, key: &str) -> Result<Vec<Vec<u8>>> {
    v.get(key)
        .and_then(J::as_array)
        .ok_or_else(|| anyhow!("field `{key}` missing or not an array"))?
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let s = x
                .as_str()
                .ok_or_else(|| anyhow!("`{key}[{i}]` is not a string"))?;
            hex::decode(s).with_context(|| format!("`{key}[{i}]` is not hex"))
        })
        .collect()
}

/// An unsigned integer field.
pub(crate) fn u64_field(v: &J, key: &str) -> Result<u64> {
    v.get(key)
        .and_then(J::as_u64)
        .ok_or_else(|| anyhow!("field `{key}` missing or not an unsigned integer"))
}

/// `expect_error` of a negative case, with its `error_aliases`, or `None` for a positive case.
pub(crate) fn expected_error(case: &J) -> Option<Vec<String>> {
    let main = case.get("expect_error")?.as_str()?.to_owned();
    let mut all = vec![main];
    if let Some(J::Array(aliases)) = case.get("error_aliases") {
        all.extend(aliases.iter().filter_map(J::as_str).map(str::to_owned));
    }
    Some(all)
}

/// Checks that `got` (our error's category) is one of the `expected` categories.
pub(crate) fn check_category(
    expected: &[String],
    got: &str,
    detail: &dyn std::fmt::Display,
) -> Result<()> {
    if expected.iter().any(|e| e == got) {
        Ok(())
    } else {
        bail!("expected error {expected:?}, got `{got}` ({detail})")
    }
}

/// `Ok` when equal, else an error showing both sides (hex for bytes).
pub(crate) fn eq_bytes(what: &str, got: &[u8], want: &[u8]) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        bail!(
            "{what} differs:\n    got  {}\n    want {}",
            hex::encode(got),
            hex::encode(want)
        )
    }
}

/// `Ok` when equal, else an error showing both sides.
pub(crate) fn eq<T: PartialEq + std::fmt::Debug + ?Sized>(
    what: &str,
    got: &T,
    want: &T,
) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        bail!("{what} differs:\n    got  {got:?}\n    want {want:?}")
    }
}
