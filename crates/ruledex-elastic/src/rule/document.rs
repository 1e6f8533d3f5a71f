//! One rule file: `[metadata]`, `[rule]` and whatever else it holds, read into
//! a [`Rule`].

use std::collections::BTreeMap;

use ruledex_attack::{AttackRef, ElasticThreat, parse_elastic_threat};
use ruledex_diag::Span;
use ruledex_model::{Language, Rule, Severity, Vendor};
use ruledex_taxonomy::events::CatalogEvents;

use super::QueryParser;
use super::error::ErrorKind;
use super::logic::{RuleType, read_logic};
use super::node::{Entry, Node, Value};
use super::reader::{Cx, Level};

/// `[rule]` keys whose whole content has a home in [`Rule`]; every other key
/// is kept in `Rule::extra` under its own name (`type` too: the model has no
/// field for Elastic's rule types, and pages show it).
const RULE_KEYS_READ: [&str; 15] = [
    "rule_id",
    "name",
    "description",
    "severity",
    "language",
    "index",
    "query",
    "threshold",
    "new_terms",
    "threat",
    "tags",
    "false_positives",
    "references",
    "author",
    "license",
];

/// `[metadata]` keys with a home in [`Rule`].
const METADATA_KEYS_READ: [&str; 3] = ["creation_date", "updated_date", "maturity"];

/// Integrations (`metadata.integration`) that name a platform, for rules
/// outside an operating system: the names Sigma rules use for the same
/// products, so that coverage by platform meets across vendors.
const INTEGRATION_PLATFORMS: [(&str, &str); 11] = [
    ("aws", "aws"),
    ("aws_bedrock", "aws"),
    ("azure", "azure"),
    ("azure_openai", "azure"),
    ("entityanalytics_entra_id", "azure"),
    ("gcp", "gcp"),
    ("github", "github"),
    ("google_workspace", "google_workspace"),
    ("kubernetes", "kubernetes"),
    ("o365", "m365"),
    ("okta", "okta"),
];

