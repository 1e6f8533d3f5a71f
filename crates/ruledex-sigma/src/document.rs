//! Sigma documents: metadata, detection rules, correlation rules, filters, and
//! multi-document collections.

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Language, LogSource, Logic, Op,
    RelatedRule, Rule, RuleKind, Severity, Vendor,
};
use saphyr::{LoadableYamlNode, MarkedYaml};

use crate::detection::lower_detection;
use crate::error::{Error, ErrorKind};
use crate::yaml::{Map, Node, Source, as_str, entries, is_null, items, scalar_text, window};

/// Largest rule file accepted (4 MiB); SigmaHQ's largest is a few KiB.
pub const MAX_FILE_SIZE: usize = 4 << 20;

/// What reading one file gave: the rules it holds, the errors that kept
/// documents from being read, and warnings about rules that were read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Rules read, in document order.
    pub rules: Vec<Rule>,
    /// Documents (or the whole file) that could not be read.
    pub errors: Vec<Error>,
    /// Problems in rules that were still read (bad tags, unknown level, …).
    pub warnings: Vec<Error>,
}

/// Deepest indentation (in columns, counting each leading `- ` as two)
/// accepted before the YAML is loaded. The YAML loader recurses once per
/// nesting level, so hostile nesting must be refused before it runs; real
/// rules stay under 30 columns.
pub(crate) const MAX_INDENT: usize = 200;

/// The first line nesting deeper than [`MAX_INDENT`], as a byte offset.
fn too_deep(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let mut depth = spaces;
        let mut rest = &line[spaces..];
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) {
            depth += 2 + (r.len() - r.trim_start_matches(' ').len());
            rest = r.trim_start_matches(' ');
        }
        if depth > MAX_INDENT {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Read every Sigma document in `text`. `path` is recorded as the rule's source path.
pub fn parse_sigma(path: &str, text: &str) -> Parsed {
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
            ErrorKind::NestingTooDeep { limit: MAX_INDENT },
            Span::point(at),
        ));
        return out;
    }
    let src = Source::new(text);
    let docs = match MarkedYaml::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let at = src.offset(e.marker());
            out.errors.push(Error::new(
                ErrorKind::Yaml {
                    message: e.info().to_owned(),
                },
                Span::new(at, at + 1),
            ));
            return out;
        }
    };
    // First pass: work out the layers of every document (Sigma 1.x
    // collections: `action: global` applies to all following documents until
    // `action: reset`; `action: repeat` builds on the previous rule).
    let mut plans: Vec<(usize, Vec<&Node<'_>>, bool)> = Vec::new();
    let mut global: Vec<&Node<'_>> = Vec::new();
    let mut previous: Vec<&Node<'_>> = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        if is_null(doc) {
            continue; // an empty document (e.g. a trailing `---`)
        }
        let Some(map) = Map::new(doc) else {
            out.errors.push(Error {
                kind: ErrorKind::NotAMapping,
                span: src.span(doc),
                document: index,
            });
            continue;
        };
        let mut own: Vec<&Node<'_>> = Vec::new();
        if let Some((_, action)) = map.entry("action") {
            match as_str(action) {
                Some("global") => {
                    global = vec![doc];
                    continue;
                }
                Some("reset") => {
                    global.clear();
                    continue;
                }
                Some("repeat") => own.extend(previous.iter().copied()),
                _ => {
                    out.errors.push(Error {
                        kind: ErrorKind::UnknownAction {
                            found: scalar_text(action).unwrap_or_default(),
                        },
                        span: src.span(action),
                        document: index,
                    });
                    continue;
                }
            }
        }
        own.push(doc);
        previous.clone_from(&own);
        let mut layers = global.clone();
        layers.extend(own);
        let is_correlation = map.entry("correlation").is_some();
        plans.push((index, layers, is_correlation));
    }
    // Second pass: rules first, then correlations, which may refer to rules
    // anywhere in the file (the specification's examples put them first).
    // Correlations may also refer to other correlations: read them in
    // dependency order (a cycle is read with whatever is available).
    let mut read: Vec<(usize, Result<Rule, Error>, Vec<Error>)> = Vec::new();
    let (mut pending, detections): (Vec<_>, Vec<_>) = plans.iter().partition(|(_, _, c)| *c);
    for (index, layers, _) in detections {
        let mut warnings = Vec::new();
        let result = read_document(&src, path, *index, layers, &[], &mut warnings);
        read.push((*index, result, warnings));
    }
    while !pending.is_empty() {
        let names: Vec<Vec<String>> = pending.iter().map(|(_, l, _)| own_names(&src, l)).collect();
        let waits_on_pending = |i: usize| {
            let refs = correlation_refs(&src, &pending[i].1);
            names
                .iter()
                .enumerate()
                .any(|(j, n)| j != i && n.iter().any(|n| refs.contains(n)))
        };
        let mut ready: Vec<usize> = (0..pending.len())
            .filter(|&i| !waits_on_pending(i))
            .collect();
        if ready.is_empty() {
            ready = (0..pending.len()).collect();
        }
        let rules: Vec<Rule> = read
            .iter()
            .filter_map(|(_, r, _)| r.as_ref().ok().cloned())
            .collect();
        for &i in &ready {
            let (index, layers, _) = pending[i];
            let mut warnings = Vec::new();
            let result = read_document(&src, path, *index, layers, &rules, &mut warnings);
            read.push((*index, result, warnings));
        }
        let mut i = 0;
        pending.retain(|_| {
            i += 1;
            !ready.contains(&(i - 1))
        });
    }
    read.sort_by_key(|(index, _, _)| *index);
    for (index, result, warnings) in read {
        match result {
            Ok(rule) => out.rules.push(rule),
            Err(mut e) => {
                e.document = index;
                out.errors.push(e);
            }
        }
        out.warnings.extend(warnings.into_iter().map(|mut w| {
            w.document = index;
            w
        }));
    }
    out.errors.sort_by_key(|e| e.document);
    out
}

