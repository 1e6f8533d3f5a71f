//! Sentinel rule files (YAML) read into the ruledex model.
//!
//! Microsoft Sentinel's community content ([Azure/Azure-Sentinel]) keeps one
//! analytic rule or hunting query per YAML file. [`parse_sentinel`] reads one
//! file into one [`Rule`]:
//!
//! | YAML | `Rule` |
//! |---|---|
//! | `id` | `native_id`, uid `sentinel:<id>` (a file without `id` uses its path, with a warning) |
//! | `name`, `description`, `severity`, `status`, `version` | `title`, `description`, `severity`, `status`; `version` in `extra` |
//! | `tactics` (`DefenseEvasion`) | `tactics` as short names (`defense-evasion`) |
//! | `relevantTechniques` (also `techniques`) | `techniques` (sub-techniques kept) |
//! | `requiredDataConnectors[].dataTypes` (or `datatypes`) and the query's tables | `data_sources`; tables → `platforms`, `domains` |
//! | `tags` | `tags` (strings); structured tags in `extra` |
//! | `kind` (`Scheduled`, `NRT`, …; none for a hunting query) | `extra.kind`, and `extra.sentinel_type` = `analytic` or `hunting` |
//! | `queryFrequency`, `queryPeriod`, `triggerOperator`, `triggerThreshold`, `entityMappings`, `customDetails`, every other key | `extra`, as JSON under its own key |
//! | `query` | `logic` through [`crate::kusto`]; `extra.kusto_time_filters`, `extra.kusto_approximations` say what the lowering set aside |
//!
//! Spans of predicates and errors are moved from the query into the file,
//! line by line, so they index [`Rule::text`] (the whole file).
//!
//! # Errors and warnings
//!
//! No rule: the file is not YAML, not a mapping, or has no `name`. A rule and
//! an error: its query does not parse (the rule keeps its metadata, its logic
//! is one `Opaque` node with the parser's message). Warnings: metadata that
//! does not fit (a missing `id`, an unknown severity, a malformed ATT&CK id).
//!
//! [Azure/Azure-Sentinel]: https://github.com/Azure/Azure-Sentinel
//!
//! ```
//! use ruledex_sentinel::parse_sentinel;
//!
//! let text = "\
//! id: 0a1b2c3d-0000-4000-8000-000000000001
//! name: Nmap launched
//! severity: Medium
//! tactics:
//!   - Discovery
//! relevantTechniques:
//!   - T1046
//! kind: Scheduled
//! query: |
//!   SecurityEvent
//!   | where EventID == 4688 and NewProcessName endswith @'\\nmap.exe'
//! ";
//! let parsed = parse_sentinel("nmap.yaml", text);
//! let rule = &parsed.rules[0];
//! assert_eq!(rule.uid, "sentinel:0a1b2c3d-0000-4000-8000-000000000001");
//! assert_eq!(rule.tactics, ["discovery"]);
//! assert_eq!(rule.data_sources, ["SecurityEvent"]);
//! let nmap = &rule.logic.expr.preds()[1];
//! assert_eq!(nmap.field.raw, "NewProcessName");
//! assert_eq!(nmap.values[0].as_str(), Some(r"\nmap.exe"));
//! ```

use std::fmt;

use ruledex_attack::AttackRef;
use ruledex_diag::{CharToByte, Span};
use ruledex_model::{Expr, Language, Logic, Rule, Severity, Vendor};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::error::QueryErrorKind;
use crate::kusto;

/// Largest rule file accepted (4 MiB).
pub const MAX_FILE_SIZE: usize = 4 << 20;

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The rule read (at most one).
    pub rules: Vec<Rule>,
    /// What kept the rule, or its logic, from being read.
    pub errors: Vec<Error>,
    /// Problems in metadata of a rule that was read.
    pub warnings: Vec<Error>,
}

/// A problem with a span into the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What.
    pub kind: ErrorKind,
    /// Where, in the file.
    pub span: Span,
}

