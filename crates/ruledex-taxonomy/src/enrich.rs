//! Enrichment of a freshly read rule with taxonomy facts: its catalog events
//! and the canonical name of every field it tests.
//!
//! Front-ends read syntax; this module adds meaning, the same way for every
//! vendor: the events come from the rule's log source (Sigma), its
//! `data_source` names or `tstats` data model (Splunk) or data sources (set by the vendor's
//! front-end), and each field is resolved in the
//! vendor's schema within the context of those events. A field that resolves
//! to nothing keeps `canonical: None` and is reported, never dropped.

use ruledex_model::{AggregationKind, Expr, Field, Op, Rule, Value, Vendor};

use crate::events::CatalogEvents;
use crate::fields::{Fields, Schema};

/// What enriching one rule found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enrichment {
    /// Field references looked at (one per predicate, plus aggregation fields).
    pub occurrences: usize,
    /// Raw names of the references that resolved to no canonical field.
    pub unresolved: Vec<String>,
}

/// The schema a vendor's own field names are written in.
pub fn schema_of(vendor: Vendor) -> Schema {
    match vendor {
        Vendor::Sigma => Schema::Sigma,
        Vendor::Elastic => Schema::Ecs,
        Vendor::Splunk => Schema::SplunkCim,
        Vendor::Sentinel => Schema::SecurityEvent,
        Vendor::Panther => Schema::Panther,
    }
}