/// The `name` and `id` a document can be referred to by.
fn own_names(src: &Source<'_>, layers: &[&Node<'_>]) -> Vec<String> {
    let map = flat(layers);
    ["name", "id"]
        .iter()
        .filter_map(|k| map.string(src, k).ok().flatten())
        .collect()
}

/// The rules a correlation document refers to.
fn correlation_refs(src: &Source<'_>, layers: &[&Node<'_>]) -> Vec<String> {
    flat(layers)
        .get("correlation")
        .and_then(Map::new)
        .and_then(|m| m.strings(src, "rules").ok())
        .unwrap_or_default()
}

/// The merged view of a key over the layers (later layers win). For mappings
/// like `detection` and `logsource` the entries of all layers are combined.
fn merged<'n, 'a>(
    layers: &[&'n Node<'a>],
    key: &str,
    keep_repeats: bool,
) -> Option<(&'n Node<'a>, Vec<(&'n Node<'a>, &'n Node<'a>)>)> {
    let mut key_node = None;
    let mut combined: Vec<(&Node<'_>, &Node<'_>)> = Vec::new();
    for layer in layers {
        let Some(map) = Map::new(layer) else { continue };
        if let Some((k, v)) = map.entry(key) {
            key_node = Some(k);
            match entries(v) {
                Some(es) => {
                    for (ek, ev) in es {
                        if !keep_repeats {
                            combined
                                .retain(|(ck, _)| as_str(ck) != as_str(ek) || as_str(ek).is_none());
                        }
                        combined.push((ek, ev));
                    }
                }
                None => {
                    combined.clear();
                    combined.push((k, v));
                }
            }
        }
    }
    key_node.map(|k| (k, combined))
}

