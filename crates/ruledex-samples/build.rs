//! Generates the table of embedded Sigma samples.
//!
//! Walks `sigma/`, keeps every `.yml`/`.yaml` file, and writes
//! `$OUT_DIR/sigma_samples.rs`: one `SampleFile` per file, sorted by its path relative
//! to `sigma/`, each with its text pulled in by `include_str!`. Adding a sample is then
//! just adding a file.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    // A directory here makes Cargo rescan the whole tree for changes.
    println!("cargo:rerun-if-changed=sigma");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir.join("sigma");
    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;
    files.sort();

    let mut out = String::from("static SIGMA: &[SampleFile] = &[\n");
    for (relative, absolute) in &files {
        // `{:?}` on a `str` prints a valid Rust string literal, escapes included.
        writeln!(
            out,
            "    SampleFile {{ path: {relative:?}, text: include_str!({absolute:?}) }},"
        )?;
    }
    out.push_str("];\n");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    fs::write(out_dir.join("sigma_samples.rs"), out)?;
    Ok(())
}

/// Adds `(path relative to root with '/' separators, absolute path)` for every YAML file
/// below `dir`.
fn collect(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(String, String)>,
) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(root, &path, files)?;
        } else if kind.is_file() && is_yaml(&path) {
            let relative = path
                .strip_prefix(root)?
                .components()
                .map(|part| part.as_os_str().to_str().ok_or("non UTF-8 sample path"))
                .collect::<Result<Vec<_>, _>>()?
                .join("/");
            let absolute = path.to_str().ok_or("non UTF-8 sample path")?.to_owned();
            files.push((relative, absolute));
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yml") || ext.eq_ignore_ascii_case("yaml"))
}
