//! Rules and their metadata.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::aggregation::Aggregation;
use crate::expr::Expr;

/// Who publishes the rule's dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// Sigma (SigmaHQ and compatible).
    Sigma,
    /// Elastic detection-rules.
    Elastic,
    /// Splunk security_content.
    Splunk,
    /// Microsoft Sentinel.
    Sentinel,
    /// Panther analysis.
    Panther,
}

impl Vendor {
    /// Every vendor, in display order.
    pub const ALL: [Vendor; 5] = [
        Vendor::Sigma,
        Vendor::Elastic,
        Vendor::Splunk,
        Vendor::Sentinel,
        Vendor::Panther,
    ];

    /// The lowercase name used in uids, URLs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Sigma => "sigma",
            Vendor::Elastic => "elastic",
            Vendor::Splunk => "splunk",
            Vendor::Sentinel => "sentinel",
            Vendor::Panther => "panther",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = String;

    fn from_str(s: &str) -> Result<Vendor, String> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown vendor `{s}` (expected one of sigma, elastic, splunk, sentinel, panther)"))
    }
}

/// The language the rule's logic was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Sigma detection YAML.
    Sigma,
    /// Kibana query language.
    Kql,
    /// Lucene query syntax.
    Lucene,
    /// Elastic event query language.
    Eql,
    /// Elasticsearch ES|QL.
    Esql,
    /// Splunk search processing language.
    Spl,
    /// Kusto query language.
    Kusto,
    /// Python (Panther).
    Python,
    /// Something else (machine-learning jobs, indicator matches).
    Other,
}

/// How severe a match is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Severity, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Severity::Informational),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity `{other}`")),
        }
    }
}

/// What kind of document the rule is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A detection over single events (possibly aggregated).
    #[default]
    Detection,
    /// A correlation over other rules' matches (Sigma correlation).
    Correlation,
    /// A filter applied to other rules (Sigma filter document).
    Filter,
}

/// Where the events a rule reads come from, in Sigma's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogSource {
    /// e.g. `windows`, `linux`, `aws`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// e.g. `process_creation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// e.g. `security`, `sysmon`, `cloudtrail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Free-text requirements on the log source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("category", &self.category),
            ("service", &self.service),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        f.write_str(&parts.join(" "))
    }
}

/// Where the rule was read from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Repository or corpus name, e.g. `SigmaHQ/sigma`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Path of the file, relative to the corpus root.
    pub path: String,
    /// Commit or etag of the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Link to the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When ruledex retrieved it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieved_at: Option<String>,
    /// Index of the document inside a multi-document file (0 for the first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub document: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A rule this rule declares a relation to (Sigma `related`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedRule {
    /// The other rule's id.
    pub id: String,
    /// `derived`, `obsolete`, `merged`, `renamed` or `similar`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A rule's logic: what single events must look like, and optionally how they aggregate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logic {
    /// The condition on each event.
    pub expr: Expr,
    /// An aggregation over the matching events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
}

impl Logic {
    /// Logic with no aggregation.
    pub fn new(expr: Expr) -> Logic {
        Logic {
            expr,
            aggregation: None,
        }
    }

    /// Whether nothing in the logic is opaque (aggregation steps, metric
    /// filters and cases, and the having condition included).
    pub fn is_fully_parsed(&self) -> bool {
        if self.expr.has_opaque() {
            return false;
        }
        if let Some(agg) = &self.aggregation {
            let metric_opaque = agg.metrics.iter().any(|m| {
                m.filter.as_ref().is_some_and(Expr::has_opaque)
                    || m.cases.iter().any(|c| c.when.has_opaque())
            });
            if metric_opaque || agg.having.as_ref().is_some_and(Expr::has_opaque) {
                return false;
            }
        }
        match self.aggregation.as_ref().map(|a| &a.kind) {
            Some(crate::AggregationKind::Sequence { steps, until }) => {
                steps.iter().all(|s| !s.expr.has_opaque())
                    && until.as_ref().is_none_or(|u| !u.has_opaque())
            }
            _ => true,
        }
    }

    /// Whether the logic tests at least one field or keyword (aggregation steps included).
    pub fn has_predicate(&self) -> bool {
        if self.expr.has_predicate() {
            return true;
        }
        match self.aggregation.as_ref().map(|a| &a.kind) {
            Some(crate::AggregationKind::Sequence { steps, .. }) => {
                steps.iter().any(|s| s.expr.has_predicate())
            }
            _ => false,
        }
    }
}

/// A detection rule from any vendor, normalized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Catalog-wide id: `vendor:native_id`.
    pub uid: String,
    /// The rule's vendor.
    pub vendor: Vendor,
    /// The vendor's own id (Sigma `id`, Elastic `rule_id`, …).
    pub native_id: String,
    /// Detection, correlation or filter.
    #[serde(default)]
    pub kind: RuleKind,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Status or maturity as the vendor names it (`test`, `stable`, `production`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Authors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// License of the rule text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Reference links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// ATT&CK technique ids (`T1046`, `T1059.001`), uppercase, as the rule gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// ATT&CK tactic short names (`discovery`) or ids (`TA0007`), as the rule gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<String>,
    /// Every tag as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Platforms (`windows`, `linux`, `macos`, `aws`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Domains (`endpoint`, `cloud`, `network`, `identity`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Sigma-style log source, when the dialect has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logsource: Option<LogSource>,
    /// Vendor data sources as written (index patterns, Splunk data sources, tables, log types).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<String>,
    /// Catalog events (filled in by the taxonomy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Where it was read from.
    pub source: SourceInfo,
    /// Language of the logic.
    pub language: Language,
    /// The original text of the rule (the whole document).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// False-positive notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub false_positives: Vec<String>,
    /// Date created (ISO 8601, as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Date last modified (ISO 8601, as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Related rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedRule>,
    /// Rules a correlation or filter refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<String>,
    /// The vendor marked it deprecated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Vendor-specific metadata with no common home (risk score, interval, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// The logic.
    pub logic: Logic,
}

impl Rule {
    /// A rule with the given identity and logic and empty metadata.
    pub fn new(
        vendor: Vendor,
        native_id: impl Into<String>,
        title: impl Into<String>,
        language: Language,
        logic: Logic,
    ) -> Rule {
        let native_id = native_id.into();
        Rule {
            uid: format!("{vendor}:{native_id}"),
            vendor,
            native_id,
            kind: RuleKind::Detection,
            title: title.into(),
            description: String::new(),
            severity: None,
            status: None,
            authors: Vec::new(),
            license: None,
            references: Vec::new(),
            techniques: Vec::new(),
            tactics: Vec::new(),
            tags: Vec::new(),
            platforms: Vec::new(),
            domains: Vec::new(),
            logsource: None,
            data_sources: Vec::new(),
            events: Vec::new(),
            source: SourceInfo::default(),
            language,
            text: String::new(),
            false_positives: Vec::new(),
            created: None,
            modified: None,
            related: Vec::new(),
            applies_to: Vec::new(),
            deprecated: false,
            extra: BTreeMap::new(),
            logic,
        }
    }
}
