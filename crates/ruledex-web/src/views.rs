//! What each page shows, as plain serializable data: the HTML templates render
//! it and the JSON API returns it as is, so the two never disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use ruledex_attack::TechniqueId;
use ruledex_catalog::{Catalog, CoverageQuery, RuleHead};
use ruledex_convert::{Conversion, Fidelity, Target};
use ruledex_model::{Expr, Language, Logic, Rule, Severity, Vendor};
use ruledex_taxonomy::events::CatalogEvents;
use serde::Serialize;

use crate::backend::Backend;
use crate::enrich::{self, Confidence, RuleFacts, indicator_text};
use crate::error::AppError;
use crate::highlight;
use crate::markdown;

/// A rule as listed anywhere.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRef {
    /// `vendor:native_id`.
    pub uid: String,
    /// Title.
    pub title: String,
    /// Vendor name.
    pub vendor: &'static str,
    /// Severity name.
    pub severity: Option<&'static str>,
    /// The rule's date.
    pub date: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// Platforms.
    pub platforms: Vec<String>,
}

impl RuleRef {
    /// The summary of a catalog rule head.
    pub fn of(h: &RuleHead) -> RuleRef {
        RuleRef {
            uid: h.uid.clone(),
            title: h.title.clone(),
            vendor: vendor_name(&h.vendor),
            severity: h
                .severity
                .as_deref()
                .and_then(|s| s.parse::<Severity>().ok())
                .map(Severity::as_str),
            date: h.date.clone().unwrap_or_default(),
            techniques: h.techniques.clone(),
            platforms: h.platforms.clone(),
        }
    }
}

/// A vendor name as stored, as a static name (`unknown` for another).
fn vendor_name(vendor: &str) -> &'static str {
    Vendor::ALL
        .iter()
        .find(|v| v.as_str() == vendor)
        .map_or("unknown", |v| v.as_str())
}

/// Rule summaries of catalog answers, each rule's head read once.
struct Refs<'c> {
    catalog: &'c Catalog,
    heads: HashMap<String, RuleHead>,
}

impl<'c> Refs<'c> {
    fn new(catalog: &'c Catalog) -> Refs<'c> {
        Refs {
            catalog,
            heads: HashMap::new(),
        }
    }

    /// The summary of rule `uid` (title, vendor and severity as the answer
    /// gave them when the catalog no longer holds it).
    fn get(
        &mut self,
        uid: &str,
        title: &str,
        vendor: &str,
        severity: Option<&str>,
    ) -> Result<RuleRef, AppError> {
        if !self.heads.contains_key(uid) {
            let found = self
                .catalog
                .rule_heads(&[uid])
                .map_err(|e| catalog_error(&e))?;
            self.heads.extend(found);
        }
        Ok(match self.heads.get(uid) {
            Some(h) => RuleRef::of(h),
            None => RuleRef::of(&RuleHead {
                uid: uid.to_owned(),
                vendor: vendor.to_owned(),
                title: title.to_owned(),
                severity: severity.map(str::to_owned),
                date: None,
                techniques: Vec::new(),
                platforms: Vec::new(),
            }),
        })
    }
}

/// A vendor's display name.
pub fn vendor_title(v: Vendor) -> &'static str {
    match v {
        Vendor::Sigma => "Sigma",
        Vendor::Elastic => "Elastic",
        Vendor::Splunk => "Splunk",
        Vendor::Sentinel => "Sentinel (Kusto)",
        Vendor::Panther => "Panther",
    }
}

fn bad(param: &str, msg: impl std::fmt::Display) -> AppError {
    AppError::bad_request(format!("query parameter `{param}`: {msg}"))
}

/// Parsed query parameters, each known key at most once.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Reads `a=b&c=d` (form encoding), refusing keys not in `allowed`,
    /// repeated keys and invalid encodings.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, AppError> {
        let mut map = BTreeMap::new();
        let Some(query) = query else {
            return Ok(Params(map));
        };
        if query.len() > 2048 {
            return Err(AppError::bad_request("query string longer than 2048 bytes"));
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k).ok_or_else(|| {
                AppError::bad_request("query string is not valid percent-encoded UTF-8")
            })?;
            let v = decode(v).ok_or_else(|| {
                AppError::bad_request("query string is not valid percent-encoded UTF-8")
            })?;
            if !allowed.contains(&k.as_str()) {
                let allowed = if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                };
                return Err(AppError::bad_request(format!(
                    "unknown query parameter `{k}` (allowed: {allowed})"
                )));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(bad(&k, "given more than once"));
            }
        }
        Ok(Params(map))
    }

    /// A non-empty string value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A number within `min..=max`, or `default`.
    pub fn number(
        &self,
        key: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, AppError> {
        match self.get(key) {
            None => Ok(default),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(bad(
                    key,
                    format!("expected a whole number from {min} to {max}, got `{s}`"),
                )),
            },
        }
    }

    /// A vendor name.
    pub fn vendor(&self) -> Result<Option<Vendor>, AppError> {
        self.get("vendor")
            .map(|s| s.parse::<Vendor>().map_err(|e| bad("vendor", e)))
            .transpose()
    }

    /// A severity name.
    pub fn severity(&self) -> Result<Option<Severity>, AppError> {
        self.get("severity")
            .map(|s| s.parse::<Severity>().map_err(|e| bad("severity", e)))
            .transpose()
    }

    /// A technique id, normalized (`t1059.001` → `T1059.001`).
    pub fn technique(&self) -> Result<Option<String>, AppError> {
        self.get("technique")
            .map(|s| {
                s.parse::<TechniqueId>()
                    .map(|t| t.to_string())
                    .map_err(|_| {
                        bad(
                            "technique",
                            format!("`{s}` is not an ATT&CK technique id like T1046 or T1059.001"),
                        )
                    })
            })
            .transpose()
    }

    /// A lowercase word made of letters, digits, `_`, `-`, `/` and `.`.
    pub fn word(&self, key: &str) -> Result<Option<String>, AppError> {
        self.get(key)
            .map(|s| {
                if s.len() <= 80
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-/.".contains(c))
                {
                    Ok(s.to_ascii_lowercase())
                } else {
                    Err(bad(key, format!("`{s}` is not a valid name")))
                }
            })
            .transpose()
    }
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

// ---------------------------------------------------------------- feed

/// A feed entry: a rule a sync added, changed or removed.
#[derive(Clone, Debug, Serialize)]
pub struct FeedEntry {
    /// Rule uid.
    pub uid: String,
    /// Title.
    pub title: String,
    /// Vendor name.
    pub vendor: String,
    /// Severity name.
    pub severity: Option<String>,
    /// The rule's own date, when it has one.
    pub date: String,
    /// Technique ids.
    pub techniques: Vec<String>,
    /// Platforms.
    pub platforms: Vec<String>,
    /// `added`, `changed` or `removed`.
    pub kind: &'static str,
    /// When the sync retrieved it (RFC 3339).
    pub retrieved_at: String,
    /// Still in the catalog (a removed rule's page is gone).
    pub present: bool,
}

/// The feed page.
#[derive(Debug, Serialize)]
pub struct Feed {
    /// Entries on this page.
    pub items: Vec<FeedEntry>,
    /// Entries matching the filters.
    pub total: usize,
    /// 1-based page.
    pub page: usize,
    /// Entries per page.
    pub per_page: usize,
    /// Number of pages.
    pub pages: usize,
    /// Active filters.
    pub filters: BTreeMap<&'static str, String>,
    /// Options for the filter form.
    pub options: FeedOptions,
}

/// Values offered by the feed's filter form.
#[derive(Debug, Serialize)]
pub struct FeedOptions {
    /// Vendors.
    pub vendors: Vec<&'static str>,
    /// Severities.
    pub severities: Vec<&'static str>,
    /// Platforms present in the backend.
    pub platforms: Vec<String>,
    /// Change kinds.
    pub kinds: Vec<&'static str>,
}

