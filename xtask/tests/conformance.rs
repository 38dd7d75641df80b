//! The whole conformance run as a test, so `cargo nextest run` catches a vector regression
//! without a separate step. `cargo xtask conformance` prints the same run file by file.

#[test]
fn every_vector_file_passes() {
    let dir = xtask::workspace_root().join("testdata/vectors");
    let total = xtask::conformance::run_dir(&dir).expect("the vector directory is readable");
    let report = total.lines.join("\n");
    println!("{report}");
    assert!(total.passed > 0, "no case ran:\n{report}");
    assert_eq!(total.unknown_files, 0, "files without a runner:\n{report}");
    assert_eq!(total.failed, 0, "conformance failures:\n{report}");
}
