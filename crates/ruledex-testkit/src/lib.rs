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

/// `(path relative to dir, query)` of every Elastic rule under `dir` whose
/// `[rule]` `type` and `language` satisfy `pick` and that has a query, sorted
/// by path.
///
/// # Panics
/// When a rule file cannot be read or is not TOML (the pinned corpus is).
pub fn elastic_queries(
    dir: &Path,
    pick: impl Fn(Option<&str>, Option<&str>) -> bool,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in files(dir, &["toml"]) {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: not TOML: {e}", path.display()));
        let Some(rule) = doc.get("rule") else {
            continue;
        };
        let get = |k: &str| rule.get(k).and_then(toml::Value::as_str);
        if !pick(get("type"), get("language")) {
            continue;
        }
        let Some(query) = get("query") else { continue };
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        out.push((rel, query.to_owned()));
    }
    out
}

/// What a fixture's first line, `# expect: <code> at <line>:<col> [key=value …]`,
/// says its diagnostic must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The diagnostic's stable code.
    pub code: String,
    /// 1-based line where its span starts.
    pub line: u32,
    /// 1-based column (in characters) where its span starts.
    pub column: u32,
    /// The `key=value` options after the position, in order.
    pub options: Vec<(String, String)>,
}

impl Expect {
    /// The value of option `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Option `key` as a number, if given.
    ///
    /// # Panics
    /// When the option is not a number.
    pub fn number(&self, key: &str) -> Option<usize> {
        self.get(key).map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("option `{key}={v}` needs a number"))
        })
    }
}

/// Read an `# expect:` line. `allowed` lists the option keys the test knows.
///
/// # Panics
/// On a malformed line or an unknown option: a fixture that cannot say what
/// it expects is a broken test.
pub fn parse_expect(name: &str, first_line: &str, allowed: &[&str]) -> Expect {
    let rest = first_line
        .strip_prefix("# expect:")
        .unwrap_or_else(|| panic!("{name}: first line must be `# expect: <code> at <line>:<col>`"));
    let mut words = rest.split_whitespace();
    let code = words
        .next()
        .unwrap_or_else(|| panic!("{name}: no code"))
        .to_owned();
    assert_eq!(
        words.next(),
        Some("at"),
        "{name}: expected `at` after the code"
    );
    let position = words
        .next()
        .unwrap_or_else(|| panic!("{name}: no position"));
    let (line, column) = position
        .split_once(':')
        .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)))
        .unwrap_or_else(|| panic!("{name}: bad position `{position}`"));
    let options = words
        .map(|option| {
            let (key, value) = option
                .split_once('=')
                .unwrap_or_else(|| panic!("{name}: bad option `{option}`"));
            assert!(allowed.contains(&key), "{name}: unknown option `{key}`");
            (key.to_owned(), value.to_owned())
        })
        .collect();
    Expect {
        code,
        line,
        column,
        options,
    }
}

/// One fixture file with its expectation.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// `<kind>/<file name>`, for messages and renderings.
    pub name: String,
    /// The whole file.
    pub text: String,
    /// What its first line expects.
    pub expect: Expect,
}

/// Every `*.<ext>` file of `<crate>/tests/fixtures/<kind>`, sorted, with its
/// `# expect:` line read. `manifest_dir` is the test crate's `CARGO_MANIFEST_DIR`.
///
/// # Panics
/// When the folder cannot be read or a fixture has no valid expect line.
pub fn fixtures(manifest_dir: &str, kind: &str, ext: &str, allowed: &[&str]) -> Vec<Fixture> {
    let dir = Path::new(manifest_dir).join("tests/fixtures").join(kind);
    assert!(dir.is_dir(), "no fixture folder {}", dir.display());
    files(&dir, &[ext])
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = format!("{kind}/{file}");
            let expect = parse_expect(&name, text.lines().next().unwrap_or(""), allowed);
            Fixture { name, text, expect }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_lines_are_read() {
        let e = parse_expect(
            "x",
            "# expect: yaml-syntax at 12:3 document=1 rules=1",
            &["document", "rules"],
        );
        assert_eq!((e.code.as_str(), e.line, e.column), ("yaml-syntax", 12, 3));
        assert_eq!(e.number("document"), Some(1));
        assert_eq!(e.number("rules"), Some(1));
        assert_eq!(e.get("needs"), None);
    }

    #[test]
    #[should_panic(expected = "unknown option")]
    fn unknown_options_are_refused() {
        parse_expect("x", "# expect: a at 1:1 bogus=1", &["rules"]);
    }
}
