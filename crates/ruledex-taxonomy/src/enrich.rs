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
    let schema = schema_of(rule.vendor);
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
    // Splunk searches on raw Windows logs (`sysmon`, `wineventlog_security`)
    // test the event's own field names, which are Sigma's: a name the CIM
    // table does not know is read as Sigma reads it.
    let fallback = (rule.vendor == Vendor::Splunk).then_some(Schema::Sigma);
    let mut report = Enrichment::default();
    let mut resolve = |field: &mut Field| {
        report.occurrences += 1;
        let lookup = |schema: Schema| {
            if context.is_empty() {
                fields.resolve(schema, None, &field.raw)
            } else {
                context
                    .iter()
                    .find_map(|e| fields.resolve(schema, Some(e), &field.raw))
            }
        };
        let hit = lookup(schema).or_else(|| fallback.and_then(lookup));
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
}
