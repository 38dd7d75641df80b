//! The vector copies in `testdata/vectors` stay byte-identical to the project's source of
//! truth: a committed SHA-256 manifest, and `../shared/vectors` when it is beside the clone.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn testdata() -> PathBuf {
    xtask::workspace_root().join("testdata/vectors")
}

#[test]
fn testdata_matches_the_committed_manifest() {
    let manifest_path = xtask::workspace_root().join("testdata/vectors.sha256");
    let manifest = std::fs::read_to_string(&manifest_path).expect("testdata/vectors.sha256 exists");
    let mut listed = BTreeMap::new();
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once("  ")
            .expect("sha256sum format: `<hex>  <path>`");
        listed.insert(name.to_owned(), hash.to_owned());
    }
    let present = files_under(&testdata());
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        present.keys().collect::<Vec<_>>(),
        "the set of vector files differs from testdata/vectors.sha256"
    );
    for (name, path) in present {
        let got = hex::encode(Sha256::digest(std::fs::read(&path).expect("readable")));
        assert_eq!(
            &got, &listed[&name],
            "{name} changed: vectors must stay byte-identical copies"
        );
    }
}

#[test]
fn testdata_is_identical_to_shared_vectors_when_present() {
    let shared = xtask::workspace_root().join("../shared/vectors");
    if !shared.is_dir() {
        eprintln!(
            "../shared/vectors is not beside this checkout; the manifest test still guards the copies"
        );
        return;
    }
    let ours = files_under(&testdata());
    let theirs = files_under(&shared);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "testdata/vectors and ../shared/vectors hold different files: copy them again (cp -r ../shared/vectors/. testdata/vectors/)"
    );
    for (name, path) in &ours {
        let a = std::fs::read(path).expect("readable");
        let b = std::fs::read(&theirs[name]).expect("readable");
        assert!(
            a == b,
            "testdata/vectors/{name} differs from ../shared/vectors/{name}: copy it again"
        );
    }
}