/// Read the document. `None` when the rule cannot be identified (no `[rule]`,
/// no `rule_id` or `name`); everything else yields a rule.
pub(crate) fn read_document(
    cx: &mut Cx<'_>,
    path: &str,
    doc: &Node,
    parser: QueryParser<'_>,
) -> Option<Rule> {
    let Some(rule_entry) = doc.entry("rule") else {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey { key: "rule" },
            Span::point(0),
        );
        return None;
    };
    let rule = &rule_entry.node;
    let header = header_span(cx.text, rule_entry);
    if rule.entries().is_none() {
        cx.wrong_type(Level::Error, "rule".into(), "a table", rule, header);
        return None;
    }
    let rule_id = required(cx, rule, "rule_id", "rule.rule_id", header)?;
    let name = required(cx, rule, "name", "rule.name", header)?;

    let read = read_logic(cx, rule, header, parser);
    let mut out = Rule::new(Vendor::Elastic, rule_id, name, read.language, read.logic);
    let mut extra: BTreeMap<String, serde_json::Value> = BTreeMap::new();

    // [metadata]
    let metadata = match doc.get("metadata") {
        Some(m) if m.entries().is_some() => Some(m),
        Some(m) => {
            cx.wrong_type(
                Level::Warning,
                "metadata".into(),
                "a table",
                m,
                Span::point(0),
            );
            extra.insert("metadata".into(), m.to_json());
            None
        }
        None => None,
    };
    let mut integrations = Vec::new();
    if let Some(meta) = metadata {
        let at = meta.span_or(Span::point(0));
        out.created = date(
            cx,
            meta,
            "creation_date",
            "metadata.creation_date",
            at,
            &mut extra,
        );
        out.modified = date(
            cx,
            meta,
            "updated_date",
            "metadata.updated_date",
            at,
            &mut extra,
        );
        if let Some(maturity) = cx.string(Level::Warning, meta, "metadata", "maturity", at) {
            if !matches!(
                maturity,
                "development" | "experimental" | "beta" | "production" | "deprecated"
            ) {
                cx.report(
                    Level::Warning,
                    ErrorKind::UnknownMaturity {
                        found: maturity.to_owned(),
                    },
                    meta.get("maturity").map_or(at, |n| n.span_or(at)),
                );
            }
            out.deprecated = maturity == "deprecated";
            out.status = Some(maturity.to_owned());
        } else {
            keep_raw(&mut extra, meta, "maturity");
        }
        integrations = meta
            .get("integration")
            .map(|n| match &n.value {
                Value::Str(s) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        for e in meta.entries().unwrap_or_default() {
            if !METADATA_KEYS_READ.contains(&e.key.as_str()) {
                extra.insert(e.key.clone(), e.node.to_json());
            }
        }
    }

    // [rule] metadata
    if let Some(d) = text(cx, rule, "description", header, &mut extra) {
        out.description = d.trim().to_owned();
    }
    if let Some(s) = text(cx, rule, "severity", header, &mut extra) {
        match s.parse::<Severity>() {
            Ok(sev) => out.severity = Some(sev),
            Err(_) => {
                cx.report(
                    Level::Warning,
                    ErrorKind::InvalidSeverity {
                        found: s.to_owned(),
                    },
                    rule.get("severity").map_or(header, |n| n.span_or(header)),
                );
                keep_raw(&mut extra, rule, "severity");
            }
        }
    }
    out.license = text(cx, rule, "license", header, &mut extra).map(str::to_owned);
    out.authors = list(cx, rule, "author", header, &mut extra);
    out.references = list(cx, rule, "references", header, &mut extra);
    out.false_positives = list(cx, rule, "false_positives", header, &mut extra);
    out.tags = list(cx, rule, "tags", header, &mut extra);
    read_tags(&mut out);
    for integration in &integrations {
        if let Some((_, platform)) = INTEGRATION_PLATFORMS.iter().find(|(i, _)| i == integration) {
            push_unique(&mut out.platforms, platform);
        }
    }
    read_threat(cx, rule, header, &mut out, &mut extra);

    // Where the events come from.
    let mut patterns = cx
        .strings(Level::Error, rule, "rule", "index", header)
        .unwrap_or_default();
    for index in &read.indices {
        push_unique(&mut patterns, index);
    }
    out.data_sources.clone_from(&patterns);
    if let Some(view) = cx.string(Level::Error, rule, "rule", "data_view_id", header) {
        push_unique(&mut out.data_sources, view);
    }
    let mut hints = read.hints;
    for platform in &out.platforms {
        if matches!(platform.as_str(), "windows" | "linux" | "macos") {
            hints.push(("host.os.type".to_owned(), platform.clone()));
        }
    }
    out.events = CatalogEvents::global()
        .for_elastic(&patterns, &hints)
        .into_iter()
        .map(str::to_owned)
        .collect();

    // Everything else, verbatim.
    for e in rule.entries().unwrap_or_default() {
        if !RULE_KEYS_READ.contains(&e.key.as_str()) {
            let key = if extra.contains_key(&e.key) {
                format!("rule.{}", e.key)
            } else {
                e.key.clone()
            };
            extra.insert(key, e.node.to_json());
        }
    }
    if out.language == Language::Other
        && read.rule_type != Some(RuleType::MachineLearning)
        && let Some(l) = rule.get("language")
    {
        extra.insert("language".into(), l.to_json());
    }
    for e in doc.entries().unwrap_or_default() {
        if e.key != "rule" && e.key != "metadata" {
            extra.insert(e.key.clone(), e.node.to_json());
        }
    }
    out.extra = extra;
    out.text = cx.text.to_owned();
    out.source.path = path.to_owned();
    Some(out)
}

/// The span of a table's header line (`[rule]`), for errors about keys it lacks.
fn header_span(text: &str, entry: &Entry) -> Span {
    let Some(span) = entry.node.span.or(entry.key_span) else {
        return Span::point(0);
    };
    let start = span.start as usize;
    let line_end = text
        .get(start..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| start + i);
    Span::new(start, line_end.min(span.end as usize).max(start))
}

/// A required, non-empty string of `[rule]`.
fn required(
    cx: &mut Cx<'_>,
    rule: &Node,
    key: &str,
    path: &'static str,
    header: Span,
) -> Option<String> {
    let Some(node) = rule.get(key) else {
        cx.report(Level::Error, ErrorKind::MissingKey { key: path }, header);
        return None;
    };
    let value = cx.string(Level::Error, rule, "rule", key, header)?;
    if value.trim().is_empty() {
        cx.report(
            Level::Error,
            ErrorKind::InvalidValue {
                key: path.to_owned(),
                expected: "a non-empty string",
                found: value.to_owned(),
            },
            node.span_or(header),
        );
        return None;
    }
    Some(value.trim().to_owned())
}

/// An optional string of `[rule]`; a misfit is a warning and kept in `extra`.
fn text<'n>(
    cx: &mut Cx<'_>,
    rule: &'n Node,
    key: &str,
    header: Span,
    extra: &mut BTreeMap<String, serde_json::Value>,
) -> Option<&'n str> {
    let value = cx.string(Level::Warning, rule, "rule", key, header);
    if value.is_none() {
        keep_raw(extra, rule, key);
    }
    value
}