/// A flat view of the top-level keys over the layers (later layers win).
fn flat<'n, 'a>(layers: &[&'n Node<'a>]) -> Map<'n, 'a> {
    let mut combined: Vec<(&Node<'_>, &Node<'_>)> = Vec::new();
    for layer in layers {
        if let Some(es) = entries(layer) {
            for (k, v) in es {
                combined.retain(|(ck, _)| as_str(ck) != as_str(k));
                combined.push((k, v));
            }
        }
    }
    Map { entries: combined }
}

fn read_document(
    src: &Source<'_>,
    path: &str,
    index: usize,
    layers: &[&Node<'_>],
    earlier: &[Rule],
    warnings: &mut Vec<Error>,
) -> Result<Rule, Error> {
    let doc = layers.last().expect("at least the document itself");
    let doc_span = src.span(doc);
    let map = flat(layers);
    let title = map.string(src, "title")?.ok_or_else(|| {
        Error::new(
            ErrorKind::MissingKey { key: "title" },
            Span::point(doc_span.start as usize),
        )
    })?;

    let (kind, logic, applies_to) = if let Some((k, v)) = map.entry("correlation") {
        let (logic, refs) = read_correlation(src, k, v, earlier)?;
        (RuleKind::Correlation, logic, refs)
    } else if let Some((k, v)) = map.entry("filter") {
        let Some(es) = entries(v) else {
            return Err(Error::new(
                ErrorKind::WrongType {
                    key: "filter".into(),
                    expected: "a mapping",
                },
                src.span(v),
            ));
        };
        let fmap = Map {
            entries: es.clone(),
        };
        let rules = fmap.strings(src, "rules")?;
        let selections: Vec<_> = es
            .into_iter()
            .filter(|(ek, _)| as_str(ek) != Some("rules"))
            .collect();
        let logic = lower_detection(src, &selections, src.span(k), warnings)?;
        (RuleKind::Filter, logic, rules)
    } else {
        let Some((k, detection)) = merged(layers, "detection", true) else {
            return Err(Error::new(
                ErrorKind::MissingKey { key: "detection" },
                Span::point(doc_span.start as usize),
            ));
        };
        if detection.len() == 1 && std::ptr::eq(detection[0].0, k) {
            return Err(Error::new(
                ErrorKind::WrongType {
                    key: "detection".into(),
                    expected: "a mapping",
                },
                src.span(detection[0].1),
            ));
        }
        let logic = lower_detection(src, &detection, src.span(k), warnings)?;
        (RuleKind::Detection, logic, Vec::new())
    };

    let logsource = read_logsource(src, layers)?;
    if logsource.is_none() && kind != RuleKind::Correlation {
        return Err(Error::new(
            ErrorKind::MissingKey { key: "logsource" },
            Span::point(doc_span.start as usize),
        ));
    }

    let id = map.string(src, "id")?;
    let native_id = id.clone().unwrap_or_else(|| {
        if index == 0 {
            path.to_owned()
        } else {
            format!("{path}#{index}")
        }
    });
    let mut rule = Rule::new(Vendor::Sigma, native_id, title, Language::Sigma, logic);
    rule.kind = kind;
    rule.applies_to = applies_to;
    rule.description = map
        .string(src, "description")?
        .unwrap_or_default()
        .trim()
        .to_owned();
    rule.references = map.strings(src, "references")?;
    rule.false_positives = map.strings(src, "falsepositives")?;
    rule.created = map.string(src, "date")?;
    rule.modified = map.string(src, "modified")?;
    rule.license = map.string(src, "license")?;
    if let Some(author) = map.string(src, "author")? {
        rule.authors = author
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
    }
    if let Some((_, level)) = map.entry("level")
        && let Some(text) = scalar_text(level)
    {
        match text.parse::<Severity>() {
            Ok(s) => rule.severity = Some(s),
            Err(_) => warnings.push(Error::new(
                ErrorKind::InvalidLevel { found: text },
                src.span(level),
            )),
        }
    }
    if let Some((_, status)) = map.entry("status")
        && let Some(text) = scalar_text(status)
    {
        if !matches!(
            text.as_str(),
            "stable" | "test" | "experimental" | "deprecated" | "unsupported"
        ) {
            warnings.push(Error::new(
                ErrorKind::InvalidStatus {
                    found: text.clone(),
                },
                src.span(status),
            ));
        }
        rule.deprecated = matches!(text.as_str(), "deprecated" | "unsupported");
        rule.status = Some(text);
    }
    read_tags(src, &map, &mut rule, warnings)?;
    rule.related = read_related(src, &map)?;
    if let Some(ls) = &logsource {
        let (platforms, domains) = platforms_of(ls);
        rule.platforms = platforms;
        rule.domains = domains;
    }
    rule.logsource = logsource;
    for key in ["fields", "name", "scope", "taxonomy"] {
        if let Some(v) = map.get(key) {
            rule.extra.insert(key.to_owned(), to_json(v));
        }
    }
    rule.source.path = path.to_owned();
    rule.source.document = index;
    rule.text = doc_span.slice(src.text).unwrap_or_default().to_owned();
    // Spans in the model index the rule's own text (its document), not the file.
    let start = doc_span.start;
    let mut to_document = |s: Span| Span {
        start: s.start.saturating_sub(start),
        end: s.end.saturating_sub(start),
    };
    rule.logic.expr.map_spans(&mut to_document);
    if let Some(agg) = &mut rule.logic.aggregation {
        for m in agg.metrics.iter_mut().filter_map(|m| m.filter.as_mut()) {
            m.map_spans(&mut to_document);
        }
    }
    Ok(rule)
}

fn read_logsource(src: &Source<'_>, layers: &[&Node<'_>]) -> Result<Option<LogSource>, Error> {
    let Some((_, es)) = merged(layers, "logsource", false) else {
        return Ok(None);
    };
    if es.len() == 1 && entries(es[0].1).is_none() && as_str(es[0].0) == Some("logsource") {
        return Err(Error::new(
            ErrorKind::WrongType {
                key: "logsource".into(),
                expected: "a mapping",
            },
            src.span(es[0].1),
        ));
    }
    let map = Map { entries: es };
    Ok(Some(LogSource {
        product: map.string(src, "product")?,
        category: map.string(src, "category")?,
        service: map.string(src, "service")?,
        definition: map.string(src, "definition")?,
    }))
}

