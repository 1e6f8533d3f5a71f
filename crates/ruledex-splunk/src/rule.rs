//! Splunk security_content detection files (YAML) read into the model.
//!
//! [`parse_splunk_with`] reads one detection into one [`Rule`]:
//!
//! | YAML | `Rule` |
//! |---|---|
//! | `id` | `native_id`, uid `splunk:<id>` |
//! | `name`, `description`, `references` | `title`, `description`, `references` |
//! | `author` (`A, B, Splunk`) | `authors`, split at commas |
//! | `date` | `modified` (security_content keeps one date, updated with each version) |
//! | `status` | `status`; `deprecated` status or a file under `deprecated/` sets `deprecated` |
//! | `type` (`TTP`, `Anomaly`, `Hunting`, `Correlation`, …) | `extra.type`; `Correlation` is [`RuleKind::Correlation`] |
//! | `tags.risk_score` (else `rba`'s score, else `type`) | `severity`: ≥ 80 critical, ≥ 60 high, ≥ 40 medium, ≥ 20 low, else informational; without a score TTP is medium, Anomaly low, Hunting informational, Correlation high |
//! | `tags.mitre_attack_id` | `techniques` (uppercase; malformed ids are warnings and kept in `extra`) |
//! | `tags.analytic_story` | `tags` |
//! | `tags.security_domain`, the corpus folder (`cloud`, `network`, …) | `domains` |
//! | `tags.asset_type`, `data_source` names | `platforms` (`windows`, `linux`, `aws`, `azure`, `gcp`, `o365`, `okta`, …) |
//! | `data_source` (or `data_sources`) | `data_sources` |
//! | `known_false_positives` | `false_positives` |
//! | `how_to_implement`, `version`, `drilldown_searches`, `rba`, `tests`, other `tags` | `extra`, as JSON under their own key |
//! | `search` | `logic`, through [`crate::spl`], and `extra.search` as written; the data models, macros and lookups it uses go to `extra` |
//!
//! Predicate spans are moved from the search text into the file (through YAML
//! quoting and line folding), so they index [`Rule::text`]. Predicates that
//! come from a macro's definition point at the macro call.
//!
//! # Errors and warnings
//!
//! No rule at all when the file is not YAML or has no `id` or `name`. A
//! search that does not parse keeps the rule (its metadata counts for
//! coverage) with an `Opaque` logic, and is reported as an error with its
//! position inside the search, moved into the file. A bad date or technique
//! id is a warning.

use std::collections::BTreeMap;

use ruledex_diag::{CharToByte, Span};
use ruledex_model::{Expr, Language, Logic, Rule, RuleKind, Severity, Vendor};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value as Json;

use crate::context::Context;
use crate::error::{Error, ErrorKind};

/// Largest detection file accepted (4 MiB); the corpus's largest is about 40 KiB.
pub const MAX_FILE_SIZE: usize = 4 << 20;

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The rule read (at most one).
    pub rules: Vec<Rule>,
    /// What kept the rule, or part of its logic, from being read.
    pub errors: Vec<Error>,
    /// Problems in descriptive metadata of a rule that was read.
    pub warnings: Vec<Error>,
}

type Node<'a> = MarkedYaml<'a>;

/// Read one detection with no macros or lookups known (every macro that is
/// not a per-detection `*_filter` is opaque).
pub fn parse_splunk(path: &str, text: &str) -> Parsed {
    parse_splunk_with(path, text, &Context::new())
}

