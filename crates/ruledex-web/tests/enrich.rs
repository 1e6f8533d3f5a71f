//! The generated enrichment is deterministic and follows the rule's facts.

mod common;

use ruledex_web::enrich::{self, RuleFacts};

/// The catalog's facts of a fixture rule.
fn facts(backend: &ruledex_web::Backend, uid: &str) -> RuleFacts {
    RuleFacts::load(&backend.catalog(), uid)
        .expect("catalog query")
        .unwrap_or_else(|| panic!("fixture rule {uid}"))
}

#[test]
fn confidence_follows_status_and_is_deterministic() {
    let backend = common::backend();
    let stable = facts(&backend, common::NMAP_UID);
    let experimental = facts(&backend, "sigma:33333333-3333-4333-8333-333333333333");
    let a = enrich::confidence(&stable, &[]);
    let b = enrich::confidence(&experimental, &[]);
    assert!(
        a.score > b.score,
        "stable {} vs experimental {}",
        a.score,
        b.score
    );
    assert!(a.reasons.iter().any(|r| r.contains("status `stable`")));
    assert!(
        b.reasons
            .iter()
            .any(|r| r.contains("status `experimental`"))
    );
    let again = enrich::confidence(&stable, &[]);
    assert_eq!(a.score, again.score);
    assert_eq!(a.reasons, again.reasons);
}

#[test]
fn hypothesis_names_the_technique_events_and_indicators() {
    let backend = common::backend();
    let netcat = facts(&backend, common::NETCAT_UID);
    let text = enrich::hypothesis(backend.attack(), &netcat);
    assert!(text.contains("Network Service Discovery (T1046)"), "{text}");
    assert!(text.contains("linux/process_creation"), "{text}");
    assert!(text.contains("process.name"), "{text}");
    assert!(
        text.contains("already exclude"),
        "the netcat rule excludes ` -l `: {text}"
    );
}

#[test]
fn false_positive_guidance_lists_notes_and_missing_shared_exclusions() {
    let backend = common::backend();
    let nmap = facts(&backend, common::NMAP_UID);
    let guidance = enrich::false_positives(&nmap);
    assert!(
        guidance.iter().any(|g| g.contains("Asset inventory")),
        "{guidance:?}"
    );
    assert!(
        guidance.iter().any(|g| g.contains("Already excluded")),
        "{guidance:?}"
    );
    // The Elastic rule has no exclusion; nothing to suggest from one other rule, but never empty.
    let elastic = facts(&backend, common::ELASTIC_UID);
    assert!(!enrich::false_positives(&elastic).is_empty());
}

#[test]
fn facts_are_the_catalogs_rows_with_their_reach() {
    let backend = common::backend();
    let netcat = facts(&backend, common::NETCAT_UID);
    let catalog = backend.catalog();
    let stored = catalog
        .rule(common::NETCAT_UID)
        .expect("catalog query")
        .expect("stored");
    // Every positive row of the stored rule is a fact, once, with the catalog's reach.
    for p in stored
        .predicates
        .iter()
        .filter(|p| p.polarity == ruledex_catalog::Polarity::Pos)
    {
        let found: Vec<_> = netcat
            .positive
            .iter()
            .filter(|(i, _)| i.field == p.field && i.op == p.op && i.value == p.value)
            .collect();
        assert_eq!(found.len(), 1, "{p:?}");
        let reach = catalog.reach(&p.field, &p.op, &p.value).expect("reach");
        assert_eq!(found[0].1, reach, "{p:?}");
        assert!(reach >= 1, "the rule itself looks for {p:?}");
    }
    assert!(netcat.excluded.iter().any(|i| i.value == " -l "));
    assert_eq!(netcat.rule.text, stored.rule.text);
    assert!(netcat.rule.source.retrieved_at.is_some());
}

/// A keyword-only rule: the catalog stores its keywords as `(keyword)` rows;
/// the hypothesis speaks of the event text, not of a field named `(keyword)`.
#[test]
fn hypothesis_of_a_keyword_rule_names_no_pseudo_field() {
    const KEYWORDS: &str = r"title: Fixture History Cleared
id: 66666666-6666-4666-8666-666666666666
status: test
description: Fixture keyword rule.
author: ruledex tests
date: 2024-01-02
tags:
    - attack.t1070.003
logsource:
    product: linux
    service: auditd
detection:
    keywords:
        - 'history -c'
        - 'unset HISTFILE'
    condition: keywords
level: low
";
    let rule = common::sigma("rules/linux/auditd/fixture_history.yml", KEYWORDS);
    let backend = ruledex_web::Backend::build(
        vec![rule],
        ruledex_attack::Attack::fixture(),
        ruledex_web::atomics::Atomics::none(),
        "keyword fixture",
    );
    let f = facts(&backend, "sigma:66666666-6666-4666-8666-666666666666");
    assert!(
        f.positive
            .iter()
            .any(|(i, _)| i.field == ruledex_catalog::predicates::KEYWORD_FIELD),
        "{:?}",
        f.positive
    );
    let text = enrich::hypothesis(backend.attack(), &f);
    assert!(!text.contains("(keyword)"), "{text}");
    assert!(text.contains("raw event text"), "{text}");
    assert!(text.contains("keyword \"history -c\""), "{text}");
}