/// ATT&CK tactic short names, including the ATT&CK v19 ones SigmaHQ already uses.
const TACTICS: [&str; 16] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
    "stealth",
    "defense-impairment",
];

fn read_tags(
    src: &Source<'_>,
    map: &Map<'_, '_>,
    rule: &mut Rule,
    warnings: &mut Vec<Error>,
) -> Result<(), Error> {
    rule.tags = map.strings(src, "tags")?;
    let nodes: Vec<&Node<'_>> = map
        .get("tags")
        .and_then(items)
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    for (i, tag) in rule.tags.iter().enumerate() {
        let Some(rest) = tag.strip_prefix("attack.") else {
            continue;
        };
        let span = nodes.get(i).map_or_else(
            || map.get("tags").map(|n| src.span(n)).unwrap_or_default(),
            |n| src.span(n),
        );
        let lower = rest.to_ascii_lowercase();
        if let Some(t) = technique_id(&lower) {
            if !rule.techniques.contains(&t) {
                rule.techniques.push(t);
            }
        } else if TACTICS.contains(&lower.as_str()) {
            rule.tactics.push(lower);
        } else if !is_group_or_software(&lower) {
            warnings.push(Error::new(ErrorKind::InvalidTag { tag: tag.clone() }, span));
        }
    }
    Ok(())
}

/// `t1059.001` → `T1059.001`, if well-formed.
fn technique_id(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    let ok = match b.len() {
        5 => b[0] == b't' && digits(&b[1..5]),
        9 => b[0] == b't' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..9]),
        _ => false,
    };
    ok.then(|| s.to_ascii_uppercase())
}

