//! Reading corpora: find the rule files under a directory, work out which
//! vendor wrote them, and hand each file to that vendor's front-end.
//!
//! The result of one corpus is a [`Report`]: the rules read, and a
//! [`Failure`] (path, line, column, reason) for every document that could not
//! be read — nothing is dropped silently. Files are read and parsed in
//! parallel (rayon); the order of rules and failures is the sorted order of
//! the paths, so reports are reproducible.
//!
//! ```
//! let report = ruledex_ingest::ingest_samples();
//! assert!(report.rules.len() >= 25);
//! assert_eq!(report.failed_files, 0);
//! ```
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use ruledex_diag::LineIndex;
use ruledex_model::{Rule, Vendor};
use serde::Serialize;

/// Where a corpus comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The Sigma sample corpus embedded in the binary.
    Samples,
    /// A directory of one vendor's rules.
    Dir {
        /// The vendor.
        vendor: Vendor,
        /// The directory.
        path: PathBuf,
    },
}

/// Why a source argument could not be used.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceError {
    /// The path does not exist or is not a directory.
    NotADirectory(PathBuf),
    /// `VENDOR=DIR` named an unknown vendor.
    UnknownVendor(String),
    /// The vendor could not be worked out from the directory.
    UndetectedVendor(PathBuf),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::NotADirectory(p) => write!(f, "`{}` is not a directory", p.display()),
            SourceError::UnknownVendor(v) => {
                write!(
                    f,
                    "unknown vendor `{v}` (expected sigma, elastic, splunk, sentinel or panther)"
                )
            }
            SourceError::UndetectedVendor(p) => write!(
                f,
                "cannot tell which vendor's rules are in `{}`; name it as VENDOR=DIR (sigma, elastic, splunk, sentinel, panther)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for SourceError {}

impl Source {
    /// Parse a command-line source: `DIR` (vendor detected) or `VENDOR=DIR`.
    pub fn parse(arg: &str) -> Result<Source, SourceError> {
        if let Some((vendor, dir)) = arg.split_once('=')
            && !Path::new(arg).exists()
        {
            let vendor = vendor
                .parse::<Vendor>()
                .map_err(|_| SourceError::UnknownVendor(vendor.to_owned()))?;
            let path = PathBuf::from(dir);
            if !path.is_dir() {
                return Err(SourceError::NotADirectory(path));
            }
            return Ok(Source::Dir { vendor, path });
        }
        let path = PathBuf::from(arg);
        if !path.is_dir() {
            return Err(SourceError::NotADirectory(path));
        }
        let vendor =
            detect_vendor(&path).ok_or_else(|| SourceError::UndetectedVendor(path.clone()))?;
        Ok(Source::Dir { vendor, path })
    }

    /// The vendor of the source.
    pub fn vendor(&self) -> Vendor {
        match self {
            Source::Samples => Vendor::Sigma,
            Source::Dir { vendor, .. } => *vendor,
        }
    }
}

/// Work out which vendor's rules a directory holds: first from the directory
/// name, then from marker files and folders each repository layout has.
pub fn detect_vendor(dir: &Path) -> Option<Vendor> {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(name) = canonical.file_name().and_then(|n| n.to_str()) {
        let name = name.to_ascii_lowercase();
        for v in Vendor::ALL {
            if name.contains(v.as_str()) {
                return Some(v);
            }
        }
        if name.contains("detection-rules") {
            return Some(Vendor::Elastic);
        }
        if name.contains("security_content") {
            return Some(Vendor::Splunk);
        }
    }
    let has = |p: &str| dir.join(p).exists();
    if has("rules_building_block") || (has("rules") && has("detection_rules")) {
        return Some(Vendor::Elastic);
    }
    if has("detections") && has("macros") {
        return Some(Vendor::Splunk);
    }
    if has("Detections") || has("Solutions") || has("Hunting Queries") {
        return Some(Vendor::Sentinel);
    }
    if has("data_models") && has("global_helpers") {
        return Some(Vendor::Panther);
    }
    // A folder of YAML files with `logsource:` and `detection:` is Sigma.
    let first_yaml = walkdir::WalkDir::new(dir)
        .max_depth(4)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "yml" || x == "yaml")
        })?;
    let text = std::fs::read_to_string(first_yaml.path()).ok()?;
    (text.contains("logsource:") && text.contains("detection:")).then_some(Vendor::Sigma)
}

/// One document that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// File path as given (or `sample:…` for embedded samples).
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Stable kebab-case code.
    pub code: String,
    /// What is wrong.
    pub reason: String,
}