/// Why a Sentinel file (or part of it) could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not YAML.
    Yaml {
        /// The YAML parser's message.
        message: String,
    },
    /// Larger than [`MAX_FILE_SIZE`].
    FileTooLarge {
        /// Size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The document is not a mapping.
    NotAMapping,
    /// A required key is missing.
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key holds the wrong kind of value.
    WrongType {
        /// The key.
        key: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A severity Sentinel does not define.
    UnknownSeverity {
        /// As written.
        found: String,
    },
    /// An ATT&CK tactic or technique that does not read as one.
    InvalidAttackRef {
        /// As written.
        input: String,
    },
    /// The query does not parse.
    Query {
        /// The parser's error.
        error: QueryErrorKind,
    },
}

impl ErrorKind {
    /// A stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Yaml { .. } => "yaml",
            ErrorKind::FileTooLarge { .. } => "file-too-large",
            ErrorKind::NotAMapping => "not-a-mapping",
            ErrorKind::MissingKey { .. } => "missing-key",
            ErrorKind::WrongType { .. } => "wrong-type",
            ErrorKind::UnknownSeverity { .. } => "unknown-severity",
            ErrorKind::InvalidAttackRef { .. } => "invalid-attack-ref",
            ErrorKind::Query { error } => error.code(),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Yaml { message } => write!(f, "not valid YAML: {message}"),
            ErrorKind::FileTooLarge { size, limit } => {
                write!(f, "file of {size} bytes is larger than {limit}")
            }
            ErrorKind::NotAMapping => f.write_str("the document is not a mapping"),
            ErrorKind::MissingKey { key } => write!(f, "missing `{key}`"),
            ErrorKind::WrongType { key, expected } => write!(f, "`{key}` should be {expected}"),
            ErrorKind::UnknownSeverity { found } => write!(f, "unknown severity `{found}`"),
            ErrorKind::InvalidAttackRef { input } => {
                write!(f, "`{input}` is not an ATT&CK tactic or technique")
            }
            ErrorKind::Query { error } => write!(f, "Kusto query: {error}"),
        }
    }
}

impl Error {
    fn new(kind: ErrorKind, span: Span) -> Error {
        Error { kind, span }
    }
}

type Node<'a> = MarkedYaml<'a>;

struct Cx<'t> {
    text: &'t str,
    chars: CharToByte,
    errors: Vec<Error>,
    warnings: Vec<Error>,
}

impl Cx<'_> {
    fn span(&self, node: &Node<'_>) -> Span {
        let start = self.chars.byte(node.span.start.index());
        let mut end = self.chars.byte(node.span.end.index()).max(start);
        let b = self.text.as_bytes();
        while end > start && b.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
            end -= 1;
        }
        Span::new(start, end)
    }
}

