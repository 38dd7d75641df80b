//! The README's Rust example is the one og-sim runs as a doc test: every line of the
//! README's ```rust block must stand, in order, in og-sim's crate docs.

#[test]
fn the_readme_example_is_the_tested_one() {
    let root = xtask::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let lib = std::fs::read_to_string(root.join("crates/og-sim/src/lib.rs")).expect("og-sim");
    let block: Vec<&str> = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has a ```rust block")
        .lines()
        .collect();
    assert!(
        block.len() >= 8,
        "the README example is too short: {block:?}"
    );
    let doc: Vec<String> = lib
        .lines()
        .filter_map(|l| {
            l.strip_prefix("//! ")
                .or_else(|| (l == "//!").then_some(""))
        })
        .map(str::to_owned)
        .collect();
    let start = doc
        .iter()
        .position(|l| l == block[0])
        .unwrap_or_else(|| panic!("og-sim's docs lack the README's first line {:?}", block[0]));
    for (i, line) in block.iter().enumerate() {
        assert_eq!(
            doc.get(start + i).map(String::as_str),
            Some(*line),
            "README example line {i} differs from og-sim's doc test"
        );
    }
}