/// Read one detection, expanding macros and lookups from `cx`.
pub fn parse_splunk_with(path: &str, text: &str, cx: &Context) -> Parsed {
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
    if let Some(at) = too_deep(text) {
        out.errors.push(Error::new(
            ErrorKind::Yaml {
                message: format!("nesting deeper than {MAX_NESTING} levels"),
            },
            Span::point(at),
        ));
        return out;
    }
    let repaired;
    let (docs, repair) = match MarkedYaml::load_from_str(text) {
        Ok(d) => (d, None),
        Err(e) => {
            repaired = crate::yaml_repair::indent_continuations(text);
            match repaired
                .as_ref()
                .map(|r| (r, MarkedYaml::load_from_str(&r.text)))
            {
                Some((r, Ok(d))) => (d, Some(r)),
                _ => {
                    let at = CharToByte::new(text).byte(e.marker().index());
                    out.errors.push(Error::new(
                        ErrorKind::Yaml {
                            message: e.info().to_owned(),
                        },
                        Span::new(at, (at + 1).min(text.len())),
                    ));
                    return out;
                }
            }
        }
    };
    let chars = CharToByte::new(repair.map_or(text, |r| r.text.as_str()));
    let r = Reader {
        text,
        chars,
        repair,
        path,
        cx,
    };
    let Some(doc) = docs.first() else {
        out.errors
            .push(Error::new(ErrorKind::NotAMapping, Span::default()));
        return out;
    };
    if let Some(rule) = r.read(doc, &mut out) {
        out.rules.push(rule);
    }
    out.errors.sort_by_key(|e| e.span.start);
    out.warnings.sort_by_key(|e| e.span.start);
    out
}

/// Deepest flow/indent nesting accepted, so that the YAML parser cannot
/// recurse without bound.
const MAX_NESTING: usize = 64;

fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => depth = 0,
            _ => {}
        }
    }
    None
}

struct Reader<'t> {
    text: &'t str,
    /// Characters of the text the YAML parser read (the repaired one, if any).
    chars: CharToByte,
    repair: Option<&'t crate::yaml_repair::Repaired>,
    path: &'t str,
    cx: &'t Context,
}