fn get<'n, 'a>(map: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    match &map.data {
        YamlData::Mapping(m) => m
            .iter()
            .find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn scalar(node: &Node<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(node: &Node<'_>) -> Vec<String> {
    match &node.data {
        YamlData::Sequence(items) => items.iter().filter_map(scalar).collect(),
        _ => scalar(node).into_iter().collect(),
    }
}

/// A YAML node as JSON (for `extra`).
fn to_json(node: &Node<'_>) -> serde_json::Value {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => serde_json::Value::String(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => serde_json::Value::from(*i),
        YamlData::Value(Scalar::FloatingPoint(f)) => serde_json::Value::from(f.into_inner()),
        YamlData::Value(Scalar::Boolean(b)) => serde_json::Value::Bool(*b),
        YamlData::Sequence(items) => items.iter().map(to_json).collect(),
        YamlData::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (scalar(k).unwrap_or_default(), to_json(v)))
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}

/// Keys read into `Rule` fields (everything else goes to `extra`).
const READ_KEYS: [&str; 10] = [
    "id",
    "name",
    "description",
    "severity",
    "status",
    "tactics",
    "relevantTechniques",
    "techniques",
    "tags",
    "query",
];

/// Read one Sentinel rule file. `path` is recorded as the rule's source path.
pub fn parse_sentinel(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    if text.len() > MAX_FILE_SIZE {
        out.errors.push(Error::new(
            ErrorKind::FileTooLarge {
                size: text.len(),
                limit: MAX_FILE_SIZE,
            },
            Span::default(),
        ));
        return out;
    }
    let mut cx = Cx {
        text,
        chars: CharToByte::new(text),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let docs = match MarkedYaml::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let at = cx.chars.byte(e.marker().index());
            out.errors.push(Error::new(
                ErrorKind::Yaml {
                    message: e.info().to_owned(),
                },
                Span::new(at, at + 1),
            ));
            return out;
        }
    };
    let Some(doc) = docs.first() else {
        out.errors
            .push(Error::new(ErrorKind::NotAMapping, Span::default()));
        return out;
    };
    if !matches!(doc.data, YamlData::Mapping(_)) {
        out.errors
            .push(Error::new(ErrorKind::NotAMapping, cx.span(doc)));
        return out;
    }
    if let Some(rule) = read(&mut cx, path, doc) {
        out.rules.push(rule);
    }
    out.errors = cx.errors;
    out.warnings = cx.warnings;
    out
}

fn read(cx: &mut Cx<'_>, path: &str, doc: &Node<'_>) -> Option<Rule> {
    let Some(title) = get(doc, "name").and_then(scalar) else {
        cx.errors.push(Error::new(
            ErrorKind::MissingKey { key: "name" },
            Span::point(0),
        ));
        return None;
    };
    let id = match get(doc, "id").and_then(scalar) {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            cx.warnings.push(Error::new(
                ErrorKind::MissingKey { key: "id" },
                Span::point(0),
            ));
            path.to_owned()
        }
    };
    let mut rule = Rule::new(
        Vendor::Sentinel,
        id,
        title.trim(),
        Language::Kusto,
        Logic::new(Expr::And(Vec::new())),
    );
    rule.text = cx.text.to_owned();
    rule.source.path = path.to_owned();
    rule.description = get(doc, "description")
        .and_then(scalar)
        .unwrap_or_default()
        .trim()
        .to_owned();
    if let Some(node) = get(doc, "severity") {
        let s = scalar(node).unwrap_or_default();
        rule.severity = match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Informational),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => {
                cx.warnings.push(Error::new(
                    ErrorKind::UnknownSeverity { found: s.clone() },
                    cx.span(node),
                ));
                rule.extra
                    .insert("severity".into(), serde_json::Value::String(s));
                None
            }
        };
    }
    rule.status = get(doc, "status").and_then(scalar);
    attack(cx, doc, &mut rule);
    if let Some(tags) = get(doc, "tags") {
        let (plain, structured): (Vec<&Node<'_>>, Vec<&Node<'_>>) = match &tags.data {
            YamlData::Sequence(items) => items.iter().partition(|n| scalar(n).is_some()),
            _ => (vec![tags], Vec::new()),
        };
        rule.tags = plain.into_iter().filter_map(scalar).collect();
        if !structured.is_empty() {
            rule.extra
                .insert("tags".into(), structured.into_iter().map(to_json).collect());
        }
    }
    // Everything else, verbatim.
    if let YamlData::Mapping(m) = &doc.data {
        for (k, v) in m {
            let Some(key) = scalar(k) else { continue };
            if !READ_KEYS.contains(&key.as_str()) {
                rule.extra.insert(key, to_json(v));
            }
        }
    }
    // The folder says it (`Hunting Queries/`, `Detections/`, `Analytic Rules/`);
    // elsewhere an analytic rule has a `kind` or a schedule.
    let analytic_folder = ["Detections/", "Analytic", "Detection Queries/"]
        .iter()
        .any(|f| path.contains(f));
    let hunting = path.contains("Hunting Queries")
        || (!analytic_folder && get(doc, "kind").is_none() && get(doc, "queryFrequency").is_none());
    rule.extra.insert(
        "sentinel_type".into(),
        serde_json::Value::String(if hunting { "hunting" } else { "analytic" }.into()),
    );
    // Data sources: connector data types first.
    if let Some(conns) = get(doc, "requiredDataConnectors")
        && let YamlData::Sequence(items) = &conns.data
    {
        for c in items {
            for key in ["dataTypes", "datatypes"] {
                if let Some(dt) = get(c, key) {
                    for t in strings(dt) {
                        push_unique(&mut rule.data_sources, t.trim());
                    }
                }
            }
        }
    }
    match get(doc, "query") {
        Some(node) => match scalar(node) {
            Some(q) => {
                logic(cx, node, &q, &mut rule);
                rule.extra
                    .insert("kusto_query".into(), serde_json::Value::String(q));
            }
            None => {
                cx.errors.push(Error::new(
                    ErrorKind::WrongType {
                        key: "query".into(),
                        expected: "a string",
                    },
                    cx.span(node),
                ));
                rule.logic = Logic::new(Expr::opaque("query is not a string", "", None));
            }
        },
        None => {
            // Upstream keeps a few stubs (id, name, description only): the rule
            // is kept, its logic opaque, and the missing query is a warning.
            cx.warnings.push(Error::new(
                ErrorKind::MissingKey { key: "query" },
                Span::point(0),
            ));
            rule.logic = Logic::new(Expr::opaque("rule has no query", "", None));
        }
    }
    let (platforms, domains) = platforms(&rule.data_sources);
    rule.platforms = platforms;
    rule.domains = domains;
    Some(rule)
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !v.iter().any(|x| x.eq_ignore_ascii_case(s)) {
        v.push(s.to_owned());
    }
}