/// Query parameters of the feed.
pub const FEED_PARAMS: &[&str] = &[
    "vendor",
    "severity",
    "technique",
    "platform",
    "kind",
    "page",
    "per_page",
];

/// The feed, from [`ruledex_catalog::Catalog::feed`]: what the syncs added,
/// changed and removed, newest sync first and, within a sync, the rule's own
/// date newest first; `severity` keeps that severity and above. Blocking.
pub fn feed(backend: &Backend, p: &Params) -> Result<Feed, AppError> {
    use ruledex_catalog::ChangeKind;
    let vendor = p.vendor()?;
    let severity = p.severity()?;
    let technique = p.technique()?;
    let platform = p.word("platform")?;
    let kind = p
        .get("kind")
        .map(|k| match k {
            "added" => Ok(ChangeKind::Added),
            "changed" => Ok(ChangeKind::Changed),
            "removed" => Ok(ChangeKind::Removed),
            other => Err(bad(
                "kind",
                format!("`{other}` is not added, changed or removed"),
            )),
        })
        .transpose()?;
    let page = p.number("page", 1, 1, 100_000)?;
    let per_page = p.number("per_page", 25, 1, 100)?;
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let query = ruledex_catalog::FeedQuery {
        vendor,
        min_severity: severity,
        technique: technique.clone(),
        platform: platform.clone(),
        kind,
        sync: None,
        offset: (page - 1) * per_page,
        limit: per_page,
    };
    let catalog = backend.catalog();
    let answer = catalog.feed(&query).map_err(|e| catalog_error(&e))?;
    let facets = catalog.facets().map_err(|e| catalog_error(&e))?;
    drop(catalog);
    let total = answer.total;
    let pages = total.div_ceil(per_page).max(1);
    let items = answer
        .items
        .into_iter()
        .map(|i| FeedEntry {
            uid: i.uid,
            title: i.title,
            vendor: i.vendor,
            severity: i.severity,
            date: i.rule_date.unwrap_or_default(),
            techniques: i.techniques,
            platforms: i.platforms,
            kind: i.kind.as_str(),
            retrieved_at: i.retrieved_at,
            present: i.present,
        })
        .collect();
    let mut filters = BTreeMap::new();
    if let Some(v) = vendor {
        filters.insert("vendor", v.as_str().to_owned());
    }
    if let Some(s) = severity {
        filters.insert("severity", s.as_str().to_owned());
    }
    if let Some(t) = technique {
        filters.insert("technique", t);
    }
    if let Some(pl) = platform {
        filters.insert("platform", pl);
    }
    if let Some(k) = kind {
        filters.insert("kind", k.as_str().to_owned());
    }
    Ok(Feed {
        items,
        total,
        page,
        per_page,
        pages,
        filters,
        options: FeedOptions {
            vendors: Vendor::ALL.iter().map(|v| v.as_str()).collect(),
            severities: ["informational", "low", "medium", "high", "critical"].into(),
            platforms: facets.platforms,
            kinds: vec!["added", "changed", "removed"],
        },
    })
}

// ---------------------------------------------------------------- rule

/// A technique as a chip.
#[derive(Clone, Debug, Serialize)]
pub struct TechniqueRef {
    /// `T1046`.
    pub id: String,
    /// Name, when ATT&CK knows the id.
    pub name: Option<String>,
    /// Tactic names.
    pub tactics: Vec<String>,
    /// attack.mitre.org page.
    pub url: String,
    /// The technique's description (first paragraph).
    pub summary: Option<String>,
}

fn technique_ref(backend: &Backend, id: &str) -> TechniqueRef {
    let parsed = id.parse::<TechniqueId>().ok();
    let t = parsed.and_then(|p| backend.attack().technique(p));
    TechniqueRef {
        id: parsed.map_or_else(|| id.to_owned(), |p| p.to_string()),
        name: t.map(|t| t.name.clone()),
        tactics: t
            .map(|t| {
                backend
                    .attack()
                    .tactics_of(t)
                    .map(|tac| tac.name.clone())
                    .collect()
            })
            .unwrap_or_default(),
        url: parsed.map_or_else(String::new, TechniqueId::url),
        summary: t.map(|t| first_paragraph(&t.description)),
    }
}

/// The first paragraph of an ATT&CK description, without `(Citation: …)` markers.
pub fn first_paragraph(text: &str) -> String {
    let para = text.split("\n\n").next().unwrap_or("").trim();
    strip_citations(para)
}

fn strip_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("(Citation:") {
        out.push_str(&rest[..start]);
        match rest[start..].find(')') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // Markdown links `[text](url)` in ATT&CK descriptions keep their text.
    let mut clean = String::with_capacity(out.len());
    let mut s = out.as_str();
    while let Some(open) = s.find('[') {
        clean.push_str(&s[..open]);
        let after = &s[open + 1..];
        if let Some(close) = after.find("](") {
            if let Some(end) = after[close + 2..].find(')') {
                clean.push_str(&after[..close]);
                s = &after[close + 2 + end + 1..];
                continue;
            }
        }
        clean.push('[');
        s = after;
    }
    clean.push_str(s);
    // ATT&CK writes inline code as HTML; markdown code spans render it the same, safely.
    clean
        .replace("  ", " ")
        .replace("<code>", "`")
        .replace("</code>", "`")
}

/// A catalog event and who produces it.
#[derive(Clone, Debug, Serialize)]
pub struct EventRef {
    /// `windows/process_creation`.
    pub id: String,
    /// Title.
    pub title: String,
    /// One line per producer (`Sysmon 1`, `logs-endpoint.events.process-*`, …).
    pub producers: Vec<String>,
}

fn producers(id: &str) -> Vec<String> {
    let Some(ev) = CatalogEvents::global().get(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in &ev.sigma {
        let mut parts = Vec::new();
        for (k, v) in [
            ("product", &s.product),
            ("category", &s.category),
            ("service", &s.service),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}: {v}"));
            }
        }
        if !s.event_ids.is_empty() {
            let ids: Vec<String> = s.event_ids.iter().map(i64::to_string).collect();
            parts.push(format!("EventID {}", ids.join("/")));
        }
        out.push(format!("Sigma logsource {}", parts.join(", ")));
    }
    for i in ev.elastic.indices.iter().chain(&ev.elastic.broad_indices) {
        out.push(format!("Elastic index {i}*"));
    }
    for d in &ev.elastic.datasets {
        out.push(format!("Elastic event.dataset {d}"));
    }
    for s in &ev.splunk {
        out.push(format!("Splunk data source {s}"));
    }
    for t in &ev.sentinel {
        if t.event_ids.is_empty() {
            out.push(format!("Sentinel table {}", t.table));
        } else {
            let ids: Vec<String> = t.event_ids.iter().map(i64::to_string).collect();
            out.push(format!(
                "Sentinel table {} (EventID {})",
                t.table,
                ids.join("/")
            ));
        }
    }
    for a in &ev.asim {
        out.push(format!("ASIM schema {a} (parser im{a})"));
    }
    for p in &ev.panther {
        out.push(format!("Panther log type {p}"));
    }
    out
}

fn event_ref(id: &str) -> EventRef {
    let title = CatalogEvents::global()
        .get(id)
        .map_or_else(|| id.to_owned(), |e| e.title.clone());
    EventRef {
        id: id.to_owned(),
        title,
        producers: producers(id),
    }
}