/// An optional list of strings of `[rule]`; a misfit is a warning and kept in `extra`.
fn list(
    cx: &mut Cx<'_>,
    rule: &Node,
    key: &str,
    header: Span,
    extra: &mut BTreeMap<String, serde_json::Value>,
) -> Vec<String> {
    let value = cx.strings(Level::Warning, rule, "rule", key, header);
    if value.is_none() {
        keep_raw(extra, rule, key);
    }
    value.unwrap_or_default()
}

fn keep_raw(extra: &mut BTreeMap<String, serde_json::Value>, table: &Node, key: &str) {
    if let Some(node) = table.get(key) {
        extra.insert(key.to_owned(), node.to_json());
    }
}

/// A `YYYY/MM/DD` date as ISO `YYYY-MM-DD`; a misfit is a warning and kept in `extra`.
fn date(
    cx: &mut Cx<'_>,
    meta: &Node,
    key: &str,
    path: &'static str,
    at: Span,
    extra: &mut BTreeMap<String, serde_json::Value>,
) -> Option<String> {
    let text = cx.string(Level::Warning, meta, "metadata", key, at);
    let Some(text) = text else {
        keep_raw(extra, meta, key);
        return None;
    };
    let iso = iso_date(text);
    if iso.is_none() {
        cx.report(
            Level::Warning,
            ErrorKind::InvalidDate {
                key: path,
                found: text.to_owned(),
            },
            meta.get(key).map_or(at, |n| n.span_or(at)),
        );
        keep_raw(extra, meta, key);
    }
    iso
}

/// `2023/09/04` (Elastic's form) or `2023-09-04` → `2023-09-04`.
pub(crate) fn iso_date(text: &str) -> Option<String> {
    let t = text.trim();
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b[7] || !matches!(b[4], b'/' | b'-') {
        return None;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return None;
    }
    let month: u32 = t[5..7].parse().ok()?;
    let day: u32 = t[8..10].parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(format!("{}-{}-{}", &t[0..4], &t[5..7], &t[8..10]))
}

/// `Defense Evasion` → `defense-evasion`: ATT&CK's short name, as Sigma writes tactics.
pub(crate) fn tactic_short_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Platforms (`OS: Windows`), domains (`Domain: Cloud`) and tactics
/// (`Tactic: Discovery`) from the tags; the tags themselves are all kept.
fn read_tags(rule: &mut Rule) {
    let mut platforms = Vec::new();
    let mut domains = Vec::new();
    let mut tactics = Vec::new();
    for tag in &rule.tags {
        let Some((prefix, value)) = tag.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match prefix.trim() {
            "OS" => push_unique(&mut platforms, &value.to_ascii_lowercase()),
            "Domain" => push_unique(&mut domains, &value.to_ascii_lowercase().replace(' ', "_")),
            "Tactic" => push_unique(&mut tactics, &tactic_short_name(value)),
            _ => {}
        }
    }
    rule.platforms = platforms;
    rule.domains = domains;
    rule.tactics = tactics;
}

