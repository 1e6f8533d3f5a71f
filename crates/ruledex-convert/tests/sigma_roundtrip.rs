//! Sigma export: every SigmaHQ rule that exports exactly reads back (Sigma →
//! model → Sigma → model) to the same logic.

use std::collections::BTreeMap;

use ruledex_convert::{Fidelity, Target, convert};
use ruledex_model::{Logic, Span, Vendor};

fn without_spans(mut logic: Logic) -> Logic {
    logic.expr.map_spans(&mut |_| Span::new(0, 0));
    logic
}

#[test]
fn sigma_rules_round_trip_through_the_sigma_export() {
    let Some(dir) = ruledex_testkit::shared("corpora/sigma/rules") else {
        return;
    };
    let report = ruledex_ingest::ingest_dir(Vendor::Sigma, &dir);
    assert!(report.rules.len() >= 3000, "{} rules", report.rules.len());
    let (mut exact, mut same, mut not_exact) = (0, 0, BTreeMap::<String, usize>::new());
    let mut mismatches = Vec::new();
    for rule in &report.rules {
        let c = convert(rule, Target::Sigma);
        match &c.fidelity {
            Fidelity::Exact => exact += 1,
            Fidelity::Approximate { reasons } => {
                *not_exact
                    .entry(format!("approximate: {}", reasons[0]))
                    .or_default() += 1;
                continue;
            }
            Fidelity::Unsupported { reason } => {
                *not_exact
                    .entry(format!("unsupported: {reason}"))
                    .or_default() += 1;
                continue;
            }
        }
        let text = c.query.expect("an exact conversion has a query");
        let parsed = ruledex_sigma::parse_sigma(&rule.source.path, &text);
        let Some(mut back) = parsed.rules.into_iter().next() else {
            mismatches.push(format!(
                "{}: export does not parse: {:?}\n{text}",
                rule.source.path, parsed.errors
            ));
            continue;
        };
        ruledex_taxonomy::enrich::enrich(&mut back);
        if without_spans(back.logic) == without_spans(rule.logic.clone()) {
            same += 1;
        } else {
            mismatches.push(format!(
                "{}: logic differs after the round trip\n{text}",
                rule.source.path
            ));
        }
    }
    eprintln!(
        "sigma export: {} rules, {exact} exact, {same} round-trip identical, {} mismatches; not exact: {not_exact:#?}",
        report.rules.len(),
        mismatches.len()
    );
    for m in mismatches.iter().take(5) {
        eprintln!("{m}");
    }
    assert!(
        mismatches.is_empty(),
        "{} exported rules do not read back the same",
        mismatches.len()
    );
    assert!(
        exact * 100 >= report.rules.len() * 99,
        "only {exact} of {} export exactly",
        report.rules.len()
    );
}