/// One line of the logic outline.
#[derive(Clone, Debug, Serialize)]
pub struct OutlineLine {
    /// Nesting depth.
    pub depth: usize,
    /// `and`, `or`, `not`, `pred`, `keyword` or `opaque`.
    pub kind: &'static str,
    /// The text shown.
    pub text: String,
    /// Inside a `not`: an exclusion.
    pub excluded: bool,
}

fn outline(expr: &Expr, depth: usize, excluded: bool, out: &mut Vec<OutlineLine>) {
    if out.len() >= 2000 || depth > 64 {
        return;
    }
    match expr {
        Expr::And(c) | Expr::Or(c) => {
            let kind = if matches!(expr, Expr::And(_)) {
                "and"
            } else {
                "or"
            };
            out.push(OutlineLine {
                depth: depth.min(12),
                kind,
                text: kind.to_owned(),
                excluded,
            });
            for e in c {
                outline(e, depth + 1, excluded, out);
            }
        }
        Expr::Not(c) => {
            out.push(OutlineLine {
                depth: depth.min(12),
                kind: "not",
                text: "not (excluded)".to_owned(),
                excluded: true,
            });
            outline(c, depth + 1, !excluded, out);
        }
        Expr::Pred(p) => out.push(OutlineLine {
            depth: depth.min(12),
            kind: "pred",
            text: p.to_string(),
            excluded,
        }),
        Expr::Keyword(k) => out.push(OutlineLine {
            depth: depth.min(12),
            kind: "keyword",
            text: k.to_string(),
            excluded,
        }),
        Expr::Opaque(o) => out.push(OutlineLine {
            depth: depth.min(12),
            kind: "opaque",
            text: format!("not normalized ({}): {}", o.reason, o.text),
            excluded,
        }),
    }
}

/// One conversion as shown.
#[derive(Clone, Debug, Serialize)]
pub struct ConversionView {
    /// Target name.
    pub target: &'static str,
    /// Target title.
    pub title: &'static str,
    /// The query, when written.
    pub query: Option<String>,
    /// `exact`, `approximate` or `unsupported`.
    pub fidelity: &'static str,
    /// Why approximate or unsupported.
    pub reasons: Vec<String>,
}

/// Shows a conversion.
pub fn conversion_view(c: &Conversion) -> ConversionView {
    let reasons = match &c.fidelity {
        Fidelity::Exact => Vec::new(),
        Fidelity::Approximate { reasons } => reasons.clone(),
        Fidelity::Unsupported { reason } => vec![reason.clone()],
    };
    ConversionView {
        target: c.target.as_str(),
        title: c.target.title(),
        query: c.query.clone(),
        fidelity: c.fidelity.as_str(),
        reasons,
    }
}

/// A similar rule and what it shares.
#[derive(Clone, Debug, Serialize)]
pub struct Similar {
    /// The rule.
    pub rule: RuleRef,
    /// Indicators both rules look for.
    pub shared: Vec<String>,
    /// Jaccard similarity of the indicator sets, in percent.
    pub percent: u32,
}

/// Rules whose logic overlaps, from [`Catalog::similar_any_vendor`]
/// (Jaccard similarity of the catalog's indicator sets): other vendors'
/// first, then the rule's own vendor's, each most similar first.
fn similar(
    catalog: &Catalog,
    refs: &mut Refs<'_>,
    uid: &str,
    vendor: Vendor,
) -> Result<Vec<Similar>, AppError> {
    let mut found = catalog
        .similar_any_vendor(uid, 0)
        .map_err(|e| catalog_error(&e))?;
    // Stable: the catalog's order (score, then uid) holds within each group.
    found.sort_by_key(|s| s.vendor == vendor.as_str());
    found.truncate(SIMILAR_ROWS);
    found
        .into_iter()
        .map(|s| {
            Ok(Similar {
                rule: refs.get(&s.uid, &s.title, &s.vendor, None)?,
                shared: s.shared.iter().take(6).map(indicator_text).collect(),
                percent: percent(s.score),
            })
        })
        .collect()
}

/// Similar rules shown on a rule page.
const SIMILAR_ROWS: usize = 8;

/// A similarity in `0.0..=1.0` as a whole percentage, rounded down.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=100 first"
)]
fn percent(score: f64) -> u32 {
    (score * 100.0).clamp(0.0, 100.0).floor() as u32
}

/// Source of a rule, with a link to the original.
#[derive(Clone, Debug, Serialize)]
pub struct SourceView {
    /// Repository name.
    pub repo: String,
    /// Path in the repository.
    pub path: String,
    /// Link to the original, when known.
    pub url: Option<String>,
    /// Commit.
    pub commit: Option<String>,
    /// When retrieved.
    pub retrieved_at: Option<String>,
}

fn repo_path(vendor: Vendor, path: &str) -> String {
    let path = path.strip_prefix("sample:").unwrap_or(path);
    let markers: &[&str] = match vendor {
        Vendor::Sigma => &["/rules", "/deprecated", "/rules-"],
        Vendor::Elastic => &["/rules", "/rules_building_block"],
        Vendor::Splunk => &["/detections"],
        Vendor::Sentinel => &["/Detections", "/Solutions", "/Hunting Queries"],
        Vendor::Panther => &["/rules", "/policies", "/queries"],
    };
    for m in markers {
        if let Some(pos) = path.find(&format!("{m}/")) {
            return path[pos + 1..].to_owned();
        }
    }
    path.to_owned()
}

fn source_view(rule: &Rule) -> SourceView {
    let sample = rule.source.path.starts_with("sample:");
    let repo = rule.source.repo.clone().unwrap_or_else(|| {
        if sample {
            "ruledex samples".to_owned()
        } else {
            match rule.vendor {
                Vendor::Sigma => "SigmaHQ/sigma",
                Vendor::Elastic => "elastic/detection-rules",
                Vendor::Splunk => "splunk/security_content",
                Vendor::Sentinel => "Azure/Azure-Sentinel",
                Vendor::Panther => "panther-labs/panther-analysis",
            }
            .to_owned()
        }
    });
    let path = repo_path(rule.vendor, &rule.source.path);
    let url = rule.source.url.clone().or_else(|| {
        if sample {
            return None;
        }
        let branch = rule.source.commit.clone().unwrap_or_else(|| {
            match rule.vendor {
                Vendor::Elastic => "main",
                Vendor::Splunk => "develop",
                _ => "master",
            }
            .to_owned()
        });
        Some(format!("https://github.com/{repo}/blob/{branch}/{path}"))
    });
    SourceView {
        repo,
        path,
        url,
        commit: rule.source.commit.clone(),
        retrieved_at: rule.source.retrieved_at.clone(),
    }
}

/// The rule page.
#[derive(Debug, Serialize)]
pub struct RuleView {
    /// Summary.
    #[serde(flatten)]
    pub head: RuleRef,
    /// Vendor display name.
    pub vendor_title: &'static str,
    /// Description.
    pub description: String,
    /// Status or maturity.
    pub status: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// License.
    pub license: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// Techniques with ATT&CK context.
    pub technique_refs: Vec<TechniqueRef>,
    /// Tactics as given.
    pub tactics: Vec<String>,
    /// Domains.
    pub domains: Vec<String>,
    /// Catalog events with producers.
    pub events: Vec<EventRef>,
    /// Vendor data sources as written.
    pub data_sources: Vec<String>,
    /// Where from.
    pub source: SourceView,
    /// Language of the original.
    pub language: Language,
    /// The original text.
    pub text: String,
    /// The original, highlighted (safe HTML).
    pub text_html: String,
    /// Created.
    pub created: Option<String>,
    /// Modified.
    pub modified: Option<String>,
    /// Deprecated by the vendor.
    pub deprecated: bool,
    /// Generated: confidence.
    pub confidence: Confidence,
    /// Generated: hunt hypothesis.
    pub hypothesis: String,
    /// Generated: false-positive guidance.
    pub false_positive_guidance: Vec<String>,
    /// The authors' own false-positive notes.
    pub false_positives: Vec<String>,
    /// Normalized logic, one line per node, exclusions flagged.
    pub outline: Vec<OutlineLine>,
    /// Aggregation, in words.
    pub aggregation: Option<String>,
    /// Exclusions (top-level and scoped).
    pub exclusions: Vec<ExclusionView>,
    /// Indicators looked for, with corpus reach.
    pub indicators: Vec<IndicatorView>,
    /// Conversions to every target.
    pub conversions: Vec<ConversionView>,
    /// Similar rules ([`Catalog::similar_any_vendor`]), other vendors first.
    pub similar: Vec<Similar>,
    /// Elastic investigation guide (safe HTML).
    pub guide_html: Option<String>,
    /// Elastic setup notes (safe HTML).
    pub setup_html: Option<String>,
    /// Vendor metadata shown as facts (risk score, interval, rule type, indices).
    pub facts: Vec<(String, String)>,
}

