//! Test support shared by the crates' integration tests.
//!
//! The pinned public corpora and the ATT&CK data live in `../shared` beside
//! the checkout; they are never copied into the repository. [`shared`] finds
//! them with one policy for every test: in CI (`CI=true`) a missing path is a
//! failure; on a developer's fresh checkout without `../shared` the test says
//! it is skipping and passes.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// `../shared/<relative>` beside the workspace, or `None` (with a note on
/// stderr) when it is missing outside CI.
///
/// # Panics
/// When the path is missing and `CI=true`: CI always has `../shared`.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} not found: CI needs ../shared (corpora and ATT&CK data) beside the checkout",
        path.display()
    );
    eprintln!(
        "skipping: {} not found (corpus tests need ../shared)",
        path.display()
    );
    None
}

/// Every file under `dir` (recursively) whose extension is one of `exts`,
/// sorted by path. Unreadable directories are skipped.
pub fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, exts, out);
            } else if path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, exts, &mut out);
    out.sort();
    out
}