/// `DefenseEvasion` → `defense-evasion`; `Command and Control` → `command-and-control`.
fn tactic_short_name(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.trim().chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        if c == ' ' || c == '_' {
            if !out.ends_with('-') {
                out.push('-');
            }
            continue;
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn attack(cx: &mut Cx<'_>, doc: &Node<'_>, rule: &mut Rule) {
    let tactics = get(doc, "tactics").map(strings).unwrap_or_default();
    let mut techniques = get(doc, "relevantTechniques")
        .map(strings)
        .unwrap_or_default();
    if techniques.is_empty() {
        techniques = get(doc, "techniques").map(strings).unwrap_or_default();
    }
    let at = get(doc, "tactics")
        .or_else(|| get(doc, "relevantTechniques"))
        .map_or(Span::point(0), |n| cx.span(n));
    for p in ruledex_attack::parse_sentinel(&tactics, &techniques) {
        match p.result {
            Ok(AttackRef::Technique(id)) => push_unique(&mut rule.techniques, &id.to_string()),
            Ok(AttackRef::Tactic(_)) => {
                push_unique(&mut rule.tactics, &tactic_short_name(&p.input));
            }
            Ok(_) | Err(_) => cx.warnings.push(Error::new(
                ErrorKind::InvalidAttackRef { input: p.input },
                at,
            )),
        }
    }
}

/// Maps byte offsets in a decoded YAML string to offsets in the file, line by line.
struct QueryMap {
    /// (offset of a query line, offset of that line in the file).
    lines: Vec<(usize, usize)>,
    fallback: usize,
}

impl QueryMap {
    fn new(file: &str, node_start: usize, query: &str) -> QueryMap {
        let mut lines = Vec::new();
        let mut cursor = node_start;
        let mut q_off = 0;
        for line in query.split('\n') {
            let needle = line.trim_end_matches('\r');
            if !needle.trim().is_empty()
                && let Some(found) = file.get(cursor..).and_then(|rest| rest.find(needle))
            {
                lines.push((q_off, cursor + found));
                cursor += found + needle.len();
            }
            q_off += line.len() + 1;
        }
        QueryMap {
            lines,
            fallback: node_start,
        }
    }

    fn map(&self, off: usize) -> usize {
        let i = self.lines.partition_point(|(q, _)| *q <= off);
        match i.checked_sub(1).map(|i| self.lines[i]) {
            Some((q, f)) => f + (off - q),
            None => self.fallback,
        }
    }

    fn span(&self, s: Span) -> Span {
        let start = self.map(s.start as usize);
        let end = self.map(s.end as usize).max(start);
        Span::new(start, end)
    }
}

fn logic(cx: &mut Cx<'_>, node: &Node<'_>, query: &str, rule: &mut Rule) {
    let node_span = cx.span(node);
    let map = QueryMap::new(cx.text, node_span.start as usize, query);
    match kusto::parse(query) {
        Err(e) => {
            let span = map.span(e.span);
            rule.logic = Logic::new(Expr::opaque(
                format!("Kusto syntax error: {}", e.kind),
                query,
                Some(node_span),
            ));
            cx.errors
                .push(Error::new(ErrorKind::Query { error: e.kind }, span));
        }
        Ok(ast) => {
            let lowered = kusto::lower(&ast);
            // Query tables first, then connector data types.
            let mut sources = Vec::new();
            for t in lowered.tables.iter().chain(rule.data_sources.iter()) {
                push_unique(&mut sources, t);
            }
            rule.data_sources = sources;
            let mut logic = Logic {
                expr: lowered.expr,
                aggregation: lowered.aggregation,
            };
            let mut shift = |s: ruledex_diag::Span| map.span(s);
            logic.expr.map_spans(&mut shift);
            if let Some(agg) = &mut logic.aggregation
                && let Some(h) = &mut agg.having
            {
                h.map_spans(&mut shift);
            }
            rule.logic = logic;
            if !lowered.time_filters.is_empty() {
                rule.extra.insert(
                    "kusto_time_filters".into(),
                    lowered.time_filters.into_iter().collect(),
                );
            }
            if !lowered.approximations.is_empty() {
                rule.extra.insert(
                    "kusto_approximations".into(),
                    lowered.approximations.into_iter().collect(),
                );
            }
        }
    }
}

/// Platforms and domains a rule's tables imply.
fn platforms(tables: &[String]) -> (Vec<String>, Vec<String>) {
    let mut platforms = Vec::new();
    let mut domains = Vec::new();
    for t in tables {
        let l = t.to_ascii_lowercase();
        let (p, d): (&[&str], &[&str]) = if l.starts_with("securityevent")
            || l.starts_with("windowsevent")
            || l == "event"
            || l.starts_with("sysmon")
            || l.starts_with("windowsfirewall")
        {
            (&["windows"], &["endpoint"])
        } else if l.starts_with("device") {
            (&[], &["endpoint"])
        } else if l == "syslog" || l.starts_with("linux") {
            (&["linux"], &["endpoint"])
        } else if l.starts_with("signinlogs")
            || l.starts_with("aad")
            || l.starts_with("auditlogs")
            || l.starts_with("identityinfo")
            || l.starts_with("behavioranalytics")
        {
            (&["azure"], &["identity"])
        } else if l.starts_with("azure") || l.starts_with("storage") || l.starts_with("keyvault") {
            (&["azure"], &["cloud"])
        } else if l.starts_with("officeactivity")
            || l.starts_with("cloudappevents")
            || l.starts_with("email")
        {
            (&["m365"], &["cloud"])
        } else if l.starts_with("aws") {
            (&["aws"], &["cloud"])
        } else if l.starts_with("gcp") {
            (&["gcp"], &["cloud"])
        } else if l.starts_with("okta") {
            (&["okta"], &["identity"])
        } else if l.starts_with("commonsecuritylog")
            || l.starts_with("dnsevents")
            || l.starts_with("azurefirewall")
            || l.contains("networksession")
            || l.contains("_dns")
            || l.contains("imdns")
            || l.starts_with("w3ciis")
        {
            (&[], &["network"])
        } else if l.starts_with("im") || l.starts_with("_im_") || l.starts_with("asim") {
            (&[], &["endpoint"])
        } else {
            (&[], &[])
        };
        for x in p {
            push_unique(&mut platforms, x);
        }
        for x in d {
            push_unique(&mut domains, x);
        }
    }
    (platforms, domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactic_names() {
        assert_eq!(tactic_short_name("DefenseEvasion"), "defense-evasion");
        assert_eq!(
            tactic_short_name("CommandAndControl"),
            "command-and-control"
        );
        assert_eq!(tactic_short_name("Initial Access"), "initial-access");
    }

    #[test]
    fn query_offsets_move_into_the_file() {
        let file = "query: |\n  T\n  | where A == 1\n";
        let q = "T\n| where A == 1\n";
        let m = QueryMap::new(file, 7, q);
        // `A` is at query offset 10, file offset 21.
        assert_eq!(&file[m.map(10)..=m.map(10)], "A");
    }
}