/// An exclusion as shown.
#[derive(Clone, Debug, Serialize)]
pub struct ExclusionView {
    /// The excluded condition.
    pub text: String,
    /// `rule` or `branch`.
    pub scope: &'static str,
    /// What a branch exclusion applies to.
    pub scoped_to: Option<String>,
}

/// An indicator with its reach.
#[derive(Clone, Debug, Serialize)]
pub struct IndicatorView {
    /// Canonical field.
    pub field: String,
    /// Operator.
    pub op: String,
    /// Value.
    pub value: String,
    /// Rules catalog-wide that look for it.
    pub reach: usize,
}

fn fact_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(fact_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The rule page of a uid, from [`Catalog::rule`] (the stored original text
/// and normalized model), the catalog's indicator rows and their reach, and
/// [`Catalog::similar`]; conversions are computed here, on demand. Blocking.
pub fn rule(backend: &Backend, uid: &str) -> Result<RuleView, AppError> {
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let catalog = backend.catalog();
    let facts = RuleFacts::load(&catalog, uid)
        .map_err(|e| catalog_error(&e))?
        .ok_or_else(|| AppError::not_found(format!("no rule with uid `{uid}`")))?;
    let mut refs = Refs::new(&catalog);
    let rule = &facts.rule;
    let head = refs.get(
        &rule.uid,
        &rule.title,
        rule.vendor.as_str(),
        rule.severity.map(Severity::as_str),
    )?;
    let similar = similar(&catalog, &mut refs, &rule.uid, rule.vendor)?;
    drop(refs);
    drop(catalog);
    let conversions = ruledex_convert::convert_all(rule);
    let confidence = enrich::confidence(&facts, &conversions);
    let mut outline_lines = Vec::new();
    outline(&rule.logic.expr, 0, false, &mut outline_lines);
    let exclusions = rule
        .logic
        .exclusions()
        .into_iter()
        .map(|ex| match &ex.scope {
            ruledex_model::ExclusionScope::Rule => ExclusionView {
                text: ex.expr.to_string(),
                scope: "rule",
                scoped_to: None,
            },
            ruledex_model::ExclusionScope::Branch { scoped_to, .. } => ExclusionView {
                text: ex.expr.to_string(),
                scope: "branch",
                scoped_to: Some(
                    scoped_to
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" and "),
                ),
            },
        })
        .collect();
    let note = |key: &str| {
        rule.extra
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(markdown::render)
    };
    let mut shown_facts = Vec::new();
    for (key, label) in [
        ("type", "Rule type"),
        ("risk_score", "Risk score"),
        ("interval", "Runs every"),
        ("from", "Searches from"),
        ("max_signals", "Maximum alerts per execution"),
        ("index", "Indices"),
        ("version", "Version"),
    ] {
        if let Some(v) = rule.extra.get(key) {
            shown_facts.push((label.to_owned(), fact_text(v)));
        }
    }
    // The catalog's resolved ids (a revoked technique as its successor).
    let technique_refs = head
        .techniques
        .iter()
        .map(|t| technique_ref(backend, t))
        .collect();
    Ok(RuleView {
        head,
        vendor_title: vendor_title(rule.vendor),
        description: rule.description.clone(),
        status: rule.status.clone(),
        authors: rule.authors.clone(),
        license: rule.license.clone(),
        references: rule.references.clone(),
        technique_refs,
        tactics: rule.tactics.clone(),
        domains: rule.domains.clone(),
        events: rule.events.iter().map(|e| event_ref(e)).collect(),
        data_sources: rule.data_sources.clone(),
        source: source_view(rule),
        language: rule.language,
        text: rule.text.clone(),
        text_html: highlight::highlight(&rule.text, rule.language),
        created: rule.created.clone(),
        modified: rule.modified.clone(),
        deprecated: rule.deprecated,
        hypothesis: enrich::hypothesis(backend.attack(), &facts),
        false_positive_guidance: enrich::false_positives(&facts),
        false_positives: rule.false_positives.clone(),
        confidence,
        outline: outline_lines,
        aggregation: rule.logic.aggregation.as_ref().map(|a| format!("{a:?}")),
        exclusions,
        indicators: facts
            .positive
            .iter()
            .take(200)
            .map(|(i, reach)| IndicatorView {
                field: i.field.clone(),
                op: i.op.clone(),
                value: i.value.clone(),
                reach: *reach,
            })
            .collect(),
        conversions: conversions.iter().map(conversion_view).collect(),
        similar,
        guide_html: note("note"),
        setup_html: note("setup"),
        facts: shown_facts,
    })
}

// ---------------------------------------------------------------- technique

/// An indicator or exclusion row of the authoring guide.
#[derive(Clone, Debug, Serialize)]
pub struct ValueRow {
    /// Canonical field.
    pub field: String,
    /// Operator.
    pub op: String,
    /// Value.
    pub value: String,
    /// Rules under this technique.
    pub rules: usize,
    /// Rules catalog-wide looking for it (indicators only).
    pub reach: usize,
    /// Of the rules excluding it, those excluding it rule-wide (exclusions only).
    pub rule_level: usize,
    /// Of the rules excluding it, those excluding it in one `or` branch (exclusions only).
    pub branch_scoped: usize,
    /// The rules under this technique that use it.
    pub rule_refs: Vec<RuleRef>,
}

/// Rules of one vendor.
#[derive(Clone, Debug, Serialize)]
pub struct VendorGroup {
    /// Vendor name.
    pub vendor: String,
    /// Display name.
    pub title: &'static str,
    /// Rules.
    pub rules: Vec<RuleRef>,
}

/// An event covered by a technique's rules.
#[derive(Clone, Debug, Serialize)]
pub struct EventCount {
    /// Catalog event id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Rules.
    pub rules: usize,
}

/// The technique page: the catalog's authoring guide ([`ruledex_catalog::Guide`],
/// the numbers `ruledex guide` prints) with the ATT&CK text around it.
#[derive(Debug, Serialize)]
pub struct Guide {
    /// The technique.
    pub technique: TechniqueRef,
    /// Full description (markdown rendered safely).
    pub description_html: String,
    /// Sub-techniques with their rules among this page's rules.
    pub subtechniques: Vec<(String, String, usize)>,
    /// Parent technique, for a sub-technique.
    pub parent: Option<TechniqueRef>,
    /// Active filters.
    pub filters: BTreeMap<&'static str, String>,
    /// Platforms offered by the filter.
    pub platform_options: Vec<String>,
    /// Domains offered by the filter.
    pub domain_options: Vec<String>,
    /// Rules under the technique (after filters).
    pub rule_count: usize,
    /// Of which tagged with a sub-technique only.
    pub subtechnique_rules: usize,
    /// Events covered.
    pub events: Vec<EventCount>,
    /// Fields filtered most (row key, members, how, samples, per vendor).
    pub fields: Vec<ruledex_catalog::guide::FieldRow>,
    /// Distinct field rows.
    pub fields_total: usize,
    /// Top indicator values.
    pub indicators: Vec<ValueRow>,
    /// Distinct indicators.
    pub indicators_total: usize,
    /// Exclusions.
    pub exclusions: Vec<ValueRow>,
    /// Distinct exclusions.
    pub exclusions_total: usize,
    /// Rules grouped by vendor.
    pub vendors: Vec<VendorGroup>,
    /// SIEM platforms with a synthesized query page.
    pub siem_platforms: Vec<SiemRef>,
}

/// Query parameters of the technique page.
pub const GUIDE_PARAMS: &[&str] = &["platform", "domain", "vendor"];

/// Rows per guide section on the page.
const GUIDE_ROWS: usize = 25;

/// A normalized technique id from a path segment.
pub fn technique_id(raw: &str) -> Result<String, AppError> {
    raw.parse::<TechniqueId>()
        .map(|t| t.to_string())
        .map_err(|_| {
            AppError::bad_request(format!(
                "`{raw}` is not an ATT&CK technique id like T1046 or T1059.001"
            ))
        })
}

/// Whether ATT&CK knows the technique or a catalog rule is tagged with it.
fn technique_exists(backend: &Backend, catalog: &Catalog, id: &str) -> Result<bool, AppError> {
    let known = id
        .parse::<TechniqueId>()
        .ok()
        .and_then(|t| backend.attack().technique(t))
        .is_some();
    Ok(known || catalog.has_technique(id).map_err(|e| catalog_error(&e))?)
}

fn catalog_error(e: &ruledex_catalog::Error) -> AppError {
    AppError::internal(format!("catalog query: {e}"))
}

/// The rules under `technique` testing (field, op, value), for the
/// click-a-value expansion.
fn value_rules(
    refs: &mut Refs<'_>,
    technique: &str,
    (field, op, value): (&str, &str, &str),
) -> Result<Vec<RuleRef>, AppError> {
    refs.catalog
        .rules_for_value(technique, field, op, value)
        .map_err(|e| catalog_error(&e))?
        .iter()
        .take(25)
        .map(|r| refs.get(&r.uid, &r.title, &r.vendor, r.severity.as_deref()))
        .collect()
}

/// The authoring guide of a technique, from [`ruledex_catalog::Catalog::guide`].
/// Blocking (a catalog query): call it from `spawn_blocking`.
pub fn guide(backend: &Backend, raw_id: &str, p: &Params) -> Result<Guide, AppError> {
    let id = technique_id(raw_id)?;
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let platform = p.word("platform")?;
    let domain = p.word("domain")?;
    let vendor = p.vendor()?;
    let query = ruledex_catalog::GuideQuery {
        technique: id.clone(),
        platform: platform.clone(),
        domain: domain.clone(),
        vendor,
        limit: GUIDE_ROWS,
        samples: 5,
    };
    let catalog = backend.catalog();
    if !technique_exists(backend, &catalog, &id)? {
        return Err(AppError::not_found(format!(
            "no technique `{id}` in ATT&CK or the catalog"
        )));
    }
    let mut refs = Refs::new(&catalog);
    let g = catalog.guide(&query).map_err(|e| catalog_error(&e))?;
    // The filter choices are those of the technique's rules before filtering.
    let unfiltered = if platform.is_some() || domain.is_some() || vendor.is_some() {
        let mut q = ruledex_catalog::GuideQuery::new(id.clone());
        q.limit = 1;
        q.samples = 0;
        Some(catalog.guide(&q).map_err(|e| catalog_error(&e))?)
    } else {
        None
    };
    let options = unfiltered.as_ref().unwrap_or(&g);
    let mut platform_options: Vec<String> =
        options.platforms.iter().map(|v| v.value.clone()).collect();
    platform_options.sort();
    let mut domain_options: Vec<String> = options.domains.iter().map(|v| v.value.clone()).collect();
    domain_options.sort();

    let mut indicators = Vec::with_capacity(g.indicators.len());
    for i in &g.indicators {
        indicators.push(ValueRow {
            field: i.field.clone(),
            op: i.op.clone(),
            value: i.value.clone(),
            rules: i.rules,
            reach: i.corpus_reach,
            rule_level: 0,
            branch_scoped: 0,
            rule_refs: value_rules(&mut refs, &id, (&i.field, &i.op, &i.value))?,
        });
    }
    let mut exclusions = Vec::with_capacity(g.exclusions.len());
    for x in &g.exclusions {
        exclusions.push(ValueRow {
            field: x.field.clone(),
            op: x.op.clone(),
            value: x.value.clone(),
            rules: x.rules,
            reach: 0,
            rule_level: x.rule_level,
            branch_scoped: x.branch_scoped,
            rule_refs: value_rules(&mut refs, &id, (&x.field, &x.op, &x.value))?,
        });
    }

    // Sub-technique roll-up: each sub-technique with its rules among this page's.
    let mut sub_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in g.rules_by_vendor.iter().flat_map(|v| &v.rules) {
        for s in &r.subtechniques {
            *sub_counts.entry(s).or_default() += 1;
        }
    }
    let tid = id.parse::<TechniqueId>().ok();
    let tech = tid.and_then(|t| backend.attack().technique(t));
    let subtechniques = tech
        .map(|t| {
            t.subtechniques
                .iter()
                .map(|s| {
                    let name = backend
                        .attack()
                        .technique(*s)
                        .map(|x| x.name.clone())
                        .unwrap_or_default();
                    let sid = s.to_string();
                    let n = sub_counts.get(sid.as_str()).copied().unwrap_or(0);
                    (sid, name, n)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut filters = BTreeMap::new();
    if let Some(pl) = platform {
        filters.insert("platform", pl);
    }
    if let Some(d) = domain {
        filters.insert("domain", d);
    }
    if let Some(v) = vendor {
        filters.insert("vendor", v.as_str().to_owned());
    }
    let mut vendors = Vec::with_capacity(g.rules_by_vendor.len());
    for v in &g.rules_by_vendor {
        let known = Vendor::ALL.iter().find(|x| x.as_str() == v.vendor).copied();
        vendors.push(VendorGroup {
            vendor: v.vendor.clone(),
            title: known.map_or("Other", vendor_title),
            rules: v
                .rules
                .iter()
                .map(|r| refs.get(&r.uid, &r.title, &v.vendor, r.severity.as_deref()))
                .collect::<Result<_, _>>()?,
        });
    }
    drop(refs);
    drop(catalog);
    Ok(Guide {
        technique: technique_ref(backend, &id),
        description_html: tech.map_or_else(String::new, |t| {
            markdown::render(&strip_citations(&t.description))
        }),
        subtechniques,
        parent: tid
            .and_then(TechniqueId::parent)
            .map(|p| technique_ref(backend, &p.to_string())),
        filters,
        platform_options,
        domain_options,
        rule_count: g.rules,
        subtechnique_rules: g.subtechnique_rules,
        events: g
            .events
            .iter()
            .map(|e| EventCount {
                id: e.id.clone(),
                title: e.title.clone().unwrap_or_else(|| e.id.clone()),
                rules: e.rules,
            })
            .collect(),
        fields: g.fields,
        fields_total: g.fields_total,
        indicators,
        indicators_total: g.indicators_total,
        exclusions,
        exclusions_total: g.exclusions_total,
        vendors,
        siem_platforms: SIEMS.iter().map(SiemRef::of).collect(),
    })
}

// ---------------------------------------------------------------- technique × platform

/// A SIEM platform a detection can be written for.
#[derive(Debug)]
pub struct Siem {
    /// URL slug.
    pub slug: &'static str,
    /// Display name.
    pub title: &'static str,
    /// Targets, preferred first.
    pub targets: &'static [Target],
}

/// Every SIEM platform with a technique page.
pub const SIEMS: &[Siem] = &[
    Siem {
        slug: "elastic",
        title: "Elastic Security",
        targets: &[Target::Eql, Target::Esql, Target::Kql, Target::Lucene],
    },
    Siem {
        slug: "splunk",
        title: "Splunk",
        targets: &[Target::Spl, Target::SplCim],
    },
    Siem {
        slug: "sentinel",
        title: "Microsoft Sentinel",
        targets: &[Target::KustoAsim, Target::KustoSecurityEvent],
    },
    Siem {
        slug: "defender",
        title: "Microsoft Defender XDR",
        targets: &[Target::KustoXdr],
    },
    Siem {
        slug: "spark",
        title: "Spark SQL (data lake)",
        targets: &[Target::SqlSpark, Target::SqlSqlite],
    },
    Siem {
        slug: "sigma",
        title: "Sigma",
        targets: &[Target::Sigma],
    },
];

/// A SIEM platform as a link.
#[derive(Clone, Debug, Serialize)]
pub struct SiemRef {
    /// Slug.
    pub slug: &'static str,
    /// Title.
    pub title: &'static str,
}

impl SiemRef {
    fn of(s: &Siem) -> SiemRef {
        SiemRef {
            slug: s.slug,
            title: s.title,
        }
    }
}

/// One synthesized query: the union of one event's indicator groups.
#[derive(Debug, Serialize)]
pub struct Synthesized {
    /// The catalog event it reads.
    pub event: EventRef,
    /// Rules it was built from.
    pub rules: usize,
    /// Distinct detection branches kept.
    pub branches: usize,
    /// Exclusions shared by at least two rules.
    pub shared_exclusions: Vec<String>,
    /// The normalized logic (always shown).
    pub normalized: String,
    /// The platform's conversions.
    pub conversions: Vec<ConversionView>,
}

/// An Atomic Red Team test with expected telemetry.
#[derive(Debug, Serialize)]
pub struct TestView {
    /// The test.
    #[serde(flatten)]
    pub test: crate::atomics::AtomicTest,
    /// What to expect in the logs.
    pub expected: Vec<String>,
}

/// The technique × platform page.
#[derive(Debug, Serialize)]
pub struct PlatformPage {
    /// The technique.
    pub technique: TechniqueRef,
    /// The platform.
    pub platform: SiemRef,
    /// Synthesized queries, one per event, most rules first.
    pub queries: Vec<Synthesized>,
    /// Data sources: producers of the events for this platform.
    pub data_sources: Vec<String>,
    /// Required tables / indices.
    pub tables: Vec<String>,
    /// False positives the rules' authors list, most common first.
    pub false_positives: Vec<(String, usize)>,
    /// Tuning advice (exclusions most rules share).
    pub tuning: Vec<String>,
    /// Other platforms.
    pub other_platforms: Vec<SiemRef>,
    /// References, most cited first.
    pub references: Vec<String>,
    /// Atomic tests.
    pub tests: Vec<TestView>,
    /// Whether an atomics corpus is loaded.
    pub atomics_loaded: bool,
    /// Rules under the technique.
    pub rule_count: usize,
}

fn positive_part(expr: &Expr) -> (Option<Expr>, Vec<Expr>) {
    match expr {
        Expr::And(children) => {
            let (neg, pos): (Vec<&Expr>, Vec<&Expr>) =
                children.iter().partition(|c| matches!(c, Expr::Not(_)));
            let negs = neg
                .into_iter()
                .filter_map(|n| match n {
                    Expr::Not(inner) => Some((**inner).clone()),
                    _ => None,
                })
                .collect();
            let pos = match pos.len() {
                0 => None,
                1 => Some(pos[0].clone()),
                _ => Some(Expr::and(pos.into_iter().cloned().collect())),
            };
            (pos, negs)
        }
        Expr::Not(_) => (None, Vec::new()),
        other => (Some(other.clone()), Vec::new()),
    }
}

fn synthesize(event: &str, members: &[&Rule], siem: &Siem) -> Synthesized {
    let mut branches: Vec<Expr> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut excl_count: BTreeMap<String, (usize, Expr)> = BTreeMap::new();
    for r in members {
        if r.logic.expr.has_opaque() || r.logic.aggregation.is_some() {
            continue;
        }
        let (pos, negs) = positive_part(&r.logic.expr);
        if let Some(pos) = pos {
            if branches.len() < 30 && seen.insert(pos.to_string()) {
                branches.push(pos);
            }
        }
        for n in negs {
            excl_count.entry(n.to_string()).or_insert((0, n)).0 += 1;
        }
    }
    let mut shared: Vec<(usize, String, Expr)> = excl_count
        .into_iter()
        .filter(|(_, (n, _))| *n >= 2)
        .map(|(k, (n, e))| (n, k, e))
        .collect();
    shared.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    shared.truncate(10);
    let mut parts = vec![Expr::or(branches.clone())];
    parts.extend(shared.iter().map(|(_, _, e)| Expr::not(e.clone())));
    let expr = if parts.len() == 1 {
        parts.remove(0)
    } else {
        Expr::and(parts)
    };
    let template = members.first();
    let mut rule = Rule::new(
        template.map_or(Vendor::Sigma, |r| r.vendor),
        format!("synthesized-{event}"),
        format!("Synthesized detection ({event})"),
        template.map_or(Language::Sigma, |r| r.language),
        Logic::new(expr.clone()),
    );
    rule.events = vec![event.to_owned()];
    if let Some(t) = template {
        rule.logsource = t.logsource.clone();
        rule.data_sources = t.data_sources.clone();
        rule.platforms = t.platforms.clone();
        rule.techniques = t.techniques.clone();
    }
    let conversions = if branches.is_empty() {
        Vec::new()
    } else {
        siem.targets
            .iter()
            .map(|&t| conversion_view(&ruledex_convert::convert(&rule, t)))
            .collect()
    };
    Synthesized {
        event: event_ref(event),
        rules: members.len(),
        branches: branches.len(),
        shared_exclusions: shared
            .into_iter()
            .map(|(n, k, _)| format!("{k} (excluded by {n} rules)"))
            .collect(),
        normalized: if branches.is_empty() {
            String::new()
        } else {
            expr.outline()
        },
        conversions,
    }
}

fn expected_telemetry(test: &crate::atomics::AtomicTest, events: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let on = |p: &str| test.platforms.iter().any(|x| x.eq_ignore_ascii_case(p));
    let exe = match test.executor.as_str() {
        "powershell" => Some("powershell.exe"),
        "command_prompt" => Some("cmd.exe"),
        "bash" => Some("bash"),
        "sh" => Some("sh"),
        _ => None,
    };
    if on("windows") {
        if let Some(exe) = exe {
            out.push(format!("Process creation of {exe} (Sysmon Event ID 1, Security 4688 with command-line auditing) carrying the test's command line"));
        }
        if test.executor == "powershell" {
            out.push(
                "PowerShell Script Block Logging (Event ID 4104) with the script text".to_owned(),
            );
        }
    }
    if on("linux") || on("macos") {
        if let Some(exe) = exe {
            out.push(format!("Process execution from {exe} (auditd EXECVE / Elastic Defend process start / ESF on macOS) with the child's arguments"));
        }
    }
    if let Some(cmd) = &test.command {
        let lower = cmd.to_lowercase();
        if [
            "nmap",
            "nc ",
            "telnet",
            "tcpclient",
            "test-netconnection",
            "curl",
            "wget",
            "invoke-webrequest",
            "/dev/tcp",
        ]
        .iter()
        .any(|k| lower.contains(k))
        {
            out.push("Network connections from the test's process (Sysmon Event ID 3 / network flow events)".to_owned());
        }
    }
    if test.executor == "manual" {
        out.push("Manual test: the telemetry depends on the steps followed".to_owned());
    }
    for e in events.iter().take(3) {
        out.push(format!(
            "Catalog event `{e}`, which this technique's rules read"
        ));
    }
    out
}

/// The technique × platform page: the technique's rules from
/// [`Catalog::technique_rules`], grouped by the event each reads first, and
/// its exclusions from [`Catalog::technique_exclusions`]; the queries are
/// synthesized and converted here, on demand. Blocking.
pub fn platform_page(
    backend: &Backend,
    raw_id: &str,
    slug: &str,
) -> Result<PlatformPage, AppError> {
    let id = technique_id(raw_id)?;
    let siem = SIEMS
        .iter()
        .find(|s| s.slug.eq_ignore_ascii_case(slug))
        .ok_or_else(|| {
            let known: Vec<&str> = SIEMS.iter().map(|s| s.slug).collect();
            AppError::not_found(format!(
                "no platform `{slug}` (known: {})",
                known.join(", ")
            ))
        })?;
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let catalog = backend.catalog();
    if !technique_exists(backend, &catalog, &id)? {
        return Err(AppError::not_found(format!(
            "no technique `{id}` in ATT&CK or the catalog"
        )));
    }
    let rules = catalog
        .technique_rules(&id)
        .map_err(|e| catalog_error(&e))?;
    let exclusions = catalog
        .technique_exclusions(&id, 8)
        .map_err(|e| catalog_error(&e))?;
    drop(catalog);
    let mut by_event: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for r in &rules {
        if let Some(ev) = r.events.first() {
            by_event.entry(ev).or_default().push(r);
        }
    }
    let mut groups: Vec<(&str, Vec<&Rule>)> = by_event.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    groups.truncate(3);
    let queries: Vec<Synthesized> = groups
        .iter()
        .map(|(ev, members)| synthesize(ev, members, siem))
        .collect();

    let mut data_sources = Vec::new();
    let mut tables = BTreeSet::new();
    for (ev, _) in &groups {
        let Some(event) = CatalogEvents::global().get(ev) else {
            continue;
        };
        for line in producers(ev) {
            let keep = match siem.slug {
                "elastic" => line.starts_with("Elastic"),
                "splunk" => line.starts_with("Splunk"),
                "sentinel" => line.starts_with("Sentinel") || line.starts_with("ASIM"),
                "defender" => line.starts_with("Sentinel table Device"),
                "sigma" => line.starts_with("Sigma"),
                _ => true,
            };
            if keep && !data_sources.contains(&line) {
                data_sources.push(line);
            }
        }
        match siem.slug {
            "elastic" => tables.extend(event.elastic.indices.iter().map(|i| format!("{i}*"))),
            "splunk" => tables.extend(event.splunk.iter().cloned()),
            "sentinel" => {
                tables.extend(event.asim.iter().map(|a| format!("im{a}")));
                tables.extend(
                    event
                        .sentinel
                        .iter()
                        .filter(|t| !t.table.starts_with("Device"))
                        .map(|t| t.table.clone()),
                );
            }
            "defender" => tables.extend(
                event
                    .sentinel
                    .iter()
                    .filter(|t| t.table.starts_with("Device"))
                    .map(|t| t.table.clone()),
            ),
            _ => {}
        }
    }
    let mut fps: HashMap<String, usize> = HashMap::new();
    let mut refs: HashMap<&str, usize> = HashMap::new();
    for r in &rules {
        for fp in &r.false_positives {
            let fp = fp.trim();
            if !fp.is_empty() && !fp.eq_ignore_ascii_case("unknown") {
                *fps.entry(fp.to_owned()).or_default() += 1;
            }
        }
        for x in &r.references {
            *refs.entry(x.as_str()).or_default() += 1;
        }
    }
    let mut false_positives: Vec<(String, usize)> = fps.into_iter().collect();
    false_positives.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    false_positives.truncate(10);
    let tuning = exclusions
        .iter()
        .map(|(i, n)| {
            format!(
                "Exclude {} — {n} rule(s) under this technique do",
                indicator_text(i)
            )
        })
        .collect();
    let mut refs: Vec<(&str, usize)> = refs.into_iter().collect();
    refs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let tid = id.parse::<TechniqueId>().ok();
    let mut references: Vec<String> = tid.map(TechniqueId::url).into_iter().collect();
    if backend.has_atomics() && !backend.atomics(&id).is_empty() {
        references.push(format!(
            "https://github.com/redcanaryco/atomic-red-team/blob/master/atomics/{id}/{id}.md"
        ));
    }
    for (r, _) in refs {
        if references.len() >= 15 {
            break;
        }
        if !references.iter().any(|x| x == r) {
            references.push(r.to_owned());
        }
    }
    let events: Vec<String> = groups.iter().map(|(e, _)| (*e).to_owned()).collect();
    let tests = backend
        .atomics(&id)
        .iter()
        .take(12)
        .map(|t| TestView {
            expected: expected_telemetry(t, &events),
            test: t.clone(),
        })
        .collect();
    Ok(PlatformPage {
        technique: technique_ref(backend, &id),
        platform: SiemRef::of(siem),
        queries,
        data_sources,
        tables: tables.into_iter().collect(),
        false_positives,
        tuning,
        other_platforms: SIEMS
            .iter()
            .filter(|s| s.slug != siem.slug)
            .map(SiemRef::of)
            .collect(),
        references,
        tests,
        atomics_loaded: backend.has_atomics(),
        rule_count: rules.len(),
    })
}

// ---------------------------------------------------------------- coverage

/// One cell of the matrix.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// Technique id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Rules (sub-techniques included).
    pub rules: usize,
    /// Colour bucket 0–4.
    pub level: u8,
}

/// One tactic column.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    /// `TA0007`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Techniques with at least one rule.
    pub covered: usize,
    /// Techniques.
    pub techniques: Vec<Cell>,
}

/// The coverage page.
#[derive(Debug, Serialize)]
pub struct Coverage {
    /// ATT&CK version.
    pub attack_version: String,
    /// Columns in matrix order.
    pub tactics: Vec<Column>,
    /// Techniques with a rule / all techniques.
    pub covered: usize,
    /// All techniques (no sub-techniques).
    pub total: usize,
    /// Rules counted.
    pub rules: usize,
    /// Active filters.
    pub filters: BTreeMap<&'static str, String>,
    /// Platform options.
    pub platform_options: Vec<String>,
    /// Event options.
    pub event_options: Vec<String>,
    /// Technique ids tagged by rules but unknown to the loaded ATT&CK release.
    pub unknown: Vec<(String, usize)>,
}

/// Query parameters of the coverage page.
pub const COVERAGE_PARAMS: &[&str] = &["vendor", "platform", "event"];

/// Counts per technique (parent ids) under filters.
/// Rules per technique, rules counted, and the filters applied.
type Counts = (
    BTreeMap<String, usize>,
    usize,
    BTreeMap<&'static str, String>,
);

/// Rules per technique from [`Catalog::technique_counts`] under the
/// page's filters, with the filter choices ([`Catalog::facets`]). Blocking.
fn counts(backend: &Backend, p: &Params) -> Result<(Counts, ruledex_catalog::Facets), AppError> {
    let vendor = p.vendor()?;
    let platform = p.word("platform")?;
    let event = p.word("event")?;
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let query = CoverageQuery {
        vendor,
        platform: platform.clone(),
        event: event.clone(),
    };
    let catalog = backend.catalog();
    let answer = catalog
        .technique_counts(&query)
        .map_err(|e| catalog_error(&e))?;
    let facets = catalog.facets().map_err(|e| catalog_error(&e))?;
    drop(catalog);
    let mut filters = BTreeMap::new();
    if let Some(v) = vendor {
        filters.insert("vendor", v.as_str().to_owned());
    }
    if let Some(pl) = platform {
        filters.insert("platform", pl);
    }
    if let Some(ev) = event {
        filters.insert("event", ev);
    }
    Ok(((answer.techniques, answer.rules, filters), facets))
}

fn level(n: usize) -> u8 {
    match n {
        0 => 0,
        1..=2 => 1,
        3..=9 => 2,
        10..=29 => 3,
        _ => 4,
    }
}

/// The coverage matrix: the served ATT&CK release's tactics and techniques,
/// with rule counts from the catalog. Blocking.
pub fn coverage(backend: &Backend, p: &Params) -> Result<Coverage, AppError> {
    let ((counts, rules, filters), facets) = counts(backend, p)?;
    let attack = backend.attack();
    let mut covered = 0;
    let mut total = 0;
    let mut known = BTreeSet::new();
    let tactics = attack
        .tactics()
        .iter()
        .map(|tac| {
            let mut cells: Vec<Cell> = attack
                .techniques_of(tac)
                .filter(|t| !t.is_subtechnique && !t.deprecated && !t.revoked)
                .map(|t| {
                    let id = t.id.to_string();
                    let n = counts.get(&id).copied().unwrap_or(0);
                    known.insert(id.clone());
                    Cell {
                        name: t.name.clone(),
                        rules: n,
                        level: level(n),
                        id,
                    }
                })
                .collect();
            cells.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.name.cmp(&b.name)));
            let col_covered = cells.iter().filter(|c| c.rules > 0).count();
            Column {
                id: tac.id.to_string(),
                name: tac.name.clone(),
                covered: col_covered,
                techniques: cells,
            }
        })
        .collect();
    for t in attack.techniques() {
        if !t.is_subtechnique && !t.deprecated && !t.revoked {
            total += 1;
            if counts.get(&t.id.to_string()).is_some_and(|n| *n > 0) {
                covered += 1;
            }
        }
    }
    let unknown = counts
        .iter()
        .filter(|(id, _)| !id.contains('.') && !known.contains(*id))
        .map(|(id, n)| (id.clone(), *n))
        .collect();
    Ok(Coverage {
        attack_version: attack.version().to_owned(),
        tactics,
        covered,
        total,
        rules,
        filters,
        platform_options: facets.platforms,
        event_options: facets.events,
        unknown,
    })
}

/// An ATT&CK Navigator layer of the coverage (counts as scores). Blocking.
pub fn navigator_layer(backend: &Backend, p: &Params) -> Result<serde_json::Value, AppError> {
    let ((counts, _, filters), _) = counts(backend, p)?;
    let max = counts.values().copied().max().unwrap_or(1).max(1);
    let techniques: Vec<serde_json::Value> = counts
        .iter()
        .map(|(id, n)| {
            serde_json::json!({
                "techniqueID": id,
                "score": n,
                "comment": format!("{n} rule(s) in the ruledex catalog"),
                "enabled": true,
            })
        })
        .collect();
    let mut name = "ruledex coverage".to_owned();
    for (k, v) in &filters {
        let _ = write!(name, " {k}={v}");
    }
    Ok(serde_json::json!({
        "name": name,
        "versions": {"attack": backend.attack().version(), "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": "Rules per technique (sub-techniques also counted under their parent), generated by ruledex.",
        "sorting": 3,
        "hideDisabled": false,
        "gradient": {"colors": ["#ffffff", "#8ec3ff", "#1f5fbf"], "minValue": 0, "maxValue": max},
        "techniques": techniques,
    }))
}

// ---------------------------------------------------------------- events

/// An event in the list.
#[derive(Clone, Debug, Serialize)]
pub struct EventRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Platform.
    pub platform: String,
    /// Rules that read it.
    pub rules: usize,
}

/// `/events`, from [`Catalog::events`]. Blocking.
pub fn events(backend: &Backend) -> Result<Vec<EventRow>, AppError> {
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let events = backend.catalog().events().map_err(|e| catalog_error(&e))?;
    Ok(events
        .into_iter()
        .map(|e| EventRow {
            id: e.id,
            title: e.title,
            platform: e.platform,
            rules: e.rules,
        })
        .collect())
}

/// `/events/{id}`.
#[derive(Debug, Serialize)]
pub struct EventPage {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Platform.
    pub platform: String,
    /// Parent event.
    pub parent: Option<String>,
    /// Producers.
    pub producers: Vec<String>,
    /// Techniques its rules detect, most rules first.
    pub techniques: Vec<(String, Option<String>, usize)>,
    /// Rules that read it (first 200).
    pub rules: Vec<RuleRef>,
    /// Rules that read it.
    pub rule_count: usize,
}

/// The page of one catalog event, from [`Catalog::event`]; the producers
/// come from the taxonomy. Blocking.
pub fn event(backend: &Backend, id: &str) -> Result<EventPage, AppError> {
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let catalog = backend.catalog();
    let ev = catalog
        .event(id)
        .map_err(|e| catalog_error(&e))?
        .ok_or_else(|| AppError::not_found(format!("no catalog event `{id}`")))?;
    let mut refs = Refs::new(&catalog);
    let rules = ev
        .rules
        .iter()
        .take(200)
        .map(|r| refs.get(&r.uid, &r.title, &r.vendor, r.severity.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    drop(refs);
    drop(catalog);
    Ok(EventPage {
        producers: producers(&ev.id),
        id: ev.id,
        title: ev.title,
        description: ev.description,
        platform: ev.platform,
        parent: ev.parent,
        techniques: ev.techniques,
        rule_count: ev.rules.len(),
        rules,
    })
}

// ---------------------------------------------------------------- search

/// `/search`.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    /// The query.
    pub q: String,
    /// Matching rules, best first (bm25), at most `limit`.
    pub results: Vec<RuleRef>,
    /// Rules listed (the catalog's ranking stops at `limit`).
    pub total: usize,
    /// Techniques whose id or name matches.
    pub techniques: Vec<TechniqueRef>,
}

/// Query parameters of search.
pub const SEARCH_PARAMS: &[&str] = &["q", "limit"];

/// Full-text search over rules ([`ruledex_catalog::Catalog::search`], FTS5
/// over titles, descriptions, fields and values) and technique names. Blocking.
pub fn search(backend: &Backend, p: &Params) -> Result<SearchPage, AppError> {
    let q = p.get("q").unwrap_or("").to_owned();
    if q.chars().count() > 200 {
        return Err(bad("q", "longer than 200 characters"));
    }
    let limit = p.number("limit", 50, 1, 500)?;
    if let Some(e) = &backend.catalog_error {
        return Err(AppError::internal(e.clone()));
    }
    let catalog = backend.catalog();
    let hits = catalog.search(&q, limit).map_err(|e| catalog_error(&e))?;
    let mut refs = Refs::new(&catalog);
    let results = hits
        .iter()
        .map(|h| refs.get(&h.uid, &h.title, &h.vendor, h.severity.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    drop(refs);
    drop(catalog);
    let total = hits.len();
    let lower = q.to_lowercase();
    let techniques = if lower.trim().is_empty() {
        Vec::new()
    } else {
        backend
            .attack()
            .techniques()
            .iter()
            .filter(|t| {
                t.id.to_string().to_lowercase() == lower.trim()
                    || t.name.to_lowercase().contains(lower.trim())
            })
            .take(10)
            .map(|t| technique_ref(backend, &t.id.to_string()))
            .collect()
    };
    Ok(SearchPage {
        q,
        results,
        total,
        techniques,
    })
}
