//! Linting a draft rule against the catalog.
//!
//! [`Catalog::lint`] reads one draft (any dialect with a front-end), and
//! checks it against the taxonomy, ATT&CK and the catalog's rules: fields the
//! taxonomy does not know or that the dialect spells otherwise, a lone
//! indicator that many catalog rules use (noisy), exclusions most rules of the
//! technique have and the draft lacks, technique tags, the log source, and
//! rules of any vendor with the same normalized predicates. Each [`Finding`]
//! carries a stable rule id ([`LintRule`]), a level and a line and column;
//! [`sarif`] writes them as SARIF 2.1.0 for code scanning.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use ruledex_attack::{Attack, Resolution, TechniqueId};
use ruledex_diag::LineIndex;
use ruledex_ingest::Report;
use ruledex_model::{Expr, Pred, Rule, Vendor};
use ruledex_taxonomy::enrich::schema_of;
use ruledex_taxonomy::fields::Fields;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::Catalog;
use crate::error::Result;
use crate::predicates::{Polarity, PredicateRow, rule_predicates};

/// How serious a finding is (the SARIF levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Must be fixed: the rule is broken or wrong.
    Error,
    /// Should be looked at.
    Warning,
    /// A suggestion.
    Note,
}

impl Level {
    /// `error`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// The checks, each with a stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LintRule {
    /// The draft does not parse (or its dialect is unknown).
    ParseError,
    /// A field the taxonomy does not resolve.
    UnknownField,
    /// A field the dialect spells otherwise.
    NonCanonicalField,
    /// The rule's only positive condition is a very common indicator.
    NoisyIndicator,
    /// Most rules of the technique exclude something the draft does not.
    MissingExclusion,
    /// No ATT&CK technique tag.
    MissingTechnique,
    /// A technique id ATT&CK does not know, or a malformed one.
    InvalidTechnique,
    /// A technique MITRE revoked.
    RevokedTechnique,
    /// A technique MITRE deprecated.
    DeprecatedTechnique,
    /// The log source maps to no catalog event.
    UnknownLogsource,
    /// A catalog rule has the same normalized predicates.
    NearDuplicate,
    /// Something the front-end warned about while reading the draft.
    FrontEndWarning,
}

impl LintRule {
    /// Every check, in id order.
    pub const ALL: [LintRule; 12] = [
        LintRule::ParseError,
        LintRule::UnknownField,
        LintRule::NonCanonicalField,
        LintRule::NoisyIndicator,
        LintRule::MissingExclusion,
        LintRule::MissingTechnique,
        LintRule::InvalidTechnique,
        LintRule::RevokedTechnique,
        LintRule::DeprecatedTechnique,
        LintRule::UnknownLogsource,
        LintRule::NearDuplicate,
        LintRule::FrontEndWarning,
    ];