/// Group (`g0010`), software (`s0002`), campaign (`c0001`), mitigation
/// (`m1038`) and data source (`ds0009`) ids.
fn is_group_or_software(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = &s[..s.len() - digits.len()];
    matches!(prefix, "g" | "s" | "c" | "m" | "ds")
        && digits.len() == 4
        && digits.bytes().all(|b| b.is_ascii_digit())
}

fn read_related(src: &Source<'_>, map: &Map<'_, '_>) -> Result<Vec<RelatedRule>, Error> {
    let Some(node) = map.get("related") else {
        return Ok(Vec::new());
    };
    if is_null(node) {
        return Ok(Vec::new());
    }
    let wrong = |n: &Node<'_>| {
        Error::new(
            ErrorKind::WrongType {
                key: "related".into(),
                expected: "a list of {id, type} mappings",
            },
            src.span(n),
        )
    };
    let list = items(node).ok_or_else(|| wrong(node))?;
    list.iter()
        .map(|item| {
            let m = Map::new(item).ok_or_else(|| wrong(item))?;
            let id = m.string(src, "id")?.ok_or_else(|| wrong(item))?;
            let kind = m.string(src, "type")?.ok_or_else(|| wrong(item))?;
            Ok(RelatedRule { id, kind })
        })
        .collect()
}

/// Platforms and domains implied by a log source.
fn platforms_of(ls: &LogSource) -> (Vec<String>, Vec<String>) {
    let product = ls.product.as_deref().unwrap_or("").to_ascii_lowercase();
    let category = ls.category.as_deref().unwrap_or("").to_ascii_lowercase();
    let (platform, domain) = match product.as_str() {
        "windows" => ("windows", "endpoint"),
        "linux" => ("linux", "endpoint"),
        "macos" => ("macos", "endpoint"),
        "aws" => ("aws", "cloud"),
        "azure" => ("azure", "cloud"),
        "gcp" => ("gcp", "cloud"),
        "m365" | "microsoft365" | "office365" => ("m365", "cloud"),
        "okta" | "onelogin" | "cisco_duo" => (product.as_str(), "identity"),
        "github" | "bitbucket" | "gitlab" => (product.as_str(), "application"),
        "kubernetes" => ("kubernetes", "cloud"),
        "zeek" | "cisco" | "fortinet" | "paloalto" | "juniper" | "huawei" | "checkpoint" => {
            (product.as_str(), "network")
        }
        "" => ("", ""),
        other => (other, ""),
    };
    let mut platforms = Vec::new();
    let mut domains = Vec::new();
    if !platform.is_empty() {
        platforms.push(platform.to_owned());
    }
    let domain = match category.as_str() {
        "proxy" | "firewall" | "dns" | "network_connection" if domain.is_empty() => "network",
        "webserver" | "application" if domain.is_empty() => "application",
        _ => domain,
    };
    if !domain.is_empty() {
        domains.push(domain.to_owned());
    }
    (platforms, domains)
}