/// Techniques and tactics from the `[[rule.threat]]` blocks.
fn read_threat(
    cx: &mut Cx<'_>,
    rule: &Node,
    header: Span,
    out: &mut Rule,
    extra: &mut BTreeMap<String, serde_json::Value>,
) {
    let Some(node) = rule.get("threat") else {
        return;
    };
    let Some(blocks) = node.as_array() else {
        cx.wrong_type(
            Level::Warning,
            "rule.threat".into(),
            "an array of tables",
            node,
            header,
        );
        keep_raw(extra, rule, "threat");
        return;
    };
    let mut tactics = Vec::new();
    for block in blocks {
        let at = block.span_or(header);
        let Ok(threat) = serde_json::from_value::<ElasticThreat>(block.to_json()) else {
            cx.wrong_type(
                Level::Warning,
                "rule.threat".into(),
                "a table with framework, tactic and technique",
                block,
                header,
            );
            keep_raw(extra, rule, "threat");
            continue;
        };
        for parsed in parse_elastic_threat(&threat) {
            match parsed.result {
                Ok(AttackRef::Technique(id)) => push_unique(&mut out.techniques, &id.to_string()),
                Ok(_) => {}
                Err(error) => cx.report(
                    Level::Warning,
                    ErrorKind::InvalidAttackRef { error },
                    id_span(block, &parsed.input).unwrap_or(at),
                ),
            }
        }
        if let Some(tactic) = &threat.tactic {
            let name = tactic_short_name(&tactic.name);
            if !name.is_empty() {
                push_unique(&mut tactics, &name);
            } else if !tactic.id.trim().is_empty() {
                push_unique(&mut tactics, tactic.id.trim());
            }
        }
    }
    // The threat blocks are the authoritative list; `Tactic:` tags fill in.
    for t in std::mem::take(&mut out.tactics) {
        push_unique(&mut tactics, &t);
    }
    out.tactics = tactics;
}

/// Where in a threat block the id `input` is written.
fn id_span(block: &Node, input: &str) -> Option<Span> {
    fn matches<'n>(n: &'n Node, input: &str) -> Option<&'n Node> {
        n.get("id").filter(|id| id.as_str() == Some(input))
    }
    if let Some(id) = block.get("tactic").and_then(|t| matches(t, input)) {
        return id.span;
    }
    if let Some(input) = block.get("framework").filter(|f| f.as_str() == Some(input)) {
        return input.span;
    }
    for technique in block.get("technique")?.as_array()? {
        if let Some(id) = matches(technique, input) {
            return id.span;
        }
        for sub in technique
            .get("subtechnique")
            .and_then(Node::as_array)
            .unwrap_or_default()
        {
            if let Some(id) = matches(sub, input) {
                return id.span;
            }
        }
    }
    None
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! dates {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(iso_date($input).as_deref(), $want);
            }
        )*};
    }

    dates! {
        date_slashes: "2023/09/04" => Some("2023-09-04");
        date_dashes: "2023-09-04" => Some("2023-09-04");
        date_mixed_separators: "2023/09-04" => None;
        date_month_13: "2023/13/04" => None;
        date_day_0: "2023/01/00" => None;
        date_short: "2023/9/4" => None;
        date_words: "yesterday" => None;
        date_non_ascii: "2023/09/0é" => None;
    }

    #[test]
    fn tactic_names_become_short_names() {
        assert_eq!(tactic_short_name("Defense Evasion"), "defense-evasion");
        assert_eq!(
            tactic_short_name(" Command and  Control "),
            "command-and-control"
        );
        assert_eq!(tactic_short_name("Discovery"), "discovery");
    }

    #[test]
    fn tags_give_platforms_domains_and_tactics() {
        let mut r = Rule::new(
            Vendor::Elastic,
            "x",
            "x",
            Language::Kql,
            ruledex_model::Logic::new(ruledex_model::Expr::And(Vec::new())),
        );
        r.tags = [
            "Domain: Endpoint",
            "OS: macOS",
            "OS: Linux",
            "Tactic: Privilege Escalation",
            "Data Source: Elastic Defend",
            "Domain: Identity",
            "Resources: Investigation Guide",
            "OS:",
            "Linux",
        ]
        .map(str::to_owned)
        .to_vec();
        read_tags(&mut r);
        assert_eq!(r.platforms, ["macos", "linux"]);
        assert_eq!(r.domains, ["endpoint", "identity"]);
        assert_eq!(r.tactics, ["privilege-escalation"]);
        assert_eq!(r.tags.len(), 9);
    }
}