/// What reading one corpus gave.
#[derive(Debug)]
pub struct Report {
    /// The vendor.
    pub vendor: Vendor,
    /// The corpus root (or `sample:` for the embedded corpus).
    pub root: String,
    /// Rule files looked at.
    pub files: usize,
    /// Files found that this vendor's front-end does not exist for yet.
    pub unsupported: bool,
    /// Rules read.
    pub rules: Vec<Rule>,
    /// Files that gave no rule at all.
    pub failed_files: usize,
    /// Documents that could not be read, and rules whose logic could not be
    /// (an Elastic rule whose query does not parse is kept, with opaque
    /// logic, and its error is listed here).
    pub failures: Vec<Failure>,
    /// Problems in rules that were still read.
    pub warnings: Vec<Failure>,
    /// Field references looked at by the taxonomy.
    pub field_occurrences: usize,
    /// Field references that resolved to no canonical field, by raw name.
    pub unresolved_fields: BTreeMap<String, usize>,
}

impl Report {
    /// Field references that resolved to a canonical field.
    pub fn resolved_fields(&self) -> usize {
        self.field_occurrences - self.unresolved_fields.values().sum::<usize>()
    }

    /// Unresolved field names, most frequent first (ties by name).
    pub fn unresolved_ranked(&self) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = self
            .unresolved_fields
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// Why logic could not be reduced: each opaque reason with the number of
    /// rules that have it, most frequent first (ties by reason).
    pub fn opaque_reasons(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for rule in &self.rules {
            let mut seen: Vec<&str> = Vec::new();
            let mut steps = Vec::new();
            if let Some(ruledex_model::AggregationKind::Sequence { steps: s, .. }) =
                rule.logic.aggregation.as_ref().map(|a| &a.kind)
            {
                steps.extend(s.iter().map(|s| &s.expr));
            }
            for expr in std::iter::once(&rule.logic.expr).chain(steps) {
                for o in expr.opaques() {
                    if !seen.contains(&o.reason.as_str()) {
                        seen.push(&o.reason);
                    }
                }
            }
            for r in seen {
                *counts.entry(r).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> =
            counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Rules with at least one catalog event.
    pub fn with_events(&self) -> usize {
        self.rules.iter().filter(|r| !r.events.is_empty()).count()
    }

    /// Rules whose logic tests at least one field or keyword.
    pub fn with_logic(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.logic.has_predicate())
            .count()
    }

    /// Rules whose logic has no opaque part.
    pub fn fully_parsed(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.logic.is_fully_parsed())
            .count()
    }
}

/// One file's outcome, before merging.
struct FileResult {
    rules: Vec<Rule>,
    failures: Vec<Failure>,
    warnings: Vec<Failure>,
    occurrences: usize,
    unresolved: Vec<String>,
}

impl FileResult {
    fn failed(failure: Failure) -> FileResult {
        FileResult {
            rules: Vec::new(),
            failures: vec![failure],
            warnings: Vec::new(),
            occurrences: 0,
            unresolved: Vec::new(),
        }
    }