fn read_correlation(
    src: &Source<'_>,
    key: &Node<'_>,
    node: &Node<'_>,
    earlier: &[Rule],
) -> Result<(Logic, Vec<String>), Error> {
    let map = Map::new(node).ok_or_else(|| {
        Error::new(
            ErrorKind::WrongType {
                key: "correlation".into(),
                expected: "a mapping",
            },
            src.span(node),
        )
    })?;
    let anchor = src.span(key);
    let (type_key, type_node) = map.entry("type").ok_or_else(|| {
        Error::new(
            ErrorKind::MissingKey {
                key: "correlation.type",
            },
            anchor,
        )
    })?;
    let kind_name = scalar_text(type_node).unwrap_or_default();
    let rules = map.strings(src, "rules")?;
    if rules.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingKey {
                key: "correlation.rules",
            },
            anchor,
        ));
    }
    let group_by: Vec<Field> = map
        .strings(src, "group-by")?
        .into_iter()
        .map(Field::raw)
        .collect();
    let window = match map.entry("timespan").or_else(|| map.entry("timeframe")) {
        Some((_, v)) => Some(window(src, v)?),
        None => None,
    };
    let mut condition = Vec::new();
    let mut counted_field = None;
    if let Some((ck, cv)) = map.entry("condition") {
        let cmap = Map::new(cv).ok_or_else(|| {
            Error::new(
                ErrorKind::WrongType {
                    key: "correlation.condition".into(),
                    expected: "a mapping like {gte: 10}",
                },
                src.span(cv),
            )
        })?;
        for (k, v) in &cmap.entries {
            let name = as_str(k).unwrap_or_default();
            let op = match name {
                "gt" => Op::Gt,
                "gte" => Op::Gte,
                "lt" => Op::Lt,
                "lte" => Op::Lte,
                "eq" => Op::Eq,
                "field" => {
                    counted_field = scalar_text(v).map(Field::raw);
                    continue;
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::WrongType {
                            key: format!("correlation.condition.{name}"),
                            expected: "one of gt, gte, lt, lte, eq, field",
                        },
                        src.span(k),
                    ));
                }
            };
            let value = scalar_text(v)
                .and_then(|t| t.parse::<f64>().ok())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidModifierValue {
                            modifier: name.to_owned(),
                            expected: "a number",
                            found: scalar_text(v).unwrap_or_default(),
                        },
                        src.span(v),
                    )
                })?;
            condition.push(Comparison { op, value });
        }
        let _ = ck;
    }
    let kind = match kind_name.as_str() {
        "event_count" => AggregationKind::EventCount {
            rules: rules.clone(),
        },
        "value_count" => AggregationKind::ValueCount {
            field: counted_field.ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingKey {
                        key: "correlation.condition.field",
                    },
                    anchor,
                )
            })?,
            rules: rules.clone(),
        },
        "temporal" => AggregationKind::Temporal {
            rules: rules.clone(),
        },
        "temporal_ordered" => AggregationKind::TemporalOrdered {
            rules: rules.clone(),
        },
        other => {
            return Err(Error::new(
                ErrorKind::UnknownCorrelationType {
                    found: other.to_owned(),
                },
                src.span(type_key).cover(src.span(type_node)),
            ));
        }
    };
    if matches!(
        kind,
        AggregationKind::EventCount { .. } | AggregationKind::ValueCount { .. }
    ) && condition.is_empty()
    {
        return Err(Error::new(
            ErrorKind::MissingKey {
                key: "correlation.condition",
            },
            anchor,
        ));
    }
    // Rules defined earlier in the same file contribute their logic.
    let referenced: Vec<Expr> = rules
        .iter()
        .filter_map(|r| {
            earlier
                .iter()
                .find(|e| {
                    &e.native_id == r
                        || e.extra.get("name").and_then(|n| n.as_str()) == Some(r.as_str())
                })
                .map(|e| e.logic.expr.clone())
        })
        .collect();
    let expr = if referenced.is_empty() {
        Expr::And(Vec::new())
    } else {
        Expr::or(referenced)
    };
    Ok((
        Logic {
            expr,
            aggregation: Some(Aggregation {
                kind,
                group_by,
                window,
                condition,
                metrics: Vec::new(),
                having: None,
            }),
        },
        rules,
    ))
}

/// A YAML node as JSON, for metadata kept verbatim in `Rule::extra`.
fn to_json(node: &Node<'_>) -> serde_json::Value {
    use saphyr::{Scalar, YamlData};
    match &node.data {
        YamlData::Value(Scalar::Null) => serde_json::Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => (*b).into(),
        YamlData::Value(Scalar::Integer(i)) => (*i).into(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.into_inner().into(),
        YamlData::Value(Scalar::String(s)) => s.to_string().into(),
        YamlData::Sequence(items) => items.iter().map(to_json).collect(),
        YamlData::Mapping(m) => m
            .iter()
            .map(|(k, v)| (scalar_text(k).unwrap_or_default(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => serde_json::Value::Null,
    }
}