    /// The stable id (`RDX001`).
    pub fn id(self) -> &'static str {
        match self {
            LintRule::ParseError => "RDX001",
            LintRule::UnknownField => "RDX002",
            LintRule::NonCanonicalField => "RDX003",
            LintRule::NoisyIndicator => "RDX004",
            LintRule::MissingExclusion => "RDX005",
            LintRule::MissingTechnique => "RDX006",
            LintRule::InvalidTechnique => "RDX007",
            LintRule::RevokedTechnique => "RDX008",
            LintRule::DeprecatedTechnique => "RDX009",
            LintRule::UnknownLogsource => "RDX010",
            LintRule::NearDuplicate => "RDX011",
            LintRule::FrontEndWarning => "RDX012",
        }
    }

    /// The kebab-case name (`unknown-field`).
    pub fn name(self) -> &'static str {
        match self {
            LintRule::ParseError => "parse-error",
            LintRule::UnknownField => "unknown-field",
            LintRule::NonCanonicalField => "non-canonical-field",
            LintRule::NoisyIndicator => "noisy-indicator",
            LintRule::MissingExclusion => "missing-exclusion",
            LintRule::MissingTechnique => "missing-technique",
            LintRule::InvalidTechnique => "invalid-technique",
            LintRule::RevokedTechnique => "revoked-technique",
            LintRule::DeprecatedTechnique => "deprecated-technique",
            LintRule::UnknownLogsource => "unknown-logsource",
            LintRule::NearDuplicate => "near-duplicate",
            LintRule::FrontEndWarning => "front-end-warning",
        }
    }

    /// One line saying what the check looks for.
    pub fn description(self) -> &'static str {
        match self {
            LintRule::ParseError => "The draft does not parse, or its dialect cannot be told.",
            LintRule::UnknownField => "A field the taxonomy does not resolve to a canonical field.",
            LintRule::NonCanonicalField => "A field written otherwise than the dialect spells it.",
            LintRule::NoisyIndicator => {
                "The rule's only positive condition is an indicator many catalog rules use."
            }
            LintRule::MissingExclusion => {
                "An exclusion most catalog rules of the technique have and the draft lacks."
            }
            LintRule::MissingTechnique => "The rule cites no ATT&CK technique.",
            LintRule::InvalidTechnique => {
                "A technique id ATT&CK does not know, or a malformed one."
            }
            LintRule::RevokedTechnique => "A technique MITRE revoked.",
            LintRule::DeprecatedTechnique => "A technique MITRE deprecated.",
            LintRule::UnknownLogsource => "The log source maps to no catalog event.",
            LintRule::NearDuplicate => "A catalog rule has the same normalized predicates.",
            LintRule::FrontEndWarning => "The front-end warned while reading the draft.",
        }
    }

    /// The level its findings have.
    pub fn level(self) -> Level {
        match self {
            LintRule::ParseError | LintRule::InvalidTechnique => Level::Error,
            LintRule::NonCanonicalField | LintRule::MissingExclusion => Level::Note,
            _ => Level::Warning,
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's id (`RDX002`).
    pub rule_id: &'static str,
    /// The check's name (`unknown-field`).
    pub rule: &'static str,
    /// How serious.
    pub level: Level,
    /// What is wrong.
    pub message: String,
    /// The draft file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Catalog rules the finding names (near-duplicates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

/// Thresholds of the checks.
#[derive(Clone, Debug, PartialEq)]
pub struct LintOptions {
    /// A lone indicator is noisy from this many catalog rules using it.
    pub noisy_reach: usize,
    /// An exclusion is common when this share of the technique's rules has it…
    pub exclusion_share: f64,
    /// …and the technique has at least this many rules.
    pub exclusion_min_rules: usize,
}

impl Default for LintOptions {
    fn default() -> LintOptions {
        LintOptions {
            noisy_reach: 10,
            exclusion_share: 0.5,
            exclusion_min_rules: 5,
        }
    }
}

/// The dialect of a draft, from its name and text: `.toml` is Elastic; YAML
/// with `logsource:` and `detection:` is Sigma, with `query:` Sentinel.
pub fn detect_vendor(path: &Path, text: &str) -> Option<Vendor> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.trim().to_ascii_lowercase().as_str() {
        "toml" => Some(Vendor::Elastic),
        "yml" | "yaml" => {
            if text.contains("detection:") && text.contains("logsource:") {
                Some(Vendor::Sigma)
            } else if text.contains("query:") {
                Some(Vendor::Sentinel)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Builds findings with locations in one text.
struct Sink<'t> {
    path: &'t str,
    text: &'t str,
    index: LineIndex,
    out: Vec<Finding>,
}

impl Sink<'_> {
    fn at(&mut self, rule: LintRule, offset: usize, message: String, related: Vec<String>) {
        let at = self.index.line_col(self.text, offset);
        self.out.push(Finding {
            rule_id: rule.id(),
            rule: rule.name(),
            level: rule.level(),
            message,
            path: self.path.to_owned(),
            line: at.line,
            column: at.column,
            related,
        });
    }

    /// The offset of the first case-insensitive occurrence of `needle`, else 0.
    fn find(&self, needle: &str) -> usize {
        self.text
            .to_ascii_lowercase()
            .find(&needle.to_ascii_lowercase())
            .unwrap_or(0)
    }
}

impl Catalog {
    /// Lint the draft `text` (shown as `path`) of dialect `vendor` (detected
    /// from the name and text when `None`), resolving techniques with
    /// `attack`. Findings are sorted by line, column and id.
    pub fn lint(
        &self,
        vendor: Option<Vendor>,
        path: &str,
        text: &str,
        attack: &Attack,
        options: &LintOptions,
    ) -> Result<Vec<Finding>> {
        let mut sink = Sink {
            path,
            text,
            index: LineIndex::new(text),
            out: Vec::new(),
        };
        let Some(vendor) = vendor.or_else(|| detect_vendor(Path::new(path), text)) else {
            sink.at(
                LintRule::ParseError,
                0,
                "cannot tell the dialect: expected a Sigma or Sentinel YAML rule or an Elastic TOML rule".into(),
                Vec::new(),
            );
            return Ok(sink.out);
        };
        let report = ruledex_ingest::ingest_text(vendor, path, text);
        self.lint_report(&mut sink, &report, attack, options)?;
        sink.out.sort_by(|a, b| {
            (a.line, a.column, a.rule_id, &a.message)
                .cmp(&(b.line, b.column, b.rule_id, &b.message))
        });
        Ok(sink.out)
    }

    fn lint_report(
        &self,
        sink: &mut Sink<'_>,
        report: &Report,
        attack: &Attack,
        options: &LintOptions,
    ) -> Result<()> {
        if report.unsupported {
            sink.at(
                LintRule::ParseError,
                0,
                format!("no front-end reads {} rules yet", report.vendor.as_str()),
                Vec::new(),
            );
        }
        for f in &report.failures {
            let offset = offset_of(sink, f.line, f.column);
            sink.at(
                LintRule::ParseError,
                offset,
                format!("{} ({})", f.reason, f.code),
                Vec::new(),
            );
        }
        for f in &report.warnings {
            let offset = offset_of(sink, f.line, f.column);
            sink.at(
                LintRule::FrontEndWarning,
                offset,
                format!("{} ({})", f.reason, f.code),
                Vec::new(),
            );
        }
        if report.rules.is_empty() && report.failures.is_empty() && !report.unsupported {
            sink.at(
                LintRule::ParseError,
                0,
                "the file holds no rule".into(),
                Vec::new(),
            );
        }
        for rule in &report.rules {
            let rows = rule_predicates(rule);
            check_fields(sink, rule);
            check_techniques(sink, rule, attack);
            check_logsource(sink, rule);
            self.check_noisy(sink, rule, &rows, options)?;
            self.check_exclusions(sink, rule, &rows, attack, options)?;
            self.check_duplicates(sink, rule, &rows)?;
        }
        Ok(())
    }

    fn check_noisy(
        &self,
        sink: &mut Sink<'_>,
        rule: &Rule,
        rows: &[PredicateRow],
        options: &LintOptions,
    ) -> Result<()> {
        let pos: Vec<&PredicateRow> = rows
            .iter()
            .filter(|r| r.polarity == Polarity::Pos)
            .collect();
        let raw_fields: HashSet<&str> = pos.iter().map(|r| r.raw_field.as_str()).collect();
        if raw_fields.len() != 1 {
            return Ok(());
        }
        let mut st = self.conn.prepare_cached(
            "SELECT rules FROM reach WHERE field = ?1 AND op = ?2 AND value = ?3",
        )?;
        let mut worst: Option<(usize, &PredicateRow)> = None;
        for r in pos.iter().filter(|r| !r.derived) {
            let reach: Option<i64> = st
                .query_row(params![r.field, r.op, r.value], |x| x.get(0))
                .optional()?;
            let reach = usize::try_from(reach.unwrap_or(0)).unwrap_or(0);
            if reach >= options.noisy_reach && worst.is_none_or(|(w, _)| reach > w) {
                worst = Some((reach, r));
            }
        }
        if let Some((reach, r)) = worst {
            let offset = pred_offset(sink, rule, &r.raw_field);
            sink.at(
                LintRule::NoisyIndicator,
                offset,
                format!(
                    "the rule's only condition is {} {} `{}`, which {reach} catalog rules already use: add context (command line, parent, user) to cut the noise",
                    r.field, r.op, r.value
                ),
                Vec::new(),
            );
        }
        Ok(())
    }

    fn check_exclusions(
        &self,
        sink: &mut Sink<'_>,
        rule: &Rule,
        rows: &[PredicateRow],
        attack: &Attack,
        options: &LintOptions,
    ) -> Result<()> {
        let have: HashSet<(&str, &str, &str)> = rows
            .iter()
            .filter(|r| r.polarity.is_exclusion())
            .map(|r| (r.field.as_str(), r.op.as_str(), r.value.as_str()))
            .collect();
        let mut done: HashSet<String> = HashSet::new();
        for cited in &rule.techniques {
            let Ok(id) = cited.parse::<TechniqueId>() else {
                continue;
            };
            let id = attack
                .resolve(id)
                .technique()
                .map_or(id, |t| t.id)
                .to_string();
            if !done.insert(id.clone()) {
                continue;
            }
            let total: i64 = self.conn.query_row(
                "SELECT COUNT(DISTINCT rule_id) FROM rule_techniques WHERE technique = ?1 OR parent = ?1",
                params![id],
                |r| r.get(0),
            )?;
            let total = usize::try_from(total).unwrap_or(0);
            if total < options.exclusion_min_rules.max(1) {
                continue;
            }
            let mut st = self.conn.prepare_cached(
                "WITH t AS (SELECT DISTINCT rule_id FROM rule_techniques WHERE technique = ?1 OR parent = ?1)
                 SELECT field, op, value, COUNT(DISTINCT p.rule_id) AS n FROM predicates p JOIN t USING (rule_id)
                 WHERE p.polarity IN ('excl', 'excl_branch') AND p.derived = 0
                 GROUP BY field, op, value ORDER BY n DESC, field, op, value",
            )?;
            let common = st.query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for row in common {
                let (field, op, value, n) = row?;
                let n = usize::try_from(n).unwrap_or(0);
                #[allow(clippy::cast_precision_loss)]
                let share = n as f64 / total as f64;
                if share < options.exclusion_share {
                    break;
                }
                if have.contains(&(field.as_str(), op.as_str(), value.as_str())) {
                    continue;
                }
                let offset = detection_offset(sink, rule);
                sink.at(
                    LintRule::MissingExclusion,
                    offset,
                    format!(
                        "{n} of the {total} catalog rules for {id} exclude {field} {op} `{value}`; this rule does not"
                    ),
                    Vec::new(),
                );
            }
        }
        Ok(())
    }

    fn check_duplicates(
        &self,
        sink: &mut Sink<'_>,
        rule: &Rule,
        rows: &[PredicateRow],
    ) -> Result<()> {
        type Key = (String, String, String, &'static str);
        let mine: BTreeSet<Key> = rows
            .iter()
            .map(|r| {
                (
                    r.field.clone(),
                    r.op.clone(),
                    r.value.clone(),
                    r.polarity.as_str(),
                )
            })
            .collect();
        let Some(first) = rows.iter().find(|r| r.polarity == Polarity::Pos) else {
            return Ok(());
        };
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT p.rule_id, r.uid FROM predicates p JOIN rules r ON r.id = p.rule_id
             WHERE p.field = ?1 AND p.op = ?2 AND p.value = ?3 AND p.polarity = 'pos' ORDER BY r.uid",
        )?;
        let candidates: Vec<(i64, String)> = st
            .query_map(params![first.field, first.op, first.value], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut rows_of = self.conn.prepare_cached(
            "SELECT field, op, value, polarity FROM predicates WHERE rule_id = ?1",
        )?;
        let mut same = Vec::new();
        for (id, uid) in candidates {
            let theirs: BTreeSet<Key> = rows_of
                .query_map(params![id], |r| {
                    let pol: String = r.get(3)?;
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        Polarity::parse(&pol).map_or("?", Polarity::as_str),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            if theirs == mine && uid != rule.uid {
                same.push(uid);
            }
        }
        if !same.is_empty() {
            let offset = detection_offset(sink, rule);
            sink.at(
                LintRule::NearDuplicate,
                offset,
                format!(
                    "same normalized predicates as catalog rule{} {}",
                    if same.len() == 1 { "" } else { "s" },
                    same.join(", ")
                ),
                same,
            );
        }
        Ok(())
    }
}

/// The byte offset of a 1-based line and column (0 when out of range).
fn offset_of(sink: &Sink<'_>, line: u32, column: u32) -> usize {
    if line == 0 {
        return 0;
    }
    let mut offset = 0;
    for (i, l) in sink.text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col: usize = l
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            return offset + col;
        }
        offset += l.len();
    }
    0
}

/// Where a rule's logic is written: its first predicate's span, else the
/// `detection:` / `query` key, else the start.
fn detection_offset(sink: &Sink<'_>, rule: &Rule) -> usize {
    for key in ["detection:", "query"] {
        let at = sink.find(key);
        if at > 0 || sink.text.to_ascii_lowercase().starts_with(key) {
            return at;
        }
    }
    first_span(&rule.logic.expr, None).unwrap_or(0)
}

/// Where the first predicate on `raw` field is written.
fn pred_offset(sink: &Sink<'_>, rule: &Rule, raw: &str) -> usize {
    first_span(&rule.logic.expr, Some(raw)).unwrap_or_else(|| sink.find(raw))
}

fn first_span(expr: &Expr, raw: Option<&str>) -> Option<usize> {
    let mut found = None;
    expr.visit(&mut |e| {
        if found.is_none()
            && let Expr::Pred(p) = e
            && raw.is_none_or(|r| p.field.raw == r)
        {
            found = p.span.map(|s| s.start as usize);
        }
    });
    found
}

fn check_fields(sink: &mut Sink<'_>, rule: &Rule) {
    let fields = Fields::global();
    let schema = schema_of(rule.vendor);
    let event = rule.events.first().map(String::as_str);
    let mut preds: Vec<&Pred> = Vec::new();
    rule.logic.expr.visit(&mut |e| {
        if let Expr::Pred(p) = e {
            preds.push(p);
        }
    });
    let mut seen: HashSet<&str> = HashSet::new();
    for p in preds {
        if p.field.is_glob() || !seen.insert(p.field.raw.as_str()) {
            continue;
        }
        let offset = p
            .span
            .map_or_else(|| sink.find(&p.field.raw), |s| s.start as usize);
        match &p.field.canonical {
            None => sink.at(
                LintRule::UnknownField,
                offset,
                format!(
                    "field `{}` is not in the taxonomy: the catalog cannot relate it to other rules",
                    p.field.raw
                ),
                Vec::new(),
            ),
            Some(canonical) => {
                let preferred = fields.alias_for(canonical, schema, event);
                let differs = match rule.vendor {
                    Vendor::Elastic => p.field.raw != *canonical,
                    _ => preferred.is_some_and(|w| w != p.field.raw && w.eq_ignore_ascii_case(&p.field.raw)),
                };
                if differs {
                    let want = if rule.vendor == Vendor::Elastic {
                        canonical.as_str()
                    } else {
                        preferred.unwrap_or(canonical)
                    };
                    sink.at(
                        LintRule::NonCanonicalField,
                        offset,
                        format!("field `{}` is spelled `{want}` in {} rules", p.field.raw, rule.vendor.as_str()),
                        Vec::new(),
                    );
                }
            }
        }
    }
}

fn check_techniques(sink: &mut Sink<'_>, rule: &Rule, attack: &Attack) {
    if rule.techniques.is_empty() {
        let offset = sink.find("tags");
        sink.at(
            LintRule::MissingTechnique,
            offset,
            "the rule cites no ATT&CK technique: the catalog cannot place it in a guide".into(),
            Vec::new(),
        );
        return;
    }
    for cited in &rule.techniques {
        let offset = sink.find(cited);
        let (check, message) = match cited.parse::<TechniqueId>() {
            Err(_) => (
                LintRule::InvalidTechnique,
                format!("`{cited}` is not an ATT&CK technique id"),
            ),
            Ok(id) => match attack.resolve(id) {
                Resolution::Current(_) | Resolution::Remapped { .. } => continue,
                Resolution::Revoked { name, current, .. } => (
                    LintRule::RevokedTechnique,
                    match current {
                        Some(t) => format!("{id} ({name}) was revoked: use {} ({})", t.id, t.name),
                        None => format!("{id} ({name}) was revoked"),
                    },
                ),
                Resolution::Deprecated { name, .. } => (
                    LintRule::DeprecatedTechnique,
                    format!("{id} ({name}) is deprecated"),
                ),
                _ => (
                    LintRule::InvalidTechnique,
                    format!("{id} is not a technique of ATT&CK {}", attack.version()),
                ),
            },
        };
        sink.at(check, offset, message, Vec::new());
    }
}

fn check_logsource(sink: &mut Sink<'_>, rule: &Rule) {
    if !rule.events.is_empty() {
        return;
    }
    let what = match &rule.logsource {
        Some(ls) => {
            let parts: Vec<String> = [
                ("product", &ls.product),
                ("category", &ls.category),
                ("service", &ls.service),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
            .collect();
            format!("log source ({})", parts.join(", "))
        }
        None if !rule.data_sources.is_empty() => {
            format!("data sources ({})", rule.data_sources.join(", "))
        }
        None => "rule".to_owned(),
    };
    let offset = ["logsource", "index", "requiredDataConnectors", "query"]
        .iter()
        .map(|k| sink.find(k))
        .find(|&o| o > 0)
        .unwrap_or(0);
    sink.at(
        LintRule::UnknownLogsource,
        offset,
        format!(
            "the {what} maps to no catalog event: the guide cannot compare it with other rules"
        ),
        Vec::new(),
    );
}

/// The findings as a SARIF 2.1.0 log.
pub fn sarif(findings: &[Finding]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = LintRule::ALL
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id(),
                "name": r.name(),
                "shortDescription": { "text": r.description() },
                "defaultConfiguration": { "level": r.level().as_str() },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let index = LintRule::ALL
                .iter()
                .position(|r| r.id() == f.rule_id)
                .unwrap_or(0);
            serde_json::json!({
                "ruleId": f.rule_id,
                "ruleIndex": index,
                "level": f.level.as_str(),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path.replace('\\', "/") },
                        "region": { "startLine": f.line, "startColumn": f.column },
                    }
                }],
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ruledex",
                    "informationUri": "https://github.com/ruledex/ruledex",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    })
}