    /// Add taxonomy facts (catalog events, canonical fields) to every rule.
    fn enrich(mut self) -> FileResult {
        for rule in &mut self.rules {
            let e = ruledex_taxonomy::enrich::enrich(rule);
            self.occurrences += e.occurrences;
            self.unresolved.extend(e.unresolved);
        }
        self
    }
}

/// Give each error of a file its line and column.
fn locate(
    path: &str,
    text: &str,
    errors: impl ExactSizeIterator<Item = (ruledex_diag::Span, &'static str, String)>,
) -> Vec<Failure> {
    if errors.len() == 0 {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    errors
        .map(|(span, code, reason)| {
            let at = index.line_col(text, span.start as usize);
            Failure {
                path: path.to_owned(),
                line: at.line,
                column: at.column,
                code: code.to_owned(),
                reason,
            }
        })
        .collect()
}

fn sigma_errors(
    errors: &[ruledex_sigma::Error],
) -> impl ExactSizeIterator<Item = (ruledex_diag::Span, &'static str, String)> + '_ {
    errors
        .iter()
        .map(|e| (e.span, e.kind.code(), e.kind.to_string()))
}

fn elastic_errors(
    errors: &[ruledex_elastic::rule::Error],
) -> impl ExactSizeIterator<Item = (ruledex_diag::Span, &'static str, String)> + '_ {
    errors
        .iter()
        .map(|e| (e.span, e.kind.code(), e.kind.to_string()))
}

/// Read one Sigma file's text.
fn read_sigma(path: &str, text: &str) -> FileResult {
    let parsed = ruledex_sigma::parse_sigma(path, text);
    FileResult {
        failures: locate(path, text, sigma_errors(&parsed.errors)),
        warnings: locate(path, text, sigma_errors(&parsed.warnings)),
        rules: parsed.rules,
        occurrences: 0,
        unresolved: Vec::new(),
    }
    .enrich()
}

/// Read one Elastic rule file's text. A rule whose query does not parse is
/// kept (opaque logic) and its error is a failure, so the report lists it.
fn read_elastic(path: &str, text: &str) -> FileResult {
    let parsed = ruledex_elastic::rule::parse_elastic(path, text);
    FileResult {
        failures: locate(path, text, elastic_errors(&parsed.errors)),
        warnings: locate(path, text, elastic_errors(&parsed.warnings)),
        rules: parsed.rules,
        occurrences: 0,
        unresolved: Vec::new(),
    }
    .enrich()
}

fn sentinel_errors(
    errors: &[ruledex_sentinel::rule::Error],
) -> impl ExactSizeIterator<Item = (ruledex_diag::Span, &'static str, String)> + '_ {
    errors
        .iter()
        .map(|e| (e.span, e.kind.code(), e.kind.to_string()))
}

/// Read one Sentinel rule file's text. A rule whose query does not parse is
/// kept (opaque logic) and its error is a failure.
fn read_sentinel(path: &str, text: &str) -> FileResult {
    let parsed = ruledex_sentinel::parse_sentinel(path, text);
    FileResult {
        failures: locate(path, text, sentinel_errors(&parsed.errors)),
        warnings: locate(path, text, sentinel_errors(&parsed.warnings)),
        rules: parsed.rules,
        occurrences: 0,
        unresolved: Vec::new(),
    }
    .enrich()
}

fn splunk_errors(
    errors: &[ruledex_splunk::Error],
) -> impl ExactSizeIterator<Item = (ruledex_diag::Span, &'static str, String)> + '_ {
    errors
        .iter()
        .map(|e| (e.span, e.kind.code(), e.kind.to_string()))
}

/// Read one Splunk detection's text, with the corpus's macros and lookups.
/// A detection whose search does not parse is kept (opaque logic) and its
/// error is a failure.
fn read_splunk(path: &str, text: &str, cx: &ruledex_splunk::Context) -> FileResult {
    let parsed = ruledex_splunk::parse_splunk_with(path, text, cx);
    FileResult {
        failures: locate(path, text, splunk_errors(&parsed.errors)),
        warnings: locate(path, text, splunk_errors(&parsed.warnings)),
        rules: parsed.rules,
        occurrences: 0,
        unresolved: Vec::new(),
    }
    .enrich()
}

/// The security_content root of a Splunk corpus directory: the directory
/// itself or the nearest parent holding `macros/` (for `…/detections/endpoint`).
pub fn splunk_root(dir: &Path) -> PathBuf {
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.join("macros").is_dir() {
            return d.to_path_buf();
        }
        at = d.parent();
    }
    dir.to_path_buf()
}

type Reader = Box<dyn Fn(&str, &str) -> FileResult + Sync>;

/// The front-end of a vendor, when there is one.
fn reader(vendor: Vendor, dir: &Path) -> Option<Reader> {
    match vendor {
        Vendor::Sigma => Some(Box::new(read_sigma)),
        Vendor::Elastic => Some(Box::new(read_elastic)),
        Vendor::Sentinel => Some(Box::new(read_sentinel)),
        Vendor::Splunk => {
            let cx = ruledex_splunk::Context::load(&splunk_root(dir));
            Some(Box::new(move |path, text| read_splunk(path, text, &cx)))
        }
        Vendor::Panther => None,
    }
}

/// The rule files of a vendor under `dir`, sorted. For Splunk, a
/// security_content checkout's rules are its `detections/` (macros, lookups,
/// stories and data sources are not rules).
pub fn rule_files(vendor: Vendor, dir: &Path) -> Vec<PathBuf> {
    if vendor == Vendor::Splunk && dir.join("detections").is_dir() && dir.join("macros").is_dir() {
        return rule_files_in(vendor, &dir.join("detections"));
    }
    rule_files_in(vendor, dir)
}

fn rule_files_in(vendor: Vendor, dir: &Path) -> Vec<PathBuf> {
    let wanted: &[&str] = match vendor {
        Vendor::Sigma | Vendor::Splunk | Vendor::Sentinel | Vendor::Panther => &["yml", "yaml"],
        Vendor::Elastic => &["toml"],
    };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .extension()
                .and_then(|x| x.to_str())
                // Sentinel has one file named `… . yaml` (a space before the extension).
                .is_some_and(|x| wanted.contains(&x.trim_start()))
        })
        .filter(|e| vendor != Vendor::Sentinel || !is_sentinel_parser(dir, e.path()))
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// Sentinel ASIM parsers (`asim/…`, `Parsers/…`) are function definitions,
/// not rules: rule discovery leaves them out.
fn is_sentinel_parser(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().next().is_some_and(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        c == "asim" || c == "parsers"
    })
}

/// Read every rule file of a source.
pub fn ingest(source: &Source) -> Report {
    match source {
        Source::Samples => ingest_samples(),
        Source::Dir { vendor, path } => ingest_dir(*vendor, path),
    }
}

/// Read one document's `text` (shown as `path`) with `vendor`'s front-end,
/// as a one-file report: for linting a draft. A vendor without a front-end
/// gives an `unsupported` report. A Splunk draft's macros and lookups are
/// looked up from the draft's directory upwards (see [`splunk_root`]).
pub fn ingest_text(vendor: Vendor, path: &str, text: &str) -> Report {
    let dir = Path::new(path).parent().unwrap_or(Path::new("."));
    let Some(read) = reader(vendor, dir) else {
        let mut r = merge(vendor, path.to_owned(), Vec::new());
        r.files = 1;
        r.unsupported = true;
        return r;
    };
    merge(vendor, path.to_owned(), vec![read(path, text)])
}

/// Read the embedded Sigma sample corpus.
pub fn ingest_samples() -> Report {
    let results: Vec<FileResult> = ruledex_samples::sigma()
        .par_iter()
        .map(|f| read_sigma(&format!("sample:sigma/{}", f.path), f.text))
        .collect();
    merge(Vendor::Sigma, "sample:sigma".into(), results)
}

/// Read every rule file of `vendor` under `dir`.
pub fn ingest_dir(vendor: Vendor, dir: &Path) -> Report {
    let files = rule_files(vendor, dir);
    let Some(read) = reader(vendor, dir) else {
        return Report {
            vendor,
            root: dir.display().to_string(),
            files: files.len(),
            unsupported: true,
            rules: Vec::new(),
            failed_files: 0,
            failures: Vec::new(),
            warnings: Vec::new(),
            field_occurrences: 0,
            unresolved_fields: BTreeMap::new(),
        };
    };
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|p| {
            let shown = p.strip_prefix(dir).unwrap_or(p).display().to_string();
            let shown = format!(
                "{}/{}",
                dir.display().to_string().trim_end_matches('/'),
                shown
            );
            match std::fs::read(p) {
                Err(e) => FileResult::failed(Failure {
                    path: shown,
                    line: 0,
                    column: 0,
                    code: "io".into(),
                    reason: e.to_string(),
                }),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => {
                        let mut r = read(&shown, &text);
                        let rel = p.strip_prefix(dir).unwrap_or(p).display().to_string();
                        for rule in &mut r.rules {
                            rule.source.path.clone_from(&rel);
                        }
                        r
                    }
                    Err(e) => FileResult::failed(Failure {
                        path: shown,
                        line: 0,
                        column: 0,
                        code: "not-utf8".into(),
                        reason: format!("file is not UTF-8 text: {e}"),
                    }),
                },
            }
        })
        .collect();
    merge(vendor, dir.display().to_string(), results)
}

fn merge(vendor: Vendor, root: String, results: Vec<FileResult>) -> Report {
    let files = results.len();
    let mut report = Report {
        vendor,
        root,
        files,
        unsupported: false,
        rules: Vec::new(),
        failed_files: 0,
        failures: Vec::new(),
        warnings: Vec::new(),
        field_occurrences: 0,
        unresolved_fields: BTreeMap::new(),
    };
    for r in results {
        if r.rules.is_empty() {
            report.failed_files += 1;
        }
        report.field_occurrences += r.occurrences;
        for f in r.unresolved {
            *report.unresolved_fields.entry(f).or_default() += 1;
        }
        report.rules.extend(r.rules);
        report.failures.extend(r.failures);
        report.warnings.extend(r.warnings);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_parse_cleanly() {
        let r = ingest_samples();
        assert!(r.files >= 25, "{} sample files", r.files);
        assert_eq!(r.failures, Vec::new());
        assert_eq!(r.failed_files, 0);
        assert_eq!(r.fully_parsed(), r.rules.len());
    }

    #[test]
    fn source_parse_rejects_unknown_vendor_and_missing_dir() {
        assert_eq!(
            Source::parse("acme=/tmp"),
            Err(SourceError::UnknownVendor("acme".into()))
        );
        assert!(matches!(
            Source::parse("/no/such/dir"),
            Err(SourceError::NotADirectory(_))
        ));
    }
}