/// The Windows event ids a rule's logic pins positively (`EventID: 4625`),
/// ignoring anything under a `not`.
pub fn pinned_event_ids(expr: &Expr) -> Vec<i64> {
    fn walk(e: &Expr, out: &mut Vec<i64>) {
        match e {
            Expr::And(c) | Expr::Or(c) => c.iter().for_each(|x| walk(x, out)),
            Expr::Pred(p)
                if p.field.raw.eq_ignore_ascii_case("EventID")
                    && matches!(p.op, Op::Eq | Op::In) =>
            {
                for v in &p.values {
                    let id = match v {
                        Value::Int(i) => Some(*i),
                        Value::Str(s) => s.trim().parse().ok(),
                        _ => None,
                    };
                    if let Some(id) = id
                        && !out.contains(&id)
                    {
                        out.push(id);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

/// The schema a Sentinel table's columns are named in: ASIM parsers
/// (`imProcessCreate`, `_Im_Dns`, `ASimAuthentication…`) → [`Schema::Asim`];
/// Defender XDR advanced-hunting tables (`Device*`, `Email*`, `Identity*Events`,
/// `CloudAppEvents`, `Alert*`) → [`Schema::DefenderXdr`]; every other Log
/// Analytics table (`SecurityEvent`, `SigninLogs`, `AuditLogs`, …) →
/// [`Schema::SecurityEvent`].
pub fn sentinel_schema(table: &str) -> Schema {
    let t = table.to_ascii_lowercase();
    let asim = t.starts_with("_im_")
        || t.starts_with("_asim")
        || t.starts_with("asim")
        || t.starts_with("vim")
        || (t.starts_with("im") && table.chars().nth(2).is_some_and(char::is_uppercase));
    let xdr = t.starts_with("device")
        || t.starts_with("email")
        || (t.starts_with("identity") && t.ends_with("events"))
        || t == "cloudappevents"
        || t == "alertinfo"
        || t == "alertevidence";
    if asim {
        Schema::Asim
    } else if xdr {
        Schema::DefenderXdr
    } else {
        Schema::SecurityEvent
    }
}

/// The schemas a Sentinel rule's fields may be named in, from its tables, in
/// order (`SecurityEvent` when none is known), then ASIM.
fn sentinel_schemas(tables: &[String]) -> Vec<Schema> {
    let mut out = Vec::new();
    for t in tables {
        let s = sentinel_schema(t);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out.push(Schema::SecurityEvent);
    }
    // Many solutions read their data through parser functions that are not
    // named `im*` but return ASIM columns (`Cisco_Umbrella`): ASIM is the last resort.
    if !out.contains(&Schema::Asim) {
        out.push(Schema::Asim);
    }
    out
}

/// Catalog events of a Sentinel rule: those of each table it reads, with
/// the Windows event ids its logic pins.
fn sentinel_events(events: &CatalogEvents, rule: &Rule) -> Vec<String> {
    let ids = pinned_event_ids(&rule.logic.expr);
    let mut out: Vec<String> = Vec::new();
    for t in &rule.data_sources {
        for e in events.for_sentinel(t, &ids) {
            if !out.iter().any(|x| x == e) {
                out.push(e.to_owned());
            }
        }
    }
    out
}

/// Fill in `rule.events` (for Sigma, from its log source) and every field's
/// canonical name. Events a front-end already set are kept.
pub fn enrich(rule: &mut Rule) -> Enrichment {
    let events = CatalogEvents::global();
    let fields = Fields::global();
    if rule.vendor == Vendor::Sigma
        && rule.events.is_empty()
        && let Some(ls) = &rule.logsource
    {
        let ids = pinned_event_ids(&rule.logic.expr);
        rule.events = events
            .for_sigma(ls, &ids)
            .into_iter()
            .map(str::to_owned)
            .collect();
    }
    if rule.vendor == Vendor::Splunk && rule.events.is_empty() {
        let mut out: Vec<String> = Vec::new();
        for ds in &rule.data_sources {
            for e in events.for_splunk(ds) {
                if !out.iter().any(|x| x == e) {
                    out.push(e.to_owned());
                }
            }
        }
        // No event from the data sources: the data model a `tstats` reads
        // (`Endpoint.Processes`) names one, on the rule's platforms.
        if out.is_empty()
            && let Some(models) = rule.extra.get("datamodels").and_then(|m| m.as_array())
        {
            for model in models.iter().filter_map(|m| m.as_str()) {
                let Some(q) = fields
                    .qualifiers(Schema::SplunkCim)
                    .find(|q| q.prefix().eq_ignore_ascii_case(model))
                else {
                    continue;
                };
                let found: Vec<&str> = if q.event().starts_with("any/") {
                    rule.platforms
                        .iter()
                        .filter_map(|p| events.on_platform(q.event(), p))
                        .collect()
                } else {
                    events
                        .get(q.event())
                        .map(|e| e.id.as_str())
                        .into_iter()
                        .collect()
                };
                for e in found {
                    if !out.iter().any(|x| x == e) {
                        out.push(e.to_owned());
                    }
                }
            }
        }
        rule.events = out;
    }
    if rule.vendor == Vendor::Sentinel && rule.events.is_empty() {
        rule.events = sentinel_events(events, rule);
    }
    let schemas = match rule.vendor {
        Vendor::Sentinel => sentinel_schemas(&rule.data_sources),
        // Splunk searches on raw Windows logs (`sysmon`, `wineventlog_security`)
        // test the event's own field names, which are Sigma's: a name the CIM
        // table does not know is read as Sigma reads it.
        Vendor::Splunk => vec![Schema::SplunkCim, Schema::Sigma],
        v => vec![schema_of(v)],
    };
    // Field names follow the channel that carries the event: Security 4688 is a
    // process creation, but its fields are the Security log's (`NewProcessName`).
    // So the log source's own event is a fallback context.
    let mut context = rule.events.clone();
    if rule.vendor == Vendor::Sigma
        && let Some(ls) = &rule.logsource
    {
        for e in events.for_sigma(ls, &[]) {
            if !context.iter().any(|c| c == e) {
                context.push(e.to_owned());
            }
        }
    }
    let mut report = Enrichment::default();
    let mut resolve = |field: &mut Field| {
        // A field glob (`process.*`) stands for many fields, none by name:
        // it is neither resolved nor counted.
        if field.is_glob() {
            field.canonical = None;
            return;
        }
        report.occurrences += 1;
        let hit = schemas.iter().find_map(|&schema| {
            if context.is_empty() {
                fields.resolve(schema, None, &field.raw)
            } else {
                context
                    .iter()
                    .find_map(|e| fields.resolve(schema, Some(e), &field.raw))
            }
        });
        field.canonical = hit.map(str::to_owned);
        if hit.is_none() {
            report.unresolved.push(field.raw.clone());
        }
    };
    rule.logic
        .expr
        .visit_preds_mut(&mut |p| resolve(&mut p.field));
    if let Some(agg) = &mut rule.logic.aggregation {
        agg.group_by.iter_mut().for_each(&mut resolve);
        // Metric fields and filters name event fields; `having` names metrics.
        for m in &mut agg.metrics {
            if let Some(f) = &mut m.field {
                resolve(f);
            }
            if let Some(filter) = &mut m.filter {
                filter.visit_preds_mut(&mut |p| resolve(&mut p.field));
            }
            for c in &mut m.cases {
                c.when.visit_preds_mut(&mut |p| resolve(&mut p.field));
            }
        }
        match &mut agg.kind {
            AggregationKind::ValueCount { field, .. } => resolve(field),
            AggregationKind::NewTerms { fields: f, .. } => f.iter_mut().for_each(&mut resolve),
            AggregationKind::Threshold { cardinality } => {
                for (f, _) in cardinality.iter_mut() {
                    resolve(f);
                }
            }
            AggregationKind::Sequence { steps, until } => {
                for s in steps {
                    s.expr.visit_preds_mut(&mut |p| resolve(&mut p.field));
                    s.by.iter_mut().for_each(&mut resolve);
                }
                if let Some(u) = until {
                    u.visit_preds_mut(&mut |p| resolve(&mut p.field));
                }
            }
            _ => {}
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use ruledex_model::{Field, Language, LogSource, Logic, Pred};

    use super::*;

    fn sigma_rule(
        product: &str,
        category: Option<&str>,
        service: Option<&str>,
        expr: Expr,
    ) -> Rule {
        let mut r = Rule::new(Vendor::Sigma, "x", "x", Language::Sigma, Logic::new(expr));
        r.logsource = Some(LogSource {
            product: Some(product.into()),
            category: category.map(Into::into),
            service: service.map(Into::into),
            definition: None,
        });
        r
    }

    fn pred(field: &str, op: Op, v: Value) -> Expr {
        Expr::Pred(Pred::new(Field::raw(field), op, vec![v]))
    }

    #[test]
    fn process_creation_image_resolves() {
        let mut r = sigma_rule(
            "windows",
            Some("process_creation"),
            None,
            pred("Image", Op::EndsWith, "\\nmap.exe".into()),
        );
        let e = enrich(&mut r);
        assert_eq!(r.events, vec!["windows/process_creation"]);
        assert_eq!(e.occurrences, 1);
        assert!(e.unresolved.is_empty());
        assert_eq!(
            r.logic.expr.preds()[0].field.canonical.as_deref(),
            Some("process.executable")
        );
    }

    #[test]
    fn security_event_id_gives_its_own_event() {
        let expr = Expr::and(vec![
            pred("EventID", Op::Eq, Value::Int(4625)),
            pred("LogonType", Op::Eq, Value::Int(3)),
        ]);
        let mut r = sigma_rule("windows", None, Some("security"), expr);
        enrich(&mut r);
        assert!(
            r.events.iter().any(|e| e == "windows/security/4625"),
            "{:?}",
            r.events
        );
    }

    #[test]
    fn security_channel_names_resolve_in_a_process_creation() {
        let expr = Expr::and(vec![
            pred("EventID", Op::Eq, Value::Int(4688)),
            pred("NewProcessName", Op::EndsWith, "\\nltest.exe".into()),
        ]);
        let mut r = sigma_rule("windows", None, Some("security"), expr);
        let e = enrich(&mut r);
        assert!(
            r.events.iter().any(|e| e == "windows/process_creation"),
            "{:?}",
            r.events
        );
        assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);
    }

    #[test]
    fn unknown_field_is_reported_not_dropped() {
        let mut r = sigma_rule(
            "windows",
            Some("process_creation"),
            None,
            pred("NoSuchFieldAnywhere", Op::Eq, "x".into()),
        );
        let e = enrich(&mut r);
        assert_eq!(e.unresolved, vec!["NoSuchFieldAnywhere"]);
        assert_eq!(r.logic.expr.preds()[0].field.raw, "NoSuchFieldAnywhere");
    }

    #[test]
    fn field_globs_are_neither_resolved_nor_counted() {
        let expr = Expr::and(vec![
            pred("Image", Op::EndsWith, "\\nmap.exe".into()),
            pred("process.*", Op::Eq, "x".into()),
        ]);
        let mut r = sigma_rule("windows", Some("process_creation"), None, expr);
        let e = enrich(&mut r);
        assert_eq!(e.occurrences, 1);
        assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);
        assert_eq!(r.logic.expr.preds()[1].field.canonical, None);
    }

    #[test]
    fn metric_case_labels_are_resolved() {
        use ruledex_model::{Aggregation, AggregationKind, Metric, MetricCase, MetricFunction};
        let mut r = sigma_rule("windows", Some("process_creation"), None, Expr::And(vec![]));
        let mut agg = Aggregation::new(AggregationKind::Threshold {
            cardinality: Vec::new(),
        });
        let mut m = Metric::new("n", MetricFunction::CountDistinct, None);
        m.cases.push(MetricCase {
            when: pred("Image", Op::EndsWith, "\\nmap.exe".into()),
            value: "nmap".into(),
        });
        agg.metrics.push(m);
        r.logic.aggregation = Some(agg);
        let e = enrich(&mut r);
        assert_eq!(e.occurrences, 1);
        let when = &r.logic.aggregation.as_ref().unwrap().metrics[0].cases[0].when;
        assert_eq!(
            when.preds()[0].field.canonical.as_deref(),
            Some("process.executable")
        );
    }

    #[test]
    fn splunk_events_come_from_data_sources() {
        let expr = Expr::and(vec![
            pred("Processes.process_name", Op::Eq, "cmd.exe".into()),
            pred("TargetImage", Op::EndsWith, "lsass.exe".into()),
        ]);
        let mut r = Rule::new(Vendor::Splunk, "x", "x", Language::Spl, Logic::new(expr));
        r.data_sources = vec!["Sysmon EventID 10".into()];
        let e = enrich(&mut r);
        assert_eq!(r.events, vec!["windows/process_access"]);
        assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);
        let preds = r.logic.expr.preds();
        // A data-model field resolves through its qualifier …
        assert_eq!(preds[0].field.canonical.as_deref(), Some("process.name"));
        // … and a raw Sysmon field as Sigma names it.
        assert!(preds[1].field.canonical.is_some());
    }

    #[test]
    fn negated_event_ids_are_not_pinned() {
        let expr = Expr::and(vec![
            pred("EventID", Op::Eq, Value::Int(1)),
            Expr::not(pred("EventID", Op::Eq, Value::Int(5))),
        ]);
        assert_eq!(pinned_event_ids(&expr), vec![1]);
    }

    #[test]
    fn sentinel_tables_pick_their_schema() {
        assert_eq!(sentinel_schema("imProcessCreate"), Schema::Asim);
        assert_eq!(sentinel_schema("_Im_Dns"), Schema::Asim);
        assert_eq!(sentinel_schema("DeviceProcessEvents"), Schema::DefenderXdr);
        assert_eq!(sentinel_schema("SecurityEvent"), Schema::SecurityEvent);
        assert_eq!(sentinel_schema("SigninLogs"), Schema::SecurityEvent);
        // `IdentityInfo` is a Sentinel table; `IdentityLogonEvents` is XDR's.
        assert_eq!(sentinel_schema("IdentityInfo"), Schema::SecurityEvent);
        assert_eq!(sentinel_schema("IdentityLogonEvents"), Schema::DefenderXdr);
    }

    #[test]
    fn sentinel_rule_gets_events_and_fields_per_table() {
        let expr = Expr::and(vec![
            pred("EventID", Op::Eq, Value::Int(4688)),
            pred("NewProcessName", Op::EndsWith, Value::from("\\nmap.exe")),
        ]);
        let mut r = Rule::new(
            Vendor::Sentinel,
            "x",
            "x",
            Language::Kusto,
            Logic::new(expr),
        );
        r.data_sources = vec!["SecurityEvent".into()];
        let e = enrich(&mut r);
        assert_eq!(r.events, ["windows/process_creation"]);
        assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);
        let preds = r.logic.expr.preds();
        assert_eq!(
            preds[1].field.canonical.as_deref(),
            Some("process.executable")
        );

        let expr = pred("FileName", Op::Eq, Value::from("nmap.exe"));
        let mut r = Rule::new(
            Vendor::Sentinel,
            "y",
            "y",
            Language::Kusto,
            Logic::new(expr),
        );
        r.data_sources = vec!["DeviceProcessEvents".into()];
        enrich(&mut r);
        assert_eq!(
            r.logic.expr.preds()[0].field.canonical.as_deref(),
            Some("process.name")
        );
    }
}
