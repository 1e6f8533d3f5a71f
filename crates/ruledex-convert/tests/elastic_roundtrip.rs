//! Cross-vendor round trip over Elastic's detection-rules corpus
//! (`../shared/corpora/elastic`): a fully parsed KQL rule converted to `kql`,
//! and a fully parsed EQL rule converted to `eql`, parse back with ruledex's
//! own parser to the same normalized logic. Also: every query the four
//! Elastic backends write for an Elastic rule parses. Floors only move up.

use std::sync::OnceLock;

use ruledex_convert::{Target, convert};
use ruledex_model::{Aggregation, AggregationKind, Expr, Language, Rule, Value, Vendor};

fn rules() -> Option<&'static [Rule]> {
    static RULES: OnceLock<Option<Vec<Rule>>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let dir = ruledex_testkit::shared("corpora/elastic")?;
            Some(ruledex_ingest::ingest_dir(Vendor::Elastic, &dir).rules)
        })
        .as_deref()
}

/// Case sensitivity means nothing for numbers and booleans: cleared.
fn uncase(expr: &Expr) -> Expr {
    let mut e = expr.clone();
    e.visit_preds_mut(&mut |p| {
        if p.values.iter().all(|v| !matches!(v, Value::Str(_))) {
            p.case_sensitive = false;
        }
    });
    e
}

/// The logic as text, spans left out.
fn logic_text(expr: &Expr, agg: Option<&Aggregation>) -> String {
    let agg = agg.map(|a| {
        let mut a = a.clone();
        if let AggregationKind::Sequence { steps, until } = &mut a.kind {
            for s in steps {
                s.expr = uncase(&s.expr);
            }
            if let Some(u) = until {
                **u = uncase(u);
            }
        }
        a.to_string()
    });
    format!("{}\n{}", uncase(expr), agg.unwrap_or_default())
}

struct RoundTrip {
    eligible: usize,
    converted: usize,
    same: usize,
    differences: Vec<(String, String, String, String)>,
}

fn round_trip(language: Language, target: Target) -> Option<RoundTrip> {
    let rules = rules()?;
    let mut rt = RoundTrip {
        eligible: 0,
        converted: 0,
        same: 0,
        differences: Vec::new(),
    };
    for rule in rules
        .iter()
        .filter(|r| r.language == language && r.logic.is_fully_parsed() && r.logic.has_predicate())
    {
        rt.eligible += 1;
        let c = convert(rule, target);
        let Some(q) = c.query else { continue };
        rt.converted += 1;
        let lowered = match target {
            Target::Kql => ruledex_elastic::kql::parse_and_lower(&q),
            Target::Eql => ruledex_elastic::eql::parse_and_lower(&q),
            other => panic!("no round trip for {other}"),
        }
        .unwrap_or_else(|e| panic!("{}: written {target} does not parse: {e}\n{q}", rule.uid));
        // A threshold or new-terms rule's KQL carries only the event query.
        let want_agg = if target == Target::Kql {
            None
        } else {
            rule.logic.aggregation.as_ref()
        };
        let want = logic_text(&rule.logic.expr, want_agg);
        let got = logic_text(&lowered.expr, lowered.aggregation.as_ref());
        if want == got {
            rt.same += 1;
        } else {
            rt.differences
                .push((rule.source.path.clone(), q, want, got));
        }
    }
    println!(
        "{target}: eligible (fully parsed {language:?} rules) {} converted {} same logic {} ({:.1}%)",
        rt.eligible,
        rt.converted,
        rt.same,
        100.0 * rt.same as f64 / rt.eligible.max(1) as f64
    );
    for (path, q, want, got) in rt.differences.iter().take(12) {
        let at = want
            .char_indices()
            .zip(got.chars())
            .find(|((_, a), b)| a != b)
            .map_or(want.len().min(got.len()), |((i, _), _)| i);
        let from = want[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        let cut = |s: &str| {
            s.get(from..)
                .unwrap_or("")
                .chars()
                .take(160)
                .collect::<String>()
        };
        println!(
            "  differs: {path}\n    query: {}\n    want:  …{}\n    got:   …{}",
            q.chars().take(300).collect::<String>(),
            cut(want),
            cut(got)
        );
    }
    Some(rt)
}

#[test]
fn elastic_kql_rules_round_trip_through_kql() {
    let Some(rt) = round_trip(Language::Kql, Target::Kql) else {
        return;
    };
    assert!(rt.eligible > 500, "{} eligible", rt.eligible);
    assert!(
        rt.same * 100 >= rt.eligible * 90,
        "{} of {}",
        rt.same,
        rt.eligible
    );
}

#[test]
fn elastic_eql_rules_round_trip_through_eql() {
    let Some(rt) = round_trip(Language::Eql, Target::Eql) else {
        return;
    };
    assert!(rt.eligible > 500, "{} eligible", rt.eligible);
    assert!(
        rt.same * 100 >= rt.eligible * 90,
        "{} of {}",
        rt.same,
        rt.eligible
    );
}

#[test]
fn every_elastic_rule_query_written_parses() {
    let Some(rules) = rules() else { return };
    for target in [Target::Lucene, Target::Kql, Target::Eql, Target::Esql] {
        let (mut converted, mut exact, mut failures) = (0, 0, Vec::new());
        let mut reasons = std::collections::BTreeMap::<String, usize>::new();
        for rule in rules {
            let c = convert(rule, target);
            if let ruledex_convert::Fidelity::Unsupported { reason } = &c.fidelity {
                assert!(!reason.trim().is_empty(), "{}: no reason", rule.uid);
                let key: String = reason
                    .split(" (")
                    .next()
                    .unwrap_or(reason)
                    .chars()
                    .take(90)
                    .collect();
                *reasons.entry(key).or_default() += 1;
            }
            exact += usize::from(c.fidelity == ruledex_convert::Fidelity::Exact);
            let Some(q) = c.query else { continue };
            converted += 1;
            let parsed = match target {
                Target::Lucene => ruledex_elastic::lucene::parse(&q).map(|_| ()),
                Target::Kql => ruledex_elastic::kql::parse(&q).map(|_| ()),
                Target::Eql => ruledex_elastic::eql::parse(&q).map(|_| ()),
                _ => ruledex_elastic::esql::parse(&q).map(|_| ()),
            };
            if let Err(e) = parsed {
                failures.push(format!("{}: {e}\n    {q}", rule.source.path));
            }
        }
        println!(
            "elastic -> {target}: rules {} converted {converted} (exact {exact}) parse failures {}",
            rules.len(),
            failures.len()
        );
        let mut top: Vec<_> = reasons.into_iter().collect();
        top.sort_by_key(|b| std::cmp::Reverse(b.1));
        for (r, n) in top.iter().take(6) {
            println!("    {n:5}  {r}");
        }
        for f in failures.iter().take(5) {
            println!("  {f}");
        }
        assert!(
            failures.is_empty(),
            "{target}: {} do not parse",
            failures.len()
        );
    }
}