fn get<'n, 'a>(node: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    match &node.data {
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

/// A YAML node as JSON (keys as strings).
fn to_json(node: &Node<'_>) -> Json {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Json::String(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Json::from(*i),
        YamlData::Value(Scalar::FloatingPoint(f)) => {
            serde_json::Number::from_f64(**f).map_or(Json::Null, Json::Number)
        }
        YamlData::Value(Scalar::Boolean(b)) => Json::Bool(*b),
        YamlData::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        YamlData::Mapping(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (scalar(k).unwrap_or_default(), to_json(v)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

fn is_technique(id: &str) -> bool {
    let b = id.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Platforms named by an asset type or a data source.
fn platforms_of(name: &str) -> Vec<&'static str> {
    let n = name.to_ascii_lowercase();
    let mut out = Vec::new();
    let table: &[(&str, &str)] = &[
        ("windows", "windows"),
        ("sysmon eventid", "windows"),
        ("powershell", "windows"),
        ("ntlm", "windows"),
        ("linux", "linux"),
        ("auditd", "linux"),
        ("osquery", "linux"),
        ("macos", "macos"),
        ("aws", "aws"),
        ("amazon", "aws"),
        ("ec2", "aws"),
        ("s3 bucket", "aws"),
        ("azure", "azure"),
        ("gcp", "gcp"),
        ("google cloud", "gcp"),
        ("o365", "o365"),
        ("office 365", "o365"),
        ("okta", "okta"),
        ("gsuite", "google_workspace"),
        ("google workspace", "google_workspace"),
        ("gdrive", "google_workspace"),
        ("kubernetes", "kubernetes"),
        ("github", "github"),
        ("circleci", "circleci"),
    ];
    for (needle, platform) in table {
        if n.contains(needle) && !out.contains(platform) {
            // "Sysmon for Linux" is Linux, not Windows.
            if *platform == "windows" && n.contains("linux") {
                continue;
            }
            out.push(*platform);
        }
    }
    out
}

fn severity_of(score: Option<f64>, kind: Option<&str>) -> Option<Severity> {
    if let Some(s) = score {
        return Some(if s >= 80.0 {
            Severity::Critical
        } else if s >= 60.0 {
            Severity::High
        } else if s >= 40.0 {
            Severity::Medium
        } else if s >= 20.0 {
            Severity::Low
        } else {
            Severity::Informational
        });
    }
    match kind? {
        "TTP" => Some(Severity::Medium),
        "Anomaly" => Some(Severity::Low),
        "Hunting" | "Baseline" => Some(Severity::Informational),
        "Correlation" => Some(Severity::High),
        _ => None,
    }
}

/// Keys read into named fields of the rule (the rest go to `extra`).
const NAMED_KEYS: &[&str] = &[
    "name",
    "id",
    "date",
    "author",
    "status",
    "description",
    "data_source",
    "data_sources",
    "known_false_positives",
    "references",
    "tags",
];

impl Reader<'_> {
    fn offset(&self, m: &saphyr::Marker) -> usize {
        let at = self.chars.byte(m.index());
        self.repair.map_or(at, |r| r.original(at))
    }

    fn span(&self, node: &Node<'_>) -> Span {
        let start = self.offset(&node.span.start);
        let end = self.offset(&node.span.end).max(start);
        let bytes = self.text.as_bytes();
        let mut end = end.min(self.text.len());
        while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
            end -= 1;
        }
        Span::new(start, end)
    }

    fn read(&self, doc: &Node<'_>, out: &mut Parsed) -> Option<Rule> {
        let YamlData::Mapping(map) = &doc.data else {
            out.errors
                .push(Error::new(ErrorKind::NotAMapping, self.span(doc)));
            return None;
        };
        let whole = self.span(doc);
        let mut required = |key: &'static str| match get(doc, key).and_then(scalar) {
            Some(s) if !s.trim().is_empty() => Some(s),
            Some(_) | None => {
                let (kind, span) = match get(doc, key) {
                    Some(n) => (
                        ErrorKind::WrongType {
                            key: key.to_owned(),
                            expected: "a non-empty string",
                        },
                        self.span(n),
                    ),
                    None => (
                        ErrorKind::MissingKey { key },
                        Span::point(whole.start as usize),
                    ),
                };
                out.errors.push(Error::new(kind, span));
                None
            }
        };
        let id = required("id");
        let name = required("name");
        let (id, name) = (id?, name?);
        let rule_type = get(doc, "type").and_then(scalar);
        let (logic, datamodels, macros, lookups) = self.logic(doc, out);
        let mut rule = Rule::new(Vendor::Splunk, id.trim(), name.trim(), Language::Spl, logic);
        rule.text = self.text.to_owned();
        rule.source.path = self.path.to_owned();
        rule.description = get(doc, "description")
            .and_then(scalar)
            .unwrap_or_default()
            .trim()
            .to_owned();
        rule.status = get(doc, "status").and_then(scalar);
        rule.deprecated = rule.status.as_deref() == Some("deprecated")
            || self.path.contains("detections/deprecated/")
            || self.path.starts_with("deprecated/");
        if rule_type.as_deref() == Some("Correlation") {
            rule.kind = RuleKind::Correlation;
        }
        if let Some(a) = get(doc, "author").and_then(scalar) {
            rule.authors = a
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(d) = get(doc, "date") {
            match scalar(d) {
                Some(s) if is_date(s.trim()) => rule.modified = Some(s.trim().to_owned()),
                other => out.warnings.push(Error::new(
                    ErrorKind::InvalidDate {
                        found: other.unwrap_or_default(),
                    },
                    self.span(d),
                )),
            }
        }
        rule.references = get(doc, "references").map(strings).unwrap_or_default();
        rule.false_positives = get(doc, "known_false_positives")
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        rule.data_sources = get(doc, "data_source")
            .or_else(|| get(doc, "data_sources"))
            .map(strings)
            .unwrap_or_default();
        let mut extra: BTreeMap<String, Json> = BTreeMap::new();
        let mut score = None;
        let mut platforms: Vec<String> = Vec::new();
        let mut push_platforms = |name: &str| {
            for p in platforms_of(name) {
                if !platforms.iter().any(|x| x == p) {
                    platforms.push(p.to_owned());
                }
            }
        };
        for ds in &rule.data_sources {
            push_platforms(ds);
        }
        if let Some(tags) = get(doc, "tags") {
            if let YamlData::Mapping(tm) = &tags.data {
                for (k, v) in tm {
                    let key = scalar(k).unwrap_or_default();
                    match key.as_str() {
                        "mitre_attack_id" => {
                            for t in strings(v) {
                                let up = t.trim().to_ascii_uppercase();
                                if is_technique(&up) {
                                    if !rule.techniques.contains(&up) {
                                        rule.techniques.push(up);
                                    }
                                } else {
                                    out.warnings.push(Error::new(
                                        ErrorKind::InvalidTechnique { found: t.clone() },
                                        self.span(v),
                                    ));
                                    extra
                                        .entry("invalid_mitre_attack_id".to_owned())
                                        .or_insert_with(|| Json::Array(Vec::new()))
                                        .as_array_mut()
                                        .expect("array")
                                        .push(Json::String(t));
                                }
                            }
                        }
                        "analytic_story" => rule.tags = strings(v),
                        "security_domain" => {
                            for d in strings(v) {
                                if !rule.domains.contains(&d) {
                                    rule.domains.push(d);
                                }
                            }
                        }
                        "asset_type" => {
                            for a in strings(v) {
                                push_platforms(&a);
                            }
                            extra.insert("asset_type".to_owned(), to_json(v));
                        }
                        other => {
                            if other == "risk_score" {
                                score = scalar(v).and_then(|s| s.parse::<f64>().ok());
                            }
                            extra.insert(other.to_owned(), to_json(v));
                        }
                    }
                }
            }
        }
        if score.is_none()
            && let Some(rba) = get(doc, "rba")
        {
            score = get(rba, "risk_score")
                .and_then(scalar)
                .and_then(|s| s.parse().ok());
        }
        // The corpus folder names a domain too (`detections/cloud/…`).
        let folder = self
            .path
            .split('/')
            .skip_while(|p| *p != "detections")
            .nth(1)
            .filter(|f| {
                *f != "deprecated"
                    && !std::path::Path::new(f)
                        .extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("yml"))
            });
        if let Some(f) = folder
            && !rule.domains.iter().any(|d| d == f)
        {
            rule.domains.push(f.to_owned());
        }
        rule.platforms = platforms;
        rule.severity = severity_of(score, rule_type.as_deref());
        for (k, v) in map {
            let key = scalar(k).unwrap_or_default();
            if !NAMED_KEYS.contains(&key.as_str()) {
                extra.insert(key, to_json(v));
            }
        }
        let list = |v: Vec<String>| Json::Array(v.into_iter().map(Json::String).collect());
        if !datamodels.is_empty() {
            extra.insert("datamodels".to_owned(), list(datamodels));
        }
        if !macros.is_empty() {
            extra.insert("macros".to_owned(), list(macros));
        }
        if !lookups.is_empty() {
            extra.insert("lookups".to_owned(), list(lookups));
        }
        rule.extra = extra;
        Some(rule)
    }

    /// The rule's logic, and the data models, macros and lookups it uses.
    fn logic(
        &self,
        doc: &Node<'_>,
        out: &mut Parsed,
    ) -> (Logic, Vec<String>, Vec<String>, Vec<String>) {
        let Some(node) = get(doc, "search") else {
            out.errors.push(Error::new(
                ErrorKind::MissingKey { key: "search" },
                Span::new(0, 0),
            ));
            return (
                Logic::new(Expr::opaque("detection has no search", "", None)),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
        };
        let span = self.span(node);
        let Some(search) = scalar(node) else {
            out.errors.push(Error::new(
                ErrorKind::WrongType {
                    key: "search".to_owned(),
                    expected: "a string",
                },
                span,
            ));
            return (
                Logic::new(Expr::opaque("search is not a string", "", Some(span))),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
        };
        let map = OffsetMap::new(self.text, span, &search);
        match crate::spl::parse(&search) {
            Ok(p) => {
                let mut l = crate::spl::lower(&p, self.cx);
                let mut fix = |s: Span| map.span(s);
                l.logic.expr.map_spans(&mut fix);
                if let Some(agg) = &mut l.logic.aggregation {
                    for m in &mut agg.metrics {
                        if let Some(f) = &mut m.filter {
                            f.map_spans(&mut fix);
                        }
                    }
                    if let Some(h) = &mut agg.having {
                        h.map_spans(&mut fix);
                    }
                }
                (l.logic, l.datamodels, l.macros, l.lookups)
            }
            Err(e) => {
                let at = map.span(e.span);
                out.errors.push(Error::new(
                    ErrorKind::Query {
                        error: e.kind.clone(),
                    },
                    at,
                ));
                (
                    Logic::new(Expr::opaque(
                        format!("SPL search does not parse: {}", e.kind),
                        search,
                        Some(at),
                    )),
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                )
            }
        }
    }
}

/// Byte offsets of a decoded YAML scalar mapped back into the file.
struct OffsetMap {
    /// `map[i]` is the file offset of decoded byte `i`; one extra entry for the end.
    map: Vec<usize>,
}

impl OffsetMap {
    fn new(text: &str, node: Span, decoded: &str) -> OffsetMap {
        let raw = node.slice(text).unwrap_or_default();
        let base = node.start as usize;
        let mut i = 0usize;
        let style = raw.chars().next();
        let body_start = match style {
            Some('\'' | '"') => 1,
            Some('|' | '>') => raw.find('\n').map_or(raw.len(), |n| n + 1),
            _ => 0,
        };
        i += body_start;
        let rb = raw.as_bytes();
        let mut map = Vec::with_capacity(decoded.len() + 1);
        let mut lost = false;
        for (j, d) in decoded.char_indices() {
            let _ = j;
            let here = base + i.min(raw.len());
            if lost || i >= raw.len() {
                lost = true;
                map.extend(std::iter::repeat_n(here, d.len_utf8()));
                continue;
            }
            let r = raw[i..].chars().next().expect("in range");
            if style == Some('\'') && d == '\'' && raw[i..].starts_with("''") {
                map.extend(std::iter::repeat_n(base + i, 1));
                i += 2;
            } else if style == Some('"') && r == '\\' {
                map.extend(std::iter::repeat_n(base + i, d.len_utf8()));
                i += 2;
                while i < raw.len() && !raw.is_char_boundary(i) {
                    i += 1;
                }
            } else if r == d {
                map.extend(std::iter::repeat_n(base + i, d.len_utf8()));
                i += r.len_utf8();
            } else if r == '\n' || r == '\r' || (r.is_whitespace() && d.is_whitespace()) {
                // Line folding: a run of white space (and line breaks) is one character.
                while i < rb.len() && (rb[i] as char).is_ascii_whitespace() {
                    i += 1;
                }
                map.extend(std::iter::repeat_n(base + i, d.len_utf8()));
                if !d.is_whitespace() {
                    i += d.len_utf8();
                }
            } else {
                lost = true;
                map.extend(std::iter::repeat_n(here, d.len_utf8()));
            }
        }
        map.push(base + i.min(raw.len()));
        OffsetMap { map }
    }

    fn span(&self, s: Span) -> Span {
        let at = |i: u32| self.map[(i as usize).min(self.map.len() - 1)];
        let start = at(s.start);
        let end = if s.end > s.start {
            at(s.end - 1) + 1
        } else {
            start
        };
        Span::new(start, end.max(start))
    }
}
